"""Attribute values with units: `45nm`, `32e-9` (metres), `1V`, `5ns`, `1 GHz`.

Estimators need plain numbers in fixed units (technology in nm, voltage in V,
time in s). Accelergy inputs write them either bare or with a unit suffix;
hwcomponents passes technology in metres.
"""
from __future__ import annotations

import re
from typing import Any

_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*)\s*$")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15,
          "g": 1e9, "meg": 1e6}


def split_number(value: Any) -> tuple[float, str] | None:
    """`'45nm'` -> (45.0, 'nm'); `3` -> (3.0, ''); anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value), ""
    if isinstance(value, str):
        m = _NUM.match(value)
        if m:
            return float(m.group(1)), m.group(2)
    return None


def to_number(value: Any) -> float | None:
    """A unit-less number (unit suffix ignored), or None if not numeric."""
    s = split_number(value)
    return None if s is None else s[0]


def technology_nm(value: Any) -> float | None:
    """Technology node in nm from `45nm`, `45`, `0.045um`, `45e-9` (metres)."""
    s = split_number(value)
    if s is None:
        return None
    v, unit = s
    unit = unit.lower()
    if unit in ("nm", ""):
        if unit == "" and 0 < v < 1e-3:  # metres, as hwcomponents passes it
            return v * 1e9
        return v
    if unit == "um":
        return v * 1e3
    if unit == "m":
        return v * 1e9
    return None


def seconds(value: Any) -> float | None:
    """Time in seconds from `5ns`, `1e-9`, `2 us`."""
    s = split_number(value)
    if s is None:
        return None
    v, unit = s
    unit = unit.lower()
    if unit in ("", "s"):
        return v
    if unit.endswith("s") and unit[:-1] in _SCALE:
        return v * _SCALE[unit[:-1]]
    return None


def volts(value: Any) -> float | None:
    """Voltage in V from `1V`, `0.9`, `900mV`."""
    s = split_number(value)
    if s is None:
        return None
    v, unit = s
    unit = unit.lower()
    if unit in ("", "v"):
        return v
    if unit == "mv":
        return v * 1e-3
    return None
