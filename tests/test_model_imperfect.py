"""Residual (imperfect) factors: hand-derived Timeloop counts, scalar vs batched, errors.

Workload: conv1d with R=1 and P=7, so Weights is one word, Inputs and Outputs are
the 7 points of P. P=7 is written as `P=4,3` under `P=2` (1*4 + 3 = 7): the inner
loop runs 4 iterations, and 3 on the last outer iteration. Every figure below is
derived by hand from Timeloop's rules (docs/model.md, "Residual factors").
"""
from __future__ import annotations

import math

import pytest

from loopnest.errors import LoopnestError
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.model.batch import evaluate_many
from loopnest.model.evaluate import evaluate
from loopnest.spec.macros import factor_items, factor_residual, split_factor
from tests.model_helpers import conv1d, design, mac, storage, unit_costs


def run(d):
    r = evaluate(d.workload, d.architecture, d.mapping, d.tables)
    assert r.valid, r.failure
    return r


def counts(r, level):
    lv = next(s for s in r.storage if s.name == level)
    return {x.name: (x.reads, x.fills, x.updates) for x in lv.dataspaces}


def agree(d, mappings=None):
    """evaluate_many equals evaluate entry by entry (residual entries fall back)."""
    maps = mappings or [d.mapping]
    br = evaluate_many(d.workload, d.architecture, maps, d.tables)
    names = d.workload.ds_names
    for i, m in enumerate(maps):
        r = evaluate(d.workload, d.architecture, m, d.tables)
        assert bool(br.valid[i]) == r.valid
        if not r.valid:
            continue
        assert int(br.cycles[i]) == r.cycles
        assert math.isclose(br.energy[i], r.energy, rel_tol=1e-9)
        for s, st in enumerate(r.storage):
            for x in st.dataspaces:
                k = names.index(x.name)
                assert (br.reads[i, s, k], br.fills[i, s, k], br.updates[i, s, k]) == \
                    (x.reads, x.fills, x.updates)
    return br


def two_level(dram: str, buf: str):
    maps = [{"target": "DRAM", "type": "temporal", "factors": dram},
            {"target": "Buffer", "type": "temporal", "factors": buf}]
    return design([storage("DRAM", "DRAM", width=8), storage("Buffer", depth=64, width=8), mac()],
                  conv1d(1, 7), maps, unit_costs("DRAM", "Buffer"))


def test_two_level_residual_under_outer_loop():
    # Buffer P runs 4 (outer P at 0, not last), then 3 (outer P at 1 = its last): 7 MACs.
    # Buffer tiles: 4 (the first, full tile). Each outer step moves Inputs/Outputs to a
    # new tile: 4 + 3 words; Weights stays (1 word).
    r = run(two_level("R=1 P=2", "R=1 P=4,3"))
    assert r.computes == 7
    assert r.cycles == 8  # product of the temporal ends, 4 x 2 (not the 7 MACs)
    buf = counts(r, "Buffer")
    assert buf["Weights"] == (7, 1, 0)
    assert buf["Inputs"] == (7, 7, 0)
    assert buf["Outputs"] == (0, 0, 7)  # partition 7: every update is a first write
    dram = counts(r, "DRAM")
    assert dram == {"Weights": (1, 0, 0), "Inputs": (7, 0, 0), "Outputs": (0, 0, 7)}
    lv = next(s for s in r.storage if s.name == "Buffer")
    assert [x.utilized_capacity for x in lv.dataspaces] == [1, 4, 4]
    assert [(lp.end, lp.residual) for lp in lv.loops] == [(4, 3)]
    agree(two_level("R=1 P=2", "R=1 P=4,3"))


def test_outermost_end_larger_than_residual():
    # DRAM P=3,2 is the outermost loop over P: it runs to its residual, 2 (1*4 + 3 = 7).
    # Same traffic as P=2 above it; cycles still multiply the ends: 4 x 3 = 12.
    r = run(two_level("R=1 P=3,2", "R=1 P=4,3"))
    ref = run(two_level("R=1 P=2", "R=1 P=4,3"))
    assert r.computes == 7 and r.cycles == 12
    for lvl in ("DRAM", "Buffer"):
        assert counts(r, lvl) == counts(ref, lvl)
    agree(two_level("R=1 P=3,2", "R=1 P=4,3"))


def one_level_spatial():
    # One storage level: temporal P=2 above a 4-wide fan-out P=4,3 to the MACs.
    maps = [{"target": "Buffer", "type": "temporal", "factors": "R=1 P=2"},
            {"target": "Buffer", "type": "spatial", "factors": "R=1 P=4,3"}]
    return design([storage("Buffer", depth=64, width=8), mac(n=4, meshX=4)], conv1d(1, 7), maps,
                  unit_costs("Buffer"))


def test_one_level_spatial_residual():
    # First outer step: 4 MACs, P=0..3; last: 3 MACs, P=4..6. Compute contexts are the 4
    # MAC positions, visited 2, 2, 2, 1 times: mean 1.75 x 4 instances = 7 computes.
    r = run(one_level_spatial())
    assert r.computes == 7 and r.cycles == 2
    assert r.compute.utilized_instances == 4
    buf = counts(r, "Buffer")
    assert buf["Inputs"] == (7, 0, 0)  # 4 + 3 unicast words
    # Weights: one multicast word on the first step; on the second, each of the 3 MACs
    # finds the word at a neighbour (link transfers), so the Buffer reads it once.
    assert buf["Weights"] == (1, 0, 0)
    lv = next(s for s in r.storage if s.name == "Buffer")
    assert next(x for x in lv.dataspaces if x.name == "Weights").link_transfers == 3
    assert buf["Outputs"] == (0, 0, 7)
    agree(one_level_spatial())


def test_spatial_residual_above_a_storage_level():
    # GB runs P=2 over a fan-out P=4,3 to 4 RFs (each holds one point): 4 RFs busy, then 3.
    # Replication averages the fan-out over the 2 outer steps, (3 + 4) / 2 = 3.5, stored
    # as an integer: 3 RF instances, and 2 MACs each x 3 = 6 computes (Timeloop's figure).
    maps = [{"target": "GB", "type": "temporal", "factors": "R=1 P=2"},
            {"target": "GB", "type": "spatial", "factors": "R=1 P=4,3"}]
    d = design([storage("GB", "SRAM", depth=64, width=8),
                storage("RF", n=4, meshX=4, depth=16, width=8), mac(n=4, meshX=4)],
               conv1d(1, 7), maps, unit_costs("GB", "RF"))
    r = run(d)
    assert r.computes == 6 and r.cycles == 2 and r.compute.utilized_instances == 4
    rf = next(s for s in r.storage if s.name == "RF")
    assert {x.utilized_instances for x in rf.dataspaces} == {3}
    # GB sends 4 + 3 Inputs words to 4 RFs: 7/4 = 1.75 per RF, a read-only fill count
    # Timeloop truncates (1); Outputs: 1.75 - partition 1, rounded: 1
    assert counts(r, "RF") == {"Weights": (2, 1, 0), "Inputs": (2, 1, 0), "Outputs": (1, 1, 2)}
    assert counts(r, "GB") == {"Weights": (1, 0, 0), "Inputs": (7, 0, 0), "Outputs": (0, 0, 7)}
    agree(d)


def test_residual_under_spatial_loop_of_same_dimension():
    # GB fans P=2 out to 2 RFs; each RF runs P=4,3. Only element 0 of the fan-out is
    # simulated, at spatial index 0 of 2: not the last, so the residual never applies
    # (Timeloop's artefact): 2 x 4 = 8 computes for a 7-point problem.
    maps = [{"target": "GB", "type": "spatial", "factors": "R=1 P=2"},
            {"target": "RF", "type": "temporal", "factors": "R=1 P=4,3"}]
    d = design([storage("GB", "SRAM", depth=64, width=8),
                storage("RF", n=2, meshX=2, depth=16, width=8), mac(n=2, meshX=2)],
               conv1d(1, 7), maps, unit_costs("GB", "RF"))
    r = run(d)
    assert r.computes == 8 and r.cycles == 4
    rf = counts(r, "RF")
    assert rf["Inputs"] == (4, 4, 0)
    assert rf["Weights"] == (4, 1, 0)
    assert rf["Outputs"] == (0, 0, 4)
    gb = counts(r, "GB")
    # GB holds the 7-word residual tile; the RFs request 2 x 4 Outputs updates: 8 - 7 reads
    assert gb["Inputs"] == (8, 0, 0) and gb["Weights"] == (1, 0, 0)
    assert gb["Outputs"] == (1, 0, 8)
    agree(d)


def test_batch_flags_residual_entries_and_keeps_perfect_ones_closed_form():
    d = two_level("R=1 P=2", "R=1 P=4,3")
    perfect = Mapping((LevelMapping(temporal=(Loop("P", 7),), keep=d.mapping.levels[0].keep),
                       LevelMapping(temporal=(Loop("P", 1),), keep=d.mapping.levels[1].keep)))
    same_end = Mapping((LevelMapping(temporal=(Loop("P", 7, residual=7),),
                                     keep=d.mapping.levels[0].keep), perfect.levels[1]))
    br = agree(d, [perfect, d.mapping, same_end])
    assert br.exact_fallback.tolist() == [False, True, False]
    assert br.fallback_reason(0) is None
    assert "residual" in br.fallback_reason(1)


def test_invalid_residual_is_an_invalid_result_in_the_model():
    d = two_level("R=1 P=2", "R=1 P=4,3")
    lv = d.mapping.levels
    bad = Mapping((LevelMapping(temporal=(Loop("P", 4, residual=2),), keep=lv[0].keep), lv[1]))
    r = evaluate(d.workload, d.architecture, bad, d.tables)
    assert not r.valid and "P" in r.failure and "cover 6" in r.failure
    br = evaluate_many(d.workload, d.architecture, [bad], d.tables)
    assert not br.valid[0]


def test_broken_residual_rule_is_a_located_error():
    with pytest.raises(LoopnestError) as e:
        two_level("R=1 P=2", "R=1 P=4,2")
    msg = str(e.value)
    assert "P" in msg and "cover 6" in msg and "bound of P is 7" in msg
    assert "n = n*end + residual - 1" in msg


def test_residual_out_of_range_and_spatial_without_outer_loop():
    with pytest.raises(LoopnestError, match="outside 1..4"):
        two_level("R=1 P=2", "R=1 P=4,5")
    maps = [{"target": "Buffer", "type": "temporal", "factors": "R=1 P=1"},
            {"target": "Buffer", "type": "spatial", "factors": "R=1 P=8,7"}]
    with pytest.raises(LoopnestError, match="no outer loop over P"):
        design([storage("Buffer", depth=64, width=8), mac(n=8, meshX=8)], conv1d(1, 7), maps,
               unit_costs("Buffer"))


@pytest.mark.parametrize("text,items", [
    ("C=4,P=20,17,Q=3", ["C=4", "P=20,17", "Q=3"]),
    ("C4 P20,17 Q3", ["C4", "P20,17", "Q3"]),
    (["C=4", "P=20", "17"], ["C=4", "P=20,17"]),
    ("R=1,S=1", ["R=1", "S=1"]),
])
def test_factor_syntax(text, items):
    got = factor_items(text)
    assert got == items
    assert [split_factor(i)[:3] for i in got if i.startswith("P")] in ([], [("P", "=", 20)])
    assert [factor_residual(i) for i in got if i.startswith("P")] in ([], [17])


def test_fe_style_list_with_residual_lowers():
    maps = [{"target": "DRAM", "type": "temporal", "factors": ["R=1", "P=2"]},
            {"target": "Buffer", "type": "temporal", "factors": ["R=1", "P=4", "3"]}]
    d = design([storage("DRAM", "DRAM", width=8), storage("Buffer", depth=64, width=8), mac()],
               conv1d(1, 7), maps, unit_costs("DRAM", "Buffer"))
    assert Loop("P", 4, None, 3) in d.mapping.levels[0].temporal
    assert run(d).computes == 7


# ---- random residual mappings (drawn like Timeloop's imperfect test cases) ----
def _grid_design(problem):
    """DRAM > GB (fan-out 4x2 to RFs) > RF (fan-out 2 to MACs)."""
    local = [storage("DRAM", "DRAM", width=8), storage("GB", "SRAM", depth=4096, width=8),
             storage("RF", n=8, meshX=4, depth=512, width=8), mac(n=16, meshX=8)]
    whole = " ".join(f"{dim}=0" for dim in problem["shape"]["dimensions"])  # 0: the bound
    return design(local, problem, [{"target": "DRAM", "type": "temporal", "factors": whole}],
                  unit_costs("DRAM", "GB", "RF"))


CONV2D = {"shape": {
    "name": "c2", "dimensions": ["C", "M", "R", "P", "Q"],
    "data_spaces": [
        {"name": "Weights", "projection": [[["C"]], [["M"]], [["R"]]]},
        {"name": "Inputs", "projection": [[["C"]], [["R"], ["P"]], [["Q"]]]},
        {"name": "Outputs", "projection": [[["M"]], [["P"]], [["Q"]]], "read_write": True}]},
    "instance": {"C": 3, "M": 7, "R": 3, "P": 13, "Q": 5}}


@pytest.mark.parametrize("problem,seed", [(conv1d(3, 19), 1), (conv1d(1, 23), 2), (CONV2D, 3)])
def test_random_residual_mappings(problem, seed):
    import random

    from loopnest.ir.checker import check_mapping
    from loopnest.ir.residuals import first_tile_extents, is_imperfect, residual_problems
    from loopnest.model.randmap import imperfect_mapping

    d = _grid_design(problem)
    w, a = d.workload, d.architecture
    rng = random.Random(seed)
    bounds = dict(zip(w.dimensions, w.bounds))
    maps = [imperfect_mapping(w, a, rng) for _ in range(40)]
    n_valid = 0
    for m in maps:
        assert residual_problems(m, bounds) == []
        r = evaluate(w, a, m, d.tables)
        if not r.valid:
            continue
        n_valid += 1
        assert check_mapping(w, a, m) == []  # the independent checker knows the rule too
        for i, st in enumerate(r.storage):  # and the first (largest) tile of every level
            ext = first_tile_extents(m, i, w.dimensions)
            for x in st.dataspaces:
                rank_sizes = [sum(c * (ext[dim] - 1) for dim, c in rank) + 1
                              for rank in w.data_space(x.name).projection]
                assert math.prod(rank_sizes) == x.utilized_capacity
        imp_dims = {lp.dim for lv in m.levels for lp in lv.temporal + lv.spatial
                    if is_imperfect(lp)}
        spatial_dims = {lp.dim for lv in m.levels for lp in lv.spatial if lp.end > 1}
        if not imp_dims & spatial_dims:
            # temporal residuals only: Timeloop's MAC count is exact
            assert r.computes == math.prod(w.bounds)
        assert r.cycles == math.prod(lp.end for lv in m.levels for lp in lv.temporal)
    assert n_valid >= 10
    agree(d, maps)


def test_map_yaml_round_trip_keeps_residuals():
    import random

    from ruamel.yaml import YAML

    from loopnest.ir.lower import lower_mapping
    from loopnest.model.randmap import imperfect_mapping
    from loopnest.report.mapyaml import format_map_yaml

    d = _grid_design(CONV2D)
    w, a = d.workload, d.architecture
    rng = random.Random(7)
    for _ in range(20):
        m = imperfect_mapping(w, a, rng)
        text = format_map_yaml(w, a, m)
        back = lower_mapping(YAML(typ="safe").load(text)["mapping"], w, a)
        for lv, lb in zip(m.levels, back.levels):
            def key(loops):
                return sorted((lp.dim, lp.end, lp.spatial, lp.residual
                               if lp.residual not in (None, lp.end) else None)
                              for lp in loops if lp.end > 1)
            assert key(lv.temporal) == key(lb.temporal)
            assert key(lv.spatial) == key(lb.spatial)
        r1, r2 = evaluate(w, a, m, d.tables), evaluate(w, a, back, d.tables)
        assert r1.valid == r2.valid
        if r1.valid:
            assert (r1.cycles, r1.computes) == (r2.cycles, r2.computes)
            assert r1.energy == pytest.approx(r2.energy, rel=1e-12)


def test_residual_on_a_trivial_loop():
    # Refused when parsed; in the IR both models drop the loop with its residual, as
    # Timeloop's nest drops trivial loops.
    with pytest.raises(LoopnestError, match="outside 1..1"):
        two_level("R=1,3 P=2", "R=1 P=4,3")
    d = two_level("R=1 P=1", "R=1 P=7")
    lv = d.mapping.levels
    odd = Mapping((lv[0], LevelMapping(temporal=lv[1].temporal + (Loop("R", 1, residual=3),),
                                       keep=lv[1].keep)))
    r = evaluate(d.workload, d.architecture, odd, d.tables)
    assert r.valid and r.computes == run(d).computes == 7
    assert not agree(d, [odd]).exact_fallback[0]  # still closed-form in the batch
