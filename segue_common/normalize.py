"""Normalised artist and title strings, so that one song matches itself everywhere.

The library, the shipped priors (MSD, Last.fm) and listening logs each spell
names their own way: "The Beatles" / "Beatles, The", "Song (Remastered 2009)",
full-width characters, accents. :func:`match_key` maps them to one key.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

_BRACKETS = re.compile(
    r"\s*[\(\[][^\)\]]*(remaster|live|version|edit|mono|stereo|mix|feat|ft\.|bonus|demo)[^\)\]]*[\)\]]", re.I)
_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$", re.I)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_THE_SUFFIX = re.compile(r",\s*the$", re.I)
# What any rewrite of a plain-ASCII name or title below looks for: a bracket, a dash, "&", a
# comma (", The"), "ft"/"feat". Most of a library's titles have none, and for those the key
# is the lower-cased words alone (see :func:`_plain_words`).
_REWRITTEN = re.compile(r"[-(\[&,]|ft|feat", re.I)


def _plain_words(text: str) -> str | None:
    """The key of an ASCII ``text`` that no rewrite touches: its words, lower-cased, one space
    apart; None where a rewrite may apply. Going through every pattern of each rewrite for
    each of 100,000 titles, most of them plain, was most of the time Discover took to tell
    which files are one song."""
    if not text.isascii() or _REWRITTEN.search(text):
        return None
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


@functools.lru_cache(maxsize=65536)
def normalize_name(text: str | None) -> str:
    """Lower-case, accent-free, punctuation-free form of an artist or title.

    >>> normalize_name("Beatles, The")
    'the beatles'
    >>> normalize_name("Hey Jude (Remastered 2009)")
    'hey jude'
    >>> normalize_name("Björk")
    'bjork'
    """
    if not text:
        return ""
    plain = _plain_words(text)
    if plain is not None:
        return plain
    text = unicodedata.normalize("NFKC", text).strip()
    text = _BRACKETS.sub("", text)
    text = _FEAT.sub("", text)
    if _THE_SUFFIX.search(text):
        text = "the " + _THE_SUFFIX.sub("", text)
    text = text.replace("&", " and ")
    if text.isascii():
        # (no accent to take off an ASCII name: walking it a character at a time was most of
        # the time Discover took to key a large library's songs, nearly all of them ASCII)
        text = text.casefold()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def match_key(artist: str | None, title: str | None) -> str | None:
    """``"artist\\x1ftitle"`` normalised, or None when either part is unknown."""
    a, t = normalize_name(artist), normalize_name(title)
    if not a or not t:
        return None
    return f"{a}\x1f{t}"


# -- looser forms, for matching another service's names to the library -----------------
# They never change normalize_name / match_key: the shipped priors are keyed by those.
# Services write versions as a dash suffix ("Song - Remastered 2009", "Song - From
# "Film"", "Song - Radio Edit") where tags use brackets or nothing.
_VERSION = (r"(remaster|live|version|edit|mono|stereo|mix|feat|ft\.|featuring|bonus|demo|from\s|recorded|session"
            r"|\b\d{4}\b)")
_DASH_VERSION = re.compile(r"\s+[-\u2013\u2014]\s+[^-\u2013\u2014]*" + _VERSION + r".*$", re.I)
_BRACKET_FROM = re.compile(r"\s*[\(\[][^\)\]]*\bfrom\b[^\)\]]*[\)\]]", re.I)
_ANY_BRACKET = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
_DASH_TAIL = re.compile(r"\s+[-\u2013\u2014]\s+.*$")
_TRACK_NUMBER = re.compile(r"^\s*\d{1,3}\s*[-._)]?\s+(?=\S)")
_ARTIST_SPLIT = re.compile(
    r"\s*(?:,|;|/|&|\+|\bfeat\b\.?|\bft\b\.?|\bfeaturing\b|\bwith\b|\bx\b|\bvs\b\.?|\band\b)\s*", re.I)
_THE_PREFIX = re.compile(r"^the\s+")


#: How a track tagged with several artists (several ARTIST comments, an ID3v2.4 list) is
#: stored and shown: "One; Two; Three".
ARTISTS_JOINED_BY = "; "


def first_of_artists(artist: str | None) -> str | None:
    """The first of the artists a track is tagged with (see :data:`ARTISTS_JOINED_BY`): the
    one its keys and the recommender's artist go by, as when only it was read.

    >>> first_of_artists("One; Two; Three"), first_of_artists("Simon & Garfunkel")
    ('One', 'Simon & Garfunkel')
    """
    return artist.split(ARTISTS_JOINED_BY, 1)[0] if artist else artist


@functools.lru_cache(maxsize=65536)
def primary_artist(artist: str | None) -> str:
    """The first credited artist, normalised, without a leading "the".

    >>> primary_artist("Beyoncé feat. JAY-Z"), primary_artist("The Beatles"), primary_artist("Simon & Garfunkel")
    ('beyonce', 'beatles', 'simon')
    """
    if not artist:
        return ""
    text = unicodedata.normalize("NFKC", artist).strip()
    if _THE_SUFFIX.search(text):
        text = "the " + _THE_SUFFIX.sub("", text)
    first = next((p for p in _ARTIST_SPLIT.split(text) if p and p.strip()), text)
    return _THE_PREFIX.sub("", normalize_name(first) or normalize_name(text))


@functools.lru_cache(maxsize=65536)
def credited_artists(artist: str | None) -> frozenset[str]:
    """Every artist a credit names, each as :func:`primary_artist` keys it. Kept for each
    credit, as :func:`primary_artist` is: Discover asks it of every compilation's track at
    each refresh, most of them "Various Artists", and splitting the same credit each time
    was most of that work (frozen, as one set is handed to every caller).

    >>> sorted(credited_artists("Everlast & Santana")), sorted(credited_artists("The Beatles"))
    (['everlast', 'santana'], ['beatles'])
    """
    if not artist:
        return frozenset()
    return frozenset({primary_artist(p) for p in _ARTIST_SPLIT.split(artist) if p and p.strip()} - {""})


def _drop_artist_prefix(title: str, artist: str | None) -> str:
    """ "Les Loups - Enough" by Les Loups -> "Enough" (some uploads name the artist in the title)."""
    if artist and " - " in title:
        head, _, rest = title.partition(" - ")
        if rest and normalize_name(head) == normalize_name(artist):
            return rest
    return title


@functools.lru_cache(maxsize=65536)
def loose_title(title: str | None, artist: str | None = None) -> str:
    """A title without version words in any form, the artist's name in front or a featured artist.

    >>> loose_title("Hey Jude - Remastered 2009"), loose_title('Jaan Ban Gaye - From "Khuda Haafiz"')
    ('hey jude', 'jaan ban gaye')
    """
    if not title:
        return ""
    plain = _plain_words(title)
    if plain is not None:
        return plain
    text = _drop_artist_prefix(unicodedata.normalize("NFKC", title).strip(), artist)
    text = _BRACKET_FROM.sub("", _DASH_VERSION.sub("", text))
    return normalize_name(text) or normalize_name(title)


# Quotes and dashes that keyboards and taggers write in several ways: one spelling each.
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
                              "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2013": "-", "\u2014": "-"})


@functools.lru_cache(maxsize=65536)
def spelled_title(title: str | None) -> str:
    """A title as it is spelled, punctuation kept: only case, accents, typographic quotes and
    dashes, spacing and version words ("(Remastered)", "- Remastered 2011", "feat.") go.
    Two songs of one artist may differ in nothing else ("In the Flesh?" and "In the Flesh"
    on one album), which every looser form joins.

    >>> spelled_title("In the Flesh? - 2011 Remaster"), spelled_title("Don\u2019t  Stop (feat. X)")
    ('in the flesh?', "don't stop")
    """
    if not title:
        return ""
    text = unicodedata.normalize("NFKC", title).strip()
    text = _FEAT.sub("", _BRACKETS.sub("", _DASH_VERSION.sub("", text)))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().translate(_TYPOGRAPHIC)
    return " ".join(text.split())


# One song (same :func:`recording_key`) whose copies' lengths are this close is one recording:
# a live take or an edit runs longer or shorter, a re-encode or a remaster does not.
SAME_RECORDING_S = 4.0


def same_length(a: float | None, b: float | None) -> bool:
    """Whether two copies of one song (same :func:`recording_key`) are one recording by their
    lengths: within ``SAME_RECORDING_S``. A length not known (None, NaN) is no evidence
    against: a file whose length could not be read is taken for the song it names.

    >>> same_length(200.0, 203.5), same_length(200.0, 260.0), same_length(None, 260.0)
    (True, False, True)
    """
    if a is None or b is None:
        return True
    a, b = float(a), float(b)
    return not (math.isfinite(a) and math.isfinite(b)) or abs(a - b) <= SAME_RECORDING_S


def known_copy_order(year: float, first: float, size: int, album: str | None, title: str | None) -> tuple:
    """Sort key of one copy of a recording among its copies, the copy people know it by first:
    from its first release (``first``: the earliest ``year`` of its copies, a year not known
    as infinity), on an album before its single or EP, then the earliest, on the largest
    album (``size``: its tracks in the library). A lead single is often tagged the year
    before its album ("Creep", 1992; "Pablo Honey", 1993), so the year after the first counts
    as the first release too; a best-of's remaster, later, does not. A single: an album of
    three tracks or fewer, or named as the song.

    >>> single = known_copy_order(1992, 1992, 1, "Creep", "Creep")
    >>> album = known_copy_order(1993, 1992, 12, "Pablo Honey", "Creep")
    >>> best_of = known_copy_order(2008, 1992, 17, "The Best Of", "Creep")
    >>> sorted([best_of, single, album]) == [album, single, best_of]
    True
    """
    single = size <= 3 or normalize_name(album) == normalize_name(title)
    return max(year, first + 1), single, year, -size


class FirstCopies:
    """The copies of each recording met so far, so that each later copy is named by the first:
    the top lists count one song in several files once, shuffle keeps its copies apart.

    >>> copies = FirstCopies()
    >>> [copies.first("a\x1fsong", d, t) for t, d in [(1, 200.0), (2, 201.0), (3, 260.0)]]
    [1, 1, 3]
    """

    def __init__(self):
        self._met: dict[str, list[tuple[float | None, object]]] = {}

    def first(self, key: str | None, length: float | None, item):
        """The first item met of this recording (``key``, about this ``length``); ``item``
        itself, remembered, when it is the first, or when it has no key."""
        if key is None:
            return item
        met = self._met.setdefault(key, [])
        for other, first in met:
            if same_length(length, other):
                return first
        met.append((length, item))
        return item


#: A title that only stands in for one (what a CUE sheet's track without a TITLE is listed as,
#: and what iTunes and rippers name a CD's tracks they found no names for)
_STAND_IN_TITLE = re.compile(r"^\s*(?:audio\s*)?track\s*\d{1,3}\s*$", re.I)


def stands_in(title: str | None, cue_sheet: str | None = None, key: str | None = None) -> bool:
    """Whether ``title`` only stands in for one, and names no song. A CUE sheet's track (of
    the sheet ``cue_sheet``) says which it is: "Track 03" is what we list it as when its sheet
    names no title (it then has no match ``key``), and a song's own name when the sheet names
    it so (it has a key). A file's title is judged by its words: "Track 03" is what rippers
    and iTunes name tracks they found no names for.

    >>> stands_in("Track 10"), stands_in("Track 10", "/m/a.cue", None), stands_in("Track 10", "/m/a.cue", "k")
    (True, True, False)
    """
    if not title or not _STAND_IN_TITLE.match(title):
        return False
    return cue_sheet is None or not key


def recording_key(artist: str | None, title: str | None, *, stand_in: bool | None = None) -> str | None:
    """Like :func:`match_key`, but version words in a dash tail go as well as in brackets:
    "Song - Remastered 2011" on a best-of is the album's "Song". Whether two copies are one
    recording is then up to their lengths (a live take or an edit runs longer or shorter).
    None for a title that only stands in for one ("Track 03"): it names no song, and the
    third tracks of two of an artist's untitled concerts are not one song. ``stand_in``:
    whether it does, where the caller knows (see :func:`stands_in`); else its words tell.

    >>> recording_key("Queen", "Bicycle Race - Remastered 2011") == recording_key("Queen", "Bicycle Race")
    True
    >>> recording_key("Queen", "Track 03") is None
    True
    """
    if stand_in if stand_in is not None else stands_in(title):
        return None
    a, t = normalize_name(artist), loose_title(title, artist)
    if not a or not t:
        return None
    return f"{a}\x1f{t}"


# Words that make a bracket or a dash tail name another recording ("Song (Live)",
# "Song - Lofi Flip", "Suite [Parts VI-IX]"): the bare title keeps those.
_RECORDING = re.compile(
    r"remix|\bmix\b|reprise|flip|lo-?fi|live|acoustic|unplugged|instrumental|slowed|reverb|sped|"
    r"cover|karaoke|demo|\bparts?\b|\bpt\b|version|edit|dub\b|rework|bootleg|vip\b", re.I)


def _drop_unless_recording(match: re.Match) -> str:
    # Kept words lose their brackets, or normalize_name would drop "(... Remix)" after all.
    return " " + match.group(0).strip(" ()[]") if _RECORDING.search(match.group(0)) else ""


@functools.lru_cache(maxsize=65536)
def bare_title(title: str | None, artist: str | None = None) -> str:
    """The loosest title: no leading track number, and no brackets or " - " tail that only
    describe where the song comes from ("(From "Film")", "- A COLORS SHOW", "[CAT012]");
    those naming another recording (remix, live, reprise, parts...) stay.

    >>> bare_title("01 - Night Of The Creeps [Outlaw EP]"), bare_title("Thug - Mr.K Remix")
    ('night of the creeps', 'thug mr k remix')
    """
    if not title:
        return ""
    text = _drop_artist_prefix(unicodedata.normalize("NFKC", title).strip(), artist)
    text = _TRACK_NUMBER.sub("", text)
    text = _ANY_BRACKET.sub(_drop_unless_recording, text)
    text = _DASH_TAIL.sub(_drop_unless_recording, text)
    return normalize_name(text) or loose_title(title, artist)


def clear_caches() -> None:
    """Forget the remembered results of this module's functions (up to 65,536 each; a
    long-running process that normalised a whole library once need not keep them). Each
    one found here, not named in a list: a cache added later and left off the list was kept
    for good (``credited_artists`` was)."""
    for fn in list(globals().values()):
        if callable(getattr(fn, "cache_clear", None)) and getattr(fn, "__module__", None) == __name__:
            fn.cache_clear()
