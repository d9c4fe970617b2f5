"""A safe evaluator for the Python-like expressions found in specs (FORMATS §2.3).

User text is parsed with `ast.parse(mode="eval")` and interpreted by walking a
whitelist of node types; it is never passed to `eval`. What is allowed:
literals, names from the scope and the whitelisted functions/constants below,
arithmetic, comparisons, boolean logic, `a if c else b`, subscripts and slices,
list/tuple/dict/set displays, comprehensions, f-strings, calls of whitelisted
functions and a few safe methods. Attribute access on a dict (a spec node) reads
the key (`spec.problem.instance`, `buf.attributes.depth`). Names starting with
`_` and every dunder are refused; there is no import, no file or OS access.

Work is bounded inside the evaluator (limits in spec/limits.py): every visited
node and every comprehension iteration is a step (`max_expr_steps`); no integer
grows beyond `max_int_bits` (checked *before* `*`, `**`, `<<`, `factorial`,
`comb`, `perm`, `prod`, `lcm`, `sum` compute it); no list / tuple / set / dict /
range beyond `max_seq` items and no string beyond `max_str` characters (format
widths included); and the spec time limit is checked as the steps run. A limit
raises `LimitError`, any other failure `ExprError`; never a Python exception.
"""
from __future__ import annotations

import ast
import contextvars
import functools
import math
import operator
import re
from typing import Any, Callable, Iterable, Mapping

from loopnest.errors import LoopnestError, SpecError
from loopnest.spec.limits import LimitError, check_deadline, current


class ExprError(SpecError):
    """An expression could not be evaluated (located by the caller)."""


class ExprLimit(ExprError, LimitError):
    """An expression asked for more work than a limit allows (never evaluated leniently)."""


MAX_SEQ = 1_000_000  # defaults; the limits in force come from spec/limits.py
MAX_POW_BITS = 4096
_WIDTH = re.compile(r"\d+")


# ---- limits ------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int_limit(what: str = "the result") -> ExprLimit:
    bits = current().max_int_bits
    return ExprLimit(f"{what} would exceed {bits} bits (integer size limit)",
                      hint="expressions work on modest numbers")


def _seq_limit(n: Any) -> ExprLimit:
    return ExprLimit(f"a sequence of {n} items exceeds {current().max_seq} "
                      "(sequence length limit)", hint="expressions work on modest sizes")


def _str_limit(n: Any) -> ExprLimit:
    return ExprLimit(f"a string of {n} characters exceeds {current().max_str} "
                      "(string length limit)", hint="expressions work on modest sizes")


def check_value(v: Any) -> Any:
    """`v` when it is within the integer, sequence and string limits; LimitError else."""
    lim = current()
    if _is_int(v):
        if v.bit_length() > lim.max_int_bits:
            raise _int_limit()
    elif isinstance(v, str):
        if len(v) > lim.max_str:
            raise _str_limit(len(v))
    elif isinstance(v, (list, tuple, set, frozenset, dict, range)):
        if len(v) > lim.max_seq:
            raise _seq_limit(len(v))
    return v


def _bits_of(log_value: float) -> float:
    """Bits of an integer whose natural log is `log_value`."""
    return log_value / math.log(2)


def _check_bits(bits: float, what: str) -> None:
    if bits > current().max_int_bits:
        raise _int_limit(what)


def _check_width(spec: str) -> None:
    """Refuse a format spec whose width or precision reaches the string limit."""
    for m in _WIDTH.finditer(spec):
        if len(m.group()) > 7 or int(m.group()) > current().max_str:
            raise _str_limit(m.group())


_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("loopnest_expr", default=None)


def _tick(n: int = 1) -> None:
    """Count `n` steps of the running evaluation (functions called by C code too)."""
    ev = _ACTIVE.get()
    if ev is not None:
        ev.step(n)


def _bounded(items: Iterable, width: int = 1) -> list:
    """`list(items)`, refusing more than the sequence limit (x width cells)."""
    cap = current().max_seq
    out: list = []
    for x in items:
        out.append(x)
        if len(out) * max(width, 1) > 4 * cap or len(out) > cap:
            raise _seq_limit(f"more than {len(out) - 1}")
        if len(out) % 4096 == 0:
            _tick(1)
    return out


# ---- guarded functions -------------------------------------------------------------
def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > current().max_seq:
        raise _seq_limit(len(r))
    return r


def _safe_pow(a: Any, b: Any, m: Any = None) -> Any:
    if m is not None:
        return pow(a, b, m)
    _check_pow(a, b)
    return a ** b


def _check_pow(a: Any, b: Any) -> None:
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        if b * max(abs(a).bit_length(), 1) > current().max_int_bits:
            raise _int_limit("the power")


def _check_mul(a: Any, b: Any) -> None:
    lim = current()
    for seq, k in ((a, b), (b, a)):
        if isinstance(seq, (str, list, tuple)) and _is_int(k) and len(seq) * k > \
                (lim.max_str if isinstance(seq, str) else lim.max_seq):
            raise (_str_limit if isinstance(seq, str) else _seq_limit)(len(seq) * k)
    if _is_int(a) and _is_int(b) and a.bit_length() + b.bit_length() > lim.max_int_bits + 1:
        raise _int_limit("the product")


def _mul(a: Any, b: Any) -> Any:
    _check_mul(a, b)
    return a * b


def _add(a: Any, b: Any) -> Any:
    return check_value(a + b)


def _lshift(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and a and b > 0 and \
            a.bit_length() + b > current().max_int_bits:
        raise _int_limit("the shift")
    return a << b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        _check_width(a)
        for x in (b if isinstance(b, tuple) else (b,)):
            if _is_int(x) and "*" in a and abs(x) > current().max_str:
                raise _str_limit(x)
    return a % b


def _factorial(n: Any) -> Any:
    if _is_int(n) and n > 1:
        _check_bits(_bits_of(math.lgamma(n + 1)), "factorial()")
    return math.factorial(n)


def _comb(n: Any, k: Any) -> Any:
    if _is_int(n) and _is_int(k) and 0 <= k <= n:
        _check_bits(_bits_of(math.lgamma(n + 1) - math.lgamma(k + 1)
                             - math.lgamma(n - k + 1)), "comb()")
    return math.comb(n, k)


def _perm(n: Any, k: Any = None) -> Any:
    if _is_int(n) and n >= 0 and (k is None or (_is_int(k) and 0 <= k <= n)):
        kk = n if k is None else k
        _check_bits(_bits_of(math.lgamma(n + 1) - math.lgamma(n - kk + 1)), "perm()")
    return math.perm(n, k)


def _prod(items: Iterable, *, start: Any = 1) -> Any:
    acc = start
    for x in _bounded(items):
        _tick(1)
        acc = _mul(acc, x)
        check_value(acc)
    return acc


def _sum(items: Iterable, start: Any = 0) -> Any:
    if isinstance(start, str):
        raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
    values = _bounded(items)
    if all(isinstance(x, (int, float)) for x in values) and isinstance(start, (int, float)):
        return sum(values, start)  # bounded: at most max_seq numbers of max_int_bits
    acc = start
    for x in values:
        _tick(1)
        acc = _add(acc, x)
    return acc


def _lcm(*ints: Any) -> Any:
    acc = 1
    for x in ints:
        _tick(1)
        if _is_int(x) and _is_int(acc) and acc.bit_length() + x.bit_length() > \
                current().max_int_bits + 1:
            acc = math.lcm(acc, x)  # may still be small
            check_value(acc)
        else:
            acc = math.lcm(acc, x)
    return acc


def _map(fn: Any, *iterables: Iterable) -> list:
    return [fn(*args) for args in _bounded(zip(*iterables), len(iterables))]


def _zip(*iterables: Iterable) -> list:
    if len(iterables) > 1000:
        raise _seq_limit(len(iterables))
    return _bounded(zip(*iterables), len(iterables))


def _guard(fn: Callable) -> Callable:
    """`fn` counting a step and checking its result (and its argument count)."""
    @functools.wraps(fn)
    def guarded(*args: Any, **kw: Any) -> Any:
        _tick(1)
        if len(args) > current().max_seq:
            raise _seq_limit(len(args))
        return check_value(fn(*args, **kw))

    return guarded


_MATH_NAMES = ("ceil comb copysign fabs factorial floor fmod frexp fsum gcd isclose "
               "isfinite isinf isnan isqrt ldexp modf perm prod remainder trunc exp expm1 "
               "log log1p log2 log10 sqrt acos asin atan atan2 cos dist hypot sin tan "
               "degrees radians acosh asinh atanh cosh sinh tanh erf erfc gamma lgamma lcm")

_RAW: dict[str, Any] = {n: getattr(math, n) for n in _MATH_NAMES.split() if hasattr(math, n)}
_RAW.update({
    "factorial": _factorial, "comb": _comb, "perm": _perm, "prod": _prod, "lcm": _lcm,
    "abs": abs, "round": round, "sum": _sum, "range": _safe_range, "len": len, "min": min,
    "max": max, "float": float, "int": int, "str": str, "bool": bool,
    "list": lambda it=(): _bounded(it), "tuple": lambda it=(): tuple(_bounded(it)),
    "enumerate": lambda it, start=0: _bounded(enumerate(it, start), 2), "map": _map,
    "pow": _safe_pow, "sorted": lambda it, **kw: sorted(_bounded(it), **kw), "zip": _zip,
    "any": any, "all": all, "dict": lambda *a, **kw: dict(*[_bounded(x) if not isinstance(
        x, dict) else x for x in a], **kw), "set": lambda it=(): set(_bounded(it)),
    "reversed": lambda it: _bounded(reversed(it)),
})
FUNCTIONS: dict[str, Any] = {n: _guard(f) for n, f in _RAW.items()}
CONSTANTS: dict[str, Any] = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf,
                             "nan": math.nan, "True": True, "False": False, "None": None,
                             "true": True, "false": False}

# Methods callable on values (no `format`: it can reach attributes via fields).
SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset("upper lower strip lstrip rstrip split rsplit join replace startswith "
                   "endswith find count isdigit isalpha zfill title capitalize".split()),
    dict: frozenset("get keys values items".split()),
    list: frozenset("index count".split()),
    tuple: frozenset("index count".split()),
}

_BIN = {ast.Add: _add, ast.Sub: operator.sub, ast.Mult: _mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: _mod,
        ast.Pow: _safe_pow, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
        ast.BitXor: operator.xor, ast.LShift: _lshift, ast.RShift: operator.rshift,
        ast.MatMult: None}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
          ast.Invert: operator.invert}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
        ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}

_ALLOWED_CALLABLES = set(map(id, FUNCTIONS.values()))


def parse(text: str) -> ast.Expression:
    """Parse expression text; SyntaxError becomes ExprError."""
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"invalid expression '{text.strip()}': {e.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError(f"invalid expression '{text.strip()}'") from None


class _Eval:
    def __init__(self, scope: Mapping[str, Any]):
        self.scopes: list[Mapping[str, Any]] = [scope]
        self.steps = 0
        self.max_steps = current().max_expr_steps
        self._next_check = 1024

    def step(self, n: int = 1) -> None:
        """Count work; refuse beyond the step limit; check the spec time limit."""
        self.steps += n
        if self.steps > self.max_steps:
            raise ExprLimit(f"the expression takes more than {self.max_steps} steps "
                             "(expression operation limit)",
                             hint="loops over loops multiply; simplify the expression")
        if self.steps >= self._next_check:
            self._next_check = self.steps + 1024
            check_deadline()

    def lookup(self, name: str) -> Any:
        if name.startswith("_"):
            raise ExprError(f"name '{name}' is not allowed (names starting with '_' are refused)")
        for s in reversed(self.scopes):
            if name in s:
                return s[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            return FUNCTIONS[name]
        raise ExprError(f"name '{name}' is not defined")

    def run(self, node: ast.AST) -> Any:
        self.step()
        meth = getattr(self, "_" + type(node).__name__, None)
        if meth is None:
            raise ExprError(f"'{type(node).__name__}' is not allowed in an expression")
        return meth(node)

    def _Expression(self, n: ast.Expression) -> Any:
        return self.run(n.body)

    def _Constant(self, n: ast.Constant) -> Any:
        return check_value(n.value)

    def _Name(self, n: ast.Name) -> Any:
        return self.lookup(n.id)

    def _BinOp(self, n: ast.BinOp) -> Any:
        op = _BIN.get(type(n.op))
        if op is None:
            raise ExprError("operator not allowed")
        a, b = self.run(n.left), self.run(n.right)
        try:
            return check_value(op(a, b))
        except LoopnestError:
            raise
        except Exception as e:
            raise ExprError(f"{type(e).__name__}: {e}") from None

    def _UnaryOp(self, n: ast.UnaryOp) -> Any:
        v = self.run(n.operand)
        try:
            return _UNARY[type(n.op)](v)
        except Exception:
            raise ExprError(f"bad operand for unary {type(n.op).__name__}: "
                            f"{type(v).__name__}") from None

    def _BoolOp(self, n: ast.BoolOp) -> Any:
        val: Any = None
        for v in n.values:
            val = self.run(v)
            if isinstance(n.op, ast.And) and not val:
                return val
            if isinstance(n.op, ast.Or) and val:
                return val
        return val

    def _Compare(self, n: ast.Compare) -> Any:
        left = self.run(n.left)
        for op, right_n in zip(n.ops, n.comparators):
            right = self.run(right_n)
            try:
                ok = _CMP[type(op)](left, right)
            except Exception as e:
                raise ExprError(f"{type(e).__name__}: {e}") from None
            if not ok:
                return False
            left = right
        return True

    def _IfExp(self, n: ast.IfExp) -> Any:
        return self.run(n.body) if self.run(n.test) else self.run(n.orelse)

    def _Attribute(self, n: ast.Attribute) -> Any:
        if n.attr.startswith("_"):
            raise ExprError(f"attribute '{n.attr}' is not allowed")
        obj = self.run(n.value)
        if isinstance(obj, dict) and n.attr in obj:
            return obj[n.attr]
        for t, names in SAFE_METHODS.items():
            if isinstance(obj, t) and n.attr in names:
                return getattr(obj, n.attr)
        if isinstance(obj, dict):
            from loopnest.spec.hints import closest_hint

            raise ExprError(f"no key '{n.attr}'", hint=closest_hint(n.attr, obj.keys()))
        raise ExprError(f"attribute '{n.attr}' of {type(obj).__name__} is not allowed")

    def _Subscript(self, n: ast.Subscript) -> Any:
        obj = self.run(n.value)
        key = self.run(n.slice)
        try:
            return obj[key]
        except Exception as e:
            raise ExprError(f"cannot index with {key!r}: {type(e).__name__}") from None

    def _Slice(self, n: ast.Slice) -> Any:
        return slice(*(self.run(x) if x is not None else None
                       for x in (n.lower, n.upper, n.step)))

    def _Index(self, n: Any) -> Any:  # pragma: no cover - Python < 3.9 only
        return self.run(n.value)

    def _Tuple(self, n: ast.Tuple) -> Any:
        return tuple(self.run(e) for e in n.elts)

    def _List(self, n: ast.List) -> Any:
        return [self.run(e) for e in n.elts]

    def _Set(self, n: ast.Set) -> Any:
        return {self.run(e) for e in n.elts}

    def _Dict(self, n: ast.Dict) -> Any:
        if any(k is None for k in n.keys):
            raise ExprError("'**' in a dict display is not allowed")
        return {self.run(k): self.run(v) for k, v in zip(n.keys, n.values)}

    def _JoinedStr(self, n: ast.JoinedStr) -> Any:
        return check_value("".join(str(self.run(v)) for v in n.values))

    def _FormattedValue(self, n: ast.FormattedValue) -> Any:
        v = self.run(n.value)
        if n.conversion == ord("r"):
            v = repr(v)
        spec = self.run(n.format_spec) if n.format_spec is not None else ""
        if not isinstance(v, (int, float, str)) and spec:
            raise ExprError("format spec only allowed on numbers and strings")
        _check_width(str(spec))
        try:
            return check_value(format(v, spec))
        except LoopnestError:
            raise
        except Exception as e:
            raise ExprError(f"cannot format {v!r} with '{spec}': {e}") from None

    def _Call(self, n: ast.Call) -> Any:
        fn = self.run(n.func)
        bound_ok = (getattr(fn, "__self__", None) is not None
                    and any(isinstance(fn.__self__, t) and fn.__name__ in names
                            for t, names in SAFE_METHODS.items()))
        if id(fn) not in _ALLOWED_CALLABLES and not bound_ok:
            raise ExprError("only whitelisted functions may be called")
        args: list = []
        for a in n.args:
            if isinstance(a, ast.Starred):
                v = self.run(a.value)
                if not isinstance(v, (list, tuple, set, frozenset, dict, range, str)):
                    raise ExprError(f"'*' needs a list or tuple, got {type(v).__name__}")
                args.extend(_bounded(v))
            else:
                args.append(self.run(a))
        kw = {}
        for k in n.keywords:
            if k.arg is None:
                raise ExprError("'**' arguments are not allowed")
            kw[k.arg] = self.run(k.value)
        name = getattr(fn, "__name__", "call")
        try:
            if bound_ok:
                _check_method(fn, args, kw)
            out = fn(*args, **kw)
        except LoopnestError:
            raise
        except Exception as e:
            raise ExprError(f"{name}(): {type(e).__name__}: {e}") from None
        if not isinstance(out, (str, int, float, bool, list, tuple, dict, set, range)) and \
                out is not None and not isinstance(out, Mapping):
            try:  # dict views and the like: materialised, bounded
                out = _bounded(out)
            except TypeError:
                pass
        return check_value(out)

    def _comprehension(self, gens: list, emit: Any) -> None:
        def loop(i: int, local: dict) -> None:
            if i == len(gens):
                emit()
                return
            g = gens[i]
            if g.is_async:
                raise ExprError("async comprehension not allowed")
            it = self.run(g.iter)
            if not isinstance(it, (list, tuple, set, frozenset, dict, range, str)):
                raise ExprError(f"cannot iterate over {type(it).__name__}")
            for item in it:
                self.step()
                self._bind(g.target, item, local)
                if all(self.run(c) for c in g.ifs):
                    loop(i + 1, local)

        local: dict = {}
        self.scopes.append(local)
        try:
            loop(0, local)
        finally:
            self.scopes.pop()

    def _bind(self, target: ast.AST, value: Any, local: dict) -> None:
        if isinstance(target, ast.Name):
            if target.id.startswith("_"):
                raise ExprError(f"name '{target.id}' is not allowed")
            local[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            vals = list(value)
            if len(vals) != len(target.elts):
                raise ExprError("cannot unpack")
            for t, v in zip(target.elts, vals):
                self._bind(t, v, local)
        else:
            raise ExprError("unsupported comprehension target")

    def _collect(self, n: Any, make: Any) -> Any:
        out: list = []
        cap = current().max_seq

        def emit() -> None:
            if len(out) >= cap:
                raise _seq_limit(f"more than {cap}")
            out.append(make())

        self._comprehension(n.generators, emit)
        return out

    def _ListComp(self, n: ast.ListComp) -> Any:
        return self._collect(n, lambda: self.run(n.elt))

    def _GeneratorExp(self, n: ast.GeneratorExp) -> Any:
        return self._collect(n, lambda: self.run(n.elt))

    def _SetComp(self, n: ast.SetComp) -> Any:
        return set(self._collect(n, lambda: self.run(n.elt)))

    def _DictComp(self, n: ast.DictComp) -> Any:
        return dict(self._collect(n, lambda: (self.run(n.key), self.run(n.value))))


def _check_method(fn: Any, args: list, kw: dict) -> None:
    """Size checks of the string methods that can grow a string."""
    owner, name = fn.__self__, fn.__name__
    if not isinstance(owner, str):
        return
    cap = current().max_str
    if name == "zfill" and args and _is_int(args[0]) and args[0] > cap:
        raise _str_limit(args[0])
    if name == "join" and args:
        items = _bounded(args[0])
        args[0] = items
        if sum(len(x) for x in items if isinstance(x, str)) + len(owner) * len(items) > cap:
            raise _str_limit(f"more than {cap}")
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and \
            isinstance(args[1], str):
        n = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(owner) + n * len(args[1]) > cap:
            raise _str_limit(len(owner) + n * len(args[1]))


def evaluate(text: str, scope: Mapping[str, Any] | None = None) -> Any:
    """Evaluate expression `text` with names from `scope` (plus the whitelist).

    Raises ExprError for a bad expression, LimitError when it asks for too much
    work; never another exception."""
    tree = parse(text)
    ev = _Eval(scope if scope is not None else {})
    token = _ACTIVE.set(ev)
    try:
        return ev.run(tree)
    except LoopnestError:
        raise
    except RecursionError:
        raise ExprError("expression nested too deeply") from None
    except MemoryError:
        raise ExprLimit("the expression needs too much memory (size limits)") from None
    except Exception as e:  # any other Python error is a mistake in the expression
        raise ExprError(f"{type(e).__name__}: {e}") from None
    finally:
        _ACTIVE.reset(token)


def is_identifier_like(text: str) -> bool:
    """True for a bare word (`LPDDR4`, `45nm` is not)."""
    return text.strip().isidentifier()
