"""A dependency-free progress bar for the command line (stderr, redrawn in place)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, label: str, *, stream=None, width: int = 30):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self._start = time.monotonic()

    def update(self, done: int, total: int | None, extra: str = "", *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (0.1 if self._tty else 2.0):
            return
        self._last = now
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * self.width)
            text = f"{self.label} [{bar:<{self.width}}] {done}/{total} {extra}"
        else:
            text = f"{self.label} {done} {extra}"
        if self._tty:
            self.stream.write("\r" + text.ljust(79))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self, summary: str = "") -> None:
        if self._tty:
            self.stream.write("\r" + " " * 79 + "\r")
        if summary:
            self.stream.write(f"{summary} ({time.monotonic() - self._start:.1f} s)\n")
        self.stream.flush()
