"""Listening statistics and the report card on planted plays (a real store, no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from player.listening_stats import (
    WEEK_S, hours_of_day, load_summary, play_outcomes, report_card, summarize, week_starts, wilson,
)
from player.store import PlayColumns


@pytest.fixture
def utc(time_zone):
    time_zone("UTC")


MONDAY = 1_704_067_200.0          # 2024-01-01 00:00 UTC, a Monday


def _tracks(store, n=4):
    store.upsert_tracks([{"path": f"/x/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"Song {i}",
                          "artist": "A" if i < 2 else "B", "genre": "Jazz" if i < 3 else "Rock", "duration": 200.0}
                         for i in range(n)])
    return [r["id"] for r in store.tracks()]


def test_weeks_hours_and_skips(store, utc):
    a, b, c, d = _tracks(store)
    day = 86400
    store.log_plays([
        (a, MONDAY + 10 * 3600, 200_000, 200_000, "finished", "library"),       # week 1, 10:00
        (b, MONDAY + 10 * 3600 + 300, 10_000, 200_000, "skipped", "up_next"),   # early skip (10 s)
        (c, MONDAY + 3 * day + 22 * 3600, 150_000, 200_000, "skipped", "radio"),  # late skip: not early
        (d, MONDAY + 3 * day + 23 * 3600, 40_000, 200_000, "skipped", "up_next"),  # early: under half
        (a, MONDAY + 2 * WEEK_S + 5 * 3600, 60_000, 200_000, "stopped", "search"),  # week 3; week 2 empty
        (b, MONDAY + 2 * WEEK_S + 6 * 3600, 0, 200_000, "error", "library"),        # failed: not a play
    ])
    s = load_summary(store, now=MONDAY + 2 * WEEK_S + 7 * 3600)
    w = s.weekly
    assert list(w.week) == [MONDAY, MONDAY + WEEK_S, MONDAY + 2 * WEEK_S]
    assert list(w.plays) == [4, 0, 1]
    assert list(w.decided) == [4, 0, 1] and list(w.skips) == [2, 0, 0]
    assert w.hours[0] == pytest.approx((200 + 10 + 150 + 40) / 3600)
    assert np.isnan(w.skip_rate[1]) and w.skip_rate[0] == 0.5
    assert s.plays == 5 and s.imported == 0
    assert s.by_hour[10] == 2 and s.by_hour[22] == 1 and s.by_hour[5] == 1 and s.by_hour.sum() == 5
    r = s.report
    assert list(r.segue_n) == [3, 0, 0] and list(r.segue_skips) == [2, 0, 0]
    assert list(r.own_n) == [1, 0, 1] and list(r.own_skips) == [0, 0, 0]
    assert s.report_recent == (3, 2, 2, 0)
    assert s.recent == (5, pytest.approx(w.hours.sum()), 2, 5)


def test_the_last_4_weeks_are_the_28_days_before_now_as_the_top_lists_count_them(store, utc):
    # A history imported months after it ended (or a pause from playing): "last 4 weeks" said
    # the plays of that history's last weeks, months ago, and so did the report card.
    a, b, _c, _d = _tracks(store)
    store.log_plays([(a, MONDAY + i * 3600, 200_000, 200_000, "skipped", "library") for i in range(6)]
                    + [(b, MONDAY + WEEK_S + 3600, 200_000, 200_000, "finished", "up_next")])
    later = load_summary(store, now=MONDAY + 40 * WEEK_S + 3600)
    assert later.recent == (0, 0.0, 0, 0) and later.report_recent == (0, 0, 0, 0)
    assert later.top["Last 4 weeks"]["tracks"] == []
    # On a Monday at 02:00, 28 days back is four Mondays ago at 02:00: the plays from 02:00 on
    # that day count, in the headline as in the top lists (the last four calendar weeks, which
    # the headline counted, began a week later and held the one play of the week after).
    s = load_summary(store, now=MONDAY + 4 * WEEK_S + 2 * 3600)
    assert s.recent == (5, pytest.approx(5 * 200 / 3600), 0, 5)
    assert s.report_recent == (1, 0, 4, 0)
    assert s.recent[0] == sum(e.plays for e in s.top["Last 4 weeks"]["tracks"]) == 5
    s = load_summary(store, now=MONDAY + 5 * WEEK_S + 2 * 3600)
    assert s.recent[0] == sum(e.plays for e in s.top["Last 4 weeks"]["tracks"]) == 0


def test_top_lists_follow_the_period(store, utc):
    a, b, c, d = _tracks(store)
    now = MONDAY + 100 * 86400
    plays = [(a, now - 200 * 86400 + i * 600, 200_000, 200_000, "finished", "library") for i in range(5)]
    plays += [(d, now - 3 * 86400 + i * 600, 200_000, 200_000, "finished", "library") for i in range(3)]
    plays += [(c, now - 2 * 86400, 100_000, 200_000, "finished", "library")]
    store.log_plays(plays)
    s = load_summary(store, now=now)
    recent, ever = s.top["Last 4 weeks"], s.top["All time"]
    assert [(e.name, e.plays) for e in recent["artists"]] == [("B", 4)]
    assert [(e.name, e.plays) for e in ever["artists"]] == [("A", 5), ("B", 4)]
    assert [e.name for e in recent["tracks"]] == ["Song 3 — B", "Song 2 — B"]
    assert [(e.name, e.plays) for e in recent["genres"]] == [("Rock", 3), ("Jazz", 1)]
    assert ever["artists"][1].track_ids == [d, c]                  # most played first
    assert recent["artists"][0].hours == pytest.approx(3 * 200 / 3600 + 100 / 3600)


def test_imported_plays_count_but_stay_out_of_the_report_card(utc):
    n = 6
    cols = PlayColumns(
        started_at=MONDAY + np.arange(n) * 600.0, ms_heard=np.full(n, 5_000.0), track_ms=np.full(n, 200_000.0),
        ended=np.full(n, 2, np.int8),                       # skipped
        source=np.array([1, 1, 0, 0, 0, 0], np.int8),        # up_next, up_next, library x4
        track_id=np.arange(n, dtype=np.int64), imported=np.array([False, False, False, True, True, True]),
        counted=np.ones(n, bool))
    s = summarize(cols, {}, now=MONDAY + WEEK_S)
    assert s.plays == 6 and s.imported == 3 and s.weekly.skips[0] == 6
    assert (s.report.segue_n[0], s.report.own_n[0]) == (2, 1)
    assert report_card(cols).own_skips[0] == 1


def test_unknown_track_length_uses_the_30_second_rule_and_long_mixes_four_minutes():
    # The last two: a two-hour mix skipped after 40 minutes was listened to, not turned away;
    # after 3 minutes it was.
    cols = PlayColumns(
        started_at=np.zeros(5), ms_heard=np.array([29_000.0, 31_000.0, 0.0, 2_400_000.0, 180_000.0]),
        track_ms=np.array([np.nan, np.nan, 180_000.0, 7_200_000.0, 7_200_000.0]),
        ended=np.array([2, 2, 1, 2, 2], np.int8),
        source=np.zeros(5, np.int8), track_id=np.arange(5, dtype=np.int64), imported=np.zeros(5, bool),
        counted=np.ones(5, bool))
    counts, decided, early, hours = play_outcomes(cols)
    assert list(early) == [True, False, False, False, True]
    assert hours[2] == pytest.approx(180 / 3600)             # finished with no time logged: its length


def test_local_weeks_and_hours_follow_daylight_saving(time_zone):
    time_zone("Europe/Berlin")
    # 2024-03-31 is the Sunday clocks go forward; 2024-03-25 00:00 CET is 2024-03-24 23:00 UTC.
    before = 1_711_321_200.0 + 6 * 86400 + 3600          # Sun 01:00 CET
    after = before + 2 * 3600                            # Sun 04:00 CEST (03:00 UTC)
    assert list(hours_of_day(np.array([before, after]))) == [1, 4]
    assert list(week_starts(np.array([before, after]))) == [1_711_321_200.0, 1_711_321_200.0]
    assert week_starts(np.array([after + 86400]))[0] == 1_711_321_200.0 + WEEK_S - 3600


def test_wilson_interval_narrows_with_more_plays():
    lo3, hi3 = wilson(np.array([1]), np.array([3]))
    lo300, hi300 = wilson(np.array([100]), np.array([300]))
    assert lo3[0] < 1 / 3 < hi3[0] and lo300[0] < 1 / 3 < hi300[0]
    assert hi300[0] - lo300[0] < (hi3[0] - lo3[0]) / 4
    assert np.isnan(wilson(np.array([0]), np.array([0]))[0][0])


def test_empty_store(store):
    s = load_summary(store)
    assert s.empty and len(s.weekly.week) == 0 and s.by_hour.sum() == 0
    assert all(v == [] for period in s.top.values() for v in period.values())


def test_imported_history_counts_in_listening_not_in_the_report_card(store, utc):
    a, b, _c, _d = _tracks(store)
    store.log_plays([(a, MONDAY + 3600, 5_000, 200_000, "skipped", "up_next"),
                     (b, MONDAY + 7200, 200_000, 200_000, "finished", "library")])
    listens, plays = [], []
    for i in range(3):                       # three imported plays, all early skips
        listens.append({"fingerprint": f"fp{i}", "started_at": MONDAY + 86400 + i * 600, "artist": "A",
                        "title": "Song 0", "artist_key": "a", "song_key": "a song 0", "ms_played": 4000})
        plays.append({"track_id": a, "started_at": MONDAY + 86400 + i * 600, "ms_heard": 4000,
                      "track_ms": 200_000, "ended": "skipped"})
    store.add_import({"name": "x.csv", "format": "lastfm", "sha256": "0", "rows": 3, "matched": 3,
                      "unmatched": 0, "not_music": 0, "duplicates": 0, "unreadable": 0}, listens, plays)
    s = load_summary(store, now=MONDAY + 2 * 86400)
    assert s.plays == 5 and s.imported == 3
    assert s.weekly.skips[0] == 4 and s.weekly.decided[0] == 5
    assert (s.report.segue_n[0], s.report.segue_skips[0], s.report.own_n[0], s.report.own_skips[0]) == (1, 1, 1, 0)
    assert [(e.name, e.plays, e.track_ids) for e in s.top["All time"]["artists"]] == [("A", 5, [a, b])]


def test_a_genre_is_named_by_the_tag_as_it_is_now_then_by_the_analysis():
    from player.listening_stats import genre_name

    # analysed as jazz when its tag said Jazz, retagged Classical since: counted as Classical,
    # as Discover and Radio place it
    assert genre_name("jazz", "Classical") == "Classical"
    assert genre_name("soul & rnb", "Heavy Metal; Rock") == "Metal"
    assert genre_name("jazz", "Podcast") == "Jazz"              # a tag of no genre: the analysis's
    assert genre_name(None, "reggae") == "Reggae" and genre_name(None, None) == "No genre tag"
    assert genre_name("hip-hop", None) == "Hip-hop"


def test_one_song_in_two_files_is_one_entry_of_the_top_tracks(store, utc):
    # An album's song in FLAC, its phone copy in MP3 and its remaster on a best-of: one song,
    # played 2 + 2 + 1 times; a live take of another length is another recording.
    store.upsert_tracks([{"size": 1, "mtime_ns": 1, **r} for r in (
        {"path": "/m/first/1.flac", "title": "Song", "artist": "A", "duration": 200.0},
        {"path": "/phone/first/1.mp3", "title": "Song", "artist": "A", "duration": 200.4},
        {"path": "/m/best/1.ogg", "title": "Song (Remastered 2011)", "albumartist": "A", "duration": 201.0},
        {"path": "/m/live/1.flac", "title": "Song", "artist": "A", "duration": 260.0},
        {"path": "/m/other/1.flac", "title": "Other", "artist": "B", "duration": 200.0},
    )])
    flac, mp3, best, live, other = (store.track_by_path(p)["id"] for p in (
        "/m/first/1.flac", "/phone/first/1.mp3", "/m/best/1.ogg", "/m/live/1.flac", "/m/other/1.flac"))
    now = MONDAY + 10 * 86400
    plays = [(t, now - 86400 + i * 600, 200_000, 200_000, "finished", "library")
             for i, t in enumerate([flac, flac, mp3, mp3, best, other, other, other, other, live])]
    store.log_plays(plays)
    top = load_summary(store, now=now).top["All time"]["tracks"]
    assert [(e.name, e.plays) for e in top] == [("Song — A", 5), ("Other — B", 4), ("Song — A", 1)]
    assert sorted(top[0].track_ids) == sorted([flac, mp3, best]) and top[2].track_ids == [live]
    assert top[0].hours == pytest.approx(5 * 200 / 3600)


def test_top_tracks_played_alike_stay_in_name_order(store, utc):
    # Ties of plays and hours are in name order, in the tracks as in the artists and genres
    # (as top_lists says): the song added first came first.
    store.upsert_tracks([{"size": 1, "mtime_ns": 1, **r} for r in (
        {"path": "/m/b.flac", "title": "Bravo", "artist": "A", "duration": 200.0},
        {"path": "/m/a.flac", "title": "Alpha", "artist": "A", "duration": 200.0},
        {"path": "/m/c.flac", "title": "Charlie", "artist": "A", "duration": 200.0},
    )])
    bravo, alpha, charlie = (store.track_by_path(f"/m/{n}.flac")["id"] for n in "bac")
    now = MONDAY + 10 * 86400
    store.log_plays([(t, now - 86400 + i * 600, 200_000, 200_000, "finished", "library")
                     for i, t in enumerate([bravo, alpha, charlie, charlie])])
    top = load_summary(store, now=now).top["All time"]["tracks"]
    assert [(e.name, e.plays) for e in top] == [("Charlie — A", 2), ("Alpha — A", 1), ("Bravo — A", 1)]


def test_a_genre_spelled_several_ways_is_one_genre_of_the_charts(store, utc):
    # A short word in capitals is kept as the person writes it ("MPB"), so "SKA" and "ska"
    # were two genres side by side; the chart names it as most of its tracks spell it.
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"s{i}", "artist": "A",
                          "genre": g, "duration": 200.0} for i, g in enumerate(["SKA", "ska", "Ska", "ska"])])
    now = MONDAY + 10 * 86400
    store.log_plays([(r["id"], now - 86400 + i * 600, 200_000, 200_000, "finished", "library")
                     for i, r in enumerate(store.tracks())])
    top = load_summary(store, now=now).top["All time"]["genres"]
    assert [(e.name, e.plays) for e in top] == [("Ska", 4)]


# Real names as a person's shelf has them: accents, a lower-case first letter, numbers, "The",
# punctuation first, and a Japanese and a Cyrillic name (after the Latin ones, as the library
# sorts them: a Latin-script reader looks for those at the end, not between B and C).
SHELF = ["Zz Top", "Кино", "dEUS", "The The", "Ólafur Arnalds", "坂本龍一", "2Pac", "Émilie Simon", "10cc",
         "'Til Tuesday", "!!!", "Björk"]
IN_ORDER = ["!!!", "'Til Tuesday", "2Pac", "10cc", "Björk", "dEUS", "Émilie Simon", "Ólafur Arnalds", "The The",
            "Zz Top", "Кино", "坂本龍一"]


def test_artists_played_alike_are_in_the_order_the_library_sorts_names(store, utc):
    # Ties went in code point order: "Zz Top" before "dEUS", "Émilie Simon" and "Ólafur Arnalds"
    # after both, "10cc" before "2Pac". They go as the library's Artist column sorts them.
    from segue_common.text import sort_form

    assert sorted(SHELF, key=sort_form) == IN_ORDER
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": "Song", "artist": name,
                          "genre": name, "duration": 200.0} for i, name in enumerate(SHELF)])
    now = MONDAY + 10 * 86400
    store.log_plays([(r["id"], now - 86400 + i * 600, 200_000, 200_000, "finished", "library")
                     for i, r in enumerate(store.tracks())])
    summary = summarize(store.play_columns(), store.played_track_labels(), now=now, k=len(SHELF))
    top = summary.top["All time"]
    assert [e.name for e in top["artists"]] == IN_ORDER
    assert [e.name for e in top["tracks"]] == [f"Song — {name}" for name in IN_ORDER]


def test_an_m4b_book_is_charted_as_an_audiobook_whatever_its_genre_tag(store, utc):
    # A rock memoir in .m4b, tagged "Rock": the library files it under Audiobook, but the
    # Listening tab counted its hours as rock listening, over the rock songs played.
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"s{i}", "artist": "A",
                          "genre": "Rock", "duration": 200.0} for i in range(2)]
                        + [{"path": "/books/memoir.M4B", "size": 1, "mtime_ns": 1, "title": "A Life in Rock",
                            "artist": "A", "genre": "Rock", "duration": 36000.0}])
    now = MONDAY + 10 * 86400
    store.log_plays([(r["id"], now - 86400 + i * 600, 200_000, 200_000, "finished", "library")
                     for i, r in enumerate(store.tracks())])
    top = load_summary(store, now=now).top["All time"]["genres"]
    assert sorted((e.name, e.plays) for e in top) == [("Audiobook", 1), ("Rock", 2)]
