"""Songs whose files are deleted while they wait in Up next: a rescan that finds them gone
takes the rest of a list played and the suggestions of them out of Up next, as it does for a
disk not connected; a song the person queued by hand stays and says its file is gone; a song
moved (its file found elsewhere by the same scan) keeps its place."""

from __future__ import annotations

import os

import pytest

from player.library.search import FILE_GONE
from player.ui.queue_panel import ENTRY_ROLE
from player.ui.two_line import REASON_ROLE


def _reasons(window) -> dict[int, str]:
    rows = window.up_next.rows
    return {rows.index(r).data(ENTRY_ROLE).track_id: rows.index(r).data(REASON_ROLE) or ""
            for r in range(rows.rowCount())}


@pytest.mark.parametrize("found_by", ["File → Rescan", "following the folders"])
def test_songs_deleted_while_queued_leave_up_next_at_the_rescan_and_a_moved_one_keeps_its_place(
        qtbot, scanned, music, make_window, found_by):
    by_title = {t["title"]: t for t in scanned.tracks()}
    deleted, by_hand, moved = by_title["Last Chord"], by_title["Walking Bass"], by_title["Pebble Song"]
    following = found_by == "following the folders"
    window = make_window(scanned, follow=following)
    if following:
        qtbot.waitUntil(lambda: window._scan is None and str(music) in window.folder_watch.watched(), timeout=20000)
        window.folder_watch.quiet_ms = window.folder_watch.look_again_ms = 200
    model = window.model
    window.library._play_from(0)                            # as a double-click on the first row does
    playing = model.track_id(0)
    qtbot.waitUntil(lambda: window.player.current_track_id == playing, timeout=10000)
    window.pause()
    window.enqueue([by_hand["id"]])                         # the person's own pick
    after = [model.track_id(r) for r in range(1, model.rowCount())]
    assert {deleted["id"], by_hand["id"], moved["id"]} <= set(after)
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == [by_hand["id"], *after], timeout=5000)

    # In a file manager: two files deleted, one moved to another folder of the library.
    os.remove(deleted["path"])
    os.remove(by_hand["path"])
    elsewhere = music / "Moved" / os.path.basename(moved["path"])
    elsewhere.parent.mkdir()
    os.rename(moved["path"], elsewhere)
    if following:       # the watch sees the files go and looks again by itself, quietly
        qtbot.waitUntil(lambda: scanned.track_by_path(str(elsewhere)) is not None
                        and scanned.still_missing([deleted["id"], by_hand["id"]]) == 2, timeout=20000)
        qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    else:
        with qtbot.waitSignal(window.scan_finished, timeout=20000):
            window.rescan()

    assert scanned.still_missing([deleted["id"], by_hand["id"], moved["id"]]) == 2     # the moved one found
    now_moved = scanned.track_by_path(str(elsewhere))["id"]
    expected = [by_hand["id"]] + [now_moved if t == moved["id"] else t for t in after
                                  if t not in (deleted["id"], by_hand["id"])]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == expected, timeout=5000)
    qtbot.waitUntil(lambda: _reasons(window).get(by_hand["id"]) == FILE_GONE, timeout=5000)
    assert _reasons(window)[now_moved] != FILE_GONE
