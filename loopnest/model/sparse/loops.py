"""Timeloop's complete loop nest (trivial loops included) and its tile molds.

Per storage level: its fan-out loops over every dimension (X first, then Y) when the
level fans out, then its temporal loops over every dimension, inner loop first; with
each loop, the operation-space extents of the tile it closes (the product of the loop
ends from the innermost loop up to it). Sparseloop places its granularities on these.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Loop, Mapping
from loopnest.ir.workload import Workload


@dataclass(frozen=True)
class CLoop:
    """A loop of Timeloop's complete loop nest (trivial loops included)."""

    dim: str
    end: int
    spatial: bool
    is_x: bool = False

    @property
    def trivial(self) -> bool:
        return self.end <= 1


@dataclass
class Nest:
    """Per storage level: its loops inner first, and the cumulative op-space extents."""

    loops: list = field(default_factory=list)        # [level][i] -> CLoop
    molds: list = field(default_factory=list)        # [level][i] -> {dim: extent}


def complete_nest(workload: Workload, arch: Architecture, mapping: Mapping) -> Nest:
    """Timeloop's complete_loop_nest: per level its fan-out (all dimensions, X then Y)
    when the level fans out, then its temporal loops (all dimensions), inner first."""
    ext = {d: 1 for d in workload.dimensions}
    nest = Nest()
    for s, lm in enumerate(mapping.levels):
        loops: list[CLoop] = []
        if arch.fanout(s) != (1, 1):
            loops += [CLoop(lp.dim, lp.end, True, lp.spatial != "Y")
                      for lp in _all_dims(lm.spatial, workload)]
        loops += [CLoop(lp.dim, lp.end, False) for lp in _all_dims(lm.temporal, workload)]
        molds = []
        for lp in loops:
            ext[lp.dim] *= lp.end
            molds.append(dict(ext))
        nest.loops.append(loops)
        nest.molds.append(molds)
    return nest


def _all_dims(loops, workload: Workload) -> list:
    """The level's loops plus a trivial loop for every dimension it does not iterate."""
    seen = {lp.dim for lp in loops}
    return list(loops) + [Loop(d, 1) for d in workload.dimensions if d not in seen]
