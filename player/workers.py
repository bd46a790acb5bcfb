"""One helper for background work: :func:`run_task` (after Picard's ``util/thread.py``).

``func`` runs on a :class:`QThreadPool`; its result, or the exception it raised, is
delivered to ``next_func(result=..., error=...)`` on the GUI thread. Database writes
and playback commands each get a single-thread pool so they queue in order (writes
would otherwise fight for the SQLite write lock); analysis and training run in the
learner process, not here::

    handle = run_task(lambda: store.tracks(), lambda result, error: model.set_rows(result))
    run_task(scan, on_done, pool=db_write_pool(), progress=status.update)

When ``progress`` is given, ``func`` is called with one argument, a ``report(value)``
callable that forwards ``value`` to ``progress`` on the GUI thread and raises
:class:`TaskCancelled` once the handle was cancelled (cooperative cancellation).
A cancelled task never calls ``next_func``. :class:`OneAtATime` runs a kind of task one at
a time, asks that come while one runs making one more run after it.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import threading
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

NextFunc = Callable[..., None]


class TaskCancelled(Exception):
    """Raised inside a task by ``report()`` after :meth:`TaskHandle.cancel`."""


class TaskHandle(QObject):
    """A running (or queued) task. Lives on the GUI thread; ``cancel()`` from anywhere.

    Only the GUI thread holds it: the worker knows its task by a number and sends through
    :class:`_Relay`. A handle the worker still held was freed there, on the worker, when the
    GUI thread had already delivered and let go of it: a GUI-thread object destroyed on
    another thread while the GUI thread was still returning from the delivery into it."""

    finished = Signal()                 # on the GUI thread after next_func ran (or was skipped)

    def __init__(self, name: str, next_func: NextFunc | None, progress: Callable | None):
        super().__init__()
        self.name = name
        self._next = next_func
        self._progress_cb = progress
        self._cancel_event = threading.Event()
        self.done = False
        self.error: BaseException | None = None
        self.result: Any = None

    @property
    def cancelled(self) -> bool:
        return self._cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the task to stop; its result (if any) is dropped."""
        self._cancel_event.set()

    def _deliver_progress(self, value) -> None:
        if self._progress_cb is not None and not self.cancelled:
            self._progress_cb(value)

    def _deliver(self, result, error) -> None:
        self.result, self.error, self.done = result, error, True
        try:
            if self._next is not None and not self.cancelled:
                self._next(result=result, error=error)
            elif error is not None and not isinstance(error, TaskCancelled):
                log.error("background task %s failed", self.name, exc_info=error)
        finally:
            self.finished.emit()


class _Relay(QObject):
    """One for the program, made on the GUI thread: what the workers send (by task number)
    reaches the handles there. It is never freed, so a worker may emit through it at any time."""

    done = Signal(object, object, object)      # task number, result, error  (emitted from a worker)
    progress = Signal(object, object)          # task number, value  (emitted from a worker)

    def __init__(self):
        super().__init__()
        # Bound slots of a GUI-thread QObject: Qt queues the calls to the GUI thread.
        self.done.connect(self._deliver)
        self.progress.connect(self._deliver_progress)

    @Slot(object, object, object)
    def _deliver(self, number, result, error) -> None:
        # The task's function is let go of here, after the delivery, on the GUI thread (see
        # _Runnable.run).
        handle, func = _by_number.pop(number, (None, None))
        if handle is None:
            return
        _live.discard(handle)
        if shiboken6.isValid(handle):
            handle._deliver(result, error)
        else:
            # Qt deleted the handle at quit while the task still ran (a device list still loading
            # when the window closed): there is no one left to tell, and that is not an error.
            log.debug("task %s ended after its handle was deleted; its result is dropped", handle.name)

    @Slot(object, object)
    def _deliver_progress(self, number, value) -> None:
        handle = _by_number.get(number, (None, None))[0]
        if handle is not None and shiboken6.isValid(handle):
            handle._deliver_progress(value)


class _Runnable(QRunnable):
    """The worker's side of a task: the function, the task's number, its cancel flag; never the
    handle itself (see :class:`TaskHandle`)."""

    def __init__(self, func: Callable, number: int, name: str, cancelled: threading.Event, with_report: bool,
                 relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._func = func
        self._number = number
        self._name = name
        self._cancelled = cancelled
        self._with_report = with_report
        self._relay = relay

    def report(self, value: Any) -> None:
        """Given to the task (its thread): forward ``value`` to the progress callback; raises
        :class:`TaskCancelled` once the handle was cancelled."""
        if self._cancelled.is_set():
            raise TaskCancelled(self._name)
        _emit(self._relay, "progress", self._name, self._number, value)

    def run(self) -> None:  # worker thread
        # The worker lets go of the function before it sends the task's end: what the function
        # holds (a view or dialog its lambda closes over) may have no other holder left than
        # the function, and must not be freed here, on a worker. run_task keeps the function
        # on the GUI thread until the delivery, which comes after; a runnable is also freed
        # late (by PySide, on a worker), and the function should not live on with it.
        func, self._func = self._func, None
        if self._cancelled.is_set():
            del func
            _emit(self._relay, "done", self._name, self._number, None, TaskCancelled(self._name))
            return
        try:
            result = func(self.report) if self._with_report else func()
        except BaseException as exc:  # delivered, not lost: the GUI decides what to show
            del func        # (the exception's traceback holds this frame)
            if not isinstance(exc, TaskCancelled):
                log.debug("task %s raised %r", self._name, exc)
            _emit(self._relay, "done", self._name, self._number, None, exc)
        else:
            del func
            _emit(self._relay, "done", self._name, self._number, result, None)


def _emit(relay: _Relay, signal: str, name: str, *args) -> None:
    try:
        getattr(relay, signal).emit(*args)
    except RuntimeError:
        if shiboken6.isValid(relay):
            raise
        # The relay is gone: the program is ending and no one is left to tell.
        log.debug("task %s ended after the program's end; what it sent is dropped", name)


# Handles stay referenced until delivered, so callers may ignore the return value.
_live: set[TaskHandle] = set()
_by_number: dict[int, tuple[TaskHandle, Callable]] = {}   # a task's handle and function, by number
_numbers = itertools.count()
_relay: _Relay | None = None
_pools: dict[str, QThreadPool] = {}


def run_task(func: Callable, next_func: NextFunc | None = None, *, pool: QThreadPool | None = None,
             progress: Callable[[Any], None] | None = None, name: str | None = None) -> TaskHandle:
    """Run ``func`` on ``pool`` (the global pool by default); see the module docstring.

    Must be called from the GUI thread (the handle, and so the delivery, lives there).
    """
    global _relay
    if _relay is None:
        _relay = _Relay()
    handle = TaskHandle(name or getattr(func, "__name__", "task"), next_func, progress)
    number = next(_numbers)
    _live.add(handle)
    _by_number[number] = handle, func
    (pool or QThreadPool.globalInstance()).start(
        _Runnable(func, number, handle.name, handle._cancel_event, progress is not None, _relay))
    return handle


class OneAtATime:
    """Runs of one kind of task, one at a time: asked again while one runs, it runs once more
    when that one finishes (done, failed or cancelled), once however often it was asked, with
    the newest ask. A read asked for on every tab switch or every finished scan would otherwise
    pile up behind itself, each a second or more of work nobody waits for, or an older read
    could land after a newer one and put back what it had replaced.

    ``request(start)`` calls ``start()`` (which starts the task and returns its handle) at once
    if none of its ``key`` runs, else keeps it for then, replacing any ``start`` kept before.
    ``start`` runs on the GUI thread and may return None when there is nothing to do.
    """

    def __init__(self):
        self._running: dict[Any, TaskHandle] = {}
        self._waiting: dict[Any, Callable[[], TaskHandle | None]] = {}

    def running(self, key: Any = None) -> bool:
        return key in self._running

    def request(self, start: Callable[[], TaskHandle | None], key: Any = None) -> TaskHandle | None:
        """The handle started now, or None if it waits for the one running."""
        if key in self._running:
            self._waiting[key] = start
            return None
        handle = start()
        if handle is not None:
            self._running[key] = handle
            # finished comes after next_func, also for a failed or cancelled task.
            handle.finished.connect(lambda: self._finished(key))
        return handle

    def _finished(self, key: Any) -> None:
        self._running.pop(key, None)
        start = self._waiting.pop(key, None)
        if start is not None:
            self.request(start, key)


def _single(name: str) -> QThreadPool:
    pool = _pools.get(name)
    if pool is None:
        pool = QThreadPool()
        pool.setObjectName(name)
        pool.setMaxThreadCount(1)
        _pools[name] = pool
    return pool


def db_write_pool() -> QThreadPool:
    """One thread: every long database write (scans, imports) queues here."""
    return _single("db-write")


def watch_pool() -> QThreadPool:
    """One thread: the looks at the music folders the window follows (listing them, and
    whether their files still change). On a share that does not answer they wait here, not
    on the pool that loads the library."""
    return _single("folder-watch")


def player_pool() -> QThreadPool:
    """One thread: playback commands, in order (they open files and log plays)."""
    return _single("player")


_gc_lock = threading.Lock()
_gc_pauses = 0              # jobs inside collector_paused() now
_gc_resume = False          # whether the collector was on when the first of them began


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while a job builds a lot of data that lives
    until the job ends and holds no reference cycles (an import's index of the library
    and the rows of its file).

    While such data grows, the collector runs full passes over all of it, and a full
    pass holds every thread, the window's too, for as long as it takes: three passes in
    a 20,000-row import into a 20,000-track library, the longest 50 to 60 ms on a 2-core
    machine. What the job allocates is freed by reference counting as it ends. Pauses
    may overlap (any thread): the collector is back on when the last one ends, unless it
    was off before the first began."""
    global _gc_pauses, _gc_resume
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_resume:
                gc.enable()


def collector_is_paused() -> bool:
    """Whether a job is inside :func:`collector_paused` now (the window's own collector,
    which runs on the GUI thread, waits for it too)."""
    return _gc_pauses > 0


def any_running() -> bool:
    """Whether a task runs on any pool now."""
    return any(pool.activeThreadCount() for pool in [QThreadPool.globalInstance(), *_pools.values()])


def wait_all(timeout_ms: int = 5000) -> bool:
    """Wait for every pool to drain (at exit and in tests); True if all finished."""
    ok = True
    for pool in [QThreadPool.globalInstance(), *_pools.values()]:
        ok = pool.waitForDone(timeout_ms) and ok
    return ok
