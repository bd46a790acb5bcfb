"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every write goes to a temporary file in the same folder, is flushed and fsynced, then
``os.replace``-d over the target, and the folder is fsynced too (where the OS allows
it), so a power cut right after the call leaves the new file, not an empty one.

On Windows a file another process has open cannot be replaced: the window reading the
models' pointer as the trainer swaps it, a virus scanner or the search indexer looking at
a file just written. They let go within moments, so there the replacement is tried again
for a while (``BUSY_WAIT_S``) before the refusal is given to the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Iterator

log = logging.getLogger(__name__)

#: how long a replacement refused on Windows is tried again (a reader holds such a file for
#: milliseconds, a virus scanner for up to about a second)
BUSY_WAIT_S = 2.0
#: the first pause between tries, doubled after each up to ``_BUSY_PAUSE_MAX_S``
_BUSY_PAUSE_S = 0.005
_BUSY_PAUSE_MAX_S = 0.1


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _when_free(do, what: str | os.PathLike, platform: str, busy_wait_s: float):
    """``do()``; on Windows (``platform`` "win32") tried again for up to ``busy_wait_s`` while
    it is refused (PermissionError: ``what`` open in another process). Elsewhere a refusal is
    final (a folder or file the user may not change), and waiting would only delay saying so."""
    deadline = time.monotonic() + busy_wait_s
    pause = _BUSY_PAUSE_S
    while True:
        try:
            return do()
        except PermissionError as exc:
            left = deadline - time.monotonic()
            if platform != "win32" or left <= 0:
                raise
            log.debug("%s is in use (%s); trying again", what, exc)
            time.sleep(min(pause, left))
            pause = min(pause * 2, _BUSY_PAUSE_MAX_S)


def _replace_when_free(src: str | os.PathLike, dst: str | os.PathLike, platform: str,
                       busy_wait_s: float) -> None:
    """``os.replace(src, dst)``, tried again on Windows while ``dst`` or ``src`` is open in
    another process (see :func:`_when_free`)."""
    _when_free(lambda: os.replace(src, dst), dst, platform, busy_wait_s)


def read_text(path: str | os.PathLike, *, platform: str = sys.platform, busy_wait_s: float | None = None) -> str:
    """The text (UTF-8) of a file that is replaced as a whole by another process. On Windows
    opening it is refused for a moment while it is being replaced or a virus scanner holds
    the new one (PermissionError): read then, a pointer file looked missing, and what it
    points to was dropped. So there it is tried again for ``busy_wait_s`` (``BUSY_WAIT_S``
    by default). A file not there (FileNotFoundError) is not waited for."""
    return _when_free(lambda: Path(path).read_text(encoding="utf-8"), path, platform,
                      BUSY_WAIT_S if busy_wait_s is None else busy_wait_s)


def replace(src: str | os.PathLike, dst: str | os.PathLike, *, platform: str = sys.platform,
            busy_wait_s: float = BUSY_WAIT_S) -> None:
    """``os.replace(src, dst)`` made durable.

    ``src`` is fsynced first: a file, or a folder with every file in it (a model run
    written file by file, then renamed into place as a whole). On Windows a replacement
    refused while another process has a file open is tried again for ``busy_wait_s``.
    """
    src = Path(src)
    if src.is_dir():
        for f in src.rglob("*"):
            if f.is_file():
                _fsync_file(f)
        fsync_dir(src)
    elif src.is_file():
        _fsync_file(src)
    _replace_when_free(src, dst, platform, busy_wait_s)
    fsync_dir(Path(dst).parent)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", *, platform: str = sys.platform,
                busy_wait_s: float = BUSY_WAIT_S, **kw) -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``
    (on Windows tried again for ``busy_wait_s`` while another process has ``path`` open).

    On an exception the temporary file is removed and ``path`` is untouched.
    ``mode`` is ``"wb"`` or ``"w"`` (then ``encoding`` defaults to UTF-8).
    """
    path = Path(path)
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes only ('wb' or 'w'), got {mode!r}")
    if mode == "w":
        kw.setdefault("encoding", "utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600; these are ordinary files
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _replace_when_free(tmp, path, platform, busy_wait_s)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, data: bytes, **kw) -> Path:
    """Write ``data`` to ``path`` atomically (``kw``: ``atomic_open``'s ``platform`` and
    ``busy_wait_s``); returns ``path``."""
    with atomic_open(path, "wb", **kw) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, **kw) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (``kw``: ``atomic_open``'s ``platform``
    and ``busy_wait_s``); returns ``path``."""
    with atomic_open(path, "w", **kw) as fh:
        fh.write(text)
    return Path(path)
