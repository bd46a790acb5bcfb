"""The app's own Up next ranker on one person's listening log, beside the session baselines.

    python -m recommender.evaluate upnext --log PATH [--user U] [--retrain-every 10]
        [--models pop,same-artist,item-knn,sr,v-sknn,gru] [--no-priors] [--json OUT]

``evaluate sessions`` measures the next-track models one by one. What the person
meets is :meth:`recommender.rank.Recommender.up_next`: embedding and prior-factor
context, taste from the plays, the transitions and the local models that
:func:`recommender.train.train_local` trains (WMF, AutoRec, session GRU, each weighed
by its own held-out lift), skip handling, replay spacing and artist spacing. This
script runs that ranker through the same protocol (:mod:`recommender.research.protocol`)
and the same queries as the baselines, in one run:

- time-ordered split (the first ``--train-frac`` of the log's time span trains);
  every later play with a predecessor in its session is a query; candidates are the
  tracks played before it (a first play is a miss for everyone);
- repeats removed from the queries and the candidates (Up next never repeats a
  session track), kept in what every model learns from (``--train-with-repeats``
  in ``evaluate sessions``); all models are updated after each test session;
- the product ranker's 20-track queue is its ranked list (HR@20, MRR@20 of the next
  play; Recall@10 of the rest of the session).

What the ranker sees is what the app would see for a library of exactly these tracks
with no audio analysed: artist and title (so the shipped priors match by name), the
plays with their real start times, and its local models, retrained every
``--retrain-every`` test sessions (the app retrains every 20 plays or when idle).
Every play counts as listened: a Last.fm scrobble means at least half the track or
four minutes were heard, and the log has no skips.
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
from recommender.research.eval_sessions import BASELINES, factories, format_table
from recommender.research.logs import load_log_file
from recommender.research.protocol import run
from recommender.research.splits import make_split
from segue_common.listening import SESSION_GAP_S, split_sessions

TRACK_S = 240.0   # the log has no durations; every play is a full listen of a 4-minute track


class UpNextRanker(SessionModel):
    """:meth:`Recommender.up_next` behind the session-model contract of the protocol.

    Item ``i`` of the log is track id ``i + 1``. ``fit`` and ``update`` receive the
    log's sessions in time order (the protocol's ``train_repeats`` sessions); they are
    matched to the log's own sessions to recover real play times.
    """

    name = "segue-up-next"

    def __init__(self, log, *, gap_s: float = SESSION_GAP_S, priors=None, retrain_every: int | None = 10,
                 models_root: str | Path | None = None, session_model: bool = True, config=None):
        super().__init__()
        self.config = config
        self.log = log
        self._log_sessions = split_sessions(log.times, gap_s=gap_s)
        self._cursor = 0
        self.retrain_every = retrain_every
        self.session_model = session_model
        keys = [k.split("\x1f", 1) if "\x1f" in k else (None, None) for k in log.keys]
        self._artists = [log.artists[a] if a >= 0 else None for a in log.item_artist]
        self._titles = [t for _, t in keys]
        self._prior = None
        if priors is not None:
            from recommender.models.priors import prior_factors

            self._prior, _ = prior_factors(priors, self._artists, self._titles, None)
        self._root = Path(models_root) if models_root else Path(tempfile.mkdtemp(prefix="segue-upnext-"))
        self._own_root = models_root is None
        self._positions: list[np.ndarray] = []    # log positions of the plays seen so far, per session
        self._since_training = 0
        self._rec = None
        self._rec_n = -1
        self.trainings = 0
        self.train_s = 0.0
        self.fitted: list[dict] = []     # what each training's calibration chose

    # -- the contract ---------------------------------------------------------
    def fit(self, sessions, catalog: ItemSpace) -> "UpNextRanker":
        self.catalog = catalog
        for s in sessions:
            self._take(s)
        if self.retrain_every is not None:
            self._train()
        return self

    def _update(self, sessions) -> None:
        for s in sessions:
            self._take(s)
        self._since_training += len(sessions)
        if self.retrain_every and self._since_training >= self.retrain_every:
            self._train()
        self._rec = None                         # the new plays: rebuilt on the next query

    def score(self, prefix) -> np.ndarray:
        prefix = self._prefix(prefix)
        rec = self._recommender()
        picks = rec.up_next([int(i) + 1 for i in prefix], 20)
        scores = np.full(self.catalog.n_items, -np.inf)
        for rank, (track_id, _) in enumerate(picks):
            scores[track_id - 1] = 20 - rank
        return scores

    # -- inside -----------------------------------------------------------------
    def _take(self, items: np.ndarray) -> None:
        """Match the next session the protocol hands over with the log's next session."""
        pos = self._log_sessions[self._cursor]
        if not np.array_equal(self.log.items[pos], np.asarray(items)):
            raise ValueError("sessions must come in log order, as logged (train_repeats=True)")
        self._cursor += 1
        self._positions.append(pos)

    def _track_catalog(self, n: int) -> Catalog:
        """The library of the first ``n`` tracks (those played so far) with every play seen."""
        pos = np.concatenate(self._positions) if self._positions else np.zeros(0, np.int64)
        sid = np.concatenate([np.full(len(p), k) for k, p in enumerate(self._positions)]) if self._positions \
            else np.zeros(0, np.int64)
        items = self.log.items[pos]
        plays = PlayLog(track_id=items + 1, session_id=sid, started_at=self.log.times[pos].astype(np.float64),
                      ms_heard=np.full(len(pos), TRACK_S * 1000), track_ms=np.full(len(pos), TRACK_S * 1000),
                      ended=np.array(["finished"] * len(pos), dtype=object))
        return Catalog.build(
            track_ids=np.arange(1, n + 1), artists=self._artists[:n], titles=self._titles[:n],
            durations=np.full(n, TRACK_S), factors=None if self._prior is None else self._prior[:n],
            plays=plays)

    def _train(self) -> None:
        from recommender.train import train_local

        start = time.perf_counter()
        cat = self._track_catalog(self.catalog.n_items)
        result = train_local(self._root, cat, session_model=self.session_model,
                             now=float(cat.plays.started_at.max()))
        self.fitted.append({k: result.metrics[k] for k in ("upnext_sequence_weight", "upnext_session_blend",
                                                            "upnext_repeat_push") if k in result.metrics})
        self.train_s += time.perf_counter() - start
        self.trainings += 1
        self._since_training = 0
        self._rec = None

    def _recommender(self):
        from recommender.local_models import load_models
        from recommender.rank import Recommender

        n = self.catalog.n_items
        if self._rec is None or self._rec_n != n:
            cat = self._track_catalog(n)
            # Asked when the current session began (the log's next session), not when the
            # last one ended: what was played hours or days ago is not "just played".
            now = (float(self.log.times[self._log_sessions[self._cursor][0]])
                   if self._cursor < len(self._log_sessions) else None)
            self._rec = Recommender(cat, load_models(self._root, cat), config=self.config, now=now)
            self._rec_n = n
        return self._rec

    def close(self) -> None:
        if self._own_root:
            shutil.rmtree(self._root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate upnext", description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", required=True, help="Last.fm 1K TSV, or 'time<TAB>artist<TAB>title' TSV")
    ap.add_argument("--user", help="user to take from a multi-user Last.fm file (default: the largest)")
    ap.add_argument("--train-frac", type=float, default=0.8)
    ap.add_argument("--gap-min", type=float, default=SESSION_GAP_S / 60)
    ap.add_argument("--models", default="pop,same-artist,item-knn,sr,v-sknn,gru",
                    help="baselines and session models run beside the app's ranker (see evaluate sessions)")
    ap.add_argument("--epochs", type=int, default=20, help="GRU training epochs (the standalone gru)")
    ap.add_argument("--retrain-every", type=int, default=10, help="test sessions between local-model trainings")
    ap.add_argument("--no-priors", action="store_true", help="leave the shipped priors out")
    ap.add_argument("--no-local-models", action="store_true", help="also run the ranker without trained models")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args(argv)
    if not 0 < args.train_frac < 1:
        ap.error("--train-frac must be in (0, 1)")

    log = load_log_file(args.log, user=args.user)
    gap_s = args.gap_min * 60
    priors = None
    if not args.no_priors:
        from recommender.models.priors import PriorsError, load_priors

        try:
            priors = load_priors()
        except (PriorsError, OSError) as exc:
            print(f"no priors ({exc})")
    names = [n for n in args.models.split(",") if n]
    facs = factories(names, epochs=args.epochs)
    rankers: list[UpNextRanker] = []

    def ranker(**kw):
        r = UpNextRanker(log, gap_s=gap_s, priors=priors, **kw)
        rankers.append(r)
        return r

    facs["segue up next"] = lambda: ranker(retrain_every=args.retrain_every)
    if args.no_local_models:
        facs["segue up next, untrained"] = lambda: ranker(retrain_every=None)
    catalog = ItemSpace(log.n_items, log.item_artist, log.n_artists)
    t0, t1 = float(log.times[0]), float(log.times[-1])
    cut = t0 + args.train_frac * (t1 - t0)
    split = make_split(log, cut=cut, repeats=False, gap_s=gap_s, train_repeats=True)
    print(f"log {args.log}: {len(log)} plays, {log.n_items} tracks, {log.n_artists} artists; cut at "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(cut))} UTC; priors {'on' if priors else 'off'}; "
          f"local models retrained every {args.retrain_every} test sessions")
    try:
        results = run(split, catalog, facs, update=True, repeats=False)
    finally:
        for r in rankers:
            r.close()
    print()
    print(format_table("Up next as the app ranks it, beside the session models (repeats removed, "
                       "models trained with repeats, updated after each session)", results, split))
    for name, r in zip([n for n in facs if n.startswith("segue")], rankers):
        chosen = ", ".join("/".join(str(f.get(k, "-")) for k in ("upnext_sequence_weight", "upnext_session_blend",
                                                                  "upnext_repeat_push")) for f in r.fitted)
        print(f"{name}: {r.trainings} local-model trainings, {r.train_s:.1f} s in total; "
              f"sequence weight/session blend/repeat push fitted: {chosen or 'none'}")
    base = {n: results[n].summary() for n in results if n in BASELINES}
    if base:
        best = max(base, key=lambda n: base[n]["HR@20"] + base[n]["MRR@20"])
        seg = results["segue up next"].summary()
        print(f"segue up next vs best baseline ({best}): HR@20 {seg['HR@20']:.4f} vs {base[best]['HR@20']:.4f}, "
              f"MRR@20 {seg['MRR@20']:.4f} vs {base[best]['MRR@20']:.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"log": args.log, "plays": len(log), "n_queries": split.n_queries, "n_cold": split.n_cold,
                       "results": {k: v.summary() for k, v in results.items()}}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
