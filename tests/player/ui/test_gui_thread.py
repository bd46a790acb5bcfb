"""The GUI thread never waits on the database: every write, and every read, happens on a worker."""

from __future__ import annotations

import contextlib
import os
import threading
import traceback

import player.ui
from tests.audiogen import write_track
from tests.player.ui.conftest import answer_modal, open_settings, settle_workers

WINDOW_CODE = os.path.dirname(os.path.abspath(player.ui.__file__)) + os.sep


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
        settle_workers()
    assert scanned.plays()[-1]["ended"] == "stopped"      # closing the window closed its player


class GuiReads:
    """Every statement the window runs on the GUI thread's own connection to ``store``, with
    where the window asked for it. The statements the test itself runs there (its checks)
    are not the window's and are left out."""

    def __init__(self, store):
        assert threading.current_thread() is threading.main_thread()
        self.found: list[str] = []
        store.conn.set_trace_callback(self._traced)       # this thread's connection: the GUI's

    def _traced(self, sql: str) -> None:
        frames = [f for f in traceback.extract_stack()[:-1] if f.filename.startswith(WINDOW_CODE)]
        if frames:
            where = " <- ".join(f"{f.filename.rsplit(os.sep, 1)[-1]}:{f.lineno} {f.name}" for f in frames[::-1])
            self.found.append(f"{' '.join(sql.split())[:60]} | {where}")


def test_the_window_never_reads_the_store_on_the_gui_thread(qtbot, scanned, make_window, tmp_path):
    from player.audio.base import PlaybackState
    from player.playback import STATE_SETTING
    from player.ui.opening import open_paths

    ids = [t["id"] for t in scanned.tracks()]
    cued = ids[3]
    scanned.set_setting(STATE_SETTING, {"queue": [[ids[4], "queue", True]], "keep_going": False,
                                        "current": [cued, "library", True, 1.0]})
    reads = GuiReads(scanned)        # from the window's start: the last track comes back named
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(ids), timeout=10000)
    title = {t: window.model.data_.info(t)[0] for t in ids}
    assert window.transport.title.text() == title[cued]

    window.play_ids(ids[:3], 0, "library")                              # a track starts
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.next_track()                                                  # and the next
    qtbot.waitUntil(lambda: window.transport.title.text() == title[ids[1]], timeout=10000)

    # A file the library does not hold, opened by name: it plays, and is named once read.
    outside = write_track(tmp_path / "elsewhere", "stray", seconds=3.0, tags={"title": "Stray Cat", "artist": "Nobody"})
    open_paths(window, [str(outside)])
    qtbot.waitUntil(lambda: window.transport.title.text() == "Stray Cat", timeout=10000)
    assert window.windowTitle() == "Stray Cat — Nobody · Segue"
    stray = window.player.current_track_id
    assert window.model.data_.info(stray) is None                        # (not in the library shown)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window.enqueue([stray, ids[2]])
    rows = window.up_next.rows
    qtbot.waitUntil(lambda: rows.rowCount() >= 2, timeout=5000)
    qtbot.waitUntil(lambda: rows.index(0).data() == "Stray Cat", timeout=5000)     # queued by hand: first
    window.up_next.list.keyboardSearch("Stray")                         # typing in Up next names every row

    for tab in (window.discover, window.listening, window.playlists, window.library):
        window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: window.listening.view is not None, timeout=20000)
    qtbot.waitUntil(lambda: bool(window.discover.rows and window.discover.rows[0].list.count()), timeout=20000)

    # Right-click menus: the library, Up next, a Discover tile.
    table = window.library.table
    table.selectRow(0)
    table.customContextMenuRequested.emit(table.visualRect(window.model.index(0, 1)).center())
    window.library.last_menu.close()
    view = window.up_next.list
    view.customContextMenuRequested.emit(view.visualRect(rows.index(0)).center())
    window.up_next.last_menu.close()
    tiles = window.discover.rows[0]
    tiles.list.customContextMenuRequested.emit(tiles.list.visualItemRect(tiles.list.item(0)).center())
    tiles.last_menu.close()

    # Every dialog.
    open_settings(qtbot, window).reject()
    with qtbot.waitSignal(window.open_problems().loaded, timeout=10000):
        pass
    window.problems_dialog.close()
    with qtbot.waitSignal(window.open_imports().loaded, timeout=10000):
        pass
    window.imports_dialog.reject()
    with qtbot.waitSignal(window.open_never_suggested().loaded, timeout=10000):
        pass
    window.never_dialog.close()
    window.show_about().close()
    window.show_shortcuts().close()
    with qtbot.waitSignal(window.playlists_changed, timeout=10000):
        window.save_up_next_as_playlist("Evening")
    playlist = window.playlists.current_playlist()
    asked = []
    answer_modal(asked, lambda d: (d.textValue(), d.reject())[0])
    window.rename_playlist(playlist)                                     # asks the new name
    answer_modal(asked, lambda d: (d.text(), d.reject())[0])
    window.delete_playlist(playlist)                                     # asks to be sure
    answer_modal(asked, lambda d: (d.selectedFiles()[0], d.reject())[0])
    window.export_playlist(playlist)                                     # asks where
    assert asked[0] == "Evening" and "“Evening”" in asked[1] and asked[2].endswith("Evening.m3u8"), asked
    window.radio_from_current()
    qtbot.wait(500)
    assert reads.found == [], "\n".join(reads.found)


def test_a_file_opened_at_the_first_launch_plays_once_the_sound_device_is_open(qtbot, scanned, tmp_path):
    # `segue --open FILE` with no window open: the file was found before the player existed,
    # and the request to play it was dropped ("Playback is still starting…").
    import time

    from player.audio.null_engine import NullEngine
    from player.ui.opening import open_paths
    from player.ui.main_window import MainWindow

    def slow_device():
        time.sleep(1.0)                 # a sound server that takes its time to answer
        return NullEngine()

    wanted = scanned.tracks()[2]["id"]
    window = MainWindow(scanned, engine_factory=slow_device, settings_file=str(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    window.show()
    open_paths(window, [scanned.tracks()[2]["path"]])
    try:
        assert window.player is None
        qtbot.waitUntil(lambda: window.player is not None and window.player.current_track_id == wanted,
                        timeout=10000)
    finally:
        window.close()
        settle_workers()
