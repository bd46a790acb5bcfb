"""The library-order / genre-tag recommendation provider over a real store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from player.recommendations import (
    UNTAGGED, LibraryRecommendations, Rec, RecommendationProvider, genre_bucket,
)
from segue_common.listening import FUTURE_SLACK_S


def _add(store, rows):
    full = []
    for i, r in enumerate(rows):
        full.append({"path": f"/m/{i:03d}.flac", "size": 1, "mtime_ns": 1, "album": r.get("album", "A"),
                     "albumartist": r["artist"], "track_no": i + 1, "duration": 200.0, **r})
    store.upsert_tracks(full)
    return [store.track_by_path(r["path"])["id"] for r in full]


def test_genre_bucket_folds_spellings_and_multi_values():
    assert genre_bucket("rock; pop") == "rock"
    assert genre_bucket("ROCK") == genre_bucket("Rock") == "rock"
    # One genre, however it is spelled, in the names audio analysis gives
    assert genre_bucket("Heavy Metal") == genre_bucket("metal") == "metal"
    assert genre_bucket("Hip Hop") == genre_bucket("Hip-Hop") == genre_bucket("Rap") == "hip-hop"
    assert genre_bucket("Soundtrack") == "classical"
    # a genre of no bucket keeps its own name, in one spelling
    assert genre_bucket("reggae") == genre_bucket("REGGAE / dub") == "Reggae"
    assert genre_bucket(None) == genre_bucket("  ") == UNTAGGED
    # fillers name no genre: passed over for the next value, untagged alone
    assert genre_bucket("Other") == genre_bucket("unknown") == genre_bucket("N/A") == UNTAGGED
    assert genre_bucket("Other; Jazz") == genre_bucket("Misc/Jazz") == "jazz"


def test_genre_bucket_names_a_genre_of_no_bucket_as_the_person_writes_it():
    # A Discover row's heading: not "Children'S Music", "Zouk 'N' Bass", "Mpb", "Uk Drill", "80S"
    assert genre_bucket("children's music") == genre_bucket("Children's Music") == "Children's Music"
    assert genre_bucket("zouk 'n' bass") == "Zouk 'n' Bass"
    assert genre_bucket("MPB") == "MPB"
    assert genre_bucket("UK Drill") == "UK Drill"
    assert genre_bucket("80s Cumbia") == "80s Cumbia"
    assert genre_bucket("a cappella") == genre_bucket("A CAPPELLA") == "A Cappella"


def test_protocol_is_satisfied(store):
    assert isinstance(LibraryRecommendations(store), RecommendationProvider)


def test_up_next_continues_library_order_without_repeats(store):
    ids = _add(store, [{"title": f"t{i}", "artist": "X", "genre": "Jazz"} for i in range(6)])
    recs = LibraryRecommendations(store).up_next([ids[1], ids[4]], 3, exclude={ids[5]})
    assert all(isinstance(r, Rec) for r in recs)
    # After ids[4] comes ids[5] (excluded), then wrap to ids[0]; ids[1] was played this session.
    assert [r.track_id for r in recs] == [ids[0], ids[2], ids[3]]
    assert "t4" in recs[0].reason


def test_radio_stays_in_genre_spreads_artists_and_demotes_skipped(store):
    ids = _add(store, [
        {"title": "seed", "artist": "A", "genre": "Rock"},
        {"title": "a2", "artist": "A", "genre": "rock"},
        {"title": "a3", "artist": "A", "genre": "Rock"},
        {"title": "b1", "artist": "B", "genre": "Rock"},
        {"title": "c1", "artist": "C", "genre": "Rock"},
        {"title": "c2", "artist": "C", "genre": "Rock"},
        {"title": "j1", "artist": "J", "genre": "Jazz"},
    ])
    p = LibraryRecommendations(store)
    artist = dict(zip(ids, "AAABCCJ"))
    got = [r.track_id for r in p.radio(ids[0], 5)]
    assert sorted(got) == ids[1:6]                               # the rest of the genre
    assert artist[got[0]] == "A"                                 # the seed's artist leads...
    assert all(artist[a] != artist[b] for a, b in zip(got, got[1:]))   # ...then artists spread
    skipped = [r.track_id for r in p.radio(ids[0], 4, skipped=[ids[3]])]
    assert ids[3] not in skipped
    assert [artist[t] for t in skipped] == ["A", "C", "A", "C"]
    # A small genre is topped up from library neighbours, never the seed or excluded tracks.
    long = [r.track_id for r in p.radio(ids[0], 10, exclude={ids[6]})]
    assert ids[0] not in long and ids[6] not in long and len(long) == len(set(long))


def test_a_station_from_an_untagged_song_keeps_to_its_album_not_to_every_untagged_song(store):
    # A folk album with one song untagged, and a rock band's album of no genre tags: a station
    # from the untagged folk song played the rock band's songs, "untagged" taken for a genre.
    ids = _add(store, [
        {"title": "seed", "artist": "F", "album": "Fa"},
        {"title": "f2", "artist": "F", "album": "Fa", "genre": "Folk"},
        {"title": "f3", "artist": "F", "album": "Fa", "genre": "Folk"},
        {"title": "g1", "artist": "G", "album": "Ga", "genre": "Folk"},
        {"title": "g2", "artist": "G", "album": "Ga", "genre": "Folk"},
        *[{"title": f"r{i}", "artist": "R", "album": "Ra"} for i in range(4)],
        *[{"title": f"j{i}", "artist": f"J{i}", "album": f"Ja{i}", "genre": "Jazz"} for i in range(4)],
    ])
    p = LibraryRecommendations(store)
    assert sorted(r.track_id for r in p.radio(ids[0], 4)) == ids[1:5]       # the album's genre
    # A song of the rock band's, whose album names no genre: its album's songs are the
    # station's own, with its neighbours between them, no other song of no genre tag taken
    # for one of its genre.
    got = [r.track_id for r in p.radio(ids[5], 6)]
    assert got[0::2] == [t for t in got if t in ids[5:9]] and set(ids[6:9]) <= set(got), got


def test_radio_and_discover_leave_out_mixes_and_chapters_unless_the_seed_is_one(store):
    # A two-hour mix and a 90-minute audiobook chapter, tagged like the songs: no song to
    # offer between songs. A station from the mix may play the other long one.
    ids = _add(store, [{"title": f"s{i}", "artist": f"S{i % 3}", "genre": "Electronic"} for i in range(6)]
               + [{"title": "mix", "artist": "DJ", "genre": "Electronic", "duration": 7200.0},
                  {"title": "chapter", "artist": "Reader", "genre": "Electronic", "duration": 5400.0}])
    p = LibraryRecommendations(store)
    longs = set(ids[6:])
    assert not longs & {r.track_id for r in p.radio(ids[0], 5)}
    assert not longs & {r.track_id for row in p.discover(10).values() for r in row}
    assert ids[7] in {r.track_id for r in p.radio(ids[6], 5)}


def test_up_next_goes_on_past_an_albums_end_to_songs_not_to_a_mix_or_a_chapter(store):
    # An album played to its end, then in library order a two-hour mix and a chapter of a
    # book: Keep it going queued the evening's mix after the album. The next songs in
    # library order come first; the album's own long closing track plays in its place.
    ids = _add(store, [{"title": f"a{i}", "artist": "Alpha", "album": "First", "genre": "Rock"} for i in range(4)]
               + [{"title": "closer", "artist": "Alpha", "album": "First", "genre": "Rock", "duration": 2400.0},
                  {"title": "mix", "artist": "Beta DJ", "album": "Set", "genre": "Rock", "duration": 7200.0},
                  {"title": "ch1", "artist": "Cole Reader", "album": "Book", "genre": "Audiobook",
                   "duration": 1500.0}]
               + [{"title": f"d{i}", "artist": "Delta", "album": "Second", "genre": "Rock"} for i in range(4)]
               + [{"title": "coda", "artist": "Delta", "album": "Second", "genre": "Rock", "duration": 2400.0},
                  {"title": "e0", "artist": "Echo", "album": "Third", "genre": "Rock"}])
    p = LibraryRecommendations(store)
    picks = [r.track_id for r in p.up_next(ids[:4], 9)]
    # The album it goes on into plays whole too, its own long closing track in its place.
    assert picks == [ids[4], *ids[7:13], ids[5], ids[6]], picks
    # After the mix the songs that follow it; the chapter, speech among music, still waits.
    assert [r.track_id for r in p.up_next([ids[5]], 2)] == ids[7:9]


def test_a_small_genres_station_goes_on_in_library_order_without_a_mix(store):
    # A pop song, the only one, then a 40-minute mix and jazz songs in library order: the
    # station runs out of pop at once and goes on with the seed's neighbours, which are
    # songs too; the mix next to them is not a song to play between songs.
    ids = _add(store, [{"title": "pop", "artist": "P", "genre": "Pop"},
                       {"title": "mix", "artist": "DJ", "genre": "Electronic", "duration": 2400.0}]
               + [{"title": f"j{i}", "artist": f"J{i % 2}", "genre": "Jazz"} for i in range(4)])
    picks = [r.track_id for r in LibraryRecommendations(store).radio(ids[0], 3)]
    assert len(picks) == 3 and set(picks) <= set(ids[2:])


def test_a_small_genres_station_is_made_while_a_scan_adds_a_track(store, monkeypatch):
    # A scan that adds a song while the station is read: the seed's neighbours were read from
    # the library a second time, which held a song the first read did not, and the station
    # failed (KeyError) instead of being made from the library as first read.
    ids = _add(store, [{"title": "pop", "artist": "P", "genre": "Pop"}]
               + [{"title": f"j{i}", "artist": f"J{i % 2}", "genre": "Jazz"} for i in range(4)])
    left_out_ids = store.left_out_ids

    def read_during_a_scan():
        store.upsert_tracks([{"path": "/m/new.flac", "size": 1, "mtime_ns": 1, "album": "A", "albumartist": "P",
                              "artist": "P", "title": "new", "genre": "Jazz", "track_no": 1, "duration": 200.0}])
        return left_out_ids()

    monkeypatch.setattr(store, "left_out_ids", read_during_a_scan)
    picks = [r.track_id for r in LibraryRecommendations(store).radio(ids[0], 3)]
    assert len(picks) == 3 and set(picks) <= set(ids[1:])


def test_chapters_tagged_audiobook_stay_out_of_a_songs_station_and_discover_however_short(store):
    # 25-minute chapters (under the length that makes a track long) beside a pop song and
    # jazz songs: the station runs out of pop and goes on with its neighbours in library
    # order, which are the book's; a station on a chapter goes on with the book.
    ids = _add(store, [{"title": "pop", "artist": "P", "genre": "Pop"}]
               + [{"title": f"ch{i}", "artist": "Reader", "genre": "Audiobook", "duration": 1500.0} for i in range(3)]
               + [{"title": f"j{i}", "artist": f"J{i % 2}", "genre": "Jazz"} for i in range(4)])
    p = LibraryRecommendations(store)
    chapters = set(ids[1:4])
    picks = [r.track_id for r in p.radio(ids[0], 3)]
    assert len(picks) == 3 and not chapters & set(picks), picks
    assert not chapters & {r.track_id for row in p.discover(10).values() for r in row}
    assert chapters & {r.track_id for r in p.radio(ids[1], 3)}


def test_discover_buckets_by_genre_unplayed_first(store):
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 2}", "genre": "Rock"} for i in range(4)]
               + [{"title": "j", "artist": "J", "genre": "Jazz"}, {"title": "u", "artist": "U"}])
    play = store.start_play(ids[0], source="library", now=1000.0)
    store.end_play(play, "finished", 200_000, now=1200.0)
    rows = LibraryRecommendations(store).discover(3)
    assert list(rows) == ["rock", "jazz", UNTAGGED]
    rock = [r.track_id for r in rows["rock"]]
    assert len(rock) == 3 and ids[0] not in rock                 # played track goes last
    assert rows["rock"][0].reason == ""          # the row's heading names the genre; nothing played to say
    assert [r.track_id for r in rows["jazz"]] == [ids[4]]


def test_discover_takes_a_song_stopped_before_it_was_heard_or_that_failed_for_unplayed(store):
    # No play of either counts: Discover held them as played lately, and offered the only
    # song played in their place.
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i}", "genre": "Rock"} for i in range(4)])
    store.end_play(store.start_play(ids[0], now=1000.0), "finished", 200_000, now=1200.0)
    store.end_play(store.start_play(ids[1], now=1300.0), "stopped", 0, now=1300.5)
    store.end_play(store.start_play(ids[2], now=1400.0), "error", 0, error="file not found", now=1400.5)
    from player.recommender_service import RecommenderService

    for provider in (LibraryRecommendations(store), RecommenderService(store, priors=None)):
        assert sorted(r.track_id for r in provider.discover(3)["rock"]) == ids[1:]


def test_discover_without_learning_pools_the_small_genres_of_a_library_of_many(store):
    # The plain rows (before the recommender is built, or without it) were a row per genre
    # tag too: hundreds of rows of a tile or two. Past 20 genres, those of fewer than four
    # songs share one row, a song of each genre before a second of any.
    from recommender.genres import MAX_ROWS, MORE_TO_DISCOVER

    genres = [f"Big {i:02d}" for i in range(22) for _ in range(5)] + [f"Tiny {i:02d}" for i in range(30)]
    ids = _add(store, [{"title": f"s{i}", "artist": f"A{i}", "genre": g} for i, g in enumerate(genres)])
    genre = dict(zip(ids, genres))
    rows = LibraryRecommendations(store).discover(14)
    assert len(rows) == MAX_ROWS + 1 and list(rows)[-1] == MORE_TO_DISCOVER
    assert all(len(row) == 5 for b, row in rows.items() if b != MORE_TO_DISCOVER)
    pooled = [genre[r.track_id] for r in rows[MORE_TO_DISCOVER]]
    assert pooled == ["Big 20", "Big 21"] + [f"Tiny {i:02d}" for i in range(12)]      # one each
    assert rows[MORE_TO_DISCOVER][2].reason == "Tiny 00"      # its genre: the row's heading names none


def test_discover_gives_one_artists_genres_one_row_without_learning_and_with_it(store):
    # Genres only one artist is tagged with, all the same artist's, shared the row "More to
    # discover" under a caption of "a song or two from each of many genres": one artist's
    # songs. They keep one row, headed by the largest, its other genre named on its tiles.
    from player.recommender_service import RecommenderService
    from recommender.genres import MORE_TO_DISCOVER

    genres = ["Fado"] * 4 + ["Zouk"] * 2 + ["Rock"] * 6
    artists = ["Solo"] * 6 + [f"Band {i}" for i in range(6)]
    ids = _add(store, [{"title": f"s{i}", "artist": a, "genre": g} for i, (a, g) in enumerate(zip(artists, genres))])
    for provider in (LibraryRecommendations(store), RecommenderService(store, priors=None)):
        rows = provider.discover(6)
        assert sorted(rows) == ["Fado", "rock"] and MORE_TO_DISCOVER not in rows
        assert sorted(r.track_id for r in rows["Fado"]) == ids[:6]
        reasons = {r.track_id: r.reason for r in rows["Fado"]}
        assert all(reasons[t].startswith("Zouk") for t in ids[4:6])
        assert not any(reasons[t].startswith("Fado") for t in ids[:4])
        assert provider.discover_captions(["Fado"]) == {"Fado": "new to you"}


def test_discover_without_learning_orders_the_rows_as_the_learning_recommender(store):
    # The plain rows went by size alone: the person's favourite genre, small, was in the
    # shared row until the recommender was ready and moved it to the top, every row below
    # it moving too. Both lead with the person's two genres (listened plays: an early skip
    # is none), then a new genre and one of theirs in turns.
    from player.recommender_service import RecommenderService
    from recommender.genres import MORE_TO_DISCOVER

    genres = [f"Big {i:02d}" for i in range(22) for _ in range(6 + 2 * (21 - i))] + [f"Tiny {i:02d}" for i in range(10)]
    ids = _add(store, [{"title": f"s{i}", "artist": f"A{i}", "genre": g} for i, g in enumerate(genres)])
    first = {g: ids[genres.index(g)] for g in genres}
    t0 = time.time() - 3600
    store.log_plays([(first["Big 21"], t0 + i, 200_000, 200_000, "finished", "library") for i in range(3)]
                    + [(first["Big 20"], t0 + 10 + i, 200_000, 200_000, "finished", "library") for i in range(2)]
                    + [(first["Big 04"], t0 + 20 + i, 100, 200_000, "skipped", "library") for i in range(5)])
    plain = list(LibraryRecommendations(store).discover(14))
    assert plain[:4] == ["Big 21", "Big 20", "Big 00", "Big 01"] and plain[-1] == MORE_TO_DISCOVER
    assert plain == list(RecommenderService(store, priors=None).discover(14))


def test_discover_without_learning_gives_a_genre_of_songs_played_lately_the_row_the_learning_one_does(store):
    # A genre of six songs, three of them played this week: the learning recommender has
    # three to offer and puts it in the shared row; the plain rows counted six and gave it a
    # row of its own, which went when the recommender was ready.
    from player.recommender_service import RecommenderService
    from recommender.genres import MORE_TO_DISCOVER

    genres = [f"Big {i:02d}" for i in range(22) for _ in range(10 + 2 * (21 - i))] + ["Small"] * 6
    ids = _add(store, [{"title": f"s{i}", "artist": f"A{i}", "genre": g} for i, g in enumerate(genres)])
    t0 = time.time() - 3 * 86400
    store.log_plays([(ids[genres.index(g) + k], t0 + 600 * j + k, 200_000, 200_000, "finished", "library")
                     for j, (g, n) in enumerate([("Big 00", 5), ("Big 01", 4), ("Small", 3)]) for k in range(n)])
    plain = LibraryRecommendations(store).discover(14)
    assert "Small" not in plain and plain[MORE_TO_DISCOVER]
    assert list(plain) == list(RecommenderService(store, priors=None).discover(14))


def test_explain_names_the_tag(store):
    ids = _add(store, [{"title": "x", "artist": "A", "genre": "Soul"}, {"title": "y", "artist": "B"}])
    p = LibraryRecommendations(store)
    assert "Soul" in p.explain(ids[0])
    assert "no genre tag" in p.explain(ids[1])
    assert p.explain(999999) == ""


def test_radio_names_soul_and_rnb_as_the_person_writes_it(store):
    ids = _add(store, [{"title": "x", "artist": "A", "genre": "Neo-Soul"},
                       {"title": "y", "artist": "B", "genre": "Soul"}])
    assert [r.reason for r in LibraryRecommendations(store).radio(ids[0], 1)] == ["soul & R&B, like x"]


def test_discover_and_radio_see_one_state_of_a_library_a_scan_changes_meanwhile(store, monkeypatch):
    # They run on a worker while a rescan may write: a file found gone, or a new one, between
    # two reads of the library made them fail (a track in one read and not in the other).
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(6)])
    meanwhile = []

    def then_a_write(read):
        def reading(*args, **kwargs):
            rows = read(*args, **kwargs)
            if meanwhile:
                meanwhile.pop()()                          # the scan writes right after this read
            return rows
        return reading

    # (the whole library read, or, once read, the last of what is read of what changed since)
    monkeypatch.setattr(store, "library_rows", then_a_write(store.library_rows))
    monkeypatch.setattr(store, "library_order_ids", then_a_write(store.library_order_ids))
    monkeypatch.setattr(store, "library_order_of", then_a_write(store.library_order_of))
    p = LibraryRecommendations(store)
    meanwhile.append(lambda: store.mark_missing([ids[1]]))
    rows = p.discover(10)
    assert sorted(r.track_id for r in rows["rock"]) == sorted(ids)    # the library as it was read
    new = {"path": "/m/new.flac", "size": 1, "mtime_ns": 1, "album": "A", "albumartist": "N",
           "title": "new", "artist": "N", "genre": "Rock", "track_no": 9, "duration": 200.0}
    meanwhile.append(lambda: store.upsert_tracks([new]))
    got = [r.track_id for r in p.radio(ids[0], 4)]
    assert sorted(got) == sorted(set(ids) - {ids[0], ids[1]})
    assert store.track_by_path("/m/new.flac") is not None


def test_discover_without_learning_gives_the_tiles_reasons_and_the_rows_captions_of_the_learning_one(store):
    # The tiles said "Rock: not played yet", "Tag 03: last played 20 days ago" and the rows
    # had no captions; once the recommender was ready each tile's reason changed and the
    # captions appeared. Rock heard 3 times (one song, a month ago), jazz twice, folk never.
    from player.recommender_service import RecommenderService
    from recommender.genres import MORE_TO_DISCOVER

    ids = _add(store, [
        *[{"title": f"r{i}", "artist": "R", "genre": "Rock"} for i in range(5)],
        *[{"title": f"j{i}", "artist": f"J{i}", "genre": "Jazz"} for i in range(5)],
        *[{"title": f"f{i}", "artist": f"F{i}", "genre": "Folk"} for i in range(5)],
        *[{"title": f"t{i}", "artist": f"T{i}", "genre": f"Tag {i:02d}"} for i in range(20)],
    ])
    month = time.time() - 30 * 86400
    store.log_plays([(ids[0], month + 600 * i, 200_000, 200_000, "finished", "library") for i in range(3)]
                    + [(ids[5], month + 3000, 200_000, 200_000, "finished", "library"),
                       (ids[6], time.time() - 600, 200_000, 200_000, "finished", "library")])
    plain_p, learning_p = LibraryRecommendations(store), RecommenderService(store, priors=None)
    plain, learning = plain_p.discover(14), learning_p.discover(14)
    assert list(plain) == list(learning) and MORE_TO_DISCOVER in plain
    for bucket in plain:
        said = {r.track_id: r.reason for r in learning[bucket]}
        assert {r.track_id: r.reason for r in plain[bucket] if r.track_id in said} == \
            {t: why for t, why in said.items() if t in {r.track_id for r in plain[bucket]}}
    reasons = {r.track_id: r.reason for r in plain["rock"]}
    assert reasons[ids[0]] == "you played it 3 times" and reasons[ids[1]] == "you played R 3 times"
    assert plain_p.discover_captions(list(plain)) == learning_p.discover_captions(list(learning))
    assert plain_p.discover_captions(["rock", "jazz", "folk", MORE_TO_DISCOVER]) == {
        "rock": "you played it 3 times", "jazz": "you played it 2 times",
        "folk": "new to you", MORE_TO_DISCOVER: "songs of the genres with no row of their own"}


def test_up_next_offers_one_copy_of_a_song_and_never_the_one_just_heard(store):
    # An album and its phone copy in MP3 (same tags), and a best-of's remaster of its first
    # song: in library order the copies lie side by side.
    album = [{"title": t, "artist": "A", "album": "First", "genre": "Rock", "path": f"/m/first/{i}.flac",
              "duration": 200.0 + 10 * i} for i, t in enumerate(["one", "two", "three"])]
    phone = [{**r, "path": r["path"].replace("/m/first/", "/phone/first/").replace(".flac", ".mp3"),
              "duration": r["duration"] + 0.4} for r in album]
    best = [{"title": "One - Remastered 2011", "artist": "A", "album": "Best of", "genre": "Rock",
             "path": "/m/best/1.ogg", "duration": 201.0}]
    ids = _add(store, album + phone + best)
    first, second, third, phone_first, phone_second, phone_third, best_first = ids
    p = LibraryRecommendations(store)
    # After the album's first song: not that song again in MP3, nor its remaster, and each of
    # the next songs once.
    got = [r.track_id for r in p.up_next([first], 10)]
    assert phone_first not in got and best_first not in got
    assert [store.track(t)["title"] for t in got] == ["two", "three"]
    assert got[0] in (second, phone_second)
    # What is queued already counts too: its copy is not offered after it.
    got = [r.track_id for r in p.up_next([first], 10, exclude={second})]
    assert got in ([third], [phone_third])
    # A song never heard in any copy is offered once, in the copy library order reaches first.
    got = [r.track_id for r in p.up_next([], 10)]
    assert sorted(store.track(t)["title"].split(" -")[0].lower() for t in got) == ["one", "three", "two"]


def test_discover_counts_a_play_of_any_copy_of_a_song(store):
    # The album in FLAC and its phone copy in MP3: the person played the MP3 only.
    album = [{"title": t, "artist": "A", "album": "First", "genre": "Rock", "path": f"/m/first/{i}.flac",
              "duration": 200.0 + 10 * i} for i, t in enumerate(["one", "two", "three"])]
    phone = [{**r, "path": r["path"].replace("/m/first/", "/phone/first/").replace(".flac", ".mp3")} for r in album]
    ids = _add(store, album + phone)
    store.log_plays([(ids[4], time.time() - 3600, 200_000, 200_000, "finished", "library")])
    row = LibraryRecommendations(store).discover(10)["rock"]
    # One copy of each song, and the song played lately in neither (its FLAC copy was offered
    # as "not played yet").
    titles = {store.track(r.track_id)["title"]: r.reason for r in row}
    assert len(row) == 2 and set(titles) == {"one", "three"}


def test_up_next_does_not_bring_back_a_song_taken_out_of_the_queue_in_its_other_copy(store):
    # The person took the album's "two" out of Up next: its phone copy in MP3 is the same
    # "not now", and came in its place.
    album = [{"title": t, "artist": "A", "album": "First", "genre": "Rock", "path": f"/m/first/{i}.flac",
              "duration": 200.0 + 10 * i} for i, t in enumerate(["one", "two", "three"])]
    phone = [{**r, "path": r["path"].replace("/m/first/", "/phone/first/").replace(".flac", ".mp3")} for r in album]
    ids = _add(store, album + phone)
    first, second = ids[0], ids[1]
    got = LibraryRecommendations(store).up_next([first], 10, passed={second})
    assert [store.track(r.track_id)["title"] for r in got] == ["three"]


def test_discover_and_a_station_without_learning_take_an_untagged_song_for_its_albums_genre(store):
    # Untagged songs on a tagged album rank as songs of the album's genre in the learning
    # recommender; here their plays counted for no genre: rock, played most, came after jazz
    # and soul as a genre new to the person, and moved to the top when the recommender was
    # ready. And on a soul compilation, a jazz band's untagged song is jazz there: a station
    # from it played soul here.
    from player.recommender_service import RecommenderService

    ids = _add(store, [
        *[{"title": f"r{i}", "artist": "R", "album": "Ra", **({"genre": "Rock"} if i < 3 else {})} for i in range(6)],
        *[{"title": f"j{i}", "artist": "J", "album": "Ja", "genre": "Jazz"} for i in range(4)],
        *[{"title": f"s{i}", "artist": f"S{i}", "album": "Mix", "albumartist": "Various", "genre": "Soul"}
          for i in range(4)],
        {"title": "jm", "artist": "J", "album": "Mix", "albumartist": "Various"},
        *[{"title": f"n{i}", "artist": "N", "album": "Na"} for i in range(3)],
    ])
    t0 = time.time() - 3 * 86400
    store.log_plays([(ids[3 + i % 3], t0 + 600 * i, 200_000, 200_000, "finished", "library") for i in range(6)]
                    + [(ids[6], t0 + 5000, 200_000, 200_000, "finished", "library"),
                       (ids[10], t0 + 5600, 200_000, 200_000, "finished", "library")])
    assert {r.track_id for r in LibraryRecommendations(store).radio(ids[14], 3)} <= set(ids[6:10])
    plain = list(LibraryRecommendations(store).discover(4))
    assert plain[:2] == ["rock", "jazz"] and UNTAGGED in plain
    assert plain == list(RecommenderService(store, priors=None).discover(4))


def test_a_station_without_learning_plays_the_untagged_songs_of_its_genres_albums(store):
    # A jazz station left out the untagged song of a jazz album, which the learning station
    # plays as jazz, and went on with the next untagged rock song in library order.
    ids = _add(store, [
        {"title": "j0", "artist": "J", "album": "Ja", "genre": "Jazz"},
        {"title": "j1", "artist": "J", "album": "Ja", "genre": "Jazz"},
        {"title": "j2", "artist": "J", "album": "Ja"},
        {"title": "k0", "artist": "K", "album": "Ka", "genre": "Jazz"},
        {"title": "k1", "artist": "K", "album": "Ka", "genre": "Jazz"},
        *[{"title": f"r{i}", "artist": "R", "album": "Ra"} for i in range(4)],
    ])
    got = LibraryRecommendations(store).radio(ids[3], 4)
    assert {r.track_id for r in got} == {ids[0], ids[1], ids[2], ids[4]}


def test_two_artists_albums_of_one_title_are_two_albums_without_learning(store):
    # Two "Greatest Hits", A's and B's, were one album here (by its title alone), and so a
    # compilation: A's untagged song on A's rock best-of was taken for A's genre, folk (A's
    # live album), where the learning recommender takes it for its album's, rock.
    ids = _add(store, [
        {"title": "a0", "artist": "A", "album": "Greatest Hits", "genre": "Rock"},
        {"title": "a1", "artist": "A", "album": "Greatest Hits", "genre": "Rock"},
        {"title": "a2", "artist": "A", "album": "Greatest Hits"},
        *[{"title": f"l{i}", "artist": "A", "album": "Live", "genre": "Folk"} for i in range(3)],
        *[{"title": f"b{i}", "artist": "B", "album": "Greatest Hits", "genre": "Jazz"} for i in range(3)],
    ])
    got = LibraryRecommendations(store).radio(ids[2], 2)
    assert {r.track_id for r in got} == {ids[0], ids[1]}


def test_discover_without_learning_leaves_out_what_the_learning_rows_leave_out(store):
    # A row of six rock songs: one played today, one skipped early when Discover offered it
    # three weeks ago (not heard since), one heard through a month ago, one only ever skipped
    # on the radio. The learning rows offer neither the song played today nor the one skipped
    # there (for eight weeks); they take never-played songs and songs heard before in turns,
    # and a song only ever skipped after both. Here the first two were at the end of the row.
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i}", "genre": "Rock"} for i in range(6)])
    now = time.time()
    store.log_plays([(ids[1], now - 21 * 86400, 5_000, 200_000, "skipped", "discover"),
                     (ids[2], now - 30 * 86400, 200_000, 200_000, "finished", "library"),
                     (ids[3], now - 25 * 86400, 5_000, 200_000, "skipped", "radio"),
                     (ids[0], now - 3600, 200_000, 200_000, "finished", "library")])
    from player.recommender_service import RecommenderService

    row = [r.track_id for r in LibraryRecommendations(store).discover(10)["rock"]]
    assert row == [ids[4], ids[2], ids[5], ids[3]]
    learning = [r.track_id for r in RecommenderService(store, priors=None).discover(10)["rock"]]
    assert sorted(learning) == sorted(row) and learning[-1] == ids[3]


def _answers(p, seed) -> tuple:
    """Up next, Radio and Discover from ``seed``, long enough to hold the whole small library."""
    return ([r.track_id for r in p.up_next([seed], 20)], [r.track_id for r in p.radio(seed, 20)],
            {b: [r.track_id for r in row] for b, row in p.discover(20).items()})


def _write_elsewhere(db, sql: str, params) -> None:
    # Another process (a `segue scan` in a terminal) writes the library: not through this
    # process's store at all.
    code = "import sqlite3, sys, json; c = sqlite3.connect(sys.argv[1]); " \
           "c.execute(sys.argv[2], json.loads(sys.argv[3])); c.commit()"
    subprocess.run([sys.executable, "-c", code, str(db), sql, json.dumps(params)], check=True, timeout=60)


_CHANGES = {
    "a scan adds a song": lambda store, ids: store.upsert_tracks([{
        "path": "/m/new.flac", "size": 1, "mtime_ns": 1, "album": "A", "albumartist": "R0", "artist": "R0",
        "title": "new", "genre": "Rock", "track_no": 20, "duration": 200.0}]),
    "a song retagged": lambda store, ids: store.upsert_tracks([{
        **{k: store.track(ids[2])[k] for k in ("path", "size", "mtime_ns", "album", "albumartist", "artist",
                                               "track_no", "duration")}, "title": "r2", "genre": "Jazz"}]),
    "a file found missing": lambda store, ids: store.mark_missing([ids[3]]),
    "a copy merged into another": lambda store, ids: store.merge_duplicate(ids[4], ids[1]),
    "a folder removed": lambda store, ids: store.remove_folder("/d"),
    "a disk away": lambda store, ids: store.set_folders_away(["/d"], []),
    "a song never to suggest": lambda store, ids: store.never_suggest_track(ids[1]),
    "an artist never to suggest": lambda store, ids: store.never_suggest_artist("J1"),
    "a song to suggest again": lambda store, ids: store.suggest_again(store.never_suggested()[0]["id"]),
    "another process retags": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET genre = 'Jazz', artist = 'J9' WHERE id = ?", [ids[1]]),
    "another process adds a song": lambda store, ids: _write_elsewhere(
        store.path, "INSERT INTO tracks (path, size, mtime_ns, title, artist, albumartist, album, genre, track_no, "
                    "duration, added_at, updated_at, missing) VALUES ('/m/z.flac', 1, 1, 'z', 'R1', 'R1', 'A', 'Rock', "
                    "30, 200.0, 0, 0, 0)", []),
}


@pytest.mark.parametrize("change", list(_CHANGES))
def test_a_kept_provider_answers_as_a_new_one_after_each_change_of_the_library(store, change):
    # The provider keeps what it read of the library between calls (reading and naming 100,000
    # tracks took most of a second on each): whatever changes the library, and whoever writes
    # it, its next answer is the one a provider that reads everything afresh gives.
    folders = {path: store.add_folder(path) for path in ("/m", "/d")}
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock", "folder_id": folders["/m"]}
                       for i in range(6)]
               + [{"title": f"j{i}", "artist": f"J{i % 2}", "genre": "Jazz", "album": "B", "folder_id": folders["/d"]}
                  for i in range(3)])
    store.never_suggest_track(ids[5])
    kept = LibraryRecommendations(store)
    before = _answers(kept, ids[0])
    _CHANGES[change](store, ids)
    after = _answers(kept, ids[0])
    assert after == _answers(LibraryRecommendations(store), ids[0])
    assert after != before


_STEPS = {
    "a scan adds a song": _CHANGES["a scan adds a song"],
    "an untagged file added": lambda store, ids: store.upsert_tracks([{
        "path": "/m/Loose Folder/07 Found Sound.flac", "size": 1, "mtime_ns": 1, "duration": 190.0,
        "folder_id": store.folders()[0]["id"]}]),
    "a song re-tagged to another genre and artist": lambda store, ids: store.upsert_tracks([{
        **{k: store.track(ids[2])[k] for k in ("path", "size", "mtime_ns", "album", "albumartist", "track_no",
                                               "duration", "folder_id")}, "title": "r2", "artist": "J1",
        "genre": "Jazz"}]),
    "an album's tag taken off": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET album = NULL, genre = NULL WHERE id = ?", [ids[7]]),
    "a file found missing": _CHANGES["a file found missing"],
    "a genre's other spelling now the most tracks'": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET genre = 'ska' WHERE id = ?", [ids[10]]),
    "a file found unreadable": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET last_error = 'cannot read' WHERE id = ?", [ids[6]]),
    "a copy merged into another": _CHANGES["a copy merged into another"],
    "a file renamed": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET path = '/m/000 renamed.flac', track_no = 99 WHERE id = ?", [ids[0]]),
    "an unreadable file forgotten": lambda store, ids: store.forget_error_rows([store.track(ids[6])["path"]]),
    "the missing file back": lambda store, ids: store.mark_present([ids[3]]),
    "another process adds a song": _CHANGES["another process adds a song"],
    "a folder removed": _CHANGES["a folder removed"],
    "a batch of songs' lengths read again": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET duration = 250 + id WHERE folder_id = (SELECT id FROM folders WHERE path = ?)",
        ["/m"]),
    "a song of it re-tagged after": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET genre = 'Reggae', duration = 3000 WHERE id = ?", [ids[1]]),
}


def _state(lib) -> tuple:
    """All a read of the library holds that the surfaces use."""
    return (lib.order, lib.rows, lib.info, lib.median, lib.albums, lib.kin,
            lib.discover_pool(frozenset()), list(lib.rows.values()))


def test_the_library_read_again_after_each_change_is_the_one_a_whole_read_gives(store):
    # A kept provider reads again only the tracks written since it last read (a second at
    # 100,000 tracks for one re-tagged song, each time a scan's batch landed): each change
    # in turn, and whoever writes it, leaves what it holds exactly what reading everything
    # afresh gives, and so its answers.
    folders = {path: store.add_folder(path) for path in ("/m", "/d")}
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock", "folder_id": folders["/m"]}
                       for i in range(6)]
               + [{"title": f"j{i}", "artist": f"J{i % 2}", "genre": "Jazz", "album": "B", "folder_id": folders["/d"]}
                  for i in range(3)]
               + [{"title": "u", "artist": "J0", "genre": None, "album": "B", "folder_id": folders["/d"]}]
               + [{"title": f"s{i}", "artist": "S", "genre": g, "album": "C", "folder_id": folders["/m"]}
                  for i, g in enumerate(["SKA", "SKA", "ska"])])
    kept = LibraryRecommendations(store)
    _answers(kept, ids[0])
    for step, change in _STEPS.items():
        before = kept._library()
        change(store, ids)
        now = kept._library()
        assert now is not before, step
        assert _state(now) == _state(LibraryRecommendations(store)._library()), step
        assert _answers(kept, ids[4]) == _answers(LibraryRecommendations(store), ids[4]), step
    # Two changes with only an Up next between them (which needs no albums): the albums are
    # worked out from those of two reads before, for the tracks both changes wrote.
    _write_elsewhere(store.path, "UPDATE tracks SET mb_album_id = 'release-1' WHERE id = ?", [ids[5]])
    kept.up_next([ids[4]], 3)
    _write_elsewhere(store.path, "UPDATE tracks SET title = 's9', year = 1999 WHERE id = ?", [ids[11]])
    assert _state(kept._library()) == _state(LibraryRecommendations(store)._library())


_POOL_STEPS = {
    # a second copy of a song that had one: the two are told apart by their lengths
    "a copy added": lambda store, ids: store.upsert_tracks([{
        "path": "/m/900.flac", "size": 1, "mtime_ns": 1, "title": "s1", "artist": "Zed", "albumartist": "Zed",
        "album": "Live", "genre": "Rock", "track_no": 1, "duration": 201.0}]),
    # its artist's own album re-tagged a compilation: the copy Discover offers goes to the other
    "an album re-tagged a compilation": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET albumartist = 'Various Artists', compilation = 1 WHERE album = 'A'", []),
    "a copy removed": lambda store, ids: _write_elsewhere(store.path, "DELETE FROM tracks WHERE id = ?", [ids[1]]),
    "a file moved": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET path = '/m/zz/001.flac' WHERE id = ?", [ids[4]]),
    "a song re-titled as another's": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET title = 'o0', artist = 'O0' WHERE id = ?", [ids[9]]),
    "a length read again": lambda store, ids: _write_elsewhere(
        store.path, "UPDATE tracks SET duration = 290 WHERE id = ?", [ids[3]]),
}


def test_discovers_kept_songs_after_each_change_are_the_ones_a_whole_read_gives(store):
    # What Discover works out of each track (its recording, whether it is on a compilation) is
    # kept from one read of the library to the next and worked out again only for the tracks
    # written since: after each change its pool is the one a provider reading afresh gives.
    # (their artist sorts after "Various Artists": a compilation of theirs comes first in library order)
    ids = _add(store, [{"title": f"s{i % 3}", "artist": "Zed", "genre": "Rock", "album": "A" if i < 3 else "Best"}
                       for i in range(6)]
               + [{"title": f"o{i}", "artist": f"O{i}", "genre": "Jazz"} for i in range(4)])
    kept = LibraryRecommendations(store)
    kept.discover(3)
    for step, change in _POOL_STEPS.items():
        before = kept._library().discover_pool(frozenset())
        change(store, ids)
        now = kept._library().discover_pool(frozenset())
        assert now == LibraryRecommendations(store)._library().discover_pool(frozenset()), step
        assert now != before, step
        assert kept.discover(3) == LibraryRecommendations(store).discover(3), step


def test_discovers_kept_songs_follow_a_folder_that_stops_being_a_compilation(store):
    # Whether a song is on a compilation may turn on its folder's OTHER songs (a folder of
    # two artists' songs under one album title, no album artist, is a soundtrack): one song
    # retagged to the other artist makes the folder one artist's album. The scan writes that
    # answer into each of the folder's tracks, so their kept answers go too; were it read
    # from the siblings instead, the untouched song would keep its "compilation" answer.
    from player.library.scanner import Scanner

    folder = store.add_folder("/m")

    def song(path, title, artist, album, n, albumartist=None):
        return {"path": path, "folder_id": folder, "size": 1, "mtime_ns": 1, "title": title, "artist": artist,
                "albumartist": albumartist, "album": album, "genre": "Rock", "track_no": n, "duration": 200.0}

    store.upsert_tracks([song("/m/OST/01.flac", "Theme", "Ann", "Film", 1),
                         song("/m/OST/02.flac", "Chase", "Bob", "Film", 2),
                         song("/m/Ann/01.flac", "Theme", "Ann", "Own", 1, "Ann")]
                        + [song(f"/m/Z/{i:02d}.flac", f"z{i}", "Zoe", "Z", i, "Zoe") for i in range(1, 4)])
    Scanner(store)._find_compilations([folder])
    theme = store.track_by_path("/m/OST/01.flac")["id"]
    assert store.track(theme)["folder_compilation"] == 1
    kept = LibraryRecommendations(store)
    before = kept._library().discover_pool(frozenset())
    assert before[0][theme] != theme        # (the soundtrack's copy: Ann's own album's is offered)
    store.upsert_tracks([song("/m/OST/02.flac", "Chase", "Ann", "Film", 2)])
    Scanner(store)._find_compilations([folder])
    assert store.track(theme)["folder_compilation"] == 0
    now = kept._library().discover_pool(frozenset())
    assert now == LibraryRecommendations(store)._library().discover_pool(frozenset())
    assert now[0][theme] == theme           # (Ann's album "Film" is her own now, and first in library order)


def test_a_kept_provider_reads_the_library_again_only_when_it_changed(store, monkeypatch):
    # A song ending writes a play: the Up next refill that follows must not read and name the
    # whole library again for it (at 100,000 tracks that was most of a second, per refill).
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(4)])
    read, reads = store.library_rows, []
    monkeypatch.setattr(store, "library_rows", lambda *a, **kw: reads.append(1) or read(*a, **kw))
    p = LibraryRecommendations(store)
    p.up_next([ids[0]], 3)
    store.end_play(store.start_play(ids[0], track_ms=200_000), "finished", 200_000)
    p.up_next([ids[0], ids[1]], 3), p.radio(ids[1], 3), p.discover(3)
    assert len(reads) == 1
    # A change reads again only the tracks written since, not the whole library
    read_of, asked = store.library_rows_of, []
    monkeypatch.setattr(store, "library_rows_of", lambda cols, track_ids: asked.append(list(track_ids))
                        or read_of(cols, track_ids))
    store.mark_missing([ids[2]])
    assert ids[2] not in [r.track_id for r in p.up_next([ids[1]], 3)]
    assert len(reads) == 1 and asked == [[ids[2]]]


def test_discover_s_songs_are_those_of_the_left_out_list_asked_for_when_two_threads_work_them_out(store):
    # Discover's worker and a refill may work out Discover's songs at once, for two left-out
    # lists (a song left out meanwhile): each must get the songs of its own list, not those the
    # other thread kept a moment later (a song the person had just left out came back).
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(4)])
    lib = LibraryRecommendations(store)._library()
    asked, other = frozenset(), frozenset({ids[0]})

    class Meanwhile(type(lib)):
        def __setattr__(self, name, value):
            super().__setattr__(name, value)
            if name == "_pool" and value[0] is asked:       # the other thread keeps its own right after
                self.discover_pool(other)

    lib.__class__ = Meanwhile
    first, members = lib.discover_pool(asked)
    assert ids[0] in members["rock"]
    assert lib.discover_pool(other)[1]["rock"] == [t for t in members["rock"] if t != ids[0]]


def test_a_song_found_unreadable_keeps_its_names_and_is_offered_nowhere(store, provider):
    # A scan found its file cut short: the track keeps its names (its plays still say what the
    # person listens to), but no list of either provider offers it, since it would not play.
    ids = {r["title"]: r["id"] for r in store.tracks()}
    bad, seed = store.track(ids["Rock song 1"]), ids["Rock song 0"]

    def offered():
        return ({r.track_id for r in provider.up_next([seed], 95)}
                | {r.track_id for r in provider.radio(seed, 95, exclude={seed})}
                | {r.track_id for row in provider.discover(95).values() for r in row})

    assert bad["id"] in offered()
    store.upsert_tracks([{"path": bad["path"], "folder_id": bad["folder_id"], "size": 40, "mtime_ns": 2,
                          "last_error": "damaged FLAC file: it ends early"}])
    getattr(provider, "invalidate", lambda: None)()     # (as the window tells the learning one after a scan)
    assert store.track(bad["id"])["title"] == "Rock song 1"
    assert bad["id"] not in offered() and len(offered()) == 95


def test_discover_counts_the_plays_again_from_the_first_that_may_have_changed_and_answers_as_a_new_provider(
        store, monkeypatch):
    # Discover read and counted every play of the history on every call (most of its time with
    # a long history): a kept provider reads only the plays that may have changed since (the
    # latest, one still playing), and gives what a new provider gives after each change.
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": ("Rock", "Jazz")[i % 2]}
                       for i in range(8)])
    kept = LibraryRecommendations(store)
    read, asked = store.plays, []
    monkeypatch.setattr(store, "plays", lambda **kw: asked.append(kw) or read(**kw))

    def same() -> dict:
        return {b: [(r.track_id, r.reason) for r in row] for b, row in kept.discover(8).items()}

    def fresh() -> dict:
        rows = LibraryRecommendations(store).discover(8)
        return {b: [(r.track_id, r.reason) for r in row] for b, row in rows.items()}

    for t in (ids[0], ids[0], ids[0], ids[1]):
        store.end_play(store.start_play(t, track_ms=200_000), "finished", 200_000)
    assert same() == fresh()
    playing = store.start_play(ids[2], track_ms=200_000)
    assert same() == fresh()
    asked.clear()
    store.end_play(playing, "skipped", 1_000)                  # the play still playing ends
    store.end_play(store.start_play(ids[3], track_ms=200_000), "finished", 200_000)
    assert same() == fresh()
    assert asked[0] == {"from_id": playing}                     # (then the new provider's whole read)
    store.merge_duplicate(ids[1], ids[4])                       # older plays move to another track
    assert same() == fresh()
    store.forget_history()
    store.end_play(store.start_play(ids[5], track_ms=200_000), "finished", 200_000)
    assert same() == fresh()



def test_discover_sees_a_play_end_before_the_next_one_starts(store):
    # A song heard to its end, then nothing more played (the person stopped, or the queue
    # ended): its row changed in place (the same number of plays, nothing older moved). A
    # kept provider took the same count for the same plays and still counted it as playing
    # (heard neither way), so Discover's rows stayed as before it was heard.
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 4}", "genre": ("Rock", "Jazz", "Funk", "Soul")[i % 4]}
                       for i in range(16)])
    kept = LibraryRecommendations(store)
    store.end_play(store.start_play(ids[1], track_ms=200_000), "finished", 200_000)

    def shown(provider) -> dict:
        return {b: [(r.track_id, r.reason) for r in row] for b, row in provider.discover(8).items()}

    for t in (ids[0], ids[4], ids[8]):          # Rock heard three times: now the favourite
        playing = store.start_play(t, track_ms=200_000)
        assert shown(kept) == shown(LibraryRecommendations(store))
        store.end_play(playing, "finished", 200_000)
        assert shown(kept) == shown(LibraryRecommendations(store))


@pytest.mark.parametrize("seed", range(1, 31))
def test_a_kept_provider_after_a_random_run_of_changes_holds_what_a_whole_read_gives(store, monkeypatch, seed):
    # A scan, tag edits, merges and another process interleave in any order, with Up next
    # (no albums), Radio or nothing asked between them: after each, what the kept provider
    # worked out from the tracks written since equals a new provider's whole read. (Lengths
    # kept sorted one at a time for a few written tracks, sorted again for many: both ways.)
    # Names in two cases with accents: the store folds only ASCII letters, the window all.
    import random

    import player.recommendations as recs

    monkeypatch.setattr(recs, "_LENGTHS_KEPT", 3)
    rng = random.Random(seed)
    folders = [store.add_folder(path) for path in ("/m", "/d")]
    genres = ["Rock", "rock", "SKA", "ska", "Ska", "Jazz", None, "Drum 'n' Bass"]
    albums = ["A", "B", "B (Disc 2)", "Début", "début", None]
    made = [0]

    def row(path=None, folder=None) -> dict:
        made[0] += 1
        folder = folder if folder is not None else rng.choice(folders)
        root = "/m" if folder == folders[0] else "/d"
        return {"path": path or f"{root}/{rng.choice(['x', 'y'])}/{made[0]:03d} Ünï ☃.flac", "size": 1,
                "mtime_ns": made[0], "title": rng.choice([f"t{made[0]}", "Same Song", None]),
                "artist": rng.choice(["A", "B", "a", "Émile", "émile", None]),
                "albumartist": rng.choice(["A", "ÉMILE", None]),
                "album": rng.choice(albums), "genre": rng.choice(genres), "track_no": rng.choice([1, 2, None]),
                "duration": rng.choice([None, 200.0, 201.0, 30.0 * rng.randint(1, 20)]), "folder_id": folder}

    store.upsert_tracks([row() for _ in range(24)])

    def some(n=1) -> list[int]:
        ids = [r[0] for r in store.execute("SELECT id FROM tracks ORDER BY id")]
        return rng.sample(ids, min(n, len(ids)))

    def elsewhere(sql: str, params=()) -> None:      # another connection, as another process writes
        conn = sqlite3.connect(store.path)
        conn.execute(sql, params)
        conn.commit()
        conn.close()

    def retag():
        old = store.track(some()[0])
        store.upsert_tracks([{**row(old["path"], old["folder_id"]), "size": 2}])

    steps = [
        lambda: store.upsert_tracks([row() for _ in range(rng.randint(1, 6))]),
        retag,
        lambda: store.mark_missing(some(rng.randint(1, 3))),
        lambda: store.mark_present([r[0] for r in store.execute("SELECT id FROM tracks WHERE missing = 1")]),
        lambda: store.merge_duplicate(*some(2)) if len(some(2)) == 2 else None,
        lambda: elsewhere("UPDATE tracks SET last_error = 'cannot read' WHERE id = ?", some()),
        lambda: elsewhere("UPDATE tracks SET last_error = NULL"),
        lambda: elsewhere("UPDATE tracks SET genre = ? WHERE id % 2 = ?", (rng.choice(genres), rng.randint(0, 1))),
        lambda: elsewhere("UPDATE tracks SET duration = coalesce(duration, 0) + id WHERE id % 3 = 0"),
        lambda: elsewhere("UPDATE tracks SET mb_album_id = 'rel' WHERE id = ?", some()),
        lambda: elsewhere("UPDATE tracks SET id = (SELECT max(id) + 1 FROM tracks) WHERE id = ?", some()),
        lambda: elsewhere("DELETE FROM tracks WHERE id = ?", some()),
        lambda: elsewhere("UPDATE tracks SET path = replace(path, '/x/', '/y/') WHERE id = ?", some()),
        lambda: store.set_folder_compilations({t: rng.randint(0, 1) for t in some(3)}),
    ]
    kept = LibraryRecommendations(store)
    kept.radio(some()[0], 5)
    for i in range(60):
        k = rng.randrange(len(steps))
        steps[k]()
        asked = rng.choice(["up next", "radio", "nothing"])
        if asked == "up next":
            kept.up_next(some(), 3)
        elif asked == "radio":
            kept.radio(some()[0], 5)
        if asked != "nothing" or i % 5 == 4:
            assert _state(kept._library()) == _state(LibraryRecommendations(store)._library()), (i, k)


def test_a_library_read_before_a_change_is_let_go_once_read_again(store):
    # What a read holds costs the window tens of MB at 100,000 tracks: once a change is read
    # (a scan's batch, then Up next), the read before it is not kept as well for as long as
    # Discover is not asked again (its counts of the plays were kept with it).
    import gc
    import weakref

    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(6)])
    store.end_play(store.start_play(ids[0], track_ms=200_000), "finished", 200_000)
    kept = LibraryRecommendations(store)
    kept.radio(ids[0], 3), kept.discover(3)
    read = weakref.ref(kept._library())
    store.mark_missing([ids[2]])
    kept.up_next([ids[1]], 3)
    gc.collect()
    assert read() is None


def test_up_next_keeps_the_window_s_order_of_a_compilation_after_a_song_filed_with_it_is_gone(store):
    # A song without the flag on a compilation flagged on its other tracks goes under "Various
    # Artists" with them. Found missing, the kept order was worked out from its own artist's
    # album: the compilation's releases stayed in the order that song's release had put first.
    folders = [store.add_folder(path) for path in ("/m", "/d")]
    made = {}
    for name, artist, album, path, n in (("m", "A", "B", "/m/y/01.flac", 1), ("f", "X", "B", "/m/y/02.flac", 2),
                                         ("n", "B", "B (Disc 2)", "/d/x/01.flac", 1),
                                         ("g", "Y", "B (Disc 2)", "/d/x/02.flac", 2)):
        store.upsert_tracks([{"path": path, "size": 1, "mtime_ns": n, "title": name, "artist": artist, "album": album,
                              "track_no": n, "genre": "Rock", "duration": 200.0,
                              "folder_id": folders[path.startswith("/d")]}])
        made[name] = store.execute("SELECT id FROM tracks WHERE path = ?", (path,)).fetchone()[0]
    store.set_folder_compilations({made["f"]: 1, made["g"]: 1})
    kept = LibraryRecommendations(store)
    assert kept._library().order == [made[t] for t in "mfng"]
    store.mark_missing([made["m"]])
    assert kept._library().order == LibraryRecommendations(store)._library().order == [made[t] for t in "ngf"]


def test_up_next_keeps_the_window_s_order_of_an_album_whose_artist_is_written_in_two_cases_after_a_song_is_gone(
        store):
    # With a compilation flagged on some of its tracks anywhere in the library, the window's
    # order brings together an album whose artist is written "Émile" on one song and "émile"
    # on the others (an order that folded only ASCII letters put another artist between
    # them) and orders it as one album, release by release. The "Émile" song found missing,
    # the kept order put again in order only its own run of the store's order: the album's
    # other release stayed first.
    folders = [store.add_folder("/m")]
    made = {}
    for name, artist, album, path, n in (("c", "Émile", "B", "/m/y/02.flac", 2), ("d", "Özil", "Q", "/m/q/01.flac", 1),
                                         ("a", "émile", "B", "/m/x/01.flac", 1), ("b", "émile", "B", "/m/y/01.flac", 1),
                                         ("f", "X", "Comp", "/m/c/01.flac", 1), ("g", "Y", "Comp", "/m/c/02.flac", 2)):
        store.upsert_tracks([{"path": path, "size": 1, "mtime_ns": n, "title": name, "artist": artist, "album": album,
                              "track_no": n, "genre": "Rock", "duration": 200.0, "folder_id": folders[0]}])
        made[name] = store.execute("SELECT id FROM tracks WHERE path = ?", (path,)).fetchone()[0]
    store.set_folder_compilations({made["f"]: 1})
    kept = LibraryRecommendations(store)
    assert kept._library().order == LibraryRecommendations(store)._library().order
    assert [t for t in kept._library().order if t in {made[x] for x in "abc"}] == [made[t] for t in "abc"]
    store.mark_missing([made["c"]])
    assert kept._library().order == LibraryRecommendations(store)._library().order
    assert [t for t in kept._library().order if t in {made[x] for x in "ab"}] == [made[t] for t in "ab"]


def test_a_new_track_is_placed_in_the_kept_orders_without_the_whole_library_ordered_again(store, monkeypatch):
    # A scan adding one file to an album: the kept provider places it in the store's order and
    # the window's (its album put in order again) rather than asking the store for its whole
    # order and ordering every track again. A placement that always fell back gave the same
    # lists, only a third of a second slower per new file at 100,000 tracks.
    import player.recommendations as recs

    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 3}", "album": f"Album {i % 3}", "genre": "Rock",
                        "track_no": 2 * (i // 3) + 1} for i in range(12)])
    kept = LibraryRecommendations(store)
    kept.up_next([ids[0]], 3)
    whole, ordered = [], []
    monkeypatch.setattr(store, "library_order_ids", lambda: whole.append(1) or [])
    real = recs.library_order
    monkeypatch.setattr(recs, "library_order", lambda rows, namer: ordered.append(len(rows)) or real(rows, namer))
    store.upsert_tracks([{"path": "/m/new.flac", "size": 1, "mtime_ns": 1, "title": "new", "artist": "R1",
                          "albumartist": "R1", "album": "Album 1", "track_no": 2, "genre": "Rock", "duration": 200.0}])
    new = store.track_by_path("/m/new.flac")["id"]
    order = kept._library().order
    assert whole == [] and ordered == [5]           # (Album 1's tracks, the new one among them)
    monkeypatch.undo()
    assert order == LibraryRecommendations(store)._library().order
    assert order[order.index(ids[1]) + 1] == new    # (its track 2, after track 1)


def test_a_stations_run_of_one_artist_counts_the_songs_queued_before_a_refill(store):
    # The genre's other artist used up in the first batch, the seed's artist's songs left:
    # each refill counted its run from one, and a station queued in batches of three played
    # A A | A A A, five in a row, where it puts another genre's song between every three.
    ids = _add(store, [{"title": "seed", "artist": "A", "genre": "Pop"}, {"title": "b1", "artist": "B", "genre": "Pop"}]
               + [{"title": f"a{i}", "artist": "A", "genre": "Pop"} for i in range(8)]
               + [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(6)])
    p = LibraryRecommendations(store)
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    station = [ids[0]]
    for _ in range(4):
        station += [r.track_id for r in p.radio(ids[0], 3, exclude=list(station))]
    runs = "".join("A" if artist[t] == "A" else "-" for t in station[1:])
    assert len(station) == 13 and "AAAA" not in runs, runs


def test_a_station_from_a_library_of_one_artist_still_fills(store):
    # Nothing by another artist to put between the songs: they follow each other.
    ids = _add(store, [{"title": f"a{i}", "artist": "A", "genre": "Pop"} for i in range(8)])
    p = LibraryRecommendations(store)
    station = [ids[0]]
    for _ in range(3):
        station += [r.track_id for r in p.radio(ids[0], 2, exclude=list(station))]
    assert sorted(station) == sorted(set(station)) and len(station) == 7


def test_a_station_keeps_an_artist_skipped_on_it_last_however_long_the_run_before(store):
    # The genre's songs left are the seed's artist's and those of an artist skipped on the
    # station: the skipped one's songs broke the seed's artist's runs, second in the station.
    ids = _add(store, [{"title": "seed", "artist": "A", "genre": "Pop"}]
               + [{"title": f"a{i}", "artist": "A", "genre": "Pop"} for i in range(5)]
               + [{"title": f"b{i}", "artist": "B", "genre": "Pop"} for i in range(3)]
               + [{"title": f"r{i}", "artist": f"R{i % 3}", "genre": "Rock"} for i in range(6)])
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    got = [artist[r.track_id] for r in LibraryRecommendations(store).radio(ids[0], 9, skipped=[ids[6]])]
    assert got.index("B") > max(i for i, a in enumerate(got) if a == "A"), got
    assert "AAAA" not in "".join(a if a in "AB" else "-" for a in got), got


def test_a_stations_fillers_and_top_up_keep_an_artist_skipped_on_it_last_and_apart(store):
    # A pop artist's songs, then rock albums in library order: K's (whose song the person
    # skipped on the station), R0's and R1's. The filler between the pop songs was K's next
    # song, and the top-up went on with K's and then R0's songs as they lie, one album's back
    # to back. (The second filler was R0's again, R1's song next to it.)
    ids = _add(store, [{"title": "seed", "artist": "A", "genre": "Pop"}]
               + [{"title": f"a{i}", "artist": "A", "genre": "Pop"} for i in range(5)]
               + [{"title": f"k{i}", "artist": "K", "genre": "Rock"} for i in range(3)]
               + [{"title": f"r0{i}", "artist": "R0", "genre": "Rock"} for i in range(3)]
               + [{"title": f"r1{i}", "artist": "R1", "genre": "Rock"} for i in range(2)])
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    got = [artist[r.track_id] for r in LibraryRecommendations(store).radio(ids[0], 12, skipped=[ids[6]])]
    assert got == ["A", "A", "A", "R0", "A", "A", "R1", "R0", "R1", "R0", "K", "K"], got


def test_discover_offers_a_song_in_its_albums_copy_not_a_compilations(store):
    # "Fields 1" on Yarrow's album and on a hits compilation (flagged, or only by its album
    # artist): the compilation, under "Various Artists", comes first in library order, and
    # Discover offered its copy, "Fields 1 [Now Hits 2016]", a song people know by its album.
    ids = _add(store, [
        {"title": "Fields 1", "artist": "Yarrow", "album": "Now Hits 2016", "albumartist": "Various Artists",
         "compilation": 1, "genre": "Pop"},
        {"title": "Fields 2", "artist": "Yarrow", "album": "Club Mix", "albumartist": "Various Artists",
         "genre": "Pop"},
        {"title": "Other hit", "artist": "Basalt", "album": "Now Hits 2016", "albumartist": "Various Artists",
         "compilation": 1, "genre": "Pop"},
        {"title": "Fields 1", "artist": "Yarrow", "album": "Fields", "genre": "Pop"},
        {"title": "Fields 2", "artist": "Yarrow", "album": "Fields", "genre": "Pop"},
    ])
    row = [r.track_id for r in LibraryRecommendations(store).discover(10)["pop"]]
    assert sorted(row) == sorted([ids[2], ids[3], ids[4]]), row
    # A song found only on a compilation is still offered in that copy.
    assert ids[2] in row


@pytest.mark.parametrize("seed_genre", ["Pop", None])
def test_a_stations_songs_are_explained_on_the_station_as_it_gave_them(store, seed_genre):
    # Given again (the history forgotten), a station's song said only "Tagged Pop in your
    # library"; its genre's songs and the neighbours between them say what the station said.
    ids = _add(store, [{"title": "seed", "artist": "A", "album": "Al", "genre": seed_genre}]
               + [{"title": f"a{i}", "artist": "A", "album": "Al", "genre": "Pop"} for i in range(5)]
               + [{"title": f"r{i}", "artist": f"R{i % 2}", "album": f"R{i % 2}", "genre": "Rock"} for i in range(4)])
    p = LibraryRecommendations(store)
    recs = p.radio(ids[0], 9)
    said = "pop, like seed" if seed_genre else "near seed in your library"    # (untagged, taken for its album's)
    assert {r.reason for r in recs} == {said, "next in your library after seed"}, recs
    assert [p.explain(r.track_id, f"radio:{ids[0]}") for r in recs] == [r.reason for r in recs]
    # A station whose seed is gone from the library: the song's own reason, with no "radio:" in it.
    assert p.explain(ids[1], "radio:999999") == p.explain(ids[1]) == "Tagged Pop in your library"


@pytest.mark.parametrize("albumartist", ["Zinnia / Yarrow", "Zinnia & Yarrow"], ids=["split single", "duet album"])
def test_discover_takes_a_shared_release_for_the_artists_own_over_a_compilation(store, albumartist):
    # A split single or a duet album names the song's artist among its album artists, but not
    # first: it is theirs, not "someone else's album", and the hits compilation ahead of it in
    # library order ("Various Artists" before "Zinnia") is still the worse copy.
    ids = _add(store, [
        {"title": "Fields 1", "artist": "Yarrow", "album": "Now Hits 2016", "albumartist": "Various Artists",
         "compilation": 1, "genre": "Pop"},
        {"title": "Fields 1", "artist": "Yarrow", "album": "Fields", "albumartist": albumartist, "genre": "Pop"},
    ])
    row = [r.track_id for r in LibraryRecommendations(store).discover(10)["pop"]]
    assert row == [ids[1]], row


def _ping_pong(artists: list[str]) -> bool:
    """Whether two artists take turns four songs running (X Y X Y)."""
    return any(a == c and b == d and a != b for a, b, c, d in zip(artists, artists[1:], artists[2:], artists[3:]))


def test_a_station_from_an_untagged_song_mixes_its_artist_with_its_neighbours_without_ping_pong(store):
    # A new library, a third of it of no genre tag: U's two albums, V's and W's, then rock and
    # pop albums. The station from U's song played U's eleven songs in a row, then V W V W V W
    # as their albums lie side by side, with rock and pop by five other artists next to them.
    ids = _add(store, [{"title": f"u{i}", "artist": "U", "album": f"U{i // 6}", "year": 2001} for i in range(11)]
               + [{"title": f"v{i}", "artist": "V", "album": "Va", "year": 2002} for i in range(5)]
               + [{"title": f"w{i}", "artist": "W", "album": "Wa", "year": 2003} for i in range(4)]
               + [{"title": f"r{i}", "artist": f"R{i // 3}", "album": f"R{i // 3}", "genre": "Rock"} for i in range(9)]
               + [{"title": f"p{i}", "artist": f"P{i // 3}", "album": f"P{i // 3}", "genre": "Pop"} for i in range(6)])
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    station = [r.track_id for r in LibraryRecommendations(store).radio(ids[0], 20)]
    got = [artist[t] for t in station]
    assert len(station) == len(set(station)) == 20 and ids[0] not in station, got
    assert got[0] == "U" and 3 <= got.count("U") <= 10, got         # its artist leads, and keeps coming back
    assert all(a != b for a, b in zip(got, got[1:])), got           # never one artist twice in a row
    assert not _ping_pong(got) and len(set(got)) >= 6, got


def test_a_station_from_an_untagged_song_moves_away_from_its_artist_once_skipped_on_it(store):
    # The seed's artist's songs are an untagged station's own; the person skipped one of them
    # and the next batch still played them every other song (U P0 U P1 U R0 ...).
    ids = _add(store, [{"title": f"u{i}", "artist": "U", "album": "Ua"} for i in range(6)]
               + [{"title": f"r{i}", "artist": f"R{i // 2}", "album": f"R{i // 2}", "genre": "Rock"} for i in range(6)])
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    p = LibraryRecommendations(store)
    first = [r.track_id for r in p.radio(ids[0], 2, exclude=[ids[0]])]
    assert [artist[t] for t in first] == ["U", "R0"], first
    got = [artist[r.track_id] for r in p.radio(ids[0], 10, exclude=[ids[0], *first], skipped=first[:1])]
    # The other artists' songs first, the skipped artist's only once those are all taken.
    assert "U" not in got[:5] and got[5:] == ["U"] * 4, got


def test_a_small_genres_station_goes_on_through_its_neighbours_artists_in_turns(store):
    # One folk song, then three rock artists' albums in library order: the station went on
    # R0 R1 R0 R1 R0 R1 R2 R2, two artists taking turns while a third's songs were next to them.
    ids = _add(store, [{"title": "folk", "artist": "F", "album": "F", "genre": "Folk"}]
               + [{"title": f"r{i}", "artist": f"R{i // 3}", "album": f"R{i // 3}", "genre": "Rock"} for i in range(9)])
    artist = {r["id"]: r["artist"] for r in store.tracks()}
    got = [artist[r.track_id] for r in LibraryRecommendations(store).radio(ids[0], 9)]
    assert sorted(got) == sorted(artist[t] for t in ids[1:]), got
    assert not _ping_pong(got[:6]), got


def test_a_small_genres_station_goes_on_past_one_artists_twenty_songs_in_a_row(store):
    # One folk song, then a rock artist's 25 songs in library order and another's three: the
    # top-up found no other artist among the next twenty and the station failed (ValueError).
    ids = _add(store, [{"title": "folk", "artist": "F", "album": "F", "genre": "Folk"}]
               + [{"title": f"r{i}", "artist": "R", "album": "R", "genre": "Rock"} for i in range(25)]
               + [{"title": f"s{i}", "artist": "S", "album": "S", "genre": "Rock"} for i in range(3)])
    got = [r.track_id for r in LibraryRecommendations(store).radio(ids[0], 10)]
    assert len(got) == len(set(got)) == 10 and ids[0] not in got, got


def _jazz_heard_a_month_ago(store, now, again):
    """Eight jazz songs of eight artists, four heard a month before ``now`` and the last ten
    minutes before it; the first logged once more as ``again`` (time, ms heard, how it ended,
    where)."""
    ids = _add(store, [{"title": f"s{i}", "artist": f"A{i}", "genre": "Jazz"} for i in range(8)])
    when, heard, ended, source = again
    store.log_plays([(ids[i], now - 30 * 86400 + 600 * i, 200_000, 200_000, "finished", "library") for i in range(4)]
                    + [(ids[7], now - 600, 200_000, 200_000, "finished", "library"),
                       (ids[0], when, heard, 200_000, ended, source)])
    return ids


def _offered(rows) -> set[int]:
    return {r.track_id for row in rows.values() for r in row}


def test_discover_offers_a_song_played_under_a_clock_set_ahead(store):
    # Heard a month ago, and once more while the laptop's clock ran a year ahead (since put
    # right by NTP): that play kept the song "played lately", out of Discover, for a year.
    from player.recommender_service import RecommenderService

    now = time.time()
    ids = _jazz_heard_a_month_ago(store, now, (now + 365 * 86400, 200_000, "finished", "library"))
    plain = _offered(LibraryRecommendations(store).discover(14))
    assert {ids[0], ids[1]} <= plain
    assert ids[0] in _offered(RecommenderService(store, priors=None).discover(14))


def test_discover_counts_a_play_set_ahead_once_the_clock_reaches_it(store, monkeypatch):
    # A play logged an hour past the slack allowed for a clock ahead is left out of "played
    # lately"; two hours on, the clock has reached it and the song was just played. The
    # counts kept between calls (the plays unchanged) held it as not played lately for good.
    import types

    from player import recommendations

    real = time.time()
    ids = _jazz_heard_a_month_ago(store, real, (real + FUTURE_SLACK_S + 3600, 200_000, "finished", "library"))
    plain = LibraryRecommendations(store)
    assert ids[0] in _offered(plain.discover(14))
    monkeypatch.setattr(recommendations, "time", types.SimpleNamespace(time=lambda: real + 7200))
    assert ids[0] not in _offered(plain.discover(14))


def test_discover_offers_a_song_skipped_there_under_a_clock_set_ahead(store):
    # Skipped when Discover offered it, while the laptop's clock ran a year ahead (since put
    # right): a skip rests a song for eight weeks from its time, and this one for a year and
    # eight weeks, in both the plain and the learning rows.
    from player.recommender_service import RecommenderService

    now = time.time()
    ids = _jazz_heard_a_month_ago(store, now, (now + 365 * 86400, 2_000, "skipped", "discover"))
    assert ids[0] in _offered(LibraryRecommendations(store).discover(14))
    assert ids[0] in _offered(RecommenderService(store, priors=None).discover(14))


def test_up_next_keeps_the_window_s_one_order_of_an_album_with_its_sort_name_on_some_tracks(store):
    # The window lists an album under the sort name most of its tracks carry ("Beatles, The"),
    # not each track where its own tags put it. Kept from the read before, Up next's order left
    # the album's other tracks under T when a track added with the sort name took it to B, and
    # kept them under B once that track was gone.
    folder = store.add_folder("/m")

    def add(name, artist, album, n, **tags) -> int:
        path = f"/m/{album}/{n:02d}.flac"
        store.upsert_tracks([{"path": path, "size": 1, "mtime_ns": n, "title": name, "artist": artist,
                              "album": album, "track_no": n, "genre": "Rock", "duration": 200.0,
                              "folder_id": folder, **tags}])
        return store.execute("SELECT id FROM tracks WHERE path = ?", (path,)).fetchone()[0]

    beatles = {"albumartist": "The Beatles"}
    made = {"a1": add("a1", "The Beatles", "Abbey Road", 1, **beatles),
            "a2": add("a2", "The Beatles", "Abbey Road", 2, **beatles),
            "p": add("p", "Pink Floyd", "Animals", 1)}
    kept = LibraryRecommendations(store)
    assert kept._library().order == [made[t] for t in ("p", "a1", "a2")]
    made["a3"] = add("a3", "The Beatles", "Abbey Road", 3, albumartistsort="Beatles, The", **beatles)
    assert kept._library().order == LibraryRecommendations(store)._library().order == [
        made[t] for t in ("a1", "a2", "a3", "p")]
    store.mark_missing([made["a3"]])
    assert kept._library().order == LibraryRecommendations(store)._library().order == [
        made[t] for t in ("p", "a1", "a2")]


def test_the_one_star_songs_left_out_are_worked_out_from_their_own_plays_not_the_whole_history(
        store, monkeypatch):
    # A one-star song stays out of the plain provider's lists until it is listened to here. That
    # was worked out from the whole history, read again whenever older plays were rewritten (a
    # resume, a merge): a tenth of a second at 20,000 plays, more as the history grows. Only the
    # one-star songs' own plays are read, and the lists are a new provider's after each change.
    stars = {2: 1, 5: 1, 3: 5}
    ids = _add(store, [{"title": f"r{i}", "artist": f"R{i % 4}", "genre": "Rock", "rating": stars.get(i)}
                       for i in range(12)])
    hated = {ids[2], ids[5]}
    kept = LibraryRecommendations(store)
    read, whole = store.plays, []

    def plays(**kw):
        if not kw:
            whole.append(kw)
        return read(**kw)

    def lists(provider) -> tuple:
        return ([r.track_id for r in provider.up_next([ids[0]], 11)],
                [r.track_id for r in provider.radio(ids[0], 11, exclude={ids[0]})])

    for t in ids[6:10]:
        store.end_play(store.start_play(t, track_ms=200_000), "finished", 200_000)
    store.end_play(store.start_play(ids[2], track_ms=200_000), "skipped", 1_000)     # (skipped at once)
    fresh = lists(LibraryRecommendations(store))
    assert lists(kept) == fresh and not hated & set(fresh[0] + fresh[1])
    store.merge_duplicate(ids[9], ids[8])               # older plays move: the history is rewritten
    fresh = lists(LibraryRecommendations(store))
    monkeypatch.setattr(store, "plays", plays)
    assert lists(kept) == fresh
    assert not whole        # (the kept provider read no whole history)
    monkeypatch.undo()
    store.end_play(store.start_play(ids[5], track_ms=200_000), "finished", 200_000)     # heard through
    got = lists(kept)
    assert got == lists(LibraryRecommendations(store)) and ids[5] in got[0] and ids[2] not in got[0]


@pytest.mark.parametrize("genre", ["Rock", None])
def test_an_m4b_chapter_is_explained_as_an_audiobook_not_by_its_genre_tag(store, genre):
    # A rock memoir in .m4b, tagged "Rock" (or not at all): every list files it as a book,
    # but given again its reason said "Tagged Rock in your library", as for a rock song.
    ids = _add(store, [{"title": "Part 1", "artist": "A", "album": "A Life", "genre": genre, "path": "/b/part1.m4b"},
                       {"title": "song", "artist": "A", "album": "Al", "genre": "Rock"}])
    p = LibraryRecommendations(store)
    assert p.explain(ids[0]) == "An audiobook in your library"
    assert p.explain(ids[0], "your queue") == "An audiobook in your library (your queue)"
    assert p.explain(ids[1]) == "Tagged Rock in your library"
