"""The sweep's charts, as PNG and SVG (needs the `plots` extra: matplotlib).

* `pareto`: energy against latency for every finished point, colored by area, the
  Pareto front (pareto.csv) circled (and labelled with its variables when it has at
  most 6 points), the energy-latency trade-off alone as a dashed staircase;
* `effects`: one column per swept variable; for each of its values, every point's
  energy (top) and latency (bottom) and the best of them (line): what a variable
  does, across all settings of the others.

`pareto_data` / `effect_data` give the drawn numbers (tests check them);
`write_plots` draws and writes both, or raises `PlotsUnavailable` (matplotlib missing).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from loopnest.network.plots import FORMATS, PlotsUnavailable, _pyplot, energy_unit

Row = dict[str, str]
MAX_LABELS = 6  # label the front's points when there are at most this many

__all__ = ["PlotsUnavailable", "pareto_data", "effect_data", "write_plots"]


@dataclass
class ParetoData:
    """One entry per ok point, in point order."""

    labels: list[str] = field(default_factory=list)
    energy_pj: list[float] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)
    area_um2: list[float] = field(default_factory=list)
    on_front: list[bool] = field(default_factory=list)


@dataclass
class Effect:
    """One variable: its values (in sweep order) and each ok point's figures."""

    variable: str
    values: list[str]
    x: list[int] = field(default_factory=list)  # per point: index into values
    energy_pj: list[float] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)

    def best(self, metric: str) -> list[float | None]:
        """The lowest figure at each value (None where no point finished)."""
        ys = getattr(self, metric)
        out: list[float | None] = [None] * len(self.values)
        for i, y in zip(self.x, ys):
            out[i] = y if out[i] is None else min(out[i], y)
        return out


def _ok(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.get("status") == "ok" and r.get("energy_pJ")]


def _label(row: Row, variables: list[str]) -> str:
    return " ".join(f"{v}={row.get(v, '')}" for v in variables)


def pareto_data(rows: list[Row], front_ids: set[str], variables: list[str]) -> ParetoData:
    d = ParetoData()
    for r in _ok(rows):
        d.labels.append(_label(r, variables))
        d.energy_pj.append(float(r["energy_pJ"]))
        d.latency_s.append(float(r["latency_s"]))
        d.area_um2.append(float(r["area_um2"] or 0.0))
        d.on_front.append(r["point_id"] in front_ids)
    return d


def effect_data(rows: list[Row], groups: list[tuple[str, ...]]) -> list[Effect]:
    """Per axis (a variable, or a zipped group shown as `a,b` with values `1:2`), its
    values in the order they first appear (the sweep's order)."""
    def value(r: Row, names: tuple[str, ...]) -> str:
        return ":".join(r.get(n, "") for n in names)

    effects = []
    for names in groups:
        values = list(dict.fromkeys(value(r, names) for r in rows))
        e = Effect(",".join(names), values)
        for r in _ok(rows):
            e.x.append(values.index(value(r, names)))
            e.energy_pj.append(float(r["energy_pJ"]))
            e.latency_s.append(float(r["latency_s"]))
        effects.append(e)
    return effects


def _time_unit(s: float) -> tuple[float, str]:
    for div, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= div:
            return div, unit
    return 1e-9, "ns"


def _log_if_wide(ax, axis: str, values: list[float]) -> None:
    pos = [v for v in values if v > 0]
    if pos and max(pos) / min(pos) > 20:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def _save(fig, folder: Path, stem: str) -> list[Path]:
    from loopnest.report.files import write_atomic
    import io

    out = []
    for fmt in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight", metadata=_metadata(fmt))
        path = folder / f"{stem}.{fmt}"
        write_atomic(path, buf.getvalue())
        out.append(path)
    return out


def _metadata(fmt: str) -> dict:
    # no dates or versions in the files: the same sweep draws the same bytes
    return {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}


def draw_pareto(plt, d: ParetoData, title: str):
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    ediv, eunit = energy_unit(max(d.energy_pj, default=0.0))
    tdiv, tunit = _time_unit(max(d.latency_s, default=0.0))
    xs = [t / tdiv for t in d.latency_s]
    ys = [e / ediv for e in d.energy_pj]
    area_mm2 = [a / 1e6 for a in d.area_um2]
    sc = ax.scatter(xs, ys, c=area_mm2, cmap="viridis", s=36, alpha=0.85, zorder=2,
                    label="design point")
    bar = fig.colorbar(sc, ax=ax)
    bar.set_label("area (mm²)")
    from loopnest.sweep.pareto import front as nondominated

    two_d = sorted((xs[i], ys[i]) for i in nondominated(list(zip(xs, ys))))
    if len(two_d) > 1:  # the energy-latency trade-off alone, area aside
        ax.step([p[0] for p in two_d], [p[1] for p in two_d], where="post", color="grey",
                ls="--", lw=1.0, zorder=1, label="energy-latency front")
    front = sorted((x, y, lbl) for x, y, lbl, f in zip(xs, ys, d.labels, d.on_front) if f)
    if front:
        ax.scatter([p[0] for p in front], [p[1] for p in front], s=110, facecolors="none",
                   edgecolors="crimson", linewidths=1.5, zorder=3,
                   label=f"Pareto front ({len(front)})")
        if len(front) <= MAX_LABELS:
            mid = (min(xs) + max(xs)) / 2
            for x, y, lbl in front:
                right = x > mid and len(set(xs)) > 1
                ax.annotate(lbl, (x, y), textcoords="offset points",
                            xytext=(-6 if right else 6, 4), ha="right" if right else "left",
                            fontsize=7, color="crimson")
    _log_if_wide(ax, "x", xs)
    _log_if_wide(ax, "y", ys)
    ax.set_xlabel(f"latency ({tunit})")
    ax.set_ylabel(f"energy ({eunit})")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def draw_effects(plt, effects: list[Effect], title: str):
    n = max(1, len(effects))
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n + 1.0, 5.6), squeeze=False)
    all_e = [y for e in effects for y in e.energy_pj]
    all_t = [y for e in effects for y in e.latency_s]
    ediv, eunit = energy_unit(max(all_e, default=0.0))
    tdiv, tunit = _time_unit(max(all_t, default=0.0))
    for col, e in enumerate(effects):
        for row, (metric, div, unit, name) in enumerate(
                (("energy_pj", ediv, eunit, "energy"), ("latency_s", tdiv, tunit, "latency"))):
            ax = axes[row][col]
            ys = [y / div for y in getattr(e, metric)]
            ax.scatter(e.x, ys, s=14, alpha=0.45, color="tab:blue", label="each point")
            best = [(i, b / div) for i, b in enumerate(e.best(metric)) if b is not None]
            if best:
                ax.plot([b[0] for b in best], [b[1] for b in best], "o-", color="crimson",
                        ms=4, lw=1.3, label="best")
            ax.set_xticks(range(len(e.values)))
            ax.set_xticklabels(e.values, fontsize=8, rotation=30 if len(e.values) > 6 else 0)
            ax.set_xlim(-0.5, len(e.values) - 0.5)
            _log_if_wide(ax, "y", ys)
            ax.grid(True, alpha=0.3)
            if col == 0:
                ax.set_ylabel(f"{name} ({unit})")
            if row == 1:
                ax.set_xlabel(e.variable)
            else:
                ax.set_title(e.variable, fontsize=10)
            if row == 0 and col == n - 1:
                ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def write_plots(rows: list[Row], front: list[Row], groups: list[tuple[str, ...]], folder: Path,
                name: str = "sweep", metrics: tuple[str, ...] = ("energy_pJ", "latency_s",
                                                                  "area_um2")) -> list[Path]:
    """plots/pareto.{png,svg} and plots/effects.{png,svg}; `groups` are the sweep's axes
    (one name each, or the names of a zipped group)."""
    plt = _pyplot()
    variables = [n for g in groups for n in g]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ok = _ok(rows)
    d = pareto_data(rows, {r["point_id"] for r in front}, variables)
    out = []
    fig = draw_pareto(plt, d, f"{name}: {len(front)} of {len(ok)} points on the Pareto front "
                              f"({', '.join(metrics)})")
    out += _save(fig, folder, "pareto")
    plt.close(fig)
    if variables:
        fig = draw_effects(plt, effect_data(rows, groups),
                           f"{name}: each variable's effect on energy and latency")
        out += _save(fig, folder, "effects")
        plt.close(fig)
    return out
