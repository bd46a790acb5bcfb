"""The folder of the person's local models: runs written atomically, and the loader.

``<root>/run-<time>-<pid>/`` holds one training (written by
:func:`recommender.train.train_local`); ``<root>/current.json`` names the latest
complete run and the one before it, and is replaced with ``os.replace``, so a reader
sees the old run or the new one, never half of one. :func:`load_models` aligns a
run with the current catalogue as :class:`recommender.rank.Models`.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from recommender.catalog import Catalog
from recommender.stopping import ShouldStop, check
from segue_common import atomic

log = logging.getLogger(__name__)

CURRENT = "current.json"
DAMAGED = ".damaged"
#: the session GRU as training saves it (torch) and as the window scores with it (numpy)
SESSION_TORCH = "session_gru.pt"
SESSION_SERVING = "session_gru.npz"


class TrainError(RuntimeError):
    """Training could not produce models, or a run cannot be read (the previous ones stay in use)."""


_said: set[str] = set()     # the unreadable pointers the log has told of, once each


def _run_name(value) -> str | None:
    """A run's folder name as the pointer holds it; None where it is none (a number, a path
    out of the folder: a pointer edited by hand, or another program's)."""
    if isinstance(value, str) and value not in ("", ".", "..") and "\0" not in value and Path(value).name == value:
        return value
    return None


def _pointer(root: Path, *, platform: str = sys.platform) -> tuple[str | None, str | None]:
    """``(current, previous)``: the runs ``root``'s pointer names, None for one it names none.
    A pointer missing, refused or unreadable (cut short, garbled, a list where a dict was,
    edited by hand) names none, said once: the priors serve, and the next training makes its
    run current over it."""
    try:
        text = atomic.read_text(root / CURRENT, platform=platform)
        data = json.loads(text.removeprefix("\ufeff"))     # (saved by Notepad, with its mark)
    except OSError:
        return None, None
    except ValueError as exc:
        data, why = None, exc
    else:
        why = "it holds no run's name"
    names = (_run_name(data.get("run")), _run_name(data.get("previous"))) if isinstance(data, dict) else (None, None)
    if names[0] is None and str(root) not in _said:
        _said.add(str(root))
        log.warning("the models' pointer %s is unreadable (%s): taken for none", root / CURRENT, why)
    return names


def point_current(root: Path, run: Path, *, platform: str = sys.platform) -> None:
    """Make ``run`` the current run (the one current until now becomes the previous)."""
    # (read again while Windows refuses it for a moment: taken for none, the run current
    # until now was dropped from the pointer, and the next prune deleted it)
    prev, _ = _pointer(root, platform=platform)
    atomic.write_text(root / CURRENT, json.dumps({"run": run.name, "previous": prev}))


def previous_run(root: Path) -> str | None:
    """The folder name of the run before the current one, or None (the pointer read again
    while Windows refuses it for a moment: taken for none, the next prune deleted that run)."""
    return _pointer(root)[1]


def prune_runs(root: Path, keep: set) -> None:
    """Delete runs other than the current and the previous one (and stale partial runs)."""
    for d in root.glob("run-*"):
        if d.is_dir() and d.name not in keep and (not d.name.endswith(".partial") or
                                                  time.time() - d.stat().st_mtime > 3600):
            shutil.rmtree(d, ignore_errors=True)


def current_run(root: str | Path, *, platform: str = sys.platform) -> Path | None:
    """The folder of the latest complete run under ``root``, or None. On Windows the pointer
    is read again for a moment while the trainer's swap (or a virus scanner) refuses it: a
    refusal taken for "no run" dropped the person's models for the priors, and had the
    trainer train again at once, the models it made looking deleted."""
    root = Path(root)
    name, _ = _pointer(root, platform=platform)
    run = root / name if name is not None else None
    return run if run is not None and (run / "manifest.json").exists() else None


def model_weights(metrics: dict) -> dict[str, float]:
    """How much the ranker trusts each local model: its held-out lift over popularity.

    A model that does not beat the person's own popularity on the held-out
    sessions gets weight 0; one that doubles it gets 1. Without a held-out split
    (fewer than 5 sessions) each model gets a small weight (0.25).
    """
    def lift(model: str, base: str) -> float:
        m, b = metrics.get(model), metrics.get(base)
        if m is None or b is None or not np.isfinite(m) or not np.isfinite(b):
            return 0.25
        return float(np.clip((m - b) / max(b, 0.02), 0.0, 1.0))

    return {"wmf": lift("wmf_recall@20", "popularity_recall@20"),
            "autorec": lift("autorec_recall@20", "autorec_popularity_recall@20"),
            "session": lift("gru_hr@20", "popularity_hr@20")}


def load_models(root: str | Path, cat: Catalog):
    """The latest run under ``root`` as :class:`recommender.rank.Models` aligned with ``cat``.

    Tracks the run did not know (added since) keep their prior factors and get a
    neutral session score. Returns ``Models()`` (priors + audio) when no run exists.
    A run that cannot be read raises :class:`TrainError`; the caller keeps its models.
    """
    from recommender.rank import Models

    run = current_run(root)
    if run is None:
        return Models()
    try:
        manifest = json.loads((run / "manifest.json").read_text())
        with np.load(run / "items.npz", allow_pickle=False) as z:
            run_ids = z["track_ids"]
        rows = cat.rows(run_ids)                       # run item i -> catalogue row (-1 gone)
        ok = rows >= 0
        models = Models(info={"run": run.name, **manifest}, weights=model_weights(manifest.get("metrics", {})))
        if (run / "wmf.npz").exists():
            from recommender.models.wmf import WMF

            wmf = WMF.load(run / "wmf.npz")
            f = np.zeros((cat.n, wmf.item_factors.shape[1]), np.float32)
            if cat.factors.shape[1] == f.shape[1]:
                f[:] = cat.factors
            f[rows[ok]] = wmf.item_factors[ok]
            models.item_factors = f
            with np.load(run / "person.npz", allow_pickle=False) as z:
                models.person = z["wmf"].astype(np.float32)
        if (run / "autorec_person.npz").exists():
            with np.load(run / "autorec_person.npz", allow_pickle=False) as z:
                played, scores = rows[z["rows"]], z["scores"]
            a = np.full(cat.n, float(np.median(scores)) if len(scores) else 0.0, np.float32)
            a[played[played >= 0]] = scores[played >= 0]
            models.autorec = a
        if (run / SESSION_SERVING).exists():
            models.session = _session_scorer(run / SESSION_SERVING, rows, ok, cat.n)
        elif (run / SESSION_TORCH).exists():
            # A run from before the numpy export: the learner writes the export when it
            # starts (export_session_serving); until then Up next goes without the GRU.
            log.info("%s has no %s yet; Up next leaves the session model out", run.name, SESSION_SERVING)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        # np.load raises BadZipFile, ValueError or EOFError on a truncated or garbled file;
        # callers only catch TrainError, and must fall back to priors, not fail to start.
        raise TrainError(f"cannot load local models from {run}: {exc}") from exc
    return models


def _session_scorer(path: Path, rows: np.ndarray, ok: np.ndarray, n: int):
    """``fn(catalogue rows) -> scores [n]`` over a GRU trained on an older row numbering."""
    from recommender.models.session_serving import GRUScorer

    gru = GRUScorer.load(path)
    if gru.n_items != len(rows):
        raise ValueError(f"{path.name} scores {gru.n_items} items, the run lists {len(rows)}")
    to_item = np.full(n, -1, np.int64)
    to_item[rows[ok]] = np.flatnonzero(ok)

    def score(prefix_rows: np.ndarray) -> np.ndarray:
        items = to_item[np.asarray(prefix_rows, np.int64)]
        items = items[items >= 0]
        raw = np.asarray(gru.score(items), np.float32)
        out = np.full(n, float(np.median(raw)), np.float32)
        out[rows[ok]] = raw[ok]
        return out

    return score


def set_damaged_aside(root: str | Path) -> str | None:
    """The current run cannot be read: rename it ``<run>.damaged`` and make the previous
    run current (or none). Returns the name of the run now current, or None.

    The damaged folder is removed by the next training's pruning.
    """
    root = Path(root)
    name, prev = _pointer(root)
    if name:
        run = root / name
        if run.exists():
            try:
                run.rename(run.with_name(run.name + DAMAGED))
            except OSError as exc:
                log.warning("could not set %s aside: %s", run, exc)
    if prev and prev != name and (root / prev / "manifest.json").exists():
        atomic.write_text(root / CURRENT, json.dumps({"run": prev, "previous": None}))
        return prev
    try:
        (root / CURRENT).unlink()
    except OSError:
        pass
    return None


def load_models_or_fall_back(root: str | Path, cat: Catalog):
    """:func:`load_models`, and when the current run is damaged (a file cut short, garbled,
    missing), the run before it, else the priors and audio alone (``Models()``).

    A damaged run is set aside (:func:`set_damaged_aside`), so the trainer sees that the
    models in use are not the ones it made last and trains again.
    """
    from recommender.rank import Models

    for _attempt in range(2):
        try:
            return load_models(root, cat)
        except Exception as exc:  # noqa: BLE001 - any unreadable run: use the one before, never fail
            log.warning("local models unreadable (%s: %s); falling back", type(exc).__name__, exc)
            now = set_damaged_aside(root)
            if now is None:
                break
    return Models()


def export_session_serving(root: str | Path, *, should_stop: ShouldStop = None) -> bool:
    """Give the current run the numpy export of its session GRU if it lacks one (a run
    trained before the export existed). Imports torch: the learner calls it, never the
    window. True when a file was written.

    The learner does this as it starts, at the lowest priority, where importing torch and
    loading the model take seconds: ``should_stop`` is asked between those steps, and a
    stop raises :class:`recommender.stopping.TrainingStopped` with nothing written (the
    file is written whole or not at all; the next start exports it)."""
    run = current_run(root)
    if run is None or (run / SESSION_SERVING).exists() or not (run / SESSION_TORCH).exists():
        return False
    check(should_stop)
    import torch  # noqa: F401 - the slow step (about 2 s at the lowest priority): a stop is looked at after it

    from recommender.models.session_rnn import SessionGRU

    check(should_stop)
    gru = SessionGRU.load(run / SESSION_TORCH, device="cpu")
    check(should_stop)
    gru.export_serving(run / SESSION_SERVING, should_stop=should_stop)
    return True
