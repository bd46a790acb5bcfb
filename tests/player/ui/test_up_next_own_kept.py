"""In the real window (offscreen, real SQLite, generated audio, the null engine, the plain
recommender): what the person put in Up next themselves outlives a new list or station. Songs
queued by hand, and songs they moved there (a suggestion, or a song of the list played), stay
first; the list played before and Segue's own suggestions are replaced."""

from __future__ import annotations

from tests.player.ui.test_up_next_moved_suggestions import _open_menu, _pause_on, _suggesting


def _play_next(qtbot, panel, row, track_id) -> None:
    """Play next on ``row`` from the Up next menu, until the player has it first and the list
    shows it so (the rows show a move at once, the player makes it on its thread)."""
    menu, actions = _open_menu(qtbot, panel, row)
    actions["Play next"].trigger()
    menu.close()
    player = panel.window().player
    qtbot.waitUntil(lambda: [e.track_id for e in player.queue[:1]] == [track_id], timeout=5000)
    qtbot.waitUntil(lambda: panel.track_ids()[:1] == [track_id], timeout=5000)


def test_a_new_list_keeps_the_songs_queued_and_moved_by_hand(qtbot, scanned, make_window):
    window = make_window(scanned)
    player, panel = window.player, window.up_next
    ids = [window.model.track_id(r) for r in range(8)]
    window.play_ids(ids[:4], 0, "library")               # an album: ids[1:4] follow
    _pause_on(qtbot, window, ids[0])
    window.enqueue([ids[7]])                             # Add to Up next
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[7], ids[1], ids[2], ids[3]], timeout=5000)
    _play_next(qtbot, panel, 3, ids[3])                  # the album's last song, moved to the top
    assert panel.track_ids() == [ids[3], ids[7], ids[1], ids[2]]

    # Another album is double-clicked: its songs replace the first one's, after the person's own.
    window.play_ids(ids[4:6], 0, "library")
    _pause_on(qtbot, window, ids[4])
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[3], ids[7], ids[5]], timeout=5000)
    assert [(e.source, e.manual) for e in player.queue] == [("library", True), ("queue", True), ("library", True)]

    # Kept with the rest of the state: after a restart, a third list keeps them as well.
    player.close()
    again = make_window(scanned)
    qtbot.waitUntil(lambda: again.up_next.track_ids() == [ids[3], ids[7], ids[5]], timeout=5000)
    again.play_ids([ids[6]], 0, "library")
    _pause_on(qtbot, again, ids[6])
    qtbot.waitUntil(lambda: again.up_next.track_ids() == [ids[3], ids[7]], timeout=5000)


def test_a_new_station_keeps_a_moved_suggestion_and_replaces_the_others(qtbot, scanned, make_window):
    window = _suggesting(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    qtbot.waitUntil(lambda: panel.rows.rowCount() >= 3, timeout=10000)
    s1, s2, s3 = player.queue[:3]
    _play_next(qtbot, panel, 2, s3.track_id)             # the third suggestion: the person's now
    kept = player.queue[0]
    assert kept.manual and kept.was is s3

    # Radio from another suggestion: the station's picks follow the kept one, which stays first.
    seed = s2.track_id
    window.start_radio(seed)
    qtbot.waitUntil(lambda: player.station_seed == seed and player.current_track_id == seed, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: any(e.source == "radio" for e in player.queue), timeout=10000)
    assert player.queue[0] is kept
    assert not any(e is s1 or e is s2 for e in player.queue)
    assert [e.track_id for e in player.queue].count(s3.track_id) == 1
    qtbot.waitUntil(lambda: panel.track_ids()[:1] == [s3.track_id], timeout=5000)
