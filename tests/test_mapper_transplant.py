"""Mappings carried from one layer to another (mapper/transplant.py), stationary tilings
(TilingModel.stationary) and the second search a network runs from them
(design_search.second_search).

On the repository's simple_pe_array (RegisterFile 64 words, 8 PEs along X, GlobalBuffer,
DRAM) with its fixed tables: a refit by hand, a round trip, the refusals,
and a seeded search that starts from a sibling's mapping and never ends worse.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from loopnest import api
from loopnest.mapper.design_search import _space_and_batch, second_search
from loopnest.mapper.mapspace import SX, T
from loopnest.mapper.objective import cost
from loopnest.mapper.transplant import describe, fit
from loopnest.network.problems import conv, render_problem

REPO = Path(__file__).resolve().parents[1]
ARCH = [str(REPO / "arch_library" / "simple_pe_array" / f) for f in ("arch.yaml", "tables.yaml")]


def _design(tmp: Path, **shape):
    p = conv(**shape)
    path = tmp / f"{p.stem}.yaml"
    path.write_text(render_problem(p))
    return api.load_design(ARCH + [str(path)])


def _factors(space, cand, dim: str) -> dict[tuple[int, int], int]:
    d = space.dims.index(dim)
    return {(i, k): cand.tiling.f[i][k][d] for i in range(space.nlevels) for k in range(3)
            if cand.tiling.f[i][k][d] > 1}


# RegisterFile: C4 inside; 8 PEs along X: M8; GlobalBuffer: P8; DRAM: Q8 C4 M2
SOURCE = [  # conv 1x1, C=16 M=16, 8x8 outputs
    {"temporal": [["C", 4]], "spatial": [], "keep": ["Weights", "Inputs", "Outputs"]},
    {"temporal": [], "spatial": [["M", 8, "X"]], "keep": []},
    {"temporal": [["P", 8]], "spatial": [], "keep": ["Inputs", "Outputs"]},
    {"temporal": [["Q", 8], ["C", 4], ["M", 2]], "spatial": [],
     "keep": ["Weights", "Inputs", "Outputs"]},
]


def test_refit_by_hand(tmp_path: Path) -> None:
    """C=8 M=32 4x4: every slot keeps the largest divisor of what is left that the
    source's factor allows, innermost first; the rest goes to DRAM."""
    d = _design(tmp_path, c=8, m=32, kernel=1, out=4)
    space, _ = _space_and_batch(d.ir)
    cand = fit(space, SOURCE)
    assert cand is not None
    assert [lv.name for lv in space.levels] == ["RegisterFile", "inter_PE_spatial",
                                                "GlobalBuffer", "DRAM"]
    assert _factors(space, cand, "C") == {(0, T): 4, (3, T): 2}  # 8 = 4 x 2
    assert _factors(space, cand, "M") == {(1, SX): 8, (3, T): 4}  # 32 = 8 x 4
    assert _factors(space, cand, "P") == {(2, T): 4}  # 4 <= 8: all at the buffer
    assert _factors(space, cand, "Q") == {(3, T): 4}
    # the DRAM order is the source's (Q inner, then C, then M)
    dram = space.to_mapping(cand).levels[3].temporal
    assert [lp.dim for lp in dram if lp.end > 1] == ["Q", "C", "M"]
    assert space.to_mapping(cand).levels[2].keep == frozenset({"Inputs", "Outputs"})


def test_round_trip_on_the_same_layer(tmp_path: Path) -> None:
    d = _design(tmp_path, c=16, m=16, kernel=3, out=8)
    res = api.map_layer(d, evaluations=400)
    space, batch = _space_and_batch(d.ir)
    cand = fit(space, describe(res.mapping))
    assert cand is not None
    again = space.to_mapping(cand)
    assert describe(again) == describe(res.mapping)
    r = batch([again])[0]
    assert (r.energy, r.cycles) == pytest.approx((res.stats.energy, res.stats.cycles), rel=1e-12)


def test_what_does_not_fit_is_refused(tmp_path: Path) -> None:
    d = _design(tmp_path, c=8, m=32, kernel=1, out=4)
    space, _ = _space_and_batch(d.ir)
    assert fit(space, SOURCE[:3]) is None  # another number of levels
    other_dim = [dict(SOURCE[0], temporal=[["K", 4]])] + SOURCE[1:]
    assert fit(space, other_dim) is None
    other_ds = [dict(SOURCE[0], keep=["Psums"])] + SOURCE[1:]
    assert fit(space, other_ds) is None
    # 3x3 kernels, 64 channels in the 64-word register file: over capacity
    big = _design(tmp_path, c=64, m=16, kernel=3, out=8)
    bspace, _ = _space_and_batch(big.ir)
    full = [{"temporal": [["C", 64], ["R", 3], ["S", 3]], "spatial": [],
             "keep": ["Weights", "Inputs", "Outputs"]}] + SOURCE[1:]
    assert fit(bspace, SOURCE) is not None
    assert fit(bspace, full) is None


def test_stationary_tilings(tmp_path: Path) -> None:
    """TilingModel.stationary: every dimension the data space depends on iterates below
    DRAM, the others at DRAM, and a level below DRAM keeps the data space; None when
    the constraints forbid it."""
    from loopnest.mapper.cpsat import TilingModel

    d = _design(tmp_path, c=8, m=32, kernel=1, out=4)  # 256 weights, 128 inputs, 512 outputs
    space, _ = _space_and_batch(d.ir)
    model = TilingModel(space)
    top = space.nlevels - 1
    for ds, rel in (("Weights", "CMRS"), ("Inputs", "CNPQRS"), ("Outputs", "MNPQ")):
        til, keep = model.stationary(ds)
        f = til.f
        for k, dim in enumerate(space.dims):
            inside = math.prod(f[i][kind][k] for i in range(top) for kind in range(3))
            if dim in rel:
                assert f[top][T][k] == 1 and inside == d.ir.workload.bound_map[dim]
            else:
                assert inside == 1  # pushed out: the stationary data space does not need it
        assert math.prod(f[1][SX]) == 8  # all 8 PEs
        assert any(ds in k for k in keep[:top])
    # a constraint keeping C at DRAM: no weight-stationary tiling
    cons = tmp_path / "cons.yaml"
    cons.write_text("constraints:\n  version: 0.4\n  targets:\n"
                    "  - {target: DRAM, type: temporal, factors: [C=8]}\n")
    fixed = api.load_design([*ARCH, str(tmp_path / "conv1x1_s1_c8_m32_4x4.yaml"), str(cons)])
    fspace, _ = _space_and_batch(fixed.ir)
    assert TilingModel(fspace).stationary("Weights") is None
    assert TilingModel(fspace).stationary("Outputs") is not None  # C is not an output's


def test_second_search_starts_from_a_better_sibling(tmp_path: Path) -> None:
    d = _design(tmp_path, c=8, m=32, kernel=1, out=4)
    space, batch = _space_and_batch(d.ir)
    opts = api.search_options(d, evaluations=256, threads=1)
    start = cost(batch([space.to_mapping(fit(space, SOURCE))])[0], opts.metrics)
    # nothing beats a cost of 0: searched, not better, no sibling beat it
    out, label, better = second_search(d.ir, opts, [("sibling", SOURCE)], [0.0])
    assert (label, better) == ("", False) and 256 <= out.valid < 256 + 2 * 64
    out, label, better = second_search(d.ir, opts, [("sibling", SOURCE)], [math.inf])
    assert label == "sibling" and better
    assert cost(out.result, opts.metrics) <= start  # never worse than its start
    assert 256 <= out.valid < 256 + 2 * 64


def test_an_awkward_layer_is_reported_against_the_imperfect_bound(tmp_path: Path) -> None:
    """C=7, M=31, 5x5 over 8 PEs (M padded to 32): the layer is searched with imperfect factors, so
    the seeded (perfect-factor) search's gap is against the bound over imperfect
    mappings."""
    from loopnest.mapper.imperfect import imperfect_bound
    from loopnest.mapper.padding import imperfect_wanted, padding_plans

    d = _design(tmp_path, c=7, m=31, kernel=1, out=5)
    space, _ = _space_and_batch(d.ir)
    assert imperfect_wanted(space, "auto") and padding_plans(space)
    opts = api.search_options(d, evaluations=128, threads=1)
    out, _, _ = second_search(d.ir, opts, [("sibling", SOURCE)], [math.inf])
    b = imperfect_bound(space, d.ir.tables).value("edp")
    assert out.bound.value("edp") == b
    edp = out.result.energy * out.result.cycles
    assert out.gap == pytest.approx(edp / b - 1, rel=1e-9)
