"""Sparseloop's model: densities, compressed formats, gating and skipping.

Runs on top of the dense nest analysis (`loopnest.model.evaluate`): `spec` reads the
user's `densities`, `sparse_optimizations` and metadata attributes into plain
dataclasses, `density` holds the tile-occupancy models, `formats` the per-rank
metadata models, `actions` the gating/skipping analysis, `evaluate` combines them
into a `SparseResult` that `loopnest.report.sparse_stats` prints in Timeloop's
sparse layout. See docs/sparse.md.
"""
