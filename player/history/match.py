"""Which library track a row of another service's history names.

Names are compared from strict to loose, and the first level that finds the song
wins, so a loose level never overrides an exact match:

0. artist and title as :func:`segue_common.normalize.match_key` normalises them
   (case, accents, punctuation, "(Remastered 2009)", "feat." at the end);
1. the first credited artist without "the", and the title without version words in
   any form ("- Remastered 2009", "- From "Film"") or the artist's name in front;
2. the same artist and the bare title (no brackets or " - " tail that only say where
   the song comes from; those naming another recording, "Remix", "Live", stay);
3. for a file without an artist anywhere, the bare title alone.

Levels 1-2 also look under the artist spelled with other marks inside the name ("Run DMC"
for "Run-D.M.C.", "ACDC" for "AC/DC"), among that artist's tracks only.

At every level only a track of the same recording counts: "Song (Live)" is never a
play of "Song", nor "Song" of "Song - Remix", whatever the looser forms join.

A file without tags takes part with the names its path gives ("Artist/Album/03
Title.mp3", "Artist - Title.mp3").

When several tracks share the name, the one spelled as the row spells it wins (punctuation
kept: "In the Flesh?" is not "In the Flesh"), then the one on the row's album, then the one
whose length is nearest the row's. Levels 1-2 are built per artist on first use, so
a large library costs little more than its stored match keys. Qt-free and
store-free: it works on plain rows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

from segue_common.normalize import (bare_title, loose_title, match_key, normalize_name, primary_artist, spelled_title,
                                    stands_in)

_STEM_ARTIST_TITLE = " - "
# What, in a bracket or a dash tail, makes a title name another recording of the song than
# the one without it: a play of the studio "Song" is not one of "Song (Live)" or "Song -
# Remix" (a remaster, an edit, a mono or an album version is the same performance).
_OTHER_TAKE = re.compile(r"\b(live|remix|karaoke|instrumental|acoustic|unplugged|demo|cover|a ?cappella|"
                         r"acapella|slowed|sped up|rework|bootleg|duet|female|male|lo[- ]?fi|reimagined|"
                         r"recreated)\b", re.I)
# "<words> Version", "<words> Mix", "<words> ver.": another singer or arrangement ("Qawwali
# Version", "Female Version", "Trap Mix", "Japanese ver."), unless its words only say which cut
# or master of the song it is ("Single Version", "2011 Remastered Version", "Original Mix").
_VERSION_WORDS = frozenset({"version", "mix", "ver"})
_SAME_CUT = frozenset({"album", "single", "radio", "original", "extended", "remaster", "remastered", "mono",
                       "stereo", "explicit", "clean", "dirty", "censored", "uncensored", "edit", "edited",
                       "short", "long", "full", "lp", "main", "studio", "digital", "bonus", "track", "deluxe",
                       "standard", "inch", "length", "complete", "uncut", "unedited", "cd", "vinyl", "the", "a"})
_BRACKETED = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")
#: How Chinese, Japanese and Korean credits join artists ("米津玄師、菅田将暉", "A × B"), which
#: :func:`primary_artist` does not part: it runs the names into one with a space between, and
#: a row of such a credit met no track of its first artist, as "A, B" or "A feat. B" does.
#: Only the matching parts them: the stored keys stay :func:`primary_artist`'s.
_EAST_ASIAN_CREDIT = re.compile(r"\s*[\u3001\uff64]\s*|\s+[\u00d7\u2715]\s+")
_VERSION_PARTS = re.compile(r"[\(\[][^\)\]]*[\)\]]|\s[-\u2013\u2014]\s.*$")
#: Takes a live album's files often do not name: on the row's own album these words may be
#: on one side only ("Detroit Rock City - Live" on "Alive II" is its file "Detroit Rock City").
_LIVE_TAKES = frozenset({"live", "unplugged"})
# Spotify names a session's song "Song | Show" where a file says "Song" or "Song - Show".
_BAR = re.compile(r"\s+\|\s+")
_TAIL = re.compile(r"\s[-\u2013\u2014]\s(.*)$")


def _barless(title: str) -> str:
    """A title with the tail after a bar written as a dash tail, which the looser forms know.

    >>> _barless("Arz Kiya Hai | Coke Studio Bharat")
    'Arz Kiya Hai - Coke Studio Bharat'
    """
    return _BAR.sub(" - ", title) if "|" in title else title


def _tail(title: str) -> str:
    """What follows a title's first dash, normalised; "" without one.

    >>> _tail("Coke Studio - Season 14 - Pasoori"), _tail("Pasoori")
    ('season 14 pasoori', '')
    """
    found = _TAIL.search(title)
    return normalize_name(found.group(1)) if found else ""


def _artist_names(artist: str, a1: str) -> set[str]:
    """An artist's names without their spaces, whole and first credited: "Run-D.M.C." and
    "Run DMC", "AC/DC" and "ACDC" are one artist spelled with and without the marks inside
    the name (which normalising makes spaces).

    >>> sorted(_artist_names("AC/DC", primary_artist("AC/DC")))
    ['ac', 'acdc']
    """
    return {n.replace(" ", "") for n in (normalize_name(artist), a1) if n}


def other_takes(title: str | None) -> frozenset[str]:
    """The words of a title's brackets and dash tail that name another recording.

    >>> sorted(other_takes("Hardcore (Live)")), sorted(other_takes("Live Forever")), other_takes("Song - Remastered")
    (['live'], [], frozenset())
    """
    parts = _VERSION_PARTS.findall(title or "")
    words = {w.lower().replace(" ", "").replace("-", "").replace("acapella", "acappella")
             for w in _OTHER_TAKE.findall(" ".join(parts))}
    if "unplugged" in words:
        words.add("live")           # "(MTV Unplugged)" is "- Live From MTV Unplugged"
    return frozenset(words | _named_versions(parts))


def _named_versions(parts: list[str]) -> set[str]:
    """The arrangements that brackets and a dash tail name as a version or a mix, each as
    "<words> version"; none for a cut or a master of the song, nor where the words already
    name a take :func:`other_takes` knows ("Live Version" is "Live").

    >>> sorted(_named_versions([" - Qawwali Version", "(Trap Mix)", "(Single Version)"]))
    ['qawwali version', 'trap version']
    """
    out = set()
    for part in parts:
        # A dash tail's brackets are parts of their own: "- Film Version (From "Film")".
        for piece in (*_BRACKETED.findall(part), _BRACKETED.sub(" ", part)):
            words = normalize_name(piece).split()
            at = next((i for i, w in enumerate(words) if w in _VERSION_WORDS), None)
            if at is None or _OTHER_TAKE.search(" ".join(words[:at])):
                continue
            kind = [w for w in words[:at] if w not in _SAME_CUT and not w.isdigit()]
            if kind:
                out.add(" ".join(kind) + " version")
    return out
_NUMBER = re.compile(r"^\s*\d{1,3}\s*[-._)]?\s+")


def path_names(path: str) -> list[tuple[str | None, str]]:
    """``(artist, title)`` guesses from a file's path: "Artist - Title" in the name, or the
    folder two levels up as the artist ("Artist/Album/03 Title.flac")."""
    # "_" in a file name mostly stands for a character file systems refuse ("10:66" -> "10_66").
    stem = os.path.splitext(os.path.basename(path))[0].replace("_", " ")
    folder = os.path.dirname(path)
    artist_folder = os.path.basename(os.path.dirname(folder)).replace("_", " ")
    out: list[tuple[str | None, str]] = []
    if _STEM_ARTIST_TITLE in stem:
        head, _, tail = stem.partition(_STEM_ARTIST_TITLE)
        out.append((_NUMBER.sub("", head) or head, tail))     # "03 Artist - Title": the number goes
    out.append((artist_folder or None, stem))
    return out


@dataclass(frozen=True)
class Candidate:
    track_id: int
    album: str          # normalised
    duration_s: float | None
    missing: bool
    title: str = ""     # as tagged (or read from the path)
    artist: str = ""
    album_tag: str = ""     # as tagged


def _get(row: Mapping, key: str):
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


class TrackMatcher:
    """An index of library tracks by name; :meth:`match` finds a row's track.

    Parameters
    ----------
    tracks : rows with ``id``, ``title``, ``artist``, ``albumartist``, ``album``,
        ``duration`` (seconds), ``path`` and optionally ``match_key`` (as the scanner
        stored it) and ``missing``
    """

    def __init__(self, tracks: Iterable[Mapping]):
        self._exact: dict[str, list[Candidate]] = {}
        self._by_artist: dict[str, list[tuple[Candidate, str, str]]] = {}
        self._artist_levels: dict[str, tuple[dict, dict]] = {}
        self._titles: dict[str, list[Candidate]] = {}     # untagged, no artist anywhere: by bare title
        self._spellings: dict[str, set[str]] = {}        # artist without spaces -> first artists
        self._barred: set[int] = set()                     # tracks whose title has a " | " tail
        self.size = 0
        for t in tracks:
            self.add(t)

    def add(self, t: Mapping) -> None:
        artist, title = _get(t, "artist") or _get(t, "albumartist"), _get(t, "title")
        if title and _barless(title) != title:
            title = _barless(title)
            self._barred.add(int(t["id"]))
        cand = Candidate(int(t["id"]), normalize_name(_get(t, "album")), _get(t, "duration"),
                         bool(_get(t, "missing") or 0), title or "", artist or "", _get(t, "album") or "")
        if title and _get(t, "cue_sheet") and stands_in(title, _get(t, "cue_sheet"), _get(t, "match_key")):
            # A sheet's track it names no title of, listed by its number ("Track 03"): no row
            # names it, and another album's untitled third track is no play of it.
            self.size += 1
            return
        if artist and title:
            self._add_names(cand, artist, title, _get(t, "match_key"))
        else:
            # No tags to go by: the names the file's path gives ("03 " numbers dropped).
            for p_artist, p_title in path_names(_get(t, "path") or ""):
                name, named = artist or p_artist, title or (_NUMBER.sub("", p_title) or p_title)
                if name:
                    self._add_names(replace(cand, title=named, artist=name), name, named, None)
                else:
                    self._put(self._titles, bare_title(named), cand)
        self.size += 1

    def _add_names(self, cand: Candidate, artist: str, title: str, key: str | None) -> None:
        key = key or match_key(artist, title)
        if key:
            self._put(self._exact, key, cand)
        a1 = primary_artist(artist)
        if a1:
            self._by_artist.setdefault(a1, []).append((cand, title, artist))
            self._artist_levels.pop(a1, None)
            for name in _artist_names(artist, a1):
                self._spellings.setdefault(name, set()).add(a1)

    @staticmethod
    def _put(index: dict, key: str, cand: Candidate) -> None:
        found = index.setdefault(key, [])
        if cand not in found:
            found.append(cand)

    def let_go(self) -> None:
        """Empty the index a piece at a time (see :func:`player.memory.let_go`); it matches
        nothing afterwards."""
        from player.memory import let_go

        let_go(*(v for levels in self._artist_levels.values() for v in levels), self._artist_levels,
               self._exact, self._by_artist, self._titles, self._spellings, self._barred)

    def _levels(self, a1: str) -> tuple[dict, dict]:
        """``(loose title -> tracks, bare title -> tracks)`` of one artist, built on first use."""
        got = self._artist_levels.get(a1)
        if got is None:
            loose: dict[str, list[Candidate]] = {}
            bare: dict[str, list[Candidate]] = {}
            for cand, title, artist in self._by_artist.get(a1, ()):
                self._put(loose, loose_title(title, artist), cand)
                self._put(bare, bare_title(title, artist), cand)
            got = self._artist_levels[a1] = (loose, bare)
        return got

    def match(self, artist: str, title: str, *, album: str | None = None,
              duration_ms: int | None = None) -> int | None:
        """The track id the row names, or None."""
        if not artist or not title:
            return None
        barred = _barless(title) != title
        title = _barless(title)
        takes = other_takes(title)
        tail = _tail(title)
        on_album = normalize_name(album) if album else ""
        # (a remix single's files often say only its song: "Kin" on "Kin (Anthony Naples Remix)")
        album_takes = other_takes(album)
        single = normalize_name(_VERSION_PARTS.sub("", title))     # the album name of the song's single

        def same_take(cands) -> list[Candidate]:
            # Only the same recording: a play of the studio song is none of its live take,
            # which every level (and the priors' keys) joins to it. On the row's own album
            # it is that album's live take, whatever the titles say (a live album's files
            # often do not say "Live"); a single's remix is another recording even there.
            return [c for c in cands or () if (other_takes(c.title) == takes
                    or (on_album and c.album == on_album and other_takes(c.title) ^ takes <= on_own_album(c)))
                    and tails_agree(c)]

        def on_own_album(c: Candidate) -> frozenset[str]:
            # A take the album names holds only where the file's own album names it too:
            # "Kin (Anthony Naples Remix)" and "Kin", "Song (Live)" and "Song" are one album
            # once version words go. A live take holds as before, unless the album is the
            # song's own single: "Stop Making Sense (Live)" is a live album whose files say
            # "Stop Making Sense", "Hardcore (Live)" is not the studio single "Hardcore".
            own = album_takes & other_takes(c.album_tag)
            return ((_LIVE_TAKES - album_takes) if on_album == single else _LIVE_TAKES) | own

        def tails_agree(c: Candidate) -> bool:
            # A bar's tail says where the song comes from only when the other title names no
            # other: "Coke Studio | Pasoori" and "Coke Studio | Rung" are two songs of one show.
            if not (barred or c.track_id in self._barred) or not tail:
                return True
            other = _tail(c.title)
            return not other or other == tail

        found = same_take(self._exact.get(match_key(artist, title) or ""))
        a1 = primary_artist(artist)
        if a1 not in self._by_artist:
            a1 = primary_artist(_EAST_ASIAN_CREDIT.split(artist, 1)[0]) or a1
        b = bare_title(title, artist)
        if not found and a1:
            found = self._by_title(a1, title, artist, b, same_take)
        if not found and a1:
            # The artist spelled with other marks inside the name: only that artist's tracks.
            names = _artist_names(artist, a1)
            for other in sorted(set().union(*(self._spellings.get(n, ()) for n in names)) - {a1}):
                found = [c for c in self._by_title(other, title, artist, b, same_take)
                         if names & _artist_names(c.artist, primary_artist(c.artist))]
                if found:
                    break
        if not found and a1:
            found = same_take(self._titles.get(b))
        return self._best(found, title, artist, album, duration_ms) if found else None

    def _by_title(self, a1: str, title: str, artist: str, bare: str, same_take) -> list[Candidate]:
        """The tracks of first artist ``a1`` that the loose, then the bare title finds."""
        if a1 not in self._by_artist:
            return []
        loose, bares = self._levels(a1)
        return same_take(loose.get(loose_title(title, artist))) or same_take(bares.get(bare))

    @staticmethod
    def _best(found: list[Candidate], title: str, artist: str, album: str | None, duration_ms: int | None) -> int:
        if len(found) == 1:
            return found[0].track_id
        want_album = normalize_name(album) if album else ""
        want_bare = bare_title(title, artist)
        want_spelled = spelled_title(title)

        def rank(c: Candidate):
            # The title spelled as the row spells it first: every level ignores punctuation, and
            # "In the Flesh?" and "In the Flesh" are two songs of one album, whose lengths a row
            # of Spotify's does not say. Then the same recording ("Song" is not "Song - Remix",
            # though loose levels join them), then the row's album, then the nearest length.
            respelled = not c.title or spelled_title(c.title) != want_spelled
            other = bool(c.title) and bare_title(c.title, c.artist or None) != want_bare
            off = abs(c.duration_s * 1000 - duration_ms) if duration_ms and c.duration_s else float("inf")
            return (respelled, c.missing, other, not (want_album and c.album == want_album), off, c.track_id)

        return min(found, key=rank).track_id
