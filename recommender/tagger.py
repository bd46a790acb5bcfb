"""The MSD-pretrained musicnn tagger (Pons & Serra 2019) re-implemented in PyTorch.

Weights: ``models/musicnn/msd_musicnn.npz`` converted from the ``MSD_musicnn`` checkpoint in
the ``musicnn`` 0.1.0 wheel (ISC licence) by ``tools/convert_musicnn.py``; the test suite
checks this port against outputs of the original TensorFlow graph.

Input: log-mel patches [shape=(batch, 187, 96)] from
:func:`recommender.audio_features.tagger_logmel` (3 s each). Output per patch: 50 tag
probabilities and the 200-d penultimate layer; per track (:meth:`Tagger.tag_tracks`) the
mean over non-overlapping patches, with the embedding L2-normalised.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recommender.msd_tags import MSD_LABELS

PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1, as musicnn
N_MELS = 96
EMBEDDING_DIM = 200
WEIGHTS_FILE = "msd_musicnn.npz"
# Patches per CNN call. On a CPU the two timbral maps are ~14 MB per patch; two patches
# stay in cache, 32 spill to memory: 25.6 against 43.9 ms per patch on the 2-core
# AVX-512 box (1, 2 and 4 within 10% of each other). A GPU wants big batches.
CPU_BATCH_PATCHES = 2
GPU_BATCH_PATCHES = 512


class TaggerError(ValueError):
    """Bad input to the tagger, or a weights file that does not fit the architecture."""


def _bn(n: int, dims: int = 2) -> nn.Module:
    return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(n, eps=1e-3)  # TF's default epsilon


class MusiCNN(nn.Module):
    """musicnn 'MSD_musicnn': timbral (7x38, 7x67) and temporal (128/64/32x1) front end,
    three dense-residual 1-D convolutions, max+mean pooling over time, dense 200, 50 logits."""

    def __init__(self, n_classes: int = 50):
        super().__init__()
        self.bn_input = _bn(1)
        self.timbral74, self.bn_timbral74 = nn.Conv2d(1, 204, (7, 38)), _bn(204)
        self.timbral77, self.bn_timbral77 = nn.Conv2d(1, 204, (7, 67)), _bn(204)
        for k in (128, 64, 32):
            setattr(self, f"temporal{k}", nn.Conv2d(1, 51, (k, 1)))
            setattr(self, f"bn_temporal{k}", _bn(51))
        self.mid1, self.bn_mid1 = nn.Conv1d(561, 64, 7), _bn(64, 1)
        self.mid2, self.bn_mid2 = nn.Conv1d(64, 64, 7), _bn(64, 1)
        self.mid3, self.bn_mid3 = nn.Conv1d(64, 64, 7), _bn(64, 1)
        self.bn_pool = _bn(1506, 1)
        self.dense, self.bn_dense = nn.Linear(1506, 200), _bn(200, 1)
        self.out = nn.Linear(200, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [shape=(batch, frames, 96)] -> (logits [batch, 50], penultimate [batch, 200]).

        Inference only (batch norm uses its running statistics). Each front-end branch is
        conv -> ReLU -> batch norm -> max over frequency; since ReLU and the per-channel affine
        are monotone, that equals ``affine(relu(max z))`` where the scale is positive and
        ``affine(relu(min z))`` where it is negative, so the big [B, C, T, F] maps get one
        fused min/max pass instead of three elementwise passes.
        """
        b, t, f = x.shape
        x = self.bn_input(x.unsqueeze(1))                                  # (B, 1, T, F)
        padded = F.pad(x, (0, 0, 3, 3))                                    # time only, as TF
        front = [_bn_relu_max(self.bn_timbral74, *torch.aminmax(self.timbral74(padded), dim=3)),
                 _bn_relu_max(self.bn_timbral77, *torch.aminmax(self.timbral77(padded), dim=3))]
        # The (k, 1) temporal kernels see one mel band at a time: a 1-D conv over B*F rows.
        rows = x[:, 0].transpose(1, 2).reshape(b * f, 1, t)
        for k in (128, 64, 32):  # TF 'same': (k-1)//2 before, the rest after
            conv, bn = getattr(self, f"temporal{k}"), getattr(self, f"bn_temporal{k}")
            z = F.conv1d(F.pad(rows, ((k - 1) // 2, k // 2)), conv.weight[..., 0], conv.bias)
            z = z.reshape(b, f, -1, t)                                      # reduce the outer dim
            front.append(_bn_relu_max(bn, z.amin(1), z.amax(1)))
        front = torch.cat(front, 1)                                        # (B, 561, T)
        m1 = self.bn_mid1(F.relu(self.mid1(F.pad(front, (3, 3)))))
        m2 = self.bn_mid2(F.relu(self.mid2(F.pad(m1, (3, 3))))) + m1
        m3 = self.bn_mid3(F.relu(self.mid3(F.pad(m2, (3, 3))))) + m2
        feats = torch.cat([front, m1, m2, m3], 1)                          # (B, 753, T)
        # TF flattens [max, mean] per channel: interleaved (c0 max, c0 mean, c1 max, ...).
        pooled = torch.stack([feats.amax(2), feats.mean(2)], 2).flatten(1)
        pen = self.bn_dense(F.relu(self.dense(self.bn_pool(pooled))))
        return self.out(pen), pen


def _bn_relu_max(bn: nn.Module, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """max over frequency of bn(relu(z)), given z's min and max over frequency [B, C, T]."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    picked = torch.where(scale[None, :, None] >= 0, hi, lo).relu()
    return picked * scale[None, :, None] + shift[None, :, None]


def weights_path(models_dir: str | Path | None = None) -> Path:
    """``<models>/musicnn/msd_musicnn.npz``; default ``$SEGUE_MODELS`` or the source tree's
    ``models/`` (the app passes ``player.paths.shipped_models_dir()``)."""
    if models_dir is None:
        models_dir = os.environ.get("SEGUE_MODELS") or Path(__file__).resolve().parents[1] / "models"
    return Path(models_dir) / "musicnn" / WEIGHTS_FILE


def model_version(path: str | Path | None = None) -> str:
    """Short sha256 of the weights file: stored with features so a new model re-analyses."""
    data = Path(path or weights_path()).read_bytes()
    return "musicnn-" + hashlib.sha256(data).hexdigest()[:12]


@dataclass
class TrackTags:
    tags: np.ndarray        # float32 [50], mean sigmoid over patches
    embedding: np.ndarray   # float32 [200], mean penultimate, L2-normalised
    n_patches: int


def patches_from_logmel(logmel: torch.Tensor, *, max_patches: int | None = None) -> torch.Tensor:
    """Cut [frames, 96] into non-overlapping [n, 187, 96] patches (musicnn's default).

    Shorter than one patch: repeat-padded, as in musicnn's training. ``max_patches`` keeps
    that many evenly spaced patches (None: all).
    """
    if logmel.ndim != 2 or logmel.shape[1] != N_MELS or logmel.shape[0] == 0:
        raise TaggerError(f"expected a log-mel [frames, {N_MELS}], got {tuple(logmel.shape)}")
    if logmel.shape[0] < PATCH_FRAMES:
        reps = -(-PATCH_FRAMES // logmel.shape[0])
        logmel = logmel.repeat(reps, 1)[:PATCH_FRAMES]
    n = logmel.shape[0] // PATCH_FRAMES
    patches = logmel[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS)
    if max_patches is not None and n > max_patches:
        patches = patches[np.linspace(0, n - 1, max_patches).round().astype(int)]
    return patches


def cut_patches(logmel: torch.Tensor, patches: int) -> torch.Tensor:
    """An excerpt's log-mel [187 * patches, 96] as [patches, 187, 96]; ``patches == 0`` is a
    whole file shorter than one patch (repeat-padded by :func:`patches_from_logmel`)."""
    if patches == 0:
        return patches_from_logmel(logmel)
    if logmel.ndim != 2 or logmel.shape != (patches * PATCH_FRAMES, N_MELS):
        raise TaggerError(f"expected a log-mel [{patches * PATCH_FRAMES}, {N_MELS}], got {tuple(logmel.shape)}")
    return logmel.reshape(patches, PATCH_FRAMES, N_MELS)


class Tagger:
    """The loaded model on a device; ``tag_tracks`` batches patches across tracks."""

    def __init__(self, path: str | Path | None = None, *, device=None, batch_patches: int | None = None):
        from recommender.audio_features import best_device

        self.path = Path(path or weights_path())
        self.device = torch.device(device) if device is not None else best_device()
        if batch_patches is None:
            batch_patches = CPU_BATCH_PATCHES if self.device.type == "cpu" else GPU_BATCH_PATCHES
        self.batch_patches = batch_patches
        self.model = MusiCNN()
        with np.load(self.path, allow_pickle=False) as npz:
            state = {k: torch.from_numpy(npz[k]) for k in npz.files}
        expected = self.model.state_dict()
        state.update({k: v for k, v in expected.items() if k.endswith("num_batches_tracked")})
        try:
            self.model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise TaggerError(f"{self.path} does not fit MusiCNN: {exc}") from exc
        self.model.eval().to(self.device)
        self.version = model_version(self.path)
        self.labels = MSD_LABELS

    @torch.inference_mode()
    def predict_patches(self, patches: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[n, 187, 96] -> (probabilities [n, 50], penultimate [n, 200]) on the model's device."""
        if patches.ndim != 3 or patches.shape[2] != N_MELS:
            raise TaggerError(f"expected patches [n, frames, {N_MELS}], got {tuple(patches.shape)}")
        probs, pens = [], []
        for start in range(0, patches.shape[0], self.batch_patches):
            chunk = patches[start: start + self.batch_patches].to(self.device, torch.float32)
            logits, pen = self.model(chunk)
            probs.append(torch.sigmoid(logits))
            pens.append(pen)
        return torch.cat(probs), torch.cat(pens)

    def tag_tracks(self, logmels: Sequence[torch.Tensor], *, max_patches: int | None = None) -> list[TrackTags]:
        """Per-track tags and embeddings from log-mels [frames, 96], all patches in shared batches."""
        cut = [patches_from_logmel(m, max_patches=max_patches) for m in logmels]
        if not cut:
            return []
        probs, pens = self.predict_patches(torch.cat(cut))
        out, start = [], 0
        for p in cut:
            n = p.shape[0]
            emb = pens[start: start + n].mean(0)
            emb = emb / emb.norm().clamp_min(1e-12)
            out.append(TrackTags(probs[start: start + n].mean(0).cpu().numpy(), emb.cpu().numpy(), n))
            start += n
        return out
