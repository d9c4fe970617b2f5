"""The Accelergy 2024 `Library` plug-in, re-derived: published per-chip tables, scaled.

The plug-in (accelergy-library-plug-in e649eb1, accuracy 90) holds tables of
components from published chips (`aladdin_adder`, `aladdin_register`,
`isaac_adc`, ...; data/accelergy2024/library.json). For a query it:

* takes the rows of the class (lower-cased) with the query's action (energy)
  or all the rows of the class (area);
* maps each query attribute to a row column of the same name or naming it
  among `a|b` alternatives (the first query attribute to claim a column gets
  it); a column equal to the query's value, or `*`, is a match, any other
  is scaled from the row's value to the query's (numbers are read from text
  such as `45nm` by trimming non-numeric ends);
* scales: technology by Stillmaker & Baas (7-130 nm; outside, no price),
  width-like attributes, energy_scale and average_*_value linearly, depth as
  power 0.78 for energy and linearly for area, resolution as 2^x, voltage
  squared (leak: not at all), global_cycle_seconds only the leak (linearly),
  rows/cols/area_scale only the area; any other attribute cannot be scaled
  and the row is dropped;
* among the rows left, the one with most matching attributes wins (the first
  on a tie), and its energy or area column times the scale is the answer.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from loopnest.energy.plugin import Estimator, EstimatorInputError, Query

ACCURACY = 90.0
NODES_NM = (130.0, 90.0, 65.0, 45.0, 32.0, 20.0, 16.0, 14.0, 10.0, 7.0)

_LINEAR_AREA = {"area_scale", "width", "datawidth", "depth", "rows", "cols", "columns",
                "width_a", "width_b", "datawidth_a", "datawidth_b"}
_FIXED_AREA = {"energy_scale", "average_input_value", "average_weight_value",
               "average_output_value", "no_scale_area", "no_scale_energy", "voltage",
               "n_instances", "global_cycle_seconds"}
_LINEAR_ENERGY = {"width", "datawidth", "energy_scale", "average_input_value",
                  "average_weight_value", "average_output_value", "width_a", "width_b",
                  "datawidth_a", "datawidth_b", "n_steps"}
_FIXED_ENERGY = {"rows", "cols", "columns", "area_scale", "no_scale_area", "no_scale_energy",
                 "n_instances", "global_cycle_seconds"}
_TRIM = "[^0-9eE\\-\\+\\.]"


class NotScalable(ValueError):
    """A row attribute differs from the query's and cannot be scaled."""


@dataclass(frozen=True)
class Entry:
    """One table row for one action: columns in the table's order, values as text."""

    name: str
    action: str
    columns: tuple[tuple[str, str], ...]

    def get(self, key: str | None) -> str | None:
        if key is None:
            return None
        for k, v in self.columns:
            if k == key:
                return v
        return None

    def value(self, what: str) -> float | None:
        """The first column whose name contains `what` ('energy' or 'area')."""
        for k, v in self.columns:
            if what in k.lower():
                return float(str(v).strip())
        return None


def _entries_from(doc: Mapping[str, Any]) -> list[Entry]:
    rows = [(e["name"].lower(), dict(e["row"])) for e in doc["entries"]]
    for new, old in doc.get("pointers", {}).items():
        found = [dict(r) for n, r in rows if n == old]
        if not found:
            raise ValueError(f"library pointer {new} -> {old}: no such entry")
        rows.extend((new, r) for r in found)
    out = []
    for name, row in rows:
        for action in str(row.get("action", "")).split("|"):
            cols = dict(row)
            cols["action"] = action.lower().strip()
            cols["name"] = name.strip()
            for k in ("area_scale", "energy_scale", "n_instances"):
                cols.setdefault(k, "1")
            out.append(Entry(name.strip(), action.lower().strip(), tuple(cols.items())))
    return out


@lru_cache(maxsize=1)
def library() -> tuple[dict[tuple[str, str], list[Entry]], dict[str, list[Entry]]]:
    """(rows by (class, action), rows by class) of the shipped tables."""
    doc = json.loads(resources.files("loopnest.energy").joinpath(
        "data/accelergy2024/library.json").read_text())
    by_action: dict[tuple[str, str], list[Entry]] = {}
    by_name: dict[str, list[Entry]] = {}
    for e in _entries_from(doc):
        by_action.setdefault((e.name, e.action), []).append(e)
        by_name.setdefault(e.name, []).append(e)
    return by_action, by_name


def parse_number(value: Any) -> float:
    """`45nm` -> 45.0, `1e-9` -> 1e-9: trim non-numeric characters at both ends."""
    s = str(value)
    s = re.sub(f"^{_TRIM}+", "", s)
    s = re.sub(f"{_TRIM}+$", "", s)
    try:
        return float(s)
    except ValueError:
        raise NotScalable(f"cannot read {value!r} as a number") from None


def _node_index(node: float) -> float:
    larger = smaller = None
    for i, t in enumerate(NODES_NM):
        if node <= t:
            larger = i
        if node >= t:
            smaller = i
            break
    if larger is None or smaller is None:
        raise EstimatorInputError(f"technology {node:g} nm is outside the Library's 7-130 nm",
                                  "technology")
    if larger == smaller:
        return float(larger)
    lo, hi = NODES_NM[larger], NODES_NM[smaller]
    return larger + (smaller - larger) * (node - hi) / (lo - hi)


def technology_energy_scale(from_nm: float, to_nm: float) -> float:
    """Energy at `to_nm` over energy at `from_nm` (Stillmaker & Baas, Vdd 0.8 V)."""
    from loopnest.energy.scaling import _ENERGY

    def poly(idx: float) -> float:
        f = idx % 1
        lo, hi = _ENERGY[math.floor(idx)], _ENERGY[math.ceil(idx)]
        v = 0.8
        return (sum(lo[i] * v ** (2 - i) for i in range(3)) * (1 - f)
                + sum(hi[i] * v ** (2 - i) for i in range(3)) * f)

    return poly(_node_index(to_nm)) / poly(_node_index(from_nm))


def technology_area_scale(from_nm: float, to_nm: float) -> float:
    """Area at `to_nm` over area at `from_nm` (Stillmaker & Baas, bilinear in node index)."""
    from loopnest.energy.scaling import _AREA

    x, y = _node_index(from_nm), _node_index(to_nm)
    fx, fy = x % 1, y % 1
    return (_AREA[math.floor(x)][math.floor(y)] * (1 - fx) * (1 - fy)
            + _AREA[math.floor(x)][math.ceil(y)] * (1 - fx) * fy
            + _AREA[math.ceil(x)][math.floor(y)] * fx * (1 - fy)
            + _AREA[math.ceil(x)][math.ceil(y)] * fx * fy)


def scale(param: str, v0: float, v1: float, target: str) -> float:
    """Factor taking a row's `target` ('energy', 'leak' or 'area') from `param`=v0 to v1."""
    param = param.lower()
    if target == "area":
        if param in _LINEAR_AREA:
            return v1 / v0
        if param in _FIXED_AREA:
            return 1.0
        if param == "technology":
            return technology_area_scale(v0, v1)
        if param == "resolution":
            return 2 ** (v1 - v0)
        raise NotScalable(f"the Library cannot scale '{param}'")
    if target == "leak":
        if param == "voltage":
            return 1.0
        if param == "global_cycle_seconds":
            return v1 / v0
    if param in _LINEAR_ENERGY:
        return v1 / v0
    if param in _FIXED_ENERGY:
        return 1.0
    if param == "depth":
        return (v1 / v0) ** (1.56 / 2)
    if param == "technology":
        return technology_energy_scale(v0, v1)
    if param == "resolution":
        return 2 ** (v1 - v0)
    if param == "voltage":
        return (v1 / v0) ** 2
    raise NotScalable(f"the Library cannot scale '{param}'")


def match(attributes: Mapping[str, Any], entry: Entry, target: str) -> tuple[float | None, int]:
    """(scale, matching attributes) of a row for a query; scale None: the row cannot serve."""
    keys = [k for k, _ in entry.columns]

    def column(a: str) -> str | None:
        low = str(a).lower()
        for k in keys:
            if low == k.lower() or low in k.lower().split("|"):
                return k
        return None

    claimed: dict[str, str | None] = {}
    for a in attributes:
        col = column(a)
        claimed[a] = col if col not in claimed.values() else None
    matching, to_scale = 0, []
    for a, v in attributes.items():
        ev = entry.get(claimed[a])
        if ev is None:
            continue
        if str(ev) == "*" or str(ev).lower() == _text(v).lower():
            matching += 1
        elif not attributes.get(f"no_scale_{target}", False):
            to_scale.append(a)
    factor = 1.0
    try:
        for a in to_scale:
            s = scale(a, parse_number(entry.get(claimed[a])), parse_number(_text(attributes[a])),
                      target)
            if s == 1:
                matching += 1
            factor *= s
    except (NotScalable, ZeroDivisionError):
        return None, matching
    return factor, matching


def _text(v: Any) -> str:
    """A value as Python's str() prints it (how the plug-in compares values)."""
    return str(v)


def library_value(q: Query, energy: bool) -> float:
    """pJ (energy) or um^2 (area) of the best-matching row, scaled; raises when none serves."""
    by_action, by_name = library()
    cls = q.class_name.lower()
    what = "energy" if energy else "area"
    target = "leak" if q.action == "leak" else what
    rows = by_action.get((cls, str(q.action).lower()), []) if energy else by_name.get(cls, [])
    best, best_n = None, -1
    for row in rows:
        factor, n = match(q.attributes, row, target)
        if factor is None:
            continue
        v = row.value(what)
        if v is not None and n > best_n:
            best, best_n = v * factor, n
    if best is None:
        raise EstimatorInputError(f"the Library has no {target} for '{q.class_name}'"
                                  + (f" action '{q.action}'" if energy else ""))
    return best


class LibraryEstimator(Estimator):
    """Library: published-chip tables with the plug-in's matching and scaling."""

    name = "Library"
    accuracy = ACCURACY
    builtin = True

    def supports(self, class_name: str) -> bool:
        return class_name.lower() in library()[1]

    def energy_accuracy(self, q: Query) -> float:
        if not self.supports(q.class_name):
            return 0.0
        library_value(q, energy=True)
        return self.accuracy

    def estimate_energy(self, q: Query) -> float:
        return library_value(q, energy=True)

    def area_accuracy(self, q: Query) -> float:
        if not self.supports(q.class_name):
            return 0.0
        library_value(q, energy=False)
        return self.accuracy

    def estimate_area(self, q: Query) -> float:
        return library_value(q, energy=False)
