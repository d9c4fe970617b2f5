"""evaluate_many equals evaluate on thousands of random mappings of small designs."""
from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from loopnest.energy.tables import ComponentCost, CostTables
from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
from loopnest.ir.workload import DataSpace, Workload
from loopnest.model.batch import evaluate_many
from loopnest.model.evaluate import evaluate
from loopnest.model.randmap import random_mapping

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _ds(name, ranks, rw=False):
    return DataSpace(name, tuple(tuple((d, c) for d, c in r) for r in ranks), read_write=rw)


def matmul(M=8, K=12, N=6):
    return Workload("mm", ("M", "K", "N"), (M, K, N), (
        _ds("A", [[("M", 1)], [("K", 1)]]),
        _ds("B", [[("K", 1)], [("N", 1)]]),
        _ds("Z", [[("M", 1)], [("N", 1)]], rw=True)))


def conv1d(R=3, P=8, K=4, C=2):
    return Workload("conv1d", ("R", "P", "K", "C"), (R, P, K, C), (
        _ds("Weights", [[("K", 1)], [("C", 1)], [("R", 1)]]),
        _ds("Inputs", [[("C", 1)], [("R", 1), ("P", 1)]]),
        _ds("Outputs", [[("K", 1)], [("P", 1)]], rw=True)))


def conv2d(R=3, S=2, P=4, Q=3, C=2, M=4):
    return Workload("conv2d", ("R", "S", "P", "Q", "C", "M"), (R, S, P, Q, C, M), (
        _ds("Weights", [[("M", 1)], [("C", 1)], [("R", 1)], [("S", 1)]]),
        _ds("Inputs", [[("C", 1)], [("R", 1), ("P", 2)], [("S", 1), ("Q", 1)]]),
        _ds("Outputs", [[("M", 1)], [("P", 1)], [("Q", 1)]], rw=True)))


def fc(C=6, M=8, N=2):
    return Workload("fc", ("C", "M", "N"), (C, M, N), (
        _ds("Weights", [[("C", 1)], [("M", 1)]]),
        _ds("Inputs", [[("N", 1)], [("C", 1)]]),
        _ds("Outputs", [[("N", 1)], [("M", 1)]], rw=True)))


def arch(levels=3, mesh=(4, 2), sizes=(16, 256, None), block=(1, 1, 4), bw=(None, 3.0, None)):
    """`levels` storage levels; the fan-out mesh sits under level 1 (or under 0 if levels==2
    and mesh is placed at the compute level through `fan_at`)."""
    mx, my = mesh
    st = []
    for i in range(levels):
        inner = i == 0
        st.append(StorageLevel(
            name=f"L{i}", word_bits=16, block_size=block[i] if i < len(block) else 1,
            size=sizes[i] if i < len(sizes) else None,
            instances=mx * my if inner else 1, meshX=mx if inner else 1, meshY=my if inner else 1,
            shared_bandwidth=bw[i] if i < len(bw) else None,
            technology="DRAM" if i == levels - 1 else "SRAM"))
    cp = ComputeLevel("MAC", instances=mx * my, meshX=mx, meshY=my)
    tables = CostTables()
    for i, lv in enumerate(st):
        tables.components[lv.name] = ComponentCost(
            lv.name, {"read": 1.0 + 3 * i + 0.1, "write": 1.2 + 3 * i, "update": 1.3 + 2.5 * i,
                      "leak": 0.01 * (i + 1)}, area=10.0)
    tables.components["MAC"] = ComponentCost("MAC", {"mac_random": 0.5}, area=1.0)
    return Architecture(tuple(st), cp, "t"), tables


def arch4():
    """4 levels: RF (fan-out 2x2 below L2), a dummy-like mid level, GLB, DRAM."""
    st = (StorageLevel("RF", size=8, instances=4, meshX=2, meshY=2),
          StorageLevel("SP", size=32, instances=4, meshX=2, meshY=2, block_size=2),
          StorageLevel("GLB", size=512, instances=1, read_bandwidth=2.0, write_bandwidth=1.5),
          StorageLevel("DRAM", technology="DRAM", block_size=4))
    cp = ComputeLevel("MAC", instances=4, meshX=2, meshY=2)
    tables = CostTables()
    for i, lv in enumerate(st):
        tables.components[lv.name] = ComponentCost(
            lv.name, {"read": 0.7 + i, "fill": 0.9 + i, "update": 1.1 + i, "leak": 0.003 * i})
    tables.components["MAC"] = ComponentCost("MAC", {"mac": 0.3})
    return Architecture(st, cp, "t4"), tables


def _check(w, a, tables, maps):
    br = evaluate_many(w, a, maps, tables)
    names = w.ds_names
    for i, mp in enumerate(maps):
        r = evaluate(w, a, mp, tables)
        assert bool(br.valid[i]) == r.valid, (i, r.failure)
        if not r.valid:
            continue
        assert math.isclose(br.energy[i], r.energy, rel_tol=1e-9), (i, br.energy[i], r.energy)
        assert int(br.cycles[i]) == r.cycles
        for s, st in enumerate(r.storage):
            got = {names[d]: (int(br.reads[i, s, d]), int(br.fills[i, s, d]),
                              int(br.updates[i, s, d])) for d in range(len(names))}
            for dss in st.dataspaces:
                assert got[dss.name] == (dss.reads, dss.fills, dss.updates), (i, s, dss.name)
    return br


def _random_maps(w, a, n, seed, **kw):
    rng = random.Random(seed)
    return [random_mapping(w, a, rng, **kw) for _ in range(n)]


@pytest.mark.parametrize("make_w,levels,n", [
    (matmul, 3, 700), (fc, 3, 700), (matmul, 2, 300), (conv1d, 3, 300), (conv2d, 3, 200)])
def test_batch_equals_exact(make_w, levels, n):
    w = make_w()
    a, t = arch(levels=levels, mesh=(4, 2) if levels == 3 else (1, 1))
    maps = _random_maps(w, a, n, seed=levels * 7 + n)
    br = _check(w, a, t, maps)
    assert br.exact_fallback.mean() < 0.05  # covered entries use the fast path
    assert br.valid.any()


def test_batch_four_levels_fanout():
    w = matmul(4, 6, 8)
    a, t = arch4()
    maps = _random_maps(w, a, 800, seed=11, p_spatial=0.5)
    br = _check(w, a, t, maps)
    assert br.valid.sum() > 50
    assert (~br.exact_fallback).sum() > 400


def test_batch_fallback_flags_and_result():
    w = conv1d()
    a, t = arch()
    maps = _random_maps(w, a, 5, seed=3)
    br = evaluate_many(w, a, maps, t)
    # Inputs has a sliding window: closed form too (windows.py), no exact nest analysis
    assert br.exact_dataspaces == ()
    assert not br.exact_fallback.any()
    r = br.result(0)
    assert r.valid == bool(br.valid[0])


def test_batch_empty():
    w = matmul()
    a, t = arch()
    assert len(evaluate_many(w, a, [], t)) == 0


@pytest.mark.skipif(not SHARED.exists(), reason="shared corpus absent")
def test_batch_reference_cases_plain():
    """Every corpus case whose workload is plain: the batch equals the exact evaluator."""
    from loopnest.ir.lower import lower_design
    from loopnest.spec.load import load_spec
    n = 0
    for inp in sorted((SHARED / "corpus").rglob("parsed-processed-input.yaml")):
        d = inp.parent
        files = [str(inp)] + [str(p) for p in sorted(d.glob("*.ERT.yaml"))[:1]] + \
                [str(p) for p in sorted(d.glob("*.ART.yaml"))[:1]] + \
                [str(p) for p in sorted(d.glob("*mapper.map.yaml"))[:1]]
        try:
            des = lower_design(load_spec(files))
        except Exception:
            continue
        if des.mapping is None:
            continue
        _check(des.workload, des.architecture, des.tables, [des.mapping])
        n += 1
    assert n > 0
