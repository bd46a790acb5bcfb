"""The library follows its folders: music copied in while Segue was closed is there after the
start, and with the window open it comes in by itself; a start where nothing changed leaves
the table and the status bar alone; the setting turns it off."""

from __future__ import annotations

import os
import sys
import time

import pytest

from player.ui.folder_watch import FOLLOW_SETTING
from tests.audiogen import write_track
from tests.player.ui.conftest import TRACKS, open_settings

#: the watchers the watch uses: inotify itself on Linux, Qt's elsewhere and where inotify cannot be had
ENGINES = ["_Inotify", "QFileSystemWatcher"] if sys.platform.startswith("linux") else ["QFileSystemWatcher"]


def _titles(window) -> set[str]:
    return {window.model.index(r, 1).data() for r in range(window.model.rowCount())}


def test_music_added_while_segue_was_closed_is_there_after_the_start(qtbot, scanned, music, make_window):
    write_track(music / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines",
                                                           "album": "Cabin"})
    (music / "Rock" / "r4.flac").unlink()                 # "Last Chord"
    window = make_window(scanned, with_player=False, follow=True)
    qtbot.waitUntil(lambda: "Copied In" in _titles(window), timeout=20000)
    assert "Last Chord" not in _titles(window)
    assert window.model.rowCount() == len(TRACKS)
    assert window.statusBar().currentMessage() == "Music folders changed: 1 track added, 1 gone"
    assert window.tasks.running() == []


def test_a_start_where_nothing_changed_leaves_the_table_and_the_status_bar_alone(qtbot, scanned, make_window):
    window = make_window(scanned, with_player=False, wait_library=False, follow=True)
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
    window = make_window(scanned, with_player=False, follow=True)
    if window._scan is None:            # the look at start may be over already on a fast machine
        window.follow_rescan()
    assert window.tasks.running() == []
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                 # File → Rescan library
        assert window.tasks.running() == ["scan"]
    assert window.statusBar().currentMessage().startswith(f"Scanned {len(TRACKS)} files")


def test_a_music_folder_not_there_at_the_start_is_said_once_and_its_tracks_stay(qtbot, scanned, music, make_window):
    away = music.with_name("unplugged")
    music.rename(away)                                  # the disk it lives on is not connected
    window = make_window(scanned, with_player=False, follow=True)
    note = f"Not there or empty, left as they were: {music} (a disk or share not connected?)"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == note, timeout=20000)
    assert window.model.rowCount() == len(TRACKS)       # listed still, with their plays
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.follow_rescan()                          # the next look while it stays away says nothing
    assert messages == []
    # A folder added meanwhile is scanned alone; the look after it still knows what it said.
    added = music.with_name("added")
    write_track(added, "a1", fmt="flac", tags={"title": "Added Later", "artist": "Someone"})
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(added)])
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.follow_rescan()
    assert not [m for m in messages if "Not there" in m], messages
    # Connected again while the window is open: nothing watched changes (the folder above
    # the library's is not watched, and a disk mounted on an empty folder hides it from its
    # watch), and the folder is seen all the same.
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    window.folder_watch.quiet_ms = window.folder_watch.look_again_ms = 200
    write_track(away / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines"})
    away.rename(music)
    qtbot.waitUntil(lambda: "Copied In" in _titles(window), timeout=20000)
    assert window.statusBar().currentMessage() == ("Music folders changed: 1 track added. Connected again: "
                                                   f"{music} (its songs play, and are suggested, again)")
    assert window.model.rowCount() == len(TRACKS) + 2


def test_the_setting_off_means_no_look_at_start(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False, follow=True)
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    dialog = open_settings(qtbot, window)
    assert dialog.follow.isChecked()                    # on unless turned off
    dialog.follow.setChecked(False)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert scanned.get_setting(FOLLOW_SETTING) is False
    window.close()
    write_track(music / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines"})
    window = make_window(scanned, with_player=False, follow=True)
    with qtbot.assertNotEmitted(window.scan_finished, wait=1500):
        pass
    assert window._scan is None and "Copied In" not in _titles(window)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                                 # File → Rescan library still brings it
    qtbot.waitUntil(lambda: "Copied In" in _titles(window), timeout=10000)


def _watching(qtbot, window, folder) -> None:
    """Wait until the look at start is over and ``folder`` is watched; changes then wait a
    fifth of a second of quiet, not seconds."""
    qtbot.waitUntil(lambda: window._scan is None and str(folder) in window.folder_watch.watched(), timeout=20000)
    window.folder_watch.quiet_ms = 200


@pytest.mark.parametrize("engine", ENGINES)
def test_music_copied_in_while_the_window_is_open_comes_in_by_itself(qtbot, scanned, music, make_window, monkeypatch,
                                                                     engine):
    import player.ui.folder_watch as folder_watch

    monkeypatch.setattr(folder_watch, "USE_INOTIFY", engine == "_Inotify")
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    write_track(music / "Jazz", "j4", fmt="flac", tags={"title": "Late Arrival", "artist": "Trio Azul"})
    qtbot.waitUntil(lambda: "Late Arrival" in _titles(window), timeout=20000)
    assert window.statusBar().currentMessage() == "Music folders changed: 1 track added"
    # A new album folder is watched once the rescan has seen it: a song copied into it later comes in too.
    write_track(music / "Jazz" / "New Album", "n1", fmt="flac", tags={"title": "First Of Many"})
    qtbot.waitUntil(lambda: "First Of Many" in _titles(window), timeout=20000)
    qtbot.waitUntil(lambda: str(music / "Jazz" / "New Album") in window.folder_watch.watched(), timeout=10000)
    write_track(music / "Jazz" / "New Album", "n2", fmt="flac", tags={"title": "Second Of Many"})
    qtbot.waitUntil(lambda: "Second Of Many" in _titles(window), timeout=20000)
    (music / "Folk" / "f1.flac").unlink()
    qtbot.waitUntil(lambda: "River Song" not in _titles(window), timeout=20000)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_song_whose_name_begins_with_an_ellipsis_copied_in_comes_in_by_itself(qtbot, scanned, music, make_window,
                                                                                monkeypatch, engine):
    # "...Baby One More Time.flac" is a song, not a hidden file: the watch took it for one and
    # never asked for the rescan that would bring it in.
    import player.ui.folder_watch as folder_watch

    monkeypatch.setattr(folder_watch, "USE_INOTIFY", engine == "_Inotify")
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    write_track(music / "Jazz", "...Baby One More Time", fmt="flac", tags={"title": "Baby", "artist": "Trio Azul"})
    qtbot.waitUntil(lambda: "Baby" in _titles(window), timeout=20000)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_song_named_only_dots_copied_in_comes_in_by_itself(qtbot, scanned, music, make_window, monkeypatch, engine):
    # A song titled "..." is saved as "....mp3": the watch read no extension in that name, took
    # the file for no music and never asked for the rescan that would bring it in.
    import player.ui.folder_watch as folder_watch

    monkeypatch.setattr(folder_watch, "USE_INOTIFY", engine == "_Inotify")
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    write_track(music / "Jazz", "...", fmt="flac", tags={"title": "...", "artist": "Trio Azul"})
    qtbot.waitUntil(lambda: "..." in _titles(window), timeout=20000)


def test_a_file_still_being_copied_waits_until_it_is_whole(qtbot, scanned, music, make_window, tmp_path,
                                                           monkeypatch):
    # The folder hears of a file once, when it is made; a rescan then would read it half
    # written. Its modification time, moving while it grows, keeps the rescan waiting. Each
    # piece lands just before the watch looks at the times (the copy is never slower than
    # the quiet time, however loaded the machine).
    import player.ui.folder_watch as folder_watch

    source = write_track(tmp_path / "elsewhere", "big", fmt="wav", seconds=3.0, tags={"title": "Slow Copy"})
    data = source.read_bytes()
    size = len(data) // 8 + 1
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    newest_change, looks = folder_watch.newest_change, []

    def copying(folders):
        looks.append(len(chunks))
        if chunks:
            with open(music / "Folk" / "slow.wav", "ab") as out:
                out.write(chunks.pop(0))
        return newest_change(folders)

    monkeypatch.setattr(folder_watch, "newest_change", copying)
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Folk")
    scans = []
    window.scan_finished.connect(scans.append)
    (music / "Folk" / "slow.wav").write_bytes(chunks.pop(0))     # the copy begins: the folder hears of it
    qtbot.waitUntil(lambda: "Slow Copy" in _titles(window), timeout=20000)
    assert looks[:8] == [7, 6, 5, 4, 3, 2, 1, 0]        # a look at each piece, and one after the last
    assert len(scans) == 1 and scans[0].errors == 0
    track = scanned.track_by_path(str(music / "Folk" / "slow.wav"))
    assert abs(track["duration"] - 3.0) < 0.05


def test_changes_while_a_scan_runs_queue_one_rescan(qtbot, scanned, music, make_window, monkeypatch):
    from tests.scan_hold import hold_scan

    held = hold_scan(monkeypatch)
    window = make_window(scanned, with_player=False, follow=True)
    assert held.at_merge.wait(20)                   # the look at start, held before it ends
    qtbot.waitUntil(lambda: str(music / "Rock") in window.folder_watch.watched(), timeout=20000)
    window.folder_watch.quiet_ms = 200
    scans = []
    window.scan_finished.connect(scans.append)
    watch, changes = window.folder_watch, []
    watch.changed.connect(lambda: changes.append(1))
    for i, folder in enumerate(("Rock", "Jazz", "Folk")):
        write_track(music / folder, f"new{i}", fmt="flac", tags={"title": f"New {i}"})
        # each change past its quiet time: a rescan asked for each
        qtbot.waitUntil(lambda: len(changes) > i and watch._since is None and not watch._timer.isActive(),
                        timeout=20000)
    assert window._scan_again and scans == []
    held.merge.set()
    held.finish.set()
    qtbot.waitUntil(lambda: {"New 0", "New 1", "New 2"} <= _titles(window), timeout=20000)
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert len(scans) == 2                          # the look at start, and one rescan after it


def test_the_setting_off_stops_following_the_folders(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    dialog = open_settings(qtbot, window)
    dialog.follow.setChecked(False)
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    assert window.folder_watch.watched() == []
    write_track(music / "Jazz", "j4", fmt="flac", tags={"title": "Late Arrival"})
    with qtbot.assertNotEmitted(window.scan_finished, wait=1500):
        pass
    dialog = open_settings(qtbot, window)
    dialog.follow.setChecked(True)                  # on again: in step at once
    with qtbot.waitSignal(window.settings_saved, timeout=10000):
        dialog.accept()
    qtbot.waitUntil(lambda: "Late Arrival" in _titles(window), timeout=20000)


def test_above_the_cap_only_whole_top_levels_are_watched(tmp_path):
    from player.ui.folder_watch import folders_to_watch

    root = tmp_path / "music"
    for artist in ("A", "B", "C"):
        for album in ("1", "2", "3"):
            (root / artist / album).mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "$RECYCLE.BIN" / "S-1-5-21").mkdir(parents=True)        # as the scan leaves it out
    (root / "B" / "again").symlink_to(root / "B" / "1")        # a folder reached twice is watched once
    everything, complete = folders_to_watch([str(root)], cap=100, depth=None)
    assert complete and len(everything) == 1 + 3 + 9
    assert str(root / ".hidden") not in everything and not any("RECYCLE" in f for f in everything)
    top, complete = folders_to_watch([str(root)], cap=12, depth=None)
    assert not complete and top == [str(root), str(root / "A"), str(root / "B"), str(root / "C")]
    assert folders_to_watch([str(root), str(tmp_path / "not-there")], cap=2, depth=None) == ([str(root)], False)


@pytest.mark.parametrize("no_file_ids", [False, True], ids=["windows", "windows-drive-without-file-ids"])
def test_every_folder_is_watched_on_windows(tmp_path, monkeypatch, no_file_ids):
    # A Windows listing's entries carry no file ids (all 0): every folder below the top
    # looked like the first one, and only that one was watched.
    from player.ui.folder_watch import folders_to_watch
    from tests.windows_stat import windows_listing

    root = tmp_path / "music"
    for artist in ("A", "B"):
        for album in ("1", "2"):
            (root / artist / album).mkdir(parents=True)
    (root / "B" / "again").symlink_to(root / "B" / "1")        # still watched once
    windows_listing(monkeypatch, str(tmp_path), no_file_ids=no_file_ids)
    everything, complete = folders_to_watch([str(root)], cap=100, depth=None)
    assert complete and sorted(everything) == sorted(
        [str(root)] + [str(root / a) for a in "AB"] + [str(root / a / b) for a in "AB" for b in "12"])


def test_on_windows_only_the_artists_folders_are_watched(tmp_path):
    # A watched folder's handle keeps every folder above it from being renamed in Explorer:
    # watching the albums locked every artist's folder while Segue ran.
    from player.ui.folder_watch import folders_to_watch

    root = tmp_path / "music"
    for artist in ("A", "B"):
        for album in ("1", "2"):
            (root / artist / album / "CD1").mkdir(parents=True)
    top, complete = folders_to_watch([str(root)], cap=100, depth=1)
    assert not complete and top == [str(root), str(root / "A"), str(root / "B")]
    everything, complete = folders_to_watch([str(root)], cap=100, depth=None)
    assert complete and len(everything) == 1 + 2 + 4 + 4
    flat = tmp_path / "flat"
    (flat / "album").mkdir(parents=True)
    assert folders_to_watch([str(flat)], cap=100, depth=1) == ([str(flat), str(flat / "album")], True)


def test_a_rescan_asked_for_during_the_look_at_start_sees_what_changed_before_it(qtbot, scanned, music,
                                                                                 make_window, monkeypatch):
    # File → Rescan while the look at start runs takes that scan over; it may already have
    # passed a file changed just before the person asked, so a look follows it.
    from tests.scan_hold import hold_scan

    held = hold_scan(monkeypatch)
    window = make_window(scanned, with_player=False, follow=True)
    assert held.at_merge.wait(20)                   # the look at start has listed the files
    window.folder_watch.stop()                      # the watch would see the file too: not this test
    write_track(music / "Jazz", "late", fmt="flac", tags={"title": "Copied Late", "artist": "Trio Azul"})
    window.rescan()
    held.merge.set()
    held.finish.set()
    qtbot.waitUntil(lambda: "Copied Late" in _titles(window), timeout=20000)
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)


def test_a_folder_added_in_settings_while_a_scan_runs_is_scanned_after_it(qtbot, scanned, tmp_path, make_window,
                                                                          monkeypatch):
    from tests.scan_hold import hold_scan

    extra = tmp_path / "more music"
    write_track(extra, "m1", fmt="flac", tags={"title": "From The Other Disk", "artist": "Elsewhere"})
    held = hold_scan(monkeypatch)
    window = make_window(scanned, with_player=False, follow=True)
    assert held.at_merge.wait(20)
    window.follow_rescan()                          # the watch saw a change: another look waits
    dialog = open_settings(qtbot, window)
    dialog.folders.add(str(extra))
    dialog.accept()                                 # saved behind the held scan, on the write thread
    held.merge.set()
    held.finish.set()
    qtbot.waitUntil(lambda: "From The Other Disk" in _titles(window), timeout=20000)
    assert str(extra) in [row["path"] for row in scanned.folders()]


def test_only_a_scan_that_changed_the_library_rebuilds_the_recommender(qtbot, scanned, music, make_window):
    window = make_window(scanned, with_player=False, wait_library=False, follow=True)
    rebuilt = []
    window.library_scanned.connect(lambda: rebuilt.append(window.model.rowCount()))
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        pass                                        # the look at start: nothing changed
    qtbot.wait(200)
    assert rebuilt == []
    write_track(music / "Folk", "f9", fmt="flac", tags={"title": "One More", "artist": "Hollow Pines"})
    with qtbot.waitSignal(window.library_scanned, timeout=20000):
        window.rescan()
    assert rebuilt


@pytest.mark.parametrize("engine", ENGINES)
def test_the_window_never_calls_into_the_watcher_itself(qtbot, scanned, music, make_window, monkeypatch, engine):
    # Adding a folder to the watch reads it from the disk: a share that does not answer
    # would hold the window still. The watcher lives on a thread of its own.
    import threading

    import player.ui.folder_watch as folder_watch

    calls = []
    monkeypatch.setattr(folder_watch, "USE_INOTIFY", engine == "_Inotify")

    class Recording(getattr(folder_watch, engine)):
        def addPaths(self, paths):
            calls.append(("add", threading.get_ident()))
            return super().addPaths(paths)

        def removePaths(self, paths):
            calls.append(("remove", threading.get_ident()))
            return super().removePaths(paths)

    monkeypatch.setattr(folder_watch, engine, Recording)
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    write_track(music / "Jazz", "j4", fmt="flac", tags={"title": "Late Arrival", "artist": "Trio Azul"})
    qtbot.waitUntil(lambda: "Late Arrival" in _titles(window), timeout=20000)
    window.close()
    assert ("add", threading.get_ident()) not in calls and ("remove", threading.get_ident()) not in calls
    assert {kind for kind, _ in calls} == {"add", "remove"}      # the close let go of the folders


@pytest.mark.parametrize("engine", ENGINES)
def test_a_watch_stuck_in_a_folder_does_not_hold_the_window_or_its_exit(tmp_path, engine):
    # A folder on a share that does not answer: adding it never returns. The window still
    # closes, and the program ends.
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "music" / "album").mkdir(parents=True)
    script = f"""
import threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import player.ui.folder_watch as folder_watch

entered = threading.Event()

class Stuck(folder_watch.{engine}):
    def addPaths(self, paths):
        entered.set()
        threading.Event().wait()                # never returns: only the end of the process ends it
        return super().addPaths(paths)

folder_watch.{engine} = Stuck
folder_watch.USE_INOTIFY = {engine == "_Inotify"}
app = QApplication([])
watch = folder_watch.FolderWatch(lambda: [{str(tmp_path / "music")!r}])
watch.start()

def close():
    if not entered.is_set():
        QTimer.singleShot(20, close)
        return
    watch.close()
    stuck = [t for t in threading.enumerate() if t.name == "folder-watch" and t.is_alive()]
    print("closed, watch still stuck:", bool(stuck), flush=True)
    app.quit()

close()
app.exec()
"""
    root = Path(__file__).resolve().parents[3]
    # The stuck call never returns, so a close that waited for it, or a thread that kept the
    # process alive, would never end: the timeout only stops such a hang, it measures nothing.
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "closed, watch still stuck: True" in proc.stdout     # close returned while the folder held it


def test_a_file_that_cannot_be_read_does_not_hide_one_still_growing_beside_it(tmp_path):
    # A link to nothing (or a file renamed away) beside a file being copied in: the copy
    # still keeps the rescan waiting, whichever of them the folder lists first.
    from player.ui.folder_watch import newest_change

    root = tmp_path / "music"
    album = root / "Album"
    album.mkdir(parents=True)
    for name in [*"0aAmMzZ", "_", "~", "00", "zz"]:
        (album / name).symlink_to(tmp_path / "gone" / name)
    growing = album / "m-copying.flac"
    growing.write_bytes(b"half")
    old = time.time() - 1000
    for path in (album, root):
        os.utime(path, (old, old))
    assert newest_change([str(root)]) == growing.stat().st_mtime


def test_the_watch_looks_at_the_folders_on_a_thread_of_its_own(qtbot, tmp_path):
    # The looks at the folders may wait on a share that does not answer: with every thread
    # of the pool that loads the library busy, the watch still lists its folders.
    import threading

    from PySide6.QtCore import QThreadPool

    from player.ui.folder_watch import FolderWatch
    from player.workers import run_task

    (tmp_path / "music" / "album").mkdir(parents=True)
    release = threading.Event()
    pool = QThreadPool.globalInstance()
    for _ in range(pool.maxThreadCount()):
        run_task(lambda: release.wait(20), name="busy")
    watch = FolderWatch(lambda: [str(tmp_path / "music")])
    try:
        with qtbot.waitSignal(watch.listed, timeout=5000):
            watch.start()
        assert str(tmp_path / "music" / "album") in watch.watched()
    finally:
        release.set()
        watch.close()
        pool.waitForDone(20000)


def test_a_change_queued_behind_a_scan_is_dropped_when_following_is_turned_off(qtbot, scanned, music, make_window,
                                                                               monkeypatch):
    from tests.scan_hold import hold_scan

    held = hold_scan(monkeypatch)
    window = make_window(scanned, with_player=False, follow=True)
    assert held.at_merge.wait(20)                   # the look at start, held
    window.follow_rescan()                          # the watch saw a change: another look waits
    scans = []
    window.scan_finished.connect(scans.append)
    dialog = open_settings(qtbot, window)
    dialog.follow.setChecked(False)
    with qtbot.waitSignal(window.settings_saved, timeout=20000):
        dialog.accept()                             # saved behind the held scan, on the write thread
        held.merge.set()
        held.finish.set()
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert len(scans) == 1                          # the look at start only
    assert not window._scan_again


def test_a_rescan_asked_for_as_a_look_finds_following_turned_off_still_runs(qtbot, scanned, make_window,
                                                                            monkeypatch):
    # A look queued before following was turned off ends without scanning; File → Rescan
    # having taken it over in the meantime, the rescan asked for must not end with it.
    import threading

    window = make_window(scanned, with_player=False, follow=True)
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)        # the look at start is over
    scanned.set_setting(FOLLOW_SETTING, False)      # turned off (saved) while the next look waits
    asked, go = threading.Event(), threading.Event()
    read = scanned.get_setting

    def held(key, default=None):
        if key == FOLLOW_SETTING and threading.current_thread() is not threading.main_thread():
            asked.set()
            assert go.wait(20)
        return read(key, default)

    monkeypatch.setattr(scanned, "get_setting", held)
    window.follow_rescan()                          # the watch saw a change before it was turned off
    assert asked.wait(20)                           # the look is on the write thread, about to see it
    window.rescan()                                 # File → Rescan library takes it over
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        go.set()
    assert window.statusBar().currentMessage().startswith(f"Scanned {len(TRACKS)} files")


def test_a_song_retagged_where_it_lies_shows_its_new_title(qtbot, scanned, music, make_window):
    # A tagger writes into the file itself: no file is made, removed or renamed in the folder.
    from tests.audiogen import write_tags

    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    path = music / "Jazz" / "j2.flac"                   # "Brushes"
    inode = path.stat().st_ino
    write_tags(path, title="Brushes (Remastered)")
    assert path.stat().st_ino == inode                  # the same file, written in place
    qtbot.waitUntil(lambda: "Brushes (Remastered)" in _titles(window), timeout=20000)
    assert "Brushes" not in _titles(window)
    assert window.statusBar().currentMessage().startswith("Music folders changed")


def test_other_files_written_in_place_start_no_rescan(qtbot, scanned, music, make_window):
    # A cover or a text file saved again, touched, made or removed in a music folder: the
    # scan reads only music, so the watch lets it be. A song written in place beside them
    # still comes in.
    from tests.audiogen import write_tags

    for name in ("cover.jpg", "notes.txt", ".j1.flac.part"):
        (music / "Jazz" / name).write_bytes(b"old")
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    changes = []
    window.folder_watch.changed.connect(lambda: changes.append(1))
    jazz = music / "Jazz"
    for name in ("cover.jpg", "notes.txt", ".j1.flac.part"):
        with open(jazz / name, "r+b") as f:     # written where it lies: no name made or removed
            f.write(b"new")
    # Saved as most editors save: a new file written, then renamed over the old one.
    (jazz / "cover.jpg.new").write_bytes(b"newer")
    os.replace(jazz / "cover.jpg.new", jazz / "cover.jpg")
    os.utime(jazz / "notes.txt")                        # touched
    (jazz / "readme.txt").write_bytes(b"made")          # made, then removed
    (jazz / "readme.txt").unlink()
    qtbot.wait(1500)                    # many times the quiet time
    assert changes == []
    write_tags(music / "Jazz" / "j1.wav", title="Blue Smoke (Live)")
    qtbot.waitUntil(lambda: "Blue Smoke (Live)" in _titles(window), timeout=20000)
    assert changes == [1]


def test_a_song_written_again_and_again_waits_until_it_is_still(qtbot, scanned, music, make_window):
    # A tagger saving a file several times in a row (one field after another): each save
    # starts the quiet time again, and one rescan reads the file as it was left.
    from tests.audiogen import write_tags

    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Folk")
    window.folder_watch.quiet_ms = 1500
    scans = []
    window.scan_finished.connect(scans.append)
    path = music / "Folk" / "f1.flac"                   # "River Song"
    for i in range(8):
        write_tags(path, title=f"River Song, take {i}")
        qtbot.wait(150)
    assert scans == []
    qtbot.waitUntil(lambda: "River Song, take 7" in _titles(window), timeout=20000)
    qtbot.wait(500)
    assert len(scans) == 1 and scans[0].read == 1


@pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux's")
def test_an_inotify_watch_whose_module_cannot_be_imported_falls_back_to_qts_watcher(qapp, monkeypatch):
    # With no file descriptor left, the module the inotify watch takes the music extensions
    # from could not be read on one watch's thread, and another's, importing it meanwhile,
    # was handed it half made: an ImportError, not an OSError, ended that thread.
    import types

    from PySide6.QtCore import QFileSystemWatcher

    import player.ui.folder_watch as folder_watch

    monkeypatch.setattr(folder_watch, "USE_INOTIFY", True)
    monkeypatch.setattr(folder_watch, "_fallback_said", False)     # (put back as it was after)
    monkeypatch.setitem(sys.modules, "player.library.tags", types.ModuleType("player.library.tags"))
    watcher = folder_watch._watcher(None)
    assert isinstance(watcher, QFileSystemWatcher)


def test_where_inotify_cannot_be_had_the_folders_are_still_followed(tmp_path):
    # No file descriptor left for inotify (as when too many watchers are open): the watch
    # says so once, however many are made, and follows the folders with Qt's watcher.
    import subprocess
    from pathlib import Path

    music = tmp_path / "music"
    (music / "album").mkdir(parents=True)
    script = f"""
import logging, os, resource, sys
from PySide6.QtCore import QCoreApplication, QTimer
import player.ui.folder_watch as folder_watch

logging.basicConfig(level=logging.WARNING)
app = QCoreApplication([])
watches = [folder_watch.FolderWatch(lambda: [{str(music)!r}], quiet_ms=200) for _ in range(2)]
listed, changed = [], []
for watch in watches:
    watch.listed.connect(lambda: listed.append(1))
    watch.changed.connect(lambda: changed.append(1))
    watch.start()               # its thread made, and its event loop, before the descriptors run out
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 1024), hard))
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass

def step():
    if len(listed) < 2:
        QTimer.singleShot(20, step)
        return
    if held:
        for fd in held:
            os.close(fd)
        held.clear()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        open(os.path.join({str(music / "album")!r}, "new.flac"), "wb").close()
    if len(changed) < 2:
        QTimer.singleShot(20, step)
        return
    print("engines", *sorted(type(w._thread.watcher._watcher).__name__ for w in watches), flush=True)
    app.quit()

step()
QTimer.singleShot(15000, app.quit)
app.exec()
"""
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "engines QFileSystemWatcher QFileSystemWatcher" in proc.stdout, proc.stderr[-3000:]
    assert proc.stderr.count("cannot watch the music folders with inotify (") == 1, proc.stderr[-3000:]


def test_the_song_playing_and_discover_show_the_tags_written_into_its_file(qtbot, scanned, music, make_window):
    from tests.audiogen import write_tags

    window = make_window(scanned, follow=True)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=10000)
    _watching(qtbot, window, music / "Jazz")
    track = scanned.track_by_path(str(music / "Jazz" / "j3.wav"))       # "Walking Bass", not played yet
    assert any(e[0] == track["id"] for _bucket, entries in window.discover.buckets for e in entries)
    window.play_ids([track["id"]], 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == "Walking Bass", timeout=10000)
    write_tags(music / "Jazz" / "j3.wav", title="Walking Bass (Take 2)", artist="Trio Azul")
    qtbot.waitUntil(lambda: "Walking Bass (Take 2)" in _titles(window), timeout=20000)
    qtbot.waitUntil(lambda: window.transport.title.text() == "Walking Bass (Take 2)", timeout=5000)
    assert window.windowTitle().startswith("Walking Bass (Take 2) — Trio Azul")
    qtbot.waitUntil(lambda: [e[1] for _bucket, entries in window.discover.buckets for e in entries
                             if e[0] == track["id"]] in ([], ["Walking Bass (Take 2)"]), timeout=10000)
    assert "Walking Bass" not in [e[1] for _bucket, entries in window.discover.buckets for e in entries]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a mount namespace of its own is Linux's")
def test_a_disk_mounted_on_the_empty_music_folder_is_seen_and_watched(tmp_path):
    # The library's folder is where a disk is mounted, and the disk was not connected: the
    # folder is there, empty. Mounting the disk on it changes nothing the watch on the
    # folder hears of, and the watch sees it all the same; then it watches the disk's folder.
    # Run in a mount namespace of the test's own (no root needed where user namespaces are
    # allowed).
    import shutil
    import subprocess
    from pathlib import Path

    unshare = shutil.which("unshare")
    mount = tmp_path / "music"
    disk = tmp_path / "disk"
    mount.mkdir()
    (disk / "album").mkdir(parents=True)
    (disk / "album" / "a.flac").write_bytes(b"")
    if unshare is None or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("no mount namespace can be had here")
    script = f"""
import os, subprocess
from PySide6.QtCore import QCoreApplication, QTimer
import player.ui.folder_watch as folder_watch

app = QCoreApplication([])
watch = folder_watch.FolderWatch(lambda: [{str(mount)!r}], quiet_ms=200)
watch.look_again_ms = 200
steps = []

def mount():
    subprocess.run(["mount", "--bind", {str(disk)!r}, {str(mount)!r}], check=True)
    steps.append("mounted")

def changed():
    steps.append("changed")
    if steps.count("changed") == 1:
        watch.refresh()         # as after the rescan: the folders listed and watched again
    else:
        app.quit()

def listed():
    if not steps:
        QTimer.singleShot(300, mount)
    elif steps[-1] == "changed":
        steps.append("listed")
        os.mkdir(os.path.join({str(mount)!r}, "New Artist"))     # on the disk's top level

watch.listed.connect(listed)
watch.changed.connect(changed)
watch.start()
QTimer.singleShot(10000, app.quit)
app.exec()
print(*steps, flush=True)
watch.close()
"""
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([unshare, "-rm", sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                          timeout=30, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Seen, and the disk's own top folder watched from then on (not the folder under it).
    assert proc.stdout.split() == ["mounted", "changed", "listed", "changed"], proc.stderr[-3000:]


@pytest.mark.skipif(os.name == "nt", reason="Windows keeps no status-change time: size and mtime decide there")
def test_a_title_fixed_keeping_the_files_time_shows_and_a_file_saved_as_it_was_says_nothing(
        qtbot, scanned, music, make_window):
    # A tagger told to keep the modification time: the same size, the time set back after
    # the save. The watch sees the write, and the rescan it starts reads the new title.
    from tests.audiogen import write_tags

    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz")
    path = music / "Jazz" / "j2.flac"                   # "Brushes"
    st = path.stat()
    write_tags(path, title="Brushez")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    qtbot.waitUntil(lambda: "Brushez" in _titles(window), timeout=20000)
    assert window.statusBar().currentMessage() == "Music folders changed: 1 track read again"
    window.statusBar().clearMessage()

    # A file written again with the very tags it had (a player saving a file it only
    # looked at): read again, it changes nothing, and the window says nothing of it.
    loads, messages, scans = [], [], []
    window.library_loaded.connect(lambda: loads.append(1))
    window.statusBar().messageChanged.connect(messages.append)
    window.scan_finished.connect(scans.append)
    with open(path, "r+b") as f:
        head = f.read(4)
        f.seek(0)
        f.write(head)
    qtbot.waitUntil(lambda: bool(scans), timeout=20000)
    qtbot.wait(1200)                    # past the scan's once-a-second look at what it read
    assert (scans[0].read, scans[0].same) == (1, 1)
    assert loads == [] and [m for m in messages if m] == []
    assert "Brushez" in _titles(window)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_a_folder_renamed_and_made_again_is_watched_under_each_name(qapp, tmp_path):
    # Renamed, and a new folder made under the old name, before the watch read the rename:
    # watching the new name gives the old watch again, which no longer leads to the old name.
    from player.ui.folder_watch import _Inotify

    first, renamed = tmp_path / "Album", tmp_path / "Album (2019)"
    first.mkdir()
    watcher = _Inotify()
    try:
        assert watcher.addPaths([str(first)]) == []
        first.rename(renamed)
        first.mkdir()
        assert watcher.addPaths([str(renamed)]) == []
        assert watcher.directories() == [str(renamed)]     # the old name is no longer watched ...
        assert watcher.addPaths([str(first)]) == []        # ... so the new folder there is
        assert sorted(watcher.directories()) == sorted([str(first), str(renamed)])
        watcher.removePaths([str(first), str(renamed)])
        assert watcher.directories() == []
    finally:
        watcher.close()


def test_a_folder_connected_between_a_scan_and_the_listing_after_it_is_taken_as_changed(qtbot, tmp_path):
    # The listing that follows every scan finds the folder there again: watched from then
    # on, its files already in it make no change the watch could hear of.
    from player.ui.folder_watch import FolderWatch

    root = tmp_path / "Disk"
    watch = FolderWatch(lambda: [str(root)], quiet_ms=200)
    watch.look_again_ms = 600_000              # the regular look does not come in this time
    try:
        with qtbot.waitSignal(watch.listed, timeout=5000):
            watch.start()
        (root / "Album").mkdir(parents=True)
        (root / "Album" / "a.flac").write_bytes(b"")
        with qtbot.waitSignal(watch.changed, timeout=5000):
            watch.refresh()
    finally:
        watch.close()


def test_the_watch_imports_where_os_has_no_unix_file_flags(tmp_path):
    # On Windows os has no O_NONBLOCK or O_CLOEXEC; the window imports the watch at start.
    import subprocess
    from pathlib import Path

    script = """
import os
del os.O_NONBLOCK, os.O_CLOEXEC
import player.ui.folder_watch as folder_watch
print("imported", folder_watch.IN_NONBLOCK, folder_watch.IN_CLOEXEC)
"""
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "imported 0 0" in proc.stdout


def test_a_cue_sheet_edited_where_it_lies_shows_its_new_titles(qtbot, scanned, music, make_window):
    # An album in one file: its sheet is what names its tracks, so a sheet saved again starts
    # a rescan as a song retagged does.
    from player.library.scanner import Scanner
    from tests.player.library.test_cue import _album, _sheet

    _album(music / "Jazz" / "One File")
    Scanner(scanned).scan()
    window = make_window(scanned, with_player=False, follow=True)
    _watching(qtbot, window, music / "Jazz" / "One File")
    assert "Second Song" in _titles(window)
    with open(music / "Jazz" / "One File" / "Album.cue", "r+", encoding="utf-8") as f:
        f.write(_sheet(second_title="Second Take"))
    qtbot.waitUntil(lambda: "Second Take" in _titles(window), timeout=20000)
    assert "Second Song" not in _titles(window)


def test_a_mount_point_away_is_looked_at_off_the_window_and_rescanned_only_once_it_fills(qtbot, tmp_path,
                                                                                        monkeypatch):
    # A share mounted inside a library folder (/music/nas) and not connected: mounting it changes
    # nothing the watch hears of (here: the watch stops at the library folder itself), so it is
    # looked at again; while it stays empty no look asks for a rescan, and no look waits on the
    # window's thread (a share that does not answer would freeze it).
    import threading

    from player.ui import folder_watch
    from player.ui.folder_watch import FolderWatch

    root = tmp_path / "music"
    (root / "Album").mkdir(parents=True)
    (root / "Album" / "a.flac").write_bytes(b"")
    share = root / "nas"
    share.mkdir()
    looks, threads = [], set()
    there = folder_watch._there

    def counted(folder):
        threads.add(threading.current_thread())
        if folder == str(share):
            looks.append(folder)
        return there(folder)

    monkeypatch.setattr(folder_watch, "_there", counted)
    watch = FolderWatch(lambda: [str(root)], quiet_ms=200, cap=1, mounts_away=lambda: [str(share)])
    watch.look_again_ms = 100
    changes = []
    watch.changed.connect(lambda: changes.append(1))
    try:
        with qtbot.waitSignal(watch.listed, timeout=5000):
            watch.start()
        assert watch.watched() == [str(root)]
        qtbot.waitUntil(lambda: len(looks) >= 5, timeout=20000)
        assert changes == [] and watch._since is None   # empty at every look: nothing taken as changed
        (share / "a.flac").write_bytes(b"")
        with qtbot.waitSignal(watch.changed, timeout=20000):
            pass
        assert changes == [1]
    finally:
        watch.close()
    assert threading.main_thread() not in threads
