"""The window's collector (GUI thread only) against Python's own: pauses and peak memory.

    python -m benchmarks.bench_collector                 # 100,000 tracks
    python -m benchmarks.bench_collector --tracks 20000 --reloads 3

A generated library (benchmarks/library_gen.py rows) in a fresh home; then, for each way, a
fresh process with the real window (offscreen, no audio engine) that loads it and then:

- reloads it ``--reloads`` times (the library read again on a worker, its rows replacing the
  table's), waiting for each;
- has a worker make ``--cycles`` small reference cycles that are garbage at once (what only
  the cyclic collector frees), a thousand at a time, while the GUI thread keeps answering.

Reported per way: the whole run's time, the longest gap of a 10 ms timer on the GUI thread
(how long the window could not answer) during the reloads and during the cycles, the longest
pass of the window's collector (``gui`` only), one full pass forced at the end (the worst a
full pass costs with this library), and the process's peak resident memory. ``python``: the
automatic collector (the old way); ``gui``: :mod:`player.ui.collector`. The ratio column is
gui over python.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WAYS = ["python", "gui"]


def _child(way: str, reloads: int, cycles: int, interval_ms: int) -> dict:
    import gc
    import resource
    import threading

    from PySide6.QtCore import Qt

    from benchmarks.bench_ui import _heartbeat
    from benchmarks.bench_ui import _spin_until as spin
    from player.store import Store
    from player.ui.main import create_app
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    app = create_app()
    collector = app.gui_collector
    if interval_ms:
        collector._again.setInterval(interval_ms)
    if way == "python":
        collector.stop()            # Python's own collector, on whichever thread allocates
    store = Store.open()
    window = MainWindow(store, engine_factory=None)
    loads = []
    window.library_loaded.connect(lambda: loads.append(time.perf_counter()))
    gaps, _clock, _last, ticker = _heartbeat()
    ticker.setInterval(10)
    ticker.setTimerType(Qt.PreciseTimer)
    t0 = time.perf_counter()
    window.show()
    assert spin(lambda: loads, 600), "the library did not load"
    ticker.start()
    for i in range(reloads):
        window.reload_library()
        assert spin(lambda i=i: len(loads) >= i + 2, 600), "a reload did not finish"
    done = threading.Event()

    def churn() -> None:
        for _ in range(cycles // 1000):
            for _ in range(1000):
                a: dict = {}
                a["self"] = a
            time.sleep(0)
        done.set()

    reload_gaps = gaps[1:]
    gaps.clear()
    threading.Thread(target=churn, name="churn", daemon=True).start()
    assert spin(done.is_set, 600), "the churn did not finish"
    spin(lambda: False, 0.3)                    # the window's collector's last passes
    ticker.stop()
    total_s = time.perf_counter() - t0
    start = time.perf_counter()
    gc.collect()
    full_ms = (time.perf_counter() - start) * 1000
    out = {"s": total_s, "reload_stall_ms": max(reload_gaps, default=0), "churn_stall_ms": max(gaps[1:], default=0),
           "pass_ms": collector.longest_ms if way == "gui" else 0,
           "full_ms": full_ms, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "runs": collector.runs if way == "gui" else [0, 0, 0]}
    window.close()
    wait_all(10_000)
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--reloads", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=2_000_000)
    parser.add_argument("--interval-ms", type=int, default=0,
                        help="the window collector's wait after a pass (0: its own)")
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.reloads, args.cycles, args.interval_ms)))
        sys.stdout.flush()
        os._exit(0)
    from benchmarks.library_gen import fill_store
    from player.store import Store

    results = {}
    with tempfile.TemporaryDirectory(prefix="segue-gc-") as tmp:
        env = dict(os.environ, SEGUE_HOME=tmp, SEGUE_DATA_DIR=tmp, SEGUE_ENGINE="null")
        os.environ.update(SEGUE_HOME=tmp, SEGUE_DATA_DIR=tmp)
        store = Store.open()
        fill_store(store, args.tracks)
        store.close()
        for way in WAYS:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_collector", "--child", way,
                                   "--reloads", str(args.reloads), "--cycles", str(args.cycles),
                                   "--interval-ms", str(args.interval_ms)],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=3600)
            if proc.returncode != 0:
                raise SystemExit(f"the {way} child failed ({proc.returncode})")
            results[way] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{args.tracks:,} tracks, {args.reloads} reloads, {args.cycles:,} garbage cycles from a worker")
    print(f"{'':<26}{'python':>10}{'gui':>10}{'ratio':>8}")
    for key, label in [("s", "run (s)"), ("reload_stall_ms", "stall, reloads (ms)"),
                       ("churn_stall_ms", "stall, cycles (ms)"), ("pass_ms", "longest GUI pass (ms)"),
                       ("full_ms", "full pass at end (ms)"), ("rss_mb", "peak RSS (MiB)")]:
        lo, hi = results["python"][key], results["gui"][key]
        print(f"{label:<26}{lo:>10.1f}{hi:>10.1f}{hi / lo if lo else float('nan'):>8.2f}")
    print(f"window collector passes by generation: {results['gui']['runs']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
