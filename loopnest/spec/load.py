"""Load any mix of YAML and Jinja2 spec files into one located, evaluated spec.

    load_spec(paths, variables=None) -> LocDict

Each file is rendered by Jinja2 (when it contains Jinja2 syntax; `variables`
is the template data), parsed as YAML with the custom tags, and its top-level
keys are merged with the other files' (lists appended, dicts merged key by key,
equal scalars accepted, different scalars an error). Then `variables` and
expressions are evaluated (see evaluate.py). Every node of the result is a
LocDict/LocList that knows its file, line and YAML path.
"""
from __future__ import annotations

import glob as globmod
import os
from typing import Any, Iterable

from loopnest.errors import SpecError
from loopnest.spec.confine import Confinement
from loopnest.spec.evaluate import evaluate_spec
from loopnest.spec.files import FileLoader
from loopnest.spec.limits import spec_budget
from loopnest.spec.located import LocDict, LocList, repath

DROPPED_KEYS = ("ignore",)


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Expand globs; a pattern or file that matches nothing is an error."""
    out: list[str] = []
    for p in paths:
        p = os.path.expanduser(str(p))
        if globmod.has_magic(p):
            hits = sorted(globmod.glob(p))
            if not hits:
                raise SpecError(f"no file matches '{p}'", file=p,
                                hint="check the pattern and the current directory")
            out.extend(hits)
        else:
            if not os.path.exists(p):
                raise SpecError(f"file not found: {p}", file=p)
            if os.path.isdir(p):
                raise SpecError(f"{p} is a directory; give YAML files (a glob such as "
                                f"{p}/*.yaml works)", file=p)
            out.append(p)
    return out


def parse_var_args(items: Iterable[str]) -> dict:
    """`--var k=v` items to a dict; values parsed as YAML scalars (`8` -> 8, `true` -> True)."""
    from loopnest.spec.yamlnodes import parse_yaml

    out: dict = {}
    for item in items or []:
        if "=" not in item:
            raise SpecError(f"--var '{item}' is not KEY=VALUE", hint="e.g. --var datawidth=8")
        k, v = item.split("=", 1)
        k = k.strip()
        if not k.isidentifier():
            raise SpecError(f"--var name '{k}' is not a valid identifier")
        try:
            val = parse_yaml(v, "<--var>") if v.strip() else ""
        except SpecError:
            val = v
        if isinstance(val, (dict, list)) and not val:
            val = v
        out[k] = str(val) if type(val).__name__ == "QuotedStr" else val
    return out


def merge_top(dst: LocDict, src: LocDict) -> None:
    """Merge the top-level keys of one file into the accumulated spec."""
    for k, v in src.items():
        if k in DROPPED_KEYS:
            continue
        if k not in dst:
            dst[k] = v
            dst.key_lines[k] = src.key_lines.get(k)
            continue
        _combine(dst, k, v, src)


def _combine(parent: Any, key: Any, new: Any, new_parent: Any) -> None:
    old = parent[key]
    if isinstance(old, list) and isinstance(new, list):
        old.extend(new)
    elif isinstance(old, dict) and isinstance(new, dict):
        for k, v in new.items():
            if k in old:
                _combine(old, k, v, new)
            else:
                old[k] = v
                if hasattr(old, "key_lines"):
                    old.key_lines[k] = getattr(new, "key_lines", {}).get(k)
    elif old != new and not (_num(old) is not None and _num(old) == _num(new)):
        from loopnest.spec.located import where

        file, line, path = where(new_parent, key)
        ofile, oline, _ = where(parent, key)
        raise SpecError(f"'{key}' is given twice with different values ({old!r} and {new!r})",
                        file=file, line=line, path=path,
                        hint=f"the other value is at {ofile}:{oline}")


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def load_files(paths: list[str], variables: dict | None = None) -> LocDict:
    """Load and merge files without evaluating expressions (used by `render`).

    Includes read only inside the folders of `paths` (plus --allow-path folders,
    spec/confine.py); the whole load runs under the spec time limit (spec/limits.py)."""
    files = expand_paths(paths)
    loader = FileLoader(variables, Confinement(files))
    merged = LocDict(path="", file=None, line=None)
    with spec_budget():
        for p in files:
            tree = loader.load_file(p)
            if isinstance(tree, LocList) or not isinstance(tree, dict):
                raise SpecError("the top level of a spec file must be a mapping of keys "
                                "(architecture:, problem:, ...)", file=p, line=1,
                                path="<root>", hint="this file is a list or a scalar")
            if merged.file is None:
                merged.file, merged.line = p, 1
            merge_top(merged, tree)
    repath(merged)
    return merged


def load_spec(paths: list[str], variables: dict | None = None,
              sets: list[str] | None = None) -> LocDict:
    """Load, merge and evaluate spec files (YAML and/or Jinja2; globs allowed).

    `sets` are `--set key.path=value` overrides (spec/overrides.py), applied after
    merging and before evaluation, so they win over every file."""
    with spec_budget():
        spec = load_files(list(paths), variables)
        if sets:
            from loopnest.spec.overrides import apply_sets, parse_set_args

            apply_sets(spec, parse_set_args(sets))
        evaluate_spec(spec)
    return spec
