"""A whole evening of Up next: one song chosen, then 300 of Segue's, nothing touched.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_evening.py [--songs 300] [--tracks 2000] [--seed 3]

A generated library (about 150 artists over 10 genres, numbered albums, a few songs also on
a compilation) in a real store, with a history of a few hundred plays by a person who
mostly plays 3 favourite genres. The evening is played as the player plays it: the queue is
filled with the window's filler calls (``FILL_BATCH`` at a time when fewer than
``FILL_BELOW`` are left, re-ranked after an early skip), the front of the queue plays, and
each play is logged through the store. Four evenings: with and without analysis features,
each as heard whole and with every song of one genre skipped after 10 s. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

GENRES = ["Rock", "Jazz", "Electronic", "Hip-Hop", "Classical", "Folk", "Metal", "Soul", "Pop", "Ambient"]
BUCKET_TAG = {"Rock": "rock", "Jazz": "jazz", "Electronic": "electronic", "Hip-Hop": "Hip-Hop",
              "Classical": "instrumental", "Folk": "folk", "Metal": "metal", "Soul": "soul", "Pop": "pop",
              "Ambient": "ambient"}


def fill_library(store, n_tracks: int = 2000, *, artists: int = 150, seed: int = 3, features: bool = True):
    """Albums of 8-14 numbered tracks, artists of one genre each; every 40th song also on a
    compilation (the same recording in another copy). Returns ``{track id: row}``."""
    rng = np.random.default_rng(seed)
    genre_of = rng.integers(0, len(GENRES), artists)
    rows, content = [], []
    centres = rng.normal(size=(len(GENRES), 16)) * 1.2
    offsets = rng.normal(size=(artists, 16)) * 0.6
    i = 0
    while len(rows) < n_tracks:
        a = i % artists
        genre = GENRES[genre_of[a]]
        album = f"Album {i // artists + 1} of Artist {a}"
        for no in range(1, int(rng.integers(8, 15)) + 1):
            rows.append({"path": f"/gen/{a}/{album}/{no:02d}.flac", "size": 1000, "mtime_ns": 1,
                         "title": f"Song {no} of {album}", "artist": f"Artist {a}", "albumartist": f"Artist {a}",
                         "album": album, "genre": genre, "track_no": no, "disc_no": 1,
                         "year": 1970 + int(a % 50), "duration": float(rng.uniform(150, 330))})
            content.append(centres[genre_of[a]] + offsets[a] + 0.5 * rng.normal(size=16))
        i += 1
    rows = rows[:n_tracks]
    copies = []
    for r in rows[::40]:
        copies.append({**r, "path": f"/gen/comp/{len(copies):03d}.flac", "album": "Best Of Everything",
                       "albumartist": "Various Artists", "track_no": len(copies) + 1,
                       "duration": r["duration"] + 0.5})
        content.append(content[rows.index(r)])
    store.upsert_tracks(rows + copies)
    tracks = {r["id"]: r for r in store.tracks()}
    if features:
        from recommender.msd_tags import MSD_LABELS
        by_path = {r["path"]: k for k, r in enumerate(rows + copies)}
        proj = rng.normal(size=(16, 64))
        feats = []
        for t, r in tracks.items():
            c = content[by_path[r["path"]]]
            tags = np.zeros(len(MSD_LABELS), np.float32)
            tags[MSD_LABELS.index(BUCKET_TAG[r["genre"]])] = 0.5
            feats.append({"track_id": t, "model_version": "gen", "tags": tags,
                          "embedding": c @ proj + 2.0 * rng.normal(size=64), "bucket": None})
        store.save_features(feats)
    return tracks


def fill_history(store, tracks: dict, *, favourites=("Jazz", "Soul", "Folk"), plays: int = 400, seed: int = 3,
                 end: float) -> float:
    """``plays`` plays in sessions of about 12 over the month before ``end``: 80 % of them
    in the favourite genres, a few early skips. Returns the share in the favourites."""
    rng = np.random.default_rng(seed)
    fav = [t for t, r in tracks.items() if r["genre"] in favourites]
    other = [t for t, r in tracks.items() if r["genre"] not in favourites]
    fav_artists = sorted({tracks[t]["artist"] for t in fav})
    liked = set(rng.choice(fav_artists, size=max(1, len(fav_artists) // 2), replace=False))
    fav = [t for t in fav if tracks[t]["artist"] in liked]
    sessions = -(-plays // 12)
    n_fav = 0
    for k in range(plays):
        if k % 12 == 0:                 # each session begins on its own day; the last ends before ``end``
            now = end - 86400 * 30 * (sessions - k // 12) / sessions
        pick = fav if rng.random() < 0.8 else other
        t = int(pick[rng.integers(len(pick))])
        n_fav += tracks[t]["genre"] in favourites
        skip = rng.random() < 0.1
        dur = tracks[t]["duration"]
        play = store.start_play(t, source="library", track_ms=int(dur * 1000), now=now)
        store.end_play(play, "skipped" if skip else "finished", 8000 if skip else int(dur * 1000),
                       now=now + (8 if skip else dur))
        now += 8 if skip else dur
    assert now < end, "the history runs into the evening"
    return n_fav / plays


def evening(store, provider, start: int, songs: int, *, skip_genre: str | None = None, skip_after_s: float = 10.0,
            now: float, batch: int | None = None, fill_below: int | None = None):
    """Play ``songs`` songs from ``start`` as the player does with Keep it going on; returns
    ``(track ids in play order, early skip flags, refill seconds)``."""
    from player.playback import FILL_BELOW
    from player.ui.playback_mixin import FILL_BATCH

    batch = batch or FILL_BATCH
    fill_below = fill_below or FILL_BELOW
    tracks = {r["id"]: r for r in store.tracks()}
    session: list[int] = []
    queue: list[int] = [start]
    played, skipped, refills = [], [], []
    reshape = False

    def fill(replacing: int = 0) -> list[int]:
        # As the window's _fill_queue: the session so far (with the song now playing), the
        # queue ahead as what to leave out (none of it when re-ranking after a skip).
        history = list(session)
        queued = [] if replacing else list(dict.fromkeys(queue))
        k = max(batch, replacing)
        t0 = time.perf_counter()
        while True:
            recs = provider.up_next(history, k, exclude=queued, passed=frozenset())
            if recs or len(history) < 2:
                break
            history = history[len(history) // 2:]
        refills.append(time.perf_counter() - t0)
        return [r.track_id for r in recs]

    while len(played) < songs and queue:
        t = queue.pop(0)
        session.append(t)
        played.append(t)
        # The player asks the filler as the song starts: re-rank after an early skip, else
        # top up a short queue.
        if reshape and queue:
            got = [x for x in fill(replacing=len(queue)) if x not in session]
            if got:
                queue = got
        elif len(queue) < fill_below:
            queue += fill()
        reshape = False
        dur = tracks[t]["duration"]
        skip = skip_genre is not None and tracks[t]["genre"] == skip_genre and len(played) > 1
        heard = skip_after_s if skip else dur
        play = store.start_play(t, source="up_next" if len(played) > 1 else "library", track_ms=int(dur * 1000),
                                now=now)
        store.end_play(play, "skipped" if skip else "finished", int(heard * 1000), now=now + heard)
        if hasattr(provider, "on_player_event"):
            provider.on_player_event("track_ended", {"track_id": t})
        now += heard
        skipped.append(skip)
        reshape = skip
    return played, skipped, refills


def longest_run(values: list) -> int:
    best = run = 0
    prev = object()
    for v in values:
        run = run + 1 if v == prev else 1
        prev = v
        best = max(best, run)
    return best


def measure(tracks: dict, played: list[int], skipped: list[bool], refills: list[float], favourites,
            skip_genre: str | None) -> dict:
    from segue_common.normalize import recording_key

    rows = [tracks[t] for t in played]
    ids_repeated = len(played) - len(set(played))
    keys = [recording_key(r["artist"], r["title"]) for r in rows]
    songs_repeated = len(keys) - len(set(keys))
    # the same song again within about an hour (15 songs)
    close = sum(1 for i, k in enumerate(keys) if k in keys[max(0, i - 15):i])
    per20 = [len({r["artist"] for r in rows[i:i + 20]}) for i in range(0, len(rows) - 19, 20)]
    genres = [r["genre"] for r in rows]
    out = {
        "songs": len(played), "same id again": ids_repeated, "same song again": songs_repeated,
        "same song within 15": close,
        "artists/20 (min/mean)": f"{min(per20)}/{statistics.mean(per20):.1f}" if per20 else "-",
        "longest artist run": longest_run([r["artist"] for r in rows]),
        "longest album run": longest_run([r["album"] for r in rows]),
        "favourite share": f"{sum(g in favourites for g in genres) / len(genres):.2f}",
        "genres heard": len(set(genres)),
        "top genre share": f"{max(genres.count(g) for g in set(genres)) / len(genres):.2f}",
        "artists heard": len({r["artist"] for r in rows}),
        "refill ms (median/worst)": f"{1000 * statistics.median(refills):.0f}/{1000 * max(refills):.0f}",
    }
    if skip_genre is not None:
        at = [i for i, s in enumerate(skipped) if s]
        out["skipped songs"] = len(at)
        out["last skipped at song"] = at[-1] + 1 if at else 0
    return out


def run(songs: int, n_tracks: int, seed: int, features: bool, skip_genre: str | None, favourites,
        workdir: str, learning: bool = True) -> dict:
    from player.recommendations import LibraryRecommendations
    from player.recommender_service import RecommenderService
    from player.store import Store

    db = os.path.join(workdir, f"ev-{features}-{skip_genre}-{learning}.db")
    store = Store.open(db)
    try:
        tracks = fill_library(store, n_tracks, seed=seed, features=features)
        start_at = time.time() - songs * 330 - 3600
        hist_share = fill_history(store, tracks, favourites=favourites, seed=seed, end=start_at - 86400)
        provider = (RecommenderService(store, priors=None, models_dir=os.path.join(workdir, "models"))
                    if learning else LibraryRecommendations(store))
        start = next(t for t, r in tracks.items() if r["genre"] == favourites[0] and r["track_no"] == 1)
        played, skipped, refills = evening(store, provider, start, songs, skip_genre=skip_genre, now=start_at)
        out = measure(tracks, played, skipped, refills, favourites, skip_genre)
        out["history favourite share"] = f"{hist_share:.2f}"
        return out
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=300)
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--skip-genre", default="Soul", help="the genre skipped after 10 s in the skip evenings")
    args = parser.parse_args(argv)
    favourites = ("Jazz", "Soul", "Folk")
    columns = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SEGUE_HOME"] = tmp
        for features in (True, False):
            for skip in (None, args.skip_genre):
                name = f"{'features' if features else 'tags only'}{', skips ' + skip if skip else ''}"
                t0 = time.perf_counter()
                columns[name] = run(args.songs, args.tracks, args.seed, features, skip, favourites, tmp)
                print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    keys = list(dict.fromkeys(k for c in columns.values() for k in c))
    width = max(len(k) for k in keys)
    print(" " * width + " | " + " | ".join(f"{n:>22}" for n in columns))
    for k in keys:
        print(f"{k:<{width}} | " + " | ".join(f"{str(c.get(k, '')):>22}" for c in columns.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
