"""Render each design point with its variables and turn it into layer tasks.

    ctx = sweep_context(spec, shapes, models)          # what every point shares
    pid = point_id(ctx, point)                          # resume key: context + variables
    rp = render_point(spec, point, shapes, models)      # design text, checked shapes, tasks

Rendering runs the existing front end (loopnest.network.prepare: Jinja2, merge, `--set`,
then the checks per layer shape) in this process, so a point whose design is invalid
becomes an error row at once and costs no worker time. A swept name with a dot is a
`--set` path (`mapper.victory_condition`), applied after the files are merged.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopnest.errors import LoopnestError
from loopnest.network.prepare import DesignInput, Shape, check_shapes, load_design, make_tasks
from loopnest.network.task import split_budget
from loopnest.network.task import Budget, LayerTask, one_line
from loopnest.sweep.spec import Point, SweepSpec, format_value, is_set_path

_SAFE = re.compile(r"[^A-Za-z0-9._=,+-]")
MAX_DIRNAME = 100


@dataclass
class RenderedPoint:
    """One point after the front end: its tasks, or why it cannot be mapped."""

    point: Point
    point_id: str
    design: DesignInput | None = None
    shapes: list[Shape] = field(default_factory=list)  # this point's copies (macs, error)
    budget: Budget | None = None
    tasks: list[LayerTask] = field(default_factory=list)
    error: str = ""  # the design itself is invalid (render or checks)
    exc: Exception | None = None  # the located error behind `error`
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


def split_variables(variables: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Jinja2 variables, and `--set` items for the dotted names."""
    plain = {k: v for k, v in variables.items() if not is_set_path(k)}
    sets = [f"{k}={json.dumps(v)}" for k, v in variables.items() if is_set_path(k)]
    return plain, sets


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def sweep_context(spec: SweepSpec, shapes: list[Shape], models: str) -> str:
    """A hash of what every point shares: design files (names and contents), the layers,
    `--set`s, budget and seed, energy models and loopnest's code. A point's id joins it
    to the point's variables, so a rerun after any of these changed maps again."""
    from loopnest.network.cache import code_fingerprint

    blob = {
        "files": [(Path(f).name, _file_digest(f)) for f in spec.files],
        "layers": [s.canonical for s in shapes],
        "sets": list(spec.sets),
        "budget": [spec.evaluations, spec.timeout, spec.seed],
        "models": models,
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


def point_id(context: str, point: Point) -> str:
    """12 hex digits naming the point's results (its variables within this context)."""
    blob = json.dumps([context, sorted((k, repr(v)) for k, v in point.variables.items())])
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def point_dirname(point: Point, pid: str) -> str:
    """`pe_rows=8,glb_kib=64` (the swept variables), or `p-<id>` when that is too long."""
    name = ",".join(f"{k}={format_value(point.variables[k])}" for k in point.swept)
    name = _SAFE.sub("_", name)
    if not name or len(name) > MAX_DIRNAME or name.startswith("."):
        return f"p-{pid}"
    return name


def budget_of(spec: SweepSpec, design: DesignInput) -> Budget:
    """The command line's / sweep file's budget, else the design's `mapper.search_size`,
    else `loopnest network`'s default (docs/networks.md)."""
    from loopnest.network.pipeline import NetworkRequest, budget_for

    req = NetworkRequest(files=[], network="", evaluations=spec.evaluations,
                         timeout=spec.timeout, seed=spec.seed)
    return budget_for(req, design)


def render_point(spec: SweepSpec, point: Point, pid: str, shapes: list[Shape], models: str,
                 strict: bool = False) -> RenderedPoint:
    """Render, merge and check the point's design on every layer shape; its tasks."""
    out = RenderedPoint(point=point, point_id=pid)
    variables, sets = split_variables(point.variables)
    own = [dataclasses.replace(s, users=list(s.users)) for s in shapes]
    try:
        design = load_design(list(spec.files), variables, list(spec.sets) + sets)
        out.warnings = check_shapes(design, own, models, strict)
        out.budget = budget_of(spec, design)
    except LoopnestError as e:
        out.error, out.exc = one_line(e), e
        return out
    out.design, out.shapes = design, own
    # the first searches' share; the second searches (pipeline.seed_tasks) get the rest
    out.tasks = make_tasks(design, own, split_budget(out.budget)[0], models)
    return out
