"""What field queries cost the library search over a big library.

    python -m benchmarks.bench_library_query                # 100,000 tracks
    python -m benchmarks.bench_library_query --tracks 20000 --runs 3

A generated library (benchmarks/library_gen.py) put in the window's model, a play count
given to a third of its tracks. Each query is timed from an empty search (best of
``--runs``, the words the search remembers forgotten before each); the plain word
searches (the search as it was before field queries) are the baseline, and each query's
ratio is against the plain word "love". A field's first query makes that column's search:
timed apart ("first"), and the memory it holds (tracemalloc, measured on its own).
Also: reading the play counts from a real store of the same library, as the loader does
once per load.
"""

from __future__ import annotations

import argparse
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
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BASELINE = "love"
QUERIES = ["love", "the night", "title:love", "artist:a", "artist:love", 'album:"the night"', "genre:jazz",
           "year:1965-1972", "year:>=2000", "rating:>=4", "plays:>10", "plays:0", "-love",
           "love -artist:a", "artist:a year:>=2000 rating:>=3 -genre:rock", "year:>=abc"]
LANDING = "title:love"
PLAYED = "artist:a year:>=2000"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from benchmarks.library_gen import fill_store, library_rows
    from player.store import Store
    from player.library.search import ColumnSearch, LibraryData, load_library, query_track_ids, searched_fields
    from player.ui.library_model import LibraryModel

    app = QApplication.instance() or QApplication([])   # noqa: F841 - the model wants one
    rows = library_rows(args.tracks, seed=7)
    for i, r in enumerate(rows, 1):
        r["id"] = i
    rng = np.random.default_rng(7)
    for r in rows:
        r["rating"] = int(rng.integers(0, 6))
    data = LibraryData.from_rows(rows)
    played = rng.choice(data.ids, size=len(data) // 3, replace=False)
    data.set_plays(played, rng.integers(1, 40, size=len(played)))
    model = LibraryModel()
    model.set_library(data)

    first: dict[str, tuple[float, float]] = {}
    for q in QUERIES:
        column = q.split(":")[0].lstrip("-") if ":" in q.split()[0] else None
        if column in ("title", "artist", "album", "genre") and column not in data._fields:
            model.set_filter("")
            t = time.perf_counter()
            model.set_filter(q)
            took = (time.perf_counter() - t) * 1000
            # (its memory apart: tracemalloc slows every allocation, and so the time, some fourfold)
            tracemalloc.start()
            made = ColumnSearch(data.text[column])
            size = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
            del made
            first[q] = (took, size)
    best: dict[str, float] = {}
    shown: dict[str, int] = {}
    for q in QUERIES:
        times = []
        for _ in range(args.runs):
            model.set_filter("")
            for search in (data.search, *data._fields.values()):
                search._cache.clear()       # (a word searched again is remembered: timed afresh)
            t = time.perf_counter()
            model.set_filter(q)
            times.append((time.perf_counter() - t) * 1000)
        best[q], shown[q] = min(times), model.rowCount()
    base = best[BASELINE]

    # A library read landing in the table while a field search is shown (after every scan or
    # edit): the column's search made there, on the window's thread (the old way), or made
    # with the library on the loader's worker (load_library's ``fields``), timed apart.
    landing: dict[str, list[float]] = {"gui": [], "worker": [], "gui_made": []}
    model.set_filter(LANDING)
    for _ in range(args.runs):
        data._fields.clear()
        t = time.perf_counter()
        model.set_library(data)
        landing["gui"].append((time.perf_counter() - t) * 1000)
        data._fields.clear()
        t = time.perf_counter()
        for column in searched_fields(model._terms):
            data.field_search(column)
        landing["worker"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        model.set_library(data)
        landing["gui_made"].append((time.perf_counter() - t) * 1000)
    model.set_filter("")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        fill_store(store, args.tracks)
        ids = [r[0] for r in store.library_rows(["id"], plain=True)]
        picked = rng.choice(ids, size=len(ids) // 3, replace=False).tolist()
        with store.transaction() as conn:
            session = conn.execute("INSERT INTO sessions (started_at, last_active_at) VALUES (0, 0)").lastrowid
            conn.executemany("INSERT INTO plays (track_id, session_id, started_at, ended, updated_at) "
                             "VALUES (?, ?, ?, 'finished', 0)",
                             [(t, session, float(k)) for k, t in enumerate(picked * 3)])
        reads = []
        for _ in range(args.runs):
            t = time.perf_counter()
            store.plays_per_track()
            reads.append((time.perf_counter() - t) * 1000)
        # ``segue play`` with a field search: the library read as the window reads it (the old
        # way), or for the search alone (without the table's ranks, typing index and tooltips).
        play_reads: dict[bool, list[float]] = {True: [], False: []}
        play_found: dict[bool, list[int]] = {}
        for _ in range(min(args.runs, 2)):
            for shown_too in (True, False):
                t = time.perf_counter()
                play_found[shown_too] = query_track_ids(load_library(store, shown=shown_too), PLAYED)[0]
                play_reads[shown_too].append((time.perf_counter() - t) * 1000)
        assert play_found[True] == play_found[False]
        store.close()

    print(f"\nlibrary search, {len(data):,} tracks, best of {args.runs}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'query':50} {'ms':>8} {'ratio':>8} {'rows':>9}")
    for q in QUERIES:
        note = " (baseline)" if q == BASELINE else ""
        print(f"{q + note:50} {best[q]:8.2f} {best[q] / base:7.2f}x {shown[q]:9,}")
    print(f"\n{'first query of a field (makes its search)':50} {'ms':>8} {'MB held':>9}")
    for q, (took, size) in first.items():
        print(f"{q:50} {took:8.1f} {size:9.1f}")
    old = min(landing["gui"])
    print(f"\n{'a library landing with ' + repr(LANDING) + ' shown':50} {'ms':>8} {'ratio':>8}")
    print(f"{'its search made on the window thread (baseline)':50} {old:8.2f} {1:7.2f}x")
    print(f"{'made on the loader worker: window thread':50} {min(landing['gui_made']):8.2f} "
          f"{min(landing['gui_made']) / old:7.2f}x")
    print(f"{'made on the loader worker: worker':50} {min(landing['worker']):8.2f}")
    print(f"\nplay counts read from the store ({len(picked) * 3:,} plays, "
          f"{len(picked):,} tracks played): {min(reads):.1f} ms")
    old = min(play_reads[True])
    print(f"\n{'segue play ' + repr(PLAYED) + f' ({len(play_found[True]):,} found)':50} {'ms':>8} {'ratio':>8}")
    print(f"{'library read as the window reads it (baseline)':50} {old:8.0f} {1:7.2f}x")
    print(f"{'library read for the search alone':50} {min(play_reads[False]):8.0f} "
          f"{min(play_reads[False]) / old:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
