"""`loopnest sweep TOP.yaml.jinja2 [FILES...] --network NET --grid k=v1,v2 ...` or
`loopnest sweep sweep.yaml`: many design points, every layer of a network each.

The work is in `loopnest.sweep`; this module turns arguments into a SweepSpec and prints.
Exit status: 0, 1 when some points failed, 2 for input errors, 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    from loopnest.commands.common import add_energy_models_argument, add_set_argument

    p.add_argument("files", nargs="*", help="a sweep.yaml, or the design's files (Jinja2 "
                   "template first; any problem or mapping in them is ignored)")
    p.add_argument("--network", "-n", metavar="NET", help="a bundled network (resnet18, ...), "
                   "a network.yaml, a folder of problem files or one problem file")
    p.add_argument("--grid", "-g", action="append", default=[], metavar="NAME=VALUES",
                   help="a swept variable: v1,v2,... or START..STOP[..STEP] or "
                        "START..STOP..*FACTOR; a,b=1:2,3:4 zips a and b (repeatable: the "
                        "sweep is the product)")
    p.add_argument("--arch", metavar="NAME", help="a bundled accelerator (loopnest arch list) "
                   "instead of, or before, FILES")
    p.add_argument("-o", "--output-dir", default=".", help="where to write (default .); a "
                   "rerun with the same folder skips the points already in its sweep.csv")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="a variable fixed at every point (value parsed as a YAML scalar)")
    add_set_argument(p)
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="local worker processes (default: the cores)")
    p.add_argument("--scheduler", default=os.environ.get("LOOPNEST_SCHEDULER") or None,
                   metavar="ADDRESS", help="run the tasks on a Dask cluster: tcp://HOST:PORT "
                   "(from `dask scheduler`), or local:N for N local Dask workers (default: "
                   "$LOOPNEST_SCHEDULER, else local processes; needs loopnest[distributed])")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--evaluations-per-layer", type=int, default=None, metavar="N",
                        help="candidates scored per layer: the same results on any machine "
                             "(default: the sweep file's, else mapper.search_size, else 65000)")
    budget.add_argument("--timeout-per-layer", type=float, default=None, metavar="S",
                        help="seconds of search per layer (results then depend on the "
                             "machine's speed and load)")
    p.add_argument("--seed", type=int, default=None, help="search seed (default 0)")
    p.add_argument("--retry-failed", action="store_true",
                   help="on a rerun, map again the points whose row says failed")
    p.add_argument("--no-cache", action="store_true",
                   help="map every layer again and do not store results")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="where finished layers are kept (default: $LOOPNEST_CACHE_DIR, else "
                        "~/.cache/loopnest/layers)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG/SVG charts")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    add_energy_models_argument(p)


def spec_from(args: argparse.Namespace):
    """The SweepSpec of the command line (a sweep file's, with the options on top)."""
    from loopnest.errors import SpecError
    from loopnest.spec.load import parse_var_args
    from loopnest.sweep.spec import SweepSpec, parse_grid
    from loopnest.sweep.sweepfile import is_sweep_file, read_sweep_file

    files = list(args.files or [])
    if files and is_sweep_file(files[0]):
        spec = read_sweep_file(files[0])
        spec.files += [str(Path(f).resolve()) for f in files[1:]]
    else:
        spec = SweepSpec(files=files)
    arch = args.arch or spec.arch
    if arch:
        from loopnest.archlib import check_variables, get_design

        design = get_design(arch)
        spec.files = [str(f) for f in design.files] + spec.files
        spec.arch = arch
    if not spec.files:
        raise SpecError("no design given", hint="give the design's files, --arch NAME or a "
                        "sweep.yaml (see docs/sweeps.md)")
    spec.axes += [parse_grid(g) for g in args.grid]
    spec.fixed.update(parse_var_args(args.var))
    if arch:
        check_variables(design, [n for n in spec.swept + list(spec.fixed) if "." not in n])
    spec.sets += list(args.sets)
    if args.network:
        spec.network, spec.problems = args.network, []
    if args.evaluations_per_layer is not None:
        spec.evaluations, spec.timeout = args.evaluations_per_layer, None
    if args.timeout_per_layer is not None:
        spec.timeout, spec.evaluations = args.timeout_per_layer, None
    if args.seed is not None:
        spec.seed = args.seed
    return spec


def request_from(args: argparse.Namespace):
    from loopnest.commands.network import cache_dir_from, check_budget_flags
    from loopnest.network.runner import default_jobs
    from loopnest.sweep.executors import check_scheduler
    from loopnest.sweep.run import SweepRequest

    check_budget_flags(args)
    if args.scheduler:
        check_scheduler(args.scheduler)
    cache = cache_dir_from(args)
    return SweepRequest(spec=spec_from(args), outdir=args.output_dir,
                        jobs=args.jobs or default_jobs(), scheduler=args.scheduler or None,
                        cache_dir=cache, energy_models=args.energy_models,
                        plots=not args.no_plots, quiet=args.quiet,
                        strict=bool(getattr(args, "strict", False)),
                        retry_failed=args.retry_failed)


def _budget_text(spec) -> str:
    if spec.timeout:
        return f"{spec.timeout:g} s of search per layer"
    if spec.evaluations:
        return f"{spec.evaluations} candidates per layer"
    from loopnest.network.pipeline import DEFAULT_EVALUATIONS  # not at parser build time

    return f"mapper.search_size (else {DEFAULT_EVALUATIONS}) candidates per layer"


def _start_note(req):
    def note(info: dict) -> None:
        for w in info["warnings"]:
            print(w, file=sys.stderr)
        if req.quiet:
            return
        net, spec = info["network"], req.spec
        print(f"sweep: {info['points']} points x {len(net.layers)} layers of {net.name} "
              f"({len(info['shapes'])} distinct); {_budget_text(spec)}, seed {spec.seed}; "
              f"{info['tasks']} tasks on {info['where']}", file=sys.stderr)
        if info["resumed"]:
            print(f"  {info['resumed']} points already in {Path(req.outdir) / 'sweep.csv'}: "
                  "skipped", file=sys.stderr)
        if info["dropped"]:
            print(f"  {info['dropped']} rows of sweep.csv are from another sweep (other "
                  "files, layers, budget or code): moved to sweep.previous.csv",
                  file=sys.stderr)
        if info["invalid"]:
            print(f"  {info['invalid']} points have an invalid design (error rows)",
                  file=sys.stderr)
    return note


def _cells(row: dict, variables: list[str]) -> str:
    return " ".join(f"{v}={row.get(v, '')}" for v in variables)


def run(args: argparse.Namespace) -> int:
    from loopnest.sweep.run import run_sweep

    req = request_from(args)
    res = run_sweep(req, on_start=_start_note(req))
    variables = req.spec.swept
    ok = len(res.rows) - len(res.failed)
    print(f"sweep: {res.points} points ({ok} ok, {len(res.failed)} failed"
          + (f", {res.not_run} not run" if res.not_run else "")
          + (f", {res.resumed} from the earlier run" if res.resumed else "")
          + f") in {res.wall_s:.1f} s; {res.tasks} layer tasks ({res.mapped} mapped, "
          f"{res.cached} from cache)")
    best = res.best()
    if best is not None:
        print(f"  best EDP: {_cells(best, variables)}: energy "
              f"{float(best['energy_pJ']) / 1e6:.4g} uJ | latency "
              f"{float(best['latency_s']) * 1e3:.4g} ms | EDP {float(best['edp_J_cycle']):.4g} "
              f"J*cycle | area {float(best['area_um2'] or 0) / 1e6:.4g} mm2")
    if res.pareto:
        print(f"  Pareto front ({', '.join(req.spec.metrics)}): {len(res.pareto)} points: "
              + "; ".join(_cells(r, variables) for r in res.pareto[:6])
              + (" ..." if len(res.pareto) > 6 else ""))
    for r in res.failed[:8]:
        print(f"  failed: {_cells(r, variables)}: {r['error']}", file=sys.stderr)
    if len(res.failed) > 8:
        print(f"  ... {len(res.failed) - 8} more failed points in sweep.csv", file=sys.stderr)
    if res.plot_note:
        print(res.plot_note, file=sys.stderr)
    if not args.quiet:
        print(f"outputs: {Path(req.outdir) / 'sweep.csv'}, pareto.csv, points/"
              + (", plots/" if res.plots else ""), file=sys.stderr)
    if res.interrupted:
        print("interrupted: finished points are kept in sweep.csv; rerun the same command "
              "to finish", file=sys.stderr)
        return 130
    return 1 if res.failed else 0
