"""`loopnest model` holds a given mapping to the architecture's factor constraints,
as timeloop-model does, and to nothing else (mapspace constraints, loop order)."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.cli import main

V3 = Path(__file__).parent / "fixtures" / "spec" / "v3"


MAPPING = """mapping:
- {target: DRAM, type: temporal, factors: K1 R1 P2, permutation: PKR}
- {target: GLB, type: temporal, factors: K2 R1 P4, permutation: KRP}
- {target: inter_PE_spatial, type: spatial, factors: K4 R1 P1, permutation: KRP}
- {target: inter_PE_spatial, type: temporal, factors: K1 R1 P1, permutation: KRP}
- {target: inter_PE_spatial, type: bypass, bypass: [Weights, Inputs, Outputs]}
- {target: RF, type: temporal, factors: K1 R3 P2, permutation: RPK}
"""


def _run(tmp_path: Path, constraints: str, *extra: str) -> tuple[int, Path]:
    c, m = tmp_path / "constraints.yaml", tmp_path / "mapping.yaml"
    c.write_text(constraints)
    m.write_text(MAPPING)
    out = tmp_path / "out"
    rc = main(["model", str(V3 / "arch.yaml"), str(V3 / "problem.yaml"), str(m), str(c),
               "-o", str(out), "-q", *extra])
    return rc, out


ARCH_P4 = """architecture_constraints:
  targets:
  - target: RF
    type: temporal
    factors: P4
"""


def test_factor_violation_is_refused_and_nothing_written(tmp_path, capsys) -> None:
    rc, out = _run(tmp_path, ARCH_P4)
    err = capsys.readouterr().err
    assert rc == 2
    assert "violates architecture constraints: RF: temporal factor P=2, constraint P=4" in err
    assert "--ignore-constraints" in err
    assert not (out / "timeloop-model.stats.txt").exists()


def test_ignore_constraints_evaluates_anyway(tmp_path) -> None:
    rc, out = _run(tmp_path, ARCH_P4, "--ignore-constraints")
    assert rc == 0 and (out / "timeloop-model.stats.txt").is_file()


@pytest.mark.parametrize("constraints", [
    # the mapping's own factors: satisfied
    "architecture_constraints:\n  targets:\n  - {target: RF, type: temporal, factors: R3 P2}\n",
    # a maximum it meets
    "architecture_constraints:\n  targets:\n  - {target: GLB, type: temporal, factors: K<=2}\n",
    # loop order is not held against a given mapping (Timeloop's mapper itself breaks it)
    "architecture_constraints:\n  targets:\n  - {target: RF, type: temporal, permutation: PRK}\n",
    # mapspace constraints only steer the mapper
    "mapspace_constraints:\n  targets:\n  - {target: RF, type: temporal, factors: P4}\n",
])
def test_allowed(tmp_path, constraints) -> None:
    rc, out = _run(tmp_path, constraints)
    assert rc == 0 and (out / "timeloop-model.stats.txt").is_file()


def test_maximum_violation_is_refused(tmp_path, capsys) -> None:
    rc, _ = _run(tmp_path, "architecture_constraints:\n  targets:\n"
                           "  - {target: RF, type: temporal, factors: P<=1}\n")
    assert rc == 2 and "RF: temporal factor P=2 > 1" in capsys.readouterr().err
