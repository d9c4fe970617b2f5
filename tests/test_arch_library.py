"""The bundled accelerators (arch_library/) and `loopnest arch`.

Every design renders with its defaults and with an overridden parameter, validates,
prices every component with the estimators of the 2024 Accelergy stack (digital
designs), and maps a small conv and a small matmul through `loopnest mapper` with
sane numbers: utilization > 0, energy > 0, cycles >= MACs / MAC units.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from loopnest import archlib
from loopnest.cli import main
from tests.fixtures.problems import matmul_text

DESIGNS = ["eyeriss_like", "gemmini_like", "nvdla_like", "pim_isaac_like", "pim_sram_cim",
           "shidiannao_like", "simba_like", "simple_os", "simple_ws", "tpu_v1_like"]
DIGITAL = [d for d in DESIGNS if not d.startswith("pim_")]

# One override per design and what it must change in the lowered architecture:
# (parameter, value, level name, attribute of that level, expected value).
OVERRIDES = {
    "eyeriss_like": ("pe_cols", 7, "mac", "instances", 7 * 12),
    "gemmini_like": ("mesh_rows", 8, "mac", "instances", 8 * 16),
    "nvdla_like": ("atomic_k", 16, "mac", "instances", 16 * 64),
    "pim_isaac_like": ("n_arrays", 4, "input_register", "instances", 4),
    "pim_sram_cim": ("rows", 128, "dac", "instances", 128 * 64),
    "shidiannao_like": ("nbin_kib", 32, "NBin", "size", 32 * 1024 // 2),
    "simba_like": ("n_pes", 4, "input_buffer", "instances", 4),
    "simple_os": ("rf_words", 8, "output_rf", "size", 8),
    "simple_ws": ("glb_kib", 64, "global_buffer", "size", 64 * 1024),
    "tpu_v1_like": ("array_rows", 128, "mac", "instances", 128 * 256),
}

CONV = """problem:
  version: 0.4
  shape:
    name: conv2d
    dimensions: [C, M, R, S, N, P, Q]
    data_spaces:
    - {name: Weights, projection: [[[C]], [[M]], [[R]], [[S]]]}
    - {name: Inputs, projection: [[[N]], [[C]], [[R], [P]], [[S], [Q]]]}
    - {name: Outputs, projection: [[[N]], [[M]], [[Q]], [[P]]], read_write: true}
  instance: {C: 16, M: 32, R: 3, S: 3, N: 1, P: 8, Q: 8}
"""
MATMUL = matmul_text(C=64, M=64, N=32)
MACS = {"conv": 16 * 32 * 9 * 64, "matmul": 64 * 64 * 32}


@pytest.fixture(scope="module")
def problems(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("problems")
    (d / "conv.yaml").write_text(CONV)
    (d / "matmul.yaml").write_text(MATMUL)
    return {"conv": str(d / "conv.yaml"), "matmul": str(d / "matmul.yaml")}


def _files(name: str) -> list[str]:
    return [str(f) for f in archlib.design_files(name)]


def _lower(files: list[str], variables: dict | None = None):
    from loopnest.ir.lower import lower_design
    from loopnest.spec.load import load_spec
    from loopnest.spec.native import to_native
    from loopnest.spec.validate import validate_spec

    spec = load_spec(files, variables)
    validate_spec(spec)
    return lower_design(to_native(spec))


def _level(arch, name: str):
    if arch.compute.name == name:
        return arch.compute
    return next(lv for lv in arch.storage if lv.name == name)


def test_library_holds_the_designs():
    assert archlib.design_names() == DESIGNS
    assert set(OVERRIDES) == set(DESIGNS)


@pytest.mark.parametrize("name", DESIGNS)
def test_header_documents_every_parameter(name):
    design = archlib.get_design(name)
    assert design.summary and design.description and design.sources
    assert design.files[0].name == archlib.TEMPLATE
    defaults = archlib.template_defaults(design.template.read_text())
    # Every `{% set p = p | default(v) %}` is documented, in the same order, with the same
    # default; every documented parameter has a unit and a meaning.
    assert [p.name for p in design.parameters] == list(defaults)
    for p in design.parameters:
        assert p.value == archlib.Parameter(p.name, defaults[p.name], "", "").value, p.name
        assert p.unit and len(p.meaning) > 5, p.name


@pytest.mark.parametrize("name", DESIGNS)
def test_renders_and_validates_with_defaults_and_an_override(name, problems):
    from loopnest.commands.validate import check

    files = _files(name) + [problems["conv"]]
    _, design = check(files, [])
    assert design is not None
    param, value, level, attr, expected = OVERRIDES[name]
    default = getattr(_level(design.architecture, level), attr)
    changed = _lower(files, {param: value})
    assert getattr(_level(changed.architecture, level), attr) == expected != default
    assert main(["validate", *files, "--var", f"{param}={value}"]) == 0


@pytest.mark.parametrize("name", DIGITAL)
def test_digital_designs_price_with_the_accelergy_stack(name, problems):
    """No component falls back to loopnest's own models (`loopnest-*`): every primitive
    is priced by an estimator of the 2024 stack at the design's node."""
    from loopnest.energy.estimate import estimate_tables
    from loopnest.spec.load import load_spec
    from loopnest.spec.native import to_native

    tables, _, _ = estimate_tables(to_native(load_spec(_files(name) + [problems["conv"]])))
    stack = {"CactiDRAM", "CactiSRAM", "Neurosim Plug-In", "Library", "Aladdin_table"}
    assert {"DRAM", "mac"} <= set(tables.components)
    for level, comp in tables.components.items():
        used = set(str(comp.estimator).split(", "))
        if level.startswith("inter_"):  # the front end's fan-out placeholders
            assert used == {"dummy_table"}, level
            continue
        assert used <= stack, (level, used)
        assert comp.entries and all(e >= 0 for _, _, e in comp.entries), level
        assert comp.area is not None and comp.area >= 0, level


def test_shared_compound_classes_are_identical():
    """A compound class of the same name is written identically in every folder."""
    from ruamel.yaml import YAML

    seen: dict[str, tuple[str, object]] = {}
    for name in DIGITAL:
        doc = YAML(typ="safe").load((archlib.library_root() / name / "components.yaml").read_text())
        for cls in doc["components"]["classes"]:
            if cls["name"] in seen:
                assert cls == seen[cls["name"]][1], (cls["name"], name, seen[cls["name"]][0])
            seen[cls["name"]] = (name, cls)
    assert {"sram_buffer", "accumulator_sram", "register_file", "pipeline_register",
            "int_mac"} <= set(seen)


@pytest.mark.parametrize("problem", ["conv", "matmul"])
@pytest.mark.parametrize("name", DESIGNS)
def test_maps_a_conv_and_a_matmul(name, problem, problems, tmp_path):
    from loopnest.report.parse_stats import parse_stats

    files = _files(name) + [problems[problem]]
    assert main(["mapper", *files, "-o", str(tmp_path), "--timeout", "1", "-q"]) == 0
    res = parse_stats((tmp_path / "timeloop-mapper.stats.txt").read_text())
    macs = _lower(files).architecture.compute.instances
    assert res.computes == MACS[problem]
    assert 0 < res.utilization <= 1
    assert res.energy > 0
    assert res.cycles >= math.ceil(MACS[problem] / macs)


def test_arch_list(capsys):
    assert main(["arch", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == DESIGNS
    for ln, d in zip(lines, archlib.list_designs()):
        assert ln.endswith(d.summary)
    assert any("row-stationary" in ln and "12 x 14" in ln for ln in lines)


def test_arch_show(capsys):
    assert main(["arch", "show", "tpu_v1_like"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tpu_v1_like: ")
    assert "Jouppi" in out and "ISCA 2017" in out
    design = archlib.get_design("tpu_v1_like")
    for p in design.parameters:
        assert re.search(rf"^  {p.name}\s+{re.escape(p.default)}\s+{re.escape(p.unit)}\s", out,
                         re.M), p.name
    for f in design.files:
        assert str(f) in out
    assert "700" in out and "24" in out and "256" in out


def test_arch_files_and_unknown_names(capsys):
    assert main(["arch", "files", "pim_sram_cim"]) == 0
    paths = capsys.readouterr().out.split()
    assert [Path(p).name for p in paths] == ["arch.yaml.jinja2", "components.yaml.jinja2",
                                             "mapper.yaml"]
    assert all(Path(p).is_file() for p in paths)
    assert main(["arch", "show", "eyeris_like"]) == 2
    err = capsys.readouterr().err
    assert "no accelerator named 'eyeris_like'" in err and "did you mean 'eyeriss_like'" in err
    assert "Traceback" not in err


def test_check_variables_names_a_typo():
    from loopnest.errors import ValidationError

    design = archlib.get_design("eyeriss_like")
    archlib.check_variables(design, ["glb_kib", "pe_rows"])
    with pytest.raises(ValidationError, match="no parameter 'glb_kb'") as e:
        archlib.check_variables(design, ["glb_kb"])
    assert "glb_kib" in (e.value.hint or "")


def test_header_parse_errors_are_located():
    from loopnest.errors import SpecError

    with pytest.raises(SpecError, match="header comment"):
        archlib.parse_header("architecture: {}\n", "x.yaml.jinja2")
    bad = "{#-\nx: y\n\nParameters:\n  name  default  unit  meaning\n  lonely\n-#}\n"
    with pytest.raises(SpecError, match="cannot read the parameter line 'lonely'"):
        archlib.parse_header(bad, "x.yaml.jinja2")


def test_bad_dataflow_is_an_error(problems, capsys):
    files = _files("gemmini_like") + [problems["conv"]]
    assert main(["validate", *files, "--var", "dataflow=RS"]) == 2
    err = capsys.readouterr().err
    assert "dataflow_must_be_WS_or_OS" in err and "Traceback" not in err
    assert main(["validate", *files, "--var", "dataflow=os"]) == 0
