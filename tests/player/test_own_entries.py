"""Up next's own entries: a song queued by hand and one the person moved are theirs alike, over
the null engine with real files. Shuffle keeps them first together, a song queued by hand goes
after them, and Ctrl+Z brings back none of what a forget or repeat off has done with."""

from __future__ import annotations

from player.audio.base import PlaybackState
from player.playback import STATE_SETTING
from tests.player.test_playback import add_tracks, wait_for


def _list(store, tmp_path, make_player, n, more=0, seconds=5.0):
    """A list of ``n`` songs played, paused on its first (and ``more`` songs in the library after them)."""
    ids = add_tracks(store, tmp_path, [(f"t{i}", seconds) for i in range(n + more)])
    p = make_player()
    p.play_tracks(ids[:n], source="library")
    assert wait_for(lambda: p.current_track_id == ids[0])
    p.pause()
    return p, ids


def _entry(p, track_id):
    return next(e for e in p.queue if e.track_id == track_id)


def test_shuffle_keeps_the_songs_the_person_moved_first_with_those_queued_by_hand(store, tmp_path, make_player):
    # Moved in Up next, a song of the list is theirs (a new list keeps it first, as it keeps
    # the songs queued by hand); shuffle mixed it into the list, to anywhere in twenty songs.
    p, ids = _list(store, tmp_path, make_player, 21, more=2)
    p.enqueue(ids[21:23])                                       # two songs queued by hand
    p.move_queue_entries([_entry(p, ids[15])], [])              # Move to end on one of the list
    p.move_queue_entries([_entry(p, ids[9])], [_entry(p, ids[1])])   # one dragged just after theirs
    mine = {ids[21], ids[22], ids[9]}
    assert {e.track_id for e in p.queue if e.own} == mine | {ids[15]}
    p.set_shuffle(True)
    queue = [e.track_id for e in p.queue]
    # (the one sent to the end is theirs too, and stays last: see the test below)
    assert set(queue[:3]) == mine and queue[-1] == ids[15]
    assert sorted(queue[3:-1]) == sorted(set(ids[1:21]) - mine - {ids[15]})
    p.set_shuffle(False)                                        # the order they were in comes back
    moved = mine | {ids[15]}
    assert [e.track_id for e in p.queue] == [ids[21], ids[22], ids[9], *(t for t in ids[1:21] if t not in moved),
                                             ids[15]]
    p.stop()


def test_a_song_queued_by_hand_goes_after_the_ones_the_person_placed_after_their_own(store, tmp_path, make_player):
    # Add to Up next put the song after the last one queued by hand: before a song the person
    # had just dragged there, as if their own order counted for less than the list's.
    p, ids = _list(store, tmp_path, make_player, 6, more=2)
    p.enqueue([ids[6]])
    p.move_queue_entries([_entry(p, ids[4])], [_entry(p, ids[1])])    # dragged just after their song
    p.move_queue_entries([_entry(p, ids[2])], [])                     # and one moved to the end
    p.enqueue([ids[7]])
    # After the one placed with theirs; not after the one sent to the end of the list.
    assert [e.track_id for e in p.queue] == [ids[6], ids[4], ids[7], ids[1], ids[3], ids[5], ids[2]]
    p.stop()


def test_a_song_queued_by_hand_goes_after_a_song_moved_to_the_top(store, tmp_path, make_player):
    # None queued by hand yet: Play next on a song of the list, then Add to Up next. It went to
    # the top, before the song the person had just asked to hear next.
    p, ids = _list(store, tmp_path, make_player, 5, more=1)
    p.move_queue_entries([_entry(p, ids[3])], p.queue)
    p.enqueue([ids[5]])
    assert [e.track_id for e in p.queue] == [ids[3], ids[5], ids[1], ids[2], ids[4]]
    p.stop()


def test_ctrl_z_after_a_forget_brings_back_the_persons_songs_not_the_suggestions(store, tmp_path, make_player):
    # A station's picks were ranked from the session: cleared, then the history forgotten,
    # Ctrl+Z queued them again, and the forgotten listening steered Up next once more.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 5.0) for i in range(6)])
    p = make_player()
    p.start_station(ids[0], ids[1:4])
    assert wait_for(lambda: p.current_track_id == ids[0])
    p.pause()
    p.enqueue([ids[5]])                                         # a song queued by hand
    p.move_queue_entries([_entry(p, ids[3])], [])               # and a pick the person kept
    assert p.clear_queue() == 4
    store.forget_history()
    p.forget_session()
    assert p.put_back() == 2
    assert [(e.track_id, e.source) for e in p.queue] == [(ids[5], "queue"), (ids[3], "radio")]
    p.stop()


def test_ctrl_z_after_repeat_all_went_off_brings_back_no_copy_of_the_next_round(store, tmp_path, make_player):
    # Repeat all turned off takes the next round out of Up next; a Clear just before it was put
    # back with that round's copies, and the list went round again with the repeat off.
    p, ids = _list(store, tmp_path, make_player, 4)
    p.set_repeat("all")
    assert [(e.track_id, e.lap) for e in p.queue] == [(ids[1], 0), (ids[2], 0), (ids[3], 0), (ids[0], 1)]
    assert p.clear_queue() == 4
    p.set_repeat("off")
    assert p.put_back() == 3
    assert [(e.track_id, e.lap) for e in p.queue] == [(ids[1], 0), (ids[2], 0), (ids[3], 0)]
    p.stop()


def test_a_copy_the_person_placed_after_their_own_is_not_dropped_when_theirs_begins(store, tmp_path, make_player):
    # A song queued by hand that is the list's next takes that entry's place as it begins (the
    # list goes on after it). The entry taken was the first not queued by hand, which could be
    # a second hearing the person had dragged there themselves: it went without a word.
    p, ids = _list(store, tmp_path, make_player, 5)
    p.enqueue([ids[3]])                                         # queued by hand
    p.move_queue_entries([p.queue[-2]], [_entry(p, ids[1])])    # and the album's copy dragged after it
    assert [(e.track_id, e.placed) for e in p.queue] == [(ids[3], False), (ids[3], True), (ids[1], False),
                                                         (ids[2], False), (ids[4], False)]
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[3])
    assert [e.track_id for e in p.queue] == [ids[3], ids[1], ids[2], ids[4]]
    p.stop()


def test_the_lists_own_copy_after_a_placed_song_still_goes_when_the_hand_queued_one_begins(
        store, tmp_path, make_player):
    # A song the person placed after theirs is theirs too, not where the list goes on: the list's
    # next song, the same as the one queued by hand, still followed it and was heard twice.
    p, ids = _list(store, tmp_path, make_player, 5)
    p.enqueue([ids[1]])                                         # the album's next, queued by hand
    p.move_queue_entries([_entry(p, ids[4])], [p.queue[1]])     # another song dragged just after it
    assert [(e.track_id, e.own) for e in p.queue] == [(ids[1], True), (ids[4], True), (ids[1], False),
                                                      (ids[2], False), (ids[3], False)]
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[1])
    assert [e.track_id for e in p.queue] == [ids[4], ids[2], ids[3]]
    p.stop()


def test_shuffle_leaves_the_songs_sent_to_the_end_last(store, tmp_path, make_player):
    # Move to end on songs of the list and on one queued by hand, then shuffle: they were the
    # person's own, so shuffle put them first, to play next; they had asked to hear them last.
    p, ids = _list(store, tmp_path, make_player, 12, more=2)
    p.enqueue(ids[12:14])                                       # two songs queued by hand
    ends = [_entry(p, ids[4]), _entry(p, ids[7]), _entry(p, ids[13])]
    p.move_queue_entries(ends, [])                              # Move to end on three of them
    last = {ids[4], ids[7], ids[13]}
    for _ in range(8):                                          # (wherever the random order falls)
        p.set_shuffle(True)
        queue = [e.track_id for e in p.queue]
        assert queue[0] == ids[12], queue                       # the one still theirs to hear next
        assert set(queue[-3:]) == last, queue                   # the three sent to the end, mixed, last
        assert sorted(queue[1:-3]) == sorted(set(ids[1:12]) - last)
        p.set_shuffle(False)
        assert [e.track_id for e in p.queue] == [ids[12], *(t for t in ids[1:12] if t not in last),
                                                 ids[4], ids[7], ids[13]]
    p.stop()


def test_a_song_queued_by_hand_goes_before_the_list_when_theirs_was_sent_to_the_end(store, tmp_path, make_player):
    # Add to Up next goes after the last song queued by hand: when that one had been sent to the
    # end (Move to end), the new song went after the whole list too, not before it as queued.
    p, ids = _list(store, tmp_path, make_player, 4, more=3)
    p.enqueue([ids[4]])
    p.move_queue_entries([_entry(p, ids[4])], [])               # Move to end on it
    p.enqueue([ids[5]])
    assert [e.track_id for e in p.queue] == [ids[5], ids[1], ids[2], ids[3], ids[4]]
    p.enqueue([ids[6]])                                         # and the next after that one
    assert [e.track_id for e in p.queue] == [ids[5], ids[6], ids[1], ids[2], ids[3], ids[4]]
    p.stop()


def test_ctrl_z_takes_back_the_latest_move_before_the_removal_before_it(store, tmp_path, make_player):
    # Ctrl+Z put back only what was taken out: a drag to the wrong place could not be taken
    # back, and Ctrl+Z just after it brought back a song deleted minutes before, the drag left.
    p, ids = _list(store, tmp_path, make_player, 6, more=1)
    p.enqueue([ids[6]])
    start = [ids[6], *ids[1:6]]
    assert p.remove_queue_entries([_entry(p, ids[5])]) == 1     # a song deleted
    p.move_queue_entries([_entry(p, ids[2]), _entry(p, ids[4])], [])     # two of the album sent to the end
    p.move_queue_entries([_entry(p, ids[3])], p.queue)          # and one to the top
    assert [e.track_id for e in p.queue] == [ids[3], ids[6], ids[1], ids[2], ids[4]]
    assert p.undo() == ("moved", 1)                             # the latest move first
    assert [e.track_id for e in p.queue] == [ids[6], ids[1], ids[3], ids[2], ids[4]]
    assert p.undo() == ("moved", 2)
    assert [(e.track_id, e.placed) for e in p.queue] == [(t, False) for t in start[:-1]]   # no longer theirs
    assert p.undo() == ("put back", 1)                          # then the song deleted
    assert [e.track_id for e in p.queue] == start
    assert p.undo() == ("put back", 0)                          # and that is all
    p.move_queue_entries([_entry(p, ids[1])], [])
    p.remove_queue_entries([_entry(p, ids[2])])                 # a removal after a move: first back
    assert p.undo() == ("put back", 1)
    assert [e.track_id for e in p.queue] == [ids[6], ids[2], ids[3], ids[4], ids[5], ids[1]]
    assert p.undo() == ("moved", 1) and p.undo() == ("put back", 0)      # then the move
    assert [e.track_id for e in p.queue] == start
    p.stop()


def test_ctrl_z_puts_back_each_of_several_removals_the_latest_first(store, tmp_path, make_player):
    # Two songs deleted one after the other: Ctrl+Z put back the second only, and the first was
    # lost for good, though a slip of the key is what Ctrl+Z is there for.
    p, ids = _list(store, tmp_path, make_player, 1, more=5)
    p.enqueue(ids[1:6])
    assert p.remove_queue_entries([_entry(p, ids[2])]) == 1
    assert p.remove_queue_entries([_entry(p, ids[4]), _entry(p, ids[5])]) == 2
    assert p.undo() == ("put back", 2)
    assert [e.track_id for e in p.queue] == [ids[1], ids[3], ids[4], ids[5]]
    assert p.put_back() == 1
    assert [e.track_id for e in p.queue] == ids[1:6]
    assert p.undo() == ("put back", 0)
    p.stop()


def test_ctrl_z_takes_back_a_move_made_while_shuffling_in_the_order_shuffle_off_brings_back(
        store, tmp_path, make_player):
    p, ids = _list(store, tmp_path, make_player, 8)
    p.set_shuffle(True)
    shuffled = [e.track_id for e in p.queue]
    p.move_queue_entries([p.queue[3]], p.queue)                 # Play next on one
    assert p.undo() == ("moved", 1)
    assert [e.track_id for e in p.queue] == shuffled
    p.set_shuffle(False)
    assert [e.track_id for e in p.queue] == ids[1:8]
    p.stop()


def test_keep_it_going_turned_on_while_paused_fills_up_next_at_once(store, tmp_path, make_player):
    # It filled only at the engine's next word; paused, none comes: Up next stayed short until
    # play went on. (The engine's word of the pause is let pass first, as it had on a busy
    # machine: that is when the fill was missed.)
    import time

    p, ids = _list(store, tmp_path, make_player, 1, more=6)
    p.set_queue_filler(lambda player, replacing=0: [(t, "up_next") for t in ids[3:5]])
    p.enqueue(ids[1:3])
    assert wait_for(lambda: p.engine.state is PlaybackState.PAUSED)
    time.sleep(0.5)
    p.keep_going = True
    assert wait_for(lambda: len(p.queue) == 4, timeout=5.0)
    assert [e.track_id for e in p.queue] == ids[1:5]
    p.stop()


def _two_suggestions_at_a_time(ids):
    """A queue filler suggesting ``ids`` in turn, two at each fill."""
    pool = iter(ids)
    return lambda player, replacing=0: [(t, "up_next") for t in (next(pool), next(pool))]


def _put_back_after_a_refill(p, was) -> list[int]:
    """Clear ``p``'s Up next (``was``, by track), let Keep it going suggest again, then Ctrl+Z:
    Up next by track as it is then, all of ``was`` put back."""
    assert p.clear_queue() == len(was)
    assert wait_for(lambda: len(p.queue) >= 2)                  # suggested again
    assert p.put_back() == len(was)
    return [e.track_id for e in p.queue]


def test_ctrl_z_after_clear_puts_the_persons_songs_first_again_when_keep_it_going_refilled(
        store, tmp_path, make_player):
    # Cleared with Keep it going on, Up next filled again with suggestions at once; Ctrl+Z put
    # the person's own songs back after all of them, where nothing they queued had been.
    p, ids = _list(store, tmp_path, make_player, 1, more=12)
    p.set_queue_filler(_two_suggestions_at_a_time(ids[5:]))
    p.enqueue(ids[1:3])
    p.keep_going = True
    assert wait_for(lambda: len(p.queue) >= 4)
    was = [e.track_id for e in p.queue]
    queue = _put_back_after_a_refill(p, was)
    assert queue[:2] == ids[1:3]                                # theirs first, as they were
    assert set(was) <= set(queue) and len(queue) == len(set(queue))
    p.stop()


def test_ctrl_z_after_clear_puts_the_lists_songs_back_before_the_suggestions_keep_it_going_added(
        store, tmp_path, make_player):
    # Cleared with Keep it going on, Up next filled again with suggestions at once; Ctrl+Z put
    # the rest of the album playing after all of them, though it had been before any suggestion.
    p, ids = _list(store, tmp_path, make_player, 4, more=12)
    p.set_queue_filler(_two_suggestions_at_a_time(ids[6:]))
    p.enqueue(ids[4:6])
    p.keep_going = True
    was = [ids[4], ids[5], ids[1], ids[2], ids[3]]
    assert [e.track_id for e in p.queue] == was
    queue = _put_back_after_a_refill(p, was)
    assert queue[:5] == was and set(queue[5:]) <= set(ids[6:])  # theirs, then the album, as they were
    p.stop()


def test_a_move_taken_back_follows_a_track_a_scan_merged_since(store, tmp_path, make_player):
    # A song of the list moved is another entry, the person's: taken back, the entry it stood
    # in for comes back, and it follows the merge as the one queued did.
    p, ids = _list(store, tmp_path, make_player, 4, more=1)
    p.move_queue_entries([_entry(p, ids[3])], p.queue)
    p.renumber({ids[3]: ids[4]})
    assert p.undo() == ("moved", 1)
    assert [(e.track_id, e.placed) for e in p.queue] == [(ids[1], False), (ids[2], False), (ids[4], False)]
    p.stop()


def test_ctrl_z_takes_back_a_move_in_both_orders_when_shuffle_was_turned_on_or_off_since(
        store, tmp_path, make_player):
    # Moved with shuffle off, then shuffle on, Ctrl+Z left the order shuffle off goes back to as
    # the move made it: shuffle off put the song taken back at the top again. Moved while
    # shuffling, then shuffle off, the song went back before the one that followed it in the
    # shuffled order, among songs it had never been near.
    p, ids = _list(store, tmp_path, make_player, 10)
    p.move_queue_entries([_entry(p, ids[5])], p.queue)          # Play next, shuffle off
    p.set_shuffle(True)
    assert p.undo() == ("moved", 1)
    p.set_shuffle(False)
    assert [e.track_id for e in p.queue] == ids[1:10]
    p.set_shuffle(True)
    queue = [e.track_id for e in p.queue]
    # (one whose neighbour in the shuffled order is not the one in the order it goes back to)
    song = next(t for t, after in zip(queue[1:], queue[2:]) if after != t + 1)
    p.move_queue_entries([_entry(p, song)], p.queue)            # Play next while shuffling
    p.set_shuffle(False)
    assert p.undo() == ("moved", 1)
    assert [e.track_id for e in p.queue] == ids[1:10]
    p.stop()


def test_a_key_press_whose_first_stretch_moved_nothing_is_a_step_of_its_own(store, tmp_path, make_player):
    # Alt+Down on rows apart asks for each stretch as a move, the first not joined to the one
    # before. Where the first moved nothing (its song began playing just before the player took
    # the press), the next stretch went into the previous press's step: Ctrl+Z took both back.
    p, ids = _list(store, tmp_path, make_player, 6)
    p.move_queue_entries([_entry(p, ids[2])], [_entry(p, ids[4])])          # the first press
    assert [e.track_id for e in p.queue] == [ids[1], ids[3], ids[2], ids[4], ids[5]]
    top = _entry(p, ids[1])
    p.next()                                                    # the top song plays: the press's first
    assert wait_for(lambda: p.current_track_id == ids[1])       # stretch, sent as it began, finds it gone
    assert p.move_queue_entries([top], [_entry(p, ids[3])]) == 0
    assert p.move_queue_entries([_entry(p, ids[5])], [_entry(p, ids[4])], joined=True) == 1
    assert [e.track_id for e in p.queue] == [ids[3], ids[2], ids[5], ids[4]]
    assert p.undo() == ("moved", 1)                             # the second press only
    assert [e.track_id for e in p.queue] == [ids[3], ids[2], ids[4], ids[5]]
    assert p.undo() == ("moved", 1)                             # then the first
    assert [e.track_id for e in p.queue] == [ids[2], ids[3], ids[4], ids[5]]
    p.stop()


def test_a_song_sent_to_the_end_stays_last_after_keep_it_going_adds_more_and_a_restart(
        store, tmp_path, make_player):
    # Sent to the end was read from where a song was: once Keep it going added suggestions
    # after it, it was an ordinary song of theirs again. Shuffle put it first, and a song
    # queued by hand went after it, behind the list it had been sent past.
    # (songs long enough that the first cannot end before it is paused on a busy machine)
    p, ids = _list(store, tmp_path, make_player, 2, more=6, seconds=30.0)
    p.restore_state()                                           # (saves from now on, as the window's does)
    p.set_queue_filler(_two_suggestions_at_a_time(ids[4:]))
    p.enqueue([ids[2]])
    p.move_queue_entries([_entry(p, ids[2])], [])               # Move to end on the song queued
    p.keep_going = True
    assert wait_for(lambda: len(p.queue) == 4)                  # two suggestions after it
    assert [e.track_id for e in p.queue] == [ids[1], ids[2], ids[4], ids[5]]
    p.set_shuffle(True)
    assert p.queue[-1].track_id == ids[2], [e.track_id for e in p.queue]
    p.set_shuffle(False)
    p.enqueue([ids[3]])                                         # queued by hand: before the list
    assert [e.track_id for e in p.queue] == [ids[3], ids[1], ids[2], ids[4], ids[5]]
    for _ in range(6):                                          # (wherever the random order falls)
        p.set_shuffle(True)
        queue = [e.track_id for e in p.queue]
        assert queue[0] == ids[3] and queue[-1] == ids[2], queue
        p.set_shuffle(False)
    p.close()
    saved = store.get_setting(STATE_SETTING)["queue"]
    assert [q[0] for q in saved] == [ids[3], ids[1], ids[2], ids[4], ids[5]]
    assert saved[2] == [ids[2], "queue", True, 0, False, True] and len(saved[0]) == 3   # (others as before)

    again = make_player()                                       # a restart keeps it sent to the end
    assert again.restore_state() is not None
    assert [e.sent_to_end for e in again.queue] == [False, False, True, False, False]
    again.set_shuffle(True)
    queue = [e.track_id for e in again.queue]
    assert queue[0] == ids[3] and queue[-1] == ids[2], queue
    again.set_shuffle(False)
    # Moved elsewhere (Play next), it is an ordinary song of theirs again; Ctrl+Z sends it back.
    again.move_queue_entries([_entry(again, ids[2])], again.queue)
    assert not again.queue[0].sent_to_end
    again.enqueue([ids[6]])                                     # (after it: one of theirs again)
    assert [e.track_id for e in again.queue] == [ids[2], ids[3], ids[6], ids[1], ids[4], ids[5]]
    assert again.undo() == ("moved", 1)
    assert [(e.track_id, e.sent_to_end) for e in again.queue][-3:] == [
        (ids[2], True), (ids[4], False), (ids[5], False)]


def test_a_song_sent_to_the_end_stays_after_a_new_list_and_is_next_again_after_previous(
        store, tmp_path, make_player):
    # A new list keeps the person's own songs before it: one they had sent to the end came
    # before the new album, and shuffle then sent it after it. Gone back to with Previous, it
    # is next, and no longer one to hear last.
    p, ids = _list(store, tmp_path, make_player, 3, more=4, seconds=30.0)
    p.enqueue(ids[3:5])
    p.move_queue_entries([_entry(p, ids[3])], [])               # Move to end
    p.play_tracks(ids[5:7], source="library")                   # a new album: theirs stay, that one last
    assert wait_for(lambda: p.current_track_id == ids[5])
    p.pause()
    assert [e.track_id for e in p.queue] == [ids[4], ids[6], ids[3]]
    for t in (ids[4], ids[6], ids[3]):                          # on to it
        p.next()
        assert wait_for(lambda: p.current_track_id == t)
    p.previous()
    assert wait_for(lambda: p.current_track_id == ids[6])
    assert [(e.track_id, e.sent_to_end) for e in p.queue] == [(ids[3], False)]
    p.stop()


def test_songs_dropped_below_the_list_are_sent_to_the_end_and_on_their_own_songs_are_not(
        store, tmp_path, make_player):
    # Files dropped below the last row, after the list: the person put them after it, as Move to
    # end does, and they stay last once Keep it going adds more. Dropped on an Up next of their
    # own songs only, they are just added, and a song queued by hand later goes after them.
    p, ids = _list(store, tmp_path, make_player, 3, more=4, seconds=30.0)
    p.enqueue([ids[3]], before=[])
    assert p.queue[-1].sent_to_end
    p.enqueue([ids[4]])
    assert [e.track_id for e in p.queue] == [ids[4], ids[1], ids[2], ids[3]]
    p.clear_queue()
    p.enqueue([ids[5]])
    p.enqueue([ids[6]], before=[])
    assert [(e.track_id, e.sent_to_end) for e in p.queue] == [(ids[5], False), (ids[6], False)]
    p.stop()


def test_a_song_moved_last_among_their_own_songs_only_is_not_sent_to_the_end(store, tmp_path, make_player):
    # On an Up next of their own songs only, a song moved onto the last row (Alt+Down, Move to
    # end) is not after any list: it was read as sent to the end, and a song queued by hand
    # after that went before it, as a file dropped there is not.
    p, ids = _list(store, tmp_path, make_player, 1, more=4, seconds=30.0)
    p.pause()
    p.enqueue(ids[1:4])
    assert p.move_queue_entries([_entry(p, ids[2])], []) == 1
    assert [(e.track_id, e.sent_to_end) for e in p.queue] == [(ids[1], False), (ids[3], False), (ids[2], False)]
    p.enqueue([ids[4]])
    assert [e.track_id for e in p.queue] == [ids[1], ids[3], ids[2], ids[4]]
    # Moved after one sent to the end, a song is sent there too, though all before it are theirs.
    p.queue[0].send_to_end(True)
    p.move_queue_entries([_entry(p, ids[2])], [])
    assert p.queue[-1].sent_to_end and p.queue[-1].track_id == ids[2]
    p.stop()


def test_songs_dropped_while_shuffling_stay_where_they_were_dropped_with_shuffle_off_and_on(
        store, tmp_path, make_player):
    # Dropped below the last row while shuffling, files went last in Up next; turned off,
    # shuffle put them back among the songs queued by hand, at the top, where the person had
    # never put them. Dropped among the shuffled rows, they go just before the song shown
    # after them in both orders, as a drag of rows there does.
    p, ids = _list(store, tmp_path, make_player, 6, more=3, seconds=30.0)
    p.enqueue([ids[6]])                                         # one song queued by hand
    p.set_shuffle(True)
    p.enqueue([ids[7]], before=[])                              # below the last row
    assert p.queue[-1].track_id == ids[7] and p.queue[-1].sent_to_end
    shown = p.queue
    p.enqueue([ids[8]], before=shown[3:])                       # just before the fourth row
    assert [e.track_id for e in p.queue] == [*(e.track_id for e in shown[:3]), ids[8],
                                             *(e.track_id for e in shown[3:])]
    after_drop = shown[3].track_id
    p.set_shuffle(False)
    off = [e.track_id for e in p.queue]
    assert off[-1] == ids[7]                                    # last, as dropped
    assert off.index(ids[8]) == off.index(after_drop) - 1       # before the song it was dropped on
    p.set_shuffle(True)
    assert p.queue[-1].track_id == ids[7]
    p.stop()


def test_ctrl_z_puts_a_song_back_in_its_place_in_both_orders_shuffle_turned_on_or_off_since(
        store, tmp_path, make_player):
    # Deleted, shuffle turned on, Ctrl+Z: the song came back, but the order shuffle off goes
    # back to never had it, and it went last when shuffle went off. Deleted while shuffling and
    # put back once shuffle was off, it went before the song that followed it in the shuffled
    # order, somewhere in the person's own order where it had never been.
    p, ids = _list(store, tmp_path, make_player, 1, more=8, seconds=30.0)
    p.enqueue(ids[1:9])
    mine = ids[1:9]

    def order():
        return [e.track_id for e in p.queue]

    p.remove_queue_entries([_entry(p, mine[1])])
    p.set_shuffle(True)
    assert p.undo() == ("put back", 1)
    p.set_shuffle(False)
    assert order() == mine
    p.set_shuffle(True)
    p.remove_queue_entries([_entry(p, mine[3])])
    p.set_shuffle(False)
    assert p.undo() == ("put back", 1)
    assert order() == mine
    p.set_shuffle(True)
    p.set_shuffle(False)
    assert order() == mine
    p.stop()


def test_ctrl_z_after_a_delete_and_a_move_of_the_song_after_it_restores_both(store, tmp_path, make_player):
    # The song that followed the one deleted is moved: Ctrl+Z takes the move back first, so the
    # song put back by the next Ctrl+Z finds its neighbours as they were, and comes back
    # between them (not before the moved song in its new place).
    p, ids = _list(store, tmp_path, make_player, 1, more=5, seconds=30.0)
    p.enqueue(ids[1:6])
    mine = ids[1:6]
    p.remove_queue_entries([_entry(p, mine[1])])
    p.move_queue_entries([_entry(p, mine[2])], [])
    assert p.undo() == ("moved", 1)
    assert p.undo() == ("put back", 1)
    assert [e.track_id for e in p.queue] == mine
    p.stop()


def test_suggestions_re_ranked_while_shuffling_come_before_the_songs_sent_to_the_end_when_it_goes_off(
        store, tmp_path, make_player):
    # An early skip re-ranks the suggestions: the new ones took the old ones' places in the
    # shuffled Up next, but the order shuffle off goes back to still held the old ones, so
    # the new ones went after everything in it once shuffle went off, after the song the
    # person had sent to the end to hear last.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 8.0) for i in range(14)])
    asked = []

    def filler(player, *, replacing=0):
        asked.append(replacing)
        taken = set(player.history) | {e.track_id for e in player.queue if e.manual} | {ids[13]}
        pool = [i for i in ids if i not in taken]
        return [(i, "up_next") for i in (pool[::-1] if player.early_skips else pool)][:replacing or 4]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert wait_for(lambda: len(p.queue) == 4)
    p.enqueue([ids[13]])
    last = _entry(p, ids[13])
    assert p.move_queue_entries([last], []) == 1                 # Move to end: to hear it last
    assert last.sent_to_end and p.queue[-1] is last
    p.set_shuffle(True)
    p.next()                                                    # an early skip: the suggestions re-ranked
    assert wait_for(lambda: len(asked) == 2 and asked[-1] == 3)
    assert wait_for(lambda: [e.track_id for e in p.queue if not e.manual] == ids[12:9:-1])
    p.set_shuffle(False)
    assert [e.track_id for e in p.queue] == [*ids[12:9:-1], ids[13]]
    p.stop()


def test_ctrl_z_after_clear_while_shuffling_brings_back_the_shuffled_order_shuffle_toggled_since(
        store, tmp_path, make_player):
    # Shuffle off and on again on an empty Up next leaves the order shuffle off goes back to
    # empty: Ctrl+Z took that for shuffle off, put the songs back in the order they were added
    # (not the shuffled one they were cleared in) while shuffling, and gave them no place in
    # the order shuffle off goes back to.
    p, ids = _list(store, tmp_path, make_player, 9)
    p.set_shuffle(True)
    shown = [e.track_id for e in p.queue]
    assert shown != ids[1:9] and sorted(shown) == ids[1:9]
    assert p.clear_queue() == 8
    p.set_shuffle(False)
    p.set_shuffle(True)
    assert p.put_back() == 8
    assert [e.track_id for e in p.queue] == shown               # as it was cleared: shuffle is on
    p.set_shuffle(False)
    assert [e.track_id for e in p.queue] == ids[1:9]
    p.stop()


def test_more_suggestions_from_a_re_rank_go_before_the_song_sent_to_the_end(store, tmp_path, make_player):
    # An early skip re-ranks the suggestions, and the window's filler gives back more than it
    # was asked to re-rank (a whole batch): those more went after everything, after the song
    # the person had sent to the end to hear last, shuffle on or off.
    for shuffle in (False, True):
        ids = add_tracks(store, tmp_path / str(shuffle), [(f"t{i}", 8.0) for i in range(14)])
        asked = []

        def filler(player, *, replacing=0):
            asked.append(replacing)
            taken = set(player.history) | {e.track_id for e in player.queue if e.manual} | {ids[13]}
            pool = [i for i in ids if i not in taken]
            return [(i, "up_next") for i in (pool[::-1] if player.early_skips else pool)][:replacing + 2 or 4]

        p = make_player(speed=1.0)
        p.keep_going = True
        p.set_queue_filler(filler)
        p.play_track(ids[0])
        assert wait_for(lambda: len(p.queue) == 4)
        p.enqueue([ids[13]])
        last = _entry(p, ids[13])
        assert p.move_queue_entries([last], []) == 1             # Move to end: to hear it last
        p.set_shuffle(shuffle)
        p.next()                                                # an early skip: three re-ranked, two more
        assert wait_for(lambda: asked[-1:] == [3] and sum(not e.manual for e in p.queue) == 5)
        assert p.queue[-1] is last, [e.track_id for e in p.queue]
        p.set_shuffle(False)
        assert [e.track_id for e in p.queue] == [*ids[12:7:-1], ids[13]]
        p.stop()


def test_ctrl_z_keeps_as_many_steps_as_their_orders_fit_the_latest_first(store, tmp_path, make_player,
                                                                          monkeypatch):
    # Each step keeps the whole queue as it was: 50 steps of a library of 100,000 queued held
    # 80 MiB. Past the entries allowed the oldest steps go; those kept undo as they always did.
    import player.playback as playback

    p, ids = _list(store, tmp_path, make_player, 11)
    monkeypatch.setattr(playback, "UNDO_ENTRIES", 30)           # three steps of 8 to 10 entries
    seen = []
    for i in range(6):
        seen.append([e.track_id for e in p.queue])
        if i % 2:
            p.move_queue_entries([p.queue[-1]], [p.queue[0]])   # the last song to the top
        else:
            assert p.remove_queue_entries([p.queue[1]]) == 1
    for was, kind in zip(reversed(seen[3:]), ("moved", "put back", "moved")):
        assert p.undo() == (kind, 1)
        assert [e.track_id for e in p.queue] == was
    assert p.undo() == ("put back", 0)                          # the three before had to go
    assert [e.track_id for e in p.queue] == seen[3]
    monkeypatch.setattr(playback, "UNDO_ENTRIES", 5)            # the latest stays, whatever its size
    p.move_queue_entries([p.queue[-1]], [p.queue[0]])
    assert p.undo() == ("moved", 1) and [e.track_id for e in p.queue] == seen[3]
    p.stop()
