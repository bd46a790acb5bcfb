"""Playlists: named, ordered lists of tracks (saved from Up next, imported from M3U8).

Each entry stores the track it names and that track's path: an entry whose file is not
in the library (a playlist imported before a scan, a file that went away) keeps its
path and is linked again when a scan brings the file (:meth:`link_playlist_paths`).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Sequence


class PlaylistError(ValueError):
    """A playlist request that cannot be done (no such playlist, an empty name)."""


class PlaylistsMixin:
    def playlists(self) -> list[sqlite3.Row]:
        """Every playlist by name: ``id, name, created_at, updated_at, entries, playable``."""
        return self.execute(
            "SELECT p.id, p.name, p.created_at, p.updated_at, count(e.position) AS entries, "
            "coalesce(sum(t.id IS NOT NULL AND t.missing = 0 AND t.last_error IS NULL), 0) AS playable "
            "FROM playlists p LEFT JOIN playlist_entries e ON e.playlist_id = p.id "
            "LEFT JOIN tracks t ON t.id = e.track_id GROUP BY p.id ORDER BY p.name COLLATE NOCASE"
        ).fetchall()

    def playlist(self, playlist_id: int) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM playlists WHERE id = ?", (playlist_id,)).fetchone()

    def playlist_entries(self, playlist_id: int) -> list[sqlite3.Row]:
        """Entries in order: ``position, track_id, path, playable`` (track still in the library)."""
        return self.execute(
            "SELECT e.position, e.track_id, e.path, "
            "(t.id IS NOT NULL AND t.missing = 0 AND t.last_error IS NULL) AS playable "
            "FROM playlist_entries e LEFT JOIN tracks t ON t.id = e.track_id "
            "WHERE e.playlist_id = ? ORDER BY e.position", (playlist_id,)
        ).fetchall()

    def playlist_track_ids(self, playlist_id: int) -> list[int]:
        """The playable tracks of a playlist, in order."""
        return [r["track_id"] for r in self.playlist_entries(playlist_id) if r["playable"]]

    def _free_name(self, conn, name: str) -> str:
        taken = {r[0].casefold() for r in conn.execute("SELECT name FROM playlists")}
        if name.casefold() not in taken:
            return name
        n = 2
        while f"{name} ({n})".casefold() in taken:
            n += 1
        return f"{name} ({n})"

    def create_playlist(self, name: str, track_ids: Sequence[int] = (), *,
                        paths: Sequence[str] = ()) -> int:
        """A new playlist of ``track_ids`` (library tracks) then ``paths`` (files, linked to
        library tracks where the library has them); a taken name gets " (2)", " (3)"..."""
        name = " ".join(name.split())
        if not name:
            raise PlaylistError("a playlist needs a name")
        now = time.time()
        with self.transaction() as conn:
            name = self._free_name(conn, name)
            cur = conn.execute("INSERT INTO playlists (name, created_at, updated_at) VALUES (?, ?, ?)",
                               (name, now, now))
            playlist_id = cur.lastrowid
            self._append(conn, playlist_id, track_ids, paths)
        return playlist_id

    def _append(self, conn, playlist_id: int, track_ids: Sequence[int], paths: Sequence[str]) -> int:
        start = conn.execute("SELECT coalesce(max(position) + 1, 0) FROM playlist_entries WHERE playlist_id = ?",
                             (playlist_id,)).fetchone()[0]
        rows = []
        for t in track_ids:
            row = conn.execute("SELECT path FROM tracks WHERE id = ?", (int(t),)).fetchone()
            if row is not None:
                rows.append((int(t), row[0]))
        for path in paths:
            row = conn.execute("SELECT id FROM tracks WHERE path = ?", (path,)).fetchone()
            rows.append((row[0] if row is not None else None, path))
        conn.executemany(
            "INSERT INTO playlist_entries (playlist_id, position, track_id, path) VALUES (?, ?, ?, ?)",
            [(playlist_id, start + i, t, p) for i, (t, p) in enumerate(rows)])
        conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
        return len(rows)

    def add_to_playlist(self, playlist_id: int, track_ids: Sequence[int]) -> int:
        """Append library tracks; returns how many were added."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM playlists WHERE id = ?", (playlist_id,)).fetchone() is None:
                raise PlaylistError(f"no playlist {playlist_id}")
            return self._append(conn, playlist_id, track_ids, ())

    def remove_playlist_entries(self, playlist_id: int, positions: Sequence[int]) -> None:
        """Remove entries by position; the rest close up in order."""
        with self.transaction() as conn:
            rows = conn.execute("SELECT position, track_id, path FROM playlist_entries WHERE playlist_id = ? "
                                "ORDER BY position", (playlist_id,)).fetchall()
            gone = set(positions)
            kept = [(r[1], r[2]) for r in rows if r[0] not in gone]
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            conn.executemany(
                "INSERT INTO playlist_entries (playlist_id, position, track_id, path) VALUES (?, ?, ?, ?)",
                [(playlist_id, i, t, p) for i, (t, p) in enumerate(kept)])
            conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))

    def rename_playlist(self, playlist_id: int, name: str) -> str:
        """Rename; returns the name given (made free like :meth:`create_playlist` does)."""
        name = " ".join(name.split())
        if not name:
            raise PlaylistError("a playlist needs a name")
        with self.transaction() as conn:
            current = conn.execute("SELECT name FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
            if current is None:
                raise PlaylistError(f"no playlist {playlist_id}")
            if current[0].casefold() != name.casefold():
                name = self._free_name(conn, name)
            conn.execute("UPDATE playlists SET name = ?, updated_at = ? WHERE id = ?",
                         (name, time.time(), playlist_id))
        return name

    def delete_playlist(self, playlist_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))

    def link_playlist_paths(self) -> int:
        """Entries whose file is now a library track name it again (after a scan); how many."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE playlist_entries SET track_id = (SELECT t.id FROM tracks t WHERE t.path = playlist_entries.path) "
                "WHERE track_id IS NULL AND EXISTS (SELECT 1 FROM tracks t WHERE t.path = playlist_entries.path)")
            return cur.rowcount
