"""Fitting Up next's sequence weight to one person's held-out sessions."""

from __future__ import annotations

import numpy as np

from recommender.calibrate import SEQUENCE_WEIGHTS, calibrate_up_next, held_out_queries
from recommender.local_models import load_models
from recommender.rank import Recommender
from recommender.train import train_local
from tests.recommender.test_rank import library, playlog


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
    assert all(target not in prefix for prefix, target, _ in queries)
    assert held_out_queries(library(plays=playlog([(1040, "finished")] * 3)), held_frac=0.2) is None


def _genre_hopper(n_sessions=40, seed=0):
    """Plays fixed chains that change kind on every track (rock, jazz, ambient, hiphop,
    rock, jazz): the genre and sound terms point away from what this person plays next."""
    chains = [[1000 + k * 40 + (c * 5 + j) % 40 for j, k in enumerate([0, 1, 2, 3, 0, 1])] for c in range(8)]
    return _listener(chains, n_sessions, seed)


def test_a_sequence_listener_gets_a_weight_that_predicts_their_next_plays():
    got = calibrate_up_next(_genre_hopper())
    assert got["upnext_queries"] >= 30
    # The default weight leaves half the next plays out of the top 20; a larger one finds them.
    assert got["upnext_default_hr@20"] < 0.7 and got["upnext_default_mrr@20"] < 0.5
    assert got["upnext_sequence_weight"] in SEQUENCE_WEIGHTS and got["upnext_sequence_weight"] > 1.0
    assert got["upnext_hr@20"] > 0.9 and got["upnext_mrr@20"] > 0.9
    # Where the default already predicts every next play (whole albums in order), it stays.
    albums = calibrate_up_next(_album_listener())
    assert albums["upnext_default_mrr@20"] == albums["upnext_mrr@20"] and albums["upnext_sequence_weight"] == 1.0
    assert calibrate_up_next(_album_listener(3)) == {}        # too little history: the default stays


def test_training_stores_the_weight_and_the_ranker_uses_it(tmp_path):
    cat = _genre_hopper()
    result = train_local(tmp_path, cat, session_model=False)
    w = result.metrics["upnext_sequence_weight"]
    assert w > 1.0
    rec = Recommender(cat, load_models(tmp_path, cat))
    assert rec.config.sequence_weight == w != Recommender(cat).config.sequence_weight
    # Mid-chain (rock 1000, jazz 1041), this person's next track (ambient 1082) comes first.
    assert [t for t, _ in rec.up_next([1000, 1041], 3)][0] == 1082


def test_only_the_persons_own_picks_are_calibration_targets():
    """What Segue queued says how Segue ranks: fitting to it would feed on itself."""
    cat = _album_listener()
    n = len(cat.plays)
    p = cat.plays
    mixed = np.where(np.arange(n) % 5 < 2, "library", "up_next").astype(object)   # 2 of 5 picked by hand
    cat.set_plays(type(p)(p.track_id, p.session_id, p.started_at, p.ms_heard, p.track_ms, p.ended, mixed))
    _, queries = held_out_queries(cat)
    by_track = dict(zip(p.track_id.tolist(), mixed.tolist()))
    assert queries and all(by_track[target] == "library" for _, target, _ in queries)
    assert all(len(prefix) >= 1 for prefix, _, _ in queries)          # prefixes keep Segue's picks
    cat.set_plays(type(p)(p.track_id, p.session_id, p.started_at, p.ms_heard, p.track_ms, p.ended,
                          np.full(n, "radio", dtype=object)))
    assert calibrate_up_next(cat) == {}                            # nothing the person chose: defaults
