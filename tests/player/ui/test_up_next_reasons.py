"""Every Up next entry says on its own row why it is there (radio, suggestion, or you)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from player.audio.queue import QueueEntry
from player.ui.two_line import REASON_ROLE


def _reasons(window) -> list[str]:
    rows = window.up_next.rows
    return [rows.index(i).data(REASON_ROLE) for i in range(rows.rowCount())]


def test_radio_suggested_and_queued_rows_show_their_reason(qtbot, scanned, make_window):
    window = make_window(scanned)
    seed = window.model.track_id(0)
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and window.up_next.rows.rowCount() >= 2,
                    timeout=10000)
    reasons = _reasons(window)
    assert all(r.startswith("Radio: ") and len(r) > len("Radio: ") for r in reasons), reasons
    assert reasons[0] == "Radio: " + window.reasons[window.up_next.track_ids()[0]]
    view, first_row = window.up_next.list, window.up_next.rows.index(0)
    assert window.reasons[window.up_next.track_ids()[0]] in first_row.data(Qt.ToolTipRole)
    # Three lines tall: the reason is drawn on the row, not only in the tooltip.
    height = view.visualRect(first_row).height()
    assert height >= 3 * view.fontMetrics().height()
    first = window.up_next.track_ids()[0]
    window.up_next.keep_going.setChecked(False)                      # a station turns it on
    window.play_ids([window.model.track_id(5)], 0, "library")        # leaves the station
    window.enqueue([first])
    qtbot.waitUntil(lambda: window.player.current_track_id == window.model.track_id(5), timeout=5000)
    qtbot.waitUntil(lambda: _reasons(window) == ["You added it"], timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(_reasons(window)) >= 3, timeout=5000)
    assert all(r.startswith("Suggested: ") for r in _reasons(window)[1:]), _reasons(window)


def test_a_song_ending_keeps_the_rows_and_the_selection_of_the_rest(qtbot):
    from player.ui.queue_panel import ENTRY_ROLE, UpNextPanel

    reasons = {i: "like this" for i in range(7)}
    panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "band", reasons[e.track_id]))
    qtbot.addWidget(panel)
    entries = [QueueEntry(i, "up_next", False) for i in range(7)]    # queue entries: one object each

    def texts(role=Qt.DisplayRole):
        return [rows.index(i).data(role) for i in range(rows.rowCount())]
    panel.set_entries(entries[0:5])
    view, rows = panel.list, panel.rows
    view.selectionModel().select(rows.index(2), QItemSelectionModel.Select | QItemSelectionModel.Rows)  # song 2
    panel.set_entries(entries[1:7])               # song 0 ended; a refill added 5 and 6
    assert texts() == [f"song {i}" for i in range(1, 7)]
    assert texts(ENTRY_ROLE) == entries[1:7]
    assert [i.data() for i in view.selectionModel().selectedRows()] == ["song 2"]
    assert panel.track_ids() == list(range(1, 7)) and panel.header.text() == "Up next (6)"
    # A row whose reason changed is shown anew; the ones around it stay as they are.
    reasons[3] = ""
    panel.set_entries(entries[1:7])
    assert texts(REASON_ROLE)[2] == "Picked to keep it going" != texts(REASON_ROLE)[1]
    assert [i.data() for i in view.selectionModel().selectedRows()] == ["song 2"]
    panel.set_entries([])
    assert rows.rowCount() == 0 and panel.header.text() == "Up next"
