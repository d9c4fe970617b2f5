"""What the model and mapper call: price every component of a TL-native spec.

    estimate_tables(native) -> (CostTables, ERT, ART)

`native` is the Timeloop-native spec dict (`architecture` tree,
`compound_components` / `components`, optional `ERT` / `ART` /
`primitive_tables`). Components named in a given ERT are left alone (the
caller already has their costs); every other enabled component is priced by
the estimators. Values are rounded as Accelergy writes them (6 decimals), which
is what Timeloop reads back. ERT and ART are returned as the inside of
Accelergy's top keys (`{version, tables}`), the shape `tables_from_spec` reads.
Nothing is silently priced at zero: unknown classes, missing or negative
attributes, unsupported technologies and unknown actions raise a located
EstimationError.
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy.accelergy import (documents, given_names, price_components, registry_for,
                                       rounded)
from loopnest.energy.flatten import arch_version, is_v04
from loopnest.energy.tables import ComponentCost, CostTables, level_key


def estimate(native: dict, models: str = "accelergy2024") -> tuple[CostTables, dict]:
    """CostTables for the components not already in `native['ERT']`, and Accelergy's
    documents (ERT, summaries, ART, flattened architecture) of the same pricing.

    `models` picks the estimator profile: "accelergy2024" (the stack behind Timeloop's
    reference outputs, the default) or "hwcomponents" (the newer fitted models).
    """
    spec: Mapping[str, Any] = native or {}
    priced = price_components(spec, registry_for(spec, models=models),
                              skip=given_names(spec, "ERT"))
    tables, _, _ = _tables(spec, priced)
    return tables, documents(spec, priced)


def estimate_tables(native: dict, models: str = "accelergy2024"
                    ) -> tuple[CostTables, dict, dict]:
    """CostTables for the components not already in `native['ERT']`, plus ERT and ART."""
    spec: Mapping[str, Any] = native or {}
    priced = price_components(spec, registry_for(spec, models=models),
                              skip=given_names(spec, "ERT"))
    return _tables(spec, priced)


def _tables(spec: Mapping[str, Any], priced: list) -> tuple[CostTables, dict, dict]:
    version = arch_version(spec.get("architecture"))
    ver: Any = "0.4" if is_v04(version) else 0.3
    null_args: Any = {} if is_v04(version) else None
    tables = CostTables()
    ert_tables, art_tables = [], []
    for p in priced:
        names = sorted({e for _, e in p.energy_estimators} | {e for _, e in p.area_estimators})
        cost = ComponentCost(name=p.name, area=rounded(p.area),
                             estimator=", ".join(names) or "none")
        for action, args, energy in p.entries:
            e = rounded(energy)
            cost.entries.append((action, dict(args or {}), e))
            cost.actions[action] = max(cost.actions.get(action, e), e)
        tables.components[level_key(p.name)] = cost
        ert_tables.append({"name": p.name, "actions": [
            {"name": a, "arguments": dict(args) if args else null_args, "energy": rounded(e)}
            for a, args, e in p.entries]})
        art_tables.append({"name": p.name, "area": rounded(p.area)})
    return tables, {"version": ver, "tables": ert_tables}, {"version": ver, "tables": art_tables}
