"""A scripted listener with hidden tastes: skip rate over time, Segue vs shuffle vs same-genre radio.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_listening.py [--listeners 3] [--plays 300]

The library (default 4,000 tracks, 12 genres, 400 artists) is generated from a
hidden content vector per track: genre centre + artist offset + noise. What the
ranker sees is what the app would see: a 64-d "tagger embedding" that is a noisy
random projection of that content, the genre tag, artist and album names, and
prior CF factors for 40 % of the tracks (noisy, like a match in the shipped priors).

Each listener has hidden tastes (a preference vector over content, two favourite
genres, a mood per session picked among them) and accepts an offered track with a
probability that grows with how much they like it; recent repeats and the same
artist twice in a row are liked less. A rejected track is an early skip. Sessions
are 12 offers; the next session starts 8 hours later.

Policies, each offered one track at a time, all from the same listener seeds:
- shuffle: a random track;
- same-genre radio: a random track of the genre of the last accepted track in the
  session (shuffle until one is accepted);
- Segue: :meth:`recommender.rank.Recommender.up_next` over the play log so far,
  with the local models retrained from the plays every ``--train-every`` plays
  (:func:`recommender.train.train_local`), as the app's trainer does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from recommender.catalog import Catalog, PlayLog  # noqa: E402
from recommender.rank import Recommender  # noqa: E402

SESSION = 12


class World:
    """The generated library and its hidden content."""

    def __init__(self, n: int, *, genres: int = 12, artists: int = 400, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.genre_of_artist = rng.integers(0, genres, artists)
        self.artist = rng.integers(0, artists, n)
        self.genre = self.genre_of_artist[self.artist]
        centres = rng.normal(size=(genres, 16)) * 1.2
        artist_off = rng.normal(size=(artists, 16)) * 0.6
        self.content = centres[self.genre] + artist_off[self.artist] + 0.5 * rng.normal(size=(n, 16))
        proj = rng.normal(size=(16, 64))
        emb = self.content @ proj + 2.0 * rng.normal(size=(n, 64))            # the tagger's noisy view
        fac = self.content[:, :12] @ rng.normal(size=(12, 32)) + rng.normal(size=(n, 32))
        fac[rng.random(n) < 0.6] = 0.0                                        # no prior match
        self.ids = np.arange(1, n + 1)
        self.catalog = Catalog.build(
            track_ids=self.ids, artists=[f"artist {a}" for a in self.artist],
            albums=[f"album {a}-{i % 3}" for i, a in enumerate(self.artist)],
            titles=[f"track {i}" for i in self.ids], durations=np.full(n, 220.0), embedding=emb,
            buckets=[f"genre {g}" for g in self.genre], factors=fac)


class Listener:
    """Hidden tastes; ``accepts`` draws the decision for one offered track."""

    def __init__(self, world: World, seed: int):
        self.w, self.rng = world, np.random.default_rng(seed)
        fav = self.rng.choice(world.genre.max() + 1, 2, replace=False)
        mask = np.isin(world.genre, fav)
        self.taste = world.content[mask].mean(0) + 0.3 * self.rng.normal(size=16)
        self.favourites = fav
        like = world.content @ self.taste
        self.like = (like - like.mean()) / like.std()
        self.mood = fav[0]

    def new_session(self) -> None:
        self.mood = self.rng.choice(self.favourites)

    def accepts(self, row: int, recent: list[int]) -> bool:
        z = 1.6 * self.like[row] - 1.2 + (0.8 if self.w.genre[row] == self.mood else 0.0)
        p = 1 / (1 + np.exp(-z))
        if row in recent[-60:]:
            p *= 0.3
        if recent and self.w.artist[recent[-1]] == self.w.artist[row]:
            p *= 0.7
        return bool(self.rng.random() < p)


def simulate(world: World, listener_seed: int, policy: str, n_plays: int, *, train_every: int,
             models_root: Path, trace: list | None = None, weights: list | None = None) -> np.ndarray:
    """Skip (1) or accept (0) for each of ``n_plays`` offers."""
    listener = Listener(world, listener_seed)
    rng = np.random.default_rng(listener_seed + 17)
    cat = world.catalog
    n = cat.n
    log = {k: [] for k in ("track_id", "session_id", "started_at", "ms_heard", "track_ms", "ended")}
    recent: list[int] = []
    skips = np.zeros(n_plays)
    rec, models, t = None, None, 1.7e9
    from recommender.local_models import load_models
    from recommender.train import train_local

    for i in range(n_plays):
        s_idx, pos = divmod(i, SESSION)
        if pos == 0:
            listener.new_session()
            session, session_skips, t = [], [], t + 8 * 3600
        if policy == "shuffle":
            row = int(rng.integers(0, n))
        elif policy == "radio":
            kept = [r for r in session if r not in session_skips]
            if kept:
                pool = np.flatnonzero((world.genre == world.genre[kept[-1]]) & ~np.isin(np.arange(n), session))
                row = int(rng.choice(pool))
            else:
                row = int(rng.integers(0, n))
        else:
            if rec is None:
                rec = Recommender(cat, models)
            got = rec.up_next([int(cat.track_ids[r]) for r in session], 1,
                              skipped=[int(cat.track_ids[r]) for r in session_skips])
            row = cat.row(got[0][0])
        ok = listener.accepts(row, recent)
        skips[i] = 0.0 if ok else 1.0
        if trace is not None:
            trace.append((row, ok))
        session.append(row)
        recent.append(row)
        if not ok:
            session_skips.append(row)
        for k, v in (("track_id", int(cat.track_ids[row])), ("session_id", s_idx), ("started_at", t),
                     ("ms_heard", 220_000.0 if ok else 6_000.0), ("track_ms", 220_000.0),
                     ("ended", "finished" if ok else "skipped")):
            log[k].append(v)
        t += 220 if ok else 6
        if policy == "segue":
            # Every offer is Segue's pick, logged as the app logs Up next's: source "up_next".
            cat.set_plays(PlayLog(*(np.array(log[k], dtype=object if k == "ended" else None)
                                    for k in ("track_id", "session_id", "started_at", "ms_heard", "track_ms", "ended")),
                                  source=np.full(len(log["track_id"]), "up_next", dtype=object)))
            if train_every and (i + 1) % train_every == 0:
                train_local(models_root, cat, now=t)
                models = load_models(models_root, cat)
                if weights is not None:
                    weights.append(models.weights)
                rec = Recommender(cat, models, now=t)
            else:
                rec.refresh(now=t)
    cat.set_plays(PlayLog.empty())
    return skips


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=4000)
    parser.add_argument("--listeners", type=int, default=3)
    parser.add_argument("--plays", type=int, default=300)
    parser.add_argument("--train-every", type=int, default=50, help="0: never train (ranker on play log only)")
    parser.add_argument("--window", type=int, default=50)
    args = parser.parse_args(argv)
    world = World(args.tracks)
    results, times = {}, {}
    weights: list[dict] = []
    policies = [("shuffle", "shuffle", 0), ("radio", "radio", 0), ("segue", "segue", args.train_every)]
    if args.train_every:
        policies.append(("segue0", "segue", 0))
    for name, policy, train_every in policies:
        t0 = time.perf_counter()
        runs = []
        for s in range(args.listeners):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(simulate(world, 100 + s, policy, args.plays, train_every=train_every,
                                     models_root=Path(tmp), weights=weights if name == "segue" else None))
        results[name] = np.mean(runs, axis=0)
        times[name] = time.perf_counter() - t0
    edges = list(range(0, args.plays, args.window)) + [args.plays]
    print(f"{args.tracks} tracks, {args.listeners} listeners, {args.plays} offers each, sessions of {SESSION}; "
          f"Segue retrains every {args.train_every} plays")
    head = "policy".ljust(18) + "".join(f"{f'{a + 1}-{b}':>9s}" for a, b in zip(edges, edges[1:])) + "   first 200  seconds"
    print("skip rate per window of offers")
    print(head)
    names = {"shuffle": "shuffle", "radio": "same-genre radio", "segue": "Segue",
             "segue0": "Segue, no training"}
    for policy, sk in results.items():
        cells = "".join(f"{sk[a:b].mean():9.2f}" for a, b in zip(edges, edges[1:]))
        print(f"{names[policy]:18s}{cells}{sk[:200].mean():12.2f}{times[policy]:9.1f}")
    seg = results["segue"]
    print("Segue / baseline skip rate, offers 101-200: "
          f"vs shuffle {seg[100:200].mean() / results['shuffle'][100:200].mean():.2f}x, "
          f"vs same-genre radio {seg[100:200].mean() / results['radio'][100:200].mean():.2f}x")
    below = [b for a, b in zip(edges, edges[1:]) if seg[a:b].mean() < min(results['shuffle'][a:b].mean(),
                                                                           results['radio'][a:b].mean())]
    print(f"first window where Segue skips less than both: {'plays up to ' + str(below[0]) if below else 'none'}")
    if weights:
        mean_w = {k: np.mean([w.get(k, np.nan) for w in weights]) for k in weights[0]}
        print("mean model weights (held-out lift over popularity, 0..1): "
              + ", ".join(f"{k} {v:.2f}" for k, v in mean_w.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
