"""The first read of a library's works, on the player's command thread (shuffle's first use).

    python -m benchmarks.bench_works                      # 100,000 movements
    python -m benchmarks.bench_works --tracks 20000

A store of that many tracks made through its API, every one a movement ("Symphony No. 12 in
D minor, Op. 40: III. Adagio", 25 composers, works of three or four movements, several
performances of each), then the store's read of every track's work
(``work_movements``, its first call: nothing cached, a fresh process's state) timed three
times, the caches of names emptied before each, then again with them full. The baseline, measured
in the same run: the same rows fetched and not parsed, the floor of any read of them. The ratio
column is each time over the baseline's.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_FORMS = ("Symphony", "Piano Sonata", "String Quartet", "Violin Concerto", "Suite", "Piano Trio")
_KEYS = ("C major", "D minor", "E-flat major", "F sharp minor", "G major", "A minor", "B-flat major")
_TEMPI = ("Allegro con brio", "Adagio", "Scherzo. Presto", "Finale. Allegro ma non troppo", "Andante cantabile",
          "Menuetto. Allegretto", "Largo", "Rondo. Vivace")
_ROMAN = ("I", "II", "III", "IV")


def movement_rows(n: int, seed: int = 7) -> list[dict]:
    """``n`` movements' rows: works of 3 or 4 movements by 25 composers, each work in several
    performances (albums)."""
    rng = random.Random(seed)
    rows: list[dict] = []
    album = 0
    while len(rows) < n:
        composer = f"Composer {rng.randrange(25)}"
        form, key = rng.choice(_FORMS), rng.choice(_KEYS)
        work = f"{form} No. {rng.randint(1, 40)} in {key}, Op. {rng.randint(1, 140)}"
        album += 1
        for m in range(rng.choice((3, 4))):
            rows.append({"path": f"/generated/{composer}/Album {album}/{m + 1:02d} {len(rows)}.flac",
                         "title": f"{work}: {_ROMAN[m]}. {rng.choice(_TEMPI)}", "artist": f"Orchestra {album % 300}",
                         "album": f"Album {album}", "albumartist": f"Orchestra {album % 300}", "composer": composer,
                         "track_no": m + 1, "disc_no": 1, "duration": 400.0, "mtime_ns": 1, "size": 1,
                         "codec": "flac", "sample_rate": 44100, "channels": 2, "bitrate": 900_000})
    return rows[:n]


def _clear_caches() -> None:
    """Every cache of names and works emptied: a fresh process's first read."""
    from segue_common import normalize, works

    for f in vars(works).values():
        if hasattr(f, "cache_clear"):
            f.cache_clear()
    normalize.normalize_name.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from player.store import Store
    from player.store.migrations import WORK_CANDIDATES

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "library.db")
        rows = movement_rows(args.tracks)
        for i in range(0, len(rows), 5000):
            store.upsert_tracks(rows[i:i + 5000])

        def fetch() -> float:
            # (the rows alone, read as the store reads them: the floor of any parse of them)
            t0 = time.perf_counter()
            sum(1 for _ in store.execute(
                "SELECT id, title, composer, coalesce(artist, albumartist), coalesce(mb_album_id, album, ''), "
                "coalesce(albumartist, artist, ''), work, grouping, movement, movementname FROM tracks "
                f"WHERE {WORK_CANDIDATES}"))
            return time.perf_counter() - t0

        def read(cold: bool) -> float:
            if cold:
                _clear_caches()
            t0 = time.perf_counter()
            got = store._read_work_movements(None)
            took = time.perf_counter() - t0
            assert len(got) == len(rows), len(got)
            return took

        base = min(fetch() for _ in range(args.repeat))
        cold = min(read(True) for _ in range(args.repeat))
        warm = min(read(False) for _ in range(args.repeat))
        store.close()
    print(f"| {'step':<34} | {'tracks':>7} | {'s':>7} | {'ratio':>6} |")
    print(f"| {'-' * 34} | {'-' * 7} | {'-' * 7} | {'-' * 6} |")
    for name, took in (("rows fetched alone (baseline)", base), ("works read, first (caches empty)", cold),
                       ("works read again", warm)):
        print(f"| {name:<34} | {args.tracks:>7} | {took:>7.3f} | {took / base:>6.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
