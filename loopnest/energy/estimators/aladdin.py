"""The Accelergy 2024 `Aladdin_table` plug-in, re-derived: Aladdin's 40/45 nm tables.

What the plug-in (accelergy-aladdin-plug-in ab4123a, accuracy 70) does, and so
what this estimator does:

* it prices `regfile`, `SRAM` (energy only up to 128 x 32 bits, area up to
  128 x 16), `counter`, `comparator`, `crossbar`, `wire`, `bitwise`,
  `intadder`, `intmultiplier`, `intmac`, `fpadder`, `fpmultiplier`, `fpmac`
  and `reg` (class names as written), and only when `technology` is 40 or 45
  (nm); `FIFO` is declared but always fails in the plug-in, so it is left out;
* a table row is picked by latency = ceil(global_cycle_seconds x
  action_latency_cycles) in ns (in practice 1 ns; above 10 -> 10, 7..10 -> 6),
  the first row when the table has no such latency; area always uses the 5 ns
  row (or the `latency` attribute);
* `leak` is the row's idle energy x global_cycle_seconds / latency x 1e9,
  every other action the row's dynamic energy;
* widths scale from the 32-bit (fp: 32- or 64-bit) tables linearly for adders,
  counters and comparators and quadratically for multipliers; a register file
  is `width` registers plus `depth` comparators of ceil(log2 depth) bits;
* a MAC is an adder plus a multiplier; `mac_gated` prices the multiplier's
  leak, `mac_reused` 0.85 of its dynamic energy. The fp MAC passes its own
  action to both parts (so `mac_gated` is not gated), as the plug-in does;
* a wire costs width x 0.2 x 1.627 fF/um x length x 1 V^2 per transfer
  (`length` in um, or with a unit: `2mm`), nothing for other actions, and no
  area.

`ScaledAladdin` (name `loopnest-aladdin-scaled`, accuracy 20) applies the same
rules at any node from 7 to 130 nm, scaling energy and area from 45 nm with
Stillmaker & Baas (loopnest.energy.scaling): loopnest's own answer where the
2024 stack stops with "no estimator".
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Mapping

from loopnest.energy import scaling, units
from loopnest.energy.plugin import Estimator, EstimatorInputError, Query

ACCURACY = 70.0
CLASSES = ("regfile", "SRAM", "counter", "comparator", "crossbar", "wire", "bitwise",
           "intadder", "intmultiplier", "intmac", "fpadder", "fpmultiplier", "fpmac", "reg")
NODES_NM = (40.0, 45.0)
# the wire model's constants: capacitance per um, supply, activity
WIRE_F_PER_UM = 1.627 * 10 ** -15
WIRE_VDD = 1.0
WIRE_ACTIVITY = 0.2


@dataclass(frozen=True)
class Row:
    latency: str  # as written in the table (rows are picked by text equality)
    dynamic_pJ: float
    idle_pJ: float
    area_um2: float


@lru_cache(maxsize=1)
def tables() -> dict[str, tuple[Row, ...]]:
    """Aladdin's tables by unit name (`adder`, `reg`, `fp_sp_multiplier`...), rows in order."""
    text = resources.files("loopnest.energy").joinpath(
        "data/accelergy2024/aladdin.csv").read_text()
    out: dict[str, list[Row]] = {}
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    for r in csv.DictReader(io.StringIO("\n".join(lines))):
        out.setdefault(r["unit"], []).append(Row(
            r["latency_ns"], float(r["dynamic_pJ"]), float(r["idle_pJ"]), float(r["area_um2"])))
    return {k: tuple(v) for k, v in out.items()}


def _num(attributes: Mapping[str, Any], key: str) -> float:
    if key not in attributes:
        raise EstimatorInputError(f"Aladdin_table needs attribute '{key}'", key)
    v = units.to_number(attributes[key])
    if v is None:
        raise EstimatorInputError(f"attribute '{key}' must be a number, got {attributes[key]!r}",
                                  key)
    return v


def _latency_for_action(attributes: Mapping[str, Any], arguments: Mapping[str, Any]) -> float:
    gcs = _num(attributes, "global_cycle_seconds")
    cycles = units.to_number(arguments.get("action_latency_cycles",
                                           attributes.get("action_latency_cycles", 1)))
    latency = math.ceil(gcs * (1.0 if cycles is None else cycles))
    if latency > 10:
        latency = 10
    elif latency > 6:
        latency = 6
    return latency


def _dynamic_or_idle(unit: str, action: str, attributes: Mapping[str, Any],
                     arguments: Mapping[str, Any]) -> float:
    """The table energy of one action at the action's latency (leak: per cycle)."""
    rows = tables()[unit]
    latency = _latency_for_action(attributes, arguments)
    row = next((r for r in rows if r.latency == str(int(latency))), None)
    if row is None:
        row = rows[0]
        latency = float(row.latency)
    if action == "leak":  # (the plug-in's order of operations, for identical rounding)
        return row.idle_pJ * (_num(attributes, "global_cycle_seconds") / latency * 1e9)
    return row.dynamic_pJ


def _area_row(unit: str, attributes: Mapping[str, Any]) -> float:
    lat: Any = attributes.get("latency", 5)
    if isinstance(lat, str) and "ns" in lat:
        lat = math.ceil(float(lat.split("ns")[0]))
    else:
        v = units.to_number(lat)
        if v is None:
            raise EstimatorInputError(f"attribute 'latency' must be a time, got {lat!r}",
                                      "latency")
        lat = math.ceil(v)
    if lat > 10:
        lat = 10
    elif lat > 6:
        lat = 6
    for r in tables()[unit]:
        if r.latency == str(lat):
            return r.area_um2
    raise EstimatorInputError(f"Aladdin's {unit} table has no {lat} ns row for the area")


def _linear(value: float, nbit: float, table_bits: float) -> float:
    """Through (0, 0) and (table_bits, value), as the plug-in interpolates."""
    return value if nbit == table_bits else value / table_bits * nbit


def _quadratic(value: float, nbit: float, table_bits: float) -> float:
    """value x (nbit / table_bits)^2, in the plug-in's order of operations."""
    return value if nbit == table_bits else value / table_bits ** 2 * nbit ** 2


def _fp_unit(kind: str, attributes: Mapping[str, Any]) -> tuple[str, float, float]:
    nbit = _num(attributes, "exponent") + _num(attributes, "mantissa")
    if nbit <= 32:
        return f"fp_sp_{kind}", nbit, 32.0
    return f"fp_dp_{kind}", nbit, 64.0


def _wire_length_um(value: Any) -> float:
    text = str(value)
    if "m" not in text:
        return float(text)
    if "mm" in text:
        return float(text.split("mm")[0]) * 1e3
    if "um" in text:
        return float(text.split("um")[0])
    if "nm" in text:
        return float(text.split("nm")[0]) * 1e-3
    raise EstimatorInputError(f"wire length {value!r} has an unknown unit", "length")


class AladdinEnergy:
    """Energy and area rules of the plug-in, one method per class (pJ, um^2)."""

    def energy(self, cls: str, a: Mapping[str, Any], action: str,
               args: Mapping[str, Any]) -> float:
        fn: Callable[..., float] | None = getattr(self, f"_e_{cls}", None)
        if fn is None:
            raise EstimatorInputError(f"Aladdin_table does not price class '{cls}'")
        return fn(a, action, args)

    def area(self, cls: str, a: Mapping[str, Any]) -> float:
        fn: Callable[..., float] | None = getattr(self, f"_a_{cls}", None)
        if fn is None:
            raise EstimatorInputError(f"Aladdin_table does not price class '{cls}'")
        return fn(a)

    # --- energy ----------------------------------------------------------
    def _e_regfile(self, a, action, args) -> float:
        width, depth = _num(a, "width"), _num(a, "depth")
        if depth == 0:
            return 0.0
        addr_bits = math.ceil(math.log2(depth))
        if action == "leak":
            reg = _dynamic_or_idle("reg", "leak", a, args)
            comp = self._e_comparator({**a, "width": addr_bits}, "leak", args)
        else:
            reg = 0.0 if args.get("data_delta", 1) == 0 else \
                _dynamic_or_idle("reg", action, a, args)
            comp = 0.0 if args.get("address_delta", 1) == 0 else \
                self._e_comparator({**a, "width": addr_bits}, action, args)
        return reg * width + comp * depth

    _e_SRAM = _e_regfile

    def _e_reg(self, a, action, args) -> float:
        return _dynamic_or_idle("reg", action, a, args)

    def _e_crossbar(self, a, action, args) -> float:
        e = _dynamic_or_idle("crossbar", action, a, args)
        return e * _num(a, "n_inputs") * (_num(a, "n_outputs") / 4) * (_num(a, "width") / 32)

    def _e_counter(self, a, action, args) -> float:
        return _dynamic_or_idle("counter", action, a, args) * _num(a, "width") / 32

    def _e_comparator(self, a, action, args) -> float:
        return _dynamic_or_idle("comparator", action, a, args) * _num(a, "width") / 32

    def _e_bitwise(self, a, action, args) -> float:
        return _dynamic_or_idle("bitwise", action, a, args)

    def _e_wire(self, a, action, args) -> float:
        if action not in ("transfer", "transfer_random"):
            return 0.0
        if "length" not in a:
            raise EstimatorInputError("Aladdin_table needs attribute 'length' for a wire",
                                      "length")
        length = _wire_length_um(a["length"])
        return _num(a, "width") * WIRE_ACTIVITY * WIRE_F_PER_UM * length * WIRE_VDD ** 2 * 10 ** 12

    def _e_intadder(self, a, action, args) -> float:
        return _linear(_dynamic_or_idle("adder", action, a, args), _num(a, "width"), 32.0)

    def _e_intmultiplier(self, a, action, args) -> float:
        table_action = "leak" if action == "mult_gated" else action
        e = _quadratic(_dynamic_or_idle("multiplier", table_action, a, args),
                       _num(a, "width"), 32.0)
        return 0.85 * e if action == "mult_reused" else e

    def _e_intmac(self, a, action, args) -> float:
        mult_action = {"mac_gated": "mult_gated", "mac_reused": "mult_reused",
                       "leak": "leak"}.get(action, "mult_random")
        return self._e_intadder(a, action, args) + self._e_intmultiplier(a, mult_action, args)

    def _e_fpadder(self, a, action, args) -> float:
        unit, nbit, bits = _fp_unit("adder", a)
        return _linear(_dynamic_or_idle(unit, action, a, args), nbit, bits)

    def _e_fpmultiplier(self, a, action, args) -> float:
        unit, nbit, bits = _fp_unit("multiplier", a)
        table_action = "leak" if action == "mult_gated" else action
        e = _quadratic(_dynamic_or_idle(unit, table_action, a, args), nbit, bits)
        return 0.85 * e if action == "mult_reused" else e

    def _e_fpmac(self, a, action, args) -> float:
        return self._e_fpadder(a, action, args) + self._e_fpmultiplier(a, action, args)

    # --- area ------------------------------------------------------------
    def _a_regfile(self, a) -> float:
        width, depth = _num(a, "width"), _num(a, "depth")
        if depth == 0:
            return 0.0
        comp = self._a_comparator({**a, "width": math.ceil(math.log2(depth))})
        return _area_row("reg", a) * width + comp * depth

    _a_SRAM = _a_regfile

    def _a_reg(self, a) -> float:
        return _area_row("reg", a)

    def _a_crossbar(self, a) -> float:
        return (_area_row("crossbar", a) * _num(a, "n_inputs") * (_num(a, "n_outputs") / 4)
                * (_num(a, "width") / 32))

    def _a_counter(self, a) -> float:
        return _area_row("counter", a) * _num(a, "width") / 32

    def _a_comparator(self, a) -> float:
        return _area_row("comparator", a) * _num(a, "width") / 32

    def _a_wire(self, a) -> float:
        return 0.0

    def _a_bitwise(self, a) -> float:
        return _area_row("bitwise", a)

    def _a_intadder(self, a) -> float:
        return _linear(_area_row("adder", a), _num(a, "width"), 32.0)

    def _a_intmultiplier(self, a) -> float:
        return _quadratic(_area_row("multiplier", a), _num(a, "width"), 32.0)

    def _a_intmac(self, a) -> float:
        return self._a_intadder(a) + self._a_intmultiplier(a)

    def _a_fpadder(self, a) -> float:
        unit, nbit, bits = _fp_unit("adder", a)
        return _linear(_area_row(unit, a), nbit, bits)

    def _a_fpmultiplier(self, a) -> float:
        unit, nbit, bits = _fp_unit("multiplier", a)
        return _quadratic(_area_row(unit, a), nbit, bits)

    def _a_fpmac(self, a) -> float:
        return self._a_fpadder(a) + self._a_fpmultiplier(a)


def _technology(a: Mapping[str, Any]) -> float | None:
    if "technology" not in a:
        return None
    return units.technology_nm(a["technology"])


class AladdinTable(Estimator):
    """Aladdin_table: the plug-in's rules at 40 and 45 nm."""

    name = "Aladdin_table"
    accuracy = ACCURACY
    classes = CLASSES
    builtin = True

    def __init__(self) -> None:
        self.rules = AladdinEnergy()

    def _node_ok(self, a: Mapping[str, Any]) -> bool:
        return _technology(a) in NODES_NM

    def _scale(self, a: Mapping[str, Any], area: bool) -> float:
        return 1.0

    def energy_accuracy(self, q: Query) -> float:
        if q.class_name not in CLASSES or not self._node_ok(q.attributes):
            return 0.0
        if q.class_name == "SRAM" and not (_num(q.attributes, "depth") <= 128
                                           and _num(q.attributes, "width") <= 32):
            return 0.0
        return self.accuracy

    def estimate_energy(self, q: Query) -> float:
        e = self.rules.energy(q.class_name, q.attributes, str(q.action), q.arguments)
        return e * self._scale(q.attributes, area=False)

    def area_accuracy(self, q: Query) -> float:
        if q.class_name not in CLASSES or not self._node_ok(q.attributes):
            return 0.0
        if q.class_name == "SRAM" and not (_num(q.attributes, "depth") <= 128
                                           and _num(q.attributes, "width") <= 16):
            return 0.0
        return self.accuracy

    def estimate_area(self, q: Query) -> float:
        return self.rules.area(q.class_name, q.attributes) * self._scale(q.attributes, area=True)


class ScaledAladdin(AladdinTable):
    """Aladdin's rules at any node of 7..130 nm, scaled from 45 nm (loopnest's own)."""

    name = "loopnest-aladdin-scaled"
    accuracy = 20.0
    classes = CLASSES + ("FIFO",)

    def _node_ok(self, a: Mapping[str, Any]) -> bool:
        t = _technology(a)
        return t is not None and 7.0 <= t <= 130.0

    def _scale(self, a: Mapping[str, Any], area: bool) -> float:
        t = _technology(a)
        assert t is not None
        return scaling.area_factor(t, 45.0) if area else scaling.energy_factor(t, 45.0)

    def energy_accuracy(self, q: Query) -> float:
        if q.class_name == "FIFO":
            return self.accuracy if self._node_ok(q.attributes) else 0.0
        return super().energy_accuracy(q)

    def area_accuracy(self, q: Query) -> float:
        if q.class_name == "FIFO":
            return self.accuracy if self._node_ok(q.attributes) else 0.0
        return super().area_accuracy(q)

    def estimate_energy(self, q: Query) -> float:
        if q.class_name == "FIFO":
            return self._fifo(q.attributes, str(q.action), q.arguments, area=False)
        return super().estimate_energy(q)

    def estimate_area(self, q: Query) -> float:
        if q.class_name == "FIFO":
            return self._fifo(q.attributes, None, {}, area=True)
        return super().estimate_area(q)

    def _fifo(self, a: Mapping[str, Any], action: str | None, args: Mapping[str, Any],
              area: bool) -> float:
        """A FIFO as the plug-in meant it: `width` registers plus one comparator of
        log2(depth) bits (its own FIFO code fails on a missing key)."""
        width, depth = _num(a, "width"), _num(a, "depth")
        if depth == 0:
            return 0.0
        bits = math.log2(depth)
        if area:
            v = _area_row("reg", a) * width + self.rules._a_comparator({**a, "width": bits})
        else:
            act = "leak" if action == "leak" else "access"
            v = (_dynamic_or_idle("reg", act, a, args) * width
                 + self.rules._e_comparator({**a, "width": bits}, act, args))
        return v * self._scale(a, area)
