"""recommender.excerpts: excerpts decoded in blocks equal the whole file's samples, in bounded memory."""

from __future__ import annotations

import shutil
import subprocess
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import soxr

from recommender.excerpts import (
    PATCH_FRAMES,
    TAG_HOP,
    FileGrid,
    decode_pieces,
    plan_excerpts,
    resampled_length,
)
from segue_common.audio_io import CorruptAudioError, load_audio


def music(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """Stereo [n, 2], cheap to make: a tone whose pitch steps every 5 s under noise hits
    twice a second (something for every frame of every front end to see)."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    tone = 0.3 * np.sin(2 * np.pi * (220 + 30 * ((t // 5 + seed) % 7)) * t)
    hits = np.clip(0.15 * rng.standard_normal(len(t)), -0.6, 0.6) * np.exp(-(t % 0.5) * 30)  # below full scale
    y = (tone + hits).astype(np.float32)
    return np.stack([y, np.roll(y, 100)], axis=1)


def write(path, data, sr, **kw):
    with sf.SoundFile(str(path), "w", sr, data.shape[1], **kw) as f:
        for i in range(0, len(data), sr):  # a second at a time (libsndfile's vorbis writer)
            f.write(data[i: i + sr])
    return path


def test_soxr_output_length_is_the_rounded_ratio():
    for n, sr, out in ((1001, 44100, 22050), (44099, 48000, 22050), (100003, 22050, 16000), (5, 8000, 16000)):
        assert len(soxr.resample(np.zeros(n, np.float32), sr, out, quality="HQ")) == resampled_length(n, sr, out)


def test_the_plan_keeps_evenly_spaced_patches_or_tiles_the_file():
    grid = FileGrid.of(44100 * 200, 44100)          # 200 s: 66 whole patches
    assert grid.patches == (1 + resampled_length(44100 * 200, 44100, 16000) // TAG_HOP) // PATCH_FRAMES
    sparse = plan_excerpts(grid, 16)
    chosen = np.linspace(0, grid.patches - 1, 16).round().astype(int)
    assert [e.f0 // PATCH_FRAMES for e in sparse] == list(chosen) and all(e.patches == 1 for e in sparse)
    tiled = plan_excerpts(grid, None)
    assert sum(e.patches for e in tiled) == grid.patches
    assert tiled[0].j0 == 0 and tiled[-1].j1 == grid.frames22 and tiled[-1].k1 == grid.blocks
    assert all(a.j1 == b.j0 and a.k1 == b.k0 and a.s1 == b.s0 for a, b in zip(tiled, tiled[1:]))
    short = plan_excerpts(FileGrid.of(44100, 44100), 16)   # 1 s: shorter than a patch
    assert len(short) == 1 and short[0].patches == 0 and short[0].n_frames == 1 + 16000 // TAG_HOP


@pytest.mark.parametrize("ext, kw", [("flac", {"format": "FLAC"}), ("ogg", {"format": "OGG", "subtype": "VORBIS"}),
                                     ("mp3", {"format": "MP3"})])
def test_excerpts_are_the_whole_files_resampled_samples(tmp_path, ext, kw):
    path = write(tmp_path / f"a.{ext}", music(40.0, 44100), 44100, **kw)
    y, sr = load_audio(path)   # one whole-file read (right for MP3 too)
    w16 = soxr.resample(y, sr, 16000, quality="HQ")
    w22 = soxr.resample(y, sr, 22050, quality="HQ")
    for max_patches in (5, None):
        pieces = list(decode_pieces(path, max_patches))
        assert len(pieces) == (5 if max_patches else 1)
        for p in pieces:
            lo = TAG_HOP * p.excerpt.f0 - TAG_HOP
            ref = np.zeros(len(p.y16), np.float32)
            a, b = max(lo, 0), min(lo + len(ref), len(w16))
            ref[a - lo: b - lo] = w16[a:b]
            assert_whole_files_samples(p, w16, w22)


def assert_whole_files_samples(p, w16, w22) -> None:
    """Piece ``p``'s samples are the whole file's resampled ones (``w16``, ``w22``) there."""
    lo = TAG_HOP * p.excerpt.f0 - TAG_HOP
    ref = np.zeros(len(p.y16), np.float32)
    a, b = max(lo, 0), min(lo + len(ref), len(w16))
    ref[a - lo: b - lo] = w16[a:b]
    np.testing.assert_allclose(p.y16, ref, atol=1e-4)  # MP3: dr_mp3 vs libsndfile's mpg123
    ref = np.zeros(len(p.y22), np.float32)
    lo = p.y22_start
    a, b = max(lo, 0), min(lo + len(ref), len(w22))
    ref[a - lo: b - lo] = w22[a:b]
    np.testing.assert_allclose(p.y22, ref, atol=1e-4)


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    return write(tmp_path_factory.mktemp("long") / "a.wav", music(150.0, 44100), 44100, format="WAV")


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """``encoded(wav, name, codec, folder)``: ``wav`` encoded by ffmpeg as ``folder/name``. Each
    encoding is made once for the module and copied (the tests that share one ask for the same
    bytes, and a copy costs nothing beside an encode of a minute or more), so a test may cut
    its file short."""
    made = {}
    store = tmp_path_factory.mktemp("encoded")

    def encode(wav, name, codec, folder):
        key = (str(wav), name, tuple(codec))
        if key not in made:
            made[key] = store / f"{len(made)}-{name}"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(made[key])], check=True)
        path = folder / name
        shutil.copyfile(made[key], path)
        return path

    return encode


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
@pytest.mark.parametrize("name, codec, longest_one_pass, seeks", [
    # (the AAC encoder's noise substitution is off: the decoder makes that noise up from a
    # random sequence, which a decoder started elsewhere draws differently)
    ("aac.m4a", ["-c:a", "aac", "-aac_pns", "0", "-b:a", "192k"], 100.0, True),   # as if longer than 20 min
    ("aac.m4a", ["-c:a", "aac", "-aac_pns", "0", "-b:a", "192k"], None, False),
    ("alac.m4a", ["-c:a", "alac"], None, True),
    ("wmav2.wma", ["-c:a", "wmav2", "-b:a", "192k"], None, False),     # ASF's clock counts milliseconds
])
def test_ffmpeg_starts_at_each_excerpt_where_it_seeks_exactly(tmp_path, monkeypatch, long_wav, encoded, name, codec,
                                                              longest_one_pass, seeks):
    """An M4A was decoded whole, twice (its length counted, then read on to each excerpt);
    its length is now counted from near its end, ffmpeg starts a second before each excerpt
    that is further on than reading on costs (30 s), and the excerpts are the whole decode's
    samples. A WMA is not jumped in (its excerpts come from one pass, see below), nor is an
    AAC of up to 20 minutes: one such pass costs it less than the jumps."""
    from segue_common import audio_io
    from tests.segue_common.test_ffmpeg_fallback import jumps, record_ffmpeg_starts

    if longest_one_pass is not None:
        monkeypatch.setattr(audio_io, "_ONE_PASS_AAC_S", longest_one_pass)
    path = encoded(long_wav, name, codec, tmp_path)
    y, sr = load_audio(path)
    w16 = soxr.resample(y, sr, 16000, quality="HQ")
    w22 = soxr.resample(y, sr, 22050, quality="HQ")
    starts = record_ffmpeg_starts(monkeypatch)
    pieces = list(decode_pieces(path, 4))      # at 0, 48, 98 and 147 s
    assert len(pieces) == 4 and pieces[0].grid.n_native == len(y)
    for p in pieces:
        assert_whole_files_samples(p, w16, w22)
    at = jumps(starts)
    if seeks:
        assert at and at[0] > 140.0      # the length: counted from a few seconds before the end
        for p in pieces[1:]:        # each excerpt: from a second before it (and its margin)
            t = p.excerpt.s0 / 16000
            assert any(t - 1.2 < s < t - 1.0 for s in at), (t, at)
    else:
        assert not at and len(starts) == 1, starts      # one pass, for the excerpts and the length


@pytest.fixture(scope="module")
def minute_wav(tmp_path_factory):
    return write(tmp_path_factory.mktemp("minute") / "a.wav", music(60.0, 44100), 44100, format="WAV")


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
@pytest.mark.parametrize("name, codec", [
    ("wmav2.wma", ["-c:a", "wmav2", "-b:a", "192k"]),    # header: 2,000 frames more than it decodes
    ("opus.mka", ["-c:a", "libopus"]),                   # 384 more
    ("vorbis.mka", ["-c:a", "libvorbis"]),               # 100 fewer
])
@pytest.mark.parametrize("kept", [1.0, 0.97, 0.5])
def test_excerpts_of_a_file_ffmpeg_cannot_jump_in_come_from_one_pass(tmp_path, monkeypatch, minute_wav, encoded,
                                                                     name, codec, kept):
    """A WMA or Matroska file was decoded whole twice through the pipe: once to count its
    length, once on to its excerpts. One ffmpeg now decodes it once and passes on only the
    excerpts, placed on the length its header gives, and the seconds around that length,
    whose count is the exact length. The excerpts are the whole decode's samples (resampled
    on their own: to float rounding, 1e-4; a frame off is 0.1 in this music).

    A file cut short (``kept``) says more in its header than it holds: 2 s more, and the
    excerpts placed on the exact length lie elsewhere, which a second such pass decodes;
    half of it more, and nothing decodes around that length: the length is counted by a
    whole pass as before."""
    from tests.segue_common.test_ffmpeg_fallback import record_ffmpeg_starts

    path = encoded(minute_wav, name, codec, tmp_path)
    if kept < 1.0:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * kept)])
    y, sr = load_audio(path)
    w16 = soxr.resample(y, sr, 16000, quality="HQ")
    w22 = soxr.resample(y, sr, 22050, quality="HQ")
    starts = record_ffmpeg_starts(monkeypatch)
    pieces = list(decode_pieces(path, 4))      # 20 patches, 19 in the file cut to 97 %
    assert len(pieces) == 4 and pieces[0].grid.n_native == len(y)
    for p in pieces:
        assert_whole_files_samples(p, w16, w22)
    selecting = [args for args in starts if "-af" in args and "concat=" in args[args.index("-af") + 1]]
    whole = [args for args in starts if "-af" not in args and "-ss" not in args]
    # (the reader's own ffmpeg, decoding from the start, starts only where it is read from:
    # it was started on open and left unread)
    if kept == 1.0:
        assert len(selecting) == 1 and len(whole) == 0, starts
    elif kept > 0.9:
        assert len(selecting) == 2 and len(whole) == 0, starts
    else:
        assert len(whole) == 2, starts


def test_a_musepack_files_excerpts_from_one_pass_leave_out_its_padding(tmp_path):
    """Musepack plays through ffmpeg without its last frame's padding (the stream header
    gives its length), and its excerpts come from one pass as a WMA's do. That pass counted
    the padding into the length, so the excerpts were placed on a grid longer than the file
    by the padding (167 frames in this one) and did not lie where the whole file's do."""
    from tests.audiogen import encoder_installed, stepped_encoded

    if not encoder_installed("mpc") or shutil.which("ffprobe") is None:
        pytest.skip("mpcenc (musepack-tools; scripts/setup-system.sh installs it) and ffmpeg")
    path = stepped_encoded(tmp_path / "a.mpc", seconds=30)
    y, sr = load_audio(path)
    assert len(y) == 30 * sr
    w16 = soxr.resample(y, sr, 16000, quality="HQ")
    w22 = soxr.resample(y, sr, 22050, quality="HQ")
    pieces = list(decode_pieces(path, 4))
    assert len(pieces) == 4 and pieces[0].grid.n_native == len(y)
    for p in pieces:
        assert_whole_files_samples(p, w16, w22)


def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_files_length(tmp_path, monkeypatch):
    import recommender.excerpts as ex

    monkeypatch.setattr(ex, "CHUNK_NATIVE_SAMPLES", 1 << 19)   # 12 s chunks: a small test of the rule
    sr = 44100
    half_minute = music(30.0, sr)
    long = tmp_path / "long.flac"
    with sf.SoundFile(str(long), "w", sr, 2, format="FLAC") as f:
        for _ in range(8):   # 4 minutes: 85 MB as float32 stereo, what the old whole-file read held
            f.write(half_minute)
    short = write(tmp_path / "short.flac", half_minute, sr, format="FLAC")

    def run(path, max_patches):
        return lambda: sum(len(p.y16) for p in decode_pieces(path, max_patches))

    whole_mb = 4 * 60 * sr * 2 * 4 / 2**20
    sparse = {name: _peak_mb(run(p, 16)) for name, p in (("short", short), ("long", long))}
    tiled = {name: _peak_mb(run(p, None)) for name, p in (("short", short), ("long", long))}
    assert sparse["long"] < whole_mb / 10 and sparse["long"] < 1.3 * sparse["short"] + 1, (sparse, whole_mb)
    # the whole file streamed in chunks: bounded by the chunk, not the file
    assert tiled["long"] < whole_mb / 10 and tiled["long"] < 1.3 * tiled["short"] + 1, (tiled, whole_mb)


def test_odd_files_give_a_result_or_a_clear_error(tmp_path):
    rate_1hz = write(tmp_path / "one_hz.wav", np.full((20, 1), 0.1, np.float32), 1, format="WAV")
    eight = write(tmp_path / "eight.wav", np.tile(music(4.0, 8000)[:, :1], (1, 8)), 8000, format="WAV")
    high = write(tmp_path / "high.flac", music(2.0, 384000), 384000, format="FLAC")
    for path in (rate_1hz, eight, high):
        pieces = list(decode_pieces(path, 16))
        assert pieces and all(np.isfinite(p.y16).all() and np.isfinite(p.y22).all() for p in pieces)
    truncated = tmp_path / "cut.flac"
    full = write(tmp_path / "full.flac", music(30.0, 44100), 44100, format="FLAC").read_bytes()
    truncated.write_bytes(full[: len(full) // 2])  # the header still says 30 s
    pieces = list(decode_pieces(truncated, 16))    # what is there, to where it ends
    assert pieces and 14 * 44100 < pieces[0].grid.n_native < 16 * 44100
    y16 = np.concatenate([p.y16 for p in pieces])
    assert np.abs(y16[:14 * 16000]).max() > 0.1 and len(y16) < 16.5 * 16000
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros((0, 1), np.float32), 8000)
    with pytest.raises(CorruptAudioError):
        list(decode_pieces(empty, 16))


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_an_aacs_excerpts_from_one_pass_keep_the_noise_its_decoder_makes_up(tmp_path):
    """Where the AAC encoder substituted noise for a band, the decoder makes that noise up
    from a random sequence, which a decoder started a second before an excerpt drew
    differently from the whole decode. From one pass the excerpts are the whole decode's."""
    wav = write(tmp_path / "a.wav", music(150.0, 44100), 44100, format="WAV")
    path = tmp_path / "pns.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-aac_pns", "1", "-b:a", "96k",
                    str(path)], check=True)
    y, sr = load_audio(path)
    w16 = soxr.resample(y, sr, 16000, quality="HQ")
    w22 = soxr.resample(y, sr, 22050, quality="HQ")
    pieces = list(decode_pieces(path, 4))      # at 0, 48, 98 and 147 s
    assert len(pieces) == 4 and pieces[0].grid.n_native == len(y)
    for p in pieces:
        assert_whole_files_samples(p, w16, w22)


@pytest.mark.parametrize("channel, weight", [(2, 0.7071), (3, 0.0), (0, 0.5)])   # centre, LFE, front left
def test_a_5_1_file_is_analysed_as_the_mean_of_the_stereo_mix_it_plays_as(tmp_path, channel, weight):
    # (a plain mean of its six channels weighted the LFE like a front, and the centre a sixth)
    y = music(60, 44100)[:, :1]
    surround = np.zeros((len(y), 6), np.float32)
    surround[:, channel] = y[:, 0]
    path = write(tmp_path / "surround.flac", surround, 44100, format="FLAC", subtype="PCM_24")
    same = write(tmp_path / "mono.flac", weight * y, 44100, format="FLAC", subtype="PCM_24")
    for a, b in zip(decode_pieces(path, 8), decode_pieces(same, 8)):
        np.testing.assert_allclose(a.y16, b.y16, atol=1e-4)
        np.testing.assert_allclose(a.y22, b.y22, atol=1e-4)
    np.testing.assert_allclose(load_audio(path)[0], load_audio(same)[0], atol=1e-4)


def test_the_side_mix_is_half_the_difference_of_two_channels(tmp_path):
    # (what analysis tries on a stereo file silent in the mean of its channels: one of them
    # with its polarity inverted)
    y = music(60, 44100)[:, :1]
    mono = write(tmp_path / "mono.flac", y, 44100, format="FLAC")
    inverted = write(tmp_path / "inverted.flac", np.concatenate([y, -y], axis=1), 44100, format="FLAC")
    plain, side = list(decode_pieces(mono, 16)), list(decode_pieces(inverted, 16, mix="side"))
    assert len(plain) == len(side) == 16
    for a, b in zip(plain, side):
        np.testing.assert_array_equal(a.y16, b.y16)
        np.testing.assert_array_equal(a.y22, b.y22)
    assert not any(np.any(p.y16) for p in decode_pieces(inverted, 16))   # the mean cancels
    with pytest.raises(ValueError):
        list(decode_pieces(mono, 16, mix="side"))
