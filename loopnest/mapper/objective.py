"""Optimization metrics and Timeloop's lexicographic comparison of results."""
from __future__ import annotations

from loopnest.errors import MapperError
from loopnest.model.result import Result

METRICS = ("energy", "delay", "edp", "last_level_accesses")
TOLERANCE = 1e-3  # Timeloop: 0.1 % relative tolerance per metric


def parse_metrics(options: dict) -> tuple[str, ...]:
    """`optimization_metrics` (list) or `optimization_metric` (scalar only, as in Timeloop)."""
    raw = options.get("optimization_metrics")
    if raw is None:
        single = options.get("optimization_metric")
        # Timeloop silently ignores a list under the singular key (-> edp).
        raw = [single] if isinstance(single, str) else ["edp"]
    if isinstance(raw, str):
        raw = [raw]
    out = []
    for m in raw:
        m = str(m).strip().lower().replace("-", "_")
        if m not in METRICS:
            raise MapperError(f"unknown optimization metric '{m}'",
                              hint=f"use one of {', '.join(METRICS)}")
        out.append(m)
    return tuple(out) or ("edp",)


def metric_value(result: Result, metric: str) -> float:
    """The value of one metric for a valid result (lower is better)."""
    if metric == "energy":
        return result.energy
    if metric == "delay":
        return float(result.cycles)
    if metric == "edp":
        return result.energy * result.cycles
    if metric == "last_level_accesses":
        lla = getattr(result, "last_level_accesses", None)
        if lla is not None:
            return float(lla)
        if not result.storage:
            return 0.0
        top = result.storage[-1]
        return float(sum((d.reads + d.fills + d.updates) * max(1, d.utilized_instances)
                         for d in top.dataspaces))
    raise MapperError(f"unknown optimization metric '{metric}'")


def cost(result: Result, metrics: tuple[str, ...]) -> tuple[float, ...]:
    """Cost vector of a result (inf for invalid results)."""
    if not result.valid:
        return tuple(float("inf") for _ in metrics)
    return tuple(metric_value(result, m) for m in metrics)


def better(a: tuple[float, ...], b: tuple[float, ...] | None) -> bool:
    """Timeloop's comparison: lexicographic with 0.1 % tolerance; ties keep the incumbent."""
    if b is None:
        return a[0] != float("inf")
    for x, y in zip(a, b):
        if x == y:
            continue
        if y == float("inf"):
            return True
        if x == float("inf"):
            return False
        scale = max(abs(x), abs(y), 1e-30)
        if abs(x - y) / scale <= TOLERANCE:
            continue
        return x < y
    return False


def strictly_less(a: tuple[float, ...], b: tuple[float, ...] | None) -> bool:
    """Exact lexicographic order (used inside local search, no tolerance)."""
    if b is None:
        return a[0] != float("inf")
    return a < b
