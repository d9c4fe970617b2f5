"""Digital peripherals priced as the Accelergy "Neurosim Plug-In" (2024) prices them.

The plug-in (accelergy-neurosim-plug-in bf874bc) runs a modified DNN NeuroSim V1.3
binary, parses the 7-significant-digit table it prints, and interpolates linearly in
the technology node between the two bracketing nodes NeuroSim knows.  This module
re-derives those numbers in Python, without NeuroSim, for the plug-in's digital
classes: ``intadder``, ``flip_flop``, ``shift_add``, ``mux``, ``intadder_tree``,
``max_pool``, ``not_gate``, ``nand_gate`` and ``nor_gate``.  The analog crossbar
classes (array_row_drivers, array_col_drivers, array_adc, memory_cell) are not here.

How the plug-in arrives at its numbers, and what this module reproduces:

* Device data: NeuroSim's Technology tables, conventional bulk/FinFET transistors,
  LP roadmap, 300 K (``loopnest/energy/data/neurosim_tech.json``).  The supply voltage
  is the node's default: the plug-in fills ``voltage: 0`` for peripheral classes,
  which NeuroSim reads as "keep the node's vdd".
* Circuits: NeuroSim's gate-level models (standard-cell area with folding, gate and
  drain capacitance, subthreshold leakage) for an N-bit ripple adder (9 NAND2 per
  bit), a DFF (12 minimum inverters of area), shift-add (adder + DFFs), a max-pooling
  comparator tree, a transmission-gate mux with its select decoder, and single gates.
  Calibration as in the plug-in's Param.cpp (``validated = true``): adder energy x0.15
  (delta), DFF energy x0.5 (gamma), control logic x0.05 (epsilon).
* Output: every number goes through ``printf("%e")`` (7 significant digits) in pJ,
  um^2 and pW before the plug-in reads it back; this module rounds the same way.
  ``intadder`` is read as the "adder" rows minus the "adder tree" row (the plug-in
  matches names by substring), the tree being a default 2-input tree of
  ``n_bits + 1``-bit adders; the difference is computed exactly as the plug-in does.
  The adder tree accumulates its energy, area and leakage in single-precision
  ``float`` (a quirk of the plug-in's main.cpp), reproduced here.
* Technology: permitted nodes are 7, 10, 14, 22, 32, 45, 65, 90 and 130 nm; any other
  node in [7, 130] is a linear interpolation of the results at the two bracketing
  permitted nodes (weights from the node in nm).  Outside [7, 130] the plug-in fails;
  here a ``ValueError`` is raised.

Entry points: :func:`peripheral_cost` (the model: per-action energies, leakage power
and area at a node), :func:`plugin_params` (the plug-in's own parameter handling:
required names, type coercion, range checks) and :func:`plugin_estimate` (both,
returning the plug-in's four numbers, leakage already multiplied by
``global_cycle_seconds``).  :data:`SUPPORTED_CLASSES`, :data:`CLASS_PARAMS`,
:data:`READ_ACTIONS`, :data:`WRITE_ACTIONS`, :data:`LEAK_ACTIONS` let a wrapper decide
whether a query is supported.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "PERMITTED_TECH_NODES",
    "SUPPORTED_CLASSES",
    "CLASS_PARAMS",
    "ParamSpec",
    "READ_ACTIONS",
    "WRITE_ACTIONS",
    "LEAK_ACTIONS",
    "ALL_ACTIONS",
    "PeripheralCost",
    "PluginStats",
    "NeurosimParamError",
    "action_kind",
    "required_params",
    "param_defaults",
    "plugin_params",
    "peripheral_cost",
    "plugin_estimate",
]

# --------------------------------------------------------------------------------------
# The plug-in's interface: classes, parameters, actions
# --------------------------------------------------------------------------------------

PERMITTED_TECH_NODES: tuple[int, ...] = (7, 10, 14, 22, 32, 45, 65, 90, 130)


@dataclass(frozen=True)
class ParamSpec:
    """One entry of the plug-in's PARAMS dicts: whether it is REQUIRED, its default, its type."""

    required: bool
    default: Any
    type: type


_SHARED = {
    "global_cycle_seconds": ParamSpec(True, 1e-9, float),
    "technology": ParamSpec(True, 32, int),
}


def _params(**own: ParamSpec) -> Mapping[str, ParamSpec]:
    return MappingProxyType({**own, **_SHARED})


# class -> its parameters, in the plug-in's order (own parameters, then the shared ones)
CLASS_PARAMS: Mapping[str, Mapping[str, ParamSpec]] = MappingProxyType({
    "intadder": _params(n_bits=ParamSpec(True, 8, int)),
    "shift_add": _params(n_bits=ParamSpec(True, 8, int),
                         shift_register_n_bits=ParamSpec(True, 16, int)),
    "intadder_tree": _params(n_bits=ParamSpec(True, 8, int),
                             n_adder_tree_inputs=ParamSpec(True, 2, int)),
    "max_pool": _params(n_bits=ParamSpec(True, 8, int), pool_window=ParamSpec(True, 2, int)),
    "mux": _params(n_mux_inputs=ParamSpec(True, 2, int), n_bits=ParamSpec(True, 8, int)),
    "flip_flop": _params(n_bits=ParamSpec(True, 8, int)),
    "not_gate": _params(),
    "nand_gate": _params(),
    "nor_gate": _params(),
})
SUPPORTED_CLASSES: tuple[str, ...] = tuple(CLASS_PARAMS)

# Values the plug-in passes to NeuroSim for the misc parameters a class does not own
# (a query's own attribute of that name is ignored).  They matter only for intadder,
# whose reading subtracts a default 2-input adder tree.
_MISC_DEFAULTS: Mapping[str, int] = MappingProxyType({
    "n_bits": 8, "shift_register_n_bits": 16, "pool_window": 2,
    "n_adder_tree_inputs": 2, "n_mux_inputs": 2,
})

READ_ACTIONS: tuple[str, ...] = ("read", "mac_random", "mac_reused", "compute", "add",
                                 "shift_add", "convert")
WRITE_ACTIONS: tuple[str, ...] = ("write", "set", "erase", "update")
LEAK_ACTIONS: tuple[str, ...] = ("leak",)
ALL_ACTIONS: tuple[str, ...] = READ_ACTIONS + WRITE_ACTIONS + LEAK_ACTIONS


class NeurosimParamError(ValueError):
    """A query the plug-in refuses: missing REQUIRED parameter, bad type, or out of range."""


def action_kind(action: str) -> str:
    """'read', 'write' or 'leak': which of the plug-in's numbers prices ``action``."""
    a = action.lower()
    if a in READ_ACTIONS:
        return "read"
    if a in WRITE_ACTIONS:
        return "write"
    if a in LEAK_ACTIONS:
        return "leak"
    raise NeurosimParamError(f"action {action!r} not supported by the Neurosim plug-in; "
                             f"supported: {', '.join(ALL_ACTIONS)}")


def _class_params(kind: str) -> Mapping[str, ParamSpec]:
    try:
        return CLASS_PARAMS[kind.lower()]
    except KeyError:
        raise NeurosimParamError(
            f"{kind!r} is not a Neurosim plug-in peripheral class; supported: "
            f"{', '.join(SUPPORTED_CLASSES)}") from None


def required_params(kind: str) -> tuple[str, ...]:
    """Names a query of ``kind`` must carry, else the plug-in fails the estimate.

    Every parameter of every peripheral class is REQUIRED in the plug-in, including
    ``technology`` and ``global_cycle_seconds`` (for area queries too).
    """
    return tuple(n for n, s in _class_params(kind).items() if s.required)


def param_defaults(kind: str) -> dict[str, Any]:
    """The plug-in's documented default per parameter of ``kind`` (shown in its usage text)."""
    return {n: s.default for n, s in _class_params(kind).items()}


def _coerce(kind: str, name: str, value: Any, typ: type) -> Any:
    """The plug-in's conversion of one attribute value.

    A string is first stripped to its digits and '.' characters ("40nm" -> "40",
    "8b" -> "8"); beware that this also mangles signs and exponents ("-4" -> 4,
    "1e-09" -> 109.0), so callers should pass numbers as numbers, as Accelergy does.
    The result goes through ``int()`` or ``float()``: an int parameter given as a
    float is truncated (8.7 -> 8), an int parameter given as "8.5" is an error.
    """
    raw = value
    if isinstance(value, str):
        value = "".join(c for c in value if c.isdigit() or c == ".")
    try:
        return typ(value)
    except (TypeError, ValueError):
        raise NeurosimParamError(
            f"Failed to generate {kind}. Parameter {name} must be of type {typ.__name__}. "
            f"Given: {raw!r}") from None


def plugin_params(kind: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The plug-in's handling of a query's attributes: the values it passes to NeuroSim.

    Checks the REQUIRED names are present, coerces the values (see :func:`_coerce`),
    checks ranges (bit widths, window, inputs >= 1; technology in [7, 130] nm) and
    returns the class's parameters, with ``technology`` as an int (the plug-in's type).
    Raises :class:`NeurosimParamError` wherever the plug-in fails the estimate.
    """
    specs = _class_params(kind)
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name not in attributes:
            if spec.required:
                raise NeurosimParamError(
                    f"Failed to generate {kind}. Required parameter not found: {name}")
            out[name] = spec.default
            continue
        out[name] = _coerce(kind, name, attributes[name], spec.type)
    _check_ranges(out)
    return out


def _check_ranges(p: Mapping[str, Any]) -> None:
    _check_technology(p["technology"])
    for name in ("n_bits", "shift_register_n_bits", "pool_window", "n_adder_tree_inputs",
                 "n_mux_inputs"):
        if name in p and not p[name] >= 1:
            raise NeurosimParamError(f"{name} must be >= 1; given {p[name]}")


def _check_technology(t: float) -> None:
    lo, hi = min(PERMITTED_TECH_NODES), max(PERMITTED_TECH_NODES)
    if not lo <= t <= hi:
        raise NeurosimParamError(
            f"Neurosim plug-in technology must be between {lo} and {hi} nm; given {t} nm")


# --------------------------------------------------------------------------------------
# Technology data (NeuroSim Technology.cpp, LP roadmap, 300 K)
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Tech:
    """The device parameters NeuroSim's formulas read, at one permitted node."""

    node: int
    feature_size: float          # m
    vdd: float                   # V
    cap_gate: float              # capIdealGate + capOverlap + capFringe, F/m
    cap_junction: float          # F/m^2
    cap_sidewall: float          # F/m
    cap_drain_to_channel: float  # F/m
    pn_size_ratio: float
    current_off_nmos: float      # A/m
    current_off_pmos: float      # A/m
    height_fin: float = 0.0      # FinFET only, m
    width_fin: float = 0.0
    pitch_fin: float = 0.0

    @property
    def bulk(self) -> bool:
        """NeuroSim's test for planar transistors (featureSize >= 22 nm)."""
        return self.feature_size >= 22 * 1e-9


def _load_tech() -> tuple[Mapping[int, _Tech], float]:
    text = resources.files("loopnest.energy").joinpath("data/neurosim_tech.json").read_text()
    data = json.loads(text)
    techs = {}
    for key, d in data["nodes"].items():
        node = int(key)
        f = node * 1e-9
        vdd = d["vdd"]
        cap_ideal = d["cap_ideal_gate"]
        cap_overlap = cap_ideal * 0.2 if node >= 22 else 0.0
        ratio = d["current_on_nmos"] / d["current_on_pmos"]
        # Technology.cpp: junction capacitances from BSIM4-style grading at vdd
        phi = 0.9
        techs[node] = _Tech(
            node=node, feature_size=f, vdd=vdd,
            cap_gate=cap_ideal + cap_overlap + d["cap_fringe"],
            cap_junction=1e-3 / math.pow(1 + vdd / phi, 0.5),
            cap_sidewall=2.5e-10 / math.pow(1 + vdd / phi, 0.33),
            cap_drain_to_channel=0.5e-10 / math.pow(1 + vdd / phi, 0.33),
            pn_size_ratio=float(int(ratio)) if node < 22 else ratio,  # FinFET: truncated
            current_off_nmos=d["current_off_nmos"], current_off_pmos=d["current_off_pmos"],
            height_fin=d.get("height_fin", 0.0), width_fin=d.get("width_fin", 0.0),
            pitch_fin=d.get("pitch_fin", 0.0),
        )
    missing = set(PERMITTED_TECH_NODES) - set(techs)
    if missing:
        raise RuntimeError(f"neurosim_tech.json lacks nodes {sorted(missing)}")
    return MappingProxyType(techs), float(data["mux_read_voltage"])


_TECH, _MUX_READ_VOLTAGE = _load_tech()

# --------------------------------------------------------------------------------------
# NeuroSim's gate-level formulas (formula.cpp, constant.h)
# --------------------------------------------------------------------------------------

_INV, _NOR, _NAND = 0, 1, 2
_MIN_NMOS_SIZE = 2
_MAX_TRANSISTOR_HEIGHT = 28
# constant.h's MAX_TRANSISTOR_HEIGHT_FINFET / MAX_TRANSISTOR_HEIGHT is an integer
# division (34 / 28 == 1): the FinFET cell height is not actually rescaled.
_FINFET_HEIGHT_SCALE = 34 // 28
_GAP_P_N = 3.5            # MIN_GAP_BET_P_AND_N_DIFFS
_GAP_GATE_POLY = 2.8      # MIN_GAP_BET_GATE_POLY
_GAP_GATE_POLY_FIN = 3.9  # MIN_GAP_BET_GATE_POLY_FINFET
_POLY_EXT_DIFF = 1.0      # MIN_POLY_EXT_DIFF
_GAP_FIELD_POLY = 1.6     # MIN_GAP_BET_FIELD_POLY
_POLY_WIDTH = 1.0
_POLY_WIDTH_FIN = 1.4
_M3_PITCH = 2.8
_LEAK_NAND2, _LEAK_NAND3, _LEAK_NOR2, _LEAK_NOR3 = 0.48, 0.31, 0.95, 0.62
# Param.cpp calibration with validated = true
_DELTA, _GAMMA, _EPSILON = 0.15, 0.5, 0.05


def _edge(t: _Tech) -> float:
    """(MIN_POLY_EXT_DIFF + MIN_GAP_BET_FIELD_POLY/2) * 2 * F: poly overhang of a cell."""
    return (_POLY_EXT_DIFF + _GAP_FIELD_POLY / 2) * 2 * t.feature_size


def _fin_width(width: float, t: _Tech) -> float:
    """Effective FinFET channel width of a planar-equivalent width."""
    width *= t.pitch_fin / (2 * t.feature_size)
    return math.ceil(width / t.pitch_fin) * (2 * t.height_fin + t.width_fin)


def _gate_cap(width: float, t: _Tech) -> float:
    """CalculateGateCap: gate capacitance of one transistor (F)."""
    w = width if t.bulk else _fin_width(width, t)
    return t.cap_gate * w  # + phyGateLength * capPolywire, which is 0


def _max_widths(ratio: float, h: float, t: _Tech) -> tuple[float, float]:
    if ratio == 0:
        return 0.0, h - _edge(t)
    if ratio == 1:
        return h - _edge(t), 0.0
    p = ratio * (h - _GAP_P_N * t.feature_size - _edge(t))
    return p, p / ratio * (1 - ratio)


def _max_fins(ratio: float, h: float, t: _Tech) -> tuple[int, int]:
    if ratio == 0:
        return 0, int(math.floor((h - _edge(t)) / t.pitch_fin)) + 1
    if ratio == 1:
        return int(math.floor((h - _edge(t)) / t.pitch_fin)) + 1, 0
    usable = h - _GAP_P_N * t.feature_size - _edge(t)
    return (int(math.floor(ratio * usable / t.pitch_fin)) + 1,
            int(math.floor((1 - ratio) * usable / t.pitch_fin)) + 1)


def _gate_area(gate: int, n_in: int, wn: float, wp: float, h: float,
               t: _Tech) -> tuple[float, float]:
    """CalculateGateArea: (height, width) in m of a standard cell of fixed height ``h``."""
    f = t.feature_size
    if not t.bulk:
        wn *= t.pitch_fin / (2 * f)
        wp *= t.pitch_fin / (2 * f)
        h *= _FINFET_HEIGHT_SCALE
    ratio = wp / (wp + wn)
    fold_p = fold_n = 1
    if t.bulk:
        max_p, max_n = _max_widths(ratio, h, t)
        if wp > 0:
            if wp <= max_p:
                unit_p = 2 * (_POLY_WIDTH + _GAP_GATE_POLY) * f
            else:
                fold_p = int(math.ceil(wp / max_p))
                unit_p = (fold_p + 1) * (_POLY_WIDTH + _GAP_GATE_POLY) * f
        else:
            unit_p = 0.0
        if wn > 0:
            if wn <= max_n:
                unit_n = 2 * (_POLY_WIDTH + _GAP_GATE_POLY) * f
            else:
                fold_n = int(math.ceil(wn / max_n))
                unit_n = (fold_n + 1) * (_POLY_WIDTH + _GAP_GATE_POLY) * f
        else:
            unit_n = 0.0
    else:
        max_pf, max_nf = _max_fins(ratio, h, t)
        n_pf = int(math.ceil(wp / t.pitch_fin))
        n_nf = int(math.ceil(wn / t.pitch_fin))
        if n_pf > 0:
            if n_pf <= max_pf:
                unit_p = 2 * (_POLY_WIDTH_FIN + _GAP_GATE_POLY_FIN) * f
            else:
                fold_p = int(math.ceil(n_pf // max_pf))
                unit_p = (fold_p + 1) * (_POLY_WIDTH_FIN + _GAP_GATE_POLY_FIN) * f
        else:
            unit_p = 0.0
        if n_nf > 0:
            if n_nf <= max_nf:
                unit_n = 2 * (_POLY_WIDTH_FIN + _GAP_GATE_POLY_FIN) * f
            else:
                fold_n = int(math.ceil(n_nf // max_nf))
                unit_n = (fold_n + 1) * (_POLY_WIDTH_FIN + _GAP_GATE_POLY_FIN) * f
        else:
            unit_n = 0.0
    if gate == _INV:
        reg_p, reg_n = unit_p, unit_n
    elif gate in (_NOR, _NAND):
        if fold_p == 1 and fold_n == 1:  # neighbouring devices share source/drain
            reg_p = unit_p * n_in - (n_in - 1) * f * _pitch_units(t)
            reg_n = unit_n * n_in - (n_in - 1) * f * _pitch_units(t)
        else:
            reg_p, reg_n = unit_p * n_in, unit_n * n_in
    else:
        reg_p = reg_n = 0.0
    return h, max(reg_n, reg_p)


def _pitch_units(t: _Tech) -> float:
    """POLY_WIDTH + MIN_GAP_BET_GATE_POLY (bulk) or their FinFET values, in F."""
    return (_POLY_WIDTH + _GAP_GATE_POLY) if t.bulk else (_POLY_WIDTH_FIN + _GAP_GATE_POLY_FIN)


def _gate_caps(gate: int, n_in: int, wn: float, wp: float, h: float,
               t: _Tech) -> tuple[float, float]:
    """CalculateGateCapacitance: (input, output) capacitance of a gate (F)."""
    cap_in = _gate_cap(wn, t) + _gate_cap(wp, t)
    f = t.feature_size
    if not t.bulk:
        wn *= t.pitch_fin / (2 * f)
        wp *= t.pitch_fin / (2 * f)
        h *= _FINFET_HEIGHT_SCALE
    ratio = wp / (wp + wn)
    fold_p = fold_n = 1
    drain_p = drain_n = source_p = source_n = 0.0
    hd_p = hd_n = 0.0
    if t.bulk:
        max_p, max_n = _max_widths(ratio, h, t)
        gap = _GAP_GATE_POLY
        if wp > 0:
            if wp <= max_p:
                drain_p = f * gap
                source_p = drain_p
                hd_p = wp
            else:
                fold_p = int(math.ceil(wp / max_p))
                drain_p = int(math.ceil((fold_p + 1) / 2)) * f * gap
                source_p = int(math.floor((fold_p + 1) / 2)) * f * gap
                hd_p = max_p
        if wn > 0:
            if wn <= max_n:
                drain_n = f * gap
                source_n = drain_n
                hd_n = wn
            else:
                fold_n = int(math.ceil(wn / max_n))
                drain_n = int(math.ceil((fold_n + 1) / 2)) * f * gap
                source_n = int(math.floor((fold_n + 1) / 2)) * f * gap
                hd_n = max_n
    else:
        max_pf, max_nf = _max_fins(ratio, h, t)
        gap = _GAP_GATE_POLY_FIN
        n_pf = int(math.ceil(wp / t.pitch_fin))
        if n_pf > 0:
            if n_pf <= max_pf:
                drain_p = f * gap
                source_p = drain_p
                hd_p = (n_pf - 1) * t.pitch_fin + 2 * t.width_fin / 2
            else:
                fold_p = int(math.ceil(n_pf // max_pf))
                drain_p = int(math.ceil((fold_p + 1) / 2)) * f * gap
                source_p = int(math.floor((fold_p + 1) / 2)) * f * gap
                hd_p = (max_pf - 1) * t.pitch_fin + 2 * t.width_fin / 2
        n_nf = int(math.ceil(wn / t.pitch_fin))
        if n_nf > 0:
            if n_nf <= max_nf:
                drain_n = f * gap
                source_n = drain_n
                hd_n = (n_nf - 1) * t.pitch_fin + 2 * t.width_fin / 2
            else:
                fold_n = int(math.ceil(n_nf // max_nf))
                drain_n = int(math.ceil((fold_n + 1) / 2)) * f * gap
                source_n = int(math.floor((fold_n + 1) / 2)) * f * gap
                hd_n = (max_nf - 1) * t.pitch_fin + 2 * t.width_fin / 2
    wd_p = wd_n = side_p = side_n = 0.0
    if gate == _INV:
        if wp > 0:
            wd_p = drain_p
            side_p = wd_p * 2 + hd_p * (1 + (fold_p + 1) % 2)
        if wn > 0:
            wd_n = drain_n
            side_n = wd_n * 2 + hd_n * (1 + (fold_p + 1) % 2)  # sic: PMOS folding
    elif gate == _NOR:
        if fold_p == 1 and fold_n == 1:
            if wp > 0:
                wd_p = drain_p * n_in
                side_p = wd_p * 2 + hd_p
            if wn > 0:
                wd_n = drain_n * int(math.floor((n_in + 1) / 2))
                side_n = wd_n * 2 + hd_n * (1 - (n_in + 1) % 2)
        else:
            if wp > 0:
                wd_p = drain_p * n_in + (n_in - 1) * source_p
                side_p = (wd_p * 2 + hd_p * (1 + (fold_p + 1) % 2) * n_in
                          + hd_p * (1 - (fold_p + 1) % 2) * (n_in - 1))
            if wn > 0:
                wd_n = drain_n * n_in
                side_n = wd_n * 2 + hd_n * (1 + (fold_n + 1) % 2) * n_in
    elif gate == _NAND:
        if fold_p == 1 and fold_n == 1:
            if wp > 0:
                wd_p = drain_p * int(math.floor((n_in + 1) / 2))
                side_p = wd_p * 2 + hd_p * (1 - (n_in + 1) % 2)
            if wn > 0:
                wd_n = drain_n * n_in
                side_n = wd_n * 2 + hd_n
        else:
            if wp > 0:
                wd_p = drain_p * n_in
                side_p = wd_p * 2 + hd_p * (1 + (fold_p + 1) % 2) * n_in
            if wn > 0:
                wd_n = drain_n * n_in + (n_in - 1) * source_n
                side_n = (wd_n * 2 + hd_n * (1 + (fold_n + 1) % 2) * n_in
                          + hd_n * (1 - (fold_n + 1) % 2) * (n_in - 1))
    bottom_n = wd_n * hd_n * t.cap_junction
    bottom_p = wd_p * hd_p * t.cap_junction
    sw_p = side_p * t.cap_sidewall
    sw_n = side_n * t.cap_sidewall
    ch_n = fold_n * hd_n * t.cap_drain_to_channel
    ch_p = fold_p * hd_p * t.cap_drain_to_channel
    return cap_in, bottom_n + bottom_p + sw_n + sw_p + ch_n + ch_p


def _gate_leak(gate: int, n_in: int, wn: float, wp: float, t: _Tech) -> float:
    """CalculateGateLeakage at 300 K: average off current of a gate (A)."""
    if t.bulk:
        wn_eff, wp_eff = wn, wp
    else:
        wn_eff, wp_eff = _fin_width(wn, t), _fin_width(wp, t)
    if gate == _INV:
        return (wn_eff * t.current_off_nmos + wp_eff * t.current_off_pmos) / 2
    if gate == _NOR:
        return (_LEAK_NOR2 if n_in == 2 else _LEAK_NOR3) * (wn_eff * t.current_off_nmos * n_in)
    if gate == _NAND:
        return (_LEAK_NAND2 if n_in == 2 else _LEAK_NAND3) * (wp_eff * t.current_off_pmos * n_in)
    return 0.0


def _enlarge(wn: float, wp: float, h: float, t: _Tech) -> tuple[float, float]:
    """EnlargeSize: grow minimum-size transistors to fill the standard-cell height."""
    ratio = wp / (wp + wn)
    if t.bulk:
        max_p, max_n = _max_widths(ratio, h, t)
        if ratio == 0 and wn < max_n:
            wn = max_n
        elif ratio == 1 and wp < max_p:
            wp = max_p
        elif 0 < wp < max_p and 0 < wn < max_n:
            wp, wn = max_p, max_n
        return wn, wp
    f = t.feature_size
    max_fin = 2 if t.node == 7 else 3
    n_pf = int(math.ceil(wp / (2 * f)))
    n_nf = int(math.ceil(wn / (2 * f)))
    if ratio == 0 and n_nf <= max_fin:
        wn = float(max_fin) * 2 * f
    elif ratio == 1 and n_pf <= max_fin:
        wp = float(max_fin) * 2 * f
    elif 0 < n_pf <= max_fin and 0 < n_nf <= max_fin:
        if ratio >= 0.5:
            n_pf = max_fin
            n_nf = int(math.ceil(n_pf / ratio * (1 - ratio)))
        else:
            n_nf = max_fin
            n_pf = int(math.ceil(n_nf / (1 - ratio) * ratio))
        wn = float(n_nf) * 2 * f
        wp = float(n_pf) * 2 * f
    return wn, wp


def _cell_height(t: _Tech) -> float:
    return t.feature_size * _MAX_TRANSISTOR_HEIGHT


def _min_inv(t: _Tech) -> tuple[float, float]:
    """Minimum inverter widths (N, P) before enlarging."""
    return _MIN_NMOS_SIZE * t.feature_size, t.pn_size_ratio * _MIN_NMOS_SIZE * t.feature_size


def _sized(k_n: int, t: _Tech) -> tuple[float, float]:
    """Enlarged (N, P) widths of a gate with ``k_n`` x minimum NMOS and a minimum PMOS."""
    wn = k_n * _MIN_NMOS_SIZE * t.feature_size
    wp = t.pn_size_ratio * _MIN_NMOS_SIZE * t.feature_size
    return _enlarge(wn, wp, _cell_height(t), t)


# --------------------------------------------------------------------------------------
# NeuroSim components, as main.cpp of the plug-in builds them.  Each returns
# (read energy J, area m^2, leakage W) at one permitted node, in NeuroSim's double math.
# --------------------------------------------------------------------------------------

_Raw = tuple[float, float, float]


def _adder(n_bits: int, n_adders: int, t: _Tech) -> _Raw:
    """Adder.cpp: ripple adder of 9 NAND2 per bit, in one row; energy x delta."""
    wn, wp = _sized(2, t)
    h_nand, w_nand = _gate_area(_NAND, 2, wn, wp, _cell_height(t), t)
    area = h_nand * ((w_nand * 9 * n_bits) * n_adders)
    cin, cout = _gate_caps(_NAND, 2, wn, wp, h_nand, t)
    leak = _gate_leak(_NAND, 2, wn, wp, t) * t.vdd * 9 * n_bits * n_adders
    v = t.vdd
    e = 0.0
    e += (cin * 6) * v * v
    e += (cout * 2) * v * v
    e += (cin * 7) * v * v * (n_bits - 1)
    e += (cout * 3) * v * v * (n_bits - 1)
    e += (cout + cin) * v * v * 2
    e += (cout + cin * 2) * v * v
    e += (cout + cin * 3) * v * v
    e += (cout + cin) * v * v
    e += (cout + cin * 3) * v * v * (n_bits - 1)
    e += (cout + cin) * v * v * (n_bits - 1)
    e += (cout + cin) * v * v * 2 * (n_bits - 1)
    e *= n_adders * 1  # MIN(numAdderPerOperation, numAdder) * numRead
    e *= _DELTA
    return e, area, leak


def _dff(n_dff: int, n_per_op: int, t: _Tech) -> _Raw:
    """DFF.cpp: area of 12 minimum inverters per bit, clock + D-to-Q energy x gamma."""
    h = _cell_height(t)
    wn_min, wp_min = _min_inv(t)
    h_inv, w_inv = _gate_area(_INV, 1, wn_min, wp_min, h, t)
    area = h_inv * ((w_inv * 12) * n_dff)
    tg_n, tg_p = _enlarge(*_min_inv(t), h, t)
    inv_n, inv_p = _enlarge(*_min_inv(t), h, t)
    c_inv_in, c_inv_out = _gate_caps(_INV, 1, inv_n, inv_p, h_inv, t)
    c_tg_n = _gate_cap(tg_n, t)
    c_tg_p = _gate_cap(tg_p, t)
    _, c_tg_drain = _gate_caps(_INV, 1, tg_n, tg_p, h_inv, t)
    leak = _gate_leak(_INV, 1, inv_n, inv_p, t) * t.vdd * 8 * n_dff
    v = t.vdd
    sel = min(n_per_op, n_dff)
    e = 0.0
    e += (c_inv_in + c_inv_out) * v * v * 4 * n_dff
    e += c_tg_n * v * v * 2 * n_dff
    e += c_tg_p * v * v * 2 * n_dff
    e += (c_tg_drain * 3 + c_inv_in) * v * v * sel
    e += (c_tg_drain + c_inv_out) * v * v * sel
    e += (c_inv_in + c_inv_out) * v * v * sel
    e *= 1  # numRead
    e *= _GAMMA
    return e, area, leak


def _shift_add(n_bits: int, sr_bits: int, t: _Tech) -> _Raw:
    """ShiftAdd.cpp, non-spiking: an n_bits adder and n_bits + sr_bits DFFs (area: their sum)."""
    n_dff = (n_bits + 1 + sr_bits - 1) * 1
    ea, aa, la = _adder(n_bits, 1, t)
    ed, ad, ld = _dff(n_dff, n_dff, t)
    e = 0.0
    e += ea
    e += ed
    leak = 0.0
    leak += la
    leak += ld
    return e, aa + ad, leak


def _comparator_1bit(t: _Tech) -> tuple[float, float]:
    """Comparator.cpp with numBit = 1: (area m^2, read energy J incl. epsilon)."""
    h = _cell_height(t)
    inv = _sized(1, t)
    nand2 = _sized(2, t)
    nand3 = _sized(3, t)
    h_inv, w_inv = _gate_area(_INV, 1, *inv, h, t)
    h_n2, w_n2 = _gate_area(_NAND, 2, *nand2, h, t)
    h_n3, w_n3 = _gate_area(_NAND, 3, *nand3, h, t)
    area = ((h_inv * w_inv) * 4 + (h_n2 * w_n2) * 4 + (h_n3 * w_n3) * 3) * 1
    ci_inv, co_inv = _gate_caps(_INV, 1, *inv, h_inv, t)
    ci_n2, co_n2 = _gate_caps(_NAND, 2, *nand2, h_n2, t)
    ci_n3, co_n3 = _gate_caps(_NAND, 3, *nand3, h_n3, t)
    v = t.vdd
    e = 0.0
    e += ((ci_inv + co_inv) * 4) * v * v
    e += ((ci_n2 + co_n2) * 4) * v * v
    e += ((ci_n3 + co_n3) * 3) * v * v
    e *= 1 * 1 * 1
    e *= _EPSILON
    return area, e


def _max_pool(n_bits: int, window: int, t: _Tech) -> _Raw:
    """MaxPooling.cpp: a tree of n_bits comparators over ``window`` inputs (leak: INVs only)."""
    n_comp = 0
    n = window
    m = n % 2
    while n != 0:
        n_comp += n // 2
        n //= 2
    n_comp += m
    h = _cell_height(t)
    inv = _sized(1, t)
    nand = _sized(2, t)
    nor = _sized(4, t)
    nor2 = _enlarge((n_bits * 2) * _MIN_NMOS_SIZE * t.feature_size,
                    t.pn_size_ratio * _MIN_NMOS_SIZE * t.feature_size, h, t)
    h_inv, w_inv = _gate_area(_INV, 1, *inv, h, t)
    h_nand, w_nand = _gate_area(_NAND, 2, *nand, h, t)
    h_nor, w_nor = _gate_area(_NOR, 2, *nor, h, t)
    h_nor2, w_nor2 = _gate_area(_NOR, n_bits, *nor2, h, t)
    comp_area, comp_e = _comparator_1bit(t)
    unit = (comp_area + (h_inv * w_inv) * 5) * n_bits
    unit += ((h_inv * w_inv) * 6) + (h_nand * w_nand + h_inv * w_inv) + (h_nor * w_nor) \
        + (h_nor2 * w_nor2)
    unit *= n_comp
    area = unit * 1
    ci_inv, co_inv = _gate_caps(_INV, 1, *inv, h_inv, t)
    ci_nand, _ = _gate_caps(_NAND, 2, *nand, h_nand, t)
    ci_nor, _ = _gate_caps(_NOR, 2, *nor, h_nor, t)
    ci_nor2, _ = _gate_caps(_NOR, n_bits, *nor2, h_nor2, t)
    leak = _gate_leak(_INV, 1, *inv, t) * t.vdd * n_comp * 1
    v = t.vdd
    e = 0.0
    e += (ci_nand + co_inv) * v * v
    e += (ci_nor + co_inv) * v * v
    e += (ci_inv + co_inv) * v * v * 2
    e += (ci_nor2 + co_inv) * v * v
    e *= _EPSILON
    e += comp_e * n_bits / 2
    e *= n_comp
    e *= 1
    e *= 1
    return e, area, leak


def _mux(n_bits: int, n_inputs: int, t: _Tech) -> _Raw:
    """Mux.cpp (digital transmission gates, n_bits x n_inputs) + its RowDecoder (MUX mode)."""
    h = _cell_height(t)
    # Mux: numInput = n_bits, numSelection = n_inputs
    tg_n, tg_p = _sized(1, t)
    h_tg, w_tg = _gate_area(_INV, 1, tg_n, tg_p, h, t)
    n_tg = n_bits * n_inputs
    mux_area = h_tg * (w_tg * n_tg)
    c_gate_n = _gate_cap(tg_n, t)
    _, c_drain = _gate_caps(_INV, 1, tg_n, tg_p, h_tg, t)
    rv = _MUX_READ_VOLTAGE
    mux_e = 0.0
    mux_e += c_gate_n * n_bits * t.vdd * t.vdd
    mux_e += (c_drain * 2) * n_bits * rv * rv
    mux_e *= 1
    dec_e, dec_area, dec_leak = _mux_decoder(int(math.ceil(math.log2(n_inputs))), t)
    return mux_e + dec_e, mux_area + dec_area, 0.0 + dec_leak


def _mux_decoder(n_addr: int, t: _Tech) -> _Raw:
    """RowDecoder.cpp, REGULAR_ROW, MUX = true, not parallel: 2-bit predecoded select lines."""
    f = t.feature_size
    h = _cell_height(t)
    inv = _sized(1, t)
    n_inv = n_addr
    nand = _sized(2, t)
    n_nand = 4 * (n_addr // 2)
    half = int(math.ceil(n_addr / 2))
    nor = _enlarge(_MIN_NMOS_SIZE * f, half * t.pn_size_ratio * _MIN_NMOS_SIZE * f, h, t)
    n_nor = 2 ** n_addr if n_addr > 2 else 0
    n_metal = n_nand + (n_addr % 2) * 2 if n_addr > 2 else 0
    drv = (2 * _MIN_NMOS_SIZE * f, 2 * t.pn_size_ratio * _MIN_NMOS_SIZE * f)  # not enlarged
    h_inv, w_inv = _gate_area(_INV, 1, *inv, h, t)
    h_nand, w_nand = _gate_area(_NAND, 2, *nand, h, t)
    h_nor, w_nor = _gate_area(_NOR, half, *nor, h, t)
    h_drv, _ = _gate_area(_INV, 1, *drv, h, t)
    height = max(h_nor * n_nor, h_nand * n_nand)
    width = w_inv + w_nand + _M3_PITCH * n_metal * f + w_nor
    width += w_nand + w_inv * 2
    area = height * width
    ci_inv, _ = _gate_caps(_INV, 1, *inv, h_inv, t)
    ci_nand, co_nand = _gate_caps(_NAND, 2, *nand, h_nand, t) if n_nand else (0.0, 0.0)
    ci_nor, co_nor = _gate_caps(_NOR, half, *nor, h_nor, t) if n_nor else (0.0, 0.0)
    ci_drv, co_drv = _gate_caps(_INV, 1, *drv, h_drv, t)
    v = t.vdd
    leak = 0.0
    leak += _gate_leak(_INV, 1, *inv, t) * v * n_inv
    leak += _gate_leak(_NAND, 2, *nand, t) * v * n_nand
    leak += _gate_leak(_NOR, half, *nor, t) * v * n_nor
    leak += _gate_leak(_NAND, 2, *nand, t) * v * n_nor
    leak += _gate_leak(_INV, 1, *inv, t) * v * 2 * n_nor
    pairs = (n_addr // 2) * 2
    e = 0.0
    e += (ci_inv + ci_nand * 2) * v * v * (n_addr // 2) * 2
    e += (ci_inv + ci_nor * n_nor / 2) * v * v * (n_addr - pairs)
    e += (co_nand + ci_nor * n_nor / 4) * v * v * n_nand / 4
    e += (co_nor + ci_nand) * v * v
    e += (co_nand + ci_drv) * v * v
    e += (co_drv + ci_drv) * v * v
    e += co_drv * v * v
    e *= 1
    e *= _EPSILON
    return e, area, leak


def _f32(x: float) -> float:
    """Round to IEEE single precision, as assigning to a C ``float`` does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _adder_tree(n_bits: int, n_inputs: int, t: _Tech) -> _Raw:
    """The plug-in's own adder tree: levels of n/2 adders, one bit wider per level.

    Accumulated in single precision as main.cpp does; ``n_inputs`` is halved with
    integer division, so a non-power-of-two input count loses its odd inputs.
    """
    e = a = leak = 0.0
    bits, cur = n_bits, n_inputs
    while cur > 1:
        cur //= 2
        bits += 1
        de, da, dl = _adder(bits, cur, t)
        e = _f32(e + de)
        a = _f32(a + da)
        leak = _f32(leak + dl)
    return e, a, leak


def _gate_only(gate: int, t: _Tech) -> _Raw:
    """main.cpp's single NOT / NAND2 / NOR2 gates: area only (no energy, no leakage)."""
    h = _cell_height(t)
    if gate == _INV:
        w = _sized(1, t)
        gh, gw = _gate_area(_INV, 1, *w, h, t)
    elif gate == _NAND:
        w = _sized(2, t)
        gh, gw = _gate_area(_NAND, 2, *w, h, t)
    else:
        w = _sized(4, t)
        gh, gw = _gate_area(_NOR, 2, *w, h, t)
    return 0.0, gw * gh, 0.0


# --------------------------------------------------------------------------------------
# The printed table and the plug-in's reading of it
# --------------------------------------------------------------------------------------

def _printed(x: float) -> float:
    """A value after NeuroSim's ``printf("%e")`` and the plug-in's ``float()``: 7 digits."""
    return float("%e" % x)


# a printed row: (pJ per activation, um^2, pW)
_Row = tuple[float, float, float]


def _row(raw: _Raw) -> _Row:
    e, a, leak = raw
    return _printed(e * 1e12), _printed(a * 1e12), _printed(leak * 1e12)


def _rows(kind: str, p: Mapping[str, int], t: _Tech) -> list[_Row]:
    """The printed rows whose lower-cased names contain the plug-in's search string for kind.

    The plug-in selects rows by substring: "adder" matches both the Adder and the
    Adder Tree rows (in that order), the other names match one row each.
    """
    n = p["n_bits"]
    if kind == "intadder":
        return [_row(_adder(n, 1, t)), _row(_adder_tree(n, p["n_adder_tree_inputs"], t))]
    if kind == "intadder_tree":
        return [_row(_adder_tree(n, p["n_adder_tree_inputs"], t))]
    if kind == "shift_add":
        return [_row(_shift_add(n, p["shift_register_n_bits"], t))]
    if kind == "max_pool":
        return [_row(_max_pool(n, p["pool_window"], t))]
    if kind == "mux":
        return [_row(_mux(n, p["n_mux_inputs"], t))]
    if kind == "flip_flop":
        return [_row(_dff(n, n, t))]
    gate = {"not_gate": _INV, "nand_gate": _NAND, "nor_gate": _NOR}[kind]
    return [_row(_gate_only(gate, t))]


def _misc_stats(rows: list[_Row], gcs: float) -> tuple[float, float, float, float]:
    """neurointerface.misc_stats: (read pJ, write pJ, leak pW x gcs, area um^2), Python sums."""
    read = 0 + sum(r[0] for r in rows)
    area = sum(r[1] for r in rows)
    leak = sum(r[2] for r in rows) * gcs
    return read, 0, leak, area


def _node_stats(kind: str, p: Mapping[str, int], node: int,
                gcs: float) -> tuple[float, float, float, float]:
    """The plug-in's four numbers at one permitted node (leak = pW x gcs)."""
    t = _TECH[node]
    rows = _rows(kind, p, t)
    if kind == "intadder":  # "adder" rows minus the "adder tree" row
        whole = _misc_stats(rows, gcs)
        tree = _misc_stats(rows[1:], gcs)
        return tuple(a - b for a, b in zip(whole, tree))  # type: ignore[return-value]
    return _misc_stats(rows, gcs)


def _interpolated(kind: str, p: Mapping[str, int], technology: float,
                  gcs: float) -> tuple[float, float, float, float]:
    """accelergywrapper.get_neurosim_output: bracketing nodes, linear in the node (nm)."""
    _check_technology(technology)
    hi = min(n for n in PERMITTED_TECH_NODES if n >= technology)
    lo = max(n for n in PERMITTED_TECH_NODES if n <= technology)
    x = (technology - lo) / (hi - lo) if hi - lo else 0
    s_hi = _node_stats(kind, p, hi, gcs)
    s_lo = _node_stats(kind, p, lo, gcs)
    return tuple(l + (h - l) * x for l, h in zip(s_lo, s_hi))  # type: ignore[return-value]


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeripheralCost:
    """What one peripheral costs: energy per read (compute/add/...) and per write action in
    pJ, leakage power in W (multiply by the cycle time for energy per cycle), area in um^2."""

    read_pJ: float
    write_pJ: float
    leak_W: float
    area_um2: float

    def energy_pJ(self, action: str, global_cycle_seconds: float) -> float:
        """Energy of one ``action`` as the plug-in prices it; 'leak' is per cycle."""
        k = action_kind(action)
        if k == "read":
            return self.read_pJ
        if k == "write":
            return self.write_pJ
        return self.leak_W * 1e12 * global_cycle_seconds


@dataclass(frozen=True)
class PluginStats:
    """The plug-in's four numbers for a query: pJ per read / write action, leakage pJ per
    global cycle, area um^2."""

    read_pJ: float
    write_pJ: float
    leak_pJ: float
    area_um2: float

    def energy_pJ(self, action: str) -> float:
        """Energy the plug-in reports for ``action``."""
        k = action_kind(action)
        return {"read": self.read_pJ, "write": self.write_pJ, "leak": self.leak_pJ}[k]


def _model_params(kind: str, params: Mapping[str, Any]) -> dict[str, int]:
    """The misc parameters NeuroSim sees: the class's own (given or default), others default."""
    specs = _class_params(kind)
    p = dict(_MISC_DEFAULTS)
    for name in _MISC_DEFAULTS:
        if name in specs:
            v = params.get(name, specs[name].default)
            if (isinstance(v, bool) or not isinstance(v, (int, float))
                    or not math.isfinite(v) or v != int(v)):
                raise NeurosimParamError(f"{kind}: {name} must be an integer; given {v!r}")
            if v < 1:
                raise NeurosimParamError(f"{kind}: {name} must be >= 1; given {v!r}")
            p[name] = int(v)
    return p


def peripheral_cost(kind: str, technology_nm: float,
                    params: Mapping[str, Any]) -> PeripheralCost:
    """Cost of one Neurosim plug-in peripheral of class ``kind`` at ``technology_nm``.

    ``params`` holds the class's numeric parameters (see :data:`CLASS_PARAMS`; a missing
    one takes the plug-in's default; ``technology`` and ``global_cycle_seconds`` in it
    are ignored).  Between permitted nodes the result is the plug-in's linear
    interpolation of the two bracketing nodes' (7-digit) results; the plug-in only ever
    passes integer nodes (see :func:`plugin_params`), any float in [7, 130] works here.
    Raises ``ValueError`` (:class:`NeurosimParamError`) for an unknown class, a
    non-integer or < 1 parameter, or a node outside [7, 130] nm.
    """
    k = kind.lower()
    p = _model_params(k, params)
    # leakage in pW x 1e-12 = W; the plug-in applies the same arithmetic with its gcs
    read, write, leak, area = _interpolated(k, p, technology_nm, 1e-12)
    return PeripheralCost(read_pJ=read, write_pJ=float(write), leak_W=leak, area_um2=area)


def plugin_estimate(kind: str, attributes: Mapping[str, Any]) -> PluginStats:
    """The plug-in's answer for a query of class ``kind`` with Accelergy ``attributes``.

    Applies :func:`plugin_params` (required names, coercion, ranges), then prices at
    the bracketing nodes with leakage multiplied by ``global_cycle_seconds`` before the
    interpolation, in the plug-in's own order of operations.  Multiply ``leak_pJ`` by
    nothing else: it is already energy per global cycle.
    """
    k = kind.lower()
    given = plugin_params(k, attributes)
    p = _model_params(k, given)
    read, write, leak, area = _interpolated(k, p, given["technology"],
                                            given["global_cycle_seconds"])
    return PluginStats(read_pJ=read, write_pJ=write, leak_pJ=leak, area_um2=area)


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------

from loopnest.energy.plugin import Estimator, EstimatorInputError, Query  # noqa: E402


class NeuroSimDigital(Estimator):
    """"Neurosim Plug-In" (accuracy 70) for the digital peripheral classes.

    Like the plug-in, it claims every query of a supported class and action, then fails
    the estimate when a required parameter is missing (an `intadder` without `n_bits`
    is thus left to Aladdin_table)."""

    name = "Neurosim Plug-In"
    accuracy = 70.0
    builtin = True

    def supports(self, class_name: str) -> bool:
        return class_name.lower() in SUPPORTED_CLASSES

    def energy_accuracy(self, q: Query) -> float:
        ok = self.supports(q.class_name) and str(q.action).lower() in ALL_ACTIONS
        return self.accuracy if ok else 0.0

    def estimate_energy(self, q: Query) -> float:
        return self._stats(q).energy_pJ(str(q.action))

    def area_accuracy(self, q: Query) -> float:
        return self.accuracy if self.supports(q.class_name) else 0.0

    def estimate_area(self, q: Query) -> float:
        return self._stats(q).area_um2

    @staticmethod
    def _stats(q: Query) -> PluginStats:
        try:
            return plugin_estimate(q.class_name.lower(), q.attributes)
        except NeurosimParamError as e:
            raise EstimatorInputError(str(e)) from None
