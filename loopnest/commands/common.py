"""Shared CLI plumbing: input-file arguments, `--var` parsing, loading a Design.

Every command that loads specs also takes the input-safety options
(`add_input_arguments`): `--allow-path DIR` (folders a design may read besides its
own), `--max-file-size MB`, `--spec-time-limit S` and `--strict` (warnings are
errors); `apply_input_options` puts them in force for one command.
"""
from __future__ import annotations

import argparse

from loopnest.spec.located import to_plain as _plain


def add_io_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="YAML / Jinja2 input files (globs allowed)")
    p.add_argument("-o", "--output-dir", default=".", help="where to write outputs (default .)")
    p.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                   help="data for Jinja2 templates (value parsed as a YAML scalar)")
    add_set_argument(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    add_energy_models_argument(p)
    add_input_arguments(p)


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """`--allow-path`, `--max-file-size`, `--spec-time-limit`, `--strict`."""
    from loopnest.spec.limits import Limits

    lim = Limits()
    p.add_argument("--allow-path", action="append", default=[], metavar="DIR",
                   dest="allow_paths",
                   help="a folder includes and Jinja2 helpers may also read (by default a "
                        "design reads only inside the folders of the files named)")
    p.add_argument("--max-file-size", type=float, default=None, metavar="MB",
                   help=f"largest input file read (default {lim.max_file_bytes >> 20} MB)")
    p.add_argument("--spec-time-limit", type=float, default=None, metavar="S",
                   help=f"wall-clock budget of reading and evaluating the spec "
                        f"(default {lim.spec_seconds:g} s)")
    p.add_argument("--strict", action="store_true",
                   help="treat warnings (unknown attributes, instance keys...) as errors")


def apply_input_options(args: argparse.Namespace) -> None:
    """Put the input-safety options of `args` in force (defaults for absent ones)."""
    from loopnest.errors import SpecError
    from loopnest.spec.confine import set_allowed_paths
    from loopnest.spec.limits import MB, reset_limits

    changes: dict = {}
    size = getattr(args, "max_file_size", None)
    if size is not None:
        if not size > 0:
            raise SpecError(f"--max-file-size must be > 0 MB, got {size:g}")
        changes["max_file_bytes"] = int(size * MB)
    seconds = getattr(args, "spec_time_limit", None)
    if seconds is not None:
        if not seconds > 0:
            raise SpecError(f"--spec-time-limit must be > 0 s, got {seconds:g}")
        changes["spec_seconds"] = float(seconds)
    reset_limits(**changes)
    set_allowed_paths(getattr(args, "allow_paths", None) or [])


def add_set_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   dest="sets", help="override a setting after the files are merged, e.g. "
                   "--set mapper.search_size=2000 (value parsed as a YAML scalar; [i] indexes "
                   "a list, a name picks the list item with that name)")


def add_energy_models_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--energy-models", default="accelergy2024",
                   choices=("accelergy2024", "hwcomponents"),
                   help="estimators for components no given ERT prices: the 2024 Accelergy "
                        "plug-ins behind Timeloop's reference outputs (default) or loopnest's "
                        "models fitted to the newer hwcomponents packages")


def load_design_from_args(args: argparse.Namespace, require_mapping: bool = False):
    """FILES + --var -> Design: the front end, then every check of the command
    (loopnest.checks, the same `loopnest validate` runs), lowered and priced."""
    from loopnest.checks import check_loaded
    from loopnest.spec.load import load_spec, parse_var_args

    spec = load_spec(list(args.files), parse_var_args(getattr(args, "var", [])),
                     getattr(args, "sets", None))
    checked = check_loaded(spec, "model" if require_mapping else "mapper",
                           require_mapping=require_mapping,
                           models=getattr(args, "energy_models", "accelergy2024"),
                           ignore_constraints=getattr(args, "ignore_constraints", False),
                           strict=getattr(args, "strict", False))
    return checked.design


def _with_estimates(design, models: str = "accelergy2024"):
    """Price components that no given ERT/ART covers, with the built-in estimators."""
    from loopnest.checks import priced

    return priced(design, models)


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
