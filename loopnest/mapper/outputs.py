"""The mapper's output files: Timeloop's set plus loopnest-mapper.summary.yaml."""
from __future__ import annotations

from loopnest.energy.tables import CostTables
from loopnest.ir.architecture import Architecture
from loopnest.ir.workload import Workload
from loopnest.mapper.search import SearchOutcome


SPARSE_BOUND = ("every count at least its dense bound x the product of all densities; "
                "actual actions cost what dense ones do")


def _num(x: float | None) -> str:
    if x is None:
        return "null"
    if isinstance(x, int):
        return str(x)
    return repr(float(x))


def format_summary(outcome: SearchOutcome, metrics: tuple[str, ...], seed: int,
                   threads: int, timeout: float) -> str:
    """loopnest-mapper.summary.yaml: best, bound, gap, time, candidates, solver status."""
    r = outcome.result
    b = outcome.bound
    lines = [
        "# loopnest mapper summary (all figures from the exact model; bound is provable)",
        f"status: {outcome.status}",
        f"exhaustive: {str(outcome.exhaustive).lower()}",
        f"optimization_metrics: [{', '.join(metrics)}]",
        "best:",
        f"  energy_pJ: {_num(r.energy if r else None)}",
        f"  cycles: {_num(r.cycles if r else None)}",
        f"  edp_J_cycle: {_num(r.edp if r else None)}",
        f"  utilization: {_num(r.utilization if r else None)}",
        "bound:",
        f"  energy_pJ: {_num(b.energy)}",
        f"  cycles: {_num(b.cycles)}",
        f"  edp_J_cycle: {_num(b.edp * 1e-12)}",
        f"  last_level_accesses: {_num(b.last_level_accesses)}",
        f"  max_parallelism: {b.max_parallelism}",
        f"gap: {_num(outcome.gap)}",
        "gaps:" + "".join(f"\n  {m}: {_num(g)}" for m, g in zip(metrics, outcome.gaps)),
        f"time_s: {outcome.elapsed:.3f}",
        f"candidates_evaluated: {outcome.evaluated}",
        f"candidates_estimated: {outcome.estimated}",
        f"valid_candidates: {outcome.valid}",
        f"tilings_from_cpsat: {outcome.tilings}",
        f"seed: {seed}",
        f"threads: {threads}",
        f"timeout_s: {timeout}",
    ]
    if outcome.sparse is not None:
        lines[1:1] = [
            "model: sparse  # Sparseloop's model: densities, formats, gating, skipping",
            "scoring: exact  # no batched closed form covers sparse optimizations",
            f"bound_assumes: {SPARSE_BOUND}",
        ]
    plans = getattr(outcome, "imperfect", None)
    if plans is not None:  # imperfect factorization: the padded searches (imperfect.py)
        lines.append("imperfect_padded_searches:" + "".join(
            f"\n  - {{pads: {{{', '.join(f'{k}: {v}' for k, v in p.pads.items())}}}, "
            f"seconds: {p.seconds:.3f}, converted: {p.converted}, best: {_num(p.best)}}}"
            for p in plans) if plans else "imperfect_padded_searches: []")
    return "\n".join(lines) + "\n"


def mapper_files(workload: Workload, arch: Architecture, outcome: SearchOutcome,
                 tables: CostTables | None = None) -> dict[str, str]:
    """timeloop-mapper.{stats.txt, map.txt, map.yaml, oaves.csv} for the best mapping
    (a sparse design's stats in Sparseloop's layout, which needs the `tables`)."""
    from loopnest.report.maptxt import format_map_txt
    from loopnest.report.mapyaml import format_map_yaml
    from loopnest.report.stats import format_stats

    if outcome.sparse is not None and tables is not None:
        from loopnest.model.sparse.evaluate import evaluate_sparse
        from loopnest.report.sparse_stats import format_sparse_stats

        stats = format_sparse_stats(evaluate_sparse(workload, arch, outcome.mapping, tables,
                                                    outcome.sparse))
    else:
        stats = format_stats(outcome.result)
    return {
        "stats.txt": stats,
        "map.txt": format_map_txt(outcome.result),
        "map.yaml": format_map_yaml(workload, arch, outcome.mapping),
        "oaves.csv": "".join(row + "\n" for row in outcome.oaves),
    }
