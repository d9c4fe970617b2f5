"""Transpile a v0.4 spec (`architecture.nodes`) to the TL-native form (FORMATS §3.3).

    to_native(spec, for_model=None) -> LocDict

Steps, as timeloopfe does them: attach every constraint / mapping directive to
its architecture node → expand macros (§5.4) → complete `!Parallel` branches'
keep/bypass → prune permutations (unit-factor and bound-1 dims first) → walk
the nodes outer→inner into one `<first container>_top_level` subtree with
`name[1..N]` ranges, meshX/meshY, inherited container attributes, FE default
attributes and `inter_<name>_spatial` dummy levels before every fan-out.

The directives end up under `mapping:` for timeloop-model (`for_model=True`,
the default when the input has a `mapping`) or under
`architecture_constraints.targets` for the mapper. Input that is already
TL-native / v0.3 (`subtree`) or legacy ISPASS (`arch:`) is returned
normalised but otherwise unchanged, so `to_native` is idempotent.
"""
from __future__ import annotations

import copy
from typing import Any

from loopnest.errors import ValidationError
from loopnest.spec.hints import closest_hint
from loopnest.spec.located import LocDict, LocList, from_origin, mark_origin, \
    repath, where
from loopnest.spec.macros import ProblemInfo, expand_dataspace, expand_iteration, \
    factor_items, split_factor

STORAGE_DEFAULTS = {"has_power_gating": False, "n_banks": 2, "cluster_size": 1,
                    "reduction_supported": True, "multiple_buffering": 1,
                    "min_utilization": 0, "allow_overbooking": False}
COMPUTE_DEFAULTS = {"has_power_gating": False}
DUMMY_ATTRS = {"width": 1, "depth": 1, "datawidth": 1, "technology": -1}
STORAGE_ACTIONS = ["update", "read", "write", "leak"]
COMPUTE_ACTIONS = ["compute"]
MAPPER_DEFAULTS = {
    "version": "0.4", "out_prefix": "timeloop-mapper", "num_threads": 8,
    "optimization_metric": [], "search_size": None, "timeout": 1000,
    "victory_condition": None, "sync_interval": None, "log_interval": 1,
    "log_oaves": False, "log_oaves_mappings": False, "log_stats": False,
    "log_suboptimal": False, "live_status": False, "diagnostics": False,
    "penalize_consecutive_bypass_fails": False, "emit_whoop_nest": False,
    "max_temporal_loops_in_a_mapping": -1, "algorithm": "hybrid",
    "filter_revisits": False, "max_permutations_per_if_visit": 16,
}
MAPSPACE_DEFAULTS = {"version": "0.4", "template": "uber"}
GLOBALS_DEFAULTS = {"version": "0.4", "environment_variables": {},
                    "expression_custom_functions": [], "accelergy_plug_ins": []}
DATASPACE_TYPES = ("dataspace", "bypass", "datatype", "bypassing")
GROUP_TAGS = ("!Parallel", "!Hierarchical", "!Pipelined")


def is_v4_arch(spec: Any) -> bool:
    """True when the spec's architecture uses the v0.4 `nodes` form."""
    arch = spec.get("architecture") if isinstance(spec, dict) else None
    return isinstance(arch, dict) and "nodes" in arch


def constraint_sources(spec: Any) -> list[tuple[str, Any]]:
    """(key, value) of every top-level constraint container: `*constraints*` keys."""
    return [(k, v) for k, v in spec.items() if "constraints" in str(k)]


def directives_of(value: Any) -> list:
    """Flatten a constraints value to a list of directive dicts.

    Accepts a list of directives, a dict with `targets:` and/or `constraints:`,
    and directives carrying a nested `constraints:` list (target inherited).
    """
    out: list = []
    if isinstance(value, dict):
        for key in ("targets", "constraints"):
            out += directives_of(value.get(key) or [])
        return out
    if isinstance(value, list):
        for d in value:
            if not isinstance(d, dict):
                continue
            nested = d.get("constraints")
            if isinstance(nested, list):
                for sub in nested:
                    if isinstance(sub, dict):
                        if "target" not in sub and "target" in d:
                            sub["target"] = d["target"]
                        out.append(sub)
                if "type" in d:
                    out.append(d)
            else:
                out.append(d)
    return out


# ---------------------------------------------------------------------------------------
def _leaves(nodes: Any, in_parallel: bool = False) -> list[tuple[Any, bool]]:
    """Enabled nodes in order (outer first), groups flattened; (node, under_parallel)."""
    out: list[tuple[Any, bool]] = []
    for n in nodes or []:
        if not isinstance(n, dict):
            continue
        if n.get("enabled", True) is False:
            continue
        tag = getattr(n, "tag", None)
        if tag == "!Nothing":
            continue
        if tag in GROUP_TAGS or ("nodes" in n and "name" not in n):
            out += _leaves(n.get("nodes"), tag == "!Parallel")
            continue
        out.append((n, in_parallel))
    return out


def _is_container(n: Any) -> bool:
    return getattr(n, "tag", None) == "!Container"


def _fanout(n: Any) -> tuple[int, int]:
    sp = n.get("spatial") or {}
    return int(sp.get("meshX", 1) or 1), int(sp.get("meshY", 1) or 1)


def _node_constraints(n: Any) -> LocDict:
    """The node's constraints as a dict keyed by kind (list form converted)."""
    c = n.get("constraints")
    if isinstance(c, list):
        d = LocDict(file=getattr(c, "file", None), line=getattr(c, "line", None))
        for item in c:
            if isinstance(item, dict):
                kind = _kind(item.get("type", ""))
                d[kind] = item
        c = d
    if not isinstance(c, dict):
        c = from_origin(LocDict(file=getattr(n, "file", None), line=getattr(n, "line", None)), n)
    n["constraints"] = c
    return c


def _kind(t: Any) -> str:
    t = str(t)
    return "dataspace" if t in DATASPACE_TYPES else t


def _merge_constraint(dst: Any, src: Any, where_node: Any, override: bool = False) -> None:
    """Combine a directive into an existing node constraint (lists unioned).

    With `override` (a mapping directive meeting a constraint), the mapping's keys
    replace the constraint's: a mapping is complete, e.g. a mapper's map.yaml
    re-states every level that the constraints already pinned.
    """
    for k, v in src.items():
        if k in ("type", "target"):
            continue
        if override or k not in dst:
            dst[k] = v
            if hasattr(dst, "key_lines"):
                dst.key_lines[k] = getattr(src, "key_lines", {}).get(k, getattr(src, "line", None))
            continue
        old = dst[k]
        if isinstance(old, list) or isinstance(v, list) or k == "factors":
            a = factor_items(old) if k == "factors" else list(old if isinstance(old, list) else [old])
            b = factor_items(v) if k == "factors" else list(v if isinstance(v, list) else [v])
            dst[k] = LocList(a + [x for x in b if x not in a])
        elif old != v and str(old) != str(v):
            file, line, path = where(src, k)
            raise ValidationError(
                f"'{k}' for target '{src.get('target')}' is given twice ({old!r} and {v!r})",
                file=file, line=line, path=path,
                hint="a factor, permutation, split or keep flag may be set once per level")


def _attach(spec: Any, named: dict[str, Any], dummies: dict[str, Any]) -> None:
    """Attach top-level constraint directives and the mapping to their nodes."""
    sources = constraint_sources(spec)
    if isinstance(spec.get("architecture"), dict) and "constraints" in spec["architecture"]:
        sources.append(("architecture.constraints", spec["architecture"]["constraints"]))
    mapping = spec.get("mapping")
    if mapping is not None:
        sources.append(("mapping", mapping.get("mapping", mapping)
                        if isinstance(mapping, dict) else mapping))
    n_constraint_sources = len(sources) - (1 if mapping is not None else 0)
    for si, (_key, val) in enumerate(sources):
        from_mapping = si >= n_constraint_sources
        seen_in_mapping: set[tuple[str, str]] = set()
        for d in directives_of(val):
            target = d.get("target")
            if target is None:
                file, line, path = where(d)
                raise ValidationError("constraint directive has no 'target'", file=file,
                                      line=line, path=path,
                                      hint="add target: <component or container name>")
            tname = str(target)
            node = named.get(tname) or dummies.get(tname)
            if node is None:
                file, line, path = where(d, "target")
                raise ValidationError(f"unknown target '{tname}'", file=file, line=line,
                                      path=path, hint=closest_hint(tname, list(named), "target"))
            kind = _kind(d.get("type", ""))
            if kind not in ("temporal", "spatial", "dataspace", "max_overbooked_proportion",
                            "utilization", "parallelism"):
                file, line, path = where(d, "type")
                raise ValidationError(
                    f"unknown directive type '{d.get('type')}'", file=file, line=line, path=path,
                    hint=closest_hint(str(d.get("type")), ["temporal", "spatial", "bypass",
                                                           "dataspace",
                                                           "max_overbooked_proportion",
                                                           "utilization"], "type"))
            cons = _node_constraints(node)
            if kind in cons and isinstance(cons[kind], dict):
                first_in_mapping = from_mapping and (tname, kind) not in seen_in_mapping
                _merge_constraint(cons[kind], d, node, override=first_in_mapping)
            else:
                new = LocDict(file=getattr(d, "file", None), line=getattr(d, "line", None),
                              key_lines=getattr(d, "key_lines", {}))
                for k, v in d.items():
                    if k not in ("type", "target"):
                        new[k] = v
                cons[kind] = new
            if from_mapping:
                seen_in_mapping.add((tname, kind))


def _parallel_branches(nodes: Any, prob: ProblemInfo) -> None:
    """Each !Parallel branch bypasses what it does not keep; all data spaces kept once."""
    for n in nodes or []:
        if not isinstance(n, dict):
            continue
        if getattr(n, "tag", None) in GROUP_TAGS or ("nodes" in n and "name" not in n):
            _parallel_branches(n.get("nodes"), prob)
            if getattr(n, "tag", None) != "!Parallel":
                continue
            kept_by: dict[str, str] = {}
            branches = [b for b, _ in _leaves(n.get("nodes"))]
            # a !Nothing branch may "keep" data spaces that simply pass through
            nothings = [b for b in n.get("nodes") or [] if getattr(b, "tag", None) == "!Nothing"
                        and isinstance(b, dict)]
            for b in nothings:
                ds = _node_constraints(b).get("dataspace") or {}
                for d in ds.get("keep") or []:
                    kept_by[str(d)] = "!Nothing"
            for b in branches:
                ds = _node_constraints(b).get("dataspace")
                keep = list((ds or {}).get("keep") or [])
                for d in keep:
                    if d in kept_by:
                        file, line, path = where(b)
                        raise ValidationError(
                            f"data space '{d}' is kept by two !Parallel branches "
                            f"('{kept_by[d]}' and '{b.get('name')}')", file=file, line=line,
                            path=path, hint="each data space must be kept by exactly one branch")
                    kept_by[d] = str(b.get("name"))
                if ds is not None:
                    ds["bypass"] = LocList(_uniq(list(ds.get("bypass") or []) +
                                                 [x for x in prob.data_spaces if x not in keep]))
            missing = [d for d in prob.data_spaces if d not in kept_by]
            if missing and branches:
                file, line, path = where(n)
                raise ValidationError(
                    f"data space(s) {', '.join(missing)} kept by no !Parallel branch",
                    file=file, line=line, path=path,
                    hint="add them to one branch's constraints.dataspace.keep")


def _uniq(xs: list) -> list:
    out: list = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def _prune_permutations(leaves: list, prob: ProblemInfo) -> None:
    """Prepend unit-factor and bound-1 dims missing from a permutation (FE processor)."""
    for node, _ in leaves:
        fx, fy = _fanout(node)
        kinds = []
        if not _is_container(node) and node is not leaves[-1][0]:
            kinds.append("temporal")
        if fx * fy > 1:
            kinds.append("spatial")
        cons = _node_constraints(node)
        for kind in kinds:
            c = cons.get(kind)
            if c is None:
                c = from_origin(LocDict(file=getattr(node, "file", None),
                                        line=getattr(node, "line", None)), node)
            perm = _perm_list(c.get("permutation"))
            for item in factor_items(c.get("factors")):
                sp = split_factor(item)
                if sp and sp[1] == "=" and sp[2] == 1 and sp[0] not in perm:
                    perm.insert(0, sp[0])
            for d in prob.dims:
                if prob.bounds.get(d) == 1 and d not in perm:
                    perm.insert(0, d)
            if perm:
                c["permutation"] = perm
            if c:
                cons[kind] = c


def _perm_list(p: Any) -> list[str]:
    if p is None:
        return []
    if isinstance(p, list):
        return [str(x).strip() for x in p if str(x).strip()]
    text = str(p)
    if "," in text or " " in text.strip():
        return [x for x in text.replace(",", " ").split() if x]
    return [c for c in text if not c.isspace()]


# ---------------------------------------------------------------------------------------
def _directive(kind: str, target: str, body: Any) -> LocDict:
    d = LocDict(file=getattr(body, "file", None), line=getattr(body, "line", None),
                key_lines=getattr(body, "key_lines", {}))
    for k, v in body.items():
        if k == "factors":
            v = ",".join(factor_items(v))
        elif k == "permutation":
            v = "".join(_perm_list(v)) if isinstance(v, list) else v
        d[k] = v
    d["type"] = "bypass" if kind == "dataspace" else kind
    d["target"] = target
    return from_origin(d, body)


def _dummy(name: str, meshx: int, meshy: int, inherited: dict, prob: ProblemInfo,
           spatial: Any, at: Any) -> tuple[LocDict, list]:
    attrs = from_origin(LocDict(DUMMY_ATTRS), at)
    attrs.update(STORAGE_DEFAULTS)
    attrs["meshX"], attrs["meshY"] = meshx, meshy
    for k, v in inherited.items():
        attrs.setdefault(k, v)
    attrs.setdefault("power_gated_at", None)
    node = from_origin(LocDict(file=getattr(at, "file", None), line=getattr(at, "line", None)),
                       at)
    node["name"] = f"{name}[1..{meshx * meshy}]"
    node["class"] = "dummy_storage"
    node["attributes"] = attrs
    node["enabled"] = True
    dirs = []
    if spatial:
        dirs.append(_directive("spatial", name, spatial))
    tmp = LocDict(file=node.file, line=node.line)
    from_origin(tmp, at)
    tmp["factors"] = [f"{d}=1" for d in prob.dims]
    tmp["permutation"] = list(prob.dims)
    dirs.append(_directive("temporal", name, tmp))
    byp = LocDict(file=node.file, line=node.line)
    from_origin(byp, at)
    byp["bypass"] = list(prob.data_spaces)
    dirs.append(_directive("dataspace", name, byp))
    return node, dirs


def _transpile_arch(spec: Any, leaves: list, prob: ProblemInfo) -> tuple[LocDict, list, list]:
    """Walk the flattened nodes; return (architecture, directives, sparse targets)."""
    arch_in = spec["architecture"]
    variables = spec.get("variables") or {}
    top_attrs = from_origin(LocDict(file=getattr(variables, "file", None),
                                    line=getattr(variables, "line", None)), variables)
    top_attrs["version"] = str(arch_in.get("version", "0.4"))
    for k, v in variables.items():
        top_attrs[k] = str(v) if k == "version" else v
    top_name = "top_level"
    if leaves and _is_container(leaves[0][0]):
        first = leaves[0][0]
        top_name = f"{first.get('name')}_top_level"
        top_attrs.update(first.get("attributes") or {})
    top_attrs.setdefault("has_power_gating", False)
    top_attrs.setdefault("power_gated_at", None)

    local = from_origin(LocList(file=getattr(arch_in, "file", None),
                                line=getattr(arch_in, "line", None)), arch_in)
    directives: list = []
    sparse: list = []
    inherited: dict = {}
    mx, my = 1, 1
    compute_node = next((n for n, _ in reversed(leaves) if not _is_container(n)), None)
    for node, in_par in leaves:
        fx, fy = _fanout(node)
        name = str(node.get("name"))
        cons = node.get("constraints") or {}
        if _is_container(node):
            inherited.update(node.get("attributes") or {})
            inherited.setdefault("has_power_gating", False)
        if fx * fy > 1:
            if in_par:
                file, line, path = where(node, "spatial")
                raise ValidationError(f"'{name}' has fan-out but is inside a !Parallel",
                                      file=file, line=line, path=path,
                                      hint="move the spatial fan-out to an enclosing !Container")
            d, ddirs = _dummy(f"inter_{name}_spatial", mx, my, _inh(inherited), prob,
                              cons.get("spatial"), node)
            local.append(d)
            directives += ddirs
            mx, my = mx * fx, my * fy
        if _is_container(node):
            continue
        out = from_origin(LocDict(file=getattr(node, "file", None),
                                  line=getattr(node, "line", None),
                                  key_lines=getattr(node, "key_lines", {})), node)
        is_compute = node is compute_node
        out["name"] = f"{name}[1..{mx * my}]"
        for k in ("class", "subclass"):
            if k in node:
                out[k] = node[k]
        attrs = LocDict(node.get("attributes") or {}, file=getattr(node.get("attributes"), "file",
                                                                   None),
                        line=getattr(node.get("attributes"), "line", None),
                        key_lines=getattr(node.get("attributes"), "key_lines", {}))
        from_origin(attrs, node.get("attributes") if isinstance(node.get("attributes"), dict)
                    else node)
        for k, v in (COMPUTE_DEFAULTS if is_compute else STORAGE_DEFAULTS).items():
            attrs.setdefault(k, v)
        attrs["meshX"], attrs["meshY"] = mx, my
        for k, v in _inh(inherited).items():
            attrs.setdefault(k, v)
        attrs.setdefault("power_gated_at", None)
        out["attributes"] = attrs
        actions = list(node.get("required_actions") or [])
        out["required_actions"] = _uniq(actions + (COMPUTE_ACTIONS if is_compute
                                                   else STORAGE_ACTIONS))
        for k in ("area_scale", "energy_scale"):
            if k in node:
                out[k] = node[k]
        out["enabled"] = True
        local.append(out)
        for kind, body in cons.items():
            if kind == "spatial" and fx * fy > 1:
                continue  # moved to the dummy
            if is_compute and kind == "temporal" and not body:
                continue
            if isinstance(body, dict) and body:
                directives.append(_directive(kind, name, body))
            elif kind == "max_overbooked_proportion" and not isinstance(body, dict):
                d = LocDict(file=getattr(cons, "file", None), line=getattr(cons, "line", None))
                d["proportion"] = body
                directives.append(_directive(kind, name, d))
        if "sparse_optimizations" in node:
            so = LocDict(node["sparse_optimizations"])
            so["name"] = name
            sparse.append(so)
    level = from_origin(LocDict(file=getattr(arch_in, "file", None),
                                line=getattr(arch_in, "line", None)), arch_in)
    level["name"] = top_name
    level["attributes"] = top_attrs
    level["local"] = local
    arch = from_origin(LocDict(file=getattr(arch_in, "file", None),
                               line=getattr(arch_in, "line", None)), arch_in)
    arch["version"] = str(arch_in.get("version", "0.4"))
    arch["subtree"] = from_origin(LocList([level]), arch_in)
    return arch, directives, sparse


def _inh(inherited: dict) -> dict:
    return {k: v for k, v in inherited.items() if k not in ("has_power_gating",)}


# ---------------------------------------------------------------------------------------
def _normalize_problem(problem: Any) -> Any:
    if not isinstance(problem, dict):
        return problem
    problem.setdefault("version", "0.4")
    shape = problem.get("shape")
    if isinstance(shape, dict):
        for ds in shape.get("data_spaces") or []:
            if isinstance(ds, dict):
                ds.setdefault("read_write", False)
        shape.setdefault("coefficients", LocList())
    inst = problem.get("instance")
    if isinstance(inst, dict):
        inst.setdefault("densities", LocDict())
    return problem


def _components(spec: Any) -> LocDict:
    out = LocDict()
    out["version"] = "0.4"
    classes = LocList()
    for key in ("compound_components", "components"):
        v = spec.get(key)
        if isinstance(v, dict):
            out["version"] = str(v.get("version", out["version"]))
            classes.extend(v.get("classes") or [])
        elif isinstance(v, list):
            classes.extend(v)
    out["classes"] = classes
    return out


def _with_defaults(value: Any, defaults: dict) -> LocDict:
    out = LocDict(value if isinstance(value, dict) else {},
                  file=getattr(value, "file", None), line=getattr(value, "line", None),
                  key_lines=getattr(value, "key_lines", {}))
    for k, v in defaults.items():
        out.setdefault(k, copy.deepcopy(v))
    if "version" in out:
        out["version"] = str(out["version"])
    return out


def to_native(spec: LocDict, for_model: bool | None = None) -> LocDict:
    """TL-native copy of `spec` (see module doc). `for_model=None`: model iff a mapping."""
    spec = copy.deepcopy(spec)
    if not is_v4_arch(spec):
        return _native_passthrough(spec)
    mark_origin(spec)  # errors in the native tree name the user's own v0.4 paths
    if for_model is None:
        for_model = bool(spec.get("mapping"))
    prob = ProblemInfo(spec.get("problem"))
    arch_in = spec["architecture"]
    leaves = _leaves(arch_in.get("nodes"))
    named: dict[str, Any] = {}
    for n, _ in leaves:
        nm = n.get("name")
        if nm is None:
            continue
        if str(nm) in named:
            file, line, path = where(n, "name")
            raise ValidationError(f"duplicate component name '{nm}'", file=file, line=line,
                                  path=path, hint="architecture node names must be unique")
        named[str(nm)] = n
    dummies = {f"inter_{k}_spatial": v for k, v in named.items() if _fanout(v) != (1, 1)}
    _attach(spec, named, dummies)
    for n, _ in leaves:
        cons = _node_constraints(n)
        fx, fy = _fanout(n)
        for kind in ("temporal", "spatial"):
            if isinstance(cons.get(kind), dict):
                expand_iteration(cons[kind], prob, fx * fy if kind == "spatial" else None)
        if isinstance(cons.get("dataspace"), dict):
            expand_dataspace(cons["dataspace"], prob)
    _parallel_branches(arch_in.get("nodes"), prob)
    _prune_permutations(leaves, prob)
    arch, directives, sparse = _transpile_arch(spec, leaves, prob)

    out = LocDict(file=getattr(spec, "file", None), line=getattr(spec, "line", None))
    out["dumped_by_timeloop_front_end"] = True
    out["architecture"] = arch
    src_c = next((v for _, v in constraint_sources(spec)), None)
    ac = from_origin(LocDict(file=getattr(src_c, "file", None), line=getattr(src_c, "line", None)),
                     src_c)
    ac["targets"] = LocList([] if for_model else directives, file=ac.file, line=ac.line)
    out["architecture_constraints"] = ac
    out["problem"] = _normalize_problem(spec.get("problem"))
    out["compound_components"] = _components(spec)
    src_map = spec.get("mapping")
    out["mapping"] = from_origin(LocList(directives if for_model else [],
                                         file=getattr(src_map, "file", None),
                                         line=getattr(src_map, "line", None)), src_map)
    if sparse or spec.get("sparse_optimizations"):
        so = spec.get("sparse_optimizations") or LocDict()
        targets = LocList(list(so.get("targets") or []) + sparse)
        so = LocDict(so)
        so["targets"] = targets
        out["sparse_optimizations"] = so
    out["mapper"] = _with_defaults(spec.get("mapper"), MAPPER_DEFAULTS)
    out["mapspace"] = _with_defaults(spec.get("mapspace"), MAPSPACE_DEFAULTS)
    out["globals"] = _with_defaults(spec.get("globals"), GLOBALS_DEFAULTS)
    for k in ("ERT", "ART", "action_counts"):
        if k in spec:
            out[k] = spec[k]
    repath(out)
    return out


def _ispass_to_tree(arch: Any) -> LocDict:
    """Legacy ISPASS `arch: {arithmetic, storage (inner first)}` as a v0.3 tree."""
    def comp(d: Any, cls: str) -> LocDict:
        out = LocDict(file=getattr(d, "file", None), line=getattr(d, "line", None))
        out["name"] = str(d.get("name", cls))
        out["class"] = str(d.get("class", cls))
        attrs = LocDict({k: v for k, v in d.items() if k not in ("name", "class")},
                        file=out.file, line=out.line, key_lines=getattr(d, "key_lines", {}))
        out["attributes"] = attrs
        return out

    local = LocList(file=getattr(arch, "file", None), line=getattr(arch, "line", None))
    for st in reversed(list(arch.get("storage") or [])):
        if isinstance(st, dict):
            tech = str(st.get("technology", "SRAM"))
            local.append(comp(st, "DRAM" if "DRAM" in tech else "SRAM"))
    if isinstance(arch.get("arithmetic"), dict):
        local.append(comp(arch["arithmetic"], "intmac"))
    top = LocDict(file=local.file, line=local.line)
    top["name"], top["local"] = "System", local
    out = LocDict(file=local.file, line=local.line)
    out["version"], out["subtree"] = "0.3", LocList([top])
    return out


# v0.3 attribute names and the v0.4 names compound classes expect (timeloopfe's v3 -> v4
# conversion gives the new name; the old one is kept for v0.3 classes that use it)
V03_NAMES = {"memory_depth": "depth", "memory_width": "width", "word_bits": "datawidth",
             "word-bits": "datawidth", "block-size": "block_size"}


def _is_v03(version: Any) -> bool:
    try:
        return float(str(version)) < 0.4
    except ValueError:
        return False


def _v03_attribute_names(node: Any) -> None:
    """Give every component of a v0.3 tree the v0.4 names of its v0.3 attributes."""
    for comp in node.get("local") or []:
        attrs = comp.get("attributes") if isinstance(comp, dict) else None
        if isinstance(attrs, dict):
            for old, new in V03_NAMES.items():
                if old in attrs and new not in attrs:
                    attrs[new] = attrs[old]
                    if hasattr(attrs, "key_lines") and old in attrs.key_lines:
                        attrs.key_lines[new] = attrs.key_lines[old]
    for sub in node.get("subtree") or []:
        if isinstance(sub, dict):
            _v03_attribute_names(sub)


def _native_passthrough(spec: LocDict) -> LocDict:
    """TL-native / v0.3 / ISPASS input: keep as is, normalise problem and components.

    The legacy ISPASS top-level `arch:` (`arithmetic` + `storage`, inner first) becomes
    `architecture:` with the same content, which the IR lowering reads as such.
    """
    if isinstance(spec.get("arch"), dict) and "architecture" not in spec:
        spec["architecture"] = _ispass_to_tree(spec.pop("arch"))
    arch = spec.get("architecture")
    if isinstance(arch, dict) and _is_v03(arch.get("version")):
        _v03_attribute_names(arch)
    if isinstance(spec.get("problem"), dict):
        _normalize_problem(spec["problem"])
    if "components" in spec and "compound_components" not in spec:
        spec["compound_components"] = _components(spec)
        del spec["components"]
    repath(spec)
    return spec
