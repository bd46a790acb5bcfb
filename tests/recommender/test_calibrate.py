"""Fitting Up next's evidence weights to one person's held-out sessions."""

from __future__ import annotations

import numpy as np

from recommender.calibrate import (
    MIN_GAIN,
    SignalPools,
    calibrate_up_next,
    fit_weights,
    held_out_queries,
    signal_pools,
    signal_tops,
)
from recommender.local_models import load_models
from recommender.rank import SIGNALS, Recommender
from recommender.train import train_local
from tests.recommender.test_rank import _planted_person, library, playlog


def _listener(sequences, n_sessions, seed):
    """A person whose every session plays one of ``sequences`` start to end, picked at random."""
    rng = np.random.default_rng(seed)
    events = []
    for _ in range(n_sessions):
        events += [(t, "finished") for t in sequences[int(rng.integers(len(sequences)))]]
    cat = library()
    cat.set_plays(playlog(events, session_len=len(sequences[0])))
    return cat


def _album_listener(n_sessions=40, seed=0):
    """Plays whole 'albums' in their order: 8 albums of 5 tracks (one artist each) among
    the 40 jazz tracks; each session is one album, start to end, album picked at random."""
    albums = [[1040 + a + 8 * i for i in range(5)] for a in range(8)]   # artist a's five tracks
    return _listener(albums, n_sessions, seed)


def test_held_out_queries_are_the_latest_sessions_without_repeats():
    cat = _album_listener(10)
    before, queries = held_out_queries(cat, held_frac=0.2)
    assert len(before) == 40                                  # 8 sessions of 5 before the held-out 2
    assert len(queries) == 2 * 4                              # 4 queries per 5-track session
    assert all(target not in prefix for prefix, target, _, _ in queries)
    assert held_out_queries(library(plays=playlog([(1040, "finished")] * 3)), held_frac=0.2) is None


def test_a_held_out_query_is_ranked_with_nothing_from_its_session_or_later():
    cat = _album_listener(20)
    _, queries = held_out_queries(cat, held_frac=0.2)
    first = signal_pools(Recommender(cat), queries[:1])
    # Rewrite every play from the query's session on: its signals stay the same.
    p = cat.plays
    start = queries[0][2]
    later = p.started_at >= start
    track = p.track_id.copy()
    track[later] = track[later][::-1]
    changed = library(plays=type(p)(track, p.session_id, p.started_at, p.ms_heard, p.track_ms, p.ended))
    again = signal_pools(Recommender(changed), queries[:1])
    np.testing.assert_array_equal(first.X, again.X)


def _pools(target_signal: int, n=60, m=30, seed=0):
    """Pools where one signal puts the target first and the others are noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m, len(SIGNALS))).astype(np.float32)
    X[:, 0, target_signal] += 3.0
    return SignalPools(list(SIGNALS), X, np.ones((n, m), bool), np.zeros(n, np.int64))


def test_the_candidates_tied_at_a_signals_cut_are_spread_over_the_library():
    # Most signals are 0 for most tracks, so a pool's cut falls among equal values. Which
    # of them were taken was the processor's partition's to say: a block of neighbouring
    # rows at one end of the library, another block on a machine without AVX-512.
    n = 3000
    v = np.zeros(n, np.float32)
    v[[5, 700, 2900]] = [0.3, 0.2, 0.1]
    pool = signal_tops({"sequence": v}, np.arange(n), 20)
    assert len(pool) == 21 and {5, 700, 2900} <= pool
    tied = np.array(sorted(pool - {5, 700, 2900}))
    assert np.ptp(tied) > n / 2
    # ...and not most of them side by side.
    assert max(np.sum((tied >= a) & (tied < a + n // 10)) for a in tied) <= len(tied) // 2
    assert signal_tops({"sequence": v}, np.arange(n), 20) == pool


def test_fitting_raises_the_weight_of_the_signal_that_predicts():
    k = SIGNALS.index("recent")
    w0 = {name: 1.0 for name in SIGNALS}
    w0["recent"] = 0.1
    w, start, best = fit_weights(_pools(k), w0)
    assert best > start + MIN_GAIN and w["recent"] > 0.1
    before = _pools(k).metrics(np.array([w0[s] for s in SIGNALS], np.float32))
    after = _pools(k).metrics(np.array([w[s] for s in SIGNALS], np.float32))
    assert after[1] > before[1] + 0.1 and after[0] > before[0]
    # A gain smaller than the threshold moves nothing.
    same, s0, s1 = fit_weights(_pools(k), w0, min_gain=10.0)
    assert same == w0 and s0 == s1


def test_a_person_the_defaults_already_predict_keeps_them():
    cat = _album_listener()
    got = calibrate_up_next(cat)
    assert got["upnext_queries"] >= 30 and got["upnext_default_mrr@20"] > 0.9
    defaults = Recommender(cat.__class__.build(track_ids=cat.track_ids)).up_next_weights()  # shape of the dict
    assert set(got["upnext_fitted_weights"]) == set(defaults)
    assert got["upnext_mrr@20"] == got["upnext_default_mrr@20"]
    assert calibrate_up_next(_album_listener(3)) == {}        # too little history: the default stays


def test_training_records_the_fitted_weights_and_the_ranker_reads_applied_ones(tmp_path):
    cat = _planted_person(60)
    result = train_local(tmp_path, cat, session_model=False)
    assert set(result.metrics["upnext_fitted_weights"]) == set(SIGNALS)
    assert 0 <= result.metrics["upnext_default_mrr@20"] <= 1
    now = float(cat.plays.started_at.max()) + 86400
    rec = Recommender(cat, load_models(tmp_path, cat), now=now)
    assert rec.config.weights is None                  # measured, not applied
    assert rec.up_next([1043, 1003], 5)[0][0] == 1085   # the planted habit leads after training
    # A run that provides weights to apply gets them.
    models = load_models(tmp_path, cat)
    models.info["metrics"]["upnext_weights"] = {"neighbours": 0.0, "sequence": 5.0, "bogus": 1.0}
    applied = Recommender(cat, models, now=now)
    assert applied.config.weights == {"neighbours": 0.0, "sequence": 5.0}
    assert applied.up_next_weights()["sequence"] == 5.0


def test_only_the_persons_own_picks_are_calibration_targets():
    """What Segue queued says how Segue ranks: fitting to it would feed on itself."""
    cat = _album_listener()
    n = len(cat.plays)
    p = cat.plays
    mixed = np.where(np.arange(n) % 5 < 2, "library", "up_next").astype(object)   # 2 of 5 picked by hand
    cat.set_plays(type(p)(p.track_id, p.session_id, p.started_at, p.ms_heard, p.track_ms, p.ended, mixed))
    _, queries = held_out_queries(cat)
    by_track = dict(zip(p.track_id.tolist(), mixed.tolist()))
    assert queries and all(by_track[target] == "library" for _, target, _, _ in queries)
    assert all(len(prefix) >= 1 for prefix, _, _, _ in queries)          # prefixes keep Segue's picks
    cat.set_plays(type(p)(p.track_id, p.session_id, p.started_at, p.ms_heard, p.track_ms, p.ended,
                          np.full(n, "radio", dtype=object)))
    assert calibrate_up_next(cat) == {}                            # nothing the person chose: defaults
