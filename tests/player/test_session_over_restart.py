"""The listening session goes on over a restart of the player within the session gap: what
Up next leaves out and reads as the context is the session the play log holds, not only
what this run of the player has played."""

import os
import time

import pytest

from player.audio.null_engine import NullEngine
from player.library.tags import read_tags
from player.playback import Player
from segue_common.listening import SESSION_GAP_S
from tests.audiogen import write_track
from tests.player.test_playback import wait_for


def album(store, folder, n=6, seconds=(0.4, 60.0, 0.4, 0.4, 60.0, 60.0)):
    """One album of ``n`` real files, numbered, and ten songs of other albums around it."""
    rows = []
    specs = [(f"song{i + 1}", "Band", "The Album", i + 1, seconds[i]) for i in range(n)]
    specs += [(f"other{i}", f"Other {i % 3}", f"Other Album {i % 3}", i // 3 + 1, 0.4) for i in range(10)]
    for name, artist, title, number, length in specs:
        path = write_track(folder, name, fmt="flac", seconds=length, freq=330.0,
                           tags={"title": name, "artist": artist, "album": title, "tracknumber": str(number)})
        st = os.stat(path)
        rows.append({"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, **read_tags(str(path))})
    store.upsert_tracks(rows)
    return [store.track_by_path(r["path"])["id"] for r in rows]


@pytest.fixture
def players(store):
    made = []

    def make(clock):
        p = Player(store, NullEngine(speed=8.0), progress_interval_s=0.2, clock=lambda: clock["now"])
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def evening(store, players, tmp_path, clock):
    """Songs 1 to 4 of the album heard through with song 2 skipped, song 5 left playing at
    the close (the window's player: the next start cues it). Returns the track ids."""
    ids = album(store, tmp_path / "music")
    first = players(clock)
    first.restore_state()                               # the window's player: it saves its state
    first.play_tracks(ids[:6])
    assert wait_for(lambda: first.current_track_id == ids[1])
    first.next()                                        # song 2: an early skip
    assert wait_for(lambda: first.current_track_id == ids[4] and first.position > 1.0, 20.0)
    assert first.session == ids[:5]
    first.close()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [
        (ids[0], "finished"), (ids[1], "skipped"), (ids[2], "finished"), (ids[3], "finished"), (ids[4], "stopped")]
    return ids


def phone_listening(store, track_id, at):
    """A phone's play of ``track_id`` at ``at`` (half a minute heard), imported."""
    listen = {"fingerprint": "fp", "started_at": at, "artist": "Other 0", "title": "other0",
              "album": None, "artist_key": "other 0", "song_key": "other 0\x1fother0", "ms_played": 30_000,
              "duration_ms": None, "skipped": 0, "reason_end": None}
    play = {"track_id": track_id, "started_at": at, "ms_heard": 30_000, "track_ms": 400, "ended": "finished"}
    meta = {"name": "phone.csv", "format": "csv", "sha256": "", "rows": 1, "matched": 1, "unmatched": 0,
            "not_music": 0, "duplicates": 0, "unreadable": 0}
    store.add_import(meta, [listen], [play])
    assert store.imported_play_count() == 1


def test_a_restart_within_the_session_gap_goes_on_with_the_session_and_up_next_leaves_it_out(
        store, players, tmp_path):
    # Closed mid-evening and opened again ten minutes later: the songs heard before the
    # close are this session's still, in order and with the skip, and Up next offers none
    # of them again (it offered the album just heard, backwards, as if nothing had played).
    from player.recommender_service import RecommenderService

    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    clock["now"] += 10 * 60
    logged = store.play_count()
    p = players(clock)
    assert p.session == ids[:5]                         # known as it opens, before anything plays
    cued = p.restore_state()
    assert cued is not None and cued.entry.track_id == ids[4]
    assert p.session == ids[:5] and p.history == [] and store.play_count() == logged
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p.add_listener(service.on_player_event)
    # As the window's queue filler asks (see ``_fill_queue``): the session, what is queued.
    offered = [r.track_id for r in service.up_next(list(p.session), 10, exclude=[e.track_id for e in p.queue])]
    assert offered and not set(offered) & set(ids[:5])
    assert service._session_skips(service.recommender(), p.session) == ([ids[1]], 0)
    # The song left playing goes on in its own row: the session holds it once.
    p.resume()
    assert wait_for(lambda: p.current_track_id == ids[4] and p.position > cued.position + 0.5)
    assert p.session == ids[:5] and store.play_count() == logged
    assert store.plays()[-1]["ended"] == "playing" and store.plays()[-1]["id"] == cued.play_id
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[5])
    assert p.session == ids[:6]
    assert len({r["session_id"] for r in store.plays()}) == 1
    # Previous goes back through what this run played, as before: the song resumed.
    p.previous()
    assert wait_for(lambda: p.current_track_id == ids[4])


def test_a_restart_after_the_session_gap_starts_a_new_session(store, players, tmp_path):
    # Opened again the next morning: last evening's songs are neither the context of Up next
    # nor kept out of it.
    from player.recommender_service import RecommenderService

    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    clock["now"] += SESSION_GAP_S + 60
    p = players(clock)
    assert p.session == []
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    assert service._session_skips(service.recommender(), p.session) == ([], 0)
    p.play_tracks([ids[6]])
    assert wait_for(lambda: store.play_count() == 6)
    assert p.session == [ids[6]]


def test_a_session_carried_over_a_restart_ends_after_the_gap_like_one_played_in_this_run(store, players,
                                                                                          tmp_path):
    # The window opened again within the gap, then left with nothing playing: once the gap
    # has passed, the carried session is over as this run's own would be.
    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    clock["now"] += SESSION_GAP_S - 60
    p = players(clock)
    assert p.session == ids[:5]
    clock["now"] += 120
    assert p.session == []


def test_plays_imported_since_the_close_neither_join_nor_hide_the_session_carried(store, players, tmp_path):
    # A phone's listening of the last minutes imported while the window was closed: heard
    # elsewhere, it is no song of this session, and the session the window left goes on.
    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    phone_listening(store, ids[6], clock["now"] + 60)
    clock["now"] += 5 * 60
    p = players(clock)
    assert p.session == ids[:5]


def test_a_restart_with_the_clock_put_back_past_the_gap_starts_a_new_session(store, players, tmp_path):
    # The computer's clock set back by hours while the window was closed (a wrong clock
    # corrected): the evening's plays now lie hours ahead, and the log begins a new session
    # with the next play. So does the player: the songs heard then are not this session's.
    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    last_active = max(r["updated_at"] for r in store.plays())
    clock["now"] = last_active - 2 * 60 * 60
    assert players(clock).session == []
    clock["now"] = last_active - SESSION_GAP_S              # as far back as the gap: over too
    assert players(clock).session == []
    clock["now"] = last_active - SESSION_GAP_S + 60         # within it, back or ahead: it goes on
    assert players(clock).session == ids[:5]
    clock["now"] = last_active + SESSION_GAP_S - 60
    assert players(clock).session == ids[:5]


def test_the_first_play_after_a_restart_goes_on_in_the_session_carried_not_a_phones_imported_since(
        store, players, tmp_path):
    # The phone's listening imported while the window was closed is the session active
    # last: the next song played here joined it, so Up next read a session of that one
    # song (the evening's skips gone), and at the next restart the evening was forgotten.
    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    phone_listening(store, ids[6], clock["now"] + 60)
    clock["now"] += 5 * 60
    p = players(clock)
    p.play_tracks([ids[7]])
    assert wait_for(lambda: p.current_track_id == ids[7])
    p.close()
    mine = [r for r in store.plays() if r["source"] != "import"]
    assert len({r["session_id"] for r in mine}) == 1
    clock["now"] += 60
    assert players(clock).session == ids[:5] + [ids[7]]


def test_a_restart_mid_station_remembers_the_early_skips_just_made(store, players, tmp_path):
    # Three songs of a station skipped early, the window closed and opened again minutes
    # later: the station steers away from them still (its skips and the run of skips come
    # from the play log), where the restart forgot them and it played the same kind again.
    from player.ui.playback_mixin import Station

    clock = {"now": time.time()}
    ids = album(store, tmp_path / "music", seconds=(60.0, 0.4, 60.0, 60.0, 60.0, 60.0))
    first = players(clock)
    first.restore_state()                               # the window's player: the station is saved
    first.play_tracks([ids[0]])
    assert wait_for(lambda: first.current_track_id == ids[0])
    first.start_station(ids[1], ids[2:6])               # the song before: skipped, not the station's
    station = Station(ids[1], skip_mark=len(first.session_skips))
    for track in ids[2:5]:
        assert wait_for(lambda: first.current_track_id == track, 20.0)
        first.next()
    assert wait_for(lambda: first.current_track_id == ids[5])
    assert first.early_skips == [ids[0], *ids[2:5]]
    assert first.skip_streak == 3 and station.skipped(first) == ids[2:5]
    first.close()
    clock["now"] += 5 * 60
    p = players(clock)
    p.restore_state()
    assert p.station_seed == ids[1]
    assert p.skip_streak == 3 and p.session_skips == [ids[0], *ids[2:5]] and p.early_skips == []
    # As the window takes the station the last run left up again (see ``_restored``).
    assert Station(p.station_seed, skip_mark=p.station_skip_mark()).skipped(p) == ids[2:5]
    # A session over by the next start: none of it is this one's.
    clock["now"] += SESSION_GAP_S + 60
    later = players(clock)
    later.restore_state()
    assert later.skip_streak == 0 and later.session_skips == []
    assert Station(later.station_seed, skip_mark=later.station_skip_mark()).skipped(later) == []


def a_station_queued(store, players, tmp_path):
    """A song playing on a player with its own clock, and a station of the album's five
    others queued after it: ``(clock, ids, player)``."""
    clock = {"now": time.time()}
    ids = album(store, tmp_path / "music", seconds=(60.0,) * 6)
    first = players(clock)
    first.play_tracks([ids[0]])
    assert wait_for(lambda: first.current_track_id == ids[0])
    first.start_station(ids[0], ids[1:6])               # the seed playing goes on
    assert wait_for(lambda: len(first.queue) == 5)
    return clock, ids, first


def test_suggestions_taken_out_of_the_queue_stay_out_over_a_restart_within_the_session(store, players, tmp_path):
    # Suggestions removed, then the rest cleared, and the window closed and opened again
    # minutes later: they stay passed over for the session, where the restart forgot them
    # and the filler offered them again at once. Another session forgets them, as in one run.
    clock, ids, first = a_station_queued(store, players, tmp_path)
    assert first.remove_queue_entries([e for e in first.queue if e.track_id == ids[3]]) == 1
    first.clear_queue()
    assert first.passed_over == frozenset(ids[1:6])
    first.close()
    clock["now"] += 10 * 60
    p = players(clock)
    assert p.passed_over == frozenset(ids[1:6])
    clock["now"] += SESSION_GAP_S                       # nothing heard or taken out since: over
    assert p.passed_over == frozenset()
    assert players(clock).passed_over == frozenset()


def test_suggestions_passed_over_in_a_session_over_do_not_come_back_with_a_later_one(store, players, tmp_path):
    # Suggestions taken out, the window closed, and an hour later another session: a song
    # heard, the window closed and opened again minutes later. The session carried is the
    # later one: what was taken out in the one before it was a "not now" then, not now.
    clock, ids, first = a_station_queued(store, players, tmp_path)
    first.clear_queue()
    assert first.passed_over == frozenset(ids[1:6])
    first.close()
    clock["now"] += SESSION_GAP_S + 30 * 60             # another session, an hour later
    second = players(clock)
    assert second.passed_over == frozenset()
    second.play_tracks([ids[6]])
    assert wait_for(lambda: second.current_track_id == ids[6])
    second.close()
    clock["now"] += 5 * 60                              # a restart within that later session
    third = players(clock)
    assert third.session == [ids[6]]
    assert third.passed_over == frozenset()


def test_forgetting_the_history_ends_the_session_the_player_holds_and_up_next_offers_its_songs_again(
        store, players, tmp_path):
    # "Forget my listening history" while music plays: the player kept the session it had
    # (carried over a restart, with its skip), and the next refill of Up next still kept the
    # forgotten songs out and read the skips. From the forget on it is a new session; the
    # song playing plays on (not offered again next), but its end says nothing: its play
    # went with the history.
    from player.recommender_service import RecommenderService

    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    clock["now"] += 10 * 60
    p = players(clock)
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p.add_listener(service.on_player_event)
    p.play_tracks([ids[5], ids[6]])
    assert wait_for(lambda: p.current_track_id == ids[5])
    assert p.session == [*ids[:5], ids[5]] and p.session_skips == [ids[1]]
    service.forget_history()                            # as the window forgets, on its worker
    p.forget_session()
    assert p.session == [ids[5]] and p.session_skips == [] and p.skip_streak == 0
    offered = [r.track_id for r in service.up_next(list(p.session), 15, exclude=[e.track_id for e in p.queue])]
    assert set(ids[:5]) <= set(offered) and ids[5] not in offered
    p.next()                                            # the song begun before the forget: no skip
    assert wait_for(lambda: p.history == [ids[5], ids[6]])
    assert p.session_skips == [] and p.skip_streak == 0 and p.early_skips == []
    assert p.session == [ids[5], ids[6]]


def test_a_play_begun_after_a_forget_made_elsewhere_begins_the_session_anew(store, players, tmp_path):
    # The history forgotten by another process (or the window's word not here yet): the
    # next play finds it so, and the session before it, its skips and the run of them, go.
    from player.ui.playback_mixin import Station

    clock = {"now": time.time()}
    ids = album(store, tmp_path / "music", seconds=(60.0, 0.4, 60.0, 60.0, 60.0, 60.0))
    p = players(clock)
    p.play_tracks([ids[0]])
    assert wait_for(lambda: p.current_track_id == ids[0])
    p.start_station(ids[1], ids[2:6])
    station = Station(ids[1], skip_mark=len(p.session_skips))
    assert wait_for(lambda: p.current_track_id == ids[2], 20.0)
    p.next()
    assert wait_for(lambda: p.current_track_id == ids[3])
    assert p.session_skips == [ids[0], ids[2]] and p.skip_streak == 1 and station.skipped(p) == [ids[2]]
    store.forget_history()
    p.next()                                            # began before the forget: says nothing
    assert wait_for(lambda: p.current_track_id == ids[4])
    assert p.session == [ids[4]] and p.session_skips == [] and p.skip_streak == 0
    assert station.skipped(p) == []
    p.next()                                            # after it: the station's, as any other
    assert wait_for(lambda: p.current_track_id == ids[5])
    assert p.session_skips == [ids[4]] and p.skip_streak == 1 and station.skipped(p) == [ids[4]]
    assert [r["track_id"] for r in store.plays()] == [ids[4], ids[5]]


def test_a_station_carried_over_a_restart_keeps_its_latest_mark_when_its_seed_merges_with_a_track_heard_before(
        store, players, tmp_path):
    # The seed played twice in the session carried (skipped, then the station started from
    # it), and a scan then merges it into a track heard between the two (the same song under
    # two rows): the station began at its seed's latest play. The marks of the two rows
    # merged kept whichever came last in the dict, the earlier one here, and the station
    # steered away from the skips made before it began.
    clock = {"now": time.time()}
    ids = album(store, tmp_path / "music", seconds=(60.0,) * 6)
    a, b = ids[0], ids[1]
    first = players(clock)
    first.restore_state()                               # the window's player: the station is saved
    first.play_tracks([a, b, ids[2]])
    for track in (a, b, ids[2]):
        assert wait_for(lambda: first.current_track_id == track)
        first.next()                                    # three early skips before the station
    assert wait_for(lambda: first.current_track_id is None)
    first.start_station(a, [ids[3], ids[4]])
    assert wait_for(lambda: first.current_track_id == a)
    first.next()                                        # the station's own skip
    assert wait_for(lambda: first.current_track_id == ids[3])
    assert first.early_skips == [a, b, ids[2], a]
    first.close()
    # As a state saved before the play the station began with was kept in it: its seed's
    # latest play in the session is where it began.
    from player.playback import STATE_SETTING

    state = store.get_setting(STATE_SETTING)
    state.pop("station_play", None)
    store.set_setting(STATE_SETTING, state)
    clock["now"] += 5 * 60
    p = players(clock)
    p.restore_state()
    assert p.station_seed == a and p.skips_since(p.station_skip_mark()) == [a]
    p.renumber({a: b})
    assert p.station_seed == b and p.skips_since(p.station_skip_mark()) == [b]


def test_a_station_gone_back_to_its_seed_keeps_its_skips_over_a_restart(store, players, tmp_path):
    # Two songs of a station skipped, then Previous back to its seed, and the window closed
    # and opened again minutes later: the station began at the seed's first play, not at
    # its latest. Marked at the latest, it forgot the skips it had made.
    from player.ui.playback_mixin import Station

    clock = {"now": time.time()}
    ids = album(store, tmp_path / "music", seconds=(60.0,) * 6)
    first = players(clock)
    first.restore_state()                               # the window's player: the station is saved
    first.start_station(ids[0], ids[1:4])
    station = Station(ids[0], skip_mark=len(first.session_skips))
    assert wait_for(lambda: first.current_track_id == ids[0])
    for track in ids[0:2]:
        assert wait_for(lambda: first.current_track_id == track)
        first.next()
    assert wait_for(lambda: first.current_track_id == ids[2])
    for track in (ids[1], ids[0]):                      # back to the seed
        # Paused at its start: Previous after 3 s (under half a second of this fast engine)
        # restarts the song instead, which a slow moment of the machine would reach.
        first.pause()
        first.seek(0.0)
        first.previous()
        assert wait_for(lambda: first.current_track_id == track)
    assert station.skipped(first) == ids[:2]             # (going back is no skip)
    first.close()
    clock["now"] += 5 * 60
    p = players(clock)
    p.restore_state()
    assert p.station_seed == ids[0]
    assert Station(p.station_seed, skip_mark=p.station_skip_mark()).skipped(p) == ids[:2]


def test_forgetting_the_history_ranks_the_suggestions_queued_anew(store, players, tmp_path):
    # Up next held suggestions ranked from the session just forgotten (its songs kept out):
    # they stayed after the forget and played for as long as they lasted, though the person
    # asked for Up next to go on as for someone new from then on. Ranked anew at once.
    clock = {"now": time.time()}
    ids = evening(store, players, tmp_path, clock)
    clock["now"] += 10 * 60
    p = players(clock)
    ranked_from = []

    def fill(player, replacing=0):
        # The library's songs in order, leaving out those of the session (as Up next does)
        # and those the person queued: what a ranking from that session would offer.
        heard = player.session
        ranked_from.append(heard)
        manual = {e.track_id for e in player.queue if e.manual}
        return [(t, "up_next") for t in ids if t not in heard and t not in manual][:max(3, replacing)]

    p.play_tracks([ids[5]])
    assert wait_for(lambda: p.current_track_id == ids[5])
    p.keep_going = True
    p.set_queue_filler(fill)
    assert wait_for(lambda: len(p.queue) == 3)
    assert [e.track_id for e in p.queue] == ids[6:9]          # the evening's songs kept out
    p.pause()                                                 # (the song plays on no further meanwhile)
    store.forget_history()
    p.forget_session()
    assert wait_for(lambda: [e.track_id for e in p.queue] == ids[:3])
    assert ranked_from[-1] == [ids[5]] and p.current_track_id == ids[5]


def test_a_song_skipped_in_a_session_before_and_heard_through_in_this_one_is_no_skip_of_this_one(
        store, players, tmp_path):
    # The window holds back the songs skipped in this session once a small library comes round
    # again; the skips it read were the whole run's: a song skipped yesterday, the window left
    # open, and heard through today was held back with today's skips.
    ids = album(store, tmp_path / "music")
    clock = {"now": time.time()}
    p = players(clock)
    p.play_tracks(ids[:2])
    assert wait_for(lambda: p.current_track_id == ids[1])
    p.next()                                            # song 2: an early skip
    assert wait_for(lambda: p.current_track_id is None)
    assert p.skips_this_session == [ids[1]]
    clock["now"] += SESSION_GAP_S + 60                  # the next day, the same run
    p.engine.speed = 400.0
    p.play_tracks([ids[1], ids[4]])                     # heard through this time; song 5 skipped
    assert wait_for(lambda: p.current_track_id == ids[4])
    p.next()
    assert wait_for(lambda: p.current_track_id is None)
    assert p.session == [ids[1], ids[4]]
    assert p.skips_this_session == [ids[4]]
    assert p.session_skips == [ids[1], ids[4]]          # (a station steers away from both still)
