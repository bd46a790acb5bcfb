"""Every Up next entry says on its own row why it is there (radio, suggestion, or you)."""

from __future__ import annotations

from player.ui.two_line import REASON_ROLE


def _reasons(window) -> list[str]:
    view = window.up_next.list
    return [view.item(i).data(REASON_ROLE) for i in range(view.count())]


def test_radio_suggested_and_queued_rows_show_their_reason(qtbot, scanned, make_window):
    window = make_window(scanned)
    seed = window.model.track_id(0)
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and window.up_next.list.count() >= 2,
                    timeout=10000)
    reasons = _reasons(window)
    assert all(r.startswith("Radio: ") and len(r) > len("Radio: ") for r in reasons), reasons
    assert reasons[0] == "Radio: " + window.reasons[window.up_next.track_ids()[0]]
    view = window.up_next.list
    assert window.reasons[window.up_next.track_ids()[0]] in view.item(0).toolTip()
    # Three lines tall: the reason is drawn on the row, not only in the tooltip.
    height = view.visualItemRect(view.item(0)).height()
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

    panel = UpNextPanel()
    qtbot.addWidget(panel)
    keys = [object() for _ in range(7)]            # queue entries: one object each

    def rows(first, last, reason="like this"):
        return [(i, f"song {i}", "band", "up_next", reason) for i in range(first, last)], keys[first:last]
    panel.set_entries(*rows(0, 5))
    view = panel.list
    view.item(2).setSelected(True)                 # song 2, picked to be removed or moved
    panel.set_entries(*rows(1, 7))                 # song 0 ended; a refill added 5 and 6
    assert [view.item(i).text() for i in range(view.count())] == [f"song {i}" for i in range(1, 7)]
    assert [view.item(i).data(ENTRY_ROLE) for i in range(view.count())] == keys[1:7]
    assert [i.text() for i in view.selectedItems()] == ["song 2"]
    assert panel.track_ids() == list(range(1, 7)) and panel.header.text() == "Up next (6)"
    # A row whose reason changed is shown anew; the ones around it stay as they are.
    entries, ks = rows(1, 7)
    entries[2] = (3, "song 3", "band", "up_next", "")
    panel.set_entries(entries, ks)
    assert view.item(2).data(REASON_ROLE) != view.item(1).data(REASON_ROLE)
    assert [i.text() for i in view.selectedItems()] == ["song 2"]
    panel.set_entries([], [])
    assert view.count() == 0 and panel.header.text() == "Up next"
