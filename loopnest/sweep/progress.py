"""Progress of a sweep: a tqdm bar over layer tasks with points done, ETA and the best
point so far (lowest EDP) on a terminal; one line per finished point otherwise (logs,
CI); nothing with --quiet."""
from __future__ import annotations

import sys
from typing import Any

from loopnest.network.results import LayerRecord
from loopnest.sweep.results import PointResult


class SweepProgress:
    """Counts tasks and points; remembers the best finished point by EDP."""

    def __init__(self, tasks: int, points: int, quiet: bool = False,
                 desc: str = "sweep") -> None:
        self.tasks = tasks
        self.points = points
        self.quiet = quiet
        self.tasks_done = 0
        self.points_done = 0
        self.failed = 0
        self.best: tuple[float, str] | None = None  # (EDP, point label)
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=tasks, unit="task", file=sys.stderr, desc=desc,
                            dynamic_ncols=True,
                            bar_format="{desc}: {n}/{total} tasks |{bar}| "
                                       "{elapsed}<{remaining}{postfix}")
            self._post()

    def offer_best(self, edp: float, label: str) -> None:
        """A finished point (also one kept from an earlier run) may be the best."""
        if edp > 0 and (self.best is None or edp < self.best[0]):
            self.best = (edp, label)

    def more(self, tasks: int) -> None:
        """Tasks added on the way (second searches)."""
        if tasks and self.bar is not None:
            self.bar.total += tasks
            self.bar.refresh()

    def task(self, rec: LayerRecord) -> None:
        self.tasks_done += 1
        if self.bar is not None:
            self.bar.update(1)

    def point(self, res: PointResult) -> None:
        self.points_done += 1
        if res.ok and res.totals is not None:
            self.offer_best(res.totals.edp, res.point.label())
        else:
            self.failed += 1
        if self.bar is not None:
            self._post()
        elif not self.quiet:
            t = res.totals
            what = (f"E={t.energy_pj / 1e6:.4g} uJ, latency {t.latency_s * 1e3:.4g} ms, "
                    f"EDP {t.edp:.4g} J*cycle, area {t.area_um2 / 1e6:.4g} mm2"
                    if res.ok and t is not None else f"FAILED: {res.error}")
            print(f"[{self.points_done}/{self.points}] {res.point.label()}: {what}",
                  file=sys.stderr, flush=True)

    def _post(self) -> None:
        text = f"points {self.points_done}/{self.points}"
        if self.failed:
            text += f" failed={self.failed}"
        if self.best is not None:
            text += f" best EDP {self.best[0]:.3g} J*cycle ({self.best[1]})"
        self.bar.set_postfix_str(text, refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
