"""A suggestion the person moves in Up next is theirs to keep (see ``Player.move_queue_entries``),
over the null engine with real files and every play logged: "never suggest it" still takes it
out, the song opened ahead for it joins on and is logged once, and the queue saved keeps it."""

from __future__ import annotations

from player.playback import STATE_SETTING
from tests.player.test_playback import Events, add_tracks, wait_for


def _station(store, tmp_path, make_player, seconds=(5.0, 5.0, 5.0, 5.0), speed=4.0):
    """A station playing its seed (paused, unless ``speed`` is to let it run): its picks,
    Segue's suggestions, queued after it."""
    ids = add_tracks(store, tmp_path, [(f"t{i}", s) for i, s in enumerate(seconds)])
    p = make_player(speed=speed)
    p.start_station(ids[0], ids[1:])
    assert wait_for(lambda: p.current_track_id == ids[0])
    return p, ids


def test_never_suggesting_a_kept_suggestion_takes_it_out_but_not_a_song_queued_by_hand(
        store, tmp_path, make_player):
    p, ids = _station(store, tmp_path, make_player)
    p.pause()
    s1, s2, s3 = p.queue
    p.move_queue_entries([s3], [s1])                     # Play next: the person keeps it
    kept = p.queue[0]
    assert kept.track_id == ids[3] and kept.manual and kept.source == "radio"
    p.enqueue([ids[3]])                                  # and queues the same song from the library
    assert [e.track_id for e in p.queue] == [ids[3], ids[3], ids[1], ids[2]]
    # "Don't suggest this song": Segue's offer of it leaves, moved or not; the person's own stays.
    assert p.leave_out([ids[3]]) == 1
    assert [(e.track_id, e.source) for e in p.queue] == [(ids[3], "queue"), (ids[1], "radio"), (ids[2], "radio")]


def test_a_kept_suggestion_already_heard_as_the_next_song_is_logged_once(store, tmp_path, make_player):
    # The first pick is opened ahead to follow the seed without a gap, and the engine has
    # gone on into it; the person moves it (kept) before the player hears of the hand-over.
    # The source the engine plays names the entry it was opened for: the play is logged once,
    # as the station's pick, and it leaves Up next (not heard a second time as the kept one).
    p, ids = _station(store, tmp_path, make_player, seconds=(0.5, 5.0, 5.0, 5.0), speed=1.0)
    ev = Events(p)
    s1, s2, s3 = p.queue
    with p._lock:                                        # the player's word of the hand-over waits
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.token is s1)
        assert p.move_queue_entries([s1], [s2]) == 1     # Play next on the song next already
        assert p.queue[0].was is s1 and p.queue[0].manual
    assert wait_for(lambda: p.current_track_id == ids[1])
    assert wait_for(lambda: [e.track_id for e in p.queue] == [ids[2], ids[3]])
    p.pause()
    assert [d["track_id"] for d in ev.of("track_started")] == [ids[1]]
    assert wait_for(lambda: len(store.plays()) == 2)
    assert [(r["track_id"], r["source"]) for r in store.plays()] == [(ids[0], "library"), (ids[1], "radio")]


def test_a_suggestion_moved_twice_is_still_found_by_the_entry_first_shown(store, tmp_path, make_player):
    # A list not refreshed between moves names the entry it showed first: a second move is
    # the person's own entry moved (no new one), and a removal naming the first takes it.
    p, ids = _station(store, tmp_path, make_player)
    p.pause()
    s1, s2, s3 = p.queue
    p.move_queue_entries([s3], [s1])
    kept = p.queue[0]
    assert p.move_queue_entries([s3], []) == 1           # Move to end, named by the old entry
    assert p.queue[-1] is kept and kept.was is s3 and kept.was.was is None   # (no chain: kept, not replaced again)
    assert p.remove_queue_entries([s3]) == 1
    assert [e.track_id for e in p.queue] == [ids[1], ids[2]]


def test_a_kept_suggestion_is_kept_after_a_restart(store, tmp_path, make_player):
    p, ids = _station(store, tmp_path, make_player)
    p.pause()
    p.restore_state()                                    # (saves from now on, as the window's does)
    s1, s2, s3 = p.queue
    p.move_queue_entries([s3], [s1])
    p.close()
    saved = store.get_setting(STATE_SETTING)
    assert saved["queue"][0] == [ids[3], "radio", True, 0, True]
    again = make_player()
    assert again.restore_state() is not None
    assert [(e.track_id, e.source, e.manual, e.placed) for e in again.queue] == [
        (ids[3], "radio", True, True), (ids[1], "radio", False, False), (ids[2], "radio", False, False)]


def test_songs_dropped_before_a_moved_suggestion_named_by_its_old_entry_go_there(store, tmp_path, make_player):
    # Files dropped on Up next just after a move, the list not refreshed yet: the row they
    # went before names the entry the kept one stands in for; they go before it, not at the end.
    p, ids = _station(store, tmp_path, make_player, seconds=(5.0, 5.0, 5.0, 5.0, 5.0))
    p.pause()
    s1, s2, s3, s4 = p.queue
    p.move_queue_entries([s3], [s1])
    p.enqueue([ids[0]], before=[s3, s1, s2, s4])
    assert [e.track_id for e in p.queue] == [ids[0], ids[3], ids[1], ids[2], ids[4]]


def test_a_kept_suggestion_taken_out_is_passed_over_as_any_suggestion_is(store, tmp_path, make_player):
    # Moved, a suggestion is the person's to keep, and still Segue's offer: taken out of Up
    # next after all, it is an offer turned down, kept out of the next fills of the session as
    # any suggestion taken out is. Only songs the person queued themselves are not passed over.
    p, ids = _station(store, tmp_path, make_player)
    p.pause()
    s1, s2, s3 = p.queue
    p.move_queue_entries([s3], [s1])                     # Play next on it: kept
    p.enqueue([ids[1]])                                  # and a song queued by hand
    assert p.remove_queue_entries([s3]) == 1             # (named by the entry the list showed)
    assert p.passed_over == {ids[3]}
    mine = next(e for e in p.queue if e.source == "queue")
    assert p.remove_queue_entries([mine]) == 1
    assert p.passed_over == {ids[3]}
