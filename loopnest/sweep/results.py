"""A point's result: its layers' records in network order and their totals (no I/O).

    point_result(rendered, records, network, of_layer) -> PointResult   # all layers done
    invalid_result(rendered) -> PointResult                            # design refused

A point is `ok` when every layer was mapped; otherwise `failed`, with how many layers
failed and the first reason (a point whose design is invalid has no layers at all).
Totals are `loopnest network`'s (loopnest.network.results.totals): every layer counted
as often as it occurs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from loopnest.network.results import LayerRecord, NetworkRow, Totals, totals
from loopnest.network.task import Budget, LayerTask, failed_record
from loopnest.network.types import Network
from loopnest.sweep.points import RenderedPoint, point_dirname
from loopnest.sweep.spec import Point


@dataclass
class PointResult:
    """What one design point gave."""

    point: Point
    point_id: str
    dirname: str
    status: str  # "ok" or "failed"
    error: str = ""
    rows: list[NetworkRow] = field(default_factory=list)  # one per manifest entry
    totals: Totals | None = None  # None when the point failed
    failed_layers: int = 0
    time_s: float = 0.0  # the layers' task times, summed (worker seconds)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _refused(rp: RenderedPoint, label: str, error: str) -> LayerRecord:
    """The record of a layer shape the point's design refused (no task was made)."""
    task = LayerTask(key=f"{rp.point_id}:{label}", label=label, spec_text="",
                     problem_text="", budget=rp.budget or Budget())
    return failed_record(task, error)


def point_result(rp: RenderedPoint, records: dict[str, LayerRecord], network: Network,
                 of_layer: dict) -> PointResult:
    """Rows (network order) and totals of a point whose tasks have all finished."""
    key_of = {t.label: t.key for t in rp.tasks}
    shape_of = {s.label: s for s in rp.shapes}
    rows = []
    for layer in network.layers:
        shape = shape_of[of_layer[layer.name].label]
        key = key_of.get(shape.label)
        rec = records.get(key) if key else None
        if rec is None:
            rec = _refused(rp, shape.label, shape.error or "not run")
        if not rec.bounds and shape.bounds:
            rec.bounds, rec.macs, rec.shape = dict(shape.bounds), shape.macs, shape.shape
        rows.append(NetworkRow(layer.name, layer.count, layer.group, layer.problem.name, rec))
    failed = [r for r in rows if not r.record.ok]
    seen_keys: set[str] = set()
    time_s = 0.0
    for r in rows:
        if r.record.key not in seen_keys:
            seen_keys.add(r.record.key)
            time_s += r.record.task_s
    res = PointResult(point=rp.point, point_id=rp.point_id,
                      dirname=point_dirname(rp.point, rp.point_id),
                      status="failed" if failed else "ok", rows=rows,
                      failed_layers=len(failed), time_s=time_s)
    if failed:
        first = failed[0]
        res.error = (f"{len(failed)} of {len(rows)} layers failed; {first.name}: "
                     f"{first.record.error}")
    else:
        res.totals = totals(rows)
    return res


def invalid_result(rp: RenderedPoint) -> PointResult:
    """A point whose design could not be rendered or checked."""
    return PointResult(point=rp.point, point_id=rp.point_id,
                       dirname=point_dirname(rp.point, rp.point_id), status="failed",
                       error=f"invalid design: {rp.error}")
