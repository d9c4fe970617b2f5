"""Load one spec file (Jinja2 → YAML) with includes, inside a shared load context.

A `FileLoader` holds what one `load_spec` call shares between files: the
Jinja2 data, the include search path (`add_to_path`), the stack of files being
loaded (for include cycles), the table of `{{ include(...) }}` results and the
`Confinement` (spec/confine.py): every include and helper reads only inside the
design's tree, through the size-limited `read_text`. There is no `setenv`, and
the path helpers refuse to look outside the tree.
"""
from __future__ import annotations

import glob as globmod
import os
from typing import Any

from loopnest.errors import SpecError
from loopnest.spec.confine import Confinement, check_named, read_text
from loopnest.spec.jinja import needs_rendering, render
from loopnest.spec.located import LocDict, LocList, like
from loopnest.spec.yamlnodes import parse_yaml, path_at_line

MAX_INCLUDE_DEPTH = 32


class FileLoader:
    """Per-`load_spec` state: Jinja2 data, include path, include stack, placeholders."""

    def __init__(self, data: dict | None = None, confinement: Confinement | None = None
                 ) -> None:
        self.data = dict(data or {})
        self.confinement = confinement or Confinement([])
        self.search_path: list[str] = []
        self.stack: list[str] = []
        self.loaded: list[Any] = []
        self._cur_line = 1
        self.texts: dict[str, str] = {}

    # ---- paths ---------------------------------------------------------------------
    def _current_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.stack[-1])) if self.stack else os.getcwd()

    def find_paths(self, pattern: str, from_file: str | None = None,
                   what: str = "include") -> list[str]:
        """Resolve `pattern` (glob ok): absolute, else file dir, then added paths.

        Only inside the design's tree: a pattern or a hit outside it is an error."""
        pattern = str(pattern)
        if os.path.isabs(pattern):
            bases = [""]
        else:
            here = os.path.dirname(os.path.abspath(from_file)) if from_file else self._current_dir()
            bases = [here] + self.search_path
        for base in bases:
            full = os.path.normpath(os.path.join(base, pattern) if base else pattern)
            try:
                self.confinement.check_pattern(full, what)
            except SpecError as e:
                raise self._err(e.message, hint=e.hint) from None
            hits = sorted(globmod.glob(full)) if globmod.has_magic(full) else (
                [full] if os.path.lexists(full) else [])
            if hits:
                out = [os.path.normpath(h) for h in hits]
                for h in out:
                    try:
                        self.confinement.check(h, what)
                    except SpecError as e:
                        raise self._err(e.message, hint=e.hint) from None
                return out
        return []

    def _one_path(self, pattern: str, what: str) -> str:
        hits = self.find_paths(pattern, what=what)
        if not hits:
            raise self._err(f"{what}: file not found: {pattern}",
                            hint="paths are relative to the including file, then to "
                            "directories given with add_to_path()")
        if len(hits) > 1:
            raise self._err(f"{what}: '{pattern}' matches {len(hits)} files; expected one")
        return hits[0]

    def _err(self, msg: str, hint: str | None = None, line: int | None = None,
             file: str | None = None) -> SpecError:
        file = file or (self.stack[-1] if self.stack else None)
        line = line or self._cur_line
        text = self.texts.get(os.path.abspath(file)) if file else None
        path = path_at_line(text, line) if text else None
        return SpecError(msg, file=file, line=line, path=path, hint=hint)

    # ---- loading -------------------------------------------------------------------
    def load_file(self, path: str, line: int | None = None) -> Any:
        """Render (if Jinja2) and parse one file into a located tree."""
        apath = os.path.abspath(path)
        if apath in self.stack:
            chain = " -> ".join(os.path.basename(p) for p in self.stack + [apath])
            raise self._err(f"include cycle: {chain}", line=line,
                            hint="a file may not include itself, directly or indirectly")
        if len(self.stack) >= MAX_INCLUDE_DEPTH:
            raise self._err("includes nested too deeply", line=line)
        text = self.read(path, line)
        self.texts[apath] = text
        self.stack.append(apath)
        try:
            lmap = None
            if needs_rendering(text):
                text, lmap = self.render_text(text, path)
            return parse_yaml(text, path, lmap, self._yaml_include)
        finally:
            self.stack.pop()

    def read(self, path: str, line: int | None = None) -> str:
        """Text of a file the design may read (checked, size-limited, UTF-8 located)."""
        try:
            if self.stack:  # an include: only inside the design's tree
                self.confinement.check(path, "include")
            else:  # a file named on the command line
                check_named(path)
        except SpecError as e:
            raise self._err(e.message, hint=e.hint, line=line,
                            file=None if self.stack else path) from None
        try:
            return read_text(os.path.abspath(path), path)
        except FileNotFoundError:
            raise self._err(f"file not found: {path}", line=line) from None
        except IsADirectoryError:
            raise self._err(f"{path} is a directory, not a YAML file", line=line,
                            hint="name one file inside it (or use include_all with a glob)"
                            ) from None
        except OSError as e:
            raise self._err(f"cannot read {path}: {e.strerror or type(e).__name__}",
                            line=line) from None

    def render_text(self, text: str, path: str) -> tuple[str, list[int]]:
        """Jinja2-render `text` of file `path` with this loader's data and helpers."""
        return render(text, path, self.data, self.helpers(path), self._finalize)

    def _finalize(self, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            self.loaded.append(value)
            return f"!include_loaded '{len(self.loaded) - 1}'"
        return value

    def _yaml_include(self, tag: str, value: str, file: str, line: int) -> Any:
        self._cur_line = line
        if tag == "!include_loaded":
            obj = self.loaded[int(value)]
            return like(LocDict(file=file, line=line), obj) if not isinstance(
                obj, (LocDict, LocList)) else obj
        if tag == "!include":
            hits = self.find_paths(value, file, what="!include")
            if not hits:
                raise self._err(f"!include: file not found: {value}", file=file, line=line,
                                hint="the path is relative to the including file")
            return self.load_file(hits[0], line)
        # !includedir
        hits = self.find_paths(value, file, what="!includedir")
        if not hits or not os.path.isdir(hits[0]):
            raise self._err(f"!includedir: directory not found: {value}", file=file, line=line)
        out = LocList(file=file, line=line)
        for p in sorted(globmod.glob(os.path.join(hits[0], "*.yaml"))):
            self.find_paths(p, file, what="!includedir")
            out.append(self.load_file(p, line))
        return out

    # ---- Jinja2 helpers ------------------------------------------------------------
    def helpers(self, path: str) -> dict:
        """The FORMATS §2.2 globals, bound to the file being rendered."""
        here = os.path.dirname(os.path.abspath(path))

        def cwd() -> str:
            return here

        def add_to_path(d: str) -> str:
            for p in self.find_paths(d, what="add_to_path()") or [d]:
                if p not in self.search_path:
                    self.search_path.append(p)
            return ""

        def include(p: str, key: str = "") -> Any:
            return _subtree(self.load_file(self._one_path(p, "include()")), key, p)

        def include_all(p: str, key: str = "") -> Any:
            out = LocList(file=path, line=self._cur_line)
            hits = self.find_paths(p, what="include_all()")
            if not hits:
                raise self._err(f"include_all(): no file matches {p}")
            for h in hits:
                sub = _subtree(self.load_file(h), key, h)
                if isinstance(sub, list):
                    out.extend(sub)
                else:
                    out.append(sub)
            return out

        def include_text(p: str) -> str:
            parts = []
            hits = self.find_paths(p, what="include_text()")
            if not hits:
                raise self._err(f"include_text(): file not found: {p}")
            for h in hits:
                t = self.read(h, self._cur_line)
                if needs_rendering(t):
                    self.stack.append(os.path.abspath(h))
                    try:
                        t = self.render_text(t, h)[0]
                    finally:
                        self.stack.pop()
                parts.append(t)
            return "\n".join(parts)

        def find_path(p: str) -> str:
            hits = self.find_paths(p, what="find_path()")
            if not hits:
                raise self._err(f"find_path(): not found: {p}")
            return hits[0]

        def find_paths(p: str) -> list[str]:
            return self.find_paths(p, what="find_paths()")

        def path_exists(p: str) -> bool:
            return bool(self.find_paths(p, what="path_exists()"))

        def setenv(k: str, v: Any = None) -> str:
            raise self._err("setenv() is not available: loopnest never changes its "
                            "environment for a design",
                            hint="pass values with --var NAME=VALUE instead")

        return {"cwd": cwd, "add_to_path": add_to_path, "include": include,
                "include_all": include_all, "include_text": include_text,
                "find_path": find_path, "find_paths": find_paths,
                "path_exists": path_exists, "setenv": setenv}


def _subtree(tree: Any, key: str, file: str) -> Any:
    """The sub-tree of `tree` at dotted path `key` ('' = whole tree)."""
    node = tree
    for part in [p for p in str(key or "").split(".") if p]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            from loopnest.spec.hints import closest_hint

            opts = list(node.keys()) if isinstance(node, dict) else []
            raise SpecError(f"include: '{file}' has no key '{key}'", file=file,
                            line=getattr(node, "line", None),
                            hint=closest_hint(part, opts))
    return node
