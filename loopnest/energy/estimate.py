"""What the model and mapper call: price every component of a TL-native spec.

    estimate_tables(native) -> (CostTables, ERT, ART)

`native` is the Timeloop-native spec dict (`architecture` tree,
`compound_components` / `components`, optional `ERT` / `ART` /
`primitive_tables`). Components named in a given ERT are left alone (the
caller already has their costs); every other enabled component is priced by
the estimators. ERT and ART are returned as the inside of Accelergy's top
keys (`{version, tables}`), the shape `tables_from_spec` reads. Nothing is
silently priced at zero: unknown classes, missing or negative attributes,
unsupported technologies and unknown actions raise a located EstimationError.
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy.accelergy import given_names, price_components, registry_for
from loopnest.energy.flatten import arch_version, is_v04
from loopnest.energy.tables import ComponentCost, CostTables, level_key


def estimate_tables(native: dict) -> tuple[CostTables, dict, dict]:
    """CostTables for the components not already in `native['ERT']`, plus ERT and ART."""
    spec: Mapping[str, Any] = native or {}
    priced = price_components(spec, registry_for(spec), skip=given_names(spec, "ERT"))
    version = arch_version(spec.get("architecture"))
    ver: Any = "0.4" if is_v04(version) else 0.3
    null_args: Any = {} if is_v04(version) else None
    tables = CostTables()
    ert_tables, art_tables = [], []
    for p in priced:
        names = sorted({e.estimator for e in p.energy_estimations} |
                       {e.estimator for e in p.area_estimations})
        cost = ComponentCost(name=p.name, area=p.area, estimator=", ".join(names) or "none")
        for action, args, energy in p.entries:
            cost.entries.append((action, dict(args or {}), energy))
            cost.actions[action] = max(cost.actions.get(action, energy), energy)
        tables.components[level_key(p.name)] = cost
        ert_tables.append({"name": p.name, "actions": [
            {"name": a, "arguments": dict(args) if args else null_args, "energy": e}
            for a, args, e in p.entries]})
        art_tables.append({"name": p.name, "area": p.area})
    return tables, {"version": ver, "tables": ert_tables}, {"version": ver, "tables": art_tables}
