"""The app's recommender over a real store: cold start, plays through the store, models, forgetting."""

from __future__ import annotations

import threading
import time

import pytest

from player import paths
from player.recommendations import LibraryRecommendations, Rec, RecommendationProvider
from player.recommender_service import RecommenderService
from player.trainer import Trainer
from recommender.rank import RUN_FOLLOW

GENRES = ["Rock", "Jazz", "Ambient", "Hip-Hop"]
PER = 24


def fill_library(store):
    """96 tracks: 4 genres x 6 artists x 4 tracks, 200 s each."""
    rows = []
    for g, genre in enumerate(GENRES):
        for i in range(PER):
            rows.append({"path": f"/music/{genre}/{i:02d}.flac", "size": 1000, "mtime_ns": 1,
                         "title": f"{genre} song {i}", "artist": f"{genre} Artist {i % 6}",
                         "album": f"{genre} Album {i % 6}", "genre": genre, "duration": 200.0})
    store.upsert_tracks(rows)
    return {r["title"]: r["id"] for r in store.tracks()}, {r["id"]: r["genre"] for r in store.tracks()}


def listen(store, track_id, *, skip=False, now):
    play = store.start_play(track_id, source="up_next", track_ms=200_000, now=now)
    store.end_play(play, "skipped" if skip else "finished", 4_000 if skip else 200_000, now=now + 1)


def album_chain(cat, track_id) -> list[int]:
    """The track ids Up next's album goes on through from ``track_id``."""
    out, r = [], cat.row(track_id)
    while r >= 0:
        out.append(int(cat.track_ids[r]))
        r = int(cat.album_next[r])
    return out


def test_is_a_provider_and_cold_radio_stays_in_genre(store):
    ids, genre = fill_library(store)
    service = RecommenderService(store, priors=None)
    assert isinstance(service, RecommendationProvider)
    seed = ids["Jazz song 3"]
    recs = service.radio(seed, 10, exclude={seed})
    assert len(recs) == 10 and all(isinstance(r, Rec) for r in recs)
    assert seed not in {r.track_id for r in recs}
    assert sum(genre[r.track_id] == "Jazz" for r in recs) >= 8
    assert all(r.reason for r in recs)
    assert service.radio(10**9, 5) == []


@pytest.mark.parametrize("learning", [True, False])
def test_before_analysis_one_genre_spelled_several_ways_is_one_station_and_one_row(store, learning):
    # Tags as real folders have them: a station from "Metal" passed over every "Heavy Metal"
    # and "metal" track for hip-hop and indie, and Discover had rows "Metal", "Heavy Metal",
    # "Hip-Hop", "Hip Hop" and "Rap" side by side.
    spellings = {"metal": ["Metal", "Heavy Metal", "metal", "Thrash Metal"],
                 "hip-hop": ["Hip-Hop", "Hip Hop", "Rap"], "indie": ["Indie", "Indie Rock"],
                 # a genre of no bucket: one row too, headed as most of its tracks spell it, not as the first
                 "Ska": ["SKA", "Ska", "ska", "Ska"]}
    rows = []
    for bucket, tags in spellings.items():
        for i in range(12):
            rows.append({"path": f"/music/{bucket}/{i:02d}.flac", "size": 1000, "mtime_ns": 1,
                         "title": f"{bucket} song {i}", "artist": f"{bucket} artist {i}",
                         "album": f"{bucket} album {i}", "genre": tags[i % len(tags)], "duration": 200.0})
    store.upsert_tracks(rows)
    bucket_of = {r["id"]: r["path"].split("/")[2] for r in store.tracks()}
    seed = next(r["id"] for r in store.tracks() if r["genre"] == "Metal")
    provider = RecommenderService(store, priors=None) if learning else LibraryRecommendations(store)
    station = provider.radio(seed, 11, exclude={seed})
    assert len(station) == 11 and {bucket_of[r.track_id] for r in station} == {"metal"}
    shown = provider.discover(12)
    assert sorted(shown) == ["Ska", "hip-hop", "indie", "metal"]
    assert all({bucket_of[r.track_id] for r in recs} == {b} for b, recs in shown.items())


def test_an_analysed_track_retagged_to_another_genre_moves_to_its_row_without_a_new_analysis(store):
    # A retag keeps the analysis (the audio is the same), and with it the bucket worked out
    # from the old genre tag: a song retagged Jazz -> Classical stayed in Discover's jazz row.
    import numpy as np

    from recommender.msd_tags import MSD_LABELS

    ids, genre = fill_library(store)
    jazzy = np.zeros(len(MSD_LABELS), np.float32)
    jazzy[MSD_LABELS.index("jazz")] = 0.3
    rng = np.random.default_rng(0)
    store.save_features([{"track_id": t, "model_version": "v1", "tags": jazzy, "embedding": rng.normal(size=16),
                          "bucket": "jazz"} for t in ids.values()])
    moved = ids["Rock song 3"]
    row = store.track(moved)
    store.upsert_tracks([{**{k: row[k] for k in ("path", "size", "title", "artist", "album", "duration")},
                          "mtime_ns": row["mtime_ns"] + 1, "genre": "Classical"}])
    assert store.track(moved)["genre"] == "Classical" and store.features().bucket.count("jazz") == len(ids)
    rows = RecommenderService(store, priors=None).discover(PER * 4)
    assert [r.track_id for r in rows["classical"]] == [moved]
    # each other track by its own tag, which outweighs what the tagger heard; "Ambient" too
    assert sorted(rows) == ["ambient", "classical", "hip-hop", "jazz", "rock"]
    assert moved not in {r.track_id for r in rows["rock"]}


def test_a_genre_of_the_persons_own_keeps_its_row_once_analysed_and_fillers_are_no_genre(store):
    # Analysis named an analysed track's bucket from what it heard unless the genre tag was
    # one of its own genres: a library tagged "Bollywood" and "Punjabi" had its rows renamed
    # "ambient" and "punk" once analysed. A tag of no genre ("Other") is none.
    import numpy as np

    from recommender.msd_tags import MSD_LABELS

    rows = []
    for genre in ("Bollywood", "Punjabi", "Other", None):
        for i in range(6):
            rows.append({"path": f"/music/{genre}/{i:02d}.flac", "size": 1000, "mtime_ns": 1,
                         "title": f"{genre} song {i}", "artist": f"{genre} artist {i}",
                         "album": f"{genre} album {i}", "genre": genre, "duration": 200.0})
    store.upsert_tracks(rows)
    ids = [r["id"] for r in store.tracks()]
    sound = np.zeros(len(MSD_LABELS), np.float32)
    sound[MSD_LABELS.index("punk")] = 0.4
    rng = np.random.default_rng(0)
    store.save_features([{"track_id": t, "model_version": "v1", "tags": sound, "embedding": rng.normal(size=16),
                          "bucket": "punk"} for t in ids])
    shown = RecommenderService(store, priors=None).discover(12)
    folder = {r["id"]: r["path"].split("/")[2] for r in store.tracks()}
    assert sorted(shown) == ["Bollywood", "Punjabi", "punk"]
    assert {b: {folder[r.track_id] for r in recs} for b, recs in shown.items()} == {
        "Bollywood": {"Bollywood"}, "Punjabi": {"Punjabi"}, "punk": {"Other", "None"}}


def test_plays_through_the_store_shift_up_next_and_discover(store):
    ids, genre = fill_library(store)
    service = RecommenderService(store, priors=None)
    seed = ids["Rock song 0"]
    before = [genre[r.track_id] for r in service.up_next([seed], 10)]
    t = 1_700_000_000.0
    for rnd in range(3):
        for i in range(PER // 2):          # half of the hip-hop tracks: the rest is new to them
            listen(store, ids[f"Hip-Hop song {i}"], now=t)
            t += 210
        for i in range(6):
            listen(store, ids[f"Rock song {i + 6 * rnd}"], skip=True, now=t)
            t += 10
    after = [genre[r.track_id] for r in service.up_next([seed], 10)]
    assert after.count("Hip-Hop") > before.count("Hip-Hop")
    assert after.count("Rock") < before.count("Rock")
    rows = service.discover(4)
    assert list(rows)[0] == "hip-hop"           # their bucket first, with tracks not played yet
    played = {ids[f"Hip-Hop song {i}"] for i in range(PER // 2)}
    assert len(rows["hip-hop"]) == 4 and not {r.track_id for r in rows["hip-hop"]} & played
    assert any("you played" in r.reason for r in service.up_next([seed], 10))


def test_discover_has_new_rows_each_day_the_person_opens_it_without_playing(store):
    # The rows went by the day of the latest play: someone who opened Discover on the days
    # they played nothing saw the same rows every day.
    import datetime

    ids, genre = fill_library(store)
    for i in range(6):
        listen(store, ids[f"Jazz song {i}"], now=1_700_000_000.0 + 300 * i)
    service = RecommenderService(store, priors=None)

    def shown(day):
        return {b: [r.track_id for r in recs] for b, recs in service.discover(6, today=day).items()}

    first = shown(datetime.date(2026, 3, 2))
    assert shown(datetime.date(2026, 3, 2)) == first        # the same all day
    days = [first] + [shown(datetime.date(2026, 3, 2 + n)) for n in range(1, 4)]
    assert all(a != b for a, b in zip(days, days[1:]))
    assert list(first)[0] == "jazz"             # their genre first, as any day


def test_trainer_models_are_swapped_in_and_forget_deletes_them(store):
    ids, genre = fill_library(store)
    service = RecommenderService(store, priors=None)
    service.up_next([], 5)
    t = 1_700_000_000.0
    for s in range(12):
        for i in range(8):
            listen(store, ids[f"Jazz song {(s + i) % PER}"], now=t)
            t += 210
        t += 3600                         # a new session
    trainer = Trainer(store, service, every_n_plays=10, session_model=False)
    result = trainer.train_now()
    assert result.path.parent == paths.local_models_dir()
    models = service.recommender().models
    assert models.info["run"] == result.path.name and models.person is not None
    assert service.recommender()._wmf is not None   # the person's WMF vector scores their taste
    assert store.last_model_run()["n_plays"] == 96
    # Calls keep working while models reload on another thread.
    errors = []

    def hammer():
        try:
            for _ in range(20):
                assert len(service.up_next([ids["Jazz song 1"]], 5)) == 5
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for th in threads:
        th.start()
    for _ in range(3):
        service.reload_models()
    for th in threads:
        th.join()
    assert not errors
    service.forget_history()
    assert store.play_count() == 0 and not any(paths.local_models_dir().iterdir())
    assert service.recommender().models.item_factors is None
    assert len(service.up_next([ids["Jazz song 1"]], 5)) == 5


@pytest.mark.parametrize("n_plays", [0, 1])
def test_tiny_histories_work(store, n_plays):
    ids, _ = fill_library(store)
    for i in range(n_plays):
        listen(store, ids["Rock song 1"], now=1_700_000_000.0)
    service = RecommenderService(store, priors=None)
    result = Trainer(store, service).train_now()
    assert (result.path is None) == (n_plays == 0)
    assert len(service.up_next([ids["Rock song 1"]], 5)) == 5
    assert sum(len(v) for v in service.discover(3).values()) > 0


@pytest.mark.parametrize("learning", [True, False])
def test_up_next_after_a_song_gone_since_it_was_heard_follows_the_one_before(store, learning):
    # The session's latest song deleted (a station's seed, a file removed): Up next follows
    # the latest song still there, as if the gone one had not been heard, and says so.
    ids, _ = fill_library(store)
    gone, live = ids["Rock song 0"], ids["Jazz song 3"]
    store.mark_missing([gone])
    provider = RecommenderService(store, priors=None) if learning else LibraryRecommendations(store)
    expected = provider.up_next([live], 5)
    assert len(expected) == 5 and all("Jazz song 3" in r.reason for r in expected)
    assert provider.up_next([live, gone], 5) == expected
    assert len(provider.up_next([gone], 5)) == 5


def test_up_next_keeps_the_taste_of_plays_whose_songs_are_gone(store):
    # Every song the person played deleted: their plays left the catalogue with them, and Up
    # next for a session of those songs came from anywhere in the library (2 rock songs of 10),
    # though it still held other songs of the artists and the genre they played. Nor does one
    # play of another genre since outweigh them all (counted by their artists only, it did).
    ids, genre = fill_library(store)
    heard = [ids[f"Rock song {i}"] for i in range(6)]        # one song of each rock artist
    for i, t in enumerate(heard * 3):
        listen(store, t, now=1_700_000_000.0 + 300 * i)
    store.mark_missing(heard)
    service = RecommenderService(store, priors=None)
    got = service.up_next(heard, 10)
    assert len(got) == 10 and sum(genre[r.track_id] == "Rock" for r in got) >= 8, [genre[r.track_id] for r in got]
    listen(store, ids["Jazz song 1"], now=1_700_000_000.0 + 300 * 20)
    got = service.up_next(heard, 10)
    assert len(got) == 10 and sum(genre[r.track_id] == "Rock" for r in got) >= 8, [genre[r.track_id] for r in got]


def test_up_next_weighs_a_gone_song_as_it_did_in_the_library(store):
    # Twelve rock songs heard three times each, six jazz songs as often: twice the rock. The
    # rock songs then deleted (re-ripped, moved off the library): counted over all of an
    # artist's or genre's plays at once they weighed a sixth of what they did, under the six
    # jazz songs still there, and Up next after the rock session gave jazz only (10 of 10).
    ids, genre = fill_library(store)
    rock = [ids[f"Rock song {i}"] for i in range(12)]        # two songs of each rock artist
    jazz = [ids[f"Jazz song {i}"] for i in range(6)]
    for i, t in enumerate((rock + jazz) * 3):
        listen(store, t, now=1_700_000_000.0 + 300 * i)
    store.mark_missing(rock)
    got = RecommenderService(store, priors=None).up_next(rock, 10)
    assert len(got) == 10 and sum(genre[r.track_id] == "Rock" for r in got) >= 8, [genre[r.track_id] for r in got]


def test_play_log_refresh_is_incremental_and_exact(store):
    from recommender.catalog import PlayLog

    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None)
    t = 1_700_000_000.0
    for i in range(300):
        listen(store, ids[f"Rock song {i % PER}"], now=t)
        t += 250
    service.up_next([], 3)
    play = store.start_play(ids["Jazz song 1"], track_ms=200_000, now=t)
    service.on_player_event("track_started", {})
    service.up_next([], 3)
    store.end_play(play, "skipped", 2_000, now=t + 2)
    service.on_player_event("track_ended", {"track_id": ids["Jazz song 1"], "ended": "skipped"})
    rec = service.recommender()
    full = PlayLog.from_rows(store.plays())
    for field in PlayLog._FIELDS:
        assert getattr(rec.catalog.plays, field).tolist() == getattr(full, field).tolist(), field
    # What each play says is kept with the log and carried over as the last hours are
    # re-read: the song read while playing (saying nothing yet) now says it was skipped.
    assert rec.catalog.play_feedback.tolist() == rec.catalog.plays.feedback().tolist() == full.feedback().tolist()
    assert rec.catalog.plays.chosen().tolist() == full.chosen().tolist()
    assert rec.catalog.skip_count[rec.catalog.row(ids["Jazz song 1"])] == 1
    # Plays logged now that began hours back (kept in memory while the disk was full, and
    # written once there was room) or a week back (the clock set back) are read by their ids,
    # alone: not the whole log again, nor every play since the hours before.
    read = []

    def plays(**kw):
        rows = plays_of(**kw)
        read.append(len(rows))
        return rows

    plays_of, store.plays = store.plays, plays
    for back in (8 * 3600, 7 * 86400):
        listen(store, ids["Jazz song 2"], now=t - back)
        service.on_player_event("track_ended", {"track_id": ids["Jazz song 2"], "ended": "finished"})
        rec = service.recommender()
        assert read == [2], read            # the latest play read before, and the one logged since
        read.clear()
        full = PlayLog.from_rows(plays_of())
        for field in PlayLog._FIELDS:
            assert getattr(rec.catalog.plays, field).tolist() == getattr(full, field).tolist(), field
        assert rec.catalog.play_feedback.tolist() == full.feedback().tolist()
    assert rec.catalog.play_count[rec.catalog.row(ids["Jazz song 2"])] == 2




def _same_as_a_whole_read(service, store):
    """The service's recommender, its plays checked field by field against a whole read."""
    from recommender.catalog import PlayLog

    rec = service.recommender()
    full = PlayLog.from_rows(store.plays())
    for field in PlayLog._FIELDS:
        assert getattr(rec.catalog.plays, field).tolist() == getattr(full, field).tolist(), field
    assert rec.catalog.play_feedback.tolist() == full.feedback().tolist()
    return rec

def test_play_log_refresh_sees_an_older_play_resumed(store):
    """A song left playing at a close, resumed the next day after ``segue play`` logged a
    play meanwhile, goes on in its old row: below the latest play, yet it changes (playing
    again, moved to now, then heard through). Up next reads it again, at once, as a whole
    read would give it: not a stopped play of yesterday until the next start."""
    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None)
    t = 1_700_000_000.0
    for i in range(20):
        listen(store, ids[f"Rock song {i}"], now=t + 250 * i)
    t += 250 * 20
    left = store.start_play(ids["Jazz song 1"], track_ms=200_000, now=t)
    store.end_play(left, "stopped", 50_000, now=t + 50)     # the window closed
    listen(store, ids["Jazz song 2"], now=t + 600)           # segue play in a terminal
    service.recommender()

    assert store.resume_play(left, ids["Jazz song 1"], now=t + 86400) == 50_000
    rec = _same_as_a_whole_read(service, store)            # no event needed: the count did not change
    assert rec.catalog.plays.ended[-1] == "playing"
    store.end_play(left, "finished", 200_000, now=t + 86400 + 150)
    service.on_player_event("track_ended", {"track_id": ids["Jazz song 1"], "ended": "finished"})
    rec = _same_as_a_whole_read(service, store)
    assert rec.catalog.play_count[rec.catalog.row(ids["Jazz song 1"])] == 1


def test_play_log_refresh_sees_older_plays_a_scan_elsewhere_changed(store, tmp_path):
    """A scan in a terminal (the window is not told) that merges a track into another, or
    links imported rows to a song it added and so cuts the imported sessions again,
    changes plays older than the latest: Up next reads them again as a whole read gives
    them, not with a merged track's old id or a session that is gone."""
    from player.history.importer import import_file, link_unmatched
    from tests import history_fixtures as fx

    ids, _ = fill_library(store)
    t = 1_600_000_000.0
    # Two imported sessions, with an unmatched song between that joins them once linked.
    import_file(store, fx.lastfm_headerless(tmp_path / "scrobbles.csv", [
        ("Rock Artist 1", "Rock song 1", "Rock Album 1", t, 190_000, False),
        ("Dave Owen", "Night Of The Creeps", "Outlaw EP", t + 1500, 190_000, False),
        ("Rock Artist 1", "Rock song 1", "Rock Album 1", t + 3000, 190_000, False)]))
    store.upsert_tracks([{"path": "/music/elsewhere/dup.flac", "size": 1000, "mtime_ns": 1, "title": "Dup",
                          "artist": "Jazz Artist 0", "album": "Jazz Album 0", "genre": "Jazz", "duration": 200.0}])
    dup = store.track_by_path("/music/elsewhere/dup.flac")["id"]
    t = 1_700_000_000.0
    listen(store, dup, now=t)
    for i in range(5):
        listen(store, ids[f"Jazz song {i}"], now=t + 250 * (i + 1))
    service = RecommenderService(store, priors=None)
    service.recommender()

    store.merge_duplicate(dup, ids["Jazz song 0"])
    listen(store, ids["Jazz song 9"], now=t + 2000)
    _same_as_a_whole_read(service, store)
    store.upsert_tracks([{"path": "/music/dave.flac", "size": 1000, "mtime_ns": 1, "title": "Night Of The Creeps",
                          "artist": "Dave Owen", "album": "Outlaw EP", "genre": "Rock", "duration": 200.0}])
    assert link_unmatched(store) == 1
    _same_as_a_whole_read(service, store)

def test_segue_status_shows_training(store, capsys):
    from player.cli import main

    ids, _ = fill_library(store)
    t = 1_700_000_000.0
    for i in range(30):
        listen(store, ids[f"Jazz song {i % PER}"], now=t)
        t += 250 if i % 6 else 5000
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "30 (none learned from yet; a training is due)" in out and "Learned:    nothing yet" in out
    assert main(["status", "--train"]) == 0
    out = capsys.readouterr().out
    assert "0 songs started since the last training" in out and "from 30 plays in" in out and "taste model (WMF)" in out
    assert "run-" in out
    # Plain words: none of the trainer's own names for its numbers.
    assert not any(jargon in out for jargon in ("n_listened", "hr@20", "recall@20", "=0.", "n_plays"))
    assert "of the time" in out and "did not learn from" in out


def test_cold_start_from_the_shipped_priors(store):
    """No plays, no analysis, no genre tags: artists matched in the shipped CF priors carry radio."""
    from player.recommender_service import load_shipped_priors

    priors = load_shipped_priors()
    if priors is None:
        pytest.skip("shipped priors not built (python -m recommender.research.pretrain)")
    groups = {"metal": ["Metallica", "Megadeth", "Slayer", "Iron Maiden"],
              "pop": ["Madonna", "Britney Spears", "Lady Gaga", "Christina Aguilera"],
              "jazz": ["Miles Davis", "John Coltrane"], "rap": ["Eminem", "Jay-Z"]}
    rows = [{"path": f"/m/{a}/{i}.mp3", "size": 1, "mtime_ns": 1, "title": f"{a} song {i}", "artist": a,
             "album": f"{a} album", "duration": 240.0} for artists in groups.values() for a in artists
            for i in range(2)]
    store.upsert_tracks(rows)
    group_of = {r["id"]: next(g for g, names in groups.items() if r["artist"] in names) for r in store.tracks()}
    seed = next(r["id"] for r in store.tracks() if r["artist"] == "Metallica")
    recs = RecommenderService(store, priors=priors).radio(seed, 6, exclude={seed})
    assert sum(group_of[r.track_id] == "metal" for r in recs) >= 5, [group_of[r.track_id] for r in recs]


def test_untagged_tracks_get_shown_names_but_never_a_prior_by_folder_name(store):
    """A folder named like a real artist is not taken for that artist in the shipped priors."""
    from player.recommender_service import build_catalog, load_shipped_priors

    priors = load_shipped_priors()
    if priors is None:
        pytest.skip("shipped priors not built (python -m recommender.research.pretrain)")
    folder = store.add_folder("/m")
    store.upsert_tracks([
        {"path": "/m/Metallica/Master of Puppets/Battery.mp3", "folder_id": folder, "size": 1, "mtime_ns": 1,
         "duration": 300.0},
        {"path": "/m/tagged.mp3", "folder_id": folder, "size": 1, "mtime_ns": 1, "duration": 300.0,
         "title": "Battery", "artist": "Metallica", "album": "Master of Puppets"},
    ])
    cat, prior = build_catalog(store, priors=priors)
    rows = {r["path"]: cat.row(r["id"]) for r in store.tracks()}
    untagged, tagged = rows["/m/Metallica/Master of Puppets/Battery.mp3"], rows["/m/tagged.mp3"]
    assert cat.titles[untagged] == "Battery"                 # named as the window names it
    assert abs(prior[tagged]).sum() > 0                      # the tagged one is known to the priors
    assert abs(prior[untagged]).sum() == 0                   # the folder is not taken for the band
    # Spacing treats the album folder as one artist; it is not merged with the real band.
    assert cat.artist[untagged] >= 0 and cat.artist[untagged] != cat.artist[tagged]



def test_reasons_for_untagged_tracks_speak_of_their_folder_never_of_an_artist_by_its_name(store):
    """An untagged track's "artist" for spacing and taste is the folder its album is in; a
    reason naming it as an artist ("you played Soundtracks 9 times", "Song — Soundtracks")
    says what is not so. Tagged tracks beside them keep their artist's name."""
    folder = store.add_folder("/m")
    rows = [{"path": f"/m/Soundtracks/{i:02d} Theme {i}.mp3", "folder_id": folder, "size": 1, "mtime_ns": 1,
             "duration": 200.0} for i in range(1, 5)]
    rows += [{"path": f"/m/Tagged/{i}.mp3", "folder_id": folder, "size": 1, "mtime_ns": 1, "duration": 200.0,
              "title": f"Song {i}", "artist": "Nina Simone", "album": "Pastel Blues"} for i in range(1, 5)]
    store.upsert_tracks(rows)
    ids = {r["path"]: r["id"] for r in store.tracks()}
    theme = [ids[f"/m/Soundtracks/{i:02d} Theme {i}.mp3"] for i in range(1, 5)]
    song = [ids[f"/m/Tagged/{i}.mp3"] for i in range(1, 5)]
    t = 1_700_000_000.0
    for _ in range(3):                  # three songs of each folder, each heard three times
        for tid in (*theme[:3], *song[:3]):
            listen(store, tid, now=t)
            t += 210
        t += 4 * 3600
    service = RecommenderService(store, priors=None)
    assert service.explain(theme[3]) == "you played songs from Soundtracks 9 times"
    assert service.explain(song[3]) == "you played Nina Simone 9 times"
    assert service.explain(theme[3], f"after:{theme[0]}") \
        == "from the same album as 01 Theme 1, from Soundtracks · you played songs from Soundtracks 9 times"
    assert service.explain(song[3], f"after:{song[0]}") \
        == "from the same album as Song 1 — Nina Simone · you played Nina Simone 9 times"

def test_someone_who_plays_albums_in_order_hears_the_rest_of_a_new_one_in_order(store):
    """Track and disc numbers come from the scanned tags through the store: after the
    second song of an album they never played, Up next goes on with the third, fourth and
    fifth, as they always play albums."""
    rows = []
    for a in range(8):                  # 4 artists x 2 albums; album 7 is on two discs
        for j in range(6):
            rows.append({"path": f"/music/{a}/{j}.flac", "size": 1000, "mtime_ns": 1, "title": f"song {a}.{j}",
                         "artist": f"Artist {a // 2}", "album": f"Album {a}", "genre": GENRES[a // 2],
                         "duration": 200.0, "track_no": j % 3 + 1 if a == 7 else j + 1,
                         "disc_no": j // 3 + 1 if a == 7 else None})
    store.upsert_tracks(rows)
    ids = {r["title"]: r["id"] for r in store.tracks()}
    t = 1_700_000_000.0
    for a in range(6):                  # albums 0-5, each one session, in order
        for j in range(6):
            listen(store, ids[f"song {a}.{j}"], now=t)
            t += 210
        t += 4 * 3600
    service = RecommenderService(store, priors=None)
    recs = service.up_next([ids["song 7.1"]], 4)
    # Disc 1 holds songs 7.0-7.2 (tracks 1-3), disc 2 songs 7.3-7.5 (tracks 1-3).
    assert [r.track_id for r in recs] == [ids["song 7.2"], ids["song 7.3"], ids["song 7.4"], ids["song 7.5"]]
    assert recs[0].reason.startswith("next on the album after song 7.1")


def test_an_untagged_album_is_in_the_order_of_its_file_names(store):
    from player.recommender_service import build_catalog

    folder = store.add_folder("/music")
    rows = [{"path": f"/music/Zelda/CD{d}/{t:02d} Song {d}{t}.flac", "folder_id": folder, "size": 1000,
             "mtime_ns": 1, "duration": 200.0} for d in (2, 1) for t in (3, 1, 2)]
    store.upsert_tracks(rows)
    ids = {r["path"].split("/", 3)[3]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["CD1/01 Song 11.flac"]) == [ids[f"CD{d}/{t:02d} Song {d}{t}.flac"]
                                                          for d in (1, 2) for t in (1, 2, 3)]


def test_a_song_named_by_a_title_that_looks_like_disc_and_track_goes_on_with_its_album(store):
    """"7-11" is the second song's title, not disc 7, track 11: Up next's album goes on from the
    first song to it and then to the third, as the library lists them."""
    from player.recommender_service import build_catalog

    folder = store.add_folder("/music")
    names = ["01 Intro.flac", "7-11.flac", "03 Outro.flac"]
    store.upsert_tracks([{"path": f"/music/Band/Album/{n}", "folder_id": folder, "size": 1000, "mtime_ns": 1,
                          "title": n[:-5], "artist": "Band", "album": "Album", "track_no": i + 1,
                          "duration": 200.0} for i, n in enumerate(names)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["01 Intro"]) == [ids["01 Intro"], ids["7-11"], ids["03 Outro"]]


def test_an_albums_discs_tagged_as_albums_of_their_own_go_on_one_into_the_next(store):
    """"The Wall (Disc One)" and "The Wall (Disc Two)", each in a folder so named, numbered from
    1, no disc tags: Up next's album stopped at the end of the first disc (and "Disc 2 Love" is
    an album of its own)."""
    from player.recommender_service import build_catalog

    folder = store.add_folder("/music")
    rows = [{"path": f"/music/Band/{album}/{t:02d}.flac", "folder_id": folder, "size": 1000, "mtime_ns": 1,
             "title": f"{album} {t}", "artist": "Band", "album": album, "track_no": t, "duration": 200.0}
            for album in ("The Wall (Disc Two)", "The Wall (Disc One)", "Disc 2 Love") for t in (1, 2)]
    store.upsert_tracks(rows)
    ids = {r["title"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["The Wall (Disc One) 1"]) == [ids[f"The Wall (Disc {d}) {t}"]
                                                            for d in ("One", "Two") for t in (1, 2)]
    assert cat.album[cat.row(ids["Disc 2 Love 1"])] != cat.album[cat.row(ids["The Wall (Disc Two) 1"])]


def test_albums_of_one_name_are_told_apart_and_a_compilation_tagged_per_track_is_one(store):
    from player.library.albums import folder_compilations
    from player.recommender_service import build_catalog

    def album(folder, title, artists, *, albumartist=None, mbid=None, n=4, stem=""):
        return [{"path": f"/music/{folder}/{stem}{t + 1:02d}.flac", "size": 1000, "mtime_ns": 1,
                 "title": f"{folder} {stem}{t + 1}",
                 "artist": artists[t % len(artists)], "albumartist": albumartist, "album": title,
                 "track_no": t + 1, "duration": 200.0, "mb_album_id": mbid} for t in range(n)]
    rows = []
    for year in (1977, 1978, 1980):     # self-titled albums, each in its folder
        rows += album(f"PG/{year}", "Peter Gabriel", ["Peter Gabriel"])
    # The fourth in the 1980 folder too, told apart by its release id.
    rows += album("PG/1980", "Peter Gabriel", ["Peter Gabriel"], mbid="mb-1982", stem="b")
    rows += album("Hits", "Summer Hits", ["A", "B", "C", "D"])            # no album artist
    rows += album("Queen", "Greatest Hits", ["Queen", "Queen & David Bowie"])
    # Two artists' "Greatest Hits" in one flat folder: their numbers clash, so they stay apart.
    flat = album("Flat", "Greatest Hits", ["ABBA"]) + album("Flat", "Greatest Hits", ["Blondie"])
    for i, r in enumerate(flat):
        r["path"] = f"/music/Flat/{i:02d}.flac"
    store.upsert_tracks(rows + flat)
    # (as the scanner finds a compilation whose tags do not say so: "Summer Hits")
    store.set_folder_compilations({i: 1 for i in folder_compilations(store.tracks())})
    ids = {r["path"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)

    def chain(path):
        return album_chain(cat, ids[path])
    for first in ("PG/1977/", "PG/1978/", "PG/1980/", "PG/1980/b", "Hits/", "Queen/"):
        assert chain(f"/music/{first}01.flac") == [ids[f"/music/{first}{t:02d}.flac"] for t in (1, 2, 3, 4)]
    assert chain("/music/Flat/00.flac") == [ids[f"/music/Flat/{i:02d}.flac"] for i in range(4)]
    assert chain("/music/Flat/04.flac") == [ids[f"/music/Flat/{i:02d}.flac"] for i in range(4, 8)]


@pytest.mark.parametrize("found_by", ["flag", "folder"])
def test_a_compilation_with_an_unnumbered_bonus_track_is_one_album_as_the_library_lists_it(store, found_by):
    """A compilation without an album artist (flagged in its tags, or found one by its
    folder: a soundtrack), each track by another artist, with a bonus track without a
    number: the library lists it as one album, and Up next goes on with it from track 1."""
    from player.library.albums import folder_compilations
    from player.recommender_service import build_catalog

    store.upsert_tracks([{"path": f"/music/OST/Song {t}.flac", "size": 1000, "mtime_ns": 1, "title": f"Song {t}",
                          "artist": artist, "album": "Film", "track_no": t if t < 4 else None,
                          "compilation": 1 if found_by == "flag" else None, "duration": 200.0}
                         for t, artist in zip((1, 2, 3, 4), ("A", "B", "C", "D"))])
    if found_by == "folder":
        found = folder_compilations(store.tracks())
        assert len(found) == 4
        store.set_folder_compilations({i: 1 for i in found})
    ids = {r["title"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["Song 1"]) == [ids["Song 1"], ids["Song 2"], ids["Song 3"]]
    assert len({int(cat.album[cat.row(i)]) for i in ids.values()}) == 1


@pytest.mark.parametrize("folders", [("Greatest Hits (1990)", "Greatest Hits (2001)"),
                                     ("Greatest Hits", "Greatest Hits (Remastered)")])
def test_two_releases_of_one_title_by_one_artist_are_two_albums_as_the_library_lists_them(store, folders):
    """"Greatest Hits" of 1990 and of 2001 by one artist, each in its folder, their track
    numbers never the same: the library lists two releases, and Up next's album runs from
    the 1990 release's last track into nothing, not into the 2001 release's (also where
    the folders' names differ only by a word a song's title may drop, "Remastered")."""
    from player.recommender_service import build_catalog

    rows = [{"path": f"/music/Band/{folder}/{t:02d}.flac", "size": 1000, "mtime_ns": 1,
             "title": f"{year} {t}", "artist": "Band", "album": "Greatest Hits", "track_no": t, "duration": 200.0}
            for folder, year, numbers in zip(folders, (1990, 2001), ((1, 2), (3, 4))) for t in numbers]
    store.upsert_tracks(rows)
    ids = {r["title"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["1990 1"]) == [ids["1990 1"], ids["1990 2"]]
    assert album_chain(cat, ids["2001 3"]) == [ids["2001 3"], ids["2001 4"]]
    assert cat.album[cat.row(ids["1990 1"])] != cat.album[cat.row(ids["2001 3"])]


def test_a_track_without_the_release_id_of_its_album_goes_on_with_it_as_the_library_lists_it(store):
    """An album whose tracks carry its release id but the last (tagged by hand, ripped
    later): the library lists it with the others of its title in its folder, and Up next
    goes on to it."""
    from player.recommender_service import build_catalog

    store.upsert_tracks([{"path": f"/music/Band/Album/{t:02d}.flac", "size": 1000, "mtime_ns": 1,
                          "title": f"Song {t}", "artist": "Band", "album": "Album", "track_no": t,
                          "mb_album_id": "mb-album" if t < 4 else None, "duration": 200.0} for t in (1, 2, 3, 4)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    cat, _ = build_catalog(store, priors=None)
    assert album_chain(cat, ids["Song 1"]) == [ids[f"Song {t}"] for t in (1, 2, 3, 4)]


def test_runs_kept_of_up_next_reach_the_next_refill_without_training(store, tmp_path):
    """Someone who lets Up next play after a song they chose keeps every offer by the
    artist they are hearing and now and then skips one by another artist early. Logged
    through the store as the player logs it, this reaches Up next at its next refill, no
    training run needed: it offers runs of the artist. The same plays by someone who
    chose every song themselves (no offers to learn from) do not get that pull."""
    from player.store import Store

    other = Store.open(tmp_path / "chose-everything.db")
    try:
        ids, _ = fill_library(store)
        assert fill_library(other)[0] == ids
        t = 1_700_000_000.0
        for s in range(10):
            g, h = GENRES[s % 4], GENRES[(s + 1) % 4]
            session = [(f"{g} song {s % 6}", "library", False),        # their pick
                       (f"{g} song {s % 6 + 6}", "up_next", False),    # the same artist: kept
                       (f"{h} song {s % 6}", "up_next", True)]         # another artist: skipped
            # ...and then six songs by as many artists, kept: their own moves seldom stay
            # with an artist (1 in 7), too seldom for runs by that count alone.
            session += [(f"{GENRES[(s + k + 2) % 4]} song {(s + k) % 6 + 12}", "up_next", False) for k in range(6)]
            for title, source, skip in session:
                for db, src in ((store, source), (other, "library")):
                    play = db.start_play(ids[title], source=src, track_ms=200_000, now=t)
                    db.end_play(play, "skipped" if skip else "finished", 4_000 if skip else 200_000, now=t + 1)
                t += 10 if skip else 210
            t += 6 * 3600
        runs, chose = RecommenderService(store, priors=None), RecommenderService(other, priors=None)
        assert runs.recommender().catalog.artist_stays == (10, 10, 60, 50)   # right after a keep only
        assert runs.recommender().artist_stay > 0 and chose.recommender().artist_stay == 0
        assert chose.recommender().artist_run < RUN_FOLLOW <= runs.recommender().artist_run
        tail = ids["Jazz song 2"]
        artist = {r["id"]: r["artist"] for r in store.tracks()}

        def same(service):
            return sum(artist[r.track_id] == artist[tail] for r in service.up_next([tail], 5))
        assert same(runs) == 3 > same(chose)        # all three other songs of the artist
    finally:
        other.close()


def test_artists_picked_by_hand_lead_the_next_refill_of_someone_who_lets_up_next_play(store, tmp_path):
    """Someone who starts each session with a song by one of two artists they love and lets
    Up next play six more, keeping them all. Logged through the store as the player logs
    it, the songs they picked themselves say what they love, and Up next's next refill,
    after a song by neither, leans on those two artists without a training run. The same
    plays by someone who chose every song themselves carry no such difference."""
    from player.store import Store

    other = Store.open(tmp_path / "chose-everything.db")
    try:
        ids, _ = fill_library(store)
        assert fill_library(other)[0] == ids
        loved = ["Rock song 1", "Rock song 7", "Jazz song 4", "Jazz song 10"]     # Rock Artist 1, Jazz Artist 4
        t = 1_700_000_000.0
        for s in range(10):
            session = [(loved[s % 4], "library")]
            session += [(f"{GENRES[(s + k) % 4]} song {(s + 3 * k) % 24}", "up_next") for k in range(1, 7)]
            for title, source in session:
                for db, src in ((store, source), (other, "library")):
                    play = db.start_play(ids[title], source=src, track_ms=200_000, now=t)
                    db.end_play(play, "finished", 200_000, now=t + 1)
                t += 210
            t += 6 * 3600
        picked, chose = RecommenderService(store, priors=None), RecommenderService(other, priors=None)
        assert picked.recommender().catalog.offered_share > 0.8 and chose.recommender().catalog.offered_share == 0
        artist = {r["id"]: r["artist"] for r in store.tracks()}
        tail = ids["Ambient song 2"]

        def loved_in(service):
            return sum(artist[r.track_id] in ("Rock Artist 1", "Jazz Artist 4") for r in service.up_next([tail], 6))
        assert loved_in(picked) >= 3 and loved_in(picked) > loved_in(chose)
    finally:
        other.close()


def test_a_skip_while_new_models_load_is_read_by_them(store, monkeypatch):
    # The song playing as a training finishes is skipped while the new models load: its play
    # was read by their catalogue still playing, and the skip (the same number of plays) must
    # still reach Up next once they serve.
    from player import recommender_service

    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None)
    service.up_next([], 5)
    song = ids["Jazz song 3"]
    play = store.start_play(song, source="up_next", track_ms=200_000)
    service.on_player_event("track_started", {"track_id": song})
    loading, go_on = threading.Event(), threading.Event()
    load = recommender_service.load_models_or_fall_back

    def held(*args, **kwargs):
        loading.set()
        go_on.wait(10)
        return load(*args, **kwargs)

    monkeypatch.setattr(recommender_service, "load_models_or_fall_back", held)
    reload = threading.Thread(target=service.reload_models)
    reload.start()
    assert loading.wait(10)
    store.end_play(play, "skipped", 4_000)
    service.on_player_event("track_ended", {"track_id": song})
    go_on.set()
    reload.join(10)
    plays = service.recommender().catalog.plays
    assert list(plays.ended[plays.track_id == song]) == ["skipped"]


def test_a_skip_of_an_artist_is_taken_back_only_by_a_song_of_it_the_person_chose_and_heard(store):
    # One song of an artist skipped early, then another song of that artist: the skip's push
    # on the artist is taken back (the artist is wanted again) once the person chose that
    # song and heard it through; not while it is still playing (Up next refills as it
    # starts), nor when it was Segue's offer, which may have played to an empty room.
    ids, _ = fill_library(store)
    t = 1_700_000_000.0
    for _ in range(6):               # sessions that hear the artist among others, no skips
        for name in ["Jazz song 0", "Jazz song 2", "Jazz song 1", "Jazz song 3", "Jazz song 7", "Jazz song 4"]:
            listen(store, ids[name], now=t)
            t += 210
        t += 4 * 3600
    listen(store, ids["Jazz song 0"], now=t)
    listen(store, ids["Jazz song 1"], skip=True, now=t + 210)
    sess = [ids["Jazz song 0"], ids["Jazz song 1"], ids["Jazz song 7"]]
    play = store.start_play(ids["Jazz song 7"], source="up_next", track_ms=200_000, now=t + 220)
    service = RecommenderService(store, priors=None)
    got = [r.track_id for r in service.up_next(sess, 40)]
    others = {ids["Jazz song 13"], ids["Jazz song 19"]}   # the artist's other songs
    assert not others & set(got), got                     # pushed past the forty, as after the skip alone
    store.end_play(play, "finished", 200_000, now=t + 420)
    service.on_player_event("track_ended", {"track_id": ids["Jazz song 7"], "ended": "finished"})
    assert service._session_plays(service.recommender(), sess)[2] == []       # Segue's offer
    mine = store.start_play(ids["Jazz song 7"], source="library", track_ms=200_000, now=t + 430)
    store.end_play(mine, "finished", 200_000, now=t + 630)
    service.on_player_event("track_ended", {"track_id": ids["Jazz song 7"], "ended": "finished"})
    assert service._session_plays(service.recommender(), sess)[2] == [ids["Jazz song 7"]]


def _album_with_others(store) -> list[int]:
    """The 96 tracks of ``fill_library`` and a 10-track album by one more artist, tagged with
    its track numbers as a scan writes them; the album's ids in its order."""
    fill_library(store)
    store.upsert_tracks([{"path": f"/music/Band/Record/{j:02d}.flac", "size": 1000, "mtime_ns": 1,
                          "title": f"Record {j}", "artist": "Band", "album": "Record", "genre": "Rock",
                          "duration": 200.0, "track_no": j} for j in range(1, 11)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    return [ids[f"Record {j}"] for j in range(1, 11)]


def _play_album(store, album, now, *, skip=(), source="library") -> float:
    """The album played in order in a session of its own, the tracks of ``skip`` skipped
    early (4 s in), as the player logs it; returns the time after the session's gap."""
    for track in album:
        play = store.start_play(track, source=source, track_ms=200_000, now=now)
        early = track in skip
        store.end_play(play, "skipped" if early else "finished", 4_000 if early else 200_000,
                       now=now + (4 if early else 200))
        now += 10 if early else 210
    return now + 4 * 3600


def test_up_next_goes_on_with_an_album_past_the_track_the_person_always_skips_in_it(store):
    """Someone who plays an album through and skips its fifth track early each time, logged
    through the store as the player logs it: the next time they play its first four tracks,
    Up next goes on with the sixth. Its eighth track, skipped the last two times but since
    put on by hand and heard through, is one they listen to again: offered at its place."""
    album = _album_with_others(store)
    t = 1_700_000_000.0
    t = _play_album(store, album[:7], t, skip={album[4]})           # the person stopped after track 7
    for _ in range(2):
        t = _play_album(store, album, t, skip={album[4], album[7]})
    t = _play_album(store, [album[7]], t)                            # put on by hand, heard through
    session = album[:4]                                              # tracks 1-3 heard, track 4 playing
    t = _play_album(store, session[:-1], t) - 4 * 3600
    store.start_play(session[-1], source="library", track_ms=200_000, now=t)
    service = RecommenderService(store, priors=None)
    got = [r.track_id for r in service.up_next(session, 5)]
    assert got == album[5:], got


@pytest.mark.parametrize("emptied", ["folder removed", "files gone"])
def test_a_library_emptied_of_songs_keeps_its_history_and_suggests_nothing(store, emptied):
    # Every music folder removed (or every file found gone) with the plays kept: the
    # catalogue of no tracks failed to build on its plays, and Up next, Radio and Discover
    # all failed with it, where they have nothing to offer.
    folder = store.add_folder("/music")
    store.upsert_tracks([{"path": f"/music/{i:02d}.flac", "size": 1000, "mtime_ns": 1, "folder_id": folder,
                          "title": f"song {i}", "artist": f"Artist {i % 3}", "genre": "Rock", "duration": 200.0}
                         for i in range(6)])
    ids = [r["id"] for r in store.tracks()]
    for i, t in enumerate(ids * 2):
        listen(store, t, skip=i % 4 == 3, now=1_700_000_000.0 + 300 * i)
    playing = store.start_play(ids[0], source="library", track_ms=200_000, now=1_700_000_000.0 + 300 * 20)
    if emptied == "folder removed":
        store.remove_folder("/music")
    else:
        store.mark_missing(ids)
    service = RecommenderService(store, priors=None)
    assert service.up_next(ids[:2], 5) == [] and service.radio(ids[0], 5) == [] and service.discover(5) == {}
    # the song playing as the library went ends, and is logged: the history only grows
    store.end_play(playing, "finished", 200_000, now=1_700_000_000.0 + 300 * 20 + 200)
    assert store.play_count() == 13
    assert service.up_next(ids[:2], 5) == [] and service.discover(5) == {}
    # one song of another folder: it is all there is to suggest, whatever was heard
    store.upsert_tracks([{"path": "/other/x.flac", "size": 1, "mtime_ns": 1, "folder_id": store.add_folder("/other"),
                          "title": "x", "artist": "Other", "genre": "Jazz", "duration": 200.0}])
    only = next(r["id"] for r in store.tracks() if r["title"] == "x")
    service.invalidate()                                # (as the window does after a scan)
    assert [r.track_id for r in service.up_next(ids[:2], 5)] == [only]
    assert service.radio(only, 5) == []
    assert [r.track_id for recs in service.discover(5).values() for r in recs] == [only]


def test_an_m4b_audiobook_stays_out_from_between_songs_whatever_its_genre_tag(store):
    # .m4b is the audiobook container: a book ripped to it is tagged with the book's genre
    # ("Rock" for a rock memoir, "Fantasy"), and was queued after a song as if it were one;
    # once begun, Up next would have gone on with it from the middle. A station on a chapter
    # still goes on with the book.
    from player.recommendations import LibraryRecommendations

    ids, _ = fill_library(store)
    store.upsert_tracks([
        {"path": "/books/Memoir/memoir.m4b", "size": 1000, "mtime_ns": 1, "title": "A Life in Rock",
         "artist": "Rock Artist 1", "album": "A Life in Rock", "genre": "Rock", "duration": 36000.0}]
        + [{"path": f"/books/Hobbit/ch{i:02d}.M4B", "size": 1000, "mtime_ns": 1, "title": f"Chapter {i}",
            "artist": "Rock Artist 2", "album": "The Hobbit", "genre": "Rock", "duration": 1500.0,
            "track_no": i} for i in (1, 2)])
    books = {r["id"] for r in store.tracks() if r["path"].casefold().endswith(".m4b")}
    now = time.time() - 3 * 86400
    for i, t in enumerate(list(ids.values())[:30]):
        listen(store, t, now=now + i * 300)
    for b in books:             # (forty minutes of each: begun, so no longer "far longer" than her songs)
        play = store.start_play(b, source="library", track_ms=36_000_000, now=now + 20_000 + 100 * b)
        store.end_play(play, "stopped", 2_400_000, now=now + 20_001 + 100 * b)
    seed = ids["Rock song 1"]
    service = RecommenderService(store, priors=None)
    assert not books & {r.track_id for r in service.up_next([seed], 20)}
    # (the plain provider's Up next is the library's order, which goes on into whatever is next there)
    for provider in (service, LibraryRecommendations(store)):
        assert not books & {r.track_id for r in provider.radio(seed, 30)}, provider
        assert not books & {r.track_id for recs in provider.discover(20).values() for r in recs}, provider
    chapter = min(books - {next(r["id"] for r in store.tracks() if r["title"] == "A Life in Rock")})
    assert books & {r.track_id for r in RecommenderService(store, priors=None).radio(chapter, 10)}


def test_a_mix_left_part_way_or_heard_to_its_end_is_not_suggested_between_songs(store):
    # Forty minutes of a two-hour mix tagged like her songs: heard, so no longer "far longer
    # than what she plays", it was offered after a rock song, from its start, and an hour
    # of it there would have moved her place. Heard to its end it is her music, yet still
    # two hours between two songs: it waits for a session on a mix.
    ids, _ = fill_library(store)
    store.upsert_tracks([{"path": "/mixes/set.flac", "size": 1000, "mtime_ns": 1, "title": "Warehouse Set",
                          "artist": "Rock Artist 1", "album": "Sets", "genre": "Rock", "duration": 7200.0}])
    mix = next(r["id"] for r in store.tracks() if r["title"] == "Warehouse Set")
    now = time.time() - 3 * 86400
    for i, t in enumerate(list(ids.values())[:30]):
        listen(store, t, now=now + i * 300)
    play = store.start_play(mix, source="library", track_ms=7_200_000, now=now + 20_000)
    store.end_play(play, "stopped", 2_400_000, now=now + 22_400)
    store.set_resume_position(mix, 2400.0, now=now + 22_400)
    from player.recommendations import LibraryRecommendations

    seed = ids["Rock song 1"]

    def offered(provider):
        return ({r.track_id for r in provider.up_next([seed], 30)} | {r.track_id for r in provider.radio(seed, 30)}
                | {r.track_id for recs in provider.discover(30).values() for r in recs})

    # (the plain provider's Up next goes on in the library's order, past the artist's mix)
    providers = (RecommenderService(store, priors=None), LibraryRecommendations(store))
    assert not any(mix in offered(provider) for provider in providers)
    store.forget_resume_position(mix)               # (heard to its end)
    assert not any(mix in offered(provider) for provider in providers)
    # (the plain Up next comes to it once every song of the library is queued before it)
    assert LibraryRecommendations(store).up_next([seed], 200)[-1].track_id == mix


@pytest.mark.parametrize("suffix, genre", [(".mp3", "Audiobook"), (".m4b", "Fantasy")])
def test_after_a_chapter_up_next_goes_on_with_the_book_from_the_chapter_left_part_way(store, suffix, genre):
    # A book in chapter files: chapter 4 begun and left part-way (a place kept), then the
    # person went back over chapter 3. After it the book goes on with chapter 4 (from its
    # place), then 5: kept out of suggestions as a track left part-way, chapter 4 was passed
    # over and Up next went on with chapter 5, or with a song after the book's last chapter.
    from player.recommendations import LibraryRecommendations

    ids, _ = fill_library(store)
    store.upsert_tracks([{"path": f"/books/Hobbit/{i:02d} - Chapter {i}{suffix}", "size": 1000, "mtime_ns": 1,
                          "title": f"Chapter {i}", "artist": "J. R. R. Tolkien", "album": "The Hobbit",
                          "genre": genre, "duration": 1500.0, "track_no": i} for i in range(1, 7)])
    chapter = {r["title"]: r["id"] for r in store.tracks() if r["album"] == "The Hobbit"}
    now = time.time() - 3 * 86400
    for i, t in enumerate(list(ids.values())[:30]):
        listen(store, t, now=now + i * 300)
    for i in (1, 2):
        play = store.start_play(chapter[f"Chapter {i}"], source="library", track_ms=1_500_000, now=now + 20_000 + i)
        store.end_play(play, "finished", 1_500_000, now=now + 21_500 + i)
    store.set_resume_position(chapter["Chapter 4"], 600.0, now=now + 30_000)
    store.set_resume_position(chapter["Chapter 6"], 300.0, now=now + 30_001)    # (a later one too)
    session = [ids["Rock song 1"], chapter["Chapter 3"]]
    for provider in (RecommenderService(store, priors=None), LibraryRecommendations(store)):
        got = [r.track_id for r in provider.up_next(session, 5)]
        assert got == [chapter[f"Chapter {i}"] for i in (4, 5, 6)], provider
        assert all(r.reason == "next in the book after Chapter 3" for r in provider.up_next(session, 5)), provider
        # (queued already, chapter 4 is not offered again; the book goes on after it)
        assert [r.track_id for r in provider.up_next(session, 5, exclude={chapter["Chapter 4"]})] \
            == [chapter["Chapter 5"], chapter["Chapter 6"]], provider
        # (after a song, a chapter left part-way is still no suggestion)
        assert not set(chapter.values()) & {r.track_id for r in provider.up_next([ids["Rock song 1"]], 30)}, provider


def test_the_taste_of_a_gone_m4b_book_counts_for_books_not_for_its_tags_genre(store):
    # A rock memoir in .m4b tagged "Rock", heard for hours, then deleted: the library files
    # the book under Audiobook while it is there, but its plays once gone counted as rock
    # taste, and a session of rock songs leant to the genre by hours of a book read aloud.
    from recommender.catalog import PlayLog
    from player.recommender_service import gone_counts

    store.upsert_tracks([{"path": f"/books/Memoir/part{i}.m4b", "size": 1000, "mtime_ns": 1, "title": f"Part {i}",
                          "artist": "Rock Singer", "album": "A Life in Rock", "genre": "Rock", "duration": 3600.0}
                         for i in (1, 2)])
    parts = [r["id"] for r in store.tracks()]
    for i, t in enumerate(parts * 3):
        play = store.start_play(t, source="library", track_ms=3_600_000, now=1_700_000_000.0 + 4000 * i)
        store.end_play(play, "finished", 3_600_000, now=1_700_003_600.0 + 4000 * i)
    store.mark_missing(parts)
    got = gone_counts(store, PlayLog.from_rows(store.plays()), [None, None], ["rock", "Audiobook"])
    assert got is not None
    assert got[0, 2:].tolist() == [0.0, 0.0]        # (a rock song: none of the book's hours)
    assert got[1, 2] == 6                            # (a book: the six plays of the gone one)


def test_a_books_chapters_without_numbers_go_on_in_the_order_people_count_them(store):
    # A book ripped as "Chapter 1.mp3" to "Chapter 12.mp3", no track numbers: the library's
    # order compares the names letter by letter, and after chapter 1 Up next went on with
    # chapters 10, 11 and 12, then 2. A podcast's episodes stand alone: none goes on after one.
    from player.recommendations import LibraryRecommendations

    fill_library(store)
    store.upsert_tracks([{"path": f"/books/Dune/Chapter {i}.mp3", "size": 1000, "mtime_ns": 1,
                          "title": f"Chapter {i}", "artist": "Frank Herbert", "album": "Dune",
                          "genre": "Audiobook", "duration": 1500.0} for i in range(1, 13)]
                        + [{"path": f"/pods/Show/Episode {i}.mp3", "size": 1000, "mtime_ns": 1,
                            "title": f"Episode {i}", "artist": "A Show", "album": "A Show",
                            "genre": "Podcast", "duration": 1500.0} for i in range(1, 4)])
    chapter = {r["title"]: r["id"] for r in store.tracks() if r["album"] in ("Dune", "A Show")}
    for provider in (RecommenderService(store, priors=None), LibraryRecommendations(store)):
        got = [r.track_id for r in provider.up_next([chapter["Chapter 1"]], 20)]
        assert got == [chapter[f"Chapter {i}"] for i in range(2, 13)], provider
        got = [r.track_id for r in provider.up_next([chapter["Chapter 9"]], 2)]
        assert got == [chapter["Chapter 10"], chapter["Chapter 11"]], provider
        assert [r.reason for r in provider.up_next([chapter["Episode 1"]], 5)].count(
            "next in the book after Episode 1") == 0, provider
