"""The rules of listening that the store, the trainer and the evaluation share.

A session is a run of plays without a pause of :data:`SESSION_GAP_S` or more. A play
heard for less than :data:`EARLY_SKIP_MS`, or for less than :data:`EARLY_SKIP_FRACTION`
of the track, and then skipped, is an early skip: the person did not want it.
"""

from __future__ import annotations

import numpy as np

#: A pause of this long or longer starts a new session: the one rule for the app's store
#: (which numbers the session of every logged play, timing the pause from the last
#: activity, i.e. the end of the previous play), the training data and imported logs
#: (which have start times only, so there the pause runs start to start).
SESSION_GAP_S = 30 * 60
#: A skip before this many milliseconds is an early skip whatever the track's length.
EARLY_SKIP_MS = 30_000
#: A skip before this share of the track is an early skip.
EARLY_SKIP_FRACTION = 0.5


class SessionError(ValueError):
    """Times that cannot be cut into sessions (not 1-D, not sorted, a bad gap)."""


def split_sessions(times: np.ndarray, *, gap_s: float = SESSION_GAP_S) -> list[np.ndarray]:
    """Positions of the plays of each session, in time order.

    Parameters
    ----------
    times : np.ndarray [shape=(n_plays,)] ascending unix seconds.
    gap_s : a gap of this many seconds or more between two plays starts a new session.

    Returns
    -------
    list of np.ndarray, each [shape=(n_session_plays,)] int64 positions into ``times``.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1:
        raise SessionError(f"times must be 1-D, got shape {times.shape}")
    if times.size == 0:
        return []
    if np.any(np.diff(times) < 0):
        raise SessionError("times must be sorted ascending")
    if gap_s <= 0:
        raise SessionError(f"gap_s must be positive, got {gap_s}")
    cuts = np.flatnonzero(np.diff(times) >= gap_s) + 1
    return np.split(np.arange(times.size, dtype=np.int64), cuts)
