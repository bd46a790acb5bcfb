"""The library search box's query language: plain words, as always, plus field terms.

``artist:beatles album:"abbey road" year:1965-1972 rating:>=4 plays:0 -live -genre:jazz``
reads as: every plain word or quoted phrase somewhere in the title, artist, album or genre
(as before), each ``field:value`` in that field, and a term after ``-`` must not match.
The field names are those people bring from Quod Libet, beets, foobar2000 and MusicBee
(see :data:`TEXT_FIELDS` and :data:`NUMBER_FIELDS`).

Nothing here is Qt's: the window's model evaluates a :class:`Query` over its columns.
A query that cannot be read (``year:>=abc``, a quote left open) is searched for as plain
text, as it was before this language, and :attr:`Query.problem` says why: a reader never
sees an empty library without a reason, and a title with a colon ("Part 1: Intro", "Re:
Stacks") is text, as the part before its colon names no field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from segue_common.text import search_form

#: field name (and its aliases) -> the library's text column
TEXT_FIELDS = {
    "title": "title", "artist": "artist", "album": "album", "genre": "genre",
    "composer": "composer", "albumartist": "albumartist",
    "work": "work",                     # foobar2000's %work%, MusicBee's and Quod Libet's Work
    "album_artist": "albumartist",      # beets' and foobar2000's spelling
}
#: field name (and its aliases) -> the library's number column
NUMBER_FIELDS = {
    "year": "year", "date": "year",                # Quod Libet and foobar2000 search "date"
    "rating": "rating", "stars": "rating",
    "plays": "plays", "playcount": "plays", "play_count": "plays",   # Quod Libet ~#playcount, beets play_count
}

#: How to search, for the search box's tooltip.
HELP = ("Words find songs by title, artist, album or genre.\n"
        'artist:beatles  album:"abbey road"  genre:jazz  title:  composer:  albumartist:  work:\n'
        "year:1969  year:1965-1972  year:>=2000  (date: too)\n"
        "rating:>=4  (stars, 0 for none)    plays:>10  plays:0 (never played)\n"
        '-live leaves out what holds "live"; -artist:x leaves out an artist; "quoted words" go together.')

# A number term's value: 4, =4, >4, >=4, <4, <=4, 1965-1972, 1965..1972
_NUMBER = re.compile(r"^(?:(?P<op><=|>=|<|>|=)?(?P<n>\d+)|(?P<lo>\d+)(?:-|\.\.)(?P<hi>\d+))$")

# A number term's value half typed: an operator alone, a range without its end
_TYPING_NUMBER = re.compile(r"^(?:<=|>=|<|>|=|\d+(?:-|\.\.?))$")


@dataclass(frozen=True)
class TextTerm:
    """A word or phrase (search form) in ``column`` (None: title, artist, album, genre and the
    others the plain search looks in)."""
    text: str
    column: str | None = None
    negated: bool = False


@dataclass(frozen=True)
class NumberTerm:
    """``low <= column <= high`` (either bound None: open)."""
    column: str
    low: int | None
    high: int | None
    negated: bool = False


@dataclass
class Query:
    terms: list = field(default_factory=list)     # TextTerm and NumberTerm, all of which must hold
    problem: str = ""                             # why the text was read as plain words ("": it was not)
    notes: list[str] = field(default_factory=list)   # terms left out while still being typed ("artist:")

    @property
    def plain(self) -> bool:
        """Only plain words to find anywhere, as the search box always read them."""
        return all(isinstance(t, TextTerm) and t.column is None and not t.negated for t in self.terms)


def plain_query(text: str) -> list[TextTerm]:
    """The terms of ``text`` read as it always was: every word somewhere."""
    return [TextTerm(w) for w in search_form(text).split()]


def parse(text: str) -> Query:
    """Read what was typed in the search box (never raises: see the module's docstring)."""
    try:
        terms, notes = _read(text)
    except _Unreadable as e:
        return Query(plain_query(text), problem=f"{e} \u2014 searched as plain text")
    return Query(terms, notes=notes)


class _Unreadable(ValueError):
    pass


def _tokens(text: str):
    """``(negated, field or None, value, quoted)`` for each term of ``text``."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        name = None
        head = re.match(r"([A-Za-z_]+):", text[i:])
        if head and head.group(1).lower() in (*TEXT_FIELDS, *NUMBER_FIELDS):
            name = head.group(1).lower()
            i += head.end()
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _Unreadable("a quote is not closed")
            yield negated, name, text[i + 1:end], True
            i = end + 1
            continue
        end = i
        while end < n and not text[end].isspace():
            end += 1
        value = text[i:end]
        # (a quote inside a word is a character, as in a field's value: "12\" mix" read as an
        # open quote popped a reason over the box for a search that found what it always found)
        if negated and name is None and not value:
            value = text[start:end]     # (a lone "-" is a word)
            negated = False
        yield negated, name, value, False
        i = end


def _read(text: str) -> tuple[list, list[str]]:
    terms, notes = [], []
    for negated, name, value, quoted in _tokens(text):
        if name is None:
            words = [search_form(value)] if quoted else search_form(value).split()
            terms += [TextTerm(w, None, negated) for w in words if w]
        elif not value:
            notes.append(f"{name}: needs a value")
        elif name in TEXT_FIELDS:
            terms.append(TextTerm(search_form(value), TEXT_FIELDS[name], negated))
        elif _TYPING_NUMBER.match(value):
            # (a comparison or a range still being typed, "year:>=" or "year:1965-": read as
            # text, the table emptied and a reason popped up at that key, both gone at the next)
            notes.append(f"{name}:{value} needs a number")
        else:
            m = _NUMBER.match(value.strip())
            if m is None:
                raise _Unreadable(f"{name}:{value} is not a number, a comparison (>=4) or a range (1965-1972)")
            op, number = m.group("op"), m.group("n")
            if number is not None:
                v = int(number)
                low, high = {"<": (None, v - 1), "<=": (None, v), ">": (v + 1, None), ">=": (v, None)}.get(op, (v, v))
            else:
                lo, hi = m.group("lo"), m.group("hi")
                if len(hi) < len(lo) and int(hi) < int(lo):
                    # (its end still being typed: "year:1965-1" on its way to 1972 read as
                    # 1-1965 and showed every older song for one key; a reversed range typed
                    # whole, "year:1972-1965", is read either way round)
                    notes.append(f"{name}:{value} needs its end")
                    continue
                low, high = sorted((int(lo), int(hi)))
            terms.append(NumberTerm(NUMBER_FIELDS[name], low, high, negated))
    return terms, notes
