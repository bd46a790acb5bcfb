"""Text as the person should see it, whatever bytes it came from.

File names on Linux are bytes; Python hands the ones that are not valid UTF-8 over
with each bad byte as a lone surrogate (``os.fsdecode``), which opens the file again
but cannot be printed, logged or drawn. :func:`shown` is the form for people: each
bad byte becomes U+FFFD, as does a control character (a line break or a tab becomes a
space). Keep the original for opening the file.
"""

from __future__ import annotations

import re
import unicodedata

# Undecodable bytes (lone surrogates), and control characters: a file name (or a
# decoder's message) may hold a newline or a terminal's escape sequence, which would
# break a line shown in two or change the terminal it is printed to.
_BREAKS = re.compile("[\t\n\r\v\f\x85\u2028\u2029]+")
_UNSHOWABLE = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f]")


def shown(text: str | None) -> str:
    """``text`` on one line, as it can be shown: line breaks and tabs become a space, other
    control characters and undecodable bytes (lone surrogates) U+FFFD; "" for None."""
    if text is None:
        return ""
    return _UNSHOWABLE.sub("\ufffd", _BREAKS.sub(" ", text))


# Accents of the Latin, Greek and Cyrillic letters (the Combining Diacritical Marks
# block), which a search ignores: "Bjork" finds Björk, as typed on any keyboard. The
# marks of other scripts stay (Japanese voicing marks, Indic vowel signs), since there
# they make another letter, not an accent.
_ACCENTS = re.compile("[\u0300-\u036f]+")
# Latin letters whose stroke or ligature Unicode does not decompose, read as the plain
# letters people type for them ("Orjan", "Lodz", "Aether"); looked for first, since
# translating every name costs more than the rest of the folding.
_STROKED = re.compile("[øłđðħıþæœ]")
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i",
                                "þ": "th", "æ": "ae", "œ": "oe"})


def search_form(text: str) -> str:
    """``text`` as searches compare it: casefolded, compatibility forms folded (full-width
    letters, ligatures) and Latin, Greek and Cyrillic accents dropped (ø, ł, æ read as o, l,
    ae), in one Unicode form (composed), so that a word typed on a keyboard finds a name
    stored decomposed, as macOS file systems keep file names and as tags copied from them
    often are.

    >>> search_form("Björk") == search_form("Bjo\u0308rk") == search_form("BJORK")
    True
    """
    if text.isascii():
        return text.casefold()
    folded = _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).casefold()
    if _STROKED.search(folded):
        folded = folded.translate(_PLAIN_LETTERS)
    return unicodedata.normalize("NFC", folded)


_DIGIT_RUN = re.compile(r"\d+")


def _number_form(digits: re.Match) -> str:
    # A run of digits led by its length (two digits): a shorter number sorts first, so
    # "Track 2" comes before "Track 10" and "Op. 9" before "Op. 27", as people count.
    run = digits.group(0).lstrip("0") or "0"
    return f"{min(len(run), 99):02d}{run}"


def sort_form(text: str) -> str:
    """What a name sorts by, as people sort names: its :func:`search_form` (case and
    accents aside: "Émile" among the E's, not after "Zola"), its numbers compared as
    numbers ("Mix 2" before "Mix 10").

    >>> sorted(["Mix 10", "Zola", "Émile", "Mix 2"], key=sort_form)
    ['Émile', 'Mix 2', 'Mix 10', 'Zola']
    """
    return _DIGIT_RUN.sub(_number_form, search_form(text))


def in_name_order(names: list[str]) -> list[int]:
    """The places of ``names`` in the order people sort names (:func:`sort_form`; names of one
    sort form by their letters, so the order never depends on where they came from).
    Latin letters come before Greek, Cyrillic, and then the scripts of Asia, in the order of
    their Unicode blocks: a library mostly in Latin letters keeps the others together at its end.

    >>> in_name_order(["Zz Top", "dEUS", "10cc", "2Pac", "Émilie Simon"])
    [3, 2, 1, 4, 0]
    """
    forms: dict[str, str] = {}
    keys = [(forms[n] if n in forms else forms.setdefault(n, sort_form(n)), n) for n in names]
    return sorted(range(len(names)), key=keys.__getitem__)


# Either separator: a path from Windows has both, one from elsewhere only "/" (where a file
# name holding a backslash is rare enough to be split as well; only the order depends on it).
_PATH_PARTS = re.compile(r"[/\\]")


def in_path_order(paths: list[str]) -> list[int]:
    """The places of ``paths`` in the order a file manager lists them: folder by folder, each
    part as :func:`in_name_order` sorts names. Compared whole, a folder's files went apart where
    another folder's name differed only in case or accents ("Björk" written composed and
    decomposed, as a copy from a Mac leaves it), and "AC/DC/" went after "AC-DC/", since "-"
    comes before "/".

    >>> in_path_order(["/m/Bjo\u0308rk/2.mp3", "/m/AC-DC/1.mp3", "/m/Björk/1.mp3", "/m/AC/1.mp3",
    ...                "/m/Bjo\u0308rk/1.mp3"])
    [3, 1, 4, 0, 2]
    """
    forms: dict[str, str] = {}

    def key(path: str) -> str:
        # Each part as its sort form, then the part itself ("\x01" before any letter: a shorter
        # form goes first), the parts apart by "\x00": one string, compared without Python.
        return "\x00".join(f"{forms[p] if p in forms else forms.setdefault(p, sort_form(p))}\x01{p}"
                            for p in _PATH_PARTS.split(path))
    keys = [key(p) for p in paths]
    return sorted(range(len(paths)), key=keys.__getitem__)
