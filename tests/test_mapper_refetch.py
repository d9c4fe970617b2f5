"""Capacity-forced re-fetches from the outermost level (refetch.py): pass counts by hand,
CP-SAT's verdict on configurations, and a bound that still holds over every mapping
(exhaustive search on a tiny space) while it rises above the one-fetch bound."""
from __future__ import annotations

import itertools
import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.mapper.designs import (conv1d_oc, matmul, no_constraints,  # noqa: E402
                                     tables, three_level)
from loopnest.ir.constraints import Constraints, LevelConstraints  # noqa: E402
from loopnest.mapper.bound import lower_bound  # noqa: E402
from loopnest.mapper.cpsat import TilingModel  # noqa: E402
from loopnest.mapper import moves  # noqa: E402
from loopnest.mapper.mapspace import T, Candidate, Tiling, build_mapspace, divisors  # noqa: E402
from loopnest.mapper.moves import all_orders  # noqa: E402
from loopnest.mapper.refetch import _reuse, _times, least_refetch  # noqa: E402
from loopnest.mapper.scoring import model_batch_fn  # noqa: E402
from loopnest.mapper.search import SearchOptions, _spatial_maxima, run_search  # noqa: E402


def _reuses(wl):
    return {ds.name: _reuse(wl, ds) for ds in wl.data_spaces}


def test_passes_of_plain_data_spaces_by_hand():
    """Outermost loops N (outer) then M, each of factor 2, on Z[m,n] += A[m,k] B[k,n]."""
    wl = matmul()
    m, n = wl.dimensions.index("M"), wl.dimensions.index("N")
    u = _reuses(wl)
    fmin = {m: 2, n: 2}
    order = (n, m)
    # A (M, K): N sits outside its innermost relevant loop M -> two passes
    assert _times(order, u["A"], fmin, unswept=True) == 2.0
    # B (K, N): M sits inside N, its only relevant loop up there -> one pass
    assert _times(order, u["B"], fmin, unswept=True) == 1.0
    # ... but with a relevant loop below them all, M repeats every pass
    assert _times(order, u["B"], fmin, unswept=False) == 2.0
    # Z (M, N): nothing irrelevant up there -> one pass, drained once
    assert _times(order, u["Z"], fmin, unswept=True) == 1.0
    # nothing relevant above its keeper: fetched once whatever repeats
    assert _times((n,), u["A"], fmin, unswept=True) == 1.0


def test_passes_of_a_sliding_window_share_the_overlap():
    """conv1d Inputs[r+p] (R=3, P=16: 18 elements), outermost loops K then P: a pass over
    P keeps at most the 3 - 1 = 2 coordinates its first and last tiles can share, so
    the second pass (K = 2) fetches at least 16 of the 18 again."""
    wl = conv1d_oc(K=32, R=3, P=16)
    k, p = wl.dimensions.index("K"), wl.dimensions.index("P")
    u = _reuses(wl)["Inputs"]
    assert u.kept[p] == pytest.approx(2 / 18)
    assert _times((k, p), u, {k: 2, p: 2}, unswept=True) == pytest.approx(1 + 16 / 18)
    # K inside P: every pass covers a P tile only, nothing counted again
    assert _times((p, k), u, {k: 2, p: 2}, unswept=True) == 1.0


def _small_buffer(words: int):
    """three_level with a `words`-word global buffer and word-wide main memory (500 pJ
    a word, so that keeping data on chip pays)."""
    arch = three_level(rf_words=4, pes=(2, 1))
    glb = replace(arch.storage[1], size=words, block_size=1)
    return replace(arch, storage=(arch.storage[0], glb, replace(arch.storage[2], block_size=1)))


def _keep_all_at_glb(wl) -> Constraints:
    return Constraints((LevelConstraints(), LevelConstraints(keep=frozenset(wl.ds_names)),
                        LevelConstraints()))


def test_cp_sat_rules_out_configurations_that_do_not_fit():
    """A 16-word global buffer and 8-word register files cannot hold a 8x4x4 matmul's
    416 words: with no loop at the outermost level (or only K there) no tiling keeps
    every data space unswept; without that request, bypassing the buffers is possible."""
    wl = matmul(M=8, N=4, K=4)
    sp = build_mapspace(wl, _small_buffer(16), no_constraints())
    tm = TilingModel(sp)
    every = frozenset(range(3))
    names = frozenset(wl.ds_names)
    assert not tm.top_feasible(frozenset(), names)
    assert tm.top_feasible(frozenset(), frozenset())
    assert tm.top_feasible(every, frozenset())
    assert tm.top_feasible(every, names)
    assert not tm.top_feasible(frozenset({wl.dimensions.index("K")}), names)


def _every_mapping(sp):
    """Every valid candidate of a tiny space: tilings x free keeps x loop orders."""
    wl = sp.workload
    slots = [(i, k) for i, k in sp.slots()
             if k == T or any(sp.levels[i].spatial_allowed[k - 1])]
    per_dim = []
    for d, b in enumerate(wl.bounds):
        ways = []
        for split in itertools.product(divisors(b), repeat=len(slots)):
            if math.prod(split) == b and all(
                    q == 1 or k == T or sp.levels[i].spatial_allowed[k - 1][d]
                    for q, (i, k) in zip(split, slots)):
                ways.append(split)
        per_dim.append(ways)
    free = [(i, ds) for i, lv in enumerate(sp.levels) for ds in lv.keep_free]
    for splits in itertools.product(*per_dim):
        f = [[[1] * len(wl.bounds) for _ in range(3)] for _ in sp.levels]
        for d, split in enumerate(splits):
            for q, (i, k) in zip(split, slots):
                f[i][k][d] = q
        til = Tiling(f)
        for bits in itertools.product((False, True), repeat=len(free)):
            keep = [set(lv.keep_fixed) for lv in sp.levels]
            for (i, ds), on in zip(free, bits):
                if on:
                    keep[i].add(ds)
            keep = [frozenset(k) for k in keep]
            for perms in all_orders(sp, til, 10_000):
                c = Candidate(til, list(perms), keep)
                if moves.feasible(sp, c):
                    yield c


@pytest.mark.parametrize("wl,words", [(matmul(M=4, N=2, K=2), 6), (matmul(M=8, N=4, K=4), 8),
                                      (conv1d_oc(K=4, R=3, P=4), 8)],
                         ids=["matmul-6", "matmul-8", "conv1d-8"])
def test_refetch_bound_holds_over_every_mapping_and_binds(wl, words):
    """Every mapping of a space whose global buffer, which must keep everything, is too
    small for all of it: each one's energy is at or above the bound, which is above the
    one-fetch bound, and the search reports that bound."""
    tb = tables()
    sp = build_mapspace(wl, _small_buffer(words), _keep_all_at_glb(wl))
    tm = TilingModel(sp)
    par, proven = tm.max_parallelism()
    ms = _spatial_maxima(tm)
    once = lower_bound(sp, tb, par, proven, ms)
    bound = lower_bound(sp, tb, par, proven, ms,
                        least_refetch(sp, lambda c: tm.top_feasible(c.dims, c.unswept)))
    assert bound.energy > once.energy * 1.05
    fn = model_batch_fn(wl, sp.arch, tb)
    cands = list(_every_mapping(sp))
    assert len(cands) > 250
    best = min(r.energy for r in fn([sp.to_mapping(c) for c in cands]) if r.valid)
    assert best >= bound.energy * (1 - 1e-12)
    assert best <= bound.energy * 1.5  # and it is not vacuous
    out = run_search(sp, tb, fn, SearchOptions(metrics=("energy",), timeout=1, quiet=True))
    assert out.bound.energy == pytest.approx(bound.energy)
