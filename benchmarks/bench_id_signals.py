"""What handing a whole library's track ids from the table to Up next costs the window.

    python -m benchmarks.bench_id_signals                 # 100,000 ids, best of 5
    python -m benchmarks.bench_id_signals --ids 20000

The library view's "Add to Up next" signal (``LibraryView.enqueue_requested``) and Up next's
Remove (``UpNextPanel.remove_entries``), emitted on the GUI thread to a connected receiver,
beside a signal declared as Qt's ``list`` (the baselines, in the same run: it copies each id
or entry into a Qt list and back), each ratio against the baseline of its kind; and whether
each receiver got the same list.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    from player.audio.queue import QueueEntry
    from player.ui.library_model import LibraryModel
    from player.ui.library_view import LibraryView
    from player.ui.queue_panel import UpNextPanel

    app = QApplication.instance() or QApplication([])

    class Baseline(QObject):
        ids = Signal(list)

    baseline, view, panel = Baseline(), LibraryView(LibraryModel()), UpNextPanel(describe=lambda e: ("", "", ""))
    ids = list(range(args.ids))
    entries = [QueueEntry(i) for i in ids]
    cases = {"Signal(list), ids (baseline)": (baseline.ids, ids),
             "Add to Up next": (view.enqueue_requested, ids),
             "Signal(list), entries (baseline)": (baseline.ids, entries),
             "Up next Remove": (panel.remove_entries, entries)}
    rows = {}
    for name, (signal, value) in cases.items():
        got = []
        signal.connect(got.append)
        best = float("inf")
        for _ in range(args.runs):
            got.clear()
            t0 = time.perf_counter()
            signal.emit(value)
            best = min(best, time.perf_counter() - t0)
        signal.disconnect(got.append)
        rows[name] = (best, got == [value])
    app.processEvents()
    base_of = {"Add to Up next": "Signal(list), ids (baseline)", "Up next Remove": "Signal(list), entries (baseline)"}
    print(f"{args.ids:,} ids, best of {args.runs}")
    print(f"{'signal':<34} {'ms':>8} {'ratio':>7} {'same list':>9}")
    for name, (s, same) in rows.items():
        base = rows[base_of.get(name, name)][0]
        print(f"{name:<34} {s * 1000:>8.3f} {s / base:>7.4f} {str(same):>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
