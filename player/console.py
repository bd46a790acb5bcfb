"""The streams of a program with no console (Segue.exe, the windowed Windows bundle): Python
gives it no sys.stdout and sys.stderr; the command line puts these in their place."""

from __future__ import annotations

import io
import threading


class ToTheLog(io.TextIOBase):
    """Where stderr goes in a program with no console: each line into the log file. The
    messages a command gives (a refusal, a one-line error, a warning) went nowhere there, so
    that a command that failed left no trace of why."""

    def __init__(self) -> None:
        self._pending = ""
        self._inside = threading.local()
        self._lock = threading.Lock()   # (the window's threads write to it too)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if getattr(self._inside, "yes", False):
            return len(text)        # (written by logging itself: it would loop)
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._log(line)
        return len(text)

    def flush(self) -> None:
        if getattr(self._inside, "yes", False):
            return
        with self._lock:
            line, self._pending = self._pending, ""
        self._log(line)

    def _log(self, line: str) -> None:
        if not line.strip():
            return
        import logging

        from player.log import setup_logging

        self._inside.yes = True
        try:
            setup_logging()         # (an argument refused before the command set it up)
            logging.getLogger("segue.console").info("%s", line.rstrip())
        finally:
            self._inside.yes = False


#: the streams Python had none of (no console), which the command line replaced
NO_CONSOLE: set[str] = set()
