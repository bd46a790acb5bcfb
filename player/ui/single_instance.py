"""One window per library: a second launch hands its arguments to the first and exits.

Two windows on one library would interleave their listening sessions and fight over
the same files. The first window takes a lock file in the data folder (``QLockFile``:
a lock left by a process that died is taken over) and listens on a local socket (a
Unix socket, a named pipe on Windows; Python's ``multiprocessing.connection``, so no
network module is loaded or shipped) guarded by a key only this user can read. A later
launch finds the lock held, connects, sends its arguments as one JSON message, and
exits. The first window raises itself and acts on them (``--open`` files are played).

"ok" is answered only once the window's event loop has taken the message: a window that
is closing (its loop ended; it saves and lets the learner go, which takes seconds) stops
answering, and the later launch waits for the lock instead and opens its own window with
its files, which were otherwise lost. The key exchange is done here, with a time limit:
a client that connects and says nothing would hold every later launch out.

Command-line commands (``segue scan``, ``segue play``...) take no lock: SQLite's WAL
and the busy timeout keep their writes safe beside a running window.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import stat
import struct
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Listener, answer_challenge, deliver_challenge, wait
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal, Slot

from segue_common.regular_file import NotRegularFile, open_regular_file

log = logging.getLogger(__name__)

#: how long a second launch keeps trying while the first one is still starting, or closing
FIRST_START_WAIT_S = 10.0
#: how long the window waits for a later launch's key and message (a real one takes milliseconds)
TALK_TIMEOUT_S = 3.0
#: how long a message may wait for the window's event loop before the later launch is told no
DELIVERY_WAIT_S = 3.0
#: how often a later launch is told to keep waiting while the window is still starting
STARTING_NOTE_S = 1.0
#: how long a later launch waits for a window that is still starting (opening its library can
#: take minutes, or wait on the user in a dialog) before it says the window does not answer
STARTING_WAIT_S = 120.0


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


class _Patient:
    """A connection whose reads give up after a while: multiprocessing's key exchange reads
    with no time limit, so one client that connected and never spoke blocked the window's
    listening for good."""

    def __init__(self, conn, timeout: float):
        self._conn = conn
        self._timeout = timeout

    def send_bytes(self, data: bytes) -> None:
        self._conn.send_bytes(data)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        if sys.platform == "win32":     # (a named pipe's message comes whole: the wait is for its start)
            if not self._conn.poll(self._timeout):
                raise TimeoutError(f"nothing said in {self._timeout:g} s")
            return self._conn.recv_bytes(maxlength)
        # The whole message within the time limit, read here in multiprocessing's framing (its
        # length, then its bytes): a client that sent part of one and stalled held the reading
        # in recv_bytes, and every later launch with it, until the client went away.
        deadline = time.monotonic() + self._timeout
        size, = struct.unpack("!i", self._read(4, deadline))
        if size == -1:
            size, = struct.unpack("!Q", self._read(8, deadline))
        if size < 0 or (maxlength is not None and size > maxlength):
            raise OSError(f"a message of {size} bytes, {maxlength} at most")
        return self._read(size, deadline)

    def _read(self, size: int, deadline: float) -> bytes:
        got = bytearray()
        fd = self._conn.fileno()
        while len(got) < size:
            if not wait([self._conn], max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"{len(got)} of {size} bytes said in {self._timeout:g} s")
            chunk = os.read(fd, size - len(got))
            if not chunk:
                raise EOFError("the other end went away in the middle of a message")
            got += chunk
        return bytes(got)


class _Handover:
    """One later launch's message on its way to the GUI thread: taken by the window, or
    dropped (the window closed, or its loop did not take it in time), never both."""

    def __init__(self, message: dict):
        self.message = message
        self.state = "waiting"
        self.settled = threading.Event()


class SingleInstance(QObject):
    """``claim()`` True: this is the first window (``activated`` then carries later launches'
    arguments, on the GUI thread, once ``ready()`` says the window acts on them). False:
    another window has this library and now has them."""

    # {"argv": [...], "cwd": "...", "open": [...]} from a second launch. Passed as Python objects:
    # a dict signal goes through Qt's strings, which drop the undecodable bytes of a file name
    # that is not UTF-8 (held as lone surrogates), and the file is then not found.
    activated = Signal(object)
    _received = Signal(object)      # a _Handover, from the listening thread

    def __init__(self, data_dir: str | os.PathLike, parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.address = address(data_dir)
        self._key_file = self.data_dir / "window.key"
        self._lock = QLockFile(str(self.data_dir / "window.lock"))
        self._lock.setStaleLockTime(0)          # stale only when its process is gone
        self._listener: Listener | None = None
        self._key = b""
        self._thread: threading.Thread | None = None
        self._gate = threading.Lock()           # orders a handover against closing
        self._closing = False
        self._ready = False                     # the window acts on later launches (see ready())
        self._early: list[_Handover] = []       # messages taken in before then (GUI thread)
        self._received.connect(self._deliver)   # queued: this object lives on the GUI thread

    def claim(self, message: dict) -> bool:
        if self._lock.tryLock(100):
            self._listen()
            return True
        if self._lock.error() != QLockFile.LockFailedError:
            # No lock possible here (a read-only folder): nothing to share; the store will say why.
            log.info("no single-instance lock in %s (error %s)", self.data_dir, self._lock.error())
            return True
        # The window may be starting (not listening yet) or closing (no longer answering, the
        # lock still held while it saves): ask it, and take the lock as soon as it is let go.
        deadline = time.monotonic() + FIRST_START_WAIT_S
        while not self._send(message):
            if self._lock.tryLock(0):
                self._listen()
                return True
            if time.monotonic() > deadline:
                raise RuntimeError(f"Segue is already running on this library (lock {self.data_dir / 'window.lock'}) "
                                   "but does not answer; close it, or end it if it hangs")
            time.sleep(0.2)
        return False

    def _listen(self) -> None:
        key = secrets.token_bytes(32)
        try:
            # (without blocking: a named pipe under its name, no one reading it, waited for ever;
            # so opened it fails, and the window starts without taking over a second one's work;
            # one being read would have handed the key to its reader)
            fd = os.open(self._key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0), 0o600)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise NotRegularFile(f"{self._key_file} is not a regular file")
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            if sys.platform != "win32" and os.path.exists(self.address):
                os.unlink(self.address)         # a socket left by a window that crashed
            # No authkey here: the key is checked in _talk, with a time limit.
            self._listener = Listener(self.address, authkey=None)
        except OSError as exc:
            log.warning("cannot listen for later launches (%s); they will wait for this window", exc)
            return
        self._key = key
        self._thread = threading.Thread(target=self._serve, args=(self._listener,),
                                        name="segue-single-instance", daemon=True)
        self._thread.start()

    def _serve(self, listener: Listener) -> None:
        while not self._closing:
            try:
                conn = listener.accept()
            except OSError:
                if self._closing:
                    return                      # closed by stop_answering()
                continue
            with conn:
                if self._closing:
                    return                      # (the connection that woke it to close)
                try:
                    self._talk(conn)
                except Exception as exc:  # noqa: BLE001 - a wrong key, silence, a bad message: the next one
                    log.info("a later launch's message was not taken: %r", exc)

    def _talk(self, conn) -> None:
        patient = _Patient(conn, TALK_TIMEOUT_S)
        deliver_challenge(patient, self._key)
        answer_challenge(patient, self._key)
        message = json.loads(patient.recv_bytes(1 << 20).decode("utf-8", "surrogateescape"))
        if isinstance(message, dict) and self._hand_over(message, conn):
            conn.send_bytes(b"ok")
        # Otherwise no answer: the later launch asks again, or waits for the lock.

    def _hand_over(self, message: dict, conn) -> bool:
        """Whether the window's event loop took ``message`` (listening thread)."""
        handover = _Handover(message)
        with self._gate:
            if self._closing:
                return False
            try:
                self._received.emit(handover)
            except RuntimeError:                # this object is gone: the window closed
                return False
        try:
            # A window still starting (opening its library, building itself) takes the message
            # once it is up, however long that is: the later launch is told to keep waiting,
            # not "no", or it gave up after a few seconds and said the window did not answer.
            deadline = note = time.monotonic() + DELIVERY_WAIT_S
            while not handover.settled.wait(0.1):
                if self._closing:
                    break
                now = time.monotonic()
                if not self._ready:
                    deadline = now + DELIVERY_WAIT_S
                    if now > note:
                        note = now + STARTING_NOTE_S
                        conn.send_bytes(b"wait")
                elif now > deadline:
                    break
        finally:
            with self._gate:
                if handover.state == "waiting":
                    handover.state = "dropped"  # if the loop gets to it later, it is not acted on
        return handover.state == "taken"

    @Slot()
    def ready(self) -> None:
        """The window is up and acts on ``activated``: the messages that came while it was
        starting are handed on now. Until then a nested event loop (a dialog while the library
        opens) would have taken them with nothing connected to act on them."""
        self._ready = True
        early, self._early = self._early, []
        for handover in early:
            self._deliver(handover)

    @Slot(object)
    def _deliver(self, handover: _Handover) -> None:
        if not self._ready and handover.state == "waiting" and not self._closing:
            self._early.append(handover)
            return
        with self._gate:
            if handover.state != "waiting" or self._closing:
                handover.state = "dropped"
                handover.settled.set()
                return
            handover.state = "taken"
            handover.settled.set()
        self.activated.emit(handover.message)

    def _send(self, message: dict) -> bool:
        try:
            # (opened without blocking and checked: a named pipe under its name waited for a
            # writer for ever, and the start of the second window with it)
            with open_regular_file(self._key_file) as f:
                key = f.read()
            # The key exchange with a time limit too: a window that hangs is reported, not waited on for ever.
            with Client(self.address, authkey=None) as conn:
                patient = _Patient(conn, TALK_TIMEOUT_S + DELIVERY_WAIT_S + 2)
                answer_challenge(patient, key)
                deliver_challenge(patient, key)
                patient.send_bytes(json.dumps(message, ensure_ascii=True).encode("ascii"))
                answer = patient.recv_bytes(16)
                deadline = time.monotonic() + STARTING_WAIT_S
                while answer == b"wait" and time.monotonic() < deadline:
                    answer = patient.recv_bytes(16)     # the window is still starting
                return answer == b"ok"
        except Exception as exc:  # noqa: BLE001 - not listening yet, a stale key: try again
            log.debug("no answer from the first window yet: %s", exc)
            return False

    def stop_answering(self) -> None:
        """The window is closing: later launches are no longer told "ok" (they wait for the
        lock), and nothing reaches this object from the listening thread after it is gone."""
        with self._gate:
            self._closing = True
        listener, self._listener = self._listener, None
        if listener is None:
            return
        _wake(listener.address)
        try:
            listener.close()
        except OSError:
            pass
        if sys.platform != "win32":
            try:
                os.unlink(self.address)         # no later launch finds it
            except OSError:
                pass

    def release(self) -> None:
        self.stop_answering()
        self._lock.unlock()


def _wake(where: str) -> None:
    """Connect once, so that the listening thread's accept() returns and sees it is to end:
    closing the listener does not wake it on Linux. Never waits: a full queue of connections
    means the thread has one to take already."""
    if sys.platform == "win32":
        try:
            Client(where, authkey=None).close()     # a named pipe: waits a second at most
        except OSError:
            pass
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        sock.connect_ex(where)
