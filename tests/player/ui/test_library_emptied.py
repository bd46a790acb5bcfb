"""The window with every music folder removed while the play history stays."""

from __future__ import annotations

import logging


def test_removing_every_folder_keeps_the_plays_and_discover_shows_its_empty_state(qtbot, scanned, make_window,
                                                                                  caplog):
    # The recommender's catalogue of no tracks failed to build on the plays of the songs
    # gone: Discover kept the rows of songs no longer there, and the log took a traceback.
    caplog.set_level(logging.ERROR)
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    t = 1_700_000_000.0
    for i, tid in enumerate(ids[:4] * 2):        # (the others are Discover's to offer)
        p = scanned.start_play(tid, source="library", track_ms=3000, now=t + 10 * i)
        scanned.end_play(p, "skipped" if i % 4 == 3 else "finished", 500 if i % 4 == 3 else 3000, now=t + 10 * i + 3)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: bool(window.discover.rows), timeout=10000)
    for row in scanned.folders():
        scanned.remove_folder(row["path"])
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.rescan()
    assert window.model.rowCount() == 0
    window.refresh_discover(new_day=True)
    qtbot.waitUntil(lambda: not window.discover.rows and window.discover.placeholder.isVisible(),
                    timeout=10000)
    qtbot.waitUntil(lambda: not window._discovering.running(), timeout=10000)
    assert scanned.play_count() == 8
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "library order only" not in window.statusBar().currentMessage()



def test_a_window_opened_on_a_library_already_emptied_welcomes_and_suggests_nothing(qtbot, scanned, make_window,
                                                                                   caplog):
    # The folders went in an earlier run and the plays stayed: the window starts on them,
    # with the welcome page (no folders, no songs) and a recommender of no tracks.
    caplog.set_level(logging.ERROR)
    ids = [r["id"] for r in scanned.tracks()]
    for i, tid in enumerate(ids[:4] * 2):
        p = scanned.start_play(tid, source="library", track_ms=3000, now=1_700_000_000.0 + 10 * i)
        scanned.end_play(p, "finished", 3000, now=1_700_000_000.0 + 10 * i + 3)
    for row in scanned.folders():
        scanned.remove_folder(row["path"])
    window = make_window(scanned)
    assert window.model.rowCount() == 0 and window.stack.currentWidget() is window.welcome
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    window.refresh_discover(new_day=True)
    qtbot.waitUntil(lambda: not window._discovering.running(), timeout=10000)
    assert not window.discover.buckets and not window.discover.placeholder.isHidden()
    assert scanned.play_count() == 8
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "library order only" not in window.statusBar().currentMessage()
