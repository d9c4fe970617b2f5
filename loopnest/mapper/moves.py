"""Fast feasibility of candidates and neighbourhood moves for the local search."""
from __future__ import annotations

import itertools
import math
import random

from loopnest.mapper.mapspace import (SX, T, Bounds, Candidate, MapSpace, Tiling, extents,
                                      footprint, make_perm, perm_choices, prime_factors)


def _checks(space: MapSpace) -> list[tuple]:
    """Per level, only the checks that can fail (cached on the space): non-trivial
    temporal and spatial bounds, dims barred from X / Y, fan-out, fixed keeps and
    whether capacity or min utilization applies."""
    if space._checks is None:
        free = Bounds()
        nd, last = len(space.dims), len(space.levels) - 1
        out = []
        for i, lv in enumerate(space.levels):
            out.append((
                [(d, b) for d, b in enumerate(lv.bounds[T]) if b != free],
                [(d, b) for d, b in enumerate(lv.bounds[SX]) if b != free],
                [d for d in range(nd) if not lv.spatial_allowed[0][d]],
                [d for d in range(nd) if not lv.spatial_allowed[1][d]],
                lv.fanout, lv.keep_fixed, lv.bypass_fixed,
                i < last and (lv.capacity is not None or bool(lv.min_used)),
                lv.capacity, lv.min_used))
        space._checks = out
    return space._checks


def feasible(space: MapSpace, cand: Candidate) -> bool:
    """The CP-SAT model's hard constraints, checked directly on one candidate (called on
    every neighbour the annealing proposes: plain loops over precomputed checks)."""
    f = cand.tiling.f
    par = 1
    ext = [1] * len(space.dims)
    for i, (tb, sb, nox, noy, (fx, fy), kfix, bfix, sized, cap, min_used) in enumerate(
            _checks(space)):
        t, x, y = f[i]
        for d, b in tb:
            if not b.admits(t[d]):
                return False
        for d in nox:
            if x[d] > 1:
                return False
        for d in noy:
            if y[d] > 1:
                return False
        px, py = math.prod(x), math.prod(y)
        if px > fx or py > fy:
            return False
        if px > 1 and py > 1:
            for xd, yd in zip(x, y):
                if xd > 1 and yd > 1:  # one dimension on both axes of a fan-out
                    return False
        if px * py > 1:
            ext = [e * a * b * c for e, a, b, c in zip(ext, t, x, y)]
        else:
            ext = [e * a for e, a in zip(ext, t)]
        for d, b in sb:
            if not b.admits(x[d] * y[d]):
                return False
        par *= px * py
        keep = cand.keep[i]
        if not kfix <= keep or bfix & keep:
            return False
        if sized:
            used = space.words_at(ext, i, keep)
            if (cap is not None and used > cap) or used < min_used:
                return False
    if space.min_parallelism:
        total = math.prod(lv.fanout[0] * lv.fanout[1] for lv in space.levels)
        if par < space.min_parallelism * total - 1e-9:
            return False
    return True


def fits(space: MapSpace, cand: Candidate, level: int) -> bool:
    """The kept tiles at `level` fit its capacity and meet its min utilization."""
    lv = space.levels[level]
    if (lv.capacity is None and not lv.min_used) or level == len(space.levels) - 1:
        return True
    used = space.used_words(cand.tiling, level, cand.keep[level])
    if lv.capacity is not None and used > lv.capacity:
        return False
    return used >= lv.min_used


def free_order(space: MapSpace, cand: Candidate, level: int) -> list[int]:
    """The order of the free non-unit temporal dims at `level` in the candidate's perm."""
    free = set(perm_choices(space, level, cand.tiling))
    return [d for d in cand.perms[level] if d in free]


def normalize(space: MapSpace, cand: Candidate, levels=None) -> Candidate:
    """Canonical permutations (unit dims first, then the free order) at `levels` (all
    when None: only levels whose temporal factors changed need it). The innermost
    level's order matters too: an innermost loop irrelevant to an operand leaves it
    unchanged between computes, so it is not read again."""
    perms = list(cand.perms)
    for i in (range(space.nlevels) if levels is None else set(levels)):
        order = free_order(space, cand, i)
        perms[i] = make_perm(space, i, cand.tiling, order)
    cand.perms = perms
    return cand


def _exp(n: int, p: int) -> int:
    c = 0
    while n % p == 0 and n > 0:
        n //= p
        c += 1
    return c


def _moved(cand: Candidate, changes: list[tuple[int, int, int, int]]) -> Candidate:
    """A copy of `cand` with factors set at (level, kind, dim) to values; the levels it
    does not touch are shared with `cand` (a tiling is never changed once built, and
    a move runs for every candidate the annealing proposes)."""
    f = list(cand.tiling.f)
    copied: set[int] = set()
    for lvl, kind, d, v in changes:
        if lvl not in copied:
            f[lvl] = [list(k) for k in f[lvl]]
            copied.add(lvl)
        f[lvl][kind][d] = v
    return Candidate(Tiling(f), list(cand.perms), list(cand.keep))


def _transfer(space: MapSpace, cand: Candidate, rng: random.Random, d: int, q: int,
              s: tuple[int, int], t: tuple[int, int]) -> Candidate:
    """`cand` with the factor `q` of dimension `d` moved from slot `s` to slot `t` (a
    dimension new at a temporal slot goes to a random place in its order)."""
    g = cand.tiling.f
    new = _moved(cand, [(s[0], s[1], d, g[s[0]][s[1]][d] // q),
                        (t[0], t[1], d, g[t[0]][t[1]][d] * q)])
    if t[1] == T and new.tiling.f[t[0]][T][d] == q:
        order = free_order(space, cand, t[0])
        order.insert(rng.randrange(len(order) + 1), d)
        new.perms[t[0]] = make_perm(space, t[0], new.tiling, order)
    return normalize(space, new, (s[0], t[0]))


def move_factor(space: MapSpace, cand: Candidate, rng: random.Random) -> Candidate | None:
    """Move one prime factor of one dimension between two slots."""
    bounds = space.workload.bounds
    dims = [d for d in range(len(bounds)) if bounds[d] > 1]
    if not dims:
        return None
    d = rng.choice(dims)
    p = rng.choice([p for p, _ in prime_factors(bounds[d])])
    g = cand.tiling.f
    src = [s for s in space.slots() if g[s[0]][s[1]][d] % p == 0]
    if not src:
        return None
    s = rng.choice(src)
    dst = [t for t in space.dim_slots(d) if t != s]
    if not dst:
        return None
    return _transfer(space, cand, rng, d, p, s, rng.choice(dst))


def move_chunk(space: MapSpace, cand: Candidate, rng: random.Random) -> Candidate | None:
    """Move a larger piece (p**k, k >= 1 random) of one dimension's factor between slots."""
    d = rng.randrange(len(space.dims))
    g = cand.tiling.f
    src = [s for s in space.slots() if g[s[0]][s[1]][d] > 1]
    if not src:
        return None
    s = rng.choice(src)
    q = rng.choice(_divisors_gt1(g[s[0]][s[1]][d]))
    dst = [t for t in space.dim_slots(d) if t != s]
    if not dst:
        return None
    return _transfer(space, cand, rng, d, q, s, rng.choice(dst))


def swap_factors(space: MapSpace, cand: Candidate, rng: random.Random) -> Candidate | None:
    """Exchange a prime of one dimension and a prime of another between two slots.

    Keeps both slots' sizes roughly balanced, so it crosses capacity walls that a
    single move cannot."""
    nd = len(space.dims)
    slots = space.slots()
    if len(slots) < 2:
        return None
    s, t = rng.sample(slots, 2)
    fs, ft = cand.tiling.f[s[0]][s[1]], cand.tiling.f[t[0]][t[1]]
    da = [d for d in range(nd) if fs[d] > 1 and _slot_ok(space, t, d)]
    db = [d for d in range(nd) if ft[d] > 1 and _slot_ok(space, s, d)]
    if not da or not db:
        return None
    a, b = rng.choice(da), rng.choice(db)
    if a == b:
        return None
    pa = rng.choice([p for p, _ in prime_factors(fs[a])])
    pb = rng.choice([p for p, _ in prime_factors(ft[b])])
    new = _moved(cand, [(s[0], s[1], a, fs[a] // pa), (t[0], t[1], a, ft[a] * pa),
                        (t[0], t[1], b, ft[b] // pb), (s[0], s[1], b, fs[b] * pb)])
    g = new.tiling.f
    for lvl, kind in (s, t):
        if kind == T and lvl > 0:
            order = free_order(space, cand, lvl)
            for d in range(nd):
                if (g[lvl][T][d] > 1 and d not in order
                        and d in perm_choices(space, lvl, new.tiling)):
                    order.insert(rng.randrange(len(order) + 1), d)
            new.perms[lvl] = make_perm(space, lvl, new.tiling, order)
    return normalize(space, new, (s[0], t[0]))


def _slot_ok(space: MapSpace, slot: tuple[int, int], d: int) -> bool:
    return slot[1] == T or space.levels[slot[0]].spatial_allowed[slot[1] - 1][d]


def _divisors_gt1(n: int) -> list[int]:
    from loopnest.mapper.mapspace import divisors  # O(sqrt n), cached: bounds may be huge

    return [q for q in divisors(n) if q > 1]


def move_perm(space: MapSpace, cand: Candidate, rng: random.Random) -> Candidate | None:
    """Reorder the free loops of one level (swap two, or bring one innermost)."""
    g = cand.tiling.f
    free = [[d for d in space.perm_free(i)[0] if g[i][T][d] > 1] for i in range(space.nlevels)]
    lv = [i for i in range(space.nlevels) if len(free[i]) >= 2]
    if not lv:
        return None
    i = rng.choice(lv)
    movable = set(free[i])
    order = [d for d in cand.perms[i] if d in movable]
    a, b = rng.sample(range(len(order)), 2)
    r = rng.random()
    if r < 0.4:
        order[a], order[b] = order[b], order[a]
    elif r < 0.7:
        order.insert(0, order.pop(a))
    else:
        order.insert(b, order.pop(a))
    new = Candidate(cand.tiling, list(cand.perms), list(cand.keep))  # tiling shared: unchanged
    new.perms[i] = make_perm(space, i, new.tiling, order)
    return new


def move_keep(space: MapSpace, cand: Candidate, rng: random.Random) -> Candidate | None:
    """Flip keep/bypass of one free (level, data space)."""
    opts = [(i, ds) for i, lv in enumerate(space.levels) for ds in lv.keep_free]
    if not opts:
        return None
    i, ds = rng.choice(opts)
    new = Candidate(cand.tiling, list(cand.perms), list(cand.keep))  # tiling shared: unchanged
    new.keep[i] = new.keep[i] ^ {ds}
    return new


def neighbours(space: MapSpace, cand: Candidate, rng: random.Random, count: int) -> list[Candidate]:
    """Up to `count` distinct feasible neighbours of `cand`."""
    out: dict[tuple, Candidate] = {}
    tries = 0
    base = cand.key()
    while len(out) < count and tries < count * 12:
        tries += 1
        r = rng.random()
        if r < 0.55:
            new = move_factor(space, cand, rng)
            if new is not None and rng.random() < 0.3:
                new = move_factor(space, new, rng) or new
        elif r < 0.85:
            new = move_perm(space, cand, rng)
        else:
            new = move_keep(space, cand, rng)
        if new is None:
            continue
        k = new.key()
        if k == base or k in out or not feasible(space, new):
            continue
        out[k] = new
    return list(out.values())


def random_neighbour(space: MapSpace, cand: Candidate, rng: random.Random,
                     tries: int = 20) -> Candidate | None:
    """One random feasible neighbour (factor, chunk, swap, order or keep move), or None."""
    for _ in range(tries):
        r = rng.random()
        if r < 0.35:
            new = move_factor(space, cand, rng)
        elif r < 0.45:
            new = move_chunk(space, cand, rng)
        elif r < 0.6:
            new = swap_factors(space, cand, rng)
        elif r < 0.88:
            new = move_perm(space, cand, rng)
            if new is not None:
                return new  # orders never affect feasibility
            continue
        else:
            new = move_keep(space, cand, rng)
            if new is not None and all(fits(space, new, i) for i in range(space.nlevels)
                                       if new.keep[i] != cand.keep[i]):
                return new
            continue
        if new is not None and feasible(space, new):
            return new
    return None


def random_orders(space: MapSpace, tiling: Tiling, rng: random.Random) -> list[tuple[int, ...]]:
    """Random free orders for every level."""
    perms = []
    for i in range(space.nlevels):
        order = perm_choices(space, i, tiling)
        rng.shuffle(order)
        perms.append(make_perm(space, i, tiling, order))
    return perms


def all_orders(space: MapSpace, tiling: Tiling, limit: int) -> list[list[tuple[int, ...]]] | None:
    """Every combination of per-level permutations, or None when more than `limit`."""
    per_level = []
    total = 1
    for i in range(space.nlevels):
        free = perm_choices(space, i, tiling)
        total *= math.factorial(len(free))
        if total > limit:
            return None
        per_level.append([make_perm(space, i, tiling, o) for o in itertools.permutations(free)])
    return [list(c) for c in itertools.product(*per_level)]


def greedy_keep(space: MapSpace, tiling: Tiling, base: list[frozenset[str]]) -> list[frozenset[str]]:
    """Keep every free data space that still fits, innermost level first."""
    keep = list(base)
    ext = extents(space, tiling)
    for i, lv in enumerate(space.levels[:-1]):
        if not lv.keep_free:
            continue
        fp = footprint(space.workload, ext[i])
        cur = set(keep[i]) | set(lv.keep_fixed)
        used = sum(fp[ds] for ds in cur)
        for ds in sorted(lv.keep_free, key=lambda x: fp[x]):
            if ds in cur:
                continue
            if lv.capacity is None or used + fp[ds] <= lv.capacity:
                cur.add(ds)
                used += fp[ds]
        keep[i] = frozenset(cur)
    return keep
