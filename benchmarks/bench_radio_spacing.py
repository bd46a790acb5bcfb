"""How often Radio brings an artist back after one other song, by spacing rule, in one run.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_radio_spacing
    python -m benchmarks.bench_radio_spacing --tracks 6000 --seeds 10

A generated library (``library_gen``: artists of one genre each, a few albums each, about
seven artists a genre in 3,000 tracks), analysed (a sound per genre and per artist) and not,
for a new person and for one who plays three genres. From each of ``--seeds`` songs a
20-song station, asked ten at a time as the player does. For each rule of spacing (set
through ``RADIO_APART`` and ``RADIO_OPENING``, the first row the baseline): how often an
artist came back after exactly one other song (A B A), how often two took turns (A B A B),
the distinct artists and the songs off the seed's genre, over all stations.
"""

from __future__ import annotations

import argparse
import random
import sys

import numpy as np

from benchmarks.library_gen import library_rows
from recommender import rank
from recommender.catalog import Catalog, PlayLog
from recommender.rank import Recommender

T0 = 1_700_000_000.0
# name, RADIO_APART, RADIO_OPENING
RULES = [("one apart", 1, 0), ("two apart", 2, 0), (f"two apart, A B A in the first {rank.RADIO_OPENING}", 2,
                                                    rank.RADIO_OPENING)]


def catalogue(n: int, *, analysed: bool, played: bool) -> tuple[Catalog, list[dict]]:
    """``n`` generated tracks; a sound per genre and artist where ``analysed``; where
    ``played``, a month of 1,200 plays of three genres' songs."""
    rows = library_rows(n)
    rng = np.random.default_rng(7)
    genres = sorted({r["genre"] for r in rows})
    sound = {name: rng.normal(size=16) for name in genres + sorted({r["artist"] for r in rows})}
    emb = np.array([sound[r["genre"]] + 0.6 * sound[r["artist"]] + 0.5 * rng.normal(size=16) for r in rows])
    log = None
    if played:
        loved = [i + 1 for i, r in enumerate(rows) if r["genre"] in genres[:3]]
        ids = rng.choice(loved, size=1200)
        m = len(ids)
        log = PlayLog(ids, np.arange(m) // 12, T0 + 240.0 * np.arange(m), np.full(m, 200_000.0),
                      np.full(m, 200_000.0), np.array(["finished"] * m, dtype=object))
    cat = Catalog.build(track_ids=list(range(1, len(rows) + 1)), artists=[r["artist"] for r in rows],
                        albums=[r["album"] for r in rows], titles=[r["title"] for r in rows],
                        durations=[r["duration"] for r in rows], buckets=[r["genre"] for r in rows],
                        years=[r["year"] for r in rows], embedding=emb if analysed else None, plays=log)
    return cat, rows


def stations(n: int, seeds: int) -> list[tuple[dict, list[dict]]]:
    """(seed, its 20 songs) for each library and seed, with the rule set now."""
    out = []
    for analysed in (True, False):
        for played in (False, True):
            cat, rows = catalogue(n, analysed=analysed, played=played)
            rec = Recommender(cat, now=T0 + 30 * 86400 if played else T0)
            for seed in random.Random(1).sample(range(1, len(rows) + 1), seeds):
                station: list[int] = []
                for _ in range(2):
                    station += [t for t, _ in rec.radio(seed, 10, exclude=station)]
                out.append((rows[seed - 1], [rows[t - 1] for t in station]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=5, help="stations per library")
    args = parser.parse_args(argv)
    print(f"{'rule':34s} {'A B A':>6s} {'A B A B':>8s} {'artists':>8s} {'off genre':>10s}")
    kept = rank.RADIO_APART, rank.RADIO_OPENING
    try:
        for name, apart, opening in RULES:
            rank.RADIO_APART, rank.RADIO_OPENING = apart, opening
            back = turns = artists = off = 0
            for seed, songs in stations(args.tracks, args.seeds):
                a = [seed["artist"]] + [r["artist"] for r in songs]
                back += sum(a[i] == a[i - 2] != a[i - 1] for i in range(2, len(a)))
                turns += sum(a[i] == a[i - 2] and a[i - 1] == a[i - 3] for i in range(3, len(a)))
                artists += len(set(a[1:]))
                off += sum(r["genre"] != seed["genre"] for r in songs)
            print(f"{name:34s} {back:6d} {turns:8d} {artists:8d} {off:10d}")
    finally:
        rank.RADIO_APART, rank.RADIO_OPENING = kept
    return 0


if __name__ == "__main__":
    sys.exit(main())
