"""The queue, Keep it going, the last track and its position come back at the next start."""

from __future__ import annotations

import time

import pytest

from player.audio.base import PlaybackState


def test_queue_keep_going_track_and_position_are_restored(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(5)]
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.enqueue(ids[2:5])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[2:5], timeout=5000)
    window.up_next.keep_going.setChecked(True)
    # Paused first, then moved: moved first, the track would play on from 1.5 s for as long as
    # the pause took to come (on a busy machine, past the check below), and the wait would pass.
    window.pause()
    window._command(lambda p: p.seek(1.5))
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED and abs(window.player.position - 1.5) < 0.05,
                    timeout=5000)
    queued = [(e.track_id, e.source) for e in window.player.queue]   # Keep it going may have added some
    window.close()
    window.player.close()

    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    assert [(e.track_id, e.source) for e in again.player.queue] == queued
    assert again.up_next.keep_going.isChecked() and again.player.keep_going
    qtbot.waitUntil(lambda: again.up_next.track_ids() == [t for t, _ in queued], timeout=5000)
    # Shown as the current track at its position, not playing yet.
    title = window.model.index(window.model.row_of(ids[0]), 1).data()
    assert again.transport.title.text() == title
    assert abs(again.transport.slider.value() - 1500) <= 150
    assert again.player.state == PlaybackState.STOPPED and again.player.current_track_id is None
    plays_before = len(scanned.plays())
    asked = time.monotonic()
    again.act_play.trigger()                                     # Space resumes it there
    qtbot.waitUntil(lambda: again.player.current_track_id == ids[0], timeout=5000)
    # (and plays on from there in real time, for however long this thread was kept from running)
    assert 1.3 <= again.player.position < 2.5 + (time.monotonic() - asked)
    assert [(e.track_id, e.source) for e in again.player.queue] == queued     # the queue is not replaced
    qtbot.waitUntil(lambda: len(scanned.plays()) == plays_before + 1, timeout=5000)


def test_a_fresh_start_with_nothing_saved_and_a_vanished_track(qtbot, scanned, make_window):
    from player.playback import STATE_SETTING

    gone = scanned.tracks()[0]["id"]
    keep = scanned.tracks()[1]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [[gone, "queue", True], [keep, "up_next", False]],
                                        "keep_going": False, "current": [gone, "library", True, 1.0],
                                        "station": gone})
    scanned.mark_missing([gone])
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    assert [(e.track_id, e.source, e.manual) for e in window.player.queue] == [(keep, "up_next", False)]
    assert window.player.cued is None and window.transport.title.text() == "Nothing playing"
    assert window.station is None and window.player.station_seed is None     # from a song gone: it ends
    # and the window says so (it ended unsaid, the songs after the queue Up next's)
    assert "station ended" in window.statusBar().currentMessage()
    scanned.set_setting(STATE_SETTING, "garbage")
    from player.audio.null_engine import NullEngine
    from player.playback import Player

    player = Player(scanned, NullEngine())
    try:
        assert player.restore_state() is None and player.queue == []
    finally:
        player.close()
    # A station unreadable ends; the queue comes back without it.
    scanned.set_setting(STATE_SETTING, {"queue": [[keep, "radio", False]], "keep_going": True, "current": None,
                                        "station": "x"})
    player = Player(scanned, NullEngine())
    try:
        player.restore_state()
        assert [e.track_id for e in player.queue] == [keep] and player.station_seed is None
    finally:
        player.close()
    # A player that never restored (``segue play``) leaves the window's saved state alone.
    scanned.set_setting(STATE_SETTING, {"queue": [[keep, "queue", True]], "keep_going": True, "current": None})
    cli = Player(scanned, NullEngine())
    cli.play_tracks([keep], source="cli")
    cli.close()
    assert scanned.get_setting(STATE_SETTING)["queue"] == [[keep, "queue", True]]


def test_a_station_that_ends_at_the_start_is_said_once_and_saved_ended(qtbot, scanned, make_window):
    # Its song deleted while Segue was closed, the station ends at the start and the window
    # says so. The player took the state it restored for the state saved, though it left the
    # station out: closed with nothing changed, the store still named the station, and every
    # start after ended it, and said so, again.
    from player.playback import STATE_SETTING

    seed = next(t for t in scanned.tracks() if t["title"] == "Stone Road")["id"]
    keep = next(t for t in scanned.tracks() if t["id"] != seed)["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [[keep, "radio", False]], "keep_going": True, "current": None,
                                        "station": seed})
    scanned.mark_missing([seed])
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    assert window.statusBar().currentMessage() == ("The radio station ended: the song it started from is no longer "
                                                   "in the library. Up next goes on")
    assert "station" not in scanned.get_setting(STATE_SETTING)
    window.close()
    window.player.close()
    assert "station" not in scanned.get_setting(STATE_SETTING)
    assert [q[0] for q in scanned.get_setting(STATE_SETTING)["queue"]] == [keep]
    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    assert again.player.station_lost is None and again.statusBar().currentMessage() == ""


def test_radio_from_the_track_left_at_the_last_close_resumes_it_there(qtbot, scanned, make_window):
    from player.playback import STATE_SETTING

    seed = next(t["id"] for t in scanned.tracks() if t["title"] == "Stone Road")
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [seed, "search", True, 1.0]})
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    assert window.player.cued is not None and window.transport.radio_btn.isEnabled()
    window.transport.radio_btn.click()                          # "Radio" in the now-playing bar
    qtbot.waitUntil(lambda: window.player.current_track_id == seed, timeout=5000)
    assert window.player.position >= 0.9                        # from where it was left
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=5000)
    assert all(e.source == "radio" and not e.manual for e in window.player.queue)
    assert window.station is not None and window.station.seed == seed
    # Resumed as itself, as a station from a song playing now lets that play go on.
    assert [p["source"] for p in scanned.plays() if p["track_id"] == seed] == ["search"]
    # The station goes on after a restart: its songs came back in the queue, but the window
    # started with no station, and the songs after them were Up next's.
    queued = [(e.track_id, e.source) for e in window.player.queue]
    window.close()
    window.player.close()
    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    assert [(e.track_id, e.source) for e in again.player.queue] == queued
    assert again.station is not None and again.station.seed == seed
    # (as a skip asks: the suggestions queued are candidates again)
    assert {source for _t, source in again._fill_queue(again.player, replacing=2)} == {"radio"}
    again.play_ids([queued[0][0]], 0, "library")           # a list of another kind ends it, saved so too
    qtbot.waitUntil(lambda: again.player.current_track_id == queued[0][0], timeout=5000)
    again.close()
    again.player.close()
    assert "station" not in scanned.get_setting(STATE_SETTING)


def test_a_station_goes_on_after_a_restart_with_the_songs_skipped_in_it(qtbot, scanned, make_window):
    # Songs of a station skipped early, the window closed and opened again within the
    # listening session: the station steers away from them still, where the restart forgot
    # them and it played the same kind of song again. The song skipped as it began is not its.
    tracks = {t["title"]: t["id"] for t in scanned.tracks()}
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    # The songs play at a twentieth of real time, a minute each: at real time a song ran out in
    # its 3 s on a busy machine before the test moved on from it, and it was heard whole, not
    # skipped. (Paused as each begins, it plays on until the pause lands, later than the Next.)
    window.player.engine.speed = 0.05
    window.play_ids([tracks["River Song"]], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == tracks["River Song"], timeout=5000)
    window.start_radio(tracks["Stone Road"])
    qtbot.waitUntil(lambda: window.player.current_track_id == tracks["Stone Road"]
                    and len(window.player.queue) >= 2 and window.station.skip_mark is not None, timeout=10000)
    for _ in range(2):
        playing = window.player.current_track_id
        window.player.next()
        qtbot.waitUntil(lambda: window.player.current_track_id not in (None, playing), timeout=5000)
    skipped = window.station.skipped(window.player)
    assert len(skipped) == 2 and skipped[0] == tracks["Stone Road"]
    assert window.player.session_skips == [tracks["River Song"], *skipped]
    window.close()
    window.player.close()
    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    assert again.station is not None and again.station.seed == tracks["Stone Road"]
    assert again.station.skipped(again.player) == skipped


def test_forget_history_forgets_the_suggestions_passed_over_in_the_session(qtbot, scanned, make_window):
    # The suggestions taken out of the queue are kept for a restart within the session:
    # they say what was offered and turned down, history the person asked to forget. Kept
    # in the store, they came back at the next start; kept in the player, the next Clear
    # wrote them back.
    from player.playback import PASSED_SETTING

    ids = [t["id"] for t in scanned.tracks()]
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    player = window.player
    player.start_station(ids[0], ids[1:4])
    qtbot.waitUntil(lambda: player.current_track_id == ids[0] and len(player.queue) == 3, timeout=10000)
    player.clear_queue()
    assert set(scanned.get_setting(PASSED_SETTING)["ids"]) == set(ids[1:4]) == player.passed_over
    window.forget_history()
    qtbot.waitUntil(lambda: scanned.play_count() == 0, timeout=10000)
    qtbot.waitUntil(lambda: scanned.get_setting(PASSED_SETTING) is None and not player.passed_over, timeout=10000)
    player.start_station(ids[0], ids[4:6])
    qtbot.waitUntil(lambda: len(player.queue) == 2, timeout=10000)
    player.clear_queue()
    assert set(scanned.get_setting(PASSED_SETTING)["ids"]) == set(ids[4:6])


def test_forget_history_while_a_station_plays_begins_the_session_anew(qtbot, scanned, make_window):
    # "Forget my listening history" mid-station: the player kept the songs heard and the
    # skips made, and the next refill still kept them out and steered away from them. From
    # the forget on the session is new: the song playing plays on, and the station counts
    # only the skips made after it.
    tracks = {t["title"]: t["id"] for t in scanned.tracks()}
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    player = window.player
    window.play_ids([tracks["River Song"]], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == tracks["River Song"], timeout=5000)
    window.start_radio(tracks["Stone Road"])
    qtbot.waitUntil(lambda: player.current_track_id == tracks["Stone Road"]
                    and len(player.queue) >= 3 and window.station.skip_mark is not None, timeout=10000)
    player.next()
    qtbot.waitUntil(lambda: player.current_track_id not in (None, tracks["Stone Road"]), timeout=5000)
    playing = player.current_track_id
    assert window.station.skipped(player) == [tracks["Stone Road"]]
    window.forget_history()
    qtbot.waitUntil(lambda: scanned.play_count() == 0 and player.session_skips == [], timeout=10000)
    assert player.session == [playing] and player.skip_streak == 0
    assert window.station.skipped(player) == []
    for _ in range(2):          # the song begun before the forget, then one begun after it
        before = player.current_track_id
        player.next()
        qtbot.waitUntil(lambda: player.current_track_id not in (None, before), timeout=5000)
    assert window.station.skipped(player) == [before] and player.session_skips == [before]


def _station_on_a_song_with_a_copy(qtbot, scanned, make_window):
    """A station from "Stone Road" (played once), its file copied to another folder with its
    dates kept and scanned: (seed row, its file, the copy's track id, the window)."""
    import shutil
    from pathlib import Path

    from player.library.scanner import Scanner

    seed = next(t for t in scanned.tracks() if t["title"] == "Stone Road")
    scanned.log_plays([(seed["id"], 1_700_000_000.0, 3000, 3000, "finished", "library")])
    original = Path(seed["path"])
    (original.parent.parent / "Copies").mkdir()
    shutil.copy2(original, original.parent.parent / "Copies" / original.name)
    Scanner(scanned).scan()
    copy = scanned.track_by_path(str(original.parent.parent / "Copies" / original.name))["id"]
    window = make_window(scanned)
    window.start_radio(seed["id"])
    qtbot.waitUntil(lambda: window.player.station_seed == seed["id"] and len(window.player.queue) >= 2, timeout=10000)
    return seed, original, copy, window


def test_a_station_follows_its_seed_that_a_rescan_merged_into_its_copy(qtbot, scanned, make_window):
    # The seed's file copied to another folder (its dates kept), then deleted: a rescan gives
    # its history to the copy, and its track is gone. The station asked around the track
    # gone, found nothing and went quiet; its saved state named the track gone.
    from player.playback import STATE_SETTING

    import threading

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    original.unlink()
    # The player follows the merge under its lock, which a command holds through a database
    # write or an engine stop: the window tells it on the player's thread and goes on.
    taken, release = threading.Event(), threading.Event()

    def hold():
        with window.player._lock:
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(5)
        window.scan(None)
        qtbot.waitUntil(lambda: scanned.track(seed["id"]) is None and window._scan is None, timeout=20000)
        assert window.station.seed == copy and window.player.station_seed == seed["id"]
        assert not release.is_set()
    finally:
        release.set()
        holder.join()
    qtbot.waitUntil(lambda: window.player.station_seed == copy, timeout=5000)
    qtbot.waitUntil(lambda: {source for _t, source in window._fill_queue(window.player)} == {"radio"}, timeout=10000)
    window.close()
    window.player.close()
    assert scanned.get_setting(STATE_SETTING)["station"] == copy


def test_a_fill_that_began_before_a_rescan_merged_the_seed_leaves_the_station_on_the_copy(
        qtbot, scanned, make_window, monkeypatch):
    # A fill asked around the seed before the rescan merged it into its copy, and found its
    # neighbours; it came back after the window had followed the merge, and told the window
    # to turn back to the track merged away (the seed read a second time, now the copy): the
    # station, and the player's, named the gone track again.
    import threading

    from PySide6.QtWidgets import QApplication

    from player.playback import STATE_SETTING

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    radio, asked, go = window.provider.radio, threading.Event(), threading.Event()

    def held(*args, **kwargs):          # the filler's first ask that finds something waits
        recs = radio(*args, **kwargs)
        if recs and threading.current_thread().name == "queue-filler" and not asked.is_set():
            asked.set()
            assert go.wait(20)
        return recs

    monkeypatch.setattr(window.provider, "radio", held)
    window._command(lambda p: p.clear_queue())          # the filler asks the station again
    assert asked.wait(10)
    original.unlink()
    window.scan(None)
    qtbot.waitUntil(lambda: scanned.track(seed["id"]) is None and window._scan is None, timeout=20000)
    assert window.station.seed == copy
    # The player hears of the merge through a command on its own thread: waited for, not read at once.
    qtbot.waitUntil(lambda: window.player.station_seed == copy, timeout=5000)
    go.set()
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2, timeout=10000)
    QApplication.processEvents()        # what the fill told the window before its songs were queued
    assert window.station.seed == copy
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2, timeout=10000)
    assert window.station.seed == copy and window.player.station_seed == copy
    window.close()
    window.player.close()
    assert scanned.get_setting(STATE_SETTING)["station"] == copy


def test_a_station_follows_its_seed_that_a_scan_elsewhere_merged_into_its_copy(qtbot, scanned, make_window):
    # The same move, scanned by ``segue scan`` in a terminal (or another window): this window
    # did not run the scan, its fill found nothing around the track merged away, and the
    # station ended as if the song were deleted ("no longer in the library").
    from player.library.scanner import Scanner
    from player.playback import STATE_SETTING
    from player.store import Store

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    original.unlink()                                   # as the seed plays
    elsewhere = Store(scanned.path)
    Scanner(elsewhere).scan()
    elsewhere.close()
    assert scanned.track(seed["id"]) is None and scanned.live_track_id(seed["id"]) == copy
    window._command(lambda p: p.clear_queue())          # the filler asks the station again
    # The player may follow the merge first, on its own thread (the seed, armed before the
    # merge, heard after it); the window follows at the fill's word.
    qtbot.waitUntil(lambda: window.player.station_seed == copy and len(window.player.queue) >= 2
                    and window.station is not None and window.station.seed == copy, timeout=10000)
    assert {e.source for e in window.player.queue} == {"radio"}
    window.close()
    window.player.close()
    assert scanned.get_setting(STATE_SETTING)["station"] == copy


def test_a_fill_between_a_scan_elsewhere_marking_the_seed_missing_and_merging_it_leaves_the_station(
        qtbot, scanned, make_window, monkeypatch):
    # ``segue scan`` marks the moved seed missing, then merges it into its copy: a fill in
    # between found the seed missing and not merged, and the station ended for good (the
    # window cannot know of a scan in another process), though the song was in the library.
    import threading

    from player.library.scanner import Scanner
    from player.store import Store
    from tests.scan_hold import hold_scan

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    held = hold_scan(monkeypatch)
    held.merge.set()                # (the moves of new files; the seed's copy is not new)
    original.unlink()

    def scan_elsewhere():
        elsewhere = Store(scanned.path)
        Scanner(elsewhere).scan()
        elsewhere.close()

    scan = threading.Thread(target=scan_elsewhere)
    scan.start()
    assert held.merged.wait(20)
    assert scanned.track(seed["id"])["missing"] and scanned.live_track_id(seed["id"]) == seed["id"]
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2 and {e.source for e in window.player.queue} == {"up_next"}
                    and window._seed_waiting is not None, timeout=10000)        # (the fill's word came)
    held.finish.set()
    scan.join(20)
    assert scanned.live_track_id(seed["id"]) == copy
    assert window.station is not None
    window._seed_wait.stop()        # the look again, SEED_GRACE_MS after that fill, comes now
    window._look_at_seed()
    qtbot.waitUntil(lambda: window._seed_waiting is None and window.player.station_seed == copy, timeout=10000)
    assert window.station is not None and window.station.seed == copy
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2 and {e.source for e in window.player.queue} == {"radio"},
                    timeout=10000)


def test_a_look_at_the_seed_read_while_the_windows_scan_merges_it_leaves_the_station_to_the_scan(
        qtbot, scanned, make_window, monkeypatch):
    # The look again at a seed a fill found gone reads the store on a worker. A scan the
    # window started meanwhile marked the moved seed missing before it merged it into its
    # copy; the look read it in between and ended the station, which the scan then could
    # not take along to the copy (a look begun during the scan waits for it).
    import threading

    from player import workers
    from player.ui import playback_mixin
    from tests.scan_hold import hold_scan

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    seed_lost, reading, go = playback_mixin.seed_lost, threading.Event(), threading.Event()

    def held_look(*args):           # the look waits, its read not done, until the scan has begun
        reading.set()
        assert go.wait(20)
        return seed_lost(*args)

    monkeypatch.setattr(playback_mixin, "seed_lost", held_look)
    held = hold_scan(monkeypatch)
    held.merge.set()                # (the moves of new files; the seed's copy is not new)
    original.unlink()
    window.station_ended.emit((window.station, seed["id"]))     # as a fill that found it gone says
    assert window._seed_waiting is not None
    window._seed_wait.stop()        # the look again, SEED_GRACE_MS after that fill, comes now
    window._look_at_seed()
    assert reading.wait(10)
    try:
        window.scan(None)
        assert held.merged.wait(20)
        assert scanned.track(seed["id"])["missing"] and scanned.live_track_id(seed["id"]) == seed["id"]
        go.set()
        qtbot.waitUntil(lambda: not any(h.name == "station-seed" for h in workers._live), timeout=10000)
        assert window.station is not None and window.player.station_seed == seed["id"], messages
    finally:
        go.set()
        held.finish.set()
    qtbot.waitUntil(lambda: window._scan is None and scanned.live_track_id(seed["id"]) == copy, timeout=20000)
    assert window.station is not None and window.station.seed == copy
    qtbot.waitUntil(lambda: window.player.station_seed == copy, timeout=5000)
    assert not any("station ended" in m for m in messages), messages


def test_the_look_again_at_a_seed_is_not_made_after_the_window_closed(qtbot, scanned, make_window, monkeypatch):
    # The window closed while it waited to look at its station's seed again: its timer went
    # on, and the look ended the station in the player and said so in the closed window. The
    # station is saved with the seed as it was; the next start looks at the song itself.
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from tests.player.ui.conftest import settle_workers

    monkeypatch.setattr("player.ui.playback_mixin.SEED_GRACE_MS", 0)
    seed = next(t for t in scanned.tracks() if t["title"] == "Stone Road")
    window = make_window(scanned)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.start_radio(seed["id"])
    qtbot.waitUntil(lambda: window.player.station_seed == seed["id"] and len(window.player.queue) >= 2, timeout=10000)
    Path(seed["path"]).unlink()
    window.scan(None)
    qtbot.waitUntil(lambda: scanned.track(seed["id"])["missing"] and window._scan is None, timeout=20000)
    window.station_ended.emit((window.station, seed["id"]))     # as a fill that found it gone says
    window.close()                  # before the look (due at once) came
    for _ in range(3):
        QApplication.processEvents()
        settle_workers()
    assert window.player.station_seed == seed["id"]
    assert not any("station ended" in m for m in messages), messages


def test_a_station_whose_seed_was_deleted_hands_over_to_up_next(qtbot, scanned, make_window, monkeypatch):
    # Its filler found nothing around a seed no longer in the library, and the music stopped
    # with the queue; after a restart the station ends (its seed gone) and Up next goes on.
    from pathlib import Path

    from player.playback import STATE_SETTING

    monkeypatch.setattr("player.ui.playback_mixin.SEED_GRACE_MS", 200)
    seed = next(t for t in scanned.tracks() if t["title"] == "Stone Road")
    before = next(t for t in scanned.tracks() if t["title"] == "Blue Smoke")
    window = make_window(scanned)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.play_ids([before["id"]], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == before["id"], timeout=5000)
    window.start_radio(seed["id"])
    # (heard, its file open: a seed deleted before it began failed, and the next song played)
    qtbot.waitUntil(lambda: window.player.station_seed == seed["id"] and len(window.player.queue) >= 2
                    and window.player.current_track_id == seed["id"] and window.player.position > 0, timeout=10000)
    window._command(lambda p: p.pause())        # (the seed stays the session's latest song)
    song = Path(seed["path"]).read_bytes()
    Path(seed["path"]).unlink()
    window.scan(None)
    qtbot.waitUntil(lambda: scanned.track(seed["id"])["missing"] and window._scan is None, timeout=20000)
    # The next refill hands over: Up next goes on after the session's latest song still in the
    # library, not from the library's first song (the gone seed has no place in its order).
    # (The queue held every other song: a fill asked for more found none until songs were heard.)
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2 and {e.source for e in window.player.queue} == {"up_next"},
                    timeout=10000)
    assert [window._info(e.track_id)[0] for e in window.player.queue][:2] == ["Brushes", "Walking Bass"]
    # The station ends there, in the window as in the player, and the window says so: it went
    # on taking the station for playing, and saved it.
    qtbot.waitUntil(lambda: window.station is None and window.player.station_seed is None
                    and "station" not in scanned.get_setting(STATE_SETTING), timeout=5000)
    assert any("station ended" in m for m in messages), messages
    # The song back in the library, Up next goes on: the station is not taken up again.
    Path(seed["path"]).write_bytes(song)
    window.scan(None)
    qtbot.waitUntil(lambda: not scanned.track(seed["id"])["missing"] and window._scan is None, timeout=20000)
    assert {source for _t, source in window._fill_queue(window.player)} == {"up_next"}
    # A station whose song can no longer be read (its file overwritten with what no decoder
    # reads: the scan keeps the track with its error) ends too, and says why. Each refill
    # asked it first, found nothing and handed over to Up next; it stayed saved, never ended.
    window.start_radio(seed["id"])
    qtbot.waitUntil(lambda: window.player.station_seed == seed["id"] and len(window.player.queue) >= 2, timeout=10000)
    Path(seed["path"]).write_bytes(b"not a song at all" * 500)
    window.scan(None)
    qtbot.waitUntil(lambda: scanned.track(seed["id"])["last_error"] and window._scan is None, timeout=20000)
    qtbot.waitUntil(lambda: {source for _t, source in window._fill_queue(window.player)} == {"up_next"}, timeout=10000)
    qtbot.waitUntil(lambda: window.station is None and window.player.station_seed is None
                    and "station" not in scanned.get_setting(STATE_SETTING), timeout=5000)
    assert any("station ended" in m and "can no longer be read" in m for m in messages), messages
    window.close()
    window.player.close()
    assert "station" not in scanned.get_setting(STATE_SETTING)


def test_a_station_goes_on_when_its_seed_was_missing_only_between_two_scans(qtbot, scanned, make_window):
    # A sync program replaces the seed's file (deleted, then written again) and a scan comes
    # in between: the song is missing until the next scan finds it. The station ended for
    # good at the first fill, and said the song was no longer in the library.
    from pathlib import Path

    seed = next(t for t in scanned.tracks() if t["title"] == "Stone Road")
    window = make_window(scanned)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.start_radio(seed["id"])
    qtbot.waitUntil(lambda: window.player.station_seed == seed["id"] and len(window.player.queue) >= 2, timeout=10000)
    song = Path(seed["path"]).read_bytes()
    Path(seed["path"]).unlink()
    window.scan(None)
    qtbot.waitUntil(lambda: scanned.track(seed["id"])["missing"] and window._scan is None, timeout=20000)
    # (this fill hands over to Up next: the music goes on while the song is away)
    window._command(lambda p: p.clear_queue())
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2 and {e.source for e in window.player.queue} == {"up_next"},
                    timeout=10000)
    Path(seed["path"]).write_bytes(song)
    window.scan(None)
    qtbot.waitUntil(lambda: not scanned.track(seed["id"])["missing"] and window._scan is None, timeout=20000)
    assert window.station is not None, messages
    assert window._seed_waiting is not None         # the look again, SEED_GRACE_MS after the first fill, comes now
    window._seed_wait.stop()
    window._look_at_seed()
    qtbot.waitUntil(lambda: window._seed_waiting is None, timeout=10000)
    assert window.station is not None and window.station.seed == seed["id"]
    assert window.player.station_seed == seed["id"]
    window._command(lambda p: p.clear_queue())          # the next fill is the station's again
    qtbot.waitUntil(lambda: len(window.player.queue) >= 2 and {e.source for e in window.player.queue} == {"radio"},
                    timeout=10000)
    assert not any("station ended" in m for m in messages), messages


def test_previous_on_the_track_left_last_time_shows_it_back_at_its_start(qtbot, scanned, make_window):
    # Stopped, the seek bar's timer rests: Previous takes the cued track to its start with no
    # state changed and no song started, and the bar went on showing the place left last time.
    from player.playback import STATE_SETTING

    track = scanned.tracks()[0]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [track, "library", True, 2.0]})
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    slider = window.transport.slider
    assert abs(slider.value() - 2000) <= 150
    window.previous_track()
    qtbot.waitUntil(lambda: window.player.cued is not None and window.player.cued.position == 0.0, timeout=5000)
    assert window.player.state == PlaybackState.STOPPED
    qtbot.waitUntil(lambda: slider.value() < 100, timeout=5000)


def test_a_long_track_played_again_says_where_it_goes_on_and_previous_takes_it_to_its_start(
        qtbot, scanned, make_window, monkeypatch):
    # Lengths scaled down: the fixture's 3 s songs stand in for audiobook chapters (20 minutes
    # or more), left 1.6 s in. Played again, it goes on there, the window says so, and
    # Previous (as for any track a few seconds in) takes it back to its start.
    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 2.0)
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.3)
    track = scanned.tracks()[0]["id"]
    scanned.set_resume_position(track, 1.6)
    window = make_window(scanned)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.play_ids([track], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=5000)
    assert window.player.position >= 1.6
    qtbot.waitUntil(lambda: "Resumed at 0:02: Previous plays it from the start" in messages, timeout=5000)
    window.previous_track()
    qtbot.waitUntil(lambda: window.player.position < 1.0, timeout=5000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=5000)   # no longer so


def test_resumed_is_said_of_a_long_track_only_and_goes_with_it(qtbot, scanned, make_window, monkeypatch):
    # The fixture's 3 s songs: one left playing at the last close goes on there (the seek bar
    # shows where) without a word; a long one (scaled down: 2 s or more) is said to, until the
    # next track starts from its start.
    from player.playback import STATE_SETTING

    song, other = scanned.tracks()[0]["id"], scanned.tracks()[1]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [song, "library", True, 1.5]})
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.act_play.trigger()
    qtbot.waitUntil(lambda: window.player.current_track_id == song and window.player.position > 1.5, timeout=5000)
    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 2.0)
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.3)
    scanned.set_resume_position(other, 1.6)
    window.play_ids([other], 0, "library")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Resumed at 0:02"), timeout=5000)
    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 20 * 60.0)   # a song again
    window.play_ids([song], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == song, timeout=5000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=5000)
    assert [m for m in messages if m.startswith("Resumed")] == ["Resumed at 0:02: Previous plays it from the start"]


@pytest.mark.parametrize("player_busy", [True, False])
def test_the_now_playing_bar_and_row_follow_the_song_playing_that_a_rescan_merged(
        qtbot, scanned, make_window, player_busy):
    # The song playing merged into its copy by a rescan: the player plays on as the copy, and
    # the now-playing bar, the window's title and the library's row name the copy, whether
    # the library is read again before the player has followed (a command holds its lock)
    # or after. Left on the track merged away, the bar and the title said "track 5".
    import threading

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    qtbot.waitUntil(lambda: window._shown_track == seed["id"], timeout=5000)
    title = window.transport.title.text()
    assert title == "Stone Road"
    # Its file is open and being heard before it goes: shown is not yet opened, and on a
    # loaded machine the file was deleted first, so the song ended in error, unheard.
    qtbot.waitUntil(lambda: window.player.position > 0, timeout=5000)
    original.unlink()
    taken, release = threading.Event(), threading.Event()

    def hold():
        with window.player._lock:
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    if player_busy:
        holder.start()
        assert taken.wait(5)
    try:
        loaded = []
        window.library_loaded.connect(lambda: loaded.append(window._scan is None))
        window.scan(None)
        qtbot.waitUntil(lambda: any(loaded), timeout=20000)
        if player_busy:         # the library was read again before the player followed
            assert window.player.current_track_id == seed["id"]
    finally:
        release.set()
        if player_busy:
            holder.join()
    qtbot.waitUntil(lambda: window.player.current_track_id == copy, timeout=5000)
    qtbot.waitUntil(lambda: window.model.playing_id == copy and window._shown_track == copy, timeout=5000)
    qtbot.wait(300)             # (a name read on a worker for the track merged away lands meanwhile)
    assert window.transport.title.text() == title and window.windowTitle().startswith(title)
    assert window.model.index(window.model.row_of(copy), 1).data() == title
    window.close()
    window.player.close()


def test_the_now_playing_bar_and_row_follow_a_song_given_to_its_copy_as_its_file_was_opened(
        qtbot, scanned, make_window, monkeypatch):
    # A song never played, its file copied to another folder (its dates kept), then moved
    # and a scan run elsewhere (``segue scan``) just as the player opens it: the copy plays and
    # the track is merged into it (by that scan, or by the player where the scan had no play
    # to give), with no scan here to say so. The player and the window follow as they do after
    # a rescan's merge: left on the track gone, the library marked its row (gone at the next
    # load) as playing, and the bar, "never suggest" and the media keys named it.
    import shutil
    import threading
    from pathlib import Path

    from player.audio import feeder
    from player.library.scanner import Scanner
    from player.store import Store

    song = next(t for t in scanned.tracks() if t["title"] == "Stone Road")
    original = Path(song["path"])
    (original.parent.parent / "Copies").mkdir()
    copied = shutil.copy2(original, original.parent.parent / "Copies" / original.name)
    Scanner(scanned).scan()
    copy = scanned.track_by_path(str(copied))["id"]
    real_decoder = feeder.Decoder
    copy_opened = threading.Event()

    def moved_first(path, *args, **kwargs):
        if path == str(original) and original.exists():
            original.unlink()
            elsewhere = Store(scanned.path)
            Scanner(elsewhere).scan()
            elsewhere.close()
        elif path == str(copied):
            copy_opened.set()
        return real_decoder(path, *args, **kwargs)

    monkeypatch.setattr(feeder, "Decoder", moved_first)
    window = make_window(scanned)
    window.play_ids([song["id"]], 0, "library")
    assert copy_opened.wait(10)
    window.player.pause()       # (held: a song that ended meanwhile leaves nothing shown to follow)
    qtbot.waitUntil(lambda: window.player.history == [copy], timeout=5000)
    assert window.player.current_track_id == copy
    qtbot.waitUntil(lambda: window.model.playing_id == copy and window._shown_track == copy, timeout=5000)
    qtbot.waitUntil(lambda: window.model.row_of(song["id"]) == -1, timeout=5000)     # (the library read again)
    assert window.transport.title.text() == "Stone Road"
    window.close()
    window.player.close()


def test_up_next_after_a_restart_within_the_session_gap_leaves_out_the_songs_heard_before(
        qtbot, scanned, make_window):
    # Closed mid-evening and opened again at once: Up next goes on from the song left
    # playing, and offers none of the songs heard before the close (it began again at the
    # library's first song, the songs just heard among its picks).
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    window.play_ids(ids[:3], 0, "library")
    for t in ids[:2]:
        qtbot.waitUntil(lambda t=t: window.player.current_track_id == t, timeout=10000)
        window._command(lambda p: p.next())
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2], timeout=10000)
    window.close()
    window.player.close()
    assert [r["track_id"] for r in scanned.plays()] == ids[:3]

    again = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: again.restored, timeout=10000)
    assert again.player.session == ids[:3] and again.player.cued.entry.track_id == ids[2]
    assert len(scanned.plays()) == 3                    # nothing was logged by the start
    again.up_next.keep_going.setChecked(True)
    again.act_play.trigger()                            # the song left playing goes on; the queue fills
    qtbot.waitUntil(lambda: len(again.up_next.track_ids()) > 0, timeout=10000)
    offered = again.up_next.track_ids()
    assert not set(offered) & set(ids[:3])
    # (the resumed song goes on in its own row, and is in the session once)
    assert again.player.session[:4] in (ids[:3], ids[:3] + offered[:1])
    assert [r["track_id"] for r in scanned.plays()][:4] in (ids[:3], ids[:3] + offered[:1])


def test_after_a_forget_a_station_whose_seed_a_scan_elsewhere_merged_names_the_copy(qtbot, scanned, make_window):
    # ``segue scan`` in a terminal merged the seed into its copy while the station was
    # stopped (no fill to follow it), then the history was forgotten: the reasons given again
    # asked around the track merged away, and every queued song of the station lost the
    # station ("Tagged ... in your library"), the window and the player still on the dead id.
    from player.library.scanner import Scanner
    from player.store import Store

    seed, original, copy, window = _station_on_a_song_with_a_copy(qtbot, scanned, make_window)
    player = window.player
    window.stop()
    qtbot.waitUntil(lambda: player.state == PlaybackState.STOPPED, timeout=10000)

    def said() -> list[str]:
        return [window._describe_entry(e)[2] for e in player.queue if e.source == "radio"]

    qtbot.waitUntil(lambda: said() and all("Stone Road" in why for why in said()), timeout=10000)
    original.unlink()
    elsewhere = Store(scanned.path)
    Scanner(elsewhere).scan()
    elsewhere.close()
    assert scanned.track(seed["id"]) is None and scanned.live_track_id(seed["id"]) == copy
    window.forget_history()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)
    qtbot.waitUntil(lambda: window.station is not None and window.station.seed == copy
                    and player.station_seed == copy, timeout=10000)
    qtbot.waitUntil(lambda: said() and all("Stone Road" in why for why in said()), timeout=10000)
    window.close()
    player.close()


# A saved state with one odd value in it (edited by hand, a sync tool's damaged copy, another
# Segue's): {a}, {b} are songs in the library. What comes back: the queue, and the song cued
# (None: none). Python's JSON reads NaN, Infinity and 1e400 (infinite) as numbers.
HOSTILE_STATES = {
    "next infinite": ('{{"queue": [[{a}, "queue", true], [{b}, "queue", true]], "next": Infinity}}', ["a", "b"], None),
    "next a word": ('{{"queue": [[{a}, "queue", true], [{b}, "queue", true]], "next": "two"}}', ["a", "b"], None),
    "an entry's song infinite": ('{{"queue": [[Infinity, "queue", true], [{b}, "queue", true]]}}', ["b"], None),
    "an entry's song 1e400": ('{{"queue": [[1e400, "queue", true], [{b}, "queue", true]]}}', ["b"], None),
    "an entry's song past SQLite": ('{{"queue": [[1{z}, "queue", true], [{b}, "queue", true]]}}', ["b"], None),
    "an entry no list": ('{{"queue": [7, [{b}, "queue", true]], "current": [{a}, "library", true, 1.0]}}',
                         ["b"], "a"),
    "an entry's lap infinite": ('{{"queue": [[{a}, "queue", true, Infinity], [{b}, "queue", true]]}}',
                                ["a", "b"], None),
    "a newer Segue's source": ('{{"queue": [[{a}, "podcast", true], [{b}, "queue", true]]}}', ["a", "b"], None),
    "the queue a dict": ('{{"queue": {{"x": 1}}, "current": [{a}, "library", true, 1.0]}}', [], "a"),
    "the station infinite": ('{{"queue": [[{a}, "radio", false]], "station": Infinity}}', ["a"], None),
    "the station past SQLite": ('{{"queue": [[{a}, "radio", false]], "station": 1{z}}}', ["a"], None),
    "the station's play infinite": ('{{"queue": [[{a}, "radio", false]], "station": {b}, "station_play": Infinity}}',
                                    ["a"], None),
    "the shuffle order infinite": ('{{"queue": [[{a}, "queue", true]], "shuffle": true, "order": [Infinity]}}',
                                   ["a"], None),
    "the cued song infinite": ('{{"queue": [[{b}, "queue", true]], "current": [Infinity, "library", true, 1.0]}}',
                               ["b"], None),
    "the cued play infinite": ('{{"queue": [[{b}, "queue", true]], '
                               '"current": [{a}, "library", true, 1.0, 1.0, 1.0, Infinity]}}', ["b"], "a"),
    "the cued place NaN": ('{{"queue": [[{b}, "queue", true]], "current": [{a}, "library", true, NaN, NaN]}}',
                           ["b"], "a"),
    # (flags saved as booleans: another value, "false" among them, is off)
    "an entry's own flag a word": ('{{"queue": [[{a}, "radio", "false"], [{b}, "podcast", "no"]]}}', ["a", "b"], None),
    "an entry's moves words": ('{{"queue": [[{a}, "queue", true, 0, "false", "false"]]}}', ["a"], None),
    "the cued song's flags words": ('{{"queue": [[{b}, "queue", true]], '
                                    '"current": [{a}, "radio", "false", 1.0, 1.0, 1.0, null, "false"]}}',
                                    ["b"], "a"),
}


@pytest.mark.parametrize("name", HOSTILE_STATES)
def test_an_odd_value_in_the_saved_state_leaves_out_that_part_alone(scanned, name):
    # One such value raised (OverflowError, or SQLite's "too large") past the reading's
    # guards, the whole queue was lost, and saved over at the next change.
    from player.audio.null_engine import NullEngine
    from player.playback import STATE_SETTING, Player

    text, queued, cued = HOSTILE_STATES[name]
    songs = {"a": scanned.tracks()[0]["id"], "b": scanned.tracks()[1]["id"]}
    with scanned.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                     "excluded.value", (STATE_SETTING, text.format(**songs, z="0" * 30)))
    player = Player(scanned, NullEngine())
    try:
        player.restore_state()
        assert [e.track_id for e in player.queue] == [songs[s] for s in queued]
        assert all(e.source in ("queue", "radio", "up_next") for e in player.queue)
        assert [e.manual for e in player.queue] == [e.source == "queue" for e in player.queue]
        assert not any(e.placed or e.sent_to_end for e in player.queue)
        assert (player.cued.entry.track_id if player.cued is not None else None) == songs.get(cued)
        if player.cued is not None:
            assert player.cued.position == (0.0 if "NaN" in text else 1.0) and player.cued.credit >= 0.0
            assert player.cued.entry.manual == (player.cued.entry.source != "radio") and not player.cued.to_end
        assert player.station_seed in (None, songs["b"])
    finally:
        player.close()


def test_an_odd_song_among_the_suggestions_passed_over_leaves_the_player_working(scanned):
    # It raised as the player opened: "Playback is not available" at every start.
    from player.audio.null_engine import NullEngine
    from player.playback import PASSED_SETTING, Player

    keep = scanned.tracks()[1]["id"]
    with scanned.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)",
                     (PASSED_SETTING, '{"at": %r, "ids": [Infinity, 1%s, %d]}' % (time.time(), "0" * 30, keep)))
    player = Player(scanned, NullEngine())
    try:
        assert player.passed_over == {keep}
    finally:
        player.close()


def test_the_window_starts_with_its_queue_from_a_state_with_odd_values(qtbot, scanned, make_window):
    from player.playback import PASSED_SETTING, STATE_SETTING

    a, b = scanned.tracks()[0]["id"], scanned.tracks()[1]["id"]
    with scanned.transaction() as conn:
        conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [
            (STATE_SETTING, '{"queue": [[1e400, "queue", true], [%d, "queue", true]], "next": Infinity, '
                            '"current": [%d, "library", true, 1.0]}' % (b, a)),
            (PASSED_SETTING, '{"at": %r, "ids": [Infinity]}' % time.time())])
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    assert window.player is not None and [e.track_id for e in window.player.queue] == [b]
    assert window.player.cued is not None and window.player.cued.entry.track_id == a
    window.close()
    window.player.close()
    assert [q[0] for q in scanned.get_setting(STATE_SETTING)["queue"]] == [b]


def test_keep_it_going_and_shuffle_saved_as_words_stay_off(scanned):
    # Saved by hand or by another program as "false", the word was taken for on: Keep it
    # going filled Up next with suggestions, and the queue came back shuffled.
    from player.audio.null_engine import NullEngine
    from player.playback import STATE_SETTING, Player

    a = scanned.tracks()[0]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [[a, "queue", True]], "keep_going": "false", "shuffle": "false",
                                        "shuffle_albums": "0", "repeat": "off"})
    player = Player(scanned, NullEngine())
    try:
        player.restore_state()
        assert [e.track_id for e in player.queue] == [a]
        assert (player.keep_going, player.shuffle, player.shuffle_albums) == (False, False, False)
    finally:
        player.close()


def test_a_library_that_refuses_the_restore_keeps_the_saved_queue_for_the_next_start(scanned, monkeypatch):
    # The queue could not be read (the window says so and starts empty), but the player went
    # on saving: the next change, or the close, wrote the empty queue over the saved one.
    import sqlite3

    from player.audio.null_engine import NullEngine
    from player.playback import STATE_SETTING, Player

    a, b = (t["id"] for t in scanned.tracks()[:2])
    scanned.set_setting(STATE_SETTING, {"queue": [[a, "queue", True], [b, "queue", True]], "keep_going": False,
                                        "current": None, "shuffle": False, "repeat": "off"})

    def busy(track_id):
        raise sqlite3.OperationalError("database is locked")

    player = Player(scanned, NullEngine())
    try:
        with monkeypatch.context() as m:
            m.setattr(scanned, "track", busy)
            with pytest.raises(sqlite3.OperationalError):
                player.restore_state()
        player.enqueue([b])
        player._save_state()
    finally:
        player.close()
    assert [q[0] for q in scanned.get_setting(STATE_SETTING)["queue"]] == [a, b]
