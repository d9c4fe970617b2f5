"""Safe evaluation of Accelergy attribute expressions (`max(32, width)`, `log2(depth)`).

Expressions go to the spec package's whitelisting evaluator
(loopnest.spec.expr); the small interpreter below is its fallback.

Accelergy evaluates attribute values with Python `eval`; we never do that with
user text. An expression is parsed with `ast` and only a whitelist of nodes
(numbers, names, arithmetic, comparisons, boolean logic, `a if c else b`,
calls to a few math functions) is interpreted.

Accelergy rule kept here: a string value that is not an expression (`45nm`,
`LPDDR4`, `SET ME`) stays a literal string; a bare name that is not in scope
also stays a literal (it is a word such as a DRAM type). An expression that
*is* an expression but names unknown variables is an error.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any, Mapping

FUNCTIONS: dict[str, Any] = {
    "max": max, "min": min, "abs": abs, "round": round, "int": int, "float": float,
    "ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "exp": math.exp,
    "log": math.log, "log2": math.log2, "log10": math.log10, "pow": pow,
    "bool": bool, "str": str, "len": len, "sum": sum,
}
CONSTANTS: dict[str, Any] = {"pi": math.pi, "e": math.e, "True": True, "False": False,
                             "None": None, "true": True, "false": False}

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}


class ExpressionError(ValueError):
    """An expression could not be evaluated (unknown name, forbidden syntax...)."""


class _Unknown(ExpressionError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown name '{name}'")
        self.name = name


def _eval(node: ast.AST, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, scope)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            return node.value
        raise ExpressionError("unsupported constant")
    if isinstance(node, ast.Name):
        if node.id in scope:
            return scope[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise _Unknown(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        return _BIN[type(node.op)](_eval(node.left, scope), _eval(node.right, scope))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, scope))
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, scope) for v in node.values]
        if isinstance(node.op, ast.And):
            out = True
            for v in vals:
                out = out and v
            return out
        out = False
        for v in vals:
            out = out or v
        return out
    if isinstance(node, ast.Compare):
        left = _eval(node.left, scope)
        for op, comp in zip(node.ops, node.comparators):
            if type(op) not in _CMP:
                raise ExpressionError("unsupported comparison")
            right = _eval(comp, scope)
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _eval(node.body, scope) if _eval(node.test, scope) else _eval(node.orelse, scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        fn = FUNCTIONS.get(node.func.id)
        if fn is None:
            raise ExpressionError(f"function '{node.func.id}' is not allowed")
        return fn(*[_eval(a, scope) for a in node.args])
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_eval(e, scope) for e in node.elts]
    raise ExpressionError(f"unsupported syntax '{type(node).__name__}'")


def _spec_evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """The spec package's safe evaluator (shared whitelist), when it is installed."""
    try:
        from loopnest.spec.expr import ExprError, evaluate as spec_eval
    except ImportError:  # pragma: no cover - the spec package is part of loopnest
        return _local_evaluate(text, scope)
    try:
        return spec_eval(text, scope)
    except ExprError as e:
        raise ExpressionError(f"'{text}': {e.message}") from None
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
        raise ExpressionError(f"'{text}': {e}") from None


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate `text` as an expression over `scope`; raises ExpressionError."""
    return _spec_evaluate(text, scope)


def _local_evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"cannot parse '{text}'") from e
    try:
        return _eval(tree, scope)
    except ExpressionError:
        raise
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as e:
        raise ExpressionError(f"'{text}': {e}") from e


def resolve_value(value: Any, scope: Mapping[str, Any]) -> Any:
    """Accelergy's attribute-value rule: evaluate strings that are expressions, keep words.

    Non-strings pass through. A string that does not parse (`45nm`) or is a bare
    unknown word (`LPDDR4`) is returned unchanged. Raises ExpressionError for a
    real expression that cannot be evaluated.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in scope:
        return scope[text]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return value
    if isinstance(tree.body, ast.Name):
        if tree.body.id in CONSTANTS:
            return CONSTANTS[tree.body.id]
        return value
    if isinstance(tree.body, ast.Constant):
        return tree.body.value
    return evaluate(text, scope)
