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
