"""map.tenssella.txt writer against every reference, mapping rebuilt from map.txt/map.yaml."""
from __future__ import annotations

import pytest

from loopnest.ir import DataSpace, LevelMapping, Loop, Mapping, Workload
from loopnest.report.parse_stats import parse_map_txt
from loopnest.report.tenssella import format_tenssella

from test_report_helpers import corpus_files, ids, ir_from_map_yaml

TENS = corpus_files("*.map.tenssella.txt")


def _dims(text: str) -> tuple[str, ...]:
    line = text.split("\n")[text.split("\n").index(next(l for l in text.split("\n")
                                                         if l.startswith("t"))) + 1]
    return tuple(line.split()[0::2])


def _from_map_txt(text: str, dims: tuple[str, ...]) -> tuple[Workload, Mapping]:
    levels = list(reversed(parse_map_txt(text)))  # inner -> outer
    ds_order = [d for d, _, _ in levels[-1].tiles]
    mls = []
    for ml in levels:
        inner_first = list(reversed(ml.loops))
        temporal = tuple(Loop(l.dim, l.end) for l in inner_first if not l.spatial)
        spatial = tuple(Loop(l.dim, l.end, l.spatial) for l in inner_first if l.spatial)
        mls.append(LevelMapping(temporal=temporal, spatial=spatial,
                                keep=frozenset(d for d, _, _ in ml.tiles)))
    wl = Workload("w", dims, (1,) * len(dims), tuple(DataSpace(d, ()) for d in ds_order))
    return wl, Mapping(tuple(mls))


@pytest.mark.shared
@pytest.mark.parametrize("path", TENS, ids=ids(TENS))
def test_reference(path):
    text = path.read_text()
    yml = path.with_name(path.name.replace("map.tenssella.txt", "map.yaml"))
    if yml.exists():
        wl, _, mapping = ir_from_map_yaml(yml.read_text())
    else:
        mtxt = path.with_name(path.name.replace("map.tenssella.txt", "map.txt")).read_text()
        wl, mapping = _from_map_txt(mtxt, _dims(text))
    assert format_tenssella(wl, mapping) == text


def test_hand_written():
    wl = Workload("w", ("K", "P"), (4, 8), (DataSpace("A", ()), DataSpace("Z", ())))
    mapping = Mapping((
        LevelMapping(temporal=(Loop("P", 8),), keep=frozenset({"Z"})),
        LevelMapping(temporal=(), spatial=(Loop("K", 4, "X"),), keep=frozenset({"A", "Z"})),
    ))
    assert format_tenssella(wl, mapping) == (
        "#error Tenssella does not support bypass.\n"
        "t1\nK 1 P 1 \nP\ns1\nK 4 P 1 \nK\n2\n"
        "t0\nK 1 P 8 \nP\n")
