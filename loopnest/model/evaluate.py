"""Evaluate one mapping: nest analysis -> per-level traffic -> energy, cycles, area.

Implements Timeloop's dense model (FORMATS.md §8): tiles are collapsed into
storage levels, partition sizes and parent access shares are derived, bypassed
levels are masked (the parent is charged at the child's request rate), then
reads/fills/updates with first-read elision, vector accesses, leakage,
bandwidth throttling, cycles and the operational-intensity figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from loopnest.energy.tables import CostTables
from loopnest.errors import EstimationError
from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.residuals import mapping_is_imperfect, residual_problems
from loopnest.ir.workload import Workload
from loopnest.model.nest import NestResult, analyze
from loopnest.model.result import (ComputeStats, DataSpaceStats, LoopText, NetworkStats, Result,
                                   StorageStats)

READ_ACTIONS = ("random_read", "read")
FILL_ACTIONS = ("random_fill", "random_write", "fill", "write")
UPDATE_ACTIONS = ("random_update", "random_write", "update", "write")
COMPUTE_ACTIONS = ("mac_random", "mult_random", "mac", "mult", "compute")


@dataclass(frozen=True)
class ModelOptions:
    """Switches for behaviours that differ between Timeloop versions."""

    link_transfers: bool = True
    first_read_elision: bool = True
    new_stride_rule: bool = False  # current upstream rule (not the references')
    # Timeloop's stats summary prints `Area: 0.00 mm^2` whatever the design (every
    # reference does); keep that line identical by default. `Result.area` is the real total.
    timeloop_summary_area: bool = True
    # The sparse model checks capacity on compressed occupancy (model/sparse/capacity.py)
    # and turns the dense tile-size check off.
    check_capacity: bool = True


@dataclass
class LevelTraffic:
    """Per storage level, per data space traffic after masking (per instance)."""

    size: list[int]
    partition: list[int]
    reads: list[int]
    fills: list[int]
    updates: list[int]
    tr: list[int]
    replication: int
    x_exp: int
    y_exp: int
    link: list[int]
    peer: list[int]


def _level_blocks(nest: NestResult, n_levels: int):
    """Per storage level: (innermost valid tile, outermost tile)."""
    by_loop = {t.loop: t for t in nest.tiles}
    out = []
    start = 0
    for s in range(n_levels):
        b = nest.boundaries[s]
        inner = None
        for l in range(start, b + 1):
            if l in by_loop:
                inner = by_loop[l]
                break
        out.append((inner, by_loop[b]))
        start = b + 1
    return out


def traffic(workload: Workload, arch: Architecture, mapping: Mapping, nest: NestResult,
            options: ModelOptions = ModelOptions()) -> list[LevelTraffic]:
    """Collapse nest tiles into storage levels and derive per-instance traffic."""
    N = len(arch.storage)
    nds = len(workload.data_spaces)
    blocks = _level_blocks(nest, N)
    size = [list(outer.size) for _, outer in blocks]
    acc = [[dict(inner.accesses[d]) for d in range(nds)] for inner, _ in blocks]
    fanout = [inner.fanout if inner.master else 1 for inner, _ in blocks]
    repl = [outer.replication for _, outer in blocks]
    link = [list(inner.link_transfers) for inner, _ in blocks]
    # partition sizes (outer -> inner)
    part = [[0] * nds for _ in range(N)]
    for d in range(nds):
        part[N - 1][d] = size[N - 1][d]
        for s in range(N - 2, -1, -1):
            inner_up = blocks[s + 1][0]
            denom = inner_up.size[d] if inner_up.master else size[s][d]
            part[s][d] = (part[s + 1][d] * size[s][d] // denom) if denom else 0
    # parent access share (before masking)
    imperfect = nest.imperfect
    pas = [[0.0] * nds for _ in range(N)]
    for d in range(nds):
        for s in range(N):
            if size[s][d] == 0:
                continue
            o = next((k for k in range(s + 1, N) if size[k][d] > 0), None)
            if o is None:
                continue
            if imperfect:  # fractional accesses: Timeloop's order, one term per record
                pas[s][d] = sum(v * m / fanout[o] for (m, _), v in acc[o][d].items()) \
                    if fanout[o] else 0.0
                continue
            tot = sum(v * m for (m, _), v in acc[o][d].items())
            pas[s][d] = tot / fanout[o] if fanout[o] else 0.0
    ca = [[sum(acc[s][d].values()) for d in range(nds)] for s in range(N)]
    keep = [[ds.name in mapping.levels[s].keep for ds in workload.data_spaces] for s in range(N)]
    # bypass masking
    for d in range(nds):
        for c in range(N):
            if keep[c][d] or size[c][d] == 0:
                continue
            o = next((k for k in range(c + 1, N) if size[k][d] > 0), None)
            if o is not None:
                tot = sum(v * m for (m, _), v in acc[o][d].items())
                if tot:
                    f = ca[c][d] * fanout[o] / tot
                    acc[o][d] = {k: v * f for k, v in acc[o][d].items()}
                link[o][d] = 0
                ca[o][d] = sum(acc[o][d].values())
            size[c][d] = part[c][d] = 0
            ca[c][d] = 0
            pas[c][d] = 0.0
            acc[c][d] = {}
            if o is None:
                break
        for s in range(N - 1, -1, -1):
            if keep[s][d]:
                pas[s][d] = 0.0
                break
            size[s][d] = part[s][d] = 0
            ca[s][d] = 0
            pas[s][d] = 0.0
            acc[s][d] = {}
    # peer (link) traffic: served to the level below
    peer = [[0] * nds for _ in range(N)]
    for s in range(1, N):
        for d in range(nds):
            if link[s][d] and repl[s - 1]:
                peer[s - 1][d] = link[s][d] / repl[s - 1] if imperfect \
                    else link[s][d] // repl[s - 1]
    # spatial expansion above each level
    x_exp = [1] * N
    y_exp = [1] * N
    for s in range(N):
        b = nest.boundaries[s]
        for l in range(b + 1, len(nest.loops)):
            lp = nest.loops[l]
            if lp.spatial == "X":
                x_exp[s] *= lp.end
            elif lp.spatial == "Y":
                y_exp[s] *= lp.end
    out = []
    for s in range(N):
        lm = mapping.levels[s]
        reads, fills, updates, trs = [0] * nds, [0] * nds, [0] * nds, [0] * nds
        for d, ds in enumerate(workload.data_spaces):
            if not keep[s][d]:
                continue
            outermost = not any(keep[k][d] for k in range(s + 1, N))
            c = ca[s][d]
            p = pas[s][d]
            pr = peer[s][d]
            if ds.read_write:
                elide = options.first_read_elision and ds.name not in lm.rmw_first_update
                if ds.name in lm.no_coalesce:
                    r = c + pr
                    f = c + pr
                    u = c
                elif elide:
                    r = c + pr - part[s][d]
                    f = p + pr if outermost else p + pr - part[s][d]
                    u = c
                else:
                    r = c + pr
                    f = p + pr
                    u = c
                reads[d] = tl_round(r)
                fills[d] = max(0, tl_round(f))
                updates[d] = tl_round(u)
                trs[d] = reads[d]
            else:
                reads[d] = tl_round(c + pr)
                # Timeloop stores read-only fills in an integer without rounding
                fills[d] = int(p + pr) if imperfect else tl_round(p + pr)
        out.append(LevelTraffic(size=size[s], partition=part[s], reads=reads, fills=fills,
                                updates=updates, tr=trs, replication=repl[s], x_exp=x_exp[s],
                                y_exp=y_exp[s], link=link[s], peer=peer[s]))
    return out


def tl_round(x: float) -> int:
    """C's round(): halves away from zero (Python's round() goes to even)."""
    if isinstance(x, int):
        return x  # exact, however large
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def action_energy(tables: CostTables, name: str, actions: tuple[str, ...]) -> float:
    """Energy of the first action in Timeloop's priority list the component has (0 if none)."""
    e = tables.energy(name, actions)
    return 0.0 if e is None else e


def unpriced(arch: Architecture, tables: CostTables) -> list[str]:
    """Non-dummy components with no energy table."""
    names = [lv.name for lv in arch.storage if not lv.is_dummy] + [arch.compute.name]
    return [n for n in names if tables.get(n) is None]


def evaluate(workload: Workload, architecture: Architecture, mapping: Mapping,
             tables: CostTables, options: ModelOptions | None = None) -> Result:
    """Evaluate one mapping; an invalid mapping returns Result(valid=False, failure=...)."""
    options = options or ModelOptions()
    arch = architecture
    N = len(arch.storage)
    if len(mapping.levels) != N:
        return Result(valid=False, failure=f"mapping has {len(mapping.levels)} levels, "
                      f"architecture has {N} storage levels")
    _missing_costs(arch, tables)
    if mapping_is_imperfect(mapping):
        bad = residual_problems(mapping, {d: workload.bound(d) for d in workload.dimensions})
        if bad:
            return Result(valid=False, failure=f"residual factors: {bad[0].message}")
    nest = analyze(workload, arch, mapping, link_transfers=options.link_transfers,
                   new_stride_rule=options.new_stride_rule)
    tr = traffic(workload, arch, mapping, nest, options)
    # ---- validity
    for s, lv in enumerate(arch.storage):
        t = tr[s]
        kept = [d for d, ds in enumerate(workload.data_spaces) if ds.name in mapping.levels[s].keep]
        used = sum(t.size[d] for d in kept)
        eff = lv.effective_size
        if not options.check_capacity:
            eff = None
        if eff is not None and used > eff and not lv.allow_overbooking:
            parts = ", ".join(f"{workload.data_spaces[d].name} {t.size[d]}" for d in kept)
            return Result(valid=False, failure=f"couldn't map level {lv.name}: tiles need {used} "
                          f"words ({parts}), capacity is {eff}")
        if eff is not None and used < eff * lv.min_utilization:
            return Result(valid=False, failure=f"couldn't map level {lv.name}: utilization "
                          f"{used}/{eff} below min_utilization {lv.min_utilization}")
        if t.x_exp > lv.meshX or t.y_exp > lv.meshY:
            return Result(valid=False, failure=f"couldn't map level {lv.name}: spatial fan-out "
                          f"{t.x_exp}x{t.y_exp} exceeds mesh {lv.meshX}x{lv.meshY}")
    x_all = y_all = 1
    for lp in nest.loops:
        if lp.spatial == "X":
            x_all *= lp.end
        elif lp.spatial == "Y":
            y_all *= lp.end
    cp = arch.compute
    if x_all > cp.meshX or y_all > cp.meshY:
        return Result(valid=False, failure=f"couldn't map level {cp.name}: spatial fan-out "
                      f"{x_all}x{y_all} exceeds mesh {cp.meshX}x{cp.meshY}")
    for s in range(N):
        fx, fy = arch.fanout(s)
        sx = sy = 1
        for lp in mapping.levels[s].spatial:
            if lp.spatial == "X":
                sx *= lp.end
            else:
                sy *= lp.end
        if sx > fx or sy > fy:
            return Result(valid=False, failure=f"couldn't map level {arch.storage[s].name}: "
                          f"spatial factors {sx}x{sy} exceed its fan-out {fx}x{fy}")
    # ---- compute
    if nest.imperfect:
        # Timeloop's imperfect cycle count: the product of the temporal ends (ends, not
        # residuals); computes truncate the mean per-context count x replication.
        compute_cycles = math.prod(lp.end for lp in nest.loops if not lp.spatial)
        computes = int(nest.compute_accesses * nest.compute_replication)
    else:
        compute_cycles = nest.compute_accesses
        computes = nest.compute_accesses * nest.compute_replication
    e_compute = tables.energy(cp.name, COMPUTE_ACTIONS)
    if e_compute is None:
        e_compute = (cp.word_bits / 16.0) ** 2
    cost = tables.get(cp.name)
    comp = ComputeStats(name=cp.name, word_bits=cp.word_bits, instances=cp.instances,
                        meshX=cp.meshX, meshY=cp.meshY, compute_energy=e_compute,
                        utilized_instances=x_all * y_all, computes=computes,
                        cycles=compute_cycles, energy_total=computes * e_compute,
                        area=(cost.area or 0.0) if cost else 0.0)
    comp.area_total = comp.area * cp.instances
    # ---- per-level stats (before leakage, which needs final cycles)
    levels: list[StorageStats] = []
    level_cycles = []
    block_loops = _block_loops(nest, N, workload.dimensions)
    for s, lv in enumerate(arch.storage):
        t = tr[s]
        lm = mapping.levels[s]
        cost = tables.get(lv.name)
        e_r = action_energy(tables, lv.name, READ_ACTIONS)
        e_f = action_energy(tables, lv.name, FILL_ACTIONS)
        e_u = action_energy(tables, lv.name, UPDATE_ACTIONS)
        e_leak = action_energy(tables, lv.name, ("leak",))
        vae = lv.vector_access_energy
        if vae is None:
            vae = (max(cost.actions.values()) if cost and cost.actions else 0.0) / lv.cluster_size
        st = StorageStats(
            index=s + 1, name=lv.name, technology=lv.technology, size=lv.size,
            word_bits=lv.word_bits, block_size=lv.block_size, cluster_size=lv.cluster_size,
            instances=lv.instances, meshX=lv.meshX, meshY=lv.meshY,
            shared_bandwidth=lv.shared_bandwidth, read_bandwidth=lv.read_bandwidth,
            write_bandwidth=lv.write_bandwidth, multiple_buffering=lv.multiple_buffering,
            effective_size=lv.effective_size, min_utilization=lv.min_utilization,
            vector_access_energy=vae, leakage_per_cycle=e_leak,
            area=(cost.area or 0.0) if cost else 0.0, is_dummy=lv.is_dummy,
            loops=[LoopText(nl.dim_name, nl.end, nl.spatial, nl.residual)
                   for nl in block_loops[s]],
            keep=[ds.name for ds in workload.data_spaces if ds.name in lm.keep])
        xy = t.x_exp * t.y_exp
        util_clusters = min(xy, max(1, lv.instances // lv.cluster_size))
        scale_map = dict(lv.per_dataspace_bandwidth_consumption_scale)
        sum_r = sum_w = 0.0
        for d, ds in enumerate(workload.data_spaces):
            if ds.name not in lm.keep:
                continue
            reads, fills, updates = t.reads[d], t.fills[d], t.updates[d]
            bs = lv.block_size
            cluster_e = (math.ceil(reads / bs) * e_r + math.ceil(fills / bs) * e_f
                         + math.ceil(updates / bs) * e_u)
            per_inst = cluster_e / (xy / util_clusters) if util_clusters else 0.0
            total_acc = reads + fills + updates
            dss = DataSpaceStats(
                name=ds.name, partition_size=t.partition[d], utilized_capacity=t.size[d],
                utilized_instances=t.replication, utilized_clusters=util_clusters,
                reads=reads, fills=fills, updates=updates, temporal_reductions=t.tr[d],
                address_generations=(updates + fills) if ds.read_write else (reads + fills),
                energy_per_scalar_access=per_inst / total_acc if total_acc else 0.0,
                energy_per_instance=per_inst, energy_total=per_inst * t.replication,
                bandwidth_consumption_scale=scale_map.get(ds.name, 1.0),
                peer_accesses=t.peer[d], link_transfers=t.link[d])
            rho = xy / t.replication if t.replication else 1.0
            sc = dss.bandwidth_consumption_scale
            rd = math.ceil(reads / rho) / compute_cycles * sc if compute_cycles else 0.0
            wr = math.ceil((fills + updates) / rho) / compute_cycles * sc if compute_cycles else 0.0
            dss.read_bw_per_instance, dss.write_bw_per_instance = rd, wr
            sum_r += rd
            sum_w += wr
            st.dataspaces.append(dss)
            st.total_scalar_accesses += t.replication * total_acc
        slow = 1.0
        if lv.read_bandwidth is not None and sum_r > lv.read_bandwidth:
            slow = min(slow, lv.read_bandwidth / sum_r)
        if lv.write_bandwidth is not None and sum_w > lv.write_bandwidth:
            slow = min(slow, lv.write_bandwidth / sum_w)
        if lv.shared_bandwidth is not None and sum_r + sum_w > lv.shared_bandwidth:
            slow = min(slow, lv.shared_bandwidth / (sum_r + sum_w))
        st.bandwidth_throttling = slow
        st.cycles = math.ceil(compute_cycles / slow) if slow > 0 else compute_cycles
        for dss in st.dataspaces:
            dss.read_bw_per_instance *= slow
            dss.write_bw_per_instance *= slow
            dss.shared_bw_per_instance = dss.read_bw_per_instance + dss.write_bw_per_instance
            dss.read_bw_total = dss.read_bw_per_instance * dss.utilized_instances
            dss.write_bw_total = dss.write_bw_per_instance * dss.utilized_instances
            dss.shared_bw_total = dss.shared_bw_per_instance * dss.utilized_instances
        level_cycles.append(st.cycles)
        levels.append(st)
    cycles = max([compute_cycles] + level_cycles)
    cycles += sum(lv.network_fill_latency + lv.network_drain_latency for lv in arch.storage)
    # ---- leakage and totals
    energy = comp.energy_total
    area = comp.area_total
    for s, st in enumerate(levels):
        # Instances that leak: those the mapping uses (counted even if nothing is kept).
        st.leakage_energy_total = st.leakage_per_cycle * cycles * max(1, tr[s].replication)
        st.non_power_gated_utilization = 1.0
        st.energy_total = sum(d.energy_total + d.tr_energy_total + d.addr_gen_energy_total
                              for d in st.dataspaces) + st.leakage_energy_total
        energy += st.energy_total
        area += st.area * st.instances
    networks = []
    for s, lv in enumerate(arch.storage):
        inner = arch.storage[s - 1].name if s > 0 else cp.name
        networks.append(NetworkStats(name=f"{lv.name} <==> {inner}", energy_total=0.0))
    # ---- operational intensity
    required = 0
    reduction = computes
    for d, ds in enumerate(workload.data_spaces):
        outer = next((s for s in range(N - 1, -1, -1) if ds.name in mapping.levels[s].keep), None)
        if outer is None:
            continue
        cap = tr[outer].size[d]
        required += cap
        if ds.read_write:
            reduction -= cap
    wb_outer = arch.storage[N - 1].word_bits
    total_ops = computes + reduction
    res = Result(valid=True, compute=comp, storage=levels, networks=networks, computes=computes,
                 cycles=cycles, energy=energy, area=area,
                 utilization=computes / cp.instances / cycles if cycles else 0.0,
                 total_elementwise_ops=computes, total_reduction_ops=reduction,
                 total_memory_accesses_required=required,
                 optimal_op_per_byte=total_ops / (wb_outer * required / 8) if required else 0.0,
                 summary_area=0.0 if options.timeloop_summary_area else None)
    return res


@dataclass
class _BL:
    dim_name: str
    end: int
    spatial: str | None
    residual: int | None = None


def _block_loops(nest: NestResult, N: int, dims: tuple[str, ...]) -> list[list[_BL]]:
    """Per storage level, its non-trivial loops outer first (for the MAPPING section)."""
    out: list[list[_BL]] = [[] for _ in range(N)]
    for lp in reversed(nest.loops):
        if lp.end > 1:
            res = lp.residual if lp.residual and lp.residual != lp.end else None
            out[lp.level].append(_BL(dims[lp.dim], lp.end, lp.spatial, res))
    return out


def _missing_costs(arch: Architecture, tables: CostTables) -> None:
    """Every non-dummy component must be priced (ERT given or estimated)."""
    missing = unpriced(arch, tables)
    if missing:
        raise EstimationError(
            f"no energy table for component(s): {', '.join(missing)}",
            hint="give an ERT/ART for them (e.g. timeloop-model.ERT.yaml) or enable the built-in "
                 "estimators")
