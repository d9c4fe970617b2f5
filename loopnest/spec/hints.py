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


def _distance(a: str, b: str, cap: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), stopping above `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


def typo_of(word: str, options: Iterable[str]) -> str | None:
    """The option `word` is most likely a misspelling of: the same but for case, or one
    edit away (two for words longer than 8 characters, none for words under 4)."""
    word = str(word)
    opts = [str(o) for o in options]
    for o in opts:
        if o.lower() == word.lower() and o != word:
            return o
    if len(word) < 4:
        return None
    cap = 2 if len(word) > 8 else 1
    best, best_d = None, cap + 1
    for o in opts:
        if o == word or len(o) < 4 or abs(len(o) - len(word)) > cap:
            continue
        d = _distance(word.lower(), o.lower(), cap)
        if d < best_d:
            best, best_d = o, d
    return best
