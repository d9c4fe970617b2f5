"""`loopnest network FILES... --network NET`: map every layer of a network, total it.

FILES (or `--arch NAME`) give the architecture, constraints and mapper settings; the
layers come from NET (a bundled name, a manifest or a folder of problem files). The
work is in `loopnest.network.pipeline`; this module parses arguments and prints.
Exit status: 0, 1 when some layers failed, 2 for input errors, 130 on Ctrl-C.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    from loopnest.commands.common import add_energy_models_argument, add_set_argument

    p.add_argument("files", nargs="*", help="architecture, constraints and mapper files "
                   "(YAML / Jinja2; any problem or mapping in them is ignored)")
    p.add_argument("--network", "-n", required=True, metavar="NET",
                   help="a bundled network (resnet50, ...), a network.yaml or a folder of "
                        "problem files")
    p.add_argument("--arch", metavar="NAME", help="a bundled accelerator (loopnest arch list) "
                   "instead of, or before, FILES")
    p.add_argument("-o", "--output-dir", default=".", help="where to write (default .)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    add_set_argument(p)
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="layers mapped at once, one process each (default: the cores)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--evaluations-per-layer", type=int, default=None, metavar="N",
                        help="candidates scored per layer, 3/4 in its search and 1/4 in "
                             "a second one from other starts: the same results on any "
                             "machine (default: mapper.search_size, else 65000)")
    budget.add_argument("--timeout-per-layer", type=float, default=None, metavar="S",
                        help="seconds of search per layer (results then depend on the "
                             "machine's speed and load)")
    p.add_argument("--seed", type=int, default=0, help="search seed (default 0)")
    p.add_argument("--no-cache", action="store_true",
                   help="map every layer again and do not store results")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="where finished layers are kept (default: $LOOPNEST_CACHE_DIR, else "
                        "~/.cache/loopnest/layers)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG/SVG charts")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    add_energy_models_argument(p)
    try:
        from loopnest.commands.common import add_input_arguments
    except ImportError:  # pragma: no cover - front end without input-safety options
        return
    add_input_arguments(p)


def _files(args: argparse.Namespace) -> list[str]:
    from loopnest.errors import SpecError

    files = list(args.files or [])
    if args.arch:
        try:
            from loopnest.archlib import check_variables, get_design
        except ImportError:  # pragma: no cover - the library module ships with loopnest
            raise SpecError("--arch needs loopnest's accelerator library",
                            hint="give the design's files instead") from None
        design = get_design(args.arch)
        check_variables(design, [v.split("=", 1)[0].strip() for v in args.var])
        files = [str(f) for f in design.files] + files
    if not files:
        raise SpecError("no design given", hint="give architecture files or --arch NAME "
                        "(loopnest arch list shows the bundled ones)")
    return files


def check_budget_flags(args: argparse.Namespace) -> None:
    """--jobs, --evaluations-per-layer and --timeout-per-layer must be positive."""
    from loopnest.errors import SpecError

    for flag, v in (("--jobs", args.jobs), ("--evaluations-per-layer", args.evaluations_per_layer),
                    ("--timeout-per-layer", args.timeout_per_layer)):
        if v is not None and v <= 0:
            raise SpecError(f"{flag} must be positive, got {v}")


def cache_dir_from(args: argparse.Namespace) -> Path | None:
    """The layer cache folder of --cache-dir / the per-user default (None: --no-cache)."""
    from loopnest.network.cache import default_cache_dir

    return None if args.no_cache else Path(args.cache_dir or default_cache_dir()).expanduser()


def request_from(args: argparse.Namespace):
    """The pipeline's request from the command line."""
    from loopnest.network.pipeline import NetworkRequest
    from loopnest.network.runner import default_jobs
    from loopnest.spec.load import parse_var_args

    check_budget_flags(args)
    cache = cache_dir_from(args)
    return NetworkRequest(
        files=_files(args), network=args.network, outdir=args.output_dir,
        variables=parse_var_args(args.var), sets=list(args.sets), jobs=args.jobs or default_jobs(),
        evaluations=args.evaluations_per_layer, timeout=args.timeout_per_layer, seed=args.seed,
        cache_dir=cache, energy_models=args.energy_models, plots=not args.no_plots,
        quiet=args.quiet, strict=bool(getattr(args, "strict", False)))


def _start_note(quiet: bool):
    def note(net, shapes, tasks, budget, design, warnings) -> None:
        for w in warnings:
            print(w, file=sys.stderr)
        if quiet:
            return
        if design.dropped:
            print(f"note: the design files' {' and '.join(design.dropped)} ignored: the "
                  f"layers come from {net.name}", file=sys.stderr)
        b = (f"{budget.evaluations} candidates" if budget.evaluations
             else f"{budget.timeout:g} s of search")
        refused = sum(1 for s in shapes if s.error)
        print(f"{net.name}: {len(net.layers)} layers, {len(shapes)} distinct shapes"
              + (f" ({refused} refused by the design)" if refused else "")
              + f"; {b} per layer, seed {budget.seed}", file=sys.stderr)
    return note


def run(args: argparse.Namespace) -> int:
    from loopnest.network.pipeline import run_network

    try:
        from loopnest.commands.common import apply_input_options
    except ImportError:  # pragma: no cover
        pass
    else:
        apply_input_options(args)
    req = request_from(args)
    res = run_network(req, on_start=_start_note(args.quiet))
    t = res.totals
    mhz = 1e-6 / t.cycle_seconds if t.cycle_seconds else 0.0
    print(f"{res.name}: {t.layers} layers, {len(res.rows and {r.record.key for r in res.rows})} "
          f"distinct ({res.mapped} mapped, {res.cached} from cache, "
          f"{len({r.record.key for r in res.failed})} failed"
          + (f", {res.second} better in a second search" if res.second else "")
          + (f", {len({r.record.key for r in res.not_run})} not run" if res.not_run else "")
          + f") in {res.wall_s:.1f} s")
    if t.macs:
        print(f"  energy {t.energy_pj / 1e6:.4g} uJ | {t.pj_per_mac:.3g} pJ/MAC | "
              f"{t.cycles} cycles | latency {t.latency_s * 1e3:.4g} ms at {mhz:.4g} MHz | "
              f"{t.inferences_per_s:.4g} inferences/s | {t.tops:.3g} TOPS | "
              f"{t.tops_per_w:.3g} TOPS/W | utilization {t.utilization:.2f}")
    for w in res.warnings[:8] if not args.quiet else []:
        print(f"  warning: {w}", file=sys.stderr)
    if len(res.warnings) > 8 and not args.quiet:
        print(f"  ... {len(res.warnings) - 8} more warnings in network.summary.yaml",
              file=sys.stderr)
    for r in {r.record.key: r for r in res.failed}.values():
        print(f"  failed: {r.record.label}: {r.record.error}", file=sys.stderr)
    if res.plot_note:
        print(res.plot_note, file=sys.stderr)
    if not args.quiet:
        print(f"outputs: {Path(req.outdir) / 'network.csv'}, network.summary.yaml, layers/"
              + (", plots/" if res.plots else ""), file=sys.stderr)
    if res.interrupted:
        print("interrupted: finished layers are kept (and cached); rerun to complete",
              file=sys.stderr)
        return 130
    return 1 if res.failed else 0
