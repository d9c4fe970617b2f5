"""Fit the SRAM model (a smooth trend plus a grid correction) from CACTI runs.

Used by `benchmarks/fit_energy_models.py` to write `_sram_fit.py`, and by
`benchmarks/energy_accuracy.py` to refit without held-out points. The model
form is described in `sram.py`; this module only estimates its parameters:

* trend: ln(q) = c . features(width, depth, node, banks), ordinary least
  squares (numpy) over every CACTI run, one coefficient vector per quantity;
* correction: the residual ln(q) - trend at each CACTI grid point, kept per
  node and bank count on the width x depth grid. A grid point missing from the
  fit data is completed from the same size at the other nodes (CACTI picks
  the same array organisation for a size at every node), else from the
  midpoint of its two grid neighbours in width or depth, else from its one
  available neighbour, else left at 0 (trend only).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

GRID_WIDTHS: tuple[int, ...] = (32, 64, 128, 256, 512)
GRID_DEPTHS: tuple[int, ...] = tuple(64 * 2 ** i for i in range(11))
GRID_NODES: tuple[float, ...] = (22.0, 32.0, 45.0, 65.0)
GRID_BANKS: tuple[int, ...] = (1, 2, 4, 8)
QUANTITIES: tuple[str, ...] = ("read", "write", "area", "leak")

# Residual table: quantity -> node -> banks -> rows over GRID_WIDTHS of values
# over GRID_DEPTHS (None where CACTI has no such array, e.g. depth < 64 x banks).
Table = dict[str, dict[float, dict[int, list[list[float | None]]]]]


def features(width: float, depth: float, tech_nm: float, banks: float) -> list[float]:
    """Regressors of the trend: a cubic in log2 width and log2 depth whose
    coefficients vary linearly in ln(node), plus ln(node)^2 and bank terms."""
    x = math.log2(width) - 7.0
    y = math.log2(depth) - 10.0
    z = math.log(tech_nm / 40.0)
    k = math.log2(banks)
    cols: list[float] = []
    for i in range(4):
        for j in range(4 - i):
            base = x ** i * y ** j
            cols.append(base)
            cols.append(base * z)
    cols += [z * z, z * z * x, z * z * y, k, k * x, k * y, k * z, k * k]
    return cols


@dataclass(frozen=True)
class Run:
    """One CACTI run: the array and its four results (pJ, pJ, um^2, W)."""

    width: int
    depth: int
    tech_nm: float
    banks: int
    values: Mapping[str, float] = field(default_factory=dict)


@dataclass
class SRAMFit:
    """Parameters of the SRAM model: trend coefficients and residual tables."""

    trend: dict[str, list[float]]
    resid: Table


def _lstsq(rows: Sequence[Sequence[float]], y: Sequence[float]) -> list[float]:
    import numpy as np

    coef, *_ = np.linalg.lstsq(np.asarray(rows, float), np.asarray(y, float), rcond=None)
    return [float(c) for c in coef]


def _complete(raw: dict[tuple[float, int, int, int], float], node: float, banks: int,
              w: int, d: int) -> float | None:
    """Residual at a grid point missing from the fit data (see module doc)."""
    others = [raw[(n, banks, w, d)] for n in GRID_NODES if (n, banks, w, d) in raw]
    if others:
        return sum(others) / len(others)
    wi, di = GRID_WIDTHS.index(w), GRID_DEPTHS.index(d)
    pairs = []
    if 0 < wi < len(GRID_WIDTHS) - 1:
        pairs.append(((node, banks, GRID_WIDTHS[wi - 1], d), (node, banks, GRID_WIDTHS[wi + 1], d)))
    if 0 < di < len(GRID_DEPTHS) - 1:
        pairs.append(((node, banks, w, GRID_DEPTHS[di - 1]), (node, banks, w, GRID_DEPTHS[di + 1])))
    mids = [0.5 * (raw[a] + raw[b]) for a, b in pairs if a in raw and b in raw]
    if mids:
        return sum(mids) / len(mids)
    near = [raw[k] for k in (
        (node, banks, GRID_WIDTHS[wi - 1], d) if wi > 0 else None,
        (node, banks, GRID_WIDTHS[wi + 1], d) if wi < len(GRID_WIDTHS) - 1 else None,
        (node, banks, w, GRID_DEPTHS[di - 1]) if di > 0 else None,
        (node, banks, w, GRID_DEPTHS[di + 1]) if di < len(GRID_DEPTHS) - 1 else None)
        if k in raw]
    return sum(near) / len(near) if near else None


def fit(runs: Iterable[Run], digits: int = 4) -> SRAMFit:
    """Fit trend and residual tables to CACTI runs (on-grid sizes, 1-8 banks)."""
    runs = list(runs)
    feats = [features(r.width, r.depth, r.tech_nm, r.banks) for r in runs]
    trend: dict[str, list[float]] = {}
    resid: Table = {}
    for q in QUANTITIES:
        c = _lstsq(feats, [math.log(r.values[q]) for r in runs])
        trend[q] = c
        raw = {}
        for r, f in zip(runs, feats):
            raw[(r.tech_nm, r.banks, r.width, r.depth)] = (
                math.log(r.values[q]) - sum(a * b for a, b in zip(c, f)))
        tq: dict[float, dict[int, list[list[float | None]]]] = {}
        for node in GRID_NODES:
            for banks in GRID_BANKS:
                grid = []
                for w in GRID_WIDTHS:
                    row: list[float | None] = []
                    for d in GRID_DEPTHS:
                        if d < 64 * banks:
                            row.append(None)
                            continue
                        v = raw.get((node, banks, w, d))
                        if v is None:
                            v = _complete(raw, node, banks, w, d)
                        row.append(None if v is None else round(v, digits))
                    grid.append(row)
                if any(v is not None for row in grid for v in row):
                    tq.setdefault(node, {})[banks] = grid
        resid[q] = tq
    return SRAMFit(trend=trend, resid=resid)
