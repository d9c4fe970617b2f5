"""Writing output files safely: a run's files replace the previous run's as one set.

    write_outputs(outdir, prefix, {suffix: text}) -> [paths]   # <prefix>.<suffix>
    write_output_set(outdir, {name: text | bytes}) -> [paths]

Design: staging folder + journalled renames (no extra file is left in DIR).

1. Every file of the set is written into a fresh staging folder inside DIR
   (`.loopnest-staging-<pid>-XXXX`, same file system, so renames are atomic),
   created `0666 & ~umask` like any file a program writes.
2. A `COMMIT` marker listing the set is written into the staging folder: from
   then on the new set is complete and may be rolled forward.
3. Each existing target is hard-linked into the staging folder (the backup),
   then every staged file is renamed over its target.  SIGINT/SIGTERM/SIGHUP
   are held during this step, so Ctrl-C or `timeout` cannot split it; before
   it they stop the write cleanly (the staging folder is removed), after it
   they take effect.
4. The staging folder is removed.

Guarantee: after `write_output_set` returns, DIR holds the whole new set; when
it raises (a failed write *or* a failed rename), DIR holds the whole old set
(renamed files are rolled back from the backups) and no temporary file is left.
Only a SIGKILL or a crash inside step 3 (a handful of renames) can leave a mix;
the next write into DIR finds the leftover staging folder of the dead process and
completes it (marker present) or discards it (marker absent), so a mixed set never
outlives the next run.  A bad `-o` (a file, a device, /proc, no permission) is an
`OutputError`: exit 2 with the folder named.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from loopnest.errors import SpecError

STAGING_PREFIX = ".loopnest-staging-"
COMMIT = "COMMIT"
_HELD = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP"))
              if s is not None)


class OutputError(SpecError, OSError):
    """The outputs cannot be written where asked (exit 2, the folder named)."""


def _create(path: Path, data: str | bytes) -> None:
    """Write a new file with mode 0666 & ~umask (never 0600 as mkstemp would)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    finally:
        os.close(fd)


def _temp_beside(path: Path, text: str | bytes) -> Path:
    """Write `text` to a new hidden file in `path`'s folder; returns its path."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            _create(tmp, text)
        except FileExistsError:
            continue
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp
    raise OutputError(f"cannot create a temporary file in {path.parent}")


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write one file via a temp file in the same folder and `os.replace`."""
    path = Path(path)
    tmp = _temp_beside(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_outdir(outdir: str | os.PathLike[str]) -> Path:
    """Refuse an output folder that cannot hold outputs, without creating anything
    (commands call it before their work, so a bad `-o` costs nothing)."""
    out = Path(outdir)
    real = os.path.realpath(out)
    if any(real == p or real.startswith(p + os.sep) for p in ("/proc", "/sys", "/dev")):
        raise OutputError(f"-o {outdir}: outputs cannot go under /proc, /sys or /dev",
                          hint="give a folder for the output files")
    if out.exists() and not out.is_dir():
        raise OutputError(f"-o {outdir} is not a folder",
                          hint="give a folder (it is created if missing)")
    probe = Path(real)
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into the output folder -o {outdir}",
                          hint="give a folder you can write to")
    return out


def prepare_outdir(outdir: str | os.PathLike[str]) -> Path:
    """The output folder, created if needed; OutputError when it cannot hold outputs."""
    out = check_outdir(outdir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder -o {outdir}: "
                          f"{e.strerror or type(e).__name__}",
                          hint="give a folder you can write to") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into the output folder -o {outdir}",
                          hint="give a folder you can write to")
    return out


def write_outputs(outdir: str | os.PathLike[str], prefix: str, files: dict[str, str | bytes]
                  ) -> list[Path]:
    """Write `<outdir>/<prefix>.<suffix>` for every `suffix: text` in `files`, as one set."""
    return write_output_set(outdir, {f"{prefix}.{suffix}": text for suffix, text in files.items()})


def write_output_set(outdir: str | os.PathLike[str], files: Mapping[str, str | bytes]
                     ) -> list[Path]:
    """Write every `name: text` into `outdir` so the set replaces the old one whole."""
    out = prepare_outdir(outdir)
    recover(out)
    for name in files:
        if os.sep in name or name in ("", ".", "..") or (os.altsep and os.altsep in name):
            raise OutputError(f"bad output file name {name!r}")
    with _signals_deferred() as hold:
        return _write_set(out, files, hold)


def _write_set(out: Path, files: Mapping[str, str | bytes], hold: "_Hold") -> list[Path]:
    stage: Path | None = None
    try:
        with hold:  # a stop signal cannot fall between creating the stage and owning it
            stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
        os.chmod(stage, 0o700)
        staged = []
        for name, text in files.items():
            target = out / name
            if target.is_dir() and not target.is_symlink():
                raise OutputError(f"cannot write {target}: a folder has that name",
                                  file=str(target))
            tmp = _temp_beside(stage / name, text)
            os.replace(tmp, stage / name)
            staged.append(name)
        _create(stage / COMMIT, "\n".join(staged) + "\n")
        with hold:  # stop signals wait until the set is in place and the stage gone
            _commit(out, stage, staged)
            shutil.rmtree(stage, ignore_errors=True)
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"cannot write the outputs in {out}: {e.strerror or e}",
                          hint="check the folder's space and permissions") from None
    finally:
        if stage is not None and stage.exists():
            hold.holding = True  # no signal may interrupt the clean-up
            shutil.rmtree(stage, ignore_errors=True)
            hold.holding = False
    if hold.pending is not None:
        raise KeyboardInterrupt(f"signal {hold.pending}")
    return [out / name for name in files]


def _commit(out: Path, stage: Path, names: list[str]) -> None:
    """Back up the old targets, rename the new files in; roll back on any failure."""
    backup = stage / ".old"
    backup.mkdir()
    existed = []
    for name in names:
        target = out / name
        if target.exists() or target.is_symlink():
            try:
                os.link(target, backup / name, follow_symlinks=False)
            except OSError:
                shutil.copy2(target, backup / name, follow_symlinks=False)
            existed.append(name)
    done: list[str] = []
    try:
        for name in names:
            os.replace(stage / name, out / name)
            done.append(name)
    except BaseException:
        for name in done:  # roll back: the old set comes back whole
            try:
                if name in existed:
                    os.replace(backup / name, out / name)
                else:
                    os.unlink(out / name)
            except OSError:
                pass
        raise


class _Hold:
    """While entered, the stop signals wait; on leaving, a waiting one takes effect."""

    def __init__(self) -> None:
        self.holding = False
        self.pending: int | None = None

    def __enter__(self) -> "_Hold":
        self.holding = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.holding = False
        if self.pending is not None and exc[0] is None:
            raise KeyboardInterrupt(f"signal {self.pending}")


@contextmanager
def _signals_deferred() -> Iterator[_Hold]:
    """SIGINT/SIGTERM/SIGHUP stop a write cleanly (an exception, so the staging folder
    is removed) except inside the returned hold, where they wait until it ends.
    Python runs signal handlers in the main thread only; elsewhere nothing changes."""
    import threading

    hold = _Hold()
    if threading.current_thread() is not threading.main_thread():
        yield hold
        return

    def handler(signum: int, frame: object) -> None:
        if hold.holding:
            hold.pending = signum
        else:
            raise KeyboardInterrupt(f"signal {signum}")

    old = {}
    for sig in _HELD:
        try:
            old[sig] = signal.signal(sig, handler)
        except (OSError, ValueError):
            pass
    try:
        yield hold
    finally:
        for sig, h in old.items():
            try:
                signal.signal(sig, h)
            except (OSError, ValueError):
                pass


def recover(out: Path) -> None:
    """Finish or discard what a killed run left in `out` (its staging folders)."""
    try:
        leftovers = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    except OSError:
        return
    for stage in leftovers:
        pid = stage.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)) or not stage.is_dir() or \
                stat.S_ISLNK(os.lstat(stage).st_mode):
            continue
        marker = stage / COMMIT
        if marker.is_file():  # the set was complete: roll it forward
            for name in marker.read_text(encoding="utf-8").split():
                src = stage / name
                if src.is_file() and os.sep not in name:
                    try:
                        os.replace(src, out / name)
                    except OSError:
                        pass
        shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def empty_oaves() -> str:
    """`oaves.csv` is empty unless oaves logging is on (it is off in every reference)."""
    return ""
