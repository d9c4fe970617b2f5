"""The layer result cache: a finished layer is never mapped twice for the same inputs.

Key = SHA-256 of everything that decides the result: the layer's shape (the parsed
`problem:`, canonical JSON, so file names and comments do not matter), the rendered
design text (architecture, constraints, mapper settings after `--set`), the energy
models, the search budget and seed, a cache format number, and a fingerprint of
loopnest's own model/mapper/energy code (a new version never reuses stale results).

Where: one JSON file per layer under a per-user folder (`$LOOPNEST_CACHE_DIR`, else
`$XDG_CACHE_HOME/loopnest/layers`, else `~/.cache/loopnest/layers`), because
the point is reuse across runs *and* output folders: ResNet-18 and ResNet-50 share
layer shapes, and sweeps write each run to its own folder. `--cache-dir` moves it
(e.g. into the output folder for a self-contained project). Entries are written
atomically the moment a layer finishes, so Ctrl-C loses nothing already done and
concurrent runs never see half a file. A layer's seeded second search (a network's
starts from sibling layers) is stored under its own key (`seeded_key`).
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from loopnest.network.results import LayerRecord
from loopnest.network.task import Budget

CACHE_VERSION = 2  # 2: records carry their best mapping and its cost (seeded searches)
_CODE_PARTS = ("spec", "ir", "model", "mapper", "energy")
_CODE_SUFFIXES = (".py", ".json", ".yaml", ".csv", ".txt")


def default_cache_dir() -> Path:
    """The per-user cache folder (see the module doc)."""
    env = os.environ.get("LOOPNEST_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "loopnest" / "layers"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the source and data files that compute a layer's result (~20 ms)."""
    import loopnest

    root = Path(loopnest.__file__).resolve().parent
    h = hashlib.sha256(str(getattr(loopnest, "__version__", "")).encode())
    for part in _CODE_PARTS:
        for f in sorted((root / part).rglob("*")):
            if f.is_file() and f.suffix in _CODE_SUFFIXES and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


def canonical_problem(problem: Any) -> str:
    """The layer's shape as canonical JSON (key order, comments and file names ignored)."""
    from loopnest.spec.located import to_plain

    return json.dumps(to_plain(problem), sort_keys=True, default=str)


def layer_key(problem: str, spec_text: str, budget: Budget, energy_models: str) -> str:
    """The cache key of one (design, layer, budget) task."""
    blob = json.dumps({"v": CACHE_VERSION, "code": code_fingerprint(), "problem": problem,
                       "design": spec_text, "budget": budget.as_dict(),
                       "energy_models": energy_models}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def seeded_key(key: str, sources: Any) -> str:
    """The cache key of a layer's seeded second search (pipeline.seed_tasks): the
    layer's own key and the (label, mapping) pairs it starts from. Its first search's
    entry stays under `key`, so a sweep or another network gets the same first result
    whatever ran before."""
    blob = json.dumps({"v": CACHE_VERSION, "layer": key, "sources": sources}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResultCache:
    """Finished layer records on disk; `root=None` disables the cache."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.stored = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> LayerRecord | None:
        """The cached record, or None (missing, unreadable or from another format)."""
        if self.root is None:
            return None
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            rec = LayerRecord.from_dict(data)
        except (OSError, ValueError, TypeError):
            return None
        if rec.key != key or not rec.ok:
            return None
        rec.cached = True
        self.hits += 1
        return rec

    def put(self, record: LayerRecord) -> None:
        """Store a successful record (failures are retried next time)."""
        if self.root is None or not record.ok:
            return
        from loopnest.report.files import write_atomic

        path = self._path(record.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(record.to_dict()))
        self.stored += 1
