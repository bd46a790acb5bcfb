"""Which library track a row of another service's history names.

Names are compared from strict to loose, and the first level that finds the song
wins, so a loose level never overrides an exact match:

0. artist and title as :func:`segue_common.normalize.match_key` normalises them
   (case, accents, punctuation, "(Remastered 2009)", "feat." at the end);
1. the first credited artist without "the", and the title without version words in
   any form ("- Remastered 2009", "- From "Film"") or the artist's name in front;
2. the same artist and the bare title (nothing in brackets, nothing after " - ");
3. names read from the file's path, for files without tags ("Artist/Album/03 Title.mp3",
   "Artist - Title.mp3"), at the bare level.

When several tracks share the name, the one on the row's album wins, then the one
whose length is nearest the row's. Qt-free and store-free: it works on plain rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from segue_common.normalize import bare_title, loose_title, match_key, normalize_name, primary_artist

LEVELS = 4
_STEM_ARTIST_TITLE = " - "
_NUMBER = re.compile(r"^\s*\d{1,3}\s*[-._)]?\s+")


def row_keys(artist: str | None, title: str | None) -> list[str | None]:
    """Keys of a row's names at levels 0-2 (None where a part is unknown)."""
    a1 = primary_artist(artist)
    exact = match_key(artist, title)
    loose = f"{a1}\x1f{loose_title(title, artist)}" if a1 and title else None
    bare = f"{a1}\x1f{bare_title(title, artist)}" if a1 and title else None
    return [exact, loose, bare]


def path_names(path: str) -> list[tuple[str | None, str]]:
    """``(artist, title)`` guesses from a file's path: "Artist - Title" in the name, or the
    folder two levels up as the artist ("Artist/Album/03 Title.flac")."""
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.dirname(path)
    album_folder = os.path.basename(folder)
    artist_folder = os.path.basename(os.path.dirname(folder))
    out: list[tuple[str | None, str]] = []
    if _STEM_ARTIST_TITLE in stem:
        head, _, tail = stem.partition(_STEM_ARTIST_TITLE)
        out.append((_NUMBER.sub("", head) or head, tail))     # "03 Artist - Title": the number goes
    out.append((artist_folder or album_folder or None, stem))
    return out


@dataclass(frozen=True)
class Candidate:
    track_id: int
    album: str          # normalised
    duration_s: float | None
    missing: bool


class TrackMatcher:
    """An index of library tracks by name at each level; :meth:`match` finds a row's track.

    Parameters
    ----------
    tracks : rows with ``id``, ``title``, ``artist``, ``albumartist``, ``album``,
        ``duration`` (seconds), ``path`` and optionally ``missing``
    """

    def __init__(self, tracks: Iterable[Mapping]):
        self._index: list[dict[str, list[Candidate]]] = [{} for _ in range(LEVELS)]
        self.size = 0
        for t in tracks:
            self.add(t)

    def add(self, t: Mapping) -> None:
        keys = dict(t) if not isinstance(t, dict) else t
        cand = Candidate(int(keys["id"]), normalize_name(keys.get("album")), keys.get("duration"),
                         bool(keys.get("missing") or 0))
        artist, title = keys.get("artist") or keys.get("albumartist"), keys.get("title")
        seen: set[str] = set()
        for level, key in enumerate(row_keys(artist, title) if title else []):
            self._put(level, key, cand, seen)
        path = keys.get("path") or ""
        if path:
            for p_artist, p_title in path_names(path):
                self._put(3, row_keys(p_artist, p_title)[2], cand, seen)
                if not artist and not title and not p_artist:
                    # Untagged and no artist in the path either: the title alone, at the loosest level.
                    self._put(3, f"\x1f{bare_title(p_title)}", cand, seen)
        self.size += 1

    def _put(self, level: int, key: str | None, cand: Candidate, seen: set[str]) -> None:
        if not key or (level, key) in seen:
            return
        seen.add((level, key))
        self._index[level].setdefault(key, []).append(cand)

    def match(self, artist: str, title: str, *, album: str | None = None,
              duration_ms: int | None = None) -> int | None:
        """The track id the row names, or None."""
        keys = row_keys(artist, title)
        for level in range(LEVELS):
            key = keys[min(level, 2)]
            found = self._index[level].get(key) if key else None
            if found is None and level == 3:
                found = self._index[3].get(f"\x1f{bare_title(title, artist)}")
            if found:
                return self._best(found, album, duration_ms)
        return None

    @staticmethod
    def _best(found: list[Candidate], album: str | None, duration_ms: int | None) -> int:
        if len(found) == 1:
            return found[0].track_id
        want_album = normalize_name(album) if album else ""

        def rank(c: Candidate):
            off = abs(c.duration_s * 1000 - duration_ms) if duration_ms and c.duration_s else float("inf")
            return (c.missing, not (want_album and c.album == want_album), off, c.track_id)

        return min(found, key=rank).track_id
