"""What is heard where one track ends and the next begins, in the cases that went wrong: a next
track set too late for the whole crossfade."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from tests.player.audio.test_null_engine import engine, hold_output, next_open, wait_for  # noqa: F401 (a fixture)

SR = 44100


def _ending_on_a_peak(path, n: int, freq: float, amp: float) -> None:
    """A stereo sine whose last sample is its crest (+``amp``): it ends loud, mid-wave."""
    t = np.arange(n - 1, -1, -1) / SR
    sf.write(str(path), np.stack([amp * np.cos(2 * np.pi * freq * t)] * 2, 1).astype(np.float32), SR,
             subtype="FLOAT")


def _starting_on_a_trough(path, n: int, freq: float, amp: float) -> None:
    """A stereo sine whose first sample is its trough (-``amp``): it starts loud."""
    t = np.arange(n) / SR
    sf.write(str(path), np.stack([-amp * np.cos(2 * np.pi * freq * t)] * 2, 1).astype(np.float32), SR,
             subtype="FLOAT")


def _two_songs(tmp_path, first_level: float = 0.5):
    """``(a, b, frames of a, frames of b)``: 3 s of 440 Hz ending on its crest at ``first_level``,
    then 2 s of 660 Hz starting in its trough at 0.5: spliced, a click."""
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    na, nb = 3 * SR, 2 * SR
    _ending_on_a_peak(a, na, 440.0, first_level)
    _starting_on_a_trough(b, nb, 660.0, 0.5)
    return a, b, na, nb


def _from_first_sound(out: np.ndarray) -> np.ndarray:
    """``out`` from its first sample that is not silence."""
    return out[np.flatnonzero(np.abs(out) > 0)[0]:]


def _render(e, until=None, blocks: int = 4000, frames: int = 1024) -> list[np.ndarray]:
    """Be the output a block (of ``frames``) at a time, a feeder pass after each, until
    ``until()`` or the end."""
    block, got = np.zeros((frames, 2), np.float32), []
    for _ in range(blocks):
        if e.state is PlaybackState.STOPPED or (until is not None and until()):
            break
        e._render(block)
        got.append(block.copy())
        assert e.sync(30.0)
    return got


# The two tones' own steepest step from one sample to the next is 0.5 x 2 pi x 660 / 44100 = 0.047;
# a fade, however short, adds at most its level over its length per sample (0.5 / 512 = 0.001 for the
# shortest). The splice of the two, the first ending on its crest and the second starting in its
# trough, is a step of 1.0: a click. Twice the tones' own is the bound.
STEP_BOUND = 0.1


def _no_click(out: np.ndarray) -> None:
    """No step from one sample of ``out`` to the next larger than :data:`STEP_BOUND`."""
    step = np.abs(np.diff(out)).max()
    assert step < STEP_BOUND, f"a step of {step:.3f} at the join"


@pytest.mark.parametrize("late_s", [1.2, 0.6, 0.25, 0.04])
def test_a_next_track_set_in_the_last_seconds_still_fades_in_over_what_is_left(engine, tmp_path, late_s):  # noqa: F811
    """The person presses Play next (or Up next refills) when the song playing has less left than
    the crossfade, all of it already in the buffer: the fade is made over what is left of it not
    yet heard, a shorter fade, rather than the song ending hard into the next at full level."""
    a, b, na, nb = _two_songs(tmp_path)
    e = engine(speed=1.0, crossfade_s=1.0)
    hold_output(e)
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    assert e.sync(30.0)
    got = _render(e, until=lambda: e._ring.read >= na - late_s * SR)
    assert e._ring.write == na      # (the song is in the buffer to its end)
    e.set_next(sb)
    assert next_open(e, 30.0)
    got += _render(e)
    assert e.state is PlaybackState.STOPPED
    out = _from_first_sound(np.concatenate(got)[:, 0])
    fade = na - sa.heard_frames     # (the fade is counted as the next track's)
    assert sb.heard_frames == nb
    assert len(out) >= na - fade + nb and not out[na - fade + nb:].any()
    _no_click(out[:na - fade + nb])
    if late_s > 0.5:
        # a real crossfade: most of what was left (less what the output was about to play)
        assert fade >= min(SR, (late_s - 0.2) * SR)
        mid = out[na - fade // 2 - 2048:na - fade // 2 + 2048]      # (both tones heard together)
        spectrum = np.abs(np.fft.rfft(mid * np.hanning(len(mid))))
        freqs = np.fft.rfftfreq(len(mid), 1 / SR)
        level = {f: spectrum[np.argmin(np.abs(freqs - f))] / spectrum.max() for f in (440, 660)}
        assert min(level.values()) > 0.3, level
    assert np.abs(out).max() <= 1.0
    assert e.underruns == 0


def test_a_late_fade_keeps_the_replaygain_of_the_song_it_fades_out(engine, tmp_path):  # noqa: F811
    """The end of the song taken back out of the buffer for a late fade has its ReplayGain in it
    already: the fade goes on at the level heard up to there, not at the gain applied twice (a
    drop of the song to a quarter where the fade begins, a click and a dip)."""
    a, b, na, nb = _two_songs(tmp_path, first_level=0.8)
    e = engine(speed=1.0, crossfade_s=1.0)
    hold_output(e)
    sa, sb = Source(str(a), gain=0.5), Source(str(b))
    e.play(sa)
    assert e.sync(30.0)
    got = _render(e, until=lambda: e._ring.read >= na - 1.2 * SR)
    e.set_next(sb)
    assert next_open(e, 30.0)
    got += _render(e)
    out = _from_first_sound(np.concatenate(got)[:, 0])
    start = sa.heard_frames         # (where the fade began: the fade is counted as the next track's)
    assert start < na - 0.5 * SR    # (a late fade, over most of what was left)
    song = sf.read(str(a), dtype="float32")[0][:, 0]

    def level(lo, hi):
        return np.sqrt(np.mean(out[lo:hi] ** 2) / np.mean(song[lo:hi] ** 2))
    # (over the fade's first 256 frames the song is still at 99.9 % and the next under 1 %)
    assert level(start - 256, start) == pytest.approx(0.5, rel=0.02)
    assert level(start, start + 256) == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize("late_s", [0.12, 0.09, 0.05])
def test_a_next_track_changed_again_in_the_last_moment_still_fades_in(engine, tmp_path, late_s):  # noqa: F811
    """A next track set with too little of the song left to mix (its last moment is faded out,
    the next one written to fade in after it) and changed again before any of it is heard (Play
    next pressed again, Up next refilled): the one that follows instead fades in too. It started
    at full level right after the faded-out end, a click."""
    a, b, c = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"
    na, nc = 3 * SR, 2 * SR
    _ending_on_a_peak(a, na, 440.0, 0.5)
    _starting_on_a_trough(b, 2 * SR, 660.0, 0.5)
    _starting_on_a_trough(c, nc, 550.0, 0.5)
    e = engine(speed=1.0, crossfade_s=1.0)
    hold_output(e)
    sa, sb, sc = Source(str(a)), Source(str(b)), Source(str(c))
    e.play(sa)
    assert e.sync(30.0)
    got = _render(e, until=lambda: e._ring.read >= na - late_s * SR)
    e.set_next(sb)
    assert next_open(e, 30.0)
    assert wait_for(lambda: e.sync() and e._nseg is not None)     # (the hand-over to it is written, not heard)
    e.set_next(sc)
    assert next_open(e, 30.0)
    got += _render(e)
    assert e.state is PlaybackState.STOPPED
    out = _from_first_sound(np.concatenate(got)[:, 0])
    assert sa.heard_frames == na and sb.heard_frames == 0 and sc.heard_frames == nc
    _no_click(out[:na + nc])
    assert e.underruns == 0


BIG_BLOCK = 8192    # (frames a callback takes on some Windows and macOS outputs: 186 ms)


def test_a_late_fade_leaves_alone_what_an_output_of_large_blocks_takes_next(engine, tmp_path):  # noqa: F811
    """An output that takes 8192 frames at a time (186 ms): a next track set late fades in over
    the end of the song in the buffer, but the two blocks just ahead of what the output played
    are left as they were, for it may take them before the fade's first block is written. Taken
    back up to a tenth of a second ahead of it, less than one of its blocks, it could read past
    that or run dry: a stutter."""
    a, b, na, nb = _two_songs(tmp_path)
    e = engine(speed=1.0, crossfade_s=1.0, blocksize=BIG_BLOCK)
    hold_output(e)
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    assert e.sync(30.0)
    # (the song's first blocks written before the output takes one: a block asked for with half
    # of it written is a gap at the song's start, nothing to do with its end)
    assert wait_for(lambda: e.sync() and e._ring.buffered() >= 2 * BIG_BLOCK)
    got = _render(e, until=lambda: e._ring.read >= na - 1.2 * SR, frames=BIG_BLOCK)
    played = e._ring.read
    assert e._ring.write == na      # (the song is in the buffer to its end)
    e.set_next(sb)
    assert next_open(e, 30.0)
    got += _render(e, frames=BIG_BLOCK)
    assert e.state is PlaybackState.STOPPED
    out = _from_first_sound(np.concatenate(got)[:, 0])
    start = sa.heard_frames         # (where the fade began: the fade is counted as the next track's)
    assert start >= played + 2 * BIG_BLOCK, f"faded from {(start - played) / SR:.3f} s ahead of the output"
    assert start <= na - 0.5 * SR   # (still a late fade, over most of what was left)
    assert sb.heard_frames == nb
    _no_click(out[:na - (na - start) + nb])
    assert e.underruns == 0


def test_a_late_fade_under_an_output_of_large_blocks_plays_through_without_a_gap(engine, tmp_path):  # noqa: F811
    """The same, with the null output taking its 8192-frame blocks on its own clock while the
    feeder takes the song's end back and writes the fade: no underrun, no step, the next track
    heard whole."""
    a, b, na, nb = _two_songs(tmp_path)
    e = engine(speed=8.0, crossfade_s=1.0, blocksize=BIG_BLOCK)
    sa, sb = Source(str(a)), Source(str(b))
    e.play(sa)
    # The song in the buffer to its end as the output nears it: the output's clock runs on its
    # own, and a feeder held up on a busy machine has the end written a moment after the output
    # reached the mark (asserted then, a failure of the machine's, not of the fade).
    assert wait_for(lambda: e._ring.write == na and e._ring.read >= na - 1.3 * SR, 30.0)
    e.set_next(sb)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED, 30.0)
    out = _from_first_sound(e.captured()[:, 0])
    start = sa.heard_frames
    assert start < na - 0.3 * SR    # (a late fade: not the song's end cut into the next)
    assert sb.heard_frames == nb
    _no_click(out[:start + nb])
    assert e.underruns == 0


def _crossfade_heard(engine, tmp_path, change_at_s: float | None, gains=(0.25, 0.25)):  # noqa: F811
    """Two songs at gain 0.5 crossfading over 1 s, set to ``gains`` (both 0.25: a preamp turned
    down 6 dB) ``change_at_s`` before the first one's end, or never: what the output played."""
    a, b, na, nb = _two_songs(tmp_path)
    e = engine(speed=1.0, crossfade_s=1.0)
    hold_output(e)
    sa, sb = Source(str(a), gain=0.5), Source(str(b), gain=0.5)
    e.play(sa)
    e.set_next(sb)
    assert e.sync(30.0) and next_open(e, 30.0)
    got = []
    if change_at_s is not None:
        got = _render(e, until=lambda: e._ring.read >= na - change_at_s * SR)
        e.set_gain(sa, gains[0])
        e.set_gain(sb, gains[1])
    got += _render(e)
    return np.concatenate(got)[:, 0]


def test_a_replaygain_change_during_a_crossfade_is_heard_on_both_songs_at_once(engine, tmp_path):  # noqa: F811
    # Both songs of the fade take the new setting within the output's block and the glide, the
    # buffered mix included; before, neither did (the song fading in only from its next track).
    from player.audio.glide import REGAIN_GLIDE_FRAMES

    (tmp_path / "ref").mkdir()
    (tmp_path / "new").mkdir()
    ref = _crossfade_heard(engine, tmp_path / "ref", None)
    out = _crossfade_heard(engine, tmp_path / "new", 0.6)
    n = min(len(out), len(ref))        # (the silence after the end: a block more or less)
    assert not out[n:].any() and not ref[n:].any()
    out, ref = out[:n], ref[:n]
    _no_click(out[:np.flatnonzero(out)[-1] + 1])       # (the last song ends mid-wave, as it was cut)
    changed = int(np.flatnonzero(np.abs(out - ref) > 1e-6)[0])
    assert abs(changed - (3 * SR - 0.6 * SR)) <= 2048         # (where the output was)
    settled = changed + REGAIN_GLIDE_FRAMES + 1024
    assert np.allclose(out[:changed], ref[:changed], atol=1e-6)
    assert np.allclose(out[settled:], 0.5 * ref[settled:], atol=1e-6)
    # In between, the level glides from the one to the other: no step (a cut: 0.5 at once).
    window = slice(changed - 1024, settled)
    loud = np.abs(ref[window]) > 0.02
    ratio = out[window][loud] / ref[window][loud]
    assert ratio.min() > 0.5 - 1e-4 and ratio.max() < 1 + 1e-4
    assert np.abs(np.diff(ratio)).max() < 0.01
    # (mid-fade, both tones heard together)
    mid = out[settled:settled + 4096]
    spectrum = np.abs(np.fft.rfft(mid * np.hanning(len(mid))))
    freqs = np.fft.rfftfreq(len(mid), 1 / SR)
    assert min(spectrum[np.argmin(np.abs(freqs - f))] for f in (440, 660)) > 0.3 * spectrum.max()


@pytest.mark.parametrize("gains", [(0.125, 0.5), (0.5, 0.125)])
def test_a_replaygain_change_just_before_a_crossfade_starts_it_without_a_step(engine, tmp_path, gains):  # noqa: F811
    # A mode change (each song's gain moves its own way) a moment before the fade: its mix, in
    # the buffer already, scales the first song as the gains stood before. The output took the
    # second song's new correction at the fade's first frame: the first song, still at full
    # level there, jumped from its new level back to its old one, a step of 0.19.
    (tmp_path / "ref").mkdir()
    (tmp_path / "new").mkdir()
    ref = _crossfade_heard(engine, tmp_path / "ref", None)
    out = _crossfade_heard(engine, tmp_path / "new", 1.2, gains)
    _no_click(out[:np.flatnonzero(out)[-1] + 1])       # (the last song ends mid-wave, as it was cut)
    # and the second song, alone after the fade, at its new gain
    after = slice(3 * SR + SR // 4, 3 * SR + 3 * SR // 4)
    loud = np.abs(ref[after]) > 0.02
    assert np.allclose(out[after][loud], gains[1] / 0.5 * ref[after][loud], atol=1e-5)
