"""Price one storage level's fine-grained sparse counts (Timeloop's BufferLevel, sparse).

Per data space: vector accesses per fine-grained action (data: ceil(count / block)
times the compressed-block ratio; metadata: accessed bits / metadata width), energy
from the ERT action each fine-grained action maps to, bandwidth including the format
traffic, and the level's cycles under bandwidth throttling.
"""
from __future__ import annotations

import math
from loopnest.energy.tables import CostTables
from loopnest.ir.architecture import StorageLevel
from loopnest.ir.workload import Workload
from loopnest.model.result import StorageStats
from loopnest.model.sparse.result import DATA_OPS, FORMAT_OPS, SparseDataSpace, SparseLevel
from loopnest.model.sparse.spec import SparseSpec

U64 = 1 << 64
# Timeloop's storageOperationMappings: fine-grained action -> ERT actions, in priority order
STORAGE_ACTIONS = {
    "random_read": ("random_read", "read"),
    "gated_read": ("gated_read",),
    "skipped_read": ("skipped_read", "gated_read"),
    "random_metadata_read": ("random_metadata_read", "metadata_read"),
    "gated_metadata_read": ("gated_metadata_read",),
    "skipped_metadata_read": ("skipped_metadata_read", "gated_metadata_read"),
    "random_fill": ("random_fill", "random_write", "fill", "write"),
    "gated_fill": ("gated_fill", "gated_write"),
    "skipped_fill": ("skipped_fill", "skipped_write", "gated_fill", "gated_write"),
    "random_metadata_fill": ("random_metadata_fill", "random_metadata_write", "metadata_fill",
                             "metadata_write"),
    "gated_metadata_fill": ("gated_metadata_fill", "gated_metadata_write"),
    "skipped_metadata_fill": ("skipped_metadata_fill", "skipped_metadata_write",
                              "gated_metadata_fill", "gated_metadata_write"),
    "random_update": ("random_update", "random_write", "update", "write"),
    "gated_update": ("gated_update", "gated_write"),
    "skipped_update": ("skipped_update", "skipped_write", "gated_update", "gated_write"),
    "random_metadata_update": ("random_metadata_update", "random_metadata_write",
                               "metadata_update", "metadata_write"),
    "gated_metadata_update": ("gated_metadata_update", "gated_metadata_write"),
    "skipped_metadata_update": ("skipped_metadata_update", "skipped_metadata_write",
                                "gated_metadata_update", "gated_metadata_write"),
    "decompression_count": ("decompression_count",),
    "compression_count": ("compression_count",),
    "leak": ("leak",),
}
COMPUTE_ACTIONS = {
    "random_compute": ("mac_random", "mult_random", "mac", "mult", "compute"),
    "skipped_compute": ("mac_skipped", "mult_skipped", "compute_skipped", "mac_gated",
                        "mult_gated", "compute_gated", "mac", "mult", "compute"),
    "gated_compute": ("mac_gated", "mult_gated", "compute_gated", "mac", "mult", "compute"),
}
# Timeloop's VectorWidthCoefficientTable: block size -> per-density-decile threshold
VECTOR_WIDTH_COEFFICIENTS = {
    2: (251, 125, 84, 63, 51, 42, 36, 32, 28, 1),
    4: (375, 188, 125, 94, 75, 63, 54, 47, 42, 1),
    8: (438, 219, 146, 110, 88, 73, 63, 55, 49, 1),
    16: (469, 235, 157, 118, 94, 79, 67, 59, 52, 1),
    32: (485, 243, 162, 122, 97, 81, 70, 61, 52, 1),
}


def storage_energy_map(tables: CostTables, name: str, vector_access_energy: float) -> dict:
    """Energy of each fine-grained action (random data actions default to the max)."""
    out = {}
    for op, names in STORAGE_ACTIONS.items():
        e = tables.energy(name, names)
        if e is None:
            e = vector_access_energy if op in ("random_read", "random_fill",
                                               "random_update") else 0.0
        out[op] = e
    return out


def compute_energy_map(tables: CostTables, name: str, energy_per_op: float) -> dict:
    """Energy of random / gated / skipped computes (0 without an ERT entry)."""
    out = {}
    for op, names in COMPUTE_ACTIONS.items():
        e = tables.energy(name, names)
        out[op] = e if e is not None else (energy_per_op if op == "random_compute" else 0.0)
    return out


def _bits(ranks: list, word_bits: list) -> int:
    """Bits of per-rank (metadata, payload) counts."""
    return sum(m * wm + p * wp for (m, p), (wm, wp) in zip(ranks, word_bits))


def finish_level(lv: StorageLevel, st: StorageStats, tiles: dict, workload: Workload,
                 spec: SparseSpec, s: int, tables: CostTables,
                 compute_cycles: int, replication: int = 1) -> SparseLevel:
    """Energy, bandwidth and cycles of storage level `s` from its fine-grained counts."""
    md = spec.metadata[s] if s < len(spec.metadata) else None
    e = storage_energy_map(tables, lv.name, st.vector_access_energy)
    sl = SparseLevel(base=st, md_width=md.storage_width if md else 0,
                     md_depth=md.storage_depth if md else None,
                     e_read=e["random_read"], e_write=e["random_fill"],
                     e_md_read=e["random_metadata_read"], e_md_write=e["random_metadata_fill"],
                     e_decompression=e["decompression_count"], leak=e["leak"])
    bs = lv.block_size
    wb = lv.word_bits
    sum_r = sum_w = 0.0
    rows: list[tuple[SparseDataSpace, float, float]] = []
    st.total_scalar_accesses = 0
    for dss in st.dataspaces:
        t = tiles[dss.name]
        ds = workload.data_space(dss.name)
        fine = dict(t.fine) if t.fine else {op: 0 for op in DATA_OPS}
        if not t.fine:
            fine["random_read"], fine["random_fill"], fine["random_update"] = \
                t.reads, t.fills, t.updates
        fine = {op: n % U64 for op, n in fine.items()}   # Timeloop's counts are uint64_t
        fine.setdefault("decompression_count", 0)
        fine.setdefault("compression_count", 0)
        xy = t.x_exp * t.y_exp
        clusters = min(xy, max(1, lv.instances // lv.cluster_size))
        sd = SparseDataSpace(
            name=dss.name, partition_size=dss.partition_size, density_name=t.density_name,
            tile_shape=t.shape, utilized_capacity=t.utilized_capacity
            if t.utilized_capacity is not None else t.shape,
            format_name=t.format_name, md_capacity=list(t.md_capacity), instances_max=xy,
            instances_avg=t.avg_replication, clusters=clusters, reads=t.reads, fills=t.fills,
            updates=t.updates, fine=fine, fmt=dict(t.fmt),
            temporal_reductions=t.temporal_reductions,
            bw_scale=dss.bandwidth_consumption_scale)
        if ds.read_write:
            sd.address_generations = (fine["random_update"] + fine["gated_update"]
                                      + fine["random_fill"] + fine["gated_fill"]) % U64
        else:
            sd.address_generations = (fine["random_read"] + fine["gated_read"]
                                      + fine["random_fill"] + fine["gated_fill"]) % U64
        # ---- vector accesses and energy
        ratio = t.block_ratio(bs)
        energy = 0.0
        for op, n in fine.items():
            if n == 0 or t.shape == 0:
                continue
            if "count" in op:
                va = n
            else:
                va = -(-n // bs) * ratio
            energy += va * e[op]
        for op in FORMAT_OPS:
            ranks = sd.fmt.get(op) or []
            bits = _bits(ranks, t.md_word_bits) if sl.md_width else 0
            sd.fmt_bits[op] = bits
            if sl.md_width:
                energy += math.ceil(bits / sl.md_width) * e[op]
        cl_util = xy / clusters if clusters else 1.0
        actual = (fine["random_read"] + fine["random_fill"] + fine["random_update"]) % U64
        if sd.instances_avg > 0:
            sd.energy_per_instance = energy / cl_util
            sd.energy_per_access = sd.energy_per_instance / actual if actual else 0.0
        sd.energy_total = sd.energy_per_instance * sd.instances_avg
        # ---- bandwidth
        dr = (fine["random_read"] + fine["gated_read"]) % U64
        dw = (fine["random_fill"] + fine["gated_fill"] + fine["random_update"]
              + fine["gated_update"]) % U64
        fr = sd.fmt_bits["random_metadata_read"] + sd.fmt_bits["gated_metadata_read"]
        fw = (sd.fmt_bits["random_metadata_fill"] + sd.fmt_bits["gated_metadata_fill"]
              + sd.fmt_bits["random_metadata_update"] + sd.fmt_bits["gated_metadata_update"])
        tr = dr + fr // wb
        tw = dw + fw // wb
        sd.shared_ratio = ((fr + fw) // wb) / (tr + tw) if tr + tw else 0.0
        sd.read_ratio = (fr // wb) / tr if tr else 0.0
        sd.write_ratio = (fw // wb) / tw if tw else 0.0
        scaling = xy / sd.instances_avg if sd.instances_avg else float("inf")
        tr = math.ceil(tr / scaling)
        tw = math.ceil(tw / scaling)
        rbw = tr / compute_cycles * sd.bw_scale if compute_cycles else 0.0
        wbw = tw / compute_cycles * sd.bw_scale if compute_cycles else 0.0
        sum_r += rbw
        sum_w += wbw
        rows.append((sd, rbw, wbw))
        sl.accesses += int(sd.instances_avg * (sd.reads + sd.fills + sd.updates))
    slow = 1.0
    if lv.read_bandwidth is not None and lv.read_bandwidth < sum_r:
        slow = min(slow, lv.read_bandwidth / sum_r)
    if lv.write_bandwidth is not None and lv.write_bandwidth < sum_w:
        slow = min(slow, lv.write_bandwidth / sum_w)
    if lv.shared_bandwidth is not None and lv.shared_bandwidth < sum_r + sum_w:
        slow = min(slow, lv.shared_bandwidth / (sum_r + sum_w))
    for sd, rbw, wbw in rows:
        sd.read_bw = slow * rbw
        sd.write_bw = slow * wbw
        sd.shared_bw = slow * (rbw + wbw)
        sl.dataspaces.append(sd)
    st.bandwidth_throttling = slow
    st.cycles = math.ceil(compute_cycles / slow) if slow > 0 else compute_cycles
    st.total_scalar_accesses = sl.accesses
    sl.replication = replication
    return sl


def finish_leakage(sl: SparseLevel, cycles: int) -> None:
    """Leakage over the run, then the level's total energy (Timeloop's FinalizeBufferEnergy)."""
    util = max([1.0, float(sl.replication)] + [sd.instances_avg for sd in sl.dataspaces])
    sl.base.leakage_energy_total = sl.leak * cycles * util
    sl.energy = sum(sd.energy_total + sd.tr_energy_total + sd.ag_energy_total
                    for sd in sl.dataspaces) + sl.base.leakage_energy_total
    sl.base.energy_total = sl.energy
