"""Checks of a lowered Design, each error located in the user's own file.

* `check_architecture_constraints`: a given mapping must honour the architecture's
  factor constraints (what timeloop-model refuses; `--ignore-constraints` skips).
* `check_min_capacity`: mapping-independent capacity — a level that must keep some
  data spaces must hold their smallest tiles (the factors the constraints fix at
  and below it), as the mapper's infeasibility explanation computes them.
* `check_mapper_limits`: bounds the mapper's integer model cannot represent.
* `check_mapper_options`: the `mapper:` section's metrics and numbers.
* `mapping_failure`: a model failure of a given mapping (capacity, fan-out),
  located at the level's component.
"""
from __future__ import annotations

import math
import re
from typing import Any

from loopnest.errors import LoopnestError, MapperError, MappingError, ValidationError
from loopnest.spec.located import where

MAX_MAPPER_BOUND = 2 ** 40  # factoring a bound stays well under a second
MAX_MAPPER_WORDS = 2 ** 50  # CP-SAT's tile footprints are capped at 2**50
_LEVEL = re.compile(r"level (\S+?):")


def level_nodes(native: Any) -> dict[str, Any]:
    """Component node of each storage / compute level of a TL-native tree, by name."""
    from loopnest.ir.lower import split_range

    out: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for comp in node.get("local") or []:
            if isinstance(comp, dict) and "name" in comp:
                out.setdefault(split_range(str(comp["name"]))[0], comp)
        for st in node.get("subtree") or []:
            walk(st)

    arch = (native or {}).get("architecture")
    for st in (arch or {}).get("subtree") or [] if isinstance(arch, dict) else []:
        walk(st)
    return out


def locate_level(err: LoopnestError, native: Any, name: str,
                 keys: tuple[str, ...] = ("depth", "width")) -> LoopnestError:
    """Locate `err` at level `name`'s first attribute among `keys` (else the component)."""
    node = level_nodes(native).get(name)
    if node is None:
        return err
    attrs = node.get("attributes")
    for k in keys:
        if isinstance(attrs, dict) and k in attrs:
            return err.located(attrs, k)
    return err.located(node)


def check_architecture_constraints(design: Any) -> None:
    """Refuse a mapping whose factors break the architecture's own constraints, as
    timeloop-model does (mapspace constraints only steer the mapper; in v0.4 files the
    constraints are already part of the mapping). Loop order, split and bypass are not
    held against a given mapping (see constraint_violations)."""
    from loopnest.ir.checker import constraint_violations
    from loopnest.ir.lower_constraints import collect_directives, lower_constraints

    if design.mapping is None or not collect_directives(design.native, architecture_only=True):
        return
    cons = lower_constraints(design.native, design.workload, design.architecture,
                             architecture_only=True)
    bad = constraint_violations(design.workload, design.architecture, design.mapping, cons,
                                factors_only=True)
    if bad:
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        err = MappingError(f"mapping violates architecture constraints: {bad[0]}{more}",
                           hint="fix the mapping, or pass --ignore-constraints to evaluate "
                                "it anyway")
        level = bad[0].split(":", 1)[0]
        raise _at_mapping(err, design, level)


def _at_mapping(err: LoopnestError, design: Any, level: str) -> LoopnestError:
    """Locate at the mapping directive for `level` (else the level's component)."""
    from loopnest.ir.lower import split_range

    for d in (design.native or {}).get("mapping") or []:
        if isinstance(d, dict) and split_range(str(d.get("target", "")))[0] == level and \
                "factors" in d:
            return err.located(d, "factors")
    return locate_level(err, design.native, level)


def mapping_failure(design: Any, failure: str) -> MappingError:
    """A model failure of the given mapping, located at the failing level."""
    err = MappingError(failure, hint="change the mapping's factors or bypass so the tiles fit")
    m = _LEVEL.search(failure)
    if m:
        return locate_level(err, design.native, m.group(1))  # type: ignore[return-value]
    return err.located((design.native or {}).get("mapping"))  # type: ignore[return-value]


def check_min_capacity(design: Any) -> None:
    """Each level must hold the smallest tiles of the data spaces the constraints make it
    keep (the factors fixed at and below it): the mapper's own infeasibility detail,
    found before any search and located at the level."""
    from loopnest.mapper.explain import _capacity_detail
    from loopnest.mapper.mapspace import build_mapspace

    space = build_mapspace(design.workload, design.architecture, design.constraints)
    for i, lv in enumerate(space.levels):
        detail = _capacity_detail(space, i)
        if detail:
            err = MapperError(f"no valid mapping: {detail}",
                              hint="enlarge the level, or relax its keep / factor constraints")
            raise locate_level(err, design.native, lv.name)


def check_mapper_limits(design: Any) -> None:
    """Bounds and data-space sizes the mapper's integer (CP-SAT) model can represent."""
    wl = design.workload
    problem = (design.native or {}).get("problem") or {}
    inst = problem.get("instance") if isinstance(problem, dict) else None
    for d, b in zip(wl.dimensions, wl.bounds):
        if b > MAX_MAPPER_BOUND:
            err = MapperError(f"bound {d}={b} is above 2**40, the largest the mapper can "
                              "represent", hint="evaluate such a layer with `loopnest model` "
                              "and a given mapping, or split the dimension")
            raise err.located(inst, d) if isinstance(inst, dict) else err
    for ds in wl.data_spaces:
        words = math.prod(sum(c * (wl.bound(d) - 1) for d, c in rank) + 1
                          for rank in ds.projection)
        if words > MAX_MAPPER_WORDS:
            err = MapperError(f"data space {ds.name} has {words:.3g} elements, above the "
                              "2**50 the mapper's integer model represents",
                              hint="evaluate it with `loopnest model` and a given mapping")
            raise err.located(inst) if isinstance(inst, dict) else err


def check_mapper_options(design: Any) -> None:
    """The `mapper:` section: known metrics, numbers where numbers are expected."""
    from loopnest.mapper.objective import parse_metrics

    mo = (design.native or {}).get("mapper")
    if not isinstance(mo, dict):
        return
    try:
        parse_metrics(mo)
    except LoopnestError as e:
        key = "optimization_metrics" if "optimization_metrics" in mo else "optimization_metric"
        raise e.located(mo, key if key in mo else None) from None
    for key in ("timeout", "num_threads", "victory_condition", "search_size"):
        v = mo.get(key)
        if v is None:
            continue
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not ok:
            file, line, path = where(mo, key)
            raise ValidationError(f"mapper.{key} must be a number, got {v!r}", file=file,
                                  line=line, path=path, hint="give a number (or remove it)")
