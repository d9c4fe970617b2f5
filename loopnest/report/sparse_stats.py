"""`timeloop-model.stats.txt` in Timeloop's sparse (Sparseloop) layout.

Used when the design has `sparse_optimizations`; the dense layout (`report.stats`)
is untouched. Quirks kept as Timeloop prints them: the shared-bandwidth breakdown
lacks its closing parenthesis, `OUT_PERCENT(1 - r)` expands to `1 - r*100`, format
rank lines are printed outer rank first, with two spaces after the comma in access
counts and one in capacities.
"""
from __future__ import annotations

import numpy as np

from loopnest.model.sparse.result import SparseCompute, SparseDataSpace, SparseLevel, SparseResult
from loopnest.report.fmt import f2, loop_text, opt_f2, opt_int
from loopnest.report.stats import _networks, network_names


def _avg(x: float) -> str:
    """The arithmetic level's average instances (an integer in every Timeloop output)."""
    return str(int(x)) if float(x).is_integer() else f2(x)


def _compute_block(c: SparseCompute) -> list[str]:
    b = c.base
    s = lambda label, value: f"    {label.ljust(29)}: {value}"  # noqa: E731
    return [
        "Level 0", "-------", f"=== {b.name} ===", "",
        "    SPECS", "    -----",
        f"    {'Word bits'.ljust(22)}: {b.word_bits}",
        f"    {'Instances'.ljust(22)}: {b.instances} ({b.meshX}*{b.meshY})",
        f"    {'Compute energy'.ljust(22)}: {f2(b.compute_energy)} pJ",
        "",
        "    STATS", "    -----",
        s("Utilized instances (max)", str(c.utilized_max)),
        s("Utilized instances (average)", _avg(c.utilized_avg)),
        s("Cycles", str(c.cycles)),
        s("Algorithmic Computes (total)", str(c.algorithmic)),
        s("Actual Computes (total)", str(c.actual)),
        s("Gated Computes (total)", str(c.gated)),
        s("Skipped Computes (total)", str(c.skipped)),
        s("Energy (total)", f"{f2(c.energy)} pJ"),
        s("Area (total)", f"{f2(b.area_total)} um^2"),
        "", "",
    ]


def _specs(sl: SparseLevel) -> list[str]:
    lv = sl.base
    k = lambda label, value: f"        {label.ljust(32)}: {value}"  # noqa: E731
    return [
        "    SPECS", "    -----",
        k("Technology", lv.technology),
        k("Data storage size", opt_int(lv.size)),
        k("Data word bits", str(lv.word_bits)),
        k("Data block size", str(lv.block_size)),
        k("Metadata storage width(bits)", str(sl.md_width)),
        k("Metadata storage depth", opt_int(sl.md_depth)),
        k("Cluster size", str(lv.cluster_size)),
        k("Instances", f"{lv.instances} ({lv.meshX}*{lv.meshY})"),
        k("Shared bandwidth", opt_f2(lv.shared_bandwidth)),
        k("Read bandwidth", opt_f2(lv.read_bandwidth)),
        k("Write bandwidth", opt_f2(lv.write_bandwidth)),
        k("Multiple buffering", f2(lv.multiple_buffering)),
        k("Effective data storage size", opt_int(lv.effective_size)),
        k("Min utilization", f2(lv.min_utilization)),
        k("Vector read energy", f"{f2(sl.e_read)} pJ"),
        k("Vector write energy", f"{f2(sl.e_write)} pJ"),
        k("Vector metadata read energy", f"{f2(sl.e_md_read)} pJ"),
        k("Vector metadata write energy", f"{f2(sl.e_md_write)} pJ"),
        k("(De)compression energy", f"{f2(sl.e_decompression)} pJ"),
        k("Per-instance-cycle leakage", f"{f2(sl.leak)} pJ"),
        k("Instances sharing power gating", f2(lv.instances_sharing_power_gating)),
        k("Non-power-gated utilization", f"{f2(lv.non_power_gated_utilization * 100)}%"),
        k("Leakage energy (total)", f"{f2(lv.leakage_energy_total)} pJ"),
        k("Area", f"{f2(lv.area)} um^2"),
        "",
    ]


def _pct(r: float) -> tuple[str, str]:
    """Timeloop's `OUT_PERCENT(1 - r)` (macro expansion: 1 - r*100) and OUT_PERCENT(r)."""
    return f"{f2(1 - r * 100.0)}%", f"{f2(r * 100.0)}%"


def _ranks(indent: str, ranks: list, sep: str) -> list[str]:
    return [f"{indent}Rank {rid} (metadata, payload): ({ranks[rid][0]},{sep}{ranks[rid][1]})"
            for rid in range(len(ranks) - 1, -1, -1)]


def _dataspace(sd: SparseDataSpace) -> list[str]:
    W = 60
    k = lambda label, value: f"        {label.ljust(W)}: {value}"  # noqa: E731
    head = lambda label: f"        {label.ljust(W)}"  # noqa: E731
    pj = lambda x: f"{f2(x)} pJ"  # noqa: E731
    wpc = lambda x: f"{f2(x)} words/cycle"  # noqa: E731
    sub = " " * 12
    f = sd.fine
    lines = [
        f"    {sd.name}:",
        k("Partition size", str(sd.partition_size)),
        k("Tile density distribution", sd.density_name),
        k("Data tile shape", str(sd.tile_shape)),
        k("Max utilized data storage capacity", str(sd.utilized_capacity)),
        k("Representation format", sd.format_name),
    ]
    if sd.format_name == "none":
        lines.append(head("Max utilized Repr format storage capacity") + ": 0")
    else:
        lines.append(head("Max utilized Repr format storage capacity"))
    lines += _ranks(sub, sd.md_capacity, " ")
    lines += [
        k("Utilized instances (max)", str(sd.instances_max)),
        k("Utilized instances (average)", f2(sd.instances_avg)),
        k("Utilized clusters (max)", str(sd.clusters)),
    ]
    for act, plural in (("read", "reads"), ("fill", "fills"), ("update", "updates")):
        lines += [
            k(f"Algorithmic scalar {plural} (per-instance)", str(getattr(sd, plural))),
            k(f"Actual scalar {plural} (per-instance)", str(f.get(f"random_{act}", 0))),
            k(f"Gated scalar {plural} (per-instance)", str(f.get(f"gated_{act}", 0))),
            k(f"Skipped scalar {plural} (per-instance)", str(f.get(f"skipped_{act}", 0))),
        ]
    if sd.format_name != "none":
        for act, plural in (("read", "reads"), ("fill", "fills"), ("update", "updates")):
            for kind, label in (("random", "Actual"), ("gated", "Gated"),
                                ("skipped", "Skipped")):
                op = f"{kind}_metadata_{act}"
                title = f"{label} scalar format {plural} (per-instance)"
                if sd.fmt_bits.get(op, 0) == 0:
                    lines.append(head(title) + ": 0")
                else:
                    lines.append(head(title))
                    lines += _ranks(sub, sd.fmt.get(op) or [], "  ")
    d_sh, f_sh = _pct(sd.shared_ratio)
    d_rd, f_rd = _pct(sd.read_ratio)
    d_wr, f_wr = _pct(sd.write_ratio)
    xy = sd.instances_max
    lines += [
        k("Temporal reductions (per-instance)", str(sd.temporal_reductions)),
        k("Address generations (per-cluster)", str(sd.address_generations)),
        k("Energy (per-scalar-access)", pj(sd.energy_per_access)),
        k("Energy (per-instance)", pj(sd.energy_per_instance)),
        k("Energy (total)", pj(sd.energy_total)),
        k("Temporal Reduction Energy (per-instance)", pj(sd.tr_energy_per_instance)),
        k("Temporal Reduction Energy (total)", pj(sd.tr_energy_total)),
        k("Address Generation Energy (per-cluster)", pj(sd.ag_energy_per_cluster)),
        k("Address Generation Energy (total)", pj(sd.ag_energy_total)),
        k("Bandwidth Consumption Scale", f2(sd.bw_scale)),
        k("Average Shared Bandwidth (per-instance)", wpc(sd.shared_bw)),
        f"{sub}Breakdown (Data, Format): ({d_sh}, {f_sh}",
        k("Shared Bandwidth (total)", wpc(sd.shared_bw * xy)),
        k("Average Read Bandwidth (per-instance)", wpc(sd.read_bw)),
        f"{sub}Breakdown (Data, Format): ({d_rd}, {f_rd})",
        k("Read Bandwidth (total)", wpc(sd.read_bw * xy)),
        k("Average Write Bandwidth (per-instance)", wpc(sd.write_bw)),
        f"{sub}Breakdown (Data, Format): ({d_wr}, {f_wr})",
        k("Write Bandwidth (total)", wpc(sd.write_bw * xy)),
    ]
    return lines


def _storage_block(sl: SparseLevel) -> list[str]:
    lv = sl.base
    lines = [f"Level {lv.index}", "-------", f"=== {lv.name} ===", ""]
    lines += _specs(sl)
    lines += ["    MAPPING", "    -------", "    Loop nest:"]
    for depth, loop in enumerate(lv.loops):
        lines.append("      " + "  " * depth + loop_text(loop))
    lines += ["", "    STATS", "    -----",
              f"    Cycles               : {lv.cycles}",
              f"    Bandwidth throttling : {f2(lv.bandwidth_throttling)}"]
    for sd in sl.dataspaces:
        lines += _dataspace(sd)
    return lines + [""]


U64 = 1 << 64


def _u64(x: int) -> int:
    """Timeloop keeps these counts in uint64_t: a negative value wraps around."""
    return x % U64


def total_ops(sr: SparseResult) -> int:
    return _u64(_u64(sr.result.total_elementwise_ops) + _u64(sr.result.total_reduction_ops))


def _intensity(sr: SparseResult) -> list[str]:
    """Operational intensity with Timeloop's integer arithmetic (uint64, integer bytes)."""
    r = sr.result
    k = lambda label, value: f"    {label.ljust(40)}: {value}"  # noqa: E731
    ops = total_ops(sr)
    req = r.total_memory_accesses_required
    wb = sr.levels[-1].base.word_bits if sr.levels else 8
    lines = [
        "Operational Intensity Stats",
        "---------------------------",
        k("Total elementwise ops", str(_u64(r.total_elementwise_ops))),
        k("Total reduction ops", str(_u64(r.total_reduction_ops))),
        k("Total ops", str(ops)),
        k("Total memory accesses required", str(req)),
        k("Optimal Op per Byte", _opb(ops, wb, req)),
        "",
    ]
    for sl in sr.levels:
        lines.append(f"=== {sl.base.name} ===")
        if sl.accesses > 0:
            lines.append(k("Total scalar accesses", str(sl.accesses)))
            lines.append(k("Op per Byte", _opb(ops, sl.base.word_bits, sl.accesses)))
    return lines + ["", ""]


def _opb(ops: int, word_bits: int, accesses: int) -> str:
    den = word_bits * accesses // 8
    if den == 0:
        return "inf" if ops else "-nan"
    return f2(_f32(ops) / _f32(den))


def _f32(x: float) -> np.float32:
    """A C++ `float` (the intensity figures are single precision in Timeloop)."""
    return np.float32(x)


def _summary(sr: SparseResult) -> list[str]:
    r = sr.result
    gflops = float(_f32(total_ops(sr)) / _f32(r.cycles)) if r.cycles else 0.0
    lines = [
        "Summary Stats",
        "-------------",
        f"GFLOPs (@1GHz): {f2(gflops)}",
        f"Utilization: {f2(r.utilization * 100)}%",
        f"Cycles: {r.cycles}",
        f"Energy: {f2(r.energy / 1e6)} uJ",
        f"EDP(J*cycle): {r.edp:.2e}",
        f"Area: {f2((r.area if r.summary_area is None else r.summary_area) / 1e6)} mm^2",
    ]
    names = ([r.compute.name] if r.compute else []) + [sl.base.name for sl in sr.levels]
    width = 1 + max(len(n) for n in names + network_names(r) + ["Total"])
    rows = []
    if sr.compute is not None:
        rows.append((sr.compute.base.name, sr.compute.energy))
    rows += [(sl.base.name, sl.energy) for sl in sr.levels]
    rows += [(n.name, n.energy_total) for n in r.networks]
    for title, unit, n in (("Algorithmic Computes", "fJ/Algorithmic-Compute",
                            sr.algorithmic_computes),
                           ("Actual Computes", "fJ/Compute", sr.actual_computes)):
        lines += ["", f"{title} = {n}", unit]
        per = lambda e: _per(e, n)  # noqa: E731
        for name, energy in rows:
            if energy != 0.0:
                lines.append(f"    {name.ljust(width)}= {per(energy)}")
        lines.append(f"    {'Total'.ljust(width)}= {per(r.energy)}")
    return lines + [""]


def _per(energy: float, n: int) -> str:
    if n:
        return f2(energy * 1000 / n)
    return "inf" if energy > 0 else ("-nan" if energy == 0 else "-inf")


def format_sparse_stats(sr: SparseResult) -> str:
    """Render `sr` as Timeloop's sparse stats.txt (ends with an empty line)."""
    lines = ["Buffer and Arithmetic Levels", "----------------------------"]
    if sr.compute is not None:
        lines += _compute_block(sr.compute)
    for sl in sr.levels:
        if sl.visible:
            lines += _storage_block(sl)
    lines += _networks(sr.result)
    lines += _intensity(sr)
    lines += _summary(sr)
    return "\n".join(lines) + "\n"
