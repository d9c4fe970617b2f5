"""`sweep.csv`: one row per design point, written the moment the point finishes.

Columns: `point` (its place in the sweep), `point_id` (hash of its variables and of
everything the sweep shares; the resume key), the swept variables, `status`, the
network totals (`energy_pJ`, `cycles`, `latency_s`, `edp_J_cycle`, `area_um2`,
`utilization`, `pJ_per_MAC`, `tops_per_w`, `macs`), `layers`, `failed_layers`, the energy
per level (`energy.<level>_pJ`), `time_s` (the layers' worker seconds, summed: the only
column that differs between identical runs), `folder` and `error`.

`SweepSheet` appends a row and flushes it to disk (fsync) at once, so Ctrl-C or a crash
loses no finished point; a row that brings a new level column rewrites the file
atomically. `finish` rewrites it in point order. `read_rows` reads it back (resume),
dropping a torn last line.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterable

from loopnest.sweep.results import PointResult
from loopnest.sweep.spec import format_value

NAME = "sweep.csv"
HEAD = ["point", "point_id"]
FIGURES = ["status", "energy_pJ", "cycles", "latency_s", "edp_J_cycle", "area_um2",
           "utilization", "pJ_per_MAC", "tops_per_w", "macs", "layers", "failed_layers"]
TAIL = ["time_s", "folder", "error"]
TIMING = ("time_s",)  # differ between runs of the same sweep
Row = dict[str, str]


def _g(x: float) -> str:
    return f"{x:.10g}"


def result_row(res: PointResult) -> Row:
    """The CSV cells of one point (strings)."""
    row: Row = {"point": str(res.point.index), "point_id": res.point_id}
    row.update({k: format_value(res.point.variables[k]) for k in res.point.swept})
    row["status"] = res.status
    t = res.totals
    if t is not None:
        row.update({"energy_pJ": _g(t.energy_pj), "cycles": str(t.cycles),
                    "latency_s": _g(t.latency_s), "edp_J_cycle": _g(t.edp),
                    "area_um2": _g(t.area_um2), "utilization": _g(t.utilization),
                    "pJ_per_MAC": _g(t.pj_per_mac), "tops_per_w": _g(t.tops_per_w),
                    "macs": str(t.macs)})
        row.update({f"energy.{lv}_pJ": _g(e) for lv, e in t.energy_by_level.items()})
    row["layers"] = str(len(res.rows)) if res.rows else ""
    row["failed_layers"] = str(res.failed_layers) if res.rows else ""
    row["time_s"] = f"{res.time_s:.2f}"
    row["folder"] = f"points/{res.dirname}" if res.rows else ""
    row["error"] = res.error
    return row


def header(variables: list[str], rows: Iterable[Row]) -> list[str]:
    """The columns for `rows`: fixed ones, the variables, then every level seen."""
    levels = list(dict.fromkeys(k for r in rows for k in r
                                if k.startswith("energy.") and k.endswith("_pJ")))
    return HEAD + list(variables) + FIGURES + levels + TAIL


def csv_text(columns: list[str], rows: Iterable[Row], with_header: bool = True) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", restval="",
                       extrasaction="ignore")
    if with_header:
        w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def read_rows(path: Path) -> list[Row]:
    """The rows of an existing sweep.csv; none when there is no file. A row torn by a
    crash (too few cells, no point_id) is dropped: its point runs again."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    reader = csv.reader(io.StringIO(text))
    try:
        columns = next(reader)
    except StopIteration:
        return []
    rows = []
    for cells in reader:
        if len(cells) != len(columns):
            continue
        row = dict(zip(columns, cells))
        if row.get("point_id") and row.get("status"):
            rows.append(row)
    return rows


class SweepSheet:
    """sweep.csv on disk, appended a row at a time."""

    def __init__(self, path: Path, variables: list[str]) -> None:
        self.path = Path(path)
        self.variables = list(variables)
        self.rows: list[Row] = []
        self.columns: list[str] = []

    def start(self, rows: list[Row]) -> None:
        """Begin with the rows kept from an earlier run (rewritten cleanly)."""
        self.rows = list(rows)
        self._rewrite()

    def add(self, row: Row) -> None:
        """Append one finished point (fsync'ed); rewrite if it brings a new column."""
        self.rows.append(row)
        if any(k not in self.columns for k in row):
            self._rewrite()
            return
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            f.write(csv_text(self.columns, [row], with_header=False))
            f.flush()
            os.fsync(f.fileno())

    def finish(self, rows: list[Row]) -> None:
        """The final file: `rows` (in point order)."""
        self.rows = list(rows)
        self._rewrite()

    def _rewrite(self) -> None:
        from loopnest.report.files import write_atomic

        self.columns = header(self.variables, self.rows)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, csv_text(self.columns, self.rows))
