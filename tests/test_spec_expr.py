"""The safe expression evaluator: what it computes and what it refuses."""
from __future__ import annotations

import pytest

from loopnest.spec.expr import ExprError, evaluate
from loopnest.spec.located import LocDict


@pytest.mark.parametrize("text,expected", [
    ("3 + 4 * 2", 11), ("max(32, width)", 64), ("log2(depth)", 10.0), ("ceil(7 / 2)", 4),
    ("len(spec.problem.instance)", 2), ("buf.attributes['depth'] * 2", 2048),
    ("buf.attributes.depth // 8", 128), ("width if depth > 1 else 0", 64),
    ("sum(x * 2 for x in range(4))", 12), ("[a for a in 'ab']", ["a", "b"]),
    ("'x'.upper() + str(1)", "X1"), ("min([3, 1, 2])", 1), ("prod([2, 3])", 6),
    ("2 ** 10", 1024), ("{'a': 1}.get('a')", 1), ("f'{width}b'", "64b"), ("pi > 3", True),
    ("int('7') + round(2.6)", 10), ("abs(-3)", 3), ("(1, 2)[1]", 2), ("not True or 1 < 2 < 3", True),
])
def test_evaluates(text: str, expected) -> None:
    scope = {"width": 64, "depth": 1024,
             "spec": LocDict({"problem": LocDict({"instance": LocDict({"K": 1, "P": 2})})}),
             "buf": LocDict({"attributes": LocDict({"depth": 1024})})}
    assert evaluate(text, scope) == expected


@pytest.mark.parametrize("text", [
    "__import__('os')", "().__class__", "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')", "exec('1')", "eval('1')", "globals()", "locals()", "vars()",
    "getattr(1, 'real')", "type(1)", "'a'.__len__()", "'{0.__class__}'.format(1)",
    "(lambda: 1)()", "x := 3", "10 ** 10 ** 10", "'a' * 10 ** 9", "range(10 ** 12)",
    "[c for c in ().__class__.__mro__]", "str.format('{}', 1)", "1 << 100000",
    "compile('1', 'f', 'eval')", "__builtins__", "undefined_name", "1 +",
    "import os", "a.b = 1",
])
def test_refuses(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(text, {"a": LocDict()})
