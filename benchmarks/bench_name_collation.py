"""What ordering the store by the names people sort (an SQLite collation calling
``segue_common.text.sort_form``) would cost, against today's ``COLLATE NOCASE``.

    python -m benchmarks.bench_name_collation                 # 100,000 tracks
    python -m benchmarks.bench_name_collation --tracks 20000 --runs 3

A generated library (``benchmarks.library_gen``) in a scratch folder. Medians over ``--runs``:

- nocase read: :meth:`library_order_ids` as it is (its index is in that order: no sort);
- collation read: the same ids ordered by a collation registered on the connection, without
  an index in its order (SQLite sorts them, calling Python for each comparison);
- collation index: building an index in the collation's order (once, as a migration would);
- collation indexed read: the read again with that index there;
- key read: the same ids as the store orders them now, by its stored keys
  (``player.store.order_keys``, migration 31) and their index;
- key partial read: the same with the index made only of the playable tracks (the query's
  own WHERE), which holds every id the read needs;
- nocase rows / key rows: the columns the library's order reads
  (``LIBRARY_ORDER_COLUMNS``) of every track, in each order, as the window's load reads them;
- key fill: every track's keys made again and their index built, as migration 31 does;
- 1000 writes nocase / 1000 writes key: a thousand empty write transactions, without and
  with the look for tracks without keys that each one does now.

The ratio is against the nocase read of the same run ("nocase read", with the index the
library had before migration 31, made again here).
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
    from player.library.albums import LIBRARY_ORDER_COLUMNS
    from player.store.order_keys import fill_order_keys
    from player.store.tracks import _LIBRARY_ORDER

    # (the index of the order before migration 31, for today's read)
    store.conn.execute(f"CREATE INDEX bench_nocase ON tracks({_ORDER.format(artist=ORDER_ARTIST, c='NOCASE')})")
    keyed = f"SELECT id FROM tracks {where} ORDER BY {_LIBRARY_ORDER}"
    columns = ", ".join(LIBRARY_ORDER_COLUMNS)
    found.update({case: [] for case in ("key read", "key partial read", "nocase rows", "key rows", "key fill",
                                        "1000 writes nocase", "1000 writes key")})
    for _ in range(runs):
        # (each read of one kind next to the other: the machine's load changes over a run)
        for case, sql in (("nocase read", nocase), ("key read", keyed),
                          ("nocase rows", nocase.replace("SELECT id", f"SELECT {columns}")),
                          ("key rows", keyed.replace("SELECT id", f"SELECT {columns}"))):
            t0 = time.perf_counter()
            store.conn.execute(sql).fetchall()
            found[case].append(time.perf_counter() - t0)
        store.conn.execute("CREATE INDEX bench_partial ON tracks(order_artist_key, order_album_key, disc_no, "
                           f"track_no, path) {where}")
        t0 = time.perf_counter()
        store.conn.execute(keyed).fetchall()
        found["key partial read"].append(time.perf_counter() - t0)
        store.conn.execute("DROP INDEX bench_partial")
        with store.transaction() as conn:
            conn.execute("DROP INDEX tracks_library_order")
            conn.execute("UPDATE tracks SET order_artist_key = NULL, order_album_key = NULL")
            t0 = time.perf_counter()
            fill_order_keys(conn)
            conn.execute("CREATE INDEX tracks_library_order ON tracks(order_artist_key, order_album_key, disc_no, "
                         "track_no, path)")
            found["key fill"].append(time.perf_counter() - t0)
        for case, keyed_writes in (("1000 writes nocase", False), ("1000 writes key", True)):
            store._keyed = keyed_writes
            t0 = time.perf_counter()
            for _ in range(1000):
                with store.transaction():
                    pass
            found[case].append(time.perf_counter() - t0)
        store._keyed = True
        for case, sql in (("collation read", named),):
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
