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
    """A running (or queued) task. Lives on the GUI thread; ``cancel()`` from anywhere."""

    _done = Signal(object, object)      # result, error  (emitted from the worker)
    _progress = Signal(object)          # emitted from the worker
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
        # A bound slot of a GUI-thread QObject: Qt queues the call to the GUI thread.
        self._done.connect(self._deliver)
        self._progress.connect(self._deliver_progress)

    @property
    def cancelled(self) -> bool:
        return self._cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the task to stop; its result (if any) is dropped."""
        self._cancel_event.set()

    def report(self, value: Any) -> None:
        """Called by the task (any thread): forward ``value`` to the progress callback."""
        if self.cancelled:
            raise TaskCancelled(self.name)
        self._progress.emit(value)

    @Slot(object)
    def _deliver_progress(self, value) -> None:
        if self._progress_cb is not None and not self.cancelled:
            self._progress_cb(value)

    @Slot(object, object)
    def _deliver(self, result, error) -> None:
        self.result, self.error, self.done = result, error, True
        _live.discard(self)
        try:
            if self._next is not None and not self.cancelled:
                self._next(result=result, error=error)
            elif error is not None and not isinstance(error, TaskCancelled):
                log.error("background task %s failed", self.name, exc_info=error)
        finally:
            self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, func: Callable, handle: TaskHandle, with_report: bool):
        super().__init__()
        self.setAutoDelete(True)
        self._func = func
        self._handle = handle
        self._with_report = with_report

    def run(self) -> None:  # worker thread
        handle = self._handle
        if handle.cancelled:
            handle._done.emit(None, TaskCancelled(handle.name))
            return
        try:
            result = self._func(handle.report) if self._with_report else self._func()
        except BaseException as exc:  # delivered, not lost: the GUI decides what to show
            if not isinstance(exc, TaskCancelled):
                log.debug("task %s raised %r", handle.name, exc)
            _send_done(handle, None, exc)
        else:
            _send_done(handle, result, None)


def _send_done(handle: TaskHandle, result, error) -> None:
    try:
        handle._done.emit(result, error)
    except RuntimeError:
        if shiboken6.isValid(handle):
            raise
        # Qt deleted the handle at quit while the task still ran (a device list still loading
        # when the window closed): there is no one left to tell, and that is not an error.
        _live.discard(handle)
        log.debug("task %s ended after its handle was deleted; its result is dropped", handle.name)


# Handles stay referenced until delivered, so callers may ignore the return value.
_live: set[TaskHandle] = set()
_pools: dict[str, QThreadPool] = {}


def run_task(func: Callable, next_func: NextFunc | None = None, *, pool: QThreadPool | None = None,
             progress: Callable[[Any], None] | None = None, name: str | None = None) -> TaskHandle:
    """Run ``func`` on ``pool`` (the global pool by default); see the module docstring.

    Must be called from the GUI thread (the handle, and so the delivery, lives there).
    """
    handle = TaskHandle(name or getattr(func, "__name__", "task"), next_func, progress)
    _live.add(handle)
    (pool or QThreadPool.globalInstance()).start(_Runnable(func, handle, progress is not None))
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


def wait_all(timeout_ms: int = 5000) -> bool:
    """Wait for every pool to drain (at exit and in tests); True if all finished."""
    ok = True
    for pool in [QThreadPool.globalInstance(), *_pools.values()]:
        ok = pool.waitForDone(timeout_ms) and ok
    return ok
