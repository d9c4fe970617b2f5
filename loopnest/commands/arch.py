"""`loopnest arch list | show NAME | files NAME`: the bundled accelerators of arch_library/.

`list` prints one line per design, `show` its description, sources, parameters
and files, `files` the paths to give `loopnest model/mapper` with a problem file
(`loopnest mapper $(loopnest arch files eyeriss_like) layer.yaml`). The parsing
lives in `loopnest.archlib`; this module only prints.
"""
from __future__ import annotations

import argparse
import textwrap


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="arch_action", metavar="ACTION", required=True)
    sub.add_parser("list", help="one line per bundled accelerator")
    show = sub.add_parser("show", help="description, sources, parameters and files of one")
    show.add_argument("name", help="accelerator name (see `loopnest arch list`)")
    files = sub.add_parser("files", help="the design's files, one path per line")
    files.add_argument("name", help="accelerator name (see `loopnest arch list`)")


def run(args: argparse.Namespace) -> int:
    from loopnest import archlib

    if args.arch_action == "list":
        designs = archlib.list_designs()
        width = max((len(d.name) for d in designs), default=0)
        for d in designs:
            print(f"{d.name:<{width}}  {d.summary}")
    elif args.arch_action == "files":
        for f in archlib.design_files(args.name):
            print(f)
    else:
        print(format_design(archlib.get_design(args.name)))
    return 0


def format_design(design) -> str:
    """The text of `loopnest arch show`."""
    out = [f"{design.name}: {design.summary}", ""]
    for par in design.description.split("\n\n"):
        out += [textwrap.fill(" ".join(par.split()), 88), ""]
    out.pop()
    if design.sources:
        out += ["", "Sources:"]
        out += [textwrap.fill(s, 88, initial_indent="  ", subsequent_indent="      ")
                for s in design.sources]
    if design.parameters:
        out += ["", "Parameters (override with --var NAME=VALUE):"]
        nw = max(len(p.name) for p in design.parameters)
        dw = max(len(p.default) for p in design.parameters)
        uw = max(len(p.unit) for p in design.parameters)
        pad = 2 + nw + 2 + dw + 2 + uw + 2
        for p in design.parameters:
            lead = f"  {p.name:<{nw}}  {p.default:<{dw}}  {p.unit:<{uw}}  "
            out.append(textwrap.fill(p.meaning, max(100, pad + 40), initial_indent=lead,
                                     subsequent_indent=" " * pad))
    out += ["", "Files (give them together with a problem file):"]
    out += [f"  {f}" for f in design.files]
    if design.includes:
        out += ["  which include:"] + [f"    {f}" for f in design.includes]
    return "\n".join(out)
