"""Built-in estimators: hand-checked values, trends, and agreement with small reference fixtures."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loopnest.energy.estimators import dram
from loopnest.energy.estimators.adc import ADCEstimator
from loopnest.energy.estimators.digital import DigitalEstimator
from loopnest.energy.estimators.dram import DRAMEstimator
from loopnest.energy.estimators.sram import SRAMModel
from loopnest.energy.estimators.wire import WireEstimator
from loopnest.energy.plugin import EstimatorInputError
from loopnest.energy.scaling import area_factor, energy_factor

FIXTURES = Path(__file__).parent / "fixtures" / "energy"


def test_dram_per_bit_times_width() -> None:
    d = DRAMEstimator()
    assert d.energy("DRAM", {"type": "LPDDR4", "width": 64}, "read", {}) == 512.0
    assert d.energy("DRAM", {"type": "HBM2", "width": 1024}, "write", {}) == pytest.approx(3993.6)
    for t in ("LPDDR4", "LPDDR", "DDR3", "DDR4", "GDDR5", "GDDR6", "HBM2", "HBM3"):
        assert d.per_bit({"type": t}) > 0


def test_dram_cited_and_derived_per_bit_values() -> None:
    d = DRAMEstimator()
    # Micron "Ultra-Bandwidth Solutions" table: average device power
    assert [d.per_bit({"type": t}) for t in ("GDDR6", "GDDR6X", "HBM2E")] == [7.5, 7.25, 6.0]
    # Micron IDD method, MT40A1G8 DDR4-2400 x8 by hand: activation
    # 1.2 V x (48 mA x 46.16 ns - 43 x 32 - 34 x 14.16) = 429.888 pJ, read burst
    # 1.2 x (135 - 43) x 3.332 = 367.853 pJ, over 64 bits
    assert dram.DDR4_CORE == pytest.approx((429.888 + 367.8528) / 64)
    # MT41J512M8 DDR3-1600 x8: 1.5 x 911.25 + 1.5 x 119 x 5 = 2259.375 pJ / 64
    assert dram.DDR3_CORE == pytest.approx(2259.375 / 64)
    assert d.per_bit({"type": "DDR4"}) == pytest.approx(24.7)  # 70 x 12.465 / 35.303
    assert d.per_bit({"type": "LPDDR5"}) == pytest.approx(5.6)  # LPDDR4 x (1 - 30 %)
    assert d.per_bit({"type": "ddr4", "pj_per_bit": 3}) == 3.0
    with pytest.raises(EstimatorInputError, match="unknown DRAM type 'DDR9'"):
        d.per_bit({"type": "DDR9"})


def test_digital_base_and_scaling() -> None:
    e = DigitalEstimator()
    a = {"technology": "40nm", "width": 32}
    assert e.energy("intadder", a, "add", {}) == pytest.approx(0.21)
    assert e.energy("intmultiplier", {**a, "width": 16}, "multiply", {}) == pytest.approx(3.17)
    mac = {"technology": "40nm", "multiplier_width": 8, "adder_width": 16}
    assert e.energy("intmac", mac, "compute", {}) == pytest.approx(0.8975)
    # Stillmaker & Baas factors at the nodes of the reference tables
    assert energy_factor(65, 40) == pytest.approx(1.4277, rel=1e-4)
    assert area_factor(22, 40) == pytest.approx(0.3664, rel=1e-3)


def test_zero_width_logic_costs_nothing_but_negative_width_is_an_error() -> None:
    # sparse designs declare metadata counters of width 0 when there is no metadata
    e = DigitalEstimator()
    a = {"technology": "40nm", "width": 0}
    assert e.energy("intadder", a, "add", {}) == 0.0
    assert e.area("intadder", a) == 0.0
    with pytest.raises(EstimatorInputError, match="'width' must be >= 0, got -8"):
        e.energy("intadder", {"technology": "40nm", "width": -8}, "add", {})


def test_wire_formula() -> None:
    w = WireEstimator()
    a = {"width": 8, "length": "1mm", "capacitance_per_m": 2e-10, "voltage": 0.7}
    assert w.energy("wire", a, "transfer", {}) == pytest.approx(0.784)


def test_sram_trends_and_conventions() -> None:
    m = SRAMModel()
    small, big = m.evaluate(64, 1024, 45), m.evaluate(64, 8192, 45)
    assert big["read"] > small["read"] and big["area"] > small["area"]
    assert m.evaluate(64, 1024, 22)["read"] < small["read"] < m.evaluate(64, 1024, 65)["read"]
    # width < 32: the wrapper's 0.7 w/32 + 0.3 energy and w/32 area rules
    w16, w32 = m.evaluate(16, 1024, 45), m.evaluate(32, 1024, 45)
    assert w16["read"] == pytest.approx(w32["read"] * 0.65)
    assert w16["area"] == pytest.approx(w32["area"] * 0.5)
    # below the CACTI nodes it still answers (the wrapper's square-root rule)
    assert 0 < m.evaluate(64, 1024, 16)["read"] < m.evaluate(64, 1024, 22)["read"]


def _rows(name: str) -> list[dict]:
    with open(FIXTURES / name) as f:
        return list(csv.DictReader(ln for ln in f if not ln.startswith("#")))


def test_adc_matches_survey_points_within_1pct() -> None:
    x = ADCEstimator()
    errs = []
    for r in _rows("adc_points.csv"):
        a = {"resolution": r["n_bits"], "technology": r["technology_nm"],
             "throughput": float(r["throughput_sps"]), "n_adcs": r["n_adcs"]}
        errs.append(abs(x.energy("adc", a, "convert", {}) / float(r["convert_energy_pJ"]) - 1))
        errs.append(abs(x.area("adc", a) / float(r["area_um2"]) - 1))
    assert len(errs) == 32 and max(errs) < 0.01


def test_digital_matches_library_tables_within_5pct() -> None:
    e = DigitalEstimator()
    errs = []
    for r in _rows("digital_rows.csv"):
        a = {"technology": r["technology_nm"], "width": r["width"]}
        errs.append(abs(e.energy(r["component"], a, r["action"], {}) / float(r["energy_pJ"]) - 1))
    assert len(errs) == 16 and max(errs) < 0.05


def test_smartbuffer_is_sram_plus_an_address_adder_and_two_registers() -> None:
    from loopnest.energy.estimators.smartbuffer import SmartBufferEstimator, address_bits

    sb, sram = SmartBufferEstimator(), SRAMModel()
    assert [address_bits(d) for d in (1, 2, 3, 4, 256, 257)] == [1, 1, 2, 2, 8, 9]
    a = {"technology": "45nm", "width": 64, "depth": 256}
    base = sram.evaluate(64, 256, 45)
    # per address bit at 40 nm: adder 0.21/32 pJ + 2 registers x 0.288/32 pJ (Aladdin),
    # area 278/32 + 2 x 191.36/32 um^2, then scaled 40 -> 45 nm
    per_bit_e = (0.21 + 2 * 0.288) / 32 * energy_factor(45, 40)
    per_bit_a = (278.0 + 2 * 191.36) / 32 * area_factor(45, 40)
    for action in ("read", "write"):
        assert sb.energy("smartbuffer", a, action, {}) == pytest.approx(
            base[action] + 8 * per_bit_e)
    assert 8 * per_bit_e == pytest.approx(0.2261, rel=1e-3)
    assert sb.area("smartbuffer", a) == pytest.approx(base["area"] + 8 * per_bit_a)
    assert sb.leak_power("smartbuffer", a) == pytest.approx(
        base["leak"] + 8 * 2.4e-6 / 32 * energy_factor(45, 40))
    assert sb.energy("smartbuffer", a, "idle", {}) == 0.0
    with pytest.raises(EstimatorInputError):
        sb.check("smartbuffer", {"technology": "45nm", "width": 64, "depth": -1})
