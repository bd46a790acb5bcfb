import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from player.audio.decoder import Decoder, DecodeError
from tests.audiogen import (cut_to_half, ffmpeg_encodes, forget_flac_length, lame_available, lame_mp3,
                            step_frequency, stepped_opus, stepped_samples, stepped_tone, tone, wav_over_4gib,
                            wav_without_pad_bytes, write_audio, write_track, zero_middle)
from tests.player.audio.signals import peak_frequency


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg is not installed")


def read_all(dec, block=1000):
    parts = []
    while True:
        b = dec.read(block)
        if not len(b):
            return np.concatenate(parts)
        assert b.dtype == np.float32 and b.shape[1] == dec.channels and len(b) <= block
        parts.append(b)


def read_on(dec, got: list) -> int:
    """Read ``dec`` to its end without waiting, through its waits for a file rewritten in place
    (``settling``), into ``got``; how many reads gave nothing meanwhile."""
    import time

    looks = 0
    while len(block := dec.read(4096, wait=False)) or dec.settling:
        if len(block):
            got.append(block)
        else:
            looks += 1
            time.sleep(0.01)
    return looks


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


# (the data's size, 4 bytes a frame, ends in a byte that is no letter, and in "0")
@pytest.mark.parametrize("sr", [22050, 44100])
def test_a_wav_whose_writer_left_out_a_pad_byte_before_the_sound_plays_whole_and_seeks(tmp_path, sr):
    """libsndfile (and ffmpeg) look for the chunk after one of odd size past its pad byte, and
    without it found no sound at all: such a file did not play."""
    samples = np.repeat(stepped_samples(3, sr, 1), 2, axis=1)
    path = wav_without_pad_bytes(tmp_path / "odd.wav", samples, sr)
    dec = Decoder(str(path), out_rate=sr)
    assert dec.duration == pytest.approx(3.0)
    out = read_all(dec)
    assert len(out) == len(samples)
    assert np.abs(out - samples).max() < 1e-4     # (16-bit)
    at = int(0.6 * len(samples))
    dec.seek_frame(at)
    assert np.abs(dec.read(1000) - samples[at:at + 1000]).max() < 1e-4


@pytest.mark.skipif(os.name == "nt", reason="needs a sparse file of 4 GiB")
@pytest.mark.parametrize("size", ["wrapped", "max", "zero"])
def test_a_wav_longer_than_its_32_bit_header_can_say_plays_to_its_end(sparse_dir, size):
    """A WAV of more than 4 GiB (6 hours and 46 minutes at 44.1 kHz, 16-bit stereo; 2 hours at
    96 kHz, 24-bit) from a writer that does not know RF64: the header's size of its data keeps
    the lowest 32 bits of it, or says 0xFFFFFFFF (or 0, where the recorder stopped before
    writing it). libsndfile believed it and played the first seconds of the file (or stopped
    4 GiB in); the file's size tells how much more there is."""
    sr = 44100
    tail = np.repeat(stepped_samples(2, sr, 1), 2, axis=1)
    path = wav_over_4gib(sparse_dir / "long.wav", tail, sr, size=size)
    frames = (1 << 30) + len(tail)
    dec = Decoder(str(path), out_rate=sr)
    assert dec.duration == pytest.approx(frames / sr)
    at = frames - len(tail) + int(0.6 * len(tail))
    dec.seek_frame(at)
    assert np.abs(dec.read(1000) - tail[at - frames:][:1000]).max() < 1e-4
    dec.seek_frame(frames - 500)
    assert len(read_all(dec)) == 500


@pytest.mark.skipif(os.name == "nt", reason="needs a sparse file of 4 GiB")
def test_a_wav_longer_than_its_32_bit_header_can_say_is_mixed_by_its_channel_mask(sparse_dir):
    """Read past 4 GiB as raw frames, a WAVEX lost its channel mask: its centre (FL FR FC LFE)
    was taken for a quad's back left and went to the left side only."""
    sr = 48000
    tail = np.zeros((sr, 4))
    tail[:, 2] = tone(1.0, sr=sr, channels=1)[:, 0]
    path = wav_over_4gib(sparse_dir / "long.wav", tail, sr, mask=0x0F)
    dec = Decoder(str(path), out_rate=sr)
    assert dec.duration == pytest.approx(((1 << 32) // 8 + sr) / sr)
    dec.seek_frame((1 << 32) // 8)
    out = dec.read(sr // 2)
    level = np.abs(out).max(axis=0)
    assert level[0] > 0.1 and level[1] == pytest.approx(level[0], rel=0.01)


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_seek_in_a_file_ffmpeg_decodes_lands_on_the_frame(tmp_path):
    """libsndfile cannot read an m4a; ffmpeg decodes it, and a seek lands on the frame
    asked for as in any other file (a resume, a seek back after a fade taken back)."""
    rng = np.random.default_rng(5)
    wav = write_audio(tmp_path / "n.wav", (0.2 * rng.standard_normal((6 * 44100, 2))).astype(np.float32), 44100)
    m4a = tmp_path / "n.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "alac", str(m4a)], check=True)
    whole = read_all(Decoder(str(m4a), out_rate=44100))
    assert len(whole) == 6 * 44100
    dec = Decoder(str(m4a), out_rate=44100)
    dec.read(1000)
    for frame in (4 * 44100 + 17, 500, 2 * 44100):
        dec.seek_frame(frame)
        assert dec.frame == frame
        assert np.array_equal(dec.read(3000), whole[frame: frame + 3000])
        assert dec.frame == frame + 3000
    dec.seek_frame(len(whole) + 100)
    assert len(dec.read(100)) == 0 and dec.finished
    dec.close()


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
@pytest.mark.parametrize("codec", [("-c:a", "aac", "-f", "mp4"), ("-c:a", "alac", "-f", "mp4"),
                                   ("-c:a", "wavpack", "-f", "wv"), ("-c:a", "aac", "-f", "adts")])
def test_a_file_of_another_format_named_mp3_plays_as_what_it_is(tmp_path, codec):
    # dr_mp3 does not read it (libsndfile takes an ADTS AAC stream for MPEG, and reads none
    # of it); the scan reads it by its content, and so does playing it.
    from player.library.tags import read_tags
    from tests.audiogen import stepped_tone

    path = stepped_tone(tmp_path / "song.mp3", *codec, seconds=3)
    assert read_tags(str(path))["duration"] == pytest.approx(3.0, abs=0.1)
    whole = read_all(Decoder(str(path), out_rate=44100))
    assert abs(len(whole) - 3 * 44100) < 0.05 * 44100
    assert float(np.abs(whole).max()) > 0.1


# The downmix keeps the levels stereo downmixes use (ffmpeg -ac 2, and the players people
# compare with): the fronts as they are, the centre and surrounds at -3 dB, the LFE left out.
# Only channels nobody named are averaged, each side the mean of its own.
@pytest.mark.parametrize("layout, sounding, left, right", [
    (3, [2], 0.7071, 0.7071),           # L R C: the centre on both sides
    (6, [0], 1.0, 0.0),                 # 5.1: the front left, as loud as in a stereo file
    (6, [2], 0.7071, 0.7071),           # 5.1: dialogue and vocals live in the centre
    (6, [4], 0.7071, 0.0),              # 5.1: the left surround, on the left
    (6, [3], 0.0, 0.0),                 # 5.1: the LFE, left out
    (8, [7], 0.0, 0.7071),              # 7.1: the right side, on the right
    (10, [0, 1], 1 / 5, 1 / 5),         # no known layout: each side the mean of every other one
])
def test_multichannel_files_are_mixed_down_not_cut_to_their_first_two(tmp_path, layout, sounding, left, right):
    data = np.zeros((4410, layout), np.float32)
    data[:, sounding] = 0.5
    sf.write(str(tmp_path / "m.wav"), data, 44100, subtype="FLOAT")
    out = Decoder(str(tmp_path / "m.wav"), out_rate=44100).read(4410)
    assert out.shape == (4410, 2)
    assert np.allclose(out[:, 0], 0.5 * left, atol=1e-4)
    assert np.allclose(out[:, 1], 0.5 * right, atol=1e-4)


def test_a_5_1_mix_is_as_loud_as_its_stereo_master_and_is_the_plain_sum(tmp_path):
    # A 5.1 file whose fronts hold what a stereo master holds plays at the stereo file's level
    # (it played 7.7 dB quieter: the mix was scaled so that no sum could ever clip). Where the
    # channels are loud together the sum passes full scale: the decoder gives it as it is, for
    # ReplayGain and the volume to scale, and the output bends what still passes full scale
    # then (tests/player/audio/test_null_engine.py).
    t = np.arange(44100) / 44100
    music = 0.6 * np.sin(2 * np.pi * 220 * t)
    data = np.zeros((44100, 6), np.float32)
    data[:, 0] = data[:, 1] = music
    data[:, 2] = data[:, 4] = data[:, 5] = 0.8 * music
    sf.write(str(tmp_path / "m.wav"), data, 44100, subtype="FLOAT")
    out = Decoder(str(tmp_path / "m.wav"), out_rate=44100).read(44100)
    plain = music * (1 + 2 * 0.7071 * 0.8)       # the sum, 1.28 at the sine's peaks
    assert np.allclose(out[:, 0], plain, atol=1e-4) and np.allclose(out[:, 0], out[:, 1])


def test_the_soft_clip_leaves_what_is_within_the_knee_as_it_is_and_bends_the_rest_below_full_scale():
    from segue_common.audio_io import KNEE, soft_clip

    x = np.linspace(-3, 3, 60000, dtype=np.float32).reshape(-1, 2)
    y = soft_clip(x.copy(), np.empty(x.size * 2, np.float32))
    within = np.abs(x) <= KNEE
    assert (y[within] == x[within]).all()
    assert (np.abs(y) <= 1.0).all() and (np.abs(y[~within]) > KNEE).all()
    flat = y.reshape(-1)
    assert (np.diff(flat) >= 0).all()                   # (monotonic: no fold-back)
    assert np.allclose(soft_clip(x.copy()), y)          # (with or without room given to work in)


# Ogg Vorbis (and Opus) store 5.1 as FL C FR RL RR LFE: the centre is the second channel.
@pytest.mark.parametrize("fmt, subtype", [("ogg", "VORBIS"), ("opus", "OPUS")])
@pytest.mark.parametrize("stored, left, right", [
    (1, 0.7071, 0.7071),    # the centre, on both sides
    (2, 0.0, 1.0),          # the front right, on the right
    (3, 0.7071, 0.0),       # the rear left, on the left
    (5, 0.0, 0.0),          # the LFE, left out
])
def test_an_ogg_file_in_5_1_is_mixed_down_by_the_ogg_channel_order(tmp_path, fmt, subtype, stored, left, right):
    t = np.arange(48000) / 48000
    data = np.zeros((48000, 6), np.float32)
    data[:, stored] = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / f"m.{fmt}"
    sf.write(str(path), data, 48000, format="OGG", subtype=subtype)
    out = Decoder(str(path), out_rate=48000).read(48000)[4800:-4800]
    rms = np.sqrt(np.mean(out ** 2, axis=0)) / (0.5 / np.sqrt(2))
    assert np.allclose(rms, [left, right], atol=0.05)


_TONES = (300, 500, 700, 900)


def _four_tones(path):
    """A 4-channel file with a tone of its own in each channel (0.25 each), at 48 kHz."""
    t = np.arange(2 * 48000) / 48000
    sf.write(str(path), np.stack([0.25 * np.sin(2 * np.pi * f * t) for f in _TONES], 1).astype(np.float32),
             48000, subtype="PCM_24")
    return path


def _tone_levels(path):
    """Each tone's level in left and right after the downmix, relative to the 0.25 it had."""
    out = Decoder(str(path), out_rate=48000).read(96000)[24000:72000]
    w = np.hanning(len(out))
    spectrum = np.abs(np.fft.rfft(out * w[:, None], axis=0)) / (w.sum() / 2) / 0.25
    return np.round([spectrum[f * len(out) // 48000] for f in _TONES], 2)


# A file that says which channels it holds is mixed by what it says, not by its count alone:
# four channels are not always a quad's front and back pairs.
@needs_ffmpeg
@pytest.mark.parametrize("layout, ext, codec, third, fourth", [
    ("4.0", "m4a", "aac", (0.71, 0.71), (0.5, 0.5)),          # AAC's only four: FL FR FC BC
    ("3.1", "wav", "pcm_s24le", (0.71, 0.71), (0.0, 0.0)),    # a WAV's channel mask: FL FR FC LFE
    ("quad", "wv", "wavpack", (0.71, 0.0), (0.0, 0.71)),      # through ffmpeg: not folded into 4.0
])
def test_a_four_channel_file_is_mixed_by_the_layout_it_says_it_has(tmp_path, layout, ext, codec, third, fourth):
    source = _four_tones(tmp_path / "source.wav")
    path = tmp_path / f"four.{ext}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-af", f"channelmap=channel_layout={layout}",
                    "-c:a", codec, str(path)], check=True)
    levels = _tone_levels(path)
    assert np.allclose(levels, [(1, 0), (0, 1), third, fourth], atol=0.04)


# ffprobe (5.x and later) gives a layout without a standard name as its count and channels,
# "8 channels (FL+FR+FC+LFE+BL+BR+TFL+TFR)": the channels count, not only the standard names.
# Taken for no layout, the file was remixed by ffmpeg into its own 7.1, which has no place for
# the top channels: they were dropped, silently.
@needs_ffmpeg
def test_a_layout_ffmpeg_has_no_name_for_is_mixed_by_its_channels(tmp_path):
    path = tmp_path / "top.wv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=2", "-filter_complex",
                    "[0:a]pan=FL+FR+FC+LFE+BL+BR+TFL+TFR|c6=0.5*c0|c7=0.5*c0[b]", "-map", "[b]", "-c:a", "wavpack",
                    str(path)], check=True)
    out = Decoder(str(path), out_rate=44100, channels=2).read(44100)
    assert np.allclose(np.abs(out).max(axis=0), [0.0625 * 0.7071] * 2, atol=0.002)   # (the top ones at -3 dB)


def test_ffmpegs_layouts_are_read_by_name_or_by_their_channels():
    from segue_common.audio_io import _ffmpeg_layout

    assert _ffmpeg_layout("8 channels (FL+FR+FC+LFE+BL+BR+TFL+TFR)", 8) == ("FL", "FR", "FC", "LFE", "BL", "BR",
                                                                           "TFL", "TFR")
    assert _ffmpeg_layout("7.1(top)", 8) == _ffmpeg_layout("FL+FR+FC+LFE+BL+BR+TFL+TFR", 8)
    assert len(_ffmpeg_layout("22.2", 24)) == 24 and _ffmpeg_layout("5.1(side)", 6)[4:] == ("SL", "SR")
    assert _ffmpeg_layout("3 channels (FR+FL+FC)", 3) is None       # (not ffmpeg's order: aformat would reorder)
    assert _ffmpeg_layout("8 channels (FL+FR+FC+LFE+BL+BR+TFL+TFR)", 6) is None


def test_a_flac_mixes_by_its_channel_mask_tag(tmp_path):
    # (the flac encoder keeps a WAV's mask in this tag where it is not FLAC's default for the count)
    from mutagen.flac import FLAC

    path = _four_tones(tmp_path / "four.flac")
    assert np.allclose(_tone_levels(path), [(1, 0), (0, 1), (0.71, 0), (0, 0.71)], atol=0.02)   # quad
    tagged = FLAC(str(path))
    tagged["WAVEFORMATEXTENSIBLE_CHANNEL_MASK"] = "0x000F"       # FL FR FC LFE
    tagged.save()
    assert np.allclose(_tone_levels(path), [(1, 0), (0, 1), (0.71, 0.71), (0, 0)], atol=0.02)


# A mask with more bits set than the file has channels names them by its lowest set bits, as
# WAV reads one (the extra bits, SPEAKER_ALL among them, say nothing more): it was dropped,
# and the channels mixed by their count, a 3.1 file as a quad.
@pytest.mark.parametrize("mask", ["0x001F", "0x8000000F", "0x4000F"])
def test_a_flac_mask_with_more_bits_than_channels_names_them_by_its_lowest(tmp_path, mask):
    from mutagen.flac import FLAC

    path = _four_tones(tmp_path / "four.flac")
    tagged = FLAC(str(path))
    tagged["WAVEFORMATEXTENSIBLE_CHANNEL_MASK"] = mask       # FL FR FC LFE, and more
    tagged.save()
    assert np.allclose(_tone_levels(path), [(1, 0), (0, 1), (0.71, 0.71), (0, 0)], atol=0.02)


def _two_tones(path, mask=None):
    """A 2-channel FLAC, a tone of its own in each channel, its mask tag ``mask``; its output."""
    from mutagen.flac import FLAC

    t = np.arange(48000) / 48000
    sf.write(str(path), np.stack([0.25 * np.sin(2 * np.pi * f * t) for f in (300, 500)], 1).astype(np.float32),
             48000, subtype="PCM_24")
    if mask is not None:
        tagged = FLAC(str(path))
        tagged["WAVEFORMATEXTENSIBLE_CHANNEL_MASK"] = mask
        tagged.save()
    return Decoder(str(path), out_rate=48000).read(48000)


# A stereo file that says its second channel is the centre has it heard on both sides at -3 dB,
# as in any other file, not as its right channel at full level. A pair of a left and a right
# (the fronts, or a back pair) is plain stereo, sample for sample.
def test_a_two_channel_flac_whose_mask_names_a_centre_has_it_on_both_sides(tmp_path):
    plain = _two_tones(tmp_path / "plain.flac")
    assert (_two_tones(tmp_path / "fronts.flac", "0x3") == plain).all()
    assert (_two_tones(tmp_path / "backs.flac", "0x30") == plain).all()
    centre = _two_tones(tmp_path / "centre.flac", "0x5")         # FL FC
    assert np.allclose(centre[:, 0], plain[:, 0] + 0.7071 * plain[:, 1], atol=1e-4)
    assert np.allclose(centre[:, 1], 0.7071 * plain[:, 1], atol=1e-4)
    from segue_common.audio_io import load_audio       # (and analysis hears the same mix)

    heard, _ = load_audio(str(tmp_path / "centre.flac"), mono=True)
    assert np.allclose(heard, centre.mean(axis=1), atol=1e-4)


def test_a_multichannel_file_played_to_a_mono_output_is_the_mean_of_its_stereo_mix(tmp_path):
    # (as a stereo file's is the mean of its two: the centre at -3 dB, not a sixth of it)
    data = np.zeros((4410, 6), np.float32)
    data[:, 2] = 0.6
    sf.write(str(tmp_path / "m.wav"), data, 44100, subtype="FLOAT")
    out = Decoder(str(tmp_path / "m.wav"), out_rate=44100, channels=1).read(4410)
    assert out.shape == (4410, 1) and np.allclose(out, 0.6 * 0.7071, atol=1e-4)


def _flac_tone(tmp_path, name, seconds=6.0):
    data = tone(seconds, freq=440.0)
    return write_audio(tmp_path / f"{name}.flac", data, 44100), data


def test_a_damaged_stretch_of_a_flac_is_silence_and_the_rest_plays_where_it_belongs(tmp_path):
    # 4 KB of zeros mid-file (bit rot, a bad sector): that stretch is lost, as silence, so
    # that the length and every position after it stay the file's; the rest plays.
    path, original = _flac_tone(tmp_path, "damaged")
    zero_middle(path)
    dec = Decoder(str(path), out_rate=44100)
    data = read_all(dec, block=4096)
    assert len(data) == len(original) == dec.total_frames and dec.finished
    wrong = np.nonzero(np.abs(data[:, 0] - original[:, 0]) > 1e-3)[0]
    assert 2.5 * 44100 < wrong[0] and wrong[-1] - wrong[0] < 0.6 * 44100
    assert not data[wrong[0]:wrong[-1] + 1].any()
    # A seek into the damage plays on from where the file decodes again, in its place.
    dec.seek_frame(wrong[0] + 100)
    rest = read_all(dec, block=4096)
    assert len(rest) == len(original) - wrong[0] - 100
    sounding = np.nonzero(rest[:, 0])[0][0]
    assert sounding < 0.6 * 44100 and np.allclose(rest[sounding:], original[wrong[0] + 100 + sounding:], atol=1e-3)


def test_a_damaged_opus_plays_on_to_its_end_in_its_place(tmp_path):
    # Read on through libsndfile alone after a damaged page, this file stopped 2 s early;
    # soundfile's read, which seeks to its end after every block, keeps the positions right.
    original = tone(10.0, freq=997.0, sr=48000)
    path = zero_middle(write_audio(tmp_path / "damaged.opus", original, 48000))
    data = read_all(Decoder(str(path), out_rate=48000), block=4096)
    assert len(data) == len(original)
    assert np.corrcoef(data[-48000:, 0], original[-48000:, 0])[0, 1] > 0.99


def test_a_flac_cut_short_plays_what_it_holds_and_ends(tmp_path):
    # An interrupted copy keeps the first half: that plays, and the track ends there, as a
    # WAV or an MP3 cut short does. Its header still says 6 s; its length is where its audio
    # ends, known on open (a crossfade begins before that end). A seek past what is there
    # ends it too.
    path, original = _flac_tone(tmp_path, "cut")
    cut_to_half(path)
    dec = Decoder(str(path), out_rate=44100)
    held = dec.total_frames
    data = read_all(dec, block=4096)
    assert 2.7 * 44100 < len(data) <= 3.0 * 44100 and dec.finished
    assert held == len(data) == dec.total_frames and dec.duration == pytest.approx(len(data) / 44100)
    assert np.allclose(data, original[:len(data)], atol=1e-3)
    dec.seek_frame(int(4.5 * 44100))
    assert len(dec.read(4096)) == 0 and dec.finished
    # Nothing at all to play is still the file's error.
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DecodeError, match=r"decoding cut\.flac failed"):
        read_all(Decoder(str(path), out_rate=44100))


def test_a_file_whose_audio_ends_before_its_length_takes_where_it_ended_as_its_length(tmp_path):
    # Cut inside its last frame, a FLAC still holds that frame's header, and its length is the
    # header's until the end is read: then it is where the audio ended (the seek bar, and the
    # log of the play, take that). Here what is left of that frame is shorter than any frame
    # the file holds: it is known cut, and measured, as it is opened.
    path, original = _flac_tone(tmp_path, "last frame cut")
    path.write_bytes(path.read_bytes()[:-200])
    dec = Decoder(str(path), out_rate=44100)
    opened = dec.total_frames
    data = read_all(dec, block=4096)
    assert opened == len(data)
    assert len(original) - 4096 <= len(data) < len(original) and dec.finished
    assert dec.total_frames == len(data) and dec.duration == pytest.approx(len(data) / 44100)


def test_a_flac_whose_header_leaves_its_length_out_plays_whole_at_the_measured_length(tmp_path):
    # ffmpeg or flac writing to a pipe cannot go back to fill in the count of samples; the
    # library measures it, and the decoder takes that length and plays to the last sample.
    path, original = _flac_tone(tmp_path, "piped")
    forget_flac_length(path)
    dec = Decoder(str(path), out_rate=44100, duration_hint=6.0)
    assert dec.total_frames == len(original)
    data = read_all(dec, block=4096)
    assert len(data) == len(original) and dec.finished
    assert np.allclose(data, original, atol=1e-3)


@pytest.mark.parametrize("change", ["cover added in place", "deleted"])
@pytest.mark.parametrize("fmt", ["flac", "mp3"])
@pytest.mark.parametrize("heard", [0, 30000])      # opened as the next track, or playing
@pytest.mark.parametrize("rate", [44100, 48000])    # played as it is, or resampled for the device
def test_a_file_changed_while_it_plays_plays_on_from_the_same_frame(tmp_path, fmt, change, heard, rate):
    # Tag editors rewrite a file in place to make room for a cover, moving its audio under
    # the open decoder; a file deleted while it plays stays readable where it is open. Played
    # resampled, the rewrite is not heard either (a fresh resampler there was 13 frames off by
    # up to 0.007, a click).
    import os

    from mutagen import id3
    from mutagen.flac import FLAC, Picture

    def rest_of(dec):
        blocks = []
        while len(block := dec.read(4096)):
            blocks.append(block)
        dec.close()
        return np.concatenate(blocks)

    path = write_track(tmp_path, "song", fmt=fmt, seconds=3.0, freq=440.0, tags={"title": "song"})
    reference = rest_of(Decoder(str(path), out_rate=rate))
    dec = Decoder(str(path), out_rate=rate)
    head = dec.read(heard)
    if change == "deleted":
        os.remove(path)
    elif fmt == "flac":
        tags, cover = FLAC(str(path)), Picture()
        cover.type, cover.mime, cover.data = 3, "image/jpeg", os.urandom(500_000)
        tags.add_picture(cover)
        tags.save()
    else:
        tags = id3.ID3(str(path))
        tags.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=os.urandom(500_000)))
        tags.save()
    got = np.concatenate([head, rest_of(dec)])
    assert len(got) == len(reference) and np.allclose(got, reference, atol=1e-4)


def _plays_and_seeks(path, first_pitch: float, sr: int = 44100) -> None:
    """``path`` plays from its start through ffmpeg, and a seek lands where asked."""
    dec = Decoder(str(path), out_rate=sr)
    assert dec._fallback is not None
    whole = read_all(dec)
    assert len(whole) > 3 * sr
    assert peak_frequency(whole[sr // 10: sr // 2, 0], sr=sr) == pytest.approx(first_pitch, abs=10)
    at = 2 * sr + 17
    dec.seek_frame(at)
    assert dec.frame == at
    assert np.allclose(dec.read(4000), whole[at: at + 4000], atol=1e-6)
    dec.close()


@pytest.mark.skipif(not ffmpeg_encodes("libopus"), reason="ffmpeg with libopus makes this file")
def test_an_opus_file_cut_without_re_encoding_plays_through_ffmpeg_from_the_cut(tmp_path):
    """``ffmpeg -ss 2.5 -i in.opus -c copy out.opus`` keeps the page the cut falls in, and gives
    it a position less than its packets decode to; libsndfile calls that malformed (the file
    was an error). ffmpeg plays it, without the packets its positions put before the cut
    (half a second of them here), so that it lasts as long as it is listed."""
    from player.library.tags import read_tags

    whole = stepped_opus(tmp_path / "whole.opus", seconds=8, detune=7.0)
    cut = tmp_path / "cut.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-ss", "2.5", "-i", str(whole), "-c", "copy", str(cut)], check=True)
    with pytest.raises(sf.LibsndfileError, match="malformed"):
        sf.SoundFile(str(cut))
    _plays_and_seeks(cut, step_frequency(2) + 7.0, 48000)
    played = read_all(Decoder(str(cut), out_rate=48000))
    assert len(played) / 48000 == pytest.approx(5.5, abs=0.01)
    assert read_tags(str(cut))["duration"] == pytest.approx(5.5, abs=0.01)
    # where it starts in the whole file: 2.5 s (2.0 s, the page's start, when the packets before
    # the cut played); told by a stretch across a step of the pitch, which matches in one place
    source, _ = sf.read(str(whole), dtype="float32")
    probe = played[int(0.4 * 48000): int(0.6 * 48000), 0]
    near = range(int(1.9 * 48000), int(2.6 * 48000))
    start = min(near, key=lambda at: np.abs(source[at + int(0.4 * 48000): at + int(0.6 * 48000), 0] - probe).max())
    assert start / 48000 == pytest.approx(2.5, abs=0.001)


@pytest.mark.parametrize("fmt, name", [("opus", "Opus"), ("ogg", "Ogg Vorbis")])
def test_an_ogg_file_cut_short_opened_directly_says_so_as_the_scan_does(tmp_path, fmt, name):
    """Opened from the file manager (or dropped on the window), a file cut short in its first
    pages is played, not only listed: it failed in libsndfile's words, "Supported file format
    but file is malformed.". It says what the library's scan says of it."""
    from player.library.tags import TagReadError, read_tags

    path = write_track(tmp_path, "cut", fmt=fmt, seconds=1.0)
    path.write_bytes(path.read_bytes()[:1500])
    said = "damaged " + name + " file: it ends early, a copy or download that did not finish?"
    with pytest.raises(TagReadError) as scanned:
        read_tags(str(path))
    assert str(scanned.value) == said
    with pytest.raises(DecodeError) as played:
        Decoder(str(path), out_rate=48000)
    assert str(played.value) == f"cannot play cut.{fmt}: {said}"


@pytest.mark.skipif("OPUS" not in sf.available_subtypes("OGG"), reason="this libsndfile writes no Opus")
def test_an_opus_file_of_no_samples_says_no_audio_not_cut_short(tmp_path):
    """libsndfile closing an Opus file given no sample writes its two header pages and no
    last page marked as the stream's end: it was listed, and played, as "damaged Opus file: it
    ends early", sending the person looking for a copy that did not finish. It holds no audio,
    and says so as an empty Ogg Vorbis file does."""
    from player.library.tags import TagReadError, read_tags

    path = tmp_path / "empty.opus"
    sf.write(path, np.zeros((0, 2), np.float32), 48000, format="OGG", subtype="OPUS")
    with pytest.raises(TagReadError) as scanned:
        read_tags(str(path))
    assert str(scanned.value) == "no audio in file (length 0)"
    with pytest.raises(DecodeError) as played:
        Decoder(str(path), out_rate=48000)
    assert str(played.value) == "cannot play empty.opus: no audio in file (length 0)"


@pytest.mark.parametrize("seconds", [8.0, 0.05])    # many frames, or one
def test_a_flac_cut_inside_its_first_frame_played_says_so_as_the_scan_does(tmp_path, seconds):
    """Its header whole and its audio cut inside the first frame, nothing of it decodes: played
    (a file listed before it was cut, or opened directly), it failed in libsndfile's words,
    "flac decoder lost sync"; a file of one frame was listed at its whole length besides."""
    from player.library.tags import TagReadError, read_tags

    path = write_track(tmp_path, "cut", fmt="flac", seconds=seconds)
    raw = path.read_bytes()
    frames = raw.index(b"\xff\xf8")
    path.write_bytes(raw[:min(frames + 300, (frames + len(raw)) // 2)])
    said = "damaged FLAC file: it ends early, a copy or download that did not finish?"
    with pytest.raises(TagReadError) as scanned:
        read_tags(str(path))
    assert str(scanned.value) == said
    dec = Decoder(str(path), out_rate=44100)
    with pytest.raises(DecodeError) as played:
        dec.read(4096)
    dec.close()
    assert str(played.value) == f"decoding cut.flac failed: {said}"


@pytest.mark.skipif(not ffmpeg_encodes("alac") or not ffmpeg_encodes("flac"), reason="ffmpeg makes these files")
@pytest.mark.parametrize("name, codec", [
    ("alac.caf", ["-c:a", "alac"]),                         # what Apple's tools write
    ("flac.oga", ["-c:a", "flac", "-f", "ogg"]),            # FLAC in Ogg
])
def test_a_file_libsndfile_refuses_in_a_format_it_reads_plays_through_ffmpeg(tmp_path, name, codec):
    path = stepped_tone(tmp_path / name, *codec)
    with pytest.raises(sf.LibsndfileError):
        sf.SoundFile(str(path))
    _plays_and_seeks(path, step_frequency(0))


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_file_neither_libsndfile_nor_ffmpeg_decodes_says_the_scans_reason(tmp_path):
    from player.library.tags import TagReadError, read_tags

    path = tmp_path / "t.flac"
    path.write_bytes(b"fLaC but not really" * 10)
    with pytest.raises(DecodeError, match=r"cannot play t\.flac: ") as caught:
        Decoder(str(path), out_rate=44100)
    # The library's scan's words (libsndfile's, "Error : unknown error in flac decoder.", told
    # the person nothing), without the whole path libsndfile puts in front of its own
    # ("Error opening '/…/t.flac': "): the message names the file already.
    said = str(caught.value)
    with pytest.raises(TagReadError) as scanned:
        read_tags(str(path))
    assert said == f"cannot play t.flac: {scanned.value}"
    assert "Error" not in said and str(tmp_path) not in said, said


def test_a_file_of_no_mpeg_audio_named_mp3_is_not_said_to_be_missing(tmp_path):
    # It is there and regular: the message must not send the person looking for it.
    path = tmp_path / "notes.mp3"
    path.write_bytes(b"these are notes, not audio\n" * 100)
    with pytest.raises(DecodeError) as caught:
        Decoder(str(path), out_rate=44100)
    message = str(caught.value)
    assert message.startswith("cannot play notes.mp3: ") and "damaged MP3 file" in message
    assert "does not exist" not in message and "pipe" not in message


def test_a_damaged_mp3_plays_without_the_mpeg_readers_words_in_the_terminal(tmp_path, capfd):
    # A Xing header that says twice the frames the file holds: libsndfile's MPEG reader,
    # opening it, wrote a warning of its own to the process's stderr (native code).
    path = cut_to_half(write_audio(tmp_path / "cut.mp3", tone(4.0), 44100))
    capfd.readouterr()
    dec = Decoder(str(path), out_rate=44100)
    try:
        heard = read_all(dec)
    finally:
        dec.close()
    assert len(heard) > 44100 and np.abs(heard).max() > 0.1
    assert capfd.readouterr().err == ""
    # So does the analysis, reading it in blocks.
    from segue_common import audio_io

    with audio_io.open_blocks(path) as reader:
        assert len(reader.read(44100)) == 44100
    assert capfd.readouterr().err == ""


def test_a_wav_named_mp3_plays_its_own_samples_though_they_hold_mpeg_frames(tmp_path):
    # A WAV whose 16-bit samples are, byte for byte, an MP3's frames: the WAV is what the file
    # is (22050 Hz, as long as its samples), not the MP3 that its samples happen to spell.
    mp3 = write_audio(tmp_path / "inner.mp3", tone(3.0), 44100).read_bytes()
    samples = np.frombuffer(mp3[:len(mp3) // 2 * 2], "<i2")
    path = tmp_path / "named.mp3"
    sf.write(path, samples, 22050, format="WAV", subtype="PCM_16")
    dec = Decoder(str(path), out_rate=22050)
    try:
        assert dec.samplerate == 22050 and len(read_all(dec)) == len(samples)
    finally:
        dec.close()
    from segue_common import audio_io

    with audio_io.open_blocks(path) as reader:
        assert (reader.samplerate, reader.frames) == (22050, len(samples))


def test_missing_damaged_and_unsupported_files_are_decode_errors(tmp_path, monkeypatch):
    with pytest.raises(DecodeError, match="not found"):
        Decoder(str(tmp_path / "nope.flac"), out_rate=44100)
    (tmp_path / "bad.flac").write_bytes(b"fLaC but not really" * 10)
    with pytest.raises(DecodeError, match="cannot play"):
        Decoder(str(tmp_path / "bad.flac"), out_rate=44100)
    # m4a: libsndfile cannot, and with no ffmpeg/audioread here nothing else can.
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on PATH
    (tmp_path / "song.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(200))
    with pytest.raises(DecodeError, match=r"format not supported \(m4a\)"):
        Decoder(str(tmp_path / "song.m4a"), out_rate=44100)


def _yamaha_adpcm_wav(path):
    """A whole WAV of Yamaha ADPCM (format tag 0x20), written byte by byte: a codec libsndfile
    lacks and ffmpeg decodes."""
    import struct

    data = bytes(range(256)) * 16
    fmt = struct.pack("<HHIIHHH", 0x20, 1, 8000, 4000, 1, 4, 0)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_a_wav_of_a_codec_only_ffmpeg_decodes_says_to_install_ffmpeg_not_damaged(tmp_path, monkeypatch):
    """The scan lists it as a song; played without ffmpeg it was "damaged file" (libsndfile's
    "Malformed 'fmt ' chunk."), which sent the person looking for a fault in a whole file."""
    from player.library.tags import read_tags
    from segue_common.audio_io import INSTALL_FFMPEG

    path = tmp_path / "y.wav"
    _yamaha_adpcm_wav(path)
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        dec = Decoder(str(path), out_rate=44100)    # (what the message promises: ffmpeg plays it)
        try:
            assert len(dec.read(44100)) > 0
        finally:
            dec.close()
    monkeypatch.delenv("SEGUE_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))   # no ffmpeg on PATH
    assert read_tags(str(path))["duration"] > 0
    with pytest.raises(DecodeError) as caught:
        Decoder(str(path), out_rate=44100)
    said = str(caught.value)
    assert said.startswith("cannot play y.wav: ") and INSTALL_FFMPEG in said and "damaged file:" not in said, said


def test_bad_output_format_is_rejected(tmp_path):
    path = write_track(tmp_path, "t", fmt="wav", seconds=0.1)
    with pytest.raises(ValueError):
        Decoder(str(path), out_rate=0)


def test_an_mp3_that_fails_to_open_leaves_no_file_open(tmp_path):
    import os

    bad = tmp_path / "t.mp3"
    bad.write_bytes(b"\xff\xfb\x90\x00" + bytes(2000))   # one MP3 header, then nothing decodable

    def open_on_bad():
        # Only descriptors on this file count: others come and go with earlier tests'
        # threads and garbage, which made a plain count of the process's files flaky.
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                found += os.readlink(f"/proc/self/fd/{fd}") == os.path.realpath(bad)
            except OSError:
                pass
        return found

    for _ in range(5):
        with pytest.raises(DecodeError, match="t.mp3"):
            Decoder(str(bad), out_rate=44100)
    if os.path.isdir("/proc/self/fd"):
        with open(bad, "rb"):
            assert open_on_bad() == 1                  # the count sees a file left open
        assert open_on_bad() == 0


def test_a_chained_ogg_plays_every_link_and_seeks_into_the_later_ones(tmp_path):
    # Files joined end to end (a stream recording, ``cat a.ogg b.ogg``): only the first
    # played, and the track ended at the join.
    from tests.audiogen import chain_oggs

    path = chain_oggs(tmp_path / "chain.ogg", [(tone(2.0, freq=500.0), 44100, "ogg"),
                                               (tone(2.0, freq=700.0, sr=48000), 48000, "opus"),
                                               (tone(2.0, freq=1000.0), 44100, "ogg")])
    dec = Decoder(str(path), out_rate=44100)
    assert dec.total_frames == 6 * 44100
    data = read_all(dec, block=4096)
    assert abs(len(data) - 6 * 44100) <= 2
    for second, freq in ((1, 500.0), (3, 700.0), (5, 1000.0)):
        assert abs(peak_frequency(data[second * 44100 - 11025:second * 44100 + 11025, 0], sr=44100) - freq) < 5
    dec.seek_frame(4 * 44100 + 22050)
    assert dec.frame == 4 * 44100 + 22050
    assert abs(peak_frequency(dec.read(22050)[:, 0], sr=44100) - 1000.0) < 5


def test_a_chain_of_a_5_1_link_and_a_stereo_one_keeps_each_channel_in_its_place(tmp_path):
    from tests.audiogen import chain_oggs

    t = np.arange(48000) / 48000
    surround = np.zeros((48000, 6), np.float32)
    surround[:, 2] = 0.5 * np.sin(2 * np.pi * 440 * t)      # the front right, in Ogg's order
    stereo = np.zeros((48000, 2), np.float32)
    stereo[:, 0] = 0.5 * np.sin(2 * np.pi * 440 * t)        # the left
    path = chain_oggs(tmp_path / "c.ogg", [(surround, 48000, "ogg"), (stereo, 48000, "ogg")])
    out = read_all(Decoder(str(path), out_rate=48000), block=4096)
    rms = np.sqrt(np.mean(out[4800:43200] ** 2, axis=0)), np.sqrt(np.mean(out[52800:91200] ** 2, axis=0))
    assert rms[0][1] > 10 * rms[0][0] and rms[1][0] > 10 * rms[1][1]


# A link of fewer channels than the chain's plays as it does on its own: a mono link as mono,
# as loud as the signal on both sides (it was copied into all six channels of a 5.1 chain, whose
# centre and surround shares made it 2.41 times as loud), a quad link's back pair at the back
# (it went where a 5.1 has its centre and LFE: on both sides, or nowhere).
@pytest.mark.parametrize("link, sounding, left, right", [
    (1, 0, 1.0, 1.0),
    (4, 2, 0.7071, 0.0),        # a quad's back left
    (4, 3, 0.0, 0.7071),        # ... and back right
    (2, 1, 0.0, 1.0),
])
def test_a_link_of_fewer_channels_in_a_5_1_chain_plays_as_it_does_on_its_own(tmp_path, link, sounding, left, right):
    from tests.audiogen import chain_oggs

    t = np.arange(48000) / 48000
    few = np.zeros((48000, link), np.float32)
    few[:, sounding] = 0.5 * np.sin(2 * np.pi * 440 * t)
    surround = np.zeros((48000, 6), np.float32)
    surround[:, 0] = 0.5 * np.sin(2 * np.pi * 440 * t)      # the front left
    path = chain_oggs(tmp_path / "c.ogg", [(few, 48000, "ogg"), (surround, 48000, "ogg")])
    for channels in (2, 1):
        out = read_all(Decoder(str(path), out_rate=48000, channels=channels), block=4096)
        rms = np.sqrt(np.mean(out[4800:43200] ** 2, axis=0)) / (0.5 / np.sqrt(2))
        assert np.allclose(rms, [left, right] if channels == 2 else [(left + right) / 2], atol=0.03)
        rms = np.sqrt(np.mean(out[52800:91200] ** 2, axis=0)) / (0.5 / np.sqrt(2))
        assert np.allclose(rms, [1.0, 0.0] if channels == 2 else [0.5], atol=0.03)


def test_a_damaged_stretch_of_an_ogg_vorbis_is_silence_and_the_rest_plays_where_it_belongs(tmp_path):
    # libsndfile drops the damaged pages and plays what follows as if it came next: the track
    # ended seconds early, and every position after the damage was the file's plus that.
    from tests.audiogen import damage_ogg_pages

    t = np.arange(12 * 44100) / 44100
    sweep = (0.3 * np.sin(2 * np.pi * (200 * t + 25 * t * t))).astype(np.float32)  # each moment its own pitch
    path = write_audio(tmp_path / "sweep.ogg", np.stack([sweep, sweep], axis=1), 44100)
    whole, _ = sf.read(str(path), dtype="float32")
    damage_ogg_pages(path)
    dec = Decoder(str(path), out_rate=44100)
    data = read_all(dec, block=4096)
    assert len(data) == len(whole) == dec.total_frames
    wrong = np.nonzero(np.abs(data[:, 0] - whole[:, 0]) > 1e-3)[0]
    assert 3 * 44100 < wrong[0] and wrong[-1] < 9 * 44100
    assert not data[wrong[0]:wrong[-1] + 1].any()
    # A seek into the damage is silence up to where the file decodes again, then the file.
    middle = (wrong[0] + wrong[-1]) // 2
    dec.seek_frame(middle)
    rest = read_all(dec, block=4096)
    assert len(rest) == len(whole) - middle
    sounding = np.nonzero(rest[:, 0])[0][0]
    assert middle + sounding <= wrong[-1] + 1
    assert np.allclose(rest[sounding:], whole[middle + sounding:], atol=1e-3)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("harm", ["flipped", "removed"])
def test_a_damaged_stretch_of_an_opus_is_silence_and_every_later_second_plays_in_its_place(tmp_path, harm):
    # libsndfile reads on past lost Opus pages as if what follows came next: the second after
    # the damage played a second early, and later the audio jumped back and played again.
    from tests.audiogen import damage_ogg_pages, step_frequency, stepped_opus

    path = stepped_opus(tmp_path / "steps.opus")
    whole = read_all(Decoder(str(path), out_rate=48000), block=4096)
    damage_ogg_pages(path, pages=1, remove=harm == "removed")     # one page: a second of audio
    dec = Decoder(str(path), out_rate=48000)
    data = read_all(dec, block=4096)
    assert len(data) == len(whole) == dec.total_frames == 12 * 48000
    silent = np.nonzero(~data.any(axis=1))[0]
    assert len(silent), "the damaged stretch is not silence"
    start, end = silent[0], silent[-1] + 1
    assert 0.9 * 48000 < end - start <= 48000 and len(silent) == end - start   # one stretch, the page's
    assert 3 * 48000 < start and end < 9 * 48000
    for second in range(12):
        if end < (second + 0.1) * 48000 or (second + 0.9) * 48000 < start:
            window = data[int((second + 0.1) * 48000):int((second + 0.9) * 48000), 0]
            assert abs(peak_frequency(window, sr=48000) - step_frequency(second)) < 5, second
    # Past the moment the decoder needs to find its feet after the gap, every sample is in its place.
    settled = end + 48000 * 3 // 10
    assert np.allclose(data[settled:], whole[settled:], atol=1e-3)
    # A seek into the gap is silence to its end, then the file; one just past it lands in place.
    dec.seek_frame((start + end) // 2)
    rest = read_all(dec, block=4096)
    assert len(rest) == len(whole) - (start + end) // 2 and not rest[:end - (start + end) // 2].any()
    assert np.allclose(rest[settled - (start + end) // 2:], whole[settled:], atol=1e-3)
    dec.seek_frame(settled)
    assert np.allclose(read_all(dec, block=4096), whole[settled:], atol=1e-3)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("harm", ["flipped", "removed"])
def test_an_opus_whose_first_audio_page_is_lost_begins_with_silence_and_keeps_every_second_in_place(tmp_path, harm):
    # libsndfile takes the first page it can read for the stream's start: the track began
    # with its second second, a second short, and every position was a second off.
    from tests.audiogen import damage_ogg_pages, step_frequency, stepped_opus

    path = stepped_opus(tmp_path / "steps.opus", seconds=6)
    whole = read_all(Decoder(str(path), out_rate=48000), block=4096)
    damage_ogg_pages(path, pages=1, remove=harm == "removed", first=2)     # the first second
    dec = Decoder(str(path), out_rate=48000)
    data = read_all(dec, block=4096)
    assert len(data) == len(whole) == dec.total_frames == 6 * 48000
    assert not data[:48000].any() and data[48000:48100].any()
    for second in range(1, 6):
        window = data[int((second + 0.1) * 48000):int((second + 0.9) * 48000), 0]
        assert abs(peak_frequency(window, sr=48000) - step_frequency(second)) < 5, second
    settled = 48000 + 48000 * 3 // 10
    assert np.allclose(data[settled:], whole[settled:], atol=1e-3)
    # A seek into the lost second is silence to its end; one past it lands in place.
    dec.seek_frame(24000)
    rest = read_all(dec, block=4096)
    assert len(rest) == len(whole) - 24000 and not rest[:24000].any()
    assert np.allclose(rest[settled - 24000:], whole[settled:], atol=1e-3)
    dec.seek_frame(3 * 48000 + 100)
    assert np.allclose(read_all(dec, block=4096), whole[3 * 48000 + 100:], atol=1e-3)


def read_held(dec, block=4096):
    """Everything :meth:`Decoder.read` gives with the end held for a join."""
    parts = [np.zeros((0, dec.channels), np.float32)]
    while len(b := dec.read(block, hold_end=True)):
        parts.append(b)
    return np.concatenate(parts)


@pytest.mark.parametrize("rates", [(44100, 48000), (8000, 48000), (192000, 44100), (48000, 44100)])
def test_files_joined_in_one_resampler_give_the_whole_resampled_and_a_join_taken_back_is_made_again(
        tmp_path, rates):
    import soxr

    native, out_rate = rates
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, (3 * native, 2)).astype(np.float32)
    cut = [0, native + 17, 2 * native - 5, 3 * native]
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"p{i}.wav")
        sf.write(str(paths[-1]), noise[cut[i]:cut[i + 1]], native, subtype="FLOAT")
    a, b, c = (Decoder(str(p), out_rate=out_rate) for p in paths)
    first = read_held(a)
    assert a.end_held and a.can_join(b)
    tail = a.join(b)                          # a then b: taken back, c comes after a instead
    assert len(tail) == a.join_tail
    a.unjoin()
    assert a.frame == len(first) and a.join_tail is None
    first = np.concatenate([first, read_held(a)])
    assert a.can_join(c)
    tail = a.join(c)
    c.finish()
    rest = read_all(c)
    out = np.concatenate([first, tail, rest])
    want = soxr.resample(np.concatenate([noise[:cut[1]], noise[cut[2]:]]), native, out_rate, quality="HQ")
    assert len(out) == len(want)
    assert np.abs(out - want).max() < 1e-5
    # each file's share ends where its end falls in the output
    assert len(first) + len(tail) == round(cut[1] * out_rate / native)


def test_a_next_file_waited_on_halfway_through_a_rewrite_is_not_joined_to_and_plays_from_its_start_once(tmp_path):
    # A tagger saving the album as it plays rewrites the next file in place after it was
    # opened; a seek asked of it meanwhile (the feeder puts it back at its start at every seek
    # in the song playing) waits until the file is read again. Joined to meanwhile, the join
    # read its start from the file as it was, and the seek made after put it back there:
    # that start was heard twice (72 ms of it at 48 kHz into 44.1 kHz).
    import soxr

    native, out_rate = 48000, 44100
    t = np.arange(4 * native) / native
    whole = np.stack([0.3 * np.sin(2 * np.pi * 440 * t * (1 + t / 8))] * 2, 1).astype(np.float32)
    sf.write(str(tmp_path / "a.flac"), whole[:2 * native], native)
    sf.write(str(tmp_path / "b.flac"), whole[2 * native:], native)
    a, b = Decoder(str(tmp_path / "a.flac"), out_rate=out_rate), Decoder(str(tmp_path / "b.flac"), out_rate=out_rate)
    first = read_held(a)
    path = tmp_path / "b.flac"
    path.write_bytes(path.read_bytes())     # (the same song, written in place)
    b.seek_frame(0)
    assert b.settling
    if a.can_join(b):
        got = [first, a.join(b)]
    else:       # (each file's resampler ends and starts on its own, as the feeder does then)
        a.finish()
        got = [first, read_all(a)]
    got.append(read_all(b, block=4096))     # (waiting for the file as a read does)
    got = np.concatenate(got)
    assert len(got) == 4 * out_rate
    heard_b = got[2 * out_rate + 100:]      # (past where the two resamplers meet)
    want = soxr.resample(whole, native, out_rate, quality="HQ")[2 * out_rate + 100:]
    assert np.abs(heard_b - want).max() < 1e-3


@pytest.mark.parametrize("quality, channels", [(0.5, 2), (1.0, 1)])
def test_a_seek_into_the_last_page_of_an_ogg_vorbis_file_lands_on_the_frame_asked(tmp_path, quality, channels):
    # libsndfile's own seek into the last page of a Vorbis file lands tens to hundreds of
    # frames late: a seek near the end must give what a decode from the start gives there.
    sr, n = 44100, 10 * 44100 + 4000
    t = np.arange(n) / sr
    noise = np.random.default_rng(1).standard_normal(n)
    x = (0.3 * np.sin(2 * np.pi * 440 * t + 0.5) + 0.1 * np.sin(2 * np.pi * 3123 * t) + 0.02 * noise)
    path = tmp_path / "a.ogg"
    sf.write(str(path), np.stack([x.astype(np.float32)] * channels, 1), sr, format="OGG", subtype="VORBIS",
             compression_level=quality)
    full = read_all(Decoder(str(path), out_rate=sr, channels=1))[:, 0]
    for frame in list(range(len(full) - sr, len(full) - 50, 2003)) + [len(full) - 1]:
        dec = Decoder(str(path), out_rate=sr, channels=1)
        dec.seek_frame(frame)
        got = dec.read(50)[:, 0]
        assert dec.frame == frame + len(got)
        assert np.allclose(got, full[frame:frame + 50], atol=1e-6), f"seek to {frame} of {len(full)}"


@pytest.mark.parametrize("state", ["cut off", "not yet written"])
def test_a_file_caught_halfway_through_its_rewrite_plays_on_once_written(tmp_path, state):
    # A tag editor writing the file in place leaves it cut off, or its audio not yet there,
    # for a moment: the last block read is not found in it then. That is no other song copied
    # over it: once it is written back, the song plays on from where it was, to its end. The
    # feeder reads without waiting: it is told the file is being waited on, and plays what it
    # has buffered meanwhile (the wait held its thread, and so the next song and every command).
    import threading

    path = write_track(tmp_path, "song", fmt="flac", seconds=4.0, freq=440.0)
    whole = path.read_bytes()
    reference = read_all(Decoder(str(path), out_rate=44100), block=4096)
    dec = Decoder(str(path), out_rate=44100)
    head = [dec.read(4096) for _ in range(30)]          # 2.8 s in
    with open(path, "r+b") as f:
        if state == "cut off":
            f.truncate(len(whole) // 4)
        else:
            f.seek(len(whole) // 4)
            f.write(bytes(len(whole) - len(whole) // 4))

    def write_back():
        with open(path, "r+b") as f:
            f.write(whole)

    writer = threading.Timer(0.2, write_back)
    writer.start()
    got = head
    try:
        looks = read_on(dec, got)
    finally:
        writer.join()
    got = np.concatenate(got)
    assert looks > 1 and not dec.replaced
    assert len(got) == len(reference) and np.allclose(got, reference, atol=1e-4)


def test_a_seek_while_the_file_is_waited_on_lands_where_asked_once_it_is_written(tmp_path):
    # A seek asked while a tag editor's rewrite is waited out went to the reader still open on
    # the file as it was: an MP3 cut off before the place asked failed ("seeking in song.mp3
    # failed: ... Invalid argument") and its song ended there. It is made once the file is
    # written back, and plays on from there.

    path = write_track(tmp_path, "song", fmt="mp3", seconds=4.0, freq=440.0)
    whole = path.read_bytes()
    reference = read_all(Decoder(str(path), out_rate=44100), block=4096)
    dec = Decoder(str(path), out_rate=44100)
    for _ in range(10):                                 # 0.9 s in
        dec.read(4096)
    with open(path, "r+b") as f:
        f.truncate(len(whole) // 4)
    while len(dec.read(4096, wait=False)):
        pass                                            # (what was decoded before it)
    assert dec.settling
    asked = 3 * 44100
    dec.seek_frame(asked)
    assert dec.frame == asked
    with open(path, "r+b") as f:
        f.write(whole)
    got = []
    read_on(dec, got)
    got = np.concatenate(got)
    assert not dec.replaced
    assert len(got) == len(reference) - asked and np.allclose(got, reference[asked:], atol=1e-4)


def test_a_file_on_a_disk_that_keeps_its_time_to_the_second_is_read_once_written_whole(tmp_path):
    # A FAT32 disk (a memory card, a stick) keeps a file's time to the even second: a tag
    # editor that sizes the file first, then writes it in pieces, leaves it looking the same
    # for as long as that. Opened a quarter second after the first change seen, the song was
    # read halfway through the rewrite and ended there (1.86 s heard of 6 s). The disk is
    # played here by the time its writes leave on the file.
    import threading
    import time

    from mutagen.flac import FLAC, Picture

    def fat_time(fd):
        stamp = time.time_ns() // 2_000_000_000 * 2_000_000_000
        os.utime(fd, ns=(stamp, stamp))

    path = write_track(tmp_path, "song", fmt="flac", seconds=3.0, freq=440.0)
    retagged = shutil.copyfile(path, tmp_path / "retagged.flac")
    tags, picture = FLAC(str(retagged)), Picture()
    picture.type, picture.mime, picture.data = 3, "image/jpeg", os.urandom(300_000)
    tags.add_picture(picture)
    tags.save()
    new = retagged.read_bytes()
    day_ago = (time.time_ns() - 86_400 * 10**9) // 2_000_000_000 * 2_000_000_000
    os.utime(path, ns=(day_ago, day_ago))
    reference = read_all(Decoder(str(path), out_rate=44100), block=4096)
    dec = Decoder(str(path), out_rate=44100)
    got = [dec.read(4096) for _ in range(10)]          # 0.93 s in
    f = open(path, "r+b")
    f.truncate(len(new))        # (sized first, as mutagen does)
    fat_time(f.fileno())

    def write_in_pieces(pieces=10):
        step = -(-len(new) // pieces)
        with f:
            for i in range(pieces):
                f.write(new[i * step:(i + 1) * step])
                f.flush()
                fat_time(f.fileno())
                time.sleep(0.06)

    writer = threading.Thread(target=write_in_pieces)
    writer.start()
    try:
        read_on(dec, got)
    finally:
        writer.join()
    got = np.concatenate(got)
    assert not dec.replaced
    assert len(got) == len(reference) and np.allclose(got, reference, atol=1e-4), len(got) / 44100


def _keep_changing(path, write) -> tuple:
    """A thread calling ``write(file)`` on ``path`` every 0.1 s until the event it gives is set."""
    import threading
    import time

    stop = threading.Event()

    def run():
        while not stop.is_set():
            with open(path, "r+b") as f:
                write(f)
            time.sleep(0.1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return stop, thread


def test_a_file_that_never_stops_changing_is_read_on_once_given_up_on(tmp_path, monkeypatch):
    # A file whose time stamp moves every moment (a share's, or a tag grown at its end) holds
    # the same song all along. Waited for until it stays as it is, it never was: once given up
    # on, each block read waited as long again (0.46 s of audio read in 11 s). Once it has
    # kept changing that long, it is read on at every change, as it was before.
    import time

    from player.audio import decoder

    monkeypatch.setattr(decoder, "REWRITE_GIVE_UP_S", 0.5)
    path = write_track(tmp_path, "song", fmt="flac", seconds=4.0, freq=440.0)
    reference = read_all(Decoder(str(path), out_rate=44100), block=4096)
    dec = Decoder(str(path), out_rate=44100)
    got = [dec.read(4096)]

    def touch(f):
        st = os.fstat(f.fileno())
        os.utime(f.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    stop, thread = _keep_changing(path, touch)
    waits, since = [], None     # how long each wait for the file lasted; since when it waits now
    try:
        until = time.monotonic() + 30.0
        while time.monotonic() < until and (len(block := dec.read(4096, wait=False)) or dec.settling):
            now = time.monotonic()
            if dec.settling and since is None:
                since = now
            elif not dec.settling and since is not None:
                waits.append(now - since)
                since = None
            if len(block):
                got.append(block)
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
    # The first wait is for it to stay as it is, given up on; each later one only for its open
    # again at a change (made on a thread of its own, for the feeder to obey commands meanwhile),
    # never for it to stay as it is again.
    assert since is None and waits and all(wait < decoder.REWRITE_GIVE_UP_S for wait in waits[1:])
    assert not dec.replaced
    got = np.concatenate(got)
    assert len(got) == len(reference) and np.allclose(got, reference, atol=1e-4)


def test_another_song_written_over_a_file_again_and_again_is_not_waited_for_ever(tmp_path, monkeypatch):
    # Another song written over the playing file every moment (a sync tool gone round in a
    # loop) never stays as it is for long enough to be taken for another song: a read that
    # waits (a crossfade's) waited for ever, and with it the feeder and every command.
    import threading

    from player.audio import decoder

    monkeypatch.setattr(decoder, "REWRITE_GIVE_UP_S", 0.5)
    path = write_track(tmp_path, "song", fmt="flac", seconds=4.0, freq=440.0)
    other = write_track(tmp_path, "other", fmt="flac", seconds=4.0, freq=1234.0).read_bytes()
    dec = Decoder(str(path), out_rate=44100)
    dec.read(4096)
    stop, thread = _keep_changing(path, lambda f: f.write(other))
    got = []
    reader = threading.Thread(target=lambda: got.append(dec.read(4096)), daemon=True)
    try:
        reader.start()
        reader.join(10)
    finally:
        stop.set()
        thread.join()
    # It comes back: ended as another song, or, opened halfway through a write and not
    # opening, read on as it is (the reader says what is wrong, as for a file that stays so).
    assert got, "the read waited for a file that never stops changing"


@pytest.mark.skipif(not ffmpeg_encodes("aac"), reason="ffmpeg makes this file")
def test_an_m4a_played_through_ffmpeg_and_retagged_in_place_plays_on_to_its_end(tmp_path):
    # An M4A is read through ffmpeg, whose blocks are of its own size, and AAC fills some bands
    # of noisy music with noise of its own at every decode: the last block read, read again
    # from the retagged file, came in two and was not the same to a hair, and the song ended
    # there as if another had been copied over it.
    import subprocess

    import soundfile as sf
    from mutagen.mp4 import MP4

    sr = 44100
    t = np.arange(4 * sr) / sr
    noisy = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.random.default_rng(1).standard_normal(len(t))
    sf.write(str(tmp_path / "song.wav"), np.stack([noisy, np.roll(noisy, 100)], axis=1), sr)
    path = tmp_path / "song.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "song.wav"), "-c:a", "aac", str(path)], check=True)
    whole = path.read_bytes()
    length = len(read_all(Decoder(str(path), out_rate=sr), block=4096))
    for heard in (2.0, 3.0):
        path.write_bytes(whole)
        dec = Decoder(str(path), out_rate=sr)
        got = sum(len(dec.read(4096)) for _ in range(int(heard * sr / 4096)))
        tags = MP4(str(path))
        tags["\xa9cmt"] = ["x" * 100_000]
        tags.save()
        got += len(read_all(dec, block=4096))
        assert not dec.replaced and got == length, heard



@pytest.mark.skipif(not ffmpeg_encodes("libopus") or shutil.which("ffprobe") is None, reason="ffmpeg makes this file")
def test_a_webm_rewritten_in_place_is_decoded_up_to_where_it_was_once_and_plays_on(tmp_path, monkeypatch):
    # A WebM's times are not exact to the sample: ffmpeg decodes it from the start up to any
    # place it is asked to go to (seconds, deep into a long file). Opened again after a rewrite
    # in place, it was decoded up to the last block read, to be compared, and then again up
    # to the end of that block, where the reader already was.
    import re

    sr = 48000
    t = np.arange(3 * sr) / sr
    sf.write(str(tmp_path / "song.wav"), np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, 1), sr)
    path = tmp_path / "song.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "song.wav"), "-c:a", "libopus", str(path)],
                   check=True)
    folder, runs = tmp_path / "counted-ffmpeg", tmp_path / "ffmpeg-runs"
    folder.mkdir()
    (folder / "ffprobe").symlink_to(shutil.which("ffprobe"))
    (folder / "ffmpeg").write_text(f'#!/bin/sh\necho "$*" >> \'{runs}\'\nexec "{shutil.which("ffmpeg")}" "$@"\n')
    (folder / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("SEGUE_FFMPEG", str(folder / "ffmpeg"))
    reference = read_all(Decoder(str(path), out_rate=sr), block=4096)
    dec = Decoder(str(path), out_rate=sr)
    got = [dec.read(4096) for _ in range(20)]          # 1.7 s in
    runs.write_text("")
    path.write_bytes(path.read_bytes())     # (the same version copied over it, in place)
    read_on(dec, got)
    got = np.concatenate(got)
    assert not dec.replaced
    assert len(got) == len(reference) and np.allclose(got, reference, atol=1e-4)
    # (each ffmpeg run's first sample kept: the decoder's lead-in aside, 0 is the start)
    places = [int(m) for m in re.findall(r"atrim=start_sample=(\d+)", runs.read_text())]
    assert len([p for p in places if p > sr]) == 1, places

@pytest.mark.parametrize("db", [-9.0, 6.0])
def test_a_gain_written_into_the_playing_file_plays_on(tmp_path, db):
    # A loudness tool writes its gain into the file's frames in place (mp3gain changes every
    # MP3 frame's global gain, 1.5 dB a step; a normaliser rewrites the samples): the same
    # song, louder or quieter from there on, not another song copied over it.
    import soundfile as sf

    sr = 44100
    t = np.arange(4 * sr) / sr
    song = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.05 * np.random.default_rng(1).standard_normal(len(t))
    path, louder = tmp_path / "song.flac", tmp_path / "gained.flac"
    sf.write(str(path), np.stack([song, song], axis=1), sr)
    sf.write(str(louder), np.stack([song, song], axis=1) * 10 ** (db / 20), sr)
    dec = Decoder(str(path), out_rate=sr)
    got = sum(len(dec.read(4096)) for _ in range(20))
    with open(path, "r+b") as f:
        f.write(louder.read_bytes())
        f.truncate()
    got += len(read_all(dec, block=4096))
    assert not dec.replaced and got == len(song)


def _flac_of_headers_alone(path):
    """A FLAC file as an encoder writing to a pipe leaves it when closed before any sample:
    "fLaC", its metadata blocks, its STREAMINFO's length 0 (unknown), and no frame."""
    sf.write(path, tone(0.5, sr=44100), 44100, format="FLAC")
    forget_flac_length(path)
    data = path.read_bytes()
    at = 4
    while True:     # each block: 1 byte (last-block flag, type), 3 bytes of size, its body
        last, size = data[at] & 0x80, int.from_bytes(data[at + 1:at + 4], "big")
        at += 4 + size
        if last:
            break
    path.write_bytes(data[:at])
    return path


@pytest.mark.parametrize("kind", ["flac", "wav", "aiff", "mp3"])
def test_a_file_of_headers_and_no_audio_is_refused_with_that_reason(tmp_path, kind):
    """A file whose headers are whole and that holds no sample (an encoder or recorder closed
    at once) opened and "played" as nothing, a finished play of 0 s, where the library's scan
    lists it as holding no audio (as an empty Ogg file already was). Played (changed since it
    was listed, or opened directly) it is refused with the scan's words."""
    from player.library.tags import TagReadError, read_tags

    path = tmp_path / f"empty.{kind}"
    if kind == "flac":
        _flac_of_headers_alone(path)
    elif kind == "mp3":
        if not lame_available():
            pytest.skip("no libmp3lame to write the MP3's LAME tag frame")
        lame_mp3(path, np.zeros((0, 2), np.int16), 44100)   # its LAME tag frame alone
    else:
        sf.write(path, np.zeros((0, 2), np.float32), 44100, format=kind.upper())
    with pytest.raises(TagReadError) as scanned:
        read_tags(str(path))
    assert str(scanned.value) == "no audio in file (length 0)"
    with pytest.raises(DecodeError) as played:
        Decoder(str(path), out_rate=48000)
    assert str(played.value) == f"cannot play empty.{kind}: no audio in file (length 0)"


def test_a_flac_of_unknown_length_with_frames_still_plays(tmp_path):
    """The check for a FLAC of headers alone leaves one whose STREAMINFO leaves the length out
    but whose frames follow (written to a pipe) playing whole."""
    path = tmp_path / "piped.flac"
    sf.write(path, tone(0.5, sr=44100), 44100, format="FLAC")
    forget_flac_length(path)
    dec = Decoder(str(path), out_rate=44100)
    try:
        assert len(read_all(dec, 4096)) == 22050
    finally:
        dec.close()


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_a_playing_file_written_over_with_no_audio_ends_as_another_file(tmp_path, kind):
    """A file written over in place, as it plays, with one of its headers and no audio (an
    encoder closed at once over it) no longer holds the song: its play ends there as one
    whose file came to hold something else (not a play heard to its end), as it did before
    such a file was refused on open."""
    path = write_audio(tmp_path / f"song.{kind}", tone(3.0, sr=44100), 44100)
    empty = tmp_path / f"empty.{kind}"
    if kind == "flac":
        _flac_of_headers_alone(empty)
    else:
        sf.write(empty, np.zeros((0, 1), np.float32), 44100)
    replaced, got = _read_written_over(path, empty, 44100)
    assert replaced and 10 * 4096 <= got < 10 * 4096 + 441     # (ended there: no more of it)


def _read_written_over(path, empty, out_rate: int) -> tuple[bool, int]:
    """Whether a Decoder reading ``path`` took it for another file once ``empty`` was written
    over it in place after 10 blocks, and the frames it read in all."""
    dec = Decoder(str(path), out_rate=out_rate)
    try:
        got = sum(len(dec.read(4096)) for _ in range(10))
        with open(path, "r+b") as f:
            f.write(empty.read_bytes())
            f.truncate()
        while len(block := dec.read(4096)):
            got += len(block)
    finally:
        dec.close()
    return dec.replaced, got


@pytest.mark.parametrize("kind, codec", [("m4a", "alac"), ("opus", "libopus")])
def test_a_playing_file_ffmpeg_makes_written_over_with_no_audio_ends_as_another_file(tmp_path, kind, codec):
    """A file only ffmpeg reads, written over as it plays with one of its headers and no
    audio (a recorder stopped at once over it): refused on open for the scan's reason, "no
    audio in file", it must still end its play as one that came to hold something else. Read
    again as a file that does not open, it was read on to its end, a play heard to its end
    (a full play for the recommender) of a song cut off."""
    if not ffmpeg_encodes(codec):
        pytest.skip(f"ffmpeg with {codec} makes these files")
    path = tmp_path / f"song.{kind}"
    write_audio(tmp_path / "song.wav", tone(3.0, sr=48000), 48000)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "song.wav"), "-c:a", codec, str(path)], check=True)
    empty = tmp_path / f"empty.{kind}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-frames:a", "0",
                    "-c:a", codec, str(empty)], check=True)
    with pytest.raises(DecodeError, match="no audio in file"):
        Decoder(str(empty), out_rate=48000)
    replaced, got = _read_written_over(path, empty, 48000)
    assert replaced and got < 3 * 48000
