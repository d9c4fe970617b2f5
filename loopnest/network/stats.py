"""Per-layer numbers from the workload IR: MACs and the size of each data space.

A problem file goes through the project's own front end (load → validate → v0.4
transpile → `lower_workload`), so what is counted here is what the model and the
mapper will see. Footprints are Timeloop's: the bounding box of each data space's
projection (a stride-2 1x1 conv's Inputs box includes the skipped pixels).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from loopnest.errors import ValidationError
from loopnest.ir.workload import Workload
from loopnest.network.types import Layer, LayerStats, Network
from loopnest.spec.located import where


def load_workload(path: str | os.PathLike[str]) -> Workload:
    """Lower the `problem:` of one problem file to a Workload (located errors)."""
    from loopnest.ir.lower import lower_workload
    from loopnest.spec.load import load_spec
    from loopnest.spec.native import to_native
    from loopnest.spec.validate import validate_spec

    spec = load_spec([str(path)])
    if not isinstance(spec.get("problem"), dict):
        raise ValidationError("this file has no `problem:` mapping", file=str(path), line=1,
                              hint="a layer's file is a Timeloop problem: "
                              "problem: {shape, instance}")
    validate_spec(spec)
    check_instance_keys(spec["problem"])
    return lower_workload(to_native(spec)["problem"])


def check_instance_keys(problem: Any) -> None:
    """Refuse instance keys that differ from a coefficient or dimension only by case.

    Timeloop ignores unknown instance keys, so `HStride` where the shape declares
    `Hstride` silently leaves the stride at its default.
    """
    shape, inst = problem.get("shape"), problem.get("instance")
    if not isinstance(shape, dict) or not isinstance(inst, dict):
        return
    names = [str(d) for d in shape.get("dimensions") or []]
    names += [str(c.get("name")) for c in shape.get("coefficients") or [] if isinstance(c, dict)]
    by_lower = {n.lower(): n for n in names}
    for key in inst:
        k = str(key)
        if k not in names and k.lower() in by_lower:
            file, line, ypath = where(inst, key)
            raise ValidationError(f"instance key '{k}' is not a dimension or coefficient of "
                                  "the shape; Timeloop would ignore it", file=file, line=line,
                                  path=ypath, hint=f"did you mean '{by_lower[k.lower()]}'? "
                                  "(names are case-sensitive)")


def footprints(workload: Workload) -> dict[str, int]:
    """Words of each whole data space: the product over ranks of (sum c*(bound-1) + 1)."""
    return workload.tile_sizes()


def stats_of(layer: Layer, workload: Workload) -> LayerStats:
    """The numbers of one layer whose file lowered to `workload`."""
    return LayerStats(name=layer.name, count=layer.count, shape=workload.name,
                      bounds=workload.bound_map, macs=workload.macs,
                      footprints=footprints(workload), group=layer.group)


def layer_stats(layer: Layer) -> LayerStats:
    """MACs and data-space sizes of one layer (per occurrence)."""
    return stats_of(layer, load_workload(layer.problem))


def network_stats(network: Network) -> list[LayerStats]:
    """Stats of every layer in order; each distinct problem file is loaded once."""
    loaded: dict[Path, Workload] = {}
    for path in network.problem_files:
        loaded[path] = load_workload(path)
    return [stats_of(layer, loaded[layer.problem]) for layer in network.layers]


def total_macs(stats: list[LayerStats], group: str | None = None) -> int:
    """Sum of MACs over all occurrences (of one group when `group` is given)."""
    return sum(s.total_macs for s in stats if group is None or s.group == group)
