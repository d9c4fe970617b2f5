"""Spatial skipping (`skipping_spatial`): fewer spatial instances receive a tile.

A fan-out loop over a conditioning tensor's dimension that is kept with metadata only
sends nonempty sub-tiles: the instances of the level below drop to the share of
nonempty elements (average) and, per fan-out loop, to the maximum number of
nonempty elements of a fiber (maximum). The reductions propagate to the inner
levels (Timeloop's InitializeSpatialInstances, CalculateSpatialOptimizationImpact and
SummarizeAndPropagateSpatialCapacityReduction; arch level 0 is the compute level,
level s+1 storage level s).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from loopnest.errors import MappingError
from loopnest.ir.workload import Workload
from loopnest.model.sparse.density import DensityModel
from loopnest.model.sparse.formats import box_of, box_size, constrained_empty


@dataclass
class SpatialState:
    """Per data space: per arch level average ratio, max (X, Y) and reduction mask."""

    ratio: dict = field(default_factory=dict)
    maxexp: dict = field(default_factory=dict)
    mask: dict = field(default_factory=dict)
    compute_x: int = 1
    compute_y: int = 1
    compute_avg: float = 1.0
    prob: dict = field(default_factory=dict)           # (storage level, ds) -> p


def max_num_elements(model: DensityModel, fiber: tuple, element: tuple) -> int:
    """GetMaxNumElementByConfidence at confidence 1."""
    fs, es = box_size(fiber), box_size(element)
    if es == 0 or fs % es:
        raise MappingError(f"fiber shape {fs} not divisible by element shape {es}",
                           hint="Timeloop asserts this for spatial skipping")
    if model.is_banded:
        occ = model.occupancy_at(fs, 1.0, fiber)
        p = constrained_empty(model, element, fiber, occ)
        return math.ceil(fs // es * p)
    return min(model.occupancy_at(fs, 1.0, fiber), fs // es)


def _ratio(new: int, old: int) -> float:
    """new/old expansion; an expansion that dropped to 0 is undefined in Timeloop."""
    if old == 0:
        raise MappingError("spatial skipping leaves a level with no instance (a fiber with "
                           "no nonempty element): Timeloop's result is undefined here")
    return new / old


def _mold(nest, upper: int, loop_id: int, dims: tuple) -> dict:
    if upper == 0 and loop_id == 0:
        return {d: 1 for d in dims}
    if loop_id == 0:
        return dict(nest.molds[upper - 1][-1])
    return dict(nest.molds[upper][loop_id - 1])


def _level_in(tiles: list, ds: str, start: int, N: int) -> int:
    l = start
    while l < N - 1 and (ds not in tiles[l] or tiles[l][ds].shape == 0):
        l += 1
    return l


def _has_md(tiles: list, l: int, ds: str) -> bool:
    t = tiles[l].get(ds) if l < len(tiles) else None
    return bool(t is not None and t.has_metadata)


def initialize(workload: Workload, nest, tiles: list, models: dict, expansion: list,
               compute_xy: tuple) -> SpatialState:
    """InitializeSpatialInstances: reductions implied by metadata-kept tensors."""
    N = len(tiles)
    st = SpatialState()
    dims = workload.dimensions
    for ds in workload.ds_names:
        ratio = [1.0]
        maxexp = [[compute_xy[0], compute_xy[1]]]
        mask = [False]
        ddims = workload.data_space(ds).dims()
        for upper in range(N):
            lin = _level_in(tiles, ds, upper, N)
            if _has_md(tiles, lin, ds):
                first = True
                eff = 1.0
                for i, lp in enumerate(nest.loops[upper]):
                    if not lp.spatial or lp.end <= 1 or lp.dim not in ddims:
                        continue
                    mold = _mold(nest, upper, i, dims)
                    elem = box_of(workload, ds, mold)
                    if first:
                        eff = 1.0 - models[ds].prob_empty(box_size(elem), elem)
                        first = False
                    fmold = dict(mold)
                    fmold[lp.dim] *= lp.end
                    n = max_num_elements(models[ds], box_of(workload, ds, fmold), elem)
                    k = 0 if lp.is_x else 1
                    maxexp[upper][k] = int(maxexp[upper][k] * (n / lp.end))
                ratio[upper] = eff
                if eff != 1.0:
                    mask[upper] = True
            ratio.append(1.0)
            maxexp.append(list(expansion[upper]))
            mask.append(False)
        st.ratio[ds], st.maxexp[ds], st.mask[ds] = ratio, maxexp, mask
    # propagate the reductions inward
    exp_now = {ds: [list(e) for e in expansion] for ds in workload.ds_names}
    for ds in workload.ds_names:
        ratio, maxexp, mask = st.ratio[ds], st.maxexp[ds], st.mask[ds]
        for a in range(N, 0, -1):
            xr = _ratio(maxexp[a][0], exp_now[ds][a - 1][0])
            yr = _ratio(maxexp[a][1], exp_now[ds][a - 1][1])
            if xr != 1.0 or yr != 1.0:
                exp_now[ds][a - 1] = list(maxexp[a])
                t = tiles[a - 1].get(ds)
                if t is not None:
                    t.x_exp, t.y_exp = maxexp[a]
                    t.avg_replication = t.replication * ratio[a - 1]
                cross = False
                for inner in range(a - 1, -1, -1):
                    maxexp[inner][0] = int(maxexp[inner][0] * xr)
                    maxexp[inner][1] = int(maxexp[inner][1] * yr)
                    if mask[inner]:
                        cross = True
                    if not cross:
                        ratio[inner] *= ratio[a]
    st.expansion = exp_now
    return st


def spatial_impact(workload: Workload, nest, tiles: list, models: dict, st: SpatialState,
                   upper: int, target: str, cond: tuple) -> None:
    """CalculateSpatialOptimizationImpact of `target` skipped spatially on `cond` at the
    fan-out of storage level `upper`."""
    N = len(tiles)
    dims = workload.dimensions
    tdims = workload.data_space(target).dims()
    child = next((l for l in range(upper - 1, -1, -1)
                  if target in tiles[l] and tiles[l][target].shape > 0), -1)
    ratios: dict = {}
    for c in cond:
        cdims = workload.data_space(c).dims()
        lin = upper
        while lin < N and (c not in tiles[lin] or tiles[lin][c].shape == 0):
            lin += 1
        if lin == N or not tiles[lin][c].has_metadata:
            ratios[c] = 1.0
            continue
        captured = False
        for i, lp in enumerate(nest.loops[upper]):
            if not lp.spatial or lp.end <= 1 or lp.dim not in cdims:
                continue
            mold = _mold(nest, upper, i, dims)
            co = tdims & cdims
            if child != -1 and lp.dim in co:
                tl = upper
                while tl < N - 1 and (target not in tiles[tl] or tiles[tl][target].shape == 0):
                    tl += 1
                found = False
                for l in range(upper, tl + 1):
                    for ul in nest.loops[l]:
                        if ul.spatial or ul.end <= 1:
                            continue
                        if ul.dim in tdims:
                            found = True
                            break
                        mold[ul.dim] *= ul.end
                    if found:
                        break
            elem = box_of(workload, c, mold)
            if not captured:
                ratios[c] = 1.0 - models[c].prob_empty(box_size(elem), elem)
                captured = True
            fmold = dict(mold)
            fmold[lp.dim] *= lp.end
            n = max_num_elements(models[c], box_of(workload, c, fmold), elem)
            k = 0 if lp.is_x else 1
            st.maxexp[target][upper][k] = int(st.maxexp[target][upper][k] * (n / lp.end))
    agg = 1.0
    for c in sorted(ratios, key=workload.ds_names.index):
        agg *= ratios[c]
    st.ratio[target][upper] = agg


def summarize(workload: Workload, tiles: list, st: SpatialState, masks: set,
              compute_repl: int) -> None:
    """SummarizeAndPropagateSpatialCapacityReduction: final max/avg instances per level,
    the compute level's, and each storage level's spatial-skip probability."""
    N = len(tiles)
    for pi, ds in enumerate(workload.ds_names):
        orig = [list(e) for e in st.expansion[ds]]
        ratio, maxexp = st.ratio[ds], st.maxexp[ds]
        for a in range(N, -1, -1):
            mx, my = maxexp[a]
            avg = ratio[a]
            xr = yr = 1.0
            if a != 0:
                t = tiles[a - 1].get(ds)
                if t is not None:
                    t.x_exp, t.y_exp = mx, my
                    t.avg_replication = t.replication * avg
                yr = _ratio(my, orig[a - 1][1])
                xr = _ratio(mx, orig[a - 1][0])
            else:
                st.compute_x = mx if pi == 0 else max(st.compute_x, mx)
                st.compute_y = my if pi == 0 else max(st.compute_y, my)
                c_avg = compute_repl * avg
                st.compute_avg = c_avg if pi == 0 else max(st.compute_avg, c_avg)
            if a < N:
                st.prob[(a, ds)] = 1 - avg
            if xr != 1.0 or yr != 1.0:
                cross = False
                for inner in range(a - 1, -1, -1):
                    if (inner, ds) in masks:
                        cross = True
                    if not cross:
                        ratio[inner] *= avg
                    maxexp[inner][0] = int(maxexp[inner][0] * xr)
                    maxexp[inner][1] = int(maxexp[inner][1] * yr)


def fanout_failure(workload: Workload, st: SpatialState, fanouts: list) -> str | None:
    """The instances spatial skipping requires below storage level a must fit its
    fan-out `fanouts[a]` (X, Y)."""
    for ds in workload.ds_names:
        m = st.maxexp[ds]
        for a in range(len(fanouts)):
            fx = m[a][0] // m[a + 1][0] if m[a + 1][0] else 0
            fy = m[a][1] // m[a + 1][1] if m[a + 1][1] else 0
            if fx > fanouts[a][0] or fy > fanouts[a][1]:
                return (f"required fan-out {fx}x{fy} for {ds} below storage level {a} does "
                        f"not meet the hardware's {fanouts[a][0]}x{fanouts[a][1]}")
    return None
