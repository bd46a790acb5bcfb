"""The learning recommender plugged into the window (analysis off: no torch in unit tests)."""

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
    assert "train" in window.tasks.running() and "wmf" in window.tasks.label.text()
    window.intelligence.trainer_state.emit({"state": "idle", "stage": "", "fraction": 1.0})
    assert "train" not in window.tasks.running()

