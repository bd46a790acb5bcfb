"""How fast the window is with a big library.

    python -m benchmarks.bench_ui                # 100,000 tracks, 3 runs each
    python -m benchmarks.bench_ui --tracks 20000 --runs 1

Each run is a fresh process (offscreen Qt, the null audio engine), timed from the
moment the parent starts it:

- shown: the main window's first paint; interactive: the event loop's first turn after it;
- rows: the whole library loaded (on a worker) and painted in the table;
- stall: the longest gap of a 5 ms GUI timer from start-up until the rows show
  (how long the window could not react while the library loaded), and again while the
  learning recommender builds its catalogue on a worker right after;
- search: ``LibraryModel.set_filter`` over every track (median of several queries,
  each from an empty search) and per keystroke while typing a word; then keystrokes in
  the library's search box (the text changed, the table filtered, its rows repainted and
  the events that follow handled): the longest of those waits while words are typed
  (each key narrowing) and while they are deleted again (each widening), in library
  order and sorted by title, for the search as it is and as it was (each row's string
  tested in Python, narrowing from the rows shown), in turns in the same process;
- the table: one repaint of the visible rows, select all (and repaint, headers too),
  reading the selection back, another tab and back with all selected, beside the same
  repaints over a bare model of as many cells;
- Up next: the longest gap of the GUI timer while 20,000 entries are added to Up next,
  while they are shuffled (Ctrl+U), while Next moves on with 20,000 queued, while Clear
  empties it, and while Delete removes them all selected; then a playlist of 20,000
  different tracks: opening the Playlists tab, Alt+Down on one song and Delete of one
  (each until the list shows it; the window with its
  player on the null engine; the entries are one real, silent track repeated, since the
  generated paths point nowhere and Next has to start a track);
- the tag filter: the application-wide event filter that keeps tags plain text
  (``player.ui.plain_text``) runs Python for every event of every widget; common
  interactions (resize, with the library shown and with Discover, a switch of tab,
  scrolling, moving the mouse, typing a search) are timed with it and without it in turns
  in the same window, beside the events it saw and what one event costs it;
- baselines measured in the same run: a bare QMainWindow (Qt's own floor) and
  QSortFilterProxyModel filtering the same model (Qt's stock way to search).
Peak memory is the process's max RSS. torch must not be imported by then.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as `python benchmarks/bench_ui.py` too
    sys.path.insert(0, str(ROOT))
UP_NEXT = 20_000          # entries added to Up next
SILENCE_S = 60            # the length of the one playable track the Up next runs queue
QUERIES = ["night", "blue", "rock", "ka", "velvet river", "zzzz", "ashne", "2"]
TYPED = "golden"
TYPED_WORDS = ["golden", "velvet river", "a"]      # typed key by key and deleted back, in the search box
KEY_ROUNDS = 5                                    # turns of the old and the new search, each timed


def _child_bare(t0: float) -> dict:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    out: dict = {}

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint and "shown" not in out:
                out["shown"] = time.time() - t0
                QTimer.singleShot(0, app.quit)
            return False

    window = QMainWindow()
    window.resize(1280, 780)
    spy = Painted()
    window.installEventFilter(spy)
    window.show()
    app.exec()
    return out


def _heartbeat():
    """A 5 ms timer on the GUI thread, not started, that notes the time between its ticks:
    ``(gaps in ms, the clock, [the last tick's time], the timer)``. A gap far over 5 ms is
    as long as the window could not answer."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer(interval=5)
    ticker.timeout.connect(tick)
    return gaps, clock, last, ticker


def _child_window(t0: float, filters: bool) -> dict:
    import resource

    from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt, QTimer

    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow

    app = create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=default_engine_factory(store))
    out: dict = {}
    gaps, clock, last, ticker = _heartbeat()

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint and "shown" not in out:
                out["shown"] = time.time() - t0
                QTimer.singleShot(0, lambda: out.setdefault("interactive", time.time() - t0))
            return False

    spy = Painted()
    window.installEventFilter(spy)

    def recommender_ready():
        if "recommender" in out:   # ready may come again while the part below turns the event loop
            return
        out["recommender"] = time.time() - t0
        out["recommender_stall_ms"] = max(gaps) if gaps else 0
        ticker.stop()
        if filters:                # last: it opens Discover, whose rows load on a worker
            out.update(_tag_filter_times(window))
        QTimer.singleShot(0, app.quit)

    def loaded():
        if window.model.rowCount() == 0 or "rows" in out:
            return
        window.library.table.viewport().repaint()
        out["rows"] = time.time() - t0
        out["n_rows"] = window.model.rowCount()
        out["stall_ms"] = max(gaps) if gaps else 0
        out["rss_rows_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if filters:
            out.update(_table_times(window))
        gaps.clear()
        # What the app does next: build the learning recommender on a worker (no analysis here).
        window.enable_intelligence(analyse=False)
        window.intelligence.ready.connect(recommender_ready)
        QTimer.singleShot(120_000, app.quit)

    window.library_loaded.connect(loaded)
    window.resize(1280, 780)
    window.show()
    ticker.start()
    app.exec()
    out.setdefault("recommender", float("nan"))
    out.setdefault("recommender_stall_ms", float("nan"))
    out["torch_imported"] = "torch" in sys.modules
    if filters:
        model = window.model
        full, cpu = [], []
        for q in QUERIES:
            model.set_filter("")
            t, c = time.perf_counter(), time.thread_time()
            model.set_filter(q)
            full.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
        keys = []
        model.set_filter("")
        for i in range(1, len(TYPED) + 1):
            t = time.perf_counter()
            model.set_filter(TYPED[:i])
            keys.append((time.perf_counter() - t) * 1000)
        model.set_filter("")
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setFilterKeyColumn(-1)
        proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        stock = []
        for q in QUERIES[:1]:      # ~20 s per query at 100k rows: one is enough
            proxy.setFilterFixedString("")
            t = time.perf_counter()
            proxy.setFilterFixedString(q)
            proxy.rowCount()
            stock.append((time.perf_counter() - t) * 1000)
        out.update(filter_ms=statistics.median(full), filter_max_ms=max(full),
                   filter_cpu_ms=statistics.median(cpu),
                   keystroke_max_ms=max(keys), stock_filter_ms=statistics.median(stock))
        out.update(_keystroke_times(model.data_))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.close()
    store.close()
    return out


def _scan_model():
    """The library search as it was (the baseline): each word tested against one casefolded
    Python string per row, longest word first, and a query that extends the last one
    testing only the rows it showed."""
    import numpy as np

    from player.ui.library_model import LibraryModel

    class ScanModel(LibraryModel):
        def set_library(self, data) -> None:
            text = data.text
            self._texts = [f"{a}\t{b}\t{c}\t{d}".casefold()
                           for a, b, c, d in zip(text["title"], text["artist"], text["album"], text["genre"])]
            super().set_library(data)

        def _filtered(self, candidates, terms):
            if not terms:
                return candidates
            search, keep = self._texts, candidates.tolist()
            for t in sorted(set(terms), key=len, reverse=True):
                keep = [i for i in keep if t in search[i]]
            return np.array(keep, dtype=np.int64)

        def set_filter(self, text: str) -> None:
            terms = text.casefold().split()
            if terms == self._terms:
                return
            old = self._terms
            narrowing = bool(old) and len(terms) >= len(old) and all(any(o in t for t in terms) for o in old)
            candidates = self.visible if narrowing else self._order
            self._terms = terms
            self._relayout(self._filtered(candidates, terms))

    return ScanModel()


def _keystroke_times(data) -> dict:
    """Each of :data:`TYPED_WORDS` typed into a library view's search box key by key, then
    deleted with Backspace: the longest time one key held the GUI thread (the key, the
    filter, then the events it posted, the table's repaint among them) while typing (narrowing) and
    while deleting (widening), for the search as it is and as it was (:func:`_scan_model`),
    the two in turns, in library order and sorted by title. Median of :data:`KEY_ROUNDS`
    rounds; every key also checks that both show the same rows. Each key filters, as it did
    before the search waited for a pause in the typing over a big library: the filter's cost
    is what is compared (the pause: ``python -m benchmarks.bench_search_typing``)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from player.ui import library_view
    from player.ui.library_model import COLUMNS, LibraryModel
    from player.ui.library_view import LibraryView

    pause_from, library_view.PAUSE_FROM = library_view.PAUSE_FROM, len(data) + 1

    app = QApplication.instance()
    title = next(i for i, (key, _) in enumerate(COLUMNS) if key == "title")
    views = {}
    for way, model in (("new", LibraryModel()), ("old", _scan_model())):
        model.set_library(data)
        view = LibraryView(model)
        view.resize(1280, 740)
        view.show()
        views[way] = view
    app.processEvents()

    def key(view, k, text="") -> float:
        t = time.perf_counter()
        QTest.keyClick(view.search, k) if not text else QTest.keyClicks(view.search, text)
        app.processEvents()            # the table repaints here, as after a real key
        return (time.perf_counter() - t) * 1000

    times: dict[str, list[float]] = {}
    for sort in ("library", "title"):
        for view in views.values():
            view.table.sortByColumn(title if sort == "title" else -1, Qt.AscendingOrder)
        for r in range(KEY_ROUNDS):
            for way in (("old", "new") if r % 2 else ("new", "old")):
                view = views[way]
                for word in TYPED_WORDS:
                    narrow = [key(view, 0, ch) for ch in word]
                    assert view.search.text() == word
                    widen = [key(view, Qt.Key_Backspace) for _ in word]
                    assert view.search.text() == "" and view.model.rowCount() == len(data)
                    times.setdefault(f"key_{sort}_{way}_narrow_{word}", []).append(max(narrow))
                    times.setdefault(f"key_{sort}_{way}_widen_{word}", []).append(max(widen))
    for word in TYPED_WORDS:                       # the same rows, key by key
        for i in list(range(1, len(word) + 1)):
            shown = []
            for view in views.values():
                view.search.setText(word[:i])
                shown.append(view.model.visible_ids())
            assert shown[0] == shown[1], word[:i]
    for view in views.values():
        view.close()
    library_view.PAUSE_FROM = pause_from        # (what runs after this times the window as it is)
    return {k: statistics.median(v) for k, v in times.items()}


def _spin_until(pred, timeout_s: float) -> bool:
    """Turn the event loop until ``pred()`` holds (checked every 10 ms) or ``timeout_s`` passes."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer(interval=10)
    check.timeout.connect(lambda: pred() and loop.quit())
    check.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not pred():
        loop.exec()
    check.stop()
    return bool(pred())


def _up_next_home(home: Path) -> Path:
    """A copy of the library whose first track is a real file (silence): Next starts a
    track, and the generated paths point nowhere."""
    up = home / "up-next"
    db = up / "library.db"
    if db.exists():
        return up
    from player.store import Store

    up.mkdir(exist_ok=True)
    shutil.copy(home / "library.db", db)
    silence = up / "silence.wav"
    with wave.open(str(silence), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(bytes(4 * 44100 * SILENCE_S))
    store = Store.open(db)
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET path = ?, duration = ? WHERE id = (SELECT MIN(id) FROM tracks)",
                     (str(silence), float(SILENCE_S)))
    store.close()
    return up


def _child_up_next(t0: float) -> dict:
    """Add ``UP_NEXT`` entries to Up next, Next three times, Clear: how long each held the
    GUI thread (the longest gap of a 5 ms timer) and how long until the list showed it."""

    from player.store import Store
    from player.ui.main import create_app, default_engine_factory
    from player.ui.main_window import MainWindow

    create_app()
    store = Store.open()
    window = MainWindow(store, engine_factory=default_engine_factory(store))
    window.resize(1280, 780)
    window.show()
    _spin_until(lambda: window.restored and window.model.rowCount() > 0, 120)
    with store.transaction() as conn:
        track = conn.execute("SELECT MIN(id) FROM tracks").fetchone()[0]
    window.up_next.keep_going.setChecked(False)
    window.play_ids([track])
    _spin_until(lambda: window.player.current_track_id == track, 30)
    gaps, clock, last, ticker = _heartbeat()
    ticker.start()
    rows = window.up_next.list.model().rowCount

    def timed(action, until) -> tuple[float, float]:
        _spin_until(lambda: False, 0.3)          # settled: the last action's gaps are over
        gaps.clear()
        last[0] = clock.elapsed()
        start = time.perf_counter()
        action()
        if not _spin_until(until, 60):
            raise RuntimeError("Up next did not show the change")
        shown = (time.perf_counter() - start) * 1000
        _spin_until(lambda: False, 0.3)          # the rest of the work the change started
        return shown, float(max(gaps, default=0))

    out: dict = {"up_next": UP_NEXT}
    out["add_shown_ms"], out["add_stall_ms"] = timed(lambda: window.enqueue([track] * UP_NEXT),
                                                     lambda: rows() == UP_NEXT)
    before = window.up_next.rows.entries()
    out["shuffle_shown_ms"], out["shuffle_stall_ms"] = timed(
        window.act_shuffle.trigger, lambda: window.up_next.rows.entries() != before)
    window.act_shuffle.trigger()                 # back in order (not timed)
    nexts = [timed(window.next_track, lambda k=k: rows() == UP_NEXT - k) for k in (1, 2, 3)]
    out["next_shown_ms"] = statistics.median(n[0] for n in nexts)
    out["next_stall_ms"] = statistics.median(n[1] for n in nexts)
    out["clear_shown_ms"], out["clear_stall_ms"] = timed(window.up_next.clear_btn.click, lambda: rows() == 0)
    out.update(_up_next_delete_times(window, track, timed, rows))
    out.update(_playlist_edit_times(window, store, timed))
    ticker.stop()
    window.close()                               # stops the player too
    from player.workers import wait_all

    wait_all(5000)
    store.close()
    return out


def _up_next_delete_times(window, track, timed, rows) -> dict:
    """Select every entry of Up next and press Delete."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.enqueue([track] * UP_NEXT)
    _spin_until(lambda: rows() == UP_NEXT, 60)
    view = window.up_next.list
    view.setFocus()
    view.selectAll()
    shown, stall = timed(lambda: QTest.keyClick(view, Qt.Key_Delete), lambda: rows() == 0)
    return {"delete_all_shown_ms": shown, "delete_all_stall_ms": stall}


def _playlist_edit_times(window, store, timed) -> dict:
    """A playlist of ``UP_NEXT`` different tracks in the Playlists tab: the tab opened,
    one song moved down (Alt+Down) and one removed (Delete), each until the list shows it."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    with store.transaction() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM tracks ORDER BY id LIMIT ?", (UP_NEXT,))]
    pid = store.create_playlist("Bench", ids)
    panel, view = window.playlists, window.playlists.entries
    window.refresh_playlists(select=pid)
    _spin_until(lambda: panel.current_playlist() == pid, 60)
    out = {}
    out["playlist_open_shown_ms"], out["playlist_open_stall_ms"] = timed(
        lambda: window.tabs.setCurrentWidget(panel), lambda: view.count() == len(ids))
    view.setFocus()
    view.setCurrentRow(3)
    moved = view.item(3).text()
    out["playlist_move_shown_ms"], out["playlist_move_stall_ms"] = timed(
        lambda: QTest.keyClick(view, Qt.Key_Down, Qt.AltModifier),
        lambda: view.item(4).text() == moved and panel._moving is None)
    view.clearSelection()                        # (the song moved stays selected)
    view.setCurrentRow(10)
    out["playlist_remove_shown_ms"], out["playlist_remove_stall_ms"] = timed(
        lambda: QTest.keyClick(view, Qt.Key_Delete), lambda: view.count() == len(ids) - 1)
    return out


def _table_times(window) -> dict:
    """One repaint of the library's visible rows, select all and repaint, and reading the
    selection as the window's actions do (Play, Add to Up next); the same repaints of a
    table of as many rows and columns whose model is the least Qt needs (the baseline)."""
    from PySide6.QtCore import QAbstractTableModel, QModelIndex
    from PySide6.QtWidgets import QApplication, QTableView

    table = window.library.table
    n_rows, n_cols = window.model.rowCount(), window.model.columnCount()

    class Plain(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else n_rows

        def columnCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else n_cols

        def data(self, index, role=0):
            return None

    def timed(fn) -> float:
        QApplication.processEvents()
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def repaint(view) -> float:
        return statistics.median(timed(view.viewport().repaint) for _ in range(5))

    def select_all(view) -> float:
        # The column headers too: drawn, each asks whether its whole column is selected.
        view.clearSelection()
        return timed(lambda: (view.selectAll(), view.viewport().repaint(), view.horizontalHeader().repaint()))

    plain_view = QTableView()
    plain = Plain()
    plain_view.setModel(plain)
    plain_view.setSelectionBehavior(QTableView.SelectRows)
    plain_view.resize(table.viewport().size())
    plain_view.show()
    out = {"stock_paint_ms": repaint(plain_view), "stock_select_ms": select_all(plain_view)}
    plain_view.close()
    out.update(paint_ms=repaint(table), select_all_ms=select_all(table))

    def away_and_back() -> None:                # with every row selected
        window.tabs.setCurrentWidget(window.playlists)
        QApplication.processEvents()
        window.tabs.setCurrentWidget(window.library)
        table.viewport().repaint()
        table.horizontalHeader().repaint()

    out["tab_back_selected_ms"] = timed(away_and_back)
    out["drag_start_ms"] = _drag_start_ms(table, timed)
    # as Qt asks it, every selected cell (the library's table before it answered one a stretch)
    table.selectedIndexes = lambda: QTableView.selectedIndexes(table)
    out["drag_start_cells_ms"] = _drag_start_ms(table, timed)
    del table.selectedIndexes
    ids: list = []
    out["selected_ids_ms"] = timed(lambda: ids.extend(window.library.selected_ids()))
    table.clearSelection()
    assert len(ids) == n_rows
    out.update(_sort_times(window, timed))
    return out


def _drag_start_ms(table, timed) -> float:
    """A press on a selected row and a move far enough to drag, every row selected: what the
    window is held before the drag begins (Qt's own drag loop, which waits for a real
    pointer, is not entered: the drag it would carry is made instead)."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    made = []
    table.startDrag = lambda actions: made.append(table.drag_mime())
    viewport = table.viewport()
    at = table.visualRect(table.model().index(1, 1)).center()

    def mouse(kind, pos, button):
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)),
                                                     button, Qt.LeftButton, Qt.NoModifier))

    ms = timed(lambda: (mouse(QEvent.MouseButtonPress, at, Qt.LeftButton),
                        mouse(QEvent.MouseMove, at + QPoint(2, 2), Qt.NoButton),
                        mouse(QEvent.MouseMove, at + QPoint(2, 40), Qt.NoButton)))
    mouse(QEvent.MouseButtonRelease, at + QPoint(2, 40), Qt.LeftButton)
    del table.startDrag
    assert len(made) == 1
    return ms


FILTER_RUNS = 30          # times each interaction is timed with the tag filter and without


def _tag_filter_times(window) -> dict:
    """What the application-wide filter that keeps tags plain text (``plain_text``) costs:
    each interaction timed with it and without it, in turns (CPU time of the GUI thread,
    median of :data:`FILTER_RUNS` each), how many events it saw, and what one event costs
    it (100,000 posted events to one widget, with it and without)."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from player.ui import plain_text

    app, policy = QApplication.instance(), plain_text._policy
    table, search = window.library.table, window.library.search
    sizes = iter(range(10**9))

    def settle():
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            app.processEvents()

    def resize():
        window.resize(1280 - 100 * ((next(sizes) + 1) % 2), 780)

    def tabs():
        window.tabs.setCurrentWidget(window.playlists)
        app.processEvents()
        window.tabs.setCurrentIndex(0)

    def scroll():
        bar = table.verticalScrollBar()
        bar.setValue(5000 if bar.value() != 5000 else 0)

    def hover():
        for k in range(50):
            QTest.mouseMove(table.viewport(), QPoint(40 + 12 * k, 30 + 8 * k))

    def typing():
        QTest.keyClicks(search, "blue")
        window.library.apply_search()       # (the pause after the word, which a big library waits for)
        search.clear()

    def discover():                # shown once, its rows in (each switch to it asks for them anew)
        from player.workers import wait_all

        window.tabs.setCurrentWidget(window.discover)
        while not window.discover.buckets:
            wait_all(100)
            app.processEvents()

    actions = {"resize": ("resize the window", resize), "tabs": ("switch to Playlists and back", tabs),
               "scroll": ("scroll the table 5,000 rows", scroll), "hover": ("move the mouse over the table x50", hover),
               "typing": ("type a word in the search box, clear it", typing),
               "discover": ("resize the window, Discover shown", resize)}

    class Count(QObject):
        seen = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            Count.seen += 1
            return False

    def cpu_ms(fn) -> float:
        t = time.thread_time()
        fn()
        app.processEvents()
        app.processEvents()
        return 1000 * (time.thread_time() - t)

    out: dict = {}
    counter = Count()
    for key, (_, fn) in actions.items():
        if key == "discover":
            discover()
        settle()
        app.installEventFilter(counter)
        Count.seen = 0
        cpu_ms(fn)
        app.removeEventFilter(counter)
        out[f"tf_{key}_events"] = Count.seen
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(FILTER_RUNS):
            for on in ((True, False) if i % 2 else (False, True)):
                (app.installEventFilter if on else app.removeEventFilter)(policy)
                settle()
                times[on].append(cpu_ms(fn))
        app.installEventFilter(policy)
        out[f"tf_{key}_with"] = statistics.median(times[True])
        out[f"tf_{key}_without"] = statistics.median(times[False])
    target = table.viewport()
    per_event: dict[bool, list[float]] = {True: [], False: []}
    for i in range(4):
        on = i % 2 == 0
        (app.installEventFilter if on else app.removeEventFilter)(policy)
        for _ in range(100_000):
            QCoreApplication.postEvent(target, QEvent(QEvent.Type.User))
        t = time.thread_time()
        app.sendPostedEvents(target, 0)
        per_event[on].append((time.thread_time() - t) * 1e6 / 100_000)
    app.installEventFilter(policy)
    out["tf_event_with_us"] = min(per_event[True])
    out["tf_event_without_us"] = min(per_event[False])
    out["tf_names"] = {key: name for key, (name, _) in actions.items()}
    return out


SORT_SELECTED = 2_000


def _sort_times(window, timed) -> dict:
    """A click on a column's header and back with nothing selected (the baseline), then with
    :data:`SORT_SELECTED` rows selected (a block that the first sort scatters), each with
    the repaint that follows."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

    from player.ui.library_model import COLUMNS

    table, model = window.library.table, window.model
    artist, title = (next(i for i, (key, _) in enumerate(COLUMNS) if key == name) for name in ("artist", "title"))

    def sort_twice() -> float:
        return timed(lambda: (model.sort(artist, Qt.AscendingOrder), table.viewport().repaint(),
                              model.sort(title, Qt.AscendingOrder), table.viewport().repaint())) / 2

    model.sort(title, Qt.AscendingOrder)
    table.clearSelection()
    out = {"sort_ms": sort_twice()}
    rows = min(SORT_SELECTED, model.rowCount())
    table.selectionModel().select(
        QItemSelection(model.index(0, 0), model.index(rows - 1, model.columnCount() - 1)),
        QItemSelectionModel.ClearAndSelect)
    out["sort_selected_ms"] = sort_twice()
    assert len(table.selectionModel().selectedRows()) == rows
    table.clearSelection()
    return out


def _run_child(mode: str, home: Path) -> dict:
    env = {**os.environ, "SEGUE_HOME": str(home), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "SEGUE_ENGINE": "null", "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_ui", "--child", mode, "--t0", repr(t0)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"child {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the Segue window with a large library.")
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--home", help="data folder to reuse (default: a temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "bare":
            result = _child_bare(args.t0)
        elif args.child == "upnext":
            result = _child_up_next(args.t0)
        else:
            result = _child_window(args.t0, args.child == "filters")
        print(json.dumps(result))
        return 0

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="segue-bench-ui-"))
    db = home / "library.db"
    if not db.exists():
        from benchmarks.library_gen import fill_store
        from player.store import Store

        t = time.perf_counter()
        store = Store.open(db)
        fill_store(store, args.tracks)
        store.close()
        print(f"generated {args.tracks:,} tracks in {time.perf_counter() - t:.1f} s ({db})")
    bare = [_run_child("bare", home) for _ in range(args.runs)]
    runs = [_run_child("filters", home) for _ in range(args.runs)]
    up_next = [_run_child("upnext", _up_next_home(home)) for _ in range(args.runs)]

    def med(key, rows=runs):
        return statistics.median(r[key] for r in rows)

    print(f"\nSegue window, {runs[0]['n_rows']:,} tracks, {args.runs} runs (median), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")
    rows = [
        ("bare QMainWindow first paint (baseline)", f"{med('shown', bare):.3f} s", "1.00x"),
        ("Segue window first paint", f"{med('shown'):.3f} s", f"{med('shown') / med('shown', bare):.2f}x"),
        ("Segue window interactive (event loop turning)", f"{med('interactive'):.3f} s", "target < 1.5 s"),
        ("all rows loaded and painted", f"{med('rows'):.3f} s", ""),
        ("longest GUI stall until rows painted", f"{med('stall_ms'):.0f} ms", ""),
        ("recommender service built (worker)", f"{med('recommender'):.3f} s", ""),
        ("longest GUI stall while it builds", f"{med('recommender_stall_ms'):.0f} ms", ""),
        ("QSortFilterProxyModel filter (baseline)", f"{med('stock_filter_ms'):.1f} ms", "1.00x"),
        ("LibraryModel.set_filter, full scan (median)", f"{med('filter_ms'):.1f} ms",
         f"{med('filter_ms') / med('stock_filter_ms'):.3f}x  (target < 50 ms)"),
        ("LibraryModel.set_filter, CPU time of the GUI thread", f"{med('filter_cpu_ms'):.1f} ms", ""),
        ("LibraryModel.set_filter, slowest query", f"{med('filter_max_ms'):.1f} ms", ""),
        ("slowest keystroke typing a word", f"{med('keystroke_max_ms'):.1f} ms", ""),
        ("repaint of the visible rows, a bare model (baseline)", f"{med('stock_paint_ms'):.1f} ms", "1.00x"),
        ("repaint of the visible rows, the library", f"{med('paint_ms'):.1f} ms",
         f"{med('paint_ms') / med('stock_paint_ms'):.2f}x"),
        ("select all and repaint, a bare model (baseline)", f"{med('stock_select_ms'):.1f} ms", "1.00x"),
        ("select all and repaint, the library", f"{med('select_all_ms'):.1f} ms",
         f"{med('select_all_ms') / med('stock_select_ms'):.2f}x"),
        ("reading that selection (Play, Add to Up next...)", f"{med('selected_ids_ms'):.0f} ms", ""),
        ("another tab and back to the library, all selected", f"{med('tab_back_selected_ms'):.1f} ms", ""),
        ("a drag of every song begun (Qt asking every cell: the ratio)", f"{med('drag_start_ms'):.1f} ms",
         f"{med('drag_start_ms') / max(med('drag_start_cells_ms'), 1e-3):.3f}x"),
        ("sort by a column and repaint, nothing selected (baseline)", f"{med('sort_ms'):.1f} ms", "1.00x"),
        (f"sort by a column and repaint, {SORT_SELECTED:,} rows selected", f"{med('sort_selected_ms'):.1f} ms",
         f"{med('sort_selected_ms') / med('sort_ms'):.2f}x"),
        (f"add {UP_NEXT:,} to Up next: longest GUI stall", f"{med('add_stall_ms', up_next):.0f} ms",
         "target < 100 ms"),
        (f"add {UP_NEXT:,} to Up next: until the list shows them", f"{med('add_shown_ms', up_next):.0f} ms", ""),
        (f"Next with {UP_NEXT:,} queued: longest GUI stall", f"{med('next_stall_ms', up_next):.0f} ms",
         "target < 100 ms"),
        (f"Next with {UP_NEXT:,} queued: until the list shows it", f"{med('next_shown_ms', up_next):.0f} ms", ""),
        (f"Clear {UP_NEXT:,} from Up next: longest GUI stall", f"{med('clear_stall_ms', up_next):.0f} ms", ""),
        (f"shuffle {UP_NEXT:,} in Up next (Ctrl+U): longest GUI stall", f"{med('shuffle_stall_ms', up_next):.0f} ms",
         "target < 100 ms"),
        (f"select all {UP_NEXT:,} in Up next, Delete: longest GUI stall",
         f"{med('delete_all_stall_ms', up_next):.0f} ms", "target < 100 ms"),
        (f"a {UP_NEXT:,}-song playlist: open the tab, longest GUI stall",
         f"{med('playlist_open_stall_ms', up_next):.0f} ms", "target < 100 ms"),
        (f"a {UP_NEXT:,}-song playlist: Alt+Down one song, longest GUI stall",
         f"{med('playlist_move_stall_ms', up_next):.0f} ms", "target < 100 ms"),
        (f"a {UP_NEXT:,}-song playlist: Alt+Down, until the list shows it",
         f"{med('playlist_move_shown_ms', up_next):.0f} ms", ""),
        (f"a {UP_NEXT:,}-song playlist: Delete one song, longest GUI stall",
         f"{med('playlist_remove_stall_ms', up_next):.0f} ms", "target < 100 ms"),
        ("peak memory (max RSS) when the rows show", f"{med('rss_rows_mb'):.0f} MB", ""),
        ("peak memory (max RSS) with the recommender built", f"{med('peak_rss_mb'):.0f} MB", ""),
        ("torch imported", str(any(r["torch_imported"] for r in runs)), "must be False"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>10}  {note}")
    print(f"\nkeystrokes in the search box: the longest a key held the GUI thread (the filter, the repaint, "
          f"the events after), the search as it was and as it is in turns (median of {KEY_ROUNDS} rounds, "
          "then of the runs; ms)")
    print(f"  {'typed word':<14}  {'order':<8}  {'typing: was':>11}  {'is':>6}  {'deleting: was':>13}  {'is':>6}")
    for word in TYPED_WORDS:
        for sort in ("library", "title"):
            cells = [med(f"key_{sort}_{way}_{step}_{word}") for step in ("narrow", "widen") for way in ("old", "new")]
            print(f"  {word!r:<14}  {sort:<8}  {cells[0]:>11.1f}  {cells[1]:>6.1f}  "
                  f"{cells[2]:>13.1f}  {cells[3]:>6.1f}")
    print(f"\nthe tag filter (plain_text, on every event of every widget): CPU time of the GUI thread with it and "
          f"without it, in turns (median of {FILTER_RUNS} each, then of the runs; ms)")
    per_event_us = med("tf_event_with_us") - med("tf_event_without_us")
    print(f"  {'interaction':<44}  {'events':>6}  {'with':>7}  {'without':>7}  {'its share':>9}  "
          f"{'by its events':>13}")
    for key, name in runs[0]["tf_names"].items():
        w, wo, n = med(f"tf_{key}_with"), med(f"tf_{key}_without"), med(f"tf_{key}_events")
        print(f"  {name:<44}  {n:>6.0f}  {w:>7.2f}  {wo:>7.2f}  {(w - wo) / w:>8.1%}  "
              f"{n * per_event_us / 1000 / w:>12.1%}")
    print(f"  one posted event to a widget: {med('tf_event_with_us'):.2f} us with it, "
          f"{med('tf_event_without_us'):.2f} us without (\"by its events\": the events it saw at that cost, "
          "over the time with it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
