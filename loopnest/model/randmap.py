"""Random mappings of a workload onto an architecture (for tests and benchmarks).

Each dimension's bound is split into prime factors dealt at random to the
temporal and spatial (X/Y) slots of the levels; spatial factors only go where
the level's fan-out has room, so most results respect meshX/meshY (capacity is
not checked: callers filter with the model). Loop order and bypass are random.
"""
from __future__ import annotations

import random

from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.ir.workload import Workload


def _primes(n: int) -> list[int]:
    out, p = [], 2
    while n > 1 and p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def random_mapping(workload: Workload, arch: Architecture, rng: random.Random,
                   keep: list[frozenset[str]] | None = None, p_spatial: float = 0.3,
                   p_bypass: float = 0.3) -> Mapping:
    """One random mapping. `keep` fixes the kept data spaces per level (else random;
    the outermost level always keeps everything)."""
    N = len(arch.storage)
    dims = workload.dimensions
    fan = [arch.fanout(s) for s in range(N)]
    room = [[fx, fy] for fx, fy in fan]
    t_fac = [[1] * len(dims) for _ in range(N)]
    s_fac = [[[1] * len(dims), [1] * len(dims)] for _ in range(N)]
    for di, bound in enumerate(workload.bounds):
        for p in _primes(bound):
            s = rng.randrange(N)
            axis = rng.randrange(2)
            if rng.random() < p_spatial and room[s][axis] % p == 0 and room[s][axis] >= p:
                room[s][axis] //= p
                s_fac[s][axis][di] *= p
            else:
                t_fac[s][di] *= p
    names = workload.ds_names
    levels = []
    for s in range(N):
        order = list(range(len(dims)))
        rng.shuffle(order)
        temporal = tuple(Loop(dims[d], t_fac[s][d]) for d in order)
        spatial = []
        for axis, tag in ((0, "X"), (1, "Y")):
            o = list(range(len(dims)))
            rng.shuffle(o)
            spatial.extend(Loop(dims[d], s_fac[s][axis][d], tag) for d in o
                           if s_fac[s][axis][d] > 1)
        if keep is not None:
            kp = frozenset(keep[s])
        elif s == N - 1:
            kp = frozenset(names)
        else:
            kp = frozenset(n for n in names if rng.random() >= p_bypass)
        levels.append(LevelMapping(temporal=temporal, spatial=tuple(spatial), keep=kp,
                                   bypass=frozenset(names) - kp))
    return Mapping(levels=tuple(levels))


def imperfect_mapping(workload: Workload, arch: Architecture, rng: random.Random,
                      keep: list[frozenset[str]] | None = None, p_imperfect: float = 0.6,
                      p_spatial: float = 0.3, p_overshoot: float = 0.2) -> Mapping:
    """A random mapping with residual factors, drawn the way Timeloop's imperfect test
    cases are: for some dimensions, ends for the fan-outs and the inner temporal slots
    need not divide the bound (their product stays below it), the outermost temporal
    slot gets ceil(bound / product) (sometimes one more: an outermost end above its
    residual), and each residual is the mixed-radix digit of bound - 1, plus one."""
    base = random_mapping(workload, arch, rng, keep=keep, p_spatial=p_spatial)
    N = len(arch.storage)
    fan = [list(arch.fanout(s)) for s in range(N)]
    t_end = [{lp.dim: lp.end for lp in lv.temporal} for lv in base.levels]
    s_end = [{lp.dim: (lp.end, lp.spatial) for lp in lv.spatial} for lv in base.levels]
    for lv, lm in zip(fan, base.levels):
        for lp in lm.spatial:
            lv[0 if lp.spatial == "X" else 1] //= lp.end
    t_res: list[dict[str, int]] = [dict() for _ in range(N)]
    s_res: list[dict[str, int]] = [dict() for _ in range(N)]
    for d, bound in zip(workload.dimensions, workload.bounds):
        if bound < 3 or rng.random() >= p_imperfect:
            continue
        # slots outer -> inner: level temporal, then its fan-out; the top temporal is last
        slots: list[tuple[str, int]] = []
        for s in range(N - 1, -1, -1):
            if s < N - 1:
                slots.append(("t", s))
            if s_end[s].get(d) or (fan[s][0] > 1 or fan[s][1] > 1) and rng.random() < p_spatial:
                slots.append(("s", s))
        ends: dict[tuple[str, int], int] = {}
        prod = 1
        for kind, s in slots:
            if kind == "s":
                old, tag = s_end[s].get(d, (1, "X"))
                ax = 0 if tag == "X" else 1
                room = fan[s][ax] * old
                e = rng.randint(1, max(1, min(room, (bound - 1) // prod)))
                fan[s][ax] = room // e if e else room
                s_end[s][d] = (e, tag)
            else:
                e = rng.randint(1, max(1, min(8, (bound - 1) // prod)))
            if prod * e >= bound:
                e = 1
            ends[(kind, s)] = e
            prod *= e
        top = -(-bound // prod) + (1 if rng.random() < p_overshoot else 0)
        order = [("t", N - 1)] + slots
        ends[("t", N - 1)] = top
        rest = bound - 1
        for i, key in enumerate(order):
            below = 1
            for k2 in order[i + 1:]:
                below *= ends[k2]
            digit = rest // below
            rest -= digit * below
            kind, s = key
            (t_res if kind == "t" else s_res)[s][d] = min(digit + 1, ends[key])
            if kind == "t":
                t_end[s][d] = ends[key]
            elif ends[key] > 1:
                s_end[s][d] = (ends[key], s_end[s][d][1])
    levels = []
    for s, lm in enumerate(base.levels):
        temporal = tuple(Loop(lp.dim, t_end[s][lp.dim], None, t_res[s].get(lp.dim))
                         for lp in lm.temporal)
        spatial = tuple(Loop(d, e, tag, s_res[s].get(d)) for d, (e, tag) in s_end[s].items()
                        if e > 1)
        levels.append(LevelMapping(temporal=temporal, spatial=spatial, keep=lm.keep,
                                   bypass=lm.bypass))
    return Mapping(levels=tuple(levels))
