"""The GUI thread never takes the database write lock: every write happens on a worker."""

from __future__ import annotations

import contextlib
import threading

from tests.player.ui.conftest import open_settings


def test_no_write_transaction_on_the_gui_thread(qtbot, scanned, make_window):
    writers: list[str] = []
    real = scanned.transaction

    @contextlib.contextmanager
    def recording():
        writers.append(threading.current_thread().name if threading.current_thread()
                       is not threading.main_thread() else "GUI")
        with real() as conn:
            yield conn

    window = make_window(scanned)   # (the fixture builds the Player here; the app does it on a worker)
    scanned.transaction = recording        # instrument the real store; writes still happen
    first, second = window.model.track_id(0), window.model.track_id(1)
    window.play_ids([first, second], 0, "library")                       # start_play
    qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
    window.next_track()                                                  # end_play + start_play
    qtbot.waitUntil(lambda: window.player.current_track_id == second, timeout=10000)
    dialog = open_settings(qtbot, window)
    dialog.crossfade.setValue(1.0)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):          # set_setting
        dialog.accept()
    with qtbot.waitSignal(window.scan_finished, timeout=20000):           # the scanner's upserts
        window.rescan()
    window.forget_history()                                               # DELETE plays
    qtbot.waitUntil(lambda: scanned.play_count() == 0, timeout=10000)
    with qtbot.waitSignal(window.never_suggested_changed, timeout=10000):  # never suggest their songs
        window.never_suggest(second, "artist")
    assert len(writers) >= 6
    assert "GUI" not in writers, writers


def test_the_app_opens_its_player_on_a_worker(qtbot, scanned, tmp_path):
    from player.audio.null_engine import NullEngine
    from player.ui.main_window import MainWindow

    gui_writes = []
    real = scanned.transaction

    @contextlib.contextmanager
    def recording():
        if threading.current_thread() is threading.main_thread():
            gui_writes.append(1)
        with real() as conn:
            yield conn

    scanned.transaction = recording
    window = MainWindow(scanned, engine_factory=NullEngine, settings_file=str(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.player_ready, timeout=10000):
        window.show()
    try:
        window.play_ids([scanned.tracks()[0]["id"]])
        qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
        assert gui_writes == []
    finally:
        window.close()          # the window owns this player and closes it
    assert scanned.plays()[-1]["ended"] == "stopped"      # closing the window closed its player
