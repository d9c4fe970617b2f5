"""Bad input is reported with component, file and line; nothing is priced at zero silently."""
from __future__ import annotations

from pathlib import Path

import pytest

from loopnest.energy.accelergy import build_documents
from loopnest.energy.inputs import load_inputs
from loopnest.errors import EstimationError, LoopnestError


def _run(tmp_path: Path, arch: str, extra: str = "") -> EstimationError:
    f = tmp_path / "arch.yaml"
    f.write_text(arch)
    files = [str(f)]
    if extra:
        g = tmp_path / "classes.yaml"
        g.write_text(extra)
        files.append(str(g))
    with pytest.raises(EstimationError) as ei:
        build_documents(load_inputs(files))
    return ei.value


ARCH = """architecture:
  version: 0.4
  subtree:
  - name: top
    attributes: {{technology: {tech}}}
    local:
    - name: buf
      class: {cls}
      attributes: {attrs}
"""


def test_unknown_class(tmp_path: Path) -> None:
    e = _run(tmp_path, ARCH.format(tech="45nm", cls="flux_capacitor", attrs="{width: 8}"))
    assert "top.buf" in e.message and "unknown class 'flux_capacitor'" in e.message
    assert e.file.endswith("arch.yaml") and e.line == 8


def test_missing_attribute(tmp_path: Path) -> None:
    e = _run(tmp_path, ARCH.format(tech="45nm", cls="SRAM", attrs="{width: 64}"))
    assert "top.buf" in e.message and "depth" in e.message
    assert e.file.endswith("arch.yaml") and e.line is not None


def test_negative_attribute(tmp_path: Path) -> None:
    # the input checks of `loopnest validate` see it first, at the same place
    f = tmp_path / "arch.yaml"
    f.write_text(ARCH.format(tech="45nm", cls="SRAM", attrs="{width: 64, depth: -4}"))
    with pytest.raises(LoopnestError) as ei:
        build_documents(load_inputs([str(f)]))
    e = ei.value
    assert e.message == "must be > 0, got -4" and e.path.endswith("local[0].attributes.depth")
    assert e.file.endswith("arch.yaml") and e.line == 9
    # and the estimator itself still refuses it when handed the spec directly
    from loopnest.spec.load import load_spec

    with pytest.raises(EstimationError) as ei2:
        build_documents(load_spec([str(f)]))
    assert ei2.value.message == "component 'top.buf': attribute 'depth' must be > 0, got -4"
    assert ei2.value.line == 9


@pytest.mark.parametrize("cls, attrs, message", [
    ("SRAM", "{width: 64, depth: lots}", "attribute 'depth' must be a number, got 'lots'"),
    ("DRAM", "{type: DDR9, width: 64}", "unknown DRAM type 'DDR9'"),
    ("dac", "{resolution: 4, dac_type: temporal}", "missing attribute 'load_capacitance'"),
    ("adc", "{resolution: 8, throughput: -1}", "attribute 'throughput' must be > 0, got -1"),
    ("intmac", "{}", "missing attribute 'multiplier_width'"),
])
def test_bad_attribute_per_estimator(tmp_path: Path, cls: str, attrs: str, message: str) -> None:
    e = _run(tmp_path, ARCH.format(tech="45nm", cls=cls, attrs=attrs))
    assert e.message.startswith("component 'top.buf': ") and message in e.message
    assert e.file.endswith("arch.yaml") and e.line == 9


def test_technology_out_of_range(tmp_path: Path) -> None:
    # (the Library scales 7-130 nm; CACTI's SRAM would extrapolate any node, as in the stack)
    e = _run(tmp_path, ARCH.format(tech="3nm", cls="aladdin_adder", attrs="{width: 8}"))
    assert e.message == ("component 'top.buf': technology 3 nm is outside the supported range "
                         "7..180 nm")
    assert e.file.endswith("arch.yaml") and e.line == 9


def test_technology_out_of_range_in_subcomponent(tmp_path: Path) -> None:
    classes = """compound_components:
  version: 0.4
  classes:
  - name: wrap
    attributes: {}
    subcomponents:
    - {name: a, class: aladdin_adder, attributes: {width: 8, technology: 500nm}}
    actions:
    - {name: read, subcomponents: [{name: a, actions: [{name: add}]}]}
"""
    e = _run(tmp_path, ARCH.format(tech="45nm", cls="wrap", attrs="{}"), classes)
    assert "component 'top.buf' (subcomponent a): technology 500 nm is outside" in e.message
    assert e.file.endswith("classes.yaml") and e.line == 7


def test_unknown_action_in_compound(tmp_path: Path) -> None:
    classes = """compound_components:
  version: 0.4
  classes:
  - name: wrap
    attributes: {width: 8}
    subcomponents:
    - {name: a, class: SRAM, attributes: {width: 64, depth: 512}}
    actions:
    - name: read
      subcomponents:
      - name: a
        actions: [{name: explode}]
"""
    # (Aladdin_table prices any action of its classes, as the reference stack does, so the
    # subcomponent is an SRAM too large for it)
    e = _run(tmp_path, ARCH.format(tech="45nm", cls="wrap", attrs="{}"), classes)
    assert "component 'top.buf' (subcomponent a): class 'SRAM' has no action 'explode'" \
        in e.message
    assert e.file.endswith("classes.yaml") and e.line == 7


def test_unknown_action_in_action_counts(tmp_path: Path) -> None:
    counts = tmp_path / "counts.yaml"
    counts.write_text("""action_counts:
  version: 0.4
  local:
  - name: top.buf
    action_counts:
    - {name: explode, counts: 10}
""")
    f = tmp_path / "arch.yaml"
    f.write_text(ARCH.format(tech="45nm", cls="SRAM", attrs="{width: 64, depth: 512}"))
    with pytest.raises(EstimationError) as ei:
        build_documents(load_inputs([str(f), str(counts)]))
    e = ei.value
    assert "component 'top.buf': no ERT energy for action 'explode'" in e.message
    assert e.file.endswith("counts.yaml") and e.line == 6


def test_must_specify(tmp_path: Path) -> None:
    classes = """compound_components:
  version: 0.4
  classes:
  - name: wrap
    attributes: {width: must_specify}
    subcomponents: []
    actions: [{name: read}]
"""
    e = _run(tmp_path, ARCH.format(tech="45nm", cls="wrap", attrs="{}"), classes)
    assert "'width' of class 'wrap' must be specified" in e.message


def test_required_action_missing(tmp_path: Path) -> None:
    arch = ARCH.format(tech="45nm", cls="wrap", attrs="{}") + "      required_actions: [leak]\n"
    classes = """compound_components:
  version: 0.4
  classes:
  - name: wrap
    attributes: {}
    subcomponents: []
    actions: [{name: read}]
"""
    e = _run(tmp_path, arch, classes)
    assert "no action 'leak'" in e.message


def test_cli_writes_nothing_on_error(tmp_path: Path, capsys) -> None:
    from loopnest.cli import main

    f = tmp_path / "arch.yaml"
    f.write_text(ARCH.format(tech="45nm", cls="flux_capacitor", attrs="{}"))
    out = tmp_path / "out"
    assert main(["energy", str(f), "-o", str(out)]) == 2
    assert not out.exists() or not list(out.iterdir())
    err = capsys.readouterr().err
    assert "arch.yaml:8" in err and "flux_capacitor" in err
