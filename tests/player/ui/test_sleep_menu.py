"""Playback → Sleep timer: the fade, the pause, the status bar, and what the play log keeps."""

from __future__ import annotations

import pytest

from player.audio.base import PlaybackState
from player.ui.transport import volume_gain


@pytest.fixture
def two_songs(store, tmp_path):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for name, title in (("s1", "Slow Tide"), ("s2", "Night Field")):
        write_track(tmp_path / "night", name, fmt="wav", seconds=40.0, tags={"title": title, "artist": "Granite"})
    Scanner(store).scan([str(tmp_path / "night")])
    return store


def _playing_on_a_stepped_clock(window, qtbot):
    """The first song playing, the sleep timer counting on a clock the test steps: the clock's
    one value, to set, and the person's volume."""
    now = [0.0]
    window.sleep_menu.timer.clock = lambda: now[0]
    window.play_ids([window.model.track_id(0)], 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    return now, window.player.volume


def test_the_sleep_timer_fades_out_pauses_keeps_up_next_and_the_cut_song_is_no_skip(qtbot, two_songs, make_window):
    window = make_window(two_songs)
    now = [1000.0]
    sleep = window.sleep_menu
    sleep.timer.clock = lambda: now[0]          # (the window's clock, stepped through the last minutes)
    ids = [window.model.track_id(r) for r in range(2)]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    full = volume_gain(window.transport.volume.value())
    assert window.player.engine.volume == pytest.approx(full)

    sleep.act_minutes[15].trigger()
    assert sleep.act_minutes[15].isChecked()
    assert sleep.label.isVisible() and sleep.label.text() == "Sleep in 15:00"
    now[0] += 15 * 60 - 20
    qtbot.waitUntil(lambda: sleep.label.text() == "Sleep in 0:20", timeout=15000)
    assert window.player.engine.volume == pytest.approx(full)      # not yet: the fade is the last 10 s

    heard = []
    for left in (9.0, 6.0, 3.0, 1.0):
        now[0] = 1000.0 + 15 * 60 - left
        want = full * (left / 10.0) ** 3
        qtbot.waitUntil(lambda w=want: window.player.engine.volume == pytest.approx(w), timeout=15000)
        heard.append(window.player.engine.volume)
        assert window.player.state == PlaybackState.PLAYING
    assert heard == sorted(heard, reverse=True) and heard[-1] < full / 100
    assert window.player.volume == pytest.approx(full)     # the person's volume is not the fade's

    now[0] = 1000.0 + 15 * 60 + 0.1
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=15000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Paused by the sleep timer", timeout=15000)
    assert not sleep.label.isVisible() and sleep.act_off.isChecked()
    assert not sleep._tick_timer.isActive()        # (the count is over: no more ticks)
    # Paused, not stopped: the song and Up next wait for Play, the play still open.
    assert window.player.current_track_id == ids[0]
    assert window.up_next.track_ids() == ids[1:]
    assert [(r["track_id"], r["ended"]) for r in window.store.plays()] == [(ids[0], "playing")]

    # The next morning: Next. The song the person fell asleep to (heard for seconds here) was
    # cut by the timer, not turned down: no skip, and the music is back at their volume.
    window.next_track()
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1], timeout=15000)
    assert window.player.engine.volume == pytest.approx(full)
    qtbot.waitUntil(lambda: len(window.store.plays()) == 2, timeout=15000)
    ended = {r["track_id"]: r["ended"] for r in window.store.plays()}
    assert ended[ids[0]] == "stopped"
    assert window.player.early_skips == []


def test_play_after_the_sleep_timer_goes_on_where_it_paused_at_the_full_volume(qtbot, two_songs, make_window):
    window = make_window(two_songs)
    sleep = window.sleep_menu
    now, full = _playing_on_a_stepped_clock(window, qtbot)
    sleep.act_minutes[30].trigger()
    now[0] = 30 * 60 - 5.0
    qtbot.waitUntil(lambda: window.player.engine.volume < full / 4, timeout=15000)
    now[0] = 30 * 60.0
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=15000)
    at = window.player.position
    assert window.player.engine.volume < full / 4       # down until the music plays again
    window.toggle_play()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=15000)
    assert window.player.engine.volume == pytest.approx(full)
    assert window.player.position == pytest.approx(at, abs=1.0)


def test_turning_the_sleep_timer_off_mid_fade_gives_the_volume_back(qtbot, two_songs, make_window):
    window = make_window(two_songs)
    sleep = window.sleep_menu
    now, full = _playing_on_a_stepped_clock(window, qtbot)
    sleep.act_minutes[45].trigger()
    now[0] = 45 * 60 - 4.0
    qtbot.waitUntil(lambda: window.player.engine.volume < full / 2, timeout=15000)
    sleep.act_off.trigger()
    qtbot.waitUntil(lambda: window.player.engine.volume == pytest.approx(full), timeout=15000)
    assert not sleep.label.isVisible()
    assert not sleep._tick_timer.isActive()        # off: no ticks at all
    now[0] = 45 * 60 + 10.0
    sleep.tick()            # (one that came anyway, past the time it was set to, pauses nothing)
    assert not sleep.timer.running and not sleep.label.isVisible() and not sleep._tick_timer.isActive()
    assert window.player.state == PlaybackState.PLAYING


def test_end_of_this_song_is_stop_after_this_song_and_a_time_or_off_takes_it_back(qtbot, two_songs, make_window):
    window = make_window(two_songs)
    sleep = window.sleep_menu
    sleep.timer.clock = lambda: 0.0         # (the time left stays what it was set to)
    window.play_ids([window.model.track_id(r) for r in range(2)], 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    qtbot.waitUntil(sleep.act_end_of_song.isEnabled, timeout=10000)     # (the window shows the song)
    sleep.act_end_of_song.trigger()
    qtbot.waitUntil(lambda: window.player.stop_after and window.act_stop_after.isChecked(), timeout=15000)
    assert sleep.label.text() == "Sleep at the end of this song"
    sleep.act_minutes[60].trigger()
    qtbot.waitUntil(lambda: not window.player.stop_after, timeout=15000)
    assert sleep.timer.running and sleep.label.text() == "Sleep in 60:00"
    sleep.act_end_of_song.trigger()
    qtbot.waitUntil(lambda: window.player.stop_after, timeout=15000)
    assert not sleep.timer.running
    sleep.act_off.trigger()
    qtbot.waitUntil(lambda: not window.player.stop_after, timeout=15000)
    qtbot.waitUntil(lambda: not window.act_stop_after.isChecked() and not sleep.label.isVisible(), timeout=15000)
    assert sleep.act_off.isChecked()


def test_an_answer_older_than_end_of_this_song_chosen_again_leaves_off_able_to_take_it_back(qtbot, two_songs,
                                                                                         make_window):
    # 60 minutes turned Stop after off, and its event asked the player what it is now; End of
    # this song chosen before the answer came: the answer ("off") is older than that choice.
    # Taken as news, it left the menu thinking someone else had turned Stop after on, and Off
    # then left the player stopping after the song while the menu said Off.
    window = make_window(two_songs)
    sleep = window.sleep_menu
    sleep.timer.clock = lambda: 0.0
    window.play_ids([window.model.track_id(r) for r in range(2)], 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    qtbot.waitUntil(sleep.act_end_of_song.isEnabled, timeout=10000)     # (the window shows the song)
    sleep.act_minutes[60].trigger()
    sleep.stop_after_changed(False)         # (the event of the "off" 60 minutes sent, its answer not yet here)
    sleep.act_end_of_song.trigger()
    qtbot.waitUntil(lambda: window.player.stop_after and window.act_stop_after.isChecked(), timeout=15000)
    answered = []
    window._command(lambda p: None, lambda result, error: answered.append(1))   # (behind the stale answer)
    qtbot.waitUntil(lambda: bool(answered), timeout=15000)
    assert sleep.act_end_of_song.isChecked() and sleep.label.text() == "Sleep at the end of this song"
    sleep.act_off.trigger()
    qtbot.waitUntil(lambda: not window.player.stop_after, timeout=15000)
    qtbot.waitUntil(lambda: not window.act_stop_after.isChecked() and not sleep.label.isVisible(), timeout=15000)


def test_the_sleep_timer_is_in_the_playback_menu_with_its_choices(qtbot, store, make_window):
    window = make_window(store)
    titles = [a.text() for a in window.sleep_menu.menu.actions()]
    assert titles == ["Off", "15 minutes", "30 minutes", "45 minutes", "60 minutes", "End of this song"]
    assert window.sleep_menu.menu.menuAction() in window.playback_menu.actions()


def test_a_time_chosen_before_the_player_took_end_of_this_song_still_takes_it_back(qtbot, two_songs, make_window):
    # End of this song, then at once 60 minutes, while the player thread is still busy (a
    # slow file, a busy library): the menu must not read the player's Stop after before its
    # own "on" has run there, or the music stops at the song's end under a 60-minute timer.
    import threading

    window = make_window(two_songs)
    sleep = window.sleep_menu
    sleep.timer.clock = lambda: 0.0
    window.play_ids([window.model.track_id(r) for r in range(2)], 0, "library")
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=10000)
    qtbot.waitUntil(sleep.act_end_of_song.isEnabled, timeout=10000)     # (the window shows the song)
    busy = threading.Event()
    window._command(lambda p: busy.wait(15))
    sleep.act_end_of_song.trigger()
    sleep.act_minutes[60].trigger()
    busy.set()
    said = []
    window._command(lambda p: p.stop_after, lambda result, error: said.append(result))
    qtbot.waitUntil(lambda: bool(said), timeout=15000)
    assert said == [False] and sleep.timer.running and sleep.act_minutes[60].isChecked()
    qtbot.waitUntil(lambda: not window.act_stop_after.isChecked(), timeout=15000)
