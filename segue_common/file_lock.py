"""An operating-system lock on a file, the same call on every system: ``flock`` on Linux and
macOS, ``msvcrt.locking`` on Windows (the standard library's; the lock is on the file's first
byte). The system drops it when the process ends, however it ends."""

from __future__ import annotations

import errno
import os
import sys

# The answers of a lock held by someone else: EWOULDBLOCK/EAGAIN from flock, EACCES (and
# EDEADLOCK after its retries) from msvcrt.locking. Any other error cannot tell.
HELD_ERRNOS = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, getattr(errno, "EDEADLK", -1),
                         getattr(errno, "EDEADLOCK", -1)})

if sys.platform == "win32":
    import msvcrt

    def lock(fd: int, wait: bool) -> None:
        """Take the lock on ``fd`` (``wait``: until it is free; Windows gives up after about
        10 seconds); OSError when it is held and not waited for, or not had."""
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def lock(fd: int, wait: bool) -> None:
        """Take the lock on ``fd`` (``wait``: until it is free); OSError when it is held and
        not waited for, or not had."""
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
