"""Tuning Up next's defaults on validation splits of the dev people (never their test period).

    python -m recommender.research.upnext_lab dump --logs DIR [--people dev] --out FOLDER
    python -m recommender.research.upnext_lab fit --dumps FOLDER
    python -m recommender.research.upnext_lab gru --logs DIR [--people dev]

``dump`` carves a validation split out of each person's training period (the last
``--val-frac`` of it; the test period after the cut is never read) and, for every
validation query, stores Up next's signals (:meth:`Recommender.up_next_signals`,
ranked as of the start of the query's session, untrained) for a pool of candidates:
the top of each signal plus the target. ``fit`` searches signal weights on those
pools: one set for everyone (the defaults), and per person fitted on the first half of
their validation queries and measured on the second (what calibration can do).
The baselines are measured on the same validation queries for comparison. ``gru`` asks
whether a session GRU given more room (a larger state, more epochs), or one over
artists, knows what the neighbour sessions do not: alone and blended with STAN, on the
same validation queries, updated after every session as the app updates it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from recommender.calibrate import signal_matrix
from recommender.rank import SIGNALS

POOL_PER_SIGNAL = 60


def validation_split(path: Path, *, last: int, train_frac: float, val_frac: float):
    """``(log, split, catalog)``: the person's log (its ``last`` listened plays), split at the
    start of the last ``val_frac`` of its training period (the first ``train_frac`` of its
    time); the queries are that validation stretch, the test period after it never read."""
    from recommender.models.session_base import ItemSpace
    from recommender.research.logs import load_log_file
    from recommender.research.splits import make_split

    log = load_log_file(path, last_listened=last or None)
    t0, t1 = float(log.times[0]), float(log.times[-1])
    cut = t0 + train_frac * (t1 - t0)
    val_cut = t0 + (1 - val_frac) * (cut - t0)
    split = make_split(log, cut=val_cut, repeats=False, gap_s=1800, train_repeats=True, t_end=cut)
    catalog = ItemSpace(log.n_items, log.item_artist, log.n_artists)
    return log, split, catalog


def dump_person(path: Path, out: Path, *, last: int, train_frac: float, val_frac: float, config=None,
                baselines: str = "same-artist,item-knn,sr,v-sknn,stan", gru: bool = False,
                fresh_gru: bool = False, retrain_plays: int | None = None) -> dict:
    from recommender.research.eval_sessions import factories
    from recommender.research.eval_upnext import UpNextRanker, load_priors_or_none
    from recommender.research.protocol import run

    log, split, catalog = validation_split(path, last=last, train_frac=train_frac, val_frac=val_frac)
    base = run(split, catalog, factories(baselines.split(","), epochs=1), update=True, repeats=False,
               log=lambda *a: None)
    ranker = UpNextRanker(log, priors=load_priors_or_none(lambda *a: None), retrain_plays=retrain_plays, config=config)
    ranker.fit(split.train, catalog)
    session_fn = None
    if gru:      # a GRU as train_local fits one, on the sessions before the validation period
        from recommender.models.session_rnn import SessionGRU
        from recommender.rank import Models

        events = sum(len(t) for t in split.train)
        model = SessionGRU(dim=48, epochs=int(np.clip(60_000 / max(events, 1), 2, 12)), threads=1)
        model.fit(split.train, catalog.head(split.n_known_at_fit))

        def session_fn(rows):
            return model.score(np.asarray(rows)[np.asarray(rows) < model.catalog.n_items])
    X, target, qid = [], [], []
    names = list(SIGNALS)
    for i, (items, is_query, n_known) in enumerate(split.test):
        if session_fn is not None and i > 0 and fresh_gru:      # updated after each session, as in the app
            known_now = int(ranker._known_after[int(split.positions[i][0]) - 1])
            model.update([split.updates[i - 1]], catalog.head(known_now))
        for j in np.flatnonzero(is_query):
            position = int(split.positions[i][j])
            s = int(ranker._session_of[position])
            rec = ranker._session_recommender(s)
            if session_fn is not None and (rec.models.session is None or fresh_gru):
                def pad(rows, n=rec.catalog.n):
                    g = session_fn(rows)
                    return np.concatenate([g, np.full(n - len(g), float(np.median(g)))])
                rec.models = Models(session=pad)
            here = np.arange(int(ranker._session_start[s]), position)
            listened = here[~log.skipped[here]]
            rows = rec.catalog.rows(log.items[listened] + 1)
            known = int(ranker._known_after[position - 1])
            sig = rec.up_next_signals(rows, rows[-1] if len(rows) else -1)
            allowed = np.ones(rec.catalog.n, bool)
            allowed[known:] = False
            allowed[rows] = False
            cand = np.flatnonzero(allowed)
            pool = set()
            for v in sig.values():
                vv = v[cand].astype(np.float32)
                top = cand[np.argpartition(-vv, min(POOL_PER_SIGNAL, len(cand) - 1))[:POOL_PER_SIGNAL]]
                pool.update(top.tolist())
            tgt = int(items[j])
            t_row = int(rec.catalog.row(tgt + 1)) if tgt < known else -1
            if t_row >= 0:
                pool.add(t_row)
            pool = np.array(sorted(pool), np.int64)
            X.append(signal_matrix(sig, names, pool))
            target.append(int(np.searchsorted(pool, t_row)) if t_row >= 0 else -1)
            qid.append(len(X) - 1)
    ranker.close()
    lens = np.array([len(x) for x in X], np.int64)
    np.savez_compressed(out, X=np.concatenate(X) if X else np.zeros((0, len(names))), lens=lens,
                        target=np.array(target, np.int64), names=np.array(names))
    summary = {"person": log.person, "queries": len(X), "cold": int((np.array(target) < 0).sum()),
               "baselines": {k: v.summary() for k, v in base.items()}}
    Path(str(out) + ".json").write_text(json.dumps(summary, indent=1, default=float))
    return summary


class Pools:
    """One person's validation pools as a padded [q, m, s] array for fast scoring."""

    def __init__(self, path: Path):
        z = np.load(path)
        self.names = [str(n) for n in z["names"]]
        lens, X = z["lens"], z["X"]
        self.target = z["target"]
        m = int(lens.max()) if len(lens) else 1
        self.X = np.zeros((len(lens), m, X.shape[1]), np.float32)
        self.mask = np.zeros((len(lens), m), bool)
        off = 0
        for i, n in enumerate(lens):
            self.X[i, :n] = X[off:off + n]
            self.mask[i, :n] = True
            off += n
        self.meta = json.loads(Path(str(path) + ".json").read_text())

    def subset(self, idx: np.ndarray) -> "Pools":
        new = object.__new__(Pools)
        new.names, new.meta = self.names, self.meta
        new.X, new.mask, new.target = self.X[idx], self.mask[idx], self.target[idx]
        return new

    def metrics(self, w: np.ndarray) -> tuple[float, float]:
        """HR@20 and MRR@20 of the blend ``w`` (ties against the target count against it)."""
        s = self.X @ w
        s = np.where(self.mask, s, -np.inf)
        ok = self.target >= 0
        q = np.arange(len(s))
        t = np.where(ok, s[q, np.maximum(self.target, 0)], np.inf)
        rank = (s >= t[:, None]).sum(1)            # 1 = first (the target ties itself)
        hit = ok & (rank <= 20)
        return float(hit.mean()), float(np.where(hit, 1.0 / np.maximum(rank, 1), 0.0).mean())


GRID = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def coordinate_search(score, w0: np.ndarray, free: list[int], *, signed: set[int] = frozenset(), rounds: int = 3):
    """Maximise ``score(w)`` one weight at a time over a grid (and its negatives for ``signed``)."""
    w, best = w0.copy(), score(w0)
    for _ in range(rounds):
        changed = False
        for k in free:
            grid = set(GRID) | ({-g for g in GRID} if k in signed else set())
            for g in sorted(grid):
                trial = w.copy()
                trial[k] = g
                val = score(trial)
                if val > best + 1e-9:
                    best, w, changed = val, trial, True
        if not changed:
            break
    return w, best


def softmax_fit(p: "Pools", w0: np.ndarray, *, l2: float = 1.0, steps: int = 200, lr: float = 0.05) -> np.ndarray:
    """Weights that maximise the softmax likelihood of the targets in their pools, with an
    L2 pull towards ``w0`` (``l2`` per query-averaged unit): a smooth fit that few queries
    cannot drag far."""
    ok = p.target >= 0
    X, mask, t = p.X[ok], p.mask[ok], p.target[ok]
    if not len(t):
        return w0
    w = w0.astype(np.float64).copy()
    q = np.arange(len(t))
    for _ in range(steps):
        s = np.where(mask, X @ w, -np.inf)
        s = s - s.max(1, keepdims=True)
        e = np.exp(s)
        prob = e / e.sum(1, keepdims=True)
        grad = (X[q, t] - np.einsum("qm,qms->qs", prob, X)).mean(0) - l2 * (w - w0)
        w += lr * grad
    return w.astype(np.float32)


GRU_VARIANTS = {"gru-64x20": dict(dim=64, epochs=20), "gru-128x40": dict(dim=128, epochs=40, dropout=0.2)}
ARTIST_GRU = {"artist-gru-64x20": dict(dim=64, epochs=20)}


def _artist_gru(**params):
    """A session GRU over artists rather than tracks: what artist comes next, learned from
    the person's sessions (an artist's tracks all get its score; tracks of no known artist
    the lowest). Sessions are read as sequences of their known artists."""
    from recommender.models.session_base import ItemSpace, SessionModel, check_sessions
    from recommender.models.session_rnn import SessionGRU

    class ArtistGRU(SessionModel):
        name = "artist-gru"

        def _artists(self, sessions):
            a = self.catalog.item_artist
            return [a[s][a[s] >= 0] for s in check_sessions(sessions, self.catalog.n_items)]

        def fit(self, sessions, catalog):
            self.catalog = catalog
            self.space = ItemSpace.plain(catalog.n_artists)
            self.gru = SessionGRU(use_artist=False, use_side=False, threads=1, update_epochs=2, **params)
            self.gru.fit(self._artists(sessions), self.space)
            return self

        def _update(self, sessions):
            self.gru.update(self._artists(sessions), self.space)

        def score(self, prefix):
            a = self.catalog.item_artist
            rows = self._prefix(prefix)
            by_artist = self.gru.score(a[rows][a[rows] >= 0])
            return np.where(a >= 0, by_artist[np.maximum(a, 0)], by_artist.min() - 1.0)

    return ArtistGRU()
GRU_BLEND_WEIGHTS = (0.1, 0.25, 0.5)


def gru_person(path: Path, *, last: int, train_frac: float, val_frac: float) -> dict:
    """HR@20 / MRR@20 on one person's validation queries of STAN, SR, each of
    :data:`GRU_VARIANTS` and :data:`ARTIST_GRU`, and each blended with STAN
    (``w``·softmax(GRU) + (1-``w``)·STAN)."""
    from functools import partial

    from recommender.models.session_rnn import SessionGRU
    from recommender.research.eval_sessions import factories
    from recommender.research.protocol import run

    log, split, catalog = validation_split(path, last=last, train_frac=train_frac, val_frac=val_frac)
    facs = factories(["stan", "sr"], epochs=1)
    for name, params in GRU_VARIANTS.items():
        facs[name] = partial(SessionGRU, use_side=False, threads=1, update_epochs=2, **params)
    for name, params in ARTIST_GRU.items():
        facs[name] = partial(_artist_gru, **params)
    blends = [(g, "stan", w) for g in [*GRU_VARIANTS, *ARTIST_GRU] for w in GRU_BLEND_WEIGHTS]
    res = run(split, catalog, facs, update=True, repeats=False, blends=blends, log=lambda *a: None)
    return {name: {k: r.summary()[k] for k in ("HR@20", "MRR@20")} for name, r in res.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.research.upnext_lab", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--logs", required=True)
    d.add_argument("--people", default="dev")
    d.add_argument("--out", required=True)
    d.add_argument("--last", type=int, default=5000)
    d.add_argument("--train-frac", type=float, default=0.8)
    d.add_argument("--val-frac", type=float, default=0.25, help="share of the training period asked")
    d.add_argument("--gru", action="store_true", help="add a session GRU fitted before the validation period")
    d.add_argument("--fresh-gru", action="store_true", help="...and updated after every session")
    d.add_argument("--retrain-plays", type=int, help="train the local models as the app does, every N plays")
    d.add_argument("--config", default="", help="RankConfig fields, e.g. neighbour_step=1,recent_half_life_s=86400")
    f = sub.add_parser("fit")
    f.add_argument("--dumps", required=True)
    g = sub.add_parser("gru")
    g.add_argument("--logs", required=True)
    g.add_argument("--people", default="dev")
    g.add_argument("--last", type=int, default=5000)
    g.add_argument("--train-frac", type=float, default=0.8)
    g.add_argument("--val-frac", type=float, default=0.25, help="share of the training period asked")
    args = ap.parse_args(argv)
    if args.cmd == "gru":
        from recommender.research.eval_people import log_files, pick_people

        files = log_files(Path(args.logs))
        got = {}
        for p in pick_people(files, args.people):
            got[p] = gru_person(files[p], last=args.last, train_frac=args.train_frac, val_frac=args.val_frac)
            print(p, " ".join(f"{k} {v['HR@20']:.3f}/{v['MRR@20']:.3f}" for k, v in got[p].items()), flush=True)
        print("| model | HR@20 | MRR@20 |\n|---|---:|---:|")
        for name in next(iter(got.values())):
            print(f"| {name} | {np.mean([got[p][name]['HR@20'] for p in got]):.4f} | "
                  f"{np.mean([got[p][name]['MRR@20'] for p in got]):.4f} |")
        return 0
    if args.cmd == "dump":
        from recommender.research.eval_people import log_files, pick_people

        files = log_files(Path(args.logs))
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        from recommender.rank import RankConfig

        fields = dict(kv.split("=") for kv in args.config.split(",") if kv)
        config = RankConfig(**{k: type(getattr(RankConfig, k))(v) for k, v in fields.items()}) if fields else None
        for p in pick_people(files, args.people):
            got = dump_person(files[p], out / f"{p}.npz", last=args.last, train_frac=args.train_frac,
                              val_frac=args.val_frac, gru=args.gru or args.fresh_gru, fresh_gru=args.fresh_gru,
                              retrain_plays=args.retrain_plays, config=config)
            print(p, got["queries"], "queries", flush=True)
        return 0
    pools = [Pools(p) for p in sorted(Path(args.dumps).glob("*.npz"))]
    names = pools[0].names

    def total(w, ps):
        return float(np.mean([sum(p.metrics(w)) for p in ps]))

    w0 = np.array([1.0 if n in ("taste", "sequence", "neighbours") else 0.0 for n in names], np.float32)
    free = [k for k, n in enumerate(names) if n not in ("sound", "genre", "session")]
    signed = {names.index("fresh"), names.index("recent"), names.index("taste")}
    w, best = coordinate_search(lambda w: total(w, pools), w0, free, signed=signed)
    print("shared weights, no session model:", dict(zip(names, w.round(3).tolist())), f"objective {best:.4f}")
    ws, best_s = coordinate_search(lambda x: total(x, pools), w, free + [names.index("session")], signed=signed)
    print("shared weights, with it:", dict(zip(names, ws.round(3).tolist())), f"objective {best_s:.4f}")
    print("| person | q | shared HR/MRR | +session | grid-calibrated (2nd half) | softmax-calibrated | shared on 2nd half | best baseline HR | best MRR |")
    rows = []
    for p in pools:
        half = len(p.target) // 2
        first, second = p.subset(np.arange(half)), p.subset(np.arange(half, len(p.target)))
        wp, _ = coordinate_search(lambda x: sum(first.metrics(x)), ws, free, signed=signed, rounds=2)
        wsm = softmax_fit(first, ws)
        base = p.meta["baselines"]
        bh = max(base, key=lambda b: base[b]["HR@20"])
        bm = max(base, key=lambda b: base[b]["MRR@20"])
        f = lambda m: f"{m[0]:.3f}/{m[1]:.3f}"  # noqa: E731
        rows.append((second.metrics(ws), second.metrics(wp), second.metrics(wsm)))
        print(f"| {p.meta['person']} | {len(p.target)} | {f(p.metrics(w))} | {f(p.metrics(ws))} | {f(second.metrics(wp))} | "
              f"{f(second.metrics(wsm))} | {f(second.metrics(ws))} | {bh} {base[bh]['HR@20']:.3f} | {bm} {base[bm]['MRR@20']:.3f} |")
    r = np.array(rows)
    print("2nd-half means (shared, grid, softmax) HR:", r[:, :, 0].mean(0).round(4), "MRR:", r[:, :, 1].mean(0).round(4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
