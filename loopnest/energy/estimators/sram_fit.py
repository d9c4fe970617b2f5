"""Fit the SRAM model (a smooth trend, a size table per node and bank count,
and the grid runs) from CACTI runs.

Used by `benchmarks/fit_energy_models.py` to write `_sram_fit.py`; the model
form is described in `sram.py`. This module estimates its parameters and
holds the pure-Python pieces both sides share (regressors, knots, table
encoding):

* trend: ln(q) = c . features(width, depth, node, banks), ordinary least
  squares over a dense random sample of CACTI runs at the CACTI nodes;
* size table: the residual ln(q) - trend as a bilinear function of
  (log2 width, log2 rows per bank) on TABLE_X x TABLE_Y knots, one table per
  node and bank count, fitted by least squares with a curvature penalty and
  a small ridge (knots without data follow their neighbours, then the
  trend); an optional L_p reweighting of the relative error (p > 2) leans
  towards the middle of CACTI's organisation jumps rather than their mean;
* grid table: at the power-of-two sizes of the reference grid, the
  remaining ln(CACTI) - (trend + size table), applied only at and within
  GRID_WINDOW of those sizes (`sram.py`).
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

GRID_WIDTHS: tuple[int, ...] = (32, 64, 128, 256, 512)
GRID_DEPTHS: tuple[int, ...] = tuple(64 * 2 ** i for i in range(11))
GRID_NODES: tuple[float, ...] = (22.0, 32.0, 45.0, 65.0)
GRID_BANKS: tuple[int, ...] = (1, 2, 4, 8)
QUANTITIES: tuple[str, ...] = ("read", "write", "area", "leak")

# Size-table knots: log2 width (32..512 every half octave, then 1024, 2048) and
# log2 rows per bank (32..65536 every half octave).
TABLE_X: tuple[float, ...] = tuple(5.0 + 0.5 * i for i in range(9)) + (10.0, 11.0)
TABLE_Y: tuple[float, ...] = tuple(5.0 + 0.5 * i for i in range(23))
# The grid correction fades linearly to zero 1 % away from a grid depth
# (log2(1.01)); it applies at grid widths only.
GRID_WINDOW = math.log2(1.01)

TABLE_STEP = 2e-4  # ln units per int16 step of an encoded size table (range +-6.5)
GRID_STEP = 1e-4   # ln units per int16 step of an encoded grid table
_NONE16 = -32768

# Size tables: quantity -> node -> banks -> flat row-major list over
# TABLE_X x TABLE_Y. Grid tables: quantity -> node -> banks -> flat list over
# GRID_WIDTHS x GRID_DEPTHS (None where the reference grid has no run).
Tables = dict[str, dict[float, dict[int, list[float]]]]
GridTables = dict[str, dict[float, dict[int, list[float | None]]]]


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


def bracket(grid: Sequence[float], v: float) -> tuple[int, float]:
    """Cell index and fraction of `v` on `grid`, clamped to the ends."""
    if v <= grid[0]:
        return 0, 0.0
    if v >= grid[-1]:
        return len(grid) - 2, 1.0
    lo, hi = 0, len(grid) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if grid[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo, (v - grid[lo]) / (grid[lo + 1] - grid[lo])


def table_value(table: Sequence[float], x: float, y: float) -> float:
    """Bilinear interpolation of a flat TABLE_X x TABLE_Y table, clamped."""
    i, ax = bracket(TABLE_X, x)
    j, ay = bracket(TABLE_Y, y)
    ny = len(TABLE_Y)
    return ((1 - ax) * ((1 - ay) * table[i * ny + j] + ay * table[i * ny + j + 1])
            + ax * ((1 - ay) * table[(i + 1) * ny + j] + ay * table[(i + 1) * ny + j + 1]))


def encode(values: Sequence[float | None], step: float) -> str:
    """Values as base64 little-endian int16 in `step` units (None allowed)."""
    raw = bytearray()
    for v in values:
        n = _NONE16 if v is None else round(v / step)
        if v is not None and not -32767 <= n <= 32767:
            raise ValueError(f"table value {v} out of the int16 range at step {step}")
        raw += int(n).to_bytes(2, "little", signed=True)
    return base64.b64encode(bytes(raw)).decode()


def decode(text: str, step: float) -> list[float | None]:
    """Inverse of `encode`."""
    raw = base64.b64decode(text)
    out: list[float | None] = []
    for k in range(0, len(raw), 2):
        n = int.from_bytes(raw[k:k + 2], "little", signed=True)
        out.append(None if n == _NONE16 else n * step)
    return out


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
    """Parameters of the SRAM model: trend coefficients, size tables, grid tables."""

    trend: dict[str, list[float]]
    table: Tables
    grid: GridTables


def _hat(v, knots):
    import numpy as np

    k = np.asarray(knots, float)
    v = np.clip(np.asarray(v, float), k[0], k[-1])
    i = np.clip(np.searchsorted(k, v, side="right") - 1, 0, len(k) - 2)
    a = (v - k[i]) / (k[i + 1] - k[i])
    h = np.zeros((len(v), len(k)))
    h[np.arange(len(v)), i] = 1 - a
    h[np.arange(len(v)), i + 1] += a
    return h


def _curvature(knots):
    """Second differences on non-uniform knots, scaled to approximate the
    integral of the squared second derivative."""
    import numpy as np

    k = np.asarray(knots, float)
    rows = []
    for i in range(1, len(k) - 1):
        h1, h2 = k[i] - k[i - 1], k[i + 1] - k[i]
        s = 2 / (h1 + h2)
        r = np.zeros(len(k))
        r[i - 1], r[i], r[i + 1] = s / h1, -s * (1 / h1 + 1 / h2), s / h2
        rows.append(r * math.sqrt((h1 + h2) / 2))
    return np.array(rows).reshape(-1, len(k))


def _fit_table(xs, ys, r, smooth: float, ridge: float, p: float, iters: int):
    """Size-table values minimising sum |exp(pred - r) - 1|^p (p = 2: least
    squares on ln) + smooth |curvature|^2 + ridge |values|^2."""
    import numpy as np

    nx, ny = len(TABLE_X), len(TABLE_Y)
    b = (_hat(xs, TABLE_X)[:, :, None] * _hat(ys, TABLE_Y)[:, None, :]).reshape(len(r), -1)
    pen = np.vstack([np.kron(_curvature(TABLE_X), np.eye(ny)),
                     np.kron(np.eye(nx), _curvature(TABLE_Y))])
    n = len(r)
    reg = np.vstack([math.sqrt(smooth * n) * pen, math.sqrt(ridge * n) * np.eye(nx * ny)])
    zeros = np.zeros(reg.shape[0])
    sol = np.linalg.lstsq(np.vstack([b, reg]), np.concatenate([r, zeros]), rcond=None)[0]
    for _ in range(iters if p > 2 else 0):
        e = b @ sol - r                      # ln(prediction / CACTI)
        g, s = np.expm1(e), np.exp(e)
        wt = np.maximum(np.abs(g), 1e-2) ** (p - 2)
        wt *= len(wt) / wt.sum()
        sw = np.sqrt(wt) * s                 # Gauss-Newton step on the relative error
        target = r + e - g / s
        new = np.linalg.lstsq(np.vstack([b * sw[:, None], reg]),
                              np.concatenate([target * sw, zeros]), rcond=None)[0]
        sol = 0.5 * (sol + new)
    return [float(v) for v in sol]


def _sb(banks: float) -> int:
    return 2 ** math.ceil(math.log2(banks) - 1e-9)


def fit(runs: Iterable[Run], grid_runs: Iterable[Run] = (), *, smooth: float = 1e-2,
        ridge: float = 1e-4, p: float = 2.0, iters: int = 6) -> SRAMFit:
    """Fit the trend and size tables to `runs` (CACTI-sized arrays at the CACTI
    nodes: width a multiple of 8 >= 32, banks a power of two) and the grid
    tables to `grid_runs` (power-of-two sizes)."""
    import numpy as np

    runs = list(runs)
    F = np.array([features(r.width, r.depth, r.tech_nm, r.banks) for r in runs])
    xs = np.array([math.log2(r.width) for r in runs])
    ys = np.array([math.log2(r.depth / _sb(r.banks)) for r in runs])
    cell = [(r.tech_nm, _sb(r.banks)) for r in runs]
    out = SRAMFit(trend={}, table={}, grid={})
    for q in QUANTITIES:
        y = np.log([r.values[q] for r in runs])
        c = np.linalg.lstsq(F, y, rcond=None)[0]
        out.trend[q] = [float(v) for v in c]
        resid = y - F @ c
        tq: dict[float, dict[int, list[float]]] = {}
        for node in GRID_NODES:
            for banks in GRID_BANKS:
                s = np.array([k == (node, banks) for k in cell])
                if s.sum() >= 8:
                    tq.setdefault(node, {})[banks] = _fit_table(
                        xs[s], ys[s], resid[s], smooth, ridge, p, iters)
        out.table[q] = tq
    fitted = SRAMFit(out.trend, out.table, {})
    grid = {(r.tech_nm, r.banks, r.width, r.depth): r for r in grid_runs}
    for q in QUANTITIES:
        gq: dict[float, dict[int, list[float | None]]] = {}
        for node in GRID_NODES:
            for banks in GRID_BANKS:
                vals: list[float | None] = []
                for w in GRID_WIDTHS:
                    for d in GRID_DEPTHS:
                        r = grid.get((node, banks, w, d))
                        vals.append(None if r is None else
                                    math.log(r.values[q]) - smooth_ln(fitted, q, w, d, node, banks))
                if any(v is not None for v in vals):
                    gq.setdefault(node, {})[banks] = vals
        out.grid[q] = gq
    return out


def smooth_ln(fit: SRAMFit, q: str, w: float, d: float, node: float, banks: int) -> float:
    """ln of the trend plus size table for a CACTI-sized array at a CACTI node."""
    ln = sum(a * b for a, b in zip(fit.trend[q], features(w, d, node, banks)))
    tab = fit.table[q].get(node, {}).get(banks)
    if tab is not None:
        ln += table_value(tab, math.log2(w), math.log2(d / banks))
    return ln
