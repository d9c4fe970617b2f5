"""A fast closed-form estimate of a candidate's energy and cycles, for screening.

The exact model costs milliseconds per mapping; the search wants to look at far
more candidates than that allows. This estimate follows the model's closed form
for *plain* data spaces (each rank one dimension: matmul operands, conv Weights
and Outputs), where it gives the model's numbers, and approximates the others
(sliding-window Inputs):

* a tile is the box of the affine projection (halo included), as in the model;
* fills of a level: the whole tile whenever the innermost non-trivial loop above it
  that is relevant restarts, and ``step / span`` of it per further step of that
  loop when the window slides with overlap and no irrelevant loop sits between
  (Timeloop's stride-change rule refetches the whole tile otherwise);
* spatial reuse: one parent access per *distinct* child tile (identical tiles are
  multicast), link transfers ignored.

It never decides what is reported: candidates it ranks well are re-scored with the
exact model. Works straight from a `Candidate` (no IR `Mapping` is built).
"""
from __future__ import annotations

import math

from loopnest.energy.tables import CostTables
from loopnest.mapper.mapspace import SX, SY, T, Candidate, MapSpace

READ = ("random_read", "read")
FILL = ("random_fill", "random_write", "fill", "write")
UPDATE = ("random_update", "random_write", "update", "write")
COMPUTE = ("mac_random", "mult_random", "mac", "mult", "compute")


def _e(tables: CostTables, name: str, acts: tuple[str, ...]) -> float:
    v = tables.energy(name, acts)
    return 0.0 if v is None else v


class Surrogate:
    """Closed-form (energy pJ, cycles) estimates of candidates of one map space."""

    def __init__(self, space: MapSpace, tables: CostTables) -> None:
        self.space = space
        wl, arch = space.workload, space.arch
        dims = wl.dimensions
        self.nd = len(dims)
        self.N = len(arch.storage)
        self.ds = wl.data_spaces
        self.nds = len(self.ds)
        self.ranks = [[[(dims.index(d), c) for d, c in rank] for rank in ds.projection]
                      for ds in self.ds]
        # coef[k][d][r]: coefficient of dim d in rank r of data space k (0 if absent)
        self.coef = [[[sum(c for dd, c in rank if dd == d) for rank in rk]
                      for d in range(self.nd)] for rk in self.ranks]
        self.rel = [[False] * self.nd for _ in self.ds]
        for k, ds in enumerate(self.ds):
            for rank in self.ranks[k]:
                for d, c in rank:
                    if c:
                        self.rel[k][d] = True
        self.plain = [all(len(r) == 1 and r[0][1] == 1 for r in rk)
                      and len({r[0][0] for r in rk}) == len(rk) for rk in self.ranks]
        self.rw = [ds.read_write for ds in self.ds]
        cp = arch.compute
        ec = tables.energy(cp.name, COMPUTE)
        self.e_compute = (cp.word_bits / 16.0) ** 2 if ec is None else ec
        self.lv = []
        for s, lv in enumerate(arch.storage):
            scale = dict(lv.per_dataspace_bandwidth_consumption_scale)
            self.lv.append((
                _e(tables, lv.name, READ), _e(tables, lv.name, FILL), _e(tables, lv.name, UPDATE),
                _e(tables, lv.name, ("leak",)), lv.block_size,
                max(1, lv.instances // lv.cluster_size), lv.read_bandwidth, lv.write_bandwidth,
                lv.shared_bandwidth, [scale.get(ds.name, 1.0) for ds in self.ds]))
        self.latency = sum(lv.network_fill_latency + lv.network_drain_latency
                           for lv in arch.storage)
        self.ds_index = {ds.name: k for k, ds in enumerate(self.ds)}
        self._fills_cache: dict[tuple, float] = {}
        # Directives the closed form does not model: anneal on the exact model instead.
        self.faithful = not any(lv.lc.no_temporal_reuse or lv.lc.no_spatial_reuse
                                for lv in space.levels)

    # -- pieces ---------------------------------------------------------------------
    def _box(self, k: int, ext: list[int]) -> int:
        size = 1
        for rank in self.ranks[k]:
            size *= sum(c * (ext[d] - 1) for d, c in rank) + 1
        return size

    def _distinct(self, k: int, fsp: list[int], below: list[int]) -> int:
        """Distinct child tiles of data space k under one level's spatial factors."""
        if self.plain[k]:
            n = 1
            for d in range(self.nd):
                if self.rel[k][d]:
                    n *= fsp[d]
            return n
        n = 1
        for rank in self.ranks[k]:
            vals = {0}
            for d, c in rank:
                if fsp[d] > 1 and c:
                    st = c * below[d]
                    vals = {v + st * i for v in vals for i in range(fsp[d])}
            n *= len(vals)
        return n

    def _fills(self, k: int, size: int, ext: list[int],
               above: list[tuple[int, int, int]]) -> float:
        """Sum of deltas of data space k's tile over every call of the boundary loop.

        With extrapolation, a call that advances loop i (inner loops back at 0) has
        weight (n_i - 1) * prod(n above i) and moves the tile by t_i. Under the
        reference stride rule the state before it is t_1 (the innermost loop's step),
        so the delta is the tile minus its overlap when t_i == t_1 (or i == 1), and
        the whole tile otherwise; the first call fetches the whole tile."""
        if not above:
            return float(size)
        ranks = self.ranks[k]
        coef = self.coef[k]
        spans = [sum(c * (ext[d] - 1) for d, c in rank) + 1 for rank in ranks]
        nr = len(ranks)
        proj = [0] * nr  # projected sum of the strides of the loops inside
        ts = []
        for d, _, stride in above:
            cd = coef[d]
            ts.append(tuple(cd[r] * stride - proj[r] for r in range(nr)))
            for r in range(nr):
                proj[r] += cd[r] * stride
        L = len(above)
        suffix = [1] * (L + 1)
        for i in range(L - 1, -1, -1):
            suffix[i] = suffix[i + 1] * above[i][1]
        total = float(size)
        t1 = ts[0]
        for i in range(L):
            t = ts[i]
            if i == 0 or t == t1:
                ov = 1
                for sp_, tr in zip(spans, t):
                    ov *= max(0, sp_ - abs(tr))
                delta = size - ov
            else:
                delta = size
            if delta:
                total += (above[i][1] - 1) * suffix[i + 1] * delta
        return total

    # -- the estimate -----------------------------------------------------------------
    def estimate(self, cand: Candidate) -> tuple[float, int, float]:
        """(energy in pJ, cycles, last-level accesses) of a feasible candidate."""
        N, nd, nds = self.N, self.nd, self.nds
        f = cand.tiling.f
        # per level: spatial factors, extents after the level, temporal loops
        fsp = []
        Fsp = [1] * N
        Xsp = [1] * N
        Ysp = [1] * N
        ext_before = []
        ext_after = []
        cur = [1] * nd
        loops = []  # per level: [(d, end)] non-trivial temporal, inner first
        for s in range(N):
            fs = f[s]
            sx, sy = fs[SX], fs[SY]
            sp = [sx[d] * sy[d] for d in range(nd)]
            fsp.append(sp)
            Xsp[s] = math.prod(sx)
            Ysp[s] = math.prod(sy)
            Fsp[s] = Xsp[s] * Ysp[s]
            ext_before.append(list(cur))
            cur = [cur[d] * sp[d] * fs[T][d] for d in range(nd)]
            ext_after.append(list(cur))
            loops.append([(d, fs[T][d]) for d in cand.perms[s] if fs[T][d] > 1])
        size = [[self._box(k, ext_after[s]) for k in range(nds)] for s in range(N)]
        CA0 = 1
        for s in range(N):
            for _, e in loops[s]:
                CA0 *= e
        comp_repl = math.prod(Fsp)
        # W[s][k]: words requested by one instance of level s from above.
        W = [[0.0] * nds for _ in range(N)]
        cache = self._fills_cache
        if len(cache) > 500_000:
            cache.clear()
        for s in range(N - 1):
            # non-trivial temporal loops above s, inner first, with their strides
            above = []
            run = list(ext_after[s])
            for t in range(s + 1, N):
                run = [run[d] * fsp[t][d] for d in range(nd)]
                for d, e in loops[t]:
                    above.append((d, e, run[d]))
                    run[d] *= e
            ekey = (tuple(ext_after[s]), tuple(above))
            for k in range(nds):
                key = (k, ekey)
                w = cache.get(key)
                if w is None:
                    w = cache[key] = self._fills(k, size[s][k], ext_after[s], above)
                W[s][k] = w
        # histograms, partitions, parent access shares
        v = [[0.0] * nds for _ in range(N)]
        mm = [[1.0] * nds for _ in range(N)]
        fan = [float(Fsp[s]) if Fsp[s] > 1 else 1.0 for s in range(N)]
        v[0] = [float(CA0)] * nds
        distinct = [[1] * nds for _ in range(N)]
        for s in range(1, N):
            if Fsp[s] > 1:
                for k in range(nds):
                    g = self._distinct(k, fsp[s], ext_after[s - 1])
                    distinct[s][k] = g
                    v[s][k] = g * W[s - 1][k]
                    mm[s][k] = Fsp[s] / g
            else:
                v[s] = list(W[s - 1])
        part = [[0] * nds for _ in range(N)]
        part[N - 1] = list(size[N - 1])
        for s in range(N - 2, -1, -1):
            for k in range(nds):
                if Fsp[s + 1] > 1:
                    union = [ext_after[s][d] * fsp[s + 1][d] for d in range(nd)]
                    denom = self._box(k, union)
                else:
                    denom = size[s][k]
                part[s][k] = part[s + 1][k] * size[s][k] // denom if denom else 0
        pas = [[0.0] * nds for _ in range(N)]
        for s in range(N - 1):
            pas[s] = [v[s + 1][k] * mm[s + 1][k] / fan[s + 1] for k in range(nds)]
        ca = [list(x) for x in v]
        keep = [[self.ds[k].name in cand.keep[s] for k in range(nds)] for s in range(N)]
        for s in range(N):
            for k in range(nds):
                if keep[s][k]:
                    continue
                if s + 1 < N:
                    o = s + 1
                    tot = v[o][k] * mm[o][k]
                    if tot != 0:
                        v[o][k] = v[o][k] * (ca[s][k] * fan[o] / tot)
                    ca[o][k] = v[o][k]
                part[s][k] = 0
                ca[s][k] = 0.0
                pas[s][k] = 0.0
        kept_above = [False] * nds
        outermost = [[False] * nds for _ in range(N)]
        for s in range(N - 1, -1, -1):
            for k in range(nds):
                if keep[s][k] and not kept_above[k]:
                    outermost[s][k] = True
                    pas[s][k] = 0.0
                kept_above[k] = kept_above[k] or keep[s][k]
        # energy and cycles
        cc = CA0
        energy = CA0 * comp_repl * self.e_compute
        repl = [1] * N
        x_exp = [1] * N
        y_exp = [1] * N
        for s in range(N - 2, -1, -1):
            repl[s] = repl[s + 1] * Fsp[s + 1]
            x_exp[s] = x_exp[s + 1] * Xsp[s + 1]
            y_exp[s] = y_exp[s + 1] * Ysp[s + 1]
        cycles = cc
        lla = 0.0
        for s in range(N):
            e_r, e_f, e_u, _, bs, inst, rbw, wbw, sbw, scale = self.lv[s]
            xy = x_exp[s] * y_exp[s]
            uc = min(xy, inst)
            rp = repl[s]
            rho = xy / rp if rp else 1.0
            sum_r = sum_w = 0.0
            for k in range(nds):
                if not keep[s][k]:
                    continue
                c, p = ca[s][k], pas[s][k]
                if self.rw[k]:
                    r = round(c - part[s][k])
                    fl = max(0, round(p if outermost[s][k] else p - part[s][k]))
                    u = round(c)
                else:
                    r, fl, u = round(c), round(p), 0
                if s == N - 1:
                    lla += r + fl + u
                ce = math.ceil(r / bs) * e_r + math.ceil(fl / bs) * e_f + math.ceil(u / bs) * e_u
                if uc:
                    energy += ce / (xy / uc) * rp
                if cc:
                    sum_r += math.ceil(r / rho) / cc * scale[k]
                    sum_w += math.ceil((fl + u) / rho) / cc * scale[k]
            slow = 1.0
            if rbw is not None and sum_r > rbw:
                slow = min(slow, rbw / sum_r)
            if wbw is not None and sum_w > wbw:
                slow = min(slow, wbw / sum_w)
            if sbw is not None and sum_r + sum_w > sbw:
                slow = min(slow, sbw / (sum_r + sum_w))
            if slow > 0:
                cycles = max(cycles, math.ceil(cc / slow))
        cycles += self.latency
        for s in range(N):
            energy += self.lv[s][3] * cycles * max(1, repl[s])
        return energy, cycles, lla
