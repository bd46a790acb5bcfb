"""A classical work told from its movements' tracks.

A symphony or a sonata comes as three or four tracks, and a listener hears it as one piece:
shuffled, suggested or played on a station, its movements go together and in their order
(as Roon, Apple Music Classical and foobar2000 with grouping do). The tags say it where the
tagger wrote them (WORK, or a grouping with a movement number); else the title's own shape,
"Symphony No. 5 in C minor, Op. 67: I. Allegro con brio" (or " - I. "), does. Pop titles with
a colon ("Live: Side A") are left alone: the part after the work must begin with a roman
numeral and a full stop.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from segue_common.normalize import normalize_name as normalize

# "Work: I. Allegro", "Work - II. Adagio", "Work – III. Presto" (the work may hold colons and
# full stops of its own: "Op. 67", "BWV 1007: Suite"; the last separator before a numeral is it).
_TITLE = re.compile(r"^(?P<work>.+?)\s*(?::|\s[-\u2013\u2014])\s+(?P<num>[IVXL]{1,6})\.\s+\S")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
# A movement name's own numeral ("I. Allegro", "2. Adagio").
_LEAD = re.compile(r"^\s*(?P<num>[IVXL]{1,6}|\d{1,2})[.:)]\s")


def may_name_a_work(title: str | None, work: str | None = None, grouping: str | None = None) -> bool:
    """Whether a track may be a movement of a work (:func:`work_of` may find one): a work's
    tag or a grouping, or a title with a colon or a spaced dash. The others, most of a
    library of songs, are not read further."""
    # The store's partial index of those tracks (WORK_CANDIDATES in player/store/migrations.py)
    # says the same in SQL, word for word, and may never change: a test holds the two together.
    # (Each mark asked in turn: this runs for every track of a library read, and a generator
    # over a tuple of them took seven times as long.)
    return work is not None or grouping is not None or title is not None and (
        ":" in title or " - " in title or " \u2013 " in title or " \u2014 " in title)


class Work(NamedTuple):
    """``key``: the work itself (composer and work name, normalised): two performances of one
    work share it. ``movement``: its place in the work (1 for the first), None where unknown."""
    key: str
    movement: int | None


@lru_cache(maxsize=512)
def roman(text: str) -> int | None:
    """The value of a roman numeral (I to LXXX), None for anything else ("IIII" included)."""
    total, last = 0, 0
    for ch in reversed(text.upper()):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total += -v if v < last else v
        last = max(last, v)
    return total if 0 < total and _to_roman(total) == text.upper() else None


def _to_roman(n: int) -> str:
    out = ""
    for v, s in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + s, n - v
    return out


def _number(text) -> int | None:
    """A movement number as tags write it ("2", "2/4", 2), or a leading numeral of a name."""
    if text is None:
        return None
    if isinstance(text, int):
        return text if text > 0 else None
    s = str(text).strip()
    head = s.split("/", 1)[0].strip()
    # (decimal digits only: "²" and "①" are digits to isdigit() and no number to int())
    if head.isdecimal():
        return int(head) or None
    m = _LEAD.match(s + " ")
    if m:
        num = m.group("num")
        return int(num) if num.isdigit() else roman(num)
    return roman(head) if head else None


def work_of(title: str | None, composer: str | None = None, *, work: str | None = None,
            grouping: str | None = None, movement=None, movement_name: str | None = None,
            artist: str | None = None) -> Work | None:
    """The work a track is a movement of, or None for a track that is a piece of its own.

    Tags first: ``work`` (WORK, ©wrk, TXXX WORK) makes one; ``grouping`` (GROUPING, TIT1,
    ©grp) does only with a movement number or name beside it, or with a title that begins with
    it, as pop collections use the grouping for moods and parties. Then the title's shape.
    The work is the composer's (else the artist's: a title alone names no composer)."""
    named = _named(title, work, grouping, movement, movement_name)
    if named is None:
        return None
    return Work(_key(composer or "", artist or "", named[0]), named[1])


def work_name(title: str | None, *, work: str | None = None, grouping: str | None = None, movement=None,
              movement_name: str | None = None) -> str | None:
    """The name of the work a track is a movement of, as its tags or its title write it
    ("Symphony No. 5 in C minor, Op. 67"), or None where it is a piece of its own: what a
    search for a work looks in (see :func:`work_of` for how a work is told). A value that is
    no text (a number or bytes another program stored in the library) is read as its text."""
    title, work, grouping, movement_name = (_text(v) for v in (title, work, grouping, movement_name))
    movement = _text(movement) if isinstance(movement, bytes) else movement
    if not may_name_a_work(title, work, grouping):
        return None
    named = _named(title, work, grouping, movement, movement_name)
    return named[0].strip() if named is not None else None


def headed(title: str, work: str | None) -> str:
    """A movement's ``title`` as the player names what plays: after its ``work`` (see
    :func:`work_name`) where the title names only the movement ("Allegro con brio" of
    "Symphony No. 3 in E-flat major, Op. 55" is "Symphony No. 3 in E-flat major, Op. 55:
    Allegro con brio", as Apple Music Classical, Roon and MusicBee's classical view name it):
    a fourth "Allegro" on the now-playing bar, the window's title or a desktop's media
    control says nothing of what is playing. A title that already names its work stays."""
    if not work or not title or normalize(work) in normalize(title):
        return title
    return f"{work}: {title}"


def _text(value) -> str | None:
    if value is None or type(value) is str:
        return value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _named(title, work, grouping, movement, movement_name) -> tuple[str, int | None] | None:
    """``(the work's name as written, the movement's number or None)`` (see :func:`work_of`)."""
    name = (work or "").strip()
    number = _number(movement) or _number(movement_name)
    if not name and not (grouping and grouping.strip()):
        # The title's shape alone, as nearly every movement of a library tells it: read once,
        # not compared with itself (this runs for each of a library's movements in turn, on
        # the thread that also answers Next)
        parsed = _TITLE.match(title or "")
        numeral = roman(parsed.group("num")) if parsed else None
        if numeral is None:
            return None
        return parsed.group("work"), number or numeral
    if name and number is None:
        whole = _TITLE.match(name)
        if whole and roman(whole.group("num")) is not None:
            # (MusicBrainz Picard writes the movement's own work, "Symphony No. 5: I. Allegro":
            # its movements are one work)
            name, number = whole.group("work"), roman(whole.group("num"))
        elif normalize(title or "").startswith(normalize(name)) and not _TITLE.match(title or ""):
            # The song's own work, which taggers (Picard) write for every recording, pop
            # included: no movement of anything ("Yesterday", "Yesterday - Remastered")
            name = ""
    if not name and grouping and grouping.strip():
        g = grouping.strip()
        if number is not None or re.match(re.escape(g) + r"\s*(?::|\s[-\u2013\u2014])\s", title or ""):
            name = g
    parsed = _TITLE.match(title or "")
    if parsed and roman(parsed.group("num")) is None:
        parsed = None
    if not name and parsed is None:
        return None
    if not name:
        name = parsed.group("work")
    if number is None and parsed is not None and normalize(parsed.group("work")) == normalize(name):
        number = roman(parsed.group("num"))
    if number is None and title and name and normalize(title).startswith(normalize(name)):
        # ("Work: 2. Adagio" where the work came from the tags)
        rest = title.strip()[len(name.strip()):].lstrip(" :-\u2013\u2014")
        number = _number(rest) if _LEAD.match(rest + " ") else None
    return name, number


def _key(composer: str, artist: str, name: str) -> str:
    """The key of a work by ``composer`` (else ``artist``) named ``name``."""
    return f"{composer_key(composer) or _normal(artist)}\x1f{_normal(name)}"


# "Beethoven, Ludwig van", "Vaughan Williams, Ralph": the surname, one comma, the given names
# (nothing else that parts names: "Mozart; Süssmayr" or "Earth, Wind & Fire" stay as written)
_INVERTED = re.compile(r"^(?P<last>[^,;/&]+),\s*(?P<first>[^,;/&]+)$")


@lru_cache(maxsize=4096)
def composer_key(name: str | None) -> str:
    """A composer's name normalised, as the same person whichever way it is written:
    "Beethoven, Ludwig van" (as CD databases and many classical rips tag a composer, surname
    first) is "Ludwig van Beethoven" (as MusicBrainz tags him). A library ripped over years
    holds both, and two performances of one of his works, or his works on a station, went as
    two composers'. (A name with one comma that is no surname, "Lennon, McCartney", is
    turned round too: it is still one key, the same each time it is read.)"""
    if not name:
        return ""
    m = _INVERTED.match(name.strip())
    if m:
        name = f"{m.group('first')} {m.group('last')}"
    return _normal(name)


@lru_cache(maxsize=1 << 17)
def _normal(name: str) -> str:
    """A composer's, an artist's or a work's name normalised, kept apart from the cache of
    every name (which 100,000 titles keyed elsewhere fill): a library of movements asks for
    its works and composers once per movement, most of them several times."""
    return normalize(name)


def work_of_track(r, artist: str | None = None) -> Work | None:
    """:func:`work_of` a track's stored row ``r`` (its title, composer, work, grouping,
    movement and movementname columns), as every provider of suggestions reads it: the work
    goes by the first of several composers ("Mozart; Süssmayr"); ``artist``: its tagged
    artist. Most tracks name no work, and are not read further."""
    if not may_name_a_work(r["title"], r["work"], r["grouping"]):
        return None
    composer = (r["composer"] or "").split("; ")[0].strip() or None
    return work_of(r["title"], composer, work=r["work"], grouping=r["grouping"], movement=r["movement"],
                   movement_name=r["movementname"], artist=artist)
