"""The rules of listening that the store, the trainer and the evaluation share.

A session is a run of plays without a pause of :data:`SESSION_GAP_S` or more. A play
heard for less than :data:`EARLY_SKIP_MS`, or for less than :data:`EARLY_SKIP_FRACTION`
of the track and less than :data:`EARLY_SKIP_CAP_MS`, and then skipped, is an early skip:
the person did not want it (:func:`early_skip_limit_ms`).
"""

from __future__ import annotations

import numpy as np

#: A pause of this long or longer starts a new session: the one rule for the app's store
#: (which numbers the session of every logged play, timing the pause from the last
#: activity, i.e. the end of the previous play), the training data and imported logs
#: (which have start times only, so there the pause runs start to start). Imported
#: histories that say how long each play was heard are cut as the store cuts its own
#: plays: ``split_sessions(starts, ends=starts + heard)``.
SESSION_GAP_S = 30 * 60
#: A skip before this many milliseconds is an early skip whatever the track's length.
EARLY_SKIP_MS = 30_000
#: A skip before this share of the track is an early skip...
EARLY_SKIP_FRACTION = 0.5
#: ...unless this much of it was heard: forty minutes of a two-hour mix, or of an audiobook
#: chapter, is listening, not a rejection (a scrobble counts after half the track or four
#: minutes, whichever comes first, for the same reason).
EARLY_SKIP_CAP_MS = 240_000
#: Up next, Radio and Discover leave out tracks far shorter than what is usually played
#: (stingers, sound effects, jingles): shorter than this share of the typical length.
SHORT_FRACTION = 0.3
#: They play tracks far longer (a two-hour DJ mix, an audiobook chapter, a ten-hour sleep
#: track) only when nothing else is left, and Discover leaves them out: one offered between
#: songs takes the rest of the evening. Far longer is over this many times the typical length...
LONG_FACTOR = 4.0
#: ...and over this many seconds whatever is played (a long suite, a side-long piece of prog
#: or jazz, is still music to go on with).
LONG_FLOOR_S = 30 * 60.0
#: Play sources where Segue picked the track (the store's ``plays.source``); every other
#: source is the person's own choice.
SUGGESTED_SOURCES = ("up_next", "radio", "discover")
#: A row of an imported history heard for less than this many milliseconds is no listen at
#: all, not even a skip: Spotify writes rows of 0 ms and a few hundred as its app opens on a
#: paused song or as the queue moves on by itself, and taken for plays each would teach
#: "not this song" of songs nobody turned down. A song passed over in less than a second
#: (Next pressed twice to go further down the queue) was not heard, so not turned down either.
MIN_LISTEN_MS = 1_000
#: A play counts as one wherever plays are counted for the person (a song's plays, the
#: library's and the Listening tab's totals) where it did not fail and something of it was
#: heard: a song stopped or passed over before a sound of it was heard was not played. One
#: that finished counts (an imported scrobble may say nothing of the time heard), and so
#: does one playing now (it counts from its start). As SQL over the store's ``plays`` rows;
#: :func:`counts_as_play` is the same rule for one play.
COUNTS_AS_PLAY = "(ended != 'error' AND (ms_heard > 0 OR ended IN ('finished', 'playing')))"
#: 2000-01-01 UTC. No service kept listening history before it: an earlier time is a broken
#: one (Last.fm writes 1 Jan 1970 for a scrobble that lost its time).
EARLIEST = 946_684_800.0
#: How far past now a play may start (a day covers any time zone a device's clock was left
#: in); a later one comes from a clock set wrong, and would stay "the most recent"
#: listening, and stretch every chart, until that day.
FUTURE_SLACK_S = 86_400.0


def early_skip_limit_ms(track_ms):
    """Milliseconds heard below which a skip of a track ``track_ms`` long is an early skip:
    :data:`EARLY_SKIP_MS`, or :data:`EARLY_SKIP_FRACTION` of the track where that is longer,
    but never more than :data:`EARLY_SKIP_CAP_MS`. Takes a number or an array [shape=(n,)]."""
    return np.maximum(EARLY_SKIP_MS, np.minimum(EARLY_SKIP_FRACTION * np.asarray(track_ms, np.float64),
                                                EARLY_SKIP_CAP_MS))


def counts_as_play(ended, ms_heard):
    """Whether a play that ended ``ended`` (the store's word) after ``ms_heard`` counts (see
    :data:`COUNTS_AS_PLAY`). Takes one play or arrays of them [shape=(n,)]."""
    if isinstance(ended, str):
        # (one play in plain Python: Discover asks this of each of 200,000 rows, and a numpy
        # array made for each took a second)
        return ended != "error" and (ms_heard > 0 or ended in ("finished", "playing"))
    ended = np.asarray(ended, dtype=object)
    return (ended != "error") & ((np.asarray(ms_heard) > 0) | (ended == "finished") | (ended == "playing"))


def is_skip(ms_heard: float | None, skipped: bool | None = None) -> bool:
    """A play the person skipped: the service says so, or less than :data:`EARLY_SKIP_MS` was heard.

    Imported histories rarely know the track's length, so the share-of-track part of the
    early-skip rule is left to whoever knows it (the catalogue, from the library's length).
    """
    return bool(skipped) or (ms_heard is not None and ms_heard < EARLY_SKIP_MS)


def play_ending(ms_heard: float | None, skipped: bool | None, reason_end: str | None) -> str:
    """How an imported play ended, as Segue logs its own: ``finished`` where the service
    says the track ran out (a song shorter than 30 s too), else ``skipped`` (see
    :func:`is_skip`), else ``finished`` where it says nothing and ``stopped`` otherwise."""
    if reason_end == "trackdone" and not skipped:
        return "finished"
    if is_skip(ms_heard, skipped):
        return "skipped"
    return "finished" if reason_end in (None, "trackdone") else "stopped"


class SessionError(ValueError):
    """Times that cannot be cut into sessions (not 1-D, not sorted, a bad gap)."""


def split_sessions(times: np.ndarray, *, gap_s: float = SESSION_GAP_S,
                   ends: np.ndarray | None = None) -> list[np.ndarray]:
    """Positions of the plays of each session, in time order.

    Parameters
    ----------
    times : np.ndarray [shape=(n_plays,)] ascending unix seconds.
    gap_s : a gap of this many seconds or more between two plays starts a new session.
    ends : np.ndarray [shape=(n_plays,)] or None: when each play's listening ended (its
        start plus the time heard). Given, the pause before a play runs from the latest
        end so far, as the store times the plays it logs; without, from start to start.

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
    if ends is None:
        cuts = np.flatnonzero(np.diff(times) >= gap_s) + 1
    else:
        ends = np.asarray(ends, dtype=np.float64)
        if ends.shape != times.shape:
            raise SessionError(f"ends has shape {ends.shape}, times {times.shape}")
        active = np.maximum.accumulate(np.maximum(ends, times))
        cuts = np.flatnonzero(times[1:] - active[:-1] >= gap_s) + 1
    return np.split(np.arange(times.size, dtype=np.int64), cuts)
