"""First run (welcome -> scan), settings that persist, forgetting history, remembered layout."""

from __future__ import annotations

import logging
import sys

import pytest

from PySide6.QtWidgets import QMessageBox

from player import paths
from player.audio.base import PlaybackState
from player.playback import STATE_SETTING
from player.store import Store
from player.ui.settings_dialog import (KEY_USE_GPU, KEY_CROSSFADE, KEY_DEVICE, KEY_PREAMP, KEY_REPLAYGAIN,
                                      KEY_UNTAGGED, KEY_WHILE_PLAYING)
from tests.player.ui.conftest import TRACKS, open_settings


def test_first_run_asks_for_folders_and_scans_while_tracks_appear(qtbot, store, music, make_window):
    window = make_window(store)
    assert window.stack.currentWidget() is window.welcome
    welcome = window.welcome
    # The OS music folder is offered only if it exists (this test's fresh HOME has none).
    assert welcome.folders.folders() == []
    with qtbot.assertNotEmitted(welcome.start_scan):
        welcome.start_btn.click()                        # no folder: it says so instead of nothing
    assert welcome.problem.isVisibleTo(welcome) and "Add a folder first" in welcome.problem.text()
    assert window.stack.currentWidget() is window.welcome
    welcome.folders.add(str(music / "not-there"))
    welcome.start_btn.click()
    assert "not there" in welcome.problem.text()
    welcome.folders.list.clear()
    welcome.folders.add(str(music))
    assert not welcome.problem.isVisibleTo(welcome)
    seen_progress = []
    with qtbot.waitSignal(window.scan_finished, timeout=20000) as finished:
        welcome.start_btn.click()
        assert window.stack.currentIndex() == 0          # the library shows at once
        seen_progress.append(window.tasks.running())
    assert seen_progress == [["scan"]]
    result = finished.args[0]
    assert result.read == len(TRACKS) and result.errors == 0
    qtbot.waitUntil(lambda: window.model.rowCount() == len(TRACKS), timeout=10000)
    assert window.tasks.running() == []
    assert [row["path"] for row in store.folders()] == [str(music)]


def test_after_an_update_the_window_reads_the_library_again_once(qtbot, scanned, make_window):
    # A library scanned by an older Segue, whose tag reader missed a title: the files have not
    # changed, so only the reader's version can tell the window to read them again.
    from player.library.reader_version import READER_VERSION

    store = scanned
    first = store.tracks()[0]
    store.execute("UPDATE tracks SET title = NULL WHERE id = ?", (first["id"],))
    store.execute("UPDATE folders SET tag_reader = 0")
    window = make_window(store, with_player=False)
    assert window.tasks.running() == ["scan"]
    assert "Reading your music's tags again" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert store.track(first["id"])["title"] == first["title"]
    assert [f["tag_reader"] for f in store.folders()] == [READER_VERSION]
    window.close()
    assert make_window(store, with_player=False).tasks.running() == []      # once


def test_after_an_update_a_folder_with_nothing_mounted_waits_to_be_read_again(qtbot, scanned, music, make_window,
                                                                                tmp_path):
    # The folder a disk or share is mounted on, with nothing mounted: a scan leaves it as it
    # was (and its reader's version with it). The window started that scan, and said it was
    # reading the tags again, at every start for as long as the disk stayed away.
    import shutil

    store = scanned
    store.execute("UPDATE folders SET tag_reader = 0")
    away = tmp_path / "unplugged"
    shutil.move(str(music), str(away))
    music.mkdir()                                            # the empty mount point
    window = make_window(store, with_player=False)
    assert window.tasks.running() == []
    assert "Reading your music's tags again" not in window.statusBar().currentMessage()
    window.close()
    music.rmdir()
    shutil.move(str(away), str(music))                       # plugged in again: now it is read
    window = make_window(store, with_player=False)
    assert window.tasks.running() == ["scan"]
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert [f["tag_reader"] for f in store.folders()] != [0]


def test_after_an_update_a_folder_holding_only_an_album_named_with_an_ellipsis_is_read_again(qtbot, store,
                                                                                             tmp_path, make_window):
    # "...And Justice for All" is an album, not a hidden folder: the library folder holding it
    # alone is not an empty mount point, and its tags are read again as any other folder's.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "only"
    write_track(music / "...And Justice for All", "01 Blackened", fmt="flac",
                tags={"title": "Blackened", "artist": "Metallica", "album": "...And Justice for All"})
    Scanner(store).scan([str(music)])
    assert len(store.tracks()) == 1
    store.execute("UPDATE folders SET tag_reader = 0")
    window = make_window(store, with_player=False)
    assert window.tasks.running() == ["scan"]
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert [f["tag_reader"] for f in store.folders()] != [0]


def test_a_rescan_with_no_folder_says_so(qtbot, store, make_window):
    window = make_window(store)
    with qtbot.waitSignal(window.scan_finished, timeout=10000) as finished:
        window.rescan()
    assert finished.args[0] is None
    assert "No music folders to scan yet" in window.statusBar().currentMessage()


def test_progress_reads_n_of_m(qapp):
    from player.ui.status_tasks import TaskStatus

    tasks = TaskStatus()
    tasks.start("scan", "Scanning:")
    tasks.update("scan", 1200, 5000)
    assert tasks.describe("scan") == "Scanning: 1,200 of 5,000"
    tasks.update("train", 40, 100, "Learning your taste", percent=True)
    assert tasks.describe("train") == "Learning your taste 40%"


def test_settings_persist_in_the_store(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    assert dialog.replaygain.currentData() == "track"          # the default
    dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("album"))
    dialog.crossfade.setValue(2.5)
    dialog.gpu.setChecked(False)
    assert dialog.while_playing.currentData() == "auto"
    dialog.while_playing.setCurrentIndex(dialog.while_playing.findData("run"))
    extra = tmp_path / "more-music"
    from tests.audiogen import write_track

    write_track(extra, "x1", tags={"title": "Extra", "artist": "New", "genre": "Ambient"})
    dialog.folders.add(str(extra))
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    qtbot.waitUntil(lambda: window.model.rowCount() == len(TRACKS) + 1, timeout=20000)
    again = Store.open(scanned.path)          # a fresh connection reads what was saved
    try:
        assert again.get_setting(KEY_REPLAYGAIN) == "album"
        assert again.get_setting(KEY_CROSSFADE) == 2.5
        assert again.get_setting(KEY_USE_GPU) is False
        assert again.get_setting(KEY_DEVICE) is None
        assert again.get_setting(KEY_WHILE_PLAYING) == "run"
        assert len(again.folders()) == 2
    finally:
        again.close()
    reopened = open_settings(qtbot, window)
    assert reopened.replaygain.currentData() == "album" and not reopened.gpu.isChecked()
    assert reopened.crossfade.value() == 2.5 and reopened.while_playing.currentData() == "run"
    reopened.reject()


def test_replaygain_turned_off_while_a_song_plays_reaches_the_next_song(qtbot, scanned, make_window):
    # The next song is opened ahead of time with the gain of the moment: turned off in
    # Settings while a song played, ReplayGain still levelled the song after it.
    first, second = (t["id"] for t in scanned.tracks()[:2])
    scanned.execute("UPDATE tracks SET rg_track_gain = -12.0, rg_track_peak = 0.5 WHERE id = ?", (second,))
    window = make_window(scanned)
    window.play_ids([first, second], 0, "library")
    engine = window.player.engine
    qtbot.waitUntil(lambda: engine.current is not None and engine.position > 0.2, timeout=5000)
    dialog = open_settings(qtbot, window)
    dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("off"))
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert window.player.current_track_id == first
    qtbot.waitUntil(lambda: window.player.current_track_id == second, timeout=10000)
    assert engine.current.gain == 1.0


def test_the_replaygain_preamp_and_untagged_level_are_set_in_settings_and_reach_the_next_songs(qtbot, scanned,
                                                                                               make_window):
    # The player read a preamp that nothing let the person set: ReplayGain's level (-18 LUFS,
    # quieter than most music mastered since) could not be raised, nor lowered to keep the
    # peaks of loud tracks lifted by their gain from bending.
    first, second, third = (t["id"] for t in scanned.tracks()[:3])
    scanned.execute("UPDATE tracks SET rg_track_gain = -12.0, rg_track_peak = 0.5 WHERE id = ?", (second,))
    window = make_window(scanned)
    window.play_ids([first, second, third], 0, "library")
    engine = window.player.engine
    qtbot.waitUntil(lambda: engine.current is not None and engine.position > 0.2, timeout=5000)
    # Paused (still the song held, its output open): a three-second song could end while the
    # dialog opens and saves on a busy machine, and nothing would be left to bring down.
    window._command(lambda p: p.pause())
    qtbot.waitUntil(lambda: engine.state is PlaybackState.PAUSED, timeout=5000)
    assert window.player.current_track_id == first
    playing = engine.current
    dialog = open_settings(qtbot, window)
    assert dialog.preamp.value() == 0.0 and dialog.untagged.value() == 0.0      # the defaults
    dialog.preamp.setValue(-6.0)
    # and the files without ReplayGain, mostly mastered louder than its level, brought down
    dialog.untagged.setValue(-10.0)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(KEY_PREAMP) == -6.0 and scanned.get_setting(KEY_UNTAGGED) == -10.0
    # The song playing (without ReplayGain) is brought down as well, at once, not reopened.
    qtbot.waitUntil(lambda: playing.gain * playing.regain == pytest.approx(10 ** (-10 / 20)), timeout=5000)
    assert engine.current is playing and window.player.current_track_id == first
    window._command(lambda p: p.resume())
    qtbot.waitUntil(lambda: window.player.current_track_id == second, timeout=10000)
    assert engine.current.gain == pytest.approx(10 ** (-18 / 20))
    qtbot.waitUntil(lambda: window.player.current_track_id == third, timeout=10000)
    assert engine.current.gain == pytest.approx(10 ** (-10 / 20))
    reopened = open_settings(qtbot, window)
    assert reopened.preamp.value() == -6.0 and reopened.untagged.value() == -10.0
    reopened.reject()


def test_settings_that_cannot_be_saved_come_back_as_chosen_to_try_again(qtbot, scanned, make_window):
    # Another program holding the library's write lock: the warning came, and every choice
    # made in the dialog was lost.
    import sqlite3

    store = Store(scanned.path, busy_timeout_s=0.3)
    try:
        window = make_window(store)
        dialog = open_settings(qtbot, window)
        dialog.crossfade.setValue(5.0)
        dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("off"))
        other = sqlite3.connect(scanned.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            dialog.accept()
            qtbot.waitUntil(lambda: dialog.save_error is not None and dialog.save_error.isVisible(), timeout=10000)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert "Could not save the settings" in dialog.save_error.text()
        assert dialog.isVisible() and window.settings_dialog is dialog
        assert dialog.crossfade.value() == 5.0 and dialog.replaygain.currentData() == "off"
        assert scanned.get_setting(KEY_CROSSFADE) is None
        dialog.save_error.accept()
        with qtbot.waitSignal(window.settings_saved, timeout=10000):
            dialog.accept()                                     # tried again: saved
        assert scanned.get_setting(KEY_CROSSFADE) == 5.0 and scanned.get_setting(KEY_REPLAYGAIN) == "off"
        window.close()
    finally:
        store.close()


def test_settings_and_folder_removals_that_cannot_all_be_saved_save_none(qtbot, scanned, make_window, tmp_path):
    # The settings were written, then removing a folder failed: the dialog came back as if
    # nothing was saved, and cancelled, the settings stayed stored but not in use.
    import sqlite3

    other = tmp_path / "other"
    other.mkdir()
    scanned.add_folder(str(other))
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    dialog.crossfade.setValue(5.0)
    for i in range(dialog.folders.list.count()):
        dialog.folders.list.item(i).setSelected(True)
    dialog.folders.remove_btn.click()
    assert dialog.folders.folders() == []
    db = sqlite3.connect(scanned.path, isolation_level=None)
    try:
        db.execute("CREATE TRIGGER keep_folders BEFORE DELETE ON folders "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        dialog.accept()
        qtbot.waitUntil(lambda: dialog.save_error is not None and dialog.save_error.isVisible(), timeout=10000)
        assert scanned.get_setting(KEY_CROSSFADE) is None and len(scanned.folders()) == 2
        assert dialog.folders.folders() == [] and dialog.crossfade.value() == 5.0
        db.execute("DROP TRIGGER keep_folders")
    finally:
        db.close()
    dialog.save_error.accept()
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()                                         # tried again: all saved
    assert scanned.get_setting(KEY_CROSSFADE) == 5.0 and scanned.folders() == []


def test_settings_that_cannot_be_shown_open_the_dialog_with_the_defaults_and_say_so(qtbot, scanned, make_window,
                                                                                    caplog):
    # Values edited by hand, or left by another version: a device that was a number opened no
    # dialog at all (an error in the event loop, nothing on screen), and "false" ticked a box.
    scanned.set_setting(KEY_DEVICE, 5)
    scanned.set_setting(KEY_USE_GPU, "false")
    scanned.set_setting(KEY_WHILE_PLAYING, ["run"])
    scanned.set_setting(KEY_PREAMP, "+6 dB")
    scanned.set_setting(KEY_UNTAGGED, 6.0)                      # (never lifted: not shown)
    scanned.set_setting(KEY_REPLAYGAIN, "album")                 # a good one is kept
    window = make_window(scanned)
    with caplog.at_level(logging.WARNING, logger="player.ui.settings_dialog"):
        dialog = open_settings(qtbot, window)
    assert dialog.device.currentData() is None and dialog.gpu.isChecked()
    assert dialog.while_playing.currentData() == "auto" and dialog.replaygain.currentData() == "album"
    note = dialog.ignored_note.text()
    assert "Output device" in note and "Use the GPU" in note and "Analysis while music plays" in note
    assert "Preamp" in note and dialog.preamp.value() == 0.0
    assert "Untagged tracks" in note and dialog.untagged.value() == 0.0
    assert "ReplayGain" not in note
    assert "analysis.use_gpu" in caplog.text
    dialog.gpu.setChecked(False)                                # one changed here is written
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(KEY_USE_GPU) is False and scanned.get_setting(KEY_REPLAYGAIN) == "album"
    again = open_settings(qtbot, window)
    assert "Output device" in again.ignored_note.text() and "Use the GPU" not in again.ignored_note.text()
    again.reject()


def test_a_setting_this_version_cannot_use_stays_when_ok_saves_another(qtbot, scanned, make_window):
    # A newer Segue's ReplayGain mode: OK for the crossfade wrote the default over it, and the
    # newer version, opened again, found its choice gone.
    scanned.set_setting(KEY_REPLAYGAIN, "smart")
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    assert dialog.replaygain.currentData() == "track" and "ReplayGain" in dialog.ignored_note.text()
    dialog.crossfade.setValue(2.0)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(KEY_REPLAYGAIN) == "smart" and scanned.get_setting(KEY_CROSSFADE) == 2.0
    dialog = open_settings(qtbot, window)
    dialog.replaygain.setCurrentIndex(dialog.replaygain.findData("off"))        # chosen here: written
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(KEY_REPLAYGAIN) == "off"


def test_a_setting_the_dialog_shows_rounded_stays_as_stored_when_ok_saves_another(qtbot, scanned, make_window):
    # The crossfade box shows two decimals: an OK for another setting wrote 3.333 s back as 3.33.
    scanned.set_setting(KEY_CROSSFADE, 3.333)
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    assert dialog.crossfade.value() == 3.33
    dialog.gpu.setChecked(not dialog.gpu.isChecked())
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(KEY_CROSSFADE) == 3.333
    assert scanned.get_setting(KEY_USE_GPU) is dialog.gpu.isChecked()


def test_restore_defaults_puts_the_choices_back_and_only_ok_saves_them(qtbot, scanned, make_window):
    from player.ui.settings_dialog import DEFAULTS, KEY_FOLLOW

    chosen = {KEY_DEVICE: "USB DAC", KEY_REPLAYGAIN: "off", KEY_PREAMP: 4.5, KEY_UNTAGGED: -6.0,
              KEY_CROSSFADE: 4.0, KEY_USE_GPU: False,
              KEY_WHILE_PLAYING: "pause", KEY_FOLLOW: False}
    for key, value in chosen.items():
        scanned.set_setting(key, value)
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    assert dialog.values() == chosen
    folders = dialog.folders.folders()
    dialog.defaults_btn.click()
    assert dialog.values() == DEFAULTS
    assert dialog.folders.folders() == folders                  # the folders are not a setting to undo
    dialog.reject()                                             # Cancel: nothing changes
    qtbot.wait(200)
    assert {key: scanned.get_setting(key) for key in chosen} == chosen
    dialog = open_settings(qtbot, window)
    assert dialog.values() == chosen
    dialog.defaults_btn.click()
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert {key: scanned.get_setting(key) for key in chosen} == DEFAULTS
    assert len(scanned.folders()) == 1


def test_a_folder_added_again_is_shown_where_it_is_in_the_list(qtbot, scanned, music, make_window, tmp_path):
    # Chosen again with Add folder…, a folder listed already changed nothing on screen.
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    folders = dialog.folders
    folders.add(str(tmp_path / "more"))
    assert folders.list.selectedItems() == []
    folders.add(str(music) + "/")                            # the same folder, spelled another way
    assert folders.folders() == [str(music), str(tmp_path / "more")]
    assert [item.text() for item in folders.list.selectedItems()] == [str(music)]
    assert folders.remove_btn.isEnabled()
    dialog.reject()


def test_backspace_and_ctrl_backspace_remove_a_music_folder_as_delete_does(qtbot, scanned, music, make_window,
                                                                           tmp_path):
    # The window's other lists take Backspace (a Mac's "delete" key) and Ctrl+Backspace too;
    # the music folders, in the welcome page and in Settings, took Delete alone.
    from PySide6.QtCore import Qt

    from player.ui.welcome import WelcomePage

    page = WelcomePage()
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    folders = page.folders
    for name in ("a", "b", "c"):
        folders.add(str(tmp_path / name))
    listed = folders.folders()
    folders.list.setFocus()
    qtbot.waitUntil(folders.list.hasFocus, timeout=5000)
    folders.list.setCurrentRow(listed.index(str(tmp_path / "a")))
    qtbot.keyClick(folders.list, Qt.Key_Backspace)
    assert str(tmp_path / "a") not in folders.folders() and len(folders.folders()) == len(listed) - 1
    folders.list.setCurrentRow(folders.folders().index(str(tmp_path / "b")))
    qtbot.keyClick(folders.list, Qt.Key_Backspace, Qt.ControlModifier)
    assert str(tmp_path / "b") not in folders.folders()
    # Only in the list: the key pressed on a button beside it removes nothing.
    folders.list.setCurrentRow(folders.folders().index(str(tmp_path / "c")))
    folders.add_btn.setFocus()
    qtbot.waitUntil(folders.add_btn.hasFocus, timeout=5000)
    kept = folders.folders()
    qtbot.keyClick(folders.add_btn, Qt.Key_Backspace)
    assert folders.folders() == kept

    # In Settings, as before, a removal is undone by Cancel: nothing leaves the library until OK.
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    folders = dialog.folders
    folders.list.setFocus()
    folders.list.setCurrentRow(0)
    qtbot.keyClick(folders.list, Qt.Key_Backspace)
    assert folders.folders() == []
    dialog.reject()
    assert [f["path"] for f in scanned.folders()] == [str(music)]
    assert window.model.rowCount() == len(TRACKS)


def test_the_settings_dialog_opens_wide_enough_for_its_words(qtbot, scanned, make_window):
    # The offscreen screen is 800 px wide and a dialog opens at most two thirds of it: the
    # longest check box's words needed more than that.
    from PySide6.QtWidgets import QCheckBox

    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    boxes = [b for b in dialog.findChildren(QCheckBox) if b.isVisible()]
    assert boxes and all(b.width() >= b.sizeHint().width() for b in boxes), [
        (b.text(), b.width(), b.sizeHint().width()) for b in boxes]
    dialog.reject()


def test_settings_opened_again_while_a_save_waits_show_what_was_saved(qtbot, scanned, make_window):
    # The save queues on the write thread, behind a scan if one runs; Settings… asked for
    # again meanwhile opened with the values from before the save.
    import threading

    from player.workers import db_write_pool, run_task

    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    dialog.crossfade.setValue(3.0)
    release, busy = threading.Event(), threading.Event()
    run_task(lambda: (busy.set(), release.wait(20)), lambda *_, **__: None, pool=db_write_pool(), name="a-long-write")
    qtbot.waitUntil(busy.is_set, timeout=5000)
    try:
        dialog.accept()
        window.open_settings()
        qtbot.wait(300)
        assert window.settings_dialog is dialog                 # not opened again before the save
    finally:
        release.set()
    with qtbot.waitSignal(window.settings_opened, timeout=10000) as opened:
        pass
    assert opened.args[0].crossfade.value() == 3.0
    opened.args[0].reject()


def test_forget_history_after_confirmation(qtbot, scanned, make_window):
    track = scanned.tracks()[0]["id"]
    play = scanned.start_play(track, source="library")
    scanned.end_play(play, "finished", 3000)
    scanned.set_setting(STATE_SETTING, {"queue": [[track, "library", True]], "current": [track, "library", True, 1.5]})
    model_file = paths.local_models_dir() / "wmf.npz"
    model_file.write_bytes(b"trained on plays")
    window = make_window(scanned)
    dialog = open_settings(qtbot, window)
    dialog.forget_btn.click()
    box = dialog.confirm_box
    assert box is not None and box.isVisible()
    box.button(QMessageBox.Cancel).click()                  # cancelling keeps everything
    qtbot.wait(100)
    assert scanned.play_count() == 1 and model_file.exists()
    dialog.forget_btn.click()
    forget = next(b for b in dialog.confirm_box.buttons() if b.text() == "Forget history")
    forget.click()
    qtbot.waitUntil(lambda: scanned.play_count() == 0 and not model_file.exists(), timeout=10000)
    assert list(paths.local_models_dir().iterdir()) == []
    # What is on screen (the song cued, Up next) comes back at the next start, but nothing the
    # history held: the song at its start, with no play and no place in it.
    def saved_again():
        state = scanned.get_setting(STATE_SETTING)
        return state is not None and state["current"][3:7] == [0.0, 0.0, 0.0, None]

    qtbot.waitUntil(saved_again, timeout=10000)
    state = scanned.get_setting(STATE_SETTING)
    assert state["current"][0] == track and [q[0] for q in state["queue"]] == [track], state
    assert scanned.resume_position(track) is None and not state.get("back")
    assert len(scanned.tracks()) == len(TRACKS)             # the library stays


def test_window_geometry_and_columns_are_remembered(qtbot, scanned, make_window):
    first = make_window(scanned, with_player=False)
    # A size other than the first start's that fits the screen: a geometry larger than the
    # screen is shrunk to fit when it is restored, and a screen's size in Qt's pixels shrinks
    # as its scale grows (the offscreen screen is 800 wide at 96 DPI, 533 at 144).
    screen, least = first.screen().availableGeometry(), first.minimumSizeHint()
    size = (max(least.width(), min(760, screen.width() - 40)), max(least.height(), min(560, screen.height() - 40)))
    assert size != (1280, 780)
    first.resize(*size)
    header = first.library.table.horizontalHeader()
    header.moveSection(header.visualIndex(2), 0)            # artist first
    header.resizeSection(1, 333)
    first.transport.volume.setValue(35)
    first.close()
    second = make_window(scanned, with_player=False)
    header2 = second.library.table.horizontalHeader()
    assert (second.size().width(), second.size().height()) == size
    assert header2.logicalIndex(0) == 2
    assert header2.sectionSize(1) == 333
    assert second.transport.volume.value() == 35


@pytest.mark.parametrize("volume", ["35", "loud", "99999999999"])
def test_a_window_file_edited_by_hand_starts_and_keeps_what_it_can_use(qtbot, scanned, make_window, tmp_path,
                                                                     caplog, volume):
    # window.ini is a text file people edit. Values that are not the saved states Segue writes
    # stopped the window from starting at all ("Segue cannot start"); now they are left out,
    # said in the log, and what is usable is kept.
    (tmp_path / "window.ini").write_text(
        "[General]\ngeometry=a string, not a saved state\nsplitter=3\ncolumns=@Variant(garbage)\n"
        f"column_share=wide\nvolume_level={volume}\nmuted=true\n")
    with caplog.at_level(logging.WARNING, logger="player.ui.main_window"):
        window = make_window(scanned, with_player=False)
    assert window.transport.muted                                   # the rest is used
    assert window.transport.volume.value() == {"35": 35, "loud": 80, "99999999999": 100}[volume]
    assert window.model.rowCount() == len(TRACKS)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "geometry" in said and "splitter" in said and ("volume_level" in said) == (volume == "loud")


def test_the_volume_is_on_disk_once_set_so_a_crash_keeps_it(qtbot, scanned, make_window, tmp_path):
    # Killed (or crashed) without closing, the window would come back at the volume it had
    # before: saved only at close, a quieter volume set for the evening played loud again.
    import configparser

    window = make_window(scanned)
    window.volume_by(-25)                                      # Ctrl+Down, as the menu does
    want = window.transport.volume.value()
    assert want == 55

    def on_disk():
        ini = configparser.ConfigParser()
        ini.read(tmp_path / "window.ini")
        return ini.get("General", "volume_level", fallback=None)

    qtbot.waitUntil(lambda: on_disk() == str(want), timeout=5000)


def test_mute_silences_keeps_the_volume_and_is_remembered(qtbot, scanned, make_window, tmp_path):
    import configparser

    from player.ui.transport import volume_gain

    window = make_window(scanned)
    window.transport.volume.setValue(50)
    assert abs(window.player.volume - volume_gain(50)) < 1e-9
    window.act_mute.trigger()                                   # Ctrl+M
    assert window.transport.muted and window.player.volume == 0.0
    assert window.transport.volume.value() == 50                # the slider stays where it was

    def on_disk():
        ini = configparser.ConfigParser()
        ini.read(tmp_path / "window.ini")
        return ini.get("General", "muted", fallback=None)

    qtbot.waitUntil(lambda: on_disk() == "true", timeout=5000)  # on disk at once: a crash keeps it too
    window.close()

    again = make_window(scanned)                                # starts muted, at the same volume
    qtbot.waitUntil(lambda: again.player is not None, timeout=5000)
    assert again.transport.muted and again.act_mute.isChecked() and again.player.volume == 0.0
    again.act_mute.trigger()                                    # unmuted: the volume as it was
    assert not again.transport.muted and abs(again.player.volume - volume_gain(50)) < 1e-9
    again.act_mute.trigger()
    again.volume_by(5)                                          # moving the volume unmutes at the new one
    assert not again.transport.muted and not again.act_mute.isChecked()
    assert abs(again.player.volume - volume_gain(55)) < 1e-9
    again.transport.volume.setValue(100)
    again.act_mute.trigger()
    again.volume_by(5)                                          # Ctrl+Up at the top still unmutes
    assert not again.transport.muted and again.player.volume == 1.0
    again.transport.volume.setValue(0)
    again.act_mute.trigger()
    again.volume_by(-5)                                         # and Ctrl+Down at the bottom
    assert not again.transport.muted and not again.act_mute.isChecked()


def test_a_volume_saved_before_the_loudness_slider_sounds_as_loud(qtbot, scanned, make_window, tmp_path):
    # The slider once set the amplitude itself; now it goes by loudness. A volume saved then
    # (70: 0.7 of full scale) opens with the slider where it plays as loud as before.
    from PySide6.QtCore import QSettings

    old = QSettings(str(tmp_path / "window.ini"), QSettings.IniFormat)
    old.setValue("volume", 70)
    old.sync()
    window = make_window(scanned)
    assert window.transport.volume.value() == 89
    assert abs(window.player.volume - 0.7) < 0.01
    window.transport.volume.setValue(60)
    window.close()
    again = make_window(scanned)
    assert again.transport.volume.value() == 60                 # saved as the slider shows it
    assert abs(again.player.volume - 0.216) < 1e-6


def test_uncaught_exception_shows_a_dialog_and_is_logged(qtbot, qapp, caplog):
    from player.ui import errors

    errors.install()
    try:
        raise RuntimeError("decoder exploded")
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger="segue.crash"):
            sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: len(errors.dialogs) == 1, timeout=5000)
    box = errors.dialogs[0]
    assert box.isVisible() and "decoder exploded" in box.text()
    assert "Traceback" in box.detailedText()
    assert any("decoder exploded" in r.getMessage() and "Traceback" in r.getMessage() for r in caplog.records)
    box.close()
    sys.excepthook = sys.__excepthook__


def test_music_folders_listed_in_name_order_remove_the_one_chosen(qtbot, scanned, music, make_window, tmp_path):
    # The dialog lists the folders in the library's name order, not the store's: the row
    # chosen is the folder removed, and the others (and the greyed one) stay as they were.
    for name in ("Zz Top", "Émilie Simon", "dEUS", "10cc"):
        (tmp_path / name).mkdir()
        scanned.add_folder(str(tmp_path / name))
    window = make_window(scanned)
    window.away_tracks = {0: str(tmp_path / "Zz Top")}
    dialog = open_settings(qtbot, window)
    shown = dialog.folders.folders()
    assert shown == [str(tmp_path / n) for n in ("10cc", "dEUS", "Émilie Simon", music.name, "Zz Top")]
    assert [dialog.folders.list.item(i).toolTip() != "" for i in range(len(shown))] == [False] * 4 + [True]
    dialog.folders.list.item(1).setSelected(True)
    dialog.folders.remove_btn.click()
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert sorted(row["path"] for row in scanned.folders()) == \
        sorted([str(music)] + [str(tmp_path / n) for n in ("Zz Top", "Émilie Simon", "10cc")])
