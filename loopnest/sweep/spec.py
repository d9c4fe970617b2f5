"""What a sweep explores: axes of variable values, fixed variables, and the list of points.

    parse_grid("pe_rows=8,16,32") -> Axis(("pe_rows",), ((8,), (16,), (32,)))
    parse_grid("glb_kib=64..256..64")       # a range: 64, 128, 192, 256 (stop included)
    parse_grid("glb_kib=32..512..*2")       # a geometric range: 32, 64, ..., 512
    parse_grid("pe_rows,pe_cols=8:8,16:32") # a zipped group: (8, 8), (16, 32)
    expand(axes, fixed) -> [Point(0, {...}), Point(1, {...}), ...]

Points are the cartesian product of the axes in the order given, the last axis
varying fastest (as nested loops would). A zipped group is one axis whose names vary
together. Values are YAML scalars (`8` -> 8, `true` -> True, `LPDDR4` -> "LPDDR4").
A name with a dot (`mapper.victory_condition`) is a `--set` path, not a Jinja2
variable. Reading `sweep.yaml` is in sweepfile.py.
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from loopnest.errors import SpecError

MAX_POINTS = 1_000_000  # a typo in a range should not build a billion points
_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_][\w\[\]]*|\[\d+\])*$")


@dataclass(frozen=True)
class Axis:
    """One dimension of the grid: names that vary together and their values, step by step."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]  # one tuple per step, one item per name
    source: str = ""  # where it was given (`--grid ...` or `sweep.yaml:7`), for messages


@dataclass(frozen=True)
class Point:
    """One design point: its place in the sweep and its variables (axes and fixed)."""

    index: int
    variables: dict[str, Any] = field(hash=False)
    swept: tuple[str, ...] = ()  # the names that vary across the sweep, in axis order

    def label(self) -> str:
        """`pe_rows=8 glb_kib=64`: the swept variables, for messages."""
        return " ".join(f"{k}={format_value(self.variables[k])}" for k in self.swept) \
            or "(the design as given)"


def format_value(v: Any) -> str:
    """A value as the CSV and messages show it (`True` -> true, 1e-9 stays 1e-09)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


def is_set_path(name: str) -> bool:
    """A dotted name (`architecture.nodes.buf.attributes.depth`) is a `--set` path."""
    return "." in name or "[" in name


def check_name(name: str, where: str) -> None:
    """A Jinja2 variable (identifier) or a `--set` path (dotted identifiers)."""
    if not _NAME.match(name or ""):
        raise SpecError(f"'{name}' is not a variable name", file=where or None,
                        hint="a Jinja2 variable (pe_rows) or a --set path "
                             "(architecture.nodes.global_buffer.attributes.depth)")


def _value(text: str) -> Any:
    from loopnest.spec.located import to_plain
    from loopnest.spec.overrides import parse_value

    return to_plain(parse_value(text.strip()))


def _range_parts(text: str) -> tuple[Any, Any, Any, Any] | None:
    """(start, stop, step, factor) when `text` is START..STOP[..STEP | ..*FACTOR] of
    numbers, else None (a plain value that happens to hold `..`, such as a path)."""
    parts = [p.strip() for p in text.split("..")]
    if len(parts) not in (2, 3):
        return None
    factor = parts[2][1:] if len(parts) == 3 and parts[2].startswith("*") else None
    texts = parts[:2] + ([factor] if factor is not None else parts[2:])
    nums = [_value(t) if t else None for t in texts]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in nums):
        return None
    if factor is not None:
        return nums[0], nums[1], None, nums[2]
    return nums[0], nums[1], (nums[2] if len(nums) == 3 else None), None


def numeric_range(start: Any, stop: Any, step: Any = None, factor: Any = None,
                  where: str = "") -> list[int | float]:
    """START..STOP by STEP (default 1) or times FACTOR; STOP is included when reached.
    Integers stay integers; floats are rounded to 12 digits (0.1 steps stay tidy)."""
    nums = [start, stop] + [x for x in (step, factor) if x is not None]
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in nums):
        raise SpecError("a range needs numbers for start, stop and step/factor", file=where or None)
    if step is not None and factor is not None:
        raise SpecError("a range takes a step or a factor, not both", file=where or None)
    out: list[int | float] = []
    if factor is not None:
        if not factor > 1 or not start > 0:
            raise SpecError(f"a geometric range needs a factor above 1 and a start above 0 "
                            f"(got start {start}, factor {factor})", file=where or None)
        x = start
        while x <= stop * (1 + 1e-12) and len(out) <= MAX_POINTS:
            out.append(_tidy(x))
            x = x * factor
    else:
        step = 1 if step is None else step
        if step <= 0:
            raise SpecError(f"a range's step must be above 0, got {step}", file=where or None,
                            hint="write ranges from low to high (START..STOP..STEP)")
        n = math.floor((stop - start) / step * (1 + 1e-12)) + 1 if stop >= start else 0
        if n > MAX_POINTS:
            raise SpecError(f"the range has {n} values", file=where or None,
                            hint=f"at most {MAX_POINTS} points in a sweep")
        out = [_tidy(start + i * step) for i in range(n)]
    if not out:
        raise SpecError(f"the range {start}..{stop} is empty", file=where or None,
                        hint="the stop must not be below the start")
    return out


def _tidy(x: int | float) -> int | float:
    return x if isinstance(x, int) else float(f"{x:.12g}")


def parse_values(text: str, where: str) -> list[Any]:
    """`8,16,32` or a range (`64..256..64`, `32..512..*2`) into values."""
    if not text.strip():
        raise SpecError("no values given", file=where or None, hint="e.g. --grid pe_rows=8,16,32")
    rng = _range_parts(text) if "," not in text else None
    if rng is not None:
        start, stop, step, factor = rng
        return numeric_range(start, stop, step=step, factor=factor, where=where)
    items = text.split(",")
    if any(not x.strip() for x in items):
        raise SpecError(f"an empty value in '{text}'", file=where or None,
                        hint="values are separated by single commas: 8,16,32")
    return [_value(x) for x in items]


def parse_grid(item: str) -> Axis:
    """One `--grid NAME=VALUES` (or `NAME,NAME=A:B,C:D` for names that vary together)."""
    where = f"--grid {item}"
    if "=" not in item:
        raise SpecError(f"--grid '{item}' is not NAME=VALUES",
                        hint="e.g. --grid pe_rows=8,16,32 or --grid glb_kib=64..256..64")
    lhs, rhs = item.split("=", 1)
    names = tuple(n.strip() for n in lhs.split(","))
    for n in names:
        check_name(n, where)
    if len(names) == 1:
        return Axis(names, tuple((v,) for v in parse_values(rhs, where)), where)
    steps = []
    for group in rhs.split(","):
        parts = group.split(":")
        if len(parts) != len(names) or any(not p.strip() for p in parts):
            raise SpecError(f"'{group}' does not give one value for each of "
                            f"{', '.join(names)}", file=where or None,
                            hint=f"each step gives every name a value, colon-separated: "
                                 f"--grid {lhs}=" + ",".join(":".join([v] * len(names))
                                                             for v in ("8", "16")))
        steps.append(tuple(_value(p) for p in parts))
    return Axis(names, tuple(steps), where)


def zip_axis(names: list[str], columns: list[list[Any]], where: str) -> Axis:
    """Names that vary together from one list per name (all the same length)."""
    lengths = {len(c) for c in columns}
    if len(lengths) != 1:
        raise SpecError("the variables of a zipped group need lists of one length, got "
                        + ", ".join(f"{n}: {len(c)}" for n, c in zip(names, columns)),
                        file=where or None, hint="each step of the group takes the i-th value of "
                        "every list")
    return Axis(tuple(names), tuple(zip(*columns)), where)


def check_axes(axes: Iterable[Axis], fixed: dict[str, Any]) -> None:
    """No name swept twice or both swept and fixed; every axis has a value."""
    seen: dict[str, str] = {}
    for ax in axes:
        if not ax.values:
            raise SpecError(f"{', '.join(ax.names)} has no values", file=ax.source or None)
        if len({repr(v) for v in ax.values}) != len(ax.values):
            twice = next(v for i, v in enumerate(ax.values) if v in ax.values[:i])
            raise SpecError(f"{', '.join(ax.names)}: the value "
                            f"{':'.join(format_value(x) for x in twice)} is given twice",
                            file=ax.source or None, hint="each point once: drop the repeat")
        for n in ax.names:
            if n in seen:
                raise SpecError(f"'{n}' is swept twice", file=ax.source or None,
                                hint=f"also given by {seen[n]}")
            if n in fixed:
                raise SpecError(f"'{n}' is both swept and fixed", file=ax.source or None,
                                hint="drop its --var / fixed value, or its values")
            seen[n] = ax.source or "another axis"


def expand(axes: list[Axis], fixed: dict[str, Any] | None = None) -> list[Point]:
    """Every point of the grid, in order (the last axis varies fastest)."""
    fixed = dict(fixed or {})
    check_axes(axes, fixed)
    total = math.prod(len(ax.values) for ax in axes)
    if total > MAX_POINTS:
        raise SpecError(f"the sweep has {total} points", hint=f"at most {MAX_POINTS}")
    swept = tuple(n for ax in axes for n in ax.names)
    points = []
    for i, steps in enumerate(itertools.product(*(ax.values for ax in axes))):
        variables = dict(fixed)
        for ax, step in zip(axes, steps):
            variables.update(zip(ax.names, step))
        points.append(Point(i, variables, swept))
    return points


DEFAULT_METRICS = ("energy_pJ", "latency_s", "area_um2")  # the Pareto objectives


@dataclass
class SweepSpec:
    """A whole sweep, from the command line or a sweep file (plain values)."""

    files: list[str] = field(default_factory=list)  # design files, template first
    arch: str | None = None  # a bundled accelerator whose files come before `files`
    network: str | None = None  # bundled name, manifest, folder or one problem file
    problems: list[str] = field(default_factory=list)  # or: problem files, one layer each
    axes: list[Axis] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)
    evaluations: int | None = None  # candidates per layer (None: the files', else the network default)
    timeout: float | None = None  # seconds of search per layer instead
    seed: int = 0
    metrics: tuple[str, ...] = DEFAULT_METRICS
    source: str | None = None  # the sweep file, when there is one

    def points(self) -> list[Point]:
        """The grid's points with the fixed variables."""
        return expand(self.axes, self.fixed)

    @property
    def swept(self) -> list[str]:
        return [n for ax in self.axes for n in ax.names]
