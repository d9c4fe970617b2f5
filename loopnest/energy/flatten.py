"""Flatten an Accelergy / Timeloop-native architecture tree into a list of components.

Accepted shapes (FORMATS.md §6): `architecture: {version, subtree: [{name,
attributes, local: [...], subtree: [...]}]}` (Accelergy v0.2/v0.3 and the TL
v0.4 native tree), and the already flat `architecture: {version, local: [...]}`
(as in flattened_architecture.yaml). Tree attributes are inherited by every
descendant; a component's own attributes override them. Names are joined with
dots and keep their ranges (`system.PE[0..4].buffer`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from loopnest.errors import SpecError

V04_DEFAULTS = {"action_latency_cycles": 1}


@dataclass
class FlatComponent:
    name: str
    class_name: str
    attributes: dict  # inherited + own, raw (not yet merged with class defaults)
    required_actions: list = field(default_factory=list)
    enabled: bool = True
    node: Any = None
    own: dict = field(default_factory=dict)


def arch_version(arch: Mapping | None) -> str:
    v = (arch or {}).get("version", "0.4") if isinstance(arch, Mapping) else "0.4"
    return str(v)


def is_v04(version: Any) -> bool:
    try:
        return float(str(version)) >= 0.4
    except ValueError:
        return True


def _components(node: Mapping, prefix: str, inherited: dict, out: list, v04: bool) -> None:
    attrs = dict(inherited)
    attrs.update(dict(node.get("attributes") or {}))
    name = node.get("name")
    here = f"{prefix}.{name}" if (prefix and name) else (name or prefix)
    if not v04:  # Accelergy v0.2/v0.3 list a node's subtrees before its locals
        for sub in node.get("subtree") or []:
            if not isinstance(sub, Mapping):
                raise SpecError("a subtree entry must be a mapping").located(sub)
            _components(sub, here, attrs, out, v04)
    for comp in node.get("local") or []:
        if not isinstance(comp, Mapping) or "name" not in comp:
            raise SpecError("an architecture component needs a 'name'").located(comp)
        if "class" not in comp:
            raise SpecError(f"component '{comp['name']}' has no 'class'",
                            hint="every local component names its class (primitive or "
                                 "compound)").located(comp)
        a = dict(attrs)
        own = dict(comp.get("attributes") or {})
        a.update(own)
        if v04:
            for k, v in V04_DEFAULTS.items():
                a.setdefault(k, v)
            if "global_cycle_seconds" in a:
                a.setdefault("cycle_seconds", a["global_cycle_seconds"])
        full = f"{here}.{comp['name']}" if here else str(comp["name"])
        out.append(FlatComponent(
            # v0.4: `class` picks Timeloop's level type, `subclass` the Accelergy class
            name=full, class_name=str(comp.get("subclass") or comp["class"]), attributes=a,
            required_actions=list(comp.get("required_actions") or []),
            enabled=bool(comp.get("enabled", True)), node=comp, own=own))
    if v04:
        for sub in node.get("subtree") or []:
            if not isinstance(sub, Mapping):
                raise SpecError("a subtree entry must be a mapping").located(sub)
            _components(sub, here, attrs, out, v04)


def flatten(arch: Mapping | None) -> list[FlatComponent]:
    """Components of the architecture, in declaration order (locals before subtrees)."""
    if not arch:
        return []
    if not isinstance(arch, Mapping):
        raise SpecError("'architecture' must be a mapping").located(arch)
    if "nodes" in arch and "subtree" not in arch and "local" not in arch:
        try:
            from loopnest.spec.native import to_native  # v0.4 spec -> TL-native tree
        except ImportError as e:  # pragma: no cover - depends on the spec package
            raise SpecError("v0.4 'architecture: nodes' needs loopnest.spec.native") from e
        arch = to_native({"architecture": arch})["architecture"]
    v04 = is_v04(arch_version(arch))
    out: list[FlatComponent] = []
    _components({"local": arch.get("local") or [], "subtree": arch.get("subtree") or [],
                 "attributes": arch.get("attributes") or {}}, "", {}, out, v04)
    return out
