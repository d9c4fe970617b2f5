"""v0.4 constraint macros (FORMATS §5.4), expanded on a node's `constraints` dict.

`factors_only`, `no_iteration_over_dataspaces`, `must_iterate_over_dataspaces`
become explicit `=1` factors; `keep_only` / `bypass_only` become keep + bypass
lists; `"*"` in a data-space list means all data spaces; `maximize_dims`
picks fixed factors that fill a capacity (spatial: the node's fan-out). Our
`maximize_dims` uses exact divisors only and, per group, the largest product
that fits (ties: earlier dims larger); timeloopfe's greedy may also pick an
imperfect factor — documented in docs/spec.md.
"""
from __future__ import annotations

import itertools
import re
from typing import Any

from loopnest.errors import ValidationError
from loopnest.spec.hints import closest_hint
from loopnest.spec.located import LocList, where

_FACTOR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|=|<|>)?\s*(-?\d+)?(?:,\d+)?\s*$")
# A residual (`P=20,17`, Timeloop's imperfect factor) is `,<digits>` right after the number.
_RESIDUAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
DS_KEYS = ("keep", "bypass", "keep_only", "bypass_only", "no_coalesce", "no_reuse",
           "no_temporal_reuse", "no_link_transfer", "rmw_first_update")


class ProblemInfo:
    """What macros need from the problem: dims, bounds, data spaces and their dims."""

    def __init__(self, problem: Any) -> None:
        shape = (problem or {}).get("shape") or {}
        shape = shape if isinstance(shape, dict) else {}
        self.dims = [str(d) for d in (shape.get("dimensions") or [])]
        inst = (problem or {}).get("instance") or {}
        self.bounds = {d: inst.get(d, 1) for d in self.dims}
        self.ds_dims: dict[str, set[str]] = {}
        for ds in shape.get("data_spaces") or []:
            if isinstance(ds, dict) and "name" in ds:
                self.ds_dims[str(ds["name"])] = _proj_dims(ds.get("projection"), self.dims)

    @property
    def data_spaces(self) -> list[str]:
        return list(self.ds_dims)


def _proj_dims(proj: Any, dims: list[str]) -> set[str]:
    out: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, str) and x in dims:
            out.add(x)

    walk(proj)
    return out


def factor_items(factors: Any) -> list[str]:
    """Factors as a list of `D=n` style strings (list, or string split on commas/spaces)."""
    if factors is None:
        return []
    if isinstance(factors, (list, tuple)):
        out: list[str] = []
        for f in factors:
            for s in (factor_items(f) if isinstance(f, (list, tuple)) else _split_items(str(f))):
                # a bare number after a factor is its residual (the front end joins lists
                # with commas, so [P=20, 17] reads as P=20,17)
                if s.isdigit() and out and out[-1][-1:].isdigit() and "," not in out[-1]:
                    out[-1] += "," + s
                else:
                    out.append(s)
        return out
    text = str(factors).split("#")[0]
    text = re.sub(r"\s*(<=|>=|=|<|>)\s*", r"\1", text)
    return _split_items(text)


def _split_items(text: str) -> list[str]:
    """Split on commas and spaces, keeping a residual (`P=20,17`) with its factor."""
    text = _RESIDUAL_COMMA.sub("\0", text)
    return [s.replace("\0", ",") for s in re.split(r"[,\s]+", text) if s]


def factor_residual(item: str) -> int | None:
    """The residual of a factor item (`P=20,17` -> 17), None without one."""
    m = re.search(r"\d,(\d+)\s*$", item)
    return int(m.group(1)) if m else None


def split_factor(item: str) -> tuple[str, str, int | None] | None:
    """`R=3` -> ('R', '=', 3); `R3` -> ('R', '=', 3); `C<=4` -> ('C', '<=', 4)."""
    m = _FACTOR.match(item)
    if m:
        op = m.group(2) or ("=" if m.group(3) is not None else "")
        val = int(m.group(3)) if m.group(3) is not None else None
        name = m.group(1)
        if not m.group(2) and val is None:
            m2 = re.match(r"^([A-Za-z])(\d+)(?:,\d+)?$", item.strip())
            if m2:
                return m2.group(1), "=", int(m2.group(2))
        return name, op, val
    m2 = re.match(r"^\s*([A-Za-z])(\d+)(?:,\d+)?\s*$", item)
    if m2:
        return m2.group(1), "=", int(m2.group(2))
    return None


def _names_in(items: list[str]) -> set[str]:
    out = set()
    for it in items:
        sp = split_factor(it)
        if sp:
            out.add(sp[0])
    return out


def _ds_list(node: Any, key: str, prob: ProblemInfo) -> list[str]:
    val = node.get(key)
    vals = [val] if isinstance(val, str) else list(val or [])
    out: list[str] = []
    for v in vals:
        v = str(v)
        if v == "*":
            out.extend(d for d in prob.data_spaces if d not in out)
            continue
        if prob.ds_dims and v not in prob.ds_dims:
            file, line, path = where(node, key)
            raise ValidationError(f"unknown data space '{v}'", file=file, line=line, path=path,
                                  hint=closest_hint(v, prob.data_spaces, "data space"))
        if v not in out:
            out.append(v)
    return out


def expand_iteration(c: Any, prob: ProblemInfo, spatial_capacity: int | None) -> None:
    """Expand macros of a temporal/spatial constraint dict in place."""
    items = factor_items(c.get("factors"))
    extra: list[str] = []
    if "factors_only" in c:
        only = factor_items(c.pop("factors_only"))
        items += [f for f in only if f not in items]
        names = _names_in(items)
        extra += [f"{d}=1" for d in prob.dims if d not in names]
    for key, inside in (("no_iteration_over_dataspaces", True),
                        ("must_iterate_over_dataspaces", False)):
        if key in c:
            dss = _ds_list(c, key, prob)
            c.pop(key)
            touched = set().union(*(prob.ds_dims.get(d, set()) for d in dss)) if dss else set()
            chosen = touched if inside else set(prob.dims) - touched
            names = _names_in(items + extra)
            extra += [f"{d}=1" for d in prob.dims if d in chosen and d not in names]
    if "maximize_dims" in c:
        groups = c.pop("maximize_dims") or []
        cap = c.pop("maximize_dims_capacity", None)
        if cap is None:
            cap = spatial_capacity
        if groups and cap is None:
            file, line, path = where(c, "maximize_dims")
            raise ValidationError("maximize_dims in a temporal constraint needs "
                                  "maximize_dims_capacity", file=file, line=line, path=path,
                                  hint="add maximize_dims_capacity: <max loop iterations>")
        if groups and isinstance(groups[0], str):
            groups = [groups]
        extra += _maximize(groups, int(cap or 1), items + extra, prob)
    else:
        c.pop("maximize_dims_capacity", None)
    if extra or "factors" in c:
        c["factors"] = LocList(items + extra, file=getattr(c, "file", None),
                               line=getattr(c, "line", None))


def _maximize(groups: list, capacity: int, items: list[str], prob: ProblemInfo) -> list[str]:
    fixed: dict[str, int] = {}
    for it in items:
        sp = split_factor(it)
        if sp and sp[1] == "=" and sp[2]:
            fixed[sp[0]] = sp[2]
    for v in fixed.values():
        capacity //= max(v, 1)
    out: list[str] = []
    for group in groups:
        dims = [str(d) for d in group if str(d) not in fixed]
        choices = [[x for x in range(1, int(prob.bounds.get(d, 1)) + 1)
                    if int(prob.bounds.get(d, 1)) % x == 0 and x <= capacity] for d in dims]
        best, best_key = None, None
        for combo in itertools.islice(itertools.product(*choices), 200000):
            p = 1
            for x in combo:
                p *= x
            if p > capacity:
                continue
            key = (p, combo)
            if best_key is None or key > best_key:
                best, best_key = combo, key
        for d, x in zip(dims, best or [1] * len(dims)):
            fixed[d] = x
            out.append(f"{d}={x}")
            capacity //= x
    return out


def expand_dataspace(c: Any, prob: ProblemInfo) -> None:
    """keep_only / bypass_only / '*' in a dataspace constraint dict, in place."""
    for key in ("keep", "bypass", "no_coalesce"):
        if key in c:
            c[key] = LocList(_ds_list(c, key, prob), file=getattr(c, "file", None),
                             line=getattr(c, "line", None))
    if "keep_only" in c:
        keep = _ds_list(c, "keep_only", prob)
        c.pop("keep_only")
        c["keep"] = LocList(_union(c.get("keep"), keep))
        c["bypass"] = LocList(_union(c.get("bypass"), [d for d in prob.data_spaces
                                                       if d not in keep]))
    if "bypass_only" in c:
        byp = _ds_list(c, "bypass_only", prob)
        c.pop("bypass_only")
        c["bypass"] = LocList(_union(c.get("bypass"), byp))
        c["keep"] = LocList(_union(c.get("keep"), [d for d in prob.data_spaces if d not in byp]))


def _union(a: Any, b: list) -> list:
    out = list(a or [])
    out += [x for x in b if x not in out]
    return out
