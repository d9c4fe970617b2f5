"""`OutputStats`: what `call_mapper` / `call_model` return, as TimeloopFE's.

Energies in joules, areas in square metres, per component (the arithmetic, each
storage level, each network), like TimeloopFE's parse of the stats file and ART.
Built from loopnest's result directly (no re-parsing of the written files).
"""
from __future__ import annotations

import copy
from typing import Any


class MultipliableDict(dict):
    """A dict that scales by a number (`d * 2`, `d / computes`)."""

    def __mul__(self, k: float) -> "MultipliableDict":
        return MultipliableDict({key: v * k for key, v in self.items()})

    __rmul__ = __mul__

    def __truediv__(self, k: float) -> "MultipliableDict":
        return MultipliableDict({key: v / k for key, v in self.items()})


class OutputStats:
    """One run's figures.

    percent_utilization: the fraction of the arithmetic busy (0..1, as TimeloopFE);
    computes, cycles, cycle_seconds, latency (s); per_component_energy (J),
    per_component_area (m^2), energy (J), area (m^2); computes_per_second,
    computes_per_joule, computes_per_second_per_square_meter; accesses (per storage
    level: reads, fills, updates over all instances); mapping (map.txt text);
    variables (the evaluated `variables:`). `result` is the `loopnest.api.Result`
    behind it (records, breakdown, DataFrame).
    """

    def __init__(self, percent_utilization: float, computes: int, cycles: int,
                 cycle_seconds: float, per_component_energy: dict, per_component_area: dict,
                 variables: dict, accesses: dict, mapping: str | None = "",
                 result: Any = None) -> None:
        self.percent_utilization = percent_utilization
        self.computes = computes
        self.cycles = cycles
        self.cycle_seconds = cycle_seconds
        self.latency = cycles * cycle_seconds
        self.per_component_energy = MultipliableDict(per_component_energy)
        self.per_component_area = MultipliableDict(per_component_area)
        self.variables = {k: (f"function {v.__name__}" if callable(v) else v)
                          for k, v in copy.deepcopy(variables).items()}
        self.accesses = accesses
        self.mapping = mapping
        self.result = result
        self.area = sum(self.per_component_area.values())
        self.energy = sum(self.per_component_energy.values())
        self.computes_per_second = computes / cycle_seconds / cycles if cycles else 0.0
        self.computes_per_second_per_square_meter = (
            self.computes_per_second / self.area if self.area else 0.0)
        self.computes_per_joule = computes / self.energy if self.energy else 0.0

    @classmethod
    def from_result(cls, result: Any) -> "OutputStats":
        """From a `loopnest.api.Result`."""
        from loopnest.spec.located import to_plain

        r = result.stats
        energy: dict[str, float] = {}
        area: dict[str, float] = {}
        if r.compute is not None:
            energy[r.compute.name] = r.compute.energy_total * 1e-12
            area[r.compute.name] = (r.compute.area_total or
                                    r.compute.area * r.compute.instances) * 1e-12
        accesses: dict[str, dict[str, float]] = {}
        for lv in r.storage:
            energy[lv.name] = lv.energy_total * 1e-12
            area[lv.name] = lv.area * lv.instances * 1e-12
            acc = {"reads": 0, "fills": 0, "updates": 0}
            for ds in lv.dataspaces:
                n = ds.utilized_instances
                acc["reads"] += ds.reads * n
                acc["fills"] += ds.fills * n
                acc["updates"] += ds.updates * n
            accesses[lv.name] = acc
        for net in r.networks:
            energy[net.name] = net.energy_total * 1e-12
            area.setdefault(net.name, 0.0)
        for k in list(area) + list(energy):
            area.setdefault(k, 0.0)
            energy.setdefault(k, 0.0)
        variables = to_plain(result.design.spec.get("variables") or {})
        variables.pop("version", None)
        return cls(percent_utilization=float(r.utilization), computes=int(r.computes),
                   cycles=int(r.cycles), cycle_seconds=result.cycle_seconds,
                   per_component_energy=energy, per_component_area=area,
                   variables=variables, accesses=accesses, mapping=result.map_text,
                   result=result)

    def __repr__(self) -> str:
        return (f"OutputStats(energy={self.energy:.6g} J, cycles={self.cycles}, "
                f"computes={self.computes}, utilization={self.percent_utilization:.4g})")

    def per_compute(self, key: str) -> Any:
        """`key` divided by the computes (per-component dicts divided item by item)."""
        value = getattr(self, key)
        if isinstance(value, dict):
            return MultipliableDict({k: v / self.computes for k, v in value.items()})
        return value / self.computes

    def access(self, key: str) -> Any:
        """An attribute, else a variable of that name."""
        try:
            return getattr(self, key)
        except AttributeError:
            if key in self.variables:
                return self.variables[key]
            raise AttributeError(f"no figure or variable '{key}'; variables: "
                                 f"{', '.join(self.variables)}") from None

    def scale_computes_by(self, factor: float) -> None:
        self.computes *= factor
        self.computes_per_second *= factor
        self.computes_per_joule *= factor

    def _combine(self, attr: str, from_keys: list[str], to: str) -> None:
        d = getattr(self, attr)
        missing = [k for k in from_keys if k not in d]
        if missing:
            raise KeyError(f"{missing} not in {attr}; keys: {list(d)}")
        if len(set(from_keys)) != len(from_keys):
            raise ValueError(f"duplicate keys in {from_keys}")
        d[to] = sum(d.pop(k) for k in from_keys)

    def combine_per_component_energy(self, from_keys: list[str], to: str) -> None:
        self._combine("per_component_energy", from_keys, to)

    def combine_per_component_area(self, from_keys: list[str], to: str) -> None:
        self._combine("per_component_area", from_keys, to)

    def combine_per_component_area_energy(self, from_keys: list[str], to: str) -> None:
        self.combine_per_component_area(from_keys, to)
        self.combine_per_component_energy(from_keys, to)

    def clear_zero_energies(self) -> None:
        for k in [k for k, v in self.per_component_energy.items() if v == 0]:
            del self.per_component_energy[k]

    def clear_zero_areas(self) -> None:
        for k in [k for k, v in self.per_component_area.items() if v == 0]:
            del self.per_component_area[k]

    @staticmethod
    def aggregate(tests: list["OutputStats"]) -> "OutputStats":
        """Several runs (e.g. the layers of a network) as one: computes, cycles,
        energies and accesses summed; utilization weighted by computes."""
        if not tests:
            raise ValueError("nothing to aggregate")
        energy: dict[str, float] = {}
        accesses: dict[str, dict[str, float]] = {}
        for t in tests:
            for k, v in t.per_component_energy.items():
                energy[k] = energy.get(k, 0.0) + v
            for lvl, acc in t.accesses.items():
                dst = accesses.setdefault(lvl, {"reads": 0, "fills": 0, "updates": 0})
                for m in dst:
                    dst[m] += acc.get(m, 0)
        computes = sum(t.computes for t in tests)
        util = sum(t.percent_utilization * t.computes for t in tests) / computes \
            if computes else 0.0
        last = tests[-1]
        return OutputStats(percent_utilization=util, computes=computes,
                           cycles=sum(t.cycles for t in tests),
                           cycle_seconds=last.cycle_seconds, per_component_energy=energy,
                           per_component_area=dict(last.per_component_area),
                           variables=last.variables, accesses=accesses, mapping=None)

    @staticmethod
    def aggregate_by(tests: list["OutputStats"], *keys: str) -> "OutputStatsList":
        groups: dict[tuple, list[OutputStats]] = {}
        for t in tests:
            groups.setdefault(tuple(t.access(k) for k in keys), []).append(t)
        return OutputStatsList(OutputStats.aggregate(v) for v in groups.values())


class OutputStatsList(list):
    """A list of OutputStats with the same helpers applied to each."""

    def aggregate(self) -> OutputStats:
        return OutputStats.aggregate(self)

    def aggregate_by(self, *keys: str) -> "OutputStatsList":
        return OutputStats.aggregate_by(self, *keys)

    def split_by(self, *keys: str) -> list["OutputStatsList"]:
        groups: dict[tuple, OutputStatsList] = {}
        for t in self:
            groups.setdefault(tuple(t.access(k) for k in keys), OutputStatsList()).append(t)
        return list(groups.values())

    def combine_per_component_energy(self, from_keys: list[str], to: str) -> None:
        for t in self:
            t.combine_per_component_energy(from_keys, to)

    def combine_per_component_area(self, from_keys: list[str], to: str) -> None:
        for t in self:
            t.combine_per_component_area(from_keys, to)

    def combine_per_component_area_energy(self, from_keys: list[str], to: str) -> None:
        for t in self:
            t.combine_per_component_area_energy(from_keys, to)

    def clear_zero_energies(self) -> None:
        for t in self:
            t.clear_zero_energies()

    def clear_zero_areas(self) -> None:
        for t in self:
            t.clear_zero_areas()
