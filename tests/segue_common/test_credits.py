"""The artists a credit names, as the compilation rule and Discover read them."""

from __future__ import annotations

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
