"""Typing in the library's search box over a big library: what each key holds the window.

    python -m benchmarks.bench_search_typing                 # 100,000 tracks, keys back to back
    python -m benchmarks.bench_search_typing --pace 0.15     # a person's pace between keys

The real library view (offscreen) over a generated library (benchmarks/library_gen.py), a
play count on a third of its tracks; each query typed key by key into the box from empty,
the time of each key (the filter and the events it posts) measured; in library order and
sorted by title. Ratio: each query's total against the plain word "love" in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BASELINE = "love"
TYPED = [BASELINE, "the night", "title:love", "artist:a year:>=2000", "year:1965-1972 -genre:rock",
         "plays:0 love", "-live"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--pace", type=float, default=0.0, help="seconds between keys (events handled meanwhile)")
    args = parser.parse_args(argv)
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from benchmarks.library_gen import library_rows
    from player.library.search import LibraryData
    from player.ui.library_model import LibraryModel
    from player.ui.library_view import LibraryView

    app = QApplication.instance() or QApplication([])
    rows = library_rows(args.tracks, seed=7)
    for i, r in enumerate(rows, 1):
        r["id"] = i
    data = LibraryData.from_rows(rows)
    rng = np.random.default_rng(7)
    played = rng.choice(data.ids, size=len(data) // 3, replace=False)
    data.set_plays(played, rng.integers(1, 40, size=len(played)))
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()

    def wait(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.005)

    print(f"\nsearch box typing, {len(data):,} tracks, {args.pace:.2f} s between keys, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'sorted by':10} {'typed':30} {'keys':>5} {'total ms':>9} {'ratio':>7} {'worst ms':>9}  at")
    for sort in (None, 1):
        if sort is not None:
            model.sort(sort, Qt.AscendingOrder)
        base = None
        for text in TYPED:
            view.search.clear()
            wait(max(args.pace, 0.05))
            per = []
            for ch in text:
                t = time.perf_counter()
                QTest.keyClicks(view.search, ch)
                app.processEvents()
                per.append(((time.perf_counter() - t) * 1000, view.search.text()))
                wait(args.pace)
            total = sum(ms for ms, _ in per)
            base = total if text == BASELINE else base
            worst = max(per)
            print(f"{'title' if sort else 'library':10} {text:30} {len(per):5} {total:9.1f} {total / base:6.2f}x "
                  f"{worst[0]:9.1f}  {worst[1]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
