"""What to tell the person when a command or the window cannot go on: one line, never a traceback.

:func:`describe` turns any exception into ``(message, exit status)``: a damaged
library (2, naming the file, its newest backup and the way out), a data folder
Segue cannot write (2), a full disk, a busy or read-only database, a disk that failed
under the library (2), a file that cannot be opened (1), or anything unexpected (1, with
the traceback in the log).
Qt-free, and cheap to import (the CLI imports it on every failure).
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from segue_common.text import shown

log = logging.getLogger("segue.failure")

#: exit status for "Segue cannot start on this data" (damaged library, read-only folder)
EXIT_DATA = 2
EXIT_FAILED = 1


def _one_line(text: str) -> str:
    return " ".join(shown(text).split())


def _log_file() -> str:
    try:
        from player import paths

        return str(paths.log_dir() / "segue.log")
    except OSError:
        return "the log"


def _db_path():
    from player import paths

    return paths.db_path()


#: what a write that finds no room fails with: a full disk, a quota, a file size limit
NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


#: SQLite's primary result code for "database or disk is full"
SQLITE_FULL = 13

#: SQLite's primary result code for "disk I/O error": the disk under a library open on it went
#: read-only after an error, was pulled out, or is failing
SQLITE_IOERR = 10

#: SQLite's primary result codes (an extended code holds one in its low byte), by what a
#: refused write means to the person: another connection holds the library (SQLITE_BUSY; this
#: one's own statement, SQLITE_LOCKED): a later try may well pass; no room; a library that
#: cannot be written (its file, its folder or its disk read-only); a disk that failed under it
_KINDS = {sqlite3.SQLITE_BUSY: "busy", sqlite3.SQLITE_LOCKED: "busy", SQLITE_FULL: "full",
          sqlite3.SQLITE_READONLY: "read-only", SQLITE_IOERR: "disk"}

#: SQLite's words for those, for an error that carries none of its codes: one a trigger raises
#: with them (its code says only that a trigger refused), or one from an older Python
_WORDS = (("database or disk is full", "full"), ("is locked", "busy"), ("readonly database", "read-only"),
          ("disk I/O error", "disk"))


def refusal(exc: BaseException) -> str:
    """What kind of refusal of a write ``exc`` is: "busy" (another process holds the library: a
    later try may pass), "full" (no room: the person's to free), "read-only", "disk" (SQLite's
    "disk I/O error": a disk gone or failing) or "other". SQLite's result code decides; its
    words only where the code names none of these. The one place that reads them: the
    window's note, the player and the commands' messages cannot disagree. A file write's
    ENOSPC (or a quota's) is "full" too."""
    if isinstance(exc, OSError):
        return "full" if exc.errno in NO_ROOM_ERRNOS else "other"
    if not isinstance(exc, sqlite3.Error):
        return "other"
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _KINDS:
        return _KINDS[code & 0xFF]
    text = str(exc)
    return next((kind for words, kind in _WORDS if words in text), "other")


def no_room(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk had no room for a write: SQLite's SQLITE_FULL (see
    :func:`refusal`), or a file write's ENOSPC. Such a failure is the person's to mend, not a
    fault to log with a traceback."""
    return refusal(exc) == "full"


def library_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's SQLITE_BUSY (or SQLITE_LOCKED): another connection (a command,
    the learner, a second window) held the library past the wait, and a later try may well pass."""
    return refusal(exc) == "busy"


def read_only(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's SQLITE_READONLY: the library's file or its disk cannot be
    written (mounted read-only, its permissions)."""
    return refusal(exc) == "read-only"


def disk_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "disk I/O error" (see :func:`refusal`): the disk's to mend,
    not a fault of Segue's."""
    return refusal(exc) == "disk"


def describe(exc: BaseException) -> tuple[str, int]:
    """``(one-line message, exit status)`` for ``exc``; unexpected ones are logged with their traceback."""
    from player.store.connection import DatabaseCorruptError, StoreError, is_corruption

    if isinstance(exc, StoreError):
        return _one_line(str(exc)), EXIT_DATA
    if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
        try:
            return _one_line(str(DatabaseCorruptError(_db_path(), str(exc)))), EXIT_DATA
        except OSError:
            return _one_line(f"the library database is damaged ({exc})"), EXIT_DATA
    kind = refusal(exc)
    if kind == "full":
        return _one_line(f"the disk holding {_db_path()} is full; free some space and try again "
                         "(what was saved before is kept)"), EXIT_FAILED
    if kind == "busy":
        return _one_line("the library is busy (another Segue is writing to it); try again"), EXIT_FAILED
    if kind == "read-only":
        return _one_line(f"{_db_path()} cannot be written (read-only); make it writable and try again"), EXIT_DATA
    if kind == "disk":
        return _one_line(f"{_db_path()} could not be written: the disk that holds it failed ({exc}: gone "
                         "read-only after an error, disconnected, or failing); what was saved before is kept. "
                         "Check the disk, then try again"), EXIT_DATA
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "unable to open" in text:
            return _one_line(f"cannot open {_db_path()} ({text})"), EXIT_DATA
    if isinstance(exc, OSError):
        where = f" {shown(str(exc.filename))}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return _one_line(f"the disk is full{' writing' + where if where else ''}; free some space and "
                             "try again"), EXIT_FAILED
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return _one_line(f"permission denied:{where or ' ' + str(exc)}"), EXIT_FAILED
        return _one_line(f"{exc.strerror or exc}:{where}" if where else str(exc)), EXIT_FAILED
    if isinstance(exc, MemoryError):
        return "out of memory; close other programs and try again", EXIT_FAILED
    log.error("unexpected error", exc_info=exc, extra={"console": False})   # the person gets one line
    from player.log import no_log_file

    where = (f"its details are kept nowhere: the log file cannot be written ({no_log_file()})" if no_log_file()
             else f"the details are in {_log_file()}")
    return _one_line(f"unexpected error ({type(exc).__name__}: {exc}); {where}"), EXIT_FAILED


def quiet_helper_processes() -> None:
    """Start Python's multiprocessing resource tracker with its stderr on the log file.

    When a worker process dies (killed, or a decoder crashing in native code), that helper
    prints a traceback of its own bookkeeping; it belongs in the log, not in the terminal.
    Call before the first process pool starts.
    """
    import os
    from multiprocessing import resource_tracker

    try:
        from player import paths

        fd = os.open(paths.log_dir() / "segue.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        fd = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(fd, 2)
        resource_tracker.ensure_running()
    except Exception:  # noqa: BLE001 - only a nicety: the pool starts the tracker itself otherwise
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)
