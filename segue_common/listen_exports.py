"""Listening histories that other services export, read into one shape: :class:`Listen`.

People arrive with years of listening in a file: Spotify's account data
(``StreamingHistory*.json``: end minute, ms played), Spotify's extended history
(``Streaming_History_Audio_*.json``: end second, ms played, skipped, why it ended,
podcast and audiobook rows), Last.fm CSVs (headerless ``artist,album,track,date`` or
any header that names an artist, a track or title and a time) and ListenBrainz
exports (a JSON array, or JSON lines, or the zip of ``listens/<year>/<month>.jsonl``
files its export page gives). :func:`read_export` tells the format from the content,
not the file name, and returns every row it could read plus a reason for each row it
could not, so nothing is dropped silently.

Times are unix seconds. The services write UTC; a time without a zone is taken as
UTC. ``started_at`` is when the play started: Spotify writes when it ended, so there
it is the end minus the milliseconds played, or in the extended history the row's own
start (``offline_timestamp``), which also counts the time the play was paused. No
database, no Qt: the app's importer and the recommender's evaluation both read exports
through this module.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import lzma
import os
import re
import zipfile
import zlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from segue_common.regular_file import open_regular_stream

#: ``progress(done, total, stage)``: how far reading a file got (see :func:`read_export`).
Progress = Callable[[int, int, str], None]

#: Formats :func:`read_export` recognises (``Export.format``).
FORMATS = ("spotify", "spotify_extended", "lastfm_csv", "csv", "listenbrainz")
#: Each format as the person knows it.
FORMAT_NAMES = {"spotify": "Spotify (account data)", "spotify_extended": "Spotify (extended history)",
                "lastfm_csv": "Last.fm", "csv": "CSV", "listenbrainz": "ListenBrainz",
                "segue": "Segue (its own export)"}
#: What a row holds: only music is matched to tracks.
KINDS = ("music", "podcast", "audiobook")
#: Why a Last.fm row with no date is no play: its exporters write the song playing as they
#: ran (Last.fm's "now playing", not scrobbled yet) at the top of each page of scrobbles.
NOW_PLAYING = "the song playing as the file was made (not scrobbled yet, so no time)"


class ExportFormatError(ValueError):
    """A file that is not a listening history this module can read (the message says why)."""


class UnreadableExportError(ExportFormatError):
    """A history export, or a zip that may hold one, that cannot be read whole: damaged,
    cut short, or packed in a way this module cannot open (the message says which).
    Unlike other format errors it is worth telling the person even about a file they did
    not pick by name, in a folder."""


@dataclass(slots=True)
class Listen:
    """One row of an export.

    ``time_written`` is the time as the file gives it (start or end, ``written_at_end``
    says which), used with the names and ``ms_played`` to recognise the same row again;
    ``line`` is its row or line number in the file (1-based) for messages.
    """

    artist: str
    title: str
    started_at: float
    album: str | None = None
    ms_played: int | None = None
    duration_ms: int | None = None
    skipped: bool | None = None
    reason_end: str | None = None
    kind: str = "music"
    time_written: float | None = None
    line: int = 0
    written_at_end: bool = False
    #: Why it started, where the file says (Spotify's extended history): a row begun as the
    #: app came back, or as another device took over, may go on with the play before it.
    reason_start: str | None = None
    #: Played in a private session (Spotify's ``incognito_mode``): the person asked that it
    #: shape no suggestions.
    private: bool = False

    @property
    def ended_at(self) -> float | None:
        """When the play ended, where the file writes the end (Spotify's exports), else None."""
        return self.time_written if self.written_at_end else None

    @property
    def unpaused_start(self) -> float:
        """The start as the end minus the time heard, as if the play was never paused.

        Spotify's account data can only give this (and so can other exports of the same
        play that lack the real start): another file's row of the same play is recognised
        by it as well as by ``started_at``."""
        if self.written_at_end and self.time_written is not None:
            return self.time_written - (self.ms_played or 0) / 1000.0
        return self.started_at

    @property
    def fingerprint(self) -> str:
        """A stable id of this row: the same row in the same (or a renamed) file gives the same id.

        Spotify's account data names no album and writes the end to the minute: the extended
        history's row of the same play, of a song it names no album of either and ended on a
        whole minute, says the same. It also says how the play ended, which the account data
        never does: that mark keeps the two apart, so the richer row is not taken for a row
        imported before (it teaches the account data's row its skip)."""
        when = self.time_written if self.time_written is not None else self.started_at
        fields = [self.artist, self.title, self.album or "", str(int(round(when))),
                  "" if self.ms_played is None else str(int(self.ms_played))]
        if self.written_at_end and not self.album and (self.skipped is not None or self.reason_end is not None):
            fields.append("ended")
        text = "\x1f".join(fields)
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class Export:
    """What :func:`read_export` read: the rows, in file order, and the rows it could not use."""

    format: str
    listens: list[Listen] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)   # (line, reason)
    #: SHA-256 of the file's bytes, hashed as they were read (see :func:`read_export`).
    sha256: str = ""

    @property
    def rows(self) -> int:
        """Rows seen: read plus unreadable."""
        return len(self.listens) + len(self.problems)


# -- how far a read got ------------------------------------------------------------------
class _Meter:
    """How far reading one file got, in bytes of the file, told to ``progress`` at each
    :data:`_STEP` more of it, or each hundredth of the part read now, whichever comes first
    (and at each :meth:`check`). What ``progress`` raises (a stop) ends the read and goes on
    up. A zip's members are read one after another: ``base`` and ``span`` are the bytes of
    the zip that the member read now stands for (packed small, it is read a hundredth at a
    time all the same)."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total = progress, max(total, 1)
        self.done = self.told = 0
        self.part(0, self.total)

    def part(self, base: int, span: int) -> None:
        self.base, self.span = base, span
        self.step = max(1, min(_STEP, span // 100))

    def at(self, fraction: float) -> None:
        """``fraction`` of the part read now is read. Never back: a CSV that began like
        JSON is read again as a CSV, the bar waits where it was."""
        self.done = max(self.done, self.base + int(self.span * min(max(fraction, 0.0), 1.0)))
        if self.done - self.told >= self.step:
            self.check()

    def check(self) -> None:
        """Tell how far it got now: a stop asked meanwhile is heard."""
        self.told = self.done
        self.progress(self.done, self.total, "Reading")


#: Bytes of a file between two reports of how far its read got: a 150 MB history is read in
#: about 5 s, so a report about every 35 ms, a hundred in all at most.
_STEP = 1 << 20
#: Rows read between two looks at how far the read got (a look costs little; this keeps it so).
_ROWS_PER_LOOK = 256
#: The meter of the read going on in this thread, None where nobody asked (see read_export):
#: the readers of each format report to it without each passing it on.
_meter: ContextVar[_Meter | None] = ContextVar("listen_export_meter", default=None)


def _read_so_far(done: int, total: int) -> None:
    """``done`` of ``total`` (characters or rows) of the text read now are read."""
    meter = _meter.get()
    if meter is not None and total:
        meter.at(done / total)


# -- times ---------------------------------------------------------------------------
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# "20 Nov 2020 09:35", "22 Feb 2026, 11:50", "20 November 2020 09:35:12" (Last.fm's exporters).
_DAY_MONTH_YEAR = re.compile(
    r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_NUMBER = re.compile(r"\d{9,13}(\.\d*)?")
# Dates as a spreadsheet rewrites them: "20.11.2020 09:35", "20/11/2020 9:35", "11/20/2020 9:35".
_NUMERIC_DATE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}),?[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_UTC_SUFFIX = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/\d{4}\b")
_AM_PM = re.compile(r"\s*([AaPp])\.?\s?[Mm]\.?$")      # "9:35 PM", as US spreadsheets write times


def day_first(values) -> bool:
    """Whether the slashed dates among ``values`` put the day first ("20/11/2020") or the
    month ("11/20/2020"), as one file writes all of them: a first number over 12 says the
    day, a second over 12 the month; the day where nothing tells (most of the world)."""
    for value in values:
        m = _SLASHED_DATE.match(str(value).strip())          # (a date alone, or with its time)
        if m:
            if int(m.group(1)) > 12:
                return True
            if int(m.group(2)) > 12:
                return False
    return True


def parse_time(value, *, day_first_slashes: bool = True) -> float | None:
    """Unix seconds from a unix time (seconds or milliseconds), an ISO 8601 time, a
    Last.fm-style ``"20 Nov 2020 09:35"`` or a date as a spreadsheet writes it (``"20.11.2020
    09:35"``, ``"20/11/2020 09:35"``: day first unless ``day_first_slashes`` is False, see
    :func:`day_first`); a trailing "UTC" is allowed. None when ``value`` is empty or not a time.

    >>> parse_time("1771761015"), parse_time("2021-08-24 17:10"), parse_time("20 Nov 2020 09:35")
    (1771761015.0, 1629825000.0, 1605864900.0)
    >>> parse_time("20.11.2020 09:35"), parse_time("11/20/2020 9:35", day_first_slashes=False)
    (1605864900.0, 1605864900.0)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        return seconds / 1000.0 if seconds > 1e11 else (seconds if seconds > 0 else None)
    text = _UTC_SUFFIX.sub("", str(value).strip())
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return parse_time(float(text))
    ampm = _AM_PM.search(text)
    if ampm:
        text, pm = text[:ampm.start()], ampm.group(1).lower() == "p"

    def hour(h: int) -> int:
        if not ampm:
            return h
        if not 1 <= h <= 12:
            return 99                        # "13:00 PM": no time (datetime refuses it)
        return h % 12 + (12 if pm else 0)

    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        a, sep, b = int(m.group(1)), m.group(2), int(m.group(3))
        if sep != "/" or a > 12:
            day, month = a, b
        elif b > 12:
            day, month = b, a
        else:
            day, month = (a, b) if day_first_slashes else (b, a)
        try:
            dt = datetime(int(m.group(4)), month, day, hour(int(m.group(5))), int(m.group(6)), int(m.group(7) or 0),
                          tzinfo=timezone.utc)
        except ValueError:
            return None
        return dt.timestamp()
    # Month names are matched here, not by strptime's %b, which follows the
    # process locale (Qt sets it from the desktop: "Mai" would not parse).
    m = _DAY_MONTH_YEAR.fullmatch(text)
    if m:
        month = _MONTHS.get(m.group(2).lower())
        if month is None:
            return None
        try:
            dt = datetime(int(m.group(3)), month, int(m.group(1)), hour(int(m.group(4))), int(m.group(5)),
                          int(m.group(6) or 0), tzinfo=timezone.utc)
        except ValueError:
            return None
        return dt.timestamp()
    try:
        dt = datetime.fromisoformat(text.replace("/", "-"))
        if ampm:
            dt = dt.replace(hour=hour(dt.hour))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _int(value) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):       # (1e400 is infinite)
        return None


#: The longest time heard taken for one play: two days (an audiobook or a mix left
#: running is real; a value past this is a broken one, and would count as years heard).
MAX_HEARD_MS = 2 * 24 * 3600 * 1000


def _ms(value) -> int | None:
    """A time heard or a length in milliseconds; None where the row gives none. ValueError
    for one that cannot be (below 0, over :data:`MAX_HEARD_MS`, not a number)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        # ("200,000" or "200 000" as a spreadsheet writes a whole number of milliseconds)
        number = float(re.sub(r"(?<=\d)[,\s_](?=\d{3}\b)", "", value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"a time heard of {str(value)[:20]!r} ms is not a number") from None
    if not 0 <= number <= MAX_HEARD_MS:      # NaN fails this too
        raise ValueError(f"a time heard of {str(value)[:20]} ms is not possible")
    return int(number)


def _length_ms(value) -> int | None:
    """A track's length in milliseconds, a hint only: None where it is missing or cannot be."""
    try:
        return _ms(value)
    except ValueError:
        return None


def _bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


# -- Spotify -------------------------------------------------------------------------
def _spotify_row(row: dict, line: int) -> Listen | str:
    """A row of account data (``StreamingHistory*.json``): music or podcast."""
    try:
        ms = _ms(row.get("msPlayed"))
    except ValueError as exc:
        return str(exc)
    end = parse_time(row.get("endTime"))
    if end is None:
        return "no time"
    if "episodeName" in row or "podcastName" in row:
        artist, title, kind = _text(row.get("podcastName")), _text(row.get("episodeName")), "podcast"
    else:
        artist, title, kind = _text(row.get("artistName")), _text(row.get("trackName")), "music"
    if not artist or not title:
        return "no artist or title"
    return Listen(artist, title, end - (ms or 0) / 1000.0, ms_played=ms, kind=kind,
                  time_written=end, line=line, written_at_end=True)


#: An ``offline_timestamp`` further than this before the end is taken for a broken value,
#: not a play: a track left paused for a day or two, or played offline and synced a week
#: later, is real; one that started months before it ended is not.
MAX_PAUSE_S = 30 * 24 * 3600.0


def _unix_seconds(value) -> float | None:
    """Unix seconds from a number in seconds, milliseconds or microseconds (Spotify has
    written ``offline_timestamp`` in each); None for 0, null or anything not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number > 0:                       # 0 means none; NaN fails this too
        return None
    for scale in (1.0, 1e3, 1e6):
        if number / scale < 1e11:           # 1e11 s is the year 5138: a larger number is a finer unit
            return number / scale
    return None


def _extended_start(end: float, ms: int | None, offline) -> float:
    """When a play of the extended history started.

    ``ts`` is when it ended and ``ms_played`` how long it was heard, which leaves out
    any pause: ``ts - ms_played`` is then late, by as long as it was paused. The row's
    ``offline_timestamp`` is when it started. It is used where it is plausible: not after
    the end, not more than :data:`MAX_PAUSE_S` before it, and earlier than ``ts -
    ms_played`` by a second or more (where the two agree, the latter keeps its
    milliseconds). A start later than ``ts - ms_played`` would mean more was heard than
    the time that passed: the device's clock was wrong, and the end and the time
    heard are kept.
    """
    heard_from = end - (ms or 0) / 1000.0
    started = _unix_seconds(offline)
    if started is None or started > end or end - started > MAX_PAUSE_S or started > heard_from - 1.0:
        return heard_from
    return started


def _spotify_extended_row(row: dict, line: int) -> Listen | str:
    """A row of the extended history: music, podcast episode or audiobook chapter."""
    try:
        ms = _ms(row.get("ms_played"))
    except ValueError as exc:
        return str(exc)
    end = parse_time(row.get("ts"))
    if end is None:
        return "no time"
    if row.get("episode_name") or row.get("spotify_episode_uri"):
        artist, title, kind = _text(row.get("episode_show_name")), _text(row.get("episode_name")), "podcast"
    elif row.get("audiobook_title") or row.get("audiobook_uri") or row.get("audiobook_chapter_uri"):
        artist = _text(row.get("audiobook_title"))
        title, kind = _text(row.get("audiobook_chapter_title")) or artist, "audiobook"
    else:
        artist = _text(row.get("master_metadata_album_artist_name"))
        title, kind = _text(row.get("master_metadata_track_name")), "music"
    if not artist or not title:
        return "no artist or title"
    return Listen(artist, title, _extended_start(end, ms, row.get("offline_timestamp")),
                  album=_text(row.get("master_metadata_album_album_name")) or None, ms_played=ms,
                  skipped=_bool(row.get("skipped")), reason_end=_text(row.get("reason_end")) or None,
                  kind=kind, time_written=end, line=line, written_at_end=True,
                  reason_start=_text(row.get("reason_start")) or None,
                  private=_bool(row.get("incognito_mode")) is True)


# -- ListenBrainz ----------------------------------------------------------------------
def _listenbrainz_row(row: dict, line: int) -> Listen | str:
    """A listen as ListenBrainz exports it: ``listened_at`` (start, unix seconds) and
    ``track_metadata`` with ``artist_name``, ``track_name``, ``release_name`` and
    ``additional_info`` (``duration_ms`` or ``duration`` in seconds when the player sent it)."""
    meta = row.get("track_metadata") or {}
    when = parse_time(row.get("listened_at"))
    if when is None:
        return "no time"
    artist, title = _text(meta.get("artist_name")), _text(meta.get("track_name"))
    if not artist or not title:
        return "no artist or title"
    info = meta.get("additional_info") or {}
    duration_ms = _length_ms(info.get("duration_ms"))
    if duration_ms is None and _int(info.get("duration")) is not None:
        duration_ms = _length_ms(_int(info.get("duration")) * 1000)
    return Listen(artist, title, when, album=_text(meta.get("release_name")) or None,
                  duration_ms=duration_ms, time_written=when, line=line)


# -- Segue's own exports (segue export plays / imports) ----------------------------------
#: Why a row that goes on with the play before it began, as Spotify writes it (the app
#: loaded again): what a row Segue exported as a later stretch of a song is read as.
_GOES_ON = "appload"
#: How a play Segue exported ended, as the services say it: ``(skipped, reason_end)``.
_SEGUE_ENDED = {"finished": (False, "trackdone"), "skipped": (True, "fwdbtn"), "stopped": (False, "endplay"),
                "playing": (False, "endplay")}


def _as_ended(ended: str, skipped: bool | None, reason: str | None) -> tuple[bool | None, str | None] | str:
    """``(skipped, reason_end)`` of a row whose ``ended`` says how Segue's play of it ended
    (else as the row gives them), or the row's problem where the play failed: no listen."""
    how = ended.lower()
    if how == "error":
        return "a song that could not be played, not a listen"
    return _SEGUE_ENDED.get(how, (skipped, reason))


def _segue_row(row: dict, line: int) -> Listen | str:
    """A play as ``segue export plays --format json`` writes it, or an imported row as
    ``segue export imports --format json`` does: moving a history to another library."""
    when = parse_time(row.get("started_at"))
    if when is None:
        return "no time"
    artist, title = _text(row.get("artist")), _text(row.get("title"))
    if not artist or not title:
        return "no artist or title"
    try:
        ms = _ms(row.get("ms_heard", row.get("ms_played")))
    except ValueError as exc:
        return str(exc)
    ended = _as_ended(_text(row.get("ended")), _bool(row.get("skipped")), _text(row.get("reason_end")) or None)
    if isinstance(ended, str):
        return ended
    skipped, reason = ended
    return Listen(artist, title, when, album=_text(row.get("album")) or None, ms_played=ms,
                  duration_ms=_length_ms(row.get("track_ms", row.get("duration_ms"))), skipped=skipped,
                  reason_end=reason, time_written=when, line=line,
                  reason_start=_GOES_ON if row.get("stretch_of") not in (None, "") else None)


# -- CSV ---------------------------------------------------------------------------------
def _column_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


_ARTIST = ("artist", "artistname", "creator", "performer", "albumartist")
_TITLE = ("track", "title", "trackname", "song", "songname", "songtitle", "tracktitle", "name", "recording")
_ALBUM = ("album", "albumname", "release", "releasename", "albumtitle")
# Unix times first: a Last.fm CSV with "uts" and "utc_time" is exact to the second in "uts".
_TIME = ("uts", "timestamp", "unixtime", "listenedat", "playedat", "scrobbledat", "startedat", "time", "date",
         "datetime", "utctime", "startedutc", "ts", "endtime", "endedat", "when", "start", "starttime")
_MS = ("msplayed", "mselapsed", "playedms", "msheard")
_DURATION_MS = ("durationms", "lengthms", "trackms")


def _pick(keys: list[str], wanted: tuple[str, ...]) -> int | None:
    for w in wanted:
        if w in keys:
            return keys.index(w)
    return None


class _BadRow(list):
    """A line of a CSV that cannot be a row: ``why`` says so."""

    def __init__(self, why: str):
        super().__init__()
        self.why = why


def _delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of fields most often
    (a title holding "|" or ";" on the first line does not decide it; the sniffer gives
    up on ragged rows); a comma where others do no better."""
    head = list(itertools.islice(io.StringIO(text), 20))

    def fields(raw: str, d: str) -> int:
        try:
            return len(next(csv.reader([raw], delimiter=d), []))
        except csv.Error:
            return 0

    def score(d: str) -> tuple:
        counts = [fields(raw, d) for raw in head]
        common = max(set(counts), key=counts.count) if counts else 0
        return (common > 1, counts.count(common) if common > 1 else 0, common, d == ",")

    return max(",;\t|", key=score)


def _csv_records(text: str, delimiter: str):
    """The rows of a CSV, one per line of it wherever a quotation mark opened on a line is
    left open: that line is a :class:`_BadRow`, and the lines the field would have run on to
    are rows of their own. (A mark left open would otherwise swallow the rows after it up
    to the next mark, or to the end of the file.) A field quoted as it should be that holds
    a line break stays one (its closing mark is the odd one out on its last line, where a
    mark left open was closed by the first of a pair), and an empty row stands for each
    line it took beyond the first, so that rows keep their line numbers."""
    lines = io.StringIO(text).readlines()          # ended by "\n" only, as the csv module reads them
    source = iter(lines)
    taken = 0

    def alone(raw: str) -> list:
        try:
            return next(csv.reader([raw], delimiter=delimiter), [])
        except csv.Error as exc:
            return _BadRow(str(exc))

    n = 0
    while True:
        n += 1
        if n % _ROWS_PER_LOOK == 0:
            _read_so_far(taken, 2 * len(lines))     # (the first half of reading a CSV; see _csv_rows)
        reader = csv.reader(source, delimiter=delimiter)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A line the module cannot read (a NUL in it), or a field run past its limit.
            if reader.line_num <= 1:
                yield _BadRow("a quotation mark left open" if "field limit" in str(exc) else str(exc))
                taken += 1
                continue
            row = None
        span = lines[taken:taken + reader.line_num]
        taken += reader.line_num
        if row is not None and (len(span) == 1 or span[-1].count('"') % 2):
            yield row
            yield from ([] for _ in span[1:])
            continue
        yield _BadRow("a quotation mark left open")
        yield from (alone(raw) for raw in span[1:])


def _read_csv(text: str, *, what: str) -> Export:
    return _read_csv_rows(_csv_records(text, _delimiter(text)))


def _read_csv_rows(rows) -> Export:
    first = next(rows, None)
    if first is None:
        raise ExportFormatError("the file is empty")
    keys = [_column_key(c) for c in first]
    artist, title = _pick(keys, _ARTIST), _pick(keys, _TITLE)
    # A first row with a time in its last field is a play, whatever its names look like:
    # Last.fm's headerless export of "Artist 4,Album 1,Song 16,14 Nov 2023 22:19" was read
    # as a header (artist, song) naming no time, and the whole file refused.
    # (An empty last field too: a "now playing" row, which Last.fm writes without a time.)
    played = len(first) == 4 and first[0].strip() and first[2].strip() and (
        not first[3].strip() or parse_time(first[3]) is not None)
    if artist is not None and title is not None and not played:
        return _csv_with_header(first, keys, rows, artist, title)
    if played:
        # Last.fm's headerless export: artist, album, track, date.
        return _csv_rows(itertools.chain([first], rows), "lastfm_csv", artist=0, album=1, title=2,
                         times=[3], start_line=1)
    raise ExportFormatError(
        "this file has no header naming an artist, a track (or title) and a time, and is not "
        "Last.fm's artist,album,track,date export")


def _csv_with_header(header: list[str], keys: list[str], rows, artist: int, title: int) -> Export:
    times = [keys.index(w) for w in _TIME if w in keys]
    if not times:
        raise ExportFormatError(f"the CSV header names no time column (it has: {', '.join(header)})")
    fmt = "lastfm_csv" if "uts" in keys or "utctime" in keys else "csv"
    ends = {i for i in times if keys[i] in ("endtime", "endedat", "ts")}
    # A day in one column and the time of day in another ("date", "time"): read together,
    # or every play of a day would be at its midnight, and a song played twice that day once.
    split = (keys.index("date"), keys.index("time")) if "date" in keys and "time" in keys else None
    if "startedat" in keys and "ended" in keys:
        fmt = "segue"                   # Segue's own export of its plays (segue export plays)
    return _csv_rows(rows, fmt, artist=artist, album=_pick(keys, _ALBUM), title=title, times=times, split=split,
                     ended=_pick(keys, ("ended",)), stretch=_pick(keys, ("stretchof",)),
                     ms=_pick(keys, _MS), duration_ms=_pick(keys, _DURATION_MS), skipped=_pick(keys, ("skipped",)),
                     reason=_pick(keys, ("reasonend",)), time_is=_pick(keys, ("timeis",)), ends=ends,
                     start_line=2)


def _csv_rows(rows, fmt: str, *, artist: int, album: int | None, title: int, times: list[int],
              ms: int | None = None, duration_ms: int | None = None, skipped: int | None = None,
              reason: int | None = None, time_is: int | None = None, ends: set[int] = frozenset(),
              split: tuple[int, int] | None = None, ended: int | None = None, stretch: int | None = None,
              start_line: int) -> Export:
    """``split``: the columns of a date and of a time of day, read as one time where
    neither holds a whole time of its own. ``ended``: how each play ended, as Segue
    exports its plays (finished, skipped, stopped; one that failed was no listen).
    ``stretch``: the row a row goes on with, as Segue exports imported rows (a song heard
    in stretches): read as the service wrote it, it joins that play again."""
    out = Export(fmt)

    def cell(row, i):
        return row[i].strip() if i is not None and i < len(row) else ""

    rows = list(rows)
    order = day_first(cell(row, i) for row in rows for i in times)
    for line, row in enumerate(rows, start_line):
        if line % _ROWS_PER_LOOK == 0:
            # (the second half: the first was splitting the lines into rows)
            _read_so_far(len(rows) + line - start_line, 2 * len(rows))
        if isinstance(row, _BadRow):
            out.problems.append((line, row.why))
            continue
        if not any(c.strip() for c in row):
            continue
        a, t = cell(row, artist), cell(row, title)
        if not a or not t:
            out.problems.append((line, "no artist or title"))
            continue
        when, col = None, None
        for i in times:                      # the first time column that holds a time on this row
            when = parse_time(cell(row, i), day_first_slashes=order)
            if when is not None:
                col = i
                break
        if split is not None and parse_time(cell(row, split[1]), day_first_slashes=order) is None:
            day, hour = cell(row, split[0]), cell(row, split[1])
            joined = parse_time(f"{day} {hour}", day_first_slashes=order) if day and hour else None
            if joined is not None:
                when, col = joined, split[0]
        if when is None:
            now_playing = fmt == "lastfm_csv" and not any(cell(row, i) for i in times)
            out.problems.append((line, NOW_PLAYING if now_playing else "no time"))
            continue
        try:
            played = _ms(cell(row, ms))
        except ValueError as exc:
            out.problems.append((line, str(exc)))
            continue
        is_end = col in ends or cell(row, time_is).lower() == "end"
        start = when - (played or 0) / 1000.0 if is_end else when
        how = _as_ended(cell(row, ended), _bool(cell(row, skipped)), cell(row, reason) or None)
        if isinstance(how, str):
            out.problems.append((line, how))
            continue
        was_skipped, why = how
        out.listens.append(Listen(a, t, start, album=cell(row, album) or None, ms_played=played,
                                  duration_ms=_length_ms(cell(row, duration_ms)), skipped=was_skipped,
                                  reason_end=why, time_written=when, line=line, written_at_end=is_end,
                                  reason_start=_GOES_ON if cell(row, stretch) else None))
    return out


# -- JSON --------------------------------------------------------------------------------
def _json_format(keys: set) -> tuple[str, Callable] | None:
    """``(format, row reader)`` of JSON rows with these keys, or None for rows of no history."""
    if "ms_played" in keys and "ts" in keys:
        return "spotify_extended", _spotify_extended_row
    if "endTime" in keys and "msPlayed" in keys:
        return "spotify", _spotify_row
    if "listened_at" in keys and "track_metadata" in keys:
        return "listenbrainz", _listenbrainz_row
    if "started_at" in keys and ("ms_heard" in keys or "ms_played" in keys):
        return "segue", _segue_row
    return None


def _history_before_damage(text: str) -> bool | None:
    """Whether the whole rows of the JSON array ``text`` before the place it breaks are rows
    of a listening history (True) or of something else (False); None when no row is whole."""
    if not text.startswith("["):
        return None
    decode, blank = json.JSONDecoder().raw_decode, json.decoder.WHITESPACE.match
    keys: set = set()
    at, n = 1, 0
    try:
        while n < 50:
            row, at = decode(text, blank(text, at).end())
            if isinstance(row, dict):
                keys |= row.keys()
                n += 1
            at = blank(text, at).end()
            if not text.startswith(",", at):
                break
            at += 1
    except json.JSONDecodeError:
        pass
    return None if n == 0 else _json_format(keys) is not None


def _json_records(records, *, what: str) -> Export:
    """Row objects (a list, or an iterator read once): which service wrote them is told by
    the first rows' keys."""
    records = iter(records)
    head, dicts = [], []            # the rows read to find the first 50 objects
    for record in records:
        head.append(record)
        if isinstance(record, dict):
            dicts.append(record)
            if len(dicts) == 50:
                break
    if not dicts:
        raise ExportFormatError(f"{what} holds no listening rows")
    keys = set().union(*(r.keys() for r in dicts))
    del dicts
    records = itertools.chain(head, records)
    del head
    got = _json_format(keys)
    if got is None:
        raise ExportFormatError(
            f"{what} is JSON but not a Spotify or ListenBrainz listening history "
            f"(its rows have: {', '.join(sorted(keys)[:8])})")
    fmt, parse = got
    out = Export(fmt)
    for line, record in enumerate(records, 1):
        got = parse(record, line) if isinstance(record, dict) else "not an object"
        if isinstance(got, Listen):
            out.listens.append(got)
        else:
            out.problems.append((line, got))
    return out


def _json_rows(text: str):
    """The elements of the JSON array ``text``, parsed one at a time as they are asked for.

    Reading is done on a worker of the window's process, and one ``json.loads`` holds
    Python's lock for as long as it parses (and freeing all it made at once holds it
    again): with 20,000 rows of Spotify history (15 MB) the window froze for 80-110 ms.
    Between elements the lock is let go as for any Python code, and each row is freed once
    it is read. Where the text is no valid JSON array, ``json.loads`` raises its error (with
    its place), or gives what it holds when that is no array."""
    if not text.startswith("["):
        yield from _as_rows(json.loads(text))
        return
    decode, blank = json.JSONDecoder().raw_decode, json.decoder.WHITESPACE.match
    try:
        at = blank(text, 1).end()
        if text.startswith("]", at):
            at += 1
        else:
            n = 0
            while True:
                row, at = decode(text, at)
                yield row
                n += 1
                if n % _ROWS_PER_LOOK == 0:
                    _read_so_far(at, len(text))
                at = blank(text, at).end()
                if text.startswith(",", at):
                    at = blank(text, at + 1).end()
                elif text.startswith("]", at):
                    at += 1
                    break
                else:
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
        if blank(text, at).end() != len(text):
            raise json.JSONDecodeError("Extra data", text, at)
    except json.JSONDecodeError:
        json.loads(text)            # its own error, with its own words and place
        raise


def _as_rows(data) -> list:
    """The rows of a parsed JSON document: a list, or a ListenBrainz API page
    (``{"payload": {"listens": [...]}}``) or one listen."""
    if isinstance(data, dict):
        payload = data.get("payload") if isinstance(data.get("payload"), dict) else data
        data = payload.get("listens", [data])
    if not isinstance(data, list):
        raise _NoList
    return data


class _NoList(Exception):
    """JSON that holds no list of listens."""


def _read_json(text: str, *, what: str) -> Export:
    stripped = text.lstrip()
    try:
        return _json_records(_json_rows(stripped), what=what)
    except json.JSONDecodeError as exc:
        if stripped.startswith("{"):            # JSON lines: one listen per line
            return _read_jsonl(stripped, what=what)
        # Cut short, the text ends inside a row: where the cut fell in a name or a time (most
        # of a history's text), the decoder names the start of that open string, not the end.
        cut = exc.pos >= len(stripped.rstrip()) or exc.msg.startswith("Unterminated string")
        # What the rows before the damage are decides whether the file was a history: one is
        # told, not passed over in a download folder and its plays lost, however it broke (a
        # copy broken off leaves a tail of NUL bytes, a hand edit a stray comma); a download's
        # other files (search queries, playlists) cut short are still no history.
        history = _history_before_damage(stripped)
        if history or (history is None and cut):
            why = "it ends in the middle: cut short?" if cut else "it is damaged there:"
            raise UnreadableExportError(f"{what} is not valid JSON: {exc} ({why} download it again)") from None
        raise ExportFormatError(f"{what} is not valid JSON: {exc}") from None
    except _NoList:
        raise ExportFormatError(f"{what} is JSON but holds no list of listens") from None


def _read_jsonl(text: str, *, what: str) -> Export:
    records: list = []
    bad: list[tuple[int, str]] = []
    lines = text.splitlines()
    for line, raw in enumerate(lines, 1):
        if line % _ROWS_PER_LOOK == 0:
            _read_so_far(line, len(lines))
        if not raw.strip():
            continue
        try:
            records.append(json.loads(raw))
        except json.JSONDecodeError:
            records.append(None)
            bad.append((line, "not valid JSON"))
    out = _json_records([r if r is not None else {} for r in records], what=what)
    # The placeholders became "no time" rows: report them as what they were.
    lines = {line for line, _ in bad}
    out.problems = [(ln, why) for ln, why in out.problems if ln not in lines] + bad
    return out


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` where the bytes look like UTF-16 text with no
    byte-order mark, else None. A listening history is mostly ASCII (digits, commas,
    dates, keys), which UTF-16 writes as the byte and a NUL: NULs fill one half of the
    byte pairs and are nearly absent from the other."""
    sample = data[:8192]
    sample = sample[:len(sample) - len(sample) % 2]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.5 * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= 0.5 * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode(data: bytes, what: str) -> str:
    """The text of a file: UTF-8 (with or without a byte-order mark), UTF-16 where it has
    a byte-order mark or looks like it, else Windows-1252 (what Excel and older Windows
    tools write in Western Europe), else Latin-1, which reads any bytes.

    UTF-16 is never tried blind: most byte strings of even length decode as UTF-16
    (into nonsense), so a Windows-1252 file would be read as that nonsense."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return data.decode(utf16, errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


_NOT_AN_EXPORT = "is not a listening-history export (a zip, JSON or CSV file from Spotify, Last.fm or ListenBrainz)"
# The first bytes of files people pick by mistake, to say what they picked.
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"ID3", "an MP3 file"), (b"fLaC", "a FLAC file"), (b"OggS", "an Ogg file"),
          (b"RIFF", "a RIFF file (a WAV, AVI or WebP)"), (b"\xd0\xcf\x11\xe0", "an old Office document"),
          (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"))


def _what_binary(data: bytes) -> str | None:
    """What kind of non-text file ``data`` begins like, or None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:8] == b"ftyp":
        return "an MP4 or HEIC file (video, audio or photo)"
    return None


def _looks_binary(text: str) -> bool:
    """Text decoded from binary data: NULs, or control characters beyond the odd stray one."""
    sample = text[:8192]
    controls = sum(1 for c in sample if (c < " " and c not in "\t\n\r\f\v") or "\x7f" <= c <= "\x9f")
    return "\x00" in sample or controls > max(8, len(sample) / 100)


def _read_text(text: str, *, what: str) -> Export:
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        try:
            return _read_json(text, what=what)
        except ExportFormatError as not_json:
            # A CSV whose first row begins with a bracket (Last.fm's headerless export, the
            # newest scrobble by "[Dunkelziffer]"): read as such where it is one.
            if head != "[":
                raise
            try:
                got = _read_csv(text, what=what)
            except (ExportFormatError, UnreadableExportError):
                raise not_json from None
            if not got.listens:
                raise not_json from None
            return got
    if _looks_binary(text):
        raise ExportFormatError(f"{what} {_NOT_AN_EXPORT}: it holds binary data, not text")
    return _read_csv(text, what=what)


def _unpack(archive: zipfile.ZipFile, name: str, zip_name: str) -> bytes | bytearray:
    """One file of a zip; a damaged or unreadable one is an :class:`UnreadableExportError` naming it.
    Where the read is metered, a block at a time with a look between: a member unpacks to
    hundreds of MB in seconds, and a stop asked meanwhile is heard at the next block."""
    meter = _meter.get()
    try:
        if meter is None:
            return archive.read(name)
        data = bytearray()
        with archive.open(name) as member:
            while block := member.read(4 * _STEP):
                data += block
                meter.check()
        return data
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError) as exc:
        raise UnreadableExportError(
            f"{zip_name} is damaged: {name} inside it cannot be unpacked ({exc}); download it again") from None
    except NotImplementedError:
        raise UnreadableExportError(
            f"{zip_name} is packed in a way this version cannot unpack ({name}): unzip it and import "
            "the folder") from None
    except RuntimeError as exc:                 # a password-protected zip
        raise UnreadableExportError(f"{zip_name} cannot be unpacked ({exc}): unzip it and import the folder") from None


def _read_zip(data: bytes | bytearray, path: Path) -> Export:
    """Every history file inside a zip (Spotify's and ListenBrainz's downloads are zips), its
    bytes ``data`` already read from ``path``."""
    parts: list[Export] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = sorted(archive.namelist())
            meter, base = _meter.get(), 0
            for name in names:
                if name.endswith("/") or not name.lower().endswith((".json", ".jsonl", ".csv")):
                    continue
                if meter is not None:
                    # How far: the zip's bytes of the members read, and of this one its share so far.
                    span = archive.getinfo(name).compress_size
                    meter.part(base, span)
                    meter.check()
                    base += span
                try:
                    parts.append(_read_text(_decode(_unpack(archive, name, path.name), name), what=name))
                except UnreadableExportError:
                    raise
                except ExportFormatError:
                    continue                 # user.json, feedback, playlists: not listening history
    except zipfile.BadZipFile as exc:
        raise UnreadableExportError(f"{path.name} is a damaged zip ({exc}); download it again") from None
    if not parts:
        if any(n.startswith("xl/") for n in names):
            raise ExportFormatError(f"{path.name} is an Excel workbook: save it as CSV and import that")
        raise ExportFormatError(f"{path.name} holds no listening history this version can read")
    out = Export(parts[0].format)
    for part in parts:
        out.listens += part.listens
        out.problems += part.problems
    return out


def read_export(path: str | Path, *, progress: Progress | None = None) -> Export:
    """Read a listening-history export; the format is told from the content.

    Raises
    ------
    UnreadableExportError
        The file is an export (or a zip) that is damaged, cut short or cannot be unpacked.
    ExportFormatError
        The file is not a history this module can read; the message says what it found.
    OSError
        The file cannot be read.

    ``progress(done, total, "Reading")``, where given, is told how far the read got in bytes
    of the file (its rows read, which is most of the time: 5 s of 150 MB of Spotify's history,
    where loading its bytes took 0.07 s), often enough that what it raises (a stop) ends the
    read within a fraction of a second; that goes on up.

    The file is read once: ``Export.sha256`` is hashed from the bytes as they are read (a zip's
    too, unpacked from memory), so the hash is of the very bytes imported, with no second pass.
    """
    path = Path(path)
    if progress is None:
        return _read_path(path)
    meter = _Meter(progress, path.stat().st_size)
    token = _meter.set(meter)
    try:
        meter.check()
        export = _read_path(path)
    finally:
        _meter.reset(token)
    meter.done = meter.total
    meter.check()
    return export


def _read_bytes(path: Path) -> tuple[bytes | bytearray, str]:
    """The file's bytes and their SHA-256, hashed block by block as they arrive, a block at a
    time where a read is metered: a stop is heard while a large file loads from a slow disk
    too. (Into one buffer of the file's size: blocks joined would hold the file twice over
    for a moment.)"""
    meter = _meter.get()
    # (not opened the plain way: a named pipe given as the export waited for a writer for
    # ever, and a device such as /dev/zero never ends)
    if meter is None:
        with open_regular_stream(path) as f:
            data = f.read()
        return data, hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open_regular_stream(path) as f:
        data = bytearray(os.fstat(f.fileno()).st_size)
        view, got = memoryview(data), 0
        while got < len(data) and (n := f.readinto(view[got:got + 4 * _STEP])):
            digest.update(view[got:got + n])
            got += n
            meter.check()
        view.release()
        del data[got:]                  # (a file cut shorter meanwhile)
        more = f.read()                 # (or one grown)
        digest.update(more)
        data += more
    return data, digest.hexdigest()


def _read_path(path: Path) -> Export:
    data, digest = _read_bytes(path)
    export = _read_data(data, path)
    export.sha256 = digest
    return export


def _read_data(data: bytes | bytearray, path: Path) -> Export:
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _read_zip(data, path)
    if not data or data.isspace():
        raise ExportFormatError(f"{path.name} is empty")
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableExportError(f"{path.name} is a zip that was cut short or damaged; download it again")
    kind = _what_binary(data)
    if kind is not None:
        raise ExportFormatError(f"{path.name} {_NOT_AN_EXPORT}: it is {kind}")
    return _read_text(_decode(data, path.name), what=path.name)
