"""Listening history imported from other services, and exports of the database.

Every row of an imported file is kept in ``imported_listens`` (the names as the file
wrote them, time, ms played, skip, why it ended); a row that named a library track is
also a play (``plays.source = 'import'``) linked by ``play_id``, and a row that did not
stays unlinked (the ``unmatched_listens`` view) until a scan adds its song. A row that
goes on with a song heard in stretches names the row the song began with (``stretch_of``):
the stretches are one listen, matched or not. A row's ``fingerprint`` is unique, so the
same file imported twice adds nothing.

Imported plays are cut into sessions by the same rule as the plays Segue logs: a
pause of ``SESSION_GAP_S`` from the end of the last play starts a new one. The tables
are written through sqlite-utils over this thread's connection, inside the store's
own transactions.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Callable, Iterator, Sequence

import numpy as np
import sqlite_utils

from player.store.connection import NOT_BEFORE_START
from segue_common.listening import (EARLY_SKIP_CAP_MS, EARLY_SKIP_FRACTION, EARLY_SKIP_MS, SESSION_GAP_S, play_ending,
                                    split_sessions)

IMPORT_SOURCE = "import"
#: how many times the imported rows changed (see ``HistoryMixin.imports_stamp``)
IMPORTS_CHANGED_SETTING = "imports_changed"
#: What ``segue export`` can write, and the order of its columns.
EXPORT_TABLES = ("plays", "tracks", "imports")
_EXPORT_SQL = {
    "tracks": "SELECT * FROM tracks ORDER BY id",
    "plays": "SELECT p.id, p.started_at, datetime(p.started_at, 'unixepoch') AS started_utc, p.track_id, "
             "t.artist, t.title, t.album, p.ms_heard, p.track_ms, p.ended, p.source, p.session_id, p.error "
             "FROM plays p JOIN tracks t ON t.id = p.track_id ORDER BY p.started_at, p.id",
    "imports": "SELECT l.id, i.name AS file, i.format, l.started_at, datetime(l.started_at, 'unixepoch') AS "
               "started_utc, l.artist, l.title, l.album, l.ms_played, l.duration_ms, l.skipped, l.reason_end, "
               "l.stretch_of, l.play_id, p.track_id FROM imported_listens l JOIN history_imports i ON "
               "i.id = l.import_id LEFT JOIN plays p ON p.id = l.play_id ORDER BY l.started_at, l.id",
}
_CHUNK = 500
#: Imported rows (or plays) written between two reports of :meth:`HistoryMixin.add_import`.
_SAVE_CHUNK = 5000
#: The length taken for an imported song whose length nothing tells (3.5 minutes, about
#: the middle of popular music's): half of it is the early-skip limit for such a row.
TYPICAL_TRACK_MS = 210_000
_LISTEN_COLUMNS = ("fingerprint", "started_at", "artist", "title", "album", "artist_key", "song_key",
                   "ms_played", "duration_ms", "skipped", "reason_end", "ended_at")


#: A row another import says was heard in a private session (see HistoryMixin._make_private),
#: ``{0}`` the table's name or alias in the query.
_NOT_PRIVATE = ("NOT EXISTS (SELECT 1 FROM imported_fill_ins f_private WHERE f_private.listen_id = {0}.id "
                "AND f_private.columns = 'private')")


def _unpaused(row) -> bool:
    """Whether a stored row's start is its end less the time heard: all Spotify's account data
    knows of a start, late by as long as the play was paused."""
    return row["ended_at"] is not None and row["ms_played"] is not None \
        and abs(row["ended_at"] - row["ms_played"] / 1000.0 - row["started_at"]) < 1.0


def _start_told(more: dict) -> float | None:
    """The start another export's row gives (see :meth:`HistoryMixin._fill_in`): the real start
    of a play it says was paused, else its end less the time heard, else None (a scrobble)."""
    if more.get("started_at") is not None:
        return more["started_at"]
    if more.get("ended_at") is not None and more.get("ms_played") is not None:
        return more["ended_at"] - more["ms_played"] / 1000.0
    return None


def _real_start(row, more: dict) -> float:
    """The start a stored row takes from another export's row of the same play (see
    :meth:`HistoryMixin._fill_in`): that row's, where it began a second or more before the
    end less the time heard that is all the stored row knows (a play that was paused).
    Learned, a scrobble of the play, which gives the real start, is recognised as it.

    The account data writes the end to the minute, rounded down: a row whose end is the
    other row's, to the minute, began up to a minute earlier than it did, paused or not,
    and takes the other row's start, to the second, as where that row came first."""
    if not _unpaused(row):
        return row["started_at"]
    if more.get("started_at") is not None and more["started_at"] <= row["started_at"] - 1.0:
        return more["started_at"]
    end = more.get("ended_at")
    if end is not None and more.get("ms_played") is not None and row["ended_at"] % 60 == 0 \
            and row["ended_at"] < end < row["ended_at"] + 60:
        return _start_told(more)
    return row["started_at"]


def _utils(conn) -> sqlite_utils.Database:
    """sqlite-utils over an existing connection (no plugins, no pragmas of its own)."""
    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def _export_sql(what: str) -> str:
    if what not in EXPORT_TABLES:
        raise ValueError(f"cannot export {what!r}; choose one of {', '.join(EXPORT_TABLES)}")
    return _EXPORT_SQL[what]


class HistoryMixin:
    # -- reading ----------------------------------------------------------------------
    def import_index(self) -> tuple[set[str], dict[str, np.ndarray]]:
        """``(fingerprints, song_key -> sorted start times)`` of every imported row, to
        recognise rows already imported, from this file or from another export of the
        same listening.

        A row that was paused has two start times: when it started, and its end minus
        the time heard (all that Spotify's account data knows of it); both are listed,
        so that another export of the same play is recognised whichever it gives.
        """
        fingerprints: set[str] = set()
        starts: dict[str, list[float]] = {}
        for fp, key, start, end, ms in self.execute(
                "SELECT fingerprint, song_key, started_at, ended_at, ms_played FROM imported_listens"):
            fingerprints.add(fp)
            times = starts.setdefault(key, [])
            times.append(start)
            if end is not None and abs(end - (ms or 0) / 1000.0 - start) >= 1.0:
                times.append(end - (ms or 0) / 1000.0)
        return fingerprints, {k: np.sort(np.asarray(v)) for k, v in starts.items()}

    def own_play_starts(self) -> dict[int, np.ndarray]:
        """``track id -> sorted start times`` of the plays Segue logged itself (not imported):
        a row of another export that is one of them (a scrobbler that followed Segue's
        playing, Segue's own export imported again) is the same listen."""
        starts: dict[int, list[float]] = {}
        for track_id, start in self.execute("SELECT track_id, started_at FROM plays WHERE source != ?",
                                            (IMPORT_SOURCE,)):
            starts.setdefault(track_id, []).append(start)
        return {t: np.sort(np.asarray(v)) for t, v in starts.items()}

    def history_imports(self) -> list:
        """The files imported so far, newest first, with their counts."""
        return self.execute("SELECT * FROM history_imports ORDER BY id DESC").fetchall()

    def import_play_counts(self) -> dict[int, int]:
        """``import id -> plays`` its rows are now (more than it made at first where a scan
        added their songs since; a song heard in stretches, several rows, is one)."""
        return {i: plays for i, (_rows, plays) in self.import_counts().items()}

    def import_counts(self) -> dict[int, tuple[int, int]]:
        """``import id -> (rows stored, plays)`` of the imports that store rows now (see
        :meth:`import_play_counts`); one that stores none is left out."""
        return {r[0]: (r[1], r[2]) for r in self.execute(
            "SELECT import_id, count(*), count(DISTINCT play_id) FROM imported_listens GROUP BY import_id")}

    def import_fill_in_counts(self) -> dict[int, tuple[int, int, int]]:
        """``import id -> (rows of other files given their time heard or skip, rows joined to
        the play before them, plays ended as played in a private session)`` by that import;
        one that did none of that is left out."""
        return {r[0]: (r[1], r[2], r[3]) for r in self.execute(
            "SELECT import_id, count(DISTINCT CASE WHEN columns NOT IN ('stretch_of', 'private') THEN listen_id END), "
            "sum(columns = 'stretch_of'), sum(columns = 'private') FROM imported_fill_ins GROUP BY import_id")}

    def unmatched_listens(self) -> list:
        """Imported music rows no library track matched yet (oldest first); not those another
        import says were heard in a private session (see :meth:`_make_private`)."""
        return self.execute(
            "SELECT id, started_at, artist, title, album, ms_played, duration_ms, skipped, reason_end, stretch_of "
            f"FROM unmatched_listens WHERE {_NOT_PRIVATE.format('unmatched_listens')} ORDER BY started_at, id"
        ).fetchall()

    def unmatched_count(self) -> int:
        return self.execute(
            f"SELECT count(*) FROM unmatched_listens WHERE {_NOT_PRIVATE.format('unmatched_listens')}").fetchone()[0]

    def imported_play_count(self) -> int:
        return self.execute("SELECT count(*) FROM plays WHERE source = ?", (IMPORT_SOURCE,)).fetchone()[0]

    def imported_artist_counts(self) -> dict[str, tuple[int, int]]:
        """``artist_key -> (plays, skips)`` over every imported row, matched or not: how much
        the person listened to each artist elsewhere, whether or not the library has the songs.
        A song Spotify logged in stretches (rows of one ``stretch_of``, see :meth:`add_import`)
        is one play, judged by all of it, whether or not the library has it: its time heard
        is the stretches' together and its skip mark the last one's (as the play a matched
        one became says), so a song heard whole after the app came back is neither counted
        twice nor taken for a skip by its short first stretch.

        A skip is an early skip, the rule the app's own plays follow: heard for less than
        ``EARLY_SKIP_MS``, or marked skipped by the service and heard for less than
        ``EARLY_SKIP_FRACTION`` of the track and less than ``EARLY_SKIP_CAP_MS`` (forty minutes
        of a two-hour mix are listening). Spotify marks skipped any play that ended
        with the next button, minutes in or not: a song heard for three minutes and then
        skipped was liked, not turned away. The track's length is the row's, else the
        library track's it matched, else the longest time the same song was heard to its
        end in the imported rows (all its stretches); the extended history gives none of
        these for a song not in the library and never heard to the end, and a typical
        song's length (``TYPICAL_TRACK_MS``) stands in: under 30 s only would lose every
        skip after 30 s, which for a song of usual length is still early. Where the time
        heard is not known, the mark is all there is. Exports without a skip mark, such as
        Spotify's account data, still tell a song turned off at once from one heard.
        """
        return {r[0]: (r[1], r[2] or 0) for r in self.execute(
            # A song's last stretch is its row stored last: rows are stored in the file's order.
            "WITH stretches AS (SELECT min(l.artist_key) AS artist_key, min(l.song_key) AS song_key, "
            "               max(l.id) AS last, "
            "               CASE WHEN count(l.ms_played) = count(*) THEN sum(l.ms_played) END AS ms_played, "
            "               max(nullif(l.duration_ms, 0)) AS duration_ms, max(nullif(p.track_ms, 0)) AS track_ms "
            "        FROM imported_listens l LEFT JOIN plays p ON p.id = l.play_id "
            f"       WHERE {_NOT_PRIVATE.format('l')} "
            "        GROUP BY coalesce(l.stretch_of, l.id)), "
            "one AS (SELECT s.*, e.skipped, e.reason_end FROM stretches s JOIN imported_listens e ON e.id = s.last), "
            "whole AS (SELECT song_key, max(ms_played) AS ms FROM one "
            "               WHERE reason_end = 'trackdone' AND ms_played > 0 GROUP BY song_key) "
            "SELECT o.artist_key, count(*), sum(CASE "
            "  WHEN o.ms_played IS NULL THEN coalesce(o.skipped, 0) != 0 "
            "  WHEN o.ms_played < ? THEN 1 "
            "  WHEN coalesce(o.skipped, 0) = 0 THEN 0 "
            "  ELSE o.ms_played < min(? * coalesce(o.duration_ms, o.track_ms, w.ms, ?), ?) END) "
            "FROM one o LEFT JOIN whole w ON w.song_key = o.song_key GROUP BY o.artist_key",
            (EARLY_SKIP_MS, EARLY_SKIP_FRACTION, TYPICAL_TRACK_MS, EARLY_SKIP_CAP_MS))}

    def imports_stamp(self) -> tuple[int, int, int]:
        """``(files, largest id, changes)`` of the imported files: changes whenever an import
        adds rows, a removal or a forget takes them out or a scan links them to tracks, so a
        reader can tell its copy of them is stale. The files and the largest id alone came
        back as they were when the newest file was removed and another imported (its id is
        given again): ``changes`` counts every write to them, in the write's own transaction,
        so another process's import is seen too."""
        files, largest = self.execute("SELECT count(*), coalesce(max(id), 0) FROM history_imports").fetchone()
        row = self.execute("SELECT value FROM settings WHERE key = ?", (IMPORTS_CHANGED_SETTING,)).fetchone()
        try:
            changes = int(row[0]) if row is not None else 0
        except (TypeError, ValueError):
            changes = -1
        return files, largest, changes

    @staticmethod
    def _imports_changed(conn) -> None:
        """The imported rows changed: see :meth:`imports_stamp`."""
        conn.execute("INSERT INTO settings (key, value) VALUES (?, '1') "
                     "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                     (IMPORTS_CHANGED_SETTING,))

    # -- writing ----------------------------------------------------------------------
    def add_import(self, meta: dict, listens: Sequence[dict], plays: Sequence[dict | None], *,
                   joins: dict[int, int] | None = None, richer: Sequence[dict] = (),
                   rejoin: Sequence[dict] = (), private: Sequence[dict] = (),
                   progress: Callable[[int, int], None] | None = None) -> dict:
        """Store one imported file in one transaction; returns its ``history_imports`` row as stored.

        ``listens[i]`` holds the ``imported_listens`` columns of a row; ``plays[i]`` the
        play it becomes (``track_id``, ``started_at``, ``ms_heard``, ``track_ms``,
        ``ended``) or None when no track matched. ``joins[i] = j``: row ``i`` is a later
        stretch of the song begun at row ``j`` (an earlier row), matched or not; it is
        stored with ``stretch_of`` naming row ``j``. When both rows are plays of the same
        track, ``plays[j]`` stands for the song whole: row ``i`` is linked to that play and
        makes none of its own (unless row ``j`` is left out, when it makes ``plays[i]``
        and the first stretch stored stands for where the song began). Rows whose
        fingerprint is already stored are left out (an import running meanwhile may have
        added them); ``meta``'s counts are corrected for them.

        ``richer``: rows of the file that are plays already imported from another export,
        with what they say of them (``song_key``, the window ``from``-``to`` and the times
        ``at`` it began, ``ms_played``, ``skipped``, ``reason_end``, ``ended_at``): the row
        stored nearest in time fills in what it lacked, and so does the play it made (the
        returned ``filled_in`` counts them).

        ``rejoin``: rows of the file that go on with the play of an earlier row (a song heard
        in stretches), both already imported from an export that knew nothing of stretches,
        each a play of its own there (``song_key``, the windows ``first_from``-``first_to``
        and ``from``-``to`` and the times ``first_at`` and ``at`` of the first stretch and of
        this one, and this one's ``skipped`` and ``reason_end``): the later row is linked to
        the first's play, its own play goes, and that play is the whole of it (the returned
        ``rejoined`` counts them).

        ``private``: rows of the file heard in a private session, each perhaps a row already
        imported from an export that did not say so (``song_key``, the window ``from``-``to``
        and the times ``at`` it began): that row stays, marked, and its play goes (the
        returned ``made_private`` counts them; see :meth:`_make_private`).
        """
        if len(listens) != len(plays):
            raise ValueError(f"{len(listens)} listens but {len(plays)} plays")
        now = time.time()
        with self.transaction() as conn:
            there: set[str] = set()
            fps = [row["fingerprint"] for row in listens]
            for i in range(0, len(fps), _CHUNK):
                chunk = fps[i:i + _CHUNK]
                there.update(r[0] for r in conn.execute(
                    f"SELECT fingerprint FROM imported_listens WHERE fingerprint IN ({','.join('?' * len(chunk))})",
                    chunk))
            keep = [i for i, fp in enumerate(fps) if fp not in there]
            late = len(listens) - len(keep)
            if late:
                gone = [plays[i] is not None for i, fp in enumerate(fps) if fp in there]
                meta = {**meta, "duplicates": meta.get("duplicates", 0) + late,
                        "matched": meta.get("matched", 0) - sum(gone),
                        "unmatched": meta.get("unmatched", 0) - (len(gone) - sum(gone))}
            db = _utils(conn)
            meta = {**meta, "imported_at": now}
            import_id = db["history_imports"].insert(meta).last_pk
            placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                       (now, now)).lastrowid
            # The write lock is held (BEGIN IMMEDIATE): the ids after the largest are ours to give,
            # and after the largest ever given (a forgotten history's), which are never given again.
            next_id = conn.execute(
                "SELECT max(coalesce((SELECT max(id) FROM plays), 0), "
                "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'plays'), 0))").fetchone()[0] + 1
            # The rows are numbered here too, so that a later stretch can name its first.
            next_row = conn.execute("SELECT coalesce(max(id), 0) FROM imported_listens").fetchone()[0] + 1
            rows, new_plays = [], []
            joins = joins or {}
            given: dict[int, int] = {}          # row -> the play it was linked to
            began: dict[int, int] = {}          # first row of a song -> the id of its first row stored
            stretches = 0                       # rows linked to another row's play
            for i in keep:
                play, first = plays[i], joins.get(i, i)
                play_id = None
                if first != i and play is not None and plays[first] is not None \
                        and plays[first]["track_id"] == play["track_id"]:
                    play_id = given.get(first)
                stretches += play_id is not None
                if play_id is None and play is not None:
                    play_id, next_id = next_id, next_id + 1
                    new_plays.append((play_id, play["track_id"], placeholder, play["started_at"],
                                      int(play["ms_heard"]), play["track_ms"], play["ended"], IMPORT_SOURCE,
                                      max(now, play["started_at"])))
                if play_id is not None:
                    given[i] = play_id
                row_id, next_row = next_row, next_row + 1
                rows.append({**{c: listens[i].get(c) for c in _LISTEN_COLUMNS}, "id": row_id,
                             "import_id": import_id, "play_id": play_id, "stretch_of": began.get(first)})
                began.setdefault(first, row_id)
            # Written a piece at a time, saying how far it got after each: writing is most of an
            # import's time (seconds a hundred thousand rows), and what ``progress`` raises, a
            # stop asked for, rolls the file back then, not after all of it.
            total, done = len(new_plays) + len(rows), 0
            for i in range(0, len(new_plays), _SAVE_CHUNK):
                conn.executemany(
                    "INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", new_plays[i:i + _SAVE_CHUNK])
                done += len(new_plays[i:i + _SAVE_CHUNK])
                if progress is not None:
                    progress(done, total)
            for i in range(0, len(rows), _SAVE_CHUNK):
                db["imported_listens"].insert_all(rows[i:i + _SAVE_CHUNK], batch_size=1000)
                done += len(rows[i:i + _SAVE_CHUNK])
                if progress is not None:
                    progress(done, total)
            self._recut_import_sessions(conn, placeholder)
            filled_in = self._fill_in(conn, richer, import_id, now)
            rejoined = self._rejoin(conn, rejoin, import_id, now)
            made_private = self._make_private(conn, private, import_id)
            # (a file that only joined plays, or only took private ones out, is listed, and can be taken out)
            filled_in += rejoined + made_private
            if rows or filled_in:
                self._imports_changed(conn)
            # The same file imported again, adding nothing, is the import listed already: a
            # second entry would list the file twice, with none of the rows it names.
            listed = None if rows or filled_in or not meta.get("sha256") else conn.execute(
                "SELECT id FROM history_imports WHERE sha256 = ? AND id != ? ORDER BY id DESC",
                (meta["sha256"], import_id)).fetchone()
            if listed is not None:
                # (what it noted it gave too is the listed one's: the same file)
                conn.execute("DELETE FROM imported_fill_ins WHERE import_id = ?", (import_id,))
                conn.execute("DELETE FROM history_imports WHERE id = ?", (import_id,))
                import_id = listed[0]
            elif rows and meta.get("sha256"):
                # The same file listed before with none of its rows stored now (they were another
                # file's, taken out since) is this one: listed twice, the first with no plays
                # still said to import it again.
                earlier = ("SELECT id FROM history_imports WHERE sha256 = ? AND id != ? AND NOT EXISTS "
                           "(SELECT 1 FROM imported_listens WHERE import_id = history_imports.id)")
                # What that listing taught other files' rows is this file's now: taking it out takes that too.
                conn.execute(f"UPDATE imported_fill_ins SET import_id = ? WHERE import_id IN ({earlier})",
                             (import_id, meta["sha256"], import_id))
                conn.execute(f"DELETE FROM history_imports WHERE id IN ({earlier})", (meta["sha256"], import_id))
        return {**meta, "id": import_id, "stretches": stretches, "filled_in": filled_in - rejoined - made_private,
                "rejoined": rejoined, "made_private": made_private}

    @staticmethod
    def _nearest(conn, song_key: str, lo: float, hi: float, at, import_id: int, where: str = "", params=()):
        """The row of another import nearest ``at`` among those of ``song_key`` begun within
        ``lo``-``hi`` that began no stretch of another row and made a play, with its play."""
        rows = conn.execute(
            "SELECT l.id, l.import_id, l.play_id, l.started_at, p.track_id, "
            "p.started_at + p.ms_heard / 1000.0 AS ends FROM imported_listens l JOIN plays p ON p.id = l.play_id "
            "WHERE l.song_key = ? AND l.started_at BETWEEN ? AND ? AND l.import_id != ? AND l.stretch_of IS NULL "
            f"AND p.source = ? {where}", (song_key, lo, hi, import_id, IMPORT_SOURCE, *params)).fetchall()
        return min(rows, key=lambda r: min(abs(r["started_at"] - t) for t in at), default=None)

    def _rejoin(self, conn, rejoin: Sequence[dict], import_id: int, now: float) -> int:
        """See :meth:`add_import`'s ``rejoin``; noted in ``imported_fill_ins`` (column
        ``stretch_of``), so taking the import out parts them again (see :meth:`_unfill`)."""
        endings: dict[int, tuple] = {}            # play joined to -> (start of its latest stretch, skipped, reason)
        gone: list[tuple[float, float, int]] = []
        for more in rejoin:
            first = self._nearest(conn, more["song_key"], more["first_from"], more["first_to"], more["first_at"],
                                  import_id)
            if first is None:
                continue
            # A row that made its play alone, and began none of another's. Of the first's file:
            # a play is taken out with the file its rows came from, so a row of another file
            # joined to it would take the first's play with it when that other file leaves.
            later = self._nearest(
                conn, more["song_key"], more["from"], more["to"], more["at"], import_id,
                "AND l.id != ? AND l.started_at > ? AND l.play_id != ? AND p.track_id = ? AND l.import_id = ? "
                "AND NOT EXISTS (SELECT 1 FROM imported_listens o "
                "WHERE (o.play_id = l.play_id AND o.id != l.id) OR o.stretch_of = l.id)",
                (first["id"], first["started_at"], first["play_id"], first["track_id"], first["import_id"]))
            if later is None:
                # Joined already by another file still imported (two extended histories of the
                # same months): this one joined it too, so taking that other one out leaves it.
                already = conn.execute(
                    "SELECT l.id FROM imported_listens l WHERE l.stretch_of = ? AND l.started_at BETWEEN ? AND ? "
                    "AND EXISTS (SELECT 1 FROM imported_fill_ins f WHERE f.listen_id = l.id "
                    "AND f.columns = 'stretch_of' AND f.import_id != ?) AND NOT EXISTS (SELECT 1 FROM "
                    "imported_fill_ins f WHERE f.listen_id = l.id AND f.columns = 'stretch_of' AND f.import_id = ?)",
                    (first["id"], more["from"], more["to"], import_id, import_id)).fetchone()
                if already is not None:
                    conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns) "
                                 "VALUES (?, ?, 'stretch_of')", (already[0], import_id))
                continue
            conn.execute("UPDATE imported_listens SET stretch_of = ?, play_id = ? WHERE id = ?",
                         (first["id"], first["play_id"], later["id"]))
            session = conn.execute("SELECT session_id FROM plays WHERE id = ?", (later["play_id"],)).fetchone()[0]
            conn.execute("DELETE FROM plays WHERE id = ?", (later["play_id"],))
            gone.append((later["started_at"], later["ends"], session))
            conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns) VALUES (?, ?, 'stretch_of')",
                         (later["id"], import_id))
            if first["play_id"] not in endings or endings[first["play_id"]][0] < later["started_at"]:
                endings[first["play_id"]] = (later["started_at"], more["skipped"], more["reason_end"])
        for play_id, (_at, skipped, reason) in endings.items():
            self._replay(conn, play_id, now, ending=(skipped, reason))
        if gone:
            self._recut_around(conn, gone)
        return len(gone)

    def _make_private(self, conn, private: Sequence[dict], import_id: int) -> int:
        """See :meth:`add_import`'s ``private``. Spotify's account data lists the songs of a
        private session as any other; its extended history says which they were. The row
        stays (importing the account data again finds it there and adds nothing) but teaches
        nothing: its play goes, no scan links it again, and it counts for no artist. Noted in
        ``imported_fill_ins`` (column ``private``, with the track of the play), so that taking
        this import out gives the play back (see :meth:`_unfill`)."""
        gone: list[tuple[float, float, int]] = []
        made = 0
        for row in private:
            # Only a row of the account data, the one export that lists private plays without
            # saying so (a scrobbler is not told of them: a scrobble near is another play), and
            # only one begun near either start: a play paused for hours spans a window that
            # may hold other plays of the song, nowhere near it.
            margin = min(row["at"]) - row["from"]
            found = [r for r in conn.execute(
                "SELECT l.id, l.play_id, l.started_at, p.track_id, p.session_id, "
                "p.started_at + p.ms_heard / 1000.0 AS ends FROM imported_listens l "
                "JOIN history_imports h ON h.id = l.import_id AND h.format = 'spotify' "
                "LEFT JOIN plays p ON p.id = l.play_id AND p.source = ? "
                "WHERE l.song_key = ? AND l.started_at BETWEEN ? AND ? AND l.import_id != ? AND l.stretch_of IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM imported_fill_ins f WHERE f.listen_id = l.id AND f.import_id = ? "
                "AND f.columns = 'private')",
                (IMPORT_SOURCE, row["song_key"], row["from"], row["to"], import_id, import_id))
                if min(abs(r["started_at"] - t) for t in row["at"]) <= margin]
            if not found:
                continue
            near = min(found, key=lambda r: min(abs(r["started_at"] - t) for t in row["at"]))
            hidden = conn.execute("SELECT track_id FROM imported_fill_ins WHERE listen_id = ? AND columns = 'private'",
                                  (near["id"],)).fetchone()
            if hidden is not None:
                # Taken out already by another file still imported (two extended histories of the
                # same months): noted for this one too, so taking that other one out leaves it so.
                conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns, track_id) "
                             "VALUES (?, ?, 'private', ?)", (near["id"], import_id, hidden[0]))
                continue
            track_id = near["track_id"]
            if track_id is not None:
                conn.execute("UPDATE imported_listens SET play_id = NULL WHERE id = ?", (near["id"],))
                if conn.execute("SELECT 1 FROM imported_listens WHERE play_id = ?", (near["play_id"],)).fetchone():
                    self._replay(conn, near["play_id"], time.time())     # (the rest of a song heard in stretches)
                else:
                    conn.execute("DELETE FROM plays WHERE id = ?", (near["play_id"],))
                    gone.append((near["started_at"], near["ends"], near["session_id"]))
            conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns, track_id) "
                         "VALUES (?, ?, 'private', ?)", (near["id"], import_id, track_id))
            made += 1
        if gone:
            self._recut_around(conn, gone)
            self._plays_rewritten(conn)         # (plays stored before went: see ``rewritten_stamp``)
        return made

    def _replay(self, conn, play_id: int, now: float, *, ending: tuple | None = None) -> None:
        """Make the play ``play_id`` what its imported rows say, as the importer makes a play
        of a song's stretches: the time heard of all of them (the whole song where one does
        not say), and the ending of the last, or ``ending`` (skipped, reason) where given."""
        rows = conn.execute("SELECT ms_played, duration_ms, skipped, reason_end FROM imported_listens "
                            "WHERE play_id = ? ORDER BY started_at, id", (play_id,)).fetchall()
        play = conn.execute("SELECT track_ms FROM plays WHERE id = ?", (play_id,)).fetchone()
        if not rows or play is None:
            return
        ms = None if any(r["ms_played"] is None for r in rows) else sum(r["ms_played"] for r in rows)
        heard = ms if ms is not None else (rows[0]["duration_ms"] or play["track_ms"] or 0)
        last = rows[-1]
        skipped, reason = ending or (None if last["skipped"] is None else bool(last["skipped"]), last["reason_end"])
        conn.execute(f"UPDATE plays SET ms_heard = ?, ended = ?, updated_at = {NOT_BEFORE_START} WHERE id = ?",
                     (int(heard), play_ending(ms, skipped, reason), now, play_id))
        self._plays_rewritten(conn)

    def _recut_around(self, conn, gone: Sequence[tuple[float, float, int]]) -> None:
        """Cut the imported sessions again around plays deleted (``(start, end, session)``
        each), as :meth:`remove_import` does, and drop the sessions they alone held."""
        lo, hi = min(g[0] for g in gone), max(g[1] for g in gone)
        placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                   (lo, hi)).lastrowid
        self._recut_import_sessions(conn, placeholder, span=(lo, hi))
        sessions = sorted({g[2] for g in gone})
        for i in range(0, len(sessions), _CHUNK):
            chunk = sessions[i:i + _CHUNK]
            conn.execute(f"DELETE FROM sessions WHERE id IN ({','.join('?' * len(chunk))}) AND NOT EXISTS "
                         "(SELECT 1 FROM plays WHERE plays.session_id = sessions.id)", chunk)

    def _move_starts(self, conn, moved: Sequence[tuple[int, float, float]], now: float) -> list[tuple]:
        """Begin again the imported plays a row's start learned or given back moved (``(play,
        start before, start now)`` each), where the play began with that row; returns what
        :meth:`_recut_around` takes to cut the sessions around both starts again (a play paused
        for an hour, dated by its end, joins the session it was really heard in)."""
        gone: list[tuple[float, float, int]] = []
        for play_id, was, start in moved:
            play = conn.execute("SELECT session_id, ms_heard FROM plays WHERE id = ? AND source = ? "
                                "AND abs(started_at - ?) < 1.0", (play_id, IMPORT_SOURCE, was)).fetchone()
            if play is None or abs(start - was) < 1.0:
                continue
            # (not before the start it takes: the old one, in the statement, may be the earlier)
            conn.execute("UPDATE plays SET started_at = ?, updated_at = ? WHERE id = ?",
                         (start, max(now, start), play_id))
            heard = (play["ms_heard"] or 0) / 1000.0
            gone.append((min(was, start), max(was, start) + heard, play["session_id"]))
        return gone

    def _recut_changed(self, conn, changed: Sequence[tuple[float, float, int]]) -> None:
        """Cut the sessions again around imported plays whose start or time heard changed
        (``(start, end, session)`` each, spanning before and after): a play now shorter may
        leave a gap that parts its session, one now longer or earlier may bridge two."""
        if changed:
            self._recut_around(conn, changed)
            self._plays_rewritten(conn)         # (plays stored before changed: see ``rewritten_stamp``)

    def _fill_in(self, conn, richer: Sequence[dict], import_id: int, now: float) -> int:
        """See :meth:`add_import`'s ``richer``: how many stored rows learned something. Each
        stored row learns from the row of the file nearest it in time, and each of those
        teaches one: a song skipped and then heard whole in Spotify, scrobbled once by
        Last.fm, gives that scrobble the whole play, not the skip."""
        told = ("ms_played", "skipped", "reason_end", "ended_at")
        pairs = []
        for k, more in enumerate(richer):
            for row in conn.execute(
                    "SELECT id, play_id, started_at, ms_played, skipped, reason_end, ended_at FROM imported_listens "
                    "WHERE song_key = ? AND started_at BETWEEN ? AND ? AND import_id != ? AND stretch_of IS NULL "
                    "AND (ms_played IS NULL OR skipped IS NULL OR reason_end IS NULL OR EXISTS (SELECT 1 FROM "
                    "imported_fill_ins f WHERE f.listen_id = imported_listens.id "
                    "AND f.columns NOT IN ('stretch_of', 'private')))",
                    (more["song_key"], more["from"], more["to"], import_id)):
                pairs.append((min(abs(row["started_at"] - t) for t in more["at"]), k, row))
        pairs.sort(key=lambda pair: pair[:2])
        taught, learned = set(), set()
        filled = 0
        moved: list[tuple[int, float, float]] = []
        changed: list[tuple[float, float, int]] = []
        for _distance, k, row in pairs:
            if k in taught or row["id"] in learned:
                continue
            taught.add(k)
            learned.add(row["id"])
            # (the start it gives stands with the columns, to tell what it gives the same as another file)
            more = {**richer[k], "started_at": _start_told(richer[k])}
            got = {c: row[c] if row[c] is not None else more[c] for c in told}
            got["started_at"] = _real_start(row, richer[k])
            if all(got[c] == row[c] for c in (*told, "started_at")):
                # Taught already, the same, by another file still imported (two Spotify exports
                # of the same months): this one gave it too, so taking that other one out leaves it.
                gave = conn.execute("SELECT columns FROM imported_fill_ins WHERE listen_id = ? AND import_id != ? "
                                    "AND columns NOT IN ('stretch_of', 'private')", (row["id"], import_id)).fetchone()
                if gave is not None and all(more[c] == row[c] for c in gave[0].split(",")):
                    conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns) VALUES (?, ?, ?)",
                                 (row["id"], import_id, gave[0]))
                continue
            conn.execute("UPDATE imported_listens SET ms_played = ?, skipped = ?, reason_end = ?, ended_at = ?, "
                         "started_at = ? WHERE id = ?", (*(got[c] for c in told), got["started_at"], row["id"]))
            # Which columns this file gave, to empty again if it is taken out (see remove_import).
            gave = [c for c in told if row[c] is None and got[c] is not None]
            gave += ["started_at"] * (got["started_at"] != row["started_at"])
            # And what another file still imported taught it that this one gives the same (a start
            # learned only now, from a later export of the same months): a column a file still
            # imported gave is kept when another is taken out, so the last one taken out must empty it.
            for (others,) in conn.execute(
                    "SELECT columns FROM imported_fill_ins WHERE listen_id = ? AND import_id != ? "
                    "AND columns NOT IN ('stretch_of', 'private')", (row["id"], import_id)):
                gave += [c for c in others.split(",") if c and c not in gave and more.get(c) == row[c]]
            conn.execute("INSERT INTO imported_fill_ins (listen_id, import_id, columns) VALUES (?, ?, ?)",
                         (row["id"], import_id, ",".join(gave)))
            filled += 1
            if row["play_id"] is None:
                continue
            if got["started_at"] != row["started_at"]:
                moved.append((row["play_id"], row["started_at"], got["started_at"]))
            play = conn.execute("SELECT started_at, ms_heard, session_id FROM plays WHERE id = ?",
                                (row["play_id"],)).fetchone()
            # The play this row made (alone) ends as the richer export says.
            if conn.execute(
                    f"UPDATE plays SET ms_heard = coalesce(?, ms_heard), ended = ?, updated_at = {NOT_BEFORE_START} "
                    "WHERE id = ? AND source = ? AND NOT EXISTS (SELECT 1 FROM imported_listens "
                    "WHERE play_id = plays.id AND id != ?)",
                    (got["ms_played"], play_ending(got["ms_played"], got["skipped"], got["reason_end"]), now,
                     row["play_id"], IMPORT_SOURCE, row["id"])).rowcount:
                # (a play logged before changed: a reader that reads again only the latest reads all)
                self._plays_rewritten(conn)
                if got["ms_played"] is not None and got["ms_played"] != play["ms_heard"]:
                    changed.append((play["started_at"], play["started_at"]
                                    + max(got["ms_played"], play["ms_heard"] or 0) / 1000.0, play["session_id"]))
        self._recut_changed(conn, changed + self._move_starts(conn, moved, now))
        return filled

    def link_listens(self, links: Sequence[tuple[Sequence[int], dict]]) -> int:
        """Make plays of unmatched imported rows that now name a library track:
        ``(listen ids, play)`` pairs, the play as in :meth:`add_import` and the rows it
        stands for (the stretches of a song heard in stretches, else one row). Rows
        linked meanwhile are left as they are. Returns the plays made."""
        if not links:
            return 0
        now = time.time()
        made = 0
        with self.transaction() as conn:
            placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                       (now, now)).lastrowid
            for listen_ids, play in links:
                ids = [int(i) for i in listen_ids]
                # (nor a row an import took out as private meanwhile: see _make_private)
                free = [r[0] for r in conn.execute(
                    f"SELECT id FROM imported_listens WHERE play_id IS NULL "
                    f"AND {_NOT_PRIVATE.format('imported_listens')} AND id IN ({','.join('?' * len(ids))})", ids)]
                if len(free) < len(ids):         # a play may stand only for rows none has taken
                    continue
                play_id = conn.execute(
                    "INSERT INTO plays (track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (play["track_id"], placeholder, play["started_at"], int(play["ms_heard"]),
                     play["track_ms"], play["ended"], IMPORT_SOURCE, max(now, play["started_at"]))).lastrowid
                conn.executemany("UPDATE imported_listens SET play_id = ? WHERE id = ?",
                                 [(play_id, i) for i in ids])
                made += 1
            self._recut_import_sessions(conn, placeholder)
            if made:
                self._imports_changed(conn)
        return made

    def remove_import(self, import_id: int) -> dict | None:
        """Take one imported file out of the history: its rows, and the plays they became
        (the person imported the wrong file, or someone else's). Returns the file's
        ``history_imports`` row with ``plays`` and ``listens`` (how many plays and stored
        rows went), or None when there is no such import.

        The imported sessions around those plays are cut again, so a session the removed
        plays held together splits where a gap is left. Rows a later import left out as
        already imported from this file go with it (that file imported again brings them
        back); what Segue logged itself is never touched. ``later`` names the files imported
        after this one that found rows already there: those rows were never stored, so where
        they stood on this file's they went with it, and nothing else would tell the person
        that those files' listens are gone until imported again. What this file taught the rows
        of files imported before it (their time heard and skips, see :meth:`_fill_in`) goes
        too: ``unfilled`` counts those rows.
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM history_imports WHERE id = ?", (import_id,)).fetchone()
            if row is None:
                return None
            span = conn.execute(
                "SELECT min(p.started_at), max(p.started_at + p.ms_heard / 1000.0), count(DISTINCT p.id) "
                "FROM imported_listens l JOIN plays p ON p.id = l.play_id "
                "WHERE l.import_id = ? AND p.source = ?", (import_id, IMPORT_SOURCE)).fetchone()
            listens = conn.execute("SELECT count(*) FROM imported_listens WHERE import_id = ?",
                                   (import_id,)).fetchone()[0]
            # A file that stored no rows shared none: a later file's rows found already
            # imported were another file's, and stay with it.
            later = [] if not listens else [r[0] for r in conn.execute(
                "SELECT name FROM history_imports WHERE id > ? AND duplicates > 0 GROUP BY name ORDER BY min(id)",
                (import_id,))]
            unfilled = self._unfill(conn, import_id)
            theirs = "SELECT play_id FROM imported_listens WHERE import_id = ?"
            sessions = [r[0] for r in conn.execute(
                f"SELECT DISTINCT session_id FROM plays WHERE source = ? AND id IN ({theirs})",
                (IMPORT_SOURCE, import_id))]
            conn.execute(f"DELETE FROM plays WHERE source = ? AND id IN ({theirs})", (IMPORT_SOURCE, import_id))
            conn.execute("DELETE FROM imported_fill_ins WHERE listen_id IN "
                         "(SELECT id FROM imported_listens WHERE import_id = ?)", (import_id,))
            conn.execute("DELETE FROM imported_listens WHERE import_id = ?", (import_id,))
            conn.execute("DELETE FROM history_imports WHERE id = ?", (import_id,))
            self._imports_changed(conn)
            if span[2]:
                placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                           (span[0], span[1])).lastrowid
                self._recut_import_sessions(conn, placeholder, span=(span[0], span[1]))
            for i in range(0, len(sessions), _CHUNK):     # those that held only the removed plays
                chunk = sessions[i:i + _CHUNK]
                conn.execute(f"DELETE FROM sessions WHERE id IN ({','.join('?' * len(chunk))}) AND NOT EXISTS "
                             "(SELECT 1 FROM plays WHERE plays.session_id = sessions.id)", chunk)
        return {**dict(row), "plays": span[2], "listens": listens, "later": later, "unfilled": unfilled}

    def _unfill(self, conn, import_id: int) -> int:
        """Empty again what import ``import_id`` filled in on other files' rows (see
        :meth:`_fill_in`), and end the plays those rows made alone as the rows now say, as
        the import had made them; returns how many rows lost what it gave them."""
        fills = conn.execute("SELECT listen_id, columns, track_id FROM imported_fill_ins WHERE import_id = ?",
                             (import_id,)).fetchall()
        fills_given = [f for f in fills if f[1] not in ("stretch_of", "private")]
        now, changed = time.time(), False
        # A row another file still imported joined too or took out too stays so (see _rejoin,
        # _make_private); a column another file still imported gave too keeps what it holds, and
        # only the rest is emptied (see _fill_in): an end the account data alone told goes with
        # it, though the extended history still gives the row its skip.
        kept = {(r[0], r[1]) for r in conn.execute(
            "SELECT f.listen_id, f.columns FROM imported_fill_ins f WHERE f.import_id = ? "
            "AND f.columns IN ('stretch_of', 'private') AND EXISTS (SELECT 1 FROM imported_fill_ins o "
            "WHERE o.listen_id = f.listen_id AND o.import_id != ? AND o.columns = f.columns)", (import_id, import_id))}
        others: dict[int, set[str]] = {}
        for listen_id, columns in conn.execute(
                "SELECT o.listen_id, o.columns FROM imported_fill_ins o JOIN imported_fill_ins f "
                "ON f.listen_id = o.listen_id AND f.import_id = ? WHERE o.import_id != ? "
                "AND o.columns NOT IN ('stretch_of', 'private')", (import_id, import_id)):
            others.setdefault(listen_id, set()).update(columns.split(","))
        private = [(listen_id, track_id) for listen_id, columns, track_id in fills
                   if columns == "private" and (listen_id, "private") not in kept]
        fills = [(listen_id, columns) for listen_id, columns, _track in fills if columns == "stretch_of"
                 and (listen_id, columns) not in kept]
        fills += [(listen_id, ",".join(left)) for listen_id, columns, _track in fills_given
                  if (left := [c for c in columns.split(",") if c and c not in others.get(listen_id, ())])]
        if private:
            self._unmake_private(conn, private, now)
            changed = True
        # Stretches it joined to the play of the row before them (see _rejoin) are plays of their own again.
        parted = [listen_id for listen_id, columns in fills if columns == "stretch_of"]
        if parted:
            placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                       (now, now)).lastrowid
            joined_to = set()
            for listen_id in parted:
                row = conn.execute("SELECT l.started_at, l.ms_played, l.duration_ms, l.skipped, l.reason_end, "
                                   "l.play_id, p.track_id, p.track_ms FROM imported_listens l "
                                   "JOIN plays p ON p.id = l.play_id WHERE l.id = ?", (listen_id,)).fetchone()
                if row is None:
                    continue
                heard = row["ms_played"] if row["ms_played"] is not None else (
                    row["duration_ms"] or row["track_ms"] or 0)
                skipped = None if row["skipped"] is None else bool(row["skipped"])
                play_id = conn.execute(
                    "INSERT INTO plays (track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (row["track_id"], placeholder, row["started_at"], int(heard), row["track_ms"],
                     play_ending(row["ms_played"], skipped, row["reason_end"]), IMPORT_SOURCE,
                     max(now, row["started_at"]))).lastrowid
                conn.execute("UPDATE imported_listens SET stretch_of = NULL, play_id = ? WHERE id = ?",
                             (play_id, listen_id))
                joined_to.add(row["play_id"])
            for play_id in joined_to:
                self._replay(conn, play_id, now)
            self._recut_import_sessions(conn, placeholder)
            changed = True
        # The rest a set at a time (a year of history is a hundred thousand rows taught): the
        # columns emptied again, then each play those rows made alone ended as the row now says.
        emptied: dict[str, list[int]] = {}
        for listen_id, columns in fills:
            if columns != "stretch_of":
                emptied.setdefault(columns, []).append(listen_id)
        moved: list[tuple[int, float, float]] = []
        for columns, ids in emptied.items():
            names = [c for c in columns.split(",") if c in ("ms_played", "skipped", "reason_end", "ended_at")]
            if "started_at" in columns.split(","):
                # (the play such a row began goes back to that start too: see _move_starts)
                for i in range(0, len(ids), _CHUNK):
                    chunk = ids[i:i + _CHUNK]
                    moved += [tuple(r) for r in conn.execute(
                        "SELECT play_id, started_at, ended_at - ms_played / 1000.0 FROM imported_listens "
                        f"WHERE id IN ({','.join('?' * len(chunk))}) AND play_id IS NOT NULL", chunk)]
            # A start learned goes back to the end less the time heard, as the row's own file gave it.
            sets = [f"{c} = NULL" for c in names] + ["started_at = ended_at - ms_played / 1000.0"] * (
                "started_at" in columns.split(","))
            for i in range(0, len(ids), _CHUNK) if sets else ():
                chunk = ids[i:i + _CHUNK]
                conn.execute(f"UPDATE imported_listens SET {', '.join(sets)} "
                             f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        ids = [listen_id for ids in emptied.values() for listen_id in ids]
        ended, spans = [], []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            for row in conn.execute(
                    "SELECT l.play_id, l.ms_played, l.duration_ms, l.skipped, l.reason_end, p.track_ms, "
                    "p.started_at, p.ms_heard, p.session_id FROM imported_listens l JOIN plays p ON p.id = l.play_id "
                    f"WHERE l.id IN ({','.join('?' * len(chunk))}) AND p.source = ? AND NOT EXISTS "
                    "(SELECT 1 FROM imported_listens o WHERE o.play_id = l.play_id AND o.id != l.id)",
                    (*chunk, IMPORT_SOURCE)):
                # As the importer makes a play of a row that says not how long it was heard: the whole song.
                heard = row["ms_played"] if row["ms_played"] is not None else (
                    row["duration_ms"] or row["track_ms"] or 0)
                skipped = None if row["skipped"] is None else bool(row["skipped"])
                ended.append((int(heard), play_ending(row["ms_played"], skipped, row["reason_end"]), now,
                              row["play_id"]))
                if int(heard) != row["ms_heard"]:
                    spans.append((row["started_at"], row["started_at"] + max(int(heard), row["ms_heard"] or 0)
                                  / 1000.0, row["session_id"]))
        conn.executemany(f"UPDATE plays SET ms_heard = ?, ended = ?, updated_at = {NOT_BEFORE_START} WHERE id = ?",
                         ended)
        self._recut_changed(conn, spans + self._move_starts(conn, moved, now))
        changed = changed or bool(ended)
        conn.execute("DELETE FROM imported_fill_ins WHERE import_id = ?", (import_id,))
        if changed:
            self._plays_rewritten(conn)         # (plays stored before changed: see ``rewritten_stamp``)
        return len({listen_id for listen_id, _ in fills} | {listen_id for listen_id, _ in private})

    def _unmake_private(self, conn, private: Sequence[tuple[int, int | None]], now: float) -> None:
        """Give back the plays :meth:`_make_private` took from rows (``(row, track)`` each), on
        the track they were plays of (or the one a scan merged it into since); a row that made
        none, or whose track is gone from the library, is kept unmatched again (a scan links
        it when the song comes back)."""
        placeholder = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                   (now, now)).lastrowid
        for listen_id, track_id in private:
            # (the track noted may have been merged into a copy since: the play goes to that)
            track_id = None if track_id is None else self._live_id(conn, track_id)
            row = conn.execute("SELECT l.started_at, l.ms_played, l.duration_ms, l.skipped, l.reason_end, "
                               "t.duration FROM imported_listens l JOIN tracks t ON t.id = ? "
                               "WHERE l.id = ? AND l.play_id IS NULL", (track_id, listen_id)).fetchone()
            if track_id is None or row is None:
                continue
            track_ms = int(round(row["duration"] * 1000)) if row["duration"] else row["duration_ms"]
            heard = row["ms_played"] if row["ms_played"] is not None else (row["duration_ms"] or track_ms or 0)
            skipped = None if row["skipped"] is None else bool(row["skipped"])
            play_id = conn.execute(
                "INSERT INTO plays (track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (track_id, placeholder, row["started_at"], int(heard), track_ms,
                 play_ending(row["ms_played"], skipped, row["reason_end"]), IMPORT_SOURCE,
                 max(now, row["started_at"]))).lastrowid
            conn.execute("UPDATE imported_listens SET play_id = ? WHERE id = ?", (play_id, listen_id))
        self._recut_import_sessions(conn, placeholder)

    def _recut_import_sessions(self, conn, placeholder: int, *, span: tuple[float, float] | None = None) -> None:
        """Cut the imported plays near the new ones (those of ``placeholder``, the session
        they were inserted with) into sessions again; ``span``: ``(first start, last end)``
        of plays just removed, to cut what is left around them (``placeholder`` is empty).

        Only sessions that come within ``SESSION_GAP_S`` of the new plays can change, so
        only their plays are read; of those, a session that lies wholly inside a new one
        keeps its id (a second import touches only what it changed).
        """
        lo, hi = span or conn.execute("SELECT min(started_at), max(started_at + ms_heard / 1000.0) FROM plays "
                                      "WHERE session_id = ?", (placeholder,)).fetchone()
        rows = []
        if lo is not None:
            rows = conn.execute(
                "SELECT id, session_id, started_at, ms_heard FROM plays WHERE source = ? AND session_id IN "
                "(SELECT id FROM sessions WHERE id = ? OR (started_at < ? AND last_active_at > ?)) "
                "ORDER BY started_at, id",
                (IMPORT_SOURCE, placeholder, hi + SESSION_GAP_S, lo - SESSION_GAP_S)).fetchall()
        kept: set[int] = set()
        old_sessions: set[int] = set()
        if rows:
            ids = np.array([r[0] for r in rows], np.int64)
            sess = np.array([r[1] for r in rows], np.int64)
            start = np.array([r[2] for r in rows], np.float64)
            end = start + np.array([r[3] or 0 for r in rows], np.float64) / 1000.0
            size = Counter(sess.tolist())
            old_sessions = set(size)
            moves: list[tuple[int, int]] = []
            for group in split_sessions(start, ends=end, gap_s=SESSION_GAP_S):
                first, last_active = float(start[group[0]]), float(end[group].max())
                # Keep an old session that lies wholly inside this one (the most plays first).
                counts = Counter(sess[group].tolist())
                target = next((sid for sid, c in counts.most_common()
                               if sid != placeholder and sid not in kept and size[sid] == c), None)
                if target is None:
                    target = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)",
                                          (first, last_active)).lastrowid
                elif len(counts) > 1 or span is not None:    # (a removal may have shortened it)
                    conn.execute("UPDATE sessions SET started_at = ?, last_active_at = ? WHERE id = ?",
                                 (first, last_active, target))
                kept.add(target)
                moves += [(target, int(i)) for i, sid in zip(ids[group], sess[group]) if sid != target]
            conn.executemany("UPDATE plays SET session_id = ? WHERE id = ?", moves)
            stored_before = {int(i) for i, sid in zip(ids, sess) if sid != placeholder}
            if any(i in stored_before for _, i in moves):
                self._plays_rewritten(conn)     # (plays stored before moved: see ``rewritten_stamp``)
        gone = sorted((old_sessions | {placeholder}) - kept)
        for i in range(0, len(gone), _CHUNK):
            chunk = gone[i:i + _CHUNK]
            conn.execute(f"DELETE FROM sessions WHERE id IN ({','.join('?' * len(chunk))}) AND NOT EXISTS "
                         "(SELECT 1 FROM plays WHERE plays.session_id = sessions.id)", chunk)

    # -- export -----------------------------------------------------------------------
    def export_rows(self, what: str) -> Iterator[dict]:
        """Rows of ``plays`` (with each track's names), ``tracks`` or ``imports`` (every
        imported row, with the track it matched), as dicts, for ``segue export``."""
        return _utils(self.conn).query(_export_sql(what))

    def export_columns(self, what: str) -> list[str]:
        """The names of the columns :meth:`export_rows` gives, there where it gives no row."""
        return [c[0] for c in self.conn.execute(_export_sql(what) + " LIMIT 0").description]
