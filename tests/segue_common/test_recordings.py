"""One song in several files is one recording when its copies' lengths agree: the rule Up next,
Radio, Discover, shuffle and the top lists all go by."""

import math

from segue_common.normalize import FirstCopies, recording_key, same_length


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
