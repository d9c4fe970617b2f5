"""Mapper unit tests on tiny hand-built designs (no /work/shared needed)."""
from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.mapper.designs import (conv1d_oc, matmul, no_constraints, tables, three_level,  # noqa: E402
                                     weights_too_big)
from loopnest.errors import MapperError  # noqa: E402
from loopnest.ir.constraints import Constraints, FactorBound, LevelConstraints  # noqa: E402
from loopnest.mapper import moves  # noqa: E402
from loopnest.mapper.bound import distinct_elements  # noqa: E402
from loopnest.mapper.checker import check_mapping  # noqa: E402
from loopnest.mapper.cpsat import TilingModel  # noqa: E402
from loopnest.mapper.mapspace import (Candidate, build_mapspace, divisors, extents,  # noqa: E402
                                      footprint, prime_factors)
from loopnest.mapper.objective import better, parse_metrics  # noqa: E402
from loopnest.mapper.search import SearchOptions, run_search  # noqa: E402


def _model_fn(wl, arch, tb):
    pytest.importorskip("loopnest.model.evaluate")
    from loopnest.mapper.scoring import model_batch_fn

    return model_batch_fn(wl, arch, tb)


def test_factorization_helpers():
    assert prime_factors(56) == ((2, 3), (7, 1))
    assert divisors(12) == (1, 2, 3, 4, 6, 12)


def test_sliding_window_footprint():
    wl = conv1d_oc(K=4, R=3, P=16)
    fp = footprint(wl, [2, 3, 4])  # K, R, P
    assert fp == {"Weights": 6, "Inputs": 6, "Outputs": 8}  # Inputs: 3 + 4 - 1


def test_distinct_elements_with_halo():
    wl = conv1d_oc()
    assert distinct_elements(wl, wl.data_space("Inputs")) == 18


def test_cpsat_tilings_respect_capacity_exactly():
    """Every CP-SAT tiling fits: capacity uses the halo footprint, not a log estimate."""
    wl, arch = conv1d_oc(), three_level(rf_words=20, pes=(2, 2))
    cons = Constraints((LevelConstraints(keep=frozenset({"Inputs", "Weights", "Outputs"})),
                        LevelConstraints(), LevelConstraints()))
    sp = build_mapspace(wl, arch, cons)
    tm = TilingModel(sp)
    rng = random.Random(1)
    for _ in range(15):
        tm.set_objective([rng.random() for _ in range(3)], rng.random())
        til, keep, st = tm.solve(1.0)
        assert til is not None, st
        ext = extents(sp, til)
        fp = footprint(wl, ext[0])
        assert sum(fp[d] for d in keep[0]) <= 20
        cand = Candidate(til, moves.random_orders(sp, til, rng), keep)
        assert moves.feasible(sp, cand)
        assert check_mapping(wl, arch, sp.to_mapping(cand), cons) == []
        tm.add_nogood(til)


def test_cpsat_enumerates_exactly_the_feasible_tilings():
    """No-good enumeration of CP-SAT equals brute force over factor assignments."""
    wl, arch = conv1d_oc(K=4, R=3, P=4), three_level(rf_words=6)
    cons = Constraints((LevelConstraints(keep=frozenset({"Inputs", "Weights", "Outputs"})),
                        LevelConstraints(keep=frozenset({"Inputs"})), LevelConstraints()))
    sp = build_mapspace(wl, arch, cons)
    tm = TilingModel(sp)
    tm.set_objective([0, 0, 0], 0)
    seen = set()
    while True:
        til, keep, st = tm.solve(2.0)
        if til is None:
            break
        seen.add(til.key())
        tm.add_nogood(til)
    brute = set()
    for k0, r0, p0 in itertools.product(divisors(4), divisors(3), divisors(4)):
        for k1, r1, p1 in itertools.product(divisors(4 // k0), divisors(3 // r0), divisors(4 // p0)):
            f = [[[k0, r0, p0], [1] * 3, [1] * 3], [[k1, r1, p1], [1] * 3, [1] * 3],
                 [[4 // k0 // k1, 3 // r0 // r1, 4 // p0 // p1], [1] * 3, [1] * 3]]
            fp = footprint(wl, [k0, r0, p0])
            if sum(fp.values()) <= 6:
                from loopnest.mapper.mapspace import Tiling
                brute.add(Tiling(f).key())
    assert seen == brute


def test_infeasible_constraints_are_explained():
    sp = build_mapspace(conv1d_oc(), three_level(rf_words=8), weights_too_big())
    with pytest.raises(MapperError) as e:
        run_search(sp, tables(), lambda maps: [], SearchOptions(timeout=5, quiet=True))
    msg = e.value.format()
    assert "Weights tile of 24 words exceeds RegisterFile (8 words)" in msg
    assert "K=8" in msg and "R=3" in msg


def test_conflicting_factor_bounds_named():
    cons = Constraints((LevelConstraints(temporal_factors=(FactorBound("P", min=8),)),
                        LevelConstraints(temporal_factors=(FactorBound("P", exact=4),)),
                        LevelConstraints()))
    sp = build_mapspace(conv1d_oc(), three_level(), cons)
    with pytest.raises(MapperError) as e:
        run_search(sp, tables(), lambda maps: [], SearchOptions(timeout=5, quiet=True))
    msg = e.value.format()
    assert "RegisterFile temporal factors P>=8" in msg and "GlobalBuffer temporal factors P=4" in msg


def test_checker_catches_violations():
    wl, arch = conv1d_oc(), three_level(rf_words=8, pes=(2, 1))
    sp = build_mapspace(wl, arch, no_constraints())
    tm = TilingModel(sp)
    til, keep, _ = tm.solve(1.0)
    cand = Candidate(til, moves.random_orders(sp, til, random.Random(0)), keep)
    good = sp.to_mapping(cand)
    assert check_mapping(wl, arch, good) == []
    bad = cand.copy()
    bad.tiling.f[0][0][0] *= 2  # K over-factorized
    bad.keep[0] = frozenset(wl.ds_names)
    errs = check_mapping(wl, arch, sp.to_mapping(bad))
    assert any("multiply" in e for e in errs)


def test_metrics_and_comparison():
    assert parse_metrics({"optimization_metric": ["delay", "energy"]}) == ("edp",)
    assert parse_metrics({"optimization_metrics": ["delay", "energy"]}) == ("delay", "energy")
    assert better((100.0, 5.0), (100.05, 9.0))  # within 0.1 % -> next metric decides
    assert not better((100.0, 9.0), (100.05, 5.0))
    with pytest.raises(MapperError):
        parse_metrics({"optimization_metrics": ["speed"]})


def test_search_is_valid_deterministic_and_bounded():
    wl, arch, tb = conv1d_oc(), three_level(rf_words=64, pes=(4, 2)), tables()
    fn = _model_fn(wl, arch, tb)
    sp = build_mapspace(wl, arch, no_constraints())
    opts = SearchOptions(timeout=30, search_size=300, seed=3, quiet=True)
    a = run_search(sp, tb, fn, opts)
    b = run_search(sp, tb, fn, opts)
    assert a.result is not None and a.result.valid
    assert check_mapping(wl, arch, a.mapping, sp.constraints) == []
    assert a.candidate.key() == b.candidate.key()  # same seed, one thread
    assert a.bound.energy <= a.result.energy + 1e-6
    assert a.bound.cycles <= a.result.cycles
    assert a.gap is not None and a.gap >= 0


def test_exhaustive_small_space_gap_zero():
    """Fixed tiling, free bypass: the space is enumerated, the optimum proven (gap 0)."""
    wl, arch, tb = conv1d_oc(), three_level(), tables()
    fn = _model_fn(wl, arch, tb)
    fixed = [{"K": 2, "R": 3, "P": 1}, {"K": 16, "R": 1, "P": 16}, {"K": 1, "R": 1, "P": 1}]
    cons = Constraints(tuple(
        LevelConstraints(temporal_factors=tuple(FactorBound(d, exact=v) for d, v in f.items()),
                         temporal_permutation_prefix="PRK" if i else "RPK")
        for i, f in enumerate(fixed)))
    sp = build_mapspace(wl, arch, cons)
    out = run_search(sp, tb, fn, SearchOptions(timeout=30, quiet=True))
    assert out.exhaustive and out.status == "OPTIMAL" and out.gap == 0.0
    # Brute force over the 64 keep masks agrees.
    best = None
    from loopnest.mapper.objective import cost
    for mask in itertools.product([0, 1], repeat=6):
        keep = [frozenset(d for d, m in zip(wl.ds_names, mask[3 * i:3 * i + 3]) if m)
                for i in range(2)] + [frozenset(wl.ds_names)]
        cand = Candidate(out.candidate.tiling, out.candidate.perms, keep)
        if not moves.feasible(sp, cand):
            continue
        r = fn([sp.to_mapping(cand)])[0]
        c = cost(r, ("edp",))
        best = c if best is None or c < best else best
    assert abs(best[0] - out.result.energy * out.result.cycles) <= 1e-9 * best[0]
    assert check_mapping(wl, arch, out.mapping, cons) == []


def test_log_oaves_rows():
    """log_oaves: one row per level-0 footprint, Timeloop's column layout, exact numbers."""
    wl, arch, tb = conv1d_oc(), three_level(rf_words=64, pes=(2, 1)), tables()
    fn = _model_fn(wl, arch, tb)
    sp = build_mapspace(wl, arch, no_constraints())
    out = run_search(sp, tb, fn, SearchOptions(timeout=30, search_size=400, seed=1, quiet=True,
                                               log_oaves=True))
    assert len(out.oaves) >= 2
    foot = set()
    import csv

    for cells in csv.reader(out.oaves):
        assert len(cells) == 3 + 2 * len(wl.data_spaces) + 1
        util = [int(x) for x in cells[3:6]]
        assert int(cells[0]) == sum(util)  # total level-0 bytes = sum per data space
        acc = [int(x) for x in cells[6:9]]
        assert int(cells[2]) == sum(acc) > 0
        assert cells[-1].startswith("L0[") and " - L1[" in cells[-1]
        foot.add(tuple(util))
    assert len(foot) == len(out.oaves)


def test_max_overbooked_proportion_uses_sparse_occupancy():
    """On an overbooking level, tiles count ceil(density * words) against the capacity."""
    import dataclasses

    wl = dataclasses.replace(conv1d_oc(K=8, R=3, P=2), densities=(("Weights", 0.5),))
    base = three_level(rf_words=8)
    rf = dataclasses.replace(base.storage[0], allow_overbooking=True)
    arch = dataclasses.replace(base, storage=(rf,) + base.storage[1:])

    def largest_tile(over):
        cons = Constraints((LevelConstraints(keep=frozenset({"Weights"}),
                                             bypass=frozenset({"Inputs", "Outputs"}),
                                             max_overbooked_proportion=over),
                            LevelConstraints(), LevelConstraints()))
        sp = build_mapspace(wl, arch, cons)
        tm = TilingModel(sp)
        tm.set_objective([1.0, 0, 0], 0)  # largest extents at the register file
        til, keep, st = tm.solve(2.0)
        assert st == "OPTIMAL"
        cand = Candidate(til, moves.random_orders(sp, til, random.Random(0)), keep)
        assert moves.feasible(sp, cand)
        assert check_mapping(wl, arch, sp.to_mapping(cand), cons) == []
        return footprint(wl, extents(sp, til)[0])["Weights"]

    # Weights tiles are K*R in {1, 2, 3, 4, 6, 8, 12, 24}; at density 0.5 a 12-word tile
    # occupies 6 of the 8 words, 24 would need 12.
    assert largest_tile(None) == 8 and largest_tile(0.1) == 12


def test_threads_anneal_in_worker_processes():
    """threads > 1: a round's annealing runs go to worker processes; results stay valid."""
    wl, arch, tb = conv1d_oc(K=16), three_level(rf_words=32, pes=(4, 2)), tables()
    fn = _model_fn(wl, arch, tb)
    sp = build_mapspace(wl, arch, no_constraints())
    out = run_search(sp, tb, fn, SearchOptions(timeout=20, threads=2, seed=0, quiet=True,
                                               anneal_steps=200, search_size=300,
                                               evaluator="surrogate"))
    assert out.result is not None and out.result.valid and out.estimated > 100
    assert check_mapping(wl, arch, out.mapping, sp.constraints) == []
    assert out.bound.energy <= out.result.energy


def test_innermost_level_loop_order_is_searched_and_bounded():
    """One buffer straight above two MACs (like corpus case r0087): which loop is
    innermost decides which operand stays put between computes, so its order matters;
    the search must try it and the bound must stay below every order."""
    from loopnest.energy.tables import ComponentCost, CostTables
    from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
    from loopnest.mapper.bound import lower_bound
    from loopnest.mapper.mapspace import Tiling
    from loopnest.mapper.search import _spatial_maxima
    from loopnest.model.evaluate import evaluate

    wl = matmul(M=16, N=9, K=15)
    arch = Architecture(
        storage=(StorageLevel("Buffer", cls="SRAM", word_bits=8, block_size=3, size=768,
                              read_bandwidth=2, write_bandwidth=1),),
        compute=ComputeLevel("MACC", instances=2, meshX=2, meshY=1, word_bits=8))
    tb = CostTables()
    tb.components["Buffer"] = ComponentCost("Buffer", {"read": 3.0, "write": 3.0,
                                                       "update": 3.0, "leak": 0.0})
    tb.components["MACC"] = ComponentCost("MACC", {"compute": 1.0})
    sp = build_mapspace(wl, arch, no_constraints(1))
    m = wl.dimensions.index("M")
    f = [[list(wl.bounds), [1, 1, 1], [1, 1, 1]]]
    f[0][0][m], f[0][1][m] = 8, 2  # M: 8 in time, 2 across the MACs
    til = Tiling(f)
    keep = [frozenset(wl.ds_names)]
    res = {}
    for order in itertools.permutations(range(3)):
        c = Candidate(til, [tuple(order)], keep)
        res[order] = evaluate(wl, arch, sp.to_mapping(c), tb)
    edps = {o: r.energy * r.cycles for o, r in res.items()}
    best = min(edps, key=edps.get)
    assert len(set(round(v, 6) for v in edps.values())) > 1  # the order matters
    assert best[0] == m  # M innermost: B (not indexed by M) is read once per 8 computes
    tm = TilingModel(sp)
    par, proven = tm.max_parallelism()
    b = lower_bound(sp, tb, par, proven, _spatial_maxima(tm))
    assert all(b.energy <= r.energy + 1e-9 and b.cycles <= r.cycles for r in res.values())
    # The buffer serves every operand itself (2160 computes, read 2 / write 1 word per
    # cycle; only M has a factor of 2 for the two MACs). K innermost: Z updates 144,
    # A read 2160, B read 2160 / 2 (multicast over M) -> (2160 + 1080) / 2 = 1620 cycles;
    # M innermost: Z 2160 updates -> 2160; N innermost: Z 2160 -> 2160.
    assert b.cycles == 1620
    out = run_search(sp, tb, _model_fn(wl, arch, tb), SearchOptions(timeout=30, quiet=True))
    assert out.exhaustive and out.status == "OPTIMAL"
    assert out.result.energy * out.result.cycles <= min(edps.values()) * (1 + 1e-12)
