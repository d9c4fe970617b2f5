"""The estimator plug-in interface and the registry that chooses between estimators.

An estimator prices *primitive* components. The registry asks it, per query
(class, attributes, action, arguments, as Accelergy 0.4 passes them), for an
accuracy in percent (0: cannot price) and then for the value; as Accelergy
does, the estimators are tried from the highest accuracy down (ties in
registration order) and the first that prices the query wins. Leakage and
area are then multiplied by the component's `n_instances`.

Two ways to write an estimator: override the query-level methods
(`energy_accuracy`, `estimate_energy`, `area_accuracy`, `estimate_area`), as
the built-in re-derivations of the Accelergy plug-ins do; or declare `classes`,
`actions`, `accuracy` and implement `energy`, `area` and `leak_power`, which
the default query-level methods call. Energy is in pJ per action (leak: pJ per
cycle), area in um^2, leakage power in W.

Third-party estimators are found through the Python entry-point group
`loopnest.estimators`; an entry point may load an `Estimator` instance, an
`Estimator` subclass (instantiated without arguments), or a callable returning
one estimator or a list of them. See docs/plugins.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from loopnest.energy import units

ENTRY_POINT_GROUP = "loopnest.estimators"


@dataclass(frozen=True)
class Query:
    """One question to the estimators: a primitive class with its attributes, and for
    energy an action with its arguments (Accelergy's AccelergyQuery).

    `attributes` keeps Accelergy's order (own attributes first, then the propagated
    design-wide ones): table-matching estimators depend on it.
    """

    class_name: str
    attributes: Mapping[str, Any]
    action: str | None = None  # None: an area query
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_leak(self) -> bool:
        return self.action == "leak"

    def describe(self) -> str:
        """`intadder(n_bits=5, ...).add(...)` as Accelergy logs it."""
        attrs = ", ".join(f"{k}={v}" for k, v in self.attributes.items())
        s = f"{self.class_name}({attrs})"
        if self.action is not None:
            s += f".{self.action}(" + ", ".join(f"{k}={v}" for k, v in self.arguments.items()) + ")"
        return s


@dataclass(frozen=True)
class Estimate:
    """A priced query: the value (pJ or um^2, n_instances applied) and who priced it."""

    value: float
    estimator: str


class EstimatorInputError(ValueError):
    """An estimator cannot price a component with these attributes (the reason is the message).

    `attribute` names the offending attribute when there is one, so the caller
    can point at it; `fatal` means "do not try another estimator" (e.g. a value
    is negative), as opposed to "not mine, try the next one".
    """

    def __init__(self, message: str, attribute: str | None = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.attribute = attribute
        self.fatal = fatal


class Estimator:
    """Base class of every estimator; subclasses override the pricing methods.

    `energy` is per action in pJ; `area` in um^2; `leak_power` in W. The `leak`
    action is priced by default as leak_power x cycle time (Accelergy v0.4: energy
    per cycle of `global_cycle_seconds`).
    """

    name: str = "estimator"
    accuracy: float = 50.0
    classes: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    # Technology range (nm) the estimator claims; None = does not use technology.
    tech_range: tuple[float, float] | None = None
    # A built-in re-derivation of the reference stack raises only EstimatorInputError
    # when it declines; any other exception from a third-party estimator is also
    # taken as "cannot price" (Accelergy does the same), and reported.
    builtin: bool = False

    # --- declaration -------------------------------------------------------
    def supports(self, class_name: str) -> bool:
        return class_name.lower() in {c.lower() for c in self.classes}

    def supported_actions(self, class_name: str, attributes: Mapping[str, Any]) -> Iterable[str]:
        return tuple(self.actions) + ("leak",)

    def accuracy_for(self, class_name: str, attributes: Mapping[str, Any]) -> float:
        """Accuracy for this particular component (defaults to `accuracy`)."""
        return self.accuracy

    # --- the query protocol the registry uses ---------------------------------
    def energy_accuracy(self, q: Query) -> float:
        """Percent accuracy for pricing `q` (0: cannot); raising EstimatorInputError means 0."""
        if not self.supports(q.class_name):
            return 0.0
        self.check(q.class_name, q.attributes)
        if q.action not in set(self.supported_actions(q.class_name, q.attributes)):
            raise EstimatorInputError(
                f"class '{q.class_name}' has no action '{q.action}' (known: "
                f"{', '.join(sorted(set(self.supported_actions(q.class_name, q.attributes))))})")
        return float(self.accuracy_for(q.class_name, q.attributes))

    def estimate_energy(self, q: Query) -> float:
        """pJ of `q.action` (leak: pJ per cycle for one instance)."""
        if q.is_leak and "leak" not in self.actions:
            return self.leak_energy(q.class_name, q.attributes, q.arguments)
        return self.energy(q.class_name, q.attributes, str(q.action), q.arguments)

    def area_accuracy(self, q: Query) -> float:
        if not self.supports(q.class_name):
            return 0.0
        self.check(q.class_name, q.attributes)
        return float(self.accuracy_for(q.class_name, q.attributes))

    def estimate_area(self, q: Query) -> float:
        """um^2 of one instance."""
        return self.area(q.class_name, q.attributes)

    # --- pricing (declarative API) --------------------------------------------
    def check(self, class_name: str, attributes: Mapping[str, Any]) -> None:
        """Raise EstimatorInputError when this component cannot be priced."""

    def energy(self, class_name: str, attributes: Mapping[str, Any], action: str,
               arguments: Mapping[str, Any]) -> float:
        raise NotImplementedError

    def area(self, class_name: str, attributes: Mapping[str, Any]) -> float:
        return 0.0

    def leak_power(self, class_name: str, attributes: Mapping[str, Any]) -> float:
        return 0.0

    # --- helpers for subclasses ---------------------------------------------
    def leak_energy(self, class_name: str, attributes: Mapping[str, Any],
                    arguments: Mapping[str, Any]) -> float:
        """pJ per cycle: leak power (W) x cycle seconds."""
        t = None
        for src in (arguments, attributes):
            for key in ("global_cycle_seconds", "cycle_seconds"):
                if key in src:
                    t = units.seconds(src[key])
                    if t is not None:
                        break
            if t is not None:
                break
        if t is None:
            t = 1e-9
        return self.leak_power(class_name, attributes) * t * 1e12


# ---------------------------------------------------------------------------
# Attribute helpers shared by the estimators
# ---------------------------------------------------------------------------

def number(attributes: Mapping[str, Any], *names: str, default: Any = None,
           minimum: float | None = 0.0, positive: bool = False) -> float:
    """First present attribute among `names` as a float; validates sign."""
    for n in names:
        if n in attributes and attributes[n] is not None:
            v = units.to_number(attributes[n])
            if v is None or (isinstance(v, float) and math.isnan(v)):
                raise EstimatorInputError(
                    f"attribute '{n}' must be a number, got {attributes[n]!r}", n, fatal=True)
            if positive and v <= 0:
                raise EstimatorInputError(f"attribute '{n}' must be > 0, got {v:g}", n, fatal=True)
            if minimum is not None and v < minimum:
                raise EstimatorInputError(
                    f"attribute '{n}' must be >= {minimum:g}, got {v:g}", n, fatal=True)
            return v
    if default is not None:
        return float(default)
    raise EstimatorInputError(f"missing attribute '{names[0]}'", names[0], fatal=True)


def technology(attributes: Mapping[str, Any], lo: float, hi: float) -> float:
    """Technology node in nm, checked against [lo, hi]."""
    if "technology" not in attributes and "tech_node" not in attributes:
        raise EstimatorInputError("missing attribute 'technology'", "technology", fatal=True)
    key = "technology" if "technology" in attributes else "tech_node"
    t = units.technology_nm(attributes[key])
    if t is None:
        raise EstimatorInputError(
            f"attribute 'technology' must be a node such as 45nm, got {attributes[key]!r}",
            key, fatal=True)
    if not (lo <= t <= hi):
        raise EstimatorInputError(
            f"technology {t:g} nm is outside the supported range {lo:g}..{hi:g} nm", key,
            fatal=True)
    return t


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

@dataclass
class Registry:
    """The estimators in use, in registration order (the tie-break at equal accuracy)."""

    estimators: list[Estimator] = field(default_factory=list)

    def add(self, est: Estimator) -> None:
        self.estimators.append(est)

    def estimate_energy(self, q: Query) -> Estimate:
        """Energy of `q` from the most accurate estimator that prices it (x n_instances for leak)."""
        return self._best(q, energy=True)

    def estimate_area(self, q: Query) -> Estimate:
        """Area of one component from the most accurate estimator that prices it (x n_instances)."""
        return self._best(q, energy=False)

    def _best(self, q: Query, energy: bool) -> Estimate:
        reasons: list[Exception] = []
        ranked: list[tuple[float, int, Estimator]] = []
        for i, est in enumerate(self.estimators):
            try:
                acc = est.energy_accuracy(q) if energy else est.area_accuracy(q)
            except Exception as e:  # noqa: BLE001 - "cannot price", like Accelergy
                _keep_reason(est, e, reasons)
                continue
            if acc and acc > 0:
                ranked.append((-float(acc), i, est))
        for _, _, est in sorted(ranked, key=lambda r: r[:2]):
            try:
                v = est.estimate_energy(q) if energy else est.estimate_area(q)
            except Exception as e:  # noqa: BLE001
                _keep_reason(est, e, reasons)
                continue
            if v is None or v != v or v < 0 or v == float("inf"):
                reasons.append(EstimatorInputError(
                    f"estimator '{est.name}' returned an invalid value {v!r}"))
                continue
            if q.is_leak or not energy:
                v = v * _instances(q.attributes)
            # Accelergy's round trip through SI units, kept for identical rounding
            return Estimate(float(v) * 1e-12 * 1e12, est.name)
        what = f"action '{q.action}' of class '{q.class_name}'" if energy else \
            f"the area of class '{q.class_name}'"
        if not reasons and not ranked:
            raise EstimatorInputError(f"unknown class '{q.class_name}': no estimator prices "
                                      f"{what}" + _node_note(q))
        if not reasons:
            raise EstimatorInputError(f"no estimator prices {what}")
        fatal = [r for r in reasons if isinstance(r, EstimatorInputError) and r.fatal]
        best = fatal[0] if fatal else reasons[0]
        if isinstance(best, EstimatorInputError):
            raise best
        raise EstimatorInputError(f"no estimator prices {what}: {best}")

    def actions_for(self, class_name: str, attributes: Mapping[str, Any]) -> list[str]:
        """The actions of a primitive class that declares none (Accelergy v0.3 inputs): those
        of the most accurate estimator that lists its actions."""
        q = Query(class_name, dict(attributes))
        ranked = []
        for i, est in enumerate(self.estimators):
            try:
                acc = est.area_accuracy(q)
                names = list(dict.fromkeys(est.supported_actions(class_name, attributes)))
            except Exception:  # noqa: BLE001 - cannot answer
                continue
            if acc and acc > 0 and [n for n in names if n != "leak"]:
                ranked.append((-float(acc), i, names))
        return sorted(ranked, key=lambda r: r[:2])[0][2] if ranked else []

    def choose(self, class_name: str, attributes: Mapping[str, Any],
               action: str | None = None) -> Estimator:
        """The estimator that would price this component (and action, if given)."""
        attrs = {**dict(attributes), **{k: v for k, v in _action_keys(attributes).items()
                                        if k not in attributes}}
        attrs.setdefault("n_instances", 1)
        q = Query(class_name, attrs, action, _action_keys(attributes) if action is not None else {})
        name = self._best(q, energy=action is not None).estimator
        return next(e for e in self.estimators if e.name == name)


def _keep_reason(est: Estimator, e: Exception, reasons: list[Exception]) -> None:
    if isinstance(e, EstimatorInputError):
        reasons.append(e)
    elif isinstance(e, (ValueError, KeyError, TypeError, ArithmeticError)) or not est.builtin:
        reasons.append(EstimatorInputError(f"{est.name}: {type(e).__name__}: {e}"))
    else:  # a bug in a built-in estimator must not pass for "cannot price"
        raise e


def _node_note(q: Query) -> str:
    t = q.attributes.get("technology")
    return f" at technology {t}" if t is not None else ""


def _instances(attributes: Mapping[str, Any]) -> float:
    n = attributes.get("n_instances", 1)
    v = units.to_number(n)
    return 1.0 if v is None else v


def _action_keys(attributes: Mapping[str, Any]) -> dict:
    """Accelergy 0.4 passes every action the design-wide cycle time and action latency."""
    return {"global_cycle_seconds": attributes.get("global_cycle_seconds", 1e-9),
            "action_latency_cycles": attributes.get("action_latency_cycles", 1)}


def _as_estimators(obj: Any) -> list[Estimator]:
    if isinstance(obj, Estimator):
        return [obj]
    if isinstance(obj, type) and issubclass(obj, Estimator):
        return [obj()]
    if callable(obj):
        return _as_estimators(obj())
    if isinstance(obj, (list, tuple)):
        out: list[Estimator] = []
        for o in obj:
            out.extend(_as_estimators(o))
        return out
    raise TypeError(f"not an estimator: {obj!r}")


def entry_point_estimators() -> list[Estimator]:
    """Estimators registered by installed distributions under `loopnest.estimators`."""
    from importlib.metadata import entry_points

    from loopnest.errors import EstimationError

    out: list[Estimator] = []
    try:
        eps = entry_points(group=ENTRY_POINT_GROUP)
    except TypeError:  # pragma: no cover - Python < 3.10 API
        eps = entry_points().get(ENTRY_POINT_GROUP, [])
    for ep in sorted(eps, key=lambda e: e.name):
        try:
            out.extend(_as_estimators(ep.load()))
        except Exception as e:  # a broken plug-in must be reported, not skipped silently
            raise EstimationError(
                f"estimator plug-in '{ep.name}' ({ep.value}) failed to load: {e}",
                hint=f"fix or uninstall the distribution providing entry point "
                     f"'{ENTRY_POINT_GROUP}:{ep.name}'") from e
    return out


def default_registry(extra: Iterable[Estimator] = (), plugins: bool = True,
                     models: str = "accelergy2024") -> Registry:
    """Built-in estimators of the `models` profile, then entry-point plug-ins, then
    `extra` (e.g. user tables)."""
    from loopnest.energy.estimators import builtin_estimators

    reg = Registry()
    for e in builtin_estimators(models):
        reg.add(e)
    if plugins:
        for e in entry_point_estimators():
            reg.add(e)
    for e in extra:
        reg.add(e)
    return reg
