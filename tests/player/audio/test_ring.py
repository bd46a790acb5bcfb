import threading
import time

import numpy as np
import pytest

from player.audio.base import Source
from player.audio.ring import RingBuffer


def frames(start, n):
    col = np.arange(start, start + n, dtype=np.float32)
    return np.stack([col, -col], axis=1)


def test_push_and_render_wrap_around_in_order():
    ring = RingBuffer(10, 2)
    src = Source("x")
    ring.mark(src)
    out = np.zeros((4, 2), np.float32)
    got = []
    written = 0
    for _ in range(8):  # pushes and reads cross the end of the array several times
        written += ring.push(frames(written, min(6, ring.free())))
        ring.render(out)
        got.append(out.copy())
    got = np.concatenate(got)
    assert np.array_equal(got[:, 0], np.arange(len(got), dtype=np.float32))
    assert np.array_equal(got[:, 1], -got[:, 0])
    assert src.heard_frames == len(got)


def test_push_never_overwrites_unread_frames():
    ring = RingBuffer(8, 2)
    assert ring.push(frames(0, 20)) == 8
    assert ring.push(frames(8, 1)) == 0
    out = np.zeros((8, 2), np.float32)
    ring.render(out)
    assert np.array_equal(out[:, 0], np.arange(8))


def test_heard_frames_split_exactly_at_segment_boundary():
    ring = RingBuffer(64, 2)
    a, b = Source("a"), Source("b")
    ring.mark(a)
    ring.push(frames(0, 10))
    ring.mark(b)
    ring.push(frames(10, 7))
    out = np.zeros((6, 2), np.float32)
    for _ in range(3):
        ring.render(out)
    assert (a.heard_frames, b.heard_frames) == (10, 7)
    assert ring.current_segment().source is b


def test_underrun_counted_once_per_dry_spell_and_not_at_end_of_stream():
    ring = RingBuffer(32, 2)
    ring.mark(Source("a"))
    out = np.zeros((4, 2), np.float32)
    ring.render(out)  # nothing decoded yet: start-up silence, not an underrun
    assert ring.underruns == 0
    ring.push(frames(1, 6))
    ring.render(out)
    ring.render(out)  # 2 of 4 frames: the stream ran dry while playing
    ring.render(out)
    assert ring.underruns == 1
    assert np.all(out == 0)
    ring.push(frames(1, 8))
    ring.render(out)
    ring.end_of_stream = True
    ring.render(out)
    ring.render(out)
    assert ring.underruns == 1


def test_audio_out_of_silence_waits_one_block_for_a_first_block_written_in_part():
    # An output of blocks larger than the feeder's writes took its first write and then
    # silence: a hole just after the song began. Held one block, the song starts whole.
    ring = RingBuffer(32, 2)
    src = Source("a")
    ring.mark(src)
    out = np.ones((4, 2), np.float32)
    ring.push(frames(1, 3))
    assert ring.render(out) == 0
    assert np.all(out == 0) and ring.read == 0 and src.heard_frames == 0
    ring.push(frames(4, 5))
    got = []
    for _ in range(2):
        assert ring.render(out) == 4
        got.append(out.copy())
    assert np.array_equal(np.concatenate(got), frames(1, 8))
    assert ring.underruns == 0


def test_a_first_block_written_in_part_is_held_once_only_and_never_at_the_end():
    ring = RingBuffer(32, 2)
    ring.mark(Source("a"))
    out = np.zeros((4, 2), np.float32)
    ring.push(frames(1, 3))
    assert ring.render(out) == 0
    assert ring.render(out) == 3    # (a short sound with nothing after it yet: played)
    assert np.array_equal(out[:3], frames(1, 3)) and np.all(out[3:] == 0)
    assert ring.underruns == 1      # (begun, then dry: a hole if more follows)
    ring.push(frames(4, 2))
    ring.end_of_stream = True
    assert ring.render(out) == 2    # (the last of it, following on at once)
    ends = RingBuffer(32, 2)
    ends.mark(Source("b"))
    ends.push(frames(1, 3))
    ends.end_of_stream = True
    assert ends.render(out) == 3    # (all there is: nothing to wait for)
    assert ends.underruns == 0


def test_retract_only_before_the_consumer_reaches_it():
    ring = RingBuffer(64, 2)
    a, b = Source("a"), Source("b")
    ring.mark(a)
    ring.push(frames(0, 8))
    seg_b = ring.mark(b)
    ring.push(frames(8, 8))
    out = np.zeros((4, 2), np.float32)
    ring.render(out)
    assert ring.retract(seg_b)
    assert ring.write == 8 and [s.source for s in ring.segments] == [a]
    seg_b = ring.mark(b)
    ring.push(frames(8, 8))
    ring.render(np.zeros((6, 2), np.float32))  # now 2 frames of b were heard
    assert not ring.retract(seg_b)


def test_render_is_silent_while_the_producer_holds_the_lock():
    ring = RingBuffer(16, 2)
    ring.mark(Source("a"))
    ring.push(frames(1, 8))
    out = np.ones((4, 2), np.float32)
    with ring.lock:
        assert ring.render(out) == 0
    assert np.all(out == 0) and ring.read == 0
    assert ring.underruns == 0      # (nothing was playing yet)
    assert ring.render(out) == 4
    with ring.lock:
        assert ring.render(out) == 0
    assert np.all(out == 0) and ring.read == 4
    assert ring.underruns == 1      # (a block of silence mid-song: a dropout)


def test_render_waits_a_moment_for_a_lock_held_in_passing(monkeypatch):
    # The producer holds the lock for microseconds, but a thread switch in the middle of that
    # left it held when the output asked for its block: the block was silence, a gap in the
    # middle of a song (a gapless join of two MP3s came out one block longer).
    import player.audio.ring as ring_module

    monkeypatch.setattr(ring_module, "LOCK_WAIT_S", 5.0, raising=False)    # however slow the machine
    ring = RingBuffer(16, 2)
    ring.mark(Source("a"))
    ring.push(frames(1, 8))
    held = threading.Event()

    def producer():
        with ring.lock:
            held.set()
            time.sleep(0.002)

    thread = threading.Thread(target=producer)
    thread.start()
    assert held.wait(5)
    out = np.zeros((4, 2), np.float32)
    assert ring.render(out) == 4
    assert np.array_equal(out, frames(1, 4))
    thread.join(5)


def test_bad_size_is_a_named_error():
    with pytest.raises(ValueError):
        RingBuffer(0, 2)


def test_a_flush_while_the_output_plays_keeps_a_fading_tail_that_is_nobodys():
    ring = RingBuffer(100, 2, fade=8)
    old, new = Source("old"), Source("new")
    ring.mark(old)
    ring.push(np.ones((50, 2), np.float32))
    out = np.zeros((4, 2), np.float32)
    ring.render(out)
    ring.audible = True                 # (the engine says so while it plays the buffer)
    ring.flush()
    assert ring.buffered() == 8
    ring.mark(new, 1000)
    ring.push(np.ones((20, 2), np.float32))
    out = np.zeros((24, 2), np.float32)
    ring.render(out)
    assert np.allclose(out[:8, 0], np.arange(8, 0, -1) / 9)    # the old audio fades out
    assert np.allclose(out[8:16, 0], np.arange(1, 9) / 8)       # the new one fades in
    assert np.array_equal(out[16:, 0], np.ones(8))
    assert (old.heard_frames, new.heard_frames) == (4, 16)


def test_a_flush_while_the_output_is_silent_keeps_nothing():
    ring = RingBuffer(100, 2, fade=8)
    src = Source("x")
    ring.mark(src)
    ring.push(np.ones((50, 2), np.float32))
    ring.audible = False                # paused or stopped
    ring.flush()
    assert ring.buffered() == 0
    ring.mark(src)
    ring.push(np.ones((20, 2), np.float32))
    out = np.zeros((20, 2), np.float32)
    ring.render(out)
    assert np.array_equal(out, np.ones((20, 2)))                # no fade in either
    ring.audible = True
    ring.flush(fade=False)              # stopping: the output goes silent at once anyway
    assert ring.buffered() == 0


def test_a_flush_tail_is_played_alone_when_too_little_of_the_new_audio_follows_it():
    # A new song played over one playing, on an output of large blocks: the old song's tail,
    # then as much of the new one as was written, then silence: the new song broke off just
    # after it began. The tail is played alone, and the new song from the next block, whole.
    ring = RingBuffer(100, 2, fade=8)
    old, new = Source("old"), Source("new")
    ring.mark(old)
    ring.push(np.ones((50, 2), np.float32))
    out = np.zeros((24, 2), np.float32)
    ring.render(out)
    ring.audible = True
    ring.flush()
    ring.mark(new)
    ring.push(np.ones((10, 2), np.float32))
    assert ring.render(out) == 8
    assert np.allclose(out[:8, 0], np.arange(8, 0, -1) / 9) and np.all(out[8:] == 0)
    assert new.heard_frames == 0
    assert ring.render(out) == 0                # (less than a block of it yet: held once)
    ring.push(np.ones((30, 2), np.float32))
    assert ring.render(out) == 24
    assert np.allclose(out[:8, 0], np.arange(1, 9) / 8) and np.array_equal(out[8:, 0], np.ones(16))
    assert (new.heard_frames, ring.underruns) == (24, 0)


def test_after_a_stop_the_next_song_waits_one_block_for_a_first_block_written_in_part():
    ring = RingBuffer(100, 2, fade=8)
    src = Source("x")
    ring.mark(src)
    ring.push(np.ones((50, 2), np.float32))
    out = np.zeros((4, 2), np.float32)
    assert ring.render(out) == 4                # (the stop's fade-out took audio last)
    ring.audible = True
    ring.flush(fade=False)
    ring.mark(src)
    ring.push(frames(1, 3))
    assert ring.render(out) == 0
    ring.push(frames(4, 5))
    assert ring.render(out) == 4 and np.array_equal(out, frames(1, 4))
