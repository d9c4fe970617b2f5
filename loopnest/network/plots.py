"""The network's charts, as PNG and SVG (needs the `plots` extra: matplotlib).

Each chart has a pure `*_data(rows)` function giving the numbers it draws (tests
check those) and a drawing function:

* `energy_per_layer`: energy of each layer (count applied), stacked by level;
* `energy_breakdown`: the network's energy per level, stacked by data space;
* `utilization`: MAC utilization per layer, with the network's average;
* `roofline`: MACs/cycle against operational intensity (MACs per DRAM byte), the
  compute and bandwidth roofs, one point per distinct layer (Eyexam's view).

`write_plots(rows, folder)` writes all of them; it raises `PlotsUnavailable` when
matplotlib is missing so the caller can say so in one line.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopnest.network.results import NetworkRow, order_parts, totals

FORMATS = ("png", "svg")
_OTHER = "other"


class PlotsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotsUnavailable("plots skipped: matplotlib is not installed "
                               "(pip install 'loopnest[plots]')") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # SVG keeps text as text: searchable, smaller
    return plt


def _label(row: NetworkRow) -> str:
    return f"{row.name} x{row.count}" if row.count != 1 else row.name


def energy_unit(pj: float) -> tuple[float, str]:
    """(divisor, unit) that shows `pj` with at most 4 digits before the point."""
    for div, unit in ((1e12, "J"), (1e9, "mJ"), (1e6, "uJ"), (1e3, "nJ")):
        if pj >= div:
            return div, unit
    return 1.0, "pJ"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


# --------------------------------------------------------------------------- data

@dataclass
class Stacked:
    """Bars (`labels`) each split into `series` (name -> one value per bar)."""

    labels: list[str]
    series: dict[str, list[float]]
    unit: str
    failed: list[int] = field(default_factory=list)  # bar indices of failed layers


def energy_per_layer_data(rows: list[NetworkRow]) -> Stacked:
    """Energy per manifest entry (x count), stacked by level, network order; the unit
    fits the largest bar."""
    levels = list(dict.fromkeys(lv for r in rows if r.record.ok
                                for lv in r.record.energy_by_level))
    div, unit = energy_unit(max((r.count * r.record.energy_pj for r in rows), default=0.0))
    series = {lv: [r.count * r.record.energy_by_level.get(lv, 0.0) / div if r.record.ok
                   else 0.0 for r in rows] for lv in levels}
    return Stacked([_label(r) for r in rows], series, unit,
                   [i for i, r in enumerate(rows) if not r.record.ok])


def energy_breakdown_data(rows: list[NetworkRow]) -> Stacked:
    """Network energy per level, stacked by data space (then compute, leakage, ...)."""
    t = totals(rows)
    levels = list(t.energy_parts)
    parts = order_parts(list(dict.fromkeys(p for d in t.energy_parts.values() for p in d)))
    div, unit = energy_unit(max(t.energy_by_level.values(), default=0.0))
    series = {p: [t.energy_parts[lv].get(p, 0.0) / div for lv in levels] for p in parts}
    return Stacked(levels, series, unit)


@dataclass
class Bars:
    labels: list[str]
    values: list[float]
    average: float
    failed: list[int] = field(default_factory=list)


def utilization_data(rows: list[NetworkRow]) -> Bars:
    """Utilization per manifest entry; the average is MAC-weighted over the network."""
    return Bars([_label(r) for r in rows],
                [r.record.utilization if r.record.ok else 0.0 for r in rows],
                totals(rows).utilization, [i for i, r in enumerate(rows) if not r.record.ok])


@dataclass
class Roofline:
    """Points per distinct layer and the roofs."""

    labels: list[str]
    intensity: list[float]  # MACs per DRAM byte
    macs_per_cycle: list[float]
    share: list[float]  # fraction of the network's MACs (count applied)
    peak: float  # MACs/cycle with every arithmetic unit busy
    bytes_per_cycle: float | None  # DRAM bandwidth; None = not limited


def roofline_data(rows: list[NetworkRow]) -> Roofline:
    """One point per distinct shape that mapped (labelled by its first layer)."""
    macs_total = sum(r.count * r.record.macs for r in rows if r.record.ok) or 1
    first: dict[str, NetworkRow] = {}
    weight: dict[str, int] = {}
    for r in rows:
        if r.record.ok and r.record.dram_words > 0:
            first.setdefault(r.record.key, r)
            weight[r.record.key] = weight.get(r.record.key, 0) + r.count * r.record.macs
    recs = [first[k].record for k in first]
    bw = next((rec.dram_bandwidth * rec.dram_word_bits / 8 for rec in recs
               if rec.dram_bandwidth), None)
    return Roofline(
        labels=[first[k].name for k in first],
        intensity=[rec.macs / (rec.dram_words * max(rec.dram_word_bits, 1) / 8) for rec in recs],
        macs_per_cycle=[rec.macs / rec.cycles if rec.cycles else 0.0 for rec in recs],
        share=[weight[k] / macs_total for k in first],
        peak=float(max((rec.peak_macs_per_cycle for rec in recs), default=0)),
        bytes_per_cycle=bw)


# --------------------------------------------------------------------------- drawing

def _save(fig: Any, folder: Path, stem: str) -> list[Path]:
    out = []
    for fmt in FORMATS:
        path = folder / f"{stem}.{fmt}"
        tmp = folder / f".{stem}.tmp.{fmt}"
        fig.savefig(os.fspath(tmp), dpi=110, format=fmt)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        out.append(path)
    return out


def _colors(plt: Any, n: int) -> list[Any]:
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


_PART_COLORS = {"Weights": "tab:blue", "Inputs": "tab:orange", "Outputs": "tab:green",
                "compute": "tab:gray", "reduction/addr-gen": "tab:olive",
                "leakage": "tab:pink", "network": "tab:brown"}


def _part_colors(plt: Any, parts: list[str]) -> list[Any]:
    spare = iter(c for c in _colors(plt, 20) if c not in _PART_COLORS.values())
    return [_PART_COLORS.get(p) or next(spare) for p in parts]


def _stacked_columns(plt: Any, data: Stacked, title: str, folder: Path, stem: str,
                     xlabel: str = "") -> list[Path]:
    n = len(data.labels)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.28 * n + 2.5), 5.2))
    bottom = [0.0] * n
    for (name, vals), color in zip(data.series.items(), _colors(plt, len(data.series))):
        ax.bar(range(n), vals, bottom=bottom, label=name, color=color, width=0.8)
        bottom = [b + v for b, v in zip(bottom, vals)]
    for i in data.failed:
        ax.text(i, 0, "failed", rotation=90, ha="center", va="bottom", color="red",
                fontsize="x-small")
    ax.set_xticks(range(n))
    ax.set_xticklabels(data.labels, rotation=90, fontsize="x-small")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel(f"energy ({data.unit})")
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="level")
    fig.tight_layout()
    paths = _save(fig, folder, stem)
    plt.close(fig)
    return paths


def plot_energy_per_layer(plt: Any, rows: list[NetworkRow], folder: Path, name: str
                          ) -> list[Path]:
    data = energy_per_layer_data(rows)
    t = totals(rows)
    div, unit = energy_unit(t.energy_pj)
    title = (f"{name}: energy per layer by level (total {_fmt(t.energy_pj / div)} {unit}, "
             f"{t.pj_per_mac:.3g} pJ/MAC)")
    return _stacked_columns(plt, data, title, folder, "energy_per_layer",
                            "layer (xN: occurs N times, bar = all N)")


def plot_energy_breakdown(plt: Any, rows: list[NetworkRow], folder: Path, name: str
                          ) -> list[Path]:
    data = energy_breakdown_data(rows)
    total = sum(sum(v) for v in data.series.values())
    fig, ax = plt.subplots(figsize=(9.0, 0.55 * len(data.labels) + 1.8))
    left = [0.0] * len(data.labels)
    for (part, vals), color in zip(data.series.items(), _part_colors(plt, list(data.series))):
        ax.barh(data.labels, vals, left=left, label=part, color=color)
        left = [a + b for a, b in zip(left, vals)]
    for i, v in enumerate(left):
        if total:
            ax.text(v, i, f" {_fmt(v)} {data.unit} ({v / total:.0%})", va="center",
                    fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, max(left or [1]) * 1.25 or 1)
    ax.set_xlabel(f"energy per inference ({data.unit})")
    ax.set_title(f"{name}: energy by level and data space (total {_fmt(total)} {data.unit})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small", title="data space")
    fig.tight_layout()
    paths = _save(fig, folder, "energy_breakdown")
    plt.close(fig)
    return paths


def plot_utilization(plt: Any, rows: list[NetworkRow], folder: Path, name: str) -> list[Path]:
    data = utilization_data(rows)
    n = len(data.labels)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.28 * n + 2.0), 4.6))
    colors = ["tab:red" if v < 0.25 else "tab:blue" for v in data.values]
    ax.bar(range(n), data.values, color=colors, width=0.8, label="layer")
    ax.axhline(data.average, color="black", linestyle="--", linewidth=1,
               label=f"network (MAC-weighted) {data.average:.2f}")
    for i in data.failed:
        ax.text(i, 0.02, "failed", rotation=90, ha="center", va="bottom", color="red",
                fontsize="x-small")
    ax.set_xticks(range(n))
    ax.set_xticklabels(data.labels, rotation=90, fontsize="x-small")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("MAC utilization")
    ax.set_title(f"{name}: utilization per layer (red: below 0.25)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    paths = _save(fig, folder, "utilization")
    plt.close(fig)
    return paths


def plot_roofline(plt: Any, rows: list[NetworkRow], folder: Path, name: str) -> list[Path]:
    data = roofline_data(rows)
    fig, ax = plt.subplots(figsize=(8.0, 5.6))
    xs = [x for x in data.intensity if x > 0] or [1.0]
    lo, hi = min(xs) / 3, max(xs) * 3
    if data.bytes_per_cycle:
        knee = data.peak / data.bytes_per_cycle
        lo, hi = min(lo, knee / 3), max(hi, knee * 3)
    grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    if data.peak:
        roof = [min(data.peak, data.bytes_per_cycle * x) if data.bytes_per_cycle else data.peak
                for x in grid]
        what = (f"roof: {data.peak:g} MACs/cycle, DRAM {data.bytes_per_cycle:.3g} B/cycle"
                if data.bytes_per_cycle else f"roof: {data.peak:g} MACs/cycle "
                "(DRAM bandwidth not limited)")
        ax.plot(grid, roof, color="black", linewidth=1.5, label=what)
    sizes = [30 + 600 * s for s in data.share]
    ax.scatter(data.intensity, data.macs_per_cycle, s=sizes, alpha=0.6, color="tab:blue",
               edgecolors="black", linewidths=0.5, label="layer (area ~ share of MACs)")
    for i in _label_points(data):
        ax.annotate(data.labels[i], (data.intensity[i], data.macs_per_cycle[i]),
                    textcoords="offset points", xytext=(5, 5), fontsize="x-small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ymin = min([y for y in data.macs_per_cycle if y > 0] or [1.0]) / 3
    ax.set_ylim(ymin, max(data.peak, max(data.macs_per_cycle or [1.0])) * 2)
    ax.set_xlabel("operational intensity (MACs per DRAM byte)")
    ax.set_ylabel("performance (MACs per cycle)")
    ax.set_title(f"{name}: roofline (one point per distinct layer)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    paths = _save(fig, folder, "roofline")
    plt.close(fig)
    return paths


def _label_points(data: Roofline, most: int = 6, apart: float = 0.12) -> list[int]:
    """The largest layers' points to name, skipping any within `apart` decades (both
    axes) of one already named, so labels do not pile up on the roof."""
    import math

    chosen: list[int] = []
    for i in sorted(range(len(data.labels)), key=lambda i: -data.share[i]):
        if len(chosen) == most:
            break
        x, y = data.intensity[i], data.macs_per_cycle[i]
        if x <= 0 or y <= 0:
            continue
        if all(abs(math.log10(x / data.intensity[j])) > apart
               or abs(math.log10(y / data.macs_per_cycle[j])) > apart for j in chosen):
            chosen.append(i)
    return chosen


def write_plots(rows: list[NetworkRow], folder: str | os.PathLike[str], name: str
                ) -> list[Path]:
    """All four charts in PNG and SVG under `folder`; PlotsUnavailable without matplotlib."""
    plt = _pyplot()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not any(r.record.ok for r in rows):
        return []
    out: list[Path] = []
    for fn in (plot_energy_per_layer, plot_energy_breakdown, plot_utilization, plot_roofline):
        out += fn(plt, rows, folder, name)
    return out

