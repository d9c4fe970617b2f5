"""Residual (imperfect) factors: Timeloop's rules on `P=20,17` loops.

A loop `for P in [0:20,17)` runs 20 iterations, except when every outer loop
over P is at its last iteration: then it runs 17. The outermost loop over a
dimension is always at its "last" outer iteration, so it runs to its residual.
A mapping is valid when, per dimension, the residuals cover the bound exactly
(Timeloop's `ParseUserFactors` check, src/mapping/parser.cpp): going from the
outermost tiling level inward (a level's temporal loops, then its spatial
fan-out), `n = n * end + residual - 1` from `n = 0`, and `n + 1 == bound`.
Without residuals this is the plain product rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from loopnest.ir.mapping import Loop, Mapping


def residual_of(lp: Loop) -> int:
    """The loop's residual end (its end when it has none)."""
    return lp.end if lp.residual is None else lp.residual


def is_imperfect(lp: Loop) -> bool:
    """True when the loop's last iteration differs from the others. A trivial loop (end 1)
    is never imperfect: like Timeloop's nest, the model drops it with its residual (the
    mapping parser refuses such a residual: it lies outside 1..end)."""
    return lp.end > 1 and lp.residual is not None and lp.residual != lp.end


def mapping_is_imperfect(mapping: Mapping) -> bool:
    """True when any loop of the mapping has a residual that differs from its end."""
    return any(is_imperfect(lp) for lv in mapping.levels for lp in lv.temporal + lv.spatial)


def loops_outer_first(mapping: Mapping, dim: str) -> list[tuple[int, str, Loop]]:
    """(level, 'temporal'|'spatial', loop) over `dim`, from the outermost tiling level in."""
    out: list[tuple[int, str, Loop]] = []
    for s in range(len(mapping.levels) - 1, -1, -1):
        lv = mapping.levels[s]
        out += [(s, "temporal", lp) for lp in lv.temporal if lp.dim == dim]
        out += [(s, "spatial", lp) for lp in lv.spatial if lp.dim == dim]
    return out


def covered(mapping: Mapping, dim: str) -> tuple[int, str]:
    """Iterations of `dim` the mapping covers under the residual rule, and the worked
    rule as text (e.g. `((0*10 + 10-1)*20 + 17-1) + 1 = 197`)."""
    n = 0
    text = "0"
    for _, _, lp in loops_outer_first(mapping, dim):
        r = residual_of(lp)
        if lp.end == 1 and r == 1:
            continue
        n = n * lp.end + r - 1
        text = f"({text}*{lp.end} + {r}-1)"
    return n + 1, f"{text} + 1 = {n + 1}"


@dataclass(frozen=True)
class ResidualProblem:
    """A broken residual rule: the dimension, what is wrong, and how to fix it."""

    dim: str
    level: int | None
    kind: str  # "temporal" | "spatial" | "" (whole dimension)
    message: str
    hint: str


def residual_problems(mapping: Mapping, bounds: dict[str, int]) -> list[ResidualProblem]:
    """Every residual that Timeloop would refuse, per dimension (empty when valid).

    Checked: each residual lies in 1..end; a spatial loop with a residual has an outer
    non-trivial loop over the same dimension (Timeloop exits otherwise); and, for a
    dimension with any residual, the residual rule covers its bound.
    """
    out: list[ResidualProblem] = []
    for dim, bound in bounds.items():
        loops = loops_outer_first(mapping, dim)
        if not any(lp.residual is not None for _, _, lp in loops):
            continue
        bad = False
        seen_outer = False
        for lvl, kind, lp in loops:
            r = residual_of(lp)
            if not 1 <= r <= lp.end:
                out.append(ResidualProblem(
                    dim, lvl, kind, f"residual {r} of {dim}={lp.end},{r} is outside 1..{lp.end}",
                    f"write {dim}=end,residual with 1 <= residual <= end"))
                bad = True
            elif kind == "spatial" and r != lp.end and not seen_outer:
                out.append(ResidualProblem(
                    dim, lvl, kind, f"spatial loop {dim}={lp.end},{r} has a residual but no "
                    f"outer loop over {dim}",
                    f"a spatial residual needs an outer loop over {dim} (Timeloop exits "
                    f"otherwise); move the residual to a temporal loop above"))
                bad = True
            if lp.end > 1:
                seen_outer = True
        if bad:
            continue
        n, worked = covered(mapping, dim)
        if n != bound:
            out.append(ResidualProblem(
                dim, None, "", f"factors of {dim} with residuals cover {n} iterations, but the "
                f"problem bound of {dim} is {bound}",
                f"from the outermost level inward, n = n*end + residual - 1 and n + 1 must "
                f"equal the bound; here {worked}"))
    return out


def first_tile_extents(mapping: Mapping, level: int, dims: tuple[str, ...]) -> dict[str, int]:
    """Per dimension, the operation-space extent of `level`'s tile on the first visit,
    which is its largest (Timeloop's utilized capacity): the product of the ends at or
    below the level, or, where every loop over the dimension above the level is already
    "at its last" on index 0 (residual 1, or no loop above), the residual extent
    `sum(stride * (residual - 1)) + 1`. Equals the plain product without residuals."""
    out: dict[str, int] = {}
    for d in dims:
        full, res = 1, 1
        for s in range(level + 1):
            lv = mapping.levels[s]
            for lp in [l for l in lv.spatial if l.dim == d] + [l for l in lv.temporal
                                                              if l.dim == d]:
                if lp.end > 1:
                    res += full * (residual_of(lp) - 1)
                    full *= lp.end
        above = [lp for s in range(level + 1, len(mapping.levels))
                 for lp in mapping.levels[s].spatial + mapping.levels[s].temporal
                 if lp.dim == d and lp.end > 1]
        out[d] = res if all(residual_of(lp) == 1 for lp in above) else full
    return out
