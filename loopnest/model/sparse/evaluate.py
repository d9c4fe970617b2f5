"""Evaluate one mapping with Sparseloop's model.

The dense evaluation (`loopnest.model.evaluate`) gives the algorithmic counts; the
sparse analysis (formats, gating/skipping, compute optimizations) turns them into
fine-grained actual / gated / skipped counts; `levels.finish_level` then prices them
(energy per fine-grained action, bandwidth with format traffic, cycles) exactly as
Timeloop's BufferLevel and ArithmeticUnits do. The dense `Result` is copied with its
totals replaced by the sparse figures.
"""
from __future__ import annotations

import copy
import dataclasses
import math

from loopnest.energy.tables import CostTables
from loopnest.ir.architecture import Architecture
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.model.evaluate import ModelOptions, evaluate
from loopnest.model.result import Result
from loopnest.model.sparse.analysis import TileInfo, analyze_sparse
from loopnest.model.sparse.capacity import capacity_failure
from loopnest.model.sparse.density import type_name
from loopnest.model.sparse.levels import (compute_energy_map, finish_leakage, finish_level,
                                          storage_energy_map)
from loopnest.model.sparse.result import SparseCompute, SparseResult
from loopnest.model.sparse.spec import SparseSpec


def spatial_expansion(mapping: Mapping, n_levels: int) -> list[tuple[int, int]]:
    """Per storage level: (X, Y) product of the spatial factors above its boundary."""
    out = []
    for s in range(n_levels):
        x = y = 1
        for k in range(s + 1, n_levels):
            for lp in mapping.levels[k].spatial:
                if lp.spatial == "X":
                    x *= lp.end
                else:
                    y *= lp.end
        out.append((x, y))
    return out


def compute_expansion(mapping: Mapping) -> tuple[int, int]:
    """(X, Y) product of every spatial factor: the arithmetic level's instances."""
    x = y = 1
    for lm in mapping.levels:
        for lp in lm.spatial:
            if lp.spatial == "X":
                x *= lp.end
            else:
                y *= lp.end
    return x, y


def dense_tiles(res: Result, spec: SparseSpec, expansion: list) -> list[dict]:
    """Per storage level, data space -> TileInfo holding the dense (algorithmic) figures."""
    tiles: list[dict] = []
    for s, st in enumerate(res.storage):
        row = {}
        for dss in st.dataspaces:
            row[dss.name] = TileInfo(
                level=s, data_space=dss.name, shape=dss.utilized_capacity,
                partition=dss.partition_size, reads=dss.reads, fills=dss.fills,
                updates=dss.updates, temporal_reductions=dss.temporal_reductions,
                replication=dss.utilized_instances, x_exp=expansion[s][0],
                y_exp=expansion[s][1], density_name=type_name(spec.densities[dss.name]))
        tiles.append(row)
    return tiles


def evaluate_sparse(workload: Workload, arch: Architecture, mapping: Mapping,
                    tables: CostTables, spec: SparseSpec,
                    options: ModelOptions | None = None) -> SparseResult:
    """Dense evaluation, then Sparseloop's analysis and pricing."""
    options = options or ModelOptions()
    dense = evaluate(workload, arch, mapping, tables,
                     dataclasses.replace(options, check_capacity=False))
    if not dense.valid:
        return SparseResult(result=dense)
    res = copy.deepcopy(dense)
    expansion = spatial_expansion(mapping, len(arch.storage))
    tiles = dense_tiles(res, spec, expansion)
    comp = res.compute
    cx, cy = compute_expansion(mapping)
    algorithmic = res.computes
    fine_compute = {"random_compute": algorithmic, "gated_compute": 0, "skipped_compute": 0}
    avg_compute = float(comp.utilized_instances)
    if spec.any_optimization:
        read_e = [storage_energy_map(tables, lv.name, res.storage[s].vector_access_energy)
                  ["random_read"] for s, lv in enumerate(arch.storage)]
        out = analyze_sparse(workload, arch, mapping, spec, tiles, algorithmic, read_e,
                             [list(e) for e in expansion], (cx, cy), comp.utilized_instances)
        fine_compute = out.compute
        if out.compute_avg_instances is not None:
            # ArithmeticUnits keeps its average instances in a uint64_t: truncated
            avg_compute = float(int(out.compute_avg_instances))
        if out.compute_xy is not None:
            cx, cy = out.compute_xy
    # ---- capacity on compressed occupancy
    for s, lv in enumerate(arch.storage):
        fail = capacity_failure(lv, spec.metadata[s], tiles[s])
        if fail:
            return SparseResult(result=Result(valid=False, failure=fail))
    # ---- arithmetic level
    e_map = compute_energy_map(tables, arch.compute.name, comp.compute_energy)
    sc = SparseCompute(base=comp, utilized_max=cx * cy, utilized_avg=avg_compute,
                       algorithmic=algorithmic, actual=fine_compute["random_compute"],
                       gated=fine_compute["gated_compute"],
                       skipped=fine_compute["skipped_compute"])
    sc.energy = sum(fine_compute[k] * e_map[k] for k in fine_compute)
    if dense.compute is not None and _imperfect(mapping):
        sc.cycles = comp.cycles
    else:
        sc.cycles = math.ceil((sc.actual + sc.gated) / avg_compute) if avg_compute else 0
    # ---- storage levels
    levels = []
    cycles = sc.cycles
    for s, lv in enumerate(arch.storage):
        sl = finish_level(lv, res.storage[s], tiles[s], workload, spec, s, tables, sc.cycles,
                          expansion[s][0] * expansion[s][1])
        levels.append(sl)
        cycles = max(cycles, sl.base.cycles)
    cycles += sum(lv.network_fill_latency + lv.network_drain_latency for lv in arch.storage)
    energy = sc.energy
    for sl in levels:
        finish_leakage(sl, cycles)
        energy += sl.energy
    for st, sl in zip(res.storage, levels):  # map.txt: `tile (utilized capacity)`
        for dss, sd in zip(st.dataspaces, sl.dataspaces):
            dss.tile_size = dss.utilized_capacity
            dss.utilized_capacity = sd.utilized_capacity
    comp.energy_total = sc.energy
    comp.cycles = sc.cycles
    comp.computes = sc.actual
    res.cycles = cycles
    res.energy = energy
    res.computes = sc.actual
    res.utilization = _ideal_cycles(sc, avg_compute) / cycles if cycles else 0.0
    required, outputs = _required_accesses(workload, levels)
    res.total_memory_accesses_required = required
    res.total_elementwise_ops = sc.actual
    res.total_reduction_ops = sc.actual - outputs
    return SparseResult(result=res, compute=sc, levels=levels, algorithmic_computes=algorithmic,
                        actual_computes=sc.actual)


def _required_accesses(workload: Workload, levels: list) -> tuple[int, int]:
    """Total memory accesses required and the output size: per data space the utilized
    capacity at the outermost level where it is nonzero (Timeloop's topology stats)."""
    required = outputs = 0
    for ds in workload.data_spaces:
        cap = 0
        for sl in reversed(levels):
            sd = next((x for x in sl.dataspaces if x.name == ds.name), None)
            cap = sd.utilized_capacity if sd is not None else 0
            if cap > 0:
                break
        required += cap
        if ds.read_write:
            outputs += cap
    return required, outputs


def _ideal_cycles(sc: SparseCompute, avg: float) -> float:
    """ArithmeticUnits::IdealCycles: (actual + gated) computes over the instances."""
    return (sc.actual + sc.gated) / sc.base.instances if sc.base.instances else 0.0


def _imperfect(mapping: Mapping) -> bool:
    return any(lp.residual is not None and lp.residual != lp.end
               for lm in mapping.levels for lp in list(lm.temporal) + list(lm.spatial))


def sparse_result(workload: Workload, arch: Architecture, mapping: Mapping, tables: CostTables,
                  spec: SparseSpec, options: ModelOptions | None = None) -> Result:
    """The exact sparse model's Result (invalid, with the reason, where it cannot model):
    what the mapper and the batched model score a sparse design's candidates with."""
    from loopnest.errors import LoopnestError

    try:
        return evaluate_sparse(workload, arch, mapping, tables, spec, options).result
    except LoopnestError as e:
        return Result(valid=False, failure=e.message)
    except (ArithmeticError, ValueError) as e:  # one candidate, not the whole search
        return Result(valid=False, failure=f"internal: the sparse model cannot evaluate "
                                           f"this mapping ({e})")
