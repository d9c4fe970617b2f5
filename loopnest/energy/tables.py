"""Per-component energy (per action) and area, as the model consumes them.

`CostTables` is what an ERT/ART pair (given as input, or produced by the
estimators) boils down to for Timeloop's model: table names are matched to
levels by their last dotted part with the `[..]` range removed; per action the
energy is the max over its argument variants (FORMATS.md §6.3).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_RANGE = re.compile(r"\[[^\]]*\]")


def level_key(table_name: str) -> str:
    """`System_top_level.PE[1..16].RF[1..16]` -> `RF`."""
    return _RANGE.sub("", str(table_name)).split(".")[-1]


@dataclass
class ComponentCost:
    """Energy per action (pJ, max over argument variants) and area (um^2) of one component."""

    name: str  # full ERT/ART name
    actions: dict[str, float] = field(default_factory=dict)
    area: float | None = None
    # Full argument-level entries: list of (action, arguments dict, energy).
    entries: list[tuple[str, dict, float]] = field(default_factory=list)
    estimator: str = "ERT"


@dataclass
class CostTables:
    """Costs by level key (see `level_key`)."""

    components: dict[str, ComponentCost] = field(default_factory=dict)

    def get(self, level_name: str) -> ComponentCost | None:
        return self.components.get(level_name)

    def energy(self, level_name: str, names: tuple[str, ...]) -> float | None:
        """First action of `names` the component has (Timeloop's priority lists)."""
        c = self.components.get(level_name)
        if c is None:
            return None
        for n in names:
            if n in c.actions:
                return c.actions[n]
        return None


def tables_from_spec(ert: Any = None, art: Any = None) -> CostTables:
    """Build CostTables from parsed `ERT` / `ART` mappings (the inside of the top keys)."""
    out = CostTables()
    for t in (ert or {}).get("tables", []) or []:
        key = level_key(t["name"])
        c = out.components.setdefault(key, ComponentCost(name=t["name"]))
        for a in t.get("actions", []) or []:
            e = float(a.get("energy", 0.0))
            name = a["name"]
            c.entries.append((name, dict(a.get("arguments") or {}), e))
            c.actions[name] = max(c.actions.get(name, e), e)
    for t in (art or {}).get("tables", []) or []:
        key = level_key(t["name"])
        c = out.components.setdefault(key, ComponentCost(name=t["name"]))
        c.area = float(t.get("area", 0.0))
    return out
