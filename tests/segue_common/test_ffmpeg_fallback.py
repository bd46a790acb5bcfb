"""The ffmpeg fallback: seeking, damaged files that flood stderr, and names that look like protocols."""

import os
import random
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
import soundfile as sf

from segue_common import audio_io
from tests.audiogen import itunes_gapless_only

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed")


def _aac(path, seconds: float) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)


def _encode(wav, path, *codec) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(path)], check=True)


def record_ffmpeg_starts(monkeypatch) -> list[list[str]]:
    """The command lines of the decoding ffmpeg processes started from now on (each one
    really started: ``subprocess.Popen`` is only watched)."""
    starts, real = [], subprocess.Popen

    def popen(args, *a, **kw):
        if "pcm_f32le" in args:
            starts.append([str(x) for x in args])
        return real(args, *a, **kw)

    monkeypatch.setattr(audio_io.subprocess, "Popen", popen)
    return starts


def jumps(starts: list[list[str]]) -> list[float]:
    """Where (seconds) the ffmpeg processes in ``starts`` were told to start decoding."""
    return [float(args[args.index("-ss") + 1]) for args in starts if "-ss" in args]


def _blocks(stream, n: int | None = None) -> np.ndarray:
    """The next ``n`` frames of ``stream`` (all that is left when None)."""
    parts, have = [], 0
    for block in stream:
        parts.append(block)
        have += len(block)
        if n is not None and have >= n:
            break
    data = np.concatenate(parts) if parts else np.zeros((0, stream.channels), np.float32)
    return data if n is None else data[:n]


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory):
    """20 s of noise: every stretch of it differs from every other, so a frame off shows."""
    path = tmp_path_factory.mktemp("fallback") / "noise.wav"
    rng = np.random.default_rng(3)
    sf.write(str(path), (0.2 * rng.standard_normal((20 * 44100, 2))).astype(np.float32), 44100, subtype="PCM_16")
    return path


@pytest.mark.parametrize("name, codec, fast", [
    ("alac.m4a", ["-c:a", "alac"], True),
    # (the AAC encoder's noise substitution is off: the decoder makes that noise up from a
    # random sequence, which a decoder started elsewhere draws differently)
    ("aac.m4a", ["-c:a", "aac", "-aac_pns", "0", "-b:a", "128k"], True),
    ("adts.aac", ["-c:a", "aac", "-aac_pns", "0", "-b:a", "128k"], True),
    ("wmav2.wma", ["-c:a", "wmav2"], False),      # ASF counts time in milliseconds
])
def test_a_seek_reads_on_from_the_frame_asked_for(tmp_path, noise_wav, name, codec, fast):
    path = tmp_path / name
    _encode(noise_wav, path, *codec)
    with audio_io.open_fallback(path) as stream:
        whole = _blocks(stream)
    n = 4096
    with audio_io.open_fallback(path) as stream:
        assert stream.fast_seek is fast      # a jump where the container's clock counts samples
        # forwards, backwards, within the first second (where a jump decodes from the start
        # anyway), to the last frames and past the end
        for frame in (12 * 44100 + 123, 1000, 1, 44100 + 7, 5 * 44100, len(whole) - 100, 300, len(whole) + 5000):
            stream.seek(frame)
            got = _blocks(stream, n)
            assert np.array_equal(got, whole[frame: frame + n]), (frame, len(got))
        stream.seek(len(whole) - 2000)
        assert np.array_equal(_blocks(stream), whole[-2000:])      # read to the end: the end is there


@pytest.mark.parametrize("name", ["one-bit.dsf", "one-bit.dff"])
def test_a_seek_in_a_dsd_file_starts_ffmpeg_at_the_place_and_reads_the_same_samples(tmp_path, name):
    """DSD's blocks (DSF) and frames (DSDIFF) are of a fixed size and their clock counts every
    sample: ffmpeg jumps to the place. A seek decoded the file from its start up to it (a
    second for three minutes)."""
    from tests.audiogen import write_dff, write_dsf

    write = write_dsf if name.endswith(".dsf") else write_dff
    # (a chirp: no stretch of it is like another, so a frame off shows)
    path = write(tmp_path / name, 6.0, signal=lambda t: 0.5 * np.sin(2 * np.pi * (200 * t + 150 * t * t)))
    with audio_io.open_fallback(path) as stream:
        whole = _blocks(stream)
        rate = stream.samplerate
    assert rate == 352800 and len(whole) == 6 * rate
    n = 4096
    with audio_io.open_fallback(path) as stream:
        assert stream.fast_seek is True
        for frame in (4 * rate + 12345, 1000, rate + 7, 5 * rate, len(whole) - 100, len(whole) + 5000):
            stream.seek(frame)
            got = _blocks(stream, n)
            assert np.array_equal(got, whole[frame: frame + n]), (frame, len(got))



@pytest.mark.parametrize("level, frame_blocks", [("c2", 73728), ("c4", 4 * 73728)])
def test_a_seek_in_a_monkeys_audio_file_jumps_to_its_frame_and_lands_on_the_sample(tmp_path, noise_wav,
                                                                                     monkeypatch, level, frame_blocks):
    """Monkey's Audio (Normal: frames of 73728 samples; Extra High: four times that) decoded
    from the start up to every seek, 1.9 s to reach the end of five minutes. ffmpeg jumps to
    the sample in the small frames but not in the large ones; a jump to the start of the frame
    the place is in, the rest dropped, lands exactly in both."""
    from tests.audiogen import encoder_installed

    if not encoder_installed("ape"):
        pytest.skip("jmac (libjmac-java, with Java; scripts/setup-system.sh installs it) makes these files")
    path = tmp_path / f"{level}.ape"
    subprocess.run(["jmac", level, str(noise_wav), str(path)], check=True, capture_output=True)
    source, _ = sf.read(str(noise_wav), dtype="float32")
    n = 4096
    with audio_io.open_fallback(path) as stream:
        assert stream.fast_seek is True
        starts = record_ffmpeg_starts(monkeypatch)
        for frame in (2 * frame_blocks + 5000, 12 * 44100 + 123, 1000, frame_blocks - 1, frame_blocks,
                      44100 + 7, len(source) - 100, len(source) + 5000):
            stream.seek(frame)
            assert np.array_equal(_blocks(stream, n), source[frame: frame + n]), frame
        # (to the start of the frame the place is in)
        assert jumps(starts)[:2] == pytest.approx([2 * frame_blocks / 44100,
                                                   12 * 44100 // frame_blocks * frame_blocks / 44100], abs=1e-6)
    y, _ = audio_io.load_audio(path, mono=False, offset_s=12.5, duration_s=1.0)
    assert np.array_equal(y.T, source[int(12.5 * 44100): int(13.5 * 44100)])

def test_a_seek_after_the_end_was_read_starts_again(tmp_path, noise_wav):
    path = tmp_path / "a.m4a"
    _encode(noise_wav, path, "-c:a", "alac")
    with audio_io.open_fallback(path) as stream:
        whole = _blocks(stream)
        assert next(stream, None) is None
        stream.seek(3 * 44100)
        assert np.array_equal(_blocks(stream), whole[3 * 44100:])


def test_without_ffmpeg_audioread_seeks_by_reading_on(tmp_path, noise_wav, monkeypatch):
    pytest.importorskip("audioread")
    monkeypatch.setenv("PATH", str(tmp_path))             # no ffmpeg: audioread reads the WAV itself
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    with audio_io.open_fallback(noise_wav) as stream:
        assert stream.fast_seek is False
        whole = _blocks(stream)
        for frame in (7 * 44100 + 5, 100):
            stream.seek(frame)
            assert np.array_equal(_blocks(stream, 4096), whole[frame: frame + 4096])


def test_without_ffprobe_ffmpeg_still_decodes(tmp_path, noise_wav, monkeypatch):
    """Where ffmpeg is installed without ffprobe, the stream opens as stereo at 44.1 kHz (ffmpeg
    converts to that): opening it failed on a value too few."""
    alone = tmp_path / "bin"
    alone.mkdir()
    (alone / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    monkeypatch.setenv("PATH", str(alone))
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    path = tmp_path / "a.m4a"
    _encode(noise_wav, path, "-c:a", "alac")
    with audio_io.open_fallback(path) as stream:
        assert (stream.samplerate, stream.channels, stream.fast_seek) == (44100, 2, False)
        assert len(_blocks(stream)) == 20 * 44100


@pytest.mark.parametrize("name, codec, seeks", [
    ("aac.m4a", ["-c:a", "aac", "-aac_pns", "0", "-b:a", "128k"], True),
    ("wmav2.wma", ["-c:a", "wmav2"], False),
])
def test_a_slice_is_decoded_from_its_place_where_ffmpeg_seeks_exactly(tmp_path, noise_wav, monkeypatch,
                                                                         name, codec, seeks):
    """load_audio with an offset had ffmpeg decode the file from its start up to it; in an
    M4A ffmpeg now starts there (a second before, for the decoder's lead-in), and the slice
    is the whole decode's samples. Where a jump would not land exactly (ASF), it still reads on."""
    path = tmp_path / name
    _encode(noise_wav, path, *codec)
    whole, sr = audio_io.load_audio(path, mono=False)
    starts = record_ffmpeg_starts(monkeypatch)
    y, _ = audio_io.load_audio(path, mono=False, offset_s=12.5, duration_s=1.0)
    assert np.array_equal(y, whole[:, int(12.5 * sr): int(13.5 * sr)])
    if seeks:
        assert len(jumps(starts)) == 1 and 11.0 <= jumps(starts)[0] <= 12.5
    else:
        assert starts and not jumps(starts)


def test_the_length_of_an_m4a_cut_short_is_what_decodes(tmp_path, noise_wav):
    """Analysis plans on a file's exact length: in an M4A it is counted from a jump to near
    the end the headers give, and in one cut short (the headers at its start still give the
    whole), from further back, until something decodes: the length of the whole decode."""
    whole_m4a = tmp_path / "whole.m4a"
    _encode(noise_wav, whole_m4a, "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(whole_m4a.read_bytes()[: whole_m4a.stat().st_size * 2 // 5])
    for path in (whole_m4a, cut):
        decoded = _decoded(path)
        with audio_io.open_blocks(path) as reader:
            assert reader.seekable and reader.frames == len(decoded)
            assert np.array_equal(reader.read(5000), decoded[:5000])   # (read from the start still)
    assert 6 * 44100 < len(_decoded(cut)) < 10 * 44100


def _decoded(path) -> np.ndarray:
    with audio_io.open_fallback(path) as stream:
        return _blocks(stream)


def _drain(stream, box):
    try:
        box["frames"] = sum(len(b) for b in stream)
    except audio_io.AudioError as exc:
        box["error"] = exc


def test_a_damaged_file_writing_more_errors_than_a_pipe_holds_does_not_block(tmp_path):
    path = tmp_path / "damaged.aac"
    _aac(path, 40)
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    for i in range(2000, len(data), 97):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))
    # It does write that much: well over the 64 KiB a pipe holds.
    err = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-"],
                         capture_output=True).stderr
    assert len(err) > 100_000
    for seek in (None, 20 * 44100):       # read from the start, and from a seek
        box = {}
        with audio_io.open_fallback(path) as stream:
            if seek is not None:
                stream.seek(seek)
            t = threading.Thread(target=_drain, args=(stream, box), daemon=True)
            t.start()
            t.join(60)
            assert not t.is_alive(), "ffmpeg blocked on its own error messages"
        assert "frames" in box or isinstance(box.get("error"), audio_io.CorruptAudioError)


def test_a_file_named_like_a_protocol_is_read_as_a_file(tmp_path):
    good = tmp_path / "good.aac"
    _aac(good, 1)
    odd = tmp_path / "pipe:0.aac"
    shutil.copy(good, odd)
    with audio_io.open_fallback(odd) as stream:
        frames = np.concatenate(list(stream))
    assert abs(len(frames) / stream.samplerate - 1.0) < 0.1


def test_a_playlist_naming_a_url_never_reaches_the_network(tmp_path):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    playlist = tmp_path / "list.m4a"                 # an HLS playlist dressed as an m4a
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:{port}/a.aac\n"
                        "#EXT-X-ENDLIST\n")
    try:
        with pytest.raises(audio_io.AudioError):
            with audio_io.open_fallback(playlist) as stream:
                if not sum(len(b) for b in stream):
                    raise audio_io.CorruptAudioError("no audio")
        with pytest.raises(socket.timeout):
            server.accept()[0].close()               # nobody knocked
    finally:
        server.close()


@pytest.mark.parametrize("name, codec", [
    ("alac.caf", ["-c:a", "alac"]),
    ("flac.oga", ["-c:a", "flac", "-f", "ogg"]),
])
def test_analysis_reads_a_file_libsndfile_refuses_through_ffmpeg(tmp_path, noise_wav, name, codec):
    """ALAC in a CAF and FLAC in Ogg: libsndfile reads the containers but refuses these (they
    were analysis errors); ffmpeg decodes them, sample for sample, as the lossless codecs they are."""
    path = tmp_path / name
    _encode(noise_wav, path, *codec)
    with pytest.raises(sf.LibsndfileError):
        sf.SoundFile(str(path))
    source, _ = sf.read(str(noise_wav), dtype="float32")
    y, sr = audio_io.load_audio(path, mono=False, offset_s=2.0, duration_s=1.0)
    assert sr == 44100 and np.array_equal(y.T, source[2 * 44100: 3 * 44100])
    with audio_io.open_blocks(path) as reader:
        got = np.concatenate([reader.read(5000) for _ in range(3)])
    assert np.array_equal(got, source[:15000])


def test_a_file_ffmpeg_cannot_decode_either_is_damaged_with_libsndfiles_reason(tmp_path, noise_wav):
    path = tmp_path / "cut.flac"
    _encode(noise_wav, path, "-c:a", "flac")
    path.write_bytes(path.read_bytes()[:100])               # the header, no audio
    for read in (audio_io.load_audio, audio_io.open_blocks):
        with pytest.raises(audio_io.CorruptAudioError, match=r"cannot decode cut\.flac: Error opening"):
            read(path)


def test_analysis_starts_ffmpeg_at_its_first_read_and_playback_on_open(tmp_path, noise_wav, monkeypatch):
    """Analysis's reader takes a WMA's excerpts from a pass of their own and jumps to a long
    M4A's: an ffmpeg decoding from the start, started on open, was never read from. It starts
    at the first read now (and not at all when closed unread), giving what it gave. Playback's
    stream still starts on open: the next track is opened ahead of its turn."""
    path = tmp_path / "a.wma"
    _encode(noise_wav, path, "-c:a", "wmav2")
    decoded = _decoded(path)
    starts = record_ffmpeg_starts(monkeypatch)
    with audio_io.open_blocks(path) as reader:
        assert not starts
        assert np.array_equal(reader.read(5000), decoded[:5000])
        assert len(starts) == 1
    with audio_io.open_blocks(path) as reader:
        pass
    reader.read(10)
    assert len(starts) == 1
    with audio_io.open_fallback(path):
        assert len(starts) == 2


def test_a_damaged_file_is_reported_at_the_first_read_by_analysis_and_playback_alike(tmp_path):
    path = tmp_path / "damaged.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=5", "-ac", "2", "-c:a", "aac",
                    "-movflags", "+faststart", str(path)], check=True)     # (the headers first)
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    for i in range(3000, len(data), 50):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))
    # (the headers read, the audio not: ffmpeg fails on it)
    assert subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-"],
                          capture_output=True).returncode != 0
    with audio_io.open_fallback(path) as stream:
        with pytest.raises(audio_io.CorruptAudioError, match="ffmpeg could not decode damaged.m4a") as failed:
            _blocks(stream)
    # one line a person can read: no "[aac @ 0x55d0...]", no address, no message twice
    message = str(failed.value)
    assert "\n" not in message and "0x" not in message and " @ " not in message, message
    assert len(message) < 220
    with audio_io.open_blocks(path) as reader:
        with pytest.raises(audio_io.CorruptAudioError, match="ffmpeg could not decode damaged.m4a"):
            while len(reader.read(1 << 16)):
                pass


@pytest.mark.parametrize("riff_size", ["kept", 0, 0xFFFFFFFF])
def test_a_wav_whose_header_gives_no_data_size_plays_and_is_analysed_whole(tmp_path, riff_size):
    # A recorder stopped before it wrote the sizes leaves the data chunk's size 0: libsndfile
    # then reads no frame, so the file played nothing (its play logged as finished) and its
    # analysis failed as "no audio", though the file holds all of it, as ffmpeg reads.
    from player.audio.decoder import Decoder

    rate, seconds = 22050, 3.0
    tone = (0.3 * np.sin(2 * np.pi * 330 * np.arange(int(rate * seconds)) / rate)).astype(np.float32)
    path = tmp_path / "recorder.wav"
    sf.write(path, tone, rate, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    at = raw.index(b"data")
    raw[at + 4:at + 8] = (0).to_bytes(4, "little")
    if riff_size != "kept":
        raw[4:8] = riff_size.to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    assert sf.info(str(path)).frames == 0                  # what libsndfile makes of it
    decoder = Decoder(str(path), out_rate=rate, channels=1)
    got = []
    while len(block := decoder.read(4096)):
        got.append(block)
    decoder.close()
    heard = np.concatenate(got)[:, 0]
    assert len(heard) == len(tone) and np.abs(heard - tone).max() < 1e-3
    y, sr = audio_io.load_audio(path)
    assert sr == rate and len(y) == len(tone)
    with audio_io.open_blocks(path) as reader:
        assert len(reader.read(len(tone) + 100)) == len(tone)


def test_ffprobe_tags_are_read_as_utf8_whatever_the_locale(tmp_path, noise_wav, monkeypatch):
    """ffprobe writes UTF-8; on a Windows whose code page is cp1252 a Japanese title read
    through it must not come out as mojibake."""
    import locale

    path = tmp_path / "song.mka"
    _encode(noise_wav, path, "-t", "1", "-c:a", "libopus", "-metadata", "title=夜の歌 – Ünïcode")
    monkeypatch.setattr(locale, "getencoding", lambda: "cp1252")
    info = audio_io.probe_stream(path)
    assert info is not None and info["tags"]["title"] == "夜の歌 – Ünïcode"


def test_on_windows_ffmpeg_and_ffprobe_start_without_a_console_window(tmp_path, noise_wav, monkeypatch):
    """A console program started from a windowed app on Windows opens a console window of its
    own: every ffmpeg and ffprobe start asks for none there (and nothing is asked elsewhere)."""
    import types

    path = tmp_path / "a.m4a"
    _encode(noise_wav, path, "-t", "2", "-c:a", "alac")
    flags, real = [], subprocess.Popen

    def popen(args, *a, **kw):
        flags.append((str(args[0]), kw.pop("creationflags", None)))
        return real(args, *a, **kw)     # run here all the same, where creationflags cannot be given

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(audio_io, "sys", types.SimpleNamespace(platform="win32"), raising=False)
    with audio_io.open_fallback(path) as stream:
        assert len(_blocks(stream)) == 2 * 44100
    assert audio_io.probe_stream(path) is not None
    names = sorted({name.rsplit("/", 1)[-1] for name, _ in flags})
    assert names == ["ffmpeg", "ffprobe"] and len(flags) >= 3
    assert {flag for _, flag in flags} == {0x08000000}

    flags.clear()
    monkeypatch.setattr(audio_io, "sys", types.SimpleNamespace(platform="linux"), raising=False)
    assert audio_io.probe_stream(path) is not None
    assert flags and {flag for _, flag in flags} == {None}


def test_ffmpegs_messages_become_one_line():
    err = (b"ding stream #0:0: Invalid data found when processing input\n"
           b"[aac @ 0x5622d1c0b340] Prediction is not allowed in AAC-LC.\n"
           b"[aac @ 0x5622d1c0b340] Error while decoding stream #0:0: Invalid data found when processing input\n"
           b"[aac @ 0x5622d1c0b340] Prediction is not allowed in AAC-LC.\n"
           b"[aac @ 0x5622d1c0b340] Error while decoding stream #0:0: Invalid data found when processing input\n")
    assert audio_io.ffmpeg_reason(err, cut=True) == (
        "Prediction is not allowed in AAC-LC.; Error while decoding stream #0:0: Invalid data found when "
        "processing input")
    assert audio_io.ffmpeg_reason(b"[mov,mp4 @ 0xabcdef12] moov atom not found\nfile:/m/a.m4a: Invalid data\n") == (
        "moov atom not found; file:/m/a.m4a: Invalid data")
    assert audio_io.ffmpeg_reason(b"x" * 400).endswith("…") and len(audio_io.ffmpeg_reason(b"x" * 400)) == 160
    assert audio_io.ffmpeg_reason(b"") == "no message"


def test_aac_in_m4a_ends_where_its_edit_list_says_so_an_album_joins_without_a_click(tmp_path):
    # ffmpeg drops an AAC track's priming but decoded its padding too: 752 frames of
    # silence-and-ringing after a 4 s file, a click at every join of a gapless album.
    rate = 44100
    tone = (0.5 * np.sin(2 * np.pi * 441 * np.arange(8 * rate) / rate)).astype(np.float32)
    parts = []
    for i, half in enumerate((tone[:4 * rate], tone[4 * rate:])):
        wav, m4a = tmp_path / f"{i}.wav", tmp_path / f"{i}.m4a"
        sf.write(wav, half, rate)
        _encode(wav, m4a, "-c:a", "aac", "-b:a", "192k")
        with audio_io.open_fallback(m4a) as stream:
            parts.append(_blocks(stream)[:, 0])
        with audio_io.open_fallback(m4a) as stream:        # a jump near the end ends there too
            stream.seek(3 * rate)
            assert len(_blocks(stream)) == rate
        with audio_io.open_blocks(m4a) as reader:
            assert reader.frames == 4 * rate
    assert [len(p) for p in parts] == [4 * rate, 4 * rate]
    joined = np.concatenate(parts)
    around = slice(4 * rate - 2048, 4 * rate + 2048)
    assert np.abs(joined[around] - tone[around]).max() < 0.1          # (AAC's own error: ~0.02)


def test_aac_whose_gapless_length_only_itunes_tag_gives_ends_there_an_album_joins_without_a_click(tmp_path):
    # iTunes gives an AAC file's priming and length in its iTunSMPB tag, with no edit list:
    # ffmpeg drops the priming the tag gives but decoded the padding on (888 frames after a
    # 2 s file), a gap at every join of a gapless album bought or ripped with iTunes.
    rate = 44100
    tone = (0.5 * np.sin(2 * np.pi * 441 * np.arange(4 * rate) / rate)).astype(np.float32)
    parts = []
    for i, half in enumerate((tone[:2 * rate], tone[2 * rate:])):
        wav, m4a = tmp_path / f"{i}.wav", tmp_path / f"{i}.m4a"
        sf.write(wav, half, rate)
        _encode(wav, m4a, "-c:a", "aac", "-b:a", "192k")
        itunes_gapless_only(m4a, 2 * rate)
        with audio_io.open_fallback(m4a) as stream:
            parts.append(_blocks(stream)[:, 0])
        with audio_io.open_fallback(m4a) as stream:        # a jump near the end ends there too
            stream.seek(rate)
            assert len(_blocks(stream)) == rate
        with audio_io.open_blocks(m4a) as reader:
            assert reader.frames == 2 * rate
    assert [len(p) for p in parts] == [2 * rate, 2 * rate]
    joined = np.concatenate(parts)
    around = slice(2 * rate - 2048, 2 * rate + 2048)
    assert np.abs(joined[around] - tone[around]).max() < 0.1          # (AAC's own error: ~0.02)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal's reads fail with EIO on Linux")
def test_a_read_that_fails_mid_file_is_a_read_failure_though_ffmpeg_exits_0(tmp_path, monkeypatch):
    # ffmpeg (5.1) takes a read that fails mid-file for the input's end and exits 0, having said
    # "Input/output error": the song ended there as if heard whole. The failure is a real one,
    # and needs no debugger: ffmpeg reads the file through a pseudo-terminal, whose reads fail
    # with EIO once its other end is closed, as a drive's do once it is gone. (ffmpeg is given
    # the song by its path here, as on Windows: handed the file checked, it is never given a
    # terminal, which is no regular file.)
    import tty

    monkeypatch.setattr(audio_io, "_FD_FOLDER", str(tmp_path / "no descriptors here"))

    # (WavPack: ffmpeg's demuxer for it says the read failed from a stream it cannot seek in,
    # as all of them do from a file; its WAV demuxer, say, only that the last packet is short)
    wav, path = tmp_path / "a.wav", tmp_path / "a.wv"
    rate = 44100
    noise = np.random.default_rng(3).uniform(-0.3, 0.3, (4 * rate, 2)).astype(np.float32)
    sf.write(wav, noise, rate, subtype="PCM_16")
    _encode(wav, path, "-c:a", "wavpack")
    data = path.read_bytes()
    stream = audio_io.open_fallback(path, lazy=True)        # (probed whole; ffmpeg starts at the first read)
    master, slave = os.openpty()
    try:
        tty.setraw(slave)         # (the bytes pass as they are)
        path.unlink()
        path.symlink_to(os.ttyname(slave))

        def drive_then_gone():
            try:
                # (far more than the terminal holds: written, most of it was read)
                for at in range(0, len(data) // 2, 4096):
                    os.write(master, data[at:at + 4096])
            finally:
                os.close(master)

        writer = threading.Thread(target=drive_then_gone, daemon=True)
        got = []
        with stream:
            writer.start()
            with pytest.raises(audio_io.ReadFailedError):
                for block in stream:
                    got.append(len(block))
        writer.join(10)
    finally:
        os.close(slave)
    assert rate // 2 <= sum(got) < 3 * rate, sum(got)


def test_bytes_ffprobe_makes_nothing_of_are_the_files_fault_not_a_drive_gone(tmp_path):
    # Random bytes after the FLAC marker (a file damaged on its way): ffprobe says
    # "Input/output error" of about one in thirty of them, as of a read that failed in the
    # system, and such a file was said to be on a drive that may be disconnected. A file that
    # reads whole here is at fault itself.
    rng = random.Random(1)
    said = []
    for i in range(30):
        path = tmp_path / f"f{i}.flac"
        path.write_bytes(b"fLaC" + rng.randbytes(4096))
        try:
            audio_io.open_fallback(path, lazy=True).close()
        except Exception as exc:        # (refused, as it should be: why is what is looked at)
            said.append(exc)
    assert len(said) == 30
    assert not [e for e in said if audio_io.failed_reading(e)]
