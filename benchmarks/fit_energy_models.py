"""Fit the coefficient tables of the built-in estimators from the shared reference data.

    python benchmarks/fit_energy_models.py [SHARED_ENERGY_DIR]

Writes loopnest/energy/estimators/_fitted.py (small tables of fitted
coefficients; the reference CSVs themselves are never shipped). Fits:
* SRAM read/write energy and area: one cubic-in-log trend model over all
  nodes (features in sram.features), L1 + 0.1 n L-infinity objective (linear
  program; small single-bank arrays weighted x5 for read and area), so the worst error is bounded instead of chasing CACTI's
  organisation jumps; leakage: least squares per node.
* ADC: the survey-fit model's structure (energy = max of a resolution-capped
  and a frequency-limited Schreier-FOM branch, times a technology/ENOB
  correction; area log-linear in rate, node, bits and energy), refitted by
  least squares on the branch each point lies on.
* Analog crossbar (NeuroSim) per cell type and quantity: least squares in log
  space over rows, columns, node, DAC and ADC bits (crossbar.features).
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loopnest.energy.estimators import crossbar as xb  # noqa: E402
from loopnest.energy.estimators import sram  # noqa: E402


def _read(path: Path) -> list[dict]:
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))


def _lp_fit(F: np.ndarray, v: np.ndarray, lam: float, weights: np.ndarray | None = None
            ) -> np.ndarray:
    """min sum w_i |r_i| + lam max |r_i| (a linear program), r = v - F c."""
    from scipy.optimize import linprog

    n, p = F.shape
    eye = np.eye(n)
    a1 = np.hstack([F, -eye, np.zeros((n, 1))])
    a2 = np.hstack([-F, -eye, np.zeros((n, 1))])
    a3 = np.hstack([np.zeros((n, p)), eye, -np.ones((n, 1))])
    w = np.ones(n) if weights is None else weights
    c = np.concatenate([np.zeros(p), w, [lam]])
    res = linprog(c, A_ub=np.vstack([a1, a2, a3]), b_ub=np.concatenate([v, -v, np.zeros(n)]),
                  bounds=[(None, None)] * p + [(0, None)] * (n + 1), method="highs")
    assert res.success, res.message
    return res.x[:p]


def sram_rows(shared: Path) -> list[dict]:
    rows = _read(shared / "sram_train.csv") + _read(shared / "sram_banks.csv")
    seen, out = set(), []
    for r in rows:
        w, d, b, t = (float(r["width"]), float(r["depth"]), float(r["n_banks"]),
                      float(r["technology_nm"]))
        if r["status"] != "ok" or w < 32 or d < 64 * b or (w, d, b, t) in seen:
            continue  # points derived by the wrapper's padding rules are not CACTI runs
        seen.add((w, d, b, t))
        out.append(r)
    return out


def fit_sram(rows: list[dict]) -> dict:
    F = np.array([sram.features(float(r["width"]), float(r["depth"]), float(r["technology_nm"]),
                                float(r["n_banks"])) for r in rows])
    # Small single-bank arrays (width <= 64, depth <= 256) are what register files
    # and small buffers are priced from (through the padding rules): weight them x5.
    small = np.array([5.0 if float(r["width"]) <= 64 and float(r["depth"]) <= 256
                      and float(r["n_banks"]) == 1 else 1.0 for r in rows])
    out = {}
    for key, col, wts in (("SRAM_READ", "read_energy_pJ", small),
                          ("SRAM_WRITE", "write_energy_pJ", None),
                          ("SRAM_AREA", "area_um2", small)):
        v = np.log([float(r[col]) for r in rows])
        out[key] = _lp_fit(F, v, 0.1 * len(rows), wts).tolist()
    leak = {}
    for node in sram.FIT_NODES:
        sub = [r for r in rows if float(r["technology_nm"]) == node]
        G = np.array([sram.leak_features(float(r["width"]), float(r["depth"]), float(r["n_banks"]))
                      for r in sub])
        v = np.log([float(r["leak_power_W"]) for r in sub])
        leak[node] = np.linalg.lstsq(G, v, rcond=None)[0].tolist()
    out["SRAM_LEAK"] = leak
    return out


def fit_adc(shared: Path) -> dict:
    rows = [r for r in _read(shared / "adc_points.csv") if r["status"] == "ok"]
    bits = np.array([float(r["n_bits"]) for r in rows])
    f = np.array([float(r["per_adc_rate_sps"]) for r in rows])
    t = np.array([float(r["technology_nm"]) for r in rows])
    E = np.array([float(r["energy_pJ"]) for r in rows])
    sndr = bits * 20 * math.log10(2) + 10 * math.log10(1.5)
    y = np.log(E) + math.log(2) - (math.log(10) / 10) * sndr
    floor: dict = {}
    for b, tt, e in zip(bits, t, E):
        floor[(b, tt)] = min(floor.get((b, tt), np.inf), e)
    cap = np.array([e <= floor[(b, tt)] * (1 + 1e-9) for b, tt, e in zip(bits, t, E)])
    Fc = np.stack([np.ones_like(bits), np.ceil(bits), np.log(t), np.log(bits)], 1)
    Fu = np.stack([np.ones_like(bits), np.log(f), np.log(t), np.log(bits)], 1)
    cc = np.linalg.lstsq(Fc[cap], y[cap], rcond=None)[0]
    cu = np.linalg.lstsq(Fu[~cap], y[~cap], rcond=None)[0]
    A = np.array([float(r["area_per_adc_um2"]) for r in rows])
    Fa = np.stack([np.ones_like(bits), np.log(f), np.log(t), bits, np.log(E)], 1)
    ca = np.linalg.lstsq(Fa, np.log(A), rcond=None)[0]
    return {"ADC_CAPPED": cc.tolist(), "ADC_RATE": cu.tolist(), "ADC_AREA": ca.tolist()}


def fit_crossbar(shared: Path) -> dict:
    rows = [r for r in _read(shared / "pim_train.csv") if r["status"] == "ok"]
    out: dict = {}
    for cell in sorted({r["cell"] for r in rows}):
        sub = [r for r in rows if r["cell"] == cell]
        kind = xb.cell_kind(cell)
        F = np.array([xb.features(float(r["rows"]), float(r["cols"]), float(r["technology_nm"]),
                                  float(r["temporal_dac_bits"]), float(r["voltage_dac_bits"]),
                                  float(r["adc_bits"])) for r in sub])
        fits = {}
        for q in xb.QUANTITIES:
            v = np.array([float(r[q]) for r in sub])
            ok = v > 0
            if ok.sum() < len(v) * 0.5:
                fits[q] = None  # mostly zero (e.g. SRAM cell read energy): priced as 0 by NeuroSim
                continue
            c = np.linalg.lstsq(F[ok], np.log(v[ok]), rcond=None)[0]
            fits[q] = [float(x) for x in c]
        out[kind] = fits
    return {"CROSSBAR": out}


def _fmt(obj, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(obj, dict):
        items = [f"{pad}    {k!r}: {_fmt(v, indent + 4).lstrip()}," for k, v in obj.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(obj, list):
        nums = ", ".join(f"{x:.10g}" for x in obj)
        return f"[{nums}]"
    return repr(obj)


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "energy"
    tables = {}
    tables.update(fit_sram(sram_rows(shared)))
    tables.update(fit_adc(shared))
    tables.update(fit_crossbar(shared))
    lines = ['"""Fitted coefficients of the built-in estimators (regenerate with',
             "benchmarks/fit_energy_models.py; see each estimator for the model form).",
             '"""', ""]
    for k, v in tables.items():
        lines.append(f"{k} = {_fmt(v)}")
        lines.append("")
    dst = ROOT / "loopnest" / "energy" / "estimators" / "_fitted.py"
    tmp = dst.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, dst)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
