"""Logging to a rotating file in the data folder (and to stderr for the CLI)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from player import paths
from segue_common import file_lock

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
_configured = False
_no_log_file: str | None = None     # why the log file could not be opened, where it could not


class _OneLine(logging.Formatter):
    """The terminal gets one line per message: tracebacks go to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        line = self.formatMessage(_message_only(record))
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line += f" ({type(exc).__name__}: {exc})"
        return " ".join(line.split())


def _message_only(record: logging.LogRecord) -> logging.LogRecord:
    record.message = record.getMessage()
    return record


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log that several processes may write at once: the window and any
    ``segue`` command started beside it share ``segue.log``.

    The stock handler goes wrong there. On Windows a file another process has open cannot
    be renamed: every record past the size limit tried again, shifted the older logs one
    place further (the last ones were deleted) and was itself dropped. Elsewhere a process
    whose file another had rotated found that file (now the older log) full and rotated
    again, putting a log of one line in front of it. Here one process rotates at a time
    (a lock file beside the log), a process whose file another rotated opens the new one,
    and the current log is moved aside before the older ones move: when it cannot be moved
    nothing else is touched and records are appended (the next try once it has grown by a
    quarter of the limit). A log left moved aside (a crash mid-way, an older log another
    program held open) goes in front of the older ones at the next rotation."""

    _retry_at = 0

    def shouldRollover(self, record) -> bool:
        if self.stream is not None and not self._still_current():
            self._reopen()
        if self.stream is not None and self.maxBytes > 0 and self._retry_at:
            self.stream.seek(0, 2)
            if self.stream.tell() < self._retry_at:
                return False
        return super().shouldRollover(record)

    def _still_current(self) -> bool:
        try:
            return os.path.samestat(os.fstat(self.stream.fileno()), os.stat(self.baseFilename))
        except (OSError, ValueError):
            return False

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()
        self._retry_at = 0

    def doRollover(self) -> None:
        try:
            # (named apart from the logs, which are read and rewritten as "*.log*")
            fd = os.open(os.path.splitext(self.baseFilename)[0] + ".rotation-lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            fd = None           # (no lock to be had: rotate as one process would)
        try:
            if fd is not None:
                file_lock.lock(fd, wait=True)
            if self.stream is None or not self._still_current():
                self._reopen()          # another process rotated it meanwhile
                return
            self.stream.seek(0, 2)
            if self.stream.tell() < self.maxBytes:
                return
            self.stream.close()
            self.stream = None
            self._rotate()
            self.stream = self._open()
        finally:
            try:
                if self.stream is None:
                    self.stream = self._open()
            finally:
                if fd is not None:
                    os.close(fd)        # (closing lets the lock go, whatever failed above)

    def _rotate(self) -> None:
        moving = self.baseFilename + ".rotating"
        if not (os.path.exists(moving) and not self._put_first(moving)):
            try:
                os.replace(self.baseFilename, moving)
            except OSError:
                pass            # held open by another process (Windows)
            else:
                self._retry_at = 0
                self._put_first(moving)
                return
        # Nothing moved (or an older log still cannot): keep appending, try again later.
        try:
            self._retry_at = os.path.getsize(self.baseFilename) + self.maxBytes // 4
        except OSError:
            self._retry_at = 0

    def _put_first(self, path: str) -> bool:
        """Make ``path`` the first of the older logs, shifting down those before the first
        free place (the oldest goes when there is none). A shift that fails (an older log
        another program holds open, on Windows) leaves a free place where it stopped, so the
        next try shifts no further than that: no older log is lost to a retry."""
        names = [self.rotation_filename(f"{self.baseFilename}.{i}") for i in range(1, self.backupCount + 1)]
        free = next((i for i, name in enumerate(names) if not os.path.exists(name)), len(names) - 1)
        try:
            for i in range(free, 0, -1):
                os.replace(names[i - 1], names[i])
            os.replace(path, names[0])
            return True
        except OSError:
            return False


def setup_logging(*, verbose: bool = False, stderr: bool = False, file_name: str = "segue.log") -> None:
    """Send logs to ``<data>/logs/<file_name>`` (1 MB × 5 files); idempotent. The learner
    process, which logs the most, has a file of its own; the window and the commands share
    one (:class:`SharedRotatingFileHandler`)."""
    global _configured, _no_log_file
    if _configured:
        return
    level = logging.DEBUG if verbose or os.environ.get("SEGUE_DEBUG") else logging.INFO
    root = logging.getLogger()
    root.setLevel(level)
    try:
        # backslashreplace: a file name that is not valid UTF-8 is logged, not an error.
        handler = SharedRotatingFileHandler(
            paths.log_dir() / file_name, maxBytes=1_000_000, backupCount=5, encoding="utf-8",
            errors="backslashreplace")
    except OSError as exc:
        # A read-only data folder: no log file, but the command (or its clear refusal) goes on.
        handler = None
        stderr = True
        _no_log_file = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
        fallback = f"cannot write the log file ({_no_log_file}); logging to the terminal only"
    else:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
        fallback = None
    if stderr:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(_OneLine("%(levelname)s: %(message)s"))
        console.addFilter(lambda record: getattr(record, "console", True))
        root.addHandler(console)
    # A handler that fails (a full disk, a log folder gone read-only) must not print a
    # traceback into the person's terminal; the message is simply lost.
    logging.raiseExceptions = False
    _configured = True
    if fallback:
        # Said in the terminal (once: this runs once a process) where the command goes on
        # with no log; where the data folder itself cannot be written (the store's own test),
        # the command's refusal names it, and this would be a second line for one cause.
        level = logging.WARNING if os.access(paths.data_dir_location(), os.W_OK) else logging.INFO
        logging.getLogger(__name__).log(level, fallback)


def no_log_file() -> str | None:
    """Why the log file could not be opened (a read-only log folder), or None: there is
    one, or logging was not set up."""
    return _no_log_file


_REMOVED = "<path removed>"


def _scrub_line(line: str, prefixes: list[str]) -> str:
    """``line`` with every path starting with one of ``prefixes`` replaced by a marker.

    A path ends at the quote that opened it (paths are logged quoted), else at the end of
    the line: a name may hold spaces, so the rest of an unquoted line goes with it.
    """
    while True:
        hits = [(line.find(p), p) for p in prefixes if p in line]
        if not hits:
            return line
        start, _prefix = min(hits)
        quote = line[start - 1] if start > 0 and line[start - 1] in "'\"" else None
        end = line.find(quote, start) if quote else -1
        tail = line[end:] if end >= 0 else ("\n" if line.endswith("\n") else "")
        line = line[:start] + _REMOVED + tail


def scrub_paths(prefixes: list[str], folder: Path | None = None) -> int:
    """Remove the paths below ``prefixes`` from every log file; returns how many lines changed.

    Rewritten in place (not replaced), so the open log handler keeps appending to the same file.
    """
    prefixes = [p for p in prefixes if p]
    if not prefixes:
        return 0
    # Most paths are logged with %r, which writes each backslash of a Windows path twice
    # ('C:\\Users\\ann\\Music\\...') and escapes what it cannot print: look for that form too.
    prefixes = list(dict.fromkeys(form for p in prefixes for form in (p, repr(p)[1:-1])))
    try:
        folder = folder or paths.log_dir()
    except OSError:
        return 0
    changed = 0
    for log_file in sorted(folder.glob("*.log*")):
        try:
            with open(log_file, "r+", encoding="utf-8", errors="surrogateescape", newline="") as f:
                lines = f.readlines()
                clean = [_scrub_line(line, prefixes) for line in lines]
                n = sum(a != b for a, b in zip(lines, clean))
                if n:
                    f.seek(0)
                    f.write("".join(clean))
                    f.truncate()
                    f.flush()
                    os.fsync(f.fileno())
                    changed += n
        except OSError as exc:
            logging.getLogger(__name__).warning("could not clean %s: %s", log_file.name, exc)
    return changed
