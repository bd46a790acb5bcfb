"""A long Up next: rows named only when drawn, moved on by the rows that change, the
selection following its entries."""

from __future__ import annotations

import random
import threading

from PySide6.QtCore import QEvent, QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from player.audio.base import PlaybackState
from player.audio.queue import QueueEntry
from player.ui.two_line import REASON_ROLE
from tests.player.ui.test_never_suggest import _menu_action, _start_paused


def _select(panel, *rows: int) -> None:
    for row in rows:
        panel.list.selectionModel().select(panel.rows.index(row),
                                           QItemSelectionModel.Select | QItemSelectionModel.Rows)


def _selected(panel) -> list:
    rows = sorted(i.row() for i in panel.list.selectionModel().selectedRows())
    return [panel.rows.entry(r) for r in rows]


def test_a_long_up_next_names_the_rows_drawn_and_moves_on_by_one_row(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    asked = []
    info = window._info

    def counted(track_id, **kw):
        asked.append(track_id)
        return info(track_id, **kw)
    window._info = counted
    queued = (ids * 250)[:2000]
    window.play_ids([ids[0], *queued], 0, "library")  # a long list played (a new one replaces it)
    qtbot.waitUntil(lambda: len(window.up_next.track_ids()) == 2000, timeout=10000)
    qtbot.wait(200)                                   # drawn
    # The names of 2,000 entries are not all looked up: those of the rows on screen are.
    assert 0 < len(asked) < 100, len(asked)
    rows = window.up_next.rows
    assert rows.index(0).data() == info(ids[0])[0] and rows.index(1999).data() == info(queued[-1])[0]
    assert window.up_next.header.text() == "Up next (2000)"
    # Next takes the first row away: the other 1,999 stay as they are.
    changes = []
    rows.rowsRemoved.connect(lambda _parent, first, last: changes.append(("removed", first, last)))
    rows.rowsInserted.connect(lambda _parent, first, last: changes.append(("inserted", first, last)))
    rows.modelReset.connect(lambda: changes.append("reset"))
    rows.layoutChanged.connect(lambda: changes.append("moved"))
    window.play_ids([ids[0]], 0, "library")           # a new queue, empty: the rows go in one stretch
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0] and rows.rowCount() == 0, timeout=5000)
    assert changes == [("removed", 0, 1999)]
    window.enqueue(queued)
    qtbot.waitUntil(lambda: rows.rowCount() == 2000, timeout=10000)
    changes.clear()
    window.next_track()
    qtbot.waitUntil(lambda: rows.rowCount() == 1999, timeout=5000)
    assert changes == [("removed", 0, 0)]
    assert window.up_next.track_ids() == queued[1:]


def test_typing_in_a_long_up_next_goes_to_the_next_title_that_starts_so(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(window.model.rowCount())]
    queued = (ids * 250)[:2000]
    window.enqueue(queued)
    qtbot.waitUntil(lambda: len(window.up_next.track_ids()) == 2000, timeout=10000)
    title = {t: window._info(t)[0] for t in ids}
    asked = []
    info = window._info
    window._info = lambda track_id, **kw: asked.append(track_id) or info(track_id, **kw)
    view = window.up_next.list
    view.setFocus()
    view.setCurrentIndex(window.up_next.rows.index(1500))
    for typed in ("w", "B", "b", "zz"):
        qtbot.wait(QApplication.keyboardInputInterval() + 50)    # a new word, not more of the last
        before, named = view.currentIndex().row(), len(asked)
        qtbot.keyClicks(view, typed)
        assert len(asked) == named                     # the titles came all at once, none looked up alone
        rows = list(range(before, 2000)) + list(range(before))
        if typed == "b":                                   # the same letter again: the next one on
            rows = rows[1:] + rows[:1]
        hits = [r for r in rows if title[queued[r]].lower().startswith(typed.lower())]
        assert view.currentIndex().row() == (hits[0] if hits else before), typed


def test_the_rows_dragged_stay_selected_where_they_land(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(5)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    panel = window.up_next
    view, rows = panel.list, panel.rows
    _select(panel, 0, 1)
    dragged = _selected(panel)
    mime = rows.mimeData([rows.index(0), rows.index(1)])
    rect = view.visualRect(rows.index(4))             # lower half of the last row: after it
    view.dropEvent(QDropEvent(QPointF(rect.center().x(), rect.bottom() - 1), Qt.MoveAction, mime,
                              Qt.LeftButton, Qt.NoModifier, QEvent.Drop))
    expected = ids[2:] + ids[:2]
    qtbot.waitUntil(lambda: panel.track_ids() == expected, timeout=5000)
    assert _selected(panel) == dragged               # the same entries, in their new rows
    # Delete now removes what is selected: the two moved entries.
    qtbot.keyClick(panel, Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == ids[2:], timeout=5000)


def test_the_rows_follow_any_change_of_the_queue_and_the_selection_its_entries(qtbot):
    from player.ui.queue_panel import UpNextPanel

    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "", ""))
    qtbot.addWidget(panel)
    rng = random.Random(5)
    serial = iter(range(10**9))
    queue = [QueueEntry(next(serial)) for _ in range(300)]
    panel.set_entries(queue)

    def changed(queue: list) -> list:
        q = list(queue)
        kind = rng.choice(["next", "add", "insert", "scatter", "remove", "thin", "move", "shuffle", "swap"])
        if kind == "next" and q:
            q.pop(0)
        elif kind == "add":
            q += [QueueEntry(next(serial)) for _ in range(rng.randint(1, 50))]
        elif kind == "insert":
            at = rng.randint(0, len(q))
            q[at:at] = [QueueEntry(next(serial)) for _ in range(rng.randint(1, 5))]
        elif kind == "scatter":                       # shuffle on: each new entry in a place of its own
            for _ in range(rng.randint(1, 120)):
                q.insert(rng.randint(0, len(q)), QueueEntry(next(serial)))
        elif kind == "remove" and q:
            for e in rng.sample(q, rng.randint(1, min(3, len(q)))):
                q.remove(e)
        elif kind == "thin":                          # many stretches taken out at once
            q = [e for e in q if rng.random() < 0.6]
        elif kind == "move" and len(q) > 2:
            block = q[5:9]
            rest = [e for e in q if all(e is not b for b in block)]
            at = rng.randint(0, len(rest))
            q = rest[:at] + block + rest[at:]
        elif kind == "shuffle":
            rng.shuffle(q)
        elif kind == "swap":                          # suggestions re-ranked: some entries replaced
            q = [QueueEntry(next(serial)) if rng.random() < 0.1 else e for e in q]
        return q

    for _ in range(150):
        if panel.rows.rowCount():
            panel.list.clearSelection()
            _select(panel, *rng.sample(range(panel.rows.rowCount()), min(5, panel.rows.rowCount())))
        selected = _selected(panel)
        queue = changed(queue)
        if len(queue) < 50:
            queue += [QueueEntry(next(serial)) for _ in range(100)]
        panel.set_entries(queue)
        assert panel.rows.entries() == queue
        assert [panel.rows.index(r).data() for r in range(len(queue))] == [f"song {e.track_id}" for e in queue]
        still = {id(e) for e in queue}
        assert _selected(panel) == sorted((e for e in selected if id(e) in still),
                                          key=lambda e: next(i for i, q in enumerate(queue) if q is e))
    panel.set_entries([queue[0], queue[0]])           # one entry twice: shown twice all the same
    assert panel.rows.rowCount() == 2 and panel.track_ids() == [queue[0].track_id] * 2
    panel.set_entries(queue[:3])
    assert panel.rows.entries() == queue[:3]


def test_the_keys_move_through_the_rows_as_in_a_list(qtbot):
    from player.ui.queue_panel import UpNextPanel

    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "band", ""))
    qtbot.addWidget(panel)
    panel.set_entries([QueueEntry(i) for i in range(60)])
    panel.resize(300, 600)
    panel.show()
    qtbot.waitExposed(panel)
    view, rows = panel.list, panel.rows

    def press(key, modifier=Qt.NoModifier, start=10):
        view.setCurrentIndex(rows.index(start))
        qtbot.keyClick(view, key, modifier)
        return view.currentIndex().row()
    assert press(Qt.Key_Home) == 0 and press(Qt.Key_End) == 59
    assert press(Qt.Key_Down) == 11 and press(Qt.Key_Up) == 9
    page = view.viewport().height() // view.visualRect(rows.index(0)).height() - 1     # the rows in view, less one
    assert press(Qt.Key_PageDown) == 10 + page and press(Qt.Key_PageUp, start=30) == 30 - page
    assert press(Qt.Key_PageDown, start=58) == 59 and press(Qt.Key_PageUp, start=1) == 0
    assert press(Qt.Key_End, Qt.ShiftModifier) == 59
    assert [i.row() for i in view.selectionModel().selectedRows()] == list(range(10, 60))
    qtbot.keyClick(view, Qt.Key_A, Qt.ControlModifier)
    assert len(view.selectionModel().selectedRows()) == 60


def test_delete_removes_the_selected_entries_in_order_however_they_were_selected(qtbot):
    # Read from the selection's ranges (selectedRows asks about every row): rows picked
    # one by one, a stretch, and everything all come out in the list's order.
    from player.ui.queue_panel import UpNextPanel

    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "", ""))
    qtbot.addWidget(panel)
    queue = [QueueEntry(i) for i in range(50)]
    panel.set_entries(queue)
    asked = []
    panel.remove_entries.connect(asked.append)
    view, model = panel.list, panel.rows
    for row in (30, 4, 5, 6, 12):
        view.selectionModel().select(model.index(row), QItemSelectionModel.Select | QItemSelectionModel.Rows)
    qtbot.keyClick(panel, Qt.Key_Delete)
    assert asked[-1] == [queue[r] for r in (4, 5, 6, 12, 30)]
    view.selectAll()
    qtbot.keyClick(panel, Qt.Key_Delete)
    assert asked[-1] == queue


def test_a_song_added_to_up_next_plays_before_the_suggestions_and_stays_through_a_double_click(
        qtbot, scanned, make_window):
    # Added with Keep it going on, the song waited behind every suggestion; a double-click on
    # a library row then threw it away with them.
    window = make_window(scanned)
    model, table = window.model, window.library.table
    _start_paused(qtbot, window, model.track_id(0))
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(window.up_next.track_ids()) >= 3, timeout=10000)
    suggested = window.up_next.track_ids()
    row = 0                                                   # the song paused, to hear again
    mine = model.track_id(row)
    _menu_action(window.library, table.visualRect(model.index(row, 1)), "Add to Up next").trigger()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [mine, *suggested], timeout=5000)
    rows = window.up_next.rows
    assert rows.index(0).data(REASON_ROLE) == "You added it"   # said as the person's own pick

    # A double-click on another row: it plays, the song queued by hand comes right after it.
    other = 1
    rect = table.visualRect(model.index(other, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.player.current_track_id == model.track_id(other)
                    and window.up_next.track_ids()[:1] == [mine], timeout=10000)
    after = [model.track_id(r) for r in range(other + 1, model.rowCount())]
    qtbot.waitUntil(lambda: window.up_next.track_ids()[1:len(after) + 1] == after, timeout=5000)
    window.pause()


def test_the_whole_library_selected_and_added_goes_to_up_next_in_the_tables_order_and_comes_out_again(
        qtbot, scanned, make_window):
    # Every track id (a whole library) goes from the table to Up next and back out as one
    # list handed over as it is: the songs, their order and the Delete of all of them must
    # be what the table and Up next show.
    window = make_window(scanned)
    model, table = window.model, window.library.table
    _start_paused(qtbot, window, model.track_id(0))
    table.sortByColumn(1, Qt.DescendingOrder)
    shown = [model.track_id(r) for r in range(model.rowCount())]
    assert len(shown) >= 3 and shown != sorted(shown)
    table.setFocus()
    table.selectAll()
    _menu_action(window.library, table.visualRect(model.index(0, 1)), "Add to Up next").trigger()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == shown, timeout=10000)
    panel = window.up_next
    panel.list.setFocus()
    panel.list.selectAll()
    qtbot.keyClick(panel, Qt.Key_Delete)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [], timeout=10000)


def test_a_list_handed_to_up_next_is_its_own_once_the_signal_returns(qtbot, scanned, make_window):
    # The table and Up next hand their lists over as Python objects, the sender's own list,
    # and the player thread acts on them later: a list the sender reuses (emptied here) as
    # soon as the signal returns must not change what Up next is asked to do. The player's
    # one thread is held until then, so that it reads each list only after it was emptied.
    window = make_window(scanned)
    model, panel = window.model, window.up_next
    ids = [model.track_id(r) for r in range(model.rowCount())]
    assert len(ids) >= 3
    _start_paused(qtbot, window, ids[0])

    def handed_over(signal, *args):
        gate = threading.Event()
        window._command(lambda _player: gate.wait(10))
        signal.emit(*args)
        for handed in args:
            if isinstance(handed, list):
                handed.clear()
        gate.set()

    handed_over(window.library.play_requested, [ids[1], ids[0]], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[1] and panel.track_ids() == [ids[0]],
                    timeout=5000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    handed_over(panel.remove_entries, panel.rows.entries())
    qtbot.waitUntil(lambda: panel.track_ids() == [], timeout=5000)
    handed_over(window.library.enqueue_requested, list(ids))
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    handed_over(window.library.play_next_requested, [ids[-1]])
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[-1], *ids], timeout=5000)
    entries = panel.rows.entries()
    handed_over(panel.move, entries[-1:], entries[:1], False)          # the last entry to the top
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[-1], ids[-1], *ids[:-1]], timeout=5000)
    handed_over(panel.remove_entries, panel.rows.entries())
    qtbot.waitUntil(lambda: panel.track_ids() == [], timeout=5000)
    window.pause()


def test_a_move_shown_at_once_keeps_an_entry_shown_twice_apart(qtbot):
    # The rows a move shows at once were matched to entries by identity alone: with one entry
    # in two rows, both rows' selection went to the last of its new places, and an order with
    # the same entries in other numbers (one row of it, two of another) was shown as it came.
    from player.ui.queue_panel import UpNextPanel

    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "band", ""))
    qtbot.addWidget(panel)
    a, b, c = QueueEntry(1), QueueEntry(2), QueueEntry(3)
    panel.set_entries([a, b, a, c])                  # one song twice: its rows follow where it goes
    _select(panel, 0)
    panel.list.selectionModel().setCurrentIndex(panel.rows.index(0), QItemSelectionModel.NoUpdate)
    panel.move_selected(1)                           # both rows of it go one place down
    assert panel.rows.entries() == [b, a, c, a]
    assert [i.row() for i in panel.list.selectionModel().selectedRows()] == [1]
    assert panel.list.currentIndex().row() == 1
    panel.rows.show_order([b, c, c, a])              # not the same rows: nothing to show
    assert panel.rows.entries() == [b, a, c, a]


def test_a_stand_in_keeps_its_row_and_selection_whatever_else_changes_with_it(qtbot):
    # A suggestion the person moved is replaced by an entry standing in for it (its ``was``),
    # and taking the move back (Ctrl+Z) puts the suggestion back: either way the row, and a
    # selection on it, stay with the song, whatever else changed in the same refresh (songs
    # added or ended, suggestions re-ranked), in a queue where nothing else stands in.
    from player.ui.queue_panel import UpNextPanel

    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "", ""))
    qtbot.addWidget(panel)
    rng = random.Random(11)
    serial = iter(range(10**9))
    queue = [QueueEntry(next(serial), "upnext", False) for _ in range(200)]
    panel.set_entries(queue)
    for _ in range(120):
        panel.list.clearSelection()
        _select(panel, *rng.sample(range(panel.rows.rowCount()), 8))
        selected = _selected(panel)
        q = list(queue)
        kind = rng.choice(["none", "add", "next", "swap"])
        if kind == "add":
            q += [QueueEntry(next(serial), "upnext", False) for _ in range(rng.randint(1, 30))]
        elif kind == "next":
            q.pop(0)
        elif kind == "swap":
            q = [QueueEntry(next(serial), "upnext", False) if rng.random() < 0.1 else e for e in q]
        became = {}
        for at in rng.sample(range(len(q)), rng.randint(0, 4)):
            e = q[at]
            q[at] = e.was if e.was is not None and rng.random() < 0.5 else QueueEntry(e.track_id, was=e, placed=True)
            became[id(e)] = q[at]
        panel.set_entries(q)
        assert panel.rows.entries() == q
        place = {id(e): i for i, e in enumerate(q)}
        assert _selected(panel) == sorted((s for s in (became.get(id(e), e) for e in selected) if id(s) in place),
                                          key=lambda s: place[id(s)])
        if len(q) < 150:
            q += [QueueEntry(next(serial), "upnext", False) for _ in range(100)]
            panel.set_entries(q)
        queue = q
