"""The bundled accelerator library (`arch_library/`): find designs and read their documentation.

Each design is one folder `arch_library/<name>/` whose YAML and Jinja2 files,
given together, form the complete design (architecture, compound classes,
constraints, mapper defaults); the problem comes from another file. Its
`arch.yaml.jinja2` starts with a Jinja2 comment documenting it:

    {#-
    <name>: <one-line summary>

    <description paragraphs>

    Sources:
      [1] <citation>
          <continued>

    Parameters:
      name            default  unit   meaning (source)
      technology      65       nm     process node ([2])
                                      <continued meaning>
    ...
    -#}

and every documented parameter is a Jinja2 variable (`{%- set p = p |
default(v) -%}`) that `--var p=v` overrides. This module parses that header
for `loopnest arch list/show` and gives other commands (`loopnest network
--arch NAME`) the files of a design. The folder ships in the wheel as
`loopnest/arch_library` (a symlink to the top-level folder, as `schemas/` is).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from loopnest.errors import SpecError, ValidationError

TEMPLATE = "arch.yaml.jinja2"
DESIGN_SUFFIXES = (".yaml", ".yml", ".jinja2", ".j2")
_SECTION = re.compile(r"^([A-Z][A-Za-z ]*):\s*$")
_PARAM = re.compile(r"^  (?P<name>[A-Za-z_]\w*)\s+(?P<default>\S+)\s+(?P<unit>\S+)"
                    r"\s+(?P<meaning>.+)$")
_SET_DEFAULT = re.compile(r"\{%-?\s*set\s+(?P<name>\w+)\s*=\s*(?P=name)\s*\|\s*"
                          r"default\((?P<value>[^)]*)\)")
_INCLUDE = re.compile(r"""(?:!include\s+(?P<yaml>\S+))|(?:include\(\s*['"](?P<jinja>[^'"]+)['"])""")


@dataclass(frozen=True)
class Parameter:
    """One documented template variable."""

    name: str
    default: str
    unit: str
    meaning: str

    @property
    def value(self) -> Any:
        """The default as `--var` would parse it (a YAML scalar)."""
        return _scalar(self.default)


@dataclass(frozen=True)
class Design:
    """A bundled accelerator: its documentation and the files that make it."""

    name: str
    summary: str
    description: str
    sources: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    files: tuple[Path, ...]
    includes: tuple[Path, ...] = field(default=())

    @property
    def template(self) -> Path:
        return self.files[0].parent / TEMPLATE

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def library_root() -> Path:
    """The `arch_library` folder shipped with the package."""
    return Path(str(resources.files("loopnest") / "arch_library"))


def design_names() -> list[str]:
    """Names of the bundled designs (folders holding an arch.yaml.jinja2), sorted."""
    root = library_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")) and (p / TEMPLATE).is_file())


def list_designs() -> list[Design]:
    """Every bundled design, parsed."""
    return [get_design(n) for n in design_names()]


def get_design(name: str) -> Design:
    """The bundled design `name`; a SpecError with a did-you-mean hint if there is none."""
    names = design_names()
    if name not in names:
        from loopnest.spec.hints import closest_hint

        raise SpecError(f"no accelerator named '{name}' in the library",
                        hint=closest_hint(name, names, "accelerator")
                        or "`loopnest arch list` shows the bundled designs")
    folder = library_root() / name
    files = _design_files(folder)
    template = folder / TEMPLATE
    header = parse_header(template.read_text(encoding="utf-8"), str(template))
    if header["name"] != name:
        raise SpecError(f"the header names the design '{header['name']}', its folder is '{name}'",
                        file=str(template), line=2,
                        hint=f"start the header with '{name}: <summary>'")
    return Design(name=name, summary=header["summary"], description=header["description"],
                  sources=tuple(header["sources"]), parameters=tuple(header["parameters"]),
                  files=tuple(files), includes=tuple(_includes(files)))


def design_files(name: str) -> list[Path]:
    """The files to give loopnest (with a problem file) to use the bundled design `name`."""
    return list(get_design(name).files)


def check_variables(design: Design, variables: Iterable[str]) -> None:
    """Refuse `--var` names the design does not document (a typo would be ignored silently)."""
    known = [p.name for p in design.parameters]
    for v in variables:
        if v not in known:
            from loopnest.spec.hints import closest_hint

            raise ValidationError(f"{design.name} has no parameter '{v}'",
                                  file=str(design.template),
                                  hint=closest_hint(v, known, "parameter"))


def template_defaults(text: str) -> dict[str, str]:
    """`{%- set p = p | default(v) -%}` lines of a template: p -> v as written (quotes removed)."""
    return {m.group("name"): m.group("value").strip().strip("'\"")
            for m in _SET_DEFAULT.finditer(text)}


def parse_header(text: str, file: str = TEMPLATE) -> dict[str, Any]:
    """Name, summary, description, sources and parameters from a template's header comment."""
    m = re.match(r"\s*\{#-?(.*?)-?#\}", text, re.S)
    if not m:
        raise SpecError("the template does not start with a {#- ... -#} header comment",
                        file=file, line=1, hint="document the design as arch_library/*/"
                        "arch.yaml.jinja2 do (see loopnest/archlib.py)")
    lines = m.group(1).split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    head = lines[first].strip() if first is not None else ""
    if ":" not in head:
        raise SpecError("the header's first line must be '<name>: <summary>'", file=file, line=1)
    name, summary = (s.strip() for s in head.split(":", 1))
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for ln in lines[first + 1:]:
        sm = _SECTION.match(ln)
        if sm:
            current = sm.group(1)
            sections[current] = []
        else:
            sections[current].append(ln)
    return {"name": name, "summary": summary,
            "description": _paragraphs(sections[""]),
            "sources": _sources(sections.get("Sources", [])),
            "parameters": _parameters(sections.get("Parameters", []), file)}


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _sources(lines: list[str]) -> list[str]:
    out: list[str] = []
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if s.startswith("[") or not out:
            out.append(s)
        else:
            out[-1] += " " + s
    return out


def _parameters(lines: list[str], file: str) -> list[Parameter]:
    rows: list[list[str]] = []
    for ln in lines:
        if ln.strip() and not ln[0].isspace():  # unindented text ends the table ("Files: ...")
            break
        if not ln.strip() or ln.split()[:2] == ["name", "default"]:
            continue
        pm = _PARAM.match(ln)
        if pm:
            rows.append([pm.group("name"), pm.group("default"), pm.group("unit"),
                         pm.group("meaning").strip()])
        elif rows and ln.startswith("    "):
            rows[-1][3] += " " + ln.strip()
        else:
            raise SpecError(f"cannot read the parameter line {ln.strip()!r}", file=file,
                            hint="write 'name  default  unit  meaning (source)'; continue a "
                                 "meaning on lines indented deeper")
    return [Parameter(*r) for r in rows]


def _design_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(DESIGN_SUFFIXES))
    files.sort(key=lambda p: p.name != TEMPLATE)  # the documented template first
    return files


def _includes(files: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for f in files:
        for m in _INCLUDE.finditer(f.read_text(encoding="utf-8")):
            target = Path(os.path.normpath(f.parent / (m.group("yaml") or m.group("jinja"))))
            if target not in out:
                out.append(target)
    return out


def _scalar(text: str) -> Any:
    from loopnest.spec.load import parse_var_args

    return parse_var_args([f"v={text}"])["v"]
