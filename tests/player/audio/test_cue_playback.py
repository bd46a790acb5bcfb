"""Tracks of an album ripped as one file with a CUE sheet: each plays its range of the file,
through the decoder and through the real engine into the null sink."""

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState, Source
from player.audio.decoder import Decoder
from tests.player.audio import sink
from tests.player.audio.signals import active_region, peak_frequency, sine, sine_residual
from tests.player.audio.test_sd_engine import play_and_record, sd_engine, wait_for  # noqa: F401 - a fixture

SR = sink.RATE


def _read_all(dec, block=1000):
    out = []
    while len(b := dec.read(block)):
        out.append(b)
    return np.concatenate(out)


def _whole(path, n, sr=SR, freq=440.0):
    wave = sine(n, freq=freq, sr=sr)
    sf.write(str(path), np.stack([wave, wave], 1), sr, subtype="FLOAT")
    return wave


def test_a_range_of_a_file_decodes_as_a_file_of_its_own(tmp_path):
    path = tmp_path / "album.wav"
    wave = _whole(path, 3 * SR)
    begin, end = 44100 + 588, 2 * 44100 + 1176       # INDEX 01 00:01:01 and 00:02:02
    dec = Decoder(str(path), out_rate=SR, begin_s=begin / SR, end_s=end / SR)
    assert dec.duration == (end - begin) / SR and dec.total_frames == end - begin
    got = _read_all(dec)
    np.testing.assert_array_equal(got[:, 0], wave[begin:end])
    # seeks count from the range's start and stay inside it
    dec.seek_frame(1000)
    assert dec.frame == 1000
    np.testing.assert_array_equal(dec.read(10)[:, 0], wave[begin + 1000:begin + 1010])
    dec.seek_frame(10 * SR)
    assert dec.frame == end - begin and not len(dec.read(10))
    # the last track runs to the file's end
    last = Decoder(str(path), out_rate=SR, begin_s=end / SR)
    assert last.total_frames == 3 * SR - end
    np.testing.assert_array_equal(_read_all(last)[:, 0], wave[end:])


def test_a_range_resampled_has_the_length_of_the_range(tmp_path):
    path = tmp_path / "album48.wav"
    _whole(path, 3 * 48000, sr=48000)
    dec = Decoder(str(path), out_rate=SR, begin_s=1.0, end_s=2.5)
    assert dec.duration == 1.5
    assert abs(len(_read_all(dec)) - int(1.5 * SR)) <= 1


def test_a_range_of_a_file_ffmpeg_decodes_is_exact_too(tmp_path):
    # WavPack and Monkey's Audio, the formats most such albums are kept in, go through ffmpeg.
    import subprocess

    from tests.audiogen import ffmpeg_encodes

    if not ffmpeg_encodes("wavpack"):
        pytest.skip("ffmpeg with a WavPack encoder is not installed")
    _whole(tmp_path / "album.wav", 3 * SR)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "album.wav"), "-c:a", "wavpack",
                    str(tmp_path / "album.wv")], check=True)
    wave = sf.read(str(tmp_path / "album.wav"), dtype="float32")[0][:, 0]
    begin, end = 44100 + 588, 2 * 44100 + 1176
    dec = Decoder(str(tmp_path / "album.wv"), out_rate=SR, begin_s=begin / SR, end_s=end / SR)
    assert dec._fallback is not None
    np.testing.assert_array_equal(_read_all(dec)[:, 0], wave[begin:end])
    last = Decoder(str(tmp_path / "album.wv"), out_rate=SR, begin_s=end / SR, duration_hint=(3 * SR - end) / SR)
    assert last.duration == pytest.approx((3 * SR - end) / SR)
    np.testing.assert_array_equal(_read_all(last)[:, 0], wave[end:])


@pytest.mark.audio
@pytest.mark.parametrize("rate", [SR, 48000])
def test_the_next_track_of_the_same_file_follows_without_a_gap(sd_engine, tmp_path, rate):  # noqa: F811
    path = tmp_path / "album.wav"
    n = int(1.7 * rate)
    _whole(path, n, sr=rate)
    cut = 0.9 + 17 / 75
    for attempt in range(3):
        e = sd_engine()
        heard = active_region(play_and_record(e, [Source(str(path), end_s=cut), Source(str(path), begin_s=cut)],
                                              tmp_path))
        if e.underruns == 0:
            break
        e.close()       # (an overloaded machine's gap says nothing of the hand-over)
    assert abs(len(heard) - 1.7 * SR) < 0.01 * SR
    residual = np.abs(sine_residual(heard[200:-200], freq=440.0, sr=SR))
    assert residual.max() < 0.01, f"discontinuity at sample {residual.argmax() + 200} of {len(heard)}"


@pytest.mark.audio
def test_a_sheets_tracks_play_their_ranges_and_are_logged_each(sd_engine, store, tmp_path):  # noqa: F811
    from player.library.scanner import Scanner
    from player.playback import Player
    from tests.player.library.test_cue import _album

    music = tmp_path / "music"
    _album(music)                   # 440 Hz to 2 s, 660 Hz to 3.49 s, 880 Hz to 5 s
    Scanner(store).scan([str(music)])
    first, second, third = (r["id"] for r in store.tracks())
    p = Player(store, engine := sd_engine(), progress_interval_s=0.2)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    try:
        p.play_tracks([second, third])
        assert wait_for(lambda: p.position > 0.3)
        # the seek bar's length is the track's own; a seek lands inside it
        assert p.duration == pytest.approx(1 + 37 / 75, abs=0.01)
        p.seek(0.2)
        assert engine.sync() and p.position == pytest.approx(0.2, abs=0.15)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and p.current_track_id is None, 15.0)
        heard = active_region(recorder.stop()[:, 0])
    finally:
        p.close()
    rows = store.plays()
    assert [(r["track_id"], r["ended"]) for r in rows] == [(second, "finished"), (third, "finished")]
    assert rows[0]["track_ms"] == pytest.approx(1493, abs=2) and rows[1]["track_ms"] == pytest.approx(1507, abs=2)
    assert rows[1]["ms_heard"] == pytest.approx(1507, abs=60)
    # the second track's 660 Hz first, none of the first track's 440 Hz, then the third's 880 Hz
    assert peak_frequency(heard[:int(0.3 * SR)], sr=SR) == pytest.approx(660, abs=5)
    assert peak_frequency(heard[-int(0.5 * SR):], sr=SR) == pytest.approx(880, abs=5)
    assert first not in [r["track_id"] for r in rows]


@pytest.mark.audio
def test_a_track_opened_ahead_is_not_taken_for_another_track_of_its_file(sd_engine, tmp_path):  # noqa: F811
    # Tracks of one second in one file: the third, opened ahead while the first plays and the
    # second is next, must not serve as the fourth set next instead (the same file and length).
    path = tmp_path / "album.wav"
    parts = [sine(SR, freq=f, sr=SR) for f in (440.0, 550.0, 660.0, 880.0)]
    sf.write(str(path), np.stack([np.concatenate(parts)] * 2, 1), SR, subtype="FLOAT")
    a, b, c, d = (Source(str(path), begin_s=i, end_s=i + 1.0, duration_hint=1.0) for i in range(4))
    e = sd_engine()
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    e.play(a)
    e.set_next(b)
    e.set_following([c])
    assert wait_for(lambda: e.position > 0.3)
    # (opened ahead, as the test means)
    assert wait_for(lambda: e._prepared and e._prepared[0].done) and e._prepared[0].source is c
    e.set_next(d)
    assert wait_for(lambda: e.state is PlaybackState.STOPPED, 10.0)
    heard = active_region(recorder.stop()[:, 0])
    if e.underruns == 0:        # (an overloaded machine's gaps lengthen what is heard)
        assert len(heard) == pytest.approx(2 * SR, abs=0.01 * SR)
    assert peak_frequency(heard[-SR + 2000:-2000], sr=SR) == pytest.approx(880, abs=5)
