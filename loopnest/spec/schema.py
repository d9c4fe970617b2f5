"""JSON-Schema checks of a rendered spec, with errors mapped back to file/line/YAML path.

The schemas live in the top-level `schemas/` directory, shipped in the wheel as
`loopnest/schemas/` (package data); one file per top-level key. v0.4
architecture nodes are checked one by one against the definition their tag
selects (`!Component`, `!Container`, ...).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from loopnest.errors import SpecError
from loopnest.spec.hints import closest_hint
from loopnest.spec.located import child_path, where

SCHEMA_FOR_KEY = {
    "architecture": "architecture", "problem": "problem", "mapping": "mapping",
    "mapper": "mapper", "variables": "variables", "components": "components",
    "compound_components": "components", "ERT": "ERT", "ART": "ART", "globals": "globals",
    "mapspace": "mapspace", "sparse_optimizations": "sparse_optimizations",
    "action_counts": "action_counts", "primitive_tables": "primitive_tables",
}
OTHER_TOP_KEYS = ("dumped_by_timeloop_front_end", "ignore", "arch", "model")
TAG_DEF = {"!Component": "Component", "!Container": "Container", "!Parallel": "Group",
           "!Hierarchical": "Group", "!Pipelined": "Group", "!Nothing": "Nothing"}


@lru_cache(maxsize=None)
def load_schemas() -> dict[str, dict]:
    """All schema documents by short name (`architecture`, `directive`, ...)."""
    import importlib.resources as res

    out = {}
    for p in (res.files("loopnest") / "schemas").iterdir():
        if p.name.endswith(".schema.json"):
            out[p.name[: -len(".schema.json")]] = json.loads(p.read_text(encoding="utf-8"))
    return out


@lru_cache(maxsize=None)
def _registry() -> Any:
    from referencing import Registry, Resource

    reg = Registry()
    for doc in load_schemas().values():
        reg = reg.with_resource(doc["$id"], Resource.from_contents(doc))
    return reg


@lru_cache(maxsize=None)
def validator(name: str, definition: str | None = None) -> Any:
    """A Draft 2020-12 validator for schema `name` (or one of its `$defs`)."""
    from jsonschema import Draft202012Validator

    doc = load_schemas()[name]
    schema = doc if definition is None else {"$ref": f"{doc['$id']}#/$defs/{definition}"}
    return Draft202012Validator(schema, registry=_registry())


def _locate(root: Any, rel_path: list, base_path: str) -> tuple[Any, Any]:
    """(deepest located container, key) for a jsonschema error path below `root`."""
    node, key = root, None
    for part in rel_path:
        if key is not None:
            node = node[key]
        key = part
    return node, key


def _error(err: Any, root: Any) -> SpecError:
    """Turn a jsonschema error into a located SpecError with a hint."""
    node, key = _locate(root, list(err.absolute_path), getattr(root, "path", ""))
    v = err.validator
    hint = None
    msg = err.message
    if v == "additionalProperties":
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        bad = extra[0] if extra else "?"
        allowed = list(err.schema.get("properties", {}).keys())
        file, line, path = where(err.instance, bad) if extra else where(node, key)
        return SpecError(f"unknown key '{bad}'", file=file, line=line, path=path,
                         hint=closest_hint(bad, allowed, "key"))
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        file, line, path = where(err.instance)
        return SpecError(f"missing required key '{missing}'", file=file, line=line,
                         path=path or None, hint=f"add `{missing}:` here")
    if v == "enum":
        msg = f"value {err.instance!r} is not allowed"
        hint = "allowed values: " + ", ".join(map(str, err.validator_value))
        c = closest_hint(str(err.instance), [str(x) for x in err.validator_value])
        if c and c.startswith("did you"):
            hint = c + " (" + hint + ")"
    elif v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        got = {"LocList": "list", "LocDict": "mapping", "QuotedStr": "string", "str": "string",
               "dict": "mapping", "NoneType": "null"}.get(type(err.instance).__name__,
                                                          type(err.instance).__name__)
        msg = f"expected {want}, got {got} {_short(err.instance)}"
        hint = f"give a value of type {want}"
    elif v in ("exclusiveMinimum", "minimum"):
        op = ">" if v == "exclusiveMinimum" else ">="
        msg = f"must be {op} {err.validator_value}, got {err.instance!r}"
        hint = "sizes and counts must be positive"
    elif v == "minItems":
        msg = "must not be empty"
    elif v == "oneOf":
        msg = f"has the wrong form ({type(err.instance).__name__})"
        hint = "see the schema: " + str(err.schema.get("description", ""))[:100]
    file, line, path = where(node, key) if key is not None else where(node)
    return SpecError(msg, file=file, line=line, path=path, hint=hint)


def _short(v: Any) -> str:
    text = repr(v if not isinstance(v, (dict, list)) else (dict if isinstance(v, dict) else list)(v))
    return text if len(text) < 60 else text[:57] + "..."


def _best(errors: list) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(errors) if errors else None


def check(name: str, value: Any, definition: str | None = None) -> None:
    """Validate `value` against schema `name`; raise the best error, located."""
    errs = list(validator(name, definition).iter_errors(value))
    if errs:
        typos = [e for e in errs if e.validator == "additionalProperties"]
        err = typos[0] if typos else _best(errs)
        # prefer the deepest error inside a oneOf so the message is specific
        while err.context:
            err = _best(list(err.context))
        raise _error(err, value)


def check_top_keys(spec: Any) -> None:
    """Every top-level key must be one we know (or contain 'constraints')."""
    known = list(SCHEMA_FOR_KEY) + list(OTHER_TOP_KEYS)
    for k in spec:
        if str(k) in known or "constraints" in str(k):
            continue
        file, line, path = where(spec, k)
        raise SpecError(f"unknown top-level key '{k}'", file=file, line=line, path=path,
                        hint=closest_hint(str(k), known + ["architecture_constraints",
                                                          "mapspace_constraints"], "key"))


def check_spec(spec: Any) -> None:
    """Schema-check every top-level key of a loaded spec."""
    check_top_keys(spec)
    for key, val in spec.items():
        name = SCHEMA_FOR_KEY.get(str(key)) or ("constraints" if "constraints" in str(key)
                                                else None)
        if name is None:
            continue
        try:
            check(name, val)
        except SpecError as e:  # a scalar section has no location of its own
            raise e.located(spec, key) from None
        if name == "architecture" and isinstance(val, dict) and isinstance(val.get("nodes"), list):
            check_nodes(val["nodes"])


def check_nodes(nodes: list) -> None:
    """Check each v0.4 node against the definition its tag selects."""
    for i, n in enumerate(nodes):
        tag = getattr(n, "tag", None)
        if not isinstance(n, dict):
            file, line, path = where(nodes, i)
            raise SpecError("an architecture node must be a mapping", file=file, line=line,
                            path=path)
        if tag is None:
            tag = "!Parallel" if "nodes" in n and "name" not in n else (
                "!Component" if "class" in n else "!Container")
        d = TAG_DEF.get(tag)
        if d is None:
            file, line, path = where(nodes, i)
            raise SpecError(f"unknown node tag {tag}", file=file, line=line, path=path,
                            hint=closest_hint(tag, list(TAG_DEF), "tag"))
        check("architecture", n, d)
        if d == "Group":
            check_nodes(n.get("nodes") or [])


__all__ = ["check_spec", "check", "load_schemas", "child_path"]
