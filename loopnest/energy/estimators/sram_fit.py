"""Fit the CACTI-node SRAM model (a smooth trend, a size table per node, bank
count and port count, and the grid runs) from CACTI runs, and load/save it.

Used by `benchmarks/fit_energy_models.py` to write the data file
`loopnest/energy/data/sram_cacti7.json.gz` (DATA_FILE: gzipped JSON, see
`to_data`); the model form is described in `sram.py`. This module estimates
its parameters and holds the pure-Python pieces both sides share (regressors,
knots, the data-file format):

* trend: ln(q) = c . features(width, depth, node, banks, ports), ordinary
  least squares over a dense random sample of CACTI runs at the CACTI nodes;
* size table: the residual ln(q) - trend as a bilinear function of
  (log2 width, log2 rows per bank) on TABLE_X x TABLE_Y knots, one table per
  node, bank count and port count, fitted by least squares with a curvature penalty and
  a small ridge (knots without data follow their neighbours, then the
  trend); an optional L_p reweighting of the relative error (p > 2) leans
  towards the middle of CACTI's organisation jumps rather than their mean;
* grid table: at the power-of-two sizes of the reference grid (and the
  same sizes run at 90 nm and with two ports), the remaining ln(CACTI) -
  (trend + size table), applied only at and within GRID_WINDOW of those
  sizes (`sram.py`).
"""
from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Iterable, Mapping, Sequence

GRID_WIDTHS: tuple[int, ...] = (32, 64, 128, 256, 512)
GRID_DEPTHS: tuple[int, ...] = tuple(64 * 2 ** i for i in range(11))
# The nodes the 2024 CACTI plug-in runs CACTI at (its `supported_technologies`).
GRID_NODES: tuple[float, ...] = (22.0, 32.0, 45.0, 65.0, 90.0)
GRID_BANKS: tuple[int, ...] = (1, 2, 4, 8)
GRID_PORTS: tuple[int, ...] = (1, 2, 3, 4)
# Read/write energy pJ, area um^2, leakage W (all banks), random cycle time ns.
QUANTITIES: tuple[str, ...] = ("read", "write", "area", "leak", "cycle")
DATA_FILE = "sram_cacti7.json.gz"  # in loopnest/energy/data
FORMAT = "loopnest-sram-fit/2"

# Size-table knots: log2 width (32..512 every half octave, then 1024, 2048) and
# log2 rows per bank (32..65536 every half octave).
TABLE_X: tuple[float, ...] = tuple(5.0 + 0.5 * i for i in range(9)) + (10.0, 11.0)
TABLE_Y: tuple[float, ...] = tuple(5.0 + 0.5 * i for i in range(23))
# The grid correction fades linearly to zero 1 % away from a grid depth
# (log2(1.01)); it applies at grid widths only.
GRID_WINDOW = math.log2(1.01)

TABLE_STEP = 2e-4  # ln units per integer step of a stored size table (int16 range: +-6.5)
GRID_STEP = 1e-4   # ln units per integer step of a stored grid table

# A table cell: (node nm, banks, read-write ports). Size tables: quantity ->
# cell -> flat row-major list over TABLE_X x TABLE_Y. Grid tables: quantity ->
# cell -> flat list over GRID_WIDTHS x GRID_DEPTHS (None where no grid run).
Cell = tuple[float, int, int]
Tables = dict[str, dict[Cell, list[float]]]
GridTables = dict[str, dict[Cell, list[float | None]]]


def features(width: float, depth: float, tech_nm: float, banks: float,
             ports: float = 1) -> list[float]:
    """Regressors of the trend: a cubic in log2 width and log2 depth whose
    coefficients vary linearly in ln(node), plus ln(node)^2, bank terms and
    port terms (quadratic in log2 ports, with width, depth, node and bank
    slopes; all zero for one port)."""
    x = math.log2(width) - 7.0
    y = math.log2(depth) - 10.0
    z = math.log(tech_nm / 40.0)
    k = math.log2(banks)
    p = math.log2(ports)
    cols: list[float] = []
    for i in range(4):
        for j in range(4 - i):
            base = x ** i * y ** j
            cols.append(base)
            cols.append(base * z)
    cols += [z * z, z * z * x, z * z * y, k, k * x, k * y, k * z, k * k]
    cols += [p, p * x, p * y, p * z, p * k, p * p, p * x * x, p * x * y, p * y * y,
             p * p * x, p * p * y, p * z * z]
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


@dataclass(frozen=True)
class Run:
    """One CACTI run: the array and its results (QUANTITIES: pJ, pJ, um^2,
    W of all banks, ns)."""

    width: int
    depth: int
    tech_nm: float
    banks: int
    values: Mapping[str, float] = field(default_factory=dict)
    ports: int = 1


@dataclass
class SRAMFit:
    """Parameters of the SRAM model: trend coefficients, size tables, grid tables."""

    trend: dict[str, list[float]]
    table: Tables
    grid: GridTables
    meta: dict[str, Any] = field(default_factory=dict)


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
    tables to `grid_runs` (power-of-two sizes). A quantity missing from a
    run's values is left out of that quantity's fit."""
    import numpy as np

    runs = list(runs)
    F = np.array([features(r.width, r.depth, r.tech_nm, r.banks, r.ports) for r in runs])
    xs = np.array([math.log2(r.width) for r in runs])
    ys = np.array([math.log2(r.depth / _sb(r.banks)) for r in runs])
    cell = [(r.tech_nm, _sb(r.banks), r.ports) for r in runs]
    cells = sorted(set(cell))
    out = SRAMFit(trend={}, table={}, grid={})
    for q in QUANTITIES:
        has = np.array([q in r.values for r in runs])
        if not has.any():
            continue
        y = np.log([r.values[q] if q in r.values else 1.0 for r in runs])
        c = np.linalg.lstsq(F[has], y[has], rcond=None)[0]
        out.trend[q] = [float(v) for v in c]
        resid = y - F @ c
        tq: dict[Cell, list[float]] = {}
        for key in cells:
            s = np.array([k == key for k in cell]) & has
            if s.sum() >= 8:
                tq[key] = _fit_table(xs[s], ys[s], resid[s], smooth, ridge, p, iters)
        out.table[q] = tq
    fitted = SRAMFit(out.trend, out.table, {})
    grid: dict[tuple, Run] = {}
    for r in grid_runs:
        grid.setdefault((r.tech_nm, r.banks, r.ports, r.width, r.depth), r)
    gcells = sorted({k[:3] for k in grid})
    for q in out.trend:
        gq: dict[Cell, list[float | None]] = {}
        for key in gcells:
            vals: list[float | None] = []
            for w in GRID_WIDTHS:
                for d in GRID_DEPTHS:
                    r = grid.get(key + (w, d))
                    vals.append(None if r is None or q not in r.values else
                                math.log(r.values[q]) - smooth_ln(fitted, q, w, d, *key))
            if any(v is not None for v in vals):
                gq[key] = vals
        out.grid[q] = gq
    return out


def smooth_ln(fit: SRAMFit, q: str, w: float, d: float, node: float, banks: int,
              ports: int = 1) -> float:
    """ln of the trend plus size table for a CACTI-sized array at a CACTI node."""
    ln = sum(a * b for a, b in zip(fit.trend[q], features(w, d, node, banks, ports)))
    tab = fit.table[q].get((node, banks, ports))
    if tab is not None:
        ln += table_value(tab, math.log2(w), math.log2(d / banks))
    return ln


# ------------------------------------------------------------------ data file

def _cell_key(cell: Cell) -> str:
    node, banks, ports = cell
    return f"{node:g}/{banks}/{ports}"


def _parse_cell(text: str) -> Cell:
    node, banks, ports = text.split("/")
    return float(node), int(banks), int(ports)


def _quantize(values: Sequence[float | None], step: float) -> list[int | None]:
    out: list[int | None] = []
    for v in values:
        n = None if v is None else round(v / step)
        if n is not None and not -32767 <= n <= 32767:
            raise ValueError(f"table value {v} out of the int16 range at step {step}")
        out.append(n)
    return out


def to_data(fit: SRAMFit) -> dict[str, Any]:
    """The JSON document of a fit: trend coefficients as floats, size and grid
    tables as integers in TABLE_STEP / GRID_STEP ln units (null: no grid run)."""
    return {
        "format": FORMAT,
        "meta": fit.meta,
        "quantities": list(fit.trend),
        "table_x": list(TABLE_X), "table_y": list(TABLE_Y),
        "grid_widths": list(GRID_WIDTHS), "grid_depths": list(GRID_DEPTHS),
        "table_step": TABLE_STEP, "grid_step": GRID_STEP,
        "trend": {q: [float(f"{c:.10g}") for c in v] for q, v in fit.trend.items()},
        "table": {q: {_cell_key(k): _quantize(v, TABLE_STEP) for k, v in t.items()}
                  for q, t in fit.table.items()},
        "grid": {q: {_cell_key(k): _quantize(v, GRID_STEP) for k, v in t.items()}
                 for q, t in fit.grid.items()},
    }


def from_data(doc: Mapping[str, Any]) -> SRAMFit:
    """Inverse of `to_data` (checks the format and the knots)."""
    if doc.get("format") != FORMAT:
        raise ValueError(f"SRAM fit data: expected format {FORMAT!r}, got {doc.get('format')!r}")
    for name, want in (("table_x", TABLE_X), ("table_y", TABLE_Y), ("grid_widths", GRID_WIDTHS),
                       ("grid_depths", GRID_DEPTHS), ("table_step", TABLE_STEP),
                       ("grid_step", GRID_STEP)):
        got = doc[name]
        if (list(got) if isinstance(got, list) else got) != (list(want) if isinstance(
                want, tuple) else want):
            raise ValueError(f"SRAM fit data: {name} does not match sram_fit.{name.upper()}")
    ts, gs = doc["table_step"], doc["grid_step"]
    return SRAMFit(
        trend={q: [float(c) for c in v] for q, v in doc["trend"].items()},
        table={q: {_parse_cell(k): [n * ts for n in v] for k, v in t.items()}
               for q, t in doc["table"].items()},
        grid={q: {_parse_cell(k): [None if n is None else n * gs for n in v]
                  for k, v in t.items()} for q, t in doc["grid"].items()},
        meta=dict(doc.get("meta", {})))


def dump(fit: SRAMFit) -> bytes:
    """The shipped data file's bytes: gzip of compact JSON, one table per line,
    reproducible (no timestamp in the gzip header)."""
    doc = to_data(fit)
    lines = ["{"]
    items = list(doc.items())
    for i, (k, v) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if k in ("table", "grid", "trend"):
            lines.append(f"{json.dumps(k)}: {{")
            qs = list(v.items())
            for j, (q, t) in enumerate(qs):
                qend = "," if j < len(qs) - 1 else ""
                if k == "trend":
                    lines.append(f" {json.dumps(q)}: {json.dumps(t)}{qend}")
                    continue
                lines.append(f" {json.dumps(q)}: {{")
                cells = list(t.items())
                for m, (c, vals) in enumerate(cells):
                    cend = "," if m < len(cells) - 1 else ""
                    lines.append(f"  {json.dumps(c)}: {json.dumps(vals, separators=(',', ':'))}"
                                 f"{cend}")
                lines.append(f" }}{qend}")
            lines.append(f"}}{end}")
        else:
            lines.append(f"{json.dumps(k)}: {json.dumps(v)}{end}")
    lines.append("}")
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=9, mtime=0)


def load(path: str | None = None) -> SRAMFit:
    """The fit in `path`, or the shipped one (loopnest/energy/data/DATA_FILE)."""
    if path is None:
        raw = resources.files("loopnest.energy").joinpath("data", DATA_FILE).read_bytes()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    return from_data(json.loads(gzip.decompress(raw)))
