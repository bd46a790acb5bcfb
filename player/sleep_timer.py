"""The sleep timer: music that fades out and pauses after a set time, for falling asleep to it.

Qt-free, on a clock it is given (monotonic seconds): the window asks it, a few times a
second while it runs, how loud the music should be and whether the time is up, and tells
the player. The last :data:`FADE_S` seconds bring the level down as the volume slider would
if it were drawn down evenly to nothing (its cube law, see ``player.ui.transport``): a
straight fall of amplitude sounds like a sudden drop near its end, which wakes people.
"""

from __future__ import annotations

import time
from typing import Callable

#: the minutes the Playback menu offers, as phone players and Spotify do
CHOICES_MIN = (15, 30, 45, 60)
#: the music fades out over this many seconds before it pauses
FADE_S = 10.0


class SleepTimerError(ValueError):
    """A sleep timer set to no time or to a time that is not a number."""


class SleepTimer:
    """Counts down to the moment the music pauses; :meth:`gain` is its fade.

    ``clock``: monotonic seconds (tests give their own, to step through the fade).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, fade_s: float = FADE_S):
        self.clock = clock
        self.fade_s = float(fade_s)
        self._ends_at: float | None = None

    @property
    def running(self) -> bool:
        return self._ends_at is not None

    def start(self, seconds: float) -> None:
        """Pause the music ``seconds`` from now (a timer running already is replaced)."""
        seconds = float(seconds)
        if not seconds > 0 or seconds == float("inf"):
            raise SleepTimerError(f"a sleep timer needs a time ahead, got {seconds!r} s")
        self._ends_at = self.clock() + seconds

    def cancel(self) -> None:
        self._ends_at = None

    def left_s(self) -> float | None:
        """Seconds until the music pauses (0 once due); None while no timer runs."""
        if self._ends_at is None:
            return None
        return max(0.0, self._ends_at - self.clock())

    def gain(self) -> float:
        """The factor the music's volume is multiplied by now: 1 until the fade, then down to 0."""
        left = self.left_s()
        if left is None or left >= self.fade_s:
            return 1.0
        return (left / self.fade_s) ** 3 if self.fade_s > 0 else 0.0

    def due(self) -> bool:
        left = self.left_s()
        return left is not None and left <= 0.0


def time_left_text(seconds: float) -> str:
    """How the status bar says the time left: ``Sleep in 14:32`` (minutes and seconds)."""
    whole = int(seconds + 0.999)        # (counts down to 0:01, never shows 0:00 before it pauses)
    return f"Sleep in {whole // 60}:{whole % 60:02d}"
