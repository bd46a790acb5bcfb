"""Make the tagger reference fixture ONCE with the original musicnn TensorFlow graph.

    /tmp/tfvenv/bin/pip install tensorflow-cpu librosa soundfile && /tmp/tfvenv/bin/pip install --no-deps tf_keras
    TF_USE_LEGACY_KERAS=1 PYTHONPATH=/tmp/mnn/whl /tmp/tfvenv/bin/python tools/make_tagger_reference.py \\
        tests/recommender/fixtures/musicnn_reference.npz

It runs musicnn's front end recipe (librosa mel at 16 kHz, n_fft 512, hop 256, 96 bands,
``log10(1 + 10000·x)``, non-overlapping 187-frame patches) and graph (``musicnn.models.define_model`` restored from the wheel's MSD_musicnn checkpoint) on
two generated clips -- a drum-like pulse train and a sustained chord -- plus one random patch,
and stores the audio, the input patches and the outputs (taggram, penultimate layer) so that
``tests/recommender/test_tagger.py`` can check the torch port without TensorFlow.

One deliberate difference from ``musicnn.extractor.batch_data``: it casts the mel to float16
BEFORE ``10000 * x``, so every bin with power above 6.55 overflows to ``inf`` (measured: 71
infinite inputs in the drum patch). The fixture keeps float32 throughout, as Segue does.

The generators below are plain numpy and are imported by the tests as well.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

SR = 16000


def drum_pulses(seconds: float, *, sr: int = SR, bpm: float = 120.0, seed: int = 0) -> np.ndarray:
    """A drum-like pulse train: kick (decaying 55 Hz sine) on beats, noise snare on off-beats.

    Returns float32 [shape=(n,)].
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = np.zeros(n, np.float32)
    beat = int(sr * 60 / bpm)
    t = np.arange(int(0.25 * sr)) / sr
    kick = np.sin(2 * np.pi * (55 + 60 * np.exp(-t * 30)) * t) * np.exp(-t * 12)
    snare = rng.standard_normal(len(t)) * np.exp(-t * 25) * 0.6
    for i, start in enumerate(range(0, n, beat // 2)):
        hit = kick if i % 2 == 0 else snare
        end = min(n, start + len(hit))
        y[start:end] += hit[: end - start]
    hat = rng.standard_normal(n) * 0.05 * (np.sin(2 * np.pi * (bpm / 15) * np.arange(n) / sr) > 0.9)
    return (0.5 * (y + hat) / max(1e-9, np.abs(y + hat).max())).astype(np.float32)


def chord(seconds: float, *, sr: int = SR, root: float = 220.0) -> np.ndarray:
    """A sustained major triad of harmonic-rich tones with slow attack. float32 [shape=(n,)]."""
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for ratio in (1.0, 1.25, 1.5, 2.0):
        for h in range(1, 8):
            y += np.sin(2 * np.pi * root * ratio * h * t + h) / h**1.5
    y *= 1 - np.exp(-t * 3)
    return (0.4 * y / np.abs(y).max()).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    out = (argv or sys.argv[1:] or ["tests/recommender/fixtures/musicnn_reference.npz"])[0]
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import soundfile as sf
    import tensorflow as tf
    from musicnn import configuration as config
    import librosa
    from musicnn import models

    n_frames = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as musicnn
    clips = {"drums": drum_pulses(3.2), "chord": chord(3.2)}
    patches = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, y in clips.items():
            path = os.path.join(tmp, f"{name}.wav")
            sf.write(path, y, SR, subtype="FLOAT")
            audio, sr = librosa.load(path, sr=config.SR)
            mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=config.FFT_HOP,
                                                 n_fft=config.FFT_SIZE, n_mels=config.N_MELS).T
            patches.append(np.log10(10000 * mel.astype(np.float32) + 1)[:n_frames])
    rng = np.random.default_rng(5)
    patches.append(rng.uniform(0, 3, size=(n_frames, config.N_MELS)))
    patches = np.stack(patches).astype(np.float32)

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        logits, *_, penultimate = models.define_model(x, is_training, "MSD_musicnn", 50)
        taggram = tf.nn.sigmoid(logits)
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.train.Saver().restore(sess, os.path.dirname(models.__file__) + "/MSD_musicnn/")
        tg, pen, lg = sess.run([taggram, penultimate, logits], feed_dict={x: patches, is_training: False})

    np.savez_compressed(
        out, names=np.array(["drums", "chord", "random"]), audio_drums=clips["drums"],
        audio_chord=clips["chord"], patches=patches, taggram=tg.astype(np.float32),
        penultimate=pen.astype(np.float32), logits=lg.astype(np.float32),
        labels=np.array(config.MSD_LABELS), tensorflow_version=np.array(tf.__version__),
    )
    for name, row in zip(["drums", "chord", "random"], tg):
        top = np.argsort(row)[::-1][:5]
        print(name, ", ".join(f"{config.MSD_LABELS[i]} {row[i]:.2f}" for i in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
