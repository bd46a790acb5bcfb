"""One song in several files is one recording when its copies' lengths agree: the rule Up next,
Radio, Discover, shuffle and the top lists all go by."""

import math
import re
import unicodedata

from segue_common.normalize import (_BRACKETS, _FEAT, _THE_SUFFIX, FirstCopies, normalize_name, recording_key,
                                    same_length)


def test_lengths_within_a_few_seconds_are_one_recording_and_unknown_lengths_count_as_same():
    assert same_length(200.0, 203.9)
    assert not same_length(200.0, 204.5)          # an edit or a live take runs longer
    assert same_length(None, 300.0) and same_length(300.0, None)
    assert same_length(math.nan, 300.0) and same_length(300.0, math.inf)


def test_each_copy_is_named_by_the_first_copy_met_and_other_takes_stay_apart():
    copies = FirstCopies()
    flac = recording_key("Queen", "Bicycle Race")
    best_of = recording_key("Queen", "Bicycle Race - Remastered 2011")
    live = recording_key("Queen", "Bicycle Race (Live)")
    assert flac == best_of == live
    got = [copies.first(flac, 181.0, 1), copies.first(best_of, 182.5, 2),
           copies.first(live, 240.0, 3), copies.first(live, 241.0, 4), copies.first(None, 181.0, 5)]
    assert got == [1, 1, 3, 3, 5]
    # A later copy is compared with the first copies, not with every copy met: lengths drifting
    # a few seconds at a time do not chain a song to a take minutes longer.
    assert copies.first(flac, 184.5, 6) == 1 and copies.first(flac, 189.0, 7) == 7


def _walked(text: str) -> str:
    """:func:`normalize_name`'s last steps done the long way, a character at a time."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def test_a_name_is_keyed_the_same_whether_or_not_it_is_plain_ascii():
    # Plain-ASCII names skip the accent walk: the keys must be those the walk gives, or the
    # shipped priors and the plays matched before would stop finding their songs.
    names = ["Hey Jude (Remastered 2009)", "Beatles, The", "AC/DC", "Guns N' Roses", "Simon & Garfunkel",
             "  Tab\tand\nnewline  ", "MIXED case_under_score", "Sigur R\u00f3s", "Bj\u00f6rk",
             "\uff21\uff22\uff23",
             "Stra\u00dfe", "\u0130stanbul", "Caf\u0065\u0301", "\u00c6nima", "Mot\u00f6rhead & Friends",
             "ABC\u00a0DEF",
             "ﬁne", "100% Pure", "Don\u2019t Stop", "\u03a3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2"]
    for name in names:
        # (the same steps before the walk as normalize_name, so only the walk differs)
        text = unicodedata.normalize("NFKC", name).strip()
        text = _BRACKETS.sub("", text)
        text = _FEAT.sub("", text)
        if _THE_SUFFIX.search(text):
            text = "the " + _THE_SUFFIX.sub("", text)
        assert normalize_name(name) == _walked(text.replace("&", " and ")), name
    assert normalize_name("Beatles, The") == "the beatles" and normalize_name("AC/DC") == "ac dc"


def test_a_plain_title_is_keyed_as_if_every_rewrite_had_been_tried(monkeypatch):
    # Plain ASCII names and titles skip the rewrites (brackets, dash tails, "feat.", ", The",
    # "&"): the keys must be those the rewrites give, or two copies of one song would stop
    # being told apart from two songs, and the plays matched before would stop finding theirs.
    import random

    import segue_common.normalize as normalize

    rng = random.Random(5)
    pieces = ["Hey", "jude", " ", "  ", "-", " - ", "(Live)", "[Demo]", "(", "]", "&", ",", ", The", "ft", "Ft.",
              "feat", "FEAT.", "Featuring", "soft", "left", "after", "from", "Remastered 2011", "2009", "/",
              "'", "!", "_", "\t", "Caf\u00e9", "\u2013", "\uff21", "Queen", "Queen - ", "Song", "Lift Off",
              # a featured artist is taken off only between spaces; and what the other patterns
              # (artists, track numbers) react to, which no key here may
              " feat ", " Ft. ", " featuring ", " FT ", "Mr. ", "P!nk", "2+2", "+", "w/", " vs. ", " x ", " and ",
              "The ", "&amp;", ";", ")", "[", "\u2014", "(from Film)", "(Remix)", "01 ", "."]
    texts = ["Hey Jude", "Lift Off", "Soft Cell", "Beatles, The", "Queen - Bicycle Race", "Song - Remastered 2011",
             "Song (feat. X)", "Song ft X", "Song feat X", "Salt & Pepper", "AC/DC", "Track 10", "  spaced   out  "]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    artists = [None, "Queen", "Hey", "Song", "Beatles, The", "Simon & Garfunkel"]

    def keys():
        for cached in (normalize.normalize_name, normalize.loose_title):
            cached.cache_clear()
        return [(normalize.normalize_name(t), normalize.loose_title(t, a), recording_key(a, t),
                 normalize.match_key(a, t)) for t in texts for a in artists]

    short = keys()
    assert sum(normalize._plain_words(t) is not None for t in texts) > 300      # (the shortcut is taken)
    monkeypatch.setattr(normalize, "_plain_words", lambda text: None)          # every rewrite tried
    assert keys() == short
    for cached in (normalize.normalize_name, normalize.loose_title):
        cached.cache_clear()
