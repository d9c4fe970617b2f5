"""DAC: a binary-weighted capacitive (charge-redistribution) DAC.

Model (Saberi et al., "Analysis of power consumption and linearity in
capacitive digital-to-analog converters used in successive approximation
ADCs", IEEE TCAS-I 58(8), 2011): an N-bit array of 2^N unit capacitors C_u
switched between 0 and Vref draws on average about half of C_total Vref^2 per
conversion, so
    E = 0.5 x 2^N x C_u x Vref^2  (+ a per-bit switch/driver term).
C_u = 1 fF (matching-limited, roughly node-independent); Vref = supply of the
node (wire.default_vdd) unless `voltage` is given; the switch/driver term is
one minimum inverter toggle per bit, 0.1 fJ x (node/45 nm). Area: capacitors at
2 fF/um^2 (MIM) plus 15 um^2 x (node/45)^2 of switches/latches per bit.
This is an order-of-magnitude model for low-resolution row DACs (1-8 bits) in
processing-in-memory arrays, where the DAC is rarely dominant; for a measured
DAC, give a `primitive_tables` entry instead.

Attributes: resolution (aliases n_bits, dac_resolution, bits...), technology,
optional voltage, unit_capacitance (F).
"""
from __future__ import annotations

from loopnest.energy import units
from loopnest.energy.estimators.wire import default_vdd
from loopnest.energy.plugin import Estimator, number, technology

RESOLUTION_NAMES = ("resolution", "n_bits", "dac_resolution", "resolution_dac", "dac_bits",
                    "bits")
C_UNIT = 1e-15  # F
CAP_DENSITY = 2e-15  # F / um^2


class DACEstimator(Estimator):
    name = "loopnest-dac"
    accuracy = 50.0
    classes = ("dac", "pim_dac", "cim_dac", "row_dac", "voltage_dac", "capacitive_dac")
    actions = ("convert", "drive", "read", "activate", "idle")
    tech_range = (7.0, 180.0)

    def _p(self, a):
        bits = number(a, *RESOLUTION_NAMES, positive=True)
        tech = technology(a, *self.tech_range)
        v = units.volts(a["voltage"]) if "voltage" in a else None
        if v is None:
            v = default_vdd(tech)
        cu = number(a, "unit_capacitance", default=C_UNIT, positive=True)
        return bits, tech, v, cu

    def check(self, class_name, attributes) -> None:
        self._p(attributes)

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action == "idle":
            return 0.0
        bits, tech, v, cu = self._p(attributes)
        caps = 0.5 * (2.0 ** bits) * cu * v * v
        drivers = bits * 0.1e-15 * (tech / 45.0)
        return (caps + drivers) * 1e12

    def area(self, class_name, attributes) -> float:
        bits, tech, v, cu = self._p(attributes)
        return (2.0 ** bits) * cu / CAP_DENSITY + bits * 15.0 * (tech / 45.0) ** 2
