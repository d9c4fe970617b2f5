"""CMOS technology scaling of energy, area and leakage between nodes (7..130 nm).

Method and coefficients: A. Stillmaker, B. Baas, "Scaling equations for the
accurate prediction of CMOS device performance from 180 nm to 7 nm",
Integration 58 (2017) 74-81, doi:10.1016/j.vlsi.2017.02.002 (Tables: area
factors between nodes; energy as a quadratic in Vdd per node). Interpolation
between nodes is linear in the node index, and outside 7..130 nm area scales
with the node and energy with its square root (IRDS trend), as the hwcomponents
library does, so our scaled digital numbers agree with the reference tables.
"""
from __future__ import annotations

import math

NODES_NM = (130.0, 90.0, 65.0, 45.0, 32.0, 20.0, 16.0, 14.0, 10.0, 7.0)
# Relative area of a design at each node (row = from, col = to), Stillmaker & Baas.
_AREA = (
    (1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092),
    (2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021),
    (4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039),
    (6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059),
    (14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13),
    (30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28),
    (34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31),
    (37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34),
    (63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58),
    (110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1),
)
# Energy per operation ~ a*Vdd^2 + b*Vdd + c at each node (Stillmaker & Baas).
_ENERGY = (
    (7.171, -6.709, 2.904), (4.762, -4.781, 2.092), (3.755, -4.398, 1.975),
    (1.103, -0.362, 0.2767), (0.9559, -0.7823, 0.471), (0.373, -0.1582, 0.04104),
    (0.2958, -0.1241, 0.03024), (0.2363, -0.09675, 0.02239), (0.2068, -0.09311, 0.02375),
    (0.1776, -0.09097, 0.02447),
)
DEFAULT_VDD = 0.8


def _clamp(node: float) -> tuple[float, float]:
    lo, hi = min(NODES_NM), max(NODES_NM)
    if node < lo:
        return lo, node / lo
    if node > hi:
        return hi, node / hi
    return node, 1.0


def _index(node: float) -> float:
    """Fractional index of `node` in NODES_NM (linear between neighbours)."""
    for i in range(len(NODES_NM) - 1):
        big, small = NODES_NM[i], NODES_NM[i + 1]
        if small <= node <= big:
            return i + (big - node) / (big - small)
    return float(NODES_NM.index(node))


def _bilinear(x: float, y: float) -> float:
    fx, fy = math.floor(x), math.floor(y)
    cx, cy = math.ceil(x), math.ceil(y)
    ax, ay = x - fx, y - fy
    return (_AREA[fx][fy] * (1 - ax) * (1 - ay) + _AREA[fx][cy] * (1 - ax) * ay
            + _AREA[cx][fy] * ax * (1 - ay) + _AREA[cx][cy] * ax * ay)


def area_factor(to_nm: float, from_nm: float) -> float:
    """Multiply an area at `from_nm` by this to get it at `to_nm`."""
    f, sx = _clamp(from_nm)
    t, sy = _clamp(to_nm)
    return (sy / sx) * _bilinear(_index(f), _index(t))


def _energy_poly(node: float, vdd: float) -> float:
    x = _index(node)
    lo, hi = math.floor(x), math.ceil(x)
    a = x - lo

    def poly(i: int) -> float:
        c = _ENERGY[i]
        return c[0] * vdd * vdd + c[1] * vdd + c[2]

    return poly(lo) * (1 - a) + poly(hi) * a


def energy_factor(to_nm: float, from_nm: float, vdd: float | None = None) -> float:
    """Multiply an energy (or leakage power) at `from_nm` by this to get it at `to_nm`."""
    vdd = DEFAULT_VDD if vdd is None else vdd
    f, sx = _clamp(max(from_nm, 1.0))
    t, sy = _clamp(max(to_nm, 1.0))
    return _energy_poly(t, vdd) / _energy_poly(f, vdd) * math.sqrt(sy / sx)
