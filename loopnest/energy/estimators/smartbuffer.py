"""Smart buffers: an SRAM (or register file) with its own address generator.

A smart buffer walks its addresses itself, so every access also updates an
address register from an adder: per access, one add and two register accesses
(the address and its increment) of address-width bits, where the address width
is ceil(log2 depth), at least 1. Area and leakage add the same adder and two
registers. This is how the hwcomponents library composes its smart buffer from
the SRAM model and the Aladdin cells (checked against `regfile_train.csv`);
the SRAM part and the cells are priced by `sram.py` and `digital.py`.

A compound class of the same name in the user's files (Accelergy's tutorial
`smartbuffer_SRAM` with two `intadder` address generators, say) takes
precedence over this estimator, as Accelergy would do.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from loopnest.energy.estimators.digital import DigitalEstimator
from loopnest.energy.estimators.sram import SRAMEstimator
from loopnest.energy.plugin import Estimator, number

CLASSES = ("smartbuffer", "smart_buffer", "smartbuffer_sram", "smart_buffer_sram",
           "smartbuffer_rf", "smart_buffer_rf")


def address_bits(depth: float) -> int:
    """Width of the address register of a `depth`-row buffer (>= 1)."""
    return max(1, math.ceil(math.log2(depth) - 1e-9))


class SmartBufferEstimator(Estimator):
    name = "loopnest-smartbuffer"
    accuracy = SRAMEstimator.accuracy
    classes = CLASSES
    actions = SRAMEstimator.actions
    tech_range = SRAMEstimator.tech_range

    def __init__(self) -> None:
        self.sram = SRAMEstimator()
        self.digital = DigitalEstimator()

    def _addr(self, a: Mapping[str, Any]) -> dict[str, Any]:
        """Attributes of the address-width adder and registers."""
        d = number(a, "depth", "memory_depth", "entries", positive=True)
        out = {k: v for k, v in a.items() if k in ("technology", "technology_nm", "voltage")}
        out["width"] = address_bits(d)
        return out

    def _gen(self, a: Mapping[str, Any]) -> tuple[float, float, float]:
        """(energy per access pJ, area um^2, leak W) of the address generator."""
        g = self._addr(a)
        dg = self.digital
        return (dg.energy("intadder", g, "add", {}) + 2 * dg.energy("register", g, "read", {}),
                dg.area("intadder", g) + 2 * dg.area("register", g),
                dg.leak_power("intadder", g) + 2 * dg.leak_power("register", g))

    def check(self, class_name, attributes) -> None:
        self.sram.check("SRAM", attributes)

    def energy(self, class_name, attributes, action, arguments) -> float:
        e = self.sram.energy("SRAM", attributes, action, arguments)
        return e + (self._gen(attributes)[0] if action != "idle" else 0.0)

    def area(self, class_name, attributes) -> float:
        return self.sram.area("SRAM", attributes) + self._gen(attributes)[1]

    def leak_power(self, class_name, attributes) -> float:
        return self.sram.leak_power("SRAM", attributes) + self._gen(attributes)[2]
