"""Typing in the library's search box over a big library: what each key holds the window.

    python -m benchmarks.bench_search_typing                 # 100,000 tracks, keys back to back
    python -m benchmarks.bench_search_typing --pace 0.15     # a person's pace between keys

The real library view (offscreen) over a generated library (benchmarks/library_gen.py), a
play count on a third of its tracks; each query typed key by key into the box from empty, in
library order and sorted by title, twice: filtered at each key (as before the pause) and
filtered after a pause in the typing (``PAUSE_FROM``, ``TYPING_PAUSE_MS`` in
player/ui/library_view.py). Measured: the window's time from the first key until the songs of
the whole query show (every key and every filter pass; "busy"), its longest single hold, the
filter passes made, and how long after the last key the songs showed. Ratio: busy after a pause
against busy at each key, the same query in the same run.
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

TYPED = ["love", "the night", "title:love", "artist:a year:>=2000", "year:1965-1972 -genre:rock",
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

    def library() -> LibraryData:
        """The library anew: the field searches made by one way of filtering are not kept for the other."""
        data = LibraryData.from_rows(rows)
        rng = np.random.default_rng(7)
        played = rng.choice(data.ids, size=len(data) // 3, replace=False)
        data.set_plays(played, rng.integers(1, 40, size=len(played)))
        return data

    data = library()
    model = LibraryModel()
    model.set_library(data)
    view = LibraryView(model)
    view.resize(1200, 800)
    view.show()
    app.processEvents()

    from player.ui import library_view

    def run_events() -> float:
        t = time.perf_counter()
        app.processEvents()
        return (time.perf_counter() - t) * 1000

    def wait(seconds: float, holds: list[float]) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            holds.append(run_events())
            time.sleep(0.005)

    def settle(text: str, holds: list[float]) -> float:
        """Events handled until the table shows ``text``'s songs; the seconds that took."""
        t = time.perf_counter()
        while (view.search_pending() or model._filter_text != text) and time.perf_counter() - t < 10:
            holds.append(run_events())
            time.sleep(0.002)
        return time.perf_counter() - t

    passes = [0]
    model.layoutChanged.connect(lambda: passes.__setitem__(0, passes[0] + 1))
    print(f"\nsearch box typing, {len(data):,} tracks, {args.pace:.2f} s between keys, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; a pause of {library_view.TYPING_PAUSE_MS} ms "
          f"from {library_view.PAUSE_FROM:,} tracks")
    print(f"{'filtered':9} {'sorted by':10} {'typed':28} {'keys':>4} {'passes':>6} {'busy ms':>8} {'ratio':>6} "
          f"{'worst ms':>8} {'shown ms':>8}  worst at")
    pause_from, each_key = library_view.PAUSE_FROM, {}
    for mode, threshold in (("each key", len(data) + 1), ("on pause", pause_from)):
        library_view.PAUSE_FROM = threshold
        view.search.clear()
        model.set_library(library())
        for sort in (-1, 1):
            model.sort(sort, Qt.AscendingOrder)
            for text in TYPED:
                view.search.clear()
                wait(max(args.pace, 0.05), [])
                passes[0] = 0
                holds: list[tuple[float, str]] = []
                for ch in text:
                    t = time.perf_counter()
                    QTest.keyClicks(view.search, ch)
                    app.processEvents()
                    holds.append(((time.perf_counter() - t) * 1000, view.search.text()))
                    waited: list[float] = []
                    wait(args.pace, waited)
                    holds += [(ms, view.search.text() + " (pause)") for ms in waited]
                after: list[float] = []
                shown = settle(text, after) * 1000
                holds += [(ms, text + " (pause)") for ms in after]
                busy = sum(ms for ms, _ in holds)
                worst = max(holds)
                each_key.setdefault((sort, text), busy)
                print(f"{mode:9} {'title' if sort >= 0 else 'library':10} {text:28} {len(text):4} {passes[0]:6} "
                      f"{busy:8.1f} {busy / each_key[(sort, text)]:5.2f}x {worst[0]:8.1f} {shown:8.1f}  {worst[1]!r}")
    library_view.PAUSE_FROM = pause_from
    return 0


if __name__ == "__main__":
    sys.exit(main())
