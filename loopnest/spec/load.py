"""PROVISIONAL minimal loader (plain YAML only); the front-end work replaces it.

Contract kept by the full version:
  load_spec(paths, variables=None) -> LocDict   merged top-level keys, expressions evaluated
"""
from __future__ import annotations

from typing import Any

from loopnest.spec.located import LocDict, LocList, child_path


def _wrap(obj: Any, file: str, path: str) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(obj, dict):
        line = obj.lc.line + 1 if isinstance(obj, CommentedMap) else None
        kl = {}
        if isinstance(obj, CommentedMap):
            for k in obj:
                try:
                    kl[k] = obj.lc.key(k)[0] + 1
                except Exception:
                    pass
        return LocDict({k: _wrap(v, file, child_path(path, k)) for k, v in obj.items()},
                       file=file, line=line, path=path, key_lines=kl)
    if isinstance(obj, list):
        line = obj.lc.line + 1 if isinstance(obj, CommentedSeq) else None
        kl = {}
        if isinstance(obj, CommentedSeq):
            for i in range(len(obj)):
                try:
                    kl[i] = obj.lc.item(i)[0] + 1
                except Exception:
                    pass
        return LocList([_wrap(v, file, child_path(path, i)) for i, v in enumerate(obj)],
                       file=file, line=line, path=path, key_lines=kl)
    return obj


def load_spec(paths: list[str], variables: dict | None = None) -> LocDict:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    merged = LocDict(path="")
    for p in paths:
        with open(p) as f:
            data = yaml.load(f)
        data = _wrap(data, p, "")
        for k, v in (data or {}).items():
            if k in merged and isinstance(merged[k], list) and isinstance(v, list):
                merged[k].extend(v)
            else:
                merged[k] = v
                merged.key_lines[k] = data.key_lines.get(k)
    return merged
