"""One validation for every command: what `model`, `mapper` and `energy` check,
`validate` checks too, in one place.

    checked = check_loaded(spec, purpose="validate" | "model" | "mapper" | "energy", ...)

Order (first error wins, every error located in the user's own file):

1. schemas and semantic checks (spec/validate.py), `version` values, size
   attributes (finite, whole, <= 2**128), coefficients;
2. warnings (printed to stderr, or raised with `strict`): unknown attributes and
   problem-instance keys with the closest name, densities without sparse
   optimizations;
3. v0.4 → TL-native, IR lowering (factor products, targets), constraints;
4. mapping-independent capacity, the mapper's representable bounds and options
   (for a search), the architecture constraints of a given mapping (for a model);
5. pricing every component with the estimators (what the ERT/ART and the echo
   files need), or the Accelergy documents for energy-only input.

Whether a *given* mapping's tiles fit is the model's evaluation itself: `loopnest
model` refuses such a mapping (located at the level, `mapping_failure`); `validate`
evaluates the mapping too and reports the failure as a warning (an error with
`strict`), since the design itself may be fine.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from loopnest.errors import LoopnestError
from loopnest.checks.attributes import (check_component_count, check_sizes,
                                        warn_unknown_attributes)
from loopnest.checks.design import (check_architecture_constraints, check_mapper_limits,
                                    check_mapper_options, check_min_capacity, mapping_failure)
from loopnest.checks.diagnostics import Diagnostic, Diagnostics
from loopnest.checks.problem import (check_instance_numbers, warn_dense_densities,
                                     warn_instance_keys)
from loopnest.checks.versions import check_versions

PURPOSES = ("validate", "model", "mapper", "energy")
# keys that make an input a model / mapper input: a mapping or constraints can only be
# checked against an architecture and a problem (a lone problem file is fine)
# keys of an Accelergy (energy) input: its documents are built to check it
ENERGY_KEYS = ("architecture", "compound_components", "components", "action_counts")


@dataclass
class Checked:
    """What the checks produced: the evaluated spec, its TL-native form, the lowered
    (and priced) Design when there is an architecture and a problem, the warnings."""

    spec: Any
    native: Any
    design: Any = None
    warnings: list[Diagnostic] = field(default_factory=list)


def static_checks(spec: Any, strict: bool = False) -> Diagnostics:
    """Steps 1-2: checks of the loaded spec itself; warnings emitted (or raised)."""
    from loopnest.spec.validate import validate_spec

    diags = Diagnostics()
    check_component_count(spec)  # before any per-component work
    warn_unknown_attributes(spec, diags)  # first, so a typo is named before its effect
    warn_instance_keys(spec, diags)
    warn_dense_densities(spec, diags)
    try:
        validate_spec(spec)
        check_versions(spec)
        check_sizes(spec)
        check_instance_numbers(spec)
    finally:
        diags.emit(strict)
    return diags


def has_model_inputs(native: Any) -> bool:
    """An architecture to lower and a problem: what model and mapper need."""
    arch = native.get("architecture")
    return isinstance(arch, dict) and bool(arch.get("subtree") or arch.get("local")
                                           or arch.get("storage")) \
        and isinstance(native.get("problem"), dict)


def check_loaded(spec: Any, purpose: str = "validate", *, require_mapping: bool = False,
                 models: str = "accelergy2024", ignore_constraints: bool = False,
                 strict: bool = False, price: bool = True) -> Checked:
    """Every check `purpose` needs (validate: all of them) on a loaded spec."""
    from loopnest.ir.lower import lower_design
    from loopnest.spec.native import to_native

    assert purpose in PURPOSES, purpose
    diags = static_checks(spec, strict)
    native = to_native(spec)
    out = Checked(spec=spec, native=native, warnings=list(diags.items))
    model_like = has_model_inputs(native) or any(
        k == "mapping" or "constraints" in str(k) for k in spec)
    if purpose == "energy" or (purpose == "validate" and not model_like):
        if purpose == "validate" and price and any(k in native for k in ENERGY_KEYS):
            try:
                _energy_documents(native, models)
            except LoopnestError as e:
                raise e.located(spec) from None
        return out
    try:
        design = lower_design(native, require_mapping=require_mapping)
    except LoopnestError as e:  # missing top-level keys: name the (first) input file
        raise e.located(spec) from None
    if isinstance(native, dict) and native.get("sparse_optimizations") is not None:
        from loopnest.model.sparse.spec import parse_sparse

        parse_sparse(native, design.workload, design.architecture)  # located errors
    search = purpose == "mapper" or (purpose == "validate" and design.mapping is None)
    if search:
        check_mapper_limits(design)
        check_min_capacity(design)
        check_mapper_options(design)
    if design.mapping is not None and purpose in ("validate", "model") and \
            not ignore_constraints:
        check_architecture_constraints(design)
    if price:
        design = priced(design, models)
    if purpose == "validate" and design.mapping is not None:
        _evaluate(design, strict, out)
    out.design = design
    return out


def priced(design: Any, models: str = "accelergy2024") -> Any:
    """The design with every component no given ERT/ART prices priced by the estimators
    (and the Accelergy documents of that pricing kept for the echo files)."""
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


def _evaluate(design: Any, strict: bool, out: Checked) -> None:
    """The model's evaluation of a given mapping; a failure is a located warning."""
    from loopnest.model.evaluate import ModelOptions, evaluate

    native = design.native if isinstance(design.native, dict) else {}
    if native.get("sparse_optimizations") is not None:  # compressed tiles, sparse checks
        from loopnest.model.sparse.evaluate import evaluate_sparse
        from loopnest.model.sparse.spec import parse_sparse

        spec = parse_sparse(native, design.workload, design.architecture)
        try:
            result = evaluate_sparse(design.workload, design.architecture, design.mapping,
                                     design.tables, spec, ModelOptions()).result
        except LoopnestError as e:
            from loopnest.model.result import Result

            result = Result(valid=False, failure=e.message)
    else:
        result = evaluate(design.workload, design.architecture, design.mapping, design.tables,
                          ModelOptions())
    if result.valid:
        return
    err = mapping_failure(design, result.failure or "invalid mapping")
    diag = Diagnostic(f"`loopnest model` will refuse this mapping: {err.message}", err.file,
                      err.line, err.path)
    out.warnings.append(diag)
    Diagnostics([diag]).emit(strict)


def _energy_documents(native: Any, models: str) -> None:
    from loopnest.energy.accelergy import build_documents, registry_for

    build_documents(native, registry_for(native, models=models))


__all__ = ["Checked", "check_loaded", "static_checks", "priced", "has_model_inputs",
           "mapping_failure", "Diagnostic", "Diagnostics"]
