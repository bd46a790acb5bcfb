"""What the Player writes to the library while it plays and while it rests: only what changed,
the place of a song playing on every few ticks, and nothing at all (no wake-up) when idle."""

import sqlite3
import threading
import time

import pytest

from player.audio.null_engine import NullEngine
from player.playback import PLACE_SAVE_TICKS, STATE_SETTING, Player
from tests.player.test_playback import add_tracks, wait_for
from tests.wakeups import COUNTED, quiet_stretch, wakeups


@pytest.fixture
def make_player(store):
    players = []

    def make(speed=8.0, interval=0.2, watchdog_s=2.0):
        p = Player(store, NullEngine(speed=speed, watchdog_s=watchdog_s), progress_interval_s=interval)
        players.append(p)
        return p

    yield make
    for p in players:
        p.close()


def spy(monkeypatch, store, name):
    """The calls of ``store.name`` (the real method still runs), as their arguments."""
    calls, real, lock = [], getattr(store, name), threading.Lock()

    def call(*a, **k):
        with lock:
            calls.append((a, k))
        return real(*a, **k)

    monkeypatch.setattr(store, name, call)
    return calls


def test_a_song_playing_on_saves_its_place_every_few_ticks_and_any_other_change_at_the_next(
        store, tmp_path, make_player):
    # The state (Up next, up to 1,000 songs, and the place in the song) was written at every
    # progress tick, every 2 s, only because the place had moved on: most of what the player
    # wrote to the disk in an hour of listening.
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 5.0)])
    p = make_player(speed=8.0, interval=3600.0)     # (the timer stays out of it: the test ticks)
    p.restore_state()
    p.play_tracks([a])
    assert wait_for(lambda: p.position > 0.5)
    assert p._save_state(tick=True)                 # a new song: saved at once
    for _ in range(3):
        for _ in range(PLACE_SAVE_TICKS - 1):
            at = p.position
            assert wait_for(lambda: p.position > at + 0.2)
            assert not p._save_state(tick=True)     # only the place moved: it waits
        assert p._save_state(tick=True)             # ... this many ticks
        assert store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(p.position, abs=0.5)
    p.seek(40.0)                                    # a move the person made: the next tick
    assert p._save_state(tick=True)
    assert store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(40.0, abs=0.5)
    p.enqueue([b])                                  # so is any other change
    assert p._save_state(tick=True)
    assert store.get_setting(STATE_SETTING)["queue"] == [[b, "queue", True]]
    assert not p._save_state(tick=True)
    p.pause()                                       # and where it paused, at once
    assert store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(p.position, abs=0.05)
    assert not p._save_state(tick=True)             # paused: nothing moves, nothing is written


def test_the_progress_of_a_play_is_written_at_every_tick_and_the_place_at_every_few(
        store, tmp_path, make_player, monkeypatch):
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    saves = spy(monkeypatch, store, "set_setting")
    progress = spy(monkeypatch, store, "update_play")
    p = make_player(speed=1.0, interval=0.1)
    p.restore_state()
    p.play_tracks([a])
    assert wait_for(lambda: len(progress) >= 30, 30.0)     # 30 ticks of progress
    p.pause()
    states = [args[1] for args, _ in saves if args[0] == STATE_SETTING]
    assert len(states) <= 30 // PLACE_SAVE_TICKS + 4, len(states)    # every tick before: about 30
    heard = store.plays()[0]["ms_heard"]
    assert heard >= 2000                                    # what was heard is logged as it goes


def test_a_play_has_its_time_heard_written_once_as_its_sound_gets_under_way_then_at_the_ticks(
        store, tmp_path, make_player, monkeypatch):
    # Written first at the first tick (2 s in the window), a play killed before then was left
    # with 0 ms heard: no play at all once the next start closed it. One write as the sound
    # gets under way, and no more until the tick.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    progress = spy(monkeypatch, store, "update_play")
    p = make_player(speed=8.0, interval=3600.0)     # (no tick within the test)
    p.play_tracks([a])
    # (the spy counts a call as it begins: the row is read once the write is in)
    assert wait_for(lambda: (store.plays() or [{"ms_heard": 0}])[0]["ms_heard"] > 0)
    early = store.plays()[0]["ms_heard"]
    assert wait_for(lambda: p.position > early / 1000 + 2.0)    # seconds more of sound...
    assert len(progress) == 1 and store.plays()[0]["ms_heard"] == early     # ...and no other write


def test_a_session_marked_active_a_moment_ago_is_not_written_again(store, tmp_path):
    # Each progress write also moved the session's last activity (the row and its index) on
    # by 2 s: a gap of 30 minutes cannot tell.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    play = store.start_play(a, now=1000.0)
    session = store.play(play)["session_id"]

    def active():
        return store.execute("SELECT last_active_at FROM sessions WHERE id = ?", (session,)).fetchone()[0]

    store.update_play(play, 2000, now=1002.0, session_every_s=60.0)
    assert (store.play(play)["ms_heard"], active()) == (2000, 1000.0)   # the play's progress is written
    store.update_play(play, 60000, now=1060.0, session_every_s=60.0)
    assert active() == 1060.0
    store.update_play(play, 61000, now=1061.0)                         # (by default, every time)
    assert active() == 1061.0
    store.end_play(play, "finished", 61000, now=1062.0)
    assert active() == 1062.0                                           # the end, exactly


@pytest.mark.skipif(not COUNTED, reason="counts wake-ups from /proc")
def test_an_idle_player_sleeps_until_something_changes_and_then_saves_it(store, tmp_path, make_player):
    # Stopped or paused, the progress thread woke every 2 s for as long as the window was
    # open, to find nothing to save.
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    # (an output starved of the CPU for 2 s on a loaded machine would read as one gone)
    p = make_player(speed=8.0, interval=0.05, watchdog_s=30.0)
    p.restore_state()
    ticker = [p._ticker.native_id]

    def count():
        return wakeups(ticker)

    assert quiet_stretch(1.0, count, most=2, within=15.0) <= 2       # 20 ticks before
    p.enqueue([b])                                                   # a change wakes it, and is saved
    assert wait_for(lambda: (store.get_setting(STATE_SETTING) or {}).get("queue") == [[b, "queue", True]])
    p.keep_going = True
    assert wait_for(lambda: store.get_setting(STATE_SETTING)["keep_going"] is True)
    assert quiet_stretch(1.0, count, most=2, within=15.0) <= 2
    p.play_tracks([a])                                               # playing, it ticks
    assert wait_for(lambda: (store.plays() or [{"ms_heard": 0}])[0]["ms_heard"] > 1000)
    p.pause()
    at = p.position
    assert quiet_stretch(1.0, count, most=2, within=15.0) <= 2
    assert store.plays()[0]["ms_heard"] >= at * 1000 - 100           # the last progress was written
    p.seek(30.0)                                                     # a move while paused is saved
    assert wait_for(lambda: store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(30.0, abs=0.1))
    p.resume()
    assert wait_for(lambda: store.plays()[0]["ms_heard"] > at * 1000 + 1000)   # and it ticks again


def test_a_song_paused_by_its_output_going_away_is_saved_where_it_stopped_and_so_is_its_session(
        store, tmp_path, make_player):
    # Paused by the engine (the output unplugged), the place, which waits a few ticks while
    # the song plays on, was left unsaved, and the thread rested; the output had stalled
    # first, so nothing more was heard and the session stayed marked active up to a minute
    # before: killed then, the song came back seconds early and the pause was measured long.
    from player.audio.base import PlaybackState

    (a,) = add_tracks(store, tmp_path, [("a", 120.0)])
    p = make_player(speed=2.0, interval=1.0)
    p.restore_state()
    p.play_tracks([a])

    def saved():
        return ((store.get_setting(STATE_SETTING) or {}).get("current") or [None] * 4)[3]

    assert wait_for(lambda: saved() is not None)        # a new song: saved at the first tick
    first = saved()
    assert wait_for(lambda: p.position > first + 1.0)
    lost_at = time.time()
    p.engine.simulate_device_loss()
    assert wait_for(lambda: p.state is PlaybackState.PAUSED, 20.0)
    stopped = p.position
    assert stopped > first + 1.0
    assert wait_for(lambda: saved() == pytest.approx(stopped, abs=0.1), 20.0), (saved(), stopped)
    session = store.play(store.plays()[0]["id"])["session_id"]

    def active():
        return store.execute("SELECT last_active_at FROM sessions WHERE id = ?", (session,)).fetchone()[0]

    assert wait_for(lambda: active() >= lost_at, 20.0), (active(), lost_at)


def test_a_change_the_library_was_too_busy_to_save_is_saved_once_it_can_be(store, tmp_path, make_player,
                                                                            monkeypatch):
    # Resting while nothing played, the thread tried a failed save only at the next change:
    # killed before one came, the queue edit was lost.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = make_player(interval=0.05)
    p.restore_state()
    real, busy, tried = store.set_setting, threading.Event(), []

    def set_setting(*args, **kwargs):
        tried.append(args[0])
        if busy.is_set():
            raise sqlite3.OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "set_setting", set_setting)
    busy.set()
    p.enqueue([a])
    assert wait_for(lambda: len(tried) >= 2)            # tried, and tried again
    busy.clear()
    assert wait_for(lambda: (store.get_setting(STATE_SETTING) or {}).get("queue") == [[a, "queue", True]])


def test_a_seek_that_waited_for_a_command_under_way_is_saved_at_the_next_tick(store, tmp_path, make_player):
    # The seek asked for its save before it had the lock: a tick while it waited (a command
    # holding the lock for a moment) saved the place before the move, and the move after
    # it then waited as if the song had only played on.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = make_player(speed=8.0, interval=3600.0)     # (the timer stays out of it: the test ticks)
    p.restore_state()
    p.play_tracks([a])
    assert wait_for(lambda: p.position > 0.5)
    assert p._save_state(tick=True)
    at = p.position
    assert wait_for(lambda: p.position > at + 0.5)
    with p._lock:                                   # a command under way
        seeking = threading.Thread(target=p.seek, args=(20.0,))     # (ahead, far from the end)
        seeking.start()
        wait_for(lambda: p._place_unsaved == PLACE_SAVE_TICKS, 1.0)     # (time to ask, were it to ask first)
        p._save_state(tick=True)                    # a tick meanwhile
    seeking.join(10)
    assert p._save_state(tick=True)                 # the move: the next tick saves it
    assert store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(20.0, abs=0.5)
