"""In the real window (offscreen, real SQLite, generated audio, the null engine): songs picked
with the library's "Play next" one after another wait in Up next in the order picked."""

from __future__ import annotations


def test_play_next_from_the_library_menu_three_times_keeps_the_order_picked(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(7)]
    album, (mine, a, b, c) = ids[:3], ids[3:]
    window.play_ids(album, 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == album[0], timeout=10000)
    window.pause()
    window.library.enqueue_requested.emit([mine])           # "Add to Up next"
    for song in (a, b, c):                                  # "Play next", one song at a time
        window.library.play_next_requested.emit([song])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [a, b, c, mine, *album[1:]], timeout=5000)
    window.next_track()
    qtbot.waitUntil(lambda: window.player.current_track_id == a, timeout=10000)
