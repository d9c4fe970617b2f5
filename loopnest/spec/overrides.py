"""`--set key.path=value`: override one setting of the merged spec before it is evaluated.

    apply_sets(spec, ["mapper.search_size=2000", "architecture.nodes.DRAM.attributes.width=128"])

Files are merged first (where two files giving different values for one key is an
error); overrides come after, so they win over any file, and expressions see the new
value. A path is dot-separated keys; `[i]` indexes a list, and a plain word inside a
list picks the item with that `name` (searching nested `nodes`/`subtree`/`local`
lists too), so v0.4 architecture nodes can be named. Missing dict keys are created.
The value is parsed as a YAML scalar or flow collection (`8` -> 8, `[edp]` -> list).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from loopnest.errors import SpecError
from loopnest.spec.located import LocDict, LocList, child_path

_TOKEN = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
_NESTED = ("nodes", "subtree", "local")


def parse_value(text: str) -> Any:
    """A command-line value as YAML reads it (`8` -> 8, `true` -> True, `a b` -> "a b")."""
    from loopnest.spec.yamlnodes import parse_yaml

    if not text.strip():
        return ""
    try:
        val = parse_yaml(text, "<command line>")
    except SpecError:
        return text
    if isinstance(val, (dict, list)) and not val:
        return text
    return str(val) if type(val).__name__ == "QuotedStr" else val


def parse_path(path: str) -> list[str | int]:
    """`a.b[2].c` -> ["a", "b", 2, "c"]; a malformed path is a SpecError."""
    out: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        gap = path[pos:m.start()]
        if gap not in ("", "."):
            break
        out.append(m.group(1).strip() if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not out or path[pos:] or any(k == "" for k in out):
        raise SpecError(f"--set path '{path}' is malformed",
                        hint="keys separated by dots, [i] for list items, e.g. "
                             "mapper.search_size=2000 or architecture.nodes[2].attributes.depth=64")
    return out


def parse_set_args(items: Iterable[str]) -> list[tuple[str, list[str | int], Any]]:
    """`KEY.PATH=VALUE` items -> (text, path, value) triples, in order."""
    out = []
    for item in items or []:
        if "=" not in item:
            raise SpecError(f"--set '{item}' is not KEY.PATH=VALUE",
                            hint="e.g. --set mapper.search_size=2000")
        k, v = item.split("=", 1)
        out.append((k.strip(), parse_path(k.strip()), parse_value(v)))
    return out


def _find_named(items: list, name: str) -> Any:
    """The first item (depth first, through nested node lists) whose `name` is `name`."""
    for it in items:
        if isinstance(it, dict):
            if str(it.get("name")) == name:
                return it
            for key in _NESTED:
                sub = it.get(key)
                if isinstance(sub, list):
                    hit = _find_named(sub, name)
                    if hit is not None:
                        return hit
    return None


def _names(items: list) -> list[str]:
    out = []
    for it in items:
        if isinstance(it, dict):
            if it.get("name") is not None:
                out.append(str(it["name"]))
            for key in _NESTED:
                if isinstance(it.get(key), list):
                    out += _names(it[key])
    return out


def _step(node: Any, key: str | int, text: str, create: bool) -> Any:
    """The child of `node` at `key` (created as an empty mapping when missing and allowed)."""
    from loopnest.spec.hints import closest_hint

    if isinstance(node, list):
        if isinstance(key, int):
            if -len(node) <= key < len(node):
                return node[key]
            raise SpecError(f"--set {text}: index [{key}] is out of range (the list has "
                            f"{len(node)} items)", path=getattr(node, "path", None))
        hit = _find_named(node, key)
        if hit is None:
            raise SpecError(f"--set {text}: no item named '{key}' in this list",
                            path=getattr(node, "path", None),
                            hint=closest_hint(key, _names(node), "item") or
                            "name an item by its `name`, or index it with [i]")
        return hit
    if isinstance(node, dict):
        if isinstance(key, int):
            raise SpecError(f"--set {text}: [{key}] indexes a list, but this is a mapping",
                            path=getattr(node, "path", None))
        if key in node:
            return node[key]
        if not create:
            raise SpecError(f"--set {text}: no key '{key}'", path=getattr(node, "path", None),
                            hint=closest_hint(key, [str(k) for k in node], "key"))
        child = LocDict(file=getattr(node, "file", None), path=child_path(
            getattr(node, "path", ""), key))
        node[key] = child
        return child
    raise SpecError(f"--set {text}: '{key}' is inside a value that is neither a mapping "
                    "nor a list", path=getattr(node, "path", None))


def _wrap(value: Any, path: str) -> Any:
    """Plain lists/dicts from the command line as located nodes (schema checks expect them)."""
    if isinstance(value, dict) and not isinstance(value, LocDict):
        return LocDict({k: _wrap(v, child_path(path, k)) for k, v in value.items()},
                       file="--set", path=path)
    if isinstance(value, list) and not isinstance(value, LocList):
        return LocList([_wrap(v, child_path(path, i)) for i, v in enumerate(value)],
                       file="--set", path=path)
    return value


def apply_sets(spec: Any, sets: Iterable[tuple[str, list[str | int], Any]]) -> None:
    """Apply parsed overrides to `spec` in place, in order (a later one wins)."""
    for text, path, value in sets:
        node = spec
        for key in path[:-1]:
            node = _step(node, key, text, create=True)
        last = path[-1]
        if isinstance(node, list):
            if not isinstance(last, int):
                raise SpecError(f"--set {text}: the last key of a path into a list must be an "
                                "index [i]", path=getattr(node, "path", None))
            _step(node, last, text, create=False)  # range check
            node[last] = _wrap(value, child_path(getattr(node, "path", ""), last))
        elif isinstance(node, dict):
            if isinstance(last, int):
                raise SpecError(f"--set {text}: [{last}] indexes a list, but this is a mapping",
                                path=getattr(node, "path", None))
            node[last] = _wrap(value, child_path(getattr(node, "path", ""), last))
            if hasattr(node, "key_lines"):
                node.key_lines[last] = None
        else:
            raise SpecError(f"--set {text}: the parent of '{last}' is not a mapping")
