"""Capacity of compressed tiles (Timeloop's sparse BufferLevel checks).

A level's tiles are its data spaces' utilized capacities (the maximum occupancy of a
tile kept with metadata, the tile shape otherwise); the metadata of its formats takes
`metadata_storage_depth x metadata_storage_width` bits, both divided by the level's
multiple buffering. Levels without a size are unbounded.
"""
from __future__ import annotations

import math

from loopnest.ir.architecture import StorageLevel
from loopnest.model.sparse.spec import MetadataAttrs


def metadata_bits(ranks: list) -> int:
    """ComputeMetaDataTileSizeInBits: sum of units x word bits (a uint64 accumulator)."""
    size = 0
    for o in ranks:
        size = int(size + o.metadata * o.md_bits)
        size = int(size + o.payload * o.pl_bits)
    return size


def capacity_failure(lv: StorageLevel, md: MetadataAttrs, tiles: dict) -> str | None:
    """Why the level's sparse tiles do not fit (None when they do)."""
    if lv.size is None:
        return None
    eff = lv.effective_size
    used = sum(t.utilized_capacity if t.utilized_capacity is not None else t.shape
               for t in tiles.values())
    md_used = sum(metadata_bits(t.max_md) for t in tiles.values() if t.has_metadata)
    eff_md = math.floor((md.storage_depth or 0) * md.storage_width / lv.multiple_buffering)
    if used > eff and not lv.allow_overbooking:
        return (f"couldn't map level {lv.name}: mapped tile size {used} exceeds buffer "
                f"capacity {eff}")
    if md_used > eff_md and not lv.allow_overbooking:
        return (f"couldn't map level {lv.name}: mapped metadata tile size {md_used} bits "
                f"exceeds metadata buffer capacity {eff_md} bits (metadata_storage_depth x "
                f"metadata_storage_width / multiple_buffering)")
    if used < eff * lv.min_utilization:
        return (f"couldn't map level {lv.name}: mapped tile size {used} is less than "
                f"constrained minimum utilization {eff * lv.min_utilization}")
    return None
