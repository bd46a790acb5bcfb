"""The artists a credit names, as the compilation rule and Discover read them."""

from __future__ import annotations

from segue_common import normalize
from segue_common.normalize import credited_artists


def test_each_credit_names_the_same_artists_every_time_whatever_a_caller_did_with_them():
    # Discover asks this of every compilation's track at each refresh, the same few credits
    # ("Various Artists") over and over: what one caller was handed must not change what the
    # next is told, or an album's own artist would be taken for a guest on it.
    credits = {"Everlast & Santana": {"everlast", "santana"}, "The Beatles": {"beatles"},
               "Beyoncé feat. JAY-Z": {"beyonce", "jay z"}, "Various Artists": {"various artists"},
               "": set(), None: set()}
    for _ in range(2):
        for credit, artists in credits.items():
            got = credited_artists(credit)
            assert got == artists, credit
            for change in (lambda: got.add("someone else"), lambda: got.discard(next(iter(artists), "")),
                           lambda: got.clear()):
                try:
                    change()
                except AttributeError:
                    pass
    for credit, artists in credits.items():
        assert credited_artists(credit) == artists, credit


def test_memory_given_back_forgets_every_remembered_credit_and_name():
    # A long-running window gives back what normalising a whole library kept; a cache left
    # out of that (the credits Discover splits) stayed at its 65,536 entries for good.
    cached = [fn for fn in vars(normalize).values() if hasattr(fn, "cache_info")]
    assert credited_artists in cached
    for fn in cached:
        fn("Everlast & Santana")
    normalize.clear_caches()
    assert {fn.__name__: fn.cache_info().currsize for fn in cached} == {fn.__name__: 0 for fn in cached}
