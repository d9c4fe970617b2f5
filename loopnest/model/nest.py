"""Nest analysis: tile shapes and delta traffic of a loop nest (Timeloop semantics).

The loop nest is simulated symbolically from the outermost loop inward. Each
temporal loop runs iteration 0 and one stand-in for iterations 1..n-1 (scaled by
n-1); a spatial run simulates up to three elements of its innermost loop and
extrapolates the rest by translation. Per loop and per data space we collect
the largest working set, the access histogram {(multicast, scatter): words},
and link transfers, exactly as Timeloop's NestAnalysis does (FORMATS.md §7).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.residuals import mapping_is_imperfect
from loopnest.ir.workload import Workload
from loopnest.model import pointset as P


@dataclass
class NestLoop:
    """One non-trivial loop of the flattened nest (inner first)."""

    dim: int
    end: int
    spatial: str | None  # None, "X", "Y"
    level: int  # storage level owning the loop
    residual: int = 0  # end of the last iteration (imperfect factor); 0 = same as end


@dataclass
class LoopTile:
    """What nest analysis reports for one valid loop (temporal or master spatial)."""

    loop: int
    size: list[int]
    accesses: list[dict[tuple[int, int], int]]
    link_transfers: list[int]
    replication: int
    fanout: int
    boundary: bool
    master: bool


@dataclass
class NestResult:
    tiles: list[LoopTile]  # valid loops, inner first
    compute_accesses: float  # int unless a residual makes spatial contexts differ
    compute_replication: int
    loops: list[NestLoop]
    boundaries: list[int]  # loop index of each storage level's last loop
    # Residual (imperfect) factors present: the model then follows Timeloop's imperfect
    # path (cycles = product of temporal ends, averaged spatial utilization).
    imperfect: bool = False


class _State:
    __slots__ = ("acc", "max_size", "last", "last_t", "link", "prev_spatial")

    def __init__(self, nds: int) -> None:
        self.acc: list[dict[tuple[int, int], int]] = [dict() for _ in range(nds)]
        self.max_size = [0] * nds
        self.last: list[P.BoxSet] = [P.EMPTY] * nds
        self.last_t: list[tuple[int, ...] | None] = [None] * nds
        self.link = [0] * nds
        self.prev_spatial = None  # previous deltas: dict per element, or a run's base


@dataclass
class _Run:
    """Fixed geometry of one spatial run: per element its projected offset in every
    data space, the multicast group-size histogram, and neighbour pairs by offset."""

    total: int
    shifts: list[list[tuple[int, ...]]]
    hist: list[list[tuple[int, int]]]
    pairs: list[list[tuple[tuple[int, ...], list[int]]]]


def build_nest(workload: Workload, mapping: Mapping) -> tuple[list[NestLoop], list[int]]:
    """Flatten a mapping to loops (inner first) and storage boundaries.

    Per storage level: its non-trivial spatial loops (permutation order, X then Y),
    then its non-trivial temporal loops; a level without temporal loops gets a
    placeholder loop (last dimension, end 1) so it still has a boundary.
    """
    dims = workload.dimensions
    loops: list[NestLoop] = []
    boundaries: list[int] = []
    for lvl, lm in enumerate(mapping.levels):
        for lp in lm.spatial:
            if lp.end > 1:
                loops.append(NestLoop(dims.index(lp.dim), lp.end, lp.spatial or "X", lvl,
                                      lp.residual or lp.end))
        n_t = 0
        for lp in lm.temporal:
            if lp.end > 1:
                loops.append(NestLoop(dims.index(lp.dim), lp.end, None, lvl,
                                      lp.residual or lp.end))
                n_t += 1
        if n_t == 0:
            loops.append(NestLoop(len(dims) - 1, 1, None, lvl, 1))
        boundaries.append(len(loops) - 1)
    return loops, boundaries


class NestAnalysis:
    """Symbolic execution of the nest; see module docstring."""

    def __init__(self, workload: Workload, arch: Architecture, mapping: Mapping,
                 link_transfers: bool = True, new_stride_rule: bool = False) -> None:
        self.w = workload
        self.new_stride_rule = new_stride_rule
        self.nds = len(workload.data_spaces)
        self.ndims = len(workload.dimensions)
        self.loops, self.boundaries = build_nest(workload, mapping)
        L = len(self.loops)
        self.is_boundary = [False] * L
        for b in self.boundaries:
            self.is_boundary[b] = True
        self.fanout_xy = [arch.fanout(i) for i in range(len(arch.storage))]
        self.link_enabled = link_transfers
        # per-level mapping flags
        ds_names = workload.ds_names
        self.no_temporal_reuse = [[ds_names[d] in lm.no_temporal_reuse for d in range(self.nds)]
                                  for lm in mapping.levels]
        self.no_spatial_reuse = [[ds_names[d] in lm.no_spatial_reuse for d in range(self.nds)]
                                 for lm in mapping.levels]
        self.no_link = [[ds_names[d] in lm.no_link_transfer for d in range(self.nds)]
                        for lm in mapping.levels]
        # projections: per ds, per rank, list of (dim index, coef)
        self.proj = [[[(workload.dimensions.index(d), c) for d, c in rank] for rank in ds.projection]
                     for ds in workload.data_spaces]
        # master spatial loops and spatial element counts
        self.master = [False] * L
        self.num_elems = [1] * L
        prod = 1
        prev_spatial = False
        for l in range(L - 1, -1, -1):
            self.num_elems[l] = prod
            if self.loops[l].spatial:
                self.master[l] = not prev_spatial
                prod *= self.loops[l].end
                prev_spatial = True
            else:
                prev_spatial = False
        self.fanout = [1] * L
        for l in range(L):
            if self.loops[l].spatial:
                if not self.master[l]:
                    self.fanout[l] = 0
                else:
                    f = 1
                    k = l
                    while k >= 0 and self.loops[k].spatial:
                        f *= self.loops[k].end
                        k -= 1
                    self.fanout[l] = f
        # strides and molds
        self.stride = [0] * L
        self.mold_high: list[list[int]] = []
        scale = [1] * self.ndims
        for l, lp in enumerate(self.loops):
            self.stride[l] = scale[lp.dim]
            scale[lp.dim] *= lp.end
            self.mold_high.append([s - 1 for s in scale])
        # per loop, per data space, per rank: extent of the working set
        self.extent = [[tuple(sum(c * mh[d] for d, c in rank) + 1 for rank in ranks)
                        for ranks in self.proj] for mh in self.mold_high]
        self.tile_size = [[math.prod(e) for e in per_ds] for per_ds in self.extent]
        # live state
        self.state: list[dict[tuple, _State]] = [dict() for _ in range(L)]
        self.transform = [0] * self.ndims
        self.epochs = 1
        self.spatial_id = 0
        self.stamp: list[int] = []
        self.compute_accesses = 0
        self._runs: dict[int, _Run] = {}

    # ------------------------------------------------------------------ geometry
    def _project_lo(self, lo: list[int]) -> list[tuple[int, ...]]:
        """Low corner of the operation-space box in every data space."""
        return [tuple([lo[r[0][0]] * r[0][1] if len(r) == 1 else sum([c * lo[d] for d, c in r])
                       for r in ranks]) for ranks in self.proj]

    def _get_state(self, l: int) -> _State:
        key = tuple(self.stamp[:-1])
        st = self.state[l].get(key)
        if st is None:
            st = _State(self.nds)
            self.state[l][key] = st
        return st

    # ------------------------------------------------------------------ recursion
    def run(self) -> NestResult:
        L = len(self.loops)
        self.epochs = 1
        self._deltas(L - 1)
        return self._collect()

    def _deltas(self, l: int) -> list[P.BoxSet]:
        boundary = self.is_boundary[l]
        if boundary:
            self.stamp.append(0)
        st = self._get_state(l)
        if self.loops[l].spatial:
            self._spatial(l)
        else:
            self._temporal(l, st)
        ext = self.extent[l]
        los = self._project_lo(self.transform)
        track = boundary or self.master[l]
        ms = st.max_size
        tsz = self.tile_size[l]
        lvl = self.loops[l].level
        ntr = self.no_temporal_reuse[lvl]
        new_rule = self.new_stride_rule
        delta: list[P.BoxSet] = []
        for d in range(self.nds):
            lo = los[d]
            cur = ((lo, tuple([a + e for a, e in zip(lo, ext[d])])),)
            if track and tsz[d] > ms[d]:
                ms[d] = tsz[d]
            last = st.last[d]
            st.last[d] = cur
            if ntr[d]:
                delta.append(cur)
                continue
            # same loop => same box shape, so the move is the difference of low corners
            t = tuple([a - b for a, b in zip(lo, last[0][0])]) if last else None
            moved = t is not None and any(t)
            T = st.last_t[d]
            if new_rule and not moved:
                delta.append(P.EMPTY if t is not None else cur)
            elif T is None:
                delta.append(P.subtract(cur, last) if moved else (P.EMPTY if last else cur))
                st.last_t[d] = t
            elif t == T:
                delta.append(P.subtract(cur, last) if moved else P.EMPTY)
            else:
                delta.append(cur)
                st.last_t[d] = None
        if boundary:
            self.stamp.pop()
        return delta

    def _temporal(self, l: int, st: _State) -> None:
        lp = self.loops[l]
        n = lp.end
        if l == 0:
            body = n * self.epochs
            if self.spatial_id == 0:
                self.compute_accesses += body
            for d in range(self.nds):
                st.acc[d][(1, 1)] = st.acc[d].get((1, 1), 0) + body
            return
        dim = lp.dim
        scale = self.stride[l]
        saved = self.transform[dim]
        count = self.is_boundary[l - 1]
        delta = self._deltas(l - 1)
        tot = [P.size(x) for x in delta] if count else None
        self.transform[dim] += scale
        if n >= 2:
            v = n - 1
            saved_e = self.epochs
            self.epochs *= v
            delta = self._deltas(l - 1)
            self.epochs = saved_e
            if tot is not None:
                tot = [a + P.size(x) * v for a, x in zip(tot, delta)]
            self.transform[dim] += scale * v
        self.transform[dim] = saved
        if tot is not None:
            ep = self.epochs
            for d in range(self.nds):
                acc = st.acc[d]
                acc[(1, 1)] = acc.get((1, 1), 0) + tot[d] * ep

    def _spatial(self, l: int) -> None:
        k = l
        while k > 0 and self.loops[k - 1].spatial:
            k -= 1
        if k > 0:
            self._spatial_translated(l, k)
            return
        fan = self.fanout[l]
        orig_sid = self.spatial_id
        self.spatial_id *= fan
        deltas: dict[int, list[P.BoxSet]] = {}
        self._fill_spatial(l, deltas, 0)
        self.spatial_id = orig_sid
        st = self._get_state(l)
        lvl = self.loops[l].level
        without = self._multicast(deltas, [set(deltas) for _ in range(self.nds)], lvl)
        chosen = without
        if self.link_enabled:
            unacc = [set(deltas) for _ in range(self.nds)]
            links = self._links(l, st, deltas, unacc, lvl)
            with_ = self._multicast(deltas, unacc, lvl)
            chosen = []
            for d in range(self.nds):
                if sum(with_[d].values()) < sum(without[d].values()):
                    st.link[d] += links[d]
                    chosen.append(with_[d])
                else:
                    chosen.append(without[d])
        for d in range(self.nds):
            acc = st.acc[d]
            for key, v in chosen[d].items():
                acc[key] = acc.get(key, 0) + v

    def _spatial_translated(self, l: int, k: int) -> None:
        """A spatial run l..k above a temporal loop: every element's delta is element 0's
        delta moved by the projection of the element's offset (affine projections), so
        only element 0 is simulated; multicast groups and neighbour comparisons are
        decided on the projected offsets, which are fixed per run and cached."""
        orig_sid = self.spatial_id
        self.spatial_id *= self.fanout[l]
        self.stamp[-1] = 0
        base = self._deltas(k - 1)
        self.spatial_id = orig_sid
        run = self._run_info(l, k)
        st = self._get_state(l)
        lvl = self.loops[l].level
        ep = self.epochs
        sizes = [P.size(b) for b in base]
        without: list[dict[tuple[int, int], int]] = []
        for d in range(self.nds):
            sz = sizes[d]
            if sz == 0:
                without.append({})
            elif self.no_spatial_reuse[lvl][d]:
                without.append({(1, run.total): sz * ep * run.total})
            else:
                without.append({(m, c): sz * ep * c for m, c in run.hist[d]})
        chosen = without
        if self.link_enabled:
            prev = st.prev_spatial
            st.prev_spatial = base
            if prev is not None:
                chosen = list(without)
                no_link = self.no_link[lvl]
                for d in range(self.nds):
                    if no_link[d] or not base[d]:
                        continue
                    reused = self._linked(base[d], prev[d], run.pairs[d])
                    if not reused:
                        continue
                    with_d = self._regroup(run, d, reused, sizes[d] * ep,
                                           self.no_spatial_reuse[lvl][d])
                    if sum(with_d.values()) < sum(without[d].values()):
                        st.link[d] += sizes[d] * ep * len(reused)
                        chosen[d] = with_d
        for d in range(self.nds):
            acc = st.acc[d]
            for key, v in chosen[d].items():
                acc[key] = acc.get(key, 0) + v

    @staticmethod
    def _linked(cur: P.BoxSet, prev: P.BoxSet,
                pairs: list[tuple[tuple[int, ...], list[int]]]) -> set[int]:
        """Elements whose delta a neighbour held one step earlier (link transfer)."""
        reused: set[int] = set()
        for u, elems in pairs:
            if P.same(P.translate(cur, u), prev):
                reused.update(elems)
        return reused

    @staticmethod
    def _regroup(run: "_Run", d: int, reused: set[int], words: int, no_reuse: bool
                 ) -> dict[tuple[int, int], int]:
        """Multicast histogram of the elements not served by a neighbour."""
        groups: dict[object, int] = {}
        for idx, s in enumerate(run.shifts):
            if idx in reused:
                continue
            key = idx if no_reuse else s[d]
            groups[key] = groups.get(key, 0) + 1
        hist: dict[int, int] = {}
        for m in groups.values():
            hist[m] = hist.get(m, 0) + 1
        return {(m, c): words * c for m, c in hist.items()}

    def _run_info(self, l: int, k: int) -> "_Run":
        run = self._runs.get(l)
        if run is None:
            run = self._build_run(l, k)
            self._runs[l] = run
        return run

    def _build_run(self, l: int, k: int, ends: list[int] | None = None) -> "_Run":
        """Geometry of the run l..k; `ends` (outer first) overrides the loops' ends."""
        loops = list(range(l, k - 1, -1))  # outer -> inner
        ends = ends or [self.loops[j].end for j in loops]
        total = math.prod(ends)
        counters = [0] * len(loops)
        shift_op = [0] * self.ndims
        shifts: list[list[tuple[int, ...]]] = []
        for idx in range(total):
            if idx:
                # advance the mixed-radix counter (innermost fastest)
                j = len(loops) - 1
                while True:
                    lj = loops[j]
                    counters[j] += 1
                    shift_op[self.loops[lj].dim] += self.stride[lj]
                    if counters[j] < ends[j]:
                        break
                    shift_op[self.loops[lj].dim] -= self.stride[lj] * ends[j]
                    counters[j] = 0
                    j -= 1
            shifts.append(self._project_lo(shift_op))
        hist: list[list[tuple[int, int]]] = []
        for d in range(self.nds):
            groups: dict[tuple[int, ...], int] = {}
            for s in shifts:
                groups[s[d]] = groups.get(s[d], 0) + 1
            h: dict[int, int] = {}
            for m in groups.values():
                h[m] = h.get(m, 0) + 1
            hist.append(list(h.items()))
        # neighbour pairs (this element, its neighbour one step earlier), by offset
        h, v = self.fanout_xy[self.loops[l].level]
        nb: list[tuple[int, int]] = []
        if v > 1:
            nb += [(y * h + x, (y - 1) * h + x) for x in range(h) for y in range(1, v)]
            nb += [(y * h + x, (y + 1) * h + x) for x in range(h) for y in range(v - 1)]
        if h > 1:
            nb += [(y * h + x, y * h + x - 1) for y in range(v) for x in range(1, h)]
            nb += [(y * h + x, y * h + x + 1) for y in range(v) for x in range(h - 1)]
        pairs: list[list[tuple[tuple[int, ...], list[int]]]] = []
        for d in range(self.nds):
            by_u: dict[tuple[int, ...], list[int]] = {}
            for cur, prv in nb:
                if cur >= total or prv >= total:
                    continue
                u = tuple(a - b for a, b in zip(shifts[cur][d], shifts[prv][d]))
                by_u.setdefault(u, []).append(cur)
            pairs.append(list(by_u.items()))
        return _Run(total, shifts, hist, pairs)

    def _fill_spatial(self, l: int, deltas: dict[int, list[P.BoxSet]], base: int) -> None:
        lp = self.loops[l]
        end = lp.end
        base *= end
        if l == 0:
            if base == 0 and self.spatial_id == 0:
                self.compute_accesses += self.epochs
            pt = list(self.transform)
            d0 = lp.dim
            start = pt[d0]
            for i in range(end):
                pt[d0] = start + i * self.stride[0]
                deltas[base + i] = [((lo, tuple(x + 1 for x in lo)),) for lo in self._project_lo(pt)]
            return
        dim = lp.dim
        scale = self.stride[l]
        orig_sid = self.spatial_id
        saved = self.transform[dim]
        if self.loops[l - 1].spatial:
            for i in range(end):
                self._fill_spatial(l - 1, deltas, base + i)
                self.transform[dim] += scale
        else:
            run = min(3, end)
            last = second = None
            for i in range(run):
                idx = base + i
                self.spatial_id = orig_sid + idx
                self.stamp[-1] = idx
                deltas[idx] = self._deltas(l - 1)
                self.transform[dim] += scale
                second, last = last, deltas[idx]
            if run < end:
                tv = [P.translation(second[d], last[d]) for d in range(self.nds)]
                prev = last
                for i in range(run, end):
                    idx = base + i
                    cur = [P.translate(prev[d], tv[d]) for d in range(self.nds)]
                    deltas[idx] = cur
                    prev = cur
        self.transform[dim] = saved
        self.spatial_id = orig_sid

    def _multicast(self, deltas: dict[int, list[P.BoxSet]], unacc: list[set[int]], lvl: int
                   ) -> list[dict[tuple[int, int], int]]:
        out: list[dict[tuple[int, int], int]] = []
        for d in range(self.nds):
            groups: dict[object, list[int]] = {}
            order: list[object] = []
            no_reuse = self.no_spatial_reuse[lvl][d]
            for idx, dl in deltas.items():
                if idx not in unacc[d]:
                    continue
                k = (idx,) if no_reuse else P.key(dl[d])
                g = groups.get(k)
                if g is None:
                    groups[k] = [idx]
                    order.append(k)
                else:
                    g.append(idx)
            unacc[d].clear()
            temp: dict[int, list[int]] = {}
            for k in order:
                members = groups[k]
                sz = P.size(deltas[members[0]][d])
                if sz > 0:
                    t = temp.setdefault(len(members), [0, 0])
                    t[0] += sz * self.epochs
                    t[1] += 1
            out.append({(m, t[1]): t[0] for m, t in temp.items()})
        return out

    def _links(self, l: int, st: _State, deltas: dict[int, list[P.BoxSet]],
               unacc: list[set[int]], lvl: int) -> list[int]:
        h, v = self.fanout_xy[lvl]
        prev = st.prev_spatial or {}
        reuse = [[False] * self.nds for _ in range(h * v)] if h * v else []
        no_link = self.no_link[lvl]

        def cmp(cur_i: int, prev_i: int) -> None:
            cd = deltas.get(cur_i)
            pd = prev.get(prev_i)
            if cd is None or pd is None:
                return
            for d in range(self.nds):
                if not no_link[d] and cd[d] and P.same(cd[d], pd[d]):
                    reuse[cur_i][d] = True

        if v > 1:
            for x in range(h):
                for y in range(1, v):
                    cmp(y * h + x, (y - 1) * h + x)
            for x in range(h):
                for y in range(0, v - 1):
                    cmp(y * h + x, (y + 1) * h + x)
        if h > 1:
            for y in range(v):
                for x in range(1, h):
                    cmp(y * h + x, y * h + x - 1)
            for y in range(v):
                for x in range(0, h - 1):
                    cmp(y * h + x, y * h + x + 1)
        links = [0] * self.nds
        for idx, dl in deltas.items():
            if idx >= len(reuse):
                continue
            for d in range(self.nds):
                if reuse[idx][d]:
                    links[d] += P.size(dl[d]) * self.epochs
                    unacc[d].discard(idx)
        st.prev_spatial = deltas
        return links

    # ------------------------------------------------------------------ collect
    def _collect(self) -> NestResult:
        tiles: list[LoopTile] = []
        for l, lp in enumerate(self.loops):
            if lp.spatial and not self.master[l]:
                continue
            states = list(self.state[l].values())
            n = len(states) or 1
            size = [0] * self.nds
            link = [0] * self.nds
            acc: list[dict[tuple[int, int], int]] = [dict() for _ in range(self.nds)]
            for s in states:
                for d in range(self.nds):
                    size[d] += s.max_size[d]
                    link[d] += s.link[d]
                    for k, v in s.acc[d].items():
                        acc[d][k] = acc[d].get(k, 0) + v
            for d in range(self.nds):
                size[d] //= n
                link[d] //= n
                acc[d] = {k: v // n for k, v in acc[d].items()}
            tiles.append(LoopTile(loop=l, size=size, accesses=acc, link_transfers=link,
                                  replication=self.num_elems[l], fanout=self.fanout[l],
                                  boundary=self.is_boundary[l], master=self.master[l]))
        first = tiles[0] if tiles else None
        comp_rep = first.replication * first.fanout if first else 1
        return NestResult(tiles=tiles, compute_accesses=self.compute_accesses,
                          compute_replication=comp_rep, loops=self.loops,
                          boundaries=self.boundaries)


def analyze(workload: Workload, arch: Architecture, mapping: Mapping,
            link_transfers: bool = True, new_stride_rule: bool = False) -> NestResult:
    """Run nest analysis for one mapping.

    `new_stride_rule` selects Timeloop's post-2025 rule, where a step that does not
    move a tile never resets the remembered stride; the default is the older rule
    every reference output was produced with (FORMATS.md §7.4). A nest with a residual
    (imperfect) loop runs Timeloop's residual-aware analysis (`nest_residual`).
    """
    if mapping_is_imperfect(mapping):
        from loopnest.model.nest_residual import ResidualNestAnalysis
        return ResidualNestAnalysis(workload, arch, mapping, link_transfers, new_stride_rule).run()
    return NestAnalysis(workload, arch, mapping, link_transfers, new_stride_rule).run()
