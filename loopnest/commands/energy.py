"""`loopnest energy FILES... [-o DIR]` (alias `accelergy`): Accelergy's outputs.

Writes ERT.yaml, ERT_summary.yaml, ART.yaml, ART_summary.yaml,
flattened_architecture.yaml and, when action counts are given,
energy_estimation.yaml. FILES may be files or directories (all YAML inside).
"""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="YAML / Jinja2 input files or directories")
    p.add_argument("-o", "--output-dir", default=".", help="where to write outputs")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    p.add_argument("--no-plugins", action="store_true",
                   help="use only the built-in estimators (ignore entry-point plug-ins)")


def run(args: argparse.Namespace) -> int:
    from loopnest.energy.accelergy import build_documents, registry_for
    from loopnest.energy.inputs import load_inputs
    from loopnest.energy.writer import write_documents
    from loopnest.errors import SpecError
    from loopnest.spec.load import parse_var_args

    if not args.files:
        raise SpecError("no input files", hint="loopnest energy arch.yaml components/ -o out/")
    spec = load_inputs(args.files, parse_var_args(args.var) or None)
    docs = build_documents(spec, registry_for(spec, plugins=not args.no_plugins))
    for path in write_documents(args.output_dir, docs):
        print(f"wrote {path}")
    return 0
