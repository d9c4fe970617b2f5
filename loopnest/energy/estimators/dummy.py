"""Accelergy's `dummy_table`: any class whose `technology` is -1 (Timeloop's placeholder
levels, such as the dummy storage of a spatial fan-out), at accuracy 100.

Every action but leak costs 1 pJ, leak 0, and the area is 1 um^2, as the
plug-in answers. A component not marked with technology -1 is left to the
other estimators (the Library also has zero-cost `dummy_storage` and
`dummy_compute` rows).
"""
from __future__ import annotations

from loopnest.energy import units
from loopnest.energy.plugin import Estimator, Query


def _marked(q: Query) -> bool:
    t = q.attributes.get("technology")
    return t is not None and not isinstance(t, bool) and units.to_number(t) == -1


class DummyTable(Estimator):
    name = "dummy_table"
    accuracy = 100.0
    builtin = True

    def supports(self, class_name: str) -> bool:
        return True

    def energy_accuracy(self, q: Query) -> float:
        return self.accuracy if _marked(q) else 0.0

    def estimate_energy(self, q: Query) -> float:
        return 0.0 if q.is_leak else 1.0

    def area_accuracy(self, q: Query) -> float:
        return self.accuracy if _marked(q) else 0.0

    def estimate_area(self, q: Query) -> float:
        return 1.0
