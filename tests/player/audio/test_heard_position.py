"""The position read while a song plays through the sound card is that of what is heard.

The output plays a block some time after it takes it from the buffer (its latency: 0.09 s
for PortAudio's "high" on the null sink, 0.3 s asked for here as a Bluetooth output has it).
Counted by the frames taken, the seek bar and the synced lyrics ran that far ahead of the
sound. What is heard is read from the null sink's monitor: the frames recorded so far, the
moment the position is read.
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio.null_engine import NullEngine
from tests.player.audio import sink

pytestmark = pytest.mark.audio
SR = sink.RATE
ONSET_S = 1.0   # the tone begins this far into the song, after silence


@pytest.fixture
def engine(null_sink):
    from player.audio.sd_engine import SoundDeviceEngine

    made = []

    def make(**kw):
        made.append(SoundDeviceEngine(**kw))
        return made[-1]

    yield make
    for e in made:
        e.close()


def _tone_after_silence(path, seconds: float, *, freq: float = 440.0):
    x = np.zeros(int(seconds * SR), np.float32)
    t = np.arange(len(x) - int(ONSET_S * SR)) / SR
    x[int(ONSET_S * SR):] = 0.3 * np.sin(2 * np.pi * freq * t)
    sf.write(str(path), np.stack([x, x], 1), SR, subtype="FLOAT")
    return Source(str(path))


def _readings(e, recorder, until, timeout=15.0):
    """(position, frames the monitor recorded) every few milliseconds until ``until()``."""
    seen = []
    end = time.monotonic() + timeout
    while not until() and time.monotonic() < end:
        seen.append((e.position, recorder._size() // 8))
        time.sleep(0.005)
    assert until(), "the song did not get there in time"
    return seen


def _onset(recorded) -> int:
    loud = np.flatnonzero(np.abs(recorded[:, 0]) > 1e-3)
    assert len(loud), "nothing was heard"
    return int(loud[0])


@pytest.mark.parametrize("latency", ["high", 0.3])
def test_the_position_is_where_the_sound_heard_is(engine, tmp_path, latency):
    e = engine(latency=latency)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(_tone_after_silence(tmp_path / "tone.wav", 3.5))
    seen = _readings(e, recorder, lambda: e.state is PlaybackState.STOPPED)
    onset = _onset(recorder.stop())
    # Heard at each reading: the song's place of the last frame the monitor recorded.
    heard = [(pos, ONSET_S + (n - onset) / SR) for pos, n in seen if n > onset and pos < 3.3]
    assert len(heard) > 50
    first_pos, _ = heard[0]
    assert abs(first_pos - ONSET_S) < 0.1, f"the tone was heard when the position read {first_pos:.3f}"
    leads = np.array([pos - at for pos, at in heard])
    assert abs(np.median(leads)) < 0.05, f"position ahead of the sound by {np.median(leads):.3f} s (median)"


def test_after_a_seek_the_position_reads_the_place_gone_to_and_never_goes_back(engine, tmp_path):
    # The old place still sounds for the output's latency: the position must not read it.
    e = engine(latency=0.3)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(_tone_after_silence(tmp_path / "tone.wav", 20.0))
    _readings(e, recorder, lambda: e.position > 2.0)
    e.seek(10.0)
    positions = [pos for pos, _ in _readings(e, recorder, lambda: e.position > 11.0)]
    recorder.stop()
    assert min(positions) >= 10.0, f"read {min(positions):.3f} s after a seek to 10 s"
    assert all(b >= a for a, b in zip(positions, positions[1:])), "the position went back after the seek"


def test_a_pause_holds_the_position_where_the_sound_stopped(engine, tmp_path):
    e = engine(latency=0.3)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(_tone_after_silence(tmp_path / "tone.wav", 20.0))
    _readings(e, recorder, lambda: e.position > 2.5)
    e.pause()
    paused_at = recorder._size() // 8
    held = [pos for pos, _ in _readings(e, recorder, lambda: recorder._size() // 8 > paused_at + SR)]
    assert all(b >= a for a, b in zip(held, held[1:])), "the position went back at the pause"
    recorded = recorder.stop()[:, 0]
    loud = np.flatnonzero(np.abs(recorded) > 1e-3)
    stopped_at = ONSET_S + (loud[-1] - loud[0]) / SR
    assert abs(e.position - stopped_at) < 0.05, f"paused at {e.position:.3f} s, the sound stopped at {stopped_at:.3f} s"
    assert e.position == held[-1]   # (still: nothing more is heard)


def test_a_new_song_reads_0_at_once_while_the_last_one_still_sounds(engine, tmp_path):
    e = engine(latency=0.3)
    a = _tone_after_silence(tmp_path / "a.wav", 1.6)
    b = _tone_after_silence(tmp_path / "b.wav", 2.5, freq=660.0)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(a)
    e.set_next(b)
    seen = []
    end = time.monotonic() + 15
    while e.state is not PlaybackState.STOPPED and time.monotonic() < end:
        seen.append((e.current, e.position))
        time.sleep(0.005)
    recorder.stop()
    on_b = [pos for cur, pos in seen if cur is b]
    assert on_b, "the second song was never current"
    assert on_b[0] < 0.05, f"the new song began at {on_b[0]:.3f} s"
    assert min(on_b) >= 0.0
    assert all(y >= x for x, y in zip(on_b, on_b[1:])), "the new song's position went back"


def test_a_switch_of_output_mid_song_never_moves_the_position_back(engine, tmp_path):
    # The old stream's blocks still to be heard when it was closed are never heard; the new
    # stream's are timed on its own: read together, the position went back and forth.
    e = engine(latency=0.3)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(_tone_after_silence(tmp_path / "tone.wav", 20.0))
    _readings(e, recorder, lambda: e.position > 1.5)
    # Read on another thread while the switch runs too, as the window reads it: the old
    # output's notes until the new one opens, then the new one's.
    during, switched = [], threading.Event()

    def read_during():
        while not switched.is_set():
            during.append(e.position)
            time.sleep(0.002)

    reader = threading.Thread(target=read_during)
    reader.start()
    try:
        e.set_device(None)     # (the same null sink, opened anew as another device would be)
    finally:
        switched.set()
        reader.join()
    at = e.position
    positions = during + [pos for pos, _ in _readings(e, recorder, lambda: e.position > at + 1.0)]
    recorder.stop()
    backs = [(a, b) for a, b in zip(positions, positions[1:]) if b < a]
    assert not backs, f"the position went back after the switch: {backs[:3]}"


def _ahead_of_the_sound_over_switches(engine, tmp_path, switches: int, *, between=None) -> float:
    """The most the position read ran ahead of the time gone by, from just before ``switches``
    switches of output mid-song (one after the other; ``between(engine)`` waited for between
    two) to 1 s after them: what is heard cannot."""
    e = engine(latency=0.3)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(_tone_after_silence(tmp_path / "tone.wav", 20.0))
    _readings(e, recorder, lambda: e.position > 1.5)
    seen, switched = [], threading.Event()

    def read_during():
        while not switched.is_set():
            seen.append((time.monotonic(), e.position))
            time.sleep(0.002)

    began, at = time.monotonic(), e.position
    reader = threading.Thread(target=read_during)
    reader.start()
    try:
        for i in range(switches):
            if i and between is not None:
                between(e)
            e.set_device(None)     # (the same null sink, opened anew as another device would be)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            time.sleep(0.01)
    finally:
        switched.set()
        reader.join()
    recorder.stop()
    assert seen and seen[-1][1] > at + 0.1, "the song did not play on after the switch"
    return max(pos - (at + (t - began)) for t, pos in seen)


def test_a_switch_of_output_mid_song_never_moves_the_position_ahead_of_the_sound(engine, tmp_path):
    # The output left plays what it took (the fade's end) for its latency after the switch,
    # while the new one opens and plays its first blocks a latency later: the position read
    # where the output left had taken the song to at once, up to a whole latency (0.3 s here)
    # ahead of the sound, and held there. It goes on from the output left's sound now.
    ahead = _ahead_of_the_sound_over_switches(engine, tmp_path, 1)
    assert ahead < 0.05, f"the position ran {ahead:.3f} s ahead of the time gone by during the switch"


def test_two_switches_of_output_in_a_row_never_move_the_position_ahead_of_the_sound(engine, tmp_path):
    # The second switch leaves an output still in its first blocks of silence, while the one
    # the first switch left plays what it took: the position read the switch's place at once,
    # a whole latency (0.3 s) ahead of the sound.
    ahead = _ahead_of_the_sound_over_switches(engine, tmp_path, 2)
    assert ahead < 0.05, f"the position ran {ahead:.3f} s ahead of the time gone by during the switches"


def _music_taken_not_heard(e) -> None:
    """Until the output open now has taken music, none of it heard yet (a latency to wait)."""
    end = time.monotonic() + 5.0
    while e._heard.music_ends(e.rate) is None:
        assert time.monotonic() < end, "the output the switch opened took no music"
        time.sleep(0.001)


def test_a_second_switch_once_the_first_ones_output_took_music_never_moves_the_position_ahead(engine, tmp_path):
    # Switched again a little late (a loaded machine): the output the first switch opened has
    # begun to take music, none of it heard yet, while the one before it still plays its own.
    # The position read where that newer output had taken the song to, up to a latency
    # ahead of the sound (0.21 s measured), until the output before it was remembered too.
    ahead = _ahead_of_the_sound_over_switches(engine, tmp_path, 2, between=_music_taken_not_heard)
    assert ahead < 0.05, f"the position ran {ahead:.3f} s ahead of the time gone by during the switches"


PAUSED_CHILD = """
import sys, time
from player.audio.sd_engine import SoundDeviceEngine
from player.library.tags import read_tags
from player.playback import Player
from player.store import Store

path = sys.argv[1]
store = Store.open()
store.upsert_tracks([{"path": path, "size": 1, "mtime_ns": 1, **read_tags(path)}])
# (no progress tick in the test's time: only what Pause itself saves is saved)
player = Player(store, SoundDeviceEngine(latency=0.5), progress_interval_s=600.0)
player.restore_state()
player.play_track(store.track_by_path(path)["id"], source="cli")
end = time.monotonic() + 30
while player.position < 1.5 and time.monotonic() < end:
    time.sleep(0.005)
player.pause()
# Where Play goes on from: where the sound stopped, once the output played what it took.
seen, still = player.position, 0
while still < 3 and time.monotonic() < end:
    time.sleep(0.1)
    still = still + 1 if player.position == seen else 0
    seen = player.position
print("stopped", seen, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_player_killed_while_paused_goes_on_where_the_sound_stopped(null_sink, tmp_path, segue_home):
    # Pause saved the place the output was heard at as it was pressed, but the output still
    # plays what it took (its latency: 0.5 s here), and Play goes on from where the sound
    # stopped. Killed while paused (a crash, a power cut) before a progress tick, the song
    # came back up to a latency earlier than Play would have taken it on from.
    from player.playback import Player
    from player.store import Store

    song = tmp_path / "song.wav"
    x = (0.3 * np.sin(2 * np.pi * 220.0 * np.arange(60 * SR) / SR)).astype(np.float32)
    sf.write(str(song), np.stack([x, x], 1), SR, subtype="FLOAT")
    env = {**os.environ, "PYTHONPATH": str(sink.ROOT)}
    child = subprocess.Popen([sys.executable, "-c", PAUSED_CHILD, str(song)], env=env, cwd=sink.ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = child.stdout.readline().split()
        assert said[:1] == ["stopped"], child.stderr.read()
        stopped = float(said[1])
        assert stopped > 1.6, "the output played nothing after the pause"
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    store = Store.open()
    p = Player(store, NullEngine())
    try:
        cued = p.restore_state()
        assert cued is not None and cued.position == pytest.approx(stopped, abs=0.1), (
            f"killed while paused, it goes on at {cued.position:.3f} s, where Play went on at {stopped:.3f} s")
    finally:
        p.close()
        store.close()
