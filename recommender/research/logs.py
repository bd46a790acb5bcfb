"""Listening logs as time-ordered plays and listening sessions.

Three file formats feed the session evaluations, read by :func:`load_log_file`
(plain or gzipped, recognised by their content):

- a Last.fm 1K log (``user \\t ISO time \\t artist MBID \\t artist \\t track MBID \\t
  track``, newest first);
- a plain ``unix time \\t artist \\t title`` TSV (an optional header row);
- the shared people's logs: a header ``person time time_is artist track album
  ms_played skipped reason_end``, one play a row. Last.fm rows give the start time;
  Spotify rows the end time and the milliseconds heard, so the start is the end minus
  ``ms_played``. A play heard for less than :data:`~segue_common.listening.EARLY_SKIP_MS`,
  or marked ``skipped=true``, is a skip, as the app logs one. Podcast episodes
  (:func:`podcast_shows`) are dropped and counted.

Segue's own plays come as plain rows: ``(timestamp, artist, title)`` or
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
import gzip
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from segue_common.listening import EARLY_SKIP_MS
from segue_common.normalize import match_key, normalize_name

#: The header of the shared people's logs (extra columns after these are ignored).
PEOPLE_COLUMNS = ("person", "time", "time_is", "artist", "track", "album", "ms_played", "skipped", "reason_end")
#: A Spotify "artist" whose plays (those heard 30 s or more) last this long at the median
#: is a podcast show: music tracks that long are rare, episodes are rarely shorter.
PODCAST_MEDIAN_MS = 10 * 60 * 1000


class LogFormatError(ValueError):
    """Raised for a log file or row shape this module cannot read."""


@dataclass
class ListeningLog:
    """Plays in time order, with items and artists numbered by first appearance.

    Attributes
    ----------
    times : np.ndarray [shape=(n_plays,)] float64 unix seconds (play starts), ascending.
    items : np.ndarray [shape=(n_plays,)] int64 item id per play.
    keys : list[str] item id -> identity key (match key or ``"track:<id>"``).
    item_artist : np.ndarray [shape=(n_items,)] int64 artist id per item, -1 unknown.
    artists : list[str] artist id -> normalised artist name.
    dropped : int rows skipped because artist or title was empty.
    skipped : np.ndarray [shape=(n_plays,)] bool, True for a skip (never a target).
    ms_played : np.ndarray [shape=(n_plays,)] float64 milliseconds heard, NaN unknown.
    item_album : list[str | None] item id -> album name as first logged (None unknown).
    podcasts : int podcast rows dropped.
    person : the pseudonym of a shared log, else None.
    """

    times: np.ndarray
    items: np.ndarray
    keys: list[str]
    item_artist: np.ndarray
    artists: list[str]
    dropped: int = 0
    key_index: dict[str, int] = field(default_factory=dict, repr=False)
    skipped: np.ndarray | None = None
    ms_played: np.ndarray | None = None
    item_album: list | None = None
    podcasts: int = 0
    person: str | None = None

    def __post_init__(self) -> None:
        n = len(self.times)
        if self.skipped is None:
            self.skipped = np.zeros(n, bool)
        if self.ms_played is None:
            self.ms_played = np.full(n, np.nan)
        if self.item_album is None:
            self.item_album = [None] * len(self.keys)

    @property
    def n_items(self) -> int:
        return len(self.keys)

    @property
    def n_artists(self) -> int:
        return len(self.artists)

    @property
    def n_listened(self) -> int:
        return int((~self.skipped).sum())

    def __len__(self) -> int:
        return int(self.times.shape[0])


class _Play(NamedTuple):
    time: float
    key: str
    artist: str | None     # normalised
    album: str | None
    ms: float              # NaN unknown
    skipped: bool


def _build(plays: list[_Play], dropped: int, *, podcasts: int = 0, person: str | None = None,
           last_listened: int | None = None) -> ListeningLog:
    """Sort by time (stable), keep the last ``last_listened`` listened plays (and the skips
    among them), number items and artists by first appearance."""
    order = np.argsort(np.asarray([p.time for p in plays], dtype=np.float64), kind="stable")
    plays = [plays[i] for i in order]
    if last_listened is not None:
        listened = [i for i, p in enumerate(plays) if not p.skipped]
        if len(listened) > last_listened:
            start = listened[len(listened) - last_listened] if last_listened > 0 else len(plays)
            plays = plays[start:]
    key_index: dict[str, int] = {}
    artist_index: dict[str, int] = {}
    item_artist: list[int] = []
    item_album: list[str | None] = []
    items = np.empty(len(plays), dtype=np.int64)
    for pos, p in enumerate(plays):
        item = key_index.get(p.key)
        if item is None:
            item = key_index[p.key] = len(key_index)
            if p.artist:
                artist_index.setdefault(p.artist, len(artist_index))
            item_artist.append(artist_index[p.artist] if p.artist else -1)
            item_album.append(p.album or None)
        items[pos] = item
    return ListeningLog(
        times=np.asarray([p.time for p in plays], dtype=np.float64),
        items=items,
        keys=list(key_index),
        item_artist=np.asarray(item_artist, dtype=np.int64),
        artists=list(artist_index),
        dropped=dropped,
        key_index=key_index,
        skipped=np.asarray([p.skipped for p in plays], dtype=bool),
        ms_played=np.asarray([p.ms for p in plays], dtype=np.float64),
        item_album=item_album,
        podcasts=podcasts,
        person=person,
    )


def play_log_from_rows(rows: Iterable[Sequence], *,
                       track_artist: Mapping[int, str] | None = None) -> ListeningLog:
    """Build a :class:`ListeningLog` from ``(timestamp, artist, title)`` or ``(timestamp, track_id)`` rows.

    Timestamps are unix seconds (int/float) or ISO-8601 strings. Rows with an
    empty artist or title are dropped and counted. ``track_artist`` optionally
    names the artist of each track id, so id rows get artist information too.
    Extra trailing fields are not allowed (they would be ambiguous).
    """
    plays: list[_Play] = []
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
        plays.append(_Play(_timestamp(ts), key, name, None, np.nan, False))
    return _build(plays, dropped)


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


def _read_rows(path: Path) -> list[list[str]]:
    """Tab-separated rows of a plain or gzipped text file (gzip recognised by its magic bytes)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise LogFormatError(f"{path}: a damaged gzip file ({exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LogFormatError(f"{path}: not UTF-8 text ({exc})") from exc
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
            if r and any(r)]


def podcast_shows(rows: Sequence[tuple[str, float]]) -> set[str]:
    """The "artists" of ``(artist, ms_played)`` rows that are podcast shows.

    Spotify's exports write an episode as artist = the show, track = the episode, with
    nothing else to tell it from a song. A show is recognised by its name (the word
    "podcast") or by how long its plays last: the median of those heard for 30 s or
    more is :data:`PODCAST_MEDIAN_MS` or longer. (A few long classical or ambient pieces
    fall under the second rule too; they are rare in these logs.)
    """
    heard: dict[str, list[float]] = defaultdict(list)
    names = set()
    for artist, ms in rows:
        names.add(artist)
        if np.isfinite(ms) and ms >= EARLY_SKIP_MS:
            heard[artist].append(ms)
    return {a for a in names if "podcast" in a.casefold()
            or (heard.get(a) and float(np.median(heard[a])) >= PODCAST_MEDIAN_MS)}


def _people_log(path: Path, raw: list[list[str]], last_listened: int | None) -> ListeningLog:
    header = [h.strip().lower() for h in raw[0]]
    missing = [c for c in PEOPLE_COLUMNS if c not in header]
    if missing:
        raise LogFormatError(f"{path}: header lacks {missing}")
    col = {c: header.index(c) for c in PEOPLE_COLUMNS}
    width = len(header)
    rows = raw[1:]
    bad = [i + 2 for i, r in enumerate(rows) if len(r) < width]
    if bad:
        raise LogFormatError(f"{path}: {len(bad)} rows have fewer than {width} columns (first: line {bad[0]})")

    def ms_of(r) -> float:
        text = r[col["ms_played"]].strip()
        if not text:
            return np.nan
        try:
            return float(text)
        except ValueError as exc:
            raise LogFormatError(f"{path}: ms_played {text!r} is not a number") from exc

    ms = [ms_of(r) for r in rows]
    spotify = [i for i, r in enumerate(rows) if r[col["time_is"]].strip().lower() == "end"]
    shows = podcast_shows([(rows[i][col["artist"]], ms[i]) for i in spotify])
    plays: list[_Play] = []
    dropped = podcasts = 0
    persons = Counter()
    for r, m in zip(rows, ms):
        artist, title = r[col["artist"]], r[col["track"]]
        time_is = r[col["time_is"]].strip().lower()
        if time_is not in ("start", "end"):
            raise LogFormatError(f"{path}: time_is must be 'start' or 'end', got {r[col['time_is']]!r}")
        if time_is == "end" and artist in shows:
            podcasts += 1
            continue
        key = match_key(artist, title)
        if key is None:
            dropped += 1
            continue
        t = _timestamp(r[col["time"]])
        if time_is == "end":
            if not np.isfinite(m):
                raise LogFormatError(f"{path}: an end time without ms_played cannot give a start time")
            t -= m / 1000.0
        flag = r[col["skipped"]].strip().lower()
        skipped = flag == "true" or (np.isfinite(m) and m < EARLY_SKIP_MS)
        persons[r[col["person"]]] += 1
        plays.append(_Play(t, key, normalize_name(artist), r[col["album"]].strip() or None, m, skipped))
    person = persons.most_common(1)[0][0] if persons else None
    return _build(plays, dropped, podcasts=podcasts, person=person, last_listened=last_listened)


def load_log_file(path: str | Path, *, user: str | None = None, last_listened: int | None = None) -> ListeningLog:
    """Read a listening log: the shared people's format, Last.fm 1K (6 columns) or
    ``time \\t artist \\t title``; plain or gzipped.

    A Last.fm file may hold several users: ``user`` picks one, else the user with
    the most rows is taken (a personal log is one person's). ``last_listened`` keeps
    only the latest that many listened plays (and the skips between them).
    """
    path = Path(path)
    raw = _read_rows(path)
    if not raw:
        raise LogFormatError(f"{path}: no rows")
    head = [h.strip().lower() for h in raw[0]]
    if head[:2] == ["person", "time"]:
        return _people_log(path, raw, last_listened)
    widths = Counter(len(r) for r in raw)
    if set(widths) == {6}:
        users = Counter(r[0] for r in raw)
        pick = user or users.most_common(1)[0][0]
        if pick not in users:
            raise LogFormatError(f"{path}: no rows for user {pick!r}")
        log = play_log_from_rows((r[1], r[3], r[5]) for r in raw if r[0] == pick)
    elif set(widths) == {3}:
        try:
            float(raw[0][0])
        except ValueError:
            raw = raw[1:] if raw[0][0].lower() in {"time", "timestamp", "started_at"} else raw
        log = play_log_from_rows(raw)
    else:
        raise LogFormatError(f"{path}: expected the people's header, 6 (Last.fm 1K) or 3 tab-separated "
                             f"columns, got widths {dict(widths)}")
    return last_plays(log, last_listened) if last_listened is not None else log


def last_plays(log: ListeningLog, n: int) -> ListeningLog:
    """The latest ``n`` listened plays of ``log`` and the skips among them, items renumbered."""
    plays = [_Play(float(t), log.keys[i], log.artists[log.item_artist[i]] if log.item_artist[i] >= 0 else None,
                   log.item_album[i], float(m), bool(s))
             for t, i, m, s in zip(log.times, log.items, log.ms_played, log.skipped)]
    return _build(plays, log.dropped, podcasts=log.podcasts, person=log.person, last_listened=n)


def drop_repeats(items: Sequence[int]) -> np.ndarray:
    """Keep only the first play of each item within one session (order preserved)."""
    seen: set[int] = set()
    keep = [i for i in items if not (i in seen or seen.add(i))]
    return np.asarray(keep, dtype=np.int64)
