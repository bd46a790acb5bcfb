"""run_task: real threads, results and errors delivered on the GUI thread, cancellation."""

from __future__ import annotations

import gc
import threading
import time

from player import workers
from player.workers import OneAtATime, TaskCancelled, collector_paused, db_write_pool, player_pool, run_task


def test_result_is_delivered_on_the_gui_thread(qtbot):
    seen = {}

    def work():
        seen["worker"] = threading.current_thread()
        return 6 * 7

    def done(result, error):
        seen["gui"] = threading.current_thread()
        seen["result"], seen["error"] = result, error

    handle = run_task(work, done)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert seen["result"] == 42 and seen["error"] is None
    assert seen["gui"] is threading.main_thread()
    assert seen["worker"] is not threading.main_thread()


def test_exception_is_delivered_not_lost(qtbot):
    got = {}

    def work():
        raise ValueError("bad file")

    handle = run_task(work, lambda result, error: got.update(result=result, error=error))
    qtbot.waitUntil(lambda: handle.done, timeout=5000)
    assert got["result"] is None
    assert isinstance(got["error"], ValueError) and str(got["error"]) == "bad file"


def test_progress_and_cooperative_cancel(qtbot):
    progress: list[int] = []
    finished = []
    started = threading.Event()
    release = threading.Event()

    def work(report):
        report(1)
        started.set()
        release.wait(5)
        for i in range(2, 1000):
            report(i)       # raises TaskCancelled once cancelled
            time.sleep(0.001)
        return "completed"

    handle = run_task(work, lambda result, error: finished.append(result), progress=progress.append)
    assert started.wait(5)
    qtbot.waitUntil(lambda: progress == [1], timeout=5000)
    handle.cancel()
    release.set()
    qtbot.waitUntil(lambda: handle.done, timeout=5000)
    assert isinstance(handle.error, TaskCancelled)
    assert finished == []           # a cancelled task never calls next_func
    assert max(progress) < 999


def test_single_thread_pools_serialise(qtbot):
    active = 0
    peak = 0
    lock = threading.Lock()

    def work():
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1

    for pool in (db_write_pool(), player_pool()):
        peak = 0
        handles = [run_task(work, pool=pool) for _ in range(5)]
        qtbot.waitUntil(lambda: all(h.done for h in handles), timeout=5000)
        assert peak == 1
    assert db_write_pool() is db_write_pool()
    assert db_write_pool() is not player_pool()


def test_cancelled_before_it_starts_never_runs(qtbot):
    gate = threading.Event()
    ran = []
    pool = db_write_pool()
    blocker = run_task(lambda: gate.wait(5), pool=pool)
    queued = run_task(lambda: ran.append(1), lambda result, error: ran.append("next"), pool=pool)
    queued.cancel()
    gate.set()
    qtbot.waitUntil(lambda: blocker.done and queued.done, timeout=5000)
    assert ran == []


def _held_reads(runs: list, gates: list):
    """A ``start(value)`` for OneAtATime: each run records its value, then waits for its own gate."""

    def start(value, *, fail=False, next_func=None):
        gate = threading.Event()
        gates.append(gate)

        def work():
            runs.append(value)
            assert gate.wait(5)
            if fail:
                raise OSError("disk went away")
            return value

        return run_task(work, next_func, name=f"read-{value}")

    return start


def test_one_at_a_time_asks_while_running_make_one_more_run_with_the_newest_ask(qtbot):
    runs, gates, landed = [], [], []
    start = _held_reads(runs, gates)
    reads = OneAtATime()

    first = reads.request(lambda: start(1, next_func=lambda result, error: landed.append(result)))
    assert first is not None and reads.running()
    qtbot.waitUntil(lambda: runs == [1], timeout=5000)
    for value in range(2, 12):      # ten asks while it runs
        assert reads.request(lambda v=value: start(v, next_func=lambda result, error: landed.append(result))) is None
    qtbot.wait(100)
    assert runs == [1]              # nothing started beside the running one
    gates[0].set()
    qtbot.waitUntil(lambda: runs == [1, 11], timeout=5000)     # one more, with the newest ask
    gates[1].set()
    qtbot.waitUntil(lambda: landed == [1, 11] and not reads.running(), timeout=5000)
    qtbot.wait(100)
    assert runs == [1, 11] and len(gates) == 2

    again = reads.request(lambda: start(12))       # idle again: starts at once
    assert again is not None
    gates[2].set()
    qtbot.waitUntil(lambda: again.done and not reads.running(), timeout=5000)
    assert runs == [1, 11, 12]


def test_one_at_a_time_a_failed_or_cancelled_run_still_starts_the_waiting_one(qtbot):
    runs, gates, errors = [], [], []
    start = _held_reads(runs, gates)
    reads = OneAtATime()

    reads.request(lambda: start("fails", fail=True, next_func=lambda result, error: errors.append(error)))
    qtbot.waitUntil(lambda: runs == ["fails"], timeout=5000)
    reads.request(lambda: start("after the failure"))
    gates[0].set()
    qtbot.waitUntil(lambda: runs == ["fails", "after the failure"], timeout=5000)
    assert isinstance(errors[0], OSError)

    cancelled = reads.request(lambda: start("never wanted", next_func=lambda result, error: errors.append(1)),
                              key="other")
    assert cancelled is not None and reads.running("other")      # another key runs beside it
    gates[1].set()
    qtbot.waitUntil(lambda: runs[-1] == "never wanted" and not reads.running(), timeout=5000)
    reads.request(lambda: start("after the cancel"), key="other")
    cancelled.cancel()
    gates[2].set()
    qtbot.waitUntil(lambda: runs[-1] == "after the cancel", timeout=5000)
    assert cancelled.done and len(errors) == 1          # cancelled: its next_func never ran
    gates[3].set()
    qtbot.waitUntil(lambda: not reads.running("other"), timeout=5000)
    assert runs == ["fails", "after the failure", "never wanted", "after the cancel"]


def test_collector_paused_overlapping_on_two_threads():
    assert gc.isenabled()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with collector_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collector_paused():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()           # the other thread's pause goes on
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_collector_paused_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with collector_paused():
        pass
    assert gc.isenabled()


def test_a_result_for_a_handle_deleted_at_quit_is_dropped_quietly(qtbot, monkeypatch):
    """At quit Qt deletes the handles of tasks still running (a device list still loading when
    the window closed): the task's end then has no one to tell, which is not an error."""
    import sys

    import shiboken6
    from PySide6.QtCore import QThreadPool

    printed = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: printed.append(exc[1]))
    pool, go = QThreadPool(), threading.Event()
    handle = run_task(lambda: go.wait(10) and "devices", lambda result, error: None, pool=pool)
    reporting = run_task(lambda report: go.wait(10) and report("half"), lambda result, error: None, pool=pool,
                         progress=lambda value: None)
    shiboken6.delete(handle)
    shiboken6.delete(reporting)
    go.set()
    assert pool.waitForDone(10_000)
    # Their ends reach the GUI thread, where they find the handles deleted.
    qtbot.waitUntil(lambda: not ({handle, reporting} & workers._live), timeout=10_000)
    assert printed == []


def test_a_handle_is_freed_on_the_gui_thread_once_its_task_is_delivered(qtbot):
    """A handle is a GUI-thread object: the worker must never hold the last reference to it.
    When it did, a handle whose result the window had taken was freed later on the worker
    thread (or kept with its result until then), while the GUI thread could still be returning
    from its delivery into that very object: a QObject destroyed off its own thread, which Qt
    does not allow and which can bring the program down.
    A reply that takes the GUI thread a moment (as drawing a result does) let the worker fall
    behind the delivery reliably."""
    import weakref

    freed, delivered = [], []

    def took_a_moment(result, error):
        start = time.perf_counter()
        while time.perf_counter() - start < 0.002:     # the GUI thread busy, holding the interpreter
            pass
        delivered.append(result)

    for i in range(40):
        handle = run_task(lambda: i, took_a_moment, name=f"task {i}")
        weakref.finalize(handle, lambda i=i: freed.append((i, threading.current_thread().name)))
        del handle
        qtbot.waitUntil(lambda: len(delivered) == i + 1, timeout=10_000)
        qtbot.waitUntil(lambda: len(freed) == i + 1, timeout=5_000)
    assert delivered == list(range(40))
    assert freed == [(i, threading.main_thread().name) for i in range(40)]


def test_a_task_s_function_is_freed_on_the_gui_thread(qtbot):
    """What a task's function holds (a view, a dialog, a model its lambda closes over) is the
    GUI's: once the window has let go of it, the function may be its last holder. The worker
    lets go of the function before it sends its result, so the last reference is the GUI
    thread's, dropped there with the delivery, whether the task returned, raised or was
    cancelled before it ran."""
    import weakref

    class Work:
        def __init__(self, how):
            self.how = how

        def __call__(self):
            if self.how == "raises":
                raise ValueError("no")
            return self.how

    freed, ended = [], []
    gate, hold = threading.Event(), db_write_pool()
    for i, how in enumerate(["returns", "raises", "cancelled"]):
        if how == "cancelled":
            run_task(gate.wait, pool=hold)         # the pool busy, so the next waits its turn
        work = Work(how)
        weakref.finalize(work, lambda: freed.append(threading.current_thread().name))
        handle = run_task(work, lambda result, error: None, pool=hold, name=how)
        handle.finished.connect(lambda how=how: ended.append(how))
        if how == "cancelled":
            handle.cancel()
            gate.set()
        del work, handle
        qtbot.waitUntil(lambda: len(ended) == i + 1, timeout=10_000)
        qtbot.waitUntil(lambda: len(freed) == i + 1, timeout=5_000)
    assert ended == ["returns", "raises", "cancelled"]
    assert freed == [threading.main_thread().name] * 3
