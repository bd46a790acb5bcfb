"""A clock of the time the computer was awake, for waits that must not run out in its sleep.

The wait for a file whose reads failed (a share that dropped for a moment) is counted while
the output plays (see ``BufferedEngine._played_clock``). Counted by a clock that goes on in
the computer's sleep, a laptop closed just after a read failed woke to find the wait long
over, and the song ended as an error though its file reads again once the network is back.

Python's ``time.monotonic`` stands still in a suspend on Linux (``CLOCK_MONOTONIC``) and on
macOS (``mach_absolute_time``), but on Windows it reads ``QueryPerformanceCounter`` (older
versions ``GetTickCount64``), which both count the sleep. Windows' own count of the time
awake is the unbiased interrupt time: that one is read there.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Callable

log = logging.getLogger(__name__)

#: the unbiased interrupt time counts in units of 100 ns
_UNITS_PER_S = 10_000_000


def unbiased_clock(query: Callable[[object], int]) -> Callable[[], float]:
    """Seconds from a Windows call that fills a 64-bit count of 100 ns units awake and says
    whether it could (``QueryUnbiasedInterruptTime``); ``query`` is given a pointer to fill."""
    import ctypes

    def clock() -> float:
        count = ctypes.c_ulonglong(0)       # (one per call: read from several threads)
        if not query(ctypes.byref(count)):
            return time.monotonic()         # (never seen: it fails only on a null pointer)
        return count.value / _UNITS_PER_S

    return clock


def _windows_query():
    """The kernel's count of the time awake: the precise one (Windows 10) where there is
    one, else the one every supported Windows has."""
    import ctypes

    return query_in(ctypes.WinDLL("kernel32"))


def query_in(kernel32) -> Callable[[object], int]:
    """The call in ``kernel32`` that fills a count of the time awake, prototyped, as one that
    says whether it could. The precise one returns nothing (``void``): read as a ``BOOL``, its
    result is whatever the register held, and a zero there took the clock's fallback, a jump
    between two clocks in the middle of a wait."""
    import ctypes

    count_p = ctypes.POINTER(ctypes.c_ulonglong)
    precise = getattr(kernel32, "QueryUnbiasedInterruptTimePrecise", None)
    if precise is not None:
        precise.argtypes, precise.restype = [count_p], None

        def query(pointer) -> int:
            precise(pointer)
            return 1

        return query
    plain = getattr(kernel32, "QueryUnbiasedInterruptTime", None)
    if plain is None:
        raise OSError("no QueryUnbiasedInterruptTime in kernel32")
    plain.argtypes, plain.restype = [count_p], ctypes.c_int     # (BOOL: a 32-bit int)
    return plain


def awake_clock_for(platform: str, *, windows_query: Callable[[], Callable] = _windows_query
                    ) -> Callable[[], float]:
    """The clock of the time awake on ``platform`` (as ``sys.platform`` names it)."""
    if platform != "win32":
        return time.monotonic
    try:
        return unbiased_clock(windows_query())
    except (OSError, AttributeError, ImportError) as exc:
        # A wait then runs out in a sleep, as before; everything else works.
        log.warning("the time awake cannot be read here (%s): waits count the computer's sleep", exc)
        return time.monotonic


#: the clock of the time awake on this computer
awake_clock = awake_clock_for(sys.platform)
