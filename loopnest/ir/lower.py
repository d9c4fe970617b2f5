"""Lower a TL-native spec (plain/located dicts) to the IR: workload, architecture, mapping.

The input is what Timeloop itself reads (the v0.3 tree / `parsed-processed-input.yaml`
form); v0.4 files reach this module through `loopnest.spec.native.to_native`.
Mistakes raise located `ValidationError`s.
"""
from __future__ import annotations

import difflib
import re
from typing import Any

from loopnest.energy.tables import tables_from_spec
from loopnest.errors import ValidationError, spec_error
from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
from loopnest.ir.design import Design
from loopnest.ir.mapping import LevelMapping, Loop, Mapping
from loopnest.ir.residuals import residual_problems
from loopnest.ir.workload import DataSpace, Workload

_RANGE = re.compile(r"^(?P<base>.*?)\[(?P<lo>-?\d+)\.\.(?P<hi>-?\d+)\]$")
STORAGE_CLASSES = ("DRAM", "SRAM", "regfile", "smartbuffer", "storage")
COMPUTE_CLASSES = ("mac", "intmac", "fpmac", "compute")
NETWORK_CLASSES = ("XY_NoC", "Legacy", "ReductionTree", "SimpleMulticast")


def _get(d: Any, *keys: str, default: Any = None) -> Any:
    """First present key among spellings (underscore and legacy hyphen)."""
    if not isinstance(d, dict):
        return default
    for k in keys:
        for kk in (k, k.replace("_", "-")):
            if kk in d and d[kk] is not None:
                return d[kk]
    return default


def _closest(word: str, options: list[str]) -> str | None:
    m = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return m[0] if m else None


def split_range(name: str) -> tuple[str, int]:
    """`PE[0..15]` -> ("PE", 16); `Buffer` -> ("Buffer", 1)."""
    m = _RANGE.match(str(name).strip())
    if not m:
        return str(name).strip(), 1
    return m.group("base"), int(m.group("hi")) - int(m.group("lo")) + 1


# --------------------------------------------------------------------------- workload

CNN_LAYER_SHAPE = {
    "name": "CNN_Layer",
    "dimensions": ["R", "S", "P", "Q", "C", "K", "N"],
    "coefficients": [{"name": "Wstride", "default": 1}, {"name": "Hstride", "default": 1},
                     {"name": "Wdilation", "default": 1}, {"name": "Hdilation", "default": 1}],
    "data_spaces": [
        {"name": "Weights", "projection": [[["C"]], [["K"]], [["R"]], [["S"]]]},
        {"name": "Inputs", "projection": [[["N"]], [["C"]], [["R", "Wdilation"], ["P", "Wstride"]],
                                          [["S", "Hdilation"], ["Q", "Hstride"]]]},
        {"name": "Outputs", "projection": [[["N"]], [["K"]], [["Q"]], [["P"]]], "read_write": True},
    ],
}


def lower_workload(problem: Any) -> Workload:
    """`problem:` -> Workload (bounds resolved from `instance`, coefficients resolved)."""
    if not isinstance(problem, dict):
        raise ValidationError("`problem` must be a mapping with `shape` and `instance`",
                              path="problem", hint="see FORMATS: problem.shape / problem.instance")
    shape = problem.get("shape", CNN_LAYER_SHAPE)
    if isinstance(shape, str):
        if shape.lower() in ("cnn_layer", "cnn-layer"):
            shape = CNN_LAYER_SHAPE
        else:
            raise spec_error(problem, "shape", f"unknown problem shape '{shape}'",
                             "give the shape inline (dimensions, data_spaces) or use cnn_layer")
    instance = problem.get("instance")
    if instance is None:
        instance = {k: v for k, v in problem.items() if k != "shape"}
    dims = [str(d) for d in (_get(shape, "dimensions") or [])]
    if not dims:
        raise spec_error(shape, "dimensions", "problem shape has no dimensions")
    coeffs: dict[str, int] = {}
    for c in _get(shape, "coefficients", default=[]) or []:
        name = str(c.get("name"))
        coeffs[name] = int(instance.get(name, c.get("default", 1)))
    bounds = []
    for d in dims:
        if d not in instance:
            raise spec_error(instance if hasattr(instance, "file") else problem, None,
                             f"no bound for dimension '{d}' in problem.instance",
                             f"add `{d}: <int>` to problem.instance")
        try:
            b = int(instance[d])
        except (TypeError, ValueError):
            raise spec_error(instance, d, f"bound of '{d}' must be an integer, got {instance[d]!r}")
        if b < 1:
            raise spec_error(instance, d, f"bound of '{d}' must be >= 1, got {b}")
        bounds.append(b)
    data_spaces = []
    for i, ds in enumerate(_get(shape, "data_spaces") or []):
        proj = ds.get("projection")
        ranks = []
        names = []
        for rank in proj or []:
            terms: list[tuple[str, int]] = []
            tnames: list[str | None] = []
            rank_terms = [rank] if isinstance(rank, str) else rank
            for term in rank_terms:
                if isinstance(term, str):
                    term = [term]
                dim = str(term[0])
                if dim not in dims:
                    raise spec_error(ds, "projection",
                                     f"data space '{ds.get('name')}' projects unknown dimension '{dim}'",
                                     f"dimensions are {', '.join(dims)}")
                coef_name = None
                coef = 1
                if len(term) > 1:
                    c = term[1]
                    if isinstance(c, (int, float)) and not isinstance(c, bool):
                        coef = int(c)
                    elif str(c) in coeffs:
                        coef_name, coef = str(c), coeffs[str(c)]
                    else:
                        raise spec_error(ds, "projection",
                                         f"unknown coefficient '{c}' in data space '{ds.get('name')}'",
                                         "declare it in problem.shape.coefficients"
                                         + (f" (did you mean '{_closest(c, list(coeffs))}'?)"
                                            if _closest(c, list(coeffs)) else ""))
                terms.append((dim, coef))
                tnames.append(coef_name)
            ranks.append(tuple(terms))
            names.append(tuple(tnames))
        rw = bool(_get(ds, "read_write", default=False))
        data_spaces.append(DataSpace(name=str(ds["name"]), projection=tuple(ranks), read_write=rw,
                                     coefficient_names=tuple(names)))
    dens = instance.get("densities") or {}
    densities = tuple((str(k), float(v)) for k, v in dens.items()
                      if isinstance(v, (int, float))) if isinstance(dens, dict) else ()
    return Workload(name=str(_get(shape, "name", default="problem")), dimensions=tuple(dims),
                    bounds=tuple(bounds), data_spaces=tuple(data_spaces),
                    coefficients=tuple(coeffs.items()), densities=densities)


# --------------------------------------------------------------------------- architecture

def _num(attrs: dict, node: Any, *keys: str, default: Any = None, positive: bool = False) -> Any:
    v = _get(attrs, *keys, default=None)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        try:
            v = float(v) if "." in str(v) or "e" in str(v).lower() else int(v)
        except (TypeError, ValueError):
            raise spec_error(attrs, keys[0], f"'{keys[0]}' must be a number, got {v!r}")
    if positive and v <= 0:
        raise spec_error(attrs, keys[0], f"'{keys[0]}' must be > 0, got {v}")
    return v


def _classify(cls: str) -> str:
    if any(s in cls for s in STORAGE_CLASSES):
        return "storage"
    if any(s in cls for s in COMPUTE_CLASSES):
        return "compute"
    if any(s in cls for s in NETWORK_CLASSES):
        return "network"
    return "other"


def _mesh(attrs: dict, instances: int, node: Any) -> tuple[int, int, int]:
    inst = _num(attrs, node, "instances", default=None)
    mx = _num(attrs, node, "meshX", default=None)
    my = _num(attrs, node, "meshY", default=None)
    if inst is None:
        inst = instances
    inst = int(inst)
    if mx is None and my is None:
        mx, my = inst, 1
    elif mx is None:
        mx = inst // int(my)
    elif my is None:
        my = inst // int(mx)
    mx, my = int(mx), int(my)
    if mx * my != inst:
        raise spec_error(attrs, "meshX", f"meshX*meshY = {mx}*{my} does not equal instances {inst}",
                         "make meshX*meshY equal the number of instances")
    return inst, mx, my


def _storage(comp: dict, instances: int) -> StorageLevel:
    name, _ = split_range(comp["name"])
    cls = str(comp.get("class", ""))
    attrs = comp.get("attributes") or {}
    wb = int(_num(attrs, comp, "word_bits", "datawidth", "word_width", default=16, positive=True))
    width = _num(attrs, comp, "width", "memory_width", "data_storage_width", default=None)
    block = _num(attrs, comp, "block_size", "n_words", default=None)
    cluster = _num(attrs, comp, "cluster_size", default=None)
    if width is not None:
        width = int(width)
        if block is not None and cluster is not None:
            block, cluster = int(block), int(cluster)
            if block * cluster * wb != width:
                raise spec_error(attrs, "width", f"width {width} != block_size {block} x "
                                 f"cluster_size {cluster} x word_bits {wb}")
        elif cluster is not None:
            cluster = int(cluster)
            block = width // cluster // wb
        elif block is not None:
            block = int(block)
            cluster = width // (wb * block)
        else:
            block, cluster = width // wb, 1
        if width % wb != 0 or block < 1:
            raise spec_error(attrs, "width", f"width {width} is not a multiple of word bits {wb}",
                             "use a width that holds a whole number of words")
    else:
        block = int(block) if block is not None else 1
        cluster = int(cluster) if cluster is not None else 1
    depth = _num(attrs, comp, "depth", "memory_depth", "data_storage_depth", default=None)
    entries = _num(attrs, comp, "entries", default=None)
    size_kb = _num(attrs, comp, "sizeKB", default=None)
    size = None
    if entries is not None:
        size = int(entries)
    elif depth is not None:
        size = int(depth) * block
    elif size_kb is not None:
        size = int(size_kb * 8192 // wb)
    if size is not None and size <= 0 and "dummy" not in cls:
        raise spec_error(attrs, "depth", f"storage '{name}' must have a positive size, got {size}")
    tech = str(_get(attrs, "technology", default=""))
    technology = "DRAM" if ("DRAM" in cls or tech == "DRAM") else "SRAM"
    inst, mx, my = _mesh(attrs, instances, comp)
    rbw = _num(attrs, comp, "read_bandwidth", default=None)
    wbw = _num(attrs, comp, "write_bandwidth", default=None)
    sbw = _num(attrs, comp, "shared_bandwidth", default=None)
    bw = _num(attrs, comp, "bandwidth", default=None)
    if bw is not None and rbw is None and wbw is None:
        rbw = wbw = bw / 2
    scale = _get(attrs, "per_dataspace_bandwidth_consumption_scale", default={}) or {}
    red = _get(attrs, "reduction_supported", default=None)
    reduction = (technology != "DRAM") if red is None else bool(red)
    return StorageLevel(
        name=name, cls=cls, subclass=comp.get("subclass"), technology=technology, word_bits=wb,
        block_size=int(block), cluster_size=int(cluster), width=width,
        depth=int(depth) if depth is not None else None, size=size,
        multiple_buffering=float(_num(attrs, comp, "multiple_buffering", default=1.0)),
        min_utilization=float(_num(attrs, comp, "min_utilization", default=0.0)),
        instances=inst, meshX=mx, meshY=my,
        read_bandwidth=rbw, write_bandwidth=wbw, shared_bandwidth=sbw,
        per_dataspace_bandwidth_consumption_scale=tuple((str(k), float(v)) for k, v in scale.items()),
        reduction_supported=reduction,
        num_banks=int(_num(attrs, comp, "num_banks", "n_banks", default=2)),
        num_ports=int(_num(attrs, comp, "num_ports", "n_ports", default=2)),
        network_fill_latency=int(_num(attrs, comp, "network_fill_latency", default=0)),
        network_drain_latency=int(_num(attrs, comp, "network_drain_latency", default=0)),
        network_read=_get(attrs, "network_read"), network_fill=_get(attrs, "network_fill"),
        network_update=_get(attrs, "network_update"), network_drain=_get(attrs, "network_drain"),
        power_gated_at=_get(attrs, "power_gated_at"),
        allow_overbooking=bool(_get(attrs, "allow_overbooking", default=False)),
        vector_access_energy=_num(attrs, comp, "vector_access_energy", default=None),
        is_dummy="dummy" in cls or name.startswith("inter_") and name.endswith("_spatial"),
        attributes=tuple(attrs.items()),
    )


def _compute(comp: dict, instances: int) -> ComputeLevel:
    name, _ = split_range(comp["name"])
    attrs = comp.get("attributes") or {}
    inst, mx, my = _mesh(attrs, instances, comp)
    wb = int(_num(attrs, comp, "word_bits", "datawidth", default=16, positive=True))
    return ComputeLevel(name=name, cls=str(comp.get("class", "")), subclass=comp.get("subclass"),
                        word_bits=wb, instances=inst, meshX=mx, meshY=my,
                        attributes=tuple(attrs.items()))


def lower_architecture(arch: Any) -> Architecture:
    """TL-native tree (`subtree`/`local`) or legacy ISPASS `arch:` -> Architecture."""
    if not isinstance(arch, dict):
        raise ValidationError("`architecture` must be a mapping", path="architecture")
    if "nodes" in arch:
        from loopnest.spec.native import to_native  # v0.4 given directly

        arch = to_native({"architecture": arch})["architecture"]
    storage_outer_first: list[StorageLevel] = []
    computes: list[ComputeLevel] = []
    top_name = "System"

    def walk(node: dict, mult: int, depth: int) -> None:
        nonlocal top_name
        base, n = split_range(node.get("name", "System"))
        if depth == 0:
            top_name = base
        mult *= n
        for comp in node.get("local", []) or []:
            if comp.get("enabled", True) is False:
                continue
            cbase, cn = split_range(comp.get("name", ""))
            kind = _classify(str(comp.get("class", "")))
            if kind == "storage":
                storage_outer_first.append(_storage(comp, mult * cn))
            elif kind == "compute":
                computes.append(_compute(comp, mult * cn))
        subs = node.get("subtree", []) or []
        if len(subs) > 1:
            raise spec_error(node, "subtree", "a subtree level may have only one child subtree",
                             "put sibling components in the same `local` list")
        for s in subs:
            walk(s, mult, depth + 1)

    if "subtree" in arch:
        for s in arch["subtree"]:
            walk(s, 1, 0)
    elif "arch" in arch or "storage" in arch:  # legacy ISPASS
        legacy = arch.get("arch", arch)
        for st in reversed(legacy.get("storage", [])):
            storage_outer_first.append(_storage(st, int(st.get("instances", 1))))
        arith = legacy.get("arithmetic", {})
        computes.append(_compute(arith, int(arith.get("instances", 1))))
    else:
        raise spec_error(arch, None, "architecture has neither `subtree` nor `nodes`",
                         "write a v0.4 `nodes:` list or a v0.3 `subtree:` tree")
    if len(computes) != 1:
        raise spec_error(arch, None, f"architecture needs exactly one compute component, found "
                         f"{len(computes)}", "mark the MAC with a class containing 'mac' or 'compute'")
    if not storage_outer_first:
        raise spec_error(arch, None, "architecture has no storage level")
    storage = tuple(reversed(storage_outer_first))
    names = [s.name for s in storage] + [computes[0].name]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise spec_error(arch, None, f"duplicate component name(s): {', '.join(sorted(dup))}",
                         "component names must be unique")
    a = Architecture(storage=storage, compute=computes[0], name=top_name)
    for i in range(len(storage)):
        below = storage[i - 1] if i > 0 else computes[0]
        if below.meshX % storage[i].meshX or below.meshY % storage[i].meshY:
            raise ValidationError(
                f"mesh of '{below.name}' ({below.meshX}x{below.meshY}) is not a multiple of the mesh "
                f"of '{storage[i].name}' ({storage[i].meshX}x{storage[i].meshY})",
                path="architecture", hint="inner levels must replicate outer ones evenly")
    return a


# --------------------------------------------------------------------------- mapping

def _dim_regex(dims: tuple[str, ...]) -> re.Pattern:
    alts = "|".join(re.escape(d) for d in sorted(dims, key=len, reverse=True))
    return re.compile(r"(?<![A-Za-z0-9_])(" + alts + r")\s*=?\s*(\d+)(?:,(\d+)(?![=A-Za-z]))?")


def parse_factors(text: Any, workload: Workload, node: Any = None, key: Any = "factors"
                  ) -> dict[str, tuple[int, int | None]]:
    """Timeloop factor text (`R=3 P=16`, `C1 M8`, `R=1,S=1`, lists) -> {dim: (factor, residual)}."""
    if isinstance(text, (list, tuple)):
        # joined with commas as the front end does: [P=20, 17] is P=20,17
        text = ",".join(str(t) for t in text)
    text = str(text).split("#", 1)[0]
    rx = _dim_regex(workload.dimensions)
    out: dict[str, tuple[int, int | None]] = {}
    pos = 0
    for m in rx.finditer(text):
        gap = text[pos:m.start()]
        _check_gap(gap, workload, node, key)
        pos = m.end()
        d, n = m.group(1), int(m.group(2))
        if n == 0:
            n = workload.bound(d)
        out[d] = (n, int(m.group(3)) if m.group(3) else None)
    _check_gap(text[pos:], workload, node, key)
    return out


def _check_gap(gap: str, workload: Workload, node: Any, key: Any) -> None:
    junk = re.sub(r"[\s,;]+", " ", gap).strip()
    if junk:
        word = re.split(r"[=<>\d\s]", junk)[0] or junk
        near = _closest(word, list(workload.dimensions))
        raise spec_error(node, key, f"cannot read factor '{junk}'",
                         (f"unknown dimension '{word}'; did you mean '{near}'? " if near else "")
                         + f"write factors as DIM=N with DIM in {', '.join(workload.dimensions)}")


def parse_permutation(perm: Any, workload: Workload, node: Any = None) -> list[str]:
    """Permutation text or list (inner-most first) -> full dim order (unlisted dims appended)."""
    if perm is None:
        items: list[str] = []
    elif isinstance(perm, (list, tuple)):
        items = [str(p).strip() for p in perm]
    else:
        text = re.sub(r"[\s,]", "", str(perm))
        items = []
        dims = sorted(workload.dimensions, key=len, reverse=True)
        i = 0
        while i < len(text):
            for d in dims:
                if text.startswith(d, i):
                    items.append(d)
                    i += len(d)
                    break
            else:
                near = _closest(text[i], list(workload.dimensions))
                raise spec_error(node, "permutation", f"unknown dimension '{text[i]}' in permutation "
                                 f"'{perm}'", f"dimensions are {''.join(workload.dimensions)}"
                                 + (f" (did you mean '{near}'?)" if near else ""))
    for d in items:
        if d not in workload.dimensions:
            raise spec_error(node, "permutation", f"unknown dimension '{d}' in permutation",
                             f"dimensions are {', '.join(workload.dimensions)}")
    if len(set(items)) != len(items):
        raise spec_error(node, "permutation", f"dimension repeated in permutation '{perm}'")
    return items + [d for d in workload.dimensions if d not in items]


def _ds_list(v: Any, workload: Workload, node: Any, key: str) -> set[str]:
    if v is None:
        return set()
    if isinstance(v, str):
        v = [v]
    out = set()
    for x in v:
        x = str(x)
        if x == "*":
            out |= set(workload.ds_names)
            continue
        if x not in workload.ds_names:
            near = _closest(x, list(workload.ds_names))
            raise spec_error(node, key, f"unknown data space '{x}'",
                             f"did you mean '{near}'?" if near else
                             f"data spaces are {', '.join(workload.ds_names)}")
        out.add(x)
    return out


def _resolve_target(t: Any, arch: Architecture, node: Any) -> int:
    names = [s.name for s in arch.storage]
    if isinstance(t, int) and not isinstance(t, bool):
        if 0 <= t < len(names):
            return t
        raise spec_error(node, "target", f"level index {t} out of range 0..{len(names) - 1}")
    base, _ = split_range(str(t))
    if base in names:
        return names.index(base)
    spatial = f"inter_{base}_spatial"
    if spatial in names:
        return names.index(spatial)
    near = _closest(base, names)
    raise spec_error(node, "target", f"unknown mapping target '{t}'",
                     (f"did you mean '{near}'? " if near else "") + f"storage levels are {', '.join(names)}")


def lower_mapping(directives: Any, workload: Workload, arch: Architecture,
                  check_bounds: bool = True) -> Mapping:
    """Timeloop `mapping:` directives -> Mapping (one LevelMapping per storage level)."""
    if isinstance(directives, dict):
        directives = directives.get("mapping", directives.get("targets", []))
    n = len(arch.storage)
    temporal: list[dict[str, tuple[int, int | None]] | None] = [None] * n
    spatial: list[dict[str, tuple[int, int | None]] | None] = [None] * n
    tperm: list[list[str] | None] = [None] * n
    sperm: list[list[str] | None] = [None] * n
    split: list[int | None] = [None] * n
    keep: list[set[str]] = [set(workload.ds_names) for _ in range(n)]
    extras: list[dict[str, set[str]]] = [dict() for _ in range(n)]
    origins: dict[tuple[str, int], Any] = {}
    for d in directives or []:
        if not isinstance(d, dict):
            raise spec_error(directives, None, "mapping directive must be a mapping")
        typ = str(d.get("type", "")).strip()
        if "target" not in d:
            raise spec_error(d, None, "mapping directive has no `target`",
                             "add `target: <storage level name>`")
        lvl = _resolve_target(d["target"], arch, d)
        if typ in ("temporal", "spatial"):
            f = parse_factors(d.get("factors", ""), workload, d) if "factors" in d else {}
            perm = parse_permutation(d.get("permutation"), workload, d)
            store, pstore = (temporal, tperm) if typ == "temporal" else (spatial, sperm)
            if store[lvl] is not None:
                raise spec_error(d, "type", f"second {typ} directive for level "
                                 f"'{arch.storage[lvl].name}'", "merge the two directives into one")
            store[lvl] = f
            pstore[lvl] = perm
            origins[(typ, lvl)] = d
            if typ == "spatial":
                split[lvl] = int(d["split"]) if d.get("split") is not None else None
            key = "no_temporal_reuse" if typ == "temporal" else "no_spatial_reuse"
            nr = _get(d, "no_reuse", "no_temporal_reuse" if typ == "temporal" else "no_spatial_reuse")
            if nr:
                extras[lvl].setdefault(key, set()).update(_ds_list(nr, workload, d, "no_reuse"))
            if typ == "temporal" and d.get("rmw_first_update"):
                extras[lvl].setdefault("rmw_first_update", set()).update(
                    _ds_list(d["rmw_first_update"], workload, d, "rmw_first_update"))
            if typ == "spatial" and d.get("no_link_transfer"):
                extras[lvl].setdefault("no_link_transfer", set()).update(
                    _ds_list(d["no_link_transfer"], workload, d, "no_link_transfer"))
        elif typ in ("bypass", "datatype", "dataspace", "bypassing"):
            k = _ds_list(d.get("keep"), workload, d, "keep")
            b = _ds_list(d.get("bypass"), workload, d, "bypass")
            keep[lvl] = (keep[lvl] | k) - b
            if d.get("no_coalesce"):
                extras[lvl].setdefault("no_coalesce", set()).update(
                    _ds_list(d["no_coalesce"], workload, d, "no_coalesce"))
        elif typ == "skew":
            continue
        else:
            raise spec_error(d, "type", f"unknown mapping directive type '{typ}'",
                             "use one of temporal, spatial, bypass, datatype")
    levels = []
    totals = {dim: 1 for dim in workload.dimensions}
    for i in range(n):
        fx, fy = arch.fanout(i)
        tf = temporal[i] or {}
        sf = spatial[i] or {}
        if sf and any(v[0] > 1 for v in sf.values()) and fx * fy == 1:
            raise spec_error(origins.get(("spatial", i)), "factors",
                             f"spatial factors at '{arch.storage[i].name}', which has no fan-out",
                             "put spatial factors on a level with a fan-out (meshX/meshY > 1 below it)")
        t_loops = tuple(Loop(dm, tf.get(dm, (1, None))[0], None, tf.get(dm, (1, None))[1])
                        for dm in (tperm[i] or list(workload.dimensions)))
        sp = sperm[i] or list(workload.dimensions)
        spl = split[i] if split[i] is not None else len(sp)
        s_loops = tuple(Loop(dm, sf.get(dm, (1, None))[0], "X" if j < spl else "Y",
                             sf.get(dm, (1, None))[1]) for j, dm in enumerate(sp))
        for lp in t_loops + s_loops:
            totals[lp.dim] *= lp.end
        ex = extras[i]
        levels.append(LevelMapping(
            temporal=t_loops, spatial=s_loops, keep=frozenset(keep[i]),
            bypass=frozenset(set(workload.ds_names) - keep[i]),
            no_temporal_reuse=frozenset(ex.get("no_temporal_reuse", ())),
            no_spatial_reuse=frozenset(ex.get("no_spatial_reuse", ())),
            no_link_transfer=frozenset(ex.get("no_link_transfer", ())),
            rmw_first_update=frozenset(ex.get("rmw_first_update", ())),
            no_coalesce=frozenset(ex.get("no_coalesce", ())),
            temporal_permutation="".join(tperm[i] or ()),
            spatial_permutation="".join(sperm[i] or ()), split=split[i]))
    mapping = Mapping(levels=tuple(levels))
    if check_bounds:
        _check_residuals(mapping, workload, arch, directives, origins)
        for dim in workload.dimensions:
            has_residual = any(lp.residual is not None for lv in levels
                               for lp in lv.temporal + lv.spatial if lp.dim == dim)
            if totals[dim] != workload.bound(dim) and not has_residual:
                node, key = _factor_origin(dim, workload, directives, origins)
                raise spec_error(
                    node, key,
                    f"factors of {dim} multiply to {totals[dim]}, but the problem bound of {dim} "
                    f"is {workload.bound(dim)}",
                    f"make the {dim} factors over all levels multiply to {workload.bound(dim)}")
    for ds in workload.ds_names:
        if not any(ds in lv.keep for lv in levels):
            raise spec_error(directives, None, f"data space '{ds}' is bypassed at every level",
                             "keep it at least at the outermost level")
    return mapping


def _factor_origin(dim: str, workload: Workload, directives: Any,
                   origins: dict[tuple[str, int], Any], level: int | None = None,
                   kind: str | None = None) -> tuple[Any, Any]:
    """The directive (and key) that gives a factor of `dim` (at `level`/`kind` if given),
    preferring one where that factor carries a residual."""
    found = []
    for (typ, lvl), d in origins.items():
        if (level is not None and lvl != level) or (kind and typ != kind):
            continue
        f = parse_factors(d["factors"], workload, d) if "factors" in d else {}
        if dim in f:
            found.append((f[dim][1] is None, d))
    if found:
        return min(found, key=lambda x: x[0])[1], "factors"
    return directives, None


def _check_residuals(mapping: Mapping, workload: Workload, arch: Architecture, directives: Any,
                     origins: dict[tuple[str, int], Any]) -> None:
    """Timeloop's residual rules (ir/residuals.py); the first broken one is a located error."""
    bounds = {d: workload.bound(d) for d in workload.dimensions}
    for p in residual_problems(mapping, bounds):
        node, key = _factor_origin(p.dim, workload, directives, origins, p.level, p.kind or None)
        where = f" at '{arch.storage[p.level].name}'" if p.level is not None else ""
        raise spec_error(node, key, p.message + where, p.hint)


# --------------------------------------------------------------------------- design

def lower_design(native: Any, require_mapping: bool = False) -> Design:
    """TL-native spec -> Design (workload, architecture, mapping, constraints, tables)."""
    if not isinstance(native, dict):
        raise ValidationError("input is empty or not a mapping of top-level keys")
    for key in ("architecture", "problem"):
        if key not in native:
            present = list(native.keys())
            near = _closest(key, present)
            raise ValidationError(f"missing top-level key `{key}`",
                                  hint=(f"found `{near}`; did you mean `{key}`?" if near and near != key
                                        else f"add a file that defines `{key}`"))
    workload = lower_workload(native["problem"])
    arch = lower_architecture(native["architecture"])
    mapping = None
    if native.get("mapping"):
        mapping = lower_mapping(native["mapping"], workload, arch)
    elif require_mapping:
        raise ValidationError("no `mapping` given", hint="add a mapping file, or run `loopnest mapper`")
    constraints = None
    try:
        from loopnest.ir.lower_constraints import lower_constraints
    except ImportError:  # front-end constraints not available
        lower_constraints = None
    if lower_constraints is not None:
        constraints = lower_constraints(native, workload, arch)
    tables = tables_from_spec(native.get("ERT"), native.get("ART"))
    return Design(workload=workload, architecture=arch, mapping=mapping, constraints=constraints,
                  mapper_options=dict(native.get("mapper") or {}), tables=tables, native=native)
