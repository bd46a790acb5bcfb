"""Importing another service's listening history: rows become plays of library tracks.

:func:`import_file` reads an export (:mod:`segue_common.listen_exports`), leaves out
podcasts and audiobooks and rows already imported, matches each music row to a library
track (:class:`player.history.match.TrackMatcher`) and stores the file in one
transaction: matched rows become plays with their real time, time heard and skip,
marked as imported; the rest are kept for artists' taste and for songs added later
(:func:`link_unmatched`, which a scan runs). Qt-free: the window runs it on the
database-write thread, ``segue import`` in the terminal.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from player.history.match import TrackMatcher
from player.memory import let_go
# Progress: ``progress(done, total, stage)``; an import's stages are the read's "Reading" (bytes
# of the file), then "Matching" and "Saving" (its rows). What it raises (a stop) ends the import.
from segue_common.listen_exports import (NOW_PLAYING, Export, ExportFormatError, Listen, Progress,
                                          UnreadableExportError, read_export)
from segue_common.listening import EARLIEST, FUTURE_SLACK_S, MIN_LISTEN_MS, play_ending
from segue_common.normalize import bare_title, primary_artist

log = logging.getLogger(__name__)

#: The same song within this many seconds in another file is the same listen
#: (Spotify's two exports, or Last.fm scrobbles of Spotify plays: start times differ
#: by the minute Spotify rounds to and the scrobbler's own clock).
SAME_LISTEN_S = 90.0


#: Spotify's extended history writes one row per stretch of a song heard: closed or cut off
#: mid-song (``reason_end``), the song goes on in a row of its own, begun as the app came
#: back or as another device took the playback over (``reason_start``). Such a row is more
#: of the play before it, not another play of the song.
BROKEN_OFF = ("logout", "remote", "unexpected-exit", "unexpected-exit-while-paused")
GOES_ON = ("appload", "remote")


def shown_progress(done: int, total: int, stage: str) -> tuple[int, int, str]:
    """``(done, total, stage)`` of :data:`Progress` as a person is shown them: bytes read in MB
    (a count of bytes reads as noise, and a file over 2 GB would pass a bar's largest number).
    The whole file read is the whole bar: rounded down, 2.5 MB read would stay at 2 of 3."""
    if stage == "Reading":
        megabytes = max(1, -(-total // 1_000_000))
        return (megabytes if done >= total else done // 1_000_000), megabytes, "Reading (MB)"
    return done, total, stage


@dataclass
class ImportSummary:
    """What importing one file did."""

    name: str
    format: str = ""
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    not_music: int = 0
    private: int = 0                   # songs played in a private session, left out
    too_short: int = 0                 # rows heard for less than MIN_LISTEN_MS: no listen, left out
    duplicates: int = 0
    repeated: int = 0                  # of the duplicates, rows repeating an earlier row of this file
    unreadable: int = 0
    now_playing: int = 0               # Last.fm's rows of the song playing as the file was made
    stretches: int = 0                 # matched rows that go on with another row's play (GOES_ON)
    filled_in: int = 0                 # rows already imported that learned their time heard or skip from this file
    rejoined: int = 0                  # rows already imported, plays of their own, that this file shows are
                                       # stretches of the play before them (GOES_ON), joined to it now
    made_private: int = 0              # rows already imported from a file that did not say they were played
                                       # in a private session (Spotify's account data): no plays now
    problems: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    not_history: bool = False          # the error is that the file holds no listening history

    @property
    def plays(self) -> int:
        """Plays this import made: its matched rows, less those that joined another's play."""
        return self.matched - self.stretches

    @property
    def added(self) -> int:
        """Rows stored by this import (plays plus rows kept for later)."""
        return self.matched + self.unmatched

    def text(self) -> str:
        if self.error:
            return f"{self.name}: not imported: {self.error}"
        parts = [f"{self.plays:,} became plays", f"{self.unmatched:,} not in the library (kept)"]
        if self.stretches:
            parts.insert(1, f"{self.stretches:,} were more of a song heard in stretches")
        if self.not_music:
            parts.append(f"{self.not_music:,} podcasts or audiobooks skipped")
        if self.private:
            parts.append(f"{self.private:,} played in a private session (left out, as Spotify leaves them out "
                         "of its suggestions)")
            if self.made_private:
                parts[-1] = parts[-1][:-1] + (f"; {self.made_private:,} of them imported before from a file that "
                                              "did not say so, no longer plays)")
        if self.too_short:
            parts.append(f"{self.too_short:,} too short to be a listen (under a second heard, left out)")
        parts.append(f"{self.duplicates - self.repeated:,} already imported")
        notes = []
        if self.filled_in:
            notes.append(f"{self.filled_in:,} of them now with the time heard and skips this file gives")
        if self.rejoined:
            notes.append(f"{self.rejoined:,} of them now one play with the stretch of the song before it")
        if notes:
            # (one aside: two in a row read as a stutter)
            parts[-1] += f" ({'; '.join(notes)})"
        if self.repeated:
            parts.append(f"{self.repeated:,} repeating a row above in the file")
        if self.unreadable:
            parts.append(f"{self.unreadable:,} unreadable")
        if self.now_playing:
            parts.append(f"{self.now_playing:,} row{'s' * (self.now_playing != 1)} of {NOW_PLAYING}")
        return f"{self.name}: {self.rows:,} rows: " + ", ".join(parts)


def song_key(artist: str, title: str) -> str:
    """The loosest identity of a song, to recognise one listen in two exports."""
    return f"{primary_artist(artist)}\x1f{bare_title(title, artist)}"


def play_for(listen: Listen, track) -> dict:
    """The play a row becomes on ``track`` (a row with ``id`` and ``duration`` in seconds).

    Time heard is the row's; a scrobble, which does not say, counts as the whole track (a
    scrobble means at least half, or four minutes, was heard). A row is a skip when the
    service says so or less than 30 s was heard; otherwise it finished, or stopped when the
    service says it ended some other way.
    """
    track_ms = int(round(track["duration"] * 1000)) if track["duration"] else listen.duration_ms
    heard = listen.ms_played if listen.ms_played is not None else (listen.duration_ms or track_ms or 0)
    return {"track_id": int(track["id"]), "started_at": float(listen.started_at), "ms_heard": int(heard),
            "track_ms": track_ms, "ended": play_ending(listen.ms_played, listen.skipped, listen.reason_end)}


def _tells_more(listen: Listen, key: str) -> dict | None:
    """What a row already imported from another export (a Last.fm scrobble of the same
    play, which says neither how long it was heard nor whether it was skipped) may learn
    from ``listen``: for :meth:`player.store.Store.add_import`'s ``richer``. ``started_at`` is the
    start of a play the row says was paused (Spotify's extended history), else None."""
    if listen.ms_played is None and listen.skipped is None and listen.reason_end is None:
        return None
    times = (listen.started_at, listen.unpaused_start)
    return {"song_key": key, "from": min(times) - SAME_LISTEN_S, "to": max(times) + SAME_LISTEN_S,
            "at": times, "started_at": listen.started_at if listen.started_at <= listen.unpaused_start - 1.0 else None,
            "ms_played": listen.ms_played,
            "skipped": None if listen.skipped is None else int(listen.skipped),
            "reason_end": listen.reason_end, "ended_at": listen.ended_at}


def _too_short(listen: Listen) -> bool:
    """A row heard for less than :data:`MIN_LISTEN_MS`: no listen, neither a play nor a skip."""
    return listen.ms_played is not None and listen.ms_played < MIN_LISTEN_MS


def _more_of(so_far: Listen, listen: Listen) -> Listen:
    """The play ``so_far`` (a song heard in stretches, as one row) with the stretch ``listen``
    joined: the time heard of both, and the later one's skip and ending."""
    return dataclasses.replace(
        so_far, ms_played=None if so_far.ms_played is None or listen.ms_played is None
        else so_far.ms_played + listen.ms_played, skipped=listen.skipped, reason_end=listen.reason_end)


def _impossible_time(listen: Listen, now: float) -> str | None:
    """Why the row's time cannot be a play's (see :data:`EARLIEST`), or None."""
    if EARLIEST <= listen.started_at <= now + FUTURE_SLACK_S:
        return None
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(listen.started_at))
    if listen.started_at < EARLIEST:
        return f"a time of {when}, before any service kept listening history: a lost time, not a play"
    # This computer's own date is said too: where its clock is the one set wrong (every
    # recent play then looks ahead of it), the person sees it, fixes it and imports again.
    today = time.strftime("%Y-%m-%d", time.gmtime(now))
    return (f"a time of {when}, in the future (this computer's date is {today}): "
            "the clock of the device that played it, or this computer's, was set wrong")


def _listen_row(listen: Listen, fingerprint: str, key: str) -> dict:
    return {"fingerprint": fingerprint, "started_at": listen.started_at, "artist": listen.artist,
            "title": listen.title, "album": listen.album, "artist_key": primary_artist(listen.artist),
            "song_key": key, "ms_played": listen.ms_played, "duration_ms": listen.duration_ms,
            "skipped": None if listen.skipped is None else int(listen.skipped), "reason_end": listen.reason_end,
            "ended_at": listen.ended_at}


def _near(starts, when: float) -> bool:
    """Is there a start within SAME_LISTEN_S of ``when`` in the sorted array ``starts``?"""
    if starts is None or len(starts) == 0:
        return False
    i = bisect.bisect_left(starts, when - SAME_LISTEN_S)
    return i < len(starts) and starts[i] <= when + SAME_LISTEN_S


def _began_near(starts, listen: Listen) -> bool:
    """Whether one of the sorted ``starts`` is within SAME_LISTEN_S of either start of
    ``listen``: a paused play has two, the real one and its end minus the time heard (all
    that Spotify's account data knows of it); another export may give either."""
    return _near(starts, listen.started_at) or _near(starts, listen.unpaused_start)


def _stretches(listens: list[Listen], no_listen: Callable[[Listen], bool] = lambda listen: False) -> dict[int, int]:
    """``row -> first row`` for each row that goes on with the play of the row before it in
    time (see :data:`GOES_ON`), the first row being where that play began. Rows that are no
    listen (``no_listen``) are passed over: whatever Spotify wrote as their reasons, a moment
    the app was open between two stretches neither parts them nor begins a play never stored."""
    order = sorted((i for i, listen in enumerate(listens)
                    if listen.kind == "music" and not listen.private and not no_listen(listen)),
                   key=lambda i: listens[i].time_written if listens[i].time_written is not None
                   else listens[i].started_at)
    first: dict[int, int] = {}
    for before, after in zip(order, order[1:]):
        a, b = listens[before], listens[after]
        if (b.reason_start in GOES_ON and a.reason_end in BROKEN_OFF
                and song_key(a.artist, a.title) == song_key(b.artist, b.title)):
            first[after] = first.get(before, before)
    return first


def _not_read(path: Path, exc: Exception) -> ImportSummary:
    """The summary of a file that could not be read (``exc`` says why)."""
    if isinstance(exc, UnreadableExportError):
        return ImportSummary(path.name, error=str(exc))
    if isinstance(exc, ExportFormatError):
        return ImportSummary(path.name, error=str(exc), not_history=True)
    if isinstance(exc, OSError):
        return ImportSummary(path.name, error=f"cannot read it ({exc.strerror or exc})")
    if isinstance(exc, UnicodeError):
        return ImportSummary(path.name, error=str(exc))
    if isinstance(exc, MemoryError):
        return ImportSummary(path.name, error="it is too large to read")
    log.error("reading %s failed", path, exc_info=exc)       # a fault of the reader's: this file only
    return ImportSummary(path.name, error=f"cannot read it ({type(exc).__name__}: {exc})")


def import_export(store, export: Export, *, name: str, sha256: str = "", matcher: TrackMatcher | None = None,
                  progress: Progress | None = None) -> ImportSummary:
    """Import rows already read from a file (see :func:`import_file`)."""
    t0 = time.perf_counter()
    now = time.time()
    now_playing = sum(why == NOW_PLAYING for _line, why in export.problems)
    summary = ImportSummary(name, export.format, rows=export.rows, unreadable=len(export.problems) - now_playing,
                            now_playing=now_playing)
    problems = list(export.problems)
    tracks = {int(t["id"]): t for t in store.tracks()}
    matcher = matcher or TrackMatcher(tracks.values())
    fingerprints, starts = store.import_index()
    own = store.own_play_starts()
    total = len(export.listens)
    listens: list[dict] = []
    plays: list[dict | None] = []
    seen: set[str] = set()
    cache: dict[tuple, int | None] = {}
    # A song heard in stretches (see GOES_ON) is one listen: each later row is stored naming
    # its first (``joins``), matched or not. Matched, it is one play, its first row's, which
    # the later rows' time heard and ending join; each row is kept, linked to that play.
    # Segue's own export keeps its plays as its player logged them: a library moved to
    # another computer has the same history there, a skip of half a second included.
    no_listen = _too_short if export.format != "segue" else (lambda listen: False)
    goes_on = _stretches(export.listens, no_listen)
    firsts = set(goes_on.values())
    richer: list[dict] = []                # what rows already imported may learn from this file's
    rejoin: list[dict] = []                # rows already imported that this file shows go on with another's play
    private: list[dict] = []               # rows of a private session, perhaps imported already from another export
    place: dict[int, int | None] = {}      # row of the file -> its place in ``listens``, None: already there
    joined: dict[int, Listen] = {}         # place of a first row -> the play so far, as one row
    joins: dict[int, int] = {}
    for n, listen in enumerate(export.listens, 1):
        if progress is not None and n % 500 == 0:
            progress(n, total, "Matching")
        if listen.kind != "music":
            summary.not_music += 1
            continue
        if listen.private:
            # Spotify's private session: the person asked that these plays teach nothing, and
            # what is imported is what Segue's suggestions learn from. Not stored either, so
            # nothing of them stays to be taken out later. The account data, which does not
            # say which plays were private, may have brought the same listen in already: that
            # row is one no more (the store keeps it marked, to give it back if this file goes).
            summary.private += 1
            key = song_key(listen.artist, listen.title)
            if _began_near(starts.get(key), listen):
                times = (listen.started_at, listen.unpaused_start)
                private.append({"song_key": key, "from": min(times) - SAME_LISTEN_S,
                                "to": max(times) + SAME_LISTEN_S, "at": times})
            continue
        if no_listen(listen):
            # Not stored either: no play whatever song it names, now or after a scan adds the song.
            # (A stretch after it still joins its song's play: _stretches passes over it.)
            summary.too_short += 1
            continue
        impossible = _impossible_time(listen, now)
        if impossible is not None:
            summary.unreadable += 1
            problems.append((listen.line, impossible))
            continue
        fp = listen.fingerprint
        key = song_key(listen.artist, listen.title)
        first = goes_on.get(n - 1)
        # A paused play has two starts: the real one, and the end minus the time heard,
        # which is all Spotify's account data can give; another file may have either. The
        # rest of a play whose first stretch is there already (a Last.fm scrobble of it,
        # which stands for the whole song) is there too.
        if (fp in fingerprints or fp in seen or _began_near(starts.get(key), listen)
                or (first is not None and first in place and place[first] is None)):
            summary.duplicates += 1
            summary.repeated += fp in seen and fp not in fingerprints
            place[n - 1] = None
            # The same play from an export that knows more of it (Spotify's time heard and
            # skip, after Last.fm's scrobble): the row there learns it. Not a stretch of a
            # song heard in stretches, whose time heard is only a part.
            more = None if fp in fingerprints or fp in seen or first is not None or n - 1 in firsts \
                else _tells_more(listen, key)
            if more is not None:
                richer.append(more)
            if first is not None and fp not in fingerprints and fp not in seen:
                # A stretch, its play's first stretch there too: from an export that knew nothing
                # of stretches (Spotify's account data), each stored as a play of its own. Joined.
                begun = export.listens[first]
                was, now_at = (begun.started_at, begun.unpaused_start), (listen.started_at, listen.unpaused_start)
                rejoin.append({"song_key": key, "first_at": was, "first_from": min(was) - SAME_LISTEN_S,
                               "first_to": max(was) + SAME_LISTEN_S, "at": now_at, "from": min(now_at) - SAME_LISTEN_S,
                               "to": max(now_at) + SAME_LISTEN_S, "skipped": listen.skipped,
                               "reason_end": listen.reason_end})
            continue
        seen.add(fp)
        names = (listen.artist, listen.title, listen.album, listen.duration_ms)
        if names not in cache:
            cache[names] = matcher.match(listen.artist, listen.title, album=listen.album,
                                         duration_ms=listen.duration_ms)
        track_id = cache[names]
        if track_id is not None and first is None and _began_near(own.get(track_id), listen):
            # A play Segue logged itself: the same listen, heard here.
            summary.duplicates += 1
            place[n - 1] = None
            continue
        place[n - 1] = len(listens)
        listens.append(_listen_row(listen, fp, key))
        play = play_for(listen, tracks[track_id]) if track_id is not None else None
        plays.append(play)
        at = place.get(first) if first is not None else None
        if at is not None:
            joins[len(listens) - 1] = at
        if at is not None and play is not None and plays[at] is not None and plays[at]["track_id"] == play["track_id"]:
            joined[at] = _more_of(joined.get(at) or export.listens[first], listen)
            plays[at] = play_for(joined[at], tracks[track_id])
    summary.problems = sorted(problems, key=lambda p: p[0])[:20]
    summary.matched = sum(p is not None for p in plays)
    summary.unmatched = len(plays) - summary.matched
    if listens or summary.rows:
        if progress is not None:
            # From the start: the store says how far its writing got from here on (not full
            # at once, and then back to the start as the rows were written).
            progress(0, total, "Saving")
        meta = {"name": name, "format": export.format, "sha256": sha256, "rows": summary.rows,
                "matched": summary.matched, "unmatched": summary.unmatched,
                "not_music": summary.not_music + summary.private + summary.too_short,   # (rows not to keep)
                "duplicates": summary.duplicates, "unreadable": summary.unreadable}
        saving = None if progress is None else (lambda done, total: progress(done, total, "Saving"))
        stored = store.add_import(meta, listens, plays, joins=joins, richer=richer, rejoin=rejoin, private=private,
                                  progress=saving)
        # Another import may have stored some of these rows meanwhile: the store's counts are final.
        summary.matched, summary.unmatched = stored["matched"], stored["unmatched"]
        summary.duplicates = stored["duplicates"]
        summary.stretches = stored["stretches"]
        summary.filled_in = stored["filled_in"]
        summary.rejoined = stored["rejoined"]
        summary.made_private = stored["made_private"]
    # A row or two per row of the file, and every track: freed a piece at a time, not in
    # one step of the interpreter as this returns (see let_go).
    let_go(listens, plays, joins, joined, place, cache, seen, fingerprints, starts, tracks, richer, rejoin, private,
           own)
    summary.seconds = time.perf_counter() - t0
    log.info("%s", summary.text())
    return summary


def import_file(store, path: str | Path, *, progress: Progress | None = None,
                matcher: TrackMatcher | None = None) -> ImportSummary:
    """Import one export file into ``store``; a file that cannot be read or stored gives a
    summary with ``error`` set and changes nothing. It never raises for one bad file: the
    other files of a batch are imported whatever this one holds."""
    path = Path(path)
    # ``progress`` is also the caller's way to stop (a window's Cancel, or its closing): what it
    # raises is the caller's, not a fault of this file, and goes on up. Raised while the file is
    # read, or its rows are matched or stored, the store's transaction has not begun or rolls
    # back: nothing of the file is kept.
    stopped: list[BaseException] = []

    def reporting(done: int, total: int, stage: str) -> None:
        try:
            progress(done, total, stage)
        except BaseException as exc:
            stopped.append(exc)
            raise

    try:
        # Reading is seconds of a large file (5 s of 150 MB of Spotify's history): it says how
        # far it got, in bytes of the file, and a stop is heard as it reads. It hashes the bytes
        # it reads: the file is read once, and its hash is of the very bytes imported.
        export = read_export(path, progress=None if progress is None else reporting)
    except Exception as exc:
        if stopped:
            raise
        return _not_read(path, exc)
    try:
        if progress is not None:
            reporting(0, len(export.listens), "Matching")
        summary = import_export(store, export, name=path.name, sha256=export.sha256, matcher=matcher,
                                progress=None if progress is None else reporting)
    except Exception as exc:                  # the store's transaction rolled back: nothing of it is kept
        if stopped:
            raise
        from player.failures import describe, no_room

        if no_room(exc):
            # The person's to mend, in the words Segue uses for a full disk elsewhere: it read
            # "could not be stored (OperationalError: database or disk is full)", with a traceback in the log.
            log.warning("storing %s failed: %s", path, exc)
            return ImportSummary(path.name, export.format, rows=export.rows,
                                 error=describe(exc)[0])
        log.exception("storing %s failed", path)
        return ImportSummary(path.name, export.format, rows=export.rows,
                             error=f"could not be stored ({type(exc).__name__}: {exc})")
    let_go(export.listens)
    return summary


def removed_text(removed: dict) -> str:
    """What :meth:`player.store.Store.remove_import` took out, in words: "friend.csv: 4 plays
    and 5 imported rows left the history"."""
    plays, rows = removed["plays"], removed["listens"]
    text = (f"{removed['name']}: {plays:,} play{'s' * (plays != 1)} and {rows:,} imported "
            f"row{'s' * (rows != 1)} left the history")
    unfilled = removed.get("unfilled") or 0
    if unfilled:
        # Plays still there that end otherwise now (a skip gone): said, not left to be noticed.
        text += (f", and {unfilled:,} row{'s' * (unfilled != 1)} of other files lost what it had told of "
                 f"{'them' if unfilled != 1 else 'it'} (time heard, skips, songs heard in stretches, "
                 "plays of a private session)")
    later = removed.get("later") or []
    if later:
        # Their rows found already imported were never stored: those that were this file's
        # listens left with it. Importing those files again brings them back, adding nothing twice.
        text += (f". Rows of {', '.join(later)}, imported after it, that were the same listens went with it: "
                 f"import {'that file' if len(later) == 1 else 'those files'} again to bring them back")
    return text


def no_plays_text(row, stored: int, fills: tuple[int, int, int] = (0, 0, 0)) -> str:
    """Why an imported file (its ``history_imports`` row; ``stored``: its rows stored now;
    ``fills``: what it taught other files' rows, see ``import_fill_in_counts``) is no plays
    now, in words. A file listed with 0 plays and nothing said looked like a failed import,
    or like one that could be taken out without losing anything."""
    if stored:
        return (f"none of its {stored:,} row{'s' * (stored != 1)} names a song in the library: "
                f"{'they are' if stored != 1 else 'it is'} kept, and become{'s' * (stored == 1)} plays "
                "when a scan adds the songs")
    if row["duplicates"]:
        # Its rows were found already imported from another file, and were never stored: they
        # are that file's listens, or went with it when it was taken out.
        filled, joined, private = fills
        gave = [f"gave {filled:,} of them their time heard and skips" if filled else "",
                f"joined {joined:,} to the play before them" if joined else "",
                f"ended {private:,} as played in a private session" if private else ""]
        gave = [g for g in gave if g]
        told = f", and it {' and '.join(gave)}" if gave else ""
        return (f"its listens were already imported from another file{told}; if that file was removed, "
                "they went with it: import this file again to bring them back")
    private = fills[2]
    # (an extended history whose only songs were played in a private session still takes
    # those plays out of the file that did not say so)
    ended = (f", and it ended {private:,} play{'s' * (private != 1)} of another file as played in a private "
             "session" if private else "")
    return ("it holds no songs (only podcasts, songs played in a private session, rows too short to be a "
            f"listen or rows that could not be read){ended}")


def batch_text(summaries: list[ImportSummary]) -> str:
    """One paragraph on a batch of files: what was imported, and which files were not.

    >>> batch_text([ImportSummary("a.json", matched=3, unmatched=1), ImportSummary("b.zip", error="damaged")])
    'Imported 1 of 2 files: 3 plays, 1 row kept for songs not in the library. Not imported: b.zip.'
    """
    done = [s for s in summaries if not s.error]
    failed = [s.name for s in summaries if s.error]
    if not done:
        return f"Nothing was imported: {_files(len(failed))} could not be imported ({', '.join(failed)})."
    plays, kept = sum(s.plays for s in done), sum(s.unmatched for s in done)
    what = (f"{plays:,} play{'s' * (plays != 1)}, {kept:,} row{'s' * (kept != 1)} kept for songs not in the "
            "library")
    if not failed:
        return f"Imported {_files(len(done))}: {what}."
    return f"Imported {len(done)} of {_files(len(summaries))}: {what}. Not imported: {', '.join(failed)}."


def _files(n: int) -> str:
    return f"{n:,} file{'s' * (n != 1)}"


HISTORY_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv", ".zip")


def history_files(paths) -> list[tuple[Path, bool]]:
    """``(file, named)`` for each path given: files as they are (``named`` True), and the
    export-like files inside folders (an unzipped Spotify or ListenBrainz download), in
    name order, with ``named`` False: those that turn out not to be history are passed over."""
    out: list[tuple[Path, bool]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [(f, False) for f in sorted(p.rglob("*"))
                    if f.is_file() and f.suffix.lower() in HISTORY_SUFFIXES and not f.name.startswith(".")]
        else:
            out.append((p, True))
    return out


def link_unmatched(store, *, changed_since: float | None = None) -> int:
    """Turn kept rows into plays where the library now has their song (after a scan).

    ``changed_since``: only tracks added or retagged at or after this time can match
    (what the scan read); None matches against the whole library. The stretches of a song
    heard in stretches that match one track become one play of all of it, as they would
    have on import. Returns the plays made.
    """
    if store.unmatched_count() == 0:
        return 0
    tracks = {int(t["id"]): t for t in store.tracks()}
    candidates = [t for t in tracks.values() if changed_since is None or t["updated_at"] >= changed_since]
    if not candidates:
        return 0
    matcher = TrackMatcher(candidates)
    # (first row of the song, track) -> [row ids, the play so far as one row], in time order
    songs: dict[tuple[int, int], list] = {}
    cache: dict[tuple, int | None] = {}
    for row in sorted(store.unmatched_listens(), key=lambda r: r["id"]):    # each song's stretches in order
        names = (row["artist"], row["title"], row["album"], row["duration_ms"])
        if names not in cache:
            cache[names] = matcher.match(row["artist"], row["title"], album=row["album"],
                                         duration_ms=row["duration_ms"])
        track_id = cache[names]
        if track_id is None:
            continue
        listen = Listen(row["artist"], row["title"], row["started_at"], album=row["album"],
                        ms_played=row["ms_played"], duration_ms=row["duration_ms"],
                        skipped=None if row["skipped"] is None else bool(row["skipped"]),
                        reason_end=row["reason_end"])
        song = songs.setdefault((row["stretch_of"] or row["id"], track_id), [[], None])
        song[0].append(row["id"])
        song[1] = listen if song[1] is None else _more_of(song[1], listen)
    links = sorted(((ids, play_for(listen, tracks[track_id])) for (_, track_id), (ids, listen) in songs.items()),
                   key=lambda link: (link[1]["started_at"], link[0][0]))
    made = store.link_listens(links)
    if made:
        log.info("made %d plays of imported listens, of tracks the scan added", made)
    return made
