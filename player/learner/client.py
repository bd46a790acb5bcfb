"""The window's side of the learner: start the process, talk to it, restart it when it dies.

:class:`LearnerProcess` spawns :func:`player.learner.process.learner_main` (the "spawn"
start method everywhere), relays its messages to ``on_message`` from a monitor thread,
and, when the process dies without being asked to (a native crash, the out-of-memory
killer, ``kill -9``), calls ``on_exit`` and starts a new one after a growing pause
(:data:`BACKOFF_S`), at most ``max_restarts`` times within ``restart_window_s``. The
new process picks up where the old one stopped: tracks analysed so far are in the
store, and the window's standing instructions (playback state, pause, settings) are
sent to it again.

Nothing here imports torch or numpy: the window keeps its memory and stays up
whatever happens to the learner.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing.util  # noqa: F401 - its exit handler (which waits for children) must run after ours
import select
import signal
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from player.learner import messages as m
from player.learner.process import LearnerOptions, learner_main

log = logging.getLogger(__name__)

#: seconds before the 1st, 2nd, ... restart after crashes close together
BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 30.0)


@dataclass(frozen=True)
class LearnerExit:
    """The learner process ended without being asked to."""

    exitcode: int | None
    crashes: int                   # crashes within the restart window, this one included
    restart_in: float | None       # seconds until the next start; None: given up
    failed_start: str | None = None  # why a new process could not be started, if that was it

    def describe(self) -> str:
        if self.failed_start is not None:
            return f"The background learner could not be started again ({self.failed_start})"
        code = self.exitcode
        if code is None:
            how = "stopped answering"
        elif windows_crash(code) is not None:
            how = f"crashed ({windows_crash(code)})"
        elif code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            how = f"was killed ({name}{', perhaps out of memory' if name == 'SIGKILL' else ''})"
        else:
            how = f"stopped (exit code {code})"
        return f"The background learner {how}"


#: what the commonest of Windows's crash codes mean: there a process that crashes ends with the
#: system's status code (0xC0000005 for a bad memory access), not killed by a signal
_WINDOWS_CRASHES = {
    0xC0000005: "a bad memory access",
    0xC000001D: "an instruction the processor does not have",
    0xC0000017: "out of memory",
    0xC000012D: "out of memory (the page file is full)",
    0xC00000FD: "its stack overflowed",
    0xC0000094: "a division by zero",
    0xC0000374: "its memory was damaged",
    0xC0000409: "it stopped itself on a fatal error",
}


def windows_crash(code: int) -> str | None:
    """What the exit code ``code`` says, where it is a Windows status code of a crash (its top
    bits 0xC), with the code as Windows tools show it: in hexadecimal (a decimal 3221225477 is
    what nobody can look up). None for any other code: an exit status on every system is
    0-255, and a Linux or macOS process killed by a signal ends with a small negative one.
    A code read as a signed number (-1073741819) is the same status."""
    if not -(1 << 31) <= code < (1 << 32):
        return None
    status = code & 0xFFFFFFFF
    if status >> 28 != 0xC:
        return None
    meaning = _WINDOWS_CRASHES.get(status)
    return f"{meaning}, 0x{status:08X}" if meaning else f"Windows error 0x{status:08X}"


_live: "weakref.WeakSet[LearnerProcess]" = weakref.WeakSet()

# Two threads can wait for one learner at once: the monitor when its pipe closes, and a
# stop seeing the process out. A process is reaped by the first wait that finds it ended,
# and a wait beside it then found it gone, took it for running, and warned that it would
# not stop (and tried to end it) although it had left by itself. Asking happens one thread
# at a time, and what the first one learned is kept with the process for the others.
_asking = threading.Lock()


def _room(conn) -> bool:
    """Whether a message can be written to ``conn`` now, without waiting for the other end
    to read. The learner's messages are tens of bytes; a pipe with no room holds hundreds of
    them unread (a learner stopped, or frozen by a debugger or the system), and a write then
    waited for as long as it stayed so, on the window's thread too. Where a pipe cannot be
    asked (Windows), it is written to."""
    if not hasattr(select, "poll"):
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLOUT)
    return bool(poller.poll(0))


#: requests asked once (by the person, or by a change in the library), kept when dropped
_OWED = (m.Analyse, m.TrainNow, m.PlaysLogged, m.Cancel)


def _join(proc, timeout: float) -> None:
    """``proc.join(timeout)``, safe beside another thread waiting for the same process."""
    from multiprocessing.connection import wait

    if wait([proc.sentinel], timeout):  # (closed as it ends; nothing is reaped here)
        with _asking:
            proc.join()     # it has ended: this returns as soon as its end can be read


def _alive(proc) -> bool:
    with _asking:
        return proc.is_alive()


@atexit.register
def _stop_all() -> None:
    """At interpreter exit: a learner still running would make multiprocessing wait for it."""
    for learner in list(_live):
        learner.stop(timeout=3.0)
        for proc in list(learner._leaving):
            learner._see_out(proc, 3.0)


class LearnerProcess:
    """One supervised learner process; see the module docstring. Thread-safe."""

    def __init__(self, db_path: str | Path, *, models_dir: str | Path | None = None,
                 options: LearnerOptions | None = None,
                 on_message: Callable[[m.Message], None] | None = None,
                 on_exit: Callable[[LearnerExit], None] | None = None,
                 max_restarts: int = len(BACKOFF_S), restart_window_s: float = 600.0,
                 backoff_s: tuple[float, ...] = BACKOFF_S):
        self.db_path = str(db_path)
        self.models_dir = None if models_dir is None else str(models_dir)
        self.options = options or LearnerOptions()
        self.on_message = on_message or (lambda message: None)
        self.on_exit = on_exit or (lambda info: None)
        self.max_restarts = max_restarts
        self.restart_window_s = restart_window_s
        self.backoff_s = backoff_s
        self._lock = threading.RLock()
        # Held to write to the pipe, and by the monitor to close it: a send is made from any
        # thread (the window's, the player's), and one under way when the monitor closed the
        # connection wrote to a handle gone from under it and raised a TypeError from inside
        # multiprocessing (on the window's thread: a crash dialog). Two sends at once could
        # also interleave their bytes.
        self._send_lock = threading.Lock()
        self._behind = False        # a message was dropped (no room in the pipe) since the last one went
        self._owed: list = []       # requests dropped meanwhile, sent once it reads again
        self._proc = None
        self._conn = None
        self._stopping = False
        self._crashes: list[float] = []
        self._timer: threading.Timer | None = None
        self._sticky: dict[str, m.Message] = {}
        self._leaving: list = []           # processes asked to stop and not yet gone
        self._closed = False
        self.starts = 0
        self.gave_up = False
        _live.add(self)

    # -- state ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    @property
    def alive(self) -> bool:
        proc = self._proc
        return proc is not None and _alive(proc)

    # -- starting and stopping -------------------------------------------------------------
    def start(self) -> None:
        """Start the process (a no-op if it runs, or after :meth:`close`)."""
        with self._lock:
            if self._closed:
                return
            self._stopping = False
            self.gave_up = False
            if self._proc is None:
                self._spawn()

    def _spawn(self) -> None:
        if not self.starts:
            from player.failures import quiet_helper_processes

            quiet_helper_processes()     # a killed learner's bookkeeping goes to the log, not the terminal
        ctx = get_context("spawn")
        mine, theirs = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=learner_main, name="segue-learner",
                           args=(theirs, self.db_path, self.models_dir, self.options))
        try:
            proc.start()
        except BaseException:
            mine.close()            # (no process: a failed start leaves no pipe open)
            raise
        finally:
            theirs.close()
        self._proc, self._conn = proc, mine
        self._behind = False        # (a new pipe: the standing instructions go first, below)
        self._owed = []
        self.starts += 1
        log.info("learner process %d started", proc.pid)
        for message in self._sticky.values():
            self._send_to(mine, message)
        threading.Thread(target=self._monitor, args=(proc, mine), name="learner-monitor", daemon=True).start()

    def stop(self, timeout: float = 5.0, *, wait: bool = True) -> None:
        """Ask the process to finish; it gets ``timeout`` seconds, then it is ended. With
        ``wait=False`` this returns at once and a thread sees it through (the window's
        close must not wait for the track the learner is analysing)."""
        with self._lock:
            self._stopping = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            proc, conn = self._proc, self._conn
            self._proc = self._conn = None
            if proc is not None:
                self._leaving.append(proc)
        if proc is None:
            return
        self._send_to(conn, m.Shutdown())
        if wait:
            self._see_out(proc, timeout)
        else:
            threading.Thread(target=self._see_out, args=(proc, timeout), name="learner-stop",
                             daemon=True).start()

    def close(self, timeout: float = 5.0, *, wait: bool = True) -> None:
        """:meth:`stop` for good: no start after this one does anything."""
        with self._lock:
            self._closed = True
        self.stop(timeout, wait=wait)

    def _see_out(self, proc, timeout: float) -> None:
        _join(proc, timeout)
        if _alive(proc):
            log.warning("learner process %d did not stop within %.0f s; ending it", proc.pid, timeout)
            proc.terminate()
            _join(proc, 2.0)
        if _alive(proc):
            proc.kill()
            _join(proc, 2.0)
        # The connection is left to the monitor, which closes it once the process's end has
        # been read: closed here, under a read in progress, the read failed mid-message.
        with self._lock:
            if proc in self._leaving:
                self._leaving.remove(proc)

    @contextlib.contextmanager
    def stopped(self, timeout: float = 5.0):
        """No learner runs inside this block (forgetting the history runs here: a training
        that read the plays before they were deleted must not write its models after)."""
        with self._lock:
            was = self._proc is not None or self._timer is not None
        self.stop(timeout)
        try:
            yield
        finally:
            if was:
                self.start()

    # -- talking ---------------------------------------------------------------------------
    def send(self, message: m.Message) -> bool:
        """Send ``message``; False if no process runs (standing instructions are kept and
        sent to the next process)."""
        if m.checked(message, m.TO_LEARNER) is None:
            raise TypeError(f"not a message for the learner: {message!r}")
        with self._lock:
            if isinstance(message, (m.Pause, m.Resume)):
                self._sticky["pause"] = message
            elif isinstance(message, m.Playback):
                self._sticky["playback"] = message
            elif isinstance(message, m.Settings):
                old = self._sticky.get("settings")
                self._sticky["settings"] = m.Settings({**(old.values if old else {}), **message.values})
            conn = self._conn
        return conn is not None and self._send_to(conn, message)

    def _send_to(self, conn, message: m.Message) -> bool:
        with self._send_lock:
            try:
                if not _room(conn):
                    # The learner has not read what it was sent for a long while: this one is
                    # dropped (the sender may be the window's thread), and said once.
                    if not self._behind:
                        log.warning("the learner is not reading its messages; %s and those after it are "
                                    "dropped until it does", type(message).__name__)
                    self._behind = True
                    if isinstance(message, _OWED):
                        # (an asked-for pass or training, or its cancel, in the order last asked)
                        self._owed = [x for x in self._owed if x != message] + [message]
                    return False
                if self._behind:
                    # Reading again: first where things stand now (playing, paused, the
                    # settings), which the messages dropped meanwhile may have changed.
                    self._behind = False
                    log.info("the learner reads its messages again")
                    for standing in list(self._sticky.values()):
                        if standing != message:
                            conn.send(standing)
                    # Then what was asked for meanwhile and not taken: the analysis of tracks
                    # just added, a training the person asked for, plays imported. Each is asked
                    # once, and none would have come again of itself.
                    owed, self._owed = self._owed, []
                    for asked in owed:
                        if asked != message:
                            conn.send(asked)
                conn.send(message)
                return True
            except (OSError, ValueError, EOFError):       # the process is gone; the monitor notices
                return False

    # -- watching --------------------------------------------------------------------------
    def _monitor(self, proc, conn) -> None:
        """Hand on what the process says until its end is read (everything it sent before it
        left, too), then close the connection: this thread alone reads and closes it."""
        try:
            while True:
                try:
                    raw = conn.recv()
                except (EOFError, OSError):
                    break
                message = m.checked(raw, m.TO_WINDOW)
                if message is None:
                    log.warning("ignored a message from the learner: %r", type(raw).__name__)
                    continue
                try:
                    self.on_message(message)
                except Exception:
                    log.exception("handling %s from the learner failed", type(message).__name__)
        finally:
            with self._send_lock, contextlib.suppress(OSError):
                conn.close()
        _join(proc, 5.0)
        with self._lock:
            if self._proc is not proc or self._stopping:
                return                        # stopped on purpose, or already replaced
            self._proc = self._conn = None
            info = self._crashed(proc.exitcode)
        self._tell_exit(info)

    def _crashed(self, exitcode: int | None, failed_start: str | None = None) -> LearnerExit:
        """Count a crash (under the lock), and start again after a pause, or give up."""
        now = time.monotonic()
        self._crashes = [t for t in self._crashes if now - t < self.restart_window_s] + [now]
        n = len(self._crashes)
        delay = self.backoff_s[min(n, len(self.backoff_s)) - 1] if n <= self.max_restarts else None
        if delay is None:
            self.gave_up = True
        else:
            self._timer = threading.Timer(delay, self._restart)
            self._timer.daemon = True
            self._timer.start()
        return LearnerExit(exitcode, n, delay, failed_start)

    def _tell_exit(self, info: LearnerExit) -> None:
        log.error("%s; %s", info.describe(), f"restarting in {info.restart_in:g} s" if info.restart_in is not None
                  else f"not restarting after {info.crashes} crashes in {self.restart_window_s:.0f} s")
        try:
            self.on_exit(info)
        except Exception:
            log.exception("handling the learner's exit failed")

    def _restart(self) -> None:
        with self._lock:
            self._timer = None
            if self._stopping or self._proc is not None:
                return
            try:
                self._spawn()
                return
            except Exception as exc:  # noqa: BLE001 - no process to be had (no file left to open, no memory)
                # Raised here, it ended the timer's thread with a crash dialog, and the learner
                # stayed off without a word in the window: it counts as a crash instead.
                log.exception("the learner process could not be started again")
                info = self._crashed(None, str(exc) or type(exc).__name__)
        self._tell_exit(info)
