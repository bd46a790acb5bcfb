"""Long work on the GUI thread cut into short steps: a generator run one step per turn of
the event loop, so that the window paints and answers input between steps.

The next step is due 1 ms later rather than at once: measured here, a chain of zero-delay
calls lets the window's other timers (animations, a progress display) run only after every
second step, which doubles how long the window seems held.
"""

from __future__ import annotations

from typing import Callable, Iterator

from PySide6.QtCore import QObject, QTimer
from shiboken6 import isValid

STEP_DELAY_MS = 1


class Steps:
    """Run ``steps`` now up to its first ``yield``, then one step per turn; ``done()`` after the
    last. Nothing runs once ``context`` is deleted or :meth:`cancel` was called."""

    def __init__(self, context: QObject, steps: Iterator, done: Callable[[], None] | None = None):
        self._steps = steps
        self._done = done
        self.active = True
        # One timer of its own, a child of ``context`` (deleted with it), started again for each
        # step; what it calls holds this object, which lives as long as its steps run, whether
        # the caller keeps it or not. A single shot asked of Qt for each step, with a context and
        # this object's method, did not hold it (PySide 6.11): a chain of steps nobody kept was
        # freed while its next step was due, and that step ran in freed memory. The Listening tab,
        # redrawn after every play while it shows, crashed the program within minutes.
        self._timer = QTimer(context, singleShot=True, interval=STEP_DELAY_MS)
        self._timer.timeout.connect(lambda: self._next())
        self._next()

    def cancel(self) -> None:
        if self.active:
            self._end()

    def _end(self) -> None:
        self.active = False
        if isValid(self._timer):        # (gone with its context, deleted meanwhile)
            self._timer.stop()
            self._timer.deleteLater()

    def _next(self) -> None:
        if not self.active:
            return
        try:
            next(self._steps)
        except StopIteration:
            self._end()
            if self._done is not None:
                self._done()
            return
        if self.active:             # (a step may have cancelled it)
            self._timer.start()
