"""The fitted coefficients of loopnest's own ADC and crossbar models, read once from
loopnest/energy/data/fitted_models.json (written by benchmarks/fit_energy_models.py)."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def _document() -> dict:
    return json.loads(resources.files("loopnest.energy").joinpath(
        "data/fitted_models.json").read_text())


def fitted(name: str) -> Any:
    """The coefficients named `name` (ADC_CAPPED, ADC_RATE, ADC_AREA, CROSSBAR)."""
    return _document()[name]
