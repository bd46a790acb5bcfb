"""Local training: zero, one and many plays; atomic runs; priors kept; models that help."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.local_models import current_run, load_models
from recommender.models.content_to_cf import TagToFactor
from recommender.models.priors import VOCABULARY, FactorTable, Priors, prior_factors
from recommender.rank import Recommender
from recommender.train import train_local
from tests.recommender.test_rank import kind_of, library, playlog

N = 40


def jazz_sessions(n_sessions=30, per=8, seed=0):
    """A person who plays jazz in order-ish runs and skips ambient now and then."""
    rng = np.random.default_rng(seed)
    events = []
    for s in range(n_sessions):
        start = int(rng.integers(0, N))
        for j in range(per):
            events.append((1000 + N + (start + j) % N, "finished"))
        events.append((1000 + 2 * N + int(rng.integers(0, N)), "skipped"))
    return playlog(events, session_len=per + 1)


def test_zero_plays_trains_nothing(tmp_path):
    result = train_local(tmp_path, library())
    assert result.path is None and current_run(tmp_path) is None
    assert load_models(tmp_path, library()).item_factors is None


def test_one_play_trains_wmf_and_keeps_priors_for_unplayed(tmp_path):
    cat = library(plays=playlog([(1000 + 3, "finished")]))
    result = train_local(tmp_path, cat, session_model=False)
    assert result.trained == ["wmf"]
    models = load_models(tmp_path, cat)
    unplayed = np.arange(cat.n) != cat.row(1003)
    np.testing.assert_allclose(models.item_factors[unplayed], cat.factors[unplayed])
    assert models.person.shape == (cat.factors.shape[1],)
    Recommender(cat, models).up_next([1003], 5)     # usable at once


def test_many_plays_train_all_models_with_metrics_and_shift_up_next(tmp_path):
    cat = library(plays=jazz_sessions())
    result = train_local(tmp_path, cat)
    assert set(result.trained) == {"wmf", "autorec", "session_gru"}
    for key in ("wmf_recall@20", "autorec_recall@20", "gru_hr@20", "popularity_hr@20"):
        assert 0.0 <= result.metrics[key] <= 1.0, key
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest["n_plays"] == len(cat.plays)
    models = load_models(tmp_path, cat)
    assert models.session is not None and models.autorec.shape == (cat.n,)
    # From an ambient track the next day, the trained person drifts towards jazz, away from
    # the ambient they skip. (Asked right after the 18-hour jazz binge, every jazz track was
    # played minutes ago and Up next keeps replays for later. From a genre they never played,
    # Up next follows the song they put on instead: test_rank.)
    next_day = float(cat.plays.started_at.max()) + 86400
    seed = 1000 + 2 * N + 5
    cold = [kind_of(t) for t, _ in Recommender(library()).up_next([seed], 10)]
    warm = [kind_of(t) for t, _ in Recommender(cat, models, now=next_day).up_next([seed], 10)]
    assert warm.count("jazz") > cold.count("jazz")
    assert warm.count("ambient") < cold.count("ambient")


def test_runs_are_atomic_and_pruned(tmp_path):
    cat = library(plays=jazz_sessions(6))
    first = train_local(tmp_path, cat, session_model=False).path
    second = train_local(tmp_path, cat, session_model=False).path
    assert current_run(tmp_path) == second and first.exists()      # previous kept
    with pytest.raises(RuntimeError, match="boom"):
        def explode(stage, frac):
            if stage == "autorec":
                raise RuntimeError("boom")
        train_local(tmp_path, cat, session_model=False, progress=explode)
    assert current_run(tmp_path) == second                          # a failed run changes nothing
    assert not list(tmp_path.glob("*.partial"))
    third = train_local(tmp_path, cat, session_model=False).path
    assert current_run(tmp_path) == third and second.exists() and not first.exists()


def test_prior_factors_from_song_artist_and_tags():
    rng = np.random.default_rng(0)
    f = 8
    artists = FactorTable(np.array(["known artist"]), rng.normal(size=(1, f)).astype(np.float32))
    reg = TagToFactor(VOCABULARY).fit(rng.random((50, 50)).astype(np.float32),
                                      rng.normal(size=(50, f)).astype(np.float32))
    pri = Priors(artists, reg, None, None, None, {})
    tags = np.zeros((3, 50), np.float32)
    tags[1] = rng.random(50)
    vecs, src = prior_factors(pri, ["Known Artist", "someone", "nobody"], ["a", "b", "c"], tags)
    assert src.tolist() == ["artist", "tags", "none"]
    np.testing.assert_allclose(vecs[0], artists.factors[0])
    assert np.abs(vecs[1]).sum() > 0 and np.abs(vecs[2]).sum() == 0


def test_autorec_is_bounded_to_the_most_played_tracks(tmp_path, monkeypatch):
    import recommender.fitting as fitting

    monkeypatch.setattr(fitting, "AUTOREC_MAX_ITEMS", 10)
    monkeypatch.setattr(fitting, "AUTOREC_MAX_SESSIONS", 12)
    cat = library(plays=jazz_sessions())
    result = train_local(tmp_path, cat, session_model=False)
    with np.load(result.path / "autorec_person.npz") as z:
        rows = z["rows"]
    assert len(rows) == 10
    most = np.argsort(-cat.play_count, kind="stable")[:10]
    assert set(cat.play_count[rows]) <= set(cat.play_count[most]) and cat.play_count[rows].min() >= cat.play_count[most].min()
    assert "autorec_popularity_recall@20" in result.metrics


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_session_model_raises_train_error(tmp_path, damage):
    from recommender.local_models import SESSION_SERVING, TrainError

    cat = library(plays=jazz_sessions(8))
    run = train_local(tmp_path, cat).path
    npz = run / SESSION_SERVING                 # what the window loads
    assert npz.exists()
    good = npz.read_bytes()
    data = {"truncated": good[: len(good) // 2], "garbage": b"PK\x03\x04not a zip file" * 40,
            "empty": b""}[damage]
    npz.write_bytes(data)
    with pytest.raises(TrainError, match="cannot load local models"):
        load_models(tmp_path, cat)


def test_a_stop_while_up_next_corrections_are_learned_ends_before_the_sessions_are_replayed(tmp_path, monkeypatch):
    # Learning Up next's corrections replays the person's latest sessions as of each one's
    # start: 5 s for a generated 20,000-play history, which the learner leaving waited for.
    from recommender.stopping import TrainingStopped
    from tests.play_history import generated_history

    cat = generated_history(3000, n_tracks=2000)
    models = tmp_path / "models"
    stages, replayed = [], []
    real = Recommender.with_plays
    monkeypatch.setattr(Recommender, "with_plays",
                        lambda self, *a, **k: (replayed.append(stages[-1:]), real(self, *a, **k))[1])
    with pytest.raises(TrainingStopped):
        train_local(models, cat, session_model=False, calibrate=False, progress=lambda s, f: stages.append(s),
                    should_stop=lambda: stages[-1:] == ["personal"])
    assert stages[-1] == "personal" and ["personal"] not in replayed
    assert list(models.iterdir()) == []            # the run it was writing is gone
    replayed.clear()
    personal = train_local(models, cat, session_model=False, calibrate=False,
                           progress=lambda s, f: stages.append(s)).metrics
    assert replayed.count(["personal"]) > 20 and personal["upnext_offers"] > 0   # unstopped, it replays them
