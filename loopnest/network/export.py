"""Turn an ordered list of layers into the texts of a network folder.

Identical problems (same shape and instance) are stored once: each distinct problem
gets one file named after its parameters (`conv3x3_s1_c64_m64_56x56.yaml`, with a
`_2` suffix if two different problems would share a name), and the manifest's
entries name those files. Returns `{file name: text}`; writing is the caller's job.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from loopnest.errors import ValidationError
from loopnest.network.manifest import MANIFEST_NAME, render_manifest
from loopnest.network.problems import Problem, problem_body, render_problem


@dataclass(frozen=True)
class Entry:
    """One layer to write: its name, problem, occurrences, group and a manifest comment."""

    name: str
    problem: Problem
    count: int = 1
    group: str | None = None
    comment: str | None = None  # written as a `# ...` line before the entry


def assign_files(entries: Iterable[Entry]) -> dict[str, tuple[Problem, list[str]]]:
    """`{file name: (problem, names of the entries using it)}` with one file per distinct body."""
    by_body: dict[str, str] = {}
    files: dict[str, tuple[Problem, list[str]]] = {}
    for e in entries:
        body = problem_body(e.problem)
        fname = by_body.get(body)
        if fname is None:
            fname, k = f"{e.problem.stem}.yaml", 2
            while fname in files or fname == MANIFEST_NAME:
                fname, k = f"{e.problem.stem}_{k}.yaml", k + 1
            by_body[body] = fname
            files[fname] = (e.problem, [])
        files[fname][1].append(e.name)
    return files


def network_files(name: str, source: str, entries: list[Entry], description: str = "",
                  notes: dict[str, Any] | None = None,
                  header: Iterable[str] = ()) -> dict[str, str]:
    """Texts of the problem files and `network.yaml` for `entries` (in network order)."""
    names = [e.name for e in entries]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ValidationError(f"layer name '{dup}' is used twice",
                              hint="layer names must be unique")
    if not entries:
        raise ValidationError(f"network '{name}' has no layers to write")
    files = assign_files(entries)
    file_of = {n: fname for fname, (_, users) in files.items() for n in users}
    out = {fname: render_problem(problem, users) for fname, (problem, users) in files.items()}
    rows: list[Any] = []
    for e in entries:
        if e.comment:
            rows.append(e.comment)
        rows.append((e.name, file_of[e.name], e.count, e.group))
    out[MANIFEST_NAME] = render_manifest(name, source, rows, description=description,
                                         notes=notes, header=header)
    return out
