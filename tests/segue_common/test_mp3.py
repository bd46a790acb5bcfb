"""segue_common.mp3: the frame index and exact seeks on MP3s of every kind an encoder makes."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from segue_common.audio_io import CorruptAudioError, ffmpeg_path, open_blocks
from segue_common.mp3 import Mp3Error, Mp3Reader, frame_header

needs_ffmpeg = pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg makes these files")

KINDS = {
    "vbr-stereo-44k": ["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-q:a", "4"],
    "cbr-48k-no-xing-header": ["-ar", "48000", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "192k",
                               "-write_xing", "0"],
    "8kbit-8kHz-mono": ["-ar", "8000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "8k"],
    "layer2": ["-ar", "32000", "-ac", "2", "-c:a", "mp2", "-b:a", "128k", "-f", "mp2"],
    "tagged-24k": ["-ar", "22050", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "24k", "-write_id3v1", "1",
                   "-metadata", "title=x"],
}


def encode(path, args, seconds=20):
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"anoisesrc=color=pink:duration={seconds}:amplitude=0.3:seed=7", *args, str(path)],
                   check=True)
    return path


def read_all(reader, block=7777):
    parts = [reader.read(block)]
    while len(parts[-1]):
        parts.append(reader.read(block))
    return np.concatenate(parts)


def assert_seeks_exact(path, whole, *, indexed):
    rng = np.random.default_rng(3)
    with Mp3Reader(str(path)) as r:
        targets = [len(whole) - 3000, 5, len(whole) // 2, *rng.integers(0, len(whole) - 2000, 10)]
        for target in targets:
            r.seek(int(target))
            got = r.read(1500)
            assert np.array_equal(got, whole[target:target + 1500]), f"seek to {target} in {path.name}"
        assert r.index().ok is indexed


@needs_ffmpeg
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_of_mp3_seeks_to_the_exact_sample(tmp_path, kind):
    path = encode(tmp_path / f"{kind}.mp3", KINDS[kind])
    if kind == "tagged-24k":   # a big ID3v2 tag in front: the audio starts far into the file
        from mutagen.id3 import APIC, ID3

        tags = ID3(str(path))
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=bytes(range(256)) * 2000))
        tags.save()
    with open_blocks(path) as reader:
        assert reader.seekable
        whole = read_all(reader)
    ref = sf.read(str(path), dtype="float32", always_2d=True)[0]   # mpg123 (libsndfile), whole file
    assert whole.shape == ref.shape
    assert np.abs(whole - ref).max() < 1e-4
    assert_seeks_exact(path, whole, indexed=True)


@needs_ffmpeg
def test_joined_files_and_cut_files_still_seek_exactly(tmp_path):
    # Two tagged files one after the other (a "cat" of two mixes: dr_mp3, like libsndfile,
    # plays the length the first one's header gives) and a file cut short: the frame headers
    # no longer add up to dr_mp3's count, so seeks decode from the start instead.
    a = encode(tmp_path / "a.mp3", KINDS["tagged-24k"], seconds=8)
    b = encode(tmp_path / "b.mp3", KINDS["tagged-24k"], seconds=5)
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(a.read_bytes()[: len(a.read_bytes()) * 2 // 3])
    for path in (joined, cut):
        with Mp3Reader(str(path)) as r:
            whole = read_all(r)
        assert len(whole) > 4 * 22050
        assert_seeks_exact(path, whole, indexed=False)


def test_frame_headers_give_the_frame_length():
    # MPEG-1 layer III, 128 kbit/s, 44.1 kHz, stereo: 417 bytes, 418 with padding.
    assert frame_header(0xFFFB9040)[:2] == (417, 1152)
    assert frame_header(0xFFFB9240)[0] == 418
    # MPEG-2.5 layer III, 8 kbit/s, 8 kHz, mono: 72 bytes of 576 samples.
    assert frame_header(0xFFE318C0)[:2] == (72, 576)
    assert frame_header(0xFFFBF040) is None   # bit rate index 15
    assert frame_header(0xFFFB0040) is None   # free format: no length in the header
    assert frame_header(0x49443303) is None   # "ID3"


def test_a_file_that_is_no_mp3_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "x.mp3"
    bad.write_bytes(b"\xff\xfb\x90\x40" + bytes(5000))
    with pytest.raises(Mp3Error, match="x.mp3"):
        Mp3Reader(str(bad))
    with pytest.raises(CorruptAudioError, match="x.mp3"):
        open_blocks(bad)


@needs_ffmpeg
def test_a_long_file_without_a_xing_header_is_not_counted_before_it_plays(tmp_path, monkeypatch):
    import segue_common.mp3 as mp3

    path = encode(tmp_path / "cbr.mp3", KINDS["cbr-48k-no-xing-header"], seconds=12)
    with Mp3Reader(str(path)) as r:
        whole = read_all(r)
    monkeypatch.setattr(mp3, "EXACT_COUNT_BYTES", 0)    # as if it were hours long
    with open_blocks(path) as reader:                   # analysis: the length counted at once
        assert reader.frames_exact and reader.frames == len(whole)
    with Mp3Reader(str(path)) as r:
        assert not r.frames_exact
        assert abs(r.frames - len(whole)) <= 1152       # constant bit rate: the size tells
        assert np.array_equal(read_all(r), whole)       # read to its real end, not the estimate's
        assert r.frames_exact and r.frames == len(whole)
    with Mp3Reader(str(path)) as r:
        r.seek(len(whole) - 20000)                      # a far seek reads the headers: exact again
        assert r.frames_exact and r.frames == len(whole)
        assert np.array_equal(read_all(r), whole[-20000:])
