"""Digital logic: integer/fp adders, multipliers, MACs, registers, comparators, counters, FIFOs.

Base numbers are 40 nm, 1 GHz cells from the Aladdin library tables (Shao et
al., "Aladdin: a pre-RTL, power-performance accelerator simulator", ISCA 2014)
as packaged by Accelergy's library plug-in: per 32-bit unit, adders,
comparators, counters and registers scale linearly with width and multipliers
quadratically. Floating point follows the same tables at 1 ns and 5 ns latency
(linear in exponent+mantissa bits for adders, quadratic for multipliers).
Other nodes: Stillmaker & Baas scaling (loopnest.energy.scaling).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from loopnest.energy import scaling, units
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

BASE_NM = 40.0
# kind -> (energy pJ, area um^2, leak W) of a 32-bit unit at 40 nm, width exponent
_INT = {
    "adder": (0.21, 278.0, 2.4e-6, 1),
    "multiplier": (12.68, 6350.0, 8.0e-5, 2),
    "register": (0.288, 191.36, 0.0, 1),
    "comparator": (0.02947, 71.0, 2.51e-8, 1),
    "counter": (0.25074, 495.5, 3.21e-7, 1),
}
# fp kind -> latency ns -> (energy, area, leak) of a 32-bit (e8 m24) unit at 40 nm
_FP = {
    "fpadder": {1.0: (16.679, 4360.0, 1.59e-4), 5.0: (7.928, 2060.0, 4.56e-5)},
    "fpmultiplier": {1.0: (35.3, 4360.0, 3.595236e-4), 5.0: (24.4, 2060.0, 1.264758e-4)},
}
_FP_EXP = {"fpadder": 1, "fpmultiplier": 2}

# Accelergy / hwcomponents class names -> our kind
CLASS_KIND = {
    "intadder": "adder", "aladdin_adder": "adder", "adder": "adder", "int_adder": "adder",
    "intmultiplier": "multiplier", "aladdin_multiplier": "multiplier",
    "multiplier": "multiplier", "int_multiplier": "multiplier",
    "intmac": "mac", "aladdin_mac": "mac", "mac": "mac", "int_mac": "mac",
    "register": "register", "aladdin_register": "register", "reg": "register",
    "flipflop": "register", "flip_flop": "register",
    "comparator": "comparator", "aladdin_comparator": "comparator",
    "counter": "counter", "aladdin_counter": "counter",
    "fpadder": "fpadder", "fp_adder": "fpadder", "fpmultiplier": "fpmultiplier",
    "fp_multiplier": "fpmultiplier", "fpmac": "fpmac", "fp_mac": "fpmac",
    "fifo": "fifo", "shift_add": "shift_add", "shift_and_add": "shift_add",
    "shiftadd": "shift_add",
}
_ACTIONS = {
    "adder": ("add", "count", "read", "compute", "idle"),  # count: an incrementing adder
    "multiplier": ("multiply", "mult", "read", "compute", "idle"),
    "mac": ("mac", "compute", "mac_random", "mac_reused", "mac_gated", "read", "idle",
            "multiply", "mult_random"),
    "register": ("read", "write", "access", "update", "idle"),
    "comparator": ("compare", "read", "idle", "transfer_random", "transfer_repeated"),
    "counter": ("count", "add", "read", "idle"),
    "fpadder": ("add", "read", "compute", "idle"),
    "fpmultiplier": ("multiply", "read", "compute", "idle"),
    "fpmac": ("mac", "compute", "read", "mac_random", "mac_reused", "mac_gated", "idle"),
    "fifo": ("push", "pop", "read", "write", "idle"),
    "shift_add": ("shift_add", "add", "read", "compute", "idle"),
}
# Clock-gated / reused MAC relative to random-data MAC (Accelergy's Aladdin table
# ratios for intmac: mac_reused 1.877/2.2, mac_gated 0.103/2.2 at 45 nm, 16 b).
_MAC_REUSED = 1.877 / 2.2
_MAC_GATED = 0.103 / 2.2


def _width(kind: str, a: Mapping[str, Any]) -> float:
    """Operand width in bits; 0 is allowed and prices the unit at zero, as the
    Aladdin tables do when they scale with width (e.g. absent metadata counters)."""
    return number(a, "width", "datawidth", "n_bits", "precision", "bits", "width_a")


class DigitalEstimator(Estimator):
    name = "loopnest-digital"
    accuracy = 80.0
    classes = tuple(CLASS_KIND)
    tech_range = (7.0, 180.0)

    def _kind(self, class_name: str) -> str:
        return CLASS_KIND[class_name.lower()]

    def supported_actions(self, class_name, attributes):
        return _ACTIONS[self._kind(class_name)] + ("leak",)

    def check(self, class_name, attributes) -> None:
        self._unit(class_name, attributes)

    def _tech(self, a: Mapping[str, Any]) -> float:
        return technology(a, *self.tech_range)

    def _vdd(self, a: Mapping[str, Any]) -> float | None:
        v = units.volts(a.get("voltage")) if "voltage" in a else None
        return v

    def _fp(self, kind: str, a: Mapping[str, Any]) -> tuple[float, float, float]:
        if "exponent" in a or "mantissa" in a:
            bits = number(a, "exponent", positive=True) + number(a, "mantissa", positive=True)
        else:
            bits = _width(kind, a)
        lat = None
        for k in ("latency", "global_cycle_seconds", "cycle_seconds"):
            if k in a:
                lat = units.seconds(a[k])
                if lat is not None and k == "latency" and units.split_number(a[k])[1] == "":
                    lat = lat * 1e-9 if lat >= 1e-3 else lat  # bare number: ns
                if lat is not None:
                    break
        lat_ns = 1.0 if lat is None else lat * 1e9
        lat_ns = min(5.0, max(1.0, lat_ns))
        lo, hi = _FP[kind][1.0], _FP[kind][5.0]
        t = math.log(lat_ns) / math.log(5.0)  # geometric interpolation 1..5 ns
        base = [math.exp(math.log(x) * (1 - t) + math.log(y) * t) for x, y in zip(lo, hi)]
        s = (bits / 32.0) ** _FP_EXP[kind]
        return base[0] * s, base[1] * s, base[2] * s

    def _unit(self, class_name: str, a: Mapping[str, Any]) -> tuple[float, float, float]:
        """(energy pJ, area um^2, leak W) of one operation at the component's node."""
        kind = self._kind(class_name)
        tech = self._tech(a)
        if kind == "mac":
            mw = number(a, "multiplier_width", "width", "datawidth", positive=True)
            aw = number(a, "adder_width", default=mw, positive=True)
            parts = [self._raw("adder", aw), self._raw("multiplier", mw)]
            e, ar, lk = (sum(p[i] for p in parts) for i in range(3))
        elif kind == "fpmac":
            parts = [self._fp("fpadder", a), self._fp("fpmultiplier", a)]
            e, ar, lk = (sum(p[i] for p in parts) for i in range(3))
        elif kind in _FP:
            e, ar, lk = self._fp(kind, a)
        elif kind == "fifo":
            w = _width(kind, a)
            depth = number(a, "depth", default=2, positive=True)
            r = self._raw("register", w)
            c = self._raw("counter", max(1.0, math.ceil(math.log2(max(depth, 2)))))
            # one register-row write/read plus a pointer increment; depth rows of area
            e, ar, lk = r[0] + c[0], r[1] * depth + 2 * c[1], r[2] * depth + 2 * c[2]
        elif kind == "shift_add":
            w = _width(kind, a)
            add, reg = self._raw("adder", w), self._raw("register", w)
            e, ar, lk = add[0] + reg[0], add[1] + reg[1], add[2] + reg[2]
        elif kind == "register":  # a register cell array; Aladdin/Library default is 1 bit
            w = number(a, "width", "datawidth", "n_bits", "precision", "bits", default=1,
                       positive=True)
            e, ar, lk = self._raw(kind, w)
        else:
            e, ar, lk = self._raw(kind, _width(kind, a))
        ef = scaling.energy_factor(tech, BASE_NM, self._vdd(a))
        af = scaling.area_factor(tech, BASE_NM)
        if kind in ("fpadder", "fpmultiplier", "fpmac") and BASE_NM <= tech <= 45.0:
            ef = af = 1.0  # the fp table is published as 40/45 nm; used unscaled there
        return e * ef, ar * af, lk * ef

    @staticmethod
    def _raw(kind: str, width: float) -> tuple[float, float, float]:
        e, ar, lk, p = _INT[kind]
        s = (width / 32.0) ** p
        return e * s, ar * s, lk * s

    def energy(self, class_name, attributes, action, arguments) -> float:
        kind = self._kind(class_name)
        e = self._unit(class_name, attributes)[0]
        if action == "idle":
            return 0.0
        if kind in ("mac", "fpmac"):
            if action == "mac_reused":
                return e * _MAC_REUSED
            if action == "mac_gated":
                return e * _MAC_GATED
        if action not in _ACTIONS[kind]:
            raise EstimatorInputError(f"unknown action '{action}'")
        return e

    def area(self, class_name, attributes) -> float:
        return self._unit(class_name, attributes)[1]

    def leak_power(self, class_name, attributes) -> float:
        return self._unit(class_name, attributes)[2]
