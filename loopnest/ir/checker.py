"""An independent validity checker for mappings (does not use the mapper's own model).

It lives beside the constraints it checks (ir/constraints.py): `loopnest model`
holds a given mapping to the architecture constraints with it, the mapper checks
its best mapping with it, and `loopnest validate` runs the same checks
(loopnest/checks). `loopnest.mapper.checker` is an alias kept for old imports.

Checks, straight from the IR: factor products equal the bounds, spatial fan-out
per level within meshX / meshY, tile footprints (sliding windows included) within
each level's effective capacity and above its min_utilization, every data space
kept somewhere and at the outermost level, and every user constraint (factor
bounds, permutation partial orders, split, keep / bypass, min parallelism).
"""
from __future__ import annotations

import math

from loopnest.ir.architecture import Architecture
from loopnest.ir.constraints import Constraints
from loopnest.ir.mapping import Mapping
from loopnest.ir.residuals import first_tile_extents, mapping_is_imperfect, residual_problems
from loopnest.ir.workload import Workload


def _tile(workload: Workload, ext: dict[str, int]) -> dict[str, int]:
    return workload.tile_sizes(ext)


def _order_ok(order: list[str], prefix: str, suffix: str, nonunit: set[str]) -> bool:
    """Non-unit loops (inner first) honour the innermost prefix / outermost suffix."""
    seq = [d for d in order if d in nonunit]
    pre = [d for d in prefix if d in nonunit]
    suf = [d for d in suffix if d in nonunit]
    if seq[:len(pre)] != pre:
        return False
    return not suf or seq[len(seq) - len(suf):] == suf


def check_mapping(workload: Workload, arch: Architecture, mapping: Mapping,
                  constraints: Constraints | None = None,
                  occupancy: list[dict[str, float] | None] | None = None) -> list[str]:
    """Return the list of violations (empty when the mapping is valid). `occupancy`: per
    level, the fraction of its dense words a kept tile occupies (a sparse design's
    compressed tiles, at fixed-structured densities); None = dense words."""
    errs: list[str] = []
    dims = workload.dimensions
    bound = workload.bound_map
    n = len(arch.storage)
    if len(mapping.levels) != n:
        return [f"mapping has {len(mapping.levels)} levels, architecture {n}"]
    prod = {d: 1 for d in dims}
    ext = {d: 1 for d in dims}
    imperfect = mapping_is_imperfect(mapping)
    total_sp = 1
    total_fan = 1
    for i, (st, lm) in enumerate(zip(arch.storage, mapping.levels)):
        fx, fy = arch.fanout(i)
        sx = math.prod(l.end for l in lm.spatial if l.spatial == "X")
        sy = math.prod(l.end for l in lm.spatial if l.spatial == "Y")
        if sx > fx or sy > fy:
            errs.append(f"{st.name}: spatial fan-out {sx}x{sy} exceeds mesh {fx}x{fy}")
        total_sp *= sx * sy
        total_fan *= fx * fy
        seen_t: set[str] = set()
        for l in lm.temporal:
            if l.dim in seen_t and l.end > 1:
                errs.append(f"{st.name}: dimension {l.dim} has two temporal loops")
            seen_t.add(l.dim)
        for l in list(lm.temporal) + list(lm.spatial):
            if l.dim not in bound:
                errs.append(f"{st.name}: unknown dimension {l.dim}")
                continue
            prod[l.dim] *= l.end
            ext[l.dim] *= l.end
        kept = [ds for ds in workload.ds_names if ds in lm.keep]
        tiles = _tile(workload, first_tile_extents(mapping, i, dims) if imperfect else ext)
        cap = st.effective_size
        over = (constraints.levels[i].max_overbooked_proportion
                if constraints is not None and i < len(constraints.levels) else None)
        frac = occupancy[i] if occupancy is not None and i < len(occupancy) else None
        if st.allow_overbooking and over is not None and cap is not None:
            # Sparse occupancy: ceil(density * tile); overbooking always allowed at p >= 1.
            frac = dict(workload.densities)
            if over >= 1.0:
                cap = None
        if frac:
            tiles = {ds: math.ceil(round(frac.get(ds, 1.0) * t, 9)) for ds, t in tiles.items()}
        used = sum(tiles[ds] for ds in kept)
        if cap is not None and used > cap:
            errs.append(f"{st.name}: tiles {', '.join(f'{ds}:{tiles[ds]}' for ds in kept)} "
                        f"= {used} words exceed capacity {cap}")
        if cap and st.min_utilization and used < cap * st.min_utilization:
            errs.append(f"{st.name}: {used} words used < min_utilization {st.min_utilization}")
        if i == n - 1:
            for ds in workload.ds_names:
                if ds not in lm.keep:
                    errs.append(f"{st.name}: outermost level must keep {ds}")
        if constraints is not None and i < len(constraints.levels):
            errs += _level_violations(workload, st.name, lm, constraints.levels[i])
    # dimensions with residual factors (P=20,17) follow Timeloop's residual rule instead
    res_dims = {l.dim for lm in mapping.levels for l in list(lm.temporal) + list(lm.spatial)
                if l.residual is not None}
    errs += [p.message for p in residual_problems(mapping, bound)]
    for d in dims:
        if d not in res_dims and prod[d] != bound[d]:
            errs.append(f"factors of {d} multiply to {prod[d]}, bound is {bound[d]}")
    comp = arch.compute.meshX * arch.compute.meshY
    if total_sp > max(comp, arch.compute.instances):
        errs.append(f"{total_sp} parallel units used, {arch.compute.name} has {comp}")
    if constraints is not None:
        errs += _parallelism_violations(constraints, total_sp, total_fan)
    return errs


def _parallelism_violations(constraints: Constraints, used: int, fanout: int) -> list[str]:
    mins = [lc.min_utilization for lc in constraints.levels if lc.min_utilization]
    if mins and fanout and used < max(mins) * fanout - 1e-9:
        return [f"parallelism {used}/{fanout} below min {max(mins)}"]
    return []


def constraint_violations(workload: Workload, arch: Architecture, mapping: Mapping,
                          constraints: Constraints, factors_only: bool = False) -> list[str]:
    """Only the user constraints the mapping breaks (factors, permutations, split,
    keep/bypass, parallelism), not its fit to the hardware. `factors_only`: just
    exact and maximum factors, the part of Timeloop's `Constraints::SatisfiedBy`
    that timeloop-model holds even the mappings of its own mapper to (the corpus
    has a mapper result whose loop order differs from its permutation constraint)."""
    errs: list[str] = []
    used = fanout = 1
    for i, (st, lm) in enumerate(zip(arch.storage, mapping.levels)):
        fx, fy = arch.fanout(i)
        fanout *= fx * fy
        used *= math.prod(l.end for l in lm.spatial if l.spatial in ("X", "Y"))
        if i < len(constraints.levels):
            errs += _level_violations(workload, st.name, lm, constraints.levels[i], factors_only)
    if factors_only:
        return errs
    return errs + _parallelism_violations(constraints, used, fanout)


def _level_violations(workload: Workload, name: str, lm, lc, factors_only: bool = False
                      ) -> list[str]:
    """Violations of one level's constraints `lc` by its loops and keep set `lm`."""
    errs: list[str] = []
    dims = workload.dimensions
    bound = workload.bound_map
    tf = {}
    for l in lm.temporal:
        tf[l.dim] = tf.get(l.dim, 1) * l.end
    sf = {}
    for l in lm.spatial:
        sf[l.dim] = sf.get(l.dim, 1) * l.end
    for kind, fbs, fac in (("temporal", lc.temporal_factors, tf),
                           ("spatial", lc.spatial_factors, sf)):
        listed = set()
        for fb in fbs:
            listed.add(fb.dim)
            v = fac.get(fb.dim, 1)
            if fb.exact and fb.exact <= bound.get(fb.dim, 0) and v != fb.exact:
                errs.append(f"{name}: {kind} factor {fb.dim}={v}, constraint {fb.dim}={fb.exact}")
            if fb.min is not None and v < fb.min and not factors_only:
                errs.append(f"{name}: {kind} factor {fb.dim}={v} < {fb.min}")
            if fb.max is not None and v > fb.max:
                errs.append(f"{name}: {kind} factor {fb.dim}={v} > {fb.max}")
        if kind == "temporal" and not factors_only:
            for d in dims:
                if d in listed:
                    continue
                v = fac.get(d, 1)
                if lc.default_max_factor and v > lc.default_max_factor:
                    errs.append(f"{name}: temporal factor {d}={v} > default_max_factor")
                if lc.default_min_factor and v < lc.default_min_factor:
                    errs.append(f"{name}: temporal factor {d}={v} < default_min_factor")
    if factors_only:
        return errs
    nonunit_t = {d for d, v in tf.items() if v > 1}
    order_t = [l.dim for l in lm.temporal]
    if not _order_ok(order_t, lc.temporal_permutation_prefix,
                     lc.temporal_permutation_suffix, nonunit_t):
        errs.append(f"{name}: temporal order {''.join(order_t)} violates permutation "
                    f"{lc.temporal_permutation_prefix}_{lc.temporal_permutation_suffix}")
    nonunit_s = {d for d, v in sf.items() if v > 1}
    if lc.split is not None and nonunit_s:
        full = (lc.spatial_permutation_prefix
                + "".join(d for d in dims if d not in lc.spatial_permutation_prefix
                          and d not in lc.spatial_permutation_suffix)
                + lc.spatial_permutation_suffix)
        if len(lc.spatial_permutation_prefix) + len(lc.spatial_permutation_suffix) >= len(dims):
            for l in lm.spatial:
                if l.end > 1:
                    want = "X" if full.index(l.dim) < lc.split else "Y"
                    if l.spatial != want:
                        errs.append(f"{name}: spatial {l.dim} on {l.spatial}, split says {want}")
    for ds in lc.keep:
        if ds in workload.ds_names and ds not in lm.keep:
            errs.append(f"{name}: {ds} must be kept")
    for ds in lc.bypass:
        if ds in lm.keep:
            errs.append(f"{name}: {ds} must be bypassed")
    return errs
