"""The app's own Up next ranker on one person's listening log, beside the session baselines.

    python -m recommender.evaluate upnext --log PATH [--last 5000] [--retrain-plays 200]
        [--models pop,same-artist,item-knn,sr,v-sknn,stan] [--no-priors] [--json OUT]

``evaluate sessions`` measures the next-track models one by one. What the person
meets is :meth:`recommender.rank.Recommender.up_next`: embedding and prior-factor
context, taste from the plays, the transitions and the local models that
:func:`recommender.train.train_local` trains (WMF, AutoRec, session GRU, each weighed
by its own held-out lift), skip handling, replay spacing and artist spacing. This
script runs that ranker through the same protocol (:mod:`recommender.research.protocol`)
and the same queries as the baselines, in one run:

- time-ordered split (the first ``--train-frac`` of the log's time span trains);
  every later listened play with a listened predecessor in its session is a query;
  candidates are the tracks played before it (a first play is a miss for everyone);
- skips (heard < 30 s, or marked skipped) are never targets; the baselines never see
  them, the app's ranker gets them as the app would (the session's plays so far in
  order, which of them were skipped, how many of the latest were skips in a row, and
  the early skips in its play log);
- repeats removed from the queries and the candidates (Up next never repeats a
  session track), kept in what every model learns from; all models are updated after
  each test session, the app's ranker sees every play before the query;
- the product ranker's 20-track queue is its ranked list (HR@20, MRR@20 of the next
  play; Recall@10 of the rest of the session);
- Radio: each test session's first track seeds a station; Recall@20 and NDCG@20 of
  the rest of the session, for :meth:`Recommender.radio` and the seed-based baselines.

What the ranker sees is what the app would see for a library of exactly these tracks
with no audio analysed: artist, album and title (so the shipped priors match by name),
the plays with their real start times, and its local models, retrained from every play
before a session once ``--retrain-plays`` new plays have come (the app retrains every
20 plays or when idle; fewer trainings keep the evaluation fast and can only leave
the models staler than the app's).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from recommender.catalog import Catalog, PlayLog
from recommender.models.session_base import ItemSpace, SessionModel
from recommender.research.eval_sessions import BASELINES, factories
from recommender.research.logs import load_log_file
from recommender.research.protocol import run
from recommender.research.splits import make_split
from segue_common.listening import EARLY_SKIP_MS, SESSION_GAP_S, split_sessions

TRACK_S = 240.0   # a track's length where the log does not tell (Last.fm scrobbles)


def track_lengths(log) -> np.ndarray:
    """Seconds per item: the longest play of it in the log where plays carry ``ms_played``
    (a full listen is the track's length), else :data:`TRACK_S`. [shape=(n_items,)]"""
    out = np.zeros(log.n_items)
    ms = np.nan_to_num(log.ms_played, nan=0.0) / 1000.0
    np.maximum.at(out, log.items, ms)
    return np.where(out >= 30.0, np.minimum(out, 1200.0), TRACK_S)


def app_play_log(log, gap_s: float = SESSION_GAP_S) -> PlayLog:
    """Every play of ``log`` as the app's store would hold it (track id = item + 1).

    A skip is an early skip (``ended="skipped"``, heard for less than the early-skip
    limit; a play marked skipped after longer is clipped to that limit, so that the
    app's rule reads it as the skip the log says it was); every other play is finished.
    """
    sid = np.zeros(len(log), np.int64)
    for k, pos in enumerate(split_sessions(log.times, gap_s=gap_s)):
        sid[pos] = k
    length_ms = track_lengths(log)[log.items] * 1000.0
    heard = np.where(np.isfinite(log.ms_played), log.ms_played, length_ms)
    heard = np.where(log.skipped, np.minimum(heard, EARLY_SKIP_MS - 1), heard)
    ended = np.where(log.skipped, "skipped", "finished").astype(object)
    return PlayLog(track_id=log.items + 1, session_id=sid, started_at=log.times.astype(np.float64),
                   ms_heard=heard.astype(np.float64), track_ms=np.maximum(length_ms, heard), ended=ended)


def _streak(skipped: np.ndarray) -> int:
    """How many of the latest plays (``skipped``: per play of the session so far, oldest
    first) were early skips in a row, as the app counts them for Up next."""
    ok = np.flatnonzero(~skipped)
    return int(len(skipped) - 1 - ok[-1]) if len(ok) else len(skipped)


class UpNextRanker(SessionModel):
    """:meth:`Recommender.up_next` behind the session-model contract of the protocol.

    Item ``i`` of the log is track id ``i + 1``. The ranker reads the log itself
    (``wants_position``): asked for the play at log position ``p``, it ranks as of the
    start of p's session (every play before it, ``now`` = that start) with the session
    so far given as the app gives it: its listened tracks as the session, its skips as
    skips. (The app also adds the session's plays to its counts at once; that only
    touches the session's own tracks, which Up next never offers again.) Its library
    is every track played before the session plus those the session plays for the
    first time, which it may not know yet at ``p``: the protocol drops them from its
    list, so it is asked for that many more tracks.

    Local models are trained (:func:`recommender.train.train_local`, the app's own
    code) from every play before the start of a session once ``retrain_plays`` new
    plays have been logged since the last training; ``retrain_plays=None`` never trains
    (the untrained ablation). ``fit`` and ``update`` only mark time: everything the
    ranker learns comes from the log before the query, so nothing later can leak in.
    """

    name = "segue-up-next"
    wants_position = True

    def __init__(self, log, *, gap_s: float = SESSION_GAP_S, priors=None, retrain_plays: int | None = 200,
                 models_root: str | Path | None = None, session_model: bool = True, config=None,
                 spacing: bool = True, calibrate: bool = True):
        super().__init__()
        self.spacing = spacing           # False: the blended scores as they are, before Up next's picking rules
        self.calibrate = calibrate
        self.config = config
        self.log = log
        sessions = split_sessions(log.times, gap_s=gap_s)
        self._session_of = np.zeros(len(log), np.int64)
        for k, pos in enumerate(sessions):
            self._session_of[pos] = k
        self._session_start = np.array([pos[0] for pos in sessions], np.int64)
        self._session_end = np.array([pos[-1] + 1 for pos in sessions], np.int64)
        self._known_after = np.maximum.accumulate(log.items) + 1   # items known once play p happened
        self.plays = app_play_log(log, gap_s)
        self.retrain_plays = retrain_plays
        self.session_model = session_model
        keys = [k.split("\x1f", 1) if "\x1f" in k else (None, None) for k in log.keys]
        self._artists = [log.artists[a] if a >= 0 else None for a in log.item_artist]
        self._titles = [t for _, t in keys]
        self._albums = list(log.item_album)
        self._lengths = track_lengths(log)
        self._prior = None
        if priors is not None:
            from recommender.models.priors import prior_factors

            self._prior, _ = prior_factors(priors, self._artists, self._titles, None)
        self._root = Path(models_root) if models_root else Path(tempfile.mkdtemp(prefix="segue-upnext-"))
        self._own_root = models_root is None
        self._trained_at = -1            # plays the last training saw (-1: none yet)
        self._session = -1               # the session the cached recommender serves
        self._rec = None
        self.trainings = 0
        self.train_s = 0.0
        self.rank_s = 0.0
        self.fitted: list[dict] = []     # what each training's calibration chose

    # -- the contract ---------------------------------------------------------
    def fit(self, sessions, catalog: ItemSpace) -> "UpNextRanker":
        self.catalog = catalog
        return self

    def _update(self, sessions) -> None:
        pass

    def score(self, prefix, position: int | None = None) -> np.ndarray:
        if position is None:
            raise ValueError("the app's ranker reads the log: give the query's log position")
        self._prefix(prefix)
        t0 = time.perf_counter()
        s = int(self._session_of[position])
        rec = self._session_recommender(s)
        here = np.arange(int(self._session_start[s]), position)
        listened = here[~self.log.skipped[here]]
        skipped = here[self.log.skipped[here]]
        known = int(self._known_after[position - 1]) if position > 0 else 0
        if not self.spacing:
            self.rank_s += time.perf_counter() - t0
            return self._raw_scores(rec, listened, skipped, known, _streak(self.log.skipped[here]))
        n_future = rec.catalog.n - known               # this session's first plays still to come
        # As the app asks: the session's plays in order, skips among them, and how many of
        # the latest were early skips in a row.
        picks = rec.up_next((self.log.items[here] + 1).tolist(), 20 + n_future,
                            skipped=(self.log.items[skipped] + 1).tolist(), streak=_streak(self.log.skipped[here]))
        self.rank_s += time.perf_counter() - t0
        return self._scores(picks, known)

    def _raw_scores(self, rec, listened, skipped, known: int, streak: int) -> np.ndarray:
        """The blend Up next picks from (signals, weights, skip push), without its picking rules."""
        cat = rec.catalog
        sess = cat.rows(self.log.items[listened] + 1)
        skip_rows = cat.rows(self.log.items[skipped] + 1)
        kept = sess[sess >= 0]
        score = rec._blend(rec.up_next_signals(kept, int(kept[-1]) if len(kept) else -1))
        sess = cat.rows(self.log.items[np.sort(np.concatenate([listened, skipped]))] + 1)
        score = score - rec._skip_penalty(skip_rows[skip_rows >= 0], streak, session=sess[sess >= 0])
        out = np.full(self.catalog.n_items, -np.inf)
        out[:known] = score[:known]
        out[kept] = -np.inf
        return out

    def _scores(self, picks, known: int) -> np.ndarray:
        """The ranked list as scores (20 for the first), tracks unknown at the query left out."""
        scores = np.full(self.catalog.n_items, -np.inf)
        rank = 0
        for track_id, _ in picks:
            if track_id - 1 < known:
                scores[track_id - 1] = 20 - rank
                rank += 1
        return scores

    def radio(self, position: int) -> np.ndarray:
        """:meth:`Recommender.radio` seeded with the track at log ``position``, as of the
        start of its session; scores as :meth:`score` gives them (20 for the first pick)."""
        t0 = time.perf_counter()
        rec = self._session_recommender(int(self._session_of[position]))
        known = int(self._known_after[position - 1]) if position > 0 else 0
        picks = rec.radio(int(self.log.items[position]) + 1, 20 + rec.catalog.n - known)
        self.rank_s += time.perf_counter() - t0
        return self._scores(picks, known)

    # -- inside -----------------------------------------------------------------
    def _catalog(self, n: int, end: int) -> Catalog:
        """The library of the first ``n`` tracks with the plays before log position ``end``."""
        mask = np.zeros(len(self.log), bool)
        mask[:end] = True
        return Catalog.build(
            track_ids=np.arange(1, n + 1), artists=self._artists[:n], titles=self._titles[:n],
            albums=self._albums[:n], durations=self._lengths[:n],
            factors=None if self._prior is None else self._prior[:n], plays=self.plays.subset(mask))

    def _session_recommender(self, s: int):
        from recommender.local_models import load_models
        from recommender.rank import Recommender

        if s == self._session and self._rec is not None:
            return self._rec
        start, end = int(self._session_start[s]), int(self._session_end[s])
        if self.retrain_plays is not None and (self._trained_at < 0 or start - self._trained_at >= self.retrain_plays):
            self._train(start)
        n = int(self._known_after[end - 1])
        cat = self._catalog(n, start)
        self._rec = Recommender(cat, load_models(self._root, cat), config=self.config,
                                now=float(self.log.times[start]))
        self._session = s
        return self._rec

    def _train(self, start: int) -> None:
        """Train the local models from every play before log position ``start``."""
        from recommender.train import train_local

        t0 = time.perf_counter()
        n = int(self._known_after[start - 1]) if start > 0 else 0
        if n == 0:
            return
        cat = self._catalog(n, start)
        result = train_local(self._root, cat, session_model=self.session_model, calibrate=self.calibrate,
                             now=float(self.log.times[start - 1]),
                             prior=None if self._prior is None else self._prior[:n])
        self.fitted.append({k: result.metrics[k] for k in ("upnext_fitted_weights", "upnext_hr@20", "upnext_mrr@20",
                                                            "upnext_default_hr@20", "upnext_default_mrr@20",
                                                            "upnext_queries", "seconds") if k in result.metrics})
        self.train_s += time.perf_counter() - t0
        self.trainings += 1
        self._trained_at = start

    def close(self) -> None:
        if self._own_root:
            shutil.rmtree(self._root, ignore_errors=True)


SEGUE = "segue up next"
UNTRAINED = "segue up next, untrained"
RADIO_BASELINES = ("same-artist", "item-knn", "sr")
DEFAULT_MODELS = "pop,same-artist,item-knn,sr,v-sknn,stan"


def load_priors_or_none(say=print):
    from recommender.models.priors import PriorsError, load_priors

    try:
        return load_priors()
    except (PriorsError, OSError) as exc:
        say(f"no priors ({exc})")
        return None


def evaluate_log(log, *, models: list[str], priors=None, train_frac: float = 0.8, gap_s: float = SESSION_GAP_S,
                 retrain_plays: int | None = 200, untrained: bool = True, radio: bool = True, epochs: int = 20,
                 session_model: bool = True, diagnostics: bool = False, trained: bool = True,
                 config: dict | None = None, calibrate: bool = True, extra: dict | None = None,
                 say=print) -> dict:
    """One person's log through the protocol: the baselines in ``models``, the app's Up
    next (trained, and untrained if asked) and, with ``radio``, Radio against the
    seed-based baselines. Returns a JSON-able record (see :func:`format_table`)."""
    wall = time.perf_counter()
    facs = factories(models, epochs=epochs)
    untrained_config = None
    if config:              # research: other settings for the untrained ranker (the trained one reads its run)
        from recommender.rank import RankConfig

        untrained_config = RankConfig(**config)
    rankers: dict[str, UpNextRanker] = {}

    def ranker(name, **kw):
        def make():
            rankers[name] = UpNextRanker(log, gap_s=gap_s, priors=priors, session_model=session_model, **kw)
            return rankers[name]
        return make

    if trained:
        facs[SEGUE] = ranker(SEGUE, retrain_plays=retrain_plays, calibrate=calibrate)
    if untrained:
        facs[UNTRAINED] = ranker(UNTRAINED, retrain_plays=None, config=untrained_config)
    # Research rankers beside the untrained one (``evaluate people --rerank``): name ->
    # ``make(log, gap_s=, priors=, session_model=, config=, refit_plays=)``.
    for name, make in (extra or {}).items():
        def made(name=name, make=make):
            rankers[name] = make(log, gap_s=gap_s, priors=priors, session_model=session_model,
                                 config=untrained_config, refit_plays=retrain_plays or 200)
            return rankers[name]
        facs[name] = made
    if diagnostics:         # how much Up next's picking rules (artist spacing...) cost here
        facs[UNTRAINED + ", no spacing"] = ranker(UNTRAINED + ", no spacing", retrain_plays=None, spacing=False,
                                                  config=untrained_config)
    catalog = ItemSpace(log.n_items, log.item_artist, log.n_artists)
    t0, t1 = float(log.times[0]), float(log.times[-1])
    cut = t0 + train_frac * (t1 - t0)
    split = make_split(log, cut=cut, repeats=False, gap_s=gap_s, train_repeats=True)
    stations = tuple(n for n in (*RADIO_BASELINES, SEGUE if trained else UNTRAINED) if n in facs) if radio else ()
    try:
        results = run(split, catalog, facs, update=True, repeats=False, radio=stations, log=say)
    finally:
        for r in rankers.values():
            r.close()
    out = {"person": log.person, "plays": len(log), "listened": log.n_listened,
           "skips": int(log.skipped.sum()), "podcasts": log.podcasts, "tracks": log.n_items,
           "artists": log.n_artists, "cut": cut, "train_sessions": len(split.train),
           "n_queries": split.n_queries, "n_cold": split.n_cold, "test_skips": split.n_skips,
           "results": {k: v.summary() for k, v in results.items()},
           "segue": {name: {"trainings": r.trainings, "train_s": round(r.train_s, 2), "rank_s": round(r.rank_s, 2),
                            "fitted": r.fitted} for name, r in rankers.items()}}
    out["wall_s"] = round(time.perf_counter() - wall, 1)
    return out


def format_table(record: dict, title: str) -> str:
    lines = [f"### {title}", "",
             f"{record['listened']:,} listened plays ({record['skips']:,} skips, {record['podcasts']:,} podcast rows "
             f"dropped), {record['tracks']:,} tracks; {record['train_sessions']} training sessions, "
             f"{record['n_queries']} queries ({record['n_cold']} targets never played before: a miss for every "
             f"model); wall {record['wall_s']:.0f} s", "",
             "| model | HR@20 | MRR@20 | Recall@10 | Radio Recall@20 | Radio NDCG@20 | fit (s) | updates (s) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in record["results"].items():
        radio = (f"{s['Radio Recall@20']:.4f} | {s['Radio NDCG@20']:.4f}" if "Radio Recall@20" in s else "— | —")
        lines.append(f"| {name} | {s['HR@20']:.4f} | {s['MRR@20']:.4f} | {s['Recall@10']:.4f} | {radio} | "
                     f"{s['fit_s']:.2f} | {s['update_s_total']:.2f} |")
    for name, r in record["segue"].items():
        lines.append("")
        lines.append(f"{name}: {r['trainings']} local-model trainings ({r['train_s']:.1f} s), ranking "
                     f"{r['rank_s']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate upnext", description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", required=True, help="a people's log (.tsv or .tsv.gz), Last.fm 1K TSV, or "
                                                 "'time<TAB>artist<TAB>title' TSV")
    ap.add_argument("--user", help="user to take from a multi-user Last.fm file (default: the largest)")
    ap.add_argument("--last", type=int, default=0, help="keep only the latest N listened plays (0: all)")
    ap.add_argument("--train-frac", type=float, default=0.8)
    ap.add_argument("--gap-min", type=float, default=SESSION_GAP_S / 60)
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help="baselines and session models run beside the app's ranker (see evaluate sessions; "
                         "gru adds the standalone GRU)")
    ap.add_argument("--epochs", type=int, default=20, help="GRU training epochs (the standalone gru)")
    ap.add_argument("--retrain-plays", type=int, default=200,
                    help="new plays between local-model trainings (taken at the start of a session)")
    ap.add_argument("--no-priors", action="store_true", help="leave the shipped priors out")
    ap.add_argument("--no-untrained", action="store_true", help="skip the ranker without trained models")
    ap.add_argument("--no-radio", action="store_true", help="skip the Radio measurement")
    ap.add_argument("--no-session-model", action="store_true", help="train the local models without the GRU")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args(argv)
    if not 0 < args.train_frac < 1:
        ap.error("--train-frac must be in (0, 1)")

    log = load_log_file(args.log, user=args.user, last_listened=args.last or None)
    priors = None if args.no_priors else load_priors_or_none()
    cut_note = f"local models retrained every {args.retrain_plays} plays"
    print(f"log {args.log}: {len(log)} plays ({log.n_listened} listened), {log.n_items} tracks, "
          f"{log.n_artists} artists; priors {'on' if priors else 'off'}; {cut_note}")
    record = evaluate_log(log, models=[n for n in args.models.split(",") if n], priors=priors,
                          train_frac=args.train_frac, gap_s=args.gap_min * 60, retrain_plays=args.retrain_plays,
                          untrained=not args.no_untrained, radio=not args.no_radio, epochs=args.epochs,
                          session_model=not args.no_session_model)
    record["log"] = str(args.log)
    print()
    print(format_table(record, "Up next as the app ranks it, beside the session models (repeats removed, "
                               "models trained with repeats, updated after each session)"))
    base = {n: record["results"][n] for n in record["results"] if n in BASELINES}
    if base:
        seg = record["results"][SEGUE]
        for metric in ("HR@20", "MRR@20"):
            best = max(base, key=lambda n: base[n][metric])
            print(f"segue up next vs the best baseline on {metric} ({best}): {seg[metric]:.4f} vs {base[best][metric]:.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
