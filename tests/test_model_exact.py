"""Hand-derived expectations for the analytical model (FORMATS.md §8 style)."""
import pytest

from loopnest.model.evaluate import ModelOptions, evaluate
from tests.model_helpers import conv1d, design, mac, storage, unit_costs


def run(d, **opts):
    r = evaluate(d.workload, d.architecture, d.mapping, d.tables, ModelOptions(**opts))
    assert r.valid, r.failure
    return r


def ds(result, level, name):
    lv = next(s for s in result.storage if s.name == level)
    return next(x for x in lv.dataspaces if x.name == name)


EX00_ERT = {"Buffer": {"read": 0.42564, "write": 0.42564, "update": 0.42564, "leak": 0.000861},
            "MAC": {"compute": 0.845}}


def one_level():
    return design([storage("Buffer", depth=64, width=8), mac()], conv1d(3, 16),
                  [{"target": "Buffer", "type": "temporal", "factors": "R=3 P=16",
                    "permutation": "RP"}], EX00_ERT)


def test_one_level_counts_and_energy():
    r = run(one_level())
    w, i, o = (ds(r, "Buffer", n) for n in ("Weights", "Inputs", "Outputs"))
    # whole problem resident: W 3, I 3+16-1, O 16
    assert (w.utilized_capacity, i.utilized_capacity, o.utilized_capacity) == (3, 18, 16)
    assert (w.reads, w.fills, i.reads, i.fills) == (48, 0, 48, 0)
    # first update of each output is a write: reads = 48 - 16
    assert (o.updates, o.reads, o.temporal_reductions, o.fills) == (48, 32, 32, 0)
    assert r.cycles == 48 and r.computes == 48
    buffer = (48 + 48 + 80) * 0.42564 + 0.000861 * 48
    assert r.energy == pytest.approx(buffer + 48 * 0.845)
    assert r.pj_per_compute * 1000 == pytest.approx(2406.54, abs=0.01)
    assert r.total_reduction_ops == 32 and r.total_memory_accesses_required == 37


def two_level(order: str):
    if order == "os":
        maps = [{"target": "MainMemory", "type": "temporal", "factors": "R=1 P=16"},
                {"target": "Buffer", "type": "temporal", "factors": "R=3 P=1"}]
    else:
        maps = [{"target": "MainMemory", "type": "temporal", "factors": "R=3 P=1"},
                {"target": "Buffer", "type": "temporal", "factors": "R=1 P=16"}]
    costs = {"MainMemory": {"read": 43.0, "write": 31.0, "update": 31.0, "leak": 0.0},
             "Buffer": {"read": 1.0, "write": 1.0, "update": 1.0, "leak": 0.0},
             "MAC": {"compute": 1.0}}
    return design([storage("MainMemory", "SRAM", depth=32768, width=64),
                   storage("Buffer", depth=64, width=8), mac()], conv1d(3, 16), maps, costs)


@pytest.mark.parametrize("order", ["os", "ws"])
def test_two_level_output_vs_weight_stationary(order):
    r = run(two_level(order))
    assert ds(r, "Buffer", "Weights").fills == 3
    assert ds(r, "Buffer", "Inputs").fills == 18  # sliding window: 3 + 15 (os) / 16 + 1*2 (ws)
    o = ds(r, "Buffer", "Outputs")
    assert (o.updates, o.reads, o.fills) == (48, 32, 0)
    mw, mi, mo = (ds(r, "MainMemory", n) for n in ("Weights", "Inputs", "Outputs"))
    assert (mw.reads, mi.reads, mo.updates, mo.reads) == (3, 18, 16, 0)
    # block size 64/8 = 8 words per vector access: ceil(3/8), ceil(18/8), ceil(16/8)
    mm = next(s for s in r.storage if s.name == "MainMemory")
    assert mm.block_size == 8
    assert sum(x.energy_total for x in mm.dataspaces) == pytest.approx(1 * 43 + 3 * 43 + 2 * 31)


def test_bypass_charges_parent_at_child_rate():
    maps = [{"target": "RF", "type": "temporal", "factors": "R=3 P=1", "permutation": "RP"},
            {"target": "GB", "type": "temporal", "factors": "R=1 P=4"},
            {"target": "MainMemory", "type": "temporal", "factors": "R=1 P=4"},
            {"target": "GB", "type": "bypass", "keep": ["Inputs", "Outputs"], "bypass": ["Weights"]}]
    d = design([storage("MainMemory", "DRAM", width=64), storage("GB", "SRAM", depth=256, width=8),
                storage("RF", depth=16, width=8), mac()], conv1d(3, 16), maps,
               unit_costs("MainMemory", "GB", "RF"))
    r = run(d)
    gb = next(s for s in r.storage if s.name == "GB")
    assert [x.name for x in gb.dataspaces] == ["Inputs", "Outputs"]
    # RF keeps its 3 weights for the whole run; GB is skipped, so MainMemory serves them
    assert ds(r, "RF", "Weights").fills == 3
    assert ds(r, "MainMemory", "Weights").reads == 3
    # RF Inputs: each GB pass fetches the window (3) then slides (+1 x 3) = 6; a new
    # MainMemory step jumps the window by 4, a stride change, so it refetches: 4 x 6
    assert ds(r, "RF", "Inputs").fills == 24


def spatial_design(R: int, P: int, gb_temporal: str, rf_temporal: str):
    maps = [{"target": "GB", "type": "spatial", "factors": f"P={P} R=1", "permutation": "PR"},
            {"target": "GB", "type": "temporal", "factors": gb_temporal},
            {"target": "RF", "type": "temporal", "factors": rf_temporal}]
    return design([storage("GB", "SRAM", depth=1024, width=8),
                   storage("RF", n=P, meshX=P, depth=16, width=8), mac(n=P, meshX=P)],
                  conv1d(R, P * (1 if "P" not in rf_temporal else int(rf_temporal.split("P=")[1]))),
                  maps, unit_costs("GB", "RF"))


def test_spatial_multicast_and_partition():
    # 4 PEs each own 4 outputs (P=16 split 4 x 4); weights are the same for every PE
    d = spatial_design(3, 4, "R=1 P=1", "R=3 P=4")
    r = run(d)
    w, i, o = (ds(r, "GB", n) for n in ("Weights", "Inputs", "Outputs"))
    assert w.reads == 3  # one multicast of 3 words to 4 PEs
    assert ds(r, "RF", "Weights").fills == 3
    assert i.reads == 4 * 6  # each PE's window of 6 inputs is different: unicast
    assert ds(r, "RF", "Inputs").fills == 6
    # partition: share of the union over the 4 children
    assert [ds(r, "RF", n).partition_size for n in ("Weights", "Inputs", "Outputs")] == [3, 6, 4]
    ro = ds(r, "RF", "Outputs")
    assert (ro.updates, ro.reads, ro.fills) == (12, 8, 0)
    assert (o.updates, o.reads) == (16, 0)
    assert ds(r, "RF", "Inputs").utilized_instances == 4
    assert r.computes == 48 and r.cycles == 12 and r.utilization == 1.0


def test_spatial_reduction_of_outputs():
    # 4 PEs split R (the reduction dimension): their output deltas are identical,
    # so GB sees one update per output, not four.
    maps = [{"target": "GB", "type": "spatial", "factors": "R=4 P=1", "permutation": "RP"},
            {"target": "GB", "type": "temporal", "factors": "R=1 P=1"},
            {"target": "RF", "type": "temporal", "factors": "R=1 P=8"}]
    d = design([storage("GB", "SRAM", depth=1024, width=8),
                storage("RF", n=4, meshX=4, depth=64, width=8), mac(n=4, meshX=4)],
               conv1d(4, 8), maps, unit_costs("GB", "RF"))
    r = run(d)
    go = ds(r, "GB", "Outputs")
    assert go.updates == 8 and go.reads == 0
    ro = ds(r, "RF", "Outputs")
    assert (ro.updates, ro.reads, ro.fills, ro.partition_size) == (8, 0, 0, 8)
    assert ds(r, "GB", "Weights").reads == 4  # one distinct weight per PE


def test_sliding_window_with_stride_and_dilation():
    d = design([storage("Buffer", depth=64, width=8), mac()],
               conv1d(3, 4, Wstride=2, Wdilation=2),
               [{"target": "Buffer", "type": "temporal", "factors": "R=3 P=4"}],
               unit_costs("Buffer"))
    r = run(d)
    # extent = Wstride*(P-1) + Wdilation*(R-1) + 1 = 6 + 4 + 1
    assert ds(r, "Buffer", "Inputs").utilized_capacity == 11


def test_bandwidth_throttling():
    d = design([storage("Buffer", depth=64, width=8, read_bandwidth=1), mac()], conv1d(3, 16),
               [{"target": "Buffer", "type": "temporal", "factors": "R=3 P=16",
                 "permutation": "RP"}], unit_costs("Buffer"))
    r = run(d)
    buf = r.storage[0]
    # reads W48 + I48 + O32 = 128 over 48 compute cycles at 1 word/cycle
    assert buf.bandwidth_throttling == pytest.approx(48 / 128)
    assert buf.cycles == 128 and r.cycles == 128
    assert r.utilization == pytest.approx(48 / 128)


def test_link_transfers_systolic_inputs():
    # 4 PEs along X split P; R is the GB temporal loop. After the first step each PE
    # needs the input its right neighbour held: 3 of 4 arrive over links.
    def build():
        maps = [{"target": "GB", "type": "spatial", "factors": "P=4 R=1", "permutation": "PR"},
                {"target": "GB", "type": "temporal", "factors": "R=5 P=1"},
                {"target": "RF", "type": "temporal", "factors": "R=1 P=1"}]
        return design([storage("GB", "SRAM", depth=1024, width=8),
                       storage("RF", n=4, meshX=4, depth=16, width=8), mac(n=4, meshX=4)],
                      conv1d(5, 4), maps, unit_costs("GB", "RF"))
    r = run(build())
    gi, ri = ds(r, "GB", "Inputs"), ds(r, "RF", "Inputs")
    assert gi.reads == 4 + 4 * 1  # first step: 4 words; each later step: 1 word
    assert gi.link_transfers == 3 * 4
    assert ri.fills == 5 and ri.peer_accesses == 3 and ri.reads == 5 + 3
    r2 = run(build(), link_transfers=False)
    assert ds(r2, "GB", "Inputs").reads == 4 * 5 and ds(r2, "RF", "Inputs").fills == 5


def test_capacity_failure_names_level_and_sizes():
    d = design([storage("Buffer", depth=16, width=8), mac()], conv1d(3, 16),
               [{"target": "Buffer", "type": "temporal", "factors": "R=3 P=16"}],
               unit_costs("Buffer"))
    r = evaluate(d.workload, d.architecture, d.mapping, d.tables)
    assert not r.valid
    assert "Buffer" in r.failure and "37" in r.failure and "16" in r.failure


def test_stride_rules_differ_on_stationary_steps():
    # RF holds a 3-wide input window (R3). MainMemory iterates K (irrelevant to Inputs,
    # inner) then P (outer). Old rule: the K step records a zero stride, so the next
    # P step (+1) counts as a stride change and refetches the window: 3 + 3*3 = 12.
    # New rule: zero steps are transparent, the P step slides by one: 3 + 1*3 = 6.
    shape = {"name": "K1D", "dimensions": ["K", "R", "P"],
             "data_spaces": [{"name": "Weights", "projection": [[["K"]], [["R"]]]},
                             {"name": "Inputs", "projection": [[["R"], ["P"]]]},
                             {"name": "Outputs", "projection": [[["K"]], [["P"]]],
                              "read_write": True}]}
    d = design([storage("MainMemory", "DRAM", width=8), storage("RF", depth=64, width=8), mac()],
               {"shape": shape, "instance": {"K": 2, "R": 3, "P": 4}},
               [{"target": "RF", "type": "temporal", "factors": "K=1 R=3 P=1"},
                {"target": "MainMemory", "type": "temporal", "factors": "K=2 R=1 P=4",
                 "permutation": "KPR"}], unit_costs("MainMemory", "RF"))
    assert ds(run(d), "RF", "Inputs").fills == 12
    assert ds(run(d, new_stride_rule=True), "RF", "Inputs").fills == 6
