"""`loopnest model` / `timeloop-model`: evaluate the mapping given in FILES."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loopnest.commands.common import add_io_arguments, load_design_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_io_arguments(p)
    p.add_argument("--new-stride-rule", action="store_true",
                   help="use Timeloop's post-2025 stride-change rule (references use the old one)")
    p.add_argument("--no-link-transfers", action="store_true",
                   help="disable inter-PE link transfers (TIMELOOP_DISABLE_LINK_TRANSFERS)")
    p.add_argument("--ignore-constraints", action="store_true",
                   help="evaluate even if the mapping breaks the architecture constraints")
    p.add_argument("--plot", action="store_true",
                   help="also write energy-breakdown and utilization PNGs (needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    from loopnest.checks import mapping_failure
    from loopnest.model.evaluate import ModelOptions, evaluate
    from loopnest.report.files import check_outdir, write_outputs
    from loopnest.report.maptxt import format_map_txt
    from loopnest.report.mapyaml import format_map_yaml
    from loopnest.report.stats import format_stats
    from loopnest.report.summary import one_line
    from loopnest.commands.common import echo_files

    check_outdir(args.output_dir)  # a bad -o is an error before any work
    # every check (`loopnest validate`'s), the architecture constraints included
    design = load_design_from_args(args, require_mapping=True)
    opts = ModelOptions(link_transfers=not args.no_link_transfers,
                        new_stride_rule=args.new_stride_rule)
    from loopnest.model.sparse.spec import design_sparse

    sparse = design_sparse(design.native, design.workload, design.architecture)
    if sparse is not None:
        from loopnest.errors import LoopnestError
        from loopnest.model.sparse.evaluate import evaluate_sparse
        from loopnest.report.sparse_stats import format_sparse_stats

        try:
            sres = evaluate_sparse(design.workload, design.architecture, design.mapping,
                                   design.tables, sparse, opts)
        except LoopnestError as e:  # a sparse rule the mapping breaks: point at the section
            raise e.located(design.native.get("sparse_optimizations")) from None
        result = sres.result
        stats_text = format_sparse_stats(sres) if result.valid else ""
    else:
        result = evaluate(design.workload, design.architecture, design.mapping, design.tables,
                          opts)
        stats_text = format_stats(result) if result.valid else ""
    if not result.valid:
        raise mapping_failure(design, result.failure or "invalid mapping")
    files = {
        "stats.txt": stats_text,
        "map.txt": format_map_txt(result),
        "map.yaml": format_map_yaml(design.workload, design.architecture, design.mapping),
    }
    files.update(echo_files(design))
    if args.plot:
        files.update(_plots(result))
    out = write_outputs(args.output_dir, "timeloop-model", files)  # one set, atomically
    print(one_line(result))
    if not args.quiet:
        print(f"outputs: {Path(args.output_dir) / 'timeloop-model.stats.txt'} (+ "
              f"{len(out) - 1} more)", file=sys.stderr)
    return 0


def _plots(result) -> dict[str, bytes]:
    """The energy-breakdown and utilization PNGs, as bytes for the output set."""
    import tempfile

    from loopnest.report.plots import energy_breakdown_png, utilization_png

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, draw in (("energy.png", energy_breakdown_png),
                           ("utilization.png", utilization_png)):
            draw(result, Path(tmp) / name)
            out[name] = (Path(tmp) / name).read_bytes()
    return out


def check_architecture_constraints(design) -> None:
    """Moved to loopnest.checks.design (validate runs it too); kept for old callers."""
    from loopnest.checks.design import check_architecture_constraints as check

    check(design)
