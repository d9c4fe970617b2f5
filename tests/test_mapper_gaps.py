"""Every metric of a lexicographic list gets its gap, printed and recorded; OPTIMAL is
said only when every gap is proven 0 (bundled design, no ../shared)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.fixtures.problems import matmul_text

MATMUL = matmul_text(C=64, M=48, N=12)


def _arch_files() -> list[str]:
    from loopnest.archlib import design_files

    return [str(p) for p in design_files("simple_ws")]


@pytest.fixture(scope="module")
def lex_run(tmp_path_factory):
    from loopnest.cli import main
    import contextlib
    import io

    d = tmp_path_factory.mktemp("lex")
    (d / "mm.yaml").write_text(MATMUL)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["mapper", *_arch_files(), str(d / "mm.yaml"), "-o", str(d / "o"),
                   "--set", "mapper.optimization_metrics=[delay, energy]",
                   "--timeout", "3", "--seed", "1", "--threads", "1", "-q"])
    assert rc == 0
    summary = YAML(typ="safe").load((d / "o" / "loopnest-mapper.summary.yaml").read_text())
    return out.getvalue(), summary


def test_every_metric_has_its_gap_printed_and_recorded(lex_run) -> None:
    printed, s = lex_run
    assert s["optimization_metrics"] == ["delay", "energy"]
    best, bound = s["best"], s["bound"]
    # each gap is best / bound - 1 of its own metric
    assert s["gaps"]["delay"] == pytest.approx(max(0.0, best["cycles"] / bound["cycles"] - 1))
    assert s["gaps"]["energy"] == pytest.approx(max(0.0, best["energy_pJ"] / bound["energy_pJ"]
                                                    - 1))
    m = re.search(r"gaps: delay ([\d.]+)%, energy ([\d.]+)% \((\w+)\)", printed)
    assert m, printed
    assert float(m[1]) == pytest.approx(s["gaps"]["delay"] * 100, abs=0.006)
    assert float(m[2]) == pytest.approx(s["gaps"]["energy"] * 100, abs=0.006)
    # OPTIMAL only when every metric is proven, whatever the first metric's gap
    proven = all(g == 0 for g in s["gaps"].values())
    assert (m[3] == "OPTIMAL") == proven == (s["status"] == "OPTIMAL")


def test_format_gaps() -> None:
    from loopnest.commands.mapper import format_gaps

    assert format_gaps(["edp"], [0.0123]) == "gap = 1.23%"
    assert format_gaps(["delay", "energy"], [0.0, 0.241]) == "gaps: delay 0.00%, energy 24.10%"
    assert format_gaps(["delay", "energy"], [None, 0.5]) == "gaps: delay n/a, energy 50.00%"


def test_exhaustive_search_proves_every_metric(tmp_path: Path, capsys) -> None:
    """An enumerated space proves the lexicographic optimum: every gap is 0 and the
    status OPTIMAL, although the energy's own bound (over all mappings, not only those
    at the best delay) is far below the best energy here."""
    from loopnest.cli import main

    (tmp_path / "mm.yaml").write_text(matmul_text(C=2, M=1, N=1))
    assert main(["mapper", *_arch_files(), str(tmp_path / "mm.yaml"), "-o", str(tmp_path / "o"),
                 "--set", "mapper.optimization_metrics=[delay, energy]",
                 "--timeout", "5", "--seed", "1", "--threads", "1", "-q"]) == 0
    s = YAML(typ="safe").load((tmp_path / "o" / "loopnest-mapper.summary.yaml").read_text())
    assert s["exhaustive"] is True and s["status"] == "OPTIMAL"
    assert s["gaps"] == {"delay": 0.0, "energy": 0.0}
    assert s["bound"]["energy_pJ"] < 0.5 * s["best"]["energy_pJ"]
    assert "gaps: delay 0.00%, energy 0.00% (OPTIMAL)" in capsys.readouterr().out
