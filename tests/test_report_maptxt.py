"""map.txt writer: byte-exact against every reference map.txt, plus a hand-written case."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.model.result import DataSpaceStats, LoopText, Result, StorageStats
from loopnest.report.maptxt import format_map_txt
from loopnest.report.parse_stats import apply_map_txt, is_sparse, parse_map_txt, parse_stats

from test_report_helpers import corpus_files, ids

FIXTURES = Path(__file__).parent / "fixtures" / "report"
MAPS = [p for p in corpus_files("*.map.txt")
        if not is_sparse(p.with_name(p.name.replace("map.txt", "stats.txt")).read_text())]


@pytest.mark.shared
@pytest.mark.parametrize("path", MAPS, ids=ids(MAPS))
def test_reference_round_trip(path):
    text = path.read_text()
    result = parse_stats(path.with_name(path.name.replace("map.txt", "stats.txt")).read_text())
    levels = parse_map_txt(text)
    # map.txt and the stats MAPPING sections agree on every visible level's loops
    for ml in levels:
        lv = next(lv for lv in result.storage if lv.name == ml.name)
        if lv.visible:
            assert lv.loops == ml.loops, ml.name
    assert format_map_txt(apply_map_txt(result, levels)) == text


def test_hand_written_fixture():
    def ds(name, n, tile=None):
        return DataSpaceStats(name, utilized_capacity=n, tile_size=tile)

    storage = [
        StorageStats(1, "RF", dataspaces=[ds("Outputs", 2)], loops=[LoopText("R", 3)]),
        StorageStats(2, "Spad", dataspaces=[ds("Inputs", 5, tile=6)]),
        StorageStats(3, "inter_PE_spatial", loops=[LoopText("K", 4, "X"), LoopText("C", 2, "Y")]),
        StorageStats(4, "DRAM", dataspaces=[ds("Weights", 24), ds("Inputs", 40)],
                     loops=[LoopText("P", 7, residual=3)]),
    ]
    text = format_map_txt(Result(valid=True, storage=storage))
    assert text == (FIXTURES / "hand.map.txt").read_text()
