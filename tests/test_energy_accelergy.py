"""Accelergy semantics: compound classes, ERT/ART, energy_estimation (fixture + exercises)."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.energy.accelergy import build_documents
from loopnest.energy.inputs import load_inputs
from loopnest.energy.names import name_matches

FIX = Path(__file__).resolve().parent / "fixtures" / "energy"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EX = SHARED / "corpus" / "exercises" / "01_accelergy_timeloop_2020_ispass" / "accelergy"


def _yaml(p: Path) -> dict:
    return YAML(typ="safe").load(p.read_text())


def _tiny() -> dict:
    return build_documents(load_inputs([str(FIX / "tiny")]))


def _entries(docs: dict, name: str) -> dict:
    t = next(t for t in docs["ERT.yaml"]["ERT"]["tables"] if t["name"] == name)
    return {(a["name"], tuple(sorted((a["arguments"] or {}).items()))): a["energy"]
            for a in t["actions"]}


def test_compound_energy_hand_checked() -> None:
    docs = _tiny()
    glb = _entries(docs, "chip.glb")
    # read(k) = cells.access 2.0 x (1 + k) + 2 address counters x 0.25
    assert glb[("read", (("k", 0),))] == pytest.approx(2.5)
    assert glb[("read", (("k", 1),))] == pytest.approx(4.5)
    assert glb[("write", ())] == pytest.approx(6.0)  # energy_scale 3
    assert glb[("idle", ())] == 0.0  # declared with no subcomponents
    mac = _entries(docs, "chip.PE[0..3].mac")
    assert mac[("compute", ())] == pytest.approx(1.0)


def test_area_uses_area_scale_and_copies() -> None:
    art = {t["name"]: t["area"] for t in _tiny()["ART.yaml"]["ART"]["tables"]}
    assert art["chip.glb"] == pytest.approx(8 * 10 + 2 * 1.5)  # half = width/2 = 8
    assert art["chip.PE[0..3].mac"] == pytest.approx(100)


def test_summary_records_estimators_and_flattened_attributes() -> None:
    docs = _tiny()
    summ = docs["ERT_summary.yaml"]["ERT_summary"]["table_summary"]
    glb = next(s for s in summ if s["name"] == "chip.glb")
    assert {e["name"] for e in glb["primitive_estimation(s)"]} == {"cells", "ag[0..1]"}
    assert all(e["estimator"] == "table" for e in glb["primitive_estimation(s)"])
    read = next(a for a in glb["actions"] if a["name"] == "read")
    assert read["max_energy"] == 4.5 and read["min_energy"] == 2.5
    flat = docs["flattened_architecture.yaml"]["architecture"]["local"]
    g = next(c for c in flat if c["name"] == "chip.glb")
    assert g["attributes"]["half"] == 8 and g["attributes"]["technology"] == "45nm"


def test_energy_estimation_matches_ranges() -> None:
    est = _tiny()["energy_estimation.yaml"]["energy_estimation"]
    got = {c["name"]: c["energy"] for c in est["components"]}
    assert got == {"chip.glb": pytest.approx(57.0), "chip.PE[2].mac": pytest.approx(7.0)}
    assert est["Total"] == pytest.approx(64.0)


def test_name_matching() -> None:
    assert name_matches("sys.PE[3].buf", "sys.PE[0..4].buf")
    assert not name_matches("sys.PE[5].buf", "sys.PE[0..4].buf")
    assert not name_matches("sys.PE[1].buf", "sys.PE[0..4].glb")


def test_cli_writes_all_outputs(tmp_path: Path) -> None:
    from loopnest.cli import main

    assert main(["energy", str(FIX / "tiny"), "-o", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"ERT.yaml", "ERT_summary.yaml", "ART.yaml", "ART_summary.yaml",
            "flattened_architecture.yaml", "energy_estimation.yaml"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    assert _yaml(tmp_path / "energy_estimation.yaml")["energy_estimation"]["Total"] == 64.0


needs_shared = pytest.mark.skipif(not EX.is_dir(), reason="../shared corpus not present")


@pytest.mark.shared
@needs_shared
@pytest.mark.parametrize("ex", ["02_primitive_architecture_energy", "03_compound_architecture"])
def test_exercise_energy_estimation_equals_reference(ex: str, tmp_path: Path) -> None:
    """Given the reference ERT and the action counts, energy_estimation.yaml is identical."""
    d = EX / ex
    inputs = [str(d / "input" / "action_counts.yaml")]
    if (d / "input" / "ERT.yaml").exists():
        inputs += [str(d / "input" / "ERT.yaml"), str(d / "input" / "flattened_architecture.yaml")]
    else:  # exercise 03: its reference ERT replaces estimation of every component
        inputs += [str(d / "input" / "architecture.yaml"), str(d / "ref-output" / "ERT.yaml")]
    docs = build_documents(load_inputs(inputs))
    ref = _yaml(d / "ref-output" / "energy_estimation.yaml")
    assert docs["energy_estimation.yaml"] == ref


@pytest.mark.shared
@needs_shared
def test_exercise03_ert_structure_from_primitive_table() -> None:
    """Compound -> primitive expansion reproduces exercise 03's ERT from a primitive table."""
    d = EX / "03_compound_architecture"
    docs = build_documents(load_inputs([str(d / "input"), str(FIX / "ex03_primitives.yaml")]))
    ref = _yaml(d / "ref-output" / "ERT.yaml")["ERT"]["tables"]
    got = docs["ERT.yaml"]["ERT"]["tables"]
    assert [t["name"] for t in got] == [t["name"] for t in ref]
    for g, r in zip(got, ref):
        assert [(a["name"], a["arguments"]) for a in g["actions"]] == \
               [(a["name"], a["arguments"]) for a in r["actions"]]
        for a, b in zip(g["actions"], r["actions"]):
            assert a["energy"] == pytest.approx(b["energy"], abs=1.5e-3)
    ref_art = {t["name"]: t["area"] for t in _yaml(d / "ref-output" / "ART.yaml")["ART"]["tables"]}
    for t in docs["ART.yaml"]["ART"]["tables"]:
        assert t["area"] == pytest.approx(ref_art[t["name"]], rel=1e-6)
    ref_sum = _yaml(d / "ref-output" / "ERT_summary.yaml")["ERT_summary"]["table_summary"]
    got_sum = docs["ERT_summary.yaml"]["ERT_summary"]["table_summary"]
    for g, r in zip(got_sum, ref_sum):
        assert [e["name"] for e in g["primitive_estimation(s)"]] == \
               [e["name"] for e in r["primitive_estimation(s)"]]
    assert docs["energy_estimation.yaml"] == _yaml(d / "ref-output" / "energy_estimation.yaml")
