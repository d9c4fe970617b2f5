"""A whole sweep: render every point, map all (point, layer) tasks as one list, write.

    run_sweep(SweepRequest(spec, outdir="out", jobs=8)) -> SweepRun

1. The layers (a network, or problem files) and their distinct shapes, once.
2. Every point not already in DIR/sweep.csv is rendered and checked (points.py); an
   invalid design gets its error row at once.
3. One task list over all points (point order, largest layer first within a point;
   tasks with the same cache key, e.g. points whose variables render the same design,
   run once) goes to `loopnest.network.runner.run_tasks` on the local pool or a Dask
   cluster (executors.py), with the layer cache in front.
4. A point's row is appended to sweep.csv the moment its last layer finishes, with
   its `points/<folder>/network.csv` and `network.summary.yaml`.
5. At the end (also after Ctrl-C): sweep.csv rewritten in point order, pareto.csv, plots.
"""
from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from loopnest.errors import SpecError
from loopnest.network.results import LayerRecord
from loopnest.network.task import LayerTask, SeedTask, split_budget
from loopnest.network.types import Layer, Network
from loopnest.sweep.csvout import NAME, Row, SweepSheet, csv_text, header, read_rows, result_row
from loopnest.sweep.points import RenderedPoint, point_id, render_point, sweep_context
from loopnest.sweep.results import PointResult, invalid_result, point_result
from loopnest.sweep.spec import SweepSpec

PARETO = "pareto.csv"
PREVIOUS = "sweep.previous.csv"
POINTS = "points"


@dataclass
class SweepRequest:
    """The inputs of one sweep run (plain values)."""

    spec: SweepSpec
    outdir: str = "."
    jobs: int = 1
    scheduler: str | None = None  # tcp://HOST:PORT or local:N; None = local processes
    cache_dir: Path | None = None  # None = no layer cache
    energy_models: str = "accelergy2024"
    plots: bool = True
    quiet: bool = False
    strict: bool = False
    retry_failed: bool = False  # map points whose row says failed again
    point_files: bool = True  # points/<folder>/network.csv and network.summary.yaml
    executor: Executor | None = None  # any concurrent.futures executor (tests, notebooks)


@dataclass
class SweepRun:
    """What happened."""

    rows: list[Row]  # sweep.csv, in point order
    pareto: list[Row]
    points: int
    resumed: int  # points kept from an earlier run
    tasks: int
    mapped: int
    cached: int
    interrupted: bool
    wall_s: float
    where: str = ""
    dropped: int = 0  # rows of an earlier, different sweep moved to sweep.previous.csv
    plots: list[Path] = field(default_factory=list)
    plot_note: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r["status"] != "ok"]

    @property
    def not_run(self) -> int:
        return self.points - len(self.rows)

    def best(self, metric: str = "edp_J_cycle") -> Row | None:
        ok = [r for r in self.rows if r["status"] == "ok" and r.get(metric)]
        return min(ok, key=lambda r: float(r[metric])) if ok else None


def layers_of(spec: SweepSpec) -> Network:
    """The sweep's layers: problem files (one layer each) or a network."""
    from loopnest.network.pipeline import find_network

    if spec.problems:
        files = [Path(f).resolve() for f in spec.problems]
        for f in files:
            if not f.is_file():
                raise SpecError("no such problem file", file=str(f))
        return Network(name="layers", root=files[0].parent, layers=tuple(
            Layer(name=f.stem, problem=f) for f in dict.fromkeys(files)))
    if not spec.network:
        raise SpecError("no layers to map", hint="give --network NET (a bundled network, a "
                        "network.yaml or a folder of problem files) or `network:` / "
                        "`problems:` in the sweep file")
    return find_network(spec.network)


def _same_error(rendered: list[RenderedPoint]) -> bool:
    """Every point refused with one message: the design files are wrong, not a point."""
    return bool(rendered) and all(not r.ok for r in rendered) \
        and len({r.error for r in rendered}) == 1


def unused_variables(spec: SweepSpec, rendered: list[RenderedPoint]) -> list[str]:
    """Swept variables that never change the rendered design (a typo, or a variable the
    template does not read): points that differ only in them render the same text."""
    out = []
    for ax in spec.axes:
        groups: dict[tuple, list[str]] = {}  # the other variables -> texts at each value
        for rp in rendered:
            if rp.design is None:
                continue
            rest = tuple(sorted((k, repr(v)) for k, v in rp.point.variables.items()
                                if k not in ax.names))
            groups.setdefault(rest, []).append(rp.design.text)
        if any(len(g) > 1 for g in groups.values()) \
                and all(len(set(g)) == 1 for g in groups.values()):
            out.append(", ".join(ax.names))
    return out


def _write_point(outdir: Path, res: PointResult, budget: Any, models: str) -> None:
    """points/<folder>/network.csv and network.summary.yaml of a point that ran."""
    from loopnest.network.csvout import network_csv
    from loopnest.network.outputs import write_text
    from loopnest.network.summary import summary_yaml

    folder = outdir / POINTS / res.dirname
    write_text(folder, "network.csv", network_csv(res.rows))
    info = {"point": res.point.index, "point_id": res.point_id,
            "variables": dict(res.point.variables),
            "budget_per_layer": budget.as_dict() if budget is not None else None,
            "energy_models": models, "status": res.status, "error": res.error}
    write_text(folder, "network.summary.yaml", summary_yaml("point", res.rows, info))


@dataclass
class TaskPlan:
    """One task list over all points, and which points wait on which task."""

    tasks: list[LayerTask] = field(default_factory=list)  # distinct keys, in point order
    waiting: dict[str, list[int]] = field(default_factory=dict)  # key -> point numbers
    remaining: dict[int, int] = field(default_factory=dict)  # point -> keys not done
    # second searches (by their cache key): the points waiting on each, and how many
    # each point still waits on
    waiting2: dict[str, list[int]] = field(default_factory=dict)
    remaining2: dict[int, int] = field(default_factory=dict)


def plan_tasks(rendered: list[RenderedPoint]) -> TaskPlan:
    """Point by point (largest layer first within a point, as make_tasks orders them);
    a task whose cache key another point already has (the same design text) runs once."""
    plan = TaskPlan()
    for i, rp in enumerate(rendered):
        keys: list[str] = []
        for t in rp.tasks:
            if t.key not in plan.waiting:
                plan.waiting[t.key] = []
                plan.tasks.append(t)
            if t.key not in keys:
                keys.append(t.key)
                plan.waiting[t.key].append(i)
        plan.remaining[i] = len(keys)
    return plan


def resume_rows(previous: list[Row], index_of: dict[str, int],
                retry_failed: bool) -> tuple[dict[str, Row], list[Row]]:
    """(rows of this sweep's points to keep, by point_id; rows of another sweep)."""
    kept: dict[str, Row] = {}
    stale = []
    for row in previous:
        pid = row["point_id"]
        if pid not in index_of:
            stale.append(row)
        elif row["status"] == "ok" or not retry_failed:
            kept[pid] = _reindexed(row, index_of[pid])
    return kept, stale


class _Collector:
    """Turns finished layer records into finished points: once a point's first searches
    are done, its second searches (`follow`, as `loopnest network` runs them, so a
    point's numbers are the network's); a row the moment its last second search is
    done, its folder, the progress; drops records no point still needs."""

    def __init__(self, req: SweepRequest, rendered: list[RenderedPoint], plan: TaskPlan,
                 net: Network, of_layer: dict, sheet: SweepSheet) -> None:
        self.req, self.rendered, self.plan = req, rendered, plan
        self.net, self.of_layer, self.sheet = net, of_layer, sheet
        self.records: dict[str, LayerRecord] = {}  # first searches' records, by task key
        self.seconds: dict[str, LayerRecord] = {}  # second searches' records, by task key
        self.users = {k: len(v) for k, v in plan.waiting.items()}  # points yet to use a key
        self.rows: dict[str, Row] = {}
        self.progress: Any = None

    def start(self, progress: Any) -> None:
        """Rows at once for points with no task (invalid, or every layer refused)."""
        self.progress = progress
        for i in range(len(self.rendered)):
            if self.plan.remaining[i] == 0:
                self.finish(i)

    def done(self, rec: LayerRecord) -> None:
        self.records[rec.key] = rec
        self.progress.task(rec)

    def follow(self, rec: LayerRecord) -> list[SeedTask]:
        """The second searches of the points whose first searches `rec` completes (one
        per distinct second search: points with the same design share them)."""
        from loopnest.network.pipeline import seed_tasks

        new: list[SeedTask] = []
        for i in self.plan.waiting.get(rec.key, []):
            self.plan.remaining[i] -= 1
            if self.plan.remaining[i]:
                continue
            rp = self.rendered[i]
            seeds = seed_tasks(rp.tasks, self.records, split_budget(rp.budget)[1])
            self.plan.remaining2[i] = len(seeds)
            for st in seeds:
                if st.task.key in self.seconds and self.seconds[st.task.key] is not None:
                    self.plan.remaining2[i] -= 1
                    continue
                if st.key not in self.plan.waiting2:
                    self.plan.waiting2[st.key] = []
                    self.seconds[st.task.key] = None  # type: ignore[assignment]
                    new.append(st)
                self.plan.waiting2[st.key].append(i)
            if self.plan.remaining2[i] == 0:
                self.finish(i)
        self.progress.more(len(new))
        return new

    def second(self, st: SeedTask, rec: LayerRecord) -> None:
        self.seconds[st.task.key] = rec
        self.progress.task(rec)
        for i in self.plan.waiting2.pop(st.key, []):
            self.plan.remaining2[i] -= 1
            if self.plan.remaining2[i] == 0:
                self.finish(i)

    def finish(self, i: int) -> None:
        rp = self.rendered[i]
        best = {**self.records, **{k: r for k, r in self.seconds.items() if r is not None}}
        res = (point_result(rp, best, self.net, self.of_layer) if rp.ok
               else invalid_result(rp))
        row = result_row(res)
        self.rows[rp.point_id] = row
        self.sheet.add(row)
        if self.req.point_files and res.rows:
            _write_point(Path(self.req.outdir), res, rp.budget, self.req.energy_models)
        self.progress.point(res)
        for key in {t.key for t in rp.tasks}:
            self.users[key] -= 1
            if self.users[key] == 0:
                self.records.pop(key, None)  # a long sweep keeps only what it still needs
                self.seconds.pop(key, None)


def run_sweep(req: SweepRequest,
              on_start: Callable[[dict[str, Any]], None] | None = None) -> SweepRun:
    """Map every point of the sweep not already in DIR/sweep.csv and write the outputs."""
    from loopnest.network.cache import ResultCache
    from loopnest.network.prepare import distinct_shapes
    from loopnest.network.runner import run_tasks
    from loopnest.sweep.executors import open_executor
    from loopnest.sweep.progress import SweepProgress

    t0 = time.monotonic()
    spec, outdir = req.spec, Path(req.outdir)
    net = layers_of(spec)
    shapes, of_layer = distinct_shapes(net)
    points = spec.points()
    ctx = sweep_context(spec, shapes, req.energy_models)
    pids = [point_id(ctx, p) for p in points]
    index_of = {pid: i for i, pid in enumerate(pids)}
    kept, stale = resume_rows(read_rows(outdir / NAME), index_of, req.retry_failed)
    if stale:
        _set_aside(outdir, stale)
    sheet = SweepSheet(outdir / NAME, spec.swept)
    sheet.start(sorted(kept.values(), key=lambda r: int(r["point"])))

    with open_executor(req.scheduler, req.jobs, req.executor) as (executor, where):
        rendered = [render_point(spec, p, pid, shapes, req.energy_models, req.strict)
                    for p, pid in zip(points, pids) if pid not in kept]
        if _same_error(rendered) and not kept and rendered[0].exc is not None:
            raise rendered[0].exc  # the design files are wrong: exit 2 at their file and line
        warnings = sorted({w for rp in rendered for w in rp.warnings})
        warnings += [f"warning: {u}: every value renders the same design (a variable the "
                     "design does not use?)" for u in unused_variables(spec, rendered)]
        plan = plan_tasks(rendered)
        collect = _Collector(req, rendered, plan, net, of_layer, sheet)
        info = {"network": net, "shapes": shapes, "points": len(points), "resumed": len(kept),
                "pending": len(rendered), "tasks": len(plan.tasks), "warnings": warnings,
                "dropped": len(stale), "invalid": sum(1 for rp in rendered if not rp.ok)}
        info["where"] = where
        if on_start is not None:
            on_start(info)
        progress = SweepProgress(len(plan.tasks), len(rendered), quiet=req.quiet)
        try:
            for row in kept.values():
                if row["status"] == "ok" and row.get("edp_J_cycle"):
                    progress.offer_best(float(row["edp_J_cycle"]), " ".join(
                        f"{k}={row.get(k, '')}" for k in spec.swept))
            collect.start(progress)
            outcome = run_tasks(plan.tasks, ResultCache(req.cache_dir), req.jobs,
                                collect.done, executor=executor, follow=collect.follow,
                                on_second=collect.second)
        finally:
            progress.close()
    rows = sorted(list(kept.values()) + list(collect.rows.values()),
                  key=lambda r: int(r["point"]))
    run = SweepRun(rows=rows, pareto=[], points=len(points), resumed=len(kept),
                   tasks=len(plan.tasks), mapped=outcome.mapped, cached=outcome.cached,
                   interrupted=outcome.interrupted, wall_s=0.0, where=info["where"],
                   dropped=len(stale), warnings=warnings)
    _write_results(req, sheet, run)
    run.wall_s = time.monotonic() - t0
    return run


def _write_results(req: SweepRequest, sheet: SweepSheet, run: SweepRun) -> None:
    """sweep.csv in point order, pareto.csv and the plots."""
    from loopnest.sweep.pareto import pareto_rows

    spec = req.spec
    sheet.finish(run.rows)
    run.pareto = pareto_rows(run.rows, spec.metrics)
    _write_csv(Path(req.outdir) / PARETO, header(spec.swept, run.pareto), run.pareto)
    if not req.plots:
        return
    from loopnest.sweep.plots import PlotsUnavailable, write_plots

    try:
        run.plots = write_plots(run.rows, run.pareto, [ax.names for ax in spec.axes],
                                Path(req.outdir) / "plots", metrics=spec.metrics)
    except PlotsUnavailable as e:
        run.plot_note = str(e)


def _reindexed(row: Row, index: int) -> Row:
    out = dict(row)
    out["point"] = str(index)
    return out


def _write_csv(path: Path, columns: list[str], rows: list[Row]) -> None:
    from loopnest.report.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, csv_text(columns, rows))


def _set_aside(outdir: Path, rows: list[Row]) -> None:
    """Rows of another sweep (other design files, layers, budget...) go to
    sweep.previous.csv rather than being lost or taken for this sweep's."""
    path = outdir / PREVIOUS
    old = read_rows(path)
    allrows = old + rows
    columns = list(dict.fromkeys(k for r in allrows for k in r))
    _write_csv(path, columns, allrows)
