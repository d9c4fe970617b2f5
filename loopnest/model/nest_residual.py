"""Nest analysis for mappings with residual (imperfect) factors, as Timeloop does it.

A loop `P=20,17` runs 17 iterations when every outer loop over P is at its last
iteration ("global last", Timeloop's `IsLastGlobalIteration_`), else 20. Timeloop
decides "last" from the loop indices it simulates: iteration 0, a stand-in for the
middle iterations (index 1), and with residuals below, the second-last and last
iterations separately. A loop is "at its last" when `index + 1 >= residual`, so a
residual of 1 is last from index 0 on. Working sets at a loop use the residual
mold (`mold_high_residual_`: the extent when every inner loop of that dimension
is at its residual) for the dimensions that are at their global last. A spatial
fan-out runs to its residual on the global last too (fewer elements), and only
element 0 of a fan-out above a temporal loop is simulated, so inner loops see
the spatial index 0. This module reproduces those rules (including their
artefacts), with the same per-loop bookkeeping as `nest.NestAnalysis`:

* cycles use the product of the temporal ends (`gEnableImperfectCycleCount`);
* per-loop replication is the spatial product averaged over the residual
  (`utilized_spatial_elems_`), truncated to an integer as Timeloop stores it;
* compute accesses are the mean over the spatial contexts the analysis visited,
  and access histograms are averaged in floating point.
"""
from __future__ import annotations

import math

from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.model import pointset as P
from loopnest.model.nest import LoopTile, NestAnalysis, NestResult, _Run, _State


class ResidualNestAnalysis(NestAnalysis):
    """`NestAnalysis` with Timeloop's residual semantics (see module docstring)."""

    def __init__(self, workload: Workload, arch: Architecture, mapping: Mapping,
                 link_transfers: bool = True, new_stride_rule: bool = False) -> None:
        super().__init__(workload, arch, mapping, link_transfers, new_stride_rule)
        L = len(self.loops)
        nd = self.ndims
        self.res = [lp.residual or lp.end for lp in self.loops]
        self.index = [0] * L
        self.by_dim: list[list[int]] = [[] for _ in range(nd)]
        for l, lp in enumerate(self.loops):
            self.by_dim[lp.dim].append(l)
        # innermost imperfect loop per dimension (Timeloop's dim_imperfectly_factorized_at_)
        inner_imp: dict[int, int] = {}
        for l in range(L - 1, -1, -1):
            if self.res[l] != self.loops[l].end:
                inner_imp[self.loops[l].dim] = l
        self.imp_below = [inner_imp.get(lp.dim, L) < l for l, lp in enumerate(self.loops)]
        # residual molds: extents when every loop up to l of a dimension is at its residual
        scale = [1] * nd
        scale_res = [1] * nd
        self.mold_res: list[list[int]] = []
        for l, lp in enumerate(self.loops):
            scale_res[lp.dim] += scale[lp.dim] * (self.res[l] - 1)
            scale[lp.dim] *= lp.end
            self.mold_res.append([x - 1 for x in scale_res])
        self.res_dims = [[d for d in range(nd) if self.mold_res[l][d] != self.mold_high[l][d]]
                         for l in range(L)]
        self._shape: dict[tuple[int, tuple[int, ...]], tuple[list, list[int]]] = {}
        self.compute_info: dict[tuple[int, ...], float] = {}
        self.utilized = self._utilized_elems()

    # ------------------------------------------------------------------ residual rules
    def _is_last(self, level: int, dim: int) -> bool:
        """Every loop over `dim` from `level` outward is at (or past) its last iteration."""
        idx, res = self.index, self.res
        for l in self.by_dim[dim]:
            if l >= level and idx[l] + 1 < res[l]:
                return False
        return True

    def _eff_end(self, l: int) -> int:
        lp = self.loops[l]
        return self.res[l] if self._is_last(l + 1, lp.dim) else lp.end

    def _utilized_elems(self) -> list[float]:
        """Per loop: spatial elements above it, each imperfect spatial loop counted at
        its average use over the iterations of the outer loops of its dimension."""
        L = len(self.loops)
        out = [1.0] * L
        util = 1.0
        for l in range(L - 1, -1, -1):
            out[l] = util
            lp = self.loops[l]
            if not lp.spatial:
                continue
            if self.res[l] != lp.end:
                outer = 1.0
                for l2 in range(L - 1, l, -1):
                    if self.loops[l2].dim == lp.dim:
                        outer = self.res[l2] + self.loops[l2].end * (outer - 1)
                util = util * (self.res[l] + lp.end * (outer - 1)) / outer
            else:
                util *= lp.end
        return out

    def _shape_at(self, l: int) -> tuple[list, list[int]]:
        """Per data space extents and tile sizes of loop l's working set right now."""
        last = tuple(d for d in self.res_dims[l] if self._is_last(l + 1, d))
        key = (l, last)
        got = self._shape.get(key)
        if got is None:
            mh = list(self.mold_high[l])
            for d in last:
                mh[d] = self.mold_res[l][d]
            ext = [tuple(sum(c * mh[d] for d, c in rank) + 1 for rank in ranks)
                   for ranks in self.proj]
            got = (ext, [math.prod(e) for e in ext])
            self._shape[key] = got
        return got

    # ------------------------------------------------------------------ recursion
    def _deltas(self, l: int) -> list[P.BoxSet]:
        boundary = self.is_boundary[l]
        if boundary:
            self.stamp.append(0)
        st = self._get_state(l)
        if self.loops[l].spatial:
            self._spatial(l)
        else:
            self._temporal(l, st)
        ext, tsz = self._shape_at(l)
        los = self._project_lo(self.transform)
        track = boundary or self.master[l]
        ms = st.max_size
        ntr = self.no_temporal_reuse[self.loops[l].level]
        new_rule = self.new_stride_rule
        delta: list[P.BoxSet] = []
        for d in range(self.nds):
            lo = los[d]
            cur = ((lo, tuple([a + e for a, e in zip(lo, ext[d])])),)
            if track and tsz[d] > ms[d]:
                ms[d] = tsz[d]
            if ntr[d]:
                delta.append(cur)
                continue
            last = st.last[d]
            st.last[d] = cur
            # the shape may change (residual tiles): centroid translation, general subtract
            t = P.translation(last, cur) if last else None
            T = st.last_t[d]
            if new_rule and (t is None or not any(t)):
                delta.append(P.subtract(cur, last))
            elif T is None:
                delta.append(P.subtract(cur, last))
                st.last_t[d] = t
            elif t == T:
                delta.append(P.subtract(cur, last))
            else:
                delta.append(cur)
                st.last_t[d] = None
        if boundary:
            self.stamp.pop()
        return delta

    def _temporal(self, l: int, st: _State) -> None:
        lp = self.loops[l]
        last = self._is_last(l + 1, lp.dim)
        n = self.res[l] if last else lp.end
        if l == 0:
            body = n * self.epochs
            key = tuple(self.stamp[:-1])
            self.compute_info[key] = self.compute_info.get(key, 0) + body
            for d in range(self.nds):
                st.acc[d][(1, 1)] = st.acc[d].get((1, 1), 0) + body
            return
        # Timeloop runs the last (and, for an imperfect loop, the second-last) iteration
        # on its own when a loop over the same dimension below is imperfect.
        run_last = last and self.imp_below[l]
        run_2nd = run_last and self.res[l] != lp.end
        dim = lp.dim
        scale = self.stride[l]
        saved = self.transform[dim]
        sizes: list[list[int]] = []
        weights: list[int] = []
        idx = self.index
        idx[l] = 0
        sizes.append([P.size(x) for x in self._deltas(l - 1)])
        weights.append(1)
        self.transform[dim] += scale
        idx[l] = 1
        if (run_2nd and n >= 4) or (run_last and not run_2nd and n >= 3) or \
                (not run_last and n >= 2):
            v = n - 2 if run_last else n - 1
            if run_2nd:
                v -= 1
            saved_e = self.epochs
            self.epochs *= v
            delta = self._deltas(l - 1)
            self.epochs = saved_e
            sizes.append([P.size(x) for x in delta])
            weights.append(v)
            self.transform[dim] += scale * v
            idx[l] += v
        if run_2nd and n >= 3:
            delta = self._deltas(l - 1)
            if n >= 4:
                weights[-1] += 1  # the stand-in's delta is reused for this iteration
            else:
                sizes.append([P.size(x) for x in delta])
                weights.append(1)
            self.transform[dim] += scale
            idx[l] += 1
        if run_last and n >= 2:
            delta = self._deltas(l - 1)
            if not run_2nd and n >= 3:
                weights[-1] += 1
            else:
                sizes.append([P.size(x) for x in delta])
                weights.append(1)
            idx[l] += 1
        self.transform[dim] = saved
        if self.is_boundary[l - 1]:
            ep = self.epochs
            for d in range(self.nds):
                tot = 0
                for sz, w in zip(sizes, weights):
                    tot += sz[d] * w
                acc = st.acc[d]
                acc[(1, 1)] = acc.get((1, 1), 0) + tot * ep

    def _run_ends(self, l: int, k: int) -> tuple[int, ...]:
        """Ends of the spatial run l..k (outer first) for this invocation."""
        return tuple(self._eff_end(j) for j in range(l, k - 1, -1))

    def _spatial_translated(self, l: int, k: int) -> None:
        ends = self._run_ends(l, k)
        for j in range(k, l + 1):
            self.index[j] = 0  # only element 0 is simulated
        self.stamp[-1] = 0
        base = self._deltas(k - 1)
        run = self._run_eff(l, k, ends)
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
            st.prev_spatial = (base, run)
            if prev is not None:
                prev_base, prev_run = prev
                chosen = list(without)
                no_link = self.no_link[lvl]
                for d in range(self.nds):
                    if no_link[d] or not base[d]:
                        continue
                    pairs = run.pairs[d] if prev_run is run else \
                        self._pairs_between(l, run, prev_run, d)
                    reused = self._linked(base[d], prev_base[d], pairs)
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

    def _run_eff(self, l: int, k: int, ends: tuple[int, ...]) -> _Run:
        """Run geometry for the given (residual-aware) ends, cached per ends."""
        key = (l, ends)
        run = self._runs.get(key)
        if run is None:
            run = self._build_run(l, k, list(ends))
            self._runs[key] = run
        return run

    def _pairs_between(self, l: int, run: _Run, prev_run: _Run, d: int
                       ) -> list[tuple[tuple[int, ...], list[int]]]:
        """Neighbour pairs when the previous invocation had other run ends: element i now
        against neighbour j's previous delta (offsets from each invocation's own run)."""
        h, v = self.fanout_xy[self.loops[l].level]
        by_u: dict[tuple[int, ...], list[int]] = {}
        for cur, prv in _grid_pairs(h, v):
            if cur >= run.total or prv >= prev_run.total:
                continue
            u = tuple(a - b for a, b in zip(run.shifts[cur][d], prev_run.shifts[prv][d]))
            by_u.setdefault(u, []).append(cur)
        return list(by_u.items())

    def _fill_spatial(self, l: int, deltas: dict[int, list[P.BoxSet]], base: int) -> None:
        """A spatial run down to the compute level (every loop l..0 spatial)."""
        lp = self.loops[l]
        end = self._eff_end(l)
        base *= end
        if l == 0:
            pt = list(self.transform)
            d0 = lp.dim
            start = pt[d0]
            prefix = tuple(self.stamp[:-1])
            info = self.compute_info
            for i in range(end):
                self.index[0] = i
                pt[d0] = start + i * self.stride[0]
                idx = base + i
                if idx not in deltas:  # Timeloop's emplace keeps an existing entry
                    deltas[idx] = [((lo, tuple(x + 1 for x in lo)),)
                                   for lo in self._project_lo(pt)]
                key = prefix + (idx,)
                info[key] = info.get(key, 0) + self.epochs
            return
        dim = lp.dim
        scale = self.stride[l]
        saved = self.transform[dim]
        for i in range(end):
            self.index[l] = i
            self._fill_spatial(l - 1, deltas, base + i)
            self.transform[dim] += scale
        self.transform[dim] = saved

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
            acc: list[dict[tuple[int, int], float]] = [dict() for _ in range(self.nds)]
            for s in states:
                for d in range(self.nds):
                    size[d] += s.max_size[d]
                    link[d] += s.link[d]
                    for k, v in s.acc[d].items():
                        acc[d][k] = acc[d].get(k, 0) + v
            for d in range(self.nds):
                size[d] //= n
                link[d] //= n
                acc[d] = {k: acc[d][k] / n for k in sorted(acc[d])}
            tiles.append(LoopTile(loop=l, size=size, accesses=acc, link_transfers=link,
                                  replication=int(self.utilized[l]), fanout=self.fanout[l],
                                  boundary=self.is_boundary[l], master=self.master[l]))
        first = tiles[0] if tiles else None
        comp_rep = int(self.utilized[first.loop] * first.fanout) if first else 1
        info = self.compute_info
        accesses = sum(info.values()) / len(info) if info else 0.0
        return NestResult(tiles=tiles, compute_accesses=accesses, compute_replication=comp_rep,
                          loops=self.loops, boundaries=self.boundaries, imperfect=True)


def _grid_pairs(h: int, v: int) -> list[tuple[int, int]]:
    """(element, neighbour) pairs of an h x v grid, in Timeloop's comparison order."""
    nb: list[tuple[int, int]] = []
    if v > 1:
        nb += [(y * h + x, (y - 1) * h + x) for x in range(h) for y in range(1, v)]
        nb += [(y * h + x, (y + 1) * h + x) for x in range(h) for y in range(v - 1)]
    if h > 1:
        nb += [(y * h + x, y * h + x - 1) for y in range(v) for x in range(1, h)]
        nb += [(y * h + x, y * h + x + 1) for y in range(v) for x in range(h - 1)]
    return nb
