"""How long Discover's row widgets hold the window while they are made.

    python -m benchmarks.bench_discover_rows                 # 7 repeats
    python -m benchmarks.bench_discover_rows --repeat 3 --rows 40

The Discover panel alone, in the app's theme (offscreen), at the window's usual size, given
``--rows`` genre rows of 14 tiles each. For each case, the longest gap of a 5 ms timer on
the GUI thread (how long the window could not answer; the rule is ~50 ms) from the moment
the rows arrive until every row in view has its widget and the layout and paint that
follow are done, and how long until then:

- first: the rows arrive in a panel that has no row widgets yet (the tab's first visit);
- emptied: after the panel showed no rows (a library emptied and filled again);
- refresh: other rows arrive in a panel showing rows (its widgets filled anew in place);
- taller: the panel made taller, from 300 to 1,000 px, with rows shown.

Each case is run the two ways, in turns in the same process: every row in view made in the
call that needs it (as it was: the baseline) and a row a turn of the event loop (as it is).
Medians over ``--repeat`` runs, the worst run, and the ratio of the medians' longest gap.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_discover_rows.py` too
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WAYS = {"at once": 10_000, "a row a turn": None}    # rows made per turn (None: the panel's own)
CASES = ("first", "emptied", "refresh", "taller")


def _rows(n: int, name: str) -> dict:
    return {f"{name} {i}": [(1000 * i + j, f"{name} song number {j} of row {i}", f"Artist {j}",
                             f"{name} {i}: not played yet") for j in range(14)] for i in range(n)}


def run_case(app, case: str, per_turn: int, n: int) -> tuple[float, float]:
    """``(longest GUI-thread gap, ms until the rows in view were all there and drawn)``."""
    from benchmarks.bench_ui import _heartbeat

    from player.ui.discover_panel import DiscoverPanel

    def settle(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    panel = DiscoverPanel()
    panel.ROWS_PER_TURN = per_turn
    panel.resize(1280, 300 if case == "taller" else 700)
    panel.show()
    settle(0.2)
    if case != "first":
        panel.set_rows(_rows(n, "Before"))
        settle(0.3)
    if case == "emptied":
        panel.set_rows({})
        settle(0.3)
    gaps, clock, last, ticker = _heartbeat()
    ticker.start()
    settle(0.05)
    gaps.clear()
    last[0] = clock.elapsed()
    start = time.perf_counter()
    if case == "taller":
        panel.resize(1280, 1000)
    else:
        panel.set_rows(_rows(n, "After"))
    while not panel.is_filled():
        app.processEvents()
    app.processEvents()                 # the layout and paint of the last row
    took = 1000 * (time.perf_counter() - start)
    settle(0.1)
    ticker.stop()
    panel.close()
    panel.deleteLater()
    settle(0.05)
    return float(max(gaps, default=0)), took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=25, help="genre rows given to the panel")
    args = parser.parse_args(argv)
    from player.ui.discover_panel import DiscoverPanel
    from player.ui.main import create_app

    app = create_app()
    got = {(case, way): [] for case in CASES for way in WAYS}
    for _ in range(args.repeat):
        for case in CASES:
            for way, per_turn in WAYS.items():
                got[case, way].append(run_case(app, case, per_turn or DiscoverPanel.ROWS_PER_TURN, args.rows))
    print(f"Discover rows, {args.rows} rows of 14 tiles, median of {args.repeat} (worst run); ms")
    print(f"  {'case':<8} {'way':<13} {'longest gap':>11} {'worst':>6} {'all there':>9}  {'gap vs at once':>14}")
    for case in CASES:
        base = statistics.median(g for g, _ in got[case, "at once"])
        for way in WAYS:
            runs = got[case, way]
            gap = statistics.median(g for g, _ in runs)
            print(f"  {case:<8} {way:<13} {gap:>11.0f} {max(g for g, _ in runs):>6.0f} "
                  f"{statistics.median(t for _, t in runs):>9.0f}  {gap / base if base else float('nan'):>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
