"""`loopnest validate` / `loopnest render` from the command line, and the corpus acceptance."""
from __future__ import annotations

import glob
import subprocess
import sys
from pathlib import Path

import pytest

from loopnest.cli import main

FIX = Path(__file__).parent / "fixtures" / "spec"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared absent")


def _v4(*names: str) -> list[str]:
    return [str(FIX / "v4" / n) for n in names]


def test_validate_ok_and_show_ir(capsys) -> None:
    assert main(["validate", *_v4("arch.yaml", "problem.yaml", "mapping.yaml")]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["validate", *_v4("arch.yaml", "problem.yaml", "mapping.yaml"), "--show-ir"]) == 0
    out = capsys.readouterr().out
    assert "inter_PE_spatial" in out and "K=8" in out and "RF" in out


def test_validate_jinja_with_var(capsys) -> None:
    top = str(FIX / "jinja" / "top.yaml.jinja2")
    assert main(["validate", top, "--var", "glb_depth=512", "--show-ir"]) == 0
    assert "4096 words" in capsys.readouterr().out  # 512 rows x 64 bits / 8-bit words


def test_render_prints_yaml(capsys) -> None:
    top = str(FIX / "jinja" / "top.yaml.jinja2")
    assert main(["render", top, "--var", "word=16"]) == 0
    out = capsys.readouterr().out
    assert "!Container" in out and "datawidth: 16" in out and "algorithm: exhaustive" in out


def test_error_exit_code_subprocess(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "loopnest", "validate", str(tmp_path / "no.yaml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr


def test_included_directory_is_named_with_a_hint(tmp_path: Path, capsys) -> None:
    (tmp_path / "shapes").mkdir()
    top = tmp_path / "top.yaml.jinja2"
    top.write_text("problem: {{include('shapes', 'problem')}}\n")
    assert main(["validate", str(top)]) == 2
    err = capsys.readouterr().err
    assert f"{top}:1" in err and "shapes is a directory, not a YAML file" in err
    assert "hint: name one file inside it" in err


# ---------------------------- acceptance on ../shared ----------------------------------
def _ok(args: list[str], capsys) -> None:
    rc = main(["validate", *args])
    out, err = capsys.readouterr()
    assert rc == 0, err


# the dense corpus and the residual-factor cases (`P=20,17`)
PPI = [str(p) for root in (CORPUS, SHARED / "imperfect") if root.exists()
       for p in sorted(root.rglob("parsed-processed-input.yaml"))]


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("path", PPI, ids=[Path(p).parent.name for p in PPI])
def test_corpus_native_inputs(path: str, capsys) -> None:
    _ok([path], capsys)


TL = "exercises/01_accelergy_timeloop_2020_ispass/timeloop/"
TUTORIAL = {
    "00": ["00*/arch/*.yaml", "00*/prob/*.yaml", "00*/map/*.yaml"],
    "01-ws": ["01*/arch/*.yaml", "01*/prob/*.yaml", "01*/map/*ws*.yaml"],
    "01-os": ["01*/arch/*.yaml", "01*/prob/*.yaml", "01*/map/*os*.yaml"],
    "02-os": ["02*/arch/*.yaml", "02*/prob/*.yaml", "02*/map/*os.map.yaml"],
    "02-tiled": ["02*/arch/*.yaml", "02*/prob/*.yaml", "02*/map/*tiled*.yaml"],
    "03": ["03*/arch/*.yaml", "03*/prob/*.yaml", "03*/map/*3level.map.yaml"],
    "03-bypass": ["03*/arch/*.yaml", "03*/prob/*.yaml", "03*/map/*bypass*.yaml"],
    "04-kp": ["04*/arch/*.yaml", "04*/prob/*.yaml", "04*/map/*kp*.yaml"],
    "04-cp": ["04*/arch/*.yaml", "04*/prob/*.yaml", "04*/map/*cp*.yaml"],
    "05-null": ["05*/arch/*.yaml", "05*/prob/*.yaml", "05*/constraints/null*.yaml",
                "05*/mapper/*.yaml"],
    "05-free": ["05*/arch/*.yaml", "05*/prob/*.yaml", "05*/constraints/*freebypass*.yaml",
                "05*/mapper/*.yaml"],
    "05-1mapping": ["05*/arch/*.yaml", "05*/prob/*.yaml", "05*/constraints/*1mapping*.yaml",
                    "05*/mapper/*.yaml"],
    "06": ["06*/arch/*.yaml", "06*/arch/components/*.yaml", "06*/prob/*.yaml",
           "06*/mapper/*.yaml"],
}


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("case", sorted(TUTORIAL))
def test_tutorial_exercises(case: str, capsys) -> None:
    files = [f for p in TUTORIAL[case] for f in sorted(glob.glob(str(CORPUS / TL / p)))]
    assert files
    _ok(files, capsys)


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("mac,iw,ps", [("intmac", 8, 16), ("fpmac", 32, 32)])
def test_timeloop_accelergy_jinja(mac: str, iw: int, ps: int, capsys) -> None:
    base = CORPUS / "exercises/01_accelergy_timeloop_2020_ispass/timeloop+accelergy"
    _ok([str(base / "arch/arch.yaml"), str(base / "arch/components/*.yaml"),
         str(base / "prob/*.yaml"), str(base / "mapper/*.yaml"),
         "--var", f"mac_class={mac}", "--var", f"input_weight_datawidth={iw}",
         "--var", f"psum_datawidth={ps}"], capsys)


@needs_shared
@pytest.mark.shared
def test_2024_tutorial_top(capsys) -> None:
    _ok([str(CORPUS / "exercises/02_interface_and_design_space_exploration_2024/top.yaml.jinja")],
        capsys)


DESIGNS = sorted(
    str(Path(p).parent.relative_to(CORPUS / "exercises/example_designs"))
    for p in glob.glob(str(CORPUS / "exercises/example_designs/**/arch.yaml"), recursive=True)
) if CORPUS.exists() else []


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("design", DESIGNS)
def test_example_designs(design: str, capsys) -> None:
    _ok([str(CORPUS / "exercises/example_designs/top.yaml.jinja2"),
         "--var", f"architecture={design}"], capsys)


ACC = "exercises/01_accelergy_timeloop_2020_ispass/accelergy/"
ACCELERGY = sorted(glob.glob(str(CORPUS / ACC / "*/input"))) if CORPUS.exists() else []


@needs_shared
@pytest.mark.shared
@pytest.mark.parametrize("inp", ACCELERGY, ids=[Path(p).parent.name for p in ACCELERGY])
def test_accelergy_inputs(inp: str, capsys) -> None:
    files = sorted(glob.glob(inp + "/*.yaml")) + sorted(glob.glob(inp + "/components/*.yaml"))
    _ok(files, capsys)
