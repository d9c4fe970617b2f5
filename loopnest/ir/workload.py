"""Workload: an Einsum-like problem (dimensions, bounds, data spaces with affine projections)."""
from __future__ import annotations

from dataclasses import dataclass

# A projection term: (dimension name, coefficient value). A rank is the sum of its terms.
Term = tuple[str, int]
Rank = tuple[Term, ...]


@dataclass(frozen=True)
class DataSpace:
    """One tensor of the problem: its projection from operation space, read-write flag."""

    name: str
    projection: tuple[Rank, ...]
    read_write: bool = False
    # Coefficient names per term, kept for reporting (None = literal 1).
    coefficient_names: tuple[tuple[str | None, ...], ...] = ()
    density: float | None = None  # Sparseloop only; kept for later

    def dims(self) -> frozenset[str]:
        """Dimensions this data space depends on."""
        return frozenset(d for rank in self.projection for d, _ in rank)


@dataclass(frozen=True)
class Workload:
    """Problem shape plus instance: dimension bounds and resolved coefficients."""

    name: str
    dimensions: tuple[str, ...]
    bounds: tuple[int, ...]  # aligned with `dimensions`
    data_spaces: tuple[DataSpace, ...]
    coefficients: tuple[tuple[str, int], ...] = ()
    densities: tuple[tuple[str, float], ...] = ()

    def bound(self, dim: str) -> int:
        return self.bounds[self.dimensions.index(dim)]

    @property
    def bound_map(self) -> dict[str, int]:
        return dict(zip(self.dimensions, self.bounds))

    def data_space(self, name: str) -> DataSpace:
        for ds in self.data_spaces:
            if ds.name == name:
                return ds
        raise KeyError(name)

    @property
    def ds_names(self) -> tuple[str, ...]:
        return tuple(ds.name for ds in self.data_spaces)

    @property
    def macs(self) -> int:
        n = 1
        for b in self.bounds:
            n *= b
        return n

    def tile_sizes(self, ext: dict[str, int] | None = None) -> dict[str, int]:
        """Words of each data space's tile for loop extents `ext` (default: the whole
        problem): the bounding box of its projection, per rank sum(c * (extent - 1)) + 1,
        multiplied over ranks (Timeloop's footprint: a stride-2 window's box includes the
        skipped points). Dimensions missing from `ext` count as extent 1."""
        ext = self.bound_map if ext is None else ext
        out = {}
        for ds in self.data_spaces:
            size = 1
            for rank in ds.projection:
                size *= sum(c * (ext.get(d, 1) - 1) for d, c in rank) + 1
            out[ds.name] = size
        return out
