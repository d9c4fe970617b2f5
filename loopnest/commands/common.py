"""Shared CLI plumbing: input-file arguments, `--var` parsing, loading a Design."""
from __future__ import annotations

import argparse

from loopnest.spec.located import to_plain as _plain


def add_io_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="YAML / Jinja2 input files (globs allowed)")
    p.add_argument("-o", "--output-dir", default=".", help="where to write outputs (default .)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    add_energy_models_argument(p)


def add_energy_models_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--energy-models", default="accelergy2024",
                   choices=("accelergy2024", "hwcomponents"),
                   help="estimators for components no given ERT prices: the 2024 Accelergy "
                        "plug-ins behind Timeloop's reference outputs (default) or loopnest's "
                        "models fitted to the newer hwcomponents packages")


def load_design_from_args(args: argparse.Namespace, require_mapping: bool = False):
    """FILES + --var -> Design (front end, v0.4 transpile, lowering, energy tables)."""
    from loopnest.ir.lower import lower_design
    from loopnest.spec.load import load_spec, parse_var_args
    from loopnest.spec.validate import validate_spec

    spec = load_spec(list(args.files), parse_var_args(getattr(args, "var", [])))
    validate_spec(spec)  # the schemas and semantic checks of `loopnest validate`
    try:
        from loopnest.spec.native import to_native
    except ImportError:  # front end without the v0.4 transpiler
        native = spec
    else:
        native = to_native(spec)
    design = lower_design(native, require_mapping=require_mapping)
    return _with_estimates(design, getattr(args, "energy_models", "accelergy2024"))


def _with_estimates(design, models: str = "accelergy2024"):
    """Price components that no given ERT/ART covers, with the built-in estimators."""
    from dataclasses import replace

    arch = design.architecture
    names = [lv.name for lv in arch.storage if not lv.is_dummy] + [arch.compute.name]
    if all(design.tables.get(n) is not None for n in names):
        return design
    from loopnest.energy.estimate import estimate

    est, docs = estimate(design.native, models)
    tables = design.tables
    for key, comp in est.components.items():
        if tables.get(key) is None:
            tables.components[key] = comp
        elif tables.components[key].area is None and comp.area is not None:
            tables.components[key].area = comp.area
    return replace(design, tables=tables, estimates=docs)


def echo_files(design) -> dict[str, str]:
    """ERT/ART echoes in Timeloop's naming (written beside the stats); where loopnest
    priced components itself, also the ERT/ART summaries naming the estimator of every
    primitive and the flattened architecture with every evaluated attribute."""
    from io import StringIO

    from ruamel.yaml import YAML

    out: dict[str, str] = {}
    y = YAML()
    y.default_flow_style = False
    for key in ("ERT", "ART"):
        tables = []
        for comp in design.tables.components.values():
            if key == "ERT" and comp.entries:
                tables.append({"name": str(comp.name), "actions": [
                    {"name": str(a), "arguments": _plain(args) if args else None,
                     "energy": float(e)} for a, args, e in comp.entries]})
            elif key == "ART" and comp.area is not None:
                tables.append({"name": str(comp.name), "area": float(comp.area)})
        buf = StringIO()
        y.dump({key: {"version": "0.4", "tables": tables}}, buf)
        out[f"{key}.yaml"] = buf.getvalue()
    flat = _flattened(design)
    if design.estimates:
        docs = design.estimates
        for name in ("ERT_summary.yaml", "ART_summary.yaml", "flattened_architecture.yaml"):
            if name in docs:
                buf = StringIO()
                y.dump(_plain(docs[name]), buf)
                out[name] = buf.getvalue()
        flat = None
    if flat is not None:
        buf = StringIO()
        y.dump(flat, buf)
        out["flattened_architecture.yaml"] = buf.getvalue()
    return out


def _flattened(design) -> dict | None:
    """Accelergy's flattened architecture (full dotted names, inherited attributes)."""
    from loopnest.energy.flatten import flatten

    arch = (design.native or {}).get("architecture")
    if not arch:
        return None
    local = [{"name": c.name, "class": c.class_name, "attributes": _plain(c.attributes),
              "required_actions": _plain(c.required_actions), "enabled": c.enabled}
             for c in flatten(arch)]
    return {"architecture": {"version": "0.4", "local": local}}
