"""Progress of a network run: a tqdm bar with ETA and running totals on a terminal,
one line per finished layer otherwise (logs, CI), nothing with --quiet."""
from __future__ import annotations

import sys
from typing import Any

from loopnest.network.results import LayerRecord


class Progress:
    """Counts finished layer shapes; totals weigh each by its occurrences in the network."""

    def __init__(self, total: int, occurrences: dict[str, int], quiet: bool = False,
                 desc: str = "loopnest network") -> None:
        self.total = total
        self.occ = occurrences  # task key -> occurrences of that shape in the network
        self.quiet = quiet
        self.done = 0
        self.failed = 0
        self.cached = 0
        self.energy = 0.0
        self.cycles = 0
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="layer", file=sys.stderr, desc=desc,
                            dynamic_ncols=True,
                            bar_format="{desc}: {n}/{total} layers |{bar}| "
                                       "{elapsed}<{remaining} {postfix}")

    def update(self, rec: LayerRecord) -> None:
        self.done += 1
        k = self.occ.get(rec.key, 1)
        if rec.ok:
            self.energy += k * rec.energy_pj
            self.cycles += k * rec.cycles
        else:
            self.failed += 1
        self.cached += rec.cached
        if self.bar is not None:
            self.bar.set_postfix_str(self._post(), refresh=False)
            self.bar.update(1)
        elif not self.quiet:
            what = (f"{rec.pj_per_mac:.3g} pJ/MAC, util {rec.utilization:.2f}, "
                    f"{rec.search_s:.1f} s" + (" (cache)" if rec.cached else "")
                    + (" (second search" + (f", from {rec.seeded_from})" if rec.seeded_from
                                            else ")") if rec.second else "")
                    if rec.ok else f"FAILED: {rec.error}")
            print(f"[{self.done}/{self.total}] {rec.label}: {what}", file=sys.stderr,
                  flush=True)

    def _post(self) -> str:
        out = f"E={self.energy / 1e6:.4g}uJ cycles={self.cycles:.4g}"
        if self.cached:
            out += f" cached={self.cached}"
        if self.failed:
            out += f" failed={self.failed}"
        return out

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
