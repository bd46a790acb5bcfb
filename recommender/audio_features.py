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
              batched: bool | None = None, center: bool = True) -> list:
    """Mel power spectrograms of several mono signals in one batched STFT.

    Parameters
    ----------
    signals : mono float32 arrays [shape=(n_i,)] at ``spec.sr``.
    spec : the front end (:data:`TAGGER_MEL` or :data:`MFCC_MEL`).
    device : torch device (default :func:`best_device`).
    batched : one zero-padded STFT for all signals (default: on GPUs only).
    center : frames centred on ``hop * j`` with zero padding (librosa's default); False for
        an excerpt that already holds the ``n_fft // 2`` samples each side of its frames.

    Returns
    -------
    list of torch tensors on ``device``, each [shape=(n_mels, frames)] with frames
    ``1 + n_i // hop`` (centred) or ``1 + (n_i - n_fft) // hop``.
    """
    import torch

    if not signals:
        return []
    for s in signals:
        if s.ndim != 1 or s.size == 0 or (not center and s.size < spec.n_fft):
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
        stft = torch.stft(x, spec.n_fft, hop_length=spec.hop, window=window, center=center,
                          pad_mode="constant", return_complex=True)
        power = stft.real.square() + stft.imag.square()        # (B, 1 + n_fft/2, frames)
        mel = torch.matmul(fb, power)                           # (B, n_mels, frames)
        out.extend(mel[i, :, : _n_frames(len(s), spec, center)] for i, s in enumerate(chunk))
    return out


def _n_frames(n: int, spec: MelSpec, center: bool) -> int:
    return 1 + n // spec.hop if center else 1 + (n - spec.n_fft) // spec.hop


def tagger_logmel(signals: Sequence[np.ndarray], *, device=None, center: bool = True,
                  batched: bool | None = None) -> list:
    """musicnn's input: ``log10(1 + 10000·mel)`` at 16 kHz, each [shape=(frames, 96)] (time first)."""
    return [torch_log_compress(m).T for m in mel_power(signals, spec=TAGGER_MEL, device=device, center=center,
                                                       batched=batched)]


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


FPS22 = MFCC_MEL.sr / MFCC_MEL.hop
LO_BPM, HI_BPM = 50.0, 220.0
MAX_LAG = int(FPS22 * 60 / LO_BPM)   # frames: the slowest beat's period


class OnsetAutocorrelation:
    """The autocorrelation of an onset envelope given in pieces (excerpts of one track).

    Only pairs of frames inside the same piece count; each lag's sum is divided by its
    number of pairs (an unbiased estimate), so short pieces do not favour short lags. The
    envelope's mean is the mean over all pieces, subtracted at the end: per lag it keeps
    ``sum x_i x_{i+L}``, ``sum x_i``, ``sum x_{i+L}`` and the pair count.
    """

    def __init__(self, max_lag: int = MAX_LAG):
        self.max_lag = max_lag
        self.xy = np.zeros(max_lag + 1)
        self.x = np.zeros(max_lag + 1)
        self.y = np.zeros(max_lag + 1)
        self.pairs = np.zeros(max_lag + 1)
        self.total, self.frames, self.positive = 0.0, 0, False

    def add(self, onsets: np.ndarray) -> None:
        if onsets.ndim != 1:
            raise FeatureError(f"expected a 1-D onset envelope, got {onsets.shape}")
        v = onsets.astype(np.float64)
        n = len(v)
        self.total += v.sum()
        self.frames += n
        self.positive = self.positive or bool(np.any(v > 0))
        if n == 0:
            return
        size = 1 << int(np.ceil(np.log2(2 * n)))
        ac = np.fft.irfft(np.abs(np.fft.rfft(v, size)) ** 2)[: min(n, self.max_lag + 1)]
        lags = np.arange(len(ac))
        c = np.concatenate([[0.0], np.cumsum(v)])
        self.xy[: len(ac)] += ac
        self.x[: len(ac)] += c[n - lags]          # x_0 .. x_{n-L-1}
        self.y[: len(ac)] += c[n] - c[lags]       # x_L .. x_{n-1}
        self.pairs[: len(ac)] += n - lags

    def values(self) -> np.ndarray | None:
        """The mean-removed autocorrelation per lag (per pair); None when a lag has no pairs."""
        if self.frames == 0 or np.any(self.pairs == 0):
            return None
        mu = self.total / self.frames
        return (self.xy - mu * (self.x + self.y) + mu * mu * self.pairs) / self.pairs


def estimate_tempo(onsets: np.ndarray | OnsetAutocorrelation, *, fps: float = FPS22,
                   lo_bpm: float = LO_BPM, hi_bpm: float = HI_BPM, min_periodicity: float = 0.2) -> float | None:
    """Beats per minute from an onset-strength envelope [shape=(frames,)] (or one given in
    pieces, :class:`OnsetAutocorrelation`) by autocorrelation, weighted by a log-normal prior
    around 120 BPM (one octave wide), as librosa's tempo. None when the envelope is too short
    (< 4 s in all) or has no clear pulse (autocorrelation at the chosen lag below
    ``min_periodicity`` of its zero-lag value). Octave errors are possible."""
    if isinstance(onsets, OnsetAutocorrelation):
        acf = onsets
    else:
        acf = OnsetAutocorrelation(int(fps * 60 / lo_bpm))
        acf.add(onsets)
    if acf.frames < 4 * fps or not acf.positive:
        return None
    ac = acf.values()
    if ac is None or ac[0] <= 0:
        return None
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


# -- summaries from excerpts --------------------------------------------------------------
#
# A track's MFCC summary, loudness and tempo are averages over time: means and standard
# deviations of MFCC frames, a gated mean of 400 ms block powers, an autocorrelation of the
# onset envelope at lags up to 1.2 s. Analysis computes them on the excerpts the tagger sees
# (recommender.excerpts): the whole file on a GPU, 16 evenly spaced 3 s excerpts on a CPU.
# Each excerpt's frames are the whole file's frames at those places (same grid, real audio
# around them for the STFT window and the delta filter), so over the whole file the result
# is the whole-file statistic, and over 16 excerpts it is that statistic estimated from an
# evenly spread sample of the track's frames -- an unbiased estimate of each mean, with the
# error of a 48 s sample (the tests and bench_analysis measure it against the whole file).
# Two things differ from the whole file when it streams in chunks (a GPU): the 80 dB floor
# of the MFCC's dB scale is relative to the loudest frame of the chunk (about 90 s) rather
# than of the track (it only lifts near-silent frames); and onset pairs for the
# autocorrelation are taken within an excerpt or chunk.


@dataclass
class PieceSummary:
    mfcc: np.ndarray      # float64 [39, frames]: the MFCC(39) frames this excerpt summarises
    onsets: np.ndarray    # float64 [frames']: its part of the onset envelope
    powers: np.ndarray    # float64 [blocks]: mean power of its 400 ms loudness blocks


def summarise_pieces(pieces: Sequence, *, device=None) -> list[PieceSummary]:
    """MFCC frames, onsets and loudness-block powers of decoded excerpts
    (:class:`recommender.excerpts.Piece`). Excerpts of equal length go through the mel, dB,
    DCT and delta steps together. The dB floor (80 dB below the loudest frame, as
    ``power_to_db(top_db=80)``) is per track over the excerpts given together: all of a
    track's excerpts on a CPU (one part), one chunk of about 90 s when a whole file streams."""
    import torch

    device = device or best_device()
    hop = MFCC_MEL.hop
    groups = equal_length_groups([p.excerpt.b - p.excerpt.a for p in pieces])
    mels = []
    for idx in groups:
        sigs = [pieces[i].y22[hop * pieces[i].excerpt.a - hop - pieces[i].y22_start:
                              hop * pieces[i].excerpt.b - pieces[i].y22_start] for i in idx]
        mels.append(torch.stack(mel_power(sigs, spec=MFCC_MEL, device=device, center=False, batched=True)))
    peak: dict[str, float] = {}
    for idx, mel in zip(groups, mels):
        for i, m in zip(idx, mel.amax(dim=(1, 2)).tolist()):
            peak[pieces[i].path] = max(peak.get(pieces[i].path, 0.0), m)
    out: list = [None] * len(pieces)
    for idx, mel in zip(groups, mels):
        floors = torch.tensor([10.0 * np.log10(max(peak[pieces[i].path], 1e-10)) - 80.0 for i in idx],
                              dtype=mel.dtype, device=mel.device)
        for i, summary in zip(idx, _summarise_group([pieces[i] for i in idx], mel, floors, device)):
            out[i] = summary
    return out


def equal_length_groups(lengths: Sequence[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(n, []).append(i)
    return list(groups.values())


def _summarise_group(pieces: Sequence, mel, floors, device) -> list[PieceSummary]:
    """``mel`` [P, 128, T] of equal-length excerpts, ``floors`` [P] their tracks' dB floors."""
    import torch
    from scipy.signal import savgol_filter

    from recommender.excerpts import LOUDNESS_BLOCK

    db = 10.0 * torch.log10(mel.clamp_min(1e-10))
    db = torch.maximum(db, floors[:, None, None])
    flux = (db[:, :, 1:] - db[:, :, :-1]).clamp_min(0).mean(1).cpu().numpy().astype(np.float64)
    dct = torch.from_numpy(_dct_matrix(MFCC_MEL.n_mels, N_MFCC)).to(device)
    mfcc = torch.matmul(dct, db).cpu().numpy().astype(np.float64)    # (P, 13, T)
    if mfcc.shape[2] >= 9:
        d1 = savgol_filter(mfcc, 9, polyorder=1, deriv=1, axis=-1, mode="interp")
        d2 = savgol_filter(mfcc, 9, polyorder=2, deriv=2, axis=-1, mode="interp")
    else:  # too short for the delta window: no motion information
        d1 = d2 = np.zeros_like(mfcc)
    m39 = np.concatenate([mfcc, d1, d2], axis=1)
    out = []
    for i, p in enumerate(pieces):
        e = p.excerpt
        # flux[i, t] is the change into frame a + 1 + t; keep the changes into frames [j0, j1)
        onsets = flux[i, max(e.j0, 1) - e.a - 1: max(e.j1 - e.a - 1, 0)]
        if e.k0 >= 0:
            lo = LOUDNESS_BLOCK * e.k0 - p.y22_start
            blocks = p.y22[lo: lo + LOUDNESS_BLOCK * (e.k1 - e.k0)].reshape(e.k1 - e.k0, LOUDNESS_BLOCK)
            powers = np.mean(np.square(blocks, dtype=np.float64), axis=1)
        else:  # shorter than one block: the power of all of it
            y = p.y22[-p.y22_start: p.grid.n22 - p.y22_start]
            powers = np.array([np.mean(np.square(y, dtype=np.float64))]) if len(y) else np.zeros(0)
        out.append(PieceSummary(m39[i, :, e.j0 - e.a: e.j1 - e.a], onsets, powers))
    return out


class TrackSummary:
    """Accumulates a track's :class:`PieceSummary` parts into its :class:`Descriptors`."""

    def __init__(self, gate_db: float = -70.0):
        self.sum = np.zeros(3 * N_MFCC)
        self.sq = np.zeros(3 * N_MFCC)
        self.frames = 0
        self.acf = OnsetAutocorrelation()
        self.gate = 10 ** (gate_db / 10)
        self.loud_sum, self.loud_n = 0.0, 0

    def add(self, part: PieceSummary) -> None:
        self.sum += part.mfcc.sum(axis=1)
        self.sq += np.square(part.mfcc).sum(axis=1)
        self.frames += part.mfcc.shape[1]
        self.acf.add(part.onsets)
        kept = part.powers[part.powers > self.gate]
        self.loud_sum += float(kept.sum())
        self.loud_n += len(kept)

    def result(self) -> Descriptors:
        if self.frames == 0:
            raise FeatureError("no MFCC frames to summarise")
        mean = self.sum / self.frames
        std = np.sqrt(np.maximum(self.sq / self.frames - mean ** 2, 0.0))
        loud = float(10 * np.log10(self.loud_sum / self.loud_n)) if self.loud_n else None
        return Descriptors(np.concatenate([mean, std]).astype(np.float32), estimate_tempo(self.acf), loud)
