"""The sound map's projection, lasso and hit test, and the store reads behind it (no Qt)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from player.sound_map import OTHER, genre_codes, load_map, nearest, points_in_polygon, project


def _clusters(n_per=200, dim=200, seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, dim)) * 3
    x = np.concatenate([c + rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)
    return x, np.repeat(np.arange(3), n_per)


def test_projection_keeps_clusters_apart_and_is_deterministic():
    x, label = _clusters()
    xy = project(x)
    assert xy.shape == (600, 2) and xy.dtype == np.float32
    centres = np.array([xy[label == k].mean(axis=0) for k in range(3)])
    spread = max(np.linalg.norm(xy[label == k] - centres[k], axis=1).mean() for k in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread
    assert np.array_equal(project(x), xy)
    # The axes' signs come from the loadings, not from the data's side: a mirrored library
    # gives the mirrored picture, never a randomly flipped one.
    assert np.allclose(project(-x), -xy, atol=1e-3)


def test_projection_fitted_on_a_sample_matches_the_full_fit():
    x, label = _clusters(n_per=2000)
    full, sampled = project(x, fit_rows=100_000), project(x, fit_rows=1000)
    corr = [abs(np.corrcoef(full[:, k], sampled[:, k])[0, 1]) for k in range(2)]
    assert min(corr) > 0.98


def test_projection_tolerates_missing_and_empty_rows():
    x, _ = _clusters(n_per=20)
    x[3] = np.nan
    xy = project(x)
    assert np.isfinite(xy).all()
    assert project(np.zeros((0, 200))).shape == (0, 2)


def test_lasso_selects_inside_points_only():
    g = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), axis=-1).reshape(-1, 2)
    square = np.array([[1.5, 1.5], [4.5, 1.5], [4.5, 4.5], [1.5, 4.5]])
    inside = points_in_polygon(g, square)
    assert inside.sum() == 9 and set(map(tuple, g[inside])) == {(x, y) for x in (2, 3, 4) for y in (2, 3, 4)}
    # A concave "L": the notch is left out (even-odd rule).
    ell = np.array([[0.5, 0.5], [5.5, 0.5], [5.5, 2.5], [2.5, 2.5], [2.5, 5.5], [0.5, 5.5]])
    picked = set(map(tuple, g[points_in_polygon(g, ell)]))
    assert (4.0, 4.0) not in picked and (1.0, 4.0) in picked and (4.0, 1.0) in picked
    assert points_in_polygon(g, square[:2]).sum() == 0


def test_nearest_measures_in_pixels():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 1.0]])
    # 1 unit of x is 1 px, 1 unit of y is 100 px: (0, 1) is 100 px from the origin.
    assert nearest(xy, (9.0, 0.2), scale=(1, 100), max_dist=30) == 1
    assert nearest(xy, (0.0, 0.6), scale=(1, 100), max_dist=30) == -1
    assert nearest(xy, (0.0, 0.6), scale=(1, 100), max_dist=50) == 2
    assert nearest(np.zeros((0, 2)), (0, 0)) == -1


def test_rare_genres_share_other():
    buckets = ["rock"] * 5 + ["jazz"] * 3 + [None] * 3 + ["folk"]
    genres = [None] * 8 + ["Trip Hop", None, None, None]      # the analysed bucket wins over the tag
    codes, names = genre_codes(buckets, genres, max_genres=3)
    assert names == ["Rock", "Jazz", "No genre tag", OTHER]
    assert [names[c] for c in codes] == ["Rock"] * 5 + ["Jazz"] * 3 + ["Other", "No genre tag", "No genre tag",
                                                                         "Other"]


def test_map_from_the_store_marks_this_weeks_plays(store):
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"T{i}", "artist": "A",
                          "genre": "Rock"} for i in range(5)])
    ids = [r["id"] for r in store.tracks()]
    rng = np.random.default_rng(0)
    store.save_features([{"track_id": t, "model_version": "v1", "embedding": rng.normal(size=200),
                          "bucket": "rock" if t != ids[4] else None} for t in ids[:4]]
                        + [{"track_id": ids[4], "model_version": "v1", "embedding": None}])
    now = time.time()
    store.log_plays([(ids[0], now - 60, 1000, 2000, "finished", "library"),
                     (ids[1], now - 30 * 86400, 1000, 2000, "finished", "library")])
    m = load_map(store, now=now)
    assert list(m.track_ids) == ids[:4]                      # no embedding, no point
    assert list(m.this_week) == [True, False, False, False]
    assert m.genre_names == ["Rock"] and m.xy.shape == (4, 2)
    assert m.row_of(ids[2]) == 2 and m.row_of(ids[4]) == -1 and m.row_of(None) == -1


def test_log_plays_numbers_sessions_and_refuses_bad_rows(store):
    store.upsert_tracks([{"path": "/m/a.flac", "size": 1, "mtime_ns": 1}])
    tid = store.tracks()[0]["id"]
    t0 = 1_000_000.0
    assert store.log_plays([(tid, t0 + 1000, 60_000, 60_000, "finished", "radio"),
                            (tid, t0, 60_000, 60_000, "finished", "library"),
                            (tid, t0 + 1000 + 60 + 1800, 5_000, 60_000, "skipped", "up_next")]) == 3
    rows = store.plays()
    assert [r["source"] for r in rows] == ["library", "radio", "up_next"]
    assert rows[0]["session_id"] == rows[1]["session_id"] != rows[2]["session_id"]
    cols = store.play_columns()
    assert list(cols.ms_heard) == [60_000, 60_000, 5_000] and not cols.imported.any()
    with pytest.raises(ValueError, match="source"):
        store.log_plays([(tid, t0, 1, 1, "finished", "shuffle")])
    with pytest.raises(ValueError, match="ending"):
        store.log_plays([(tid, t0, 1, 1, "playing", "library")])
    assert store.play_count() == 3


def test_played_this_week_is_the_local_week_and_not_a_clock_set_ahead(store, time_zone):
    # Berlin, the Monday after the clocks went forward: the week before had 167 hours, and
    # a play logged while the laptop's clock ran a year ahead is no play of this week.
    time_zone("Europe/Berlin")
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"T{i}", "artist": "A",
                          "genre": "Rock"} for i in range(4)])
    ids = [r["id"] for r in store.tracks()]
    rng = np.random.default_rng(0)
    store.save_features([{"track_id": t, "model_version": "v1", "embedding": rng.normal(size=200),
                          "bucket": "rock"} for t in ids])

    def local(stamp):
        return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M"))

    now = local("2026-03-30 00:30")
    store.log_plays([(ids[0], local("2026-03-29 23:50"), 1000, 2000, "finished", "library"),   # Sunday
                     (ids[1], local("2026-03-30 00:10"), 1000, 2000, "finished", "library"),   # Monday
                     (ids[2], local("2026-03-29 02:30") + 3600, 1000, 2000, "finished", "library"),
                     (ids[3], local("2027-03-30 00:10"), 1000, 2000, "finished", "library")])
    m = load_map(store, now=now)
    assert list(m.this_week) == [False, True, False, False]


def test_genres_of_one_size_are_in_the_order_the_library_sorts_names():
    # The legend's genres of one size went in code point order, "Électronique" after "Zouk";
    # they go as the library sorts names (accents aside, Cyrillic after Latin).
    _, names = genre_codes([None] * 4, ["Zouk", "Русский рок", "Électronique", "Chanson"])
    assert names == ["Chanson", "Électronique", "Zouk", "Русский Рок"]
