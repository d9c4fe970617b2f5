"""DAC: a binary-weighted capacitive (charge-redistribution) DAC, or a temporal one.

`dac_type: capacitive` (default). The array of McCreary & Gray ("All-MOS
charge redistribution analog-to-digital conversion techniques - Part I",
IEEE JSSC SC-10(6):371-379, 1975): 2^N unit capacitors C_u (binary-weighted
plus one terminating unit) share a top plate that drives the output load
C_L. Energy is counted as Saberi et al. count capacitive-DAC switching
energy ("Analysis of power consumption and linearity in capacitive
digital-to-analog converters used in successive approximation ADCs", IEEE
TCAS-I 58(8):1736-1748, 2011): charge drawn from Vref times Vref. Derived
here for return-to-zero operation (plates reset to 0 V between inputs, as a
row DAC of a processing-in-memory array does): code D switches D C_u to Vref,
the output settles at V_out = Vref D C_u / (2^N C_u + C_L), and the
reference delivers D C_u (Vref - V_out), so

    E(D)   = C_u Vref^2 D (1 - D C_u / (2^N C_u + C_L))
    E_avg  = C_u Vref^2 (m1 - m2 C_u / (2^N C_u + C_L)),
             m1 = (2^N - 1) / 2, m2 = (2^N - 1)(2^(N+1) - 1) / 6

over uniformly distributed codes; with no load E_avg = C_u Vref^2
(4^N - 1) / (6 2^N). (The papers' own equations are for SAR switching
sequences; this expression is our derivation from the same charge balance.)

`dac_type: temporal`. A pulse-count DAC as NeuroSim's temporal DAC: code D
is D unit pulses on the load (NeuroSim scales the read pulse by 2^N - 1 at
full scale: hwcomponents-neurosim, `temporal_dac_bits`), each charging C_L
to Vref: E_avg = m1 C_L Vref^2. `load_capacitance` is required (a pulse DAC
without a load would be priced at zero).

Both add N input latches/switch drivers at 0.1 fJ x (node / 45 nm) per bit
per conversion, and take area as 2^N C_u at 2 fF/um^2 (MIM, capacitive only)
plus 15 um^2 x (node / 45 nm)^2 per bit of switches and latches: these two
constants are our assumptions, not from the cited papers. Defaults: C_u 1 fF
(matching-limited), C_L 0 (capacitive), Vref = the node's supply
(wire.default_vdd) unless `voltage` is given.

Attributes: resolution (aliases n_bits, dac_resolution, bits...), technology,
optional dac_type, voltage, unit_capacitance (F), load_capacitance (F).
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy import units
from loopnest.energy.estimators.wire import default_vdd
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

RESOLUTION_NAMES = ("resolution", "n_bits", "dac_resolution", "resolution_dac", "dac_bits",
                    "bits")
C_UNIT = 1e-15  # F
CAP_DENSITY = 2e-15  # F / um^2
DRIVER_J_PER_BIT_45NM = 0.1e-15
SWITCH_UM2_PER_BIT_45NM = 15.0
TYPES = ("capacitive", "temporal")


def code_moments(bits: float) -> tuple[float, float]:
    """Mean of D and of D^2 over uniformly distributed N-bit codes."""
    n = 2.0 ** bits
    return (n - 1) / 2, (n - 1) * (2 * n - 1) / 6


def capacitive_energy(bits: float, c_unit: float, vref: float, c_load: float = 0.0,
                      code: int | None = None) -> float:
    """Energy (J) drawn from Vref: for one `code`, or averaged over all codes."""
    c_total = 2.0 ** bits * c_unit + c_load
    if code is not None:
        return c_unit * vref * vref * code * (1 - code * c_unit / c_total)
    m1, m2 = code_moments(bits)
    return c_unit * vref * vref * (m1 - m2 * c_unit / c_total)


def temporal_energy(bits: float, c_load: float, vref: float) -> float:
    """Energy (J) of a pulse-count DAC averaged over all codes."""
    return code_moments(bits)[0] * c_load * vref * vref


class DACEstimator(Estimator):
    name = "loopnest-dac"
    accuracy = 50.0
    classes = ("dac", "pim_dac", "cim_dac", "row_dac", "voltage_dac", "capacitive_dac",
               "temporal_dac")
    actions = ("convert", "drive", "read", "activate", "idle")
    tech_range = (7.0, 180.0)

    def _p(self, class_name: str, a: Mapping[str, Any]) -> dict[str, Any]:
        kind = str(a.get("dac_type", "temporal" if class_name.lower() == "temporal_dac"
                         else "capacitive")).strip().lower()
        if kind not in TYPES:
            raise EstimatorInputError(f"unknown dac_type '{kind}' (known: {', '.join(TYPES)})",
                                      "dac_type", fatal=True)
        tech = technology(a, *self.tech_range)
        p = {"kind": kind, "bits": number(a, *RESOLUTION_NAMES, positive=True), "tech": tech,
             "v": units.volts(a["voltage"]) if "voltage" in a else default_vdd(tech),
             "cu": number(a, "unit_capacitance", default=C_UNIT, positive=True)}
        if kind == "temporal":
            p["cl"] = number(a, "load_capacitance", positive=True)
        else:
            p["cl"] = number(a, "load_capacitance", default=0.0)
        return p

    def check(self, class_name, attributes) -> None:
        self._p(class_name, attributes)

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action == "idle":
            return 0.0
        p = self._p(class_name, attributes)
        if p["kind"] == "temporal":
            e = temporal_energy(p["bits"], p["cl"], p["v"])
        else:
            e = capacitive_energy(p["bits"], p["cu"], p["v"], p["cl"])
        drivers = p["bits"] * DRIVER_J_PER_BIT_45NM * (p["tech"] / 45.0)
        return (e + drivers) * 1e12

    def area(self, class_name, attributes) -> float:
        p = self._p(class_name, attributes)
        caps = 2.0 ** p["bits"] * p["cu"] / CAP_DENSITY if p["kind"] == "capacitive" else 0.0
        return caps + p["bits"] * SWITCH_UM2_PER_BIT_45NM * (p["tech"] / 45.0) ** 2
