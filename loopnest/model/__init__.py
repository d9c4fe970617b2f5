"""Analytical model: evaluate a mapping on an architecture (Timeloop-equivalent numbers)."""
