"""Jinja2 rendering of spec files, with a map from output lines back to template lines.

Rendering happens before YAML parsing (FORMATS §2.2). Data rendered by `{{ }}`
that is a dict or list (the result of `include()`, `include_all()`) is not
printed as text: `finalize` registers it in a table and prints a
`!include_loaded 'N'` placeholder, which the YAML builder replaces by the
located subtree. So included nodes keep their own file and line.

Templates run in Jinja2's sandbox (no `__class__`-style attribute walks).

Line mapping: the output is aligned with the template by a line diff; output
lines the template produced verbatim get their template line, the others get
the line of the template region they came from.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable

from loopnest.errors import SpecError

JINJA_MARKERS = ("{{", "{%", "{#")


def needs_rendering(text: str) -> bool:
    """True when the text contains Jinja2 syntax (plain YAML is parsed as is)."""
    return any(m in text for m in JINJA_MARKERS)


def line_map(template: str, output: str) -> list[int]:
    """For each output line (0-based index), the 1-based template line that produced it."""
    t_lines = template.split("\n")
    o_lines = output.split("\n")
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
    from loopnest.spec.yamlnodes import path_at_line

    return path_at_line(text, line) if line else None


def render(text: str, file: str, data: dict, helpers: dict[str, Callable],
           finalize: Callable[[Any], Any]) -> tuple[str, list[int]]:
    """Render `text` (from `file`) with StrictUndefined; return (output, line map)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        loader=jinja2.FunctionLoader(lambda name: (text, file, lambda: True)),
        finalize=finalize,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals.update(helpers)
    try:
        template = env.get_template(file)
        out = template.render(**data)
    except SpecError as e:
        import os

        if e.file and os.path.abspath(e.file) == os.path.abspath(file):
            line = _error_line(e, file)
            if line:
                e.line, e.path = line, _path(text, line)
        raise
    except jinja2.TemplateSyntaxError as e:
        raise SpecError(f"Jinja2 syntax error: {e.message}", file=file, line=e.lineno,
                        path=_path(text, e.lineno),
                        hint="check the {% %} / {{ }} delimiters on this line") from None
    except jinja2.UndefinedError as e:
        line = _error_line(e, file)
        raise SpecError(f"Jinja2: {e.message}", file=file, line=line, path=_path(text, line),
                        hint="pass it with --var NAME=VALUE or use `|default(...)`") from None
    except Exception as e:  # any other failure inside the template
        line = _error_line(e, file)
        raise SpecError(f"Jinja2 rendering failed: {type(e).__name__}: {e}", file=file,
                        line=line, path=_path(text, line)) from None
    return out, line_map(text, out)
