"""Representation formats: ranks from the mapping, metadata and payload per rank.

Per data space, every level that keeps it gets a rank nest (Timeloop's
DefineCompressionFormatModels): the level's loops over the data space's dimensions
(from the innermost level that does not keep it in a tile of its own) are assigned to
ranks, one non-trivial loop per rank, outer rank first (or inner first with
`rank_application_order: inner_to_outer`). A compressed level above a level that keeps
the tensor pre-tiles: its inner ranks are the child's. Each rank's fiber has
`fiber_shape` coordinates; a format turns (fibers, fiber shape, probability that a
sub-tile is empty) into metadata and payload units:

* UOP: payload = fibers x (shape + 1) offsets, no metadata;
* UB: metadata = payload = fibers x shape (uncompressed bitmask);
* B: metadata = fibers x shape bits, payload = fibers x nonempty coordinates (ceiled);
* CP: metadata = payload = fibers x nonempty coordinates (ceiled);
* RLE: metadata = payload = fibers x nonempty coordinates.

Fibers of a rank = fibers of the rank above x its shape x P(the parent tile is not
empty). A rank of shape 1 other than the first is empty; the innermost nonempty rank
has no payload.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from loopnest.errors import MappingError
from loopnest.ir.architecture import Architecture
from loopnest.ir.workload import Workload
from loopnest.model.sparse import banded
from loopnest.model.sparse.density import DensityModel, hypergeometric_pmf
from loopnest.model.sparse.spec import SparseSpec, TensorFormat


@dataclass
class RankNest:
    """A level's ranks (inner first): loops, fiber shapes, element sub-tile sizes."""

    loops: list = field(default_factory=list)      # per rank: [(dim, end)]
    fiber_shapes: list = field(default_factory=list)
    subtiles: list = field(default_factory=list)   # boxes, len ranks + 1; [0] = innermost element


@dataclass
class RankOccupancy:
    metadata: float = 0.0
    payload: float = 0.0
    md_bits: int = 0
    pl_bits: int = 0

    @property
    def empty(self) -> bool:
        return self.metadata == 0 and self.payload == 0


def box_size(box: tuple) -> int:
    return math.prod(box)


def constrained_empty(model: DensityModel, box: tuple, parent_box: tuple,
                      parent_nnz: int) -> float:
    """P(a sub-tile `box` is empty | its tile `parent_box` holds `parent_nnz` nonzeros)."""
    shape, parent_shape = box_size(box), box_size(parent_box)
    if model.is_banded:
        if shape == 0:
            return 1.0
        rep = banded.representative(model.tensor_box, tuple(parent_box), parent_nnz,
                                    model.spec.band_width or 0)
        return banded.constrained_zero(tuple(box), rep, model.spec.band_width or 0)
    if model.spec.distribution == "hypergeometric":
        return hypergeometric_pmf(0, parent_nnz, shape, parent_shape)
    if parent_shape == 0:
        return 1.0
    exact = shape * (parent_nnz / parent_shape)
    lo, hi = math.floor(exact), math.ceil(exact)
    if lo == 0:
        return 1.0 - (exact - lo)
    if hi == 0:
        return exact - lo
    return 0.0


def rank_occupancy(fmt: TensorFormat, nest: RankNest, tile_box: tuple, nnz: int,
                   model: DensityModel) -> list:
    """Per rank (inner first) occupancy of a tile (box) holding `nnz` nonzeros."""
    R = len(fmt.ranks)
    out: list = [None] * R
    fibers_max = 1
    cur = tile_box
    for r in range(R - 1, -1, -1):
        rk = fmt.ranks[r]
        nxt = nest.subtiles[r]
        fs = nest.fiber_shapes[r]
        top = 0 if fmt.inner_to_outer else R - 1
        if fs == 1 and r != top:
            occ = RankOccupancy()
        else:
            p_cur = constrained_empty(model, cur, tile_box, nnz)
            fibers = fibers_max * (1 - p_cur)
            occ = RankOccupancy(md_bits=rk.metadata_word_bits or 0,
                                pl_bits=rk.payload_word_bits or 0)
            if rk.format == "UOP":
                occ.payload = fibers * (fs + 1)
            elif rk.format == "UB":
                occ.metadata = occ.payload = fibers_max * fs
            else:
                p_next = constrained_empty(model, nxt, tile_box, nnz)
                if rk.format == "RLE":
                    per = fs * (1 - p_next)
                else:
                    per = math.ceil(fs * (1 - p_next))
                if rk.format == "B":
                    occ.metadata = fibers * fs
                    occ.payload = fibers * per
                else:
                    occ.metadata = occ.payload = per * fibers
        out[r] = occ
        fibers_max *= fs
        cur = nxt
    for occ in out:
        if not occ.empty:
            occ.payload = 0.0
            break
    return out


def box_of(workload: Workload, ds: str, ext: dict) -> tuple:
    """Extents per rank of data space `ds` over the operation-space box `ext`."""
    return tuple(sum(c * (ext.get(d, 1) - 1) for d, c in rank) + 1
                 for rank in workload.data_space(ds).projection)


def _singleton(workload: Workload, nest, ds: str, lo: int, hi: int) -> list:
    """Loops of levels lo..hi over `ds`'s dimensions, inner first: [dim, end, subtile]."""
    dims = workload.data_space(ds).dims()
    out = []
    for l in range(lo, hi + 1):
        for i, lp in enumerate(nest.loops[l]):
            if lp.dim in dims:
                out.append([lp.dim, lp.end, box_of(workload, ds, nest.molds[l][i])])
    return out


def _rule(fmt: TensorFormat | None, r: int, dim: str):
    """(rank r has flattening rules, the rule item holding `dim` or None)."""
    if fmt is None or r >= len(fmt.ranks) or not fmt.ranks[r].flattened_rank_ids:
        return False, None
    for item in fmt.ranks[r].flattened_rank_ids:
        if dim in item:
            return True, tuple(item)
    return True, None


def _outer_to_inner(loops: list, n_ranks: int, inner_rank: int, fmt: TensorFormat | None):
    """ApplyRanksOuterToInner: ([loops per rank], [element box per rank]), inner first."""
    has_md = fmt is not None
    nests: list = []
    subs: list = []
    i = len(loops) - 1
    r = n_ranks
    while r > inner_rank and i >= 0:
        while i >= 0 and loops[i][1] <= 1:
            i -= 1
        if i < 0:
            break
        r -= 1
        exists, rule = _rule(fmt, r, loops[i][0]) if has_md else (False, None)
        if exists and rule is None:
            nests.append([])                 # Timeloop appends this rank at the outer end
            subs.append(loops[0][2])
            continue
        in_flat = rule is not None or not has_md
        rank = [(loops[i][0], loops[i][1])]
        sub = loops[i][2]
        i -= 1
        if i >= 0 and in_flat:
            while i >= 0:
                d, e = loops[i][0], loops[i][1]
                if not (not has_md or (rule is not None and d in rule) or e <= 1):
                    break
                if e > 1:
                    rank.append((d, e))
                i -= 1
        nests.insert(0, rank)
        subs.insert(0, sub)
    while r > inner_rank:
        r -= 1
        nests.insert(0, [])
        subs.insert(0, loops[0][2] if loops else None)
    more = any(lp[1] > 1 for lp in loops[:i + 1])
    return nests, subs, more


def _inner_to_outer(loops: list, n_ranks: int, inner_rank: int, fmt: TensorFormat | None):
    """ApplyRanksInnerToOuter: ([loops per rank], [element box per rank]), inner first."""
    has_md = fmt is not None
    nests: list = []
    subs: list = []
    i = 0
    r = inner_rank - 1
    cur_sub = None
    while r < n_ranks - 1 and i < len(loops):
        while i < len(loops) and loops[i][1] <= 1:
            i += 1
        if i >= len(loops):
            break
        r += 1
        exists, rule = _rule(fmt, r, loops[i][0]) if has_md else (False, None)
        if exists and rule is None:
            first = fmt.ranks[r].flattened_rank_ids[0][0]
            nests.append([(first, 1)])
            subs.append(cur_sub)
            continue
        in_flat = rule is not None or not has_md
        rank = [(loops[i][0], loops[i][1])]
        sub = loops[i][2]
        i += 1
        if i < len(loops) and in_flat:
            while i < len(loops):
                d, e = loops[i][0], loops[i][1]
                if not (not has_md or (rule is not None and d in rule) or e <= 1):
                    break
                if e > 1:
                    rank.append((d, e))
                i += 1
        nests.append(rank)
        subs.append(sub)
        cur_sub = None
    while r < n_ranks - 1:
        r += 1
        nests.append([])
        subs.append(loops[0][2] if loops else None)
    more = any(lp[1] > 1 for lp in loops[i:])
    return nests, subs, more


def define_rank_nests(workload: Workload, arch: Architecture, nest, tiles: list,
                      spec: SparseSpec) -> dict:
    """(level, data space) -> RankNest for every level keeping a data space."""
    out: dict = {}
    N = len(tiles)
    for ds in workload.ds_names:
        chain = [l for l in range(N) if ds in tiles[l] and tiles[l][ds].shape > 0]
        for idx, l in enumerate(chain):
            child = chain[idx - 1] if idx > 0 else None
            fmt = spec.format_of(l, ds)
            has_md = fmt is not None
            n_ranks = len(fmt.ranks) if has_md else 1
            cfmt = spec.format_of(child, ds) if child is not None else None
            c_ranks = (len(cfmt.ranks) if cfmt else 1) if child is not None else 0
            pre = bool(fmt and fmt.compressed and child is not None
                       and tiles[child][ds].shape > 1)
            if pre:
                bad = c_ranks > n_ranks or (cfmt is not None and cfmt.compressed and any(
                    fmt.ranks[r].format != cfmt.ranks[r].format for r in range(c_ranks)))
                if bad:
                    raise MappingError(
                        f"pre-tiling of {ds} is required but the compression formats of "
                        f"{arch.storage[l].name} and {arch.storage[child].name} do not align",
                        hint="give the outer level the inner level's ranks below its own")
            lo = child + 1 if child is not None else 0
            loops = _singleton(workload, nest, ds, lo, l)
            if not pre:
                sizes = {d: 1 for d in workload.dimensions}
                for k in range(lo):
                    for lp in nest.loops[k]:
                        sizes[lp.dim] *= lp.end
                for lp in loops:
                    lp[1] *= sizes[lp[0]]
                    sizes[lp[0]] = 1
            inner = c_ranks if pre else 0
            i2o = bool(fmt and fmt.inner_to_outer)
            apply = _inner_to_outer if i2o else _outer_to_inner
            nests, subs, more = apply(loops, n_ranks, inner, fmt)
            if more:
                raise MappingError(
                    f"more compression ranks needed than supported in hardware: {ds} at "
                    f"{arch.storage[l].name} has {n_ranks} rank(s)",
                    hint="add ranks to its representation format")
            rn = RankNest()
            if pre:
                cn = out[(child, ds)]
                rn.loops = list(cn.loops)
                rn.subtiles = list(cn.subtiles)
            else:
                rn.subtiles = [tuple(1 for _ in workload.data_space(ds).projection)]
            scalar = tuple(1 for _ in workload.data_space(ds).projection)
            rn.loops += nests
            rn.subtiles += [scalar if sub is None else sub for sub in subs]
            for rk_loops in rn.loops:
                ext = {d: 1 for d in workload.dimensions}
                for d, e in rk_loops:
                    ext[d] *= e
                rn.fiber_shapes.append(workload.tile_sizes(ext)[ds])
            out[(l, ds)] = rn
    return out
