"""The shared engine machinery (decoder thread, ring buffer, hand-over) via the null output."""

import os
import shutil
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio.buffered import FADE_FRAMES
from player.audio.null_engine import NullEngine
from tests.audiogen import write_track
from tests.player.audio.signals import active_region, sine, tone_level, write_sine_parts
from tests.seek_hold import hold_seeks
from tests.wakeups import COUNTED, wakeups, woken_in

SR = 44100


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


class Recorder:
    def __init__(self, engine):
        self.events = []
        self.lock = threading.Lock()
        engine.set_listener(self)

    def __call__(self, name, data):
        with self.lock:
            self.events.append((name, data.get("source"), data))

    def names(self):
        return [(n, s.path.rsplit("/", 1)[-1] if s else None) for n, s, _ in self.events if n != "state"]


@pytest.fixture
def engine():
    engines = []

    def make(**kw):
        kw.setdefault("speed", 6.0)
        e = NullEngine(capture=True, **kw)
        engines.append(e)
        return e

    yield make
    for e in engines:
        e.close()


def played(e):
    return active_region(e.captured()[:, 0], threshold=1e-7)


def next_open(e, timeout: float = 10.0) -> bool:
    """Whether the next track's file got open (or failed to) within ``timeout``. It opens on a
    thread of its own, in real time, while a null output runs as fast as it is asked: a test
    that plays on past the current track's end before it is open hears a gap that a real
    output, paced by the clock, would have left the file time enough to fill."""
    return wait_for(lambda: e.sync() and e._nopen is None, timeout)


def hold_output(e) -> None:
    """The null output takes nothing until ``e.set_device(None)``, as an unplugged device (its
    clock renders and captures nothing meanwhile): a test lets it play once what it needs is
    ready."""
    e.simulate_device_loss()
    e._watchdog_s = 60.0                # (the held output is no lost device)


def hand_driven_pair(engine, tmp_path, lengths, crossfade_s):
    """Two tracks playing, the second set as next and written after the first (or the fade
    into it), over an output the test drives itself, block by block."""
    (a, b), _ = write_sine_parts(tmp_path, lengths)
    e = engine(speed=1.0, crossfade_s=crossfade_s)
    rec = Recorder(e)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0                # (a pause of the test's on a loaded machine is no lost device)
    src_a, src_b = Source(str(a)), Source(str(b))
    e.play(src_a)
    e.set_next(src_b)
    assert wait_for(lambda: e._nseg is not None)
    return e, rec, src_a, src_b


def render_to_the_end(e, blocks: int, sync_s: float = 5.0, after_each=None) -> np.ndarray:
    """Be the output, a block at a time with a feeder pass after each, until playback stops;
    what it took [shape=(n, 2)]. ``sync_s``: how long a feeder pass may take; ``after_each``:
    called once that pass is done, before the next block is taken."""
    block, got = np.zeros((1024, 2), np.float32), []
    for _ in range(blocks):
        if e.state is PlaybackState.STOPPED:
            break
        e._render(block)
        got.append(block.copy())
        assert e.sync(sync_s)
        if after_each is not None:
            after_each()
    assert e.state is PlaybackState.STOPPED
    return np.concatenate(got) if got else np.zeros((0, 2), np.float32)


def test_gapless_pair_comes_out_sample_exact(engine, tmp_path):
    (a, b), whole = write_sine_parts(tmp_path, [33333, 28001])
    e = engine()
    rec = Recorder(e)
    sa, sb = Source(str(a)), Source(str(b))
    hold_output(e)          # (a lasts an eighth of a second at six times real time: b opens first)
    e.play(sa)
    e.set_next(sb)
    assert next_open(e)
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) == 4)
    out = played(e)
    assert len(out) == len(whole)
    assert np.array_equal(out, whole)  # not one sample lost, repeated or altered
    assert (sa.heard_frames, sb.heard_frames) == (33333, 28001)
    assert rec.names() == [("started", "part0.wav"), ("finished", "part0.wav"),
                           ("started", "part1.wav"), ("finished", "part1.wav")]
    # Only the end of the stream is the last: the player starts anything it armed too late.
    assert [d["last"] for n, _, d in rec.events if n == "finished"] == [False, True]
    assert e.underruns == 0


def test_short_tracks_hand_over_in_order(engine, tmp_path):
    # Shorter than the ring buffer: several sources are buffered before any is heard.
    paths, whole = write_sine_parts(tmp_path, [3000, 6000, 4000, 7000])
    e = engine(speed=1.0)
    rec = Recorder(e)
    hold_output(e)          # the test is the output: it reads block by block
    sources = [Source(str(p)) for p in paths]
    e.play(sources[0])
    e.set_next(sources[1])
    assert next_open(e)
    # Each next is set once its predecessor is heard, as the player does, and given the time to
    # open that the predecessor's length would give it in real time (a few tens of ms here).
    following = list(zip(sources[1:], sources[2:]))

    def next_set_once_heard():
        if following and e.current is following[0][0]:
            e.set_next(following.pop(0)[1])
            assert next_open(e)

    out = render_to_the_end(e, 100, after_each=next_set_once_heard)
    assert wait_for(lambda: len(rec.names()) == 8)
    assert not following
    assert np.array_equal(active_region(out[:, 0], threshold=1e-7), whole)
    assert [s.heard_frames for s in sources] == [3000, 6000, 4000, 7000]
    assert [n for n, _ in rec.names()].count("finished") == 4


def test_next_source_set_after_the_current_was_fully_buffered(engine, tmp_path):
    (a, b), whole = write_sine_parts(tmp_path, [20000, 9000])
    e = engine(speed=1.0)
    hold_output(e)          # (b opens before the output reaches a's end, as it would in real time)
    e.play(Source(str(a)))
    assert wait_for(lambda: e._ring.end_of_stream)  # a is fully decoded, nothing follows
    e.set_next(Source(str(b)))
    assert next_open(e)
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert np.array_equal(played(e), whole)


def test_replacing_the_buffered_next_source_takes_it_back(engine, tmp_path):
    (a, b), whole = write_sine_parts(tmp_path, [12000, 8000])
    other = tmp_path / "other.wav"
    sf.write(str(other), np.full((5000, 2), 0.25, np.float32), SR, subtype="FLOAT")
    e = engine(speed=1.0)
    rec = Recorder(e)
    hold_output(e)          # (b opens before the output reaches a's end, as it would in real time)
    sa, sother, sb = Source(str(a)), Source(str(other)), Source(str(b))
    e.play(sa)
    e.set_next(sother)
    assert wait_for(lambda: e._nseg is not None)  # "other" is already in the ring buffer
    e.set_next(sb)
    assert next_open(e)
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert np.array_equal(played(e), whole)
    assert sother.heard_frames == 0
    assert ("started", "other.wav") not in rec.names()


def test_plays_in_real_time(engine, tmp_path):
    (a,), _ = write_sine_parts(tmp_path, [int(0.6 * SR)])
    e = engine(speed=1.0)
    t0 = time.monotonic()
    e.play(Source(str(a)))
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert 0.58 <= time.monotonic() - t0 < 4.0  # never faster than real time; slack for a loaded CI box


def assert_one_faded_jump(out, ramp, *, to):
    """``out`` is ``ramp`` (whose every value tells its index) played from its start, then from
    ``to`` to its end: one jump, where FADE_FRAMES frames of the old place fade out and the
    first FADE_FRAMES of the new one fade in; exact everywhere else."""
    n, fade = len(ramp), FADE_FRAMES
    idx = np.rint((out + 0.5) * (n - 1)).astype(int)
    k = np.nonzero(np.diff(idx) != 1)[0][0] + 1         # where the old place stops being exact
    assert idx[0] == 0
    was = idx[k - 1] + 1
    assert np.allclose(out[k:k + fade], ramp[was:was + fade] * np.arange(fade, 0, -1) / (fade + 1), atol=1e-6)
    assert np.allclose(out[k + fade:k + 2 * fade], ramp[to:to + fade] * np.arange(1, fade + 1) / fade, atol=1e-6)
    rest = idx[k + 2 * fade:]
    assert rest[0] == to + fade and np.all(np.diff(rest) == 1) and rest[-1] == n - 1


def test_seek_jumps_exactly_and_does_not_count_skipped_audio(engine, tmp_path):
    n = 3 * SR
    ramp = np.linspace(-0.5, 0.5, n, dtype=np.float32)  # every sample value tells its index
    path = tmp_path / "ramp.wav"
    sf.write(str(path), np.stack([ramp, ramp], 1), SR, subtype="FLOAT")
    e = engine(speed=4.0)
    src = Source(str(path))
    e.play(src)
    assert wait_for(lambda: e.position > 0.3)
    e.seek(2.0)
    assert wait_for(lambda: e.position >= 2.0, timeout=2)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = played(e)
    out = out[out != 0.0]  # a seek may leave a block of silence while the decoder refills
    assert_one_faded_jump(out, ramp, to=2 * SR)
    assert src.heard_frames == len(out) - FADE_FRAMES < n      # (the fading out counts for nothing)


def test_a_seek_sent_as_a_track_opens_starts_it_there(engine, tmp_path, monkeypatch):
    # A click on the seek bar while the file is still opening (a sleeping disk, a network
    # share) reaches the engine before a frame of the track was written.
    from player.audio.decoder import Decoder

    n = 3 * SR
    ramp = np.linspace(-0.5, 0.5, n, dtype=np.float32)  # every sample value tells its index
    path = tmp_path / "ramp.wav"
    sf.write(str(path), np.stack([ramp, ramp], 1), SR, subtype="FLOAT")
    opened = Decoder.__init__

    def slow(self, *args, **kw):
        time.sleep(0.3)
        opened(self, *args, **kw)

    monkeypatch.setattr(Decoder, "__init__", slow)
    e = engine(speed=4.0)
    rec = Recorder(e)
    src, other = Source(str(path)), Source(str(path))
    e.play(src)
    e.seek(0.5, other)                  # meant for another track: ignored
    e.seek(1.5, src)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) == 2)
    out = e.captured()[:, 0]
    heard = out[out != 0.0]
    assert len(heard) == n - n // 2
    # (after silence, mid-wave: its first 512 frames fade in)
    idx = np.rint((heard[512:] + 0.5) * (n - 1)).astype(int)
    assert idx[0] == n // 2 + 512 and idx[-1] == n - 1 and (np.diff(idx) == 1).all()
    assert rec.names() == [("started", "ramp.wav"), ("finished", "ramp.wav")]
    assert src.heard_frames == n - n // 2


def test_a_seek_meant_for_another_track_moves_nothing(engine, tmp_path):
    # The player names the track it moves: one the engine has gone on to meanwhile stays put.
    (a, b), _ = write_sine_parts(tmp_path, [3 * SR, 3 * SR])
    e = engine(speed=2.0)
    src_a, src_b = Source(str(a)), Source(str(b))
    e.play(src_a)
    assert wait_for(lambda: e.position > 0.2)
    asked, was = time.monotonic(), e.position
    e.seek(2.5, src_b)
    assert e.sync()
    # (played on at twice real time meanwhile, for as long as this thread was kept waiting)
    assert e.position < was + 0.3 + 2.0 * (time.monotonic() - asked)
    e.seek(2.5, src_a)
    assert wait_for(lambda: e.position >= 2.5, timeout=2)


def test_undecodable_sources_report_errors_not_endings(engine, tmp_path):
    (a,), _ = write_sine_parts(tmp_path, [4000])
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"not audio at all" * 100)
    e = engine()
    rec = Recorder(e)
    e.play(Source(str(bad)))
    assert wait_for(lambda: len(rec.names()) == 2 and e.state is PlaybackState.STOPPED)
    assert rec.names() == [("started", "bad.flac"), ("error", "bad.flac")]
    message = next(d["message"] for n, _, d in rec.events if n == "error")
    assert "bad.flac" in message
    e.play(Source(str(a)))
    e.set_next(Source(str(bad)))
    assert wait_for(lambda: len(rec.names()) == 6 and e.state is PlaybackState.STOPPED)
    assert rec.names()[2:] == [("started", "part0.wav"), ("finished", "part0.wav"),
                               ("started", "bad.flac"), ("error", "bad.flac")]


def test_volume_and_gain_scale_the_output(engine, tmp_path):
    (a,), whole = write_sine_parts(tmp_path, [9000])
    e = engine()
    e.volume = 0.5
    e.play(Source(str(a), gain=0.5))
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert np.allclose(played(e), whole * 0.25, atol=1e-6)


def test_crossfade_overlaps_the_two_sources(engine, tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), np.stack([sine(SR, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(b), np.stack([sine(SR, freq=660, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    e = engine(crossfade_s=0.25)
    rec = Recorder(e)
    hold_output(e)          # (a lasts a sixth of a second at six times real time: b opens first)
    e.play(Source(str(a)))
    e.set_next(Source(str(b)))
    assert next_open(e)
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) == 4)
    out = played(e)
    fade = int(0.25 * SR)
    assert abs(len(out) - (2 * SR - fade)) < 10
    mid = out[SR - fade + 1000:SR - 1000]  # inside the fade: both tones present
    for f in (440, 660):
        assert tone_level(mid, f, sr=SR) > 0.2
    assert np.abs(out).max() <= 1.0
    assert [n for n, _ in rec.names()] == ["started", "finished", "started", "finished"]


def test_a_crossfade_at_a_low_volume_leaves_a_files_own_peaks_past_full_scale_whole(engine, tmp_path):
    # A float file (or a lossy one, decoded) may pass full scale; outside a fade the volume
    # brings it back below and nothing is cut. The fade clipped its mix at full scale before
    # the volume, though no gain boosted either track: at 12 % the first track's tops went flat
    # for the length of the fade (and flat tops are exactly the volume, 0.125, sample after sample).
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), np.stack([sine(SR, freq=440, sr=SR, amp=1.5)] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(b), np.stack([sine(SR, freq=660, sr=SR, amp=0.3)] * 2, 1), SR, subtype="FLOAT")
    e = engine(crossfade_s=0.25)
    rec = Recorder(e)
    hold_output(e)
    e.volume = 0.125
    e.play(Source(str(a)))
    e.set_next(Source(str(b)))
    assert next_open(e)
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) == 4)
    out = played(e)
    fade = out[SR - int(0.25 * SR):SR - int(0.125 * SR)]   # (its first half: the first track still over 1)
    assert np.abs(fade).max() > 0.125 * 1.1
    assert np.count_nonzero(np.abs(out) == np.float32(0.125)) < 10


@pytest.mark.parametrize("changed_to", [3.0, 0.25, 0.0])
def test_a_crossfade_setting_changed_during_a_fade_leaves_that_fade_as_it_began(engine, tmp_path, changed_to):
    """The person changes the crossfade length while a fade is being written: that fade goes
    on over the length it began with (its curves stretched or cut mid-way would jump: a
    click), every frame of both songs heard once, none twice; the new length is for the
    hand-overs after it."""
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    wave_a, wave_b = sine(3 * SR, freq=440, sr=SR), sine(3 * SR, freq=660, sr=SR)
    sf.write(str(a), np.stack([wave_a] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(b), np.stack([wave_b] * 2, 1), SR, subtype="FLOAT")
    e = engine(speed=1.0, crossfade_s=1.0)
    hold_output(e)
    src_a, src_b = Source(str(a)), Source(str(b))
    e.play(src_a)
    e.set_next(src_b)
    assert next_open(e)
    block, got = np.zeros((1024, 2), np.float32), []
    while not (e._fade is not None and 0 < e._fade.done_frames < e._fade.length):
        assert len(got) < 200, "no fade was under way"
        e._render(block)
        got.append(block.copy())
        assert e.sync()
    e.crossfade_s = changed_to
    out = np.concatenate([*got, render_to_the_end(e, 400)])[:, 0]
    fade = SR
    t = np.arange(fade, dtype=np.float32) / fade * (np.pi / 2)
    mixed = wave_a[2 * SR:] * np.cos(t) + wave_b[:fade] * np.sin(t)
    want = np.concatenate([wave_a[:2 * SR], mixed, wave_b[fade:]])
    heard = active_region(out, threshold=0.0)     # (the output waits in silence before a, and after b)
    assert len(heard) == len(want)
    assert np.abs(heard - want).max() < 1e-5
    assert src_a.heard_frames == 2 * SR and src_b.heard_frames == 3 * SR


def read_whole_blocks(e, block, until: int) -> None:
    """Be the output, a whole block at a time, until it has read up to ``until`` or past it.

    A block is read only once the ring holds one (a short read would leave the output off
    the block boundary); a read that meets the feeder holding the ring's lock reads nothing
    and is made again after a pause (in CI on a loaded machine, 64 blocks in a row once
    moved the output only 30)."""
    deadline = time.monotonic() + 10.0
    while e._ring.read < until and time.monotonic() < deadline:
        assert wait_for(lambda: e._ring.buffered() >= len(block))
        before = e._ring.read
        e._render(block)
        if e._ring.read == before:
            time.sleep(0.001)


def test_an_output_stopped_on_a_track_boundary_announces_each_track_once(engine, tmp_path):
    # A next track set once the current one has less left than the fade begins to fade
    # in over what of it is not heard yet, and the output can stop exactly where the fade
    # begins. Each track must still start and finish once.
    (a, b), _ = write_sine_parts(tmp_path, [6 * SR, 4 * SR])
    e = engine(speed=1.0, crossfade_s=3.0)
    rec = Recorder(e)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0                # (a pause of the test's on a loaded machine is no lost device)
    src_a, src_b = Source(str(a)), Source(str(b))
    src_a.start_s = 4.0                 # 2 s left: all of it fades
    e.play(src_a)
    assert wait_for(lambda: e._ring.free() < 4096)
    e.set_next(src_b)
    assert e.sync()                     # known before there is room: the fade begins at once
    block = np.zeros((1024, 2), np.float32)
    read_whole_blocks(e, block, e._ring.read + 4 * len(block))      # room for the fade to begin
    assert wait_for(lambda: e._nseg is not None)
    boundary = e._nseg.start
    read_whole_blocks(e, block, boundary - len(block))
    if boundary > e._ring.read:     # (the last block up to the boundary exactly)
        read_whole_blocks(e, np.zeros((boundary - e._ring.read, 2), np.float32), boundary)
    assert e._ring.read == boundary
    assert wait_for(lambda: ("started", "part1.wav") in rec.names())
    for _ in range(3):                  # into the fade, a feeder pass after each block
        e._render(block)
        assert e.sync() and e.sync()
    assert rec.names() == [("started", "part0.wav"), ("finished", "part0.wav"), ("started", "part1.wav")]


@pytest.mark.parametrize("crossfade_s", [0.0, 0.5])
def test_in_the_moment_before_a_hand_over_is_announced_the_current_track_is_at_its_end_and_seeks(
        engine, tmp_path, crossfade_s):
    # The output reads into the next track a few milliseconds before the feeder announces
    # it. The player still shows the track before it: its position must not read 0 (to
    # Previous that means "go back a track"), and a seek the person makes in it must move
    # that track, not be dropped while the player counts it as made.
    e, rec, src_a, src_b = hand_driven_pair(engine, tmp_path, [SR, 2 * SR], crossfade_s)
    block = np.zeros((1024, 2), np.float32)
    e._render(block)
    assert wait_for(lambda: ("started", "part0.wav") in rec.names())
    boundary = e._nseg.start
    e._watch = lambda: None             # the feeder does not look at the output for now
    # (a pass already looking when it was put aside is waited out: on a loaded machine one
    # still looking as the blocks below were read announced the hand-over)
    assert e.sync()
    while e._ring.read <= boundary:
        e._render(block)
    assert e.sync() and e.current is src_a
    assert e.position == pytest.approx(1.0 - crossfade_s)
    e.seek(0.25, src_a)
    assert e.sync()
    del e._watch
    render_to_the_end(e, 300)
    assert wait_for(lambda: ("finished", "part1.wav") in rec.names())
    assert rec.names() == [("started", "part0.wav"), ("finished", "part0.wav"),
                           ("started", "part1.wav"), ("finished", "part1.wav")]
    # what was heard of A before the fade began, and again from 0.25 s; B once, whole
    assert src_a.heard_frames == round((1.0 - crossfade_s) * SR) + round((0.75 - crossfade_s) * SR)
    assert src_b.heard_frames == 2 * SR


@pytest.mark.parametrize("asked", ["play", "stop"])
def test_a_track_played_as_the_output_reaches_the_next_one_is_the_current_one_from_the_start(engine, tmp_path,
                                                                                             asked):
    # engine.current is the track played from the moment play() is called (None from stop()).
    # The output had just read into the next track, and the feeder, looking at it before it
    # took the play (that look forced here to come just after the call), announced that next
    # track and made it the current one again until the play was done: the player, reading the
    # engine's track in that moment, took the song asked for as not reached yet and the one
    # left as playing (after a stop, a track as still playing).
    (a, b, c), _ = write_sine_parts(tmp_path, [SR, 2 * SR, SR])
    e = engine(speed=1.0)
    rec = Recorder(e)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0                # (a pause of the test's on a loaded machine is no lost device)
    src_a, src_b, src_c = Source(str(a)), Source(str(b)), Source(str(c))
    e.play(src_a)
    e.set_next(src_b)
    assert wait_for(lambda: e._nseg is not None)
    block = np.zeros((1024, 2), np.float32)
    e._render(block)
    assert wait_for(lambda: ("started", "part0.wav") in rec.names())
    boundary = e._nseg.start
    real_watch = e._watch
    holding, go, seen = threading.Event(), threading.Event(), []

    def held_watch():
        if not go.is_set():
            holding.set()
            assert go.wait(30)
            real_watch()
            seen.append(e.current)
            return
        real_watch()

    e._watch = held_watch
    assert holding.wait(10)             # the feeder, its commands taken, is about to look
    read_whole_blocks(e, block, boundary + len(block))      # the output is into the next track
    want = src_c if asked == "play" else None
    e.play(src_c) if asked == "play" else e.stop()
    assert e.current is want
    go.set()
    assert e.sync() and seen
    assert seen[0] is want
    del e._watch
    if asked == "stop":
        assert e.current is None and e.state is PlaybackState.STOPPED
        return
    e.set_device(None)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert ("started", "part2.wav") in rec.names() and src_c.heard_frames == SR


@pytest.mark.parametrize("damaged", ["part0.wav", "part1.wav"])
def test_a_damaged_frame_under_a_crossfade_ends_the_right_track(engine, tmp_path, monkeypatch, damaged):
    # The end of the track fading out is damaged: it falls silent, the next one plays on.
    # The start of the track fading in is damaged: that one ends as an error, as it would
    # after a gapless hand-over, and nothing is heard of the first one again.
    from player.audio.decoder import Decoder, DecodeError

    (a, b), _ = write_sine_parts(tmp_path, [4 * SR, 4 * SR])
    read = Decoder.read

    def failing(self, n, **kw):
        if self.path.endswith(damaged) and (damaged == "part1.wav" or self.frame >= 3 * SR):
            raise DecodeError(f"decoding {damaged} failed: a damaged frame")
        return read(self, n, **kw)

    monkeypatch.setattr(Decoder, "read", failing)
    e = engine(speed=8.0, crossfade_s=1.0)
    rec = Recorder(e)
    src_a, src_b = Source(str(a)), Source(str(b))
    e.play(src_a)
    e.set_next(src_b)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) >= 4)
    assert e.sync() and e.sync()
    end = ("finished", "part1.wav") if damaged == "part0.wav" else ("error", "part1.wav")
    assert rec.names() == [("started", "part0.wav"), ("finished", "part0.wav"), ("started", "part1.wav"), end]
    assert src_a.heard_frames == 3 * SR
    assert src_b.heard_frames == (4 * SR if damaged == "part0.wav" else 0)


@pytest.mark.parametrize("crossfade_s", [0.0, 0.2])
def test_nothing_next_takes_back_a_next_track_already_written(engine, tmp_path, crossfade_s):
    # The current track is in the buffer to its end and the next one's start after it (or
    # the fade into it): the queue is cleared before that is heard.
    e, rec, src_a, src_b = hand_driven_pair(engine, tmp_path, [SR, 2 * SR], crossfade_s)
    e.set_next(None)
    assert e.sync() and e.sync()
    render_to_the_end(e, 200)
    assert wait_for(lambda: ("finished", "part0.wav") in rec.names())
    assert rec.names() == [("started", "part0.wav"), ("finished", "part0.wav")]
    assert src_a.heard_frames == SR and src_b.heard_frames == 0


def test_crossfade_range_is_checked():
    with pytest.raises(ValueError):
        NullEngine(crossfade_s=13.0).close()


def test_pause_holds_position_and_heard_time(engine, tmp_path):
    (a,), _ = write_sine_parts(tmp_path, [2 * SR])
    e = engine(speed=2.0)
    src = Source(str(a))
    e.play(src)
    assert wait_for(lambda: e.position > 0.2)
    e.pause()
    time.sleep(0.2)  # a block being rendered when pause() came may still finish
    pos, heard = e.position, src.heard_frames
    time.sleep(0.2)
    assert e.state is PlaybackState.PAUSED
    assert (e.position, src.heard_frames) == (pos, heard)
    e.resume()
    assert wait_for(lambda: e.position > pos + 0.1)


def test_lost_output_pauses_and_another_device_resumes(engine, tmp_path):
    (a,), _ = write_sine_parts(tmp_path, [3 * SR])
    e = engine(speed=1.0)
    rec = Recorder(e)
    src = Source(str(a))
    e.play(src)
    assert wait_for(lambda: src.heard_frames > 0)
    e._watchdog_s = 0.3
    e.simulate_device_loss()
    assert wait_for(lambda: e.state is PlaybackState.PAUSED, timeout=3)
    assert wait_for(lambda: any(n == "device_lost" for n, _, _ in rec.events))
    heard = src.heard_frames
    e.set_device("null")
    e.resume()
    assert wait_for(lambda: src.heard_frames > heard + SR // 10)


def test_seek_back_to_the_start_replays_it(engine, tmp_path):
    n = 2 * SR
    ramp = np.linspace(-0.5, 0.5, n, dtype=np.float32)
    path = tmp_path / "ramp.wav"
    sf.write(str(path), np.stack([ramp, ramp], 1), SR, subtype="FLOAT")
    e = engine(speed=4.0)
    src = Source(str(path))
    e.play(src)
    assert wait_for(lambda: e.position > 1.0)
    e.seek(0.0)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = played(e)
    out = out[out != 0.0]
    assert_one_faded_jump(out, ramp, to=0)
    assert src.heard_frames == len(out) - FADE_FRAMES > n  # heard again: really played twice


def test_a_long_pause_releases_the_output_and_resume_restarts_it(engine, tmp_path):
    (a,), _ = write_sine_parts(tmp_path, [2 * SR])
    e = engine(speed=1.0)
    e.pause_release_s = 0.2
    src = Source(str(a))
    e.play(src)
    assert wait_for(lambda: src.heard_frames > SR // 10)
    e.pause()
    assert wait_for(lambda: not e._output_running(), timeout=3)
    heard = src.heard_frames
    e.resume()
    assert e._output_running()
    assert wait_for(lambda: src.heard_frames > heard + SR // 10)


def test_an_output_that_fails_to_be_let_go_leaves_the_feeder_running(tmp_path):
    """The feeder lets the output go after a long pause; a device that answers that with an
    error (a sound server going away at that moment) ended the feeder thread, and the song
    was never heard again after Play. The error is logged, the let-go tried again at the
    next tick, and the song plays on when resumed. The output here fails its first let-go,
    and is otherwise the real null output."""

    class FailsOnce(NullEngine):
        failed = 0

        def _output_stop(self, *, drain: bool = False) -> None:
            if not self.failed:
                self.failed += 1
                raise RuntimeError("the sound server went away")
            super()._output_stop(drain=drain)

    (a,), _ = write_sine_parts(tmp_path, [3 * SR])
    e = FailsOnce(speed=1.0)
    try:
        e.pause_release_s = 0.2
        src = Source(str(a))
        e.play(src)
        assert wait_for(lambda: src.heard_frames > SR // 10)
        e.pause()
        assert wait_for(lambda: not e._output_running(), timeout=3)
        assert e.failed == 1 and e._feeder.is_alive()
        heard = src.heard_frames
        e.resume()
        assert wait_for(lambda: src.heard_frames > heard + SR // 10)
    finally:
        e.close()


def test_a_file_that_fails_even_to_be_closed_leaves_the_feeder_playing_the_next(tmp_path, monkeypatch):
    """A file on a share that went away fails to read, and then to close (an input/output
    error): the feeder, closing it as the next song was played, died of the error, and
    nothing was heard again until a restart. The decoders here are the real ones; the
    file of the share's song answers its close as such a file does."""
    import errno

    from player.audio import feeder
    from player.audio.decoder import Decoder

    class OnAShareGone(Decoder):
        def __init__(self, path, **kw):
            super().__init__(path, **kw)
            if "share" in str(path):
                for name in ("_blocks", "_sf", "_fallback"):
                    reader = getattr(self, name)
                    if reader is not None:
                        setattr(self, name, _FailsToClose(reader))

    class _FailsToClose:
        def __init__(self, reader):
            self._reader = reader

        def close(self):
            self._reader.close()
            raise OSError(errno.EIO, "Input/output error")

        def __getattr__(self, name):
            return getattr(self._reader, name)

    monkeypatch.setattr(feeder, "Decoder", OnAShareGone)
    share, local = tmp_path / "share.wav", tmp_path / "local.wav"
    for path in (share, local):
        sf.write(str(path), np.stack([sine(5 * SR, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    e = NullEngine(speed=1.0)
    try:
        first = Source(str(share))
        e.play(first)
        assert wait_for(lambda: first.heard_frames > SR // 10)
        second = Source(str(local))
        e.play(second)                  # the share's file is closed (and fails to be)
        assert wait_for(lambda: second.heard_frames > SR // 5)
        assert e._feeder.is_alive() and e.state is PlaybackState.PLAYING
    finally:
        e.close()


def _woken_in_a_second(threads) -> int:
    return woken_in(1.0, lambda: wakeups(t.native_id for t in threads))


@pytest.mark.skipif(not COUNTED, reason="counts wake-ups in /proc (Linux)")
def test_an_engine_stopped_or_long_paused_sleeps_until_it_is_told_something(engine, tmp_path):
    """A window left open for days with nothing playing: its engine's threads wake for a
    command, never on a clock (they woke about 70 times a second)."""
    (a,), _ = write_sine_parts(tmp_path, [3 * SR])
    e = engine(speed=1.0)
    threads = [e._feeder, e._clock, e._dispatcher]
    assert e.sync()
    assert _woken_in_a_second(threads) <= 5              # stopped, nothing played yet
    e.pause_release_s = 0.2
    src = Source(str(a))
    e.play(src)
    assert wait_for(lambda: src.heard_frames > SR // 10)
    e.pause()
    assert wait_for(lambda: not e._output_running(), timeout=3)
    assert e.sync()
    assert _woken_in_a_second(threads) <= 5              # paused, the output let go
    heard = src.heard_frames
    e.resume()                                            # and it still plays on when told
    assert wait_for(lambda: src.heard_frames > heard + SR // 2)
    e.stop()
    assert wait_for(lambda: not e._output_running(), timeout=5)
    assert e.sync()
    assert _woken_in_a_second(threads) <= 5              # stopped again, the device let go


def test_pause_and_resume_fade_instead_of_clicking(engine, tmp_path):
    path = tmp_path / "dc.wav"
    sf.write(str(path), np.full((2 * SR, 2), 0.5, np.float32), SR, subtype="FLOAT")
    e = engine(speed=2.0)
    e.play(Source(str(path)))
    assert wait_for(lambda: e.position > 0.3)
    e.pause()
    time.sleep(0.15)
    e.resume()
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = played(e)
    # A constant signal: any jump between neighbouring samples would be a click.
    assert np.abs(np.diff(out)).max() < 0.01
    assert out.min() < 0.01  # it really went (close to) silent in between


def test_a_failing_seek_ends_the_track_as_an_error_and_the_feeder_survives(engine, tmp_path, monkeypatch):
    # sf.seek can raise on a damaged file; the feeder thread must live on.
    from player.audio.decoder import Decoder

    (a, b), _ = write_sine_parts(tmp_path, [2 * SR, 9000])
    e = engine(speed=2.0)
    rec = Recorder(e)
    e.play(Source(str(a)))
    assert wait_for(lambda: e.position > 0.1)

    def broken_seek(self, frame, *, exact=True):
        raise RuntimeError("Internal psf_fseek() failed.")

    with monkeypatch.context() as m:
        m.setattr(Decoder, "seek_frame", broken_seek)
        e.seek(1.0)
        assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    # (the error event reaches the listener on the engine's event thread, after the stop)
    assert wait_for(lambda: rec.names() == [("started", "part0.wav"), ("error", "part0.wav")])
    assert "psf_fseek" in next(d["message"] for n, _, d in rec.events if n == "error")
    assert e._feeder.is_alive()
    e.play(Source(str(b)))
    assert wait_for(lambda: len(rec.names()) == 4 and e.state is PlaybackState.STOPPED)
    assert rec.names()[2:] == [("started", "part1.wav"), ("finished", "part1.wav")]


def test_a_source_that_raises_on_open_is_an_error_not_silence(engine, tmp_path, monkeypatch):
    # Anything but DecodeError from the decoder (soxr refusing a rate) used to kill the feeder.
    from player.audio import decoder

    (a,), _ = write_sine_parts(tmp_path, [9000])
    e = engine()
    rec = Recorder(e)
    with monkeypatch.context() as m:
        m.setattr(decoder.Decoder, "_make_resampler", lambda self: (_ for _ in ()).throw(ValueError("bad rate")))
        e.play(Source(str(a)))
        assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    # (the error event reaches the listener on the engine's event thread, after the stop)
    assert wait_for(lambda: rec.names() == [("started", "part0.wav"), ("error", "part0.wav")])
    e.play(Source(str(a)))
    assert wait_for(lambda: len(rec.names()) == 4 and e.state is PlaybackState.STOPPED)
    assert rec.names()[2:] == [("started", "part0.wav"), ("finished", "part0.wav")]
    # Set as the next track, it fails on its own: the one playing is heard to its end.
    (tmp_path / "long").mkdir()
    (long,), _ = write_sine_parts(tmp_path / "long", [3 * SR])
    playing = Source(str(long))
    e.play(playing)
    assert wait_for(lambda: playing.heard_frames > 0)
    with monkeypatch.context() as m:           # not even an error the decoder expects
        m.setattr(decoder.Decoder, "_make_resampler", lambda self: (_ for _ in ()).throw(KeyError("a bug")))
        e.set_next(Source(str(a)))
        # (opened on a thread of its own, at any time before the output gets to it)
        assert wait_for(lambda: len(rec.names()) == 8 and e.state is PlaybackState.STOPPED)
    assert rec.names()[4:] == [("started", "part0.wav"), ("finished", "part0.wav"),
                               ("started", "part0.wav"), ("error", "part0.wav")]
    assert playing.heard_frames == 3 * SR


def test_seeking_the_track_fading_in_cuts_the_fade_short(engine, tmp_path):
    """A fade longer than the 1.5 s buffer is still being written when B is announced."""
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), np.stack([sine(8 * SR, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(b), np.stack([sine(8 * SR, freq=660, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    e = engine(crossfade_s=3.0, speed=4.0)
    src_a, src_b = Source(str(a)), Source(str(b))
    rec = Recorder(e)
    seeked = threading.Event()

    def on_event(name, data):
        rec(name, data)
        if name == "started" and data.get("source") is src_b and not seeked.is_set():
            seeked.set()
            e.seek(6.0)               # B is heard, A fading out under it for 3 s more

    e.set_listener(on_event)
    e.play(src_a)
    e.set_next(src_b)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED and len(rec.names()) == 4)
    assert seeked.is_set()
    assert [n for n, _ in rec.names()] == ["started", "finished", "started", "finished"]
    out = played(e)
    # A alone (5 s), then B from 6 s to its end (2 s): the rest of the fade was dropped (with
    # it, A would sound to its end at 8 s). B plays from its start until the seek comes, which
    # the listener sends as it hears of B: on a loaded machine that is tens of milliseconds,
    # times the engine's speed, so the margin above is wider than below.
    assert -0.1 * SR < len(out) - 7 * SR < 0.5 * SR, len(out) / SR
    tail = out[-SR:]
    assert tone_level(tail, 660, sr=SR) > 0.5
    assert tone_level(tail, 440, sr=SR) < 0.01   # A is gone


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_a_track_decoded_by_ffmpeg_crossfades_on_its_scanned_length(engine, tmp_path):
    """libsndfile cannot read AAC; ffmpeg streams it without a length, so the fade starts
    from the length the scanner stored (the Player passes it as ``duration_hint``)."""
    import subprocess

    from mutagen import File

    wav, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(wav), np.stack([sine(3 * SR, freq=440, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(b), np.stack([sine(3 * SR, freq=660, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    a = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(a)], check=True)
    hint = File(str(a)).info.length
    # The test is the output, a block at a time with a feeder pass after each: at six times
    # real time, a busy machine held ffmpeg long enough for the output to run dry, and the
    # silence it played lengthened the output by as much (three blocks, once in a few runs).
    e = engine(speed=1.0, crossfade_s=1.0)
    e.simulate_device_loss()
    e._watchdog_s = 60.0                # (a pause of the test's on a loaded machine is no lost device)
    e.play(Source(str(a), duration_hint=hint))
    e.set_next(Source(str(b)))
    # (a feeder pass waits for ffmpeg: at nice 10 beside busy CPUs one once took over the five
    # seconds a sync waits by default; a sync returns as soon as the pass is done)
    assert next_open(e, 30.0)       # (the test renders faster than real time: b is given its time)
    out = active_region(render_to_the_end(e, 1000, sync_s=30.0)[:, 0], threshold=1e-7)
    assert abs(len(out) - (hint + 3.0 - 1.0) * SR) < 0.05 * SR, len(out) / SR   # one second overlapped
    mid = out[int((hint - 0.7) * SR): int((hint - 0.3) * SR)]                    # inside the fade
    for f in (440, 660):
        assert tone_level(mid, f, sr=SR) > 0.2


def test_the_position_during_a_seek_is_where_it_goes_never_the_start(engine, tmp_path, monkeypatch):
    # A seek flushes the buffer and then decodes from the new place; in between, the position
    # read 0.0: the seek bar flickered to the start, and the state saved for the next start
    # could catch it. Each seek here is held in that moment while another thread reads.
    path = write_track(tmp_path, "mix", fmt="flac", seconds=60.0)
    held = hold_seeks(monkeypatch)
    e = engine(speed=1.0)
    e.play(Source(str(path)))
    assert wait_for(lambda: e.position > 0.1)
    readings, sent, stop = [], [0], threading.Event()

    def poll():
        while not stop.is_set():
            seeks = sent[0]          # read first: the position below was read after that many seeks
            readings.append((seeks, e.position))
            time.sleep(0.001)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for to in (45.0, 20.0, 52.5):
            held.inside.clear()
            held.go.clear()
            e.seek(to)
            sent[0] += 1
            assert held.inside.wait(10)           # the buffer is flushed, nothing new is written
            n = len(readings)
            assert wait_for(lambda: len(readings) > n + 20)
            assert e.position == pytest.approx(to)
            held.go.set()
            assert e.sync()
            assert to <= e.position < to + 2.0
    finally:
        held.go.set()
        stop.set()
        poller.join()
    after = [pos for seeks, pos in readings if seeks]
    assert len(after) > 60 and min(after) >= 20.0, min(after)


def test_a_track_started_part_way_reads_its_start_while_it_opens_whatever_else_is_sought(
        engine, tmp_path, monkeypatch):
    # A song resumed 30 s in reads 30 s while the engine gets there, also after a seek meant
    # for the song before it (sent late by the person's click) came in between: that one
    # moves nothing, and it must not undo where the new one is going.
    a, b = (write_track(tmp_path, name, fmt="flac", seconds=40.0) for name in ("a", "b"))
    held = hold_seeks(monkeypatch)
    e = engine(speed=1.0)
    src_a, src_b = Source(str(a)), Source(str(b), start_s=30.0)
    e.play(src_a)
    assert wait_for(lambda: e.position > 0.1)
    e.play(src_b)
    assert held.inside.wait(10)                   # flushed, and going to 30 s in the new one
    e.seek(5.0, src_a)
    assert e.position == pytest.approx(30.0)
    held.go.set()
    assert e.sync()
    assert 30.0 <= e.position < 32.0 and e.current is src_b


def longest_silence(x: np.ndarray) -> int:
    """The longest run of samples that are exactly zero (an output run dry) within ``x``."""
    zero = np.concatenate([[False], x == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    return int((edges[1::2] - edges[::2]).max()) if len(edges) else 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("crossfade_s", [0.0, 1.0])
def test_a_clip_shorter_than_opening_the_track_after_it_joins_it_without_running_dry(
        engine, tmp_path, crossfade_s):
    """A 50 ms clip followed by an AAC file: ffmpeg takes longer to start than the clip
    lasts. The player sets what follows the clip only once the clip is heard, as it does for
    every track; the file after it, passed on as expected to follow, is opened ahead of time."""
    import subprocess

    # (a longer song before the clip gives ffmpeg the time a busy machine takes: see below)
    firsts = [write_track(tmp_path / f"{seconds}s", "a", fmt="flac", seconds=seconds) for seconds in (0.6, 3.0)]
    clip = write_track(tmp_path, "clip", fmt="flac", seconds=0.05, freq=660)
    wav = tmp_path / "c.wav"
    sf.write(str(wav), np.stack([sine(SR, freq=550, sr=SR)] * 2, 1), SR, subtype="FLOAT")
    c = tmp_path / "c.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(c)], check=True)
    for attempt in range(3):
        e = engine(speed=1.0, crossfade_s=crossfade_s)
        rec = Recorder(e)
        s_a, s_clip = Source(str(firsts[min(attempt, 1)])), Source(str(clip))
        e.play(s_a)
        e.set_next(s_clip)
        e.set_following([Source(str(c), duration_hint=1.0)])
        end = time.monotonic() + 10
        while e.current is not s_clip and time.monotonic() < end:   # as the player hears of it
            time.sleep(0.002)
        s_c = Source(str(c), duration_hint=1.0)     # the player makes a new one: the same file
        e.set_next(s_c)
        e.set_following([])
        # (events come on a thread of their own: the last one may follow the stop by a moment)
        assert wait_for(lambda: e.state is PlaybackState.STOPPED and ("finished", "c.m4a") in rec.names())
        if e.underruns == 0:
            break
        # Opened ahead, the AAC file can still run dry on a busy machine: its ffprobe and
        # ffmpeg, started as the first song began, took 0.7 to 1.4 s to give a block at load 8
        # on 2 cores, and the output waited for it after the clip (an underrun counted). Tried
        # again after a longer song, which gives them that time, a few times at most: a file not
        # opened ahead is opened only once the clip is heard, runs dry every time, and fails.
        e.close()
    assert rec.names() == [("started", "a.flac"), ("finished", "a.flac"), ("started", "clip.flac"),
                           ("finished", "clip.flac"), ("started", "c.m4a"), ("finished", "c.m4a")]
    out = played(e)
    assert longest_silence(out) < 0.002 * SR, f"{longest_silence(out) / SR * 1000:.0f} ms of silence"
    assert e.underruns == 0
    assert s_clip.heard_frames == int(0.05 * SR) and s_c.heard_frames > 0.9 * SR


def render_chain(e, sources, blocks: int = 3000) -> np.ndarray:
    """Play ``sources`` one after another, each set as next once the one before is heard, as
    the player does, with the test as the output (see :func:`render_to_the_end`): no block is
    taken before that is done (the player does it in far less than a block). A free-running
    output on a starved machine ran dry meanwhile and played a gap no player would have made.
    Returns what it took [shape=(n, 2)] once the last has finished."""
    armed = []

    def listen(name, data):
        if name == "started" and data["source"] in sources:
            i = sources.index(data["source"])
            if i + 1 < len(sources):
                e.set_next(sources[i + 1])
            armed.append(i)

    e.set_listener(listen)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0                # (a pause of the test's on a loaded machine is no lost device)
    e.play(sources[0])
    assert e.sync(30.0)                 # (its first pass written: the first block is whole)

    def next_set_once_heard():
        heard = e.current
        if heard in sources:
            assert wait_for(lambda: sources.index(heard) in armed, timeout=30.0)
            assert next_open(e, 30.0)   # (rendered faster than real time: the next is given its time)

    return render_to_the_end(e, blocks, sync_s=30.0, after_each=next_set_once_heard)


@pytest.mark.parametrize("lengths, crossfade_s", [([80011, 100007, 50003], 0.0), ([30011, 45007, 20003], 0.0),
                                                  ([80011, 100007, 50003], 1.0)])
def test_a_gapless_album_resampled_to_the_output_rate_joins_as_one_continuous_stream(engine, tmp_path, lengths,
                                                                                       crossfade_s):
    """A 44.1 kHz album played on a 48 kHz device: each file resampled apart (a filter
    started at its first sample and emptied at its last) puts a click of the order of the
    music at every join. The output must be the album resampled in one go, and each track
    must still be credited with its own share of it, up to where its end falls. Tracks
    shorter than the buffer are read to their end before the next one is set (once they
    are heard): their ends wait for it. With a crossfade set, the tracks of one album in
    order join gaplessly, and so in one resampler too."""
    import soxr

    rate = 48000
    paths, _ = write_sine_parts(tmp_path, lengths, amp=0.5, ext="flac")
    whole = np.concatenate([sf.read(str(p), dtype="float32")[0] for p in paths])
    want = soxr.resample(whole, SR, rate, quality="HQ")
    e = engine(rate=rate, crossfade_s=crossfade_s)
    release = (None, "/m/album")
    sources = [Source(str(p), album_place=("album", "artist", release, 1, i + 1)) for i, p in enumerate(paths)]
    out = render_chain(e, sources)
    start = np.flatnonzero(np.abs(out).max(axis=1) > 0)[0]
    out = out[start:start + len(want) + rate // 10]
    assert not out[len(want):].any()            # nothing after the end
    error = np.abs(out[:len(want)] - want).max()
    assert error < 1e-5, f"{error:.4f} away from the album resampled in one go"
    ends = [round(n * rate / SR) for n in np.cumsum(lengths)]
    assert [s.heard_frames for s in sources] == list(np.diff([0] + ends))
    assert e.underruns == 0


@pytest.mark.parametrize("channels", [1, 6])
def test_a_gapless_album_with_a_mono_or_surround_track_still_joins_in_one_resampler(engine, tmp_path, channels):
    """An album of 44.1 kHz stereo with a mono track in its middle (an old recording, a bonus
    mono mix) or a 5.1 one, on a 48 kHz device: the files are mixed to stereo before they are
    resampled, so one resampler can run through them all, as through files of the same
    channels. Joined only where the files had as many channels, each such join was two
    resamplers' edges, a tick of a thousandth of full scale in a 0.5 sine (-55 dB) right at
    the join."""
    import soxr

    rate = 48000
    lengths = [80011, 100007, 50003]
    paths, whole = write_sine_parts(tmp_path, lengths, amp=0.5, ext="flac")
    middle = whole[lengths[0]:lengths[0] + lengths[1]]
    if channels == 1:
        data = middle[:, None]
    else:       # (the fronts alone: the downmix hears them as they are, the rest silent)
        data = np.zeros((len(middle), 6), np.float32)
        data[:, 0] = data[:, 1] = middle
    sf.write(str(paths[1]), data, SR, subtype="PCM_24")
    want = soxr.resample(np.stack([whole, whole], 1), SR, rate, quality="HQ")
    e = engine(rate=rate)
    release = (None, "/m/album")
    sources = [Source(str(p), album_place=("album", "artist", release, 1, i + 1)) for i, p in enumerate(paths)]
    out = render_chain(e, sources)
    start = np.flatnonzero(np.abs(out).max(axis=1) > 0)[0]
    out = out[start:start + len(want)]
    error = np.abs(out - want).max()
    assert error < 1e-5, f"{error:.4f} away from the album resampled in one go"
    ends = [round(n * rate / SR) for n in np.cumsum(lengths)]
    assert [s.heard_frames for s in sources] == list(np.diff([0] + ends))


def test_taking_back_a_next_track_joined_in_one_resampler_makes_the_end_again(engine, tmp_path):
    """The next track set is written after the current one through the same resampler, and
    then another is set instead: the end of the current track, made with the first samples
    of the one taken back, is made again, joined to the new next one."""
    import soxr

    rate, lengths = 48000, [80011, 30007]
    (a, b), _ = write_sine_parts(tmp_path, lengths, amp=0.5, ext="flac")
    other = tmp_path / "other.flac"
    sf.write(str(other), np.stack([sine(20000, freq=1234.0, sr=SR, amp=0.5)] * 2, 1), SR, subtype="PCM_24")
    whole = np.concatenate([sf.read(str(p), dtype="float32")[0] for p in (a, b)])
    want = soxr.resample(whole, SR, rate, quality="HQ")
    e = engine(rate=rate, speed=1.0)
    rec = Recorder(e)
    sa, sother, sb = Source(str(a)), Source(str(other)), Source(str(b))
    e.play(sa)
    e.set_next(sother)
    assert wait_for(lambda: e._nseg is not None)    # "other" is written, joined to the end of a
    assert e._ring.read < e._nseg.start - e._prev[1].join_tail
    e.set_next(sb)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = e.captured()
    start = np.flatnonzero(np.abs(out).max(axis=1) > 0)[0]
    out = out[start:start + len(want) + rate // 10]
    assert not out[len(want):].any()
    error = np.abs(out[:len(want)] - want).max()
    assert error < 1e-5, f"{error:.4f} away from the two resampled in one go"
    assert sother.heard_frames == 0 and ("started", "other.flac") not in rec.names()
    end = round(lengths[0] * rate / SR)
    assert (sa.heard_frames, sb.heard_frames) == (end, len(want) - end)


def test_a_next_track_replaced_while_the_end_made_with_it_is_heard_still_gives_way(engine, tmp_path):
    """The output is in the last milliseconds of the current track, made with the first
    samples of the next one, when another next is set: that end is heard as made, and the
    new next one follows it, with a resampler of its own; the old next one is not heard."""
    rate = 48000
    (a, b), _ = write_sine_parts(tmp_path, [80011, 30007], amp=0.5, ext="flac")
    other = tmp_path / "other.flac"
    sf.write(str(other), np.stack([sine(20000, freq=1234.0, sr=SR, amp=0.5)] * 2, 1), SR, subtype="PCM_24")
    e = engine(rate=rate, speed=1.0)
    rec = Recorder(e)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0
    sa, sother, sb = Source(str(a)), Source(str(other)), Source(str(b))
    e.play(sa)
    e.set_next(sother)
    assert next_open(e)                 # (the test renders faster than real time: each next is given its time)
    block = np.zeros((64, 2), np.float32)
    for _ in range(1000):               # (a is longer than the buffer)
        if e._nseg is not None:
            break
        e._render(block)
        assert e.sync()
    boundary = e._nseg.start
    hold = boundary - e._prev[1].join_tail
    while e._ring.read <= hold:
        e._render(block)
        assert e.sync()
    assert e._ring.read < boundary
    e.set_next(sb)
    assert next_open(e)
    render_to_the_end(e, 2000)
    assert wait_for(lambda: ("finished", "part1.flac") in rec.names())
    assert rec.names() == [("started", "part0.flac"), ("finished", "part0.flac"),
                           ("started", "part1.flac"), ("finished", "part1.flac")]
    assert sother.heard_frames == 0
    assert (sa.heard_frames, sb.heard_frames) == (round(80011 * rate / SR), round(30007 * rate / SR))


@pytest.mark.parametrize("late_s", [0.3, 0.1])
def test_a_next_track_set_in_the_last_moments_still_joins_in_one_resampler(engine, tmp_path, late_s):
    """The next track is set a fraction of a second before the current one ends (the person
    queued it then), after the end was written with nothing to follow it: while its last
    frames are not heard, the end is made again joined to the next one, so the output is
    still the two resampled in one go, with no click at the join."""
    import soxr

    rate, lengths = 48000, [3 * SR + 11, SR + 7]
    (a, b), _ = write_sine_parts(tmp_path, lengths, amp=0.5, ext="flac")
    whole = np.concatenate([sf.read(str(p), dtype="float32")[0] for p in (a, b)])
    want = soxr.resample(whole, SR, rate, quality="HQ")
    e = engine(rate=rate, speed=1.0)
    e.simulate_device_loss()            # the test is the output: it reads block by block
    e._watchdog_s = 60.0
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    assert e.sync()
    end = round(lengths[0] * rate / SR)
    block, got = np.zeros((256, 2), np.float32), []
    while e._ring.read < end - late_s * rate:
        e._render(block)
        got.append(block.copy())
        assert e.sync()
    assert e._ring.end_of_stream and e._writing is None     # a's end is written, ending into silence
    e.set_next(sb)
    # Its file opens on a thread of its own, in real time, while this output runs as fast as the
    # test renders it: the next is left the time it would have had (a's last moments) to open.
    assert wait_for(lambda: e.sync() and e._nopen is None)
    for _ in range(2000):
        if e.state is PlaybackState.STOPPED:
            break
        e._render(block)
        got.append(block.copy())
        assert e.sync()
    out = np.concatenate(got)
    start = np.flatnonzero(np.abs(out).max(axis=1) > 0)[0]
    out = out[start:start + len(want)]
    error = np.abs(out - want).max()
    assert error < 1e-5, f"{error:.4f} away from the two resampled in one go"
    assert (sa.heard_frames, sb.heard_frames) == (end, len(want) - end)
    assert e.underruns == 0


@pytest.mark.parametrize("rates", [(SR, SR), (SR, 48000)])
def test_a_short_track_written_whole_before_the_next_was_set_hands_over_sample_exact_under_a_crossfade(
        engine, tmp_path, rates):
    """Tracks shorter than the buffer are written to their end before the player hears them
    and sets what follows: with a crossfade set, nothing is left of them to fade over, and the
    next one follows on as it would without a fade. Not one of its frames may be lost or
    turned to silence at the join (a one-frame fade there zeroed its first frame: a click)."""
    import soxr

    first, second = tmp_path / "first.wav", tmp_path / "second.wav"
    n = SR // 2
    whole = sine(2 * n, freq=440.0, sr=SR, amp=0.5)
    sf.write(str(first), np.stack([whole[:n]] * 2, 1), SR, subtype="FLOAT")
    tail = whole[n:] if rates[1] == SR else soxr.resample(whole[n:], SR, rates[1], quality="HQ")
    sf.write(str(second), np.stack([tail] * 2, 1), rates[1], subtype="FLOAT")
    e = engine(crossfade_s=1.0)
    sources = [Source(str(first)), Source(str(second))]
    out = render_chain(e, sources)
    start = np.flatnonzero(np.abs(out).max(axis=1) > 0)[0]
    out = out[start:, 0]
    assert [s.heard_frames for s in sources] == [n, n]
    assert not out[2 * n:].any()
    join = out[n - 64:n + 64]
    if rates[1] == SR:
        assert np.array_equal(out[:2 * n], whole)       # not one frame lost, repeated or altered
    else:
        # Resampled apart, the second file's first frames are its filter's, started from
        # silence: close to the wave, a step up to twice the sine's own. A frame of silence
        # where the wave is at half its height is a step eight times it.
        assert np.abs(join - whole[n - 64:n + 64]).max() < 0.1
        assert np.abs(np.diff(join)).max() < 3 * np.abs(np.diff(whole)).max()


def test_a_short_track_whose_next_is_changed_after_the_hand_over_is_written_joins_the_new_one_sample_exact(
        engine, tmp_path):
    """Up next changed (or stop-after-this-track turned on and off) while a short track's
    hand-over to the old next is written and not heard: the old next is taken back and the
    short track, read to its end, goes on into the new one. Nothing of it is left to fade
    over under a crossfade, and not one of the new one's frames may be lost or turned to
    silence at the join."""
    n = SR // 2
    whole = sine(2 * n, freq=440.0, sr=SR, amp=0.5)
    first, old, new = tmp_path / "first.wav", tmp_path / "old.wav", tmp_path / "new.wav"
    sf.write(str(first), np.stack([whole[:n]] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(old), np.stack([sine(n, freq=1000.0, sr=SR, amp=0.5)] * 2, 1), SR, subtype="FLOAT")
    sf.write(str(new), np.stack([whole[n:]] * 2, 1), SR, subtype="FLOAT")
    e = engine(crossfade_s=1.0)
    hold_output(e)      # (the test is the output: it takes a block at a time)
    sa, sold, snew = Source(str(first)), Source(str(old)), Source(str(new))
    e.play(sa)
    assert e.sync(30.0)
    block, got = np.zeros((1024, 2), np.float32), []
    e._render(block)                    # the short track is heard: its next is set, as the player does
    got.append(block.copy())
    assert e.sync(30.0)
    e.set_next(sold)
    assert next_open(e, 30.0)
    assert e._nseg is not None and e._nseg.source is sold     # (its hand-over is written, not heard)
    e.set_next(snew)
    assert next_open(e, 30.0)
    out = np.concatenate(got + [render_to_the_end(e, 3000, sync_s=30.0)])[:, 0]
    out = out[np.flatnonzero(np.abs(out) > 0)[0]:]
    assert (sa.heard_frames, sold.heard_frames, snew.heard_frames) == (n, 0, n)
    assert np.array_equal(out[:2 * n], whole)       # not one frame lost, repeated or altered
    assert not out[2 * n:].any()


def _centre_and_left_tones(path, level=0.7):
    """A 5.1 file with a 100 Hz sine at ``level`` in its front left, centre and left surround:
    their downmix, 1 + 2 x 0.7071 times the sine on the left, passes full scale."""
    t = np.arange(SR) / SR
    tone = (level * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    data = np.zeros((SR, 6), np.float32)
    data[:, 0] = data[:, 2] = data[:, 4] = tone
    sf.write(str(path), data, SR, subtype="FLOAT")
    return tone


# Whether a downmix's sum clips is known only once ReplayGain has scaled it: a track gain of
# -9 dB brings a 1.69 peak down to 0.6, which is played as it is, not bent.
def test_a_downmix_brought_below_full_scale_by_the_gain_is_not_bent(engine, tmp_path):
    tone = _centre_and_left_tones(tmp_path / "m.wav")
    gain = 10 ** (-9 / 20)
    e = engine()
    e.play(Source(str(tmp_path / "m.wav"), gain=gain))
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = e.captured()
    start = np.nonzero(np.abs(out[:, 0]) > 1e-7)[0][0] - 1     # (the sine begins at 0)
    out = out[start:start + SR]
    assert np.allclose(out[:, 0], tone * (1 + 2 * 0.7071) * gain, atol=1e-5)
    assert np.allclose(out[:, 1], tone * 0.7071 * gain, atol=1e-5)


def test_a_downmix_past_full_scale_is_bent_and_a_stereo_file_is_left_exact(engine, tmp_path):
    # A downmix's sum beyond the knee is bent smoothly below full scale, not cut flat, and
    # every sample within the knee is as it was. A stereo master's peaks near full scale are
    # played exactly; only an over made by a boosting gain is bent, as a downmix's is.
    tone = _centre_and_left_tones(tmp_path / "m.wav")
    stereo = tmp_path / "s.wav"
    sf.write(str(stereo), np.stack([tone / 0.7 * 0.99, 0.5 * tone], 1), SR, subtype="FLOAT")
    for path, gain, left, right in [("m.wav", 1.0, 1 + 2 * 0.7071, 0.7071), ("s.wav", 1.0, 0.99 / 0.7, 0.5),
                                    ("s.wav", 1.6, 1.6 * 0.99 / 0.7, 0.8)]:
        e = engine()
        e.play(Source(str(tmp_path / path), gain=gain))
        assert wait_for(lambda: e.state is PlaybackState.STOPPED)
        out = e.captured()
        start = np.nonzero(np.abs(out[:, 0]) > 1e-7)[0][0] - 1
        out = out[start:start + SR]
        plain = tone * left
        assert np.allclose(out[:, 1], tone * right, atol=1e-6)      # (0.59, 0.35 or 0.56 at most)
        if gain == 1.0 and path == "s.wav":
            assert np.allclose(out[:, 0], np.clip(plain, -1.0, 1.0), atol=1e-6)
            continue
        assert 0.99 < np.abs(out[:, 0]).max() <= 1.0
        within = np.abs(plain) <= 0.9
        assert np.allclose(out[within, 0], plain[within], atol=1e-6)
        beyond = plain[~within]
        bent = np.sign(beyond) * (0.9 + 0.1 * np.tanh((np.abs(beyond) - 0.9) / 0.1))   # not cut flat
        assert np.allclose(out[~within, 0], bent, atol=1e-5)


def test_a_boosted_song_crossfaded_out_of_is_bent_not_cut_flat(tmp_path):
    # As outside a fade, a boost's overs (a gain with no peak to bound it) are bent below full
    # scale; the crossfade's mix cut them flat at full scale for the length of the fade.
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder

    wave = (0.8 * np.sin(2 * np.pi * 441 * np.arange(SR) / SR + 0.5)).astype(np.float32)
    loud, quiet = tmp_path / "loud.wav", tmp_path / "q.wav"
    sf.write(str(loud), np.stack([wave, wave], 1), SR, subtype="FLOAT")
    sf.write(str(quiet), np.zeros((SR, 2), np.float32), SR, subtype="FLOAT")
    a, b = Decoder(str(loud), out_rate=SR), Decoder(str(quiet), out_rate=SR)
    fade = Crossfade(Source(str(loud), gain=1.5), a, Source(str(quiet)), b, SR // 2)
    out, _ = fade.step(SR // 2)
    plain = wave[:SR // 2] * 1.5 * np.cos(np.arange(SR // 2) / (SR // 2) * np.pi / 2)
    over = np.abs(plain) > 1.0
    assert over.sum() > 1000
    assert np.abs(out[:, 0]).max() < 0.9999                                 # (flat at 1.0 before)
    within = np.abs(plain) <= 0.9
    assert np.allclose(out[within, 0], plain[within], atol=1e-5)
    assert np.all(np.abs(out[over, 0]) > 0.9)


def test_a_downmix_crossfaded_out_of_is_bent_not_cut_flat(tmp_path):
    # A crossfade clipped its sum hard: a loud 5.1 file fading out was flat-topped at full
    # scale for the length of the fade, where it is bent smoothly everywhere else.
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder

    tone = _centre_and_left_tones(tmp_path / "m.wav")
    quiet = tmp_path / "q.wav"
    sf.write(str(quiet), np.zeros((SR, 2), np.float32), SR, subtype="FLOAT")
    a, b = Decoder(str(tmp_path / "m.wav"), out_rate=SR), Decoder(str(quiet), out_rate=SR)
    fade = Crossfade(Source(str(tmp_path / "m.wav")), a, Source(str(quiet)), b, SR // 2)
    out, _ = fade.step(SR // 2)
    plain = tone[:SR // 2] * (1 + 2 * 0.7071) * np.cos(np.arange(SR // 2) / (SR // 2) * np.pi / 2)
    beyond = np.abs(plain) > 0.9
    assert beyond.sum() > 1000
    bent = np.sign(plain[beyond]) * (0.9 + 0.1 * np.tanh((np.abs(plain[beyond]) - 0.9) / 0.1))
    assert np.allclose(out[beyond, 0], bent, atol=1e-5)
    assert np.allclose(out[~beyond, 0], plain[~beyond], atol=1e-5)


def _saved_in_place(path) -> None:
    """Write the file's own bytes over it, as a tagger saving it does, a tick later by its
    modification time on any disk."""
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(data)
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_001))


def _fades_to_its_end_as(fade, got: list, want: list) -> None:
    """Step ``fade`` to its end (resting a moment on a step that gives nothing, as the feeder's
    tick does), ``got`` holding what it gave before, and check it mixed what ``want`` holds."""
    for _ in range(1000):
        out, done = fade.step(4096)
        got.append(out)
        if done:
            break
        if not len(out):
            time.sleep(0.01)
    assert done
    assert np.allclose(np.concatenate(got), np.concatenate(want), atol=1e-6)


def test_a_crossfade_does_not_wait_for_a_file_caught_halfway_through_its_rewrite(tmp_path):
    # A tagger rewriting the next song in place as it fades in: the fade read it waiting, and
    # held the feeder's thread (every command, and the buffer's filling) until it was written
    # whole. Now the fade gives nothing meanwhile, and the same mix once it is written.
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder

    def fade_of(a_path, b_path):
        a, b = Decoder(str(a_path), out_rate=SR), Decoder(str(b_path), out_rate=SR)
        b.read(4096)
        return Crossfade(Source(str(a_path)), a, Source(str(b_path)), b, SR)

    a_path = write_track(tmp_path / "a", "a", fmt="flac", seconds=2.0, freq=440.0)
    b_path = write_track(tmp_path / "b", "b", fmt="flac", seconds=2.0, freq=660.0)
    want, done = [], False
    reference = fade_of(a_path, b_path)
    while not done:
        out, done = reference.step(4096)
        want.append(out)
    fade, whole = fade_of(a_path, b_path), b_path.read_bytes()
    time.sleep(0.05)    # (a file's time stamp moves in ticks of a few milliseconds)
    with open(b_path, "r+b") as f:      # its audio not yet written back
        f.seek(len(whole) // 4)
        f.write(bytes(len(whole) - len(whole) // 4))
    out, done = fade.step(4096)
    assert len(out) == 0 and not done
    b_path.write_bytes(whole)
    _fades_to_its_end_as(fade, [], want)


def test_a_resume_after_the_output_was_let_go_gives_the_output_the_watchdog_s_time(engine, tmp_path):
    # Paused long enough for the output to be let go, the feeder rests until a command. On
    # resume, the watchdog counts the output's silence from then, not from before the rest:
    # counted from there, the output was said to have stopped responding the moment it was
    # started, before it had had a chance to take a block. A device gone meanwhile is still
    # found gone, in the watchdog's time.
    (a,), _ = write_sine_parts(tmp_path, [3 * SR])
    e = engine(speed=1.0, watchdog_s=1.0)
    e.pause_release_s = 0.2
    rec = Recorder(e)
    src = Source(str(a))
    e.play(src)
    assert wait_for(lambda: src.heard_frames > SR // 10)
    e.pause()
    assert wait_for(lambda: not e._output_running(), timeout=3)
    time.sleep(1.5)                     # (resting: longer than the watchdog)
    e.simulate_device_loss()            # (an output that takes no block after the resume)
    resumed = time.monotonic()
    e.resume()
    assert wait_for(lambda: any(n == "device_lost" for n, _, _ in rec.events), timeout=10)
    assert time.monotonic() - resumed >= 1.0
    assert e.state is PlaybackState.PAUSED


def test_a_feeder_held_again_and_again_still_finds_the_output_lost(tmp_path):
    # The feeder held longer than the watchdog gives the output more time to answer, once (a
    # process stopped, a machine that slept). Held again and again (a machine swapping, a
    # decoder that takes seconds a block) before the output ever answered, it gave that time
    # anew each time, and an output that had stopped was never found stopped. Here each of
    # the feeder's rounds takes longer than the watchdog; the output is the real null output.

    class SlowFeeder(NullEngine):
        slow = False

        def _fill(self) -> None:
            super()._fill()
            if self.slow:
                time.sleep(0.5)

    (a,), _ = write_sine_parts(tmp_path, [30 * SR])
    e = SlowFeeder(speed=1.0)
    try:
        rec = Recorder(e)
        src = Source(str(a))
        e.play(src)
        assert wait_for(lambda: src.heard_frames > SR // 10)
        e._watchdog_s = 0.3
        e.slow = True
        e.simulate_device_loss()
        assert wait_for(lambda: any(n == "device_lost" for n, _, _ in rec.events), timeout=10)
        assert e.state is PlaybackState.PAUSED
    finally:
        e.slow = False
        e.close()


def test_a_skip_to_the_next_track_whose_file_was_replaced_since_it_opened_plays_the_new_file(engine, tmp_path):
    # The track set to come next is opened at once, often minutes before the person skips to
    # it; its file replaced meanwhile by a new one (re-encoded, or synced over by a tool that
    # writes a new file and renames it into place), the decoder still open reads the old one.
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(a), np.full((10 * SR, 2), 0.25, np.float32), SR, subtype="FLOAT")
    sf.write(str(b), np.full((SR, 2), 0.5, np.float32), SR, subtype="FLOAT")
    e = engine()
    e.play(Source(str(a)))
    e.set_next(Source(str(b)))
    assert wait_for(lambda: e._ndec is not None)        # (open)
    new = tmp_path / "b.new.wav"
    sf.write(str(new), np.full((2 * SR, 2), -0.5, np.float32), SR, subtype="FLOAT")
    new.replace(b)
    skipped_to = Source(str(b))
    e.play(skipped_to)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    assert skipped_to.heard_frames == 2 * SR
    assert played(e)[-SR:].max() < 0                   # (the new file's audio, not the old one's)


def test_a_next_file_rewritten_in_place_is_still_joined_in_one_resampler_once_read_again(engine, tmp_path):
    """A tagger saves the album as it plays: the next file is written in place after it was
    opened, and a seek in the song playing (it puts the next file back at its start) finds it
    halfway through the rewrite. The join waits for the file to be read again while the
    buffer holds plenty, rather than resampling the two apart: that put a click at the join
    (0.015 away from the whole, at 3 kHz and half of full scale)."""
    import soxr

    rate = 48000
    (a, b), _ = write_sine_parts(tmp_path, [2 * SR, SR // 2], freq=3000.0, amp=0.5, ext="flac")
    whole = np.concatenate([sf.read(str(p), dtype="float32")[0] for p in (a, b)])
    want = soxr.resample(whole, SR, rate, quality="HQ")
    # (near real time: the buffer gives the file most of a second to be read again, on a busy machine too)
    e = engine(rate=rate, speed=1.25)
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    e.set_next(sb)
    assert wait_for(lambda: e._ndec is not None)    # (b is open)
    b.write_bytes(b.read_bytes())                   # (the same song, written in place)
    e.seek(0.0)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED)
    out = e.captured()
    stop = np.flatnonzero(np.abs(out).max(axis=1) > 0)[-1] + 1
    end = np.flatnonzero(np.abs(want).max(axis=1) > 0)[-1] + 1
    n = len(want) - rate    # (the last second of a, after the seek, and b)
    error = np.abs(out[stop - n:stop] - want[end - n:end]).max()
    assert error < 1e-5, f"{error:.4f} away from the two resampled in one go"
    assert e.underruns == 0


@pytest.mark.parametrize("side", ["a", "b"])
def test_a_crossfade_never_waits_for_a_file_written_in_place_just_after_it_was_looked_at(tmp_path, monkeypatch,
                                                                                         side):
    # A tagger saves a song of a running crossfade in the moment between the fade's look at
    # the file (ready) and its read, and the file's share stops answering as it is opened
    # again. The read waited for that open, on the feeder's thread: nothing was written, no
    # command obeyed, for as long as the open took (for good here). Now the fade gives
    # nothing meanwhile, is not held, and gives the same mix once the file is open again.
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder

    paths = {"a": write_track(tmp_path / "a", "a", fmt="flac", seconds=2.0, freq=440.0),
             "b": write_track(tmp_path / "b", "b", fmt="flac", seconds=2.0, freq=660.0)}

    def fade_of():
        a, b = (Decoder(str(paths[s]), out_rate=SR) for s in "ab")
        a.read(SR // 2)
        return Crossfade(Source(str(paths["a"])), a, Source(str(paths["b"])), b, SR)

    want, done, reference = [], False, fade_of()
    while not done:
        out, done = reference.step(4096)
        want.append(out)
    gate, held = threading.Event(), []
    real_open_again = Decoder._open_again

    def open_again_held(dec, *args):    # (a share that stopped answering)
        held.append(dec)
        gate.wait()
        return real_open_again(dec, *args)

    monkeypatch.setattr(Decoder, "_open_again", open_again_held)
    fade = fade_of()
    dec = fade.a_dec if side == "a" else fade.b_dec
    looked = dec.ready

    def ready_then_rewritten():
        ok = looked()
        if ok and not held and not dec.settling:
            _saved_in_place(paths[side])
        return ok

    dec.ready = ready_then_rewritten
    got, outcome = [], {}

    def steps():
        try:
            while not held:     # (until the file's open again is under way, and held)
                out, _ = fade.step(4096)
                got.append(out)
                if not len(out):
                    gate.wait(0.01)
            outcome["returned"] = True
        except BaseException as exc:    # noqa: BLE001 - reported by the test
            outcome["error"] = exc

    stepping = threading.Thread(target=steps, daemon=True)
    stepping.start()
    try:
        assert wait_for(lambda: held, timeout=10.0)
        stepping.join(5.0)
        assert not stepping.is_alive(), "the crossfade's step waited for the file's open again"
        assert outcome == {"returned": True}
        out, done = fade.step(4096)
        assert len(out) == 0 and not done       # (nothing meanwhile)
    finally:
        gate.set()
        stepping.join(10.0)
    _fades_to_its_end_as(fade, got, want)


@pytest.mark.parametrize("side", ["a", "b"])
def test_a_crossfade_caught_by_a_rewrite_mid_way_mixes_the_same_frames_of_songs_of_other_rates_and_lengths(tmp_path,
                                                                                                          side):
    # A tagger saves one song of a running crossfade in place, just after the fade looked at it:
    # the fade gives less or nothing until the file is read again, and what one song gave beyond
    # the other is mixed later. The two songs are of other rates than the output (resampled, so a
    # read caught by the rewrite still gives what the resampler held), of other channels and
    # lengths, and asked for in blocks of other sizes: every frame of A must still meet the frame
    # of B it meets in a fade left alone, under the same gain. One paired off a block early or
    # late is a smear heard as an echo of the songs' beats.
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder

    t_a, t_b = np.arange(int(3.1 * 48000)) / 48000, np.arange(int(1.7 * 32000)) / 32000
    chirp_a = 0.4 * np.sin(2 * np.pi * (200 + 300 * t_a) * t_a)
    paths = {"a": tmp_path / "a.flac", "b": tmp_path / "b.flac"}
    sf.write(str(paths["a"]), np.stack([chirp_a, 0.5 * chirp_a[::-1]], axis=1), 48000)    # (stereo, 48 kHz)
    sf.write(str(paths["b"]), 0.4 * np.sin(2 * np.pi * (900 - 200 * t_b) * t_b), 32000)  # (mono, 32 kHz)
    sizes = [4096, 1000, 777, 2048]

    def fade_of():
        a, b = (Decoder(str(paths[s]), out_rate=SR) for s in "ab")
        a.read(int(1.3 * SR))
        return Crossfade(Source(str(paths["a"])), a, Source(str(paths["b"])), b, 37_123)

    def mixed(fade, disturb=None):
        out, done, i, short = [], False, 0, []
        deadline = time.monotonic() + 10.0
        while not done and time.monotonic() < deadline:
            if disturb is not None and i == 8:
                disturb()   # (before a block larger than the one before: the resampler holds less)
            n = sizes[i % len(sizes)]
            block, done = fade.step(n)
            i += 1
            out.append(block)
            if len(block) < n and not done:
                short.append(len(block))
                if not len(block):
                    time.sleep(0.01)
        assert done
        return np.concatenate(out), short

    want, _ = mixed(fade_of())
    assert len(want) == 37_123
    fade = fade_of()
    dec = fade.a_dec if side == "a" else fade.b_dec
    looked = dec.ready

    def ready_then_rewritten():
        ok = looked()
        if ok:
            dec.ready = looked
            _saved_in_place(paths[side])
        return ok

    got, short = mixed(fade, lambda: setattr(dec, "ready", ready_then_rewritten))
    assert 0 in short       # (the rewrite caught: nothing given while it was waited for)
    assert len(got) == len(want)
    error = np.abs(got - want).max()
    assert error < 1e-6, f"{error:.4f} away from the fade left alone"


@pytest.mark.parametrize(("stored", "crossfade"), [("1" + "0" * 400, 0.0), ("1e400", 0.0), ("Infinity", 0.0),
                                                    ("NaN", 0.0), ("-Infinity", 0.0), ('"5 s"', 0.0), ("[3]", 0.0),
                                                    ("1e300", 12.0), ("30", 12.0)])
def test_an_odd_crossfade_setting_opens_the_output_all_the_same(store, stored, crossfade):
    # A whole number too large for a float raised OverflowError as the output opened:
    # "Playback is not available" at every start. One with no length (Infinity, and 1e400,
    # which Python reads as it) is none, as NaN is: it was the longest crossfade there is.
    from player.audio import CROSSFADE_SETTING, create_engine, crossfade_setting

    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (CROSSFADE_SETTING, stored))
    assert crossfade_setting(store) == crossfade
    create_engine(store, null=True).close()
