"""Imperfect factorization in the mapper: search padded workloads, keep residual mappings.

Turned on by Timeloop's `ruby` mapspace template or a `remainders` constraint, by
`SearchOptions.imperfect = "on"` (`--imperfect on`), and by default ("auto") when a
dimension has a prime factor larger than a fan-out it may use or a buffer holds
(`padding.awkward_dims`).

How (docs/mapper.md, "Imperfect factorization"):

1. the perfect-factor search of the real workload runs as always, with a share of the
   time budget;
2. each padding plan (`padding.padding_plans`: one dimension padded by at most 12.5 %
   so that it fills a fan-out axis perfect factors leave idle) gets the same share:
   the perfect-factor search (fast, batched model) on the padded workload. A timed
   search first gives every run a scouting slice (`SCOUT_SLICE`, shorter on a short
   budget), so that a good mapping (on an awkward layer, often a padded one) comes
   within seconds. Then, with at least `SCOUT_MIN` s per run, the rest is split evenly,
   best scout first; with less, the best scout takes all of it (an even split of a few
   seconds gave every run too little: a 5 s search reached 1.9x its 60 s EDP). A full
   run goes on from its scouting slice's best candidates;
3. the best `TOP_K` distinct mappings of each padded search become residual mappings of
   the real workload (`padding.to_residual`), are checked (`ir.residuals`, `ir.checker`)
   and scored with the exact model on the real workload (residual mappings have no
   batched closed form: about 0.05 s each, so a scouting slice converts only its best
   `TOP_K_SCOUT`); a full run also converts its best while it runs (every new best, at
   most every `CONVERT_EVERY` s), and a plan whose scout beats the perfect-factor one
   (`PADDED_EDGE`) runs at once;
4. the best of all, the perfect search's best included, is returned: imperfect search
   never reports a worse mapping than the perfect-only search it contains.

The reported bound then holds over imperfect mappings too (`imperfect_bound`): the
divisor-based CP-SAT maxima of spatial products are not valid bounds there (197 rows
of a matmul can use all 14 x 12 PEs with residuals), so spatial products are bounded by
the fan-outs, user factor limits and the dimensions' bounds only.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

from loopnest.energy.tables import CostTables
from loopnest.errors import MapperError
from loopnest.ir.checker import check_mapping
from loopnest.ir.mapping import Mapping
from loopnest.ir.residuals import residual_problems
from loopnest.mapper.bound import Bound, MaxSpatial, lower_bound
from loopnest.mapper.mapspace import Candidate, MapSpace, Tiling, build_mapspace
from loopnest.mapper.objective import cost, strictly_less
from loopnest.mapper.padding import (imperfect_wanted, padded_constraints, padded_workload,
                                     padding_plans, remainder_slots)
from loopnest.mapper.scoring import BatchFn, full_result, model_batch_fn

TOP_K = 48  # best distinct padded mappings converted per padded search
TOP_K_SCOUT = 8  # the same for a scouting slice (48 exact scorings took ~2 s of a 1 s slice)
MIN_SLICE = 0.5  # seconds: the shortest search slice worth starting
SCOUT_SLICE = 1.0  # seconds: each run's first, scouting slice of a timed search
SCOUT_MIN = 8.0  # seconds per run: below it, the best scout takes all that is left
CONVERT_EVERY = 0.5  # seconds: a full padded run's best is converted this often as it runs
# A padded scouting slice's converted answer understates the run (a 1 s slice's best
# padded mappings lose up to a quarter in conversion, and on an awkward layer padded runs
# keep improving where the perfect-factor one stalls): its scouted cost counts x this.
PADDED_EDGE = 0.8
WARM_K = 4  # a scouting slice's best padded candidates its plan's full run starts from
LIVE_K = 4  # candidates a live conversion tries when a run's best gives nothing faithful


# -- the bound ---------------------------------------------------------------------------
def relaxed_max_spatial(space: MapSpace) -> MaxSpatial:
    """Upper bounds on products of spatial (and temporal) loop ends that hold for
    imperfect mappings too: per fan-out axis, the mesh size or the product of what the
    dimensions allowed there can use (their bound, or the user's factor limit),
    whichever is smaller; overall never more than the product of the dimensions'
    bounds (a loop never runs more distinct iterations than its dimension has)."""
    wl = space.workload
    bounds = wl.bounds

    def cap(lv, a: int, d: int) -> int:
        bd = lv.bounds[1 + a][d]
        if not lv.spatial_allowed[a][d]:
            return 1
        c = bounds[d]
        if bd.exact is not None:
            c = min(c, bd.exact)
        if bd.max is not None:
            c = min(c, bd.max)
        return max(1, c)

    def f(dims: frozenset[int], levels: frozenset[int],
          temporal: frozenset[int] = frozenset()) -> int:
        if not levels or not (dims or temporal):
            return 1
        sp = 1
        for i in levels:
            lv = space.levels[i]
            for a in (0, 1):
                if lv.fanout[a] > 1:
                    sp *= min(lv.fanout[a], math.prod(cap(lv, a, d) for d in dims))
        t = math.prod(bounds[d] for d in temporal)
        return max(1, min(sp * t, math.prod(bounds[d] for d in set(dims) | set(temporal))))

    return f


def imperfect_bound(space: MapSpace, tables: CostTables) -> Bound:
    """Lower bounds on energy, cycles, EDP and last-level accesses over every mapping of
    `space`, imperfect ones included (see `relaxed_max_spatial`)."""
    ms = relaxed_max_spatial(space)
    n = len(space.levels)
    par = ms(frozenset(range(len(space.dims))), frozenset(range(n)))
    b = lower_bound(space, tables, par, True, ms)
    b.energy *= COUNT_SLACK  # reported counts may sit this far below the real work
    return b


def gaps_to(bound: Bound, best: tuple[float, ...] | None,
            metrics: tuple[str, ...]) -> list[float | None]:
    """Per metric: how far `best` is above `bound` (None where the bound is 0 or
    there is no best)."""
    if best is None:
        return [None] * len(metrics)
    out: list[float | None] = []
    for m, v in zip(metrics, best):
        b = bound.value(m)
        out.append(max(0.0, v / b - 1.0) if b > 0 else None)
    return out


def rebound(space: MapSpace, tables: CostTables, outcome, options):
    """A perfect-factor outcome reported against the bound over imperfect mappings
    when the layer is searched with them (the perfect-factor bound does not hold
    there): what a seeded search of an awkward layer reports."""
    mode = getattr(options, "imperfect", "auto") or "auto"
    if not (imperfect_wanted(space, mode) and padding_plans(space)) or outcome.result is None:
        return outcome
    bound = imperfect_bound(space, tables)
    gaps = gaps_to(bound, cost(outcome.result, options.metrics), options.metrics)
    status = "FEASIBLE" if outcome.status == "OPTIMAL" and not all(
        g is not None and g <= 1e-12 for g in gaps) else outcome.status
    return dataclasses.replace(outcome, bound=bound, gaps=gaps, gap=gaps[0] if gaps else None,
                               status=status)


# -- conversion ----------------------------------------------------------------------------
def _cand_from_key(key: tuple) -> Candidate:
    til, perms, keep = key
    return Candidate(Tiling([[list(k) for k in lv] for lv in til]), list(perms),
                     [frozenset(k) for k in keep])


def convert(space: MapSpace, padded: MapSpace, cands: list[Candidate],
            pads: dict[str, int]) -> list[Mapping]:
    """Residual mappings of the real workload from padded candidates (invalid ones
    dropped: Timeloop's residual rules, `remainders` slots, the independent checker)."""
    from loopnest.mapper.padding import to_residual

    wl = space.workload
    real = {d: wl.bound(d) for d in pads}
    allowed = remainder_slots(space.constraints) or None
    out, seen = [], set()
    for c in cands:
        m = to_residual(padded.to_mapping(c), real, allowed)
        if m is None or m in seen:
            continue
        seen.add(m)
        if residual_problems(m, wl.bound_map):
            continue
        if check_mapping(wl, space.arch, m, space.constraints):
            continue
        out.append(m)
    return out


def _exact(space: MapSpace, tables: CostTables, mapping: Mapping):
    """The exact model's full Result on the real workload (invalid on a model error)."""
    from loopnest.errors import MappingError
    from loopnest.model.result import Result

    try:
        return full_result(space.workload, space.arch, tables, mapping)
    except MappingError as e:
        return Result(valid=False, failure=e.message)


# Timeloop truncates an imperfect fan-out's average replication to an integer, so its
# compute count of a sound residual mapping can sit a little below the real MACs
# (AlexNet conv1 with Q=8 over a Q=7,6 fan-out: 0.9983x). Counts down to this fraction
# of the MACs are accepted, and the bound's energy is scaled by it.
COUNT_SLACK = 0.98


def faithful(result, macs: int) -> bool:
    """A valid result whose compute count is at least COUNT_SLACK x the layer's MACs.
    Timeloop counts the computes of an imperfect mapping as an average over the spatial
    contexts it simulates, which for some residual patterns (a residual-1 loop above
    others of the same dimension) falls to about half the real MACs, with the accesses
    that go with them; such numbers are artefacts, so the mapper does not report those
    mappings (and the bound, a bound on real work, need not hold for them)."""
    return bool(result.valid) and result.computes >= COUNT_SLACK * macs


def _top(search, metrics: tuple[str, ...], k: int) -> list[Candidate]:
    """A search's best `k` distinct scored candidates, best first (a padded one's are
    padded candidates)."""
    items = [(cost(r, metrics), key) for key, r in search.scorer.cache.items() if r.valid]
    items.sort(key=lambda x: x[0])
    out = [_cand_from_key(key) for _, key in items[:k]]
    if search.best is not None and all(c.key() != search.best.key() for c in out):
        out.insert(0, search.best)
    return out


def _offer_converted(space: MapSpace, tables: CostTables, padded: MapSpace,
                     pads: dict[str, int], cands: list[Candidate], acc: "_Merged",
                     rep: "PlanReport") -> tuple[int, int]:
    """Convert padded candidates, score them exactly on the real workload and offer the
    faithful ones to `acc` (`rep.best` follows); (how many converted, how many faithful)."""
    maps = convert(space, padded, cands, pads)
    good = 0
    for m in maps:
        r = _exact(space, tables, m)
        acc.valid += bool(r.valid)
        if not faithful(r, space.workload.macs):
            continue
        good += 1
        c = cost(r, acc.metrics)
        if rep.best is None or c[0] < rep.best:
            rep.best = c[0]
        acc.offer(c, m, r, None)
    return len(maps), good


def _offer_live(space: MapSpace, tables: CostTables, ps, pads: dict[str, int],
                cand: Candidate, acc: "_Merged", rep: "PlanReport") -> None:
    """A running padded search's new best, converted and offered; when it gives no
    faithful mapping (a padded reduction dimension often does not), its next best few."""
    if not _offer_converted(space, tables, ps.space, pads, [cand], acc, rep)[1]:
        _offer_converted(space, tables, ps.space, pads, _top(ps, acc.metrics, LIVE_K)[1:],
                         acc, rep)


# -- the driver ----------------------------------------------------------------------------
def _padded_search_class():
    """`Search` without the lower bound: a padded layer's bound means nothing for the
    real one, and its CP-SAT maxima would take seconds of the slice (the widest tiling
    is still found: it is a start)."""
    from loopnest.mapper.search import Search

    class PaddedSearch(Search):
        # on_best(candidate), when set: called with the run's best while it runs (at
        # most every CONVERT_EVERY s), so a long run's answer is not held to its end
        on_best: Callable[[Candidate], None] | None = None
        _sent: tuple | None = None
        _sent_at = -math.inf
        widest_first = True

        def _lower_bound(self, model, setup_end: float) -> Bound:
            # no bound, but its widest-parallelism tiling (one CP-SAT solve), which
            # starts the annealing: without it a padded run can stay at half the array
            model.max_parallelism(wall_factor=self._setup_wall(setup_end, 5.0))
            return Bound(0.0, 0, 0.0, 0, False)

        def _progress(self) -> None:
            super()._progress()
            now = time.monotonic()
            if (self.on_best is not None and self.best is not None
                    and self.best.key() != self._sent and now - self._sent_at >= CONVERT_EVERY):
                self._sent, self._sent_at = self.best.key(), now
                self.on_best(self.best)

    return PaddedSearch


class _Merged:
    """The best over the perfect-factor searches and the converted padded mappings,
    with the counters and the history of improvements (seconds from `t0`)."""

    def __init__(self, first, metrics: tuple[str, ...], t0: float) -> None:
        self.metrics, self.t0 = metrics, t0
        self.best_cost = cost(first.result, metrics) if first.result is not None else None
        self.best_map, self.best_res, self.best_cand = first.mapping, first.result, \
            first.candidate
        self.evaluated, self.valid = first.evaluated, first.valid
        self.estimated, self.tilings = first.estimated, first.tilings
        self.history = list(first.history)

    def count(self, out) -> None:
        self.evaluated += out.evaluated
        self.estimated += out.estimated
        self.tilings += out.tilings

    def offer(self, c: tuple, m, r, cand) -> None:
        if self.best_cost is None or strictly_less(c, self.best_cost):
            self.best_cost, self.best_map, self.best_res, self.best_cand = c, m, r, cand
            self.history.append((time.monotonic() - self.t0, c[0]))

    def add_search(self, out) -> None:
        """A later perfect-factor search: its counters, its improvements on the best so
        far (at their own times), and its best if better."""
        self.count(out)
        self.valid += out.valid
        if out.result is None or out.mapping is None:
            return
        shift = time.monotonic() - out.elapsed - self.t0  # its clock started then
        prev = self.best_cost[0] if self.best_cost is not None else math.inf
        c = cost(out.result, self.metrics)
        if self.best_cost is None or strictly_less(c, self.best_cost):
            for t, v in out.history:
                if v < prev:
                    self.history.append((t + shift, v))
                    prev = v
            self.best_cost, self.best_map, self.best_res, self.best_cand = \
                c, out.mapping, out.result, out.candidate


@dataclasses.dataclass
class PlanReport:
    """What one padded search gave (for the summary and the benchmark)."""

    pads: dict[str, int]
    seconds: float
    converted: int
    best: float | None  # first metric of its best residual mapping


def run_imperfect(space: MapSpace, tables: CostTables, batch_fn: BatchFn, options):
    """The search with imperfect factors (module doc), or None when it is not wanted
    (then the caller runs the perfect-factor search alone)."""
    from loopnest.mapper.search import Search

    mode = getattr(options, "imperfect", "auto") or "auto"
    if not imperfect_wanted(space, mode):
        return None
    plans = padding_plans(space)
    if not plans:  # nothing to pad: the perfect-factor search is the whole search
        return None
    runs = 1 + len(plans)
    t0 = time.monotonic()
    total = options.timeout
    size = options.search_size
    # A timed search first scouts every run briefly, so a good answer (often a padded
    # one, on awkward layers) comes within seconds; then every run gets its share of
    # what is left, or on a short budget the best scout gets all of it. A candidate
    # budget splits evenly, in one round (reproducible).
    scout_s = min(SCOUT_SLICE, total / (2 * runs))
    scout = not size and scout_s >= MIN_SLICE
    greedy = scout and total < SCOUT_MIN * runs  # the best scout takes the rest

    def opts_for(timeout: float):
        return dataclasses.replace(options, timeout=timeout, imperfect="off",
                                   search_size=-(-size // runs) if size else 0)

    perfect = Search(space, tables, batch_fn, opts_for(scout_s if scout else total / runs))
    out = perfect.run()
    if out.status == "INTERRUPTED":
        return out
    start = t0 + out.setup_s  # the budget counts from the end of the first set-up
    metrics = options.metrics
    acc = _Merged(out, metrics, t0)
    reports: list[PlanReport] = []
    status = "FEASIBLE"
    post_each = 0.0  # seconds per converted mapping (conversion and exact re-scoring)
    # (run: -1 for the perfect-factor search, else the plan's index; pads; slice)
    queue: list = [(k, pads, scout_s if scout else None) for k, pads in enumerate(plans)]
    if scout:
        queue += [(-1, None, None)] + [(k, pads, None) for k, pads in enumerate(plans)]
    scouted = {-1: cost(out.result, metrics)[0] if out.result is not None else math.inf}
    # a run's best candidates from scouting (padded ones for a plan), its full run's start
    warm: dict[int, list[Candidate]] = {-1: _top(perfect, metrics, WARM_K)} if scout else {}
    ranked = not scout
    for j in range(len(queue)):
        if not ranked and all(e[2] is None for e in queue[j:]):
            # Scouting done: the runs that scouted best get their full share first, so
            # a short budget's answer comes from the most promising run.
            ranked = True
            queue[j:] = sorted(queue[j:], key=lambda e: scouted.get(e[0], math.inf)
                               * (PADDED_EDGE if e[0] >= 0 else 1.0))
        run, pads, slice_s = queue[j]
        k_top = TOP_K if slice_s is None else TOP_K_SCOUT
        post = post_each * k_top  # what this run's conversion will likely take
        left = total - (time.monotonic() - start)
        if slice_s is None:
            full = 1 if greedy else sum(1 for _, _, s_ in queue[j:] if s_ is None)
            share = left / full - out.setup_s - post
        else:
            share = min(slice_s, left - out.setup_s - post)
        if share < MIN_SLICE and not size:
            if slice_s is None:
                break
            continue
        if pads is None:  # the perfect-factor search again, with its full share
            search = Search(space, tables, batch_fn, opts_for(share))
            search.warm = warm.get(-1, [])
            again = search.run()
            acc.add_search(again)
            if again.status == "INTERRUPTED":
                status = "INTERRUPTED"
                break
            if greedy:  # the best scout had all that was left
                break
            continue
        pw = padded_workload(space.workload, pads)
        try:
            psp = build_mapspace(pw, space.arch,
                                 padded_constraints(space.constraints, space.workload, pads))
            ps = _padded_search_class()(psp, tables, model_batch_fn(pw, space.arch, tables),
                                        opts_for(max(share, MIN_SLICE)))
            rep = PlanReport(pads, 0.0, 0, None)
            ps.warm = warm.get(run, [])  # a full run goes on from its scouting slice
            if slice_s is None:  # a full run shows its best as it goes
                ps.on_best = lambda cand, ps=ps, pads=pads, rep=rep: _offer_live(
                    space, tables, ps, pads, cand, acc, rep)
            pout = ps.run()
        except MapperError:
            continue
        t_post = time.monotonic()
        acc.count(pout)
        rep.seconds = pout.elapsed
        top = _top(ps, metrics, k_top)
        rep.converted = _offer_converted(space, tables, psp, pads, top, acc, rep)[0]
        reports.append(rep)
        if slice_s is not None:
            # a scout none of whose mappings converted yet is ranked by its padded best
            # (the padded layer's work is the real one's plus the padding)
            padded_best = cost(pout.result, metrics)[0] if pout.result is not None else math.inf
            scouted[run] = rep.best if rep.best is not None else padded_best
            warm[run] = top[:WARM_K]
            if scouted[run] * PADDED_EDGE < scouted[-1]:
                # it already beats the perfect-factor search: its full share comes
                # next, before the other plans scout (they are ranked lower)
                full = next(i for i in range(j + 1, len(queue))
                            if queue[i][0] == run and queue[i][2] is None)
                queue.insert(j + 1, queue.pop(full))
        post_each = (time.monotonic() - t_post) / max(1, rep.converted)
        if pout.status == "INTERRUPTED":
            status = "INTERRUPTED"
            break
        if greedy and slice_s is None:  # the best scout had all that was left
            break
    best_cost, best_res = acc.best_cost, acc.best_res
    if acc.best_map is not None and not best_res.storage:
        best_res = full_result(space.workload, space.arch, tables, acc.best_map)
    bound = imperfect_bound(space, tables)
    gaps = gaps_to(bound, best_cost, metrics)
    if status == "FEASIBLE" and gaps and all(g is not None and g <= 1e-12 for g in gaps):
        status = "OPTIMAL"
    outcome = dataclasses.replace(
        out, candidate=acc.best_cand, mapping=acc.best_map, result=best_res, bound=bound,
        gap=gaps[0] if gaps else None, gaps=gaps, status=status, evaluated=acc.evaluated,
        valid=acc.valid, estimated=acc.estimated, tilings=acc.tilings,
        elapsed=time.monotonic() - t0, exhaustive=False, history=sorted(acc.history),
        stop_reason="interrupted" if status == "INTERRUPTED" else
        "timeout" if out.stop_reason in ("exhaustive", "proven") else out.stop_reason)
    outcome.imperfect = reports  # type: ignore[attr-defined]
    return outcome
