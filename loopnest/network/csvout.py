"""`network.csv`: one row per layer, in network order, figures for one occurrence.

Columns: layer, group, count, problem, shape, dimensions, MACs, status, energy,
cycles, EDP, utilization, pJ/MAC, energy per level (`energy.<level>_pJ`) and per data
space (`energy.<data space>_pJ`, with `compute` for the MACs and `leakage` etc. where
present, so either set sums to the energy), area, the mapper's gap, the search
(candidates, why it stopped, seconds, of which set-up), whether the layer's second search did
better (`better`, `better from <sibling>`; see pipeline.py), whether the result came from the cache,
warnings and the error of a failed layer. Multiply by `count` for the network's
share; `network.summary.yaml` has the totals.
"""
from __future__ import annotations

import csv
import io

from loopnest.network.results import NetworkRow, order_parts

FIXED = ["layer", "group", "count", "problem", "shape", "dimensions", "macs", "status",
         "energy_pJ", "cycles", "edp_J_cycle", "utilization", "pJ_per_MAC"]
TAIL = ["area_um2", "mapper_gap", "evaluated", "stop_reason", "search_s", "setup_s", "time_s",
        "second_search", "cached", "warnings", "error"]


def second_search(r) -> str:
    """The `second_search` cell: empty when the first search's result stands."""
    if not r.second:
        return ""
    return f"better from {r.seeded_from}" if r.seeded_from else "better"


def _union(dicts: list[dict]) -> list[str]:
    return list(dict.fromkeys(k for d in dicts for k in d))


def _g(x: float) -> str:
    return f"{x:.6g}"


def columns(rows: list[NetworkRow]) -> tuple[list[str], list[str]]:
    """Level names and data-space / part names over all rows, in first-seen order."""
    ok = [r.record for r in rows if r.record.ok]
    return (_union([r.energy_by_level for r in ok]),
            order_parts(_union([r.energy_by_dataspace for r in ok])))


def network_csv(rows: list[NetworkRow]) -> str:
    """The CSV text."""
    levels, parts = columns(rows)
    header = (FIXED + [f"energy.{lv}_pJ" for lv in levels]
              + [f"energy.{p}_pJ" for p in parts] + TAIL)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        r = row.record
        dims = " ".join(f"{d}={b}" for d, b in r.bounds.items())
        head = [row.name, row.group or "", row.count, row.problem, r.shape, dims, r.macs,
                r.status]
        if r.ok:
            by_level, by_part = r.energy_by_level, r.energy_by_dataspace
            figures = [_g(r.energy_pj), r.cycles, _g(r.edp), _g(r.utilization),
                       _g(r.pj_per_mac)]
            figures += [_g(by_level.get(lv, 0.0)) for lv in levels]
            figures += [_g(by_part.get(p, 0.0)) for p in parts]
            tail = [_g(r.area_um2), "" if r.gap is None else _g(r.gap), r.evaluated,
                    r.stop_reason, f"{r.search_s:.2f}", f"{r.setup_s:.2f}", f"{r.task_s:.2f}",
                    second_search(r), "yes" if r.cached else "no"]
        else:
            figures = [""] * (5 + len(levels) + len(parts))
            tail = ["", "", "", "", "", "", f"{r.task_s:.2f}", "", "no"]
        w.writerow(head + figures + tail + ["; ".join(r.warnings), r.error])
    return buf.getvalue()
