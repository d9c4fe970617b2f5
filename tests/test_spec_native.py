"""v0.4 -> TL-native transpilation; v0.3 and v0.4 spellings lower to the same IR."""
from __future__ import annotations

import glob
from pathlib import Path

import pytest

from loopnest.spec.load import load_spec
from loopnest.spec.native import to_native

FIX = Path(__file__).parent / "fixtures" / "spec"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared absent")


def _load(d: str, *names: str):
    return load_spec([str(FIX / d / n) for n in names])


def test_v4_fixture_transpiles() -> None:
    nat = to_native(_load("v4", "arch.yaml", "problem.yaml", "mapping.yaml"))
    top = nat["architecture"]["subtree"][0]
    assert top["name"] == "chip_top_level"
    names = [c["name"] for c in top["local"]]
    assert names == ["DRAM[1..1]", "GLB[1..1]", "inter_PE_spatial[1..1]", "RF[1..4]", "MAC[1..4]"]
    rf = top["local"][3]["attributes"]
    assert (rf["meshX"], rf["meshY"], rf["technology"], rf["n_banks"]) == (4, 1, "40nm", 2)
    types = [(d["target"], d["type"]) for d in nat["mapping"]]
    assert ("inter_PE_spatial", "spatial") in types and ("inter_PE_spatial", "bypass") in types
    assert nat["architecture_constraints"]["targets"] == []


def test_mapper_mode_puts_directives_in_constraints() -> None:
    nat = to_native(_load("v4", "arch.yaml", "problem.yaml", "constraints.yaml"))
    assert nat["mapping"] == []
    targets = nat["architecture_constraints"]["targets"]
    rf = [d for d in targets if d["target"] == "RF" and d["type"] == "bypass"][0]
    assert rf["keep"] == ["Weights", "Outputs"] and rf["bypass"] == ["Inputs"]
    both = to_native(_load("v4", "arch.yaml", "problem.yaml", "constraints.yaml"), for_model=True)
    assert both["mapping"] and both["architecture_constraints"]["targets"] == []


def test_idempotent() -> None:
    spec = _load("v4", "arch.yaml", "problem.yaml", "mapping.yaml")
    once = to_native(spec)
    assert to_native(once) == once
    v3 = _load("v3", "arch.yaml", "problem.yaml", "mapping.yaml")
    assert to_native(v3)["architecture"] == v3["architecture"]


def test_v3_and_v4_lower_to_equal_ir() -> None:
    lower = pytest.importorskip("loopnest.ir.lower")
    d4 = lower.lower_design(to_native(_load("v4", "arch.yaml", "problem.yaml", "mapping.yaml")))
    d3 = lower.lower_design(to_native(_load("v3", "arch.yaml", "problem.yaml", "mapping.yaml")))
    assert d4.workload == d3.workload
    assert d4.mapping == d3.mapping
    strip = lambda a: [(s.name, s.cls, s.word_bits, s.block_size, s.size, s.instances, s.meshX,
                        s.meshY, s.is_dummy) for s in a.storage]
    assert strip(d4.architecture) == strip(d3.architecture)
    assert d4.architecture.compute.instances == d3.architecture.compute.instances


def test_macros_expand() -> None:
    spec = _load("v4", "arch.yaml", "problem.yaml", "constraints.yaml")
    spec["architecture"]["nodes"][2]["constraints"] = {
        "temporal": {"factors_only": ["K=2"]},
        "dataspace": {"bypass_only": ["*"]}}
    nat = to_native(spec)
    glb = [d for d in nat["architecture_constraints"]["targets"] if d["target"] == "GLB"]
    temporal = [d for d in glb if d["type"] == "temporal"][0]
    assert set(temporal["factors"].split(",")) >= {"K=2", "R=1", "P=1"}
    byp = [d for d in glb if d["type"] == "bypass"][0]
    assert sorted(byp["bypass"]) == ["Inputs", "Outputs", "Weights"]


# ---- corpus: our transpilation vs the real front end's parsed-processed-input.yaml ----
T = "exercises/01_accelergy_timeloop_2020_ispass/timeloop/"
E = "exercises/example_designs/"
CASES = {
    "00": ([T + "00*/arch/*", T + "00*/map/*", T + "00*/prob/*"],
           T + "00*/ref-output/parsed-processed-input.yaml", {}),
    "01-ws": ([T + "01*/arch/*", T + "01*/map/*ws*", T + "01*/prob/*"],
              T + "01*/ref-output/ws/parsed-processed-input.yaml", {}),
    "01-os": ([T + "01*/arch/*", T + "01*/map/*os*", T + "01*/prob/*"],
              T + "01*/ref-output/os/parsed-processed-input.yaml", {}),
    "02-nt": ([T + "02*/arch/*", T + "02*/map/*os.map*", T + "02*/prob/*"],
              T + "02*/ref-output/no-tiling/parsed-processed-input.yaml", {}),
    "02-t": ([T + "02*/arch/*", T + "02*/map/*tiled*", T + "02*/prob/*"],
             T + "02*/ref-output/tiling/parsed-processed-input.yaml", {}),
    "03-nb": ([T + "03*/arch/*", T + "03*/map/*3level.map*", T + "03*/prob/*"],
              T + "03*/ref-output/no-bypass/parsed-processed-input.yaml", {}),
    "03-b": ([T + "03*/arch/*", T + "03*/map/*bypass*", T + "03*/prob/*"],
             T + "03*/ref-output/bypass/parsed-processed-input.yaml", {}),
    "04-kp": ([T + "04*/arch/*", T + "04*/map/*kp*", T + "04*/prob/*"],
              T + "04*/ref-output/kp/parsed-processed-input.yaml", {}),
    "05": ([T + "05*/arch/*", T + "05*/constraints/*1mapping*", T + "05*/prob/*",
            T + "05*/mapper/*"], T + "05*/ref-output/baked/parsed-processed-input.yaml", {}),
    "eyeriss": ([E + "top.yaml.jinja2"],
                E + "eyeriss_like/ref_outputs/default_problem/parsed-processed-input.yaml",
                {"architecture": "eyeriss_like"}),
    "sws": ([E + "top.yaml.jinja2"], E + "simple_weight_stationary/ref_outputs/default_problem/"
            "parsed-processed-input.yaml", {"architecture": "simple_weight_stationary"}),
    "dudu": ([E + "top.yaml.jinja2"], E + "sparseloop/01.2.1-DUDU-dot-product/ref_outputs/"
             "default_problem/parsed-processed-input.yaml",
             {"architecture": "sparseloop/01.2.1-DUDU-dot-product"}),
}
# The shipped references were produced from older versions of two input files:
# 04's reference puts GlobalBuffer inside the PE array, eyeriss's used technology 32nm.
STALE = {"04-kp": ("level order",), "eyeriss": ("attributes.technology",)}


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_reference_front_end(case: str) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from native_compare import diff

    ins, ref, var = CASES[case]
    files = [f for p in ins for f in sorted(glob.glob(str(SHARED / "corpus" / p)))]
    mine = to_native(load_spec(files, var))
    refspec = load_spec(glob.glob(str(SHARED / "corpus" / ref)))
    problems = [d for d in diff(mine, refspec)
                if not any(s in d for s in STALE.get(case, ()))]
    assert problems == []


def test_legacy_ispass_arch_becomes_a_tree() -> None:
    nat = to_native(load_spec([str(FIX / "ispass.yaml")]))
    local = nat["architecture"]["subtree"][0]["local"]
    assert [c["name"] for c in local] == ["DRAM", "RegFile", "MACs"]
    assert local[1]["attributes"]["entries"] == 64 and local[0]["class"] == "DRAM"
    assert to_native(nat) == nat
