"""Run layer tasks: cache first, then a process pool (or this process for one job).

    run_tasks(tasks, cache, jobs, on_done, follow=..., on_second=...) -> RunOutcome

Any `concurrent.futures.Executor` can run the tasks (`executor=`): the default is a
`ProcessPoolExecutor` on a forkserver context (spawn where there is none), whose
server imports the mapper once so each worker starts warm; a worker then keeps its
parsed design and energy tables across layers (task.py). `on_done` sees every record
as soon as it exists (cached ones first), so the caller writes outputs and the cache
entry is stored at once: Ctrl-C keeps every finished layer. Workers ignore SIGINT;
the parent cancels what is queued and ends the workers it started.
"""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import signal
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable

from loopnest.network.cache import ResultCache
from loopnest.network.results import LayerRecord
from loopnest.network.task import LayerTask, SeedTask, failed_record, run_item

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
              executor: Executor | None = None,
              follow: Callable[[LayerRecord], list[SeedTask]] | None = None,
              on_second: Callable[[SeedTask, LayerRecord], None] | None = None
              ) -> RunOutcome:
    """Records for every task: from the cache, else mapped (`jobs` at a time).

    `follow(record)`, called after each task's record (cached or mapped), may return
    second searches (SeedTasks, task.seed_layer) to run on the same workers; each
    one's record goes to `on_second(seed_task, record)`, from the cache (under the
    seed task's key) when it is there."""
    out = RunOutcome()
    failed: set[int] = set()  # second searches whose worker died: not cached

    def expand(rec: LayerRecord) -> list[SeedTask]:
        todo2 = []
        for st in (follow(rec) if follow is not None else []):
            hit = cache.get(st.key) if st.key else None
            if hit is None:
                todo2.append(st)
            elif on_second is not None:
                on_second(st, dataclasses.replace(hit, key=st.task.key, cached=True))
        return todo2

    todo: list = []
    for t in tasks:
        rec = cache.get(t.key)
        if rec is None:
            todo.append(t)
            continue
        out.records[t.key] = rec
        out.cached += 1
        on_done(rec)
        todo += expand(rec)

    def finish(item: LayerTask | SeedTask, rec: LayerRecord) -> list[SeedTask]:
        if isinstance(item, SeedTask):
            if id(item) not in failed:
                cache.put(dataclasses.replace(rec, key=item.key))
            if on_second is not None:
                on_second(item, rec)
            return []
        cache.put(rec)
        out.records[rec.key] = rec
        out.mapped += 1
        on_done(rec)
        return expand(rec)

    def fail(item: LayerTask | SeedTask, why: str) -> LayerRecord:
        if isinstance(item, SeedTask):
            failed.add(id(item))
            return dataclasses.replace(item.record, warnings=item.record.warnings + [
                f"the layer's second search failed: worker failed: {why}"])
        return failed_record(item, f"worker failed: {why}")

    if todo:
        out.interrupted = _pooled(todo, jobs, executor, finish, fail)
    return out


def _pooled(items: list, jobs: int, executor: Executor | None,
            finish: Callable[[object, LayerRecord], list],
            on_fail: Callable[[object, str], LayerRecord]) -> bool:
    """`finish(item, run_item(item))` for every item and every item it returns, in
    this process for one job, else on `executor` or a pool of `jobs` workers; True
    when Ctrl-C stopped it."""
    queue = deque(items)
    if executor is None and jobs <= 1:
        try:
            while queue:
                it = queue.popleft()
                queue.extend(finish(it, run_item(it)))
        except KeyboardInterrupt:
            return True
        return False
    own = executor is None
    ex = make_executor(min(jobs, len(items))) if executor is None else executor
    pending = {ex.submit(run_item, it): it for it in queue}
    try:
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for f in done:
                it = pending.pop(f)
                try:
                    rec = f.result()
                except Exception as e:  # noqa: BLE001 - a dead worker fails its layer only
                    rec = on_fail(it, f"{type(e).__name__}: {e}")
                for new in finish(it, rec):
                    pending[ex.submit(run_item, new)] = new
    except KeyboardInterrupt:
        if own:
            _stop_now(ex, list(pending))
        else:
            for f in pending:
                f.cancel()
        return True
    if own:
        ex.shutdown(wait=True)
    return False
