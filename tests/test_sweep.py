"""`loopnest sweep`: design-space sweeps over a network, locally and on Dask.

A tiny Jinja2 design (the repository's simple_pe_array with the PE count and the
global buffer's depth and width as variables, fixed ERT/ART tables) on a tiny network
(three shapes, four entries), 200 candidates per layer, so the file runs in well under
a minute on two cores. Checks: --grid and sweep.yaml parsing (and their located
errors), a 2 x 2 sweep's rows against the per-point network totals and against
`loopnest network` on the same point, resume (nothing mapped twice), Ctrl-C and rerun,
an invalid and an impossible point, the Pareto front on hand-made points, the plots'
series, and a real Dask cluster (scheduler + 2 worker processes on 127.0.0.1, one
worker killed mid-run) giving the local CSV row for row. Needs nothing outside this
repository.
"""
from __future__ import annotations

import csv
import io
import shutil
import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.cli import main
from loopnest.errors import SpecError
from loopnest.network.export import Entry, network_files
from loopnest.network.problems import conv, matmul
from loopnest.sweep.spec import expand, parse_grid

REPO = Path(__file__).resolve().parents[1]
BUDGET = ["--evaluations-per-layer", "200"]
TIMING = {"time_s"}  # the only column allowed to differ between runs

TEMPLATE = """\
{%- set pe = pe | default(8) -%}
{%- set glb_depth = glb_depth | default(4096) -%}
{%- set glb_width = glb_width | default(64) -%}
architecture:
  version: 0.4
  nodes:
  - !Container
    name: System
    attributes: {technology: "45nm", global_cycle_seconds: 1e-9}
  - !Component
    name: DRAM
    class: DRAM
    attributes: {type: "LPDDR4", width: 64, datawidth: 8}
  - !Component
    name: GlobalBuffer
    class: SRAM
    attributes: {depth: {{ glb_depth }}, width: {{ glb_width }}, datawidth: 8,
                 read_bandwidth: 8, write_bandwidth: 8}
    constraints:
      dataspace: {keep: [Weights, Inputs, Outputs]}
  - !Container
    name: PE
    spatial: {meshX: {{ pe }}}
  - !Component
    name: RegisterFile
    class: regfile
    attributes: {depth: 64, width: 8, datawidth: 8}
  - !Component
    name: MAC
    class: intmac
    attributes: {width: 8}
"""


@pytest.fixture(scope="module")
def design(tmp_path_factory) -> dict:
    """The template, its tables and a three-shape network (conv_a x2, conv_b, fc x3)."""
    root = tmp_path_factory.mktemp("design")
    (root / "arch.yaml.jinja2").write_text(TEMPLATE)
    shutil.copy(REPO / "arch_library" / "simple_pe_array" / "tables.yaml", root / "tables.yaml")
    net = root / "tiny"
    net.mkdir()
    a = conv(c=8, m=16, kernel=3, out=8)
    for name, text in network_files("tiny", "test", [
            Entry("conv_a", a, count=2), Entry("conv_b", conv(c=16, m=8, kernel=1, out=8)),
            Entry("conv_a_again", a), Entry("fc", matmul(n=4, c=32, m=16), count=3)]).items():
        (net / name).write_text(text)
    return {"files": [str(root / "arch.yaml.jinja2"), str(root / "tables.yaml")],
            "net": str(net / "network.yaml"), "root": root}


GRID = ["--grid", "pe=4,8", "--grid", "glb_depth=64,4096"]


def _args(design: dict, out: Path, *extra: str, cache: Path | None = None) -> list[str]:
    args = ["sweep", *design["files"], "--network", design["net"], "-o", str(out), "-q",
            *BUDGET, *extra]
    return args + (["--cache-dir", str(cache)] if cache else ["--no-cache"])


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _strip(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def _yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def _spec(design: dict, *grid: str, **kw):
    from loopnest.sweep.spec import SweepSpec

    return SweepSpec(files=list(design["files"]), network=design["net"],
                     axes=[parse_grid(g) for g in grid], evaluations=200, **kw)


@pytest.fixture(scope="module")
def local_run(design, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    cache = out.parent / "cache"
    assert main(_args(design, out, *GRID, "--jobs", "1", cache=cache)) == 0
    return out


# ----------------------------------------------------------------------------- parsing

def test_grid_lists_ranges_and_zips() -> None:
    assert parse_grid("pe_rows=8,16,32").values == ((8,), (16,), (32,))
    assert parse_grid("glb_kib=64..256..64").values == ((64,), (128,), (192,), (256,))
    assert parse_grid("glb_kib=64..250..64").values == ((64,), (128,), (192,))  # 256 > stop
    assert parse_grid("n=1..3").values == ((1,), (2,), (3,))
    assert parse_grid("kib=32..512..*2").values == tuple((v,) for v in (32, 64, 128, 256, 512))
    assert parse_grid("v=0.1..0.3..0.1").values == ((0.1,), (0.2,), (0.3,))
    ax = parse_grid("dram=LPDDR4,HBM2")
    assert ax.values == (("LPDDR4",), ("HBM2",))
    assert parse_grid("flag=true,false").values == ((True,), (False,))
    z = parse_grid("pe_rows,pe_cols=8:8,16:32")
    assert z.names == ("pe_rows", "pe_cols") and z.values == ((8, 8), (16, 32))
    dotted = parse_grid("architecture.nodes.GlobalBuffer.attributes.depth=512,1024")
    assert dotted.names == ("architecture.nodes.GlobalBuffer.attributes.depth",)
    # the product, last axis fastest; a zipped group is one axis; fixed values in every point
    pts = expand([parse_grid("a=1,2"), parse_grid("b,c=1:x,2:y")], {"f": 7})
    assert [(p.variables["a"], p.variables["b"], p.variables["c"]) for p in pts] == [
        (1, 1, "x"), (1, 2, "y"), (2, 1, "x"), (2, 2, "y")]
    assert [p.index for p in pts] == [0, 1, 2, 3] and all(p.variables["f"] == 7 for p in pts)
    assert pts[1].label() == "a=1 b=2 c=y"


@pytest.mark.parametrize("item, message", [
    ("pe_rows", "is not NAME=VALUES"),
    ("pe_rows=8,,16", "an empty value"),
    ("pe_rows=", "no values given"),
    ("pe_rows=16..8", "is empty"),
    ("pe_rows=1..8..0", "step must be above 0"),
    ("pe_rows=1..8..*1", "factor above 1"),
    ("pe rows=1,2", "is not a variable name"),
    ("a,b=1:2,3", "does not give one value for each of a, b"),
])
def test_grid_errors_name_the_argument(item: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as e:
        parse_grid(item)
    assert e.value.file == f"--grid {item}" or "NAME=VALUES" in message


def test_a_name_or_value_given_twice_is_refused() -> None:
    with pytest.raises(SpecError, match="'a' is swept twice"):
        expand([parse_grid("a=1,2"), parse_grid("a,b=1:2")])
    with pytest.raises(SpecError, match="both swept and fixed"):
        expand([parse_grid("a=1,2")], {"a": 3})
    with pytest.raises(SpecError, match="the value 2 is given twice"):
        expand([parse_grid("a=1,2,2")])  # two points with one id: one would be lost


def test_sweep_file(tmp_path: Path) -> None:
    from loopnest.sweep.sweepfile import is_sweep_file, read_sweep_file

    (tmp_path / "arch.yaml.jinja2").write_text("architecture: {}\n")
    (tmp_path / "layers").mkdir()
    text = """\
sweep:
  design: arch.yaml.jinja2
  network: layers
  variables:
    glb_kib: {start: 64, stop: 256, step: 64}
    word_bits: [8, 16]
    kib: {start: 1, stop: 8, factor: 2}
  zip:
  - {pe_rows: [8, 16], pe_cols: [4, 8]}
  fixed: {technology: 45, dram_type: HBM2}
  set: {mapper.victory_condition: 50}
  mapper: {evaluations_per_layer: 300, seed: 3, optimization_metrics: [energy]}
  metrics: [energy_pJ, area_um2]
"""
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    assert is_sweep_file(str(path)) and not is_sweep_file(str(tmp_path / "arch.yaml.jinja2"))
    spec = read_sweep_file(str(path))
    assert spec.files == [str(tmp_path / "arch.yaml.jinja2")]
    assert spec.network == str(tmp_path / "layers")  # an existing path, relative to the file
    assert [ax.names for ax in spec.axes] == [("glb_kib",), ("word_bits",), ("kib",),
                                             ("pe_rows", "pe_cols")]
    assert spec.axes[0].values == ((64,), (128,), (192,), (256,))
    assert spec.axes[2].values == ((1,), (2,), (4,), (8,))
    assert spec.axes[3].values == ((8, 4), (16, 8))
    assert spec.fixed == {"technology": 45, "dram_type": "HBM2"}
    assert spec.sets == ["mapper.victory_condition=50", 'mapper.optimization_metrics=["energy"]']
    assert (spec.evaluations, spec.timeout, spec.seed) == (300, None, 3)
    assert spec.metrics == ("energy_pJ", "area_um2")
    assert len(spec.points()) == 4 * 2 * 4 * 2

    def error(old: str, new: str) -> SpecError:
        path.write_text(text.replace(old, new))
        with pytest.raises(SpecError) as e:
            read_sweep_file(str(path))
        assert e.value.file == str(path)
        return e.value

    e = error("  fixed:", "  fixd:")
    assert e.line == 10 and "unknown key 'fixd'" in e.message and "fixed" in e.hint
    e = error("{start: 64, stop: 256, step: 64}", "{start: 64, stop: 256, stepp: 64}")
    assert e.line == 5 and "unknown range key 'stepp'" in e.message
    e = error("pe_cols: [4, 8]", "pe_cols: [4, 8, 16]")
    assert e.line == 9 and "lists of one length" in e.message
    e = error("metrics: [energy_pJ, area_um2]", "metrics: [energy_pJ, aera_um2]")
    assert e.line == 13 and "unknown metric 'aera_um2'" in e.message and "area_um2" in e.hint
    e = error("word_bits: [8, 16]", "word_bits: 8")
    assert e.line == 6 and "fixed" in e.hint


def test_a_sweep_file_runs_like_the_command_line(design: dict, local_run: Path,
                                                 tmp_path: Path) -> None:
    root = design["root"]
    (root / "sweep.yaml").write_text("""\
sweep:
  design: [arch.yaml.jinja2, tables.yaml]
  network: tiny/network.yaml
  variables:
    glb_depth: [4096]
    pe: {start: 4, stop: 8, factor: 2}
  mapper: {evaluations_per_layer: 200, seed: 0}
""")
    out = tmp_path / "out"
    assert main(["sweep", str(root / "sweep.yaml"), "-o", str(out), "-q", "--no-plots",
                 "--cache-dir", str(local_run.parent / "cache")]) == 0
    rows = _csv(out / "sweep.csv")
    assert [(r["glb_depth"], r["pe"]) for r in rows] == [("4096", "4"), ("4096", "8")]
    # the same points as the command line's (points 1 and 3 there), the same figures
    local = {(r["glb_depth"], r["pe"]): r for r in _csv(local_run / "sweep.csv")}
    for r in rows:
        same = local[(r["glb_depth"], r["pe"])]
        assert (r["energy_pJ"], r["cycles"], r["area_um2"]) == \
            (same["energy_pJ"], same["cycles"], same["area_um2"])


# ----------------------------------------------------------------------------- pareto

def test_pareto_front_on_hand_made_points() -> None:
    from loopnest.sweep.pareto import front, pareto_rows

    def row(pid: str, e, t, a, status="ok"):
        return {"point_id": pid, "status": status, "energy_pJ": str(e), "latency_s": str(t),
                "area_um2": str(a), "utilization": "0.5"}

    rows = [
        row("a", 10, 5, 3),    # on the front: lowest latency among the cheap ones
        row("b", 12, 5, 3),    # dominated by a (more energy, same latency and area)
        row("c", 8, 9, 3),     # on the front: least energy
        row("d", 10, 5, 3),    # equal to a: neither dominates the other, both stay
        row("e", 20, 20, 1),   # on the front: smallest area, worst otherwise
        row("f", 9, 9, 3),     # dominated by c (more energy, same latency, same area)
        row("g", 1, 1, 1, status="failed"),  # would dominate all, but failed: left out
        row("h", 11, 4, 3),    # on the front: fastest
        {"point_id": "i", "status": "ok", "energy_pJ": "", "latency_s": "1", "area_um2": "1"},
    ]
    got = [r["point_id"] for r in pareto_rows(rows, ["energy_pJ", "latency_s", "area_um2"])]
    assert got == ["a", "c", "d", "e", "h"]
    # on energy and latency only, e (area 1) is dominated by everything
    got = [r["point_id"] for r in pareto_rows(rows, ["energy_pJ", "latency_s"])]
    assert got == ["a", "c", "d", "h"]
    assert front([[1, 2], [2, 1], [2, 2], [0, 3]]) == [0, 1, 3]
    # maximized metrics are negated: higher utilization wins
    rows2 = [dict(row("x", 10, 5, 3), utilization="0.9"), dict(row("y", 10, 5, 3),
                                                                 utilization="0.4")]
    assert [r["point_id"] for r in pareto_rows(rows2, ["energy_pJ", "utilization"])] == ["x"]


# ----------------------------------------------------------------------------- a local run

def test_rows_are_the_per_point_network_totals(design: dict, local_run: Path,
                                               tmp_path: Path) -> None:
    rows = _csv(local_run / "sweep.csv")
    assert [(r["point"], r["pe"], r["glb_depth"], r["status"]) for r in rows] == [
        ("0", "4", "64", "ok"), ("1", "4", "4096", "ok"), ("2", "8", "64", "ok"),
        ("3", "8", "4096", "ok")]
    counts = {"conv_a": 2, "conv_b": 1, "conv_a_again": 1, "fc": 3}
    for r in rows:
        folder = local_run / r["folder"]
        assert folder.name == f"pe={r['pe']},glb_depth={r['glb_depth']}"
        layers = _csv(folder / "network.csv")
        energy = sum(counts[x["layer"]] * float(x["energy_pJ"]) for x in layers)
        cycles = sum(counts[x["layer"]] * int(x["cycles"]) for x in layers)
        assert float(r["energy_pJ"]) == pytest.approx(energy, rel=1e-5)  # network.csv: 6 digits
        assert int(r["cycles"]) == cycles
        assert float(r["latency_s"]) == pytest.approx(cycles * 1e-9, rel=1e-9)  # 1 ns clock
        assert float(r["edp_J_cycle"]) == pytest.approx(energy * 1e-12 * cycles, rel=1e-5)
        levels = sum(float(r[f"energy.{lv}_pJ"]) for lv in
                     ("MAC", "RegisterFile", "GlobalBuffer", "DRAM"))
        assert levels == pytest.approx(float(r["energy_pJ"]), rel=1e-6)
        t = _yaml(folder / "network.summary.yaml")["totals"]
        assert t["energy_pJ"] == pytest.approx(float(r["energy_pJ"]), rel=1e-8)
        assert t["cycles"] == int(r["cycles"])
        assert t["area_um2"] == pytest.approx(float(r["area_um2"]), rel=1e-5)
        assert r["layers"] == "4" and r["failed_layers"] == "0"
    assert len({r["energy_pJ"] for r in rows}) == 4  # the variables reached the design
    # `loopnest network` on one point's variables: the same layers (from the sweep's
    # cache, so the same tasks) and the same totals
    out = tmp_path / "net"
    assert main(["network", *design["files"], "--network", design["net"], "-o", str(out), "-q",
                 *BUDGET, "--var", "pe=8", "--var", "glb_depth=64", "--jobs", "1",
                 "--no-plots", "--cache-dir", str(local_run.parent / "cache")]) == 0
    summary = _yaml(out / "network.summary.yaml")
    assert summary["run"]["layers_from_cache"] == 3 and summary["run"]["layers_mapped"] == 0
    assert summary["totals"]["energy_pJ"] == pytest.approx(float(rows[2]["energy_pJ"]), rel=1e-8)
    assert summary["totals"]["cycles"] == int(rows[2]["cycles"])


def test_rerun_skips_finished_points_and_extends(design: dict, local_run: Path,
                                                 tmp_path: Path) -> None:
    from loopnest.sweep.run import SweepRequest, run_sweep

    out = tmp_path / "out"
    shutil.copytree(local_run, out)
    spec = _spec(design, "pe=4,8", "glb_depth=64,4096")
    again = run_sweep(SweepRequest(spec, outdir=str(out), quiet=True, plots=False))
    assert (again.tasks, again.mapped, again.cached, again.resumed) == (0, 0, 0, 4)
    assert _strip(_csv(out / "sweep.csv")) == _strip(_csv(local_run / "sweep.csv"))
    # one more buffer depth: only its two points are mapped, rows stay in point order
    spec = _spec(design, "pe=4,8", "glb_depth=64,1024,4096")
    more = run_sweep(SweepRequest(spec, outdir=str(out), quiet=True, plots=False))
    assert (more.tasks, more.resumed) == (6, 4)
    rows = _csv(out / "sweep.csv")
    assert [(r["point"], r["pe"], r["glb_depth"]) for r in rows] == [
        ("0", "4", "64"), ("1", "4", "1024"), ("2", "4", "4096"), ("3", "8", "64"),
        ("4", "8", "1024"), ("5", "8", "4096")]
    old = {r["point_id"]: r for r in _strip(_csv(local_run / "sweep.csv"))}
    for r in _strip(rows):
        if r["point_id"] in old:
            assert {k: v for k, v in r.items() if k != "point"} == \
                {k: v for k, v in old[r["point_id"]].items() if k != "point"}
    # another budget is another sweep: its rows are not taken, the old ones set aside
    spec = _spec(design, "pe=4", "glb_depth=64")
    spec.evaluations = 150
    other = run_sweep(SweepRequest(spec, outdir=str(out), quiet=True, plots=False))
    assert (other.tasks, other.resumed, other.dropped) == (3, 0, 6)
    assert len(_csv(out / "sweep.previous.csv")) == 6 and len(_csv(out / "sweep.csv")) == 1


class _StopAfter(Executor):
    """Runs tasks in this process as they are submitted; the n-th is a Ctrl-C and
    the ones after it never start."""

    def __init__(self, n: int) -> None:
        self.n, self.submitted = n, 0

    def submit(self, fn, task):  # type: ignore[override]
        f: Future = Future()
        self.submitted += 1
        if self.submitted < self.n:
            f.set_result(fn(task))
        elif self.submitted == self.n:
            f.set_exception(KeyboardInterrupt())
        return f


def test_interrupt_then_rerun_maps_each_task_once(design: dict, local_run: Path,
                                                  tmp_path: Path, monkeypatch) -> None:
    from loopnest.network import cache as cache_module
    from loopnest.sweep.run import SweepRequest, run_sweep

    out, cache = tmp_path / "out", tmp_path / "cache"
    mapped: list[list[str]] = []  # per run, the layers it mapped (not read from the cache)

    class Counting(cache_module.ResultCache):
        def put(self, record) -> None:
            mapped[-1].append(record.key)
            super().put(record)

    monkeypatch.setattr(cache_module, "ResultCache", Counting)

    def sweep(executor):
        mapped.append([])
        return run_sweep(SweepRequest(_spec(design, "pe=4,8", "glb_depth=64,4096"),
                                      outdir=str(out), cache_dir=cache, quiet=True,
                                      plots=False, executor=executor))

    first = sweep(_StopAfter(7))  # Ctrl-C while the 7th submitted task runs
    assert first.interrupted and first.mapped <= len(mapped[0]) <= 6
    done = _csv(out / "sweep.csv")
    assert len(done) < 4 and all(r["status"] == "ok" for r in done)
    second = sweep(None)
    assert not second.interrupted and second.resumed == len(done)
    assert second.tasks == 12 - 3 * len(done)  # finished points make no tasks
    # no search run twice, none missing: 12 layers' first and second searches
    assert not set(mapped[0]) & set(mapped[1])
    assert len(mapped[0]) + len(mapped[1]) == 2 * 12
    assert _strip(_csv(out / "sweep.csv")) == _strip(_csv(local_run / "sweep.csv"))


def test_invalid_and_impossible_points_get_error_rows(design: dict, tmp_path: Path,
                                                      capsys) -> None:
    # glb_width 8 bits = 1 word per row: depth -1 is invalid, depth 1 holds 1 word where
    # the kept Weights, Inputs and Outputs tiles need 3; depth 4096 works
    out = tmp_path / "out"
    rc = main(_args(design, out, "--grid", "glb_depth=-1,1,4096", "--var", "glb_width=8",
                    "--jobs", "1", "--no-plots"))
    assert rc == 1
    rows = _csv(out / "sweep.csv")
    assert [r["status"] for r in rows] == ["failed", "failed", "ok"]
    assert "invalid design" in rows[0]["error"] and "must be > 0, got -1" in rows[0]["error"]
    assert "no valid mapping" in rows[1]["error"] and "exceeds GlobalBuffer" in rows[1]["error"]
    assert rows[0]["energy_pJ"] == rows[1]["energy_pJ"] == "" and float(rows[2]["energy_pJ"]) > 0
    assert [r["point_id"] for r in _csv(out / "pareto.csv")] == [rows[2]["point_id"]]
    err = capsys.readouterr().err
    assert "failed: glb_depth=-1:" in err and "Traceback" not in err
    # every point refused with the same message: the files are wrong, exit 2 at their line
    rc = main(_args(design, tmp_path / "bad", "--grid", "glb_depth=-1,-2", "--var",
                    "glb_depth=1"))
    assert rc == 2
    rc = main(_args(design, tmp_path / "bad", "--grid", "glb_width=8,16",
                    "--var", "glb_depth=0"))
    assert rc == 2
    err = capsys.readouterr().err
    assert "both swept and fixed" in err and "arch.yaml.jinja2:17" in err


def test_bad_options_are_one_line_errors(design: dict, tmp_path: Path, monkeypatch,
                                         capsys) -> None:
    import sys

    base = _args(design, tmp_path / "o", "--grid", "pe=4,8")
    monkeypatch.setenv("LOOPNEST_SCHEDULER", "nowhere")
    assert main(base) == 2  # the environment gives --scheduler's default
    monkeypatch.delenv("LOOPNEST_SCHEDULER")
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    assert main(base + ["--scheduler", "local:2"]) == 2
    assert main(["sweep", "--arch", "simple_ws", "--network", design["net"], "--grid",
                 "pe_rowz=8,16", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert any("--scheduler 'nowhere' is not a Dask scheduler address" in ln for ln in err)
    assert any("pip install 'loopnest[distributed]'" in ln for ln in err)
    assert any("simple_ws has no parameter 'pe_rowz'" in ln for ln in err)
    assert any("did you mean 'pe_rows'" in ln for ln in err)


# ----------------------------------------------------------------------------- plots

def test_plots_exist_and_show_the_points(local_run: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image
    import numpy as np

    from loopnest.sweep.plots import effect_data, pareto_data

    plots = local_run / "plots"
    for stem in ("pareto", "effects"):
        for fmt in ("png", "svg"):
            assert (plots / f"{stem}.{fmt}").stat().st_size > 1000, (stem, fmt)
        img = matplotlib.image.imread(plots / f"{stem}.png")
        assert img.ndim == 3 and float(np.std(img[..., :3])) > 0.01  # not blank
    rows = _csv(local_run / "sweep.csv")
    front = _csv(local_run / "pareto.csv")
    assert front and {r["point_id"] for r in front} <= {r["point_id"] for r in rows}
    d = pareto_data(rows, {r["point_id"] for r in front}, ["pe", "glb_depth"])
    assert d.energy_pj == [float(r["energy_pJ"]) for r in rows]
    assert d.latency_s == [float(r["latency_s"]) for r in rows]
    assert sum(d.on_front) == len(front) and d.labels[0] == "pe=4 glb_depth=64"
    pe, depth = effect_data(rows, [("pe",), ("glb_depth",)])
    assert pe.values == ["4", "8"] and depth.values == ["64", "4096"]
    assert pe.x == [0, 0, 1, 1] and depth.x == [0, 1, 0, 1]
    e = [float(r["energy_pJ"]) for r in rows]
    assert pe.best("energy_pj") == [min(e[0], e[1]), min(e[2], e[3])]
    assert depth.best("energy_pj") == [min(e[0], e[2]), min(e[1], e[3])]
    svg = (plots / "effects.svg").read_text()
    for text in ("pe", "glb_depth", "64", "4096", "energy", "latency"):
        assert text in svg, text
    assert f"Pareto front ({len(front)})" in (plots / "pareto.svg").read_text()


# ----------------------------------------------------------------------------- Dask

def test_dask_cluster_gives_the_local_rows_even_when_a_worker_dies(design: dict,
                                                                   local_run: Path,
                                                                   tmp_path: Path) -> None:
    """A real scheduler and two worker processes on 127.0.0.1; one worker is killed
    while it runs a task; every row still comes, equal to the local run's."""
    distributed = pytest.importorskip("distributed")
    import os
    import signal

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    watcher = distributed.Client(cluster)
    killed: list[str] = []

    def kill_one_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [w for w, keys in watcher.processing().items() if keys]
            if busy:
                pids = watcher.run(os.getpid, workers=busy[:1])
                for w, pid in pids.items():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(w)
                return
            time.sleep(0.02)

    out = tmp_path / "dask"
    try:
        # the first task on a fresh worker imports loopnest (seconds): time to kill it
        t = threading.Thread(target=kill_one_busy_worker, daemon=True)
        t.start()
        rc = main(_args(design, out, *GRID, "--scheduler", cluster.scheduler_address,
                        "--no-plots"))
        t.join(timeout=5)
    finally:
        watcher.close()
        cluster.close()
    assert killed, "no worker was busy: the kill did not happen mid-run"
    assert rc == 0
    assert _strip(_csv(out / "sweep.csv")) == _strip(_csv(local_run / "sweep.csv"))


def test_dask_workers_stop_their_profiler_when_a_sweep_opens() -> None:
    """The sweep stops each worker's 10 ms stack sampler (it competes for the GIL with
    the layer tasks); a real one-worker cluster on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    from loopnest.sweep.executors import open_executor

    def profiling(dask_worker=None) -> bool:
        return dask_worker.periodic_callbacks["profile"].is_running()

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    watcher = distributed.Client(cluster)
    try:
        assert list(watcher.run(profiling).values()) == [True]
        with open_executor(cluster.scheduler_address, 1) as (executor, where):
            assert "1 worker" in where
            deadline = time.monotonic() + 60
            while any(watcher.run(profiling).values()) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert list(watcher.run(profiling).values()) == [False]
    finally:
        watcher.close()
        cluster.close()
