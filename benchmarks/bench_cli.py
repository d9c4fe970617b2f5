"""Start-up time of the CLI: `loopnest --help` (target < 0.3 s) and `loopnest validate`
on the eyeriss example (target < 1 s). Each is run several times in a fresh process;
the best wall time is printed. Also reports whether numpy/ortools got imported
(they must stay lazy).

    python benchmarks/bench_cli.py [--repeat N]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus" / "exercises" / "example_designs"
FIXTURE = ROOT / "tests" / "fixtures" / "spec" / "v4"


def _best(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return best


def _heavy_imports(args: list[str]) -> list[str]:
    code = ("import sys; from loopnest.cli import main; main(%r); "
            "print('HEAVY:' + ','.join(m for m in ('numpy', 'ortools') if m in sys.modules))"
            % (args,))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = next((l for l in r.stdout.splitlines() if l.startswith("HEAVY:")), "HEAVY:")
    return [m for m in line[len("HEAVY:"):].split(",") if m]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    py = sys.executable
    t_help = _best([py, "-m", "loopnest", "--help"], a.repeat)
    print(f"loopnest --help:    {t_help:.3f} s  (target < 0.3 s)")
    if SHARED.exists():
        args = ["validate", str(SHARED / "top.yaml.jinja2"), "--var", "architecture=eyeriss_like"]
        what = "eyeriss_like"
    else:
        args = ["validate", *(str(FIXTURE / f) for f in ("arch.yaml", "problem.yaml",
                                                           "mapping.yaml"))]
        what = "v4 fixture (../shared absent)"
    t_val = _best([py, "-m", "loopnest", *args], a.repeat)
    print(f"loopnest validate:  {t_val:.3f} s  (target < 1 s) on {what}")
    heavy = _heavy_imports(args)
    print(f"heavy imports during validate: {', '.join(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
