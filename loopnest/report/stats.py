"""`timeloop-model.stats.txt`: the dense layout of the 2024 Timeloop references, byte for byte.

Every figure comes from a `Result`; the few derived ones (Op per Byte, GFLOPs, fJ/Compute)
are computed here exactly as Timeloop prints them.
"""
from __future__ import annotations

from loopnest.model.result import ComputeStats, DataSpaceStats, Result, StorageStats
from loopnest.report.fmt import f2, loop_text, opt_f2, opt_int


def _kv(indent: int, width: int, label: str, value: str) -> str:
    return f"{' ' * indent}{label.ljust(width)}: {value}"


def _compute_block(c: ComputeStats) -> list[str]:
    a = lambda label, value: _kv(4, 22, label, value)  # noqa: E731
    s = lambda label, value: _kv(4, 24, label, value)  # noqa: E731
    return [
        "Level 0",
        "-------",
        f"=== {c.name} ===",
        "",
        "    SPECS",
        "    -----",
        a("Word bits", str(c.word_bits)),
        a("Instances", f"{c.instances} ({c.meshX}*{c.meshY})"),
        a("Compute energy", f"{f2(c.compute_energy)} pJ"),
        "",
        "    STATS",
        "    -----",
        s("Utilized instances", str(c.utilized_instances)),
        s("Computes (total)", str(c.computes)),
        s("Cycles", str(c.cycles)),
        s("Energy (total)", f"{f2(c.energy_total)} pJ"),
        s("Area (total)", f"{f2(c.area_total)} um^2"),
        "",
    ]


def _storage_specs(lv: StorageStats) -> list[str]:
    k = lambda label, value: _kv(8, 32, label, value)  # noqa: E731
    return [
        "    SPECS",
        "    -----",
        k("Technology", lv.technology),
        k("Size", opt_int(lv.size)),
        k("Word bits", str(lv.word_bits)),
        k("Block size", str(lv.block_size)),
        k("Cluster size", str(lv.cluster_size)),
        k("Instances", f"{lv.instances} ({lv.meshX}*{lv.meshY})"),
        k("Shared bandwidth", opt_f2(lv.shared_bandwidth)),
        k("Read bandwidth", opt_f2(lv.read_bandwidth)),
        k("Write bandwidth", opt_f2(lv.write_bandwidth)),
        k("Multiple buffering", f2(lv.multiple_buffering)),
        k("Effective size", opt_int(lv.effective_size)),
        k("Min utilization", f2(lv.min_utilization)),
        k("Vector access energy", f"{f2(lv.vector_access_energy)} pJ"),
        k("Vector access energy source", lv.vector_access_energy_source),
        k("Per-instance-cycle leakage", f"{f2(lv.leakage_per_cycle)} pJ"),
        k("Instances sharing power gating", f2(lv.instances_sharing_power_gating)),
        k("Non-power-gated utilization", f"{f2(lv.non_power_gated_utilization * 100)}%"),
        k("Leakage energy (total)", f"{f2(lv.leakage_energy_total)} pJ"),
        k("Area", f"{f2(lv.area)} um^2"),
        "",
    ]


def _mapping(lv: StorageStats) -> list[str]:
    lines = ["    MAPPING", "    -------", "    Loop nest:"]
    for depth, loop in enumerate(lv.loops):
        lines.append("      " + "  " * depth + loop_text(loop))
    return lines + [""]


def _dataspace(ds: DataSpaceStats) -> list[str]:
    k = lambda label, value: _kv(8, 41, label, value)  # noqa: E731
    wpc = lambda x: f"{f2(x)} words/cycle"  # noqa: E731
    pj = lambda x: f"{f2(x)} pJ"  # noqa: E731
    return [
        f"    {ds.name}:",
        k("Partition size", str(ds.partition_size)),
        k("Utilized capacity", str(ds.utilized_capacity)),
        k("Utilized instances (max)", str(ds.utilized_instances)),
        k("Utilized clusters (max)", str(ds.utilized_clusters)),
        k("Scalar reads (per-instance)", str(ds.reads)),
        k("Scalar fills (per-instance)", str(ds.fills)),
        k("Scalar updates (per-instance)", str(ds.updates)),
        k("Temporal reductions (per-instance)", str(ds.temporal_reductions)),
        k("Address generations (per-cluster)", str(ds.address_generations)),
        k("Energy (per-scalar-access)", pj(ds.energy_per_scalar_access)),
        k("Energy (per-instance)", pj(ds.energy_per_instance)),
        k("Energy (total)", pj(ds.energy_total)),
        k("Temporal Reduction Energy (per-instance)", pj(ds.tr_energy_per_instance)),
        k("Temporal Reduction Energy (total)", pj(ds.tr_energy_total)),
        k("Address Generation Energy (per-cluster)", pj(ds.addr_gen_energy_per_cluster)),
        k("Address Generation Energy (total)", pj(ds.addr_gen_energy_total)),
        k("Bandwidth Consumption Scale", f2(ds.bandwidth_consumption_scale)),
        k("Shared Bandwidth (per-instance)", wpc(ds.shared_bw_per_instance)),
        k("Shared Bandwidth (total)", wpc(ds.shared_bw_total)),
        k("Read Bandwidth (per-instance)", wpc(ds.read_bw_per_instance)),
        k("Read Bandwidth (total)", wpc(ds.read_bw_total)),
        k("Write Bandwidth (per-instance)", wpc(ds.write_bw_per_instance)),
        k("Write Bandwidth (total)", wpc(ds.write_bw_total)),
    ]


def _storage_block(lv: StorageStats) -> list[str]:
    lines = [f"Level {lv.index}", "-------", f"=== {lv.name} ===", ""]
    lines += _storage_specs(lv)
    lines += _mapping(lv)
    lines += [
        "    STATS",
        "    -----",
        f"    Cycles               : {lv.cycles}",
        f"    Bandwidth throttling : {f2(lv.bandwidth_throttling)}",
    ]
    for ds in lv.dataspaces:
        lines += _dataspace(ds)
    return lines + [""]


def _networks(result: Result) -> list[str]:
    """Only networks that cost energy are printed (none in the 2024 references)."""
    lines = ["Networks", "--------"]
    for i, net in enumerate(result.networks):
        if net.energy_total == 0.0:
            continue
        lines += [
            f"Network {i}",
            "---------",
            f"=== {net.name} ===",
            _kv(4, 24, "Energy (total)", f"{f2(net.energy_total)} pJ"),
            "",
        ]
    return lines + [""]


def op_per_byte(total_ops: int, word_bits: int, accesses: int) -> float:
    """Operational intensity of `accesses` words of `word_bits` bits."""
    return total_ops / (word_bits * accesses / 8)


def _intensity(result: Result) -> list[str]:
    k = lambda label, value: _kv(4, 40, label, value)  # noqa: E731
    total_ops = result.total_ops
    lines = [
        "Operational Intensity Stats",
        "---------------------------",
        k("Total elementwise ops", str(result.total_elementwise_ops)),
        k("Total reduction ops", str(result.total_reduction_ops)),
        k("Total ops", str(total_ops)),
        k("Total memory accesses required", str(result.total_memory_accesses_required)),
        k("Optimal Op per Byte", f2(result.optimal_op_per_byte)),
        "",
    ]
    for lv in result.storage:
        lines.append(f"=== {lv.name} ===")
        if lv.total_scalar_accesses > 0:
            lines.append(k("Total scalar accesses", str(lv.total_scalar_accesses)))
            lines.append(k("Op per Byte", f2(op_per_byte(total_ops, lv.word_bits,
                                                         lv.total_scalar_accesses))))
    return lines + ["", ""]


def network_names(result: Result) -> list[str]:
    """Every network Timeloop instantiates (they widen the fJ/Compute column even
    when not printed). `Result.networks` when the model filled it, else the inferred
    legacy `"<outer> <==> <inner>"` name of every adjacent pair of levels."""
    if result.networks:
        return [n.name for n in result.networks]
    chain = ([result.compute.name] if result.compute else []) + [lv.name for lv in result.storage]
    return [f"{outer} <==> {inner}" for inner, outer in zip(chain, chain[1:])]


def _summary(result: Result) -> list[str]:
    computes = result.computes
    gflops = result.total_ops / result.cycles if result.cycles else 0.0
    lines = [
        "Summary Stats",
        "-------------",
        f"GFLOPs (@1GHz): {f2(gflops)}",
        f"Utilization: {f2(result.utilization * 100)}%",
        f"Cycles: {result.cycles}",
        f"Energy: {f2(result.energy / 1e6)} uJ",
        f"EDP(J*cycle): {result.edp:.2e}",
        f"Area: {f2((result.area if result.summary_area is None else result.summary_area) / 1e6)} mm^2",
        "",
        f"Computes = {computes}",
        "fJ/Compute",
    ]
    names = ([result.compute.name] if result.compute else []) + [lv.name for lv in result.storage]
    width = 1 + max(len(n) for n in names + network_names(result) + ["Total"])
    per = lambda e: f2(e / computes * 1000) if computes else f2(0.0)  # noqa: E731
    rows: list[tuple[str, float]] = []
    if result.compute is not None:
        rows.append((result.compute.name, result.compute.energy_total))
    rows += [(lv.name, lv.energy_total) for lv in result.storage]
    rows += [(n.name, n.energy_total) for n in result.networks]
    for name, energy in rows:
        if energy != 0.0:
            lines.append(f"    {name.ljust(width)}= {per(energy)}")
    lines.append(f"    {'Total'.ljust(width)}= {per(result.energy)}")
    return lines + [""]


def format_stats(result: Result) -> str:
    """Render `result` as Timeloop's dense stats.txt (ends with an empty line)."""
    lines = ["Buffer and Arithmetic Levels", "----------------------------"]
    if result.compute is not None:
        lines += _compute_block(result.compute)
    for lv in result.storage:
        if lv.visible:
            lines += _storage_block(lv)
    lines += _networks(result)
    lines += _intensity(result)
    lines += _summary(result)
    return "\n".join(lines) + "\n"
