"""Design-space sweeps: many design points of a Jinja2 design, every layer of a network each.

    spec = SweepSpec(files, network="resnet18", axes=[parse_grid("pe_rows=8,16")])
    run = run_sweep(SweepRequest(spec, outdir="out", jobs=8))    # or scheduler="tcp://..."

Modules, one job each: `spec` (grid values, points), `sweepfile` (sweep.yaml),
`points` (render and check each point, its layer tasks), `run` (one task list over all
points through loopnest.network.runner, rows as points finish, resume), `results`
(a point's totals), `csvout` (sweep.csv), `pareto`, `plots`, `progress`, `executors`
(local pool or Dask). `loopnest sweep` (commands/sweep.py) parses arguments and prints.
"""
from loopnest.sweep.run import SweepRequest, SweepRun, run_sweep
from loopnest.sweep.spec import Axis, Point, SweepSpec, expand, parse_grid

__all__ = ["Axis", "Point", "SweepRequest", "SweepRun", "SweepSpec", "expand", "parse_grid",
           "run_sweep"]
