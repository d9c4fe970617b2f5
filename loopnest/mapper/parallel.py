"""Annealing on every core (`threads = W > 1`), two ways:

* `split_chains` (annealing on the batched exact model): the chains of each
  annealing run are split over the W worker processes. Chains are independent and
  step on the same temperature schedule, so this is the one-process run at W times
  the speed; while the workers anneal, the main process asks CP-SAT for the next
  tiling. A search that finds its answer in its first run finds it W times sooner.
* `pipelined_anneal` (annealing on the surrogate, one chain per run): W independent
  runs in flight; as soon as the oldest returns, its best joins the incumbent and a
  new run starts (a new CP-SAT tiling, or a restart from the best any worker found).

Results are taken in submission order, not completion order, and a start depends
only on results taken before it was made. A run bounded by candidates
(`search_size`, `victory_condition`) therefore gives the same answer whatever the
machine's load; only a wall-clock timeout depends on timing.
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
                     next_start: StartFn, after: Callable[[int], None] | None = None) -> None:
    """Keep `workers` annealing jobs in flight until the search stops.

    `next_start(k)` gives job k's start (candidate, start temperature), or None when
    there is nothing left to start from; `after(j)` runs once job j's results are in."""
    opt = search.opt
    budget, chains = ((opt.exact_budget // 2, opt.anneal_chains) if exact
                      else (opt.anneal_steps, 1))
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
            job = (cand, search.rng.randrange(1 << 30), _left(search, budget, workers), chains,
                   t0, opt.exact_per_run, deadline)
            inflight.append(pool.submit(job))
            k += 1
        if not inflight:
            if exhausted and not search.stop_reason:
                search.stop_reason = "space_exhausted"
            return
        while not inflight[0].ready():
            _take_news(search, pool, wait=0.02)
        _take_news(search, pool)
        top, estimated, evaluated = inflight.popleft().get()
        before = search.best_cost
        search.est.count += estimated
        search.scorer.evaluated += evaluated
        search.scorer.valid += evaluated
        search._score([c for _, c in top])
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


def split_chains(search, pool: "AnnealPool", workers: int, next_start: StartFn,
                 restart: Callable[[int], bool]) -> None:
    """Rounds of one annealing run each, its chains spread over `workers` processes.

    `restart(k)` says whether round k restarts from the best (made once the previous
    round is in) rather than from a new tiling (made while the previous round runs)."""
    opt = search.opt
    chains = max(1, opt.anneal_chains // workers)
    deadline = search.t_search + opt.timeout
    k = 0
    stall = 0
    start = next_start(0)
    while start is not None and not search._stop():
        cand, t0 = start
        budget = max(chains, search._run_budget() // workers)
        share = max(chains, _left(search, budget, workers))
        runs = [pool.submit((cand, search.rng.randrange(1 << 30), share, chains, t0, 1,
                             deadline)) for _ in range(workers)]
        ahead = None if restart(k + 1) else next_start(k + 1)  # CP-SAT while they anneal
        before = search.best_cost
        while not all(r.ready() for r in runs):  # take news while the workers anneal
            _take_news(search, pool, wait=0.02)
        _take_news(search, pool)
        for r in runs:
            top, estimated, evaluated = r.get()
            search.est.count += estimated
            search.scorer.evaluated += evaluated
            search.scorer.valid += evaluated
            search._score([c for _, c in top])
        if search._stop():
            return
        if before is not None and not strictly_less(search.best_cost, before):
            stall += 1
        else:
            stall = 0
        if opt.victory_condition and stall >= opt.victory_condition:
            search.stop_reason = "victory_condition"
            return
        k += 1
        start = ahead if ahead is not None else next_start(k)
    if start is None and not search.stop_reason:
        search.stop_reason = "space_exhausted"


def _take_news(search, pool: "AnnealPool", wait: float = 0.0) -> None:
    """Score the workers' improving candidates now (so the incumbent and its history
    move when a worker finds a better mapping); then sleep `wait` seconds."""
    import time

    news = pool.drain()
    if news:
        search._score(news)
    elif wait:
        time.sleep(wait)
