"""timeloop-mapper's `map.yaml`: the mapping as directives, reusable as a model input.

Layout as yaml-cpp emits it (two-space list indent, `[]` for empty lists, no final
newline): one datatype directive per storage level inner->outer, then per level
inner->outer an optional spatial directive and a temporal directive.
"""
from __future__ import annotations

from loopnest.ir import Architecture, Loop, Mapping, Workload


def _factors(workload: Workload, loops: list[Loop]) -> dict[str, int]:
    f = {d: 1 for d in workload.dimensions}
    for loop in loops:
        f[loop.dim] *= loop.end
    return f


def _residuals(loops: list[Loop]) -> dict[str, int]:
    """Residual ends of the imperfect loops (one loop per dimension and directive)."""
    return {l.dim: l.residual for l in loops
            if l.residual is not None and l.residual != l.end and l.end > 1}


def _perm(workload: Workload, loops: list[Loop], factors: dict[str, int]) -> str:
    """Non-trivial loops inner first, then every unit dimension in problem order."""
    return "".join(l.dim for l in loops if l.end > 1) + "".join(
        d for d in workload.dimensions if factors[d] == 1)


def _factor_text(workload: Workload, factors: dict[str, int],
                 residuals: dict[str, int] | None = None) -> str:
    """`C1 M8 ...`; an imperfect factor in Timeloop's input syntax, `P20,17`. (Timeloop's
    own map.yaml drops residuals, so it does not load back; ours does.)"""
    res = residuals or {}
    return " ".join(f"{d}{factors[d]}" + (f",{res[d]}" if d in res else "")
                    for d in workload.dimensions)


def _names(items: list[str]) -> list[str]:
    return [f"      - {n}" for n in items] if items else ["      []"]


def format_map_yaml(workload: Workload, architecture: Architecture, mapping: Mapping) -> str:
    """Render `mapping` as Timeloop's map.yaml (trivial loops dropped, unit dims appended)."""
    ds_names = list(workload.ds_names)
    out = ["mapping:"]
    for i, lm in enumerate(mapping.levels):
        keep = [d for d in ds_names if d in lm.keep]
        out += [f"  - target: {architecture.storage[i].name}", "    type: datatype", "    keep:"]
        out += _names(keep)
        out += ["    bypass:"] + _names([d for d in ds_names if d not in lm.keep])
    for i, lm in enumerate(mapping.levels):
        name = architecture.storage[i].name
        xs = [l for l in lm.spatial if l.spatial != "Y" and l.end > 1]
        ys = [l for l in lm.spatial if l.spatial == "Y" and l.end > 1]
        if xs or ys:
            sf = _factors(workload, xs + ys)
            out += [
                f"  - target: {name}",
                "    type: spatial",
                f"    factors: {_factor_text(workload, sf, _residuals(xs + ys))}",
                f"    permutation: {_perm(workload, xs + ys, sf)}",
                f"    split: {len(xs)}",
            ]
        tf = _factors(workload, list(lm.temporal))
        out += [
            f"  - target: {name}",
            "    type: temporal",
            f"    factors: {_factor_text(workload, tf, _residuals(list(lm.temporal)))}",
            f"    permutation: {_perm(workload, list(lm.temporal), tf)}",
        ]
    return "\n".join(out)
