"""The banded density model (a square 2-D tensor, nonzero within `band_width` of the
diagonal), on tile boxes: extents per data-space rank, row rank first.

Tiles tile the tensor in a grid; the occupancy distribution of a tile shape counts the
grid tiles of each occupancy, simulating the warm-up row groups near the top corner and
extrapolating the steady-state ones (Timeloop's BandedDistribution, kept as it is:
the constrained zero probability offsets its sub-tiles by the parent's origin twice).
"""
from __future__ import annotations

import math

from loopnest.errors import MappingError


def total_nnz(n: int, band_width: int) -> int:
    """Nonzeros of an n x n banded matrix."""
    return n + sum((n - ud) * 2 for ud in range(1, band_width + 1))


def tile_nnz(lo: tuple, hi: tuple, band_width: int) -> int:
    """Nonzeros in the box [lo, hi) (rows, columns)."""
    nnz = 0
    for r in range(lo[0], hi[0]):
        c0 = max(lo[1], max(r - band_width, 0))
        c1 = min(hi[1], r + band_width + 1)
        nnz += c1 - c0 if c0 < c1 else 0
    return nnz


def distribution(tensor: tuple, tile: tuple, band_width: int) -> dict:
    """Occupancy -> probability of a tile box (GetProbabilityDistributionForTileMold)."""
    ty, tx = tile
    ncol = tensor[1] // tx
    nrow = tensor[0] // ty
    warm = math.ceil(band_width / ty)
    steady = max(nrow - 2 * warm, 0)
    count: dict = {0: 0}
    row = 0
    g = 0
    while g < warm + 1 and g < nrow:
        col = 0
        for c in range(ncol):
            if col > row + ty - 1 + band_width:
                if g >= warm:
                    count[0] += (ncol - c) * steady
                else:
                    count[0] += (ncol - c) * 2 if warm != nrow else ncol - c
                break
            occ = tile_nnz((row, col), (row + ty, col + tx), band_width)
            count.setdefault(occ, 0)
            if g >= warm:
                count[occ] += steady
            else:
                count[occ] += 2 if warm != nrow else 1
            col += tx
        row += ty
        g += 1
    total = nrow * ncol
    return {k: (v / total if total else math.nan) for k, v in sorted(count.items())}


def representative(tensor: tuple, tile: tuple, occupancy: int, band_width: int) -> tuple:
    """A tile box of the grid holding `occupancy` nonzeros (GetReprPointSetForTileOccupancy)."""
    ty, tx = tile
    ncol = tensor[1] // tx
    nrow = tensor[0] // ty
    warm = math.ceil(band_width / ty)
    row = 0
    g = 0
    while g < warm + 1 and g < nrow:
        col = 0
        for _ in range(ncol):
            box = ((row, col), (row + ty, col + tx))
            if col > row + ty - 1 + band_width:
                if occupancy == 0:
                    return box
                break
            if tile_nnz(box[0], box[1], band_width) == occupancy:
                return box
            col += tx
        row += ty
        g += 1
    raise MappingError(f"banded density: no representative tile of shape {tile} holds "
                       f"{occupancy} nonzeros")


def constrained_zero(tile: tuple, parent: tuple, band_width: int) -> float:
    """P(a sub-tile of `tile` extents inside the parent box is empty)."""
    (cmin, cmax) = parent
    if (cmax[0] - cmin[0]) * (cmax[1] - cmin[1]) == 0:
        return 1.0
    ncol = (cmax[1] - cmin[1]) // tile[1]
    nrow = (cmax[0] - cmin[0]) // tile[0]
    count = 0
    row = cmin[0]
    for _ in range(nrow):
        col = cmin[1]
        for _ in range(ncol):
            lo = (cmin[0] + row, cmin[1] + col)
            hi = (tile[0] + row, tile[1] + col)
            if tile_nnz(lo, hi, band_width) == 0:
                count += 1
            col += tile[1]
        row += tile[0]
    total = nrow * ncol
    return count / total if total else math.nan
