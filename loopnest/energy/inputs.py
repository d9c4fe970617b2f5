"""Load and merge Accelergy-style input files (paths may be files or directories).

Accelergy takes a directory (`accelergy input/`) and merges every YAML file in
it; several files may each hold a `compound_components` block. The spec
loader merges top-level keys; here the class lists of such blocks (and of
`primitive_tables`) are concatenated instead of replaced.
"""
from __future__ import annotations

import os
from typing import Any

from loopnest.spec.located import LocDict, LocList

_YAML = (".yaml", ".yml")
_CONCAT = {"compound_components": "classes", "components": "classes",
           "primitive_tables": "tables"}


def expand_paths(paths: list[str]) -> list[str]:
    """Directories -> their YAML / Jinja2 files (recursively, sorted)."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(_YAML) or f.endswith(".jinja2") or f.endswith(".j2"):
                        out.append(os.path.join(root, f))
        else:
            out.append(p)
    return out


def _blocks(value: Any, inner: str) -> list:
    if isinstance(value, dict):
        v = value.get(inner)
        # a malformed value is kept as one item, for the schema check to name it
        return list(v) if isinstance(v, list) else ([] if v is None else [v])
    if isinstance(value, list):
        return list(value)
    return []


def merge_specs(specs: list[dict]) -> dict:
    """Merge per-file specs: later keys win, class/table lists are concatenated."""
    merged: dict = LocDict(path="")
    for spec in specs:
        for k, v in (spec or {}).items():
            if k in _CONCAT and k in merged:
                inner = _CONCAT[k]
                old = merged[k]
                items = LocList(_blocks(old, inner) + _blocks(v, inner))
                block = LocDict({**(old if isinstance(old, dict) else {}), inner: items},
                                file=getattr(old, "file", None), line=getattr(old, "line", None),
                                path=k)
                merged[k] = block
            else:
                merged[k] = v
                if isinstance(spec, LocDict):
                    merged.key_lines[k] = spec.key_lines.get(k)
    return merged


def load_inputs(paths: list[str], variables: dict | None = None) -> dict:
    """Merged spec of all input files.

    The spec package merges everything at once (so `variables` reach every
    file); when files disagree on a scalar (e.g. Accelergy files of different
    `version`s under one key), each file is loaded alone and merged here.
    """
    from loopnest.errors import SpecError
    from loopnest.spec.load import load_spec
    from loopnest.spec.validate import validate_spec

    files = expand_paths(paths)
    try:
        spec = load_spec(files, variables)
    except SpecError as first:
        try:
            spec = merge_specs([load_spec([f], variables) for f in files])
        except SpecError:
            raise first from None
    validate_spec(spec)  # the schemas, as for `loopnest validate`
    return spec
