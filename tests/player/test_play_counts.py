"""Every play count shown agrees: the library search's ``plays:``, ``segue library``,
``segue status`` and the Listening tab count the same plays of each song, by one rule."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

T0 = 1_700_000_000.0


def _library(store, music):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for name in ("heard", "stopped at once", "passed over", "failed", "scrobbled"):
        write_track(music, name, fmt="flac", seconds=0.3, tags={"title": name, "artist": "A", "album": "B"})
    Scanner(store).scan([str(music)])
    return {r["title"]: r["id"] for r in store.library_rows(["id", "title"])}


def _log(store, track_id, ended, ms, at, **kw):
    store.end_play(store.start_play(track_id, now=at), ended, ms, now=at + ms / 1000 + 1, **kw)


@pytest.fixture
def played(store, tmp_path):
    """A song heard whole and skipped at 2 s, one stopped before a sound was heard, one passed
    over with Next before it was heard, one that failed, one an imported scrobble logged with
    no time heard: 3 plays in all."""
    ids = _library(store, tmp_path / "music")
    _log(store, ids["heard"], "finished", 300, T0)
    _log(store, ids["heard"], "skipped", 2_000, T0 + 60)
    _log(store, ids["stopped at once"], "stopped", 0, T0 + 120)
    _log(store, ids["passed over"], "skipped", 0, T0 + 180)
    _log(store, ids["failed"], "error", 0, T0 + 240, error="file not found")
    _log(store, ids["scrobbled"], "finished", 0, T0 + 300)
    return ids, {ids["heard"]: 2, ids["scrobbled"]: 1}


def test_the_search_counts_no_play_nothing_of_was_heard(store, played):
    ids, expected = played
    tracks, plays = store.plays_per_track()
    assert dict(zip(tracks.tolist(), plays.tolist())) == expected


def test_segue_library_and_status_count_the_plays_the_search_counts(store, played, capsys):
    from player.cli import main

    assert store.library_counts()["plays"] == 3
    assert main(["library"]) == 0
    assert "plays:     3\n" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert "Plays:      3 " in capsys.readouterr().out


def test_the_listening_tab_counts_the_plays_the_search_counts(store, played):
    from player.listening_stats import load_summary

    ids, expected = played
    summary = load_summary(store, now=T0 + 3600)
    assert summary.plays == 3
    shown = {t: e.plays for e in summary.top["All time"]["tracks"] for t in e.track_ids}
    assert shown == expected
    # A play of nothing heard has no outcome either: one skip of the two plays with one.
    assert (summary.weekly.skips.sum(), summary.weekly.decided.sum()) == (1, 3)


def test_the_sound_map_marks_as_played_this_week_only_the_songs_played(store, played):
    from player.sound_map import week_track_ids

    ids, expected = played
    assert week_track_ids(store, now=T0 + 3600) == set(expected)


@pytest.mark.parametrize("ended", ["playing", "finished", "skipped", "stopped", "error"])
@pytest.mark.parametrize("ms", [0, 1, 2_000])
def test_the_rule_in_sql_is_the_rule_in_python(ended, ms):
    from segue_common.listening import COUNTS_AS_PLAY, counts_as_play

    conn = sqlite3.connect(":memory:")
    counted = conn.execute(f"SELECT {COUNTS_AS_PLAY} FROM (SELECT ? AS ended, ? AS ms_heard)", (ended, ms)).fetchone()
    assert bool(counted[0]) == counts_as_play(ended, ms)


def test_the_rule_for_one_play_is_the_rule_for_many():
    from segue_common.listening import counts_as_play

    ended = ["playing", "finished", "skipped", "stopped", "error"] * 3
    ms = [0] * 5 + [1] * 5 + [2_000] * 5
    assert counts_as_play(np.array(ended, dtype=object), np.array(ms)).tolist() == \
        [counts_as_play(e, m) for e, m in zip(ended, ms)]
