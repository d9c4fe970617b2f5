"""A whole network on one design: prepare the tasks, run them, write the outputs.

    run_network(NetworkRequest(files, network="resnet50", outdir="out")) -> NetworkRun

What `loopnest network` does, minus argument parsing and printing. Two passes over the
distinct layers, each budget split between them (`task.split_budget`): every layer's
search, then a second, shorter one from starts the first does not try: the other
layers' best mappings refitted to it, and stationary tilings (`seed_tasks`). Layer
folders are written as each layer finishes (again when its second search improves
it); the CSV, summary and plots at the end (also after Ctrl-C, for the layers that
finished).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopnest.network.cache import ResultCache
from loopnest.network.prepare import (DesignInput, Shape, check_shapes, distinct_shapes,
                                      load_design, make_tasks, shape_key)
from loopnest.network.results import LayerRecord, NetworkRow, Totals, totals
from loopnest.network.task import Budget, failed_record, LayerTask, SeedTask, split_budget

NOT_RUN = "not run"
DEFAULT_EVALUATIONS = 65000  # candidates per layer when no budget is given (reproducible;
# ResNet-50 on eyeriss_like in ~4 min on 2 cores, see docs/networks.md)


@dataclass
class NetworkRequest:
    """The inputs of one run (plain values)."""

    files: list[str]
    network: str
    outdir: str = "."
    variables: dict[str, Any] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)
    jobs: int = 1
    evaluations: int | None = None  # per layer; None = from the files or the default
    timeout: float | None = None  # seconds of search per layer
    seed: int = 0
    cache_dir: Path | None = None  # None = no cache
    energy_models: str = "accelergy2024"
    plots: bool = True
    quiet: bool = False
    strict: bool = False  # front-end warnings are errors


@dataclass
class NetworkRun:
    """What happened."""

    name: str
    rows: list[NetworkRow]
    totals: Totals
    budget: Budget
    mapped: int
    cached: int
    interrupted: bool
    wall_s: float
    dropped: list[str]
    second: int = 0  # distinct layers whose second search did better
    plots: list[Path] = field(default_factory=list)
    plot_note: str = ""

    @property
    def failed(self) -> list[NetworkRow]:
        """Rows whose layer could not be mapped (not those an interruption left out)."""
        return [r for r in self.rows if r.record.status == "failed"]

    @property
    def not_run(self) -> list[NetworkRow]:
        return [r for r in self.rows if r.record.status == NOT_RUN]

    @property
    def warnings(self) -> list[str]:
        seen, out = set(), []
        for r in self.rows:
            if r.record.key not in seen:
                seen.add(r.record.key)
                out += [f"{r.record.label}: {w}" for w in r.record.warnings]
        return out


def budget_for(req: NetworkRequest, design: DesignInput) -> Budget:
    """Command line first; else `mapper.search_size` from the files; else the default.
    `mapper.timeout` and `num_threads` in the files are not used (see docs/networks.md)."""
    if req.timeout is not None and req.timeout > 0:
        return Budget(evaluations=0, timeout=float(req.timeout), seed=req.seed)
    if req.evaluations is not None and req.evaluations > 0:
        return Budget(evaluations=int(req.evaluations), seed=req.seed)
    size = _search_size(design.spec)
    return Budget(evaluations=size or DEFAULT_EVALUATIONS, seed=req.seed)


def _search_size(spec: Any) -> int:
    from loopnest.spec.evaluate import evaluate_spec
    from loopnest.spec.located import LocDict

    mapper = spec.get("mapper") if isinstance(spec, dict) else None
    if not isinstance(mapper, dict) or "search_size" not in mapper:
        return 0
    probe = LocDict({"mapper": LocDict(mapper)})
    try:
        evaluate_spec(probe)
        return max(0, int(probe["mapper"]["search_size"] or 0))
    except Exception:  # noqa: BLE001 - the front end reports a bad value with its location
        return 0


def find_network(spec: str):
    """`resolve_network`, plus: a single problem file is a one-layer network, and a
    loopnest output folder named like a bundled network (`-o resnet50`, then run again
    from the same place) is not read as a folder of problem files."""
    from loopnest.network.manifest import MANIFEST_NAME, read_manifest
    from loopnest.network.types import Layer, Network
    from loopnest.network.workloads import bundled_names, bundled_root, resolve_network

    path = Path(spec)
    if path.is_dir() and not (path / MANIFEST_NAME).is_file() \
            and (path / "network.summary.yaml").is_file() and spec in bundled_names():
        return read_manifest(bundled_root() / spec / MANIFEST_NAME)
    if path.is_file() and _is_problem_file(path):
        path = path.resolve()
        return Network(name=path.stem, layers=(Layer(name=path.stem, problem=path),),
                       description=f"the layer in {path}", root=path.parent)
    return resolve_network(spec)


def _is_problem_file(path: Path) -> bool:
    """A YAML file with a top-level `problem:` key (not a manifest)."""
    import re

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"^problem\s*:", text, re.M)) \
        and not re.search(r"^layers\s*:", text, re.M)


def _row_record(rec: LayerRecord, shape: Shape) -> LayerRecord:
    """Fill what the front end knows into a record that lacks it (failed layers)."""
    if not rec.bounds and shape.bounds:
        rec.bounds, rec.macs, rec.shape = dict(shape.bounds), shape.macs, shape.shape
    return rec


def _failed_shape(shape: Shape, key: str, budget: Budget) -> LayerRecord:
    """A layer the front end refused on this design; MACs and dimensions from the
    problem file alone when it lowers."""
    from loopnest.network.stats import load_workload

    task = LayerTask(key=key, label=shape.label, spec_text="", problem_text="", budget=budget)
    rec = failed_record(task, shape.error)
    try:
        wl = load_workload(shape.problem_file)
        rec.bounds, rec.macs, rec.shape = wl.bound_map, wl.macs, wl.name
    except Exception:  # noqa: BLE001 - the error row already says what is wrong
        pass
    return rec


def seed_tasks(tasks: list[LayerTask], records: dict[str, LayerRecord],
               budget: Budget) -> list[SeedTask]:
    """A second search for every mapped layer, with the `budget` share, from the
    other layers' best mappings and stationary tilings (docs/networks.md, "Second
    searches"), in task order."""
    from loopnest.network.cache import seeded_key

    done = [t for t in tasks if (r := records.get(t.key)) is not None and r.ok and r.mapping]
    sources = sorted({records[t.key].label: records[t.key].mapping for t in done}.items())
    out = []
    for t in done:
        mine = tuple(s for s in sources if s[0] != t.label)
        out.append(SeedTask(t, records[t.key], mine, budget,
                            seeded_key(t.key, {"budget": budget.as_dict(), "sources": mine})))
    return out


def run_network(req: NetworkRequest, on_start: Any = None) -> NetworkRun:
    """Map every distinct layer of `req.network` once and write the outputs."""
    from loopnest.network.csvout import network_csv
    from loopnest.network.outputs import write_layer, write_text
    from loopnest.network.progress import Progress
    from loopnest.network.runner import run_tasks
    from loopnest.network.summary import summary_yaml

    t0 = time.monotonic()
    net = find_network(req.network)
    design = load_design(req.files, req.variables, req.sets)
    budget = budget_for(req, design)
    shapes, of_layer = distinct_shapes(net)
    front_warnings = check_shapes(design, shapes, req.energy_models, req.strict)
    first, second = split_budget(budget)
    tasks = make_tasks(design, shapes, first, req.energy_models)
    keys = {s.label: shape_key(design, s, first, req.energy_models) for s in shapes}
    occ: dict[str, int] = {}
    for layer in net.layers:
        k = keys[of_layer[layer.name].label]
        occ[k] = occ.get(k, 0) + layer.count
    if on_start is not None:
        on_start(net, shapes, tasks, budget, design, front_warnings)
    progress = Progress(len(shapes), occ, quiet=req.quiet, desc=net.name)
    records: dict[str, LayerRecord] = {}
    for s in shapes:
        if s.error:
            rec = _failed_shape(s, keys[s.label], budget)
            records[rec.key] = rec
            write_layer(req.outdir, rec)
            progress.update(rec)

    bars = [progress]
    firsts: dict[str, LayerRecord] = {}

    def done(rec: LayerRecord) -> None:
        write_layer(req.outdir, rec)
        progress.update(rec)
        firsts[rec.key] = rec

    def follow(rec: LayerRecord) -> list[SeedTask]:
        """Every layer's second search, once the last first one has finished."""
        if len(firsts) < len(tasks):
            return []
        seeds = seed_tasks(tasks, firsts, second)
        progress.close()
        bars.append(Progress(len(seeds), occ, quiet=req.quiet,
                             desc=f"{net.name}, second searches"))
        return seeds

    def on_second(st: SeedTask, rec: LayerRecord) -> None:
        records[rec.key] = rec
        bars[-1].update(rec)
        if rec.second:  # else the first result, written already, stands
            write_layer(req.outdir, rec)

    cache = ResultCache(req.cache_dir)
    try:
        outcome = run_tasks(tasks, cache, req.jobs, done, follow=follow, on_second=on_second)
    finally:
        for bar in bars:
            bar.close()
    for key, rec in outcome.records.items():
        records.setdefault(key, rec)
    rows = []
    for layer in net.layers:
        shape = of_layer[layer.name]
        rec = records.get(keys[shape.label])
        if rec is None:  # interrupted before it ran
            rec = failed_record(LayerTask(key=keys[shape.label], label=shape.label,
                                          spec_text="", problem_text="", budget=budget),
                                "not run (interrupted)")
            rec.status = NOT_RUN
        rows.append(NetworkRow(layer.name, layer.count, layer.group, layer.problem.name,
                               _row_record(rec, shape)))
    write_text(req.outdir, "network.csv", network_csv(rows))
    run = NetworkRun(net.name, rows, totals(rows), budget, outcome.mapped, outcome.cached,
                     outcome.interrupted, 0.0, design.dropped,
                     sum(1 for r in records.values() if r.ok and r.second))
    if req.plots:
        from loopnest.network.plots import PlotsUnavailable, write_plots

        try:
            run.plots = write_plots(rows, Path(req.outdir) / "plots", net.name)
        except PlotsUnavailable as e:
            run.plot_note = str(e)
    run.wall_s = time.monotonic() - t0
    run_info = {
        "design_files": [str(f) for f in req.files],
        "variables": dict(req.variables),
        "sets": list(req.sets),
        "budget_per_layer": budget.as_dict(),
        "jobs": req.jobs,
        "energy_models": req.energy_models,
        "layers_mapped": outcome.mapped,
        "layers_from_cache": outcome.cached,
        "layers_better_in_second_search": run.second,
        "cache_dir": str(req.cache_dir) if req.cache_dir else None,
        "interrupted": outcome.interrupted,
        "wall_s": round(run.wall_s, 3),
    }
    write_text(req.outdir, "network.summary.yaml", summary_yaml(net.name, rows, run_info))
    return run
