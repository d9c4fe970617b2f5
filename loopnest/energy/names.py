"""Component names with ranges: `PE[0..4]`, `storage[1..width*depth]`, `PE[3]`.

Accelergy declares N identical copies as `name[lo..hi]` (inclusive, so N =
hi - lo + 1) and an action counts file names one copy as `name[i]`; the range
bounds may be expressions over the attributes in scope.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

_SPLIT = re.compile(r"^\s*([^\[\]]+?)\s*(?:\[(.*)\])?\s*$")


def split_name(name: str) -> tuple[str, str | None]:
    """`storage[1..N]` -> ('storage', '1..N'); `GLB` -> ('GLB', None)."""
    m = _SPLIT.match(str(name))
    if not m:
        return str(name), None
    return m.group(1), m.group(2)


def parse_range(spec: str | None, evaluate: Callable[[str], Any] | None = None
                ) -> tuple[int, int] | None:
    """'0..4' -> (0, 4); '3' -> (3, 3); None -> None. Bounds may be expressions."""
    if spec is None:
        return None
    parts = spec.split("..")

    def num(t: str) -> int:
        t = t.strip()
        try:
            return int(t)
        except ValueError:
            if evaluate is None:
                raise
            v = evaluate(t)
            return int(round(float(v)))

    if len(parts) == 1:
        i = num(parts[0])
        return i, i
    if len(parts) == 2:
        return num(parts[0]), num(parts[1])
    raise ValueError(f"bad range '[{spec}]'")


def count_of(name: str, evaluate: Callable[[str], Any] | None = None) -> int:
    """Number of copies a (possibly ranged) name denotes."""
    base, spec = split_name(name)
    r = parse_range(spec, evaluate)
    if r is None:
        return 1
    return max(0, r[1] - r[0] + 1)


def render_range(base: str, r: tuple[int, int] | None, single: bool = False) -> str:
    """`base[lo..hi]`; `base[i]` when `single` (the source named one index)."""
    if r is None:
        return base
    if single and r[0] == r[1]:
        return f"{base}[{r[0]}]"
    return f"{base}[{r[0]}..{r[1]}]"


def part_matches(query: str, table: str) -> bool:
    """`PE[3]` matches `PE[0..4]` and `PE`; `PE` matches `PE[0..4]`."""
    qb, qs = split_name(query)
    tb, ts = split_name(table)
    if qb != tb:
        return False
    if qs is None or ts is None:
        return True
    try:
        q = parse_range(qs)
        t = parse_range(ts)
    except ValueError:
        return qs == ts
    return t[0] <= q[0] and q[1] <= t[1]


def split_dotted(name: str) -> list[str]:
    """`sys.PE[0..4].buf` -> ['sys', 'PE[0..4]', 'buf'] (dots inside [] are kept)."""
    parts, depth, cur = [], 0, []
    for ch in str(name):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == "." and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def name_matches(query: str, table: str) -> bool:
    """Dotted-name match used for action counts -> ERT (`sys.PE[3].buf` ~ `sys.PE[0..4].buf`)."""
    qp, tp = split_dotted(query), split_dotted(table)
    return len(qp) == len(tp) and all(part_matches(a, b) for a, b in zip(qp, tp))


def scope_evaluator(scope: Mapping[str, Any]) -> Callable[[str], Any]:
    from loopnest.energy.expr import evaluate

    return lambda text: evaluate(text, scope)
