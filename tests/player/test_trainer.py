"""The background trainer: when it runs, that it runs off the caller's thread, records runs, survives errors."""

from __future__ import annotations

import os
import threading
import time

import pytest

from player.recommender_service import RecommenderService
from player.trainer import Trainer
from tests.player.test_recommender_service import fill_library, listen


def sessions_of_plays(store, ids, n, *, start=1_700_000_000.0):
    t = start
    for i in range(n):
        listen(store, ids[f"Jazz song {i % 24}"], now=t)
        t += 210 if i % 8 else 4000
    return t


def test_due_after_n_plays_or_when_idle(store):
    ids, _ = fill_library(store)
    trainer = Trainer(store, every_n_plays=5, idle_s=60)
    assert not trainer.due()
    sessions_of_plays(store, ids, 2)
    trainer.last_activity = time.time()
    assert not trainer.due()                                  # 2 new plays, not idle
    assert trainer.due(now=time.time() + 61)                  # idle with new plays
    sessions_of_plays(store, ids, 3, start=1_700_100_000.0)
    assert trainer.due()                                      # 5 new plays
    trainer.train_now()
    assert trainer.plays_since_last_run() == 0 and not trainer.due(now=time.time() + 999)


def test_player_events_start_one_background_run_at_low_priority(store):
    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None)
    trainer = Trainer(store, service, every_n_plays=10, session_model=False)
    sessions_of_plays(store, ids, 24)
    seen = {}
    done = threading.Event()

    def on_state(state):
        if state["state"] == "training":
            seen["thread"] = threading.current_thread().name
            if hasattr(os, "getpriority"):
                seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        if "last_trained_at" in state:
            done.set()

    trainer.add_listener(on_state)
    caller = threading.current_thread().name
    t0 = time.perf_counter()
    trainer.on_player_event("track_ended", {"track_id": ids["Jazz song 1"], "play_id": 1, "ended": "finished"})
    assert time.perf_counter() - t0 < 0.5                     # the caller never waits for training
    assert trainer.maybe_train() is None or trainer.running   # at most one run at a time
    assert done.wait(120)
    assert seen["thread"] != caller
    if "nice" in seen and os.uname().sysname == "Linux":
        assert seen["nice"] == 19
    run = store.last_model_run()
    assert run["n_plays"] == 24 and run["error"] is None and "n_sessions" in run["metrics"]
    assert trainer.state["state"] == "idle" and "metrics" in trainer.state
    assert service.recommender().models.info.get("n_plays") == 24


def test_a_failed_run_is_recorded_and_previous_models_stay(store, tmp_path):
    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    trainer = Trainer(store, service, models_dir=tmp_path / "models", session_model=False)
    sessions_of_plays(store, ids, 16)
    trainer.train_now()
    before = service.recommender().models.info["run"]
    sessions_of_plays(store, ids, 8, start=1_800_000_000.0)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    broken = Trainer(store, service, models_dir=blocker / "models", session_model=False)
    with pytest.raises(OSError):
        broken.train_now()
    assert store.last_model_run(ok_only=False)["error"]
    assert broken.state["state"] == "error"
    assert service.recommender().models.info["run"] == before
    assert len(service.up_next([ids["Jazz song 2"]], 5)) == 5


def test_forgetting_waits_for_a_running_training_and_leaves_no_models(store, tmp_path):
    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 30)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    trainer = Trainer(store, service, models_dir=tmp_path / "models", session_model=False)
    started, release = threading.Event(), threading.Event()
    real_train = trainer._train

    def slow_train(progress):
        started.set()
        release.wait(10)                     # the plays were read; forgetting starts now
        return real_train(progress)

    trainer._train = slow_train
    worker = threading.Thread(target=trainer.train_now)
    worker.start()
    assert started.wait(10)
    forgot = threading.Event()

    def forget():
        with trainer.held():
            service.forget_history()
        forgot.set()

    threading.Thread(target=forget).start()
    time.sleep(0.3)
    assert not forgot.is_set()               # waits for the training to finish first
    release.set()
    worker.join(60)
    assert forgot.wait(30)
    assert store.play_count() == 0
    assert not any((tmp_path / "models").iterdir())
    with trainer.held():
        assert trainer.train_now() is None   # no training starts inside the block


def _cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_damaged_run_falls_back_to_the_previous_one_and_training_heals_it(store, tmp_path):
    from recommender.local_models import current_run

    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, service, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    end = sessions_of_plays(store, ids, 24)
    first = trainer.train_now().path
    sessions_of_plays(store, ids, 8, start=end + 4000)
    second = trainer.train_now().path
    assert current_run(models).name == second.name and not trainer.due()
    _cut_in_half(second / "wmf.npz")                                   # e.g. a disk that filled up
    info = service.reload_models()
    assert info["run"] == first.name                                   # the run before it serves
    assert not second.exists() and (models / (second.name + ".damaged")).exists()
    assert trainer.due()                                               # and a new run is due at once
    third = trainer.train_now().path
    assert service.reload_models()["run"] == third.name and not trainer.due()


def test_a_damaged_only_run_falls_back_to_the_priors(store, tmp_path):
    ids, _ = fill_library(store)
    models = tmp_path / "models"
    service = RecommenderService(store, models_dir=models, priors=None)
    trainer = Trainer(store, service, models_dir=models, every_n_plays=1000, idle_s=1e9, session_model=False)
    sessions_of_plays(store, ids, 24)
    run = trainer.train_now().path
    (run / "manifest.json").write_text('{"metrics": ')                  # cut mid-write
    assert "run" not in service.reload_models()
    assert service.up_next([ids["Jazz song 1"]], 5)                   # still recommends
    assert trainer.due()
