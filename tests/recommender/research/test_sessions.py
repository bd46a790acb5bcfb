"""Listening-log loading (recommender.research.logs)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.research.logs import (
    LogFormatError,
    drop_repeats,
    load_log_file,
    play_log_from_rows,
)
from recommender.research.datasets import DEFAULT_DATA_ROOT
from segue_common.listening import split_sessions
from segue_common.normalize import match_key

LASTFM = DEFAULT_DATA_ROOT / "lastfm1k_sample" / "listens_user_000001.tsv"


def test_rows_with_names_are_keyed_by_match_key_and_sorted_by_time():
    rows = [
        ("2009-01-01T10:05:00Z", "Beatles, The", "Hey Jude (Remastered 2009)"),
        (1230804000.0, "The Beatles", "Let It Be"),  # 2009-01-01T10:00:00Z, given as unix seconds
        ("2009-01-01T10:09:00Z", "the beatles", "hey jude"),
        ("2009-01-01T10:12:00Z", "", "No artist"),
    ]
    log = play_log_from_rows(rows)
    assert log.dropped == 1
    assert log.times.tolist() == sorted(log.times.tolist())
    assert log.keys[0] == match_key("The Beatles", "Let It Be")
    assert log.items.tolist() == [0, 1, 1]  # both spellings of Hey Jude are one item
    assert log.item_artist.tolist() == [0, 0] and log.artists == ["the beatles"]


def test_rows_with_track_ids_and_their_artists():
    rows = [(100, 7), (50, 3), (200, 7), (300, None)]
    log = play_log_from_rows(rows, track_artist={7: "Björk"})
    assert log.keys == ["track:3", "track:7"]
    assert log.items.tolist() == [0, 1, 1]
    assert log.item_artist.tolist() == [-1, 0] and log.artists == ["bjork"]
    assert log.dropped == 1
    with pytest.raises(LogFormatError):
        play_log_from_rows([(1, 2, 3, 4)])
    with pytest.raises(LogFormatError):
        play_log_from_rows([("yesterday", "a", "b")])


def test_drop_repeats_keeps_first_plays_in_order():
    assert drop_repeats([5, 3, 5, 5, 2, 3]).tolist() == [5, 3, 2]


def test_plain_three_column_tsv(tmp_path):
    path = tmp_path / "plays.tsv"
    path.write_text("time\tartist\ttitle\n200\tA\tx\n100\tA\ty\n9000\tB\tz\n", encoding="utf-8")
    log = load_log_file(path)
    assert len(log) == 3 and log.n_items == 3 and log.n_artists == 2
    assert [len(s) for s in split_sessions(log.times)] == [2, 1]
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n", encoding="utf-8")
    with pytest.raises(LogFormatError):
        load_log_file(bad)


@pytest.mark.skipif(not LASTFM.exists(), reason="shared data absent")
def test_lastfm_log_takes_one_user():
    log = load_log_file(LASTFM)
    assert len(log) == 4997  # the file also holds 3 plays of user_000002
    assert np.all(np.diff(log.times) >= 0)
    assert log.n_items == len(set(log.keys)) and log.items.max() == log.n_items - 1
    # ids are numbered by first appearance: the running maximum never skips an id
    assert np.all(np.diff(np.maximum.accumulate(log.items)) <= 1)
    other = load_log_file(LASTFM, user="user_000002")
    assert len(other) == 3 and other.n_items == 2
    with pytest.raises(LogFormatError):
        load_log_file(LASTFM, user="nobody")
