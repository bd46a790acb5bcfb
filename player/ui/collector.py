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
passes on the GUI thread: a young pass once more new objects are counted than Python's own
threshold, the older generations after as many young passes as Python waits for. The counts
are looked at each time the GUI thread's event loop is about to sleep, and, while a pass keeps
being needed (a worker allocating), again a few milliseconds later even where the GUI thread
does not sleep, and every few tens of milliseconds while a task runs on a worker (the GUI
thread may sleep through it). Each pass then covers a few milliseconds of allocation: passes
100 ms apart held the window for up to 116 ms each. A window with nothing to do is not woken.
Garbage without cycles is still freed at once, by reference counting, on any thread; only
cycles wait, until the GUI thread next runs. A job that pauses the collector
(:func:`player.workers.collector_paused`) pauses these passes too. Command-line commands and
the learner's process (spawned, a Python of its own) keep Python's own collector.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QAbstractEventDispatcher, QObject, QTimer

from player.workers import any_running, collector_is_paused

# How soon the counts are looked at again after a pass (a worker still allocating): a pass
# costs about half a microsecond for each object allocated since the last, and a busy worker
# allocates a few million a second (10 ms let young passes of 30 ms build up).
AGAIN_MS = 2
# How soon they are looked at again while a task runs on a worker and no pass was needed: the
# GUI thread may sleep for the whole task (nothing to draw, the window hidden), and a task
# making garbage in cycles filled memory with it (1.1 million cycles, 200 MB, in 3 s), all
# left to one long pass once the window woke.
LATER_MS = 50


class GuiCollector(QObject):
    """Collects on the GUI thread while it lives; :meth:`stop` gives collection back to Python.

    ``runs`` counts the passes by generation and ``longest_ms`` is the longest one (how long
    the window was held by a pass)."""

    def __init__(self, parent: QObject | None = None, again_ms: int = AGAIN_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self.runs = [0, 0, 0]
        self.longest_ms = 0.0
        self._old = len(gc.get_objects(2))     # the oldest generation after the last full pass
        self._moved = 0                         # objects middle passes moved into it since then
        gc.disable()
        self._again = QTimer(self)
        self._again.setSingleShot(True)
        self._again_ms = again_ms
        self._again.timeout.connect(self.check)
        self._dispatcher = QAbstractEventDispatcher.instance(self.thread())
        self._dispatcher.aboutToBlock.connect(self.check)

    def check(self) -> int | None:
        """One pass if the counts call for one, of the oldest generation they call for; the
        generation collected, or None."""
        count, threshold = gc.get_count(), self.threshold
        if collector_is_paused() or threshold[0] <= 0 or count[0] <= threshold[0]:
            if any_running():
                self._look_in(LATER_MS)
            return None
        generation = 0
        if count[1] > threshold[1]:
            generation = 2 if count[2] > threshold[2] and self._old_grew() else 1
        start = time.perf_counter()
        young = len(gc.get_objects(0)) + len(gc.get_objects(1)) if generation == 1 else 0
        found = gc.collect(generation)
        if generation == 1:
            self._moved += max(young - found, 0)
        elif generation == 2:
            self._old, self._moved = len(gc.get_objects(2)), 0
        self.longest_ms = max(self.longest_ms, (time.perf_counter() - start) * 1000)
        self.runs[generation] += 1
        self._look_in(self._again_ms)
        return generation

    def _look_in(self, ms: int) -> None:
        if not self._again.isActive() or self._again.remainingTime() > ms:
            self._again.start(ms)

    def _old_grew(self) -> bool:
        # Python's own rule for a full pass: only once the oldest generation has grown by a
        # quarter since the last one, else a program holding many objects spends most of its
        # time in full passes. (A full pass over a big library not yet frozen held the window
        # for 140 ms.) Counted as Python counts it, from what the middle passes moved there:
        # listing the oldest generation to measure it costs as much as the full pass (180 ms for
        # a million objects), and was done at every middle pass while it had not grown enough.
        return self._moved > self._old // 4

    def stop(self) -> None:
        """Python's own collector back (as it was before this started); once only."""
        if self._dispatcher is None:
            return
        self._dispatcher.aboutToBlock.disconnect(self.check)
        self._dispatcher = None
        self._again.stop()
        if self._was_enabled:
            gc.enable()


def install(app: QObject) -> GuiCollector:
    """Collect on the GUI thread for as long as ``app`` runs (called on the GUI thread)."""
    collector = GuiCollector(app)
    app.gui_collector = collector
    return collector


def uninstall(app: QObject) -> None:
    """Python's own collector back, for a process that goes on without the window (the
    self-test's window step, run inside a test session or a command)."""
    collector = getattr(app, "gui_collector", None)
    if collector is not None:
        collector.stop()
        collector.setParent(None)
        app.gui_collector = None
