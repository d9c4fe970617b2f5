"""A short text summary of a lowered Design (`loopnest validate --show-ir`)."""
from __future__ import annotations

from typing import Any


def _loops(loops: Any) -> str:
    parts = [f"{l.dim}{l.end}" + (f",{l.residual}" if l.residual not in (None, l.end) else "")
             + (f"({l.spatial})" if l.spatial else "") for l in loops if l.end != 1]
    return " ".join(parts) or "-"


def summarize(design: Any) -> str:
    """Levels inner→outer with instances and fan-outs, dims and bounds, mapping per level."""
    arch, wl, mp = design.architecture, design.workload, design.mapping
    lines = [f"workload {wl.name}: " + ", ".join(f"{d}={b}" for d, b in
                                                  zip(wl.dimensions, wl.bounds)),
             "data spaces: " + ", ".join(ds.name + ("(rw)" if ds.read_write else "")
                                         for ds in wl.data_spaces),
             f"compute {arch.compute.name}: {arch.compute.instances} instances "
             f"({arch.compute.meshX}x{arch.compute.meshY})",
             "levels (inner -> outer):"]
    for i, lv in enumerate(arch.storage):
        fx, fy = arch.fanout(i)
        size = "unbounded" if lv.size is None else f"{lv.size} words"
        line = (f"  [{i}] {lv.name}{' (dummy)' if lv.is_dummy else ''}: {lv.cls}, "
                f"{lv.instances} inst, fan-out {fx}x{fy}, {size}")
        if mp is not None and i < len(mp.levels):
            lm = mp.levels[i]
            line += (f" | temporal {_loops(lm.temporal)} | spatial {_loops(lm.spatial)}"
                     f" | keep {','.join(sorted(lm.keep)) or '-'}")
        lines.append(line)
    if mp is None:
        lines.append("no mapping (mapper input)")
    if design.constraints is not None:
        n = sum(1 for _ in design.constraints.origins)
        lines.append(f"constraints: {n} directives")
    return "\n".join(lines)
