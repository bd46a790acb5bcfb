"""The learning recommender while a long scan writes: catalogues built and the CPU they took.

    python -m benchmarks.bench_scan_rebuilds                     # 20,000 and 100,000 tracks
    python -m benchmarks.bench_scan_rebuilds --tracks 20000 --writes 20
    python -m benchmarks.bench_scan_rebuilds --bulk              # most of the library rewritten at once

A generated library (``library_gen`` rows: no files) with plays, then a scan-like stream:
every ``--every`` seconds a batch of ``--batch`` new tracks is written (and, each fifth
write, one track found missing), and between writes the window's calls come: an Up next
refill of 20 and Discover's rows of 14. Run twice in turns from the same copy of the
library: "before" reads a new catalogue on every call after a write (``settle_s=0``, as the
service did), "after" with the service's own wait (``SETTLE_S``). Then the scan ends
(``library_settled``) and one more call is made: both end on a catalogue of the same tracks.
No priors and no trained models (the catalogue's read of the library is the cost). The
table gives the catalogues built, the CPU seconds of the whole stream (this process:
calls and builds) and the wall time of the calls alone.

``--bulk``: after the first write (whose catalogue the next writes wait on), every track is
written again in one go (a tag reader that reads every file again), and a third mode runs:
"whole" waits as "after" does but finds the songs lost since the catalogue by reading every
track written since it at each write (as the service did), where "after" reads only the
tracks of each write.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_scan_rebuilds.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _base(db: Path, tracks: int, plays: int) -> None:
    # (the plain provider's benchmark library: a generated library and two years of plays)
    from benchmarks.bench_plain_provider import _make

    store, _ids = _make(db, tracks, plays)
    store.close()


def _whole_read(cls):
    """The service reading every track written since its catalogue for the songs lost, at each
    change of the library's stamp (the baseline of ``--bulk``)."""

    class WholeRead(cls):
        def _gone_since(self, rec, seen):
            now = self.store.library_stamp()
            if seen is None or now == seen:
                return frozenset()
            kept = self._gone
            if kept is None or kept[0] != (seen, now):
                changed = [t for t in self.store.library_changed_ids(seen) if rec.catalog.row(t) >= 0]
                kept = self._gone = ((seen, now), frozenset(changed) - set(self.store.library_order_of(changed)))
            return kept[1]

    return WholeRead


def _stream(db: Path, models: Path, *, settle_s: float, writes: int, batch: int, every: float,
            bulk: bool = False, whole: bool = False) -> dict:
    from player.recommender_service import RecommenderService
    from player.store import Store

    store = Store.open(db)
    cls = _whole_read(RecommenderService) if whole else RecommenderService
    service = cls(store, models_dir=models, priors=None, settle_s=settle_s)
    ids = [r[0] for r in store.execute("SELECT id FROM tracks ORDER BY id")]
    session = ids[100:105]
    service.up_next(session, 20)            # the catalogue the window had before the scan
    builds, rng = service._builds, random.Random(11)
    cpu, calls_s, calls = time.process_time(), 0.0, 0
    for w in range(writes):
        due = time.monotonic() + every
        if bulk and w == 1:
            with store.transaction() as conn:
                conn.execute("UPDATE tracks SET title = title || ' (remastered)' WHERE path NOT LIKE '/bench/scan/%'")
        store.upsert_tracks([{"path": f"/bench/scan/{w}/{i}.flac", "size": 1, "mtime_ns": w * batch + i,
                              "title": f"Scanned {w} {i}", "artist": f"Scanned Artist {w % 7}",
                              "album": f"Scanned Album {w}", "genre": rng.choice(["Rock", "Jazz", "Ambient"]),
                              "duration": 200.0, "folder_id": None} for i in range(batch)])
        if w % 5 == 4:
            store.mark_missing([ids.pop(rng.randrange(200, len(ids)))])
        t = time.perf_counter()
        service.up_next(session, 20)
        service.discover(14)
        calls_s += time.perf_counter() - t
        calls += 2
        time.sleep(max(0.0, due - time.monotonic()))     # the scan's pace, not work
    service.library_settled()
    service.discover(14)
    got = {"builds": service._builds - builds, "calls": calls, "cpu": time.process_time() - cpu,
           "calls_s": calls_s, "last": len(service.recommender().catalog.track_ids)}
    store.close()
    return got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--plays", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=40, help="the scan's writes")
    parser.add_argument("--batch", type=int, default=100, help="new tracks a write")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between writes")
    parser.add_argument("--bulk", action="store_true", help="every track written again after the first write")
    args = parser.parse_args(argv)
    from player.recommender_service import SETTLE_S

    print(f"{'tracks':>8} {'mode':>7} {'writes':>7} {'calls':>6} {'builds':>7} {'cpu s':>8} {'calls s':>8}"
          f" {'tracks at end':>14}")
    for n in args.tracks:
        with tempfile.TemporaryDirectory(prefix="segue-bench-") as tmp:
            tmp = Path(tmp)
            _base(tmp / "base.db", n, args.plays)
            rows = {}
            modes = [("before", 0.0, False), ("after", SETTLE_S, False)] + \
                ([("whole", SETTLE_S, True)] if args.bulk else [])
            for mode, settle, whole in modes:
                db = tmp / f"{mode}.db"
                shutil.copy(tmp / "base.db", db)
                rows[mode] = got = _stream(db, tmp / f"models-{mode}", settle_s=settle, writes=args.writes,
                                           batch=args.batch, every=args.every, bulk=args.bulk, whole=whole)
                print(f"{n:>8} {mode:>7} {args.writes:>7} {got['calls']:>6} {got['builds']:>7} {got['cpu']:>8.2f}"
                      f" {got['calls_s']:>8.2f} {got['last']:>14}", flush=True)
            b, a = rows["before"], rows["after"]
            print(f"{n:>8} {'a/b':>7} {'':>7} {'':>6} {a['builds'] / b['builds']:>7.3f} {a['cpu'] / b['cpu']:>8.3f}"
                  f" {a['calls_s'] / b['calls_s']:>8.3f} {'same' if a['last'] == b['last'] else 'DIFFERENT':>14}")
            if args.bulk:
                w = rows["whole"]
                print(f"{n:>8} {'a/w':>7} {'':>7} {'':>6} {a['builds'] / max(w['builds'], 1):>7.3f}"
                      f" {a['cpu'] / w['cpu']:>8.3f} {a['calls_s'] / w['calls_s']:>8.3f}"
                      f" {'same' if a['last'] == w['last'] else 'DIFFERENT':>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
