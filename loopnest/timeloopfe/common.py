"""Errors of the TimeloopFE stand-in."""
from __future__ import annotations

from loopnest.errors import LoopnestError


class Unsupported(LoopnestError, AttributeError, NotImplementedError):
    """A TimeloopFE feature loopnest does not offer (an AttributeError too, so
    `hasattr` and `getattr(..., default)` behave)."""

    def __init__(self, what: str, hint: str | None = None) -> None:
        super().__init__(f"{what} is not supported by loopnest.timeloopfe",
                         hint=hint or "see docs/api.md, 'Coming from pytimeloop', for what "
                                      "is supported; loopnest.api offers the same runs "
                                      "directly")


class MissingKey(LoopnestError, KeyError):
    """A key that is not in the specification (a KeyError too)."""


class MissingAttribute(LoopnestError, AttributeError):
    """An attribute name that is not a key of this node."""


class NotFound(LoopnestError, ValueError):
    """`find(name)` with no such architecture node (TimeloopFE raises ValueError)."""


class ProcessorError(LoopnestError):
    """Kept for `except tl.ProcessorError`; loopnest runs no processors."""
