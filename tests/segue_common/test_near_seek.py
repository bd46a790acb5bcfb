"""A person's seek far into a Matroska/WebM file ffmpeg decodes: at once, under 1 ms off
the place, and the exact seeks that joins and retags need still exact."""

import shutil

import numpy as np
import pytest
import soundfile as sf

from player.audio.decoder import Decoder
from segue_common import audio_io
from tests.segue_common.test_ffmpeg_fallback import _blocks, _encode, jumps, record_ffmpeg_starts

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg is not installed")

RATE = 48000
SECONDS = 30
#: the most a person's seek may land off the frame asked for: the packets' times in Matroska
#: are rounded to the ms, at the place the offset was measured and at the place sought
MOST_OFF = RATE // 1000


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory):
    """Noise under a tone whose pitch steps every quarter second: no stretch is like another."""
    path = tmp_path_factory.mktemp("near") / "noise.wav"
    rng = np.random.default_rng(5)
    t = np.arange(SECONDS * RATE) / RATE
    pitch = 220 * 2 ** ((np.floor(t * 4) % 24) / 12)
    tone = 0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / RATE)
    x = np.stack([tone, -tone], 1) + 0.05 * rng.standard_normal((len(t), 2))
    sf.write(str(path), x.astype(np.float32), RATE, subtype="PCM_16")
    return path


def offset(got: np.ndarray, whole: np.ndarray, frame: int) -> tuple[int, float]:
    """Where in ``whole`` (decoded from the start) ``got`` begins, as frames from ``frame``
    (within 0.1 s), and how far its samples are from those there."""
    most = RATE // 10
    ref = whole[frame - most:frame + len(got) + most]
    diffs = [np.abs(got - ref[most + k:most + k + len(got)]).max() for k in range(-most, most + 1)]
    k = int(np.argmin(diffs))
    return k - most, float(diffs[k])


@pytest.fixture(autouse=True)
def measure_early(monkeypatch):
    """These files are 30 s long: where a jump lands is measured at a first seek from 20 s on
    here (in the player only from minutes in, where it pays: see test_a_first_seek_...)."""
    monkeypatch.setattr(audio_io, "_NEAR_MEASURE_FROM_S", audio_io._NEAR_FROM_S)


CODECS = {
    "opus.webm": ["-c:a", "libopus", "-b:a", "96k"],
    "vorbis.mka": ["-c:a", "libvorbis"],
    # (the AAC encoder's noise substitution off: a decoder started elsewhere draws that noise differently)
    "aac.mka": ["-c:a", "aac", "-aac_pns", "0", "-b:a", "128k"],
    "flac.mka": ["-c:a", "flac"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CODECS))
def test_a_persons_seek_in_matroska_jumps_and_lands_within_a_ms(tmp_path, noise_wav, monkeypatch,
                                                                              name):
    path = tmp_path / name
    _encode(noise_wav, path, *CODECS[name])
    frame = 25 * RATE + 1234
    with audio_io.FallbackStream(path) as stream:
        whole = _blocks(stream)
        starts = record_ffmpeg_starts(monkeypatch)
        stream.seek(frame, exact=False)
        got = _blocks(stream, RATE // 2)
        # (ffmpeg is started near the place: no decoding from the start up to it)
        assert jumps(starts[-1:]) and 23 < jumps(starts[-1:])[0] < 25
        off, diff = offset(got, whole, frame)
        assert abs(off) <= MOST_OFF and diff < 1e-3
        # the next seek reuses what was measured of this file: one ffmpeg, jumping
        stream.seek(frame + RATE, exact=False)
        again = _blocks(stream, RATE // 2)
        assert len(starts) == 5 and jumps(starts[-1:])
        off, diff = offset(again, whole, frame + RATE)
        assert abs(off) <= MOST_OFF and diff < 1e-3

        # an exact seek is exact still: from the start, sample for sample
        stream.seek(frame)
        assert "-ss" not in starts[-1]
        assert np.array_equal(_blocks(stream, RATE // 2), whole[frame:frame + RATE // 2])


@pytest.mark.slow
def test_the_player_reports_the_place_asked_for_and_plays_the_audio_there(tmp_path, noise_wav):
    path = tmp_path / "song.webm"
    _encode(noise_wav, path, *CODECS["opus.webm"])
    with audio_io.FallbackStream(path) as stream:
        whole = _blocks(stream)
    dec = Decoder(str(path), out_rate=RATE)
    try:
        frame = 27 * RATE
        dec.seek_frame(frame, exact=False)
        assert dec.frame == frame
        got = dec.read(RATE // 2)
        assert dec.frame == frame + RATE // 2
        off, diff = offset(got, whole, frame)
        assert abs(off) <= MOST_OFF and diff < 1e-3
        dec.seek_frame(frame)                      # (exact: what a track taken back to a place does)
        assert dec.frame == frame and np.array_equal(dec.read(RATE // 2), whole[frame:frame + RATE // 2])
    finally:
        dec.close()


@pytest.mark.slow
def test_asf_and_a_short_seek_stay_exact(tmp_path, noise_wav, monkeypatch):
    """ASF's jumps land from 130 to 4096 samples early, never the same twice: a person's seek
    in WMA decodes from the start up to the place, as does one near the start of any file."""
    wma, webm = tmp_path / "song.wma", tmp_path / "song.webm"
    _encode(noise_wav, wma, "-c:a", "wmav2")
    _encode(noise_wav, webm, *CODECS["opus.webm"])
    for path, frame in ((wma, 20 * 44100), (webm, 10 * RATE)):
        with audio_io.FallbackStream(path) as stream:
            whole = _blocks(stream)
            starts = record_ffmpeg_starts(monkeypatch)
            stream.seek(frame, exact=False)
            assert len(starts) == 1 and "-ss" not in starts[0]
            assert np.array_equal(_blocks(stream, 4096), whole[frame:frame + 4096])


def test_a_held_tone_which_tells_no_offset_keeps_seeks_exact(tmp_path, monkeypatch):
    """A tone matches itself a period away: where a jump lands cannot be told from it."""
    t = np.arange(SECONDS * RATE) / RATE
    wav, path = tmp_path / "tone.wav", tmp_path / "tone.webm"
    sf.write(str(wav), np.repeat((0.3 * np.sin(2 * np.pi * 440 * t))[:, None], 2, axis=1), RATE, subtype="PCM_16")
    _encode(wav, path, *CODECS["opus.webm"])
    with audio_io.FallbackStream(path) as stream:
        starts = record_ffmpeg_starts(monkeypatch)
        stream.seek(25 * RATE, exact=False)
        assert "-ss" not in starts[-1]


@pytest.mark.slow
def test_a_vorbis_mka_retagged_after_a_persons_seek_plays_on_as_the_same_song(tmp_path, noise_wav):
    """Vorbis packets' times are rounded to the ms: a person's seek lands up to a ms off (23
    samples here), and the last block read, read again from the file retagged in place, lies
    that far from where an exact read finds it. It was taken for another song copied over it."""
    from tests.player.audio.test_decoder import read_on

    path = tmp_path / "song.mka"
    _encode(noise_wav, path, *CODECS["vorbis.mka"])
    with audio_io.FallbackStream(path) as stream:
        whole = _blocks(stream)
    frame = 21 * RATE + 777
    dec = Decoder(str(path), out_rate=RATE)
    try:
        dec.seek_frame(frame, exact=False)
        got = [dec.read(4096) for _ in range(4)]
        off, _ = offset(got[0], whole, frame)
        assert off, "the seek landed exactly: nothing is tested"
        path.write_bytes(path.read_bytes())     # (the same song copied over it, in place)
        read_on(dec, got)
        got = np.concatenate(got)
        assert not dec.replaced
        # heard on seamlessly from where it was, to the end
        assert abs(len(got) - (len(whole) - frame)) <= MOST_OFF
        assert np.abs(got - whole[frame + off:frame + off + len(got)]).max() < 1e-3
    finally:
        dec.close()


def test_a_failing_measure_of_where_jumps_land_leaves_no_ffmpeg_running(tmp_path, noise_wav, monkeypatch):
    """The measure reads three ffmpegs in turn: a read that failed left the others blocked on
    a full pipe, for as long as the player ran."""
    path = tmp_path / "song.webm"
    _encode(noise_wav, path, *CODECS["opus.webm"])
    spawned, read = [], audio_io._read_frames

    def failing_second_read(stream, run, n):
        if len(reads) == 1:
            raise OSError("the disk went away")
        reads.append(run)
        return read(stream, run, n)

    reads = []
    with audio_io.FallbackStream(path, lazy=True) as stream:
        spawn = stream._spawn
        monkeypatch.setattr(stream, "_spawn", lambda *a, **k: spawned.append(spawn(*a, **k)) or spawned[-1])
        monkeypatch.setattr(audio_io, "_read_frames", failing_second_read)
        stream.seek(25 * RATE, exact=False)
        monkeypatch.undo()
        assert len(spawned) == 4                   # (the measure's three, and the seek's, from the start)
        assert "-ss" not in spawned[-1][0].args
        for proc, _, thread, _ in spawned[:3]:
            assert proc.wait(10) is not None and not thread.is_alive()


def test_a_first_seek_where_measuring_costs_more_than_decoding_there_decodes_there(tmp_path, noise_wav,
                                                                                     monkeypatch):
    """Measuring where a file's jumps land takes three ffmpegs, about as long as decoding from
    the start up to minutes in: a person's first seek 25 s in waited 0.5 s for it, against a
    tenth of that before. It decodes there as before; once measured, seeks jump."""
    path = tmp_path / "song.webm"
    _encode(noise_wav, path, *CODECS["opus.webm"])
    monkeypatch.setattr(audio_io, "_NEAR_MEASURE_FROM_S", 26.0)
    with audio_io.FallbackStream(path) as stream:
        whole = _blocks(stream)
        starts = record_ffmpeg_starts(monkeypatch)
        stream.seek(25 * RATE, exact=False)
        assert len(starts) == 1 and "-ss" not in starts[0]
        assert np.array_equal(_blocks(stream, 4096), whole[25 * RATE:25 * RATE + 4096])
        stream.seek(27 * RATE, exact=False)         # (measured here)
        stream.seek(25 * RATE, exact=False)
        assert len(starts) == 6 and jumps(starts[-1:])


@pytest.mark.slow
def test_the_players_seek_bar_jumps_far_into_a_webm(tmp_path, noise_wav,
                                                                                       monkeypatch):
    """Through the player: the seek bar's seek far into a WebM starts ffmpeg at the place
    (it decoded the file from the start up to there before)."""
    from player.audio.base import Source
    from player.audio.null_engine import NullEngine
    from tests.player.audio.test_null_engine import wait_for

    path = tmp_path / "song.webm"
    _encode(noise_wav, path, *CODECS["opus.webm"])
    e = NullEngine(capture=True, speed=6.0)
    try:
        e.play(Source(str(path)))
        assert wait_for(lambda: e.position > 0.2, timeout=20)
        starts = record_ffmpeg_starts(monkeypatch)
        e.seek(25.0)
        assert wait_for(lambda: e.position >= 25.5, timeout=20)   # (played on from there)
        # (the measure of where jumps land: from the start and two jumps; then the seek's jump)
        assert len(starts) == 4 and 23 < jumps(starts[-1:])[0] < 25, starts
    finally:
        e.close()

