"""Discover's pool of songs in a large library with many compilations, worked out again.

    python -m benchmarks.bench_discover_pool                      # 100,000 tracks, a third on compilations
    python -m benchmarks.bench_discover_pool --tracks 20000 --share 0.5

A generated library (benchmarks/library_gen.py) in a real store, a share of its albums made
compilations as rips of them come (the compilation flag, no album artist, each track by its
own artist, some "A & B"). The plain provider reads it once; then its Discover pool (which
copy of each song Discover may offer, by genre) is worked out again, as after each change to
the library or to the songs left out, with the credit splitting each compilation's track asks
for kept (now) and done again on each call (the baseline, in the same run): the best of
``--runs`` each, and whether both offered the same songs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _compilations(store, share: float, seed: int = 3) -> int:
    """Make ``share`` of the albums compilations; returns how many tracks are on one."""
    rng = random.Random(seed)
    albums = [r[0] for r in store.execute("SELECT DISTINCT album || '\x1f' || artist FROM tracks").fetchall()]
    chosen = [a for a in albums if rng.random() < share]
    guests = [f"Guest {i}" for i in range(400)]
    changed = []
    for key in chosen:
        album, artist = key.split("\x1f")
        for (track_id,) in store.execute("SELECT id FROM tracks WHERE album = ? AND artist = ?", (album, artist)):
            credit = rng.choice(guests) if rng.random() < 0.7 else f"{rng.choice(guests)} & {rng.choice(guests)}"
            changed.append((credit, track_id))
    with store.transaction() as conn:
        conn.executemany("UPDATE tracks SET artist = ?, albumartist = NULL, compilation = 1 WHERE id = ?", changed)
    return len(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=1 / 3)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import player.library.albums as albums
    import player.recommendations as recs
    from benchmarks.library_gen import fill_store
    from player.store import Store
    from segue_common.normalize import credited_artists

    def uncached(artist):
        credited_artists.cache_clear()
        return credited_artists(artist)

    with tempfile.TemporaryDirectory(prefix="segue-discover-pool-") as tmp:
        store = Store.open(Path(tmp) / "library.db")
        fill_store(store, args.tracks)
        on_compilations = _compilations(store, args.share)
        library = recs.LibraryRecommendations(store)._library()
        results = {}
        calls = 0
        for name, split in (("split each time (baseline)", uncached), ("kept", credited_artists)):
            recs.credited_artists = albums.credited_artists = split
            best, pool = float("inf"), None
            for _ in range(args.runs):
                calls += 1
                credited_artists.cache_clear()          # (each way starts from nothing kept)
                t0 = time.perf_counter()
                pool = library.discover_pool(frozenset({-calls}))      # another left-out list: worked out again
                best = min(best, time.perf_counter() - t0)
            results[name] = (best, pool)
        recs.credited_artists = albums.credited_artists = credited_artists
        store.close()
    base_s, base_pool = results["split each time (baseline)"]
    print(f"{args.tracks:,} tracks, {on_compilations:,} on compilations")
    print(f"{'credits':<28} {'pool ms':>8} {'ratio':>6} {'same songs':>10}")
    for name, (s, pool) in results.items():
        print(f"{name:<28} {s * 1000:>8.0f} {s / base_s:>6.2f} {str(pool == base_pool):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
