"""Sparseloop's sparse analysis on the dense per-level tiles (PerformSparseProcessing).

`TileInfo` is one (level, data space) record: the dense algorithmic counts in, the
fine-grained actual / gated / skipped counts, format counts and occupancies out.
`analyze_sparse` runs the steps in Timeloop's order: formats and expected occupancy,
storage gating/skipping, then the compute optimizations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from loopnest.errors import MappingError
from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.model.sparse.actions import StorageSaf, combine, define_storage_safs
from loopnest.model.sparse.compute import compute_actions
from loopnest.model.sparse.density import DensityModel
from loopnest.model.sparse.formats import box_of, define_rank_nests
from loopnest.model.sparse.levels import VECTOR_WIDTH_COEFFICIENTS
from loopnest.model.sparse.loops import complete_nest
from loopnest.model.sparse.occupancy import (decompression_counts, expected_format_accesses,
                                             expected_occupancy, link_levels,
                                             representation_impact)
from loopnest.model.sparse.result import DATA_OPS, FORMAT_OPS
from loopnest.model.sparse.spatial import fanout_failure, initialize, spatial_impact, summarize
from loopnest.model.sparse.spec import SparseSpec


@dataclass
class TileInfo:
    """One data space at one storage level (Timeloop's DataMovementInfo, sparse parts)."""

    level: int
    data_space: str
    shape: int
    partition: int
    reads: int
    fills: int
    updates: int
    temporal_reductions: int
    replication: int
    x_exp: int = 1
    y_exp: int = 1
    density_name: str = "fixed_structured"
    expected_density: float = 1.0
    compressed: bool = False
    format_name: str = "none"
    utilized_capacity: int | None = None
    md_capacity: list = field(default_factory=list)        # per rank (metadata, payload)
    md_word_bits: list = field(default_factory=list)       # per rank (metadata, payload)
    avg_replication: float = -1.0
    fine: dict = field(default_factory=dict)
    fmt: dict = field(default_factory=dict)
    occupancy_pmf: object = None                           # () -> {nnz: probability} (lazy)
    has_metadata: bool = False
    expected_occupancy: float = -1.0
    box: tuple = ()                                        # tile extents per rank
    parent: int | None = None                              # next outer level keeping it
    child: int | None = None                               # next inner level keeping it
    rank_nest: object = None                               # formats.RankNest
    format: object = None                                  # spec.TensorFormat
    expected_md: list = field(default_factory=list)        # per rank RankOccupancy (expected)
    max_md: list = field(default_factory=list)             # per rank RankOccupancy (max)
    format_reads: list = field(default_factory=list)       # per rank [metadata, payload]
    format_fills: list = field(default_factory=list)
    format_updates: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.avg_replication < 0:
            self.avg_replication = float(self.replication)
        if self.expected_occupancy < 0:
            self.expected_occupancy = float(self.shape)

    def block_ratio(self, block: int) -> float:
        """Timeloop's ComputeVectorAccesses ratio for a compressed tile in blocks."""
        if not (self.compressed and self.shape and block > 1 and self.expected_density < 1.0
                and self.occupancy_pmf):
            return 1.0
        d = self.expected_density
        idx = int(math.floor(d / 0.1) - 1) if d >= 0.1 else 0
        table = VECTOR_WIDTH_COEFFICIENTS.get(block)
        if table is None or not table[idx] > self.shape // block:
            return 1.0
        pmf = self.occupancy_pmf()
        total = sum(math.ceil(n / block) * pmf.get(n, 0.0) for n in range(1, self.shape + 1))
        naive = self.shape * d / block
        return total / naive if naive else 1.0


@dataclass
class SparseOutcome:
    compute: dict
    compute_avg_instances: float | None = None
    compute_xy: tuple | None = None                        # spatial skipping: max (X, Y)


def nonzero_fraction(workload: Workload, spec: SparseSpec) -> float:
    """The product of every tensor's expected density: the smallest fraction of a dense
    count that the sparse optimizations can leave (what the mapper's bound assumes)."""
    out = 1.0
    for m in density_models(workload, spec).values():
        out *= m.expected_density()
    return out


def density_models(workload: Workload, spec: SparseSpec) -> dict:
    """Each data space's density model, bound to its whole tensor."""
    sizes = workload.tile_sizes()
    full = workload.bound_map
    models = {ds: DensityModel(spec.densities[ds], sizes[ds], box_of(workload, ds, full))
              for ds in workload.ds_names}
    for ds, m in models.items():
        if m.is_banded and (len(m.tensor_box) != 2 or m.tensor_box[0] != m.tensor_box[1]):
            raise MappingError(f"the banded density of {ds} needs a square 2-D tensor, "
                               f"got extents {m.tensor_box}")
    return models


def _init_tiles(workload: Workload, tiles: list, nest) -> None:
    """Fine-grained counts start as the algorithmic ones (uncompressed, no metadata)."""
    for l, row in enumerate(tiles):
        for ds, t in row.items():
            t.fine = {op: 0 for op in DATA_OPS}
            t.fine["random_read"], t.fine["random_fill"], t.fine["random_update"] = \
                t.reads, t.fills, t.updates
            t.fmt = {op: [] for op in FORMAT_OPS}
            t.box = box_of(workload, ds, nest.molds[l][-1])
    link_levels(tiles)


def _attach_formats(workload: Workload, arch: Architecture, nest, tiles: list,
                    spec: SparseSpec) -> None:
    """DefineCompressionFormatModels: rank nests and representation of every kept tile."""
    if not any(lv.formats for lv in spec.levels.values()):
        return
    for (l, ds), rn in define_rank_nests(workload, arch, nest, tiles, spec).items():
        t = tiles[l][ds]
        t.rank_nest = rn
        t.format = spec.format_of(l, ds)
        t.has_metadata = t.format is not None
        t.compressed = bool(t.format and t.format.compressed)
        if t.format is not None:
            t.format_name = t.format.name


def _spatial_skipping(workload: Workload, arch: Architecture, nest, tiles: list, models: dict,
                      actions: dict, saf: StorageSaf, expansion: list, compute_exp: tuple,
                      compute_repl: int):
    """Spatial skipping's instances; its probabilities join `saf`. Returns the arithmetic
    level's (average instances, (X, Y)), or (None, None) without spatial skipping."""
    spatial = [(s, a) for s in sorted(actions) for a in actions[s]
               if a.kind == "skipping_spatial"]
    if not spatial:
        return None, None
    st = initialize(workload, nest, tiles, models, expansion, compute_exp)
    masks = set()
    for s, a in spatial:
        if len(a.options) != 1:
            raise MappingError(f"skipping_spatial at {arch.storage[s].name} takes exactly "
                               f"one option, got {len(a.options)}")
        o = a.options[0]
        spatial_impact(workload, nest, tiles, models, st, s, o.target, o.condition_on)
        masks.add((s, o.target))
    summarize(workload, tiles, st, masks, compute_repl)
    bad = fanout_failure(workload, st, [arch.fanout(s) for s in range(len(tiles))])
    if bad:
        raise MappingError(bad)
    for (s, ds) in masks:
        if (s, ds) in saf.kind:
            raise MappingError(f"{ds} at {arch.storage[s].name}: spatial and temporal "
                               f"skipping/gating at one level are not supported together")
        saf.kind[(s, ds)] = "spatial_skip"
        saf.prob[(s, ds)] = st.prob[(s, ds)]
    return st.compute_avg, (st.compute_x, st.compute_y)


def analyze_sparse(workload: Workload, arch: Architecture, mapping: Mapping, spec: SparseSpec,
                   tiles: list, algorithmic_computes: int, read_energy: list,
                   expansion: list, compute_exp: tuple, compute_repl: int) -> SparseOutcome:
    """Fill the fine-grained fields of `tiles` (in place); return the compute counts.

    `read_energy[s]`: the random-read energy of storage level s (option choice);
    `expansion[s]`: (X, Y) spatial expansion of storage level s; `compute_exp`,
    `compute_repl`: the arithmetic level's (X, Y) and instances."""
    models = density_models(workload, spec)
    nest = complete_nest(workload, arch, mapping)
    _init_tiles(workload, tiles, nest)
    _attach_formats(workload, arch, nest, tiles, spec)
    expected_occupancy(tiles, models)
    expected_format_accesses(tiles)
    actions = {s: lv.actions for s, lv in spec.levels.items() if lv.actions}
    saf = define_storage_safs(workload, arch, nest, tiles, models, actions, read_energy)
    compute_avg, compute_xy = _spatial_skipping(workload, arch, nest, tiles, models, actions, saf,
                                                expansion, compute_exp, compute_repl)
    representation_impact(workload, tiles)
    comp, innermost = combine(workload, tiles, saf, algorithmic_computes)
    decompression_counts(workload, tiles)
    compute = compute_actions(workload, tiles, models, comp, innermost, spec.compute_gating,
                              spec.compute_skipping)
    return SparseOutcome(compute=compute, compute_avg_instances=compute_avg,
                         compute_xy=compute_xy)
