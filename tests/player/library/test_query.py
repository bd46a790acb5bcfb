"""The search box's query language, read without Qt: fields, ranges, exclusions, and text kept as text."""

from __future__ import annotations

import pytest

from player.library.query import NumberTerm, TextTerm, parse, plain_query


def test_plain_words_read_exactly_as_before():
    for text in ("abbey road", "Part 1: Intro", "Re: Stacks", "Björk  HOMOGENIC", "AC/DC", "x:y", "", "  "):
        query = parse(text)
        assert query.terms == plain_query(text) and query.plain and not query.problem, text


def test_a_colon_after_no_field_name_is_text():
    assert parse("Re: Stacks").terms == [TextTerm("re:"), TextTerm("stacks")]
    assert parse("mix:remaster").terms == [TextTerm("mix:remaster")]


def test_fields_and_their_aliases():
    query = parse('Artist:Beatles album:"Abbey Road" genre:jazz date:1969 stars:5 playcount:0 albumartist:various')
    assert query.terms == [TextTerm("beatles", "artist"), TextTerm("abbey road", "album"), TextTerm("jazz", "genre"),
                           NumberTerm("year", 1969, 1969), NumberTerm("rating", 5, 5), NumberTerm("plays", 0, 0),
                           TextTerm("various", "albumartist")]
    assert not query.plain


@pytest.mark.parametrize(("value", "low", "high"), [
    ("1965-1972", 1965, 1972), ("1972..1965", 1965, 1972), (">=2000", 2000, None), (">2000", 2001, None),
    ("<1970", None, 1969), ("<=4", None, 4), ("=3", 3, 3), ("7", 7, 7)])
def test_numbers_ranges_and_comparisons(value, low, high):
    assert parse(f"year:{value}").terms == [NumberTerm("year", low, high)]


def test_exclusions_and_phrases():
    assert parse('-live -artist:"the who" "dark side" a-ha -').terms == [
        TextTerm("live", None, True), TextTerm("the who", "artist", True), TextTerm("dark side"),
        TextTerm("a-ha"), TextTerm("-")]


@pytest.mark.parametrize(("text", "why"), [
    ("year:>=abc", "year:>=abc is not a number"), ('album:"abbey road', "a quote is not closed"),
    ("rating:4-5x", "rating:4-5x is not a number")])
def test_what_cannot_be_read_is_searched_as_plain_text_and_says_why(text, why):
    query = parse(text)
    assert query.terms == plain_query(text) and why in query.problem and "plain text" in query.problem


def test_a_field_still_being_typed_is_left_out_and_noted():
    query = parse("beatles artist:")
    assert query.terms == [TextTerm("beatles")] and query.notes == ["artist: needs a value"]


def test_a_number_term_typed_key_by_key_is_never_read_as_text():
    # Read as text at "year:>" or "year:1965-", the table emptied and a reason popped up for
    # one key of every comparison or range typed.
    for typed in ("year:>=1970", "rating:<=2", "year:1965-1972", "year:1965..1972"):
        for n in range(1, len(typed) + 1):
            assert not parse(typed[:n]).problem, typed[:n]
    assert parse("beatles year:>=").terms == [TextTerm("beatles")]
    assert parse("year:1965-").notes == ["year:1965- needs a number"]


def test_a_range_whose_end_is_still_being_typed_waits_for_it():
    # "year:1965-1" on its way to 1972 was read as 1-1965: every older song flashed up for a key.
    for typed in ("year:1965-1", "year:1965-19", "year:1965..197"):
        query = parse(typed)
        assert query.terms == [] and query.notes == [f"{typed} needs its end"], typed
    assert parse("year:1965-1972").terms == [NumberTerm("year", 1965, 1972)]
    assert parse("year:1972-1965").terms == [NumberTerm("year", 1965, 1972)]    # (reversed, typed whole)
    assert parse("plays:5-10").terms == [NumberTerm("plays", 5, 10)]


def test_a_quote_inside_a_word_is_a_character():
    # ("12\" mix" found what it always found, with a reason about an open quote popped up)
    for text in ('12" mix', 'the 7" single', 'a"b c'):
        query = parse(text)
        assert query.terms == plain_query(text) and not query.problem, text


def test_text_without_a_field_a_quote_or_a_leading_dash_gives_the_words_it_always_gave():
    import random

    rng = random.Random(11)
    letters = "abcé ÅøßŒ12:;-/.,'!?  \t"
    for _ in range(2000):
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 24)))
        if any(w.startswith("-") and len(w) > 1 for w in text.split()):
            continue
        assert parse(text).terms == plain_query(text), repr(text)
