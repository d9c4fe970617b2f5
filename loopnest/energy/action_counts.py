"""Action counts (Accelergy input) and energy_estimation.yaml.

`action_counts: {version, local: [{name, action_counts: [{name, arguments,
counts}]}]}` or the same as a `subtree` of named nodes. A component named
`sys.PE[3].buffer` is priced by the ERT entry `sys.PE[0..4].buffer`; energy =
sum of counts x the ERT energy of the exactly matching (action, arguments).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from loopnest.energy.names import name_matches
from loopnest.errors import EstimationError, SpecError


@dataclass
class Counts:
    name: str
    counts: list[tuple[str, dict | None, float, Any]]  # action, arguments, count, node
    node: Any = None


def _walk(node: Mapping, prefix: str, out: list[Counts]) -> None:
    name = node.get("name")
    here = f"{prefix}.{name}" if (prefix and name) else (name or prefix)
    for comp in node.get("local") or []:
        if not isinstance(comp, Mapping) or "name" not in comp:
            raise SpecError("an action-counts entry needs a 'name'").located(comp)
        full = f"{here}.{comp['name']}" if here else str(comp["name"])
        items = []
        for ac in comp.get("action_counts") or []:
            if not isinstance(ac, Mapping) or "name" not in ac or "counts" not in ac:
                raise SpecError(f"action count of '{full}' needs 'name' and 'counts'"
                                ).located(ac)
            try:
                cnt = float(ac["counts"])
            except (TypeError, ValueError):
                raise SpecError(f"counts of '{full}' action '{ac['name']}' must be a number"
                                ).located(ac, "counts") from None
            args = ac.get("arguments")
            if args is not None and not isinstance(args, Mapping):
                raise SpecError(f"arguments of '{full}' action '{ac['name']}' must be a mapping"
                                ).located(ac, "arguments")
            items.append((str(ac["name"]), dict(args or {}) or None, cnt, ac))
        out.append(Counts(full, items, comp))
    for sub in node.get("subtree") or []:
        _walk(sub, here, out)


def parse_action_counts(block: Mapping) -> list[Counts]:
    """Flatten an `action_counts` block into per-component counts."""
    if not isinstance(block, Mapping):
        raise SpecError("'action_counts' must be a mapping").located(block)
    out: list[Counts] = []
    _walk({"local": block.get("local") or [], "subtree": block.get("subtree") or []}, "", out)
    return out


def _same_args(a: Mapping | None, b: Mapping | None) -> bool:
    a, b = dict(a or {}), dict(b or {})
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        try:
            if float(x) != float(y):
                return False
        except (TypeError, ValueError):
            if str(x) != str(y):
                return False
    return True


def energy_estimation(counts: list[Counts], ert: Mapping, version: Any = 0.3) -> dict:
    """The `energy_estimation` document (Accelergy layout)."""
    tables = list((ert or {}).get("tables") or [])
    comps = []
    total = 0.0
    for c in counts:
        table = next((t for t in tables if name_matches(c.name, str(t.get("name")))), None)
        if table is None:
            raise EstimationError(f"component '{c.name}' in the action counts has no ERT entry",
                                  hint="check the name against ERT.yaml (ranges such as "
                                       "PE[0..4] match PE[3])").located(c.node, "name")
        energy = 0.0
        for action, args, cnt, node in c.counts:
            entry = next((a for a in table.get("actions") or []
                          if str(a.get("name")) == action
                          and (args is None or _same_args(a.get("arguments"), args))), None)
            if entry is None:
                raise EstimationError(
                    f"component '{c.name}': no ERT energy for action '{action}'"
                    + (f" with arguments {dict(args)}" if args else ""),
                    hint=f"ERT entry '{table.get('name')}' has actions: "
                         + ", ".join(sorted({str(a.get('name')) for a in table.get('actions')
                                             or []}))).located(node, "name")
            energy += cnt * float(entry["energy"])
        comps.append({"name": c.name, "energy": energy})
        total += energy
    return {"energy_estimation": {"version": version, "components": comps, "Total": total}}
