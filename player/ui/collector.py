"""Python's cyclic garbage collector, run on the GUI thread only, in the window's process.

Python runs its collector on whichever thread happens to allocate when the count of new
objects crosses its threshold: in the window that is as often a worker, the audio feeder or
the sound card's callback as the GUI thread. Garbage in a reference cycle is freed by that
pass, and a Qt object among it is deleted on that thread, off its own. For a timer that is
still running this is fatal: Qt warns "Timers cannot be stopped from another thread",
leaves the timer registered with the GUI thread's event loop, and the next time it is due
the loop delivers it to freed memory (a segmentation fault a moment later, far from the
cause). Other Qt objects deleted off their thread race with the GUI thread's use of them.

So the window's process turns the automatic collector off and runs the same generational
passes from a timer on the GUI thread: a young pass once as many new objects as Python's
own threshold are counted, the older generations after as many young passes as Python
waits for. Garbage without cycles is still freed at once, by reference counting, on any
thread; only cycles wait, for at most one interval. A job that pauses the collector
(:func:`player.workers.collector_paused`) pauses these passes too. Command-line commands
and the learner's process (spawned, a Python of its own) keep Python's own collector.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

from player.workers import collector_is_paused

# How often the counts are looked at: reading them costs next to nothing, and a short wait
# keeps the cycles waiting few and each pass as short as Python's own would be.
INTERVAL_MS = 100


class GuiCollector(QObject):
    """Collects on the GUI thread while it lives; :meth:`stop` gives collection back to Python.

    ``runs`` counts the passes by generation and ``longest_ms`` is the longest one (how long
    the window was held by a pass)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self.runs = [0, 0, 0]
        self.longest_ms = 0.0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> int | None:
        """One pass if the counts call for one, of the oldest generation they call for; the
        generation collected, or None."""
        if collector_is_paused():
            return None
        count, threshold = gc.get_count(), self.threshold
        if threshold[0] <= 0 or count[0] <= threshold[0]:
            return None
        generation = 0
        if count[1] > threshold[1]:
            generation = 2 if count[2] > threshold[2] else 1
        start = time.perf_counter()
        gc.collect(generation)
        self.longest_ms = max(self.longest_ms, (time.perf_counter() - start) * 1000)
        self.runs[generation] += 1
        return generation

    def stop(self) -> None:
        """Python's own collector back (as it was before this started)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


def install(app: QObject) -> GuiCollector:
    """Collect on the GUI thread for as long as ``app`` runs (called on the GUI thread)."""
    collector = GuiCollector(app)
    app.gui_collector = collector
    return collector
