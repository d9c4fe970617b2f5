"""Price components: compound actions expanded to primitive sub-actions, areas summed.

Semantics (FORMATS.md §6.1, Accelergy):
* attributes of a top-level component = class defaults < inherited tree
  attributes < its own; class-default expressions are evaluated lazily over
  the merged attributes; a remaining `must_specify` is an error;
* a subcomponent gets the parent's design-wide attributes (technology, cycle
  time, voltage; where its class does not declare them or declares them
  `must_specify`) plus its own attribute expressions evaluated over the parent's;
* energy of a compound action = sum over referenced sub-actions of
  (copies referenced) x energy_scale(s) x energy of the sub-action, recursively;
* area = sum over subcomponents of (declared copies) x area_scale x area.
Primitive classes are priced by the most accurate estimator in the registry.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from loopnest.energy.classes import ClassLibrary, ComponentClass
from loopnest.energy.expr import ExpressionError, resolve_value
from loopnest.energy.names import count_of, parse_range, render_range, scope_evaluator, split_name
from loopnest.energy.plugin import EstimatorInputError, Registry
from loopnest.errors import EstimationError

MUST = "must_specify"
# Attributes a subcomponent takes from its parent without being told (Accelergy
# propagates the design-wide ones; sizes such as width/depth/n_banks must be passed
# explicitly, e.g. `width: memory_width`).
INHERITED = frozenset({"technology", "tech_node", "global_cycle_seconds", "cycle_seconds",
                       "action_latency_cycles", "voltage", "latency", "version"})


class _Lazy(MappingABC):
    """Attribute scope whose values are evaluated on first use (any order, cycles caught)."""

    def __init__(self, raw: Mapping[str, Any], outer: Mapping[str, Any] | None = None) -> None:
        self.raw = dict(raw)
        self.outer = outer or {}
        self.done: dict[str, Any] = {}
        self.busy: set[str] = set()

    def __getitem__(self, k: str) -> Any:
        if k in self.done:
            return self.done[k]
        if k not in self.raw:
            return self.outer[k]
        if k in self.busy:
            raise ExpressionError(f"attribute '{k}' depends on itself")
        self.busy.add(k)
        try:
            v = resolve_value(self.raw[k], self)
        finally:
            self.busy.discard(k)
        self.done[k] = v
        return v

    def __iter__(self) -> Iterator[str]:
        seen = set(self.raw)
        yield from self.raw
        for k in self.outer:
            if k not in seen:
                yield k

    def __len__(self) -> int:
        return len(set(self.raw) | set(self.outer))

    def __contains__(self, k: object) -> bool:
        return k in self.raw or k in self.outer

    def resolved(self) -> dict:
        return {k: self[k] for k in self.raw}


@dataclass
class Instance:
    """A component (top-level or nested) with its attributes fully evaluated."""

    path: str  # name used in summaries: full name at top, `storage.storage[1..32]` below
    class_name: str
    attributes: dict
    cls: ComponentClass | None
    top: str  # the top-level component's full name (for messages)
    node: Any
    subs: dict = field(default_factory=dict)


@dataclass
class Estimation:
    """Who priced which primitive (for ERT_summary / ART_summary)."""

    name: str
    estimator: str


class Pricer:
    """Energy per action and area of component instances."""

    def __init__(self, registry: Registry, library: ClassLibrary) -> None:
        self.registry = registry
        self.library = library

    # ----------------------------------------------------------------- errors
    def _err(self, inst_or_name: Any, msg: str, node: Any = None, key: Any = None,
             hint: str | None = None) -> EstimationError:
        name = inst_or_name.top if isinstance(inst_or_name, Instance) else str(inst_or_name)
        where = ""
        if isinstance(inst_or_name, Instance) and inst_or_name.path != inst_or_name.top:
            where = f" (subcomponent {inst_or_name.path})"
        e = EstimationError(f"component '{name}'{where}: {msg}", hint=hint)
        if node is None and isinstance(inst_or_name, Instance):
            node = inst_or_name.node
        return e.located(node, key)

    # ------------------------------------------------------------- attributes
    def _check_specified(self, cls: ComponentClass, attrs: Mapping, who: Any, node: Any) -> None:
        for k, v in attrs.items():
            if isinstance(v, str) and v.strip() == MUST:
                raise self._err(who, f"attribute '{k}' of class '{cls.name}' must be specified",
                                node=node, hint=f"give '{k}' in the component's attributes")

    def top_instance(self, name: str, class_name: str, attributes: Mapping,
                     node: Any = None) -> Instance:
        """Instance of a top-level (flattened) component."""
        cls = self.library.get(class_name)
        raw = {}
        if cls is not None:
            raw.update(cls.attributes)
        for k, v in attributes.items():
            if v is None and k in raw:
                continue
            raw[k] = v
        if cls is None and not self.registry.knows(class_name):
            raise self._err(name, f"unknown class '{class_name}'", node=node, key="class",
                            hint="declare it under compound_components / components, or install "
                                 "an estimator plug-in that prices it")
        return self._make(name, class_name, cls, raw, {}, name, node)

    def _make(self, path: str, class_name: str, cls: ComponentClass | None, raw: Mapping,
              outer: Mapping, top: str, node: Any) -> Instance:
        scope = _Lazy(raw, outer)
        try:
            attrs = scope.resolved()
        except ExpressionError as e:
            raise self._err(top if path == top else f"{top}", f"{path}: {e}", node=node,
                            key="attributes") from None
        if cls is not None:
            self._check_specified(cls, attrs, top, node)
        return Instance(path=path, class_name=class_name, attributes=attrs, cls=cls, top=top,
                        node=node)

    def sub_instance(self, parent: Instance, base: str, node: Any = None) -> Instance:
        if base in parent.subs:
            return parent.subs[base]
        decl = parent.cls.sub(base) if parent.cls else None
        if decl is None:
            raise self._err(parent, f"class '{parent.class_name}' has no subcomponent '{base}'",
                            node=node)
        cls = self.library.get(decl.class_name)
        if cls is None and not self.registry.knows(decl.class_name):
            raise self._err(parent, f"unknown class '{decl.class_name}' of subcomponent "
                                    f"'{decl.name}'", node=decl.node, key="class",
                            hint="declare it as a compound class or install an estimator "
                                 "plug-in that prices it")
        raw: dict = {}
        defaults = dict(cls.attributes) if cls else {}
        for k, v in parent.attributes.items():  # inherit the design-wide attributes only
            if k not in INHERITED:
                continue
            if k not in defaults or (isinstance(defaults[k], str) and defaults[k].strip() == MUST):
                raw[k] = v
        for k, v in defaults.items():
            raw.setdefault(k, v)
        for k, v in decl.attributes.items():
            try:
                raw[k] = resolve_value(v, parent.attributes)
            except ExpressionError as e:
                raise self._err(parent, f"subcomponent '{decl.name}' attribute '{k}': {e}",
                                node=decl.attributes if hasattr(decl.attributes, "file")
                                else decl.node, key=k) from None
        try:
            label = render_range(base, parse_range(split_name(decl.name)[1],
                                                   scope_evaluator(parent.attributes)))
        except (ValueError, ExpressionError) as e:
            raise self._err(parent, f"bad subcomponent name '{decl.name}': {e}",
                            node=decl.node) from None
        path = label if parent.path == parent.top else f"{parent.path}.{label}"
        inst = self._make(path, decl.class_name, cls, raw, {}, parent.top, decl.node or parent.node)
        parent.subs[base] = inst
        return inst

    def _eval(self, inst: Instance, value: Any, scope: Mapping, node: Any, key: Any) -> Any:
        try:
            return resolve_value(value, scope)
        except ExpressionError as e:
            raise self._err(inst, str(e), node=node, key=key) from None

    def _num(self, inst: Instance, value: Any, scope: Mapping, node: Any, key: Any) -> float:
        v = self._eval(inst, value, scope, node, key)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise self._err(inst, f"'{key}' must be a number, got {v!r}", node=node,
                            key=key) from None

    # ----------------------------------------------------------------- actions
    def action_names(self, inst: Instance, required: list | None = None) -> list[str]:
        if inst.cls is not None:
            names = list(inst.cls.actions)
        else:
            est = self._choose(inst, None)
            names = list(dict.fromkeys(est.supported_actions(inst.class_name, inst.attributes)))
        for r in required or []:
            if str(r) not in names:
                if inst.cls is not None:
                    raise self._err(inst, f"class '{inst.class_name}' has no action '{r}' "
                                          f"required here", key="required_actions",
                                    hint=f"add action '{r}' to class '{inst.class_name}'")
                names.append(str(r))
        return names

    def argument_combinations(self, inst: Instance, action: str) -> list[dict | None]:
        """Every value combination of an action's declared arguments (sorted names)."""
        if inst.cls is None:
            return [None]
        adef = inst.cls.actions.get(action)
        if adef is None or not adef.arguments:
            return [None]
        names = sorted(adef.arguments)
        values = []
        for n in names:
            spec = adef.arguments[n]
            if isinstance(spec, str) and ".." in spec:
                try:
                    lo, hi = parse_range(spec, scope_evaluator(inst.attributes))
                except (ValueError, ExpressionError) as e:
                    raise self._err(inst, f"action '{action}' argument '{n}': {e}",
                                    node=adef.node) from None
                values.append(list(range(lo, hi + 1)))
            else:
                values.append([self._eval(inst, spec, inst.attributes, adef.node, n)])
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]

    def _choose(self, inst: Instance, action: str | None):
        try:
            return self.registry.choose(inst.class_name, inst.attributes, action)
        except EstimatorInputError as e:
            raise self._err(inst, str(e), key="attributes" if e.attribute else None,
                            hint=_hint(e)) from None

    def energy(self, inst: Instance, action: str, args: Mapping | None,
               record: list[Estimation]) -> float:
        """pJ of one `action` with `args` on `inst` (recursively)."""
        args = dict(args or {})
        if inst.cls is None:
            est = self._choose(inst, action)
            try:
                if action == "leak" and "leak" not in est.actions:
                    e = est.leak_energy(inst.class_name, inst.attributes, args)
                else:
                    e = est.energy(inst.class_name, inst.attributes, action, args)
            except EstimatorInputError as ex:
                raise self._err(inst, str(ex), hint=_hint(ex)) from None
            if e is None or e != e or e < 0:
                raise self._err(inst, f"estimator '{est.name}' returned an invalid energy {e!r} "
                                      f"for action '{action}'")
            _note(record, inst.path, est.name)
            return float(e)
        adef = inst.cls.actions.get(action)
        if adef is None:
            raise self._err(inst, f"class '{inst.class_name}' has no action '{action}' "
                                  f"(known: {', '.join(inst.cls.actions) or 'none'})")
        scope = dict(inst.attributes)
        scope.update(args)
        total = 0.0
        for ref in adef.refs:
            base, rng = split_name(ref.sub)
            try:
                r = parse_range(rng, scope_evaluator(scope))
            except (ValueError, ExpressionError) as e:
                raise self._err(inst, f"action '{action}': bad reference '{ref.sub}': {e}",
                                node=ref.node) from None
            n = 1 if r is None else max(0, r[1] - r[0] + 1)
            label = render_range(base, r, single=rng is not None and '..' not in rng)
            sub = self.sub_instance(inst, base, ref.node)
            decl = inst.cls.sub(base)
            sub_scale = self._num(inst, decl.energy_scale, scope, decl.node, "energy_scale")
            sub_record: list[Estimation] = []
            for sa in ref.actions:
                sargs = {k: self._eval(inst, v, scope, sa.node, k)
                         for k, v in sa.arguments.items()}
                scale = self._num(inst, sa.energy_scale, scope, sa.node, "energy_scale")
                total += n * sub_scale * scale * self.energy(sub, sa.name, sargs, sub_record)
            for est in sub_record:
                nm = est.name
                if sub.cls is None and nm == sub.path:
                    nm = label if inst.path == inst.top else f"{inst.path}.{label}"
                _note(record, nm, est.estimator)
        return total

    def area(self, inst: Instance, record: list[Estimation]) -> float:
        """um^2 of one instance (recursively)."""
        if inst.cls is None:
            est = self._choose(inst, None)
            try:
                a = est.area(inst.class_name, inst.attributes)
            except EstimatorInputError as ex:
                raise self._err(inst, str(ex), hint=_hint(ex)) from None
            if a is None or a != a or a < 0:
                raise self._err(inst, f"estimator '{est.name}' returned an invalid area {a!r}")
            _note(record, inst.path, est.name)
            return float(a)
        total = 0.0
        for decl in inst.cls.subcomponents:
            try:
                n = count_of(decl.name, scope_evaluator(inst.attributes))
            except (ValueError, ExpressionError) as e:
                raise self._err(inst, f"bad subcomponent name '{decl.name}': {e}",
                                node=decl.node) from None
            sub = self.sub_instance(inst, decl.base, decl.node)
            scale = self._num(inst, decl.area_scale, inst.attributes, decl.node, "area_scale")
            total += n * scale * self.area(sub, record)
        return total


def _note(record: list[Estimation], name: str, estimator: str) -> None:
    for r in record:
        if r.name == name:
            return
    record.append(Estimation(name, estimator))


def _hint(e: EstimatorInputError) -> str | None:
    if e.attribute:
        return f"check attribute '{e.attribute}'"
    return None
