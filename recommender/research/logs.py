"""Listening logs as time-ordered plays and listening sessions.

Two sources feed the session models:

- a Last.fm 1K log (``user \\t ISO time \\t artist MBID \\t artist \\t track MBID \\t
  track``, newest first) or a plain ``unix time \\t artist \\t title`` TSV, read by
  :func:`load_log_file`;
- Segue's own plays, given as plain rows: ``(timestamp, artist, title)`` or
  ``(timestamp, track_id)`` (this module never touches the store), read by
  :func:`play_log_from_rows`.

Items are numbered in order of first appearance, so "the items known at time
t" is always a prefix ``range(n)`` of the item ids. A track is identified by
:func:`segue_common.normalize.match_key` of its artist and title (or by its
track id when rows carry ids). A new session starts after ``gap_s`` (30 min)
without a play, as the store does.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from segue_common.normalize import match_key, normalize_name


class LogFormatError(ValueError):
    """Raised for a log file or row shape this module cannot read."""


@dataclass
class ListeningLog:
    """Plays in time order, with items and artists numbered by first appearance.

    Attributes
    ----------
    times : np.ndarray [shape=(n_plays,)] float64 unix seconds, ascending.
    items : np.ndarray [shape=(n_plays,)] int64 item id per play.
    keys : list[str] item id -> identity key (match key or ``"track:<id>"``).
    item_artist : np.ndarray [shape=(n_items,)] int64 artist id per item, -1 unknown.
    artists : list[str] artist id -> normalised artist name.
    dropped : int rows skipped because artist or title was empty.
    """

    times: np.ndarray
    items: np.ndarray
    keys: list[str]
    item_artist: np.ndarray
    artists: list[str]
    dropped: int = 0
    key_index: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def n_items(self) -> int:
        return len(self.keys)

    @property
    def n_artists(self) -> int:
        return len(self.artists)

    def __len__(self) -> int:
        return int(self.times.shape[0])


def _build(times: list[float], keys: list[str], artists: list[str | None], dropped: int) -> ListeningLog:
    order = np.argsort(np.asarray(times, dtype=np.float64), kind="stable")
    key_index: dict[str, int] = {}
    artist_index: dict[str, int] = {}
    item_artist: list[int] = []
    items = np.empty(len(order), dtype=np.int64)
    for pos, row in enumerate(order):
        key = keys[row]
        if key not in key_index:
            key_index[key] = len(key_index)
            name = artists[row]
            if name:
                artist_index.setdefault(name, len(artist_index))
            item_artist.append(artist_index[name] if name else -1)
        items[pos] = key_index[key]
    return ListeningLog(
        times=np.asarray(times, dtype=np.float64)[order],
        items=items,
        keys=list(key_index),
        item_artist=np.asarray(item_artist, dtype=np.int64),
        artists=list(artist_index),
        dropped=dropped,
        key_index=key_index,
    )


def play_log_from_rows(rows: Iterable[Sequence], *,
                       track_artist: Mapping[int, str] | None = None) -> ListeningLog:
    """Build a :class:`ListeningLog` from ``(timestamp, artist, title)`` or ``(timestamp, track_id)`` rows.

    Timestamps are unix seconds (int/float) or ISO-8601 strings. Rows with an
    empty artist or title are dropped and counted. ``track_artist`` optionally
    names the artist of each track id, so id rows get artist information too.
    Extra trailing fields are not allowed (they would be ambiguous).
    """
    times: list[float] = []
    keys: list[str] = []
    artists: list[str | None] = []
    dropped = 0
    for row in rows:
        if len(row) == 3:
            ts, artist, title = row
            key = match_key(artist, title)
            if key is None:
                dropped += 1
                continue
            name = normalize_name(artist)
        elif len(row) == 2:
            ts, track_id = row
            if track_id is None:
                dropped += 1
                continue
            key = f"track:{int(track_id)}"
            name = normalize_name((track_artist or {}).get(int(track_id))) or None
        else:
            raise LogFormatError(f"expected (timestamp, artist, title) or (timestamp, track_id), got {row!r}")
        times.append(_timestamp(ts))
        keys.append(key)
        artists.append(name)
    return _build(times, keys, artists, dropped)


def _timestamp(value) -> float:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise LogFormatError(f"not a timestamp: {value!r}") from exc


def load_log_file(path: str | Path, *, user: str | None = None) -> ListeningLog:
    """Read a Last.fm 1K TSV (6 columns) or a ``time \\t artist \\t title`` TSV.

    A Last.fm file may hold several users: ``user`` picks one, else the user with
    the most rows is taken (a personal log is one person's).
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        raw = [r for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r and any(r)]
    if not raw:
        raise LogFormatError(f"{path}: no rows")
    widths = Counter(len(r) for r in raw)
    if set(widths) == {6}:
        users = Counter(r[0] for r in raw)
        pick = user or users.most_common(1)[0][0]
        if pick not in users:
            raise LogFormatError(f"{path}: no rows for user {pick!r}")
        return play_log_from_rows((r[1], r[3], r[5]) for r in raw if r[0] == pick)
    if set(widths) == {3}:
        try:
            float(raw[0][0])
        except ValueError:
            raw = raw[1:] if raw[0][0].lower() in {"time", "timestamp", "started_at"} else raw
        return play_log_from_rows(raw)
    raise LogFormatError(f"{path}: expected 6 (Last.fm 1K) or 3 tab-separated columns, got widths {dict(widths)}")


def drop_repeats(items: Sequence[int]) -> np.ndarray:
    """Keep only the first play of each item within one session (order preserved)."""
    seen: set[int] = set()
    keep = [i for i in items if not (i in seen or seen.add(i))]
    return np.asarray(keep, dtype=np.int64)
