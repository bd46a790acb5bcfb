"""Listening statistics and Segue's report card, computed from the store's play columns.

No Qt here: the Listening view calls :func:`load_summary` on a worker and only draws the
result. Weeks start on Monday at local midnight and hours of the day are local time, as
the person lived them. A play counts unless it failed ("error") or was ended before anything
of it was heard (:data:`~segue_common.listening.COUNTS_AS_PLAY`, as every count of plays
shown); its outcome (for skip rates) is known once it finished, was skipped or stopped. A skip means an early skip,
the rule the trainer uses: skipped before 30 s or before half the track (four minutes of a
longer one).

The report card compares plays Segue chose (Up next, Radio, Discover) with plays the
person chose (library, search, their own queue, the command line), week by week, and
keeps the number of plays behind every rate: a rate over 3 plays says little, and the
view shows it. Imported history is left out of the report card (Segue chose none of it)
but counts everywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import numpy as np

from player.recommendations import AUDIOBOOK, UNTAGGED, genre_bucket, genre_title, one_spelling, track_bucket
from player.store import ENDED_CODES, SOURCE_CODES, PlayColumns
from recommender.genres import file_genre_bucket
from segue_common.normalize import FirstCopies, recording_key
from segue_common.listening import (EARLIEST, EARLY_SKIP_MS, FUTURE_SLACK_S, SUGGESTED_SOURCES,
                                    early_skip_limit_ms)
from segue_common.text import in_name_order

WEEK_S = 7 * 86400
SEGUE_SOURCES = SUGGESTED_SOURCES
OWN_SOURCES = ("library", "search", "queue", "cli")
#: Periods of the top lists: label -> days back from now (None: everything).
PERIODS: dict[str, int | None] = {
    "Last 4 weeks": 28, "Last 3 months": 91, "Last 12 months": 365, "All time": None,
}
TOP_KINDS = ("artists", "tracks", "genres")
#: The period the headlines' "last 4 weeks" count: the top lists' first, the 28 days up to now.
#: The headlines counted the last four calendar weeks, so beside a top list of the same name
#: they gave other numbers on the same screen.
RECENT = "Last 4 weeks"

_FINISHED, _SKIPPED, _STOPPED = (ENDED_CODES.index(e) for e in ("finished", "skipped", "stopped"))
_SEGUE = [SOURCE_CODES.index(s) for s in SEGUE_SOURCES]
_OWN = [SOURCE_CODES.index(s) for s in OWN_SOURCES]


# -- time -------------------------------------------------------------------------
def utc_offsets(t: np.ndarray) -> np.ndarray:
    """Local UTC offset in seconds at each unix time [shape=(n,)].

    Looked up once per distinct hour (daylight-saving changes fall on whole hours), so
    100,000 plays cost a few thousand ``localtime`` calls.
    """
    t = np.asarray(t, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0)
    hours, inverse = np.unique(np.floor(t / 3600.0).astype(np.int64), return_inverse=True)
    offsets = np.array([time.localtime(int(h) * 3600).tm_gmtoff for h in hours], dtype=np.float64)
    return offsets[inverse]


def week_starts(t: np.ndarray) -> np.ndarray:
    """Unix time of the local Monday 00:00 that starts the week of each time [shape=(n,)]."""
    t = np.asarray(t, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0)
    days = np.floor((t + utc_offsets(t)) / 86400.0).astype(np.int64)
    mondays = days - (days + 3) % 7                 # 1970-01-01 was a Thursday
    unique, inverse = np.unique(mondays, return_inverse=True)
    starts = np.array([_local_midnight(int(d)) for d in unique], dtype=np.float64)
    return starts[inverse]


def _local_midnight(day: int) -> float:
    """Unix time of local 00:00 on the day ``day`` days after 1970-01-01."""
    y, m, d = time.gmtime(day * 86400)[:3]
    return time.mktime((y, m, d, 0, 0, 0, 0, 0, -1))


def hours_of_day(t: np.ndarray) -> np.ndarray:
    """Local hour (0-23) of each unix time [shape=(n,)] int64."""
    t = np.asarray(t, dtype=np.float64)
    return (np.floor((t + utc_offsets(t)) / 3600.0).astype(np.int64) % 24) if t.size else np.zeros(0, np.int64)


# -- outcomes ---------------------------------------------------------------------
def play_outcomes(cols: PlayColumns) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, decided, early_skip, heard_hours)`` per play, each [shape=(n,)].

    ``counts``: the play counts (it did not fail, and something of it was heard: see
    :attr:`PlayColumns.counted`). ``decided``: it counts and finished, was skipped or
    stopped, so it has an outcome. ``early_skip``: skipped before 30 s or half the
    track (four minutes of a longer one: forty minutes of a mix are no early skip).
    ``heard_hours``: time heard (a finished play that logged no time, as an
    imported scrobble may, counts its track's length).
    """
    ended, heard, track_ms = cols.ended, cols.ms_heard, cols.track_ms
    counts = cols.counted
    decided = counts & np.isin(ended, [_FINISHED, _SKIPPED, _STOPPED])
    known = np.isfinite(track_ms) & (track_ms > 0)
    limit = np.where(known, early_skip_limit_ms(np.where(known, track_ms, 0.0)), EARLY_SKIP_MS)
    early = counts & (ended == _SKIPPED) & (heard < limit)
    ms = np.where((ended == _FINISHED) & (heard <= 0) & known, track_ms, heard)
    return counts, decided, early, np.where(counts, ms, 0.0) / 3.6e6


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson interval ``(low, high)`` of the rate k / n (NaN where n is 0)."""
    k, n = np.asarray(k, np.float64), np.asarray(n, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def _rate(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.maximum(n, 1), np.nan)


# -- results ----------------------------------------------------------------------
@dataclass
class Weekly:
    """One row per week from the first play's week to the last's, empty weeks included."""

    week: np.ndarray           # float64 [w] unix time of the local Monday 00:00
    plays: np.ndarray          # int64 [w]
    hours: np.ndarray          # float64 [w]
    decided: np.ndarray        # int64 [w] plays with an outcome
    skips: np.ndarray          # int64 [w] early skips

    @property
    def skip_rate(self) -> np.ndarray:
        return _rate(self.skips, self.decided)


@dataclass
class ReportCard:
    """Skip rates per week of plays Segue chose against plays the person chose (no imports)."""

    week: np.ndarray           # float64 [w]
    segue_n: np.ndarray        # int64 [w] decided plays Segue chose
    segue_skips: np.ndarray    # int64 [w]
    own_n: np.ndarray          # int64 [w]
    own_skips: np.ndarray      # int64 [w]

    @property
    def segue_rate(self) -> np.ndarray:
        return _rate(self.segue_skips, self.segue_n)

    @property
    def own_rate(self) -> np.ndarray:
        return _rate(self.own_skips, self.own_n)



@dataclass
class TopEntry:
    name: str
    plays: int
    hours: float
    track_ids: list = field(default_factory=list)    # the tracks behind it, most played first


@dataclass
class ListeningSummary:
    now: float
    plays: int                 # plays that count (all time)
    imported: int              # of which imported
    hours: float
    weekly: Weekly
    report: ReportCard
    by_hour: np.ndarray        # int64 [24] plays per local hour
    top: dict                  # period label -> kind -> list[TopEntry]
    first: float | None = None  # when the first play that counts began
    #: Over the period :data:`RECENT` (not the last weeks the plays reach: a history imported
    #: after it ended, or a pause from playing, has none of its plays in it).
    recent: tuple[int, float, int, int] = (0, 0.0, 0, 0)        # plays, hours, early skips, decided
    report_recent: tuple[int, int, int, int] = (0, 0, 0, 0)     # Segue's picks, their skips, own, own skips
    #: Plays left out of everything here for a time no play can have (before 2000, or ahead of
    #: now): imported by an older Segue, which took them in, or logged under a clock set wrong.
    #: Kept in the store; the view says how many.
    impossible: int = 0

    @property
    def empty(self) -> bool:
        return self.plays == 0


# -- computation ------------------------------------------------------------------
def _weekly_bins(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(weeks, index)``: every week from the first to the last, and each time's row."""
    starts = week_starts(t)
    if starts.size == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    first = starts.min()
    n_weeks = int(round((starts.max() - first) / WEEK_S)) + 1
    # Nominal weeks are 7 x 86400 s; the real Monday midnights differ by an hour across
    # daylight-saving changes, which the rounding absorbs.
    index = np.rint((starts - first) / WEEK_S).astype(np.int64)
    weeks = week_starts(first + WEEK_S * np.arange(n_weeks) + 3 * 86400)
    return weeks, index


def weekly(cols: PlayColumns) -> Weekly:
    counts, decided, early, hours = play_outcomes(cols)
    weeks, idx = _weekly_bins(cols.started_at)
    w = len(weeks)
    return Weekly(
        week=weeks,
        plays=np.bincount(idx, weights=counts, minlength=w).astype(np.int64),
        hours=np.bincount(idx, weights=hours, minlength=w),
        decided=np.bincount(idx, weights=decided, minlength=w).astype(np.int64),
        skips=np.bincount(idx, weights=early & decided, minlength=w).astype(np.int64),
    )


def _graded(cols: PlayColumns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(segue, own, early)`` per play: decided plays inside Segue that it chose, that the
    person chose, and the early skips."""
    _counts, decided, early, _hours = play_outcomes(cols)
    own_play = decided & ~cols.imported
    return own_play & np.isin(cols.source, _SEGUE), own_play & np.isin(cols.source, _OWN), early


def report_card(cols: PlayColumns) -> ReportCard:
    """Per week, over plays inside Segue only; weeks span all plays so the axes match."""
    segue, own, early = _graded(cols)
    weeks, idx = _weekly_bins(cols.started_at)
    w = len(weeks)

    def count(mask):
        return np.bincount(idx, weights=mask, minlength=w).astype(np.int64)

    return ReportCard(week=weeks, segue_n=count(segue), segue_skips=count(segue & early),
                      own_n=count(own), own_skips=count(own & early))


def genre_name(bucket: str | None, genre: str | None, path: str | None = None) -> str:
    """The genre the file's tag names, as the recommender groups it (a retag counts at once:
    ``bucket``, the analysed one, is from the tag of the day of the analysis), else the
    analysed bucket, else the file's own genre tag, else "No genre tag". A file in the
    audiobook container (``path``) is a book whatever its tag says (:func:`track_bucket`):
    hours of a rock memoir counted as rock listening."""
    if path and track_bucket(genre, path) == AUDIOBOOK:
        return AUDIOBOOK
    named = file_genre_bucket(genre)
    if named or bucket:
        return genre_title(named or bucket)
    return genre_title(genre_bucket(genre)) if genre else UNTAGGED


@dataclass
class _TrackKeys:
    """Every played track once, with its artist, genre and display name as codes."""

    tracks: np.ndarray         # int64 [t] distinct track ids
    inverse: np.ndarray        # int64 [n] each play's row in ``tracks``
    kinds: dict                # kind -> (names [m] object, codes [t] int64)


def _track_keys(cols: PlayColumns, labels: dict) -> _TrackKeys:
    tracks, inverse = np.unique(cols.track_id, return_inverse=True)
    inverse = inverse.reshape(-1)
    plays = np.bincount(inverse, minlength=len(tracks))
    artists, genres, titles = [], [], []
    # A song is the recording, not the file: its album's FLAC, its phone copy in MP3 and its
    # remaster on a best-of are one entry of the top tracks, else each showed with a share of
    # the song's plays (see :func:`segue_common.normalize.recording_key`).
    copies = FirstCopies()
    song_of = np.arange(len(tracks))
    most = plays.copy()             # per song (its first copy's row): the plays of the copy it is named by
    for i, t in enumerate(tracks.tolist()):
        title, artist, genre, bucket, path, duration, stand_in = (
            *labels.get(t, ()), None, None, None, None, "", None, None)[:7]
        artists.append(artist or "Unknown artist")
        genres.append(genre_name(bucket, genre, path))
        shown = title or (path.rsplit("/", 1)[-1] if path else f"Track {t}")
        titles.append(f"{shown} — {artist}" if artist else shown)
        same = copies.first(recording_key(artist, title, stand_in=stand_in), duration, i)
        if same != i:
            first = song_of[i] = song_of[same]
            if plays[i] > most[first]:
                most[first], titles[first] = plays[i], titles[i]     # named as its copy played most
    genres = one_spelling(genres)
    songs_at, song_codes = np.unique(song_of, return_inverse=True)
    # In name order as the library sorts names (:func:`in_name_order`): ties of the top lists
    # stay in that order (two songs of one name, a studio and a live take, stay two).
    names = np.array(titles, dtype=object)[songs_at]
    by_name = np.array(in_name_order(names.tolist()), dtype=np.int64)
    rank = np.empty_like(by_name)
    rank[by_name] = np.arange(len(by_name))
    kinds = {"tracks": (names[by_name], rank[song_codes.reshape(-1)])}
    for kind, values in (("artists", artists), ("genres", genres)):
        if values:
            unique, of_track = np.unique(np.array(values, dtype=object), return_inverse=True)
            order = np.array(in_name_order(unique.tolist()), dtype=np.int64)
            code = np.empty_like(order)
            code[order] = np.arange(len(order))
            kinds[kind] = (unique[order], code[of_track.reshape(-1)])
        else:
            kinds[kind] = (np.zeros(0, object), np.zeros(0, np.int64))
    return _TrackKeys(tracks=tracks, inverse=inverse, kinds=kinds)


def top_lists(cols: PlayColumns, labels: dict, *, since: float | None, k: int = 10,
              keys: _TrackKeys | None = None) -> dict[str, list[TopEntry]]:
    """Most played artists, tracks and genres since ``since`` (None: all time).

    ``labels``: ``track_id -> (title, artist, genre, bucket, path)`` as the store gives them.
    Ties go to more hours heard, then to the name.
    """
    keys = keys or _track_keys(cols, labels)
    counts, _decided, _early, hours = play_outcomes(cols)
    mask = counts if since is None else counts & (cols.started_at >= since)
    n = len(keys.tracks)
    per_track = np.bincount(keys.inverse[mask], minlength=n)
    hours_track = np.bincount(keys.inverse[mask], weights=hours[mask], minlength=n)
    out: dict[str, list[TopEntry]] = {}
    for kind in TOP_KINDS:
        names, codes = keys.kinds[kind]
        plays = np.bincount(codes, weights=per_track, minlength=len(names))
        hrs = np.bincount(codes, weights=hours_track, minlength=len(names))
        entries = []
        # Names are in name order (_track_keys), so a stable sort leaves ties in that order.
        for i in np.lexsort((-hrs, -plays))[:k] if len(names) else []:
            if plays[i] <= 0:
                break
            members = np.flatnonzero((codes == i) & (per_track > 0))
            members = members[np.argsort(-per_track[members], kind="stable")]
            entries.append(TopEntry(name=str(names[i]), plays=int(plays[i]), hours=float(hrs[i]),
                                    track_ids=keys.tracks[members].tolist()))
        out[kind] = entries
    return out


def summarize(cols: PlayColumns, labels: dict, *, now: float | None = None, k: int = 10) -> ListeningSummary:
    """Everything the Listening view shows, for every period at once (switching is instant)."""
    now = time.time() if now is None else now
    # One play of 1 Jan 1970 drew 56 years of empty weeks, and "since January 1970"; one ahead
    # stayed the latest listening until its day came.
    possible = (cols.started_at >= EARLIEST) & (cols.started_at <= now + FUTURE_SLACK_S)
    impossible = int((~possible & cols.counted).sum())
    if not possible.all():
        cols = PlayColumns(*(getattr(cols, f.name)[possible] for f in fields(cols)))
    counts, decided, early, hours = play_outcomes(cols)
    by_hour = np.bincount(hours_of_day(cols.started_at[counts]), minlength=24).astype(np.int64)
    keys = _track_keys(cols, labels)
    top = {label: top_lists(cols, labels, since=None if days is None else now - days * 86400, k=k, keys=keys)
           for label, days in PERIODS.items()}
    # The same plays as the top lists of that period (see top_lists' ``since``).
    recent = cols.started_at >= now - PERIODS[RECENT] * 86400
    segue, own, _early = _graded(cols)
    return ListeningSummary(
        now=now, plays=int(counts.sum()), imported=int((counts & cols.imported).sum()),
        hours=float(hours.sum()), weekly=weekly(cols), report=report_card(cols), by_hour=by_hour, top=top,
        first=float(cols.started_at[counts].min()) if counts.any() else None,
        recent=(int((counts & recent).sum()), float(hours[recent].sum()), int((early & decided & recent).sum()),
                int((decided & recent).sum())),
        report_recent=tuple(int((m & recent).sum()) for m in (segue, segue & early, own, own & early)),
        impossible=impossible)


def load_summary(store, *, now: float | None = None) -> ListeningSummary:
    """Read the plays and compute the summary (call it on a worker: it reads the database)."""
    return summarize(store.play_columns(), store.played_track_labels(), now=now)
