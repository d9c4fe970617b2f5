"""Provable lower bounds on energy, cycles, EDP and last-level accesses for a map space.

Energy >= computes * E_compute
        + per data space: its distinct elements read (read-only) or updated
          (read-write) at the outermost level, at that level's per-word cost
        + per data space: every compute's operand access at the innermost level L
          that may keep it, divided by the largest multicast possible below L
          (product of fan-outs at levels <= L), at L's cheapest per-word cost
        + distinct elements filled / updated at every level the constraints force
          to keep the data space
        + leakage over the cycle bound.
Cycles >= ceil(computes / max parallelism) (max parallelism from CP-SAT, proven),
          and >= the outermost level's compulsory words / its bandwidth,
          plus the fixed network fill / drain latencies.
Per-word costs are vector energies / block size (ceil only adds); a missing action
costs 0, which keeps the bound valid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

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
                vals = set(range(max(vals) + c * (b - 1) + 1))  # over-estimate: stop exact
                shared = True
                break
            vals = {v + c * k for v in vals for k in range(b)}
        counts.append(len(vals))
        total *= len(vals)
    if shared:
        return max(max(workload.bound(d) for d in used) if used else 1, 1)
    return total


def _per_word(tables: CostTables, name: str, actions: tuple[str, ...], block: int) -> float:
    e = tables.energy(name, actions)
    return (e or 0.0) / max(1, block)


def lower_bound(space: MapSpace, tables: CostTables, max_parallelism: int,
                proven: bool = True) -> Bound:
    """Lower bounds on energy (pJ) and cycles for every mapping of `space`."""
    wl, arch = space.workload, space.arch
    macs = wl.macs
    n = len(arch.storage)
    top = arch.storage[-1]
    e_compute = tables.energy(arch.compute.name, COMPUTE) or 0.0
    energy = macs * e_compute
    fan_upto = []
    acc = 1
    for i in range(n):
        fx, fy = arch.fanout(i)
        acc *= fx * fy
        fan_upto.append(acc)
    compulsory_r = compulsory_w = 0
    lla = 0.0
    for ds in wl.data_spaces:
        dist = distinct_elements(wl, ds)
        lla += dist
        acts = UPDATE if ds.read_write else READ
        if ds.read_write:
            compulsory_w += dist
        else:
            compulsory_r += dist
        top_cost = _per_word(tables, top.name, acts, top.block_size)
        # The operand accesses of every compute happen at the innermost level L keeping
        # ds (at most fan-out-below-L-way multicast); the top level moves every
        # distinct element at least once in addition when L is not the top.
        best = max(dist, macs / min(fan_upto[-1], max(1, max_parallelism))) * top_cost
        for i, st in enumerate(arch.storage[:-1]):
            lv = space.levels[i]
            if ds.name in lv.bypass_fixed or st.is_dummy:
                continue
            c = macs / min(fan_upto[i], max(1, max_parallelism)) * _per_word(tables, st.name, acts, st.block_size)
            best = min(best, c + dist * top_cost)
        energy += best
        # Forced keeps below the top.
        for i, st in enumerate(arch.storage[:-1]):
            if ds.name in space.levels[i].keep_fixed and not st.is_dummy:
                acts = UPDATE if ds.read_write else FILL
                energy += dist * _per_word(tables, st.name, acts, st.block_size)
    cycles = math.ceil(macs / max(1, max_parallelism))
    if top.read_bandwidth:
        cycles = max(cycles, math.ceil(compulsory_r / top.read_bandwidth))
    if top.write_bandwidth:
        cycles = max(cycles, math.ceil(compulsory_w / top.write_bandwidth))
    if top.shared_bandwidth:
        cycles = max(cycles, math.ceil((compulsory_r + compulsory_w) / top.shared_bandwidth))
    cycles += sum(st.network_fill_latency + st.network_drain_latency for st in arch.storage)
    for st in arch.storage:
        leak = tables.energy(st.name, ("leak",)) or 0.0
        energy += leak * cycles
    return Bound(energy, cycles, lla, max_parallelism, proven)
