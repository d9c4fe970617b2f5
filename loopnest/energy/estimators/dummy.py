"""`dummy_storage` / `dummy_compute`: Timeloop's placeholder levels, priced at zero on purpose.

Accelergy's dummy_table plug-in gives every action 0 pJ and an area of 1 um^2;
we keep those numbers so ART totals agree with Timeloop references.
"""
from __future__ import annotations

from typing import Any, Mapping

from loopnest.energy.plugin import Estimator


class DummyEstimator(Estimator):
    name = "dummy_table"
    accuracy = 100.0
    classes = ("dummy_storage", "dummy_compute", "dummy")
    actions = ("read", "write", "update", "leak", "compute", "idle", "fill", "metadata_read",
               "metadata_write", "metadata_update", "decompression_count", "compression_count")

    def supported_actions(self, class_name: str, attributes: Mapping[str, Any]):
        return self.actions

    def energy(self, class_name, attributes, action, arguments) -> float:
        return 0.0

    def area(self, class_name, attributes) -> float:
        return 1.0
