"""Shuffle by album: the albums queued in a random order, each played through in disc and track
order, then the next (real files, a real scan, the player over the null engine)."""

from __future__ import annotations

from player.library.scanner import Scanner
from tests.audiogen import write_tags, write_track
from tests.player.library.test_cue import _album as cue_album
from tests.player.test_playback import wait_for

# (album, album artist, [(disc, track), ...]) written in a folder each
_ALBUMS = [
    ("Alpha", "Band A", [(1, 1), (1, 2), (2, 1), (2, 2)]),
    ("Beta", "Band B", [(1, 1), (1, 2), (1, 3)]),
    ("Gamma", "Band C", [(1, 1), (1, 2), (1, 3)]),
    ("Greatest Hits", "Band D", [(1, 1), (1, 2)]),
    ("Greatest Hits", "Band E", [(1, 1), (1, 2)]),     # (another band's album of that name)
]


def _library(store, tmp_path, seconds=30.0) -> dict[int, tuple[str, int, int]]:
    """The albums' files and a CUE sheet album, scanned; track id -> (album, disc, track)."""
    music = tmp_path / "music"
    for a, (album, by, places) in enumerate(_ALBUMS):
        for disc, track in places:
            write_track(music / f"{a} {album}", f"{disc}-{track:02d}", seconds=seconds, freq=220.0 + 40 * track,
                        tags={"title": f"{album} {disc}.{track}", "artist": by, "albumartist": by, "album": album,
                              "tracknumber": str(track), "discnumber": str(disc)})
    cue_album(music / "cue", seconds=seconds)
    Scanner(store).scan([str(music)])
    rows = store.execute("SELECT id, album, albumartist, disc_no, track_no, cue_start_s FROM tracks").fetchall()
    assert len(rows) == sum(len(p) for *_, p in _ALBUMS) + 3
    return {r[0]: (f"{r[2] or 'cue'}/{r[1]}", r[3] or 1, r[4]) for r in rows}


def _runs(order: list[int], tracks: dict) -> list[tuple[str, list[tuple[int, int]]]]:
    """``order`` as its runs of one album: (album, its (disc, track) places in the order heard)."""
    runs: list[tuple[str, list]] = []
    for t in order:
        album, disc, track = tracks[t]
        if not runs or runs[-1][0] != album:
            runs.append((album, []))
        runs[-1][1].append((disc, track))
    return runs


def _whole_in_order(runs) -> bool:
    return len({a for a, _ in runs}) == len(runs) and all(places == sorted(places) for _, places in runs)


def test_shuffle_by_album_plays_each_album_through_in_order_and_the_albums_at_random(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    # A list in no album's order: the middle song of Alpha's first disc plays first.
    ids = sorted(tracks, key=lambda t: (tracks[t][2], tracks[t][1], tracks[t][0]), reverse=True)
    first = next(t for t in ids if tracks[t] == ("Band A/Alpha", 1, 2))
    ids.remove(first)
    ids.insert(0, first)
    p = make_player(speed=0.5)
    seen = set()
    for _ in range(10):
        p.set_shuffle(False)
        p.play_tracks(ids, source="library")
        assert wait_for(lambda: p.current_track_id == first)
        p.set_shuffle(True, albums=True)
        assert p.shuffle and p.shuffle_albums
        order = [p.current_track_id, *[e.track_id for e in p.queue]]
        assert sorted(order) == sorted(ids)
        # Turned on mid-album, the album playing goes on from there first (its second disc
        # too); then each album (the CUE sheet's, two bands' "Greatest Hits" apart) whole, in
        # order, the song of the album playing that came before it one piece among them.
        assert [tracks[t] for t in order[1:3]] == [("Band A/Alpha", 2, 1), ("Band A/Alpha", 2, 2)]
        runs = _runs(order[3:], tracks)
        assert _whole_in_order(runs) and len(runs) == 6
        assert ("Band A/Alpha", [(1, 1)]) in runs
        seen.add(tuple(a for a, _ in runs))
        p.set_shuffle(False)
        assert [e.track_id for e in p.queue] == ids[1:]     # shuffle off: the order added
    assert len(seen) > 1


def test_switching_songs_to_albums_while_shuffling_deals_again_by_album(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    alpha = sorted((t for t in tracks if tracks[t][0] == "Band A/Alpha"), key=lambda t: tracks[t][1:], reverse=True)
    alone = next(t for t in tracks if tracks[t][0] == "Band C/Gamma")
    ids = [t for t in sorted(tracks) if t not in alpha and t != alone]
    p = make_player(speed=0.5)
    p.set_shuffle(True)
    p.play_tracks(ids, 0, source="library")
    assert wait_for(lambda: p.current_track_id is not None)
    broken = 0
    for _ in range(5):
        p.set_shuffle(True, albums=False)
        assert not p.shuffle_albums
        broken += not _whole_in_order(_runs([e.track_id for e in p.queue], tracks))
        p.set_shuffle(True, albums=True)
        order = [p.current_track_id, *[e.track_id for e in p.queue]]
        assert sorted(order) == sorted(ids) and _whole_in_order(_runs(order, tracks))
    assert broken        # (songs shuffled alone split the albums: the modes differ)
    # An album queued by hand while shuffling by album goes in whole, in order, before the
    # list; a song queued alone after it goes before or after it, never into it.
    p.enqueue(alpha)
    queued = [e.track_id for e in p.queue]
    assert queued[:4] == sorted(alpha, key=lambda t: tracks[t][1:])
    for _ in range(6):
        p.enqueue([alone])
        mine = [e.track_id for e in p.queue if e.hand_queued]
        assert mine in ([alone, *queued[:4]], [*queued[:4], alone])
        p.remove_queue_entries([e for e in p.queue if e.track_id == alone])


def test_repeat_all_deals_the_albums_again_each_round(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    ids = [t for t in sorted(tracks) if tracks[t][0] in ("Band B/Beta", "Band C/Gamma", "The Band/One File Album")]
    assert len(ids) == 9
    p = make_player(speed=0.5)
    p.set_repeat("all")
    p.set_shuffle(True, albums=True)
    p.play_tracks(ids, 0, source="library")
    assert wait_for(lambda: p.current_track_id == ids[0])
    heard, rounds = [ids[0]], set()
    for _ in range(9 * 6 - 1):
        want = p.queue[0].track_id
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
        heard.append(want)
    for r in range(6):
        round_ = heard[9 * r: 9 * r + 9]
        assert sorted(round_) == sorted(ids)
        runs = _runs(round_, tracks)
        assert _whole_in_order(runs) and len(runs) == 3
        rounds.add(tuple(a for a, _ in runs))
        if r:
            # (no album twice in a row where one round ends and the next begins)
            assert tracks[heard[9 * r]][0] != tracks[heard[9 * r - 1]][0]
    assert len(rounds) > 1
    p.stop()


def test_repeat_all_deals_an_album_retagged_meanwhile_as_it_is_now(store, tmp_path, make_player):
    # Beta's first and last songs have their numbers swapped (and rescanned) while the round
    # plays: the next rounds play it in its new order, not as it was read when queued.
    tracks = _library(store, tmp_path)
    ids = [t for t in sorted(tracks) if tracks[t][0] in ("Band B/Beta", "Band C/Gamma", "The Band/One File Album")]
    p = make_player(speed=0.5)
    p.set_repeat("all")
    p.set_shuffle(True, albums=True)
    p.play_tracks(ids, 0, source="library")
    assert wait_for(lambda: p.current_track_id == ids[0])
    for path, number in ((tmp_path / "music" / "1 Beta" / "1-01.flac", "3"),
                         (tmp_path / "music" / "1 Beta" / "1-03.flac", "1")):
        write_tags(path, title=f"Beta 1.{number}", artist="Band B", albumartist="Band B", album="Beta",
                   tracknumber=number, discnumber="1")
    Scanner(store).scan([str(tmp_path / "music")])
    now = {r[0]: r[1] for r in store.execute("SELECT id, track_no FROM tracks WHERE album = 'Beta'")}
    assert sorted(now.values()) == [1, 2, 3] and any(now[t] != tracks[t][2] for t in now)
    heard = [ids[0]]
    for _ in range(9 * 3 - 1):
        want = p.queue[0].track_id
        p.next()
        assert wait_for(lambda: p.current_track_id == want)
        heard.append(want)
    for r in (1, 2):
        assert [now[t] for t in heard[9 * r: 9 * r + 9] if t in now] == [1, 2, 3]
    p.stop()


def test_an_album_queued_twice_is_played_twice_through_not_each_song_twice(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    beta = sorted((t for t in tracks if tracks[t][0] == "Band B/Beta"), key=lambda t: tracks[t][1:])
    gamma = sorted((t for t in tracks if tracks[t][0] == "Band C/Gamma"), key=lambda t: tracks[t][1:])
    p = make_player(speed=0.5)
    p.set_shuffle(True, albums=True)
    for _ in range(5):
        p.play_tracks([*gamma, *beta, *beta], 0, source="library")
        assert wait_for(lambda: p.current_track_id == gamma[0])
        order = [e.track_id for e in p.queue]
        assert order[:2] == gamma[1:]
        assert order[2:] == [*beta, *beta]
        # Playing Beta's second song of one of its times: the rest of that time comes next,
        # the other time whole, and the first song of this one, later.
        p.play_tracks([*beta, *beta, *gamma], 1, source="library")
        assert wait_for(lambda: p.current_track_id == beta[1])
        p.set_shuffle(False)
        p.set_shuffle(True)
        order = [e.track_id for e in p.queue]
        assert order[0] == beta[2] and sorted(order) == sorted([beta[2], *beta, *gamma]), order
        assert all(a != b for a, b in zip(order, order[1:]))
        p.set_shuffle(False)
    p.stop()


def test_the_album_mode_is_kept_across_a_restart(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    ids = sorted(tracks)
    p = make_player(speed=0.5)
    assert p.restore_state() is None        # (the window's player: its state saved from now on)
    p.set_shuffle(False, albums=True)       # chosen while shuffle is off: kept for the next one
    assert not p.shuffle and p.shuffle_albums
    p.play_tracks(ids, 0, source="library")
    assert wait_for(lambda: p.current_track_id is not None)
    p.close()
    p = make_player(speed=0.5)
    assert p.restore_state() is not None
    assert not p.shuffle and p.shuffle_albums
    p.set_shuffle(True)                     # the button: shuffle on, by album as chosen
    # (the song cued is the one playing: its album goes on after it)
    order = [p.cued.entry.track_id, *[e.track_id for e in p.queue]]
    assert p.shuffle_albums and _whole_in_order(_runs(order, tracks))
    p.close()
    p = make_player(speed=0.5)
    assert p.restore_state() is not None
    assert p.shuffle and p.shuffle_albums


def test_keep_it_going_adds_after_the_album_playing_while_shuffling_by_album(store, tmp_path, make_player):
    tracks = _library(store, tmp_path)
    beta = sorted((t for t in tracks if tracks[t][0] == "Band B/Beta"), key=lambda t: tracks[t][1:])
    others = [t for t in sorted(tracks) if t not in beta]
    p = make_player(speed=0.5)
    p.set_shuffle(True, albums=True)
    p.play_tracks([beta[0], beta[2], beta[1]], 0, source="library")
    assert wait_for(lambda: p.current_track_id == beta[0])
    assert [e.track_id for e in p.queue] == beta[1:]                # the album goes on, in order
    p.set_queue_filler(lambda player, replacing=0: [(t, "up_next") for t in others[:3]])
    p.keep_going = True
    assert wait_for(lambda: len(p.queue) == 5)
    # Suggestions come after the album, as they come after the list with shuffle by song.
    assert [e.track_id for e in p.queue] == beta[1:] + others[:3]
    p.next()
    assert wait_for(lambda: p.current_track_id == beta[1])
    p.stop()
