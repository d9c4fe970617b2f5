"""Acceptance figures of `loopnest network` (whole networks in one command).

    python benchmarks/bench_network.py [--only SECTION ...] [--sample K] [--out DIR]

Sections (all by default, in this order):

* startup   per-layer start-up: a shell loop of `loopnest mapper` (one process per
            layer, as Timeloop scripts do) against `loopnest network --jobs 1` on the
            same layers and budget; import time of the mapper; what a worker's first
            and later layers cost beyond their search.
* resnet50  ResNet-50 on eyeriss_like with the defaults on the machine's cores: wall
            time (target <= 5 min), then each distinct layer's EDP against
            `loopnest mapper --timeout 120` on that layer alone (target within 5 %):
            worst and geomean ratio. `--sample K` compares K layers only (the 120 s
            references take 2 minutes each, two at a time).
* resnet18  ResNet-18 on eyeriss_like: wall time with the machine's cores and with
            --jobs 1 (speed-up), then a rerun on the cache.
* matrix    every bundled network on every bundled accelerator, a short budget per
            layer (`--matrix-evaluations`): total energy and latency per pair, and
            every failure.

Needs only this repository (the bundled accelerators and networks). Results go to
--out (default /tmp/loopnest-bench-network), the 120 s references are kept there and
reused by later runs.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
print = functools.partial(print, flush=True)  # noqa: A001 - progress visible when piped
SECTIONS = ("startup", "resnet50", "resnet18", "matrix")
ARCHS = ("eyeriss_like", "simba_like", "tpu_v1_like", "nvdla_like", "shidiannao_like",
         "simple_ws", "simple_os", "gemmini_like")


def loopnest(*args: str, check: bool = False) -> tuple[float, int, str]:
    """Run the CLI in a fresh process: (wall seconds, exit status, stderr tail)."""
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "loopnest.cli", *args], capture_output=True,
                       text=True)
    wall = time.monotonic() - t
    if check and p.returncode not in (0, 1):
        raise SystemExit(f"loopnest {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return wall, p.returncode, p.stderr[-2000:]


def design_files(arch: str) -> list[str]:
    from loopnest.archlib import design_files as files

    return [str(f) for f in files(arch)]


def read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def summary(path: Path) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text())


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


# ------------------------------------------------------------------------ start-up

def section_startup(out: Path, layers: int, evaluations: int) -> None:
    from loopnest.network import resolve_network

    print(f"\n== start-up: {layers} ResNet-18 layers on eyeriss_like, {evaluations} "
          "candidates each")
    net = resolve_network("resnet18")
    probs = list(dict.fromkeys(layer.problem for layer in net.layers))[:layers]
    files = design_files("eyeriss_like")
    # import time of what a mapper process loads
    p = subprocess.run([sys.executable, "-X", "importtime", "-c",
                        "import loopnest.mapper.search, loopnest.mapper.outputs, "
                        "loopnest.model.batch, loopnest.energy.estimate"],
                       capture_output=True, text=True)
    top_level = re.compile(r"import time:\s+\d+ \|\s+\d+ \| \S")
    tops = [ln for ln in p.stderr.splitlines() if top_level.match(ln)]
    total = sum(int(ln.split("|")[1]) for ln in tops) / 1e6
    print(f"  python -X importtime: mapper modules import in {total:.2f} s")
    # before: one `loopnest mapper` process per layer
    wall_loop = search_loop = 0.0
    for i, prob in enumerate(probs):
        d = out / "startup" / f"mapper{i}"
        w, rc, err = loopnest("mapper", *files, str(prob), "-o", str(d), "-q",
                              "--set", f"mapper.search_size={evaluations}",
                              "--set", "mapper.timeout=3600")
        assert rc == 0, err
        wall_loop += w
        search_loop += summary(d / "loopnest-mapper.summary.yaml")["time_s"]
    # after: one network run over the same layers
    folder = out / "startup" / "net"
    folder.mkdir(parents=True, exist_ok=True)
    for prob in probs:
        (folder / prob.name).write_text(prob.read_text())
    w, rc, err = loopnest("network", *files, "--network", str(folder), "-o",
                          str(out / "startup" / "netout"), "--jobs", "1", "--no-cache",
                          "--no-plots", "-q", "--evaluations-per-layer", str(evaluations))
    assert rc == 0, err
    rows = read_csv(out / "startup" / "netout" / "network.csv")
    search_net = sum(float(r["search_s"]) for r in rows)
    task_net = sum(float(r["time_s"]) for r in rows)
    n = len(probs)
    print(f"  shell loop of `loopnest mapper`: {wall_loop:.1f} s wall, {search_loop:.1f} s "
          f"searching -> {(wall_loop - search_loop) / n:.2f} s start-up per layer")
    print(f"  `loopnest network --jobs 1`:      {w:.1f} s wall, {search_net:.1f} s "
          f"searching -> {(w - search_net) / n:.2f} s start-up per layer "
          f"(of which {(task_net - search_net) / n:.2f} s in the worker per layer: "
          f"first {float(rows[0]['time_s']) - float(rows[0]['search_s']):.2f} s)")


# ------------------------------------------------------------------------ ResNet-50

_REFS_LOCK = threading.Lock()


def reference(out: Path, files: list[str], prob: Path, seconds: float) -> float:
    """EDP that `loopnest mapper --timeout S` finds for one layer alone (cached in
    refs.json; delete it to measure again)."""
    cache = out / "refs.json"
    key = f"{prob.parent.name}/{prob.name}@{seconds:g}"
    with _REFS_LOCK:
        refs = json.loads(cache.read_text()) if cache.exists() else {}
    if key not in refs:
        d = out / "refs" / prob.stem
        _, rc, err = loopnest("mapper", *files, str(prob), "-o", str(d), "-q",
                              "--timeout", str(seconds))
        assert rc == 0, err
        with _REFS_LOCK:
            refs = json.loads(cache.read_text()) if cache.exists() else {}
            refs[key] = summary(d / "loopnest-mapper.summary.yaml")["best"]["edp_J_cycle"]
            cache.write_text(json.dumps(refs, indent=1))
    return refs[key]


def section_resnet50(out: Path, jobs: int, sample: int | None, seconds: float) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from loopnest.network import resolve_network

    print(f"\n== ResNet-50 on eyeriss_like, defaults, --jobs {jobs}")
    files = design_files("eyeriss_like")
    folder = out / "resnet50"
    w, rc, err = loopnest("network", "--arch", "eyeriss_like", "--network", "resnet50",
                          "-o", str(folder), "--jobs", str(jobs), "--no-cache", "-q")
    print(f"  wall time {w:.1f} s (target <= 300 s): {'PASS' if w <= 300 else 'FAIL'}; "
          f"exit {rc}")
    rows = read_csv(folder / "network.csv")
    edp = {r["problem"]: float(r["edp_J_cycle"]) for r in rows if r["status"] == "ok"}
    second = {r["problem"]: r.get("second_search", "") for r in rows}
    print(f"  {len({p for p, s in second.items() if s})} distinct layers did better in "
          "their second search")
    net = resolve_network("resnet50")
    probs = list(dict.fromkeys(layer.problem for layer in net.layers))
    if sample:
        step = max(1, len(probs) // sample)
        probs = probs[::step][:sample]
    print(f"  EDP against `loopnest mapper --timeout {seconds:g}` on each of {len(probs)} "
          "layers (references cached in refs.json)")
    with ThreadPoolExecutor(jobs) as ex:
        refs = dict(zip(probs, ex.map(lambda p: reference(out, files, p, seconds), probs)))
    ratios = []
    for p in probs:
        r = edp[p.name] / refs[p]
        ratios.append(r)
        print(f"    {p.stem:34s} network {edp[p.name]:10.4g}  alone {refs[p]:10.4g}  "
              f"ratio {r:.3f}{'' if r <= 1.05 else '  > 1.05'}"
              + (f"  (second search: {second[p.name]})" if second.get(p.name) else ""))
    print(f"  worst ratio {max(ratios):.3f}, geomean {geomean(ratios):.3f}; within 5 %: "
          f"{sum(r <= 1.05 for r in ratios)}/{len(ratios)}")


# ------------------------------------------------------------------------ ResNet-18

def section_resnet18(out: Path, jobs: int) -> None:
    print("\n== ResNet-18 on eyeriss_like, defaults")
    cache = out / "r18cache"
    if cache.exists():
        import shutil

        shutil.rmtree(cache)
    common = ["network", "--arch", "eyeriss_like", "--network", "resnet18", "-q", "--no-plots"]
    wj, rc, err = loopnest(*common, "-o", str(out / "r18j"), "--jobs", str(jobs),
                           "--cache-dir", str(cache))
    assert rc == 0, err
    w1, rc, err = loopnest(*common, "-o", str(out / "r18j1"), "--jobs", "1", "--no-cache")
    assert rc == 0, err
    wc, rc, err = loopnest(*common, "-o", str(out / "r18c"), "--jobs", str(jobs),
                           "--cache-dir", str(cache))
    assert rc == 0, err
    same = _strip(read_csv(out / "r18j" / "network.csv")) == \
        _strip(read_csv(out / "r18j1" / "network.csv"))
    print(f"  --jobs {jobs}: {wj:.1f} s | --jobs 1: {w1:.1f} s | speed-up {w1 / wj:.2f}x | "
          f"rerun on the cache: {wc:.1f} s | same CSV with 1 and {jobs} jobs: {same}")


def _strip(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k not in ("search_s", "setup_s", "time_s", "cached")}
            for r in rows]


# ------------------------------------------------------------------------ matrix

def section_matrix(out: Path, jobs: int, evaluations: int, archs: list[str]) -> None:
    from loopnest.network import bundled_names

    nets = bundled_names()
    print(f"\n== every bundled network on every bundled accelerator, {evaluations} "
          f"candidates per layer, --jobs {jobs}")
    cache = out / "matrix-cache"
    table: dict[tuple[str, str], str] = {}
    failures = []
    for arch in archs:
        for net in nets:
            folder = out / "matrix" / arch / net
            w, rc, err = loopnest("network", "--arch", arch, "--network", net, "-o", str(folder),
                                  "--jobs", str(jobs), "--cache-dir", str(cache), "-q",
                                  "--no-plots", "--evaluations-per-layer", str(evaluations))
            if rc == 2 or not (folder / "network.summary.yaml").exists():
                table[arch, net] = "input error"
                failures.append(f"{arch} x {net}: {err.strip().splitlines()[-1] if err else rc}")
                print(f"  {arch:16s} {net:14s} INPUT ERROR ({w:.0f} s)")
                continue
            s = summary(folder / "network.summary.yaml")
            t = s["totals"]
            bad = s["failed_layers"]
            for name, e in (bad or {}).items():
                failures.append(f"{arch} x {net}: {name}: {e}")
            table[arch, net] = (f"{t['energy_uJ']:.4g} uJ, {t['latency_s'] * 1e3:.4g} ms"
                                + (f", {len(bad)} failed" if bad else ""))
            print(f"  {arch:16s} {net:14s} {table[arch, net]} ({w:.0f} s)")
    print("\n  total energy, latency per inference:")
    print("  | network | " + " | ".join(archs) + " |")
    print("  | --- | " + " | ".join("---" for _ in archs) + " |")
    for net in nets:
        print(f"  | {net} | " + " | ".join(table.get((a, net), "") for a in archs) + " |")
    print(f"  failures: {len(failures)}")
    for f in failures:
        print(f"    {f}")


def main() -> None:
    from loopnest.network.runner import default_jobs

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--out", default="/tmp/loopnest-bench-network")
    ap.add_argument("--jobs", type=int, default=default_jobs())
    ap.add_argument("--sample", type=int, default=None,
                    help="compare only K ResNet-50 layers with their 120 s references")
    ap.add_argument("--ref-seconds", type=float, default=120.0)
    ap.add_argument("--startup-layers", type=int, default=4)
    ap.add_argument("--startup-evaluations", type=int, default=2000)
    ap.add_argument("--matrix-evaluations", type=int, default=500)
    ap.add_argument("--archs", nargs="*", default=list(ARCHS))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"loopnest network benchmark: {os.cpu_count()} cores, --jobs {a.jobs}, out {out}")
    t0 = time.monotonic()
    if "startup" in a.only:
        section_startup(out, a.startup_layers, a.startup_evaluations)
    if "resnet50" in a.only:
        section_resnet50(out, a.jobs, a.sample, a.ref_seconds)
    if "resnet18" in a.only:
        section_resnet18(out, a.jobs)
    if "matrix" in a.only:
        section_matrix(out, a.jobs, a.matrix_evaluations, a.archs)
    print(f"\nbenchmark done in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
