"""Third-party estimators registered through the `loopnest.estimators` entry-point group."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from loopnest.energy.estimate import estimate_tables
from loopnest.energy.plugin import default_registry, entry_point_estimators

NATIVE = {
    "architecture": {"version": "0.4", "subtree": [{
        "name": "sys", "attributes": {"technology": "45nm"},
        "local": [{"name": "buf", "class": "SRAM",
                   "attributes": {"width": 64, "depth": 1024},
                   "required_actions": ["read", "write", "update", "leak"]}]}]},
}


def _install_plugin(tmp_path: Path, accuracy: float) -> None:
    """A tiny distribution: module + dist-info with entry_points.txt, put on sys.path."""
    (tmp_path / "tiny_sram_plugin.py").write_text(textwrap.dedent(f"""
        from loopnest.energy.plugin import Estimator

        class TinySRAM(Estimator):
            name = "tiny-sram"
            accuracy = {accuracy}
            classes = ("SRAM",)
            actions = ("read", "write", "update")

            def energy(self, class_name, attributes, action, arguments):
                return 42.0

            def area(self, class_name, attributes):
                return 7.0
        """))
    info = tmp_path / "tiny_sram_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-sram-plugin\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[loopnest.estimators]\ntiny = tiny_sram_plugin:TinySRAM\n")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def install(accuracy: float) -> None:
        _install_plugin(tmp_path, accuracy)
        monkeypatch.syspath_prepend(str(tmp_path))
        sys.modules.pop("tiny_sram_plugin", None)
    return install


def test_entry_point_estimator_wins_when_more_accurate(plugin_path) -> None:
    plugin_path(99.0)
    assert [e.name for e in entry_point_estimators()] == ["tiny-sram"]
    tables, ert, art = estimate_tables(NATIVE)
    cost = tables.get("buf")
    assert cost.actions["read"] == 42.0 and cost.area == 7.0
    assert "tiny-sram" in cost.estimator


def test_builtin_wins_when_plugin_less_accurate(plugin_path) -> None:
    plugin_path(10.0)
    tables, _, _ = estimate_tables(NATIVE)
    assert tables.get("buf").actions["read"] != 42.0
    assert "CactiSRAM" in tables.get("buf").estimator


def test_registry_choice_by_accuracy() -> None:
    from loopnest.energy.plugin import Estimator

    class Better(Estimator):
        name, accuracy, classes, actions = "better", 95.0, ("intadder",), ("add",)

        def energy(self, *a):
            return 1.0

    reg = default_registry(extra=[Better()], plugins=False)
    assert reg.choose("intadder", {"technology": "45nm", "width": 8}, "add").name == "better"
    # Better has no 'idle'; Aladdin_table prices any action of its classes, as in the stack
    assert reg.choose("intadder", {"technology": "45nm", "width": 8},
                      "idle").name == "Aladdin_table"
