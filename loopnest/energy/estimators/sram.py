"""SRAM and register files: a smooth fitted model of CACTI 7 in log space.

Trend model (not a lookup): ln(E) is a cubic polynomial in x = log2(width),
y = log2(depth) whose coefficients vary linearly (plus a quadratic term) in
z = ln(technology), with bank terms in log2(n_banks). The coefficients in
`_fitted.py` were fitted by `benchmarks/fit_energy_models.py` to CACTI 7 runs
(22-65 nm, width 32-512, depth 64-65536, 1-8 banks) with an L1 + L-infinity
objective, so the model follows the trend and bounds the worst error instead of
chasing CACTI's organisation jumps. Leakage, which is U-shaped in the node,
has one fit per node, interpolated linearly in ln(node).

Conventions of the hwcomponents CACTI wrapper, which the reference data use:
* width < 32 bits: priced as a 32-bit array, energy x (0.7 w/32 + 0.3), area
  and leakage x w/32;
* depth < 64 x n_banks: priced at that depth, energy x (d/d')^0.78, area and
  leakage x d/d'.
Beyond the fitted range: wider than 512 bits = side-by-side 512-bit macros;
deeper than 65536 rows: energy grows as sqrt(depth) (H-tree length), area
linearly; nodes outside 22-65 nm scale from the nearest fitted node with
Stillmaker & Baas factors (supported 7-130 nm).

Actions: read, write, update (= write), idle (0), leak. Accelergy v0.3
runtime arguments `data_delta`/`address_delta` scale an access as
0.7 x data_delta + 0.3 x address_delta (data path vs decoder share, as in the
exercise ERTs).
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from loopnest.energy import scaling
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

FIT_NODES = (22.0, 32.0, 45.0, 65.0)
MIN_W, MAX_W = 32.0, 512.0
MIN_D_PER_BANK, MAX_D = 64.0, 65536.0
CLASSES = ("SRAM", "regfile", "register_file", "cacti_sram", "cache")


def features(width: float, depth: float, tech_nm: float, banks: float) -> list[float]:
    """Regressors of the trend model (shared with the fitting script)."""
    x = math.log2(width) - 7.0
    y = math.log2(depth) - 10.0
    z = math.log(tech_nm / 40.0)
    k = math.log2(banks)
    cols: list[float] = []
    for i in range(4):
        for j in range(4 - i):
            base = x ** i * y ** j
            cols.append(base)
            cols.append(base * z)
    cols += [z * z, z * z * x, z * z * y, k, k * x, k * y, k * z, k * k]
    return cols


def leak_features(width: float, depth: float, banks: float) -> list[float]:
    """Regressors of the per-node leakage fit."""
    x = math.log2(width) - 7.0
    y = math.log2(depth) - 10.0
    k = math.log2(banks)
    cols = [x ** i * y ** j for i in range(4) for j in range(4 - i)]
    return cols + [k, k * x, k * y, k * k]


def _dot(c: Sequence[float], f: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(c, f))


class SRAMModel:
    """Energy per access (pJ), area (um^2) and leakage (W) of one SRAM macro."""

    def __init__(self) -> None:
        from loopnest.energy.estimators import _fitted as F

        self.read = F.SRAM_READ
        self.write = F.SRAM_WRITE
        self.area = F.SRAM_AREA
        self.leak = F.SRAM_LEAK

    def _core(self, coef: Sequence[float], w: float, d: float, t: float, b: float) -> float:
        return math.exp(_dot(coef, features(w, d, t, b)))

    def _leak_core(self, w: float, d: float, t: float, b: float) -> float:
        f = leak_features(w, d, b)
        nodes = FIT_NODES
        if t <= nodes[0]:
            return math.exp(_dot(self.leak[nodes[0]], f))
        for lo, hi in zip(nodes, nodes[1:]):
            if t <= hi:
                a = (math.log(t) - math.log(lo)) / (math.log(hi) - math.log(lo))
                return math.exp(_dot(self.leak[lo], f) * (1 - a) + _dot(self.leak[hi], f) * a)
        return math.exp(_dot(self.leak[nodes[-1]], f))

    def evaluate(self, width: float, depth: float, tech_nm: float, banks: float = 1.0
                 ) -> dict[str, float]:
        """{'read','write' (pJ), 'area' (um^2), 'leak' (W)} with the wrapper conventions."""
        banks = max(1.0, float(banks))
        e_scale = 1.0
        a_scale = 1.0
        w = float(width)
        if w < MIN_W:
            e_scale *= 0.7 * w / MIN_W + 0.3
            a_scale *= w / MIN_W
            w = MIN_W
        if w > MAX_W:  # side-by-side macros
            e_scale *= w / MAX_W
            a_scale *= w / MAX_W
            w = MAX_W
        d = float(depth)
        dmin = MIN_D_PER_BANK * banks
        if d < dmin:
            e_scale *= (d / dmin) ** 0.78
            a_scale *= d / dmin
            d = dmin
        if d > MAX_D:
            e_scale *= math.sqrt(d / MAX_D)
            a_scale *= d / MAX_D
            d = MAX_D
        t = float(tech_nm)
        t_fit = min(max(t, FIT_NODES[0]), FIT_NODES[-1])
        ef = scaling.energy_factor(t, t_fit) if t != t_fit else 1.0
        af = scaling.area_factor(t, t_fit) if t != t_fit else 1.0
        b = banks
        return {
            "read": self._core(self.read, w, d, t_fit, b) * e_scale * ef,
            "write": self._core(self.write, w, d, t_fit, b) * e_scale * ef,
            "area": self._core(self.area, w, d, t_fit, b) * a_scale * af,
            "leak": self._leak_core(w, d, t_fit, b) * a_scale * ef,
        }


class SRAMEstimator(Estimator):
    name = "loopnest-sram"
    accuracy = 80.0
    classes = CLASSES
    actions = ("read", "write", "update", "idle")
    tech_range = (7.0, 130.0)

    def __init__(self) -> None:
        self._model: SRAMModel | None = None

    @property
    def model(self) -> SRAMModel:
        if self._model is None:
            self._model = SRAMModel()
        return self._model

    def _params(self, a: Mapping[str, Any]) -> tuple[float, float, float, float]:
        w = number(a, "width", "datawidth", "memory_width", positive=True)
        d = number(a, "depth", "memory_depth", "entries", positive=True)
        b = number(a, "n_banks", default=1, positive=True)
        t = technology(a, *self.tech_range)
        return w, d, t, b

    def check(self, class_name, attributes) -> None:
        self._params(attributes)

    def _eval(self, a: Mapping[str, Any]) -> dict[str, float]:
        return self.model.evaluate(*self._params(a))

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action == "idle":
            return 0.0
        r = self._eval(attributes)
        if action == "read":
            e = r["read"]
        elif action in ("write", "update"):
            e = r["write"]
        else:
            raise EstimatorInputError(f"unknown action '{action}'")
        if "data_delta" in arguments or "address_delta" in arguments:
            dd = float(arguments.get("data_delta", 1))
            ad = float(arguments.get("address_delta", 1))
            e *= 0.7 * dd + 0.3 * ad
        return e

    def area(self, class_name, attributes) -> float:
        return self._eval(attributes)["area"]

    def leak_power(self, class_name, attributes) -> float:
        return self._eval(attributes)["leak"]
