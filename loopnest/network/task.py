"""One unit of work: map one layer shape on one design, as a picklable function.

    map_layer(LayerTask(key, label, spec_text, problem_text, ...)) -> LayerRecord

Inputs are plain texts (the rendered, merged design without its problem, and the
layer's problem file), so any executor can run a task: the local process pool, or a
cluster later. Nothing is written here; the record carries the output texts.

A worker keeps what does not depend on the layer between tasks (`_prepared`): the
parsed design and its energy/area tables (the priced components) and the ERT/ART
echo texts, keyed by the design text, so only the first layer on a design pays for
parsing and pricing. Errors become a failed record, never an exception.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from loopnest.network.results import LayerRecord, search_warnings

DEFAULT_CYCLE_SECONDS = 1e-9  # Accelergy's default global_cycle_seconds


@dataclass(frozen=True)
class Budget:
    """How long each layer's search may run. Evaluations make runs reproducible."""

    evaluations: int = 0  # candidates scored per layer (0 = no limit)
    timeout: float = 0.0  # seconds of search per layer after its set-up (0 = no limit)
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"evaluations": self.evaluations, "timeout_s": self.timeout, "seed": self.seed}


@dataclass(frozen=True)
class LayerTask:
    """Everything a worker needs to map one layer shape; plain, picklable values."""

    key: str  # cache key (see cache.py)
    label: str
    spec_text: str  # rendered design: architecture, constraints, mapper, components...
    problem_text: str  # a YAML document with `problem:`
    problem_file: str = "<problem>"  # where problem_text came from (error locations)
    budget: Budget = field(default_factory=Budget)
    energy_models: str = "accelergy2024"
    want_files: bool = True


@dataclass
class _Prepared:
    """Per-worker, per-design state reused across layers."""

    spec: Any  # the parsed (not yet evaluated) design, without a problem
    tables: Any = None  # CostTables priced once (components do not depend on the layer)
    estimates: Any = None  # the pricing's Accelergy documents (for the echo files)
    echoes: dict[str, str] | None = None
    cycle_seconds: float | None = None


_PREPARED: "OrderedDict[tuple[str, str], _Prepared]" = OrderedDict()
_KEEP = 4  # designs kept per worker (a design-space sweep sends many)


def _prepared(spec_text: str, models: str) -> _Prepared:
    from loopnest.spec.yamlnodes import parse_yaml

    k = (hashlib.sha256(spec_text.encode()).hexdigest(), models)
    hit = _PREPARED.get(k)
    if hit is None:
        hit = _Prepared(spec=parse_yaml(spec_text, "<design>"))
        _PREPARED[k] = hit
        while len(_PREPARED) > _KEEP:
            _PREPARED.popitem(last=False)
    _PREPARED.move_to_end(k)
    return hit


def design_for(spec: Any, problem: Any, prep: _Prepared | None, models: str,
               strict: bool = False) -> tuple[Any, Any, list[str]]:
    """Evaluate, check, transpile and lower `spec` + `problem` into a priced Design:
    the checks `loopnest mapper` runs. Returns (design, evaluated spec, warnings); the
    warnings are returned, not printed (a network would repeat them per layer).

    With `prep`, the energy tables are priced once and reused for later layers."""
    import contextlib
    import io
    from dataclasses import replace

    from loopnest.spec.evaluate import evaluate_spec

    spec = copy.deepcopy(spec)
    spec["problem"] = problem
    evaluate_spec(spec)
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        design = _checked(spec, models, strict)
    warnings = [ln for ln in captured.getvalue().splitlines() if ln.strip()]
    if prep is not None and prep.tables is not None:
        # the given ERT/ART and the priced components are the same for every layer
        return replace(design, tables=prep.tables, estimates=prep.estimates), spec, warnings
    design = _priced(design, models)
    if prep is not None:
        prep.tables, prep.estimates = design.tables, getattr(design, "estimates", None)
    return design, spec, warnings


def _checked(spec: Any, models: str, strict: bool) -> Any:
    """The unpriced Design after the mapper's checks (loopnest.checks when present)."""
    try:
        from loopnest.checks import check_loaded
    except ImportError:  # pragma: no cover - older front end
        from loopnest.ir.lower import lower_design
        from loopnest.spec.native import to_native
        from loopnest.spec.validate import validate_spec

        validate_spec(spec)
        return lower_design(to_native(spec))
    return check_loaded(spec, "mapper", models=models, strict=strict, price=False).design


def _priced(design: Any, models: str) -> Any:
    try:
        from loopnest.checks import priced
    except ImportError:  # pragma: no cover - older front end
        from loopnest.commands.common import _with_estimates as priced
    return priced(design, models)


def clock_of(design: Any, spec: Any) -> float:
    """Seconds per cycle: `global_cycle_seconds` of the arithmetic level (inherited from
    its containers), else the top-level variable, else Accelergy's 1 ns."""
    from loopnest.energy.flatten import flatten

    v = design.architecture.compute.attr("global_cycle_seconds")
    if v is None:
        try:
            comps = flatten((design.native or {}).get("architecture"))
        except Exception:  # noqa: BLE001 - the clock is informative; never fail on it
            comps = []
        name = design.architecture.compute.name
        for c in comps:
            if c.name.split(".")[-1].split("[")[0] == name:
                v = c.attributes.get("global_cycle_seconds")
                break
    if v is None:
        v = ((spec.get("variables") or {}) if isinstance(spec, dict) else {}).get(
            "global_cycle_seconds")
    try:
        return float(v) if v is not None and float(v) > 0 else DEFAULT_CYCLE_SECONDS
    except (TypeError, ValueError):
        return DEFAULT_CYCLE_SECONDS


def search_options(design: Any, budget: Budget):
    """SearchOptions for one layer: one thread (layers run in parallel instead), the
    budget, and the design's metrics and victory condition."""
    from loopnest.mapper.objective import parse_metrics
    from loopnest.mapper.search import SearchOptions

    mo = design.mapper_options or {}
    return SearchOptions(
        metrics=parse_metrics(mo),
        timeout=budget.timeout if budget.timeout > 0 else 1e9,
        threads=1,
        seed=budget.seed,
        victory_condition=int(mo.get("victory_condition") or 0),
        search_size=budget.evaluations,
        quiet=True,
        deterministic=budget.evaluations > 0 and budget.timeout <= 0,
    )


def _energy_parts(result: Any) -> dict[str, dict[str, float]]:
    from loopnest.report.plots import energy_breakdown

    return {name: {k: float(v) for k, v in parts.items()}
            for name, parts in energy_breakdown(result)}


def _outer(result: Any) -> tuple[float, int, float | None]:
    """Scalar accesses, word bits and words/cycle of the outermost storage level."""
    if not result.storage:
        return 0.0, 0, None
    top = result.storage[-1]
    bws = [b for b in (top.shared_bandwidth,) if b]
    if not bws and (top.read_bandwidth or top.write_bandwidth):
        bws = [(top.read_bandwidth or 0) + (top.write_bandwidth or 0)]
    return float(top.total_scalar_accesses), int(top.word_bits), (float(bws[0]) if bws else None)


def _layer_design(task: LayerTask):
    """The layer's priced Design, its SearchOptions and the worker's per-design state."""
    from loopnest.errors import MapperError
    from loopnest.spec.yamlnodes import parse_yaml

    prep = _prepared(task.spec_text, task.energy_models)
    doc = parse_yaml(task.problem_text, task.problem_file)
    if not isinstance(doc, dict) or "problem" not in doc:
        raise MapperError("the layer's file has no `problem:`", file=task.problem_file)
    design, spec, _ = design_for(prep.spec, doc["problem"], prep, task.energy_models)
    if prep.cycle_seconds is None:
        prep.cycle_seconds = clock_of(design, spec)
    return design, search_options(design, task.budget), prep


def _record(task: LayerTask, design: Any, opts: Any, prep: _Prepared, out: Any,
            t0: float) -> LayerRecord:
    """The record of a finished search, with the output texts when wanted."""
    from loopnest.mapper.objective import cost
    from loopnest.mapper.outputs import format_summary, mapper_files
    from loopnest.mapper.transplant import describe

    r = out.result
    files: dict[str, str] = {}
    if task.want_files:
        files = {f"timeloop-mapper.{k}": v
                 for k, v in mapper_files(design.workload, design.architecture, out, design.tables).items()}
        if prep.echoes is None:
            from loopnest.commands.common import echo_files

            prep.echoes = echo_files(design)
        files.update({f"timeloop-mapper.{k}": v for k, v in prep.echoes.items()})
        files["loopnest-mapper.summary.yaml"] = format_summary(
            out, opts.metrics, opts.seed, opts.threads, opts.timeout)
    words, bits, bw = _outer(r)
    peak = r.compute.instances if r.compute is not None else 0
    evaluated = out.valid + out.estimated
    area = r.area  # the design's area (Timeloop's stats summary prints 0 here, see docs/model.md)
    return LayerRecord(
        key=task.key, label=task.label, status="ok", shape=design.workload.name,
        bounds=design.workload.bound_map, macs=design.workload.macs,
        energy_pj=float(r.energy), cycles=int(r.cycles), utilization=float(r.utilization),
        area_um2=float(area or 0.0), energy_parts=_energy_parts(r), dram_words=words,
        dram_word_bits=bits, dram_bandwidth=bw, peak_macs_per_cycle=int(peak),
        max_parallelism=int(out.bound.max_parallelism), cycle_seconds=prep.cycle_seconds,
        gap=out.gap, search_status=out.status, stop_reason=out.stop_reason,
        evaluated=evaluated, improved_at=out.improved_at, search_s=out.elapsed,
        setup_s=out.setup_s,
        task_s=time.monotonic() - t0, budget=task.budget.as_dict(),
        warnings=search_warnings(out.stop_reason, evaluated, out.improved_at,
                                 float(r.utilization), int(out.bound.max_parallelism), peak),
        files=files, mapping=describe(out.mapping),
        cost=[float(c) for c in cost(r, opts.metrics)])


def run_layer(task: LayerTask) -> LayerRecord:
    """Map one layer (exceptions propagate; `map_layer` turns them into records)."""
    from loopnest.mapper.design_search import search_design

    t0 = time.monotonic()
    design, opts, prep = _layer_design(task)
    out = search_design(design, opts, "no valid mapping found within the budget",
                        "raise the budget or relax the constraints", interrupted_raises=True)
    return _record(task, design, opts, prep, out, t0)


SECOND_SHARE = 4  # a network layer's second search gets this fraction of its budget


def split_budget(budget: Budget) -> tuple[Budget, Budget]:
    """A network layer's budget as its first and second searches' shares (the second
    gets 1/SECOND_SHARE, at least one batch of chains)."""
    n, t = budget.evaluations, budget.timeout
    second = max(64, n // SECOND_SHARE) if n else 0
    return (Budget(evaluations=n - second if n else 0, timeout=t - t / SECOND_SHARE,
                   seed=budget.seed),
            Budget(evaluations=second, timeout=t / SECOND_SHARE, seed=budget.seed))


@dataclass(frozen=True)
class SeedTask:
    """A network layer's second search (design_search.second_search)."""

    task: LayerTask  # the layer's first task
    record: LayerRecord  # the first search's result
    sources: tuple[tuple[str, list], ...]  # (label, described mapping) of the others
    budget: Budget = field(default_factory=Budget)  # the second search's share
    key: str = ""  # cache key of the outcome (cache.seeded_key)


def seed_layer(st: SeedTask) -> LayerRecord:
    """The layer searched again from starts its first search does not try: a better
    record, or the first one when the second search found nothing better; either
    counts both searches' candidates and time. An error leaves the first record, with
    a warning."""
    from loopnest.errors import LoopnestError
    from loopnest.mapper.design_search import second_search

    t0 = time.monotonic()
    first = st.record
    task = dataclasses.replace(st.task, budget=st.budget)
    try:
        design, opts, prep = _layer_design(task)
        got = second_search(design, opts, st.sources, first.cost)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 - the first result stands
        why = one_line(e) if isinstance(e, LoopnestError) else \
            f"internal error: {type(e).__name__}: {e}"
        return dataclasses.replace(first, warnings=first.warnings + [
            f"the layer's second search failed: {why}"])
    out, label, better = got
    if not better:  # the first result stands; the candidates and time still count
        return dataclasses.replace(
            first, evaluated=first.evaluated + out.valid + out.estimated,
            search_s=first.search_s + out.elapsed, setup_s=first.setup_s + out.setup_s,
            task_s=first.task_s + time.monotonic() - t0)
    rec = _record(task, design, opts, prep, out, t0)
    rec.second = True
    rec.seeded_from = label
    rec.budget = first.budget
    rec.improved_at = first.evaluated + out.improved_at
    rec.evaluated += first.evaluated
    rec.search_s += first.search_s
    rec.setup_s += first.setup_s
    rec.task_s += first.task_s
    rec.warnings = search_warnings(out.stop_reason, rec.evaluated, rec.improved_at,
                                   rec.utilization, rec.max_parallelism,
                                   rec.peak_macs_per_cycle, before=first.evaluated)
    return rec


def map_layer(task: LayerTask) -> LayerRecord:
    """Map one layer; a failure is a record with status "failed" and its error."""
    from loopnest.errors import LoopnestError

    t0 = time.monotonic()
    try:
        return run_layer(task)
    except LoopnestError as e:
        return failed_record(task, one_line(e), time.monotonic() - t0)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 - a bug must not stop the other layers
        return failed_record(task, f"internal error: {type(e).__name__}: {e}",
                             time.monotonic() - t0, traceback.format_exc())


def one_line(e: Exception) -> str:
    """A LoopnestError's message and hint on one line (for a CSV cell)."""
    text = e.format() if hasattr(e, "format") else str(e)
    return text.replace("\n  hint: ", "; hint: ").replace("\n", " ")


def failed_record(task: LayerTask, error: str, seconds: float = 0.0,
                  detail: str = "") -> LayerRecord:
    """The record of a layer that could not be mapped."""
    return LayerRecord(key=task.key, label=task.label, status="failed", error=error,
                       task_s=seconds, budget=task.budget.as_dict(), detail=detail)


def run_item(item: LayerTask | SeedTask) -> LayerRecord:
    """A worker's entry point: a layer's first search (`map_layer`) or its second
    (`seed_layer`)."""
    return seed_layer(item) if isinstance(item, SeedTask) else map_layer(item)
