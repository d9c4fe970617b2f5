"""Acceptance figures of `loopnest sweep`: the same sweep on 1 and 2 local processes and
on a real two-worker Dask cluster.

    python benchmarks/bench_sweep.py [--evaluations N] [--out DIR]

A 3 x 3 sweep (PE array shape 8x32 / 16x16 / 32x8 x global buffer 64 / 128 / 256 KiB)
of the bundled simple_ws accelerator on 3 ResNet-18 layers (conv1 7x7, a 3x3 of
layer1 and the 1x1 shortcut of layer3: a manifest of those three written into DIR),
27 (point, layer) tasks, each with the same candidate budget and seed:

1. `--jobs 1`,
2. `--jobs 2`,
3. `--scheduler tcp://127.0.0.1:PORT`: a `dask scheduler` and two `dask worker`
   processes (one thread each) started here, as on other machines (docs/sweeps.md).

Prints the three wall times and the speed-ups over `--jobs 1` (target: at least 1.7x
for 2 jobs and for 2 Dask workers), and checks the three sweep.csv files agree row for
row on every column except `time_s`. No layer cache (each run maps every task). Wall
times are the `loopnest sweep` commands' (start-up, workers' imports and all); the
Dask cluster is started before its run, as it would be. Needs dask[distributed].
"""
from __future__ import annotations

import argparse
import csv
import functools
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
print = functools.partial(print, flush=True)  # noqa: A001 - progress visible when piped

LAYERS = [("conv1", "conv7x7_s2_c3_m64_112x112.yaml"),
          ("layer1.0.conv1", "conv3x3_s1_c64_m64_56x56.yaml"),
          ("layer3.0.downsample", "conv1x1_s2_c128_m256_14x14.yaml")]
GRID = ["--grid", "pe_rows,pe_cols=8:32,16:16,32:8", "--grid", "glb_kib=64,128,256"]
TIMING = {"time_s"}
# point_id hashes loopnest's model/mapper code too: it changes if that code is edited
# between the runs (the figures are compared regardless)
IDS = {"point_id"}
TARGET = 1.7


def manifest(folder: Path) -> Path:
    """A network.yaml naming three ResNet-18 problem files (by absolute path)."""
    src = ROOT / "workloads" / "resnet18"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["network:", "  name: resnet18_3", "  description: three ResNet-18 layers",
             "  source: workloads/resnet18 (loopnest benchmarks/bench_sweep.py)",
             "layers:"]
    lines += [f"- {{name: {name}, problem: {src / f}}}" for name, f in LAYERS]
    path = folder / "network.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def sweep(out: Path, net: Path, evaluations: int, *extra: str) -> float:
    """One `loopnest sweep` in a fresh process and a fresh folder (a sweep resumes
    the points already in its sweep.csv); its wall time."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "loopnest.cli", "sweep", "--arch", "simple_ws",
            "--network", str(net), *GRID, "--evaluations-per-layer", str(evaluations),
            "--seed", "0", "--no-cache", "--no-plots", "-q", "-o", str(out), *extra]
    t = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return wall


def rows(out: Path, skip: set[str] = TIMING | IDS) -> list[dict[str, str]]:
    text = (out / "sweep.csv").read_text()
    return [{k: v for k, v in r.items() if k not in skip}
            for r in csv.DictReader(io.StringIO(text))]


def worker_seconds(out: Path) -> float:
    """The tasks' own seconds, summed (sweep.csv's time_s)."""
    return sum(float(r["time_s"]) for r in csv.DictReader(io.StringIO(
        (out / "sweep.csv").read_text())))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1."""

    def __init__(self, workers: int = 2) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        dask = [sys.executable, "-m", "dask", "scheduler"]  # = `dask scheduler`
        port = self.address.rsplit(":", 1)[1]
        log = open(os.devnull, "w")
        self.procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", port,
                                        "--no-dashboard"], stdout=log, stderr=log)]
        worker = [sys.executable, "-m", "dask", "worker", self.address,
                  "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host",
                  "127.0.0.1"]
        self.procs += [subprocess.Popen([*worker, "--name", f"w{i}"], stdout=log, stderr=log)
                       for i in range(workers)]
        from distributed import Client

        with Client(self.address, timeout="60s") as c:
            c.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evaluations", type=int, default=12000,
                    help="candidates per layer (default 12000: 1-2 min with --jobs 1 on a "
                         "loaded 2-core machine)")
    ap.add_argument("--out", default="/tmp/loopnest-bench-sweep")
    args = ap.parse_args()
    out = Path(args.out)
    net = manifest(out / "net")
    print(f"3 x 3 sweep of simple_ws on {len(LAYERS)} ResNet-18 layers: 27 tasks, "
          f"{args.evaluations} candidates per layer, seed 0; {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}")
    walls = {}
    walls["jobs 1"] = sweep(out / "jobs1", net, args.evaluations, "--jobs", "1")
    print(f"  --jobs 1:                 {walls['jobs 1']:7.1f} s")
    walls["jobs 2"] = sweep(out / "jobs2", net, args.evaluations, "--jobs", "2")
    print(f"  --jobs 2:                 {walls['jobs 2']:7.1f} s   speed-up "
          f"{walls['jobs 1'] / walls['jobs 2']:.2f}x")
    cluster = Cluster(2)
    try:
        walls["dask"] = sweep(out / "dask", net, args.evaluations, "--scheduler",
                              cluster.address)
    finally:
        cluster.close()
    print(f"  Dask, 2 workers:          {walls['dask']:7.1f} s   speed-up "
          f"{walls['jobs 1'] / walls['dask']:.2f}x   ({cluster.address})")
    base = rows(out / "jobs1")
    same = {name: rows(out / name) == base for name in ("jobs2", "dask")}
    print(f"  sweep.csv rows: {len(base)}; --jobs 2 {'identical' if same['jobs2'] else 'DIFFER'}"
          f", Dask {'identical' if same['dask'] else 'DIFFER'} to --jobs 1 (every figure: all "
          "columns but time_s and point_id)")
    ids = {name: rows(out / name, TIMING) == rows(out / "jobs1", TIMING)
           for name in ("jobs2", "dask")}
    if not all(ids.values()):
        print("  point_id differs between runs: loopnest's model/mapper code was edited while "
              "the benchmark ran (ids hash it)")
    for name, folder in (("jobs 1", "jobs1"), ("jobs 2", "jobs2"), ("dask", "dask")):
        busy = worker_seconds(out / folder)
        print(f"  {name}: tasks' own seconds {busy:6.1f}, i.e. {busy / walls[name]:.2f} "
              "tasks running on average")
    ok = all(same.values())
    for name in ("jobs 2", "dask"):
        speed = walls["jobs 1"] / walls[name]
        verdict = "meets" if speed >= TARGET else "misses"
        print(f"  {name}: {speed:.2f}x {verdict} the {TARGET}x target")
    print(f"  load after: {os.getloadavg()[0]:.1f} (other jobs on the machine slow all "
          "three runs, unevenly)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
