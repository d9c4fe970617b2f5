"""`loopnest energy` (not built yet)."""
from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", help="YAML / Jinja2 input files")
    p.add_argument("-o", "--output-dir", default=".", help="where to write outputs")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")


def run(args: argparse.Namespace) -> int:
    print("loopnest energy: not built yet", file=sys.stderr)
    return 1
