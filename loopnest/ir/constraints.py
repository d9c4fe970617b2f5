"""Mapping constraints (Timeloop architecture_constraints / mapspace_constraints).

Everything the mapper must respect, after v0.4 macros are expanded and targets
resolved to storage-level indices (0 = innermost, as in `Architecture.storage`).
A spatial constraint targeting a fan-out container is already moved to its
`inter_<name>_spatial` dummy level.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FactorBound:
    """Bounds on one dimension's factor at one level: exact, min and/or max."""

    dim: str
    exact: int | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class LevelConstraints:
    """What the user fixed or bounded at one storage level."""

    temporal_factors: tuple[FactorBound, ...] = ()
    spatial_factors: tuple[FactorBound, ...] = ()
    # Permutations: inner-most first. `*_prefix` dims are the innermost loops in that
    # order; `*_suffix` dims are the outermost (the part after `_`). Others free.
    temporal_permutation_prefix: str = ""
    temporal_permutation_suffix: str = ""
    spatial_permutation_prefix: str = ""
    spatial_permutation_suffix: str = ""
    split: int | None = None
    keep: frozenset[str] = frozenset()
    bypass: frozenset[str] = frozenset()
    no_link_transfer: frozenset[str] = frozenset()
    no_temporal_reuse: frozenset[str] = frozenset()
    no_spatial_reuse: frozenset[str] = frozenset()
    max_overbooked_proportion: float | None = None
    min_utilization: float | None = None  # `utilization`/`parallelism` min
    default_max_factor: int | None = None
    default_min_factor: int | None = None
    # Timeloop's `remainders` (ruby mapspace): residual factors allowed at this level's
    # temporal / spatial loops (the number is Timeloop's largest remainder there).
    temporal_remainders: int | None = None
    spatial_remainders: int | None = None


@dataclass(frozen=True)
class Constraints:
    """Per-level constraints, index-aligned with `Architecture.storage`."""

    levels: tuple[LevelConstraints, ...]
    # Where each constraint came from, for messages in the user's terms:
    # (level index, kind, text, "file:line").
    origins: tuple[tuple[int, str, str, str], ...] = ()
    # The mapspace template (`mapspace: {template: ruby}` searches imperfect factors).
    template: str = "uber"
