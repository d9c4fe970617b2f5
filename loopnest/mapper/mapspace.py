"""The map space implied by an architecture and its constraints.

A candidate mapping is split into three parts the search treats differently:

* a *tiling*: per storage level and dimension the temporal factor and the spatial
  X / Y factors (exact factorization of every bound),
* per level a temporal *permutation* (inner loop first),
* per level the *kept* data spaces.

`MapSpace` holds, for every level, what is allowed for each part (factor bounds,
spatial X/Y admissibility, partial-order permutation constraints, fixed keep /
bypass) and builds IR `Mapping`s from candidates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterable

from loopnest.ir.architecture import Architecture
from loopnest.ir.constraints import Constraints, FactorBound, LevelConstraints
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.ir.workload import Workload

# Slot kinds of one level.
T, SX, SY = 0, 1, 2
SLOT_NAMES = ("temporal", "spatial-X", "spatial-Y")


@lru_cache(maxsize=None)
def prime_factors(n: int) -> tuple[tuple[int, int], ...]:
    """((p, e), ...) with n = prod p**e, p ascending."""
    out = []
    m, p = n, 2
    while p * p <= m:
        e = 0
        while m % p == 0:
            m //= p
            e += 1
        if e:
            out.append((p, e))
        p += 1
    if m > 1:
        out.append((m, 1))
    return tuple(out)


@lru_cache(maxsize=None)
def divisors(n: int) -> tuple[int, ...]:
    """All divisors of n, ascending."""
    small = [d for d in range(1, int(math.isqrt(n)) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


@dataclass(frozen=True)
class Bounds:
    """Allowed range of one factor: min <= f <= max, f == exact when set."""

    exact: int | None = None
    min: int = 1
    max: int | None = None

    def admits(self, f: int) -> bool:
        if self.exact is not None and f != self.exact:
            return False
        if f < self.min:
            return False
        return self.max is None or f <= self.max


@dataclass
class Tiling:
    """Factors f[level][kind][dim index] (kind = T, SX, SY)."""

    f: list[list[list[int]]]
    # key() cached: a tiling is never changed once used (moves change fresh copies)
    _key: tuple | None = field(default=None, repr=False, compare=False)

    def key(self) -> tuple:
        if self._key is None:
            self._key = tuple(tuple(tuple(k) for k in lv) for lv in self.f)
        return self._key

    def copy(self) -> "Tiling":
        return Tiling([[list(k) for k in lv] for lv in self.f])


@dataclass
class Candidate:
    """A full point of the map space: tiling, temporal permutations, kept data spaces."""

    tiling: Tiling
    perms: list[tuple[int, ...]]  # per level: dim indices, inner first (all dims)
    keep: list[frozenset[str]]
    # key() cached: moves build a new candidate and change it before its key is asked
    _key: tuple | None = field(default=None, repr=False, compare=False)

    def key(self) -> tuple:
        if self._key is None:
            self._key = (self.tiling.key(), tuple(self.perms),
                         tuple(tuple(sorted(k)) for k in self.keep))
        return self._key

    def copy(self) -> "Candidate":
        return Candidate(self.tiling.copy(), list(self.perms), list(self.keep))


@dataclass
class LevelSpace:
    """What may vary at one storage level."""

    name: str
    fanout: tuple[int, int]
    capacity: int | None  # effective size in words; None = unlimited
    min_used: int  # from the level's min_utilization attribute (words)
    bounds: list[list[Bounds]]  # [kind][dim]
    spatial_allowed: list[list[bool]]  # [X/Y][dim] (index 0 = X, 1 = Y)
    perm_prefix: tuple[int, ...]  # forced innermost temporal dims, in order
    perm_suffix: tuple[int, ...]  # forced outermost temporal dims, in order
    sperm_prefix: tuple[int, ...]
    sperm_suffix: tuple[int, ...]
    keep_fixed: frozenset[str]
    bypass_fixed: frozenset[str]
    keep_free: tuple[str, ...]
    lc: LevelConstraints
    # Sparse occupancy (max_overbooked_proportion on an overbooking level): a kept tile
    # occupies ceil(density * dense words); None = dense words.
    density: dict[str, float] | None = None


@dataclass
class MapSpace:
    """Everything the mapper may choose, with the rules that make a choice valid."""

    workload: Workload
    arch: Architecture
    constraints: Constraints
    levels: list[LevelSpace]
    min_parallelism: float | None = None  # product of used/available fan-out
    notes: list[str] = field(default_factory=list)
    # The design's SparseSpec (loopnest.model.sparse.spec), None for a dense design.
    sparse: Any = field(default=None, repr=False, compare=False)
    _level_cache: dict = field(default_factory=dict, repr=False, compare=False)
    _ranks: list | None = field(default=None, repr=False, compare=False)
    _checks: list | None = field(default=None, repr=False, compare=False)
    _perm_free: list | None = field(default=None, repr=False, compare=False)
    _slots: list | None = field(default=None, repr=False, compare=False)
    _dim_slots: list | None = field(default=None, repr=False, compare=False)

    def perm_free(self, level: int) -> tuple[tuple[int, ...], frozenset[int]]:
        """(dims not fixed by the level's permutation constraints, in order; the fixed
        ones), cached: the moves ask for them on every candidate."""
        if self._perm_free is None:
            out = []
            for lv in self.levels:
                fixed = frozenset(lv.perm_prefix) | frozenset(lv.perm_suffix)
                out.append((tuple(d for d in range(len(self.workload.dimensions))
                                  if d not in fixed), fixed))
            self._perm_free = out
        return self._perm_free[level]

    def ds_ranks(self) -> list[tuple[str, list[list[tuple[int, int]]]]]:
        """Per data space: (name, ranks as [(dim index, coefficient)])."""
        if self._ranks is None:
            idx = {d: k for k, d in enumerate(self.workload.dimensions)}
            self._ranks = [(ds.name, [[(idx[d], c) for d, c in rank] for rank in ds.projection])
                           for ds in self.workload.data_spaces]
        return self._ranks

    def used_words(self, tiling: Tiling, level: int, keep: frozenset[str]) -> int:
        """Words the kept tiles occupy at `level` (sliding-window halos included)."""
        nd = len(self.workload.dimensions)
        ext = [1] * nd
        for lv in tiling.f[:level + 1]:
            t, x, y = lv
            ext = [ext[d] * t[d] * x[d] * y[d] for d in range(nd)]
        return self.words_at(ext, level, keep)

    def words_at(self, ext: list[int], level: int, keep: frozenset[str]) -> int:
        """Words the kept tiles of extents `ext` occupy at `level`."""
        used = 0
        dens = self.levels[level].density
        for name, ranks in self.ds_ranks():
            if name in keep:
                size = 1
                for rank in ranks:  # (plain loops: the moves ask this on every candidate)
                    w = 1
                    for d, c in rank:
                        w += c * (ext[d] - 1)
                    size *= w
                used += size if dens is None else occupancy(size, dens[name])
        return used

    @property
    def dims(self) -> tuple[str, ...]:
        return self.workload.dimensions

    @property
    def nlevels(self) -> int:
        return len(self.levels)

    def slots(self) -> list[tuple[int, int]]:
        """(level, kind) pairs that can hold a non-unit factor (cached; do not change
        the list)."""
        if self._slots is None:
            out = []
            for i, lv in enumerate(self.levels):
                out.append((i, T))
                if lv.fanout[0] > 1:
                    out.append((i, SX))
                if lv.fanout[1] > 1:
                    out.append((i, SY))
            self._slots = out
        return self._slots

    def dim_slots(self, d: int) -> list[tuple[int, int]]:
        """The slots dimension `d` may use: every temporal one, and the fan-outs that
        allow it (cached, in `slots()` order; do not change the list)."""
        if self._dim_slots is None:
            self._dim_slots = [
                [t for t in self.slots()
                 if t[1] == T or self.levels[t[0]].spatial_allowed[t[1] - 1][k]]
                for k in range(len(self.workload.dimensions))]
        return self._dim_slots[d]

    def to_mapping(self, cand: Candidate) -> Mapping:
        """Build the IR mapping of a candidate (levels cached: neighbours share most)."""
        cache = self._level_cache
        if len(cache) > 200_000:
            cache.clear()
        levels = []
        for i in range(len(self.levels)):
            f = cand.tiling.f[i]
            key = (i, tuple(f[T]), tuple(f[SX]), tuple(f[SY]), cand.perms[i], cand.keep[i])
            lm = cache.get(key)
            if lm is None:
                lm = cache[key] = self._level_mapping(i, f, cand.perms[i], cand.keep[i])
            levels.append(lm)
        return Mapping(tuple(levels))

    def _level_mapping(self, i: int, f: list[list[int]], perm: tuple[int, ...],
                       keep: frozenset[str]) -> LevelMapping:
        dims = self.dims
        lv = self.levels[i]
        temporal = tuple(Loop(dims[d], f[T][d]) for d in perm)
        sp_order = spatial_order(lv, f)
        xs = [d for d in sp_order if f[SX][d] > 1]
        ys = [d for d in sp_order if f[SY][d] > 1]
        rest = [d for d in sp_order if f[SX][d] == 1 and f[SY][d] == 1]
        spatial = tuple(Loop(dims[d], f[SX][d], "X") for d in xs) + tuple(
            Loop(dims[d], f[SY][d], "Y") for d in ys)
        if lv.fanout[0] * lv.fanout[1] > 1:
            sperm = "".join(dims[d] for d in xs + ys + rest)
            split = len(xs)
        else:
            sperm, split = "", None
        lc = lv.lc
        return LevelMapping(
            temporal=temporal,
            spatial=spatial,
            keep=frozenset(keep),
            bypass=frozenset(self.workload.ds_names) - keep,
            no_temporal_reuse=lc.no_temporal_reuse,
            no_spatial_reuse=lc.no_spatial_reuse,
            no_link_transfer=lc.no_link_transfer,
            temporal_permutation="".join(dims[d] for d in perm),
            spatial_permutation=sperm,
            split=split,
        )


def occupancy(words: int, density: float) -> int:
    """Words a tile of `words` dense words occupies at `density` (fixed-structured)."""
    f = Fraction(density).limit_denominator(10_000)
    return -(-words * f.numerator // f.denominator)


def spatial_order(lv: LevelSpace, f: list[list[int]]) -> list[int]:
    """Spatial loop order of a level: constraint prefix, free dims, constraint suffix."""
    n = len(f[T])
    fixed = set(lv.sperm_prefix) | set(lv.sperm_suffix)
    return list(lv.sperm_prefix) + [d for d in range(n) if d not in fixed] + list(lv.sperm_suffix)


def _bounds_from(fbs: Iterable[FactorBound], dims: tuple[str, ...], bound: dict[str, int],
                 dflt_min: int | None, dflt_max: int | None, notes: list[str],
                 where: str) -> list[Bounds]:
    given = {}
    for fb in fbs:
        if fb.dim not in bound:
            continue
        exact = fb.exact
        if exact is not None and exact == 0:
            exact = None  # "whole dimension" residual: left free (documented)
        if exact is not None and exact > bound[fb.dim]:
            notes.append(f"{where}: factor {fb.dim}={exact} exceeds the bound {bound[fb.dim]}; ignored")
            exact = None
        old = given.get(fb.dim, Bounds())
        given[fb.dim] = Bounds(
            exact=exact if exact is not None else old.exact,
            min=max(old.min, fb.min or 1),
            max=min(x for x in (old.max, fb.max) if x is not None) if (old.max or fb.max) else None,
        )
    out = []
    for d in dims:
        if d in given:
            out.append(given[d])
        else:
            out.append(Bounds(min=dflt_min or 1, max=dflt_max))
    return out


def _perm_idx(text: str, dims: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(dims.index(c) for c in text if c in dims)


def build_mapspace(workload: Workload, arch: Architecture,
                   constraints: Constraints | None = None, sparse: Any = None) -> MapSpace:
    """Derive the map space of `workload` on `arch` under `constraints`. `sparse`: the
    design's SparseSpec: candidates are then scored by the sparse model, and a tile kept
    with a representation format at a level occupies its compressed size there."""
    n = len(arch.storage)
    if constraints is None or not constraints.levels:
        constraints = Constraints(tuple(LevelConstraints() for _ in range(n)))
    dims = workload.dimensions
    bound = workload.bound_map
    ds_names = workload.ds_names
    all_words = sum(math.prod(sum(c * (bound[d] - 1) for d, c in rank) + 1
                              for rank in ds.projection) for ds in workload.data_spaces)
    notes: list[str] = []
    levels: list[LevelSpace] = []
    min_par = None
    for i, st in enumerate(arch.storage):
        lc = constraints.levels[i] if i < len(constraints.levels) else LevelConstraints()
        fx, fy = arch.fanout(i)
        tb = _bounds_from(lc.temporal_factors, dims, bound, lc.default_min_factor,
                          lc.default_max_factor, notes, f"{st.name} temporal")
        sb = _bounds_from(lc.spatial_factors, dims, bound, None, None, notes,
                          f"{st.name} spatial")
        # Spatial X/Y admissibility from the spatial permutation + split.
        sp_pre = _perm_idx(lc.spatial_permutation_prefix, dims)
        sp_suf = _perm_idx(lc.spatial_permutation_suffix, dims)
        xa = [fx > 1] * len(dims)
        ya = [fy > 1] * len(dims)
        if lc.split is not None and fx * fy > 1:
            split = lc.split
            nd = len(dims)
            for pos, d in enumerate(sp_pre):
                xa[d] = xa[d] and pos < split
                ya[d] = ya[d] and pos >= split
            for k, d in enumerate(sp_suf):
                pos = nd - len(sp_suf) + k
                xa[d] = xa[d] and pos < split
                ya[d] = ya[d] and pos >= split
            fixed = set(sp_pre) | set(sp_suf)
            for d in range(nd):
                if d in fixed:
                    continue
                if split <= len(sp_pre):
                    xa[d] = False
                if split >= nd - len(sp_suf):
                    ya[d] = False
        # Keep / bypass.
        keep_fixed = frozenset(lc.keep) & frozenset(ds_names)
        bypass_fixed = frozenset(lc.bypass) & frozenset(ds_names)
        if i == n - 1:
            keep_fixed = frozenset(ds_names) - bypass_fixed
        if st.is_dummy and not (lc.keep or lc.bypass):
            bypass_fixed = frozenset(ds_names)
            notes.append(f"{st.name}: dummy level, bypassed for every data space")
        if st.is_dummy and not lc.temporal_factors:
            tb = [Bounds(exact=1) for _ in dims]
        keep_free = tuple(ds for ds in ds_names if ds not in keep_fixed and ds not in bypass_fixed)
        cap = st.effective_size
        density = None
        p = lc.max_overbooked_proportion
        if st.allow_overbooking and p is not None and cap is not None:
            if p >= 1.0:
                cap = None  # overbooking always allowed: no capacity limit
                notes.append(f"{st.name}: max_overbooked_proportion {p} >= 1, capacity not enforced")
            else:
                dens = dict(workload.densities)
                density = {ds: float(dens.get(ds, 1.0)) for ds in ds_names}
        if sparse is not None and density is None:
            density = compressed_occupancy(sparse, i, ds_names)
        min_used = int(math.ceil(cap * st.min_utilization)) if cap and st.min_utilization else 0
        # No tile exceeds all the data: a larger size cannot bind (and would overflow
        # CP-SAT's 64-bit integers); a larger minimum stays unreachable.
        min_used = min(min_used, all_words + 1)
        if cap is not None and cap >= all_words:
            cap = None
        if lc.min_utilization:
            min_par = max(min_par or 0.0, lc.min_utilization)
        levels.append(LevelSpace(
            name=st.name, fanout=(fx, fy), capacity=cap, min_used=min_used,
            bounds=[tb, sb, sb], spatial_allowed=[xa, ya],
            perm_prefix=_perm_idx(lc.temporal_permutation_prefix, dims),
            perm_suffix=_perm_idx(lc.temporal_permutation_suffix, dims),
            sperm_prefix=sp_pre, sperm_suffix=sp_suf,
            keep_fixed=keep_fixed, bypass_fixed=bypass_fixed, keep_free=keep_free, lc=lc,
            density=density,
        ))
    return MapSpace(workload, arch, constraints, levels, min_par, notes, sparse=sparse)


def compressed_occupancy(sparse: Any, level: int, ds_names: tuple[str, ...]
                         ) -> dict[str, float] | None:
    """Per data space, the fraction of its dense words a tile kept at `level` occupies
    under the sparse model (None when all are dense). A tile kept with a representation
    format holds its maximum occupancy: ceil(density x words) for a fixed-structured
    density, as the sparse model's capacity check counts it. Other distributions keep
    dense words (their maximum occupancy is the whole tile but for tiny tensors), so
    the space never admits a tile the sparse model would refuse for its data words."""
    out = {}
    for ds in ds_names:
        d = sparse.densities.get(ds)
        fixed = d is not None and d.distribution == "fixed_structured"
        out[ds] = float(d.density) if fixed and sparse.format_of(level, ds) is not None \
            else 1.0
    return out if any(v < 1.0 for v in out.values()) else None


def footprint(workload: Workload, ext: list[int]) -> dict[str, int]:
    """Words of each data space's tile for per-dimension extents `ext` (halos included)."""
    idx = {d: k for k, d in enumerate(workload.dimensions)}
    out = {}
    for ds in workload.data_spaces:
        size = 1
        for rank in ds.projection:
            size *= sum(c * (ext[idx[d]] - 1) for d, c in rank) + 1
        out[ds.name] = size
    return out


def extents(space: MapSpace, tiling: Tiling) -> list[list[int]]:
    """ext[level][dim]: product of all factors at levels <= level (spatial included)."""
    nd = len(space.dims)
    cur = [1] * nd
    out = []
    for lv in tiling.f:
        cur = [cur[d] * lv[T][d] * lv[SX][d] * lv[SY][d] for d in range(nd)]
        out.append(list(cur))
    return out


def perm_choices(space: MapSpace, level: int, tiling: Tiling) -> list[int]:
    """Dims whose temporal order at `level` is free (non-unit, not fixed by constraints)."""
    f = tiling.f[level][T]
    return [d for d in space.perm_free(level)[0] if f[d] > 1]


def make_perm(space: MapSpace, level: int, tiling: Tiling, free_order: Iterable[int]) -> tuple[int, ...]:
    """Full temporal permutation: unit dims, prefix, `free_order`, the rest, suffix."""
    lv = space.levels[level]
    f = tiling.f[level][T]
    movable = space.perm_free(level)[0]
    free = list(free_order)
    units = [d for d in movable if f[d] == 1]
    rest = [d for d in movable if f[d] > 1 and d not in free]
    return tuple(list(lv.perm_prefix) + units + free + rest + list(lv.perm_suffix))
