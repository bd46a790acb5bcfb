"""What ordering the store by the names people sort (an SQLite collation calling
``segue_common.text.sort_form``) would cost, against today's ``COLLATE NOCASE``.

    python -m benchmarks.bench_name_collation                 # 100,000 tracks
    python -m benchmarks.bench_name_collation --tracks 20000 --runs 3

A generated library (``benchmarks.library_gen``) in a scratch folder. Medians over ``--runs``:

- nocase read: :meth:`library_order_ids` as it is (its index is in that order: no sort);
- collation read: the same ids ordered by a collation registered on the connection, without
  an index in its order (SQLite sorts them, calling Python for each comparison);
- collation index: building an index in the collation's order (once, as a migration would);
- collation indexed read: the read again with that index there.

The ratio is against the nocase read of the same run.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

_ORDER = "{artist} COLLATE {c}, album COLLATE {c}, disc_no, track_no, path"


def _collation():
    from segue_common.text import sort_form

    form = functools.lru_cache(maxsize=1 << 16)(sort_form)

    def compare(a: str, b: str) -> int:
        # (names of one sort form by their letters: two spellings stay two, in a fixed order)
        ka, kb = (form(a), a), (form(b), b)
        return (ka > kb) - (ka < kb)
    return compare


def _time(store, runs: int) -> dict[str, float]:
    from player.store.tracks import ORDER_ARTIST

    store.conn.create_collation("segue_name", _collation())
    where = "WHERE missing = 0 AND last_error IS NULL"
    nocase = f"SELECT id FROM tracks {where} ORDER BY " + _ORDER.format(artist=ORDER_ARTIST, c="NOCASE")
    named = f"SELECT id FROM tracks {where} ORDER BY " + _ORDER.format(artist=ORDER_ARTIST, c="segue_name")
    found: dict[str, list[float]] = {"nocase read": [], "collation read": [], "collation index": [],
                                     "collation indexed read": []}
    for _ in range(runs):
        for case, sql in (("nocase read", nocase), ("collation read", named)):
            t0 = time.perf_counter()
            store.conn.execute(sql).fetchall()
            found[case].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.conn.execute(f"CREATE INDEX bench_named ON tracks({_ORDER.format(artist=ORDER_ARTIST, c='segue_name')}) "
                           f"{where}")
        found["collation index"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.conn.execute(named).fetchall()
        found["collation indexed read"].append(time.perf_counter() - t0)
        store.conn.execute("DROP INDEX bench_named")
    return {case: statistics.median(times) for case, times in found.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from benchmarks.library_gen import fill_store
    from player.store import Store

    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(str(Path(scratch) / "lib.db"))
        fill_store(store, args.tracks)
        times = _time(store, args.runs)
        store.close()
    base = times["nocase read"]
    print(f"{'tracks':>8} {'case':<24} {'ms':>9} {'ratio':>7}")
    for case, s in times.items():
        print(f"{args.tracks:>8} {case:<24} {s * 1000:>9.1f} {s / base:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
