"""Per-layer records and network totals: plain data, no I/O.

A `LayerRecord` is what mapping one distinct layer produced: the best mapping's
figures (energy split by level and data space, cycles, utilization, the roofline
inputs), how the search went (gap, stop reason, candidates, time), warnings, and the
texts of its `timeloop-mapper.*` files. It is JSON-able, so the same object is sent
back by a worker process, stored in the result cache and read again.

`NetworkRow` pairs a manifest entry with the record of its shape; `totals()` sums the
rows with their occurrence counts.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

LOW_UTILIZATION = 0.25  # warn below this fraction of the MACs busy
LATE_FRACTION = 0.3  # "still improving": the best came in the last 30 % of the candidates


@dataclass
class LayerRecord:
    """The mapper's result for one distinct layer shape (one occurrence)."""

    key: str
    label: str  # folder name of the layer's outputs (the problem file's stem)
    status: str  # "ok" or "failed"
    error: str = ""
    shape: str = ""
    bounds: dict[str, int] = field(default_factory=dict)
    macs: int = 0
    energy_pj: float = 0.0
    cycles: int = 0
    utilization: float = 0.0
    area_um2: float = 0.0
    # pJ per component (arithmetic, storage inner -> outer, networks), split into data
    # spaces and the parts that belong to none (compute, leakage, reduction/addr-gen, network)
    energy_parts: dict[str, dict[str, float]] = field(default_factory=dict)
    dram_words: float = 0.0  # scalar accesses at the outermost storage level (all instances)
    dram_word_bits: int = 0
    dram_bandwidth: float | None = None  # words/cycle at the outermost level; None = unlimited
    peak_macs_per_cycle: int = 0  # arithmetic instances
    max_parallelism: int = 0  # proven upper bound on the MACs usable at once
    cycle_seconds: float = 1e-9
    gap: float | None = None
    search_status: str = ""  # OPTIMAL / FEASIBLE / INTERRUPTED
    stop_reason: str = ""
    evaluated: int = 0  # candidates scored (model and surrogate)
    improved_at: int = 0  # candidates scored when the best last improved
    search_s: float = 0.0  # the mapper's time, set-up included
    setup_s: float = 0.0  # of search_s: first CP-SAT tiling and the lower bound
    task_s: float = 0.0  # the whole task in the worker: front end, search, report texts
    budget: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # output name -> text
    detail: str = ""  # traceback of an internal error
    mapping: list = field(default_factory=list)  # the best mapping, described (transplant.py)
    cost: list[float] = field(default_factory=list)  # its cost vector (metric order)
    second: bool = False  # the best came from the layer's second search (network pass 2)
    seeded_from: str = ""  # of which the best refitted sibling mapping it started from
    cached: bool = False  # set by the runner: read from the cache in this run

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def edp(self) -> float:
        """J x cycles of one occurrence."""
        return self.energy_pj * 1e-12 * self.cycles

    @property
    def pj_per_mac(self) -> float:
        return self.energy_pj / self.macs if self.macs else 0.0

    @property
    def energy_by_level(self) -> dict[str, float]:
        return {lvl: sum(parts.values()) for lvl, parts in self.energy_parts.items()}

    @property
    def energy_by_dataspace(self) -> dict[str, float]:
        """pJ per data space over all levels; `compute` and other parts as their own keys."""
        out: dict[str, float] = {}
        for parts in self.energy_parts.values():
            for part, e in parts.items():
                out[part] = out.get(part, 0.0) + e
        return {p: out[p] for p in order_parts(list(out))}

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("cached")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LayerRecord":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class NetworkRow:
    """One manifest entry (in network order) and the record of its shape."""

    name: str
    count: int
    group: str | None
    problem: str  # the problem file's name
    record: LayerRecord


@dataclass
class Totals:
    """A network's figures with every layer counted `count` times (failed layers left out)."""

    layers: int = 0  # manifest entries
    occurrences: int = 0  # entries weighted by count
    distinct: int = 0
    failed: list[str] = field(default_factory=list)  # names of failed entries
    macs: int = 0
    energy_pj: float = 0.0
    cycles: int = 0
    cycle_seconds: float = 1e-9
    area_um2: float = 0.0
    peak_macs_per_cycle: int = 0
    energy_by_level: dict[str, float] = field(default_factory=dict)
    energy_by_dataspace: dict[str, float] = field(default_factory=dict)
    energy_parts: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def latency_s(self) -> float:
        """Layers run one after another at the architecture's clock."""
        return self.cycles * self.cycle_seconds

    @property
    def inferences_per_s(self) -> float:
        return 1.0 / self.latency_s if self.latency_s else 0.0

    @property
    def tops(self) -> float:
        """Tera-operations per second, one MAC = 2 operations."""
        return 2 * self.macs / self.latency_s / 1e12 if self.latency_s else 0.0

    @property
    def tops_per_w(self) -> float:
        """Operations per joule / 1e12 (= TOPS / watts)."""
        return 2 * self.macs / (self.energy_pj * 1e-12) / 1e12 if self.energy_pj else 0.0

    @property
    def edp(self) -> float:
        """Energy (J) x cycles of one inference."""
        return self.energy_pj * 1e-12 * self.cycles

    @property
    def pj_per_mac(self) -> float:
        return self.energy_pj / self.macs if self.macs else 0.0

    @property
    def utilization(self) -> float:
        """MACs / (cycles x arithmetic instances): the array's busy fraction over the run."""
        peak = self.cycles * self.peak_macs_per_cycle
        return self.macs / peak if peak else 0.0


NON_DATASPACE = ("compute", "reduction/addr-gen", "leakage", "network")


USUAL_DATASPACES = ("Weights", "Inputs", "Outputs")


def order_parts(parts: list[str]) -> list[str]:
    """Energy parts in a stable reading order: Weights, Inputs, Outputs, other data
    spaces (as first seen), then the arithmetic, reduction/address generation, leakage
    and networks."""
    ds = [p for p in USUAL_DATASPACES if p in parts]
    ds += [p for p in parts if p not in NON_DATASPACE and p not in ds]
    return ds + [p for p in NON_DATASPACE if p in parts]


def _add(dst: dict[str, float], src: dict[str, float], k: int) -> None:
    for key, v in src.items():
        dst[key] = dst.get(key, 0.0) + k * v


def totals(rows: list[NetworkRow]) -> Totals:
    """Sum the rows, each `count` times; failed (or not run) layers are listed, not summed."""
    t = Totals(layers=len(rows), occurrences=sum(r.count for r in rows),
               distinct=len({r.record.key for r in rows}))
    for row in rows:
        rec = row.record
        if not rec.ok:
            t.failed.append(row.name)
            continue
        k = row.count
        t.macs += k * rec.macs
        t.energy_pj += k * rec.energy_pj
        t.cycles += k * rec.cycles
        t.cycle_seconds = rec.cycle_seconds
        t.area_um2 = max(t.area_um2, rec.area_um2)
        t.peak_macs_per_cycle = max(t.peak_macs_per_cycle, rec.peak_macs_per_cycle)
        _add(t.energy_by_level, rec.energy_by_level, k)
        _add(t.energy_by_dataspace, rec.energy_by_dataspace, k)
        for lvl, parts in rec.energy_parts.items():
            _add(t.energy_parts.setdefault(lvl, {}), parts, k)
    t.energy_by_dataspace = {p: t.energy_by_dataspace[p]
                             for p in order_parts(list(t.energy_by_dataspace))}
    return t


def search_warnings(stop_reason: str, evaluated: int, improved_at: int, utilization: float,
                    max_parallelism: int, peak: int, before: int = 0) -> list[str]:
    """Why a layer's figure may be search noise rather than the architecture's.
    `before`: candidates of an earlier search the counts include (a seeded second
    search is judged on its own candidates)."""
    out = []
    own, at = evaluated - before, improved_at - before
    late = own > 0 and at > (1 - LATE_FRACTION) * own
    if stop_reason == "timeout" and late:
        out.append(f"search stopped on time while still improving (best found after "
                   f"{improved_at} of {evaluated} candidates): raise --timeout-per-layer or "
                   "give --evaluations-per-layer")
    elif stop_reason == "search_size" and late:
        out.append(f"search was still improving when its budget ran out (best after "
                   f"{improved_at} of {evaluated} candidates): a larger "
                   "--evaluations-per-layer may find better")
    if utilization < LOW_UTILIZATION:
        possible = min(1.0, max_parallelism / peak) if peak and max_parallelism else None
        more = (f"; up to {possible:.2f} of the MACs can work in parallel on this layer"
                if possible is not None else "")
        out.append(f"low utilization {utilization:.3f}{more}")
    return out
