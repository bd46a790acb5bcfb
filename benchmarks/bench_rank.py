"""Latency of the ranker per call at 50,000 tracks (target: p95 under 20 ms).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_rank.py [--tracks 50000] [--calls 200] [--big-artist 1200]

A synthetic catalogue shaped like a real one after analysis: a 200-d tagger
embedding, 50 tags, 64 CF factors, 20 genre buckets, 5,000 artists (one of them with
``--big-artist`` tracks of one genre) and a play log of 20,000 plays. Prints p50/p95
per surface, beside a naive baseline measured in the same run (normalise the matrices
and fully sort on every call), and Discover with every song of the big artist left out
(the person asked never to be suggested them) against Discover with nothing left out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from recommender.catalog import Catalog, PlayLog  # noqa: E402
from recommender.rank import RankConfig, Recommender  # noqa: E402


def synthetic_catalog(n: int, *, d: int = 200, f: int = 64, n_buckets: int = 20, n_plays: int = 20_000,
                      seed: int = 0, big_artist: int = 0) -> Catalog:
    """A catalogue of ``n`` tracks in ``n_buckets`` clusters, with a random play log;
    the first ``big_artist`` tracks of the first cluster are by one artist, "big artist"."""
    rng = np.random.default_rng(seed)
    bucket = rng.integers(0, n_buckets, n)
    centres = rng.normal(size=(n_buckets, d)).astype(np.float32)
    emb = centres[bucket] + 0.6 * rng.normal(size=(n, d)).astype(np.float32)
    tags = 1 / (1 + np.exp(-rng.normal(size=(n, 50)).astype(np.float32)))
    fac = (emb[:, :f] * 0.5).astype(np.float32)
    fac[rng.random(n) < 0.6] = 0.0                      # most local tracks have no prior
    artist = rng.integers(0, max(1, n // 10), n)
    big = np.flatnonzero(bucket == 0)[:big_artist]
    artist[big] = -1
    ids = np.arange(1, n + 1)
    play_rows = rng.integers(0, n, n_plays)
    ended = np.where(rng.random(n_plays) < 0.7, "finished", "skipped").astype(object)
    plays = PlayLog(ids[play_rows], np.arange(n_plays) // 12, 1.7e9 + 200.0 * np.arange(n_plays),
                    np.where(ended == "finished", 200e3, 8e3), np.full(n_plays, 200e3), ended)
    return Catalog.build(track_ids=ids, artists=[f"artist {a}" if a >= 0 else "big artist" for a in artist],
                         albums=[f"album {a // 2}" for a in artist], titles=[f"t{i}" for i in ids],
                         durations=np.full(n, 210.0), embedding=emb, tags=tags,
                         buckets=[f"bucket {b}" for b in bucket], factors=fac, plays=plays)


def _naive_radio(cat: Catalog, seed_row: int, k: int) -> np.ndarray:
    e = cat.embedding / np.maximum(np.linalg.norm(cat.embedding, axis=1, keepdims=True), 1e-9)
    f = cat.factors / np.maximum(np.linalg.norm(cat.factors, axis=1, keepdims=True), 1e-9)
    s = e @ e[seed_row] + 0.6 * (f @ f[seed_row])
    return np.argsort(-s)[:k]


def _time(fn, calls: int) -> tuple[float, float]:
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--big-artist", type=int, default=1200,
                        help="tracks of one artist in one genre, left out in the last Discover row")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    cat = synthetic_catalog(args.tracks, big_artist=args.big_artist)
    t_cat = time.perf_counter() - t0
    t0 = time.perf_counter()
    rec = Recommender(cat)
    t_rec = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    ids = cat.track_ids
    session = list(rng.choice(ids, 8))
    big = [int(t) for t, a in zip(ids, cat.artist) if cat.artist_names[a] == "big artist"]
    cases = {
        "up_next(session of 8, k=10)": lambda i: rec.up_next(session + [int(ids[i])], 10,
                                                             exclude=set(ids[i + 1:i + 4].tolist())),
        "up_next after 2 skips": lambda i: rec.up_next(session, 10, skipped=[int(ids[i]), int(ids[i + 7])]),
        "radio(seed, k=10, 30 played)": lambda i: rec.radio(int(ids[i]), 10, exclude=ids[i + 1:i + 31].tolist()),
        "radio after 3 skips": lambda i: rec.radio(int(ids[i]), 10, exclude=ids[i + 1:i + 31].tolist(),
                                                   skipped=ids[i + 1:i + 4].tolist()),
        "discover(k_per_bucket=12)": lambda i: rec.discover(12),
        "explain(track, after:prev)": lambda i: rec.explain(int(ids[i]), f"after:{ids[i + 1]}"),
        "refresh() after a play": lambda i: rec.refresh(),
        f"discover(12), {len(big):,} left out": lambda i: rec.discover(12, never=big),
    }
    # A short history (100 sessions of 12), where Up next's places after its first few mix
    # in the order-free session vote, beside the same ranker without that mix.
    short = synthetic_catalog(args.tracks, n_plays=1200, big_artist=args.big_artist)
    played = [int(t) for t in short.plays.track_id]
    fused, plain = Recommender(short), Recommender(short, config=RankConfig(tail_vote=0.0))
    cases["up_next, 100 sessions, no vote mix"] = lambda i: plain.up_next(played[i % 1000:i % 1000 + 8], 20)
    cases["up_next, 100 sessions (k=20)"] = lambda i: fused.up_next(played[i % 1000:i % 1000 + 8], 20)

    # ...and with the reasons the app shows beside them: each song's as before, and with
    # the later places' reasons told what brought each song there (``why``).
    def reasons(i: int, told: bool) -> list[str]:
        session, why = played[i % 1000:i % 1000 + 8], {} if told else None
        got = fused.up_next(session, 20, why=why)
        return [fused.explain(t, f"after:{session[-1]}", (why or {}).get(t)) for t, _ in got]
    cases["  + reasons, not told why"] = lambda i: reasons(i, False)
    cases["  + reasons, told why"] = lambda i: reasons(i, True)
    base50, base95 = _time(lambda i: _naive_radio(cat, i, 10), args.calls)
    print(f"catalogue: {args.tracks} tracks, 200-d embedding, 64 factors, {len(cat.plays)} plays; "
          f"built in {t_cat:.2f} s, Recommender() in {t_rec * 1000:.0f} ms")
    print(f"{'call':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'p95 vs naive radio':>19s}")
    print(f"{'naive radio (normalise + argsort)':34s} {base50:8.2f} {base95:8.2f} {'1.00x':>19s}")
    worst, got = 0.0, {}
    for name, fn in cases.items():
        p50, p95 = got[name] = _time(fn, args.calls)
        worst = max(worst, p95)
        print(f"{name:34s} {p50:8.2f} {p95:8.2f} {p95 / base95:18.2f}x")
    print(f"worst p95: {worst:.1f} ms (target < 20 ms): {'OK' if worst < 20 else 'MISSED'}")
    (none50, none95), (left50, left95) = got["discover(k_per_bucket=12)"], got[f"discover(12), {len(big):,} left out"]
    print(f"discover with the big artist's {len(big):,} tracks left out vs nothing left out: "
          f"p50 {left50 / none50:.2f}x, p95 {left95 / none95:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
