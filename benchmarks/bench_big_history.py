"""Fifteen years of listening: how Segue copes with half a million imported plays.

    python -m benchmarks.bench_big_history                        # 20,000 tracks, 500,000 plays
    python -m benchmarks.bench_big_history --plays 100000 --runs 3
    python -m benchmarks.bench_big_history --home /tmp/big        # keep (or reuse) the data folder

A generated library (benchmarks/library_gen.py) gets a history written as a Last.fm
export (artist, album, track, time) and imported with ``segue import``'s own code, so the
database holds what an import leaves. Listening is skewed as people's is: a year at a time
a few songs are played a lot and most hardly at all (a Zipf law over a fresh order each
year: eras), and a few hundred lifelong favourites take a quarter of every year's plays.

Timed, median of ``--runs`` in one process:

- the store: reading every track (what the window does at start-up: the baseline, ratios
  are against it), reading every play, and the Listening tab's ``load_summary``;
- the recommender service: building its catalogue and the first Up next after start,
  Up next asked again with nothing new, and Up next after a song started and after it
  ended (what the player asks each song; it should stay well under 100 ms), and the
  catalogue's part of that: its plays set after a song ended, worked out over the whole
  log and from the changed rows alone (the ratio of the two is printed last);
- "Forget my history" (last, on a copy of the database: it empties it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from copy import copy as shallow_copy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

YEAR_S = 365 * 86400


def history(rows: list, n_plays: int, *, years: int = 15, seed: int = 3, now: float | None = None) -> list[tuple]:
    """``n_plays`` plays of ``rows`` over ``years`` as ``(artist, title, album, start, ms, skipped)``."""
    rng = np.random.default_rng(seed)
    n = len(rows)
    now = time.time() - 86400 if now is None else now
    starts = np.sort(now - rng.uniform(0, years * YEAR_S, n_plays))
    era = ((starts - starts[0]) // YEAR_S).astype(int)
    favourites = rng.choice(n, min(300, n), replace=False)
    weight = 1.0 / np.arange(1, n + 1) ** 1.05
    weight /= weight.sum()
    picked = np.empty(n_plays, dtype=np.int64)
    for e in np.unique(era):
        mask = era == e
        k = int(mask.sum())
        pick = rng.permutation(n)[rng.choice(n, k, p=weight)]
        fav = rng.random(k) < 0.25
        pick[fav] = favourites[rng.integers(0, len(favourites), int(fav.sum()))]
        picked[mask] = pick
    return [(rows[i]["artist"], rows[i]["title"], rows[i]["album"], float(s), int(rows[i]["duration"] * 1000), False)
            for s, i in zip(starts, picked)]


def build(home: Path, n_tracks: int, n_plays: int) -> None:
    from benchmarks.library_gen import fill_store
    from player.history.importer import import_file
    from player.store import Store
    from tests.history_fixtures import lastfm_mbids

    store = Store.open(home / "library.db")
    try:
        t = time.perf_counter()
        fill_store(store, n_tracks)
        export = lastfm_mbids(home / "scrobbles.csv", history(store.tracks(), n_plays))
        summary = import_file(store, export)
        print(f"generated {n_tracks:,} tracks and imported {summary.plays:,} of {n_plays:,} plays "
              f"in {time.perf_counter() - t:.1f} s")
    finally:
        store.close()
    (home / "scrobbles.csv").unlink()


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(home: Path, runs: int) -> list[tuple[str, float]]:
    from player.listening_stats import load_summary
    from player.recommender_service import RecommenderService
    from player.store import Store
    from recommender.catalog import PlayLog

    store = Store.open(home / "library.db")
    out = [("read every track (baseline)", _median(store.tracks, runs)),
           ("read every play", _median(store.plays, runs)),
           ("Listening tab: load_summary", _median(lambda: load_summary(store), runs))]
    ids = [r["id"] for r in store.tracks()[:200]]
    service = RecommenderService(store, models_dir=home / "models")
    t = time.perf_counter()
    service.up_next(ids[:1], 10)
    out.append(("catalogue built + first Up next", time.perf_counter() - t))
    session = ids[:1]
    out.append(("Up next again, nothing new", _median(lambda: service.up_next(session, 10), runs)))
    after_start, after_end = [], []
    for i in range(1, 1 + max(runs, 3)):
        play = store.start_play(ids[i], source="up_next", track_ms=200_000)
        service.on_player_event("track_started", {})
        t = time.perf_counter()
        service.up_next(session, 10)
        after_start.append(time.perf_counter() - t)
        store.end_play(play, "finished", 190_000)
        service.on_player_event("track_ended", {})
        session = session + [ids[i]]
        t = time.perf_counter()
        service.up_next(session, 10)
        after_end.append(time.perf_counter() - t)
    out.append(("Up next after a song started", statistics.median(after_start)))
    out.append(("Up next after it ended", statistics.median(after_end)))
    # The catalogue's part of it: the plays of the log with the last song ended, set over
    # the log as it stood while the song played, worked out whole (as before) and from the
    # changed rows alone, on the catalogue the service holds.
    cat = service.recommender().catalog
    log_ = cat.plays
    ended = log_.ended.copy()
    ended[-1] = "playing"
    playing = PlayLog(log_.track_id, log_.session_id, log_.started_at, log_.ms_heard, log_.track_ms, ended,
                      log_.source, log_.play_id)
    before = shallow_copy(cat)
    before.set_plays(playing, whole=True)
    for name, whole in (("catalogue after a song, whole log", True), ("catalogue after a song, new rows", False)):
        out.append((name, _median(lambda: shallow_copy(before).set_plays(log_, whole=whole), runs)))
    store.close()
    copy = home / "forget"
    copy.mkdir(exist_ok=True)
    shutil.copy(home / "library.db", copy / "library.db")
    store = Store.open(copy / "library.db")
    t = time.perf_counter()
    store.forget_history()
    out.append(("Forget my history", time.perf_counter() - t))
    store.close()
    shutil.rmtree(copy)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--plays", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--home", help="data folder to keep or reuse (default: a temporary one)")
    args = parser.parse_args(argv)
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="segue-bench-history-"))
    os.environ["SEGUE_HOME"] = str(home)           # nothing of the person's own data folder is touched
    try:
        if not (home / "library.db").exists():
            build(home, args.tracks, args.plays)
        size = (home / "library.db").stat().st_size
        rows = measure(home, args.runs)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    base = rows[0][1]
    print(f"\n{args.tracks:,} tracks, {args.plays:,} plays, library.db {size / 1e6:.0f} MB, "
          f"median of {args.runs}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':40s}{'seconds':>10s}{'x baseline':>12s}")
    for name, seconds in rows:
        print(f"{name:40s}{seconds:10.3f}{seconds / base:12.1f}")
    times = dict(rows)
    print(f"catalogue after a song: whole log / new rows = "
          f"{times['catalogue after a song, whole log'] / times['catalogue after a song, new rows']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
