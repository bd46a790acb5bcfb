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
