"""Sparseloop model: density models, the front end, and a hand-derived end-to-end design."""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopnest.errors import ValidationError
from loopnest.model.sparse.density import DensityModel, hypergeometric_pmf, type_name
from loopnest.model.sparse.spec import DensitySpec, parse_density, parse_sparse

FIXTURE = Path(__file__).parent / "fixtures" / "sparse" / "dotprod_gated.yaml"
SPARSE_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sparse"


# ------------------------------------------------------------------ density models
def test_hypergeometric_small_case_by_hand():
    # 4 points, density 0.5 -> 2 nonzeros; a tile of 2 points
    m = DensityModel(DensitySpec("hypergeometric", 0.5), 4)
    assert m.nnz == 2
    # P(empty) = C(2,0) C(2,2) / C(4,2) = 1/6; P(1) = 2*2/6; P(2) = 1/6
    assert m.prob_empty(2) == pytest.approx(1 / 6)
    assert m.probability(2, 1) == pytest.approx(4 / 6)
    assert m.probability(2, 2) == pytest.approx(1 / 6)
    # E[occupancy] = 0*1/6 + 1*4/6 + 2*1/6 = 1
    assert m.expected_occupancy(2) == pytest.approx(1.0)
    assert m.occupancy_at(2) == 2            # max occupancy = min(tile, nnz)
    assert m.occupancy_at(3) == 2


def test_hypergeometric_rounds_nonzeros_up():
    # ceil(0.3 * 10) = 3 nonzeros; a 1-point tile is nonzero with P = 3/10
    m = DensityModel(DensitySpec("hypergeometric", 0.3), 10)
    assert m.nnz == 3
    assert m.expected_occupancy(1) == pytest.approx(0.3)
    assert hypergeometric_pmf(0, 3, 1, 10) == pytest.approx(0.7)


def test_fixed_structured_by_hand():
    m = DensityModel(DensitySpec("fixed_structured", 0.75), 100)
    # 3 points x 0.75 = 2.25 -> 2 nonzeros with P 0.75, 3 with P 0.25
    assert m.probability(3, 2) == pytest.approx(0.75)
    assert m.probability(3, 3) == pytest.approx(0.25)
    assert m.expected_occupancy(3) == pytest.approx(2.25)
    assert m.occupancy_at(3) == 3            # confidence 1.0 -> the ceiling
    # one point: empty with P 0.25; two points (1.5 nonzeros): never empty
    assert m.prob_empty(1) == pytest.approx(0.25)
    assert m.prob_empty(2) == 0.0
    # an integral expectation is exact
    assert m.pmf(4) == {3: 1.0}


def test_density_type_names():
    assert type_name(DensitySpec("fixed_structured", 0.5)) == "fixed_structured"
    assert type_name(DensitySpec("banded", 0.0, band_width=2)) == "banded-2"


def test_banded_distribution_by_hand():
    from loopnest.model.sparse import banded

    # 4 x 4, band width 1: 4 + 2*3 = 10 nonzeros; 2 x 2 tiles: the two diagonal tiles
    # hold 4, the two off-diagonal ones 1
    assert banded.total_nnz(4, 1) == 10
    assert banded.distribution((4, 4), (2, 2), 1) == {0: 0.0, 1: 0.5, 4: 0.5}
    m = DensityModel(DensitySpec("banded", 0.0, band_width=1), 16, (4, 4))
    assert m.expected_density() == pytest.approx(10 / 16)
    assert m.occupancy_at(4, 1.0, (2, 2)) == 4
    assert m.prob_empty(4, (2, 2)) == 0.0


def test_format_metadata_counts_by_hand():
    from loopnest.model.sparse.formats import RankNest, rank_occupancy
    from loopnest.model.sparse.spec import RankFormat, TensorFormat

    # K = 8 as 2 fibers (UOP, outer) of 4 coordinates (CP, inner); 4 nonzeros
    # (fixed-structured 0.5). UOP: 1 fiber x (2 + 1) offsets. CP: each half holds 2
    # nonzeros (never empty), so 2 fibers x ceil(4 x P(coordinate nonzero) = 2) = 4
    # coordinates; the innermost rank's payload is the data itself: 0.
    fmt = TensorFormat("A", ranks=(RankFormat("CP", 4, 4), RankFormat("UOP", 4, 4)))
    nest = RankNest(loops=[[("K", 4)], [("K", 2)]], fiber_shapes=[4, 2],
                    subtiles=[(1,), (4,), (8,)])
    m = DensityModel(DensitySpec("fixed_structured", 0.5), 8)
    occ = rank_occupancy(fmt, nest, (8,), 4, m)
    assert [(o.metadata, o.payload) for o in occ] == [(4, 0), (0, 3)]
    # an empty tile has no fibers at all (P(tile empty | 0 nonzeros) = 1)
    occ = rank_occupancy(fmt, nest, (8,), 0, m)
    assert [(o.metadata, o.payload) for o in occ] == [(0, 0), (0, 0)]


# ------------------------------------------------------------------ front end
def test_density_aliases_and_errors():
    assert parse_density(0.4, {}, "A") == DensitySpec("fixed_structured", 0.4)
    assert parse_density({"distribution": "fixed", "density": 0.2}, {}, "A").distribution \
        == "fixed_structured"
    with pytest.raises(ValidationError, match="unknown density distribution"):
        parse_density({"distribution": "gaussian", "density": 0.2}, {}, "A")
    with pytest.raises(ValidationError, match="missing density"):
        parse_density({"distribution": "hypergeometric"}, {}, "A")
    with pytest.raises(ValidationError, match="band_width"):
        parse_density({"distribution": "banded"}, {}, "A")


def _design(path: Path = FIXTURE):
    """The lowered Design (with its TL-native spec), as `loopnest model` loads it."""
    from loopnest.checks import check_loaded
    from loopnest.spec.load import load_spec

    return check_loaded(load_spec([str(path)], {}, None), "model",
                        require_mapping=True).design


def test_parse_sparse_fixture():
    d = _design()
    spec = parse_sparse(d.native, d.workload, d.architecture)
    assert spec.present and spec.any_optimization
    assert spec.compute_gating and not spec.compute_skipping
    assert spec.densities["A"] == DensitySpec("fixed_structured", 0.5)
    assert spec.densities["B"] == DensitySpec()          # dense by default
    acts = spec.levels[0].actions
    assert acts[0].kind == "skipping"
    assert (acts[0].options[0].target, acts[0].options[0].condition_on) == ("B", ("A",))


def test_parse_sparse_rejects_bad_targets():
    d = _design()
    native = dict(d.native)
    native["sparse_optimizations"] = {"targets": [{"name": "Nowhere",
                                                   "action_optimization": []}]}
    with pytest.raises(ValidationError, match="target storage level not found"):
        parse_sparse(native, d.workload, d.architecture)
    native["sparse_optimizations"] = {"targets": [{"name": "Buffer", "representation_format": {
        "data_spaces": [{"name": "A", "ranks": [{"format": "UOP"}, {"format": "XYZ"}]}]}}]}
    with pytest.raises(ValidationError, match="unknown rank format"):
        parse_sparse(native, d.workload, d.architecture)
    native["sparse_optimizations"] = {"targets": [{"name": "Buffer", "representation_format": {
        "data_spaces": [{"name": "A", "ranks": [{"format": "CP"}, {"format": "UOP"}]}]}}]}
    with pytest.raises(ValidationError, match="uncompressed rank below a compressed"):
        parse_sparse(native, d.workload, d.architecture)
    native["sparse_optimizations"] = {"targets": [{"name": "MAC", "compute_optimization": [
        {"type": "teleport"}]}]}
    with pytest.raises(ValidationError, match="compute optimization type"):
        parse_sparse(native, d.workload, d.architecture)


def test_format_names_inner_rank_first():
    from loopnest.model.sparse.spec import RankFormat, TensorFormat

    f = TensorFormat("A", ranks=(RankFormat("B"), RankFormat("CP"), RankFormat("UOP")))
    assert f.name == "uop cp b "          # printed outer rank first, as Timeloop does
    assert f.compressed


# ------------------------------------------------------------------ end to end
def _evaluate(gating=True, skipping_b=True):
    from dataclasses import replace

    from loopnest.model.sparse.evaluate import evaluate_sparse

    d = _design()
    spec = parse_sparse(d.native, d.workload, d.architecture)
    if not skipping_b:
        spec = replace(spec, levels={})
    spec = replace(spec, compute_gating=gating)
    return evaluate_sparse(d.workload, d.architecture, d.mapping, d.tables, spec)


def test_compute_gating_by_hand():
    # 8 MACs; A is nonzero at half of them, B always: P(A=0, B!=0) = 0.5 -> 4 gated
    sr = _evaluate(gating=True, skipping_b=False)
    c = sr.compute
    assert (c.algorithmic, c.actual, c.gated, c.skipped) == (8, 4, 4, 0)
    assert c.cycles == 8                    # gated computes still take a cycle
    # a gated compute without its own ERT action is priced as `compute` (Timeloop's list)
    assert c.energy == pytest.approx(8 * 3.0)


def test_storage_skipping_by_hand():
    # Skipping B on A at the Buffer: the conditioning tile is one A value (the target
    # loop K is the innermost loop), empty with P = 1 - 0.5. Reads of B: 8 -> 4 skipped.
    # B is skipped all the way down, so 4 of the 8 computes never happen; A is then
    # nonzero whenever a compute happens, so nothing is left to gate.
    sr = _evaluate(gating=True, skipping_b=True)
    buf = sr.levels[0]
    b = next(sd for sd in buf.dataspaces if sd.name == "B")
    assert (b.reads, b.fine["random_read"], b.fine["skipped_read"]) == (8, 4, 4)
    a = next(sd for sd in buf.dataspaces if sd.name == "A")
    assert (a.fine["random_read"], a.fine["skipped_read"]) == (8, 0)
    c = sr.compute
    assert (c.algorithmic, c.actual, c.gated, c.skipped) == (8, 4, 0, 0)
    assert c.cycles == 4
    # Buffer energy: A 8 reads + B 4 reads at 1 pJ; Z: 1 fill... priced per action
    assert b.energy_total == pytest.approx(4 * 1.0)
    assert sr.result.energy == pytest.approx(c.energy + buf.energy)


def test_cli_prints_sparse_layout(tmp_path):
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "loopnest", "model", str(FIXTURE), "-o", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    text = (out / "timeloop-model.stats.txt").read_text()
    assert "Skipped scalar reads (per-instance)                         : 4" in text
    assert "fJ/Algorithmic-Compute" in text
    assert "Algorithmic Computes (total) : 8" in text


def test_batch_falls_back_for_sparse():
    from loopnest.model.batch import evaluate_many

    d = _design()
    spec = parse_sparse(d.native, d.workload, d.architecture)
    br = evaluate_many(d.workload, d.architecture, [d.mapping], d.tables, sparse=spec)
    assert br.exact_fallback[0] and br.fallback_reason(0) == "sparse optimizations"
    assert br.cycles[0] == 4 and math.isclose(br.energy[0], _evaluate().result.energy)


# ------------------------------------------------------------------ corpus replay
@pytest.mark.skipif(not SPARSE_CORPUS.is_dir(), reason="needs ../shared/corpus/sparse")
def test_sparse_corpus_replay_count():
    tool = SPARSE_CORPUS.parents[1] / "tools" / "conformance.py"
    p = subprocess.run([sys.executable, str(tool), "--sparse", str(SPARSE_CORPUS)],
                       capture_output=True, text=True, env={**os.environ})
    last = p.stdout.strip().splitlines()[-1]
    n = int(last.split()[1].split("/")[0])
    assert n == 50, last


def test_worked_example_conv1d_gated_rle():
    """docs/sparse.md's worked example."""
    from dataclasses import replace

    from loopnest.model.sparse.evaluate import evaluate_sparse

    d = _design(FIXTURE.parent / "conv1d_gated_rle.yaml")
    spec = parse_sparse(d.native, d.workload, d.architecture)
    sr = evaluate_sparse(d.workload, d.architecture, d.mapping, d.tables, spec)
    c = sr.compute
    assert (c.algorithmic, c.actual, c.gated, c.skipped, c.cycles) == (192, 48, 144, 0, 192)
    assert c.energy == pytest.approx(48 * 1.0 + 144 * 0.1)
    buf = sr.levels[0]
    inp = next(sd for sd in buf.dataspaces if sd.name == "Inputs")
    assert inp.format_name == "rle "
    assert inp.md_capacity == [(9, 0)] and inp.utilized_capacity == 9
    assert (inp.fine["random_read"], inp.fine["random_fill"]) == (96, 9)
    assert inp.fmt["random_metadata_read"] == [[96, 0]]
    assert inp.fmt["random_metadata_fill"] == [[9, 0]]
    assert inp.energy_total == pytest.approx(105 * 2.0 + (24 + 3) * 0.5)
    assert inp.read_ratio == pytest.approx(24 / 120)
    from loopnest.report.maptxt import format_map_txt

    assert "Buffer [ Weights:3 (3) Inputs:18 (9) Outputs:16 (16) ]" in format_map_txt(sr.result)
    # skipping instead of gating: pairs with a missing (compressed-away) input are skipped
    sr = evaluate_sparse(d.workload, d.architecture, d.mapping, d.tables,
                         replace(spec, compute_gating=False, compute_skipping=True))
    c = sr.compute
    assert (c.actual, c.gated, c.skipped, c.cycles) == (96, 0, 96, 96)


def test_capacity_uses_compressed_occupancy():
    """Dense tiles 3 + 18 + 16 = 37 words; with Inputs compressed 3 + 9 + 16 = 28."""
    from dataclasses import replace

    from loopnest.model.evaluate import evaluate
    from loopnest.model.sparse.evaluate import evaluate_sparse

    d = _design(FIXTURE.parent / "conv1d_gated_rle.yaml")
    spec = parse_sparse(d.native, d.workload, d.architecture)
    storage = list(d.architecture.storage)
    storage[0] = replace(storage[0], size=30)
    arch = replace(d.architecture, storage=tuple(storage))
    assert not evaluate(d.workload, arch, d.mapping, d.tables).valid
    assert evaluate_sparse(d.workload, arch, d.mapping, d.tables, spec).result.valid
    storage[0] = replace(storage[0], size=27)
    res = evaluate_sparse(d.workload, replace(d.architecture, storage=tuple(storage)),
                          d.mapping, d.tables, spec).result
    assert not res.valid and "mapped tile size 28 exceeds buffer capacity 27" in res.failure
    # 9 run lengths x 4 bits = 36 bits of metadata: one 16-bit metadata row is too few
    md = list(spec.metadata)
    md[0] = replace(md[0], storage_depth=1)
    res = evaluate_sparse(d.workload, d.architecture, d.mapping, d.tables,
                          replace(spec, metadata=tuple(md))).result
    assert not res.valid and "metadata tile size 36 bits exceeds" in res.failure
