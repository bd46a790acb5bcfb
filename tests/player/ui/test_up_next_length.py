"""In the real window (offscreen, real SQLite, generated audio, the null engine): Up next says how
long it plays, as Quod Libet's queue and Rhythmbox's do."""

from __future__ import annotations

from player.ui.library_model import format_duration
from tests.player.ui.test_up_next_keys import _queued


def test_up_next_shows_how_long_the_songs_queued_play(qtbot, scanned, make_window):
    # A host who queued the evening's songs saw how many, never until when they last.
    window, ids = _queued(qtbot, scanned, make_window, 4)
    panel = window.up_next
    lengths = {t["id"]: t["duration"] for t in scanned.tracks()}
    assert all(lengths[t] > 0 for t in ids)
    qtbot.waitUntil(lambda: panel.length.text() == format_duration(sum(lengths[t] for t in ids)), timeout=5000)
    assert panel.length.accessibleName() == f"Up next plays {panel.length.text()}"
    panel.remove_entries.emit([window.player.queue[1]])            # "Remove from Up next"
    rest = [ids[0], *ids[2:]]
    qtbot.waitUntil(lambda: panel.track_ids() == rest, timeout=5000)
    qtbot.waitUntil(lambda: panel.length.text() == format_duration(sum(lengths[t] for t in rest)), timeout=5000)
    # A track the library does not hold (yet): its length unknown, the rest's is the least.
    assert window.library.length_of([ids[0], 10**9]) == f"at least {format_duration(lengths[ids[0]])}"
    panel.clear.emit()                                              # "Clear"
    qtbot.waitUntil(lambda: panel.track_ids() == [], timeout=5000)
    assert panel.length.text() == ""
    assert panel.length.accessibleName() == ""                     # (a reader says no stale length)
