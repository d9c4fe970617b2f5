"""Run layer tasks: cache first, then a process pool (or this process for one job).

    run_tasks(tasks, cache, jobs, on_done) -> RunOutcome

Any `concurrent.futures.Executor` can run the tasks (`executor=`): the default is a
`ProcessPoolExecutor` on a forkserver context (spawn where there is none), whose
server imports the mapper once so each worker starts warm; a worker then keeps its
parsed design and energy tables across layers (task.py). `on_done` sees every record
as soon as it exists (cached ones first), so the caller writes outputs and the cache
entry is stored at once: Ctrl-C keeps every finished layer. Workers ignore SIGINT;
the parent cancels what is queued and ends the workers it started.
"""
from __future__ import annotations

import multiprocessing as mp
import signal
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

from loopnest.network.cache import ResultCache
from loopnest.network.results import LayerRecord
from loopnest.network.task import LayerTask, failed_record, map_layer

PRELOAD = ["loopnest.network.task", "loopnest.mapper.search", "loopnest.mapper.outputs",
           "loopnest.model.batch", "loopnest.energy.estimate", "loopnest.spec.native"]


@dataclass
class RunOutcome:
    """Records by task key, and how they came about."""

    records: dict[str, LayerRecord] = field(default_factory=dict)
    mapped: int = 0
    cached: int = 0
    interrupted: bool = False


def default_jobs() -> int:
    """The cores this process may use."""
    from loopnest.mapper.parallel import available_cores

    return available_cores()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_executor(jobs: int) -> ProcessPoolExecutor:
    """A pool of `jobs` warm worker processes that leave Ctrl-C to the parent."""
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_ignore_sigint)


def _stop_now(executor: Executor, futures: list[Future]) -> None:
    """Cancel queued tasks and end the pool's own worker processes."""
    for f in futures:
        f.cancel()
    procs = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def run_tasks(tasks: list[LayerTask], cache: ResultCache, jobs: int,
              on_done: Callable[[LayerRecord], None],
              executor: Executor | None = None) -> RunOutcome:
    """Records for every task: from the cache, else mapped (`jobs` at a time)."""
    out = RunOutcome()
    todo = []
    for t in tasks:
        rec = cache.get(t.key)
        if rec is None:
            todo.append(t)
            continue
        out.records[t.key] = rec
        out.cached += 1
        on_done(rec)

    def finish(rec: LayerRecord) -> None:
        cache.put(rec)
        out.records[rec.key] = rec
        out.mapped += 1
        on_done(rec)

    if not todo:
        return out
    if executor is None and jobs <= 1:
        try:
            for t in todo:
                finish(map_layer(t))
        except KeyboardInterrupt:
            out.interrupted = True
        return out
    own = executor is None
    ex = make_executor(min(jobs, len(todo))) if executor is None else executor
    futures = {ex.submit(map_layer, t): t for t in todo}
    try:
        for f in as_completed(futures):
            try:
                rec = f.result()
            except Exception as e:  # noqa: BLE001 - a dead worker fails its layer only
                rec = failed_record(futures[f], f"worker failed: {type(e).__name__}: {e}")
            finish(rec)
    except KeyboardInterrupt:
        out.interrupted = True
        if own:
            _stop_now(ex, list(futures))
        else:
            for f in futures:
                f.cancel()
        return out
    if own:
        ex.shutdown(wait=True)
    return out
