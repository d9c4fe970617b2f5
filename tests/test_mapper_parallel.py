"""The mapper on several processes: reproducible for a candidate budget, within the
budget, and valid (bundled design, no ../shared)."""
from __future__ import annotations

import pytest

from loopnest.api import load_design
from loopnest.archlib import design_files
from loopnest.ir.checker import check_mapping
from loopnest.mapper.mapspace import build_mapspace
from loopnest.mapper.parallel import available_cores, resolve_threads
from loopnest.mapper.scoring import model_batch_fn
from loopnest.mapper.search import SearchOptions, run_search
from tests.fixtures.problems import matmul_text

MATMUL = matmul_text(C=96, M=64, N=24)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    d = tmp_path_factory.mktemp("par")
    (d / "mm.yaml").write_text(MATMUL)
    return load_design([str(p) for p in design_files("simple_ws")] + [str(d / "mm.yaml")])


def _search(design, evaluator: str, size: int, threads: int = 2, seed: int = 3):
    ir = design.ir
    sp = build_mapspace(ir.workload, ir.architecture, ir.constraints)
    fn = model_batch_fn(ir.workload, ir.architecture, ir.tables)
    opts = SearchOptions(metrics=("edp",), timeout=120, threads=threads, seed=seed, quiet=True,
                         search_size=size, deterministic=True, evaluator=evaluator,
                         exact_budget=1600, anneal_chains=16, anneal_steps=300)
    return run_search(sp, ir.tables, fn, opts)


@pytest.mark.parametrize("evaluator", ["exact", "surrogate"])
def test_two_processes_repeat_for_a_candidate_budget(design, evaluator: str) -> None:
    a = _search(design, evaluator, 4000)
    b = _search(design, evaluator, 4000)
    assert a.stop_reason == b.stop_reason == "search_size"
    assert a.candidate.key() == b.candidate.key() and a.result.edp == b.result.edp
    # counted candidates reach the budget without running far past it (workers'
    # shares are cut to what the budget leaves)
    scored = a.valid + a.estimated
    assert 4000 <= scored <= 4000 + 2 * 1600
    ir = design.ir
    assert check_mapping(ir.workload, ir.architecture, a.mapping, ir.constraints) == []


def test_parallel_history_is_monotone_and_ends_at_the_best(design) -> None:
    out = _search(design, "exact", 6000)
    values = [v for _, v in out.history]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    assert values[-1] == pytest.approx(out.result.edp * 1e12)


def test_threads_never_exceed_the_cores() -> None:
    cores = available_cores()
    assert resolve_threads(None) == cores and resolve_threads(0) == cores
    assert resolve_threads(1) == 1 and resolve_threads(10 ** 6) == cores


@pytest.mark.parametrize("chains", [1, 4])
def test_a_job_counts_the_same_on_a_fresh_or_a_used_worker(design, chains: int) -> None:
    # Which worker process runs a job depends on timing; its counts must not (they
    # decide where a search_size budget stops), so a warm cache must not lower them.
    import random

    from loopnest.mapper.anneal import _worker_init, _worker_run
    from loopnest.mapper import moves
    from loopnest.mapper.cpsat import TilingModel
    from loopnest.mapper.mapspace import Candidate

    ir = design.ir
    sp = build_mapspace(ir.workload, ir.architecture, ir.constraints)
    til, keep, _ = TilingModel(sp).solve(1.0)
    start = Candidate(til, moves.random_orders(sp, til, random.Random(0)), keep)
    _worker_init(sp, ir.tables, ("edp",), chains > 1)
    job = (start, 7, 300, chains, 0.1, 2, None)
    first = _worker_run(job)
    again = _worker_run(job)  # every candidate is now in this worker's cache
    assert first[1:] == again[1:] and sum(first[1:]) > 0
    assert [c for c, _ in first[0]] == [c for c, _ in again[0]]


def test_each_process_anneals_whole_runs(design, monkeypatch) -> None:
    # On the exact model every job is a whole annealing run (all its chains, the
    # warm-up schedule's length); a restart from the best (every third run, at its
    # start temperature) runs a quarter of a full run.
    from loopnest.mapper.anneal import AnnealPool

    jobs = []
    submit = AnnealPool.submit

    def record(self, job):
        jobs.append(job)
        return submit(self, job)

    monkeypatch.setattr(AnnealPool, "submit", record)
    out = _search(design, "exact", 6000)
    assert out.stop_reason == "search_size" and len(jobs) >= 4
    chains = {j[3] for j in jobs}
    budgets = [j[2] for j in jobs]
    assert chains == {16}
    # exact_budget 1600 (test options): 200, 400, 800, then 1600 (a restart: 400), each
    # cut to its share of what search_size leaves
    full = [200, 400, 800] + [1600] * (len(jobs) - 3)
    for k, (b, j) in enumerate(zip(budgets, jobs)):
        want = min(full[k], 400) if k % 3 == 2 else full[k]
        assert b <= want and (j[4] == 0.006) == (k % 3 == 2)
    assert budgets[:2] == [200, 400]
