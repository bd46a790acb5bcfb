"""How fast the Listening tab is with a big library and a long history.

    python -m benchmarks.bench_listening_tab                   # 100,000 tracks, 100,000 plays
    python -m benchmarks.bench_listening_tab --tracks 20000 --plays 20000 --runs 1

A generated library (benchmarks/library_gen.py) gets 200-d embeddings (one direction
per genre plus noise, as the tagger gives float16) and plays spread over two years.
Timed, median of ``--runs``:

- worker: ``load_summary`` (read every play + statistics) and ``load_map`` (read every
  embedding + PCA), and their store reads alone;
- GUI thread: drawing a finished result (``show_summary`` on both chart pages,
  ``set_map`` on the map page, which adds its points a chunk per event-loop turn) plus
  one paint of each page, offscreen; this is the only part that can make the window
  wait, so the longest single step is reported too;
- hit test: one click's nearest-point search and one lasso over the map;
- first open: a fresh process per run (pyqtgraph is imported once per run of the app) with
  the app's theme shows a window holding the Listening tab, switches to it and keeps the
  event loop turning until the statistics and the map are drawn; a 10 ms timer on the GUI
  thread measures the longest time the window could not react, whatever held it (an import,
  building plots, their first paint).

Baseline in the same run: ``load_library``, what the window does at start-up to show the
library table (same store, same machine load). Ratios are against it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def build(db: Path, n_tracks: int, n_plays: int, seed: int = 5):
    from benchmarks.library_gen import fill_store
    from player.store import Store

    store = Store.open(db)
    fill_store(store, n_tracks)
    rows = store.tracks()
    ids = np.array([r["id"] for r in rows])
    genres = sorted({r["genre"] for r in rows})
    rng = np.random.default_rng(seed)
    centre = {g: rng.normal(size=200) for g in genres}
    for start in range(0, len(rows), 10_000):
        chunk = rows[start:start + 10_000]
        emb = np.stack([centre[r["genre"]] for r in chunk]) + rng.normal(size=(len(chunk), 200)) * 0.8
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        store.save_features([{"track_id": r["id"], "model_version": "bench", "embedding": e,
                              "bucket": r["genre"].lower()} for r, e in zip(chunk, emb)])
    now = time.time()
    starts = np.sort(now - rng.uniform(0, 2 * 365 * 86400, n_plays))
    heard = rng.integers(5_000, 300_000, n_plays)
    sources = np.array(["library", "up_next", "radio", "discover", "search", "queue"])[rng.integers(0, 6, n_plays)]
    store.log_plays([(int(ids[rng.integers(0, len(ids))]), float(t), int(h), 300_000,
                      "finished" if h > 150_000 else "skipped", str(s)) for t, h, s in zip(starts, heard, sources)])
    return store, now


def _time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def first_open(db: str, now: float) -> None:
    """Child process: print the longest GUI-thread gap (ms) from switching to the Listening tab
    until its statistics and map are drawn, then half a second more for the last paints."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QTabWidget, QWidget

    import player.ui.main_window  # noqa: F401  (what the window has loaded when the tab is opened)
    from player.store import Store
    from player.ui.listening_tab import ListeningTab
    from player.ui.main import create_app

    _app = create_app()             # held for as long as the measurement runs
    store = Store.open(Path(db))
    tabs = QTabWidget()
    tabs.addTab(QWidget(), "Library")
    tab = ListeningTab(store, now=lambda: now)
    tabs.addTab(tab, "Listening")
    tabs.resize(1280, 760)
    tabs.show()
    gaps, last = [], [time.monotonic()]

    def beat():
        t = time.monotonic()
        gaps.append(t - last[0])
        last[0] = t

    timer = QTimer(timerType=Qt.PreciseTimer, interval=10)
    timer.timeout.connect(beat)

    def spin(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    spin(0.5)
    gaps.clear()
    last[0] = time.monotonic()
    timer.start()
    tabs.setCurrentWidget(tab)
    end = time.monotonic() + 60
    drawn = lambda: tab.view is not None and tab.view.overview.summary is not None and (  # noqa: E731
        tab.view.sound_map.map is not None and not tab.view.sound_map._draw_timer.isActive())
    while not drawn() and time.monotonic() < end:
        spin(0.02)
    spin(0.5)
    print(f"{max(gaps) * 1000:.1f}")
    store.close()
    os._exit(0)


def _first_open_gap(db: Path, now: float, runs: int) -> float:
    """Median over ``runs`` fresh processes of the longest GUI-thread gap at the first open (s)."""
    import subprocess

    code = f"from benchmarks.bench_listening_tab import first_open; first_open({str(db)!r}, {now!r})"
    worst = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        worst.append(float(out.stdout.split()[-1]) / 1000)
    return statistics.median(worst)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--plays", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from player.listening_stats import load_summary
    from player.sound_map import load_map, nearest, points_in_polygon
    from player.library.search import load_library

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        store, now = build(Path(tmp) / "bench.db", args.tracks, args.plays)
        print(f"built {args.tracks:,} tracks with embeddings and {args.plays:,} plays in "
              f"{time.perf_counter() - t:.1f} s\n")
        rows = []
        base, _ = _time(lambda: load_library(store), args.runs)
        rows.append(("baseline: load_library (window start-up)", base))
        rows.append(("store.play_columns", _time(store.play_columns, args.runs)[0]))
        rows.append(("store.played_track_labels", _time(store.played_track_labels, args.runs)[0]))
        sec, summary = _time(lambda: load_summary(store, now=now), args.runs)
        rows.append(("worker: load_summary (read + statistics)", sec))
        rows.append(("store.map_points", _time(store.map_points, args.runs)[0]))
        sec, m = _time(lambda: load_map(store, now=now), args.runs)
        rows.append(("worker: load_map (read + PCA)", sec))
        rows.append(("GUI thread: first open of the tab, longest gap (fresh processes)",
                     _first_open_gap(Path(tmp) / "bench.db", now, args.runs)))

        from player.ui.listening_view import ListeningView

        view = ListeningView(store, now=lambda: now)
        view._stale = False                 # drawn by hand below, not by its own workers
        view.resize(1280, 760)
        view.show()
        app.processEvents()

        def draw_summary():
            view.overview.show_summary(summary)
            view.report.show_summary(summary)
            for page in (view.overview, view.report):
                view.pages.setCurrentWidget(page)
                page.grab()

        steps: list[float] = []

        def draw_map():
            # set_map draws the first chunk; the event loop then adds one chunk per turn.
            page = view.sound_map
            view.pages.setCurrentWidget(page)
            t = time.perf_counter()
            page.set_map(m)
            steps.append(time.perf_counter() - t)
            while page._draw_timer.isActive():
                t = time.perf_counter()
                page._draw_chunk()
                steps.append(time.perf_counter() - t)
            page.grab()

        rows.append(("GUI thread: draw + paint both chart pages", _time(draw_summary, args.runs)[0]))
        rows.append((f"GUI thread: draw + paint the map, all steps ({len(m):,} points)", _time(draw_map, args.runs)[0]))
        rows.append(("GUI thread: the map's longest step between paints", max(steps)))
        rows.append(("GUI thread: repaint the map only", _time(view.sound_map.grab, args.runs)[0]))
        cx, cy = m.xy.mean(axis=0)
        rows.append(("click: nearest point", _time(lambda: nearest(m.xy, (cx, cy), scale=(100, 100), max_dist=8),
                                                   args.runs)[0]))
        r = float(m.xy.std()) * 0.5
        square = np.array([[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r]])
        sec, inside = _time(lambda: points_in_polygon(m.xy, square), args.runs)
        rows.append((f"lasso: points in polygon ({int(inside.sum()):,} selected)", sec))
        store.close()

    width = max(len(name) for name, _ in rows)
    print(f"{'step':<{width}}  {'ms':>8}  {'x baseline':>10}")
    for name, sec in rows:
        print(f"{name:<{width}}  {sec * 1000:8.1f}  {sec / base:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
