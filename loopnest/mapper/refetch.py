"""Re-fetches from the outermost level that every mapping of a map space must make.

A data space kept on chip is fetched from the outermost level (DRAM) once per pass over
the temporal loops above its outermost on-chip keeper, less what the keeper still
holds when a pass starts: the last tile of the previous pass, of which only the part
shared with the pass's first tile counts. A relevant loop with a factor f >= 2 moves
those two tiles apart by (f - 1) x its tile, so in a rank that loop's dim d is in they
share at most 1 + sum of |c| (bound - 1) over the rank's other dims - |c_d| coordinates,
and nothing in a plain rank (one dim, coefficient 1). Every temporal loop irrelevant to
the data space that sits outside its relevant ones up there repeats the pass (for a
plain data space, outside its innermost relevant loop: tiles of consecutive passes are
disjoint; for a sliding-window one, outside its outermost, so that each pass covers all
of it). A read-write data space is also read back once per extra pass. Data spaces
whose ranks share a dim are left at one pass.

Which loops can sit up there is a matter of capacity, so CP-SAT decides it per
configuration: the dims with an outermost-level temporal factor > 1, and the data
spaces with no relevant temporal loop between their outermost on-chip keeper and the
outermost level ("unswept"; for the others a relevant loop lies inside every outermost
loop). Every mapping has one configuration; a configuration's cost (minimized over the
orders of its outermost loops, each factor at its dim's smallest prime) is at most any
of its mappings'. Configurations are tried cheapest first, and the first one CP-SAT
does not rule out gives the bound: every cheaper one is proven impossible. The cost
only grows with more outermost dims and fewer unswept data spaces, and feasibility only
shrinks, so one proven-infeasible configuration rules out every one it covers.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

from loopnest.ir.workload import DataSpace, Workload
from loopnest.mapper.bound import Refetch, _plain, distinct_elements
from loopnest.mapper.mapspace import T, MapSpace, prime_factors

MAX_DIMS = 7       # 7! orders of the outermost loops at most
MAX_QUERIES = 48   # CP-SAT feasibility checks; past them, the cheapest left is the bound


@dataclass(frozen=True)
class TopConfig:
    """Dims with an outermost-level temporal factor > 1; data spaces with no relevant
    temporal loop between their outermost on-chip keeper and the outermost level."""

    dims: frozenset[int]
    unswept: frozenset[str]


# feasible(config) is False only when no tiling of the space has the configuration.
Feasible = Callable[[TopConfig], bool]


def _candidates(space: MapSpace) -> list[int]:
    """Dims that may take an outermost-level temporal factor > 1."""
    top = space.levels[-1]
    out = []
    for d, b in enumerate(space.workload.bounds):
        bd = top.bounds[T][d]
        if b > 1 and bd.exact != 1 and (bd.max is None or bd.max >= 2):
            out.append(d)
    return out


@dataclass(frozen=True)
class _Reuse:
    """How passes over one data space cost: its relevant dims, whether its ranks are
    plain, and per relevant dim the fraction of its elements a pass need not fetch
    again when that dim's loop sweeps it."""

    name: str
    relevant: frozenset[int]
    plain: bool
    kept: dict[int, float]


def _reuse(wl: Workload, ds: DataSpace) -> _Reuse | None:
    """None for a data space whose ranks share a dim (left at one pass)."""
    dims = wl.dimensions
    seen: set[str] = set()
    for rank in ds.projection:
        names = {d for d, c in rank if c}
        if seen & names:
            return None
        seen |= names
    extent = [1 + sum(abs(c) * (wl.bound(d) - 1) for d, c in rank) for rank in ds.projection]
    dist = distinct_elements(wl, ds)
    kept = {}
    for r, rank in enumerate(ds.projection):
        for d, c in rank:
            if not c:
                continue
            others = 1 + sum(abs(c2) * (wl.bound(d2) - 1) for d2, c2 in rank if d2 != d)
            shared = max(0, others - abs(c)) * math.prod(e for k, e in enumerate(extent) if k != r)
            kept[dims.index(d)] = min(1.0, shared / max(1, dist))
    return _Reuse(ds.name, frozenset(kept), _plain(ds), kept)


def _times(order: tuple[int, ...], u: _Reuse, fmin: dict[int, int], unswept: bool) -> float:
    """Fetches of the data space, in units of its distinct elements, under outermost
    loops `order` (outer first), unswept or with a relevant loop below them all."""
    pos = [k for k, d in enumerate(order) if d in u.relevant]
    if unswept and not pos:
        return 1.0  # nothing relevant above its keeper: it is fetched once
    if u.plain:
        cut = pos[-1] if unswept else len(order)       # outside the innermost relevant
    else:
        cut = pos[0] if pos else len(order)            # outside the outermost relevant
    passes = math.prod(fmin[d] for d in order[:cut] if d not in u.relevant)
    if u.plain or passes == 1:
        return float(passes)
    # a pass sweeps every relevant dim in `order`, and when swept one more below
    swept = [u.kept[d] for d in order if d in u.relevant]
    shared = min(swept + ([] if unswept else [max(u.kept.values())]))
    return 1.0 + (passes - 1) * (1.0 - shared)


def least_refetch(space: MapSpace, feasible: Feasible,
                  max_queries: int = MAX_QUERIES) -> Refetch:
    """The `refetch` hook of `lower_bound`: the least data energy over configurations
    `feasible` does not rule out."""
    wl = space.workload
    dims = _candidates(space)
    reuse = [u for u in (_reuse(wl, ds) for ds in wl.data_spaces) if u is not None]
    fmin = {d: prime_factors(wl.bounds[d])[0][0] for d in dims}
    names = [u.name for u in reuse]

    def run(data_energy: Callable[[dict[str, float]], float]) -> float:
        if not reuse or len(dims) > MAX_DIMS:
            return data_energy({})
        memo: dict[tuple[float, ...], float] = {}

        def energy(times: tuple[float, ...]) -> float:
            if times not in memo:
                memo[times] = data_energy(dict(zip(names, times)))
            return memo[times]

        configs = []
        for k in range(len(dims) + 1):
            for sub in itertools.combinations(dims, k):
                orders = {(tuple(_times(o, u, fmin, True) for u in reuse),
                           tuple(_times(o, u, fmin, False) for u in reuse))
                          for o in itertools.permutations(sub)}
                for z in range(len(names) + 1):
                    for zs in itertools.combinations(range(len(names)), z):
                        c = min(energy(tuple(un[i] if i in zs else sw[i]
                                             for i in range(len(names))))
                                for un, sw in orders)
                        configs.append((c, TopConfig(frozenset(sub),
                                                     frozenset(names[i] for i in zs))))
        # cheapest first; among equals the most permissive, whose refutation covers most
        configs.sort(key=lambda t: (t[0], -len(t[1].dims), len(t[1].unswept)))
        ruled_out: list[TopConfig] = []
        queries = 0
        for c, cfg in configs:
            if any(cfg.dims <= r.dims and cfg.unswept >= r.unswept for r in ruled_out):
                continue
            if queries >= max_queries:
                return c  # every cheaper configuration is ruled out
            queries += 1
            if feasible(cfg):
                return c
            ruled_out.append(cfg)
        return data_energy({})  # nothing feasible at all: the search finds no mapping

    return run
