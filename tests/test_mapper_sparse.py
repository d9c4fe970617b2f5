"""The mapper on sparse designs: candidates scored by the sparse model, compressed tiles
in the capacity checks, a bound that scales by the densities, Sparseloop's stats."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from loopnest.ir.checker import check_mapping
from loopnest.mapper.bound import sparse_scaled
from loopnest.mapper.design_search import search_design
from loopnest.mapper.mapspace import build_mapspace, compressed_occupancy
from loopnest.mapper.search import Search, SearchOptions
from loopnest.model.randmap import random_mapping
from loopnest.model.sparse.analysis import nonzero_fraction
from loopnest.model.sparse.evaluate import sparse_result
from loopnest.model.sparse.spec import design_sparse

FIXTURES = Path(__file__).parent / "fixtures" / "sparse"
CONV = FIXTURES / "conv1d_gated_rle.yaml"


def _design(text: str, tmp_path: Path, require_mapping: bool = True):
    from loopnest.checks import check_loaded
    from loopnest.spec.load import load_spec

    p = tmp_path / "design.yaml"
    p.write_text(text)
    return check_loaded(load_spec([str(p)], {}, None), "model",
                        require_mapping=require_mapping).design


def _small_buffer(depth: int) -> str:
    """The worked example with a Buffer of `depth` words."""
    text = CONV.read_text()
    assert "{depth: 128," in text
    return text.replace("{depth: 128,", f"{{depth: {depth},")


def test_compressed_occupancy_per_level(tmp_path):
    """Inputs is RLE-compressed in Buffer at a fixed-structured density 0.5: a kept
    Inputs tile there occupies half its dense words; MainMemory keeps dense words."""
    d = _design(CONV.read_text(), tmp_path)
    sp = design_sparse(d.native, d.workload, d.architecture)
    assert compressed_occupancy(sp, 1, d.workload.ds_names) is None  # MainMemory
    assert compressed_occupancy(sp, 0, d.workload.ds_names) == {
        "Weights": 1.0, "Inputs": 0.5, "Outputs": 1.0}
    space = build_mapspace(d.workload, d.architecture, d.constraints, sp)
    assert space.sparse is sp
    assert space.levels[0].density == {"Weights": 1.0, "Inputs": 0.5, "Outputs": 1.0}
    assert space.levels[1].density is None
    # Buffer (level 0) tiles of the fixture's mapping: Weights 1x3, Inputs 18, Outputs 16
    ext = [1, 3, 16]  # K, R, P
    assert space.words_at(ext, 0, frozenset({"Weights", "Inputs", "Outputs"})) == 3 + 9 + 16


def test_checker_and_sparse_model_admit_a_compressed_fit(tmp_path):
    """A 30-word Buffer: the fixture's mapping needs 37 dense words there (3 + 18 + 16)
    but 28 compressed (Inputs 18 -> 9): refused dense, admitted compressed, and the
    sparse model agrees it fits."""
    d = _design(_small_buffer(30), tmp_path)
    sp = design_sparse(d.native, d.workload, d.architecture)
    space = build_mapspace(d.workload, d.architecture, d.constraints, sp)
    dense = check_mapping(d.workload, d.architecture, d.mapping, d.constraints)
    assert any("37 words exceed capacity 30" in e for e in dense)
    occ = [lv.density for lv in space.levels]
    assert check_mapping(d.workload, d.architecture, d.mapping, d.constraints, occ) == []
    assert sparse_result(d.workload, d.architecture, d.mapping, d.tables, sp).valid


def test_mapper_searches_with_the_sparse_model(tmp_path):
    """The mapper on the worked example (no mapping given): its best is what the sparse
    model says of that mapping, at or below the fixture's own mapping's EDP, and the
    dense model would have reported other figures."""
    from loopnest.model.evaluate import evaluate

    text = CONV.read_text()
    text = text[:text.index("mapping:")] + text[text.index("sparse_optimizations:"):]
    d = _design(text, tmp_path, require_mapping=False)
    (tmp_path / "ref").mkdir()
    ref = _design(CONV.read_text(), tmp_path / "ref")
    sp = design_sparse(ref.native, ref.workload, ref.architecture)
    ref_edp = sparse_result(ref.workload, ref.architecture, ref.mapping, ref.tables, sp).edp
    out = search_design(d, SearchOptions(timeout=1e9, search_size=400, threads=1, seed=3,
                                         quiet=True, deterministic=True), "none", "")
    assert out.sparse is not None
    again = sparse_result(d.workload, d.architecture, out.mapping, d.tables, out.sparse)
    assert again.valid and again.energy == pytest.approx(out.result.energy)
    assert again.cycles == out.result.cycles
    assert out.result.edp <= ref_edp * (1 + 1e-12)
    dense = evaluate(d.workload, d.architecture, out.mapping, d.tables)
    assert dense.energy > out.result.energy + 100  # gated MACs and compressed inputs save
    assert out.gap is not None and out.gap >= 0


def test_mapper_cli_writes_sparse_stats_and_a_round_trip(tmp_path):
    """`loopnest mapper` on a sparse design: Sparseloop's stats layout, a summary that
    says how candidates were scored, and a map.yaml that `loopnest model` turns into
    the same figures."""
    from loopnest.cli import main

    text = CONV.read_text()
    nomap = tmp_path / "nomap.yaml"
    nomap.write_text(text[:text.index("mapping:")] + text[text.index("sparse_optimizations:"):]
                     + "mapper: {search_size: 300}\n")
    assert main(["mapper", str(nomap), "-o", str(tmp_path / "m"), "--threads", "1", "-q"]) == 0
    stats = (tmp_path / "m" / "timeloop-mapper.stats.txt").read_text()
    assert "fJ/Algorithmic-Compute" in stats
    summary = (tmp_path / "m" / "loopnest-mapper.summary.yaml").read_text()
    assert "model: sparse" in summary and "bound_assumes:" in summary
    # the mapping back through `loopnest model` with the design (mapper section dropped)
    design = tmp_path / "design.yaml"
    design.write_text(text[:text.index("mapping:")] + text[text.index("sparse_optimizations:"):])
    assert main(["model", str(design), str(tmp_path / "m" / "timeloop-mapper.map.yaml"),
                 "-o", str(tmp_path / "r"), "-q"]) == 0
    again = (tmp_path / "r" / "timeloop-model.stats.txt").read_text()
    pick = [ln for ln in stats.splitlines() if ln.startswith(("Energy:", "Cycles:", "EDP"))]
    assert pick and all(ln in again.splitlines() for ln in pick)


@pytest.mark.parametrize("fixture", ["conv1d_gated_rle.yaml", "dotprod_gated.yaml"])
def test_sparse_bound_holds_for_random_mappings(fixture, tmp_path):
    """No random mapping beats the sparse bound (the dense bound scaled by the product of
    all densities) on energy or cycles; the scale is that product."""
    import time

    from loopnest.mapper.cpsat import TilingModel
    from loopnest.mapper.scoring import model_batch_fn

    d = _design((FIXTURES / fixture).read_text(), tmp_path)
    sp = design_sparse(d.native, d.workload, d.architecture)
    space = build_mapspace(d.workload, d.architecture, d.constraints, sp)
    s = Search(space, d.tables, model_batch_fn(d.workload, d.architecture, d.tables, sp),
               SearchOptions(timeout=5, quiet=True))
    b = s._lower_bound(TilingModel(space), time.monotonic() + 5)
    frac = nonzero_fraction(d.workload, sp)
    assert 0 < frac < 1
    dense = Search(build_mapspace(d.workload, d.architecture, d.constraints), d.tables,
                   model_batch_fn(d.workload, d.architecture, d.tables),
                   SearchOptions(timeout=5, quiet=True))
    db = dense._lower_bound(TilingModel(dense.space), time.monotonic() + 5)
    assert b.energy == pytest.approx(db.energy * frac)
    rng = random.Random(5)
    seen = 0
    for _ in range(200):
        m = random_mapping(d.workload, d.architecture, rng)
        r = sparse_result(d.workload, d.architecture, m, d.tables, sp)
        if not r.valid:
            continue
        seen += 1
        assert r.energy >= b.energy * (1 - 1e-9)
        assert r.cycles >= b.cycles
    assert seen >= 20


def test_sparse_scaled_by_hand():
    from loopnest.mapper.bound import Bound

    b = sparse_scaled(Bound(1000.0, 99, 40.0, 8, True), 0.25)
    assert (b.energy, b.cycles, b.last_level_accesses) == (250.0, 24, 10.0)
    assert sparse_scaled(Bound(1.0, 2, 1.0, 1, True), 0.01).cycles == 1  # never 0


def test_banded_condition_tile_overhanging_its_tensor():
    """A mapper candidate can condition on a tile wider than its banded tensor (64 of a
    32x32 tensor's columns); only the part inside the tensor counts, where the raw
    formula gave NaN and crashed the search."""
    from loopnest.model.sparse.density import DensityModel
    from loopnest.model.sparse.spec import DensitySpec

    m = DensityModel(DensitySpec("banded", 1.0, band_width=3), 1024, (32, 32))
    inside = m.prob_empty(32, (1, 32))
    assert inside == inside and 0.0 <= inside < 1.0
    assert m.prob_empty(64, (1, 64)) == inside
