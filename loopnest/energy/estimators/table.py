"""User-given primitive tables: fixed energies per (class, attributes, action, arguments).

The YAML key `primitive_tables` (docs/energy.md) lists entries
`{class, attributes (to match, optional), area, leak_power, actions: {name:
energy | [{arguments, energy}]}}`. It plays the role of Accelergy's
table-based plug-ins: published or measured numbers beat a model, so its
default accuracy (100) wins over every built-in estimator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from loopnest.energy import units
from loopnest.energy.plugin import Estimator, EstimatorInputError
from loopnest.errors import SpecError


def _same(a: Any, b: Any) -> bool:
    x, y = units.to_number(a), units.to_number(b)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-12 * max(1.0, abs(x), abs(y))
    return str(a).strip().lower() == str(b).strip().lower()


@dataclass
class TableEntry:
    class_name: str
    match: dict
    actions: dict  # action -> list of (arguments dict | None, energy)
    area: float = 0.0
    leak_power: float = 0.0

    def matches(self, class_name: str, attributes: Mapping[str, Any]) -> bool:
        if class_name.lower() != self.class_name.lower():
            return False
        return all(k in attributes and _same(attributes[k], v) for k, v in self.match.items())


@dataclass
class TableEstimator(Estimator):
    entries: list[TableEntry] = field(default_factory=list)
    name: str = "table"
    accuracy: float = 100.0

    def supports(self, class_name: str) -> bool:
        return any(e.class_name.lower() == class_name.lower() for e in self.entries)

    def _entry(self, class_name: str, attributes: Mapping[str, Any]) -> TableEntry:
        for e in self.entries:
            if e.matches(class_name, attributes):
                return e
        raise EstimatorInputError(f"no '{self.name}' table row for class '{class_name}' with "
                                  f"these attributes")

    def check(self, class_name, attributes) -> None:
        self._entry(class_name, attributes)

    def supported_actions(self, class_name, attributes):
        return tuple(self._entry(class_name, attributes).actions) + ("leak",)

    def energy(self, class_name, attributes, action, arguments) -> float:
        e = self._entry(class_name, attributes)
        rows = e.actions.get(action)
        if rows is None:
            if action == "leak":
                return self.leak_energy(class_name, attributes, arguments)
            raise EstimatorInputError(f"table has no action '{action}' for '{class_name}'")
        for args, energy in rows:
            if args is None or all(k in arguments and _same(arguments[k], v)
                                   for k, v in args.items()):
                return energy
        raise EstimatorInputError(
            f"table has no row for action '{action}' with arguments {dict(arguments)}")

    def area(self, class_name, attributes) -> float:
        return self._entry(class_name, attributes).area

    def leak_power(self, class_name, attributes) -> float:
        return self._entry(class_name, attributes).leak_power


def _num(v: Any, node: Any, key: Any) -> float:
    x = units.to_number(v)
    if x is None or x < 0:
        raise SpecError(f"'{key}' must be a non-negative number, got {v!r}").located(node, key)
    return x


def tables_from_block(block: Any) -> TableEstimator | None:
    """Build a TableEstimator from a `primitive_tables` block (None when absent)."""
    if not block:
        return None
    if isinstance(block, list):
        block = {"tables": block}
    entries = []
    for t in block.get("tables") or []:
        if not isinstance(t, Mapping) or "class" not in t:
            raise SpecError("a primitive_tables entry needs a 'class'").located(t)
        acts: dict = {}
        for name, spec in (t.get("actions") or {}).items():
            rows = []
            if isinstance(spec, list):
                for r in spec:
                    rows.append((dict(r.get("arguments") or {}) or None,
                                 _num(r.get("energy"), r, "energy")))
            else:
                rows.append((None, _num(spec, t.get("actions"), name)))
            acts[str(name)] = rows
        entries.append(TableEntry(class_name=str(t["class"]), match=dict(t.get("attributes") or {}),
                                  actions=acts, area=_num(t.get("area", 0), t, "area"),
                                  leak_power=_num(t.get("leak_power", 0), t, "leak_power")))
    return TableEstimator(entries=entries, name=str(block.get("name", "table")),
                          accuracy=float(block.get("accuracy", 100.0)))
