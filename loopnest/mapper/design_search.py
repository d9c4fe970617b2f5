"""Search one lowered design and check the answer: what `loopnest mapper`, the API and
a network layer task all do between loading a design and reporting its best mapping."""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from loopnest.errors import MapperError

SEEDS = 4  # refitted sources a second search starts from (the best first)


def search_design(design: Any, options: Any, empty: str, advice: str,
                  interrupted_raises: bool = False):
    """Run the mapper on `design` (workload, architecture, constraints, tables) with
    SearchOptions `options`; the SearchOutcome. No valid mapping is a MapperError
    (`empty`, with `advice` after the candidate count); a best mapping the independent
    checker rejects is an internal error, never written. With `interrupted_raises`,
    Ctrl-C during the search ends in KeyboardInterrupt rather than the best so far."""
    from loopnest.mapper.search import run_search

    space, batch = _space_and_batch(design)
    outcome = run_search(space, design.tables, batch, options)
    return _checked(design, space, outcome, empty, advice, interrupted_raises)


def second_search(design: Any, options: Any, sources: Sequence[tuple[str, list]],
                  beat: Sequence[float]):
    """Search `design` again from starts a first search does not try, for a better
    mapping than its best so far (cost vector `beat`); a network's second pass.

    Starts: the other layers' best mappings (`sources`: (label, described mapping),
    see mapper/transplant.py) refitted to this layer, those that beat `beat` first;
    then one stationary tiling per data space (`TilingModel.stationary`); then the
    search's own CP-SAT tilings. Returns (SearchOutcome, label of the best refitted
    source that beat `beat` or "", whether the outcome beats `beat`); only an outcome
    that beats it has been checked."""
    from loopnest.mapper.cpsat import TilingModel
    from loopnest.mapper.imperfect import rebound
    from loopnest.mapper.objective import cost, strictly_less
    from loopnest.mapper.search import Search
    from loopnest.mapper.transplant import fit

    space, batch = _space_and_batch(design)
    fitted = [(label, c) for label, d in sources if (c := fit(space, d)) is not None]
    better = []
    if fitted:
        results = batch([space.to_mapping(c) for _, c in fitted])
        better = sorted((cost(r, options.metrics), i) for i, r in enumerate(results)
                        if strictly_less(cost(r, options.metrics), tuple(beat)))
    model = TilingModel(space)
    wall = 30.0 if options.deterministic else 4.0
    starts = [st for ds in space.workload.ds_names
              if (st := model.stationary(ds, wall_factor=wall)) is not None]
    budget = options.search_size or options.exact_budget
    # a short run from each start, then runs of half the budget (from the best too)
    search = Search(space, design.tables, batch, dataclasses.replace(
        options, warmup_runs=1, exact_budget=max(options.anneal_chains, budget // 2)))
    search.warm = [fitted[i][1] for _, i in better[:SEEDS]]
    search.starts = starts
    outcome = search.run()
    if outcome.status == "INTERRUPTED":
        raise KeyboardInterrupt
    label = fitted[better[0][1]][0] if better else ""
    if outcome.result is None or not strictly_less(cost(outcome.result, options.metrics),
                                                   tuple(beat)):
        return outcome, label, False
    outcome = _checked(design, space, rebound(space, design.tables, outcome, options),
                       "no valid mapping", "", True)
    return outcome, label, True


def _space_and_batch(design: Any):
    from loopnest.mapper.mapspace import build_mapspace
    from loopnest.mapper.scoring import model_batch_fn
    from loopnest.model.sparse.spec import design_sparse

    sparse = design_sparse(getattr(design, "native", None), design.workload,
                           design.architecture)
    space = build_mapspace(design.workload, design.architecture, design.constraints, sparse)
    batch = model_batch_fn(design.workload, design.architecture, design.tables, sparse)
    return space, batch


def _checked(design: Any, space: Any, outcome: Any, empty: str, advice: str,
             interrupted_raises: bool):
    """The outcome, once the independent checker accepts its best mapping."""
    from loopnest.ir.checker import check_mapping

    if interrupted_raises and outcome.status == "INTERRUPTED":
        raise KeyboardInterrupt
    if outcome.result is None or outcome.mapping is None:
        raise MapperError(empty, hint=f"{outcome.evaluated} candidates evaluated; {advice}")
    bad = check_mapping(design.workload, design.architecture, outcome.mapping,
                        design.constraints, [lv.density for lv in space.levels])
    if bad:
        raise MapperError(f"internal: best mapping fails the validity check: {bad[0]}")
    return outcome
