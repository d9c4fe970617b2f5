"""Accelergy's job on a merged spec: ERT, ART, their summaries, the flattened
architecture and (given action counts) energy_estimation, as plain documents.

A given `ERT` (and `ART`) replaces estimation for the components it names, as
Accelergy and Timeloop do; everything else is priced by the estimators.
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy.action_counts import energy_estimation, parse_action_counts
from loopnest.energy.classes import library_from_spec
from loopnest.energy.engine import Priced, price_all
from loopnest.energy.flatten import arch_version, flatten, is_v04
from loopnest.energy.plugin import Registry, default_registry
from loopnest.energy.estimators.table import tables_from_block
from loopnest.errors import SpecError
from loopnest.spec.located import to_plain as _plain

PRECISION = 6  # decimals of ERT/ART values, Accelergy's default


def _out_version(version: str) -> Any:
    return "0.4" if is_v04(version) else 0.3


def rounded(x: float, digits: int = PRECISION) -> float:
    """A value as Accelergy writes it: rounded to `digits` decimals."""
    return round(float(x), digits)


def registry_for(spec: Mapping, plugins: bool = True, models: str = "accelergy2024") -> Registry:
    """Built-ins (the `models` profile) + entry points + the spec's own `primitive_tables`."""
    extra = []
    t = tables_from_block(spec.get("primitive_tables"))
    if t is not None:
        extra.append(t)
    return default_registry(extra=extra, plugins=plugins, models=models)


def given_names(spec: Mapping, key: str) -> set[str]:
    block = spec.get(key) or {}
    return {str(t.get("name")) for t in (block.get("tables") or []) if isinstance(t, Mapping)}


def price_components(spec: Mapping, registry: Registry | None = None,
                     skip: set[str] | None = None) -> list[Priced]:
    """Price every enabled component of `spec['architecture']` not named in `skip`."""
    registry = registry or registry_for(spec)
    arch = spec.get("architecture")
    flats = [c for c in flatten(arch) if c.enabled and not (skip and c.name in skip)]
    return price_all(flats, library_from_spec(spec), registry, is_v04(arch_version(arch)))


def build_documents(spec: Mapping, registry: Registry | None = None,
                    precision: int = PRECISION) -> dict[str, dict]:
    """All Accelergy output documents for `spec`, keyed by file name."""
    arch = spec.get("architecture")
    if arch is None and not spec.get("ERT"):
        raise SpecError("nothing to estimate: no 'architecture' (or 'ERT') in the input",
                        hint="pass the architecture and compound component files")
    priced = price_components(spec, registry, skip=given_names(spec, "ERT")) if arch else []
    return documents(spec, priced, precision)


def documents(spec: Mapping, priced: list[Priced], precision: int = PRECISION
              ) -> dict[str, dict]:
    """Accelergy's output documents for components already priced (plus a given ERT/ART)."""
    arch = spec.get("architecture")
    ert_in = spec.get("ERT") or None
    art_in = spec.get("ART") or None
    version = arch_version(arch) if arch is not None else str((ert_in or {}).get("version", 0.3))
    ver = _out_version(version)
    null_args = {} if is_v04(version) else None

    def fmt(x: float) -> float:
        return rounded(x, precision)

    ert_tables = [dict(t) for t in (ert_in or {}).get("tables") or []]
    art_tables = [dict(t) for t in (art_in or {}).get("tables") or []]
    ert_summary, art_summary = [], []
    art_given = given_names(spec, "ART")
    for p in priced:
        ert_tables.append({"name": p.name, "actions": [
            {"name": a, "arguments": dict(args) if args else null_args, "energy": fmt(e)}
            for a, args, e in p.entries]})
        ert_summary.append({"name": p.name, "actions": summary_actions(p, fmt),
                            "primitive_estimation(s)": [
                                {"name": n, "estimator": e} for n, e in p.energy_estimators]})
        if p.name in art_given:
            continue
        art_tables.append({"name": p.name, "area": fmt(p.area)})
        est: Any
        if p.primitive:
            est = p.area_estimators[0][1] if p.area_estimators else "none"
        else:
            est = [{"name": n, "estimator": e} for n, e in p.area_estimators]
        art_summary.append({"name": p.name, "area": fmt(p.area), "primitive_estimations": est})

    docs: dict[str, dict] = {
        "ERT.yaml": {"ERT": {"version": ver, "tables": ert_tables}},
        "ERT_summary.yaml": {"ERT_summary": {"version": ver, "table_summary": ert_summary}},
        "ART.yaml": {"ART": {"version": ver, "tables": art_tables}},
        "ART_summary.yaml": {"ART_summary": {"version": ver, "table_summary": art_summary}},
    }
    if priced:
        docs["flattened_architecture.yaml"] = flattened_document(priced, ver)
    if spec.get("action_counts") is not None:
        counts = parse_action_counts(spec["action_counts"])
        docs["energy_estimation.yaml"] = energy_estimation(
            counts, docs["ERT.yaml"]["ERT"], version=0.3 if not is_v04(version) else ver)
    return docs


def summary_actions(p: Priced, fmt) -> list[dict]:
    """Per action its energy, or average/max/min over its argument rows (ERT_summary)."""
    out = []
    for a in dict.fromkeys(x[0] for x in p.entries):
        es = [fmt(e) for n, _, e in p.entries if n == a]
        if len(es) == 1:
            out.append({"name": a, "energy": es[0]})
        else:
            out.append({"name": a, "average_energy": fmt(sum(es) / len(es)),
                        "max_energy": max(es), "min_energy": min(es)})
    return out


def flattened_document(priced: list[Priced], ver: Any) -> dict:
    local = []
    for p in priced:
        entry: dict = {"name": p.name, "class": p.class_name,
                       "attributes": {k: _plain(v) for k, v in p.attributes.items()}}
        if ver == "0.4":
            entry["required_actions"] = list(dict.fromkeys(a for a, _, _ in p.entries))
            entry["enabled"] = True
        local.append(entry)
    return {"architecture": {"version": ver, "local": local}}
