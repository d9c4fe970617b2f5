"""Shared helpers for the report tests (no tests here): where the reference corpus lives
and how to turn its map.yaml back into IR objects."""
from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from loopnest.ir import Architecture, ComputeLevel, DataSpace, LevelMapping, Loop, Mapping, StorageLevel
from loopnest.ir import Workload

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
IMPERFECT = SHARED / "imperfect"  # Timeloop runs with residual factors (P=20,17)


def corpus_files(pattern: str) -> list[Path]:
    """Reference files matching `pattern` in the corpus and the residual-factor cases
    (empty when the shared corpus is absent)."""
    return [p for root in (CORPUS, IMPERFECT) if root.is_dir() for p in sorted(root.rglob(pattern))]


def ids(paths: list[Path]) -> list[str]:
    return [str(p.parent.relative_to(IMPERFECT.parent if p.is_relative_to(IMPERFECT) else CORPUS))
            for p in paths]


def _factors(text: str) -> list[tuple[str, int]]:
    out = []
    for tok in text.split():
        out.append((tok[0], int(tok[1:])))
    return out


def ir_from_map_yaml(text: str) -> tuple[Workload, Architecture, Mapping]:
    """Build workload, architecture and mapping from a mapper map.yaml's own directives."""
    directives = YAML(typ="safe").load(text)["mapping"]
    names: list[str] = []
    keep: dict[str, list[str]] = {}
    ds_order: list[str] = []
    for d in directives:
        if d["type"] == "datatype":
            names.append(d["target"])
            keep[d["target"]] = list(d["keep"] or [])
            every = list(d["keep"] or []) + list(d["bypass"] or [])
            if len(every) > len(ds_order) and not d["bypass"]:
                ds_order = every
    dims: list[str] = []
    bounds: dict[str, int] = {}
    temporal: dict[str, tuple[Loop, ...]] = {}
    spatial: dict[str, tuple[Loop, ...]] = {}
    for d in directives:
        if d["type"] not in ("temporal", "spatial"):
            continue
        f = dict(_factors(d["factors"]))
        dims = dims or [k for k, _ in _factors(d["factors"])]
        for k, v in f.items():
            bounds[k] = bounds.get(k, 1) * v
        perm = d["permutation"]
        if d["type"] == "temporal":
            temporal[d["target"]] = tuple(Loop(c, f[c]) for c in perm if f[c] > 1)
        else:
            split = d["split"]
            spatial[d["target"]] = tuple(
                Loop(c, f[c], "X" if i < split else "Y") for i, c in enumerate(perm) if f[c] > 1)
    workload = Workload("w", tuple(dims), tuple(bounds[k] for k in dims),
                        tuple(DataSpace(n, ()) for n in ds_order))
    arch = Architecture(tuple(StorageLevel(n) for n in names), ComputeLevel("mac"))
    mapping = Mapping(tuple(
        LevelMapping(temporal=temporal.get(n, ()), spatial=spatial.get(n, ()),
                     keep=frozenset(keep[n]), bypass=frozenset(set(ds_order) - set(keep[n])))
        for n in names))
    return workload, arch, mapping
