"""segue_common.audio_io: real files in every soundfile format, the fallback and its errors."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from segue_common.audio_io import (
    AudioError,
    CorruptAudioError,
    UnsupportedAudioError,
    ffmpeg_path,
    load_audio,
    open_fallback,
)
from tests.audiogen import FORMATS, tone, write_audio


def _dominant_freq(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_soundfile_format_decodes_to_the_written_tone(tmp_path, fmt):
    native = FORMATS[fmt][2]
    path = write_audio(tmp_path / f"a.{fmt}", tone(1.0, freq=660.0, sr=native), native)
    y, sr = load_audio(path)
    assert sr == native and y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) / sr - 1.0) < 0.08  # mp3/opus add codec padding
    assert abs(_dominant_freq(y, sr) - 660.0) < 3.0
    assert 0.15 < np.abs(y).max() < 0.5


def test_stereo_resample_offset_and_duration(tmp_path):
    left = tone(2.0, freq=440.0, sr=44100, channels=1)[:, 0]
    right = tone(2.0, freq=1000.0, sr=44100, channels=1)[:, 0]
    path = write_audio(tmp_path / "s.wav", np.stack([left, right], axis=1), 44100)
    y, sr = load_audio(path, mono=False, sr=16000, offset_s=0.5, duration_s=1.0)
    assert sr == 16000 and y.shape == (2, 16000)
    assert abs(_dominant_freq(y[0], sr) - 440.0) < 2.0
    assert abs(_dominant_freq(y[1], sr) - 1000.0) < 2.0
    # The offset really skips: the cut starts where the wave is at sample 0.5 s.
    full, _ = load_audio(path, mono=False)
    part, _ = load_audio(path, mono=False, offset_s=0.5, duration_s=0.25)
    np.testing.assert_allclose(part, full[:, 22050:22050 + 11025], atol=1e-4)


def test_mono_is_the_channel_mean(tmp_path):
    data = np.stack([np.full(1000, 0.5, np.float32), np.full(1000, -0.1, np.float32)], axis=1)
    path = write_audio(tmp_path / "m.flac", data, 44100)
    y, _ = load_audio(path)
    np.testing.assert_allclose(y, 0.2, atol=1e-3)


def test_corrupt_file_of_a_supported_format_is_a_named_error(tmp_path):
    bad = tmp_path / "broken.flac"
    bad.write_bytes(b"fLaC" + b"\x00garbage" * 50)
    with pytest.raises(CorruptAudioError, match="broken.flac"):
        load_audio(bad)
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros((0, 1), np.float32), 8000)
    with pytest.raises(AudioError):
        load_audio(empty)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_audio(tmp_path / "nope.wav")
    path = write_audio(tmp_path / "a.wav", tone(0.1), 44100)
    with pytest.raises(ValueError):
        load_audio(path, offset_s=-1)
    with pytest.raises(ValueError):
        load_audio(path, sr=0)


def test_unsupported_format_says_what_to_install(tmp_path, monkeypatch):
    fake = tmp_path / "song.m4a"
    fake.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 200)
    if ffmpeg_path() is None:
        with pytest.raises(UnsupportedAudioError, match=r"format not supported \(m4a\): install ffmpeg"):
            load_audio(fake)
        with pytest.raises(UnsupportedAudioError):
            open_fallback(fake)
    else:  # ffmpeg here: it must reject the truncated file with one of our errors
        with pytest.raises(AudioError):
            load_audio(fake)


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_ffmpeg_fallback_decodes_m4a(tmp_path):
    wav = write_audio(tmp_path / "a.wav", tone(1.0, freq=500.0), 44100)
    m4a = tmp_path / "a.m4a"
    subprocess.run([ffmpeg_path(), "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    y, sr = load_audio(m4a, sr=16000)
    assert sr == 16000 and abs(_dominant_freq(y, sr) - 500.0) < 3.0
    with open_fallback(m4a) as stream:
        blocks = list(stream)
    assert stream.channels == 2 and sum(len(b) for b in blocks) > 40000


def test_mp3_slice_matches_the_same_slice_of_a_whole_read(tmp_path):
    # libsndfile 1.2.2 loses frames when some MP3s are read after a seek; the slice
    # must be exactly the samples a whole-file read gives at that place.
    import numpy as np

    path = write_audio(tmp_path / "long.mp3", tone(10.0, freq=330.0, channels=1), 44100)
    whole, sr = load_audio(path)
    part, sr2 = load_audio(path, offset_s=5.0, duration_s=3.0)
    start = int(round(5.0 * sr))
    assert sr == sr2 == 44100 and len(part) == int(round(3.0 * sr))
    np.testing.assert_array_equal(part, whole[start:start + len(part)])
    assert np.count_nonzero(np.abs(part) < 1e-6) < 0.01 * len(part)


def test_blocks_of_an_mp3_are_its_whole_read_with_dr_mp3_or_ffmpeg(tmp_path, monkeypatch):
    # libsndfile 1.2.2 returns stretches of zeros when this MP3 (low bit rate) is read in
    # blocks; open_blocks must give the samples of the one whole-file read.
    import sys

    import numpy as np

    from segue_common.audio_io import open_blocks

    path = write_audio(tmp_path / "tone.mp3", tone(6.0, freq=330.0, channels=1), 44100)
    whole, _ = load_audio(path)

    def blocks():
        with open_blocks(path) as reader:
            out = [reader.read(4096)]
            while len(out[-1]):
                out.append(reader.read(4096))
        return np.concatenate(out)[:, 0]

    np.testing.assert_allclose(blocks(), whole, atol=1e-4)
    if ffmpeg_path():
        monkeypatch.setitem(sys.modules, "miniaudio", None)   # an install without miniaudio
        np.testing.assert_allclose(blocks()[: len(whole)], whole, atol=1e-3)


def test_a_flac_whose_header_leaves_its_length_out_reads_in_blocks_to_its_last_sample(tmp_path):
    # What analysis decodes: the last block of such a file failed, and with it the analysis.
    from segue_common.audio_io import open_blocks
    from tests.audiogen import forget_flac_length

    original = tone(6.0, freq=440.0)
    path = forget_flac_length(write_audio(tmp_path / "t.flac", original, 44100))
    with open_blocks(path) as reader:
        blocks = [reader.read(65536)]
        while len(blocks[-1]):
            blocks.append(reader.read(65536))
    y = np.concatenate(blocks)
    assert len(y) == len(original) and np.allclose(y, original, atol=1e-3)


@pytest.mark.parametrize("harm", ["damaged", "cut short"])
def test_a_damaged_or_cut_flac_reads_in_blocks_as_what_it_holds(tmp_path, harm):
    # What analysis decodes: a damaged stretch as silence in its place (analysis failed
    # whole before), a file cut short up to where its data ends (failed at the cut).
    from segue_common.audio_io import open_blocks
    from tests.audiogen import cut_to_half, zero_middle

    original = tone(6.0, freq=440.0)
    path = write_audio(tmp_path / "t.flac", original, 44100)
    {"damaged": zero_middle, "cut short": cut_to_half}[harm](path)
    with open_blocks(path) as reader:
        blocks = [reader.read(65536)]
        while len(blocks[-1]):
            blocks.append(reader.read(65536))
    y = np.concatenate(blocks)
    wrong = np.nonzero(np.abs(y[:, 0] - original[:len(y), 0]) > 1e-3)[0]
    if harm == "damaged":
        assert len(y) == len(original)
        assert 2.5 * 44100 < wrong[0] and wrong[-1] - wrong[0] < 0.6 * 44100
        assert not y[wrong[0]:wrong[-1] + 1].any()
    else:
        assert 2.7 * 44100 < len(y) <= 3.0 * 44100 and len(wrong) == 0


def _noise_flac(path, seconds, sr, channels, subtype, seed=0):
    """Music-like audio (noise whose loudness swells), so that frames differ in size."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t)[:, None]
    sf.write(str(path), (0.2 * swell * rng.standard_normal((len(t), channels))).astype(np.float32), sr,
             subtype=subtype)
    return path


@pytest.mark.parametrize("sr, channels, subtype", [(44100, 2, "PCM_16"), (48000, 1, "PCM_24"),
                                                   (96000, 6, "PCM_24")])
def test_a_flac_cut_short_anywhere_has_the_length_it_plays_on_open(tmp_path, sr, channels, subtype):
    # An interrupted copy or download keeps the whole file's STREAMINFO, and with it its
    # length. On open, the length is where the audio ends, as it is read to its end (frames
    # from a little before the last frame whose header is there decoded to find it); a whole
    # file's is its header's, from a look at its last frame's header alone.
    from segue_common.audio_io import flac_frames_held, open_blocks

    whole = _noise_flac(tmp_path / "whole.flac", 6.0, sr, channels, subtype)
    assert flac_frames_held(str(whole)) is None
    with open_blocks(whole) as reader:
        assert reader.frames == int(6.0 * sr)
    data = whole.read_bytes()
    for keep in (0.12, 0.3, 0.5, 0.51, 0.77, 0.93):
        cut = tmp_path / f"cut{keep}.flac"
        cut.write_bytes(data[:int(len(data) * keep)])
        with open_blocks(cut) as reader:
            on_open = reader.frames
            y = _read_whole(reader, block=4096)
        assert 0 < len(y) < int(6.0 * sr) and on_open == len(y) == reader.frames, keep
    # Zeros in the place of the end (a download that set aside the whole file's size first)
    zeroed = tmp_path / "zeroed.flac"
    zeroed.write_bytes(data[:len(data) // 2] + bytes(len(data) - len(data) // 2))
    with open_blocks(zeroed) as reader:
        on_open = reader.frames
        y = _read_whole(reader, block=4096)
    assert 2.5 * sr < len(y) < 3.5 * sr and on_open == len(y)


def _read_whole(reader, block=5000):
    blocks = [reader.read(block)]
    while len(blocks[-1]):
        blocks.append(reader.read(block))
    return np.concatenate(blocks)


@pytest.mark.parametrize("second", ["ogg", "opus"])
def test_a_chained_ogg_reads_every_link_at_its_length_and_seeks_into_each(tmp_path, second):
    # libsndfile reads only the first file of a chain: half of this one was lost, and its
    # length and seeks stopped at the join.
    from segue_common.audio_io import ogg_links, open_blocks
    from tests.audiogen import chain_oggs

    rate = 48000 if second == "opus" else 44100
    path = chain_oggs(tmp_path / "chain.ogg", [(tone(2.0, freq=500.0), 44100, "ogg"),
                                               (tone(3.0, freq=1000.0, sr=rate), rate, second)])
    assert len(ogg_links(path)) == 2
    with open_blocks(path) as reader:
        sr = reader.samplerate
        assert sr == rate and reader.frames == 5 * sr
        whole = _read_whole(reader)
        assert len(whole) == 5 * sr
        assert abs(_dominant_freq(whole[sr // 2:3 * sr // 2, 0], sr) - 500.0) < 5
        assert abs(_dominant_freq(whole[3 * sr:4 * sr, 0], sr) - 1000.0) < 5
        reader.seek(3 * sr)
        assert abs(_dominant_freq(reader.read(sr)[:, 0], sr) - 1000.0) < 5
    y, y_sr = load_audio(path, offset_s=2.5, duration_s=1.0)
    assert y_sr == sr and len(y) == sr and abs(_dominant_freq(y, sr) - 1000.0) < 5


def test_a_chain_of_links_at_other_rates_and_channels_plays_each_at_its_own_pitch(tmp_path):
    # A stream recording across programmes: a mono talk at 22050 Hz, then stereo music.
    from segue_common.audio_io import open_blocks
    from tests.audiogen import chain_oggs

    path = chain_oggs(tmp_path / "radio.ogg", [(tone(2.0, freq=300.0, sr=22050, channels=1), 22050, "ogg"),
                                               (tone(2.0, freq=900.0, sr=44100), 44100, "ogg")])
    with open_blocks(path) as reader:
        assert (reader.samplerate, reader.channels, reader.frames) == (44100, 2, 4 * 44100)
        whole = _read_whole(reader)
    assert len(whole) == 4 * 44100
    assert abs(_dominant_freq(whole[22050:66150, 0], 44100) - 300.0) < 5
    assert np.allclose(whole[22050:66150, 0], whole[22050:66150, 1])    # the mono link on both sides
    assert abs(_dominant_freq(whole[110250:154350, 1], 44100) - 900.0) < 5


def test_an_ordinary_ogg_is_one_link(tmp_path):
    from segue_common.audio_io import ogg_links

    path = write_audio(tmp_path / "a.ogg", tone(1.0), 44100)
    assert ogg_links(path) == [(0, path.stat().st_size)]


def test_a_damaged_ogg_vorbis_reads_in_blocks_at_its_length_with_silence_for_the_damage(tmp_path):
    # What analysis decodes: the audio after the damage where it belongs, not seconds early.
    from segue_common.audio_io import open_blocks
    from tests.audiogen import damage_ogg_pages

    t = np.arange(12 * 44100) / 44100
    sweep = (0.3 * np.sin(2 * np.pi * (200 * t + 25 * t * t))).astype(np.float32)
    path = write_audio(tmp_path / "sweep.ogg", sweep[:, None], 44100)
    whole, _ = sf.read(str(path), dtype="float32", always_2d=True)
    damage_ogg_pages(path, pages=1)
    with open_blocks(path) as reader:
        y = _read_whole(reader, block=65536)
    assert len(y) == len(whole)
    wrong = np.nonzero(np.abs(y[:, 0] - whole[:, 0]) > 1e-3)[0]
    assert 44100 < wrong[0] and wrong[-1] < 11 * 44100 and not y[wrong[0]:wrong[-1] + 1].any()


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_a_damaged_5_1_opus_reads_in_blocks_at_its_length_with_silence_for_the_damage(tmp_path):
    # What analysis decodes, in every channel: the seconds after the damage where they belong.
    from segue_common.audio_io import open_blocks
    from tests.audiogen import damage_ogg_pages, step_frequency, stepped_opus

    path = stepped_opus(tmp_path / "steps.opus", channels=6, bitrate="192k")
    with open_blocks(path) as reader:
        whole = _read_whole(reader, block=65536)
    damage_ogg_pages(path, pages=2)
    with open_blocks(path) as reader:
        y = _read_whole(reader, block=65536)
        assert reader.channels == 6 and len(y) == len(whole) == reader.frames == 12 * 48000
        silent = np.nonzero(~y.any(axis=1))[0]
        assert len(silent), "the damaged stretch is not silence"
        start, end = silent[0], silent[-1] + 1
        reader.seek(end + 48000)
        after = _read_whole(reader, block=65536)
    assert 1.9 * 48000 < end - start <= 2 * 48000 and len(silent) == end - start
    second = end // 48000 + 1
    for channel in range(6):
        window = y[int((second + 0.1) * 48000):int((second + 0.9) * 48000), channel]
        assert abs(_dominant_freq(window, 48000) - step_frequency(second)) < 5
    settled = end + 48000 * 3 // 10
    assert np.allclose(y[settled:], whole[settled:], atol=1e-3)
    assert np.allclose(after, whole[end + 48000:], atol=1e-3)


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("where", ["first", "middle"])
def test_load_audio_decodes_a_damaged_opus_as_it_plays_at_its_length(tmp_path, where):
    # load_audio read Ogg straight through libsndfile: the lost second was left out, the
    # audio after it came early, and the file decoded a second shorter than it played.
    from segue_common.audio_io import open_blocks
    from tests.audiogen import damage_ogg_pages, step_frequency, stepped_opus

    path = stepped_opus(tmp_path / "steps.opus", seconds=6)
    damage_ogg_pages(path, pages=1, first=2 if where == "first" else None)
    with open_blocks(path) as reader:
        played = _read_whole(reader, block=4096)
    y, sr = load_audio(path, mono=False)
    assert sr == 48000 and y.shape == (2, 6 * 48000) == played.T.shape
    assert np.allclose(y, played.T, atol=1e-4)
    silent = np.nonzero(~y.any(axis=0))[0]
    assert 0.9 * 48000 < len(silent) <= 48000
    part, _ = load_audio(path, offset_s=4.0, duration_s=1.0)
    assert len(part) == 48000 and abs(_dominant_freq(part[4800:-4800], 48000) - step_frequency(4)) < 5
    assert np.allclose(part, y[:, 4 * 48000:5 * 48000].mean(axis=0), atol=1e-3)


@pytest.mark.parametrize("late", [1000, 600 * 48000])
def test_an_opus_stream_captured_mid_way_reads_from_its_first_sample(tmp_path, late):
    # Its granule positions start where the capture began, not at 0: libsndfile read the
    # encoder's delay (312 frames) as audio until its first seek, so the track, and every
    # sample load_audio gave, came that late (and the first block the player read jumped).
    from segue_common.audio_io import open_blocks
    from tests.audiogen import start_ogg_late

    rng = np.random.default_rng(7)
    path = write_audio(tmp_path / "capture.opus", (0.2 * rng.standard_normal((3 * 48000, 2))).astype(np.float32),
                       48000)
    whole, _ = sf.read(str(path), dtype="float32", always_2d=True)
    start_ogg_late(path, late)
    with open_blocks(path) as reader:
        assert reader.frames == len(whole)
        played = _read_whole(reader, block=4096)
        reader.seek(48000 + 7)
        after = reader.read(4096)
    assert np.allclose(played, whole, atol=1e-4)
    assert np.allclose(after, whole[48000 + 7:48000 + 7 + 4096], atol=1e-4)
    y, _ = load_audio(path, mono=False)
    assert np.allclose(y, whole.T, atol=1e-4)


def _one_pass(path) -> np.ndarray:
    """The whole of a file libsndfile decodes, in one pass from its start (no seek)."""
    from segue_common.audio_io import read_frames

    with sf.SoundFile(str(path)) as f:
        parts = []
        while True:
            block, error = read_frames(f, 1 << 16, direct=True)
            parts.append(block)
            if error is not None or not len(block):
                return np.concatenate(parts)


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg not installed")
def test_a_multichannel_opus_whose_packets_run_across_pages_reads_whole_and_seeks_in_place(tmp_path):
    # 6 channels at 384 kbit/s: ffmpeg lets packets run across pages, and libsndfile seeks
    # wrong from such a page (a packet or more off, or it fails). The reader ended 2560
    # frames short (the seek soundfile makes after each read failed at the end), and of seeks
    # 1500 frames apart from 4 s to 6 s, 29 of 64 landed elsewhere.
    from segue_common.audio_io import _opus_scan, open_blocks
    from tests.audiogen import stepped_opus

    path = stepped_opus(tmp_path / "surround.opus", seconds=8, channels=6, bitrate="384k", detune=13.0)
    assert _opus_scan(path).unsafe, "ffmpeg wrote no page a packet runs across: nothing is tested"
    whole = _one_pass(path)
    assert len(whole) == 8 * 48000
    with open_blocks(path) as reader:
        assert reader.frames == len(whole)
        assert np.allclose(_read_whole(reader, block=4096), whole, atol=1e-4)
        for frame in range(4 * 48000, 6 * 48000, 1500):    # (wrong only where pages are, in parts of them)
            reader.seek(frame)
            assert np.allclose(reader.read(2000), whole[frame:frame + 2000], atol=1e-4), frame


def test_on_a_mac_ffmpeg_is_found_where_homebrew_puts_it(tmp_path, monkeypatch):
    """A Mac app started from the Finder gets PATH=/usr/bin:/bin:/usr/sbin:/sbin: ffmpeg (and
    ffprobe beside it) installed by Homebrew or MacPorts is still found, on a Mac only."""
    import os
    import types

    from segue_common import audio_io

    brew, empty = tmp_path / "homebrew" / "bin", tmp_path / "usr-bin"
    brew.mkdir(parents=True)
    empty.mkdir()
    for name in ("ffmpeg", "ffprobe"):
        (brew / name).write_text("#!/bin/sh\nexit 0\n")
        os.chmod(brew / name, 0o755)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    monkeypatch.setattr(audio_io, "MAC_PROGRAM_DIRS", (str(tmp_path / "not-there"), str(brew)), raising=False)
    monkeypatch.setattr(audio_io, "sys", types.SimpleNamespace(platform="darwin"), raising=False)
    assert audio_io.ffmpeg_path() == str(brew / "ffmpeg")
    monkeypatch.setattr(audio_io, "sys", types.SimpleNamespace(platform="linux"), raising=False)
    assert audio_io.ffmpeg_path() is None


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_holds_whole_tells_a_whole_file_from_one_its_header_says_is_longer(tmp_path, fmt):
    # (libsndfile gives a cut WAV the length it holds: only the header's own sizes tell it)
    from segue_common.audio_io import holds_whole

    noise = np.random.default_rng(3).uniform(-0.3, 0.3, 3 * 22050).astype(np.float32)
    whole = tmp_path / f"whole.{fmt.lower()}"
    sf.write(whole, noise, 22050, format=fmt, subtype="VORBIS" if fmt == "OGG" else "PCM_16")
    assert holds_whole(whole)
    data = whole.read_bytes()
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(data[:len(data) * 2 // 3])
    assert not holds_whole(cut)
    cut.write_bytes(data[:-8])      # (a few bytes short of its end: the last frame cut)
    assert not holds_whole(cut)


def test_holds_whole_is_false_where_no_header_gives_the_length(tmp_path):
    from segue_common.audio_io import holds_whole

    noise = np.random.default_rng(3).uniform(-0.3, 0.3, 22050).astype(np.float32)
    wav = tmp_path / "unsized.wav"
    sf.write(wav, noise, 22050, format="WAV", subtype="PCM_16")
    data = bytearray(wav.read_bytes())
    at = data.index(b"data") + 4
    data[at:at + 4] = (0).to_bytes(4, "little")     # (a recorder that never wrote the size back)
    wav.write_bytes(bytes(data))
    assert not holds_whole(wav)
    assert not holds_whole(tmp_path / "missing.wav")
    # (a fragmented MP4 lists its samples fragment by fragment: without the index written at
    # its end, nothing says where the last fragment is)
    frag = _ffmpeg_encode(tmp_path, noise, "frag.m4a", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov")
    data = frag.read_bytes()
    at = data.rindex(b"mfra") - 4
    frag.write_bytes(data[:at])
    assert not holds_whole(frag)
    # (a Matroska file written to a pipe leaves its Segment's size unknown)
    mka = tmp_path / "piped.mka"
    wav_again = _ffmpeg_encode(tmp_path, noise, "again.wav")
    with open(mka, "wb") as out:
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(wav_again), "-c:a", "libvorbis", "-f",
                        "matroska", "pipe:1"], stdout=out, check=True)
    assert not holds_whole(mka)


# AIFF, WavPack, WMA, Matroska/WebM and fragmented MP4 files, checked from their own sizes
# and counts (segue_common.whole_files; an MP4's index of fragments): whole as written, and
# not once cut anywhere in their audio or their index.
_CONTAINERS = {"aiff": ("-c:a", "pcm_s16be"), "wv": ("-c:a", "wavpack"), "wma": ("-c:a", "wmav2"),
               "webm": ("-c:a", "libopus"), "mka": ("-c:a", "libvorbis"),
               "m4a": ("-c:a", "aac", "-movflags", "frag_keyframe+empty_moov", "-frag_duration", "500000")}


@pytest.mark.parametrize("ext", sorted(_CONTAINERS))
def test_holds_whole_tells_a_whole_file_of_another_container_from_one_cut_short(tmp_path, ext):
    from segue_common.audio_io import holds_whole

    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (3 * 22050, 2)).astype(np.float32)
    whole = _ffmpeg_encode(tmp_path, audio, f"whole.{ext}", *_CONTAINERS[ext])
    assert holds_whole(whole)
    data = whole.read_bytes()
    # (a WavPack file's APEv2 tag follows its blocks: a cut in it loses no audio)
    end = data.index(b"APETAGEX") if ext == "wv" else len(data)
    cut = tmp_path / f"cut.{ext}"
    for size in (end // 3, end * 2 // 3 + 7, end - 8, end - 1):
        cut.write_bytes(data[:size])
        assert not holds_whole(cut), size


def test_holds_whole_takes_an_empty_track_of_an_m4a_for_nothing_missing(tmp_path):
    # A chapter or text track that lists no sample held nothing that could be missing: the
    # file was taken for not whole, and a whole, shorter version of a song written over it in
    # place as it played was ended as cut short.
    from segue_common.audio_io import holds_whole
    from tests.audiogen import empty_second_track

    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (3 * 22050, 2)).astype(np.float32)
    two = _ffmpeg_encode(tmp_path, audio, "two.m4a", "-map", "0:a", "-map", "0:a", "-c:a", "aac")
    data = empty_second_track(two.read_bytes())
    empty = tmp_path / "empty-track.m4a"
    empty.write_bytes(bytes(data))
    assert holds_whole(empty)
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(bytes(data[:len(data) - 8]))
    assert not holds_whole(cut)


@pytest.mark.parametrize("ext", sorted(_CONTAINERS) + ["wav", "flac", "ogg", "mp3", "m4a-plain"])
def test_holds_whole_says_not_known_of_garbage_and_never_raises(tmp_path, ext):
    # A damaged file, or bytes that only begin as one of these formats, has sizes and counts
    # that are garbage: the look says "not known" (False), raises nothing and ends.
    import time

    from segue_common.audio_io import holds_whole

    rng = np.random.default_rng(11)
    audio = rng.uniform(-0.3, 0.3, (22050, 2)).astype(np.float32)
    options = {"wav": (), "flac": (), "ogg": ("-c:a", "libvorbis"), "mp3": ("-c:a", "libmp3lame"),
               "m4a-plain": ("-c:a", "aac")}
    name = "whole.m4a" if ext == "m4a-plain" else f"whole.{ext}"
    data = _ffmpeg_encode(tmp_path, audio, name, *(_CONTAINERS.get(ext) or options[ext])).read_bytes()
    probe = tmp_path / f"probe.{ext}"
    started = time.monotonic()
    for trial in range(150):
        pick = trial % 3
        if pick == 0:       # (cut anywhere)
            mangled = data[:int(rng.integers(0, len(data)))]
        elif pick == 1:     # (bytes overwritten with random ones, the first 4 kept)
            buf = bytearray(data)
            for _ in range(int(rng.integers(1, 40))):
                at = int(rng.integers(4, len(buf)))
                buf[at:at + 8] = rng.bytes(8)
            mangled = bytes(buf[:len(data)])
        else:               # (its header, then random bytes)
            mangled = data[:int(rng.integers(4, 200))] + rng.bytes(int(rng.integers(0, 4000)))
        probe.write_bytes(mangled)
        assert holds_whole(probe) in (True, False)
    assert time.monotonic() - started < 60.0


def _ffmpeg_encode(tmp_path, audio, name, *options):
    import shutil

    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    wav, out = tmp_path / f"{name}.src.wav", tmp_path / name
    sf.write(wav, audio, 22050)
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(wav), *options, str(out)], check=True)
    return out


def _mp3_frame_starts(data: bytes) -> list[int]:
    """Where each frame of an MP3 file of frames alone (no tags) starts."""
    from segue_common.mp3 import frame_header

    starts, at = [], 0
    while at + 4 <= len(data) and (hdr := frame_header(int.from_bytes(data[at:at + 4], "big"))) is not None:
        starts.append(at)
        at += hdr[0]
    assert at == len(data)
    return starts


# MP3 and MP4 files, checked from their own headers: an MP3's Xing/Info or VBRI header counts
# its frames (and without one, a whole file ends with a whole frame); an MP4's sample tables
# place its last chunk. A cut that falls between two frames is told only by a count.
@pytest.mark.parametrize("kind", ["mp3-libsndfile", "mp3-vbr", "mp3-no-xing", "m4a", "m4a-moov-first", "m4a-alac"])
def test_holds_whole_tells_a_whole_mp3_or_m4a_from_one_cut_short(tmp_path, kind):
    from segue_common.audio_io import holds_whole

    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (3 * 22050, 2)).astype(np.float32)
    options = {"mp3-vbr": ("-c:a", "libmp3lame", "-q:a", "4"),
               "mp3-no-xing": ("-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0", "-id3v2_version", "0"),
               "m4a": ("-c:a", "aac",), "m4a-moov-first": ("-c:a", "aac", "-movflags", "+faststart"),
               "m4a-alac": ("-c:a", "alac",)}
    if kind == "mp3-libsndfile":
        whole = tmp_path / "whole.mp3"
        sf.write(whole, audio, 22050, format="MP3", subtype="MPEG_LAYER_III")
    else:
        whole = _ffmpeg_encode(tmp_path, audio, f"whole.{kind[:3]}", *options[kind])
    assert holds_whole(whole)
    data = whole.read_bytes()
    cut = tmp_path / f"cut.{kind[:3]}"
    # (inside a frame: two thirds of the MP3 without a count falls between two)
    for size in (len(data) * 2 // 3 + 7, len(data) - 8, len(data) - 1):
        cut.write_bytes(data[:size])
        assert not holds_whole(cut), size
    if kind == "mp3-libsndfile":
        # (cut between two frames, three frames short: the Xing header's count tells it)
        starts = _mp3_frame_starts(data)
        cut.write_bytes(data[:starts[-3]])
        assert not holds_whole(cut)


def test_holds_whole_holds_an_mp3_to_its_vbri_count(tmp_path):
    # A VBRI header (Fraunhofer's encoder writes it in place of a Xing one) counts the frames:
    # a file cut between two of them is told by it, as one without a count is not.
    from segue_common.audio_io import holds_whole

    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (3 * 22050, 2)).astype(np.float32)
    plain = _ffmpeg_encode(tmp_path, audio, "plain.mp3", "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0",
                           "-id3v2_version", "0")
    data = plain.read_bytes()
    starts = _mp3_frame_starts(data)
    head = data[:4]
    vbri = bytearray(starts[1] - starts[0])     # (a frame as long as the first, its header copied)
    vbri[:4] = head
    vbri[36:40] = b"VBRI"
    vbri[40:42] = (1).to_bytes(2, "big")
    vbri[46:50] = len(data).to_bytes(4, "big")
    vbri[50:54] = len(starts).to_bytes(4, "big")
    with_vbri = tmp_path / "vbri.mp3"
    with_vbri.write_bytes(bytes(vbri) + data)
    assert holds_whole(with_vbri)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(bytes(vbri) + data[:starts[-3]])
    assert not holds_whole(cut)
    plain_cut = tmp_path / "plain-cut.mp3"
    plain_cut.write_bytes(data[:starts[-3]])
    assert holds_whole(plain_cut)       # (no count: a cut between frames is taken for the end)


def test_holds_whole_takes_no_count_for_an_mp3_of_more_frames_than_it_counts(tmp_path):
    # Files joined one after the other (an audiobook's chapters) keep the first one's Xing
    # header: its count is of the first alone, and a cut anywhere in the rest was taken for
    # a file that holds all it counts. Its frames must then run whole to its end.
    from segue_common.audio_io import holds_whole

    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (3 * 22050, 2)).astype(np.float32)
    parts = [_ffmpeg_encode(tmp_path, audio, f"{n}.mp3", "-c:a", "libmp3lame", "-q:a", "4", "-id3v2_version", "0")
             for n in ("one", "two")]
    data = parts[0].read_bytes() + parts[1].read_bytes()
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(data)
    assert holds_whole(joined)
    starts = _mp3_frame_starts(data)
    joined.write_bytes(data[:starts[-20] + 100])     # (inside a frame of the second file)
    assert not holds_whole(joined)
