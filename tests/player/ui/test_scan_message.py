"""What the status bar says of a scan, while the next one runs."""

from __future__ import annotations


def test_a_new_scan_takes_the_last_ones_count_away(qtbot, store, music, make_window):
    (music / "Rock" / "broken.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x17" * 3000)
    window = make_window(store, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    said = window.statusBar().currentMessage()
    assert said.startswith("Scanned 9 files: 8 read, 1 unreadable")
    assert window.problems_link.isVisible()

    window.rescan()                     # File → Rescan library, within the message's time
    # The new scan's progress is the status bar's only count: the last scan's "Scanned 9
    # files" and its link to the unreadable files are gone until the new one says its own.
    assert window.tasks.running() == ["scan"]
    assert window.statusBar().currentMessage() == ""
    assert not window.problems_link.isVisible()
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        pass
    assert window.statusBar().currentMessage().startswith("Scanned ")
    assert window.problems_link.isVisible()


def test_a_quiet_look_at_the_folders_leaves_what_was_said(qtbot, store, music, make_window):
    from player.ui.folder_watch import FOLLOW_SETTING

    window = make_window(store, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    said = window.statusBar().currentMessage()
    assert said.startswith("Scanned 8 files")
    store.set_setting(FOLLOW_SETTING, True)     # (the window fixture turns following off)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.follow_rescan()          # nothing changed: it says nothing, and takes nothing away
    assert window.statusBar().currentMessage() == said


def test_a_scan_of_a_folder_just_added_takes_no_folders_away(qtbot, store, music, make_window):
    window = make_window(store, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                 # no folders yet
    assert window.statusBar().currentMessage().startswith("No music folders to scan yet")
    window.start_first_scan([str(music)])   # the folder added, within the message's time
    # "No music folders to scan yet" beside the scan of the folder just added contradicted it.
    assert window.statusBar().currentMessage() == ""
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        pass
    assert window.statusBar().currentMessage().startswith("Scanned 8 files")


def test_a_rescan_that_takes_over_a_quiet_look_takes_the_last_count_away_and_says_its_own(
        qtbot, store, music, make_window, monkeypatch):
    from player.ui.folder_watch import FOLLOW_SETTING
    from tests.scan_hold import hold_scan

    (music / "Rock" / "broken.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x17" * 3000)
    window = make_window(store, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    assert window.statusBar().currentMessage().startswith("Scanned 9 files: 8 read, 1 unreadable")
    store.set_setting(FOLLOW_SETTING, True)
    held = hold_scan(monkeypatch)
    window.follow_rescan()                          # a look nobody asked for: the last count stays
    assert held.at_merge.wait(20)
    assert window.statusBar().currentMessage().startswith("Scanned 9 files")
    window.rescan()                                 # File → Rescan takes that look over
    assert window.statusBar().currentMessage() == ""
    assert not window.problems_link.isVisible()
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        held.merge.set()
        held.finish.set()
    # Its own count (nothing read again: the files are as they were), and the way to the unreadable one.
    assert window.statusBar().currentMessage().startswith("Scanned 9 files: 0 read, 0 unreadable (1 unreadable file")
    assert window.problems_link.isVisible()
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)     # (the look that follows it)


def test_a_file_windows_would_not_let_be_looked_at_is_said_as_a_file_not_a_folder(tmp_path, monkeypatch):
    # On Windows a refused status is the file's own, and the scan reports the file: the status
    # bar said "1 folder could not be read" of it, sending the person to look for a folder.
    # (Windows' rule is chosen by hand: as root here no stat is refused, so the scan's report
    # is given as it makes it: a folder that could not be listed, a file that could not be
    # looked at.)
    from player.library import scanner
    from player.ui.library_tasks import _unreadable_notes

    folder = tmp_path / "Locked"
    folder.mkdir()
    song = tmp_path / "Album" / "01.flac"
    song.parent.mkdir()
    song.write_bytes(b"fLaC")
    told = [(str(folder), "Permission denied"),
            (str(song), "Permission denied: the file cannot be looked at (its permissions, or a program that"
                        " holds it)")]
    monkeypatch.setattr(scanner, "STAT_DENIED_IS_THE_FOLDERS", False)
    assert _unreadable_notes(told) == [
        f"1 folder could not be read, its tracks left as they were: {folder}",
        f"1 file could not be looked at, its track left as it was: {song}"]
    assert _unreadable_notes(told + [(str(song.with_name("02.flac")), "Permission denied")])[1] == \
        f"2 files could not be looked at, their tracks left as they were: {song}…"
    # On POSIX a refused status is its folder's (one that cannot be entered): said as a folder.
    monkeypatch.setattr(scanner, "STAT_DENIED_IS_THE_FOLDERS", True)
    assert _unreadable_notes(told) == [f"2 folders could not be read, their tracks left as they were: {folder}…"]


def test_a_scan_says_how_many_tracks_it_found_at_a_new_place(qtbot, store, music, make_window, tmp_path):
    # The library's disk mounted at another place, and that place added: the songs kept
    # their history without a word, and looked like new ones.
    window = make_window(store, with_player=False)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    elsewhere = tmp_path / "mounted-elsewhere"
    music.rename(elsewhere)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(elsewhere)])
    assert "8 tracks found at a new place, with their plays and stars" in window.statusBar().currentMessage()
