"""Play events and listening sessions: the implicit feedback Segue learns from.

A play is inserted when it starts and updated as it goes, so a crash or a kill
loses at most the last update interval of one play, never the play itself.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Sequence

import numpy as np

from player.store.connection import NOT_BEFORE_START
from player.store.tracks import ORDER_ARTIST
from segue_common.listening import COUNTS_AS_PLAY, SESSION_GAP_S
from segue_common.text import search_form

log = logging.getLogger(__name__)

ENDINGS = ("finished", "skipped", "stopped", "error")
SOURCES = ("library", "up_next", "radio", "discover", "search", "queue", "cli")
# The setting that holds when the history was last forgotten (see ``forget_history``).
FORGOTTEN_SETTING = "history_forgotten_at"
#: how many times plays older than the latest changed (see ``PlaysMixin.rewritten_stamp``)
REWRITTEN_SETTING = "plays_rewritten"
#: track ids asked of the plays at a time (below SQLite's limit of a statement's values)
_ID_CHUNK = 500


#: set while the forgotten history may still be on disk: its pages are moved out of the WAL by
#: a checkpoint, which another reader (a long export, another Segue program) can hold off
UNCLEANED_SETTING = "history_not_yet_cleaned"
#: checkpoints tried after a forget, each waiting at most :data:`_CHECKPOINT_WAIT_MS` for
#: readers to finish. A checkpoint waits holding the library's write lock: every writer (the
#: player logging a play, a scan, another program) waits with it, so a try is kept short (with
#: the connections' own busy timeout, 30 s, three tries held plays off for 90 s, and a play
#: logged meanwhile failed as "database is locked"), and writers get in between tries.
_CHECKPOINT_TRIES = 3
_CHECKPOINT_WAIT_MS = 1000
_CHECKPOINT_PAUSE_S = 0.1
#: how long a start waits for readers before it leaves the cleaning to the start after it
_START_CHECKPOINT_WAIT_MS = 1000


def _checkpointed(conn: sqlite3.Connection, wait_ms: int, busy_timeout_ms: int) -> bool:
    """Whether a full checkpoint ended with the WAL emptied: SQLite says "busy" (its first
    value) where a reader still needed the old pages and the WAL could not be cut. It waits
    ``wait_ms`` at most for readers and writers, then ``conn`` waits ``busy_timeout_ms`` again."""
    conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return row is None or row[0] == 0


_HISTORY_TABLES = ("imported_listens", "history_imports", "plays", "sessions", "model_runs", "resume_positions")


def _forget_in_file(path) -> None:
    """Delete the listening history from another database file (a backup), overwriting it."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        for table in _HISTORY_TABLES:
            if table in present:
                conn.execute(f"DELETE FROM {table}")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _delete_with_wal(path) -> None:
    import os

    for p in (str(path), f"{path}-wal", f"{path}-shm"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


class PlaysMixin:
    def _session_for(self, conn: sqlite3.Connection, now: float, *, late: bool = False) -> int:
        """The current session, or a new one after ``SESSION_GAP_S`` idle seconds.

        The current one is the most recently active, not the newest row: an imported
        history adds sessions that lie in the past. One active far in the future was
        written while the clock ran ahead; it would otherwise stay the latest, and hold
        every play until the clock caught up with it.

        A session of imported plays only is none of this listening: a phone's, imported
        while the window was closed, would take the next song played here away from the
        session the window left, which Up next and the next start read as the one going on.

        A start before the session's last activity moves it back only where that is the clock
        put back (as :meth:`_still_active` does for progress): not for a start written late
        (``late``: one kept in a file and written again by the next run), nor where a play of
        the session began after it. Moved back, the session read as last active at that old
        start, and a song played within the gap of its real last activity began a new one.
        """
        from player.store.history import IMPORT_SOURCE

        row = conn.execute(
            "SELECT id, last_active_at FROM sessions WHERE last_active_at < ? AND last_active_at > ? "
            "AND EXISTS (SELECT 1 FROM plays WHERE session_id = sessions.id AND source IS NOT ?) "
            "ORDER BY last_active_at DESC, id DESC LIMIT 1",
            (now + SESSION_GAP_S, now - SESSION_GAP_S, IMPORT_SOURCE)).fetchone()
        if row is not None and now - row[1] < SESSION_GAP_S:
            conn.execute("UPDATE sessions SET last_active_at = ? WHERE id = ? AND (? >= last_active_at OR NOT (? "
                         "OR EXISTS (SELECT 1 FROM plays WHERE session_id = sessions.id AND started_at > ?)))",
                         (now, row[0], now, late, now))
            return row[0]
        return conn.execute(
            "INSERT INTO sessions (started_at, last_active_at) VALUES (?, ?)", (now, now)
        ).lastrowid

    @staticmethod
    def _still_active(conn: sqlite3.Connection, play_id: int, now: float, every_s: float = 0.0, *,
                      older: bool = False) -> None:
        """A play's progress keeps its session going, unless the session ended meanwhile:
        a song paused for longer than the gap (overnight, say) and then resumed or moved on
        from must not join what comes next to the listening before the pause. ``every_s``:
        leave a session marked active less than that long ago as it is (the row and its
        index are not rewritten for a difference the gap cannot tell).

        A time before the session's last activity moves it back only for the session's latest
        play: there it is the clock put back, and the gap is measured by the clock as it is
        now. For an earlier play it is an old end written late (kept in a file while the
        library could not be written, replayed after the next song played on), and the plays
        after it were active later. ``older``: ``now`` is known to be older than the play's last
        progress (an end from a file, the row holding more time heard): never back, then."""
        conn.execute(
            "UPDATE sessions SET last_active_at = ? "
            "WHERE id = (SELECT session_id FROM plays WHERE id = ?) AND abs(? - last_active_at) < ? "
            "AND abs(? - last_active_at) >= ? AND (? >= last_active_at OR (NOT ? AND NOT EXISTS "
            "(SELECT 1 FROM plays later WHERE later.session_id = sessions.id AND later.id > ?)))",
            (now, play_id, now, SESSION_GAP_S, now, every_s, now, older, play_id),
        )

    def start_play(self, track_id: int, *, source: str = "library", track_ms: int | None = None,
                   owner: str | None = None, now: float | None = None, unless_forgotten: bool = False,
                   forgotten_known: float | None = None, once: bool = False) -> int | None:
        """Log the start of a play; returns its id. A track a scan merged into another (a
        queued row of a moved file, folded into its old track while the scan ran) is logged
        as the track that took it over: looked up in the transaction that logs it, so a merge
        either finds the play and moves it, or has already been done and is followed.
        ``owner``: the token of the player's :meth:`play_owner`, so that no other process
        closes the play while that player lives. ``unless_forgotten``: a play kept while the
        library could not be written, begun before the history was last forgotten, is not
        written (None): looked at in the transaction that would write it, as a forget made
        on another thread a moment before must hold. ``forgotten_known``: when the history
        was last forgotten as the play was kept (see :meth:`forgotten_since`). ``once``: a play
        kept in a file at a close and written again after a kill may be in the log already: the
        row of the same track begun at the same moment is that play (its id is returned), looked
        for in the transaction that would write it, so two players writing it at once write one."""
        if source not in SOURCES:
            raise ValueError(f"unknown play source {source!r}; expected one of {SOURCES}")
        now = time.time() if now is None else now
        with self.transaction() as conn:
            if unless_forgotten and self.forgotten_since(forgotten_known, now, self._forgotten_at(conn)):
                return None
            asked = int(track_id)
            track_id = self._live_id(conn, asked) or track_id
            if once:
                row = conn.execute("SELECT id FROM plays WHERE track_id IN (?, ?) AND started_at = ?",
                                   (track_id, asked, now)).fetchone()
                if row is not None:
                    return int(row[0])
            session = self._session_for(conn, now, late=once)
            return conn.execute(
                "INSERT INTO plays (track_id, session_id, started_at, track_ms, source, updated_at, owner) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (track_id, session, now, track_ms, source, now, owner),
            ).lastrowid

    def resume_play(self, play_id: int, track_id: int, *, source: str = "library", owner: str | None = None,
                    now: float | None = None) -> int | None:
        """Go on with a play the last run closed as stopped: the song left playing at the
        last close, resumed where it was. It is one play heard in two sittings, so it stays
        one row: open again (owned by ``owner``, logged with ``source``), its time heard
        going on from what the row holds, which is returned. Two rows would count what was
        heard before the close twice: once in the stopped row, and again in a resumed one
        that ends finished, which stands for the whole song.

        Resumed within ``SESSION_GAP_S`` of its session's last activity (a quick restart),
        the play stays in that session. Resumed later (the next day, say), the listening it
        belonged to is over: the play moves to the session of now (a new one, as a play
        starting now would get) and starts when it resumed, so what follows is not taken
        for more of the old session, and the play lies in time where it is heard. It stays
        one row all the same, its time heard kept: a second row would count the part heard
        before the close twice. The old session goes if nothing else is left in it.

        None, and nothing changes, where ``play_id`` is no stopped play of that track any
        more (the history was forgotten): the resumed song is then a new play.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown play source {source!r}; expected one of {SOURCES}")
        now = time.time() if now is None else now
        with self.transaction() as conn:
            track_id = self._live_id(conn, int(track_id)) or track_id
            row = conn.execute("SELECT ms_heard FROM plays WHERE id = ? AND track_id = ? AND ended = 'stopped'",
                               (play_id, track_id)).fetchone()
            if row is None:
                return None
            # Its start is settled first (moved to now after a gap), then its last activity is
            # written against it, never before it (see ``NOT_BEFORE_START``): a clock put back
            # less than the gap leaves the play in its session with its start as it was.
            self._goes_on(conn, play_id, now)
            conn.execute("UPDATE plays SET ended = 'playing', source = ?, owner = ?, "
                         f"updated_at = {NOT_BEFORE_START} WHERE id = ?", (source, owner, now, play_id))
            if conn.execute("SELECT 1 FROM plays WHERE id > ? LIMIT 1", (play_id,)).fetchone() is not None:
                # Plays were logged after it (by ``segue play`` while the window was closed):
                # a reader that reads again only the latest plays would never see this one
                # change, so it is told to read them all.
                self._plays_rewritten(conn)
            return row[0]

    def resume_paused_play(self, play_id: int, *, now: float | None = None) -> bool:
        """A play still going, paused and now resumed: after a pause of ``SESSION_GAP_S``
        or more (overnight, say) it goes on in the session of now, as a play the last run
        left is resumed (see :meth:`resume_play`), so the skips and the run of them before
        the pause are not taken for today's listening. True where it moved."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM plays WHERE id = ? AND ended = 'playing'", (play_id,)).fetchone() is None:
                return False
            return self._goes_on(conn, play_id, now)

    def _goes_on(self, conn: sqlite3.Connection, play_id: int, now: float) -> bool:
        """A play goes on at ``now`` after a break: within ``SESSION_GAP_S`` of its session's
        last activity it stays there; later, it moves to the session of now (a new one, as a
        play starting now would get) and starts at ``now``, and its old session goes if
        nothing else is left in it. True where it moved."""
        old_session, last_active = conn.execute(
            "SELECT p.session_id, s.last_active_at FROM plays p LEFT JOIN sessions s ON s.id = p.session_id "
            "WHERE p.id = ?", (play_id,)).fetchone()
        if last_active is not None and abs(now - last_active) < SESSION_GAP_S:
            self._still_active(conn, play_id, now)
            return False
        session = self._session_for(conn, now)
        # (its last activity with it: left where it was, a play paused overnight read as ending
        # hours before it began until its next progress)
        conn.execute("UPDATE plays SET session_id = ?, started_at = ?, updated_at = ? WHERE id = ?",
                     (session, now, now, play_id))
        conn.execute("DELETE FROM sessions WHERE id = ? AND NOT EXISTS "
                     "(SELECT 1 FROM plays WHERE session_id = ?)", (old_session, old_session))
        return True

    def update_play(self, play_id: int, ms_heard: int, *, now: float | None = None,
                    session_every_s: float = 0.0) -> None:
        """Record progress of a play that is still going. ``session_every_s``: its session's
        last activity is moved on only once it lies that long back (the player, writing
        progress every few seconds while a song plays, rewrote the session and its index at
        each; a gap of ``SESSION_GAP_S`` cannot tell a minute)."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            # (never before its start: see ``NOT_BEFORE_START``)
            conn.execute(
                f"UPDATE plays SET ms_heard = ?, updated_at = {NOT_BEFORE_START} WHERE id = ? AND ended = 'playing'",
                (int(ms_heard), now, play_id),
            )
            self._still_active(conn, play_id, now, session_every_s)

    def end_play(self, play_id: int, ended: str, ms_heard: int, *, error: str | None = None,
                 track_ms: int | None = None, now: float | None = None, never_shorter: bool = False) -> None:
        """Close a play: finished, skipped, stopped, or error (errors never count as skips).
        ``track_ms``: the track's length as decoding found it, where the library's was wrong.

        ``never_shorter``: the end may be older than what the row holds (read from a file a
        player kept it in, while that player went on writing the play's progress here): a row
        already holding more time heard is the later word on the play. Closed, it is left as
        it is; still open, it is closed as said, keeping its own time heard and last progress.
        (Time heard tells which came later; the clock may have been put back in between.)"""
        if ended not in ENDINGS:
            raise ValueError(f"unknown play ending {ended!r}; expected one of {ENDINGS}")
        now = time.time() if now is None else now
        older = False
        with self.transaction() as conn:
            if never_shorter:
                # (the row holding more time heard: this end is the older word, its time too)
                held = conn.execute("SELECT ms_heard > ? FROM plays WHERE id = ?", (int(ms_heard), play_id)).fetchone()
                older = bool(held and held[0])
                conn.execute(
                    "UPDATE plays SET ended = ?, error = ?, track_ms = coalesce(?, track_ms), "
                    f"updated_at = CASE WHEN ms_heard > ? THEN updated_at ELSE {NOT_BEFORE_START} END, "
                    "ms_heard = max(ms_heard, ?) WHERE id = ? AND NOT (ended != 'playing' AND ms_heard > ?)",
                    (ended, error, track_ms, int(ms_heard), now, int(ms_heard), play_id, int(ms_heard)),
                )
            else:
                conn.execute(
                    f"UPDATE plays SET ended = ?, ms_heard = ?, error = ?, updated_at = {NOT_BEFORE_START}, "
                    "track_ms = coalesce(?, track_ms) WHERE id = ?",
                    (ended, int(ms_heard), error, now, track_ms, play_id),
                )
            self._still_active(conn, play_id, now, older=older)

    def play_ended_at(self, play_id: int, when: float) -> bool:
        """Whether play ``play_id`` was closed at ``when`` exactly: an end kept in a file at a
        close is in the log already (written before a kill kept the file from being removed)."""
        row = self.conn.execute("SELECT 1 FROM plays WHERE id = ? AND ended != 'playing' "
                                f"AND updated_at = {NOT_BEFORE_START}", (int(play_id), float(when))).fetchone()
        return row is not None

    def play_owner(self):
        """A lock that marks the plays of one player as its own while it runs (see
        :mod:`player.store.owners`); pass its ``token`` to :meth:`start_play` and
        ``release()`` it when the player closes."""
        from player.store.owners import PlayOwner, owners_folder

        return PlayOwner(owners_folder(self.path))

    def close_interrupted_plays(self) -> int:
        """Plays left 'playing' by a crash or kill become 'stopped' (their time heard is kept).

        Only those whose owner is gone: a play another player is running now (the window,
        while ``segue play`` starts beside it) stays open, and that player goes on writing
        its progress and closes it itself. A play without an owner is an older version's,
        whose player cannot be asked: it is closed. Returns how many were closed.
        """
        from player.store.owners import forget_gone, owner_alive, owners_folder

        folder = owners_folder(self.path)
        owners = [r[0] for r in self.execute("SELECT DISTINCT owner FROM plays WHERE ended = 'playing'")]
        gone = [o for o in owners if not owner_alive(folder, o)]
        closed = 0
        if gone:
            # A gone owner stays gone: asked before the write lock, so no lock file is tried
            # while other writers wait.
            with self.transaction() as conn:
                for owner in gone:
                    # Its session was marked active once a minute while the song played on:
                    # it was last active at the play's last progress, seconds before the
                    # kill, and the next play within the gap of that goes on in it. (Not
                    # across a gap: a session that ended meanwhile stays ended.)
                    for session, updated in conn.execute(
                            "SELECT session_id, updated_at FROM plays WHERE ended = 'playing' AND owner IS ? "
                            "AND updated_at IS NOT NULL", (owner,)).fetchall():
                        conn.execute("UPDATE sessions SET last_active_at = ? WHERE id = ? AND last_active_at < ? "
                                     "AND ? - last_active_at < ?", (updated, session, updated, updated, SESSION_GAP_S))
                    closed += conn.execute("UPDATE plays SET ended = 'stopped' WHERE ended = 'playing' "
                                           "AND owner IS ?", (owner,)).rowcount
        forget_gone(folder)
        return closed

    def session_in_progress(self, now: float) -> list[sqlite3.Row]:
        """The plays of the listening session going on at ``now``, in the order they were
        logged (``id``, ``track_id``, ``started_at``, ``updated_at``, and how each ended:
        ``session_id``, ``ms_heard``, ``track_ms``, ``ended``): the session of the play
        logged last, as Up next reads the session in progress (``PlayLog.session_now``), where
        it was active less than ``SESSION_GAP_S`` ago by ``now`` (either way: a clock put
        back starts a new session too, see :meth:`_session_for`); none after that. A player
        opening with it goes on with the session the last run left, as the log does.
        Imported plays are left out: they were heard elsewhere, not in this listening."""
        from player.store.history import IMPORT_SOURCE

        row = self.execute(
            "SELECT p.session_id, coalesce(s.last_active_at, p.updated_at, p.started_at) FROM plays p "
            "LEFT JOIN sessions s ON s.id = p.session_id WHERE p.source IS NOT ? ORDER BY p.id DESC LIMIT 1",
            (IMPORT_SOURCE,)).fetchone()
        if row is None or abs(now - row[1]) >= SESSION_GAP_S:
            return []
        return self.execute("SELECT id, track_id, started_at, updated_at, session_id, ms_heard, track_ms, ended "
                            "FROM plays "
                            "WHERE session_id = ? AND source IS NOT ? ORDER BY id", (row[0], IMPORT_SOURCE)).fetchall()

    def play(self, play_id: int) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM plays WHERE id = ?", (play_id,)).fetchone()

    def plays(self, *, since: float | None = None, from_id: int | None = None) -> list[sqlite3.Row]:
        """All plays (oldest first), optionally only those started at or after ``since``, or
        only those whose id is ``from_id`` or more (logged since, whenever they began)."""
        if from_id is not None:
            return self.execute("SELECT * FROM plays WHERE id >= ? ORDER BY started_at, id", (from_id,)).fetchall()
        if since is None:
            return self.execute("SELECT * FROM plays ORDER BY started_at, id").fetchall()
        return self.execute(
            "SELECT * FROM plays WHERE started_at >= ? ORDER BY started_at, id", (since,)
        ).fetchall()

    def plays_of(self, track_ids: Sequence[int]) -> list[sqlite3.Row]:
        """``(track_id, ended, ms_heard, track_ms)`` of every play of ``track_ids``, in no
        order: what a few songs' plays say, without reading the whole history."""
        ids, out = list(track_ids), []
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i:i + _ID_CHUNK]
            out += self.execute(f"SELECT track_id, ended, ms_heard, track_ms FROM plays "
                                f"WHERE track_id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
        return out

    @staticmethod
    def _plays_rewritten(conn: sqlite3.Connection) -> None:
        """Plays older than the latest changed: see :meth:`rewritten_stamp`."""
        conn.execute("INSERT INTO settings (key, value) VALUES (?, '1') "
                     "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
                     (REWRITTEN_SETTING,))

    def rewritten_stamp(self) -> int:
        """Changes whenever plays older than the latest change: a song left at a close
        resumed after plays were logged since (it goes on in its old row), the plays of a
        track a scan merged into another, imported plays cut into sessions again as a scan
        links more. A reader that reads again only the plays from the latest on (or still
        playing) then knows its copy of the older ones is stale, even where another process
        wrote them; the plays that are playing or the latest change without it."""
        row = self.execute("SELECT value FROM settings WHERE key = ?", (REWRITTEN_SETTING,)).fetchone()
        try:
            return int(row[0]) if row is not None else 0
        except (TypeError, ValueError):
            return -1

    def play_count(self) -> int:
        return self.execute("SELECT count(*) FROM plays").fetchone()[0]

    def plays_per_track(self) -> tuple[np.ndarray, np.ndarray]:
        """``(track ids, plays)`` of the tracks played at least once, for the library search's
        ``plays:`` (a play that failed, or was ended before anything of it was heard, is not
        one: :data:`~segue_common.listening.COUNTS_AS_PLAY`). Two arrays: at 100,000
        tracks a dict held some megabytes for one column of numbers."""
        cur = self.conn.cursor()
        cur.row_factory = None
        rows = cur.execute(f"SELECT track_id, count(*) FROM plays WHERE {COUNTS_AS_PLAY} GROUP BY track_id").fetchall()
        pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    def last_play_id(self) -> int:
        """The id the newest play row was given (0: none yet). Play ids are never given again
        (the table numbers them with AUTOINCREMENT), so a play with a larger id was logged
        after this was read: read with :meth:`plays_per_track` in one snapshot, it says which
        plays the counts hold."""
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'plays'").fetchone()
        return int(row[0]) if row else 0

    def play_errors(self, since: float) -> list[sqlite3.Row]:
        """``(track_id, path, error, started_at)`` of the present tracks that failed to play
        since ``since``, the newest failure of each, by path. A track that played after it
        failed is left out: whatever stopped it (a disk not mounted yet) has passed; so is one
        a scan found unreadable since (it is listed as that, with the scan's reason), and one
        that failed before a scan found its file elsewhere (moved, or the copy its history went
        to): the file that failed is not the one it plays now, which was listed as failing with
        the old file's "file not found"."""
        return self.execute(
            "SELECT p.track_id, t.path, p.error, max(p.started_at) AS started_at FROM plays p "
            "JOIN tracks t ON t.id = p.track_id "
            "WHERE p.ended = 'error' AND p.started_at >= ? AND t.missing = 0 AND t.last_error IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM plays q WHERE q.track_id = p.track_id AND q.started_at > p.started_at "
            " AND q.ended NOT IN ('error', 'playing')) "
            "AND NOT EXISTS (SELECT 1 FROM track_merges m WHERE m.into_id = p.track_id "
            " AND m.merged_at > p.started_at) "
            "GROUP BY p.track_id ORDER BY t.path", (since,)).fetchall()

    def forget_history(self) -> bool:
        """Delete every play, session, imported history, training record and place a long
        track was left at ("forget my listening history"). Returns whether the history is
        also gone from the files on disk; False where another reader held the checkpoint
        off (the next start cleans them: :meth:`finish_forgetting`).

        ``secure_delete`` overwrites the freed pages and the checkpoint moves them out of
        the WAL, so the history is gone from the file, not only unlinked. (VACUUM would
        need every other connection idle and could fail after the delete had committed.)
        A reader that outlasts the checkpoint's short wait keeps the old pages in the WAL and the
        database file; the checkpoint is tried again, and if it still cannot finish, the
        caller is told, not left to think the history is gone from the disk.

        Foreign keys are off meanwhile (on this connection only): every table that refers to
        a play, a session or an import goes whole in the same transaction, so nothing is left
        pointing at a deleted row, and without the checks SQLite empties each table at once
        instead of row by row: 500,000 imported plays took 10 s, now 1 s.
        """
        conn = self.conn
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction() as tx:
                tx.execute("DELETE FROM imported_fill_ins")
                tx.execute("DELETE FROM imported_listens")
                tx.execute("DELETE FROM history_imports")
                tx.execute("DELETE FROM plays")
                tx.execute("DELETE FROM sessions")
                tx.execute("DELETE FROM model_runs")
                tx.execute("DELETE FROM resume_positions")    # where each long track was left is history too
                # When, in the same transaction: a player holding plays the store refused (a
                # full disk) must not write those begun before it back into the history.
                tx.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           (FORGOTTEN_SETTING, json.dumps(time.time())))
                # Marked as not yet cleaned out of the files with the delete, not after the
                # checkpoint failed: a program killed before its checkpoint (a crash, a
                # logout) left the old pages in the WAL and nothing said the next start to
                # clean them. Taken off once the checkpoint is done.
                tx.execute("INSERT INTO settings (key, value) VALUES (?, 'true') "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (UNCLEANED_SETTING,))
                # The imported rows went: the files' count and newest id alone come back as
                # they were once the next file is imported (the ids are given again).
                self._imports_changed(tx)
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = OFF")
        timeout_ms = int(self._busy_timeout_s * 1000)
        cleaned = False
        for attempt in range(_CHECKPOINT_TRIES):
            if attempt:
                time.sleep(_CHECKPOINT_PAUSE_S)     # (the writers that waited get in)
            cleaned = _checkpointed(conn, min(_CHECKPOINT_WAIT_MS, timeout_ms), timeout_ms)
            if cleaned:
                break
        if cleaned:
            self.set_setting(UNCLEANED_SETTING, None)
        else:
            log.warning("the forgotten history stays in the library's files until the next start: "
                        "another program kept reading the library")
        self.forget_history_in_copies()
        # Log lines name files played and scanned: those paths go too.
        from player.log import scrub_paths

        scrub_paths(self.personal_path_prefixes())
        return cleaned

    def finish_forgetting(self) -> bool:
        """At a start: the checkpoint a forget could not finish (another reader held it off)
        is run now, waiting a second at most for readers (the window waits for its library
        to open), else left to the next start. Returns whether nothing is left to clean."""
        if not self.get_setting(UNCLEANED_SETTING):
            return True
        cleaned = _checkpointed(self.conn, _START_CHECKPOINT_WAIT_MS, int(self._busy_timeout_s * 1000))
        if cleaned:
            self.set_setting(UNCLEANED_SETTING, None)
            log.info("the forgotten history's pages were cleaned out of the library's files")
        return cleaned

    def history_left_on_disk(self) -> bool:
        """Whether a forget could not yet clean the history out of the library's files."""
        return bool(self.get_setting(UNCLEANED_SETTING))

    def history_forgotten_at(self) -> float:
        """When the listening history was last forgotten (0 if never)."""
        return self._forgotten_at(self.conn)

    @staticmethod
    def forgotten_since(known: float | None, at: float, last: float) -> bool:
        """Whether the history was forgotten after something kept to write later (a play, a
        place): ``last`` is another forget than the one ``known`` when it was kept. By the
        clock (``at`` before ``last``) only where that was not known: a clock set back after
        a forget made while it ran ahead put what came after the forget before it."""
        return last != known if known is not None else at < last

    @staticmethod
    def _forgotten_at(conn) -> float:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (FORGOTTEN_SETTING,)).fetchone()
        try:
            return float(json.loads(row[0])) if row is not None else 0.0
        except (TypeError, ValueError):
            return 0.0

    def forget_history_in_copies(self) -> list:
        """The history also leaves the copies beside the database: the backups taken before
        migrations lose their plays (their library stays, to restore from), and damaged
        copies set aside, which cannot be cleaned, are deleted. Returns the files touched."""
        from player.store.connection import backups

        touched = []
        for copy in backups(self.path):
            try:
                _forget_in_file(copy)
                touched.append(copy)
            except sqlite3.DatabaseError:
                _delete_with_wal(copy)          # unreadable: it cannot keep a secret either
                touched.append(copy)
        for damaged in sorted(self.path.parent.glob(self.path.name + ".damaged-*")):
            if not damaged.name.endswith(("-wal", "-shm")):
                _delete_with_wal(damaged)
                touched.append(damaged)
        return touched

    def personal_path_prefixes(self) -> list[str]:
        """Folders whose paths say what this person listens to: the library folders, the folders
        of tracks played from elsewhere, and the home folder."""
        import os

        prefixes = {row["path"] for row in self.folders()}
        for (path,) in self.execute("SELECT path FROM tracks WHERE folder_id IS NULL"):
            prefixes.add(os.path.dirname(path))
        home = os.path.expanduser("~")
        if home and home not in ("/", "~"):
            prefixes.add(home)
        return sorted(p for p in prefixes if p and len(p) > 1)

    # -- what to play ----------------------------------------------------
    def tracks_matching(self, query: str, *, limit: int | None = 500,
                        columns: Sequence[str] | None = None) -> list[sqlite3.Row]:
        """Playable tracks whose title, artist, album artist, album, composer, work or genre contain every
        word of ``query`` (ignoring case and accents), the first ``limit`` (None: all) in the
        store's library order, with the artist
        it goes by as ``order_artist`` (used by ``segue play``). A compilation without an album
        artist tag is found as Various Artists', as the library files it. A track
        missing one of those tags is also found by its path below its library folder (the
        file and folder names the window shows in their place). The store's order is not the
        window's (it puts the files without tags first): what plays the first few in the
        window's order asks for all and orders them before taking those (``segue play``), and
        names the ``columns`` it reads (None: all): a word most of a library of 100,000 tracks
        matches ("e") read each one's every column, about 140 MB, where ordering them needs a
        third of them."""
        # A search typed with bytes that are not UTF-8 (a file name pasted from a terminal)
        # cannot be bound; its bad bytes become U+FFFD, which simply match nothing.
        words = [w.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for w in query.split() if w]
        if not words:
            return []
        words = [search_form(w) for w in words]
        clause = " AND ".join(
            "search_form(CAST(coalesce(t.title, '') || ' ' || coalesce(t.artist, '') || ' ' "
            "|| coalesce(t.albumartist, '') || ' ' || coalesce(t.album, '') || ' ' || coalesce(t.composer, '') || ' ' "
            "|| coalesce(t.genre, '') || ' ' "
            # (the work a movement's tags name, "eroica" where its title names only the movement)
            "|| CASE WHEN t.work IS NOT NULL OR t.grouping IS NOT NULL "
            "THEN work_name(CAST(t.title AS BLOB), CAST(t.work AS BLOB), CAST(t.grouping AS BLOB), "
            "CAST(t.movement AS BLOB), CAST(t.movementname AS BLOB)) || ' ' ELSE '' END "
            # (what the window's search finds too: "bach" on a classical shelf, "various", "jazz")
            "|| CASE WHEN coalesce(t.albumartist, '') = '' AND coalesce(t.albumartistsort, '') = '' "
            "AND (t.compilation = 1 OR t.folder_compilation = 1) THEN 'Various Artists ' ELSE '' END "
            "|| CASE WHEN t.title IS NULL "
            "OR t.album IS NULL OR coalesce(t.artist, t.albumartist) IS NULL "
            "THEN substr(t.path, coalesce(length(f.path), 0) + 1) ELSE '' END AS BLOB)) LIKE ? ESCAPE '\\'"
            for _ in words)
        picked = "t.*" if columns is None else ", ".join(f't."{c}"' for c in dict.fromkeys(columns))
        params = ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words]
        return self.execute(
            f"SELECT {picked}, {ORDER_ARTIST} AS order_artist FROM tracks t LEFT JOIN folders f ON f.id = t.folder_id "
            f"WHERE t.missing = 0 AND t.last_error IS NULL AND {clause} "
            # (the library's own order: a compilation's tracks by number, not by each artist on it)
            "ORDER BY t.order_artist_key, t.order_album_key, t.disc_no, t.track_no, t.path LIMIT ?",
            (*params, -1 if limit is None else limit),
        ).fetchall()
