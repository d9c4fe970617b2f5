"""Built-in estimators (pure Python; their data are small coefficient tables in the modules)."""
from __future__ import annotations

from loopnest.energy.plugin import Estimator


def builtin_estimators() -> list[Estimator]:
    """A fresh list of the built-in estimators, in tie-break priority order."""
    from loopnest.energy.estimators.adc import ADCEstimator
    from loopnest.energy.estimators.crossbar import CrossbarEstimator
    from loopnest.energy.estimators.dac import DACEstimator
    from loopnest.energy.estimators.digital import DigitalEstimator
    from loopnest.energy.estimators.dram import DRAMEstimator
    from loopnest.energy.estimators.dummy import DummyEstimator
    from loopnest.energy.estimators.smartbuffer import SmartBufferEstimator
    from loopnest.energy.estimators.sram import SRAMEstimator
    from loopnest.energy.estimators.wire import WireEstimator

    return [DummyEstimator(), SRAMEstimator(), DRAMEstimator(), DigitalEstimator(),
            WireEstimator(), ADCEstimator(), DACEstimator(), CrossbarEstimator(),
            SmartBufferEstimator()]
