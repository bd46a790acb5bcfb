"""Playlists: named, ordered lists of tracks (saved from Up next, imported from files).

Each entry stores the track it names and that track's path: an entry whose file is not
in the library (a playlist imported before a scan, a file that went away) keeps its
path and is linked again when a scan brings the file (:meth:`link_playlist_paths`).

A path is matched to a library track by the path itself first; then, among the tracks
with the same file name, by being the same file on disk (a path through a link); then by
its last folders and file name, compared without regard to case or Unicode form, where
exactly one track shares the most of them (at least the file name and its folder). So a
playlist from another computer or system, or from before the music moved, finds its songs.
Last, where the playlist file gives the entry's "Artist - Title" (an ``#EXTINF`` line, an
XSPF creator and title), by those tags, where exactly one library track has them: the
music renamed or sorted into other folders since, or converted to another format. Where
several have them (a studio and a live take, a single and its album version), the length
the file gives picks the one within a few seconds of it, where only one is.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from typing import Collection, Sequence

from player.playlist_files import foreign_path, readable
from player.store.connection import sql_text
from player.store.tracks import AWAY_HOME
from segue_common.text import sort_form

_SEPARATORS = re.compile(r"[\\/]+")
#: how far a track's length may be from the one a playlist file gives, and still be its song:
#: ``#EXTINF`` gives whole seconds, and a song converted to another format gains or loses a
#: fraction; two takes of a song differ by more
LENGTH_SLACK_S = 3.0
# A path that is not UTF-8 (a file name in an old code page) is bound as its bytes.
_INSERT_ENTRY = ("INSERT INTO playlist_entries (playlist_id, position, track_id, path, title, start_s) "
                 "VALUES (?, ?, ?, CAST(? AS TEXT), ?, ?)")


def _query_text(query: str) -> str:
    """A saved search's query as kept: one that finds everything is no search."""
    query = " ".join(query.split())
    if not query:
        raise PlaylistError("a saved search needs something to search for")
    return query


class PlaylistError(ValueError):
    """A playlist request that cannot be done (no such playlist, an empty name)."""


@dataclass(frozen=True)
class PathMatch:
    """How a path given for a playlist entry was matched to a library track."""

    path: str                       # as given
    track_id: int | None
    track_path: str | None          # the library's path of that track
    how: str | None                 # "path", "same file", "name" (file name and folders), "tags", None


def _key(part: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", readable(part)).casefold())


def _name_key(name: str) -> str:
    """A playlist's name as names are compared: case aside, and accents written decomposed
    (a playlist file's name from a Mac, "e" and a combining accent) the same as composed,
    so that two playlists never look alike in the list."""
    return unicodedata.normalize("NFC", name.casefold())


def _parts(path: str) -> list[str]:
    """The folder and file names of ``path`` (either separator), as compared."""
    return [_key(p) for p in _SEPARATORS.split(path) if p and p != "."]


def _label_key(label: str) -> str:
    if label.isascii():     # (most tags; the same key without the Unicode steps, a big library's scan pays it)
        return " ".join(label.lower().split())
    return " ".join(_key(label).split())


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


class _Matcher:
    """Matches paths to library tracks; the library's paths are indexed by file name
    once, when a path first needs more than an exact match."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self._by_name: dict[str, list[tuple[int, str, list[str]]]] | None = None
        self._by_tags: dict[tuple[str, str], tuple[int, str, float | None]
                            | set[tuple[int, str, float | None]]] | None = None
        self._sheet_numbers: dict[str, list[str]] | None = None

    def _index(self) -> dict[str, list[tuple[int, str, list[str]]]]:
        if self._by_name is None:
            self._by_name = {}
            for track_id, path in self.conn.execute("SELECT id, path FROM tracks WHERE missing = 0"):
                parts = _parts(path)
                if parts:
                    self._by_name.setdefault(parts[-1], []).append((track_id, path, parts))
        return self._by_name

    def sheet_numbers(self, path: str) -> list[str]:
        """The numbers (after ``#``) of the library's CUE sheet tracks whose file is named as
        ``path``'s, in order: the only ones :meth:`match` can find for ``path#number``."""
        if self._sheet_numbers is None:
            self._sheet_numbers = {}
            for name in self._index():
                file_name, sep, number = name.rpartition("#")
                if sep:
                    self._sheet_numbers.setdefault(file_name, []).append(number)
            for numbers in self._sheet_numbers.values():
                numbers.sort()
        parts = _parts(path)
        return self._sheet_numbers.get(parts[-1], []) if parts else []

    def _tagged(self, label: str) -> set[tuple[int, str, float | None]]:
        """The library tracks (id, path, length) whose artist and title ``label`` gives, as
        "Artist - Title" or, as iTunes writes it, "Title - Artist"."""
        if self._by_tags is None:
            # One key a track, (artist, title), and the label read both ways at each of its
            # " - ": two joined keys a track, each through the Unicode steps, cost a scan of a
            # 50,000-track library a second more each time an entry stayed out.
            self._by_tags = {}
            for track_id, path, artist, title, length in self.conn.execute(
                    "SELECT id, path, artist, title, duration FROM tracks WHERE missing = 0 "
                    "AND artist IS NOT NULL AND title IS NOT NULL AND artist != '' AND title != ''"):
                key = (_label_key(artist), _label_key(title))
                found = self._by_tags.get(key)
                if found is None:
                    self._by_tags[key] = (track_id, path, length)
                elif isinstance(found, tuple):
                    self._by_tags[key] = {found, (track_id, path, length)}
                else:
                    found.add((track_id, path, length))
        parts = _label_key(label).split(" - ")
        tracks: set[tuple[int, str, float | None]] = set()
        for k in range(1, len(parts)):
            first, last = " - ".join(parts[:k]), " - ".join(parts[k:])
            for key in ((first, last), (last, first)):
                found = self._by_tags.get(key)
                if found is not None:
                    tracks.update([found] if isinstance(found, tuple) else found)
        return tracks

    def match(self, path: str, *, exact: bool = True, title: str | None = None,
              seconds: float | None = None) -> PathMatch:
        """How ``path`` names a library track; ``exact`` False: the path itself is known not
        to be one (it was just looked up); ``title``: the "Artist - Title" the playlist file
        gives for it, where it gives one; ``seconds``: the length it gives, where it gives one."""
        found = self._match_path(path, exact)
        if found.track_id is None and title and " - " in title:
            tracks = self._tagged(title)
            if len(tracks) > 1 and seconds:
                # A studio and a live take: the one as long as the file says, where one is.
                tracks = {t for t in tracks if t[2] is not None and abs(t[2] - seconds) <= LENGTH_SLACK_S}
            if len(tracks) == 1:        # (two alike: neither is taken, as either may be wrong)
                track_id, track_path, _ = next(iter(tracks))
                return PathMatch(path, track_id, track_path, "tags")
        return found

    def _match_path(self, path: str, exact: bool) -> PathMatch:
        row = self.conn.execute("SELECT id, path FROM tracks WHERE path = CAST(? AS TEXT)",
                                (sql_text(path),)).fetchone() if exact else None
        if row is not None:
            return PathMatch(path, row[0], row[1], "path")
        parts = _parts(path)
        candidates = self._index().get(parts[-1], []) if parts else []
        if not candidates:
            return PathMatch(path, None, None, None)
        if not foreign_path(path) and os.path.exists(path):
            for track_id, track_path, _ in candidates:
                if _same_file(path, track_path):
                    return PathMatch(path, track_id, track_path, "same file")
        best, best_n, tie = None, 0, False
        for candidate in candidates:
            other = candidate[2]
            n = 0
            while n < min(len(parts), len(other)) and parts[-1 - n] == other[-1 - n]:
                n += 1
            if n > best_n:
                best, best_n, tie = candidate, n, False
            elif n == best_n:
                tie = True
        if best is None or tie or best_n < 2:
            return PathMatch(path, None, None, None)
        return PathMatch(path, best[0], best[1], "name")


def _entries(matcher: _Matcher, paths: Sequence[str], notes: Sequence[tuple]) -> tuple[list[PathMatch], list[tuple]]:
    """How each of ``paths`` is matched, and the entries ``(track id, path, title, start)``
    they make, each with its ``(title, start, length)`` in ``notes`` where given."""
    notes = [(*n, None, None, None)[:3] for n in notes] + [(None, None, None)] * (len(paths) - len(notes))
    matches = [matcher.match(path, title=title, seconds=seconds) for path, (title, _, seconds) in zip(paths, notes)]
    # A matched entry keeps the library's path: the one that names the file here.
    return matches, [(m.track_id, m.track_path or m.path, title, None if m.track_id else at)
                     for m, (title, at, _) in zip(matches, notes)]


# An entry's track is still in the library; and where it is, where its disk or share is not
# connected now (the library's reading of that, mount points in a library folder included).
_PLAYABLE = "(t.id IS NOT NULL AND t.missing = 0 AND t.last_error IS NULL)"


class PlaylistsMixin:
    def playlists(self) -> list[sqlite3.Row]:
        """Every playlist by name: ``id, name, created_at, updated_at, entries, playable,
        away, query`` (``away``: how many of the playable are on a library folder not connected now;
        ``query``: a saved search's, whose songs are not stored (see :meth:`save_search`), else None).
        By name as the library sorts names (:func:`sort_form`): SQLite's order put "Été" after
        "Zen" and "Mix 10" before "Mix 2"."""
        rows = self.execute(
            "SELECT p.id, p.name, p.created_at, p.updated_at, p.query, count(e.position) AS entries, "
            f"coalesce(sum({_PLAYABLE}), 0) AS playable, "
            f"coalesce(sum({_PLAYABLE} AND {AWAY_HOME} IS NOT NULL), 0) AS away "
            "FROM playlists p LEFT JOIN playlist_entries e ON e.playlist_id = p.id "
            "LEFT JOIN tracks t ON t.id = e.track_id "
            "GROUP BY p.id"
        ).fetchall()
        return sorted(rows, key=lambda r: (sort_form(readable(r["name"])), r["name"], r["id"]))

    def playlist(self, playlist_id: int) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM playlists WHERE id = ?", (playlist_id,)).fetchone()

    def playlist_entries(self, playlist_id: int) -> list[sqlite3.Row]:
        """Entries in order: ``position, track_id, path, title, start_s, playable, away``
        (``title``: as the playlist file gave it, else None; ``start_s``: where in its file an
        entry not linked yet starts, a CUE sheet's track, else None; ``playable``: the track is
        still in the library; ``away``: the library folder it is on, where that is not connected
        now, else None)."""
        return self.execute(
            f"SELECT e.position, e.track_id, e.path, e.title, e.start_s, {_PLAYABLE} AS playable, "
            f"CASE WHEN {_PLAYABLE} THEN {AWAY_HOME} END AS away "
            "FROM playlist_entries e LEFT JOIN tracks t ON t.id = e.track_id "
            "WHERE e.playlist_id = ? ORDER BY e.position", (playlist_id,)
        ).fetchall()

    def playlist_track_ids(self, playlist_id: int) -> list[int]:
        """The playable tracks of a playlist, in order."""
        return [r["track_id"] for r in self.playlist_entries(playlist_id) if r["playable"]]

    def save_search(self, name: str, query: str) -> int:
        """A new saved search: a playlist whose songs are the library's tracks that ``query``
        (the search box's language, :mod:`player.library.query`) matches when it is read, so
        that they follow the library; none are stored. A taken name gets " (2)"..."""
        # (made with its query in one write: made first and given its query after, a read of
        # the playlists between the two listed it as an empty playlist of songs, one songs
        # could be let go into)
        return self._create(name, (), (), query=_query_text(query))[0]

    def set_playlist_query(self, playlist_id: int, query: str) -> None:
        """Change a saved search's query ("Edit search")."""
        query = _query_text(query)
        with self.transaction() as conn:
            row = conn.execute("SELECT query FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
            if row is None or row[0] is None:
                raise PlaylistError(f"no saved search {playlist_id}")
            conn.execute("UPDATE playlists SET query = ?, updated_at = ? WHERE id = ?",
                         (query, time.time(), playlist_id))

    def _free_name(self, conn, name: str) -> str:
        taken = {_name_key(r[0]) for r in conn.execute("SELECT name FROM playlists")}
        if _name_key(name) not in taken:
            return name
        n = 2
        while _name_key(f"{name} ({n})") in taken:
            n += 1
        return f"{name} ({n})"

    def create_playlist(self, name: str, track_ids: Sequence[int] = (), *,
                        paths: Sequence[str] = ()) -> int:
        """A new playlist of ``track_ids`` (library tracks) then ``paths`` (files, linked to
        library tracks where the library has them); a taken name gets " (2)", " (3)"..."""
        return self._create(name, track_ids, paths)[0]

    def import_playlist(self, name: str, paths: Sequence[str], starts: dict[int, float] | None = None,
                        titles: dict[int, str] | None = None,
                        lengths: dict[int, float] | None = None) -> tuple[int, list[PathMatch]]:
        """A new playlist of the files a playlist file names, and how each was matched
        to a library track (see the module docstring), for telling the person. ``starts``:
        index in ``paths`` -> where that entry starts in its file (a CUE sheet's track);
        ``titles``: index -> the title the file gives, kept with the entry so that one whose
        file is not here still says what song it was; ``lengths``: index -> the length in
        seconds the file gives, which picks between takes of a song matched by its tags."""
        named = self._sheet_tracks_named(paths, starts, titles, lengths)
        return self._create(name, (), [p for p, _, _, _ in named], [(t, s, n) for _, t, s, n in named])

    def same_playlist(self, name: str, paths: Sequence[str], starts: dict[int, float] | None = None,
                      titles: dict[int, str] | None = None, lengths: dict[int, float] | None = None) -> int | None:
        """The playlist that importing this (see :meth:`import_playlist`) would only make again:
        named ``name`` (or ``name (2)``... as a second import named it), with the very entries
        it would have, in order; else None. A playlist changed since, or another file of the
        same name, is no such playlist."""
        key = _name_key(" ".join(name.split()))
        alike = [r["id"] for r in self.execute("SELECT id, name FROM playlists")
                 if _name_key(re.sub(r" \(\d+\)$", "", r["name"])) == key or _name_key(r["name"]) == key]
        if not alike:
            return None
        named = self._sheet_tracks_named(paths, starts, titles, lengths)
        _, wanted = _entries(_Matcher(self), [p for p, _, _, _ in named], [(t, s, n) for _, t, s, n in named])
        for playlist_id in sorted(alike):
            held = [(e["track_id"], e["path"], e["title"], e["start_s"]) for e in self.playlist_entries(playlist_id)]
            if held == wanted:
                return playlist_id
        return None

    def files_named(self, paths: Sequence[str], titles: dict[int, str] | None = None, *,
                    skip: Collection[int] = (), lengths: dict[int, float] | None = None) -> list[str]:
        """``paths`` (a playlist file's, opened to play) each as the file it names here: one
        that names no file on this computer (another computer's path, or the music moved
        since) as the library track an import matches it to (see the module docstring), where
        one is; the rest, and the indexes in ``skip``, as given. ``titles``: index -> the
        "Artist - Title" the file gives; ``lengths``: index -> the seconds it gives."""
        matcher = _Matcher(self)
        out = []
        for i, path in enumerate(paths):
            if i not in skip and (foreign_path(path) or not os.path.exists(path)):
                found = matcher.match(path, title=(titles or {}).get(i), seconds=(lengths or {}).get(i))
                path = found.track_path or path
            out.append(path)
        return out

    def sheet_tracks_named(self, paths: Sequence[str], starts: dict[int, float] | None) -> list[str]:
        """``paths`` with each entry that starts inside its file (``starts``: index -> second)
        named as the library's track of the file's CUE sheet that starts there, and each CUE
        sheet named (as other players add an album ripped to one file) as its tracks, where
        the library has them."""
        return [p for p, _, _, _ in self._sheet_tracks_named(paths, starts, None)]

    def _sheet_tracks_named(self, paths: Sequence[str], starts: dict[int, float] | None,
                            titles: dict[int, str] | None, lengths: dict[int, float] | None = None,
                            ) -> list[tuple[str, str | None, float | None, float | None]]:
        """:meth:`sheet_tracks_named`, each path with its title in ``titles`` (a CUE sheet
        named as its tracks: none, as the file's one title names the sheet, not a song), its
        start where no sheet's track was found for it: kept, so that a scan that finds the
        sheet later links it (:meth:`link_playlist_paths`), and its length in ``lengths``."""
        out: list[tuple[str, str | None, float | None, float | None]] = []
        matcher = _Matcher(self)
        for i, path in enumerate(paths):
            start, title, length = (starts or {}).get(i), (titles or {}).get(i), (lengths or {}).get(i)
            if start is not None:
                track = self._sheet_track_named(matcher, path, start)
                out.append((track, title, None, length) if track else (path, title, start, length))
            elif path.lower().endswith(".cue") and (tracks := self.sheet_track_paths(path)):
                out += [(t, None, None, None) for t in tracks]
            else:
                out.append((path, title, None, length))
        return out

    def _sheet_track_named(self, matcher: _Matcher, path: str, start: float) -> str | None:
        return self.sheet_track_path(path, start) or self._moved_sheet_track(matcher, path, start)

    def _moved_sheet_track(self, matcher: _Matcher, path: str, start: float) -> str | None:
        """The name of the sheet's track starting at ``start`` of a file named as ``path`` is,
        matched by its name and last folders as other entries are (see the module docstring),
        where ``path`` is not the library's: the playlist made on another computer, or the
        music moved since. Its whole path matched nothing, and the song stayed out for good."""
        # The numbers from the tracks named as its file, not from every track that starts
        # there: that read the whole library for each entry, and a scan links a playlist's
        # entries not found yet each time (10,000 of them among 100,000 tracks: 150 s).
        for number in matcher.sheet_numbers(path):
            found = matcher.match(f"{path}#{number}", exact=False)
            if found.track_id is not None and self.execute(     # (the number came from another album)
                    "SELECT 1 FROM tracks WHERE id = ? AND abs(cue_start_s - ?) < 0.5",
                    (found.track_id, start)).fetchone() is not None:
                return found.track_path
        return None

    def _create(self, name: str, track_ids: Sequence[int], paths: Sequence[str],
                notes: Sequence[tuple] = (), query: str | None = None) -> tuple[int, list[PathMatch]]:
        name = " ".join(name.split())
        if not name:
            raise PlaylistError("a playlist needs a name")
        now = time.time()
        with self.transaction() as conn:
            name = self._free_name(conn, name)
            cur = conn.execute("INSERT INTO playlists (name, created_at, updated_at, query) VALUES (?, ?, ?, ?)",
                               (name, now, now, query))
            return cur.lastrowid, self._append(conn, cur.lastrowid, track_ids, paths, notes)[1]

    def _append(self, conn, playlist_id: int, track_ids: Sequence[int], paths: Sequence[str],
                notes: Sequence[tuple] = ()) -> tuple[int, list[PathMatch]]:
        """Append library tracks, then ``paths``, each with its ``(title, start, length)`` in
        ``notes`` where given (see :meth:`playlist_entries`; the length only picks its track)."""
        start = conn.execute("SELECT coalesce(max(position) + 1, 0) FROM playlist_entries WHERE playlist_id = ?",
                             (playlist_id,)).fetchone()[0]
        rows = []
        for t in track_ids:
            t = int(t)
            row = conn.execute("SELECT path FROM tracks WHERE id = ?", (t,)).fetchone()
            if row is None and (live := self._live_id(conn, t)) is not None:
                # (the copy the player or a scan merged it into after the window named it)
                t, row = live, conn.execute("SELECT path FROM tracks WHERE id = ?", (live,)).fetchone()
            if row is not None:
                rows.append((t, row[0], None, None))
        matches, entries = _entries(_Matcher(conn), paths, notes)
        rows += entries
        conn.executemany(_INSERT_ENTRY, [(playlist_id, start + i, t, sql_text(p), title, at)
                                         for i, (t, p, title, at) in enumerate(rows)])
        conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
        return len(rows), matches

    def add_to_playlist(self, playlist_id: int, track_ids: Sequence[int],
                        before: tuple[int, str] | None = None) -> int:
        """Add library tracks at the end, or in front of the entry ``before`` names as
        ``(position, path)`` as last read (songs dropped between others); returns how many
        were added. An entry no longer there (the playlist changed meanwhile) puts them at
        the end: the songs are kept, never put in a place the person did not see."""
        with self.transaction() as conn:
            row = conn.execute("SELECT query FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
            if row is None:
                raise PlaylistError(f"no playlist {playlist_id}")
            if row[0] is not None:
                # (its songs are what the search finds: one put in would never show)
                raise PlaylistError("a saved search's songs are those it finds: songs cannot be added to it "
                                    "(Edit search changes what it finds)")
            added = self._append(conn, playlist_id, track_ids, ())[0]
            if before is not None and added:
                rows = conn.execute("SELECT position, track_id, path, title, start_s FROM playlist_entries "
                                    "WHERE playlist_id = ? ORDER BY position", (playlist_id,)).fetchall()
                kept, came = rows[:-added], rows[-added:]
                at = next((i for i, r in enumerate(kept) if r[0] == int(before[0]) and r[2] == before[1]), None)
                if at is not None:
                    order = kept[:at] + came + kept[at:]
                    conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
                    conn.executemany(_INSERT_ENTRY, [(playlist_id, i, r[1], sql_text(r[2]), r[3], r[4])
                                                     for i, r in enumerate(order)])
            return added

    def remove_playlist_entries(self, playlist_id: int, positions: Sequence[int],
                                paths: Sequence[str] | None = None) -> bool:
        """Remove entries by position; the rest close up in order. ``paths``: each one's path
        as last read; False, and nothing changes, when one is no longer there (the playlist
        was changed meanwhile: removing by the old positions would take out other songs)."""
        with self.transaction() as conn:
            rows = conn.execute("SELECT position, track_id, path, title, start_s FROM playlist_entries "
                                "WHERE playlist_id = ? ORDER BY position", (playlist_id,)).fetchall()
            if paths is not None:
                held = {r[0]: r[2] for r in rows}
                if len(paths) != len(positions) or any(held.get(int(p)) != path
                                                       for p, path in zip(positions, paths)):
                    return False
            gone = set(positions)
            kept = [(r[1], r[2], r[3], r[4]) for r in rows if r[0] not in gone]
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            conn.executemany(_INSERT_ENTRY, [(playlist_id, i, t, sql_text(p), title, at)
                                             for i, (t, p, title, at) in enumerate(kept)])
            conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
        return True

    def restore_playlist_entries(self, playlist_id: int, was: Sequence[tuple], now: Sequence[str]) -> bool:
        """Put the entries back as they ``was`` (``(track id, path)``, or ``(track id, path,
        title, start_s)`` in order) where the
        playlist is still ``now`` (its paths in order): the undo of a removal. False, and
        nothing changes, when it was changed since (putting the old list back would undo
        that change too)."""
        with self.transaction() as conn:
            held = [r[0] for r in conn.execute("SELECT path FROM playlist_entries WHERE playlist_id = ? "
                                               "ORDER BY position", (playlist_id,))]
            if held != list(now) or conn.execute("SELECT 1 FROM playlists WHERE id = ?",
                                                 (playlist_id,)).fetchone() is None:
                return False
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            # A song's track may have gone since (a scan found it a copy of another, or moved):
            # it names the track it became, or none, as a track id no longer there cannot be stored.
            conn.executemany(_INSERT_ENTRY, [(playlist_id, i, None if e[0] is None else self._live_id(conn, e[0]),
                                              sql_text(e[1]), *(e[2:4] if len(e) > 2 else (None, None)))
                                             for i, e in enumerate(was)])
            conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
            return True

    def reorder_playlist(self, playlist_id: int, order: Sequence[tuple[int, str]]) -> bool:
        """Put the entries in ``order``: each entry once, as ``(position, path)`` as last read,
        in the order wanted. False, and nothing changes, when the playlist is no longer what
        was read (an entry added, removed or moved meanwhile): a move made on an old list would
        misplace songs."""
        order = [(int(p), path) for p, path in order]
        with self.transaction() as conn:
            rows = {r[0]: (r[1], r[2], r[3], r[4]) for r in conn.execute(
                "SELECT position, track_id, path, title, start_s FROM playlist_entries WHERE playlist_id = ?",
                (playlist_id,))}
            if len(order) != len(rows) or len({p for p, _ in order}) != len(order) or any(
                    p not in rows or rows[p][1] != path for p, path in order):
                return False
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            conn.executemany(_INSERT_ENTRY, [(playlist_id, i, rows[p][0], sql_text(rows[p][1]), *rows[p][2:])
                                             for i, (p, _) in enumerate(order)])
            conn.execute("UPDATE playlists SET updated_at = ? WHERE id = ?", (time.time(), playlist_id))
            return True

    def rename_playlist(self, playlist_id: int, name: str) -> str:
        """Rename; returns the name given (made free like :meth:`create_playlist` does)."""
        name = " ".join(name.split())
        if not name:
            raise PlaylistError("a playlist needs a name")
        with self.transaction() as conn:
            current = conn.execute("SELECT name FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
            if current is None:
                raise PlaylistError(f"no playlist {playlist_id}")
            if _name_key(current[0]) != _name_key(name):
                name = self._free_name(conn, name)
            conn.execute("UPDATE playlists SET name = ?, updated_at = ? WHERE id = ?",
                         (name, time.time(), playlist_id))
        return name

    def delete_playlist(self, playlist_id: int) -> tuple | None:
        """Delete a playlist; returns what it was, for :meth:`restore_playlist` (its name,
        when it was made, its entries as ``(track id, path, title, start_s)`` in order, and a
        saved search's query, else None), or None where there was no such playlist."""
        with self.transaction() as conn:
            row = conn.execute("SELECT name, created_at, query FROM playlists WHERE id = ?",
                               (playlist_id,)).fetchone()
            entries = [tuple(r) for r in conn.execute(
                "SELECT track_id, path, title, start_s FROM playlist_entries WHERE playlist_id = ? ORDER BY position",
                (playlist_id,))]
            conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
            conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))
        return None if row is None else (row[0], row[1], entries, row[2])

    def restore_playlist(self, name: str, created_at: float, entries: Sequence[tuple],
                         query: str | None = None) -> tuple[int, str]:
        """A deleted playlist made again whole (see :meth:`delete_playlist`): its name (with a
        number after it where another playlist took it since), its entries in order, those
        not in the library too; returns its id and name."""
        with self.transaction() as conn:
            name = self._free_name(conn, name)
            cur = conn.execute("INSERT INTO playlists (name, created_at, updated_at, query) VALUES (?, ?, ?, ?)",
                               (name, created_at, time.time(), query))
            # (a song's track may have gone since, as for the undo of a removal)
            conn.executemany(_INSERT_ENTRY, [(cur.lastrowid, i, None if t is None else self._live_id(conn, t),
                                              sql_text(p), title, at) for i, (t, p, title, at) in enumerate(entries)])
            return cur.lastrowid, name

    def link_playlist_paths(self) -> int:
        """Entries whose file is now a library track name it again (after a scan), matched
        as an import matches them (a stretch of a file as the sheet's track that starts there,
        a CUE sheet as its tracks); how many."""
        with self.transaction() as conn:
            linked = self._link_sheet_entries(conn)
            linked += conn.execute(
                "UPDATE playlist_entries SET track_id = "
                "(SELECT t.id FROM tracks t WHERE t.path = playlist_entries.path) "
                "WHERE track_id IS NULL AND EXISTS (SELECT 1 FROM tracks t WHERE t.path = playlist_entries.path)"
            ).rowcount
            rest = conn.execute("SELECT playlist_id, position, path, title FROM playlist_entries "
                                "WHERE track_id IS NULL").fetchall()
            if rest:
                matcher = _Matcher(conn)
                found = []
                for playlist_id, position, path, title in rest:
                    m = matcher.match(path, exact=False, title=title)    # (the update above took the exact ones)
                    if m.track_id is not None:
                        found.append((m.track_id, sql_text(m.track_path), playlist_id, position))
                conn.executemany("UPDATE playlist_entries SET track_id = ?, path = CAST(? AS TEXT) "
                                 "WHERE playlist_id = ? AND position = ?", found)
                linked += len(found)
            return linked

    def _link_sheet_entries(self, conn) -> int:
        """Link the entries that name a CUE sheet's track by its file and start, or a CUE sheet,
        where the library now has the sheet's tracks (a playlist imported before the album was
        scanned: the file's path names no track, and they stayed out for good); how many. A
        sheet's entry becomes its tracks, in its place."""
        matcher, linked = _Matcher(conn), 0
        found = []
        for playlist_id, position, path, start in conn.execute(
                "SELECT playlist_id, position, path, start_s FROM playlist_entries "
                "WHERE track_id IS NULL AND start_s IS NOT NULL").fetchall():
            track = self._sheet_track_named(matcher, path, start)
            row = track and conn.execute("SELECT id FROM tracks WHERE path = CAST(? AS TEXT)",
                                         (sql_text(track),)).fetchone()
            if row:
                found.append((row[0], sql_text(track), playlist_id, position))
        conn.executemany("UPDATE playlist_entries SET track_id = ?, path = CAST(? AS TEXT), start_s = NULL "
                         "WHERE playlist_id = ? AND position = ?", found)
        linked += len(found)
        sheets = conn.execute("SELECT DISTINCT playlist_id FROM playlist_entries "
                              "WHERE track_id IS NULL AND path LIKE '%.cue'").fetchall()
        # The sheets the library has, read once: looking each entry's sheet up read the whole
        # library (no index), at every scan while the sheet is not there.
        known = {r[0] for r in conn.execute("SELECT DISTINCT cue_sheet FROM tracks WHERE cue_sheet IS NOT NULL")
                 } if sheets else set()
        for (playlist_id,) in sheets:
            rows = conn.execute("SELECT track_id, path, title, start_s FROM playlist_entries WHERE playlist_id = ? "
                                "ORDER BY position", (playlist_id,)).fetchall()
            out, came = [], 0
            for row in rows:
                tracks = self._sheet_tracks(row[1]) if row[0] is None and row[1] in known else []
                out += [(t[0], t[1], None, None) for t in tracks] or [tuple(row)]
                came += len(tracks)
            linked += came
            if came:
                conn.execute("DELETE FROM playlist_entries WHERE playlist_id = ?", (playlist_id,))
                conn.executemany(_INSERT_ENTRY, [(playlist_id, i, t, sql_text(p), title, at)
                                                 for i, (t, p, title, at) in enumerate(out)])
        return linked
