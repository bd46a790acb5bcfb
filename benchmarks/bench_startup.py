"""Start-up to the window, with a library up to date and with one this version updates.

    python -m benchmarks.bench_startup                  # 100,000 tracks, 3 runs each
    python -m benchmarks.bench_startup --tracks 20000 --runs 1

Each run is a fresh process started as ``segue`` starts (``run_gui``: the lock on the
library, opening it, the main window; offscreen Qt, the null engine, no recommender),
timed from the moment the parent starts it:

- first: the first turn of the GUI thread's event loop (a 50 ms timer set going before
  ``run_gui``): the first moment the program answers at all;
- window: the main window shown;
- stall: the longest gap between two turns of that timer before the main window, counted
  from the call of ``run_gui`` (imports before it are the same either way): how long the
  program could not answer.

Two ways of opening, in turns in the same run: ``new`` (as shipped: an update runs on a
worker with a window saying so) and ``baseline`` (the library opened on the GUI thread,
updates included, as before: the check that picks the worker is made to answer "no").
For each, a library of the current schema and one of the schema before (a fresh copy of
it every run, so every run updates it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
t_start = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from player.ui.main import create_app, run_gui
from player.ui.main_window import MainWindow
if sys.argv[2] == "baseline":
    import player.store
    player.store.migration_pending = lambda path: False
app = create_app()
ticks, shown = [], []
def tick():
    now = time.time() - t_start
    mains = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if mains:
        shown.append(now)
        timer.stop()
        mains[0].close()
        return
    ticks.append(now)
timer = QTimer()
timer.timeout.connect(tick)
timer.start(50)
called = time.time() - t_start
status = run_gui(None)
print("RESULT", json.dumps({"ticks": ticks, "shown": shown[0] if shown else None, "called": called,
                            "status": status}))
"""


def _libraries(folder: Path, tracks: int) -> tuple[Path, Path]:
    """A library of the current schema and one of the schema before, with the same tracks."""
    from benchmarks.library_gen import library_rows
    from player.store import SCHEMA_VERSION, Store
    from player.store.migrations import MIGRATIONS

    rows = library_rows(tracks)
    current = folder / "current.db"
    store = Store(current)
    for i in range(0, len(rows), 5000):
        store.upsert_tracks(rows[i:i + 5000])
    store.close()
    old = folder / "old.db"
    conn = sqlite3.connect(old)
    for step in MIGRATIONS[:SCHEMA_VERSION - 1]:
        step(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    columns = [c for c in rows[0]]
    now = time.time()
    conn.executemany(f"INSERT INTO tracks ({', '.join(columns)}, added_at, updated_at) "
                     f"VALUES ({', '.join('?' * len(columns))}, ?, ?)",
                     ([r[c] for c in columns] + [now, now] for r in rows))
    conn.commit()
    conn.close()
    return current, old


def _run(way: str, library: Path, work: Path) -> dict:
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copyfile(library, home / "library.db")
    env = {**os.environ, "SEGUE_HOME": str(home), "HOME": str(work), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT), "SEGUE_ENGINE": "null", "SEGUE_NO_RECOMMENDER": "1", "SEGUE_NO_ANALYSIS": "1"}
    started = time.time()
    out = subprocess.run([sys.executable, "-c", _CHILD, repr(started), way], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0 or "RESULT " not in out.stdout:
        raise SystemExit(f"{way} failed: {out.stderr[-2000:]}")
    got = json.loads(out.stdout.split("RESULT ", 1)[1])
    ticks = got["ticks"]
    marks = [got["called"], *ticks, got["shown"]]
    return {"first": ticks[0] if ticks else got["shown"], "window": got["shown"],
            "stall": max(b - a for a, b in zip(marks, marks[1:]))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        current, old = _libraries(work, args.tracks)
        results: dict = {}
        for run in range(args.runs):
            for name, library in (("up to date", current), ("updated", old)):
                # (each first in every other run: what the run before left in the caches
                # falls on both alike)
                for way in ("baseline", "new")[::1 if run % 2 == 0 else -1]:
                    results.setdefault((name, way), []).append(_run(way, library, work / "run"))
    print(f"start-up, {args.tracks:,} tracks, median of {args.runs} runs (s from the process's start)")
    print(f"{'library':<12}{'opening':<10}{'first':>8}{'window':>8}{'stall':>8}{'window / baseline':>20}")
    for name in ("up to date", "updated"):
        base = statistics.median(r["window"] for r in results[(name, "baseline")])
        for way in ("baseline", "new"):
            runs = results[(name, way)]
            med = {k: statistics.median(r[k] for r in runs) for k in ("first", "window", "stall")}
            print(f"{name:<12}{way:<10}{med['first']:>8.2f}{med['window']:>8.2f}{med['stall']:>8.2f}"
                  f"{med['window'] / base:>20.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
