"""Read Timeloop's dense stats.txt / map.txt back into a `Result`.

Used to check the writers byte for byte against reference outputs without running a
model, and handy for comparing against old runs. Sparse reports are not supported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from loopnest.errors import SpecError
from loopnest.model.result import (
    ComputeStats, DataSpaceStats, LoopText, NetworkStats, Result, StorageStats,
)

_LOOP = re.compile(r"for (\S+) in \[0:(\d+)(?:,(\d+))?\)(?: \(Spatial-([XY])\))?$")
_HEADER = re.compile(r"^(\S+) \[ (.*)\] $")
_TILE = re.compile(r"(\S+):(\d+) \((\d+)\)")

_STORAGE_SPECS = {
    "Technology": ("technology", str),
    "Size": ("size", "opt_int"),
    "Word bits": ("word_bits", int),
    "Block size": ("block_size", int),
    "Cluster size": ("cluster_size", int),
    "Shared bandwidth": ("shared_bandwidth", "opt_float"),
    "Read bandwidth": ("read_bandwidth", "opt_float"),
    "Write bandwidth": ("write_bandwidth", "opt_float"),
    "Multiple buffering": ("multiple_buffering", float),
    "Effective size": ("effective_size", "opt_int"),
    "Min utilization": ("min_utilization", float),
    "Vector access energy": ("vector_access_energy", float),
    "Vector access energy source": ("vector_access_energy_source", str),
    "Per-instance-cycle leakage": ("leakage_per_cycle", float),
    "Instances sharing power gating": ("instances_sharing_power_gating", float),
    "Non-power-gated utilization": ("non_power_gated_utilization", "percent"),
    "Leakage energy (total)": ("leakage_energy_total", float),
    "Area": ("area", float),
}

_DS_FIELDS = {
    "Partition size": "partition_size",
    "Utilized capacity": "utilized_capacity",
    "Utilized instances (max)": "utilized_instances",
    "Utilized clusters (max)": "utilized_clusters",
    "Scalar reads (per-instance)": "reads",
    "Scalar fills (per-instance)": "fills",
    "Scalar updates (per-instance)": "updates",
    "Temporal reductions (per-instance)": "temporal_reductions",
    "Address generations (per-cluster)": "address_generations",
    "Energy (per-scalar-access)": "energy_per_scalar_access",
    "Energy (per-instance)": "energy_per_instance",
    "Energy (total)": "energy_total",
    "Temporal Reduction Energy (per-instance)": "tr_energy_per_instance",
    "Temporal Reduction Energy (total)": "tr_energy_total",
    "Address Generation Energy (per-cluster)": "addr_gen_energy_per_cluster",
    "Address Generation Energy (total)": "addr_gen_energy_total",
    "Bandwidth Consumption Scale": "bandwidth_consumption_scale",
    "Shared Bandwidth (per-instance)": "shared_bw_per_instance",
    "Shared Bandwidth (total)": "shared_bw_total",
    "Read Bandwidth (per-instance)": "read_bw_per_instance",
    "Read Bandwidth (total)": "read_bw_total",
    "Write Bandwidth (per-instance)": "write_bw_per_instance",
    "Write Bandwidth (total)": "write_bw_total",
}

_INT_DS = {"partition_size", "utilized_capacity", "utilized_instances", "utilized_clusters",
           "reads", "fills", "updates", "temporal_reductions", "address_generations"}


def is_sparse(text: str) -> bool:
    """Sparseloop reports carry fields this parser does not know."""
    return any(w in text for w in ("Gated", "Skipped", "Metadata"))


def _number(text: str) -> float:
    return float(text.split()[0].rstrip("%"))


def _convert(kind: object, value: str) -> object:
    if kind is str:
        return value
    if kind == "opt_int":
        return None if value == "-" else int(value)
    if kind == "opt_float":
        return None if value == "-" else float(value)
    if kind == "percent":
        return _number(value) / 100
    if kind is int:
        return int(value.split()[0])
    return _number(value)


def parse_loop(text: str) -> LoopText:
    """`for P in [0:16) (Spatial-X)` -> LoopText."""
    m = _LOOP.match(text.strip())
    if not m:
        raise SpecError(f"not a loop line: {text!r}")
    dim, end, residual, spatial = m.groups()
    return LoopText(dim, int(end), spatial, int(residual) if residual else None)


def _split_kv(line: str) -> tuple[str, str]:
    key, _, value = line.partition(":")
    return key.strip(), value.strip()


def _parse_compute(lines: list[str], name: str) -> ComputeStats:
    c = ComputeStats(name=name)
    for line in lines:
        if ":" not in line:
            continue
        key, value = _split_kv(line)
        if key == "Word bits":
            c.word_bits = int(value)
        elif key == "Instances":
            c.instances, c.meshX, c.meshY = _instances(value)
        elif key == "Compute energy":
            c.compute_energy = _number(value)
        elif key == "Utilized instances":
            c.utilized_instances = int(value)
        elif key == "Computes (total)":
            c.computes = int(value)
        elif key == "Cycles":
            c.cycles = int(value)
        elif key == "Energy (total)":
            c.energy_total = _number(value)
        elif key == "Area (total)":
            c.area_total = _number(value)
    c.area = c.area_total / c.instances if c.instances else 0.0
    return c


def _instances(value: str) -> tuple[int, int, int]:
    m = re.match(r"(\d+) \((\d+)\*(\d+)\)", value)
    if not m:
        raise SpecError(f"bad Instances value {value!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _parse_storage(lines: list[str], index: int, name: str) -> StorageStats:
    lv = StorageStats(index=index, name=name)
    section = None
    ds: DataSpaceStats | None = None
    for line in lines:
        s = line.strip()
        if s in ("SPECS", "MAPPING", "STATS"):
            section = s
            continue
        if not s or set(s) == {"-"} or s == "Loop nest:":
            continue
        if section == "MAPPING":
            lv.loops.append(parse_loop(s))
        elif section == "SPECS":
            key, value = _split_kv(s)
            if key == "Instances":
                lv.instances, lv.meshX, lv.meshY = _instances(value)
            else:
                attr, kind = _STORAGE_SPECS[key]
                setattr(lv, attr, _convert(kind, value))
        elif section == "STATS":
            if s.endswith(":"):
                ds = DataSpaceStats(name=s[:-1])
                lv.dataspaces.append(ds)
                lv.keep.append(ds.name)
                continue
            key, value = _split_kv(s)
            if ds is None:
                if key == "Cycles":
                    lv.cycles = int(value)
                elif key == "Bandwidth throttling":
                    lv.bandwidth_throttling = _number(value)
                continue
            attr = _DS_FIELDS[key]
            setattr(ds, attr, int(value) if attr in _INT_DS else _number(value))
    return lv


@dataclass
class _Sections:
    levels: list[tuple[int, str, list[str]]] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    intensity: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def _sections(text: str) -> _Sections:
    out = _Sections()
    lines = text.split("\n")
    mode = "levels"
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "Networks":
            mode = "networks"
        elif line == "Operational Intensity Stats":
            mode = "intensity"
        elif line == "Summary Stats":
            mode = "summary"
        elif mode == "levels" and line.startswith("Level "):
            name = lines[i + 2][4:-4]
            out.levels.append((int(line.split()[1]), name, []))
            i += 3
            continue
        elif mode == "levels" and out.levels:
            out.levels[-1][2].append(line)
        elif mode != "levels":
            getattr(out, mode).append(line)
        i += 1
    return out


def parse_stats(text: str) -> Result:
    """Parse a dense stats.txt. Hidden levels (known from the intensity section) are
    included with zero accesses and energy; all inferred networks with zero energy."""
    if is_sparse(text):
        raise SpecError("sparse stats reports are not supported")
    sec = _sections(text)
    result = Result(valid=True)
    visible: dict[str, StorageStats] = {}
    for index, name, body in sec.levels:
        if index == 0:
            result.compute = _parse_compute(body, name)
        else:
            visible[name] = _parse_storage(body, index, name)

    order: list[str] = []
    accesses: dict[str, int] = {}
    for line in sec.intensity:
        s = line.strip()
        m = re.match(r"^=== (.+) ===$", s)
        if m:
            order.append(m.group(1))
            continue
        if ":" not in s:
            continue
        key, value = _split_kv(s)
        if key == "Total elementwise ops":
            result.total_elementwise_ops = int(value)
        elif key == "Total reduction ops":
            result.total_reduction_ops = int(value)
        elif key == "Total memory accesses required":
            result.total_memory_accesses_required = int(value)
        elif key == "Optimal Op per Byte":
            result.optimal_op_per_byte = float(value)
        elif key == "Total scalar accesses":
            accesses[order[-1]] = int(value)
    for i, name in enumerate(order):
        lv = visible.get(name) or StorageStats(index=i + 1, name=name,
                                               is_dummy=name.startswith("inter_"))
        lv.total_scalar_accesses = accesses.get(name, 0)
        result.storage.append(lv)

    fj: dict[str, float] = {}
    in_fj = False
    for line in sec.summary:
        if line == "fJ/Compute":
            in_fj = True
            continue
        if in_fj and "=" in line:
            key, _, value = line.partition("=")
            fj[key.strip()] = float(value)
            continue
        if line.startswith("Computes = "):
            result.computes = int(line.split("=")[1])
        elif line.startswith("Utilization: "):
            result.utilization = _number(line.split(":")[1]) / 100
        elif line.startswith("Cycles: "):
            result.cycles = int(line.split(":")[1])
        elif line.startswith("Area: "):
            result.area = _number(line.split(":")[1]) * 1e6
        elif line.startswith("Energy: "):
            result.energy = _number(line.split(":")[1]) * 1e6

    scale = result.computes / 1000
    if "Total" in fj:
        result.energy = fj["Total"] * scale
    for lv in result.storage:
        lv.energy_total = fj.get(lv.name, 0.0) * scale
    if result.compute is not None and result.compute.name in fj:
        result.compute.energy_total = _consistent(result.compute.energy_total,
                                                  fj[result.compute.name], scale)
    chain = ([result.compute.name] if result.compute else []) + order
    result.networks = [NetworkStats(f"{o} <==> {i}", fj.get(f"{o} <==> {i}", 0.0) * scale)
                       for i, o in zip(chain, chain[1:])]
    return result


def _consistent(energy: float, fj: float, scale: float) -> float:
    """An energy that prints as both `energy` (2 decimals, pJ) and `fj` (fJ/Compute, 2
    decimals, after x 1/scale): the middle of the two rounding intervals when they meet."""
    lo = max(energy - 0.005, (fj - 0.005) * scale)
    hi = min(energy + 0.005, (fj + 0.005) * scale)
    return (lo + hi) / 2 if lo < hi else energy


@dataclass
class MapTxtLevel:
    """One header of map.txt: level name, (data space, tile size, utilized capacity), loops."""

    name: str
    tiles: list[tuple[str, int, int]]
    loops: list[LoopText]


def parse_map_txt(text: str) -> list[MapTxtLevel]:
    """Parse map.txt into levels, outermost first."""
    levels: list[MapTxtLevel] = []
    for line in text.split("\n"):
        m = _HEADER.match(line)
        if m:
            tiles = [(d, int(t), int(u)) for d, t, u in _TILE.findall(m.group(2))]
            levels.append(MapTxtLevel(m.group(1), tiles, []))
        elif line.startswith("|") and "<< Compute >>" not in line:
            levels[-1].loops.append(parse_loop(line[1:]))
    return levels


def apply_map_txt(result: Result, levels: list[MapTxtLevel]) -> Result:
    """Fill loops, kept data spaces and tile sizes of `result` from a parsed map.txt."""
    by_name = {lv.name: lv for lv in result.storage}
    for ml in levels:
        lv = by_name[ml.name]
        lv.loops = list(ml.loops)
        have = {ds.name: ds for ds in lv.dataspaces}
        lv.dataspaces = []
        for name, tile, util in ml.tiles:
            ds = have.get(name) or DataSpaceStats(name=name)
            ds.tile_size, ds.utilized_capacity = tile, util
            lv.dataspaces.append(ds)
        lv.keep = [ds.name for ds in lv.dataspaces]
    return result
