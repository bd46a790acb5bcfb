"""The learning recommender plugged into the window; the learner process behind it, for real."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from player.learner import messages as m
from player.learner.process import LearnerOptions


def test_window_switches_to_the_recommender_service(qtbot, scanned, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(scanned)
    window.enable_intelligence(analyse=False, learn=False)
    # Delivered through the event loop, so waiting after the call cannot miss it.
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    seed = window.model.track_id(0)
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed, timeout=10000)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 1, timeout=10000)
    queue = window.player.queue
    assert seed not in {e.track_id for e in queue} and all(e.source == "radio" for e in queue)
    assert len({e.track_id for e in queue}) == len(queue)        # never repeats within a station
    # The learner's progress shows in the status bar.
    intelligence = window.intelligence
    intelligence.learner_message.emit(m.TrainingProgress("wmf", 0.5))
    assert "train" in window.tasks.running() and "taste model" in window.tasks.label.text()
    intelligence.learner_message.emit(m.AnalysisProgress(3, 8, 0, "paused while music plays"))
    assert window.tasks.text("analyse") == "Analysis paused while music plays"
    assert window.tasks.progress("analyse") == (3, 8)
    intelligence.learner_message.emit(m.AnalysisFinished(8, 0, 8))
    intelligence.learner_message.emit(m.TrainingFailed("OSError: disk full"))
    assert window.tasks.running() == []
    assert "disk full" in window.statusBar().currentMessage()


def test_plays_train_in_the_learner_and_the_window_loads_the_run(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.enable_intelligence(analyse=False, options=LearnerOptions(analyse=False, every_n_plays=2))
    intelligence = window.intelligence
    with qtbot.waitSignal(intelligence.ready, timeout=30000):
        pass
    qtbot.waitUntil(lambda: intelligence.learner is not None and intelligence.learner.alive, timeout=10000)
    ids = [window.model.track_id(i) for i in range(2)]
    assert intelligence.learned.text() == ""
    with qtbot.waitSignal(intelligence.models_loaded, timeout=120000) as loaded:
        for tid in ids:  # two plays through the store, and what the player says when a track ends
            scanned.end_play(scanned.start_play(tid), "finished", 3000)
            intelligence._on_player_event("track_ended", {"track_id": tid})
    run = scanned.last_model_run()
    assert run["n_plays"] == 2 and loaded.args[0]["run"] == os.path.basename(run["path"])
    assert "Learned from 2 plays" in intelligence.learned.text()
    assert window.provider.recommender().models.info["run"] == loaded.args[0]["run"]
    # Forgetting stops the learner meanwhile (no training can write models from the old
    # plays afterwards), then starts a new one.
    old = intelligence.learner.pid
    assert intelligence.forget_history()
    assert scanned.play_count() == 0 and not any(p.name.startswith("run-") for p in
                                                 (scanned.path.parent / "models").iterdir())
    qtbot.waitUntil(lambda: intelligence.learner.alive and intelligence.learner.pid != old, timeout=10000)


def test_new_models_load_while_the_old_ones_go_on_suggesting(qtbot, scanned, make_window, monkeypatch):
    # A training finishes as a song ends (it is due after so many plays): the new models take
    # a new catalogue, seconds at a large library, and meanwhile a station started plays at
    # once from the old ones. What the station queued stays as it was when the new ones land.
    from player import recommender_service

    window = make_window(scanned)
    window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence
    with qtbot.waitSignal(intelligence.ready, timeout=30000):
        pass
    loading, go_on = threading.Event(), threading.Event()
    load = recommender_service.load_models_or_fall_back

    def held(*args, **kwargs):          # the new models' load, held until the station has started
        loading.set()
        go_on.wait(10)
        return load(*args, **kwargs)

    monkeypatch.setattr(recommender_service, "load_models_or_fall_back", held)
    loaded = []
    intelligence.models_loaded.connect(loaded.append)
    heard = window.model.track_id(0)
    scanned.end_play(scanned.start_play(heard), "finished", 3000)
    window.provider.on_player_event("track_ended", {"track_id": heard})
    intelligence.learner_message.emit(m.ModelsChanged("run-1", 1, time.time()))
    qtbot.waitUntil(loading.is_set, timeout=5000)
    assert intelligence.learned.text() == ""        # not said of models that have not taken over
    seed = window.model.track_id(4)
    try:
        window.start_radio(seed)
        qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 1,
                        timeout=2000)
    finally:
        go_on.set()
    queued = [e.track_id for e in window.player.queue]
    qtbot.waitUntil(lambda: bool(loaded), timeout=10000)
    assert [e.track_id for e in window.player.queue] == queued


def test_the_status_bar_says_it_learned_only_of_models_that_took_over(qtbot, scanned, make_window):
    # A run the learner finished but the window cannot read (a disk that filled up as it was
    # written) is set aside, and what served goes on: the status bar said "Learned from 2
    # plays" of it all the same.
    from player import paths
    from player.trainer import Trainer

    window = make_window(scanned, with_player=False)
    window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence
    with qtbot.waitSignal(intelligence.ready, timeout=30000):
        pass
    for i in range(2):
        scanned.end_play(scanned.start_play(window.model.track_id(i)), "finished", 3000)
    run = Trainer(scanned, models_dir=paths.local_models_dir(), session_model=False).train_now().path
    (run / "manifest.json").write_text('{"metrics": ')                  # cut mid-write
    with qtbot.waitSignal(intelligence.models_loaded, timeout=10000) as loaded:
        intelligence.learner_message.emit(m.ModelsChanged(run.name, 2, time.time()))
    assert "run" not in loaded.args[0] and intelligence.learned.text() == ""


def test_analysis_holds_while_music_plays_when_asked_to(qtbot, scanned, make_window):
    """With ``analysis.while_playing`` = pause, the learner analyses nothing while a track plays."""
    from player.analysis import WHILE_PLAYING_SETTING

    scanned.set_setting(WHILE_PLAYING_SETTING, "pause")
    window = make_window(scanned)
    ids = [window.model.track_id(i) for i in range(window.model.rowCount())]
    # Round and round until stopped: the learner holds after the track it is on, and on a busy
    # machine it had not finished one when the 24 s of music ran out.
    window.player.set_repeat("all")
    window.player.play_tracks(ids)               # 8 x 3 s on the real-time null engine
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
    window.enable_intelligence(analyse=True, options=LearnerOptions(train=False, analysis={"batch_tracks": 1}))
    intelligence = window.intelligence
    qtbot.waitUntil(lambda: window.tasks.text("analyse") == "Analysis paused while music plays", timeout=90000)
    held = len(scanned.features())
    assert held < len(ids)
    qtbot.wait(1500)
    assert len(scanned.features()) == held        # nothing more while the music plays
    with qtbot.waitSignal(intelligence.analysis_finished, timeout=120000) as finished:
        window.player.stop()
    assert finished.args[0].analysed == len(ids) and len(scanned.features()) == len(ids)
    assert "analyse" not in window.tasks.running()


def test_the_learned_tooltip_in_the_window(qtbot, store, make_window):
    from player.ui.intelligence import Intelligence
    from tests.player.test_plain_words import METRICS

    window = make_window(store, with_player=False)
    brain = Intelligence(window, analyse=False, learn=False)
    brain._show_learned(1_700_000_000.0, 1234, METRICS)
    tip = brain.learned.toolTip()
    # Models learnt in November 2023 are not said to be of today: "at 22:13" alone read so.
    assert brain.learned.text().startswith("Learned from 1,234 plays on ")
    assert brain.learned.text().endswith(time.strftime(" %b 2023 at %H:%M", time.localtime(1_700_000_000.0)))
    brain._show_learned(time.time(), 1234, METRICS)
    assert brain.learned.text().startswith("Learned from 1,234 plays at ")
    assert "heard through" in tip and "of the time" in tip and "hr@20" not in tip and "n_listened" not in tip


def test_a_learner_crash_leaves_a_note_and_the_music_playing(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(i) for i in range(window.model.rowCount())]
    window.player.play_tracks(ids)
    window.enable_intelligence(analyse=False, options=LearnerOptions(analyse=False, train=False))
    intelligence = window.intelligence
    qtbot.waitUntil(lambda: intelligence.learner is not None and intelligence.learner.alive, timeout=30000)
    old = intelligence.learner.pid
    before = (window.player.current_track_id, window.player.position)
    with qtbot.waitSignal(intelligence.learner_exited, timeout=10000):
        os.kill(old, signal.SIGKILL)
    assert "killed" in window.statusBar().currentMessage() and "music goes on" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: intelligence.learner.alive and intelligence.learner.pid != old, timeout=15000)
    from player.audio.base import PlaybackState

    assert window.player.state == PlaybackState.PLAYING
    assert (window.player.current_track_id, window.player.position) != before


@pytest.mark.slow
def test_the_learned_label_says_a_training_is_due_after_an_imported_file_is_taken_out(qtbot, store, make_window,
                                                                                      tmp_path):
    # The imported file the models learned from taken out: the window said "Learned from 22
    # plays" and nothing else while they still held its listening; after the history was
    # forgotten it still named the models deleted with it. (No learner here: it would train.)
    from player import paths
    from player.history.importer import import_file
    from player.trainer import Trainer
    from tests.player.test_recommender_service import fill_library
    from tests.player.test_trainer import _spotify_plays, sessions_of_plays

    ids, _ = fill_library(store)
    sessions_of_plays(store, ids, 16)
    import_file(store, _spotify_plays(tmp_path / "rock.json", "Rock", 6, 1_600_000_000.0))
    Trainer(store, models_dir=paths.local_models_dir(), session_model=False).train_now()
    window = make_window(store, with_player=False)
    window.enable_intelligence(analyse=False, learn=False)
    label = window.intelligence.learned
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    qtbot.waitUntil(lambda: label.text().startswith("Learned from 22 plays at "), timeout=10000)
    (imported,) = store.history_imports()
    with qtbot.waitSignal(window.history_removed, timeout=10000):
        window.remove_history_import(imported["id"], "rock.json")
    qtbot.waitUntil(lambda: label.text().endswith(
        " (an imported history was taken out since then: a training is due)"), timeout=10000)
    assert label.text().startswith("Learned from 22 plays at ")    # what the models in use learned from
    window.forget_history()
    qtbot.waitUntil(lambda: label.text() == "" and label.toolTip() == "", timeout=10000)
    assert store.play_count() == 0


def test_what_the_learner_says_after_the_window_closed_goes_nowhere_quietly(qtbot, scanned, make_window, caplog):
    # A learner still starting as the window closed said Ready after the window and its
    # Intelligence were gone: handing it on failed ("Signal source has been deleted"), and a
    # traceback went to the log. Said here down a real pipe, read by the learner's own monitor.
    import logging
    from multiprocessing import Pipe

    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    window = make_window(scanned)
    window.enable_intelligence(analyse=False, options=LearnerOptions(analyse=False))
    intelligence = window.intelligence
    with qtbot.waitSignal(intelligence.ready, timeout=30000):
        pass
    qtbot.waitUntil(lambda: intelligence.learner is not None and intelligence.learner.alive, timeout=30000)
    learner = intelligence.learner
    proc = learner._proc
    window.close()
    intelligence.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert not shiboken6.isValid(intelligence)
    ours, theirs = Pipe()
    theirs.send(m.Ready(proc.pid))
    theirs.close()
    caplog.set_level(logging.DEBUG, logger="player")
    monitor = threading.Thread(target=learner._monitor, args=(proc, ours))
    monitor.start()
    monitor.join(30)
    assert not monitor.is_alive()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
