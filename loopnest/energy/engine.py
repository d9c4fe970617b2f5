"""Price components the way Accelergy 0.4 does: flatten compound classes to primitive
sub-actions, ask the estimators, add up.

Semantics (Accelergy 0.4, as Timeloop users run it; FORMATS.md section 6.1):

* a top-level component's attributes are its own and its containers', then
  the design-wide keys every component carries (`global_cycle_seconds`,
  default 1e-9 s, `action_latency_cycles` 1, `cycle_seconds` = the global
  cycle, `technology` (required), `n_instances` 1), then its class's defaults;
  a `must_specify` default left unset is an error;
* a subcomponent's attributes are only those its declaration lists, each
  evaluated in order over the parent's attributes and the ones before it,
  plus the five design-wide keys copied from the parent, plus its class's
  defaults (evaluated the same way); so sizes are passed explicitly
  (`width: memory_width`), and a subcomponent sees a sibling attribute
  declared before it (`mantissa: adder_width - exponent`);
* `name[lo..hi]` declares hi-lo+1 copies (bounds may be expressions); an
  action refers to `name[i]` (one copy) or `name[a..b]`; a compound action's
  energy is the sum over its primitive sub-actions of estimate x product of
  `energy_scale`s along the path x the copies named by every range in the
  dotted sub-action name; a nested compound's missing action costs nothing;
* sub-action arguments are evaluated over the parent's attributes and action
  arguments, and carry the five design-wide keys; a top-level primitive's
  actions carry `global_cycle_seconds` and `action_latency_cycles`;
* area is the sum over primitive subcomponents of estimate x `area_scale`
  along the path (the top component's own `area_scale` attribute included) x
  the copies in the primitive's dotted name;
* action arguments given as ranges (`0..n_banks`) give one ERT row per value
  combination, the first argument varying fastest;
* leakage and area are per instance x `n_instances`, and ERT/ART values are
  rounded to 6 decimals (Accelergy's default precision) where they are written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from loopnest.energy.classes import ClassLibrary, ComponentClass
from loopnest.energy.expr import ExpressionError, resolve_value
from loopnest.energy.flatten import FlatComponent
from loopnest.energy.names import parse_range, scope_evaluator, split_dotted, split_name
from loopnest.energy.plugin import EstimatorInputError, Query, Registry
from loopnest.errors import EstimationError

MUST = "must_specify"
DEFAULT_CYCLE_SECONDS = 1e-9


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------

@dataclass
class Primitive:
    """A primitive leaf of a component: `storage.storage[1..2048]` of class aladdin_register."""

    name: str  # dotted, with the ranges as declared (evaluated)
    class_name: str
    attributes: dict
    area_scale: float
    node: Any = None


@dataclass
class SubAction:
    """One primitive action of a compound action, as Accelergy flattens it."""

    name: str  # dotted, with the ranges of the action's references
    primitive: Primitive
    action: str
    arguments: dict
    energy_scale: float


@dataclass
class Action:
    """A row of the component's ERT: an action with one value of its arguments."""

    name: str
    arguments: dict | None
    parts: list[SubAction] = field(default_factory=list)


@dataclass
class Component:
    """A top-level component with every attribute evaluated and its actions flattened."""

    name: str
    class_name: str
    attributes: dict
    area_scale: float
    compound: bool
    primitives: dict[str, Primitive] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    node: Any = None
    # every subcomponent (compound ones too) by dotted name without ranges: (class, attributes)
    subcomponents: dict[str, tuple[str, dict]] = field(default_factory=dict)
    v04: bool = True  # v0.4 ERT rows of a primitive show the arguments it was priced with


@dataclass
class Priced:
    """ERT rows, area and who priced what, for one top-level component."""

    name: str
    class_name: str
    attributes: dict
    entries: list[tuple[str, dict | None, float]] = field(default_factory=list)
    area: float = 0.0
    energy_estimators: list[tuple[str, str]] = field(default_factory=list)  # (name, estimator)
    area_estimators: list[tuple[str, str]] = field(default_factory=list)
    primitive: bool = True
    comp: FlatComponent | None = None


def copies(name: str) -> int:
    """Copies a dotted name denotes: the product of its `[a..b]` ranges (`[i]` is one)."""
    n = 1
    for part in split_dotted(name):
        spec = split_name(part)[1]
        if spec is not None and ".." in spec:
            lo, hi = parse_range(spec)
            n *= hi - lo + 1
    return n


def strip_ranges(name: str) -> str:
    return ".".join(split_name(p)[0] for p in split_dotted(name))


class Builder:
    """Turns flattened architecture components into `Component`s (no pricing)."""

    def __init__(self, library: ClassLibrary, v04: bool = True) -> None:
        self.library = library
        self.v04 = v04

    # ------------------------------------------------------------- errors
    @staticmethod
    def _err(top: str, msg: str, node: Any = None, key: Any = None,
             hint: str | None = None) -> EstimationError:
        return EstimationError(f"component '{top}': {msg}", hint=hint).located(node, key)

    def _eval(self, top: str, value: Any, scope: Mapping, node: Any, key: Any) -> Any:
        try:
            return resolve_value(value, scope)
        except ExpressionError as e:
            raise self._err(top, f"'{key}': {e}", node, key) from None

    def _number(self, top: str, value: Any, scope: Mapping, node: Any, key: Any) -> float:
        v = self._eval(top, value, scope, node, key)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise self._err(top, f"'{key}' must be a number, got {v!r}", node, key) from None

    def _propagate(self, top: str, parent: Mapping, child: dict, node: Any,
                   action_keys: bool = False) -> None:
        """Copy the design-wide keys from `parent` into `child` where missing."""
        def take(key: str, default: Any = None) -> None:
            if key in child:
                return
            if key in parent:
                child[key] = parent[key]
            elif default is not None:
                child[key] = default
            else:
                raise self._err(top, f"missing attribute '{key}'", node, "attributes",
                                hint=f"give '{key}' to the component or to a container "
                                     f"above it (or as a top-level variable)")

        take("global_cycle_seconds", DEFAULT_CYCLE_SECONDS)
        take("action_latency_cycles", 1)
        if action_keys:
            return
        child.setdefault("cycle_seconds", child["global_cycle_seconds"])
        if self.v04 or "technology" in parent:
            take("technology")
        take("n_instances", 1)

    def _defaults(self, top: str, cls: ComponentClass, given: dict, node: Any
                  ) -> tuple[dict, set[str]]:
        """`given` with the class defaults applied (moved to the end, in class order), and
        the keys whose value is a default still to be evaluated."""
        out = dict(given)
        pending = set()
        for k, dv in cls.attributes.items():
            found = given.get(k)
            if isinstance(dv, str) and dv.strip() == MUST and found is None:
                raise self._err(top, f"attribute '{k}' of class '{cls.name}' must be specified",
                                node, "attributes", hint=f"give '{k}' in the attributes")
            out.pop(k, None)
            if found is None:
                out[k] = dv
                pending.add(k)
            else:
                out[k] = found
        return out, pending

    # ---------------------------------------------------------- top level
    def component(self, flat: FlatComponent) -> Component:
        cls = self.library.get(flat.class_name)
        attrs = _Lazy(flat.name, dict(flat.attributes), self, flat.node).resolved()
        self._propagate(flat.name, {}, attrs, flat.node)
        if cls is not None:
            attrs, pending = self._defaults(flat.name, cls, attrs, flat.node)
            for k in list(attrs):
                if k in pending:
                    attrs[k] = self._eval(flat.name, attrs[k], attrs, cls.node, k)
        area_scale = self._number(flat.name, attrs.get("area_scale", 1.0), attrs, flat.node,
                                  "area_scale")
        comp = Component(flat.name, flat.class_name, attrs, area_scale, cls is not None,
                         node=flat.node, v04=self.v04)
        if cls is None:
            for action in flat.required_actions or []:
                comp.actions.append(Action(str(action), {}))
            return comp
        for req in flat.required_actions or []:
            if str(req) not in cls.actions:
                raise self._err(flat.name, f"class '{cls.name}' has no action '{req}' required "
                                           f"here", flat.node, "required_actions",
                                hint=f"add action '{req}' to class '{cls.name}'")
        self._subcomponents(comp, None, cls, attrs, area_scale)
        comp.actions = self._actions(comp, cls, attrs)
        return comp

    # ------------------------------------------------------ subcomponents
    def _sub_attributes(self, top: str, decl, parent: Mapping, subcls: ComponentClass | None
                        ) -> dict:
        node = decl.attributes if hasattr(decl.attributes, "file") else decl.node
        attrs: dict = {}
        for k, v in decl.attributes.items():
            attrs[k] = self._eval(top, v, {**parent, **attrs}, node, k)
        self._propagate(top, parent, attrs, decl.node)
        if subcls is not None:
            attrs, pending = self._defaults(top, subcls, attrs, decl.node)
            done: dict = {}
            for k, v in attrs.items():
                done[k] = self._eval(top, v, {**parent, **done}, subcls.node, k) \
                    if k in pending else v
            attrs = done
        return attrs

    def _subcomponents(self, comp: Component, prefix: str | None, cls: ComponentClass,
                       attrs: Mapping, top_scale: float) -> list[Primitive]:
        """Declare the subcomponents of `cls` (recursively); returns the primitives made."""
        made: list[Primitive] = []
        for decl in cls.subcomponents:
            label = self._define_name(comp.name, decl.name, attrs, decl.node)
            full = label if prefix is None else f"{prefix}.{label}"
            subcls = self.library.get(decl.class_name)
            sub_attrs = self._sub_attributes(comp.name, decl, attrs, subcls)
            scale = self._number(comp.name, decl.area_scale, {**attrs, **sub_attrs}, decl.node,
                                 "area_scale")
            comp.subcomponents[strip_ranges(full)] = (decl.class_name, sub_attrs)
            if subcls is not None:
                for p in self._subcomponents(comp, full, subcls, sub_attrs, top_scale):
                    p.area_scale *= scale
                    made.append(p)
            else:
                p = Primitive(full, decl.class_name, sub_attrs, scale * top_scale, decl.node)
                comp.primitives[full] = p
                made.append(p)
        return made

    def _define_name(self, top: str, name: str, scope: Mapping, node: Any) -> str:
        base, spec = split_name(name)
        if spec is None or ".." not in spec:
            return name
        try:
            lo, hi = parse_range(spec, scope_evaluator(scope))
        except (ValueError, ExpressionError, OverflowError, TypeError) as e:
            raise self._err(top, f"bad subcomponent name '{name}': {e}", node) from None
        if hi < lo:
            raise self._err(top, f"subcomponent '{name}' has an empty range [{lo}..{hi}]", node)
        return f"{base}[{lo}..{hi}]"

    # ------------------------------------------------------------ actions
    def _actions(self, comp: Component, cls: ComponentClass, attrs: Mapping) -> list[Action]:
        out = []
        for adef in cls.actions.values():
            for args in self._argument_values(comp.name, adef, attrs):
                act = Action(adef.name, args)
                scope = {**attrs, **(args or {})}
                act.parts = self._flatten(comp, None, adef, scope, 1.0)
                out.append(act)
        return out

    def _argument_values(self, top: str, adef, attrs: Mapping) -> list[dict | None]:
        if not adef.arguments:
            return [None]
        ranges = []
        for n, spec in adef.arguments.items():
            text = str(spec)
            if ".." not in text:
                raise self._err(top, f"action '{adef.name}' argument '{n}' must be a range "
                                     f"such as 0..3, got {spec!r}", adef.node, n)
            try:
                ranges.append((n, parse_range(text, scope_evaluator(attrs))))
            except (ValueError, ExpressionError) as e:
                raise self._err(top, f"action '{adef.name}' argument '{n}': {e}",
                                adef.node, n) from None
        total = 1
        for _, (lo, hi) in ranges:
            total *= max(0, hi - lo + 1)
        rows = []
        for i in range(total):
            offset, row = 1, {}
            for n, (lo, hi) in ranges:
                size = hi - lo + 1
                row[n] = (i // offset) % size + lo
                offset *= size
            rows.append(row)
        return rows

    def _flatten(self, comp: Component, prefix: str | None, adef, scope: Mapping,
                 upper_scale: float) -> list[SubAction]:
        out: list[SubAction] = []
        for ref in adef.refs:
            label = self._define_name(comp.name, ref.sub, scope, ref.node)
            full = label if prefix is None else f"{prefix}.{label}"
            key = strip_ranges(full)
            if key not in comp.subcomponents:
                raise self._err(comp.name, f"action '{adef.name}' refers to '{ref.sub}', which "
                                           f"is not a subcomponent", ref.node)
            sub_class, sub_attrs = comp.subcomponents[key]
            subcls = self.library.get(sub_class)
            for sa in ref.actions:
                escale = self._number(comp.name, sa.energy_scale, scope, sa.node,
                                      "energy_scale") * upper_scale
                args: dict = {}
                for k, v in sa.arguments.items():
                    args[k] = self._eval(comp.name, v, {**scope, **args}, sa.node, k)
                self._propagate(comp.name, scope, args, sa.node)
                if subcls is None:
                    prim = comp.primitives.get(_find(comp.primitives, key))
                    out.append(SubAction(full, prim, sa.name, args, escale))
                    continue
                nested = subcls.actions.get(sa.name)
                if nested is None:  # Accelergy: an action the class lacks does nothing
                    continue
                out.extend(self._flatten(comp, full, nested, {**sub_attrs, **args}, escale))
        return out


class _Lazy(dict):
    """A top-level component's attributes, each evaluated on first use over all the others
    (a component may refer to a container attribute listed after its own)."""

    def __init__(self, top: str, raw: dict, builder: Builder, node: Any) -> None:
        super().__init__()
        self.top, self.raw, self.builder, self.node = top, raw, builder, node
        self.busy: set[str] = set()

    def __missing__(self, k: str) -> Any:
        if k not in self.raw:
            raise KeyError(k)
        if k in self.busy:
            raise self.builder._err(self.top, f"attribute '{k}' depends on itself", self.node, k)
        self.busy.add(k)
        try:
            v = self.builder._eval(self.top, self.raw[k], self, self.node, k)
        finally:
            self.busy.discard(k)
        self[k] = v
        return v

    def __contains__(self, k: object) -> bool:
        return k in self.raw or dict.__contains__(self, k)

    def resolved(self) -> dict:
        return {k: self[k] for k in self.raw}


def _find(primitives: Mapping[str, Primitive], base: str) -> str:
    for name in primitives:
        if strip_ranges(name) == base:
            return name
    raise KeyError(base)


# ---------------------------------------------------------------------------
# Pricing
# ---------------------------------------------------------------------------

class Pricer:
    """Prices `Component`s with a registry; identical queries are asked once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._cache: dict[Any, Any] = {}

    def _ask(self, comp: Component, where: str, q: Query, energy: bool, node: Any):
        key = (energy, q.class_name, _frozen(q.attributes), q.action, _frozen(q.arguments))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        try:
            est = self.registry.estimate_energy(q) if energy else self.registry.estimate_area(q)
        except EstimatorInputError as e:
            sub = "" if where == comp.name else f" (subcomponent {where})"
            hint = (f"check attribute '{e.attribute}'" if e.attribute else
                    "declare the class under compound_components / components, or install "
                    "an estimator plug-in that prices it")
            raise EstimationError(f"component '{comp.name}'{sub}: {e}",
                                  hint=hint).located(node or comp.node,
                                                     "attributes" if e.attribute else "class")
        self._cache[key] = est
        return est

    def price(self, comp: Component, flat: FlatComponent | None = None) -> Priced:
        p = Priced(comp.name, comp.class_name, comp.attributes, primitive=not comp.compound,
                   comp=flat)
        if not comp.compound:
            if not comp.actions:  # no required_actions (v0.3): the estimator's own list
                comp.actions = [Action(a, {}) for a in
                                self.registry.actions_for(comp.class_name, comp.attributes)]
            for act in comp.actions:
                args: dict = {}
                _action_keys(comp.attributes, args)
                est = self._ask(comp, comp.name, Query(comp.class_name, comp.attributes,
                                                       act.name, args), True, comp.node)
                p.entries.append((act.name, args if comp.v04 else None, est.value))
                _note(p.energy_estimators, comp.name, est.estimator)
            est = self._ask(comp, comp.name, Query(comp.class_name, comp.attributes), False,
                            comp.node)
            p.area = est.value * comp.area_scale
            p.area_estimators.append((comp.name, est.estimator))
            return p
        for act in comp.actions:
            total = 0.0
            for part in act.parts:
                prim = part.primitive
                q = Query(prim.class_name, prim.attributes, part.action, part.arguments)
                est = self._ask(comp, part.name, q, True, prim.node)
                total += est.value * part.energy_scale * copies(part.name)
                _note(p.energy_estimators, part.name, est.estimator)
            p.entries.append((act.name, act.arguments, total))
        for name, prim in comp.primitives.items():
            est = self._ask(comp, name, Query(prim.class_name, prim.attributes), False, prim.node)
            p.area += est.value * prim.area_scale * copies(name)
            p.area_estimators.append((name, est.estimator))
        return p


def _action_keys(attributes: Mapping, args: dict) -> None:
    args.setdefault("global_cycle_seconds",
                    attributes.get("global_cycle_seconds", DEFAULT_CYCLE_SECONDS))
    args.setdefault("action_latency_cycles", attributes.get("action_latency_cycles", 1))


def _note(record: list[tuple[str, str]], name: str, estimator: str) -> None:
    if all(n != name for n, _ in record):
        record.append((name, estimator))


def _frozen(d: Mapping) -> tuple:
    return tuple((k, repr(v)) for k, v in d.items())


def price_all(flats: Iterable[FlatComponent], library: ClassLibrary, registry: Registry,
              v04: bool = True) -> list[Priced]:
    """Build and price every component."""
    builder = Builder(library, v04)
    pricer = Pricer(registry)
    return [pricer.price(builder.component(f), f) for f in flats]
