"""Warnings: likely mistakes that do not stop a run (a misspelled attribute...).

Each warning is located like an error (file, line, YAML path) and may carry the
closest valid name. They are printed to stderr, one line each, as

    warning: arch.yaml:12: architecture.nodes[2].attributes.detph: unknown attribute 'detph' (did you mean 'depth'?)

and never to stdout (which holds results). With `--strict` the first warning is
raised as a ValidationError instead (exit 2).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from loopnest.errors import ValidationError
from loopnest.spec.located import where


@dataclass(frozen=True)
class Diagnostic:
    """One warning: where, what, and the closest known name (if any)."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    suggestion: str | None = None

    def where(self) -> str:
        loc = str(self.file or "")
        if self.file and self.line:
            loc += f":{self.line}"
        if self.path:
            loc = f"{loc}: {self.path}" if loc else self.path
        return loc

    def format(self) -> str:
        loc = self.where()
        text = f"warning: {loc}: {self.message}" if loc else f"warning: {self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text

    def as_error(self) -> ValidationError:
        hint = f"did you mean '{self.suggestion}'?" if self.suggestion else None
        return ValidationError(f"{self.message} (--strict makes warnings errors)",
                               file=self.file, line=self.line, path=self.path, hint=hint)


MAX_SHOWN = 100  # warnings printed per run; the rest are counted


@dataclass
class Diagnostics:
    """The warnings of one run, in the order found (duplicates dropped)."""

    items: list[Diagnostic] = field(default_factory=list)
    more: int = 0  # warnings beyond MAX_SHOWN

    def warn(self, node: Any, key: Any, message: str, suggestion: str | None = None) -> None:
        """Record a warning located at `node[key]` of a located spec tree."""
        if len(self.items) >= MAX_SHOWN:
            self.more += 1
            return
        file, line, path = where(node, key)
        d = Diagnostic(message, file, line, path, suggestion)
        if d not in self.items:
            self.items.append(d)

    def emit(self, strict: bool = False, stream: TextIO | None = None) -> None:
        """Print every warning to stderr, or raise the first one with `strict`."""
        if strict and self.items:
            raise self.items[0].as_error()
        out = stream or sys.stderr
        for d in self.items:
            print(d.format(), file=out)
        if self.more:
            print(f"warning: {self.more} more warnings not shown", file=out)
