"""stub"""
from loopnest.energy.plugin import Estimator


class ADCEstimator(Estimator):
    name = "adc"
