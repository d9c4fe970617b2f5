"""SRAM and register files: a smooth model of CACTI 7 at its nodes with exact
grid corrections, under the 2024 Accelergy CACTI plug-in's rules (cacti.py).

`SRAMModel.at_node` stands in for one CACTI run of the plug-in (cache type
"ram", CACTI 7 at HewlettPackard/cacti 1ffd8dfb with the Accelergy
infrastructure's cacti.patch) at a CACTI node n in (22, 32, 45, 65, 90 nm) for a
CACTI-sized array (width w bits, a multiple of 8 >= 32; depth d rows; b banks,
a power of two; p read-write ports). Per quantity q in (read pJ, write pJ, area
um^2, leakage W of all banks, random cycle time ns):

    ln q = c_q . features(w, d, n, b, p) + T_q[n, b, p](log2 w, log2 d/b) + G_q

* the trend c_q . features is a cubic in log2 w and log2 d whose coefficients
  vary linearly in ln(n), plus ln(n)^2, bank terms and port terms
  (`sram_fit.features`);
* T_q[n, b, p] is a size table per node, bank count and port count, bilinear
  on half-octave knots in width and rows per bank, holding what the trend
  misses (CACTI's organisation choices shift with node, banks and ports);
* trend and tables are fitted to 25,500 CACTI runs at random, mostly
  non-power-of-two sizes (22-90 nm, width 32-2048, 64 rows per bank to
  65536, 1-8 banks, 1-4 ports), never to the reference grid, with a
  curvature penalty and an L4 reweighting of the relative error, so the fit
  aims at the middle of CACTI's organisation jumps rather than their mean;
* G_q is the remaining difference at power-of-two grid sizes (the shared
  reference grid at 22-65 nm, and the same sizes run at 90 nm and with two
  ports): applied in full at a grid size and fading to zero 1 % away in
  depth, so those runs are reproduced and nothing else is moved.
Parameters ship as a data file, loopnest/energy/data/sram_cacti7.json.gz,
written by `benchmarks/fit_energy_models.py` (`sram_fit.dump` / `load`);
`benchmarks/energy_accuracy.py` scores the model on the grid with G switched
off (runs the fit never saw) and on fresh random CACTI runs.

CACTI itself is not smooth in size: between nearby sizes it jumps by up to
~2x, and sometimes drops, when it changes organisation, so no smooth model
predicts every run closely; the worst cases are such jumps.

Outside the CACTI runs (our own choices, where the plug-in would just call
CACTI): wider than 2048 bits, side-by-side 2048-bit macros (energy, area and
leakage x w/2048, a lower bound: CACTI grows faster than linearly in width);
deeper than 65536 rows, energy x sqrt(d/65536) (H-tree length), area and
leakage x d/65536; more than 8 banks, the trend alone (no size table). The
cycle time is unchanged by either extension.

`SRAMModel.evaluate(width, depth, tech_nm, banks, ports)` applies the plug-in's
rules (`cacti.interp_technology`: size rounding and scaling, linear in the
node between CACTI nodes, node/22 below 22 nm with leakage x 0.79, (node/90)^2
above 90 nm) to real-valued inputs; `cacti.cacti_sram` is the validated,
integer-only entry point with the wrapper's errors.

Actions of `SRAMEstimator`: read, write, update (= write), idle (0), leak.
Accelergy v0.3 runtime arguments `data_delta`/`address_delta` scale an access
as 0.7 x data_delta + 0.3 x address_delta (data path vs decoder share, as in
the exercise ERTs).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping

from loopnest.energy.estimators.cacti import MAX_PORTS, NodeCost, interp_technology
from loopnest.energy.estimators.sram_fit import (
    GRID_DEPTHS, GRID_NODES, GRID_WIDTHS, GRID_WINDOW, QUANTITIES, SRAMFit, load, smooth_ln)
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

MIN_W, MAX_TREND_W = 32, 2048
MAX_D = GRID_DEPTHS[-1]
CLASSES = ("SRAM", "regfile", "register_file", "cacti_sram", "cache")
_LOG_GRID_D = [math.log2(d) for d in GRID_DEPTHS]


def default_fit() -> SRAMFit:
    """The shipped coefficients and tables (loopnest/energy/data/sram_cacti7.json.gz)."""
    return load()


class SRAMModel:
    """CACTI at its nodes (`at_node`) and under the plug-in's rules (`evaluate`)."""

    def __init__(self, fit: SRAMFit | None = None, grid: bool = True) -> None:
        self.fit = fit if fit is not None else default_fit()
        self.use_grid = grid
        self.evaluate = lru_cache(maxsize=4096)(self._evaluate)

    def _grid(self, q: str, node: float, banks: int, ports: int, w: float, d: float) -> float:
        """Grid correction: full at a grid size, fading to 0 within GRID_WINDOW
        (1 %) in depth; grid widths only."""
        table = self.fit.grid.get(q, {}).get((node, banks, ports))
        if table is None or w not in GRID_WIDTHS:
            return 0.0
        y = math.log2(d)
        j = min(range(len(GRID_DEPTHS)), key=lambda k: abs(_LOG_GRID_D[k] - y))
        dist = abs(_LOG_GRID_D[j] - y)
        v = table[GRID_WIDTHS.index(int(w)) * len(GRID_DEPTHS) + j]
        if v is None or dist >= GRID_WINDOW:
            return 0.0
        return v * (1.0 - dist / GRID_WINDOW)

    def node_value(self, q: str, w: float, d: float, node: float, banks: int,
                   ports: int = 1) -> float:
        """Quantity q at a CACTI node for a CACTI-sized array (32 <= w <= 2048,
        d <= 65536, banks a power of two); leakage of all `banks` banks."""
        ln = smooth_ln(self.fit, q, w, d, node, banks, ports)
        if self.use_grid:
            ln += self._grid(q, node, banks, ports, w, d)
        return math.exp(ln)

    def at_node(self, node_nm: float, width: float, depth: float, n_banks: int,
                n_rw_ports: int = 1) -> NodeCost:
        """One CACTI run as the plug-in makes it (width a multiple of 8 >= 32,
        n_banks a power of two), with the extensions beyond 2048 bits and
        65536 rows described above."""
        node = float(node_nm)
        if node not in GRID_NODES:
            raise ValueError(f"{node_nm} nm is not a CACTI node {GRID_NODES}")
        w, d = float(width), float(depth)
        e_scale = a_scale = 1.0
        if w > MAX_TREND_W:  # side-by-side macros
            e_scale = a_scale = w / MAX_TREND_W
            w = MAX_TREND_W
        if d > MAX_D:
            e_scale *= math.sqrt(d / MAX_D)
            a_scale *= d / MAX_D
            d = MAX_D
        b, p = int(n_banks), int(n_rw_ports)
        v = {q: self.node_value(q, w, d, node, b, p) for q in QUANTITIES}
        return NodeCost(read_pJ=v["read"] * e_scale, write_pJ=v["write"] * e_scale,
                        leak_per_bank_W=v["leak"] * a_scale / b, area_um2=v["area"] * a_scale,
                        random_cycle_ns=v["cycle"])

    def _evaluate(self, width: float, depth: float, tech_nm: float, banks: float = 1.0,
                  ports: int = 1) -> dict[str, float]:
        """The plug-in's read/write pJ, area um^2, leakage W and cycle ns for
        real-valued inputs (banks >= 1)."""
        c = interp_technology(self, float(tech_nm), float(width), float(depth), int(ports),
                              max(1.0, float(banks)))
        return {"read": c.read_pJ, "write": c.write_pJ, "area": c.area_um2, "leak": c.leak_W,
                "cycle": c.random_cycle_ns}


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

    def _params(self, a: Mapping[str, Any]) -> tuple[float, float, float, float, int]:
        w = number(a, "width", "datawidth", "memory_width", positive=True)
        d = number(a, "depth", "memory_depth", "entries", positive=True)
        b = number(a, "n_banks", default=1, positive=True)
        p = number(a, "n_rw_ports", default=1, positive=True)
        if p != int(p) or p > MAX_PORTS:
            raise EstimatorInputError(
                f"attribute 'n_rw_ports' must be an integer 1..{MAX_PORTS}, got {p:g}",
                "n_rw_ports", fatal=True)
        t = technology(a, *self.tech_range)
        return w, d, t, b, int(p)

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
            dd = number(arguments, "data_delta", default=1)
            ad = number(arguments, "address_delta", default=1)
            e *= 0.7 * dd + 0.3 * ad
        return e

    def area(self, class_name, attributes) -> float:
        return self._eval(attributes)["area"]

    def leak_power(self, class_name, attributes) -> float:
        return self._eval(attributes)["leak"]
