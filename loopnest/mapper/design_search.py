"""Search one lowered design and check the answer: what `loopnest mapper`, the API and
a network layer task all do between loading a design and reporting its best mapping."""
from __future__ import annotations

from typing import Any

from loopnest.errors import MapperError


def search_design(design: Any, options: Any, empty: str, advice: str,
                  interrupted_raises: bool = False):
    """Run the mapper on `design` (workload, architecture, constraints, tables) with
    SearchOptions `options`; the SearchOutcome. No valid mapping is a MapperError
    (`empty`, with `advice` after the candidate count); a best mapping the independent
    checker rejects is an internal error, never written. With `interrupted_raises`,
    Ctrl-C during the search ends in KeyboardInterrupt rather than the best so far."""
    from loopnest.ir.checker import check_mapping
    from loopnest.mapper.mapspace import build_mapspace
    from loopnest.mapper.scoring import model_batch_fn
    from loopnest.mapper.search import run_search

    from loopnest.model.sparse.spec import design_sparse

    sparse = design_sparse(getattr(design, "native", None), design.workload,
                           design.architecture)
    space = build_mapspace(design.workload, design.architecture, design.constraints, sparse)
    batch = model_batch_fn(design.workload, design.architecture, design.tables, sparse)
    outcome = run_search(space, design.tables, batch, options)
    if interrupted_raises and outcome.status == "INTERRUPTED":
        raise KeyboardInterrupt
    if outcome.result is None or outcome.mapping is None:
        raise MapperError(empty, hint=f"{outcome.evaluated} candidates evaluated; {advice}")
    bad = check_mapping(design.workload, design.architecture, outcome.mapping,
                        design.constraints, [lv.density for lv in space.levels])
    if bad:
        raise MapperError(f"internal: best mapping fails the validity check: {bad[0]}")
    return outcome
