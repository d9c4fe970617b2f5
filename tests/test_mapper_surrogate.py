"""The search's fast surrogate agrees with the exact model (tiny fixtures, no /work/shared)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.mapper.designs import conv1d_oc, matmul, no_constraints, tables, three_level  # noqa: E402
from loopnest.mapper import moves  # noqa: E402
from loopnest.mapper.cpsat import TilingModel  # noqa: E402
from loopnest.mapper.mapspace import Candidate, build_mapspace  # noqa: E402
from loopnest.mapper.surrogate import Surrogate  # noqa: E402

evaluate = pytest.importorskip("loopnest.model.evaluate").evaluate


def _walk(sp, n: int, seed: int):
    """n feasible candidates from a random walk started at a CP-SAT tiling."""
    rng = random.Random(seed)
    til, keep, _ = TilingModel(sp).solve(1.0)
    c = Candidate(til, moves.random_orders(sp, til, rng), keep)
    out = []
    while len(out) < n:
        c = moves.random_neighbour(sp, c, rng) or c
        out.append(c)
    return out


@pytest.mark.parametrize("wl,pes", [(conv1d_oc(), (1, 1)), (matmul(), (4, 2))],
                         ids=["conv1d-sliding-temporal", "matmul-spatial"])
def test_surrogate_equals_model(wl, pes):
    """Sliding windows without fan-out and plain data spaces with fan-out: exact."""
    arch, tb = three_level(rf_words=64, pes=pes), tables()
    sp = build_mapspace(wl, arch, no_constraints())
    su = Surrogate(sp, tb)
    for c in _walk(sp, 150, seed=4):
        e, cyc, _ = su.estimate(c)
        r = evaluate(wl, arch, sp.to_mapping(c), tb)
        assert r.valid
        assert e == pytest.approx(r.energy, rel=1e-9) and cyc == r.cycles
