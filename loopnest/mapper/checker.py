"""Alias of `loopnest.ir.checker` (the mapping checker lives beside the constraints)."""
from __future__ import annotations

from loopnest.ir.checker import check_mapping, constraint_violations

__all__ = ["check_mapping", "constraint_violations"]
