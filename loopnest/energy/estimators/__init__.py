"""Built-in estimators (pure Python; tables and fitted parameters are data files in
loopnest/energy/data).

Two profiles:

* "accelergy2024" (default): re-derivations of the Accelergy plug-in stack behind
  Timeloop's reference outputs, with that stack's accuracies and order (so the
  same estimator wins, ties going the same way), followed by loopnest's own
  models at low accuracy for what that stack cannot price (their names start
  with `loopnest-`);
* "hwcomponents": loopnest's models fitted to the newer `hwcomponents`
  packages take precedence; the stack's estimators remain as fallbacks.
"""
from __future__ import annotations

from loopnest.energy.plugin import Estimator

PROFILES = ("accelergy2024", "hwcomponents")
# accuracy given to the hwcomponents-fitted models in the "hwcomponents" profile
PREFERRED_ACCURACY = 95.0
# accuracy of loopnest's own models in the "accelergy2024" profile: below every estimator
# of the stack, so they price only what the stack cannot
FALLBACK_ACCURACY = 20.0


def stack_estimators() -> list[Estimator]:
    """The 2024 stack, in the order Accelergy found its plug-ins (the tie-break)."""
    from loopnest.energy.estimators.adc import ADCEstimator
    from loopnest.energy.estimators.aladdin import AladdinTable
    from loopnest.energy.estimators.dummy import DummyTable
    from loopnest.energy.estimators.library import LibraryEstimator

    out: list[Estimator] = [ADCEstimator(), LibraryEstimator()]
    try:
        from loopnest.energy.estimators.neurosim import NeuroSimDigital
        out.append(NeuroSimDigital())
    except ImportError:  # pragma: no cover - transitional
        pass
    out += [AladdinTable(), DummyTable()]
    try:
        from loopnest.energy.estimators.cacti import CactiDRAM, CactiSRAM
        out += [CactiDRAM(), CactiSRAM()]
    except ImportError:  # pragma: no cover - transitional
        pass
    return out


def own_estimators() -> list[Estimator]:
    """loopnest's own models: PIM parts, and the hwcomponents-fitted digital/memory models."""
    from loopnest.energy.estimators.aladdin import ScaledAladdin
    from loopnest.energy.estimators.crossbar import CrossbarEstimator
    from loopnest.energy.estimators.dac import DACEstimator
    from loopnest.energy.estimators.digital import DigitalEstimator
    from loopnest.energy.estimators.dram import DRAMEstimator
    from loopnest.energy.estimators.smartbuffer import SmartBufferEstimator
    from loopnest.energy.estimators.sram import SRAMEstimator
    from loopnest.energy.estimators.wire import WireEstimator

    return [ScaledAladdin(), CrossbarEstimator(), DACEstimator(), SRAMEstimator(),
            DRAMEstimator(), DigitalEstimator(), WireEstimator(), SmartBufferEstimator()]


# loopnest models that stand for a newer component model (re-ranked by the profile); the
# PIM models (crossbar, DAC) keep their own accuracies in both profiles.
_FITTED = ("loopnest-sram", "loopnest-dram", "loopnest-digital", "loopnest-wire",
           "loopnest-smartbuffer")


def builtin_estimators(profile: str = "accelergy2024") -> list[Estimator]:
    """A fresh list of the built-in estimators for `profile`, in tie-break order."""
    if profile not in PROFILES:
        raise ValueError(f"unknown estimator profile '{profile}' (known: {', '.join(PROFILES)})")
    stack, own = stack_estimators(), own_estimators()
    for e in stack + own:
        e.builtin = True
    for e in own:
        if e.name in _FITTED:
            e.accuracy = PREFERRED_ACCURACY if profile == "hwcomponents" else FALLBACK_ACCURACY
    if profile == "hwcomponents":
        return own + stack
    return stack + own
