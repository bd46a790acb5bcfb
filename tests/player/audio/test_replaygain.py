import shutil
import subprocess
import threading

import numpy as np
import pytest
import soundfile as sf

from player.audio import create_engine
from player.audio.base import Source
from player.audio.null_engine import NullEngine
from player.audio.replaygain import replaygain_factor
from tests.player.audio.signals import active_region

TRACK = {"rg_track_gain": -7.5, "rg_track_peak": 0.95, "rg_album_gain": -5.0, "rg_album_peak": 0.99}


def test_track_and_album_modes_pick_their_gain():
    assert replaygain_factor(TRACK, "track") == pytest.approx(10 ** (-7.5 / 20))
    assert replaygain_factor(TRACK, "album") == pytest.approx(10 ** (-5.0 / 20))
    assert replaygain_factor(TRACK, "off") == 1.0


def test_missing_gains_fall_back_then_leave_the_track_alone():
    only_track = {"rg_track_gain": -3.0, "rg_track_peak": None, "rg_album_gain": None, "rg_album_peak": None}
    assert replaygain_factor(only_track, "album") == pytest.approx(10 ** (-3.0 / 20))
    assert replaygain_factor({"rg_track_gain": None}, "track") == 1.0
    assert replaygain_factor({}, "album") == 1.0


def test_a_track_without_a_gain_plays_at_the_level_set_for_those_never_above_unity():
    # Most files without ReplayGain were mastered louder than its level: they played at full
    # level among songs brought 6 to 10 dB down, with nothing to bring them near.
    untagged = {"rg_track_gain": None, "rg_track_peak": 0.5}
    for mode in ("track", "album"):
        assert replaygain_factor(untagged, mode, untagged_db=-6.0) == pytest.approx(10 ** (-6 / 20))
        # (the preamp is for the tracks that have a gain)
        with_preamp = replaygain_factor(untagged, mode, untagged_db=-6.0, preamp_db=4.0)
        assert with_preamp == pytest.approx(10 ** (-6 / 20))
    assert replaygain_factor(untagged, "track", untagged_db=6.0) == 1.0    # never lifted
    assert replaygain_factor(untagged, "off", untagged_db=-6.0) == 1.0
    assert replaygain_factor(untagged, "track", untagged_db="loud") == 1.0
    assert replaygain_factor(TRACK, "track", untagged_db=-6.0) == pytest.approx(10 ** (-7.5 / 20))


def test_clipping_prevention_uses_the_stored_peak():
    loud_peak = {"rg_track_gain": 6.0, "rg_track_peak": 0.8}
    factor = replaygain_factor(loud_peak, "track")
    assert factor == pytest.approx(1 / 0.8) and factor < 10 ** (6 / 20)
    assert replaygain_factor(loud_peak, "track", preamp_db=-6.0) == pytest.approx(1.0)


def test_unknown_mode_is_a_named_error():
    with pytest.raises(ValueError, match="ReplayGain mode"):
        replaygain_factor(TRACK, "loud")


def test_create_engine_follows_the_settings(store):
    store.set_setting("output_device", "null")
    store.set_setting("crossfade_s", 2.5)
    engine = create_engine(store)
    try:
        assert isinstance(engine, NullEngine) and engine.crossfade_s == 2.5
    finally:
        engine.close()


@pytest.mark.parametrize("gain,peak,expected", [
    (8000.0, None, 10 ** (12 / 20)),            # garbage: without a peak, 12 dB up at most
    (8000.0, 0.5, 2.0),                         # with a peak: up to the peak, no more
    (40.0, None, 10 ** (12 / 20)),              # "+40 dB" without a peak used to be a full-scale blast
    (40.0, 0.001, 10 ** (24 / 20)),             # clamped to +24 dB even when the peak would allow more
    (-500.0, 0.9, 10 ** (-24 / 20)),            # clamped to -24 dB
    (float("inf"), 1.0, 1.0), (float("nan"), None, 1.0), ("+3 dB", None, 1.0),
])
def test_hostile_gains_are_bounded(gain, peak, expected):
    factor = replaygain_factor({"rg_track_gain": gain, "rg_track_peak": peak}, "track")
    assert factor == pytest.approx(expected)
    row = {"rg_track_gain": gain, "rg_track_peak": peak}
    assert replaygain_factor(row, "track", preamp_db=1e308) <= 10 ** (24 / 20)


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg makes and decodes these files")
@pytest.mark.parametrize("ext, codec", [("m4a", "aac"), ("mka", "flac")])
def test_a_file_ffmpeg_decodes_at_the_output_rate_plays_at_its_gain(tmp_path, ext, codec):
    # ffmpeg's frames came as views of the bytes read from its pipe, which cannot be written
    # to, and the feeder scales a track's frames by its gain in place: every such track with a
    # gain (its ReplayGain, a preamp) not resampled on the way failed as "playback failed:
    # output array is read-only".
    sr = 44100
    t = np.arange(sr) / sr
    wave = (0.4 * np.sin(2 * np.pi * 660 * t)).astype(np.float32)
    sf.write(str(tmp_path / "a.wav"), np.stack([wave, wave], 1), sr, subtype="FLOAT")
    path = tmp_path / f"a.{ext}"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "a.wav"), "-c:a", codec, str(path)], check=True)
    e = NullEngine(rate=sr, speed=6.0, capture=True)
    events, done = [], threading.Event()

    def listen(name, data):
        events.append(name)
        if name == "finished" or name == "error":
            done.set()

    e.set_listener(listen)
    try:
        source = Source(str(path), gain=0.5, duration_hint=1.0)
        e.play(source)
        assert done.wait(10)
        assert "error" not in events and source.heard_frames > 0.9 * sr
        assert np.abs(e.captured()[:, 0]).max() == pytest.approx(0.2, abs=0.01)
    finally:
        e.close()


@pytest.mark.parametrize("gain", [1.0, 0.8])
def test_a_file_past_full_scale_turned_down_by_its_gain_is_not_cut_before_the_volume(tmp_path, gain):
    # A float file (or a lossy one, decoded) may pass full scale; the volume below 100 % brings
    # it back, and the card clips only what is still over. A ReplayGain that turns the track
    # down cannot make an over, yet the feeder clipped at full scale whenever a gain applied,
    # before the volume: at 12 % (slider 50 %) a track at -2 dB came out with flat tops where
    # the same track without ReplayGain played clean.
    sr = 44100
    wave = (1.5 * np.sin(2 * np.pi * 441 * np.arange(sr) / sr)).astype(np.float32)
    path = tmp_path / "hot.wav"
    sf.write(str(path), np.stack([wave, wave], 1), sr, subtype="FLOAT")
    e = NullEngine(rate=sr, speed=6.0, capture=True)
    done = threading.Event()
    e.set_listener(lambda name, data: done.set() if name in ("finished", "error") else None)
    try:
        e.volume = 0.125
        e.play(Source(str(path), gain=gain))
        assert done.wait(10)
        heard = e.captured()[:, 0]
    finally:
        e.close()
    assert np.abs(heard).max() == pytest.approx(1.5 * gain * 0.125, rel=1e-3)


def test_album_gain_without_an_album_peak_is_bounded_by_the_tracks_own():
    # A tagger that wrote an album gain and track peaks only: the album gain was held to unity,
    # a quiet album's +6 dB lost, though the track's own peak says it does not clip.
    quiet = {"rg_track_gain": 5.0, "rg_track_peak": 0.4, "rg_album_gain": 6.0, "rg_album_peak": None}
    assert replaygain_factor(quiet, "album") == pytest.approx(10 ** (6 / 20))
    loud = {**quiet, "rg_track_peak": 0.8}
    assert replaygain_factor(loud, "album") == pytest.approx(1 / 0.8)
    # A track gain without a track peak is bounded by the album's, never below the track's.
    only_album_peak = {"rg_track_gain": 6.0, "rg_track_peak": None, "rg_album_gain": None, "rg_album_peak": 0.8}
    assert replaygain_factor(only_album_peak, "track") == pytest.approx(1 / 0.8)


# -- the whole path: a file tagged as each tagger writes it, read, and heard at its gain -----
LEVEL = 0.1         # the test tone's amplitude: -20 dBFS, far from full scale at any gain here


def _tone(sr, seconds=2.0):
    t = np.arange(int(sr * seconds)) / sr
    wave = (LEVEL * np.sin(2 * np.pi * 441 * t)).astype(np.float32)
    return np.stack([wave, wave], 1)


def _tagged(tmp_path, kind, track_db, album_db):
    """A tone file of ``kind`` with ReplayGain written the way taggers do for that format (no
    album gain where ``album_db`` is None); its path."""
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, RVA2, TXXX
    from mutagen.mp4 import MP4, MP4FreeForm
    from mutagen.oggopus import OggOpus

    sr = 48000 if kind == "opus" else 44100
    if kind == "flac":
        path = tmp_path / "a.flac"
        sf.write(str(path), _tone(sr), sr, subtype="PCM_24")
        f = FLAC(str(path))
        f["REPLAYGAIN_TRACK_GAIN"], f["REPLAYGAIN_TRACK_PEAK"] = f"{track_db:+.2f} dB", f"{LEVEL:.6f}"
        if album_db is not None:
            f["REPLAYGAIN_ALBUM_GAIN"], f["REPLAYGAIN_ALBUM_PEAK"] = f"{album_db:+.2f} dB", f"{LEVEL:.6f}"
        f.save()
    elif kind in ("mp3-txxx", "mp3-rva2"):
        path = tmp_path / "a.mp3"
        sf.write(str(path), _tone(sr), sr, format="MP3")
        tags = ID3()
        for name, db in (("track", track_db), ("album", album_db)):
            if db is None:
                continue
            if kind == "mp3-txxx":
                tags.add(TXXX(encoding=3, desc=f"REPLAYGAIN_{name.upper()}_GAIN", text=[f"{db:+.2f} dB"]))
                tags.add(TXXX(encoding=3, desc=f"REPLAYGAIN_{name.upper()}_PEAK", text=[f"{LEVEL:.6f}"]))
            else:       # (Quod Libet's way: relative volume frames only)
                tags.add(RVA2(desc=name, channel=1, gain=db, peak=LEVEL))
        tags.save(str(path), v2_version=4)
    elif kind == "m4a":
        wav = tmp_path / "a.wav"
        sf.write(str(wav), _tone(sr), sr, subtype="FLOAT")
        path = tmp_path / "a.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", "-b:a", "192k", str(path)],
                       check=True)
        f = MP4(str(path))
        # iTunes' Sound Check beside it (here saying -10 dB): its reference level is not
        # ReplayGain's, and foobar2000 and mpv read ReplayGain alone, so does the player
        f["----:com.apple.iTunes:iTunNORM"] = [MP4FreeForm(b" 00002710 00002710" + b" 00000000" * 8)]
        for name, db in (("track", track_db), ("album", album_db)):
            if db is not None:
                f[f"----:com.apple.iTunes:replaygain_{name}_gain"] = [MP4FreeForm(f"{db:+.2f} dB".encode())]
                f[f"----:com.apple.iTunes:replaygain_{name}_peak"] = [MP4FreeForm(f"{LEVEL:.6f}".encode())]
        f.save()
    else:               # Opus: R128 gains in Q7.8 relative to -23 LUFS (ReplayGain's is -18), no peak
        path = tmp_path / "a.opus"
        sf.write(str(path), _tone(sr), sr, format="OGG", subtype="OPUS")
        f = OggOpus(str(path))
        f["R128_TRACK_GAIN"] = str(round((track_db - 5.0) * 256))
        if album_db is not None:
            f["R128_ALBUM_GAIN"] = str(round((album_db - 5.0) * 256))
        f.save()
    return path, sr


def _played(path, sr, gain, threshold=1e-3):
    """The left channel the engine outputs playing ``path`` at ``gain`` to its end, from its
    first sound (the output runs silent while a decoder starts)."""
    e = NullEngine(rate=sr, speed=6.0, capture=True)
    done = threading.Event()
    e.set_listener(lambda name, data: done.set() if name in ("finished", "error") else None)
    try:
        e.play(Source(str(path), gain=gain))
        assert done.wait(20)
        heard = e.captured()[:, 0]
    finally:
        e.close()
    return active_region(heard, threshold=threshold)


def _heard_db(path, sr, gain):
    """The level change (dB) the engine makes on ``path`` played at ``gain``, measured on what
    it outputs against the tone's own level."""
    heard = _played(path, sr, gain)
    middle = heard[len(heard) // 4:3 * len(heard) // 4]     # (clear of a lossy codec's edges)
    assert len(middle) > sr // 2
    return 20 * np.log10(np.sqrt(np.mean(middle.astype(np.float64) ** 2)) / (LEVEL / np.sqrt(2)))


KINDS = ["flac", "mp3-txxx", "mp3-rva2", "m4a", "opus"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes the .m4a")
@pytest.mark.parametrize("kind", KINDS)
def test_each_format_is_heard_at_its_tagged_gain_within_a_tenth_of_a_db(tmp_path, kind):
    # Quiet enough to be lifted: +4 dB for the track, +2 dB for its album; an Opus file's R128
    # gain has no peak beside it (the format stores none), and its lift was not heard at all.
    from player.library.tags import read_tags

    path, sr = _tagged(tmp_path, kind, 4.0, 2.0)
    row = read_tags(str(path))
    for mode, db in (("track", 4.0), ("album", 2.0)):
        assert _heard_db(path, sr, replaygain_factor(row, mode)) == pytest.approx(db, abs=0.1), mode


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg makes the .m4a")
@pytest.mark.parametrize("kind", KINDS)
def test_album_mode_without_an_album_gain_plays_the_track_gain(tmp_path, kind):
    from player.library.tags import read_tags

    path, _ = _tagged(tmp_path, kind, -3.0, None)
    row = read_tags(str(path))
    assert 20 * np.log10(replaygain_factor(row, "album")) == pytest.approx(-3.0, abs=0.01)


def test_a_boost_past_a_files_peaks_bends_them_below_full_scale_not_flat(tmp_path):
    # A gain with no peak beside it (an Opus file's R128 gain) can lift a track's loudest
    # moments past full scale: they were cut flat, a crackle on every drum hit. They are bent
    # below full scale as a downmix's sum is, what stays within the knee exactly as it was.
    sr = 44100
    wave = (0.8 * np.sin(2 * np.pi * 441 * np.arange(sr) / sr + 0.5)).astype(np.float32)
    path = tmp_path / "loud.flac"
    sf.write(str(path), np.stack([wave, wave], 1), sr, subtype="PCM_24")
    gain = 10 ** (3 / 20)
    heard = _played(path, sr, gain)
    played, _ = sf.read(str(path), dtype="float32")
    played = played[:len(heard), 0] * np.float32(gain)
    assert len(heard) > 0.9 * sr
    assert np.count_nonzero(np.abs(heard) >= 0.999) == 0         # (flat at 1.0 for a third of the wave)
    within = np.abs(played) < 0.89
    assert np.allclose(heard[within], played[within], atol=1e-5)
    # bent, not squashed flat: the loudest stay above the knee and keep the wave's order
    over = np.abs(played) > 1.0
    assert np.abs(heard[over]).min() > 0.9
    assert np.all(np.diff(heard[:15]) > 0)                      # (the wave's first rise still rises)


def test_a_boosted_bass_note_is_bent_alike_in_every_block_after_its_first_over(tmp_path):
    # Bent only in the blocks that held an over, a 100 Hz note near full scale was exact in one
    # block and bent in the next: a step of up to 0.024 at the block's edge, a click. Once a
    # boost has passed full scale, every later sample beyond the knee is bent alike.
    from segue_common.audio_io import KNEE, soft_clip

    sr, gain = 44100, 1.5
    t = np.arange(3 * sr) / sr
    # within the knee for a second, then past full scale (1.035), then just below it (0.99)
    level = np.where(t < 1.0, 0.5, np.where(t < 1.5, 0.69, 0.66))
    wave = (level * np.sin(2 * np.pi * 100 * t + 0.5)).astype(np.float32)
    path = tmp_path / "bass.wav"
    sf.write(str(path), np.stack([wave, wave], 1), sr, subtype="FLOAT")
    heard = _played(path, sr, gain, threshold=1e-7)
    plain = wave[:len(heard)] * np.float32(gain)
    assert len(heard) > 2.9 * sr
    assert np.allclose(heard[:sr], plain[:sr], atol=1e-6)          # (exact before any over)
    bent = soft_clip(plain.copy())
    assert np.allclose(heard[sr:], bent[sr:], atol=1e-5)
    # (the last part never passes full scale, yet its peaks beyond the knee are bent: they were
    # exact in its blocks, and bent in the one that held the over's last peaks)
    late = np.abs(plain[int(1.6 * sr):]) > KNEE + 0.05
    assert late.sum() > 1000 and np.all(np.abs(heard[int(1.6 * sr):][late]) < np.abs(plain[int(1.6 * sr):][late]))
