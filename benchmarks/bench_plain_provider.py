"""The plain provider (Up next, Radio and Discover before any analysis) on a big library.

    python -m benchmarks.bench_plain_provider                   # 100,000 tracks, 20,000 plays
    python -m benchmarks.bench_plain_provider --tracks 20000 --profile radio

A generated library (``library_gen`` rows: no files, nothing to play) with plays over two
years, and ``LibraryRecommendations`` called as the window calls it on its workers: an Up
next refill of 20, a Radio station of 50 and Discover's rows of 14. Each surface is timed
three ways, in turns, in one run (the machine is shared: compare the ratios):

- cold: a new provider, as after each change of the library (it reads and names every track);
- warm: the same provider again, nothing changed (what a second refill costs);
- read: ``store.tracks()`` alone, what reading the whole library costs.

Then, with ``--changes`` (on by default), what one change of the library costs the provider
that already read it (the window's, between two scans' batches): one track re-tagged, one
new track, one track gone (found missing), one track deleted (a merge's copy), each made
before each surface's call; the time from the change to the surface's list and the CPU it
took (column "cpu"), beside the ``--before`` provider after the same change.

Last, ``gone_counts`` (what the learning recommender's catalogue counts of the plays of
songs no longer in the library) with a tenth of the played tracks found missing, beside
``--before-service FILE`` (``player/recommender_service.py`` of another version) where given.

``--writes``: what noting each written track (migration 23) costs the writers instead: a
bulk UPDATE of every track and the generated library's upserts, with those notes and with
the count alone (the triggers as migration 22 made them), in turns.

``--bulk``: what a write of a share of every track (a scan noting each file's change time,
the first after an upgrade reading every file again) costs the provider that read the
library before it, beside ``--before``'s after the same write and a new provider's whole
read, in turns (one write for each; the best of ``--runs``).

``--profile SURFACE`` prints cProfile's top functions of one cold and one warm call.
``--before FILE``: ``player/recommendations.py`` of another version, e.g.
``git show REV:player/recommendations.py > /tmp/before.py``; its provider is timed too, in
the same turns (column "before"; it is given the same store).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_plain_provider.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _make(db: Path, tracks: int, plays: int):
    import random

    from benchmarks.library_gen import fill_store
    from player.store import Store

    store = Store.open(db)
    fill_store(store, tracks)
    ids = [r[0] for r in store.execute("SELECT id FROM tracks")]
    rng = random.Random(3)
    now = time.time()
    starts = sorted(now - rng.uniform(0, 2 * 365 * 86400) for _ in range(plays))
    store.log_plays([(rng.choice(ids), t, h, 300_000, "finished" if h > 150_000 else "skipped", "library")
                     for t, h in ((t, rng.randint(5_000, 300_000)) for t in starts)])
    return store, ids


def _changes(store, ids: list[int], calls: dict, providers: dict, runs: int) -> None:
    """Each kind of change, then each surface of each provider (all of them read the library
    before): the time from the change to the list, and the CPU time it took."""
    import random

    rng = random.Random(5)
    added = [0]

    def retag():
        with store.transaction() as conn:
            conn.execute("UPDATE tracks SET genre = ?, updated_at = ? WHERE id = ?",
                         (rng.choice(["Rock", "Jazz", "Ambient"]), time.time(), rng.choice(ids)))

    def new():
        added[0] += 1
        store.upsert_tracks([{"path": f"/bench/new/{added[0]}.flac", "size": 1, "mtime_ns": added[0],
                              "title": f"New {added[0]}", "artist": "Newcomer", "album": "Fresh",
                              "genre": "Rock", "duration": 200.0, "folder_id": None}])

    def missing():          # (from the first quarter: never Radio's seed, in the middle)
        store.mark_missing([ids.pop(rng.randrange(len(ids) // 4))])

    def delete():           # a second path to one file, merged into the first: its row goes
        store.merge_duplicate(ids.pop(rng.randrange(1, len(ids) // 4)), ids[0])

    changes = {"re-tag": retag, "new track": new, "missing": missing, "deleted": delete}
    for name, call in calls.items():      # each read the library as it is now
        for p in providers.values():
            call(p)
    got: dict[tuple, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for change, make in changes.items():
            for surface, call in calls.items():
                make()
                for who, p in providers.items():
                    t, c = time.perf_counter(), time.process_time()
                    call(p)
                    got.setdefault((change, surface, who), []).append((time.perf_counter() - t,
                                                                       time.process_time() - c))
    print(f"\none change, then the surface (median of {runs}; seconds, CPU seconds)")
    print(f"{'change':11}{'surface':10}" + "".join(f"{w + ' s':>10}{w + ' cpu':>11}" for w in providers)
          + (f"{'new/before':>12}" if "before" in providers else ""))
    for change in changes:
        for surface in calls:
            cells = {w: (statistics.median(x[0] for x in got[(change, surface, w)]),
                         statistics.median(x[1] for x in got[(change, surface, w)])) for w in providers}
            print(f"{change:11}{surface:10}" + "".join(f"{s:10.3f}{c:11.3f}" for s, c in cells.values())
                  + (f"{cells['new'][0] / cells['before'][0]:12.3f}" if "before" in providers else ""))


def _gone(store, before: str | None, runs: int) -> None:
    """``gone_counts`` over the whole library, a tenth of the played tracks found missing."""
    import numpy as np

    from player import recommender_service
    from player.recommendations import genre_bucket, one_spelling
    from recommender.catalog import PlayLog
    from segue_common.normalize import first_of_artists

    played = sorted({r[0] for r in store.execute("SELECT DISTINCT track_id FROM plays")})
    store.mark_missing(played[::10])
    rows = store.library_rows(["artist", "albumartist", "genre"])
    artists = [first_of_artists(r["artist"] or r["albumartist"]) for r in rows]
    buckets = one_spelling([genre_bucket(r["genre"]) for r in rows])
    plays = PlayLog.from_rows(store.plays())
    hows = {"new": recommender_service.gone_counts}
    if before:
        spec = importlib.util.spec_from_file_location("before_recommender_service", before)
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        hows["before"] = module.gone_counts
    got, times = {}, {}
    for _ in range(runs):
        for how, call in hows.items():
            t = time.perf_counter()
            got[how] = call(store, plays, artists, buckets)
            times.setdefault(how, []).append(time.perf_counter() - t)
    same = "" if not before else f", same result as before: {np.array_equal(got['new'], got['before'])}"
    print(f"\ngone_counts ({len(played[::10])} played tracks missing{same}): "
          + ", ".join(f"{how} {statistics.median(t):.3f} s" for how, t in times.items()))


def _writes(tracks: int, runs: int) -> None:
    """The generated library written into a new store, then one UPDATE of every track: with
    each written track noted (as now) and with the count alone (v22's triggers), in turns."""
    from benchmarks.library_gen import library_rows
    from player.store import Store

    rows = library_rows(tracks, seed=3)
    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for how in ("noted", "count only"):
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.open(Path(tmp) / "library.db")
                if how == "count only":
                    with store.transaction() as conn:
                        for event in ("insert", "update", "delete"):
                            conn.execute(f"DROP TRIGGER tracks_{event}_counted")
                            conn.execute(f"CREATE TRIGGER tracks_{event}_counted AFTER {event.upper()} ON tracks "
                                         "BEGIN UPDATE library_changes SET n = n + 1 WHERE id = 1; END")
                t = time.perf_counter()
                for i in range(0, len(rows), 5000):
                    store.upsert_tracks(rows[i:i + 5000])
                upserts = time.perf_counter() - t
                t = time.perf_counter()
                with store.transaction() as conn:
                    conn.execute("UPDATE tracks SET genre = 'Jazz'")
                times.setdefault(how, []).append((upserts, time.perf_counter() - t))
                store.close()
    print(f"{'writes':12}{'upserts s':>11}{'UPDATE all s':>14}")
    for how, got in times.items():
        print(f"{how:12}{statistics.median(g[0] for g in got):11.3f}{statistics.median(g[1] for g in got):14.3f}")


def _bulk(store, before, runs: int) -> None:
    """A share of every track written at once, then each provider's next read of the library."""
    from player.recommendations import LibraryRecommendations

    made = {"new": LibraryRecommendations, **({"before": before.LibraryRecommendations} if before else {})}
    print(f"{'written':>8}" + "".join(f"{h + ' s':>10}" for h in made) + f"{'whole s':>10}"
          + (f"{'new/before':>12}" if before else ""))
    for share in (5, 25, 50, 75, 100):
        got: dict[str, list[float]] = {}
        for _ in range(runs):
            for how, cls in made.items():
                provider = cls(store)
                provider._library()
                with store.transaction() as conn:
                    conn.execute("UPDATE tracks SET ctime_ns = coalesce(ctime_ns, 0) + 1 WHERE id % 100 < ?", (share,))
                t = time.perf_counter()
                provider._library()
                got.setdefault(how, []).append(time.perf_counter() - t)
            t = time.perf_counter()
            LibraryRecommendations(store)._library()
            got.setdefault("whole", []).append(time.perf_counter() - t)
        best = {how: min(times) for how, times in got.items()}
        print(f"{share:7}%" + "".join(f"{best[h]:10.3f}" for h in made) + f"{best['whole']:10.3f}"
              + (f"{best['new'] / best['before']:12.3f}" if before else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--plays", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", choices=["up_next", "radio", "discover"])
    parser.add_argument("--before", help="player/recommendations.py of another version, timed in the same turns")
    parser.add_argument("--db", help="a library this benchmark wrote before, to use again (written there if absent)")
    parser.add_argument("--before-service", help="player/recommender_service.py of another version, for gone_counts")
    parser.add_argument("--writes", action="store_true", help="time the store's writes with and without the notes")
    parser.add_argument("--bulk", action="store_true",
                        help="only the table of a share of every track written at once")
    parser.add_argument("--no-changes", dest="changes", action="store_false",
                        help="leave out the table of one change of the library at a time")
    args = parser.parse_args(argv)

    from player.recommendations import LibraryRecommendations

    if args.writes:
        _writes(args.tracks, args.runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if args.db and Path(args.db).exists():
            from player.store import Store

            store = Store.open(args.db)
            ids = [r[0] for r in store.execute("SELECT id FROM tracks")]
        else:
            store, ids = _make(Path(args.db or Path(tmp) / "library.db"), args.tracks, args.plays)
        print(f"{len(ids)} tracks, {store.play_count()} plays ready in {time.perf_counter() - t0:.1f} s")
        seed = ids[len(ids) // 2]
        calls = {
            "up_next": lambda p: p.up_next([seed], 20),
            "radio": lambda p: p.radio(seed, 50),
            "discover": lambda p: p.discover(14),
        }
        if args.bulk:
            before = None
            if args.before:
                spec = importlib.util.spec_from_file_location("before_recommendations", args.before)
                before = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(before)
            _bulk(store, before, args.runs)
            store.close()
            return 0
        if args.profile:
            provider = LibraryRecommendations(store)
            for label in ("cold", "warm"):
                prof = cProfile.Profile()
                prof.runcall(calls[args.profile], provider)
                print(f"--- {args.profile}, {label}")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            return 0
        hows = {"read": lambda c: store.tracks(),
                "cold": lambda c: c(LibraryRecommendations(store))}
        warm = LibraryRecommendations(store)
        hows["warm"] = lambda c: c(warm)
        if args.before:
            spec = importlib.util.spec_from_file_location("before_recommendations", args.before)
            before = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(before)
            old = before.LibraryRecommendations(store)
            hows["before"] = lambda c: c(old)
        times: dict[str, list[float]] = {}
        for name, call in calls.items():
            call(warm)
            if args.before:
                call(old)           # (kept too: its first call, a cold one, counted in its "warm" median)
        for _ in range(args.runs):
            for name, call in calls.items():
                for how, run in hows.items():
                    t = time.perf_counter()
                    run(call)
                    times.setdefault(f"{name} {how}", []).append(time.perf_counter() - t)
        print(f"{'surface':10}" + "".join(f"{h + ' s':>9}" for h in hows) + f"{'warm/cold':>11}"
              + (f"{'warm/before':>13}" if args.before else ""))
        for name in calls:
            got = {h: statistics.median(times[f"{name} {h}"]) for h in hows}
            print(f"{name:10}" + "".join(f"{got[h]:9.3f}" for h in hows) + f"{got['warm'] / got['cold']:11.3f}"
                  + (f"{got['warm'] / got['before']:13.3f}" if args.before else ""))
        if args.changes:
            _changes(store, ids, calls, {"new": warm, **({"before": old} if args.before else {})}, args.runs)
        _gone(store, args.before_service, args.runs)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
