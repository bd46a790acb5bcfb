"""Long work on the GUI thread cut into short steps: a generator run one step per turn of
the event loop, so that the window paints and answers input between steps.

The next step is due 1 ms later rather than at once: measured here, a chain of zero-delay
calls lets the window's other timers (animations, a progress display) run only after every
second step, which doubles how long the window seems held.
"""

from __future__ import annotations

from typing import Callable, Iterator

from PySide6.QtCore import QObject, QTimer

STEP_DELAY_MS = 1


class Steps:
    """Run ``steps`` now up to its first ``yield``, then one step per turn; ``done()`` after the
    last. Nothing runs once ``context`` is deleted or :meth:`cancel` was called."""

    def __init__(self, context: QObject, steps: Iterator, done: Callable[[], None] | None = None):
        self._context = context
        self._steps = steps
        self._done = done
        self.active = True
        self._next()

    def cancel(self) -> None:
        self.active = False

    def _next(self) -> None:
        if not self.active:
            return
        try:
            next(self._steps)
        except StopIteration:
            self.active = False
            if self._done is not None:
                self._done()
            return
        QTimer.singleShot(STEP_DELAY_MS, self._context, self._next)
