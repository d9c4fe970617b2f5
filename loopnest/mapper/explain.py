"""Explain an empty map space from CP-SAT's infeasibility core, in the user's terms."""
from __future__ import annotations

from ortools.sat.python import cp_model

from loopnest.errors import MapperError
from loopnest.mapper.cpsat import TilingModel
from loopnest.mapper.mapspace import SX, T, MapSpace, footprint


def _infeasible(tm: TilingModel, lits: list) -> bool:
    tm.m.ClearAssumptions()
    tm.m.AddAssumptions(lits)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    return solver.Solve(tm.m) == cp_model.INFEASIBLE


def infeasible_core(space: MapSpace) -> list[int] | None:
    """Indices of a minimal set of constraint groups that together admit no tiling.

    None when the space is feasible (or the core could not be established).
    """
    tm = TilingModel(space, explain=True)
    tm.m.AddAssumptions(tm.lits)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    st = solver.Solve(tm.m)
    if st != cp_model.INFEASIBLE:
        return None
    core = list(solver.SufficientAssumptionsForInfeasibility())
    idx = {lit.Index(): k for k, lit in enumerate(tm.lits)}
    core = [idx[c] for c in core if c in idx] or list(range(len(tm.lits)))
    # Deletion filter: drop every group not needed for infeasibility.
    k = 0
    while k < len(core) and len(core) > 1:
        trial = core[:k] + core[k + 1:]
        if _infeasible(tm, [tm.lits[j] for j in trial]):
            core = trial
        else:
            k += 1
    return core


def _capacity_detail(space: MapSpace, level: int) -> str | None:
    """The smallest tile the fixed factors at or below `level` already force."""
    wl = space.workload
    dims = wl.dimensions
    ext = [1] * len(dims)
    fixed: dict[str, int] = {}
    for i in range(level + 1):
        lv = space.levels[i]
        for kind in (T, SX):
            for d, b in enumerate(lv.bounds[kind]):
                v = b.exact if b.exact is not None else b.min
                if v > 1:
                    ext[d] *= v
                    fixed[dims[d]] = fixed.get(dims[d], 1) * v
    fp = footprint(wl, ext)
    lv = space.levels[level]
    kept = [ds for ds in wl.ds_names if ds in lv.keep_fixed]
    if not kept:
        return None
    used = sum(fp[ds] for ds in kept)
    if lv.capacity is None or used <= lv.capacity:
        return None
    worst = max(kept, key=lambda ds: fp[ds])
    rel = wl.data_space(worst).dims()
    facs = " ".join(f"{d}={v}" for d, v in fixed.items() if d in rel)
    what = f"{worst} tile of {fp[worst]} words" if len(kept) == 1 else \
        f"tiles of {', '.join(kept)} ({used} words)"
    return (f"{what} exceeds {lv.name} ({lv.capacity} words) because factors {facs} "
            f"are fixed at or below it")


def explain_infeasible(space: MapSpace) -> MapperError:
    """A MapperError naming the conflicting constraints and levels."""
    tm = TilingModel(space, explain=True)
    core = infeasible_core(space)
    if core is None:
        return MapperError("no valid mapping: the constraints admit no tiling",
                           hint="relax factor, keep or utilization constraints")
    groups = [tm.groups[k] for k in core]
    for g in groups:
        if g.kind == "capacity" and g.level is not None:
            detail = _capacity_detail(space, g.level)
            if detail:
                return MapperError(f"no valid mapping: {detail}",
                                   hint="conflicting: " + "; ".join(x.text for x in groups))
    text = "; ".join(g.text for g in groups)
    return MapperError(f"no valid mapping: these constraints conflict: {text}",
                       hint="relax one of them (factors, keep/bypass, utilization)")
