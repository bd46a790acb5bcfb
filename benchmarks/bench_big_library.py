"""A collector's library in the real window: each step's time and its longest GUI-thread stall.

    python -m benchmarks.bench_big_library                     # 10,000 and 100,000 tracks
    python -m benchmarks.bench_big_library --sizes 2000 --plays 5000

For each size, a generated home (benchmarks/library_gen.py rows, no audio but one silent
file the first track points to, 200-d embeddings per genre as the analysis leaves them,
``--plays`` plays over two years), then one fresh process with the real window (offscreen,
the null audio engine) going through the steps in turn:

- start-up: from ``show()`` until the library's rows are in the table; then the quiet rescan
  the window starts once they show, until it finds nothing changed (0 where it was done by
  then); then File → Rescan library, until it reports the same;
- sort: clicking the Title header, then Artist;
- search: "golden" typed key by key into the search box, then deleted key by key, each key
  filtered (as when a pause follows it: a big library waits for one);
- Up next, Radio, Discover with the plain provider (the library's own, before the learning
  recommender): the first track played with Keep going on until Up next fills; Radio from it
  until its station is queued; the Discover tab opened until its rows show;
- select all and queue: Ctrl+A in the table and "Add to Up next" until the list shows them
  all; then Clear;
- recommender: the learning recommender built (no learner process) until ready;
- the same Up next refill, Radio and Discover again with it;
- Listening tab: opened until its statistics and map are drawn.

Each step: the time until the window showed its result, and the longest gap of a 10 ms
timer on the GUI thread while it ran (how long the window could not answer; the rule is
~50 ms). The ratio column is the step's time at the largest size over the smallest
(10x more tracks: near 10 is linear). ``BENCH_WHY=1`` in the environment prints, after each
step, where the GUI thread was while its timer was over 50 ms late (Python frames only: a
frame in the event loop is Qt's own work, or a wait for the GIL). Writing 100,000 files
takes a few minutes on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_big_library.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SILENCE_S = 600
TYPED = "golden"


def silent_wav(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(4 * int(8000 * seconds)))


def make_home(home: Path, tracks: int, plays: int) -> None:
    """The library, its analysis and its history in ``home/library.db``; each track's file a
    copy of one tiny silent WAV in the library's one folder (the first track's a long one, it
    is played), its size and times as a scan left them: a rescan finds nothing changed and
    opens no file. The tags stay the generated ones."""
    from benchmarks.bench_listening_tab import build
    from player.library.reader_version import READER_VERSION

    store, _now = build(home / "library.db", tracks, plays)
    music = home / "music"
    music.mkdir()
    ids = [r["id"] for r in store.tracks()]
    silent_wav(music / "tiny.wav", 0.01)
    tiny = (music / "tiny.wav").read_bytes()
    (music / "tiny.wav").unlink()
    stamps = []
    for i in ids:
        path = music / f"{i}.wav"
        if i == min(ids):
            silent_wav(path, SILENCE_S)
        else:
            path.write_bytes(tiny)
        st = path.stat()
        stamps.append((str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, i))
    folder = store.add_folder(str(music))
    store.set_folder_scanned(folder, tag_reader=READER_VERSION)
    with store.transaction() as conn:
        conn.executemany(f"UPDATE tracks SET path = ?, folder_id = {folder}, size = ?, mtime_ns = ?, ctime_ns = ? "
                         "WHERE id = ?", stamps)
        conn.execute("UPDATE tracks SET duration = ? WHERE id = ?", (float(SILENCE_S), min(ids)))
    store.close()


# -- the window (child) ----------------------------------------------------------------------
def _watch(last_tick, clock, held: dict) -> None:
    """Every 10 ms, where the GUI thread is while its timer is 40 ms late (counts by stack)."""
    import threading
    import traceback

    main = threading.main_thread().ident

    def run():
        while True:
            time.sleep(0.01)
            if clock.elapsed() - last_tick() > 50:
                frame = sys._current_frames().get(main)
                if frame is not None:
                    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                       for f in reversed(traceback.extract_stack(frame)[-6:]))
                    held[where] = held.get(where, 0) + 1

    threading.Thread(target=run, daemon=True).start()


def _child() -> dict:
    from PySide6.QtCore import Qt

    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow

    app = create_app()
    store = Store.open()
    with store.transaction() as conn:
        n = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
        first = conn.execute("SELECT MIN(id) FROM tracks").fetchone()[0]
    from benchmarks.bench_ui import _heartbeat
    from benchmarks.bench_ui import _spin_until as spin

    gaps, clock, last, ticker = _heartbeat()
    ticker.setInterval(10)
    ticker.setTimerType(Qt.PreciseTimer)

    out: dict = {"tracks": n}
    held: dict = {}                         # with --why: the GUI thread's stacks while it was held
    if os.environ.get("BENCH_WHY"):
        _watch(lambda: last[0], clock, held)

    def step(name: str, action, until, timeout_s: float = 300) -> None:
        spin(lambda: False, 0.3)            # the last step's tail is over
        gaps.clear()
        last[0] = clock.elapsed()
        start = time.perf_counter()
        action()
        ok = spin(until, timeout_s)
        took = (time.perf_counter() - start) * 1000
        spin(lambda: False, 0.3)            # what the step set off after showing its result
        out[name] = {"ms": took if ok else float("nan"), "stall_ms": float(max(gaps, default=0))}
        if held:
            top = sorted(held.items(), key=lambda kv: -kv[1])[:4]
            print("\n".join(f"    {count} x {where}" for where, count in top), file=sys.stderr)
            held.clear()
        print(f"  {name}: {took:.0f} ms, stall {max(gaps, default=0)} ms{'' if ok else ' (timed out)'}",
              file=sys.stderr, flush=True)

    window = MainWindow(store, engine_factory=default_engine_factory(store))
    window.resize(1280, 780)
    ticker.start()
    scanned = []
    window.scan_finished.connect(lambda result: scanned.append(result))
    step("start-up", window.show, lambda: window.model.rowCount() == n and window.restored)
    step("rescan at start (quiet)", lambda: None, lambda: bool(scanned))
    spin(lambda: window.player is not None, 30)
    table = window.library.table
    from player.ui.library_model import COLUMNS

    col = {key: i for i, (key, *_rest) in enumerate(COLUMNS)}
    step("sort by title", lambda: table.sortByColumn(col["title"], Qt.DescendingOrder), lambda: True)
    step("sort by artist", lambda: table.sortByColumn(col["artist"], Qt.AscendingOrder), lambda: True)
    search = window.library.search

    def type_word():
        # Each key filters, as typed with a pause after it: over a big library the box waits
        # for a pause before it filters, and without one these keys would time no search at all.
        for i in [*range(1, len(TYPED) + 1), *range(len(TYPED) - 1, -1, -1)]:
            search.setText(TYPED[:i])
            window.library.apply_search()
            app.processEvents()

    step("search (type, delete)", type_word, lambda: window.model.rowCount() == n)
    scanned.clear()
    step("File > Rescan (unchanged)", window.rescan, lambda: bool(scanned))
    print(f"  rescan: {scanned[-1][0] if scanned and isinstance(scanned[-1], tuple) else scanned}", file=sys.stderr)
    rows = window.up_next.list.model().rowCount

    def surfaces(who: str) -> None:
        window.up_next.keep_going.setChecked(False)
        window.up_next.clear_btn.click()
        spin(lambda: rows() == 0, 10)
        step(f"Up next refill ({who})", lambda: (window.play_ids([first]), window.up_next.keep_going.setChecked(True)),
             lambda: window.player.current_track_id == first and rows() > 0)
        before = window.up_next.rows.entries()
        step(f"Radio ({who})", lambda: window.start_radio(first),
             lambda: window.station is not None and window.up_next.rows.entries() != before and rows() > 0)
        window.tabs.setCurrentWidget(window.library)
        window.discover.set_rows({}, {})
        step(f"Discover ({who})", lambda: (window.tabs.setCurrentWidget(window.discover), window.refresh_discover()),
             lambda: len(window.discover.rows) > 0)
        window.tabs.setCurrentWidget(window.library)

    surfaces("plain")
    window.up_next.keep_going.setChecked(False)
    window.up_next.clear_btn.click()
    spin(lambda: rows() == 0, 10)

    def select_and_queue():
        table.setFocus()
        table.selectAll()
        window.library.enqueue_requested.emit(window.library.selected_ids())

    step("select all + queue", select_and_queue, lambda: rows() >= n)
    step("clear Up next", window.up_next.clear_btn.click, lambda: rows() == 0)
    table.clearSelection()
    ready = []
    step("recommender build", lambda: (window.enable_intelligence(analyse=False, learn=False),
                                       window.intelligence.ready.connect(lambda *a: ready.append(1))),
         lambda: bool(ready))
    surfaces("learned")
    tab = window.listening
    step("Listening tab", lambda: window.tabs.setCurrentWidget(tab),
         lambda: tab.view is not None and tab.view.overview.summary is not None
         and tab.view.sound_map.map is not None and not tab.view.sound_map._draw_timer.isActive())
    ticker.stop()
    out["torch_imported"] = "torch" in sys.modules
    window.close()
    from player.workers import wait_all

    wait_all(5000)
    store.close()
    return out


def run_child(home: Path, module: str = "benchmarks.bench_big_library") -> dict:
    """``module --child`` run in a process of its own on the data folder ``home``: what it printed last."""
    env = dict(os.environ, SEGUE_HOME=str(home), SEGUE_DATA_DIR=str(home))
    proc = subprocess.run([sys.executable, "-m", module, "--child"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_sizes(sizes, make, module: str, what: str = "tracks") -> dict[int, dict]:
    """For each size ``n``: a data folder of its own made by ``make(home, n)``, then
    ``module --child`` run on it (:func:`run_child`); ``{n: what it printed}``."""
    results = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="segue-big-") as tmp:
            home = Path(tmp)
            t = time.perf_counter()
            make(home, n)
            print(f"{n:,} {what}: home made in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
            results[n] = run_child(home, module)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--plays", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child()))
        sys.stdout.flush()
        os._exit(0)
    results = run_sizes(args.sizes, lambda home, n: make_home(home, n, args.plays), "benchmarks.bench_big_library",
                        f"tracks, {args.plays:,} plays")
    steps = [k for k in results[args.sizes[0]] if isinstance(results[args.sizes[0]][k], dict)]
    head = "".join(f" {f'{n:,} ms':>12} {'stall':>7}" for n in args.sizes)
    print(f"{'step':<28}{head} {'ratio':>6}")
    for s in steps:
        cells = "".join(f" {results[n][s]['ms']:>12.0f} {results[n][s]['stall_ms']:>7.0f}" for n in args.sizes)
        lo, hi = results[args.sizes[0]][s]["ms"], results[args.sizes[-1]][s]["ms"]
        print(f"{s:<28}{cells} {hi / lo if lo > 0 else float('nan'):>6.1f}")
    print("torch imported by the window: " + ", ".join(str(results[n]["torch_imported"]) for n in args.sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
