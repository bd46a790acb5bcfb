"""One window per library: a second launch hands its arguments to the first and exits.

Two windows on one library would interleave their listening sessions and fight over
the same files. The first window takes a lock file in the data folder (``QLockFile``:
a lock left by a process that died is taken over) and listens on a local socket (a
Unix socket, a named pipe on Windows; Python's ``multiprocessing.connection``, so no
network module is loaded or shipped) guarded by a key only this user can read. A later
launch finds the lock held, connects, sends its arguments as one JSON message, and
exits. The first window raises itself and acts on them (``--open`` files are played).

Command-line commands (``segue scan``, ``segue play``...) take no lock: SQLite's WAL
and the busy timeout keep their writes safe beside a running window.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Listener
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal, Slot

log = logging.getLogger(__name__)

#: how long a second launch keeps trying while the first one is still starting
FIRST_START_WAIT_S = 10.0


def address(data_dir: str | os.PathLike) -> str:
    """Where the window using ``data_dir`` listens (one per user and data folder)."""
    key = os.path.realpath(data_dir).encode("utf-8", "surrogateescape")
    name = "segue-" + hashlib.sha1(key).hexdigest()[:16]
    if sys.platform == "win32":
        return rf"\\.\pipe\{name}"
    # Unix socket paths are short (about 100 bytes): a private folder in the temp folder.
    folder = Path(tempfile.gettempdir()) / f"segue-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return str(folder / name)


class SingleInstance(QObject):
    """``claim()`` True: this is the first window (``activated`` then carries later launches'
    arguments, on the GUI thread). False: another window has this library and now has them."""

    # {"argv": [...], "cwd": "...", "open": [...]} from a second launch. Passed as Python objects:
    # a dict signal goes through Qt's strings, which drop the undecodable bytes of a file name
    # that is not UTF-8 (held as lone surrogates), and the file is then not found.
    activated = Signal(object)
    _received = Signal(object)      # from the listening thread

    def __init__(self, data_dir: str | os.PathLike, parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.address = address(data_dir)
        self._key_file = self.data_dir / "window.key"
        self._lock = QLockFile(str(self.data_dir / "window.lock"))
        self._lock.setStaleLockTime(0)          # stale only when its process is gone
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._received.connect(self._deliver)   # queued: this object lives on the GUI thread

    def claim(self, message: dict) -> bool:
        if self._lock.tryLock(100):
            self._listen()
            return True
        if self._lock.error() != QLockFile.LockFailedError:
            # No lock possible here (a read-only folder): nothing to share; the store will say why.
            log.info("no single-instance lock in %s (error %s)", self.data_dir, self._lock.error())
            return True
        deadline = time.monotonic() + FIRST_START_WAIT_S
        while not self._send(message):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Segue is already running on this library (lock {self.data_dir / 'window.lock'}) "
                                   "but does not answer; close it, or end it if it hangs")
            time.sleep(0.2)
        return False

    def _listen(self) -> None:
        key = secrets.token_bytes(32)
        try:
            fd = os.open(self._key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            if sys.platform != "win32" and os.path.exists(self.address):
                os.unlink(self.address)         # a socket left by a window that crashed
            self._listener = Listener(self.address, authkey=key)
        except OSError as exc:
            log.warning("cannot listen for later launches (%s); they will wait for this window", exc)
            return
        self._thread = threading.Thread(target=self._serve, name="segue-single-instance", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        listener = self._listener
        while listener is not None and self._listener is listener:
            try:
                conn = listener.accept()
            except (OSError, EOFError):
                if self._listener is not listener:
                    return                      # closed by release()
                continue                        # a client that failed the key, or went away
            except Exception:  # noqa: BLE001 - multiprocessing's AuthenticationError and kin
                continue
            try:
                with conn:
                    if conn.poll(5):
                        message = json.loads(conn.recv_bytes(1 << 20).decode("utf-8", "surrogateescape"))
                        conn.send_bytes(b"ok")
                        if isinstance(message, dict):
                            self._received.emit(message)
            except (OSError, EOFError, ValueError) as exc:
                log.info("a later launch's message was lost: %s", exc)

    @Slot(object)
    def _deliver(self, message: dict) -> None:
        self.activated.emit(message)

    def _send(self, message: dict) -> bool:
        try:
            key = self._key_file.read_bytes()
            with Client(self.address, authkey=key) as conn:
                conn.send_bytes(json.dumps(message, ensure_ascii=True).encode("ascii"))
                return conn.poll(5) and conn.recv_bytes() == b"ok"
        except Exception as exc:  # noqa: BLE001 - not listening yet, a stale key: try again
            log.debug("no answer from the first window yet: %s", exc)
            return False

    def release(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.close()
            except OSError:
                pass
            if sys.platform != "win32":
                try:
                    os.unlink(self.address)
                except OSError:
                    pass
        self._lock.unlock()
