"""Storage gating / skipping (Sparseloop's storage-gs analyzer and the
storage-optimization combiner).

A storage action optimization `target conditioned on [tensors]` at a level makes a
read of the target ineffectual when every conditioning tile of the matching
granularity is empty; its probability `p` comes from the density models. The
combiner removes `floor(x * p)` reads/fills/updates from every level below the
target (and the computes, for an operand optimized all the way down), and turns
`p` of the target level's own reads into gated or skipped reads (compute.py then
splits the remaining computes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from loopnest.errors import MappingError
from loopnest.ir.architecture import Architecture
from loopnest.ir.workload import Workload
from loopnest.model.sparse.formats import box_of
from loopnest.model.sparse.loops import Nest


def ds_size(workload: Workload, ds: str, ext: dict) -> int:
    """Points of data space `ds` in the operation-space box `ext` (dimension extents)."""
    return workload.tile_sizes(ext)[ds]


@dataclass
class Impact:
    target: str
    level: int
    prob: float
    occupancy: float


def read_impact(workload: Workload, arch: Architecture, nest: Nest, tiles: list,
                models: dict, s: int, target: str, cond: tuple) -> Impact:
    """ComputeIneffectualReadImpact: P(a read of `target` is ineffectual) at level `s`."""
    N = len(tiles)
    tdims = workload.data_space(target).dims()
    tl = s
    if _shape(tiles, tl, target) == 0:
        tl = next((l for l in range(s + 1, N) if _shape(tiles, l, target) > 0), None)
        if tl is None:
            raise MappingError(f"skipping/gating for {target} has no source storage at "
                               f"{arch.storage[s].name}")
    child = next((l for l in range(tl - 1, -1, -1) if _shape(tiles, l, target) > 0), -1)
    found = scalar = False
    t_level = t_id = None
    for l in range(child + 1, tl + 1):
        loops = nest.loops[l]
        for i, lp in enumerate(loops):
            if child != -1:
                if not lp.trivial and lp.dim in tdims:
                    found = True
            else:
                nxt = loops[i + 1] if i + 1 < len(loops) else None
                if nxt is not None and not nxt.spatial:
                    found = True
                    if not lp.spatial:
                        scalar = True
                elif lp.dim in tdims and not lp.trivial:
                    found = True
            if found:
                t_level, t_id = l, i
                break
        if found:
            break
    if not found:
        t_level, t_id = tl, len(nest.loops[tl]) - 1
    target_loop = nest.loops[t_level][t_id]
    mold = {d: 1 for d in workload.dimensions} if scalar else dict(nest.molds[t_level][t_id])
    is_spatial = target_loop.spatial
    relevant = [target_loop]
    cond_mold = dict(mold)
    located = not is_spatial
    for l in range(t_level, tl + 1):
        start = t_id + 1 if l == t_level else 0
        for lp in nest.loops[l][start:]:
            if lp.trivial:
                continue
            above = (not located and not lp.spatial and child != -1 and lp.dim not in tdims)
            if lp.spatial or above:
                cond_mold[lp.dim] *= lp.end
                relevant.append(lp)
            if is_spatial and not lp.spatial and (child == -1 or lp.dim in tdims):
                located = True
    effectual = 1.0
    block = arch.storage[tl].block_size
    for c in cond:
        cdims = workload.data_space(c).dims()
        co = tdims & cdims
        factors: dict = {}
        agg = 1.0
        co_seen = False
        bad = False
        for lp in ([] if scalar else relevant):
            if is_spatial and co_seen and lp.dim in cdims:
                bad = True
                break
            if lp.dim in co:
                factors[lp.dim] = factors.get(lp.dim, 1.0) * lp.end
                agg *= lp.end
                co_seen = True
        if bad:
            continue
        t_mold = dict(mold)
        c_mold = dict(cond_mold)
        gran = ds_size(workload, target, t_mold)
        scale = math.ceil(block / (gran / agg))
        for d in sorted(factors, key=workload.dimensions.index):
            eff = factors[d] / scale
            t_mold[d] = math.ceil(t_mold[d] / eff)
            c_mold[d] = math.ceil(c_mold[d] / eff)
            scale = scale / factors[d]
        if scale > 1:
            c_mold[target_loop.dim] *= scale
            t_mold[target_loop.dim] *= scale
        c_ext = {d: int(v) for d, v in c_mold.items()}
        c_gran = ds_size(workload, c, c_ext)
        effectual *= 1.0 - models[c].prob_empty(c_gran, box_of(workload, c, c_ext))
    occ = tiles[tl][target].expected_occupancy
    lt = tiles[tl if child == -1 else child][target]
    md = arch.storage[tl]
    ratio = _default_md_bits(arch, tl) // md.word_bits
    occ += sum(o.metadata + o.payload for o in lt.expected_md) * ratio if lt.has_metadata else 0
    return Impact(target=target, level=tl, prob=1.0 - effectual, occupancy=occ)


def _default_md_bits(arch: Architecture, level: int) -> int:
    a = dict(arch.storage[level].attributes)
    v = a.get("metadata_datawidth", a.get("metadata_word_bits", 0))
    return int(v or 0)


def _shape(tiles: list, l: int, ds: str) -> int:
    t = tiles[l].get(ds)
    return t.shape if t is not None else 0


@dataclass
class StorageSaf:
    """Per (level, data space): 'gate' / 'skip' and its probability."""

    kind: dict = field(default_factory=dict)
    prob: dict = field(default_factory=dict)


def define_storage_safs(workload: Workload, arch: Architecture, nest: Nest, tiles: list,
                        models: dict, level_actions: dict, energies: dict) -> StorageSaf:
    """DefineStorageOptimizationImpact (temporal gating then skipping)."""
    saf = StorageSaf()
    for kind, key in (("gating", "gate"), ("skipping", "skip")):
        for s in sorted(level_actions):
            for act in level_actions[s]:
                if act.kind != kind:
                    continue
                impacts = [read_impact(workload, arch, nest, tiles, models, s, o.target,
                                       o.condition_on) for o in act.options]
                best, best_i = 0.0, 0
                for i, im in enumerate(impacts):
                    cost = energies[im.level]
                    savings = cost / arch.storage[im.level].block_size * im.occupancy * im.prob
                    if savings >= best:
                        best, best_i = savings, i
                im = impacts[best_i]
                k = (im.level, im.target)
                if k in saf.kind:
                    if saf.prob[k] < im.prob:
                        saf.kind[k] = key
                        saf.prob[k] = im.prob
                else:
                    saf.kind[k] = key
                    saf.prob[k] = im.prob
    return saf


def _n_md_ranks(t) -> int:
    return len(t.format.ranks) if t is not None and t.has_metadata and t.format else 0


def _apply_local(tiles: list, l: int, ds: str, p: float, kind: str, rw: bool) -> None:
    """ApplyLocalStorageSAFImpact: p of the level's own reads and updates (data and
    format, the format over as many ranks as the child level has)."""
    t = tiles[l][ds]
    reads = t.fine["random_read"]
    updates = t.fine["random_update"]
    dr = math.ceil(reads * p) if rw else math.floor(reads * p)
    t.fine[f"{kind}_read"] += dr
    t.fine["random_read"] = reads - dr
    du = math.floor(updates * p)
    t.fine[f"{kind}_update"] += du
    t.fine["random_update"] = updates - du
    child = tiles[t.child][ds] if t.child is not None else t
    fr = [list(x) for x in t.fmt["random_metadata_read"]]
    fu = [list(x) for x in t.fmt["random_metadata_update"]]
    n = min(_n_md_ranks(child), len(fr), len(t.fmt[f"{kind}_metadata_read"]))
    for r in range(n):
        for k in range(len(fr[r])):
            d = math.floor(fr[r][k] * p)
            fr[r][k] -= d
            t.fmt[f"{kind}_metadata_read"][r][k] += d
            if r < len(fu):
                d = math.floor(fu[r][k] * p)
                fu[r][k] -= d
                t.fmt[f"{kind}_metadata_update"][r][k] += d
    t.fmt["random_metadata_read"] = fr
    t.fmt["random_metadata_update"] = fu
    if t.shape and rw and t.updates:
        t.temporal_reductions = math.ceil(t.temporal_reductions * t.fine["random_update"]
                                          / t.updates)


def _scale_rank0(acc: list, p: float, n_target: int) -> None:
    """ScalePerTileFormatAccesses(acc, p, min(len(acc), n_target - 1), 0): only rank 0,
    and only when that minimum is 0 (Timeloop's loop runs from it up to 0)."""
    lower = min(len(acc), n_target - 1) if n_target > 0 else len(acc)
    if lower == 0 and acc:
        acc[0][0] -= math.floor(acc[0][0] * p)
        acc[0][1] -= math.floor(acc[0][1] * p)


def _set_random(t, mr, mf, mu, fr, ff, fu) -> None:
    t.fine["random_fill"], t.fine["random_read"], t.fine["random_update"] = mf, mr, mu
    t.fmt["random_metadata_fill"] = [list(x) for x in ff]
    t.fmt["random_metadata_read"] = [list(x) for x in fr]
    t.fmt["random_metadata_update"] = [list(x) for x in fu]


def combine(workload: Workload, tiles: list, saf: StorageSaf, computes: int) -> tuple:
    """PropagateImpactOfExplicitlyOptimizedRead; returns (computes, {ds: p} of operands
    optimized down to the compute level)."""
    N = len(tiles)
    mr = [{ds: t.fine["random_read"] for ds, t in row.items()} for row in tiles]
    mf = [{ds: t.fine["random_fill"] for ds, t in row.items()} for row in tiles]
    mu = [{ds: t.fine["random_update"] for ds, t in row.items()} for row in tiles]
    fr = [{ds: [list(x) for x in t.format_reads] for ds, t in row.items()} for row in tiles]
    ff = [{ds: [list(x) for x in t.format_fills] for ds, t in row.items()} for row in tiles]
    fu = [{ds: [list(x) for x in t.format_updates] for ds, t in row.items()} for row in tiles]
    done: set = set()
    innermost: dict = {}
    comp = float(computes)
    for ds in workload.ds_names:
        rw = workload.data_space(ds).read_write
        for l in range(N - 1, -1, -1):
            if (l, ds) not in saf.kind:
                continue
            p = saf.prob[(l, ds)]
            n_target = len(fr[l].get(ds, []))
            il = l - 1
            while il >= 0:
                if ds in mf[il]:
                    mf[il][ds] -= math.floor(mf[il][ds] * p)
                    mr[il][ds] -= math.floor(mr[il][ds] * p)
                    mu[il][ds] -= math.floor(mu[il][ds] * p)
                    if tiles[il][ds].has_metadata:
                        _scale_rank0(ff[il][ds], p, n_target)
                        _scale_rank0(fr[il][ds], p, n_target)
                if (il, ds) in saf.kind:
                    lp = saf.prob[(il, ds)]
                    eff = 1 - (1 - lp) / (1 - p) if p != 1 else 1.0
                    if ds in tiles[il]:
                        # Timeloop sets the format reads from the format updates here
                        _set_random(tiles[il][ds], mr[il][ds], mf[il][ds], mu[il][ds],
                                    fu[il][ds], ff[il][ds], fu[il][ds])
                        if saf.kind[(il, ds)] != "spatial_skip":
                            _apply_local(tiles, il, ds, eff, "gated" if saf.kind[(il, ds)]
                                         == "gate" else "skipped", rw)
                    done.add((il, ds))
                    break
                il -= 1
            if (l, ds) not in done and ds in tiles[l]:
                done.add((l, ds))
                _set_random(tiles[l][ds], mr[l][ds], mf[l][ds], mu[l][ds], fr[l][ds],
                            ff[l][ds], fu[l][ds])
                if saf.kind[(l, ds)] != "spatial_skip":
                    _apply_local(tiles, l, ds, p,
                                 "gated" if saf.kind[(l, ds)] == "gate" else "skipped", rw)
            if il < 0 and not rw:
                comp -= math.floor(comp * p)
                innermost[ds] = round(p * 1e6) / 1e6
    for l in range(N):
        for ds, t in tiles[l].items():
            if saf.kind.get((l, ds)) in ("gate", "skip"):
                continue
            _set_random(t, mr[l][ds], mf[l][ds], mu[l][ds], fr[l][ds], ff[l][ds], fu[l][ds])
            t.temporal_reductions = 0 if t.updates == 0 else math.ceil(
                t.temporal_reductions * t.fine["random_update"] / t.updates)
    return comp, innermost
