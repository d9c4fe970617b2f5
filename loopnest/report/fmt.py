"""Number and loop formatting shared by the text reports (Timeloop's iostream defaults)."""
from __future__ import annotations

from loopnest.model.result import LoopText


def f2(x: float) -> str:
    """Fixed notation, 2 decimals (Timeloop's `std::fixed << setprecision(2)`)."""
    return f"{x:.2f}"


def opt_int(x: int | None) -> str:
    """An optional spec: `-` when unspecified."""
    return "-" if x is None else str(x)


def opt_f2(x: float | None) -> str:
    return "-" if x is None else f2(x)


def loop_text(loop: LoopText) -> str:
    """`for P in [0:16)`, `[0:end,residual)` when imperfect, spatial suffix."""
    rng = f"0:{loop.end}" if loop.residual is None else f"0:{loop.end},{loop.residual}"
    text = f"for {loop.dim} in [{rng})"
    if loop.spatial:
        text += f" (Spatial-{loop.spatial})"
    return text
