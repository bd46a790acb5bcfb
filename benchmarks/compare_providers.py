"""What the person sees from the plain provider (before the recommender is ready, or
without it) against the learning one, over one store: where they differ, the Discover
panel reorders and its reasons change under the person's eyes once the recommender is
ready, and a running station changes course.

    python -m benchmarks.compare_providers                  # 3,000 generated tracks
    python -m benchmarks.compare_providers --tracks 10000 --seeds 40

The store is a generated library (``library_gen``) with a fifth of its songs untagged
(whole albums and single songs), two artists' albums of one title ("Greatest Hits"), and
eight weeks of plays, some of Discover's offers skipped. Printed:

- Discover: whether the rows come in the same order; per row, the share of the learning
  row's tiles the plain row offers too; of the tiles both offer, the share whose reasons
  read the same; whether the captions are the same;
- Radio: for ``--seeds`` seeds (half of them untagged songs), the share of the learning
  station's first 20 songs that the plain station plays too, and the share of each
  station's songs of the genre the seed is taken for (its own, or its album's).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/compare_providers.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

PER_BUCKET = 14           # the window's DISCOVER_PER_BUCKET
STATION = 20


def make_store(path: Path, tracks: int, seed: int = 5):
    """The generated library described above, with its plays."""
    from benchmarks.library_gen import library_rows
    from player.store import Store

    rng = random.Random(seed)
    rows = library_rows(tracks, seed=seed)
    albums = sorted({(r["artist"], r["album"]) for r in rows})
    untagged_albums = set(rng.sample(albums, len(albums) // 10))
    best_of = set(rng.sample(albums, 4))
    for r in rows:
        key = (r["artist"], r["album"])
        if key in untagged_albums or rng.random() < 0.1:
            r["genre"] = None
        if key in best_of:
            r["album"] = "Greatest Hits"
    store = Store.open(path)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    ids = [t["id"] for t in store.tracks()]
    now = time.time()
    favourites = rng.sample(ids, 60)
    plays = []
    for i in range(600):
        track = rng.choice(favourites) if rng.random() < 0.6 else rng.choice(ids)
        at = now - 56 * 86400 + i * 8000
        source = "discover" if rng.random() < 0.15 else "library"
        heard = 200_000 if rng.random() < 0.8 else 4_000
        plays.append((track, at, heard, 200_000, "finished" if heard > 4_000 else "skipped", source))
    store.log_plays(plays)
    return store


def compare(store, seeds: int) -> dict:
    from player.recommendations import LibraryRecommendations
    from player.recommender_service import RecommenderService

    plain_p, learning_p = LibraryRecommendations(store), RecommenderService(store, priors=None)
    plain, learning = plain_p.discover(PER_BUCKET), learning_p.discover(PER_BUCKET)
    shared, same_reason, agree = [], 0, 0
    for bucket, row in learning.items():
        mine = {r.track_id: r.reason for r in plain.get(bucket, [])}
        theirs = {r.track_id: r.reason for r in row}
        both = set(mine) & set(theirs)
        shared.append(len(both) / len(theirs) if theirs else 1.0)
        same_reason += len(both)
        agree += sum(mine[t] == theirs[t] for t in both)
    out = {
        "rows": len(learning), "same row order": list(plain) == list(learning),
        "tiles offered by both (mean per row)": statistics.fmean(shared) if shared else 1.0,
        "same reason, of the tiles both offer": agree / same_reason if same_reason else 1.0,
        "same captions": getattr(plain_p, "discover_captions", lambda rows: {})(list(plain))
        == learning_p.discover_captions(list(learning)),
    }
    rec = learning_p.recommender()
    cat = rec.catalog
    rng = random.Random(1)
    tracks = store.tracks()
    untagged = [t["id"] for t in tracks if not t["genre"]]
    tagged = [t["id"] for t in tracks if t["genre"]]
    chosen = rng.sample(untagged, min(seeds // 2, len(untagged))) + rng.sample(tagged, seeds - seeds // 2)

    def genre(t: int) -> int:
        return int(rec.genre[cat.row(t)])

    overlap, in_genre = [], {"plain": [], "learning": []}
    for seed in chosen:
        stations = {"plain": [r.track_id for r in plain_p.radio(seed, STATION)],
                    "learning": [r.track_id for r in learning_p.radio(seed, STATION)]}
        overlap.append(len(set(stations["plain"]) & set(stations["learning"])) / max(len(stations["learning"]), 1))
        if genre(seed) >= 0:
            for name, ids in stations.items():
                in_genre[name].append(sum(genre(t) == genre(seed) for t in ids) / max(len(ids), 1))
    out["radio: learning station's songs the plain one plays too (mean)"] = statistics.fmean(overlap)
    for name, shares in in_genre.items():
        out[f"radio: {name} station's songs of the seed's genre (mean)"] = statistics.fmean(shares)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=3000)
    ap.add_argument("--seeds", type=int, default=30)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SEGUE_HOME"] = tmp
        store = make_store(Path(tmp) / "library.db", args.tracks)
        try:
            for key, value in compare(store, args.seeds).items():
                print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
