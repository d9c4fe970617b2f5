"""`loopnest mapper` / `timeloop-mapper`: search mappings with CP-SAT + the exact model."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loopnest.commands.common import add_io_arguments, load_design_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_io_arguments(p)
    p.add_argument("--timeout", type=float, default=None,
                   help="wall-clock seconds to search (default: mapper.timeout if > 0, else 60)")
    p.add_argument("--threads", type=int, default=None,
                   help="annealing processes (default: mapper.num_threads, else every core; "
                        "at most the cores there are)")
    p.add_argument("--seed", type=int, default=0, help="random seed (deterministic with 1 thread)")
    p.add_argument("--imperfect", choices=["auto", "on", "off"], default=None,
                   help="search imperfect (residual) factors too: auto (default: with the ruby "
                        "template, remainders constraints, or a prime factor larger than a "
                        "fan-out or buffer), on, off")


def options_from(design, args: argparse.Namespace):
    """SearchOptions from the design's `mapper:` section and the command line."""
    from loopnest.mapper.objective import parse_metrics
    from loopnest.mapper.search import SearchOptions

    mo = design.mapper_options or {}
    timeout = args.timeout
    if timeout is None:
        t = mo.get("timeout")
        timeout = float(t) if isinstance(t, (int, float)) and t > 0 and t <= 3600 else 60.0
    from loopnest.mapper.parallel import resolve_threads

    threads = resolve_threads(args.threads or int(mo.get("num_threads") or 0))
    return SearchOptions(
        metrics=parse_metrics(mo),
        timeout=timeout,
        threads=threads,
        seed=args.seed,
        victory_condition=int(mo.get("victory_condition") or 0),
        search_size=int(mo.get("search_size") or 0),
        log_oaves=bool(mo.get("log_oaves") or False),
        quiet=args.quiet,
        # a run bounded by candidates or stalled rounds repeats under any machine load
        deterministic=bool(mo.get("search_size") or mo.get("victory_condition")),
        imperfect=getattr(args, "imperfect", None) or "auto",
    )


def run(args: argparse.Namespace) -> int:
    from loopnest.errors import MapperError
    from loopnest.mapper.outputs import format_summary, mapper_files
    from loopnest.mapper.design_search import search_design
    from loopnest.report.files import check_outdir, write_output_set

    if args.timeout is not None and not args.timeout > 0:
        raise MapperError(f"--timeout must be > 0 seconds, got {args.timeout:g}")
    check_outdir(args.output_dir)  # a bad -o is an error before the search
    design = load_design_from_args(args, require_mapping=False)
    opts = options_from(design, args)
    outcome = search_design(design, opts, "no valid mappings found within the search criteria",
                            "raise --timeout or relax the constraints")
    files = mapper_files(design.workload, design.architecture, outcome, design.tables)
    try:
        from loopnest.commands.common import echo_files

        files.update(echo_files(design))
    except ImportError:
        pass
    summary = format_summary(outcome, opts.metrics, opts.seed, opts.threads, opts.timeout)
    outputs = {f"timeloop-mapper.{k}": v for k, v in files.items()}
    outputs["loopnest-mapper.summary.yaml"] = summary
    write_output_set(args.output_dir, outputs)  # one set: all new or all old
    r = outcome.result
    gap = format_gaps(opts.metrics, outcome.gaps or [outcome.gap])
    print(f"Summary stats for best mapping found by mapper:\n"
          f"  Utilization = {r.utilization:.2f} | pJ/Compute = {r.pj_per_compute:8.3f} | "
          f"Cycles = {r.cycles} | EDP = {r.edp:.3e} J*cycle | {gap} ({outcome.status})")
    if not args.quiet:
        print(f"outputs: {Path(args.output_dir) / 'timeloop-mapper.stats.txt'} (+ more); "
              f"{outcome.evaluated} candidates evaluated exactly, {outcome.estimated} estimated, "
              f"in {outcome.elapsed:.1f} s", file=sys.stderr)
        plans = getattr(outcome, "imperfect", None)
        if plans:
            print("imperfect factors: also searched " + ", ".join(
                "/".join(f"{k}={v}" for k, v in p.pads.items()) for p in plans)
                + " (padded), converted to residual factors", file=sys.stderr)
    return 0


def format_gaps(metrics: list[str], gaps: list[float | None]) -> str:
    """`gap = 1.20%` for one metric; `gaps: delay 0.00%, energy 24.10%` for a list, so a
    lexicographic search shows how far every metric may be from its bound."""
    def pct(g: float | None) -> str:
        return f"{g * 100:.2f}%" if g is not None else "n/a"

    if len(metrics) <= 1 or len(gaps) <= 1:
        return f"gap = {pct(gaps[0] if gaps else None)}"
    return "gaps: " + ", ".join(f"{m} {pct(g)}" for m, g in zip(metrics, gaps))
