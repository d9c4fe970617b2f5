"""ADC: the survey-fit model used by Accelergy's ADC plug-in (hwcomponents-adc).

Model (Andrulis et al., "Modeling analog-digital-converter energy and area for
compute-in-memory accelerator design", arXiv:2404.06553, fitted to B. Murmann's
ADC performance survey): with SNDR = 6.02 ENOB + 1.76 dB and the Schreier
figure of merit FOMS, energy per conversion = 1 / (2 * 10^((FOMS - SNDR)/10)),
where FOMS is the lesser of a resolution-limited value (linear in ceil(ENOB))
and a speed-limited value (falling with ln(per-ADC sample rate)); the result is
corrected by exp(a + b ln(node) + c ln(ENOB)). Area per ADC is log-linear in
rate, node, bits and energy. Our coefficients (data/fitted_models.json) are refitted to
the plug-in's outputs. As in the plug-in, 20 % of the energy is leakage: the
`convert` action is 0.8 x energy per conversion and leak power = 0.2 x energy x
total throughput.

Attributes: resolution (aliases n_bits, adc_resolution, bits...), technology,
throughput (total samples/s; default n_adcs / cycle time), n_adcs (default 1).
Resolution must be >= 4 bits (as in the plug-in).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from loopnest.energy import units
from loopnest.energy.estimators.fitted import fitted
from loopnest.energy.plugin import Estimator, EstimatorInputError, number, technology

RESOLUTION_NAMES = ("resolution", "n_bits", "adc_resolution", "resolution_adc", "adc_bits",
                    "bits", "adc_n_bits", "bits_adc")
_LN10_10 = math.log(10) / 10


def sndr_db(bits: float) -> float:
    return bits * 20 * math.log10(2) + 10 * math.log10(1.5)


def energy_per_conversion_pj(bits: float, per_adc_rate: float, tech_nm: float) -> float:
    """pJ per conversion (before the 80/20 dynamic/leak split)."""
    ADC_CAPPED, ADC_RATE = fitted("ADC_CAPPED"), fitted("ADC_RATE")
    lt, lb = math.log(tech_nm), math.log(bits)
    capped = ADC_CAPPED[0] + ADC_CAPPED[1] * math.ceil(bits) + ADC_CAPPED[2] * lt \
        + ADC_CAPPED[3] * lb
    rate = ADC_RATE[0] + ADC_RATE[1] * math.log(per_adc_rate) + ADC_RATE[2] * lt \
        + ADC_RATE[3] * lb
    return math.exp(max(capped, rate) - math.log(2) + _LN10_10 * sndr_db(bits))


def area_per_adc_um2(bits: float, per_adc_rate: float, tech_nm: float, energy_pj: float) -> float:
    a = fitted("ADC_AREA")
    return math.exp(a[0] + a[1] * math.log(per_adc_rate) + a[2] * math.log(tech_nm)
                    + a[3] * bits + a[4] * math.log(energy_pj))


class ADCEstimator(Estimator):
    name = "loopnest-adc"
    accuracy = 75.0
    classes = ("adc", "pim_adc", "sar_adc", "array_adc", "pim_array_adc", "cim_array_adc",
               "cim_adc")
    actions = ("convert", "drive", "read", "sample", "activate", "idle")
    tech_range = (7.0, 180.0)

    def params(self, a: Mapping[str, Any]) -> tuple[float, float, float, float]:
        """(bits, total throughput, node nm, n_adcs)."""
        bits = number(a, *RESOLUTION_NAMES, positive=True)
        if bits < 4:
            raise EstimatorInputError(f"ADC resolution {bits:g} bits is below the model's "
                                      f"minimum of 4", "resolution", fatal=True)
        tech = technology(a, *self.tech_range)
        n = number(a, "n_adcs", default=1, positive=True)
        if "throughput" in a:
            thr = number(a, "throughput", positive=True)
        else:
            cyc = None
            for k in ("cycle_seconds", "global_cycle_seconds"):
                if k in a:
                    cyc = units.seconds(a[k])
                    break
            if not cyc or cyc <= 0:
                raise EstimatorInputError("missing attribute 'throughput' (samples/s) and no "
                                          "cycle time to derive it", "throughput", fatal=True)
            thr = n / cyc
        return bits, thr, tech, n

    def check(self, class_name, attributes) -> None:
        self.params(attributes)

    def _energy(self, a: Mapping[str, Any]) -> float:
        bits, thr, tech, n = self.params(a)
        return energy_per_conversion_pj(bits, thr / n, tech)

    def energy(self, class_name, attributes, action, arguments) -> float:
        if action == "idle":
            return 0.0
        return 0.8 * self._energy(attributes)

    def area(self, class_name, attributes) -> float:
        bits, thr, tech, n = self.params(attributes)
        e = energy_per_conversion_pj(bits, thr / n, tech)
        return n * area_per_adc_um2(bits, thr / n, tech, e)

    def leak_power(self, class_name, attributes) -> float:
        bits, thr, tech, n = self.params(attributes)
        return 0.2 * self._energy(attributes) * 1e-12 * thr
