"""Scripted listeners with hidden tastes: skip rate over time, Segue vs shuffle vs same-genre radio.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_listening.py [--kind sound|habits|both] [--listeners 6] [--plays 300]
        [--seed-base 100] [--without wmf,autorec,session,personal]

Listeners are seeded ``seed-base``, ``seed-base + 1``, ...: tune on one range, report on
another. ``--without`` trains as usual but leaves the named parts out of what Up next
uses (the local WMF's or AutoRec's taste, the session GRU, the corrections learned from
offers), to see what each part of training is worth.

The library (default 4,000 tracks, 12 genres, 400 artists) is generated from a
hidden content vector per track: genre centre + artist offset + noise. What the
ranker sees is what the app would see: a 64-d "tagger embedding" that is a noisy
random projection of that content, the genre tag, artist and album names, and
prior CF factors for 40 % of the tracks (noisy, like a match in the shipped priors).

Two kinds of listener, each accepting an offered track with a probability that grows
with how much they like it; a rejected track is an early skip. Sessions are 12 offers;
the next session starts 8 hours later.

- sound (the original one): hidden tastes in the sound (a preference vector over
  content, two favourite genres, a mood per session picked among them); recent repeats
  and the same artist twice in a row are liked less. An untrained audio ranker already
  serves this one well.
- habits: taste that is not in the sound, so only what is learned from plays can
  serve it. Sixteen favourite artists drawn from the whole library (so they cut across
  genres), in two sets of eight (a morning set and an evening set, say); each session
  is in one set's mood and starts with a song of that set the listener picks themselves
  (play something, then let Up next keep it going; that pick is not an offer). Within
  a set the listener likes to hear the artists in a habitual order (after A comes B,
  whatever their genres); a favourite of the other set is welcome but less; one song
  in twenty of the other artists is liked for its own sake (heard elsewhere); the
  sound counts only a little. As real listeners do, it replays favourite songs (only
  the last ten plays tire) and does not mind runs of an artist. It is no easier to
  please than the sound listener: it skips about as much of what shuffle offers.

Policies, each offered one track at a time, all from the same listener seeds (and the
same random draws, so the policies differ only in what they offer):
- shuffle: a random track;
- same-genre radio: a random track of the genre of the last accepted track in the
  session (shuffle until one is accepted);
- Segue: :meth:`recommender.rank.Recommender.up_next` over the play log so far,
  with the local models retrained from the plays every ``--train-every`` plays and between
  sessions (:func:`recommender.train.train_local`), as the app's trainer does;
- Segue, no training: the same ranker over the same growing play log, without local
  models (priors, audio and the play counts and transitions the ranker keeps itself).
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
    """Taste in the sound; ``accepts`` draws the decision for one offered track."""

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

    def pick(self, recent: list[int]) -> int | None:
        """The track the listener starts a session with themselves (None: the policy starts)."""
        return None

    def accepts(self, row: int, recent: list[int], last_kept: int | None = None) -> bool:
        z = 1.6 * self.like[row] - 1.2 + (0.8 if self.w.genre[row] == self.mood else 0.0)
        p = 1 / (1 + np.exp(-z))
        if row in recent[-60:]:
            p *= 0.3
        if recent and self.w.artist[recent[-1]] == self.w.artist[row]:
            p *= 0.7
        return bool(self.rng.random() < p)


class HabitListener(Listener):
    """Taste in artists and in the order of artists, across genres; hardly in the sound."""

    SETS, PER_SET = 2, 8

    def __init__(self, world: World, seed: int):
        super().__init__(world, seed)           # the mild sound leaning: ``like`` of two genres
        rng = np.random.default_rng(seed + 1000)
        artists = rng.choice(world.genre_of_artist.size, self.SETS * self.PER_SET, replace=False)
        self.sets = artists.reshape(self.SETS, self.PER_SET)
        self.set_of = {int(a): i for i, row in enumerate(self.sets) for a in row}
        # Habitual order inside a set: each artist's usual successor (a cycle through the set).
        self.after = {int(row[j]): int(row[(j + 1) % self.PER_SET]) for row in self.sets for j in range(self.PER_SET)}
        self.liked_songs = rng.random(world.artist.size) < 0.05
        self.mood_set = 0

    def new_session(self) -> None:
        self.mood_set = int(self.rng.integers(0, self.SETS))

    def pick(self, recent: list[int]) -> int | None:
        """Starts each session with a song of the mood's artists, one not heard lately
        (how the app is used: play something, then let Up next keep it going)."""
        pool = np.flatnonzero(np.isin(self.w.artist, self.sets[self.mood_set]))
        fresh = pool[~np.isin(pool, recent[-60:])]
        return int(self.rng.choice(fresh if len(fresh) else pool))

    def accepts(self, row: int, recent: list[int], last_kept: int | None = None) -> bool:
        a = int(self.w.artist[row])
        z = -1.0 + 0.3 * self.like[row] + 1.4 * self.liked_songs[row]
        s = self.set_of.get(a)
        if s is not None:
            z += 2.4 if s == self.mood_set else 1.0
            if last_kept is not None and self.after.get(int(self.w.artist[last_kept])) == a:
                z += 1.2                        # the artist that usually comes next
        p = 1 / (1 + np.exp(-z))
        # Favourite songs come back often (real listeners replay much of what they play
        # within a few dozen plays), but not one just heard; runs of an artist are fine.
        if row in recent[-10:]:
            p *= 0.3
        elif row in recent[-60:]:
            p *= 0.8
        return bool(self.rng.random() < p)


LISTENERS = {"sound": Listener, "habits": HabitListener}


def simulate(world: World, listener_seed: int, policy: str, n_plays: int, *, train_every: int,
             models_root: Path, trace: list | None = None, weights: list | None = None,
             kind: str = "sound", train_idle: bool = True, without: frozenset = frozenset(),
             lean: bool = False) -> np.ndarray:
    """Skip (1) or accept (0) for each of ``n_plays`` offers.

    Segue retrains after every ``train_every`` plays and, with ``train_idle``, at the end of
    each session (the next one starts hours later): the app's trainer runs after 20 new
    plays or once playback has been idle for five minutes with any new play.
    """
    listener = LISTENERS[kind](world, listener_seed)
    rng = np.random.default_rng(listener_seed + 17)
    cat = world.catalog
    n = cat.n
    log = {k: [] for k in ("track_id", "session_id", "started_at", "ms_heard", "track_ms", "ended", "source")}
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
            chosen = []                    # the listener's own picks heard through (the app passes only those)
            own = listener.pick(recent)
            if own is not None:            # the listener's own pick: heard, not counted as an offer
                session.append(own)
                chosen.append(own)
                recent.append(own)
                for k, v in (("track_id", int(cat.track_ids[own])), ("session_id", s_idx), ("started_at", t),
                             ("ms_heard", 220_000.0), ("track_ms", 220_000.0), ("ended", "finished"),
                             ("source", "library")):
                    log[k].append(v)
                t += 220
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
            # As the app asks it: only songs the person chose and heard through take back
            # the skips of their artist, not Segue's own offers that played on
            got = rec.up_next([int(cat.track_ids[r]) for r in session], 1,
                              skipped=[int(cat.track_ids[r]) for r in session_skips],
                              heard_through=[int(cat.track_ids[r]) for r in chosen])
            row = cat.row(got[0][0])
        kept = [r for r in session if r not in session_skips]
        ok = listener.accepts(row, recent, kept[-1] if kept else None)
        skips[i] = 0.0 if ok else 1.0
        if trace is not None:
            trace.append((row, ok))
        session.append(row)
        recent.append(row)
        if not ok:
            session_skips.append(row)
        for k, v in (("track_id", int(cat.track_ids[row])), ("session_id", s_idx), ("started_at", t),
                     ("ms_heard", 220_000.0 if ok else 6_000.0), ("track_ms", 220_000.0),
                     ("ended", "finished" if ok else "skipped"), ("source", "up_next")):
            log[k].append(v)
        t += 220 if ok else 6
        if policy == "segue":
            # Every offer is Segue's pick, logged as the app logs Up next's: source "up_next".
            cat.set_plays(PlayLog(*(np.array(log[k], dtype=object if k in ("ended", "source") else None)
                                    for k in ("track_id", "session_id", "started_at", "ms_heard", "track_ms",
                                              "ended", "source"))))
            session_over = pos == SESSION - 1
            if train_every and ((i + 1) % train_every == 0 or (train_idle and session_over)):
                train_local(models_root, cat, now=t, personal="personal" not in without,
                            session_model=not lean, calibrate=not lean)
                models = load_models(models_root, cat)
                for part in without & {"wmf", "autorec", "session"}:
                    models.weights[part] = 0.0
                if weights is not None:
                    weights.append(models.weights)
                rec = Recommender(cat, models, now=t)
            else:
                rec.refresh(now=t)
    cat.set_plays(PlayLog.empty())
    return skips


NAMES = {"shuffle": "shuffle", "radio": "same-genre radio", "segue": "Segue", "segue0": "Segue, no training"}


def run_kind(world: World, kind: str, args) -> dict:
    """Every policy for ``args.listeners`` listeners of one kind; prints its table."""
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
                runs.append(simulate(world, args.seed_base + s, policy, args.plays, train_every=train_every,
                                     kind=kind, train_idle=not args.no_idle_training, without=args.without,
                                     lean=args.lean,
                                     models_root=Path(tmp), weights=weights if name == "segue" else None))
        results[name] = np.array(runs)
        times[name] = time.perf_counter() - t0
    edges = list(range(0, args.plays, args.window)) + [args.plays]
    print(f"\nlistener: {kind} ({args.listeners} listeners)")
    print("policy".ljust(18) + "".join(f"{f'{a + 1}-{b}':>9s}" for a, b in zip(edges, edges[1:]))
          + "   first 200  seconds")
    for policy, runs in results.items():
        sk = runs.mean(0)
        cells = "".join(f"{sk[a:b].mean():9.2f}" for a, b in zip(edges, edges[1:]))
        print(f"{NAMES[policy]:18s}{cells}{sk[:200].mean():12.3f}{times[policy]:9.1f}")
    first = {k: float(v[:, :200].mean()) for k, v in results.items()}
    if weights:
        mean_w = {k: np.mean([w.get(k, np.nan) for w in weights]) for k in weights[0]}
        print("mean model weights (held-out lift over popularity, 0..1): "
              + ", ".join(f"{k} {v:.2f}" for k, v in mean_w.items()))
    if "segue0" in results:
        # Per listener, over the first 200 offers: what training changed.
        d = results["segue"][:, :200].mean(1) - results["segue0"][:, :200].mean(1)
        print("Segue minus Segue-no-training per listener (first 200): "
              + " ".join(f"{x:+.3f}" for x in d))
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=4000)
    parser.add_argument("--kind", choices=["sound", "habits", "both"], default="both")
    parser.add_argument("--listeners", type=int, default=6)
    parser.add_argument("--plays", type=int, default=300)
    parser.add_argument("--train-every", type=int, default=20,
                        help="retrain after this many plays, as the app does (0: never train)")
    parser.add_argument("--no-idle-training", action="store_true",
                        help="do not also retrain between sessions (the app does: it trains when idle)")
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--seed-base", type=int, default=100,
                        help="listeners are seeded from this on (the default six: 100-105)")
    parser.add_argument("--without", default="",
                        help="comma-separated parts of training Up next leaves out: wmf, autorec, session, personal")
    parser.add_argument("--lean", action="store_true",
                        help="train without what Up next does not use (the session GRU, whose weight in it is 0 "
                             "by default, and the calibration, which is recorded only): the same offers, sooner")
    args = parser.parse_args(argv)
    args.without = frozenset(filter(None, args.without.split(",")))
    unknown = args.without - {"wmf", "autorec", "session", "personal"}
    if unknown:
        parser.error(f"--without: unknown parts {sorted(unknown)}")
    world = World(args.tracks)
    print(f"{args.tracks} tracks, {args.plays} offers per listener, listeners seeded from {args.seed_base}, "
          f"sessions of {SESSION}; "
          f"Segue retrains every {args.train_every} plays"
          f"{'' if args.no_idle_training else ' and between sessions'}"
          f"{'; without ' + ','.join(sorted(args.without)) if args.without else ''}"
          f"{' (lean)' if args.lean else ''}; skip rate per window of offers")
    kinds = ["sound", "habits"] if args.kind == "both" else [args.kind]
    summary = {kind: run_kind(world, kind, args) for kind in kinds}
    print("\nfirst 200 offers: Segue's skip rate against the targets")
    print("listener   Segue  /shuffle (<0.5)  vs radio (<1)  /no training (<=0.9)")
    ok = True
    for kind, f in summary.items():
        ratios = (f["segue"] / f["shuffle"], f["segue"] / f["radio"],
                  f["segue"] / f["segue0"] if "segue0" in f else float("nan"))
        met = ratios[0] < 0.5 and ratios[1] < 1.0 and ratios[2] <= 0.9
        ok &= met
        print(f"{kind:9s}{f['segue']:7.3f}{ratios[0]:17.2f}{ratios[1]:15.2f}{ratios[2]:22.2f}   "
              f"{'met' if met else 'NOT met'}")
    print("all targets met" if ok else "targets NOT all met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
