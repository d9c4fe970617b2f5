"""The one line timeloop-model prints on stdout after an evaluation."""
from __future__ import annotations

from loopnest.model.result import Result


def one_line(result: Result) -> str:
    """`Utilization = 1.00 | pJ/Compute =    2.407 | Cycles = 48` (Timeloop's
    `setw(4)`/`setw(8)` fixed formats; utilization as a fraction)."""
    return (f"Utilization = {result.utilization:4.2f} | pJ/Compute = "
            f"{result.pj_per_compute:8.3f} | Cycles = {result.cycles}")
