"""A batch of mappings flattened to padded loop-nest arrays (for the batched model).

Each mapping becomes the nest `build_nest` builds, minus its trivial loops (which
change no stride, count or tile): per storage level its spatial loops (mapping order)
then its temporal loops, inner loop first. Rows are padded with trivial loops
(`dim = D`, `end = 1`, `level = N`). Attribute reads run as C-level passes over
the whole batch; everything after them is vectorised. Also: the array helpers the
batched model uses along the short loop, rank and level axes.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, itemgetter

import numpy as np

from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload

TEMPORAL, X, Y = 0, 1, 2


@dataclass
class NestArrays:
    """Padded nests of a batch: [B, L] per loop, [B, N, nds] per level and data space."""

    dim: np.ndarray  # int64, D for padding
    end: np.ndarray  # int64, 1 for padding
    level: np.ndarray  # int64, N for padding
    kind: np.ndarray  # int64: TEMPORAL, X or Y
    keep: np.ndarray  # bool [B, N, nds]
    covered: np.ndarray  # bool [B]: in the closed form's coverage (see batch.py)


_levels = attrgetter("levels")
_end = attrgetter("end")
_tag = attrgetter("spatial")
_dim = attrgetter("dim")
_residual = attrgetter("residual")
_LEVEL_FIELDS = attrgetter("temporal", "spatial", "keep", "no_temporal_reuse",
                           "no_spatial_reuse", "no_link_transfer", "rmw_first_update",
                           "no_coalesce")


def _loops(lists: list, dim_of: dict[str, int]):
    """Non-trivial loops of per-level loop tuples, in order: (owner = index of the
    level entry, dim, end, the Loop objects, owners of imperfect loops: a residual that
    differs from the end; trivial loops are dropped with their residual, as in
    `nest.build_nest`)."""
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = list(chain.from_iterable(lists))
    ends = np.fromiter(map(_end, flat), dtype=np.int64, count=len(flat))
    nz = np.nonzero(ends > 1)[0]
    owner = np.repeat(np.arange(len(lists)), counts)[nz]
    sel = list(itemgetter(*nz.tolist())(flat)) if len(nz) > 1 else [flat[i] for i in nz]
    dims = np.fromiter(map(dim_of.__getitem__, map(_dim, sel)), dtype=np.int64, count=len(sel))
    res = list(map(_residual, sel))
    ends_nz = ends[nz]
    if res.count(None) == len(res):
        res_own = owner[:0]
    else:
        imp = np.fromiter((r is not None and r != e for r, e in zip(res, ends_nz.tolist())),
                          dtype=bool, count=len(res))
        res_own = owner[imp]
    return owner, dims, ends_nz, sel, res_own


def flatten(workload: Workload, mappings: list[Mapping], n_levels: int) -> NestArrays:
    """Flatten mappings; entries outside the closed-form coverage get `covered = False`
    (directives, residual loops, spatial tags other than X/Y, a fan-out under the
    innermost level, or a level count that differs from the architecture's).

    Attribute reads go through C-level `map` over the whole batch (a Python loop over
    every mapping's ~50 loop objects costs more than the closed form itself), with
    the cyclic garbage collector paused: the temporaries would trigger full
    collections over every live mapping object."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _flatten(workload, mappings, n_levels)
    finally:
        if enabled:
            gc.enable()


def _flatten(workload: Workload, mappings: list[Mapping], n_levels: int) -> NestArrays:
    N = n_levels
    D = len(workload.dimensions)
    dim_of = {d: i for i, d in enumerate(workload.dimensions)}
    names = workload.ds_names
    B = len(mappings)
    covered = np.fromiter(map(len, map(_levels, mappings)), dtype=np.int64, count=B) == N
    ok_rows = np.nonzero(covered)[0]
    if len(ok_rows) < B:
        lv = list(chain.from_iterable(_levels(mappings[b]) for b in ok_rows.tolist()))
    else:
        lv = list(chain.from_iterable(map(_levels, mappings)))
    # one pass over the level mappings, transposed: loops, keep, directives
    cols = list(zip(*map(_LEVEL_FIELDS, lv))) if lv else [()] * 8
    temporal, spatial, keeps = cols[0], cols[1], cols[2]
    # level entries that fail a coverage rule mark their mapping uncovered
    bad_lv: list[int] = []
    for col in cols[3:]:
        if any(col):
            bad_lv.extend(i for i, x in enumerate(col) if x)
    # keep masks
    cache: dict[frozenset, int] = {}
    for kp in set(keeps):
        cache[kp] = sum(1 << d for d, n in enumerate(names) if n in kp)
    kbits = np.fromiter(map(cache.__getitem__, keeps), dtype=np.int64, count=len(keeps))
    # loops
    t_own, t_dim, t_end, _, t_res = _loops(temporal, dim_of)
    s_own, s_dim, s_end, s_sel, s_res = _loops(spatial, dim_of)
    tags = list(map(_tag, s_sel))
    s_kind = np.fromiter((X if t == "X" else Y if t == "Y" else -1 for t in tags),
                         dtype=np.int64, count=len(tags))
    n_ok = len(ok_rows)
    lv_row = np.repeat(ok_rows, N)  # mapping index of each level entry
    bad = np.zeros(n_ok * N, dtype=bool)
    if bad_lv:
        bad[np.asarray(bad_lv, dtype=np.int64)] = True
    bad[t_res] = True
    bad[s_res] = True
    bad_s = (s_kind < 0) | (s_own % N == 0)
    bad[s_own[bad_s]] = True
    # merge spatial (first) and temporal loops per (mapping, level), keeping order
    own = np.concatenate([s_own, t_own])
    order = np.argsort(own * 2 + np.concatenate([np.zeros(len(s_own), dtype=np.int64),
                                                 np.ones(len(t_own), dtype=np.int64)]),
                       kind="stable")
    own = own[order]
    dim = np.concatenate([s_dim, t_dim])[order]
    end = np.concatenate([s_end, t_end])[order]
    kind = np.concatenate([np.where(s_kind < 0, X, s_kind),
                           np.full(len(t_own), TEMPORAL, dtype=np.int64)])[order]
    # uncovered mappings: mark and drop their loops
    bad_row = np.zeros(B, dtype=bool)
    bad_row[lv_row[bad]] = True
    covered &= ~bad_row
    row = lv_row[own]
    live = covered[row]
    row, own, dim, end, kind = row[live], own[live], dim[live], end[live], kind[live]
    level = own % N
    lens = np.bincount(row, minlength=B)
    L = max(1, int(lens.max()) if B else 1)
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    col = np.arange(len(row)) - first[row]
    P_dim = np.full((B, L), D, dtype=np.int64)
    P_end = np.ones((B, L), dtype=np.int64)
    P_level = np.full((B, L), N, dtype=np.int64)
    P_kind = np.zeros((B, L), dtype=np.int64)
    P_dim[row, col] = dim
    P_end[row, col] = end
    P_level[row, col] = level
    P_kind[row, col] = kind
    keep = np.zeros((B, N, len(names)), dtype=bool)
    keep[ok_rows] = ((kbits.reshape(n_ok, N, 1) >> np.arange(len(names))) & 1).astype(bool)
    return NestArrays(P_dim, P_end, P_level, P_kind, keep, covered)


def prefix_extents(na: NestArrays, n_dims: int) -> np.ndarray:
    """[B, L+1, D+1]: per loop position j, the product of the ends of loops before j
    over each dimension (the stride of loop j along its own dimension; at a level's
    first loop, the tile extents of the level below). A loop over the (short) loop
    axis: numpy's cumulative products along it are several times slower."""
    B, L = na.end.shape
    out = np.empty((B, L + 1, n_dims + 1), dtype=np.int64)
    run = np.ones((B, n_dims + 1), dtype=np.int64)
    rows = np.arange(B)
    dim, end = na.dim, na.end
    for j in range(L):
        out[:, j] = run
        run[rows, dim[:, j]] *= end[:, j]
    out[:, L] = run
    return out


def level_starts(na: NestArrays, n_levels: int) -> np.ndarray:
    """[B, N+1]: index of each level's first loop (entry N: the number of real loops)."""
    B = na.end.shape[0]
    N1 = n_levels + 1
    counts = np.bincount((np.arange(B)[:, None] * N1 + na.level).ravel(),
                         minlength=B * N1).reshape(B, N1)
    out = np.zeros((B, N1), dtype=np.int64)
    for s in range(1, N1):
        out[:, s] = out[:, s - 1] + counts[:, s - 1]
    return out


def take(na: NestArrays, idx: np.ndarray) -> NestArrays:
    """The entries `idx` of a batch."""
    return NestArrays(na.dim[idx], na.end[idx], na.level[idx], na.kind[idx], na.keep[idx],
                      na.covered[idx])


def level_products(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """[B, N]: product of `values` [B, L] over each level's loops (one prefix product,
    then exact quotients)."""
    B, L = values.shape
    cp = np.ones((B, L + 1), dtype=np.int64)
    for j in range(L):
        np.multiply(cp[:, j], values[:, j], out=cp[:, j + 1])
    rows = np.arange(B)[:, None]
    return cp[rows, starts[:, 1:]] // cp[rows, starts[:, :-1]]


def suffix_products(values: np.ndarray) -> np.ndarray:
    """[B, L+1]: product of values[k:] for each k (1 at L)."""
    B, L = values.shape
    out = np.ones((B, L + 1), dtype=np.int64)
    for j in range(L - 1, -1, -1):
        np.multiply(out[:, j + 1], values[:, j], out=out[:, j])
    return out


def first_from(mask: np.ndarray) -> np.ndarray:
    """[B, L+1]: smallest k >= j with mask[k] (L if none)."""
    B, L = mask.shape
    out = np.full((B, L + 1), L, dtype=np.int64)
    for j in range(L - 1, -1, -1):
        out[:, j] = np.where(mask[:, j], j, out[:, j + 1])
    return out


def level_counts(mask: np.ndarray, na: NestArrays, n_levels: int) -> np.ndarray:
    """[B, N]: number of loops of each level where mask holds."""
    B = mask.shape[0]
    idx = (np.arange(B)[:, None] * (n_levels + 1) + na.level)[mask]
    return np.bincount(idx, minlength=B * (n_levels + 1)).reshape(B, n_levels + 1)[:, :n_levels]


# Reductions over a short last axis (ranks, data spaces, levels): numpy's axis
# reductions run an outer loop per element there and are ~10x slower than a few
# whole-array operations.
def prod_last(x: np.ndarray) -> np.ndarray:
    """Product over the last axis."""
    out = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        out *= x[..., i]
    return out


def sum_last(x: np.ndarray) -> np.ndarray:
    """Sum over the last axis, in index order."""
    out = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        out += x[..., i]
    return out


def all_last(x: np.ndarray) -> np.ndarray:
    """Logical and over the last axis."""
    out = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        out &= x[..., i]
    return out


def project(x: np.ndarray, C: np.ndarray) -> np.ndarray:
    """[..., D+1] -> [..., R]: x @ C.T for a small, sparse integer matrix C."""
    out = np.zeros(x.shape[:-1] + (C.shape[0],), dtype=np.int64)
    for r in range(C.shape[0]):
        o = out[..., r]
        for d in np.nonzero(C[r])[0]:
            c = int(C[r, d])
            o += x[..., d] if c == 1 else c * x[..., d]
    return out


def dot_last(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w over the last axis for a short integer vector w."""
    out = x[..., 0] * int(w[0])
    for i in range(1, x.shape[-1]):
        out += x[..., i] * int(w[i])
    return out
