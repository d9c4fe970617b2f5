"""Jinja2's sandbox with a step budget and size checks (spec/limits.py).

The sandbox already stops attribute walks (`__class__`) and caps `range` at
100 000 items; on top of that:

* every executed block (template body, each loop iteration, each `if` branch,
  each macro call) counts one step; beyond `max_jinja_steps` the render stops,
  so `range(100000)` nested twice ends in a located LimitError, not an hour;
* `*`, `**`, `+`, `%` and `~` refuse a result above the string, sequence or
  integer limit before building it (`'a' * 10**9`);
* string methods and size-taking filters (`center`, `indent`, `format`,
  `join`, `replace`, `wordwrap`, `sum`...) refuse widths and totals above the
  string limit; every call's result is checked too;
* `lipsum` is removed.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from loopnest.spec.limits import LimitError, check_deadline, current

_WIDTH = re.compile(r"\d{7,}")  # a width / precision of a million or more
_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "format", "batch", "slice",
                  "join", "replace", "sum", "list", "map", "select", "reject", "unique",
                  "sort", "string", "pprint", "tojson", "items", "dictsort", "xmlattr")


def _too_big(value: Any) -> str | None:
    """Which limit `value` breaks (None when it is within every limit)."""
    lim = current()
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value.bit_length() > lim.max_int_bits:
            return f"an integer of more than {lim.max_int_bits} bits (integer size limit)"
    elif isinstance(value, str):
        if len(value) > lim.max_str:
            return f"a string of more than {lim.max_str} characters (string length limit)"
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        if len(value) > lim.max_seq:
            return f"a sequence of more than {lim.max_seq} items (sequence length limit)"
    return None


def _refuse(what: str) -> LimitError:
    return LimitError(f"the template would build {what}",
                      hint="Jinja2 templates are limited to modest sizes")


def _check(value: Any) -> Any:
    bad = _too_big(value)
    if bad:
        raise _refuse(bad)
    return value


def _size(value: Any) -> int:
    """Characters or items of a value (0 for scalars)."""
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return len(value)
    return 0


def _check_binop(op: str, left: Any, right: Any) -> None:
    lim = current()
    nums = all(isinstance(x, int) and not isinstance(x, bool) for x in (left, right))
    if op == "*":
        for seq, k in ((left, right), (right, left)):
            if isinstance(k, int) and not isinstance(k, bool) and _size(seq) and \
                    _size(seq) * k > lim.max_seq:
                raise _refuse(f"a sequence or string of {_size(seq)} x {k} items "
                              "(sequence length limit)")
        if nums and left.bit_length() + right.bit_length() > lim.max_int_bits:
            raise _refuse(f"an integer of more than {lim.max_int_bits} bits "
                          "(integer size limit)")
    elif op == "**" and nums and right > 0 and abs(left) > 1:
        if right * abs(left).bit_length() > lim.max_int_bits:
            raise _refuse(f"an integer of more than {lim.max_int_bits} bits "
                          "(integer size limit)")
    elif op == "+" and _size(left) + _size(right) > max(lim.max_seq, lim.max_str):
        raise _refuse("a sequence or string above the length limit")
    elif op == "%" and isinstance(left, str):
        _check_format(left, right if isinstance(right, tuple) else (right,))


def _big_int(a: Any) -> bool:
    return isinstance(a, int) and not isinstance(a, bool) and abs(a) > current().max_str


def _check_args(name: str, args: tuple, kwargs: dict) -> None:
    """Refuse widths / counts above the string limit."""
    for a in list(args) + list(kwargs.values()):
        if _big_int(a):
            raise _refuse(f"a result sized by {a} in {name}() (string length limit)")


def _check_format(fmt: str, args: tuple) -> None:
    """Refuse a format string whose widths (given or `*`) reach the string limit."""
    if _WIDTH.search(fmt) or ("*" in fmt and any(_big_int(a) for a in args)) or \
            ("{" in fmt and any(_big_int(a) for a in args)):
        raise _refuse("a string with a width of a million characters or more "
                      "(string length limit)")


def _total_length(items: Any) -> int:
    try:
        return sum(len(str(x)) for x in items)
    except TypeError:
        return 0


def _checked_filter(name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # args[0] may be the context / environment for pass_* filters
        values = [a for a in args if not type(a).__name__.endswith(("Context", "Environment"))]
        if name == "format":
            _check_format(str(values[0]) if values else "", tuple(values[1:]))
        else:
            _check_args(name, tuple(values[1:]), kwargs)
        if values and name in ("join", "sum") and not isinstance(values[0], str):
            items = list(values[0]) if not isinstance(values[0], (list, tuple)) else values[0]
            if _total_length(items) > current().max_str or \
                    sum(_size(x) for x in items) > current().max_seq:
                raise _refuse(f"a result of more than {current().max_str} characters or "
                              f"items in {name} (string length limit)")
        if values and name in ("replace", "indent") and isinstance(values[0], str):
            extra = values[1:] + list(kwargs.values())
            grow = max([len(x) for x in extra if isinstance(x, str)] or [0])
            if len(values[0]) * (grow + 1) > current().max_str:
                raise _refuse(f"a string of more than {current().max_str} characters "
                              f"in {name} (string length limit)")
        return _check(fn(*args, **kwargs))

    return wrapper


def budgeted_environment(**options: Any) -> Any:
    """A SandboxedEnvironment with the step budget and the size checks."""
    return _environment_class()(**options)


@functools.lru_cache(maxsize=None)
def _environment_class() -> type:
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import SandboxedEnvironment

    class _TickingCodeGenerator(CodeGenerator):
        """Counts a step at the start of every block; checks every `~` result."""

        def blockvisit(self, nodes: Any, frame: Any) -> None:
            self.writeline("environment.loopnest_tick()")
            super().blockvisit(nodes, frame)

        def visit_Concat(self, node: Any, frame: Any) -> None:
            self.write("environment.loopnest_checked(")
            super().visit_Concat(node, frame)
            self.write(")")

    class _BudgetedEnvironment(SandboxedEnvironment):
        code_generator_class = _TickingCodeGenerator
        intercepted_binops = frozenset(["*", "**", "+", "%"])

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.loopnest_steps = 0
            self.globals.pop("lipsum", None)
            for name in _SIZED_FILTERS:
                if name in self.filters:
                    self.filters[name] = _checked_filter(name, self.filters[name])

        def loopnest_tick(self) -> None:
            self.loopnest_steps += 1
            limit = current().max_jinja_steps
            if self.loopnest_steps > limit:
                raise LimitError(f"the template runs more than {limit} steps (Jinja2 loop "
                                 "budget)", hint="loops over loops multiply; render less")
            if self.loopnest_steps % 1024 == 0:
                check_deadline()

        @staticmethod
        def loopnest_checked(value: Any) -> Any:
            return _check(value)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return _check(super().call_binop(context, operator, left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            name = getattr(__obj, "__name__", "call")
            # the sandbox wraps str.format; the bound method is kept as __wrapped__
            owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
            if not isinstance(owner, (str, list, tuple, dict)):  # helpers, range, dict()...
                return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)
            if name in ("format", "format_map") and isinstance(owner, str):
                _check_format(owner, args + tuple(kwargs.values()))
            else:
                _check_args(name, args, kwargs)
            if isinstance(owner, str):
                if name == "join":
                    items = list(args[0]) if args else []
                    if _total_length(items) + len(owner) * len(items) > current().max_str:
                        raise _refuse("a joined string above the string length limit")
                    args = (items,) + args[1:]
                if name == "replace" and len(args) >= 2:
                    old, new = str(args[0]), str(args[1])
                    n = owner.count(old) if old else len(owner) + 1
                    if len(owner) + n * len(new) > current().max_str:
                        raise _refuse("a replaced string above the string length limit")
            return _check(SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs))

    return _BudgetedEnvironment
