"""The learning recommender plugged into the window (analysis off, except where it is the subject)."""

from __future__ import annotations


def test_window_switches_to_the_recommender_service(qtbot, scanned, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(scanned)
    window.enable_intelligence(analyse=False)
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
    # Training progress shows in the status bar, from the trainer's own thread.
    window.intelligence.trainer_state.emit({"state": "training", "stage": "wmf", "fraction": 0.5})
    assert "train" in window.tasks.running() and "taste model" in window.tasks.label.text()
    window.intelligence.trainer_state.emit({"state": "idle", "stage": "", "fraction": 1.0})
    assert "train" not in window.tasks.running()



def test_training_runs_on_the_training_pool_and_the_status_bar_says_when(qtbot, scanned, make_window):
    import threading

    window = make_window(scanned)
    window.enable_intelligence(analyse=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    intelligence = window.intelligence
    trainer = intelligence.trainer
    trainer.every_n_plays = 2
    threads = []
    real_train = trainer.train_now
    trainer.train_now = lambda *a, **k: (threads.append(threading.current_thread().name), real_train(*a, **k))[1]
    ids = [window.model.track_id(i) for i in range(2)]
    for tid in ids:  # two logged plays through the store, as the player writes them
        scanned.end_play(scanned.start_play(tid), "finished", 3000)
    assert intelligence.learned.text() == ""
    intelligence._idle_check()          # what the one-minute timer does
    qtbot.waitUntil(lambda: scanned.last_model_run() is not None, timeout=60000)
    qtbot.waitUntil(lambda: intelligence._training is None, timeout=30000)
    assert threads and threads[0] != threading.main_thread().name
    assert "Learned from 2 plays" in intelligence.learned.text()
    assert scanned.last_model_run()["n_plays"] == 2


def test_analysis_steps_aside_while_music_plays(qtbot, scanned, make_window):
    """With ``analysis.while_playing`` = pause, no track is analysed while one plays; after, all are."""
    from player.analysis import WHILE_PLAYING_SETTING

    scanned.set_setting(WHILE_PLAYING_SETTING, "pause")
    window = make_window(scanned)
    ids = [window.model.track_id(i) for i in range(window.model.rowCount())]
    window.player.play_tracks(ids)               # 8 x 3 s on the real-time null engine
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
    window.enable_intelligence(analyse=True)
    intelligence = window.intelligence
    qtbot.waitUntil(lambda: intelligence._job is not None and intelligence._job.paused, timeout=60000)
    qtbot.waitUntil(lambda: window.tasks.label.text().startswith("Analysis paused while music plays"),
                    timeout=5000)
    qtbot.wait(1500)                              # a batch already under way may finish
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
    brain = Intelligence(window, analyse=False)
    brain._show_learned(1_700_000_000.0, 1234, METRICS)
    tip = brain.learned.toolTip()
    assert brain.learned.text().startswith("Learned from 1,234 plays at ")
    assert "heard through" in tip and "of the time" in tip and "hr@20" not in tip and "n_listened" not in tip
