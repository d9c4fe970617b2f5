"""Fit the coefficient tables of the built-in estimators.

    python benchmarks/fit_energy_models.py [SHARED_ENERGY_DIR] [--cacti PATH] [--cache FILE]

Writes loopnest/energy/estimators/_fitted.py (ADC and crossbar coefficients,
from the shared reference tables) and, when CACTI is available,
loopnest/energy/estimators/_sram_fit.py (small tables; the reference CSVs and
the CACTI runs themselves are never shipped). Fits:
* SRAM read/write energy, area and leakage (loopnest/energy/estimators/
  sram_fit.py): a cubic-in-log trend and per-node, per-bank-count size tables
  fitted to a dense random sample of CACTI runs made here (`sram_training_
  points`: 14000 arrays at the CACTI nodes, drawn with fixed seeds), plus the
  reference grid (sram_train.csv, sram_banks.csv) as exact corrections at its
  power-of-two sizes. This needs CACTI 7 as installed by hwcomponents-cacti
  1.0.40 (pip install hwcomponents-cacti, Python >= 3.12; it builds the
  `cacti` binary inside the package): pass --cacti with the package directory
  (.../site-packages/hwcomponents_cacti) or a Python interpreter that has it,
  or set LOOPNEST_CACTI. loopnest's own Python does not need to import it: the
  binary is run directly with the wrapper's configuration file, and results
  are cached (--cache, default ~/.cache/loopnest/cacti-sram-<version>.jsonl),
  so a rerun only runs CACTI for points not yet cached (about 0.3-1 s each,
  one at a time; the full sample takes 1-3 hours from scratch). Without
  CACTI the SRAM tables are left as they are.
* ADC: the survey-fit model's structure (energy = max of a resolution-capped
  and a frequency-limited Schreier-FOM branch, times a technology/ENOB
  correction; area log-linear in rate, node, bits and energy), refitted by
  least squares on the branch each point lies on.
* Analog crossbar (NeuroSim) per cell type and quantity: least squares in log
  space over rows, columns, node, DAC and ADC bits (crossbar.features).
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loopnest.energy.estimators import crossbar as xb  # noqa: E402
from loopnest.energy.estimators import sram_fit  # noqa: E402


def _read(path: Path) -> list[dict]:
    import csv

    with open(path) as f:
        return list(csv.DictReader(f))


def sram_rows(shared: Path) -> list[dict]:
    """Distinct CACTI runs of the SRAM tables (rows derived by the wrapper's
    padding rules, width < 32 or depth < 64 x banks, are not CACTI runs)."""
    rows = _read(shared / "sram_train.csv") + _read(shared / "sram_banks.csv")
    seen, out = set(), []
    for r in rows:
        w, d, b, t = (float(r["width"]), float(r["depth"]), float(r["n_banks"]),
                      float(r["technology_nm"]))
        if r["status"] != "ok" or w < 32 or d < 64 * b or (w, d, b, t) in seen:
            continue
        seen.add((w, d, b, t))
        out.append(r)
    return out


def sram_runs(rows: list[dict]) -> list[sram_fit.Run]:
    cols = {"read": "read_energy_pJ", "write": "write_energy_pJ", "area": "area_um2",
            "leak": "leak_power_W"}
    return [sram_fit.Run(int(float(r["width"])), int(float(r["depth"])),
                         float(r["technology_nm"]), int(float(r["n_banks"])),
                         {q: float(r[c]) for q, c in cols.items()}) for r in rows]


# ---------------------------------------------------------------- CACTI runs

class Cacti:
    """CACTI 7 run exactly as the hwcomponents-cacti 1.0.40 SRAM wrapper runs it
    (its default_cfg.cfg plus the size, block, node, bank lines of
    `_Memory._call_cacti`), with a JSON-lines cache of the raw results."""

    def __init__(self, package_dir: Path, cache: Path | None = None) -> None:
        self.pkg = Path(package_dir)
        self.binary_dir = next(p.parent for p in (self.pkg / "cacti" / "cacti", self.pkg / "cacti")
                               if p.is_file())
        self.base_cfg = (self.pkg / "default_cfg.cfg").read_text()
        vfile = self.pkg / "_version.py"
        found = re.search(r"__version__\s*=.*?['\"]([^'\"]+)['\"]",
                          vfile.read_text() if vfile.is_file() else "")
        version = found.group(1) if found else "unknown"
        self.version = version
        if cache is None:
            root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "loopnest"
            cache = root / f"cacti-sram-{version}.jsonl"
        self.cache_path = Path(cache)
        self._cache: dict[tuple, list | None] = {}
        if self.cache_path.is_file():
            for line in self.cache_path.read_text().splitlines():
                if line.strip():
                    k, v = json.loads(line)
                    self._cache[tuple(k)] = v

    @classmethod
    def find(cls, spec: str | None = None, cache: Path | None = None) -> "Cacti | None":
        """`spec` (or $LOOPNEST_CACTI): the hwcomponents_cacti package directory or
        a Python interpreter that can import it; else this interpreter's copy."""
        spec = spec or os.environ.get("LOOPNEST_CACTI")
        pkg = None
        if spec:
            p = Path(spec)
            if p.is_dir():
                pkg = p
            elif p.is_file():
                try:
                    out = subprocess.run(
                        [str(p), "-c", "import importlib.util as u; "
                         "print(u.find_spec('hwcomponents_cacti').submodule_search_locations[0])"],
                        capture_output=True, text=True, timeout=60)
                    pkg = Path(out.stdout.strip()) if out.returncode == 0 else None
                except OSError:
                    pkg = None
        else:
            import importlib.util

            try:
                found = importlib.util.find_spec("hwcomponents_cacti")
            except (ImportError, ValueError):
                found = None
            if found is not None and found.submodule_search_locations:
                pkg = Path(list(found.submodule_search_locations)[0])
        if pkg is None or not (pkg / "default_cfg.cfg").is_file():
            return None
        try:
            return cls(pkg, cache)
        except StopIteration:  # no built binary
            return None

    def raw(self, node_nm: float, width: int, depth: int, banks: int) -> dict | None:
        """CACTI at a CACTI node for a width (multiple of 8, >= 32) x depth array
        in `banks` (power of two) banks: read/write pJ, area um^2, total leakage W."""
        key = (float(node_nm), int(width), int(depth), int(banks))
        if key not in self._cache:
            self._cache[key] = self._run(*key)
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.cache_path, "a") as f:
                f.write(json.dumps([list(key), self._cache[key]]) + "\n")
        v = self._cache[key]
        if v is None:
            return None
        return {"read": v[0], "write": v[1], "leak": v[2] * banks, "area": v[3]}

    def _run(self, node_nm: float, width: int, depth: int, banks: int) -> list | None:
        block = width // 8
        cfg = self.base_cfg + "".join([
            "\n############## User-Specified Hardware Attributes ##############\n",
            f"-size (bytes) {width * depth // 8}\n", "-read-write port  1\n",
            f"-block size (bytes) {block}\n", f"-technology (u) {node_nm / 1000}\n",
            f"-output/input bus width  {block * 8}\n", f"-UCA bank {banks}\n",
            '-cache type "ram"\n', "-tag size (b) 0\n", "-associativity 1\n"])
        with tempfile.TemporaryDirectory() as td:
            inp = Path(td) / hashlib.sha256(cfg.encode()).hexdigest()
            inp.write_text(cfg)
            with open(Path(td) / "log", "w") as log:
                rc = subprocess.call(["./cacti", "-infile", str(inp)], cwd=self.binary_dir,
                                     stdout=log, stderr=subprocess.STDOUT)
            out = Path(str(inp) + ".out")
            if rc != 0 or not out.is_file():
                return None
            row = list(csv.DictReader(out.read_text().splitlines()))[-1]
            return [float(row[" Dynamic read energy (nJ)"]) * 1e3,
                    float(row[" Dynamic write energy (nJ)"]) * 1e3,
                    float(row[" Standby leakage per bank(mW)"]) * 1e-3,
                    float(row[" Area (mm2)"]) * 1e6]

    def wrapper(self, width: int, depth: int, tech_nm: float, banks: int = 1) -> dict | None:
        """hwcomponents-cacti 1.0.40 SRAM(tech_node, width, depth, n_banks) values
        (its `_interp_size` and `_interp_tech_node` for 22-90 nm)."""
        sb = 2 ** math.ceil(math.log2(banks))
        sw = max(math.ceil(width / 8) * 8, 32)
        sd = max(depth, 64 * banks)
        ws, ds = width / sw, depth / sd

        def at(node):
            v = self.raw(node, sw, sd, sb)
            if v is None:
                return None
            e = (ws * 0.7 + 0.3) * ds ** (1.56 / 2)
            return {"read": v["read"] * e, "write": v["write"] * e,
                    "leak": v["leak"] / sb * banks * ws * ds, "area": v["area"] * ws * ds}

        nodes = (22, 32, 45, 65, 90)
        if not nodes[0] <= tech_nm <= nodes[-1]:
            raise ValueError("wrapper emulated for 22-90 nm only")
        lo = max(n for n in nodes if n <= tech_nm)
        hi = min(n for n in nodes if n >= tech_nm)
        vlo = at(lo)
        if lo == hi or vlo is None:
            return vlo
        vhi = at(hi)
        if vhi is None:
            return None
        a = (tech_nm - lo) / (hi - lo)
        return {q: (1 - a) * vlo[q] + a * vhi[q] for q in vlo}


# Sampling designs (fixed seeds; changing them changes the shipped tables).

def _design_uniform(n: int, seed: int) -> list[tuple[float, int, int, int]]:
    """CACTI nodes uniformly, 1/2/4/8 banks weighted 4:3:2:1, width log-uniform
    32-512 (one draw in ten 32-2048) rounded to 8 bits, depth log-uniform from
    64 rows per bank to 65536."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        t = r.choice([22.0, 32.0, 45.0, 65.0])
        b = r.choices([1, 2, 4, 8], weights=[4, 3, 2, 1])[0]
        wmax = 2048 if r.random() < 0.1 else 512
        w = max(32, min(wmax, 8 * round(math.exp(r.uniform(math.log(32), math.log(wmax))) / 8)))
        d = int(round(math.exp(r.uniform(math.log(64 * b), math.log(65536)))))
        out.append((t, w, d, b))
    return out


def _design_as_used(n: int, seed: int) -> list[tuple[float, int, int, int]]:
    """The evaluation distribution (`evaluation_points`, widths up to 2048 in one
    draw in twelve) mapped through the wrapper's size rules, at a CACTI node."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        wmax = 2048 if r.random() < 0.08 else 512
        w = int(round(math.exp(r.uniform(math.log(16), math.log(wmax)))))
        d = int(round(math.exp(r.uniform(math.log(32), math.log(65536)))))
        b = r.randint(1, 8)
        t = r.choice([22.0, 32.0, 45.0, 65.0])
        sb = 2 ** math.ceil(math.log2(b))
        out.append((t, max(math.ceil(w / 8) * 8, 32), max(d, 64 * b), sb))
    return out


def sram_training_points() -> list[tuple[float, int, int, int]]:
    """(node, width, depth, banks) of the CACTI runs the SRAM model is fitted to."""
    return (_design_uniform(4000, 101) + _design_uniform(4000, 103)
            + _design_as_used(6000, 104))


def evaluation_points(n: int, seed: int) -> list[tuple[int, int, float, int]]:
    """Random (width, depth, technology, banks) as a user might ask for them:
    width log-uniform 16-512 bits, depth log-uniform 32-65536 rows, 1-8 banks,
    a third at a CACTI node (22/32/45/65 nm), the rest uniform in 22-65 nm
    (0.1 nm steps). Sizes are almost never powers of two."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        w = int(round(math.exp(r.uniform(math.log(16), math.log(512)))))
        d = int(round(math.exp(r.uniform(math.log(32), math.log(65536)))))
        b = r.randint(1, 8)
        t = float(r.choice([22, 32, 45, 65])) if r.random() < 1 / 3 else round(r.uniform(22, 65), 1)
        out.append((w, d, t, b))
    return out


def sram_cacti_runs(cacti: Cacti, points, progress: bool = True) -> list[sram_fit.Run]:
    runs = []
    for i, (t, w, d, b) in enumerate(points):
        v = cacti.raw(t, w, d, b)
        if v is not None:
            runs.append(sram_fit.Run(w, d, t, b, v))
        if progress and i % 500 == 499:
            print(f"  CACTI runs: {i + 1}/{len(points)}", file=sys.stderr, flush=True)
    return runs


SRAM_FIT_OPTIONS = {"smooth": 1e-2, "ridge": 1e-4, "p": 4.0}


def fit_sram(cacti: Cacti, shared: Path) -> sram_fit.SRAMFit:
    runs = sram_cacti_runs(cacti, sram_training_points())
    return sram_fit.fit(runs, sram_runs(sram_rows(shared)), **SRAM_FIT_OPTIONS)


def _fmt_sram(fit: sram_fit.SRAMFit, n_runs: int, version: str) -> str:
    """_sram_fit.py source: TREND coefficients, TABLE and GRID (base64 int16)."""
    lines = ['"""SRAM model parameters, generated by benchmarks/fit_energy_models.py from',
             f"{n_runs} CACTI runs (hwcomponents-cacti {version}) and the reference grid;",
             "see loopnest/energy/estimators/sram.py for the model.",
             "",
             "TREND[q]: coefficients of sram_fit.features. TABLE[q][node][banks]: size",
             "table over sram_fit.TABLE_X x TABLE_Y, base64 int16 in TABLE_STEP units.",
             "GRID[q][node][banks]: grid correction over GRID_WIDTHS x GRID_DEPTHS,",
             "base64 int16 in GRID_STEP units (-32768: no grid run).",
             '"""', "", "TREND = {"]
    for q, c in fit.trend.items():
        lines.append(f"    {q!r}: [{', '.join(f'{x:.10g}' for x in c)}],")
    lines.append("}")
    for name, tables, step in (("TABLE", fit.table, sram_fit.TABLE_STEP),
                               ("GRID", fit.grid, sram_fit.GRID_STEP)):
        lines += ["", f"{name} = {{"]
        for q, nodes in tables.items():
            lines.append(f"    {q!r}: {{")
            for node, banks in nodes.items():
                lines.append(f"        {node!r}: {{")
                for b, vals in banks.items():
                    text = sram_fit.encode(vals, step)
                    chunks = [text[k:k + 76] for k in range(0, len(text), 76)]
                    lines.append(f"            {b}: (")
                    lines += [f"                {c!r}" for c in chunks]
                    lines.append("            ),")
                lines.append("        },")
            lines.append("    },")
        lines.append("}")
    lines.append("")
    return "\n".join(lines)


def _write(dst: Path, text: str) -> None:
    tmp = dst.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, dst)
    print(f"wrote {dst}")


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
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared", nargs="?", default=str(ROOT.parent / "shared" / "data" / "energy"))
    ap.add_argument("--cacti", help="hwcomponents_cacti package dir or a Python that has it")
    ap.add_argument("--cache", type=Path, help="CACTI results cache (JSON lines)")
    args = ap.parse_args()
    shared = Path(args.shared)
    est = ROOT / "loopnest" / "energy" / "estimators"
    cacti = Cacti.find(args.cacti, args.cache)
    if cacti is None:
        print("CACTI (hwcomponents-cacti) not found: SRAM tables left unchanged "
              "(pass --cacti or set LOOPNEST_CACTI)", file=sys.stderr)
    else:
        fit = fit_sram(cacti, shared)
        n_runs = sum(1 for p in sram_training_points() if cacti.raw(*p) is not None)
        _write(est / "_sram_fit.py", _fmt_sram(fit, n_runs, cacti.version))
    tables = {}
    tables.update(fit_adc(shared))
    tables.update(fit_crossbar(shared))
    lines = ['"""Fitted coefficients of the built-in estimators (regenerate with',
             "benchmarks/fit_energy_models.py; see each estimator for the model form).",
             '"""', ""]
    for k, v in tables.items():
        lines.append(f"{k} = {_fmt(v)}")
        lines.append("")
    _write(est / "_fitted.py", "\n".join(lines))


if __name__ == "__main__":
    main()
