"""Architecture: storage levels from the compute outward, the compute level, fan-outs.

Storage index 0 is the innermost storage level (next to the MACs). The fan-out
between storage level i and what is below it (level i-1, or the compute level
for i=0) is `meshX(below)/meshX(i)` by `meshY(below)/meshY(i)`.
v0.4 containers with fan-out appear as dummy storage levels `inter_<name>_spatial`
(`is_dummy=True`), exactly as Timeloop's front end produces them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StorageLevel:
    """A buffer level with every attribute Timeloop's model reads (defaults applied)."""

    name: str
    cls: str = "SRAM"
    subclass: str | None = None
    technology: str = "SRAM"  # "SRAM" or "DRAM" (Timeloop's notion)
    word_bits: int = 16
    block_size: int = 1
    cluster_size: int = 1
    width: int | None = None  # bits per row, if given
    depth: int | None = None
    size: int | None = None  # words; None = unlimited
    multiple_buffering: float = 1.0
    min_utilization: float = 0.0
    instances: int = 1
    meshX: int = 1
    meshY: int = 1
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    shared_bandwidth: float | None = None
    per_dataspace_bandwidth_consumption_scale: tuple[tuple[str, float], ...] = ()
    reduction_supported: bool = True
    num_banks: int = 2
    num_ports: int = 2
    network_fill_latency: int = 0
    network_drain_latency: int = 0
    network_read: str | None = None
    network_fill: str | None = None
    network_update: str | None = None
    network_drain: str | None = None
    power_gated_at: str | None = None
    allow_overbooking: bool = False
    vector_access_energy: float | None = None  # user override
    is_dummy: bool = False
    # All attributes as given (for energy and echoes). Not part of equality: two spellings
    # of one design differ here (front-end defaults) but not in what the model reads.
    attributes: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def effective_size(self) -> int | None:
        if self.size is None:
            return None
        return int(self.size // self.multiple_buffering)

    def attr(self, key: str, default: Any = None) -> Any:
        return dict(self.attributes).get(key, default)


@dataclass(frozen=True)
class ComputeLevel:
    """The arithmetic level (MACs)."""

    name: str
    cls: str = "intmac"
    subclass: str | None = None
    word_bits: int = 16
    instances: int = 1
    meshX: int = 1
    meshY: int = 1
    attributes: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def attr(self, key: str, default: Any = None) -> Any:
        return dict(self.attributes).get(key, default)


@dataclass(frozen=True)
class Architecture:
    """Storage levels (index 0 innermost), the compute level and the design's name."""

    storage: tuple[StorageLevel, ...]
    compute: ComputeLevel
    name: str = "System"

    def level_index(self, name: str) -> int:
        for i, lv in enumerate(self.storage):
            if lv.name == name:
                return i
        raise KeyError(name)

    def fanout(self, i: int) -> tuple[int, int]:
        """(X, Y) fan-out from storage level i to the level below it."""
        below = self.storage[i - 1] if i > 0 else self.compute
        here = self.storage[i]
        return below.meshX // here.meshX, below.meshY // here.meshY
