"""The mapper's imperfect factorization (padding, residual conversion, bound, settings).

Bundled eyeriss_like (14 x 12 PEs) and small layers; no ../shared."""
from __future__ import annotations

import dataclasses
import random
import re
import time

import pytest

from loopnest.api import load_design
from loopnest.archlib import design_files
from loopnest.cli import main
from loopnest.errors import ValidationError
from loopnest.ir.checker import check_mapping
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.ir.residuals import mapping_is_imperfect, residual_problems
from loopnest.mapper.imperfect import convert, faithful, imperfect_bound, relaxed_max_spatial
from loopnest.mapper.mapspace import build_mapspace
from loopnest.mapper.padding import (awkward_dims, imperfect_wanted, padded_constraints,
                                     padded_workload, padding_plans, remainder_slots,
                                     residual_digits, to_residual)
from loopnest.mapper.scoring import model_batch_fn
from loopnest.mapper.search import Search, SearchOptions, run_search
from loopnest.model.evaluate import evaluate
from tests.fixtures.problems import matmul_text

CONV = """problem:
  version: 0.4
  shape:
    name: conv2d
    dimensions: [C, M, R, S, N, P, Q]
    data_spaces:
    - {{name: Weights, projection: [[[C]], [[M]], [[R]], [[S]]]}}
    - {{name: Inputs, projection: [[[N]], [[C]], [[R], [P]], [[S], [Q]]]}}
    - {{name: Outputs, projection: [[[N]], [[M]], [[Q]], [[P]]], read_write: true}}
  instance: {{C: {C}, M: {M}, R: {R}, S: {R}, N: 1, P: {P}, Q: {P}}}
"""
RUBY = "mapspace:\n  version: 0.4\n  template: ruby\n"
REMAINDERS = """mapspace_constraints:
  version: 0.4
  targets:
  - {target: global_buffer, type: temporal, remainders: 8}
  - {target: inter_PE_column_spatial, type: spatial, remainders: 14}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("imperfect")

    def make(text: str, name: str) -> str:
        (d / name).write_text(text)
        return str(d / name)

    return make


def _design(files, C=16, M=97, N=16, extra=(), dram=True, conv=None):
    text = CONV.format(**conv) if conv else matmul_text(C=C, M=M, N=N)
    prob = files(text, f"p{abs(hash(text))}.yaml")
    more = [files(t, f"x{abs(hash(t))}.yaml") for t in extra]
    return load_design([str(p) for p in design_files("eyeriss_like")] + [prob] + more,
                       variables=None if dram else {"dram_gbps": 0})


def _space(design, constraints=True):
    ir = design.ir
    return build_mapspace(ir.workload, ir.architecture, ir.constraints if constraints else None)


def _level(temporal=(), spatial=(), keep=()):
    return LevelMapping(temporal=tuple(temporal), spatial=tuple(spatial), keep=frozenset(keep))


# -- conversion ----------------------------------------------------------------------------
def test_mixed_radix_residuals_hand_derived():
    # 197 over ends (20, 10), outermost first: 196 = 19*10 + 6 -> residuals (20, 7)
    assert residual_digits(197, [20, 10]) == [20, 7]
    # 97 over (7, 5, 3): 96 = 6*15 + 2*3 + 0 -> (7, 3, 1)
    assert residual_digits(97, [7, 5, 3]) == [7, 3, 1]
    assert residual_digits(210, [14, 15]) == [14, 15]  # perfect: residual = end
    assert residual_digits(197, [14, 14]) is None  # 196 < 197: cannot cover
    inner = _level([Loop("P", 10)], keep={"A"})
    outer = _level([Loop("P", 20)], keep={"A"})
    m = to_residual(Mapping((inner, outer)), {"P": 197})
    assert m.levels[1].temporal[0].residual is None  # 20 = its end
    assert m.levels[0].temporal[0].residual == 7
    assert residual_problems(m, {"P": 197}) == []
    # the outermost loop runs to its residual, so that becomes its end: a fan-out there
    # needs no residual (Timeloop refuses one without a non-trivial loop above it)
    fan = _level([Loop("P", 1)], [Loop("P", 14, "X")], keep={"A"})
    m = to_residual(Mapping((_level([Loop("P", 15)]), fan)), {"P": 150})  # 149 = 9*15 + 14
    assert m.levels[1].spatial[0] == Loop("P", 10, "X") and m.levels[0].temporal[0].end == 15
    assert residual_problems(m, {"P": 150}) == []
    m = to_residual(Mapping((inner, _level([Loop("P", 24)]))), {"P": 197})  # 196 = 19*10 + 6
    assert m.levels[1].temporal[0] == Loop("P", 20) and m.levels[0].temporal[0].residual == 7
    # ends (2, 100) for 97: the outer loop would run once -> dropped, 100 runs to 97
    m = to_residual(Mapping((_level([Loop("P", 100)]), _level([Loop("P", 2)]))), {"P": 97})
    assert m.levels[1].temporal[0].end == 1 and m.levels[0].temporal[0] == Loop("P", 97)
    ok = to_residual(Mapping((_level(spatial=[Loop("P", 14, "X")]), _level([Loop("P", 15)]))),
                     {"P": 197})
    assert ok.levels[0].spatial[0].residual == 1 + 196 % 14
    # remainders slots: a residual elsewhere drops the candidate
    assert to_residual(Mapping((inner, outer)), {"P": 197}, allowed={(1, "temporal")}) is None
    assert to_residual(Mapping((inner, outer)), {"P": 197}, allowed={(0, "temporal")}) is not None


def test_converted_padded_mappings_are_valid(files):
    """Every padded mapping the search scores converts to a mapping Timeloop's residual
    rules and the independent checker accept (padded tiles over-estimate residual ones)."""
    d = _design(files, C=16, M=97, N=16)
    ir = d.ir
    sp = _space(d)
    pads = padding_plans(sp)[0]
    pw = padded_workload(ir.workload, pads)
    psp = build_mapspace(pw, ir.architecture, padded_constraints(ir.constraints, ir.workload,
                                                                   pads))
    s = Search(psp, ir.tables, model_batch_fn(pw, ir.architecture, ir.tables),
               SearchOptions(timeout=20, search_size=3000, quiet=True, imperfect="off"))
    s.run()
    real = {k: ir.workload.bound(k) for k in pads}
    n = 0
    for key, r in list(s.scorer.cache.items())[:400]:
        if not r.valid:
            continue
        from loopnest.mapper.imperfect import _cand_from_key

        m = to_residual(psp.to_mapping(_cand_from_key(key)), real)
        if m is None:
            continue
        n += 1
        assert residual_problems(m, ir.workload.bound_map) == []
        assert check_mapping(ir.workload, ir.architecture, m, ir.constraints) == []
        assert evaluate(ir.workload, ir.architecture, m, ir.tables).valid
    assert n > 20
    assert convert(sp, psp, [s.best], pads)


# -- the search -------------------------------------------------------------------------------
def _stat(text: str, key: str) -> str:
    return re.search(rf"^{key}: *(.*)$", text, re.M).group(1)


def test_imperfect_search_fills_the_array_and_round_trips(files, tmp_path, capsys):
    """M = 97 (prime, > 12 rows, does not fit 14 columns) with unlimited DRAM bandwidth:
    perfect factors leave most PEs idle, residual factors fill them. The written
    map.yaml uses Timeloop's residual syntax and loads back with the same numbers."""
    prob = files(matmul_text(C=16, M=97, N=16), "m97.yaml")
    arch = [str(p) for p in design_files("eyeriss_like")]
    common = ["--var", "dram_gbps=0", "--timeout", "4", "--threads", "1"]
    util = {}
    for mode in ("off", "on"):
        assert main(["mapper", *arch, prob, *common, "--imperfect", mode,
                     "-o", str(tmp_path / mode)]) == 0
        out = capsys.readouterr().out
        util[mode] = float(re.search(r"Utilization = ([0-9.]+)", out).group(1))
    assert util["on"] > util["off"] + 0.15  # 0.38 -> 0.67 (M = 105 padded: M15 x M7)
    from ruamel.yaml import YAML

    summary = YAML(typ="safe").load((tmp_path / "on" / "loopnest-mapper.summary.yaml").read_text())
    assert summary["imperfect_padded_searches"][0]["pads"] == {"M": 105}
    assert summary["bound"]["max_parallelism"] == 168 and summary["gap"] >= 0
    mapyaml = (tmp_path / "on" / "timeloop-mapper.map.yaml").read_text()
    assert re.search(r"M\d+,\d+", mapyaml)  # a residual, Timeloop's syntax
    assert main(["model", *arch, prob, "--var", "dram_gbps=0",
                 str(tmp_path / "on" / "timeloop-mapper.map.yaml"),
                 "-o", str(tmp_path / "model")]) == 0
    capsys.readouterr()
    a = (tmp_path / "on" / "timeloop-mapper.stats.txt").read_text()
    b = (tmp_path / "model" / "timeloop-model.stats.txt").read_text()
    for key in ("Cycles", "Energy", "Utilization"):
        assert _stat(a, key) == _stat(b, key)
    # the loaded mapping is the written one and the checker accepts it
    d = load_design(arch + [prob, str(tmp_path / "on" / "timeloop-mapper.map.yaml")],
                    variables={"dram_gbps": 0})
    ir = d.ir
    assert mapping_is_imperfect(ir.mapping)
    assert check_mapping(ir.workload, ir.architecture, ir.mapping, ir.constraints) == []
    r = evaluate(ir.workload, ir.architecture, ir.mapping, ir.tables)
    assert r.cycles == int(_stat(a, "Cycles"))


def test_imperfect_never_loses_and_reports_a_valid_gap(files):
    d = _design(files, C=16, M=97, N=16, dram=False)
    ir = d.ir
    sp = _space(d)
    fn = model_batch_fn(ir.workload, ir.architecture, ir.tables)
    opts = SearchOptions(timeout=30, search_size=2400, quiet=True, seed=1)
    off = run_search(sp, ir.tables, fn, dataclasses.replace(opts, imperfect="off",
                                                            search_size=800))
    on = run_search(sp, ir.tables, fn, dataclasses.replace(opts, imperfect="on"))
    assert on.result.edp <= off.result.edp * (1 + 1e-9)
    assert on.bound.max_parallelism == 14 * 12  # residuals can use every PE
    assert on.bound.edp <= on.result.edp * 1e12 * (1 + 1e-9)
    assert on.gap is not None and on.status == "FEASIBLE"


# -- the bound ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layer,tries,want", [(dict(C=12, M=13, N=29), 900, 100),
                                              (dict(conv=dict(C=2, M=13, R=3, P=7)), 300, 25)])
def test_bound_holds_for_random_imperfect_mappings(files, layer, tries, want):
    """Random residual mappings (randmap.imperfect_mapping, Timeloop-test style) never
    beat the bound on energy, cycles or EDP; the divisor-based parallelism would. Those
    whose Timeloop compute count falls below the real MACs are left out: the mapper
    never reports them (`imperfect.faithful`)."""
    from loopnest.model.randmap import imperfect_mapping

    d = _design(files, **layer)
    ir = d.ir
    sp = _space(d, constraints=False)
    b = imperfect_bound(sp, ir.tables)
    assert b.max_parallelism == 168
    rng = random.Random(7)
    valid = imperfect = 0
    for _ in range(tries):
        keep = [lv.keep_fixed | {x for x in lv.keep_free if rng.random() < 0.5}
                for lv in sp.levels]
        m = imperfect_mapping(ir.workload, ir.architecture, rng, keep=keep, p_spatial=0.6)
        if residual_problems(m, ir.workload.bound_map) or check_mapping(
                ir.workload, ir.architecture, m, None):
            continue
        r = evaluate(ir.workload, ir.architecture, m, ir.tables)
        if not faithful(r, ir.workload.macs):
            continue  # Timeloop's averaged count below the real MACs: never reported
        valid += 1
        imperfect += mapping_is_imperfect(m)
        assert b.energy <= r.energy * (1 + 1e-9)
        assert b.cycles <= r.cycles
        assert b.edp <= r.energy * r.cycles * (1 + 1e-9)
    assert valid > want and imperfect > want // 2


def test_relaxed_spatial_maxima_respect_fanouts_and_bounds(files):
    d = _design(files, C=16, M=197, N=1)
    sp = _space(d)
    f = relaxed_max_spatial(sp)
    allv = frozenset(range(len(sp.dims)))
    levels = frozenset(range(sp.nlevels))
    m = sp.dims.index("M")
    assert f(allv, levels) == 14 * 12
    # N = 1 and C is not allowed on the columns: C16 x M on rows, M alone on columns
    assert f(frozenset({m}), levels) == 12 * 14
    assert f(frozenset({sp.dims.index("N")}), levels) == 1


# -- settings ------------------------------------------------------------------------------------
def test_ruby_and_remainders_turn_imperfect_on(files):
    plain = _design(files, C=16, M=96, N=16)
    assert not imperfect_wanted(_space(plain))  # 96 = 2^5 * 3: nothing awkward
    ruby = _design(files, C=16, M=96, N=16, extra=[RUBY])
    assert ruby.ir.constraints.template == "ruby"
    assert imperfect_wanted(_space(ruby))
    rem = _design(files, C=16, M=96, N=16, extra=[REMAINDERS])
    assert imperfect_wanted(_space(rem))
    names = [st.name for st in rem.ir.architecture.storage]
    assert remainder_slots(rem.ir.constraints) == {
        (names.index("global_buffer"), "temporal"),
        (names.index("inter_PE_column_spatial"), "spatial")}
    bad = REMAINDERS.replace("remainders: 8", "remainders: -1")
    with pytest.raises(ValidationError, match="remainders"):
        _design(files, C=16, M=96, N=16, extra=[bad])


def test_remainders_restrict_where_residuals_go(files):
    d = _design(files, C=16, M=97, N=16, extra=[REMAINDERS], dram=False)
    ir = d.ir
    sp = _space(d)
    out = run_search(sp, ir.tables, model_batch_fn(ir.workload, ir.architecture, ir.tables),
                     SearchOptions(timeout=30, search_size=1500, quiet=True))
    allowed = remainder_slots(ir.constraints)
    for s, lv in enumerate(out.mapping.levels):
        for lp in lv.temporal + lv.spatial:
            if lp.residual is not None and lp.residual != lp.end and lp.end > 1:
                assert (s, "spatial" if lp.spatial else "temporal") in allowed


def test_default_rule_prime_factor_larger_than_a_fanout(files):
    on = _space(_design(files, C=16, M=197, N=16))
    assert sp_dims(on, awkward_dims(on)) == ["M"]  # 197 > 12 rows
    assert imperfect_wanted(on) and not imperfect_wanted(on, "off")
    off = _space(_design(files, C=16, M=1000, N=16))  # 1000 = 2^3 * 5^3
    assert awkward_dims(off) == {} and not imperfect_wanted(off)
    assert imperfect_wanted(off, "on")
    eleven = _space(_design(files, C=16, M=11, N=16))  # 11 fits 12 rows and 14 columns
    assert not imperfect_wanted(eleven)
    thirteen = _space(_design(files, C=16, M=13, N=16))  # 13 > 12 rows
    assert imperfect_wanted(thirteen)
    # the perfect-only path is taken when the rule says no: no imperfect report
    d = _design(files, C=16, M=96, N=16)
    ir = d.ir
    out = run_search(_space(d), ir.tables,
                     model_batch_fn(ir.workload, ir.architecture, ir.tables),
                     SearchOptions(timeout=30, search_size=300, quiet=True))
    assert not hasattr(out, "imperfect") and not mapping_is_imperfect(out.mapping)


def sp_dims(space, dims) -> list[str]:
    return [space.dims[d] for d in sorted(dims)]


def test_after_scouting_the_best_scouted_plan_runs_first(files, monkeypatch):
    # A timed search scouts every run briefly; the second round then goes best-scouted
    # first, so a short budget's answer comes from the most promising run; a plan whose
    # scout already beats the perfect-factor search runs its full share at once.
    from loopnest.mapper import imperfect

    monkeypatch.setattr(imperfect, "SCOUT_MIN", 1.0)
    monkeypatch.setattr(imperfect, "SCOUT_SLICE", imperfect.MIN_SLICE)
    d = _design(files, C=16, M=97, N=197, dram=False)
    ir = d.ir
    sp = _space(d)
    plans = imperfect.padding_plans(sp)
    assert len(plans) >= 2
    fn = model_batch_fn(ir.workload, ir.architecture, ir.tables)
    out = run_search(sp, ir.tables, fn, SearchOptions(timeout=3 * (1 + len(plans)),
                                                      quiet=True, seed=0, imperfect="on"))
    reps = out.imperfect
    seen: dict[str, int] = {}
    scout_at, full_at = {}, {}
    for i, r in enumerate(reps):
        k = repr(r.pads)
        (full_at if k in seen else scout_at)[k] = i
        seen[k] = seen.get(k, 0) + 1
    assert [reps[i].pads for i in sorted(scout_at.values())] == plans  # scouts in plan order
    assert full_at and all(n == 2 for n in seen.values())
    last_scout = max(scout_at.values())
    for k, i in full_at.items():
        if i < last_scout:  # promoted: straight after its own scout
            assert i == scout_at[k] + 1
    inf = float("inf")
    scout_best = {k: (reps[i].best if reps[i].best is not None else inf)
                  for k, i in scout_at.items()}
    order = [scout_best[k] for k, i in sorted(full_at.items(), key=lambda t: t[1])
             if i > last_scout]
    assert order == sorted(order)


def test_a_short_budget_gives_the_rest_to_the_best_scout(files):
    # Under SCOUT_MIN s per run, the scouting slices shrink to fit and the best scout
    # then takes all that is left: one full run at most, the last one, and (when every
    # plan scouted before it) the plan that scouted best.
    from loopnest.mapper import imperfect

    d = _design(files, C=16, M=97, N=197, dram=False)
    ir = d.ir
    sp = _space(d)
    plans = imperfect.padding_plans(sp)
    runs = 1 + len(plans)
    total = 2.6 * imperfect.MIN_SLICE * runs  # scouting slices of 1.3 x MIN_SLICE
    assert total < imperfect.SCOUT_MIN * runs
    fn = model_batch_fn(ir.workload, ir.architecture, ir.tables)
    out = run_search(sp, ir.tables, fn, SearchOptions(timeout=total, quiet=True, seed=0,
                                                      imperfect="on"))
    keys = [repr(r.pads) for r in out.imperfect]
    # 197 rows leave most of the 14 x 12 array idle: a padded plan wins (an even split,
    # as before, gave every run one slice and no run a second one)
    twice = [k for k in set(keys) if keys.count(k) == 2]
    assert len(twice) == 1 and all(keys.count(k) <= 2 for k in keys)
    assert keys[-1] == twice[0] and keys.index(twice[0]) != len(keys) - 1
    if len(keys) == len(plans) + 1:  # not promoted: every plan scouted first
        scouted = [float("inf") if r.best is None else r.best for r in out.imperfect[:-1]]
        assert scouted[keys.index(twice[0])] == min(scouted)
    assert out.imperfect[-1].seconds > max(r.seconds for r in out.imperfect[:-1])
    assert out.elapsed < total + 2.0


def _padded_search(files, options: SearchOptions):
    """(real space, padded space, pads, a PaddedSearch over the padded space) for a
    197-row matmul on eyeriss_like's first padding plan."""
    from loopnest.mapper import imperfect
    from loopnest.mapper.padding import padded_constraints, padded_workload

    d = _design(files, C=16, M=97, N=197, dram=False)
    ir = d.ir
    sp = _space(d)
    pads = imperfect.padding_plans(sp)[0]
    pw = padded_workload(ir.workload, pads)
    psp = build_mapspace(pw, ir.architecture, padded_constraints(ir.constraints, ir.workload,
                                                                 pads))
    ps = imperfect._padded_search_class()(psp, ir.tables,
                                          model_batch_fn(pw, ir.architecture, ir.tables),
                                          options)
    return sp, psp, pads, ps


def test_a_full_padded_run_shows_its_best_while_it_runs(files):
    # A padded run's mappings used to reach the answer only when the run ended; a full
    # run now hands its best over as it improves, at most every CONVERT_EVERY seconds.
    from loopnest.mapper import imperfect

    sp, psp, pads, ps = _padded_search(files, SearchOptions(timeout=3, quiet=True, seed=0,
                                                            imperfect="off"))
    calls = []
    ps.on_best = lambda c: calls.append((time.monotonic(), c.key(), ps.best_cost))
    out = ps.run()
    end = time.monotonic()
    assert len(calls) >= 2
    assert len({k for _, k, _ in calls}) == len(calls)  # only a new best is handed over
    assert all(b - a >= imperfect.CONVERT_EVERY for (a, _, _), (b, _, _) in zip(calls, calls[1:]))
    assert all(t < end for t, _, _ in calls)
    costs = [c for _, _, c in calls]
    assert costs == sorted(costs, reverse=True)  # each one better than the last
    assert ps.best_cost <= costs[-1] and out.result is not None
    # each handed-over candidate converts to a residual mapping of the real layer
    assert imperfect.convert(sp, psp, [imperfect._cand_from_key(calls[-1][1])], pads)


def test_a_padded_search_starts_from_the_widest_tiling(files):
    # Padded searches skip the bound, and they used to skip its widest-parallelism
    # tiling with it: the start that fills the array. Without it a padded ViT run on
    # simba_like took 2x the EDP a standalone search of the same padded layer found.
    # It is now their first start (filling the array is what padding is for).
    import math

    _, psp, _, ps = _padded_search(files, SearchOptions(timeout=30, search_size=200, quiet=True,
                                                        seed=0, imperfect="off"))
    starts = []
    anneal = ps._anneal
    ps._anneal = lambda start, exact: (starts.append(start[0].tiling.key()),
                                       anneal(start, exact))
    out = ps.run()
    assert out.bound.energy == 0  # still no bound of the padded layer
    widest = ps._model.widest
    assert widest is not None
    fanout = math.prod(lv.fanout[0] * lv.fanout[1] for lv in psp.levels)
    spatial = math.prod(f for lv in widest[0].f for k in lv[1:] for f in k)
    assert spatial == fanout  # the padded layer fills the whole array
    assert starts and starts[0] == widest[0].key()  # and its first annealing run starts there


def test_a_warm_search_starts_from_the_candidates_it_is_given(files):
    # A plan's full run goes on from its scouting slice: the slice's best is scored
    # first, so the run is never worse than the slice was.
    from loopnest.mapper.search import Search

    d = _design(files, C=16, M=96, N=16)
    ir = d.ir
    sp = _space(d)
    fn = model_batch_fn(ir.workload, ir.architecture, ir.tables)
    first = Search(sp, ir.tables, fn, SearchOptions(timeout=30, search_size=3000, quiet=True,
                                                    seed=1))
    a = first.run()
    again = Search(sp, ir.tables, fn, SearchOptions(timeout=30, search_size=64, quiet=True,
                                                    seed=2))
    again.warm = [a.candidate]
    b = again.run()
    assert b.result.edp <= a.result.edp * (1 + 1e-12)
    cold = Search(sp, ir.tables, fn, SearchOptions(timeout=30, search_size=64, quiet=True,
                                                   seed=2)).run()
    assert cold.result.edp > a.result.edp  # 64 candidates alone do not get there


def test_one_word_registers_do_not_make_every_layer_awkward():
    # Simba's operand registers hold one word whatever the tiling; counted as buffers,
    # every prime factor "exceeded" them and every layer went through the padded searches.
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    d = load_design([str(p) for p in design_files("simba_like")]
                    + [str(root / "workloads" / "resnet18" / "conv3x3_s1_c64_m64_56x56.yaml")])
    ir = d.ir
    sp = build_mapspace(ir.workload, ir.architecture, ir.constraints)
    assert any(lv.capacity == 1 for lv in sp.levels)  # the registers are there
    assert awkward_dims(sp) == {} and not imperfect_wanted(sp)
