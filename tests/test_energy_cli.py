"""`loopnest energy` / `accelergy`: Jinja2 tops with variables, and Accelergy's own flags."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.cli import main

TOP = Path(__file__).resolve().parent / "fixtures" / "energy" / "v4top" / "top.yaml.jinja2"


def _ert(path: Path) -> dict:
    doc = YAML(typ="safe").load(path.read_text())
    return {(t["name"], a["name"]): a["energy"] for t in doc["ERT"]["tables"]
            for a in t["actions"]}


def test_variables_and_var_reach_the_components(tmp_path):
    assert main(["energy", str(TOP), "-o", str(tmp_path)]) == 0
    ert = _ert(tmp_path / "ERT.yaml")
    # technology 45nm and the 2 ns cycle come from `variables`; width 16 by default
    assert ert[("system_top_level.mac[1..1]", "compute")] == pytest.approx(0.21 / 2)
    assert ert[("system_top_level.mac[1..1]", "leak")] == pytest.approx(0.0024 * 2 / 2)
    assert main(["energy", str(TOP), "--var", "width=8", "-o", str(tmp_path)]) == 0
    assert _ert(tmp_path / "ERT.yaml")[("system_top_level.mac[1..1]", "compute")] == \
        pytest.approx(0.21 / 4)


def test_accelergy_flags_select_outputs_prefix_and_precision(tmp_path):
    assert main(["energy", str(TOP), "-o", str(tmp_path), "-f", "ERT", "ART",
                 "--oprefix", "x_", "-p", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x_ART.yaml", "x_ERT.yaml"]
    assert _ert(tmp_path / "x_ERT.yaml")[("system_top_level.mac[1..1]", "compute")] == 0.105
    assert _ert(tmp_path / "x_ERT.yaml")[("system_top_level.mac[1..1]", "leak")] == 0.002


def test_flags_accepted_for_scripts_and_plugins_from_paths_refused(tmp_path, capsys):
    assert main(["energy", str(TOP), "-o", str(tmp_path), "-v",
                 "--suppress_version_errors"]) == 0
    assert "--verbose changes nothing" in capsys.readouterr().err
    out = tmp_path / "refused"
    assert main(["energy", str(TOP), "-o", str(out), "-e", "my_plugin.py"]) == 2
    err = capsys.readouterr().err
    assert "does not run code" in err and "entry point" in err
    assert not out.exists()
    assert main(["energy", str(TOP), "-o", str(out), "-f", "XRT"]) == 2
    assert "unknown output(s) for -f: XRT" in capsys.readouterr().err


def test_list_components_names_the_stack(capsys):
    assert main(["energy", "-l"]) == 0
    out = capsys.readouterr().out
    assert "Aladdin_table (accuracy 70)" in out and "Library (accuracy 90)" in out
    assert "Neurosim Plug-In (accuracy 70): intadder" in out
    assert "loopnest-aladdin-scaled (accuracy 20)" in out
