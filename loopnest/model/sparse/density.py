"""Tile-occupancy models of Timeloop's density distributions.

A tile of `shape` points of a tensor of `tensor_size` points:

* fixed-structured (`fixed`): exactly `shape * density` nonzeros, split between the
  floor and the ceiling so that the mean is exact;
* hypergeometric: the tile is drawn without replacement from a tensor holding
  `ceil(density * tensor_size)` nonzeros;
* banded: a square 2-D tensor with nonzeros on the diagonal and `band_width`
  diagonals either side (only the occupancy names and expectations here).

Each model gives the expected occupancy, the probability of an occupancy (in
particular of an empty tile) and the occupancy at a confidence (max occupancy at 1.0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from loopnest.model.sparse import banded
from loopnest.model.sparse.spec import DensitySpec


def type_name(spec: DensitySpec) -> str:
    """What Timeloop prints as `Tile density distribution`."""
    if spec.distribution == "banded":
        return f"banded-{spec.band_width or 0}"
    return spec.distribution


def hypergeometric_pmf(x: int, r: int, n: int, N: int) -> float:
    """P(x nonzeros in a tile of n points from N points holding r nonzeros).

    Exact: integer binomials and one correctly rounded division (Timeloop's boost pdf is
    within a few ulps of it); the whole distribution of a (r, n, N) is built at once."""
    if x < 0 or x > r or x > n or n - x > N - r:
        return 0.0
    if x == 0:  # emptiness: C(N - r, n) / C(N, n), tabulated over r
        return _empty_probability(n, N, r)
    return _pmf_table(r, n, N)[x - max(0, n - (N - r))]


def _big_ratio(a: int, b: int, c: int) -> float:
    """a * b / c for big integers, from their leading 60 bits (a few ulps)."""
    def lead(v: int) -> tuple[float, int]:
        sh = max(v.bit_length() - 60, 0)
        return float(v >> sh), sh
    fa, ea = lead(a)
    fb, eb = lead(b)
    fc, ec = lead(c)
    if fa == 0 or fb == 0:
        return 0.0
    return math.ldexp(fa * fb / fc, ea + eb - ec)


_EMPTY: dict = {}


def _empty_probability(n: int, N: int, r: int) -> float:
    """C(N - r, n) / C(N, n), exactly; the numerators of one (n, N) are built by the
    recurrence C(N-r-1, n) = C(N-r, n) (N-r-n) / (N-r) as r grows."""
    key = (n, N)
    tab = _EMPTY.get(key)
    if tab is None:
        if len(_EMPTY) > 256:
            _EMPTY.clear()
        total = math.comb(N, n)
        tab = _EMPTY[key] = [total, total, [1.0]]
    total, num, probs = tab
    while len(probs) <= r:
        k = len(probs)                     # num holds C(N - (k-1), n)
        num = num * (N - (k - 1) - n) // (N - (k - 1))
        probs.append(num / total if N <= 20000 else _big_ratio(num, 1, total))
    tab[1] = num
    return probs[r]


@lru_cache(maxsize=64)
def _pmf_table(r: int, n: int, N: int) -> tuple:
    """pmf(x) for x = max(0, n-(N-r)) .. min(r, n), by the exact binomial recurrences."""
    lo, hi = max(0, n - (N - r)), min(r, n)
    total = math.comb(N, n)
    a = math.comb(r, lo)                 # C(r, x)
    b = math.comb(N - r, n - lo)         # C(N - r, n - x)
    exact = N <= 20000          # beyond: a few ulps, without big-integer divisions
    out = []
    for x in range(lo, hi + 1):
        out.append(a * b / total if exact else _big_ratio(a, b, total))
        if x < hi:
            a = a * (r - x) // (x + 1)
            b = b * (n - x) // (N - r - n + x + 1)
    return tuple(out)


@dataclass(frozen=True)
class DensityModel:
    """A density distribution bound to its tensor's size."""

    spec: DensitySpec
    tensor_size: int
    tensor_box: tuple = ()          # extents per rank (the banded model needs the boxes)

    @property
    def is_banded(self) -> bool:
        return self.spec.distribution == "banded"

    def _banded(self, box: tuple | None) -> dict:
        if box is None or len(box) != 2 or len(self.tensor_box) != 2:
            raise ValueError("the banded density model needs 2-D tile boxes")
        return banded.distribution(self.tensor_box, tuple(box), self.spec.band_width or 0)

    @property
    def nnz(self) -> int:
        """Nonzeros in the whole tensor (hypergeometric: ceil(density x size))."""
        return math.ceil(self.spec.density * self.tensor_size)

    @property
    def name(self) -> str:
        return type_name(self.spec)

    def expected_density(self, shape: int = 0) -> float:
        if self.spec.distribution == "banded":
            return self.banded_density()
        return self.spec.density

    def banded_density(self) -> float:
        n = min(self.tensor_box) if self.tensor_box else 0
        nnz = banded.total_nnz(n, self.spec.band_width or 0)
        return nnz / self.tensor_size if self.tensor_size else 0.0

    def expected_occupancy(self, shape: int, box: tuple | None = None) -> float:
        """Mean nonzeros in a tile of `shape` points."""
        if self.spec.distribution == "hypergeometric":
            r, N = self.nnz, self.tensor_size
            return sum(x * hypergeometric_pmf(x, r, shape, N)
                       for x in range(0, min(shape, r) + 1))
        return shape * self.expected_density(shape)

    def probability(self, shape: int, occupancy: int, box: tuple | None = None) -> float:
        """P(a tile of `shape` points holds exactly `occupancy` nonzeros)."""
        if self.is_banded:
            if shape == 0:
                return 1.0 if occupancy == 0 else 0.0
            return self._banded(box).get(occupancy, 0.0)
        if self.spec.distribution == "hypergeometric":
            return hypergeometric_pmf(occupancy, self.nnz, shape, self.tensor_size)
        exact = shape * self.spec.density
        lo, hi = math.floor(exact), math.ceil(exact)
        if occupancy == lo:
            return 1.0 - (exact - lo)
        if occupancy == hi:
            return exact - lo
        return 0.0

    def prob_empty(self, shape: int, box: tuple | None = None) -> float:
        """P(a tile of `shape` points is all zeros)."""
        if shape == 0:
            return 1.0
        p = self.probability(shape, 0, box)
        if p != p and self.is_banded and box is not None and len(box) == len(self.tensor_box):
            # A condition tile that overhangs its banded tensor (a mapper's candidate; no
            # Timeloop reference reaches it): only the part inside the tensor can hold
            # nonzeros.
            inside = tuple(min(b, t) for b, t in zip(box, self.tensor_box))
            return self.probability(math.prod(inside), 0, inside)
        return p

    def occupancy_at(self, shape: int, confidence: float = 1.0, box: tuple | None = None) -> int:
        """Nonzeros the tile holds with probability `confidence` (Timeloop's max occupancy)."""
        if self.is_banded:
            return max(self._banded(box)) if shape else 0
        if self.spec.distribution == "hypergeometric":
            if confidence >= 1.0:
                return min(shape, self.nnz)
            acc = 0.0
            for x in range(0, min(shape, self.nnz) + 1):
                acc += self.probability(shape, x)
                if acc >= confidence:
                    return x
            return min(shape, self.nnz)
        exact = shape * self.expected_density(shape)
        prob_floor = 1.0 - (exact - math.floor(exact))
        return math.floor(exact) if confidence <= prob_floor else math.ceil(exact)

    def min_occupancy(self, shape: int, box: tuple | None = None) -> int:
        """Timeloop's GetMinDataTileOccupancy (with its integer min-density division)."""
        if shape == 0:
            return 0
        if self.is_banded:
            return math.floor(min(self._banded(box)) / shape * shape)
        if self.spec.distribution == "hypergeometric":
            # (shape - N) is unsigned in Timeloop (wraps), the nonzero count a double
            N, r = self.tensor_size, self.nnz
            if shape <= N - r:
                return 0
            dens = (float((shape - N) % (1 << 64)) + float(r)) / shape
            v = math.floor(dens * shape)
            return 0 if v >= 1 << 64 else v   # x86's out-of-range double -> uint64 gives 0
        return math.floor(math.floor(shape * self.spec.density) / shape * shape)

    def pmf(self, shape: int, box: tuple | None = None) -> dict:
        """Every occupancy with a nonzero probability."""
        if self.is_banded:
            return {k: p for k, p in self._banded(box).items() if p}
        if self.spec.distribution == "hypergeometric":
            out = {}
            for x in range(0, min(shape, self.nnz) + 1):
                p = self.probability(shape, x)
                if p:
                    out[x] = p
            return out
        exact = shape * self.spec.density
        lo, hi = math.floor(exact), math.ceil(exact)
        if lo == hi:
            return {lo: 1.0}
        return {lo: 1.0 - (exact - lo), hi: exact - lo}
