"""The network manifest (`network.yaml`): read and check it, or write one.

    network: {name, description, source}
    notes: {batch_size, sequence_length, kv_cache_length, input, omitted, comments, ...}
    layers:
    - {name: conv1, problem: conv7x7_s2_c3_m64_112x112.yaml, count: 1, group: prefill}

`problem` is relative to the manifest; `count` (default 1) is how many times the layer
occurs; `group` is an optional stage label. The schema is `schemas/network.schema.json`.
Every mistake is a located SpecError / ValidationError (file, line, YAML path, hint).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

from loopnest.errors import SpecError, ValidationError
from loopnest.network.types import Layer, Network
from loopnest.spec.hints import closest_hint
from loopnest.spec.located import LocDict, to_plain, where

MANIFEST_NAME = "network.yaml"


def read_manifest(path: str | os.PathLike[str]) -> Network:
    """Parse, schema-check and resolve a manifest; problem files must exist."""
    from loopnest.spec.schema import check
    from loopnest.spec.yamlnodes import parse_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(f"cannot read the manifest: {e.strerror or e}", file=str(path)) from None
    tree = parse_yaml(text, str(path))
    if not isinstance(tree, LocDict):
        raise SpecError("a network manifest must be a mapping with `network:` and `layers:`",
                        file=str(path), line=1, path="<root>",
                        hint="see schemas/network.schema.json")
    if not tree:
        raise SpecError("the manifest is empty", file=str(path), line=1,
                        hint="give `network: {name, source}` and `layers:`")
    check("network", tree)
    root = path.parent.resolve()
    layers = []
    seen: dict[str, int] = {}
    for i, item in enumerate(tree["layers"]):
        name = str(item["name"])
        if name in seen:
            file, line, ypath = where(item, "name")
            raise ValidationError(f"layer name '{name}' is used twice", file=file, line=line,
                                  path=ypath, hint=f"the first is layers[{seen[name]}]; "
                                  "give each entry its own name (use `count` for repeats)")
        seen[name] = i
        group = str(item["group"]) if item.get("group") is not None else None
        layers.append(Layer(name=name, problem=_problem_path(root, item),
                            count=int(item.get("count", 1)), group=group))
    meta = tree["network"]
    notes = to_plain(tree.get("notes") or {})
    return Network(name=str(meta["name"]), layers=tuple(layers),
                   description=str(meta.get("description", "")), source=str(meta["source"]),
                   notes=notes, manifest=path.resolve(), root=root)


def _problem_path(root: Path, item: Any) -> Path:
    """The layer's problem file, resolved against the manifest's folder; it must exist."""
    rel = str(item["problem"])
    p = Path(os.path.expanduser(rel))
    full = p if p.is_absolute() else root / p
    if full.is_file():
        return full.resolve()
    file, line, ypath = where(item, "problem")
    if full.is_dir():
        raise ValidationError(f"'{rel}' is a directory, not a problem file", file=file,
                              line=line, path=ypath, hint="name one YAML file")
    near = sorted(f.name for f in full.parent.glob("*.y*ml")) if full.parent.is_dir() else []
    hint = closest_hint(p.name, near, "file") if near else None
    raise ValidationError(f"problem file not found: {rel}", file=file, line=line, path=ypath,
                          hint=hint or f"paths are relative to the manifest's folder ({root})")


# ----------------------------------------------------------------------------- writing

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./+-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(v: Any) -> str:
    """A YAML scalar: plain when unambiguous, else a double-quoted (JSON) string."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    s = str(v)
    return s if _PLAIN.match(s) and s.lower() not in _RESERVED else json.dumps(s)


def _value(v: Any, indent: str) -> str:
    if isinstance(v, (list, tuple)):
        return "".join(f"\n{indent}- {_scalar(x)}" for x in v)
    return " " + _scalar(v)


def render_manifest(name: str, source: str, layers: Iterable[Any], description: str = "",
                    notes: dict[str, Any] | None = None, header: Iterable[str] = ()) -> str:
    """Manifest text. `layers` holds `(name, problem, count, group)` tuples or comment strings
    (written as `# ...` lines between entries); `header` lines open the file as comments."""
    out = [f"# {h}" if h else "#" for h in header]
    out += ["network:", f"  name:{_value(name, '')}"]
    if description:
        out.append(f"  description:{_value(description, '')}")
    out.append(f"  source:{_value(source, '')}")
    if notes:
        out.append("notes:")
        out += [f"  {k}:{_value(v, '  ')}" for k, v in notes.items()]
    out.append("layers:")
    for item in layers:
        if isinstance(item, str):
            out.append(f"# {item}")
            continue
        lname, problem, count, group = item
        fields = [f"name: {_scalar(lname)}", f"problem: {_scalar(problem)}"]
        if count != 1:
            fields.append(f"count: {int(count)}")
        if group:
            fields.append(f"group: {_scalar(group)}")
        out.append("- {" + ", ".join(fields) + "}")
    return "\n".join(out) + "\n"
