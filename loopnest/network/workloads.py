"""Find a network: a bundled name (`resnet50`), a manifest path, or a folder of problem files.

The bundled networks are the folders of `workloads/` that hold a `network.yaml`. In
the source tree `loopnest/workloads` is a symbolic link to the top-level `workloads/`
(as `loopnest/schemas` is to `schemas/`), and the wheel ships its files as package
data, so `importlib.resources` finds them in both; a source checkout whose link is
missing falls back to `<repo>/workloads`.
"""
from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from loopnest.errors import SpecError
from loopnest.network.manifest import MANIFEST_NAME, read_manifest
from loopnest.network.types import Layer, Network
from loopnest.spec.hints import closest_hint

PROBLEM_SUFFIXES = (".yaml", ".yml")


def bundled_root() -> Path:
    """The folder holding the bundled networks (installed package data or the source tree)."""
    packaged = Path(str(importlib.resources.files("loopnest") / "workloads"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "workloads"


def bundled_names(root: Path | None = None) -> list[str]:
    """Names of the bundled networks (sub-folders with a manifest), sorted."""
    root = bundled_root() if root is None else root
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if (d / MANIFEST_NAME).is_file())


def resolve_network(spec: str | os.PathLike[str], root: Path | None = None) -> Network:
    """A network from a bundled name, a manifest file, or a folder (with or without manifest).

    An existing path wins over a bundled name of the same spelling. `root` replaces the
    bundled folder (tests).
    """
    text = os.path.expanduser(str(spec))
    path = Path(text)
    if path.is_file():
        return read_manifest(path)
    if path.is_dir():
        return read_manifest(path / MANIFEST_NAME) if (path / MANIFEST_NAME).is_file() \
            else read_folder(path)
    names = bundled_names(root)
    if os.sep not in text and "/" not in text and text in names:
        base = bundled_root() if root is None else root
        return read_manifest(base / text / MANIFEST_NAME)
    if os.sep in text or "/" in text or text.endswith(PROBLEM_SUFFIXES):
        raise SpecError("no such manifest or folder", file=text,
                        hint="give a network.yaml, a folder of problem files or a bundled name")
    hint = closest_hint(text, names, "bundled network") if names else None
    raise SpecError(f"no network '{text}': not a bundled network name, a manifest or a folder",
                    hint=hint or "give a bundled name, a network.yaml or a folder of problem files")


def read_folder(folder: str | os.PathLike[str]) -> Network:
    """A folder without a manifest: each YAML file is one layer (count 1), in sorted order."""
    folder = Path(folder).resolve()
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix in PROBLEM_SUFFIXES)
    if not files:
        raise SpecError(f"{folder} holds no network.yaml and no problem files (*.yaml)",
                        file=str(folder), hint="give a folder of Timeloop problem files or a "
                        "manifest (see schemas/network.schema.json)")
    layers = tuple(Layer(name=f.stem, problem=f) for f in files)
    return Network(name=folder.name, layers=layers, description=f"every problem file in {folder}",
                   manifest=None, root=folder)
