"""Tutorial exercises 00-04 from their original v0.4 files + reference ERT/ART (needs ../shared)."""
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TL = SHARED / "corpus/exercises/01_accelergy_timeloop_2020_ispass/timeloop"
pytestmark = pytest.mark.skipif(not TL.is_dir(), reason="../shared corpus not present")

CASES = [
    ("00-model-conv1d-1level", "ref-output", "conv1d-1level.map.yaml"),
    ("01-model-conv1d-2level", "ref-output/os", "conv1d-2level-os.map.yaml"),
    ("01-model-conv1d-2level", "ref-output/ws", "conv1d-2level-ws.map.yaml"),
    ("02-model-conv1d+oc-2level", "ref-output/no-tiling", "conv1d+oc-2level-os.map.yaml"),
    ("02-model-conv1d+oc-2level", "ref-output/tiling", "conv1d+oc-2level-os-tiled.map.yaml"),
    ("03-model-conv1d+oc-3level", "ref-output/no-bypass", "conv1d+oc-3level.map.yaml"),
    ("03-model-conv1d+oc-3level", "ref-output/bypass", "conv1d+oc-3level-bypass.map.yaml"),
]


def _diff(ref: Path, got: Path) -> list[str]:
    sys.path.insert(0, str(SHARED / "tools"))
    import tlstats

    bad, total = tlstats.diff(tlstats.parse(ref.read_text()), tlstats.parse(got.read_text()))
    assert total > 100
    return bad


def _run(files: list[Path], out: Path) -> None:
    from loopnest.cli import main

    assert main(["model", *map(str, files), "-o", str(out), "-q"]) == 0


@pytest.mark.parametrize("ex,ref,mapping", CASES)
def test_exercise_from_original_files(tmp_path, ex, ref, mapping):
    d = TL / ex
    r = d / ref
    files = [*sorted((d / "arch").glob("*.yaml")), *sorted((d / "prob").glob("*.yaml")),
             d / "map" / mapping, r / "timeloop-model.ERT.yaml", r / "timeloop-model.ART.yaml"]
    _run(files, tmp_path)
    assert _diff(r / "timeloop-model.stats.txt", tmp_path / "timeloop-model.stats.txt") == []


def test_exercise_04_with_reference_topology(tmp_path):
    # The 04 reference was generated with the 16-way PE fan-out above GlobalBuffer;
    # reproduce that topology by moving the PE container up, then compare.
    d = TL / "04-model-conv1d+oc-3levelspatial"
    r = d / "ref-output/kp"
    arch = (d / "arch/3levelspatial.arch.yaml").read_text()
    pe = "  - !Container\n    name: PE\n    spatial: {meshX: 16}\n\n"
    assert pe in arch
    arch = arch.replace(pe, "").replace("  - !Component\n    name: GlobalBuffer",
                                        pe + "  - !Component\n    name: GlobalBuffer")
    (tmp_path / "arch.yaml").write_text(arch)
    files = [tmp_path / "arch.yaml", *sorted((d / "prob").glob("*.yaml")),
             d / "map/conv1d+oc+ic-3levelspatial-kp-ws.map.yaml",
             r / "timeloop-model.ERT.yaml", r / "timeloop-model.ART.yaml"]
    out = tmp_path / "out"
    _run(files, out)
    assert _diff(r / "timeloop-model.stats.txt", out / "timeloop-model.stats.txt") == []


def test_conformance_replay_all_cases():
    """Every reference case replays field for field (the CI gate, as a test)."""
    p = subprocess.run([sys.executable, str(SHARED / "tools/conformance.py"), str(SHARED / "corpus")],
                       capture_output=True, text=True, timeout=900)
    last = p.stdout.strip().splitlines()[-1]
    assert p.returncode == 0, p.stdout[-2000:]
    assert last.startswith("conformance: ") and "cases match" in last


def test_mapper_reference_mapping_over_original_v04_files(tmp_path):
    """A timeloop-mapper map.yaml given with the design's own constraints: the mapping
    re-states what the constraints pin, and wins over them."""
    d = SHARED / "corpus/exercises/example_designs"
    r = d / "eyeriss_like/ref_outputs/default_problem"
    from loopnest.cli import main

    assert main(["model", str(d / "top.yaml.jinja2"), "--var", "architecture=eyeriss_like",
                 str(r / "timeloop-mapper.map.yaml"), str(r / "timeloop-mapper.ERT.yaml"),
                 str(r / "timeloop-mapper.ART.yaml"), "-o", str(tmp_path), "-q"]) == 0
    assert _diff(r / "timeloop-mapper.stats.txt", tmp_path / "timeloop-model.stats.txt") == []
