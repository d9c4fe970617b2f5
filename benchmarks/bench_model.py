"""Model speed on the eyeriss_like reference design (issue 3 targets).

Prints: exact evaluations/s on the reference mapping; batched evaluations/s on
10,000 random valid mappings; the share of batched results equal to the exact
ones (must be 100 %); the share that fell back to the exact evaluator.
Usage: python benchmarks/bench_model.py [--n 10000] [--check N] [--repeat 3]
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loopnest.ir.lower import lower_design  # noqa: E402
from loopnest.model.batch import evaluate_many  # noqa: E402
from loopnest.model.evaluate import evaluate  # noqa: E402
from loopnest.model.randmap import random_mapping  # noqa: E402
from loopnest.spec.load import load_spec  # noqa: E402

CASE = (ROOT.parent / "shared" / "corpus" / "exercises" / "example_designs" / "eyeriss_like"
        / "ref_outputs" / "default_problem")
FILES = ["parsed-processed-input.yaml", "timeloop-mapper.ERT.yaml", "timeloop-mapper.ART.yaml",
         "timeloop-mapper.map.yaml"]
EXACT_TARGET_MS = 20.0
BATCH_TARGET = 20000.0


def same(br, i, r, names) -> bool:
    if bool(br.valid[i]) != r.valid:
        return False
    if not r.valid:
        return True
    if not math.isclose(br.energy[i], r.energy, rel_tol=1e-9) or int(br.cycles[i]) != r.cycles:
        return False
    for s, st in enumerate(r.storage):
        for dss in st.dataspaces:
            d = names.index(dss.name)
            if (int(br.reads[i, s, d]), int(br.fills[i, s, d]), int(br.updates[i, s, d])) != \
                    (dss.reads, dss.fills, dss.updates):
                return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--check", type=int, default=0,
                    help="compare only this many entries with evaluate (0 = all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed batch runs (best is printed)")
    a = ap.parse_args()
    if not CASE.exists():
        print(f"bench_model: reference case not found at {CASE}")
        return
    des = lower_design(load_spec([str(CASE / f) for f in FILES]))
    w, arch, ref, tables = des.workload, des.architecture, des.mapping, des.tables
    # exact
    evaluate(w, arch, ref, tables)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        evaluate(w, arch, ref, tables)
        n += 1
    ms = (time.perf_counter() - t0) / n * 1e3
    print(f"exact:   {1e3 / ms:9.1f} evaluations/s  ({ms:.2f} ms/mapping; target <= "
          f"{EXACT_TARGET_MS:.0f} ms -> {EXACT_TARGET_MS / ms:.2f}x of target speed)")
    # random valid mappings (same bypass as the reference), filtered by the model
    rng = random.Random(a.seed)
    keep = [lm.keep for lm in ref.levels]
    maps: list = []
    tries = 0
    t_gen = time.perf_counter()
    while len(maps) < a.n and tries < 50 * a.n:
        cand = [random_mapping(w, arch, rng, keep=keep, p_spatial=0.6)
                for _ in range(2 * (a.n - len(maps)) + 100)]
        tries += len(cand)
        br = evaluate_many(w, arch, cand, tables)
        maps.extend(m for m, v in zip(cand, br.valid) if v)
    maps = maps[:a.n]
    print(f"mappings: {len(maps)} valid of {tries} random candidates "
          f"(generated and filtered in {time.perf_counter() - t_gen:.1f} s)")
    # best of --repeat runs (the machine is shared: wall time is noisy); CPU time alongside
    runs = []
    for _ in range(max(1, a.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        br = evaluate_many(w, arch, maps, tables)
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    dt, dc = min(runs)
    rate = len(maps) / dt
    print(f"batched: {rate:9.1f} evaluations/s  ({dt * 1e6 / len(maps):.1f} us/mapping; target >= "
          f"{BATCH_TARGET:.0f}/s -> {rate / BATCH_TARGET:.2f}x of target; best of {len(runs)}, "
          f"CPU time {len(maps) / dc:.0f}/s)")
    fb = br.exact_fallback.mean() * 100
    print(f"fallback: {fb:.1f} % of entries evaluated by the exact model")
    idx = list(range(len(maps)))
    if a.check and a.check < len(idx):
        idx = random.Random(2).sample(idx, a.check)
    names = w.ds_names
    eq = sum(same(br, i, evaluate(w, arch, maps[i], tables), names) for i in idx)
    print(f"equal:   {eq}/{len(idx)} = {100.0 * eq / len(idx):.2f} % of batched results equal "
          f"the exact ones")


if __name__ == "__main__":
    main()
