"""Convert the MSD_musicnn TensorFlow checkpoint into Segue's torch layout (models/musicnn/).

Run ONCE in a throw-away environment that has TensorFlow (it is never a Segue dependency)::

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu
    pip download --no-deps musicnn==0.1.0 -d /tmp/mnn && unzip /tmp/mnn/musicnn-0.1.0-*.whl -d /tmp/mnn/whl
    /tmp/tfvenv/bin/python tools/convert_musicnn.py /tmp/mnn/whl/musicnn/MSD_musicnn models/musicnn

Writes ``msd_musicnn.npz`` (float32 arrays named like the parameters and buffers of
``recommender.tagger.MusiCNN``, so ``load_state_dict`` takes them as they are) and
``manifest.json`` (source, licence, sha256). Needs only numpy and tensorflow.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np

# torch module prefix -> TF variable scope. Conv kernels are [h, w, in, out] in TF.
CONV2D = {"timbral74": "conv2d", "timbral77": "conv2d_1",
          "temporal128": "conv2d_2", "temporal64": "conv2d_3", "temporal32": "conv2d_4"}
CONV1D = {"mid1": "conv2d_5", "mid2": "conv2d_6", "mid3": "conv2d_7"}  # [7, C, 1, out] -> Conv1d
BATCHNORM = {"bn_input": "batch_normalization", "bn_timbral74": "batch_normalization_1",
             "bn_timbral77": "batch_normalization_2", "bn_temporal128": "batch_normalization_3",
             "bn_temporal64": "batch_normalization_4", "bn_temporal32": "batch_normalization_5",
             "bn_mid1": "batch_normalization_6", "bn_mid2": "batch_normalization_7",
             "bn_mid3": "batch_normalization_8", "bn_pool": "batch_normalization_9",
             "bn_dense": "batch_normalization_10"}
DENSE = {"dense": "dense", "out": "dense_1"}

ISC_NOTICE = (
    "Copyright (c) Music Technology Group, Universitat Pompeu Fabra 2019. Code developed by Jordi Pons "
    "(www.jordipons.me).\n\nPermission to use, copy, modify, and/or distribute this software for any purpose "
    "with or without fee is hereby granted, provided that the above copyright notice and this permission "
    "notice appear in all copies.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\" AND THE AUTHOR DISCLAIMS ALL "
    "WARRANTIES WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. "
    "IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR "
    "ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, "
    "NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF "
    "THIS SOFTWARE."
)


def convert(read) -> dict[str, np.ndarray]:
    """Map TF variables (``read(name) -> ndarray``) to torch parameter names and layouts."""
    out: dict[str, np.ndarray] = {}
    for name, scope in CONV2D.items():
        out[f"{name}.weight"] = read(f"{scope}/kernel").transpose(3, 2, 0, 1)  # -> [out, in, h, w]
        out[f"{name}.bias"] = read(f"{scope}/bias")
    for name, scope in CONV1D.items():
        out[f"{name}.weight"] = read(f"{scope}/kernel")[:, :, 0, :].transpose(2, 1, 0)  # -> [out, in, k]
        out[f"{name}.bias"] = read(f"{scope}/bias")
    for name, scope in BATCHNORM.items():
        out[f"{name}.weight"] = read(f"{scope}/gamma")
        out[f"{name}.bias"] = read(f"{scope}/beta")
        out[f"{name}.running_mean"] = read(f"{scope}/moving_mean")
        out[f"{name}.running_var"] = read(f"{scope}/moving_variance")
    for name, scope in DENSE.items():
        out[f"{name}.weight"] = read(f"{scope}/kernel").T  # -> [out, in]
        out[f"{name}.bias"] = read(f"{scope}/bias")
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def save_npz_deterministic(path: str, arrays: dict[str, np.ndarray]) -> None:
    """An .npz whose bytes depend only on the arrays (fixed zip timestamps), written atomically."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, arrays[key], allow_pickle=False)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())          # the bytes are on disk before the name points at them
    os.replace(tmp, path)


def authors_metrics(checkpoint_dir: str) -> dict:
    """The authors' own test-set result shipped beside the checkpoint (``experiment.result``:
    ROC-AUC then PR-AUC, macro over the 50 tags); not re-measured here (no MSD audio)."""
    path = os.path.join(checkpoint_dir, "experiment.result")
    if not os.path.exists(path):
        return {}
    values = [float(line.split(":")[1]) for line in open(path) if line.startswith("AUC:")]
    out = {"source": "experiment.result in the MSD_musicnn checkpoint folder (authors' MSD test split)"}
    if len(values) == 2:
        out.update(roc_auc=round(values[0], 4), pr_auc=round(values[1], 4))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint_dir", help="musicnn/MSD_musicnn from the musicnn 0.1.0 wheel")
    parser.add_argument("out_dir", help="where to write msd_musicnn.npz and manifest.json")
    args = parser.parse_args(argv)
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(args.checkpoint_dir.rstrip("/") + "/")
    arrays = convert(reader.get_tensor)
    used = {v for group in (CONV2D, CONV1D, DENSE) for v in group.values()}
    n_tf = sum(int(np.prod(s)) for k, s in reader.get_variable_to_shape_map().items()
               if "Adam" not in k and k.split("/")[0] in used | set(BATCHNORM.values()))
    n_out = sum(a.size for a in arrays.values())
    if n_tf != n_out:
        print(f"parameter count mismatch: TF {n_tf} vs converted {n_out}", file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    weights = os.path.join(args.out_dir, "msd_musicnn.npz")
    save_npz_deterministic(weights, arrays)
    digest = hashlib.sha256(open(weights, "rb").read()).hexdigest()
    manifest = {
        "file": "msd_musicnn.npz",
        "sha256": digest,
        "model": "musicnn (MSD_musicnn): 50 Million Song Dataset last.fm tags, 3 s patches, "
                 "16 kHz, n_fft 512, hop 256, 96 mel bands, log10(1 + 10000 x)",
        "source": "PyPI musicnn==0.1.0 wheel, musicnn/MSD_musicnn TF1 checkpoint "
                  "(https://github.com/jordipons/musicnn); Pons & Serra, 'musicnn: pre-trained "
                  "convolutional neural networks for music audio tagging', ISMIR LBD 2019",
        "training_data": "Million Song Dataset audio previews with last.fm top-50 tags (by the authors)",
        "licence": "ISC",
        "licence_text": ISC_NOTICE,
        "parameters": int(n_out),
        "held_out_metrics": authors_metrics(args.checkpoint_dir),
        "built_with": "tools/convert_musicnn.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "tensorflow_version": tf.__version__,
        "verified_by": "tests/recommender/test_tagger.py against tests/recommender/fixtures/"
                       "musicnn_reference.npz (made with the original TF graph by "
                       "tools/make_tagger_reference.py)",
    }
    tmp = os.path.join(args.out_dir, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(args.out_dir, "manifest.json"))
    print(f"wrote {weights} ({n_out} parameters, sha256 {digest[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
