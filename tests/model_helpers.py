"""Build small TL-native designs in Python for model tests (our own fixtures)."""
from __future__ import annotations

from loopnest.ir.lower import lower_design

CONV1D = {
    "shape": {
        "name": "Conv1D",
        "dimensions": ["R", "P"],
        "coefficients": [{"name": "Wstride", "default": 1}, {"name": "Wdilation", "default": 1}],
        "data_spaces": [
            {"name": "Weights", "projection": [[["R"]]]},
            {"name": "Inputs", "projection": [[["R", "Wdilation"], ["P", "Wstride"]]]},
            {"name": "Outputs", "projection": [[["P"]]], "read_write": True},
        ],
    },
}


def conv1d(R: int, P: int, **coeffs: int) -> dict:
    prob = {"shape": CONV1D["shape"], "instance": {"R": R, "P": P, **coeffs}}
    return prob


def storage(name: str, cls: str = "regfile", n: int = 1, meshX: int | None = None, **attrs) -> dict:
    a = {"datawidth": 8, **attrs}
    if meshX is not None:
        a["meshX"] = meshX
        a["meshY"] = n // meshX
    return {"name": f"{name}[1..{n}]", "class": cls, "attributes": a}


def mac(name: str = "MAC", n: int = 1, meshX: int | None = None) -> dict:
    a: dict = {"datawidth": 8}
    if meshX is not None:
        a["meshX"] = meshX
        a["meshY"] = n // meshX
    return {"name": f"{name}[1..{n}]", "class": "intmac", "attributes": a}


def ert(**components: dict) -> dict:
    """ert(Buffer={'read': 1.0, ...}) -> an ERT mapping."""
    return {"tables": [{"name": f"sys.{n}[1..1]",
                        "actions": [{"name": a, "energy": e} for a, e in acts.items()]}
                       for n, acts in components.items()]}


def design(local: list[dict], problem: dict, mapping: list[dict], energies: dict | None = None):
    native = {
        "architecture": {"version": 0.4, "subtree": [{"name": "sys", "local": local}]},
        "problem": problem,
        "mapping": mapping,
    }
    if energies:
        native["ERT"] = ert(**energies)
    return lower_design(native)


def unit_costs(*names: str, compute: str = "MAC", e: float = 1.0) -> dict:
    """Every storage action costs e pJ, leak 0; compute costs e."""
    out = {n: {"read": e, "write": e, "update": e, "leak": 0.0} for n in names}
    out[compute] = {"compute": e}
    return out
