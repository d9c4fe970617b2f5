"""`version:` values: loopnest reads the 0.2, 0.3 and 0.4 formats; anything else is
an error (a garbage version used to be accepted silently)."""
from __future__ import annotations

from typing import Any

from loopnest.errors import ValidationError
from loopnest.spec.located import where

VERSIONS = ("0.2", "0.3", "0.4")


def _ok(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return any(abs(float(v) - float(x)) < 1e-9 for x in VERSIONS)
    text = str(v).strip()
    return text in VERSIONS or any(text.startswith(x + ".") for x in VERSIONS)


def check_versions(spec: Any) -> None:
    """Every top-level section's `version` (and the compound classes') is 0.2-0.4."""
    for key, section in spec.items():
        if isinstance(section, dict) and "version" in section:
            _check(section, key)
    for key in ("compound_components", "components"):
        block = spec.get(key)
        items = block.get("classes") if isinstance(block, dict) else block
        for c in items if isinstance(items, list) else []:
            if isinstance(c, dict) and "version" in c:
                _check(c, key)


def _check(section: Any, key: Any) -> None:
    v = section["version"]
    if not _ok(v):
        file, line, path = where(section, "version")
        raise ValidationError(f"unknown {key} version {v!r}", file=file, line=line, path=path,
                              hint="loopnest reads versions 0.2, 0.3 and 0.4 (write 0.4)")
