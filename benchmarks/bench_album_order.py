"""What listing each album under one name costs the library's order (``library_order``),
the window's load (``load_library``) and Up next's read after a one-track tag edit.

    python -m benchmarks.bench_album_order                  # 20,000 and 100,000 tracks
    python -m benchmarks.bench_album_order --tracks 20000 --runs 3 --base HEAD~5

A generated library (``benchmarks.library_gen``) in which one album in ``--split`` carries
its album artist's sort name on its first two tracks only (as a tagger writes it on the
tracks it matched): those albums are the ones listed under one name. Each size is timed
twice, each in a process of its own on the same database: with the code of ``--base`` (the
baseline, ``git archive`` of its packages in a scratch folder put first on the path; by
default the last commit before albums went under one name) and with this checkout's.
Medians over ``--runs``:

- order: ``library_order`` of the rows read (the read itself left out);
- window: ``load_library``, the window's whole load;
- edit: ``LibraryRecommendations._library()`` after one track's genre was written (what Up
  next reads again), a track of an album under two names ("edit split") or of another.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_CASES = ("order", "window", "edit", "edit split")
#: The last commit before an album's tracks under two sort names were listed as one album.
BEFORE_ONE_NAME = "c9f185c8"


def _fill(db: str, n: int, split: int) -> None:
    from benchmarks.library_gen import library_rows
    from player.store import Store

    rows = library_rows(n)
    albums: dict = {}
    for r in rows:
        albums.setdefault((r["albumartist"], r["album"]), []).append(r)
    for k, tracks in enumerate(albums.values()):
        if k % split == 0:
            for r in tracks[:2]:
                r["albumartistsort"] = f"{r['albumartist']}, sort"
    store = Store.open(db)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    store.close()


def _time(db: str, runs: int) -> dict[str, float]:
    # (in a process whose path puts the code measured first)
    from player import recommendations as recs
    from player.library.albums import LIBRARY_ORDER_COLUMNS, library_order
    from player.library.names import Namer
    from player.store import Store
    from player.library.search import load_library

    store = Store.open(db)
    namer = Namer.of(store)
    rows = store.library_rows(LIBRARY_ORDER_COLUMNS)
    every = list(store.execute("SELECT id, albumartist, album, albumartistsort FROM tracks ORDER BY id"))
    named = {(r[1], r[2]) for r in every if r[3]}
    split = [r[0] for r in every if (r[1], r[2]) in named]         # (the albums under two names)
    plain = [r[0] for r in every if (r[1], r[2]) not in named]
    found: dict[str, list[float]] = {case: [] for case in _CASES}
    provider = recs.LibraryRecommendations(store)
    provider._library()
    for run in range(runs):
        t0 = time.perf_counter()
        library_order(rows, namer)
        found["order"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        load_library(store)
        found["window"].append(time.perf_counter() - t0)
        for case, ids in (("edit", plain), ("edit split", split)):
            with store.transaction() as conn:       # (a tag edit of one song)
                conn.execute("UPDATE tracks SET genre = ? WHERE id = ?",
                             ("Polka" if run % 2 else "Rock", ids[(run * 997) % len(ids)]))
            t0 = time.perf_counter()
            provider._library()
            found[case].append(time.perf_counter() - t0)
    store.close()
    return {case: statistics.median(times) for case, times in found.items()}


def _base_tree(rev: str, into: Path) -> Path:
    # the packages of ``rev``, as committed, in a scratch folder
    data = subprocess.run(["git", "archive", rev, "player", "segue_common", "benchmarks"], cwd=ROOT,
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _measured(code: Path, db: str, runs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, "-c", "import json, sys; from benchmarks.bench_album_order import _time; "
                          "print(json.dumps(_time(sys.argv[1], int(sys.argv[2]))))", db, str(runs)],
                         cwd=code, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--split", type=int, default=20, help="one album in this many under two sort names")
    parser.add_argument("--base", default=BEFORE_ONE_NAME, help="the commit whose code is the baseline")
    args = parser.parse_args(argv)
    print(f"{'tracks':>8} {'case':<11} {'base ms':>8} {'here ms':>8} {'ratio':>6}   (base: {args.base})")
    with tempfile.TemporaryDirectory(prefix="segue-album-order-") as tmp:
        base_code = _base_tree(args.base, Path(tmp) / "base")
        for n in args.tracks:
            db = str(Path(tmp) / f"library-{n}.db")
            _fill(db, n, args.split)
            # (the baseline copies this file in: it needs ``_time``, not the base's benchmarks)
            (base_code / "benchmarks" / "bench_album_order.py").write_bytes(Path(__file__).read_bytes())
            base = _measured(base_code, db, args.runs)
            here = _measured(ROOT, db, args.runs)
            for case in _CASES:
                print(f"{n:>8,} {case:<11} {base[case] * 1000:>8.0f} {here[case] * 1000:>8.0f} "
                      f"{here[case] / base[case]:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
