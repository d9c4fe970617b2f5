"""The set of files a timeloop-model / timeloop-mapper run writes, rendered in memory.

Pair with `files.write_outputs(outdir, prefix, bundle)` so a run writes all or nothing.
"""
from __future__ import annotations

from loopnest.ir import Architecture, Mapping, Workload
from loopnest.model.result import Result
from loopnest.report.files import empty_oaves
from loopnest.report.mapyaml import format_map_yaml
from loopnest.report.maptxt import format_map_txt
from loopnest.report.stats import format_stats
from loopnest.report.tenssella import format_tenssella


def model_files(result: Result, workload: Workload, mapping: Mapping) -> dict[str, str]:
    """`timeloop-model.*` suffix -> text: stats.txt, map.txt, map.tenssella.txt."""
    return {
        "stats.txt": format_stats(result),
        "map.txt": format_map_txt(result),
        "map.tenssella.txt": format_tenssella(workload, mapping),
    }


def mapper_files(result: Result, workload: Workload, architecture: Architecture,
                 mapping: Mapping) -> dict[str, str]:
    """`timeloop-mapper.*` suffix -> text: the model files plus map.yaml and oaves.csv."""
    out = model_files(result, workload, mapping)
    out["map.yaml"] = format_map_yaml(workload, architecture, mapping)
    out["oaves.csv"] = empty_oaves()
    return out
