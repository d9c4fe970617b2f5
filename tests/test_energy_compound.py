"""Accelergy 0.4 compound-component semantics on a hand-checked fixture (45 nm Library
and Aladdin tables: register 0.009 pJ/bit read, 5.98 um^2; comparator 0.02947 pJ,
2.51e-5 pJ leak, 71 um^2; adder 0.21 pJ, 0.0024 pJ leak, 278 um^2 per 32 bits)."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.energy.accelergy import build_documents
from loopnest.energy.inputs import load_inputs
from loopnest.errors import EstimationError

FIX = Path(__file__).resolve().parent / "fixtures" / "energy" / "compound"


@pytest.fixture(scope="module")
def docs() -> dict:
    return build_documents(load_inputs([str(FIX / "design.yaml")]))


def _ert(docs, name):
    t = next(t for t in docs["ERT.yaml"]["ERT"]["tables"] if t["name"] == name)
    return [(a["name"], a["arguments"], a["energy"]) for a in t["actions"]]


def _summary(docs, key, name):
    top = docs[f"{key}_summary.yaml"][f"{key}_summary"]["table_summary"]
    return next(t for t in top if t["name"] == name)


def test_nested_compound_energy(docs):
    rows = dict((a, e) for a, _, e in _ert(docs, "chip.rf[1..4]"))
    # storage is a 32 x 64 my_cells (memory_width/depth); read = 0.5 x (32 register reads
    # + 64 comparisons) + one 5-bit add; leak = 64 comparator leaks + two adder leaks
    assert rows["read"] == pytest.approx(0.5 * (32 * 0.009 + 64 * 0.02947) + 0.21 * 5 / 32,
                                         abs=1e-6)
    assert rows["leak"] == pytest.approx(64 * 2.51e-5 + 2 * 0.0024 * 5 / 32, abs=1e-6)


def test_area_scale_applies_at_the_top_and_on_the_path(docs):
    area = {t["name"]: t["area"] for t in docs["ART.yaml"]["ART"]["tables"]}
    scale = (8 / 32) * (24 / 64)  # the top component's area_scale attribute
    cells = 32 * 64 * 5.98 + 64 * 71
    # the storage path carries its own area_scale too: Accelergy applies both
    want = cells * scale * scale + 2 * 278 * 5 / 32 * scale
    assert area["chip.rf[1..4]"] == pytest.approx(want, abs=1e-6)


def test_summaries_name_the_primitives_as_accelergy_does(docs):
    ert = _summary(docs, "ERT", "chip.rf[1..4]")["primitive_estimation(s)"]
    assert [e["name"] for e in ert] == ["storage.bit[1..32]", "storage.cmp[1..64]", "ag[1]",
                                        "ag[0..1]"]
    assert {e["estimator"] for e in ert} == {"Library"}
    art = _summary(docs, "ART", "chip.rf[1..4]")["primitive_estimations"]
    assert [e["name"] for e in art] == ["storage.bit[1..2048]", "storage.cmp[1..64]", "ag[0..1]"]
    assert _summary(docs, "ART", "chip.plain")["primitive_estimations"] == "Library"


def test_sibling_and_parent_attributes(docs):
    # mantissa = adder_width - exponent sees the sibling `exponent` declared before it
    (name, _, e), = _ert(docs, "chip.mac")
    assert name == "compute" and e == pytest.approx(16.679 * 24 / 32, abs=1e-6)
    # `width: width * 2` reads the parent's width; ranged arguments give one row per
    # combination, the first argument varying fastest
    rows = _ert(docs, "chip.port")
    assert [tuple(a.values()) for _, a, _ in rows] == [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2),
                                                      (2, 2)]
    lane = 0.21 * 8 / 32
    assert [e for _, _, e in rows] == pytest.approx([(k + 10 * j) * lane for j in (1, 2)
                                                     for k in (0, 1, 2)], abs=1e-6)


def test_primitive_rows_carry_the_design_wide_arguments(docs):
    rows = _ert(docs, "chip.plain")
    assert rows[0] == ("add", {"global_cycle_seconds": 1e-9, "action_latency_cycles": 1},
                       pytest.approx(0.105))
    flat = {c["name"]: c for c in
            docs["flattened_architecture.yaml"]["architecture"]["local"]}
    attrs = flat["chip.rf[1..4]"]["attributes"]
    assert attrs["depth"] == 24 and attrs["memory_depth"] == 64
    assert attrs["n_instances"] == 1 and attrs["cycle_seconds"] == 1e-9


def test_missing_must_specify_is_located(tmp_path):
    text = (FIX / "design.yaml").read_text().replace("{adder_width: 24}", "{}")
    f = tmp_path / "d.yaml"
    f.write_text(text)
    with pytest.raises(EstimationError) as ei:
        build_documents(load_inputs([str(f)]))
    assert "attribute 'adder_width' of class 'my_fpmac' must be specified" in ei.value.message
    assert ei.value.file.endswith("d.yaml") and ei.value.line is not None
