"""stub"""
from loopnest.energy.plugin import Estimator


class SRAMEstimator(Estimator):
    name = "sram"
