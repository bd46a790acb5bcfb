"""The library's disk is full as songs play: the window says plays cannot be saved, and stops
saying it once they are written."""

from PySide6.QtWidgets import QLabel

from player.playback import Player
from tests import full_disk


def said(window) -> str:
    """What the status bar shows: its message and the notes beside it."""
    bar = window.statusBar()
    notes = [label.text() for label in bar.findChildren(QLabel) if label.isVisible()]
    return " | ".join([bar.currentMessage(), *notes])


def test_plays_a_full_disk_refuses_are_shown_in_the_status_bar_until_written(qtbot, scanned, make_window):
    # The start of a play refused by SQLite itself (a trigger), as a full disk refuses it: the
    # window said nothing (the log alone did) and the play was lost.
    window = make_window(scanned)
    player = window.player
    full_disk.refuse(scanned, "INSERT")
    assert "cannot be saved" not in said(window)
    player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "1 play kept" in said(window) and "full" in said(window)
    # (the kept file is on the full disk too: quitting can lose them, and says so)
    assert "quitting Segue before there is room loses" in window.unsaved_note.toolTip()
    assert scanned.plays() == []
    full_disk.allow(scanned, "INSERT")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1


def test_a_library_that_cannot_be_written_for_want_of_anything_but_room_is_not_called_full(qtbot, scanned,
                                                                                           make_window):
    # Refused as read-only (a library folder mounted read-only, say): the note said the disk was
    # full, and freeing space would not have helped. SQLite itself refuses (query_only).
    window = make_window(scanned)
    scanned.execute("PRAGMA query_only = ON")
    window.player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "cannot be written. 1 play kept" in said(window) and "full" not in said(window)
    assert "full" not in window.unsaved_note.toolTip()
    scanned.execute("PRAGMA query_only = OFF")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1


def test_plays_a_failing_disk_refuses_are_said_to_be_the_disks_as_the_commands_say(qtbot, scanned, make_window):
    # SQLite's "disk I/O error" (a disk put back read-only after an error, pulled out): a command
    # said "the disk that holds it failed ... Check the disk", the note "the library cannot be
    # written", with no word of the disk. SQLite itself refuses the plays (a trigger, in every
    # connection, with SQLite's words).
    window = make_window(scanned)
    scanned.execute("CREATE TRIGGER io_error BEFORE INSERT ON plays BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    window.player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "the disk that holds the library failed. 1 play kept" in said(window), said(window)
    tip = window.unsaved_note.toolTip()
    assert "full" not in said(window) and "full" not in tip
    assert "Check the disk" in tip and "disk I/O error" in tip, tip
    # (the file beside the library was written: quitting leaves them there, if that disk takes them)
    assert "in a file beside the library" in tip, tip
    scanned.execute("DROP TRIGGER io_error")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1


def test_the_listening_tab_counts_the_kept_plays_once_they_are_written(qtbot, scanned, make_window):
    # It showed them only at the next song's start or end after they were written.
    window = make_window(scanned)
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    overview = window.listening.view.overview
    qtbot.waitUntil(lambda: overview.summary is not None, timeout=10000)
    assert "No plays yet" in overview.headline.text()
    full_disk.refuse(scanned, "INSERT")
    window.player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    qtbot.waitUntil(lambda: window.player.position > 0.1, timeout=5000)    # (heard: a play)
    window.player.stop()                        # ended while kept: the tab reads no play yet
    qtbot.wait(300)
    assert "No plays yet" in overview.headline.text()
    full_disk.allow(scanned, "INSERT")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    qtbot.waitUntil(lambda: "No plays yet" not in overview.headline.text(), timeout=5000)


def test_where_a_long_track_was_left_a_full_disk_refuses_is_said_until_written(qtbot, scanned, make_window,
                                                                              monkeypatch):
    # Its play written, its place refused: the note counted plays alone and said nothing, and
    # quitting lost where the chapter was left. (3 s tracks stand in for long ones here.)
    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 2.0)
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.2)
    window = make_window(scanned)
    player = window.player
    chapter, song = (t["id"] for t in scanned.tracks()[:2])
    full_disk.refuse(scanned, "INSERT", "resume_positions")
    player.play_tracks([chapter])
    qtbot.waitUntil(lambda: player.position > 0.5, timeout=5000)
    player.play_tracks([song])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "the disk is full. Where 1 long track was left kept until there is room" in said(window)
    assert player.unsaved_plays == 0 and scanned.resume_position(chapter) is None
    full_disk.allow(scanned, "INSERT", "resume_positions")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert scanned.resume_position(chapter) > 0.5


def test_a_kept_play_stays_counted_through_a_reload_and_is_counted_once_when_written(qtbot, scanned, make_window):
    # The window counts a play as it starts ("plays:0" no longer finds the song); one the disk
    # refused is not in the library the next reload reads, and the count lost it until the
    # next recount after it was written.
    window = make_window(scanned)
    track = scanned.tracks()[0]["id"]
    played = "plays:>=1"

    def found() -> list[int]:
        window.model.set_filter(played)
        return window.model.visible_ids()

    full_disk.refuse(scanned, "INSERT")
    window.player.play_tracks([track])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    qtbot.waitUntil(lambda: found() == [track], timeout=5000)
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    assert found() == [track]
    full_disk.allow(scanned, "INSERT")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    window.model.set_filter("plays:2")          # (written, it is in what is read: not counted twice)
    assert window.model.visible_ids() == [] and found() == [track]


def test_a_kept_play_written_while_another_waits_is_counted_once_through_a_reload(qtbot, scanned, make_window):
    # Two plays refused; the disk then takes the first (oldest first) and not the second. The
    # reload reads the first from the store, and the window counted it by hand as well: twice,
    # for as long as the second waited.
    window = make_window(scanned)
    first, second = (t["id"] for t in scanned.tracks()[:2])
    full_disk.refuse(scanned, "INSERT")
    window.player.play_tracks([first])
    qtbot.waitUntil(lambda: "1 play kept" in said(window), timeout=5000)
    qtbot.waitUntil(lambda: window.player.position > 0.1, timeout=5000)    # (heard: a play)
    window.player.play_tracks([second])
    qtbot.waitUntil(lambda: "2 plays kept" in said(window), timeout=5000)
    # (room for the first song's play only: the second's still refused as a full disk refuses it)
    scanned.execute(f"CREATE TRIGGER no_room_second BEFORE INSERT ON plays WHEN NEW.track_id = {second} "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    full_disk.allow(scanned, "INSERT")
    qtbot.waitUntil(lambda: "1 play kept" in said(window), timeout=5000)
    assert [p["track_id"] for p in scanned.plays()] == [first]
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    window.model.set_filter("plays:1")
    assert sorted(window.model.visible_ids()) == sorted([first, second])


def test_a_play_another_process_refuses_for_a_moment_is_not_said_to_be_unsaved(qtbot, scanned, make_window,
                                                                                 monkeypatch):
    # Another process's write (a `segue` command, the learner) holding the library as a play
    # starts: the play is kept and written at the next tick. The note that plays cannot be
    # saved, and that quitting loses them, flashed up for that moment: alarming for nothing.
    from tests.player.test_playback import _library_held

    # (the look again made 10 s away, the ticks left at 0.2 s: a loaded machine slow to write
    # the play at the next tick cannot make the note show)
    monkeypatch.setattr(Player, "progress_interval_s", property(lambda self: 5.0))
    window = make_window(scanned)
    player = window.player
    shown_at = []       # (whether the note showed as each count came)
    window.bridge.plays_unsaved.connect(lambda data: shown_at.append(window.unsaved_note.isVisible()))
    with _library_held(scanned):
        player.play_tracks([scanned.tracks()[0]["id"]])
        assert player.unsaved_plays == 1
        qtbot.waitUntil(lambda: len(shown_at) == 1, timeout=5000)
    qtbot.waitUntil(lambda: len(shown_at) == 2 and len(scanned.plays()) == 1, timeout=5000)
    assert shown_at == [False, False]
    assert "cannot be saved" not in said(window)


def test_plays_another_process_refuses_past_a_tick_are_said_to_be_unsaved_until_written(qtbot, scanned,
                                                                                        make_window):
    # Held past a tick (a long import), the note is said as before, and goes once they are written.
    from tests.player.test_playback import _library_held

    window = make_window(scanned)
    player = window.player
    with _library_held(scanned):
        player.play_tracks([scanned.tracks()[0]["id"]])
        qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=10000)
        assert "the library cannot be written. 1 play kept until it can" in said(window)
        # Kept in the file beside the library: quitting loses nothing, the next start writes them.
        tip = window.unsaved_note.toolTip()
        assert "written at the next start" in tip and "loses" not in tip and "full" not in tip
        assert player.unsaved_plays == 1
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1


def test_the_window_goes_from_the_screen_before_closing_waits_for_a_library_another_process_holds(
        qtbot, scanned, make_window):
    # Closing saves the player's state and its last play on the GUI thread, each waiting a
    # moment for a library another process holds: the window stayed on screen meanwhile, Quit
    # seemingly ignored for seconds. It is hidden first; what the library refuses is kept.
    import time

    from player.kept_plays import journal_path
    from tests.player.test_playback import _library_held

    window = make_window(scanned)
    player = window.player
    window._owns_player = True          # (as the window's own player, opened by it, is closed with it)
    player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: player.position > 0.3 and bool(scanned.plays()), timeout=5000)
    closing = player.close
    seen = []

    def close_seen():
        seen.append(window.isVisible())
        closing()

    player.close = close_seen
    with _library_held(scanned):
        began = time.monotonic()
        window.close()
        took = time.monotonic() - began
    print(f"the window's close took {took:.2f} s")
    assert seen == [False]
    assert journal_path(scanned.path).exists()      # (the play's end refused: kept for the next start)


def test_a_full_disk_said_while_a_busy_refusal_waits_to_be_said_stays_said_as_full(qtbot, scanned, make_window,
                                                                                   monkeypatch):
    # A play refused as another process held the library, then one refused for a full disk
    # before the first was looked at again: that look put the older reason back, and the note
    # said the library could not be written, where freeing space is what helps.
    from tests.player.test_playback import _library_held

    monkeypatch.setattr(Player, "progress_interval_s", property(lambda self: 1.5))    # (a 3 s look again)
    window = make_window(scanned)
    player = window.player
    first, second = (t["id"] for t in scanned.tracks()[:2])
    full_disk.refuse(scanned, "INSERT")
    with _library_held(scanned):
        player.play_tracks([first])
        qtbot.waitUntil(lambda: window._unsaved_busy.isActive(), timeout=5000)
    # (let go, the next tick finds the disk full: the count the same, nothing is told yet)
    qtbot.waitUntil(lambda: "full" in player._unsaved_why, timeout=5000)
    player.play_tracks([second])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "full" in said(window)
    qtbot.waitUntil(lambda: not window._unsaved_busy.isActive(), timeout=10000)
    qtbot.wait(50)      # (a timeout due now is handled)
    assert "the disk is full" in said(window)


def test_plays_kept_where_the_file_beside_the_library_cannot_be_written_either_are_said_to_be_lost_by_quitting(
        qtbot, scanned, make_window):
    # A library that cannot be written (a disk put back read-only after an error), and the
    # folder beside it neither: the note's tip said quitting would leave the plays in a file
    # there, written at the next start, and quitting lost them. SQLite itself refuses the
    # plays (a trigger, in every connection); the kept file's place is taken by a folder.
    from player.kept_plays import journal_path

    window = make_window(scanned)
    kept = journal_path(scanned.path)
    kept.mkdir()
    scanned.execute("CREATE TRIGGER read_only BEFORE INSERT ON plays "
                    "BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END")
    window.player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "cannot be saved" in said(window), timeout=5000)
    assert "cannot be written. 1 play kept" in said(window) and "full" not in said(window)
    qtbot.waitUntil(lambda: "loses" in window.unsaved_note.toolTip(), timeout=5000)
    assert "written at the next start" not in window.unsaved_note.toolTip()
    kept.rmdir()
    # (the file written again: quitting now leaves them there)
    qtbot.waitUntil(lambda: "written at the next start" in window.unsaved_note.toolTip(), timeout=5000)
    assert "loses" not in window.unsaved_note.toolTip()
    scanned.execute("DROP TRIGGER read_only")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
    assert len(scanned.plays()) == 1


def test_a_refusal_told_late_by_another_thread_does_not_put_its_reason_under_the_kind_of_now(qtbot, scanned,
                                                                                             make_window):
    # Two threads tell of refusals (a skip on the GUI thread, the progress thread's try): the
    # event of an earlier busy refusal can come after that of the full disk of now. The note
    # took the kind from the player and the reason from the event: "the disk is full
    # (database is locked)".
    window = make_window(scanned)
    full_disk.refuse(scanned, "INSERT")
    window.player.play_tracks([scanned.tracks()[0]["id"]])
    qtbot.waitUntil(lambda: "the disk is full" in said(window), timeout=5000)
    window.bridge.plays_unsaved.emit({"count": 1, "places": 0, "why": "database is locked", "kind": "busy",
                                      "kept": True})
    assert "the disk is full" in said(window)
    assert "database or disk is full" in window.unsaved_note.toolTip()
    assert "locked" not in window.unsaved_note.toolTip()
    full_disk.allow(scanned, "INSERT")
    qtbot.waitUntil(lambda: "cannot be saved" not in said(window), timeout=5000)
