"""Jinja2 rendering of spec files, with a map from output lines back to template lines.

Rendering happens before YAML parsing (FORMATS §2.2). Data rendered by `{{ }}`
that is a dict or list (the result of `include()`, `include_all()`) is not
printed as text: `finalize` registers it in a table and prints a
`!include_loaded 'N'` placeholder, which the YAML builder replaces by the
located subtree. So included nodes keep their own file and line.

Templates run in Jinja2's sandbox (no `__class__`-style attribute walks), with
budgets (spec/limits.py): every block execution (each loop iteration included)
counts against `max_jinja_steps`, the rendered text against `max_jinja_output`,
and `*`, `**`, `+`, `%`, `~`, string methods and size-taking filters refuse
results above the string / sequence / integer limits before building them.

Line mapping: the output is aligned with the template by a line diff; output
lines the template produced verbatim get their template line, the others get
the line of the template region they came from.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable

from loopnest.errors import SpecError
from loopnest.spec.limits import LimitError, current

JINJA_MARKERS = ("{{", "{%", "{#")


def needs_rendering(text: str) -> bool:
    """True when the text contains Jinja2 syntax (plain YAML is parsed as is)."""
    return any(m in text for m in JINJA_MARKERS)


LARGE_OUTPUT = 5000  # output lines beyond which the linear alignment is used


def line_map(template: str, output: str) -> list[int]:
    """For each output line (0-based index), the 1-based template line that produced it."""
    t_lines = template.split("\n")
    o_lines = output.split("\n")
    if len(o_lines) > LARGE_OUTPUT:  # difflib is quadratic on long, repetitive output
        return _linear_line_map(t_lines, o_lines)
    result = [0] * len(o_lines)
    sm = difflib.SequenceMatcher(None, t_lines, o_lines, autojunk=False)
    prev_t, prev_o = 0, 0
    for a, b, size in sm.get_matching_blocks():
        # gap: output lines prev_o..b came from template lines prev_t..a
        gap_t = max(a - prev_t, 1)
        for j in range(prev_o, b):
            off = min(j - prev_o, gap_t - 1)
            result[j] = min(prev_t + off, len(t_lines) - 1) + 1
        for k in range(size):
            result[b + k] = a + k + 1
        prev_t, prev_o = a + size, b + size
    return result


def _linear_line_map(t_lines: list[str], o_lines: list[str]) -> list[int]:
    """Linear-time alignment: an output line equal to a template line at or after the
    current one maps there (and moves on); any other line maps to the current region."""
    import bisect

    where: dict[str, list[int]] = {}
    for i, t in enumerate(t_lines):
        where.setdefault(t, []).append(i)
    result = []
    cur = 0
    for o in o_lines:
        pos = where.get(o)
        if pos:
            k = bisect.bisect_left(pos, cur)
            if k < len(pos):
                cur = pos[k]
                result.append(cur + 1)
                cur = min(cur + 1, len(t_lines) - 1)
                continue
        result.append(cur + 1)
    return result


def _error_line(exc: BaseException, filename: str) -> int | None:
    """Template line of a rendering error, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _path(text: str, line: int | None) -> str | None:
    """YAML path of a template line; for a line that is only a Jinja2 statement, the
    block its indentation puts it in (`<root>` at the top level), not the key above."""
    from loopnest.spec.yamlnodes import path_at_line

    if not line:
        return None
    lines = text.split("\n")
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    if not raw.strip().startswith(("{%", "{#", "{{")):
        return path_at_line(text, line)
    # a statement line: the YAML block its indentation puts it in
    indent = len(raw) - len(raw.lstrip())
    probe = "\n".join(lines[:line - 1] + [" " * indent + "__jinja__:"])
    path = path_at_line(probe, line) or ""
    path = path[:-len("__jinja__")].rstrip(".") if path.endswith("__jinja__") else path
    return path or "<root>"


def render(text: str, file: str, data: dict, helpers: dict[str, Callable],
           finalize: Callable[[Any], Any]) -> tuple[str, list[int]]:
    """Render `text` (from `file`) with StrictUndefined; return (output, line map)."""
    import jinja2

    from loopnest.spec.jinja_budget import budgeted_environment

    env = budgeted_environment(
        undefined=jinja2.StrictUndefined,
        loader=jinja2.FunctionLoader(lambda name: (text, file, lambda: True)),
        finalize=finalize,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(helpers)
    try:
        template = env.get_template(file)
        out = _generate(template, data)
    except SpecError as e:
        import os

        if e.file is None:  # a limit or check raised inside the template
            e.file = file
        if e.file and os.path.abspath(e.file) == os.path.abspath(file):
            line = _error_line(e, file)
            if line:
                e.line, e.path = line, _path(text, line)
            elif e.line and not e.path:
                e.path = _path(text, e.line)
        raise
    except jinja2.TemplateSyntaxError as e:
        raise SpecError(f"Jinja2 syntax error: {e.message}", file=file, line=e.lineno,
                        path=_path(text, e.lineno),
                        hint="check the {% %} / {{ }} delimiters on this line") from None
    except jinja2.UndefinedError as e:
        line = _error_line(e, file)
        import re

        m = re.match(r"'(\w+)' is undefined", str(e.message))
        name = m.group(1) if m else "NAME"
        raise SpecError(f"Jinja2: {e.message}", file=file, line=line, path=_path(text, line),
                        hint=f"pass it with --var {name}=VALUE or use `|default(...)`"
                        ) from None
    except Exception as e:  # any other failure inside the template
        line = _error_line(e, file)
        raise SpecError(f"Jinja2 rendering failed: {type(e).__name__}: {e}", file=file,
                        line=line, path=_path(text, line)) from None
    return out, line_map(text, out)


def _generate(template: Any, data: dict) -> str:
    """Render piece by piece, refusing output beyond the output budget."""
    limit = current().max_jinja_output
    parts: list[str] = []
    size = 0
    gen = template.root_render_func(template.new_context(data))
    try:
        for piece in gen:
            size += len(piece)
            if size > limit:
                frame = gen.gi_frame
                line = template.get_corresponding_lineno(frame.f_lineno) if frame else None
                raise _OutputLimit(f"the template renders more than {limit} characters "
                                   "(Jinja2 output limit)", line=line,
                                   hint="render less text")
            parts.append(piece)
    except _OutputLimit:
        raise
    except Exception:
        template.environment.handle_exception()  # re-raised with template line numbers
    return "".join(parts)


class _OutputLimit(LimitError):
    """The rendered text outgrew the output budget (located by the caller)."""
