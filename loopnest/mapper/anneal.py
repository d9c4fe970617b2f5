"""Simulated annealing over candidates, scored by the fast surrogate.

The surrogate (`surrogate.py`) costs a fraction of a millisecond, so one annealing
run looks at thousands of candidates; the search then re-scores the best few
distinct candidates of every run with the exact model. The cost annealed is a
log-domain scalarization of the metric list (first metric dominant), so moves are
judged by relative change whatever the units.
"""
from __future__ import annotations

import heapq
import math
import random
import time
from typing import Callable

from loopnest.mapper import moves
from loopnest.mapper.mapspace import Candidate, MapSpace
from loopnest.mapper.surrogate import Surrogate



def metric_values(energy: float, cycles: float, lla: float,
                  metrics: tuple[str, ...]) -> tuple[float, ...]:
    """Metric values as `objective.metric_value` defines them."""
    out = []
    for m in metrics:
        if m == "energy":
            out.append(energy)
        elif m == "delay":
            out.append(float(cycles))
        elif m == "edp":
            out.append(energy * cycles)
        else:
            out.append(lla)
    return tuple(out)


def scalar(values: tuple[float, ...]) -> float:
    """Log-domain scalarization, lexicographic in spirit: each metric weighs 1000x the
    next, the last weighs 1 (annealing temperatures are relative changes of it)."""
    if any(v == math.inf for v in values):
        return math.inf
    n = len(values)
    return sum(1000.0 ** (n - 1 - i) * math.log(max(v, 1e-30)) for i, v in enumerate(values))


class Estimator:
    """Cached surrogate cost of candidates for one metric list."""

    def __init__(self, space: MapSpace, surrogate: Surrogate, metrics: tuple[str, ...]) -> None:
        self.space = space
        self.sur = surrogate
        self.metrics = metrics
        self.cache: dict[tuple, float] = {}
        self.count = 0

    def many(self, cands: list[Candidate]) -> list[float]:
        return [self(c) for c in cands]

    def __call__(self, cand: Candidate) -> float:
        k = cand.key()
        c = self.cache.get(k)
        if c is None:
            e, cyc, lla = self.sur.estimate(cand)
            c = scalar(metric_values(e, cyc, lla, self.metrics))
            self.cache[k] = c
            self.count += 1
        return c


BatchCost = Callable[[list[Candidate]], list[float]]


def anneal(space: MapSpace, cost_many: BatchCost, start: Candidate, rng: random.Random,
           budget: int, chains: int = 1, t0: float = 0.03, t1: float = 3e-4, top: int = 6,
           deadline: float | None = None,
           stop: Callable[[], bool] | None = None) -> list[tuple[float, Candidate]]:
    """Anneal from `start` over about `budget` candidates; the `top` best distinct seen.

    `chains` independent chains start from `start` and step together: each step
    proposes one random neighbour per chain and scores the proposals in one call of
    `cost_many` (a batched model amortizes its per-call overhead over the chains).
    It ends early at `deadline` (monotonic clock) or when `stop()` says so."""
    c0 = cost_many([start])[0]
    cur = [start] * chains
    cur_c = [c0] * chains
    best: list[tuple[float, int, Candidate]] = []  # max-heap via negated cost
    seen: set[tuple] = set()
    tick = 0

    def offer(c: float, cand: Candidate) -> None:
        nonlocal tick
        if c == math.inf:
            return
        k = cand.key()
        if k in seen:
            return
        if len(best) < top:
            heapq.heappush(best, (-c, tick, cand))
            seen.add(k)
        elif -best[0][0] > c:
            _, _, old = heapq.heapreplace(best, (-c, tick, cand))
            seen.discard(old.key())
            seen.add(k)
        tick += 1

    offer(c0, start)
    steps = max(1, budget // max(1, chains))
    ratio = (t1 / t0) ** (1.0 / max(1, steps - 1))
    temp = t0
    for step in range(steps):
        # every step (one batch of `chains` proposals): a candidate budget then ends
        # within one batch of its target
        if ((deadline is not None and time.monotonic() >= deadline)
                or (stop is not None and stop())):
            break
        props = []
        for j in range(chains):
            n = moves.random_neighbour(space, cur[j], rng)
            if n is not None:
                props.append((j, n))
        temp *= ratio
        if not props:
            continue
        cs = cost_many([n for _, n in props])
        for (j, n), c in zip(props, cs):
            offer(c, n)
            d = c - cur_c[j]
            if d == math.inf or d != d:
                continue
            if d <= 0 or rng.random() < math.exp(-d / temp):
                cur[j], cur_c[j] = n, c
    return sorted(((-nc, cand) for nc, _, cand in best), key=lambda x: x[0])


def best_orders(space: MapSpace, cand: Candidate, cost_many: BatchCost, rng: random.Random,
                per_level: int = 24) -> Candidate:
    """Coordinate descent over each level's loop order (all orders when few, else a sample)."""
    import itertools

    from loopnest.mapper.mapspace import make_perm, perm_choices

    cur, cur_c = cand, cost_many([cand])[0]
    for _ in range(2):
        improved = False
        for i in range(space.nlevels - 1, 0, -1):
            free = perm_choices(space, i, cur.tiling)
            if len(free) < 2:
                continue
            if math.factorial(len(free)) <= per_level:
                orders = list(itertools.permutations(free))
            else:
                orders = []
                for _ in range(per_level):
                    o = list(free)
                    rng.shuffle(o)
                    orders.append(tuple(o))
            news = []
            for o in orders:
                new = Candidate(cur.tiling, list(cur.perms), list(cur.keep))  # tiling shared
                new.perms[i] = make_perm(space, i, new.tiling, o)
                news.append(new)
            for c, new in zip(cost_many(news), news):
                if c < cur_c:
                    cur, cur_c, improved = new, c, True
        if not improved:
            break
    return cur


# -- parallel annealing (num_threads > 1) ----------------------------------------------
_WORKER: dict = {}


def _worker_init(space: MapSpace, tables, metrics: tuple[str, ...], exact: bool,
                 news=None, stop=None) -> None:
    _WORKER["space"] = space
    _WORKER["news"] = news
    _WORKER["stop"] = stop.is_set if stop is not None else None
    _WORKER["est"] = Estimator(space, Surrogate(space, tables), metrics)
    if exact:
        from loopnest.mapper.objective import cost
        from loopnest.mapper.scoring import Scorer, model_batch_fn

        scorer = Scorer(model_batch_fn(space.workload, space.arch, tables, space.sparse))
        _WORKER["scorer"] = scorer

        def exact_many(cands: list[Candidate]) -> list[float]:
            res = scorer.score([c.key() for c in cands], [space.to_mapping(c) for c in cands])
            return [scalar(cost(r, metrics)) for r in res]

        _WORKER["exact"] = exact_many


def _worker_run(job: tuple) -> tuple[list[tuple[float, Candidate]], int, int]:
    """One annealing run; (top list, surrogate estimates, exact evaluations) it made."""
    start, seed, budget, chains, t0, top, deadline = job
    exact = chains > 1
    fn = _WORKER["exact"] if exact else _WORKER["est"].many
    news = _WORKER.get("news")
    if news is not None and exact:  # exact costs: tell the parent of each new best now
        fn = _reporting(fn, news)
    # Count the job's distinct candidates, not the worker's cache misses: which process
    # runs a job depends on timing, and a count that did would make a run bounded by
    # search_size differ from one run to the next.
    seen: set = set()

    def counted(cands: list[Candidate]) -> list[float]:
        seen.update(c.key() for c in cands)
        return fn(cands)

    out = anneal(_WORKER["space"], counted, start, random.Random(seed), budget,
                 chains=chains, t0=t0, top=top, deadline=deadline, stop=_WORKER.get("stop"))
    return out, (0 if exact else len(seen)), (len(seen) if exact else 0)


def _reporting(cost_many: BatchCost, news) -> BatchCost:
    """`cost_many` that puts every candidate better than the run's best so far on the
    `news` queue, so the parent's incumbent (and its history) moves when a worker finds
    it, not when the worker's run ends."""
    best = [math.inf]

    def wrapped(cands: list[Candidate]) -> list[float]:
        costs = cost_many(cands)
        i = min(range(len(costs)), key=costs.__getitem__, default=None)
        if i is not None and costs[i] < best[0]:
            best[0] = costs[i]
            news.put(cands[i])
        return costs

    return wrapped


class AnnealPool:
    """Worker processes that each anneal on their own surrogate or batched exact model
    (fork where available). Deadlines are `time.monotonic()` values (system-wide)."""

    def __init__(self, space: MapSpace, tables, metrics: tuple[str, ...], workers: int,
                 exact: bool = False) -> None:
        import dataclasses
        import multiprocessing as mp

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        light = dataclasses.replace(space, _level_cache={}, _ranks=None)
        self.news = ctx.SimpleQueue()  # candidates that improved a worker's run
        self.stop = ctx.Event()  # set on close: running jobs end after their current step
        self.pool = ctx.Pool(workers, initializer=_worker_init,
                             initargs=(light, tables, metrics, exact, self.news, self.stop))
        self._jobs: list = []

    def drain(self) -> list[Candidate]:
        """The improving candidates the workers have reported so far."""
        out = []
        while not self.news.empty():
            out.append(self.news.get())
        return out

    def submit(self, job: tuple):
        """Start one annealing job; `.get()` on the result waits for (top, estimates,
        evaluations)."""
        res = self.pool.apply_async(_worker_run, (job,))
        self._jobs = [j for j in self._jobs if not j.ready()] + [res]
        return res

    def close(self, grace: float = 10.0) -> None:
        """Stop the workers. Running jobs are asked to end and are waited for, so no
        worker is killed while it holds a queue's lock: `Pool.terminate()` then would
        hang forever on that lock. Killing is only the fallback after `grace` seconds."""
        self.stop.set()
        end = time.monotonic() + grace
        while any(not j.ready() for j in self._jobs) and time.monotonic() < end:
            self.drain()  # a worker blocked on a full news pipe could never finish
            time.sleep(0.005)
        if all(j.ready() for j in self._jobs):
            self.pool.close()
        else:  # pragma: no cover - a job ignoring the stop request
            self.pool.terminate()
        self.pool.join()
