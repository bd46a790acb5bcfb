"""Up next left to play on for an evening: songs taken one after another from its suggestions,
as the player takes them, each logged through a real store."""

from __future__ import annotations

import time

import pytest

from benchmarks.bench_evening import evening, fill_history, fill_library
from player.recommender_service import RecommenderService

FAVOURITES = ("Jazz", "Soul", "Folk")


@pytest.mark.parametrize("features", [True, False])
def test_a_genre_skipped_every_time_it_comes_stops_coming(store, tmp_path, features):
    # Someone who listens on but skips every soul song after 10 s: each skip pushes down only
    # that song's neighbours, and the listen after it ends the streak, so soul came back all
    # evening (6 or 7 skips in these 100 songs, 14 in 300). Three refusals in a row are enough.
    tracks = fill_library(store, 800, artists=60, features=features)
    start_at = time.time() - 120 * 330
    fill_history(store, tracks, favourites=FAVOURITES, plays=240, end=start_at - 86400)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    start = next(t for t, r in tracks.items() if r["genre"] == "Jazz" and r["track_no"] == 1)
    played, skipped, _ = evening(store, service, start, 100, skip_genre="Soul", now=start_at)
    assert len(played) == 100 and len(set(played)) == 100
    at = [i for i, s in enumerate(skipped) if s]
    # soul is offered (a favourite genre of the history) until it is refused three times
    assert len(at) >= 3, [tracks[t]["genre"] for t in played]
    # After the third refusal soul comes at most once more, and only as the song straight
    # after it: that one was already next in the queue, and the player starts it at once and
    # re-ranks the rest behind it. Whether it was soul turns on the day's tie-break order
    # (the ranking's ties are broken afresh each day), so the count is 3 on some days and 4
    # on others; a soul song ranked after the third refusal is what must never come.
    assert at[3:] in ([], [at[2] + 1]), [tracks[t]["genre"] for t in played]
    # What was not skipped stays with the person's other favourites (67 or 68 of the 96 or 97
    # songs kept over forty days of tie-break orders: 0.7 was one song too many on some days).
    kept = [tracks[t]["genre"] for t, s in zip(played, skipped) if not s]
    assert sum(g in FAVOURITES for g in kept) >= 0.68 * len(kept)


def test_a_station_of_a_genre_the_person_seldom_plays_keeps_its_artists_apart(store, tmp_path):
    # Radio from a metal song, before analysis, for someone who mostly plays jazz, soul and
    # folk: their favourites filled the best 400 songs but for three metal artists', so the
    # station came back to two of those in turns (one five times in twenty) rather than
    # leave metal, with twenty other metal artists in the library.
    tracks = fill_library(store, 3000, artists=250, features=False)
    start_at = time.time() - 40000
    fill_history(store, tracks, favourites=FAVOURITES, end=start_at - 86400)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    seed = next(t for t, r in tracks.items() if r["genre"] == "Metal" and r["track_no"] == 4)
    station = [tracks[r.track_id] for r in service.radio(seed, 15)]       # an hour
    artists = [r["artist"] for r in station]
    assert max(artists.count(a) for a in artists) <= 2, artists
    assert sum(r["genre"] == "Metal" for r in station) >= 12, [r["genre"] for r in station]
