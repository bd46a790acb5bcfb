"""Discover again after a scan wrote one song, in a large library with many compilations.

    python -m benchmarks.bench_discover_after_scan                    # 100,000 tracks
    python -m benchmarks.bench_discover_after_scan --tracks 20000 --runs 5

A generated library (benchmarks/library_gen.py) in a real store, a third of its albums made
compilations (as benchmarks/bench_discover_pool.py does), and a provider that has shown
Discover once. Then, each run, one song is re-tagged (as a scan finding its tags changed
writes it) and Discover asked again: now, what Discover works out of each track (whether it
is on a compilation, which recording it is) is kept from the read before and worked out for
the song written, and only recordings with several copies are told apart by their lengths;
the baseline, in the same run, asks every track whether it is on a compilation and tells
every track's copies apart, as before. The best of ``--runs`` each, and whether both gave
the same rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _first_copies_before(ids, rows, keys=None):
    """Each track's first copy as it was worked out before: every track through FirstCopies."""
    from segue_common.normalize import FirstCopies, recording_key
    copies = FirstCopies()
    out = {}
    keys = {} if keys is None else keys
    for t in ids:
        r = rows.get(t)
        if r is None:
            out[t] = t
            continue
        key = keys.get(t, keys)
        if key is keys:
            key = keys[t] = recording_key(r["artist"], r["title"])
        out[t] = copies.first(key, r["duration"], t)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import player.recommendations as recs
    from benchmarks.bench_discover_pool import _compilations
    from benchmarks.library_gen import fill_store
    from player.store import Store

    now_first = recs._first_copies
    with tempfile.TemporaryDirectory(prefix="segue-discover-after-scan-") as tmp:
        store = Store.open(Path(tmp) / "library.db")
        fill_store(store, args.tracks)
        on_compilations = _compilations(store, 1 / 3)
        ids = [r[0] for r in store.execute("SELECT id FROM tracks ORDER BY id")]
        provider = recs.LibraryRecommendations(store)
        provider.discover(8)
        results = {}
        written = 0
        for name, first_copies, kept in (("every track (baseline)", _first_copies_before, False),
                                         ("the song written", now_first, True)):
            recs._first_copies = first_copies
            best, rows = float("inf"), None
            for _ in range(args.runs):
                written += 1
                with store.transaction() as conn:       # (a scan re-tags one song)
                    conn.execute("UPDATE tracks SET genre = ? WHERE id = ?",
                                 ("Polka" if written % 2 else "Rock", ids[written * 997 % len(ids)]))
                t0 = time.perf_counter()
                library = provider._library()
                if not kept:
                    library._elsewhere.clear()          # (asked of every track again)
                rows = provider.discover(8)
                best = min(best, time.perf_counter() - t0)
            results[name] = (best, rows, written)
        recs._first_copies = now_first
        # (the same rows: both ways asked once more of the library as it ends)
        same = provider.discover(8) == recs.LibraryRecommendations(store).discover(8)
        store.close()
    base_s = results["every track (baseline)"][0]
    print(f"{args.tracks:,} tracks, {on_compilations:,} on compilations; one song re-tagged before each Discover")
    print(f"{'worked out for':<24} {'Discover ms':>11} {'ratio':>6}")
    for name, (s, _, _) in results.items():
        print(f"{name:<24} {s * 1000:>11.0f} {s / base_s:>6.2f}")
    print(f"kept rows equal a fresh provider's: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
