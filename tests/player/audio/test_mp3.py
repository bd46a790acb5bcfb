"""MP3 playback: streamed in blocks by dr_mp3, whatever the length, with the samples of a
whole-file read, exact seeks and gapless joins.

libsndfile 1.2.2 returns stretches of zeros when some MP3s (low bit rates, Xing headers)
are read in blocks or after a seek; only its whole-file read is right. These tests use
that whole-file read as the reference for what the file holds.
"""

from __future__ import annotations

import subprocess
import time
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio.decoder import Decoder, DecodeError
from player.audio.null_engine import NullEngine
from segue_common.audio_io import ffmpeg_path, open_blocks
from tests.player.audio.signals import active_region, sine, tone_level
from tests.player.audio.test_null_engine import hold_output, next_open

LONG_SR = 16000
LONG_MINUTES = 21


def glide(n: int, sr: int) -> np.ndarray:
    """A tone gliding between 300 and 500 Hz every 7 s: no two places within a frame look alike."""
    t = np.arange(n, dtype=np.float64) / sr
    phase = 2 * np.pi * (400 * t - 100 * 7 / (2 * np.pi) * np.cos(2 * np.pi * t / 7))
    return (0.3 * np.sin(phase)).astype(np.float32)


def write_mp3(path, y: np.ndarray, sr: int, kbps: int) -> None:
    """Mono MP3 at a low constant bit rate: ffmpeg's LAME where installed, else libsndfile's."""
    exe = ffmpeg_path()
    if exe:
        subprocess.run([exe, "-v", "error", "-y", "-f", "f32le", "-ar", str(sr), "-ac", "1", "-i", "-",
                        "-c:a", "libmp3lame", "-b:a", f"{kbps}k", str(path)], input=y.tobytes(), check=True)
    else:
        with sf.SoundFile(str(path), "w", sr, 1, format="MP3", bitrate_mode="CONSTANT",
                          compression_level=0.99) as f:
            for i in range(0, len(y), 60 * sr):
                f.write(y[i:i + 60 * sr])


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory):
    """21 minutes of mono at 16 kbit/s, and its whole-file read by libsndfile."""
    path = tmp_path_factory.mktemp("mp3") / "mix.mp3"
    write_mp3(path, glide(LONG_MINUTES * 60 * LONG_SR, LONG_SR), LONG_SR, 16)
    whole = sf.read(str(path), dtype="float32")[0]
    return path, whole


def zero_runs(x: np.ndarray, *, longest: int) -> int:
    """How many runs of more than ``longest`` samples below 1e-4 ``x`` has."""
    quiet = np.concatenate([[0], (np.abs(x) < 1e-4).astype(np.int8), [0]])
    edges = np.diff(quiet)
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return int(np.count_nonzero(ends - starts > longest))


def test_a_long_low_bitrate_mp3_plays_the_whole_read_with_no_gaps(long_mp3):
    path, whole = long_mp3
    assert len(whole) == LONG_MINUTES * 60 * LONG_SR
    assert zero_runs(whole, longest=64) == 0
    # What libsndfile gives block by block here (the reason MP3 no longer goes through it):
    with sf.SoundFile(str(path)) as f:
        first = np.concatenate([f.read(4096, dtype="float32") for _ in range(200)])
    assert np.abs(first - whole[:len(first)]).max() > 0.05 or zero_runs(first, longest=64) > 0

    dec = Decoder(str(path), out_rate=LONG_SR, channels=1)
    assert dec.total_frames == len(whole)
    at, worst = 0, 0.0
    while len(block := dec.read(4096)):
        worst = max(worst, float(np.abs(block[:, 0] - whole[at:at + len(block)]).max()))
        at += len(block)
    dec.close()
    assert at == len(whole)
    assert worst < 1e-4  # dr_mp3 and mpg123 agree within a 16-bit step


def test_memory_stays_flat_while_a_long_mp3_plays_and_seeks(long_mp3):
    path, whole = long_mp3
    tracemalloc.start()
    try:
        dec = Decoder(str(path), out_rate=44100, channels=2)   # resampled, as to a device
        for target in (0.9, 0.1, 0.5):
            dec.seek_frame(int(target * dec.total_frames))
            for _ in range(30):
                dec.read(4096)
        while len(dec.read(1 << 15)):
            pass
        dec.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The whole file as 16-bit samples would be 40 MB; blocks, the resampler and the frame
    # index stay a few MB whatever the length.
    assert peak < 8e6, f"{peak / 1e6:.1f} MB"


def test_seeks_land_on_the_asked_sample_of_a_long_mp3(long_mp3):
    path, whole = long_mp3
    dec = Decoder(str(path), out_rate=LONG_SR, channels=1)
    n = len(whole)
    for target in (n - 5 * LONG_SR, n // 3, 17, n // 2 + 12345, 1000, n - 1200):
        dec.seek_frame(target)
        got = dec.read(2000)[:, 0]
        assert dec.frame == target + len(got)
        want = whole[target:target + 2000]
        assert len(got) == len(want)
        # The glide makes any misplacement (even by one sample) show as a difference of the
        # tone's size: the block is the whole read at exactly that place.
        assert np.abs(got - want).max() < 1e-4, f"seek to {target}"
    # (through the frame index, not by decoding from the start: tests/segue_common/test_mp3.py)
    assert dec._blocks.seekable


def two_halves_of_a_sine(folder, sr=44100):
    """The halves of one sine as two stereo MP3s (libsndfile's LAME: Xing/LAME header)."""
    whole = sine(int(1.5 * sr) + 333, freq=440.0, sr=sr)
    cut = int(0.8 * sr) + 17
    paths = []
    for i, piece in enumerate((whole[:cut], whole[cut:])):
        path = folder / f"half{i}.mp3"
        sf.write(str(path), np.stack([piece, piece], axis=1), sr, format="MP3", bitrate_mode="CONSTANT",
                 compression_level=0.0)
        paths.append(path)
    return paths, whole, cut


def test_mp3_halves_have_the_lengths_and_samples_of_whole_reads(tmp_path):
    (a, b), whole, cut = two_halves_of_a_sine(tmp_path)
    for path, length in ((a, cut), (b, len(whole) - cut)):
        ref = sf.read(str(path), dtype="float32", always_2d=True)[0]
        dec = Decoder(str(path), out_rate=44100)
        got = np.concatenate([dec.read(1000) for _ in range(length // 1000 + 2)])
        assert len(ref) == len(got) == length     # encoder delay and padding trimmed, as before
        assert np.abs(got - ref).max() < 1e-4


def test_gapless_mp3_halves_join_without_a_gap(tmp_path):
    (a, b), whole, cut = two_halves_of_a_sine(tmp_path)
    e = NullEngine(capture=True, speed=6.0)
    try:
        sa, sb = Source(str(a)), Source(str(b))
        # At six times real time the first half is over before a loaded machine opens the second:
        # the output is held (as an unplugged one: it takes nothing) until it is open.
        hold_output(e)
        e.play(sa)
        e.set_next(sb)
        assert next_open(e)
        e.set_device(None)
        end = time.monotonic() + 10
        while not (e.state is PlaybackState.STOPPED and sb.heard_frames) and time.monotonic() < end:
            time.sleep(0.01)
        out = active_region(e.captured()[:, 0], threshold=1e-7)
        assert (sa.heard_frames, sb.heard_frames) == (cut, len(whole) - cut)
        assert e.underruns == 0
    finally:
        e.close()
    assert len(out) == len(whole)
    # The same samples as the two whole-file reads back to back (what played before)...
    before = np.concatenate([sf.read(str(p), dtype="float32", always_2d=True)[0][:, 0] for p in (a, b)])
    assert np.abs(out - before).max() < 1e-4
    # ...which are the sine itself, not shifted by one sample: a gap, a repeat or untrimmed
    # encoder delay would leave it off by up to ~0.02 per sample of shift. Only the few
    # hundred samples at the cut carry MP3's own error (a tone stopped dead is hard to code).
    far = np.r_[2000:cut - 500, cut + 500:len(whole) - 2000]
    assert np.abs(out[far] - whole[far]).max() < 1e-3
    assert np.abs(out - whole).max() < 0.05


def test_damaged_mp3s_are_decode_errors_and_a_cut_one_plays_what_it_has(tmp_path, long_mp3):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x10" + bytes(16) + b"\xff\xfb" + bytes(300))
    with pytest.raises(DecodeError):
        Decoder(str(bad), out_rate=44100)
    path, whole = long_mp3
    cut = tmp_path / "cut.mp3"
    with open(path, "rb") as f:
        cut.write_bytes(f.read(200_000))        # about the first 100 s
    dec = Decoder(str(cut), out_rate=LONG_SR, channels=1)
    got = np.concatenate([dec.read(1 << 16) for _ in range(40)])[:, 0]
    assert 90 * LONG_SR < len(got) < 110 * LONG_SR
    assert np.abs(got - whole[:len(got)]).max() < 1e-4
    dec.seek_frame(len(whole) - 10)             # past what the file holds: it just ends
    assert len(dec.read(1000)) == 0


def test_an_mp3_with_a_long_stretch_of_junk_before_its_frames_plays_and_analyses_whole(tmp_path):
    # A cover left outside an ID3 tag whose size field is wrong: 80 KB that are no frame.
    # libsndfile gives up after 64 KB; the file is listed and must play.
    clean, junk = tmp_path / "clean.mp3", tmp_path / "junk.mp3"
    write_mp3(clean, glide(3 * 22050, 22050), 22050, 64)
    junk.write_bytes(bytes(80 * 1024) + clean.read_bytes())
    want = Decoder(str(clean), out_rate=22050, channels=1)
    ref = np.concatenate([want.read(1 << 15) for _ in range(8)])[:, 0]
    dec = Decoder(str(junk), out_rate=22050, channels=1)
    got = np.concatenate([dec.read(1 << 15) for _ in range(8)])[:, 0]
    # Every sample, after at most two frames of silence more: behind the junk, the
    # encoder's delay and padding are not found and stay in.
    n = len(got) + len(ref)
    lag = int(np.argmax(np.fft.irfft(np.fft.rfft(got, n) * np.conj(np.fft.rfft(ref, n)), n)))
    assert len(ref) > 2.9 * 22050 and 0 <= lag <= 2 * 1152 and len(ref) + lag <= len(got) <= len(ref) + 2 * 1152
    assert np.abs(got[lag:lag + len(ref)] - ref).max() < 1e-4
    reader = open_blocks(str(junk))
    analysed = np.concatenate([reader.read(1 << 15) for _ in range(8)])
    reader.close()
    assert reader.samplerate == 22050 and len(analysed) == len(got)


def tone_mp3(path, pieces, sr=44100):
    """An MP3 (libsndfile's LAME: a Xing/LAME header) of tones one after the other, each
    (seconds, frequency, amplitude); frequency 0: noise."""
    rng = np.random.default_rng(4)
    y = np.concatenate([amp * (np.sin(2 * np.pi * f * np.arange(int(s * sr)) / sr) if f
                               else rng.standard_normal(int(s * sr))) for s, f, amp in pieces]).astype(np.float32)
    sf.write(str(path), np.stack([y, y], axis=1), sr, format="MP3")
    return path


def decode_whole(path, sr=44100):
    dec = Decoder(str(path), out_rate=sr)
    parts = [dec.read(1 << 15)]
    while len(parts[-1]):
        parts.append(dec.read(1 << 15))
    total = dec.total_frames
    dec.close()
    return np.concatenate(parts)[:, 0], total


def test_an_mp3_whose_xing_header_counts_too_few_frames_plays_and_is_listed_whole(tmp_path):
    # Two files joined with cat keep the first one's Xing header: the second one was never
    # heard and the track was listed at the first one's length; a count of 0 made the file
    # an error row. Both play whole, at the length the library lists.
    from player.library.tags import read_tags

    a, b = tone_mp3(tmp_path / "a.mp3", [(4, 440, 0.3)]), tone_mp3(tmp_path / "b.mp3", [(4, 660, 0.3)])
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    raw = a.read_bytes()
    at = raw.index(b"Xing") + 8
    zero = tmp_path / "zero.mp3"
    zero.write_bytes(raw[:at] + bytes(4) + raw[at + 4:])
    for path, seconds in ((joined, 8.0), (zero, 4.0)):
        out, total = decode_whole(path)
        assert total == len(out) and abs(len(out) / 44100 - seconds) < 0.1, (path.name, len(out) / 44100)
        assert abs(read_tags(str(path))["duration"] - len(out) / 44100) < 0.01
    assert tone_level(out[44100:3 * 44100], 440, sr=44100) > 0.9
    out, _ = decode_whole(joined)
    assert tone_level(out[5 * 44100:7 * 44100], 660, sr=44100) > 0.9      # the second file is heard


def estimated_mp3(tmp_path, monkeypatch):
    """An MP3 whose length is only estimated, at under half the real one (a loud first second,
    at a high bit rate, and no Xing header: as if hours long), and its real length in seconds."""
    import segue_common.mp3 as mp3

    path = tone_mp3(tmp_path / "a.mp3", [(1, 0, 0.5), (11, 440, 0.2)])
    raw = path.read_bytes()
    path.write_bytes(raw[mp3.frame_header(int.from_bytes(raw[:4], "big"))[0]:])   # the Xing frame taken out
    real = len(decode_whole(path)[0]) / 44100
    monkeypatch.setattr(mp3, "EXACT_COUNT_BYTES", 0)
    dec = Decoder(str(path), out_rate=44100)
    assert dec.duration < real / 2
    dec.close()
    return path, real


def until(pred, timeout=10.0) -> bool:
    end = time.monotonic() + timeout
    while not pred() and time.monotonic() < end:
        time.sleep(0.01)
    return pred()


def test_the_seek_bar_shows_an_mp3_at_its_counted_length(tmp_path, monkeypatch):
    # The length estimated from the file's size was shown, and seeks were held to it, for as
    # long as the track played, though it was counted meanwhile.
    path, real = estimated_mp3(tmp_path, monkeypatch)
    e = NullEngine()
    try:
        src = Source(str(path))
        e.play(src)
        # (counted while it plays: the wait is shorter than the track, whose end would tell)
        assert until(lambda: src.duration is not None and abs(src.duration - real) < 0.01, timeout=real - 2.0), \
            src.duration
    finally:
        e.close()


@pytest.mark.parametrize("how", ["seek", "resume"])
def test_an_mp3_is_moved_past_its_estimated_length_to_the_place_asked_for(tmp_path, monkeypatch, how):
    path, real = estimated_mp3(tmp_path, monkeypatch)
    to = real - 2.5                      # past the estimate, in the last seconds
    e = NullEngine()
    try:
        src = Source(str(path), start_s=to if how == "resume" else 0.0)
        e.play(src)
        if how == "seek":
            assert until(lambda: src.heard_frames > 0)
        sent = time.monotonic()
        if how == "seek":
            e.seek(to, src)
        assert e.sync()                  # there (the position reads the place asked for until then)
        assert until(lambda: e.position >= to - 0.1, timeout=1.0), e.position
        # It plays on in real time from there: however long this thread was kept from running
        # since, the place is no further on than that.
        assert e.position < to + 0.5 + (time.monotonic() - sent), e.position
        assert abs(src.duration - real) < 0.01
    finally:
        e.close()


def test_an_mp3_whose_length_is_only_estimated_shows_the_librarys_length_until_counted(tmp_path, monkeypatch):
    # The seek bar showed the estimate from the file's size (under half the real length
    # here) until the count was done, though the library had counted it when it was scanned:
    # a click at the bar's end went to the estimate's end, not the file's.
    path, real = estimated_mp3(tmp_path, monkeypatch)
    dec = Decoder(str(path), out_rate=44100, duration_hint=real)
    try:
        assert not dec.length_exact
        assert dec.duration == pytest.approx(real) and dec.total_frames == round(real * 44100)
        dec.seek_frame(round((real - 2.5) * 44100))      # past the estimate
        assert dec.frame == round((real - 2.5) * 44100)
        assert dec.length_exact and dec.duration == pytest.approx(real, abs=0.01)
    finally:
        dec.close()


def test_a_crossfade_never_cuts_off_an_mp3_whose_length_is_only_estimated(tmp_path, monkeypatch):
    # Without a Xing header a long MP3's length is estimated from its size and its first
    # frame's bit rate: here a loud first second makes it a fraction of the real one. The
    # fade began where the estimate ended, and the rest was never heard. The length is
    # counted while it plays, and the fade comes at its real end.
    import segue_common.mp3 as mp3

    a = tone_mp3(tmp_path / "a.mp3", [(1, 0, 0.5), (11, 440, 0.2)])
    raw = a.read_bytes()
    a.write_bytes(raw[mp3.frame_header(int.from_bytes(raw[:4], "big"))[0]:])   # the Xing frame taken out
    full, _ = decode_whole(a)
    b = tmp_path / "b.wav"
    sf.write(str(b), np.stack([sine(2 * 44100, freq=660, sr=44100)] * 2, 1), 44100, subtype="FLOAT")
    monkeypatch.setattr(mp3, "EXACT_COUNT_BYTES", 0)    # as if it were hours long
    dec = Decoder(str(a), out_rate=44100)
    assert dec.total_frames < len(full) / 2             # the estimate, before it plays
    dec.close()
    e = NullEngine(capture=True, speed=6.0, crossfade_s=1.0)
    try:
        sa, sb = Source(str(a)), Source(str(b))
        e.play(sa)
        e.set_next(sb)
        end = time.monotonic() + 30
        while not (e.state is PlaybackState.STOPPED and sb.heard_frames) and time.monotonic() < end:
            time.sleep(0.01)
        out = active_region(e.captured()[:, 0], threshold=1e-7)
    finally:
        e.close()
    fade = 44100
    assert abs(len(out) - (len(full) + 2 * 44100 - fade)) < 0.05 * 44100, len(out) / 44100
    assert tone_level(out[len(full) - 3 * fade:len(full) - fade], 440, sr=44100) > 0.9   # the end of A...
    mid = out[len(full) - fade + 4000:len(full) - 4000]                                  # ... fading into B
    for f in (440, 660):
        assert tone_level(mid, f, sr=44100) > 0.2


def test_another_mp3_copied_over_the_one_playing_ends_it_there_at_its_own_length(tmp_path, monkeypatch):
    # cp over the file that plays writes into the same file. Read on, the other song was heard
    # from its middle under this one's name (and its length, counted again, in the seek bar):
    # the decoder ends where the file stopped holding its song, at the length that song has
    # (a long mix without a Xing header, its length counted as it plays).
    import segue_common.mp3 as mp3

    old, new = tone_mp3(tmp_path / "a.mp3", [(3, 440, 0.3)]), tone_mp3(tmp_path / "b.mp3", [(6, 660, 0.3)])
    for path in (old, new):
        raw = path.read_bytes()
        path.write_bytes(raw[mp3.frame_header(int.from_bytes(raw[:4], "big"))[0]:])   # no Xing frame
    monkeypatch.setattr(mp3, "EXACT_COUNT_BYTES", 0)
    dec = Decoder(str(old), out_rate=44100)
    got = len(dec.read(4096))
    dec.count_length()
    assert until(lambda: dec.length_exact) and abs(dec.total_frames - 3 * 44100) < 2000
    with open(old, "r+b") as f:
        f.write(new.read_bytes())
    while len(block := dec.read(4096)):
        got += len(block)
    assert dec.replaced and dec.finished
    assert abs(dec.total_frames - 3 * 44100) < 2000
    dec.close()
    assert 4096 <= got < 4096 + 1152
