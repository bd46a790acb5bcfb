"""Play next picked several times in a row, over the null engine: the songs play in the order picked."""

from __future__ import annotations

from tests.player.test_playback import add_tracks, wait_for


def test_songs_played_next_one_by_one_play_in_the_order_picked(store, tmp_path, make_player):
    # Each went to the very top: a DJ picking the next three songs heard them last picked first.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(9)])
    album, (a, b, c, d, e, mine) = ids[:3], ids[3:]
    p = make_player(speed=1.0)
    p.play_tracks(album, source="library")
    p.enqueue([mine])                                       # Add to Up next, earlier
    for song in (a, b):
        p.insert_next([song])
    p.insert_next([c, d])                                   # two rows picked at once: in their order
    assert [t.track_id for t in p.queue] == [a, b, c, d, mine, album[1], album[2]]
    p.next()
    assert wait_for(lambda: p.current_track_id == a)
    p.insert_next([e])                                      # while the first plays: after the rest picked
    assert [t.track_id for t in p.queue] == [b, c, d, e, mine, album[1], album[2]]
    # Once the songs picked have played, the next one picked is next again.
    for want in (b, c, d, e):
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
    p.insert_next([a])
    assert [t.track_id for t in p.queue] == [a, mine, album[1], album[2]]
    # Another song dragged to the top ends the run: Play next means next, before it.
    p.move_queue_entries([p.queue[2]], [p.queue[0]])
    p.insert_next([b])
    assert [t.track_id for t in p.queue] == [b, album[1], a, mine, album[2]]
    p.stop()


def test_songs_played_next_while_shuffling_keep_the_order_picked_when_shuffle_goes_off(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(7)])
    album, (a, b, c) = ids[:4], ids[4:]
    p = make_player(speed=1.0)
    p.set_shuffle(True)
    p.play_tracks(album, source="library")
    for song in (a, b, c):
        p.insert_next([song])
    assert [t.track_id for t in p.queue][:3] == [a, b, c]
    p.set_shuffle(False)
    assert [t.track_id for t in p.queue][:3] == [a, b, c]
    p.stop()


def test_songs_played_next_keep_the_order_picked_over_a_restart(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(6)])
    album, (a, b, c) = ids[:3], ids[3:]
    p = make_player(speed=1.0)
    p.restore_state()                                       # (the window's player: it saves)
    p.play_tracks(album, source="library")
    p.insert_next([a])
    p.insert_next([b])
    p.pause()
    p.close()
    q = make_player(speed=1.0)
    q.restore_state()
    assert [t.track_id for t in q.queue] == [a, b, album[1], album[2]]
    q.insert_next([c])                                      # picked after the restart: after them
    assert [t.track_id for t in q.queue] == [a, b, c, album[1], album[2]]


def test_songs_played_next_stay_a_run_when_shuffle_deals_another_song_first(store, tmp_path, make_player):
    # Shuffle on mixes the person's own songs: another one of theirs dealt first, the run was
    # forgotten, and back in order with shuffle off the next song picked went before it.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(8)])
    album, (a, b, c, d, mine) = ids[:3], ids[3:]
    p = make_player(speed=1.0)
    p.play_tracks(album, source="library")
    p.insert_next([a])
    p.insert_next([b])
    p.enqueue([mine])
    for _ in range(60):                 # (until the shuffle deals ``mine`` first: 1 in 3 each time)
        p.set_shuffle(True)
        if p.queue[0].track_id == mine:
            break
        p.set_shuffle(False)
    assert p.queue[0].track_id == mine
    p.insert_next([c])
    p.set_shuffle(False)
    assert [t.track_id for t in p.queue] == [a, b, c, mine, album[1], album[2]]
    p.insert_next([d])
    assert [t.track_id for t in p.queue] == [a, b, c, d, mine, album[1], album[2]]
    p.stop()
