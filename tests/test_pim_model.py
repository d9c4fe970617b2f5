"""The analog PIM templates run through `loopnest model` with ADC, DAC and array as levels.

The mappings are fixtures found once by `loopnest mapper`; prices come from the
built-in estimators (no ERT given), so this also checks the model <-> energy wiring.
"""
from pathlib import Path

import pytest

from loopnest.cli import main
from loopnest.report.parse_stats import parse_stats

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests/fixtures/pim"


@pytest.mark.parametrize("design,mapping", [("pim_isaac_like", "isaac.map.yaml"),
                                            ("pim_sram_cim", "sram_cim.map.yaml")])
def test_pim_breakdown_has_adc_dac_array(tmp_path, design, mapping):
    files = [ROOT / "arch_library" / design / "arch.yaml.jinja2",
             ROOT / "arch_library/pim_components.yaml", FIX / "conv_small.yaml", FIX / mapping]
    assert main(["model", *map(str, files), "-o", str(tmp_path), "-q"]) == 0
    res = parse_stats((tmp_path / "timeloop-model.stats.txt").read_text())
    energy = {lv.name: lv.energy_total for lv in res.storage}
    for level in ("adc", "dac", "cells"):
        assert energy.get(level, 0) > 0, (level, energy)
    assert res.computes == 16 * 32 * 9 * 64
