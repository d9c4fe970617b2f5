"""The estimator plug-in interface and the registry that chooses between estimators.

An estimator prices *primitive* components. It declares the classes it knows
(`classes`, lower case), the actions it prices, and an `accuracy` (percent,
like Accelergy's) used to choose when several estimators accept a component.
It returns energy per action in pJ, area in um^2 and leakage power in W.

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

    # --- declaration -------------------------------------------------------
    def supports(self, class_name: str) -> bool:
        return class_name.lower() in {c.lower() for c in self.classes}

    def supported_actions(self, class_name: str, attributes: Mapping[str, Any]) -> Iterable[str]:
        return tuple(self.actions) + ("leak",)

    def accuracy_for(self, class_name: str, attributes: Mapping[str, Any]) -> float:
        """Accuracy for this particular component (defaults to `accuracy`)."""
        return self.accuracy

    # --- pricing -------------------------------------------------------------
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
class Choice:
    estimator: Estimator
    accuracy: float


@dataclass
class Registry:
    """The estimators in use, in priority order for equal accuracy."""

    estimators: list[Estimator] = field(default_factory=list)

    def add(self, est: Estimator) -> None:
        self.estimators.append(est)

    def candidates(self, class_name: str) -> list[Estimator]:
        return [e for e in self.estimators if e.supports(class_name)]

    def knows(self, class_name: str) -> bool:
        return bool(self.candidates(class_name))

    def choose(self, class_name: str, attributes: Mapping[str, Any],
               action: str | None = None) -> Estimator:
        """Most accurate estimator accepting the component (and the action, if given).

        Raises EstimatorInputError with the most useful reason when none does.
        """
        best: tuple[float, int, Estimator] | None = None
        reasons: list[EstimatorInputError] = []
        for i, est in enumerate(self.candidates(class_name)):
            try:
                est.check(class_name, attributes)
                if action is not None and action not in set(
                        est.supported_actions(class_name, attributes)):
                    raise EstimatorInputError(
                        f"class '{class_name}' has no action '{action}' (known: "
                        f"{', '.join(sorted(set(est.supported_actions(class_name, attributes))))})")
                acc = float(est.accuracy_for(class_name, attributes))
            except EstimatorInputError as e:
                reasons.append(e)
                continue
            key = (acc, -i, est)
            if best is None or key[:2] > best[:2]:
                best = key
        if best is not None:
            return best[2]
        if not reasons:
            raise EstimatorInputError(f"no estimator knows class '{class_name}'")
        fatal = [r for r in reasons if r.fatal]
        raise (fatal[0] if fatal else reasons[0])


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


def default_registry(extra: Iterable[Estimator] = (), plugins: bool = True) -> Registry:
    """Built-in estimators, then entry-point plug-ins, then `extra` (e.g. user tables)."""
    from loopnest.energy.estimators import builtin_estimators

    reg = Registry()
    for e in builtin_estimators():
        reg.add(e)
    if plugins:
        for e in entry_point_estimators():
            reg.add(e)
    for e in extra:
        reg.add(e)
    return reg
