"""Closed-form nest analysis of one sliding-window data space over a batch (numpy).

For a data space whose ranks are non-negative sums of dimensions (conv Inputs:
W = R*dilation + P*stride), this gives, per storage level, exactly what
`nest.NestAnalysis` reports: tile size, weighted delta total requested from the
parent, the parent's multicast accesses (sum of values and of value*multicast)
and link transfers, and the fan-out's union tile. Derivation (FORMATS.md §7,
old stride rule):

* Calls at a boundary follow a binary counter over the m non-trivial temporal
  loops above it (iteration 0 and the stand-in for 1..n-1); the call with bit
  set for loop j weighs n_j - 1. A step whose carry is at loop k moves the tile
  by t_k = u_k - sum_{j<k} u_j (u_j = projected stride of loop j); steps with
  carry k weigh cnt_k = (n_k - 1) * prod_{j>k} n_j.
* With t_0 the innermost move, the stored translation is t_0 before every step
  whose carry is above 0, so: carry-0 steps fetch diff(t_0); a carry-k step
  fetches diff(t_k) if t_k == t_0, else the whole tile (stride change).
  diff(t) = |tile| - prod_r max(0, e_r - |t_r|). Hence, with
  Ceq = cnt_0 + sum_{k>0, t_k == t_0} cnt_k and Pi = prod n_j:
  W = |tile| * (Pi - Ceq) + diff(t_0) * Ceq.
* A fan-out translates element 0's deltas by each element's projected offset;
  elements with equal offsets form one multicast group (G groups of F elements).
* Link transfers: a step's delta equals a neighbour's previous delta exactly when
  both are whole tiles or both are slabs of the same move, and the neighbours'
  offset difference equals the step's move. With t_0 moving past the tile
  ("whole" kind) every step qualifies (move t_0 for carry 0 and equal moves,
  t_k otherwise); with partial overlap ("slab" kind) only t_0-steps whose
  previous step was a t_0-step (weight n_0 * (Ceq - cnt_0)); a step uses the
  links when the unserved elements form fewer groups than G.
* New stride rule: non-moving steps are transparent, so the counter starts at
  the first moving loop and a later non-moving step fetches nothing (not the
  whole tile); a step right after a transparent one cannot use links.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopnest.model.nestarrays import (TEMPORAL, NestArrays, all_last, dot_last, first_from,
                                       level_counts, prod_last, project, suffix_products)


@dataclass
class WindowTraffic:
    """Per entry and storage level ([B, N]); request figures are at the parent level q
    for the requests of level q-1 (index q), 0 at q = 0."""

    size: np.ndarray  # tile size at the level's boundary
    requests: np.ndarray  # W: weighted delta total the level requests from its parent
    v: np.ndarray  # parent accesses (sum over multicast groups)
    vm: np.ndarray  # sum of accesses x multicast (words delivered to children)
    link: np.ndarray  # link transfers at the parent's fan-out
    union: np.ndarray  # partition denominator of the level below (fan-out union tile)
    good: np.ndarray  # [B] bool: False where the closed form cannot vouch (use exact)


def projection_matrix(ranks, dim_index: dict[str, int], n_dims: int) -> np.ndarray:
    """[R, D+1] coefficients (last column: padding dimension, zero)."""
    C = np.zeros((len(ranks), n_dims + 1), dtype=np.int64)
    for r, rank in enumerate(ranks):
        for d, c in rank:
            C[r, dim_index[d]] += c
    return C


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Distinct values per row."""
    if keys.shape[1] <= 1:
        return np.ones(keys.shape[0], dtype=np.int64)
    k = np.sort(keys, axis=1)
    return 1 + (k[:, 1:] != k[:, :-1]).sum(axis=1)


def _grid_pairs(h: int, v: int) -> tuple[np.ndarray, np.ndarray]:
    """(current, neighbour) element pairs compared for link transfers (nest._links)."""
    cur, prev = [], []
    if v > 1:
        for x in range(h):
            for y in range(1, v):
                cur.append(y * h + x)
                prev.append((y - 1) * h + x)
            for y in range(0, v - 1):
                cur.append(y * h + x)
                prev.append((y + 1) * h + x)
    if h > 1:
        for y in range(v):
            for x in range(1, h):
                cur.append(y * h + x)
                prev.append(y * h + x - 1)
            for x in range(0, h - 1):
                cur.append(y * h + x)
                prev.append(y * h + x + 1)
    return np.asarray(cur, dtype=np.int64), np.asarray(prev, dtype=np.int64)


def _radix(bound: np.ndarray) -> np.ndarray | None:
    """Multipliers of a balanced mixed-radix key for vectors with |x_r| <= bound_r
    (injective there); None if the key could overflow int64."""
    base = 2 * bound.astype(np.int64) + 1
    if float(np.prod(base.astype(np.float64))) >= 2.0 ** 62:
        return None
    return np.concatenate([[1], np.cumprod(base)[:-1]]).astype(np.int64)


def _served(skey, evalid, pvalid, dkey, pc, tkey):
    """Per row: (served element count, groups among the unserved elements) when the
    elements whose neighbour's offset exceeds theirs by the move (key `tkey`) are served
    by links. skey [K, F] offset keys, dkey [K, P] neighbour-minus-element keys."""
    match = pvalid & (dkey == tkey[:, None])  # [K, P]
    served = np.zeros(skey.shape, dtype=bool)
    kk, pp = np.nonzero(match)
    served[kk, pc[pp]] = True
    ns = served.sum(axis=1)
    ku = np.where(served | ~evalid, -1, skey)
    gu = _distinct(ku) - (ku == -1).any(axis=1)
    return ns, gu


def window_traffic(C: np.ndarray, na: NestArrays, pre: np.ndarray, starts: np.ndarray,
                   ext_lv: np.ndarray, fanouts: list[tuple[int, int]],
                   link_transfers: bool, new_rule: bool = False) -> WindowTraffic:
    """Closed-form nest statistics of the data space with projection matrix C.
    `pre`: nestarrays.prefix_extents; `starts`: level_starts; `ext_lv` [B, N, D+1]: the
    operation-space extents at each level's boundary; `fanouts`: (X, Y) per level;
    `new_rule`: the post-2025 stride rule (zero moves leave the stored stride alone)."""
    B, L = na.end.shape
    N = len(fanouts)
    rows = np.arange(B)
    Ct = C.T  # [D+1, R]
    n = na.end
    temporal = na.kind == TEMPORAL
    real_t = temporal & (n > 1)
    stride = np.take_along_axis(pre[:, :L, :], na.dim[:, :, None], axis=2)[:, :, 0]
    size = np.zeros((B, N), dtype=np.int64)
    W = np.zeros((B, N), dtype=np.int64)
    v = np.zeros((B, N), dtype=np.int64)
    vm = np.zeros((B, N), dtype=np.int64)
    link = np.zeros((B, N), dtype=np.int64)
    union = np.zeros((B, N), dtype=np.int64)
    good = np.ones(B, dtype=bool)
    # Move of a carry at loop k: t_k = u_k - sum_{j<k} u_j (u_j: projected step of real
    # temporal loop j). With a = u - (exclusive prefix sum of u), t_k = a_k - a_k0 + t_k0,
    # so t_k == t_k0 iff a_k == a_k0: compared through one integer key per loop (|a_r| is
    # at most sum_d C[r, d] * extent_d: the strides along one dimension sum to less).
    amult = _radix(C @ pre[:, L, :].max(axis=0))
    if amult is None:
        good[:] = False
        return WindowTraffic(size, W, v, vm, link, union, good)
    cm = Ct @ amult  # key of each dimension's unit step
    ukey = np.where(real_t, stride * cm[na.dim], 0)
    akey = ukey - (np.cumsum(ukey, axis=1) - ukey)
    suf_in = suffix_products(np.where(temporal, n, 1))  # prod_{j>=k} of temporal ends
    cnt = np.where(real_t, (n - 1) * suf_in[:, 1:], 0)
    nxt = first_from(real_t)
    # New rule: loops whose carry does not move the tile are transparent, so the
    # analysis starts at the first moving loop (k0); steps of later loops that do not
    # move fetch nothing, and no step directly after a transparent one can use links.
    nxt_mv = first_from(real_t & (ukey != 0)) if new_rule else nxt
    pos = np.arange(L)[None, :]
    ext_r = project(ext_lv - 1, C) + 1  # [B, N, R] tile extents per rank
    size[:] = prod_last(ext_r)
    nsp_all = level_counts(~temporal, na, N)
    s_stride = np.where(real_t, stride, 0)
    for s in range(N - 1):
        e = ext_r[:, s]
        T = size[:, s]
        q = s + 1
        k0 = nxt_mv[rows, starts[:, q]]
        has = k0 < L
        k0c = np.minimum(k0, L - 1)
        t0 = np.where(has[:, None], stride[rows, k0c, None] * Ct[na.dim[rows, k0c]], 0)
        later_all = real_t & (pos > k0[:, None])
        ak0 = akey[rows, k0c][:, None]
        eq = later_all & (akey == ak0)
        c0 = np.where(has, cnt[rows, k0c], 0)
        ceq = c0 + (cnt * eq).sum(axis=1)
        pi = suf_in[rows, k0c + 1] * np.where(has, n[rows, k0c], 1)  # prod_{j>=k0} n_j
        d0 = T - prod_last(np.maximum(0, e - np.abs(t0)))
        if new_rule:  # t_k = 0 (key a_k0 - u_k0): no fetch instead of a stride change
            zero = later_all & (akey == ak0 - ukey[rows, k0c][:, None])
            cz = (cnt * zero).sum(axis=1)
            inner = nxt[rows, starts[:, q]] < k0  # transparent loops inside k0
        else:
            zero = None
            cz = 0
        Wq = T * (pi - ceq - cz) + d0 * ceq
        W[:, s] = Wq
        v[:, q] = Wq
        vm[:, q] = Wq
        union[:, q] = T
        # ---- fan-out of level q (its spatial loops are its first loops)
        nsp = nsp_all[:, q]
        fr = np.nonzero(nsp > 0)[0]
        if len(fr) == 0:
            continue
        nsp_f = nsp[fr]
        Smax = int(nsp_f.max())
        st_f = starts[fr, q]
        sidx = np.minimum(st_f[:, None] + np.arange(Smax)[None, :], L - 1)
        smask = np.arange(Smax)[None, :] < nsp_f[:, None]
        s_end = np.where(smask, np.take_along_axis(n[fr], sidx, axis=1), 1)
        s_step = np.where(smask[:, :, None],
                          (stride[fr[:, None], sidx])[:, :, None] * Ct[na.dim[fr[:, None], sidx]],
                          0)  # [K, S, R]
        uext = pre[fr, st_f + nsp_f, :]
        union[fr, q] = prod_last(project(uext - 1, C) + 1)
        F = prod_last(s_end)
        Fm = int(F.max())
        radix = np.cumprod(s_end, axis=1) // s_end
        el = np.arange(Fm)
        sigma = np.zeros((len(fr), Fm, C.shape[0]), dtype=np.int64)  # element offsets
        for j in range(Smax):
            ctr = (el[None, :] // radix[:, j, None]) % s_end[:, j, None]  # [K, F]
            sigma += ctr[:, :, None] * s_step[:, j, None, :]
        evalid = el[None, :] < F[:, None]
        span = ((s_end - 1)[:, :, None] * s_step).sum(axis=1)  # [K, R] largest offsets
        smult = _radix(span.max(axis=0))
        if smult is None:
            good[fr] = False
            continue
        skey = np.where(evalid, dot_last(sigma, smult), 0)
        G = _distinct(skey)
        Wf = Wq[fr]
        v[fr, q] = G * Wf
        vm[fr, q] = F * Wf
        if not link_transfers:
            continue
        h, vv = fanouts[q]
        pc, pp = _grid_pairs(h, vv)
        keep_p = (pc < Fm) & (pp < Fm)
        pc, pp = pc[keep_p], pp[keep_p]
        if len(pc) == 0:
            continue
        pvalid = (pc[None, :] < F[:, None]) & (pp[None, :] < F[:, None])
        dkey = skey[:, pp] - skey[:, pc]  # [K, P]
        Tf, d0f, hasf, k0f = T[fr], d0[fr], has[fr], k0c[fr]
        cz_f = cz[fr] if new_rule else np.zeros(len(fr), dtype=np.int64)
        if new_rule:
            hasf = hasf & ~inner[fr]
        whole = d0f == Tf
        # t_0 steps (kind whole: all of Ceq; kind slab: n_0 * (Ceq - cnt_0))
        t0f = t0[fr]
        i0 = np.nonzero(hasf & (d0f > 0) & all_last(np.abs(t0f) <= span))[0]
        if len(i0):
            ns, gu = _served(skey[i0], evalid[i0], pvalid[i0], dkey[i0], pc,
                             dot_last(t0f[i0], smult))
            rr = fr[i0]
            n0 = n[rr, k0f[i0]]
            # old rule: cz = 0 and the whole-kind weight is Ceq
            wt_whole = (n0 - 1) * (suf_in[rr, k0f[i0] + 1] - cz_f[i0]) + ceq[rr] - c0[rr]
            wt = np.where(whole[i0], wt_whole * Tf[i0], n0 * (ceq[rr] - c0[rr]) * d0f[i0])
            use = gu < G[i0]
            i0, rr, ns, gu, wt = i0[use], rr[use], ns[use], gu[use], wt[use]
            v[rr, q] -= (G[i0] - gu) * wt
            vm[rr, q] -= ns * wt
            link[rr, q] += ns * wt
        # whole kind: steps whose move t_k differs from t_0 (could match a neighbour only
        # if every rank of t_k is within the run's offset span)
        iw = np.nonzero(whole & hasf)[0]
        if len(iw) == 0:
            continue
        rw = fr[iw]
        later = later_all[rw] & ~eq[rw]
        if new_rule:
            later &= ~zero[rw]
        u = s_stride[rw, :, None] * Ct[na.dim[rw]]
        a = u - (np.cumsum(u, axis=1) - u)
        t = a - a[np.arange(len(rw)), k0f[iw]][:, None, :] + t0f[iw][:, None, :]  # [Kw, L, R]
        later &= all_last(np.abs(t) <= span[iw][:, None, :])
        ib, kb = np.nonzero(later)
        if len(ib) == 0:
            continue
        ii = iw[ib]
        ns, gu = _served(skey[ii], evalid[ii], pvalid[ii], dkey[ii], pc,
                         dot_last(t[ib, kb], smult))
        wt = cnt[fr[ii], kb] * Tf[ii]
        use = gu < G[ii]
        ii, ns, gu, wt = ii[use], ns[use], gu[use], wt[use]
        np.add.at(v[:, q], fr[ii], -(G[ii] - gu) * wt)
        np.add.at(vm[:, q], fr[ii], -ns * wt)
        np.add.at(link[:, q], fr[ii], ns * wt)
    return WindowTraffic(size, W, v, vm, link, union, good)
