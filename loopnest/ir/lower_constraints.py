"""Lower every constraint of a TL-native spec to `Constraints` (FORMATS §5.3).

Collected from: `architecture_constraints` / `arch_constraints` /
`mapspace_constraints` / any top-level `*constraints*` key (a list, or a dict
with `targets:` and/or `constraints:`), `architecture.constraints`,
`mapspace.constraints|targets`, and nested `constraints:` lists inside a
directive. v0.4 node constraints and macros were already turned into such
directives by `loopnest.spec.native.to_native`.

Targets resolve to storage-level indices (0 = innermost; `name[1..N]` ranges
stripped; integers taken as indices). Factor syntax: `R=3`, `R3`, `C<=4`,
`C>=2`, `C<5`, `C>1`, `X=0` (whole dimension), as a list or a comma/space
string. Permutations are inner-first, with `_` splitting an innermost prefix
from an outermost suffix. Giving the same factor, permutation, split or keep
flag for a level twice is an error, located at the second place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from loopnest.errors import ValidationError
from loopnest.ir.constraints import Constraints, FactorBound, LevelConstraints

_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*?)(<=|>=|=|<|>)?(-?\d+)$")
_RANGE = re.compile(r"\[\d+\.\.\d+\]$")
DS_TYPES = ("bypass", "datatype", "bypassing", "dataspace")


def _where(node: Any, key: Any = None) -> tuple:
    from loopnest.spec.located import where

    return where(node, key)


def _err(node: Any, key: Any, msg: str, hint: str | None = None) -> ValidationError:
    file, line, path = _where(node, key)
    return ValidationError(msg, file=file, line=line, path=path, hint=hint)


def _hint(word: str, options: list[str], what: str) -> str | None:
    from loopnest.spec.hints import closest_hint

    return closest_hint(word, options, what)


ARCHITECTURE_KEYS = ("architecture_constraints", "arch_constraints")


def collect_directives(native: Any, architecture_only: bool = False) -> list:
    """Every constraint directive in the spec, in document order; with
    `architecture_only`, just the architecture's own (`architecture_constraints`,
    `arch_constraints`, `architecture.constraints`; v0.4 node constraints land
    there), which are the ones timeloop-model holds a given mapping to."""
    from loopnest.spec.native import directives_of

    out: list = []
    for k, v in native.items():
        if "constraints" in str(k) and (not architecture_only or k in ARCHITECTURE_KEYS):
            out += directives_of(v)
    arch = native.get("architecture")
    if isinstance(arch, dict) and "constraints" in arch:
        out += directives_of(arch["constraints"])
    ms = native.get("mapspace")
    if isinstance(ms, dict) and not architecture_only:
        out += directives_of({"targets": ms.get("targets") or [],
                              "constraints": ms.get("constraints") or []})
    return out


@dataclass
class _Level:
    temporal: dict = field(default_factory=dict)
    spatial: dict = field(default_factory=dict)
    perm: dict = field(default_factory=dict)  # kind -> (prefix, suffix)
    split: int | None = None
    keep: set = field(default_factory=set)
    bypass: set = field(default_factory=set)
    lists: dict = field(default_factory=dict)
    overbook: float | None = None
    min_util: float | None = None
    dmax: int | None = None
    dmin: int | None = None
    remainders: dict = field(default_factory=dict)  # kind -> Timeloop's `remainders`


def parse_factor_items(value: Any) -> list[str]:
    """Factor text or list to items (`R=3 P16,C<=4` -> ['R=3', 'P16', 'C<=4'])."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value:
            out += parse_factor_items(v)
        return out
    text = re.sub(r"\s*(<=|>=|=|<|>)\s*", r"\1", str(value).split("#")[0])
    text = re.sub(r"(?<=\d),(?=\d)", "\0", text)  # keep a residual with its factor
    return [s.replace("\0", ",") for s in re.split(r"[,\s]+", text) if s]


def _bound(item: str, dims: list[str], bounds: dict, d: Any, key: str) -> FactorBound | None:
    # A residual (`P=20,17`) is a mapping property; Timeloop's constraint parser reads
    # the factor and skips the residual, and so do we.
    m = _ITEM.match(re.sub(r"(?<=\d),\d+$", "", item))
    if not m:
        raise _err(d, key, f"cannot read factor '{item}'",
                   hint="write D=n, Dn, D<=n or D>=n (e.g. R=3, C<=4)")
    dim, op, n = m.group(1), m.group(2) or "=", int(m.group(3))
    if dim not in dims:
        raise _err(d, key, f"unknown dimension '{dim}' in factors",
                   hint=_hint(dim, dims, "dimension"))
    if n < 0:
        raise _err(d, key, f"factor {item} is negative")
    if op == "=":
        n = bounds[dim] if n == 0 else n
        if n > bounds[dim]:
            return None  # Timeloop ignores a factor larger than the dimension (warning)
        return FactorBound(dim, exact=n)
    if op == "<=":
        return FactorBound(dim, max=n)
    if op == "<":
        return FactorBound(dim, max=n - 1)
    if op == ">=":
        return FactorBound(dim, min=n)
    return FactorBound(dim, min=n + 1)


def _perm(value: Any, dims: list[str], d: Any) -> tuple[str, str]:
    if isinstance(value, list):
        letters = [str(x).strip() for x in value]
    else:
        text = str(value)
        letters = text.replace(",", " ").split() if ("," in text or " " in text.strip()) \
            else [c for c in text if not c.isspace()]
    prefix, suffix, cur = [], [], None
    cur = prefix
    for x in letters:
        if x == "_":
            if cur is suffix:
                raise _err(d, "permutation", "permutation has more than one '_'")
            cur = suffix
            continue
        if x not in dims:
            raise _err(d, "permutation", f"unknown dimension '{x}' in permutation",
                       hint=_hint(x, dims, "dimension"))
        if x in prefix or x in suffix:
            raise _err(d, "permutation", f"dimension '{x}' repeated in permutation")
        cur.append(x)
    return "".join(prefix), "".join(suffix)


def _ds(d: Any, key: str, names: list[str]) -> list[str]:
    v = d.get(key)
    vals = [v] if isinstance(v, str) else list(v or [])
    out = []
    for i, x in enumerate(vals):
        x = str(x)
        if x == "*":
            out += names
            continue
        if x not in names:
            holder, k = (v, i) if isinstance(v, list) else (d, key)
            raise _err(holder, k, f"unknown data space '{x}'",
                       hint=_hint(x, names, "data space"))
        out.append(x)
    return out


def _resolve(d: Any, names: list[str]) -> int:
    t = d.get("target")
    if t is None:
        raise _err(d, None, "constraint directive has no 'target'",
                   hint="add target: <storage level name>")
    if isinstance(t, int) and not isinstance(t, bool):
        if 0 <= t < len(names):
            return t
        raise _err(d, "target", f"target index {t} out of range (0..{len(names) - 1})")
    name = _RANGE.sub("", str(t))
    if name in names:
        return names.index(name)
    raise _err(d, "target", f"unknown target '{t}'", hint=_hint(name, names, "target"))


def lower_constraints(native: Any, workload: Any, architecture: Any,
                      architecture_only: bool = False) -> Constraints:
    """Constraints per storage level (index-aligned with `architecture.storage`);
    `architecture_only`: see `collect_directives`."""
    names = [lv.name for lv in architecture.storage]
    dims = list(workload.dimensions)
    bounds = dict(zip(workload.dimensions, workload.bounds))
    ds_names = list(workload.ds_names)
    levels = [_Level() for _ in names]
    origins: list[tuple[int, str, str, str]] = []
    for d in collect_directives(native, architecture_only):
        if not isinstance(d, dict):
            continue
        typ = str(d.get("type", "")).strip()
        i = _resolve(d, names)
        lv = levels[i]
        file, line, _ = _where(d)
        origin = f"{file}:{line}" if file else ""
        if typ in ("temporal", "spatial"):
            table = lv.temporal if typ == "temporal" else lv.spatial
            for key in ("factors",):
                if key not in d:
                    continue
                for item in parse_factor_items(d[key]):
                    fb = _bound(item, dims, bounds, d, key)
                    if fb is None:
                        continue
                    if fb.dim in table:
                        raise _err(d, key, f"{typ} factor of '{fb.dim}' at '{names[i]}' is "
                                   "given twice", hint=f"first given at {table[fb.dim][1]}")
                    table[fb.dim] = (fb, origin)
                    origins.append((i, f"{typ}_factor", item, origin))
            if "permutation" in d:
                if typ in lv.perm:
                    raise _err(d, "permutation", f"{typ} permutation of '{names[i]}' is given "
                               "twice", hint=f"first given at {lv.perm[typ][2]}")
                pre, suf = _perm(d["permutation"], dims, d)
                lv.perm[typ] = (pre, suf, origin)
                origins.append((i, f"{typ}_permutation", str(d["permutation"]), origin))
            if "split" in d:
                if lv.split is not None:
                    raise _err(d, "split", f"split of '{names[i]}' is given twice")
                s = d["split"]
                if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                    raise _err(d, "split", f"split must be a non-negative integer, got {s!r}")
                lv.split = s
            for key, attr in (("default_max_factor", "dmax"), ("default_min_factor", "dmin")):
                if key in d:
                    setattr(lv, attr, int(d[key]))
            if "remainders" in d:
                r = d["remainders"]
                if isinstance(r, bool) or not isinstance(r, int) or r < 0:
                    raise _err(d, "remainders", f"remainders must be a non-negative integer, "
                               f"got {r!r}")
                lv.remainders[typ] = r
            for key in ("no_reuse", "no_temporal_reuse", "no_link_transfer"):
                if key in d:
                    name = ("no_spatial_reuse" if typ == "spatial" else "no_temporal_reuse") \
                        if key == "no_reuse" else key
                    lv.lists.setdefault(name, set()).update(_ds(d, key, ds_names))
        elif typ in DS_TYPES:
            keep = _ds(d, "keep", ds_names) if "keep" in d else []
            byp = _ds(d, "bypass", ds_names) if "bypass" in d else []
            for x in keep:
                if x in lv.keep or x in lv.bypass or x in byp:
                    raise _err(d, "keep", f"keep/bypass of '{x}' at '{names[i]}' is given "
                               "twice (or both kept and bypassed)")
                lv.keep.add(x)
            for x in byp:
                if x in lv.bypass or x in lv.keep:
                    raise _err(d, "bypass", f"keep/bypass of '{x}' at '{names[i]}' is given "
                               "twice (or both kept and bypassed)")
                lv.bypass.add(x)
            origins.append((i, "dataspace", f"keep={keep} bypass={byp}", origin))
        elif typ == "max_overbooked_proportion":
            p = d.get("proportion", d.get("max_overbooked_proportion"))
            if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
                raise _err(d, "proportion", f"proportion must be a number in [0, 1], got {p!r}")
            lv.overbook = float(p)
        elif typ in ("utilization", "parallelism"):
            m = d.get("min")
            if not isinstance(m, (int, float)) or isinstance(m, bool) or not 0 <= m <= 1:
                raise _err(d, "min", f"min must be a number in [0, 1], got {m!r}")
            lv.min_util = float(m)
        else:
            raise _err(d, "type", f"unknown constraint type '{typ}'",
                       hint=_hint(typ, ["temporal", "spatial", "bypass", "dataspace",
                                        "max_overbooked_proportion", "utilization"], "type"))
    return Constraints(levels=tuple(_freeze(lv) for lv in levels), origins=tuple(origins),
                       template=_template(native))


def _template(native: Any) -> str:
    """The mapspace template (`uber` unless `mapspace:` or `mapspace_constraints:` says)."""
    if not isinstance(native, dict):
        return "uber"
    for key in ("mapspace", "mapspace_constraints"):
        ms = native.get(key)
        if isinstance(ms, dict) and ms.get("template"):
            return str(ms["template"]).strip()
    return "uber"


def _freeze(lv: _Level) -> LevelConstraints:
    tp = lv.perm.get("temporal", ("", "", ""))
    sp = lv.perm.get("spatial", ("", "", ""))
    return LevelConstraints(
        temporal_factors=tuple(fb for fb, _ in lv.temporal.values()),
        spatial_factors=tuple(fb for fb, _ in lv.spatial.values()),
        temporal_permutation_prefix=tp[0], temporal_permutation_suffix=tp[1],
        spatial_permutation_prefix=sp[0], spatial_permutation_suffix=sp[1],
        split=lv.split, keep=frozenset(lv.keep), bypass=frozenset(lv.bypass),
        no_link_transfer=frozenset(lv.lists.get("no_link_transfer", ())),
        no_temporal_reuse=frozenset(lv.lists.get("no_temporal_reuse", ())),
        no_spatial_reuse=frozenset(lv.lists.get("no_spatial_reuse", ())),
        max_overbooked_proportion=lv.overbook, min_utilization=lv.min_util,
        default_max_factor=lv.dmax, default_min_factor=lv.dmin,
        temporal_remainders=lv.remainders.get("temporal"),
        spatial_remainders=lv.remainders.get("spatial"),
    )
