"""A safe evaluator for the Python-like expressions found in specs (FORMATS §2.3).

User text is parsed with `ast.parse(mode="eval")` and interpreted by walking a
whitelist of node types; it is never passed to `eval`. What is allowed:
literals, names from the scope and the whitelisted functions/constants below,
arithmetic, comparisons, boolean logic, `a if c else b`, subscripts and slices,
list/tuple/dict/set displays, comprehensions, f-strings, calls of whitelisted
functions and a few safe methods. Attribute access on a dict (a spec node) reads
the key (`spec.problem.instance`, `buf.attributes.depth`). Names starting with
`_` and every dunder are refused; there is no import, no file or OS access.
Sizes are capped so an expression cannot exhaust memory or time.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any, Mapping

from loopnest.errors import SpecError


class ExprError(SpecError):
    """An expression could not be evaluated (located by the caller)."""


MAX_SEQ = 1_000_000
MAX_POW_BITS = 4096


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQ:
        raise ExprError(f"range of {len(r)} items is too large")
    return r


def _safe_pow(a: Any, b: Any, m: Any = None) -> Any:
    if m is not None:
        return pow(a, b, m)
    _check_pow(a, b)
    return a ** b


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * max(abs(a).bit_length(), 1) > MAX_POW_BITS:
            raise ExprError("power too large")


_MATH_NAMES = ("ceil comb copysign fabs factorial floor fmod frexp fsum gcd isclose "
               "isfinite isinf isnan isqrt ldexp modf perm prod remainder trunc exp expm1 "
               "log log1p log2 log10 sqrt acos asin atan atan2 cos dist hypot sin tan "
               "degrees radians acosh asinh atanh cosh sinh tanh erf erfc gamma lgamma lcm")

FUNCTIONS: dict[str, Any] = {n: getattr(math, n) for n in _MATH_NAMES.split() if hasattr(math, n)}
FUNCTIONS.update({
    "abs": abs, "round": round, "sum": sum, "range": _safe_range, "len": len, "min": min,
    "max": max, "float": float, "int": int, "str": str, "bool": bool, "list": list,
    "tuple": tuple, "enumerate": enumerate, "map": map, "pow": _safe_pow, "sorted": sorted,
    "zip": zip, "any": any, "all": all, "dict": dict, "set": set, "reversed": reversed,
})
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

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: _safe_pow, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
        ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
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
        meth = getattr(self, "_" + type(node).__name__, None)
        if meth is None:
            raise ExprError(f"'{type(node).__name__}' is not allowed in an expression")
        return meth(node)

    def _Expression(self, n: ast.Expression) -> Any:
        return self.run(n.body)

    def _Constant(self, n: ast.Constant) -> Any:
        return n.value

    def _Name(self, n: ast.Name) -> Any:
        return self.lookup(n.id)

    def _BinOp(self, n: ast.BinOp) -> Any:
        op = _BIN.get(type(n.op))
        if op is None:
            raise ExprError("operator not allowed")
        a, b = self.run(n.left), self.run(n.right)
        if isinstance(n.op, ast.Mult):
            for seq, k in ((a, b), (b, a)):
                if isinstance(seq, (str, list, tuple)) and isinstance(k, int) \
                        and len(seq) * k > MAX_SEQ:
                    raise ExprError("sequence too large")
        if isinstance(n.op, ast.LShift) and isinstance(b, int) and b > MAX_POW_BITS:
            raise ExprError("shift too large")
        try:
            return op(a, b)
        except ExprError:
            raise
        except Exception as e:
            raise ExprError(f"{type(e).__name__}: {e}") from None

    def _UnaryOp(self, n: ast.UnaryOp) -> Any:
        return _UNARY[type(n.op)](self.run(n.operand))

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
        return "".join(str(self.run(v)) for v in n.values)

    def _FormattedValue(self, n: ast.FormattedValue) -> Any:
        v = self.run(n.value)
        if n.conversion == ord("r"):
            v = repr(v)
        spec = self.run(n.format_spec) if n.format_spec is not None else ""
        if not isinstance(v, (int, float, str)) and spec:
            raise ExprError("format spec only allowed on numbers and strings")
        return format(v, spec)

    def _Call(self, n: ast.Call) -> Any:
        fn = self.run(n.func)
        bound_ok = (getattr(fn, "__self__", None) is not None
                    and any(isinstance(fn.__self__, t) and fn.__name__ in names
                            for t, names in SAFE_METHODS.items()))
        if id(fn) not in _ALLOWED_CALLABLES and not bound_ok:
            raise ExprError("only whitelisted functions may be called")
        args = []
        for a in n.args:
            if isinstance(a, ast.Starred):
                args.extend(self.run(a.value))
            else:
                args.append(self.run(a))
        kw = {}
        for k in n.keywords:
            if k.arg is None:
                raise ExprError("'**' arguments are not allowed")
            kw[k.arg] = self.run(k.value)
        try:
            out = fn(*args, **kw)
        except ExprError:
            raise
        except Exception as e:
            raise ExprError(f"{getattr(fn, '__name__', 'call')}(): {type(e).__name__}: {e}") \
                from None
        if isinstance(out, (map, zip, enumerate, reversed)):
            out = list(out)
            if len(out) > MAX_SEQ:
                raise ExprError("sequence too large")
        return out

    def _comprehension(self, gens: list, emit: Any) -> None:
        def loop(i: int, local: dict) -> None:
            if i == len(gens):
                emit()
                return
            g = gens[i]
            if g.is_async:
                raise ExprError("async comprehension not allowed")
            for item in self.run(g.iter):
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

        def emit() -> None:
            if len(out) >= MAX_SEQ:
                raise ExprError("comprehension too large")
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


def evaluate(text: str, scope: Mapping[str, Any] | None = None) -> Any:
    """Evaluate expression `text` with names from `scope` (plus the whitelist)."""
    tree = parse(text)
    try:
        return _Eval(scope if scope is not None else {}).run(tree)
    except RecursionError:
        raise ExprError("expression nested too deeply") from None


def is_identifier_like(text: str) -> bool:
    """True for a bare word (`LPDDR4`, `45nm` is not)."""
    return text.strip().isidentifier()
