"""Spec nodes that remember where they came from.

The front end builds the rendered spec from `LocDict` / `LocList` (plain dict /
list subclasses). Each node knows its file, the line it starts on, its YAML
path (`architecture.nodes[3].attributes`) and the line of each key or item, so
any later stage (schema checks, lowering, the model) can name the exact place
of a mistake. Plain dicts and lists are accepted everywhere too; they simply
have no location.

`origin` is the YAML path of the node in the user's own file when the node was
made from it by a transformation (v0.4 → TL-native): `path` is then the path in
the transformed tree, and `where()` reports the user's path instead.
"""
from __future__ import annotations

from typing import Any


_LOC_SLOTS = ("file", "line", "path", "key_lines", "tag", "origin")


class _Located:
    """Location fields shared by LocDict and LocList (slots live in those classes)."""

    __slots__ = ()

    def _locate(self, file: str | None, line: int | None, path: str, key_lines: dict | None,
                tag: str | None) -> None:
        self.file = file
        self.line = line
        self.path = path
        self.key_lines = dict(key_lines or {})
        self.tag = tag
        self.origin = None

    def __getstate__(self) -> dict:
        return {s: getattr(self, s, None) for s in _LOC_SLOTS}

    def __setstate__(self, state: dict) -> None:
        self.origin = None
        for k, v in state.items():
            setattr(self, k, v)


class LocDict(_Located, dict):
    """A dict with `file`, `line`, `path` and per-key lines (`key_lines`).

    `tag` keeps a YAML node tag such as `!Container` / `!Component` /
    `!Parallel` (None when the mapping had no custom tag).
    """

    __slots__ = _LOC_SLOTS

    def __init__(self, *args: Any, file: str | None = None, line: int | None = None,
                 path: str = "", key_lines: dict | None = None, tag: str | None = None,
                 **kw: Any) -> None:
        dict.__init__(self, *args, **kw)
        self._locate(file, line, path, key_lines, tag)


class LocList(_Located, list):
    """A list with `file`, `line`, `path` and per-item lines (`key_lines`)."""

    __slots__ = _LOC_SLOTS

    def __init__(self, *args: Any, file: str | None = None, line: int | None = None,
                 path: str = "", key_lines: dict | None = None, tag: str | None = None) -> None:
        list.__init__(self, *args)
        self._locate(file, line, path, key_lines, tag)


class QuotedStr(str):
    """A string that was quoted in YAML: a literal, never evaluated as an expression."""

    __slots__ = ()


def like(template: Any, value: Any, path: str | None = None) -> Any:
    """Wrap a plain dict/list `value` as LocDict/LocList located like `template`."""
    if isinstance(value, (LocDict, LocList)) or not isinstance(value, (dict, list)):
        return value
    file, line, tpath = where(template)
    cls = LocDict if isinstance(value, dict) else LocList
    return cls(value, file=file, line=line, path=tpath if path is None else path)


def mark_origin(node: Any) -> None:
    """Remember every located node's current path as its user path (`origin`)."""
    if isinstance(node, (LocDict, LocList)):
        if node.origin is None:
            node.origin = node.path or None
        for v in (node.values() if isinstance(node, dict) else node):
            mark_origin(v)


def from_origin(new: Any, src: Any, suffix: str = "") -> Any:
    """Give node `new` (made from `src`) the user path of `src` (+ `suffix`)."""
    if isinstance(new, (LocDict, LocList)):
        base = getattr(src, "origin", None) or getattr(src, "path", None)
        if base:
            new.origin = base + suffix
    return new


def repath(node: Any, path: str = "") -> None:
    """Recompute the YAML path of every located node below `node` (after merging)."""
    if isinstance(node, (LocDict, LocList)):
        node.path = path
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            repath(v, child_path(path, k))


def child_path(path: str, key: Any) -> str:
    """YAML path of `key` below `path`: `a.b` + 3 -> `a.b[3]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def where(node: Any, key: Any = None) -> tuple[str | None, int | None, str | None]:
    """(file, line, yaml path) of `node[key]` (or of `node` when key is None)."""
    file = getattr(node, "file", None)
    line = getattr(node, "line", None)
    path = getattr(node, "origin", None) or getattr(node, "path", None)
    if key is not None:
        kl = getattr(node, "key_lines", None) or {}
        line = kl.get(key, line)
        try:
            child_file = getattr(node[key], "file", None)
        except (KeyError, IndexError, TypeError):
            child_file = None
        if child_file and child_file != file:  # merged from another file
            file = child_file
        try:
            child_origin = getattr(node[key], "origin", None)
        except (KeyError, IndexError, TypeError):
            child_origin = None
        path = child_origin or child_path(path or "", key)
    return file, line, path


def to_plain(obj: Any) -> Any:
    """Spec values (located dicts/lists, literal-string subclasses) -> plain dumpable data."""
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    return obj
