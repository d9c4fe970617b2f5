"""From FILES + a network to the list of tasks: one per distinct layer shape.

    design = load_design(files, variables, sets)      # rendered once, text + located tree
    shapes = distinct_shapes(network)                  # identical problems merged
    checked = check_shapes(design, shapes, models)     # front end per shape, in this process
    tasks = make_tasks(design, checked, budget, models)

The front end runs here on the located tree for every shape (tens of milliseconds
each), so a mistake in the design files is reported once, at its file and line, and
exits before any search; a shape the design cannot take (a constraint naming a
dimension the layer lacks) becomes that layer's error row instead. The tasks carry
only texts (see task.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopnest.errors import LoopnestError
from loopnest.network.cache import canonical_problem, layer_key
from loopnest.network.task import Budget, LayerTask, _Prepared, design_for, one_line
from loopnest.network.types import Network

DROPPED = ("problem", "mapping")  # the network gives the problems; the mapper the mappings


@dataclass
class DesignInput:
    """The merged design without problem: located tree (for errors) and its text."""

    spec: Any
    text: str
    dropped: list[str] = field(default_factory=list)  # top-level keys of FILES ignored


@dataclass
class Shape:
    """One distinct layer shape of the network and the entries that use it."""

    label: str
    problem_file: Path
    problem_text: str
    problem: Any  # the located `problem:` tree
    canonical: str
    users: list[str] = field(default_factory=list)
    macs: int = 0
    bounds: dict[str, int] = field(default_factory=dict)
    shape: str = ""
    error: str = ""  # the front end refused this layer on this design


def load_design(files: list[str], variables: dict | None, sets: list[str] | None) -> DesignInput:
    """Render and merge FILES, apply `--set`, drop `problem`/`mapping`; the text is what
    workers parse and what the cache key hashes."""
    from loopnest.spec.dump import dump_yaml
    from loopnest.spec.load import load_files
    from loopnest.spec.overrides import apply_sets, parse_set_args

    spec = load_files(files, variables)
    if sets:
        apply_sets(spec, parse_set_args(sets))
    dropped = [k for k in DROPPED if k in spec]
    for k in dropped:
        del spec[k]
    return DesignInput(spec=spec, text=dump_yaml(spec), dropped=dropped)


def distinct_shapes(network: Network) -> tuple[list[Shape], dict[str, Shape]]:
    """Distinct problems in first-use order, and the shape of each layer name. Two files
    with the same `problem:` (comments and names aside) are one shape."""
    from loopnest.errors import SpecError
    from loopnest.spec.yamlnodes import parse_yaml

    by_canon: dict[str, Shape] = {}
    by_file: dict[Path, Shape] = {}
    of_layer: dict[str, Shape] = {}
    labels: set[str] = set()
    for layer in network.layers:
        shape = by_file.get(layer.problem)
        if shape is None:
            text = layer.problem.read_text(encoding="utf-8")
            doc = parse_yaml(text, str(layer.problem))
            if not isinstance(doc, dict) or "problem" not in doc:
                raise SpecError("this file has no `problem:` mapping", file=str(layer.problem),
                                line=1, hint="a layer's file is a Timeloop problem: "
                                "problem: {shape, instance}")
            canon = canonical_problem(doc["problem"])
            shape = by_canon.get(canon)
            if shape is None:
                label, k = layer.problem.stem, 2
                while label in labels:
                    label, k = f"{layer.problem.stem}_{k}", k + 1
                labels.add(label)
                shape = Shape(label=label, problem_file=layer.problem, problem_text=text,
                              problem=doc["problem"], canonical=canon)
                by_canon[canon] = shape
            by_file[layer.problem] = shape
        shape.users.append(layer.name)
        of_layer[layer.name] = shape
    return list(by_canon.values()), of_layer


def check_shapes(design: DesignInput, shapes: list[Shape], models: str,
                 strict: bool = False) -> list[str]:
    """Run the front end on every shape (fills macs/bounds, or `error`). If every shape
    fails with the same message, the design itself is wrong: raise that located error.
    Returns the warnings, each message once (with how many more places it was seen)."""
    prep = _Prepared(spec=design.spec)
    errors: list[LoopnestError] = []
    warnings: dict[str, list[str]] = {}
    for s in shapes:
        try:
            d, _, warns = design_for(design.spec, s.problem, prep, models, strict)
            for w in warns:
                warnings.setdefault(_message(w), []).append(w)
        except LoopnestError as e:
            s.error = one_line(e)
            errors.append(e)
            continue
        s.macs, s.bounds, s.shape = d.workload.macs, d.workload.bound_map, d.workload.name
    if errors and len(errors) == len(shapes) and len({e.format() for e in errors}) == 1:
        raise errors[0]
    return [seen[0] + (f" (and {len(seen) - 1} more layer files)" if len(seen) > 1 else "")
            for seen in warnings.values()]


def _message(warning: str) -> str:
    """A warning line without its location: the same mistake in every layer file."""
    return re.sub(r"^warning: .*?:\d+: ", "", warning)


def make_tasks(design: DesignInput, shapes: list[Shape], budget: Budget, models: str,
               want_files: bool = True) -> list[LayerTask]:
    """One task per shape the front end accepted, largest layers first (they take
    longest, so the pool's last task is a short one)."""
    tasks = [LayerTask(key=shape_key(design, s, budget, models), label=s.label,
                       spec_text=design.text, problem_text=s.problem_text,
                       problem_file=str(s.problem_file), budget=budget, energy_models=models,
                       want_files=want_files)
             for s in shapes if not s.error]
    macs = {s.label: s.macs for s in shapes}
    return sorted(tasks, key=lambda t: -macs[t.label])


def shape_key(design: DesignInput, shape: Shape, budget: Budget, models: str) -> str:
    return layer_key(shape.canonical, design.text, budget, models)
