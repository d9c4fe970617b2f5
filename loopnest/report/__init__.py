"""Timeloop-compatible output files: stats.txt, map.txt, map.yaml and friends."""
from loopnest.report.bundle import mapper_files, model_files
from loopnest.report.files import write_atomic, write_outputs
from loopnest.report.mapyaml import format_map_yaml
from loopnest.report.maptxt import format_map_txt
from loopnest.report.stats import format_stats
from loopnest.report.summary import one_line
from loopnest.report.tenssella import format_tenssella

__all__ = [
    "format_stats", "format_map_txt", "format_map_yaml", "format_tenssella",
    "one_line", "write_atomic", "write_outputs", "model_files", "mapper_files",
]
