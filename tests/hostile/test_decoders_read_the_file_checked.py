"""A song swapped for a named pipe between the moment it was checked and the moment a decoding
library opens it. Each library given the song's name (libsndfile, dr_mp3, ffmpeg and ffprobe,
a plain read of its first bytes) opened whatever the name led to by then, and waited on the
pipe for a writer for ever: the player's decoder, or a worker of the pool, with it. Each is
given here a name that is already a pipe, as it would be once swapped, and must refuse it at
once; a stream of ffmpeg's opened before the swap must say so when it seeks, not hang."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from tests.hostile import generate
from tests.hostile.test_named_pipes import _within

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="named pipes are POSIX")

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="needs ffmpeg and ffprobe")


def _pipe_named(tmp_path, name: str) -> str:
    """A named pipe under a song's name."""
    path = str(tmp_path / name)
    os.mkfifo(path)
    return path


def _refusal(fn):
    """The error ``fn()`` raises, or None where it returns."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the test looks at which error it is
        return exc
    return None


def test_libsndfile_is_given_the_file_checked_not_a_pipe_under_its_name(tmp_path):
    from segue_common import audio_io
    from segue_common.regular_file import NotRegularFile

    pipe = _pipe_named(tmp_path, "01.flac")
    error = _within(lambda: _refusal(lambda: audio_io.open_soundfile(pipe)), pipe)
    assert isinstance(error, NotRegularFile)
    assert "named pipe" in str(error)


def test_libsndfile_still_reads_a_file_and_names_it_when_it_refuses_it(tmp_path):
    import soundfile as sf

    from segue_common import audio_io

    song = str(generate.write(tmp_path / "01.flac", seconds=0.5, sr=22050))
    with audio_io.open_soundfile(song) as f:
        assert (f.samplerate, f.frames) == (22050, 11025)
    bad = tmp_path / "02.flac"
    bad.write_bytes(b"no audio here" * 100)
    error = _refusal(lambda: audio_io.open_soundfile(str(bad)))
    # (said of the file, as by its name: not of a descriptor's number)
    assert isinstance(error, sf.LibsndfileError)
    assert str(error).startswith(f"Error opening {str(bad)!r}: ")


def test_the_first_bytes_of_a_song_are_not_read_from_a_pipe_under_its_name(tmp_path):
    from segue_common import audio_io

    pipe = _pipe_named(tmp_path, "01.mp3")
    assert _within(lambda: audio_io.starts_as_other_audio(pipe), pipe) is False


def test_dr_mp3_is_given_the_file_checked_not_a_pipe_under_its_name(tmp_path):
    from segue_common import audio_io

    pipe = _pipe_named(tmp_path, "01.mp3")
    error = _within(lambda: _refusal(lambda: audio_io.open_mp3(pipe)), pipe)
    assert isinstance(error, audio_io.CorruptAudioError)
    assert str(error) == "cannot open 01.mp3: not a regular file (a named pipe)"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="dr_mp3 gets a descriptor where /proc is")
def test_an_mp3_swapped_for_a_pipe_after_it_opened_is_counted_from_the_file_opened(tmp_path):
    from segue_common.mp3 import Mp3Reader

    song = str(generate.write(tmp_path / "01.mp3", seconds=1.0, sr=44100))
    pipe = _pipe_named(tmp_path, "pipe")
    with Mp3Reader(song) as reader:
        reader.frames_exact = False     # (counted again by a decoder of its own, as a long file is)
        os.replace(pipe, song)
        counted = _within(reader.count_exactly, song)
    assert abs(counted - 44100) < 1200


@needs_ffmpeg
def test_ffprobe_is_given_the_file_checked_not_a_pipe_under_its_name(tmp_path):
    from segue_common import audio_io

    pipe = _pipe_named(tmp_path, "01.m4a")
    assert _within(lambda: audio_io.probe_stream(pipe), pipe) is None
    assert _within(lambda: audio_io.probe_chapters(pipe), pipe) is None
    error = _within(lambda: _refusal(lambda: audio_io.FallbackStream(pipe)), pipe)
    assert isinstance(error, OSError) and "named pipe" in str(error)


@needs_ffmpeg
def test_an_m4a_swapped_for_a_pipe_as_it_plays_is_refused_at_the_next_seek_not_waited_on(tmp_path):
    from segue_common import audio_io

    song = str(generate.ffmpeg(tmp_path / "01.m4a", "-c:a", "aac", seconds=3.0))
    with audio_io.FallbackStream(song) as stream:
        assert stream.duration == pytest.approx(3.0, abs=0.1)
        assert len(next(stream))
        os.replace(_pipe_named(tmp_path, "pipe"), song)
        error = _within(lambda: _refusal(lambda: (stream.seek(stream.samplerate), next(stream))), song)
    assert isinstance(error, OSError) and "named pipe" in str(error)


@needs_ffmpeg
def test_ffmpeg_reading_the_descriptor_still_decodes_and_seeks_an_m4a_to_the_sample(tmp_path):
    import numpy as np

    from segue_common import audio_io

    song = str(generate.ffmpeg(tmp_path / "01.m4a", "-c:a", "aac", seconds=3.0))
    with audio_io.FallbackStream(song) as stream:
        whole = _read_all(stream)
        rate = stream.samplerate
        stream.seek(rate)
        part = _read_all(stream)
    assert len(whole) == pytest.approx(3 * rate, abs=rate // 100)
    np.testing.assert_allclose(part[:4096], whole[rate:rate + 4096], atol=1e-4)


def _read_all(stream):
    import numpy as np

    return np.concatenate(list(stream))


def test_the_chapters_of_a_pipe_under_a_songs_name_are_none_at_once(tmp_path):
    from player.library.chapters import read_chapters

    pipe = _pipe_named(tmp_path, "01.mp3")      # (its ID3 tag read by mutagen, then ffprobe asked)
    assert _within(lambda: read_chapters(pipe), pipe) == ()


def test_the_chapters_of_an_mp3_are_still_read_from_its_tag(tmp_path):
    from mutagen.id3 import CHAP, ID3, TIT2

    from player.library.chapters import read_chapters

    song = str(generate.write(tmp_path / "01.mp3", seconds=2.0, sr=44100))
    tag = ID3()
    tag.add(CHAP(element_id="c1", start_time=0, end_time=1000, sub_frames=[TIT2(text=["One"])]))
    tag.add(CHAP(element_id="c2", start_time=1000, end_time=2000, sub_frames=[TIT2(text=["Two"])]))
    tag.save(song)
    assert [c.title for c in read_chapters(song, length_s=2.0)] == ["One", "Two"]


def _behind_a_big_id3_tag(path, size: int = 3_000_000):
    """``path`` with an ID3v2 tag of ``size`` bytes put before its audio (a tagger's, holding
    a cover picture of megabytes), longer than ffmpeg's probe reads."""
    body = b"TXXX" + (size - 20).to_bytes(4, "big") + b"\0\0" + b"\0x\0" + b"y" * (size - 23)
    n = len(body)
    head = b"ID3\x03\0\0" + bytes([n >> 21 & 127, n >> 14 & 127, n >> 7 & 127, n & 127])
    path.write_bytes(head + body + path.read_bytes())
    return path


@needs_ffmpeg
@pytest.mark.parametrize("ext, codec, name", [("flac", [], "flac"), ("aac", ["-c:a", "aac", "-f", "adts"], "aac"),
                                              ("ac3", ["-c:a", "ac3"], "ac3"), ("tta", [], "tta")])
def test_a_song_behind_an_id3_tag_longer_than_the_probe_reads_still_plays_through_ffmpeg(tmp_path, ext, codec, name):
    # (past such a tag ffmpeg finds the format by the name's extension alone: the descriptor's
    # name is to keep it)
    from segue_common import audio_io

    song = _behind_a_big_id3_tag(generate.ffmpeg(tmp_path / f"01.{ext}", *codec, seconds=2.0))
    info = audio_io.probe_stream(str(song))
    assert info is not None and info["codec"] == name
    with audio_io.FallbackStream(str(song)) as stream:
        frames = len(_read_all(stream))
        rate = stream.samplerate
    assert frames == pytest.approx(2 * rate, abs=rate // 20)
