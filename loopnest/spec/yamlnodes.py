"""Parse YAML text into located LocDict/LocList trees.

We compose with ruamel.yaml (so we see tags, quoting style and marks) and build
the tree ourselves. That gives, in one pass: line numbers for every key and
item, `QuotedStr` for quoted scalars (never evaluated later), custom tags kept
on `LocDict.tag`, `<<` merge keys (present keys win, earlier maps win),
`<<<` recursive merges, `!nomerge`, duplicate-key errors, and hyphenated legacy
keys rewritten to underscores. `!include`/`!includedir`/`!include_loaded` scalar
tags are resolved through a callback supplied by the file loader.

Bounded work (spec/limits.py): nesting deeper than `max_yaml_depth` and a file
whose nodes, counted with every alias expanded, exceed `max_yaml_nodes` (an
alias bomb) are located LimitErrors; the composer checks the spec time limit.
A tag loopnest does not know (`!foo`, `!!python/object`, `!!binary`) is an error.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

from loopnest.errors import SpecError
from loopnest.spec.limits import LimitError, check_deadline, current
from loopnest.spec.located import LocDict, LocList, QuotedStr, child_path

NODE_TAGS = ("!Container", "!Component", "!Parallel", "!Hierarchical", "!Pipelined",
             "!Nothing", "!Storage", "!Compute", "!Network", "!Leaf")
INCLUDE_TAGS = ("!include", "!includedir", "!include_loaded")
NOMERGE = "!nomerge"
# YAML 1.2 core tags (plus merge/set/omap, which ruamel resolves itself)
STANDARD_TAGS = frozenset("tag:yaml.org,2002:" + t for t in
                          ("str", "int", "float", "bool", "null", "seq", "map", "merge",
                           "timestamp"))
_HYPHEN_KEY = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
# what YAML refuses (ruamel reports it without a usable line)
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                            "\U00010000-\U0010FFFF]")

# include(tag, value, file, line) -> located subtree
IncludeHook = Callable[[str, str, str, int], Any]


class _NoMerge:
    """Marker attribute holder: values tagged !nomerge are never merged into."""


def _line(node: Any, line_map: list[int] | None) -> int:
    ln = node.start_mark.line
    if line_map:
        return line_map[min(ln, len(line_map) - 1)]
    return ln + 1


def _scalar(node: Any) -> Any:
    """Python value of a plain/quoted scalar node, YAML 1.2 core rules."""
    tag = node.tag if isinstance(node.tag, str) else getattr(node.tag, "value", str(node.tag))
    text = node.value
    if node.style in ('"', "'", "|", ">"):
        return QuotedStr(text) if node.style in ('"', "'") else text
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return text.lower() in ("true", "yes", "on")
    if tag.endswith(":int"):
        t = text.replace("_", "")
        try:
            if t.lower().startswith(("0x", "-0x", "+0x")):
                return int(t, 16)
            if t.lower().startswith(("0o", "-0o", "+0o")):
                return int(t, 8)
            return int(t)
        except ValueError:
            return text
    if tag.endswith(":float"):
        t = text.replace("_", "").lower()
        if t in (".inf", "+.inf"):
            return math.inf
        if t == "-.inf":
            return -math.inf
        if t == ".nan":
            return math.nan
        try:
            return float(t)
        except ValueError:
            return text
    return text


def _tag(node: Any) -> str:
    tag = node.tag if isinstance(node.tag, str) else getattr(node.tag, "value", str(node.tag))
    return str(tag or "")


class Builder:
    """Turns a composed ruamel node graph of one file into a located tree."""

    def __init__(self, file: str, line_map: list[int] | None, include: IncludeHook | None):
        self.file = file
        self.line_map = line_map
        self.include = include
        self._memo: dict[int, Any] = {}
        self._sizes: dict[int, int] = {}  # expanded node count of each built collection
        self.count = 0  # nodes built so far, aliases expanded
        self.limit = current().max_yaml_nodes

    def _grow(self, n: int, line: int, path: str) -> None:
        self.count += n
        if self.count > self.limit:
            raise LimitError(f"the YAML expands to more than {self.limit} nodes (alias "
                             "expansion limit)", file=self.file, line=line, path=path or None,
                             hint="an anchor/alias chain multiplies the document; expand "
                                  "fewer aliases")
        if self.count % 4096 < n:
            try:
                check_deadline()
            except LimitError as e:
                e.file, e.line, e.path = self.file, line, path or None
                raise

    def build(self, node: Any, path: str = "") -> Any:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        tag = _tag(node)
        line = _line(node, self.line_map)
        if not tag.startswith("!") and tag not in STANDARD_TAGS:
            raise SpecError(f"unknown YAML tag {tag.replace('tag:yaml.org,2002:', '!!')}",
                            file=self.file, line=line, path=path or None,
                            hint="loopnest builds only plain data; remove the tag")
        key = id(node)
        if key in self._memo:  # alias: share the already-built value
            self._grow(self._sizes.get(key, 1), line, path)
            return self._memo[key]
        self._grow(1, line, path)
        if isinstance(node, ScalarNode):
            if tag in INCLUDE_TAGS:
                if self.include is None:
                    raise SpecError(f"{tag} is not allowed here", file=self.file, line=line,
                                    path=path or None)
                return self.include(tag, str(node.value), self.file, line)
            if tag.startswith("!") and tag not in NODE_TAGS and tag != NOMERGE:
                raise SpecError(f"unknown YAML tag {tag}", file=self.file, line=line,
                                path=path or None,
                                hint="known tags: " + ", ".join(NODE_TAGS + INCLUDE_TAGS)
                                + ", !nomerge")
            if tag in NODE_TAGS:  # e.g. `- !Nothing` with no mapping
                return LocDict(file=self.file, line=line, path=path, tag=tag)
            return _scalar(node)
        start = self.count - 1
        if isinstance(node, SequenceNode):
            out = LocList(file=self.file, line=line, path=path,
                          tag=tag if tag.startswith("!") else None)
            self._memo[key] = out
            for i, item in enumerate(node.value):
                out.key_lines[i] = _line(item, self.line_map)
                out.append(self.build(item, child_path(path, i)))
            self._sizes[key] = self.count - start
            return out
        if isinstance(node, MappingNode):
            if tag.startswith("!") and tag not in NODE_TAGS and tag != NOMERGE:
                raise SpecError(f"unknown YAML tag {tag}", file=self.file, line=line,
                                path=path or None,
                                hint="node tags: " + ", ".join(NODE_TAGS[:6]))
            out = LocDict(file=self.file, line=line, path=path,
                          tag=tag if tag.startswith("!") else None)
            self._memo[key] = out
            self._mapping(node, out, path)
            self._sizes[key] = self.count - start
            return out
        raise SpecError("unsupported YAML node", file=self.file, line=line, path=path or None)

    def _mapping(self, node: Any, out: LocDict, path: str) -> None:
        merges: list[tuple[str, Any, int]] = []
        for knode, vnode in node.value:
            kline = _line(knode, self.line_map)
            k = self.build(knode, path) if not hasattr(knode, "value") or \
                not isinstance(knode.value, str) else _scalar(knode)
            if isinstance(k, (dict, list)):
                raise SpecError("a mapping key must be a scalar", file=self.file, line=kline,
                                path=path or None)
            if k in ("<<", "<<<"):
                merges.append((k, self.build(vnode, path), kline))
                continue
            if isinstance(k, str):
                k = str(k)
                if _HYPHEN_KEY.match(k):
                    k = k.replace("-", "_")
            if k in out:
                raise SpecError(f"duplicate key '{k}'", file=self.file, line=kline,
                                path=child_path(path, k),
                                hint=f"first given on line {out.key_lines.get(k)}; remove one "
                                "(hyphenated and underscored spellings are the same key)")
            out.key_lines[k] = kline
            out[k] = self.build(vnode, child_path(path, k))
        for kind, src, kline in merges:
            srcs = src if isinstance(src, list) else [src]
            for s in srcs:
                if not isinstance(s, dict):
                    raise SpecError(f"'{kind}' needs a mapping (or a list of mappings)",
                                    file=self.file, line=kline, path=path or None)
                if kind == "<<":
                    for k2, v2 in s.items():
                        if k2 not in out:
                            out[k2] = v2
                            out.key_lines[k2] = getattr(s, "key_lines", {}).get(k2, kline)
                else:
                    deep_merge(out, s)


def deep_merge(dst: LocDict, src: dict) -> None:
    """`<<<`: keys of dst win; nested dicts merged; lists concatenated (own first)."""
    for k, v in src.items():
        if k not in dst:
            dst[k] = _copy(v)
            dst.key_lines[k] = getattr(src, "key_lines", {}).get(k, dst.line)
            continue
        mine = dst[k]
        if getattr(mine, "tag", None) == NOMERGE:
            continue
        if isinstance(mine, dict) and isinstance(v, dict):
            deep_merge(mine, v)
        elif isinstance(mine, list) and isinstance(v, list):
            mine.extend(_copy(x) for x in v)


def _copy(v: Any) -> Any:
    import copy

    return copy.deepcopy(v)


def strip_nomerge(node: Any) -> None:
    """Forget the internal `!nomerge` tag once merges are done."""
    if isinstance(node, (LocDict, LocList)):
        if node.tag == NOMERGE:
            node.tag = None
        for v in (node.values() if isinstance(node, dict) else node):
            strip_nomerge(v)


_KEY_LINE = re.compile(r"^(\s*)(-\s+)?([^\s#:'\"{}\[\]][^:#]*?|'[^']*'|\"[^\"]*\"):(\s|$)")


def path_at_line(text: str, line: int) -> str | None:
    """Best-effort YAML path of 1-based `line` from indentation (for syntax errors)."""
    stack: list[tuple[int, str]] = []
    counters: dict[tuple, int] = {}
    for i, raw in enumerate(text.split("\n")[:max(line, 1)], start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _KEY_LINE.match(raw)
        indent = len(raw) - len(raw.lstrip())
        is_item = raw.lstrip().startswith("- ") or raw.strip() == "-"
        if not m and not is_item:
            continue
        if is_item:
            while stack and (stack[-1][0] > indent or
                             (stack[-1][0] == indent and stack[-1][1].startswith("["))):
                stack.pop()
            parent = tuple(s[1] for s in stack)
            counters[parent] = counters.get(parent, -1) + 1
            stack.append((indent, f"[{counters[parent]}]"))
            indent += len(raw.lstrip()) - len(raw.lstrip()[1:].lstrip()) if raw.strip() != "-" \
                else 2
        else:
            while stack and stack[-1][0] >= indent:
                stack.pop()
        if m:
            key = m.group(3).strip().strip("'\"")
            stack.append((indent, key))
    parts = ""
    for _, k in stack:
        parts = parts + k if k.startswith("[") else (f"{parts}.{k}" if parts else k)
    return parts or None


def _limited_composer() -> type:
    """ruamel's Composer with the nesting limit and the spec time limit."""
    from ruamel.yaml.composer import Composer

    class LimitedComposer(Composer):
        _lz_depth = 0
        _lz_count = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self._lz_depth += 1
            self._lz_count += 1
            try:
                if self._lz_depth > current().max_yaml_depth:
                    raise LimitError(f"YAML nested deeper than {current().max_yaml_depth} "
                                     "levels (nesting limit)",
                                     line=self.parser.peek_event().start_mark.line + 1,
                                     hint="flatten the structure")
                if self._lz_count % 4096 == 0:
                    try:
                        check_deadline()
                    except LimitError as e:
                        e.line = self.parser.peek_event().start_mark.line + 1
                        raise
                return super().compose_node(parent, index)
            finally:
                self._lz_depth -= 1

    return LimitedComposer


def _limited_scanner(base: type) -> type:
    """ruamel's scanner checking the spec time limit as it reads (comments and blank
    lines are scanned without composing a node)."""

    class LimitedScanner(base):  # type: ignore[misc, valid-type]
        _lz_count = 0

        def scan_to_next_token(self) -> Any:
            self._lz_count += 1
            if self._lz_count % 2048 == 0:
                try:
                    check_deadline()
                except LimitError as e:
                    e.line = self.reader.line + 1
                    raise
            return super().scan_to_next_token()

    return LimitedScanner


def parse_yaml(text: str, file: str, line_map: list[int] | None = None,
               include: IncludeHook | None = None) -> Any:
    """Parse one YAML document into a located tree (errors located at file:line)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    bad = _NON_PRINTABLE.search(text)
    if bad:
        ln = text.count("\n", 0, bad.start())
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise SpecError(f"invalid YAML: control character #x{ord(bad.group()):04x} at column "
                        f"{col}", file=file,
                        line=line_map[min(ln, len(line_map) - 1)] if line_map else ln + 1,
                        path=path_at_line(text, ln + 1),
                        hint="YAML allows only printable characters, tabs and newlines")
    yaml = YAML(typ="rt")
    yaml.Composer = _limited_composer()
    yaml.Scanner = _limited_scanner(yaml.Scanner)
    try:
        node = yaml.compose(text)
    except LimitError as e:
        ln = (e.line or 1) - 1
        e.file = file
        e.line = line_map[min(ln, len(line_map) - 1)] if line_map else ln + 1
        e.path = path_at_line(text, ln + 1)
        raise
    except RecursionError:
        raise LimitError("YAML nested too deeply (nesting limit)", file=file,
                         line=_deepest_line(text, line_map),
                         hint="flatten the structure") from None
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        ln = mark.line if mark else 0
        line = line_map[min(ln, len(line_map) - 1)] if line_map else ln + 1
        msg = f"invalid YAML: {e.problem or e.context}"
        raise SpecError(msg, file=file, line=line, path=path_at_line(text, ln + 1),
                        hint="check indentation, colons and quotes on this line") from None
    except YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", file=file, line=1) from None
    if node is None:
        return LocDict(file=file, line=1, path="")
    try:
        tree = Builder(file, line_map, include).build(node)
    except RecursionError:
        raise LimitError("YAML nested too deeply (nesting limit)", file=file,
                         line=_deepest_line(text, line_map),
                         hint="flatten the structure") from None
    strip_nomerge(tree)
    return tree


def _deepest_line(text: str, line_map: list[int] | None) -> int:
    """Line with the deepest flow / block nesting (to locate a nesting error)."""
    best, best_line, depth = -1, 1, 0
    for i, raw in enumerate(text.split("\n")):
        depth += raw.count("[") + raw.count("{") - raw.count("]") - raw.count("}")
        score = depth + (len(raw) - len(raw.lstrip())) // 2
        if score > best:
            best, best_line = score, i
    return line_map[min(best_line, len(line_map) - 1)] if line_map else best_line + 1
