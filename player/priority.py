"""Background work at the lowest CPU priority, so playback and the window come first.

:func:`lower_process_priority` lowers a whole process (the learner process calls it
first thing, so every thread and child process it starts inherits it).
:func:`lower_thread_priority` lowers the calling thread only: the window, the audio
callback and the decoder threads of the same process keep theirs. Call it before the
thread's first torch operation: OpenMP workers are created by the first thread that
enters a parallel region and inherit its priority (Linux, checked by the tests).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)


def lower_thread_priority() -> bool:
    """Linux: nice 19 for this thread; macOS: background QoS; Windows: lowest. True if lowered."""
    try:
        if sys.platform.startswith("linux"):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
            return True
        if sys.platform == "darwin":
            if hasattr(os, "PRIO_DARWIN_THREAD"):
                os.setpriority(os.PRIO_DARWIN_THREAD, 0, os.PRIO_DARWIN_BG)
                return True
            # Python before 3.12 has no name for that: the thread's background QoS class,
            # which macOS schedules the same way, asked of the system library directly.
            import ctypes

            qos_class_background = 0x09
            return ctypes.CDLL(None).pthread_set_qos_class_self_np(qos_class_background, 0) == 0
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32
            return bool(kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -2))  # THREAD_PRIORITY_LOWEST
    except (OSError, AttributeError) as exc:
        log.debug("could not lower the thread's priority: %s", exc)
    return False


def lower_process_priority() -> bool:
    """The lowest priority for this whole process: nice 19 on Linux and macOS, the idle
    priority class on Windows. True if lowered."""
    try:
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32
            return bool(kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), 0x40))  # IDLE_PRIORITY_CLASS
        # On Linux this sets the calling thread only; called at start-up, that is the
        # process's only thread, and every thread and process started later inherits it.
        os.setpriority(os.PRIO_PROCESS, 0, 19)
        return True
    except (OSError, AttributeError) as exc:
        log.debug("could not lower the process's priority: %s", exc)
    return False
