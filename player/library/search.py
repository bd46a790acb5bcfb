"""The library read for searching and sorting, Qt-free: every track in memory as columns.

:func:`load_library` runs on a worker (it reads the store) and gives a :class:`LibraryData`;
:func:`query_track_ids` finds what a search finds in it, as the window's library table does
(the table's model, :mod:`player.ui.library_model`, keeps one and filters it with
:func:`read_query` and :func:`matching`). Searching is a substring test over one precomputed
string per track (its search form: casefolded, accents dropped, one Unicode form:
:func:`~segue_common.text.search_form`), all of them kept as one UTF-8 byte array that numpy
searches at once (:class:`SearchText`). No Qt here: ``segue play`` reads a search as the
window does without loading PySide6.
"""

from __future__ import annotations

import threading
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import numpy as np

from player.library.albums import anchored, album_slot, moved_together, one_order_albums, order_form
from player.library.albums import order_artists as order_artists_of
from player.library.names import Namer, file_disc, path_numbers, release_folder, title_disc
from player.library.query import NumberTerm, Query, TextTerm, parse, plain_query
from segue_common.text import search_form, shown, sort_form
from segue_common.works import headed, work_name

_TEXT = ("title", "artist", "album", "genre")
_SHOWN_TEXT = (*_TEXT, "composer")
# Found by a search without a column of their own: "various" finds a compilation by its album
# artist, "bach" the tracks Bach composed, whoever plays them, "eroica" the movements of the
# work its WORK tag names (or the grouping beside a movement, or the title, see
# :func:`~segue_common.works.work_name`) where each title names only its movement.
_SEARCHED = ("albumartist", "composer", "work")
# The tags a movement's work is told by, besides its title and work (read with the library)
_WORK_TAGS = ("grouping", "movement", "movementname")
# Sorted by, where tagged, in place of the column's own text: "The Beatles" sort under B
# when their sort name says "Beatles, The", "Johann Sebastian Bach" when his says "Bach, Johann Sebastian".
_SORT_NAMES = {"artist": "artistsort", "composer": "composersort"}
_NUMBERS = ("track_no", "year", "duration")
_GUESSABLE = ("title", "artist", "album")


def typed_form(text: str, sensitive: bool = False) -> str:
    """``text`` as typing to find a row compares it: as a search compares it
    (:func:`~segue_common.text.search_form`: case, accents and full-width letters aside, "ß"
    as "ss"), since the lists sort names so ("Émile" among the E's) and "emile" typed there
    must find it; with ``sensitive``, case and accents kept, in one Unicode form (composed): a
    name from a Mac keeps its accented letters decomposed ("e" and a combining accent, as its
    file system writes file names), and a keyboard types them composed."""
    if not sensitive:
        return search_form(text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


_INT32 = np.iinfo(np.int32)


def _int32_column(values: list) -> np.ndarray:
    """Whole numbers as int32 (0 = none), clamped: the database may hold anything an older
    scan or another program wrote there (a year of 3,000,000,000, text in a number column)."""
    try:
        wide = np.fromiter((v or 0 for v in values), dtype=np.int64, count=len(values))
    except (ValueError, TypeError, OverflowError):
        wide = np.array([_to_int(v) for v in values], dtype=np.int64)
    return np.clip(wide, 0, _INT32.max).astype(np.int32)


def _is_zero(value) -> bool:
    # (0 and "0" as another program may have written it; None, "" and text are no number)
    try:
        return value is not None and value != "" and int(value) == 0
    except (ValueError, TypeError, OverflowError):
        return False


def _to_int(value) -> int:
    try:
        return max(0, min(int(value or 0), _INT32.max))
    except (ValueError, TypeError, OverflowError):
        return 0


def _taken(columns: dict, order) -> dict:
    """Each of ``columns`` (lists or numpy arrays) with its rows in ``order``."""
    return {k: v[order] if isinstance(v, np.ndarray) else [v[i] for i in order] for k, v in columns.items()}


def _text_column(values: list) -> list[str]:
    col = [v or "" for v in values]
    if not all(type(v) is str for v in col):
        col = [v if isinstance(v, str) else str(v) for v in col]     # a number in a text column
    # One string object per distinct value: SQLite hands out a new copy for every row, and
    # artists, albums and genres repeat (about 18 MB less at 100,000 tracks).
    seen: dict[str, str] = {}
    return [seen.setdefault(v, v) for v in col]


def _float_column(values: list) -> np.ndarray:
    try:
        out = np.fromiter((v or 0.0 for v in values), dtype=np.float64, count=len(values))
    except (ValueError, TypeError):
        out = np.array([_to_float(v) for v in values], dtype=np.float64)
    return np.where(np.isfinite(out), out, 0.0)


def _to_float(value) -> float:
    try:
        return float(value or 0.0)
    except (ValueError, TypeError):
        return 0.0


@dataclass
class LibraryData:
    """Column arrays for the whole library, in library order."""

    ids: np.ndarray                               # int64 [shape=(n,)]
    text: dict[str, list[str]]                    # title/artist/album/genre
    numbers: dict[str, np.ndarray]                # track_no/year (int, 0 = none), duration (float),
    #                                               disc (int: where the album has more than one, else 0),
    #                                               track_zero (bool: a track numbered 0, not unnumbered)
    search: "SearchText"                          # search form of "title artist album genre" and _SEARCHED
    guessed: dict[str, np.ndarray] = field(default_factory=dict)   # bool [shape=(n,)]: from the path
    sort_names: dict[str, list[str]] = field(default_factory=dict)  # column -> its sort names ("" for none)
    album_by: dict[str, list[str]] = field(default_factory=dict)    # "albumartist": see album_artist
    _sort_keys: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # see sort_key
    typed: dict[str, "TypedIndex"] = field(default_factory=dict, repr=False)    # shown text column -> its index
    _fields: dict[str, "ColumnSearch"] = field(default_factory=dict, repr=False)  # column -> its search (see matching)
    plays_seen: int = 0      # the newest play the counts hold (see Store.last_play_id): a later one is not in them

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(cls, rows, naming=None) -> "LibraryData":
        """From ``sqlite3.Row``s or dicts with the store's column names. With ``naming``
        (a :class:`_Naming`), tracks without tags are named after their file and folders,
        and placed in library order by those names."""
        cols = {k: [r[k] for r in rows] for k in ("id", *_TEXT, *_NUMBERS)}
        for k in (*_SEARCHED, *_SORT_NAMES.values(), "rating"):
            cols[k] = [_get(r, k) for r in rows]
        cols["work"] = [_work_name(r) for r in rows]
        return cls.from_columns(cols, naming)

    @classmethod
    def from_columns(cls, cols: dict[str, list], naming=None, *, typed: bool = True) -> "LibraryData":
        """:meth:`from_rows` from one list per column (``id``, the table's columns and, where
        given, those of :data:`_SEARCHED` and :data:`_SORT_NAMES`, ``order_artist``: the
        artist the store's order goes by, :meth:`~player.store.Store.library_order_artists`, and
        ``album_by``: the album artist as :meth:`album_artist` names it, else the tag's).

        With ``order_artist``, rows the store's order leaves apart from the names they sort
        among (an album's discs tagged as albums of their own) are placed among them."""
        n = len(cols["id"])
        ids = np.fromiter(cols["id"], dtype=np.int64, count=n)
        text = {k: _text_column(cols[k]) for k in _TEXT}
        if cols.get("file"):
            text["file"] = cols["file"]             # (shared strings already: see load_library)
        numbers = {k: _int32_column(cols[k]) for k in ("track_no", "year")}
        # A song hidden before a CD's first track is track 0 of its album (as XLD and CUETools
        # rip it): shown "0", where a track with no number shows nothing.
        numbers["track_zero"] = np.fromiter((_is_zero(v) for v in cols["track_no"]), dtype=bool, count=n)
        numbers["duration"] = _float_column(cols["duration"])
        numbers["disc"] = _int32_column(cols["disc"]) if cols.get("disc") else np.zeros(n, dtype=np.int32)
        # (0 not rated; sorted by it, the five-star songs go together, the unrated ones last when descending)
        numbers["rating"] = np.minimum(_int32_column(cols["rating"]), 5) if cols.get("rating") else \
            np.zeros(n, dtype=np.int32)
        # A compilation without an album artist tag is found by "various" as well: the library
        # files it under Various Artists, and someone who sees it there searches for that.
        by = cols.get("album_by") or cols.get("albumartist")
        searched = {k: by if k == "albumartist" else cols.get(k) for k in _SEARCHED}
        extra = {k: _text_column(v) for k, v in searched.items() if any(v or ())}
        sort_names = {k: _text_column(cols[s]) for k, s in _SORT_NAMES.items() if any(cols.get(s) or ())}
        album_by = {"albumartist": _text_column(by)} if any(by or ()) else {}
        order_artists = cols.get("order_artist")
        if order_artists is not None and len(order_artists) == n:
            order = _accent_order(order_artists, text["album"])
            if order is not None:
                ids = ids[order]
                text, extra, sort_names, numbers, album_by = (
                    _taken(c, order) for c in (text, extra, sort_names, numbers, album_by))
                order_artists = [order_artists[i] for i in order]
                if naming is not None:
                    naming = _Naming(naming.namer, naming.untagged, order_artists)
        guessed: dict[str, np.ndarray] = {}
        if naming is not None and naming.untagged and n:
            guessed, order = _fill_names(ids, text, naming)
            if order is not None:
                ids = ids[order]
                text, extra, sort_names, numbers, guessed, album_by = (
                    _taken(c, order) for c in (text, extra, sort_names, numbers, guessed, album_by))
        # Artists, albums and genres repeat: each distinct one is put in search form once.
        folded = {k: _folded(text[k]) for k in ("title", "artist", "album", "genre")}
        texts = [f"{a}\t{b}\t{c}\t{d}" for a, b, c, d in
                 zip(folded["title"], folded["artist"], folded["album"], folded["genre"])]
        for values in extra.values():
            # (an album artist that is the artist, as on most albums, is not written twice)
            more = _folded(values)
            texts = [f"{t}\t{e}" if e and e != a else t for t, e, a in zip(texts, more, folded["artist"])]
        search = SearchText(texts)
        if "composer" in extra:
            text["composer"] = extra["composer"]     # (shown in its column too, the same strings)
        if "work" in extra:
            text["work"] = extra["work"]             # (for work:, the same strings)
        # Made here, on the loader's worker: typing to find a row asks at every key.
        # (``typed`` False: for a search alone, as ``segue play``'s, which types to find no row)
        typing = {k: TypedIndex(text[k]) for k in _SHOWN_TEXT if k in text} if typed else {}
        return cls(ids, text, numbers, search, guessed, sort_names, album_by, typed=typing)

    def matching(self, term) -> np.ndarray:
        """Which tracks hold ``term`` (a :mod:`player.library.query` term, its negation
        aside): bool per track, shared with later calls (do not change it)."""
        if isinstance(term, TextTerm):
            if term.column is None:
                return self.search.matching(term.text)
            return self.field_search(term.column).matching(term.text)
        values = self.numbers[term.column]
        hit = np.ones(len(values), dtype=bool)
        if term.low is not None:
            hit &= values >= term.low
        if term.high is not None:
            hit &= values <= term.high
        if term.column == "year" and term.high != 0:
            hit &= values != 0          # (no year: found by "year:0" only, not by "year:<1970")
        return hit

    def set_plays(self, track_ids: np.ndarray, plays: np.ndarray) -> None:
        """Each track's play count (``plays`` of ``track_ids``; the others none), for ``plays:``."""
        counts = np.zeros(len(self), dtype=np.int32)
        at = self.positions(track_ids) if len(track_ids) else np.zeros(0, dtype=np.int64)
        known = at >= 0
        counts[at[known]] = np.minimum(plays[known], np.iinfo(np.int32).max)
        self.numbers["plays"] = counts

    def count_play(self, track_id: int, by: int = 1) -> None:
        """One play more of ``track_id`` (logged since the library was read); ``by=-1``: one
        counted at its start that failed."""
        at = self.position(track_id)
        if at is not None and "plays" in self.numbers:
            plays = self.numbers["plays"]
            plays[at] = max(int(plays[at]) + by, 0)

    def field_search(self, column: str) -> "ColumnSearch":
        """One column's search, made when a query first names it (or with the library, on its
        loader's worker, where the search shown names it: :func:`load_library`'s ``fields``):
        a search by field is rare, and five of them at 100,000 tracks would hold some
        megabytes for nothing."""
        found = self._fields.get(column)
        if found is None:
            if column == "albumartist":
                # (an album without an album artist tag is its artist's, as the library files it)
                by = self.album_by.get(column) or [""] * len(self)
                values = [b or a for b, a in zip(by, self.text["artist"])]
            else:
                values = self.text.get(column) or [""] * len(self)
            found = self._fields[column] = ColumnSearch(values)
        return found

    def has_field_search(self, column: str) -> bool:
        """Whether :meth:`field_search` of ``column`` is made already (it is then at once)."""
        return column in self._fields

    def _id_map(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ids and where each sits (built once): 1.6 MB at 100,000 tracks, where a
        dict of Python ints took about 9 MB for as long as the window ran."""
        found = self.__dict__.get("_by_id")
        if found is None:
            # Made whole, then kept in one step: a worker (a saved search's songs) and the GUI
            # thread may both ask at once, and one saw the first half kept without the second.
            by_id = np.argsort(self.ids, kind="stable")
            found = self._by_id = (self.ids[by_id], by_id)
        return found

    def position(self, track_id: int) -> int | None:
        """Index of ``track_id`` in the columns, or None."""
        sorted_ids, by_id = self._id_map()
        at = int(np.searchsorted(sorted_ids, track_id))
        if at < len(sorted_ids) and sorted_ids[at] == track_id:
            return int(by_id[at])
        return None

    def positions(self, track_ids) -> np.ndarray:
        """:meth:`position` of many tracks at once; -1 for those not loaded."""
        wanted = np.asarray(track_ids, dtype=np.int64)
        sorted_ids, by_id = self._id_map()
        if not len(sorted_ids):
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
        return np.where(sorted_ids[at] == wanted, by_id[at], -1)

    def info(self, track_id: int) -> tuple[str, str, str] | None:
        """``(title, artist, album)`` of a loaded track, as the player names what plays: a
        movement's title after its work where the title names only the movement (see
        :func:`~segue_common.works.headed`)."""
        i = self.position(track_id)
        if i is None:
            return None
        return self.shown_title(i), self.text["artist"][i], self.text["album"][i]

    def shown_title(self, i: int) -> str:
        """The title of the track at position ``i`` as :meth:`info` names it: what Up next
        shows its rows by, and what typing in it must find them by."""
        works = self.text.get("work")
        return self.text["title"][i] if works is None else headed(self.text["title"][i], works[i])

    def composer(self, track_id: int) -> str:
        """The composer tag of a loaded track ("" for none, or a track not loaded)."""
        i = self.position(track_id)
        names = self.text.get("composer")
        return names[i] if i is not None and names is not None else ""

    def album_artist(self, track_id: int) -> str:
        """The album artist of a loaded track: its tag's, else "Various Artists" for a
        compilation without one (as the library orders it), else "" (none known)."""
        i = self.position(track_id)
        names = self.album_by.get("albumartist")
        return names[i] if i is not None and names is not None else ""

    def is_guessed(self, key: str, i: int) -> bool:
        """Whether column ``key`` of row ``i`` comes from the file's path, not its tags."""
        flags = self.guessed.get(key)
        return bool(flags[i]) if flags is not None else False

    def sort_key(self, key: str, *, descending: bool = False) -> np.ndarray:
        """Rows in order of ``key`` (computed once per column), rows of the same value in
        library order (album, disc, track), also ``descending``: turned round as a whole,
        a year's albums played their tracks last to first."""
        found = self._sort_keys.get(key)
        if found is None:
            if key in self.numbers:
                values = self.numbers[key]
                discs = self.numbers.get("disc") if key == "track_no" else None
                if discs is not None and discs.any():
                    # Disc, then track: "1-02" after every album's "1-01" and before "2-01" (a
                    # disc shown only where its album has two: the others go as disc 1).
                    disc = np.maximum(discs, 1).astype(np.int64)
                    values = disc << 32 | values.astype(np.int64)
                cached = np.argsort(values, kind="stable")
                in_order = values[cached]
                same = in_order[1:] == in_order[:-1]
            else:
                names = self.sort_names.get(key)
                # (the composer's column is kept only where some track has one)
                values = self.text[key] if key in self.text else [""] * len(self)
                if names is not None:
                    values = [s or v for s, v in zip(names, values)]
                keys = _sort_forms(values)
                cached = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
                in_order = [keys[i] for i in cached.tolist()]
                same = np.fromiter((a == b for a, b in zip(in_order, in_order[1:])), dtype=bool,
                                   count=max(0, len(keys) - 1))
            # Which run of equal values each row in that order belongs to (0, 1, ...).
            runs = np.zeros(len(cached), dtype=np.int32)
            np.cumsum(~same, out=runs[1:])
            # (kept together in one step: kept one after the other, a reader on another thread
            # between the two found the order without its runs, and a descending sort failed)
            found = self._sort_keys[key] = (cached, runs)
        cached, runs = found
        if not descending:
            return cached
        return cached[np.argsort(-runs, kind="stable")]


def _sort_forms(values: list[str]) -> list[str]:
    """What a text column sorts by: each value in search form (case and accents ignored: "Émile"
    among the E's, not after "Zola") with its numbers compared as numbers. Each distinct value
    is computed once."""
    return _each_once(values, sort_form)


_CACHED_TERMS = 16      # words whose matches are kept (0.1 MB each at 100,000 tracks): backspacing finds them again


def _work_name(row) -> str | None:
    """The work a stored row (or a dict with the store's column names) is a movement of."""
    return work_name(_get(row, "title"), work=_get(row, "work"), grouping=_get(row, "grouping"),
                     movement=_get(row, "movement"), movement_name=_get(row, "movementname"))


def _get(row, key: str):
    """``row[key]``, None where the row has no such column."""
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


def _folded(values: list[str]) -> list[str]:
    """:func:`search_form` of each value, each distinct value computed once."""
    return _each_once(values, search_form)


def _each_once(values: list[str], form) -> list[str]:
    """``form`` of each value, computed once for each distinct value (a library holds each
    artist, album and genre name many times)."""
    seen: dict[str, str] = {}
    out = []
    for v in values:
        f = seen.get(v)
        if f is None:
            f = seen[v] = form(v)
        out.append(f)
    return out


class SearchText:
    """The search text of every track, found by substring with numpy.

    One string per track, in library order, joined into one UTF-8 byte array (a newline
    after each). A word is searched for in all of it at once and each hit mapped back to
    its track: 1-5 ms at 100,000 tracks whatever the table's sort order, where testing one
    Python string per row took 5-12 ms in library order and 25-37 ms sorted by a column
    (rows visited out of memory order). Matching bytes is the same as matching the text:
    UTF-8 is self-synchronising, so an encoded word can only match at a character boundary;
    and a word never holds whitespace, so it never runs from one field or track into the next.
    """

    def __init__(self, texts: list[str]):
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        self._n = len(encoded)
        self._bytes = np.frombuffer(b"\n".join(encoded) + b"\n", dtype=np.uint8) if encoded \
            else np.zeros(0, dtype=np.uint8)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=self._n)
        self._starts = np.zeros(self._n, dtype=np.int64)
        np.cumsum(lengths[:-1] + 1, out=self._starts[1:])
        whole = len(self._bytes)
        # The text as two-byte words from even and from odd offsets: a word's first two
        # bytes are found in one pass over each, far fewer hits than its first byte.
        self._pairs = (self._bytes[: whole // 2 * 2].view(np.uint16),
                       self._bytes[1: 1 + (whole - 1) // 2 * 2].view(np.uint16))
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    def matching(self, word: str) -> np.ndarray:
        """Which tracks' text contains ``word`` (in search form, no whitespace): bool per
        track. The array is shared with later calls: do not change it."""
        # (the cache under a lock: the window's search box and the worker that works out the
        # saved searches' songs search one library at once, and both putting out the oldest
        # word raised in one of them; the search itself runs outside it)
        with self._lock:
            hit = self._cache.pop(word, None)
            if hit is not None:
                self._cache[word] = hit    # (re)inserted last: the oldest goes first
                return hit
        hit = self._find(word.encode("utf-8", "surrogatepass"))
        with self._lock:
            self._cache.pop(word, None)
            while len(self._cache) >= _CACHED_TERMS:
                del self._cache[next(iter(self._cache))]
            self._cache[word] = hit
        return hit

    def _find(self, needle: bytes) -> np.ndarray:
        hay, n = self._bytes, self._n
        if not n:
            return np.zeros(0, dtype=bool)
        if len(needle) == 1:
            return np.logical_or.reduceat(hay == needle[0], self._starts)
        pair = np.frombuffer(needle[:2], dtype=np.uint16)[0]
        even, odd = self._pairs
        at = np.concatenate((np.flatnonzero(even == pair) * 2, np.flatnonzero(odd == pair) * 2 + 1))
        at = at[at <= len(hay) - len(needle)]
        for k in range(2, len(needle)):
            at = at[hay[at + k] == needle[k]]
        if len(at) > n // 8:           # many hits: one pass over the text beats a search per hit
            marks = np.zeros(len(hay), dtype=bool)
            marks[at] = True
            return np.logical_or.reduceat(marks, self._starts)
        hit = np.zeros(n, dtype=bool)
        hit[np.searchsorted(self._starts, at, side="right") - 1] = True
        return hit


class ColumnSearch:
    """One column's text found by substring: each distinct value searched once (a
    :class:`SearchText` of them), the hits spread to the tracks that hold it. Artists, albums
    and genres repeat: at 100,000 tracks the artists held 2.8 MB as one search text per
    track, 0.5 MB as their distinct values (``python -m benchmarks.bench_library_query``)."""

    def __init__(self, values: list[str]):
        codes: dict[str, int] = {}
        self._codes = np.fromiter((codes.setdefault(v, len(codes)) for v in values), dtype=np.int32,
                                  count=len(values))
        self._search = SearchText(_folded(list(codes)))
        self._cache = self._search._cache      # (what a benchmark forgets, to time a word afresh)

    def matching(self, word: str) -> np.ndarray:
        """Which tracks' value contains ``word`` (search form): bool per track."""
        return self._search.matching(word)[self._codes]


class TypedIndex:
    """One text column as typing to find a row compares it (:func:`typed_form`), for a
    keystroke to find the rows that start with what was typed without folding every row.

    Each distinct value's typed form, sorted and joined into one UTF-8 byte string, and each
    row's place in that order: the values that start with a given text are one run of that
    order (found by halving), so the rows that do are those whose place falls in it, a
    comparison numpy makes for every row at once. Folding every row at each key held the
    window for 40-50 ms at 100,000 tracks. Bytes keep it small (a Python string per distinct
    value took about three times as much) and order as the text does: UTF-8 sorts by code
    point, and one text starts with another exactly when its bytes do.
    """

    def __init__(self, values: list[str]):
        forms: dict[str, str] = {}
        for v in values:
            if v not in forms:
                forms[v] = typed_form(v)
        distinct = sorted(set(forms.values()))
        place = {f: i for i, f in enumerate(distinct)}
        by_value = {v: place[f] for v, f in forms.items()}
        del forms, place
        #: each row's place among the sorted distinct forms
        self.places = np.fromiter((by_value[v] for v in values), dtype=np.int32, count=len(values))
        encoded = [f.encode("utf-8", "surrogatepass") for f in distinct]
        self._bytes = b"".join(encoded)
        bounds = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=bounds[1:])
        # (where each form starts: half the memory as int32, which holds any real library's text)
        self._bounds = bounds.astype(np.int32) if len(self._bytes) <= np.iinfo(np.int32).max else bounds

    @property
    def nbytes(self) -> int:
        """The memory it holds, in bytes."""
        return len(self._bytes) + self.places.nbytes + self._bounds.nbytes

    def span(self, typed: str) -> tuple[int, int]:
        """The places ``lo <= place < hi`` of the values that start with ``typed`` (any case)."""
        wanted = typed_form(typed).encode("utf-8", "surrogatepass")
        size, data, bounds = len(wanted), self._bytes, self._bounds

        def head(i: int) -> bytes:          # the first bytes of the i-th form, as many as typed
            at = int(bounds[i])
            return data[at: min(at + size, int(bounds[i + 1]))]

        places = range(len(bounds) - 1)
        return bisect_left(places, wanted, key=head), bisect_right(places, wanted, key=head)


@dataclass
class _Naming:
    """What naming untagged tracks needs, read on the worker with the rows."""

    namer: Namer
    untagged: dict            # track id -> (id, path, folder_id, albumartist)
    order_artists: list       # the library order's artist per row (album artist, else artist)


def _fill_names(ids: np.ndarray, text: dict[str, list[str]], naming: _Naming):
    """Fill in names from files and folders where tags are missing (in ``text``, in place).

    Returns which cells were filled (bool arrays) and a new row order, or None when the
    order stands. The store returns library order by tags, where a track without artist
    tags comes first; those are moved to where their folder-derived artist and album
    belong (after the tagged tracks of the same artist and album), so an untagged album
    sits among the others instead of heading the library.
    """
    n = len(ids)
    flags = {k: np.zeros(n, dtype=bool) for k in _GUESSABLE}
    titles, artists, albums = text["title"], text["artist"], text["album"]
    tagged_albums = list(albums)
    no_artist: list[int] = []
    guessed_title, guessed_artist, guessed_album = flags["title"], flags["artist"], flags["album"]
    path_names, untagged = naming.namer.path_names, naming.untagged
    for i, track_id in enumerate(ids.tolist()):
        r = untagged.get(track_id)
        if r is None:
            continue
        _id, path, folder_id, albumartist = r
        if not artists[i] and albumartist:
            artists[i] = albumartist
            if titles[i] and albums[i]:
                continue
        title, artist, album = path_names(path, folder_id)
        if not titles[i] and title:
            titles[i] = title
            guessed_title[i] = True
        if not artists[i]:
            no_artist.append(i)
            if artist:
                artists[i] = artist
                guessed_artist[i] = True
        if not albums[i] and album:
            albums[i] = album
            guessed_album[i] = True
    if not no_artist:
        return flags, None

    def named(i: int) -> tuple:
        return order_form(artists[i]), order_form(albums[i])

    if len(no_artist) == n:
        # (none tagged: by the names shown, not the store's order of their album tags)
        order = sorted(range(n), key=named)
        return flags, np.array(order, dtype=np.int64) if order != list(range(n)) else None
    moving = np.zeros(n, dtype=bool)
    moving[no_artist] = True
    staying = np.flatnonzero(~moving).tolist()
    # The store's order: album artist (else artist), then album, as tagged.
    order_artists = naming.order_artists
    if len(order_artists) != n:
        return flags, None
    keys = [(order_form(order_artists[i]), order_form(tagged_albums[i])) for i in staying]
    slots: list[list[int]] = [[] for _ in range(len(staying) + 1)]
    for i in no_artist:
        slots[bisect_right(keys, (order_form(artists[i]), order_form(albums[i])))].append(i)
    order: list[int] = []
    for tracks in slots:
        # (two between the same tagged tracks by the names shown: the store ordered them by
        # their album tags only, "Alpha" in a folder "Zed" before "Beta" in a folder "Abba")
        tracks.sort(key=named)
    for at, i in enumerate(staying):
        order.extend(slots[at])
        order.append(i)
    order.extend(slots[-1])
    return flags, np.array(order, dtype=np.int64)


def _accent_order(order_artists: list[str], albums: list[str]) -> np.ndarray | None:
    """The store's rows (in its order) in order of their artist and album as the library
    compares them (:func:`~player.library.albums.order_form`), or None where that is the order
    they are in: the store's keys are made by the same form, so a library of plain ASCII names
    costs one look at each distinct name. Rows of one artist and album keep the
    store's order (disc, track, file) and an album's discs tagged as albums of their own
    ("Été (Disc 1)", "Été (Disc 2)") theirs."""
    if all(a.isascii() for a in set(order_artists)) and all(a.isascii() for a in set(albums)):
        return None
    # (an album's title without the disc it names: "Été (Disc 2)" is a disc of "Été", as the
    # store's rows were put in order)
    artists = _each_once(order_artists, order_form)
    titles = _each_once([title_disc(a)[0] for a in albums], order_form)
    keys = list(zip(artists, titles))
    if all(a <= b for a, b in zip(keys, keys[1:])):
        return None
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


# What tells one release from another of the same title (see _release_order), read with
# the rows and dropped once the order is made ("path" as its folder only).
_RELEASE = ("compilation", "folder_compilation", "mb_album_id", "disc_no", "path")
_VARIOUS = "Various Artists"     # the store's order artist of a compilation without an album artist


def _file_kind(path: str) -> str:
    """"FLAC", "MP3": a file's format as its name says it ("" for none)."""
    name = path.replace("\\", "/").rpartition("/")[2] if path else ""
    # (a track of a CUE sheet is named "album.flac#3")
    return name.rpartition(".")[2].partition("#")[0].upper() if "." in name else ""


def _file_tip(kind: str, folder: str) -> str:
    # (shown: a folder's name may hold a line break or bytes no encoding names)
    return f"{kind} file in {shown(folder)}" if kind else f"In {shown(folder)}"


def _folder_of(path: str) -> str:
    return path.replace("\\", "/").rpartition("/")[0] if path else ""


def _discs_shown(albums: list, release: dict[str, list]) -> list[int]:
    """Each row's disc where its album has more than one (0 elsewhere), for the "#" column: a
    two-disc set read "1" twice. The disc is found as the album's order finds it
    (:func:`~player.library.albums.album_slot`): its tag, else its album title's ("The Wall
    (Disc 2)"), else its folder's ("CD2"), else its file name's ("2-01 Song"). An album is its
    title (less the disc it names) on one release: its release id, else its folder (the one
    above a "CD2" folder)."""
    discs, folders, mb_ids, file_discs = (release[k] for k in ("disc_no", "path", "mb_album_id", "file_disc"))
    n = len(albums)
    out = [0] * n
    # Only titles with a second disc somewhere can be albums of two: each distinct title and
    # folder is read once, and only those titles' rows one by one (every row read took a
    # quarter of a second at 100,000 tracks, nearly all of them on albums of one disc).
    titles = {a: title_disc(a) for a in set(albums) if a and type(a) is str}
    base = {a: (t.casefold(), no) for a, (t, no) in titles.items()}
    # (a disc folder's name begins "CD", "Disc" or "Disk": the others are not read further)
    folder_disc = {f: path_numbers(f + "/x")[1] if f.rpartition("/")[2][:3].lower().startswith(("cd", "dis"))
                   else None for f in set(folders)}
    second = {a for a, (_, no) in base.items() if no and no > 1}
    second.update(albums[i] for i, d in enumerate(discs)
                  if d is not None and d != 1 and (d > 1 if type(d) is int else _to_int(d) > 1))
    second.update(albums[i] for i, d in enumerate(file_discs) if d is not None and d > 1)
    deep = {f for f, d in folder_disc.items() if d and d > 1}
    if deep:
        second.update(albums[i] for i, f in enumerate(folders) if f in deep)
    wanted = {base[a][0] for a in second if a in base}
    if not wanted:
        return out
    releases: dict[str, str] = {}
    found: dict[tuple, set] = {}
    rows = []
    for i in (i for i, a in enumerate(albums) if a in base and base[a][0] in wanted):
        title, number = base[albums[i]]
        number = _to_int(discs[i]) or number or folder_disc[folders[i]] or file_discs[i] or 0
        folder = folders[i]
        if not mb_ids[i] and folder not in releases:
            releases[folder] = release_folder(folder + "/x")
        key = (title, mb_ids[i] or releases[folder])
        found.setdefault(key, set()).add(number or 1)
        rows.append((i, key, number))
    for i, key, number in rows:
        if len(found[key]) > 1:
            out[i] = number
    return out


def _release_order(cols: dict[str, list], release: dict[str, list], order_artists):
    """The store's rows in an order that keeps each release together, or None where the
    store's order does (most libraries): ``(row order, the order artist of each row in it,
    or None where those stay)``.

    The store orders by artist, album title, disc and track. A compilation flagged on some
    of its tracks only (no album artist) went under "Various Artists" for those and under
    each track's own artist for the rest: here the rest of it goes with them. Two releases
    of one title and artist (two "Greatest Hits" of Various Artists) were one album, their
    tracks taking turns by number: here each is kept together, told apart by its
    MusicBrainz release id, else its folder (the one above a "CD2" folder).
    Within a release the order is :func:`~player.library.albums.album_slot`'s: the discs of
    an album ripped into "CD1" and "CD2" folders (or as "1-01 Song", "2-01 Song" in one)
    without disc tags took turns track by track as well, and a bonus track without a number
    headed its album.
    ``order_artists()`` reads the store's order artists, asked for only where needed."""
    albums = [v if isinstance(v, str) else str(v or "") for v in cols["album"]]
    n = len(albums)
    flags, album_artists, sort_names = release["compilation"], cols["albumartist"], release["albumartistsort"]
    mb_ids, folders = release["mb_album_id"], release["path"]
    artists, artist_sorts = cols["artist"], cols.get("artistsort") or [None] * n
    release_of: dict[str, str] = {}
    folder_ids: dict[tuple[str, str], str] | None = None

    def folder_of(i: int) -> str:
        folder = folders[i]
        found = release_of.get(folder)
        if found is None:
            found = release_of[folder] = release_folder(folder + "/x")
        return found

    def place(i: int) -> str:
        nonlocal folder_ids
        if mb_ids[i]:
            return mb_ids[i]
        if folder_ids is None:
            # A track without the release id that the other tracks of its title in its folder
            # carry (one tagged by hand, a rip put in later) is on their release: it went after
            # their last track. A folder with two release ids of the title tells nothing.
            folder_ids = {}
            for j in range(n):
                if mb_ids[j] and albums[j]:
                    key = (albums[j], folder_of(j))
                    folder_ids[key] = mb_ids[j] if folder_ids.get(key, mb_ids[j]) == mb_ids[j] else ""
        return folder_ids.get((albums[i], folder_of(i))) or folder_of(i)

    def no_album_artist(i: int) -> bool:
        return not album_artists[i] and not sort_names[i]

    folder_discs: dict[str, int | None] = {}

    def slot(i: int) -> tuple[int, int]:
        folder = folders[i]
        disc = folder_discs.get(folder, 0)
        if disc == 0:
            disc = folder_discs[folder] = path_numbers(folder + "/x")[1]
        track = tracks[i] if tracks[i] is not None else file_tracks[i]
        return album_slot(discs[i], title_disc(albums[i])[1] or disc or file_discs[i], track)

    folded: dict = {}

    def fold(v):
        # (the store compares titles and names with case ignored: "Greatest hits" of one
        # release and "Greatest Hits" of another take turns in its order as one title)
        if type(v) is not str:
            return v
        found = folded.get(v)
        if found is None:
            found = folded[v] = v.casefold()
        return found

    titled: dict = {}

    def title(v: str) -> str:
        # (an album's title without the disc it names, casefolded: "The Wall (Disc 1)" and
        # "The Wall (Disc 2)" are one album, in the order of their discs)
        found = titled.get(v)
        if found is None:
            found = titled[v] = title_disc(v)[0].casefold()
        return found

    def run_key(i: int) -> tuple:
        # The rows of one title by one artist, as the store orders them (near enough: a
        # false alarm costs only the time to find the order they have). The artist's sort
        # name comes before the album artist where the two are one artist, as in the store's
        # order: else one release's track by "Björk" sorted as "Abba" was taken for another
        # run than its album's others, and stayed apart from them.
        by = album_artists[i]
        own_sort = artist_sorts[i] if by is not None and by == artists[i] else None
        return title(albums[i]), fold(sort_names[i] or own_sort or by or (_VARIOUS if flags[i] == 1 else None)
                                     or artist_sorts[i] or artists[i])

    # Albums flagged as a compilation on one of their tracks, by title and folder (the one
    # above a "CD2" folder: the flag on one disc's tracks only).
    flagged = {(albums[i], folder_of(i)) for i in range(n) if flags[i] == 1 and albums[i] and no_album_artist(i)}
    moving = [i for i in range(n) if flags[i] != 1 and albums[i] and no_album_artist(i)
              and (albums[i], folder_of(i)) in flagged] if flagged else []
    discs, tracks = release["disc_no"], cols["track_no"]
    file_discs = release.get("file_disc") or [None] * n
    file_tracks = release.get("file_track") or [None] * n
    # An album under two names (a sort name on some of its tracks only, a guest named first on
    # one): each of its tracks under the album's one name.
    sorts = {"albumartist": album_artists, "albumartistsort": sort_names, "artist": artists,
             "artistsort": artist_sorts, "compilation": flags}
    own_artists = order_artists_of(sort_names, artist_sorts, album_artists, artists, flags)
    named = one_order_albums(albums, folder_of, sorts, own_artists)
    anchors = anchored(named, own_artists)
    if not moving and all(anchor is not None for _, anchor in anchors):
        # Only the rows of a title by one artist change places, among themselves: each
        # release's rows together, in the order the releases first come, and in each its
        # discs and tracks in their order (looked at only where the rows lie in more than one
        # folder, one lacks its number or its disc is only in its file name: the store's order
        # is theirs otherwise).
        order, at = None, 0
        at_key = run_key(0) if n and albums[0] else None       # (each row's key made once)
        for end in range(1, n + 1):
            key = run_key(end) if end < n and albums[end] else None
            if key is not None and key == at_key:
                continue
            if end - at > 1 and albums[at] and (
                    # (one release in two folders: a "CD2" folder names a disc its tags may not)
                    any(mb_ids[i] != mb_ids[at] or folders[i] != folders[at] for i in range(at + 1, end))
                    or albums[end - 1] != albums[at]      # (its discs' titles, in the order of their letters)
                    or any(tracks[i] is None or file_discs[i] for i in range(at, end))
                    # (a track without the disc tag its album's others carry: the store puts it first)
                    or None in discs[at:end] and discs[at:end].count(None) != end - at):
                ranks: dict[str, int] = {}
                keys = {i: (ranks.setdefault(place(i), len(ranks)), *slot(i), i) for i in range(at, end)}
                runs = sorted(range(at, end), key=keys.__getitem__)
                if runs != list(range(at, end)):
                    order = order or list(range(n))
                    order[at:end] = runs
            at, at_key = end, key
        if not named:
            return (order, None) if order is not None else None
        # An album under two names (a sort name on some of its tracks only, a guest named
        # first on one) moved to where its tracks under its one name are, the rest of the
        # library staying where it is: sorting the whole library again took longer than the
        # rest of the load's ordering together.
        def in_album_order(albums: list[list[int]]) -> list[list[int]]:
            # (each release of an album together, in the order they first come, as the rows of
            # a title by one artist are ordered above)
            def ordered(rows: list[int]) -> list[int]:
                ranks: dict[str, int] = {}
                return sorted(rows, key=lambda i: (ranks.setdefault(place(i), len(ranks)), *slot(i), i))
            return [ordered(rows) for rows in albums]

        order = moved_together(list(range(n)) if order is None else order, anchors, in_album_order)
        order_by = [v if isinstance(v, str) else str(v or "") for v in own_artists]
        for rows, name in named:
            for i in rows:
                order_by[i] = name
        return order, [order_by[i] for i in order]
    order_by = [v if isinstance(v, str) else str(v or "") for v in order_artists()]
    for i in moving:
        order_by[i] = _VARIOUS
    for rows, name in named:
        for i in rows:
            order_by[i] = name
    places: dict[str, int] = {}
    place_rank = [places.setdefault(place(i), len(places)) if albums[i] else -1 for i in range(n)]
    forms: dict[str, str] = {}
    artist_forms, album_forms = ([forms[v] if v in forms else forms.setdefault(v, order_form(v)) for v in names]
                                 for names in (order_by, [title_disc(a)[0] for a in albums]))
    keys = [(artist_forms[i], album_forms[i], place_rank[i], *slot(i), i) for i in range(n)]
    order = sorted(range(n), key=keys.__getitem__)
    return order, [order_by[i] for i in order]


def not_connected(folder: str) -> str:
    """What a track of a library folder not connected now says of itself."""
    return f"On {shown(folder)}, not connected now"


#: What a song queued whose file the last scan found gone (deleted, or moved where no scan found it) says of itself.
FILE_GONE = "File not found at the last scan"


def load_library(store, sort_by: str | None = None, fields=(), *, shown: bool = True) -> LibraryData:
    """Read every playable track (call on a worker thread). ``sort_by``: the column the
    table is sorted by, whose ranks are made here too: made by the table when the library
    lands, they held the window for about a tenth of a second at 50,000 tracks at the end of
    every scan. So are every text column's: a click on a text column's header put each of
    its values in sort form on the GUI thread, a quarter of a second at 100,000 titles that
    carry numbers and accents. ``fields``: the text columns the search shown names
    (``title:``), whose searches are made here as well: made when the library landed, they
    held the window for a twentieth to a tenth of a second at 100,000 tracks after every
    scan or edit while such a search was shown. ``shown`` False: read for a search alone
    (``segue play``'s), without what only the table uses (each column's ranks, the index
    typing in it searches, the files' tooltips): the same tracks found, in the same order,
    a third sooner at 100,000 tracks (``python -m benchmarks.bench_library_query``)."""
    with store.snapshot():             # one snapshot: a scan writing meanwhile cannot skew the reads
        # A chunk of rows at a time, keeping the values: all 100,000 rows at once leave the
        # window bigger long after they are gone (memory they fragmented).
        # Repeated names are shared as they arrive, so their copies are freed chunk by chunk.
        # (the album artist's sort name only to see whether the order's names are plain ASCII:
        # the library order goes by it first)
        keys = ("id", *_TEXT, *_NUMBERS, *_SEARCHED, *_SORT_NAMES.values(), "albumartistsort", "rating", *_RELEASE)
        cols: dict[str, list] = {k: [] for k in keys}
        seen: dict[str, dict] = {k: {} for k in (*_TEXT, *_SEARCHED, *_SORT_NAMES.values(), "albumartistsort",
                                                 *_RELEASE)}
        file_discs: list[int | None] = []
        file_tracks: list[int | None] = []
        files: dict[tuple[str, str], str] = {}
        cols["file"] = []
        for chunk in store.library_row_chunks((*keys, *_WORK_TAGS)):
            for k in keys:
                if k == "work":
                    shared = seen[k]
                    cols[k].extend([shared.setdefault(v, v) if v is not None else v
                                    for v in map(_work_name, chunk)])
                elif k == "path":
                    # (only its folder is kept: the whole paths cost some 10 MB at 100,000 tracks)
                    shared = seen[k]
                    folders = [shared.setdefault(v, v) for v in (_folder_of(r[k]) for r in chunk)]
                    cols[k].extend(folders)
                    # What the file is and where, for the title's tooltip: one song in two
                    # files (an album's FLAC and its phone copy in MP3) shows as two rows
                    # alike in every column. One string per format and folder, shared.
                    if shown:
                        cols["file"].extend([files.get(pair) or files.setdefault(pair, _file_tip(*pair))
                                             for pair in zip((_file_kind(r[k]) for r in chunk), folders)])
                    # (the disc a file's name gives, "1-03 Song", where no tag does: for the
                    # album's order, as its name is not kept)
                    file_discs.extend([file_disc(r[k], r["track_no"]) if r["disc_no"] is None else None
                                       for r in chunk])
                    # (and the track number, "1 Intro" ... "10 Outro", where no tag gives one:
                    # by its path the album went 1, 10, 11, 2; the player and Up next go by
                    # the file name's number)
                    file_tracks.extend([path_numbers(r[k])[0] if r["track_no"] is None else None
                                        for r in chunk])
                elif k in seen:
                    shared = seen[k]
                    cols[k].extend([shared.setdefault(v, v) if type(v) is str else v for v in (r[k] for r in chunk)])
                else:
                    cols[k].extend([r[k] for r in chunk])
        if not shown:
            del cols["file"]
        untagged = {r[0]: r for r in store.untagged_rows()}
        naming = None
        release = {k: cols.pop(k) for k in _RELEASE}
        release["file_disc"] = file_discs
        release["file_track"] = file_tracks
        cols["disc"] = _discs_shown(cols["album"], release)
        # A compilation found by its folder (no flag in its tags: a soundtrack) goes as a flagged
        # one, as the store orders it (player.library.albums.is_compilation).
        release["compilation"] = [1 if found == 1 else flag
                                  for flag, found in zip(release["compilation"], release.pop("folder_compilation"))]
        release["albumartistsort"] = cols.pop("albumartistsort")
        names = ("artist", "album", "albumartist", "artistsort", "albumartistsort")
        order_artists = None
        if untagged or not all(v.isascii() for k in names for v in seen[k]):
            # (read only where names need it: the list costs a few MB at 100,000 tracks)
            order_artists = cols["order_artist"] = store.library_order_artists()
        order = _release_order(cols, release, lambda: order_artists or store.library_order_artists())
        # A compilation without an album artist is "Various Artists"'s, as it is ordered, for a
        # desktop's media control and the search.
        cols["album_by"] = [_VARIOUS if flag == 1 and not by and not sort_name else by for flag, by, sort_name
                               in zip(release["compilation"], cols["albumartist"], release["albumartistsort"])]
        del release
        if order is not None:
            order, artists = order
            cols = {k: [v[i] for i in order] for k, v in cols.items() if k != "order_artist" or artists is None}
            if artists is not None:
                cols["order_artist"] = artists
        if untagged:
            naming = _Naming(Namer.of(store), untagged, cols["order_artist"])
        played, plays = store.plays_per_track()
        seen = store.last_play_id()
    data = LibraryData.from_columns(cols, naming, typed=shown)
    data.position(-1)      # build the id map here, not on the GUI thread
    data.set_plays(played, plays)
    data.plays_seen = seen
    ranked = (sort_by, *_TEXT, *(k for k in ("composer",) if k in data.text)) if shown else ()
    for key in dict.fromkeys(ranked):
        if key is not None:
            data.sort_key(key)
    for column in dict.fromkeys(fields):
        data.field_search(column)
    return data


def searched_fields(terms) -> tuple[str, ...]:
    """The text columns ``terms`` search by field (``artist:x`` names "artist"), for
    :func:`load_library`'s ``fields``."""
    return tuple(dict.fromkeys(t.column for t in terms if isinstance(t, TextTerm) and t.column is not None))


def read_plays(store) -> tuple[np.ndarray, np.ndarray, int]:
    """``(track ids, plays, the newest play they hold)`` read in one snapshot (call on a
    worker): for :meth:`LibraryData.set_plays`, and to know which plays counted meanwhile
    they miss."""
    with store.snapshot():
        played, plays = store.plays_per_track()
        return played, plays, store.last_play_id()


def read_query(data: LibraryData, text: str) -> Query:
    """``text`` (the search box's language) read over ``data``: a number field the library was
    read without is searched for as plain text, as typed, not as "none of them"."""
    query = parse(text)
    missing = sorted({t.column for t in query.terms if isinstance(t, NumberTerm)} - set(data.numbers))
    if missing:
        query = Query(plain_query(text), problem=f"{', '.join(missing)}: not known to this library "
                                                 "\u2014 searched as plain text")
    return query


def matching(data: LibraryData, terms: list) -> np.ndarray | None:
    """Which tracks of ``data`` hold every one of ``terms`` (bool per track); None: no terms, all of them."""
    hit = None
    for t in dict.fromkeys(terms):
        found = data.matching(t)
        if t.negated:
            found = ~found
        hit = found if hit is None else hit & found
    return hit


def query_track_ids(data: LibraryData, text: str) -> tuple[list[int], str]:
    """The tracks ``text`` finds in ``data``, in library order, as the library's table shows them
    searched for it (a saved search's songs, ``segue play``'s), and why it was read as plain
    text if it was (else "")."""
    query = read_query(data, text)
    hit = matching(data, query.terms)
    ids = data.ids if hit is None else data.ids[hit]
    return ids.tolist(), query.problem


def _empty() -> LibraryData:
    return LibraryData.from_rows([])
