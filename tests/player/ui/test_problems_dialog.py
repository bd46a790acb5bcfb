"""File → Files with problems…: the window names the files it could not read, analyse or play."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from player.library.scanner import Scanner
from player.ui.problems_dialog import ANALYSIS, PLAYING, RECENT_PLAYS_S, UNREADABLE

MP3_ERROR = "damaged MP3 file: can't sync to MPEG frame"


def _rows(dialog):
    return [[dialog.table.topLevelItem(i).text(c) for c in range(3)] for i in range(dialog.table.topLevelItemCount())]


def _corrupt(folder):
    """An MP3 of random bytes: mutagen finds no frame in it, and no decoder opens it."""
    path = folder / "garbage.mp3"
    path.write_bytes(os.urandom(256) * 4)
    return path


def _open(qtbot, window):
    window.act_problems.trigger()
    dialog = window.problems_dialog
    # (the rows arrive from a worker through the event loop: none can have landed yet)
    qtbot.waitSignal(dialog.loaded, timeout=10000).wait()
    return dialog


def test_the_dialog_names_each_file_with_a_problem_and_why(qtbot, store, music, make_window):
    bad = _corrupt(music / "Rock")
    Scanner(store).scan([str(music)])
    by_name = {os.path.basename(r["path"]): r["id"] for r in store.tracks()}
    store.save_feature_error(by_name["j1.wav"], "tagger-1", "could not decode: no audio in file")
    failed = store.start_play(by_name["f1.flac"])
    store.end_play(failed, "error", 0, error="The output device is gone")
    long_ago = store.start_play(by_name["r2.flac"], now=time.time() - RECENT_PLAYS_S - 3600)
    store.end_play(long_ago, "error", 0, error="an old failure", now=time.time() - RECENT_PLAYS_S - 3600)
    recovered = store.start_play(by_name["j2.flac"], now=time.time() - 60)
    store.end_play(recovered, "error", 0, error="a disk not mounted yet", now=time.time() - 60)
    store.end_play(store.start_play(by_name["j2.flac"]), "finished", 3000)
    window = make_window(store, with_player=False)

    dialog = _open(qtbot, window)
    assert _rows(dialog) == [[str(bad), UNREADABLE, MP3_ERROR],
                             [str(music / "Jazz" / "j1.wav"), ANALYSIS, "could not decode: no audio in file"],
                             [str(music / "Folk" / "f1.flac"), PLAYING, "The output device is gone"]]
    assert not dialog.empty.isVisible()

    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_btn, Qt.LeftButton)
    assert QGuiApplication.clipboard().text().splitlines() == [
        f"{bad}\t{UNREADABLE}\t{MP3_ERROR}",
        f"{music / 'Jazz' / 'j1.wav'}\t{ANALYSIS}\tcould not decode: no audio in file",
        f"{music / 'Folk' / 'f1.flac'}\t{PLAYING}\tThe output device is gone"]
    dialog.table.topLevelItem(0).setSelected(True)                  # only the selected rows
    qtbot.mouseClick(dialog.copy_btn, Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == f"{bad}\t{UNREADABLE}\t{MP3_ERROR}\n"


def test_a_library_without_problems_says_so(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False)
    dialog = _open(qtbot, window)
    assert _rows(dialog) == []
    assert dialog.empty.isVisible() and dialog.empty.text().startswith("No problems: every file in the library")
    assert not dialog.copy_btn.isEnabled()


def test_the_scan_message_leads_to_the_unreadable_files(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    assert not window.problems_link.isVisible()             # nothing unreadable: no way to nothing
    bad = _corrupt(music / "Jazz")
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    assert "1 unreadable" in window.statusBar().currentMessage()
    assert window.problems_link.isVisible()
    qtbot.mouseClick(window.problems_link, Qt.LeftButton)
    dialog = window.problems_dialog
    qtbot.waitSignal(dialog.loaded, timeout=10000).wait()
    assert _rows(dialog) == [[str(bad), UNREADABLE, MP3_ERROR]]
    window.statusBar().clearMessage()                       # the message's 15 s are over
    assert not window.problems_link.isVisible()
    dialog.close()
    # A rescan reads only what changed: the file is not read again, and it is still unreadable.
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    message = window.statusBar().currentMessage()
    assert "0 read, 0 unreadable (1 unreadable file in the library)" in message, message
    assert window.problems_link.isVisible()
    bad.unlink()                                            # gone: nothing unreadable is left
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    assert "0 unreadable" in window.statusBar().currentMessage()
    assert "in the library" not in window.statusBar().currentMessage()
    assert not window.problems_link.isVisible()


def test_the_rows_follow_a_rescan_while_the_dialog_is_open(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False)
    dialog = _open(qtbot, window)
    assert _rows(dialog) == [] and not dialog.isModal()     # the File menu's rescan stays at hand
    bad = _corrupt(music / "Folk")
    rescan = next(a for a in window.file_menu.actions() if a.text() == "&Rescan library")
    with qtbot.waitSignal(dialog.loaded, timeout=20000):
        rescan.trigger()
    assert dialog.isVisible() and _rows(dialog) == [[str(bad), UNREADABLE, MP3_ERROR]]
    assert not dialog.empty.isVisible()
    bad.unlink()                                            # gone from the disk: nothing left to fix
    with qtbot.waitSignal(dialog.loaded, timeout=20000):
        window.rescan()
    assert _rows(dialog) == [] and dialog.empty.isVisible()
    assert _open(qtbot, window) is dialog                   # asked again: the open one, read anew


def test_the_problems_are_read_off_the_gui_thread(qtbot, store, music, make_window):
    _corrupt(music / "Rock")
    Scanner(store).scan([str(music)])
    window = make_window(store, with_player=False)
    readers = []
    for name in ("track_errors", "feature_errors", "play_errors"):
        real = getattr(store, name)

        def recording(*args, _real=real, **kwargs):
            readers.append("GUI" if threading.current_thread() is threading.main_thread() else "worker")
            return _real(*args, **kwargs)

        setattr(store, name, recording)               # the real reads, only watched
    window.act_problems.trigger()
    qtbot.waitUntil(lambda: len(_rows(window.problems_dialog)) == 1, timeout=10000)
    assert readers == ["worker"] * 3


def test_a_file_found_unreadable_after_it_failed_to_play_is_listed_once(qtbot, store, music, make_window):
    # It failed to play, and a later scan found it unreadable: one row, the scan's reason.
    Scanner(store).scan([str(music)])
    bad = music / "Rock" / "r1.wav"
    track = store.track_by_path(str(bad))["id"]
    store.end_play(store.start_play(track), "error", 0, error="could not open it")
    bad.write_bytes(os.urandom(256) * 4)
    os.utime(bad, (time.time() + 5, time.time() + 5))
    Scanner(store).scan(None)
    assert store.track_by_path(str(bad))["last_error"]
    window = make_window(store, with_player=False)
    rows = _rows(_open(qtbot, window))
    assert [(path, what) for path, what, _ in rows] == [(str(bad), UNREADABLE)]


def test_a_list_read_after_a_failed_one_says_what_it_found(qtbot, scanned, make_window, monkeypatch):
    import player.ui.problems_dialog as problems

    real = problems.read_problems

    def broken(store, now=None):
        raise OSError("database is locked")

    monkeypatch.setattr(problems, "read_problems", broken)
    window = make_window(scanned, with_player=False)
    dialog = _open(qtbot, window)
    assert "could not be listed: database is locked" in dialog.empty.text()
    monkeypatch.setattr(problems, "read_problems", real)
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.reload()
    assert dialog.empty.isVisible() and dialog.empty.text().startswith("No problems: every file in the library")


def test_a_track_whose_analysis_fails_while_the_list_is_open_appears_in_it(qtbot, scanned, make_window):
    from player.learner import messages as m

    window = make_window(scanned, with_player=False)
    window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence
    dialog = _open(qtbot, window)
    assert _rows(dialog) == []
    by_name = {os.path.basename(r["path"]): r for r in scanned.tracks()}
    # As the learner does: the failure is written, then its progress counts it.
    intelligence.learner_message.emit(m.AnalysisProgress(2, 8, 0))
    scanned.save_feature_error(by_name["j1.wav"]["id"], "tagger-1", "could not decode: no audio in file")
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        intelligence.learner_message.emit(m.AnalysisProgress(3, 8, 1))
    assert _rows(dialog) == [[by_name["j1.wav"]["path"], ANALYSIS, "could not decode: no audio in file"]]
    scanned.save_feature_error(by_name["f1.flac"]["id"], "tagger-1", "could not decode: truncated")
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        intelligence.learner_message.emit(m.AnalysisFinished(6, 2, 8))
    assert sorted(row[0] for row in _rows(dialog)) == sorted([by_name["j1.wav"]["path"], by_name["f1.flac"]["path"]])


def test_rows_read_again_while_analysis_runs_keep_the_selection_and_the_place(qtbot, scanned, make_window):
    # The list is read again each time an analysis fails, for as long as a pass runs (hours):
    # the rows chosen to copy, and where the list was scrolled to, stay; rebuilt, the list
    # lost them at every failure, and "Copy list" then copied every row.
    from player.learner import messages as m

    window = make_window(scanned, with_player=False)
    window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence
    tracks = scanned.tracks()
    for i, t in enumerate(tracks[:-1]):
        scanned.save_feature_error(t["id"], "tagger-1", f"could not decode: reason {i}")
    dialog = _open(qtbot, window)
    dialog.table.setFixedHeight(90)                          # fewer rows in view than there are
    assert len(_rows(dialog)) == len(tracks) - 1 > 3
    table = dialog.table
    chosen = [table.topLevelItem(1), table.topLevelItem(3)]
    for item in chosen:
        item.setSelected(True)
    table.setCurrentItem(chosen[1], 0, table.selectionModel().SelectionFlag.NoUpdate)
    bar = table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    bar.setValue(bar.maximum())
    place = bar.value()
    paths = [item.text(0) for item in chosen]

    intelligence.learner_message.emit(m.AnalysisProgress(2, 8, 0))
    scanned.save_feature_error(tracks[-1]["id"], "tagger-1", "could not decode: the last one")
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        intelligence.learner_message.emit(m.AnalysisProgress(3, 8, 1))
    assert len(_rows(dialog)) == len(tracks)
    assert sorted(item.text(0) for item in table.selectedItems()) == sorted(paths)
    assert table.currentItem().text(0) == paths[1]
    assert bar.value() == place > 0                          # the rows in view stay in view
    assert dialog.text() == "".join(f"{row[0]}\t{row[1]}\t{row[2]}\n" for row in _rows(dialog) if row[0] in paths)


def _needs_ffmpeg_library(tmp_path, store, without_ffmpeg: bool, monkeypatch):
    """An m4a and a Matroska file (with a FLAC), scanned where ffmpeg is missing."""
    from tests.audiogen import path_without_ffmpeg, stepped_tone, write_track

    music = tmp_path / "ffmpeg-music"
    stepped_tone(music / "a.m4a", "-c:a", "aac", seconds=2)
    stepped_tone(music / "b.mka", "-c:a", "flac", seconds=2)
    write_track(music, "c", fmt="flac")
    with_ffmpeg = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without_ffmpeg(tmp_path / "bin"))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    Scanner(store).scan([str(music)])
    if not without_ffmpeg:
        monkeypatch.setenv("PATH", with_ffmpeg)
    return music


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes the files")
def test_the_window_says_once_that_ffmpeg_is_missing_and_how_many_files_need_it(qtbot, store, tmp_path,
                                                                                  monkeypatch, make_window):
    """The packaged app comes without ffmpeg: an m4a was listed and simply did not play, nothing
    saying why. The window now says so at the start, and so does the list of problems."""
    _needs_ffmpeg_library(tmp_path, store, True, monkeypatch)
    window = make_window(store, with_player=False)
    words = ("ffmpeg is not installed: 2 files of your library (m4a, mka) need it to play and to be analysed. "
             "Install ffmpeg: they play from the next start or scan, with nothing else to do.")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == words, timeout=10000)
    assert window.problems_link.isVisible()
    dialog = _open(qtbot, window)
    assert dialog.ffmpeg_note.isVisible() and dialog.ffmpeg_note.text() == words
    assert [row[0] for row in _rows(dialog)] == [str(tmp_path / "ffmpeg-music" / "b.mka")]


def _held_ffmpeg(tmp_path, monkeypatch):
    """An ffmpeg that answers only once the file returned is made (and then fails)."""
    gate, fake = tmp_path / "let-ffmpeg-answer", tmp_path / "fake-ffmpeg"
    fake.mkdir()
    (fake / "ffmpeg").write_text(f"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.05; done\nexit 1\n")
    (fake / "ffprobe").write_text("#!/bin/sh\nexit 0\n")
    for program in fake.iterdir():
        program.chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(fake / "ffmpeg"))
    return gate


@pytest.mark.skipif(shutil.which("ffmpeg") is None or os.name == "nt", reason="ffmpeg makes the files; a shell script")
def test_the_library_shows_before_the_look_at_ffmpeg_ends(qtbot, store, tmp_path, monkeypatch, make_window):
    """Whether ffmpeg runs is asked by starting it, half a second the first time here and
    seconds where a virus scanner looks at it first; the library waited for it at every start.
    Here an ffmpeg that answers only when let (and then fails) holds the look: the library
    shows before it ends, and the word about ffmpeg comes after."""
    _needs_ffmpeg_library(tmp_path, store, True, monkeypatch)
    gate = _held_ffmpeg(tmp_path, monkeypatch)
    window = make_window(store, with_player=False)
    assert window.model.rowCount() == 2                     # a.m4a and c.flac (b.mka is unreadable)
    assert "ffmpeg" not in window.statusBar().currentMessage()
    gate.touch()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "ffmpeg is not installed: 2 files of your library (m4a, mka)"), timeout=10000)


@pytest.mark.skipif(shutil.which("ffmpeg") is None or os.name == "nt", reason="ffmpeg makes the files; a shell script")
def test_the_word_about_ffmpeg_waits_for_what_the_window_said_meanwhile(qtbot, store, tmp_path, monkeypatch, caplog):
    """The look at ffmpeg ends after the library shows, and the sound output, opened beside
    it, may have said something of its own meanwhile (here: no device, Segue plays without
    sound). The word about ffmpeg replaced it at once; it now follows it, once its time is up."""
    from player.audio.null_engine import NullEngine
    from player.ui.folder_watch import FOLLOW_SETTING
    from player.ui.main_window import MainWindow
    from tests.player.ui.conftest import settle_workers

    _needs_ffmpeg_library(tmp_path, store, True, monkeypatch)
    store.set_setting(FOLLOW_SETTING, False)
    gate = _held_ffmpeg(tmp_path, monkeypatch)
    notice = "No sound output could be opened, so Segue plays without sound: no device here"

    def no_device():
        engine = NullEngine()
        engine.notice = notice      # as the app's own factory says it
        return engine

    window = MainWindow(store, engine_factory=no_device, settings_file=str(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.player_ready, timeout=15000):
            window.show()
        assert window.statusBar().currentMessage() == notice
        gate.touch()
        qtbot.waitUntil(lambda: any(r.getMessage().startswith("ffmpeg is not installed") for r in caplog.records),
                        timeout=10000)     # (logged by the window as it takes the look's answer)
        assert window.statusBar().currentMessage() == notice
        assert not window.problems_link.isVisible()
        window.statusBar().clearMessage()       # what the notice's time running out does
        assert window.statusBar().currentMessage().startswith("ffmpeg is not installed: 2 files of your library")
        assert window.problems_link.isVisible()
        window.statusBar().showMessage("Something else", 1000)
        window.statusBar().clearMessage()
        assert window.statusBar().currentMessage() == ""        # said once
    finally:
        window.close()
        settle_workers()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes the files")
def test_files_unreadable_for_want_of_ffmpeg_are_read_at_the_start_once_it_is_installed(
        qtbot, store, tmp_path, monkeypatch, make_window):
    """With the library not following its folders, no scan runs at the start: a Matroska file
    found unreadable before ffmpeg was installed stayed unreadable. The start now reads it."""
    music = _needs_ffmpeg_library(tmp_path, store, False, monkeypatch)
    assert [r["path"] for r in store.track_errors()] == [str(music / "b.mka")]
    window = make_window(store, with_player=False, wait_library=False)
    qtbot.waitUntil(lambda: store.track_errors() == [], timeout=20000)
    assert {os.path.basename(r["path"]): r["codec"] for r in store.tracks()} == \
        {"a.m4a": "mp4", "b.mka": "flac", "c.flac": "flac"}
    assert "ffmpeg is not installed" not in window.statusBar().currentMessage()


def test_the_files_of_each_problem_are_in_the_order_the_library_sorts_names(store):
    # The files came in code point order, as SQLite compares paths: "Zz Top" before "dEUS",
    # "Émilie Simon" after both, "10cc" before "2Pac". They go as the library sorts names, and
    # so does ``segue library --errors``, which prints the store's list.
    from player.ui.problems_dialog import read_problems

    shelf = ["Zz Top", "Émilie Simon", "10cc", "dEUS", "2Pac", "Кино"]
    store.upsert_tracks([{"path": f"/m/{name}/01 Song.mp3", "size": 1, "mtime_ns": 1, "last_error": MP3_ERROR}
                         for name in shelf])
    expected = [f"/m/{name}/01 Song.mp3" for name in ["2Pac", "10cc", "dEUS", "Émilie Simon", "Zz Top", "Кино"]]
    assert [path for path, what, _ in read_problems(store) if what == UNREADABLE] == expected
    assert [r["path"] for r in store.track_errors()] == expected


def test_the_files_of_one_folder_stay_together_in_each_problem(store):
    # Compared whole, "Björk" written composed and decomposed (as a copy from a Mac leaves it)
    # had the same sort form, and the two folders' files went in turns; and "AC/" went after
    # "AC-DC/", as "-" comes before "/". Each list goes folder by folder.
    from player.ui.problems_dialog import read_problems

    folders = ["Bjo\u0308rk", "AC-DC", "Bj\u00f6rk", "AC"]
    paths = [f"/m/{folder}/{n}.mp3" for n in (2, 1) for folder in folders]
    store.upsert_tracks([{"path": p, "size": 1, "mtime_ns": 1} for p in paths])
    ids = {r["path"]: r["id"] for r in store.tracks()}
    for p in paths:
        store.save_feature_error(ids[p], "tagger-1", "could not decode: no audio in file")
        store.end_play(store.start_play(ids[p]), "error", 0, error="The output device is gone")
    expected = [f"/m/{folder}/{n}.mp3" for folder in ("AC", "AC-DC", "Bjo\u0308rk", "Bj\u00f6rk") for n in (1, 2)]
    problems = read_problems(store)
    assert [path for path, what, _ in problems if what == ANALYSIS] == expected
    assert [path for path, what, _ in problems if what == PLAYING] == expected

    store.upsert_tracks([{"path": p, "size": 1, "mtime_ns": 1, "last_error": MP3_ERROR} for p in paths])
    assert [r["path"] for r in store.track_errors()] == expected
