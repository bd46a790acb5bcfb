"""Generated audio for the self-test: chords written and tagged in the formats Segue reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from player.selftest.base import check

CLIP_S = 6.0
CLIP_SR = 44100
# (file name, format, title, artist, genre, chord in Hz); different spectra per artist.
CLIPS = [
    ("low.flac", "flac", "Low Hum", "Selftest Drone", "Ambient", (110.0, 165.0, 220.0)),
    ("mid.ogg", "ogg", "Middle", "Selftest Drone", "Ambient", (130.8, 196.0, 261.6)),
    ("high.mp3", "mp3", "High Click", "Selftest Beat", "Electronic", (880.0, 1320.0, 1760.0)),
]
_SF_FORMATS = {"flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "mp3": ("MP3", "MPEG_LAYER_III")}


def make_clip(chord: tuple[float, ...], *, seconds: float = CLIP_S, sr: int = CLIP_SR,
              seed: int = 0) -> np.ndarray:
    """A stereo test clip: a chord with a pulsing envelope plus a little noise.

    Returns
    -------
    np.ndarray [shape=(round(seconds * sr), 2)] float32 in [-1, 1]
    """
    if seconds <= 0 or sr <= 0 or not chord:
        raise ValueError(f"make_clip needs a chord, seconds > 0 and sr > 0 (got {chord}, {seconds}, {sr})")
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sr))) / sr
    y = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in chord) / len(chord)
    beat = 0.6 + 0.4 * np.abs(np.sin(np.pi * 2.0 * t))          # 4 pulses a second
    y = 0.4 * beat * y + 0.02 * rng.standard_normal(len(t))
    left, right = y, np.roll(y, 11)
    return np.clip(np.stack([left, right], axis=1), -1, 1).astype(np.float32)


def write_clip(path: Path, data: np.ndarray, *, fmt: str, sr: int = CLIP_SR, **tags: str) -> Path:
    """Write ``data`` [shape=(n, channels)] with soundfile and tag it with mutagen."""
    import mutagen
    import soundfile as sf

    major, subtype = _SF_FORMATS[fmt]
    sf.write(str(path), data, sr, format=major, subtype=subtype)
    audio = mutagen.File(str(path), easy=True)
    check(audio is not None, f"mutagen cannot open the {fmt} file it was given")
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = [value]
    audio.save()
    return path


# -- the steps ---------------------------------------------------------------------
