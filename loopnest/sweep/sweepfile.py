"""Read `sweep.yaml`: the design files, what varies, what is fixed, the layers, the budget.

    sweep:
      design: [arch.yaml.jinja2, components.yaml]   # relative to this file
      arch: simple_ws                # or a bundled accelerator (its files come first)
      network: resnet18              # or problems: [conv1.yaml, fc.yaml]
      variables:                     # each a list or a range; the grid is their product
        glb_kib: {start: 64, stop: 256, step: 64}
        word_bits: [8, 16]
      zip:                           # groups whose variables vary together
      - {pe_rows: [8, 16, 32], pe_cols: [8, 16, 32]}
      fixed: {technology: 45}        # the same at every point
      set: [mapper.victory_condition=50]
      mapper: {evaluations_per_layer: 5000, seed: 0, optimization_metrics: [edp]}
      metrics: [energy_pJ, latency_s, area_um2]   # the Pareto objectives

Every mistake is a located SpecError (file, line, YAML path). `is_sweep_file(path)`
tells a sweep file from a design file (a top-level `sweep:` key).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loopnest.errors import SpecError, spec_error
from loopnest.sweep.spec import (Axis, SweepSpec, check_axes, check_name, numeric_range,
                                 zip_axis)

KEYS = ("design", "arch", "network", "problems", "variables", "zip", "fixed", "set", "mapper",
        "metrics")
MAPPER_KEYS = ("evaluations_per_layer", "timeout_per_layer", "seed")
RANGE_KEYS = ("start", "stop", "step", "factor")


def is_sweep_file(path: str) -> bool:
    """A YAML file whose top level has `sweep:`."""
    import re

    p = Path(path)
    if p.suffix not in (".yaml", ".yml") or not p.is_file():
        return False
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"^sweep\s*:", text, re.M))


def read_sweep_file(path: str) -> SweepSpec:
    """The sweep file as a SweepSpec (paths made absolute, relative to the file)."""
    from loopnest.spec.yamlnodes import parse_yaml

    file = str(path)
    doc = parse_yaml(Path(path).read_text(encoding="utf-8"), file)
    if not isinstance(doc, dict) or not isinstance(doc.get("sweep"), dict):
        raise SpecError("a sweep file holds a `sweep:` mapping", file=file, line=1,
                        hint="see docs/sweeps.md for the format")
    node = doc["sweep"]
    _known_keys(node, KEYS)
    base = Path(path).resolve().parent
    spec = SweepSpec(source=file)
    spec.files = [str(base / f) for f in _strings(node, "design")]
    if "arch" in node:
        spec.arch = _string(node, "arch")
    if "network" in node and "problems" in node:
        raise spec_error(node, "problems", "give `network` or `problems`, not both",
                         cls=SpecError)
    if "network" in node:
        net = _string(node, "network")
        spec.network = str(base / net) if (base / net).exists() else net
    spec.problems = [str(base / f) for f in _strings(node, "problems")]
    spec.axes = _variables(node.get("variables"), node) + _zips(node.get("zip"), node)
    spec.fixed = _fixed(node.get("fixed"), node)
    spec.sets = _sets(node.get("set"), node)
    _mapper(node.get("mapper"), node, spec)
    if "metrics" in node:
        spec.metrics = _metrics(node)
    try:
        check_axes(spec.axes, spec.fixed)
    except SpecError as e:
        raise e.located(node, "variables") from None
    return spec


def _known_keys(node: Any, keys: tuple[str, ...]) -> None:
    from loopnest.spec.hints import closest_hint

    for k in node:
        if k not in keys:
            raise spec_error(node, k, f"unknown key '{k}'", cls=SpecError,
                             hint=closest_hint(str(k), keys, "key")
                             or f"the keys are {', '.join(keys)}")


def _string(node: Any, key: str) -> str:
    v = node[key]
    if not isinstance(v, str) or not v.strip():
        raise spec_error(node, key, f"`{key}` must be a name or a path", cls=SpecError)
    return str(v)


def _strings(node: Any, key: str) -> list[str]:
    v = node.get(key)
    if v is None:
        return []
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise spec_error(node, key, f"`{key}` must be a file or a list of files", cls=SpecError)
    return [str(x) for x in v]


def _where(node: Any, key: Any) -> str:
    from loopnest.spec.located import where

    file, line, _ = where(node, key)
    return f"{file}:{line}" if line else str(file)


def _values(node: Any, key: str) -> list[Any]:
    """A list of values, a range mapping, or `{values: [...]}`."""
    from loopnest.spec.located import to_plain

    v = node[key]
    if isinstance(v, list):
        if not v:
            raise spec_error(node, key, f"'{key}' has no values", cls=SpecError)
        return [to_plain(x) for x in v]
    if isinstance(v, dict) and set(v) == {"values"} and isinstance(v["values"], list):
        return _values(v, "values")
    if isinstance(v, dict):
        for k in v:
            if k not in RANGE_KEYS:
                raise spec_error(v, k, f"unknown range key '{k}'", cls=SpecError,
                                 hint="a range is {start, stop, step} or {start, stop, "
                                      "factor}; a list is [a, b, c]")
        if "start" not in v or "stop" not in v:
            raise spec_error(node, key, "a range needs `start` and `stop`", cls=SpecError)
        try:
            return numeric_range(v["start"], v["stop"], v.get("step"), v.get("factor"))
        except SpecError as e:
            raise e.located(node, key) from None
    raise spec_error(node, key, f"'{key}' needs a list of values or a range",
                     cls=SpecError, hint=f"a single value belongs under `fixed:` ({key}: {v})")


def _variables(node: Any, parent: Any) -> list[Axis]:
    if node is None:
        return []
    if not isinstance(node, dict):
        raise spec_error(parent, "variables", "`variables` maps names to lists or ranges",
                         cls=SpecError)
    axes = []
    for name in node:
        try:
            check_name(str(name), "")
        except SpecError as e:
            raise e.located(node, name) from None
        axes.append(Axis((str(name),), tuple((v,) for v in _values(node, name)),
                         _where(node, name)))
    return axes


def _zips(node: Any, parent: Any) -> list[Axis]:
    if node is None:
        return []
    if isinstance(node, dict):
        node_list = [node]
        holder, keys = parent, ["zip"]
    elif isinstance(node, list):
        node_list, holder, keys = node, node, list(range(len(node)))
    else:
        raise spec_error(parent, "zip", "`zip` is a list of groups, each mapping names to "
                         "lists of one length", cls=SpecError)
    axes = []
    for group, (h, k) in zip(node_list, ((holder, k) for k in keys)):
        if not isinstance(group, dict) or len(group) < 2:
            raise spec_error(h, k, "a zipped group maps two or more names to lists",
                             cls=SpecError, hint="e.g. {pe_rows: [8, 16], pe_cols: [8, 16]}")
        names = [str(n) for n in group]
        for n in names:
            try:
                check_name(n, "")
            except SpecError as e:
                raise e.located(group, n) from None
        columns = [_values(group, n) for n in names]
        try:
            axes.append(zip_axis(names, columns, ""))
        except SpecError as e:
            raise e.located(h, k) from None
        axes[-1] = Axis(axes[-1].names, axes[-1].values, _where(h, k))
    return axes


def _fixed(node: Any, parent: Any) -> dict[str, Any]:
    from loopnest.spec.located import to_plain

    if node is None:
        return {}
    if not isinstance(node, dict):
        raise spec_error(parent, "fixed", "`fixed` maps names to values", cls=SpecError)
    for name in node:
        try:
            check_name(str(name), "")
        except SpecError as e:
            raise e.located(node, name) from None
    return {str(k): to_plain(v) for k, v in node.items()}


def _sets(node: Any, parent: Any) -> list[str]:
    if node is None:
        return []
    if isinstance(node, dict):
        return [f"{k}={json.dumps(_plain(v))}" for k, v in node.items()]
    if isinstance(node, list) and all(isinstance(x, str) and "=" in x for x in node):
        return [str(x) for x in node]
    raise spec_error(parent, "set", "`set` is a list of KEY.PATH=VALUE or a mapping "
                     "KEY.PATH: VALUE", cls=SpecError)


def _plain(v: Any) -> Any:
    from loopnest.spec.located import to_plain

    return to_plain(v)


def _mapper(node: Any, parent: Any, spec: SweepSpec) -> None:
    """Budget and seed; any other key becomes `--set mapper.KEY=VALUE`."""
    if node is None:
        return
    if not isinstance(node, dict):
        raise spec_error(parent, "mapper", "`mapper` maps settings to values", cls=SpecError)
    if node.get("evaluations_per_layer") is not None and node.get("timeout_per_layer") is not None:
        raise spec_error(node, "timeout_per_layer", "give evaluations_per_layer or "
                         "timeout_per_layer, not both", cls=SpecError)
    for key, kind in (("evaluations_per_layer", int), ("timeout_per_layer", float),
                      ("seed", int)):
        v = node.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 \
                or (key != "seed" and v == 0) or (kind is int and v != int(v)):
            raise spec_error(node, key, f"`{key}` must be a positive "
                             f"{'integer' if kind is int else 'number'}, got {v!r}",
                             cls=SpecError)
    spec.evaluations = node.get("evaluations_per_layer")
    spec.timeout = node.get("timeout_per_layer")
    spec.seed = int(node.get("seed") or 0)
    spec.sets += [f"mapper.{k}={json.dumps(_plain(v))}" for k, v in node.items()
                  if k not in MAPPER_KEYS]


def _metrics(node: Any) -> tuple[str, ...]:
    from loopnest.spec.hints import closest_hint
    from loopnest.sweep.pareto import METRICS

    v = node["metrics"]
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v:
        raise spec_error(node, "metrics", "`metrics` is a list of result columns",
                         cls=SpecError, hint=f"choose from {', '.join(METRICS)}")
    for i, m in enumerate(v):
        if m not in METRICS:
            raise spec_error(v, i, f"unknown metric '{m}'", cls=SpecError,
                             hint=closest_hint(str(m), list(METRICS), "metric")
                             or f"choose from {', '.join(METRICS)}")
    return tuple(str(m) for m in v)
