"""Problem checks beyond the schema: instance keys nobody reads, dense results.

* `warn_instance_keys`: a `problem.instance` key that is neither a dimension nor a
  coefficient but is a misspelling of one (`HStride` where the shape declares
  `Hstride` leaves the stride at its default) is ignored by the model: a warning
  naming the key it was meant to be. Other extra keys (helper values) are fine.
* `check_instance_numbers`: coefficients (strides, dilations) must be finite whole
  numbers (`nan`, `inf`, `1.5` are errors).
* `warn_dense_densities`: densities without any `sparse_optimizations` give a
  dense result: a warning says so.
"""
from __future__ import annotations

import math
from typing import Any

from loopnest.checks.diagnostics import Diagnostics
from loopnest.errors import ValidationError
from loopnest.spec.hints import typo_of
from loopnest.spec.located import where


def _shape(problem: Any) -> tuple[list[str], list[str]]:
    """(dimensions, coefficient names) of a problem's shape (the CNN layer by name)."""
    shape = problem.get("shape")
    if isinstance(shape, str):
        from loopnest.ir.lower import CNN_LAYER_SHAPE

        shape = CNN_LAYER_SHAPE if shape.lower() in ("cnn_layer", "cnn-layer") else None
    if not isinstance(shape, dict):
        return [], []
    dims_raw, coeffs_raw = shape.get("dimensions"), shape.get("coefficients")
    dims = [str(d) for d in dims_raw] if isinstance(dims_raw, list) else []
    coeffs = [str(c.get("name")) for c in coeffs_raw if isinstance(c, dict)] \
        if isinstance(coeffs_raw, list) else []
    return dims, coeffs


def warn_instance_keys(spec: Any, diags: Diagnostics) -> None:
    problem = spec.get("problem")
    if not isinstance(problem, dict) or not isinstance(problem.get("instance"), dict):
        return
    dims, coeffs = _shape(problem)
    if not dims:
        return
    inst = problem["instance"]
    known = dims + coeffs + ["densities"]
    for k in inst:
        if str(k) in known:
            continue
        near = typo_of(str(k), known)  # a helper value (`H: 224`) is not a mistake
        if near:
            diags.warn(inst, k, f"problem.instance key '{k}' is neither a dimension nor a "
                       "coefficient of the shape: it is ignored", near)


def check_instance_numbers(spec: Any) -> None:
    problem = spec.get("problem")
    if not isinstance(problem, dict) or not isinstance(problem.get("instance"), dict):
        return
    _, coeffs = _shape(problem)
    inst = problem["instance"]
    for k in coeffs:
        v = inst.get(k)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if (isinstance(v, float) and not math.isfinite(v)) or v != int(v) or abs(v) > 2 ** 64:
            file, line, path = where(inst, k)
            raise ValidationError(f"coefficient '{k}' must be a finite whole number, got {v}",
                                  file=file, line=line, path=path,
                                  hint="strides and dilations are whole numbers")


def _has_sparse(spec: Any) -> bool:
    if spec.get("sparse_optimizations"):
        return True
    arch = spec.get("architecture")
    found = False

    def walk(nodes: Any) -> None:
        nonlocal found
        for n in nodes or []:
            if isinstance(n, dict):
                if n.get("sparse_optimizations"):
                    found = True
                walk(n.get("nodes"))

    if isinstance(arch, dict):
        walk(arch.get("nodes"))
    return found


def warn_dense_densities(spec: Any, diags: Diagnostics) -> None:
    problem = spec.get("problem")
    inst = problem.get("instance") if isinstance(problem, dict) else None
    dens = inst.get("densities") if isinstance(inst, dict) else None
    if not isinstance(dens, dict) or not dens or _has_sparse(spec):
        return
    sparse = [k for k, v in dens.items() if not (isinstance(v, (int, float)) and v >= 1)]
    if sparse:
        diags.warn(inst, "densities", "densities are given but no sparse_optimizations: "
                   f"the result is dense (densities of {', '.join(map(str, sparse))} have no "
                   "effect)")
