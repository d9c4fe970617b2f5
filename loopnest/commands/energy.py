"""`loopnest energy FILES... [-o DIR]` (alias `accelergy`): Accelergy's outputs.

Writes ERT.yaml, ERT_summary.yaml, ART.yaml, ART_summary.yaml,
flattened_architecture.yaml and, when action counts are given,
energy_estimation.yaml. FILES may be files or directories (all YAML inside) and
Jinja2 top files; `--var` and a top-level `variables:` work as for `model`.
Accelergy's own flags are accepted: `-o/--outdir`, `-p/--precision`,
`-f/--output_files`, `--oprefix` and `-l/--list-components` are honoured;
`-v/--verbose`, `--suppress_version_errors` and `--update_config_version` are
accepted and change nothing (a note says so); `-e/--extra_plugins` is refused,
because loopnest never runs Python code named by a command line or an input.
"""
from __future__ import annotations

import argparse
import sys

from loopnest.commands.common import add_energy_models_argument, add_input_arguments

OUTPUTS = ("ERT", "ERT_summary", "ART", "ART_summary", "energy_estimation", "flattened_arch")
_FILE_OF = {"ERT": "ERT.yaml", "ERT_summary": "ERT_summary.yaml", "ART": "ART.yaml",
            "ART_summary": "ART_summary.yaml", "energy_estimation": "energy_estimation.yaml",
            "flattened_arch": "flattened_architecture.yaml"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="YAML / Jinja2 input files or directories")
    p.add_argument("-o", "--output-dir", "--outdir", dest="output_dir", default=".",
                   help="where to write outputs")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    p.add_argument("--no-plugins", action="store_true",
                   help="use only the built-in estimators (ignore entry-point plug-ins)")
    add_energy_models_argument(p)
    p.add_argument("-p", "--precision", type=int, default=6,
                   help="decimals of the energies and areas written (Accelergy's default 6)")
    p.add_argument("-f", "--output_files", "--output-files", dest="output_files", nargs="*",
                   default=["all"], metavar="NAME",
                   help=f"which outputs to write: {', '.join(OUTPUTS)} or all (default)")
    p.add_argument("--oprefix", default="", help="prefix added to the output file names")
    p.add_argument("-l", "--list-components", action="store_true",
                   help="list the estimators, their accuracy and the classes they price")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="accepted for Accelergy scripts; loopnest writes the usual summaries")
    p.add_argument("--suppress_version_errors", action="store_true",
                   help="accepted for Accelergy scripts; no effect")
    p.add_argument("--update_config_version", action="store_true",
                   help="accepted for Accelergy scripts; loopnest has no config file")
    p.add_argument("-e", "--extra_plugins", nargs="+", default=None, metavar="PATH",
                   help="refused: install plug-ins as 'loopnest.estimators' entry points")
    add_input_arguments(p)


def run(args: argparse.Namespace) -> int:
    from loopnest.energy.accelergy import build_documents, registry_for
    from loopnest.energy.inputs import load_inputs
    from loopnest.energy.writer import write_documents
    from loopnest.errors import LoopnestError, SpecError
    from loopnest.spec.limits import spec_budget
    from loopnest.spec.load import parse_var_args

    if args.extra_plugins:
        raise SpecError("-e/--extra_plugins names Python files to run; loopnest does not run "
                        "code from paths given to it",
                        hint="package the plug-in with a 'loopnest.estimators' entry point and "
                             "pip install it (docs/plugins.md)")
    wanted = _wanted_outputs(args.output_files)
    for flag in ("verbose", "suppress_version_errors", "update_config_version"):
        if getattr(args, flag):
            print(f"note: --{flag} changes nothing in loopnest", file=sys.stderr)
    if args.list_components:
        print(list_components(registry_for({}, plugins=not args.no_plugins,
                                           models=args.energy_models)))
        return 0
    if not args.files:
        raise SpecError("no input files", hint="loopnest energy arch.yaml components/ -o out/")
    if args.precision < 0 or args.precision > 15:
        raise SpecError(f"--precision must be 0..15, got {args.precision}")
    from loopnest.checks import check_loaded
    from loopnest.report.files import check_outdir

    check_outdir(args.output_dir)  # a bad -o is an error before any work
    # the checks `loopnest validate` runs on energy input (schemas, versions, sizes,
    # warnings); pricing itself is the rest
    with spec_budget():  # one time budget, even when files are re-read one by one
        loaded = load_inputs(args.files, parse_var_args(args.var) or None)
    spec = check_loaded(loaded, "energy", strict=args.strict).native
    try:
        docs = build_documents(spec, registry_for(spec, plugins=not args.no_plugins,
                                                  models=args.energy_models),
                               precision=args.precision)
    except LoopnestError as e:  # e.g. nothing to estimate: name the input
        raise e.located(spec) from None
    docs = {name: doc for name, doc in docs.items() if name in wanted}
    for path in write_documents(args.output_dir, docs, prefix=args.oprefix):
        print(f"wrote {path}")
    return 0


def _wanted_outputs(names: list[str]) -> set[str]:
    from loopnest.errors import SpecError

    if not names or "all" in names:
        return set(_FILE_OF.values())
    bad = [n for n in names if n not in _FILE_OF]
    if bad:
        raise SpecError(f"unknown output(s) for -f: {', '.join(bad)}",
                        hint=f"choose among {', '.join(OUTPUTS)}, all")
    return {_FILE_OF[n] for n in names}


def list_components(registry) -> str:
    """One line per estimator: name, accuracy, the classes it prices."""
    lines = []
    for est in registry.estimators:
        classes = _classes_of(est)
        lines.append(f"{est.name} (accuracy {est.accuracy:g}): {classes}")
    return "\n".join(lines)


def _classes_of(est) -> str:
    if est.name == "dummy_table":
        return "any class with technology -1"
    if est.name == "Library":
        from loopnest.energy.estimators.library import library

        return ", ".join(sorted(library()[1]))
    if est.name == "Neurosim Plug-In":
        from loopnest.energy.estimators.neurosim import SUPPORTED_CLASSES

        return ", ".join(SUPPORTED_CLASSES)
    return ", ".join(est.classes) if est.classes else "-"
