"""`loopnest mapper` end to end on exercise 05 (skipped without ../shared)."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EX05 = (SHARED / "corpus" / "exercises" / "01_accelergy_timeloop_2020_ispass" / "timeloop"
        / "05-mapper-conv1d+oc-3level")

pytestmark = pytest.mark.skipif(not EX05.exists(), reason="needs ../shared")


def _files(cons: str) -> list[str]:
    base = EX05 / "ref-output" / "baked"
    return [str(EX05 / "arch" / "3level.arch.yaml"), str(EX05 / "prob" / "conv1d+oc.prob.yaml"),
            str(EX05 / "mapper" / "exhaustive.mapper.yaml"),
            str(EX05 / "constraints" / f"conv1d+oc-3level-{cons}.constraints.yaml"),
            str(base / "timeloop-mapper.ERT.yaml"), str(base / "timeloop-mapper.ART.yaml")]


def test_mapper_cli_outputs_and_roundtrip(tmp_path):
    from loopnest.cli import main

    out = tmp_path / "out"
    assert main(["mapper", *_files("freebypass"), "-o", str(out), "--timeout", "20", "-q"]) == 0
    for name in ("timeloop-mapper.stats.txt", "timeloop-mapper.map.txt",
                 "timeloop-mapper.map.yaml", "timeloop-mapper.oaves.csv",
                 "loopnest-mapper.summary.yaml"):
        assert (out / name).exists(), name
    assert (out / "timeloop-mapper.oaves.csv").read_text() == ""
    summary = (out / "loopnest-mapper.summary.yaml").read_text()
    assert "status: OPTIMAL" in summary and "gap: 0.0" in summary
    # The map.yaml is accepted back by `loopnest model` and gives the same EDP.
    files = [f for f in _files("freebypass") if "constraints" not in f and "mapper.yaml" not in f]
    m = tmp_path / "model"
    assert main(["model", *files, str(out / "timeloop-mapper.map.yaml"), "-o", str(m), "-q"]) == 0
    tail = lambda p: [l for l in p.read_text().splitlines() if l.startswith(("Energy:", "Cycles:"))]
    assert tail(m / "timeloop-model.stats.txt") == tail(out / "timeloop-mapper.stats.txt")


def test_mapper_cli_infeasible_writes_nothing(tmp_path, capsys):
    from loopnest.cli import main

    cons = tmp_path / "bad.constraints.yaml"
    cons.write_text("mapspace_constraints:\n  version: 0.4\n  targets:\n"
                    "  - target: RegisterFile\n    type: temporal\n    factors: K=32 R=3\n"
                    "  - target: RegisterFile\n    type: dataspace\n    keep: [Weights]\n")
    files = [f for f in _files("null") if "constraints" not in f] + [str(cons)]
    out = tmp_path / "out"
    assert main(["mapper", *files, "-o", str(out), "--timeout", "5", "-q"]) == 2
    err = capsys.readouterr().err
    assert "exceeds RegisterFile (64 words)" in err
    assert not out.exists() or not any(out.iterdir())
