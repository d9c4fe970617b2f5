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
    from loopnest.errors import MappingError
    from loopnest.model.evaluate import ModelOptions, evaluate
    from loopnest.report.files import write_outputs
    from loopnest.report.maptxt import format_map_txt
    from loopnest.report.mapyaml import format_map_yaml
    from loopnest.report.stats import format_stats
    from loopnest.report.summary import one_line
    from loopnest.commands.common import echo_files

    design = load_design_from_args(args, require_mapping=True)
    if not args.ignore_constraints:
        check_architecture_constraints(design)
    opts = ModelOptions(link_transfers=not args.no_link_transfers,
                        new_stride_rule=args.new_stride_rule)
    result = evaluate(design.workload, design.architecture, design.mapping, design.tables, opts)
    if not result.valid:
        raise MappingError(result.failure or "invalid mapping",
                           hint="change the mapping's factors or bypass so the tiles fit")
    files = {
        "stats.txt": format_stats(result),
        "map.txt": format_map_txt(result),
        "map.yaml": format_map_yaml(design.workload, design.architecture, design.mapping),
    }
    files.update(echo_files(design))
    out = write_outputs(args.output_dir, "timeloop-model", files)
    if args.plot:
        from loopnest.report.plots import energy_breakdown_png, utilization_png

        energy_breakdown_png(result, Path(args.output_dir) / "timeloop-model.energy.png")
        utilization_png(result, Path(args.output_dir) / "timeloop-model.utilization.png")
    print(one_line(result))
    if not args.quiet:
        print(f"outputs: {Path(args.output_dir) / 'timeloop-model.stats.txt'} (+ "
              f"{len(out) - 1} more)", file=sys.stderr)
    return 0


def check_architecture_constraints(design) -> None:
    """Refuse a mapping whose factors break the architecture's own constraints,
    as timeloop-model does (mapspace constraints only steer the mapper; in v0.4
    files the constraints are already part of the mapping). Loop order, split
    and bypass are not held against a given mapping (see constraint_violations)."""
    from loopnest.errors import MappingError
    from loopnest.ir.lower_constraints import collect_directives, lower_constraints
    from loopnest.mapper.checker import constraint_violations

    if not collect_directives(design.native, architecture_only=True):
        return
    cons = lower_constraints(design.native, design.workload, design.architecture,
                             architecture_only=True)
    bad = constraint_violations(design.workload, design.architecture, design.mapping, cons,
                                factors_only=True)
    if bad:
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        raise MappingError(f"mapping violates architecture constraints: {bad[0]}{more}",
                           hint="fix the mapping, or pass --ignore-constraints to evaluate it anyway")
