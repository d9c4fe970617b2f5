"""SRAM model: the fit machinery, the wrapper's conventions, and CACTI runs on and off the grid."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from loopnest.energy.estimators import sram_fit
from loopnest.energy.estimators.sram import SRAMModel
from loopnest.energy.estimators.sram_fit import GRID_DEPTHS, GRID_NODES, GRID_WIDTHS, Run

FIXTURE = Path(__file__).parent / "fixtures" / "energy" / "sram_cacti.csv"
QS = ("read", "write", "area", "leak")


def _cacti_rows(kind: str) -> list[dict]:
    with open(FIXTURE) as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return [r for r in csv.DictReader(lines) if r["kind"] == kind]


def _predict(m: SRAMModel, r: dict) -> dict[str, float]:
    return m.evaluate(float(r["width"]), float(r["depth"]), float(r["technology_nm"]),
                      float(r["n_banks"]))


def _synthetic_runs(bump: float = 0.0, drop: tuple | None = None) -> list[Run]:
    """Runs whose ln(value) is an exact trend, plus `bump` at (45 nm, 1 bank, 64 x 1024)."""
    coef = [0.1 * (i % 5) - 0.2 for i in range(len(sram_fit.features(64, 1024, 45, 1)))]
    coef[0] = 1.0
    runs = []
    for t in GRID_NODES:
        for b in (1, 2):
            for w in GRID_WIDTHS:
                for d in GRID_DEPTHS:
                    if d < 64 * b or (t, b, w, d) == drop:
                        continue
                    ln = sum(c * f for c, f in zip(coef, sram_fit.features(w, d, t, b)))
                    if (t, b, w, d) == (45.0, 1, 64, 1024):
                        ln += bump
                    runs.append(Run(w, d, t, b, {q: math.exp(ln) for q in QS}))
    return runs


def test_fit_recovers_an_exact_trend_and_keeps_grid_corrections() -> None:
    m = SRAMModel(sram_fit.fit(_synthetic_runs()))
    ln = lambda v: math.log(v)  # noqa: E731
    ref = _synthetic_runs()[0]
    assert m.evaluate(ref.width, ref.depth, ref.tech_nm, ref.banks)["read"] == pytest.approx(
        ref.values["read"], rel=1e-6)
    # a 0.3 bump at one grid point: exact there, half of it one half-octave away
    fit = sram_fit.fit(_synthetic_runs(bump=0.3))
    grid = fit.resid["read"][45.0][1]
    bumped = grid[GRID_WIDTHS.index(64)][GRID_DEPTHS.index(1024)]
    trend_only = SRAMModel(sram_fit.SRAMFit(fit.trend, {q: {} for q in QS}))
    m = SRAMModel(fit)
    at, mid = m.evaluate(64, 1024, 45), m.evaluate(64, 1024 * math.sqrt(2), 45)
    assert ln(at["read"]) - ln(trend_only.evaluate(64, 1024, 45)["read"]) == pytest.approx(
        bumped, abs=1e-4)
    nxt = grid[GRID_WIDTHS.index(64)][GRID_DEPTHS.index(2048)]
    assert ln(mid["read"]) - ln(trend_only.evaluate(64, 1024 * math.sqrt(2), 45)["read"]) == \
        pytest.approx(0.5 * (bumped + nxt), abs=1e-4)


def test_fit_completes_a_missing_grid_point_from_the_other_nodes() -> None:
    fit = sram_fit.fit(_synthetic_runs(bump=0.3, drop=(32.0, 1, 64, 1024)))
    r = fit.resid["read"]
    i, j = GRID_WIDTHS.index(64), GRID_DEPTHS.index(1024)
    others = [r[n][1][i][j] for n in GRID_NODES if n != 32.0]
    assert r[32.0][1][i][j] == pytest.approx(sum(others) / 3, abs=1e-4)
    assert r[22.0][2][i][GRID_DEPTHS.index(64)] is None  # depth < 64 x banks: no CACTI array


def test_wrapper_conventions() -> None:
    m = SRAMModel()
    base = m.evaluate(32, 1024, 45)
    w16 = m.evaluate(16, 1024, 45)  # width < 32: priced at 32
    assert w16["read"] == pytest.approx(base["read"] * 0.65)
    assert w16["area"] == pytest.approx(base["area"] * 0.5)
    w40, w36 = m.evaluate(40, 1024, 45), m.evaluate(36, 1024, 45)  # rounded up to x8
    assert w36["write"] == pytest.approx(w40["write"] * (0.7 * 36 / 40 + 0.3))
    assert w36["leak"] == pytest.approx(w40["leak"] * 36 / 40)
    d32 = m.evaluate(32, 32, 45)  # depth < 64 x banks: priced at 64 rows
    d64 = m.evaluate(32, 64, 45)
    assert d32["read"] == pytest.approx(d64["read"] * 0.5 ** 0.78)
    assert d32["area"] == pytest.approx(d64["area"] * 0.5)
    b3, b4 = m.evaluate(64, 4096, 45, 3), m.evaluate(64, 4096, 45, 4)  # banks: power of two
    assert b3["read"] == b4["read"] and b3["leak"] == pytest.approx(b4["leak"] * 0.75)


def test_technology_between_and_beyond_the_cacti_nodes() -> None:
    m = SRAMModel()
    n22, n32 = m.evaluate(128, 2048, 22), m.evaluate(128, 2048, 32)
    n28 = m.evaluate(128, 2048, 28)  # linear in the node, as the wrapper interpolates
    for q in QS:
        assert n28[q] == pytest.approx(0.4 * n22[q] + 0.6 * n32[q])
    n11 = m.evaluate(128, 2048, 11)  # below 22 nm: the wrapper's square-root rule
    assert n11["read"] == pytest.approx(n22["read"] * 0.5 ** 0.5)
    assert n11["area"] == pytest.approx(n22["area"] * 0.5)
    assert n11["leak"] == pytest.approx(n22["leak"] * 0.5 ** 0.5 * 0.79)
    n65, n90, n100 = (m.evaluate(128, 2048, t) for t in (65, 90, 100))
    assert n65["read"] < n90["read"] < n100["read"]  # power law continued, continuous at 90
    assert m.evaluate(128, 2048, 90.001)["read"] == pytest.approx(n90["read"], rel=1e-4)
    assert n90["leak"] == n65["leak"]


def test_shipped_fit_reproduces_cacti_grid_runs() -> None:
    m = SRAMModel()
    for r in _cacti_rows("grid"):
        p = _predict(m, r)
        for q, col in zip(QS, ("read_pJ", "write_pJ", "area_um2", "leak_W")):
            assert p[q] == pytest.approx(float(r[col]), rel=2e-3), (r, q)


def test_off_grid_cacti_runs_within_25_percent() -> None:
    """CACTI runs at sizes and nodes the fit never saw (see the fixture header)."""
    m = SRAMModel()
    errs = []
    for r in _cacti_rows("offgrid"):
        p = _predict(m, r)
        for q, col in zip(("read", "write", "area"), ("read_pJ", "write_pJ", "area_um2")):
            errs.append(abs(p[q] / float(r[col]) - 1))
    assert len(errs) == 48
    assert max(errs) < 0.25
    assert sorted(errs)[len(errs) // 2] < 0.05
