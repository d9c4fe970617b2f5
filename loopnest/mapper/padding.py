"""Imperfect factorization by padding: which dimensions, which padded bounds, and the
conversion of a padded mapping to a residual mapping of the real workload.

A dimension whose bound has a prime factor no fan-out (or buffer) can take, 197 tokens
on a 14 x 12 PE array for example, leaves most of the array idle under exact factors.
The mapper then also searches the same layer with that bound *padded* to a nearby
number that fills the array (197 -> 210 = 14*15), with the perfect-factor search, and
turns each padded mapping back into a mapping of the real layer: the loop ends stay
(the outermost one becomes its residual), and the residuals are the mixed-radix digits
of `bound - 1` over the ends, outermost loop first (Timeloop's rule `n = n*end + residual - 1`, `n + 1 = bound`):
197 over ends (20, 10) is 196 = 19*10 + 6, so the residuals are (20, 7): `P=20` outside
`P=10,7`.

A padded tile is never smaller than the residual tile it stands for, so a padded
mapping that fits its buffers gives a residual mapping that fits them too.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable

from loopnest.ir.constraints import Constraints, FactorBound
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload
from loopnest.mapper.mapspace import MapSpace, prime_factors

MAX_PAD = 0.125  # a padded bound is at most 12.5 % above the real one (at least +1)


# -- when ------------------------------------------------------------------------------
def ruby_requested(constraints: Constraints | None) -> bool:
    """Timeloop's `ruby` mapspace template, or a `remainders` constraint at any level."""
    if constraints is None:
        return False
    if getattr(constraints, "template", "uber") == "ruby":
        return True
    return any(remainder_slots(constraints))


def remainder_slots(constraints: Constraints | None) -> set[tuple[int, str]]:
    """(level, 'temporal'|'spatial') where a `remainders` constraint allows residuals."""
    out: set[tuple[int, str]] = set()
    if constraints is None:
        return out
    for i, lc in enumerate(constraints.levels):
        if getattr(lc, "temporal_remainders", None) is not None:
            out.add((i, "temporal"))
        if getattr(lc, "spatial_remainders", None) is not None:
            out.add((i, "spatial"))
    return out


def _axes(space: MapSpace, d: int) -> list[int]:
    """Mesh sizes (> 1) of the fan-outs dimension `d` may use."""
    out = []
    for lv in space.levels:
        for a in (0, 1):
            if lv.fanout[a] > 1 and lv.spatial_allowed[a][d] and lv.bounds[1 + a][d].exact != 1 \
                    and (lv.bounds[1 + a][d].max or 2) > 1:
                out.append(lv.fanout[a])
    return out


def _buffer_sizes(space: MapSpace) -> list[int]:
    """Capacities (words) of the buffers below the outermost level (dummies and one-word
    registers left out: Simba's and the simple arrays' operand registers hold one word
    whatever the tiling, so they say nothing about how a dimension splits)."""
    return [lv.capacity for st, lv in zip(space.arch.storage[:-1], space.levels[:-1])
            if lv.capacity and lv.capacity > 1 and not st.is_dummy]


def awkward_dims(space: MapSpace) -> dict[int, str]:
    """Dimensions (index -> reason) with a prime factor larger than a fan-out they may
    use or than a buffer holds: the default rule for searching imperfect factors."""
    out: dict[int, str] = {}
    caps = _buffer_sizes(space)
    for d, b in enumerate(space.workload.bounds):
        if b < 2:
            continue
        p = max(q for q, _ in prime_factors(b))
        axes = _axes(space, d)
        if axes and p > min(axes):
            out[d] = f"prime factor {p} of {space.dims[d]}={b} exceeds the fan-out {min(axes)}"
        elif caps and p > min(caps):
            out[d] = (f"prime factor {p} of {space.dims[d]}={b} exceeds a buffer of "
                      f"{min(caps)} words")
    return out


def imperfect_wanted(space: MapSpace, mode: str = "auto") -> bool:
    """Whether to search imperfect factors: `mode` "on"/"off", or "auto": when the
    constraints ask for it (ruby / remainders) or a dimension is awkward. Sparse
    spaces (overbooked levels, densities, sparse optimizations) are left to the perfect
    search: residual factors are not checked against Sparseloop."""
    if mode == "off":
        return False
    if any(lv.density is not None for lv in space.levels) or space.workload.densities \
            or space.sparse is not None:
        return False
    if mode == "on":
        return True
    return ruby_requested(space.constraints) or bool(awkward_dims(space))


# -- which padded bounds ------------------------------------------------------------------
def smooth(n: int) -> int:
    """The largest prime factor of n (small = splits into many tile sizes)."""
    return max((p for p, _ in prime_factors(n)), default=1)


def pad_choices(bound: int, limit: int = 2) -> list[int]:
    """Up to `limit` padded bounds in (bound, bound * 1.125] with a smaller largest
    prime factor than `bound`, best first (largest prime <= 7 first, then the smaller
    padding)."""
    hi = max(bound + 1, int(bound * (1 + MAX_PAD)))
    base = smooth(bound)
    scored = sorted((smooth(n) > 7, n - bound, n) for n in range(bound + 1, hi + 1)
                    if smooth(n) < base)
    return [n for *_, n in scored[:limit]]


def best_product(mesh: int, bounds: Iterable[int]) -> int:
    """The largest product <= mesh of one divisor of each bound (perfect factors)."""
    from loopnest.mapper.mapspace import divisors

    reach = {1}
    for b in bounds:
        reach = {p * d for p in reach for d in divisors(b) if p * d <= mesh}
    return max(reach)


def _fanout_axes(space: MapSpace) -> list[tuple[int, list[int]]]:
    """(mesh, dims allowed on it) of every fan-out axis (meshX / meshY > 1)."""
    out = []
    nd = len(space.dims)
    for lv in space.levels:
        for a in (0, 1):
            mesh = lv.fanout[a]
            if mesh > 1:
                out.append((mesh, [d for d in range(nd) if lv.spatial_allowed[a][d]
                                   and lv.bounds[1 + a][d].exact != 1
                                   and (lv.bounds[1 + a][d].max or 2) > 1]))
    return out


JOINT_LIMIT = 4096  # largest product of meshes filled jointly (else axis by axis)


def fill(axes: list[tuple[int, list[int]]], bounds: list[int]) -> float:
    """The largest fraction of the fan-outs exact factors can use: jointly over the axes
    (a dimension's factors on several axes must divide its bound together) when the
    meshes multiply to at most JOINT_LIMIT, else the mean of the axes' own best."""
    from loopnest.mapper.mapspace import divisors

    if not axes:
        return 1.0
    total = math.prod(m for m, _ in axes)
    if total > JOINT_LIMIT:
        return sum(best_product(m, [bounds[d] for d in ds]) / m for m, ds in axes) / len(axes)
    states = {tuple(1 for _ in axes)}
    for d, b in enumerate(bounds):
        where = [k for k, (_, ds) in enumerate(axes) if d in ds]
        if not where or b == 1:
            continue
        new = set()
        for st in states:
            stack = [(0, st, b)]
            while stack:
                i, cur, rest = stack.pop()
                if i == len(where):
                    new.add(cur)
                    continue
                k = where[i]
                for f in divisors(rest):
                    if cur[k] * f > axes[k][0]:
                        break
                    stack.append((i + 1, cur[:k] + (cur[k] * f,) + cur[k + 1:], rest // f))
        states = new
    return max(math.prod(st) for st in states) / total


def _ranked_pads(space: MapSpace, bounds: list[int], skip: set[int]) -> list[tuple]:
    """(key, dim, padded bound) per dimension worth padding, best first: the padding
    (at most 12.5 %) that fills the fan-out axes exact divisors leave idle best (ties: a
    largest prime factor <= 7, then the smaller padding)."""
    axes = _fanout_axes(space)
    base = fill(axes, bounds)
    if base >= 1.0 - 1e-9:
        return []
    best: dict[int, tuple] = {}
    for d in sorted({d for _, ds in axes for d in ds} - skip):
        if bounds[d] < 3:
            continue
        hi = max(bounds[d] + 1, int(bounds[d] * (1 + MAX_PAD)))
        for n in range(bounds[d] + 1, hi + 1):
            gain = fill(axes, bounds[:d] + [n] + bounds[d + 1:]) - base
            if gain <= 1e-9:
                continue
            key = (-gain, smooth(n) > 7, n - bounds[d], n)
            if d not in best or key < best[d]:
                best[d] = key
    return sorted((key, d, key[-1]) for d, key in best.items())


def padding_plans(space: MapSpace, limit: int = 2) -> list[dict[str, int]]:
    """Padded bounds to search, best first, at most `limit` plans. Fan-out axes that
    exact divisors leave partly idle are filled by padding the dimensions allowed there
    (`_ranked_pads`): the first plan pads greedily, one dimension after another while
    that fills more (DPT's N=577 -> 588 on the columns, then M=1024 -> 1032 on the
    rows); the next plans pad the best single dimensions. Without an idle axis, a
    dimension whose prime factor exceeds a buffer is padded to a bound with smaller
    prime factors."""
    wl = space.workload
    bounds = list(wl.bounds)
    fixed = {d for d, n in enumerate(wl.dimensions) if n in _fixed_dims(space)}
    plans: list[dict[str, int]] = []
    greedy: dict[str, int] = {}
    cur = list(bounds)
    for _ in range(3):
        ranked = _ranked_pads(space, cur, fixed | {wl.dimensions.index(k) for k in greedy})
        if not ranked:
            break
        _, d, n = ranked[0]
        greedy[wl.dimensions[d]] = n
        cur[d] = n
    if greedy:
        plans.append(greedy)
    for _, d, n in _ranked_pads(space, bounds, fixed):
        plan = {wl.dimensions[d]: n}
        if plan not in plans:
            plans.append(plan)
    if plans:
        return plans[:limit]
    caps = _buffer_sizes(space)
    for d in awkward_dims(space):
        if d in fixed or not caps or smooth(bounds[d]) <= min(caps):
            continue  # only a prime factor no buffer takes is padded without an idle axis
        ch = pad_choices(bounds[d], 1)
        if ch:
            plans.append({wl.dimensions[d]: ch[0]})
    return plans[:limit]


def _fixed_dims(space: MapSpace) -> set[str]:
    """Dimensions a user constraint fixes to a factor other than 1 or the whole bound:
    padding them would change what the constraint means."""
    out = set()
    bound = space.workload.bound_map
    for lv in space.constraints.levels:
        for fb in lv.temporal_factors + lv.spatial_factors:
            if fb.exact not in (None, 0, 1, bound.get(fb.dim)) or fb.min not in (None, 0, 1):
                out.add(fb.dim)
    return out


def padded_workload(workload: Workload, pads: dict[str, int]) -> Workload:
    """The workload with the bounds of `pads` replaced."""
    return dataclasses.replace(workload, bounds=tuple(
        pads.get(d, b) for d, b in zip(workload.dimensions, workload.bounds)))


def padded_constraints(constraints: Constraints, workload: Workload,
                       pads: dict[str, int]) -> Constraints:
    """Constraints for the padded workload: a factor fixed to the whole (real) bound
    becomes the padded bound."""
    bound = workload.bound_map

    def fix(fbs: tuple[FactorBound, ...]) -> tuple[FactorBound, ...]:
        return tuple(dataclasses.replace(fb, exact=pads[fb.dim])
                     if fb.dim in pads and fb.exact == bound.get(fb.dim) else fb for fb in fbs)

    levels = tuple(dataclasses.replace(lc, temporal_factors=fix(lc.temporal_factors),
                                       spatial_factors=fix(lc.spatial_factors))
                   for lc in constraints.levels)
    return dataclasses.replace(constraints, levels=levels)


# -- padded mapping -> residual mapping -------------------------------------------------------
def residual_digits(bound: int, ends: list[int]) -> list[int] | None:
    """Residuals of loops with `ends` (outermost first) covering `bound`: the mixed-radix
    digits of bound - 1, plus one; None when the ends cover less than `bound`."""
    if math.prod(ends) < bound:
        return None
    rest = bound - 1
    out = []
    for k, e in enumerate(ends):
        below = math.prod(ends[k + 1:])
        digit = rest // below
        rest -= digit * below
        out.append(digit + 1)
    return out


def to_residual(mapping: Mapping, bounds: dict[str, int],
                allowed: set[tuple[int, str]] | None = None) -> Mapping | None:
    """The padded `mapping` as a mapping of the real `bounds`: the same ends, residuals
    from `residual_digits` (loops over a dimension walked from the outermost level
    inward, a level's temporal loops then its fan-out), except that the outermost loop
    of a dimension gets its residual as its end (it always runs to it). Then no spatial
    residual lacks a non-trivial loop above it, as Timeloop requires. None when the ends
    cannot cover a bound or (with `allowed`, the `remainders` slots) a residual falls
    elsewhere."""
    nl = len(mapping.levels)
    res: dict[tuple[int, str, str], int] = {}  # (level, kind, dim) -> residual
    ends_new: dict[tuple[int, str, str], int] = {}  # (level, kind, dim) -> shorter end
    for dim, bound in bounds.items():
        loops = []
        for s in range(nl - 1, -1, -1):
            lv = mapping.levels[s]
            loops += [(s, "temporal", lp) for lp in lv.temporal if lp.dim == dim and lp.end > 1]
            loops += [(s, "spatial", lp) for lp in lv.spatial if lp.dim == dim and lp.end > 1]
        ends = [lp.end for _, _, lp in loops]
        if math.prod(ends) == bound:
            continue
        digits = residual_digits(bound, ends)
        if digits is None:
            return None
        # The outermost loop always runs to its residual: its end can be the residual
        # (same iterations, fewer counted cycles, and a fan-out then needs no residual);
        # a loop left with end 1 hands that role to the next one in.
        k0 = 0
        while k0 < len(loops):
            s, kind, lp = loops[k0]
            if digits[k0] != lp.end:
                ends_new[(s, kind, dim)] = digits[k0]
            if digits[k0] > 1:
                break
            k0 += 1
        for k in range(k0 + 1, len(loops)):
            s, kind, lp = loops[k]
            r = digits[k]
            if r == lp.end:
                continue
            if allowed is not None and (s, kind) not in allowed:
                return None
            res[(s, kind, dim)] = r
    if not res and not ends_new:
        return mapping

    def fix(s: int, kind: str, lp):
        key = (s, kind, lp.dim)
        if lp.end <= 1:
            return lp
        if key in ends_new:
            return dataclasses.replace(lp, end=ends_new[key], residual=None)
        if key in res:
            return dataclasses.replace(lp, residual=res[key])
        return lp

    levels = []
    for s, lv in enumerate(mapping.levels):
        t = tuple(fix(s, "temporal", lp) for lp in lv.temporal)
        sp = tuple(fix(s, "spatial", lp) for lp in lv.spatial)
        levels.append(dataclasses.replace(lv, temporal=t, spatial=sp))
    return Mapping(tuple(levels))
