"""Front-end loading: tags, merges, includes, Jinja2 line mapping, variables."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.errors import SpecError
from loopnest.spec.load import load_spec, parse_var_args
from loopnest.spec.located import LocDict, LocList, QuotedStr

FIX = Path(__file__).parent / "fixtures" / "spec"


def _write(tmp: Path, name: str, text: str) -> str:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return str(p)


def _all_located(node) -> bool:
    if isinstance(node, dict):
        return isinstance(node, LocDict) and all(_all_located(v) for v in node.values())
    if isinstance(node, list):
        return isinstance(node, LocList) and all(_all_located(v) for v in node)
    return True


def test_v4_fixture_locations_and_tags() -> None:
    spec = load_spec([str(FIX / "v4" / f) for f in ("arch.yaml", "problem.yaml", "mapping.yaml")])
    nodes = spec["architecture"]["nodes"]
    assert [n.tag for n in nodes][:2] == ["!Container", "!Component"]
    pe = nodes[3]
    assert pe.path == "architecture.nodes[3]" and pe.line == 22 and pe.file.endswith("arch.yaml")
    assert nodes[1]["attributes"]["datawidth"] == 8  # variable WORD evaluated
    assert spec["mapping"][2].file.endswith("mapping.yaml")
    assert _all_located(spec)


def test_quoted_strings_stay_literal(tmp_path: Path) -> None:
    f = _write(tmp_path, "a.yaml", 'variables: {x: 2}\narchitecture:\n  version: 0.4\n  nodes:\n'
               '  - !Component\n    name: A\n    class: c\n    attributes: {q: "x * 2", e: x * 2}\n')
    attrs = load_spec([f])["architecture"]["nodes"][0]["attributes"]
    assert attrs["q"] == "x * 2" and isinstance(attrs["q"], QuotedStr)
    assert attrs["e"] == 4


def test_merge_keys_and_nomerge(tmp_path: Path) -> None:
    f = _write(tmp_path, "m.yaml", """
base: &b {k1: 1, k2: {a: 1, b: 2}, l: [7], n: [4]}
other: &o {k2: {z: 9}, k3: 3}
variables:
  m1: {<<: [*b, *o], k1: 0}
  m2: {<<<: *b, k2: {a: 5}, l: [6], n: !nomerge [1]}
""")
    v = load_spec([f])["variables"]
    assert v["m1"]["k1"] == 0 and v["m1"]["k2"] == {"a": 1, "b": 2} and v["m1"]["k3"] == 3
    assert v["m2"]["k2"] == {"a": 5, "b": 2} and v["m2"]["l"] == [6, 7] and v["m2"]["n"] == [1]


def test_hyphen_keys_become_underscores(tmp_path: Path) -> None:
    f = _write(tmp_path, "p.yaml", "problem:\n  shape:\n    dimensions: [R]\n    data-spaces:\n"
               "    - {name: W, projection: [[[R]]], read-write: true}\n  instance: {R: 3}\n")
    ds = load_spec([f])["problem"]["shape"]["data_spaces"][0]
    assert ds["read_write"] is True


def test_include_tags_and_cycle(tmp_path: Path) -> None:
    _write(tmp_path, "inc/x.yaml", "a: 1\n")
    _write(tmp_path, "inc/y.yaml", "b: 2\n")
    f = _write(tmp_path, "top.yaml", "variables:\n  one: !include inc/x.yaml\n"
               "  all: !includedir inc\n")
    v = load_spec([f])["variables"]
    assert v["one"] == {"a": 1} and v["all"] == [{"a": 1}, {"b": 2}]
    assert v["one"].file.endswith("x.yaml") and v["one"].line == 1
    c = _write(tmp_path, "c.yaml", "variables: {x: !include c.yaml}\n")
    with pytest.raises(SpecError, match="include cycle"):
        load_spec([c])


def test_jinja_lines_map_to_template(tmp_path: Path) -> None:
    _write(tmp_path, "parts/p.yaml", "problem:\n  shape:\n    dimensions: [K]\n"
           "    data_spaces: [{name: A, projection: [[[K]]]}]\n  instance: {K: 4}\n")
    f = _write(tmp_path, "t.jinja2", "{{add_to_path(cwd() ~ '/parts')}}\n{% if big %}\n"
               "variables: {n: 1}\n{% endif %}\nproblem: {{include('p.yaml', 'problem')}}\n"
               "mapper:\n  num_threads: {{ threads }}\n  algorithm: random\n")
    spec = load_spec([f], {"big": False, "threads": 3})
    assert spec["mapper"]["num_threads"] == 3
    assert spec["mapper"].key_lines["algorithm"] == 8  # template line, not output line
    assert spec["problem"].file.endswith("p.yaml")  # included nodes keep their file
    assert spec["problem"]["shape"].line == 3
    with pytest.raises(SpecError) as e:
        load_spec([f], {"big": True})
    assert e.value.line == 7 and "threads" in e.value.message


def test_globs_and_top_level_merge(tmp_path: Path) -> None:
    _write(tmp_path, "c/a.yaml", "compound_components: {version: 0.4, classes: [{name: a}]}\n")
    _write(tmp_path, "c/b.yaml", "compound_components: {version: 0.4, classes: [{name: b}]}\n")
    spec = load_spec([str(tmp_path / "c" / "*.yaml")])
    assert [c["name"] for c in spec["compound_components"]["classes"]] == ["a", "b"]
    with pytest.raises(SpecError):
        load_spec([str(tmp_path / "nothing*.yaml")])


def test_parse_var_args() -> None:
    assert parse_var_args(["a=8", "b=true", "c=eyeriss_like", "d=1e-9", "e="]) == {
        "a": 8, "b": True, "c": "eyeriss_like", "d": 1e-9, "e": ""}
    with pytest.raises(SpecError):
        parse_var_args(["novalue"])
