"""The search's fast feasibility check agrees with a plain statement of the rules
on random candidates, feasible and not (tiny fixtures, no /work/shared)."""
from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.mapper.designs import conv1d_oc, matmul, shared_rf, three_level  # noqa: E402
from loopnest.ir.constraints import Constraints, FactorBound, LevelConstraints  # noqa: E402
from loopnest.mapper import moves  # noqa: E402
from loopnest.mapper.mapspace import (SX, SY, T, Candidate, Tiling, build_mapspace,  # noqa: E402
                                      prime_factors)


def _reference(space, cand) -> bool:
    """Every rule, level by level, as the CP-SAT model states it."""
    f = cand.tiling.f
    nd = len(space.dims)
    par = 1
    for i, lv in enumerate(space.levels):
        fi = f[i]
        for d in range(nd):
            if not lv.bounds[T][d].admits(fi[T][d]):
                return False
            for kind in (SX, SY):
                if fi[kind][d] > 1 and not lv.spatial_allowed[kind - 1][d]:
                    return False
            if fi[SX][d] > 1 and fi[SY][d] > 1:
                return False
            if not lv.bounds[SX][d].admits(fi[SX][d] * fi[SY][d]):
                return False
        px, py = math.prod(fi[SX]), math.prod(fi[SY])
        if px > lv.fanout[0] or py > lv.fanout[1]:
            return False
        par *= px * py
        if not lv.keep_fixed <= cand.keep[i] or lv.bypass_fixed & cand.keep[i]:
            return False
        if i < len(space.levels) - 1:
            used = space.used_words(cand.tiling, i, cand.keep[i])
            if lv.capacity is not None and used > lv.capacity or used < lv.min_used:
                return False
    if space.min_parallelism:
        total = math.prod(lv.fanout[0] * lv.fanout[1] for lv in space.levels)
        if par < space.min_parallelism * total - 1e-9:
            return False
    return True


def _random_candidate(space, rng: random.Random) -> Candidate:
    """Prime factors of every bound dealt to random slots; random keep sets."""
    nd = len(space.dims)
    f = [[[1] * nd for _ in range(3)] for _ in space.levels]
    slots = [(i, k) for i in range(len(space.levels)) for k in (T, SX, SY)]
    slots += [(len(space.levels) - 1, T)] * 6  # lean outwards, so small buffers often fit
    for d, b in enumerate(space.workload.bounds):
        for p, e in prime_factors(b):
            for _ in range(e):
                i, k = rng.choice(slots)
                f[i][k][d] *= p
    names = [ds.name for ds in space.workload.data_spaces]
    keep = [frozenset(n for n in names if rng.random() < 0.6) for _ in space.levels]
    if rng.random() < 0.8:  # mostly within the fixed keeps and bypasses
        keep = [(k | lv.keep_fixed) - lv.bypass_fixed for k, lv in zip(keep, space.levels)]
    keep[-1] = frozenset(names)
    tiling = Tiling(f)
    return Candidate(tiling, moves.random_orders(space, tiling, rng), keep)


def _constrained(wl) -> Constraints:
    d0, d1 = wl.dimensions[0], wl.dimensions[1]
    return Constraints((
        LevelConstraints(temporal_factors=(FactorBound(d1, max=4),),
                         keep=frozenset({wl.data_spaces[0].name})),
        LevelConstraints(spatial_factors=(FactorBound(d0, max=2),),
                         temporal_factors=(FactorBound(d0, min=2),),
                         bypass=frozenset({wl.data_spaces[1].name})),
        LevelConstraints(min_utilization=0.25),
    ))


@pytest.mark.parametrize("wl", [conv1d_oc(), matmul()], ids=["conv1d", "matmul"])
@pytest.mark.parametrize("arch", [three_level(rf_words=48, pes=(4, 2)), shared_rf((4, 2))],
                         ids=["pe-array", "shared-rf"])
@pytest.mark.parametrize("constrained", [False, True], ids=["free", "constrained"])
def test_fast_feasibility_equals_the_rules(wl, arch, constrained) -> None:
    cons = _constrained(wl) if constrained else Constraints(
        tuple(LevelConstraints() for _ in arch.storage))
    space = build_mapspace(wl, arch, cons)
    rng = random.Random(11)
    verdicts = []
    for _ in range(3000):
        c = _random_candidate(space, rng)
        fast = moves.feasible(space, c)
        assert fast == _reference(space, c), c
        verdicts.append(fast)
    assert 0 < sum(verdicts) < len(verdicts)  # both answers were exercised


@pytest.mark.parametrize("wl", [conv1d_oc(), matmul()], ids=["conv1d", "matmul"])
def test_neighbours_leave_their_parent_unchanged(wl) -> None:
    # Factor moves share the levels they do not touch with the parent (copy on write):
    # a neighbour must never change its parent, and must keep every dimension's product.
    arch = three_level(rf_words=48, pes=(4, 2))
    space = build_mapspace(wl, arch, Constraints(tuple(LevelConstraints() for _ in arch.storage)))
    rng = random.Random(5)
    for d in range(len(space.dims)):  # the cached per-dimension slots follow the rules
        assert space.dim_slots(d) == [t for t in space.slots() if moves._slot_ok(space, t, d)]
    changed = 0
    for _ in range(300):
        parent = _random_candidate(space, rng)
        before = parent.key()
        for move in (moves.move_factor, moves.move_chunk, moves.swap_factors, moves.move_perm):
            new = move(space, parent, rng)
            if new is None:
                continue
            assert parent.key() == before
            assert parent._key is None or parent._key == before
            for d, b in enumerate(space.workload.bounds):
                assert math.prod(lv[k][d] for lv in new.tiling.f for k in (T, SX, SY)) == b
            changed += new.tiling.key() != parent.tiling.key()
        parent._key = parent.tiling._key = None  # recompute from the lists, not the caches
        assert parent.key() == before
    assert changed > 300
