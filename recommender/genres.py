"""Genre buckets: the tagger's genre-like MSD tags, blended with the file's own genre tag.

A small fixed set of buckets (:data:`BUCKETS`) backs the Discover rows. Audio evidence is
the strongest member tag of each bucket (``weight · probability``), normalised over buckets;
the file's genre tag, when it names a bucket, is mixed in with weight ``file_weight`` -- the
person's own tags are trusted more than the tagger, which still breaks ties and fills gaps.
MSD's 50 tags have no classical tag, so "classical" only ever comes from file tags (which
count soundtracks and film scores in it).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from recommender.msd_tags import MSD_LABELS

BUCKETS: tuple[str, ...] = (
    "rock", "metal", "punk", "indie", "pop", "electronic", "dance", "hip-hop", "soul & rnb",
    "jazz", "blues", "folk", "country", "ambient", "classical",
)

# bucket -> {MSD tag: weight}; a tag may count (partly) for two buckets.
TAG_BUCKETS: dict[str, dict[str, float]] = {
    "rock": {"rock": 1.0, "classic rock": 1.0, "hard rock": 1.0, "Progressive rock": 1.0,
             "alternative rock": 0.5},
    "metal": {"metal": 1.0, "heavy metal": 1.0},
    "punk": {"punk": 1.0},
    "indie": {"indie": 1.0, "alternative": 1.0, "indie rock": 1.0, "alternative rock": 0.7, "indie pop": 0.7},
    "pop": {"pop": 1.0, "indie pop": 0.5, "easy listening": 0.7},
    "electronic": {"electronic": 1.0, "electronica": 1.0, "electro": 1.0, "experimental": 0.5},
    "dance": {"dance": 1.0, "House": 1.0, "party": 0.5},
    "hip-hop": {"Hip-Hop": 1.0},
    "soul & rnb": {"soul": 1.0, "rnb": 1.0, "funk": 0.8},
    "jazz": {"jazz": 1.0},
    "blues": {"blues": 1.0},
    "folk": {"folk": 1.0, "acoustic": 0.7},
    "country": {"country": 1.0},
    "ambient": {"ambient": 1.0, "chillout": 0.8, "chill": 0.8},
    "classical": {},
}

# Words in a file's genre tag -> bucket, first match wins ("indie rock" is indie, "synthpop"
# electronic, "pop punk" punk).
FILE_GENRE_WORDS: tuple[tuple[str, str], ...] = (
    (r"hip[ -]?hop|\brap\b|\btrap\b|grime", "hip-hop"),
    (r"r&b|r ?n ?b|rhythm and blues|soul|funk|motown|gospel", "soul & rnb"),
    (r"metal|grindcore|djent", "metal"),
    (r"punk|hardcore|\bemo\b", "punk"),
    (r"indie|alternative|shoegaze|post[- ]rock|lo-?fi", "indie"),
    (r"classical|baroque|orchestral|symphon|opera|chamber|concerto|choral|romantic era", "classical"),
    (r"jazz|swing|bebop|bossa", "jazz"),
    (r"blues", "blues"),
    (r"country|bluegrass|americana", "country"),
    (r"folk|singer[- ]songwriter|acoustic", "folk"),
    (r"ambient|chill|downtempo|new age|drone|lounge", "ambient"),
    (r"house|dance|disco|garage|eurodance|club", "dance"),
    # (drum and bass as it is written: "Drum & Bass", "Drum 'n' Bass", "DnB", "D&B")
    (r"electr|techno|trance|\bedm\b|dubstep|drum ?(and|&|['’]?n['’]?) ?bass|\bdnb\b|\bd ?& ?b\b|\bidm\b|synth"
     r"|industrial|breakbeat", "electronic"),
    (r"rock|grunge", "rock"),
    (r"pop", "pop"),
    # A soundtrack or score that names no other genre ("Soundtrack", "Film Score", "OST") is
    # most often orchestral; one that does ("Electronic Soundtrack") went by it above.
    (r"soundtrack|\bscore\b|\bost\b|\bfilm\b|cinematic", "classical"),
)



def genre_in_sentence(bucket: str) -> str:
    """A bucket as a reason names it in a sentence: as it is ("metal, like ..."), but for the
    one whose name is a key no one writes ("soul & rnb" is "soul & R&B")."""
    return "soul & R&B" if bucket == "soul & rnb" else bucket


_TAG_INDEX = {name: i for i, name in enumerate(MSD_LABELS)}
# [n_buckets, 50] weights; validated at import so a typo in a tag name fails loudly.
_W = np.zeros((len(BUCKETS), len(MSD_LABELS)), np.float32)
for _b, _members in TAG_BUCKETS.items():
    for _tag, _w in _members.items():
        _W[BUCKETS.index(_b), _TAG_INDEX[_tag]] = _w


#: the bucket of tracks whose genre tag is missing: not a genre (a station from such a song
#: is not "on its genre" among other untagged songs)
UNTAGGED = "No genre tag"

_SEPARATORS = re.compile(r"\s*[;/,|]\s*")
# One genre whose name holds a slash, as iTunes names it: not "Singer" and "Songwriter"
_ONE_GENRE = re.compile(r"\b(singer)\s*/\s*(songwriter)\b", re.I)


#: genre tags that say nothing of the kind of music (taggers' and rippers' fillers): passed
#: over, so a track so tagged is untagged, not one of a row called "Other" or "Unknown"
NOT_A_GENRE = frozenset({"other", "others", "unknown", "unknown genre", "misc", "miscellaneous", "none",
                         "genre", "default", "various", "n/a", "na", "-", "?", "unclassifiable"})


@functools.lru_cache(maxsize=4096)
def first_genre(genre: str | None) -> str:
    """The first of a tag's genres ("Rock; Pop", "Rock/Pop" -> "Rock"; "Singer/Songwriter" is one,
    read as "Singer-Songwriter"), stripped, fillers passed over ("Other; Jazz" -> "Jazz"); "" for
    none. Kept per tag: a library has a few hundred of them on 100,000 tracks, and the plain
    recommender reads every track's on each call."""
    if not genre or genre.strip().casefold() in NOT_A_GENRE:     # ("n/a" whole, not "n" and "a")
        return ""
    genre = _ONE_GENRE.sub(r"\1-\2", genre.strip())
    return next((g for g in (v.strip() for v in _SEPARATORS.split(genre))
                 if g and g.casefold() not in NOT_A_GENRE), "")


#: genre tags of speech, not music (ID3's own "Speech" among them): an audiobook chapter or a
#: podcast episode is no song to offer between songs, however short, while a side-long
#: piece of prog is music however long; length alone cannot tell a 25-minute chapter from
#: a 23-minute suite. Stores and rippers outside English tag books in their own language.
#: (Whole tags only: "Speed Metal", or "Spoken Word Poetry" set to music, are not in it.)
SPOKEN_GENRES = frozenset({"audiobook", "audiobooks", "audio book", "audio books", "podcast", "podcasts",
                           "spoken word", "spoken", "speech", "audio drama", "radio play", "hörbuch",
                           "hörbücher", "hörspiel", "hörspiele", "livre audio", "livres audio", "audiolibro",
                           "audiolibros", "audiolibri", "audiolivro", "audiolivros", "luisterboek", "ljudbok",
                           "lydbog", "lydbok", "äänikirja", "audiobooki", "аудиокнига", "аудиокниги",
                           "オーディオブック", "朗読", "有声书", "有聲書", "오디오북"})


def is_spoken(genre: str | None) -> bool:
    """Whether a genre tag (by its first genre, as :func:`first_genre`) says speech, not music.
    (Composed first: a tag written with "o" and a separate umlaut reads as "Hörspiel" does.)"""
    return unicodedata.normalize("NFC", first_genre(genre)).casefold().replace("-", " ") in SPOKEN_GENRES


_BUCKET_INDEX = {b: i for i, b in enumerate(BUCKETS)}


@functools.lru_cache(maxsize=4096)      # a library has a few hundred genre spellings, read per track
def file_genre_bucket(genre: str | None) -> str | None:
    """The bucket a file's genre tag names by its first genre ("Indie Rock" -> "indie",
    "Pop; Rock" -> "pop"), or None."""
    text = first_genre(genre).lower()
    if not text:
        return None
    if re.fullmatch(r"\(?\d+\)?", text):  # bare ID3v1 numbers carry no usable name here
        return None
    for pattern, bucket in FILE_GENRE_WORDS:
        if re.search(pattern, text):
            return bucket
    return None


def _audio_scores(tags: np.ndarray) -> np.ndarray:
    """The audio's share of each bucket [shape=(n, n_buckets)] from tags [shape=(n, 50)]: the
    strongest member tag of each, normalised over buckets. One bucket at a time: all of them
    at once would hold 750 floats a track."""
    if not len(tags):
        return np.zeros((0, len(BUCKETS)), np.float32)
    audio = np.stack([(tags * w).max(axis=1) for w in _W], axis=1)
    return audio / np.maximum(audio.sum(axis=1, keepdims=True), 1e-9)


def bucket_scores(tags: np.ndarray, genre: str | None = None, *, file_weight: float = 0.6) -> np.ndarray:
    """Scores over :data:`BUCKETS` that sum to 1.

    Parameters
    ----------
    tags : MSD tag probabilities [shape=(50,)] or [shape=(n, 50)].
    genre : the file's genre tag, if any (one string for all rows).
    file_weight : share of the score given to the file's genre when it names a bucket.

    Returns
    -------
    np.ndarray float32 [shape=(n_buckets,)] or [shape=(n, n_buckets)].
    """
    tags = np.asarray(tags, dtype=np.float32)
    if tags.shape[-1] != len(MSD_LABELS) or tags.ndim not in (1, 2) or not np.all(np.isfinite(tags)):
        raise ValueError(f"expected finite MSD tag probabilities [..., 50], got shape {tags.shape}")
    if not 0.0 <= file_weight <= 1.0:
        raise ValueError(f"file_weight must be in [0, 1], got {file_weight}")
    audio = _audio_scores(tags[None] if tags.ndim == 1 else tags)
    audio = audio[0] if tags.ndim == 1 else audio
    named = file_genre_bucket(genre)
    if named is None:
        return audio.astype(np.float32)
    onehot = np.zeros(len(BUCKETS), np.float32)
    onehot[BUCKETS.index(named)] = 1.0
    return ((1 - file_weight) * audio + file_weight * onehot).astype(np.float32)


def assign_buckets(tags: np.ndarray, genres, *, file_weight: float = 0.6) -> list[str]:
    """:func:`assign_bucket` of many tracks at once: ``tags`` [shape=(n, 50)] and each one's
    genre tag (the bucket is worked out anew from the tags the analysis kept, so a genre tag
    changed since then counts at once)."""
    tags = np.asarray(tags, dtype=np.float32)
    if tags.ndim != 2 or tags.shape[1] != len(MSD_LABELS) or len(tags) != len(genres):
        raise ValueError(f"expected tags [n, 50] and n genres, got {tags.shape} and {len(genres)}")
    audio = _audio_scores(tags)
    named = np.array([_BUCKET_INDEX.get(file_genre_bucket(g), -1) for g in genres], np.int64)
    rows = np.flatnonzero(named >= 0)
    audio[rows] *= 1 - file_weight
    audio[rows, named[rows]] += file_weight
    return [BUCKETS[j] for j in np.argmax(audio, axis=1)]


def assign_bucket(tags: np.ndarray | None, genre: str | None = None, *, file_weight: float = 0.6) -> str | None:
    """The single bucket for a track: best blended score; file genre alone when no tags; else None."""
    if tags is None:
        return file_genre_bucket(genre)
    return BUCKETS[int(np.argmax(bucket_scores(tags, genre, file_weight=file_weight)))]


#: Discover's row of songs from the genres too small (or too many) for a row of their own
MORE_TO_DISCOVER = "More to discover"
#: the fewest songs a genre offers for a Discover row of its own where there are more
#: genres than rows: a row of one to three tiles, hundreds of them in a library tagged by
#: many hands, is a wall nobody scrolls
MIN_ROW = 4
#: the most genre rows Discover shows; the genres after them go to :data:`MORE_TO_DISCOVER`
MAX_ROWS = 20
#: how long a song played stays out of Discover's rows ("not played recently")
DISCOVER_RECENT_S = 14 * 86400.0
#: how long a song skipped early when Discover offered it (not heard since) stays out of it
DISCOVER_SKIPPED_REST_S = 8 * 7 * 86400.0


def pooled_heading(pooled: Sequence[int], names: Sequence[str], artists: Sequence) -> str:
    """The heading of the row the ``pooled`` genres share (:func:`arrange_rows`):
    :data:`MORE_TO_DISCOVER`, a mix of many genres, unless all of its songs are one
    artist's, whose songs are tagged with genres no one else's are (a jazz band's "Jazz"
    and "Jazz Fusion" in a library of rock): that row is the artist's songs, no mix,
    and is headed by the first of those genres (the person's most played, else the
    largest), as the artist's only genre would head its own row. ``names``: the genres'
    names; ``artists``: per genre, the artists of its songs on offer (None for songs of
    no artist tag, which may be anyone's)."""
    who = set().union(*(set(artists[g]) for g in pooled)) if len(pooled) else set()
    if len(who) == 1 and None not in who:
        return names[pooled[0]]
    return MORE_TO_DISCOVER


def arrange_rows(heard, offered, *, min_row: int = MIN_ROW, max_rows: int = MAX_ROWS,
                 untagged: int | None = None, artists=None) -> tuple[list[int], list[int]]:
    """Discover's genres (indices into ``heard`` and ``offered``): those with rows, in order,
    and those whose songs are pooled in one row, :data:`MORE_TO_DISCOVER`.

    ``heard``: the person's listened plays of each genre; ``offered``: how many of its songs
    a row could offer (0: none, no row). The person's two favourite genres (by their plays)
    come first, then a genre new to them (never listened to, the largest first) and one of
    theirs in turns: by plays alone, a person who knew a dozen genres scrolled past all of
    them before Discover showed a genre they did not know. Where there are more genres than
    ``max_rows``, those offering fewer than ``min_row`` songs and those after the last row
    are pooled (one such genre alone keeps a row); the two favourites and ``untagged`` (the tracks of no genre tag) keep
    a row however small, its songs of no genre a pooled tile could name; never
    listened to, it is no genre to discover either, and comes after the new ones; listened
    to, it comes among the person's genres, never one of the two favourites that lead.

    ``artists``: how many artists each genre's songs on offer are by. A genre of one artist
    gets no row of its own where its songs can share the pooled row with another genre's: a
    "Jazz" row of five songs by the library's one jazz band beside an "Electronic" row of
    one producer's is two artists' pages, not genres to discover. The only such genre, with
    no small genres to pool it with, keeps its row (the shared row would be that artist's
    alone again, and leaving it out would hide the person's music), and so do the person's
    two favourites, the rows that lead, as above.
    """
    genres = [g for g in range(len(offered)) if offered[g] > 0]
    if artists is not None:
        liked = sorted((g for g in genres if heard[g] > 0 and g != untagged), key=lambda g: (-heard[g], -offered[g], g))
        lone = [g for g in genres if artists[g] == 1 and g != untagged and g not in liked[:2]]
        if lone and len(lone) < len(genres):
            rows, pooled = arrange_rows(heard, [0 if g in lone else n for g, n in enumerate(offered)],
                                        min_row=min_row, max_rows=max_rows, untagged=untagged)
            if pooled or len(lone) > 1:
                return rows, sorted(pooled + lone, key=lambda g: (-heard[g], -offered[g], g))
    order = sorted(genres, key=lambda g: (-heard[g], -offered[g], g))
    # A few genres keep a row each however small: a tidy library's rows are as they were.
    # So do the person's two favourites, the rows that lead: a genre they play every day
    # has its songs heard lately left out, and fell into the shared row with the tags of
    # two songs.
    # The songs of no genre tag are no favourite genre, however much they are played: their
    # row led Discover for someone whose library is largely untagged, and pushed a genre
    # they play every day behind one they never heard. It comes among their other genres.
    favourites = [g for g in order if heard[g] > 0 and g != untagged][:2]
    big = order if len(order) <= max_rows else [g for g in order
                                                if offered[g] >= min_row or g == untagged or g in favourites]
    known = [g for g in big if heard[g] > 0]
    new = sorted((g for g in big if heard[g] <= 0), key=lambda g: g == untagged)
    rows, known = list(favourites), [g for g in known if g not in favourites]
    while known or new:
        rows.append((new if new and (not known or len(rows) % 2 == 0) else known).pop(0))
    rows = rows[:max_rows]
    if untagged in big and untagged not in rows:
        # It keeps its row in place of the last: its songs, of no genre, are no tiles the
        # shared row could name, and in a library of many tags it is often the largest.
        rows[-1:] = [untagged]
    shown = set(rows)
    pooled = [g for g in order if g not in shown]
    if len(pooled) == 1:
        # One genre left over keeps its own name: the shared row would hold its songs alone
        # under a heading of "songs of the genres with no row of their own".
        return rows + pooled, []
    return rows, pooled
