"""Sliding-window data spaces in evaluate_many: closed form (model/windows.py) == evaluate.

Hand-derived fills for small cases (the formula in windows.py's docstring), then
random mappings of strided/dilated convolutions on designs with two fan-out
levels (eyeriss-like) and with a 2-D fan-out grid (link transfers fire).
"""
from __future__ import annotations

import math
import random

import numpy as np

from loopnest.energy.tables import ComponentCost, CostTables
from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.ir.workload import DataSpace, Workload
from loopnest.model.batch import evaluate_many
from loopnest.model.evaluate import ModelOptions, evaluate
from loopnest.model.nestarrays import flatten
from loopnest.model.randmap import random_mapping


def _ds(name, ranks, rw=False):
    return DataSpace(name, tuple(tuple(r) for r in ranks), read_write=rw)


def conv1d(R=3, P=8, stride=1, dilation=1):
    return Workload("conv1d", ("R", "P"), (R, P), (
        _ds("Weights", [[("R", 1)]]),
        _ds("Inputs", [[("R", dilation), ("P", stride)]]),
        _ds("Outputs", [[("P", 1)]], rw=True)))


def conv2d(R=3, S=3, P=8, Q=4, C=2, M=4):
    """Stride 2 along W, dilation 2 along H."""
    return Workload("conv2d", ("R", "S", "P", "Q", "C", "M"), (R, S, P, Q, C, M), (
        _ds("Weights", [[("M", 1)], [("C", 1)], [("R", 1)], [("S", 1)]]),
        _ds("Inputs", [[("C", 1)], [("R", 1), ("P", 2)], [("S", 2), ("Q", 1)]]),
        _ds("Outputs", [[("M", 1)], [("P", 1)], [("Q", 1)]], rw=True)))


def _tables(names, compute="MAC"):
    t = CostTables()
    for i, n in enumerate(names):
        t.components[n] = ComponentCost(n, {"read": 1.0 + 2 * i, "write": 1.5 + 2 * i,
                                            "update": 1.7 + 2 * i, "leak": 0.002 * i})
    t.components[compute] = ComponentCost(compute, {"mac": 0.4})
    return t


def chain(levels: list[StorageLevel], mesh=(1, 1)):
    cp = ComputeLevel("MAC", instances=mesh[0] * mesh[1], meshX=mesh[0], meshY=mesh[1])
    return Architecture(tuple(levels), cp, "t"), _tables([lv.name for lv in levels])


def eyeriss_mini():
    """PE buffers on a 4x4 mesh, a column fan-out (Y) and a row fan-out (X) through two
    dummy levels, a global buffer, DRAM (the shape of the eyeriss_like design)."""
    return chain([
        StorageLevel("spad", size=48, instances=16, meshX=4, meshY=4, block_size=2),
        StorageLevel("col", size=1, instances=4, meshX=4, meshY=1, is_dummy=True),
        StorageLevel("row", size=1, instances=1, is_dummy=True),
        StorageLevel("GLB", size=2048, read_bandwidth=4.0, write_bandwidth=2.0, block_size=4),
        StorageLevel("DRAM", technology="DRAM", block_size=8)], mesh=(4, 4))


def grid():
    """One fan-out below GLB onto a 4x4 grid of buffers (neighbour links in X and Y)."""
    return chain([
        StorageLevel("buf", size=64, instances=16, meshX=4, meshY=4),
        StorageLevel("GLB", size=4096, shared_bandwidth=6.0),
        StorageLevel("DRAM", technology="DRAM", block_size=4)], mesh=(4, 4))


def lm(temporal=(), spatial=(), keep=("Weights", "Inputs", "Outputs")):
    """Loops given outer first, as one reads a loop nest."""
    t = tuple(Loop(d, e) for d, e in reversed(temporal))
    s = tuple(Loop(d, e, tag) for d, e, tag in reversed(spatial))
    return LevelMapping(temporal=t, spatial=s, keep=frozenset(keep))


def _fills(w, a, t, mp, level, name, options=None):
    """(exact, batched) fills of one level/data space."""
    r = evaluate(w, a, mp, t, options)
    assert r.valid, r.failure
    exact = next(d for d in r.storage[level].dataspaces if d.name == name)
    br = evaluate_many(w, a, [mp], t, options)
    assert not br.exact_fallback[0]
    return exact.fills, int(br.fills[0, level, w.ds_names.index(name)]), exact, br


def test_window_fills_hand_derived_unit_stride():
    # Buffer tile P=2 -> Inputs W extent 2; above: R (n=3) inside P (n=4).
    # t_R = 1, t_P = u_P - u_R = 2 - 1 = 1 = t_R: every step slides by 1 (diff = 1).
    # cnt_R = 2*4 = 8, cnt_P = 3, Ceq = 11, Pi = 12: W = 2*(12-11) + 1*11 = 13.
    w = conv1d(3, 8)
    a, t = chain([StorageLevel("Buf", size=64), StorageLevel("DRAM", technology="DRAM")])
    mp = Mapping((lm([("P", 2)]), lm([("P", 4), ("R", 3)])))
    exact, got, _, _ = _fills(w, a, t, mp, 0, "Inputs")
    assert exact == got == 13


def test_window_fills_hand_derived_stride_change():
    # Stride 2: tile W extent 3; t_R = 1, t_P = 2*2 - 1 = 3 != t_R, so each P step is a
    # stride change (whole tile): W = 3*(12 - 8) + (3 - 2)*8 = 20.
    w = conv1d(3, 8, stride=2)
    a, t = chain([StorageLevel("Buf", size=64), StorageLevel("DRAM", technology="DRAM")])
    mp = Mapping((lm([("P", 2)]), lm([("P", 4), ("R", 3)])))
    exact, got, _, _ = _fills(w, a, t, mp, 0, "Inputs")
    assert exact == got == 20


def test_window_fills_hand_derived_stationary_inner_loop():
    # Innermost loop above is irrelevant to Inputs (M): t_0 = 0 poisons the stored stride,
    # so every moving step refetches the whole tile: Ceq = cnt_M = 1*12, Pi = 24,
    # W = 2*(24 - 12) + 0*12 = 24 = 12 positions x 2 words.
    w = Workload("c", ("R", "P", "M"), (3, 8, 2), (
        _ds("Weights", [[("R", 1)], [("M", 1)]]),
        _ds("Inputs", [[("R", 1), ("P", 1)]]),
        _ds("Outputs", [[("P", 1)], [("M", 1)]], rw=True)))
    a, t = chain([StorageLevel("Buf", size=64), StorageLevel("DRAM", technology="DRAM")])
    mp = Mapping((lm([("P", 2)]), lm([("P", 4), ("R", 3), ("M", 2)])))
    exact, got, _, _ = _fills(w, a, t, mp, 0, "Inputs")
    assert exact == got == 24


def test_window_fills_hand_derived_new_stride_rule():
    # Same nest under the post-2025 rule: the stationary M steps are transparent, so the
    # analysis starts at R (t_R = 1) and P's move t_P = 2 - 1 = 1 matches: Ceq = 8 + 3,
    # prod of ends from R outward = 12: W = 2*(12 - 11) + 1*11 = 13 (old rule: 24).
    w = Workload("c", ("R", "P", "M"), (3, 8, 2), (
        _ds("Weights", [[("R", 1)], [("M", 1)]]),
        _ds("Inputs", [[("R", 1), ("P", 1)]]),
        _ds("Outputs", [[("P", 1)], [("M", 1)]], rw=True)))
    a, t = chain([StorageLevel("Buf", size=64), StorageLevel("DRAM", technology="DRAM")])
    mp = Mapping((lm([("P", 2)]), lm([("P", 4), ("R", 3), ("M", 2)])))
    exact, got, _, _ = _fills(w, a, t, mp, 0, "Inputs", ModelOptions(new_stride_rule=True))
    assert exact == got == 13


def test_window_multicast_groups_by_projected_offset():
    # Fan-out R3 x P2 (X) of one-point tiles: offsets r + p = {0,1,2,1,2,3}: 4 multicast
    # groups of 6 elements. DRAM's P4 loop moves the window by 2 (no overlap, whole tile):
    # 4 calls; GLB reads 4 groups x 4 = 16, each buffer is filled 6*4/6 = 4 words.
    w = conv1d(3, 8)
    a, t = chain([StorageLevel("buf", size=8, instances=6, meshX=6),
                  StorageLevel("GLB", size=256),
                  StorageLevel("DRAM", technology="DRAM")], mesh=(6, 1))
    mp = Mapping((lm(), lm(spatial=[("P", 2, "X"), ("R", 3, "X")]), lm([("P", 4)])))
    exact, got, _, br = _fills(w, a, t, mp, 0, "Inputs")
    assert exact == got == 4
    r = br.result(0)
    glb = next(d for d in r.storage[1].dataspaces if d.name == "Inputs")
    assert glb.reads == int(br.reads[0, 1, 1]) == 16


def _keeps(rng, n_levels, names, dummies=()):
    out = []
    for s in range(n_levels):
        if s == n_levels - 1:
            out.append(frozenset(names))
        elif s in dummies:
            out.append(frozenset())
        else:
            out.append(frozenset(x for x in names if rng.random() < 0.7))
    return out


def _check_many(w, a, t, maps, options=None):
    br = evaluate_many(w, a, maps, t, options)
    names = w.ds_names
    links = 0
    for i, mp in enumerate(maps):
        r = evaluate(w, a, mp, t, options)
        assert bool(br.valid[i]) == r.valid, (i, r.failure)
        if not r.valid:
            continue
        assert math.isclose(br.energy[i], r.energy, rel_tol=1e-9), i
        assert int(br.cycles[i]) == r.cycles, i
        for s, st in enumerate(r.storage):
            for dss in st.dataspaces:
                d = names.index(dss.name)
                got = (int(br.reads[i, s, d]), int(br.fills[i, s, d]), int(br.updates[i, s, d]))
                assert got == (dss.reads, dss.fills, dss.updates), (i, s, dss.name)
                links += dss.link_transfers > 0
    return br, links


def _maps(w, a, n, seed, dummies=()):
    rng = random.Random(seed)
    N = len(a.storage)
    return [random_mapping(w, a, rng, keep=_keeps(rng, N, w.ds_names, dummies), p_spatial=0.6)
            for _ in range(n)]


def test_eyeriss_mini_random_mappings_equal_exact():
    w = conv2d(P=4, Q=4, M=2)
    a, t = eyeriss_mini()
    maps = _maps(w, a, 200, seed=5, dummies=(1, 2))
    br, _ = _check_many(w, a, t, maps)
    assert not br.exact_fallback.any() and br.exact_dataspaces == ()
    assert br.valid.sum() > 40


def test_grid_links_random_mappings_equal_exact():
    w = conv1d(3, 16, stride=1)
    a, t = grid()
    maps = _maps(w, a, 300, seed=2)
    br, links = _check_many(w, a, t, maps)
    assert not br.exact_fallback.any()
    assert links > 0  # the neighbour-link path is exercised


def test_dilated_strided_conv_and_options():
    w = conv1d(3, 12, stride=3, dilation=2)
    a, t = grid()
    maps = _maps(w, a, 120, seed=9)
    _check_many(w, a, t, maps)
    _check_many(w, a, t, maps[:60], ModelOptions(link_transfers=False))
    br, _ = _check_many(w, a, t, maps[:60], ModelOptions(new_stride_rule=True))
    assert not br.exact_fallback.any() and br.exact_dataspaces == ()


def test_flatten_coverage_flags():
    w = conv1d()
    a, _ = grid()
    ok = Mapping((lm([("P", 2)]), lm([("R", 3)]), lm([("P", 4)])))
    directive = Mapping((ok.levels[0], LevelMapping(
        temporal=(Loop("R", 3),), keep=frozenset({"Inputs"}),
        no_temporal_reuse=frozenset({"Inputs"})), ok.levels[2]))
    residual = Mapping((ok.levels[0], lm([("R", 3)]), LevelMapping(
        temporal=(Loop("P", 4, residual=2),), keep=frozenset(w.ds_names))))
    short = Mapping(ok.levels[:2])
    fan_at_0 = Mapping((lm(spatial=[("P", 2, "X")]), ok.levels[1], ok.levels[2]))
    na = flatten(w, [ok, directive, residual, short, fan_at_0, ok], 3)
    assert na.covered.tolist() == [True, False, False, False, False, True]
    # inner first: level 0 P2, level 1 R3, level 2 P4
    assert na.end[0, :3].tolist() == [2, 3, 4] and na.level[0, :3].tolist() == [0, 1, 2]
    assert np.array_equal(na.end[0], na.end[5])


def test_chunked_batches_with_uncovered_entries(monkeypatch):
    """Entries are vectorised in chunks; fallback entries keep their places."""
    import loopnest.model.batch as batch
    monkeypatch.setattr(batch, "CHUNK", 16)
    w = conv1d(3, 16, stride=2)
    a, t = grid()
    maps = _maps(w, a, 60, seed=4)
    lvl = maps[7].levels
    maps[7] = Mapping((lvl[0], LevelMapping(temporal=lvl[1].temporal, spatial=lvl[1].spatial,
                                            keep=lvl[1].keep,
                                            no_link_transfer=frozenset({"Inputs"})), lvl[2]))
    maps[40] = Mapping(maps[40].levels[:2])  # wrong level count: invalid
    br, _ = _check_many(w, a, t, maps)
    assert br.exact_fallback.nonzero()[0].tolist() == [7, 40]
    assert not br.valid[40]
