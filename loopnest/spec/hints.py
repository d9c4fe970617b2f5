"""Hints for error messages: the closest valid name for a typo."""
from __future__ import annotations

import difflib
from typing import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to `word` (difflib), or None when nothing is close."""
    opts = [str(o) for o in options]
    low = {o.lower(): o for o in opts}
    if str(word).lower() in low:
        return low[str(word).lower()]
    m = difflib.get_close_matches(str(word), opts, n=1, cutoff=0.6)
    return m[0] if m else None


def closest_hint(word: str, options: Iterable[str], what: str = "") -> str | None:
    """`did you mean 'x'?` or the list of valid names (short)."""
    opts = sorted({str(o) for o in options})
    c = closest(word, opts)
    if c:
        return f"did you mean '{c}'?"
    if not opts:
        return None
    shown = ", ".join(opts[:12]) + (", ..." if len(opts) > 12 else "")
    return f"valid {what + ' ' if what else ''}names: {shown}"
