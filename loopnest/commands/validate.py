"""`loopnest validate FILES... [--var k=v] [--show-ir]`: load, check, transpile and lower.

Runs the whole front end without evaluating anything: load_spec → validate_spec
→ to_native → loopnest.ir.lower.lower_design (plus constraint lowering). Prints
`ok` (or a short summary of the lowered design with --show-ir); any mistake is a
LoopnestError (exit 2). Never writes files.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="YAML / Jinja2 input files (globs allowed)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    p.add_argument("--show-ir", action="store_true",
                   help="print levels, fan-outs, dimensions and the mapping of the lowered design")


def check(files: list[str], var: list[str]) -> tuple[Any, Any]:
    """Load + validate + transpile + lower; returns (native spec, Design or None)."""
    from loopnest.spec.load import load_spec, parse_var_args
    from loopnest.spec.native import to_native
    from loopnest.spec.validate import validate_spec

    spec = load_spec(files, parse_var_args(var))
    validate_spec(spec)
    native = to_native(spec)
    design = None
    try:
        from loopnest.ir.lower import lower_design
    except ImportError:  # IR lowering not available in this build
        return native, None
    if _has_model_inputs(native):
        design = lower_design(native)
        from loopnest.ir.lower_constraints import lower_constraints

        lower_constraints(native, design.workload, design.architecture)
    return native, design


def _has_model_inputs(native: Any) -> bool:
    arch = native.get("architecture")
    return isinstance(arch, dict) and bool(arch.get("subtree") or arch.get("local")
                                           or arch.get("storage")) \
        and isinstance(native.get("problem"), dict)


def run(args: argparse.Namespace) -> int:
    native, design = check(args.files, args.var)
    if args.show_ir and design is not None:
        from loopnest.spec.summary import summarize

        print(summarize(design))
    else:
        what = "design" if design is not None else "spec (no architecture + problem to lower)"
        print(f"ok: {what} is valid ({', '.join(args.files)})")
    return 0
