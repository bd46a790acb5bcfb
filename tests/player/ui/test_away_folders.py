"""A library folder whose disk is unplugged while the window is open: its songs that Segue
suggested leave Up next and Discover, no refill or station offers them while it is away (each
would fail to play), what the person queued stays, and once the disk is back they are offered
again."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from player.library.scanner import Scanner
from player.ui.queue_panel import ENTRY_ROLE
from player.ui.two_line import REASON_ROLE, SUBTITLE_ROLE
from tests.audiogen import write_track
from tests.player.ui.conftest import TRACKS, open_settings
from tests.player.ui.test_never_suggest import _discover_ids, _refill, _start_paused, _window


def _greyed(window) -> set[int]:
    model = window.model
    return {model.track_id(r) for r in range(model.rowCount())
            if model.index(r, 1).data(Qt.ItemDataRole.ForegroundRole) is not None}


@pytest.mark.parametrize("kind", ["plain", "learning"])
def test_the_songs_of_a_disk_unplugged_leave_the_suggestions_until_it_is_back(qtbot, scanned, music, make_window,
                                                                              kind):
    disk = music.with_name("usb-disk")
    for i in range(4):
        write_track(disk, f"d{i}", fmt="flac", seconds=3.0, freq=300.0 + 30 * i,
                    tags={"title": f"Disk Song {i}", "artist": "Disk Band", "album": "Portable", "genre": "Rock"})
    Scanner(scanned).scan([str(disk)])
    on_disk = {t["id"] for t in scanned.tracks() if t["artist"] == "Disk Band"}
    window = _window(qtbot, lambda store: make_window(store, follow=True), scanned, kind)
    qtbot.waitUntil(lambda: window._scan is None and str(disk) in window.folder_watch.watched(), timeout=20000)
    window.folder_watch.quiet_ms = window.folder_watch.look_again_ms = 200
    _start_paused(qtbot, window, window.model.track_id(0))
    mine = next(t["id"] for t in scanned.tracks() if t["title"] == "Disk Song 0")
    window.enqueue([mine])                                  # the person's own pick from the disk
    window.up_next.keep_going.setChecked(True)
    # Twelve songs, one playing: the ten suggested hold at least one of the disk's three others.
    qtbot.waitUntil(lambda: sum(not e.manual for e in window.player.queue) >= 10, timeout=10000)
    assert on_disk & {e.track_id for e in window.player.queue if not e.manual}
    assert on_disk & _discover_ids(qtbot, window)
    assert _greyed(window) == set()

    away = disk.with_name("unplugged")
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        disk.rename(away)
    qtbot.waitUntil(lambda: not on_disk & {e.track_id for e in window.player.queue if not e.manual}, timeout=5000)
    assert [e.track_id for e in window.player.queue if e.manual] == [mine]      # the person's pick stays
    rows = window.up_next.rows
    qtbot.waitUntil(lambda: [rows.index(r).data(REASON_ROLE) for r in range(rows.rowCount())
                             if rows.index(r).data(ENTRY_ROLE).track_id == mine]
                    == [f"On {disk}, not connected now"], timeout=5000)      # and says where it is
    assert window.model.rowCount() == len(scanned.tracks())                   # listed still, greyed
    assert _greyed(window) == on_disk
    row = window.model.index(window.model.row_of(mine), 1)
    assert row.data(Qt.ItemDataRole.ToolTipRole) == f"Disk Song 0\nFLAC file in {disk}\nNot connected now"
    assert scanned.away_track_ids() == on_disk
    assert not on_disk & set(_refill(window))
    assert not on_disk & _discover_ids(qtbot, window)
    seed = next(t["id"] for t in scanned.tracks() if t["genre"] == "Rock" and t["id"] not in on_disk
                and t["id"] != window.player.current_track_id)
    window.start_radio(seed)                                # a station of the disk's genre
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 1, timeout=10000)
    window.pause()
    # The station has none of the disk's songs; the one queued by hand stays, first.
    assert not on_disk & {e.track_id for e in window.player.queue if e.source != "queue"}
    assert [e.track_id for e in window.player.queue if e.source == "queue"] == [mine]
    # A double-click on a row before the disk's (in library order): the rows after it are
    # queued, leaving out the disk's songs, which would fail one after another.
    window.up_next.keep_going.setChecked(False)
    model, table = window.model, window.library.table
    row = min(model.row_of(t) for t in on_disk) - 1
    assert row >= 0 and not model.is_away(row)
    rect = table.visualRect(model.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    expected = [model.track_id(r) for r in range(row + 1, model.rowCount()) if model.track_id(r) not in on_disk]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == [mine] + expected, timeout=10000)
    window.pause()
    # So does any list played (a playlist, Discover, the Listening tab's): the song asked for
    # plays, and what follows it is the list without the disk's songs.
    home = expected[:3]
    other = next(t for t in sorted(on_disk) if t != mine)
    window.play_ids([other, home[0], mine, home[1], home[2]], 1, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == home[0]
                    and [e.track_id for e in window.player.queue] == [mine] + home[1:], timeout=10000)
    window.pause()
    # Played by the person from the library, a song of the disk says why it cannot play.
    window.play_ids([mine], 0, "library")
    note = f"Could not play “Disk Song 0” by Disk Band: it is on {disk}, not connected now"
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == note, timeout=10000)
    window.pause()

    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        away.rename(disk)                                   # plugged in again: found by the look every while
    assert scanned.away_track_ids() == set()
    assert window.statusBar().currentMessage() == f"Connected again: {disk} (its songs play, and are suggested, again)"
    qtbot.waitUntil(lambda: not _greyed(window), timeout=10000)
    qtbot.waitUntil(lambda: bool(on_disk & _discover_ids(qtbot, window)), timeout=10000)
    assert on_disk & set(_refill(window))


def test_a_song_that_cannot_be_played_is_named_with_its_error(qtbot, scanned, music, make_window):
    import os

    window = make_window(scanned)
    broken = music / "Folk" / "f1.flac"                     # "River Song", damaged since the scan
    broken.write_bytes(b"fLaC" + os.urandom(4096))
    window.play_ids([scanned.track_by_path(str(broken))["id"]], 0, "library")
    said = "Could not play “River Song” by Hollow Pines: "
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(said), timeout=10000)
    message = window.statusBar().currentMessage()
    # Said once: the decoder's reason ("cannot play f1.flac: …") read after the song's name
    # as the same words twice. The file's place is for the tooltip: in the bar it hid the
    # reason in a narrow window.
    assert message.startswith(f"{said}damaged FLAC file") and "f1.flac" not in message, message
    assert message.count("play") == 1 and str(music) not in message, message
    assert window.statusBar().toolTip() == f"{message}\n{broken}"
    window.statusBar().clearMessage()
    assert window.statusBar().toolTip() == ""


def test_a_right_to_left_override_in_a_tag_leaves_the_reason_after_it_the_right_way_round(scanned, make_window):
    window = make_window(scanned)
    # A file played from outside the library, named by its tags as read: a title whose
    # override is never closed, an artist in Arabic.
    window.outside_names[987654] = ("\u202eEvil", "فيروز", "")
    window.bridge.error.emit({"track_id": 987654, "path": "/far/away/x.mp3", "message": "no audio in it"})
    assert window.statusBar().currentMessage() == \
        "Could not play “\u2068\u202eEvil\u2069” by \u2068فيروز\u2069: no audio in it"


def _disk_away_at_the_last_run(scanned, music):
    """A second library folder whose disk the last run's scan found not connected; its tracks."""
    disk = music.with_name("usb-disk")
    for i in range(2):
        write_track(disk, f"d{i}", fmt="flac", seconds=3.0, freq=300.0 + 30 * i,
                    tags={"title": f"Disk Song {i}", "artist": "Disk Band", "album": "Portable", "genre": "Rock"})
    Scanner(scanned).scan([str(disk)])
    disk.rename(disk.with_name("unplugged"))
    Scanner(scanned).scan()
    assert scanned.away_track_ids()
    return disk, scanned.away_track_ids()


def test_a_disk_away_since_the_last_run_is_greyed_at_the_start_with_following_off(qtbot, scanned, music,
                                                                                  make_window):
    # No look at the folders at the start (the person turned following off): the window
    # still knows from the last scan which songs cannot play.
    disk, on_disk = _disk_away_at_the_last_run(scanned, music)
    window = make_window(scanned)
    qtbot.waitUntil(lambda: _greyed(window) == on_disk, timeout=10000)
    assert window._scan is None
    window.play_ids([window.model.track_id(r) for r in range(window.model.rowCount())], 0, "library")
    qtbot.waitUntil(lambda: len(window.player.queue) == len(TRACKS) - 1, timeout=10000)
    assert not on_disk & {e.track_id for e in window.player.queue}


def test_a_folder_removed_in_settings_while_its_disk_is_away_leaves_the_library_and_scans_go_on(
        qtbot, scanned, music, make_window):
    disk, on_disk = _disk_away_at_the_last_run(scanned, music)
    window = make_window(scanned, follow=True)
    qtbot.waitUntil(lambda: window._scan is None and _greyed(window) == on_disk, timeout=20000)
    dialog = open_settings(qtbot, window)
    folders = dialog.folders
    tips = [folders.list.item(i).toolTip() for i in range(folders.list.count())]
    assert [bool(tip) for tip in tips] == [f == str(disk) for f in folders.folders()]     # the away one says so
    assert tips[folders.folders().index(str(disk))].startswith("Not there or empty at the last look")
    folders.list.item(folders.folders().index(str(disk))).setSelected(True)
    folders.remove_btn.click()
    assert folders.folders() == [str(music)]
    with qtbot.waitSignal(window.scan_finished, timeout=20000) as finished:
        dialog.accept()
    assert finished.args[0] is not None and not isinstance(finished.args[0], Exception)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(TRACKS), timeout=10000)
    assert window.away_tracks == {} and _greyed(window) == set()
    write_track(music / "Folk", "f2", fmt="flac", tags={"title": "Copied In", "artist": "Hollow Pines"})
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()                                     # the scans after it go on
    qtbot.waitUntil(lambda: window.model.rowCount() == len(TRACKS) + 1, timeout=10000)


#: how long five damaged files in a row may take to be tried, each by ffprobe and ffmpeg
SLOW_OPENS_MS = 40000


def test_after_five_songs_in_a_row_that_cannot_play_the_window_says_why_it_stopped(qtbot, scanned, music,
                                                                                     make_window):
    import os

    from player.playback import MAX_CONSECUTIVE_ERRORS

    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    for t in ids:
        with open(scanned.track(t)["path"], "wb") as f:        # a folder of damaged files
            f.write(os.urandom(4096))
    window.play_ids(ids, 0, "library")
    # Each damaged file costs an ffmpeg and an ffprobe (a second or two on a busy machine,
    # seen: 3.5 s from one error to the next): the waits are for that many of them.
    fifth = window._info(ids[MAX_CONSECUTIVE_ERRORS - 1])[0]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Stopped: {MAX_CONSECUTIVE_ERRORS} songs in a row "
                    f"could not be played (the last: “{fifth}”)", timeout=SLOW_OPENS_MS)
    assert len(window.up_next.track_ids()) == len(ids) - MAX_CONSECUTIVE_ERRORS     # the rest kept
    assert window.problems_link.isVisibleTo(window)                                 # the way to their errors
    # One of them on repeat: tried once, and named.
    window.player.set_repeat("all")
    window.play_ids(ids[:1], 0, "library")
    first = window._info(ids[0])[0]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Stopped: “{first}” could not be played",
                    timeout=SLOW_OPENS_MS)
    window.play_ids(ids[:3], 0, "library")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Stopped: none of the 3 songs repeated could be "
                    f"played (the last: “{window._info(ids[2])[0]}”)", timeout=SLOW_OPENS_MS)


def test_the_rest_of_an_album_playing_from_a_disk_unplugged_leaves_up_next(qtbot, scanned, music, make_window):
    # The person double-clicked a song of the disk's album, and queued another of its songs
    # by hand. The disk is pulled: the album's other songs leave Up next (each would fail in
    # turn), the rows after it from the other folder stay, and so does the song queued by hand.
    disk = music.with_name("usb-disk")
    for i in range(4):
        write_track(disk, f"d{i}", fmt="flac", seconds=3.0, freq=300.0 + 30 * i,
                    tags={"title": f"Disk Song {i}", "artist": "Disk Band", "album": "Portable",
                          "tracknumber": str(i + 1)})
    Scanner(scanned).scan([str(disk)])
    on_disk = {t["id"] for t in scanned.tracks() if t["artist"] == "Disk Band"}
    window = make_window(scanned, follow=True)
    qtbot.waitUntil(lambda: window._scan is None and str(disk) in window.folder_watch.watched(), timeout=20000)
    window.folder_watch.quiet_ms = window.folder_watch.look_again_ms = 200
    model = window.model
    first = min(model.row_of(t) for t in on_disk)
    window.library._play_from(first)                        # as a double-click does
    playing = model.track_id(first)
    qtbot.waitUntil(lambda: window.player.current_track_id == playing, timeout=10000)
    window.pause()
    by_hand = next(t for t in on_disk if t != playing)
    window.enqueue([by_hand])
    after = [model.track_id(r) for r in range(first + 1, model.rowCount())]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == [by_hand] + after, timeout=5000)
    assert on_disk & set(after) and set(after) - on_disk

    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        disk.rename(disk.with_name("unplugged"))
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue]
                    == [by_hand] + [t for t in after if t not in on_disk], timeout=5000)


@pytest.mark.parametrize("order", ["player first", "library first"])
def test_a_list_left_queued_from_a_disk_away_since_the_last_run_comes_back_without_its_songs(
        qtbot, scanned, music, make_window, order):
    from player.audio.null_engine import NullEngine
    from player.playback import Player

    disk = music.with_name("usb-disk")
    for i in range(3):
        write_track(disk, f"d{i}", fmt="flac", seconds=3.0, freq=300.0 + 30 * i,
                    tags={"title": f"Disk Song {i}", "artist": "Disk Band", "album": "Portable"})
    Scanner(scanned).scan([str(disk)])
    on_disk = {t["id"] for t in scanned.tracks() if t["artist"] == "Disk Band"}
    home = [t["id"] for t in scanned.tracks() if t["id"] not in on_disk]
    window = make_window(scanned)
    mixed = [home[0], *sorted(on_disk), *home[1:3]]
    window.play_ids(mixed, 0, "library")
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == mixed[1:], timeout=10000)
    window.pause()
    window.close()                                          # the queue is kept for the next start
    window.player.close()
    disk.rename(disk.with_name("unplugged"))
    Scanner(scanned).scan()                                 # (as `segue scan` would find it)
    # Following off: no look at the start. The app opens the sound card on a worker, before or
    # after the library has loaded.
    if order == "player first":
        window = make_window(scanned)
        player = window.player
    else:
        window = make_window(scanned, with_player=False)
        qtbot.waitUntil(lambda: set(window.away_tracks) == on_disk, timeout=10000)
        player = Player(scanned, NullEngine(), progress_interval_s=0.2)
        window.attach_player(player)
    try:
        qtbot.waitUntil(lambda: window.restored and [e.track_id for e in player.queue] == home[1:3],
                        timeout=10000)
    finally:
        window.close()
        player.close()


def test_a_playlist_says_which_of_its_songs_are_on_a_disk_away_and_queues_only_the_others(qtbot, scanned, music,
                                                                                           make_window):
    disk, on_disk = _disk_away_at_the_last_run(scanned, music)
    here = [t["id"] for t in scanned.tracks() if t["id"] not in on_disk][:2]
    away = sorted(on_disk)[:2]
    pid = scanned.create_playlist("Road trip", [here[0], away[0], here[1], away[1]])
    window = make_window(scanned)
    lists, entries = window.playlists.lists, window.playlists.entries
    qtbot.waitUntil(lambda: lists.count() == 1 and entries.count() == 4, timeout=10000)
    assert lists.item(0).text() == "Road trip  (4, 2 not connected now)"
    subtitles = [entries.item(i).data(SUBTITLE_ROLE) for i in range(4)]
    assert [s.startswith(f"On {disk}, not connected now: ") for s in subtitles] == [False, True, False, True]
    window.enqueue_playlist(pid)
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == here, timeout=10000)
    qtbot.waitUntil(lambda: "2 songs of this playlist not queued" in window.statusBar().currentMessage(),
                    timeout=5000)
    # Connected again: the counts and the entries read as any others.
    away_name = disk.with_name("unplugged")
    away_name.rename(disk)
    window.rescan()
    qtbot.waitUntil(lambda: lists.item(0).text() == "Road trip  (4)", timeout=20000)
    qtbot.waitUntil(lambda: not any(entries.item(i).data(SUBTITLE_ROLE).startswith("On ") for i in range(4)),
                    timeout=5000)
