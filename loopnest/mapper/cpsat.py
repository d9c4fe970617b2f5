"""CP-SAT model of the tiling space: exact factorization, fan-out, capacity, user bounds.

Variables: for every dimension d, prime p of its bound and slot s = (level, kind)
an exponent x[d,p,s]; per slot the factor F[d,s] (a divisor of the bound, tied to
its exponents by a table); per level the cumulative extent ext[d,i] (table over
cumulative exponents); per level and data space the tile footprint as the product
of rank extents `sum_t c_t*(ext_t - 1) + 1` (AddMultiplicationEquality: sliding
windows are exact); keep booleans per level and data space.

Every group of user / hardware constraints is enforced by one assumption literal so
that an infeasible space can be explained from CP-SAT's infeasibility core.
The objective is a log-domain surrogate (parallelism, tile sizes weighted by the
cost of the level above); the search re-scores every solution with the exact model.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from fractions import Fraction

from ortools.sat.python import cp_model

from loopnest.mapper.mapspace import SX, SY, T, MapSpace, Tiling, divisors, prime_factors

LOG_SCALE = 1000


@dataclass
class Group:
    """One constraint group guarded by an assumption literal."""

    level: int | None
    kind: str  # "factor", "fanout", "capacity", "keep", "bypass", "min_used", "parallelism"
    text: str


class TilingModel:
    """The CP-SAT model of a map space's tilings (plus keep choices)."""

    def __init__(self, space: MapSpace, explain: bool = False,
                 deadline: float | None = None) -> None:
        """`explain=True` leaves the assumption literals free (for infeasibility cores);
        past `deadline` (time.monotonic()) the build stops with a MapperError."""
        self.space = space
        self.explain = explain
        self.deadline = deadline
        self._ubs: dict[int, int] = {}
        self.m = cp_model.CpModel()
        self.groups: list[Group] = []
        self.lits: list[cp_model.IntVar] = []
        self.nogoods = 0
        # (tiling, keep) of the widest parallelism max_parallelism() found: a start that
        # fills the array, so early mappings are not stuck at low utilization
        self.widest: tuple[Tiling, list[frozenset[str]]] | None = None
        self._build()

    # -- construction ---------------------------------------------------------------
    def _in_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            from loopnest.errors import MapperError

            raise MapperError("building the mapper's CP-SAT model took longer than --timeout",
                              hint="raise --timeout, or constrain the map space (fewer "
                                   "free factors, smaller bounds)")

    def _lit(self, level: int | None, kind: str, text: str) -> cp_model.IntVar:
        lit = self.m.NewBoolVar(f"a{len(self.lits)}")
        if not self.explain:
            self.m.Add(lit == 1)
        self.groups.append(Group(level, kind, text))
        self.lits.append(lit)
        return lit

    def _build(self) -> None:
        sp, m = self.space, self.m
        wl = sp.workload
        dims = wl.dimensions
        nd, nl = len(dims), sp.nlevels
        self.primes = [prime_factors(b) for b in wl.bounds]
        slots = sp.slots()
        self.slots = slots
        # Exponents per (d, p-index, slot).
        self.x: dict[tuple[int, int, tuple[int, int]], cp_model.IntVar] = {}
        self.F: dict[tuple[int, tuple[int, int]], cp_model.IntVar] = {}
        for d in range(nd):
            self._in_time()
            b = wl.bounds[d]
            for k, (p, e) in enumerate(self.primes[d]):
                xs = []
                for s in slots:
                    i, kind = s
                    if kind != T and not sp.levels[i].spatial_allowed[kind - 1][d]:
                        continue
                    v = m.NewIntVar(0, e, f"x_{dims[d]}{p}_{i}_{kind}")
                    self.x[d, k, s] = v
                    xs.append(v)
                m.Add(sum(xs) == e)
            for s in slots:
                i, kind = s
                ex = [self.x.get((d, k, s)) for k in range(len(self.primes[d]))]
                if all(v is None for v in ex):
                    continue
                divs = divisors(b)
                f = self._dvar(list(divs), f"F_{dims[d]}_{i}_{kind}")
                self.F[d, s] = f
                rows = []
                for q in divs:
                    row = [q]
                    ok = True
                    for k, (p, e) in enumerate(self.primes[d]):
                        c, r = 0, q
                        while r % p == 0:
                            r //= p
                            c += 1
                        if ex[k] is None and c:
                            ok = False
                        if ex[k] is not None:
                            row.append(c)
                    if ok:
                        rows.append(row)
                m.AddAllowedAssignments([f] + [v for v in ex if v is not None], rows)
        # Factor bounds (user constraints) per level and kind.
        for i, lv in enumerate(sp.levels):
            self._in_time()
            for kind in (T, SX, SY):
                terms = []
                for d in range(nd):
                    bd = lv.bounds[kind][d]
                    if bd.exact is None and bd.min <= 1 and bd.max is None:
                        continue
                    terms.append((d, bd))
                if not terms:
                    continue
                if kind == SY and lv.fanout[0] > 1:
                    pass  # spatial bounds apply to the X*Y product; handled below
                if kind != T:
                    continue
                txt = " ".join(_bound_text(dims[d], bd) for d, bd in terms)
                lit = self._lit(i, "factor", f"{lv.name} temporal factors {txt}")
                for d, bd in terms:
                    self._bound(self._factor(d, (i, T)), bd, lit)
            # Spatial bounds on the product of X and Y factors of a dim.
            sterms = [(d, lv.bounds[SX][d]) for d in range(nd)
                      if not (lv.bounds[SX][d].exact is None and lv.bounds[SX][d].min <= 1
                              and lv.bounds[SX][d].max is None)]
            if sterms:
                txt = " ".join(_bound_text(dims[d], bd) for d, bd in sterms)
                lit = self._lit(i, "factor", f"{lv.name} spatial factors {txt}")
                for d, bd in sterms:
                    self._bound(self._sfactor(d, i), bd, lit)
            # X/Y exclusivity per dim.
            for d in range(nd):
                fxv, fyv = self.F.get((d, (i, SX))), self.F.get((d, (i, SY)))
                if fxv is not None and fyv is not None:
                    b = m.NewBoolVar("")
                    m.Add(fxv == 1).OnlyEnforceIf(b)
                    m.Add(fyv == 1).OnlyEnforceIf(b.Not())
        # Fan-out.
        self.spatial_prod = []
        for i, lv in enumerate(sp.levels):
            for kind, fan in ((SX, lv.fanout[0]), (SY, lv.fanout[1])):
                if fan <= 1:
                    continue
                fs = [self.F[d, (i, kind)] for d in range(nd) if (d, (i, kind)) in self.F]
                if not fs:
                    continue
                pv = self._product(fs, f"fan_{i}_{kind}")
                lit = self._lit(i, "fanout", f"{lv.name} fan-out {'XY'[kind - 1]} <= {fan}")
                m.Add(pv <= fan).OnlyEnforceIf(lit)
                self.spatial_prod.append(pv)
        # Cumulative extents.
        self.ext: dict[tuple[int, int], cp_model.IntVar] = {}
        for d in range(nd):
            self._in_time()
            b = wl.bounds[d]
            cum = [0] * len(self.primes[d])
            for i in range(nl):
                for k in range(len(self.primes[d])):
                    for kind in (T, SX, SY):
                        v = self.x.get((d, k, (i, kind)))
                        if v is not None:
                            cum[k] = cum[k] + v
                if i == nl - 1 or not self.primes[d]:
                    continue
                e = self._dvar(list(divisors(b)), f"ext_{dims[d]}_{i}")
                cv = []
                for k, (p, ee) in enumerate(self.primes[d]):
                    c = m.NewIntVar(0, ee, "")
                    m.Add(c == cum[k])
                    cv.append(c)
                rows = []
                for q in divisors(b):
                    row = [q]
                    for p, _ in self.primes[d]:
                        c, r = 0, q
                        while r % p == 0:
                            r //= p
                            c += 1
                        row.append(c)
                    rows.append(row)
                m.AddAllowedAssignments([e] + cv, rows)
                self.ext[d, i] = e
        # Keep booleans.
        self.keep: dict[tuple[int, str], cp_model.IntVar] = {}
        ds_names = wl.ds_names
        for i, lv in enumerate(sp.levels):
            for ds in ds_names:
                self.keep[i, ds] = m.NewBoolVar(f"keep_{i}_{ds}")
            if lv.keep_fixed and i < nl - 1:
                lit = self._lit(i, "keep", f"{lv.name} keep [{', '.join(sorted(lv.keep_fixed))}]")
                for ds in lv.keep_fixed:
                    m.Add(self.keep[i, ds] == 1).OnlyEnforceIf(lit)
            elif i == nl - 1:
                for ds in lv.keep_fixed:
                    m.Add(self.keep[i, ds] == 1)
            if lv.bypass_fixed:
                lit = self._lit(i, "bypass", f"{lv.name} bypass [{', '.join(sorted(lv.bypass_fixed))}]")
                for ds in lv.bypass_fixed:
                    m.Add(self.keep[i, ds] == 0).OnlyEnforceIf(lit)
        # Footprints and capacity.
        self.fp: dict[tuple[int, str], cp_model.IntVar] = {}
        for i, lv in enumerate(sp.levels):
            self._in_time()
            if i == nl - 1 or (lv.capacity is None and not lv.min_used):
                continue
            kept_terms = []
            for ds in wl.data_spaces:
                rank_vars = []
                for rank in ds.projection:
                    ub = sum(c * (wl.bound(dn) - 1) for dn, c in rank) + 1
                    expr = 1
                    for dn, c in rank:
                        d = dims.index(dn)
                        e = self.ext.get((d, i))
                        if e is not None:
                            expr = expr + c * (e - 1)
                    r = self._var(1, ub, "")
                    m.Add(r == expr)
                    rank_vars.append(r)
                fp = self._product(rank_vars, f"fp_{i}_{ds.name}")
                self.fp[i, ds.name] = fp
                hi = self._ub(fp)
                kf = self._var(0, hi, f"kfp_{i}_{ds.name}")
                m.Add(kf == fp).OnlyEnforceIf(self.keep[i, ds.name])
                m.Add(kf == 0).OnlyEnforceIf(self.keep[i, ds.name].Not())
                if lv.density is not None and lv.density[ds.name] < 1.0:
                    # occupancy = ceil(density * words), exactly
                    fr = Fraction(lv.density[ds.name]).limit_denominator(10_000)
                    occ = self._var(0, hi, f"occ_{i}_{ds.name}")
                    m.Add(fr.denominator * occ >= fr.numerator * kf)
                    m.Add(fr.denominator * occ <= fr.numerator * kf + fr.denominator - 1)
                    kf = occ
                kept_terms.append(kf)
            if lv.capacity is not None:
                lit = self._lit(i, "capacity", f"{lv.name} capacity {lv.capacity} words")
                m.Add(sum(kept_terms) <= lv.capacity).OnlyEnforceIf(lit)
            if lv.min_used:
                lit = self._lit(i, "min_used", f"{lv.name} min_utilization ({lv.min_used} words)")
                m.Add(sum(kept_terms) >= lv.min_used).OnlyEnforceIf(lit)
        # Minimum parallelism.
        if sp.min_parallelism and self.spatial_prod:
            tot = self._product(self.spatial_prod, "par")
            total_fan = math.prod(lv.fanout[0] * lv.fanout[1] for lv in sp.levels)
            need = math.ceil(sp.min_parallelism * total_fan - 1e-9)
            lit = self._lit(None, "parallelism", f"min parallelism {sp.min_parallelism}")
            m.Add(tot >= need).OnlyEnforceIf(lit)

    def _factor(self, d: int, s: tuple[int, int]):
        return self.F.get((d, s), 1)

    def _sfactor(self, d: int, i: int):
        fs = [self.F[d, (i, k)] for k in (SX, SY) if (d, (i, k)) in self.F]
        if not fs:
            return 1
        if len(fs) == 1:
            return fs[0]
        return self._product(fs, "")

    def _bound(self, f, bd, lit) -> None:
        if isinstance(f, int):
            ok = bd.admits(f)
            if not ok:
                self.m.AddBoolOr([lit.Not()])
            return
        if bd.exact is not None:
            self.m.Add(f == bd.exact).OnlyEnforceIf(lit)
        if bd.min > 1:
            self.m.Add(f >= bd.min).OnlyEnforceIf(lit)
        if bd.max is not None:
            self.m.Add(f <= bd.max).OnlyEnforceIf(lit)

    def _product(self, vs: list, name: str) -> cp_model.IntVar:
        hi = 1
        for v in vs:
            hi *= self._ub(v)
        pv = self._var(1, max(1, min(hi, 1 << 50)), name)
        if len(vs) == 1:
            self.m.Add(pv == vs[0])
        else:
            self.m.AddMultiplicationEquality(pv, vs)
        return pv

    # -- objective and solving -------------------------------------------------------
    def set_objective(self, level_weight: list[float], par_weight: float) -> None:
        """Minimize -par_weight*log(parallelism) - sum_i level_weight[i]*log(ext at i)."""
        sp = self.space
        terms = []
        for (d, k, s), v in self.x.items():
            i, kind = s
            p = self.primes[d][k][0]
            lp = math.log(p)
            w = 0.0
            if kind != T:
                w += par_weight
            # A factor at level i enlarges the tiles of every level >= i (below the top).
            w += sum(level_weight[j] for j in range(i, sp.nlevels - 1))
            c = int(round(w * lp * LOG_SCALE))
            if c:
                terms.append(-c * v)
        self.m.Minimize(sum(terms) if terms else 0)

    def set_random_objective(self, rng: random.Random, par_weight: float = 2.0) -> None:
        """A random weight in [-1, 1] per exponent (plus `par_weight` for spatial ones):
        structurally diverse tilings as annealing starts."""
        terms = []
        for (d, k, s), v in self.x.items():
            w = rng.uniform(-1.0, 1.0) + (par_weight if s[1] != T else 0.0)
            c = int(round(w * math.log(self.primes[d][k][0]) * LOG_SCALE))
            if c:
                terms.append(-c * v)
        self.m.Minimize(sum(terms) if terms else 0)

    def _var(self, lo: int, hi: int, name: str) -> cp_model.IntVar:
        v = self.m.NewIntVar(lo, hi, name)
        self._ubs[v.Index()] = hi
        return v

    def _dvar(self, values: list[int], name: str) -> cp_model.IntVar:
        v = self.m.NewIntVarFromDomain(cp_model.Domain.FromValues(values), name)
        self._ubs[v.Index()] = max(values)
        return v

    def _ub(self, v) -> int:
        if isinstance(v, int):
            return v
        return self._ubs[v.Index()]

    def solve(self, time_limit: float, seed: int = 0, workers: int = 1,
              hint: Tiling | None = None, wall_factor: float = 4.0
              ) -> tuple[Tiling | None, list[frozenset[str]] | None, str]:
        """Solve once; (tiling, keep per level, status name). `time_limit` is CP-SAT's
        deterministic time; `wall_factor` x that in wall seconds is only a cap."""
        solver = cp_model.CpSolver()
        # Deterministic time keeps single-worker runs reproducible; wall time is a cap
        # (a run that hits it, on a loaded machine, is no longer reproducible).
        solver.parameters.max_deterministic_time = max(0.05, time_limit)
        solver.parameters.max_time_in_seconds = max(0.2, wall_factor * time_limit)
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = max(1, workers)
        if hint is not None:
            self._hint(hint)
        st = solver.Solve(self.m)
        name = solver.StatusName(st)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, None, name
        self.last_bound = solver.BestObjectiveBound()
        return self._extract(solver), self._extract_keep(solver), name

    def _hint(self, tiling: Tiling) -> None:
        self.m.ClearHints()
        for (d, (i, kind)), v in self.F.items():
            self.m.AddHint(v, tiling.f[i][kind][d])

    def _extract(self, solver: cp_model.CpSolver) -> Tiling:
        sp = self.space
        nd = len(sp.dims)
        f = [[[1] * nd for _ in range(3)] for _ in range(sp.nlevels)]
        for (d, (i, kind)), v in self.F.items():
            f[i][kind][d] = int(solver.Value(v))
        return Tiling(f)

    def _extract_keep(self, solver: cp_model.CpSolver) -> list[frozenset[str]]:
        sp = self.space
        return [frozenset(ds for ds in sp.workload.ds_names if solver.Value(self.keep[i, ds]))
                for i in range(sp.nlevels)]

    def add_nogood(self, tiling: Tiling) -> None:
        """Forbid this exact tiling in later solves."""
        bs = []
        for (d, (i, kind)), v in self.F.items():
            b = self.m.NewBoolVar("")
            self.m.Add(v != tiling.f[i][kind][d]).OnlyEnforceIf(b)
            bs.append(b)
        if bs:
            self.m.AddBoolOr(bs)
        self.nogoods += 1

    def top_feasible(self, dims: frozenset[int], unswept: frozenset[str],
                     time_limit: float = 0.5, wall_factor: float = 4.0) -> bool:
        """False only when CP-SAT proves that no tiling has outermost-level temporal
        factors > 1 on `dims` alone and, for each data space in `unswept`, no relevant
        temporal factor > 1 at a level above all its on-chip keepers (refetch.py).
        Call it before any no-good cut: it speaks for the whole space."""
        sp, wl = self.space, self.space.workload
        top = sp.nlevels - 1
        m2 = self.m.Clone()
        for d in range(len(wl.dimensions)):
            f = self.F.get((d, (top, T)))
            if f is not None and d not in dims:
                m2.Add(f == 1)
        for ds in wl.data_spaces:
            if ds.name not in unswept:
                continue
            relevant = [wl.dimensions.index(n) for n in ds.dims()]
            for i in range(top):
                fs = [self.F[d, (i, T)] for d in relevant if (d, (i, T)) in self.F]
                if not fs:
                    continue
                # above every keeper: no keep at level i or between it and the top
                above = m2.NewBoolVar("")
                keeps = [self.keep[j, ds.name] for j in range(i, top)]
                m2.AddBoolOr(keeps + [above])
                for k in keeps:
                    m2.AddImplication(above, k.Not())
                for f in fs:
                    m2.Add(f == 1).OnlyEnforceIf(above)
        solver = cp_model.CpSolver()
        solver.parameters.max_deterministic_time = time_limit
        solver.parameters.max_time_in_seconds = wall_factor * time_limit
        solver.parameters.num_workers = 1
        return solver.Solve(m2) != cp_model.INFEASIBLE

    def stationary(self, ds: str, time_limit: float = 2.0, wall_factor: float = 4.0
                   ) -> tuple[Tiling, list[frozenset[str]]] | None:
        """A tiling in which every dimension data space `ds` depends on iterates below
        the outermost level and a level below it keeps `ds` (weight-, output- or
        input-stationary: each word of `ds` crosses the outermost level once), as
        parallel as possible, with the other dimensions outermost; None when the
        constraints allow no such tiling. Call it before any no-good cut."""
        sp = self.space
        top = sp.nlevels - 1
        proj = next(x.projection for x in sp.workload.data_spaces if x.name == ds)
        rel = {sp.dims.index(dim) for rank in proj for dim, _ in rank}
        m2 = self.m.Clone()
        terms = []
        for (d, k, s), v in self.x.items():
            w = (2.0 if s[1] != T else 0.0) + (1.0 if d not in rel and s == (top, T) else 0.0)
            if d in rel and s == (top, T):
                m2.Add(v == 0)
            c = int(round(w * math.log(self.primes[d][k][0]) * LOG_SCALE))
            if c:
                terms.append(-c * v)
        kept = [self.keep[i, ds] for i in range(top) if (i, ds) in self.keep]
        if not kept:
            return None
        m2.AddBoolOr(kept)
        m2.Minimize(sum(terms) if terms else 0)
        solver = cp_model.CpSolver()
        solver.parameters.max_deterministic_time = time_limit
        solver.parameters.max_time_in_seconds = wall_factor * time_limit
        solver.parameters.num_workers = 1
        if solver.Solve(m2) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        # the clone keeps the variables' indices: its solution reads as a tiling here
        return self._extract(solver), self._extract_keep(solver)

    def max_parallelism(self, time_limit: float = 5.0, wall_factor: float = 4.0
                        ) -> tuple[int, bool]:
        """An upper bound on the product of all spatial factors, and whether it is proven."""
        return self.max_spatial(None, None, time_limit, wall_factor=wall_factor)

    def max_spatial(self, dims: set[int] | None, levels: set[int] | None,
                    time_limit: float = 5.0, temporal: set[int] | None = None,
                    wall_factor: float = 4.0) -> tuple[int, bool]:
        """An upper bound on the product of the spatial factors of `dims` (all when None)
        and the temporal factors of `temporal` (none when None) at `levels` (all when
        None) over every tiling, and whether it is proven optimal.

        `time_limit` is deterministic time, so the bound (and the gap reported against
        it) does not depend on the machine's load; `wall_factor` x it is a wall cap.
        Call it before any no-good cut: the bound is over the whole space."""
        temporal = temporal or set()
        terms = []
        for (d, k, s), v in self.x.items():
            if s[1] == T:
                if d not in temporal:
                    continue
            elif dims is not None and d not in dims:
                continue
            if levels is not None and s[0] not in levels:
                continue
            terms.append(int(round(math.log(self.primes[d][k][0]) * 1e6)) * v)
        full = math.prod(lv.fanout[0] * lv.fanout[1] for i, lv in enumerate(self.space.levels)
                         if levels is None or i in levels)
        full *= math.prod(self.space.workload.bounds[d] for d in temporal)
        if not terms:
            return 1, True
        m2 = self.m.Clone()
        m2.Maximize(sum(terms))
        solver = cp_model.CpSolver()
        solver.parameters.max_deterministic_time = time_limit
        solver.parameters.max_time_in_seconds = wall_factor * time_limit
        solver.parameters.num_workers = 1
        st = solver.Solve(m2)
        if st == cp_model.OPTIMAL or st == cp_model.FEASIBLE:
            if dims is None and levels is None and not temporal:
                # the clone keeps the variables' indices: its solution is a tiling here
                self.widest = (self._extract(solver), self._extract_keep(solver))
            ub = math.exp(solver.BestObjectiveBound() / 1e6 + 1e-4)
            return min(full, int(math.floor(ub))), st == cp_model.OPTIMAL
        return full, False


def _bound_text(dim: str, bd) -> str:
    if bd.exact is not None:
        return f"{dim}={bd.exact}"
    parts = []
    if bd.min > 1:
        parts.append(f"{dim}>={bd.min}")
    if bd.max is not None:
        parts.append(f"{dim}<={bd.max}")
    return " ".join(parts)


def random_weights(space: MapSpace, costs: list[float], rng: random.Random,
                   jitter: float = 0.5) -> tuple[list[float], float]:
    """Level weights for the surrogate: cost ratio of the level above, randomly jittered."""
    nl = space.nlevels
    w = []
    for i in range(nl):
        up = costs[i + 1] if i + 1 < nl else 0.0
        base = max(up, 1e-3) / max(sum(costs), 1e-9)
        w.append(base * math.exp(rng.uniform(-jitter, jitter)))
    par = sum(w) * math.exp(rng.uniform(-jitter, jitter)) * 2.0
    return w, par
