"""What the person asked Segue never to suggest: a song, or every song of an artist.

Up next, Radio and Discover leave these out (see :meth:`NeverSuggestMixin.never_suggested_ids`,
and :meth:`NeverSuggestMixin.left_out_ids`, which adds the songs of a disk not connected);
nothing else does: the person can still play, queue or list them. An artist is kept by its
key, the first credited artist normalised (:func:`segue_common.normalize.primary_artist`),
as the rest of Segue keys artists: "The Beatles" and "Beatles feat. X" are one artist. A
track's artist is its artist tag, else its album artist; a track with neither has none (its
folder's name is no artist).

A song is the recording, not the file: someone who says "don't suggest this song" does not
want its copy from a best-of or in another format instead. Every track of the same
recording as a song named (:func:`segue_common.normalize.recording_key` of its artist and
title, lengths within ``SAME_RECORDING_S``, as Up next, Radio and Discover tell copies apart)
is left out with it; a live take or an edit of another length is another recording.
"""

from __future__ import annotations

import sqlite3
import time

from segue_common.normalize import normalize_name, primary_artist, recording_key, same_length, stands_in


# A track's artist as :func:`artist_of` gives it, in SQL.
_ARTIST = "coalesce(nullif(artist, ''), nullif(albumartist, ''))"


def artist_of(row) -> str | None:
    """The artist a track is kept out by (its tag, else its album artist), or None."""
    return row["artist"] or row["albumartist"] or None


class NeverSuggestMixin:
    def never_suggest_track(self, track_id: int) -> bool:
        """Never suggest this track again; False when it was already so (or is no track)."""
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM tracks WHERE id = ?", (int(track_id),)).fetchone() is None:
                return False
            cur = conn.execute("INSERT OR IGNORE INTO never_suggest (track_id, added_at) VALUES (?, ?)",
                               (int(track_id), time.time()))
            return cur.rowcount > 0

    def never_suggest_artist(self, artist: str) -> bool:
        """Never suggest a song by ``artist`` (as tagged; keyed by its first credited artist);
        False when it was already so. Raises ValueError for a name with no artist in it."""
        key = primary_artist(artist)
        if not key:
            raise ValueError(f"{artist!r} names no artist")
        with self.transaction() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO never_suggest (artist_key, artist, added_at) VALUES (?, ?, ?)",
                               (key, artist, time.time()))
            return cur.rowcount > 0

    def suggest_again(self, entry_id: int) -> bool:
        """Take back one entry of :meth:`never_suggested`; False when it was gone already."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM never_suggest WHERE id = ?", (int(entry_id),)).rowcount > 0

    def never_suggested(self) -> list[sqlite3.Row]:
        """Every entry, newest first: ``id``, ``track_id`` (a song) or ``artist_key`` and
        ``artist`` (an artist), ``added_at``, and the song's ``path``, ``folder_id``,
        ``title``, ``track_artist``, ``albumartist`` and ``album`` to name it by."""
        return self.execute(
            "SELECT n.id, n.track_id, n.artist_key, n.artist, n.added_at, t.path, t.folder_id, t.title, "
            "t.artist AS track_artist, t.albumartist, t.album "
            "FROM never_suggest n LEFT JOIN tracks t ON t.id = n.track_id ORDER BY n.added_at DESC, n.id DESC"
        ).fetchall()

    def never_suggested_stamp(self) -> tuple:
        """Changes whenever an entry is added or taken back (a cheap read: a reader may keep
        :meth:`never_suggested_ids` until it changes, or the library does)."""
        return tuple(self.execute("SELECT count(*), max(added_at), total(id) FROM never_suggest").fetchone())

    def never_suggested_ids(self) -> set[int]:
        """The tracks never to suggest: those named and their other copies, and every track of
        an artist named."""
        with self.snapshot() as conn:
            ids = {t for (t,) in conn.execute("SELECT track_id FROM never_suggest WHERE track_id IS NOT NULL")}
            keys = {k for (k,) in conn.execute("SELECT artist_key FROM never_suggest WHERE artist_key IS NOT NULL")}
            if not ids and not keys:
                return ids
            # Keys are Python's (primary_artist, normalize_name): each artist name the library
            # has is keyed once, then SQLite finds the tracks of the names that match (rather
            # than reading every track's name into Python).
            names = [n for (n,) in conn.execute(f"SELECT DISTINCT {_ARTIST} FROM tracks WHERE {_ARTIST} <> ''")]
            if ids:
                ids |= _copies(conn, ids, names)
            if keys:
                ids.update(_tracks_of(conn, [n for n in names if primary_artist(n) in keys]))
        return ids

    def left_out_stamp(self) -> tuple:
        """Changes whenever :meth:`left_out_ids` may have (a cheap read)."""
        return self.never_suggested_stamp() + self.away_stamp()

    def left_out_ids(self) -> set[int]:
        """The tracks no suggestion offers: those never to suggest, and those of a library
        folder the last scan found away (a disk not connected), which would not play."""
        return self.never_suggested_ids() | self.away_track_ids()


def _copies(conn, track_ids: set[int], names: list[str]) -> set[int]:
    """The tracks that are the same recording as one of ``track_ids`` (see the module's note);
    ``names``: every artist name the library has."""
    named = list(track_ids)
    lengths: dict[str, list] = {}
    wanted = set()
    for i in range(0, len(named), 500):
        chunk = named[i:i + 500]
        for artist, title, duration, sheet, match in conn.execute(
                f"SELECT {_ARTIST}, title, duration, cue_sheet, match_key FROM tracks "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            key = recording_key(artist, title, stand_in=stands_in(title, sheet, match))
            if key is not None:
                lengths.setdefault(key, []).append(duration)
                wanted.add(normalize_name(artist))
    if not lengths:
        return set()
    out = set()
    wanted_names = [n for n in names if normalize_name(n) in wanted]
    for track_id, artist, title, d, sheet, match in _tracks_of(
            conn, wanted_names, f"id, {_ARTIST}, title, duration, cue_sheet, match_key"):
        known = lengths.get(recording_key(artist, title, stand_in=stands_in(title, sheet, match)))
        if known and any(same_length(d, o) for o in known):
            out.add(track_id)
    return out


def _tracks_of(conn, names: list[str], columns: str = "id"):
    """``columns`` of the tracks whose artist (:func:`artist_of`) is one of ``names``: the id
    alone by default, else rows."""
    for i in range(0, len(names), 500):
        chunk = names[i:i + 500]
        rows = conn.execute(f"SELECT {columns} FROM tracks WHERE {_ARTIST} IN ({','.join('?' * len(chunk))})", chunk)
        yield from (t for (t,) in rows) if columns == "id" else rows
