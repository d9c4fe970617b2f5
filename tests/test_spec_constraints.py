"""Constraint lowering: targets, factor syntax, permutations, keep/bypass, conflicts."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.errors import ValidationError
from loopnest.ir.constraints import FactorBound
from loopnest.spec.load import load_spec
from loopnest.spec.located import LocDict, LocList
from loopnest.spec.native import to_native

lower = pytest.importorskip("loopnest.ir.lower")
from loopnest.ir.lower_constraints import lower_constraints  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "spec"


def _native(extra: list | None = None):
    spec = load_spec([str(FIX / "v4" / f) for f in ("arch.yaml", "problem.yaml",
                                                     "constraints.yaml")])
    native = to_native(spec)
    if extra is not None:  # TL-native directives next to the transpiled ones
        native["mapspace_constraints"] = LocList([LocDict(d, path="x") for d in extra])
    return native


def _lower(native):
    d = lower.lower_design(native)
    return lower_constraints(native, d.workload, d.architecture), d.architecture


def test_fixture_constraints() -> None:
    c, arch = _lower(_native())
    glb = c.levels[arch.level_index("GLB")]
    assert FactorBound("K", max=4) in glb.temporal_factors
    assert FactorBound("R", exact=1) in glb.temporal_factors
    assert (glb.temporal_permutation_prefix, glb.temporal_permutation_suffix) == ("RK", "P")  # R=1 pruned inner
    rf = c.levels[arch.level_index("RF")]
    assert rf.keep == {"Weights", "Outputs"} and rf.bypass == {"Inputs"}
    dummy = c.levels[arch.level_index("inter_PE_spatial")]
    assert FactorBound("K", min=2) in dummy.spatial_factors and dummy.split == 1
    assert dummy.bypass == {"Weights", "Inputs", "Outputs"}


def test_factor_syntaxes_and_limits() -> None:
    extra = [{"target": "DRAM", "type": "temporal", "factors": "K0 R=1, P<=8"},
             {"target": "DRAM", "type": "utilization", "min": 0.5},
             {"target": "DRAM", "type": "max_overbooked_proportion", "proportion": 0.1}]
    c, arch = _lower(_native(extra))
    dram = c.levels[arch.level_index("DRAM")]
    assert FactorBound("K", exact=8) in dram.temporal_factors
    assert FactorBound("P", max=8) in dram.temporal_factors
    assert dram.min_utilization == 0.5 and dram.max_overbooked_proportion == 0.1


@pytest.mark.parametrize("bad,msg", [
    ({"target": "GLBX", "type": "temporal", "factors": "K=1"}, "unknown target"),
    ({"target": "GLB", "type": "temporal", "factors": "R=1"}, "given twice"),
    ({"target": "GLB", "type": "temporal", "permutation": "RK"}, "given twice"),
    ({"target": "DRAM", "type": "temporal", "factors": "Z=1"}, "unknown dimension"),
    ({"target": "DRAM", "type": "temporal", "permutation": "KK"}, "repeated"),
    ({"target": "RF", "type": "bypass", "keep": ["Weights"]}, "twice"),
    ({"target": "DRAM", "type": "bypass", "keep": ["Wieghts"]}, "unknown data space"),
    ({"target": "DRAM", "type": "temporl"}, "unknown constraint type"),
])
def test_errors_are_located(bad: dict, msg: str) -> None:
    native = _native([bad])
    with pytest.raises(ValidationError, match=msg) as e:
        _lower(native)
    assert e.value.path and (e.value.file is None or e.value.line)
