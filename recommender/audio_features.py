"""Audio front ends on the best torch device: the tagger's log-mel and MFCC(39).

Decoding goes through :mod:`segue_common.audio_io` (soundfile, with the playback fallback);
everything after it runs in torch, batched across tracks, on CUDA, then Apple MPS, then CPU
(:func:`best_device`; ``SEGUE_DEVICE=cpu|cuda|mps`` overrides). librosa is never imported
here: the slaney mel filterbank is re-derived in numpy and the tests check it against
librosa's.

Front ends (both ``center=True`` with zero padding and a periodic Hann window, as librosa):

- tagger: 16 kHz, n_fft 512, hop 256, 96 mel bands, ``log10(1 + 10000·power)`` (musicnn);
- MFCC summary: 22,050 Hz, n_fft 1024, hop 512, 128 mel bands, 13 MFCCs (dB, DCT-II ortho) with
  first and second differences (Savitzky-Golay, width 9, as ``librosa.feature.delta``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


class FeatureError(ValueError):
    """Bad input to a front end (empty, wrong shape, non-finite)."""


@dataclass(frozen=True)
class MelSpec:
    sr: int
    n_fft: int
    hop: int
    n_mels: int


TAGGER_MEL = MelSpec(sr=16000, n_fft=512, hop=256, n_mels=96)
MFCC_MEL = MelSpec(sr=22050, n_fft=1024, hop=512, n_mels=128)
N_MFCC = 13


def best_device(preference: str | None = None):
    """The torch device for analysis (:func:`recommender.device.pick_device`'s rule).

    ``preference`` is the app setting ("auto", "cpu", "cuda", "mps"); ``SEGUE_DEVICE``
    overrides it, and an unavailable choice falls back to CUDA > MPS > CPU.
    """
    import torch

    from recommender.device import pick_device

    return torch.device(pick_device(preference))


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    mels = f / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, mels)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(*, sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney-normalised triangular mel filters, as ``librosa.filters.mel`` (fmin 0, fmax sr/2).

    Returns float32 [shape=(n_mels, 1 + n_fft // 2)].
    """
    fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


_CACHE: dict = {}


def _constants(spec: MelSpec, device):
    import torch

    key = (spec, str(device))
    if key not in _CACHE:
        fb = torch.from_numpy(mel_filterbank(sr=spec.sr, n_fft=spec.n_fft, n_mels=spec.n_mels))
        window = torch.hann_window(spec.n_fft, periodic=True)
        _CACHE[key] = (fb.to(device), window.to(device))
    return _CACHE[key]


def mel_power(signals: Sequence[np.ndarray], *, spec: MelSpec = TAGGER_MEL, device=None,
              batched: bool | None = None) -> list:
    """Mel power spectrograms of several mono signals in one batched STFT.

    Parameters
    ----------
    signals : mono float32 arrays [shape=(n_i,)] at ``spec.sr``.
    spec : the front end (:data:`TAGGER_MEL` or :data:`MFCC_MEL`).
    device : torch device (default :func:`best_device`).
    batched : one zero-padded STFT for all signals (default: on GPUs only).

    Returns
    -------
    list of torch tensors on ``device``, each [shape=(n_mels, 1 + n_i // hop)].
    """
    import torch

    if not signals:
        return []
    for s in signals:
        if s.ndim != 1 or s.size == 0:
            raise FeatureError(f"expected non-empty mono signals, got shape {s.shape}")
    device = device or best_device()
    fb, window = _constants(spec, device)
    # One STFT for the whole batch on a GPU; one track at a time on the CPU, where the padded
    # [B, bins, frames] intermediates are memory-bound (measured ~25% slower batched).
    if batched is None:
        batched = device.type != "cpu"
    group = len(signals) if batched else 1
    out = []
    for start in range(0, len(signals), group):
        chunk = signals[start: start + group]
        longest = max(len(s) for s in chunk)
        batch = np.zeros((len(chunk), longest), np.float32)
        for i, s in enumerate(chunk):
            batch[i, : len(s)] = s
        x = torch.from_numpy(batch).to(device)
        stft = torch.stft(x, spec.n_fft, hop_length=spec.hop, window=window, center=True,
                          pad_mode="constant", return_complex=True)
        power = stft.real.square() + stft.imag.square()        # (B, 1 + n_fft/2, frames)
        mel = torch.matmul(fb, power)                           # (B, n_mels, frames)
        out.extend(mel[i, :, : 1 + len(s) // spec.hop] for i, s in enumerate(chunk))
    return out


def tagger_logmel(signals: Sequence[np.ndarray], *, device=None) -> list:
    """musicnn's input: ``log10(1 + 10000·mel)`` at 16 kHz, each [shape=(frames, 96)] (time first)."""
    return [torch_log_compress(m).T for m in mel_power(signals, spec=TAGGER_MEL, device=device)]


def torch_log_compress(mel):
    return (mel * 10000.0 + 1.0).log10()


def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """DCT-II with orthonormal scaling [shape=(n_out, n_in)], as scipy.fft.dct(norm='ortho')."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


def mfcc39(signals: Sequence[np.ndarray], *, device=None) -> list[np.ndarray]:
    """13 MFCCs plus first and second differences for each 22,050 Hz mono signal.

    Matches ``librosa.feature.mfcc(y, sr=22050, n_fft=1024, hop_length=512, n_mels=128,
    n_mfcc=13)`` stacked with ``librosa.feature.delta`` of orders 1 and 2.

    Returns float32 arrays [shape=(39, frames)] (numpy, on the CPU).
    """
    return [m for m, _ in _mfcc_and_onsets(signals, device=device)]


def _mfcc_and_onsets(signals: Sequence[np.ndarray], *, device=None) -> list[tuple[np.ndarray, np.ndarray]]:
    import torch
    from scipy.signal import savgol_filter

    device = device or best_device()
    dct = torch.from_numpy(_dct_matrix(MFCC_MEL.n_mels, N_MFCC)).to(device)
    out = []
    for mel in mel_power(signals, spec=MFCC_MEL, device=device):
        db = 10.0 * torch.log10(mel.clamp_min(1e-10))           # power_to_db(ref=1, amin=1e-10)
        db = torch.maximum(db, db.max() - 80.0)                   # top_db=80
        onsets = (db[:, 1:] - db[:, :-1]).clamp_min(0).mean(0)   # spectral flux, as librosa's onset_strength
        mfcc = (dct @ db).cpu().numpy().astype(np.float64)
        if mfcc.shape[1] >= 9:
            d1 = savgol_filter(mfcc, 9, polyorder=1, deriv=1, axis=-1, mode="interp")
            d2 = savgol_filter(mfcc, 9, polyorder=2, deriv=2, axis=-1, mode="interp")
        else:  # too short for the delta window: no motion information
            d1 = d2 = np.zeros_like(mfcc)
        out.append((np.concatenate([mfcc, d1, d2]).astype(np.float32), onsets.cpu().numpy()))
    return out


def estimate_tempo(onsets: np.ndarray, *, fps: float = MFCC_MEL.sr / MFCC_MEL.hop,
                   lo_bpm: float = 50.0, hi_bpm: float = 220.0, min_periodicity: float = 0.2) -> float | None:
    """Beats per minute from an onset-strength envelope [shape=(frames,)] by autocorrelation,
    weighted by a log-normal prior around 120 BPM (one octave wide), as librosa's tempo.
    None when the envelope is too short (< 4 s) or has no clear pulse (autocorrelation at the
    chosen lag below ``min_periodicity`` of its zero-lag value). Octave errors are possible."""
    if onsets.ndim != 1:
        raise FeatureError(f"expected a 1-D onset envelope, got {onsets.shape}")
    if len(onsets) < 4 * fps or not np.any(onsets > 0):
        return None
    x = onsets - onsets.mean()
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, n)) ** 2)[: len(x)]
    lags = np.arange(int(fps * 60 / hi_bpm), int(fps * 60 / lo_bpm) + 1)
    bpm = 60.0 * fps / lags
    score = ac[lags] * np.exp(-0.5 * np.log2(bpm / 120.0) ** 2)
    best = int(np.argmax(score))
    if ac[lags[best]] < min_periodicity * ac[0]:  # no clear pulse (a drone, speech, noise)
        return None
    if 0 < best < len(lags) - 1:  # parabolic interpolation between lags
        a, b, c = score[best - 1: best + 2]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        return float(60.0 * fps / (lags[best] + shift))
    return float(bpm[best])


def loudness_db(y: np.ndarray, *, sr: int, gate_db: float = -70.0) -> float | None:
    """Gated RMS level in dBFS of a mono signal: mean power over 400 ms blocks above ``gate_db``
    (an absolute gate, as in EBU R128, without its K-weighting). None for silence."""
    block = max(1, int(0.4 * sr))
    n = len(y) // block
    if n == 0:
        power = np.array([np.mean(np.square(y, dtype=np.float64))]) if len(y) else np.array([0.0])
    else:
        power = np.mean(np.square(y[: n * block].reshape(n, block), dtype=np.float64), axis=1)
    kept = power[power > 10 ** (gate_db / 10)]
    return float(10 * np.log10(kept.mean())) if kept.size else None


@dataclass
class Descriptors:
    mfcc: np.ndarray            # float32 [78]: means and std of MFCC(39)
    tempo: float | None         # BPM
    loudness: float | None      # gated RMS dBFS


def describe(signals: Sequence[np.ndarray], *, device=None) -> list[Descriptors]:
    """MFCC summary, tempo and loudness for 22,050 Hz mono signals, mel batched on ``device``."""
    return [Descriptors(summarise_mfcc(m), estimate_tempo(o), loudness_db(y, sr=MFCC_MEL.sr))
            for y, (m, o) in zip(signals, _mfcc_and_onsets(signals, device=device))]


def summarise_mfcc(mfcc: np.ndarray) -> np.ndarray:
    """Per-track summary of MFCC(39): means then standard deviations, float32 [shape=(78,)]."""
    if mfcc.ndim != 2 or mfcc.shape[0] != 3 * N_MFCC:
        raise FeatureError(f"expected [39, frames] MFCCs, got {mfcc.shape}")
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]).astype(np.float32)
