"""The sleep timer's count and fade, on a clock the test moves."""

from __future__ import annotations

import pytest

from player.audio.base import PlaybackState
from player.sleep_timer import FADE_S, SleepTimer, SleepTimerError, time_left_text
from tests.player.test_playback import wait_for


@pytest.fixture
def two_songs(store, tmp_path):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for name in ("a", "b"):
        write_track(tmp_path / "m", name, fmt="wav", seconds=40.0, tags={"title": name, "artist": "X"})
    Scanner(store).scan([str(tmp_path / "m")])
    return sorted(r["id"] for r in store.tracks())


def test_the_timer_counts_down_holds_full_volume_then_fades_to_nothing():
    now = [100.0]
    timer = SleepTimer(lambda: now[0])
    assert not timer.running and timer.left_s() is None and timer.gain() == 1.0 and not timer.due()
    timer.start(15 * 60)
    assert timer.running and timer.left_s() == 15 * 60
    now[0] += 15 * 60 - FADE_S
    assert timer.gain() == 1.0
    gains = []
    for _ in range(10):
        now[0] += 1.0
        gains.append(timer.gain())
    assert all(a > b for a, b in zip(gains, gains[1:]))
    assert gains[-1] == 0.0 and timer.due()
    now[0] += 60
    assert timer.left_s() == 0.0 and timer.gain() == 0.0
    timer.cancel()
    assert not timer.running and timer.gain() == 1.0 and not timer.due()


@pytest.mark.parametrize("seconds", [0, -5, float("nan"), float("inf")])
def test_a_timer_of_no_time_is_refused(seconds):
    with pytest.raises(SleepTimerError, match="time ahead"):
        SleepTimer().start(seconds)


def test_the_time_left_is_said_in_minutes_and_seconds_never_zero_before_the_pause():
    assert time_left_text(15 * 60) == "Sleep in 15:00"
    assert time_left_text(61.2) == "Sleep in 1:02"
    assert time_left_text(0.2) == "Sleep in 0:01"


def test_the_player_fades_under_the_persons_volume_and_sleeps_only_while_music_plays(store, make_player):
    p = make_player()
    p.volume = 0.5
    p.set_sleep_fade(0.2)
    assert p.engine.volume == pytest.approx(0.1) and p.volume == 0.5
    p.volume = 0.8                                  # the person turns it up mid-fade: still faded
    assert p.engine.volume == pytest.approx(0.16) and p.volume == 0.8
    assert p.sleep() is False                       # nothing plays: nothing to pause, the volume back
    assert p.engine.volume == pytest.approx(0.8)


def test_a_song_the_sleep_timer_paused_is_no_skip_after_a_restart_either(store, two_songs, make_player):
    # Fell asleep 1 s into a song; the player was closed in the night and opened in the
    # morning; Play, and Next at once: the row the song's play goes on with ends as stopped.
    ids = two_songs
    night = make_player(speed=1.0)
    night.restore_state()                   # (as the window does: the state is saved from now on)
    night.play_tracks(ids)
    assert wait_for(lambda: night.position > 1.0, 15.0)
    assert night.sleep() is True and night.state is PlaybackState.PAUSED
    night.close()
    morning = make_player(speed=1.0)
    cued = morning.restore_state()
    assert cued is not None and cued.entry.track_id == ids[0]
    morning.resume()
    assert wait_for(lambda: morning.state is PlaybackState.PLAYING, 15.0)
    morning.next()
    assert wait_for(lambda: morning.current_track_id == ids[1], 15.0)
    rows = {r["id"]: r for r in store.plays()}
    first = [r for r in rows.values() if r["track_id"] == ids[0]]
    assert [r["ended"] for r in first] == ["stopped"]
    assert morning.early_skips == []


def test_the_volume_moved_as_the_music_wakes_is_heard_at_the_persons_level(store, make_player):
    # The slider (GUI thread) and Play after the sleep timer (command thread) at the same
    # moment: the engine must end at the person's volume times no fade, whichever thread
    # worked out its product first. The slider's write is held at the engine while the wake
    # runs beside it (given a second: on the fixed player it waits for the slider's write).
    import threading

    from player.audio.null_engine import NullEngine

    class HeldEngine(NullEngine):
        hold = None

        @NullEngine.volume.setter
        def volume(self, value):
            if self.hold is not None:
                hold, self.hold = self.hold, None
                hold()
            NullEngine.volume.fset(self, value)

    p = make_player(engine=HeldEngine)
    p.volume = 0.9
    p.set_sleep_fade(0.0)               # the night's fade, down to nothing

    waking = threading.Thread(target=lambda: p.set_sleep_fade(1.0))

    def wake_beside():
        waking.start()
        waking.join(1.0)

    p.engine.hold = wake_beside
    p.volume = 0.5                      # its product, 0.5 x 0, is written after the wake's
    waking.join()
    assert p.engine.volume == pytest.approx(0.5) and p.volume == 0.5


def test_a_song_that_ends_in_the_fade_lets_the_next_one_in_at_the_faded_level(two_songs, make_player):
    # Only the sleep timer's pause gives the volume back: the song that follows in the fade
    # (run out, or Next) must not start at the person's full volume.
    p = make_player()
    p.volume = 0.8
    p.play_tracks(two_songs)
    assert wait_for(lambda: p.state is PlaybackState.PLAYING, 15.0)
    p.set_sleep_fade(0.25)
    p.next()
    assert wait_for(lambda: p.current_track_id == two_songs[1] and p.state is PlaybackState.PLAYING, 15.0)
    assert p.engine.volume == pytest.approx(0.2) and p.volume == 0.8
