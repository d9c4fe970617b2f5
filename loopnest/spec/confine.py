"""Which files a design may read: its own tree, never the rest of the machine.

A design file may come from someone else (a colleague's template, a paper's
artifact), so `!include` and the Jinja2 helpers read only inside the design's
tree:

* the folders of the files named on the command line (and their sub-folders),
* folders the user adds explicitly with `--allow-path DIR`,
* loopnest's own bundled `arch_library/` and `workloads/` folders.

Paths are resolved (`..`, symlinks) before the check, so a symlink that leaves
the tree is refused; anything under /proc, /sys or /dev, and anything that is
not a regular file or folder (devices, FIFOs, sockets), is refused everywhere.
A refused file is never opened, so no error message can echo its content, and
the refusal is the same whether the file exists or not.

`read_text` reads one file with the size limit, and reports bytes that are not
UTF-8 and NUL characters at their own line.
"""
from __future__ import annotations

import contextlib
import contextvars
import glob as globmod
import os
import stat
from pathlib import Path
from typing import Iterable, Iterator

from loopnest.errors import SpecError
from loopnest.spec.limits import LimitError, current

SYSTEM_PREFIXES = ("/proc", "/sys", "/dev")
BUNDLED = ("arch_library", "workloads")

_EXTRA: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("loopnest_allow",
                                                                         default=())


def set_allowed_paths(paths: Iterable[str]) -> None:
    """Folders added with `--allow-path` (for the rest of this context)."""
    out = []
    for p in paths or ():
        real = os.path.realpath(os.path.expanduser(str(p)))
        if not os.path.isdir(real):
            raise SpecError(f"--allow-path {p}: not a folder",
                            hint="name an existing folder the design may read from")
        _refuse_system(real, f"--allow-path {p}")
        out.append(real)
    _EXTRA.set(tuple(out))


@contextlib.contextmanager
def allowed_paths(paths: Iterable[str]) -> Iterator[None]:
    """`set_allowed_paths` for the duration of a block."""
    token = _EXTRA.set(_EXTRA.get())
    try:
        set_allowed_paths(paths)
        yield
    finally:
        _EXTRA.reset(token)


def bundled_roots() -> tuple[str, ...]:
    """loopnest's own data folders (public files, readable by every design)."""
    here = Path(__file__).resolve().parents[1]  # the loopnest package
    out = []
    for name in BUNDLED:
        for cand in (here / name, here.parent / name):
            if cand.is_dir():
                out.append(os.path.realpath(cand))
    return tuple(dict.fromkeys(out))


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _refuse_system(real: str, what: str) -> None:
    if any(_is_under(real, p) for p in SYSTEM_PREFIXES):
        raise SpecError(f"{what}: reading under /proc, /sys or /dev is refused",
                        hint="a design reads only its own files")


class Confinement:
    """The folders one load may read from, and the checks that enforce them."""

    def __init__(self, named: Iterable[str]) -> None:
        # the folder of each named file, both as named and resolved (a named symlink)
        roots = []
        for p in named:
            roots.append(os.path.dirname(os.path.realpath(p)))
            roots.append(os.path.realpath(os.path.dirname(os.path.abspath(p))))
        roots += list(_EXTRA.get()) + list(bundled_roots())
        self.roots = tuple(dict.fromkeys(roots))

    def inside(self, real: str) -> bool:
        return any(_is_under(real, r) for r in self.roots)

    def check(self, path: str, what: str) -> str:
        """Real path of `path` when the design may read it; SpecError otherwise."""
        real = os.path.realpath(path)
        _refuse_system(real, f"{what} '{path}'")
        if not self.inside(real):
            raise SpecError(f"{what}: '{path}' is outside the design's tree",
                            hint=self.hint(real))
        try:
            st = os.stat(real)
        except OSError:
            return real  # missing: the caller reports "not found"
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise SpecError(f"{what}: '{path}' is not a regular file",
                            hint="devices, pipes and sockets are never read")
        return real

    def check_pattern(self, pattern: str, what: str) -> None:
        """Refuse a (glob) pattern whose fixed leading folder is outside the tree."""
        fixed = []
        for part in Path(os.path.normpath(pattern)).parts:
            if globmod.has_magic(part):
                break
            fixed.append(part)
        base = os.path.join(*fixed) if fixed else os.sep
        real = os.path.realpath(base)
        _refuse_system(real, f"{what} '{pattern}'")
        if not self.inside(real):
            raise SpecError(f"{what}: '{pattern}' is outside the design's tree",
                            hint=self.hint(real))

    def hint(self, real: str) -> str:
        folder = real if os.path.isdir(real) else os.path.dirname(real)
        return (f"a design reads only inside the folders of the files named on the command "
                f"line; if you trust it, add --allow-path {folder}")


def check_named(path: str) -> None:
    """A file named on the command line: no devices, FIFOs or /proc files."""
    real = os.path.realpath(path)
    _refuse_system(real, f"input '{path}'")
    try:
        st = os.stat(real)
    except OSError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise SpecError(f"input '{path}' is not a regular file", file=path,
                        hint="devices, pipes and sockets are never read")


def read_text(path: str, shown: str | None = None) -> str:
    """The UTF-8 text of a regular file, at most the file-size limit.

    Raises SpecError located at the line of the first byte that is not UTF-8 or of
    the first NUL character; LimitError when the file is larger than the limit."""
    shown = shown or path
    limit = current().max_file_bytes
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise SpecError(f"'{shown}' is not a regular file", file=shown,
                            hint="devices, pipes and sockets are never read")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise LimitError(f"file is larger than {limit // (1 << 20) or limit} "
                         f"{'MB' if limit >= 1 << 20 else 'bytes'} (input file size limit)",
                         file=shown, line=1,
                         hint="raise the limit with --max-file-size MB if the file is meant "
                              "to be this large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"not UTF-8 text: byte 0x{data[e.start]:02x} at column {col}",
                        file=shown, line=line,
                        hint="save the file as UTF-8") from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise SpecError(f"NUL character at column {col}", file=shown, line=line,
                        hint="a spec is text; remove the \\0 byte")
    return text
