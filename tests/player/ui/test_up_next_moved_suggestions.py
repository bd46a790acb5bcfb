"""In the real window (offscreen, real SQLite, generated audio, the null engine, the plain
recommender): a suggestion the person moves in Up next is theirs from then on, and stays where
they put it through the re-rank that follows an early skip; its play is still logged as
Segue's offer. The Up next menu acts on the rows chosen when it opened, whatever the list
did while it was open."""

from __future__ import annotations

import shiboken6

from player.audio.base import PlaybackState
from tests.player.ui.test_up_next_keys import _select


def _open_menu(qtbot, panel, row):
    """The Up next menu as a right-click on ``row`` opens it, and its actions by text.

    The menu closed before is let go first, as the event loop lets it go between two clicks:
    a menu that deletes itself on close, deleted while the next one is open, closes that one
    too (Qt), and its actions went with it ("already deleted", on a loaded machine, where the
    deletion came late)."""
    before = getattr(panel, "last_menu", None)
    if before is not None:
        qtbot.waitUntil(lambda: not shiboken6.isValid(before), timeout=10000)
    panel._menu(panel.list.visualRect(panel.rows.index(row, 0)).center())
    return panel.last_menu, {a.text(): a for a in panel.last_menu.actions()}


def _pause_on(qtbot, window, track_id) -> None:
    qtbot.waitUntil(lambda: window.player.current_track_id == track_id, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)


def _suggesting(qtbot, window):
    """``window`` with its first song paused and Keep it going on: Up next fills with suggestions."""
    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    _pause_on(qtbot, window, first)
    window.up_next.keep_going.setChecked(True)
    return window


def test_a_suggestion_moved_by_play_next_survives_the_rerank_and_is_logged_as_suggested(
        qtbot, scanned, make_window):
    window = _suggesting(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    qtbot.waitUntil(lambda: panel.rows.rowCount() >= 4, timeout=10000)
    s1, s2, s3, s4 = player.queue[:4]
    assert not any(e.manual for e in (s1, s2, s3, s4)) and {e.source for e in (s1, s2, s3, s4)} == {"up_next"}

    # Play next on the third suggestion, then on the fourth: [4, 3, 1, 2, ...].
    for row, want in ((2, [s3, s1, s2, s4]), (3, [s4, s3, s1, s2])):
        menu, actions = _open_menu(qtbot, panel, row)
        actions["Play next"].trigger()
        menu.close()
        qtbot.waitUntil(lambda: [e.track_id for e in player.queue[:4]] == [e.track_id for e in want],
                        timeout=5000)
        qtbot.waitUntil(lambda: panel.track_ids()[:4] == [e.track_id for e in want], timeout=5000)
    kept = player.queue[1]
    offered = player.queue[2:]                               # Segue's own picks, for a re-rank to replace

    # An early skip: the next song (the fourth suggestion) plays, and the suggestions are
    # ranked again. The third, put next by the person, stays next.
    window.next_track()
    _pause_on(qtbot, window, s4.track_id)
    qtbot.waitUntil(lambda: not any(e is o for e in player.queue for o in offered), timeout=10000)
    assert [e.track_id for e in player.queue[:1]] == [s3.track_id] and player.queue[0] is kept
    assert kept.manual and kept.source == "up_next"
    qtbot.waitUntil(lambda: panel.track_ids()[:1] == [s3.track_id], timeout=5000)
    assert [e.track_id for e in player.queue].count(s3.track_id) == 1

    # Played, it is logged as the suggestion it came as.
    window.next_track()
    _pause_on(qtbot, window, s3.track_id)
    window.next_track()
    qtbot.waitUntil(lambda: player.current_track_id not in (s3.track_id, None), timeout=10000)
    window.pause()
    plays = [p for p in scanned.plays() if p["track_id"] == s3.track_id]
    assert plays and plays[-1]["source"] == "up_next"


def _fourth_suggestion_moved_up(qtbot, window):
    """``window`` suggesting (see :func:`_suggesting`), its fourth suggestion moved up one row
    with the keys (Alt+Up); the window and the suggestions' track ids as they were before."""
    window = _suggesting(qtbot, window)
    player, panel = window.player, window.up_next
    qtbot.waitUntil(lambda: panel.rows.rowCount() >= 4, timeout=10000)
    ids = [e.track_id for e in player.queue]
    _select(panel.list, [3])
    panel.move_selected(-1)
    # (the rows show the move at once; the player makes it on its thread)
    qtbot.waitUntil(lambda: [e.track_id for e in player.queue[:4]] == [ids[0], ids[1], ids[3], ids[2]],
                    timeout=5000)
    qtbot.waitUntil(lambda: panel.track_ids()[:4] == [ids[0], ids[1], ids[3], ids[2]], timeout=5000)
    return window, ids


def test_a_suggestion_moved_with_the_keys_stays_selected_and_moves_on(qtbot, scanned, make_window):
    # Moved, the suggestion becomes the person's: the row stays on it, selected, so a second
    # Alt+Up moves it on (and the player finds it, though the list named the entry it was).
    window, ids = _fourth_suggestion_moved_up(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    assert player.queue[2].manual
    assert [e.track_id for e in panel._selected_entries()] == [ids[3]]
    panel.move_selected(-1)
    qtbot.waitUntil(lambda: [e.track_id for e in player.queue[:4]] == [ids[0], ids[3], ids[1], ids[2]],
                    timeout=5000)
    qtbot.waitUntil(lambda: panel.track_ids()[:4] == [ids[0], ids[3], ids[1], ids[2]], timeout=5000)
    assert [e.track_id for e in panel._selected_entries()] == [ids[3]]
    assert [e.manual for e in player.queue[:3]] == [False, True, False]


def test_the_up_next_menu_moves_the_rows_chosen_when_it_opened(qtbot, scanned, make_window):
    window = make_window(scanned)
    panel = window.up_next
    ids = [window.model.track_id(r) for r in range(6)]
    a, b, c, d, e, y = ids
    window.enqueue([a, b, c, d, e])
    qtbot.waitUntil(lambda: panel.track_ids() == [a, b, c, d, e], timeout=5000)

    # b, c and d chosen; while the menu is open a song is put in among them (a file dropped
    # on Up next from elsewhere: the list refreshes). Move to end moves b, c and d, not it.
    _select(panel.list, [1, 2, 3])
    menu, actions = _open_menu(qtbot, panel, 2)
    window.player.enqueue([y], before=[window.player.queue[3]])
    qtbot.waitUntil(lambda: panel.track_ids() == [a, b, c, y, d, e], timeout=5000)
    actions["Move to end"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == [a, y, e, b, c, d], timeout=5000)

    # One row right-clicked; a song ends meanwhile (the first goes): Play next moves that row.
    panel.list.clearSelection()
    menu, actions = _open_menu(qtbot, panel, 3)                 # b
    window.player.remove_queue_entries([window.player.queue[0]])
    qtbot.waitUntil(lambda: panel.track_ids() == [y, e, b, c, d], timeout=5000)
    actions["Play next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == [b, y, e, c, d], timeout=5000)


def test_a_suggestion_moved_keeps_its_reason_when_the_reasons_are_given_again(qtbot, scanned, make_window):
    # The reasons are given again (a history forgotten or taken out): the suggestion the
    # person moved is still Segue's offer, shown as one, and gets its reason back with the rest.
    window = _suggesting(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    qtbot.waitUntil(lambda: panel.rows.rowCount() >= 3, timeout=10000)
    s1, s2, s3 = player.queue[:3]
    menu, actions = _open_menu(qtbot, panel, 2)
    actions["Play next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: player.queue[0].track_id == s3.track_id and player.queue[0].manual, timeout=5000)
    window._explain_again()
    qtbot.waitUntil(lambda: {s1.track_id, s2.track_id} <= set(window.reasons), timeout=10000)
    assert s3.track_id in window.reasons
