"""segue_common.mp3: the frame index and exact seeks on MP3s of every kind an encoder makes."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
import soundfile as sf

from segue_common.audio_io import CorruptAudioError, ffmpeg_path, open_blocks
from tests.audiogen import lame_available, lame_mp3
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


def assert_reads_as(path, whole):
    """``path`` is known to hold exactly ``whole`` on open, reads as it, and seeks exactly."""
    with Mp3Reader(str(path)) as r:
        assert r.frames_exact and r.frames == len(whole)
        assert np.array_equal(read_all(r), whole)
    assert_seeks_exact(path, whole, indexed=True)


def assert_seeks_exact(path, whole, *, indexed):
    rng = np.random.default_rng(3)
    with Mp3Reader(str(path)) as r:
        # (the last: a block that runs into the end, where a decoder started mid-file must
        # still give the last frame)
        targets = [len(whole) - 3000, 5, len(whole) // 2, *rng.integers(0, len(whole) - 2000, 10), len(whole) - 1000]
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
    # Two tagged files one after the other (a "cat" of two mixes: the first one's Xing header
    # counts only its own frames, the frames decide, and both play) seek through the frame
    # index; in a file cut short the frame headers no longer add up to dr_mp3's count, so
    # seeks decode from the start instead.
    a = encode(tmp_path / "a.mp3", KINDS["tagged-24k"], seconds=8)
    b = encode(tmp_path / "b.mp3", KINDS["tagged-24k"], seconds=5)
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(a.read_bytes()[: len(a.read_bytes()) * 2 // 3])
    for path, seconds, indexed in ((joined, 12.9, True), (cut, 4, False)):
        with Mp3Reader(str(path)) as r:
            whole = read_all(r)
        assert len(whole) > seconds * 22050
        assert_seeks_exact(path, whole, indexed=indexed)
        # The same with an APEv2 tag at the end (read through a view of its frames).
        tagged = tmp_path / f"tagged-{path.name}"
        tagged.write_bytes(path.read_bytes() + _ape_tag())
        with Mp3Reader(str(tagged)) as r:
            assert np.array_equal(read_all(r), whole)
        assert_seeks_exact(tagged, whole, indexed=indexed)


@needs_ffmpeg
def test_a_damaged_tagged_file_is_not_decoded_whole_before_it_plays(tmp_path):
    # Without a Xing header, junk between the frames and an APEv2 tag at the end, the only
    # exact count is a decode of the whole file: playback starts on an estimate instead,
    # exact once the end is read (or a far seek asks for it).
    a = encode(tmp_path / "a.mp3", KINDS["cbr-48k-no-xing-header"], seconds=6)
    damaged = tmp_path / "damaged.mp3"
    body = a.read_bytes()
    damaged.write_bytes(body[:len(body) // 2] + bytes(range(256)) * 3 + body[len(body) // 2:] + _ape_tag())
    with Mp3Reader(str(damaged)) as r:
        assert not r.frames_exact
        whole = read_all(r)
        assert r.frames_exact and r.frames == len(whole) > 5 * 48000
    with Mp3Reader(str(damaged)) as r:
        assert r.count_exactly() == len(whole)
    assert_seeks_exact(damaged, whole, indexed=False)


def _lame(path, seconds, seed, sr=44100):
    """Stereo noise as libsndfile's LAME encodes it (variable bit rate, a Xing/LAME header)."""
    y = 0.2 * np.random.default_rng(seed).standard_normal((int(seconds * sr), 2))
    sf.write(str(path), y.astype(np.float32), sr, format="MP3")
    with Mp3Reader(str(path)) as r:
        assert r.frames_exact and not r._index.scanned     # the header trusted: no pass over the frames
        return read_all(r), r._index


def test_a_xing_count_too_low_or_zero_loses_no_frame(tmp_path):
    # dr_mp3 stopped where the Xing count ended (at 0 the file was "no audio"). The frames
    # decide: the samples are those of the file with its right count, the encoder's padding
    # at the end left in.
    whole, idx = _lame(tmp_path / "right.mp3", 12, seed=5)
    raw = (tmp_path / "right.mp3").read_bytes()
    at = raw.index(b"Xing") + 8
    count = int.from_bytes(raw[at:at + 4], "big")
    assert raw[at - 1] & 1 and count == idx.xing_frames
    for wrong in (0, count // 2):
        path = tmp_path / f"count-{wrong}.mp3"
        path.write_bytes(raw[:at] + wrong.to_bytes(4, "big") + raw[at + 4:])
        with Mp3Reader(str(path)) as r:
            assert r.frames_exact and r.frames == len(whole) + idx.padding
            got = read_all(r)
        assert len(got) == len(whole) + idx.padding and np.array_equal(got[:len(whole)], whole)
        assert_seeks_exact(path, got, indexed=True)
        tagged = tmp_path / f"tagged-{path.name}"          # read through a view of its frames
        tagged.write_bytes(path.read_bytes() + _ape_tag())
        with Mp3Reader(str(tagged)) as r:
            assert r.frames == len(got) and np.array_equal(read_all(r), got)


@pytest.mark.parametrize("kind", ["vbr-xing", "cbr-info"])
def test_a_file_cut_short_is_known_on_open_to_end_where_its_frames_do(tmp_path, kind):
    # An interrupted download or copy keeps the whole file's Xing/Info header: dr_mp3 plays
    # what is there, but the length was the header's. Fewer bytes than the header counts: the
    # frames decide, and the length is what plays, the samples those of the whole file.
    if kind == "vbr-xing":
        whole, idx = _lame(tmp_path / "whole.mp3", 12, seed=4)
        raw = (tmp_path / "whole.mp3").read_bytes()
    else:
        if ffmpeg_path() is None:
            pytest.skip("ffmpeg makes these files")
        path = encode(tmp_path / "whole.mp3", ["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k"],
                      seconds=12)
        with Mp3Reader(str(path)) as r:
            assert r.frames_exact and r._index.xing_frames and not r._index.scanned
            whole = read_all(r)
        raw = path.read_bytes()
    for keep in (0.3, 0.5, 0.8):
        cut = tmp_path / f"cut{keep}.mp3"
        cut.write_bytes(raw[:int(len(raw) * keep)])
        with Mp3Reader(str(cut)) as r:
            assert r.frames_exact
            on_open = r.frames
            got = read_all(r)
        assert len(got) == on_open < keep * len(whole) + 2 * 1152, keep
        assert len(got) > (keep - 0.05) * len(whole) and np.array_equal(got, whole[:len(got)])
        assert_seeks_exact(cut, got, indexed=True)


def test_an_end_lost_where_the_bytes_do_not_show_it_is_known_once_read(tmp_path):
    # Zeros in the place of the last half (a download that set aside the whole file's size
    # first): the header's count holds until the end is read, then where it ended.
    whole, _idx = _lame(tmp_path / "whole.mp3", 8, seed=6)
    raw = (tmp_path / "whole.mp3").read_bytes()
    zeroed = tmp_path / "zeroed.mp3"
    zeroed.write_bytes(raw[:len(raw) // 2] + bytes(len(raw) - len(raw) // 2))
    with Mp3Reader(str(zeroed)) as r:
        assert r.frames == len(whole)
        got = read_all(r)
        assert len(got) < 0.55 * len(whole) and r.frames_exact and r.frames == len(got)
    assert np.array_equal(got, whole[:len(got)])


def test_files_joined_one_after_the_other_play_whole(tmp_path):
    # Chapters joined with cat, a podcast with an advertisement put in front: the first
    # file's Xing header counts only its own frames, and dr_mp3 stopped there. Each part
    # plays as it does alone, the second after the first one's padding, its own Xing frame
    # (a frame of silence) and its encoder delay.
    a, a_idx = _lame(tmp_path / "a.mp3", 3, seed=1)
    b, b_idx = _lame(tmp_path / "b.mp3", 9, seed=2)
    joined = tmp_path / "joined.mp3"
    joined.write_bytes((tmp_path / "a.mp3").read_bytes() + (tmp_path / "b.mp3").read_bytes())
    with Mp3Reader(str(joined)) as r:
        assert r.frames_exact
        got = read_all(r)
        assert r.frames == len(got)
    at = len(a) + a_idx.padding + a_idx.spf + b_idx.delay
    assert len(got) == at + len(b) + b_idx.padding
    assert np.array_equal(got[:len(a)], a) and np.array_equal(got[at:at + len(b)], b)
    assert_seeks_exact(joined, got, indexed=True)


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


def _ape_tag() -> bytes:
    """An APEv2 tag as MP3Gain and foobar2000 write one: header, items, footer."""
    from mutagen.apev2 import APEv2

    tag = APEv2()
    tag["REPLAYGAIN_TRACK_GAIN"] = "-3.20 dB"
    tag["MP3GAIN_MINMAX"] = "092,210"
    out = io.BytesIO()
    tag.save(out)
    return out.getvalue()


def _lyrics3_tag() -> bytes:
    """A Lyrics3 (version 2) block, which belongs just before an ID3v1 tag."""
    block = b"LYRICSBEGIN" + b"IND00003110" + b"LYR00012[00:01]la la"
    return block + str(len(block)).zfill(6).encode() + b"LYRICS200"


_ID3V1 = b"TAG" + b"a title".ljust(30, b"\0") + bytes(95)


@needs_ffmpeg
@pytest.mark.parametrize("kind", ["vbr-stereo-44k", "cbr-48k-no-xing-header"])
@pytest.mark.parametrize("tags", ["apev2", "apev2-id3v1", "id3v1-apev2", "lyrics3-id3v1"])
def test_tags_at_the_end_cost_no_samples(tmp_path, kind, tags):
    # minimp3 keeps a frame only when another frame or the end of the data follows: an APEv2
    # or Lyrics3 tag after the last frame cost it (1,152 samples less the padding) and put
    # a click where the next track joins gaplessly. (Mutagen writes an APEv2 tag after an
    # ID3v1 tag; MP3Gain and foobar2000 write it before.)
    plain = encode(tmp_path / "plain.mp3", KINDS[kind], seconds=4)
    with Mp3Reader(str(plain)) as r:
        whole = read_all(r)
    ape, body = _ape_tag(), plain.read_bytes()
    tail = {"apev2": ape, "apev2-id3v1": ape + _ID3V1, "id3v1-apev2": _ID3V1 + ape,
            "lyrics3-id3v1": _lyrics3_tag() + _ID3V1}[tags]
    path = tmp_path / "tagged.mp3"
    path.write_bytes(body + tail)
    assert_reads_as(path, whole)


@needs_ffmpeg
def test_a_second_id3v2_tag_in_front_hides_no_lame_header(tmp_path):
    # dr_mp3 passes over one ID3v2 tag: behind a second one it took the LAME header for
    # a frame of audio and trimmed neither the encoder delay nor the padding (here 2,257
    # samples more in front, 51 ms, and 1,055 at the end).
    from mutagen.id3 import ID3, TIT2

    plain = encode(tmp_path / "plain.mp3", KINDS["vbr-stereo-44k"], seconds=4)
    with Mp3Reader(str(plain)) as r:
        whole = read_all(r)
    second = ID3()
    second.add(TIT2(encoding=3, text="tagged twice"))
    out = io.BytesIO()
    second.save(out)
    for tail in (b"", _ape_tag() + _ID3V1):
        path = tmp_path / "twice.mp3"
        path.write_bytes(out.getvalue() + plain.read_bytes() + tail)
        assert_reads_as(path, whole)


@needs_ffmpeg
def test_halves_of_a_tone_tagged_by_mp3gain_join_without_a_click(tmp_path):
    from mutagen.apev2 import APEv2

    halves = []
    for i in range(2):
        path = tmp_path / f"{i}.mp3"
        subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=44100:duration=6", "-af", f"atrim=start={3 * i}:duration=3",
                        "-ac", "2", "-c:a", "libmp3lame", "-q:a", "2", str(path)], check=True)
        tag = APEv2()
        tag["REPLAYGAIN_TRACK_GAIN"] = "-3.20 dB"
        tag.save(str(path))
        with Mp3Reader(str(path)) as r:
            halves.append(read_all(r))
    assert [len(h) for h in halves] == [132300, 132300]
    # At the join no step between samples is much larger than the tone's own (the coding
    # noise there adds a little: measured 1.2 times; a lost frame made it 16 times).
    steps = np.abs(np.diff(np.concatenate(halves)[:, 0]))
    join = len(halves[0])
    assert steps[join - 50: join + 50].max() <= 2 * steps[join // 2: join - 2000].max()


@pytest.mark.skipif(not lame_available(), reason="libmp3lame makes these files")
def test_lame_files_with_crcs_join_without_a_gap(tmp_path):
    # LAME writes its tag after the side information even where the frames carry a CRC;
    # dr_mp3 looked for it after the CRC and played the tag frame as audio with the encoder
    # delay and padding left in: 2,484 samples more here (56 ms) at every join of an album.
    sr = 44100
    t = np.arange(6 * sr) / sr
    wave = np.repeat((0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)[:, None], 2, axis=1)
    halves = []
    for k in range(2):
        path = lame_mp3(tmp_path / f"{k}.mp3", wave[3 * sr * k: 3 * sr * (k + 1)], sr, crc=True)
        assert not path.read_bytes()[1] & 1          # the frames announce a CRC
        with open_blocks(path) as reader:
            whole = read_all(reader)
        assert len(whole) == 3 * sr
        ref = sf.read(str(path), dtype="float32", always_2d=True)[0]   # mpg123 (libsndfile)
        assert whole.shape == ref.shape and np.abs(whole - ref).max() < 1e-4
        assert_reads_as(path, whole)
        halves.append(whole)
    steps = np.abs(np.diff(np.concatenate(halves)[:, 0]))
    join = len(halves[0])
    assert steps[join - 50: join + 50].max() <= 2 * steps[join // 2: join - 2000].max()
