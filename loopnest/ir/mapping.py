"""Mapping: per storage level, spatial and temporal loops and the kept data spaces."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loop:
    """One loop: `for dim in [0:end)`, temporal or spatial along X or Y."""

    dim: str
    end: int
    spatial: str | None = None  # None (temporal), "X" or "Y"
    residual: int | None = None  # imperfect factorization (ruby); None = perfect


@dataclass(frozen=True)
class LevelMapping:
    """Loops owned by one storage level.

    `temporal` and `spatial` are inner loop first (Timeloop's permutation order).
    `spatial` holds the fan-out below this level: X loops first, then Y loops.
    Trivial (end 1) loops may be present; the model skips them.
    """

    temporal: tuple[Loop, ...] = ()
    spatial: tuple[Loop, ...] = ()
    keep: frozenset[str] = frozenset()
    bypass: frozenset[str] = frozenset()
    no_temporal_reuse: frozenset[str] = frozenset()
    no_spatial_reuse: frozenset[str] = frozenset()
    no_link_transfer: frozenset[str] = frozenset()
    rmw_first_update: frozenset[str] = frozenset()
    no_coalesce: frozenset[str] = frozenset()
    # Factor order as written (problem order), for map.yaml round trips.
    temporal_permutation: str = ""
    spatial_permutation: str = ""
    split: int | None = None


@dataclass(frozen=True)
class Mapping:
    """Per storage level mappings, index-aligned with `Architecture.storage`."""

    levels: tuple[LevelMapping, ...]

    def kept(self, level: int, ds: str) -> bool:
        return ds in self.levels[level].keep
