"""The stars a person gave songs, here or in another player, as every provider of suggestions reads them.

Pure numpy: the plain provider the window starts with uses it as the learning recommender
does, so a song the person gave one star is kept out of suggestions from the first second,
not only once the recommender is ready.
"""

from __future__ import annotations

import numpy as np

#: One star keeps a song out of every suggestion, but not where more than this share of the
#: library has one: nobody rates a quarter of their songs so, and a tagger's scale read wrongly
#: (each of its values one star) left Up next, Radio and Discover only the songs not rated.
ONE_STAR_MAX_SHARE = 0.25


def one_star_unwanted(stars: np.ndarray | None, listened: np.ndarray, *, of: int | None = None,
                      own_one: np.ndarray | None = None) -> np.ndarray:
    """The rows no suggestion may hold for their stars: those rated one star in another player
    that the person has not listened to here since (a play through here says that changed),
    none where more than ``ONE_STAR_MAX_SHARE`` of the library has one star in its files; and
    always those the person rated one star here (``own_one``). That star is what they say now,
    given after whatever they heard, and a choice made here is no scale read wrongly.
    ``stars``: per row, its stars (NaN: none; None: no row has any); ``listened``: per row, its
    listened plays here; ``of``: the library's songs, where the rows are only some of them
    (the rated ones), else the rows; ``own_one``: per row, True where the one star was given
    here (None: none was). [shape=(m,)] int64"""
    if stars is None or not len(stars):
        return np.zeros(0, np.int64)
    one = np.round(np.nan_to_num(stars)) == 1
    here = np.zeros(len(one), bool) if own_one is None else np.asarray(own_one, bool) & one
    theirs = one & ~here
    if theirs.sum() > ONE_STAR_MAX_SHARE * (len(stars) if of is None else of):
        theirs[:] = False
    return np.flatnonzero(here | (theirs & (np.asarray(listened) == 0))).astype(np.int64)
