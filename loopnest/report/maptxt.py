"""`timeloop-model.map.txt`: the mapping as an indented loop nest with per-level tiles."""
from __future__ import annotations

from loopnest.model.result import Result, StorageStats
from loopnest.report.fmt import loop_text


def _header(lv: StorageStats) -> str:
    tiles = "".join(
        f"{ds.name}:{ds.utilized_capacity if ds.tile_size is None else ds.tile_size} "
        f"({ds.utilized_capacity}) "
        for ds in lv.dataspaces
    )
    return f"{lv.name} [ {tiles}] "


def format_map_txt(result: Result) -> str:
    """Storage levels outermost first; each header lists the kept data spaces as
    `<DS>:<tile size> (<utilized capacity>)`. The dash line appears only when loops
    (or the compute line) follow; loop indentation accumulates over the whole nest."""
    lines: list[str] = []
    depth = 0
    levels = list(reversed(result.storage))
    for pos, lv in enumerate(levels):
        innermost = pos == len(levels) - 1
        header = _header(lv)
        lines.append(header)
        if lv.loops or innermost:
            lines.append("-" * (len(header) - 1))
        for loop in lv.loops:
            lines.append("| " + "  " * depth + loop_text(loop))
            depth += 1
        if lv.loops and not innermost:
            lines.append("")
    lines.append("| " + "  " * depth + "<< Compute >>")
    return "\n".join(lines) + "\n"
