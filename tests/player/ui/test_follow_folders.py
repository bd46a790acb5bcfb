"""The library follows its folders: music copied in while Segue was closed is there after the
start, and with the window open it comes in by itself; a start where nothing changed leaves
the table and the status bar alone; the setting turns it off."""

from __future__ import annotations

from player.ui.library_tasks import FOLLOW_SETTING
from tests.audiogen import write_track
from tests.player.ui.conftest import TRACKS, open_settings


def _titles(window) -> set[str]:
    return {window.model.index(r, 1).data() for r in range(window.model.rowCount())}


def test_music_added_while_segue_was_closed_is_there_after_the_start(qtbot, scanned, music, make_window):
    write_track(music / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines",
                                                           "album": "Cabin"})
    (music / "Rock" / "r4.flac").unlink()                 # "Last Chord"
    window = make_window(scanned, with_player=False)
    qtbot.waitUntil(lambda: "Copied In" in _titles(window), timeout=20000)
    assert "Last Chord" not in _titles(window)
    assert window.model.rowCount() == len(TRACKS)
    assert window.statusBar().currentMessage() == "Music folders changed: 1 track added, 1 gone"
    assert window.tasks.running() == []


def test_a_start_where_nothing_changed_leaves_the_table_and_the_status_bar_alone(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False, wait_library=False)
    loads, messages = [], []
    window.library_loaded.connect(lambda: loads.append(window.model.rowCount()))
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.scan_finished, timeout=20000) as finished:
        pass
    assert finished.args[0].unchanged == len(TRACKS) and finished.args[0].read == 0
    qtbot.wait(1500)                    # past the scan's once-a-second look at what it read
    assert loads == [len(TRACKS)]       # the first load only
    assert messages == [] and window.statusBar().currentMessage() == ""
    assert window.tasks.running() == []


def test_a_rescan_asked_for_while_the_look_at_start_runs_says_what_it_did(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    if window._scan is None:            # the look at start may be over already on a fast machine
        window.follow_rescan()
    assert window.tasks.running() == []
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                 # File → Rescan library
        assert window.tasks.running() == ["scan"]
    assert window.statusBar().currentMessage().startswith(f"Scanned {len(TRACKS)} files")


def test_the_setting_off_means_no_look_at_start(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False)
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    dialog = open_settings(qtbot, window)
    assert dialog.follow.isChecked()                    # on unless turned off
    dialog.follow.setChecked(False)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(FOLLOW_SETTING) is False
    window.close()
    write_track(music / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines"})
    window = make_window(scanned, with_player=False)
    with qtbot.assertNotEmitted(window.scan_finished, wait=1500):
        pass
    assert window._scan is None and "Copied In" not in _titles(window)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                                 # File → Rescan library still brings it
    qtbot.waitUntil(lambda: "Copied In" in _titles(window), timeout=10000)
