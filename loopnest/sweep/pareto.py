"""The Pareto front: points no other point beats on every metric at once.

    front(values) -> indices of the non-dominated rows (all metrics minimized)
    pareto_rows(rows, metrics) -> the sweep.csv rows on the front, in point order

Point a dominates b when a is no worse on every metric and better on at least one.
Failed points (and points lacking a metric) are left out. Two points with the same
figures do not dominate each other: both stay. Metrics to maximize (utilization,
TOPS/W) are negated first.
"""
from __future__ import annotations

from typing import Sequence

# result column -> +1 minimize / -1 maximize
METRICS = {
    "energy_pJ": 1, "latency_s": 1, "cycles": 1, "edp_J_cycle": 1, "area_um2": 1,
    "pJ_per_MAC": 1, "utilization": -1, "tops_per_w": -1,
}


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a is no worse than b everywhere and better somewhere (all minimized)."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def front(values: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the non-dominated vectors, in input order. Sorting by the first metric
    first means a vector can only be dominated by one before it (or an equal one)."""
    order = sorted(range(len(values)), key=lambda i: tuple(values[i]))
    kept: list[int] = []
    for i in order:
        if not any(dominates(values[j], values[i]) for j in kept):
            kept.append(i)
    return sorted(kept)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def pareto_rows(rows: list[dict[str, str]], metrics: Sequence[str]) -> list[dict[str, str]]:
    """The ok rows of sweep.csv that no other ok row dominates over `metrics`."""
    candidates, vectors = [], []
    for row in rows:
        if row.get("status") != "ok":
            continue
        vec = [_number(row.get(m)) for m in metrics]
        if any(v is None for v in vec):
            continue
        candidates.append(row)
        vectors.append([METRICS.get(m, 1) * v for m, v in zip(metrics, vec)])
    return [candidates[i] for i in front(vectors)]
