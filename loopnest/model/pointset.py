"""Sets of data-space points as lists of disjoint boxes (Timeloop's multi-AAHR).

A box is `(lo, hi)` with `lo` inclusive and `hi` exclusive tuples, one entry per
rank. The splitting order of set difference and the "same boxes" equality
follow Timeloop, because multicast detection compares deltas box by box.
"""
from __future__ import annotations

import math

Box = tuple[tuple[int, ...], tuple[int, ...]]
BoxSet = tuple[Box, ...]

EMPTY: BoxSet = ()


def box_size(b: Box) -> int:
    lo, hi = b
    n = 1
    for a, z in zip(lo, hi):
        n *= z - a
    return n


def size(s: BoxSet) -> int:
    """Number of points in the set."""
    if len(s) == 1:
        return box_size(s[0])
    return sum([box_size(b) for b in s])


def _subtract_box(a: Box, b: Box) -> list[Box]:
    """a − b, split into slabs rank by rank (left slice, then right slice)."""
    alo, ahi = a
    blo, bhi = b
    for r in range(len(alo)):
        if ahi[r] <= blo[r] or bhi[r] <= alo[r]:
            return [a]
    out: list[Box] = []
    mlo, mhi = list(alo), list(ahi)
    for r in range(len(alo)):
        if mlo[r] < blo[r]:
            h = list(mhi)
            h[r] = blo[r]
            out.append((tuple(mlo), tuple(h)))
            mlo[r] = blo[r]
        if bhi[r] < mhi[r]:
            lo = list(mlo)
            lo[r] = bhi[r]
            out.append((tuple(lo), tuple(mhi)))
            mhi[r] = bhi[r]
    return out


def subtract(a: BoxSet, b: BoxSet) -> BoxSet:
    """Set difference a − b."""
    if not a or not b:
        return a
    if len(a) == 1 and len(b) == 1:
        if a[0] == b[0]:
            return EMPTY
        return tuple(_subtract_box(a[0], b[0]))
    cur = list(a)
    for bb in b:
        nxt: list[Box] = []
        for aa in cur:
            nxt.extend(_subtract_box(aa, bb))
        cur = nxt
    return tuple(cur)


def _round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _centroid(s: BoxSet) -> list[float] | None:
    total = 0
    acc: list[float] | None = None
    for lo, hi in s:
        n = box_size((lo, hi))
        if acc is None:
            acc = [0.0] * len(lo)
        for r in range(len(lo)):
            acc[r] += (lo[r] + (hi[r] - lo[r] - 1) / 2.0) * n
        total += n
    if not total or acc is None:
        return None
    return [c / total for c in acc]


def translation(a: BoxSet, b: BoxSet) -> tuple[int, ...] | None:
    """Rounded move of the size-weighted centroid from a to b; None if either is empty."""
    if len(a) == 1 and len(b) == 1:
        (alo, ahi), (blo, bhi) = a[0], b[0]
        out = []
        for r in range(len(alo)):
            ea = ahi[r] - alo[r]
            eb = bhi[r] - blo[r]
            if ea <= 0 or eb <= 0:
                return None
            diff = blo[r] - alo[r]
            if ea != eb:  # centroid lo + (extent-1)/2 moves by half the extent change
                out.append(_round_half_away(diff + (eb - ea) / 2.0))
            else:
                out.append(diff)
        return tuple(out)
    ca = _centroid(a)
    cb = _centroid(b)
    if ca is None or cb is None:
        return None
    return tuple(_round_half_away(y - x) for x, y in zip(ca, cb))


def translate(s: BoxSet, t: tuple[int, ...] | None) -> BoxSet:
    """Shift every box by t (no-op for None)."""
    if t is None or not any(t):
        return s
    return tuple((tuple(l + d for l, d in zip(lo, t)), tuple(h + d for h, d in zip(hi, t)))
                 for lo, hi in s)


def same(a: BoxSet, b: BoxSet) -> bool:
    """Timeloop's superficial equality: the same boxes, in any order."""
    return len(a) == len(b) and set(a) == set(b)


def key(s: BoxSet) -> frozenset:
    """Hashable form with the same equality as `same` (boxes are disjoint)."""
    return frozenset(s)
