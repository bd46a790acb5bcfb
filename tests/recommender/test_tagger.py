"""recommender.tagger: the torch port against the original TensorFlow graph, and on sound.

The fixture was made ONCE with musicnn's TF graph and checkpoint by
tools/make_tagger_reference.py (input patch -> taggram, penultimate layer).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from recommender.audio_features import tagger_logmel
from recommender.tagger import (
    EMBEDDING_DIM,
    MSD_LABELS,
    PATCH_FRAMES,
    Tagger,
    TaggerError,
    model_version,
    patches_from_logmel,
    weights_path,
)
from tools.make_tagger_reference import chord, drum_pulses

FIXTURE = Path(__file__).parent / "fixtures" / "musicnn_reference.npz"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tagger():
    torch.set_num_threads(2)
    return Tagger(device=CPU)


@pytest.fixture(scope="module")
def ref():
    with np.load(FIXTURE, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def test_port_reproduces_the_tensorflow_graph(tagger, ref):
    probs, pen = tagger.predict_patches(torch.from_numpy(ref["patches"]))
    assert probs.shape == (3, 50) and pen.shape == (3, EMBEDDING_DIM)
    np.testing.assert_allclose(probs.numpy(), ref["taggram"], atol=1e-4)
    np.testing.assert_allclose(pen.numpy(), ref["penultimate"], atol=1e-4 * np.abs(ref["penultimate"]).max())
    assert tuple(ref["labels"]) == MSD_LABELS


def test_batch_size_does_not_change_the_answer(ref):
    """CPU default is 2 patches per call (cache-sized); one big call must give the same numbers."""
    small, big = Tagger(device=CPU), Tagger(device=CPU, batch_patches=64)
    assert small.batch_patches == 2
    patches = torch.from_numpy(ref["patches"])
    p_small, e_small = small.predict_patches(patches)
    p_big, e_big = big.predict_patches(patches)
    np.testing.assert_allclose(p_small.numpy(), p_big.numpy(), atol=1e-6)
    np.testing.assert_allclose(e_small.numpy(), e_big.numpy(), atol=1e-5)
    np.testing.assert_allclose(p_small.numpy(), ref["taggram"], atol=1e-4)


def test_front_end_reproduces_musicnns_patches(ref):
    mels = tagger_logmel([ref["audio_drums"], ref["audio_chord"]], device=CPU)
    for i, mel in enumerate(mels):
        np.testing.assert_allclose(mel[:PATCH_FRAMES].numpy(), ref["patches"][i], atol=1e-4)


def test_drums_and_chord_sound_different_to_the_tagger(tagger):
    drums, keys = tagger.tag_tracks(tagger_logmel([drum_pulses(6.5, seed=3), chord(6.5, root=196.0)], device=CPU))
    drums2, keys2 = tagger.tag_tracks(tagger_logmel([drum_pulses(6.5, seed=4, bpm=100), chord(6.5, root=261.6)],
                                                    device=CPU))
    assert drums.n_patches == 2
    for r in (drums, keys, drums2, keys2):
        assert r.tags.shape == (50,) and np.all((r.tags > 0) & (r.tags < 1))
        assert abs(np.linalg.norm(r.embedding) - 1) < 1e-5
    top = lambda r: {MSD_LABELS[i] for i in np.argsort(r.tags)[::-1][:3]}
    assert "electronic" in top(drums) and "electronic" not in top(keys)
    assert np.abs(drums.tags - keys.tags).sum() > 1.0
    # Like with like: same-kind clips are closer than cross-kind ones.
    assert drums.embedding @ drums2.embedding > drums.embedding @ keys2.embedding + 0.3
    assert keys.embedding @ keys2.embedding > keys.embedding @ drums2.embedding + 0.3


def test_patching_short_long_and_subsampled():
    short = torch.arange(50 * 96, dtype=torch.float32).reshape(50, 96)
    p = patches_from_logmel(short)
    assert p.shape == (1, PATCH_FRAMES, 96)
    torch.testing.assert_close(p[0, 50:100], short)  # repeat-padded
    long = torch.randn(PATCH_FRAMES * 10 + 40, 96)
    assert patches_from_logmel(long).shape == (10, PATCH_FRAMES, 96)
    sub = patches_from_logmel(long, max_patches=3)
    torch.testing.assert_close(sub[0], long[:PATCH_FRAMES])
    torch.testing.assert_close(sub[2], long[9 * PATCH_FRAMES: 10 * PATCH_FRAMES])
    with pytest.raises(TaggerError):
        patches_from_logmel(torch.zeros(0, 96))
    with pytest.raises(TaggerError):
        patches_from_logmel(torch.zeros(100, 40))


def test_model_version_follows_the_weights_file(tmp_path):
    copy = tmp_path / "musicnn" / "msd_musicnn.npz"
    copy.parent.mkdir()
    shutil.copy(weights_path(), copy)
    assert model_version(copy) == model_version() and model_version().startswith("musicnn-")
    with np.load(copy) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["out.bias"] = arrays["out.bias"] + 1.0
    np.savez(copy, **arrays)
    assert model_version(copy) != model_version()
    t = Tagger(copy, device=CPU)
    assert t.version == model_version(copy)
    del arrays["out.bias"]
    np.savez(copy, **arrays)
    with pytest.raises(TaggerError, match="does not fit"):
        Tagger(copy, device=CPU)


def test_manifest_records_the_shipped_checksum():
    import hashlib
    import json

    manifest = json.loads((weights_path().parent / "manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(weights_path().read_bytes()).hexdigest()
    assert manifest["licence"] == "ISC" and "Permission to use" in manifest["licence_text"]


@pytest.mark.gpu
def test_port_on_the_gpu_matches_the_tensorflow_graph(ref):
    from recommender.audio_features import best_device

    device = best_device()
    if device.type == "cpu":
        pytest.skip("no CUDA or MPS device")
    gpu = Tagger(device=device)
    probs, _ = gpu.predict_patches(torch.from_numpy(ref["patches"]))
    # cuDNN may use TF32 for convolutions (torch's default): looser than the CPU's 1e-4.
    np.testing.assert_allclose(probs.cpu().numpy(), ref["taggram"], atol=1e-2)
    mels = tagger_logmel([ref["audio_drums"]], device=device)
    np.testing.assert_allclose(mels[0][:PATCH_FRAMES].cpu().numpy(), ref["patches"][0], atol=1e-3)
