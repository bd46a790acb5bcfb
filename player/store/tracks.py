"""Tracks and library folders."""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import time
from typing import Iterable, Iterator, Sequence

from player.library.identity import UNCOUNTED_MTIMES
from player.store.connection import sql_text
from player.store.migrations import WORK_CANDIDATES
from player.store.order_keys import ORDER_ARTIST
from segue_common.listening import COUNTS_AS_PLAY
from segue_common.text import in_path_order

log = logging.getLogger(__name__)

# Columns the scanner fills from a file (everything but bookkeeping).
TRACK_FIELDS: tuple[str, ...] = (
    "path", "folder_id", "size", "mtime_ns", "title", "artist", "album", "albumartist",
    "genre", "year", "track_no", "disc_no", "duration", "codec", "sample_rate", "channels",
    "bitrate", "rg_track_gain", "rg_track_peak", "rg_album_gain", "rg_album_peak",
    "mb_track_id", "mb_album_id", "mb_artist_id", "match_key", "last_error", "ctime_ns",
    "composer", "compilation", "artistsort", "albumartistsort", "cue_sheet", "cue_start_s", "cue_end_s",
    "composersort", "rating", "work", "grouping", "movement", "movementname",
)

# A new track is numbered above every track there is and every row a scan merged away
# (SQLite would give the number of a deleted last row to the next one): a queue or a saved
# state that still names a merged-away row must find the track that took it over, never
# another song that came to bear its number.
_NEW_ID = ("max(coalesce((SELECT max(id) FROM tracks), 0), "
           "coalesce((SELECT max(gone_id) FROM track_merges), 0)) + 1")

# A track ``t`` is away, its disk or share not connected, where the last scan of its library
# folder ``f`` found that folder away, or where it is below a mount point ``m`` found empty in
# one (see :meth:`TracksMixin.note_mount_points`): by name below it, which the path's own index
# reads in order ("/music/nas/" up to "/music/nas0"; "+t.missing": else SQLite read every
# track). The one reading of away, in both its forms below: the songs the library greys are
# the songs a playlist says are not connected.
_FOLDER_AWAY = "f.away_since IS NOT NULL"
_BELOW_MOUNT_AWAY = (f"m.away_since IS NOT NULL AND t.path > m.path || '{os.sep}' "
                     f"AND t.path < m.path || '{chr(ord(os.sep) + 1)}'")

# ``track id, home`` of the tracks away: below a mount point (the outer one last, below two),
# then of a library folder (its folder last, where both).
_AWAY_BELOW_MOUNTS = ("SELECT t.id, m.path FROM mount_points m CROSS JOIN tracks t "
                      f"WHERE {_BELOW_MOUNT_AWAY} AND +t.missing = 0 ORDER BY m.path DESC")
_AWAY_IN_FOLDERS = ("SELECT t.id, f.path FROM folders f CROSS JOIN tracks t ON t.folder_id = f.id "
                    f"WHERE {_FOLDER_AWAY} AND +t.missing = 0")

# The same of the track ``t`` of a row (a playlist's entry): where it is, if it is away, else NULL.
AWAY_HOME = (f"CASE WHEN t.missing = 0 THEN coalesce((SELECT f.path FROM folders f WHERE f.id = t.folder_id "
             f"AND {_FOLDER_AWAY}), (SELECT min(m.path) FROM mount_points m WHERE {_BELOW_MOUNT_AWAY})) END")

# What a row says of its file itself (where it is, its size and times), and its error: all a
# file that cannot be read gives, so an error row writes only these.
_FILE_FIELDS = ("path", "folder_id", "size", "mtime_ns", "ctime_ns")

# The stars a file says are the song's rating unless the person rated it here (own_rating, see
# migration 29): a rescan or a re-read of the tags must never undo what they chose.
OWN_RATING = "nullif(own_rating, 0)"

# The columns a read may name beside TRACK_FIELDS: the library's own, never written from a
# file (the stars given here tell suggestions a one star given here from a file's).
_READ_ONLY_COLUMNS = frozenset({"id", "added_at", "updated_at", "folder_compilation", "own_rating"})
_RATING_READ = ("rating = CASE WHEN tracks.own_rating IS NOT NULL THEN nullif(tracks.own_rating, 0) "
                "WHEN excluded.last_error IS NULL THEN excluded.rating ELSE tracks.rating END")

# A known track whose file cannot be read now (a download overwritten half-way, a disk error,
# a file another program is writing) keeps what its file said when it last read: its names
# still say what its plays were (the taste suggestions learn from them, a song never to
# suggest found in its other copies), and nothing is lost if the file reads again. Only its
# file's facts and its error change; a file that reads again writes every value anew.
_UPSERT = (
    f"INSERT INTO tracks (id, {', '.join(TRACK_FIELDS)}, added_at, updated_at, missing) "
    f"VALUES ({_NEW_ID}, {', '.join('CAST(:path AS TEXT)' if f == 'path' else ':' + f for f in TRACK_FIELDS)}, "
    ":now, :now, 0) "
    "ON CONFLICT(path) DO UPDATE SET "
    + ", ".join(f"{f} = excluded.{f}" if f in _FILE_FIELDS or f == "last_error"
                else f"{f} = CASE WHEN excluded.last_error IS NULL THEN excluded.{f} ELSE tracks.{f} END"
                if f != "rating" else _RATING_READ
                for f in TRACK_FIELDS if f != "path")
    + ", updated_at = excluded.updated_at, missing = 0"
)


# Errors of one row's values (a number SQLite cannot hold, text it cannot encode): they cost
# that row, never the batch. Disk full, locks and damage are not here: they stop the write.
_ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError,
               OverflowError, ValueError, TypeError)

# A changed file's analysis error goes: the new content gets its own try. So does its
# analysis when its length changed (a re-rip saved over it, a download that was still being
# written when it was scanned): that describes other audio. A retag keeps the length, and
# the analysis with it. A file that cannot be read now tells no length: its track keeps its
# analysis with its tags, until the file reads again and says whether its audio is the same.
_CLEAR_CHANGED_ERRORS = (
    "DELETE FROM track_features WHERE track_id IN "
    "(SELECT id FROM tracks WHERE path = CAST(:path AS TEXT) AND (size IS NOT :size OR mtime_ns IS NOT :mtime_ns) "
    " AND (track_features.error IS NOT NULL "
    "      OR (:last_error IS NULL AND abs(coalesce(duration, 0) - coalesce(:duration, 0)) > 1.0)))"
)
# A CUE sheet's track whose stretch of the file moved (the sheet edited, the file as it was)
# is other audio too: its analysis goes, whatever else changed.
_CLEAR_MOVED_RANGES = (
    "DELETE FROM track_features WHERE track_id IN "
    "(SELECT id FROM tracks WHERE path = CAST(:path AS TEXT) AND :last_error IS NULL "
    " AND cue_start_s IS NOT NULL AND :cue_start_s IS NOT NULL "
    " AND (abs(cue_start_s - :cue_start_s) > 0.01 "
    "      OR abs(coalesce(cue_end_s, 1e12) - coalesce(:cue_end_s, 1e12)) > 0.01))"
)


# Matches the tracks_library_order index (migration 31) so SQLite need not sort: the stored
# keys (``player.store.order_keys``) order names as people sort them.
_LIBRARY_ORDER = "order_artist_key, order_album_key, disc_no, track_no, path"

# Ids per query of :meth:`TracksMixin.tracks_by_id`: well under the 999 bound variables an
# older SQLite allows in one statement.
_ID_CHUNK = 500
#: up to this many tracks' works are read by their ids (see TracksMixin.work_movements)
_FEW_WORK_IDS = 5000


class TracksMixin:
    # -- folders -----------------------------------------------------
    def add_folder(self, path: str) -> int:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO folders (path, added_at) VALUES (CAST(? AS TEXT), ?) ON CONFLICT(path) DO NOTHING",
                (sql_text(path), time.time()),
            )
            return conn.execute("SELECT id FROM folders WHERE path = CAST(? AS TEXT)",
                                (sql_text(path),)).fetchone()[0]

    def remove_folder(self, path: str) -> None:
        """Forget a folder; its tracks are flagged missing (their plays are kept)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM folders WHERE path = CAST(? AS TEXT)", (sql_text(path),)).fetchone()
            if row is None:
                return
            conn.execute("UPDATE tracks SET missing = 1, folder_id = NULL WHERE folder_id = ?", (row[0],))
            conn.execute("DELETE FROM mount_points WHERE folder_id = ?", (row[0],))
            conn.execute("DELETE FROM folders WHERE id = ?", (row[0],))

    def folders(self) -> list[sqlite3.Row]:
        return self.execute("SELECT * FROM folders ORDER BY path").fetchall()

    def folder_path(self, folder_id: int | None) -> str | None:
        """The library folder of that id (None where there is none)."""
        if folder_id is None:
            return None
        row = self.execute("SELECT path FROM folders WHERE id = ?", (folder_id,)).fetchone()
        return row[0] if row is not None else None

    def set_folder_scanned(self, folder_id: int, when: float | None = None, *, tag_reader: int | None = None) -> None:
        """Note a folder's scan; ``tag_reader``: the tag reader's version it read its files with."""
        with self.transaction() as conn:
            conn.execute("UPDATE folders SET last_scan_at = ?, tag_reader = coalesce(?, tag_reader) WHERE id = ?",
                         (when or time.time(), tag_reader, folder_id))

    def set_folder_reader(self, folder_id: int, tag_reader: int) -> None:
        """Note the tag reader's version a folder's files are read with, before its scan ends."""
        with self.transaction() as conn:
            conn.execute("UPDATE folders SET tag_reader = ? WHERE id = ?", (tag_reader, folder_id))

    def set_folders_away(self, away: Iterable[str], there: Iterable[str]) -> tuple[list[str], list[str]]:
        """Note the library folders a scan found away (not there, or empty where they had
        tracks: a disk or share not connected) and those it found there. Returns the folders
        that went away and those that came back since the scans before."""
        now = time.time()
        gone, back = [], []
        with self.transaction() as conn:
            for path in away:
                if conn.execute("UPDATE folders SET away_since = ? WHERE path = CAST(? AS TEXT) "
                                "AND away_since IS NULL", (now, sql_text(path))).rowcount:
                    gone.append(path)
            for path in there:
                if conn.execute("UPDATE folders SET away_since = NULL WHERE path = CAST(? AS TEXT) "
                                "AND away_since IS NOT NULL", (sql_text(path),)).rowcount:
                    back.append(path)
        return gone, back

    def mount_points(self, folder_id: int) -> set[str]:
        """The folders inside the library folder ``folder_id`` that a scan found on another
        disk than the folder they are in (see the migration that makes ``mount_points``)."""
        return {r[0] for r in self.execute("SELECT path FROM mount_points WHERE folder_id = ?", (folder_id,))}

    def mount_points_away(self) -> list[str]:
        """The mount points inside the library folders whose disk or share the last scan found
        not connected (see :meth:`note_mount_points`)."""
        return [r[0] for r in self.execute("SELECT path FROM mount_points WHERE away_since IS NOT NULL ORDER BY path")]

    def note_mount_points(self, folder_id: int, found: Iterable[str], gone: Iterable[str] = (),
                          away: Iterable[str] = ()) -> None:
        """Note the mount points a scan found inside the library folder ``folder_id``, and
        forget those in ``gone`` (folders no longer there, or a plain folder of the disk now).
        Those in ``away`` (found empty, their disk not connected) are away from now on, their
        tracks as a library folder's away are (see :meth:`away_tracks`); the folder's others not."""
        away = [sql_text(path) for path in away]
        with self.transaction() as conn:
            conn.executemany("INSERT INTO mount_points (path, folder_id) VALUES (CAST(? AS TEXT), ?) "
                             "ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id",
                             [(sql_text(path), folder_id) for path in found])
            conn.executemany("DELETE FROM mount_points WHERE path = CAST(? AS TEXT)",
                             [(sql_text(path),) for path in gone])
            # (one away since an earlier scan keeps that time: what is away changes only when that does)
            now = time.time()
            conn.execute("UPDATE mount_points SET away_since = NULL WHERE folder_id = ? AND away_since IS NOT NULL "
                         f"AND path NOT IN ({', '.join('CAST(? AS TEXT)' for _ in away)})", (folder_id, *away))
            conn.executemany("UPDATE mount_points SET away_since = ? WHERE path = CAST(? AS TEXT) "
                             "AND away_since IS NULL", [(now, path) for path in away])

    def library_stamp(self) -> int:
        """Changes whenever any track or library folder is written, by any code or process
        (SQLite counts each write itself: see migration 22). A cheap read: a reader may keep
        what it read of the library until it changes. Read it in the same snapshot as the
        rows it stands for, or before them: a write in between then reads them again."""
        row = self.execute("SELECT n FROM library_changes WHERE id = 1").fetchone()
        return row[0] if row is not None else -1

    def library_changed_ids(self, since: int) -> list[int]:
        """The ids of the tracks written (inserted, updated, deleted) since :meth:`library_stamp`
        read ``since`` (see migration 23); read in one snapshot with the stamp they lead to."""
        return [r[0] for r in self.execute("SELECT track_id FROM track_changes WHERE n > ?", (since,))]

    def library_order_ids(self) -> list[int]:
        """The ids of :meth:`library_rows`, in their order (a few hundredths of a second at
        100,000 tracks: their index is in that order)."""
        return [r[0] for r in self._plain(f"SELECT id FROM tracks WHERE missing = 0 AND last_error IS NULL "
                                          f"ORDER BY {_LIBRARY_ORDER}")]

    def library_order_of(self, track_ids: Sequence[int]) -> list[int]:
        """Those of ``track_ids`` the library plays, in library order."""
        ids = list(track_ids)
        if len(ids) > _ID_CHUNK:
            wanted = set(ids)
            return [t for t in self.library_order_ids() if t in wanted]
        if not ids:
            return []
        return [r[0] for r in self._plain_args(
            f"SELECT id FROM tracks WHERE missing = 0 AND last_error IS NULL AND id IN ({', '.join('?' * len(ids))}) "
            f"ORDER BY {_LIBRARY_ORDER}", ids)]

    def release_rows(self, folder: str, mb_album_id: str | None, columns: Sequence[str]) -> list[sqlite3.Row]:
        """``id`` and ``columns`` of the playable tracks whose path begins with ``folder`` (a
        release's folder: its disc folders too, and "The Wall (Disc 2)" beside "The Wall") or of
        the release ``mb_album_id``, in library order: every track that may share an album
        (:class:`player.recommendations.AlbumIds`) with one in ``folder``, read through the
        paths' index where there is no release id, not as a read of the whole library."""
        unknown = set(columns) - set(TRACK_FIELDS) - _READ_ONLY_COLUMNS
        if unknown:
            raise ValueError(f"not track columns: {sorted(unknown)}")
        where, args = "path >= CAST(? AS TEXT) AND path < CAST(? AS TEXT)", [sql_text(folder),
                                                                           sql_text(folder + "\U0010ffff")]
        if mb_album_id:
            where, args = f"({where} OR mb_album_id = ?)", [*args, mb_album_id]
        return self.execute(f"SELECT id, {', '.join(columns)} FROM tracks WHERE missing = 0 AND last_error IS NULL "
                            f"AND {where} ORDER BY {_LIBRARY_ORDER}", args).fetchall()

    def library_rows_of(self, columns: Sequence[str], track_ids: Iterable[int]) -> list[tuple]:
        """:meth:`library_rows` (plain tuples) of those of ``track_ids`` the library plays, in no order."""
        unknown = set(columns) - set(TRACK_FIELDS) - _READ_ONLY_COLUMNS
        if unknown:
            raise ValueError(f"not track columns: {sorted(unknown)}")
        ids, out = list(track_ids), []
        cur = self.conn.cursor()
        cur.row_factory = None
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i:i + _ID_CHUNK]
            out += cur.execute(f"SELECT {', '.join(columns)} FROM tracks WHERE missing = 0 AND last_error IS NULL "
                               f"AND id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
        return out

    def away_stamp(self) -> tuple:
        """Changes whenever a folder or a mount point in one goes away or comes back (a cheap read)."""
        return tuple(self.execute("SELECT count(*), total(id), max(away_since) FROM folders "
                                  "WHERE away_since IS NOT NULL").fetchone()) + tuple(self.execute(
            "SELECT count(*), total(rowid), max(away_since) FROM mount_points "
            "WHERE away_since IS NOT NULL").fetchone())

    def away_tracks(self) -> dict[int, str]:
        """``track id -> library folder`` for the tracks of the folders the last scan of each
        found away: listed, and not playable until their disk is connected again. The tracks
        below a mount point in a library folder found empty (see :meth:`note_mount_points`)
        are away as well, the mount point for their folder: a disk or share not connected
        there, whose songs would fail one after another."""
        away = dict(self.execute(_AWAY_BELOW_MOUNTS).fetchall())
        away.update(self.execute(_AWAY_IN_FOLDERS).fetchall())
        return away

    def away_track_ids(self) -> set[int]:
        return set(self.away_tracks())

    # -- tracks ------------------------------------------------------
    def file_index(self, folder_id: int) -> dict[str, tuple[int, int, int, int, int | None]]:
        """``path -> (id, size, mtime_ns, missing, ctime_ns)`` for the tracks of a folder
        (``ctime_ns`` None where it was not recorded)."""
        rows = self.execute(
            "SELECT path, id, size, mtime_ns, missing, ctime_ns FROM tracks WHERE folder_id = ?", (folder_id,)
        )
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def record_ctimes(self, ctimes: Iterable[tuple[int, int]]) -> None:
        """Note ``(ctime_ns, track id)``: the status-change times of files found as they were,
        whose tracks were stored without one (see the scanner).

        The library's stamp (:meth:`library_stamp`) and the tracks' changes are put back as
        they were, in the same transaction: the time is the scanner's own note, which no
        reader of the library shows, and a stamp moved by it had the learning recommender
        read 100,000 tracks again after each folder of the first scan that notes them."""
        rows = list(ctimes)
        if rows:
            with self.transaction() as conn:
                n = conn.execute("SELECT n FROM library_changes WHERE id = 1").fetchone()
                ids = [r[1] for r in rows]
                noted = []
                for i in range(0, len(ids), _ID_CHUNK):
                    chunk = ids[i:i + _ID_CHUNK]
                    noted += conn.execute(f"SELECT track_id, n FROM track_changes "
                                          f"WHERE track_id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
                conn.executemany("UPDATE tracks SET ctime_ns = ? WHERE id = ?", rows)
                if n is not None:
                    conn.execute("UPDATE library_changes SET n = ? WHERE id = 1", (n[0],))
                    was = dict(noted)
                    conn.executemany("DELETE FROM track_changes WHERE track_id = ?",
                                     [(t,) for t in set(ids) - set(was)])
                    conn.executemany("UPDATE track_changes SET n = ? WHERE track_id = ?",
                                     [(v, t) for t, v in was.items()])

    def upsert_tracks(self, rows: Sequence[dict]) -> list[tuple[str, str]]:
        """Insert or update tracks by path, in one transaction.

        A row whose values cannot be stored is stored as an error row (its file data and
        ``last_error``) and the others are kept. Returns ``[(path, error)]`` of those rows.
        An error row of a known track keeps its other values (see ``_UPSERT``).
        A file that changed (size or modification time) loses its stored analysis error:
        the analysis that failed on the old content tries the new one.
        """
        if not rows:
            return []
        now = time.time()
        params = [{**{f: row.get(f) for f in TRACK_FIELDS}, "now": now} for row in rows]
        for p in params:
            p["path"] = sql_text(p["path"])
        failed: list[tuple[str, str]] = []
        with self.transaction() as conn:
            try:
                conn.executemany(_CLEAR_CHANGED_ERRORS, params)
                conn.executemany(_CLEAR_MOVED_RANGES, params)
            except _ROW_ERRORS:
                pass  # a row that cannot be stored has no analysis to clear
            try:
                conn.executemany(_UPSERT, params)
                return failed
            except _ROW_ERRORS:
                pass
            # The upsert is idempotent: redo row by row, so only the bad rows fall back.
            for p, row in zip(params, rows):
                try:
                    conn.execute(_UPSERT, p)
                    continue
                except _ROW_ERRORS as exc:
                    error = f"could not be stored ({type(exc).__name__}: {exc})"
                bare = {f: None for f in TRACK_FIELDS}
                bare.update({f: p[f] for f in _FILE_FIELDS}, last_error=error[:500], now=now)
                try:
                    conn.execute(_UPSERT, bare)
                except _ROW_ERRORS as exc2:
                    log.warning("could not store %r at all: %s", row.get("path"), exc2)
                failed.append((row.get("path"), error))
        return failed

    def forget_error_rows(self, paths: Iterable[str]) -> int:
        """Delete the error rows at ``paths`` (a CUE sheet that can be used now: it is no
        track, and its error is no longer true). Error rows have no plays. Returns how many went."""
        rows = [(sql_text(p),) for p in paths]
        if not rows:
            return 0
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM tracks WHERE path = CAST(? AS TEXT) AND last_error IS NOT NULL "
                             "AND NOT EXISTS (SELECT 1 FROM plays WHERE plays.track_id = tracks.id)", rows)
            return conn.total_changes - before

    def mark_missing(self, track_ids: Iterable[int]) -> int:
        ids = [(i,) for i in track_ids]
        with self.transaction() as conn:
            conn.executemany("UPDATE tracks SET missing = 1 WHERE id = ?", ids)
        return len(ids)

    def tracks_of_sizes(self, sizes: Iterable[int]) -> list[sqlite3.Row]:
        """``id, path, size, mtime_ns, cue_start_s`` of the tracks not missing whose files have
        one of ``sizes`` (bytes): the candidates for a file found under another path."""
        sizes = sorted(set(sizes))
        rows: list[sqlite3.Row] = []
        for i in range(0, len(sizes), _ID_CHUNK):
            chunk = sizes[i:i + _ID_CHUNK]
            rows += self.execute("SELECT id, path, size, mtime_ns, cue_start_s FROM tracks WHERE missing = 0 "
                                 f"AND size IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return rows

    def still_missing(self, track_ids: Iterable[int]) -> int:
        """How many of ``track_ids`` are tracks still marked missing."""
        ids = list(track_ids)
        chunks = (ids[i:i + _ID_CHUNK] for i in range(0, len(ids), _ID_CHUNK))
        return sum(self.execute("SELECT count(*) FROM tracks WHERE missing = 1 AND id IN "
                                f"({','.join('?' * len(chunk))})", chunk).fetchone()[0] for chunk in chunks)

    def missing_track_ids(self) -> set[int]:
        """The tracks whose files the scans found gone (deleted, or moved where no scan has
        found them yet): kept with their plays, and not playable."""
        return {r[0] for r in self.execute("SELECT id FROM tracks WHERE missing = 1")}

    def mark_present(self, track_ids: Iterable[int]) -> None:
        with self.transaction() as conn:
            conn.executemany("UPDATE tracks SET missing = 0 WHERE id = ?", [(i,) for i in track_ids])

    def _identities(self, where: str, args: Sequence = ()) -> list[sqlite3.Row]:
        return self.execute(
            "SELECT t.id, t.path, t.match_key, t.duration, t.mb_track_id, t.size, t.mtime_ns, t.added_at, "
            "t.title, t.album, t.disc_no, t.track_no, t.codec, t.sample_rate, t.channels, t.cue_start_s, "
            "(SELECT count(*) FROM plays p WHERE p.track_id = t.id) AS plays, "
            "(SELECT count(*) FROM playlist_entries e WHERE e.track_id = t.id) AS listed "
            f"FROM tracks t WHERE {where}", args
        ).fetchall()

    def missing_tracks(self) -> list[sqlite3.Row]:
        """Missing tracks, candidates for a file that moved: what identifies them (tags,
        length, audio format, the file's size and modification time) and how much history
        they hold (``plays``, ``listed``: playlist places). One whose file could not be read
        before it went is one too: it kept its song's names, and the error was its file's
        (a download cut short, then fetched whole elsewhere)."""
        return self._identities("t.missing = 1")

    def playable_in_folders(self, folder_ids: Iterable[int]) -> list[sqlite3.Row]:
        """The playable tracks of these library folders, as :meth:`missing_tracks` gives the
        missing ones: the tracks a file found at another path may be, where their own folder
        is not connected."""
        ids = sorted(set(folder_ids))
        rows: list[sqlite3.Row] = []
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i:i + _ID_CHUNK]
            rows += self._identities(f"t.folder_id IN ({', '.join('?' * len(chunk))}) "
                                     "AND t.missing = 0 AND t.last_error IS NULL", chunk)
        return rows

    def copies_of_missing(self) -> list[sqlite3.Row]:
        """The playable tracks that are the same file (size and modification time) as a
        missing one, as :meth:`missing_tracks` gives the missing ones: the copies a missing
        track's history may go to. (Not every playable track with its plays counted: a
        large library would pay for that at every scan.) Where either was listed at an
        estimated length and not counted (a scan stopped in the count), its time is not its
        file's: the size alone picks it, and the scan tells by the name and format."""
        uncounted = ", ".join(str(t) for t in UNCOUNTED_MTIMES)
        return self._identities(
            "t.missing = 0 AND t.last_error IS NULL "
            "AND ((t.size, t.mtime_ns) IN (SELECT size, mtime_ns FROM tracks WHERE missing = 1) "
            f"OR t.size IN (SELECT size FROM tracks WHERE missing = 1 AND mtime_ns IN ({uncounted})) "
            f"OR t.mtime_ns IN ({uncounted}) AND t.size IN (SELECT size FROM tracks WHERE missing = 1))")

    def detach_replaced(self, track_id: int) -> None:
        """The file of ``track_id`` now holds another song: the track (its plays, its
        analysis) becomes a missing one outside any folder, under a name no file has, so
        that the path is free for the new song and the file the old one went to can take
        it back. (An error its file gave before is the file's, not the song's: a song whose
        file could not be read for a while and is found whole elsewhere is that track.)"""
        with self.transaction() as conn:
            row = conn.execute("SELECT path FROM tracks WHERE id = ?", (track_id,)).fetchone()
            if row is None:
                return
            conn.execute("UPDATE tracks SET path = CAST(? AS TEXT), folder_id = NULL, missing = 1, last_error = NULL "
                         "WHERE id = ?", (sql_text(f"{row[0]} (replaced by another song; track {track_id})"), track_id))

    def set_aside_of(self, audio_path: str) -> list[sqlite3.Row]:
        """The tracks of a CUE sheet's file ``audio_path`` that :meth:`detach_replaced` set
        aside and no track took back yet (``id``, ``path``, ``cue_start_s``, ``duration``,
        ``match_key``): a scan stopped between the two leaves them so, and the next one pairs
        them with their songs' rows. (Their paths keep the track's, so an index finds them.)"""
        prefix = f"{audio_path}#"
        return self.execute(
            "SELECT id, path, cue_start_s, duration, match_key FROM tracks WHERE path >= CAST(? AS TEXT) "
            "AND path < CAST(? AS TEXT) AND folder_id IS NULL AND missing = 1 AND cue_sheet IS NOT NULL",
            (sql_text(prefix), sql_text(f"{audio_path}$"))).fetchall()

    @staticmethod
    def _merged(conn: sqlite3.Connection, gone_id: int, into_id: int) -> None:
        """Remember that ``gone_id`` is now ``into_id`` (in the transaction that deletes it):
        whatever still names it (a queued entry, a play starting, a saved queue) follows it.
        Rows that went into ``gone_id`` before go straight to ``into_id``."""
        conn.execute("UPDATE track_merges SET into_id = ? WHERE into_id = ?", (into_id, gone_id))
        conn.execute("DELETE FROM track_merges WHERE gone_id = ?", (into_id,))
        conn.execute("INSERT OR REPLACE INTO track_merges (gone_id, into_id, merged_at) VALUES (?, ?, ?)",
                     (gone_id, into_id, time.time()))

    @staticmethod
    def _live_id(conn: sqlite3.Connection, track_id: int) -> int | None:
        """``track_id`` while it is a track; else the track a scan merged it into; else None."""
        seen = set()
        while track_id not in seen:
            if conn.execute("SELECT 1 FROM tracks WHERE id = ?", (track_id,)).fetchone() is not None:
                return track_id
            seen.add(track_id)
            row = conn.execute("SELECT into_id FROM track_merges WHERE gone_id = ?", (track_id,)).fetchone()
            if row is None:
                return None
            track_id = row[0]
        return None

    def live_track_id(self, track_id: int) -> int | None:
        """The track ``track_id`` is now: itself, or the one a scan merged it into (a moved
        file's new row folded into its old track, another path to one file); None when it
        is neither."""
        return self._live_id(self.conn, int(track_id))

    def adopt_moved(self, old_id: int, new_id: int) -> None:
        """A file came back at a new path: keep the old track (and its history).

        The old row takes over the new row's path and file data; anything
        already attached to the new row moves to the old one.
        """
        if old_id == new_id:
            return
        with self.transaction() as conn:
            new = conn.execute("SELECT * FROM tracks WHERE id = ?", (new_id,)).fetchone()
            if conn.execute("UPDATE plays SET track_id = ? WHERE track_id = ?", (old_id, new_id)).rowcount:
                self._plays_rewritten(conn)     # (older plays renamed: a window that reads only new ones reads all)
            conn.execute("UPDATE playlist_entries SET track_id = ? WHERE track_id = ?", (old_id, new_id))
            conn.execute("UPDATE OR IGNORE never_suggest SET track_id = ? WHERE track_id = ?", (old_id, new_id))
            # (the place a long track was left: the kept track's own, where it has one)
            conn.execute("UPDATE OR IGNORE resume_positions SET track_id = ? WHERE track_id = ?", (old_id, new_id))
            conn.execute("DELETE FROM track_features WHERE track_id = ?", (new_id,))
            conn.execute("DELETE FROM tracks WHERE id = ?", (new_id,))
            self._merged(conn, new_id, old_id)
            fields = [f for f in TRACK_FIELDS]
            conn.execute(
                f"UPDATE tracks SET {', '.join(f + (' = CAST(? AS TEXT)' if f == 'path' else ' = ?') for f in fields)}"
                ", missing = 0, updated_at = ? WHERE id = ?",
                [sql_text(new[f]) for f in fields] + [time.time(), old_id],
            )
            # (the stars the person gave here stay the song's, whatever the file found says)
            conn.execute(f"UPDATE tracks SET rating = {OWN_RATING} WHERE id = ? AND own_rating IS NOT NULL",
                         (old_id,))

    def note_away_home(self, track_id: int, path: str) -> None:
        """Note ``path``: where the track ``track_id`` was before a copy at another place took it
        over while its library folder was away (see the migration that adds ``away_home``)."""
        with self.transaction() as conn:
            conn.execute("UPDATE tracks SET away_home = CAST(? AS TEXT) WHERE id = ?", (sql_text(path), track_id))

    def away_homes(self) -> dict[str, sqlite3.Row]:
        """``path -> track row`` of the tracks a copy took over (see :meth:`note_away_home`)."""
        return {row["away_home"]: row for row in self.execute("SELECT * FROM tracks WHERE away_home IS NOT NULL")}

    def swap_files(self, a_id: int, b_id: int) -> None:
        """Two tracks of the same file at two places exchange places (path, folder, file data):
        each keeps its id and history. Both are nobody's copy after."""
        with self.transaction() as conn:
            a, b = (conn.execute(f"SELECT {', '.join(_FILE_FIELDS)} FROM tracks WHERE id = ?", (i,)).fetchone()
                    for i in (a_id, b_id))
            sets = ", ".join(f + (" = CAST(? AS TEXT)" if f == "path" else " = ?") for f in _FILE_FIELDS)
            # (the path is unique: one of them is let go of it first)
            conn.execute("UPDATE tracks SET path = CAST(? AS TEXT) WHERE id = ?", (f"\0swap\0{a_id}", a_id))
            for row, to in ((a, b_id), (b, a_id)):
                conn.execute(f"UPDATE tracks SET {sets}, away_home = NULL, updated_at = ? WHERE id = ?",
                             [sql_text(row[f]) if f == "path" else row[f] for f in _FILE_FIELDS] + [time.time(), to])

    def missing_added_at(self, keys: Iterable[str]) -> dict[str, list[tuple[float | None, float]]]:
        """``match key -> [(length, added_at)]`` of the missing tracks of these match keys: when
        the songs of a file gone came into the library."""
        keys = list(keys)
        out: dict[str, list[tuple[float | None, float]]] = {}
        for i in range(0, len(keys), _ID_CHUNK):
            chunk = keys[i:i + _ID_CHUNK]
            for key, length, when in self.execute(
                    "SELECT match_key, duration, added_at FROM tracks WHERE missing = 1 "
                    f"AND match_key IN ({','.join('?' * len(chunk))})", chunk):
                out.setdefault(key, []).append((length, when))
        return out

    def sheet_dated_back(self, audio_path: str, when: float) -> None:
        """The tracks of a CUE sheet's file ``audio_path`` came into the library at ``when``,
        if not before: what is new in the library tells the songs the person just added from
        those they have had all along."""
        with self.transaction() as conn:
            conn.execute("UPDATE tracks SET added_at = ? WHERE path >= CAST(? AS TEXT) "
                         "AND path < CAST(? AS TEXT) AND cue_sheet IS NOT NULL AND added_at > ?",
                         (when, sql_text(f"{audio_path}#"), sql_text(f"{audio_path}$"), when))

    def track(self, track_id: int) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM tracks WHERE id = ?", (track_id,)).fetchone()

    def tracks_by_id(self, track_ids: Iterable[int], columns: Sequence[str] | None = None) -> dict[int, sqlite3.Row]:
        """``id -> row`` of these tracks, every column as :meth:`track` reads it or only the
        named ones (and ``id``); ids with no row are left out. A few queries of up to
        :data:`_ID_CHUNK` ids each, not one per track: Discover names some 14,000 tracks at a
        thousand genre values."""
        if columns is None:
            wanted = "*"
        else:
            unknown = set(columns) - set(TRACK_FIELDS) - _READ_ONLY_COLUMNS
            if unknown:
                raise ValueError(f"not track columns: {sorted(unknown)}")
            wanted = ", ".join(dict.fromkeys(["id", *columns]))
        ids = list(dict.fromkeys(track_ids))
        found: dict[int, sqlite3.Row] = {}
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i:i + _ID_CHUNK]
            for row in self.execute(f"SELECT {wanted} FROM tracks WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                found[row["id"]] = row
        return found

    def shared_recording_keys(self) -> dict[int, tuple[str, float | None]]:
        """``id -> (recording key, duration)`` of the tracks whose recording key (see
        :func:`segue_common.normalize.recording_key`, as Up next and the top tracks tell one
        song in several files) another track has too: one song in two files, or two takes of
        it. The stored match key finds most of them by its index, not one row per track (a
        shuffle of 100,000 tracks read them all in 0.4 s); a title with a dash tail ("Song -
        Remastered 2011" on a best-of, the album's "Song") or naming its film has another
        match key, so those few are read and keyed here, with the tracks of their keys."""
        from segue_common.normalize import recording_key, stands_in

        rows = self.execute(
            "SELECT id, coalesce(artist, albumartist), title, duration, match_key, cue_sheet FROM tracks "
            "WHERE match_key IN (SELECT match_key FROM tracks WHERE match_key IS NOT NULL "
            "GROUP BY match_key HAVING count(*) > 1) OR (match_key IS NOT NULL AND (title LIKE '% - %' "
            "OR title LIKE '% \u2013 %' OR title LIKE '% \u2014 %' OR title LIKE '%from%'))").fetchall()
        # (a sheet's track says whether its title stands in for one; a file's title's words tell)
        keys = {r[0]: (recording_key(r[1], r[2], stand_in=stands_in(r[2], r[5], r[4])) or r[4], r[3]) for r in rows}
        others = sorted({k for k, _ in keys.values()} - {r[4] for r in rows})
        for i in range(0, len(others), _ID_CHUNK):
            chunk = others[i:i + _ID_CHUNK]
            for r in self.execute("SELECT id, coalesce(artist, albumartist), title, duration, match_key, cue_sheet "
                                  f"FROM tracks WHERE match_key IN ({','.join('?' * len(chunk))})", chunk):
                keys.setdefault(r[0], (recording_key(r[1], r[2], stand_in=stands_in(r[2], r[5], r[4])) or "", r[3]))
        count: dict[str, int] = {}
        for k, _ in keys.values():
            count[k] = count.get(k, 0) + 1
        return {t: (k, d) for t, (k, d) in keys.items() if k and count[k] > 1}

    def work_movements(self, track_ids) -> dict[int, tuple[str, int | None]]:
        """``id -> (performance, movement)`` of those of ``track_ids`` that are movements of a
        classical work (see :func:`segue_common.works.work_of`): the performance is the work
        and the album (or the artist) it was recorded on, so two orchestras' recordings of one
        symphony queued together stay two, each played through."""
        wanted = {int(t) for t in track_ids}
        if not wanted:
            return {}
        if len(wanted) <= _FEW_WORK_IDS:
            return self._read_work_movements(sorted(wanted))
        # A long queue (a library of 100,000): the whole library's movements, kept until the
        # library changes, then read again for the tracks written since (read afresh each
        # time, a library of 100,000 movements took 4 s on the player's command thread at
        # each shuffle and each album added while shuffling).
        stamp = self.library_stamp()        # (before the rows: a write after it reads them again)
        kept = getattr(self, "_works_kept", None)
        if kept is None or kept[0] != stamp:
            changed = self.library_changed_ids(kept[0]) if kept is not None else None
            if changed is None or len(changed) > _FEW_WORK_IDS:
                every = self._read_work_movements(None)
            else:
                written = set(changed)
                every = {t: w for t, w in kept[1].items() if t not in written}
                every.update(self._read_work_movements(sorted(changed)))
            kept = self._works_kept = (stamp, every)
        every = kept[1]
        if len(every) < len(wanted):
            return {t: w for t, w in every.items() if t in wanted}
        return {t: every[t] for t in wanted if t in every}

    def _read_work_movements(self, ids: list[int] | None) -> dict[int, tuple[str, int | None]]:
        """:meth:`work_movements` of ``ids`` read from the tracks (of every track for None).
        Only titles with a colon or a dash, or a work's tags, can name a work: the others are
        not read (their partial index: a library of songs has nothing to read). By ids, 500
        at a time."""
        from segue_common.works import work_of

        # (the condition, word for word, of the partial index that holds those tracks alone)
        cols = ("SELECT id, title, composer, coalesce(artist, albumartist), coalesce(mb_album_id, album, ''), "
                f"coalesce(albumartist, artist, ''), work, grouping, movement, movementname FROM tracks WHERE "
                f"{WORK_CANDIDATES}")
        if ids is None:
            rows = self.execute(cols)
        else:
            rows = itertools.chain.from_iterable(
                self.execute(f"{cols} AND id IN ({','.join('?' * len(ids[i:i + _ID_CHUNK]))})", ids[i:i + _ID_CHUNK])
                for i in range(0, len(ids), _ID_CHUNK))
        out: dict[int, tuple[str, int | None]] = {}
        for r in rows:
            w = work_of(r[1], r[2], artist=r[3], work=r[6], grouping=r[7], movement=r[8], movement_name=r[9])
            if w is not None:
                out[r[0]] = (f"{w.key}\x1f{r[4]}\x1f{r[5]}", w.movement)
        return out

    def sheet_track_ids(self, path: str) -> list[int]:
        """The playable tracks a CUE sheet makes of the file ``path``, or that the sheet
        ``path`` names, in their order (empty for any other path). Their names are the file's
        with "#" and a number (see ``player.library.cue``): a range of names, no pattern to
        escape, read from the index of paths. Each file of a folder opened asks: the sheets
        are looked for only where a sheet is opened (no index has them), or a library of
        many tracks would be read whole once per file."""
        return [r[0] for r in self._sheet_tracks(path)]

    def sheet_track_paths(self, path: str) -> list[str]:
        """As :meth:`sheet_track_ids`, the tracks' names (paths)."""
        return [r[1] for r in self._sheet_tracks(path)]

    def _sheet_tracks(self, path: str) -> list[sqlite3.Row]:
        if path.lower().endswith(".cue"):
            where, params = "cue_sheet = CAST(? AS TEXT)", (sql_text(path),)
        else:
            where, params = "path > CAST(? AS TEXT) AND path < CAST(? AS TEXT)", (sql_text(path + "#"),
                                                                                sql_text(path + "$"))
        return self.execute(
            f"SELECT id, path FROM tracks WHERE {where} AND cue_start_s IS NOT NULL AND missing = 0 "
            "AND last_error IS NULL ORDER BY path", params).fetchall()

    def sheet_track_path(self, path: str, start_s: float) -> str | None:
        """The name of the CUE sheet's track of the file ``path`` that starts at ``start_s``
        (within half a second: a playlist writes it rounded), or None. A playlist names such
        a track by its file and where it starts, as no other player knows Segue's names."""
        row = self.execute(
            "SELECT path FROM tracks WHERE path > CAST(? AS TEXT) AND path < CAST(? AS TEXT) "
            "AND cue_start_s IS NOT NULL AND abs(cue_start_s - ?) < 0.5 ORDER BY missing, abs(cue_start_s - ?)",
            (sql_text(path + "#"), sql_text(path + "$"), start_s, start_s)).fetchone()
        return row[0] if row is not None else None

    def track_by_path(self, path: str) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM tracks WHERE path = CAST(? AS TEXT)", (sql_text(path),)).fetchone()

    def merge_duplicate(self, dup_id: int, keep_id: int) -> None:
        """``dup_id`` is another path to the file of ``keep_id``: its plays move over, the row goes."""
        if dup_id == keep_id:
            return
        with self.transaction() as conn:
            if conn.execute("UPDATE plays SET track_id = ? WHERE track_id = ?", (keep_id, dup_id)).rowcount:
                self._plays_rewritten(conn)     # (older plays renamed: a window that reads only new ones reads all)
            conn.execute("UPDATE playlist_entries SET track_id = ? WHERE track_id = ?", (keep_id, dup_id))
            conn.execute("UPDATE OR IGNORE never_suggest SET track_id = ? WHERE track_id = ?", (keep_id, dup_id))
            # (the place a long track was left: the kept track's own, where it has one)
            conn.execute("UPDATE OR IGNORE resume_positions SET track_id = ? WHERE track_id = ?", (keep_id, dup_id))
            conn.execute("DELETE FROM track_features WHERE track_id = ?", (dup_id,))
            # (stars the person gave the other path here go on with the song, unless it has its own)
            theirs = "(SELECT own_rating FROM tracks WHERE id = :dup)"
            conn.execute(f"UPDATE tracks SET own_rating = {theirs}, rating = nullif({theirs}, 0) "
                         f"WHERE id = :keep AND own_rating IS NULL AND {theirs} IS NOT NULL",
                         {"dup": dup_id, "keep": keep_id})
            conn.execute("DELETE FROM tracks WHERE id = ?", (dup_id,))
            self._merged(conn, dup_id, keep_id)

    def rate(self, track_ids: Iterable[int], stars: int) -> int:
        """The person's own ``stars`` (1-5; 0 for "No rating") for these tracks, kept in the
        library (never in the files) and shown and used in place of the file's from now on: a
        rescan keeps them. The tracks' write moves the library stamp, so the recommender reads
        the catalogue again. Returns how many tracks it changed (one rated so already is not
        written: nothing for the window and the recommender to read again)."""
        if not 0 <= int(stars) <= 5:
            raise ValueError(f"a rating is 0 (none) to 5 stars, not {stars!r}")
        ids = list(dict.fromkeys(int(t) for t in track_ids))
        n = 0
        with self.transaction() as conn:
            for i in range(0, len(ids), _ID_CHUNK):
                chunk = ids[i:i + _ID_CHUNK]
                n += conn.execute(
                    "UPDATE tracks SET own_rating = ?, rating = nullif(?, 0) "
                    f"WHERE id IN ({','.join('?' * len(chunk))}) AND own_rating IS NOT ?",
                    [int(stars), int(stars), *chunk, int(stars)]).rowcount
        return n

    def library_rows(self, columns: Sequence[str], *, plain: bool = False) -> list[sqlite3.Row] | list[tuple]:
        """Playable tracks in library order, only the named columns (the window's table).

        Reading a few columns is about 3x faster than :meth:`tracks` at 100k tracks.
        ``plain``: plain tuples, cheaper to make and to keep than ``sqlite3.Row`` (whose
        values are looked up by name, one column after another).
        """
        unknown = set(columns) - set(TRACK_FIELDS) - _READ_ONLY_COLUMNS
        if unknown:
            raise ValueError(f"not track columns: {sorted(unknown)}")
        sql = f"SELECT {', '.join(columns)} FROM tracks WHERE missing = 0 AND last_error IS NULL " \
              f"ORDER BY {_LIBRARY_ORDER}"
        return self._plain(sql) if plain else self.execute(sql).fetchall()

    def _plain(self, sql: str) -> list[tuple]:
        """Rows as plain tuples: cheaper to make than ``sqlite3.Row`` when there are 100,000."""
        return self._plain_args(sql, ())

    def _plain_args(self, sql: str, args: Sequence) -> list[tuple]:
        cur = self.conn.cursor()
        cur.row_factory = None
        return cur.execute(sql, args).fetchall()

    def untagged_rows(self) -> list[tuple[int, str, int | None, str | None]]:
        """``(id, path, folder_id, albumartist)`` of the playable tracks missing a title,
        artist or album tag (named after their files instead); a tagged library has none."""
        return self._plain(
            "SELECT id, path, folder_id, albumartist FROM tracks WHERE missing = 0 AND last_error IS NULL "
            "AND (title IS NULL OR album IS NULL OR artist IS NULL)")

    def album_rule_rows(self, folder_id: int, columns: Sequence[str]) -> list[sqlite3.Row]:
        """``columns`` and ``folder_compilation`` of the playable tracks of a library folder,
        for the scanner's look at which of them make one album (``player.library.albums``)."""
        unknown = set(columns) - set(TRACK_FIELDS) - {"id"}
        if unknown:
            raise ValueError(f"not track columns: {sorted(unknown)}")
        return self.execute(
            f"SELECT {', '.join(columns)}, folder_compilation FROM tracks "
            "WHERE folder_id = ? AND missing = 0 AND last_error IS NULL", (folder_id,)).fetchall()

    def set_folder_compilations(self, values: dict[int, int]) -> None:
        """Set ``folder_compilation`` (1: one compilation by its folder, 0: not) per track id."""
        if values:
            with self.transaction() as conn:
                conn.executemany("UPDATE tracks SET folder_compilation = ? WHERE id = ?",
                                 [(v, k) for k, v in values.items()])

    def library_order_artists(self) -> list[str]:
        """The artist the library order goes by (:data:`ORDER_ARTIST`; "" for none), per
        :meth:`library_rows` row."""
        return [r[0] for r in self._plain(
            f"SELECT coalesce({ORDER_ARTIST}, '') FROM tracks WHERE missing = 0 AND last_error IS NULL "
            f"ORDER BY {_LIBRARY_ORDER}")]

    def library_row_chunks(self, columns: Sequence[str], size: int = 5000) -> Iterator[list[sqlite3.Row]]:
        """:meth:`library_rows` in lists of at most ``size`` rows. A caller that keeps a few
        values of each row and drops the row keeps its memory low: a process that held all
        100,000 rows at once keeps most of what they took even after freeing them (the
        allocator cannot hand back pages that a few long-lived objects still share)."""
        unknown = set(columns) - set(TRACK_FIELDS) - _READ_ONLY_COLUMNS
        if unknown:
            raise ValueError(f"not track columns: {sorted(unknown)}")
        cursor = self.execute(
            f"SELECT {', '.join(columns)} FROM tracks WHERE missing = 0 AND last_error IS NULL "
            f"ORDER BY {_LIBRARY_ORDER}"
        )
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                return
            yield rows

    def gone_played_tags(self) -> dict[int, tuple[str | None, str | None, str]]:
        """``track id -> (artist tag, else its album artist; genre tag; path)`` of the tracks played
        here that the library no longer plays: deleted (missing) or unreadable (whose row
        keeps the tags its file had when it last read). Their plays still say what the person
        listens to."""
        return {r[0]: (r[1], r[2], r[3]) for r in self.execute(
            "SELECT id, coalesce(nullif(artist, ''), albumartist), genre, path FROM tracks "
            "WHERE (missing = 1 OR last_error IS NOT NULL) AND id IN (SELECT track_id FROM plays)")}

    def tracks(self, *, include_missing: bool = False, include_errors: bool = False) -> list[sqlite3.Row]:
        """Playable tracks, in a stable library order (album artist, album, disc, track)."""
        where = []
        if not include_missing:
            where.append("missing = 0")
        if not include_errors:
            where.append("last_error IS NULL")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        return self.execute(
            f"SELECT * FROM tracks {clause} ORDER BY {_LIBRARY_ORDER}"
        ).fetchall()

    def present_files(self) -> list[tuple[str, str | None, str | None]]:
        """``(path, codec, last_error)`` of every track whose file is present."""
        return [tuple(r) for r in self.execute("SELECT path, codec, last_error FROM tracks WHERE missing = 0")]

    def paths_with_error_containing(self, words: str) -> set[str]:
        """The paths of the present error rows whose error holds ``words`` (one whose file is
        gone, or on a disk not connected, cannot be read again by a scan)."""
        return {r[0] for r in self.execute(
            "SELECT path FROM tracks WHERE last_error IS NOT NULL AND missing = 0 AND instr(last_error, ?) > 0",
            (words,))}

    def track_errors(self) -> list[sqlite3.Row]:
        """``(id, path, last_error)`` of the present files that could not be read, their paths in
        the order people sort names, folder by folder (:func:`in_path_order`; SQLite's order of
        code points put "Émilie Simon" after "Zz Top", and "dEUS" after both)."""
        rows = self.execute(
            "SELECT id, path, last_error FROM tracks WHERE last_error IS NOT NULL AND missing = 0").fetchall()
        return [rows[i] for i in in_path_order([r["path"] for r in rows])]

    def library_counts(self) -> dict[str, int]:
        row = self.execute(
            "SELECT count(*), "
            "coalesce(sum(missing = 0 AND last_error IS NULL), 0), "
            "coalesce(sum(missing = 1), 0), "
            "coalesce(sum(missing = 0 AND last_error IS NOT NULL), 0), "
            "coalesce(sum(CASE WHEN missing = 0 AND last_error IS NULL THEN duration END), 0) "
            "FROM tracks"
        ).fetchone()
        # (the plays the person made, as every count of them shown: see COUNTS_AS_PLAY)
        plays = self.execute(f"SELECT count(*) FROM plays WHERE {COUNTS_AS_PLAY}").fetchone()[0]
        return {
            "tracks": row[1], "missing": row[2], "errors": row[3], "all": row[0],
            "seconds": int(row[4]), "plays": plays, "folders": len(self.folders()),
        }
