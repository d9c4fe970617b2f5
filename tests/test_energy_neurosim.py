"""The Neurosim plug-in's digital peripherals, re-derived in Python.

Reference numbers are literals: the intadder rows come from Accelergy logs of the
reference corpus (estimator "Neurosim Plug-In", 2024 stack); the other classes were
produced by the plug-in (bf874bc) driving its own NeuroSim V1.3 build.
"""
from __future__ import annotations

import json
from importlib import resources

import pytest

from loopnest.energy.estimators import neurosim as ns

# (technology as logged, n_bits, global_cycle_seconds, action or "area", value pJ / um^2)
CORPUS_INTADDER = [
    ("32nm", 14, 1e-09, "add", 0.028429009999999998),
    ("32nm", 14, 1e-09, "leak", 3.124068e-06),
    ("32nm", 14, 1e-09, "area", 41.18446),
    ("55", 4, 5e-10, "read", 0.025492334999999998),
    ("55", 4, 5e-10, "leak", 9.599677499999998e-07),
    ("55", 4, 5e-10, "area", 35.91),
    ("28nm", 10, 5e-10, "add", 0.016489505999999998),
    ("28nm", 10, 5e-10, "leak", 9.378831000000001e-07),
    ("28nm", 10, 5e-10, "area", 23.212222),
    ("45nm", 64, 1e-09, "add", 0.25753789999999993),
    ("45nm", 64, 1e-09, "area", 372.3149000000001),
    ("40", 6, 1e-09, "add", 0.019728197692307693),
    ("40", 6, 1e-09, "area", 28.26835076923077),
    ("22nm", 3, 2e-09, "add", 0.003261443),
    ("22nm", 3, 2e-09, "leak", 8.053199999999999e-07),
    ("45nm", 1, 1e-09, "add", 0.004295755),
    ("45nm", 1, 1e-09, "leak", 3.7017949999999993e-07),
    ("110nm", 13, 5e-10, "add", 0.25562285999999995),
    ("110nm", 13, 5e-10, "leak", 7.910740000000001e-06),
    ("110nm", 13, 5e-10, "area", 466.83000000000004),
    ("40nm", 11, 1e-09, "leak", 3.449916692307693e-06),
    ("40nm", 11, 1e-09, "area", 51.82531230769231),
]

# (class, attributes, (read pJ, leak pJ per 1 ns cycle, area um^2)) from the plug-in
PLUGIN_OTHERS = [
    ("flip_flop", {"technology": 32, "n_bits": 8},
     (0.03816274, 1.9280700000000002e-06, 20.91909)),
    ("flip_flop", {"technology": 14, "n_bits": 16}, (0.03507679, 3.394321e-06, 11.16918)),
    ("shift_add", {"technology": 45, "n_bits": 8, "shift_register_n_bits": 16},
     (0.2571599, 1.2001520000000002e-05, 170.6443)),
    ("shift_add", {"technology": 7, "n_bits": 4, "shift_register_n_bits": 8},
     (0.01120749, 1.754099e-06, 2.879554)),
    ("mux", {"technology": 32, "n_bits": 8, "n_mux_inputs": 2},
     (0.003733095, 3.01261e-08, 3.486515)),
    ("mux", {"technology": 65, "n_bits": 16, "n_mux_inputs": 32},
     (0.03617713, 9.265749e-06, 796.4902)),
    ("intadder_tree", {"technology": 22, "n_bits": 8, "n_adder_tree_inputs": 16},
     (0.1563249, 1.9596120000000002e-05, 203.0035)),
    ("intadder_tree", {"technology": 40, "n_bits": 4, "n_adder_tree_inputs": 3},
     (0.01647728153846154, 1.5681439230769231e-06, 23.55696153846154)),
    ("max_pool", {"technology": 90, "n_bits": 8, "pool_window": 4},
     (0.04309688, 3.3922350000000003e-07, 1292.76)),
    ("max_pool", {"technology": 10, "n_bits": 8, "pool_window": 9},
     (0.005927927, 1.622278e-07, 45.1136)),
    ("not_gate", {"technology": 32}, (0.0, 0.0, 0.2179072)),
    ("nand_gate", {"technology": 130}, (0.0, 0.0, 5.39448)),
    ("nor_gate", {"technology": 7}, (0.0, 0.0, 0.0218148)),
    ("intadder", {"technology": 7, "n_bits": 8}, (0.0023472199999999997, 5.372993e-07, 1.570666)),
    ("intadder", {"technology": 12, "n_bits": 16}, (0.009951931, 1.8665825000000003e-06, 9.4881)),
]


def _attrs(tech, n_bits, gcs):
    # as Accelergy passes them: numbers parsed, "32nm" left a string
    return {"n_bits": n_bits, "precision": n_bits, "width": n_bits, "technology": tech,
            "global_cycle_seconds": gcs, "cycle_seconds": gcs, "action_latency_cycles": 1,
            "n_instances": 1}


@pytest.mark.parametrize("tech, n_bits, gcs, action, value", CORPUS_INTADDER)
def test_intadder_matches_corpus(tech, n_bits, gcs, action, value):
    stats = ns.plugin_estimate("intadder", _attrs(tech, n_bits, gcs))
    got = stats.area_um2 if action == "area" else stats.energy_pJ(action)
    assert got == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("tech, n_bits, gcs, action, value", CORPUS_INTADDER)
def test_peripheral_cost_matches_corpus(tech, n_bits, gcs, action, value):
    tnm = int(str(tech).rstrip("nm"))
    cost = ns.peripheral_cost("intadder", tnm, {"n_bits": n_bits})
    got = cost.area_um2 if action == "area" else cost.energy_pJ(action, gcs)
    assert got == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("kind, attrs, expected", PLUGIN_OTHERS)
def test_other_classes_match_plugin(kind, attrs, expected):
    stats = ns.plugin_estimate(kind, {**attrs, "global_cycle_seconds": 1e-9})
    assert stats.read_pJ == pytest.approx(expected[0], rel=1e-12, abs=0)
    assert stats.leak_pJ == pytest.approx(expected[1], rel=1e-12, abs=0)
    assert stats.area_um2 == pytest.approx(expected[2], rel=1e-12)
    assert stats.write_pJ == 0


def test_read_actions_share_one_number_and_write_is_zero():
    stats = ns.plugin_estimate("intadder", _attrs("45nm", 8, 1e-9))
    assert {stats.energy_pJ(a) for a in ns.READ_ACTIONS} == {stats.read_pJ}
    assert all(stats.energy_pJ(a) == 0 for a in ns.WRITE_ACTIONS)
    with pytest.raises(ValueError, match="not supported"):
        stats.energy_pJ("multiply")


@pytest.mark.parametrize("node", ns.PERMITTED_TECH_NODES)
def test_intadder_affine_in_bits_at_permitted_nodes(node):
    # energy = a + b*n_bits, area and leakage = c*n_bits, up to the 7-digit printout
    e = {n: ns.peripheral_cost("intadder", node, {"n_bits": n}) for n in (1, 2, 9, 33)}
    slope = e[2].read_pJ - e[1].read_pJ
    for n in (9, 33):
        assert e[n].read_pJ == pytest.approx(e[1].read_pJ + slope * (n - 1), rel=1e-5)
        assert e[n].area_um2 == pytest.approx(e[1].area_um2 * n, rel=1e-6)
        assert e[n].leak_W == pytest.approx(e[1].leak_W * n, rel=1e-6)
    assert e[1].read_pJ > 0 and slope > 0


def test_interpolation_is_linear_between_bracketing_nodes():
    lo = ns.peripheral_cost("flip_flop", 45, {"n_bits": 8})
    hi = ns.peripheral_cost("flip_flop", 65, {"n_bits": 8})
    for t in (50, 55, 61.5):
        x = (t - 45) / 20
        mid = ns.peripheral_cost("flip_flop", t, {"n_bits": 8})
        for field in ("read_pJ", "leak_W", "area_um2"):
            want = getattr(lo, field) + (getattr(hi, field) - getattr(lo, field)) * x
            assert getattr(mid, field) == pytest.approx(want, rel=1e-14)


def test_leak_scales_with_cycle_time_only_through_the_wrapper():
    cost = ns.peripheral_cost("intadder", 32, {"n_bits": 14})
    assert cost.leak_W == pytest.approx(3.124068e-09)  # the printed 3124.068 pW
    one = ns.plugin_estimate("intadder", _attrs(32, 14, 1e-9))
    two = ns.plugin_estimate("intadder", _attrs(32, 14, 2e-9))
    assert two.leak_pJ == pytest.approx(2 * one.leak_pJ, rel=1e-15)
    assert (two.read_pJ, two.area_um2) == (one.read_pJ, one.area_um2)
    # global_cycle_seconds is not an input of the model itself
    with_gcs = ns.peripheral_cost("intadder", 32, {"n_bits": 14, "global_cycle_seconds": 5})
    assert with_gcs == cost


def test_intadder_is_adder_minus_tree_with_default_tree_inputs():
    # the intadder reading ignores an n_adder_tree_inputs attribute (not one of its params)
    a = ns.plugin_estimate("intadder", {**_attrs(32, 8, 1e-9), "n_adder_tree_inputs": 64})
    b = ns.plugin_estimate("intadder", _attrs(32, 8, 1e-9))
    assert a == b
    assert a.read_pJ == pytest.approx(0.01630403, rel=1e-9)


@pytest.mark.parametrize("tech", [6, 6.9, 131, "150nm", "5nm"])
def test_technology_out_of_range(tech):
    with pytest.raises(ValueError, match="between 7 and 130"):
        ns.plugin_estimate("intadder", _attrs(tech, 8, 1e-9))
    if not isinstance(tech, str):
        with pytest.raises(ValueError, match="between 7 and 130"):
            ns.peripheral_cost("intadder", tech, {"n_bits": 8})


def test_edge_nodes_are_permitted():
    for t in (7, 130):
        assert ns.peripheral_cost("mux", t, {"n_bits": 4, "n_mux_inputs": 4}).area_um2 > 0


def test_required_params_and_fallthrough():
    assert ns.required_params("intadder") == ("n_bits", "global_cycle_seconds", "technology")
    assert set(ns.required_params("shift_add")) == {
        "n_bits", "shift_register_n_bits", "global_cycle_seconds", "technology"}
    assert ns.required_params("not_gate") == ("global_cycle_seconds", "technology")
    assert ns.param_defaults("mux") == {"n_mux_inputs": 2, "n_bits": 8,
                                        "global_cycle_seconds": 1e-9, "technology": 32}
    attrs = _attrs("32nm", 8, 1e-9)
    del attrs["n_bits"]
    with pytest.raises(ns.NeurosimParamError, match="Required parameter not found: n_bits"):
        ns.plugin_estimate("intadder", attrs)
    with pytest.raises(ValueError, match="not a Neurosim"):
        ns.plugin_estimate("array_adc", attrs)
    assert "intadder" in ns.SUPPORTED_CLASSES and "memory_cell" not in ns.SUPPORTED_CLASSES


def test_string_values_are_stripped_to_digits_and_dots():
    p = ns.plugin_params("intadder", {"n_bits": "8b", "technology": "40nm",
                                      "global_cycle_seconds": 1e-9})
    assert p == {"n_bits": 8, "technology": 40, "global_cycle_seconds": 1e-9}
    # the plug-in's quirk: signs and exponents are lost too
    p = ns.plugin_params("intadder", {"n_bits": "-4", "technology": 32,
                                      "global_cycle_seconds": "1e-09"})
    assert p["n_bits"] == 4 and p["global_cycle_seconds"] == 109.0
    # an int parameter given as a float is truncated, as int() does
    assert ns.plugin_params("flip_flop", {"n_bits": 8.7, "technology": 45.9,
                                          "global_cycle_seconds": 1e-9})["technology"] == 45
    with pytest.raises(ValueError, match="must be of type int"):
        ns.plugin_params("intadder", {"n_bits": "8.5", "technology": 32,
                                      "global_cycle_seconds": 1e-9})
    with pytest.raises(ValueError, match=">= 1"):
        ns.plugin_params("intadder", {"n_bits": 0, "technology": 32,
                                      "global_cycle_seconds": 1e-9})


def test_model_rejects_bad_numbers():
    with pytest.raises(ValueError):
        ns.peripheral_cost("intadder", 32, {"n_bits": 8.5})
    with pytest.raises(ValueError):
        ns.peripheral_cost("max_pool", 32, {"n_bits": 8, "pool_window": 0})
    with pytest.raises(ValueError):
        ns.peripheral_cost("intadder", 32, {"n_bits": float("inf")})


def test_tech_data_ships_with_package():
    text = resources.files("loopnest.energy").joinpath("data/neurosim_tech.json").read_text()
    data = json.loads(text)
    assert "Technology.cpp" in data["_source"] and "LP" in data["_source"]
    assert sorted(int(n) for n in data["nodes"]) == sorted(ns.PERMITTED_TECH_NODES)
