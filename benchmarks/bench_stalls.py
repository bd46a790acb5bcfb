"""How long the window's event loop is held while the app works on its threads.

    python -m benchmarks.bench_stalls                       # 20,000 tracks, 3 repeats
    python -m benchmarks.bench_stalls --tracks 5000 --rows 5000 --files 500 --repeat 1
    python -m benchmarks.bench_stalls --phases import --ways "as is" "at once" old --repeat 5
    python -m benchmarks.bench_stalls --repeat 1 --why     # and what ran while the window waited
    python -m benchmarks.bench_stalls --phases busy import scan --ways "as is" --switch-ms 5 2 1 0.5

One generated home (a ``--tracks``-track library with a first imported history and a model
run trained from it by the learner's own trainer, in a separate process), then each run a
fresh process with the real window (offscreen, the null audio engine) going through:

- start-up: from ``show()`` until the library is in the table and the learning
  recommender (its catalogue and the trained models) is built and swapped in;
- busy (the floor): a worker running a bare Python loop for 3 s, allocating nothing: what
  any Python work on a thread costs the window here (a thread waiting for the GIL gets it
  after the switch interval, which the window sets at start-up; a busy machine adds its
  own waits);
- import: File → Import listening history of a ``--rows``-row Spotify export (a history
  with the shape of a real log, as in bench_import) until its summary shows;
- scan: a folder of ``--files`` real tagged files added and scanned until the library
  has been reloaded with them;
- swap: the learner says a training finished ("models changed") and the window loads the
  run and swaps it in.

Throughout, a 5 ms timer on the GUI thread notes each tick; a tick's lateness is the time
since the previous one less 5 ms (how long the window could not answer). Printed per phase:
the largest lateness and its 99th percentile (median over ``--repeat`` runs, and the worst
run), and what Python's cyclic garbage collector did meanwhile (``gc.callbacks``): full
(generation 2) collections, the longest one, and how much of the longest hold was spent
collecting. A full collection stops every thread (it holds the GIL), whichever thread set it
off, so its length is a hold of the window.

Four ways are run in turns, in the same run: the app as it is; "at once": the import's data
(the library's index, the file's rows) freed all at once as its job returns (``let_go`` made a
no-op); "old": that, and the import's job with the collector on (``collector_paused`` made a
no-op), as the import was before either; "not frozen": the app as it is with the objects that
loading the library freezes put back in the collector's view (``gc.unfreeze``) at once, as
they were before it froze them.

With ``--switch-ms``, each way runs once per Python switch interval given (``sys.setswitchinterval``,
set in the window's process after its start-up set its own): how long a thread running Python code
keeps the GIL while another waits for it. The busy phase then also shows the loop's iterations (the
worker's throughput), and the import and scan their durations, against the first interval given;
and, in this process, two threads running the bare loop at once, where the GIL changes hands
every interval: the most switching can cost (iterations of both together, intervals in turns).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_stalls.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 5
PHASES = ("start-up", "busy", "import", "scan", "swap")
BUSY_S = 3.0
WAYS = ("as is", "at once", "old", "not frozen")


# -- the generated home (parent) --------------------------------------------------------------
def _history(n: int, library: list[dict], seed: int) -> list[tuple]:
    from benchmarks.bench_import import SHARED, default_shape, log_shape, synthetic_history

    shape = log_shape(SHARED / "listening_logs") or default_shape(random.Random(5))
    shape["counts"] = shape["counts"][:len(library)]     # songs beyond the library's size left out
    plays = synthetic_history(n, shape, library, seed=seed)
    return [(a, t, al, s, ms, sk) for a, t, al, s, ms, sk, _r in plays]


def make_home(home: Path, tracks: int, rows: int, files: int, first_rows: int) -> dict:
    """The store, a first import and a trained run under ``home``; the export to import and
    the folder to scan beside it."""
    from benchmarks.bench_scan import make_library
    from benchmarks.library_gen import library_rows
    from player.history.importer import import_file
    from player.store import Store
    from tests import history_fixtures as fx

    os.environ["SEGUE_HOME"] = str(home / "home")     # never the person's own data folder
    library = library_rows(tracks, seed=11)
    random.Random(5).shuffle(library)
    store = Store.open()
    for i in range(0, len(library), 5000):
        store.upsert_tracks(library[i:i + 5000])
    first = fx.spotify_extended(home / "first.json", _history(first_rows, library, seed=3))
    import_file(store, first)
    # Shifted past the first history's last play: no row of it is already imported.
    later = [(a, t, al, s + 3 * 365 * 86400, ms, sk) for a, t, al, s, ms, sk in _history(rows, library, seed=4)]
    export = fx.spotify_extended(home / "Streaming_History_Audio_big.json", later)
    store.close()
    t = time.perf_counter()
    # The learner's trainer, in a process of its own as in the app (torch stays out of this one).
    subprocess.run([sys.executable, "-c", "from player.store import Store; from player.trainer import Trainer; "
                    "s = Store.open(); r = Trainer(s).train_now(); assert r is not None and r.path, r; s.close()"],
                   check=True, cwd=ROOT, env=os.environ.copy())
    print(f"  (a model run trained in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    t = time.perf_counter()
    make_library(home / "music", files)
    print(f"  ({files:,} files generated in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return {"home": str(home / "home"), "export": str(export), "music": str(home / "music")}


# -- one run of the window (child) ------------------------------------------------------------
class Collections:
    """Every cyclic collection: ``(start, seconds, generation, thread name)`` (perf_counter)."""

    def __init__(self):
        self.seen: list[tuple[float, float, int, str]] = []
        self._start: dict[int, float] = {}

    def __call__(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        ident = threading.get_ident()
        if phase == "start":
            self._start[ident] = now
        elif ident in self._start:
            t = self._start.pop(ident)
            self.seen.append((t, now - t, info["generation"], threading.current_thread().name))


class Sampler(threading.Thread):
    """With ``--why``: while the timer is more than 15 ms late, the stacks of every thread
    (the innermost frames), counted: what ran while the window waited, where Python code ran."""

    def __init__(self, ticks: list[float]):
        super().__init__(daemon=True, name="sampler")
        self.ticks, self.counts, self.running = ticks, {}, True

    def run(self) -> None:
        import traceback

        me = threading.get_ident()
        names = {}
        while self.running:
            time.sleep(0.001)
            if not self.ticks or time.perf_counter() - self.ticks[-1] < 0.015:
                continue
            names.update((t.ident, t.name) for t in threading.enumerate())
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stack = traceback.extract_stack(frame)[-4:]
                key = f"{names.get(ident, ident)}: " + " < ".join(
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))
                self.counts[key] = self.counts.get(key, 0) + 1


def _child(setup: dict, way: str, why: bool = False, phases=PHASES, switch_ms: float | None = None) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from player.audio.null_engine import NullEngine
    from player.learner import messages as m
    from player.playback import Player
    from player.store import Store
    from player.ui.main import create_app
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    os.environ["SEGUE_HOME"] = setup["home"]
    app = create_app()
    if switch_ms is not None:
        sys.setswitchinterval(switch_ms / 1000)
    collections = Collections()
    gc.callbacks.append(collections)
    ticks: list[float] = []
    ticker = QTimer(interval=TICK_MS)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    sampler = Sampler(ticks) if why else None
    store = Store.open()
    window = MainWindow(store, player=Player(store, NullEngine()), settings_file=str(Path(setup["home"]) / "w.ini"))
    window.enable_intelligence(analyse=False, learn=False)
    intelligence = window.intelligence
    if way in ("at once", "old"):
        import player.history.importer as importer
        from player.history.match import TrackMatcher

        importer.let_go = lambda *containers: None
        TrackMatcher.let_go = lambda self: None
    if way == "old":
        import contextlib

        import player.ui.history_tasks as history_tasks

        history_tasks.collector_paused = contextlib.nullcontext
    if way == "not frozen":
        # What start-up freezes is put back in the collector's view as soon as it is frozen.
        import player.ui.main_window as main_window

        class Unfreezing:
            def __getattr__(self, name):
                return getattr(gc, name)

            @staticmethod
            def freeze():
                gc.freeze()
                gc.unfreeze()

        main_window.gc = Unfreezing()

    def spin(until, timeout_s: float) -> bool:
        # Waits for events as the app's own loop does (the 5 ms timer wakes it at least that
        # often): a loop that woke every half millisecond would ask for the GIL far more often
        # than the window does, and take from the workers' throughput what the app never takes.
        end = time.monotonic() + timeout_s
        while not until() and time.monotonic() < end:
            app.processEvents(QEventLoop.WaitForMoreEvents)
        return until()

    out: dict = {"switch_ms": 1000 * sys.getswitchinterval()}

    def phase(name: str, start, until, timeout_s: float = 600) -> None:
        spin(lambda: False, 0.3)                 # what came before has settled
        del ticks[:]
        n_gc = len(collections.seen)
        t0 = time.perf_counter()
        ticks.append(t0)
        start()
        if not spin(until, timeout_s):
            raise RuntimeError(f"{name}: did not finish in {timeout_s} s")
        spin(lambda: False, 0.3)                 # the paint and work that follow
        t1 = time.perf_counter()
        gaps = [(b - a, a, b) for a, b in zip(ticks, ticks[1:])]
        if sampler is not None:
            out.setdefault("why", {})[name] = sorted(sampler.counts.items(), key=lambda kv: -kv[1])[:12]
            sampler.counts = {}
        out.setdefault("objects", {})[name] = len(gc.get_objects())
        late = sorted(max(0.0, 1000 * g - TICK_MS) for g, _, _ in gaps)
        worst, a, b = max(gaps)
        seen = collections.seen[n_gc:]
        full = [c for c in seen if c[2] == 2]
        in_worst = sum(min(b, s + d) - max(a, s) for s, d, _, _ in seen if s < b and s + d > a)
        out[name] = {"max": late[-1], "p99": late[int(0.99 * (len(late) - 1))], "s": t1 - t0,
                     "full": len(full), "full_max": 1000 * max((d for _, d, _, _ in full), default=0.0),
                     "gc_in_worst": 1000 * in_worst, "worst_at": a - t0,
                     "threads": sorted({c[3] for c in full})}

    loaded: list[int] = []
    window.library_loaded.connect(lambda: loaded.append(1))
    ready: list[int] = []
    intelligence.ready.connect(lambda: ready.append(1))
    ticker.start()
    if sampler is not None:
        sampler.start()
    phase("start-up", window.show, lambda: loaded and ready)
    if "busy" in phases:
        from player.workers import run_task

        def busy() -> int:
            end, n = time.perf_counter() + BUSY_S, 0
            while time.perf_counter() < end:
                n += 1
            return n

        done: list = []
        phase("busy", lambda: run_task(busy, lambda result, error: done.append(result), name="busy"), lambda: done)
        out["busy"]["iterations"] = done[0]
    imported: list = []
    window.history_imported.connect(imported.append)
    window._history_message = lambda *args: None          # no message box left open
    if "import" in phases:
        phase("import", lambda: window.import_history_files([setup["export"]]), lambda: imported)
        summary = imported[0][0]
        out["imported"] = {"rows": summary.rows, "plays": summary.matched}
    scanned: list = []
    window.scan_finished.connect(scanned.append)

    def after_scan() -> bool:
        return bool(scanned) and not window._loads.running() and n_loads[0] < len(loaded)

    n_loads = [0]

    def scan() -> None:
        n_loads[0] = len(loaded)
        window.scan([setup["music"]])

    if "scan" in phases:
        phase("scan", scan, after_scan)
        out["scanned"] = scanned[0].read
    swapped: list = []
    intelligence.models_loaded.connect(swapped.append)
    run = store.last_model_run()
    if "swap" in phases:
        phase("swap", lambda: intelligence.learner_message.emit(m.ModelsChanged(
            Path(run["path"]).name, run["n_plays"], run["finished_at"])), lambda: swapped)
    out["frozen"] = gc.get_freeze_count()
    ticker.stop()
    if sampler is not None:
        sampler.running = False
    window.close()
    wait_all(10_000)
    store.close()
    return out


def contended(switch_ms: float, seconds: float = 1.0) -> int:
    """Iterations of a bare Python loop in two threads at once at ``switch_ms`` (both together)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(switch_ms / 1000)
    counts = [0, 0]

    def loop(k: int) -> None:
        end, n = time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            n += 1
        counts[k] = n

    try:
        threads = [threading.Thread(target=loop, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    return sum(counts)


def _run_child(setup: dict, way: str, why: bool, phases: list[str], switch_ms: float | None = None) -> dict:
    code = ("import json, sys; from benchmarks.bench_stalls import _child; "
            f"print('RESULT', json.dumps(_child(json.loads(sys.argv[1]), {way!r}, {why!r}, {phases!r}, "
            f"{switch_ms!r})))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(setup)], cwd=ROOT, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=1800)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"the window's run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the history imported from the window")
    parser.add_argument("--first-rows", type=int, default=5_000, help="rows of the history the models learn from")
    parser.add_argument("--files", type=int, default=2_000, help="files in the folder scanned from the window")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ways", nargs="+", default=list(WAYS), choices=WAYS)
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES,
                        help="start-up always runs; the others only when named")
    parser.add_argument("--why", action="store_true",
                        help="also the stacks seen while the window waited more than 15 ms (slows it)")
    parser.add_argument("--switch-ms", nargs="+", type=float, default=[], metavar="MS",
                        help="run each way once per Python switch interval (ms), e.g. 5 2 1 0.5")
    args = parser.parse_args(argv)
    # Each run: a way of the app, at a switch interval (None: the one the app sets).
    runs = [(w, ms) for w in args.ways for ms in (args.switch_ms or [None])]
    label = {r: r[0] if r[1] is None else f"{r[0]} {r[1]:g}ms" for r in runs}
    print(f"Window holds at {args.tracks:,} tracks; import {args.rows:,} rows; scan {args.files:,} files; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="segue-bench-stalls-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        setup = make_home(tmp, args.tracks, args.rows, args.files, args.first_rows)
        print(f"  (home generated in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
        base = tmp / "base"
        os.rename(tmp / "home", base)
        results: dict[str, list[dict]] = {label[r]: [] for r in runs}
        for r in range(args.repeat):
            for way, ms in (runs if r % 2 == 0 else runs[::-1]):
                subprocess.run(["rm", "-rf", str(tmp / "home")], check=True)
                subprocess.run(["cp", "-a", str(base), str(tmp / "home")], check=True)
                t = time.perf_counter()
                results[label[way, ms]].append(_run_child(setup, way, args.why, args.phases, ms))
                print(f"  ({label[way, ms]}, run {r + 1}: {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    ways = list(results)
    first = results[ways[0]][0]
    if "imported" in first:
        print(f"imported {first['imported']['rows']:,} rows ({first['imported']['plays']:,} plays)")
    if "scanned" in first:
        print(f"scanned {first['scanned']:,} files")
    print("objects frozen at the end: "
          + ", ".join(f"{w} {results[w][0]['frozen']:,}" for w in ways))
    print("switch interval: " + ", ".join(f"{w} {results[w][0]['switch_ms']:g} ms" for w in ways))
    print(f"\nlateness of a {TICK_MS} ms timer on the GUI thread, ms (median of {args.repeat} runs; worst run); "
          "full collections of the cyclic GC meanwhile")
    width = max(11, *(len(w) for w in ways))
    print(f"  {'phase':<9} {'way':<{width}} {'s':>5} {'s vs 1st':>8} {'max':>6} {'worst':>6} {'p99':>5} "
          f"{'vs 1st':>6} {'full GCs':>8} {'longest':>7} {'GC in max':>9}  threads of the full GCs")
    for name in ["start-up", *(p for p in args.phases if p != "start-up")]:
        ref = statistics.median(x[name]["max"] for x in results[ways[0]])
        ref_s = statistics.median(x[name]["s"] for x in results[ways[0]])
        for way in ways:
            rs = [x[name] for x in results[way]]
            med = statistics.median(x["max"] for x in rs)
            secs = statistics.median(x["s"] for x in rs)
            threads = sorted({t for x in rs for t in x["threads"]})
            print(f"  {name:<9} {way:<{width}} {secs:>5.1f} {secs / ref_s:>7.2f}x {med:>6.0f} "
                  f"{max(x['max'] for x in rs):>6.0f} {statistics.median(x['p99'] for x in rs):>5.0f} "
                  f"{med / max(ref, 1):>5.2f}x {statistics.median(x['full'] for x in rs):>8.0f} "
                  f"{statistics.median(x['full_max'] for x in rs):>7.0f} "
                  f"{statistics.median(x['gc_in_worst'] for x in rs):>9.0f}  {', '.join(threads)}")
    if "busy" in args.phases:
        ref = statistics.median(x["busy"]["iterations"] for x in results[ways[0]])
        print(f"\nthe busy worker's loop in {BUSY_S:g} s (its throughput), median of {args.repeat} runs:")
        for way in ways:
            its = [x["busy"]["iterations"] for x in results[way]]
            print(f"  {way:<{width}} {statistics.median(its) / 1e6:>7.2f} M iterations  "
                  f"{statistics.median(its) / ref:>5.2f}x  (runs: {', '.join(f'{n / 1e6:.2f}' for n in its)})")
    print("\nobjects the cyclic GC looks at (not frozen) after each phase, first run: "
          + "; ".join(f"{w}: " + ", ".join(f"{k} {v:,}" for k, v in results[w][0]["objects"].items())
                      for w in ways))
    if args.switch_ms:
        turns = {ms: [] for ms in args.switch_ms}
        for r in range(max(9, args.repeat)):
            for ms in (args.switch_ms if r % 2 == 0 else args.switch_ms[::-1]):
                turns[ms].append(contended(ms))
        ref = statistics.median(turns[args.switch_ms[0]])
        print(f"\ntwo threads running the bare loop at once for 1 s (the GIL changes hands every interval), "
              f"iterations of both, median of {len(turns[args.switch_ms[0]])} turns:")
        for ms, its in turns.items():
            print(f"  {ms:>4g} ms  {statistics.median(its) / 1e6:>6.2f} M  {statistics.median(its) / ref:>5.2f}x  "
                  f"(turns: {', '.join(f'{n / 1e6:.2f}' for n in its)})")
    if args.why:
        for way in ways:
            for name in results[way][0]["why"]:
                print(f"\nwhile the window waited > 15 ms, {name}, {way} (samples, first run):")
                for key, n in results[way][0]["why"][name]:
                    print(f"  {n:>5}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
