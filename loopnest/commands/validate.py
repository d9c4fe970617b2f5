"""`loopnest validate FILES... [--var k=v] [--show-ir]`: every check, no output.

Runs the checks `model`, `mapper` and `energy` run, from one place
(loopnest.checks.check_loaded with purpose "validate"): schemas and semantic
checks, versions and sizes, warnings (unknown attributes and instance keys),
v0.4 → TL-native, lowering and constraints, mapping-independent capacity and
the mapper's limits (input without a mapping), the architecture constraints and
the model's evaluation of a given mapping, and pricing every component. Prints
`ok` (or a short summary of the lowered design with --show-ir) on stdout;
warnings go to stderr; any mistake is a LoopnestError (exit 2). Writes no files.
"""
from __future__ import annotations

import argparse
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    from loopnest.commands.common import add_energy_models_argument, add_input_arguments

    p.add_argument("files", nargs="+", help="YAML / Jinja2 input files (globs allowed)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    p.add_argument("--show-ir", action="store_true",
                   help="print levels, fan-outs, dimensions and the mapping of the lowered design")
    p.add_argument("--ignore-constraints", action="store_true",
                   help="as for `loopnest model`: do not hold a given mapping to the "
                        "architecture constraints")
    add_energy_models_argument(p)
    add_input_arguments(p)


def check(files: list[str], var: list[str], sets: list[str] | None = None, *,
          strict: bool = False, ignore_constraints: bool = False,
          models: str = "accelergy2024") -> tuple[Any, Any]:
    """Load + every check; returns (native spec, Design or None)."""
    from loopnest.checks import check_loaded
    from loopnest.spec.load import load_spec, parse_var_args

    spec = load_spec(files, parse_var_args(var), sets)
    checked = check_loaded(spec, "validate", strict=strict, models=models,
                           ignore_constraints=ignore_constraints)
    return checked.native, checked.design


def run(args: argparse.Namespace) -> int:
    native, design = check(args.files, args.var, getattr(args, "sets", None),
                           strict=args.strict, ignore_constraints=args.ignore_constraints,
                           models=args.energy_models)
    if args.show_ir and design is not None:
        from loopnest.spec.summary import summarize

        print(summarize(design))
    else:
        what = "design" if design is not None else "spec (no architecture + problem to lower)"
        print(f"ok: {what} is valid ({', '.join(args.files)})")
    return 0
