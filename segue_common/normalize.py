"""Normalised artist and title strings, so that one song matches itself everywhere.

The library, the shipped priors (MSD, Last.fm) and listening logs each spell
names their own way: "The Beatles" / "Beatles, The", "Song (Remastered 2009)",
full-width characters, accents. :func:`match_key` maps them to one key.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_BRACKETS = re.compile(r"\s*[\(\[][^\)\]]*(remaster|live|version|edit|mono|stereo|mix|feat|ft\.|bonus|demo)[^\)\]]*[\)\]]", re.I)
_FEAT = re.compile(r"\s+(feat\.?|ft\.?|featuring)\s+.*$", re.I)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_THE_SUFFIX = re.compile(r",\s*the$", re.I)


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
    text = unicodedata.normalize("NFKC", text).strip()
    text = _BRACKETS.sub("", text)
    text = _FEAT.sub("", text)
    if _THE_SUFFIX.search(text):
        text = "the " + _THE_SUFFIX.sub("", text)
    text = text.replace("&", " and ")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def match_key(artist: str | None, title: str | None) -> str | None:
    """``"artist\\x1ftitle"`` normalised, or None when either part is unknown."""
    a, t = normalize_name(artist), normalize_name(title)
    if not a or not t:
        return None
    return f"{a}\x1f{t}"
