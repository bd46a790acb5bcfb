"""How often threads wake, read from /proc (Linux): what tests of an idle player count.

A thread's voluntary context switches are its sleeps ended, each a wake-up; a preemption on
a loaded machine (a nonvoluntary switch) is none of its doing, and is not counted.
"""

from __future__ import annotations

import time
from pathlib import Path

#: whether this system has the counts (the tests using them are skipped elsewhere)
COUNTED = Path("/proc/self/task").is_dir()


def wakeups(thread_ids, pid: int | str = "self") -> int:
    """How many times the threads ``thread_ids`` (native ids) of process ``pid`` were woken so far."""
    total = 0
    for tid in thread_ids:
        for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                total += int(line.split()[1])
    return total


def woken_in(seconds: float, count) -> int:
    """How many wake-ups ``count()`` grew by over ``seconds``."""
    before = count()
    time.sleep(seconds)
    return count() - before


def quiet_stretch(seconds: float, count, *, most: int, within: float) -> int:
    """The wake-ups of a stretch of ``seconds``, measured again until one has at most ``most``
    or ``within`` seconds have passed: start-up work that runs longer on a loaded machine is
    waited out, where a clock ticking on never gives such a stretch."""
    deadline = time.monotonic() + within
    while True:
        woken = woken_in(seconds, count)
        if woken <= most or time.monotonic() > deadline:
            return woken
