"""What a sparse evaluation produces: the figures of Timeloop's sparse stats layout.

Counts are per instance unless named total; energies pJ. `fine` maps Timeloop's
fine-grained action names (random_read, gated_read, skipped_read, ... ) to scalar
counts; `fmt` maps the metadata action names (random_metadata_read, ...) to per-rank
(metadata, payload) counts, inner rank first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from loopnest.model.result import ComputeStats, Result, StorageStats

DATA_OPS = ("random_read", "gated_read", "skipped_read", "random_fill", "gated_fill",
            "skipped_fill", "random_update", "gated_update", "skipped_update")
FORMAT_OPS = ("random_metadata_read", "gated_metadata_read", "skipped_metadata_read",
              "random_metadata_fill", "gated_metadata_fill", "skipped_metadata_fill",
              "random_metadata_update", "gated_metadata_update", "skipped_metadata_update")


@dataclass
class SparseDataSpace:
    """One data space kept at one level."""

    name: str
    partition_size: int = 0
    density_name: str = "fixed_structured"
    tile_shape: int = 0
    utilized_capacity: int = 0
    format_name: str = "none"
    md_capacity: list = field(default_factory=list)       # per rank (metadata, payload)
    instances_max: int = 1
    instances_avg: float = 1.0
    clusters: int = 1
    reads: int = 0
    fills: int = 0
    updates: int = 0
    fine: dict = field(default_factory=dict)
    fmt: dict = field(default_factory=dict)
    fmt_bits: dict = field(default_factory=dict)
    temporal_reductions: int = 0
    address_generations: int = 0
    energy_per_access: float = 0.0
    energy_per_instance: float = 0.0
    energy_total: float = 0.0
    tr_energy_per_instance: float = 0.0
    tr_energy_total: float = 0.0
    ag_energy_per_cluster: float = 0.0
    ag_energy_total: float = 0.0
    bw_scale: float = 1.0
    shared_bw: float = 0.0
    shared_ratio: float = 0.0
    read_bw: float = 0.0
    read_ratio: float = 0.0
    write_bw: float = 0.0
    write_ratio: float = 0.0

    def count(self, op: str) -> int:
        return self.fine.get(op, 0)


@dataclass
class SparseLevel:
    """A storage level: the dense level's specs plus the sparse ones."""

    base: StorageStats
    md_width: int = 0
    md_depth: int | None = None
    e_read: float = 0.0
    e_write: float = 0.0
    e_md_read: float = 0.0
    e_md_write: float = 0.0
    e_decompression: float = 0.0
    leak: float = 0.0
    replication: int = 1              # instances the mapping uses (leakage)
    dataspaces: list = field(default_factory=list)
    accesses: int = 0                 # Timeloop's Accesses(): algorithmic, avg instances
    energy: float = 0.0

    @property
    def visible(self) -> bool:
        return self.accesses != 0 or self.energy != 0.0


@dataclass
class SparseCompute:
    base: ComputeStats
    utilized_max: int = 0
    utilized_avg: float = 0.0
    cycles: int = 0
    algorithmic: int = 0
    actual: int = 0
    gated: int = 0
    skipped: int = 0
    energy: float = 0.0


@dataclass
class SparseResult:
    """The dense `result` (totals updated to the sparse figures) plus the sparse detail."""

    result: Result
    compute: SparseCompute | None = None
    levels: list = field(default_factory=list)            # SparseLevel, inner -> outer
    algorithmic_computes: int = 0
    actual_computes: int = 0
