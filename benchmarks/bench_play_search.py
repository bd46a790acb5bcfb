"""What ``segue play WORDS`` reads to order a search most of a large library matches.

    python -m benchmarks.bench_play_search                  # 100,000 tracks, "e"
    python -m benchmarks.bench_play_search --tracks 20000 --query night

A generated library (benchmarks/library_gen.py) in a real store; the search's matches read
with every column of the track table (the baseline) and with only the columns the library
order reads (``LIBRARY_ORDER_COLUMNS``), each then put in the window's order as ``segue play``
does. Each way: its time (best of ``--runs``), the peak of the memory Python held while it ran
(tracemalloc, a run of its own), and whether both played the same tracks in the same order.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--query", default="e")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from benchmarks.library_gen import fill_store
    from player.library.albums import LIBRARY_ORDER_COLUMNS, library_order
    from player.library.names import Namer
    from player.store import Store

    with tempfile.TemporaryDirectory(prefix="segue-play-search-") as tmp:
        store = Store.open(Path(tmp) / "library.db")
        fill_store(store, args.tracks)
        namer = Namer.of(store)
        ways = {"every column (baseline)": None, "order's columns": LIBRARY_ORDER_COLUMNS}

        def play(columns):
            return [r["id"] for r in library_order(store.tracks_matching(args.query, limit=None, columns=columns),
                                                   namer)]

        results = {}
        for name, columns in ways.items():
            best, ids = float("inf"), None
            for _ in range(args.runs):
                gc.collect()
                t0 = time.perf_counter()
                ids = play(columns)
                best = min(best, time.perf_counter() - t0)
            gc.collect()
            tracemalloc.start()
            play(columns)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results[name] = (best, peak, ids)
        store.close()
    base_s, base_peak, base_ids = results["every column (baseline)"]
    print(f"{args.tracks:,} tracks, {len(base_ids):,} match {args.query!r}")
    print(f"{'read':<26} {'ms':>8} {'peak MB':>8} {'time ratio':>10} {'memory ratio':>12} {'same order':>10}")
    for name, (s, peak, ids) in results.items():
        print(f"{name:<26} {s * 1000:>8.0f} {peak / 1e6:>8.1f} {s / base_s:>10.2f} {peak / base_peak:>12.2f} "
              f"{str(ids == base_ids):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
