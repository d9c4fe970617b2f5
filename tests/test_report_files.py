"""Atomic single-file writes, all-or-nothing output sets, the stdout summary line."""
from __future__ import annotations

import os

import pytest

from loopnest.model.result import Result
from loopnest.report import files
from loopnest.report.files import empty_oaves, write_atomic, write_outputs
from loopnest.report.summary import one_line


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_write_outputs_names_and_contents(tmp_path):
    written = write_outputs(tmp_path / "out", "timeloop-model",
                            {"stats.txt": "S\n", "map.txt": "M\n", "oaves.csv": empty_oaves()})
    assert sorted(p.name for p in written) == [
        "timeloop-model.map.txt", "timeloop-model.oaves.csv", "timeloop-model.stats.txt"]
    assert (tmp_path / "out" / "timeloop-model.oaves.csv").read_bytes() == b""


def test_write_outputs_is_all_or_nothing(tmp_path, monkeypatch):
    (tmp_path / "p.stats.txt").write_text("old")
    real = files._temp_beside
    calls = []

    def flaky(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(path, text)

    monkeypatch.setattr(files, "_temp_beside", flaky)
    with pytest.raises(OSError):
        write_outputs(tmp_path, "p", {"stats.txt": "new", "map.txt": "new"})
    assert sorted(os.listdir(tmp_path)) == ["p.stats.txt"]
    assert (tmp_path / "p.stats.txt").read_text() == "old"


def test_one_line_matches_timeloop_stdout():
    r = Result(valid=True, computes=48, cycles=48, energy=115.5136, utilization=1.0)
    assert one_line(r) == "Utilization = 1.00 | pJ/Compute =    2.407 | Cycles = 48"
    r = Result(valid=True, computes=1000, cycles=86016, energy=5469650.0, utilization=0.75)
    assert one_line(r) == "Utilization = 0.75 | pJ/Compute = 5469.650 | Cycles = 86016"


def test_bundles_name_every_file():
    from loopnest.ir import Architecture, ComputeLevel, DataSpace, LevelMapping, Loop, Mapping
    from loopnest.ir import StorageLevel, Workload
    from loopnest.model.result import DataSpaceStats, LoopText, StorageStats
    from loopnest.report import mapper_files, model_files

    wl = Workload("w", ("P",), (4,), (DataSpace("A", ()),))
    arch = Architecture((StorageLevel("Buf"),), ComputeLevel("MAC"))
    mapping = Mapping((LevelMapping(temporal=(Loop("P", 4),), keep=frozenset({"A"})),))
    result = Result(valid=True, storage=[StorageStats(1, "Buf", loops=[LoopText("P", 4)],
                                                      dataspaces=[DataSpaceStats("A", utilized_capacity=4)])])
    assert set(model_files(result, wl, mapping)) == {"stats.txt", "map.txt", "map.tenssella.txt"}
    files_ = mapper_files(result, wl, arch, mapping)
    assert files_["oaves.csv"] == ""
    assert files_["map.txt"] == "Buf [ A:4 (4) ] \n---------------\n| for P in [0:4)\n|   << Compute >>\n"
    assert files_["map.tenssella.txt"] == "t0\nP 4 \nP\n"
