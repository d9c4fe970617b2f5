"""The re-derived 2024 Accelergy plug-ins (Aladdin_table, Library, dummy_table) and the
registry's choice, on hand-derived numbers from the plug-ins' published tables."""
from __future__ import annotations

import pytest

from loopnest.energy.estimators.aladdin import AladdinTable, ScaledAladdin
from loopnest.energy.estimators.dummy import DummyTable
from loopnest.energy.estimators.library import (LibraryEstimator, technology_area_scale,
                                                technology_energy_scale)
from loopnest.energy.plugin import EstimatorInputError, Query, default_registry

KEYS = {"global_cycle_seconds": 1e-9, "action_latency_cycles": 1}


def q(cls, action=None, **attrs):
    attrs.setdefault("technology", "45nm")
    attrs.setdefault("global_cycle_seconds", 1e-9)
    return Query(cls, attrs, action, dict(KEYS) if action else {})


# --- Aladdin_table ---------------------------------------------------------------------
ALADDIN = AladdinTable()


def e(query):
    assert ALADDIN.energy_accuracy(query) == 70
    return ALADDIN.estimate_energy(query)


def test_aladdin_adder_is_linear_in_width_from_the_32_bit_table():
    assert e(q("intadder", "add", width=8)) == pytest.approx(0.21 * 8 / 32)
    assert e(q("intadder", "leak", width=8)) == pytest.approx(0.0023 * 8 / 32)
    # leak is per cycle: a 2 ns cycle leaks twice as much
    assert e(q("intadder", "leak", width=8, global_cycle_seconds=2e-9)) == \
        pytest.approx(0.0023 * 2 * 8 / 32)
    assert ALADDIN.estimate_area(q("intadder", width=8)) == pytest.approx(179 * 8 / 32)


def test_aladdin_multiplier_is_quadratic_and_gating_prices_its_leak():
    assert e(q("intmultiplier", "multiply", width=16)) == pytest.approx(12.68 / 4)
    assert e(q("intmultiplier", "mult_gated", width=16)) == pytest.approx(0.08 / 4)
    assert e(q("intmultiplier", "mult_reused", width=16)) == pytest.approx(0.85 * 12.68 / 4)
    # a MAC is adder + multiplier; mac_gated gates only the multiplier
    assert e(q("intmac", "mac_gated", width=16)) == pytest.approx(0.21 / 2 + 0.08 / 4)
    assert e(q("intmac", "mac_random", width=16)) == pytest.approx(0.21 / 2 + 12.68 / 4)


def test_aladdin_fp_mac_passes_its_own_action_to_both_parts():
    # e8m16 = 24 bits <= 32: single-precision tables; not gated (a quirk of the plug-in)
    want = 16.679 * 24 / 32 + 35.3 * (24 / 32) ** 2
    assert e(q("fpmac", "mac_gated", exponent=8, mantissa=16)) == pytest.approx(want)
    assert e(q("fpmultiplier", "mult_gated", exponent=8, mantissa=16)) == \
        pytest.approx(0.3595236 * (24 / 32) ** 2)
    # wider than 32 bits: the double-precision tables, scaled from 64 bits
    assert e(q("fpadder", "add", exponent=11, mantissa=53)) == pytest.approx(43.754)


def test_aladdin_register_file_is_registers_plus_address_comparators():
    # 16 one-bit registers + 64 comparators of ceil(log2 64) = 6 bits
    assert e(q("regfile", "read", width=16, depth=64)) == \
        pytest.approx(16 * 0.009 + 64 * 0.02947 * 6 / 32)
    assert e(q("regfile", "read", width=16, depth=64)) == \
        e(q("regfile", "write", width=16, depth=64))
    assert e(q("regfile", "leak", width=16, depth=64)) == \
        pytest.approx(16 * 7e-5 + 64 * 2.51e-5 * 6 / 32)
    assert ALADDIN.estimate_area(q("regfile", width=16, depth=64)) == \
        pytest.approx(16 * 5.98 + 64 * 70 * 6 / 32)
    # small SRAMs are register files; larger ones are not Aladdin's
    assert e(q("SRAM", "read", width=16, depth=64)) == e(q("regfile", "read", width=16, depth=64))
    assert ALADDIN.energy_accuracy(q("SRAM", "read", width=64, depth=64)) == 0


def test_aladdin_crossbar_uses_its_first_row_when_no_1ns_row():
    assert e(q("crossbar", "transfer", n_inputs=4, n_outputs=4, width=32)) == \
        pytest.approx(0.6804 * 4)
    # the first row is the 2 ns one: leak = idle x cycle / 2 ns
    assert e(q("crossbar", "leak", n_inputs=4, n_outputs=8, width=16)) == \
        pytest.approx(0.0003206 * 0.5 * 4 * 2 * 0.5)


def test_aladdin_wire_is_capacitance_times_length():
    assert e(q("wire", "transfer", width=32, length="2mm")) == \
        pytest.approx(32 * 0.2 * 1.627e-15 * 2000 * 1e12)
    assert e(q("wire", "transfer", width=32, length=500)) == \
        pytest.approx(32 * 0.2 * 1.627e-15 * 500 * 1e12)
    assert e(q("wire", "leak", width=32, length=500)) == 0.0
    assert ALADDIN.estimate_area(q("wire", width=32, length=500)) == 0.0


def test_aladdin_prices_only_40_and_45_nm():
    for t in ("40nm", 40, "45", 45.0):
        assert ALADDIN.energy_accuracy(q("intadder", "add", width=8, technology=t)) == 70
    for t in ("65nm", 32, "16nm"):
        assert ALADDIN.energy_accuracy(q("intadder", "add", width=8, technology=t)) == 0


def test_scaled_aladdin_extends_to_other_nodes_with_stillmaker_scaling():
    s = ScaledAladdin()
    qq = q("intadder", "add", width=32, technology="65nm")
    assert s.energy_accuracy(qq) == 20
    assert s.estimate_energy(qq) == pytest.approx(0.21 * technology_energy_scale(45, 65))
    fifo = q("FIFO", "access", width=8, depth=16)
    assert s.estimate_energy(fifo) == pytest.approx(8 * 0.009 + 0.02947 * 4 / 32)


# --- Library ---------------------------------------------------------------------------
LIB = LibraryEstimator()


def test_stillmaker_factors_from_the_published_tables():
    # 110 nm sits halfway between 130 and 90 nm: energy polynomials at Vdd 0.8 V
    p130 = 7.171 * 0.64 - 6.709 * 0.8 + 2.904
    p90 = 4.762 * 0.64 - 4.781 * 0.8 + 2.092
    p45 = 1.103 * 0.64 - 0.362 * 0.8 + 0.2767
    assert technology_energy_scale(45, 110) == pytest.approx((p130 + p90) / 2 / p45)
    assert technology_area_scale(45, 110) == pytest.approx((6.4 + 2.8) / 2)
    with pytest.raises(EstimatorInputError):
        technology_energy_scale(45, 3)


def test_library_scales_width_technology_and_cycle_time():
    add = q("aladdin_adder", "add", width=16)
    assert LIB.energy_accuracy(add) == 90
    assert LIB.estimate_energy(add) == pytest.approx(0.21 / 2)
    add110 = q("aladdin_adder", "add", width=16, technology="110nm")
    assert LIB.estimate_energy(add110) == pytest.approx(0.21 / 2 * technology_energy_scale(45, 110))
    assert LIB.estimate_area(q("aladdin_adder", width=16, technology="110nm")) == \
        pytest.approx(278 / 2 * 4.6)
    # leak scales with the cycle time, dynamic energy does not
    assert LIB.estimate_energy(q("aladdin_adder", "leak", width=32, global_cycle_seconds=2e-9)) \
        == pytest.approx(0.0024 * 2)
    assert LIB.estimate_energy(q("aladdin_adder", "add", width=32, global_cycle_seconds=2e-9)) \
        == pytest.approx(0.21)
    # both operand widths scale the multiplier linearly (so width_a = width_b is quadratic)
    assert LIB.estimate_energy(q("aladdin_multiplier", "multiply", width_a=16, width_b=8)) == \
        pytest.approx(12.68 / 2 / 4)
    # `n_bits` is not a column: a comparator's energy does not follow it
    assert LIB.estimate_energy(q("aladdin_comparator", "compare", n_bits=5)) == \
        pytest.approx(0.02947)


def test_library_first_attribute_claims_a_column_and_resolution_is_exponential():
    # width and datawidth share the column `width|datawidth`: the first one listed wins
    a = q("aladdin_adder", "add", width=16, datawidth=64)
    assert LIB.estimate_energy(a) == pytest.approx(0.21 / 2)
    # a row with the query's resolution matches one attribute more, and wins
    adc6 = Query("isaac_adc", {"technology": "32nm", "global_cycle_seconds": 1e-9,
                               "resolution": 6}, "convert", dict(KEYS))
    assert LIB.estimate_energy(adc6) == pytest.approx(1.20)
    # no row at 3 bits: the first row (8 bits) is scaled by 2^(3-8)
    adc3 = Query("isaac_adc", {**adc6.attributes, "resolution": 3}, "convert", dict(KEYS))
    assert LIB.estimate_energy(adc3) == pytest.approx(1.666666667 / 32)
    # an attribute it cannot scale drops the row, and then there is no price
    bad = q("aladdin_adder", "add", width=16, n_instances=1, voltage="x")
    with pytest.raises(EstimatorInputError):
        LIB.estimate_energy(Query(bad.class_name, {**bad.attributes, "technology": 3},
                                  "add", dict(KEYS)))


def test_library_pointers_reuse_entries():
    a = Query("newton_adc", {"technology": "32nm", "global_cycle_seconds": 1e-9,
                             "resolution": 8}, "read", dict(KEYS))
    b = Query("isaac_adc", dict(a.attributes), "read", dict(KEYS))
    assert LIB.estimate_energy(a) == LIB.estimate_energy(b) == pytest.approx(1.666666667)


# --- dummy_table and the choice ------------------------------------------------------
def test_dummy_table_prices_technology_minus_one_only():
    d = DummyTable()
    mark = Query("anything", {"technology": -1}, "read", {})
    assert d.energy_accuracy(mark) == 100 and d.estimate_energy(mark) == 1.0
    assert d.estimate_energy(Query("anything", {"technology": -1}, "leak", {})) == 0.0
    assert d.estimate_area(Query("anything", {"technology": -1})) == 1.0
    assert d.energy_accuracy(Query("anything", {"technology": "45nm"}, "read", {})) == 0


def test_registry_ties_and_fallbacks_follow_the_stack():
    reg = default_registry(plugins=False)
    with_bits = q("intadder", "add", width=8, n_bits=8)
    without = q("intadder", "add", width=8)
    # equal accuracy (70): NeuroSim comes first in the stack's order, Aladdin when it
    # cannot price (no n_bits)
    assert reg.estimate_energy(with_bits).estimator == "Neurosim Plug-In"
    assert reg.estimate_energy(without).estimator == "Aladdin_table"
    # where the stack stops (Aladdin at 65 nm), loopnest's own model answers and says so
    est = reg.estimate_energy(q("intadder", "add", width=8, technology="65nm"))
    assert est.estimator == "loopnest-aladdin-scaled"
    # leak and area are per instance x n_instances
    one = reg.estimate_energy(q("intadder", "leak", width=8)).value
    assert reg.estimate_energy(q("intadder", "leak", width=8, n_instances=4)).value == \
        pytest.approx(4 * one)
    with pytest.raises(EstimatorInputError, match="unknown class 'flux_capacitor'"):
        reg.estimate_energy(q("flux_capacitor", "read"))


def test_hwcomponents_profile_prefers_the_fitted_models():
    reg = default_registry(plugins=False, models="hwcomponents")
    assert reg.estimate_energy(q("intadder", "add", width=8)).estimator == "loopnest-digital"
    with pytest.raises(ValueError, match="unknown estimator profile"):
        default_registry(plugins=False, models="nope")


def test_beyond_the_stack_is_priced_and_named():
    reg = default_registry(plugins=False)
    # CactiDRAM knows five types; DDR4 is loopnest's own (24.7 pJ/bit, estimators/dram.py)
    ddr4 = reg.estimate_energy(Query("DRAM", {"technology": "45nm", "width": 64, "type": "DDR4",
                                              "global_cycle_seconds": 1e-9}, "read", dict(KEYS)))
    assert ddr4.estimator == "loopnest-dram" and ddr4.value == pytest.approx(24.7 * 64)
    lp4 = reg.estimate_energy(Query("DRAM", {"technology": "45nm", "width": 64,
                                             "global_cycle_seconds": 1e-9}, "read", dict(KEYS)))
    assert lp4.estimator == "CactiDRAM" and lp4.value == pytest.approx(8 * 64)
    # a FIFO, which Aladdin's own code cannot price, at a node Aladdin does not know
    fifo = reg.estimate_energy(q("FIFO", "access", width=8, depth=16, technology="65nm"))
    assert fifo.estimator == "loopnest-aladdin-scaled" and fifo.value > 0
