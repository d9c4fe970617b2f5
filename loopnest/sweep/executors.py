"""Where the layer tasks run: the local process pool, or a Dask cluster.

    with open_executor(None, jobs=8) as (executor, where): ...        # local pool (runner's)
    with open_executor("tcp://10.0.0.5:8786", 1) as (executor, where): ...   # a running cluster
    with open_executor("local:2", 1) as (executor, where): ...        # a LocalCluster here

A Dask executor is `client.get_executor(retries=2, pure=False)`: a
`concurrent.futures.Executor`, so `loopnest.network.runner.run_tasks` drives it exactly
like the local pool. Tasks carry their inputs (texts), so workers need only loopnest
installed (`pip install 'loopnest[distributed]'`), no shared files. The scheduler moves
a lost worker's tasks to another worker by itself; `retries` covers a task that raised.
`dask.distributed` is imported only here, only when a scheduler is given.
"""
from __future__ import annotations

import contextlib
import re
from concurrent.futures import Executor
from typing import Any, Iterator

from loopnest.errors import SpecError

ENV = "LOOPNEST_SCHEDULER"
RETRIES = 2
_LOCAL = re.compile(r"^local(?::(\d+))?$")
_ADDRESS = re.compile(r"^(tcp|tls|ucx|inproc|ws|wss)://\S+$")


def check_scheduler(scheduler: str) -> None:
    """`tcp://HOST:PORT` (any Dask protocol) or `local:N`."""
    m = _LOCAL.match(scheduler)
    if m and (m.group(1) is None or int(m.group(1)) > 0):
        return
    if _ADDRESS.match(scheduler):
        return
    raise SpecError(f"--scheduler '{scheduler}' is not a Dask scheduler address or local:N",
                    file=None, hint="e.g. --scheduler tcp://10.0.0.5:8786 (from `dask "
                    "scheduler`) or --scheduler local:4 (a cluster of 4 workers here)")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SpecError("--scheduler needs dask.distributed, which is not installed",
                        hint="pip install 'loopnest[distributed]' (on this machine and on "
                             "every worker), or leave out --scheduler to use local "
                             "processes") from None
    return distributed


def warm_worker() -> None:
    """Import what a layer task needs (on a Dask worker, before its first task)."""
    import importlib

    from loopnest.network.runner import PRELOAD

    for name in PRELOAD:
        importlib.import_module(name)


async def prepare_worker(dask_worker: Any = None) -> None:
    """Run on every Dask worker when the sweep starts (on its event loop, so that it
    need not be awaited): stop its statistical profiler, then warm its imports in a
    thread. A layer task is seconds of pure Python; the profiler samples its stack every
    10 ms on the event loop, holding the GIL, which made the same tasks run 13-15 %
    slower on Dask than in a local pool."""
    import asyncio

    callbacks = getattr(dask_worker, "periodic_callbacks", None) or {}
    for key in ("profile", "profile-cycle"):
        pc = callbacks.get(key)
        if pc is not None:
            pc.stop()
    await asyncio.get_running_loop().run_in_executor(None, warm_worker)


@contextlib.contextmanager
def open_executor(scheduler: str | None, jobs: int,
                  given: Executor | None = None) -> Iterator[tuple[Executor | None, str]]:
    """(executor, description). None means the runner's own local pool of `jobs`."""
    if given is not None:
        yield given, f"the given {type(given).__name__}"
        return
    if not scheduler:
        yield None, f"{jobs} local process{'es' if jobs > 1 else ''}"
        return
    check_scheduler(scheduler)
    dd = _distributed()
    cluster = None
    m = _LOCAL.match(scheduler)
    try:
        if m:
            n = int(m.group(1) or 1)
            cluster = dd.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None)
            client = dd.Client(cluster)
        else:
            client = dd.Client(scheduler, timeout="20s")
    except OSError as e:
        if cluster is not None:
            cluster.close()
        raise SpecError(f"cannot reach the Dask scheduler at {scheduler}: {e}",
                        hint="start it with `dask scheduler` and give the address it prints "
                             "(tcp://HOST:8786)") from None
    executor = client.get_executor(retries=RETRIES, pure=False)
    try:
        # prepare the workers (no profiler, imports warm) while this process renders the
        # points, as the local pool's forkserver preloads the mapper; a worker that joins
        # later imports on its first task instead
        client.run(prepare_worker, wait=False)
    except Exception:  # noqa: BLE001 - warming is an optimisation, never an error
        pass
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        where = (f"Dask {'LocalCluster' if cluster else 'scheduler'} "
                 f"{client.scheduler.address} with {workers} worker"
                 f"{'' if workers == 1 else 's'}"
                 + ("" if workers else " (tasks wait until a worker joins)"))
        yield executor, where
    finally:
        executor.shutdown(wait=False)
        client.close()
        if cluster is not None:
            cluster.close()
