"""stats.txt writer: byte-exact against every dense reference, plus hand-built checks."""
from __future__ import annotations

import pytest

from loopnest.model.result import ComputeStats, DataSpaceStats, LoopText, Result, StorageStats
from loopnest.report.parse_stats import is_sparse, parse_stats
from loopnest.report.stats import format_stats, network_names

from test_report_helpers import corpus_files, ids

STATS = [p for p in corpus_files("*.stats.txt") if not is_sparse(p.read_text())]


@pytest.mark.shared
@pytest.mark.parametrize("path", STATS, ids=ids(STATS))
def test_reference_round_trip(path):
    text = path.read_text()
    assert format_stats(parse_stats(text)) == text


def _tiny() -> Result:
    """Hand-built: MACC below a Buffer, below a hidden dummy, below DRAM."""
    ds = DataSpaceStats("Weights", partition_size=3, utilized_capacity=3, utilized_instances=1,
                        utilized_clusters=1, reads=48, energy_per_scalar_access=0.5,
                        energy_per_instance=24.0, energy_total=24.0)
    buf = StorageStats(1, "Buffer", size=64, loops=[LoopText("P", 16), LoopText("R", 3)],
                       dataspaces=[ds], energy_total=24.0, total_scalar_accesses=48,
                       cycles=48)
    dummy = StorageStats(2, "inter_PE_spatial", is_dummy=True)
    dram = StorageStats(3, "DRAM", technology="DRAM", energy_total=10.0,
                        total_scalar_accesses=3, cycles=48)
    return Result(valid=True, compute=ComputeStats("MACC", computes=48, energy_total=40.0),
                  storage=[buf, dummy, dram], computes=48, cycles=48, energy=74.0,
                  utilization=1.0, total_elementwise_ops=48, total_reduction_ops=32,
                  total_memory_accesses_required=3, optimal_op_per_byte=13.33)


def test_hidden_levels_leave_gaps_and_loops_indent():
    text = format_stats(_tiny())
    assert "Level 1\n-------\n=== Buffer ===\n" in text
    assert "Level 2\n" not in text
    assert "Level 3\n-------\n=== DRAM ===\n" in text
    assert "    Loop nest:\n      for P in [0:16)\n        for R in [0:3)\n\n" in text
    assert "=== DRAM ===\n\n    SPECS\n    -----\n        Technology                      : DRAM\n" in text
    assert "        Size                            : -\n" in text


def test_intensity_and_summary_layout():
    text = format_stats(_tiny())
    assert ("=== Buffer ===\n    Total scalar accesses                   : 48\n"
            "    Op per Byte                             : 0.83\n"
            "=== inter_PE_spatial ===\n=== DRAM ===\n") in text
    # widest name is the inferred "inter_PE_spatial <==> Buffer" (28 chars) -> column 29
    assert network_names(_tiny())[1] == "inter_PE_spatial <==> Buffer"
    tail = ("Computes = 48\nfJ/Compute\n"
            "    MACC                         = 833.33\n"
            "    Buffer                       = 500.00\n"
            "    DRAM                         = 208.33\n"
            "    Total                        = 1541.67\n\n")
    assert text.endswith(tail)
    assert "GFLOPs (@1GHz): 1.67\nUtilization: 100.00%\nCycles: 48\nEnergy: 0.00 uJ\n" in text
    assert "EDP(J*cycle): 3.55e-09\nArea: 0.00 mm^2\n" in text
    assert "Networks\n--------\n\nOperational Intensity Stats\n" in text


def test_network_with_energy_is_printed():
    from loopnest.model.result import NetworkStats
    r = _tiny()
    r.networks = [NetworkStats("Buffer <==> MACC"), NetworkStats("DRAM <==> Buffer", 4.8)]
    text = format_stats(r)
    assert "Network 1\n---------\n=== DRAM <==> Buffer ===\n" in text
    assert "Network 0" not in text
    assert "    DRAM <==> Buffer = 100.00\n" in text
