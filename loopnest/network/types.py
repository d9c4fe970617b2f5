"""Plain frozen records for a network: its layers and the per-layer numbers.

A `Network` is what a manifest (or a folder of problem files) says: an ordered list
of `Layer`s, each naming one Timeloop problem file and how many times it occurs.
Several layers may name the same file (identical shapes are stored once).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Layer:
    """One manifest entry: a problem file that occurs `count` times in the network."""

    name: str
    problem: Path  # absolute path of the problem file
    count: int = 1
    group: str | None = None  # optional phase/stage label (e.g. prefill / decode)


@dataclass(frozen=True)
class Network:
    """A named, ordered list of layers and where it was read from."""

    name: str
    layers: tuple[Layer, ...]
    description: str = ""
    source: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    manifest: Path | None = None  # None for a folder of problem files without a manifest
    root: Path | None = None  # the folder holding the manifest / problem files

    @property
    def problem_files(self) -> tuple[Path, ...]:
        """Distinct problem files, in first-use order."""
        return tuple(dict.fromkeys(layer.problem for layer in self.layers))

    @property
    def groups(self) -> tuple[str | None, ...]:
        """Distinct layer groups in first-use order (`(None,)` when no layer has one)."""
        return tuple(dict.fromkeys(layer.group for layer in self.layers))


@dataclass(frozen=True)
class LayerStats:
    """MACs and data-space sizes of one layer, per occurrence (multiply by `count`)."""

    name: str
    count: int
    shape: str  # the problem shape's name (conv2d, matmul, ...)
    bounds: dict[str, int]
    macs: int
    footprints: dict[str, int]  # words of each data space (Weights, Inputs, Outputs)
    group: str | None = None

    @property
    def total_macs(self) -> int:
        """MACs of all `count` occurrences."""
        return self.macs * self.count
