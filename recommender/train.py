"""Train the person's local models from their plays, into a folder, atomically.

One run writes ``<root>/run-<time>/`` (WMF, AutoRec, the session GRU, ``items.npz``
with the track ids the models are aligned with, ``manifest.json`` with metrics)
and then points ``<root>/current.json`` at it with ``os.replace``: a reader sees
the old run or the new one, never half of one. The previous run is kept until a
later run replaces it, so the app can keep using it while the new one loads.

WMF starts from the shipped priors: item factors are initialised with each
track's prior factor (song, artist or tag regressor: :func:`prior_factors`), a
few ALS sweeps fit the person's sessions, and tracks with no local plays keep
their prior (ALS would otherwise set them to zero for lack of data).

Held-out metrics come from the same run: models are fitted on the first 80 % of
sessions (in time), measured on the rest, then updated (GRU) or refitted (WMF,
AutoRec: seconds) on everything. Each held-out session folds in its first half in
play order and is scored on the rest; the held-out AutoRec's candidate columns come
from its training sessions only. Zero plays trains nothing (priors + audio);
one play trains WMF only.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

from recommender.catalog import Catalog
from recommender.local_models import (  # noqa: F401 - the folder format, re-exported
    CURRENT, TrainError, _point_current, _previous, _prune, current_run, load_models, model_weights,
)
from recommender.metrics import hit_rate_at_k, recall_at_k, top_k

AUTOREC_MAX_ITEMS = 4000
AUTOREC_MAX_SESSIONS = 3000
SESSION_MAX_SESSIONS = 3000     # the GRU learns from the latest sessions (recent habits)


@dataclass
class TrainResult:
    path: Path | None
    n_plays: int
    metrics: dict = field(default_factory=dict)
    trained: list[str] = field(default_factory=list)
    seconds: float = 0.0


def prior_factors(priors, artists, titles, tags: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Prior CF factor per track (HetRec artist space) and where it came from.

    Parameters
    ----------
    priors : recommender.models.priors.Priors
    artists, titles : sequences of str or None [shape=(n,)]
    tags : np.ndarray [shape=(n, 50)] tagger tag probabilities (rows of zeros = not analysed), or None

    Returns
    -------
    factors : np.ndarray [shape=(n, f)] float32, zero rows where nothing is known
    source : np.ndarray [shape=(n,)] str in {"song", "artist", "msd_artist", "tags", "none"}
    """
    n = len(artists)
    dim = priors.artists.dim
    out = np.zeros((n, dim), np.float32)
    source = np.full(n, "none", dtype=object)
    for i in range(n):
        vec, src = priors.factor_for(artists[i], titles[i])
        if vec is not None:
            out[i], source[i] = vec, src
    if tags is not None:
        need = np.flatnonzero((source == "none") & (np.abs(tags).sum(1) > 0))
        if len(need):
            out[need] = priors.tag_regressor.predict_factors(np.asarray(tags[need], np.float32))
            source[need] = "tags"
    return out, source.astype(str)


def _play_rows(cat: Catalog) -> list[dict]:
    p = cat.plays
    return [{"track_id": int(p.track_id[i]), "session_id": int(p.session_id[i]),
             "started_at": float(p.started_at[i]), "ms_heard": float(p.ms_heard[i]),
             "track_ms": float(p.track_ms[i]) or None, "ended": str(p.ended[i])} for i in range(len(p))]


def listened_sessions(cat: Catalog, *, with_ids: bool = False):
    """Sessions (oldest first) as arrays of catalogue rows of the plays listened to;
    with ``with_ids``, ``(session ids, sessions)``."""
    p = cat.plays
    rows = cat.rows(p.track_id)
    keep = (rows >= 0) & (p.feedback() > 0)
    out, order = [], {}
    for sid, r in zip(p.session_id[keep], rows[keep]):
        if sid not in order:
            order[sid] = len(out)
            out.append([])
        out[order[sid]].append(int(r))
    sessions = [np.asarray(s, np.int64) for s in out]
    return (list(order), sessions) if with_ids else sessions


def _fit_wmf(counts: sp.csr_matrix, init: np.ndarray, *, iterations: int):
    from recommender.models.wmf import WMF

    model = WMF(factors=init.shape[1], regularization=1.0, iterations=iterations)
    als = model._new_als()
    rng = np.random.default_rng(0)
    start = init.copy()
    cold = np.abs(start).sum(1) == 0
    start[cold] = rng.normal(0, 0.01, size=(int(cold.sum()), init.shape[1]))
    als.item_factors = start.astype(np.float32)
    als.fit(model.conf(counts), show_progress=False)
    model._als, model.n_items = als, counts.shape[1]
    played = np.asarray(counts.sum(0)).ravel() > 0
    items = np.asarray(als.item_factors, np.float32)
    items[~played] = init[~played]          # no local evidence: keep the prior
    model.item_factors = items
    als.item_factors = items
    return model


def _most_played(counts: sp.csr_matrix) -> np.ndarray:
    """Sorted columns played in ``counts``, at most AUTOREC_MAX_ITEMS (the most played)."""
    col_counts = np.asarray(counts.sum(0)).ravel()
    played = np.flatnonzero(col_counts > 0)
    if len(played) > AUTOREC_MAX_ITEMS:
        played = np.sort(played[np.argsort(-col_counts[played], kind="stable")[:AUTOREC_MAX_ITEMS]])
    return played


def _fit_autorec(counts: sp.csr_matrix, *, hidden: int = 128):
    from recommender.models.autorec import UAutoRec

    work = counts.shape[0] * counts.shape[1] * hidden
    steps_per_epoch = -(-counts.shape[0] // 64)
    epochs = int(np.clip(min(3e10 / max(work, 1), 400 / steps_per_epoch), 3, 30))
    return UAutoRec(hidden=hidden, epochs=epochs, batch=64).fit(counts)


def _play_order(rows: list[dict], sm) -> sp.csr_matrix:
    """[shape=sm.plays.shape] 1 + position of each track's first play in its session (0 = none).

    Rows and columns match ``sm`` (from :func:`recommender.data.session_matrix` over the
    same ``rows``), so slicing it like the counts keeps play order for held-out splits.
    """
    srow = {str(sid): i for i, sid in enumerate(sm.session_ids)}
    col = {int(t): j for j, t in enumerate(sm.item_ids)}
    first: dict[tuple[int, int], int] = {}
    seen = [0] * len(srow)
    for p in sorted(rows, key=lambda p: float(p["started_at"])):        # as session_matrix
        r, j = srow.get(str(p["session_id"])), col.get(int(p["track_id"]))
        if r is None or j is None:
            continue
        seen[r] += 1
        first.setdefault((r, j), seen[r])
    if not first:
        return sp.csr_matrix(sm.plays.shape, dtype=np.float32)
    (r, c), v = zip(*first.keys()), list(first.values())
    return sp.csr_matrix((np.asarray(v, np.float32), (r, c)), shape=sm.plays.shape)


def _fold_recall(score_fn, test: sp.csr_matrix, k: int = 20, *, order: sp.csr_matrix | None = None,
                 cols: np.ndarray | None = None, seed: int = 0) -> float:
    """Fold in the first half of each test session, recall@k on the other half.

    Parameters
    ----------
    score_fn : ``fn(csr row [shape=(1, m)]) -> scores [shape=(1, m)]``, m = len(cols) or n
    test : sp.csr_matrix [shape=(s, n)] held-out sessions
    order : sp.csr_matrix [shape=(s, n)] from :func:`_play_order`: "first half" is the
        earliest plays; without it each session's items are shuffled (fixed ``seed``)
    cols : the columns the model scores (a candidate subset); held-out items outside
        them stay relevant and count as misses
    """
    rng = np.random.default_rng(seed)
    n = test.shape[1]
    to_sub = None
    if cols is not None:
        to_sub = np.full(n, -1, np.int64)
        to_sub[cols] = np.arange(len(cols))
    recalls = []
    for u in range(test.shape[0]):
        items = test.indices[test.indptr[u]:test.indptr[u + 1]]
        if len(items) < 4:
            continue
        if order is not None:
            orow = order.getrow(u)
            when = dict(zip(orow.indices.tolist(), orow.data.tolist()))
            items = items[np.argsort([when.get(int(i), np.inf) for i in items], kind="stable")]
        else:
            items = rng.permutation(items)
        half, rest = items[: len(items) // 2], items[len(items) // 2:]
        if to_sub is None:
            fold, m = half, n
        else:
            fold, m = to_sub[half][to_sub[half] >= 0], len(cols)
        row = sp.csr_matrix((np.ones(len(fold), np.float32), (np.zeros(len(fold)), fold)), shape=(1, m))
        sub = np.asarray(score_fn(row), np.float64).ravel()
        s = sub if to_sub is None else np.full(n, -np.inf)
        if to_sub is not None:
            s[cols] = sub
        s[half] = -np.inf
        ranked = [r for r in top_k(s, k).tolist() if np.isfinite(s[r])]
        recalls.append(recall_at_k(ranked, rest.tolist(), k))
    return float(np.mean(recalls)) if recalls else float("nan")


def _session_catalog(cat: Catalog):
    from recommender.models.session_base import Catalog as SessionCatalog

    side_mask = np.abs(cat.embedding).sum(1) > 0
    return SessionCatalog(cat.n, cat.artist.astype(np.int64), max(len(cat.artist_names), 1),
                          cat.embedding if side_mask.any() else None, side_mask if side_mask.any() else None)


def _next_track_hr(model, sessions: list[np.ndarray], k: int = 20) -> float:
    hits = []
    for s in sessions:
        for i in range(1, len(s)):
            scores = model.score(s[:i])
            hits.append(hit_rate_at_k(top_k(np.asarray(scores, np.float64), k), [int(s[i])], k))
    return float(np.mean(hits)) if hits else float("nan")


def train_local(root: str | Path, cat: Catalog, *, prior: np.ndarray | None = None,
                progress: Callable[[str, float], None] | None = None,
                session_model: bool = True, now: float | None = None) -> TrainResult:
    """Train WMF, AutoRec and the session GRU from ``cat.plays`` into ``root``.

    Parameters
    ----------
    root : folder of local models (the app passes ``paths.local_models_dir()``)
    cat : Catalog whose ``plays`` are the person's history
    prior : np.ndarray [shape=(cat.n, f)] prior factors (:func:`prior_factors`), or None
        (then ``cat.factors``; a catalogue without any gets 32 random-start factors)
    progress : ``fn(stage, fraction)`` called between stages

    Returns
    -------
    TrainResult; ``path`` is None when there was nothing to learn from (zero plays).
    """
    t0 = time.perf_counter()
    report = progress or (lambda stage, frac: None)
    root = Path(root)
    n_plays = len(cat.plays)
    if cat.n == 0 or cat.n_listened + int(cat.skip_count.sum()) == 0:
        return TrainResult(None, n_plays, {"note": "no plays yet: priors and audio only"})
    from recommender.data import session_matrix

    report("sessions", 0.05)
    play_rows = _play_rows(cat)
    sm = session_matrix(play_rows, item_ids=cat.track_ids)
    counts = sm.plays.tocsr()
    order = _play_order(play_rows, sm)      # held-out sessions split in play order
    sessions = counts[:-1]
    n_sess = sessions.shape[0]
    init = np.asarray(prior if prior is not None else cat.factors, np.float32)
    if init.shape[0] != cat.n or np.abs(init).sum() == 0:
        init = np.zeros((cat.n, max(init.shape[1], 32)), np.float32)
    run = root / f"run-{int(time.time() * 1000)}-{os.getpid()}"
    tmp = root / (run.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    metrics: dict = {"n_plays": n_plays, "n_listened": cat.n_listened, "n_sessions": int(n_sess)}
    trained: list[str] = []
    try:
        split = int(n_sess * 0.8) if n_sess >= 5 else n_sess
        report("wmf", 0.15)
        if counts.nnz:
            if split < n_sess:
                held = _fit_wmf(sessions[:split], init, iterations=8)
                held_order = order[split:n_sess]
                metrics["wmf_recall@20"] = _fold_recall(held.score, sessions[split:], order=held_order)
                pop = np.asarray(sessions[:split].sum(0), np.float64)
                metrics["popularity_recall@20"] = _fold_recall(lambda row: pop, sessions[split:],
                                                               order=held_order)
            wmf = _fit_wmf(counts, init, iterations=8)
            wmf.save(tmp / "wmf.npz")
            person = wmf.fold_in(counts[-1])[0]
            np.savez(tmp / "person.npz", wmf=person.astype(np.float32))
            trained.append("wmf")
        # AutoRec is dense over its columns: bounded to the most played tracks and the
        # latest sessions, so a 100k-play history trains in minutes, not hours.
        played = _most_played(counts)
        ar_rows = np.r_[np.arange(max(0, n_sess - AUTOREC_MAX_SESSIONS), n_sess), n_sess]
        n_ar = len(ar_rows) - 1
        ar_split = int(n_ar * 0.8) if n_ar >= 5 else n_ar
        report("autorec", 0.4)
        if n_ar >= 2 and len(played) >= 2:
            sub = counts[ar_rows][:, played]
            if ar_split < n_ar:
                # The held-out model's columns come from its training sessions only: columns
                # chosen over all sessions would tell it which tracks the held-out ones play.
                train_rows, test_rows = ar_rows[:ar_split], ar_rows[ar_split:n_ar]
                cand = _most_played(counts[train_rows])
                if len(cand) >= 2:
                    train_sub = counts[train_rows][:, cand]
                    test, held_order = counts[test_rows], order[test_rows]
                    held = _fit_autorec(train_sub)
                    metrics["autorec_recall@20"] = _fold_recall(held.score, test, order=held_order, cols=cand)
                    pop = np.asarray(train_sub.sum(0), np.float64)
                    metrics["autorec_popularity_recall@20"] = _fold_recall(
                        lambda row: pop, test, order=held_order, cols=cand)
            ar = _fit_autorec(sub)
            ar.save(tmp / "autorec.npz")
            person_scores = ar.score(sub[-1])[0]
            np.savez(tmp / "autorec_person.npz", rows=played, scores=person_scores.astype(np.float32))
            trained.append("autorec")
        report("session", 0.7)
        from recommender.calibrate import calibrate_up_next, held_out_sessions

        # The latest 20% of sessions are held out from the session model measured below
        # and from Up next's calibration (the same sessions, so neither has seen them).
        held = held_out_sessions(cat) or set()
        sids, seqs = listened_sessions(cat, with_ids=True)
        pairs = [(sid, s) for sid, s in zip(sids, seqs) if len(s) > 1][-SESSION_MAX_SESSIONS:]
        seqs = [s for _, s in pairs]
        calibrated = False
        if session_model and len(seqs) >= 2:
            from recommender.models.session_rnn import SessionGRU

            scat = _session_catalog(cat)
            events = sum(len(s) for s in seqs)
            gru = SessionGRU(dim=48, epochs=int(np.clip(60_000 / events, 2, 12)), threads=1)
            cut = sum(sid not in held for sid, _ in pairs) if held else int(len(seqs) * 0.8)
            cut = max(1, cut)
            gru.fit(seqs[:cut], scat)
            if cut < len(seqs):
                metrics["gru_hr@20"] = _next_track_hr(gru, seqs[cut:][:50])
                pop = np.bincount(np.concatenate(seqs[:cut]), minlength=cat.n).astype(np.float64)
                metrics["popularity_hr@20"] = _next_track_hr(_Static(pop), seqs[cut:][:50])
                report("calibrate", 0.85)
                metrics.update(calibrate_up_next(cat, session=gru.score,
                                                 session_weight=model_weights(metrics)["session"]))
                calibrated = True
                gru.update(seqs[cut:], scat)
            gru.save(tmp / "session_gru.pt")
            trained.append("session_gru")
        if not calibrated:
            report("calibrate", 0.9)
            metrics.update(calibrate_up_next(cat))   # how much this person's sequences count in Up next
        np.savez(tmp / "items.npz", track_ids=cat.track_ids)
        metrics["seconds"] = round(time.perf_counter() - t0, 2)
        manifest = {"trained_at": now or time.time(), "models": trained, "metrics": metrics,
                    "n_plays": n_plays, "n_tracks": cat.n,
                    "source": "this person's own plays (never leaves the machine)"}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, default=float))
        os.replace(tmp, run)
        _point_current(root, run)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep={run.name, _previous(root)})
    report("written", 1.0)
    return TrainResult(run, n_plays, metrics, trained, time.perf_counter() - t0)


class _Static:
    def __init__(self, scores):
        self.scores = scores

    def score(self, prefix):
        return self.scores
