"""`network.summary.yaml`: the network's totals, every layer counted `count` times.

Energy, cycles, latency at the architecture's clock (`global_cycle_seconds`),
inferences/s, TOPS (one MAC = 2 operations), TOPS/W, EDP, pJ/MAC, utilization
(MACs / (cycles x MAC units)), area, energy per level, per data space and per
(level, data space); per group when the manifest names groups (e.g. prefill/decode);
then how the run went (budget, cache use, failed layers, warnings).
"""
from __future__ import annotations

import io
from typing import Any

from loopnest.network.results import NetworkRow, Totals, totals


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: float(f"{v:.6g}") for k, v in d.items()}


def totals_dict(t: Totals) -> dict[str, Any]:
    """The totals as plain YAML-able values (units in the key names)."""
    return {
        "macs": t.macs,
        "energy_pJ": float(f"{t.energy_pj:.9g}"),
        "energy_uJ": float(f"{t.energy_pj / 1e6:.6g}"),
        "cycles": t.cycles,
        "cycle_seconds": t.cycle_seconds,
        "latency_s": float(f"{t.latency_s:.6g}"),
        "inferences_per_s": float(f"{t.inferences_per_s:.6g}"),
        "tops": float(f"{t.tops:.6g}"),
        "tops_per_w": float(f"{t.tops_per_w:.6g}"),
        "edp_J_cycle": float(f"{t.edp:.6g}"),
        "pJ_per_MAC": float(f"{t.pj_per_mac:.6g}"),
        "utilization": float(f"{t.utilization:.6g}"),
        "area_um2": float(f"{t.area_um2:.6g}"),
        "area_mm2": float(f"{t.area_um2 / 1e6:.6g}"),
        "energy_by_level_pJ": _round(t.energy_by_level),
        "energy_by_dataspace_pJ": _round(t.energy_by_dataspace),
        "energy_by_level_and_dataspace_pJ": {lv: _round(p) for lv, p in t.energy_parts.items()},
    }


def summary_dict(network: str, rows: list[NetworkRow], run: dict[str, Any]) -> dict[str, Any]:
    """Everything the summary file holds."""
    t = totals(rows)
    out: dict[str, Any] = {
        "network": network,
        "complete": not t.failed and not run.get("interrupted", False),
        "layers": t.layers,
        "occurrences": t.occurrences,
        "distinct_layers": t.distinct,
        "failed_layers": {r.name: r.record.error or "not run" for r in rows if not r.record.ok},
        "totals": totals_dict(t),
    }
    groups = list(dict.fromkeys(r.group for r in rows))
    if groups != [None]:
        out["groups"] = {str(g): totals_dict(totals([r for r in rows if r.group == g]))
                         for g in groups}
    out["run"] = run
    warns = []
    seen = set()
    for r in rows:
        if r.record.key in seen:
            continue
        seen.add(r.record.key)
        warns += [f"{r.record.label}: {w}" for w in r.record.warnings]
    out["warnings"] = warns
    return out


def summary_yaml(network: str, rows: list[NetworkRow], run: dict[str, Any]) -> str:
    """The YAML text."""
    from ruamel.yaml import YAML

    y = YAML()
    y.default_flow_style = False
    y.width = 4096
    buf = io.StringIO()
    buf.write("# loopnest network summary: totals count every layer `count` times\n")
    y.dump(summary_dict(network, rows, run), buf)
    return buf.getvalue()
