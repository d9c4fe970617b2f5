"""Compound component classes (Accelergy v0.2 / v0.3 / v0.4) parsed into plain records.

Input shapes accepted (FORMATS.md §6.1): `compound_components: {version,
classes: [...]}`, `components: {version, classes: [...]}` or a bare list of
classes. v0.2/v0.3 keys `action_share`/`area_share` are read as the v0.4
`energy_scale`/`area_scale`; `repeat` multiplies like a scale. Values stay raw
(expressions are evaluated per instance by the engine); each record keeps its
located spec node for error messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from loopnest.energy.names import split_name
from loopnest.errors import SpecError


@dataclass
class SubAction:
    name: str
    arguments: dict
    energy_scale: Any  # raw expression or number (product of energy_scale/action_share/repeat)
    node: Any = None


@dataclass
class ActionRef:
    sub: str  # subcomponent reference, may carry a range: `address_generators[0..1]`
    actions: list[SubAction]
    node: Any = None


@dataclass
class ActionDef:
    name: str
    arguments: dict  # argument name -> range text `0..n` or a value
    refs: list[ActionRef]
    node: Any = None


@dataclass
class SubcomponentDecl:
    name: str  # with range: `storage[1..width*depth]`
    class_name: str
    attributes: dict
    area_scale: Any
    energy_scale: Any
    node: Any = None

    @property
    def base(self) -> str:
        return split_name(self.name)[0]


@dataclass
class ComponentClass:
    name: str
    attributes: dict
    subcomponents: list[SubcomponentDecl]
    actions: dict[str, ActionDef]
    node: Any = None
    file_version: Any = None

    def sub(self, base: str) -> SubcomponentDecl | None:
        for s in self.subcomponents:
            if s.base == base:
                return s
        return None


@dataclass
class ClassLibrary:
    """Compound classes by name (case-sensitive as Accelergy; lookups fall back to lower case)."""

    classes: dict[str, ComponentClass] = field(default_factory=dict)

    def get(self, name: str) -> ComponentClass | None:
        c = self.classes.get(name)
        if c is None:
            low = str(name).lower()
            for k, v in self.classes.items():
                if k.lower() == low:
                    return v
        return c

    def add(self, c: ComponentClass) -> None:
        self.classes[c.name] = c


def _scale(d: Mapping, *keys: str) -> Any:
    """Product of the scale keys present (as an expression string when needed)."""
    vals = [d[k] for k in keys if k in d and d[k] is not None]
    if not vals:
        return 1
    if len(vals) == 1:
        return vals[0]
    return " * ".join(f"({v})" for v in vals)


def _listify(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, list):
        return x
    if isinstance(x, Mapping):  # {name: {...}} form
        for k, v in x.items():
            if v is not None and not isinstance(v, Mapping):
                raise SpecError(f"'{k}' must be followed by a mapping (name: {{...}} form) "
                                f"or be an item of a list, got {v!r}").located(x, k)
        return [dict(v or {}, name=k) for k, v in x.items()]
    return [x]


def _mapping(node: Any, key: str, what: str) -> dict:
    """`node[key]` as a dict (absent: empty); anything else is a located error."""
    v = node.get(key)
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise SpecError(f"'{key}' of {what} must be a mapping of names to values, got {v!r}"
                        ).located(node, key)
    return dict(v)


def _parse_class(c: Mapping, version: Any) -> ComponentClass:
    if not isinstance(c, Mapping) or "name" not in c:
        raise SpecError("a compound component class needs a 'name'").located(c)
    subs = []
    for s in _listify(c.get("subcomponents")):
        if not isinstance(s, Mapping) or "name" not in s or "class" not in s:
            raise SpecError(f"subcomponent of class '{c['name']}' needs 'name' and 'class'"
                            ).located(s).located(c, "subcomponents")
        subs.append(SubcomponentDecl(
            name=str(s["name"]), class_name=str(s["class"]),
            attributes=_mapping(s, "attributes", f"subcomponent '{s['name']}'"),
            area_scale=_scale(s, "area_scale", "area_share"),
            energy_scale=_scale(s, "energy_scale"),
            node=s))
    actions: dict[str, ActionDef] = {}
    for a in _listify(c.get("actions")):
        if not isinstance(a, Mapping) or "name" not in a:
            raise SpecError(f"action of class '{c['name']}' needs a 'name'").located(a).located(
                c, "actions")
        refs = []
        for r in _listify(a.get("subcomponents")):
            if not isinstance(r, Mapping) or "name" not in r:
                raise SpecError("action subcomponent reference needs a 'name'").located(
                    r).located(a).located(c, "actions")
            subacts = []
            for sa in _listify(r.get("actions")):
                if isinstance(sa, str):
                    sa = {"name": sa}
                if not isinstance(sa, Mapping) or "name" not in sa:
                    raise SpecError(f"an action of subcomponent '{r['name']}' in action "
                                    f"'{a['name']}' needs a 'name'").located(
                                        sa if isinstance(sa, Mapping) else r).located(
                                        c, "actions")
                subacts.append(SubAction(
                    name=str(sa["name"]), arguments=_mapping(sa, "arguments", f"'{sa['name']}'"),
                    energy_scale=_scale(sa, "energy_scale", "action_share", "repeat"), node=sa))
            refs.append(ActionRef(sub=str(r["name"]), actions=subacts, node=r))
        actions[str(a["name"])] = ActionDef(
            name=str(a["name"]), arguments=_mapping(a, "arguments", f"action '{a['name']}'"),
            refs=refs, node=a)
    return ComponentClass(name=str(c["name"]),
                          attributes=_mapping(c, "attributes", f"class '{c['name']}'"),
                          subcomponents=subs, actions=actions, node=c, file_version=version)


def _class_lists(spec: Mapping) -> Iterable[tuple[Any, list]]:
    for key in ("compound_components", "components"):
        block = spec.get(key)
        if block is None:
            continue
        if isinstance(block, Mapping):
            yield block.get("version"), _listify(block.get("classes"))
        elif isinstance(block, list):
            # A list of blocks (several files merged) or a list of classes.
            for item in block:
                if isinstance(item, Mapping) and "classes" in item:
                    yield item.get("version"), _listify(item.get("classes"))
                else:
                    yield None, [item]


def library_from_spec(spec: Mapping | None, into: ClassLibrary | None = None) -> ClassLibrary:
    """All compound classes declared in a (merged) spec."""
    lib = into or ClassLibrary()
    if not spec:
        return lib
    for version, classes in _class_lists(spec):
        for c in classes:
            lib.add(_parse_class(c, version))
    return lib
