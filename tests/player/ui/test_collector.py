"""Reference cycles holding Qt objects are freed on the GUI thread, whichever thread allocates."""

from __future__ import annotations

import gc
import textwrap
import threading

from tests.player.ui.conftest import run_window_script

# Running timers in reference cycles, dropped on the GUI thread; then a worker allocates well
# past the collector's threshold while the GUI thread waits for it (so that, with Python's own
# collector, the pass that frees the cycles runs on the worker). A timer deleted there stays
# registered with the GUI thread's event loop, which later fires it into freed memory.
CHILD = textwrap.dedent("""
    import faulthandler, gc, json, threading
    faulthandler.enable()
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from player.store import Store
    from player.ui.main import create_app
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    def spin(done, timeout_ms):
        # The event loop turned (and asleep between events) until done() or the timeout.
        loop = QEventLoop()
        look = QTimer(interval=10)
        look.timeout.connect(lambda: done() and loop.quit())
        look.start()
        QTimer.singleShot(timeout_ms, loop.quit)
        if not done():
            loop.exec()
        look.stop()

    app = create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=None)
    loaded = []
    window.library_loaded.connect(lambda: loaded.append(True))
    window.show()
    spin(lambda: loaded, 30_000)                     # (it freezes what lives then)
    freed_on = []

    def cycles(n):
        for _ in range(n):
            timer = QTimer()
            timer.destroyed.connect(lambda *_: freed_on.append(threading.current_thread().name),
                                    Qt.DirectConnection)
            timer.itself = timer
            timer.start(1)

    cycles(50)
    held = []
    worker = threading.Thread(target=lambda: held.extend([[] for _ in range(5)] for _ in range(20_000)),
                              name="allocating-worker")
    worker.start()
    worker.join()
    spin(lambda: len(freed_on) == 50, 30_000)
    # Some events after the last timer was freed: where one was deleted on the worker, the event
    # loop fires it into freed memory.
    end = QTimer()
    end.setSingleShot(True)
    end.timeout.connect(app.quit)
    end.start(500)
    app.exec()
    out = {"freed_on": sorted(set(freed_on)), "freed": len(freed_on), "automatic": gc.isenabled(),
           "runs": app.gui_collector.runs}
    window.close()
    wait_all(10_000)
    store.close()
    print(json.dumps(out))
""")


def test_cycles_with_qt_objects_are_freed_on_the_gui_thread_when_a_worker_allocates(tmp_path):
    out, proc = run_window_script(CHILD, tmp_path, timeout=120)
    assert out["freed"] == 50, proc.stderr[-2000:]
    assert out["freed_on"] == ["MainThread"]
    assert "another thread" not in proc.stderr, proc.stderr[-2000:]
    assert out["automatic"] is False               # the window's process leaves it to its own timer
    assert out["runs"][0] >= 1


def test_the_window_collector_waits_for_a_paused_job_and_gives_collection_back(qapp):
    from player.ui.collector import GuiCollector
    from player.workers import collector_paused

    assert gc.isenabled()
    collector = GuiCollector(again_ms=60_000)
    try:
        assert not gc.isenabled()
        gc.collect(1)                               # the counts from zero
        held = [[] for _ in range(3 * collector.threshold[0])]
        with collector_paused():
            assert collector.check() is None        # an import building its index is left alone
        assert collector.check() == 0
        assert gc.get_count()[0] < collector.threshold[0]
        assert collector.runs[0] == 1
        del held
        # After as many young passes as Python waits for, the next one takes the middle one too.
        kept = []
        for _ in range(collector.threshold[1]):
            kept.append([[] for _ in range(2 * collector.threshold[0])])
            assert collector.check() == 0
        kept.append([[] for _ in range(2 * collector.threshold[0])])
        assert collector.check() in (1, 2)
    finally:
        collector.stop()
    assert gc.isenabled()
    assert threading.current_thread() is threading.main_thread()


def test_a_library_load_does_not_freeze_cyclic_garbage(make_window, scanned, qtbot):
    # The window freezes what lives once its library is loaded; a cycle that is garbage by then
    # (none collected since, as in the window's process between its passes) must still be freed.
    import weakref

    window = make_window(scanned)

    class Node:
        pass

    gc.disable()
    try:
        node = Node()
        node.itself = node
        gone = weakref.ref(node)
        del node
        with qtbot.waitSignal(window.library_loaded, timeout=10000):
            window.reload_library()
        assert gone() is None
    finally:
        gc.enable()


def test_the_window_collector_does_not_list_the_old_generation_to_decide_on_a_full_pass(qapp, monkeypatch):
    # Listing the oldest generation costs about as much as collecting it: deciding whether a
    # full pass is due must not do it at every middle pass while a big one has not grown.
    from player.ui.collector import GuiCollector

    gc.collect()
    old = [[] for _ in range(600_000)]
    gc.collect()
    collector = GuiCollector(again_ms=60_000)
    listed = []
    get_objects = gc.get_objects

    def listing(generation=None):
        listed.append(generation)
        return get_objects(generation)

    monkeypatch.setattr(gc, "get_objects", listing)
    try:
        kept = []
        for _ in range(15 * (collector.threshold[1] + 1)):
            kept.append([[] for _ in range(collector.threshold[0] + 1)])
            assert collector.check() is not None
        assert collector.runs[1] > collector.threshold[2] + 1  # full passes weighed (and not due)
        assert collector.runs[2] == 0                           # the old generation grew by less than a quarter
        assert 2 not in listed
        # Once a quarter more has moved there, the full pass comes.
        for _ in range(20 * (collector.threshold[1] + 1)):
            kept.append([[] for _ in range(collector.threshold[0] + 1)])
            if collector.check() == 2:
                break
        assert collector.runs[2] == 1
    finally:
        collector.stop()
        monkeypatch.undo()
    del old, kept


# A task on a worker makes garbage in cycles while the GUI thread has nothing to do (the window
# hidden): the task starts once the GUI thread's event loop is about to sleep, and nothing
# wakes that until the task ends.
IDLE_WINDOW = textwrap.dedent("""
    import gc, json, threading
    from PySide6.QtCore import QAbstractEventDispatcher, QCoreApplication, QEvent, Qt, QTimer
    from player.ui.main import create_app
    from player.workers import run_task

    app = create_app()
    TOTAL = 1_500_000
    most = [0]
    asleep = threading.Event()
    dispatcher = QAbstractEventDispatcher.instance()

    def task():
        # Once this thread runs (what starting it woke is done), the GUI thread is woken once
        # more, and this goes on as it is about to sleep again.
        dispatcher.aboutToBlock.connect(asleep.set, Qt.DirectConnection)
        QCoreApplication.postEvent(app, QEvent(QEvent.User))
        asleep.wait(30)
        for i in range(TOTAL // 1000):
            for _ in range(1000):
                cycle = []
                cycle.append(cycle)
            most[0] = max(most[0], gc.get_count()[0])

    QTimer.singleShot(0, lambda: run_task(task, lambda result, error: app.quit()))
    app.exec()
    print(json.dumps({"most": most[0], "total": TOTAL, "runs": app.gui_collector.runs}))
""")


def test_a_task_making_cycles_while_the_window_sleeps_has_them_collected(tmp_path):
    out, proc = run_window_script(IDLE_WINDOW, tmp_path, timeout=120)
    # Without a look while the task runs, every cycle it made waited for its end.
    assert out["runs"][0] >= 2, out
    assert out["most"] < out["total"] // 2, out
