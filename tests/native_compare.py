"""Compare two TL-native specs on architecture / problem / mapping content (test helper)."""
from __future__ import annotations

from typing import Any


def _norm(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return str(v)
    return v


def _directive_key(d: dict) -> tuple:
    d = dict(d)
    out = []
    for k in sorted(d):
        v = d[k]
        if k in ("keep", "bypass") and isinstance(v, list):
            v = sorted(map(str, v))
        elif k == "factors":
            v = tuple(sorted(str(v).replace(" ", ",").split(",")))
        out.append((k, repr(_norm(v))))
    return tuple(out)


def arch_view(native: dict) -> dict:
    top = native["architecture"]["subtree"][0]
    comps = {}
    for c in top.get("local", []):
        comps[str(c["name"])] = {
            "class": str(c.get("class")),
            "attributes": _norm(dict(c.get("attributes") or {})),
            "required_actions": sorted(c.get("required_actions") or []),
        }
    return {"order": [str(c["name"]) for c in top.get("local", [])], "components": comps,
            "top_attributes": _norm(dict(top.get("attributes") or {}))}


def directives_view(native: dict) -> tuple[list, list]:
    mp = native.get("mapping") or []
    tg = (native.get("architecture_constraints") or {}).get("targets") or []
    return sorted(map(_directive_key, mp)), sorted(map(_directive_key, tg))


def problem_view(native: dict) -> Any:
    return _norm(native["problem"])


def diff(mine: dict, ref: dict) -> list[str]:
    """Human-readable differences (empty when equal)."""
    out = []
    a, b = arch_view(mine), arch_view(ref)
    if a["order"] != b["order"]:
        out.append(f"level order {a['order']} != {b['order']}")
    for name in set(a["components"]) & set(b["components"]):
        ca, cb = a["components"][name], b["components"][name]
        for k in ("class", "required_actions"):
            if ca[k] != cb[k]:
                out.append(f"{name}.{k}: {ca[k]} != {cb[k]}")
        aa, ab = ca["attributes"], cb["attributes"]
        for k in set(aa) | set(ab):
            if aa.get(k, "<missing>") != ab.get(k, "<missing>"):
                out.append(f"{name}.attributes.{k}: {aa.get(k, '<missing>')} != "
                           f"{ab.get(k, '<missing>')}")
    if a["top_attributes"] != b["top_attributes"]:
        out.append(f"top attributes {a['top_attributes']} != {b['top_attributes']}")
    if problem_view(mine) != problem_view(ref):
        out.append("problem differs")
    ma, ta = directives_view(mine)
    mb, tb = directives_view(ref)
    if ma != mb:
        out.append(f"mapping: extra {sorted(set(ma) - set(mb))} missing {sorted(set(mb) - set(ma))}")
    if ta != tb:
        out.append(f"targets: extra {sorted(set(ta) - set(tb))} missing {sorted(set(tb) - set(ta))}")
    return out
