"""In the real window (offscreen, real SQLite, generated audio, the null engine): Up next says how
long it plays, as Quod Libet's queue and Rhythmbox's do."""

from __future__ import annotations

from player.ui.library_model import format_duration
from player.ui.queue_panel import _length_text
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
    assert window.library.length_of([ids[0], 10**9]) == (lengths[ids[0]], False)
    window.enqueue([10**9])
    known = format_duration(sum(lengths[t] for t in rest))
    qtbot.waitUntil(lambda: panel.length.text() == f"{known}+", timeout=5000)
    assert panel.length.accessibleName() == f"Up next plays at least {known}"
    panel.clear.emit()                                              # "Clear"
    qtbot.waitUntil(lambda: panel.track_ids() == [], timeout=5000)
    assert panel.length.text() == ""
    assert panel.length.accessibleName() == ""                     # (a reader says no stale length)


def test_up_next_length_shows_whole_beside_its_title_at_360_px(qtbot, scanned, make_window):
    # "at least 1234:56:07" beside the title held Up next some 50 px wider than 360.
    window, ids = _queued(qtbot, scanned, make_window, 2)
    panel = window.up_next
    window.resize(900, 600)
    qtbot.waitUntil(lambda: window.width() == 900, timeout=2000)
    qtbot.waitUntil(lambda: panel.length.text() != "", timeout=5000)
    panel._length_later.timeout.disconnect()            # (the widest texts stay while measured)
    panel.header.setText("Up next (100000)")
    for seconds in (9.99 * 3600, 5555 * 3600):            # the widest minutes, and hours
        panel.length.setText(f"{_length_text(seconds)}+")
        window.splitter.setSizes([900 - 360, 360])
        qtbot.waitUntil(lambda: panel.width() <= 360, timeout=2000)
        for label in (panel.header, panel.length):
            assert label.width() >= label.sizeHint().width(), label.text()
