"""Classical works kept whole and in order among suggestions, for every provider of them.

Pure numpy: the plain provider the window starts with keeps works together by the same rule
as the learning recommender, so a station or an Up next refill in the first seconds after a
start does not play a symphony's third movement alone, or its movements out of order.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# A suggested movement brings its whole work (a symphony, a sonata, a suite) only where the
# performance has at most this many tracks: an opera, a set of variations (Goldberg: 32) or a
# cantata cycle filled Up next with an hour or more of one work from one pick, and their
# numbers (an aria, a variation) are heard alone too.
WHOLE_WORK_MOST = 12


def whole_works(got: list[tuple[int, float]], before: np.ndarray, never: np.ndarray, *, work: np.ndarray,
                album: np.ndarray, movement: np.ndarray, track_ids: np.ndarray,
                row_of: Callable[[int], int]) -> list[tuple[int, float]]:
    """The picks ``got`` (track id, score) with each classical work whole and in order: a
    movement picked brings its performance's other movements (the same work on the same
    album), each in its place from the first, where it stood; a work already heard or queued
    (``before``: rows of the session or station, then the queue, in order), or placed once,
    is not offered again, not even as another orchestra's performance. The work the last of
    ``before`` is a movement of goes on first, to its end. Picks of no work, and of a
    performance longer than ``WHOLE_WORK_MOST``, stay as they are. ``never``: rows no
    suggestion may hold. Per row: ``work`` (its work's code, -1 none), ``album`` (-1 none),
    ``movement`` (its number, 0 unknown), ``track_ids``; ``row_of``: a track id's row, -1 none."""
    before = before[before >= 0]
    seen = set(int(w) for w in work[before] if w >= 0)
    taken = set(int(r) for r in before) | set(int(r) for r in never[never >= 0])
    out: list[tuple[int, float]] = []

    def performance(r: int) -> list[int] | None:
        """The performance's movements in order, less those taken; None for one longer than
        ``WHOLE_WORK_MOST`` (its tracks are offered as songs)."""
        rows = np.flatnonzero((work == work[r]) & (album == album[r])) if album[r] >= 0 else np.array([r])
        if len(rows) > WHOLE_WORK_MOST:
            return None
        return [int(x) for x in rows[np.lexsort((rows, movement[rows]))] if int(x) not in taken]

    tail = int(before[-1]) if len(before) else -1
    whole = performance(tail) if tail >= 0 and work[tail] >= 0 else None
    if whole is not None:
        rest = [r for r in whole if movement[r] > movement[tail] > 0]
        out += [(int(track_ids[r]), got[0][1] if got else 0.0) for r in rest]
        taken.update(rest)
    for t, score in got:
        r = row_of(t)
        rows = performance(r) if r >= 0 and work[r] >= 0 else None
        if rows is None:
            if r < 0 or r not in taken:
                out.append((t, score))
                taken.add(r)
            continue
        if int(work[r]) in seen:
            continue
        seen.add(int(work[r]))
        out += [(int(track_ids[x]), score) for x in rows]
        taken.update(rows)
    return out
