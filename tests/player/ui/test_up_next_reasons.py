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
