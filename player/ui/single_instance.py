"""One window per library: a second launch hands its arguments to the first and exits.

Two windows on one library would interleave their listening sessions and fight over
the same files. The first window takes a lock file in the data folder (``QLockFile``:
a lock left by a process that died is taken over) and listens on a local socket
named after the data folder; a later launch finds the lock held, connects, sends its
arguments as one JSON line, and exits. The first window raises itself and acts on
them (``--open`` files are played). Command-line commands (``segue scan``, ``segue
play``...) take no lock: SQLite's WAL and the busy timeout keep their writes safe
beside a running window.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1000
#: how long a second launch keeps trying while the first one is still starting
FIRST_START_WAIT_S = 10.0


def server_name(data_dir: str | os.PathLike) -> str:
    """The local socket of the window using ``data_dir`` (one per user and data folder)."""
    key = f"{os.path.realpath(data_dir)}|{os.getuid() if hasattr(os, 'getuid') else ''}"
    return "segue-" + hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class SingleInstance(QObject):
    """``claim()`` True: this is the first window (``activated`` then carries later launches'
    arguments). False: another window has this library and now has ``message``."""

    activated = Signal(dict)        # {"argv": [...], "cwd": "..."} from a second launch

    def __init__(self, data_dir: str | os.PathLike, parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.name = server_name(data_dir)
        self._lock = QLockFile(str(self.data_dir / "window.lock"))
        self._lock.setStaleLockTime(0)          # stale only when its process is gone
        self._server: QLocalServer | None = None

    def claim(self, message: dict) -> bool:
        if self._lock.tryLock(100):
            self._listen()
            return True
        if self._lock.error() != QLockFile.LockFailedError:
            # No lock possible here (a read-only folder): nothing to share; the store will say why.
            log.info("no single-instance lock in %s (%s)", self.data_dir, self._lock.error())
            return True
        deadline = time.monotonic() + FIRST_START_WAIT_S
        while True:
            if self._send(message):
                return False
            if time.monotonic() > deadline:
                raise RuntimeError(f"Segue is already running on this library (lock {self.data_dir / 'window.lock'}) "
                                   "but does not answer; close it, or end it if it hangs")
            time.sleep(0.2)

    def _listen(self) -> None:
        QLocalServer.removeServer(self.name)     # a socket file left by a window that crashed
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.UserAccessOption)
        if not server.listen(self.name):
            log.warning("cannot listen on %s: %s; later launches will wait for this one",
                        self.name, server.errorString())
            return
        server.newConnection.connect(self._accept)
        self._server = server

    def _accept(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            buf = bytearray()

            def read(sock=sock, buf=buf):
                buf += bytes(sock.readAll())
                if b"\n" in buf:
                    line = bytes(buf).split(b"\n", 1)[0]
                    try:
                        message = json.loads(line.decode("utf-8", "surrogateescape"))
                    except ValueError:
                        message = None
                    sock.disconnectFromServer()
                    if isinstance(message, dict):
                        self.activated.emit(message)

            sock.readyRead.connect(read)
            sock.disconnected.connect(sock.deleteLater)
            read()

    def _send(self, message: dict) -> bool:
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        sock.write((json.dumps(message, ensure_ascii=True) + "\n").encode("ascii"))
        ok = sock.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        sock.disconnectFromServer()
        if sock.state() != QLocalSocket.UnconnectedState:
            sock.waitForDisconnected(CONNECT_TIMEOUT_MS)
        return ok

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()
