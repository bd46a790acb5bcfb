"""recommender.audio_features: torch front ends against librosa's own computation.

Tolerances (measured margins are 10x or more below them):
- mel filterbank: 1e-6 absolute;
- tagger mel power: 0.01 dB for every bin within 80 dB of the clip's peak, 0.05 dB everywhere
  (floor 1e-10), after 10·log10;
- MFCC(39) with deltas: 0.01 absolute (MFCC units are dB-scaled DCT coefficients, range ~±300).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
import torch

from recommender import audio_features as af
from tools.make_tagger_reference import chord, drum_pulses

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def librosa():
    # A fixed folder outside the per-test HOME, so the numba cache stays warm between runs.
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "segue-numba-cache"))
    import librosa

    return librosa


def _db(x):
    return 10 * np.log10(np.maximum(np.asarray(x, np.float64), 1e-10))


def _clip(seconds=4.0, sr=16000):
    return (drum_pulses(seconds, sr=sr) + chord(seconds, sr=sr)).astype(np.float32)


@pytest.mark.parametrize("spec", [af.TAGGER_MEL, af.MFCC_MEL])
def test_filterbank_matches_librosa(librosa, spec):
    ours = af.mel_filterbank(sr=spec.sr, n_fft=spec.n_fft, n_mels=spec.n_mels)
    ref = librosa.filters.mel(sr=spec.sr, n_fft=spec.n_fft, n_mels=spec.n_mels)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_tagger_mel_matches_librosa_in_db(librosa):
    y = _clip()
    ours = af.mel_power([y], spec=af.TAGGER_MEL, device=CPU)[0].numpy()
    ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
    assert ours.shape == ref.shape == (96, 1 + len(y) // 256)
    diff = np.abs(_db(ours) - _db(ref))
    loud = _db(ref) > _db(ref).max() - 80
    assert diff[loud].max() < 0.01
    assert diff.max() < 0.05


def test_batching_tracks_of_different_lengths_changes_nothing():
    a, b = _clip(3.0), chord(1.3)
    together = af.mel_power([a, b], device=CPU, batched=True)  # the GPU path, on the CPU
    alone = [af.mel_power([s], device=CPU)[0] for s in (a, b)]
    for t, s in zip(together, alone):
        assert t.shape == s.shape
        torch.testing.assert_close(t, s, rtol=1e-4, atol=1e-6)
    logmel = af.tagger_logmel([a], device=CPU)[0]
    assert logmel.shape == (1 + len(a) // 256, 96)
    torch.testing.assert_close(logmel, torch.log10(1 + 10000 * alone[0]).T)


def test_mfcc39_matches_librosa(librosa):
    y = librosa.resample(_clip(5.0), orig_sr=16000, target_sr=22050)
    ours = af.mfcc39([y], device=CPU)[0]
    m = librosa.feature.mfcc(y=y, sr=22050, n_fft=1024, hop_length=512, n_mels=128, n_mfcc=13)
    ref = np.concatenate([m, librosa.feature.delta(m), librosa.feature.delta(m, order=2)])
    assert ours.shape == ref.shape == (39, 1 + len(y) // 512)
    np.testing.assert_allclose(ours, ref, atol=1e-2)
    summary = af.summarise_mfcc(ours)
    assert summary.shape == (78,)
    np.testing.assert_allclose(summary[:39], ref.mean(axis=1), atol=1e-2)


def test_mfcc_of_very_short_audio_has_zero_deltas():
    out = af.mfcc39([chord(0.1, sr=22050)], device=CPU)[0]
    assert out.shape == (39, 5) and np.all(out[13:] == 0) and np.all(np.isfinite(out))


def test_bad_input_is_a_named_error():
    with pytest.raises(af.FeatureError):
        af.mel_power([np.zeros(0, np.float32)], device=CPU)
    with pytest.raises(af.FeatureError):
        af.mel_power([np.zeros((2, 100), np.float32)], device=CPU)
    with pytest.raises(af.FeatureError):
        af.summarise_mfcc(np.zeros((13, 10)))


def test_device_choice_env_overrides_setting(monkeypatch):
    monkeypatch.setenv("SEGUE_DEVICE", "cpu")
    assert af.best_device("cuda").type == "cpu"
    monkeypatch.delenv("SEGUE_DEVICE")
    assert af.best_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert af.best_device("auto").type == expected
    assert af.best_device("mps" if expected == "cpu" else "auto").type == expected  # unavailable -> auto


@pytest.mark.gpu
def test_gpu_mel_equals_cpu_mel():
    device = af.best_device()
    if device.type == "cpu":
        pytest.skip("no CUDA or MPS device")
    y = _clip()
    gpu = af.mel_power([y], device=device)[0].cpu()
    cpu = af.mel_power([y], device=CPU)[0]
    assert np.abs(_db(gpu.numpy()) - _db(cpu.numpy())).max() < 0.01


@pytest.mark.parametrize("bpm", [90, 120, 170])
def test_tempo_of_a_drum_pattern(bpm):
    d = af.describe([drum_pulses(12.0, sr=22050, bpm=bpm)], device=CPU)[0]
    assert d.mfcc.shape == (78,) and np.all(np.isfinite(d.mfcc))
    assert d.tempo is not None and abs(d.tempo - bpm) / bpm < 0.03


def test_no_tempo_without_a_pulse_and_loudness_levels():
    d = af.describe([chord(12.0, sr=22050)], device=CPU)[0]
    assert d.tempo is None
    sine = np.sin(2 * np.pi * 440 * np.arange(7 * 8820) / 22050).astype(np.float32)  # 7 gating blocks
    assert abs(af.loudness_db(sine, sr=22050) - (-3.01)) < 0.05        # full-scale sine: -3 dBFS
    assert abs(af.loudness_db(0.1 * sine, sr=22050) - (-23.01)) < 0.05
    with_silence = np.concatenate([0.1 * sine, np.zeros(22050 * 10, np.float32)])
    assert abs(af.loudness_db(with_silence, sr=22050) - (-23.01)) < 0.05  # silence is gated out
    assert af.loudness_db(np.zeros(22050, np.float32), sr=22050) is None
    assert af.estimate_tempo(np.ones(10)) is None
