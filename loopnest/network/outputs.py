"""Write a network run's files: a folder per distinct layer, the CSV, the summary.

    DIR/layers/<shape>/timeloop-mapper.*   (as `loopnest mapper` writes them)
    DIR/layers/<shape>/loopnest-network.error.txt   (a layer that failed)
    DIR/network.csv, DIR/network.summary.yaml, DIR/plots/*.png|svg

Every file is written atomically (report.files) with ordinary permissions.
"""
from __future__ import annotations

from pathlib import Path

from loopnest.network.results import LayerRecord
from loopnest.report.files import write_atomic

LAYERS = "layers"


def layer_folder(outdir: str | Path, label: str) -> Path:
    return Path(outdir) / LAYERS / label


def write_layer(outdir: str | Path, rec: LayerRecord) -> None:
    """The layer's mapper files, or its error."""
    from loopnest.report.files import write_outputs

    folder = layer_folder(outdir, rec.label)
    if rec.ok:
        files = {}
        for name, text in rec.files.items():
            prefix, _, suffix = name.partition(".")
            files.setdefault(prefix, {})[suffix] = text
        for prefix, group in files.items():
            write_outputs(folder, prefix, group)
        stale = folder / "loopnest-network.error.txt"
        stale.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "loopnest-network.error.txt",
                 rec.error + "\n" + (f"\n{rec.detail}" if rec.detail else ""))


def write_text(outdir: str | Path, name: str, text: str) -> Path:
    path = Path(outdir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return path
