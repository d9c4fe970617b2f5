"""What one evaluation produces: every figure Timeloop's stats report prints.

Plain dataclasses; `loopnest.report` turns them into Timeloop-layout text.
Counts are per instance unless the name says total. Energies in pJ, area um^2.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DataSpaceStats:
    """Per level, per data space figures (only for data spaces kept at the level)."""

    name: str
    partition_size: int = 0
    utilized_capacity: int = 0
    utilized_instances: int = 0
    utilized_clusters: int = 0
    reads: int = 0
    fills: int = 0
    updates: int = 0
    temporal_reductions: int = 0
    address_generations: int = 0
    energy_per_scalar_access: float = 0.0
    energy_per_instance: float = 0.0
    energy_total: float = 0.0
    tr_energy_per_instance: float = 0.0
    tr_energy_total: float = 0.0
    addr_gen_energy_per_cluster: float = 0.0
    addr_gen_energy_total: float = 0.0
    bandwidth_consumption_scale: float = 1.0
    shared_bw_per_instance: float = 0.0
    shared_bw_total: float = 0.0
    read_bw_per_instance: float = 0.0
    read_bw_total: float = 0.0
    write_bw_per_instance: float = 0.0
    write_bw_total: float = 0.0
    # Extra detail (not printed in the dense layout, used by mapper/plots)
    peer_accesses: int = 0
    link_transfers: int = 0
    # map.txt prints `<DS>:<tile size> (<utilized capacity>)`; the two agree for dense
    # runs. None = same as utilized_capacity.
    tile_size: int | None = None


@dataclass
class LoopText:
    """A loop as printed in MAPPING / map.txt."""

    dim: str
    end: int
    spatial: str | None = None  # None, "X", "Y"
    residual: int | None = None


@dataclass
class StorageStats:
    """One storage level: specs echo plus stats."""

    index: int  # "Level k" number (0 = arithmetic)
    name: str
    technology: str = "SRAM"
    size: int | None = None
    word_bits: int = 16
    block_size: int = 1
    cluster_size: int = 1
    instances: int = 1
    meshX: int = 1
    meshY: int = 1
    shared_bandwidth: float | None = None
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    multiple_buffering: float = 1.0
    effective_size: int | None = None
    min_utilization: float = 0.0
    vector_access_energy: float = 0.0
    vector_access_energy_source: str = "ERT"
    leakage_per_cycle: float = 0.0
    instances_sharing_power_gating: float = 1.0
    non_power_gated_utilization: float = 1.0
    leakage_energy_total: float = 0.0
    area: float = 0.0  # per instance
    is_dummy: bool = False
    loops: list[LoopText] = field(default_factory=list)  # outer first
    cycles: int = 0
    bandwidth_throttling: float = 1.0
    dataspaces: list[DataSpaceStats] = field(default_factory=list)  # kept, problem order
    keep: list[str] = field(default_factory=list)
    energy_total: float = 0.0  # all data spaces + TR + addr gen + leakage
    total_scalar_accesses: int = 0

    @property
    def visible(self) -> bool:
        """Timeloop hides levels with no accesses and no energy."""
        return self.total_scalar_accesses > 0 or self.energy_total != 0.0


@dataclass
class ComputeStats:
    """The arithmetic level."""

    name: str
    word_bits: int = 16
    instances: int = 1
    meshX: int = 1
    meshY: int = 1
    compute_energy: float = 0.0  # per op
    utilized_instances: int = 0
    computes: int = 0
    cycles: int = 0
    energy_total: float = 0.0
    area_total: float = 0.0
    area: float = 0.0  # per instance


@dataclass
class NetworkStats:
    """An inferred (legacy) or explicit network between two levels."""

    name: str
    energy_total: float = 0.0


@dataclass
class Result:
    """Outcome of evaluating one mapping."""

    valid: bool
    failure: str | None = None  # why an invalid mapping failed (level, data space, need/have)
    compute: ComputeStats | None = None
    storage: list[StorageStats] = field(default_factory=list)  # inner -> outer
    networks: list[NetworkStats] = field(default_factory=list)
    computes: int = 0
    cycles: int = 0
    energy: float = 0.0  # pJ
    area: float = 0.0  # um^2
    utilization: float = 0.0
    total_elementwise_ops: int = 0
    total_reduction_ops: int = 0
    total_memory_accesses_required: int = 0
    optimal_op_per_byte: float = 0.0
    # What the stats summary prints as Area (None = `area`); see ModelOptions.
    summary_area: float | None = None
    exact: bool = True  # False when a batched fast path approximated something

    @property
    def total_ops(self) -> int:
        return self.total_elementwise_ops + self.total_reduction_ops

    @property
    def edp(self) -> float:
        """Energy-delay product in J*cycle."""
        return self.energy * 1e-12 * self.cycles

    @property
    def pj_per_compute(self) -> float:
        return self.energy / self.computes if self.computes else 0.0
