"""One exception family for every user-facing failure.

Each error carries where the mistake is (file, line, YAML path), what is wrong
and a hint, so the CLI can print it in at most three lines without a traceback.
"""
from __future__ import annotations

from typing import Any


class LoopnestError(Exception):
    """Base of every error loopnest reports to a user."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.path = path
        self.hint = hint

    def where(self) -> str:
        """`file:line: path` (whichever parts are known)."""
        loc = ""
        if self.file:
            loc = str(self.file)
            if self.line:
                loc += f":{self.line}"
        if self.path:
            loc = f"{loc}: {self.path}" if loc else self.path
        return loc

    def format(self) -> str:
        """The one-to-three line message the CLI prints."""
        loc = self.where()
        head = f"error: {loc}: {self.message}" if loc else f"error: {self.message}"
        if self.hint:
            return f"{head}\n  hint: {self.hint}"
        return head

    def __str__(self) -> str:  # pragma: no cover - formatting only
        return self.format()

    def located(self, node: Any = None, key: Any = None) -> "LoopnestError":
        """Fill in file/line/path from a located spec node when still unknown."""
        if node is not None and (self.file is None or self.line is None):
            from loopnest.spec.located import where

            file, line, path = where(node, key)
            self.file = self.file or file
            self.line = self.line or line
            self.path = self.path or path
        return self


class SpecError(LoopnestError):
    """The input files are malformed: YAML, Jinja2, schema or expression errors."""


class ValidationError(SpecError):
    """The input is well formed but inconsistent (unknown target, bad factors...)."""


class MappingError(LoopnestError):
    """A mapping cannot be evaluated on the architecture (capacity, fan-out...)."""


class EstimationError(LoopnestError):
    """A component cannot be priced (unknown class, missing attribute...)."""


class MapperError(LoopnestError):
    """The mapper found no valid mapping, or its options are inconsistent."""


def spec_error(node: Any, key: Any, message: str, hint: str | None = None,
               cls: type[LoopnestError] = ValidationError) -> LoopnestError:
    """Build an error located at `node[key]` of a located spec tree."""
    return cls(message, hint=hint).located(node, key)
