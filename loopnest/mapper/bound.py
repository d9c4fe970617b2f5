"""Provable lower bounds on energy, cycles, EDP and last-level accesses for a map space.

Energy >= computes * E_compute + leakage over the cycle bound
        + per data space, minimized over the level L that is the innermost to keep it
          (L ranges up to the innermost level the constraints force to keep it):
          * read-only: every compute's operand read at L, divided by the largest
            reuse below L: multicast (spatial factors of irrelevant dims and of dims in
            sliding-window ranks: a group's elements agree on every other dim) times
            temporal factors of irrelevant dims (the operand stays put between
            computes; only for the data spaces the innermost temporal loop's dim is
            irrelevant to, minimized over that dim), halved for sliding-window ranks
            (a coordinate can repeat at a loop's wrap), and at least its distinct
            elements; plus its distinct elements filled into L. The temporal and
            sliding-window reuse needs a fan-out to the compute units: without one,
            every compute reads its operands again;
          * read-write: updates at L as above; reads at L = updates - partitions
            (first-read elision), where the partitions of all instances of L hold at
            most the distinct elements times the irrelevant spatial replication above L;
          * distinct elements filled / updated at every forced level above L (and read
            out of it again, read-only ones), and read / updated at the outermost level
            once, or as many times as the capacity forces (refetch.py: configurations
            of outermost loops CP-SAT proves impossible are skipped).
        Spatial maxima come from CP-SAT over the same constraints (its proven bound).
Cycles >= ceil(computes / max parallelism) (max parallelism from CP-SAT, proven),
          and >= the compulsory words per instance / bandwidth of the outermost level
          and of every level forced to keep a data space, plus the per-compute
          operand traffic of a level no lower level can keep a data space at
          (`_bandwidth_cycles`),
          plus the fixed network fill / drain latencies.
Per-word costs are vector energies / block size / cluster size (ceil only adds); a
missing action costs 0, which keeps the bound valid. Link transfers (sliding windows
only) can serve compute operands from neighbouring PEs when the innermost level fans
out to the compute units: then a non-plain data space counts only its distinct elements.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from loopnest.energy.tables import CostTables
from loopnest.mapper.mapspace import MapSpace
from loopnest.ir.workload import DataSpace, Workload

READ = ("random_read", "read")
FILL = ("random_fill", "random_write", "fill", "write")
UPDATE = ("random_update", "random_write", "update", "write")
COMPUTE = ("mac_random", "mult_random", "mac", "mult", "compute")


@dataclass
class Bound:
    """Lower bounds for the whole map space."""

    energy: float
    cycles: int
    last_level_accesses: float
    max_parallelism: int
    proven: bool  # False when the parallelism bound was not proven optimal (still valid)

    @property
    def edp(self) -> float:
        return self.energy * self.cycles

    def value(self, metric: str) -> float:
        return {"energy": self.energy, "delay": float(self.cycles), "edp": self.edp,
                "last_level_accesses": self.last_level_accesses}[metric]


def distinct_elements(workload: Workload, ds: DataSpace) -> int:
    """Number of distinct coordinates of `ds` touched by the whole operation space."""
    used: set[str] = set()
    total = 1
    shared = False
    counts = []
    for rank in ds.projection:
        dims = [d for d, c in rank if c]
        if used & set(dims):
            shared = True
        used |= set(dims)
        vals = {0}
        for d, c in rank:
            if not c:
                continue
            b = workload.bound(d)
            if len(vals) * b > 2_000_000:
                # over-estimate, counted (never built: a bound may be 10**12)
                vals = None
                shared = True
                break
            vals = {v + c * k for v in vals for k in range(b)}
        if vals is None:
            n = 1 + sum(abs(c) * (workload.bound(d) - 1) for d, c in rank)
        else:
            n = len(vals)
        counts.append(n)
        total *= n
    if shared:
        return max(max(workload.bound(d) for d in used) if used else 1, 1)
    return total


def _per_word(tables: CostTables, name: str, actions: tuple[str, ...], block: int,
              cluster: int = 1) -> float:
    """Energy per word of an action: vector energy / block size, shared by a cluster."""
    e = tables.energy(name, actions)
    return (e or 0.0) / max(1, block) / max(1, cluster)


def _word(space: MapSpace, tables: CostTables, i: int, actions: tuple[str, ...]) -> float:
    """Energy per word of an action at storage level `i`."""
    st = space.arch.storage[i]
    return _per_word(tables, st.name, actions, st.block_size, st.cluster_size)


def _plain(ds: DataSpace) -> bool:
    dims = [rank[0][0] for rank in ds.projection if len(rank) == 1 and rank[0][1] == 1]
    return len(dims) == len(ds.projection) and len(set(dims)) == len(dims)


# max_spatial(dims, levels, temporal=frozenset()) -> an upper bound on the product of the
# spatial factors of `dims` and the temporal factors of `temporal` at `levels` over the
# whole map space (CP-SAT in the search; fan-outs and bounds otherwise).
MaxSpatial = Callable[..., int]


def _fanout_product(space: MapSpace) -> MaxSpatial:
    def f(dims: frozenset[int], levels: frozenset[int],
          temporal: frozenset[int] = frozenset()) -> int:
        return (math.prod(space.levels[i].fanout[0] * space.levels[i].fanout[1] for i in levels)
                * math.prod(space.workload.bounds[d] for d in temporal) if levels else 1)
    return f


def _shareable(wl: Workload, ds: DataSpace) -> tuple[frozenset[int], frozenset[int]]:
    """(irrelevant dims, dims a multicast group may differ in) of `ds`, as indices.
    Elements of a multicast group hold identical tiles, so they agree on every dim
    that is alone in a rank: only irrelevant dims and dims of multi-term (sliding)
    ranks can differ within a group."""
    dims = wl.dimensions
    irr = frozenset(k for k, d in enumerate(dims) if d not in ds.dims())
    return irr, irr | frozenset(dims.index(d) for rank in ds.projection if len(rank) > 1
                                for d, _ in rank)


def _operand_accesses(space: MapSpace, ds: DataSpace, L: int, max_par: int,
                      max_spatial: MaxSpatial, temporal: bool) -> float:
    """Fewest accesses at level L that serve `ds` to the computes when no level below
    L keeps it: computes / the largest reuse below L (multicast, and with `temporal`
    the irrelevant temporal loops), halved for sliding-window ranks."""
    wl, arch = space.workload, space.arch
    irr, shareable = _shareable(wl, ds)
    plain = _plain(ds)
    # Link transfers can cut accesses only where their receivers keep the data space
    # (bypass masking rescales a parent to its children's demand and zeroes its links)
    # or receive it as compute operands: below the innermost keeping level that is the
    # innermost level's fan-out to the compute units.
    if not plain and arch.fanout(0)[0] * arch.fanout(0)[1] > 1:
        return 0.0  # operands may come over links: only the compulsory part is sure
    below = frozenset(range(L + 1))
    fan_below = max(1, min(max_spatial(frozenset(range(len(wl.dimensions))), below), max_par))
    mc = max(1, min(max_spatial(shareable, below), fan_below))
    # Temporal reuse below L: a loop irrelevant to the data space leaves the operand
    # (or partial sum) unchanged between computes, so it is not accessed again; a
    # sliding-window rank can repeat a coordinate once per wrap of its innermost
    # loop, at most halving the accesses.
    # Without a fan-out to the compute units, every compute reads its operands again
    # (the model, like Timeloop, keeps no operand register between computes): only a
    # fan-out's multicast compares consecutive points and can elide a repeat, either
    # over an irrelevant loop or at a sliding window's wrap.
    if arch.fanout(0)[0] * arch.fanout(0)[1] == 1:
        return wl.macs / mc
    reuse = max(mc, max_spatial(shareable, below, irr)) if temporal else mc
    return wl.macs / reuse / (1 if plain else 2)


def _ds_parts(space: MapSpace, tables: CostTables, ds: DataSpace, max_par: int,
              max_spatial: MaxSpatial, temporal: bool = True) -> tuple[float, float]:
    """Least energy of one data space's accesses over every mapping (see module doc),
    in two parts: (the least over the on-chip innermost levels L, without the accesses
    at the outermost level; the least with no on-chip level keeping it, inf if one must).
    `temporal`: whether the innermost temporal loop may be irrelevant to it."""
    wl, arch = space.workload, space.arch
    n = len(arch.storage)
    dist = distinct_elements(wl, ds)
    dims = wl.dimensions
    irr, _ = _shareable(wl, ds)
    plain = _plain(ds)

    def word(i: int, acts: tuple[str, ...]) -> float:
        return _word(space, tables, i, acts)

    forced = [i for i in range(n - 1) if ds.name in space.levels[i].keep_fixed
              and not arch.storage[i].is_dummy]
    last = min(forced) if forced else n - 1
    onchip = top = math.inf
    for L in range(last + 1):
        st = arch.storage[L]
        if L < n - 1 and (ds.name in space.levels[L].bypass_fixed or st.is_dummy):
            continue
        acc = _operand_accesses(space, ds, L, max_par, max_spatial, temporal)
        if ds.read_write:
            # updates = accesses from below; reads = updates - partition (first-read
            # elision), and the partitions of all instances hold at most dist times the
            # irrelevant spatial replication above L.
            above = frozenset(range(L + 1, n))
            rep = max_spatial(irr, above) if plain else max_spatial(
                frozenset(range(len(dims))), above)
            c = max(acc, dist) * word(L, UPDATE) + max(0.0, acc - dist * rep) * word(L, READ)
        else:
            c = max(acc, dist) * word(L, READ)
            if L < n - 1:
                c += dist * word(L, FILL)
        # Forced keeps between L and the top move every element at least once: in
        # (fill or update), and for a read-only data space out again towards L (read).
        for f in forced:
            if f > L:
                c += dist * word(f, UPDATE if ds.read_write else FILL)
                if not ds.read_write:
                    c += dist * word(f, READ)
        if L < n - 1:
            onchip = min(onchip, c)
        else:
            top = c
    return onchip, top


def top_words(space: MapSpace, tables: CostTables, ds: DataSpace) -> tuple[float, float]:
    """Per-word energies at the outermost level for a data space kept below it:
    (what each fetch or drain costs: a read, or an update for a read-write data space;
    what each refill of partial sums costs: a read, 0 for a read-only one)."""
    top = len(space.arch.storage) - 1
    if ds.read_write:
        return _word(space, tables, top, UPDATE), _word(space, tables, top, READ)
    return _word(space, tables, top, READ), 0.0


# refetch(data_energy) -> the least data-access energy over every mapping, given
# data_energy(R): the least with each data space moved R[name] times (1 if absent) at
# the outermost level (see refetch.py).
Refetch = Callable[[Callable[[dict[str, float]], float]], float]


def lower_bound(space: MapSpace, tables: CostTables, max_parallelism: int,
                proven: bool = True, max_spatial: MaxSpatial | None = None,
                refetch: Refetch | None = None) -> Bound:
    """Lower bounds on energy (pJ) and cycles for every mapping of `space`; `refetch`
    adds the outermost-level re-fetches every mapping must make (capacity-forced)."""
    wl, arch = space.workload, space.arch
    macs = wl.macs
    max_spatial = max_spatial or _fanout_product(space)
    e_compute = tables.energy(arch.compute.name, COMPUTE)
    if e_compute is None:
        e_compute = (arch.compute.word_bits / 16.0) ** 2
    energy = macs * e_compute
    lla = 0.0
    dists = {}
    parts = {}
    for ds in wl.data_spaces:
        dists[ds.name] = dist = distinct_elements(wl, ds)
        lla += dist
        parts[ds.name] = (top_words(space, tables, ds),
                          _ds_parts(space, tables, ds, max_parallelism, max_spatial),
                          _ds_parts(space, tables, ds, max_parallelism, max_spatial,
                                    temporal=False))

    def data_energy(times: dict[str, float]) -> float:
        still, moving = {}, {}
        for ds in wl.data_spaces:
            (w, w_refill), s, m = parts[ds.name]
            r = times.get(ds.name, 1)
            top = dists[ds.name] * (r * w + (r - 1) * w_refill)
            still[ds.name] = min(s[0] + top, s[1])
            moving[ds.name] = min(m[0] + top, m[1])
        # Only the data spaces the innermost temporal loop is irrelevant to can stay put
        # between computes; every other operand changes at every step of that loop.
        return min([sum(moving.values())] + [
            sum(still[ds.name] if d not in ds.dims() else moving[ds.name]
                for ds in wl.data_spaces)
            for d, b in zip(wl.dimensions, wl.bounds) if b > 1])

    energy += refetch(data_energy) if refetch is not None else data_energy({})
    cycles = math.ceil(macs / max(1, max_parallelism))
    for i in range(len(arch.storage)):
        cycles = max(cycles, _bandwidth_cycles(space, i, dists, max_parallelism, max_spatial))
    cycles += sum(st.network_fill_latency + st.network_drain_latency for st in arch.storage)
    for st in arch.storage:
        leak = tables.energy(st.name, ("leak",)) or 0.0
        energy += leak * cycles
    return Bound(energy, cycles, lla, max_parallelism, proven)


def sparse_scaled(bound: Bound, fraction: float) -> Bound:
    """The bound of a sparse design from its dense bound: every count scaled by
    `fraction`, the product of all tensors' densities. It assumes what Sparseloop's
    model does: compression, gating and skipping remove at most the accesses, computes
    and cycles that a zero of some tensor makes unnecessary (a tile of n points holds
    density x n nonzeros on average, so it is empty with probability at most
    1 - density), and an actual action costs what its dense action costs (metadata,
    gated and skipped actions only add). Cycles scale too: Sparseloop's cycles count
    the actual computes and accesses, so gating and compressed formats shorten them as
    well as skipping does."""
    f = min(1.0, max(0.0, fraction))
    return Bound(bound.energy * f, max(1, math.floor(bound.cycles * f)),
                 bound.last_level_accesses * f, bound.max_parallelism, bound.proven)


def _bandwidth_cycles(space: MapSpace, i: int, dists: dict[str, int], max_par: int,
                      max_spatial: MaxSpatial) -> int:
    """Cycles level `i`'s bandwidth forces on every mapping: the words it must move
    per instance over its read / write / shared bandwidth, scaled per data space as
    Timeloop does. Kept data (the outermost level, and every level the constraints
    force to keep a data space) passes through at least once; where no level below
    `i` can keep a data space, `i` serves every compute its operand (or partial sum)
    up to reuse, minimized over the innermost temporal loop's dim as for energy."""
    st = space.arch.storage[i]
    if st.is_dummy or not (st.read_bandwidth or st.write_bandwidth or st.shared_bandwidth):
        return 0
    wl = space.workload
    top = i == len(space.arch.storage) - 1
    kept = set(dists) if top else set(space.levels[i].keep_fixed)
    sole = {ds.name for ds in wl.data_spaces
            if ds.name in kept and all(ds.name in space.levels[j].bypass_fixed
                                       or space.arch.storage[j].is_dummy for j in range(i))}
    scale = dict(st.per_dataspace_bandwidth_consumption_scale)
    n = max(1, st.instances)

    def cycles(inner: int | None) -> int:
        reads = writes = 0.0
        for ds in wl.data_spaces:
            if ds.name not in kept:
                continue
            d = dists[ds.name]
            if ds.name in sole:
                still = inner is not None and wl.dimensions[inner] not in ds.dims()
                d = max(d, _operand_accesses(space, ds, i, max_par, max_spatial, still))
            d *= scale.get(ds.name, 1.0)
            if ds.read_write:
                writes += d                  # every output element updated at least once
            else:
                reads += d                   # read out at least once
                if not top:                  # and filled at least once below the top
                    writes += dists[ds.name] * scale.get(ds.name, 1.0)
        out = 0
        for bw, words in ((st.read_bandwidth, reads), (st.write_bandwidth, writes),
                          (st.shared_bandwidth, reads + writes)):
            if bw:
                out = max(out, math.ceil(words / n / bw - 1e-9))
        return out

    if not sole:
        return cycles(None)
    return min([cycles(None)] + [cycles(k) for k, b in enumerate(wl.bounds) if b > 1])
