"""Plot data is pure Python; the PNG writers run only when matplotlib is installed."""
from __future__ import annotations

import pytest

from loopnest.model.result import ComputeStats, DataSpaceStats, Result, StorageStats
from loopnest.report.plots import energy_breakdown, utilization


def _result() -> Result:
    w = DataSpaceStats("Weights", utilized_capacity=16, utilized_instances=8, energy_total=30.0)
    o = DataSpaceStats("Outputs", utilized_capacity=16, utilized_instances=4, energy_total=10.0,
                       tr_energy_total=1.0)
    rf = StorageStats(1, "RF", size=64, instances=16, dataspaces=[w, o],
                      leakage_energy_total=2.0, energy_total=43.0, total_scalar_accesses=10)
    dummy = StorageStats(2, "inter_PE_spatial", is_dummy=True)
    return Result(valid=True, compute=ComputeStats("MAC", instances=16, utilized_instances=8,
                                                   energy_total=50.0),
                  storage=[rf, dummy], computes=100, energy=93.0, utilization=0.5)


def test_energy_breakdown_rows():
    rows = dict(energy_breakdown(_result()))
    assert list(rows) == ["MAC", "RF"]
    assert rows["RF"] == {"Weights": 30.0, "Outputs": 10.0, "reduction/addr-gen": 1.0,
                          "leakage": 2.0}


def test_utilization_rows():
    assert utilization(_result()) == [("MAC instances", 0.5), ("RF instances", 0.5),
                                      ("RF capacity", 0.5)]


def test_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    from loopnest.report.plots import energy_breakdown_png, utilization_png

    energy_breakdown_png(_result(), tmp_path / "e.png")
    utilization_png(_result(), tmp_path / "u.png")
    for name in ("e.png", "u.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
