"""A whole lowered design: what the model, mapper and reports work on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loopnest.energy.tables import CostTables
from loopnest.ir.architecture import Architecture
from loopnest.ir.constraints import Constraints
from loopnest.ir.mapping import Mapping
from loopnest.ir.workload import Workload


@dataclass(frozen=True)
class Design:
    """Workload, architecture, optional mapping/constraints, mapper options, cost tables.

    `native` is the TL-native spec dict the design was lowered from (kept for the
    energy estimators and the echo outputs); `estimates` the Accelergy documents of the
    components loopnest priced itself (ERT/ART summaries, flattened architecture), for
    the echo outputs.
    """

    workload: Workload
    architecture: Architecture
    mapping: Mapping | None = None
    constraints: Constraints | None = None
    mapper_options: dict = field(default_factory=dict)
    tables: CostTables = field(default_factory=CostTables)
    native: Any = None
    estimates: dict | None = None
