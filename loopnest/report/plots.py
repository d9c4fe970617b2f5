"""Optional PNG plots of a `Result` (needs the `plots` extra: matplotlib).

matplotlib is imported inside each function so that loopnest itself never depends on it.
"""
from __future__ import annotations

import os
from typing import Any

from loopnest.errors import LoopnestError
from loopnest.model.result import Result


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LoopnestError("plots need matplotlib",
                            hint="pip install 'loopnest[plots]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def energy_breakdown(result: Result) -> list[tuple[str, dict[str, float]]]:
    """Energy (pJ) per component, split by data space for storage levels:
    `[(name, {part: pJ})]`, arithmetic first, then storage inner->outer, then networks.
    Leakage, temporal-reduction and address-generation energies are their own parts."""
    rows: list[tuple[str, dict[str, float]]] = []
    if result.compute is not None:
        rows.append((result.compute.name, {"compute": result.compute.energy_total}))
    for lv in result.storage:
        parts = {ds.name: ds.energy_total for ds in lv.dataspaces}
        extra = sum(ds.tr_energy_total + ds.addr_gen_energy_total for ds in lv.dataspaces)
        if extra:
            parts["reduction/addr-gen"] = extra
        if lv.leakage_energy_total:
            parts["leakage"] = lv.leakage_energy_total
        if lv.energy_total or any(parts.values()):
            rows.append((lv.name, parts))
    for net in result.networks:
        if net.energy_total:
            rows.append((net.name, {"network": net.energy_total}))
    return rows


def energy_breakdown_png(result: Result, path: str | os.PathLike[str]) -> None:
    """Stacked horizontal bars: fJ/Compute per component, stacked by data space."""
    plt = _pyplot()
    rows = energy_breakdown(result)
    per = 1000.0 / result.computes if result.computes else 1.0
    parts = list(dict.fromkeys(p for _, d in rows for p in d))  # first-seen order
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    names = [name for name, _ in rows]
    left = [0.0] * len(rows)
    for part in parts:
        widths = [d.get(part, 0.0) * per for _, d in rows]
        ax.barh(names, widths, left=left, label=part)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlabel("fJ / compute")
    ax.set_title(f"Energy breakdown ({result.pj_per_compute * 1000:.2f} fJ/compute)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=100)
    plt.close(fig)


def utilization(result: Result) -> list[tuple[str, float]]:
    """Per level `(name, fraction)`: utilized / available instances for the arithmetic
    level and every visible storage level (max over its data spaces), and the capacity
    utilization (sum of utilized capacities / size) where the size is known."""
    rows: list[tuple[str, float]] = []
    if result.compute is not None and result.compute.instances:
        rows.append((f"{result.compute.name} instances",
                     result.compute.utilized_instances / result.compute.instances))
    for lv in result.storage:
        if not lv.visible or not lv.dataspaces:
            continue
        used = max(ds.utilized_instances for ds in lv.dataspaces)
        rows.append((f"{lv.name} instances", used / lv.instances if lv.instances else 0.0))
        if lv.size:
            cap = sum(ds.utilized_capacity for ds in lv.dataspaces)
            rows.append((f"{lv.name} capacity", cap / lv.size))
    return rows


def utilization_png(result: Result, path: str | os.PathLike[str]) -> None:
    """Horizontal bars of instance and capacity utilization per level (0-100 %)."""
    plt = _pyplot()
    rows = utilization(result)
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.5))
    ax.barh([n for n, _ in rows], [v * 100 for _, v in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% utilized")
    ax.set_title(f"Utilization (compute {result.utilization * 100:.2f}%)")
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=100)
    plt.close(fig)
