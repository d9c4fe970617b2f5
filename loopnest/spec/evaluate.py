"""Evaluate `variables` and the expressions inside a loaded spec (FORMATS §2.3).

Evaluated in place (document order): `variables` (sequentially, each may use the
earlier ones), v0.4 architecture nodes (`attributes`, `spatial`, numeric
constraint fields, `enabled`, `area_scale`, `energy_scale`), v0.2/v0.3 tree
attributes (leniently: an Accelergy-era value that is not an expression, such
as `45nm`, stays a string), `problem.instance` values and numeric fields of
constraint / mapping directives. Quoted strings are never evaluated.
Compound-component attributes are *not* evaluated here: they refer to the
attributes of the component instantiating them (the energy package does it).

Names visible to an expression, inner scopes first: the node's own keys given
earlier in the same mapping, attributes of enclosing containers, every
architecture leaf by name (`buf.attributes.depth`), `variables`, `spec`.
"""
from __future__ import annotations

from typing import Any

from loopnest.errors import SpecError
from loopnest.spec.expr import ExprError, evaluate
from loopnest.spec.limits import LimitError
from loopnest.spec.located import LocDict, QuotedStr, where

CONSTRAINT_NUMERIC_KEYS = ("split", "maximize_dims_capacity", "proportion", "min", "max",
                           "default_max_factor", "default_min_factor")
NODE_NUMERIC_KEYS = ("enabled", "area_scale", "energy_scale")


class _Scope(dict):
    """A chain of mappings looked up innermost first (read-only view for expressions)."""

    def __init__(self, *layers: Any) -> None:
        super().__init__()
        self.layers = [l for l in layers if l is not None]

    def __contains__(self, k: object) -> bool:
        return any(k in l for l in self.layers)

    def __getitem__(self, k: Any) -> Any:
        for l in reversed(self.layers):
            if k in l:
                return l[k]
        raise KeyError(k)


def _is_expr(v: Any) -> bool:
    return isinstance(v, str) and not isinstance(v, QuotedStr) and v.strip() != ""


def eval_value(value: Any, scope: Any, node: Any, key: Any, lenient: bool = False) -> Any:
    """Evaluate one unquoted string (recursing into lists/dicts); errors located at node[key]."""
    if isinstance(value, dict):
        for k in list(value.keys()):
            value[k] = eval_value(value[k], scope, value, k, lenient)
        return value
    if isinstance(value, list):
        for i in range(len(value)):
            value[i] = eval_value(value[i], scope, value, i, lenient)
        return value
    if not _is_expr(value):
        return value
    try:
        return evaluate(value, scope)
    except LimitError as e:  # never lenient: the expression asked for too much work
        file, line, path = where(node, key)
        raise LimitError(e.message, file=file, line=line, path=path, hint=e.hint) from None
    except ExprError as e:
        if lenient:
            return value
        hint = e.hint or ("quote it (\"...\") if it is meant as a literal string"
                          if "not defined" in e.message or "invalid" in e.message else None)
        file, line, path = where(node, key)
        raise SpecError(e.message, file=file, line=line, path=path, hint=hint) from None


def _eval_mapping_seq(d: Any, base: Any, lenient: bool) -> None:
    """Evaluate the values of dict `d` in order; each sees the earlier keys."""
    if not isinstance(d, dict):
        return
    own: dict = {}
    scope = _Scope(base, own)
    for k in list(d.keys()):
        d[k] = eval_value(d[k], scope, d, k, lenient)
        own[k] = d[k]


def evaluate_spec(spec: LocDict) -> LocDict:
    """Evaluate variables and expressions of a merged spec, in place; returns it."""
    variables = spec.get("variables")
    var_scope: dict = {}
    root = _Scope({"spec": spec}, var_scope)
    if isinstance(variables, dict):
        for k in list(variables.keys()):
            if k == "version":
                continue
            variables[k] = eval_value(variables[k], root, variables, k)
            var_scope[k] = variables[k]
    arch = spec.get("architecture")
    if isinstance(arch, dict):
        if isinstance(arch.get("nodes"), list):
            leaves: dict = {}
            _eval_nodes(arch["nodes"], _Scope(root, leaves), {}, leaves)
        elif isinstance(arch.get("subtree"), list):
            for st in arch["subtree"]:
                _eval_tree(st, root, {})
    problem = spec.get("problem")
    if isinstance(problem, dict) and isinstance(problem.get("instance"), dict):
        inst = problem["instance"]
        own: dict = {}
        scope = _Scope(root, own)
        for k in list(inst.keys()):
            if k == "densities":
                continue
            inst[k] = eval_value(inst[k], scope, inst, k)
            own[k] = inst[k]
    for key, val in spec.items():
        if "constraints" in str(key) or key == "mapping":
            for d in _directives(val):
                for k in CONSTRAINT_NUMERIC_KEYS:
                    if k in d:
                        d[k] = eval_value(d[k], root, d, k)
    return spec


def _directives(val: Any) -> list:
    """Directive dicts in a constraints/mapping value (list, or dict with targets/constraints)."""
    if isinstance(val, list):
        out = []
        for d in val:
            if isinstance(d, dict):
                out.append(d)
                if isinstance(d.get("constraints"), list):
                    out.extend(x for x in d["constraints"] if isinstance(x, dict))
        return out
    if isinstance(val, dict):
        return _directives(val.get("targets") or []) + _directives(val.get("constraints") or [])
    return []


def _eval_nodes(nodes: list, scope: Any, inherited: dict, leaves: dict) -> None:
    """v0.4 `nodes` list, top (outer) to bottom; containers' attributes flow down."""
    inherited = dict(inherited)
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("nodes"), list):  # Parallel / Hierarchical / Pipelined
            _eval_nodes(node["nodes"], scope, inherited, leaves)
            continue
        attrs = node.get("attributes")
        _eval_mapping_seq(attrs, _Scope(scope, inherited), lenient=False)
        own_scope = _Scope(scope, inherited, attrs if isinstance(attrs, dict) else None)
        sp = node.get("spatial")
        if isinstance(sp, dict):
            for k in list(sp.keys()):
                sp[k] = eval_value(sp[k], own_scope, sp, k)
        for k in NODE_NUMERIC_KEYS:
            if k in node:
                node[k] = eval_value(node[k], own_scope, node, k)
        cons = node.get("constraints")
        if isinstance(cons, dict):
            for sub in cons.values():
                if isinstance(sub, dict):
                    for k in CONSTRAINT_NUMERIC_KEYS:
                        if k in sub:
                            sub[k] = eval_value(sub[k], own_scope, sub, k)
        if "name" in node:
            leaves[str(node["name"])] = node
        if getattr(node, "tag", None) == "!Container" and isinstance(attrs, dict):
            inherited.update(attrs)


def _eval_tree(node: Any, scope: Any, inherited: dict) -> None:
    """v0.2/v0.3 `subtree`/`local` tree: attributes evaluated leniently, inherited downward."""
    if not isinstance(node, dict):
        return
    attrs = node.get("attributes")
    _eval_mapping_seq(attrs, _Scope(scope, inherited), lenient=True)
    inner = dict(inherited)
    if isinstance(attrs, dict):
        inner.update(attrs)
    local, subtree = node.get("local"), node.get("subtree")
    for comp in local if isinstance(local, list) else []:  # other shapes: the schema says
        if isinstance(comp, dict):
            _eval_mapping_seq(comp.get("attributes"), _Scope(scope, inner), lenient=True)
    for st in subtree if isinstance(subtree, list) else []:
        _eval_tree(st, scope, inner)
