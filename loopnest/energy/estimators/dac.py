"""stub"""
from loopnest.energy.plugin import Estimator


class DACEstimator(Estimator):
    name = "dac"
