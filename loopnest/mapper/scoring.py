"""Exact re-scoring of candidate mappings with the model (batched when available)."""
from __future__ import annotations

import importlib
from typing import Callable, Sequence

from loopnest.energy.tables import CostTables
from loopnest.errors import MappingError
from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.model.result import Result

BatchFn = Callable[[Sequence[Mapping]], list[Result]]


def full_result(workload: Workload, arch: Architecture, tables: CostTables,
                mapping: Mapping, sparse: object = None) -> Result:
    """The exact model's full Result (for the reports) of one mapping; the sparse
    model's when `sparse` (a SparseSpec) is given."""
    if sparse is not None:
        from loopnest.model.sparse.evaluate import sparse_result

        return sparse_result(workload, arch, mapping, tables, sparse)
    evaluate = importlib.import_module("loopnest.model.evaluate").evaluate
    return evaluate(workload, arch, mapping, tables)


def model_batch_fn(workload: Workload, arch: Architecture, tables: CostTables,
                   sparse: object = None) -> BatchFn:
    """`evaluate_many` when the batched model exists, else a loop over `evaluate`.
    `sparse`: the design's SparseSpec; every mapping is then scored by the exact sparse
    model (the closed form does not cover sparse optimizations)."""
    try:
        batch = importlib.import_module("loopnest.model.batch").evaluate_many
    except (ImportError, AttributeError):
        batch = None
    if batch is not None:
        def batched(maps: Sequence[Mapping]) -> list[Result]:
            br = batch(workload, arch, list(maps), tables, sparse=sparse)
            fb = getattr(br, "exact_fallback", None)
            batched.closed_form = fb is not None and not bool(fb.any())
            out = []
            # whole columns at once: numpy scalars one by one cost more than the model
            valid, energy, cycles = br.valid.tolist(), br.energy.tolist(), br.cycles.tolist()
            lla = (br.reads[:, -1].sum(axis=1) + br.fills[:, -1].sum(axis=1)
                   + br.updates[:, -1].sum(axis=1)).tolist()
            cache = getattr(br, "_cache", {})
            for i in range(len(br)):
                if not valid[i]:
                    cached = cache.get(i)
                    out.append(cached or Result(valid=False, failure="invalid (batched model)"))
                    continue
                r = Result(valid=True, energy=float(energy[i]), cycles=int(cycles[i]))
                r.last_level_accesses = float(lla[i])  # type: ignore[attr-defined]
                out.append(r)
            return out

        batched.closed_form = False
        return batched
    evaluate = importlib.import_module("loopnest.model.evaluate").evaluate

    def one_by_one(maps: Sequence[Mapping]) -> list[Result]:
        out = []
        for m in maps:
            try:
                out.append(evaluate(workload, arch, m, tables))
            except MappingError as e:
                out.append(Result(valid=False, failure=e.message))
        return out

    return one_by_one


class Scorer:
    """Scores mappings through `batch_fn`, with a cache keyed by candidate key."""

    def __init__(self, batch_fn: BatchFn) -> None:
        self.batch_fn = batch_fn
        self.cache: dict[tuple, Result] = {}
        self.evaluated = 0
        self.valid = 0

    @property
    def closed_form(self) -> bool:
        """The last batch was computed entirely by the model's vectorised closed form."""
        return bool(getattr(self.batch_fn, "closed_form", False))

    def score(self, keys: Sequence[tuple], maps: Sequence[Mapping]) -> list[Result]:
        """Results for `maps` (cached by `keys`; duplicates evaluated once)."""
        todo_k, todo_m = [], []
        seen = set()
        for k, m in zip(keys, maps):
            if k not in self.cache and k not in seen:
                seen.add(k)
                todo_k.append(k)
                todo_m.append(m)
        if todo_m:
            res = self.batch_fn(todo_m)
            for k, r in zip(todo_k, res):
                self.cache[k] = r
                self.evaluated += 1
                self.valid += bool(r.valid)
        return [self.cache[k] for k in keys]
