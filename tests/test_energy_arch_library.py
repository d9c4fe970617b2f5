"""The PIM templates in arch_library/ price cleanly: ADC, DAC and array energies are non-zero."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.energy.estimate import estimate_tables
from loopnest.spec.load import load_spec
from loopnest.spec.native import to_native

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "arch_library"


@pytest.mark.parametrize("template", ["pim_isaac_like", "pim_sram_cim"])
@pytest.mark.parametrize("variables", [None, {"technology": 45, "adc_bits": 6, "dac_bits": 2}])
def test_pim_template_prices_adc_dac_array(template: str, variables) -> None:
    spec = load_spec([str(LIB / template / "arch.yaml.jinja2"), str(LIB / "pim_components.yaml"),
                      str(ROOT / "workloads" / "conv1d_oc.yaml")], variables)
    tables, ert, art = estimate_tables(to_native(spec))
    for level, action in (("adc", "read"), ("dac", "read"), ("cells", "read"),
                          ("cells", "write")):
        cost = tables.get(level)
        assert cost is not None, level
        assert cost.actions[action] > 0, (level, action)
        assert cost.area and cost.area > 0
    assert "loopnest-adc" in tables.get("adc").estimator
    assert "loopnest-dac" in tables.get("dac").estimator
    assert "loopnest-crossbar" in tables.get("cells").estimator
    assert {t["name"] for t in ert["tables"]} == {t["name"] for t in art["tables"]}
