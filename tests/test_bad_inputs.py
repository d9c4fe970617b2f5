"""Bad-input suite: >= 100 broken inputs made by mutating the spec fixtures.

Every one must make `loopnest validate` exit 2 with a message naming the file,
the line and the YAML path, print no traceback, and write no files.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loopnest.cli import main

FIX = Path(__file__).parent / "fixtures" / "spec"
SETS = {
    "v4": ("v4", ["arch.yaml", "problem.yaml", "mapping.yaml"]),
    "v4c": ("v4", ["arch.yaml", "problem.yaml", "constraints.yaml"]),
    "v3": ("v3", ["arch.yaml", "problem.yaml", "mapping.yaml"]),
    "j": ("jinja", ["top.yaml.jinja2"]),
}
A, P, M, C, T = "arch.yaml", "problem.yaml", "mapping.yaml", "constraints.yaml", "top.yaml.jinja2"
PM = "parts/mapper.yaml"
PP = "parts/problem.yaml"

# (id, set, file, old text, new text)
MUTATIONS = [
    # --- missing required keys
    ("miss-class", "v4", A, "    class: regfile\n", ""),
    ("miss-name-comp", "v4", A, "    name: GLB\n", ""),
    ("miss-dimensions", "v4", P, "    dimensions: [K, R, P]\n", ""),
    ("miss-data-spaces", "v4", P, "    data_spaces:", "    dataspaces_gone:"),
    ("miss-projection", "v4", P, "      projection: [[[K]], [[R]]]\n", ""),
    ("miss-target", "v4", M, "- target: GLB\n  type: temporal", "- type: temporal"),
    ("miss-type", "v4", M, "  type: spatial\n", ""),
    ("miss-v3-name", "v3", A, "    - name: GLB\n      class: SRAM", "    - class: SRAM"),
    ("miss-cons-target", "v4c", C, "  - target: RF\n    type: dataspace", "  - type: dataspace"),
    ("miss-ds-name", "j", PP, "{name: B, projection", "{projection"),
    # --- wrong types
    ("type-depth-list", "v4", A, "depth: 2048", "depth: [2048]"),
    ("type-meshX-list", "v4", A, "spatial: {meshX: 4}", "spatial: {meshX: [4]}"),
    ("type-dims-string", "v4", P, "dimensions: [K, R, P]", "dimensions: KRP"),
    ("type-ds-dict", "v4", P, "    data_spaces:\n", "    data_spaces: {}\n    old_data_spaces:\n"),
    ("type-instance-list", "v4", P, "  instance:\n    K: 8\n    R: 3\n    P: 16\n",
     "  instance: [8, 3, 16]\n"),
    ("type-read-write", "v4", P, "read_write: true", "read_write: [yes]"),
    ("type-algorithm", "v4c", C, "algorithm: random_pruned", "algorithm: 3"),
    ("type-factors-dict", "v4", M, "factors: K=2 R=1 P=1", "factors: {K: 2}"),
    ("type-keep-int", "v4c", C, "keep_only: [Weights, Outputs]", "keep_only: 3"),
    ("type-threads", "v4c", C, "  algorithm: random_pruned", "  algorithm: random_pruned\n  num_threads: \"x\""),
    ("type-attributes-list", "v4", A, "    attributes:\n      depth: 16\n",
     "    attributes: [16]\n    old:\n      depth: 16\n"),
    ("type-nodes-dict", "v4", A, "  nodes:\n", "  nodes: {}\n  old_nodes:\n"),
    ("type-name-list", "v4", A, "name: RF", "name: [RF]"),
    ("type-class-num", "v4", A, "class: SRAM", "class: 7"),
    ("type-metrics", "v4c", C, "optimization_metrics: [edp]", "optimization_metrics: edp"),
    ("type-split", "v4c", C, "split: 1", "split: [1]"),
    ("type-timeout", "j", PM, "algorithm: exhaustive", "algorithm: exhaustive\ntimeout: abc"),
    ("type-coeff", "v4", P, "    name: Conv1D_OC\n", "    name: Conv1D_OC\n    coefficients: 3\n"),
    # --- unknown key one edit away
    ("typo-clas", "v4", A, "    class: regfile", "    clas: regfile"),
    ("typo-atributes", "v4", A, "    attributes:\n      depth: 16", "    atributes:\n      depth: 16"),
    ("typo-spatail", "v4", A, "spatial: {meshX: 4}", "spatail: {meshX: 4}"),
    ("typo-meshx", "v4", A, "spatial: {meshX: 4}", "spatial: {meshx: 4}"),
    ("typo-dimensons", "v4", P, "dimensions:", "dimensons:"),
    ("typo-projetion", "v4", P, "projection: [[[R], [P]]]", "projetion: [[[R], [P]]]"),
    ("typo-read-wrte", "v4", P, "read_write: true", "read_wrte: true"),
    ("typo-instanse", "v4", P, "  instance:", "  instanse:"),
    ("typo-permutaton", "v4", M, "permutation: RPK", "permutaton: RPK"),
    ("typo-factor", "v4", M, "factors: K=1 R=3 P=8", "factor: K=1 R=3 P=8"),
    ("typo-tpye", "v4", M, "  type: spatial", "  tpye: spatial"),
    ("typo-targett", "v4", M, "- target: RF", "- targett: RF"),
    ("typo-top-architectur", "v4", A, "architecture:\n  version", "architectur:\n  version"),
    ("typo-top-problm", "v4", P, "problem:\n", "problm:\n"),
    ("typo-top-mappin", "v4", M, "mapping:\n", "mappin:\n"),
    ("typo-top-variabels", "v4", A, "variables:\n", "variabels:\n"),
    ("typo-algoritm", "v4c", C, "algorithm: random_pruned", "algoritm: random_pruned"),
    ("typo-victory", "j", PM, "algorithm: exhaustive", "algorithm: exhaustive\nvictory_conditon: 5"),
    ("typo-keep-only", "v4c", C, "keep_only:", "keep_onlyy:"),
    ("typo-subtree", "v3", A, "    subtree:\n    - name: PE", "    subtre:\n    - name: PE"),
    ("typo-local", "v3", A, "      local:\n      - name: RF", "      locl:\n      - name: RF"),
    ("typo-nodes", "v4", A, "  nodes:\n", "  node:\n"),
    # --- enums
    ("enum-algorithm", "v4c", C, "algorithm: random_pruned", "algorithm: randomm"),
    ("enum-type", "v4", M, "  type: temporal\n  factors: K=2", "  type: temporl\n  factors: K=2"),
    ("enum-template", "j", PM, "algorithm: exhaustive", "algorithm: exhaustive\n"),
    # --- bad expressions
    ("expr-syntax", "v4", A, "depth: 16", "depth: WORD +"),
    ("expr-zerodiv", "v4", A, "depth: 16", "depth: 16 // 0"),
    ("expr-unknown-func", "v4", A, "depth: 16", "depth: foo(3)"),
    ("expr-index", "v4", A, "depth: 16", "depth: [1, 2][5]"),
    ("expr-len-int", "v4", A, "depth: 16", "depth: len(3)"),
    ("expr-unbalanced", "v4", A, "depth: 2048", "depth: (2048"),
    ("expr-lambda", "v4", A, "depth: 16", "depth: (lambda: 1)()"),
    ("expr-power", "v4", A, "depth: 16", "depth: 10 ** 10 ** 10"),
    ("expr-bigstr", "v4", A, "depth: 16", "depth: len('a' * 10 ** 9)"),
    ("expr-word", "v4", A, "technology: \"40nm\"", "technology: 40nm"),
    ("expr-instance", "v4", P, "    P: 16", "    P: 16 +* 2"),
    ("expr-mesh", "v4", A, "spatial: {meshX: 4}", "spatial: {meshX: NOPE}"),
    ("expr-var", "v4", A, "  WORD: 8", "  WORD: 8 / / 2"),
    # --- undefined variables / Jinja2 names
    ("undef-var", "v4", A, "datawidth: WORD\n  - !Component\n    name: GLB",
     "datawidth: WORDS\n  - !Component\n    name: GLB"),
    ("undef-var-instance", "v4", P, "    K: 8", "    K: KK"),
    ("undef-attr-ref", "v4", A, "depth: 16", "depth: GLB.attributes.deep"),
    ("undef-jinja", "j", T, "width: 64, datawidth", "width: {{ undefined_name }}, datawidth"),
    ("undef-jinja-filter", "j", T, "datawidth: {{word|default(8)}}}", "datawidth: {{word|nofilter}}}"),
    ("undef-jinja-attr", "j", T, "depth: {{glb_depth|default(2048)}}", "depth: {{ cfg.depth }}"),
    ("jinja-syntax", "j", T, "depth: {{glb_depth|default(2048)}}", "depth: {{glb_depth|default(2048)}"),
    ("jinja-block", "j", T, "  - !Component\n    name: MAC", "{% if %}\n  - !Component\n    name: MAC"),
    # --- unknown targets
    ("target-typo", "v4", M, "- target: GLB", "- target: GLBB"),
    ("target-case", "v4", M, "- target: PE", "- target: Pe"),
    ("target-cons", "v4c", C, "  - target: RF", "  - target: RFF"),
    ("target-v3", "v3", M, "- target: RF", "- target: RFF"),
    ("target-v3-dummy", "v3", M, "- target: inter_PE_spatial\n  type: spatial",
     "- target: inter_PE_spatal\n  type: spatial"),
    ("target-index", "v3", M, "- target: RF", "- target: 9"),
    # --- factors
    ("factor-product", "v4", M, "factors: K=2 R=1 P=1", "factors: K=3 R=1 P=1"),
    ("factor-product-p", "v4", M, "factors: K=1 R=3 P=8", "factors: K=1 R=3 P=5"),
    ("factor-v3-product", "v3", M, "factors: K1 R3 P8", "factors: K1 R3 P16"),
    ("factor-spatial-mesh", "v4", M, "factors: K=4 R=1 P=1", "factors: K=8 R=1 P=1"),
    ("factor-unknown-dim", "v4", M, "factors: K=2 R=1 P=1", "factors: K=2 R=1 P=1 Z=2"),
    ("factor-unreadable", "v4", M, "factors: K=2 R=1 P=1", "factors: K=2 R=1 P=?"),
    ("factor-cons-dim", "v4c", C, "factors: [K<=4, R=1]", "factors: [Q<=4, R=1]"),
    ("factor-twice", "v4c", C, "factors: [K<=4, R=1]", "factors: [K<=4, R=1, R=1]"),
    ("perm-unknown", "v4", M, "permutation: RPK", "permutation: RPQ"),
    ("perm-repeat", "v4", M, "permutation: RPK", "permutation: RPKK"),
    ("perm-cons", "v4c", C, "permutation: K_P", "permutation: K_Z"),
    ("perm-v3", "v3", M, "permutation: RPK", "permutation: RPX"),
    ("ds-unknown-keep", "v4c", C, "keep_only: [Weights, Outputs]", "keep_only: [Weight, Outputs]"),
    ("ds-unknown-bypass", "v3", M, "bypass: [Weights, Inputs, Outputs]",
     "bypass: [Weights, Input, Outputs]"),
    # --- includes
    ("include-missing-jinja", "j", T, "include('problem.yaml', 'problem')",
     "include('nope.yaml', 'problem')"),
    ("include-missing-tag", "j", T, "!include parts/mapper.yaml", "!include parts/nope.yaml"),
    ("include-bad-key", "j", T, "include('problem.yaml', 'problem')",
     "include('problem.yaml', 'problemm')"),
    ("include-all-none", "j", T, "problem: {{include('problem.yaml', 'problem')}}",
     "problem: {{include('problem.yaml', 'problem')}}\ncomponents: {{include_all('zz/*.yaml')}}"),
    ("includedir-missing", "j", T, "mapper: !include parts/mapper.yaml",
     "mapper: !include parts/mapper.yaml\nERT: !includedir nodir"),
    ("include-cycle-self", "j", PM, "algorithm: exhaustive", "algorithm: exhaustive\nx: !include mapper.yaml"),
    ("include-cycle-jinja", "j", T, "problem: {{include('problem.yaml', 'problem')}}",
     "problem: {{include('top.yaml.jinja2', 'problem')}}"),
    ("include-unknown-tag", "v4", A, "  - !Component\n    name: MAC", "  - !Componnt\n    name: MAC"),
    # --- invalid YAML syntax
    ("yaml-indent", "v4", A, "      depth: 2048\n", "      depth: 2048\n     width: 3\n"),
    ("yaml-bracket", "v4", P, "dimensions: [K, R, P]", "dimensions: [K, R, P"),
    ("yaml-colon", "v4", M, "  permutation: KRP\n- target: PE", "  permutation: KRP: x\n- target: PE"),
    ("yaml-quote", "v4", A, "technology: \"40nm\"", "technology: \"40nm"),
    ("yaml-tab", "v4", P, "    K: 8\n", "\tK: 8\n"),
    ("yaml-flow", "v4", A, "spatial: {meshX: 4}", "spatial: {meshX: 4"),
    ("yaml-toplist", "v4", M, "mapping:\n", "- mapping:\n"),
    # --- duplicate keys
    ("dup-depth", "v4", A, "      depth: 2048\n", "      depth: 2048\n      depth: 1024\n"),
    ("dup-name", "v4", A, "    name: RF\n", "    name: RF\n    name: RF2\n"),
    ("dup-top", "v4", P, "problem:\n", "problem: {}\nproblem:\n"),
    ("dup-hyphen", "v4", A, "      depth: 16\n", "      depth: 16\n      word-bits: 8\n      word_bits: 8\n"),
    ("dup-instance", "v4", P, "    R: 3\n", "    R: 3\n    R: 4\n"),
    ("dup-component", "v4", A, "    name: RF\n", "    name: GLB\n"),
    ("dup-dim", "v4", P, "dimensions: [K, R, P]", "dimensions: [K, R, P, K]"),
    ("dup-ds", "v4", P, "    - name: Inputs", "    - name: Weights"),
    # --- negative or zero sizes
    ("size-depth-zero", "v4", A, "depth: 2048", "depth: 0"),
    ("size-depth-neg", "v4", A, "depth: 16", "depth: -16"),
    ("size-width-zero", "v4", A, "      width: 64\n      datawidth: WORD\n  - !Container",
     "      width: 0\n      datawidth: WORD\n  - !Container"),
    ("size-datawidth-neg", "v4", A, "  WORD: 8", "  WORD: -8"),
    ("size-mesh-zero", "v4", A, "spatial: {meshX: 4}", "spatial: {meshX: 0}"),
    ("size-mesh-neg", "v4", A, "spatial: {meshX: 4}", "spatial: {meshX: -4}"),
    ("size-bound-zero", "v4", P, "    P: 16", "    P: 0"),
    ("size-bound-neg", "v4", P, "    K: 8", "    K: -8"),
    ("size-bound-float", "v4", P, "    R: 3", "    R: 2.5"),
    ("size-v3-depth", "v3", A, "attributes: {depth: 16, width: 8", "attributes: {depth: -1, width: 8"),
    ("size-v3-range", "v3", A, "name: PE[0..3]", "name: PE[3..0]"),
    ("size-mb-zero", "v4", A, "      depth: 16\n", "      depth: 16\n      multiple_buffering: 0\n"),
    ("size-split-neg", "v4c", C, "split: 1", "split: -1"),
    # --- unsafe expressions
    ("unsafe-import", "v4", A, "depth: 16", "depth: __import__('os').getpid()"),
    ("unsafe-class", "v4", A, "depth: 16", "depth: ().__class__"),
    ("unsafe-bases", "v4", A, "depth: 16", "depth: ().__class__.__bases__[0].__subclasses__()"),
    ("unsafe-spec-class", "v4", A, "depth: 16", "depth: spec.__class__"),
    ("unsafe-open", "v4", A, "depth: 16", "depth: open('/etc/passwd')"),
    ("unsafe-exec", "v4", A, "depth: 16", "depth: exec('x=1')"),
    ("unsafe-eval", "v4", A, "depth: 16", "depth: eval('1')"),
    ("unsafe-globals", "v4", A, "depth: 16", "depth: globals()"),
    ("unsafe-builtins", "v4", A, "depth: 16", "depth: __builtins__"),
    ("unsafe-getattr", "v4", A, "depth: 16", "depth: getattr(spec, 'x')"),
    ("unsafe-dunder-str", "v4", A, "depth: 16", "depth: 'a'.__len__()"),
    ("unsafe-format", "v4", A, "depth: 16", "depth: '{0.__class__}'.format(1)"),
    ("unsafe-comprehension", "v4", A, "depth: 16",
     "depth: '[c for c in ().__class__.__mro__]'\n      d2: [c for c in ().__class__.__mro__]"),
    ("unsafe-type", "v4", A, "depth: 16", "depth: type(1)"),
    ("unsafe-var", "v4", A, "  WORD: 8", "  WORD: __import__('os').system('true')"),
    ("unsafe-instance", "v4", P, "    K: 8", "    K: ().__class__"),
    ("unsafe-jinja-dunder", "j", T, "datawidth: {{word|default(8)}}}",
     "datawidth: {{ ''.__class__.__mro__[1].__subclasses__() }}}"),
    # --- structure / semantic
    ("proj-unknown-dim", "v4", P, "projection: [[[K]], [[P]]]", "projection: [[[K]], [[Q]]]"),
    ("proj-unknown-coef", "v4", P, "projection: [[[R], [P]]]", "projection: [[[R, Wstride], [P]]]"),
    ("parallel-missing", "v4", A, "  - !Component\n    name: RF", "  - !Parallel\n    nodes: 3\n  - !Component\n    name: RF"),
    ("node-not-map", "v4", A, "  - !Container\n    name: PE", "  - 3\n  - !Container\n    name: PE"),
    ("cons-twice", "v4c", C, "    split: 1\n", "    split: 1\n  - target: PE\n    type: spatial\n    split: 2\n"),
    ("cons-keep-bypass", "v4c", C, "keep_only: [Weights, Outputs]", "keep: [Weights]\n    bypass: [Weights]"),
    ("cons-overbook", "v4c", C, "  - target: RF\n", "  - target: RF\n    type: max_overbooked_proportion\n    proportion: 2\n  - target: RF\n"),
    ("merge-conflict", "v4", M, "mapping:\n", "problem:\n  version: 0.3\nmapping:\n"),
]


def _setup(tmp_path: Path, set_name: str, fname: str, old: str, new: str) -> list[str]:
    src, files = SETS[set_name]
    shutil.copytree(FIX / src, tmp_path / "in")
    target = tmp_path / "in" / fname
    text = target.read_text()
    assert old in text, f"mutation anchor not found in {fname}: {old!r}"
    target.write_text(text.replace(old, new, 1))
    return [str(tmp_path / "in" / f) for f in files]


def _snapshot(root: Path) -> set:
    return {p.relative_to(root) for p in root.rglob("*")}


def test_suite_is_large_and_distinct() -> None:
    ids = [m[0] for m in MUTATIONS]
    assert len(set(ids)) == len(ids)
    assert len({(m[1], m[2], m[3], m[4]) for m in MUTATIONS}) == len(MUTATIONS)
    assert len(MUTATIONS) >= 100


@pytest.mark.parametrize("mid,set_name,fname,old,new", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_bad_input(tmp_path: Path, capsys, monkeypatch, mid, set_name, fname, old, new) -> None:
    if mid == "enum-template":
        new = new + "mapspace_template_probe: 1\n"
    files = _setup(tmp_path, set_name, fname, old, new)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    rc = main(["validate", *files])
    out, err = capsys.readouterr()
    assert rc == 2, f"{mid}: rc={rc}\nstdout={out}\nstderr={err}"
    assert "Traceback" not in err and "Traceback" not in out
    assert _snapshot(tmp_path) == before
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 3, err
    m = re.match(r"error: (\S+?):(\d+): (\S+): (.+)", lines[0])
    assert m, f"{mid}: message lacks file:line: path: {err}"
    assert Path(m.group(1)).name in {Path(f).name for f in files} | {
        "mapper.yaml", "problem.yaml", "top.yaml.jinja2"}, err


@pytest.mark.parametrize("mid", ["unsafe-import", "yaml-bracket"])
def test_bad_input_subprocess(tmp_path: Path, mid: str) -> None:
    m = next(x for x in MUTATIONS if x[0] == mid)
    files = _setup(tmp_path, m[1], m[2], m[3], m[4])
    before = _snapshot(tmp_path)
    r = subprocess.run([sys.executable, "-m", "loopnest", "validate", *files],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert re.match(r"error: \S+:\d+: \S+: ", r.stderr)
    assert _snapshot(tmp_path) == before
