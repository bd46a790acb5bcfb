"""In the real window (offscreen, real SQLite, generated audio, the null engine): Up next saved
as a playlist while the list repeats holds each song of the list once."""

from __future__ import annotations


def _saved(qtbot, window, store, name: str) -> list[int]:
    window.save_up_next_as_playlist(name)
    qtbot.waitUntil(lambda: any(p["name"] == name for p in store.playlists()), timeout=5000)
    pid = next(p["id"] for p in store.playlists() if p["name"] == name)
    return store.playlist_track_ids(pid)


def test_up_next_saved_under_repeat_all_is_the_list_once_round(qtbot, scanned, make_window):
    # Repeat all queues a copy of each song for the next round as it starts: saved, the song
    # playing was in the playlist twice, first and last, and each song played before it again.
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    player = window.player
    window.set_repeat("all")
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == ids[0], timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [*ids[1:], ids[0]], timeout=5000)
    assert _saved(qtbot, window, scanned, "first") == ids
    window.next_track()                                 # on to the second: the first comes round last
    qtbot.waitUntil(lambda: player.current_track_id == ids[1], timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [*ids[2:], ids[0], ids[1]], timeout=5000)
    assert _saved(qtbot, window, scanned, "second") == [*ids[1:], ids[0]]
    # A song queued by hand twice is the person's: both stay.
    window.enqueue([ids[3], ids[3]])
    qtbot.waitUntil(lambda: window.up_next.track_ids()[:2] == [ids[3], ids[3]], timeout=5000)
    assert _saved(qtbot, window, scanned, "third") == [ids[1], ids[3], ids[3], ids[2], ids[3], ids[0]]
