"""`map.tenssella.txt`: per-level factors and permutations for the Tenssella code generator.

Layout (inferred from the 2024 references), storage levels outermost first:
`#error Tenssella does not support bypass.` once per data space bypassed at the level
*below* (Timeloop prints them there), then `t<i>`, the temporal factors of every dimension
(`C 1 M 4 ... ` with a trailing space), the non-trivial temporal dims inner first (the last
problem dimension when there are none: Timeloop's placeholder loop); then, for levels with
spatial loops, `s<i>`, spatial factors, spatial dims inner first and the X/Y split counted
with unit dimensions on the X side.
"""
from __future__ import annotations

from loopnest.ir import Loop, Mapping, Workload

_BYPASS = "#error Tenssella does not support bypass."


def _factor_line(workload: Workload, loops: list[Loop]) -> str:
    f = {d: 1 for d in workload.dimensions}
    for loop in loops:
        f[loop.dim] *= loop.end
    return "".join(f"{d} {f[d]} " for d in workload.dimensions)


def format_tenssella(workload: Workload, mapping: Mapping) -> str:
    """Render the Tenssella view of `mapping`."""
    lines: list[str] = []
    n = len(mapping.levels)
    for i in range(n - 1, -1, -1):
        lm = mapping.levels[i]
        if i > 0:
            below = mapping.levels[i - 1]
            lines += [_BYPASS] * sum(1 for d in workload.ds_names if d not in below.keep)
        temporal = [l for l in lm.temporal if l.end > 1]
        lines += [f"t{i}", _factor_line(workload, temporal),
                  "".join(l.dim for l in temporal) or workload.dimensions[-1]]
        spatial = [l for l in lm.spatial if l.end > 1]
        if spatial:
            ys = sum(1 for l in spatial if l.spatial == "Y")
            lines += [f"s{i}", _factor_line(workload, spatial),
                      "".join(l.dim for l in spatial), str(len(workload.dimensions) - ys)]
    return "\n".join(lines) + "\n"
