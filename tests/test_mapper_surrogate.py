"""The search's fast surrogate agrees with the exact model; the lower bound never
exceeds the exact model on valid mappings (tiny fixtures, no /work/shared)."""
from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.mapper.designs import (conv1d_oc, matmul, no_constraints,  # noqa: E402
                                     shared_rf, tables, three_level)
from loopnest.ir.constraints import Constraints, LevelConstraints  # noqa: E402
from loopnest.mapper import moves  # noqa: E402
from loopnest.mapper.bound import lower_bound  # noqa: E402
from loopnest.mapper.cpsat import TilingModel  # noqa: E402
from loopnest.mapper.mapspace import Candidate, build_mapspace  # noqa: E402
from loopnest.mapper.search import _spatial_maxima  # noqa: E402
from loopnest.mapper.surrogate import Surrogate  # noqa: E402

evaluate = pytest.importorskip("loopnest.model.evaluate").evaluate


def _walk(sp, n: int, seed: int):
    """n feasible candidates from a random walk started at a CP-SAT tiling."""
    rng = random.Random(seed)
    til, keep, _ = TilingModel(sp).solve(1.0)
    c = Candidate(til, moves.random_orders(sp, til, rng), keep)
    out = []
    while len(out) < n:
        c = moves.random_neighbour(sp, c, rng) or c
        out.append(c)
    return out


@pytest.mark.parametrize("wl,pes", [(conv1d_oc(), (1, 1)), (matmul(), (4, 2))],
                         ids=["conv1d-sliding-temporal", "matmul-spatial"])
def test_surrogate_equals_model(wl, pes):
    """Sliding windows without fan-out and plain data spaces with fan-out: exact."""
    arch, tb = three_level(rf_words=64, pes=pes), tables()
    sp = build_mapspace(wl, arch, no_constraints())
    su = Surrogate(sp, tb)
    for c in _walk(sp, 100, seed=4):
        e, cyc, _ = su.estimate(c)
        r = evaluate(wl, arch, sp.to_mapping(c), tb)
        assert r.valid
        assert e == pytest.approx(r.energy, rel=1e-9) and cyc == r.cycles


@pytest.mark.parametrize("wl,forced", [(conv1d_oc(), {"Weights", "Outputs"}),
                                       (conv1d_oc(), set()),
                                       (matmul(), {"Z"}), (matmul(), set())],
                         ids=["conv1d-forced", "conv1d-free", "matmul-forced", "matmul-free"])
def test_bound_never_exceeds_model(wl, forced):
    """Energy and cycle bounds hold on many random valid mappings: PE arrays below the
    global buffer and a register file fanning out to MACs (operand link transfers)."""
    for arch in (three_level(rf_words=48, pes=(2, 2)), three_level(rf_words=48, pes=(4, 2)),
                 shared_rf((4, 1))):
        tb = tables()
        cons = Constraints((LevelConstraints(keep=frozenset(forced)), LevelConstraints(),
                            LevelConstraints()))
        sp = build_mapspace(wl, arch, cons)
        tm = TilingModel(sp)
        par, proven = tm.max_parallelism()
        b = lower_bound(sp, tb, par, proven, _spatial_maxima(tm))
        lowest = float("inf")
        for c in _walk(sp, 100, seed=7):
            r = evaluate(wl, arch, sp.to_mapping(c), tb)
            assert r.valid
            assert r.energy >= b.energy * (1 - 1e-12), (r.energy, b.energy)
            assert r.cycles >= b.cycles
            lowest = min(lowest, r.energy / b.energy)
        assert lowest < 3.0  # and it is not vacuous


@pytest.mark.parametrize("wl", [conv1d_oc(), matmul()], ids=["conv1d", "matmul"])
def test_bandwidth_cycle_bound_holds_and_binds(wl):
    """A narrow global buffer that must keep every data space: its compulsory words
    over its bandwidth bound the cycles of every mapping, and the bound binds."""
    from dataclasses import replace

    arch = three_level(rf_words=48, pes=(2, 2))
    glb = replace(arch.storage[1], read_bandwidth=0.25, write_bandwidth=0.5,
                  per_dataspace_bandwidth_consumption_scale=((wl.data_spaces[0].name, 2.0),))
    arch = replace(arch, storage=(arch.storage[0], glb, arch.storage[2]))
    tb = tables()
    names = frozenset(ds.name for ds in wl.data_spaces)
    cons = Constraints((LevelConstraints(), LevelConstraints(keep=names), LevelConstraints()))
    sp = build_mapspace(wl, arch, cons)
    tm = TilingModel(sp)
    par, proven = tm.max_parallelism()
    b = lower_bound(sp, tb, par, proven, _spatial_maxima(tm))
    # by hand: reads >= the read-only elements (the first scaled x2), writes >= all of them
    from loopnest.mapper.bound import distinct_elements

    scale = {wl.data_spaces[0].name: 2.0}
    d = {ds.name: distinct_elements(wl, ds) * scale.get(ds.name, 1.0) for ds in wl.data_spaces}
    reads = sum(d[ds.name] for ds in wl.data_spaces if not ds.read_write)
    want = max(math.ceil(reads / 0.25), math.ceil(sum(d.values()) / 0.5))
    assert want > math.ceil(wl.macs / par)  # the bandwidth term is the binding one
    assert b.cycles == want
    for c in _walk(sp, 60, seed=3):
        r = evaluate(wl, arch, sp.to_mapping(c), tb)
        assert r.valid and r.cycles >= b.cycles


def test_without_a_fan_out_every_compute_reads_its_operands_and_the_bound_says_so():
    """One buffer over one MAC: whatever the loop order, A and B are read at every
    compute (60), Z updated 60 times and read 60 - 12 = 48 times (first reads elided),
    so every order costs 60 + 60 + 60 + 108 = 288 at 1 pJ an action; the bound, which
    no longer lets an innermost irrelevant loop keep an operand without a fan-out to
    the computes, is exactly that."""
    import itertools

    from loopnest.energy.tables import ComponentCost, CostTables
    from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
    from loopnest.mapper.mapspace import Tiling

    wl = matmul(M=4, N=3, K=5)
    arch = Architecture(storage=(StorageLevel("Buffer", cls="SRAM", word_bits=8, size=768),),
                        compute=ComputeLevel("MACC", instances=1, meshX=1, meshY=1,
                                             word_bits=8))
    tb = CostTables()
    tb.components["Buffer"] = ComponentCost("Buffer", {"read": 1.0, "write": 1.0,
                                                       "update": 1.0, "leak": 0.0})
    tb.components["MACC"] = ComponentCost("MACC", {"compute": 1.0})
    sp = build_mapspace(wl, arch, no_constraints(1))
    til = Tiling([[list(wl.bounds), [1, 1, 1], [1, 1, 1]]])
    energies = {evaluate(wl, arch, sp.to_mapping(Candidate(til, [order],
                                                           [frozenset(wl.ds_names)])),
                         tb).energy for order in itertools.permutations(range(3))}
    assert energies == {288.0}
    tm = TilingModel(sp)
    par, proven = tm.max_parallelism()
    assert lower_bound(sp, tb, par, proven, _spatial_maxima(tm)).energy == 288.0
