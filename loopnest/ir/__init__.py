"""The loop-nest IR shared by the model, the mapper and the reports."""
from loopnest.ir.workload import DataSpace, Workload
from loopnest.ir.architecture import Architecture, ComputeLevel, StorageLevel
from loopnest.ir.mapping import LevelMapping, Loop, Mapping

__all__ = [
    "DataSpace", "Workload", "Architecture", "ComputeLevel", "StorageLevel",
    "LevelMapping", "Loop", "Mapping",
]
