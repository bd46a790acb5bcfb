import numpy as np
import pytest
import soundfile as sf

from player.audio.decoder import Decoder, DecodeError
from tests.audiogen import write_track
from tests.player.audio.signals import peak_frequency


def read_all(dec, block=1000):
    parts = []
    while True:
        b = dec.read(block)
        if not len(b):
            return np.concatenate(parts)
        assert b.dtype == np.float32 and b.shape[1] == dec.channels and len(b) <= block
        parts.append(b)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "opus"])
def test_every_format_decodes_to_the_output_rate(tmp_path, fmt):
    path = write_track(tmp_path, "t", fmt=fmt, seconds=0.5, freq=1000.0)
    dec = Decoder(str(path), out_rate=44100)
    data = read_all(dec)
    # Lossy codecs add priming/padding; the length is still about right.
    assert abs(len(data) - 22050) < 0.06 * 22050
    assert abs(peak_frequency(data[:, 0], sr=44100) - 1000.0) < 5
    assert 0.15 < np.sqrt(np.mean(data[2000:-2000, 0] ** 2)) < 0.27  # amp 0.3 sine: rms 0.21
    assert dec.finished


def test_resamples_48k_to_44k1_without_clicks_between_blocks(tmp_path):
    n = 48000
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 48000)).astype(np.float32)
    sf.write(str(tmp_path / "t.wav"), tone, 48000, subtype="FLOAT")
    dec = Decoder(str(tmp_path / "t.wav"), out_rate=44100)
    assert dec.total_frames == 44100
    data = read_all(dec, block=777)[:, 0]
    assert abs(len(data) - 44100) <= 2
    w = 2 * np.pi * 440 / 44100
    inner = data[500:-500]
    residual = inner[2:] - 2 * np.cos(w) * inner[1:-1] + inner[:-2]
    assert np.abs(residual).max() < 1e-3  # a jump between blocks would be ~0.1


def test_mono_is_copied_to_both_channels_and_seek_lands_on_the_frame(tmp_path):
    ramp = (np.arange(44100, dtype=np.float32) / 44100) - 0.5
    sf.write(str(tmp_path / "r.wav"), ramp, 44100, subtype="FLOAT")
    dec = Decoder(str(tmp_path / "r.wav"), out_rate=44100)
    dec.seek_frame(30000)
    block = dec.read(10)
    assert dec.frame == 30010
    assert np.array_equal(block[:, 0], block[:, 1])
    assert np.allclose(block[:, 0], ramp[30000:30010])


def test_missing_damaged_and_unsupported_files_are_decode_errors(tmp_path, monkeypatch):
    with pytest.raises(DecodeError, match="not found"):
        Decoder(str(tmp_path / "nope.flac"), out_rate=44100)
    (tmp_path / "bad.flac").write_bytes(b"fLaC but not really" * 10)
    with pytest.raises(DecodeError, match="cannot decode"):
        Decoder(str(tmp_path / "bad.flac"), out_rate=44100)
    # m4a: libsndfile cannot, and with no ffmpeg/audioread here nothing else can.
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on PATH
    (tmp_path / "song.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(200))
    with pytest.raises(DecodeError, match=r"format not supported \(m4a\)"):
        Decoder(str(tmp_path / "song.m4a"), out_rate=44100)


def test_bad_output_format_is_rejected(tmp_path):
    path = write_track(tmp_path, "t", fmt="wav", seconds=0.1)
    with pytest.raises(ValueError):
        Decoder(str(path), out_rate=0)


def test_an_mp3_that_fails_to_open_leaves_no_file_open(tmp_path):
    import os

    bad = tmp_path / "t.mp3"
    bad.write_bytes(b"\xff\xfb\x90\x00" + bytes(2000))   # one MP3 header, then nothing decodable
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(5):
        with pytest.raises(DecodeError, match="t.mp3"):
            Decoder(str(bad), out_rate=44100)
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
