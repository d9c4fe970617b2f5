"""Annealing on every core (`threads = W > 1`): W independent annealing runs in
flight, each in its own worker process with the whole run (all its chains, on the
batched exact model, or one chain on the surrogate). As soon as the oldest returns, its
best joins the incumbent and a new run starts: from a new CP-SAT tiling, or every third
run from the best any worker has found. On the exact model a run's length follows the
one-process warm-up schedule, and a restart from the best runs a quarter of a full run,
so that the next restart starts from a fresher incumbent.

(An earlier version split each run's chains over the workers: the one-process run at
1.6x the speed. Independent runs score 2x the candidates, since each worker keeps the
full batch, and end better: exercise 06 reached its best EDP on 5 of 5 seeds, against
1 of 5, see docs/mapper.md.)

Results are taken in submission order, not completion order, and a start depends
only on results taken before it was made. A run bounded by candidates
(`search_size`, `victory_condition`) therefore gives the same answer whatever the
machine's load; only a wall-clock timeout depends on timing. Workers report each
mapping that improves their run at once (the incumbent and the progress bar move during
a run); a deterministic search drops those reports, which arrive when timing decides,
and takes every run's best from its result.
"""
from __future__ import annotations

import os
from collections import deque
from typing import TYPE_CHECKING, Callable

from loopnest.mapper.mapspace import Candidate
from loopnest.mapper.objective import strictly_less

if TYPE_CHECKING:  # pragma: no cover
    from loopnest.mapper.anneal import AnnealPool

StartFn = Callable[[int], "tuple[Candidate, float] | None"]


def available_cores() -> int:
    """The cores this process may use (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def resolve_threads(requested: int | None) -> int:
    """Search processes: `requested` (num_threads / --threads), else every core; never
    more than the cores there are, which would only share them."""
    cores = available_cores()
    return max(1, min(int(requested or cores), cores))


def _left(search, budget: int, share: int) -> int:
    """A job's candidate budget: `budget`, cut to its share of what `search_size`
    leaves (workers report only at the end of a job, so they cannot stop on it)."""
    size = search.opt.search_size
    if not size:
        return budget
    left = size - (search.scorer.valid + search.est.count)
    return max(1, min(budget, -(-left // share)))


def pipelined_anneal(search, pool: "AnnealPool", workers: int, exact: bool,
                     next_start: StartFn, budget: Callable[[int], int],
                     after: Callable[[int], None] | None = None) -> None:
    """Keep `workers` annealing runs in flight until the search stops.

    `next_start(k)` gives run k's start (candidate, start temperature), or None when
    there is nothing left to start from; `budget(k)` its candidates; `after(j)` runs
    once run j's results are in."""
    opt = search.opt
    chains, top = (opt.anneal_chains, 1) if exact else (1, opt.exact_per_run)
    deadline = search.t_search + opt.timeout
    inflight: deque = deque()
    k = 0
    done = 0
    stall = 0
    exhausted = False
    while True:
        while len(inflight) < workers and not exhausted and not search._stop():
            start = next_start(k)
            if start is None:
                exhausted = True
                break
            cand, t0 = start
            job = (cand, search.rng.randrange(1 << 30), _left(search, budget(k), workers),
                   chains, t0, top, deadline)
            inflight.append(pool.submit(job))
            k += 1
        if not inflight:
            if exhausted and not search.stop_reason:
                search.stop_reason = "space_exhausted"
            return
        while not inflight[0].ready():
            _take_news(search, pool, wait=0.02)
        _take_news(search, pool)
        top_list, estimated, evaluated = inflight.popleft().get()
        before = search.best_cost
        search.est.count += estimated
        search.scorer.evaluated += evaluated
        search.scorer.valid += evaluated
        search._score([c for _, c in top_list])
        if after is not None:
            after(done)
        done += 1
        if search._stop():
            return
        if before is not None and not strictly_less(search.best_cost, before):
            stall += 1
        else:
            stall = 0
        # victory_condition counts rounds of `workers` runs, as the one-process search does
        if opt.victory_condition and stall >= opt.victory_condition * workers:
            search.stop_reason = "victory_condition"
            return


def _take_news(search, pool: "AnnealPool", wait: float = 0.0) -> None:
    """Score the workers' improving candidates now (so the incumbent and its history
    move when a worker finds a better mapping; a deterministic search drops them, see
    the module doc); then sleep `wait` seconds."""
    import time

    news = pool.drain()
    if news and not search.opt.deterministic:
        search._score(news)
    elif wait:
        time.sleep(wait)
