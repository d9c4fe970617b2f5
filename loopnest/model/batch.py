"""Batched evaluation: many mappings of one workload/architecture at once (numpy).

`evaluate_many` agrees exactly with `evaluate` on every mapping. Entries whose
workload and mapping fall in the closed-form coverage are computed vectorised
over the batch; every other entry is evaluated by the exact model and flagged
in `BatchResult.exact_fallback`. See docs/model.md for the derivation.

Closed-form coverage (all must hold, otherwise the entry falls back):
* every projection coefficient is non-negative (tiles are boxes) and every
  component is priced;
* the innermost storage level has no spatial fan-out (compute-level operand
  multicast compares points, not deltas, and can fire link transfers);
* no `no_temporal_reuse`, `no_spatial_reuse`, `no_link_transfer`,
  `rmw_first_update`, `no_coalesce` directive, spatial loops tagged X or Y, as
  many mapping levels as storage levels;
* no residual (imperfect) loop: Timeloop's residual analysis depends on which
  iterations its extrapolation happens to simulate (see nest_residual.py), so
  such entries are always evaluated by the exact model;
* every count stays below 2**52 (float64 mirrors of the exact model's ints).

Plain data spaces (each rank one dimension with coefficient 1: matmul, conv
Weights/Outputs) use the short closed form below; sliding-window data spaces
(conv Inputs) use `windows.window_traffic` (same results, more work), under
either stride rule.

Why plain data spaces are closed-form (FORMATS.md §7): the working set of a
plain data space at a storage boundary is a box whose offsets along every rank
are multiples of its extent, so each delta is either empty or the whole tile,
and all spatial contexts see the same history. Under the reference stride
rule a zero-translation step never refetches a plain tile (after the first
call the translation state is null before every moving step and becomes zero
after every stationary one), so the weighted delta total at the level above is
`|tile| * prod(temporal ends above, from the innermost loop over a relevant
dimension outward)`. A fan-out groups elements that differ only in irrelevant
dimensions (multicast factor = product of those ends) and link transfers
cannot fire (a moving tile never lands on a neighbour's previous tile).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from loopnest.energy.tables import CostTables
from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.residuals import mapping_is_imperfect
from loopnest.ir.workload import Workload
from loopnest.model.evaluate import (COMPUTE_ACTIONS, FILL_ACTIONS, READ_ACTIONS,
                                     UPDATE_ACTIONS, ModelOptions, action_energy, evaluate,
                                     unpriced)
from loopnest.model.nestarrays import (TEMPORAL, X, NestArrays, first_from, flatten,
                                       level_products, level_starts, prefix_extents, prod_last,
                                       project, sum_last, suffix_products, take)
from loopnest.model.result import Result
from loopnest.model.windows import projection_matrix, window_traffic

_LIMIT = float(2 ** 52)
CHUNK = 1024  # entries per vectorised pass (cache-sized arrays: ~1.5x faster than 10k)


@dataclass
class BatchResult:
    """Per-entry figures of a batch; counts are per instance, [batch, levels, data spaces]."""

    valid: np.ndarray
    energy: np.ndarray  # pJ (nan where invalid)
    cycles: np.ndarray  # int64 (0 where invalid)
    edp: np.ndarray  # J*cycle (nan where invalid)
    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    exact_fallback: np.ndarray  # bool: entry evaluated by the exact model
    # Data spaces the fast path would analyse per entry with the exact nest analysis:
    # none since sliding windows are closed-form under both stride rules (kept for callers).
    exact_dataspaces: tuple[str, ...] = ()
    _workload: Workload = field(repr=False, default=None)
    _arch: Architecture = field(repr=False, default=None)
    _mappings: list = field(repr=False, default_factory=list)
    _tables: CostTables = field(repr=False, default=None)
    _options: ModelOptions | None = field(repr=False, default=None)
    _cache: dict = field(repr=False, default_factory=dict)
    # Sparseloop spec (loopnest.model.sparse.spec.SparseSpec) of a sparse design: every
    # entry is then scored by the exact sparse model.
    _sparse: object = field(repr=False, default=None)

    def __len__(self) -> int:
        return len(self.valid)

    def fallback_reason(self, i: int) -> str | None:
        """Why entry i was evaluated by the exact model (None if it was not)."""
        if not self.exact_fallback[i]:
            return None
        if _is_sparse(self._sparse):
            return "sparse optimizations"
        return coverage_gap(self._workload, self._arch, self._mappings[i], self._tables)

    def result(self, i: int) -> Result:
        """Full `Result` of entry i (exact evaluator, computed lazily and cached)."""
        r = self._cache.get(i)
        if r is None:
            if _is_sparse(self._sparse):
                from loopnest.model.sparse.evaluate import sparse_result

                r = sparse_result(self._workload, self._arch, self._mappings[i], self._tables,
                                  self._sparse, self._options)
            else:
                r = evaluate(self._workload, self._arch, self._mappings[i], self._tables,
                             self._options)
            self._cache[i] = r
        return r


def _is_sparse(spec: object) -> bool:
    return spec is not None and bool(getattr(spec, "present", False))


def coverage_gap(workload: Workload, arch: Architecture, mapping: Mapping,
                 tables: CostTables) -> str:
    """The first closed-form coverage rule (module docstring) that `mapping` breaks."""
    if not all(affine_data_spaces(workload)):
        return "a projection with a negative coefficient"
    if unpriced(arch, tables):
        return "an unpriced component"
    if len(mapping.levels) != len(arch.storage):
        return "mapping and architecture level counts differ"
    if mapping_is_imperfect(mapping):
        return "residual (imperfect) factors: Timeloop's residual analysis is exact-only"
    for lm in mapping.levels:
        for key in ("no_temporal_reuse", "no_spatial_reuse", "no_link_transfer",
                    "rmw_first_update", "no_coalesce"):
            if getattr(lm, key):
                return f"a `{key}` directive"
        if any(lp.end > 1 and lp.spatial not in ("X", "Y") for lp in lm.spatial):
            return "a spatial loop tagged other than X/Y"
    if any(lp.end > 1 for lp in mapping.levels[0].spatial):
        return "a spatial fan-out under the innermost storage level"
    return "counts beyond the exactly representable range"


def affine_data_spaces(workload: Workload) -> list[bool]:
    """Per data space: every projection coefficient is non-negative (tile = box)."""
    return [all(c >= 0 for rank in ds.projection for _, c in rank) for ds in workload.data_spaces]


def plain_data_spaces(workload: Workload) -> list[bool]:
    """Per data space: every rank a single dimension with coefficient 1, no repeats."""
    out = []
    for ds in workload.data_spaces:
        dims = []
        ok = True
        for rank in ds.projection:
            if len(rank) != 1 or rank[0][1] != 1:
                ok = False
                break
            dims.append(rank[0][0])
        out.append(ok and len(set(dims)) == len(dims))
    return out


def evaluate_many(workload: Workload, architecture: Architecture, mappings: list[Mapping],
                  tables: CostTables, options: ModelOptions | None = None,
                  sparse: object = None) -> BatchResult:
    """Evaluate a batch of mappings; see the module docstring for the fast path's coverage.

    `sparse`: the design's SparseSpec; a design with `sparse_optimizations` has no closed
    form here, so every entry falls back to the exact sparse model (reason "sparse
    optimizations")."""
    options = options or ModelOptions()
    arch = architecture
    mappings = list(mappings)
    B = len(mappings)
    N = len(arch.storage)
    nds = len(workload.data_spaces)
    valid = np.zeros(B, dtype=bool)
    energy = np.full(B, np.nan)
    cycles = np.zeros(B, dtype=np.int64)
    reads = np.zeros((B, N, nds), dtype=np.int64)
    fills = np.zeros((B, N, nds), dtype=np.int64)
    updates = np.zeros((B, N, nds), dtype=np.int64)
    fallback = np.ones(B, dtype=bool)
    res = BatchResult(valid, energy, cycles, np.full(B, np.nan), reads, fills, updates, fallback,
                      _workload=workload, _arch=arch, _mappings=mappings, _tables=tables,
                      _options=options, _sparse=sparse)
    if B == 0:
        return res
    plain = plain_data_spaces(workload)
    if all(affine_data_spaces(workload)) and not unpriced(arch, tables) \
            and not _is_sparse(sparse):
        for lo in range(0, B, CHUNK):  # chunks keep the [chunk, loops] arrays cache-sized
            chunk = mappings[lo:lo + CHUNK]
            na = flatten(workload, chunk, N)
            fast = np.nonzero(na.covered)[0]
            if not len(fast):
                continue
            sub = take(na, fast) if len(fast) < len(chunk) else na
            v, e, c, r, f, u, good = _closed_form(workload, arch, sub, [chunk[i] for i in fast],
                                                  tables, options, plain)
            sel = lo + fast[good]
            valid[sel] = v[good]
            energy[sel] = e[good]
            cycles[sel] = c[good]
            reads[sel] = r[good]
            fills[sel] = f[good]
            updates[sel] = u[good]
            fallback[sel] = False
    for i in np.nonzero(fallback)[0]:
        r_ = res.result(int(i))
        valid[i] = r_.valid
        if not r_.valid:
            continue
        energy[i] = r_.energy
        cycles[i] = r_.cycles
        names = workload.ds_names
        for s, st in enumerate(r_.storage):
            for dss in st.dataspaces:
                d = names.index(dss.name)
                reads[i, s, d] = dss.reads
                fills[i, s, d] = dss.fills
                updates[i, s, d] = dss.updates
    res.edp[valid] = energy[valid] * 1e-12 * cycles[valid]
    energy[~valid] = np.nan
    cycles[~valid] = 0
    for a in (reads, fills, updates):
        a[~valid] = 0
    return res


def _level_products(na: NestArrays, starts: np.ndarray):
    """Per level [B, N]: products of its spatial ends (all, X, Y)."""
    sp = na.kind != TEMPORAL
    Fsp = level_products(np.where(sp, na.end, 1), starts)
    Xsp = level_products(np.where(na.kind == X, na.end, 1), starts)
    return Fsp, Xsp, Fsp // Xsp


def _closed_form(workload: Workload, arch: Architecture, na: NestArrays, maps: list[Mapping],
                 tables: CostTables, options: ModelOptions, plain: list[bool]):
    """Closed form for covered entries. Returns arrays plus a `good` mask (False where
    a count left the exactly representable range or the closed form cannot vouch:
    those fall back to `evaluate`)."""
    B = len(maps)
    N = len(arch.storage)
    nds = len(workload.data_spaces)
    dims = workload.dimensions
    D = len(dims)
    dim_index = {d: i for i, d in enumerate(dims)}
    dsl = workload.data_spaces
    keep = na.keep
    # relevance [nds, D+1] (index D = padding, never relevant)
    rel = np.zeros((nds, D + 1), dtype=bool)
    for k, ds in enumerate(dsl):
        for rank in ds.projection:
            for dname, _ in rank:
                rel[k, dim_index[dname]] = True
    pre = prefix_extents(na, D)
    starts = level_starts(na, N)
    rows = np.arange(B)
    Fsp, Xsp, Ysp = _level_products(na, starts)
    # ---- tile sizes and validity (cheap: decides which entries get the traffic analysis)
    size = np.zeros((B, N, nds), dtype=np.int64)
    Cm = [projection_matrix(ds.projection, dim_index, D) for ds in dsl]
    ext_lv = pre[rows[:, None], starts[:, 1:], :]  # [B, N, D+1] extents at each boundary
    for d in range(nds):
        if plain[d]:
            size[:, :, d] = prod_last(ext_lv[:, :, np.nonzero(rel[d])[0]])
        else:
            size[:, :, d] = prod_last(project(ext_lv - 1, Cm[d]) + 1)
    x_exp = np.ones((B, N), dtype=np.int64)
    y_exp = np.ones((B, N), dtype=np.int64)
    for s in range(N - 2, -1, -1):
        x_exp[:, s] = x_exp[:, s + 1] * Xsp[:, s + 1]
        y_exp[:, s] = y_exp[:, s + 1] * Ysp[:, s + 1]
    valid = np.ones(B, dtype=bool)
    for s, lv in enumerate(arch.storage):
        used = np.where(keep[:, s], size[:, s], 0).sum(axis=1)
        eff = lv.effective_size
        if eff is not None:
            if not lv.allow_overbooking:
                valid &= used <= eff
            valid &= ~(used < eff * lv.min_utilization)
        valid &= (x_exp[:, s] <= lv.meshX) & (y_exp[:, s] <= lv.meshY)
        fx, fy = arch.fanout(s)
        valid &= (Xsp[:, s] <= fx) & (Ysp[:, s] <= fy)
    cp = arch.compute
    valid &= (prod_last(Xsp) <= cp.meshX) & (prod_last(Ysp) <= cp.meshY)
    good = np.ones(B, dtype=bool)
    R = np.zeros((B, N, nds), dtype=np.int64)
    F = np.zeros((B, N, nds), dtype=np.int64)
    U = np.zeros((B, N, nds), dtype=np.int64)
    energy = np.full(B, np.nan)
    cycles = np.zeros(B, dtype=np.int64)
    idx = np.nonzero(valid)[0]
    if len(idx) == B:
        energy, cycles, R, F, U, good = _traffic_and_energy(
            workload, arch, na, maps, tables, options, plain, rel, Cm, pre, starts, ext_lv, size,
            Fsp, Xsp, Ysp, x_exp, y_exp)
    elif len(idx):
        out = _traffic_and_energy(workload, arch, take(na, idx), [maps[i] for i in idx], tables,
                                  options, plain, rel, Cm, pre[idx], starts[idx], ext_lv[idx],
                                  size[idx], Fsp[idx], Xsp[idx], Ysp[idx], x_exp[idx],
                                  y_exp[idx])
        e_, c_, R[idx], F[idx], U[idx], g_ = out
        energy[idx] = e_
        cycles[idx] = c_
        good[idx] = g_
    return valid, energy, cycles, R, F, U, good


def _traffic_and_energy(workload, arch, na, maps, tables, options, plain, rel, Cm, pre, starts,
                        ext_lv, size, Fsp, Xsp, Ysp, x_exp, y_exp):
    """Traffic, energy and cycles of valid covered entries."""
    B = len(maps)
    N = len(arch.storage)
    nds = len(workload.data_spaces)
    dsl = workload.data_spaces
    keep = na.keep
    temporal = na.kind == TEMPORAL
    rows = np.arange(B)
    good = np.ones(B, dtype=bool)
    suf = suffix_products(np.where(temporal, na.end, 1))
    CA0 = suf[:, 0]  # compute accesses (= compute cycles)
    comp_repl = prod_last(Fsp)
    repl = np.ones((B, N), dtype=np.int64)
    for s in range(N - 2, -1, -1):
        repl[:, s] = repl[:, s + 1] * Fsp[:, s + 1]
    # ---- per level q: accesses v (sum over multicast groups), vm (sum of v x multicast),
    # link transfers; partition denominators of the level below
    v = np.zeros((B, N, nds), dtype=np.int64)
    vm = np.zeros((B, N, nds), dtype=np.int64)
    lnk = np.zeros((B, N, nds), dtype=np.int64)
    denom = size.copy()
    v[:, 0, :] = CA0[:, None]
    vm[:, 0, :] = CA0[:, None]
    caseB = Fsp > 1  # level has a fan-out below it -> master spatial loop
    for d in range(nds):
        if plain[d]:
            r_d = rel[d][na.dim]
            # fills requested by level s: |tile| x the temporal ends above s from the
            # innermost relevant one outward
            first_rel = first_from(temporal & r_d & (na.end > 1))
            g_rels = level_products(np.where(~temporal & r_d, na.end, 1), starts)
            for s in range(N - 1):
                q = s + 1
                W = size[:, s, d] * suf[rows, first_rel[rows, starts[:, q]]]
                g_rel = g_rels[:, q]
                v[:, q, d] = np.where(caseB[:, q], g_rel * W, W)
                vm[:, q, d] = np.where(caseB[:, q], Fsp[:, q] * W, W)
                denom[:, s, d] = np.where(caseB[:, q], size[:, s, d] * g_rel, size[:, s, d])
        else:
            wt = window_traffic(Cm[d], na, pre, starts, ext_lv,
                                [arch.fanout(s) for s in range(N)], options.link_transfers,
                                options.new_stride_rule)
            v[:, 1:, d] = wt.v[:, 1:]
            vm[:, 1:, d] = wt.vm[:, 1:]
            lnk[:, 1:, d] = wt.link[:, 1:]
            denom[:, :N - 1, d] = np.where(caseB[:, 1:], wt.union[:, 1:], size[:, :N - 1, d])
            good &= wt.good
    # exactly-representable guard, in floats so that no int64 wrap-around can hide: every
    # count at level s+1 is at most |tile_s| x (temporal ends above s) x (its fan-out)
    above = suf[rows[:, None], starts[:, 1:]].astype(np.float64)  # [B, N]
    bound = size[:, :N - 1].astype(np.float64) * (above[:, :N - 1] * Fsp[:, 1:])[:, :, None]
    big = (bound.max(axis=(1, 2), initial=0.0) >= _LIMIT) \
        | (CA0.astype(np.float64) * comp_repl >= _LIMIT)
    # partition sizes multiply a share of the whole tensor by a tile size
    sizef = size.astype(np.float64)
    big |= (sizef[:, N - 1, :] * sizef.max(axis=1)).max(axis=1) >= 2.0 ** 62
    good &= ~big
    fan = Fsp.astype(np.float64)
    # partition sizes
    part = np.zeros((B, N, nds), dtype=np.int64)
    part[:, N - 1] = size[:, N - 1]
    for s in range(N - 2, -1, -1):
        part[:, s] = part[:, s + 1] * size[:, s] // denom[:, s]
    # parent access share (before masking)
    pas = np.zeros((B, N, nds))
    for s in range(N - 1):
        pas[:, s] = vm[:, s + 1] / fan[:, s + 1, None]
    ca = v.astype(np.float64)
    vf = v.astype(np.float64)
    sz = size.copy()
    # ---- bypass masking (inner -> outer), per entry via masks
    for s in range(N):
        bp = ~keep[:, s, :]
        if s + 1 < N:
            o = s + 1
            tot = vm[:, o].astype(np.float64)
            f = np.divide(ca[:, s] * fan[:, o, None], tot, out=np.ones_like(tot), where=tot != 0)
            scaled = np.where(tot != 0, vf[:, o] * f, vf[:, o])
            vf[:, o] = np.where(bp, scaled, vf[:, o])
            ca[:, o] = np.where(bp, vf[:, o], ca[:, o])
            lnk[:, o] = np.where(bp, 0, lnk[:, o])
        sz[:, s] = np.where(bp, 0, sz[:, s])
        part[:, s] = np.where(bp, 0, part[:, s])
        ca[:, s] = np.where(bp, 0.0, ca[:, s])
        pas[:, s] = np.where(bp, 0.0, pas[:, s])
    # outermost kept level: PAS 0 (levels above it are already zeroed: not kept)
    kept_above = np.zeros((B, nds), dtype=bool)
    outermost = np.zeros((B, N, nds), dtype=bool)
    for s in range(N - 1, -1, -1):
        first = keep[:, s] & ~kept_above
        outermost[:, s] = first
        pas[:, s] = np.where(first, 0.0, pas[:, s])
        kept_above |= keep[:, s]
    # peer (link) traffic served to the level below
    peer = np.zeros((B, N, nds), dtype=np.int64)
    peer[:, :N - 1] = lnk[:, 1:] // repl[:, :N - 1, None]
    # ---- reads / fills / updates
    R = np.zeros((B, N, nds), dtype=np.int64)
    F = np.zeros((B, N, nds), dtype=np.int64)
    U = np.zeros((B, N, nds), dtype=np.int64)
    for d, ds in enumerate(dsl):
        c = ca[:, :, d]
        p = pas[:, :, d]
        k = keep[:, :, d]
        pr = peer[:, :, d]
        if ds.read_write:
            if options.first_read_elision:
                r = c + pr - part[:, :, d]
                f = np.where(outermost[:, :, d], p + pr, p + pr - part[:, :, d])
            else:
                r = c + pr
                f = p + pr
            R[:, :, d] = np.where(k, np.rint(r), 0)
            F[:, :, d] = np.where(k, np.maximum(0, np.rint(f)), 0)
            U[:, :, d] = np.where(k, np.rint(c), 0)
        else:
            R[:, :, d] = np.where(k, np.rint(c + pr), 0)
            F[:, :, d] = np.where(k, np.rint(p + pr), 0)
    total, cycles = _energy_and_cycles(arch, tables, dsl, keep, R, F, U, CA0, comp_repl, repl,
                                       x_exp, y_exp)
    return total, cycles, R, F, U, good


def _energy_and_cycles(arch, tables, dsl, keep, R, F, U, CA0, comp_repl, repl, x_exp, y_exp):
    """Energy (pJ) and cycles per entry: `evaluate`'s float operations on [B, N, nds]
    arrays, sums over data spaces and levels in its order."""
    N = len(arch.storage)
    cp = arch.compute
    cc = CA0.astype(np.float64)
    e_compute = tables.energy(cp.name, COMPUTE_ACTIONS)
    if e_compute is None:
        e_compute = (cp.word_bits / 16.0) ** 2
    lv_ = arch.storage
    col = lambda xs: np.asarray(xs, dtype=np.float64)[None, :, None]  # noqa: E731
    e_r = col([action_energy(tables, lv.name, READ_ACTIONS) for lv in lv_])
    e_f = col([action_energy(tables, lv.name, FILL_ACTIONS) for lv in lv_])
    e_u = col([action_energy(tables, lv.name, UPDATE_ACTIONS) for lv in lv_])
    bs = col([lv.block_size for lv in lv_])
    sc = np.asarray([[dict(lv.per_dataspace_bandwidth_consumption_scale).get(ds.name, 1.0)
                      for ds in dsl] for lv in lv_], dtype=np.float64)[None]
    cap = np.asarray([max(1, lv.instances // lv.cluster_size) for lv in lv_], dtype=np.float64)
    xy = (x_exp * y_exp).astype(np.float64)  # [B, N]
    uc = np.minimum(xy, cap[None, :])
    rp = repl.astype(np.float64)
    rho = np.where(rp != 0, xy / np.where(rp != 0, rp, 1), 1.0)[:, :, None]
    ce = np.ceil(R / bs) * e_r + np.ceil(F / bs) * e_f + np.ceil(U / bs) * e_u
    ratio = (xy / np.where(uc != 0, uc, 1))[:, :, None]
    per_inst = np.where((uc != 0)[:, :, None], ce / ratio, 0.0)
    e_lvl = sum_last(np.where(keep, per_inst * rp[:, :, None], 0.0))  # [B, N]
    ccc = cc[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rd = np.where(ccc != 0, np.ceil(R / rho) / ccc * sc, 0.0)
        wr = np.where(ccc != 0, np.ceil((F + U) / rho) / ccc * sc, 0.0)
    sum_r = sum_last(np.where(keep, rd, 0.0))
    sum_w = sum_last(np.where(keep, wr, 0.0))
    inf = float("inf")
    rbw = np.asarray([inf if lv.read_bandwidth is None else lv.read_bandwidth for lv in lv_])
    wbw = np.asarray([inf if lv.write_bandwidth is None else lv.write_bandwidth for lv in lv_])
    sbw = np.asarray([inf if lv.shared_bandwidth is None else lv.shared_bandwidth for lv in lv_])
    slow = np.ones_like(sum_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        slow = np.where(sum_r > rbw, np.minimum(slow, rbw / sum_r), slow)
        slow = np.where(sum_w > wbw, np.minimum(slow, wbw / sum_w), slow)
        both = sum_r + sum_w
        slow = np.where(both > sbw, np.minimum(slow, sbw / both), slow)
        cyc = np.where(slow > 0, np.ceil(cc[:, None] / np.where(slow > 0, slow, 1.0)), cc[:, None])
    cyc_all = np.maximum(cc, cyc.max(axis=1))
    cyc_all = cyc_all + sum(lv.network_fill_latency + lv.network_drain_latency for lv in lv_)
    e_leak = np.asarray([action_energy(tables, lv.name, ("leak",)) for lv in lv_])
    leak = e_leak[None, :] * cyc_all[:, None] * np.maximum(1, repl)
    total = (CA0 * comp_repl) * e_compute
    for s in range(N):
        total = total + (e_lvl[:, s] + leak[:, s])
    return total, cyc_all.astype(np.int64)
