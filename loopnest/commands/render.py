"""`loopnest render TEMPLATE... [--var k=v]`: print the rendered, merged YAML.

Jinja2 is rendered, includes are resolved and top-level keys merged; expressions
are left as written (this shows what the YAML parser sees). Writes nothing.
"""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="Jinja2 top file(s) / YAML files")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    from loopnest.commands.common import add_input_arguments

    add_input_arguments(p)


def run(args: argparse.Namespace) -> int:
    from loopnest.spec.dump import dump_yaml
    from loopnest.spec.load import load_files, parse_var_args

    spec = load_files(args.files, parse_var_args(args.var))
    sys.stdout.write(dump_yaml(spec))
    return 0
