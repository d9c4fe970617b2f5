"""Accelergy attribute values: evaluate the ones that are expressions, keep the words.

Expressions (`max(32, width)`, `log2(depth)`) go to the spec package's
whitelisting evaluator (loopnest.spec.expr), the project's one evaluator;
user text is never given to Python's `eval`. Accelergy's rule for values is
kept: a string that is not an expression (`45nm`, `SET ME`) or is a bare word
not in scope (`LPDDR4`) stays a string; a real expression that cannot be
evaluated is an error.
"""
from __future__ import annotations

import ast
from typing import Any, Mapping

CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None,
                             "true": True, "false": False}


class ExpressionError(ValueError):
    """An expression could not be evaluated (unknown name, forbidden syntax...)."""


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate `text` as an expression over `scope`; raises ExpressionError."""
    from loopnest.spec.expr import ExprError, evaluate as spec_eval

    try:
        return spec_eval(text, scope)
    except ExprError as e:
        raise ExpressionError(f"'{text}': {e.message}") from None
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError) as e:
        raise ExpressionError(f"'{text}': {e}") from None


def resolve_value(value: Any, scope: Mapping[str, Any]) -> Any:
    """Accelergy's attribute-value rule: evaluate strings that are expressions, keep words.

    Non-strings pass through. A string that does not parse (`45nm`) or is a bare
    unknown word (`LPDDR4`) is returned unchanged; a quoted number (`"16"`) is a
    number. Raises ExpressionError for a real expression that cannot be evaluated.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in scope:
        return scope[text]
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return value
    if isinstance(tree.body, ast.Name):
        return CONSTANTS.get(tree.body.id, value)
    if isinstance(tree.body, ast.Constant):
        v = tree.body.value
        return v if isinstance(v, (int, float, str, bool)) or v is None else value
    return evaluate(text, scope)
