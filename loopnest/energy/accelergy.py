"""Accelergy's job on a merged spec: ERT, ART, their summaries, the flattened
architecture and (given action counts) energy_estimation, as plain documents.

A given `ERT` (and `ART`) replaces estimation for the components it names, as
Accelergy and Timeloop do; everything else is priced by the estimators.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from loopnest.energy.action_counts import energy_estimation, parse_action_counts
from loopnest.energy.classes import library_from_spec
from loopnest.energy.engine import Estimation, Pricer
from loopnest.energy.flatten import FlatComponent, arch_version, flatten, is_v04
from loopnest.energy.plugin import Registry, default_registry
from loopnest.energy.estimators.table import tables_from_block
from loopnest.errors import SpecError

from loopnest.spec.located import to_plain as _plain


@dataclass
class Priced:
    """One top-level component: its ERT rows, area and who priced them."""

    name: str
    class_name: str
    attributes: dict
    entries: list[tuple[str, dict | None, float]] = field(default_factory=list)
    area: float | None = None
    energy_estimations: list[Estimation] = field(default_factory=list)
    area_estimations: list[Estimation] = field(default_factory=list)
    primitive: bool = True
    comp: FlatComponent | None = None


def _out_version(version: str) -> Any:
    return "0.4" if is_v04(version) else 0.3


def _round(x: float, digits: int = 6) -> float:
    """Energies/areas as Accelergy prints them (v0.3: 3 decimals, v0.4: 6); values
    below 1e-3 keep 4 significant digits instead of printing as 0."""
    if x == 0 or abs(x) >= 1e-3:
        return round(x, digits)
    return float(f"{x:.4g}")


def registry_for(spec: Mapping, plugins: bool = True) -> Registry:
    """Built-ins + entry points + the spec's own `primitive_tables`."""
    extra = []
    t = tables_from_block(spec.get("primitive_tables"))
    if t is not None:
        extra.append(t)
    return default_registry(extra=extra, plugins=plugins)


def given_names(spec: Mapping, key: str) -> set[str]:
    block = spec.get(key) or {}
    return {str(t.get("name")) for t in (block.get("tables") or []) if isinstance(t, Mapping)}


def price_components(spec: Mapping, registry: Registry | None = None,
                     skip: set[str] | None = None) -> list[Priced]:
    """Price every enabled component of `spec['architecture']` not named in `skip`."""
    registry = registry or registry_for(spec)
    library = library_from_spec(spec)
    pricer = Pricer(registry, library)
    arch = spec.get("architecture")
    version = arch_version(arch)
    v04 = is_v04(version)
    out = []
    for comp in flatten(arch):
        if not comp.enabled or (skip and comp.name in skip):
            continue
        inst = pricer.top_instance(comp.name, comp.class_name, comp.attributes, comp.node)
        p = Priced(comp.name, comp.class_name, inst.attributes, primitive=inst.cls is None,
                   comp=comp)
        for action in pricer.action_names(inst, comp.required_actions if v04 else None):
            for args in pricer.argument_combinations(inst, action):
                e = pricer.energy(inst, action, args, p.energy_estimations)
                p.entries.append((action, args, e))
        p.area = pricer.area(inst, p.area_estimations)
        out.append(p)
    return out


def build_documents(spec: Mapping, registry: Registry | None = None) -> dict[str, dict]:
    """All Accelergy output documents for `spec`, keyed by file name."""
    arch = spec.get("architecture")
    ert_in = spec.get("ERT") or None
    art_in = spec.get("ART") or None
    if arch is None and ert_in is None:
        raise SpecError("nothing to estimate: no 'architecture' (or 'ERT') in the input",
                        hint="pass the architecture and compound component files")
    version = arch_version(arch) if arch is not None else str((ert_in or {}).get("version", 0.3))
    ver = _out_version(version)
    priced = price_components(spec, registry, skip=given_names(spec, "ERT")) if arch else []

    null_args = {} if is_v04(version) else None
    digits = 6 if is_v04(version) else 3

    def _fmt(x: float) -> float:
        return _round(x, digits)

    ert_tables = [dict(t) for t in (ert_in or {}).get("tables") or []]
    art_tables = [dict(t) for t in (art_in or {}).get("tables") or []]
    ert_summary, art_summary = [], []
    for p in priced:
        actions = [{"name": a, "arguments": dict(args) if args else null_args,
                    "energy": _fmt(e)} for a, args, e in p.entries]
        ert_tables.append({"name": p.name, "actions": actions})
        summary_actions = []
        for a in dict.fromkeys(x[0] for x in p.entries):
            es = [_fmt(e) for n, _, e in p.entries if n == a]
            if len(es) == 1:
                summary_actions.append({"name": a, "energy": es[0]})
            else:
                summary_actions.append({"name": a, "average_energy": _fmt(sum(es) / len(es)),
                                        "max_energy": max(es), "min_energy": min(es)})
        ert_summary.append({"name": p.name, "actions": summary_actions,
                            "primitive_estimation(s)": [
                                {"name": r.name, "estimator": r.estimator}
                                for r in p.energy_estimations]})
        if p.name not in given_names(spec, "ART"):
            art_tables.append({"name": p.name, "area": _fmt(p.area or 0.0)})
            est: Any
            if p.primitive:
                est = p.area_estimations[0].estimator if p.area_estimations else "none"
            else:
                est = [{"name": r.name, "estimator": r.estimator} for r in p.area_estimations]
            art_summary.append({"name": p.name, "area": _fmt(p.area or 0.0),
                                "primitive_estimations": est})

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


def flattened_document(priced: list[Priced], ver: Any) -> dict:
    local = []
    for p in priced:
        attrs = {k: _plain(p.attributes[k]) for k in sorted(p.attributes)}
        entry: dict = {"name": p.name, "class": p.class_name, "attributes": attrs}
        if ver == "0.4":
            entry["required_actions"] = list(dict.fromkeys(a for a, _, _ in p.entries))
            entry["enabled"] = True
        local.append(entry)
    return {"architecture": {"version": ver, "local": local}}
