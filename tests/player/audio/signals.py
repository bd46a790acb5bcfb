"""Test signals: a sine split across files, and checks that find gaps and clicks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def sine(n: int, *, freq: float, sr: int, amp: float = 0.3, start: int = 0) -> np.ndarray:
    """Samples ``start .. start + n`` of an endless sine [shape=(n,)], float32."""
    t = (np.arange(n) + start) / sr
    return (amp * np.sin(2 * np.pi * freq * t + 0.5)).astype(np.float32)


def write_sine_parts(folder: Path, lengths: list[int], *, freq: float = 440.0, sr: int = 44100,
                     amp: float = 0.3, ext: str = "wav") -> tuple[list[Path], np.ndarray]:
    """Consecutive pieces of one sine as stereo files; returns the paths and the whole wave."""
    whole = sine(sum(lengths), freq=freq, sr=sr, amp=amp)
    paths, at = [], 0
    for i, n in enumerate(lengths):
        path = folder / f"part{i}.{ext}"
        piece = whole[at:at + n]
        subtype = "FLOAT" if ext == "wav" else "PCM_24"
        sf.write(str(path), np.stack([piece, piece], axis=1), sr, subtype=subtype)
        paths.append(path)
        at += n
    return paths, whole


def active_region(x: np.ndarray, *, threshold: float = 1e-3) -> np.ndarray:
    """The part of mono ``x`` between the first and last sample above ``threshold``."""
    idx = np.nonzero(np.abs(x) > threshold)[0]
    if len(idx) == 0:
        return x[:0]
    return x[idx[0]:idx[-1] + 1]


def sine_residual(x: np.ndarray, *, freq: float, sr: int) -> np.ndarray:
    """How far each sample is from continuing a pure sine (0 for a perfect one).

    A sinusoid obeys x[n] = 2 cos(w) x[n-1] - x[n-2]; a gap, click, jump or
    repeated block breaks it by an amount of the order of the amplitude.
    """
    w = 2 * np.pi * freq / sr
    return x[2:] - 2 * np.cos(w) * x[1:-1] + x[:-2]


def peak_frequency(x: np.ndarray, *, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spectrum)])


def tone_level(x: np.ndarray, freq: float, *, sr: int) -> float:
    """Level of ``freq`` in the windowed spectrum of ``x``, as a share of its strongest bin."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spectrum[np.argmin(np.abs(freqs - freq))] / spectrum.max())
