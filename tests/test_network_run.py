"""`loopnest network`: a whole network in one command.

A tiny network (three shapes, one used by two entries, one occurring twice) on the
repository's simple_pe_array with fixed ERT/ART tables and small candidate budgets,
so the whole file runs in well under a minute on two cores. Checks: totals against
the per-layer stats files summed by hand, the plots and their series, cache reuse,
an error row and exit status 1 for a layer the design refuses, `--set`, and the same
CSV for the same seed whatever the number of worker processes. Needs nothing outside
this repository.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from loopnest.cli import main
from loopnest.network.export import Entry, network_files
from loopnest.network.problems import conv, matmul

REPO = Path(__file__).resolve().parents[1]
ARCH = [str(REPO / "arch_library" / "simple_pe_array" / f) for f in ("arch.yaml", "tables.yaml")]
BUDGET = ["--evaluations-per-layer", "300"]
# the only columns allowed to differ between runs
TIMING = {"search_s", "setup_s", "time_s", "cached"}


def _write(folder: Path, entries: list[Entry]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in network_files("tiny", "test", entries).items():
        (folder / name).write_text(text)
    return folder / "network.yaml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """conv_a (x2), conv_b, and fc (count 3): three shapes, four entries."""
    a = conv(c=8, m=16, kernel=3, out=8)
    return _write(tmp_path_factory.mktemp("net") / "tiny", [
        Entry("conv_a", a, count=2),
        Entry("conv_b", conv(c=16, m=8, kernel=1, out=8)),
        Entry("conv_a_again", a),
        Entry("fc", matmul(n=4, c=32, m=16), count=3),
    ])


def _run(tmp: Path, *extra: str, net: Path, out: str = "out", cache: str | None = "cache") -> int:
    args = ["network", *ARCH, "--network", str(net), "-o", str(tmp / out), "-q", *BUDGET,
            *extra]
    args += ["--cache-dir", str(tmp / cache)] if cache else ["--no-cache"]
    return main(args)


def _yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text())


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def first_run(tiny: Path, tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("run")
    assert _run(tmp, "--jobs", "1", net=tiny) == 0
    return tmp, tiny


def test_totals_are_the_layer_stats_summed_with_counts(first_run) -> None:
    tmp, _ = first_run
    out = tmp / "out"
    summary = _yaml(out / "network.summary.yaml")
    assert summary["complete"] and summary["layers"] == 4 and summary["distinct_layers"] == 3
    assert summary["occurrences"] == 2 + 1 + 1 + 3
    counts = {"conv_a": 2, "conv_b": 1, "conv_a_again": 1, "fc": 3}
    rows = _csv(out / "network.csv")
    assert [r["layer"] for r in rows] == list(counts)
    energy = cycles = macs = 0.0
    for row in rows:
        folder = out / "layers" / Path(row["problem"]).stem
        best = _yaml(folder / "loopnest-mapper.summary.yaml")["best"]
        stats = (folder / "timeloop-mapper.stats.txt").read_text()
        stat_cycles = int(next(ln.split(":")[1] for ln in stats.splitlines()
                               if ln.startswith("Cycles:")))
        assert stat_cycles == best["cycles"] == int(row["cycles"])
        k = counts[row["layer"]]
        energy += k * best["energy_pJ"]
        cycles += k * best["cycles"]
        macs += k * int(row["macs"])
    t = summary["totals"]
    assert t["energy_pJ"] == pytest.approx(energy, rel=1e-8)
    assert t["cycles"] == cycles and t["macs"] == macs
    assert t["latency_s"] == pytest.approx(cycles * 1e-9, rel=1e-5)  # System: 1 ns cycle
    assert t["inferences_per_s"] == pytest.approx(1 / (cycles * 1e-9), rel=1e-5)
    assert t["tops_per_w"] == pytest.approx(2 * macs / energy, rel=1e-5)
    assert sum(t["energy_by_level_pJ"].values()) == pytest.approx(energy, rel=1e-6)
    assert sum(t["energy_by_dataspace_pJ"].values()) == pytest.approx(energy, rel=1e-6)
    # a per-level CSV column times the counts gives the summary's per-level figure
    dram = sum(counts[r["layer"]] * float(r["energy.DRAM_pJ"]) for r in rows)
    assert t["energy_by_level_pJ"]["DRAM"] == pytest.approx(dram, rel=1e-5)


def test_plots_exist_and_show_the_series(first_run) -> None:
    pytest.importorskip("matplotlib")
    from loopnest.network.plots import energy_per_layer_data, roofline_data, utilization_data
    from loopnest.network.results import LayerRecord, NetworkRow

    tmp, _ = first_run
    plots = tmp / "out" / "plots"
    names = ("energy_per_layer", "energy_breakdown", "utilization", "roofline")
    for stem in names:
        for fmt in ("png", "svg"):
            assert (plots / f"{stem}.{fmt}").stat().st_size > 1000, (stem, fmt)
    import matplotlib.image

    assert matplotlib.image.imread(plots / "energy_per_layer.png").ndim == 3
    svg = (plots / "energy_per_layer.svg").read_text()
    for text in ("DRAM", "GlobalBuffer", "RegisterFile", "conv_a x2", "fc x3", "conv_b"):
        assert text in svg, text
    breakdown = (plots / "energy_breakdown.svg").read_text()
    for text in ("Weights", "Inputs", "Outputs", "compute"):
        assert text in breakdown, text
    # the drawn numbers are the CSV's
    rows_csv = _csv(tmp / "out" / "network.csv")
    rows = [NetworkRow(r["layer"], int(r["count"]), None, r["problem"], LayerRecord(
        key=r["problem"], label=r["layer"], status="ok", macs=int(r["macs"]),
        energy_pj=float(r["energy_pJ"]), cycles=int(r["cycles"]),
        utilization=float(r["utilization"]), dram_words=1.0, dram_word_bits=8,
        peak_macs_per_cycle=8,
        energy_parts={lv: {"all": float(r[f"energy.{lv}_pJ"])}
                      for lv in ("MAC", "RegisterFile", "GlobalBuffer", "DRAM")}))
        for r in rows_csv]
    data = energy_per_layer_data(rows)
    assert data.unit == "pJ" or data.unit.endswith("J")
    scale = {"pJ": 1, "nJ": 1e3, "uJ": 1e6, "mJ": 1e9, "J": 1e12}[data.unit]
    for i, r in enumerate(rows):
        stacked = sum(v[i] for v in data.series.values()) * scale
        assert stacked == pytest.approx(r.count * r.record.energy_pj, rel=1e-4)
    assert utilization_data(rows).values == [r.record.utilization for r in rows]
    roof = roofline_data(rows)
    assert roof.peak == 8 and len(roof.labels) == 3  # one point per distinct shape


def test_cache_second_run_maps_nothing(first_run) -> None:
    tmp, tiny = first_run
    assert _run(tmp, "--jobs", "1", net=tiny, out="again") == 0
    run = _yaml(tmp / "again" / "network.summary.yaml")["run"]
    assert run["layers_mapped"] == 0 and run["layers_from_cache"] == 3
    first = _csv(tmp / "out" / "network.csv")
    again = _csv(tmp / "again" / "network.csv")
    assert [r["cached"] for r in again] == ["yes"] * 4
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in first]
    assert strip == [{k: v for k, v in r.items() if k not in TIMING} for r in again]
    # every layer folder is written again from the cache
    assert len(list((tmp / "again" / "layers").glob("*/timeloop-mapper.stats.txt"))) == 3
    # another budget is another key: mapped again
    assert _run(tmp, "--jobs", "1", "--seed", "1", net=tiny, out="seed1") == 0
    assert _yaml(tmp / "seed1" / "network.summary.yaml")["run"]["layers_mapped"] == 3


def test_same_seed_same_csv_whatever_the_jobs(first_run) -> None:
    tmp, tiny = first_run
    assert _run(tmp, "--jobs", "2", net=tiny, out="j2", cache=None) == 0
    a = [{k: v for k, v in r.items() if k not in TIMING} for r in _csv(tmp / "out" / "network.csv")]
    b = [{k: v for k, v in r.items() if k not in TIMING} for r in _csv(tmp / "j2" / "network.csv")]
    assert a == b
    for row in b:  # within one batch of proposals of the budget (and of the second's)
        assert 300 <= int(row["evaluated"]) < 300 + 64 * 4


def test_second_searches_improve_layers_and_are_cached_apart(tmp_path: Path) -> None:
    """Five convolutions, 200 candidates each: 150 for every layer's own search, 50
    for a second (pipeline.seed_tasks) from the others' mappings and stationary
    tilings, which does better on some. Such a row says so (and which sibling it
    started from, if one), counts both searches, its files show the new best, the
    summary counts it, and the cache keeps first and second results apart (a rerun
    maps nothing and writes the same CSV)."""
    net = _write(tmp_path / "five", [
        Entry("a", conv(c=16, m=32, kernel=1, out=14)), Entry("b", conv(c=32, m=64, kernel=1, out=7)),
        Entry("c", conv(c=64, m=128, kernel=1, out=7)), Entry("d", conv(c=32, m=32, kernel=3, out=14)),
        Entry("e", conv(c=64, m=64, kernel=3, out=7))])
    args = ["network", *ARCH, "--network", str(net), "-q", "--evaluations-per-layer", "200",
            "--cache-dir", str(tmp_path / "cache")]
    assert main(args + ["-o", str(tmp_path / "out"), "--jobs", "1"]) == 0
    rows = _csv(tmp_path / "out" / "network.csv")
    labels = {Path(r["problem"]).stem for r in rows}
    better = [r for r in rows if r["second_search"]]
    assert better, "no second search did better (the fixture needs another budget)"
    for r in better:
        what = r["second_search"]
        assert what == "better" or what.removeprefix("better from ") in \
            labels - {Path(r["problem"]).stem}
        assert int(r["evaluated"]) >= 200
        folder = tmp_path / "out" / "layers" / Path(r["problem"]).stem
        best = _yaml(folder / "loopnest-mapper.summary.yaml")["best"]
        assert best["cycles"] == int(r["cycles"])
        assert best["edp_J_cycle"] == pytest.approx(float(r["edp_J_cycle"]), rel=1e-5)
    for r in rows:
        assert 200 <= int(r["evaluated"]) < 200 + 64 * 4
    summary = _yaml(tmp_path / "out" / "network.summary.yaml")
    assert summary["run"]["layers_better_in_second_search"] == len(better)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2 * 5
    assert main(args + ["-o", str(tmp_path / "again"), "--jobs", "2"]) == 0
    again = _csv(tmp_path / "again" / "network.csv")
    assert all(r["cached"] == "yes" for r in again)
    strip = [{k: v for k, v in r.items() if k not in TIMING} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k not in TIMING} for r in again]


def test_a_network_layers_second_search_counts_both(tmp_path: Path) -> None:
    """task.seed_layer: a first record any sibling beats (cost 1e300) comes back from
    its second search, with both searches' candidates and files that show the new
    best; one nothing beats comes back as it was, but for the counts."""
    from loopnest.network.manifest import read_manifest
    from loopnest.network.prepare import distinct_shapes, load_design, make_tasks
    from loopnest.network.task import Budget, SeedTask, map_layer, seed_layer

    folder = tmp_path / "net"
    folder.mkdir()
    for name, text in network_files("two", "test", [
            Entry("a", conv(c=16, m=16, kernel=1, out=8)),
            Entry("b", conv(c=8, m=32, kernel=1, out=4))]).items():
        (folder / name).write_text(text)
    net = read_manifest(folder / "network.yaml")
    shapes, _ = distinct_shapes(net)
    tasks = make_tasks(load_design(ARCH, {}, []), shapes, Budget(evaluations=320), "accelergy2024")
    first = {t.label: map_layer(t) for t in tasks}
    assert all(r.ok and r.mapping and r.cost for r in first.values())
    a, b = sorted(first)
    task_b = next(t for t in tasks if t.label == b)
    poor = dataclasses.replace(first[b], cost=[1e300])
    rec = seed_layer(SeedTask(task_b, poor, ((a, first[a].mapping),), Budget(evaluations=96)))
    assert rec.second and rec.seeded_from == a and rec.key == poor.key
    assert poor.evaluated + 96 <= rec.evaluated < poor.evaluated + 96 + 2 * 64
    assert rec.budget == poor.budget
    summary = YAML(typ="safe").load(rec.files["loopnest-mapper.summary.yaml"])
    assert summary["best"]["energy_pJ"] == pytest.approx(rec.energy_pj, rel=1e-9)
    assert summary["best"]["cycles"] == rec.cycles
    # a first record nothing beats comes back as it was, counting both searches
    best = dataclasses.replace(first[b], cost=[0.0])
    same = seed_layer(SeedTask(task_b, best, ((a, first[a].mapping),), Budget(evaluations=96)))
    assert not same.second and same.files == best.files and same.cycles == best.cycles
    assert best.evaluated + 96 <= same.evaluated < best.evaluated + 96 + 2 * 64


def test_failing_layer_gives_an_error_row_and_exit_1(tiny: Path, tmp_path: Path, capsys) -> None:
    # a constraint naming R: the conv layers take it, the matmul (no R) cannot
    cons = tmp_path / "cons.yaml"
    cons.write_text("constraints:\n  version: 0.4\n  targets:\n"
                    "  - {target: GlobalBuffer, type: temporal, factors: [R=1]}\n")
    args = ["network", *ARCH, str(cons), "--network", str(tiny), "-o", str(tmp_path / "out"),
            "--no-cache", "--jobs", "1", *BUDGET]
    assert main(args) == 1
    rows = {r["layer"]: r for r in _csv(tmp_path / "out" / "network.csv")}
    assert rows["fc"]["status"] == "failed" and "R" in rows["fc"]["error"]
    assert rows["fc"]["macs"] == str(4 * 32 * 16)  # still known from the problem file
    assert rows["conv_a"]["status"] == "ok" and rows["conv_b"]["status"] == "ok"
    summary = _yaml(tmp_path / "out" / "network.summary.yaml")
    assert not summary["complete"] and list(summary["failed_layers"]) == ["fc"]
    assert (tmp_path / "out" / "layers" / rows["fc"]["problem"][:-5]
            / "loopnest-network.error.txt").is_file()
    assert "failed: " in capsys.readouterr().err


def test_set_overrides_the_files(tiny: Path, tmp_path: Path) -> None:
    # two files disagreeing on a key are refused; --set wins over both
    m1, m2 = tmp_path / "m1.yaml", tmp_path / "m2.yaml"
    m1.write_text("mapper:\n  version: 0.4\n  victory_condition: 10\n  search_size: 100\n")
    m2.write_text("mapper:\n  victory_condition: 20\n")  # "given twice" with m1
    base = ["network", *ARCH, str(m1), "--network", str(tiny), "-o", str(tmp_path / "out"),
            "--no-cache", "--jobs", "1", "-q", "--no-plots"]
    assert main(base + [str(m2)]) == 2
    assert main(base + ["--set", "mapper.search_size=250", "--set", "mapper.victory_condition=20",
                        "--set", "architecture.nodes.GlobalBuffer.attributes.depth=2048"]) == 0
    summary = _yaml(tmp_path / "out" / "network.summary.yaml")
    assert summary["run"]["budget_per_layer"]["evaluations"] == 250
    stats = next((tmp_path / "out" / "layers").glob("*/timeloop-mapper.stats.txt")).read_text()
    assert re.search(r"Size\s+: 16384\n", stats)  # 2048 x 64 bits / 8-bit words (was 32768)


def test_set_paths() -> None:
    from loopnest.errors import SpecError
    from loopnest.spec.located import LocDict, LocList
    from loopnest.spec.overrides import apply_sets, parse_set_args

    spec = LocDict({"mapper": LocDict({"timeout": 5}), "architecture": LocDict({"nodes": LocList([
        LocDict({"name": "DRAM", "attributes": LocDict({"width": 64})}),
        LocDict({"nodes": LocList([LocDict({"name": "buf", "attributes": LocDict()})])})])})})
    apply_sets(spec, parse_set_args(["mapper.timeout=7", "mapper.optimization_metrics=[energy]",
                                     "architecture.nodes.buf.attributes.depth=0x10",
                                     "architecture.nodes[0].attributes.width=128",
                                     "globals.version=0.4"]))
    assert spec["mapper"]["timeout"] == 7 and spec["mapper"]["optimization_metrics"] == ["energy"]
    assert spec["architecture"]["nodes"][1]["nodes"][0]["attributes"]["depth"] == 16
    assert spec["architecture"]["nodes"][0]["attributes"]["width"] == 128
    assert spec["globals"]["version"] == 0.4
    with pytest.raises(SpecError, match="did you mean 'DRAM'"):
        apply_sets(spec, parse_set_args(["architecture.nodes.DRAMM.attributes.width=1"]))
    with pytest.raises(SpecError, match="out of range"):
        apply_sets(spec, parse_set_args(["architecture.nodes[5].name=x"]))
    with pytest.raises(SpecError, match="KEY.PATH=VALUE"):
        parse_set_args(["mapper.timeout"])


def test_bad_inputs_are_located_errors(tiny: Path, tmp_path: Path, capsys) -> None:
    base = ["network", *ARCH, "--network", str(tiny), "-o", str(tmp_path), "--no-cache"]
    assert main(base + ["--jobs", "0"]) == 2
    assert main(["network", *ARCH, "--network", "resnet5", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--jobs must be positive" in err and "resnet50" in err and "Traceback" not in err


def test_interrupt_keeps_finished_layers(tmp_path: Path) -> None:
    """Ctrl-C while layers run: what finished is returned and cached, nothing else."""
    from concurrent.futures import Executor, Future

    from loopnest.network.cache import ResultCache
    from loopnest.network.results import LayerRecord
    from loopnest.network.runner import run_tasks
    from loopnest.network.task import LayerTask

    tasks = [LayerTask(key=f"k{i}", label=f"l{i}", spec_text="", problem_text="")
             for i in range(3)]
    done = {t.key: LayerRecord(key=t.key, label=t.label, status="ok", macs=1) for t in tasks}

    class Interrupting(Executor):
        def submit(self, fn, task):  # type: ignore[override]
            f: Future = Future()
            if task.key == "k1":
                f.set_exception(KeyboardInterrupt())
            else:
                f.set_result(done[task.key])
            return f

    cache = ResultCache(tmp_path / "cache")
    seen: list[str] = []
    out = run_tasks(tasks, cache, 2, lambda r: seen.append(r.key), executor=Interrupting())
    assert out.interrupted and "k1" not in out.records
    assert set(out.records) == set(seen) and out.mapped == len(seen)
    again = ResultCache(tmp_path / "cache")
    assert {t.key for t in tasks if again.get(t.key) is not None} == set(seen)


def test_without_matplotlib_the_plots_are_skipped_with_one_line(first_run, monkeypatch,
                                                                 capsys) -> None:
    import sys

    tmp, tiny = first_run
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    assert _run(tmp, "--jobs", "1", net=tiny, out="noplots") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert "plots skipped: matplotlib is not installed (pip install 'loopnest[plots]')" in err
    assert (tmp / "noplots" / "network.csv").is_file()
    assert not list((tmp / "noplots").glob("plots/*.png"))


@pytest.mark.parametrize("command", ["network", "sweep"])
def test_help_states_the_default_budget(command: str, capsys) -> None:
    # The help texts write the default per-layer budget out (the CLI does not import the
    # network pipeline to build its parsers): they must say what the pipeline uses.
    from loopnest.network.pipeline import DEFAULT_EVALUATIONS

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"else {DEFAULT_EVALUATIONS})" in text
    assert re.findall(r"else (\d+)\)", text) == [str(DEFAULT_EVALUATIONS)]
