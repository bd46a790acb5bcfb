"""Shuffle and repeat (off / all / one) over the null engine, with every play logged."""

from __future__ import annotations

import pytest

from tests.player.test_playback import Events, add_tracks, wait_for


def test_repeat_one_plays_the_track_again_gaplessly_until_next(store, tmp_path, make_player):
    # b is long enough that repeat is off again before b could end (a loaded machine is slow)
    ids = add_tracks(store, tmp_path, [("a", 0.4), ("b", 2.0)])
    p = make_player(speed=4.0)
    ev = Events(p)
    p.set_repeat("one")
    p.play_tracks(ids, source="library")
    assert wait_for(lambda: len(ev.of("track_started")) >= 3)
    assert {d["track_id"] for d in ev.of("track_started")} == {ids[0]}
    assert [e.track_id for e in p.queue] == [ids[1]]           # the queue waits
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[1])
    p.set_repeat("off")
    assert wait_for(lambda: p.current_track_id is None)
    ends = [r["ended"] for r in store.plays()]
    # Next on a lap of a song heard whole just before moves on from it; it does not reject
    # it (no early skip to learn from, no streak of skips).
    assert ends[-1] == "finished" and ends.count("finished") >= 2 and ends[-2] == "stopped"
    assert p.early_skips == [] and p.skip_streak == 0
    with pytest.raises(ValueError):
        p.set_repeat("sometimes")


def test_repeat_all_goes_round_the_list(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 0.3), ("b", 0.3)])
    p = make_player(speed=4.0)
    ev = Events(p)
    p.set_repeat("all")
    p.play_tracks(ids, source="library")
    assert wait_for(lambda: len(ev.of("track_started")) >= 5)
    started = [d["track_id"] for d in ev.of("track_started")][:5]
    assert started == [ids[0], ids[1], ids[0], ids[1], ids[0]]
    p.stop()


@pytest.mark.parametrize("way_off", [["off"], ["one", "off"], ["one"]])
def test_repeat_all_turned_off_plays_the_rest_of_the_round_and_no_more(store, tmp_path, make_player, way_off):
    # Songs long enough never to end here: Next moves the list on.
    ids = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0), ("d", 30.0)])
    a, b, c, d = ids
    p = make_player(speed=1.0)
    p.set_repeat("all")
    p.play_tracks([a, b, c], source="library")
    assert wait_for(lambda: p.current_track_id == a)
    assert [e.track_id for e in p.queue] == [b, c, a]
    for mode in way_off:
        p.set_repeat(mode)
    # The song playing is not queued again.
    assert [e.track_id for e in p.queue] == [b, c]
    p.set_repeat("all")
    for want in (b, c, a):
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
    p.enqueue([d])                                              # queued by hand: before the round's rest
    p.next()
    assert wait_for(lambda: p.current_track_id == d)
    p.next()
    assert wait_for(lambda: p.current_track_id == b)
    assert [e.track_id for e in p.queue] == [c, a, d, b]
    # In the second round: what is left of it plays, the copies queued for the third go,
    # and a song queued by hand stays.
    for mode in way_off:
        p.set_repeat(mode)
    assert [e.track_id for e in p.queue] == [c, d]
    p.stop()


def test_repeat_all_turned_off_during_a_song_put_in_by_hand_keeps_the_rounds_rest(store, tmp_path, make_player):
    # A song played next (or stopped on) had round 0, and everything queued went.
    ids = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0), ("d", 30.0)])
    a, b, c, d = ids
    p = make_player(speed=1.0)
    p.set_repeat("all")
    p.play_tracks([a, b, c], source="library")
    for want in (a, b, c, a):
        if want != a or p.current_track_id == c:
            p.next()
        assert wait_for(lambda: p.current_track_id == want)
    assert [e.track_id for e in p.queue] == [b, c, a]          # the second round
    p.insert_next([d])
    p.next()
    assert wait_for(lambda: p.current_track_id == d)
    p.set_repeat("off")
    assert [e.track_id for e in p.queue] == [b, c, d]
    p.set_repeat("all")
    p.stop()                                                    # nothing playing, nothing cued
    p.set_repeat("off")
    assert [e.track_id for e in p.queue][:2] == [b, c]
    # A new list started under repeat all: its own rounds, whatever the last list's were.
    p.set_repeat("all")
    p.play_tracks([c, d], source="library")
    assert wait_for(lambda: p.current_track_id == c)
    assert [(e.track_id, e.lap) for e in p.queue] == [(d, 0), (c, 1)]
    p.set_repeat("off")
    assert [e.track_id for e in p.queue] == [d]


def test_previous_under_repeat_all_adds_no_song_to_the_round(store, tmp_path, make_player):
    # Each song queued its copy for the next round when it started, and queues another when
    # it starts again: Previous must not leave both, or the round grows by a song each time.
    ids = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0), ("d", 30.0)])
    a, b, c, d = ids
    p = make_player(speed=1.0)
    p.set_repeat("all")
    p.play_tracks(ids, source="library")
    for want in (b, c):
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
    for want in (b, a):                                          # back twice, under 3 s into each
        p.previous()
        assert wait_for(lambda: p.current_track_id == want)
    # (a is in the first round still: turning repeat off now plays the list out once.)
    assert [(e.track_id, e.lap) for e in p.queue] == [(b, 0), (c, 0), (d, 0), (a, 1)]
    heard = [a]
    for _ in range(7):
        p.next()
        assert wait_for(lambda: p.current_track_id != heard[-1] or len(set(heard)) == 1)
        heard.append(p.current_track_id)
    assert heard == [a, b, c, d, a, b, c, d]
    assert sorted(e.track_id for e in p.queue) == sorted(ids)
    p.stop()


def test_previous_under_repeat_one_goes_to_the_song_before_the_laps(store, tmp_path, make_player):
    x, a, b = add_tracks(store, tmp_path, [("x", 30.0), ("a", 1.0), ("b", 30.0)])
    p = make_player(speed=1.0)
    ev = Events(p)
    p.play_tracks([x, a, b], source="library")
    assert wait_for(lambda: p.current_track_id == x)
    p.next()
    assert wait_for(lambda: p.current_track_id == a)
    p.set_repeat("one")
    assert wait_for(lambda: [d["track_id"] for d in ev.of("track_started")][-3:] == [a, a, a])
    p.previous()                                                 # every lap is in its first 3 s
    assert wait_for(lambda: p.current_track_id == x)
    assert [e.track_id for e in p.queue] == [a, b]               # a waits once, not once per Previous
    p.set_repeat("off")
    for want in (a, b):
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
    p.stop()


@pytest.mark.parametrize("repeat", ["off", "one"])
def test_previous_at_the_first_song_restarts_it_and_keeps_it_to_go_back_to(store, tmp_path, make_player, repeat):
    # Previous with nothing before the song took it off the songs to go back through: after
    # Next, Previous found nothing and restarted the second song (under repeat one also after
    # laps of the first).
    a, b = add_tracks(store, tmp_path, [("a", 1.0 if repeat == "one" else 30.0), ("b", 30.0)])
    p = make_player(speed=1.0)
    ev = Events(p)
    p.set_repeat(repeat)
    p.play_tracks([a, b], source="library")
    if repeat == "one":
        assert wait_for(lambda: [d["track_id"] for d in ev.of("track_started")][-2:] == [a, a])
    assert wait_for(lambda: p.current_track_id == a)
    p.previous()                                                 # nothing before it: a restart
    assert p.current_track_id == a
    p.set_repeat("off")
    p.next()
    assert wait_for(lambda: p.current_track_id == b)
    p.previous()
    assert wait_for(lambda: p.current_track_id == a)
    assert [e.track_id for e in p.queue] == [b]
    p.stop()


def test_previous_to_before_shuffle_went_on_keeps_the_song_left_next_when_it_goes_off(store, tmp_path, make_player):
    # The song playing when shuffle went on had no place in the order added: gone back from,
    # it waited first, and shuffle off put it last.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(6)])
    p = make_player(speed=1.0)
    p.play_tracks(ids, source="library")
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[1])
    p.set_shuffle(True)
    p.previous()                                                 # back to t0; t1 waits first
    assert wait_for(lambda: p.current_track_id == ids[0]) and p.queue[0].track_id == ids[1]
    p.set_shuffle(False)
    assert [e.track_id for e in p.queue] == ids[1:]
    p.stop()


def test_a_saved_queue_keeps_its_rounds_of_repeat_all(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0)])
    a, b, c = ids
    p = make_player(speed=1.0)
    p.restore_state()                                           # saving from now on
    p.set_repeat("all")
    p.play_tracks(ids, source="library")
    assert wait_for(lambda: p.current_track_id == a)
    p.next()
    assert wait_for(lambda: p.current_track_id == b)
    assert [(e.track_id, e.lap) for e in p.queue] == [(c, 0), (a, 1), (b, 1)]
    p.close()
    again = make_player(speed=1.0)
    assert again.restore_state().entry.track_id == b
    assert [(e.track_id, e.lap) for e in again.queue] == [(c, 0), (a, 1), (b, 1)]
    again.set_repeat("off")                                     # the round ends with c
    assert [e.track_id for e in again.queue] == [c]


def test_a_lap_of_a_suggestion_is_logged_as_the_persons_own_queue(store, tmp_path, make_player):
    # Repeat is the person's setting: a lap is no second offer of the song kept.
    ids = add_tracks(store, tmp_path, [("a", 0.3), ("b", 0.3)])
    for mode in ("one", "all"):
        p = make_player(speed=4.0)
        ev = Events(p)
        p.set_repeat(mode)
        p.play_tracks(ids[:2] if mode == "all" else ids[:1], source="radio")
        assert wait_for(lambda: len(ev.of("track_started")) >= 4)
        laps = [e for e in p.queue if e.track_id in ids]
        # ...and a re-rank of the suggestions after an early skip leaves the round in place.
        assert all(e.source == "queue" and e.manual for e in laps) and (laps or mode == "one")
        p.stop()
        rows = store.plays()[-len(ev.of("track_started")):]
        started = [(r["track_id"], r["source"]) for r in rows][:4]
        if mode == "one":
            assert started == [(ids[0], "radio")] + [(ids[0], "queue")] * 3
        else:
            assert started == [(ids[0], "radio"), (ids[1], "radio"), (ids[0], "queue"), (ids[1], "queue")]
        p.close()


def test_shuffle_turned_off_after_a_restart_brings_back_the_order_added(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(10)])
    p = make_player(speed=1.0)
    p.restore_state()                                           # saving from now on
    p.play_tracks(ids, source="library")
    assert wait_for(lambda: p.current_track_id == ids[0])
    p.set_shuffle(True)
    p.next()
    assert wait_for(lambda: p.current_track_id not in (None, ids[0]))
    playing = p.current_track_id
    p.enqueue([ids[0]])                                         # queued by hand while shuffling: first
    shuffled = [e.track_id for e in p.queue]
    p.close()
    gone = next(t for t in shuffled if t != ids[0])
    store.mark_missing([gone])                                  # deleted between the two runs
    again = make_player(speed=1.0)
    again.restore_state()
    assert again.shuffle and [e.track_id for e in again.queue] == [t for t in shuffled if t != gone]
    again.set_shuffle(False)
    assert [e.track_id for e in again.queue] == [ids[0]] + [t for t in ids[1:] if t not in (playing, gone)]


def test_a_damaged_order_of_a_shuffled_queue_keeps_the_queue(store, tmp_path, make_player):
    from player.playback import STATE_SETTING

    a, b, c = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0)])
    queue = [[c, "queue", True], [a, "queue", True], [b, "queue", True]]
    store.set_setting(STATE_SETTING, {"queue": queue, "current": None, "shuffle": True, "order": ["x", {}]})
    p = make_player(speed=1.0)
    p.restore_state()
    assert p.shuffle and [e.track_id for e in p.queue] == [c, a, b]
    p.set_shuffle(False)                                        # the shuffled order stands for it
    assert [e.track_id for e in p.queue] == [c, a, b]


def test_shuffle_leaves_the_songs_queued_by_hand_first_past_a_song_gone_back_from(store, tmp_path, make_player):
    # Previous put the song gone back from in front of them: shuffle went on mixing them in.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(14)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:12], source="library")
    p.next()
    p.enqueue(ids[12:14])
    p.previous()                                                # t1 waits in front of them
    assert [e.track_id for e in p.queue][:3] == [ids[1], *ids[12:14]]
    p.set_shuffle(True)
    queue = [e.track_id for e in p.queue]
    assert sorted(queue[:2]) == sorted(ids[12:14]) and sorted(queue[2:]) == sorted(ids[1:12])
    p.set_shuffle(False)                                        # the order they were in comes back
    assert [e.track_id for e in p.queue] == [ids[1], *ids[12:14], *ids[2:12]]
    p.stop()


def test_shuffle_mixes_an_up_next_filled_by_hand_and_keeps_it_before_the_rest(store, tmp_path, make_player):
    # An album added to Up next by hand, then Shuffle: the songs queued by hand stayed in their
    # order (shuffle mixed only a list played and the suggestions), so nothing happened.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(12)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:1], source="library")
    p.enqueue(ids[1:6])                                         # an album added by hand
    p.enqueue(ids[6:], source="radio")                          # and a station's songs after it
    p.set_shuffle(True)
    queue = [e.track_id for e in p.queue]
    assert queue[:5] != ids[1:6] and sorted(queue[:5]) == sorted(ids[1:6])
    assert sorted(queue[5:]) == sorted(ids[6:])
    p.enqueue(ids[:1])                                          # one more while shuffled: among the person's
    queue = [e.track_id for e in p.queue]
    assert sorted(queue[:6]) == sorted(ids[:6]) and sorted(queue[6:]) == sorted(ids[6:])
    p.set_shuffle(False)                                        # the order they were queued in comes back
    assert [e.track_id for e in p.queue] == ids[1:6] + ids[:1] + ids[6:]
    p.set_shuffle(True)
    p.play_tracks(ids[6:], source="library")                    # a list played: they stay first, mixed
    queue = [e.track_id for e in p.queue]
    assert sorted(queue[:6]) == sorted(ids[:6]) and sorted(queue[6:]) == sorted(ids[7:])
    p.set_shuffle(False)                                        # and still come back in the order queued
    assert [e.track_id for e in p.queue] == ids[1:6] + ids[:1] + ids[7:]
    p.stop()


def test_shuffle_orders_the_queue_randomly_and_back(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 5.0) for i in range(40)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:8], source="library")
    p.set_shuffle(True)
    shuffled = [e.track_id for e in p.queue]
    assert sorted(shuffled) == sorted(ids[1:8]) and shuffled != ids[1:8]
    p.enqueue(ids[8:10])                                        # queued by hand while shuffling: first
    p.enqueue(ids[10:], source="library")                       # a list's songs added: random places after
    queue = [e.track_id for e in p.queue]
    assert sorted(queue[:2]) == sorted(ids[8:10]) and sorted(queue[2:]) == sorted(ids[1:8] + ids[10:])
    p.set_shuffle(False)                                        # back to the order they were added in
    assert [e.track_id for e in p.queue] == ids[8:10] + ids[1:8] + ids[10:]
    p.set_shuffle(True)                                         # the songs queued by hand stay first
    queue = [e.track_id for e in p.queue]
    assert sorted(queue[:2]) == sorted(ids[8:10]) and sorted(queue[2:]) == sorted(ids[1:8] + ids[10:])
    p.play_tracks(ids[:8], 0, source="library")                 # a list played while shuffling
    rest = [e.track_id for e in p.queue]
    assert p.current_track_id == ids[0] and sorted(rest[:2]) == sorted(ids[8:10])
    assert sorted(rest[2:]) == sorted(ids[1:8]) and rest[2:] != ids[1:8]


def test_a_queue_mostly_of_one_song_is_shuffled_without_trying_every_entry_for_each_pair():
    # One track queued 1,200 times among 800 others: its copies cannot all be parted, and
    # each pair of them tried every entry of the queue (7 s at 10,000 entries, under the
    # player's lock). Counted in the keys compared, not timed: a loaded machine is slow.
    import random

    from player.audio.queue import QueueEntry, shuffled

    compared = [0]

    class Song:
        def __init__(self, n):
            self.n = n

        def __eq__(self, other):
            compared[0] += 1
            return self.n == other.n

        __hash__ = None

    entries = [QueueEntry(1)] * 1200 + [QueueEntry(t) for t in range(2, 802)]
    songs = {t: Song(t) for t in range(1, 802)}
    out = shuffled(entries, random.Random(5), lambda e: songs[e.track_id])
    assert sorted(e.track_id for e in out) == sorted(e.track_id for e in entries)
    assert compared[0] < 500_000
    # Where they can be parted they still are: 800 of 2,000.
    entries = [QueueEntry(1)] * 800 + [QueueEntry(t) for t in range(2, 1202)]
    songs = {t: Song(t) for t in range(1, 1202)}
    out = [e.track_id for e in shuffled(entries, random.Random(5), lambda e: songs[e.track_id])]
    assert all(a != b or a != 1 for a, b in zip(out, out[1:]))


def test_a_pair_of_copies_shuffled_to_the_end_is_parted_too():
    # Song, its copy and a hit after the song playing: "Hit, Song, Song" was left as it was
    # (the second copy had nowhere to go), a third of the time.
    import random

    from player.audio.queue import QueueEntry, shuffled

    playing, songs = QueueEntry(1), {1: 1, 2: 2, 3: 2, 4: 4}
    for seed in range(60):
        out = shuffled([QueueEntry(2), QueueEntry(3), QueueEntry(4)], random.Random(seed),
                       lambda e: songs[e.track_id], after=playing)
        order = [songs[e.track_id] for e in [playing, *out]]
        assert all(a != b for a, b in zip(order, order[1:])), order


def test_songs_moved_while_shuffling_stay_moved_when_shuffle_goes_off(store, tmp_path, make_player):
    # Moved in Up next (Play next, Move to end, a drag, Alt+Up/Down) while shuffling: shuffle
    # off keeps each move, as it keeps a Play next of a song from the library.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 5.0) for i in range(9)])
    p = make_player(speed=1.0)
    p.play_tracks(ids, source="library")
    p.pause()
    p.set_shuffle(True)

    def entry(track_id):
        return next(e for e in p.queue if e.track_id == track_id)

    def order():
        return [e.track_id for e in p.queue]

    # Play next on two songs, in the order shown.
    p.move_queue_entries([entry(ids[6]), entry(ids[3])], [e for e in p.queue if e.track_id not in (ids[3], ids[6])])
    assert order()[:2] == [ids[6], ids[3]]
    # Move to end.
    p.move_queue_entries([entry(ids[2])], [])
    assert order()[-1] == ids[2]
    # A drag (or Alt+Up/Down): just before the song shown after the drop point.
    p.move_queue_entries([entry(ids[8])], [entry(ids[5])])
    shown = order()
    assert shown[shown.index(ids[8]) + 1] == ids[5]
    p.set_shuffle(False)
    assert order() == [ids[6], ids[3], ids[1], ids[4], ids[8], ids[5], ids[7], ids[2]]
    p.stop()


def test_up_next_once_round_under_repeat_all_holds_each_song_of_the_list_once(store, tmp_path, make_player):
    # What "Save as playlist" keeps of Up next: each song queued its copy for the next round
    # as it started, and the playlist held the song playing twice and the ones before it again.
    ids = add_tracks(store, tmp_path, [("a", 30.0), ("b", 30.0), ("c", 30.0)])
    a, b, c = ids
    p = make_player(speed=1.0)
    p.restore_state()                                           # (the window's player: it saves)
    p.set_repeat("all")
    p.play_tracks([a, b, a, c], source="library")               # a on the list twice, on purpose
    for want in (b, a):
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
    queue = p.queue
    assert [e.track_id for e in queue] == [c, a, b, a]
    assert [e.track_id for e in p.once_round(queue, a)] == [c, a, b]
    p.pause()
    p.close()
    # After a restart, which copy is whose is not known: the last copy of the song playing
    # is its own, queued as it started.
    q = make_player(speed=1.0)
    assert q.restore_state().entry.track_id == a
    queue = q.queue
    assert [e.track_id for e in queue] == [c, a, b, a]
    assert [e.track_id for e in q.once_round(queue, a)] == [c, a, b]
