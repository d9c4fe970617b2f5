"""`log_oaves`: rows of timeloop-mapper.oaves.csv (operational-intensity vs buffer size).

Timeloop's mapper (mapper-thread.cpp, PrintOAVESStats) logs, for the innermost
buffer's tile sizes, the best mapping seen and writes one CSV row without a header:

    total level-0 utilized bytes, last-level op/byte, last-level accesses,
    level-0 utilized bytes per data space ..., last-level accesses per data space ...,
    compact mapping string (quoted here: it contains commas)

Timeloop logs a row whenever consecutive mappings change the level-0 tile sizes;
we log the best exactly-scored mapping per distinct level-0 footprint (sorted by
it), which is the curve the file is used to draw.
"""
from __future__ import annotations

from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.model.result import Result


def compact(workload: Workload, mapping: Mapping) -> str:
    """`L<i>[WIO] (dim,end[,spX|spY]) ... - ...`, innermost level first, unit loops dropped."""
    parts = []
    for i, lm in enumerate(mapping.levels):
        kept = "".join(ds.name[0] for ds in workload.data_spaces if ds.name in lm.keep)
        loops = [f"({lp.dim},{lp.end},sp{lp.spatial})" for lp in lm.spatial if lp.end > 1]
        loops += [f"({lp.dim},{lp.end})" for lp in lm.temporal if lp.end > 1]
        parts.append(" ".join([f"L{i}[{kept}]"] + loops))
    return " - ".join(parts)


def oaves_row(workload: Workload, arch: Architecture, mapping: Mapping, res: Result) -> str:
    """One CSV row for a full (exact) result."""
    inner, top = res.storage[0], res.storage[-1]
    wb0 = arch.storage[0].word_bits
    by_name0 = {d.name: d for d in inner.dataspaces}
    util = [by_name0[ds.name].utilized_capacity * by_name0[ds.name].utilized_instances * wb0 // 8
            if ds.name in by_name0 else 0 for ds in workload.data_spaces]
    by_top = {d.name: d for d in top.dataspaces}
    acc = [(by_top[ds.name].reads + by_top[ds.name].fills + by_top[ds.name].updates)
           * max(1, by_top[ds.name].utilized_instances) if ds.name in by_top else 0
           for ds in workload.data_spaces]
    total_acc = sum(acc)
    total_ops = res.total_elementwise_ops + res.total_reduction_ops
    opb = total_ops / (arch.storage[-1].word_bits * total_acc / 8) if total_acc else -1
    cells = [str(sum(util)), f"{opb:g}", str(total_acc)] + [str(u) for u in util] \
        + [str(a) for a in acc] + ['"' + compact(workload, mapping) + '"']
    return ",".join(cells)
