"""`validate_spec(spec)`: schema checks, then semantic checks a schema cannot express.

Raises the first problem as a located SpecError/ValidationError with a hint.
Semantic checks: duplicate component names, projections naming unknown
dimensions or coefficients, dimension bounds that are missing or not positive,
unknown directive targets, unknown dimensions in factors / permutations,
unknown data spaces in keep/bypass, v0.4 spatial factors above the node's
meshX·meshY, zero or negative sizes. Factor products against bounds and mapping
targets of TL-native input are checked by `loopnest.ir.lower`.
"""
from __future__ import annotations

import re
from typing import Any

from loopnest.errors import ValidationError
from loopnest.spec.hints import closest_hint
from loopnest.spec.located import where
from loopnest.spec.macros import ProblemInfo, factor_items, factor_residual, split_factor
from loopnest.spec.native import GROUP_TAGS, constraint_sources, directives_of, is_v4_arch
from loopnest.spec.schema import check_spec

_RANGE = re.compile(r"^(.*?)\[(\d+)\.\.(\d+)\]$")


def _err(node: Any, key: Any, msg: str, hint: str | None = None) -> ValidationError:
    file, line, path = where(node, key)
    return ValidationError(msg, file=file, line=line, path=path, hint=hint)


def validate_spec(spec: Any) -> None:
    """Schema + semantic checks of a loaded (not yet transpiled) spec."""
    check_spec(spec)
    prob = ProblemInfo(spec.get("problem"))
    if isinstance(spec.get("problem"), dict):
        check_problem(spec["problem"])
    names = check_architecture(spec.get("architecture"))
    if prob.dims:
        check_directives(spec, prob, names)


def check_problem(problem: Any) -> None:
    """Projections name known dims/coefficients; bounds positive integers."""
    shape = problem.get("shape")
    if not isinstance(shape, dict):
        return
    dims = [str(d) for d in shape.get("dimensions") or []]
    for i, d in enumerate(shape.get("dimensions") or []):
        if dims.count(str(d)) > 1:
            raise _err(shape["dimensions"], i, f"dimension '{d}' listed twice")
    coeffs = [str(c.get("name")) for c in shape.get("coefficients") or [] if isinstance(c, dict)]
    seen = set()
    for ds in shape.get("data_spaces") or []:
        if str(ds.get("name")) in seen:
            raise _err(ds, "name", f"data space '{ds.get('name')}' defined twice")
        seen.add(str(ds.get("name")))
        _check_projection(ds, dims, coeffs)
    inst = problem.get("instance")
    if inst is None and dims and not any(d in problem for d in dims):
        raise _err(problem, None, "problem has no 'instance' (the bound of every dimension)",
                   hint=f"add `instance: {{{', '.join(f'{d}: 1' for d in dims[:4])}}}`")
    if isinstance(inst, dict):
        for d in dims:
            if d not in inst:
                raise _err(problem, "instance", f"no bound for dimension '{d}' in "
                           "problem.instance", hint=f"add `{d}: <positive int>`")
            v = inst[d]
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise _err(inst, d, f"bound of dimension '{d}' must be a positive integer, "
                           f"got {v!r}", hint="every dimension needs a bound >= 1")
        for k, v in inst.items():
            if k in coeffs and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                raise _err(inst, k, f"coefficient '{k}' must be a number, got {v!r}")


def _check_projection(ds: Any, dims: list[str], coeffs: list[str]) -> None:
    proj = ds.get("projection")
    if not isinstance(proj, list):
        raise _err(ds, "projection", "projection must be a list of ranks")
    for r, rank in enumerate(proj):
        terms = rank if isinstance(rank, list) else [rank]
        for t, term in enumerate(terms):
            parts = term if isinstance(term, list) else [term]
            holder = terms if isinstance(rank, list) else proj
            for p in parts:
                p = str(p)
                if p in dims or p in coeffs or p.lstrip("-").isdigit():
                    continue
                raise _err(holder, t if isinstance(rank, list) else r,
                           f"projection of '{ds.get('name')}' names unknown dimension or "
                           f"coefficient '{p}'", hint=closest_hint(p, dims + coeffs))


def check_architecture(arch: Any) -> list[str]:
    """Duplicate names and non-positive sizes; returns the level/node names."""
    if not isinstance(arch, dict):
        return []
    names: dict[str, Any] = {}

    def visit(node: Any, key: str = "name") -> None:
        raw = str(node.get(key, ""))
        m = _RANGE.match(raw)
        base = m.group(1) if m else raw
        if m and int(m.group(3)) < int(m.group(2)):
            raise _err(node, key, f"empty instance range in '{raw}'",
                       hint="use name[lo..hi] with lo <= hi")
        if base in names:
            raise _err(node, key, f"duplicate component name '{base}'",
                       hint=f"also defined at {names[base].file}:{names[base].line}")
        names[base] = node
        sp = node.get("spatial")
        if isinstance(sp, dict):
            for k in ("meshX", "meshY"):
                v = sp.get(k, 1)
                if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                    raise _err(sp, k, f"{k} must be a positive integer, got {v!r}")

    def walk_nodes(nodes: Any) -> None:
        for n in nodes or []:
            if not isinstance(n, dict) or getattr(n, "tag", None) == "!Nothing":
                continue
            if getattr(n, "tag", None) in GROUP_TAGS or ("nodes" in n and "name" not in n):
                walk_nodes(n.get("nodes"))
            elif "name" in n:
                visit(n)

    def walk_tree(t: Any) -> None:
        if not isinstance(t, dict):
            return
        m = _RANGE.match(str(t.get("name", "")))
        if m and int(m.group(3)) < int(m.group(2)):
            raise _err(t, "name", f"empty instance range in '{t.get('name')}'",
                       hint="use name[lo..hi] with lo <= hi")
        for c in t.get("local") or []:
            if isinstance(c, dict) and "name" in c:
                visit(c)
        for s in t.get("subtree") or []:
            walk_tree(s)

    if isinstance(arch.get("nodes"), list):
        walk_nodes(arch["nodes"])
    for t in arch.get("subtree") or []:
        walk_tree(t)
    return list(names)


def check_directives(spec: Any, prob: ProblemInfo, names: list[str]) -> None:
    """Targets, dims in factors/permutations, data spaces, v0.4 spatial fan-out limits."""
    v4 = is_v4_arch(spec)
    fan = _v4_fanouts(spec["architecture"]) if v4 else {}
    dummies = [f"inter_{n}_spatial" for n in fan]
    sources = [v for _, v in constraint_sources(spec)]
    if "mapping" in spec:
        m = spec["mapping"]
        sources.append(m.get("mapping", m) if isinstance(m, dict) else m)
    items = [d for v in sources for d in directives_of(v)]
    if v4:
        for node in fan.values():
            cons = node.get("constraints")
            if isinstance(cons, dict):
                for kind, body in cons.items():
                    if isinstance(body, dict):
                        items.append((body, kind, str(node.get("name"))))
    for it in items:
        d, kind, target = it if isinstance(it, tuple) else (it, str(it.get("type", "")),
                                                            it.get("target"))
        if target is not None and names and not isinstance(target, int) \
                and str(target) not in names and str(target) not in dummies:
            raise _err(d, "target", f"unknown target '{target}'",
                       hint=closest_hint(str(target), names, "target"))
        _check_factors(d, prob)
        _check_perm(d, prob)
        for key in ("keep", "bypass", "keep_only", "bypass_only"):
            if key in d:
                vals = d[key] if isinstance(d[key], list) else [d[key]]
                for i, x in enumerate(vals):
                    if str(x) != "*" and prob.ds_dims and str(x) not in prob.ds_dims:
                        holder = d[key] if isinstance(d[key], list) else d
                        raise _err(holder, i if isinstance(d[key], list) else key,
                                   f"unknown data space '{x}'",
                                   hint=closest_hint(str(x), prob.data_spaces, "data space"))
        if v4 and kind == "spatial" and target is not None and str(target) in fan:
            _check_spatial_limit(d, fan[str(target)], prob)


def _check_factors(d: Any, prob: ProblemInfo) -> None:
    for key in ("factors", "factors_only"):
        if key not in d:
            continue
        for item in factor_items(d[key]):
            sp = split_factor(item)
            if sp is None or (sp[1] == "" and sp[2] is None and len(item) > 1 and
                              item not in prob.dims):
                raise _err(d, key, f"cannot read factor '{item}'",
                           hint="write D=n, Dn, D<=n, D>=n or D=end,residual (e.g. R=3, P=20,17)")
            if sp[0] not in prob.dims:
                raise _err(d, key, f"unknown dimension '{sp[0]}' in {key}",
                           hint=closest_hint(sp[0], prob.dims, "dimension"))
            if sp[2] is not None and sp[2] < 0:
                raise _err(d, key, f"factor {item} is negative")
            if factor_residual(item) is not None and sp[1] != "=":
                raise _err(d, key, f"factor '{item}' has a residual but no exact value",
                           hint="a residual follows an exact factor: D=end,residual (e.g. P=20,17)")


def _check_perm(d: Any, prob: ProblemInfo) -> None:
    p = d.get("permutation")
    if p is None:
        return
    letters = [str(x) for x in p] if isinstance(p, list) else \
        [c for c in str(p).replace(",", " ").replace(" ", "")]
    if not isinstance(p, list) and ("," in str(p) or " " in str(p).strip()):
        letters = str(p).replace(",", " ").split()
    for x in letters:
        if x == "_":
            continue
        if x not in prob.dims:
            raise _err(d, "permutation", f"unknown dimension '{x}' in permutation",
                       hint=closest_hint(x, prob.dims, "dimension"))
    real = [x for x in letters if x != "_"]
    dup = {x for x in real if real.count(x) > 1}
    if dup:
        raise _err(d, "permutation", f"dimension '{sorted(dup)[0]}' repeated in permutation")


def _v4_fanouts(arch: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(nodes: Any) -> None:
        for n in nodes or []:
            if not isinstance(n, dict):
                continue
            if "nodes" in n and "name" not in n:
                walk(n["nodes"])
            elif "name" in n:
                out[str(n["name"])] = n

    walk(arch.get("nodes"))
    return out


def _check_spatial_limit(d: Any, node: Any, prob: ProblemInfo) -> None:
    sp = node.get("spatial") or {}
    cap = int(sp.get("meshX", 1) or 1) * int(sp.get("meshY", 1) or 1)
    prod = 1
    for item in factor_items(d.get("factors")):
        s = split_factor(item)
        if s and s[1] == "=" and s[2]:
            prod *= s[2]
    if prod > cap:
        raise _err(d, "factors", f"spatial factors multiply to {prod}, above the fan-out "
                   f"{cap} of '{node.get('name')}' (meshX x meshY)",
                   hint="reduce the spatial factors or enlarge spatial.meshX/meshY")
