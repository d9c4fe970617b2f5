"""Sparseloop's compute analysis for two operands (CalculateFineGrainedComputeAccesses2Operand).

Each read-only operand, at the innermost level that keeps it, is in one of three states:
exists and nonzero (its density), exists and zero (uncompressed), or not stored (with
metadata, a zero is not there). An operand optimized away at every storage level (a
storage skip or gate down to the compute) conditions the other's states on its being
nonzero. The computes of each pair of states are actual, gated (`gating`) or skipped
(`skipping`, for a missing operand); floor of each, the rest actual.
"""
from __future__ import annotations

import math

from loopnest.errors import MappingError
from loopnest.ir.workload import Workload


ENZ, EZ, NE = 0, 1, 2


def compute_actions(workload: Workload, tiles: list, models: dict, total: float,
                    innermost: dict, gating: bool, skipping: bool) -> dict:
    """CalculateFineGrainedComputeAccesses2Operand: actual / gated / skipped computes."""
    ops = [ds.name for ds in workload.data_spaces if not ds.read_write]
    if len(ops) != 2:
        raise MappingError(f"Sparseloop's compute analysis needs exactly two read-only "
                           f"operands, the workload has {len(ops)}")
    has_md = {}
    dens = {}
    for ds in ops:
        t = next((row[ds] for row in tiles if ds in row and row[ds].shape), None)
        has_md[ds] = bool(t is not None and t.has_metadata)
        scalar = tuple(1 for _ in workload.data_space(ds).projection)
        dens[ds] = round(models[ds].expected_occupancy(1, scalar) * 1e6) / 1e6
    st = {}
    for ds in ops:
        d = round(dens[ds] * 1e6) / 1e6
        st[ds] = {ENZ: d, EZ: 0.0 if has_md[ds] else 1.0 - d, NE: 1.0 - d if has_md[ds] else 0.0}
    a, b = ops

    def cond(x: str, other: str) -> None:
        r = 1 - innermost[other]
        st[x][EZ] = 0 if has_md[x] else 1 - dens[x] / r
        st[x][NE] = 0 if not has_md[x] else 1 - dens[x] / r
        st[x][ENZ] = dens[x] / r
    sa, sb = a in innermost, b in innermost
    if sa and sb:
        cond(a, b)
        cond(b, a)
    elif sa:
        cond(b, a)
    elif sb:
        cond(a, b)
    for ds in ops:
        for k in (ENZ, EZ, NE):
            st[ds][k] = min(1.0, max(0.0, st[ds][k]))
    P = {(x, y): st[a][x] * st[b][y] for x in (ENZ, EZ, NE) for y in (ENZ, EZ, NE)}
    rnd = total * P[(ENZ, ENZ)]
    gated = skipped = nonexist = 0.0
    d = total * (P[(ENZ, EZ)] + P[(EZ, ENZ)])
    if gating:
        gated += d
    else:
        rnd += d
    d = total * (P[(ENZ, NE)] + P[(NE, ENZ)])
    if skipping:
        skipped += d
    elif gating:
        gated += d
    else:
        rnd += d
    d = total * P[(EZ, EZ)]
    if gating:
        gated += d
    else:
        rnd += d
    d = total * (P[(EZ, NE)] + P[(NE, EZ)])
    if skipping:
        skipped += d
    elif gating:
        gated += d
    else:
        rnd += d
    nonexist += total * P[(NE, NE)]
    return {"skipped_compute": math.floor(skipped), "gated_compute": math.floor(gated),
            "random_compute": int(total - math.floor(skipped) - math.floor(gated)
                                  - math.floor(nonexist))}
