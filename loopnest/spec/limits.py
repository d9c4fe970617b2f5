"""Limits on the work a spec may cause, and the wall-clock budget of spec evaluation.

A design file may come from someone else, so reading it must end in bounded time
and memory whatever it contains. Every limit lives here with its default; the
CLI may raise some of them (`--max-file-size`, `--spec-time-limit`). Exceeding a
limit raises `LimitError` (exit 2), whose message names the limit, and the caller
locates it (file, line, YAML path) like any other spec error.

    with spec_budget():          # one wall-clock budget for a whole load_spec call
        ...
    check_deadline()             # raise LimitError once the budget is spent

Limits are held in a context variable so the CLI sets them once per command and
library callers get the defaults.
"""
from __future__ import annotations

import contextlib
import contextvars
import time
from dataclasses import dataclass, replace
from typing import Iterator

from loopnest.errors import SpecError

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Every bound on the work of reading and evaluating a spec (defaults in brackets)."""

    max_file_bytes: int = 2 * MB        # one input file [2 MB, --max-file-size]
    max_yaml_nodes: int = 500_000       # nodes of one file with every alias expanded
    max_yaml_depth: int = 100           # nesting of mappings / sequences
    max_expr_steps: int = 1_000_000     # evaluator steps of one expression (ops + iterations)
    max_int_bits: int = 4096            # size of any integer an expression makes
    max_seq: int = 1_000_000            # items of any list / tuple / set / dict / range
    max_str: int = 1_000_000            # characters of any string an expression makes
    max_jinja_steps: int = 1_000_000    # Jinja2 block executions (loop iterations included)
    max_jinja_output: int = 2 * MB      # characters rendered by one Jinja2 template
    spec_seconds: float = 30.0          # wall clock of one spec load [--spec-time-limit]
    max_components: int = 1000          # component declarations of one architecture


class LimitError(SpecError):
    """A spec asked for more work than a limit allows; the message names the limit."""


_LIMITS: contextvars.ContextVar[Limits] = contextvars.ContextVar("loopnest_limits",
                                                                 default=Limits())
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("loopnest_deadline",
                                                                        default=None)


def current() -> Limits:
    """The limits in force."""
    return _LIMITS.get()


@contextlib.contextmanager
def using(**changes: object) -> Iterator[Limits]:
    """Run a block with some limits changed (`using(max_file_bytes=8 * MB)`)."""
    token = _LIMITS.set(replace(current(), **changes))
    try:
        yield current()
    finally:
        _LIMITS.reset(token)


def set_limits(**changes: object) -> None:
    """Change limits for the rest of this context (the CLI, once per command)."""
    _LIMITS.set(replace(current(), **changes))


def reset_limits(**changes: object) -> None:
    """The default limits with `changes`, for the rest of this context (the CLI)."""
    _LIMITS.set(replace(Limits(), **changes))


@contextlib.contextmanager
def spec_budget() -> Iterator[None]:
    """Start the wall-clock budget of spec evaluation unless one is already running."""
    if _DEADLINE.get() is not None:
        yield
        return
    token = _DEADLINE.set(time.monotonic() + current().spec_seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise LimitError when the running spec budget is spent."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise LimitError(f"reading and evaluating the spec took more than "
                         f"{current().spec_seconds:g} s (spec time limit)",
                         hint="simplify the templates/expressions, or raise the limit with "
                              "--spec-time-limit SECONDS")
