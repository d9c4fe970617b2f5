"""Mappings carried from one layer to another of the same design.

Layers of one network share their structure (ResNet-50's 1x1 convolutions differ in
C, M and the feature map, not in how they map best), so one layer's best mapping,
refitted to another layer's dimensions, is often a better start than any the other
layer's own search found within its budget (docs/networks.md, "Second searches").

    describe(mapping) -> list[dict]        # plain and shape-free (JSON, the cache)
    fit(space, described) -> Candidate | None

`fit` keeps, per level and slot, the largest divisor of what is left of the dimension
that does not exceed the source's factor (innermost slots first, a level's fan-out
before its temporal loops), and gives the rest to the outermost level; loop orders and
kept data spaces carry over. A source whose levels, dimensions or data spaces differ, or
whose refit breaks a capacity or fan-out, gives None.
"""
from __future__ import annotations

from typing import Any

from loopnest.ir.mapping import Mapping
from loopnest.mapper.mapspace import SX, SY, T, Candidate, MapSpace, Tiling, divisors, make_perm

_KIND = {None: T, "X": SX, "Y": SY}


def describe(mapping: Mapping) -> list[dict[str, Any]]:
    """Per storage level (inner first): temporal loops inner first as [dim, end],
    spatial loops as [dim, end, "X"|"Y"], and the kept data spaces."""
    out = []
    for lm in mapping.levels:
        out.append({
            "temporal": [[lp.dim, lp.end] for lp in lm.temporal if lp.end > 1],
            "spatial": [[lp.dim, lp.end, lp.spatial] for lp in lm.spatial if lp.end > 1],
            "keep": sorted(lm.keep),
        })
    return out


def fit(space: MapSpace, described: list[dict[str, Any]]) -> Candidate | None:
    """The described mapping refitted to `space`'s workload (module doc), or None."""
    if len(described) != space.nlevels:
        return None
    idx = {d: k for k, d in enumerate(space.dims)}
    names = set(space.workload.ds_names)
    nd = len(space.dims)
    src = [[[1] * nd for _ in range(3)] for _ in range(space.nlevels)]
    orders: list[list[int]] = []
    keep: list[frozenset[str]] = []
    try:
        for i, lv in enumerate(described):
            for dim, end in lv["temporal"]:
                src[i][T][idx[dim]] *= int(end)
            for dim, end, axis in lv["spatial"]:
                src[i][_KIND[axis]][idx[dim]] *= int(end)
            orders.append([idx[dim] for dim, _ in lv["temporal"]])
            kept = frozenset(lv["keep"])
            if not kept <= names:
                return None
            keep.append(kept)
    except (KeyError, TypeError, ValueError):
        return None
    bound = space.workload.bound_map
    f = [[[1] * nd for _ in range(3)] for _ in range(space.nlevels)]
    for d, name in enumerate(space.dims):
        left = bound[name]
        # innermost first; a level's fan-out sits inside its temporal loops
        slots = sorted(space.dim_slots(d), key=lambda s: (s[0], s[1] == T))
        top = max(i for i, k in slots if k == T)
        for i, k in slots:
            if (i, k) == (top, T):
                continue
            want = src[i][k][d]
            g = max(x for x in divisors(left) if x <= want)
            f[i][k][d] = g
            left //= g
        f[top][T][d] = left
    tiling = Tiling(f)
    perms = []
    for i in range(space.nlevels):
        movable = set(space.perm_free(i)[0])
        perms.append(make_perm(space, i, tiling,
                               [d for d in orders[i] if f[i][T][d] > 1 and d in movable]))
    cand = Candidate(tiling, perms, keep)
    from loopnest.mapper.moves import feasible

    return cand if feasible(space, cand) else None
