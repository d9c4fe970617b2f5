"""Fit the coefficient tables of the built-in estimators.

    python benchmarks/fit_energy_models.py [SHARED_ENERGY_DIR] [--cacti PATH] [--cache FILE]

Writes loopnest/energy/data/fitted_models.json (ADC and crossbar coefficients,
from the shared reference tables) and, when CACTI is available, the SRAM data
file loopnest/energy/data/sram_cacti7.json.gz (small tables; the reference
CSVs and the CACTI runs themselves are never shipped). Fits:
* SRAM read/write energy, area, leakage and random cycle time
  (loopnest/energy/estimators/sram_fit.py): a cubic-in-log trend and
  per-node, per-bank-count, per-port-count size tables fitted to a dense
  random sample of CACTI runs made here (`sram_training_points`: 25,500
  arrays at the CACTI nodes 22-90 nm, 1-4 ports, drawn with fixed seeds),
  plus power-of-two grid runs as exact corrections at their sizes: the
  reference grid (sram_train.csv, sram_banks.csv; 22-65 nm, one port) and
  the same sizes run here at 90 nm and with two ports (`sram_grid_points`).
  This needs CACTI 7 as the 2024 Accelergy CACTI plug-in runs it:
  HewlettPackard/cacti 1ffd8dfb with accelergy-timeloop-infrastructure
  d686be0's cacti.patch, built with `make`, beside the plug-in's
  default_cfg.cfg (an accelergy-cacti-plug-in 625d5a5 checkout after `make`;
  hwcomponents-cacti 1.0.40 ships the same CACTI and configuration). Pass
  --cacti with that directory (or set LOOPNEST_CACTI). The binary is run
  directly with the plug-in's configuration file, and results are cached
  (--cache, default ~/.cache/loopnest/cacti7-sram-runs.jsonl), so a rerun
  only runs CACTI for points not yet cached (about 0.1-1 s each, on all
  CPUs; the full sample takes about an hour on two). Without CACTI the
  SRAM tables are left as they are.
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
            "leak": "leak_power_W", "cycle": "cycle_time_ns"}
    return [sram_fit.Run(int(float(r["width"])), int(float(r["depth"])),
                         float(r["technology_nm"]), int(float(r["n_banks"])),
                         {q: float(r[c]) for q, c in cols.items()}) for r in rows]


# ---------------------------------------------------------------- CACTI runs

class Cacti:
    """CACTI 7 run exactly as the Accelergy CACTI plug-in's `_call_cacti`
    (accelergy-cacti-plug-in 625d5a5, CactiSRAM: cache type "ram") runs it:
    its default_cfg.cfg plus the size, ports, block, node, bus-width and bank
    lines, with a JSON-lines cache of the raw results. hwcomponents-cacti
    1.0.40 ships the same configuration and CACTI (its grid runs agree to the
    last digit), so either installation serves."""

    def __init__(self, package_dir: Path, cache: Path | None = None) -> None:
        self.pkg = Path(package_dir)
        self.binary_dir = next(p.parent for p in (self.pkg / "cacti" / "cacti", self.pkg / "cacti")
                               if p.is_file())
        self.base_cfg = (self.pkg / "default_cfg.cfg").read_text()
        vfile = self.pkg / "_version.py"
        found = re.search(r"__version__\s*=.*?['\"]([^'\"]+)['\"]",
                          vfile.read_text() if vfile.is_file() else "")
        self.version = found.group(1) if found else "plug-in"
        if cache is None:
            root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "loopnest"
            cache = root / "cacti7-sram-runs.jsonl"
        self.cache_path = Path(cache)
        self._cache: dict[tuple, list | None] = {}
        if self.cache_path.is_file():
            for line in self.cache_path.read_text().splitlines():
                if line.strip():
                    k, v = json.loads(line)
                    self._cache[tuple(k)] = v

    @classmethod
    def find(cls, spec: str | None = None, cache: Path | None = None) -> "Cacti | None":
        """`spec` (or $LOOPNEST_CACTI): a directory holding default_cfg.cfg and a
        built `cacti` (or `cacti/cacti`) -- an accelergy-cacti-plug-in checkout
        after `make`, or the hwcomponents_cacti package directory -- or a Python
        interpreter that can import hwcomponents_cacti; else this interpreter's
        hwcomponents_cacti, if any."""
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

    @staticmethod
    def _key(node_nm: float, width: int, depth: int, banks: int, ports: int = 1) -> tuple:
        return (float(node_nm), int(width), int(depth), int(banks), int(ports))

    def raw(self, node_nm: float, width: int, depth: int, banks: int, ports: int = 1
            ) -> dict | None:
        """CACTI at a CACTI node for a width (multiple of 8, >= 32) x depth array
        in `banks` (power of two) banks with `ports` read-write ports: read/write
        pJ, area um^2, leakage W of all `banks` banks, random cycle time ns."""
        key = self._key(node_nm, width, depth, banks, ports)
        if key not in self._cache:
            self._store(key, self._run(*key))
        v = self._cache[key]
        if v is None:
            return None
        return {"read": v[0], "write": v[1], "leak": v[2] * banks, "area": v[3], "cycle": v[4]}

    def _store(self, key: tuple, value: list | None) -> None:
        self._cache[key] = value
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.cache_path, "a") as f:
            f.write(json.dumps([list(key), value]) + "\n")

    def prefetch(self, points, jobs: int | None = None, progress: bool = True) -> None:
        """Run CACTI for the (node, width, depth, banks[, ports]) points not yet
        cached, `jobs` at a time (default: CPU count)."""
        from concurrent.futures import ThreadPoolExecutor

        todo = sorted({self._key(*p) for p in points} - set(self._cache))
        if not todo:
            return
        with ThreadPoolExecutor(jobs or os.cpu_count() or 1) as ex:
            for i, (k, v) in enumerate(zip(todo, ex.map(lambda k: self._run(*k), todo))):
                self._store(k, v)
                if progress and i % 1000 == 999:
                    print(f"  CACTI runs: {i + 1}/{len(todo)}", file=sys.stderr, flush=True)

    def _run(self, node_nm: float, width: int, depth: int, banks: int, ports: int = 1
             ) -> list | None:
        block = width // 8
        cfg = self.base_cfg + "".join([
            "\n############## User-Specified Hardware Attributes ##############\n",
            f"-size (bytes) {width * depth // 8}\n", f"-read-write port  {ports}\n",
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
                    float(row[" Area (mm2)"]) * 1e6,
                    float(row[" Random cycle time (ns)"])]

    def wrapper(self, width: int, depth: int, tech_nm: float, banks: int = 1, ports: int = 1
                ) -> dict | None:
        """What the 2024 CactiSRAM(technology, width, depth, n_rw_ports, n_banks)
        reports, with this CACTI underneath (`_interp_size`, `_interp_technology`):
        read/write pJ, leakage W, area um^2, cycle ns."""
        sb = 2 ** math.ceil(math.log2(banks))
        sw = max(math.ceil(width / 8) * 8, 32)
        sd = max(depth, 64 * banks)
        ws, ds = width / sw, depth / sd

        def at(node):
            v = self.raw(node, sw, sd, sb, ports)
            if v is None:
                return None
            e = (ws * 0.7 + 0.3) * ds ** (1.56 / 2)
            return {"read": v["read"] * e, "write": v["write"] * e,
                    "leak": v["leak"] / sb * banks * ws * ds, "area": v["area"] * ws * ds,
                    "cycle": v["cycle"]}

        nodes = (22, 32, 45, 65, 90)
        if tech_nm < nodes[0]:
            v = at(nodes[0])
            if v is None:
                return None
            out = {q: x * tech_nm / nodes[0] for q, x in v.items()}
            out["leak"] *= 0.79
            return out
        if tech_nm > nodes[-1]:
            v = at(nodes[-1])
            return None if v is None else {q: x * (tech_nm / nodes[-1]) ** 2 for q, x in v.items()}
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

NODES_22_65 = (22.0, 32.0, 45.0, 65.0)
CACTI_NODES = NODES_22_65 + (90.0,)


def _ports(r: random.Random, ports: tuple[int, ...]) -> int:
    return ports[0] if len(ports) == 1 else r.choice(ports)  # one port: no draw


def _design_uniform(n: int, seed: int, nodes: tuple[float, ...] = NODES_22_65,
                    ports: tuple[int, ...] = (1,)) -> list[tuple[float, int, int, int, int]]:
    """CACTI nodes uniformly, 1/2/4/8 banks weighted 4:3:2:1, width log-uniform
    32-512 (one draw in ten 32-2048) rounded to 8 bits, depth log-uniform from
    64 rows per bank to 65536; read-write ports uniformly from `ports`."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        t = r.choice(nodes) if len(nodes) > 1 else nodes[0]
        b = r.choices([1, 2, 4, 8], weights=[4, 3, 2, 1])[0]
        wmax = 2048 if r.random() < 0.1 else 512
        w = max(32, min(wmax, 8 * round(math.exp(r.uniform(math.log(32), math.log(wmax))) / 8)))
        d = int(round(math.exp(r.uniform(math.log(64 * b), math.log(65536)))))
        out.append((t, w, d, b, _ports(r, ports)))
    return out


def _design_as_used(n: int, seed: int, nodes: tuple[float, ...] = NODES_22_65,
                    ports: tuple[int, ...] = (1,)) -> list[tuple[float, int, int, int, int]]:
    """The evaluation distribution (`evaluation_points`, widths up to 2048 in one
    draw in twelve) mapped through the wrapper's size rules, at a CACTI node."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        wmax = 2048 if r.random() < 0.08 else 512
        w = int(round(math.exp(r.uniform(math.log(16), math.log(wmax)))))
        d = int(round(math.exp(r.uniform(math.log(32), math.log(65536)))))
        b = r.randint(1, 8)
        t = r.choice(nodes) if len(nodes) > 1 else nodes[0]
        sb = 2 ** math.ceil(math.log2(b))
        out.append((t, max(math.ceil(w / 8) * 8, 32), max(d, 64 * b), sb, _ports(r, ports)))
    return out


def sram_training_points() -> list[tuple[float, int, int, int, int]]:
    """(node, width, depth, banks, ports) of the CACTI runs the SRAM model is
    fitted to: the 14,000 single-port arrays at 22-65 nm of the first fit,
    3,500 at 90 nm, 5,000 dual-port and 3,000 three- and four-port arrays at
    all five CACTI nodes."""
    return (_design_uniform(4000, 101) + _design_uniform(4000, 103)
            + _design_as_used(6000, 104)
            + _design_uniform(1500, 105, (90.0,)) + _design_as_used(2000, 106, (90.0,))
            + _design_uniform(2500, 107, CACTI_NODES, (2,))
            + _design_as_used(2500, 108, CACTI_NODES, (2,))
            + _design_uniform(1500, 109, CACTI_NODES, (3, 4))
            + _design_as_used(1500, 110, CACTI_NODES, (3, 4)))


def sram_grid_points(shared: Path) -> list[tuple[float, int, int, int, int]]:
    """Power-of-two arrays run here for grid corrections where the shared
    reference grid (22-65 nm, one port) has none: its (width, depth, banks)
    at 90 nm with one port, and at all five nodes with two ports."""
    sizes = sorted({(int(float(r["width"])), int(float(r["depth"])), int(float(r["n_banks"])))
                    for r in sram_rows(shared)})
    return ([(90.0, w, d, b, 1) for w, d, b in sizes]
            + [(t, w, d, b, 2) for t in CACTI_NODES for w, d, b in sizes])


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


CORPUS_NODES = (16, 22, 28, 32, 40, 45, 55, 65, 90, 110, 130)


def evaluation_points_2024(n: int, seed: int) -> list[tuple[int, int, int, int, int]]:
    """Random CactiSRAM queries drawn like the energy2024 corpus describes its
    SRAM cases: width 8-1024 bits and depth 16-65536 rows log-uniform (rarely
    powers of two), 1-8 banks, one read-write port (two in one draw in five),
    technology from CORPUS_NODES. Returns (width, depth, technology, banks, ports)."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        w = int(round(math.exp(r.uniform(math.log(8), math.log(1024)))))
        d = int(round(math.exp(r.uniform(math.log(16), math.log(65536)))))
        b = r.randint(1, 8)
        p = 2 if r.random() < 0.2 else 1
        out.append((w, d, r.choice(CORPUS_NODES), b, p))
    return out


def sram_cacti_runs(cacti: Cacti, points, progress: bool = True) -> list[sram_fit.Run]:
    cacti.prefetch(points, progress=progress)
    runs = []
    for t, w, d, b, p in points:
        v = cacti.raw(t, w, d, b, p)
        if v is not None:
            runs.append(sram_fit.Run(w, d, t, b, v, p))
    return runs


SRAM_FIT_OPTIONS = {"smooth": 1e-2, "ridge": 1e-4, "p": 4.0}


def fit_sram(cacti: Cacti, shared: Path) -> sram_fit.SRAMFit:
    runs = sram_cacti_runs(cacti, sram_training_points())
    grid = sram_runs(sram_rows(shared)) + sram_cacti_runs(cacti, sram_grid_points(shared))
    fit = sram_fit.fit(runs, grid, **SRAM_FIT_OPTIONS)
    fit.meta.update({
        "cacti": "CACTI 7, HewlettPackard/cacti 1ffd8dfb + accelergy-timeloop-infrastructure "
                 "d686be0 cacti.patch, run as accelergy-cacti-plug-in 625d5a5 runs it "
                 "(cache type ram, its default_cfg.cfg)",
        "training_runs": len(runs),
        "grid_runs": len(grid),
        "fit_options": SRAM_FIT_OPTIONS,
        "written_by": "benchmarks/fit_energy_models.py",
        "units": {"read": "pJ", "write": "pJ", "area": "um^2", "leak": "W (all banks)",
                  "cycle": "ns"},
    })
    return fit


def _write_bytes(dst: Path, data: bytes) -> None:
    tmp = dst.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dst)
    print(f"wrote {dst}")


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


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared", nargs="?", default=str(ROOT.parent / "shared" / "data" / "energy"))
    ap.add_argument("--cacti", help="accelergy-cacti-plug-in checkout with CACTI built, "
                    "hwcomponents_cacti package dir, or a Python that has the latter")
    ap.add_argument("--cache", type=Path, help="CACTI results cache (JSON lines)")
    args = ap.parse_args()
    shared = Path(args.shared)
    cacti = Cacti.find(args.cacti, args.cache)
    if cacti is None:
        print("CACTI not found: SRAM tables left unchanged (pass --cacti or set "
              "LOOPNEST_CACTI)", file=sys.stderr)
    else:
        fit = fit_sram(cacti, shared)
        _write_bytes(ROOT / "loopnest" / "energy" / "data" / sram_fit.DATA_FILE,
                     sram_fit.dump(fit))
    tables = {}
    tables.update(fit_adc(shared))
    tables.update(fit_crossbar(shared))
    doc = {"about": "Fitted coefficients of loopnest's ADC (survey-fit model) and "
                    "analog-crossbar (log-space fits of NeuroSim V1.3) estimators; written by "
                    "benchmarks/fit_energy_models.py. Model forms: estimators/adc.py, "
                    "crossbar.py.", **tables}
    _write(ROOT / "loopnest" / "energy" / "data" / "fitted_models.json",
           json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
