"""DAC model: hand-derived charge-redistribution numbers and NeuroSim's DAC behaviour."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loopnest.energy.estimators import dac
from loopnest.energy.estimators.dac import DACEstimator
from loopnest.energy.plugin import EstimatorInputError

FIXTURE = Path(__file__).parent / "fixtures" / "energy" / "pim_dac_rows.csv"
FF = 1e-15


def _neurosim_rows() -> list[dict]:
    with open(FIXTURE) as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


def test_capacitive_energy_by_hand() -> None:
    # 4 bits, C_u = 1 fF, Vref = 1 V, no load: code 5 puts 5 fF at Vref, the top
    # plate settles at 5/16 V, the reference delivers 5 fF x (1 - 5/16) V
    assert dac.capacitive_energy(4, FF, 1.0, code=5) == pytest.approx(3.4375 * FF)
    # average over codes: 7.5 - (15 x 31 / 6) / 16 = 255 / 96 fJ
    assert dac.capacitive_energy(4, FF, 1.0) == pytest.approx(255 / 96 * FF)
    # a 16 fF load halves the swing: 7.5 - 77.5 / 32 fJ
    assert dac.capacitive_energy(4, FF, 1.0, 16 * FF) == pytest.approx(5.078125 * FF)
    for bits in range(1, 9):  # the closed form is the mean of the per-code charge
        codes = [dac.capacitive_energy(bits, FF, 0.9, 3 * FF, code=d) for d in range(2 ** bits)]
        assert dac.capacitive_energy(bits, FF, 0.9, 3 * FF) == pytest.approx(
            sum(codes) / len(codes), rel=1e-12)


def test_estimator_adds_drivers_and_prices_area() -> None:
    x = DACEstimator()
    a = {"resolution": 4, "technology": "45nm", "voltage": 1.0}
    # array 255/96 fJ + 4 drivers x 0.1 fJ, in pJ
    assert x.energy("dac", a, "convert", {}) == pytest.approx((255 / 96 + 0.4) * 1e-3)
    assert x.area("dac", a) == pytest.approx(16 * FF / dac.CAP_DENSITY + 4 * 15.0)
    assert x.energy("dac", a, "idle", {}) == 0.0
    t = {**a, "dac_type": "temporal", "load_capacitance": 10 * FF, "resolution": 2}
    # 1.5 pulses on average, each 10 fF x 1 V^2, plus 2 drivers
    assert x.energy("dac", t, "convert", {}) == pytest.approx((15 + 0.2) * 1e-3)


def test_dac_input_errors() -> None:
    x = DACEstimator()
    with pytest.raises(EstimatorInputError, match="load_capacitance"):
        x.check("dac", {"resolution": 2, "technology": 45, "dac_type": "temporal"})
    with pytest.raises(EstimatorInputError, match="unknown dac_type 'flash'"):
        x.check("dac", {"resolution": 2, "technology": 45, "dac_type": "flash"})
    with pytest.raises(EstimatorInputError, match="resolution"):
        x.check("dac", {"technology": 45})


@pytest.mark.parametrize("cell", ["nvmexplorer_RRAM", "nvmexplorer_SRAM"])
def test_temporal_dac_scales_like_neurosim_rows(cell: str) -> None:
    """NeuroSim's row energy above its zero-input floor is the temporal DAC's pulses."""
    rows = [r for r in _neurosim_rows() if r["cell"] == cell and r["voltage_dac_bits"] == "1"]
    pulses = {int(r["temporal_dac_bits"]):
              float(r["row_read_pJ"]) - float(r["row_read_in0_cell1_pJ"]) for r in rows}
    assert sorted(pulses) == [1, 2, 4, 8]
    for bits in (2, 4, 8):
        ours = dac.temporal_energy(bits, FF, 1.0) / dac.temporal_energy(1, FF, 1.0)
        assert ours == pytest.approx(2 ** bits - 1)
        assert pulses[bits] / pulses[1] == pytest.approx(ours, rel=1e-5)


def test_voltage_dac_area_growth_vs_neurosim() -> None:
    """NeuroSim replicates an RRAM row driver per voltage level (area x 2^(b-1)); the
    capacitive array grows as 2^b only where capacitors dominate the switches."""
    rows = {int(r["voltage_dac_bits"]): float(r["row_area_um2"]) for r in _neurosim_rows()
            if r["cell"] == "nvmexplorer_RRAM" and r["temporal_dac_bits"] == "1"}
    assert rows[2] / rows[1] == pytest.approx(2.0) and rows[4] / rows[1] == pytest.approx(8.0)
    x = DACEstimator()
    area = {b: x.area("dac", {"resolution": b, "technology": 32}) for b in (1, 2, 4)}
    assert area[2] / area[1] == pytest.approx(2.0, rel=0.01)
    assert area[4] / area[1] == pytest.approx(4.47, rel=0.01)  # vs NeuroSim's 8
