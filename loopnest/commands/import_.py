"""`loopnest import MODEL.onnx -o DIR [--name N] [--dim NAME=VALUE] [--force]`.

Writes one Timeloop problem file per distinct Conv / Gemm / MatMul shape and a
`network.yaml` manifest into DIR, and prints what was imported and which operators
were skipped. The work is in `loopnest.network.onnx_import`; this only parses
arguments and writes the files, as one atomic set (report/files.py).
"""
from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="ONNX model file (needs the optional 'onnx' package)")
    p.add_argument("-o", "--output-dir", required=True,
                   help="folder for the problem files and network.yaml (created if needed)")
    p.add_argument("--name", help="network name (default: the model file's name)")
    p.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                   help="size of a symbolic input dimension, e.g. --dim seq=128 (a symbolic "
                        "batch dimension defaults to 1)")
    p.add_argument("--force", action="store_true",
                   help="overwrite an existing network.yaml in the output folder")


def parse_dims(items: list[str]) -> dict[str, int]:
    """`NAME=VALUE` items to {name: positive int}."""
    from loopnest.errors import SpecError

    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise SpecError(f"--dim '{item}' is not NAME=POSITIVE_INT", hint="e.g. --dim seq=128")
        out[name.strip()] = int(value)
    return out


def run(args: argparse.Namespace) -> int:
    from loopnest.errors import SpecError
    from loopnest.network.manifest import MANIFEST_NAME
    from loopnest.network.onnx_import import import_onnx, onnx_network_files, skipped_summary
    from loopnest.report.files import check_outdir, write_output_set

    outdir = check_outdir(args.output_dir)  # a bad -o is an error (exit 2), nothing made
    if (outdir / MANIFEST_NAME).exists() and not args.force:
        raise SpecError("a network manifest is already there", file=str(outdir / MANIFEST_NAME),
                        hint="give another -o folder, or --force to overwrite it")
    result = import_onnx(args.model, dims=parse_dims(args.dim), name=args.name)
    files = onnx_network_files(result)
    write_output_set(outdir, files)  # the problem files and the manifest as one set
    print(f"imported {len(result.entries)} layers ({len(files) - 1} distinct problem files) "
          f"into {outdir / MANIFEST_NAME}")
    if result.assumed:
        print("assumed: " + ", ".join(f"{k}={v}" for k, v in result.assumed.items()))
    skipped = skipped_summary(result.skipped)
    print("skipped: " + (", ".join(skipped) if skipped else "nothing"))
    return 0
