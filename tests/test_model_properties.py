"""Invariants of the exact model (checked through evaluate and evaluate_many)."""
from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path

import numpy as np

from loopnest.ir.mapping import Mapping
from loopnest.model.batch import evaluate_many
from loopnest.model.evaluate import evaluate
from loopnest.model.randmap import random_mapping

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_model_batch as F  # noqa: E402  (shared fixtures)


def _valid_maps(w, a, t, n, seed, **kw):
    rng = random.Random(seed)
    maps = [random_mapping(w, a, rng, **kw) for _ in range(n)]
    br = evaluate_many(w, a, maps, t)
    return [m for m, v in zip(maps, br.valid) if v]


def _permute_irrelevant(mp: Mapping, w, ds_index: int, rng: random.Random) -> Mapping:
    """Shuffle, within each level, each run of adjacent temporal loops over dimensions
    irrelevant to the data space (relevant non-trivial loops stay put and are not crossed)."""
    rel = w.data_spaces[ds_index].dims()
    levels = []
    for lm in mp.levels:
        out, run = [], []
        for lp in lm.temporal:
            if lp.dim in rel and lp.end > 1:
                rng.shuffle(run)
                out.extend(run)
                run = []
                out.append(lp)
            else:
                run.append(lp)
        rng.shuffle(run)
        out.extend(run)
        levels.append(dataclasses.replace(lm, temporal=tuple(out)))
    return Mapping(tuple(levels))


def test_irrelevant_permutation_keeps_fills():
    rng = random.Random(5)
    for make in (F.matmul, F.fc, F.conv1d):
        w = make()
        a, t = F.arch()
        maps = _valid_maps(w, a, t, 150, seed=9)[:40]
        assert maps
        for d in range(len(w.data_spaces)):
            perm = [_permute_irrelevant(m, w, d, rng) for m in maps]
            b0 = evaluate_many(w, a, maps, t)
            b1 = evaluate_many(w, a, perm, t)
            ok = b0.valid & b1.valid
            assert np.array_equal(b0.fills[ok, :, d], b1.fills[ok, :, d]), (make.__name__, d)


def test_fills_at_least_compulsory():
    """Every kept non-outermost level fetches at least its partition once (read-only
    data spaces); the outermost level holds the whole tensor."""
    for make in (F.matmul, F.conv1d, F.conv2d):
        w = make()
        a, t = F.arch()
        for mp in _valid_maps(w, a, t, 120, seed=4)[:40]:
            r = evaluate(w, a, mp, t)
            for ds in w.data_spaces:
                kept = [s for s, st in enumerate(r.storage) if ds.name in st.keep]
                outer = kept[-1]
                for s in kept:
                    dss = next(x for x in r.storage[s].dataspaces if x.name == ds.name)
                    if s == outer:
                        assert dss.fills == 0 or ds.read_write
                    elif not ds.read_write:
                        assert dss.fills >= dss.partition_size, (ds.name, s)


def test_compute_and_operand_invariants():
    """Computes equal the problem's MACs; the innermost level holding a read-only data
    space serves one operand per compute per instance (reads x instances = MACs)."""
    w = F.matmul()
    a, t = F.arch()
    for mp in _valid_maps(w, a, t, 200, seed=6)[:60]:
        r = evaluate(w, a, mp, t)
        assert r.computes == w.macs
        for ds in w.data_spaces:
            if ds.read_write:
                continue
            s = next(s for s, st in enumerate(r.storage) if ds.name in st.keep)
            if s == 0:
                dss = next(x for x in r.storage[0].dataspaces if x.name == ds.name)
                assert dss.reads * dss.utilized_instances == w.macs


def test_energy_positive_cycles_bounded():
    """Energy is positive and cycles at least the compute cycles for every valid entry."""
    w = F.fc()
    a, t = F.arch()
    maps = _valid_maps(w, a, t, 300, seed=8)
    br = evaluate_many(w, a, maps, t)
    assert (br.energy[br.valid] > 0).all()
    for i in range(0, len(maps), 25):
        r = br.result(i)
        assert br.cycles[i] >= r.compute.cycles
