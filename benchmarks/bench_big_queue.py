"""A whole library in Up next, in the real window: each change's time and its longest GUI-thread stall.

    python -m benchmarks.bench_big_queue                  # 10,000 and 100,000 queued
    python -m benchmarks.bench_big_queue --sizes 2000 20000

For each size, a library of that many tracks made through the store's API
(benchmarks/library_gen.py rows, each file a link to one silent WAV), then one fresh
process with the real window (offscreen, the null audio engine) going through the steps
a person with the whole library queued takes:

- Play all: the library's tracks played from the first, the rest queued;
- song ends: the song playing sought to its last moment, until the next one plays and
  Up next has lost its row (three in turn);
- skip: Next, until the next song plays and its row has gone (three in turn);
- move a row: the row at 500 moved to the top with Alt+Home, until the player's queue has it
  there and Up next shows it; Alt+Up on the row at 1000, the same;
- remove 1,000: rows 100 to 1,099 selected, Delete, until the player has taken them out;
- shuffle on, shuffle off, and the same by album: until Up next shows the new order;
- the saved state: building the player's state as a change saves it, shuffled and not.

Each step: the time until the window showed its result, the time spent in Up next's
refresh on the GUI thread (all the refreshes the step caused), and the longest gap of a
10 ms timer on the GUI thread while it ran (the rule is ~50 ms). The ratio column is the
largest size's time over the smallest (the baseline, measured in the same run): 10x more
entries and near 1 is what a player that stays instant shows, near 10 is a scan of the queue.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_big_queue.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SEGUE_ENGINE", "null")

from benchmarks.bench_big_library import run_sizes, silent_wav  # noqa: E402  (after the path above)

SONG_S = 30.0


def make_home(home: Path, tracks: int) -> None:
    """``tracks`` generated tracks in ``home/library.db``, each file a link to one silent WAV
    (any of them can be the next to play: a shuffle or a move puts any of them next)."""
    from benchmarks.library_gen import fill_store
    from player.store import Store

    store = Store.open(home / "library.db")
    fill_store(store, tracks)
    ids = sorted(r["id"] for r in store.tracks())
    music = home / "music"
    music.mkdir()
    song = music / "song.wav"
    silent_wav(song, SONG_S)
    st = song.stat()
    rows = []
    for i in ids:
        path = music / f"{i}.wav"
        path.symlink_to(song)
        rows.append((str(path), st.st_size, st.st_mtime_ns, SONG_S, i))
    with store.transaction() as conn:
        conn.executemany("UPDATE tracks SET path = ?, size = ?, mtime_ns = ?, duration = ? WHERE id = ?", rows)
    store.close()


# -- the window (child) ----------------------------------------------------------------------
def _child() -> dict:
    from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

    from benchmarks.bench_ui import _heartbeat
    from benchmarks.bench_ui import _spin_until as spin
    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow

    create_app()
    store = Store.open()
    with store.transaction() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM tracks ORDER BY id")]
    n = len(ids)
    gaps, clock, last, ticker = _heartbeat()
    ticker.setInterval(10)
    ticker.setTimerType(Qt.PreciseTimer)
    out: dict = {"tracks": n}

    window = MainWindow(store, engine_factory=default_engine_factory(store))
    window.resize(1280, 780)
    panel = window.up_next
    refresh = panel.set_entries
    spent = [0.0]

    def timed_refresh(entries):        # the time Up next takes to show each change, summed
        t = time.perf_counter()
        refresh(entries)
        spent[0] += time.perf_counter() - t

    panel.set_entries = timed_refresh
    ticker.start()
    window.show()
    spin(lambda: window.model.rowCount() == n and window.restored and window.player is not None, 300)
    player = window.player
    rows = panel.rows.rowCount

    def step(name: str, action, until, timeout_s: float = 60) -> None:
        spin(lambda: False, 0.3)            # the last step's tail is over
        gaps.clear()
        spent[0] = 0.0
        last[0] = clock.elapsed()
        start = time.perf_counter()
        action()
        # (true for a moment and not at the end: the player's queue read as it moved a row, before
        # that row became the person's entry; the step ends once it holds again)
        ok = spin(until, timeout_s) or spin(until, timeout_s - (time.perf_counter() - start))
        took = (time.perf_counter() - start) * 1000
        out[name] = {"ms": took if ok else float("nan"), "refresh_ms": spent[0] * 1000,
                     "stall_ms": float(max(gaps, default=0))}
        print(f"  {name}: {took:.0f} ms, refresh {spent[0] * 1000:.0f} ms, stall {max(gaps, default=0)} ms"
              f"{'' if ok else ' (timed out)'}", file=sys.stderr, flush=True)

    step("Play all", lambda: window.play_ids(ids), lambda: player.current_track_id == ids[0] and rows() == n - 1)
    for k in range(3):
        playing = player.current_track_id
        step(f"song ends {k + 1}", lambda: window.seek_to(SONG_S - 0.05),
             lambda: player.current_track_id not in (None, playing) and rows() == len(player.queue)
             and panel.rows.entries() == player.queue)
    for k in range(3):
        playing = player.current_track_id
        step(f"skip {k + 1}", window.next_track,
             lambda: player.current_track_id not in (None, playing) and panel.rows.entries() == player.queue)
    panel.list.setFocus()
    table = panel.list

    def select(first: int, last_row: int) -> None:
        sel = QItemSelection(panel.rows.index(first), panel.rows.index(last_row))
        table.selectionModel().setCurrentIndex(panel.rows.index(first), QItemSelectionModel.NoUpdate)
        table.selectionModel().select(sel, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)

    select(500, 500)
    moving = panel.rows.entry(500).track_id     # (moved, a list's song becomes the person's: a new entry)
    step("move row 500 to the top", panel.to_top.trigger,
         lambda: player.queue[0].track_id == moving and panel.rows.entries() == player.queue)
    select(1000, 1000)
    up = panel.rows.entry(1000).track_id
    step("move row 1000 up", panel.move_up.trigger,
         lambda: player.queue[999].track_id == up and panel.rows.entries() == player.queue)
    select(100, 1099)
    going = set(map(id, panel.rows.entries()[100:1100]))
    before = len(player.queue)
    step("remove 1,000 selected", lambda: panel.keyPressEvent(_delete()),
         lambda: len(player.queue) == before - 1000 and rows() == before - 1000
         and not going & set(map(id, panel.rows.entries())))
    shown = panel.rows.entries()
    step("shuffle on", lambda: window.set_shuffle(True),
         lambda: player.shuffle and panel.rows.entries() == player.queue and panel.rows.entries() != shown)
    out["state (build, shuffled)"] = _state_row(player)
    step("shuffle off", lambda: window.set_shuffle(False),
         lambda: not player.shuffle and panel.rows.entries() == player.queue and panel.rows.entries() == shown)
    out["state (build)"] = _state_row(player)
    # By album: each album's tracks read and grouped as the library groups them, on the
    # player's command thread (the window waits for nothing), then the albums dealt.
    step("shuffle by album on", lambda: window.set_shuffle(True, albums=True),
         lambda: player.shuffle_albums and panel.rows.entries() == player.queue and panel.rows.entries() != shown)
    step("shuffle by album off", lambda: window.set_shuffle(False),
         lambda: not player.shuffle and panel.rows.entries() == player.queue and panel.rows.entries() == shown)
    out["state queue entries"] = len(player._state()["queue"])
    ticker.stop()
    window.close()
    from player.workers import wait_all

    wait_all(5000)
    store.close()
    return out


def _state_row(player) -> dict:
    """The time to build what the player saves at a change (the queue is saved bounded)."""
    t = time.perf_counter()
    player._state()
    return {"ms": (time.perf_counter() - t) * 1000, "refresh_ms": 0.0, "stall_ms": float("nan")}


def _delete():
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QEvent.KeyPress, Qt.Key_Delete, Qt.NoModifier)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.sizes) < 2_000:
        parser.error("each size is 2,000 or more: the steps move row 1,000 and remove 1,000 rows")
    if args.child:
        print(json.dumps(_child()))
        sys.stdout.flush()
        os._exit(0)
    results = run_sizes(args.sizes, make_home, "benchmarks.bench_big_queue")
    steps = [k for k in results[args.sizes[0]] if isinstance(results[args.sizes[0]][k], dict)]
    head = "".join(f" {f'{n:,} ms':>11} {'refresh':>7} {'stall':>6}" for n in args.sizes)
    print(f"{'step':<26}{head} {'ratio':>6}")
    for s in steps:
        cells = "".join(f" {results[n][s]['ms']:>11.0f} {results[n][s]['refresh_ms']:>7.0f}"
                        f" {results[n][s]['stall_ms']:>6.0f}" for n in args.sizes)
        lo, hi = results[args.sizes[0]][s]["ms"], results[args.sizes[-1]][s]["ms"]
        print(f"{s:<26}{cells} {hi / lo if lo > 0 else float('nan'):>6.1f}")
    print("saved queue entries: " + ", ".join(str(results[n]["state queue entries"]) for n in args.sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
