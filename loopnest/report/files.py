"""Writing output files safely: never leave a half-written or half-updated set behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _temp_beside(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` via a temp file in the same directory and `os.replace`."""
    path = Path(path)
    tmp = _temp_beside(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_outputs(outdir: str | os.PathLike[str], prefix: str, files: dict[str, str]) -> list[Path]:
    """Write `<outdir>/<prefix>.<suffix>` for every `suffix: text` in `files`, all or
    nothing: every temp file is written first, then all are renamed into place."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for suffix, text in files.items():
            target = outdir / f"{prefix}.{suffix}"
            staged.append((_temp_beside(target, text), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]


def empty_oaves() -> str:
    """`oaves.csv` is empty unless oaves logging is on (it is off in every reference)."""
    return ""
