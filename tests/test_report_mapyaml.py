"""map.yaml writer: reproduces every reference timeloop-mapper.map.yaml from its own directives."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.ir import Architecture, ComputeLevel, DataSpace, LevelMapping, Loop, Mapping
from loopnest.ir import StorageLevel, Workload
from loopnest.report.mapyaml import format_map_yaml

from test_report_helpers import corpus_files, ids, ir_from_map_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "report"
YAMLS = corpus_files("timeloop-mapper.map.yaml")


def _load(text: str):
    return YAML(typ="safe").load(text)


@pytest.mark.shared
@pytest.mark.parametrize("path", YAMLS, ids=ids(YAMLS))
def test_reference_directives(path):
    text = path.read_text()
    out = format_map_yaml(*ir_from_map_yaml(text))
    assert _load(out) == _load(text)
    assert out == text  # yaml-cpp layout, no final newline


def _hand() -> tuple[Workload, Architecture, Mapping]:
    wl = Workload("conv1d", ("K", "R", "P"), (8, 3, 16),
                  (DataSpace("Weights", ()), DataSpace("Inputs", ()), DataSpace("Outputs", ())))
    arch = Architecture((StorageLevel("RF"), StorageLevel("GLB"), StorageLevel("DRAM")),
                        ComputeLevel("MAC"))
    everything = frozenset(wl.ds_names)
    mapping = Mapping((
        LevelMapping(temporal=(Loop("R", 3), Loop("K", 1)), keep=frozenset({"Outputs"})),
        LevelMapping(temporal=(Loop("P", 4),),
                     spatial=(Loop("P", 2, "X"), Loop("K", 4, "Y")),
                     keep=everything),
        LevelMapping(temporal=(Loop("P", 2), Loop("K", 2)), keep=everything),
    ))
    return wl, arch, mapping


def test_hand_written_fixture():
    assert format_map_yaml(*_hand()) == (FIXTURES / "hand.map.yaml").read_text().rstrip("\n")


def test_round_trip_through_ir():
    wl, arch, mapping = _hand()
    text = format_map_yaml(wl, arch, mapping)
    wl2, _, mapping2 = ir_from_map_yaml(text)
    assert format_map_yaml(wl2, arch, mapping2) == text
