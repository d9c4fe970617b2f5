"""Analog crossbar arrays (processing in memory), RRAM or SRAM cells, NeuroSim-like.

Quantities (per the NeuroSim V1.3 plug-in's split of an array): energy per row
activation (row driver / DAC-side wordline, input slice of `temporal_dac_bits`),
per active column read-out (bitline + column mux), per cell access, per ADC
conversion, and the area of each part; also writes and leakage. Each is a
log-space fit (coefficients in data/fitted_models.json, produced by
benchmarks/fit_energy_models.py from NeuroSim runs at 22-65 nm, 32-512 rows
and columns, 4-8-bit ADCs, 1-8-bit temporal and 1-4-bit voltage DACs, 8
columns sharing an ADC) over:
  ln rows, ln cols, ln node (with squares and cross terms), ln(2^t - 1) for
  t temporal DAC bits (charge per row grows with pulse count), voltage-DAC
  bits, and ADC bits.
Outside those ranges the fit extrapolates smoothly; node is limited to 16-90 nm.

Classes: `crossbar_row` (actions read/write), `crossbar_column` (read/write),
`crossbar_cell` (read/write, `compute` = read), `crossbar_adc` (convert/read),
and `crossbar` = the whole array (row_read, column_read, cell_read, convert,
compute = one MAC: one cell read plus the per-cell share of row and column
energy). Attributes: rows, cols, cell (`rram`/`sram`), technology,
temporal_dac_bits (default 1), voltage_dac_bits (default 1), adc_bits (default 8).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from loopnest.energy.estimators.fitted import fitted
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

QUANTITIES = (
    "row_read_pJ", "row_write_pJ", "row_area_um2", "row_leak_W",
    "col_read_pJ", "col_write_pJ", "col_area_um2", "col_leak_W",
    "cell_read_pJ", "cell_write_pJ", "cell_area_um2", "cell_leak_W",
    "adc_read_pJ", "adc_area_um2", "adc_leak_W",
)


def cell_kind(name: Any) -> str:
    s = str(name).lower()
    if "sram" in s:
        return "sram"
    if "rram" in s or "reram" in s or "memristor" in s or "nvm" in s:
        return "rram"
    raise EstimatorInputError(f"unknown crossbar cell '{name}' (use rram or sram)", "cell",
                              fatal=True)


def features(rows: float, cols: float, tech_nm: float, tdac: float, vdac: float,
             adc_bits: float) -> list[float]:
    r = math.log(rows / 128.0)
    c = math.log(cols / 128.0)
    t = math.log(tech_nm / 40.0)
    g = math.log(2.0 ** tdac - 1.0)
    return [1.0, r, c, t, r * r, c * c, t * t, r * c, r * t, c * t,
            g, g * g, g * t, vdac, math.log(vdac), adc_bits, adc_bits * adc_bits, adc_bits * t,
            r * g, c * g]


_PART_ACTIONS = {
    "crossbar_row": ("read", "write", "activate", "drive", "idle"),
    "crossbar_column": ("read", "write", "idle"),
    "crossbar_cell": ("read", "write", "compute", "idle"),
    "crossbar_adc": ("convert", "read", "idle"),
    "crossbar": ("row_read", "row_write", "column_read", "column_write", "cell_read",
                 "cell_write", "convert", "compute", "read", "idle"),
}
_ALIASES = {"analog_crossbar": "crossbar", "pim_crossbar": "crossbar",
            "rram_crossbar": "crossbar", "sram_crossbar": "crossbar",
            "crossbar_array": "crossbar", "crossbar_cells": "crossbar_cell"}


class CrossbarEstimator(Estimator):
    name = "loopnest-crossbar"
    accuracy = 70.0
    classes = tuple(_PART_ACTIONS) + tuple(_ALIASES)
    tech_range = (16.0, 90.0)

    def _cls(self, class_name: str) -> str:
        c = class_name.lower()
        return _ALIASES.get(c, c)

    def supported_actions(self, class_name, attributes):
        return _PART_ACTIONS[self._cls(class_name)] + ("leak",)

    def _params(self, a: Mapping[str, Any]) -> tuple[str, list[float]]:
        kind = cell_kind(a.get("cell", a.get("cell_type", "rram")))
        rows = number(a, "rows", "n_rows", positive=True)
        cols = number(a, "cols", "columns", "n_cols", positive=True)
        tech = technology(a, *self.tech_range)
        tdac = number(a, "temporal_dac_bits", "input_bits_per_slice", default=1, positive=True)
        vdac = number(a, "voltage_dac_bits", default=1, positive=True)
        adc = number(a, "adc_bits", "adc_resolution", default=8, positive=True)
        return kind, features(rows, cols, tech, tdac, vdac, adc)

    def check(self, class_name, attributes) -> None:
        self._params(attributes)

    def quantity(self, attributes: Mapping[str, Any], q: str) -> float:
        kind, f = self._params(attributes)
        coef = fitted("CROSSBAR")[kind][q]
        if coef is None:  # NeuroSim prices this part at zero for this cell type
            return 0.0
        return math.exp(sum(a * b for a, b in zip(coef, f)))

    def energy(self, class_name, attributes, action, arguments) -> float:
        c = self._cls(class_name)
        if action == "idle":
            return 0.0
        q = {
            ("crossbar_row", "read"): "row_read_pJ", ("crossbar_row", "activate"): "row_read_pJ",
            ("crossbar_row", "drive"): "row_read_pJ", ("crossbar_row", "write"): "row_write_pJ",
            ("crossbar_column", "read"): "col_read_pJ",
            ("crossbar_column", "write"): "col_write_pJ",
            ("crossbar_cell", "read"): "cell_read_pJ", ("crossbar_cell", "compute"):
                "cell_read_pJ", ("crossbar_cell", "write"): "cell_write_pJ",
            ("crossbar_adc", "convert"): "adc_read_pJ", ("crossbar_adc", "read"): "adc_read_pJ",
            ("crossbar", "row_read"): "row_read_pJ", ("crossbar", "row_write"): "row_write_pJ",
            ("crossbar", "column_read"): "col_read_pJ",
            ("crossbar", "column_write"): "col_write_pJ",
            ("crossbar", "cell_read"): "cell_read_pJ", ("crossbar", "cell_write"):
                "cell_write_pJ", ("crossbar", "convert"): "adc_read_pJ",
        }.get((c, action))
        if q is not None:
            return self.quantity(attributes, q)
        if c == "crossbar" and action in ("compute", "read"):
            rows = number(attributes, "rows", "n_rows", positive=True)
            cols = number(attributes, "cols", "columns", "n_cols", positive=True)
            return (self.quantity(attributes, "cell_read_pJ")
                    + self.quantity(attributes, "row_read_pJ") / cols
                    + self.quantity(attributes, "col_read_pJ") / rows)
        raise EstimatorInputError(f"unknown action '{action}'")

    def area(self, class_name, attributes) -> float:
        c = self._cls(class_name)
        if c == "crossbar_row":
            return self.quantity(attributes, "row_area_um2")
        if c == "crossbar_column":
            return self.quantity(attributes, "col_area_um2")
        if c == "crossbar_cell":
            return self.quantity(attributes, "cell_area_um2")
        if c == "crossbar_adc":
            return self.quantity(attributes, "adc_area_um2")
        rows = number(attributes, "rows", "n_rows", positive=True)
        cols = number(attributes, "cols", "columns", "n_cols", positive=True)
        return (self.quantity(attributes, "row_area_um2")
                + self.quantity(attributes, "col_area_um2")
                + rows * cols * self.quantity(attributes, "cell_area_um2"))

    def leak_power(self, class_name, attributes) -> float:
        c = self._cls(class_name)
        part = {"crossbar_row": "row_leak_W", "crossbar_column": "col_leak_W",
                "crossbar_cell": "cell_leak_W", "crossbar_adc": "adc_leak_W"}.get(c)
        if part:
            return self.quantity(attributes, part)
        return (self.quantity(attributes, "row_leak_W") + self.quantity(attributes, "col_leak_W"))
