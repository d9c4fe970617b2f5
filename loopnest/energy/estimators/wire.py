"""On-chip wires and simple networks: E = bits x activity x C_per_length x length x Vdd^2.

Default wire capacitance ~0.2 fF/um for intermediate-layer copper wires (ITRS
interconnect tables; the hwcomponents `Wire` uses 2e-10 F/m; Aladdin uses
1.627 fF/um x 0.2 activity). Default Vdd by node follows typical nominal
supplies (1.0 V at >= 45 nm down to 0.8 V at 16 nm and 0.7 V below).
Attributes: width/datawidth (bits), length (mm unless a unit is given, e.g.
`500um`), optionally capacitance_per_m (F/m), voltage (V), activity (0..1).
"""
from __future__ import annotations

from loopnest.energy import units
from loopnest.energy.plugin import Estimator, EstimatorInputError, number

C_PER_M = 2e-10  # F/m = 0.2 fF/um


def default_vdd(tech_nm: float | None) -> float:
    if tech_nm is None:
        return 0.8
    if tech_nm >= 45:
        return 1.0
    if tech_nm >= 28:
        return 0.9
    if tech_nm >= 16:
        return 0.8
    return 0.7


def length_mm(attributes) -> float:
    for k in ("length", "wire_length", "length_mm"):
        if k in attributes:
            s = units.split_number(attributes[k])
            if s is None or s[0] < 0:
                raise EstimatorInputError(f"attribute '{k}' must be a length >= 0, got "
                                          f"{attributes[k]!r}", k, fatal=True)
            v, u = s
            scale = {"": 1.0, "mm": 1.0, "um": 1e-3, "m": 1e3, "cm": 10.0}.get(u.lower())
            if scale is None:
                raise EstimatorInputError(f"unknown length unit '{u}'", k, fatal=True)
            return v * scale
    if "length_um" in attributes:
        return number(attributes, "length_um") * 1e-3
    return 1.0


class WireEstimator(Estimator):
    name = "loopnest-wire"
    accuracy = 70.0
    classes = ("wire", "noc", "xy_noc", "bus", "network")
    actions = ("transfer", "transfer_random", "transfer_repeated", "read", "write", "idle")

    def per_transfer(self, attributes) -> float:
        bits = number(attributes, "width", "datawidth", positive=True)
        c = number(attributes, "capacitance_per_m", default=C_PER_M)
        tech = units.technology_nm(attributes.get("technology")) if "technology" in \
            attributes else None
        v = units.volts(attributes["voltage"]) if "voltage" in attributes else None
        if v is None:
            v = default_vdd(tech)
        alpha = number(attributes, "activity", "alpha", default=1.0)
        return bits * alpha * c * (length_mm(attributes) * 1e-3) * v * v * 1e12

    def check(self, class_name, attributes) -> None:
        self.per_transfer(attributes)

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action in ("idle", "transfer_repeated"):
            return 0.0
        return self.per_transfer(attributes)
