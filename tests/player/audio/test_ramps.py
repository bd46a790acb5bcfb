"""Level changes that must not click: volume steps, seeks, a new track over the one playing.

The output is driven by hand here, a block at a time, so where each change falls is known."""

import threading
import time

import numpy as np
import pytest

from player.audio.base import Source
from player.audio.feeder import JOIN_GLIDE_FRAMES
from player.audio.glide import REGAIN_GLIDE_FRAMES
from player.audio.null_engine import NullEngine
from player.audio.replaygain import replaygain_factor
from tests.player.audio.signals import sine_residual, write_sine_parts

SR = 44100
BLOCK = 256          # smaller than a ramp: a ramp has to carry over from one block to the next


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def engine():
    engines = []

    def make(**kw):
        e = NullEngine(speed=1.0, **kw)
        e.simulate_device_loss()        # the test is the output: it reads block by block
        e._watchdog_s = 60.0            # (a pause of the test's on a loaded machine is no lost device)
        engines.append(e)
        return e

    yield make
    for e in engines:
        e.close()


def filled(e):
    """Wait until the feeder has filled the buffer (nothing it writes later changes a test)."""
    assert e.sync()
    assert wait_for(lambda: e._ring.free() < 4096 or e._ring.end_of_stream)


def render(e, blocks, block=BLOCK):
    """Be the output for ``blocks`` blocks of ``block`` frames; the left channel of what it played."""
    got = []
    for _ in range(blocks):
        out = np.zeros((block, 2), np.float32)
        e._render(out)
        got.append(out[:, 0].copy())
    return np.concatenate(got)


def _playing(engine, tmp_path):
    """A 3 s sine at 0.5 playing on a hand-driven engine, its buffer filled:
    ``(engine, source, the wave)``."""
    (a,), whole = write_sine_parts(tmp_path, [3 * SR], amp=0.5)
    e = engine()
    src = Source(str(a))
    e.play(src)
    filled(e)
    return e, src, whole


def worst_jump(x):
    """The largest step in ``x`` that a 440 Hz sine does not make by itself (steady play: ~1e-7;
    a level cut mid-wave: of the order of the amplitude)."""
    return float(np.abs(sine_residual(x, freq=440.0, sr=SR)).max())


def test_a_volume_change_glides_instead_of_jumping(engine, tmp_path):
    e, _, whole = _playing(engine, tmp_path)
    got = [render(e, 20)]
    for volume in (0.5, 1.0, 0.3, 0.95, 0.0, 0.8):
        e.volume = volume
        got.append(render(e, 9))
    out = np.concatenate(got)
    assert worst_jump(out) < 0.01
    # Each glide is over within a few milliseconds: the output is then the sine at the new level.
    at = len(out) - 9 * BLOCK
    assert np.allclose(out[at + 1024:], 0.8 * whole[at + 1024:len(out)], atol=1e-6)


def test_a_volume_set_while_nothing_plays_holds_from_the_first_frame(engine, tmp_path):
    (a,), whole = write_sine_parts(tmp_path, [SR], amp=0.5)
    e = engine()
    e.volume = 0.25
    e.play(Source(str(a)))
    filled(e)
    out = render(e, 10)
    assert np.allclose(out, 0.25 * whole[:len(out)], atol=1e-6)


class _HeldUpLock:
    """The ring's lock, but the feeder thread is held up for a while each time it has it in hand,
    as the scheduler of a loaded machine may do at any moment."""

    def __init__(self, feeder: threading.Thread, hold_s: float):
        self._lock, self._feeder, self._hold_s = threading.Lock(), feeder, hold_s
        self.taken_by_feeder = 0

    def acquire(self, blocking=True, timeout=-1):
        return self._lock.acquire(blocking, timeout)

    def release(self):
        self._lock.release()

    def __enter__(self):
        self._lock.acquire()
        if threading.current_thread() is self._feeder:
            self.taken_by_feeder += 1
            time.sleep(self._hold_s)
        return self

    def __exit__(self, *exc):
        self._lock.release()


def test_steady_play_never_waits_on_the_feeder(engine, tmp_path):
    # The feeder took the ring's lock every tick (to forget segments heard, with none to
    # forget all through a track). On a loaded machine it could be held up with the lock in
    # hand longer than the output waits for it: that block was silence mid-song, a click.
    e, _, whole = _playing(engine, tmp_path)
    lock = e._ring.lock = _HeldUpLock(e._feeder, hold_s=0.03)
    got = []
    for _ in range(40):       # ~0.4 s: the feeder ticks every 20 ms meanwhile
        got.append(render(e, 1))
        time.sleep(0.01)
    out = np.concatenate(got)
    assert np.allclose(out, whole[:len(out)], atol=1e-6)     # no block of silence in it
    assert lock.taken_by_feeder == 0


FADE = 512      # frames of the old audio faded out, and of the new one faded in


def test_a_seek_while_playing_fades_out_then_in(engine, tmp_path):
    e, src, whole = _playing(engine, tmp_path)
    before = render(e, 20)
    e.seek(1.7)
    filled(e)
    assert e.position == pytest.approx(1.7)
    after = render(e, 20)
    assert worst_jump(np.concatenate([before, after])) < 0.01
    # A few milliseconds of the old place, fading out, then the new place, fading in, exact after.
    at = int(1.7 * SR)
    assert np.allclose(after[:FADE], np.arange(FADE, 0, -1) / (FADE + 1) * whole[len(before):len(before) + FADE],
                       atol=1e-6)
    assert np.allclose(after[2 * FADE:], whole[at + FADE:at + len(after) - FADE], atol=1e-6)
    # The fading out is no part of the new place: the position and what was heard go by the new audio.
    assert e.position == pytest.approx(1.7 + (len(after) - FADE) / SR, abs=1e-6)
    assert src.heard_frames == len(before) + len(after) - FADE


def test_play_over_a_playing_track_fades_the_old_one_out(engine, tmp_path):
    (a, b), whole = write_sine_parts(tmp_path, [3 * SR, 2 * SR], amp=0.5)
    e = engine()
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    filled(e)
    before = render(e, 20)
    e.play(sb)
    filled(e)
    after = render(e, 20)
    assert worst_jump(np.concatenate([before, after])) < 0.01
    assert np.allclose(after[2 * FADE:], whole[3 * SR + FADE:3 * SR + len(after) - FADE], atol=1e-6)
    assert sa.heard_frames == len(before)           # the fading out is heard, but counted for neither
    assert sb.heard_frames == len(after) - FADE
    assert e.position == pytest.approx((len(after) - FADE) / SR, abs=1e-6)


def test_a_seek_while_paused_keeps_nothing_of_the_old_place(engine, tmp_path):
    e, src, whole = _playing(engine, tmp_path)
    render(e, 20)
    e.pause()
    render(e, 4)
    e.seek(1.7)
    filled(e)
    e.resume()
    after = render(e, 20)
    at = int(1.7 * SR)
    assert np.allclose(after[FADE:], whole[at + FADE:at + len(after)], atol=1e-6)   # (resuming fades in)
    assert e.position == pytest.approx(1.7 + len(after) / SR, abs=1e-6)


def test_a_track_played_after_stop_starts_clean(engine, tmp_path):
    (a, b), whole = write_sine_parts(tmp_path, [3 * SR, 2 * SR], amp=0.5)
    e = engine()
    e.play(Source(str(a)))
    filled(e)
    render(e, 20)
    e.stop()
    render(e, 2)
    sb = Source(str(b))
    e.play(sb)
    filled(e)
    after = render(e, 20)
    assert np.allclose(after, whole[3 * SR:3 * SR + len(after)], atol=1e-6)   # from its first frame, unfaded
    assert sb.heard_frames == len(after)


@pytest.mark.parametrize("feeder_first", [True, False])
def test_stop_while_playing_fades_out(engine, tmp_path, feeder_first):
    # Stopping cut the sound off mid-wave. The buffer is dropped by the feeder thread as the
    # output goes on: either may come first, and either way the sound fades.
    e, src, whole = _playing(engine, tmp_path)
    before = render(e, 20)
    e.stop()
    if feeder_first:
        assert e.sync()
    after = render(e, 8)
    assert e.sync()
    after = np.concatenate([after, render(e, 4)])
    assert worst_jump(np.concatenate([before, after])) < 0.01
    assert np.abs(after[:64]).max() > 0.3                       # not silenced at once: faded
    assert not after[FADE:].any()                               # and over within a few milliseconds


def test_pause_and_resume_fade_over_blocks_shorter_than_the_fade(engine, tmp_path):
    e, src, whole = _playing(engine, tmp_path)
    before = render(e, 20)
    e.pause()
    paused = render(e, 6)
    assert not paused[FADE:].any()
    e.resume()
    after = render(e, 10)
    assert worst_jump(np.concatenate([before, paused[:FADE], after])) < 0.01
    # Nothing lost or repeated: it goes on from where the fade out ended.
    n = len(before) + FADE
    assert np.allclose(after[FADE:], whole[n + FADE:n + len(after)], atol=1e-6)


def test_resuming_before_a_seek_made_while_paused_has_landed_fades_the_audio_in(engine, tmp_path, monkeypatch):
    # Pause, seek, play at once: the new place is not decoded yet (ffmpeg restarting for an
    # AAC file takes a tenth of a second), and the resume's ramp was spent on those empty
    # blocks: the music then came in mid-wave at full level.
    from tests.seek_hold import hold_seeks

    held = hold_seeks(monkeypatch, from_s=1.0)
    e, _, whole = _playing(engine, tmp_path)
    render(e, 20)
    e.pause()
    render(e, 4)
    e.seek(1.7)
    assert held.inside.wait(10)
    e.resume()
    empty = render(e, 3)                       # the seek has not landed: nothing to play yet
    assert not empty.any()
    held.go.set()
    filled(e)
    after = render(e, 20)
    start = int(np.flatnonzero(after)[0])
    assert abs(after[start]) < 0.01            # faded in from silence, no step to mid-wave
    assert worst_jump(after[start:]) < 0.01


# Media keys bounce, and a script can toggle play/pause twice in a row: a pause or resume that
# comes before the one it follows has finished its ramp must go on from the level the output
# is at, not restart from full level or from silence.

def test_pause_then_resume_between_two_output_blocks_is_not_heard_as_a_click(engine, tmp_path):
    e, _, whole = _playing(engine, tmp_path)
    before = render(e, 3, block=2048)
    e.pause()
    e.resume()
    after = render(e, 3, block=2048)
    out = np.concatenate([before, after])
    assert worst_jump(out) < 0.01
    assert np.allclose(out, whole[:len(out)], atol=1e-6)       # nothing to fade: it never left full level


def test_resume_then_pause_between_two_output_blocks_stays_silent(engine, tmp_path):
    e, _, whole = _playing(engine, tmp_path)
    before = render(e, 3, block=2048)
    e.pause()
    paused = render(e, 2, block=2048)
    assert not paused[FADE:].any()
    e.resume()
    e.pause()
    after = render(e, 3, block=2048)
    assert not after.any()
    assert worst_jump(np.concatenate([before, paused, after])) < 0.01


def test_a_resume_during_the_pause_fade_turns_back_from_where_the_fade_is(engine, tmp_path):
    e, _, whole = _playing(engine, tmp_path)
    before = render(e, 20)
    e.pause()
    fading = render(e, 1)                   # half of the fade out
    e.resume()
    after = render(e, 10)
    out = np.concatenate([before, fading, after])
    assert worst_jump(out) < 0.01
    assert abs(out[len(before) + BLOCK]) > 0.1 * abs(whole[len(before) + BLOCK])   # no drop to silence
    # As far up again as it went down, then the sine as it was, nothing lost or repeated.
    assert np.allclose(out[len(before) + 2 * BLOCK:], whole[len(before) + 2 * BLOCK:len(out)], atol=1e-6)


def test_stop_during_a_resume_fade_fades_out_from_where_the_fade_is(engine, tmp_path):
    e, _, whole = _playing(engine, tmp_path)
    before = render(e, 20)
    e.pause()
    paused = render(e, 3)
    e.resume()
    rising = render(e, 1)                   # half of the fade in
    e.stop()
    after = render(e, 6)
    assert e.sync()
    after = np.concatenate([after, render(e, 2)])
    assert worst_jump(np.concatenate([before, paused, rising, after])) < 0.01
    assert not after[FADE:].any()


def _played_with_the_old_buffer_kept(e, source, monkeypatch, early_blocks):
    """Play ``source`` and be the output for ``early_blocks`` blocks while the feeder has the
    play in hand but has not dropped the old buffer yet, then for 20 once it has filled the
    new one: ``(early, after)``."""
    inside, go = threading.Event(), threading.Event()
    drop_all = e._drop_all

    def held(**kw):
        inside.set()
        assert go.wait(20)
        drop_all(**kw)

    monkeypatch.setattr(e, "_drop_all", held)
    e.play(source)
    assert inside.wait(10)
    early = render(e, early_blocks)
    go.set()
    filled(e)
    return early, render(e, 20)


@pytest.mark.parametrize("silenced", ["paused", "device lost"])
def test_a_track_played_from_silence_lets_nothing_of_the_old_one_out(engine, tmp_path, monkeypatch, silenced):
    # Paused and faded out, or the device gone (its level cut), another track is played: the
    # output may ask for audio before the feeder has dropped what it holds of the old track.
    # None of that may come out: it would start mid-wave, at full level.
    (a, b), whole = write_sine_parts(tmp_path, [3 * SR, 2 * SR], amp=0.5)
    e = engine()
    e.play(Source(str(a)))
    filled(e)
    render(e, 20)
    if silenced == "paused":
        e.pause()
        render(e, 4)
        assert e._level == 0
    else:
        e._device_lost("unplugged")
    sb = Source(str(b))
    early, after = _played_with_the_old_buffer_kept(e, sb, monkeypatch, early_blocks=5)
    assert not early.any()
    assert np.allclose(after, whole[3 * SR:3 * SR + len(after)], atol=1e-6)   # from its first frame
    assert sb.heard_frames == len(after)


@pytest.mark.parametrize("how", ["start_s", "seek"])
def test_a_track_started_part_way_fades_in(engine, tmp_path, how):
    # A track resumed at a saved place, or moved by the seek bar while its file opens, starts
    # mid-wave after silence: at full level from its first frame that is a click.
    (a,), whole = write_sine_parts(tmp_path, [3 * SR], amp=0.5)
    e = engine()
    src = Source(str(a), start_s=1.3 if how == "start_s" else 0.0)
    e.play(src)
    if how == "seek":
        e.seek(1.3)
    filled(e)
    out = render(e, 20)
    at = int(1.3 * SR)
    assert worst_jump(np.concatenate([np.zeros(8, np.float32), out])) < 0.01
    assert np.allclose(out[FADE:], whole[at + FADE:at + len(out)], atol=1e-6)
    assert src.heard_frames == len(out)


# Two songs of one album heard gaplessly: a 440 Hz sine split across two files, the first at
# track gain -2 dB (its peak allows it), the second at -8 dB, the album at -5 dB.
GAPLESS_ROWS = [{"rg_track_gain": -2.0, "rg_track_peak": 0.5, "rg_album_gain": -5.0, "rg_album_peak": 0.9},
                {"rg_track_gain": -8.0, "rg_track_peak": 0.9, "rg_album_gain": -5.0, "rg_album_peak": 0.9}]


def _heard_across_a_join(engine, tmp_path, gains):
    """Two halves of one loud sine played gaplessly at ``gains``: ``(what the output played from
    the first frame, the wave, the frame where the second file begins)``."""
    n = 2 * SR
    (a, b), whole = write_sine_parts(tmp_path, [n, SR], amp=0.5)
    e = engine()
    e.play(Source(str(a), gain=gains[0]))
    filled(e)
    e.set_next(Source(str(b), gain=gains[1]))
    assert wait_for(lambda: e.sync() and e._nopen is None and e._next is not None)
    got = []
    for _ in range((n + 4 * FADE) // BLOCK):
        got.append(render(e, 1))
        assert e.sync()         # (the feeder writes the join as the output comes to it)
    return np.concatenate(got), whole, n


def test_a_gapless_join_in_album_mode_keeps_one_gain(engine, tmp_path):
    gains = [replaygain_factor(row, "album") for row in GAPLESS_ROWS]
    out, whole, n = _heard_across_a_join(engine, tmp_path, gains)
    # The album's one gain, on both sides of the join: the sine goes on as if it were one file.
    assert np.allclose(out, gains[0] * whole[:len(out)], atol=1e-6)
    assert worst_jump(out) < 1e-4


def test_a_gapless_join_in_track_mode_glides_to_the_new_gain(engine, tmp_path):
    # Track mode evens the songs out, so the level steps at the join, by design; switched at one
    # sample, mid-wave on loud music, the 6 dB step was a click (a jump of 0.1 here).
    gains = [replaygain_factor(row, "track") for row in GAPLESS_ROWS]
    assert gains[0] / gains[1] == pytest.approx(10 ** (6 / 20))
    out, whole, n = _heard_across_a_join(engine, tmp_path, gains)
    assert worst_jump(out) < 0.01
    # Each song at its own gain but for the few milliseconds of the glide.
    assert np.allclose(out[:n], gains[0] * whole[:n], atol=1e-6)
    assert np.allclose(out[n + JOIN_GLIDE_FRAMES:], gains[1] * whole[n + JOIN_GLIDE_FRAMES:len(out)], atol=1e-6)


def test_a_join_after_a_track_shorter_than_the_glide_goes_on_from_the_level_it_reached(engine, tmp_path):
    # A sound of a few milliseconds between two songs (a hidden-track stub, a cut-up live album):
    # its glide is not over when it ends. The next one, at that short track's gain, was written
    # at that gain from its first frame: a step from where the glide had got to (0.08 here).
    n, short = 2 * SR, JOIN_GLIDE_FRAMES // 2
    (a, b, c), whole = write_sine_parts(tmp_path, [n, short, SR], amp=0.5)
    gains = [0.4, 0.8, 0.8]
    e = engine()
    e.play(Source(str(a), gain=gains[0]))
    filled(e)
    sb, sc = Source(str(b), gain=gains[1]), Source(str(c), gain=gains[2])
    e.set_next(sb)
    assert wait_for(lambda: e.sync() and e._nopen is None and e._next is not None)
    got = []
    for _ in range(n // BLOCK + 1):     # (into the short track: the player sets what follows it as it begins)
        got.append(render(e, 1))
        assert e.sync()
    assert wait_for(lambda: e.sync() and e._nseg is None)
    e.set_next(sc)
    assert wait_for(lambda: e.sync() and e._nopen is None and e._nseg is not None)
    # (marked before it is written: on a loaded machine the output read on into nothing yet,
    # silence where the next song was to be, and a jump that was the test's)
    at = e._nseg.start
    assert wait_for(lambda: e._ring.write - at >= SR)
    got.append(render(e, 1, block=short + 2 * JOIN_GLIDE_FRAMES + 1024))
    out = np.concatenate(got)
    assert worst_jump(out) < 0.01
    assert np.allclose(out[:n], gains[0] * whole[:n], atol=1e-6)
    tail = n + short + JOIN_GLIDE_FRAMES
    assert np.allclose(out[tail:], gains[2] * whole[tail:len(out)], atol=1e-6)


@pytest.mark.parametrize("short", [False, True])
def test_a_next_song_taken_back_leaves_no_step_at_the_join_that_follows(engine, tmp_path, short):
    # A next song set, written (its ReplayGain glide begun), taken back and another set: the
    # new one glides from the level the song before it ended at, not from the taken-back
    # one's glide, nor from that song's own gain where a track shorter than the glide had
    # not got there yet: its glide went with the one taken back, a step (0.07 here).
    n, m = SR // 2, (JOIN_GLIDE_FRAMES // 2 if short else SR)     # (the first held whole in the buffer)
    (a, b, c), whole = write_sine_parts(tmp_path, [n, m, SR], amp=0.5)
    gains = [0.4, 0.8, 0.8]
    e = engine()
    e.play(Source(str(a), gain=gains[0]))
    filled(e)
    got = []
    if short:
        e.set_next(Source(str(b), gain=gains[1]))
        assert wait_for(lambda: e.sync() and e._nopen is None and e._nseg is not None)
        for _ in range(n // BLOCK + 1):     # (into the short track)
            got.append(render(e, 1))
            assert e.sync()
        assert wait_for(lambda: e.sync() and e._nseg is None)
        rest = n + m
    else:
        rest = n
    taken_back = Source(str(c), gain=0.1)
    e.set_next(taken_back)
    assert wait_for(lambda: e.sync() and e._nopen is None and e._nseg is not None)
    at = e._nseg.start
    assert wait_for(lambda: e._ring.write - at >= JOIN_GLIDE_FRAMES // 4)
    sc = Source(str(c), gain=gains[2])
    e.set_next(sc)
    assert wait_for(lambda: e.sync() and e._nopen is None and e._nseg is not None and e._nseg.source is sc)
    at = e._nseg.start
    assert wait_for(lambda: e._ring.write - at >= SR // 2)
    while sum(len(x) for x in got) < rest + 2 * JOIN_GLIDE_FRAMES:
        got.append(render(e, 1))
    out = np.concatenate(got)
    assert worst_jump(out) < 0.01
    tail = rest + JOIN_GLIDE_FRAMES
    assert np.allclose(out[tail:], gains[2] * whole[tail:len(out)], atol=1e-6)


def test_a_replaygain_change_is_heard_at_once_gliding_without_a_step(engine, tmp_path):
    # A ReplayGain setting changed while a song plays (mode, preamp): the song went on at the
    # gain it was opened with to its end, only the next one took the new setting.
    (a,), whole = write_sine_parts(tmp_path, [3 * SR], amp=0.5)
    e = engine()
    src = Source(str(a), gain=0.8)
    e.play(src)
    filled(e)
    before = render(e, 20)
    assert np.allclose(before, 0.8 * whole[:len(before)], atol=1e-6)
    e.set_gain(src, 0.4)
    after = render(e, 40)
    e.set_gain(src, 1.0)                      # (and back up, past the first, mid-song)
    again = render(e, 40)
    out = np.concatenate([before, after, again])
    assert worst_jump(out) < 1e-3             # (a step of the change mid-wave: 0.1 and more)
    # The new level within the glide, no gap, the song not begun again, the volume untouched.
    at = len(before) + REGAIN_GLIDE_FRAMES
    assert np.allclose(out[at:len(before) + len(after)], 0.4 * whole[at:len(before) + len(after)], atol=1e-6)
    at = len(before) + len(after) + REGAIN_GLIDE_FRAMES
    assert np.allclose(out[at:], 1.0 * whole[at:len(out)], atol=1e-6)
    assert e.volume == 1.0 and src.gain == 0.8


def test_a_replaygain_raised_while_a_song_plays_never_takes_it_past_full_scale(engine, tmp_path):
    # The feeder keeps a boost's samples within full scale, at the gain the song was opened
    # with; a gain raised while it plays (ReplayGain switched on, the preamp turned up) is
    # made at the output, which scaled those frames on past full scale for the card to cut.
    (a,), whole = write_sine_parts(tmp_path, [3 * SR], amp=0.9)
    e = engine()
    src = Source(str(a), gain=1.0)
    e.play(src)
    filled(e)
    before = render(e, 20)
    e.set_gain(src, 2.0)
    after = render(e, 60)
    assert np.allclose(before, whole[:len(before)], atol=1e-6)
    assert np.abs(after).max() <= 1.0
    assert np.abs(after).max() > 0.95          # (bent below full scale, not held at the old level)
    # (raised all the same: what was within full scale at twice its level is heard so)
    at = len(before) + REGAIN_GLIDE_FRAMES
    within = np.abs(whole[at:len(before) + len(after)]) < 0.44
    assert np.allclose(after[at - len(before):][within], 2.0 * whole[at:len(before) + len(after)][within], atol=1e-5)


def test_a_replaygain_change_then_a_gapless_join_has_no_dip_nor_step(engine, tmp_path):
    # The song playing set to its new gain at the output, the next one opened at it: the join
    # glides from the one to the other once, not twice over different lengths (a dip).
    n = 2 * SR
    (a, b), whole = write_sine_parts(tmp_path, [n, SR], amp=0.5)
    e = engine()
    sa = Source(str(a), gain=0.8)
    e.play(sa)
    filled(e)
    got = [render(e, 10)]
    e.set_gain(sa, 0.5)
    e.set_next(Source(str(b), gain=0.5))
    assert wait_for(lambda: e.sync() and e._nopen is None and e._next is not None)
    while sum(len(x) for x in got) < n + 4 * REGAIN_GLIDE_FRAMES:
        got.append(render(e, 1))
        assert e.sync()
    out = np.concatenate(got)
    assert worst_jump(out) < 1e-3
    at = 10 * BLOCK + REGAIN_GLIDE_FRAMES
    assert np.allclose(out[at:n], 0.5 * whole[at:n], atol=1e-6)
    assert np.allclose(out[n + JOIN_GLIDE_FRAMES:], 0.5 * whole[n + JOIN_GLIDE_FRAMES:len(out)], atol=1e-6)
    # Over the join's few milliseconds the two glides (the gain written, the one the output
    # puts on it) meet within 6 % (0.5 dB); glided over different lengths, the level sank by
    # a third for the tenth of a second of the longer one.
    join = slice(n, n + JOIN_GLIDE_FRAMES)
    assert np.allclose(out[join], 0.5 * whole[join], atol=0.06 * 0.25)
