"""Train the person's local models from their plays, into a folder, atomically.

One run writes ``<root>/run-<time>/`` (WMF, AutoRec, the session GRU, ``items.npz``
with the track ids the models are aligned with, ``manifest.json`` with metrics)
and then points ``<root>/current.json`` at it with ``os.replace``: a reader sees
the old run or the new one, never half of one. The previous run is kept until a
later run replaces it, so the app can keep using it while the new one loads.

WMF starts from the shipped priors: item factors are initialised with each
track's prior factor (song, artist or tag regressor:
:func:`recommender.models.priors.prior_factors`), a
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

from recommender import fitting
from recommender.catalog import Catalog
from recommender.heldout import (
    StaticScores,
    fold_recall,
    listened_sessions,
    next_track_hr,
    play_order,
    play_rows,
)
from recommender.local_models import (
    SESSION_SERVING,
    SESSION_TORCH,
    current_run,
    model_weights,
    point_current,
    previous_run,
    prune_runs,
)
from recommender.stopping import ShouldStop, check
from segue_common import atomic


@dataclass
class TrainResult:
    path: Path | None
    n_plays: int
    metrics: dict = field(default_factory=dict)
    trained: list[str] = field(default_factory=list)
    seconds: float = 0.0


def train_local(root: str | Path, cat: Catalog, *, prior: np.ndarray | None = None,
                progress: Callable[[str, float], None] | None = None,
                session_model: bool = True, now: float | None = None, calibrate: bool = True,
                personal: bool = True, should_stop: ShouldStop = None) -> TrainResult:
    """Train WMF, AutoRec and the session GRU from ``cat.plays`` into ``root``.

    Parameters
    ----------
    root : folder of local models (the app passes ``paths.local_models_dir()``)
    cat : Catalog whose ``plays`` are the person's history
    prior : np.ndarray [shape=(cat.n, f)] prior factors (:func:`recommender.models.priors.prior_factors`), or None
        (then ``cat.factors``; a catalogue without any gets 32 random-start factors)
    progress : ``fn(stage, fraction)`` called between stages
    calibrate : measure Up next's weights fitted to the person's latest sessions (recorded, not applied)
    personal : learn corrections to Up next's weights from what the person kept or skipped
        of Segue's offers (the ranker applies them; :mod:`recommender.personal`)
    should_stop : ``fn() -> bool`` asked between the steps of every model (ALS sweeps,
        AutoRec and GRU batches, held-out queries); when it says so the run raises
        :class:`recommender.stopping.TrainingStopped`, its folder is removed and the
        current run stays as it was

    Returns
    -------
    TrainResult; ``path`` is None when there was nothing to learn from (zero plays).
    """
    t0 = time.perf_counter()
    stage_report = progress or (lambda stage, frac: None)

    def report(stage: str, fraction: float) -> None:
        check(should_stop)
        stage_report(stage, fraction)

    root = Path(root)
    n_plays = len(cat.plays)
    if cat.n == 0 or cat.n_listened + int(cat.skip_count.sum()) == 0:
        # Plays of songs no longer in the library (every folder removed) teach nothing here,
        # but the person has a history: "no plays yet" would tell them it was lost.
        why = "no plays yet" if n_plays == 0 else "no plays of songs in the library to learn from"
        return TrainResult(None, n_plays, {"note": f"{why}: priors and audio only"})
    from recommender.data import session_matrix

    report("sessions", 0.05)
    rows = play_rows(cat)
    sm = session_matrix(rows, item_ids=cat.track_ids)
    counts = sm.plays.tocsr()
    order = play_order(rows, sm)      # held-out sessions split in play order
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
    from recommender.calibrate import calibrate_up_next, held_out_sessions

    # The latest 20% of sessions are held out: the models measured on them and the ones
    # Up next's calibration uses are trained without them (the same sessions throughout,
    # so nothing that judges a model has seen what it is judged on).
    held = held_out_sessions(cat) or set()
    in_held = np.isin(sm.session_ids, [str(s) for s in held])
    fit_rows, held_rows = np.flatnonzero(~in_held), np.flatnonzero(in_held)
    held_factors = None
    try:
        report("wmf", 0.15)
        if counts.nnz:
            if len(held_rows) and len(fit_rows):
                held_wmf = fitting.fit_wmf(sessions[fit_rows], init, iterations=8, should_stop=should_stop)
                held_factors = held_wmf.item_factors
                held_order = order[held_rows]
                metrics["wmf_recall@20"] = fold_recall(held_wmf.score, sessions[held_rows], order=held_order)
                pop = np.asarray(sessions[fit_rows].sum(0), np.float64)
                metrics["popularity_recall@20"] = fold_recall(lambda row: pop, sessions[held_rows],
                                                               order=held_order)
            wmf = fitting.fit_wmf(counts, init, iterations=8, should_stop=should_stop)
            wmf.save(tmp / "wmf.npz")
            person = wmf.fold_in(counts[-1])[0]
            np.savez(tmp / "person.npz", wmf=person.astype(np.float32))
            trained.append("wmf")
        # AutoRec is dense over its columns: bounded to the most played tracks and the
        # latest sessions, so a 100k-play history trains in minutes, not hours.
        played = fitting.most_played(counts)
        ar_rows = np.r_[np.arange(max(0, n_sess - fitting.AUTOREC_MAX_SESSIONS), n_sess), n_sess]
        n_ar = len(ar_rows) - 1
        ar_split = int(n_ar * 0.8) if n_ar >= 5 else n_ar
        report("autorec", 0.4)
        if n_ar >= 2 and len(played) >= 2:
            sub = counts[ar_rows][:, played]
            kept = _earlier_measure(root, n_sess, AUTOREC_KEYS)
            if kept:
                # Measured by a recent run on nearly the same history: its numbers stand
                # (measuring costs a second AutoRec fit, the dearest part of a run).
                metrics.update(kept)
            elif ar_split < n_ar:
                # The held-out model's columns come from its training sessions only: columns
                # chosen over all sessions would tell it which tracks the held-out ones play.
                train_rows, test_rows = ar_rows[:ar_split], ar_rows[ar_split:n_ar]
                cand = fitting.most_played(counts[train_rows])
                if len(cand) >= 2:
                    train_sub = counts[train_rows][:, cand]
                    test, held_order = counts[test_rows], order[test_rows]
                    held_ar = fitting.fit_autorec(train_sub, should_stop=should_stop)
                    metrics["autorec_recall@20"] = fold_recall(held_ar.score, test, order=held_order, cols=cand)
                    pop = np.asarray(train_sub.sum(0), np.float64)
                    metrics["autorec_popularity_recall@20"] = fold_recall(
                        lambda row: pop, test, order=held_order, cols=cand)
                    metrics["autorec_measured_sessions"] = int(n_sess)
            ar = fitting.fit_autorec(sub, should_stop=should_stop)
            ar.save(tmp / "autorec.npz")
            person_scores = ar.score(sub[-1])[0]
            np.savez(tmp / "autorec_person.npz", rows=played, scores=person_scores.astype(np.float32))
            trained.append("autorec")
        report("session", 0.7)
        sids, seqs = listened_sessions(cat, with_ids=True)
        pairs = [(sid, s) for sid, s in zip(sids, seqs) if len(s) > 1][-fitting.SESSION_MAX_SESSIONS:]
        seqs = [s for _, s in pairs]
        # Up next's weights are fitted (a measurement: recommender/calibrate.py) again once
        # the history has grown by a quarter since they last were; in between the current
        # run's numbers stand (fitting replays hundreds of held-out queries).
        earlier = _earlier_measure(root, n_sess, CALIBRATION_KEYS) if calibrate else None
        calibrated = earlier is not None or not calibrate
        if earlier:
            metrics.update(earlier)
        if session_model and len(seqs) >= 2:
            from recommender.models.session_rnn import SessionGRU

            scat = fitting.item_space(cat)
            events = sum(len(s) for s in seqs)
            gru = SessionGRU(dim=48, epochs=int(np.clip(60_000 / events, 2, 12)), threads=1,
                             should_stop=should_stop)
            cut = sum(sid not in held for sid, _ in pairs) if held else int(len(seqs) * 0.8)
            cut = max(1, cut)
            gru.fit(seqs[:cut], scat)
            if cut < len(seqs):
                metrics["gru_hr@20"] = next_track_hr(gru, seqs[cut:][:50])
                pop = np.bincount(np.concatenate(seqs[:cut]), minlength=cat.n).astype(np.float64)
                metrics["popularity_hr@20"] = next_track_hr(StaticScores(pop), seqs[cut:][:50])
                if not calibrated:
                    report("calibrate", 0.85)
                    metrics.update(_calibrated(calibrate_up_next(
                        cat, session=gru.score, item_factors=held_factors,
                        session_weight=model_weights(metrics)["session"], should_stop=should_stop), n_sess))
                    calibrated = True
                gru.update(seqs[cut:], scat)
            gru.save(tmp / SESSION_TORCH)
            gru.export_serving(tmp / SESSION_SERVING)     # what the window scores with (no torch)
            trained.append("session_gru")
        if not calibrated:
            report("calibrate", 0.9)
            metrics.update(_calibrated(calibrate_up_next(cat, item_factors=held_factors, should_stop=should_stop),
                                      n_sess))
        if personal:
            # What this person's keeps and skips of Segue's offers say about Up next's
            # evidence: the ranker adds these corrections to its default weights.
            from recommender.personal import learn_weights

            report("personal", 0.95)
            metrics.update(learn_weights(cat, should_stop=should_stop))
        np.savez(tmp / "items.npz", track_ids=cat.track_ids)
        check(should_stop)          # the last chance: once the run is in place it is kept
        metrics["seconds"] = round(time.perf_counter() - t0, 2)
        manifest = {"trained_at": now or time.time(), "models": trained, "metrics": metrics,
                    "n_plays": n_plays, "n_tracks": cat.n,
                    "source": "this person's own plays (never leaves the machine)"}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, default=float))
        atomic.replace(tmp, run)
        point_current(root, run)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune_runs(root, keep={run.name, previous_run(root)})
    stage_report("written", 1.0)
    return TrainResult(run, n_plays, metrics, trained, time.perf_counter() - t0)


#: Held-out numbers (AutoRec's) and Up next's fitted weights are taken again once the
#: history has this many times the sessions it had when they were last taken.
REMEASURE_GROWTH = 1.25
AUTOREC_KEYS = ("autorec_recall@20", "autorec_popularity_recall@20", "autorec_measured_sessions")
CALIBRATION_KEYS = ("upnext_fitted_weights", "upnext_hr@20", "upnext_mrr@20", "upnext_default_hr@20",
                    "upnext_default_mrr@20", "upnext_queries", "upnext_calibrated_sessions")


def _calibrated(got: dict, n_sessions: int) -> dict:
    return {**got, "upnext_calibrated_sessions": int(n_sessions)} if got else got


def _earlier_measure(root: Path, n_sessions: int, keys: tuple[str, ...]) -> dict | None:
    """The current run's numbers under ``keys`` (the last one: the sessions they were
    taken on), if taken on nearly this history (fewer than ``REMEASURE_GROWTH`` times)."""
    run = current_run(root)
    if run is None:
        return None
    try:
        metrics = json.loads((run / "manifest.json").read_text()).get("metrics", {})
        taken = metrics.get(keys[-1])
        if not taken or not all(k in metrics for k in keys) or not taken <= n_sessions < REMEASURE_GROWTH * taken:
            return None
    except (OSError, ValueError, TypeError, AttributeError):  # (a manifest of another shape: measured again)
        return None
    return {k: metrics[k] for k in keys}
