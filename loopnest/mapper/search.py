"""The search driver: CP-SAT tilings, exact re-scoring, local search, bound and gap.

Rounds alternate (a) a new tiling from CP-SAT (randomly weighted log-domain
surrogate, earlier tilings excluded by no-good cuts), expanded into a few
permutation / keep variants, and (b) steepest-descent local search with the exact
model over factor, permutation and keep moves. Small map spaces are enumerated
exhaustively instead, which proves the optimum (gap 0). Every reported number is
the model's.
"""
from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from loopnest.energy.tables import CostTables
from loopnest.errors import MapperError
from loopnest.ir.mapping import Mapping
from loopnest.mapper import moves
from loopnest.mapper.anneal import AnnealPool, Estimator, anneal, best_orders, scalar
from loopnest.mapper.bound import Bound, lower_bound
from loopnest.mapper.cpsat import TilingModel, random_weights
from loopnest.mapper.explain import explain_infeasible
from loopnest.mapper.mapspace import T, Candidate, MapSpace, Tiling, prime_factors
from loopnest.mapper.objective import cost, strictly_less
from loopnest.mapper.refetch import TopConfig, least_refetch
from loopnest.mapper.scoring import BatchFn, Scorer, full_result
from loopnest.mapper.surrogate import Surrogate
from loopnest.model.result import Result


@dataclass
class SearchOptions:
    """Driver settings (see docs/mapper.md for how they map to Timeloop's)."""

    metrics: tuple[str, ...] = ("edp",)
    timeout: float = 60.0  # wall seconds
    threads: int = 1
    seed: int = 0
    victory_condition: int = 0  # consecutive non-improving rounds; 0 = off
    search_size: int = 0  # valid mappings evaluated; 0 = off
    quiet: bool = False
    exhaustive_limit: int = 4000
    batch: int = 12
    anneal_steps: int = 3000  # candidates scored per annealing run on the surrogate
    exact_budget: int = 32000  # candidates per annealing run on the exact model
    # The first runs are shorter (an eighth, a quarter, a half of exact_budget): a run's answer
    # comes when it has cooled, so short first runs give good answers early (anytime).
    warmup_runs: int = 3
    exact_per_run: int = 4  # with the surrogate: best distinct of a run re-scored exactly
    anneal_chains: int = 64  # chains stepping together when annealing on the exact model
    anneal_t0: float = 0.1  # start temperature from a new tiling (relative cost change)
    restart_t0: float = 0.006  # start temperature when restarting from the best
    log_oaves: bool = False  # keep the best mapping per level-0 footprint (oaves.csv)
    evaluator: str = "auto"  # annealing cost: "auto", "surrogate" or "exact" (batched chains)
    # Reproducible under any load: CP-SAT slices are fixed deterministic times (never cut
    # to the wall time left) and wall limits are only generous caps; a run that stops on
    # search_size / victory_condition is then the same on every machine.
    deterministic: bool = False
    # Imperfect (residual) factors: "auto" (ruby / remainders, or an awkward prime
    # factor), "on" or "off"; searched by padding in mapper/imperfect.py.
    imperfect: str = "auto"


@dataclass
class SearchOutcome:
    """What the mapper found and how sure it is."""

    candidate: Candidate | None
    mapping: Mapping | None
    result: Result | None
    bound: Bound
    gap: float | None
    status: str  # OPTIMAL, FEASIBLE, INTERRUPTED
    evaluated: int
    valid: int
    elapsed: float
    tilings: int
    exhaustive: bool
    history: list[tuple[float, float]] = field(default_factory=list)  # (time, best metric)
    estimated: int = 0  # candidates scored by the surrogate
    gaps: list[float | None] = field(default_factory=list)  # per metric
    oaves: list[str] = field(default_factory=list)  # oaves.csv rows (log_oaves)
    # Why the search ended: "timeout", "search_size", "victory_condition", "proven"
    # (every metric at its bound), "exhaustive", "space_exhausted" or "interrupted".
    stop_reason: str = ""
    improved_at: int = 0  # candidates scored when the best was last improved
    setup_s: float = 0.0  # of `elapsed`: first CP-SAT tiling and the bound, before the search
    # The SparseSpec every candidate was scored with (sparse model); None: dense design.
    sparse: object = None


def _level_costs(space: MapSpace, tables: CostTables) -> list[float]:
    out = []
    for st in space.arch.storage:
        e = tables.energy(st.name, ("random_read", "read")) or 0.0
        out.append(e / max(1, st.block_size))
    return out


def _space_size(space: MapSpace, limit: int) -> int | None:
    """An upper estimate of the number of candidates, or None when above `limit`."""
    slots = space.slots()
    total = 1
    for d, b in enumerate(space.workload.bounds):
        ns = sum(1 for i, k in slots
                 if (k == T and space.levels[i].bounds[T][d].exact in (None,) and
                     (space.levels[i].bounds[T][d].max or 2) > 1)
                 or (k != T and space.levels[i].spatial_allowed[k - 1][d]))
        for p, e in prime_factors(b):
            total *= math.comb(e + max(ns, 1) - 1, max(ns, 1) - 1)
        if total > limit:
            return None
    for i, lv in enumerate(space.levels):
        total *= 2 ** len(lv.keep_free)
        nfree = sum(1 for d in range(len(space.dims))
                    if space.levels[i].bounds[T][d].exact != 1
                    and d not in lv.perm_prefix and d not in lv.perm_suffix)
        total *= math.factorial(nfree)
        if total > limit:
            return None
    return total


def _spatial_maxima(model: TilingModel, wall_factor: float = 4.0,
                    deadline: float | None = None
                    ) -> Callable[[frozenset[int], frozenset[int]], int]:
    """Cached CP-SAT upper bounds on products of spatial (and, when asked, temporal)
    factors, for the lower bound (past `deadline`, quick and looser bounds)."""
    sp = model.space
    spatial = frozenset(i for i, lv in enumerate(sp.levels) if lv.fanout[0] * lv.fanout[1] > 1)
    cache: dict[tuple, int] = {}

    def f(dims: frozenset[int], levels: frozenset[int],
          temporal: frozenset[int] = frozenset()) -> int:
        key = (dims, levels & spatial if not temporal else levels, temporal)
        if not key[1] or not (dims or temporal):
            return 1
        if key not in cache:
            late = deadline is not None and time.monotonic() > deadline
            cache[key] = model.max_spatial(set(dims), set(key[1]),
                                           time_limit=0.01 if late else 2.0,
                                           temporal=set(temporal),
                                           wall_factor=wall_factor)[0]
        return cache[key]

    return f


class Search:
    """One mapper run over a map space."""

    # Start from the widest-parallelism tiling before the first CP-SAT one (padded
    # searches: filling the array is what the padding is for).
    widest_first = False

    def __init__(self, space: MapSpace, tables: CostTables, batch_fn: BatchFn,
                 options: SearchOptions) -> None:
        self.space = space
        self.tables = tables
        self.opt = options
        self.scorer = Scorer(batch_fn)
        self.est = Estimator(space, Surrogate(space, tables), options.metrics)
        self.rng = random.Random(options.seed)
        self.best: Candidate | None = None
        self.best_res: Result | None = None
        self.best_cost: tuple[float, ...] | None = None
        self.history: list[tuple[float, float]] = []
        self.t0 = time.monotonic()
        # The timeout counts from the end of the set-up (first CP-SAT tiling, bound), so
        # a slow set-up on a large space or a loaded machine does not eat the search.
        self.t_search = self.t0
        self.bar = None
        self.bound: Bound | None = None
        self._oaves: dict[int, tuple[tuple[float, ...], Candidate]] = {}
        self.stop_reason = ""
        self.improved_at = 0
        # Candidates of an earlier slice of the same space: scored first, and the first
        # annealing run continues from the best of them (imperfect.py's full runs).
        self.warm: list[Candidate] = []
        self._warm_start = False
        # Tilings (with keep choices) to start from before CP-SAT's own, in order
        # (design_search.second_search: stationary tilings).
        self.starts: list[tuple[Tiling, list[frozenset[str]]]] = []
        self._exact_runs = 0  # exact annealing runs started (their budgets grow)
        # CP-SAT wall caps: generous when the run must not depend on the machine's load.
        self._wall = 30.0 if options.deterministic else 4.0
        # CP-SAT workers: one when the run must repeat (several are not deterministic)
        self._cp_workers = 1 if options.deterministic else max(1, options.threads)

    def _setup_wall(self, setup_end: float, limit: float) -> float:
        """CP-SAT's wall factor for a set-up solve of `limit`, never past `setup_end`."""
        left = max(0.05, setup_end - time.monotonic())
        return min(self._wall, left / max(limit, 1e-3))

    # -- scoring --------------------------------------------------------------------
    def _score(self, cands: list[Candidate]) -> list[tuple[tuple[float, ...], Candidate]]:
        if not cands:
            return []
        keys = [c.key() for c in cands]
        cache = self.scorer.cache  # mappings are built only for what is not scored yet
        maps = [None if k in cache else self.space.to_mapping(c) for k, c in zip(keys, cands)]
        res = self.scorer.score(keys, maps)
        out = []
        for c, r in zip(cands, res):
            cst = cost(r, self.opt.metrics)
            out.append((cst, c))
            if self.opt.log_oaves and cst[0] != float("inf"):
                k = self.space.used_words(c.tiling, 0, c.keep[0])
                old = self._oaves.get(k)
                if old is None or strictly_less(cst, old[0]):
                    self._oaves[k] = (cst, c)
            if self.best_cost is None or strictly_less(cst, self.best_cost):
                if cst[0] != float("inf"):
                    self.best, self.best_res, self.best_cost = c, r, cst
                    self.history.append((time.monotonic() - self.t0, cst[0]))
                    self.improved_at = self.scorer.valid + self.est.count
            elif cst == self.best_cost and c.key() < self.best.key():
                # a tie: the smaller key wins, so the order in which workers report
                # equal mappings cannot change the answer
                self.best, self.best_res = c, r
        self._progress()
        return out

    def _progress(self) -> None:
        if self.bar is None:
            return
        post = {"evals": self.scorer.evaluated, "est": self.est.count}
        r = self.best_res
        if r is not None:
            post.update(E=f"{r.energy / 1e6:.4g}uJ", cyc=r.cycles, EDP=f"{r.edp:.4g}")
            g = self.gap()
            if g is not None:
                post["gap"] = f"{g * 100:.1f}%"
        self.bar.set_postfix(post, refresh=False)
        self.bar.n = int(max(0.0, time.monotonic() - self.t_search))
        self.bar.refresh()

    def gaps(self) -> list[float | None]:
        """best / bound - 1 per metric (None where unknown or the bound is 0).

        Each metric's bound holds over every mapping, so a later metric's gap in a
        lexicographic list is an upper estimate of how far it is from the best among
        the mappings that tie on the earlier ones. An exhaustive search proves the
        lexicographic optimum: every gap is then 0."""
        if self.best_cost is None or self.bound is None:
            return [None] * len(self.opt.metrics)
        if self.stop_reason == "exhaustive":
            return [0.0] * len(self.opt.metrics)
        out = []
        for m, v in zip(self.opt.metrics, self.best_cost):
            b = self.bound.value(m)
            out.append(max(0.0, v / b - 1.0) if b > 0 else None)
        return out

    def gap(self) -> float | None:
        """The gap of the first (optimized) metric."""
        return self.gaps()[0]

    def _proven(self) -> bool:
        """Every metric at its bound: lexicographically optimal, nothing left to find."""
        return all(g is not None and g <= 1e-12 for g in self.gaps())

    def _stop(self) -> bool:
        if self.opt.search_size and self.scorer.valid + self.est.count >= self.opt.search_size:
            self.stop_reason = "search_size"
            return True
        if time.monotonic() - self.t_search >= self.opt.timeout:
            self.stop_reason = "timeout"
            return True
        if self._proven():
            self.stop_reason = "proven"
            return True
        return False

    # -- annealing evaluators ----------------------------------------------------------
    def _exact_many(self, cands: list[Candidate]) -> list[float]:
        return [scalar(c) for c, _ in self._score(cands)]

    def _choose_evaluator(self, probe: list[Candidate]) -> bool:
        """Anneal on the exact model when its batched closed form covers these
        candidates (then batches of chains cost tens of microseconds per mapping and
        link transfers are seen), else on the surrogate, unless the space uses
        directives the surrogate does not model or is sparse (the surrogate is dense:
        it sees neither compressed traffic nor the format rules that make a sparse
        candidate invalid). Deterministic, so seeded runs repeat. True = exact."""
        if self.opt.evaluator != "auto":
            return self.opt.evaluator == "exact"
        self._exact_many(probe)
        return self.scorer.closed_form or not self.est.sur.faithful \
            or self.space.sparse is not None

    # -- phases ---------------------------------------------------------------------
    def _variants(self, tiling: Tiling, keep: list[frozenset[str]]) -> list[Candidate]:
        sp = self.space
        keeps = [keep, moves.greedy_keep(sp, tiling, keep)]
        out = {}
        for k in keeps:
            for j in range(4):
                perms = moves.random_orders(sp, tiling, self.rng)
                c = Candidate(tiling.copy(), perms, list(k))
                if moves.feasible(sp, c):
                    out[c.key()] = c
        return list(out.values())

    def _local(self, start: tuple[tuple[float, ...], Candidate], max_stall: int = 3) -> None:
        cur_cost, cur = start
        stall = 0
        while stall < max_stall and not self._stop():
            nb = moves.neighbours(self.space, cur, self.rng, self.opt.batch)
            if not nb:
                return
            scored = self._score(nb)
            c, cand = min(scored, key=lambda x: x[0])
            if strictly_less(c, cur_cost):
                cur_cost, cur = c, cand
                stall = 0
            else:
                stall += 1

    def _exhaustive(self, model: TilingModel) -> None:
        from ortools.sat.python import cp_model

        sols: dict[tuple, tuple[Tiling, list[frozenset[str]]]] = {}

        class CB(cp_model.CpSolverSolutionCallback):
            def __init__(s) -> None:
                super().__init__()

            def on_solution_callback(s) -> None:
                til = model._extract(s)
                keep = model._extract_keep(s)
                sols[(til.key(), tuple(tuple(sorted(k)) for k in keep))] = (til, keep)

        solver = cp_model.CpSolver()
        solver.parameters.enumerate_all_solutions = True
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(1.0, self.opt.timeout / 2)
        if self.opt.deterministic:
            solver.parameters.max_deterministic_time = 30.0
        model.m.ClearObjective()
        solver.Solve(model.m, CB())
        batch: list[Candidate] = []
        for til, keep in sols.values():
            for perms in moves.all_orders(self.space, til, 10 ** 6) or []:
                batch.append(Candidate(til, perms, keep))
                if len(batch) >= 64:
                    self._score(batch)
                    batch = []
            if time.monotonic() - self.t_search >= self.opt.timeout:
                self.stop_reason = "timeout"
                raise TimeoutError
        self._score(batch)

    # -- main -----------------------------------------------------------------------
    def run(self) -> SearchOutcome:
        sp = self.space
        # The set-up (model building, first tiling, bound) may take at most --timeout too.
        setup_end = self.t0 + self.opt.timeout
        model = TilingModel(sp, deadline=setup_end)
        limit = min(10.0, self.opt.timeout)
        first, keep0, status = model.solve(limit, seed=self.opt.seed,
                                           workers=self._cp_workers,
                                           wall_factor=self._setup_wall(setup_end, limit))
        if first is None:
            if status == "INFEASIBLE":
                raise explain_infeasible(sp)
            raise MapperError(f"CP-SAT found no tiling within the time limit ({status})",
                              hint="raise --timeout, or constrain the map space")
        self.bound = self._lower_bound(model, setup_end)
        size = _space_size(sp, self.opt.exhaustive_limit)
        self.t_search = time.monotonic()
        exhaustive = False
        status = "FEASIBLE"
        self._open_bar()
        tilings = 0
        try:
            if size is not None:
                try:
                    self._exhaustive(TilingModel(sp))
                    exhaustive = True
                    status = "OPTIMAL"
                    self.stop_reason = "exhaustive"
                except TimeoutError:
                    pass
            if not exhaustive:
                tilings = self._rounds(model, first, keep0)
        except KeyboardInterrupt:
            status = "INTERRUPTED"
            self.stop_reason = "interrupted"
        finally:
            if self.bar is not None:
                self._progress()
                self.bar.close()
        if self.best_res is not None and exhaustive:
            # Exhaustive enumeration proves the optimum: the bound is the best itself.
            b = self.bound
            m0 = self.opt.metrics[0]
            val = self.best_cost[0]
            if m0 == "energy":
                b.energy = val
            elif m0 == "delay":
                b.cycles = int(val)
            elif m0 == "edp":
                b.energy, b.cycles = self.best_res.energy, self.best_res.cycles
            else:
                b.last_level_accesses = val
        gap = self.gap()
        if status == "FEASIBLE" and self._proven():
            status = "OPTIMAL"
        mapping = sp.to_mapping(self.best) if self.best is not None else None
        if mapping is not None and not self.best_res.storage:
            # Batched scores carry totals only: the reports need the full exact Result.
            self.best_res = full_result(sp.workload, sp.arch, self.tables, mapping, sp.sparse)
        oaves = self._oaves_rows()
        return SearchOutcome(self.best, mapping, self.best_res, self.bound, gap, status,
                             self.scorer.evaluated, self.scorer.valid,
                             time.monotonic() - self.t0, tilings, exhaustive, self.history,
                             self.est.count, self.gaps(), oaves,
                             stop_reason=self.stop_reason, improved_at=self.improved_at,
                             setup_s=self.t_search - self.t0, sparse=sp.sparse)

    def _lower_bound(self, model: TilingModel, setup_end: float) -> Bound:
        """The bound of the space (a hook: imperfect.py's padded searches skip it)."""
        par, proven = model.max_parallelism(wall_factor=self._setup_wall(setup_end, 5.0))

        def feasible(c: TopConfig) -> bool:  # quick and looser past the set-up's end
            late = time.monotonic() > setup_end
            return model.top_feasible(c.dims, c.unswept, 0.01 if late else 0.5, self._wall)

        b = lower_bound(self.space, self.tables, par, proven,
                        _spatial_maxima(model, self._wall, setup_end),
                        least_refetch(self.space, feasible))
        if self.space.sparse is not None:
            from loopnest.mapper.bound import sparse_scaled
            from loopnest.model.sparse.analysis import nonzero_fraction

            b = sparse_scaled(b, nonzero_fraction(self.space.workload, self.space.sparse))
        return b

    def _rounds(self, model: TilingModel, first: Tiling, keep0: list[frozenset[str]]) -> int:
        """Annealing runs from new CP-SAT tilings and from the best so far, on the
        batched exact model when its closed form covers the space, else on the
        surrogate (re-scoring each run's best few exactly). With threads > 1 the runs
        go to worker processes, one per process in flight (parallel.py)."""
        self._costs = _level_costs(self.space, self.tables)
        self._model = model
        self._tilings = 0
        self._cp_done = False
        # the first tiling, then the widest-parallelism one (pending starts pop from the
        # end; the other way round with widest_first)
        self._pending = ([model.widest] if model.widest is not None
                         and model.widest[0].key() != first.key() else []) + [(first, keep0)]
        if self.widest_first:
            self._pending.reverse()
        seen = {t.key() for t, _ in self._pending}
        # popped from the end: the given starts first, in their order
        self._pending += [st for st in self.starts[::-1] if st[0].key() not in seen]
        sp = self.space
        start0 = Candidate(first.copy(), moves.random_orders(sp, first, self.rng), list(keep0))
        probe = [start0] + [n for n in (moves.random_neighbour(sp, start0, self.rng)
                                        for _ in range(8)) if n is not None]
        exact = self._choose_evaluator(probe)
        # the first run continues from the warm candidates when any of them is valid
        self._warm_start = bool(self.warm) and bool(
            self._score([c for c in self.warm if moves.feasible(sp, c)]))
        workers = max(1, self.opt.threads)
        if workers > 1:
            self._parallel_rounds(workers, exact)
            return self._tilings
        stall = 0
        rnd = 0
        while not self._stop():
            before = self.best_cost
            start = None
            if (rnd % 3 != 2 or self.best is None) and not (self._warm_start and rnd == 0):
                start = self._tiling_start(exact)
            if start is None and self.best is not None:
                start = (self.best, self.opt.restart_t0)
            if start is None:
                self.stop_reason = "space_exhausted"
                break
            self._anneal(start, exact)
            self._polish(rnd, exact)
            if before is not None and not strictly_less(self.best_cost, before):
                stall += 1
            else:
                stall = 0
            if self.opt.victory_condition and stall >= self.opt.victory_condition:
                self.stop_reason = "victory_condition"
                break
            rnd += 1
        return self._tilings

    def _run_budget(self) -> int:
        """Candidates of the next exact annealing run: exact_budget / 2**(warmup_runs - r)
        for the first runs r = 0, 1, ..., then exact_budget."""
        r = self._exact_runs
        self._exact_runs += 1
        shift = max(0, self.opt.warmup_runs - r)
        return max(self.opt.anneal_chains, self.opt.exact_budget >> shift)

    def _polish(self, rnd: int, exact: bool) -> None:
        """Every third surrogate run: an exact local search near the best, which catches
        what the surrogate does not model (link transfers between neighbouring PEs)."""
        if not exact and rnd % 3 == 2 and self.best is not None and not self._stop():
            self._local((self.best_cost, self.best), max_stall=2)

    def _parallel_rounds(self, workers: int, exact: bool) -> None:
        """`workers` processes anneal while this one prepares starts (parallel.py)."""
        from loopnest.mapper.parallel import pipelined_anneal

        def restart(k: int) -> bool:
            return (k % 3 == 2 or (self._warm_start and k == 0)) and self.best is not None

        restarts: set[int] = set()  # the runs that start from the best

        def next_start(k: int) -> tuple[Candidate, float] | None:
            start = None if restart(k) else self._tiling_start(exact)
            if start is None and self.best is not None:
                start = (self.best, self.opt.restart_t0)
                restarts.add(k)
            return start

        def budget(k: int) -> int:
            if not exact:
                return self.opt.anneal_steps
            run = self._run_budget()  # a restart: a quarter run, from a fresher best next
            return min(run, self.opt.exact_budget // 4) if k in restarts else run

        self._cp_workers = 1  # the cores anneal; CP-SAT tilings need only this process
        pool = AnnealPool(self.space, self.tables, self.opt.metrics, workers, exact)
        try:
            pipelined_anneal(self, pool, workers, exact, next_start, budget,
                             after=lambda j: self._polish(j // workers, exact)
                             if j % workers == workers - 1 else None)
        finally:
            pool.close()

    def _tiling_start(self, exact: bool) -> tuple[Candidate, float] | None:
        """A start from a new CP-SAT tiling (best loop orders and keep variant), if any."""
        sp = self.space
        if self._pending:
            til, keep = self._pending.pop()
        elif self._cp_done:
            return None
        else:
            if self._tilings % 2 == 1:
                # Every other tiling from a random objective: the surrogate weights
                # favour big inner tiles, and annealing from such starts can stay in
                # that basin (simple_weight_stationary).
                self._model.set_random_objective(self.rng)
            else:
                w, par = random_weights(sp, self._costs, self.rng)
                self._model.set_objective(w, par)
            limit = 2.0
            if not self.opt.deterministic:  # never run CP-SAT past the timeout
                left = self.opt.timeout - (time.monotonic() - self.t_search)
                limit = min(limit, max(0.05, left / 4))
            til, keep, st = self._model.solve(limit, seed=self.rng.randrange(1 << 30),
                                              workers=self._cp_workers,
                                              wall_factor=self._wall)
            if til is None:
                self._cp_done = st == "INFEASIBLE"  # every tiling has been seen
                return None
        self._tilings += 1
        self._model.add_nogood(til)
        vs = self._variants(til, keep)
        if not vs:
            return None
        cost_many = self._exact_many if exact else self.est.many
        cs = cost_many(vs)
        first_v = vs[min(range(len(vs)), key=cs.__getitem__)]
        return best_orders(sp, first_v, cost_many, self.rng), self.opt.anneal_t0

    def _anneal(self, start: tuple[Candidate, float], exact: bool) -> None:
        """One annealing run in this process (on the batched exact model, or on the
        surrogate, re-scoring the run's best few exactly)."""
        cand, t0 = start
        if exact:
            anneal(self.space, self._exact_many, cand, self.rng, self._run_budget(),
                   chains=self.opt.anneal_chains, t0=t0, top=1, stop=self._stop)
            return
        top = anneal(self.space, self.est.many, cand, self.rng, self.opt.anneal_steps,
                     t0=t0, top=self.opt.exact_per_run, stop=self._stop)
        self._score([c for _, c in top])

    def _oaves_rows(self, limit: int = 200) -> list[str]:
        """oaves.csv rows: the best mapping per level-0 footprint, smallest first."""
        from loopnest.mapper.oaves import oaves_row

        sp = self.space
        rows = []
        for k in sorted(self._oaves)[:limit]:
            m = sp.to_mapping(self._oaves[k][1])
            r = full_result(sp.workload, sp.arch, self.tables, m, sp.sparse)
            if r.valid:
                rows.append(oaves_row(sp.workload, sp.arch, m, r))
        return rows

    def _open_bar(self) -> None:
        if self.opt.quiet or not sys.stderr.isatty():
            return
        from tqdm import tqdm

        self.bar = tqdm(total=int(self.opt.timeout), unit="s", file=sys.stderr,
                        desc="loopnest mapper", leave=True,
                        bar_format="{desc}: {n}/{total}s |{bar}| {postfix}")


def run_search(space: MapSpace, tables: CostTables, batch_fn: BatchFn,
               options: SearchOptions) -> SearchOutcome:
    """Search `space`; raises MapperError with an explanation when it is empty."""
    from loopnest.mapper.imperfect import run_imperfect  # hook: imperfect factorization

    out = run_imperfect(space, tables, batch_fn, options)
    if out is not None:
        return out
    return Search(space, tables, batch_fn, options).run()
