""""Forget my listening history" leaves nothing on screen, or saved, of what was heard before it
(the song playing then may play on)."""

from __future__ import annotations

import os
import time

from player.audio.base import PlaybackState


def _forget(qtbot, window) -> None:
    window.forget_history()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)


def _opened(qtbot, scanned, make_window):
    """The window over ``scanned``, once it has brought back what the last run left."""
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    return window


def _paused(qtbot, window) -> None:
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)


def test_previous_after_a_forget_goes_back_no_further_than_the_song_playing_then(qtbot, scanned, make_window):
    # Previous walked back through every song of the run: after the forget it played the songs
    # heard before it again, and the state saved then brought the last one back at the next start.
    tracks = {t["title"]: t["id"] for t in scanned.tracks()}
    window = _opened(qtbot, scanned, make_window)
    player = window.player
    window.play_ids([tracks["River Song"], tracks["Blue Smoke"]], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == tracks["River Song"], timeout=5000)
    player.next()
    qtbot.waitUntil(lambda: player.current_track_id == tracks["Blue Smoke"], timeout=5000)
    _forget(qtbot, window)
    window.play_ids([tracks["Walking Bass"]], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == tracks["Walking Bass"], timeout=5000)
    player.previous()           # back to the song playing at the forget: it plays on past it
    assert player.current_track_id == tracks["Blue Smoke"]
    player.previous()           # nothing before it now: it starts again
    assert player.current_track_id == tracks["Blue Smoke"]


def _held_at(qtbot, window, track: int, at: float) -> None:
    # Paused, then moved to ``at``: a song left to play on could run out under a slow forget or
    # a busy machine (its end keeps no place either, and the test passed for that), or be
    # stopped past the margin before its end, and a wait for it to pass a second missed.
    player = window.player
    qtbot.waitUntil(lambda: player.current_track_id == track, timeout=5000)
    _paused(qtbot, window)
    player.seek(at)
    qtbot.waitUntil(lambda: abs(player.position - at) < 0.05, timeout=5000)


def test_a_long_track_playing_at_a_forget_leaves_no_place_when_it_stops(qtbot, scanned, make_window, monkeypatch):
    # The fixture's 3 s songs stand in for audiobook chapters (scaled down: 2 s or more). Its play
    # went with the history; the place kept as it stopped said how far it had been heard.
    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 2.0)
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.3)
    track, other = scanned.tracks()[0]["id"], scanned.tracks()[1]["id"]
    window = _opened(qtbot, scanned, make_window)
    player = window.player
    window.play_ids([other], 0, "library")      # one begun after the forget keeps its place
    qtbot.waitUntil(lambda: player.current_track_id == other, timeout=5000)
    window.play_ids([track], 0, "library")
    _held_at(qtbot, window, track, 1.5)
    _forget(qtbot, window)
    player.stop()
    qtbot.waitUntil(lambda: player.state == PlaybackState.STOPPED, timeout=5000)
    assert scanned.resume_position(track) is None
    window.play_ids([other], 0, "library")
    _held_at(qtbot, window, other, 1.5)
    player.stop()
    qtbot.waitUntil(lambda: player.state == PlaybackState.STOPPED, timeout=5000)
    assert scanned.resume_position(other) is not None


def test_discover_says_nothing_of_the_plays_forgotten(qtbot, scanned, make_window):
    # Its captions and reasons ("you played it 14 times") stayed on screen after the forget,
    # until the tab was left and opened again.
    ids = [t["id"] for t in scanned.tracks()]
    now = time.time()
    scanned.log_plays([((ids[0], ids[4], ids[7])[i % 3], now - 3600 - 200 * i, 3000, 3000, "finished", "library")
                       for i in range(40)])
    window = make_window(scanned)
    window.tabs.setCurrentIndex(1)
    discover = window.discover

    def said():
        return [*discover.captions.values(), *(e[3] for _, entries in discover.buckets for e in entries)]

    qtbot.waitUntil(lambda: any("you played" in s for s in said()), timeout=15000)
    _forget(qtbot, window)
    qtbot.waitUntil(lambda: discover.buckets and not any("you played" in s for s in said()), timeout=10000)
    assert "new to you" in discover.captions.values()


def test_the_cover_left_for_the_desktop_goes_with_the_history_but_the_song_shown_now(qtbot, scanned, make_window):
    # The desktop's sound menu is given the cover of the song playing as a file named by its
    # track: the last song's stayed after it ended, and after the forget, even across starts.
    from PySide6.QtGui import QColor, QImage

    from player import paths
    from player.ui.cover import share_cover

    image = QImage(8, 8, QImage.Format_RGB32)
    image.fill(QColor("red"))
    earlier, playing = scanned.tracks()[0]["id"], scanned.tracks()[1]["id"]
    left = share_cover(image, earlier, paths.cache_dir())        # as the last run left it
    window = _opened(qtbot, scanned, make_window)
    _forget(qtbot, window)
    assert not [p.name for p in paths.cache_dir().iterdir()]
    window.play_ids([playing], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == playing, timeout=5000)
    window.pause()
    kept = share_cover(image, playing, paths.cache_dir())
    _forget(qtbot, window)
    assert [p.name for p in paths.cache_dir().iterdir()] == [os.path.basename(kept)] and left != kept


def test_the_cover_of_a_song_begun_while_the_history_is_forgotten_stays_for_the_desktop(qtbot, scanned, make_window):
    # The forget takes a while (a large history, the copies beside the database): a song begun
    # meanwhile shares its cover, and the forget, which kept the cover of the song shown as it
    # was asked, removed the new one, so the desktop's sound menu showed no picture for it.
    import threading

    from PySide6.QtGui import QColor, QImage

    from player import paths
    from player.ui.cover import share_cover
    from player.workers import db_write_pool

    image = QImage(8, 8, QImage.Format_RGB32)
    image.fill(QColor("red"))
    first, then = scanned.tracks()[0]["id"], scanned.tracks()[1]["id"]
    window = _opened(qtbot, scanned, make_window)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: window._shown_track == first, timeout=5000)
    busy = threading.Event()
    db_write_pool().start(lambda: busy.wait(15))        # a long write ahead of the forget
    try:
        window.forget_history()
        window.play_ids([then], 0, "library")
        qtbot.waitUntil(lambda: window._shown_track == then, timeout=5000)
        # (as the window shares a cover it found, on its worker)
        shared = share_cover(image, then, paths.cache_dir())
    finally:
        busy.set()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)
    assert shared is not None and os.path.exists(shared)


def test_the_song_paused_and_the_songs_queued_at_a_forget_are_there_at_the_next_start(qtbot, scanned, make_window):
    # The song playing plays on after the forget, Up next with it, and both are saved for the
    # next start as the songs go on (Previous cut to the song playing). Paused, nothing saved
    # them again: the forget had emptied the state saved, the player took it to hold what it
    # last wrote, and the next start came up with nothing playing and nothing queued.
    from player.playback import STATE_SETTING

    tracks = {t["title"]: t["id"] for t in scanned.tracks()}
    window = _opened(qtbot, scanned, make_window)
    player = window.player
    queued = [tracks["Blue Smoke"], tracks["Walking Bass"]]
    window.play_ids([tracks["River Song"], *queued], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == tracks["River Song"] and player.position > 0.3, timeout=5000)
    _paused(qtbot, window)
    _forget(qtbot, window)
    player.close()
    state = scanned.get_setting(STATE_SETTING)
    assert state is not None and state["current"][0] == tracks["River Song"]
    assert [q[0] for q in state["queue"]] == queued and not state.get("back")


def test_up_next_and_the_song_paused_at_a_forget_come_back_after_closing_untouched(qtbot, scanned, make_window):
    # The forget cleared the state saved for the next start, but the player took it for saved
    # still: closed untouched, nothing was written, and Up next and the song were gone at the
    # next start (touching anything first saved them). The song comes back cued at its start:
    # its play went with the history, and so does the place it was left at.
    from player.playback import STATE_SETTING

    ids = [t["id"] for t in scanned.tracks()]
    window = _opened(qtbot, scanned, make_window)
    player = window.player
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == ids[0] and player.position > 0.5, timeout=5000)
    window.enqueue(ids[2:4])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[2:4], timeout=5000)
    _paused(qtbot, window)

    def saved_as_shown():       # (all saved before the forget: closing finds nothing changed since)
        saved = scanned.get_setting(STATE_SETTING) or {}
        current = saved.get("current") or [None] * 4
        return [q[0] for q in saved.get("queue", [])] == ids[2:4] and current[3] == round(player.position, 1)

    qtbot.waitUntil(saved_as_shown, timeout=5000)
    _forget(qtbot, window)
    window.close()
    player.close()

    again = _opened(qtbot, scanned, make_window)
    assert [e.track_id for e in again.player.queue] == ids[2:4]
    cued = again.player.cued
    assert cued is not None and cued.entry.track_id == ids[0]
    assert cued.position == 0.0 and cued.play_id is None and scanned.resume_position(ids[0]) is None


def _held_with_up_next_saved(qtbot, scanned, make_window):
    """A window holding the first song at 1.5 s, the third and fourth in Up next, saved so."""
    from player.playback import STATE_SETTING

    ids = [t["id"] for t in scanned.tracks()]
    window = _opened(qtbot, scanned, make_window)
    window.play_ids(ids[:1], 0, "library")
    _held_at(qtbot, window, ids[0], 1.5)
    window.enqueue(ids[2:4])
    qtbot.waitUntil(lambda: [q[0] for q in (scanned.get_setting(STATE_SETTING) or {}).get("queue", [])] == ids[2:4],
                    timeout=5000)
    return window, ids


def test_up_next_paused_at_a_forget_is_saved_at_once_for_a_start_after_a_kill(qtbot, scanned, make_window):
    # The forget cleared the state saved for the next start, and a player paused saves nothing
    # until something changes: killed (or the computer shut down) before the window closed,
    # the next start had no Up next. Saved with the forget, the song paused with no place in it.
    from player.playback import STATE_SETTING

    window, ids = _held_with_up_next_saved(qtbot, scanned, make_window)
    _forget(qtbot, window)
    saved = scanned.get_setting(STATE_SETTING)
    assert saved is not None and [q[0] for q in saved["queue"]] == ids[2:4]
    assert saved["current"][0] == ids[0] and saved["current"][3] == 0.0 and saved["current"][6] is None


def test_a_song_cued_at_a_forget_gains_no_place_of_before_when_up_next_or_the_song_is_moved(qtbot, scanned,
                                                                                          make_window):
    # The song cued from the last run is saved at its start after a forget, with no play: a
    # move in Up next saves the state again, and a move in the song makes a new cued song.
    # Neither may bring back where it was left or how far it had been heard before the forget;
    # a place the person moves it to after the forget is theirs, and is kept.
    from player.playback import STATE_SETTING

    window, ids = _held_with_up_next_saved(qtbot, scanned, make_window)
    window.close()
    window.player.close()

    again = _opened(qtbot, scanned, make_window)
    player = again.player
    assert player.cued is not None and player.cued.position == 1.5 and player.cued.play_id is not None
    _forget(qtbot, again)

    def saved() -> list:
        return (scanned.get_setting(STATE_SETTING) or {}).get("current") or []

    assert saved()[:1] == [ids[0]] and saved()[3:8] == [0.0, 0.0, 0.0, None, False]
    first, second = player.queue
    assert player.move_queue_entries([second], [first]) == 1
    qtbot.waitUntil(lambda: [q[0] for q in scanned.get_setting(STATE_SETTING)["queue"]] == ids[2:4][::-1],
                    timeout=5000)
    assert saved()[3:8] == [0.0, 0.0, 0.0, None, False]
    player.seek(0.8)
    qtbot.waitUntil(lambda: saved()[3:4] == [0.8], timeout=5000)
    assert saved()[:1] == [ids[0]] and saved()[4:8] == [0.0, 0.0, None, False]


def test_a_forget_that_cannot_clean_the_files_yet_says_so(qtbot, scanned, make_window):
    # Another program in the middle of a read past the busy timeout: the forgotten plays stayed
    # in the library's files and the window said "forgotten" as if they were gone from the disk.
    import sqlite3

    from player.store import Store

    track = scanned.tracks()[0]["id"]
    scanned.end_play(scanned.start_play(track), "finished", 1000)
    store = Store(scanned.path, busy_timeout_s=0.1)
    try:
        window = make_window(store, with_player=False)
        reader = sqlite3.connect(scanned.path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM plays").fetchone()
        try:
            _forget(qtbot, window)
        finally:
            reader.close()
        said = window.statusBar().currentMessage()
        assert said.startswith("Listening history forgotten") and "cleaned fully at the next start" in said, said
        assert store.play_count() == 0
        window.close()
    finally:
        store.close()


def test_suggestions_after_a_song_cued_at_a_forget_are_ranked_anew_at_once(qtbot, scanned, make_window):
    # The song left playing at the last close is cued, Keep it going's picks after it. The
    # forget takes the history they were ranked from: they are ranked anew then, as after a
    # song playing, not kept on show until play starts and changed under the person there.
    # The song cued is not among them (it plays first; the session naming it went too).
    from tests.player.ui.test_up_next_moved_suggestions import _suggesting

    window = _suggesting(qtbot, make_window(scanned))
    qtbot.waitUntil(lambda: window.up_next.rows.rowCount() >= 3, timeout=10000)
    window.close()
    window.player.close()

    again = _opened(qtbot, scanned, make_window)
    player, panel = again.player, again.up_next
    assert player.cued is not None and player.keep_going
    before = player.queue
    assert len(before) >= 3 and not any(e.manual for e in before)
    _forget(qtbot, again)
    qtbot.waitUntil(lambda: len(player.queue) >= 3 and not any(e is b for e in player.queue for b in before),
                    timeout=10000)
    assert player.cued is not None and player.cued.entry.track_id not in [e.track_id for e in player.queue]
    qtbot.waitUntil(lambda: [id(e) for e in panel.rows.entries()] == [id(e) for e in player.queue], timeout=5000)


def test_previous_is_greyed_after_a_forget_with_nothing_playing(qtbot, scanned, make_window):
    # Stopped, Previous goes back to the song stopped; the forget takes that song off its
    # way back, and Previous stayed there to pick, doing nothing.
    window = _opened(qtbot, scanned, make_window)
    window.up_next.keep_going.setChecked(False)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10000)
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
    window.stop()
    qtbot.waitUntil(lambda: window.shown_track_id() is None and window.player.cued is None, timeout=5000)
    previous = [window.act_previous, window.transport.prev_btn]
    qtbot.waitUntil(lambda: all(a.isEnabled() for a in previous), timeout=5000)
    _forget(qtbot, window)
    assert not window.player.has_before
    assert not any(a.isEnabled() for a in previous)
