"""The recommendation surfaces the UI shows, and a plain implementation.

:class:`RecommendationProvider` is what Up next, Radio and Discover call (always on a
worker thread, through :func:`player.workers.run_task`). The recommender package
implements it for real; :class:`LibraryRecommendations` is the honest fallback that
works from what the library already knows (library order, genre tags, artists, albums,
years, lengths), so the panels never show made-up data and work before any model exists.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import os
import re
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Collection, Iterable, Iterator, NamedTuple, Protocol, Sequence, runtime_checkable

import numpy as np

from player.library.albums import (compilation_flagged_in_part, guest_first_artist, library_key, library_order,
                                   order_artist)
from player.library.names import NAME_COLUMNS, Namer, path_disc, path_numbers, release_folder, title_disc
from recommender.explain import MORE_CAPTION, isolate, plays_caption, stars_said
from recommender.genres import (
    DISCOVER_RECENT_S, DISCOVER_SKIPPED_REST_S, MIN_ROW, MORE_TO_DISCOVER, UNTAGGED, arrange_rows,
    file_genre_bucket, first_genre, genre_in_sentence, is_spoken, pooled_heading,
)
from recommender.stars import one_star_unwanted
from recommender.whole_works import whole_works
from segue_common.listening import (
    EARLY_SKIP_MS, FUTURE_SLACK_S, LONG_FACTOR, LONG_FLOOR_S, SHORT_FRACTION, counts_as_play, early_skip_limit_ms,
)
from segue_common.normalize import (FirstCopies, credited_artists, first_of_artists, known_copy_order, primary_artist,
                                    recording_key, same_length, stands_in)
from segue_common.text import in_path_order
from segue_common.works import may_name_a_work, work_of_track


def _length_limits(median: float | None, seed_s: float | None = None) -> tuple[float, float]:
    """``(short, long)``: tracks under the first are stingers, over the second mixes and
    chapters, by the recommender's rule from the median of the library's lengths (the
    person's typical length; None for a library of no lengths); a seed that is one of them
    lifts its own limit (a jingle radio, a mix radio)."""
    if median is None:
        return 0.0, float("inf")
    short, long_ = SHORT_FRACTION * median, max(LONG_FACTOR * median, LONG_FLOOR_S)
    if seed_s and seed_s < short:
        short = 0.0
    if seed_s and seed_s > long_:
        long_ = float("inf")
    return short, long_


@dataclass(frozen=True)
class Rec:
    """One recommended track and why it was chosen."""

    track_id: int
    reason: str = ""
    score: float = 0.0


@runtime_checkable
class RecommendationProvider(Protocol):
    """What the window asks for. ``exclude`` is never recommended; given as a list in
    play order (the queue ahead, or a station's played-then-queued tracks) it also lets
    the recommender space artists after the queue's last track. ``passed``: suggestions
    the person took out of the queue in this session, not recommended either (in no order).
    ``ends_kept``: the session's latest plays whose ends the library has not taken yet, as
    ``(track id, -1 an early skip / 1 heard / 0 neither, the play kept)`` (see ``Player.ends_kept``)."""

    def up_next(self, session_track_ids: list[int], k: int, *,
                exclude: Collection[int] = frozenset(), passed: Collection[int] = frozenset(),
                ends_kept: Sequence[tuple] = ()) -> list[Rec]: ...

    def radio(self, seed_track_id: int, k: int, *, exclude: Collection[int] = frozenset(),
              skipped: list[int] = (), streak: int = 0, passed: Collection[int] = frozenset()) -> list[Rec]: ...

    def discover(self, k_per_bucket: int, *, today: date | None = None) -> dict[str, list[Rec]]: ...

    def explain(self, track_id: int, context: str = "") -> str: ...


def album_by(r) -> str:
    """Whose album a track is on as the library groups it: its album artist, else "Various
    Artists" where it is a compilation (flagged, or found one by its folder: a soundtrack),
    else its first credited artist ("Queen & David Bowie" on Queen's album is on that album,
    as the library's rule for compilations reads it)."""
    various = r["compilation"] == 1 or r["folder_compilation"] == 1
    return r["albumartist"] or ("Various Artists" if various else primary_artist(r["artist"])) or ""


def library_album(by: str, album: str | None, place: str) -> str | None:
    """The album a track is on as the library groups it (see ``player.library.albums``):
    its title by ``by`` (:func:`album_by`), told apart by release (``place``: its release
    id, else its folder), with case ignored as the library ignores it. An untagged track's
    album is its folder's, as the window names it. None: no album."""
    return f"{by.casefold()}\x1e{place}\x1f{album.casefold()}" if album else None


class AlbumIds:
    """What identifies each track's album, for both providers of suggestions alike: by its
    album artist, title and release (:func:`library_album`). Two artists' "Greatest Hits"
    are two albums, and neither is a compilation for having several artists between them.

    Tracks are added one at a time (the catalogue reads the library in chunks);
    :meth:`finish` then puts a track without the release id that the other tracks of its
    title in its folder carry on their release."""

    def __init__(self):
        self.ids: list[str | None] = []
        self._releases: dict[tuple[str, str], str] = {}     # (album, folder): its release id, "" for several
        self._taken: dict[tuple[str, str], set] = {}         # (album, folder): the (disc, track) of its release's
        self._unreleased: list[tuple] = []                   # the tracks of an album without a release id
        self._folders: dict[str, str] = {}                   # a track's folder: the release's folder
        self._by_artist: dict[tuple[str, str], list] = {}    # (album, folder): its tracks named by their artist

    @staticmethod
    def numbers(r, title_says=None) -> tuple:
        """``(track, disc)`` of ``r``: numbers the tags lack come from the path ("01
        Overworld.mp3" in "CD2"), as names do; a disc from the file name only as the library
        reads it ("7-11" is a title, not disc 7)."""
        track, disc = r["track_no"], r["disc_no"] or title_says
        if not (track and disc):
            disc = disc or path_disc(r["path"], track)
            track = track or path_numbers(r["path"])[0]
        return track, disc

    def folder(self, path: str) -> str:
        """:func:`release_folder` of ``path``, read once for each folder (an album's tracks
        share one; read for every track, it was most of the time albums took)."""
        where = path.rpartition(os.sep)[0]
        folder = self._folders.get(where)
        if folder is None:
            folder = self._folders[where] = release_folder(path)
        return folder

    def add(self, r, album: str | None, track, disc) -> str | None:
        """Add the track of row ``r`` whose album title (as the window names it, a disc's
        title its album's) is ``album``; its album as known so far."""
        folder = self.folder(r["path"])
        place = r["mb_album_id"] or folder
        by = album_by(r)
        album_id = library_album(by, album, place)
        self.ids.append(album_id)
        if r["album"]:
            key, slot = (album, folder), (disc or 1, track) if track else None
            if not r["albumartist"] and album_id is not None and not (
                    r["compilation"] == 1 or r["folder_compilation"] == 1):
                self._by_artist.setdefault(key, []).append((len(self.ids) - 1, r["artist"], place,
                                                           r["albumartistsort"]))
            if r["mb_album_id"]:
                known = self._releases.get(key, r["mb_album_id"])
                self._releases[key] = r["mb_album_id"] if known == r["mb_album_id"] else ""
                self._taken.setdefault(key, set()).add(slot)
            else:
                self._unreleased.append((len(self.ids) - 1, key, by, album, slot))
        return album_id

    def finish(self) -> list[str | None]:
        """Each track's album, in the order added. (Unlike the library, tracks that take a
        place the release's own take are another release: an album without the id beside
        one with it, in one folder, each numbered from 1; and a folder with two release ids
        of the title tells nothing.)"""
        # An artist's album without an album artist whose guest is sometimes named first
        # ("Everlast & Santana" on Santana's album) is that artist's, as the library lists it.
        renamed: dict[int, str] = {}
        for (album, _), tracks in self._by_artist.items():
            by = guest_first_artist([artist for _, artist, _, _ in tracks], [sort for *_, sort in tracks])
            if by is not None:
                for i, _, place, _ in tracks:
                    renamed[i] = by
                    self.ids[i] = library_album(by, album, place)
        clashing = {key for _, key, _, _, slot in self._unreleased
                    if slot is not None and slot in self._taken.get(key, ())}
        for i, key, by, album, _ in self._unreleased:
            if self._releases.get(key) and key not in clashing:
                self.ids[i] = library_album(renamed.get(i, by), album, self._releases[key])
        self._releases, self._taken, self._unreleased, self._folders, self._by_artist = {}, {}, [], {}, {}
        return self.ids


def album_ids(rows, namer) -> dict[int, str | None]:
    """Track id -> its album (:class:`AlbumIds`) for the store's ``rows``."""
    ids = AlbumIds()
    for r in rows:
        names = namer(r)
        album, title_says = title_disc(names.album) if names.album else (None, None)
        ids.add(r, album, *AlbumIds.numbers(r, title_says))
    return dict(zip((r["id"] for r in rows), ids.finish()))


def _ahead(order: list[int], info: dict, rows: dict, last: int | None, skip: set[int], heard: list[int]):
    """The tracks after ``last`` in library ``order`` (wrapping; from the first without it),
    lazily: those in ``skip`` left out, and a second copy of one recording, or a copy of one
    in ``heard``."""
    start = order.index(last) + 1 if last in info else 0
    ahead = (t for t in order[start:] + order[:start] if t not in skip)
    return _firsts_of_recordings(ahead, rows, heard)


def _songs_first(ahead: Iterable[int], lib: _Library, last: int | None) -> Iterator[int]:
    """``ahead`` with hour-long mixes and chapters or episodes tagged as speech held back to
    the end, as the learning recommender holds them back between songs: the album after the
    one played in library order may be a two-hour mix, no song to go on with. An album plays
    whole, its own long closing track part of it: the one ``last`` is on, and as much the one
    the list goes on into (a refill asked on its last song put its closer after the next
    album's first songs). A session on a mix or on speech goes on with more of it."""
    info, rows = lib.info, lib.rows
    _, long_ = _length_limits(lib.median, rows[last].duration if last in rows else None)
    talk = last in info and is_spoken(info[last][2])
    held: list[int] = []
    before = last if last in info else None         # (the track before; albums asked only of a long one)
    for t in ahead:
        d = rows[t].duration
        if (d and d > long_) or (not talk and is_spoken(info[t][2])):
            on = lib.albums.get(before) if before is not None else None
            if on is None or lib.albums.get(t) != on:
                held.append(t)
                continue
        before = t
        yield t
    yield from held


def _in_order(track_ids, info: dict, last: int | None) -> list[Rec]:
    """``track_ids`` as the tracks that follow ``last`` in the library."""
    after = info[last][0] if last in info else ""
    reason = f"next in your library after {after}" if after else "next in your library"
    return [Rec(tid, reason, score=1.0 / (1 + i)) for i, tid in enumerate(track_ids)]


@functools.lru_cache(maxsize=4096)
def genre_bucket(genre: str | None) -> str:
    """The bucket a genre tag falls in, by its first value: one of the recommender's genre
    buckets when it names one ("Heavy Metal" and "metal" are "metal", "Rap" and "Hip Hop"
    "hip-hop"), the same names audio analysis gives, so a station or a Discover row does
    not split one genre by its spellings, nor change its rows once analysis is done;
    otherwise the value itself, case-folded to one spelling ("Reggae"). Kept per tag, as
    :func:`first_genre` is: every Up next, Radio and Discover asks it of every track."""
    first = first_genre(genre)
    if not first:
        return UNTAGGED
    return file_genre_bucket(first) or _WORD.sub(_word_title, first)


#: The audiobook container: a file of it is a book (Apple's players file it under Audiobooks
#: by that alone), whatever its genre tag says; rippers write the book's own genre there
#: ("Fantasy", "Rock" for a rock memoir), and it was queued between songs as one of them.
BOOK_SUFFIXES = (".m4b",)
AUDIOBOOK = "Audiobook"


def track_bucket(genre: str | None, path: str | None) -> str:
    """The bucket of a track: its genre tag's (:func:`genre_bucket`), or :data:`AUDIOBOOK`
    for a file in the audiobook container whose tag names no kind of speech."""
    bucket = genre_bucket(genre)
    if path and path.casefold().endswith(BOOK_SUFFIXES) and not is_spoken(bucket):
        return AUDIOBOOK
    return bucket


def is_book(bucket: str) -> bool:
    """Whether a track of ``bucket`` (:func:`track_bucket`) is a part of a book or a play read
    aloud, heard in order: not a podcast's episode, each of which stands on its own."""
    return bucket == AUDIOBOOK or (is_spoken(bucket) and not bucket.casefold().startswith("podcast"))


# What :func:`book_chapters` reads of the tracks that may share a book's album (AlbumIds).
_CHAPTER_COLUMNS = (*NAME_COLUMNS, "genre", "mb_album_id", "compilation", "folder_compilation", "albumartistsort",
                    "track_no", "disc_no")


def book_goes_on(store, session_track_ids: Sequence[int], *, skip: Collection[int] = frozenset(),
                 never: Collection[int] = frozenset()) -> list[int]:
    """Where the session's latest track is a chapter of a book (:func:`is_book`; its album,
    :class:`AlbumIds`), the book's chapters after it in the order they are read, to its end:
    what Apple Books, Audible and foobar2000 play next, never a song and never a chapter
    further on. Left out: those in ``skip`` or ``never`` and those heard this session, but for a chapter
    left part-way (``store.resume_position_ids``), which goes on with the rest, from where it
    was left. Empty where the latest track is no book's.

    Read from the tracks of the chapter's release folder (or release), not from a copy of the
    library: each provider asks it after a book's chapter, and a provider kept for it held
    tens of megabytes at 100,000 tracks for as long as the window ran."""
    last = next((t for t in reversed(session_track_ids) if t is not None), None)
    row = store.track(last) if last is not None else None
    if row is None or not is_book(track_bucket(row["genre"], row["path"])):
        return []
    rows = store.release_rows(release_folder(row["path"]), row["mb_album_id"], _CHAPTER_COLUMNS)
    namer = Namer.of(store)
    ids, numbers = AlbumIds(), []
    for r in rows:
        shown = namer(r).album
        album, title_says = title_disc(shown) if shown else (None, None)
        numbers.append(AlbumIds.numbers(r, title_says))
        ids.add(r, album, *numbers[-1])
    albums = ids.finish()
    at = next((i for i, r in enumerate(rows) if r["id"] == row["id"]), None)
    if at is None or albums[at] is None:
        return []
    # By disc and number (the tags', else the file name's, "07 - ..."); a chapter with none by
    # its file's name as people count ("Chapter 2" before "Chapter 10": the library's own
    # order compares the names letter by letter, and chapter 10 came after chapter 1).
    book = [i for i, a in enumerate(albums) if a == albums[at]]
    named = {book[j]: rank for rank, j in enumerate(in_path_order([rows[i]["path"] for i in book]))}
    book.sort(key=lambda i: ((numbers[i][1] or 1), numbers[i][0] is None, numbers[i][0] or 0, named[i]))
    going = store.resume_position_ids()
    skip = set(skip) | (set(session_track_ids) - going)
    ahead = (rows[i]["id"] for i in book[book.index(at) + 1:])
    return [t for t in ahead if t not in skip and t not in never]


# A word of a genre's name, not one after an apostrophe ("Drum 'n' Bass", "Children's Music"):
# str.title() wrote "Drum 'N' Bass" and "Children'S Music".
_WORD = re.compile(r"(?<![\w'’])[^\W\d_]+(?:['’][^\W\d_]+)*")


def _word_title(match: re.Match) -> str:
    """A word capitalised, but a short one written with capitals after its first letter kept
    as written: "MPB", "UK Drill" and "DnB" are the person's spelling, "Mpb" and "Uk Drill"
    no one's. A longer word in capitals is folded ("REGGAE" is "Reggae")."""
    w = match.group()
    if len(w) <= 4 and any(c.isupper() for c in w[1:]):
        return w
    return w[:1].upper() + w[1:].lower()


# What two spellings of one genre of no bucket have in common: "SKA", "Ska" and "ska", or
# "Zouk-Bass" and "zouk bass", are one genre.
_SPELLING = re.compile(r"[\s\-_'’]+")


def one_spelling(buckets: Sequence[str]) -> list[str]:
    """``buckets`` (each a :func:`genre_bucket`) with each genre in one spelling, the one most
    of them have (ties to the first in sorted order, the same each run). A genre of no bucket
    keeps a short word in capitals as the person writes it ("MPB", "SKA"), so one written
    "SKA" on some tracks and "ska" on others would be two rows of Discover, or two genres of
    the charts, side by side."""
    spelled = _spellings(Counter(buckets))
    return list(map(spelled.__getitem__, buckets))


def _spellings(counts: Counter[str]) -> dict[str, str]:
    """Each bucket of ``counts`` (how many tracks have it, none zero) -> its :func:`one_spelling`."""
    best: dict[str, str] = {}
    keys = {b: _SPELLING.sub("", b.casefold()) for b in counts}       # (once per genre, not per track)
    for b, n in counts.items():
        key = keys[b]
        kept = best.get(key)
        if kept is None or (-n, b) < (-counts[kept], kept):
            best[key] = b
    return {b: best[key] for b, key in keys.items()}


def _median(ordered: list[float]) -> float | None:
    """:func:`statistics.median` of an already sorted list (None for an empty one)."""
    n = len(ordered)
    if not n:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _feedback(play) -> int:
    """What a play says, by the learning recommender's rule (its PlayLog.feedback): +1 the
    person listened to it (finished, or skipped or stopped after the early-skip limit), -1
    an early skip (no liking), 0 neither."""
    ended = play["ended"]
    if ended == "finished":
        return 1
    if ended not in ("skipped", "stopped"):
        return 0
    limit = early_skip_limit_ms(play["track_ms"]) if play["track_ms"] else EARLY_SKIP_MS
    if play["ms_heard"] >= limit:
        return 1
    return -1 if ended == "skipped" else 0


def _tagged_artist(row) -> str | None:
    """The artist the learning recommender counts a song's plays for (the first credited,
    case-folded); None for a song of no artist tag."""
    first = first_of_artists(row["artist"] or row["albumartist"])
    return first.casefold() if first else None


def genre_title(bucket: str) -> str:
    """A bucket as a heading shows it ("metal" -> "Metal", "soul & rnb" -> "Soul & R&B");
    in a sentence the bucket itself reads right ("metal, like ...")."""
    if bucket == "soul & rnb":
        return "Soul & R&B"
    return bucket[:1].upper() + bucket[1:]


def _stand_in(r) -> bool | None:
    """What a row says of whether its title only stands in for one (see :class:`_Track`)."""
    return getattr(r, "stand_in", None)


def _firsts_of_recordings(ids: Iterable[int], rows: dict, taken: Iterable[int]) -> Iterator[int]:
    """``ids`` without second copies of one recording (same normalised artist and title,
    lengths within ``SAME_RECORDING_S``), nor of the recordings in ``taken``; lazily, so a
    caller wanting the first few reads no further."""
    seen: dict[str, list] = {}

    def twin(t) -> bool:
        r = rows.get(t)
        key = recording_key(r["artist"], r["title"], stand_in=_stand_in(r)) if r is not None else None
        if key is None:
            return False
        d = r["duration"]
        hit = any(same_length(d, o) for o in seen.get(key, ()))
        seen.setdefault(key, []).append(d)
        return hit

    for t in taken:
        twin(t)
    return (t for t in ids if not twin(t))


def _first_copies(ids: Iterable[int], rows: dict, keys: dict | None = None) -> dict[int, int]:
    """Each of ``ids`` -> the first of ``ids`` that is the same recording (itself when none is).
    ``keys``: track id -> its :func:`recording_key`, those known; it is given the others."""
    ids = list(ids)
    keys = {} if keys is None else keys
    _key_all(ids, rows, keys)
    # Most recordings have one copy: each of those is its own first, and only the others are
    # told apart by their lengths (asked of every track, that was most of Discover's time).
    met = Counter(keys.get(t) for t in ids if t in rows)
    met[None] = 0
    copies = FirstCopies()
    out = dict(zip(ids, ids))
    for t in ids:
        key = keys.get(t) if t in rows else None
        if met[key] > 1:
            out[t] = copies.first(key, rows[t]["duration"], t)
    return out


# Lossy formats: of two copies of one song on one album, the other is the rip and this its copy.
LOSSY_SUFFIXES = (".mp3", ".ogg", ".opus", ".aac", ".wma", ".mpc")


def _originals_first(ids: list[int], rows: dict, keys: dict) -> list[int]:
    """``ids`` (library order) with the copies of a song that is in several ordered as people
    know it (:func:`known_copy_order`: from its first release, not a best-of's remaster, on
    its album, not its single), lossless before a lossy copy; then in library order. Songs of
    one copy keep their place. ``keys`` as :func:`_first_copies` takes it (filled in here)."""
    _key_all(ids, rows, keys)
    met = Counter(keys[t] for t in ids)
    met[None] = 0
    many = [t for t in ids if met[keys[t]] > 1]
    if not many:
        return ids
    album = lambda r: (r.albumartist or r.artist, r.album)      # noqa: E731
    # (the sizes of those copies' albums alone: counting every album took 0.14 s at 100,000 tracks)
    titles = {rows[t].album for t in many}
    sizes = Counter(album(r) for r in rows.values() if r.album in titles)
    # (the first release of each recording: a live take of the song, another length, is another)
    copies = FirstCopies()
    one = {t: copies.first(keys[t], rows[t]["duration"], t) for t in many}
    year = {t: rows[t].year or math.inf for t in many}
    first: dict = {}
    for t in many:
        first[one[t]] = min(first.get(one[t], math.inf), year[t])
    rank = {t: (*known_copy_order(year[t], first[one[t]], sizes[album(r)] if r.album else 0, r.album, r.title),
                r.path.lower().endswith(LOSSY_SUFFIXES))
            for t in many for r in (rows[t],)}
    # (only the order of a song's copies among themselves says which is first: the songs
    # of one copy may go after them)
    return [*sorted(many, key=rank.__getitem__), *(t for t in ids if met[keys[t]] <= 1)]


def _key_all(ids: Iterable[int], rows: dict, keys: dict) -> None:
    """Fills in ``keys`` (track id -> its :func:`recording_key`) for those of ``ids`` in
    ``rows`` not keyed before."""
    for t in {t for t in ids if t in rows} - keys.keys():
        r = rows[t]
        keys[t] = recording_key(r["artist"], r["title"], stand_in=_stand_in(r))


def _one_per_recording(ids: list[int], rows: dict, taken: Iterable[int]) -> list[int]:
    """:func:`_firsts_of_recordings` as a list."""
    return list(_firsts_of_recordings(ids, rows, taken))


def _spread_artists(rows: Iterable[tuple[int, str]]) -> Iterator[int]:
    """Track ids interleaved round-robin by artist (keeps each artist's own order); lazily,
    each artist's first track as it is met, so a Discover row of a genre of thousands of
    songs reads only as far as its first few artists."""
    by_artist: dict[str, list[int]] = {}
    for track_id, artist in rows:
        queue = by_artist.get(artist)
        if queue is None:
            by_artist[artist] = [track_id]
            yield track_id
        else:
            queue.append(track_id)
    queues = list(by_artist.values())
    depth = 1
    while queues:
        queues = [q for q in queues if len(q) > depth]
        yield from (q[depth] for q in queues)
        depth += 1


def _apart(ids: list[int], info: dict, prev: str | None, between: Iterator[int], k: int, *,
           run: int = 3, ran: int = 1, later: list[int] = (), heard: Iterable[str] = ()) -> Iterator[tuple[int, bool]]:
    """The first ``k`` of ``ids`` (a station's songs, best first), each as ``(track_id,
    False)``, with no artist twice in a row while another artist's song is left; where only
    one artist's songs are left (the genre's other artists all heard), ``run`` of them in a
    row at most, then a song of ``between`` (the seed's neighbours outside the genre) by
    another artist, as ``(track_id, True)``; with none of those, the artist's songs follow
    each other. ``prev``: the artist heard last (``info``'s casefolded artist), None for
    none; ``ran``: how many of ``prev``'s songs in a row end what is heard and queued (a
    refill goes on with that run rather than start one). ``later``: songs taken the same way
    only once ``ids`` are all taken (those of the artists skipped on the station: breaking a
    run with one of them brought a skipped artist back second, where they go last). Without
    this, a station from the one pop artist with two albums ended in five songs of theirs in
    a row. ``heard``: the artists heard and queued so far, oldest first (the session's
    before the station's, as the window's ``exclude`` holds them); of the next
    neighbours, the one by the artist heard least lately comes between (the first by a new
    one): the next neighbour each time, one album's songs lying side by side, put the same
    artist between every run, or two in turns."""
    pending, spare, n, same = list(ids), [], 0, ran if prev is not None else 0
    later = list(later)
    when = _Heard(heard)
    while (pending or later) and n < k:
        if not pending:
            pending, later = later, []
        j = next((i for i, t in enumerate(pending) if info[t][1] != prev), None)
        if j is None and same < run:
            j = 0
        if j is None:
            other = when.pick(spare, between, info, prev)
            if other is not None:
                t = spare.pop(other)
                yield t, True
                prev, n, same = info[t][1], n + 1, 1
                when.add(prev)
                continue
            j = 0
        t = pending.pop(j)
        yield t, False
        same = same + 1 if info[t][1] == prev else 1
        prev, n = info[t][1], n + 1
        when.add(prev)


class _Heard:
    """When each artist was last heard on a station (by count of songs), to take the next of
    a station's neighbours by the artist heard least lately: taken in library order, no
    artist twice in a row, two artists' albums side by side played in turns (V W V W) while
    a third's songs were next to them."""

    def __init__(self, artists: Iterable[str] = ()):
        self.last: dict[str, int] = {}
        self.n = 0
        for a in artists:
            self.add(a)

    def add(self, artist: str | None) -> None:
        self.last[artist] = self.n
        self.n += 1

    def pick(self, held: list[int], more: Iterator[int], info: dict, prev: str | None, *,
             ahead: int = 20, beyond: bool = True) -> int | None:
        """The index in ``held`` (topped up from ``more``, up to ``ahead`` songs; with
        ``beyond``, further while all are ``prev``'s) of the first song by the artist heard
        least lately, never ``prev``'s; None where no other artist's song is held."""
        def new(t: int) -> bool:
            return info[t][1] not in self.last and info[t][1] != prev

        while len(held) < ahead and not any(new(t) for t in held):
            t = next(more, None)
            if t is None:
                break
            held.append(t)
        while not any(info[t][1] != prev for t in held) and (beyond or len(held) < ahead):
            t = next(more, None)
            if t is None:
                return None
            held.append(t)
        others = [i for i, t in enumerate(held) if info[t][1] != prev]
        # (none where the next ``ahead`` are all ``prev``'s, one artist's long discography in
        # a row: min() of nothing raised, and the station failed)
        if not others:
            return None
        return min(others, key=lambda i: (self.last.get(info[held[i]][1], -1), i))


def _no_repeats(ids: Iterator[int], info: dict, prev: str | None, *, ahead: int = 20,
                heard: Iterable[str] = ()) -> Iterator[int]:
    """``ids`` (a station's neighbours in library order) lazily, in their order but for no
    artist twice in a row (``info``'s casefolded artist; ``prev`` the one heard last) where a
    song by another is among the next ``ahead``: of those, the first by the artist heard least
    lately (``heard``: the artists heard and queued so far, oldest first). An album's songs lie side
    by side in the library, and a small genre's station went on with one artist's songs one
    after another while other artists' were next to them, then with two artists' in turns
    while a third's were next to them."""
    held: list[int] = []
    when = _Heard(heard)
    while True:
        j = when.pick(held, ids, info, prev, ahead=ahead, beyond=False) if prev is not None or held else None
        if j is None:
            if not held:
                t = next(ids, None)
                if t is None:
                    return
                held.append(t)
            j = 0
        t = held.pop(j)
        yield t
        prev = info[t][1]
        when.add(prev)


def _on_compilation(r) -> bool:
    """Whether track row ``r`` is on an album not its artist's own (:func:`album_by`): a
    compilation (flagged, found one by its folder, or of another album artist, a soundtrack's
    "Various Artists"). "Queen & David Bowie" on Queen's album is on Queen's own; so is a
    split single's or a duet album's song by the artist its album artists name second
    ("A / B", "A & B": B's release as much as A's, not a compilation to pass over)."""
    if r["compilation"] != 1 and r["folder_compilation"] != 1 \
            and (not r["albumartist"] or r["albumartist"] == r["artist"]):
        return False        # (most tracks: asked of every one Discover may offer, names not normalised)
    return primary_artist(r["artist"] or r["albumartist"]) not in credited_artists(album_by(r))


def _kin(album: str | None, artist: str, seed_album: str | None, seed_artist: str) -> bool:
    """Whether a track on ``album`` (:class:`AlbumIds`) by ``artist`` (casefolded) is by the
    seed's artist or on its album."""
    return bool(seed_artist) and artist == seed_artist or bool(seed_album) and album == seed_album


def _kin_genres(rows, info, albums: dict) -> dict[int, str]:
    """The genre each song of no genre tag is taken for, as the learning recommender takes
    it: the one most of its album's other songs are tagged with, else its artist's; on an
    album of several artists (a compilation) its artist's first. Songs whose album and
    artist are untagged too are left out (their genre is not known). An album is one of
    ``albums`` (:class:`AlbumIds`), as the learning recommender tells them apart: two
    artists' "Greatest Hits" are two albums, not one compilation."""
    by_album: dict[str, Counter[str]] = defaultdict(Counter)
    by_artist: dict[str, Counter[str]] = defaultdict(Counter)
    album_artists: dict[str, set[str]] = defaultdict(set)
    for t in rows:
        artist, bucket, album = info[t][1], info[t][2], albums.get(t)
        if album:
            album_artists[album].add(artist)
            if bucket != UNTAGGED:
                by_album[album][bucket] += 1
        if artist and bucket != UNTAGGED:
            by_artist[artist][bucket] += 1
    out = {}
    for t in rows:
        artist, album = info[t][1], albums.get(t)
        if info[t][2] != UNTAGGED:
            continue
        groups = [by_album.get(album) if album else None, by_artist.get(artist) if artist else None]
        if album and artist and len(album_artists[album]) > 1:
            groups.reverse()
        tags = next((g for g in groups if g), None)
        if tags:
            out[t] = tags.most_common(1)[0][0]
    return out


def _station_genre(lib: _Library, seed: int) -> str:
    """The genre a station from ``seed`` (in ``lib``) keeps to: the seed's, or for a song of no
    genre tag the one it is taken for (:func:`_kin_genres`); :data:`UNTAGGED` for none."""
    bucket = lib.info[seed][2]
    return lib.kin.get(seed, UNTAGGED) if bucket == UNTAGGED else bucket


def _station_member(lib: _Library, seed: int):
    """Whether a track of ``lib`` is one of the songs of the station from ``seed`` (its genre's),
    rather than a neighbour in the library that comes between them or after them."""
    info, kin, albums = lib.info, lib.kin, lib.albums
    bucket, untagged = _station_genre(lib, seed), info[seed][2] == UNTAGGED
    seed_album, seed_artist = albums[seed], info[seed][1]

    def member(t: int) -> bool:
        # (an untagged song on an album of the genre is of it, as the learning station has it)
        if bucket != UNTAGGED and kin.get(t, info[t][2]) == bucket:
            return True
        # Songs of no genre tag share no genre: one is the station's only where it is the
        # seed's artist's or album's (a station from one played every untagged song).
        return untagged and info[t][2] == UNTAGGED and _kin(albums[t], info[t][1], seed_album, seed_artist)

    return member


def _station_says(info: dict, seed: int, bucket: str) -> str:
    """The reason given for a song of the station from ``seed`` keeping to genre ``bucket``
    (:func:`_station_genre`)."""
    seed_title = info[seed][0]
    if info[seed][2] != UNTAGGED:
        return f"{genre_in_sentence(bucket)}, like {seed_title}"
    return f"near {seed_title} in your library"


def _starred(reason: str, given: float | None) -> str:
    """``reason``, and after it what the song's four or five stars say (they put it first
    among the songs as close on a station: :data:`_RATED_NEAR`)."""
    said = stars_said(given)
    return f"{reason} · {said}" if reason and said else reason or said


class _Track(NamedTuple):
    """What the plain provider reads and keeps of a track, read as a row is (``r["year"]``):
    a third of the time of reading every column, and less memory than keeping the rows
    (``sqlite3.Row`` of these columns held 70 MB at 100,000 tracks; these, with the names
    many tracks share kept once, about 45 MB)."""

    id: int
    path: str
    folder_id: int | None
    title: str | None
    artist: str | None
    albumartist: str | None
    album: str | None
    duration: float | None
    genre: str | None
    year: int | None
    track_no: int | None
    disc_no: int | None
    mb_album_id: str | None
    compilation: int | None
    folder_compilation: int | None
    artistsort: str | None          # (the sort names: the library order goes by them)
    albumartistsort: str | None
    #: whether the title only stands in for one, where the track says (a CUE sheet's: see
    #: :func:`segue_common.normalize.stands_in`); None for a file, whose title's words tell
    stand_in: bool | None = None

    def __getitem__(self, column: str):
        return getattr(self, column)


# How many tracks written since a read at most have their lengths moved in the kept sorted
# list one at a time; more and all are sorted again (at 100,000 tracks a sort costs about
# what 500 moves of half the list do).
_LENGTHS_KEPT = 500


# How many new tracks at most are placed in the kept orders one at a time (each costs a few
# small queries of the store); more, a scan's batch, and the store gives its whole order.
_PLACED = 32


#: The columns a :class:`_Track` is read from: its own, but for what a sheet's track says of
#: its title, read from its sheet and match key
#: How much nearer the seed Radio takes a song of four or five stars (see ``radio``'s closeness)
_RATED_NEAR = {4: 0.1, 5: 0.2}
#: (and the stars another player gave it, and what its classical work is read from: ``work_of_track``)
_WORK_COLUMNS = ("composer", "work", "grouping", "movement", "movementname")
_READ = (*_Track._fields[:-1], "cue_sheet", "match_key", "rating", "own_rating", *_WORK_COLUMNS)


# What the window's order of the library goes by (see ``library_order``).
_ORDERED_BY = attrgetter("path", "folder_id", "title", "artist", "albumartist", "album", "track_no", "disc_no",
                         "mb_album_id", "compilation", "folder_compilation", "artistsort", "albumartistsort")


def _window_order_kept(before: _Library, rows: dict, changed: Collection[int], namer: Namer,
                       titles: dict[str, frozenset]) -> list[int] | None:
    """The window's order of ``rows`` (in the store's order, which is ``before``'s less the
    tracks gone) made from ``before``'s: the same, less the tracks gone, where each track
    written since is ordered by what it was before; each album a track went from put in its
    order again (its first release may have gone); each new track placed (:func:`_with_new`).
    None where it must be worked out anew. (``titles``: each album title's tracks now, see
    :func:`_titles_after`.)"""
    # (the window lists such an album under one name, which a track come or gone may change;
    # one written with what orders it as before leaves it, and one with more is worked out anew)
    came_or_gone = [t for t in changed if (t in rows) != (t in before.rows)]
    if came_or_gone and _under_two_names((before.rows, before.titles()), (rows, titles), came_or_gone):
        return None
    gone, came = [], []
    for t in changed:
        if t in rows:
            if t not in before.rows:
                came.append(t)
            elif _ORDERED_BY(rows[t]) != _ORDERED_BY(before.rows[t]):
                return None
        elif t in before.rows:
            if compilation_flagged_in_part(before.rows[t]):
                return None         # (its album's tracks without the flag may go under their artists again)
            gone.append(t)
    if not gone:
        return _with_new(before.order, rows, came, namer) if came else before.order
    if any(_moved(before.rows, [before.rows[t] for t in gone])):
        return None     # (it went under "Various Artists", out of its run of the store's order)
    old = before.store_order

    def run(t: int):
        return _run(before.rows[t])

    at = {t: i for i, t in enumerate(old)}
    albums = {}
    key = None
    for t in gone:
        album = run(t)
        if album and not (album[0].isascii() and album[1].isascii()):
            # The store's order folds only ASCII letters, the window's every letter: an album by
            # "ÉMILE" and "Émile" is one run for the window, two apart for the store, and where
            # the window's album is not one run of the store's order this cannot be put right here.
            return None
        if album:
            lo = hi = at[t]
            while lo > 0 and run(old[lo - 1]) == album:
                lo -= 1
            while hi + 1 < len(old) and run(old[hi + 1]) == album:
                hi += 1
            # The window's album must be that run: the store's order folds only ASCII letters,
            # and where a compilation is flagged on some of its tracks the window brings an
            # album by "Émile" and "émile" together from places apart in the store's order.
            key = key or _album_key(before.rows, namer)
            k = key(t)
            first = bisect.bisect_left(before.order, k, key=key)
            if set(before.order[first:bisect.bisect_right(before.order, k, first, key=key)]) != set(old[lo:hi + 1]):
                return None
            albums[lo] = [u for u in old[lo:hi + 1] if u in rows]
    order = [t for t in before.order if t in rows]
    place = flagged = None
    for tracks in albums.values():
        if len(tracks) > 1:
            if not all(rows[t].artist or rows[t].albumartist for t in tracks):
                return None         # (a track without tags goes by its folders' names: not one album's place)
            if flagged is None:
                flagged = {(u.album, release_folder(u.path or "")) for u in before.rows.values()
                           if compilation_flagged_in_part(u)}
            if flagged and any((rows[t].album, release_folder(rows[t].path or "")) in flagged for t in tracks):
                return None         # (one of them goes with a compilation flagged on its other tracks)
            place = place or {t: i for i, t in enumerate(order)}
            slots = sorted(place[t] for t in tracks)
            for i, r in zip(slots, library_order([rows[t] for t in tracks], namer)):
                order[i] = r.id
    return _with_new(order, rows, came, namer) if came else order


def _title(album: str) -> str:
    # (as library_order tells an album: its title without the disc it names, case ignored)
    return title_disc(album)[0].casefold()


def _titles_of(rows: dict) -> dict[str, frozenset]:
    """Each album title's tracks among ``rows`` (:func:`_title`, each distinct album tag read once)."""
    titles = {album: _title(album) for album in set(map(attrgetter("album"), rows.values())) if album}
    found: dict[str, set] = {}
    for t, u in rows.items():
        if u.album:
            found.setdefault(titles[u.album], set()).add(t)
    return {title: frozenset(tracks) for title, tracks in found.items()}


def _titles_after(before: _Library, rows: dict, changed: Collection[int]) -> dict[str, frozenset]:
    """``before``'s titles (:meth:`_Library.titles`) with the tracks ``changed`` under their
    titles in ``rows`` (the others are as they were; one no longer in ``rows`` is skipped
    where they are read)."""
    titles = dict(before.titles())
    touched: dict[str, set] = {}
    for t in changed:
        for u, add in ((before.rows.get(t), False), (rows.get(t), True)):
            if u is not None and u.album:
                title = _title(u.album)
                tracks = touched.get(title)
                if tracks is None:
                    tracks = touched[title] = set(titles.get(title, ()))
                (tracks.add if add else tracks.discard)(t)
    for title, tracks in touched.items():
        if tracks:
            titles[title] = frozenset(tracks)
        else:
            titles.pop(title, None)
    return titles


def _under_two_names(before: tuple[dict, dict], now: tuple[dict, dict], changed: Collection[int]) -> bool:
    """Whether an album a track of ``changed`` is on, before or now, has tracks under more
    than one order artist (a sort name on some of its tracks only): ``library_order`` lists
    it under one name (``one_order_albums``), not where the store's order puts each track.
    ``before`` and ``now``: the rows and each title's tracks (:func:`_titles_of`)."""
    wanted = {_title(u.album) for t in changed for u in (before[0].get(t), now[0].get(t))
              if u is not None and u.album}
    for tracks, titles in (before, now):
        folders: dict[str, str] = {}
        for title in wanted:
            named = [(u, (order_artist(u) or "").casefold()) for t in titles.get(title, ())
                     if (u := tracks.get(t)) is not None]
            if len({name for _, name in named}) < 2:
                continue
            names: dict[str, str] = {}
            for u, name in named:
                where = (u.path or "").rpartition(os.sep)[0]
                folder = folders.get(where)
                if folder is None:
                    folder = folders[where] = release_folder(u.path or "")
                if names.setdefault(folder, name) != name:
                    return True
    return False


def _run(r: _Track, artist: str | None = None):
    # The album a track is ordered with in the store's order, as ``library_order`` takes it: its
    # order artist (``artist`` where given) and its title without the disc it names; None without one.
    return ((artist if artist is not None else order_artist(r) or "").casefold(),
            title_disc(r.album)[0].casefold()) if r.album else None


def _flagged_releases(rows: dict) -> set[tuple]:
    # (album, release folder) of each compilation flagged on some of its tracks (see
    # ``library_order``). (The flags read first, by attribute: the rule's test asked of each
    # track was most of the time this took at 100,000 tracks.)
    return {(u.album, release_folder(u.path or "")) for u in rows.values()
            if (u.compilation == 1 or u.folder_compilation == 1) and compilation_flagged_in_part(u)}


def _moved(rows: dict, tracks: list[_Track]) -> list[bool]:
    # Whether each of ``tracks`` goes under "Various Artists" in the window's order of ``rows``
    # (``library_order``): no flag or album artist of its own, on a compilation flagged on its
    # other tracks.
    plain = [bool(u.album) and not (u.albumartist or u.albumartistsort or u.compilation == 1
                                    or u.folder_compilation == 1) for u in tracks]
    if not any(plain):
        return plain
    flagged = _flagged_releases(rows)
    return [p and (u.album, release_folder(u.path or "")) in flagged for p, u in zip(plain, tracks)]


def _album_key(rows: dict, namer: Namer):
    """The key of a track of ``rows`` (by its id) that the window's order of them is sorted
    by (``library_key``), its ``moved`` the test of whether it goes under "Various Artists"."""
    flagged = _flagged_releases(rows)

    def moved(u: _Track) -> bool:
        # (a track without the flag or an album artist, on a compilation flagged on its other
        # tracks: the window lists it under "Various Artists", see ``library_order``)
        return bool(flagged) and bool(u.album) and not (u.albumartist or u.albumartistsort) \
            and (u.album, release_folder(u.path or "")) in flagged

    def key(t: int) -> tuple:
        u = rows[t]
        return library_key(u, namer, "Various Artists" if moved(u) else order_artist(u))

    key.moved = moved
    return key


def _with_new(order: list[int], rows: dict, came: list[int], namer: Namer) -> list[int] | None:
    """``order`` (the window's order of ``rows`` but the new tracks ``came``; ``rows`` in the
    store's order) with those placed, as ``library_order`` of every track lists them: the tracks
    of each album one came to, it among them, put in their order again, and the album placed
    among the others by its key (the window's order is sorted by it). A scan that adds one file
    ordered the whole library again for it (a third of a second at 100,000 tracks). None where
    that is not sure to be the order: a new track without tags (placed by its folders' names),
    one on a compilation flagged on some of its tracks, or an album whose tracks are not one
    run of the store's order."""
    key = _album_key(rows, namer)
    moved = key.moved

    def run(t: int):
        u = rows[t]
        return _run(u, "Various Artists" if moved(u) else None)

    by_key: dict[tuple, list[int]] = {}
    for t in came:
        u = rows[t]
        if not (u.artist or u.albumartist) or compilation_flagged_in_part(u) or moved(u):
            return None
        by_key.setdefault(key(t), []).append(t)
    store = list(rows)
    at: dict[int, int] | None = None        # (each track's place in the store's order, where asked)
    order = list(order)
    for k, new in by_key.items():
        lo = bisect.bisect_left(order, k, key=key)
        hi = bisect.bisect_right(order, k, lo, key=key)
        album = run(new[0])
        tracks = order[lo:hi] + new
        if any(run(t) != album or compilation_flagged_in_part(rows[t]) or moved(rows[t]) for t in tracks):
            return None
        if album is not None:
            # The album's run of the store's order (library_order orders an album's tracks
            # together, a run at a time): it must hold these tracks and no others.
            first = last = store.index(new[0])
            while first > 0 and run(store[first - 1]) == album:
                first -= 1
            while last + 1 < len(store) and run(store[last + 1]) == album:
                last += 1
            if last - first + 1 != len(tracks) or set(store[first:last + 1]) != set(tracks):
                return None
            tracks = [r.id for r in library_order([rows[t] for t in store[first:last + 1]], namer)]
        else:
            # (tracks without an album stay in the store's order)
            at = at or {t: i for i, t in enumerate(store)}
            tracks.sort(key=at.__getitem__)
        order[lo:hi] = tracks
    return order


class _Library:
    """What the plain provider read of the library at one :meth:`~player.store.Store.library_stamp`:
    the playable tracks in library order (:class:`_Track`), each one's ``(title, artist
    casefolded, bucket)`` and the median of the library's lengths; on first use, each
    track's album and the genre a song of no genre tag is taken for (an Up next refill needs
    neither: working them out cost it 0.4 s at 100,000 tracks). Never changed after (threads
    share it), but for what is worked out on first use and what Discover and the left-out
    tracks keep (each kept with what it was worked out from)."""

    def __init__(self, stamp: int, values: list[tuple], namer: Namer, *, before: _Library | None = None,
                 changed: Collection[int] = (), order: list[int] | None = None):
        """``values``: the library's rows in the store's library order; or, given the library read ``before``
        (with the same folders), the rows of the tracks ``changed`` since that the library still
        plays, and the ids it plays in ``order``: the tracks not changed are taken as they were
        read then, the rest worked out again as from a whole read."""
        self.stamp = stamp
        if before is None:
            one: dict = {}      # one copy of each name many tracks share (an artist's, an album's)
            rows, named, keys, elsewhere = {}, {}, {}, {}
            stars, works, here = {}, {}, set()
        else:
            one, rows, named = before._one, dict(before.rows), dict(before._named)
            stars, works, here = dict(before._stars), dict(before._work_of), set(before._one_here)
            keys, elsewhere = dict(before._keys), dict(before._elsewhere)
            # What the whole library adds up to, less the tracks written (added back below as they are now)
            info, counts = dict(before.info), before._counts.copy()
            # (the lengths kept sorted, a track at a time, where few changed: each a move of
            # the list's tail, so a scan that wrote every track sorts them all once instead)
            lengths = before._lengths.copy() if len(changed) <= _LENGTHS_KEPT else None
            for t in changed:
                if t in rows:
                    counts[named[t][2]] -= 1
                    if lengths is not None and rows[t].duration:
                        del lengths[bisect.bisect_left(lengths, rows[t].duration)]
                rows.pop(t, None)
                named.pop(t, None)
                keys.pop(t, None)
                elsewhere.pop(t, None)
                stars.pop(t, None)
                here.discard(t)
                works.pop(t, None)
                info.pop(t, None)
        same = one.setdefault
        for (t, path, folder, title, artist, albumartist, album, duration, genre, year, track_no, disc_no, release,
             compilation, folder_compilation, artistsort, albumartistsort, cue_sheet, key, rating, own,
             *of_work) in values:
            r = rows[t] = _Track(t, path, folder, title, same(artist, artist), same(albumartist, albumartist),
                                 same(album, album), duration, same(genre, genre), same(year, year), track_no, disc_no,
                                 same(release, release), compilation, folder_compilation, same(artistsort, artistsort),
                                 same(albumartistsort, albumartistsort),
                                 None if cue_sheet is None else stands_in(title, cue_sheet, key))
            if rating is not None:
                try:
                    stars[t] = float(rating)
                except (TypeError, ValueError, OverflowError):
                    pass        # (not a number another program left: no stars)
            if own == 1:
                here.add(t)
            # (most tracks name no work: asked first, without the row built for ``work_of_track``)
            work = work_of_track(dict(zip(_WORK_COLUMNS, of_work), title=title), artist) \
                if may_name_a_work(title, of_work[1], of_work[2]) else None
            if work is not None:
                works[t] = work
            names = namer(r)
            artist = names.artist.casefold()
            named[t] = (names.title, same(artist, artist), track_bucket(genre, path), names.album)
            if before is not None:
                counts[named[t][2]] += 1
                if duration and lengths is not None:
                    bisect.insort(lengths, duration)
        if order is not None:
            rows = {t: rows[t] for t in order}
        #: the ids in the store's order (what a later read keeps, see ``_kept_order``)
        self.store_order = list(rows)
        # Each album title's tracks (casefolded, without the disc it names): kept from the read
        # before and changed for the tracks written, so a one-track write looks at its album's
        # tracks, not the library's (a pass over 100,000 tracks took a twentieth of a second).
        self._titles: dict[str, frozenset] | None = _titles_after(before, rows, changed) \
            if before is not None else None
        self._titles_lock = threading.Lock()
        # Up next goes on in the order the window lists, not the store's: that puts the tracks
        # without tags first, a bonus track without a number at the head of its album and
        # "Émile" after Z. (Worked out again only where a change could move a track in it: a
        # third of a second at 100,000 tracks.)
        kept_order = _window_order_kept(before, rows, changed, namer, self._titles) \
            if before is not None and order else None
        if kept_order is not None:
            rows = {t: rows[t] for t in kept_order}
        else:
            rows = {r.id: r for r in library_order(list(rows.values()), namer)}
        self._one, self._named = one, named     # what each track's own row says: kept for the next read
        # Each track's recording (its artist and title normalised), as Discover's songs needed
        # it: most of their time, and the same for a track until it is written again.
        self._keys: dict[int, str | None] = keys
        # And whether each is on a compilation (:func:`_on_compilation`), as Discover asks it
        # of every song it may offer: the same for a track until it is written again, so a
        # Discover after a scan of one song asks it of that song only.
        self._elsewhere: dict[int, bool] = elsewhere
        if before is None:
            counts = Counter(n[2] for n in named.values())
        if before is None or lengths is None:
            lengths = sorted(r.duration for r in rows.values() if r.duration)
        # Each track's genre in the spelling most of the library's tracks of it have: where
        # those are as before, only the tracks written are named again.
        counts = +counts
        spelled = _spellings(counts)
        if before is not None and spelled == before._spelled:
            for v in values:
                n = named[v[0]]
                info[v[0]] = (n[0], n[1], spelled[n[2]])
        else:
            info = {t: (n[0], n[1], spelled[n[2]]) for t, n in named.items()}
        self._counts, self._spelled, self._lengths = counts, spelled, lengths
        self.order = list(rows)
        self.info, self.rows = info, rows
        self.median = _median(lengths)
        self._shown: list[str | None] | None = [named[t][3] for t in rows]     # each one's album as the window names it
        self.roots: dict = namer.roots          # the library folders' paths its tracks were named by
        self._albums: dict[int, str | None] | None = None
        self._kin: dict[int, str] | None = None
        self._lock = threading.Lock()           # the albums worked out once
        # The albums as worked out for an earlier read, and the tracks written since: worked
        # out again only for those and their albums' other tracks. (Where the library read
        # before has them worked out, from those; else from what it had.)
        self._album_state: tuple | None = None  # (albums, each track's group, each group's tracks)
        # (each read once: another thread may be working out the albums of ``before`` meanwhile)
        state = before._album_state if before is not None else None
        came_from = before._album_from if before is not None else None
        if state is not None:
            self._album_from: tuple | None = (state, set(changed))
        elif came_from is not None:
            self._album_from = (came_from[0], came_from[1] | set(changed))
        else:
            self._album_from = None
        self._left_out: tuple | None = None     # (store.left_out_stamp(), what it left out)
        # The rated tracks' stars, and the movements of classical works: (few or none) kept
        # from the read before, less the tracks written.
        self._stars: dict[int, float] = {t: v for t, v in stars.items() if t in rows}
        self._one_here: frozenset[int] = frozenset(t for t in here if t in rows)
        self._work_of: dict = {t: w for t, w in works.items() if t in rows}
        self._works: tuple | None = None        # what ``whole_works`` reads of them, worked out on first use
        self._pool: tuple | None = None         # (what was left out, Discover's songs)

    def titles(self) -> dict[str, frozenset]:
        """Each album title's tracks (:func:`_titles_of`): kept from the read before, else
        worked out on first use (a read of the whole library that no write followed)."""
        with self._titles_lock:
            if self._titles is None:
                self._titles = _titles_of(self.rows)
            return self._titles

    def _work_out_albums(self) -> None:
        with self._lock:
            if self._albums is not None:
                return
            came_from = self._album_from
            if came_from is None or len(came_from[1]) > len(self.rows) // 4 + 8:
                albums, groups, members = self._all_albums()
            else:
                albums, groups, members = self._albums_again(*came_from)
            self._album_state = (albums, groups, members)
            self._album_from = None     # (what they were worked out from is let go)
            untagged = any(b == UNTAGGED for _, _, b in self.info.values())
            self._kin = _kin_genres(self.rows, self.info, albums) if untagged else {}
            self._albums, self._shown = albums, None

    def _group(self, ids: AlbumIds, t: int) -> tuple[tuple, tuple | None]:
        """``((row, album, track, disc), group)`` of track ``t``: what :meth:`AlbumIds.add`
        takes, and the tracks whose albums it depends on (those of its album title, tagged, in
        its folder: one of them with the release id tells the others'), None for none."""
        r, shown = self.rows[t], self._named[t][3]
        album, title_says = title_disc(shown) if shown else (None, None)
        return (r, album, *AlbumIds.numbers(r, title_says)), (album, ids.folder(r.path)) if r.album else None

    def _all_albums(self) -> tuple[dict, dict, dict]:
        """Every track's album, each track's group (:meth:`_group`) and each group's tracks."""
        ids, one, groups, members = AlbumIds(), {}, {}, defaultdict(list)
        for t in self.order:
            args, group = self._group(ids, t)
            if group is not None:
                group = groups[t] = one.setdefault(group, group)
                members[group].append(t)
            ids.add(*args)
        albums = {t: a if a is None else one.setdefault(a, a) for t, a in zip(self.order, ids.finish())}
        return albums, groups, dict(members)

    def _albums_again(self, base: tuple, written: set[int]) -> tuple[dict, dict, dict]:
        """:meth:`_all_albums` from those worked out for an earlier read (``base``), the
        tracks ``written`` since and those of their groups before and now worked out again
        (a track's album depends on no other: a tenth of the work for a tenth of the tracks)."""
        albums, groups, members = (dict(d) for d in base)
        touched = {groups.pop(t) for t in written if t in groups}
        for t in written:
            albums.pop(t, None)
        ids, came, alone = AlbumIds(), defaultdict(list), []
        for t in written:
            if t in self.rows:
                group = self._group(ids, t)[1]
                if group is None:
                    alone.append(t)
                else:
                    groups[t] = group
                    came[group].append(t)
                    touched.add(group)
        for group in touched:
            now = [t for t in members.get(group, ()) if t not in written] + came.get(group, [])
            if now:
                members[group] = now
            else:
                members.pop(group, None)
        again = [t for group in touched for t in members.get(group, ())] + alone
        for t in again:
            ids.add(*self._group(ids, t)[0])
        albums.update(zip(again, ids.finish()))
        return albums, groups, members

    @property
    def albums(self) -> dict[int, str | None]:
        """Track id -> its album (:class:`AlbumIds`)."""
        if self._albums is None:
            self._work_out_albums()
        return self._albums

    @property
    def kin(self) -> dict[int, str]:
        """:func:`_kin_genres` of the library (empty where every song has a genre tag)."""
        if self._albums is None:
            self._work_out_albums()
        return self._kin

    def discover_pool(self, never: frozenset[int]) -> tuple[dict[int, int], dict[str, list[int]]]:
        """Discover's songs, ``never`` (:meth:`left_out`) left out: each track -> the first
        copy of its recording that Discover may offer (the first in library order, where
        any), and the songs it may offer by genre, in library order. Kept until ``never``
        is another (working out which copies are one song was most of Discover's time)."""
        kept = self._pool
        if kept is not None and kept[0] is never:
            return kept[1], kept[2]
        order, info, rows = self.order, self.info, self.rows
        short, long_ = _length_limits(self.median)
        # (speech asked once of each genre, not of each of its songs)
        spoken = {b for b in self._spelled.values() if is_spoken(b)}
        offered = [t for t in order if t not in never and info[t][2] not in spoken
                   and not ((d := rows[t].duration) and not short <= d <= long_)]
        # A song played in one copy was played: the copy a row offers (the first in library
        # order) is not "not played yet" because the plays were of the phone's MP3.
        # The copy offered is the one on its artist's own album where there is one: a
        # compilation (under "Various Artists", first in library order) put "Fields 1 [Now
        # Hits 2016]" on a tile, and people know a song by its album.
        chosen = set(offered)
        elsewhere = self._elsewhere
        for t in chosen - elsewhere.keys():     # (only the tracks written since the last pool)
            elsewhere[t] = _on_compilation(rows[t])
        own = _originals_first([t for t in offered if not elsewhere[t]], rows, self._keys)
        mine = set(own)
        first = _first_copies(own + [t for t in offered if t not in mine] + [t for t in order if t not in chosen],
                              rows, self._keys)
        members: dict[str, list[int]] = defaultdict(list)
        for t in offered:
            if first[t] == t:
                members[info[t][2]].append(t)
        members = dict(members)
        # (what this call worked out, not what self._pool holds by now: another thread may have
        # kept its own, for another left-out list, meanwhile)
        self._pool = (never, first, members)
        return first, members

    @property
    def stars(self) -> dict[int, float]:
        """The stars (1-5) another player gave each rated track (none for most libraries)."""
        return self._stars

    @property
    def one_here(self) -> frozenset[int]:
        """The tracks the person gave one star here (their ``stars`` say 1 too)."""
        return self._one_here

    def works(self) -> dict | None:
        """What :func:`whole_works` reads of the library's classical works, per track in library
        order (``work``, ``album``, ``movement``, ``track_ids``, ``row_of``); None where no
        track is a movement of one (most libraries: then the albums are not worked out)."""
        kept = self._works
        if kept is None:
            ids = self.order
            codes: dict[str, int] = {}
            found = {t: (codes.setdefault(w.key, len(codes)), w.movement or 0) for t, w in self._work_of.items()}
            out = None
            if found:
                albums = self.albums
                album_codes: dict[str, int] = {}
                at = {t: i for i, t in enumerate(ids)}
                # (filled in for the movements alone: no other track's album is compared, and
                # this is worked out again after each change of the library, a scan's batch)
                work, movement, album = np.full(len(ids), -1, np.int64), np.zeros(len(ids), np.int64), \
                    np.full(len(ids), -1, np.int64)
                for t, (code, number) in found.items():
                    i = at.get(t)
                    if i is not None:
                        work[i], movement[i] = code, number
                        if albums.get(t):
                            album[i] = album_codes.setdefault(albums[t], len(album_codes))
                out = dict(work=work, movement=movement, album=album, track_ids=np.array(ids, np.int64),
                           row_of=lambda t: at.get(t, -1), at=at)
            kept = self._works = (out,)
        return kept[0]

    def left_out(self, store) -> frozenset[int]:
        """``store.left_out_ids()``, read again only when what it depends on changed (never
        to suggest, folders away; the library too, but that is another :class:`_Library`)."""
        stamp = store.left_out_stamp()
        kept = self._left_out
        if kept is not None and kept[0] == stamp:
            return kept[1]
        ids = frozenset(store.left_out_ids())
        self._left_out = (stamp, ids)
        return ids


class _Plays(NamedTuple):
    """The plays as Discover reads them (oldest first): ``(id, track id, started at, what it
    says (:func:`_feedback`), source, still playing, counts as a play)`` each, and what tells whether they are still the
    store's: their count, the store's ``rewritten_stamp`` and when the history was last
    forgotten as they were read, and the first id that may still change (the latest, or one
    still playing: a song going on in its row)."""

    rows: list[tuple]
    count: int
    rewritten: int
    forgotten: float
    changing: int | None
    tail: list[tuple]       # the rows from ``changing`` on, as the store gives them

    @classmethod
    def read(cls, store, kept: _Plays | None) -> _Plays:
        """The plays now: ``kept`` and those from its first changing id on, where the store
        says nothing older changed (a play of a merged track moved, a resume, a forget); else all.
        ``kept`` itself where those read again are as it has them. (Those are read again even
        where the count is the same: a song ending changes its row, not the count.)"""
        with store.snapshot():
            count, rewritten, forgotten = store.play_count(), store.rewritten_stamp(), store.history_forgotten_at()
            if kept is not None and kept.changing is None and (count, rewritten, forgotten) == kept[1:4]:
                return kept         # (no plays then, none now)
            fresh_only = kept is not None and kept.changing is not None and count >= kept.count \
                and (rewritten, forgotten) == (kept.rewritten, kept.forgotten)
            plays = store.plays(from_id=kept.changing) if fresh_only else store.plays()
        fresh = [(p["id"], p["track_id"], p["started_at"], _feedback(p), p["source"], p["ended"] == "playing",
                  bool(counts_as_play(p["ended"], p["ms_heard"]))) for p in plays]
        if fresh_only and count == kept.count and fresh == kept.tail:
            return kept
        rows = [r for r in kept.rows if r[0] < kept.changing] + fresh if fresh_only else fresh
        if len(rows) != count:      # (not the store's plays after all: read them all)
            return cls.read(store, None)
        kept_n = len(rows) - len(fresh)
        if fresh_only and fresh and kept_n and (fresh[0][2], fresh[0][0]) < (rows[kept_n - 1][2], rows[kept_n - 1][0]):
            rows.sort(key=lambda r: (r[2], r[0]))        # (some began before plays kept: as the store orders them)
        changing = min([r[0] for r in rows if r[5]] + [max(r[0] for r in rows)]) if rows else None
        return cls(rows, count, rewritten, forgotten, changing, [r for r in rows if r[0] >= changing] if rows else [])


class LibraryRecommendations:
    """Library order and genre tags: no learning, no invented data.

    Reads the library again whenever it changed (a worker thread, its own connection), so
    new scans show up without any invalidation, and so does what no suggestion may offer
    (what the person asked never to be suggested, the tracks of a disk not connected), left
    out before picking, so the lists stay as long. What it read is kept between calls: the
    store counts every write to the library's tracks and folders (whoever writes, this
    process or another), and reading that count is all an unchanged library costs; reading
    and naming every track on each call took most of a second at 100,000 tracks. A change
    costs the tracks written since (the store notes which), not the whole library again. (What is
    kept costs the window about 60 MB at that size, for as long as this provider is asked.)
    """

    def __init__(self, store):
        self.store = store
        self._heard: Counter[str] | None = None     # the genres' plays as the latest rows counted them
        self._read: _Library | None = None
        self._reading = threading.Lock()            # one read of the library at a time
        self._plays: _Plays | None = None           # the plays as Discover last read them
        self._counted: tuple | None = None          # ((plays, library, copies), what Discover counted of them)
        self._unwanted: tuple | None = None         # (left out, one-star songs, what no suggestion offers)
        self._going_on: tuple | None = None         # (left out, the tracks left part-way, the two together)

    def _library(self) -> _Library:
        """The library as it is now: the one kept, unless the store says it changed since."""
        kept = self._read
        if kept is not None and self.store.library_stamp() == kept.stamp:
            return kept
        with self._reading:
            kept = self._read
            # (the count read in the same snapshot as the rows: a write after it is a new count)
            with self.store.snapshot():
                stamp = self.store.library_stamp()
                if kept is not None and stamp == kept.stamp:
                    return kept
                namer = Namer.of(self.store)
                # Only the tracks written since are read again (a scan's batch, a tag edit, a
                # merge): the rest are as read then, and so is what names them (their library
                # folders' paths). Not where a scan wrote most of them (one that reads every
                # file again after an upgrade): reading those by their ids and taking out what
                # they were took longer than reading them all.
                changed = self.store.library_changed_ids(kept.stamp) \
                    if kept is not None and namer.roots == kept.roots else None
                if changed is not None and len(changed) <= len(kept.rows) // 2 + 64:
                    values = self.store.library_rows_of(_READ, changed)
                    order = self._kept_order(kept, changed, values) or self.store.library_order_ids()
                else:
                    kept, changed, order = None, (), None
                    values = self.store.library_rows(_READ, plain=True)
            self._read = _Library(stamp, values, namer, before=kept, changed=changed, order=order)
            return self._read

    def _left_out(self, lib: _Library) -> frozenset[int]:
        """What no suggestion offers: what the store leaves out (:meth:`_Library.left_out`),
        and the songs rated one star in another player that the person has not listened to
        here since and those rated one star here, by the learning recommender's own rule
        (:func:`one_star_unwanted`): the window serves from this provider until that one is
        ready, and for good where it cannot be built, and a one-star song came up in Up next,
        Radio and Discover there. And the tracks the person is part-way through (a book, a
        mix left mid-way): theirs to go on with when they pick one, where a suggestion plays
        it from its start."""
        # (one set while neither changes: what Discover works out from it is kept by it)
        base, going = lib.left_out(self.store), self.store.resume_position_ids()
        kept = self._going_on
        if kept is None or kept[0] is not base or kept[1] != going:
            kept = self._going_on = (base, going, base | going if going else base)
        never = kept[2]
        stars = lib.stars
        if not stars:
            return never
        # (asked of the rated songs alone, in a library of however many: most have none.) The
        # songs the rule would leave out were none of them listened to, and then only the plays
        # of those are read: reading the whole history again whenever it was rewritten (a
        # resume, a merge) took a tenth of a second at 20,000 plays, more as it grows.
        here = lib.one_here
        rated = list(stars)
        candidates = [rated[i] for i in one_star_unwanted(np.array([stars[t] for t in rated], np.float32),
                                                          np.zeros(len(rated), np.int64), of=len(lib.order),
                                                          own_one=np.array([t in here for t in rated], bool))]
        if not candidates:
            return never
        listened = {p["track_id"] for p in self.store.plays_of(candidates) if _feedback(p) > 0}
        # (asked again of those with their plays: the same rule, which a star given here outlasts)
        hated = frozenset(candidates[i] for i in one_star_unwanted(
            np.array([stars[t] for t in candidates], np.float32),
            np.array([t in listened for t in candidates], np.int64), of=len(lib.order),
            own_one=np.array([t in here for t in candidates], bool)))
        kept = self._unwanted
        if kept is not None and kept[0] is never and kept[1] == hated:
            return kept[2]      # (the same set as before: what was worked out from it is kept too)
        out = never | hated if hated else never
        self._unwanted = (never, hated, out)
        return out

    def _whole_works(self, lib: _Library, picks: list[Rec], before: Sequence[int], skip: Collection[int]) -> list[Rec]:
        """``picks`` with each classical work whole and in order, by the learning recommender's
        rule (:func:`whole_works`): a movement suggested brings its performance's others, the
        work the last of ``before`` (the session or station, then the queue) is in goes on
        first. Those brought along say what the pick that brought them says."""
        works = lib.works()
        if works is None:
            return picks
        at = works["at"]
        rows = lambda ids: np.array([at.get(t, -1) for t in ids], np.int64)     # noqa: E731
        got = whole_works([(r.track_id, i) for i, r in enumerate(picks)], rows(before), rows(skip),
                          work=works["work"], album=works["album"], movement=works["movement"],
                          track_ids=works["track_ids"], row_of=works["row_of"])
        out = []
        for t, i in got:
            by = picks[int(i)] if picks else Rec(t)
            out.append(Rec(t, by.reason, by.score))
        return out

    def _kept_order(self, kept: _Library, changed: list[int], values: list[tuple]) -> list[int] | None:
        """The store's library order now, where no track came and those written still sort between
        the same tracks (a re-tagged genre or year, a file found missing): ``kept``'s, less the
        tracks gone, and with a few new tracks each placed by halves (the store asked which of
        two comes first). Else None, for the store to give (a tenth of a second at 100,000 tracks).
        Tracks not written keep their order among themselves, so an order in which each
        written track sorts after the one before it and before the one after is the order."""
        now = {v[0] for v in values}
        came = now - kept.rows.keys()
        if len(came) > _PLACED:
            return None
        gone = set(changed) - now
        order = [t for t in kept.store_order if t not in gone] if gone or came else kept.store_order
        lo = 0
        for t in self.store.library_order_of(sorted(came)):     # (each after the one before it)
            hi = len(order)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.store.library_order_of([order[mid], t])[0] == t:
                    hi = mid
                else:
                    lo = mid + 1
            order.insert(lo, t)
            lo += 1
        if len(order) != len(kept.store_order) - len(gone & kept.rows.keys()) + len(came):
            return None         # (a new track the store no longer plays)
        at = [i for i, t in enumerate(order) if t in now]
        if len(at) > 150:          # (a scan's batch: the store gives the whole order as fast)
            return None
        near = sorted({j for i in at for j in (i - 1, i, i + 1) if 0 <= j < len(order)})
        if self.store.library_order_of([order[j] for j in near]) != [order[j] for j in near]:
            return None
        return order

    def up_next(self, session_track_ids: list[int], k: int, *,
                exclude: set[int] = frozenset(), passed: Collection[int] = frozenset(),
                ends_kept: Sequence[tuple] = ()) -> list[Rec]:
        """The tracks that follow the last one played, in library order (wrapping). A second
        copy of one recording (an album's phone copy in MP3, its song on a best-of) is left
        out, as is a copy of one heard this session, queued or taken out of the queue: in
        library order the copies sit side by side, and the song just heard came straight back
        in another format. They follow the session's latest song the library still has: one
        deleted or unreadable since it was heard (a station's gone seed) has no place in the
        library's order, and the list began again at the library's first song."""
        lib = self._library()        # read once: a scan may write between two reads
        order, info, rows = lib.order, lib.info, lib.rows
        if not order or k <= 0:
            return []
        last = next((t for t in reversed(session_track_ids) if t in info), None)
        book = self.book_goes_on(session_track_ids, exclude=exclude, passed=passed, lib=lib)
        if book:
            said = f"next in the book after {info[last][0]}" if last in info else "next in the book"
            return [Rec(t, said, score=1.0 / (1 + i))
                    for i, t in enumerate(book[:k])]
        skip = set(exclude) | set(passed) | set(session_track_ids) | self._left_out(lib)
        ahead = _ahead(order, info, rows, last, skip, [*session_track_ids, *exclude, *passed])
        picks = _in_order(itertools.islice(_songs_first(ahead, lib, last), k), info, last)
        return self._whole_works(lib, picks, [*session_track_ids, *exclude], skip)

    def book_goes_on(self, session_track_ids: Sequence[int], *, exclude: Collection[int] = frozenset(),
                     passed: Collection[int] = frozenset(), lib: _Library | None = None) -> list[int]:
        """:func:`book_goes_on`, those queued or taken out of the queue (``exclude``,
        ``passed``) and those never to suggest left out."""
        lib = lib or self._library()
        return book_goes_on(self.store, session_track_ids, skip={*exclude, *passed}, never=lib.left_out(self.store))

    def radio(self, seed_track_id: int, k: int, *, exclude: set[int] = frozenset(),
              skipped: list[int] = (), streak: int = 0, passed: Collection[int] = frozenset()) -> list[Rec]:
        """Same genre tag as the seed, closest first by what the tags say (same artist,
        album, years), ties shuffled per seed, artists spread out; skipped artists go last.
        From a song of no genre tag (nor taken for one), its artist's and album's songs, each
        followed by one of its neighbours in the library. Stingers (far shorter than the
        library's median), mixes and audiobook chapters (far longer) and second copies of one
        recording are left out."""
        lib = self._library()        # read once: a scan may write between two reads
        order, info, rows = lib.order, lib.info, lib.rows
        if seed_track_id not in info or k <= 0:
            return []
        seed = rows[seed_track_id]
        seed_title, seed_artist, bucket = info[seed_track_id]
        untagged = bucket == UNTAGGED
        albums, kin = lib.albums, lib.kin
        if untagged:
            bucket = kin.get(seed_track_id, UNTAGGED)
        skip = set(exclude) | set(passed) | set(skipped) | {seed_track_id} | self._left_out(lib)
        skipped_artists = {info[t][1] for t in skipped if t in info}
        short, long_ = _length_limits(lib.median, seed["duration"])
        rng = random.Random(seed_track_id)
        stars = lib.stars

        def closeness(t):
            r = rows[t]
            near = 0.3 * (info[t][1] == seed_artist) + 0.2 * (bool(albums[t]) and albums[t] == albums[seed_track_id])
            if r["year"] and seed["year"]:
                near += 0.3 / (1 + abs(r["year"] - seed["year"]) / 4)
            # The person's favourites (four and five stars in another player) before the songs
            # the tags say are as close: what the learning recommender does with them, and all
            # this station knows of the person's taste. Less than the seed's artist, as much as
            # its album at most (five stars: 0.2, the album's weight too).
            return near + 0.15 * rng.random() + _RATED_NEAR.get(round(stars.get(t, 0)), 0.0)

        member = _station_member(lib, seed_track_id)
        same = [t for t in order if t not in skip and member(t)
                and not (rows[t]["duration"] and not short <= rows[t]["duration"] <= long_)]
        same = _one_per_recording(sorted(same, key=closeness, reverse=True), rows, [seed_track_id, *exclude])
        liked = list(_spread_artists((t, info[t][1]) for t in same if info[t][1] not in skipped_artists))
        disliked = list(_spread_artists((t, info[t][1]) for t in same if info[t][1] in skipped_artists))
        reason = _station_says(info, seed_track_id, bucket)
        talk = is_spoken(bucket)

        def neighbours(taken: set[int], *, of_skipped: bool = False) -> Iterator[int]:
            # The neighbours are kept to the station's lengths too: a mix filed next to the
            # seed's album is no song to play between songs, whatever its genre.
            # So is a chapter or an episode tagged as speech, unless the seed is one.
            # (From the library as read above: read again, a track a scan added in between
            # was not in it, and a station from a small genre failed.)
            # ``of_skipped``: those of the artists skipped on the station, else the others'.
            return (t for t in _ahead(order, info, rows, seed_track_id, taken, [seed_track_id, *taken])
                    if not (rows[t]["duration"] and not short <= rows[t]["duration"] <= long_)
                    and (talk or not is_spoken(info[t][2])) and (info[t][1] in skipped_artists) == of_skipped)

        # The station's last song so far (``exclude`` in play order, as the window gives it);
        # the seed's artist may lead, after the seed itself.
        before = list(exclude) if isinstance(exclude, (list, tuple)) else []
        tail = before[-1] if before else seed_track_id
        prev = info[tail][1] if tail in info and tail != seed_track_id else None
        # The run of that artist the station ends in so far (back to the seed): counted from
        # one at each refill, a station filled ten at a time played two of the artist's songs
        # at the end of one batch and three at the start of the next, five in a row.
        ran = 0
        for t in reversed(before):
            if t == seed_track_id or t not in info or info[t][1] != prev:
                break
            ran += 1
        out: list[Rec] = []
        lifted: set[int] = set()        # the station's own songs, which their stars put first

        def add(picks: Iterable[tuple[int, bool]]) -> None:
            for t, filler in picks:
                out.append(Rec(t, _in_order([t], info, seed_track_id)[0].reason if filler else reason,
                               score=1.0 / (1 + len(out))))
                if not filler:
                    lifted.add(t)

        def last_artist() -> str | None:
            return info[out[-1].track_id][1] if out else prev

        # Only the songs of artists not skipped on the station come between: one of a skipped
        # artist's (the next rock song of the one the person skipped between pop songs) brought
        # them back where they go last. A station from a song of no genre tag (nor taken for
        # one) has only its artist's and album's songs for its own, and nothing more known of
        # them: its neighbours come between every one (the seed's artist's eleven songs played
        # in a row, as a playlist of the artist would, not a station).
        # Such a station's own songs are its artist's: that artist skipped on it, they go after
        # all the neighbours, as a skipped artist goes after the genre's others (taken between
        # the neighbours, the artist skipped came back every other song).
        heard = [info[t][1] for t in before if t in info]
        between = neighbours(skip | set(same))
        add(_apart(liked, info, prev, between, k, run=1 if bucket == UNTAGGED else 3, ran=max(ran, 1),
                   later=disliked if bucket != UNTAGGED else (), heard=heard))
        # A small genre goes on with the seed's neighbours in library order, no artist twice in
        # a row where another's song is near (an album's songs lie side by side: a top-up played
        # R0 R0), and the artists skipped on the station after all the others (the top-up played
        # a skipped artist's next songs as the neighbours came). The genre's own songs, those of
        # skipped artists too, still come before any other genre's: the station is the genre's.
        if len(out) < k:
            near = neighbours(skip | {r.track_id for r in out})
            add((t, True) for t in itertools.islice(
                _no_repeats(near, info, last_artist(), heard=heard + [info[r.track_id][1] for r in out]), k - len(out)))
        if len(out) < k:
            near = neighbours(skip | {r.track_id for r in out}, of_skipped=True)
            add((t, True) for t in itertools.islice(
                _no_repeats(near, info, last_artist(), heard=heard + [info[r.track_id][1] for r in out]), k - len(out)))
        got = self._whole_works(lib, out, [seed_track_id, *(t for t in before if t != seed_track_id)], skip)
        # The stars are said of a song they put first (``closeness``), not of one a neighbour in
        # the library or another movement of its work brought: those took the pick's reason,
        # and "you gave it five stars" of another song's stars, or of a top-up in library
        # order, named what had nothing to do with their place.
        return [Rec(r.track_id, _starred(r.reason, stars.get(r.track_id)), r.score) if r.track_id in lifted else r
                for r in got]

    def discover(self, k_per_bucket: int, *, today: date | None = None) -> dict[str, list[Rec]]:
        """A row per genre tag (largest first; the small ones, past 20 genres, share one):
        unplayed tracks first, then least recent.
        Stingers and sound effects (far shorter than the library's median), mixes and
        audiobook chapters (far longer), tracks tagged as speech (audiobooks, podcasts) and a
        second copy of one recording are left out.
        ``today`` is taken and not used: these rows do not change with the day."""
        lib = self._library()        # read once: a scan may write between two reads
        info, rows = lib.info, lib.rows
        first, members = lib.discover_pool(self._left_out(lib))
        last_played: dict[int, float] = {}
        heard: Counter[str] = Counter()
        listened: Counter[int] = Counter()
        by_artist: Counter[str] = Counter()         # listened plays per tagged artist (its first)
        skipped_here: dict[int, float] = {}         # skipped early when Discover offered it, not heard since
        # (a genre's plays count its untagged songs on its albums, as the learning rows count them)
        # (only a song of no genre tag is taken for another: without one, the albums, near a quarter
        # of the time these rows take at 100,000 tracks, are not needed)
        kin = lib.kin
        # The plays are read again only from the first that may have changed, and counted
        # again only when they or the library changed (every play, on every call, was most
        # of this call's time with a long history).
        self._plays = plays = _Plays.read(self.store, self._plays)
        counted = self._counted
        # (and only until the clock reaches the first play left out as ahead of it: from then on
        # that play is placed, and the counts kept would hold the song as not played lately)
        if (counted is not None and counted[0][0] is plays and counted[0][1] == lib.stamp and counted[0][2] is first
                and time.time() + FUTURE_SLACK_S < counted[0][3]):
            last_played, heard, listened, by_artist, skipped_here = counted[1]
        else:
            # A play logged while the clock ran ahead (then put right) has no time that can be
            # placed: the song is played, but not lately; taken as it was, it stayed "played
            # lately", out of these rows, until the clock caught up (the learning rows do so).
            ahead, soonest = time.time() + FUTURE_SLACK_S, float("inf")
            for _, track_id, started_at, said, source, _, counted in plays.rows:
                t = first.get(track_id, track_id)
                # (oldest first: the latest stays; a play that failed, or was ended before
                # anything of it was heard, leaves the song unplayed)
                if counted and started_at <= ahead:
                    last_played[t] = started_at
                elif counted:
                    last_played.setdefault(t, 0.0)
                    soonest = min(soonest, started_at)
                if said > 0:
                    listened[t] += 1
                    skipped_here.pop(t, None)
                    if t in rows and _tagged_artist(rows[t]):
                        by_artist[_tagged_artist(rows[t])] += 1
                    if t in info:
                        heard[kin.get(t, info[t][2])] += 1
                elif said < 0 and source == "discover" and started_at <= ahead:
                    skipped_here[t] = started_at
            # (by the library's count, not the library itself: kept, a read before a change
            # would stay in memory beside the one after it until Discover is asked again)
            self._counted = ((plays, lib.stamp, first, soonest),
                             (last_played, heard, listened, by_artist, skipped_here))
        now = time.time()
        # As the learning recommender's rows (recommender.genres.arrange_rows), by the same
        # listened plays: the person's two favourites, then new genres and theirs in turns;
        # the genres too small for a row, and those past the last, in one row. A library
        # tagged by many hands had hundreds of rows of a tile or two. (By size alone, the
        # rows changed order under the person's eyes when the recommender was ready.)
        names = sorted(members, key=lambda b: (b == UNTAGGED, -len(members[b]), b))
        # A genre's songs to offer are counted as the learning recommender counts them, less
        # those played lately (before its latest play, as it has it): counting them too, a
        # genre of six songs, three just played, had a row here and none there.
        latest = max((w for w in last_played.values() if w <= now + FUTURE_SLACK_S), default=0.0)
        lately = {t for t, when in last_played.items() if latest - when < DISCOVER_RECENT_S}
        # As there, a song skipped when Discover offered it stays out for longer: in a small
        # genre's row it came straight back.
        lately |= {t for t, when in skipped_here.items() if latest - when < DISCOVER_SKIPPED_REST_S}
        rested = {b: sum(t not in lately for t in members[b]) for b in names}
        who = [{_tagged_artist(rows[t]) for t in members[b] if t not in lately} for b in names]
        order, pooled = arrange_rows([heard[b] for b in names], [rested[b] for b in names],
                                     min_row=min(MIN_ROW, max(k_per_bucket, 1)),
                                     untagged=names.index(UNTAGGED) if UNTAGGED in names else None,
                                     artists=[len(a) for a in who])
        heading = pooled_heading(pooled, names, who)

        def ranked(bucket: str) -> Iterator[int]:
            # As the learning rows: no song played lately (a row offered the day's songs at its
            # end), never-played songs and songs heard before (least lately first) in turns, the
            # never-played first, and songs only ever skipped after both.
            fresh = [t for t in members[bucket] if t not in last_played]
            played = sorted((t for t in members[bucket] if t in last_played and t not in lately),
                            key=last_played.__getitem__)
            fresh, again = (_spread_artists((t, info[t][1]) for t in group)
                            for group in (fresh, [t for t in played if listened[t]]))
            turns = (t for pair in itertools.zip_longest(fresh, again) for t in pair if t is not None)
            return itertools.chain(turns, _spread_artists((t, info[t][1]) for t in played if not listened[t]))

        def rec(t: int, pooled: bool = False) -> Rec:
            # As the learning recommender's tiles: what the person's plays say of the song,
            # else nothing, the row's heading naming its genre; in the row of many small
            # genres its genre in front. ("Rock: not played yet" on every tile of a row said
            # the row's name fourteen times, and changed once the recommender was ready.)
            reasons = []
            if listened[t] >= 3:
                reasons.append(f"you played it {listened[t]} times")
            artist = _tagged_artist(rows[t])
            if artist and by_artist[artist] >= 3 and by_artist[artist] > listened[t]:
                reasons.append(f"you played {isolate(first_of_artists(rows[t]['artist'] or rows[t]['albumartist']))}"
                               f" {by_artist[artist]} times")
            why = " · ".join(reasons)
            if pooled and info[t][2] not in (UNTAGGED, heading):
                why = f"{genre_title(info[t][2])} · {why}" if why else genre_title(info[t][2])
            return Rec(t, why, score=0.0 if t in last_played else 1.0)

        out: dict[str, list[Rec]] = {names[g]: [rec(t) for t in itertools.islice(ranked(names[g]), k_per_bucket)]
                                         for g in order}
        if pooled and k_per_bucket:
            # a song of each small genre before a second of any, the largest genres first
            turns = itertools.zip_longest(*(ranked(names[g]) for g in pooled))
            out[heading] = [rec(t, pooled=True) for t in itertools.islice(
                (t for turn in turns for t in turn if t is not None), k_per_bucket)]
        self._heard = heard
        return out

    def discover_captions(self, buckets) -> dict[str, str]:
        """Discover's row captions, as the learning recommender words them: how often the
        person listened to each genre ("you played it 12 times", "new to you"), by the plays
        the latest rows were arranged by (those rows are the ones captioned); none for the
        songs of no genre tag."""
        if self._heard is None:
            self.discover(0)
        heard = self._heard or Counter()
        return {b: MORE_CAPTION if b == MORE_TO_DISCOVER else plays_caption(heard[b]) for b in buckets
                if b != UNTAGGED}

    def explain(self, track_id: int, context: str = "") -> str:
        """Why ``track_id`` is suggested, given again without its list (the history it came
        with forgotten). ``context`` ``"radio:<seed>"``: it is on the station from that song,
        and says so as the station said it; other words are said after it in brackets."""
        if context.startswith("radio:"):
            said = self._on_station(track_id, context.partition(":")[2])
            if said:
                return said
            context = ""
        row = self.store.track(track_id)
        if row is None:
            return ""
        bucket = genre_bucket(row["genre"])
        where = f" ({context})" if context and not context.startswith(("after:", "discover:")) else ""
        if track_bucket(row["genre"], row["path"]) != bucket:
            # (a book by its container, as every list files it: a rock memoir in .m4b tagged
            # "Rock" said "Tagged Rock", as if a song of the genre)
            return f"An audiobook in your library{where}"
        if bucket == UNTAGGED:
            return f"From your library{where}; it has no genre tag"
        return f"Tagged {first_genre(row['genre'])} in your library{where}"     # as the person wrote it

    def _on_station(self, track_id: int, seed: str) -> str:
        """The reason :meth:`radio` gives ``track_id`` on the station from track ``seed`` (its
        id, as text): its genre's song like the seed, else the seed's neighbour in the library;
        "" where either is not in the library."""
        lib = self._library()
        seed_id = int(seed) if seed.isdigit() else None
        if seed_id not in lib.info or track_id not in lib.info:
            return ""
        if _station_member(lib, seed_id)(track_id):
            # (the stars put the station's own songs first; the others come in library order)
            return _starred(_station_says(lib.info, seed_id, _station_genre(lib, seed_id)), lib.stars.get(track_id))
        return _in_order([track_id], lib.info, seed_id)[0].reason
