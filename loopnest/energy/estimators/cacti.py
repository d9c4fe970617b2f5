"""The 2024 Accelergy CACTI plug-in's rules, around a model of CACTI at its nodes.

Reproduces `cacti_wrapper.py` of accelergy-cacti-plug-in 625d5a5 (the plug-in
of accelergy-timeloop-infrastructure d686be0, May 2024), which runs CACTI 7
(HewlettPackard/cacti 1ffd8dfb with the infrastructure's cacti.patch). CACTI
itself is replaced by `SRAMModel.at_node` (sram.py), a fit of that CACTI's
runs at 22, 32, 45, 65 and 90 nm; everything the wrapper does around CACTI is
reproduced exactly here:

* `CactiSRAM(technology, width, depth, n_rw_ports=1, n_banks=1)`: the only
  attributes it takes (Accelergy drops the others: n_rd_ports, datawidth...).
  `assert_int`: width, depth, n_rw_ports, n_banks and the technology must be
  integers > 0 (ints, integral floats, or strings int() accepts; the
  technology may be a string ending in "nm", "40nm"), else the estimator
  fails -- `cacti_sram` raises ValueError.
* `_interp_size` at a CACTI node: CACTI is called with n_banks rounded up to
  a power of two, width rounded up to a multiple of 8 and to >= 32 bits, and
  depth raised to >= 64 x n_banks rows (the *requested* n_banks); then energy
  x (0.7 w/w' + 0.3) (d/d')^0.78, leakage = CACTI's "Standby leakage per
  bank" x the *requested* n_banks x w/w' x d/d', area x w/w' x d/d', cycle
  time unscaled. (The wrapper's `bankscale` is computed and never used.)
* `_interp_technology`: below 22 nm every quantity is the 22 nm value x
  node/22, leakage x 0.79 more (finFET); above 90 nm every quantity (cycle
  time too) is the 90 nm value x (node/90)^2; in 22..90 nm, linear in the node
  between the bracketing CACTI nodes.
* read, write, update: energy x (0.7 bool(data_delta) + 0.3 bool(address_delta))
  (both default True); update = write; leak(global_cycle_seconds) = leakage
  power x global_cycle_seconds; area = the scaled CACTI area.
* `CactiDRAM(width, type="LPDDR4")`: pJ/bit by type x width for read, write
  and update; leak 0, area 0; width must be an integer, type one of the table.
* `CactiCache` (class "cache"): with associativity 1 the wrapper passes tag
  size 0 and CACTI finds no valid tag organisation, so the estimator always
  fails; with associativity > 1 it prices a cache, which is not modelled here.

Units: energies pJ per action, power W, area um^2, time ns.

Where the CACTI-node model is used outside its fitted domain (width <= 2048
bits, depth <= 65536 rows, 1-8 banks, 1-4 ports) see `sram.py`; more than 4
read-write ports is refused (ValueError) rather than extrapolated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

SUPPORTED_NODES: tuple[int, ...] = (22, 32, 45, 65, 90)
MAX_PORTS = 4  # the CACTI-node model is fitted to 1-4 read-write ports

# CactiDRAM.type2energy: pJ per bit.
DRAM_PJ_PER_BIT: dict[str, float] = {
    "LPDDR4": 8,  # "Public data"
    "LPDDR": 40,  # Malladi et al., ISCA'12
    "DDR3": 70,  # Chatterjee et al., MICRO'17
    "GDDR5": 14,
    "HBM2": 3.9,
}
DEFAULT_DRAM_TYPE = "LPDDR4"


@dataclass(frozen=True)
class NodeCost:
    """What the wrapper's `_call_cacti` takes from one CACTI run (per bank
    leakage; the wrapper multiplies it by the requested n_banks)."""

    read_pJ: float
    write_pJ: float
    leak_per_bank_W: float
    area_um2: float
    random_cycle_ns: float


class NodeModel(Protocol):
    """CACTI at one of SUPPORTED_NODES for the array the wrapper asks for
    (width a multiple of 8 >= 32, banks a power of two)."""

    def at_node(self, node_nm: int, width: float, depth: float, n_banks: int,
                n_rw_ports: int) -> NodeCost: ...


@dataclass(frozen=True)
class MemoryCost:
    """A CactiSRAM estimate: energy per access (pJ), leakage power (W), area
    (um^2) and CACTI's random cycle time (ns)."""

    read_pJ: float
    write_pJ: float
    update_pJ: float
    leak_W: float
    area_um2: float
    random_cycle_ns: float

    def leak_pJ(self, global_cycle_seconds: float) -> float:
        """The `leak` action: leakage energy per global cycle, pJ."""
        return self.leak_W * float(global_cycle_seconds) * 1e12

    def access_pJ(self, action: str, address_delta: Any = True, data_delta: Any = True) -> float:
        """read / write / update energy with the wrapper's `_addr_data_deltas`
        (address decoding 30 %, cell access 70 %; the arguments count as bools)."""
        e = {"read": self.read_pJ, "write": self.write_pJ, "update": self.update_pJ}.get(action)
        if e is None:
            raise ValueError(f"CactiSRAM has no action '{action}' (read, write, update, leak)")
        return e * (0.7 * bool(data_delta) + 0.3 * bool(address_delta))


@dataclass(frozen=True)
class DRAMCost:
    """A CactiDRAM estimate: pJ per access of `width` bits; no leakage, no area."""

    read_pJ: float
    write_pJ: float
    update_pJ: float
    leak_W: float = 0.0
    area_um2: float = 0.0

    def leak_pJ(self, global_cycle_seconds: float) -> float:
        return 0.0


def assert_int(value: Any, name: str, greater_than: int = 0) -> int:
    """The wrapper's `assert_int`: an int (or integral float / bool, or a string
    int() accepts) > greater_than, else ValueError."""
    msg = f"{name} must be an integer >{greater_than}. Got {value}."
    try:
        if isinstance(value, str):
            v = int(value)
        else:
            if int(value) != value:
                raise ValueError(msg)
            v = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(msg) from None
    if not v > greater_than:
        raise ValueError(msg)
    return v


def parse_technology(technology: Any) -> int:
    """The wrapper's technology rule: a string must end in "nm" (the rest an
    integer), otherwise an integer; > 0. Returns nm."""
    if isinstance(technology, str):
        if not technology.endswith("nm"):
            raise ValueError(f"Technology must be in nm (e.g. \"40nm\" or 40). Got {technology!r}.")
        technology = technology[:-2]
    return assert_int(technology, "technology")


def interp_size(model: NodeModel, node_nm: int, width: float, depth: float, n_rw_ports: int,
                n_banks: float) -> MemoryCost:
    """`CactiMemory._interp_size` at a CACTI node (no validation)."""
    scaled_n_banks = 2 ** math.ceil(math.log2(n_banks))
    scaled_width = max(math.ceil(width / 8) * 8, 32)
    widthscale = width / scaled_width
    scaled_depth = max(depth, 64 * n_banks)
    depthscale = depth / scaled_depth
    c = model.at_node(node_nm, scaled_width, scaled_depth, scaled_n_banks, n_rw_ports)
    e = (widthscale * 0.7 + 0.3) * (depthscale ** (1.56 / 2))
    return MemoryCost(read_pJ=c.read_pJ * e, write_pJ=c.write_pJ * e, update_pJ=c.write_pJ * e,
                      leak_W=c.leak_per_bank_W * n_banks * widthscale * depthscale,
                      area_um2=c.area_um2 * widthscale * depthscale,
                      random_cycle_ns=c.random_cycle_ns)


def _scale(c: MemoryCost, s: float, leak: float = 1.0) -> MemoryCost:
    return MemoryCost(c.read_pJ * s, c.write_pJ * s, c.update_pJ * s, c.leak_W * s * leak,
                      c.area_um2 * s, c.random_cycle_ns * s)


def interp_technology(model: NodeModel, technology_nm: float, width: float, depth: float,
                      n_rw_ports: int = 1, n_banks: float = 1) -> MemoryCost:
    """`CactiMemory._interp_technology` (no validation)."""
    lo_node, hi_node = SUPPORTED_NODES[0], SUPPORTED_NODES[-1]
    args = (width, depth, n_rw_ports, n_banks)
    if technology_nm < lo_node:
        return _scale(interp_size(model, lo_node, *args), technology_nm / lo_node, leak=0.79)
    if technology_nm > hi_node:
        return _scale(interp_size(model, hi_node, *args), (technology_nm / hi_node) ** 2)
    lo = max(s for s in SUPPORTED_NODES if s <= technology_nm)
    hi = min(s for s in SUPPORTED_NODES if s >= technology_nm)
    if lo == hi:
        return interp_size(model, lo, *args)
    a = (technology_nm - lo) / (hi - lo)
    vlo, vhi = interp_size(model, lo, *args), interp_size(model, hi, *args)
    return MemoryCost(*((1 - a) * x + a * y for x, y in zip(
        (vlo.read_pJ, vlo.write_pJ, vlo.update_pJ, vlo.leak_W, vlo.area_um2, vlo.random_cycle_ns),
        (vhi.read_pJ, vhi.write_pJ, vhi.update_pJ, vhi.leak_W, vhi.area_um2,
         vhi.random_cycle_ns))))


@lru_cache(maxsize=1)
def default_model() -> NodeModel:
    """The shipped CACTI-node model (loopnest/energy/data/sram_cacti7.json.gz)."""
    from loopnest.energy.estimators.sram import SRAMModel

    return SRAMModel()


def cacti_sram(technology: Any, width: Any, depth: Any, n_rw_ports: Any = 1, n_banks: Any = 1,
               *, model: NodeModel | None = None) -> MemoryCost:
    """What the 2024 CactiSRAM(technology, width, depth, n_rw_ports, n_banks)
    reports, with CACTI replaced by `model` (default: the shipped fit).

    Raises ValueError where the wrapper fails (a non-integer or non-positive
    width, depth, n_rw_ports, n_banks or technology; a technology string not
    ending in "nm") and for more than MAX_PORTS ports (outside the model)."""
    w = assert_int(width, "width")
    d = assert_int(depth, "depth")
    p = assert_int(n_rw_ports, "n_rw_ports")
    b = assert_int(n_banks, "n_banks")
    t = parse_technology(technology)
    if p > MAX_PORTS:
        raise ValueError(f"n_rw_ports {p}: the CACTI-node model covers 1-{MAX_PORTS} "
                         "read-write ports")
    return _cached(t, w, d, p, b, model if model is not None else default_model())


@lru_cache(maxsize=4096)
def _cached(t: int, w: int, d: int, p: int, b: int, model: NodeModel) -> MemoryCost:
    return interp_technology(model, t, w, d, p, b)


def cacti_cache(technology: Any, width: Any, depth: Any, n_rw_ports: Any = 1, n_banks: Any = 1,
                associativity: Any = 1, tag_size: Any = None) -> MemoryCost:
    """CactiCache (class "cache"): validates as the wrapper does, then fails as
    it does with associativity 1 (tag size 0: CACTI finds no valid tag
    organisation); associative caches are not modelled (ValueError too)."""
    for v, n in ((width, "width"), (depth, "depth"), (n_rw_ports, "n_rw_ports"),
                 (n_banks, "n_banks"), (associativity, "associativity")):
        assert_int(v, n)
    if assert_int(associativity, "associativity") > 1:
        assert_int(tag_size, "tag_size")
        parse_technology(technology)
        raise ValueError("CactiCache with associativity > 1 is not modelled (no CACTI-node "
                         "model of caches)")
    parse_technology(technology)
    raise ValueError("CactiCache fails with associativity 1: the wrapper passes tag size 0 and "
                     "CACTI reports 'no valid tag organizations found'; use class SRAM")


def cacti_dram(width: Any, type: str = DEFAULT_DRAM_TYPE) -> DRAMCost:  # noqa: A002
    """CactiDRAM(width, type): pJ/bit of the type x width bits per read, write,
    update; leakage and area 0. ValueError for an unknown type or a non-integer
    width, as the wrapper."""
    if type not in DRAM_PJ_PER_BIT:
        raise ValueError(f"DRAM type {type} is not supported. Must be one of "
                         f"{list(DRAM_PJ_PER_BIT)}.")
    w = assert_int(width, "width")
    e = DRAM_PJ_PER_BIT[type] * w
    return DRAMCost(read_pJ=e, write_pJ=e, update_pJ=e)


# --------------------------------------------------------------------------------------
# The estimators
# --------------------------------------------------------------------------------------

from loopnest.energy.plugin import Estimator, EstimatorInputError, Query  # noqa: E402


class _CactiEstimator(Estimator):
    """How Accelergy wraps a CACTI plug-in class: it claims a query when the class name
    is one of its names (case as written) and the constructor's required attributes are
    there, and the action is one of its methods (read, write, update, leak, idle)."""

    accuracy = 80.0
    builtin = True
    names: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    methods = ("read", "write", "update", "leak", "idle")

    def supports(self, class_name: str) -> bool:
        return class_name in self.names

    def _claims(self, q: Query) -> bool:
        return self.supports(q.class_name) and all(
            q.attributes.get(k) is not None for k in self.required)

    def energy_accuracy(self, q: Query) -> float:
        return self.accuracy if self._claims(q) and q.action in self.methods else 0.0

    def area_accuracy(self, q: Query) -> float:
        return self.accuracy if self._claims(q) else 0.0

    def estimate_energy(self, q: Query) -> float:
        if q.action == "idle":
            return 0.0
        cost = self._cost(q.attributes)
        if q.action == "leak":
            return cost.leak_pJ(q.arguments.get("global_cycle_seconds",
                                                q.attributes.get("global_cycle_seconds")))
        return self._access(cost, q)

    def estimate_area(self, q: Query) -> float:
        return self._cost(q.attributes).area_um2

    def _cost(self, a):
        raise NotImplementedError

    def _access(self, cost, q: Query) -> float:
        return {"read": cost.read_pJ, "write": cost.write_pJ, "update": cost.update_pJ}[
            str(q.action)]


class CactiSRAM(_CactiEstimator):
    """CactiSRAM: class SRAM/sram, priced by the CACTI-node fit under the 2024 wrapper."""

    name = "CactiSRAM"
    names = ("SRAM", "sram")
    required = ("technology", "width", "depth")

    def _cost(self, a) -> MemoryCost:
        try:
            return cacti_sram(a["technology"], a["width"], a["depth"],
                              a.get("n_rw_ports", 1), a.get("n_banks", 1))
        except ValueError as e:
            raise EstimatorInputError(f"CactiSRAM: {e}") from None

    def _access(self, cost: MemoryCost, q: Query) -> float:
        return cost.access_pJ(str(q.action), q.arguments.get("address_delta", True),
                              q.arguments.get("data_delta", True))


class CactiDRAM(_CactiEstimator):
    """CactiDRAM: class DRAM/dram, pJ/bit of its five types x width."""

    name = "CactiDRAM"
    names = ("DRAM", "dram")
    required = ("width",)

    def _cost(self, a) -> DRAMCost:
        try:
            return cacti_dram(a["width"], a.get("type", DEFAULT_DRAM_TYPE))
        except ValueError as e:
            raise EstimatorInputError(f"CactiDRAM: {e}") from None
