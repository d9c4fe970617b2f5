"""Expected occupancy of data and metadata, format accesses, and the representation's
impact on data accesses (Timeloop's CalculateExpectedOccupancy,
CalculateExpectedMetaDataAccesses, ProcessDataReprImpactOnStorageAccesses and
CalculateDecompressionCompressionCost).
"""
from __future__ import annotations

import math

from loopnest.ir.workload import Workload
from loopnest.model.sparse.formats import RankOccupancy, rank_occupancy


def _div(a: float, b: float) -> float:
    """IEEE division (Timeloop divides by a zero probability of a non-empty tile)."""
    if b != 0:
        return a / b
    return math.nan if a == 0 else math.copysign(math.inf, a)


def link_levels(tiles: list) -> None:
    """Set each tile's parent and child: the next outer / inner level keeping it."""
    N = len(tiles)
    names = {ds for row in tiles for ds in row}
    for ds in names:
        chain = [l for l in range(N) if ds in tiles[l] and tiles[l][ds].shape > 0]
        for i, l in enumerate(chain):
            t = tiles[l][ds]
            t.child = chain[i - 1] if i > 0 else None
            t.parent = chain[i + 1] if i + 1 < len(chain) else None


def expected_occupancy(tiles: list, models: dict) -> None:
    """Expected data and per-rank metadata occupancy, expected density, max capacity.

    A tile whose parent has metadata and that can be empty is only sent when it is not:
    its average instances and occupancy distribution are conditioned on non-empty."""
    for row in tiles:
        for ds, t in row.items():
            if t.shape == 0:
                continue
            m = models[ds]
            kmax = m.occupancy_at(t.shape, 1.0, t.box)
            kmin = m.min_occupancy(t.shape, t.box)
            probs = [(k, m.probability(t.shape, k, t.box)) for k in range(kmin, kmax + 1)]
            probs = [(k, p) for k, p in probs if p != 0]
            parent = tiles[t.parent][ds] if t.parent is not None else None
            if parent is not None and parent.has_metadata and kmin == 0 and probs:
                p0 = probs[0][1]
                t.avg_replication *= (1.0 - p0)
                scale = 1.0 - p0
                probs = [(k, _div(p, scale)) for k, p in probs]
                probs[0] = (probs[0][0], 0.0)
            total = 0.0
            md: list = []
            for k, p in probs:
                total += p * k
                if t.has_metadata:
                    occ = rank_occupancy(t.format, t.rank_nest, t.box, k, m)
                    for r, o in enumerate(occ):
                        if len(md) == r:
                            md.append(RankOccupancy(o.metadata * p, o.payload * p, o.md_bits,
                                                    o.pl_bits))
                        else:
                            md[r].metadata += o.metadata * p
                            md[r].payload += o.payload * p
            t.expected_density = total / t.shape
            t.expected_occupancy = total
            t.expected_md = md
            t.occupancy_pmf = (lambda m=m, t=t: m.pmf(t.shape, t.box)) if t.compressed else None
            if t.has_metadata:
                t.utilized_capacity = kmax
                t.max_md = rank_occupancy(t.format, t.rank_nest, t.box, kmax, m)
                t.md_capacity = [(math.ceil(o.metadata), math.ceil(o.payload))
                                 for o in t.max_md]
                t.md_word_bits = [(o.md_bits, o.pl_bits) for o in t.expected_md]


def expected_format_accesses(tiles: list) -> None:
    """Format reads/fills/updates per rank: expected units x accesses per tile point."""
    for row in tiles:
        for t in row.values():
            if t.shape == 0 or not t.has_metadata:
                continue
            rr, fr, ur = t.reads / t.shape, t.fills / t.shape, t.updates / t.shape
            t.format_reads = [[math.ceil(o.metadata * rr), math.ceil(o.payload * rr)]
                              for o in t.expected_md]
            t.format_fills = [[math.ceil(o.metadata * fr), math.ceil(o.payload * fr)]
                              for o in t.expected_md]
            t.format_updates = [[math.ceil(o.metadata * ur), math.ceil(o.payload * ur)]
                                for o in t.expected_md]
            for op in t.fmt:
                t.fmt[op] = [[0, 0] for _ in t.expected_md]


def representation_impact(workload: Workload, tiles: list) -> None:
    """A tile with metadata only moves its nonzeros: accesses x expected density."""
    for row in tiles:
        for ds, t in row.items():
            if not t.has_metadata:
                continue
            sparsity = 1 - t.expected_density
            t.fine["random_read"] = t.reads - math.floor(t.reads * sparsity)
            t.fine["random_fill"] = t.fills - math.floor(t.fills * sparsity)
            if workload.data_space(ds).read_write:
                t.fine["random_update"] = t.updates - math.floor(t.updates * sparsity)


def decompression_counts(workload: Workload, tiles: list) -> None:
    """An uncompressed tile filled from a compressed parent decompresses every fill."""
    for row in tiles:
        for ds, t in row.items():
            if t.compressed or t.parent is None:
                continue
            parent = tiles[t.parent][ds]
            if parent.compressed:
                if workload.data_space(ds).read_write:
                    t.fine["compression_count"] = (t.fine.get("compression_count", 0)
                                                   + parent.fine["random_update"])
                t.fine["decompression_count"] = (t.fine.get("decompression_count", 0)
                                                 + t.fine["random_fill"])
