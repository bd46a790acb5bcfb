"""The Player over the null engine: queue logic, gapless hand-over and play logging."""

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from player.audio.base import PlaybackState
from player.audio.null_engine import NullEngine
from player.library.tags import read_tags
from player.playback import MAX_CONSECUTIVE_ERRORS, RESTART_THRESHOLD_S, Player, QueueEntry
from tests import full_disk
from tests.audiogen import with_chapters, write_track
from tests.null_pacing import OpensInRealTime
from tests.scan_hold import hold_scan
from tests.seek_hold import hold_seeks


def wait_for(pred, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


# How fast the null engine plays a stretch a test only listens through: three times the
# 8x most tests use, well inside what its decoder keeps ahead of on a busy two-core machine.
LISTEN_THROUGH_SPEED = 24.0


def listen_through(p, pred, timeout=20.0):
    """Wait for ``pred`` with ``p``'s null engine playing fast. For a stretch of a long song
    that is only heard, nothing asked of the player until ``pred`` holds: the test's own
    speed comes back after, so the steps that follow run at the pace they were written for."""
    speed = p.engine.speed
    p.engine.speed = LISTEN_THROUGH_SPEED
    try:
        return wait_for(pred, timeout)
    finally:
        p.engine.speed = speed


def add_tracks(store, folder, specs):
    """Real files in the store: specs are (name, seconds) or (name, seconds, extra row fields)."""
    rows = []
    for spec in specs:
        name, seconds, extra = (*spec, {})[:3]
        path = write_track(folder, name, fmt="flac", seconds=seconds, freq=330.0,
                           tags={"title": name, "artist": "Artist", "album": "Album"})
        st = os.stat(path)
        rows.append({"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                     **read_tags(str(path)), **extra})
    store.upsert_tracks(rows)
    return [store.track_by_path(r["path"])["id"] for r in rows]


class Events:
    def __init__(self, player):
        self.items = []
        self.lock = threading.Lock()
        player.add_listener(self)

    def __call__(self, name, data):
        with self.lock:
            self.items.append((name, dict(data)))

    def of(self, name):
        with self.lock:
            return [d for n, d in self.items if n == name]


@pytest.fixture
def make_player(store):
    players = []

    def make(speed=8.0, interval=0.2, crossfade_s=0.0, clock=None):
        p = Player(store, NullEngine(speed=speed, crossfade_s=crossfade_s), progress_interval_s=interval,
                   clock=clock)
        players.append(p)
        return p

    yield make
    for p in players:
        p.close()


def ended(store):
    return [(r["track_id"], r["ended"]) for r in store.plays()]


def restored(store, make_player, current, queued, at, speed=8.0, crossfade_s=0.0):
    """A player as a restart finds it: ``current`` cued ``at`` seconds in, ``queued`` after it."""
    from player.playback import STATE_SETTING

    store.set_setting(STATE_SETTING, {"queue": [[queued, "queue", True]], "keep_going": False,
                                      "current": [current, "library", True, at]})
    p = make_player(speed=speed, crossfade_s=crossfade_s)
    assert p.restore_state() is not None
    return p


def test_a_queue_plays_through_and_every_play_is_logged(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 0.6), ("b", 0.4), ("c", 0.5)])
    p = make_player()
    ev = Events(p)
    p.play_tracks(ids, source="library")
    assert p.current_track_id == ids[0] and [e.track_id for e in p.queue] == ids[1:]
    assert wait_for(lambda: len(ev.of("track_ended")) == 3)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    plays = store.plays()
    assert [(r["track_id"], r["ended"], r["source"]) for r in plays] == [(i, "finished", "library") for i in ids]
    for row, seconds in zip(plays, (0.6, 0.4, 0.5)):
        assert row["track_ms"] == pytest.approx(seconds * 1000, abs=2)
        assert row["ms_heard"] == pytest.approx(seconds * 1000, abs=2)  # every frame, once
    assert len({r["session_id"] for r in plays}) == 1
    assert [d["track_id"] for d in ev.of("track_started")] == ids
    assert [d["play_id"] for d in ev.of("track_started")] == [r["id"] for r in plays]
    assert p.history == ids and p.queue == [] and p.current_track_id is None
    assert p.engine.underruns == 0


def test_next_logs_a_skip_and_stop_logs_stopped(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 3.0), ("b", 3.0)])
    p = make_player(speed=2.0)
    p.play_tracks(ids)
    assert wait_for(lambda: p.position > 0.3)
    p.next()
    assert p.current_track_id == ids[1]
    assert wait_for(lambda: p.position > 0.3)
    p.stop()
    assert p.state is PlaybackState.STOPPED and p.current_track_id is None
    rows = store.plays()
    assert ended(store) == [(ids[0], "skipped"), (ids[1], "stopped")]
    assert 300 <= rows[0]["ms_heard"] < 2000 and 300 <= rows[1]["ms_heard"] < 2000


def test_a_long_track_heard_for_minutes_then_skipped_is_no_early_skip(store, tmp_path, make_player, monkeypatch):
    # Forty minutes of a two-hour mix, then Next: under half of it, but listened to, so Up
    # next must not push its artist away as a rejection. The rule's times are scaled down
    # (30 s -> 0.2 s, four minutes -> 1 s) so that short files stand in for long ones.
    import segue_common.listening as listening

    monkeypatch.setattr(listening, "EARLY_SKIP_MS", 200)
    monkeypatch.setattr("player.playback.EARLY_SKIP_MS", 200)
    monkeypatch.setattr(listening, "EARLY_SKIP_CAP_MS", 1000, raising=False)
    mix, other, last = add_tracks(store, tmp_path, [("mix", 8.0), ("other", 8.0), ("last", 1.0)])
    p = make_player(speed=4.0)
    events = Events(p)
    p.play_tracks([mix, other, last])
    assert wait_for(lambda: p.position > 1.6)
    p.next()                          # past the cap, under half: listened to
    assert wait_for(lambda: p.current_track_id == other and p.position > 0.3)
    p.next()                          # under the cap and under half: an early skip
    assert wait_for(lambda: len(events.of("track_ended")) >= 2)
    assert [(e["track_id"], e["early_skip"]) for e in events.of("track_ended")[:2]] == [(mix, False), (other, True)]
    assert p.early_skips == [other]


def test_a_file_that_cannot_be_decoded_is_an_error_not_a_skip(store, tmp_path, make_player):
    from player.library.scanner import Scanner

    ids = add_tracks(store, tmp_path / "music", [("a", 0.4), ("broken", 0.4), ("c", 0.4)])
    with open(store.track(ids[1])["path"], "wb") as f:
        f.write(b"fLaC" + b"\x00" * 500)  # damaged after the scan
    # A scan finds it so: the track keeps its names and length, and still is no song to play.
    Scanner(store).scan([str(tmp_path / "music")])
    assert store.track(ids[1])["last_error"] and store.track(ids[1])["title"] == "broken"
    p = make_player()
    ev = Events(p)
    p.play_tracks(ids)
    assert wait_for(lambda: len(ev.of("track_ended")) == 3 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(ids[0], "finished"), (ids[1], "error"), (ids[2], "finished")]
    bad = store.plays()[1]
    assert bad["ms_heard"] == 0 and "broken.flac" in bad["error"]
    assert [d["track_id"] for d in ev.of("error")] == [ids[1]]


@pytest.mark.parametrize("cut", [False, True])
def test_an_ogg_file_of_no_samples_is_an_error_not_a_finished_play(store, tmp_path, make_player, cut):
    # An Ogg Vorbis file closed before any sample went in (a recorder stopped at once), or cut
    # inside its first audio page: the scan lists it as an error, and libsndfile opens it as
    # a file of 0 frames. Played from a list it was a finished play of 0 s, heard in silence.
    import numpy as np
    import soundfile as sf

    from player.library.scanner import Scanner

    music = tmp_path / "music"
    a, c = add_tracks(store, music, [("a", 0.4), ("c", 0.4)])
    path = music / "empty.ogg"
    if cut:
        tone = (0.3 * np.sin(np.arange(44100) / 10)).astype(np.float32)
        sf.write(path, tone, 44100, format="OGG", subtype="VORBIS")
        raw = path.read_bytes()
        header = raw.index(b"OggS", raw.index(b"\x05vorbis"))     # the first audio page
        path.write_bytes(raw[:header + 200])
    else:
        sf.write(path, np.zeros((0, 2), np.float32), 44100, format="OGG", subtype="VORBIS")
    assert sf.info(str(path)).frames == 0                  # what libsndfile makes of it
    Scanner(store).scan([str(music)])
    empty = store.track_by_path(str(path))
    said = "damaged Ogg Vorbis file: it ends early" if cut else "no audio in file"
    assert said in empty["last_error"]
    p = make_player()
    ev = Events(p)
    p.play_tracks([a, empty["id"], c])
    assert wait_for(lambda: len(ev.of("track_ended")) == 3 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(a, "finished"), (empty["id"], "error"), (c, "finished")]
    bad = store.plays()[1]
    assert bad["ms_heard"] == 0 and "empty.ogg" in bad["error"] and said in bad["error"]
    assert [d["track_id"] for d in ev.of("error")] == [empty["id"]]


def _damaged(store, track_ids) -> None:
    for t in track_ids:
        with open(store.track(t)["path"], "wb") as f:
            f.write(b"fLaC" + b"\x00" * 500)  # damaged after the scan


def test_after_five_songs_in_a_row_that_cannot_play_it_stops_and_keeps_the_rest_queued(store, tmp_path,
                                                                                        make_player):
    # A folder of damaged files, a share gone: the player does not run through the whole
    # list failing; it stops, with the songs not tried still in Up next. The person's next
    # play counts afresh: one more damaged song does not stop it again.
    ids = add_tracks(store, tmp_path, [(f"bad{i}", 0.4) for i in range(7)] + [("good", 0.4)])
    _damaged(store, ids[:7])
    p = make_player()
    ev = Events(p)
    p.play_tracks(ids)
    assert wait_for(lambda: ev.of("gave_up") and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(t, "error") for t in ids[:MAX_CONSECUTIVE_ERRORS]]
    assert [e.track_id for e in p.queue] == ids[MAX_CONSECUTIVE_ERRORS:]
    assert ev.of("gave_up") == [{"errors": MAX_CONSECUTIVE_ERRORS, "songs": MAX_CONSECUTIVE_ERRORS,
                                 "went_round": False}]
    p.play_tracks([ids[5], ids[7]])
    assert wait_for(lambda: ended(store)[-1:] == [(ids[7], "finished")])
    assert ended(store)[-2:] == [(ids[5], "error"), (ids[7], "finished")]
    assert len(ev.of("gave_up")) == 1


@pytest.mark.parametrize("bad", [1, 2])
def test_repeating_all_of_a_list_that_cannot_play_stops_when_it_comes_round(store, tmp_path, make_player, bad):
    # One damaged song on repeat (or two): each is tried once, not five times between them.
    ids = add_tracks(store, tmp_path, [(f"bad{i}", 0.4) for i in range(bad)])
    _damaged(store, ids)
    p = make_player()
    ev = Events(p)
    p.set_repeat("all")
    p.play_tracks(ids)
    assert wait_for(lambda: ev.of("gave_up") and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(t, "error") for t in ids]
    assert ev.of("gave_up") == [{"errors": bad, "songs": bad, "went_round": True}]
    assert [e.track_id for e in p.queue] == ids                     # the next round waits


def test_repeating_all_a_list_with_a_song_that_plays_goes_round_past_the_one_that_cannot(store, tmp_path,
                                                                                        make_player):
    ids = add_tracks(store, tmp_path, [("bad", 0.3), ("good", 0.3)])
    _damaged(store, ids[:1])
    p = make_player()
    ev = Events(p)
    p.set_repeat("all")
    p.play_tracks([ids[0], ids[0], ids[1]])                  # the damaged one twice in a row
    assert wait_for(lambda: len(ev.of("track_ended")) >= 6)
    p.stop()
    assert ended(store)[:6] == [(ids[0], "error"), (ids[0], "error"), (ids[1], "finished")] * 2
    assert ev.of("gave_up") == []


def test_songs_that_cannot_play_between_songs_heard_are_not_in_a_row(store, tmp_path, make_player):
    # Here and there a damaged file in a long list, each after a song that was heard (and
    # skipped): the list goes on, however many there are.
    specs = []
    for i in range(MAX_CONSECUTIVE_ERRORS + 1):
        specs += [(f"bad{i}", 0.4), (f"good{i}", 30.0)]
    ids = add_tracks(store, tmp_path, specs)
    _damaged(store, ids[::2])
    p = make_player()
    ev = Events(p)
    p.play_tracks(ids)
    for good in ids[1::2]:
        assert wait_for(lambda: p.current_track_id == good and p.position > 0.2)
        p.next()
    assert wait_for(lambda: len(ended(store)) == len(ids))
    assert ended(store) == [(t, "error" if i % 2 == 0 else "skipped") for i, t in enumerate(ids)]
    assert ev.of("gave_up") == []


def test_a_song_that_cannot_play_at_the_end_of_up_next_lets_keep_it_going_go_on(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 0.4), ("bad", 0.4), ("c", 0.4)])
    _damaged(store, [ids[1]])
    p = make_player()
    # The suggestion comes once the song has failed (a slow ranking): Up next is empty when it does.
    def slow(player, replacing=0):
        assert wait_for(lambda: (ids[1], "error") in ended(store))
        return [(ids[2], "up_next")]

    p.set_queue_filler(slow)
    p.keep_going = True
    p.play_tracks(ids[:2])
    assert wait_for(lambda: (ids[2], "finished") in ended(store))
    assert ended(store)[:3] == [(ids[0], "finished"), (ids[1], "error"), (ids[2], "finished")]


def test_suggestions_that_cannot_play_add_up_and_the_player_gives_up(store, tmp_path, make_player):
    # Keep it going on a share that is gone: the suggestions come one at a time, slower than
    # each fails. The player does not go on failing through every suggestion.
    ids = add_tracks(store, tmp_path, [("first", 0.4)] + [(f"bad{i}", 0.4) for i in range(12)])
    _damaged(store, ids[1:])
    left = list(ids[1:])

    def slow(player, replacing=0):
        time.sleep(0.1)
        return [(left.pop(0), "up_next")] if left else []

    p = make_player()
    ev = Events(p)
    p.set_queue_filler(slow)
    p.keep_going = True
    p.play_tracks(ids[:1])
    assert wait_for(lambda: ev.of("gave_up") and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(ids[0], "finished")] + [(t, "error") for t in ids[1:1 + MAX_CONSECUTIVE_ERRORS]]


def test_a_song_that_fails_with_stop_after_it_asked_stops_the_music(store, tmp_path, make_player, monkeypatch):
    # The person asked to stop after this song; it breaks off (a damaged frame): the music
    # stops there, as it would have at its end, with what is queued kept for Play.
    from player.audio.decoder import Decoder, DecodeError

    bad, c, d = add_tracks(store, tmp_path, [("bad", 30.0), ("c", 0.4), ("d", 0.4)])
    read, broken = Decoder.read, threading.Event()

    def failing(self, n, **kw):
        if self.path.endswith("bad.flac") and broken.is_set():
            raise DecodeError("decoding bad.flac failed: a damaged frame")
        return read(self, n, **kw)

    monkeypatch.setattr(Decoder, "read", failing)
    p = make_player()
    ev = Events(p)
    p.play_tracks([bad, c, d])
    assert wait_for(lambda: p.current_track_id == bad and p.position > 0.2)
    p.set_stop_after(True)
    broken.set()
    assert wait_for(lambda: (bad, "error") in ended(store) and p.state is PlaybackState.STOPPED)
    time.sleep(0.5)
    assert ended(store) == [(bad, "error")]
    assert [e.track_id for e in p.queue] == [c, d]
    assert not p.stop_after and ev.of("gave_up") == []


def test_a_song_paused_as_it_opens_whose_disk_is_pulled_stops_there_and_starts_nothing(store, tmp_path,
                                                                                       make_player, monkeypatch):
    # A song started and paused at once, its file still opening (a disk waking up), then the
    # disk pulled: the file is not found. The person paused: the song ends as an error, said
    # so, and the music stays silent, Up next as it was. Going on, the player started the
    # next song playing by itself, and each of the disk's songs after it failed in turn.
    from player.audio import feeder

    disk, kept = tmp_path / "usb-disk", tmp_path / "music"
    d0, d1 = add_tracks(store, disk, [("d0", 2.0), ("d1", 2.0)])
    (other,) = add_tracks(store, kept, [("other", 2.0)])
    real, opening, pulled = feeder.Decoder, threading.Event(), threading.Event()

    def slow_disk(path, *args, **kwargs):
        if path.endswith("d0.flac"):
            opening.set()
            pulled.wait(10)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(feeder, "Decoder", slow_disk)
    p = make_player()
    ev = Events(p)
    p.play_tracks([d0, d1, other])
    assert opening.wait(10)
    p.pause()
    shutil.rmtree(disk)                     # (gone, as where its mount folder goes with it)
    pulled.set()
    assert wait_for(lambda: ev.of("error") and (p.current_track_id != d0 or p.engine.state is PlaybackState.STOPPED))
    assert p.current_track_id is None and p.state is not PlaybackState.PLAYING
    assert ev.of("error")[0]["track_id"] == d0 and "file not found" in ev.of("error")[0]["message"]
    assert ended(store) == [(d0, "error")]
    assert [e.track_id for e in p.queue] == [d1, other]
    assert ev.of("gave_up") == []
    p.resume()                                  # Play goes on from Up next as it was
    assert wait_for(lambda: (other, "finished") in ended(store), timeout=15)
    assert ended(store) == [(d0, "error"), (d1, "error"), (other, "finished")]


def test_between_two_songs_the_player_never_reads_stopped(store, tmp_path, make_player, monkeypatch):
    # While one play ends and the next begins (the next file opened, its play logged) there
    # is no play, but no stop either: "stopped" read then flickered in the window and told
    # whoever waits for the end of the queue that it had come, with the next play logged.
    ids = add_tracks(store, tmp_path, [("a", 0.4), ("b", 0.4), ("c", 0.4)])
    p = make_player()
    seen = []
    start_play = store.start_play

    def logged(*args, **kwargs):
        seen.append(p.state)
        return start_play(*args, **kwargs)

    monkeypatch.setattr(store, "start_play", logged)
    p.play_tracks(ids)
    assert wait_for(lambda: [e for _t, e in ended(store)] == ["finished"] * 3)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    assert seen == [PlaybackState.PLAYING] * 3


def test_a_gapless_hand_over_never_reads_stopped(store, tmp_path, make_player):
    # The engine tells the end of one song and the start of the next as two events; in
    # between the player holds no play, and "stopped" read then told whoever asked (the
    # play button, MPRIS) that the music had stopped while the next song was being heard.
    ids = add_tracks(store, tmp_path, [("a", 0.4), ("b", 0.4), ("c", 0.4)])
    p = make_player()
    seen = []
    p.add_listener(lambda event, data: seen.append(p.state) if event == "track_ended" else None)
    p.play_tracks(ids)
    assert wait_for(lambda: [e for _t, e in ended(store)] == ["finished"] * 3)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    assert seen == [PlaybackState.PLAYING, PlaybackState.PLAYING, PlaybackState.STOPPED]


def test_a_gapless_hand_over_told_late_never_reads_stopped(store, tmp_path, make_player):
    # On a busy machine the engine's word of the first song's end reaches the player late,
    # once the engine has played all it had and stopped (as here, held till then). "Stopped"
    # was read at the end of the first song, then of the second, with the next songs' plays
    # not logged yet: whoever waits for the end of the queue took it as come.
    ids = add_tracks(store, tmp_path, [("a", 0.4), ("b", 0.4), ("c", 0.4)])
    p = make_player()
    seen = []
    p.add_listener(lambda event, data: seen.append(p.state) if event == "track_ended" else None)
    told, held = p.engine._listener, []

    def late(event, data):
        if event == "finished" and not held:
            held.append(event)
            assert wait_for(lambda: p.engine.state is PlaybackState.STOPPED)
        told(event, data)

    p.engine.set_listener(late)
    p.play_tracks(ids)
    assert wait_for(lambda: [e for _t, e in ended(store)] == ["finished"] * 3)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    assert held and seen == [PlaybackState.PLAYING, PlaybackState.PLAYING, PlaybackState.STOPPED]


@pytest.mark.parametrize("harm, heard_ms", [("zero_middle", (4000, 4000)), ("cut_to_half", (1700, 2000)),
                                            ("forget_flac_length", (4000, 4000))])
def test_a_damaged_cut_or_unmeasured_flac_plays_what_it_holds_and_finishes(store, tmp_path, make_player, harm,
                                                                          heard_ms):
    # A damaged stretch plays as silence in its place, a file cut short ends where its data
    # does (and that is its length), one whose header leaves its length out plays to its last
    # sample: the listener heard what is there, so the play finished, and the list goes on.
    from tests import audiogen

    path = write_track(tmp_path, "harmed", fmt="flac", seconds=4.0, freq=330.0, tags={"title": "harmed"})
    getattr(audiogen, harm)(path)
    st = os.stat(path)
    store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(path))}])
    harmed = store.track_by_path(str(path))["id"]
    (after,) = add_tracks(store, tmp_path, [("after", 0.5)])
    p = make_player()
    p.play_tracks([harmed, after])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert ended(store) == [(harmed, "finished"), (after, "finished")]
    play = store.plays()[0]
    assert play["track_ms"] == pytest.approx(heard_ms[1], abs=300) and play["error"] is None
    assert heard_ms[0] - 2 <= play["ms_heard"] <= heard_ms[1] + 2
    assert play["ms_heard"] >= play["track_ms"] - 2             # heard whole


def test_another_song_copied_over_the_one_playing_ends_it_there_and_is_no_finished_play(store, tmp_path,
                                                                                         make_player):
    # cp other.flac playing.flac writes another song into the file that plays. What was heard
    # of this one is all of it there is: it ends there, logged as stopped at its own length
    # (it was logged finished, with more heard than the 2 s song over it lasts), the list
    # goes on, and the next scan lists the song the file holds now.
    from player.library.scanner import Scanner

    song, after = add_tracks(store, tmp_path, [("song", 6.0), ("after", 0.5)])
    other = write_track(tmp_path / "elsewhere", "other", fmt="flac", seconds=2.0, freq=550.0,
                        tags={"title": "Other", "artist": "Someone Else"})
    p = make_player()
    p.play_tracks([song, after])
    assert wait_for(lambda: p.current_track_id == song and p.position > 1.0)
    shutil.copyfile(other, tmp_path / "song.flac")
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert ended(store) == [(song, "stopped"), (after, "finished")]
    play = store.plays()[0]
    assert 1000 <= play["ms_heard"] < 5000 and play["track_ms"] == pytest.approx(6000, abs=2)
    Scanner(store).scan([str(tmp_path)])
    assert store.track_by_path(str(tmp_path / "song.flac"))["title"] == "Other"


def test_the_songs_of_a_folder_renamed_as_they_play_are_found_in_it(store, tmp_path, make_player):
    # An album's folder renamed (given its year) while its first song plays, no scan since:
    # the songs the engine had opened ahead played, the rest were "file not found".
    ids = add_tracks(store, tmp_path / "Album", [(name, 0.5) for name in "abcd"])
    p = make_player()
    p.play_tracks(ids)
    assert wait_for(lambda: p.current_track_id == ids[0])
    (tmp_path / "Album").rename(tmp_path / "Album (1999)")
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 4)
    assert ended(store) == [(i, "finished") for i in ids]



def test_the_songs_of_a_folder_that_came_back_from_a_mac_as_they_play_are_found_in_it(store, tmp_path,
                                                                                       make_player):
    # The album's folder renamed and its files' accents written decomposed ("e" and a combining
    # accent, as macOS writes names; synced back from a Mac) while its first song plays: the
    # same names, yet the songs not opened yet were "file not found" until a scan.
    import unicodedata

    names = [unicodedata.normalize("NFC", f"{n} Été") for n in "abcd"]
    ids = add_tracks(store, tmp_path / "Album", [(name, 0.5) for name in names])
    p = make_player()
    p.play_tracks(ids)
    assert wait_for(lambda: p.current_track_id == ids[0])
    (tmp_path / "Album").rename(tmp_path / "Album (1999)")
    for name in names:
        os.rename(tmp_path / "Album (1999)" / f"{name}.flac",
                  tmp_path / "Album (1999)" / unicodedata.normalize("NFD", f"{name}.flac"))
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 4)
    assert ended(store) == [(i, "finished") for i in ids]

@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_song_ffmpeg_decodes_plays_on_from_a_seek_after_its_folder_is_renamed(store, tmp_path, make_player):
    # An AAC song (.m4a) is decoded by an ffmpeg started afresh at each seek, given the file's
    # name: its folder renamed as it played, a seek in it ended it "file not found", where a
    # FLAC, read from the file it holds open, played on.
    (tmp_path / "Album").mkdir()
    path = tmp_path / "Album" / "song.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                    "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)
    st = os.stat(path)
    store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(path))}])
    song = store.track_by_path(str(path))["id"]
    p = make_player(speed=2.0)
    p.play_tracks([song])
    assert wait_for(lambda: p.current_track_id == song and p.position > 0.2)       # (heard: opened)
    (tmp_path / "Album").rename(tmp_path / "Album (1999)")
    p.seek(3.0)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1)
    assert ended(store) == [(song, "finished")]


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_seek_in_a_song_ffmpeg_decodes_never_waits_for_the_library_to_give_it_to_its_copy(store, tmp_path,
                                                                                            make_player):
    # An AAC song playing, its file deleted (a copy of it kept elsewhere in the library, listed
    # later) and its track left missing by a scan stopped before it paired them. A seek starts
    # ffmpeg afresh by the file's name, and the feeder's thread asks where the file is: the
    # track was given to its copy right there, and with another process writing to the library
    # (a scan, an import: the write lock held here by a second real connection) the feeder
    # waited for the lock, up to 30 s, obeying nothing. It answers at once, and the track goes
    # to its copy once the library is free.
    (tmp_path / "Album").mkdir()
    (tmp_path / "Copies").mkdir()
    path = tmp_path / "Album" / "song.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=12",
                    "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)
    copied = shutil.copy2(path, tmp_path / "Copies" / "song.m4a")
    song = _scanned(store, path)
    copy = _scanned(store, copied)
    assert store.track(copy)["added_at"] > store.track(song)["added_at"]
    p = make_player(speed=2.0)
    p.play_tracks([song])
    assert wait_for(lambda: p.current_track_id == song and p.position > 0.2)       # (heard: opened)
    path.unlink()
    store.mark_missing([song])
    with _library_held(store):
        p.seek(3.0)
        answered = p.engine.sync(timeout=10.0)
    assert answered
    assert wait_for(lambda: store.track(song) is None, timeout=30)
    assert store.live_track_id(song) == copy


@pytest.mark.parametrize("fmt", ["flac", "mp3", "opus", "m4a", "m4b"])
def test_a_song_playing_a_scan_gave_to_its_copy_plays_on_from_the_copy_after_a_seek(store, tmp_path, make_player,
                                                                                      fmt):
    # A song playing, its file deleted (a copy of it kept elsewhere in the library with its
    # dates) and the library scanned: the scan gave the track, its play and all, to the copy.
    # An AAC file (an .m4b audiobook with chapters) is read by an ffmpeg started afresh at
    # each seek, given the file's name: the seek failed ("seeking in book.m4b failed: [Errno 2]
    # No such file or directory") and the song with it, where the copy holds the same bytes.
    from player.library.scanner import Scanner

    if fmt in ("m4a", "m4b") and (shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None):
        pytest.skip("ffmpeg is not installed")
    music = tmp_path / "music"
    if fmt == "m4b":
        song = with_chapters(music / "Books" / "book.m4b", "aac", [(0, 3000, "One"), (3000, 6000, "Two")],
                             seconds=6.0)
    elif fmt == "m4a":
        (music / "Album").mkdir(parents=True)
        song = music / "Album" / "song.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                        "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(song)], check=True)
    else:
        song = write_track(music / "Album", "song", fmt=fmt, seconds=6.0,
                           tags={"title": "song", "artist": "Artist", "album": "Album"})
    Scanner(store).scan([str(music)])
    (music / "Copies").mkdir()
    copied = shutil.copy2(song, music / "Copies" / song.name)
    Scanner(store).scan()
    seed, copy = store.track_by_path(str(song))["id"], store.track_by_path(str(copied))["id"]
    p = make_player(speed=2.0)
    p.play_tracks([seed])
    assert wait_for(lambda: p.current_track_id == seed and p.position > 1.5 and len(store.plays()) == 1)
    song.unlink()
    Scanner(store).scan()
    assert store.track(seed) is None and store.live_track_id(seed) == copy
    p.seek(0.5)     # (back: a seek ahead would take the song's credit)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=30)
    assert ended(store) == [(copy, "finished")]


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg is not installed")
def test_a_song_whose_album_folder_is_deleted_never_plays_on_from_a_backup_beside_it(store, tmp_path, make_player):
    # An AAC song playing (ffmpeg started afresh by the file's name at each seek), its album's
    # folder deleted, a backup folder beside it holding the same bytes with their dates, which
    # the library never gave the track to: the look for a renamed folder finds the backup's
    # file, of the same name, size and time, but it is another file. A seek ends the song as
    # its file gone, as before, rather than reading on from a file the library does not list.
    music = tmp_path / "music"
    (music / "Album").mkdir(parents=True)
    path = music / "Album" / "song.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                    "-ac", "2", "-c:a", "aac", "-b:a", "64k", str(path)], check=True)
    from player.library.scanner import Scanner

    Scanner(store).scan([str(music)])
    song = store.track_by_path(str(path))["id"]
    (music / "Album (backup)").mkdir()
    shutil.copy2(path, music / "Album (backup)" / "song.m4a")
    p = make_player(speed=2.0)
    p.play_tracks([song])
    assert wait_for(lambda: p.current_track_id == song and p.position > 0.2)       # (heard: opened)
    shutil.rmtree(music / "Album")
    p.seek(3.0)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1)
    assert ended(store) == [(song, "error")]


def test_the_next_song_whose_album_folder_was_deleted_is_not_played_from_a_backup_beside_it(store, tmp_path,
                                                                                             make_player):
    # An album's folder deleted, a backup folder beside it holding the same bytes with their
    # dates (cp -a), which the library never gave the tracks to: the next song, opened after,
    # was played from the backup, found by its name, size and time, and its play logged as
    # the album's. It is another file: the song is skipped as its file gone. A folder only
    # renamed holds the same files, and its songs are still found there.
    from player.library.scanner import Scanner

    music = tmp_path / "music"
    first = write_track(music / "Other", "first", fmt="flac", seconds=0.5, freq=330.0,
                        tags={"title": "first", "artist": "Artist", "album": "Other"})
    for album in ("Album", "Kept"):
        write_track(music / album, album, fmt="flac", seconds=0.5, freq=440.0,
                    tags={"title": album, "artist": "Artist", "album": album})
    Scanner(store).scan([str(music)])
    first, deleted, renamed = (store.track_by_path(str(music / folder / f"{name}.flac"))["id"]
                               for folder, name in (("Other", "first"), ("Album", "Album"), ("Kept", "Kept")))
    shutil.copytree(music / "Album", tmp_path / "backup")
    shutil.rmtree(music / "Album")
    shutil.copytree(tmp_path / "backup", music / "Album (backup)")     # (copytree keeps the dates)
    (music / "Kept").rename(music / "Kept (1999)")
    p = make_player()
    p.play_tracks([first, deleted, renamed])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3)
    assert ended(store) == [(first, "finished"), (deleted, "error"), (renamed, "finished")]
    assert store.plays()[1]["error"] == f"file not found: {music / 'Album' / 'Album.flac'}"


def test_a_song_whose_folder_is_renamed_as_it_is_opened_is_found_in_it(store, tmp_path, make_player,
                                                                         monkeypatch):
    # The look for a renamed folder came just before the file was opened; renamed between
    # the two (timing forced here, the rename real), the song was "file not found".
    from player.audio import feeder

    ids = add_tracks(store, tmp_path / "Album", [(name, 0.5) for name in "ab"])
    real = feeder.Decoder

    def renamed_first(path, *args, **kwargs):
        if path.endswith("b.flac") and (tmp_path / "Album").exists():
            (tmp_path / "Album").rename(tmp_path / "Album (1999)")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(feeder, "Decoder", renamed_first)
    p = make_player()
    p.play_tracks(ids)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert ended(store) == [(i, "finished") for i in ids]


def _a_song_and_its_dated_copy(store, tmp_path):
    """A song scanned into the library, and a copy of its file in another folder of it made
    with its dates kept, scanned too: (song, copy's path, song's track id, copy's track id)."""
    import shutil

    from player.library.scanner import Scanner

    song = write_track(tmp_path / "music" / "Album", "song", fmt="flac", seconds=0.5, freq=330.0,
                       tags={"title": "song", "artist": "Artist", "album": "Album"})
    Scanner(store).scan([str(tmp_path / "music")])
    (tmp_path / "music" / "Copies").mkdir()
    copied = shutil.copy2(song, tmp_path / "music" / "Copies" / song.name)
    Scanner(store).scan()
    return song, copied, store.track_by_path(str(song))["id"], store.track_by_path(str(copied))["id"]


def _scan_elsewhere(store) -> None:
    """The library scanned by another process (``segue scan`` in a terminal)."""
    from player.library.scanner import Scanner
    from player.store import Store

    elsewhere = Store(store.path)
    Scanner(elsewhere).scan()
    elsewhere.close()


def test_a_song_a_scan_elsewhere_moved_as_it_is_opened_plays_from_its_new_place(store, tmp_path, make_player,
                                                                                 monkeypatch):
    # Its file moved to another folder (a copy kept with its dates, the original deleted) and
    # the library scanned by another process (``segue scan`` in a terminal) after its source
    # was made and before the engine opened it (timing forced here, the move and the scan
    # real): the scan gave its track, plays and all, to the copy, and the song was "file not
    # found" and skipped, its play an error on the copy. It plays from the copy.
    from player.audio import feeder

    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    real = feeder.Decoder

    def moved_first(path, *args, **kwargs):
        if path == str(song) and song.exists():
            song.unlink()
            _scan_elsewhere(store)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(feeder, "Decoder", moved_first)
    p = make_player()
    p.play_tracks([seed])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1)
    # (where the scan ran before the play was logged, the track had no play to give and was
    # left missing: the player's progress thread gives it to the copy, at its next tick)
    assert wait_for(lambda: store.track(seed) is None) and ended(store) == [(copy, "finished")]


@pytest.mark.parametrize("order", ["copy found, then play logged", "play logged, then copy found"])
def test_a_song_never_played_a_scan_elsewhere_moved_before_its_play_was_logged_plays_from_its_copy(
        store, tmp_path, make_player, monkeypatch, order):
    # As above, but the scan ran between the start of the output, which opens the file, and
    # the log of the song's first play: with no play to give, it left the track missing and
    # the copy a track of its own, and the song was "file not found", its play an error.
    # (Forced here: the play is logged only once the scan is over; and the copy looked for
    # either before the play is logged or after.) It plays from the copy, logged there once.
    from player.audio import feeder

    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    assert store.plays() == []
    real_decoder, real_start = feeder.Decoder, store.start_play
    scanned, copy_opened, logged = threading.Event(), threading.Event(), threading.Event()

    def moved_first(path, *args, **kwargs):
        if path == str(song) and song.exists():
            song.unlink()
            _scan_elsewhere(store)
            scanned.set()
            if order == "play logged, then copy found":
                logged.wait(10)
        elif path == str(copied):
            copy_opened.set()
        return real_decoder(path, *args, **kwargs)

    def start_play(*args, **kwargs):
        scanned.wait(10)
        if order == "copy found, then play logged":
            copy_opened.wait(10)
        try:
            return real_start(*args, **kwargs)
        finally:
            logged.set()

    monkeypatch.setattr(feeder, "Decoder", moved_first)
    monkeypatch.setattr(store, "start_play", start_play)
    p = make_player()
    p.play_tracks([seed])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=30)
    # (given to the copy by the player's progress thread, at its next tick)
    assert wait_for(lambda: store.track(seed) is None) and ended(store) == [(copy, "finished")]
    assert store.live_track_id(seed) == copy
    # The player follows it too (its play logged first, the entry named the track gone).
    assert wait_for(lambda: p.history == [copy])


def test_a_song_given_to_its_copy_as_the_player_closes_is_given_before_it_closes(store, tmp_path):
    # The track left missing with no play to give (see above), the song plays from its copy and
    # its play is logged on the track; the progress thread was to give the track to the copy at
    # its next tick, and the player closed first: the play stayed on a missing track, the copy
    # shown as never played, until a scan found it. Closing gives it (its next tick is a minute
    # away here: the close comes first).
    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    song.unlink()
    _scan_elsewhere(store)
    assert store.track(seed)["missing"] == 1 and store.plays() == []
    p = Player(store, NullEngine(speed=1.0), progress_interval_s=60.0)
    try:
        p.play_tracks([seed])
        assert wait_for(lambda: p.position > 0.1 and len(store.plays()) == 1)
    finally:
        p.close()
    assert store.track(seed) is None and store.live_track_id(seed) == copy
    assert ended(store) == [(copy, "stopped")]


def test_closing_waits_a_moment_not_the_store_s_wait_for_a_busy_library_to_give_a_track_to_its_copy(
        store, tmp_path, caplog):
    # Closing gives the tracks still waiting for the progress thread to their copies (see
    # above), on the GUI thread. Another process holding the library (a scan, an import) had
    # it wait out the store's 30 s wait there, the window frozen for it, for what the next
    # scan does as well: a moment's wait, one line, and the track is left to that scan.
    import logging

    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    song.unlink()
    _scan_elsewhere(store)
    p = Player(store, NullEngine(speed=1.0), progress_interval_s=60.0)
    caplog.set_level(logging.INFO, logger="player.playback")
    try:
        p.play_tracks([seed])
        assert wait_for(lambda: p.position > 0.1 and len(store.plays()) == 1)
        assert p._to_give == {seed: copy}
        with _library_held(store):
            began = time.monotonic()
            p._give_left_to_copies()
            took = time.monotonic() - began
        assert took < 10, took
        said = [r for r in caplog.records if "before closing" in r.getMessage()]
        assert len(said) == 1 and said[0].levelno == logging.WARNING
        assert store.track(seed)["missing"] == 1       # (left to the next scan)
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000   # (as it was after)
    finally:
        p.close()
    _scan_elsewhere(store)
    assert store.track(seed) is None and store.live_track_id(seed) == copy


def test_a_song_given_to_its_copy_while_another_process_holds_the_library_says_so_once(store, tmp_path,
                                                                                      monkeypatch, caplog):
    # Another process writing to the library for long (a scan, an import: the write lock held
    # here by a second real connection) as the player gives a track to its copy (see above):
    # each tick waited out the store's wait and logged a traceback, every 30 s for as long as
    # it lasted. One line says the library is busy; the track is given, and its play kept,
    # once it is free.
    import logging

    from player.store import Store

    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    song.unlink()
    _scan_elsewhere(store)
    busy = Store(store.path, busy_timeout_s=0.2)
    caplog.set_level(logging.INFO, logger="player.playback")
    writer = sqlite3.connect(store.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    p = Player(busy, NullEngine(speed=1.0), progress_interval_s=0.05)
    tries = []
    give = p._give_to_copy

    def counted(*args):
        tries.append(args)
        return give(*args)

    monkeypatch.setattr(p, "_give_to_copy", counted)
    try:
        p.play_tracks([seed])
        assert wait_for(lambda: len(tries) >= 4, timeout=60)
        said = [r for r in caplog.records if "to its copy" in r.getMessage()]
        assert len(said) == 1 and said[0].exc_info is None and said[0].levelno == logging.WARNING, said
        assert "busy" in said[0].getMessage()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    try:
        assert wait_for(lambda: store.track(seed) is None, timeout=30)
        assert store.live_track_id(seed) == copy
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=30)
    finally:
        p.close()
        busy.close()
    assert ended(store) == [(copy, "finished")]


_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_MARK_PRESENT = """
import sqlite3, sys
from player.store import Store
store = Store(sys.argv[1])
store.conn.execute("PRAGMA busy_timeout = 0")   # (refused at once where the player holds the write lock)
try:
    store.mark_present([int(sys.argv[2])])
except sqlite3.OperationalError as exc:
    sys.exit(3 if "locked" in str(exc) else 1)
"""


def test_a_song_whose_file_comes_back_as_its_copy_is_looked_for_is_not_given_to_the_copy(
        store, tmp_path, make_player, monkeypatch):
    # Its file gone and the track left missing (it had no play to give: see above), the player
    # plays it from its copy and gives the track to the copy. Just as it looked for the copy,
    # another process (a scan, the disk reconnected) found the file back and marked the track
    # present: a merge after that took a track whose file is there into another, for good.
    # The competing change is made by a second real process at the forced moment, each time the
    # player has found the copy as it decides on the merge (on its progress thread: the engine's
    # look, as the song opens, only picks the file to play); it either lands before the player
    # decides, or waits for it.
    from player import playback

    song, copied, seed, copy = _a_song_and_its_dated_copy(store, tmp_path)
    song.unlink()
    _scan_elsewhere(store)
    assert store.track(seed)["missing"] == 1 and store.track(copy)["missing"] == 0
    real_copy_of_missing = playback.copy_of_missing
    landed = []

    def file_back_meanwhile(store_, track_id):
        found = real_copy_of_missing(store_, track_id)
        if found is not None and threading.current_thread().name == "play-progress":
            if not song.exists():
                shutil.copy2(copied, song)
            done = subprocess.run([sys.executable, "-c", _MARK_PRESENT, str(store.path), str(track_id)],
                                  capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": _ROOT})
            # (told, not asserted here: the progress thread goes on from a failure in its tick)
            landed.append((done.returncode, done.stderr))
        return found

    monkeypatch.setattr(playback, "copy_of_missing", file_back_meanwhile)
    p = make_player()
    p.play_tracks([seed])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 1, timeout=60)
    assert wait_for(lambda: landed, timeout=60)      # (the progress thread's look, at its next tick)
    assert all(code in (0, 3) for code, _ in landed), landed
    if any(code == 0 for code, _ in landed):     # marked present before the player decided: the track stays its own
        assert store.track(seed) is not None and store.track(seed)["missing"] == 0
    else:               # marked present only after the merge: nothing was found back to keep apart
        assert wait_for(lambda: store.track(seed) is None)
    assert store.track(copy) is not None


def _scanned(store, path) -> int:
    st = os.stat(path)
    store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(path))}])
    return store.track_by_path(str(path))["id"]


def _decoded_s(path) -> float:
    """Seconds of audio the player's decoder reads from ``path``, to its end."""
    from player.audio.decoder import Decoder

    dec = Decoder(str(path), out_rate=44100)
    n = 0
    while len(block := dec.read(65536)):
        n += len(block)
    dec.close()
    return n / 44100


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_a_file_cut_short_fades_and_is_shown_and_logged_at_the_length_it_plays(store, tmp_path, fmt):
    # An interrupted download or copy keeps the header of the whole file (8 s here), and what
    # it holds (about 4 s) plays. The library lists that, the seek bar shows it from the start,
    # the crossfade into the next song begins a second before that end (it came as a cut there,
    # with no fade), and the play is logged finished at that length, not the header's.
    from tests.audiogen import cut_to_half
    from tests.player.audio.signals import active_region, tone_level

    path = cut_to_half(write_track(tmp_path, "cut", fmt=fmt, seconds=8.0, freq=330.0, tags={"title": "cut"}))
    real = _decoded_s(path)
    assert 3.5 < real < 4.5
    cut = _scanned(store, path)
    after = _scanned(store, write_track(tmp_path, "after", fmt="flac", seconds=3.0, freq=660.0,
                                        tags={"title": "after"}))
    assert store.track(cut)["duration"] == pytest.approx(real, abs=0.03)
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        shown, deadline = set(), time.monotonic() + 10
        p.play_tracks([cut, after])
        while p.current_track_id != after and time.monotonic() < deadline:
            if p.current_track_id == cut:
                shown.add(round(p.duration, 2))
            time.sleep(0.005)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
        out = active_region(p.engine.captured()[:, 0], threshold=1e-4)
    finally:
        p.close()
    assert shown and all(abs(d - real) < 0.03 for d in shown), (shown, real)
    assert len(out) / 44100 == pytest.approx(real + 3.0 - 1.0, abs=0.1)
    fade = out[int((real - 0.8) * 44100):int((real - 0.2) * 44100)]
    assert tone_level(fade, 330.0, sr=44100) > 0.2 and tone_level(fade, 660.0, sr=44100) > 0.2
    assert ended(store) == [(cut, "finished"), (after, "finished")]
    assert store.plays()[0]["track_ms"] == pytest.approx(real * 1000, abs=30)


def _shorten_listed_at_an_estimate(store, tmp_path, monkeypatch):
    """A Shorten file of 6 s whose header gives no length, listed at an estimate from its
    first codes and not counted yet (the scan stops before the count), and a FLAC of 3 s
    after it: their rows. A loud first second makes that estimate half its length."""
    import numpy as np

    from player.library.scanner import Scanner, ScanCancelled
    from segue_common import audio_io
    from tests.audiogen import write_shorten
    from tests.player.audio.signals import sine

    monkeypatch.setattr(audio_io, "SHORTEN_WALK_BYTES", 4096)       # (a short file walked as a long one)
    rate = 44100
    mono = np.concatenate([sine(rate, freq=330, sr=rate) * 0.9, sine(5 * rate, freq=330, sr=rate) * 0.01])
    music = tmp_path / "music"
    path = write_shorten(music / "set.shn", np.stack([mono * 32767] * 2, 1).astype(np.int16), rate, sized=False)
    write_track(music, "after", fmt="flac", seconds=3.0, freq=660.0, tags={"title": "after"})

    def stop_once_listed(progress):
        if progress.total and progress.done == progress.total:
            scanner.cancel()

    scanner = Scanner(store, progress=stop_once_listed, progress_interval_s=0)
    with pytest.raises(ScanCancelled):
        scanner.scan([str(music)])
    shn, after = store.track_by_path(str(path)), store.track_by_path(str(music / "after.flac"))
    assert shn["duration"] < 4.0                # (the estimate, the file 6 s)
    return shn, after


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_listed_at_an_estimate_plays_to_its_end_under_a_crossfade(store, tmp_path, monkeypatch):
    # Taken as the file's length, the estimate began the crossfade into the next song where
    # it ended, and half the song was never heard.
    from tests.player.audio.signals import active_region

    rate = 44100
    shn, after = _shorten_listed_at_an_estimate(store, tmp_path, monkeypatch)
    p = Player(store, NullEngine(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([shn["id"], after["id"]])
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=20)
        out = active_region(p.engine.captured()[:, 0], threshold=1e-4)
    finally:
        p.close()
    assert len(out) / rate == pytest.approx(6.0 + 3.0, abs=0.1)      # all of it, then the next
    assert ended(store) == [(shn["id"], "finished"), (after["id"], "finished")]


@pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                    reason="ffmpeg and ffprobe decode Shorten")
def test_a_shorten_file_listed_at_an_estimate_shows_a_length_and_a_jump_to_its_end_is_a_skip(store, tmp_path,
                                                                                               monkeypatch):
    # The estimate is kept from the engine's fade, not from the person: without it the song
    # showed 0:00 long, its seek bar had no room to move, and a jump to its end at once was
    # logged as the song heard through (a skip lost, a listen that was none counted).
    shn, after = _shorten_listed_at_an_estimate(store, tmp_path, monkeypatch)
    p = Player(store, NullEngine(speed=4.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([shn["id"], after["id"]])
        assert wait_for(lambda: p.engine.position > 0.2, timeout=10)
        assert p.duration == pytest.approx(shn["duration"])
        p.seek(shn["duration"] + 1.0)           # past the estimate (the file goes on)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=20)
    finally:
        p.close()
    assert ended(store) == [(shn["id"], "skipped"), (after["id"], "finished")]


def test_moving_on_near_the_end_of_a_file_cut_short_is_no_early_skip(store, tmp_path, make_player):
    # Its header says 80 s, it holds about 40. Heard for 33 s and moved on from, it was heard
    # past its half, as a song is that is not skipped early; against the header's length it
    # was taken for one rejected under half-way.
    from tests.audiogen import cut_to_half

    path = cut_to_half(write_track(tmp_path, "cut", fmt="flac", seconds=80.0, freq=330.0, tags={"title": "cut"}))
    cut = _scanned(store, path)
    (after,) = add_tracks(store, tmp_path, [("after", 1.0)])
    p = make_player(speed=16.0)
    ev = Events(p)
    p.play_tracks([cut, after])
    assert wait_for(lambda: p.position > 33.0, timeout=20)
    shown = p.duration
    p.next()
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert ended(store) == [(cut, "skipped"), (after, "finished")]
    assert p.early_skips == [] and [x["early_skip"] for x in ev.of("track_ended")] == [False, False]
    assert 39.0 < shown < 41.0


def test_seeking_forward_does_not_count_the_skipped_part(store, tmp_path, make_player):
    (tid,) = add_tracks(store, tmp_path, [("long", 4.0)])
    p = make_player(speed=4.0)
    p.play_track(tid)
    assert wait_for(lambda: p.position > 0.5)
    p.seek(3.6)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    (row,) = store.plays()
    # Heard: about 0.5-1 s before the seek and 0.4 s after it, far from the 4 s length;
    # run out at the end after that jump, it is moved on from, not finished.
    assert 800 <= row["ms_heard"] <= 1800
    assert row["ended"] == "skipped"


def test_the_state_saved_during_a_seek_far_into_a_long_track_resumes_there_not_at_the_start(
        store, tmp_path, make_player, monkeypatch):
    # The state saved every 2 s (where the next start resumes) could catch a seek between
    # the engine's flush and the new place being decoded, and save 0.0: a person who then
    # restarted resumed an audiobook chapter or a mix at its start. Each seek here is held
    # in that moment, and the state is saved then, as the timer does, from this thread.
    from player.playback import STATE_SETTING

    (tid,) = add_tracks(store, tmp_path, [("mix", 60.0)])
    held = hold_seeks(monkeypatch)
    p = make_player(speed=1.0, interval=3600.0)     # (the timer stays out of it: the test saves)
    p.restore_state()                               # the window's player: it saves its state
    p.play_track(tid)
    assert wait_for(lambda: p.position > 0.1)
    for to in (45.0, 20.0, 52.5):
        held.inside.clear()
        held.go.clear()
        p.seek(to)
        assert held.inside.wait(10)                 # the engine's buffer is flushed
        assert p.position == pytest.approx(to)
        p._save_state()
        assert store.get_setting(STATE_SETTING)["current"][3] == pytest.approx(to)
        held.go.set()
        assert p.engine.sync()
    p.close()
    cued = make_player().restore_state()
    assert cued.entry.track_id == tid and 52.5 <= cued.position < 55.0


@pytest.mark.parametrize("after", [False, True])
def test_a_song_run_out_reads_its_end_until_the_player_hears_of_it_never_the_start(
        store, tmp_path, make_player, after):
    # The engine ends a song (stops at the end of the stream, or goes on to the next) a
    # moment before its event reaches the player. In that moment the position read 0.0 (the
    # engine's, of nothing or of the next song): the seek bar jumped to the start, and the
    # state saved then resumed the song from its start. The player's lock is held here, so
    # the event waits, as a busy player makes it.
    from player.playback import STATE_SETTING

    ids = add_tracks(store, tmp_path, [("a", 2.0), ("b", 30.0)])
    p = make_player(speed=8.0, interval=3600.0)     # (the timer stays out of it: the test saves)
    p.restore_state()
    p.play_tracks(ids if after else ids[:1])
    assert wait_for(lambda: p.position > 0.5)
    with p._lock:
        assert wait_for(lambda: p.engine.current is not p._playing.source)
        assert p.current_track_id == ids[0]
        assert p.position == pytest.approx(2.0)
        p._save_state()
    saved = store.get_setting(STATE_SETTING)["current"]
    assert saved[0] == ids[0] and saved[3] == pytest.approx(2.0)



def test_a_song_being_begun_reads_its_own_start_never_the_place_of_the_song_before(
        store, tmp_path, make_player):
    # A new song is logged as begun a moment before the engine is handed it. The state
    # saved every 2 s in that moment wrote the new song with the old one's place: killed
    # or crashed then, the next start resumed the new song 20 s in. The state is saved here
    # in that moment, from the player's own event, as the timer thread can.
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = make_player(speed=8.0, interval=3600.0)     # (the timer stays out of it: the test saves)
    p.restore_state()
    seen = []

    def on_event(name, data):
        if name == "track_started" and data["track_id"] == b:
            seen.append(p.position)
            p._save_state()

    p.play_track(a)
    assert listen_through(p, lambda: p.position > 15.0)
    assert wait_for(lambda: p.position > 20.0)
    p.add_listener(on_event)
    p.play_track(b)
    # (its own start: the output is started before the play is logged, so on a loaded machine
    # the new song may have been heard for a few milliseconds by then; the old song was 20 s in)
    assert len(seen) == 1 and 0.0 <= seen[0] < 0.5, seen
    saved = store.get_setting(STATE_SETTING)["current"]
    assert saved[0] == b and 0.0 <= saved[3] < 0.5, saved
    assert wait_for(lambda: p.position > 1.0)       # and once the engine has it, its own place

def test_a_song_jumped_to_its_end_is_logged_as_next_would_and_heard_songs_still_finish(
        store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [("a", 8.0), ("b", 8.0), ("c", 8.0), ("d", 8.0), ("e", 0.5)])
    a, b, c, d, e = ids
    p = make_player(speed=4.0)
    ev = Events(p)
    p.play_tracks(ids)
    assert wait_for(lambda: p.position > 1.0)
    p.seek(7.9)                                 # a: to its end, one second in
    assert wait_for(lambda: p.current_track_id == b and p.position > 1.0)
    p.seek(3.0)                                 # b: a little ahead, the rest heard
    assert wait_for(lambda: p.current_track_id == c and p.position > 3.0)
    p.seek(0.5)                                 # c: back, then heard to the end
    assert wait_for(lambda: p.current_track_id == d and p.position > 5.0)
    p.seek(7.9)                                 # d: to its end with most of it heard
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    assert ended(store) == [(a, "skipped"), (b, "finished"), (c, "finished"), (d, "finished"), (e, "finished")]
    assert p.early_skips == [a]
    assert [x["early_skip"] for x in ev.of("track_ended")] == [True, False, False, False, False]


def test_next_for_a_song_that_ran_out_leaves_the_one_after_it_playing(store, tmp_path, make_player):
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 8.0), ("c", 8.0)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b, c])
    assert wait_for(lambda: p.current_track_id == b)
    shown_a, shown_b = (d["entry"] for d in ev.of("track_started"))
    p.next(shown_a)                             # pressed for a as it ended
    assert p.current_track_id == b
    p.next(shown_b)                             # for b: it is skipped
    assert p.current_track_id == c
    p.next(shown_b)                             # pressed twice quickly: the second is for c
    assert p.current_track_id is None
    assert ended(store) == [(a, "finished"), (b, "skipped"), (c, "skipped")]


def test_the_early_skips_follow_tracks_a_scan_merged(store, tmp_path, make_player):
    # A station moves away from what was skipped since it started: a skipped file that a
    # rescan found moved, and merged into its old track, is still the one skipped.
    a, b = add_tracks(store, tmp_path, [("a", 8.0), ("b", 1.0)])
    p = make_player(speed=4.0)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.position > 0.5)
    p.next()
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert p.early_skips == [a]
    p.renumber({a: b + 100})
    assert p.early_skips == [b + 100]


def test_a_station_follows_its_seed_a_scan_merged_and_saves_it_so(store, tmp_path, make_player):
    # A station around a moved file that a rescan merged into its old track asked around
    # a track no longer in the library, found nothing, and went quiet; the saved state
    # named the row gone.
    a, b, c = add_tracks(store, tmp_path, [("a", 20.0), ("b", 20.0), ("c", 20.0)])
    p = make_player(speed=1.0)
    p.start_station(a, [b])
    p.renumber({a: c + 100, c + 100: c})        # moved twice: it follows both steps
    assert p.station_seed == c
    assert p._state()["station"] == c


def test_a_jump_to_the_end_while_the_file_opens_plays_from_there_and_is_a_skip(
        store, tmp_path, make_player, monkeypatch):
    from player.audio.decoder import Decoder

    a, b = add_tracks(store, tmp_path, [("a", 8.0), ("b", 1.0)])
    opened = Decoder.__init__

    def slow(self, *args, **kw):        # a sleeping disk, a network share
        time.sleep(0.3)
        opened(self, *args, **kw)

    monkeypatch.setattr(Decoder, "__init__", slow)
    p = make_player(speed=4.0)
    p.play_tracks([a, b])
    p.seek(7.5)                                 # before a frame of it was heard
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
    assert ended(store) == [(a, "skipped"), (b, "finished")] and p.early_skips == [a]
    assert store.plays()[0]["ms_heard"] < 1500


def test_a_damaged_song_faded_into_is_an_error_and_the_list_goes_on(store, tmp_path, make_player, monkeypatch):
    from player.audio.decoder import Decoder, DecodeError

    a, b, c = add_tracks(store, tmp_path, [("a", 4.0), ("b", 4.0), ("c", 2.0)])
    read = Decoder.read

    def failing(self, n, **kw):
        if self.path.endswith("b.flac"):
            raise DecodeError("decoding b.flac failed: a damaged frame")
        return read(self, n, **kw)

    monkeypatch.setattr(Decoder, "read", failing)
    p = make_player(speed=8.0, crossfade_s=1.0)
    p.play_tracks([a, b, c])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3)
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]


@pytest.mark.parametrize("change", ["clear", "remove"])
def test_a_song_removed_in_the_last_seconds_before_it_is_not_played(store, tmp_path, make_player, change):
    # The current song is buffered to its end and the next one's start written after it.
    a, b = add_tracks(store, tmp_path, [("a", 1.0), ("b", 2.0)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.engine._nseg is not None)     # b's start is in the buffer
    if change == "clear":
        p.clear_queue()
    else:
        p.remove_queue_entries(p.queue)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) >= 1)
    time.sleep(0.3)
    assert ended(store) == [(a, "finished")]


def test_a_step_ahead_under_a_crossfade_is_no_skip(store, tmp_path):
    # The fade's frames count as the next track's: the outgoing one was heard past them.
    a, b = add_tracks(store, tmp_path, [("a", 8.0), ("b", 8.0)])
    p = Player(store, NullEngine(speed=4.0, crossfade_s=4.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.position > 1.0)
        p.seek(3.0)
        assert wait_for(lambda: p.current_track_id == b)
        assert ended(store)[0] == (a, "finished") and p.early_skips == []
    finally:
        p.close()


def _click_free_and_heard(p) -> float:
    """Seconds of sound the null engine played, all of it without a click: no step between two
    samples larger than the steepest of the tones (330 Hz at 0.3: 0.014) and a pause's ramp."""
    import numpy as np

    out = p.engine.captured()[:, 0]
    assert np.abs(np.diff(out)).max() < 0.05
    playing = np.flatnonzero(np.abs(out) > 1e-3)
    return (playing[-1] + 1 - playing[0]) / 44100


def test_a_pause_under_a_crossfade_is_click_free_and_loses_nothing_of_the_fade(store, tmp_path):
    # Paused while the fade is heard, and played on: the fade goes on from where it was, with
    # no click either way, and both plays are logged as they would be without the pause.
    a, b = add_tracks(store, tmp_path, [("a", 4.0), ("b", 2.0)])
    p = Player(store, OpensInRealTime(speed=2.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.current_track_id == b and p.position > 0.1)
        p.pause()
        assert wait_for(lambda: p.state is PlaybackState.PAUSED)
        assert p.position < 0.9     # (paused within the fade)
        p.resume()
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
        heard_s = _click_free_and_heard(p)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "finished")]
    plays = store.plays()
    # (4 s and 2 s, 1 s of them at once)
    assert (plays[0]["ms_heard"], plays[1]["ms_heard"]) == pytest.approx((3000, 2000), abs=30)
    assert heard_s == pytest.approx(5.0, abs=0.03)


def test_next_pressed_under_a_crossfade_skips_the_song_fading_in_without_a_click(store, tmp_path):
    # Next while the fade is heard: the song fading in is the one playing, so it is the one
    # skipped (where it was), the one fading out having ended as the fade began; the song
    # after plays, with no click where the fade is cut.
    a, b, c = add_tracks(store, tmp_path, [("a", 4.0), ("b", 2.0), ("c", 0.5)])
    p = Player(store, OpensInRealTime(speed=2.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.current_track_id == b and p.position > 0.1)
        p.next()
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3)
        _click_free_and_heard(p)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "skipped"), (c, "finished")]
    plays = store.plays()
    assert plays[0]["ms_heard"] == pytest.approx(3000, abs=30)
    assert 100 <= plays[1]["ms_heard"] < 1000      # (skipped within the fade)
    assert plays[2]["ms_heard"] == pytest.approx(500, abs=30)


def test_a_seek_back_in_a_song_whose_fade_is_written_but_not_heard_fades_again_at_its_end(store, tmp_path):
    # The fade into the next song is written ahead of the output (the buffer) while the song
    # is still the one heard; a seek back in it takes that fade back. The song plays on from
    # the place, fades into the next one at its end as ever, and the next is heard once, whole.
    a, b = add_tracks(store, tmp_path, [("a", 4.0), ("b", 2.0)])
    p = Player(store, OpensInRealTime(speed=2.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine._nseg is not None or p.current_track_id == b)
        assert p.current_track_id == a and p.position < 3.0     # (the fade written, not heard)
        at = p.position
        p.seek(0.5)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2)
        heard_s = _click_free_and_heard(p)
    finally:
        p.close()
    assert ended(store) == [(a, "finished"), (b, "finished")]
    plays = store.plays()
    assert plays[1]["ms_heard"] == pytest.approx(2000, abs=30)
    # a to where the seek came, then from 0.5 s on: 2.5 s alone, 1 s under b, and b's last 1 s
    assert heard_s == pytest.approx(at + 2.5 + 2.0, abs=0.1)


def test_a_jump_to_the_end_under_a_crossfade_with_nothing_after_is_a_skip(store, tmp_path):
    (a,) = add_tracks(store, tmp_path, [("a", 20.0)])
    p = Player(store, NullEngine(speed=8.0, crossfade_s=6.0), progress_interval_s=0.2)
    try:
        p.play_tracks([a])
        assert wait_for(lambda: p.position > 4.5)
        p.seek(19.5)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED)
        assert ended(store) == [(a, "skipped")] and p.early_skips == [a]
    finally:
        p.close()


def test_coming_back_to_a_song_and_moving_to_where_one_was_is_no_skip(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 80.0)])
    p = make_player(speed=8.0)
    p.play_tracks([a, b])
    assert listen_through(p, lambda: p.position > 40.0)
    assert wait_for(lambda: p.position > 45.0)
    p.next()                                    # more than half heard: no early skip
    p.previous()                                # back within 3 s: a again, from its start
    assert wait_for(lambda: p.current_track_id == a and p.position > 0.5)
    p.seek(45.0)                                # to where they had got, to hear the rest
    assert listen_through(p, lambda: p.current_track_id == b, 20.0)
    assert ended(store)[-2] == (a, "finished") and p.early_skips == []


def test_under_repeat_one_a_move_to_the_end_is_the_next_lap_not_a_skip(store, tmp_path, make_player):
    (a,) = add_tracks(store, tmp_path, [("a", 8.0)])
    p = make_player(speed=4.0)
    p.set_repeat("one")
    p.play_tracks([a], source="up_next")
    assert wait_for(lambda: p.position > 0.5)
    p.seek(7.8)
    assert wait_for(lambda: len(store.plays()) == 2)
    p.stop()
    assert ended(store)[0] == (a, "finished") and p.early_skips == []


@pytest.mark.parametrize("restart", [False, True])
def test_a_song_listened_to_near_its_end_after_a_step_ahead_is_no_skip_also_resumed(
        store, tmp_path, make_player, restart):
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 2.0)])
    p = make_player(speed=4.0)
    p.restore_state()                           # the window's player: saves its state
    p.play_tracks([a, b])
    assert wait_for(lambda: p.position > 5.0)
    p.seek(45.0)                                # ahead, to hear the rest...
    assert listen_through(p, lambda: p.position > 72.0)
    assert wait_for(lambda: p.position > 77.3, 20.0)
    p.pause()                                   # ...paused under 3 s from the end, reached by listening
    assert p.current_track_id == a
    if restart:                                 # ...and closed there
        p.close()
        assert store.get_setting(STATE_SETTING)["current"][0] == a
        p = make_player(speed=4.0)
        p.restore_state()
    p.resume()
    assert wait_for(lambda: p.current_track_id == b, 20.0)
    assert ended(store)[-2] == (a, "finished") and p.early_skips == []


@pytest.mark.parametrize("crossfade_s, next_s, to, expected", [
    (0.0, 2.0, 79.0, "skipped"),        # to its very end
    (6.0, 20.0, 75.0, "skipped"),       # into the fade into the next song
    (6.0, 2.0, 75.0, "skipped"),        # a short next song: a 1 s fade, the last 5 s heard alone
    (0.0, 2.0, 65.0, "skipped"),        # 15 s before the end: 17 s of 80 heard
    (0.0, 2.0, 45.0, "finished"),       # 35 s before it: to hear the rest
])
def test_a_cued_song_moved_to_its_end_and_run_out_is_a_skip(store, tmp_path, make_player,
                                                            crossfade_s, next_s, to, expected):
    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", next_s)])
    p = restored(store, make_player, a, b, 2.0, crossfade_s=crossfade_s)
    p.seek(to)                                  # before it plays
    p.resume()
    assert listen_through(p, lambda: p.position > 70.0 or p.current_track_id == b)
    assert wait_for(lambda: p.current_track_id == b)
    assert wait_for(lambda: len(ended(store)) >= 1)
    assert ended(store)[0] == (a, expected) and p.early_skips == ([a] if expected == "skipped" else [])


def test_a_move_to_the_end_before_a_close_is_judged_after_it_as_it_would_have_been(store, tmp_path, make_player):
    # Cued at 0:02 of 1:20 (or playing, 3 s heard), moved to 1:19, the window closed; at the
    # next start it is resumed and runs out: 3 s of 80 heard, a song moved on from, as it is
    # without the close. The restart forgot the move and logged it finished.
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 1.0)])
    for playing in (False, True):
        if playing:
            p = make_player(speed=8.0)
            p.restore_state()
            p.play_tracks([a, b])
            assert wait_for(lambda: p.position > 3.0)
            p.pause()
        else:
            p = restored(store, make_player, a, b, 2.0)
        p.seek(79.0)
        assert wait_for(lambda: abs(p.position - 79.0) < 0.05)
        p.close()
        assert store.get_setting(STATE_SETTING)["current"][3] == 79.0
        p = make_player(speed=8.0)
        assert p.restore_state().position == 79.0
        p.resume()
        assert wait_for(lambda: p.current_track_id == b)
        assert wait_for(lambda: store.plays()[-1]["ended"] != "playing")
        assert [r["ended"] for r in store.plays() if r["track_id"] == a][-1] == "skipped"
        assert p.early_skips == [a]
        p.close()


def test_a_move_made_just_before_the_close_is_where_the_next_start_resumes(store, tmp_path, make_player):
    # The slider let go and the window closed at once: the engine had not taken the seek
    # yet, and the state kept the old place (or 0:00, caught in the middle of the seek).
    from player.playback import STATE_SETTING

    (a,) = add_tracks(store, tmp_path, [("a", 80.0)])
    for to in (50.0, 20.0, 65.0):
        p = make_player(speed=8.0)
        p.restore_state()
        p.play_tracks([a])
        assert wait_for(lambda: p.position > 3.0)
        p.pause()
        p.seek(to)
        p.close()
        assert store.get_setting(STATE_SETTING)["current"][3] == to


@pytest.mark.parametrize("crossfade_s, next_s", [(0.0, None), (10.0, None), (10.0, 4.0), (10.0, 20.0)])
@pytest.mark.parametrize("heard, to, expected", [
    (3.0, 51.0, "skipped"),             # 9 s before the end: 12 s of 60 heard
    (3.0, 45.0, "skipped"),             # 15 s before it
    (25.0, 51.0, "finished"),           # over half of it heard, the end included
])
def test_a_song_run_out_after_a_jump_to_near_its_end_is_judged_by_what_was_heard(
        store, tmp_path, crossfade_s, next_s, heard, to, expected):
    # The seek bar dragged to the last seconds and let run out: the person heard the first
    # seconds and the last ones, which is a song moved on from, as Next there would be,
    # whatever follows it and however long the fade into that is.
    a, *rest = add_tracks(store, tmp_path, [("a", 60.0)] + ([("b", next_s)] if next_s else []))
    p = Player(store, NullEngine(speed=8.0, crossfade_s=crossfade_s), progress_interval_s=0.2)
    try:
        p.play_tracks([a, *rest])
        assert listen_through(p, lambda: p.position > heard - 5.0)
        assert wait_for(lambda: p.position > heard, 20.0)
        p.seek(to)
        assert wait_for(lambda: len(ended(store)) == 1 + len(rest) and ended(store)[0][1] != "playing", 30.0)
        assert ended(store)[0] == (a, expected) and p.early_skips == ([a] if expected == "skipped" else [])
        # The time heard is what was heard: the fade out is filed under the next song.
        row = store.plays()[0]
        fade = min(crossfade_s, 30.0, next_s / 2) if next_s else 0.0
        assert heard * 1000 + (60.0 - to - fade - 1.0) * 1000 < row["ms_heard"] < (heard + 1.5 + 60.0 - to) * 1000
    finally:
        p.close()


def test_a_track_armed_too_late_and_taken_meanwhile_is_not_started_twice(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 0.5), ("b", 3.0)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_track(a)
    with p._lock:
        assert wait_for(lambda: p.engine.state is PlaybackState.STOPPED)
        p.enqueue([b])                          # armed after the engine ended its stream...
        taken = p._queue.pop_front()            # ...and taken by Next, which pops before it locks
    assert wait_for(lambda: p.current_track_id is None)
    assert len(ev.of("track_started")) == 1     # the end of a does not start it...
    p._start(taken, ended="skipped")            # ...Next does, once
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    assert ended(store) == [(a, "finished"), (b, "finished")] and p.early_skips == []


def test_queue_changes_wait_for_the_player_lock(store, tmp_path, make_player):
    # An engine event handled under the lock must never see the queue half changed: Next,
    # a removal or a clear take the lock before they touch the queue.
    ids = add_tracks(store, tmp_path, [(name, 4.0) for name in "abcd"])
    p = make_player(speed=1.0)
    p.play_tracks(ids)
    for act in (p.next, lambda: p.remove_from_queue(0), p.clear_queue):
        before = [e.track_id for e in p.queue]
        with p._lock:
            t = threading.Thread(target=act)
            t.start()
            time.sleep(0.2)
            assert [e.track_id for e in p.queue] == before
        t.join(5)
        assert not t.is_alive() and [e.track_id for e in p.queue] != before


def test_a_song_queued_next_as_the_fade_into_a_very_short_one_begins_plays_once(store, tmp_path):
    import numpy as np

    ids = []
    for name, seconds, freq in (("a", 3.0, 330.0), ("v", 0.6, 550.0), ("x", 2.0, 1320.0)):
        path = write_track(tmp_path, name, fmt="flac", seconds=seconds, freq=freq, tags={"title": name})
        st = os.stat(path)
        store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                              **read_tags(str(path))}])
        ids.append(store.track_by_path(str(path))["id"])
    a, v, x = ids
    p = Player(store, NullEngine(crossfade_s=2.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([a, v])
        # The player hears of the fade into v late (its lock held: a busy database), after
        # the person put x next and after the engine began fading v into it.
        with p._lock:
            assert wait_for(lambda: p.engine.current is not None and p.engine.current.path.endswith("v.flac"))
            p.insert_next([x])
            assert wait_for(lambda: p.engine.current is not None and p.engine.current.path.endswith("x.flac"))
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and p.engine.state is PlaybackState.STOPPED
                        and len(ended(store)) == 3 and "playing" not in dict(ended(store)).values())
        assert ended(store) == [(a, "finished"), (v, "finished"), (x, "finished")]
        out = p.engine.captured()[:, 0]
        win = 2205                                  # 50 ms
        t = np.arange(win) / 44100
        probe = np.exp(-2j * np.pi * 1320.0 * t)
        with_x = sum(abs(np.dot(out[i:i + win], probe)) / win * 2 > 0.02 for i in range(0, len(out) - win, win))
        assert with_x * win / 44100 < 2.3             # x heard once: 2 s, not twice
        assert 1700 <= store.plays()[2]["ms_heard"] <= 2000
    finally:
        p.close()


def test_a_list_plays_through_under_a_crossfade(store, tmp_path):
    # Arming the third track as the second fades in must leave the fading one playing.
    ids = add_tracks(store, tmp_path, [("a", 6.0), ("b", 6.0), ("c", 6.0)])
    p = Player(store, NullEngine(speed=4.0, crossfade_s=2.0), progress_interval_s=0.2)
    try:
        ev = Events(p)
        p.play_tracks(ids)
        assert wait_for(lambda: len(ev.of("track_ended")) == 3 and p.state is PlaybackState.STOPPED, 20.0)
        rows = store.plays()
        assert [(r["track_id"], r["ended"]) for r in rows] == [(i, "finished") for i in ids]
        assert not ev.of("error")
        # Each heard but for the fade into the next (filed under the incoming track).
        assert [round(r["ms_heard"] / 1000) for r in rows] == [4, 4, 6]
    finally:
        p.close()


def test_a_resumed_song_jumped_to_its_end_is_judged_with_what_was_heard_before(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 1.0)])
    for at, expected in ((60.0, "finished"), (2.0, "skipped")):
        p = restored(store, make_player, a, b, at)
        p.resume()
        assert wait_for(lambda: p.position > at + 1.0)
        p.seek(79.9)                            # three quarters heard before / hardly any of it
        assert wait_for(lambda: p.current_track_id == b)
        assert store.plays()[-2]["ended"] == expected
        assert p.early_skips == ([] if expected == "finished" else [a])
        p.close()
    # Heard to 60 s before; moved back to 5 s, then ahead to where it was, and run out:
    # what was heard before still counts, in this run and across a restart.
    for restart in (False, True):
        p = restored(store, make_player, a, b, 60.0)
        p.seek(5.0)
        if restart:
            p.close()
            p = make_player(speed=8.0)
            p.restore_state()
            assert p.cued.position == 5.0
        p.resume()
        assert wait_for(lambda: p.position > 7.0)
        p.seek(60.0)
        assert listen_through(p, lambda: p.current_track_id == b, 20.0)
        assert store.plays()[-2]["ended"] == "finished" and p.early_skips == []
        p.close()


def test_progress_is_written_while_playing(store, tmp_path, make_player):
    (tid,) = add_tracks(store, tmp_path, [("long", 3.0)])
    p = make_player(speed=1.0, interval=0.2)
    p.play_track(tid)
    assert wait_for(lambda: store.plays()[0]["ms_heard"] >= 400, timeout=10)
    row = store.plays()[0]
    assert row["ended"] == "playing" and row["ms_heard"] < 3000


def test_progress_that_cannot_be_written_is_logged_once_until_it_works_again(store, tmp_path, make_player,
                                                                              caplog):
    # A disk that fills mid-song fails every progress write, tried again at every tick: the
    # log and the terminal got the same traceback every tick for as long as it stayed full
    # (7 in 14 s of a full disk under `segue play`). Once, then once more when it recovers.
    # The write is refused by SQLite itself (a trigger, seen by the player's own connection).
    import logging

    (tid,) = add_tracks(store, tmp_path, [("long", 60.0)])
    p = make_player(speed=1.0, interval=0.02)
    caplog.set_level(logging.INFO, logger="player.playback")
    p.play_track(tid)
    assert wait_for(lambda: store.plays()[0]["ms_heard"] > 0)
    full_disk.refuse(store, "UPDATE")

    def failures():
        return [r for r in caplog.records if "could not record play progress" in r.getMessage()]

    assert wait_for(lambda: len(failures()) > 0)
    time.sleep(0.3)                                     # fifteen ticks more of a full disk
    assert len(failures()) == 1 and failures()[0].exc_info is not None
    full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: any("recorded again" in r.getMessage() for r in caplog.records))
    heard = store.plays()[0]["ms_heard"]
    assert wait_for(lambda: store.plays()[0]["ms_heard"] > heard)
    assert len(failures()) == 1
    # Full again later: a new spell of failures is said again (once), not hidden for good.
    full_disk.refuse(store, "UPDATE")
    assert wait_for(lambda: len(failures()) == 2)
    full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: sum("recorded again" in r.getMessage() for r in caplog.records) == 2)
    assert len(failures()) == 2


def test_plays_whose_start_cannot_be_written_are_kept_and_written_in_order_when_it_can(store, tmp_path,
                                                                                     make_player):
    # A full disk as songs start: the start of each play failed, the play was lost for good
    # (nothing tried it again once there was room) and only the log said so. Now each is kept
    # and written once the store takes writes: its true start, its time heard, its ending, in
    # the order the plays began. The write is refused by SQLite itself (a trigger).
    a, b = add_tracks(store, tmp_path, [("a", 1.0), ("b", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    told = []
    p.add_listener(lambda event, data: told.append(data["count"]) if event == "plays_unsaved" else None)
    full_disk.refuse(store, "INSERT")
    began = time.time()
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b)
    time.sleep(0.1)                                     # five ticks of a full disk
    assert store.plays() == []
    full_disk.allow(store, "INSERT")
    room = time.time()
    assert wait_for(lambda: len(store.plays()) == 2 and store.plays()[1]["ms_heard"] > 0)
    first, second = store.plays()
    assert (first["track_id"], first["ended"], second["track_id"], second["ended"]) == (a, "finished", b, "playing")
    assert first["id"] < second["id"] and began <= first["started_at"] <= second["started_at"] < room
    # The message is sent just after the last kept play is written, from the player's own
    # thread: the count can read 0 a moment before the listeners have heard it.
    assert wait_for(lambda: told[-1:] == [0])
    assert first["ms_heard"] >= 900 and p.unsaved_plays == 0 and told == [1, 2, 0]   # (the window's message)
    heard = store.plays()[1]["ms_heard"]                # the song playing goes on being written
    assert wait_for(lambda: store.plays()[1]["ms_heard"] > heard)
    p.stop()
    assert [r["ended"] for r in store.plays()] == ["finished", "stopped"] and store.play_count() == 2


def test_a_play_whose_end_cannot_be_written_is_kept_and_the_next_waits_behind_it(store, tmp_path,
                                                                                  make_player):
    # The disk fills while a song plays: its end was lost (the row stayed open, closed as
    # stopped at the next start, with the time heard of its last progress). Its ending is kept,
    # and the next play, refused too, is written after it, never before.
    a, b = add_tracks(store, tmp_path, [("a", 1.0), ("b", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    p.play_tracks([a, b])
    assert wait_for(lambda: len(store.plays()) == 1)
    full_disk.refuse(store, "UPDATE")
    assert wait_for(lambda: p.current_track_id == b)
    time.sleep(0.1)
    assert store.plays()[0]["ended"] == "playing"
    full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: len(store.plays()) == 2 and store.plays()[0]["ended"] != "playing")
    # (the second play's row is seen a moment before the player takes it off its list: its
    # progress is written in between)
    assert wait_for(lambda: p.unsaved_plays == 0)
    first, second = store.plays()
    assert (first["track_id"], first["ended"], second["track_id"]) == (a, "finished", b)
    assert first["id"] < second["id"] and first["ms_heard"] >= 900


def test_plays_still_unsaved_at_close_are_said_to_be_lost(store, tmp_path, make_player, caplog):
    # The full disk refuses the file beside the library as well (the trigger refuses only the
    # library's writes: a folder where the file goes refuses it, as a disk with no room would).
    import logging

    from player.kept_plays import journal_path

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    full_disk.refuse(store, "INSERT")
    journal_path(store.path).mkdir()
    caplog.set_level(logging.INFO, logger="player.playback")
    p.play_track(a)
    assert wait_for(lambda: p.position > 0)
    p.close()
    assert any(r.levelno == logging.ERROR and "1 play could not be saved" in r.getMessage() for r in caplog.records)


def test_a_song_resumed_on_a_full_disk_goes_on_with_its_play_once_there_is_room(store, tmp_path, make_player):
    # The song left playing at the last close, resumed with the disk full: reopening its play
    # failed and this sitting was lost. Kept, it reopens that play once there is room: one
    # row, holding what was heard in both sittings.
    from player.playback import STATE_SETTING

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    left = store.start_play(a, track_ms=60_000)
    store.end_play(left, "stopped", 10_000)
    store.set_setting(STATE_SETTING, {"queue": [], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    p = make_player(speed=4.0, interval=0.02)
    assert p.restore_state().play_id == left
    full_disk.refuse(store, "UPDATE")
    p.resume()
    assert wait_for(lambda: p.position > 11.0)
    full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: store.play(left)["ended"] == "playing" and store.play(left)["ms_heard"] > 11_000)
    p.stop()
    assert [(r["id"], r["ended"]) for r in store.plays()] == [(left, "stopped")]
    assert store.play(left)["ms_heard"] > 11_000


@pytest.mark.parametrize("written_before_the_stop", [True, False])
def test_a_song_resumed_while_the_library_refuses_it_is_counted_once(store, tmp_path, make_player,
                                                                     written_before_the_stop):
    # The song left playing at the last close, resumed while the library refused the write:
    # its play, kept to go on in the old row, was told as a new one, and the window counted
    # the song twice (the old row, read at the start, and the play begun).
    from player.playback import STATE_SETTING
    from segue_common.listening import counts_as_play

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    left = store.start_play(a, track_ms=60_000)
    store.end_play(left, "stopped", 10_000)
    store.set_setting(STATE_SETTING, {"queue": [], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    p = make_player(speed=4.0, interval=0.02)
    ev = Events(p)
    assert p.restore_state().play_id == left
    full_disk.refuse(store, "UPDATE")
    p.resume()
    assert wait_for(lambda: p.position > 11.0)
    if written_before_the_stop:
        full_disk.allow(store, "UPDATE")
        assert wait_for(lambda: store.play(left)["ended"] == "playing")
    p.stop()
    if not written_before_the_stop:
        full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: p.unsaved_plays == 0 and store.play(left)["ended"] == "stopped")
    # As the window counts: the plays the library held at the start, one more for each play
    # begun (not one going on in a row counted already), one less for each that ended as none.
    shown = (1 + sum(not d["reopened"] or not d["was_counted"] for d in ev.of("track_started"))
             - sum(not d["counted"] for d in ev.of("track_ended")))
    assert [r["id"] for r in store.plays()] == [left]
    assert shown == sum(bool(counts_as_play(r["ended"], r["ms_heard"])) for r in store.plays()) == 1


def test_plays_kept_on_a_full_disk_are_not_written_back_into_a_forgotten_history(store, tmp_path, make_player):
    # "Forget my history" as plays waited for room: once there was room they were written,
    # the history the person asked to forget back in the log, started before the forget.
    a, b, c = add_tracks(store, tmp_path, [("a", 1.0), ("b", 60.0), ("c", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    full_disk.refuse(store, "INSERT")
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b and p.unsaved_plays == 2)
    store.forget_history()
    full_disk.allow(store, "INSERT")
    assert wait_for(lambda: p.unsaved_plays == 0)
    time.sleep(0.1)                                     # five ticks with room
    assert store.plays() == []
    p.play_track(c)                                     # what is played after the forget is kept
    assert wait_for(lambda: [r["track_id"] for r in store.plays()] == [c])
    p.stop()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(c, "stopped")]


def test_plays_kept_on_a_full_disk_are_not_written_back_by_a_forget_made_as_they_are_written(
        store, tmp_path, make_player, monkeypatch):
    # The player read when the history was forgotten, then the forget came (another thread,
    # the window's worker) and the room with it, then the player wrote what it had kept as
    # of its older reading: the history the person forgot was back in the log.
    a, b = add_tracks(store, tmp_path, [("a", 1.0), ("b", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    full_disk.refuse(store, "INSERT")
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b and p.unsaved_plays == 2)
    read, forgot = store.history_forgotten_at, []

    def forgotten_then_forget():
        at = read()
        if not forgot:                  # the forget lands just after the player's reading
            forgot.append(True)
            forgetter = threading.Thread(target=lambda: (store.forget_history(), full_disk.allow(store, "INSERT")))
            forgetter.start()
            forgetter.join()
        return at

    monkeypatch.setattr(store, "history_forgotten_at", forgotten_then_forget)
    assert wait_for(lambda: forgot and p.unsaved_plays == 0)
    time.sleep(0.1)
    assert store.plays() == []


def test_a_play_kept_on_a_full_disk_after_a_forget_is_written_with_the_clock_set_back_since(
        store, tmp_path, make_player, long_is_3s):
    # The history forgotten while the clock ran an hour ahead, and the clock set right since:
    # a play begun after the forget and kept on a full disk began "before" it by the clock,
    # and was dropped once there was room, as was where a chapter was left (a play the store
    # took at once was kept). What was forgotten since it was kept is what counts.
    from player.store.plays import FORGOTTEN_SETTING

    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 60.0)])
    store.forget_history()
    store.set_setting(FORGOTTEN_SETTING, time.time() + 3600)
    p = make_player(speed=8.0, interval=0.02)
    for table in ("plays", "resume_positions"):
        full_disk.refuse(store, "INSERT", table)
    p.play_track(chapter)
    assert wait_for(lambda: p.position > 3.0)
    p.play_track(song)
    time.sleep(0.1)                                     # five ticks with no room
    for table in ("plays", "resume_positions"):
        full_disk.allow(store, "INSERT", table)
    assert wait_for(lambda: p.unsaved_plays == 0 and p.unsaved_places == 0)
    assert [r["track_id"] for r in store.plays()] == [chapter, song]
    assert store.resume_position(chapter) > 3.0
    p.stop()


def test_a_kept_play_the_library_can_never_take_does_not_hold_back_those_after_it(store, tmp_path, make_player,
                                                                                 caplog):
    # A kept play whose song left the library meanwhile (its row deleted): SQLite refused it
    # for good (a foreign key), and every play after it waited behind it for the rest of the
    # run, the window saying the disk was full. It is given up, said in the log; the rest go on.
    import logging

    a, b, c = add_tracks(store, tmp_path, [("a", 1.0), ("b", 1.0), ("c", 60.0)])
    p = make_player(speed=4.0, interval=0.02)
    full_disk.refuse(store, "INSERT")
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b and p.unsaved_plays == 2)
    store.execute("DELETE FROM tracks WHERE id = ?", (a,))
    full_disk.allow(store, "INSERT")
    assert wait_for(lambda: p.unsaved_plays == 0)
    p.play_track(c)
    assert wait_for(lambda: [r["track_id"] for r in store.plays()] == [b, c])
    assert any(r.levelno == logging.ERROR and "can never be saved" in r.getMessage() for r in caplog.records)


def test_a_player_starts_on_a_full_disk_with_a_play_a_crash_left_open(store, tmp_path, make_player):
    # Closing the plays a killed player left open is a write: on a full disk it raised out of
    # the player's start, and the window said "Playback is not available" (measured on a
    # 4 MiB tmpfs, filled, with one play left open). It plays, and closes them once there is room.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    store.start_play(a, owner="a player killed long ago")
    full_disk.refuse(store, "UPDATE")
    p = make_player(speed=4.0, interval=0.02)
    p.play_track(a)
    assert wait_for(lambda: p.position > 0)
    full_disk.allow(store, "UPDATE")
    assert wait_for(lambda: len(store.plays()) == 2 and store.plays()[1]["ms_heard"] > 0)
    assert wait_for(lambda: store.plays()[0]["ended"] == "stopped")



@pytest.mark.parametrize("room_before_resume", [False, True])
def test_a_song_a_kill_left_open_and_resumed_after_a_start_on_a_full_disk_is_one_play(store, tmp_path, make_player,
                                                                                     room_before_resume):
    # Killed while a song played, then started on a full disk: the play the kill left open
    # stayed open, so resuming the song could not go on with it (only a stopped play is gone
    # on with) and began a second play of the song, which counted it twice (the part heard
    # before the kill in the open row, and a play of its own). Closed once there is room.
    from player.playback import STATE_SETTING

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    left = store.start_play(a, track_ms=60_000, owner="a player killed long ago")
    store.update_play(left, 10_000)
    store.set_setting(STATE_SETTING, {"queue": [], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    for op in ("INSERT", "UPDATE"):
        full_disk.refuse(store, op)
    p = make_player(speed=4.0, interval=0.02)
    assert p.restore_state().play_id == left
    if room_before_resume:
        for op in ("INSERT", "UPDATE"):
            full_disk.allow(store, op)
        time.sleep(0.1)                                 # (some ticks with room)
    p.resume()
    assert wait_for(lambda: p.position > 11.0)
    if not room_before_resume:
        for op in ("INSERT", "UPDATE"):
            full_disk.allow(store, op)
    assert wait_for(lambda: p.unsaved_plays == 0 and store.play(left)["ms_heard"] > 11_000)
    p.stop()
    assert [(r["id"], r["ended"]) for r in store.plays()] == [(left, "stopped")]



def test_a_song_resumed_on_a_full_disk_that_fails_keeps_the_play_heard_before(store, tmp_path, make_player):
    # The song left playing at the last close, damaged by the next start, resumed with the
    # disk full: its sitting failed and was kept; written once there was room, it went on
    # with the play of the last run and ended it as an error, and the ten seconds heard
    # before the close no longer counted. Only this sitting failed, as with room.
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 1.0)])
    left = store.start_play(a, track_ms=60_000)
    store.end_play(left, "stopped", 10_000)
    store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    _damaged(store, [a])
    p = make_player(speed=8.0, interval=0.02)
    assert p.restore_state().play_id == left
    for op in ("INSERT", "UPDATE"):
        full_disk.refuse(store, op)
    p.resume()
    assert wait_for(lambda: p.current_track_id == b or p.state is PlaybackState.STOPPED)
    for op in ("INSERT", "UPDATE"):
        full_disk.allow(store, op)
    assert wait_for(lambda: p.unsaved_plays == 0)
    p.stop()
    assert (store.play(left)["ended"], store.play(left)["ms_heard"]) == ("stopped", 10_000)


def test_queue_moves_follow_the_entries_not_their_positions(store, tmp_path, make_player):
    """A drop names what was dragged and what it goes before; the queue may have changed since."""
    a, b, c, d, e = add_tracks(store, tmp_path, [(n, 0.3) for n in "abcde"])
    p = make_player()
    p.enqueue([a, b, c, d, e])
    qa, qb, qc, qd, qe = shown = p.queue
    assert p.move_queue_entries([qd], [qb, qc, qe]) == 1          # d before b
    assert [x.track_id for x in p.queue] == [a, d, b, c, e]
    assert p.move_queue_entries([qa, qc], [qe]) == 2              # a block of two, order kept
    assert [x.track_id for x in p.queue] == [d, b, a, c, e]
    p.remove_queue_entries([qd, qe])                               # meanwhile: d played, e removed
    assert p.move_queue_entries([qd, qb], [qe]) == 1               # d is gone; the anchor too: to the end
    assert [x.track_id for x in p.queue] == [a, c, b]
    assert p.move_queue_entries([qd], [qa]) == 0                   # nothing left to move
    assert all(x is y for x, y in zip(p.queue, [qa, qc, qb])) and len(shown) == 5


def test_a_move_handed_an_iterable_that_reads_the_queue_does_not_hang(store, tmp_path, make_player):
    # What a move goes before was read lazily inside the queue's move, its lock held: an
    # iterable that reads the queue when it is iterated (the rows after the drop point, as
    # the queue has them then) waited on that lock for ever, and so did every queue edit after.
    a, b, c, d = add_tracks(store, tmp_path, [(n, 0.3) for n in "abcd"])
    p = make_player()
    p.enqueue([a, b, c, d])
    qd = p.queue[3]

    def after_the_first():
        yield from p.queue[1:]

    moved = []
    mover = threading.Thread(target=lambda: moved.append(p.move_queue_entries([qd], after_the_first())),
                             daemon=True)
    mover.start()
    mover.join(timeout=30)
    assert not mover.is_alive(), "the move waits on the queue's lock it holds"
    assert moved == [1] and [x.track_id for x in p.queue] == [a, d, b, c]


def test_queue_edits_decide_what_plays_next(store, tmp_path, make_player):
    a, b, c, d = add_tracks(store, tmp_path, [("a", 0.8), ("b", 0.3), ("c", 0.3), ("d", 0.3)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_track(a)
    p.enqueue([b, c])
    p.insert_next([d])
    assert [e.track_id for e in p.queue] == [d, b, c]
    qd, _qb, qc = p.queue
    p.move_queue_entries([qc], [qd])
    p.remove_from_queue(2)
    assert [e.track_id for e in p.queue] == [c, d]
    assert all(isinstance(e, QueueEntry) and e.manual and e.source == "queue" for e in p.queue)
    assert len(ev.of("queue_changed")) >= 4
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ev.of("track_ended")) == 3)
    assert p.history == [a, c, d]
    assert ended(store) == [(a, "finished"), (c, "finished"), (d, "finished")]
    assert [r["source"] for r in store.plays()] == ["library", "queue", "queue"]


def test_a_station_from_the_track_playing_lets_it_go_on(store, tmp_path, make_player):
    # a lasts 2 s here: long enough that it is still playing when the station starts.
    a, b, c, d = add_tracks(store, tmp_path, [("a", 4.0), ("b", 0.3), ("c", 0.3), ("d", 0.3)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_track(a, source="search")
    p.enqueue([b])                              # queued by hand: it stays, before the station's songs
    p.start_station(a, [c, d])
    assert p.current_track_id == a
    assert [(e.track_id, e.source, e.manual) for e in p.queue] == [
        (b, "queue", True), (c, "radio", False), (d, "radio", False)]
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ev.of("track_ended")) == 4)
    assert p.history == [a, b, c, d] and p.early_skips == []
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished"), (d, "finished")]
    assert [r["source"] for r in store.plays()] == ["search", "queue", "radio", "radio"]


def test_a_station_seed_is_the_persons_pick_and_repeat_all_keeps_it_in_the_round(store, tmp_path, make_player):
    a, b, c, d = add_tracks(store, tmp_path, [("a", 20.0), ("b", 20.0), ("c", 20.0), ("d", 20.0)])
    p = make_player(speed=1.0)
    p.play_track(a)
    p.start_station(b, [c])                     # another song: it starts, a ends as a skip
    assert p.current_track_id == b and p.early_skips == [a]
    assert [(r["track_id"], r["source"]) for r in store.plays()] == [(a, "library"), (b, "library")]
    p.set_repeat("all")
    assert [e.track_id for e in p.queue] == [c, b]
    p.pause()
    assert wait_for(lambda: p.state is PlaybackState.PAUSED)
    p.start_station(b, [d, c])                  # from the song now playing, paused: it resumes
    assert wait_for(lambda: p.state is PlaybackState.PLAYING)
    assert [(e.track_id, e.source) for e in p.queue] == [(d, "radio"), (c, "radio"), (b, "library")]
    assert len(store.plays()) == 2 and p.early_skips == [a]


def test_a_station_from_the_song_just_ended_lets_the_next_go_on_and_repeat_all_keeps_its_seed(
        store, tmp_path, make_player):
    # Asked in the seed's last moments (``ending``), the engine gone on into the next song: the
    # seed played whole and is not started again, the next song plays on, and with repeat all
    # the seed comes round again after the station's songs, as a seed still playing does.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 20.0), ("c", 20.0)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b)
    p.set_repeat("all")
    p.start_station(a, [c], ending=True)
    assert p.current_track_id == b and p.station_seed == a
    assert [(e.track_id, e.source) for e in p.queue] == [(c, "radio"), (a, "library")]
    assert ended(store) == [(a, "finished"), (b, "playing")] and p.early_skips == []


def test_a_fill_asked_before_a_station_started_does_not_change_the_stations_queue(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 8.0) for i in range(10)])
    asked, release = threading.Event(), threading.Event()

    def filler(player):
        asked.set()
        release.wait(10)                        # still ranking for the old queue...
        return [(t, "up_next") for t in ids[6:9]]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])                        # nothing queued: the filler is asked
    assert asked.wait(5)
    p.start_station(ids[1], ids[2:5])           # ...when the person starts a station
    release.set()
    assert wait_for(lambda: not p._filling)
    assert [(e.track_id, e.source) for e in p.queue] == [(t, "radio") for t in ids[2:5]]
    # A re-rank decided after an early skip, just before a station starts from the song
    # now playing, does not put Up next's picks in the station's places either.
    p.set_queue_filler(lambda player, replacing=0: [(t, "up_next") for t in ids[7:10]])
    with p._lock:                               # the engine thread holds the lock a moment
        p.next()                                # an early skip: a re-rank is asked for
        p.start_station(ids[2], ids[4:7])
    assert wait_for(lambda: not p._filling)
    assert [e.source for e in p.queue] == ["radio"] * 3


def test_next_on_the_last_song_while_keep_it_going_ranks_goes_on_to_what_it_finds(store, tmp_path, make_player):
    # Next on the last song of Up next while Keep it going was still ranking the songs to
    # follow it (a small library mostly skipped, a slow ranking) stopped the music: the songs
    # it found came into Up next, and nothing played them.
    a, b, c = add_tracks(store, tmp_path, [("a", 8.0), ("b", 8.0), ("c", 8.0)])
    asked, release = threading.Event(), threading.Event()

    def filler(player, replacing=0):
        asked.set()
        release.wait(10)                        # still ranking as the person presses Next
        return [(t, "up_next") for t in (b, c) if t not in player.history]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(a)                             # nothing queued: the filler is asked
    assert asked.wait(5) and wait_for(lambda: p.current_track_id == a)
    p.next()
    release.set()
    assert wait_for(lambda: p.current_track_id == b), (p.state, [e.track_id for e in p.queue])
    assert ended(store)[0] == (a, "skipped")


def test_stop_after_the_queue_ran_out_means_nothing_starts_by_itself(store, tmp_path, make_player):
    # The queue ran out, then the person pressed Stop: turning Keep it going on later, or
    # queueing a song, must not start the music (after a run-out alone, Keep it going goes on).
    a, b, c = add_tracks(store, tmp_path, [("a", 0.4), ("b", 4.0), ("c", 4.0)])
    p = make_player()
    p.play_track(a)
    assert wait_for(lambda: [e for _t, e in ended(store)] == ["finished"])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    p.stop()
    p.set_queue_filler(lambda player: [(c, "up_next")])
    p.keep_going = True
    p.enqueue([b])
    assert wait_for(lambda: not p._filling)
    time.sleep(0.5)
    assert p.current_track_id is None and p.state is PlaybackState.STOPPED
    assert len(ended(store)) == 1


def test_previous_goes_back_early_and_restarts_later(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 6.0), ("b", 6.0)])
    p = make_player(speed=4.0)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.position > 0.2)
    p.next()
    assert wait_for(lambda: p.current_track_id == b and p.position > 0.1)
    p.previous()  # under 3 s in: back to a; b waits at the front of the queue
    assert p.current_track_id == a and [e.track_id for e in p.queue] == [b]
    assert wait_for(lambda: p.position > 3.2)
    p.previous()  # past 3 s: restart a
    assert wait_for(lambda: p.position < 1.0) and p.current_track_id == a
    # b waits at the front of the queue: going back is no skip of it.
    assert ended(store)[:2] == [(a, "skipped"), (b, "stopped")] and p.early_skips == [a]


def test_going_back_or_starting_the_same_song_again_is_the_persons_pick_and_no_skip(store, tmp_path, make_player):
    x, a, b = add_tracks(store, tmp_path, [("x", 20.0), ("a", 20.0), ("b", 20.0)])
    p = make_player(speed=1.0)
    p.play_track(x)
    p.enqueue([a], source="up_next")
    p.enqueue([b])                              # queued by hand: before Segue's offer...
    p.move_queue_entries([p.queue[0]], [])      # ...and dragged after it
    p.next()                                    # x skipped early; a, Segue's offer, plays
    p.next()                                    # a skipped early; b plays
    p.previous()                                # under 3 s in: back to a, the person's wish
    assert p.current_track_id == a and [e.track_id for e in p.queue] == [b]
    p.play_track(a)                             # a started again over itself
    assert [(r["track_id"], r["source"], r["ended"]) for r in store.plays()] == [
        (x, "library", "skipped"), (a, "up_next", "skipped"), (b, "queue", "stopped"),
        (a, "library", "stopped"), (a, "library", "playing")]
    assert p.early_skips == [x, a]


def test_a_song_resumed_near_its_end_and_moved_on_from_is_no_early_skip(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 40.0), ("b", 40.0)])
    for at, expected in ((30.0, "stopped"), (2.0, "skipped")):
        p = restored(store, make_player, a, b, at)
        p.resume()                              # where the last run left it
        assert wait_for(lambda: p.position > at + 2.0)
        p.next()                                # 32 of 40 s into it: moving on; 4 s: a rejection
        assert store.plays()[-2]["ended"] == expected
        assert p.early_skips == ([] if expected == "stopped" else [a])
        p.close()


def test_a_state_saved_while_a_scan_merged_its_tracks_resumes_them_as_the_tracks_that_took_them_over(
        store, tmp_path, make_player):
    # Closed (or killed) after a scan merged the rows it was playing and had queued (moved
    # files, first listed as new): the next start resumes the song and keeps the queue,
    # and their plays go on the tracks that keep their history.
    from player.playback import STATE_SETTING

    a, b, a_new, b_new = add_tracks(store, tmp_path, [("a", 2.0), ("b", 2.0), ("a2", 2.0), ("b2", 2.0)])
    store.set_setting(STATE_SETTING, {"queue": [[b_new, "queue", True]], "keep_going": False,
                                      "current": [a_new, "library", True, 1.0]})
    store.adopt_moved(a, a_new)
    store.adopt_moved(b, b_new)
    p = make_player(speed=4.0)
    cued = p.restore_state()
    assert cued is not None and cued.entry.track_id == a and cued.position == 1.0
    assert [e.track_id for e in p.queue] == [b]
    p.resume()
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(store.plays()) == 2)
    assert ended(store) == [(a, "finished"), (b, "finished")]


def test_a_song_closed_part_way_and_resumed_at_the_next_start_is_one_play(store, tmp_path, make_player):
    # Quit at 1:00 of 1:20, resumed at the next start (and quit and resumed once more):
    # one listen of the song. Two rows, a stopped one holding 60 s and a finished one,
    # counted what was heard before the close twice (1.75 listens for the learner).
    from recommender.data import session_matrix

    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 1.0)])
    p = make_player(speed=8.0)
    p.restore_state()                           # the window's player: it remembers the song
    p.play_tracks([a, b])
    assert listen_through(p, lambda: p.position > 55.0)
    assert wait_for(lambda: p.position > 60.0)
    p.close()
    (first,) = store.plays()
    assert first["ended"] == "stopped" and 60_000 <= first["ms_heard"] < 62_000
    for stop_at in (70.0, None):
        p = make_player(speed=8.0)
        assert p.restore_state() is not None
        p.resume()
        if stop_at is not None:
            assert wait_for(lambda: p.position > stop_at)
            p.close()
            assert [(r["id"], r["ended"]) for r in store.plays()] == [(first["id"], "stopped")]
            # (the place is saved to a tenth of a second: resumed at 60.1 s after 60.07 s heard,
            # the 30 ms between are not heard, so closing just past 70 s can keep 69.98 s)
            assert 69_900 <= store.plays()[0]["ms_heard"] < 72_000
    assert wait_for(lambda: p.current_track_id == b, 20.0)
    rows = store.plays()
    assert [(r["id"], r["track_id"], r["ended"]) for r in rows[:1]] == [(first["id"], a, "finished")]
    assert [r["track_id"] for r in rows] == [a, b]
    assert 79_000 <= rows[0]["ms_heard"] <= 81_000          # heard once, in three sittings
    sm = session_matrix(rows)
    assert sm.plays[sm.person_row, list(sm.item_ids).index(a)] == pytest.approx(1.0)


def test_a_song_resumed_at_the_next_start_that_fails_keeps_the_play_heard_before(store, tmp_path, make_player):
    # Quit at 1:00 of 1:20; by the next start the file was damaged. Resuming it fails: that
    # sitting is an error, the minute heard before stays a stopped play.
    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 1.0)])
    p = make_player(speed=8.0)
    p.restore_state()
    p.play_tracks([a, b])
    assert listen_through(p, lambda: p.position > 55.0)
    assert wait_for(lambda: p.position > 60.0)
    p.close()
    (before,) = [(r["id"], r["ended"], r["ms_heard"]) for r in store.plays()]
    path = store.track(a)["path"]
    with open(path, "r+b") as f:
        # Zeros throughout: nothing decodes. (With only the header gone, ffmpeg finds the
        # frames after it, and the song plays on through it.)
        f.write(b"\0" * os.path.getsize(path))
    p = make_player(speed=8.0)
    p.restore_state()
    p.resume()
    assert wait_for(lambda: p.current_track_id == b, 20.0)
    assert [(r["id"], r["ended"], r["ms_heard"]) for r in store.plays() if r["track_id"] == a] == [before]


def test_a_state_saved_before_the_history_was_forgotten_never_reopens_a_later_play(store, tmp_path, make_player):
    # The history forgotten while a song played: the window's player goes on saving the
    # state with that song's play, whose row is gone. New plays took the ids of forgotten
    # ones, so by the next start a later play of the same song (in `segue play`, say) had
    # that id, and resuming reopened it: two listens made one row, the later one's ended
    # state undone.
    from player.playback import STATE_SETTING

    a, b, c = add_tracks(store, tmp_path, [("a", 60.0), ("b", 1.0), ("c", 1.0)])
    p = make_player(speed=8.0)
    p.restore_state()                           # the window's player: it saves its state
    p.play_tracks([b, c, a])
    assert wait_for(lambda: p.current_track_id == a and p.position > 5.0, 20.0)
    store.set_setting(STATE_SETTING, None)      # as the window forgets the history
    store.forget_history()
    assert wait_for(lambda: store.get_setting(STATE_SETTING) is not None)   # saved again, as it plays on
    p.close()
    stale = store.get_setting(STATE_SETTING)["current"]
    assert stale[0] == a and stale[6] is not None and store.plays() == []
    other = make_player(speed=8.0)              # a player that saves no state: `segue play`
    other.play_tracks([b, c, a])
    assert wait_for(lambda: other.current_track_id == a and other.position > 5.0, 20.0)
    other.close()
    theirs = [dict(r) for r in store.plays()]
    assert [(r["track_id"], r["ended"]) for r in theirs] == [(b, "finished"), (c, "finished"), (a, "stopped")]
    p = make_player(speed=8.0)
    assert p.restore_state().play_id == stale[6]
    p.resume()
    assert wait_for(lambda: p.current_track_id == a and p.position > stale[3] + 1.0, 20.0)
    rows = [dict(r) for r in store.plays()]
    assert rows[:3] == theirs                   # the later plays are as they were
    assert len(rows) == 4 and rows[3]["track_id"] == a and rows[3]["ended"] == "playing"
    assert stale[6] not in [r["id"] for r in rows]


def test_a_song_resumed_days_after_the_close_is_todays_session_for_the_play_log_and_up_next(
        store, tmp_path, make_player):
    # The window closed 10 s into a song, after three early skips; two days later the song
    # is resumed. It stays one play, but today's listening is no continuation of that
    # evening: the play moves to a new session, and Up next (which reads the session in
    # progress from the latest play) no longer counts the evening's skips as a run now.
    from player.playback import STATE_SETTING
    from player.recommender_service import RecommenderService

    a, b, c, d, e = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0), ("c", 60.0), ("d", 60.0), ("e", 1.0)])
    then = time.time() - 2 * 86400
    for i, t in enumerate((b, c, d)):
        play = store.start_play(t, source="up_next", track_ms=60_000, now=then + 5 * i)
        store.end_play(play, "skipped", 3_000, now=then + 5 * i + 3)
    left = store.start_play(a, track_ms=60_000, now=then + 20)
    store.end_play(left, "stopped", 10_000, now=then + 30)
    evening = store.play(left)["session_id"]
    store.set_setting(STATE_SETTING, {"queue": [[e, "queue", True]], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    assert int(service.recommender().catalog.plays.session_id[-1]) == evening   # read as the window starts
    p = make_player(speed=8.0)
    p.add_listener(service.on_player_event)
    assert p.restore_state().play_id == left
    p.resume()
    assert wait_for(lambda: p.current_track_id == a and p.position > 12.0)
    row = store.play(left)
    assert row["ended"] == "playing" and row["session_id"] != evening and row["started_at"] > then + 86400
    assert store.play_count() == 4
    rec = service.recommender()
    assert int(rec.catalog.plays.session_id[-1]) == row["session_id"]
    assert service._session_skips(rec, p.session) == ([], 0)
    p.next()                                    # the song after it joins today's session too
    assert wait_for(lambda: len(store.plays()) == 5)
    assert store.plays()[-1]["session_id"] == row["session_id"]


def test_a_state_saved_by_an_older_version_never_reopens_a_play_numbered_since(tmp_path):
    # Before schema 9 play ids were given again after "forget history": a state saved then
    # may name a forgotten play numbered above every play left. Once upgraded, that number
    # went to a later play (of the same song, in `segue play`), and the window's next start
    # reopened it: someone else's play undone and taken for the one left at the close.
    import sqlite3

    from player.playback import STATE_SETTING
    from player.store import Store
    from player.store.migrations import MIGRATIONS

    path = tmp_path / "library.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:8]:
        migration(conn)
    ids = []
    for name, seconds in (("a", 60.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)):
        f = write_track(tmp_path / "music", name, fmt="flac", seconds=seconds, freq=330.0,
                        tags={"title": name, "artist": "Artist", "album": "Album"})
        ids.append(conn.execute("INSERT INTO tracks (path, size, mtime_ns, title, duration, added_at, updated_at) "
                                "VALUES (?, ?, 1, ?, ?, 0, 0)", (str(f), os.path.getsize(f), name, seconds)).lastrowid)
    a, b, c, d = ids
    # The history was forgotten while play 5 (of a) went on; two plays since took ids 1 and 2.
    conn.execute("INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 10)")
    conn.executemany("INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, ended, updated_at) "
                     "VALUES (?, ?, 1, 0, 1000, 'finished', 10)", [(1, b), (2, c)])
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)",
                 (STATE_SETTING, f'{{"queue": [], "keep_going": false, "current": [{a}, "library", true, '
                                 f'20.0, 20.0, 20.0, 5, false]}}'))
    conn.execute("PRAGMA user_version = 8")
    conn.commit()
    conn.close()
    store = Store(path)
    players = []
    try:
        other = Player(store, NullEngine(speed=8.0), progress_interval_s=0.2)    # `segue play`
        players.append(other)
        other.play_tracks([b, c, a])
        assert wait_for(lambda: other.current_track_id == a and other.position > 5.0, 20.0)
        other.close()
        theirs = [dict(r) for r in store.plays()]
        assert [(r["track_id"], r["ended"]) for r in theirs][-3:] == [(b, "finished"), (c, "finished"), (a, "stopped")]
        assert 5 not in [r["id"] for r in theirs]
        p = Player(store, NullEngine(speed=8.0), progress_interval_s=0.2)
        players.append(p)
        assert p.restore_state().play_id == 5
        p.resume()
        assert wait_for(lambda: p.current_track_id == a and p.position > 22.0, 20.0)
        rows = [dict(r) for r in store.plays()]
        assert rows[:len(theirs)] == theirs                 # the later plays are as they were
        assert len(rows) == len(theirs) + 1 and rows[-1]["track_id"] == a and rows[-1]["ended"] == "playing"
        assert rows[-1]["id"] > 5
    finally:
        for player in players:
            player.close()
        store.close()


def test_a_cued_song_keeps_its_credit_unless_moved_ahead_also_across_a_restart(store, tmp_path, make_player):
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 80.0)])

    def resume_and_move_on(p, at):
        p.resume()
        assert wait_for(lambda: p.position > at + 2.0)
        p.next()
        return store.plays()[-2]["ended"], list(p.early_skips)

    for seek, expected in ((None, "stopped"), (60.0, "stopped"), (55.0, "stopped"), (62.0, "skipped")):
        store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                          "current": [a, "library", True, 60.0 if seek != 62.0 else 2.0]})
        p = make_player(speed=8.0)
        assert p.restore_state() is not None
        if seek is not None:
            p.seek(seek)                        # the slider let go in place, back a little, or far ahead
        assert resume_and_move_on(p, seek or 60.0) == (expected, [] if expected == "stopped" else [a])
        p.close()
    # Moved ahead and the player closed before it plays: the next run still knows.
    store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                      "current": [a, "library", True, 2.0]})
    p = make_player(speed=8.0)
    p.restore_state()
    p.seek(62.0)
    p.close()
    p = make_player(speed=8.0)
    p.restore_state()
    assert p.cued.position == 62.0
    assert resume_and_move_on(p, 62.0) == ("skipped", [a])


def test_a_resumed_song_stepped_back_in_keeps_its_credit_and_jumped_ahead_in_gains_none(store, tmp_path, make_player):
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 80.0), ("b", 80.0)])
    for at, to, expected in ((60.0, 50.0, "stopped"), (2.0, 62.0, "skipped")):
        store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                          "current": [a, "library", True, at]})
        p = make_player(speed=8.0)
        p.restore_state()
        p.resume()
        assert wait_for(lambda: p.position > at + 1.0)
        p.seek(to)                              # back a little / far ahead
        assert wait_for(lambda: p.position > to + 2.0)
        p.next()
        assert store.plays()[-2]["ended"] == expected
        p.close()


def test_a_resumed_song_started_over_is_judged_from_its_start_and_next_is_a_skip_of_a_repeat(
        store, tmp_path, make_player):
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 40.0), ("b", 40.0)])
    store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                      "current": [a, "library", True, 30.0]})
    p = make_player(speed=8.0)
    assert p.restore_state() is not None
    p.resume()
    assert wait_for(lambda: p.position > 31.0)
    p.previous()                                # over 3 s in: from the start again
    assert wait_for(lambda: 1.0 < p.position < 6.0)
    p.next()                                    # a few seconds of its start: a rejection
    assert store.plays()[-2]["ended"] == "skipped" and p.early_skips == [a]
    p.close()
    store.set_setting(STATE_SETTING, {"queue": [[b, "queue", True]], "keep_going": False,
                                      "current": [a, "up_next", False, 2.0]})
    p = make_player(speed=8.0)
    assert p.restore_state() is not None
    p.seek(32.0)                                # the cued song moved on before it plays...
    p.start_station(a, [b])                     # ...and a station from it: the person's pick
    assert p.current_track_id == a and wait_for(lambda: p.position > 33.0)
    p.next()                                    # 4 s heard of it in all: a rejection
    assert [(r["track_id"], r["source"], r["ended"]) for r in store.plays()[-2:]] == [
        (a, "library", "skipped"), (b, "queue", "playing")]     # (b queued by hand comes first)
    assert p.early_skips == [a]
    p.play_tracks([a, a, b])                    # the person's list, a twice in a row (b skipped)
    p.next()                                    # Next on the first a is still a skip of it
    assert p.early_skips == [a, b, a]


def test_a_station_started_as_the_seed_runs_out_still_plays(store, tmp_path, make_player):
    # The engine has ended its stream before the station's first track is armed: it drops
    # that track with the stream, so the player starts it itself.
    seed, first, second = add_tracks(store, tmp_path, [("seed", 0.5), ("first", 0.5), ("second", 0.5)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_track(seed)
    with p._lock:                               # the end of the seed waits for the station
        assert wait_for(lambda: p.engine.state is PlaybackState.STOPPED)
        p.start_station(seed, [first, second])
    assert wait_for(lambda: len(ev.of("track_started")) == 3 and p.state is PlaybackState.STOPPED)
    assert [(r["track_id"], r["ended"], r["source"]) for r in store.plays()] == [
        (seed, "finished", "library"), (first, "finished", "radio"), (second, "finished", "radio")]


def test_previous_walks_back_through_several_tracks(store, tmp_path, make_player):
    a, b, c = add_tracks(store, tmp_path, [("a", 5.0), ("b", 5.0), ("c", 5.0)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b, c])
    p.next()
    p.next()
    assert p.current_track_id == c
    p.previous()
    assert p.current_track_id == b and [e.track_id for e in p.queue] == [c]
    p.previous()
    assert p.current_track_id == a and [e.track_id for e in p.queue] == [b, c]
    p.previous()  # nothing before a: restart it
    assert p.current_track_id == a and [e.track_id for e in p.queue] == [b, c]
    assert p.history == [a, b, c, b, a]


def test_previous_on_the_song_left_by_the_last_run_takes_it_to_its_start(store, tmp_path, make_player):
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 5.0)])
    p = restored(store, make_player, a, b, at=40.0, speed=1.0)
    assert p.position == 40.0
    p.previous()
    assert p.cued is not None and p.cued.entry.track_id == a and p.position == 0.0
    assert [e.track_id for e in p.queue] == [b]
    p.resume()
    assert wait_for(lambda: p.current_track_id == a and p.engine.position > 0)
    assert p.position < RESTART_THRESHOLD_S
    p.stop()


def test_where_it_paused_is_saved_at_once(store, tmp_path, make_player):
    from player.playback import STATE_SETTING

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 5.0)])
    p = make_player(speed=1.0, interval=600.0)                  # no progress tick saves it
    p.restore_state()                                           # saving from now on
    p.play_tracks([a, b])
    p.seek(20.0)
    assert wait_for(lambda: p.engine.position >= 20.5)
    p.pause()
    at = p.position
    # What a killed player leaves for the next start.
    saved = store.get_setting(STATE_SETTING)["current"]
    assert saved[:3] == [a, "library", True] and abs(saved[3] - at) <= 0.15


def test_keep_going_asks_the_filler_for_more(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 0.3) for i in range(6)])
    asked = []

    def filler(player):
        asked.append(len(player.queue))
        unplayed = [i for i in ids if i not in player.history and i not in {e.track_id for e in player.queue}
                    and i != player.current_track_id]
        return [(i, "radio") for i in unplayed[:2]]

    p = make_player()
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert wait_for(lambda: len(store.plays()) == 6 and p.state is PlaybackState.STOPPED
                    and store.plays()[-1]["ended"] != "playing")
    assert sorted(p.history) == sorted(ids)
    assert asked and all(n < 3 for n in asked)
    rows = store.plays()
    assert [r["source"] for r in rows] == ["library"] + ["radio"] * 5
    assert all(r["ended"] == "finished" for r in rows)


def test_pause_resume_and_listener_states(store, tmp_path, make_player):
    (tid,) = add_tracks(store, tmp_path, [("a", 3.0)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_track(tid)
    assert wait_for(lambda: p.position > 0.2)
    p.toggle()
    assert p.state is PlaybackState.PAUSED
    time.sleep(0.2)  # a block being rendered when pause() came may still finish
    pos = p.position
    time.sleep(0.2)
    assert p.position == pos
    p.toggle()
    assert wait_for(lambda: p.position > pos + 0.1)
    states = [d["state"] for d in ev.of("state_changed")]
    assert wait_for(lambda: [d["state"] for d in ev.of("state_changed")][-3:] ==
                    [PlaybackState.PLAYING, PlaybackState.PAUSED, PlaybackState.PLAYING]), states
    assert p.duration == pytest.approx(3.0, abs=0.01)


def test_plays_left_open_by_a_crash_are_closed_at_start(store, tmp_path):
    (tid,) = add_tracks(store, tmp_path, [("a", 0.3)])
    play_id = store.start_play(tid, source="library", track_ms=300)
    store.update_play(play_id, 120)
    p = Player(store, NullEngine(speed=8.0))
    try:
        row = store.play(play_id)
        assert (row["ended"], row["ms_heard"]) == ("stopped", 120)
    finally:
        p.close()


def test_replaygain_setting_sets_the_source_gain(store, tmp_path, make_player):
    (tid,) = add_tracks(store, tmp_path, [("a", 0.3, {"rg_track_gain": -6.0, "rg_track_peak": 0.5,
                                                       "rg_album_gain": 4.0, "rg_album_peak": 0.9})])
    p = make_player()
    # What the player hands the engine: the engine's own current song may still be the one
    # before for a moment (a 0.3 s song started again at once, its start not yet heard).
    handed = []
    play = p.engine.play
    p.engine.play = lambda source: (handed.append(source), play(source))[1]
    p.play_track(tid)
    assert handed[-1].gain == pytest.approx(10 ** (-6 / 20))
    store.set_setting("replaygain_mode", "album")
    p.play_track(tid)
    assert handed[-1].gain == pytest.approx(1 / 0.9)  # +4 dB would clip the 0.9 peak
    store.set_setting("replaygain_mode", "off")
    p.play_track(tid)
    assert handed[-1].gain == 1.0 and len(handed) == 3


# Track gain -9 dB (its peak allows it), album gain -3 dB: which one a song plays at is heard.
ALBUM_TAGS = {"rg_track_gain": -9.0, "rg_track_peak": 0.5, "rg_album_gain": -3.0, "rg_album_peak": 0.9}
TRACK_GAIN, ALBUM_GAIN = 10 ** (-9 / 20), 10 ** (-3 / 20)


def _armed_gain(p):
    armed = p._armed
    return None if armed is None else armed.gain


def test_album_gain_is_for_an_album_heard_in_order_not_for_shuffle_or_suggestions(store, tmp_path, make_player):
    # Album mode keeps an album's own loud and quiet songs as the album has them, which is only
    # worth it where the album is heard in its order. Shuffled, or one song of a station
    # after another, each song came at its album's level: a quiet album's song next to a loud
    # one's was 6 dB apart or more, what track gain is there to even out (foobar2000's gain
    # "by playback order", Quod Libet's automatic mode).
    a, b, d = add_tracks(store, tmp_path, [(n, 20.0, ALBUM_TAGS) for n in "abd"])
    store.set_setting("replaygain_mode", "album")
    p = make_player(speed=1.0)
    handed = []
    play = p.engine.play
    p.engine.play = lambda source: (handed.append(source), play(source))[1]
    p.play_tracks([a, b])
    assert handed[-1].gain == pytest.approx(ALBUM_GAIN)
    assert wait_for(lambda: _armed_with(p, b) is not None)
    assert _armed_gain(p) == pytest.approx(ALBUM_GAIN)
    p.set_shuffle(True)     # (the song opened ahead, still next, is set again at its new gain)
    assert wait_for(lambda: _armed_gain(p) == pytest.approx(TRACK_GAIN))
    p.set_shuffle(False)
    assert wait_for(lambda: _armed_gain(p) == pytest.approx(ALBUM_GAIN))
    # Shuffled by album, each album is heard whole in its order: its own levels stay (as
    # foobar2000's "by playback order" keeps album gain for "Shuffle (albums)").
    p.set_shuffle(True, albums=True)
    assert _armed_gain(p) == pytest.approx(ALBUM_GAIN)
    p.set_shuffle(True, albums=False)
    assert wait_for(lambda: _armed_gain(p) == pytest.approx(TRACK_GAIN))
    p.set_shuffle(False)
    assert wait_for(lambda: _armed_gain(p) == pytest.approx(ALBUM_GAIN))
    p.start_station(d, [a, b])          # a station is a mix of songs of many albums, its seed too
    assert wait_for(lambda: handed[-1].token.track_id == d)
    assert handed[-1].gain == pytest.approx(TRACK_GAIN)
    assert wait_for(lambda: _armed_with(p, a) is not None)
    assert _armed_gain(p) == pytest.approx(TRACK_GAIN)


def test_a_stations_seed_queued_by_hand_again_plays_at_its_albums_gain(store, tmp_path, make_player):
    # The station's seed plays at track gain as the station's songs do. Its album queued by
    # hand while the station goes on (shuffle off) is heard in its order: the seed came among
    # its album's songs at its track gain, a jump of 6 dB inside the album.
    a, b, d = add_tracks(store, tmp_path, [(n, 20.0, ALBUM_TAGS) for n in "abd"])
    store.set_setting("replaygain_mode", "album")
    p = make_player(speed=1.0)
    p.start_station(d, [a])
    assert wait_for(lambda: _armed_with(p, a) is not None)
    p.insert_next([d])
    assert wait_for(lambda: _armed_with(p, d) is not None)
    assert _armed_gain(p) == pytest.approx(ALBUM_GAIN)
    assert p.station_seed == d


def _armed_with(p, track_id):
    armed = p._armed
    return armed if armed is not None and armed.token.track_id == track_id else None


@pytest.mark.parametrize("tags, mode", [({}, "off"), ({"rg_track_gain": -6.0, "rg_track_peak": 0.5}, "album")])
def test_replaygain_changed_leaves_a_next_song_whose_gain_stays_as_it_was_opened(store, tmp_path, make_player,
                                                                                 tags, mode):
    # A song without ReplayGain tags plays at the same level in every mode, one with track
    # gains only at the same in album mode: opened again as the setting changed, it was
    # decoded twice, and in the last moments of the song before could start late.
    a, b = add_tracks(store, tmp_path, [("a", 1.5), ("b", 0.3, tags)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b])
    assert wait_for(lambda: _armed_with(p, b) is not None)
    armed = p._armed
    store.set_setting("replaygain_mode", mode)
    p.replaygain_changed()
    assert p._armed is armed
    assert wait_for(lambda: ended(store) == [(a, "finished"), (b, "finished")])


def test_replaygain_changed_as_the_next_song_is_heard_does_not_play_it_twice(store, tmp_path, make_player):
    # The output reached the next song before the player heard of it: set again with the new
    # gain, the engine played it to its end and then the copy set again, from its start.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.6), ("b", 1.0, {"rg_track_gain": -12.0, "rg_track_peak": 0.5}),
                                           ("c", 0.3)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b, c])
    assert wait_for(lambda: _armed_with(p, b) is not None)
    armed = p._armed
    with p._lock:       # the player hears of nothing the engine does meanwhile
        assert wait_for(lambda: p.engine.current is armed)
        store.set_setting("replaygain_mode", "off")
        p.replaygain_changed()
        wait_for(lambda: p.engine.current is not armed, timeout=3.0)
    assert wait_for(lambda: (c, "finished") in ended(store))
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished")]


def test_a_replaygain_setting_changed_mid_song_is_heard_in_that_song(store, tmp_path):
    # The preamp turned up (or the mode changed) while a song plays: the song went on at the
    # gain it was opened with to its end, and the person heard nothing of the change.
    import numpy as np

    from player.audio.replaygain import PREAMP_SETTING
    from tests.player.audio.signals import sine_residual

    (tid,) = add_tracks(store, tmp_path, [("a", 6.0, {"rg_track_gain": -12.0, "rg_track_peak": 0.5})])
    p = Player(store, NullEngine(speed=1.0, capture=True), progress_interval_s=0.2)
    rate = 44100

    def heard():
        return p.engine.captured()[:, 0]

    try:
        p.play_track(tid)
        assert wait_for(lambda: len(heard()) > 1.5 * rate)
        store.set_setting(PREAMP_SETTING, 6.0)
        p.replaygain_changed()
        mark = len(heard())
        assert wait_for(lambda: len(heard()) > mark + 1.0 * rate)
        out = heard()
    finally:
        p.close()

    def level(lo, hi):
        return float(np.sqrt(np.mean(out[int(lo * rate) + mark:int(hi * rate) + mark] ** 2)))
    # 6 dB louder within a fraction of a second (the output's block, then the glide) ...
    assert level(0.2, 0.7) / level(-0.7, -0.2) == pytest.approx(10 ** (6 / 20), rel=0.02)
    # ... gliding there: the tone goes on without a step (a cut from one level to the other
    # mid-wave: a tenth of its amplitude and more), the song neither restarted nor broken off.
    around = out[mark - rate // 2:mark + rate // 2]
    assert np.abs(sine_residual(around, freq=330.0, sr=rate)).max() < 0.01 * np.abs(around).max()


def test_segue_play_command_plays_paths_and_searches(tmp_path, segue_home):
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    music = tmp_path / "music"
    write_track(music, "01", fmt="flac", seconds=0.4, tags={"title": "First Light", "artist": "The Band"})
    write_track(music, "02", fmt="ogg", seconds=0.4, tags={"title": "Second Wind", "artist": "The Band"})
    env = {**os.environ, "SEGUE_HOME": str(segue_home)}

    def segue(*args):
        return subprocess.run([sys.executable, "-m", "player", "play", *args, "--null"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)

    out = segue(str(music))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["playing: The Band - First Light", "playing: The Band - Second Wind"]
    out = segue("band", "WIND")  # every word, any case, across title and artist
    assert out.returncode == 0 and out.stdout.splitlines() == ["playing: The Band - Second Wind"]
    out = segue("no such thing")
    assert out.returncode == 1 and "nothing in the library matches" in out.stderr
    db = sqlite3.connect(segue_home / "library.db")
    rows = db.execute("SELECT t.title, p.ended, p.source, p.ms_heard FROM plays p "
                      "JOIN tracks t ON t.id = p.track_id ORDER BY p.id").fetchall()
    db.close()
    assert [r[:3] for r in rows] == [("First Light", "finished", "cli"), ("Second Wind", "finished", "cli"),
                                     ("Second Wind", "finished", "cli")]
    assert all(abs(r[3] - 400) <= 2 for r in rows)


def test_a_format_nothing_here_decodes_is_logged_as_an_error(store, tmp_path, make_player, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg: the fallback has nothing to run
    (good,) = add_tracks(store, tmp_path, [("good", 0.3)])
    m4a = tmp_path / "song.m4a"
    m4a.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(300))
    store.upsert_tracks([{"path": str(m4a), "size": 324, "mtime_ns": 1, "title": "Song", "duration": 200.0}])
    bad = store.track_by_path(str(m4a))["id"]
    p = make_player()
    ev = Events(p)
    p.play_tracks([bad, good])
    assert wait_for(lambda: len(ev.of("track_ended")) == 2 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(bad, "error"), (good, "finished")]
    assert "install ffmpeg" in store.plays()[0]["error"]
    assert "install ffmpeg" in ev.of("error")[0]["message"]


def test_an_engine_that_cannot_start_logs_no_play_and_no_skip(store, tmp_path, make_player):
    """Nothing was heard: no play is logged, neither a skip nor an error of a good file."""
    from player.audio.base import AudioEngineError

    ids = add_tracks(store, tmp_path, [("a", 0.4), ("b", 0.4)])
    p = make_player()
    ev = Events(p)
    start = p.engine._output_start

    def no_output():
        raise AudioEngineError("no audio output is open; choose a device")

    p.engine._output_start = no_output  # what SoundDeviceEngine does with no stream
    p.play_track(ids[0])
    assert p.current_track_id is None and p.state is PlaybackState.STOPPED
    assert ended(store) == []
    assert "no audio output" in ev.of("device_lost")[0]["message"]
    assert p.cued.entry.track_id == ids[0]
    p.engine._output_start = start
    p.play_track(ids[1])
    assert wait_for(lambda: len(ev.of("track_ended")) == 1 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(ids[1], "finished")]


def test_state_is_answered_while_a_command_holds_the_player_lock(store, tmp_path, make_player):
    # The GUI reads state (Space, MPRIS) while the player thread may be in a slow DB write.
    (tid,) = add_tracks(store, tmp_path, [("a", 3.0)])
    p = make_player(speed=2.0)
    p.play_track(tid)
    assert wait_for(lambda: p.position > 0.1)
    held, release = threading.Event(), threading.Event()

    def slow_command():
        with p._lock:
            held.set()
            release.wait(5)

    t = threading.Thread(target=slow_command)
    t.start()
    try:
        assert held.wait(5)
        answers = []
        reader = threading.Thread(target=lambda: answers.append(p.state), daemon=True)
        reader.start()
        reader.join(1.0)
        assert answers == [PlaybackState.PLAYING]
    finally:
        release.set()
        t.join(5)


def test_a_second_filler_never_sees_the_queue_before_the_first_one_extended_it(store, tmp_path, make_player):
    # An engine event can ask for more just as a filler is adding its tracks; the second
    # filler must not run then, or both pick the same recommendations.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 2.0) for i in range(6)])
    calls = []

    def filler(player):
        calls.append(threading.current_thread().name)
        taken = {e.track_id for e in player.queue} | {player.current_track_id}
        return [(i, "radio") for i in ids if i not in taken][:2]

    p = make_player(speed=1.0)
    p.play_track(ids[0])
    extend = p._queue.extend

    def extend_while_an_event_asks_for_more(entries):
        p._maybe_fill()  # what a gapless hand-over on the engine thread does at that moment
        time.sleep(0.1)
        extend(entries)

    p._queue.extend = extend_while_an_event_asks_for_more
    p.keep_going = True
    p.set_queue_filler(filler)
    assert wait_for(lambda: len(p.queue) >= 4 and not p._filling)
    time.sleep(0.3)
    queued = [e.track_id for e in p.queue]
    assert queued == ids[1:5]  # two fills of two (the queue is kept at 3 or more), no repeats
    assert len(calls) == 2


def test_queue_entries_are_played_and_removed_by_identity_after_the_queue_shifted(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 3.0) for i in range(6)])
    p = make_player(speed=1.0)
    p.play_tracks(ids)
    shown = p.queue  # what the GUI shows: ids[1:]
    p.next()  # a hand-over shifts the queue before the GUI's command arrives
    assert [e.track_id for e in p.queue] == ids[2:]
    assert p.remove_queue_entries([shown[2], shown[0]]) == 1  # shown[0] already left the queue
    assert [e.track_id for e in p.queue] == [ids[2], ids[4], ids[5]]
    assert p.play_queue_entry(shown[3])
    assert p.current_track_id == ids[4]
    assert [e.track_id for e in p.queue] == [ids[2], ids[5]]  # the one before it stays queued
    assert not p.play_queue_entry(shown[3]) and p.current_track_id == ids[4]


def test_an_early_skip_reranks_the_suggestions_and_leaves_hand_queued_tracks_in_place(store, tmp_path, make_player):
    """The filler is asked again after each early skip (never after a listen), with the suggested
    entries as candidates again; what the person queued keeps its place; the streak counts."""
    ids = add_tracks(store, tmp_path, [(f"t{i}", 8.0) for i in range(12)])
    asked = []

    def filler(player, *, replacing=0):
        manual = [e.track_id for e in player.queue if e.manual]
        asked.append((replacing, player.skip_streak, list(player.early_skips)))
        taken = set(player.history) | set(manual)
        # The newest skip decides the order (a stand-in for a ranker): later ids first after one.
        pool = [i for i in ids if i not in taken]
        return [(i, "up_next") for i in (pool[::-1] if player.early_skips else pool)][:max(replacing, 4)]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert wait_for(lambda: len(p.queue) == 4)
    p.enqueue([ids[11]])                                  # queued by hand: before the suggestions
    p.insert_next([ids[10]])                              # and first
    assert [e.track_id for e in p.queue] == [ids[10], ids[11], ids[1], ids[2], ids[3], ids[4]]
    p.next()                                              # skip t0 early: t10 (queued by hand) plays
    assert wait_for(lambda: len(asked) == 2)
    assert wait_for(lambda: [e.track_id for e in p.queue][1:2] == [ids[9]])
    queue = p.queue
    assert [e.track_id for e in queue] == [ids[11], ids[9], ids[8], ids[7], ids[6]]
    assert queue[0].manual and not any(e.manual for e in queue[1:])
    assert asked[-1] == (4, 1, [ids[0]])
    p.next()                                              # a second early skip: a streak of two
    assert wait_for(lambda: len(asked) == 3) and asked[-1][:2] == (4, 2)
    assert p.current_track_id == ids[11]
    assert wait_for(lambda: [e.track_id for e in p.queue] == [ids[9], ids[8], ids[7], ids[6]])
    short = add_tracks(store, tmp_path, [("short", 0.3)])[0]
    p.play_track(short)                                   # skips t11 early (a third), then plays to its end
    assert wait_for(lambda: p.current_track_id != short and len(asked) == 4)
    time.sleep(0.3)
    assert len(asked) == 4 and asked[-1][:2] == (4, 3)    # a track heard to its end: no re-rank...
    assert p.skip_streak == 0 and p.early_skips == [ids[0], ids[10], ids[11]]   # ...and the run is over


def test_a_moved_file_queued_while_the_scan_showed_it_new_plays_as_its_old_track(store, make_player, tmp_path):
    # While a rescan runs, the window shows a moved file as a track of its own, and the
    # person may queue it; at the end of the scan that row is merged into the old track.
    # The queue must follow, so the song plays and its play is logged on its old track.
    import shutil

    from player.library import scanner as scanner_mod
    from player.library.scanner import Scanner

    root = tmp_path / "Music"
    song = write_track(root / "Old", "moved", fmt="flac", seconds=1.0, tags={"title": "Moved", "artist": "A"})
    first = write_track(root / "Zed", "first", fmt="flac", seconds=8.0, tags={"title": "First", "artist": "B"})
    Scanner(store).scan([str(root)])
    old_id, first_id = store.track_by_path(str(song))["id"], store.track_by_path(str(first))["id"]
    dest = root / "New" / "moved.flac"
    dest.parent.mkdir()
    shutil.move(song, dest)
    p = make_player()
    queued = []

    def progress(_):
        row = store.track_by_path(str(dest))
        if row is not None and not queued:         # the person sees the new row and queues it
            queued.append(row["id"])
            p.play_tracks([first_id, row["id"]])

    scanner_mod_batch, scanner_mod.BATCH = scanner_mod.BATCH, 1    # written at once, as in a large library
    try:
        result = Scanner(store, progress=progress, progress_interval_s=0).scan()
    finally:
        scanner_mod.BATCH = scanner_mod_batch
    assert result.moved == 1 and queued and queued[0] != old_id and store.track(queued[0]) is None
    assert result.renumbered == {queued[0]: old_id}
    p.renumber(result.renumbered)
    assert [e.track_id for e in p.queue] == [old_id]
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(store.plays()) == 2, timeout=20)
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(first_id, "finished"), (old_id, "finished")]


@pytest.mark.parametrize("when", ["queued_before_the_merge", "queued_after_the_merge", "playing_at_the_merge"])
def test_a_moved_file_queued_while_the_scan_showed_it_new_and_played_before_the_scan_ends_is_logged(
        store, make_player, tmp_path, monkeypatch, when):
    # The scan merges the moved file's new row into its old track a while before it ends
    # (and the window renumbers its queue only then): the song queued by its new row that
    # starts in between, or plays across the merge, is heard and logged on its old track.
    import shutil

    from player.library.scanner import Scanner

    root = tmp_path / "Music"
    song = write_track(root / "Old", "moved", fmt="flac", seconds=4.0, tags={"title": "Moved", "artist": "A"})
    first = write_track(root / "Zed", "first", fmt="flac", seconds=8.0, tags={"title": "First", "artist": "B"})
    Scanner(store).scan([str(root)])
    old_id, first_id = store.track_by_path(str(song))["id"], store.track_by_path(str(first))["id"]
    store.end_play(store.start_play(old_id, now=1000.0), "finished", 4000, now=1004.0)   # its history so far
    dest = root / "New" / "moved.flac"
    dest.parent.mkdir()
    shutil.move(song, dest)
    at_merge, merge, merged, finish = hold_scan(monkeypatch)
    p = make_player(speed=4.0)
    result = {}
    scan = threading.Thread(target=lambda: result.update(done=Scanner(store).scan()))
    scan.start()
    try:
        assert at_merge.wait(20)
        new_id = store.track_by_path(str(dest))["id"]          # the row the window shows meanwhile
        if when == "queued_before_the_merge":
            p.play_tracks([first_id, new_id])                  # made ready to follow the first song
        elif when == "playing_at_the_merge":
            p.play_tracks([new_id])
        if when != "queued_after_the_merge":
            assert wait_for(lambda: p.position > 0.1)
        merge.set()
        assert merged.wait(20) and store.track(new_id) is None
        if when != "queued_after_the_merge":                   # the merge came while it played
            assert p.current_track_id == (first_id if when == "queued_before_the_merge" else new_id)
        if when == "queued_after_the_merge":
            p.play_tracks([first_id, new_id])
        heard = [(old_id, "finished")] if when == "playing_at_the_merge" else [(first_id, "finished"),
                                                                                (old_id, "finished")]
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(store.plays()) == 1 + len(heard),
                        timeout=20)
        assert scan.is_alive()                                 # all of it before the scan ended
        if when != "playing_at_the_merge":
            assert p.history[-1] == old_id                     # the player followed the merge itself
    finally:
        merge.set()
        finish.set()
        scan.join(20)
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(old_id, "finished"), *heard]
    p.renumber(result["done"].renumbered)
    assert p.history[-1] == old_id


@pytest.mark.skipif(__import__("shutil").which("ffmpeg") is None, reason="ffmpeg makes the file")
def test_a_play_is_logged_with_the_length_it_was_judged_by(store, make_player, tmp_path):
    # A VBR MP3 without a Xing header: mutagen estimates its length from its first frame's
    # bit rate (silence, so a low one) at several times its real length, and a library
    # listed before the scan counted such files keeps that. The player judges a skip by the
    # decoded length; the log must say the same, or the recommender reads a listen as a skip.
    import subprocess

    from player.library.scanner import Scanner

    path = tmp_path / "m" / "vbr.mp3"
    path.parent.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=0.5",
                    "-f", "lavfi", "-i", "anoisesrc=color=white:duration=6:amplitude=0.5:seed=3",
                    "-filter_complex", "[0][1]concat=n=2:v=0:a=1", "-c:a", "libmp3lame", "-q:a", "0",
                    "-write_xing", "0", str(path)], check=True)
    Scanner(store).scan([str(path.parent)])
    track = store.track_by_path(str(path))
    assert track["duration"] == pytest.approx(6.53, abs=0.03)     # counted at the scan now
    # A library scanned before that still lists the estimate, until the file changes.
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET duration = 26.0 WHERE id = ?", (track["id"],))
    p = make_player(speed=8.0)
    p.play_tracks([track["id"]])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and [r["ended"] for r in store.plays()] == ["finished"])
    (play,) = store.plays()
    assert play["ended"] == "finished" and play["track_ms"] == pytest.approx(6530, abs=30)


def test_a_song_paused_past_the_session_gap_starts_the_session_again(store, make_player, tmp_path, monkeypatch):
    # Paused overnight and resumed: yesterday's songs are neither the context of Up next
    # nor kept out of it any more.
    import types

    import player.playback as playback
    from segue_common.listening import SESSION_GAP_S

    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(playback, "time", types.SimpleNamespace(time=lambda: clock["now"], monotonic=time.monotonic))
    ids = add_tracks(store, tmp_path, [("a", 0.3), ("b", 30.0)])
    p = make_player(speed=1.0)
    p.play_tracks(ids)
    assert wait_for(lambda: p.current_track_id == ids[1])
    assert p.session == ids
    p.pause()
    assert wait_for(lambda: p.state is PlaybackState.PAUSED)
    clock["now"] += SESSION_GAP_S + 3600
    assert p.session == []                          # nothing has played for longer than the gap
    p.resume()
    assert wait_for(lambda: p.state is PlaybackState.PLAYING)
    assert wait_for(lambda: p.session == [ids[1]])


def test_a_song_paused_past_the_session_gap_goes_on_in_the_session_of_now_for_the_log_and_up_next(
        store, tmp_path, make_player):
    # Three early skips in the evening, then a song paused overnight in the open window and
    # resumed in the morning: it stays one play, but in the log it goes on in the session of
    # now, starting when it resumed, and Up next (which reads the session in progress from
    # the log's latest play) and the run of skips no longer count the evening's skips now.
    from player.recommender_service import RecommenderService
    from segue_common.listening import SESSION_GAP_S

    clock = {"now": time.time()}
    b, c, d, a, e = add_tracks(store, tmp_path, [("b", 60.0), ("c", 60.0), ("d", 60.0), ("a", 60.0), ("e", 60.0)])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p = make_player(speed=8.0, clock=lambda: clock["now"])
    p.add_listener(service.on_player_event)
    p.play_tracks([b, c, d, a, e])
    for t in (b, c, d):
        assert wait_for(lambda: p.current_track_id == t and p.position > 0.3)
        p.next()
    assert wait_for(lambda: p.current_track_id == a and p.position > 2.0)
    p.pause()
    assert wait_for(lambda: p.state is PlaybackState.PAUSED)
    pid = store.plays()[-1]["id"]
    assert wait_for(lambda: store.play(pid)["ms_heard"] >= 2000)
    evening = store.play(pid)["session_id"]
    assert [r["session_id"] for r in store.plays()] == [evening] * 4
    assert p.skip_streak == 3 and service._session_skips(service.recommender(), p.session) == ([b, c, d], 3)
    heard = store.play(pid)["ms_heard"]
    clock["now"] += SESSION_GAP_S + 8 * 3600
    p.resume()
    assert wait_for(lambda: store.play(pid)["session_id"] != evening)
    row = store.play(pid)
    assert row["ended"] == "playing" and row["started_at"] == clock["now"] and row["ms_heard"] >= heard
    assert [r["session_id"] for r in store.plays()[:3]] == [evening] * 3 and store.play_count() == 4
    assert p.session == [a] and p.skip_streak == 0
    rec = service.recommender()
    assert int(rec.catalog.plays.session_id[-1]) == row["session_id"]
    assert service._session_skips(rec, p.session) == ([], 0)
    assert wait_for(lambda: p.position > 3.0)
    p.next()                                    # the song after it joins the morning's session too
    assert wait_for(lambda: p.current_track_id == e and store.play_count() == 5)
    assert store.plays()[-1]["session_id"] == row["session_id"]


def test_a_song_playing_while_the_computer_slept_goes_on_in_the_session_of_now(store, tmp_path, make_player):
    # A laptop closed mid-song in the evening and opened in the morning: nobody paused, but
    # the song went quiet for the night. It goes on in the session of now, as a song paused
    # that long does, and the evening's skips are not a run of skips in the morning.
    from player.recommender_service import RecommenderService
    from segue_common.listening import SESSION_GAP_S

    clock = {"now": time.time()}
    b, c, a = add_tracks(store, tmp_path, [("b", 60.0), ("c", 60.0), ("a", 60.0)])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p = make_player(speed=1.0, clock=lambda: clock["now"])
    p.add_listener(service.on_player_event)
    p.play_tracks([b, c, a])
    for t in (b, c):
        assert wait_for(lambda: p.current_track_id == t and p.position > 0.3)
        p.next()
    assert wait_for(lambda: p.current_track_id == a and p.position > 0.5)
    pid = store.plays()[-1]["id"]
    evening = store.play(pid)["session_id"]
    assert p.skip_streak == 2 and service._session_skips(service.recommender(), p.session) == ([b, c], 2)
    clock["now"] += SESSION_GAP_S + 8 * 3600          # the night passes between two progress ticks
    assert wait_for(lambda: store.play(pid)["session_id"] != evening)
    row = store.play(pid)
    assert row["ended"] == "playing" and row["started_at"] == clock["now"]
    assert [r["session_id"] for r in store.plays()[:2]] == [evening] * 2 and store.play_count() == 3
    assert p.state is PlaybackState.PLAYING and p.session == [a] and p.skip_streak == 0
    assert wait_for(lambda: service._session_skips(service.recommender(), p.session) == ([], 0))


@pytest.mark.parametrize("heard_s, early", [(12.0, True), (40.0, False)])
def test_a_night_asleep_mid_song_counts_only_what_was_played_toward_the_play(store, tmp_path, make_player,
                                                                              heard_s, early):
    # The lid closed mid-song, opened eight hours later, and the person moves on soon after.
    # By the wall clock the song "played" all night; by what the output took it was heard
    # for seconds. The play logs what was played, and is judged by it: a minute's song moved
    # on from after 12 s heard is an early skip, after 40 s it was listened to (the early-skip
    # rule's 30 s), whatever the night between; the part before the night counts too. Nor
    # does the play end before it began.
    from segue_common.listening import SESSION_GAP_S

    clock = {"now": time.time()}
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = make_player(speed=1.0, clock=lambda: clock["now"])
    ev = Events(p)
    p.play_tracks([a, b])
    assert listen_through(p, lambda: p.current_track_id == a and p.position > heard_s / 2)
    pid = store.plays()[-1]["id"]
    evening = store.play(pid)["session_id"]
    clock["now"] += 8 * 3600 + SESSION_GAP_S           # the night passes between two progress ticks
    assert wait_for(lambda: store.play(pid)["session_id"] != evening)
    assert listen_through(p, lambda: p.position > heard_s)
    at = p.position
    p.next()
    assert wait_for(lambda: p.current_track_id == b and store.play(pid)["ended"] != "playing")
    row = store.play(pid)
    assert row["ended"] == "skipped" and at * 1000 - 50 <= row["ms_heard"] <= at * 1000 + 1000
    assert row["updated_at"] >= row["started_at"]
    assert [d["early_skip"] for d in ev.of("track_ended")] == [early]
    assert p.skip_streak == int(early)


@pytest.mark.parametrize("when", ["mid_song", "mid_song_before_a_tick", "paused", "stopped"])
def test_a_clock_put_back_by_hours_mid_evening_ends_the_session_up_next_reads_as_the_log_does(
        store, tmp_path, make_player, when):
    # Two early skips in the evening, then the clock is put back three hours (NTP correcting
    # a clock that ran ahead), as a song plays or is paused, or while nothing plays. The log ends the
    # evening's session there (a gap either way begins another); the player's own, which Up
    # next reads, went on with the evening's plays and their run of skips, as only a gap
    # forward ended it. ("before a tick", and paused: the progress writer has not seen the
    # clock go back before the song is moved on from or resumed, as with a song near its end.)
    from player.recommender_service import RecommenderService

    clock = {"now": time.time()}
    b, c, d, e = add_tracks(store, tmp_path, [(n, 60.0) for n in "bcde"])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p = make_player(speed=1.0, clock=lambda: clock["now"], interval=0.2 if when in ("mid_song", "stopped") else 600.0)
    p.add_listener(service.on_player_event)
    p.play_tracks([b, c, d, e])
    for t in (b, c):
        assert wait_for(lambda: p.current_track_id == t and p.position > 0.3)
        p.next()
    assert wait_for(lambda: p.current_track_id == d and p.position > 0.5)
    pid = max(r["id"] for r in store.plays())
    evening = store.play(pid)["session_id"]
    assert p.session == [b, c, d] and p.skip_streak == 2

    def logged_now():
        return [r["track_id"] for r in store.session_in_progress(clock["now"])]

    if when in ("mid_song", "paused"):
        if when == "paused":
            p.pause()
            assert wait_for(lambda: p.state is PlaybackState.PAUSED)
        clock["now"] -= 3 * 3600
        if when == "paused":
            p.resume()
        # The song playing goes on in the session of now, in the log and for the player.
        assert wait_for(lambda: store.play(pid)["session_id"] != evening)
        assert p.session == [d] == logged_now() and p.skip_streak == 0
        assert wait_for(lambda: p.position > 1.0)
        p.next()
        assert wait_for(lambda: p.current_track_id == e and store.play_count() == 4)
        assert p.session == [d, e] == logged_now()
        assert service._session_skips(service.recommender(), p.session) == ([d], 1)
        return
    if when == "stopped":
        p.stop()
        assert wait_for(lambda: store.play(pid)["ended"] != "playing")
        clock["now"] -= 3 * 3600
        p.play_tracks([e])
    else:
        clock["now"] -= 3 * 3600
        assert p.session == [] == logged_now()      # (the song stays in the evening's, as logged)
        p.next()
    assert wait_for(lambda: p.current_track_id == e and store.play_count() == 4)
    assert store.play(pid)["session_id"] == evening
    assert store.play(max(r["id"] for r in store.plays()))["session_id"] != evening
    assert p.session == [e] == logged_now()
    assert wait_for(lambda: service._session_skips(service.recommender(), p.session) == ([], 0))


def test_a_song_the_busy_library_refused_goes_on_in_the_session_of_now_as_the_clock_goes_back(
        store, tmp_path, make_player):
    # As above, mid-song, but another process held the library as the song began: its play is
    # kept (in memory and in the kept file) to be written once the library is free. The clock
    # put back moved the player's session on to the song; the kept play still began in the
    # evening and was written there, with the evening's run of skips, which the log then read
    # as the session in progress, and the kept file held it as begun then too.
    from player.kept_plays import journal_path, read

    clock = {"now": time.time()}
    b, c, d = add_tracks(store, tmp_path, [(n, 60.0) for n in "bcd"])
    p = make_player(speed=1.0, clock=lambda: clock["now"], interval=0.2)
    p.play_tracks([b, c, d])
    for t in (b, c):
        assert wait_for(lambda: p.current_track_id == t and p.position > 0.3)
        if t == c:
            break
        p.next()
    evening = store.play(max(r["id"] for r in store.plays()))["session_id"]
    with _library_held(store):
        p.next()
        assert wait_for(lambda: p.current_track_id == d and p.unsaved_plays, timeout=30)
        clock["now"] -= 3 * 3600
        assert wait_for(lambda: p.session == [d])
        # (the kept file says the play began now: a kill here writes it in the session of now)
        assert wait_for(lambda: [k["started_at"] for k in read(journal_path(store.path))[0]
                                 if k["track_id"] == d] == [clock["now"]])
    assert wait_for(lambda: p.unsaved_plays == 0 and store.play_count() == 3, timeout=30)
    row = store.play(max(r["id"] for r in store.plays()))
    assert (row["track_id"], row["started_at"]) == (d, clock["now"])
    assert row["session_id"] != evening
    assert p.session == [d] == [r["track_id"] for r in store.session_in_progress(clock["now"])]


def test_after_the_clock_was_set_back_up_next_reads_the_session_logged_last(store, tmp_path, make_player):
    # Three early skips with the computer's clock hours ahead; the clock is put right and
    # Segue started again: the plays logged now lie before those in time. Up next reads the
    # session in progress as the log's latest: it took the session before for it (its run of
    # skips counted now, the skips of now not at all) until the clock caught up with it.
    from player.recommender_service import RecommenderService

    clock = {"now": time.time() + 3 * 3600}
    b, c, d, a, e, f = add_tracks(store, tmp_path, [(n, 60.0) for n in "bcdaef"])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    before = make_player(speed=8.0, clock=lambda: clock["now"])
    before.add_listener(service.on_player_event)
    before.play_tracks([b, c, d, a])
    for t in (b, c, d):
        assert wait_for(lambda: before.current_track_id == t and before.position > 0.3)
        before.next()
    assert wait_for(lambda: before.current_track_id == a and before.position > 0.3)
    assert service._session_skips(service.recommender(), before.session) == ([b, c, d], 3)
    before.close()
    clock["now"] -= 2 * 3600                      # put right: an hour after, by a clock now true
    p = make_player(speed=8.0, clock=lambda: clock["now"])
    p.add_listener(service.on_player_event)
    p.play_tracks([e, f])
    assert wait_for(lambda: p.current_track_id == e and p.position > 0.3)
    p.next()
    assert wait_for(lambda: p.current_track_id == f and store.play_count() == 6)
    now = store.plays()
    assert now[-1]["track_id"] == a and max(now, key=lambda r: r["id"])["track_id"] == f   # (a lies ahead)
    rec = service.recommender()
    assert p.session == [e, f]
    assert service._session_skips(rec, p.session) == ([e], 1)
    assert rec.catalog.plays.session_now() == store.play(max(r["id"] for r in now))["session_id"]


def test_after_the_clock_was_set_back_by_hours_up_next_reads_how_the_plays_of_now_ended(store, tmp_path,
                                                                                          make_player):
    # The clock nine hours ahead (a time zone taken for another), then put right: Up next
    # re-read only the plays of the last hours before the latest in time, and the plays of
    # now lay further back than that. A song it read as it began, heard through and stopped,
    # stayed "playing" to it: the skip before it still read as a run of skips now.
    from player.recommender_service import RecommenderService

    clock = {"now": time.time() + 9 * 3600}
    b, c, e = add_tracks(store, tmp_path, [(n, 60.0) for n in "bce"])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    before = make_player(speed=8.0, clock=lambda: clock["now"])
    before.play_tracks([b])
    assert wait_for(lambda: before.current_track_id == b and before.position > 0.3)
    before.close()
    clock["now"] -= 9 * 3600
    p = make_player(speed=8.0, clock=lambda: clock["now"])
    p.add_listener(service.on_player_event)
    p.play_tracks([c, e])
    assert wait_for(lambda: p.current_track_id == c and p.position > 0.3)
    p.next()
    assert wait_for(lambda: p.current_track_id == e and store.play_count() == 3)
    assert service._session_skips(service.recommender(), p.session) == ([c], 1)   # (as Up next fills at its start)
    assert listen_through(p, lambda: p.position > 36.0)
    p.stop()
    assert wait_for(lambda: [r["ended"] for r in store.plays() if r["track_id"] == e] == ["stopped"])
    assert service._session_skips(service.recommender(), p.session) == ([c], 0)


def test_after_the_clock_was_put_back_minutes_mid_session_up_next_reads_its_plays_as_logged(store, tmp_path,
                                                                                               make_player):
    # The clock ten minutes fast, put right while a session goes on (within the gap, the
    # session stays the same): the plays of now lie before the first of the session in time.
    # Read in time order, the song heard before the clock moved was the latest ended, and it
    # broke the run of skips of now: the skip just made did not count.
    from player.recommender_service import RecommenderService

    clock = {"now": time.time() + 600}
    a, b, c = add_tracks(store, tmp_path, [(n, 60.0) for n in "abc"])
    service = RecommenderService(store, priors=None, models_dir=tmp_path / "models")
    p = make_player(speed=8.0, clock=lambda: clock["now"])
    p.add_listener(service.on_player_event)
    p.play_tracks([a, b, c])
    assert listen_through(p, lambda: p.current_track_id == a and p.position > 40.0)
    clock["now"] -= 600
    p.next()
    assert wait_for(lambda: p.current_track_id == b and p.position > 0.3)
    p.next()
    assert wait_for(lambda: p.current_track_id == c and store.play_count() == 3)
    now = store.plays()
    assert now[-1]["track_id"] == a and len({r["session_id"] for r in now}) == 1      # (a lies ahead)
    assert service._session_skips(service.recommender(), p.session) == ([b], 1)


@pytest.mark.parametrize("queued, crossfade_s", [(True, 0.0), (False, 0.0), (True, 0.5)])
def test_stop_after_this_song_plays_it_out_and_leaves_up_next_waiting(store, tmp_path, make_player, queued,
                                                                      crossfade_s):
    # Someone who has to leave, or wants to end on a song, asks to stop when it ends: it is
    # heard to its end, the song after it (armed in the engine already) is not begun, nothing
    # of Up next is taken, and Keep it going neither refills nor restarts anything. Under a
    # crossfade the song is not faded into the next one either.
    a, b, c, d = add_tracks(store, tmp_path, [("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)])
    asked_stopped = []

    def filler(player):
        # Offers d only once nothing plays: what a refill after the last song would start.
        if player.current_track_id is None:
            asked_stopped.append(True)
            return [(d, "radio")]
        return []

    p = make_player(speed=4.0, crossfade_s=crossfade_s)
    ev = Events(p)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_tracks([a, b, c] if queued else [a])
    assert wait_for(lambda: p.position > 0.2)     # b is armed, its start buffered after a's end
    p.set_stop_after(True)
    assert p.stop_after
    assert wait_for(lambda: ev.of("track_ended") and p.state is PlaybackState.STOPPED
                    and p.engine.state is PlaybackState.STOPPED)
    time.sleep(0.5)                                 # 2 s of audio: anything begun after it would show
    assert ended(store) == [(a, "finished")]
    assert store.plays()[0]["ms_heard"] == pytest.approx(1000, abs=2)
    assert p.current_track_id is None and p.history == [a]
    assert [e.track_id for e in p.queue] == ([b, c] if queued else [])
    assert not asked_stopped
    assert not p.stop_after                         # one-shot: it has stopped the music
    assert ev.of("stop_after_changed") == [{"on": True, "stopped_after": None},
                                           {"on": False, "stopped_after": a}]
    if queued:
        p.resume()                                  # Play: the next song starts
        assert p.current_track_id == b and [e.track_id for e in p.queue] == [c]
        assert wait_for(lambda: p.history[:3] == [a, b, c])     # and the list goes on after it
        assert ended(store)[:2] == [(a, "finished"), (b, "finished")]


def test_stop_after_turned_off_again_mid_song_lets_the_next_follow_without_a_gap(store, tmp_path):
    import numpy as np

    ids = []
    for name, seconds, freq in (("a", 2.0, 330.0), ("b", 1.0, 550.0)):
        path = write_track(tmp_path, name, fmt="flac", seconds=seconds, freq=freq, tags={"title": name})
        st = os.stat(path)
        store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                              **read_tags(str(path))}])
        ids.append(store.track_by_path(str(path))["id"])
    a, b = ids
    p = Player(store, OpensInRealTime(speed=4.0, capture=True), progress_interval_s=0.2)
    try:
        ev = Events(p)
        p.play_tracks([a, b])
        assert wait_for(lambda: p.position > 0.3)
        p.set_stop_after(True)
        assert wait_for(lambda: p.position > 0.8)
        p.set_stop_after(False)
        assert wait_for(lambda: len(ev.of("track_ended")) == 2 and p.state is PlaybackState.STOPPED)
        assert ended(store) == [(a, "finished"), (b, "finished")]
        assert [d["on"] for d in ev.of("stop_after_changed")] == [True, False]
        out = p.engine.captured()[:, 0]
        sound = np.flatnonzero(np.abs(out) > 1e-4)
        quiet = np.abs(out[sound[0]:sound[-1]]) <= 1e-4
        runs = np.diff(np.flatnonzero(np.diff(np.r_[False, quiet, False].astype(np.int8))))[::2]
        assert (runs.max() if len(runs) else 0) < 64        # b went on from a's last sample
        assert len(sound) / 44100 == pytest.approx(3.0, abs=0.05)
    finally:
        p.close()


def test_stop_after_is_kept_for_the_song_next_starts_and_stop_turns_it_off(store, tmp_path, make_player):
    # Next while it is on: the person moved on, and now wants to stop after the song they
    # moved to (as foobar2000 keeps its "stop after current"). Stop ends the music itself.
    a, b, c = add_tracks(store, tmp_path, [("a", 4.0), ("b", 1.0), ("c", 1.0)])
    p = make_player(speed=4.0)
    p.play_tracks([a, b, c])
    p.set_stop_after(True)
    assert wait_for(lambda: p.position > 0.3)
    p.next()
    assert p.current_track_id == b and p.stop_after
    assert wait_for(lambda: len(ended(store)) == 2 and p.state is PlaybackState.STOPPED)
    time.sleep(0.3)
    assert ended(store) == [(a, "skipped"), (b, "finished")]
    assert [e.track_id for e in p.queue] == [c] and not p.stop_after
    p.resume()
    assert p.current_track_id == c
    p.set_stop_after(True)
    p.stop()
    assert not p.stop_after


def test_stop_after_with_nothing_playing_is_not_kept_for_a_song_started_later(store, tmp_path, make_player):
    # Asked before anything plays, after Stop, or once Up next ran out, there is no song to
    # stop after: kept, it stopped the next song the person started at its end, unasked.
    a, b = add_tracks(store, tmp_path, [("a", 0.4), ("b", 1.0)])
    p = make_player(speed=4.0)
    ev = Events(p)
    p.set_stop_after(True)
    assert not p.stop_after and ev.of("stop_after_changed") == [{"on": False, "stopped_after": None}]
    p.play_tracks([a, b])
    assert wait_for(lambda: p.current_track_id == b)      # a went on into b: nothing stopped it
    p.stop()
    p.set_stop_after(True)
    assert not p.stop_after


def test_stop_after_asked_as_the_engine_goes_on_into_the_next_song_stops_after_that_one(
        store, tmp_path, make_player):
    # Asked for in the moment the engine begins the next song (the player has not heard of
    # it yet: its lock is held, as a busy database holds it), the song before is over: the
    # one now heard plays to its end, and is the song the music stops after.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 1.0), ("c", 1.0)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b, c])
    with p._lock:
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.path.endswith("b.flac"))
        p.set_stop_after(True)
    assert wait_for(lambda: len(ev.of("track_ended")) == 2 and p.state is PlaybackState.STOPPED)
    time.sleep(0.3)
    assert ended(store) == [(a, "finished"), (b, "finished")]
    assert store.plays()[1]["ms_heard"] == pytest.approx(1000, abs=2)
    assert [e.track_id for e in p.queue] == [c] and not p.stop_after
    assert ev.of("stop_after_changed")[-1] == {"on": False, "stopped_after": b}


# -- the moment the engine goes on into the next song --------------------------------------
# The engine goes on into the song armed after the current one without a gap, and tells the
# player so with two events: "finished" for the song that ended, then "started" for the one
# heard now. A command of the person's can come before the player has heard of either (its
# lock is held: a busy database, a slow command) or in between the two.


def engine_in(p, name):
    """The engine is heard playing the file ``name`` (the player may not know it yet)."""
    return wait_for(lambda: p.engine.current is not None and p.engine.current.path.endswith(f"{name}.flac"))


def between_the_events(p, act):
    """Do ``act()`` once, right after the player handled a "finished" that the engine went on
    from, before the "started" of the song it went on into (both come from one thread)."""
    did = threading.Event()

    def hook(event, data):
        p._on_engine(event, data)
        if event == "finished" and not data.get("last") and not did.is_set():
            did.set()
            act()

    p.engine.set_listener(hook)
    return did


class GatedFiller:
    """Suggests ``tracks`` once, when let go (``go``); each later ask gets nothing."""

    def __init__(self, tracks):
        self.tracks, self.go, self.asked = list(tracks), threading.Event(), threading.Event()
        self.threads = []

    def __call__(self, player):
        self.threads.append(threading.current_thread())
        self.asked.set()
        assert self.go.wait(10)
        out, self.tracks = self.tracks, []
        return [(t, "radio") for t in out]

    def landed(self, timeout=10.0):
        """Let it go; once asked, wait until what it suggested has landed (True)."""
        self.go.set()
        if not self.asked.wait(timeout):
            return False
        for t in list(self.threads):
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)


def test_a_refill_landing_as_the_engine_goes_on_never_starts_over_the_song_heard(store, tmp_path, make_player):
    # Up next is cleared just as the engine begins b, before the player heard of it: Keep it
    # going asks for more (the queue is empty), and its suggestions land between the end of
    # a and the start of b. b is heard: it plays on and is logged, the suggestions follow it.
    a, b, c, d = add_tracks(store, tmp_path, [("a", 0.5), ("b", 1.0), ("c", 0.5), ("d", 0.5)])
    p = make_player(speed=2.0)
    ev = Events(p)
    filler = GatedFiller([c, d])
    p.play_tracks([a, b])
    did = between_the_events(p, filler.landed)
    with p._lock:
        assert engine_in(p, "b")
        p.clear_queue()
        p.keep_going = True
        p.set_queue_filler(filler)          # asked at once: the queue is empty
    assert did.wait(10) and filler.landed()
    assert wait_for(lambda: len(ev.of("track_ended")) == 4 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished"), (d, "finished")]
    assert store.plays()[1]["ms_heard"] == pytest.approx(1000, abs=2)
    assert [x["track_id"] for x in ev.of("track_started")] == [a, b, c, d]


def test_the_song_heard_after_up_next_was_cleared_as_it_began_is_no_run_out(store, tmp_path, make_player):
    # Cleared as the engine begins b: b plays. Stopped while it does, the music stays
    # stopped: Keep it going turned on then starts nothing, and a song queued waits for Play.
    a, b, c, d = add_tracks(store, tmp_path, [("a", 0.5), ("b", 8.0), ("c", 0.5), ("d", 0.5)])
    p = make_player(speed=2.0)
    p.play_tracks([a, b])
    with p._lock:
        assert engine_in(p, "b")
        p.clear_queue()
    assert wait_for(lambda: p.current_track_id == b)
    assert p.state is PlaybackState.PLAYING and p.queue == []
    p.stop()
    filler = GatedFiller([d])
    filler.go.set()
    p.keep_going = True
    p.set_queue_filler(filler)
    p.enqueue([c])
    time.sleep(0.5)
    assert not filler.asked.is_set() or filler.landed()
    assert p.current_track_id is None and p.state is PlaybackState.STOPPED
    assert [e.track_id for e in p.queue] == [c]
    assert ended(store) == [(a, "finished"), (b, "stopped")]


@pytest.mark.parametrize("change", ["clear", "remove"])
@pytest.mark.parametrize("moment", ["before", "between"])
def test_up_next_changed_as_the_engine_goes_on_leaves_the_song_heard_playing(
        store, tmp_path, make_player, change, moment):
    # The song heard plays on, logged once, whatever the person took out of Up next at that
    # moment; what they left in it follows.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 1.0), ("c", 0.5)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b, c])

    def act():
        if change == "clear":
            p.clear_queue()
        else:
            p.remove_from_queue(0)

    if moment == "before":
        with p._lock:
            assert engine_in(p, "b")
            act()
    else:
        assert between_the_events(p, act).wait(10)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and p.engine.state is PlaybackState.STOPPED
                    and len(ev.of("track_ended")) >= 2)
    time.sleep(0.3)
    after = [] if change == "clear" else [(c, "finished")]
    assert ended(store) == [(a, "finished"), (b, "finished"), *after]
    assert store.plays()[1]["ms_heard"] == pytest.approx(1000, abs=2)
    assert p.queue == []


def test_stop_after_asked_between_the_end_of_one_song_and_the_start_of_the_next_is_kept(
        store, tmp_path, make_player):
    # Between the engine's "finished" for a and its "started" for b the player has no song
    # playing, yet the music goes on: Stop after this song pressed then is for the song heard
    # next, as when pressed just before, and not turned down as with nothing playing.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 1.0), ("c", 1.0)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b, c])
    assert between_the_events(p, lambda: p.set_stop_after(True)).wait(10)
    assert wait_for(lambda: {"on": False, "stopped_after": b} in ev.of("stop_after_changed"))
    assert p.state is PlaybackState.STOPPED and not p.stop_after
    assert ended(store) == [(a, "finished"), (b, "finished")]
    assert [e.track_id for e in p.queue] == [c]


def test_next_pressed_as_the_engine_goes_on_is_for_the_song_that_ended(store, tmp_path, make_player):
    # Next for a, pressed as the engine began b before the player heard of it: a has ended
    # on its own, so b is not started again from its start, nor a logged as skipped.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 1.0), ("c", 0.5)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b, c])
    shown_a = ev.of("track_started")[0]["entry"]
    with p._lock:
        assert engine_in(p, "b")
        p.next(shown_a)
        assert [e.track_id for e in p.queue] == [b, c]
    assert wait_for(lambda: len(ev.of("track_ended")) == 3 and p.state is PlaybackState.STOPPED)
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished")]
    assert [d["track_id"] for d in ev.of("track_started")] == [a, b, c]


@pytest.mark.parametrize("moment", ["before", "between"])
def test_a_station_started_as_the_engine_goes_on_plays_and_the_song_before_finished(
        store, tmp_path, make_player, moment):
    # The person's station replaces what the engine went on into (heard for a moment, never
    # logged); the song before it played to its end, which is no skip of it.
    a, b, seed, first = add_tracks(store, tmp_path, [("a", 0.5), ("b", 4.0), ("seed", 0.5), ("first", 0.5)])
    p = make_player(speed=2.0)
    ev = Events(p)
    p.play_tracks([a, b])
    start = lambda: p.start_station(seed, [first])      # noqa: E731
    if moment == "before":
        with p._lock:
            assert engine_in(p, "b")
            start()
    else:
        assert between_the_events(p, start).wait(10)
    assert wait_for(lambda: len(ev.of("track_ended")) == 3 and p.state is PlaybackState.STOPPED)
    time.sleep(0.3)
    assert [(r["track_id"], r["ended"], r["source"]) for r in store.plays()] == [
        (a, "finished", "library"), (seed, "finished", "library"), (first, "finished", "radio")]
    assert p.early_skips == []


def test_suggestions_taken_out_of_the_queue_are_passed_over_for_the_session(store, tmp_path, make_player):
    # Clear with Keep it going on brought back the same songs a moment later: what the person
    # takes out is not suggested again until the listening session is over.
    from segue_common.listening import SESSION_GAP_S

    clock = {"now": time.time()}
    ids = add_tracks(store, tmp_path, [(f"t{i}", 60.0) for i in range(12)])
    playing, mine = ids[0], ids[11]

    def filler(player):
        taken = {e.track_id for e in player.queue} | player.passed_over | {playing}
        return [(t, "up_next") for t in ids if t not in taken][:4]

    p = make_player(speed=1.0, clock=lambda: clock["now"])
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(playing)
    assert wait_for(lambda: len(p.queue) == 4)
    first = [e.track_id for e in p.queue]
    p.enqueue([mine])                                   # queued by hand: no suggestion to pass over
    p.clear_queue()
    assert p.passed_over == set(first)
    assert wait_for(lambda: len(p.queue) == 4)
    second = [e.track_id for e in p.queue]
    assert not set(second) & set(first)
    p.remove_from_queue(0)
    p.remove_queue_entries([p.queue[0]])
    assert p.passed_over == set(first) | set(second[:2])
    p.pause()
    clock["now"] += SESSION_GAP_S + 1                   # another evening
    assert p.passed_over == frozenset()
    p.stop()


def test_a_suggestion_taken_out_while_the_filler_ranks_does_not_come_back(store, tmp_path, make_player):
    import threading

    ids = add_tracks(store, tmp_path, [(f"t{i}", 60.0) for i in range(6)])
    calls, ranking, go = [], threading.Event(), threading.Event()

    def filler(player):
        calls.append(1)
        if len(calls) == 1:
            return [(ids[1], "up_next"), (ids[2], "up_next")]
        ranking.set()                       # the second fill ranks (slowly, like the models)
        assert go.wait(10)
        return [(ids[1], "up_next"), (ids[3], "up_next"), (ids[4], "up_next")]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert ranking.wait(10)
    p.remove_queue_entries([e for e in p.queue if e.track_id == ids[1]])
    go.set()
    assert wait_for(lambda: len(p.queue) >= 3)
    assert [e.track_id for e in p.queue] == [ids[2], ids[3], ids[4]]
    p.stop()


def test_a_failing_state_save_is_logged_once_until_it_works_again(store, tmp_path, make_player, monkeypatch,
                                                                    caplog):
    # A full disk fails every save of the queue, and each queue change tries again: the
    # log said the same traceback at every change. Once, then once more when it recovers;
    # playback and the queue go on meanwhile.
    import logging
    import sqlite3

    from player.playback import STATE_SETTING

    ids = add_tracks(store, tmp_path, [(f"t{i}", 5.0) for i in range(4)])
    p = make_player(interval=3600.0)
    p.restore_state()
    real = store.set_setting

    def full(key, value):
        if key == STATE_SETTING:
            raise sqlite3.OperationalError("database or disk is full")
        return real(key, value)

    monkeypatch.setattr(store, "set_setting", full)
    caplog.set_level(logging.INFO, logger="player.playback")
    for tid in ids:
        p.enqueue([tid])
        p._save_state()
    failures = [r for r in caplog.records if "could not save the playback state" in r.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert [e.track_id for e in p.queue] == ids
    monkeypatch.setattr(store, "set_setting", real)
    p._save_state()
    assert [q[0] for q in store.get_setting(STATE_SETTING)["queue"]] == ids
    assert any("saved again" in r.getMessage() for r in caplog.records)
    p.enqueue([ids[0]])
    monkeypatch.setattr(store, "set_setting", full)
    p._save_state()
    assert len([r for r in caplog.records if "could not save the playback state" in r.getMessage()]) == 2


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("crossfade_s", [0.0, 1.0])
def test_a_clip_of_a_fraction_of_a_second_before_an_aac_song_does_not_run_the_output_dry(
        store, tmp_path, crossfade_s):
    # The player arms a song once the one before it is heard; ffmpeg takes longer to start
    # than the 50 ms clip lasts, so the song after the clip must be opened before the clip.
    # (The song before it lasts 2 s: on a busy machine ffmpeg took over a second to start, and
    # a song of 0.6 s ran the output dry however early the AAC song was opened.)
    import numpy as np
    import soundfile as sf

    from tests.audiogen import tone

    ids = add_tracks(store, tmp_path, [("a", 2.0), ("clip", 0.05)])
    wav, m4a = tmp_path / "c.wav", tmp_path / "c.m4a"
    sf.write(str(wav), tone(1.0, freq=550.0), 44100, subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    st = os.stat(m4a)
    store.upsert_tracks([{"path": str(m4a), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(m4a))}])
    ids.append(store.track_by_path(str(m4a))["id"])
    p = Player(store, NullEngine(speed=1.0, crossfade_s=crossfade_s, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks(ids)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3)
        out = p.engine.captured()[:, 0]
        underruns = p.engine.underruns
    finally:
        p.close()
    assert ended(store) == [(i, "finished") for i in ids]
    body = out[np.flatnonzero(out)[0]:np.flatnonzero(out)[-1] + 1]
    zero = np.concatenate([[False], body == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    silence = int((edges[1::2] - edges[::2]).max()) if len(edges) else 0
    assert silence < 0.002 * 44100, f"{silence / 44.1:.0f} ms of silence"
    assert underruns == 0


def _continuous_album(store, folder, lens, albums, *, compilation=False):
    """One sine wave cut into FLAC files of ``lens`` frames, in the store as tracks 1, 2, ...
    of ``albums`` (one album title a file); the wave as a whole. With ``compilation``, tagged
    as iTunes tags a compilation: each track its own artist, no album artist, the flag
    ("partly": not on the second track; "two releases": the third of another release id;
    "release on some": one album artist, a release id on all but the second track;
    "unflagged": no album artist and no flag, the third by another artist: loose songs)."""
    import numpy as np

    from tests.audiogen import tone, write_audio, write_tags

    wave = tone(sum(lens) / 44100, amp=0.5, phase_samples=25)     # (its first sample at the peak)
    rows, at = [], 0
    for i, (n, album) in enumerate(zip(lens, albums)):
        path = write_audio(folder / f"{i + 1:02d}.flac", wave[at:at + n], 44100)
        flagged = compilation in (True, "two releases") or (compilation == "partly" and i != 1)
        by = ({"artist": f"DJ {i + 1}", **({"compilation": "1"} if flagged else {})} if compilation
              else {"artist": "Orchestra", "albumartist": "Orchestra"})
        if compilation == "two releases":
            by["musicbrainz_albumid"] = "release-a" if i < 2 else "release-b"
        if compilation == "unflagged":
            by["artist"] = "DJ 1" if i < 2 else "DJ 3"
        if compilation == "release on some":
            by = {"artist": "Orchestra", "albumartist": "Orchestra", **({"musicbrainz_albumid": "a"} if i != 1 else {})}
        write_tags(path, title=f"Part {i + 1}", album=album, tracknumber=str(i + 1), **by)
        st = os.stat(path)
        rows.append({"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, **read_tags(str(path))})
        at += n
    store.upsert_tracks(rows)
    return [store.track_by_path(r["path"])["id"] for r in rows], np.asarray(wave[:, 0])


def _heard_through(store, p, ids):
    """What ``p``'s capturing engine put out, playing ``ids`` to their end (three songs)."""
    from tests.player.audio.signals import active_region

    try:
        p.play_tracks(ids)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, 20.0)
        return active_region(p.engine.captured()[:, 0], threshold=1e-4)
    finally:
        p.close()


@pytest.mark.parametrize("albums, faded, compilation", [
    (["Live", "Live", "Live"], 0, False), (["Live", "Live", "Other"], 1, False), (["Mix", "Mix", "Mix"], 0, True),
    (["Mix", "Mix", "Mix"], 0, "partly"), (["Hits", "Hits", "Hits"], 1, "two releases"),
    (["Live", "Live", "Live"], 0, "release on some"), (["Hits", "Hits", "Hits"], 1, "unflagged"),
    (["Live (Disc 1)", "Live (Disc 1)", "Live (Disc 2)"], 0, False),
    (["Live (Disc 1)", "Live (Disc 1)", "Other (Disc 2)"], 1, False)],
    ids=["one-album", "another-album-last", "mixed-compilation", "flag-on-some-tracks", "two-of-one-title",
         "release-id-on-some-tracks", "others-albums-of-one-title", "discs-tagged-as-albums",
         "another-albums-disc-last"])
def test_the_next_track_of_the_same_album_follows_on_without_a_crossfade(store, tmp_path, albums, faded,
                                                                          compilation):
    # The tracks of a live or classical album or a DJ mix run into one another: a crossfade
    # at their joins dipped the music and lost a second of it at each (a 3-track album with
    # a 1 s fade played 291,454 of its 370,021 frames). A join to another album still fades.
    # A mixed compilation, each track by its own artist and only the flag to say they make
    # one album, was faded at every join, as if each track were another album's; so was one
    # flagged on some of its tracks only, at the joins to and from the others. Two releases
    # of one title (two "Greatest Hits") ran into one another as one album. A track without
    # the release id the album's others carry (tagged by hand) is on their release. Another
    # artist's album of one title, its song in the same folder ("Singles"), no album artist
    # and no flag, is another album.
    import numpy as np

    lens = [100003, 150011, 120007]
    ids, wave = _continuous_album(store, tmp_path, lens, albums, compilation=compilation)
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    out = _heard_through(store, p, ids)
    assert [e for _, e in ended(store)] == ["finished"] * 3
    assert abs(len(out) - (sum(lens) - faded * 44100)) <= 2
    # The joins within the album are the wave itself, sample for sample (16-bit FLAC).
    upto = lens[0] + lens[1] - (44100 if faded else 0) - 1000
    assert np.abs(out[:upto] - wave[:upto]).max() < 1e-3


def test_a_decoder_held_back_mid_album_leaves_no_gap_in_what_is_heard(store, tmp_path):
    # On a busy machine the decoder's thread was held back a few tenths of a second; the output,
    # eight times faster than a sound card, ran its buffer dry (held 1.5 s of music, gone in
    # 0.19 s) and played silence in the middle of the album: 1.96 s more of it heard than the
    # album holds. A sound card, paced by the clock, plays that buffer for 1.5 s. (Held here
    # 0.4 s as the second track's audio is written.)
    import numpy as np

    lens = [100003, 150011, 120007]
    ids, wave = _continuous_album(store, tmp_path, lens, ["Live"] * 3)
    engine = OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True)
    push, held = engine._push, []

    def late(src, block, dec):
        if src.token is not None and src.token.track_id == ids[1] and not held:
            held.append(src)
            threading.Event().wait(0.4)     # (the thread kept from running)
        push(src, block, dec)

    engine._push = late
    p = Player(store, engine, progress_interval_s=0.2)
    out = _heard_through(store, p, ids)
    assert held and [e for _, e in ended(store)] == ["finished"] * 3
    assert abs(len(out) - sum(lens)) <= 2
    assert np.abs(out[:sum(lens) - 1000] - wave[:sum(lens) - 1000]).max() < 1e-3


def test_a_mix_in_one_file_with_a_cue_sheet_follows_on_without_a_crossfade(store, tmp_path):
    # A DJ mix ripped as one file, its sheet naming each track's performer and none for the
    # album: its tracks are one album by the file they share, and run into one another.
    from player.audio.base import Source, follows_on
    from player.library.scanner import Scanner
    from player.playback import album_place
    from tests.player.library.test_cue import _album, _sheet

    sheet = _sheet().replace('PERFORMER "The Band"\n', "").replace('TITLE "First Song"\n',
                                                                    'TITLE "First Song"\n    PERFORMER "DJ One"\n')
    _album(tmp_path / "music", sheet=sheet)
    Scanner(store).scan([str(tmp_path / "music")])
    rows = sorted((store.track(r["id"]) for r in store.tracks()), key=lambda r: r["track_no"])
    assert len({r["artist"] for r in rows}) == 3 and not rows[0]["albumartist"]
    sources = [Source(r["path"], album_place=album_place(r)) for r in rows]
    assert [follows_on(a, b) for a, b in zip(sources, sources[1:])] == [True, True]


@pytest.mark.parametrize("numbers, artists, faded", [
    ((1, 2, 3), ("Composer A", "Band B", "Singer C"), 0), ((3, 4), ("Abba", "Kinks"), 1)],
    ids=["soundtrack", "singles"])
def test_a_soundtrack_tagged_without_album_artist_or_flag_follows_on_without_a_crossfade(
        store, tmp_path, numbers, artists, faded):
    # A soundtrack from the web: one album title, each track its own artist, no album artist
    # and no compilation flag, in one folder, scanned. Its tracks went as one album per artist
    # and every join was crossfaded. A "Singles" folder holding one artist's "Greatest Hits"
    # track 3 and another's track 4 is still two albums, faded.
    import numpy as np

    from player.library.scanner import Scanner
    from tests.audiogen import tone, write_audio, write_tags
    from tests.player.audio.signals import active_region

    # (the first the longest: the next track is lined up well before a fade out of it begins)
    lens = [150011, 120007, 100003][:len(numbers)]
    wave = tone(sum(lens) / 44100, amp=0.5, phase_samples=25)
    folder, at = tmp_path / "music" / "Album", 0
    folder.mkdir(parents=True)
    for n, artist, length in zip(numbers, artists, lens):
        path = write_audio(folder / f"{n:02d}.flac", wave[at:at + length], 44100)
        write_tags(path, title=f"Part {n}", artist=artist, album="Greatest Hits", tracknumber=str(n))
        at += length
    Scanner(store).scan([str(tmp_path / "music")])
    ids = [r["id"] for r in sorted(store.tracks(), key=lambda r: r["track_no"])]
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks(ids)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == len(ids), 20.0)
        out = active_region(p.engine.captured()[:, 0], threshold=1e-4)
    finally:
        p.close()
    assert abs(len(out) - (sum(lens) - faded * 44100)) <= 2
    if not faded:
        assert np.abs(out - np.asarray(wave[:len(out), 0])).max() < 1e-3


def test_a_live_album_numbered_by_its_file_names_only_follows_on_without_a_crossfade(store, tmp_path):
    # A concert from the web or an old ripper: album, artist and title tagged, no track
    # numbers, the files named "01 Intro", "02 Jam". The library lists it in the order its
    # file names give, but a track without a number had no place on its album, so with a
    # crossfade set every join of the concert dipped and lost a second of the music.
    import numpy as np

    from player.library.scanner import Scanner
    from tests.audiogen import tone, write_audio, write_tags
    from tests.player.audio.signals import active_region

    lens = [150011, 120007, 100003]
    wave = tone(sum(lens) / 44100, amp=0.5, phase_samples=25)
    folder, at = tmp_path / "music" / "Band - Live 1999", 0
    folder.mkdir(parents=True)
    for n, (title, length) in enumerate(zip(("Intro", "Jam", "Encore"), lens), start=1):
        path = write_audio(folder / f"{n:02d} {title}.flac", wave[at:at + length], 44100)
        write_tags(path, title=title, artist="Band", album="Live 1999")
        at += length
    Scanner(store).scan([str(tmp_path / "music")])
    rows = sorted(store.tracks(), key=lambda r: r["path"])
    assert [r["track_no"] for r in rows] == [None] * 3
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    try:
        p.play_tracks([r["id"] for r in rows])
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, 20.0)
        out = active_region(p.engine.captured()[:, 0], threshold=1e-4)
    finally:
        p.close()
    assert abs(len(out) - sum(lens)) <= 2
    assert np.abs(out - np.asarray(wave[:len(out), 0])).max() < 1e-3


@pytest.mark.parametrize("albums, faded, hold_s", [(["Live", "Live", "Live"], 0, 0.8),
                                                   (["Live", "Live", "Other"], 1, 0.3)],
                         ids=["one-album", "another-album-last"])
def test_the_next_track_of_an_album_armed_late_still_follows_on_without_a_gap(store, tmp_path, albums, faded,
                                                                               hold_s):
    # The player says which track follows one only once that one is heard, after logging its
    # play and telling the window (a listener on the engine's event thread). Held up there (a
    # busy machine), the answer comes after the song is written to its end: it is still joined
    # on sample for sample while the output has audio left, as a sound card gives it the song's
    # length to come; one of another album, set before the song is written to where its fade
    # begins, fades in over the whole second. (The null output plays in real time while that
    # answer is awaited; at eight times real time a busy machine ran it dry first, a gap at the
    # join, or wrote past the fade's start, a fade cut short.)
    import numpy as np

    lens = [100003, 150011, 120007]
    ids, wave = _continuous_album(store, tmp_path, lens, albums)
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    held = threading.Event()

    def busy_window(event, data):
        # (the second track heard: its follower is armed only after this returns; longer than
        # eight times real time left, well under what a sound card leaves: 3.4 s to its end,
        # 0.9 s to where its fade is written)
        if event == "track_started" and data["track_id"] == ids[1] and not held.is_set():
            held.set()
            threading.Event().wait(hold_s)

    p.add_listener(busy_window)
    out = _heard_through(store, p, ids)
    assert held.is_set()
    assert [e for _, e in ended(store)] == ["finished"] * 3
    assert abs(len(out) - (sum(lens) - faded * 44100)) <= 2
    upto = len(out) if not faded else lens[0] + lens[1] - 44100 - 1000
    assert np.abs(out[:upto] - wave[:upto]).max() < 1e-3


@pytest.mark.parametrize("albums, faded, lens, hold_s", [(["Live", "Live", "Live"], 0, [100003, 22051, 120007], 1.0),
                                                         (["Live", "Live", "Other"], 1, [100003, 110017, 120007], 2.0)],
                         ids=["one-album", "another-album-last"])
@pytest.mark.slow
@pytest.mark.parametrize("held", ["window", "play-log"])
def test_the_next_track_is_armed_before_the_play_is_logged_and_the_window_told(store, tmp_path, monkeypatch,
                                                                               albums, faded, lens, hold_s, held):
    # A busy machine held the window's handler of a song's start, or the write of its play,
    # for longer than a short track lasts (an interlude of a second or two), and the player
    # said which track follows only after both: the song played out with nothing after it, a
    # gap inside a gapless album, or was written past where its fade begins, a fade cut
    # short. The engine is told first; the plays are logged as before, in order.
    import numpy as np

    ids, wave = _continuous_album(store, tmp_path, lens, albums)
    p = Player(store, OpensInRealTime(speed=8.0, crossfade_s=1.0, capture=True), progress_interval_s=0.2)
    hold = threading.Event()

    def busy(track_id):
        if track_id == ids[1] and not hold.is_set():
            hold.set()
            threading.Event().wait(hold_s)      # (twice the second track; past where its fade begins)

    if held == "window":
        p.add_listener(lambda event, data: busy(data["track_id"]) if event == "track_started" else None)
    else:
        start_play = store.start_play

        def slow_disk(track_id, *args, **kwargs):
            busy(track_id)
            return start_play(track_id, *args, **kwargs)

        monkeypatch.setattr(store, "start_play", slow_disk)
    out = _heard_through(store, p, ids)
    assert hold.is_set()
    assert ended(store) == [(i, "finished") for i in ids]
    assert abs(len(out) - (sum(lens) - faded * 44100)) <= 2
    upto = len(out) if not faded else lens[0] + lens[1] - 44100 - 1000
    assert np.abs(out[:upto] - wave[:upto]).max() < 1e-3


@pytest.mark.parametrize("change", ["moved", "removed"])
def test_up_next_changed_by_the_window_as_a_song_starts_is_what_follows_it(store, tmp_path, make_player, change):
    # The track after a song is armed as the engine goes on into it, before the window is
    # told; a handler of that start that reorders or empties Up next has the song it left
    # first follow, not the one armed before it ran.
    a, b, c, d = add_tracks(store, tmp_path, [(n, 1.0) for n in "abcd"])
    p = make_player(speed=8.0)
    ev = Events(p)

    def window(event, data):
        if event == "track_started" and data["track_id"] == b:
            queued = p.queue
            if change == "moved":
                p.move_queue_entries([queued[1]], [queued[0]])
            else:
                p.remove_from_queue(0)

    p.add_listener(window)
    p.play_tracks([a, b, c, d])
    heard = [a, b, d, c] if change == "moved" else [a, b, d]
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == len(heard))
    assert ended(store) == [(t, "finished") for t in heard]
    assert [x["track_id"] for x in ev.of("track_started")] == heard


@pytest.mark.parametrize("shuffle", [False, True])
def test_play_now_plays_the_songs_before_the_queue_and_keeps_it(store, tmp_path, make_player, shuffle):
    # Files opened from the file manager or dropped on the window: they play at once, in their
    # order even while shuffling, and what the person had queued comes after them.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 8.0) for i in range(6)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:3])
    p.set_shuffle(shuffle)
    queued = [e.track_id for e in p.queue]
    p.play_now(ids[3:])
    assert wait_for(lambda: p.current_track_id == ids[3])
    assert [e.track_id for e in p.queue] == [ids[4], ids[5], *queued]


def test_a_file_opened_after_a_listen_reranks_the_suggestions_after_it(store, tmp_path, make_player):
    # A song the person opens from the file manager, the one before heard past the early-skip
    # limit: the suggestions queued were ranked for that one and stayed, the song before's
    # neighbours after the pick. They are ranked again after it; the other file opened stays first.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 60.0 if i in (0, 8) else 4.0) for i in range(12)])
    asked = []

    def filler(player, *, replacing=0):
        asked.append(replacing)
        last = player.history[-1]
        taken = set(player.history) | {e.track_id for e in player.queue if e.manual}
        # A stand-in for a ranker: the songs nearest the one playing.
        near = sorted((i for i in ids if i not in taken), key=lambda i: (abs(i - last), i))
        return [(i, "up_next") for i in near][:max(replacing, 4)]

    p = make_player(speed=32.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert wait_for(lambda: [e.track_id for e in p.queue] == ids[1:5])
    assert wait_for(lambda: p.position >= 33.0)               # past 30 s of it: listened to
    p.play_now([ids[8], ids[11]])
    assert wait_for(lambda: p.current_track_id == ids[8])
    assert wait_for(lambda: [e.track_id for e in p.queue] == [ids[11], ids[7], ids[9], ids[6], ids[10]])
    assert p.skip_streak == 0 and asked == [0, 4]


def test_songs_queued_by_hand_come_before_the_suggestions_in_the_order_queued(store, tmp_path, make_player):
    # Add to Up next with Keep it going on put the song behind every suggestion, and each
    # refill of suggestions pushed nothing ahead of it, but it waited behind the first ones.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(12)])
    mine, also, first = ids[9], ids[10], ids[11]

    def filler(player):
        taken = set(player.history) | {e.track_id for e in player.queue}
        return [(i, "up_next") for i in ids[:9] if i not in taken][:3]

    p = make_player(speed=1.0)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(ids[0])
    assert wait_for(lambda: len(p.queue) == 3)
    p.enqueue([mine])
    p.enqueue([also])
    p.insert_next([first])                                  # Play next: first among them
    queue = p.queue
    assert [e.track_id for e in queue] == [first, mine, also, ids[1], ids[2], ids[3]]
    assert [e.source for e in queue] == ["queue"] * 3 + ["up_next"] * 3
    for want in (first, mine, also):
        p.next()
        assert p.current_track_id == want
    p.next()                                                # down to two suggestions: a refill after them
    assert wait_for(lambda: [e.track_id for e in p.queue] == [ids[2], ids[3], ids[4], ids[5], ids[6]])
    p.enqueue([mine])                                       # queued again: before the refill too
    assert [e.track_id for e in p.queue] == [mine, ids[2], ids[3], ids[4], ids[5], ids[6]]
    p.next()
    plays = [(r["track_id"], r["source"]) for r in store.plays()]
    # Logged as the person's own picks, not as songs Segue offered.
    assert plays[1:4] == [(first, "queue"), (mine, "queue"), (also, "queue")] and plays[-1] == (mine, "queue")
    p.stop()


def test_a_new_list_or_station_keeps_the_songs_queued_by_hand_right_after_it(store, tmp_path, make_player):
    # A double-click on a library row threw away the songs queued by hand with the rest of Up
    # next; a station queued its batch in their place.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(10)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:4], source="library")                # an album played
    p.enqueue([ids[8]])                                     # before the album's rest
    p.enqueue([ids[4]], source="up_next")                   # a suggestion, after it
    assert [e.track_id for e in p.queue] == [ids[8], ids[1], ids[2], ids[3], ids[4]]
    p.play_tracks(ids[5:8], 1, source="library")            # a double-click on another list's row
    assert p.current_track_id == ids[6]
    assert [(e.track_id, e.source) for e in p.queue] == [(ids[8], "queue"), (ids[7], "library")]
    p.insert_next([ids[9]])
    p.start_station(ids[0], [ids[1], ids[2]])               # a radio: its batch after them
    assert p.current_track_id == ids[0]
    assert [(e.track_id, e.source, e.manual) for e in p.queue] == [
        (ids[9], "queue", True), (ids[8], "queue", True), (ids[1], "radio", False), (ids[2], "radio", False)]
    p.enqueue([ids[5]])                                     # during the radio: before its batch
    assert [e.track_id for e in p.queue][:3] == [ids[9], ids[8], ids[5]]
    p.start_station(ids[8], [ids[3]])                       # radio from one of them: not heard twice
    assert p.current_track_id == ids[8]
    assert [e.track_id for e in p.queue] == [ids[9], ids[5], ids[3]]
    p.clear_queue()                                         # Clear still clears them all
    p.play_tracks(ids[:2], source="library")
    assert [e.track_id for e in p.queue] == [ids[1]]
    p.stop()


def test_songs_queued_by_hand_stay_first_after_a_restart(store, tmp_path, make_player):
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(6)])
    p = make_player(speed=1.0)
    p.restore_state()                                       # saving from now on
    p.start_station(ids[0], [ids[1], ids[2]])
    p.enqueue([ids[5]])
    assert [e.track_id for e in p.queue] == [ids[5], ids[1], ids[2]]
    p.close()
    again = make_player(speed=1.0)
    again.restore_state()
    assert [(e.track_id, e.source) for e in again.queue] == [(ids[5], "queue"), (ids[1], "radio"), (ids[2], "radio")]
    again.enqueue([ids[4]])                                 # after the one queued last run, before the batch
    assert [e.track_id for e in again.queue] == [ids[5], ids[4], ids[1], ids[2]]
    again.play_tracks([ids[3]])                             # something new: they stay, the batch goes
    assert [e.track_id for e in again.queue] == [ids[5], ids[4]]


def test_a_song_queued_by_hand_goes_after_the_earlier_ones_past_a_song_gone_back_from_or_dragged(
        store, tmp_path, make_player):
    # Previous puts the song gone back from in front of the songs queued by hand, and the person
    # may drag a suggestion above their own song: Add to Up next then put the new song first,
    # before the ones queued earlier (and before the dragged suggestion).
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(10)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:4], source="library")
    p.next()                                                # t1 plays
    p.enqueue([ids[7]])
    p.enqueue([ids[8]])
    p.previous()                                            # back to t0: t1 waits in front
    assert p.current_track_id == ids[0]
    assert [e.track_id for e in p.queue] == [ids[1], ids[7], ids[8], ids[2], ids[3]]
    p.enqueue([ids[9]])
    assert [e.track_id for e in p.queue] == [ids[1], ids[7], ids[8], ids[9], ids[2], ids[3]]
    p.play_now([ids[0], ids[5]])                            # a file opened: after them too
    assert [e.track_id for e in p.queue] == [ids[1], ids[7], ids[8], ids[9], ids[5], ids[2], ids[3]]
    p.clear_queue()
    p.enqueue([ids[1], ids[2]], source="up_next")
    p.enqueue([ids[5]])
    mine, first, second = p.queue
    p.move_queue_entries([second], [mine])                  # a suggestion dragged above the person's song
    p.enqueue([ids[6]])
    assert [e.track_id for e in p.queue] == [ids[2], ids[5], ids[6], ids[1]]
    p.stop()


def test_a_command_that_comes_after_the_player_closed_logs_no_play(store, tmp_path, make_player):
    """A command on the player's thread can still be on its way as the window closes the
    player (Next pressed, then the window closed at once). It began the next song on the
    closed player, and logged plays nobody heard: one skipped at 0:00 (a song passed over,
    to the recommender), one left playing until the next start closed it."""
    a, b, c = add_tracks(store, tmp_path, [("a", 3.0), ("b", 3.0), ("c", 3.0)])
    p = make_player(speed=1.0)
    p.play_tracks([a, b, c])
    assert wait_for(lambda: p.current_track_id == a)
    p.close()
    assert ended(store) == [(a, "stopped")]
    p.next()
    p.play_track(c)
    assert ended(store) == [(a, "stopped")]
    assert p.engine.state is PlaybackState.STOPPED


def test_a_song_queued_by_hand_that_is_the_albums_next_is_not_heard_twice(store, tmp_path, make_player):
    # Add to Up next on the album's next song put it before the album's rest, which began
    # with that same song: it played, and at once again.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(5)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:4], source="library")                # an album played
    p.enqueue([ids[4], ids[1]])                             # another song, then the album's next
    p.next()
    p.next()
    assert p.current_track_id == ids[1]
    assert [e.track_id for e in p.queue] == [ids[2], ids[3]]   # the album goes on after it
    p.stop()

    # The same heard through, each song going on into the next without a gap.
    short = add_tracks(store, tmp_path / "short", [(f"s{i}", 1.0) for i in range(3)])
    q = make_player(speed=8.0)
    q.play_tracks(short, source="library")
    q.enqueue([short[1]])
    assert wait_for(lambda: [r["track_id"] for r in store.plays()][-3:] == short
                    and q.current_track_id is None, timeout=20)
    assert [r["track_id"] for r in store.plays()].count(short[1]) == 1


def test_under_repeat_all_a_song_queued_by_hand_keeps_its_copy_for_the_next_round(store, tmp_path, make_player):
    # The copy of the list's song queued for the next round is no song the list goes on with:
    # the person asked to hear it again, and the next round has it twice too.
    ids = add_tracks(store, tmp_path, [(f"t{i}", 30.0) for i in range(2)])
    p = make_player(speed=1.0)
    p.play_tracks(ids[:1], source="library")
    p.set_repeat("all")
    p.enqueue([ids[0]])
    p.next()
    assert p.current_track_id == ids[0]
    assert [e.track_id for e in p.queue] == [ids[0], ids[0]]
    p.stop()


def test_the_discs_of_an_album_in_disc_folders_without_disc_tags_are_not_one_disc(store, tmp_path):
    # "CD1" and "CD2" numbered from 1 with no disc tags: the first disc's track 2 went
    # gaplessly on from the second disc's track 1 (queued so by hand), as if one disc.
    from player.audio.base import Source, follows_on
    from player.library.scanner import Scanner
    from player.playback import album_place
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for folder in ("CD1", "CD2"):
        for n in (1, 2):
            write_track(music / "Double" / folder, f"{n:02d}", seconds=0.2,
                        tags={"title": f"{folder} {n}", "artist": "Band", "album": "Double", "tracknumber": n})
    Scanner(store).scan([str(music)])
    rows = {r["title"]: store.track(r["id"]) for r in store.tracks()}
    source = {title: Source(r["path"], album_place=album_place(r)) for title, r in rows.items()}
    assert not follows_on(source["CD2 1"], source["CD1 2"])
    assert follows_on(source["CD1 1"], source["CD1 2"]) and follows_on(source["CD2 1"], source["CD2 2"])


def test_the_next_disc_of_an_album_goes_on_gaplessly_from_the_disc_before(store, tmp_path):
    # Discs tagged as albums of their own, "Double (Disc 1)" and "Double (Disc 2)", each in a
    # folder so named and numbered from 1, or in "CD1" and "CD2" folders: the first disc's
    # last track was crossfaded into the second disc's first, as if another album's. Not the
    # other way round, nor into another album's second disc.
    from player.audio.base import Source, follows_on
    from player.library.scanner import Scanner
    from player.playback import album_place
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for album, folder in (("Double (Disc 1)", "Double (Disc 1)"), ("Double (Disc 2)", "Double (Disc 2)"),
                          ("Other (Disc 2)", "Other (Disc 2)"), ("Set", "Set/CD1"), ("Set", "Set/CD2")):
        for n in (1, 2):
            write_track(music / folder, f"{n:02d}", seconds=0.2,
                        tags={"title": f"{folder} {n}", "artist": "Band", "album": album, "tracknumber": n})
    Scanner(store).scan([str(music)])
    rows = {r["title"]: store.track(r["id"]) for r in store.tracks()}
    source = {title: Source(r["path"], album_place=album_place(r)) for title, r in rows.items()}
    assert follows_on(source["Double (Disc 1) 2"], source["Double (Disc 2) 1"])
    assert follows_on(source["Double (Disc 2) 1"], source["Double (Disc 2) 2"])
    assert follows_on(source["Set/CD1 2"], source["Set/CD2 1"])
    assert not follows_on(source["Double (Disc 2) 2"], source["Double (Disc 1) 1"])
    assert not follows_on(source["Double (Disc 1) 2"], source["Other (Disc 2) 1"])
    assert not follows_on(source["Double (Disc 1) 2"], source["Double (Disc 2) 2"])


def test_a_file_named_by_a_title_that_looks_like_disc_and_track_goes_on_gaplessly(store, tmp_path):
    # "7-11" (track 2, named by its title) is no disc 7: it was not gaplessly joined to track 1.
    from player.audio.base import Source, follows_on
    from player.library.scanner import Scanner
    from player.playback import album_place
    from tests.audiogen import write_track

    music = tmp_path / "music"
    for n, name in ((1, "Intro"), (2, "7-11")):
        write_track(music / "Album", name, seconds=0.2,
                    tags={"title": name, "artist": "Band", "album": "Album", "tracknumber": n})
    Scanner(store).scan([str(music)])
    rows = {r["title"]: store.track(r["id"]) for r in store.tracks()}
    assert follows_on(Source(rows["Intro"]["path"], album_place=album_place(rows["Intro"])),
                      Source(rows["7-11"]["path"], album_place=album_place(rows["7-11"])))


def test_shuffle_keeps_two_copies_of_one_song_apart(store, tmp_path, make_player):
    # An album and a best-of carrying three of its songs, shuffled together: one song played
    # twice in a row (the album's, then the best-of's) came about every other time.
    album = add_tracks(store, tmp_path / "album", [(f"Song {i}", 20.0) for i in range(5)])
    best = add_tracks(store, tmp_path / "best", [("Song 1", 20.0), ("Song 2", 20.0), ("Song 3", 20.0),
                                                  ("Hit", 20.0), ("Other Hit", 20.0)])
    title = {t: store.track(t)["title"] for t in album + best}
    p = make_player(speed=1.0)
    for attempt in range(40):
        # (started from each song of the album in turn: a copy of the song playing does not
        # come next either)
        first = attempt % 5
        tracks = [*album[first:], *album[:first], *best]
        if attempt % 2:
            p.set_shuffle(False)
            p.play_tracks(tracks)
            p.set_shuffle(True)                 # the queue shuffled as it stands
        else:
            p.play_tracks(tracks)               # a new list while shuffle is on
        assert p.current_track_id == album[first]
        order = [p.current_track_id] + [e.track_id for e in p.queue]
        assert sorted(order) == sorted(album + best)
        names = [title[t] for t in order]
        assert all(a != b for a, b in zip(names, names[1:])), names


def test_the_copies_a_shuffle_keeps_apart_are_read_outside_the_players_lock(store, tmp_path, make_player):
    # The read takes some 0.1 s at 100,000 tracks: under the lock, the window (which takes it
    # to ask what was heard this session) and the song's hand-over waited for it.
    album = add_tracks(store, tmp_path / "album", [(f"Song {i}", 20.0) for i in range(3)])
    best = add_tracks(store, tmp_path / "best", [("Song 1", 20.0), ("Hit", 20.0)])
    p = make_player(speed=1.0)
    read, held = store.shared_recording_keys, []

    def shared_recording_keys():
        held.append(p._lock._is_owned())
        return read()

    store.shared_recording_keys = shared_recording_keys
    p.play_tracks(album + best)
    p.set_shuffle(True)                         # the queue shuffled as it stands
    p.play_tracks([*best, *album])              # a new list while shuffle is on
    p.start_station(album[0], [best[0], *album[1:]])
    assert held == [False, False, False]
    names = [store.track(t)["title"] for t in [p.current_track_id, *(e.track_id for e in p.queue)]]
    assert all(a != b for a, b in zip(names, names[1:])), names


def test_shuffle_keeps_apart_the_copies_up_next_knows_as_one_song(store, tmp_path, make_player):
    # A best-of names its songs "Song 1 - Remastered 2011": the album's "Song 1", as Up next
    # and the top tracks count it, yet its match key is another, and shuffle put the two
    # side by side. A live take of another length is another recording and may come next.
    from segue_common.normalize import recording_key

    album = add_tracks(store, tmp_path / "album", [(f"Song {i}", 20.0) for i in range(4)])
    best = add_tracks(store, tmp_path / "best", [("Song 1 - Remastered 2011", 20.0), ("Song 2 - 2009 Remaster", 20.0),
                                                 ("Song 3 (Remastered)", 20.0), ("Hit", 20.0)])
    live = add_tracks(store, tmp_path / "live", [("Song 0 - Live", 30.0)])
    song = {t: (recording_key("Artist", store.track(t)["title"]), store.track(t)["duration"] > 25)
            for t in album + best + live}
    p = make_player(speed=1.0)
    p.set_shuffle(True)
    for attempt in range(20):
        p.play_tracks([*album, *best, *live])
        order = [p.current_track_id] + [e.track_id for e in p.queue]
        assert sorted(order) == sorted(album + best + live)
        assert all(song[a] != song[b] for a, b in zip(order, order[1:])), [store.track(t)["title"] for t in order]


def test_shuffle_keeps_a_track_queued_twice_apart_with_no_copies_queued(store, tmp_path, make_player):
    # Kept apart only where copies of another song were queued with it: else one track
    # queued twice came twice in a row about every other time.
    ids = add_tracks(store, tmp_path / "album", [(f"Song {i}", 20.0) for i in range(4)])
    add_tracks(store, tmp_path / "best", [("Song 1", 20.0)])        # a copy in the library, not queued
    p = make_player(speed=1.0)
    p.set_shuffle(True)
    for attempt in range(20):
        p.play_tracks([ids[0], ids[2], ids[2], ids[3], ids[0]])
        order = [p.current_track_id] + [e.track_id for e in p.queue]
        assert sorted(order) == sorted([ids[0], ids[2], ids[2], ids[3], ids[0]])
        assert all(a != b for a, b in zip(order, order[1:])), order


@pytest.fixture
def long_is_3s(monkeypatch):
    """Lengths scaled down, so short files stand in for an audiobook chapter and songs: a
    track of 3 s or more is long (20 minutes), its start and end 0.5 s (a minute), and the
    early-skip rule 0.2 s (30 s) and 1 s (four minutes)."""
    import segue_common.listening as listening

    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 3.0)
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.5)
    monkeypatch.setattr(listening, "EARLY_SKIP_MS", 200)
    monkeypatch.setattr("player.playback.EARLY_SKIP_MS", 200)
    monkeypatch.setattr(listening, "EARLY_SKIP_CAP_MS", 1000)


def test_a_long_track_played_again_goes_on_where_it_was_left_as_a_new_play(store, tmp_path, make_player,
                                                                           long_is_3s):
    # Half an audiobook chapter, then an album, then the chapter again: it started at 0:00.
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 2.9)])
    p = make_player(speed=8.0)
    events = Events(p)
    p.play_track(chapter)
    assert wait_for(lambda: p.position > 2.5)
    was, asked = p.position, time.monotonic()
    p.play_track(song)                              # left part-way: its place is kept
    left = store.resume_position(chapter)
    # (where it was, and on at 8 times real time for as long as this thread was kept waiting)
    assert left is not None and 2.5 < left < was + 0.5 + 8.0 * (time.monotonic() - asked)
    assert wait_for(lambda: p.position > 1.5)
    p.play_track(chapter)                           # (and a song never resumes: see below)
    assert events.of("track_started")[-1]["at"] == pytest.approx(left)
    assert p.position >= left
    assert wait_for(lambda: p.position > left + 0.3)
    asked = time.monotonic()
    p.play_track(song)                              # a moment of it, then on: no early skip of it
    # (from its start, playing on at 8 times real time for as long as this thread was kept waiting)
    assert p.position < 0.5 + 8.0 * (time.monotonic() - asked) and events.of("track_started")[-1]["at"] == 0.0
    assert [(e["track_id"], e["early_skip"]) for e in events.of("track_ended")] == [
        (chapter, False), (song, False), (chapter, False)]
    p.play_track(chapter)                           # on from there again, and heard to its end
    assert wait_for(lambda: p.current_track_id == song or p.state is PlaybackState.STOPPED)
    rows = [r for r in store.plays() if r["track_id"] == chapter]
    # The second play, resumed near the end and left with little heard in it, is no skip: it
    # ends as stopped. Left with 1 s (four minutes) heard, as at 8 times real time a test
    # thread kept waiting a tenth of a second on a loaded machine leaves it, it is a skip,
    # though not an early one.
    resumed = "stopped" if rows[1]["ms_heard"] < 1000 else "skipped"
    assert [r["ended"] for r in rows] == ["skipped", resumed, "finished"]
    # Each play holds what was heard in it: the chapter once over, not its first part twice.
    assert sum(r["ms_heard"] for r in rows) == pytest.approx(6000, abs=400)
    assert store.resume_position(chapter) is None   # finished: forgotten
    asked = time.monotonic()
    p.play_track(chapter)
    assert events.of("track_started")[-1]["at"] == 0.0 and p.position < 0.5 + 8.0 * (time.monotonic() - asked)
    p.stop()


def test_a_long_track_left_past_the_end_of_its_file_starts_from_its_start(store, tmp_path, make_player, long_is_3s):
    # Left at 4 s of 6, then re-encoded to 2 s and not rescanned: the library still says 6 s.
    chapter, = add_tracks(store, tmp_path, [("chapter", 6.0)])
    store.set_resume_position(chapter, 4.0)
    write_track(tmp_path, "chapter", fmt="flac", seconds=2.0, freq=330.0,
                tags={"title": "chapter", "artist": "Artist", "album": "Album"})
    p = make_player(speed=8.0)
    events = Events(p)
    p.play_track(chapter)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED)
    [row] = store.plays()
    # Heard whole from its start, where it was played "finished" with 0 ms heard.
    assert row["ended"] == "finished" and row["ms_heard"] == pytest.approx(2000, abs=300)
    assert store.resume_position(chapter) is None
    # The window's "Resumed at" goes: said at once where the engine found the place past the
    # end before the play was logged (the output is started first), else by "started_over".
    [started] = events.of("track_started")
    over = [e["track_id"] for e in events.of("started_over")]
    assert (started["resumed_at"], over) in ((0.0, []), (4.0, [chapter]))


def test_a_song_left_part_way_starts_again_from_its_start(store, tmp_path, make_player, long_is_3s):
    song, other = add_tracks(store, tmp_path, [("song", 2.9), ("other", 1.0)])
    p = make_player(speed=4.0)
    events = Events(p)
    p.play_track(song)
    assert wait_for(lambda: p.position > 1.5)
    p.play_track(other)
    asked = time.monotonic()
    p.play_track(song)
    # (from its start, playing on at 4 times real time for as long as this thread was kept waiting)
    assert events.of("track_started")[-1]["at"] == 0.0 and p.position < 0.5 + 4.0 * (time.monotonic() - asked)
    assert store.resume_position(song) is None
    p.stop()


def test_a_long_track_begun_from_its_start_and_left_at_once_keeps_where_it_was_left_before(store, tmp_path,
                                                                                        make_player, long_is_3s):
    # A ten-hour book left at 4:12:00, then begun from its start as the next in a list (not
    # picked, so not resumed) and passed over a few seconds in: the place was forgotten as if
    # she had started the book again, and the next pick of it began at 0:00:00.
    song, chapter = add_tracks(store, tmp_path, [("song", 1.0), ("chapter", 6.0)])
    store.set_resume_position(chapter, 4.0)
    p = make_player(speed=8.0)
    events = Events(p)
    p.play_tracks([song, chapter])
    assert wait_for(lambda: p.current_track_id == song)
    p.engine.speed = 0.1                            # (its first "minute" lasts 5 s now: it stays inside it)
    p.next()                                        # the list goes on into the book, from its start
    assert p.current_track_id == chapter and events.of("track_started")[-1]["at"] == 0.0
    p.play_track(song)                              # passed over
    assert p.current_track_id == song
    assert [(r["track_id"], r["ended"]) for r in store.plays()][-2:] == [(chapter, "skipped"), (song, "playing")]
    assert store.resume_position(chapter) == pytest.approx(4.0)
    p.play_track(chapter)                           # picked: on from where she was
    assert events.of("track_started")[-1]["at"] == pytest.approx(4.0)
    p.stop()


@pytest.mark.parametrize("how", ["previous", "seek", "asked for again", "previous before it plays"])
def test_a_long_track_restarted_on_purpose_and_left_at_once_starts_from_its_start(store, tmp_path, make_player,
                                                                                 long_is_3s, how):
    # Her place in a book is 4:12:00; she picks it (it goes on from there), sends it back to its
    # start to begin the book again (Previous, the seek bar, or a double-click on it as it
    # plays), hears half a minute and moves on. As a player that keeps where a book was left
    # (it would keep 0:30), the next pick of it begins it from its start, not at 4:12:00.
    song, chapter = add_tracks(store, tmp_path, [("song", 1.0), ("chapter", 6.0)])
    store.set_resume_position(chapter, 4.0)
    if how == "previous before it plays":           # (cued where the last run left it)
        p = restored(store, make_player, chapter, song, 4.0, speed=0.1)
        events = Events(p)
        p.previous()
        p.resume()
    else:
        p = make_player(speed=8.0)
        events = Events(p)
        p.play_track(chapter)
        assert events.of("track_started")[-1]["at"] == pytest.approx(4.0)
    p.engine.speed = 0.1                            # (its first "minute" lasts 5 s now: it stays inside it)
    if how == "previous before it plays":
        assert events.of("track_started")[-1]["at"] == 0.0
    elif how == "previous":
        p.previous()                                # (4 s in: past the 3 s after which Previous restarts)
    elif how == "seek":
        p.seek(0.0)
    else:
        p.play_track(chapter)
    assert wait_for(lambda: p.position < 0.5)
    p.play_track(song)
    assert p.current_track_id == song
    assert store.resume_position(chapter) is None
    p.play_track(chapter)
    assert events.of("track_started")[-1]["at"] == 0.0
    p.stop()


@pytest.mark.parametrize("killed", [False, True])
def test_a_long_track_from_up_next_and_after_a_restart_goes_on_where_it_was_left(store, tmp_path, make_player,
                                                                                 long_is_3s, killed):
    # Closed while it played (the state cues it for Space), then another song first: the chapter
    # still goes on from its place, queued after that song; also when the last run was killed
    # and left only the state saved for the next start.
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 2.0)])
    if killed:
        p = restored(store, make_player, chapter, song, 2.5)
    else:
        p = make_player(speed=8.0)
        p.restore_state()                           # the window's player: it saves its state
        p.play_track(chapter)
        assert wait_for(lambda: p.position > 2.5)
        p.close()
        p = make_player(speed=8.0)
        assert p.restore_state() is not None
    cued = p.cued
    assert cued.entry.track_id == chapter and cued.position >= 2.5
    events = Events(p)
    p.play_track(song)                              # the song, then the chapter from Up next
    p.insert_next([chapter])
    assert wait_for(lambda: len(events.of("track_started")) == 2)
    assert events.of("track_started")[1]["track_id"] == chapter
    assert events.of("track_started")[1]["at"] == pytest.approx(cued.position, abs=0.05)
    assert wait_for(lambda: p.engine.position > 0) and p.position >= cued.position
    p.stop()


def test_a_long_track_next_in_a_list_played_through_starts_at_its_start_without_a_gap(store, tmp_path,
                                                                                      long_is_3s):
    # An album heard in order whose second track is long (a 23-minute side, a movement, a live
    # jam) left part-way some other day: it follows the first from its start, gaplessly, as the
    # album goes. Picked on its own, it goes on where it was left.
    import numpy as np

    song, side = add_tracks(store, tmp_path, [("song", 1.0), ("side", 4.0)])
    store.set_resume_position(side, 2.0)
    p = Player(store, OpensInRealTime(speed=8.0, capture=True), progress_interval_s=0.2)
    try:
        events = Events(p)
        p.play_tracks([song, side])
        assert wait_for(lambda: len(events.of("track_ended")) == 2 and p.state is PlaybackState.STOPPED)
        assert [(e["track_id"], e["at"]) for e in events.of("track_started")] == [(song, 0.0), (side, 0.0)]
        assert ended(store) == [(song, "finished"), (side, "finished")]
        out = p.engine.captured()[:, 0]
        sound = np.flatnonzero(np.abs(out) > 1e-4)
        quiet = np.abs(out[sound[0]:sound[-1]]) <= 1e-4
        runs = np.diff(np.flatnonzero(np.diff(np.r_[False, quiet, False].astype(np.int8))))[::2]
        assert (runs.max() if len(runs) else 0) < 64        # the side went on from the song's last sample
        assert len(sound) / 44100 == pytest.approx(5.0, abs=0.05)
        store.set_resume_position(side, 2.0)
        p.play_tracks([song, side], 1)                  # "Play from here" on it: the person's pick
        assert events.of("track_started")[-1]["at"] == pytest.approx(2.0)
    finally:
        p.close()


def test_an_album_added_to_up_next_plays_its_long_track_from_its_start(store, tmp_path, make_player, long_is_3s):
    # Each track of it is queued by hand, but the long one follows the track before it on its
    # album: heard in the album's order from its start. A long track of another album queued
    # after it goes on where it was left.
    album = {"album": "Sides", "albumartist": "Band"}
    one, side, three, chapter = add_tracks(store, tmp_path, [
        ("one", 0.5, {**album, "track_no": 1}), ("side", 3.2, {**album, "track_no": 2}),
        ("three", 0.5, {**album, "track_no": 3}), ("chapter", 4.0, {"album": "Book", "track_no": 7})])
    store.set_resume_position(side, 2.0)
    store.set_resume_position(chapter, 2.0)
    p = make_player(speed=8.0)
    events = Events(p)
    p.enqueue([one, side, three, chapter])
    p.resume()                                      # Play: Up next from its top
    assert wait_for(lambda: len(events.of("track_started")) == 4)
    assert [(e["track_id"], e["at"]) for e in events.of("track_started")] == [
        (one, 0.0), (side, 0.0), (three, 0.0), (chapter, 2.0)]
    p.stop()


def test_where_a_long_track_was_left_on_a_full_disk_is_not_written_back_by_a_forget_made_as_it_is_written(
        store, tmp_path, make_player, long_is_3s, monkeypatch):
    # The place a chapter was left at, kept on a full disk, is history the forget deletes:
    # the player read when the history was forgotten, the forget came (the window's worker)
    # and the room with it, and the player wrote the place as of its older reading.
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 60.0)])
    p = make_player(speed=8.0, interval=0.02)
    for op in ("INSERT", "UPDATE", "DELETE"):
        full_disk.refuse(store, op, "resume_positions")
    p.play_track(chapter)
    assert wait_for(lambda: p.position > 3.0)
    p.play_track(song)
    assert p.unsaved_places == 1 and p.unsaved_plays == 0
    read, forgot = store.history_forgotten_at, []

    def forgotten_then_forget():
        at = read()
        if not forgot:                  # the forget lands just after the player's reading
            forgot.append(True)

            def forget():
                for op in ("INSERT", "UPDATE", "DELETE"):
                    full_disk.allow(store, op, "resume_positions")
                store.forget_history()

            forgetter = threading.Thread(target=forget)
            forgetter.start()
            forgetter.join()
        return at

    monkeypatch.setattr(store, "history_forgotten_at", forgotten_then_forget)
    assert wait_for(lambda: forgot and p.unsaved_places == 0)
    time.sleep(0.1)
    assert store.resume_position(chapter) is None
    p.stop()


def test_where_a_long_track_was_left_on_a_full_disk_is_kept_until_there_is_room(store, tmp_path, make_player,
                                                                                long_is_3s):
    # The disk full as a chapter is left part-way: its play was kept, but its place was lost
    # (played again it started from its start, and a place saved before stayed, so a chapter
    # finished on a full disk went on later from a place long heard). Kept with the play.
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 2.9)])
    store.set_resume_position(chapter, 1.0)         # left there some other day
    p = make_player(speed=8.0, interval=0.02)
    events = Events(p)
    for table in ("plays", "resume_positions"):
        for op in ("INSERT", "UPDATE", "DELETE"):
            full_disk.refuse(store, op, table)
    p.play_track(chapter)
    assert events.of("track_started")[-1]["at"] == pytest.approx(1.0)
    assert wait_for(lambda: p.position > 3.0)
    p.play_track(song)
    assert p.unsaved_plays and store.resume_position(chapter) == 1.0
    p.play_track(chapter)                           # still full: on from where it was just left
    assert events.of("track_started")[-1]["at"] > 3.0
    assert wait_for(lambda: p.current_track_id != chapter or p.state is PlaybackState.STOPPED)
    p.play_track(song)                              # the chapter was heard to its end: from its start
    p.play_track(chapter)
    assert events.of("track_started")[-1]["at"] == 0.0
    p.play_track(song)
    for table in ("plays", "resume_positions"):
        for op in ("INSERT", "UPDATE", "DELETE"):
            full_disk.allow(store, op, table)
    # (the places kept are written after the plays: the two counts together say all is written)
    assert wait_for(lambda: p.unsaved_plays == 0 and p.unsaved_places == 0)
    assert store.resume_position(chapter) is None   # finished, then begun: nowhere to go on from
    p.stop()


def test_a_place_refused_again_is_told_with_why_it_was_refused_this_time(store, tmp_path, make_player, long_is_3s):
    # The progress thread tries a kept place again at every tick: refused there, what it was
    # refused with was not noted, and the window went on telling the person the older reason
    # (the disk full, where another process now held the library).
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 60.0)])
    p = make_player(speed=8.0, interval=0.02)
    told = []
    p.add_listener(lambda event, data: told.append((data["places"], data.get("kind"))) if event == "plays_unsaved"
                   else None)
    for op in ("INSERT", "UPDATE"):
        full_disk.refuse(store, op, "resume_positions")
    p.play_track(chapter)
    assert wait_for(lambda: p.position > 3.0)
    p.play_track(song)
    p.pause()                   # (nothing else is written meanwhile: the song's end would be)
    assert p.unsaved_places == 1 and p.unsaved_plays == 0 and p.unsaved_kind == "full"
    try:
        with _library_held(store):
            assert wait_for(lambda: p.unsaved_kind == "busy", timeout=30)
            assert "locked" in p.unsaved_why and wait_for(lambda: told[-1:] == [(1, "busy")])
    finally:
        for op in ("INSERT", "UPDATE"):
            full_disk.allow(store, op, "resume_positions")
    assert wait_for(lambda: p.unsaved_places == 0 and told[-1:] == [(0, "busy")], timeout=30)
    p.stop()


@pytest.mark.parametrize("change", ["clear", "remove"])
def test_put_back_leaves_out_a_song_heard_since_it_was_taken_out(store, tmp_path, make_player, change):
    # Taken out of Up next as the engine began it, the song plays all the same (see above):
    # put back after, it was queued again, the same entry as the one playing, and heard twice.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 8.0), ("c", 0.5)])
    p = make_player(speed=2.0)
    p.play_tracks([a, b, c])
    with p._lock:
        assert engine_in(p, "b")
        if change == "clear":
            assert p.clear_queue() == 2
        else:
            assert p.remove_queue_entries(p.queue[:1]) == 1
    assert wait_for(lambda: p.current_track_id == b)
    assert p.put_back() == (1 if change == "clear" else 0)
    assert [e.track_id for e in p.queue] == [c]
    p.stop()


def test_a_suggestion_put_back_is_offered_again_where_it_was_passed_over_in_a_session_before(
        store, tmp_path, make_player):
    # Taken out in a session long over, taken out again now, and put back: no longer passed
    # over. The older "not now" had lapsed; counted as still standing, the put back left it
    # passed over, and a re-rank never offered it again this session.
    from segue_common.listening import SESSION_GAP_S

    (a,) = add_tracks(store, tmp_path, [("a", 0.5)])
    clock = {"now": 1_000_000.0}
    p = make_player(clock=lambda: clock["now"])
    p.enqueue([a], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {a}
    clock["now"] += SESSION_GAP_S + 60
    p.enqueue([a], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {a}
    assert p.put_back() == 1
    assert [e.track_id for e in p.queue] == [a] and p.passed_over == frozenset()


def test_suggestions_passed_over_lapse_when_the_clock_is_put_back_hours_as_the_session_does(
        store, tmp_path, make_player):
    # Taken out in the evening, and the clock put back three hours (NTP correcting a clock
    # that ran ahead): the session is over, for the log and for Player.session, and so is the
    # "not now"; they were kept out until the clock caught up with the evening again.
    (a, b, c, d) = add_tracks(store, tmp_path, [("a", 0.5), ("b", 0.5), ("c", 0.5), ("d", 60.0)])
    clock = {"now": 1_000_000.0}
    p = make_player(speed=1.0, clock=lambda: clock["now"], interval=600.0)
    p.play_track(a)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and store.play_count() == 1)
    p.enqueue([b], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {b}
    clock["now"] -= 3 * 3600
    assert p.session == [] and p.passed_over == frozenset()
    # Taken out after the clock went back, with the song heard before it ending "later" by
    # the clock: what is taken out now is the latest all the same, and stays out.
    p.enqueue([c], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {c}
    clock["now"] += 60
    assert p.passed_over == {c}
    # Put back hours as a song plays: its session is over, and the suggestions with it.
    p.enqueue([b], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {b, c}
    p.play_track(d)
    assert wait_for(lambda: p.current_track_id == d and p.position > 0.2)
    clock["now"] -= 3 * 3600
    assert p.passed_over == frozenset() and p.current_track_id == d
    p.stop()


def test_a_suggestion_passed_over_stays_passed_over_in_the_copy_a_scan_merged_it_into(store, tmp_path, make_player):
    # A suggestion taken out of Up next, its track then merged by a scan into another row (its
    # file moved): the copy was offered again in the same session, and put back it stayed
    # passed over under the id gone from the library.
    a, b = add_tracks(store, tmp_path, [("a", 0.5), ("b", 0.5)])
    p = make_player()
    p.enqueue([a], source="radio")
    assert p.remove_queue_entries(p.queue) == 1 and p.passed_over == {a}
    p.renumber({a: b})
    assert p.passed_over == {b}
    assert p.put_back() == 1
    assert [e.track_id for e in p.queue] == [b] and p.passed_over == frozenset()


def test_put_back_follows_a_track_a_scan_merged_while_it_was_taken_out(store, tmp_path, make_player):
    # A song taken out of Up next, its file then found moved by a scan and merged into its old
    # row: put back, it was queued by the row gone from the library, and failed when it came up.
    a, b, c = add_tracks(store, tmp_path, [("a", 0.5), ("b", 0.5), ("c", 0.5)])
    p = make_player()
    p.enqueue([a, b])
    assert p.remove_queue_entries(p.queue[:1]) == 1
    p.renumber({a: c})
    assert p.put_back() == 1
    assert [e.track_id for e in p.queue] == [c, b]


@contextlib.contextmanager
def _library_held(store):
    """Another process writing to the library (an import, a scan in another window): a second
    real connection holding its write lock for the block (that connection is what it gives;
    a transaction it still has at the end is rolled back, and the connection closed)."""
    writer = sqlite3.connect(store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        yield writer
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()


def _started_twice_on_kept_plays(store, tmp_path, after_each) -> None:
    """Starts a player on ``store`` until it has written the plays kept in the file at a busy
    close, twice: the second time with the file put back as a kill between writing its plays
    and removing it leaves it. ``after_each()`` once each player has closed."""
    import shutil

    from player.kept_plays import journal_path

    kept = journal_path(store.path)
    shutil.copy(kept, tmp_path / "kept-before-the-kill.json")
    for killed in (True, False):
        p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
        try:
            assert wait_for(lambda: not kept.exists() and p.unsaved_plays == 0, timeout=30)
        finally:
            p.close()
        after_each()
        if killed:
            shutil.copy(tmp_path / "kept-before-the-kill.json", kept)


def test_closing_while_another_process_holds_the_library_is_quick_and_its_play_is_written_at_the_next_start(
        store, tmp_path, caplog):
    # Quit while another process held the library's write lock: each write at close (the state,
    # the end of the play, the plays kept) waited out the store's 30 s on the GUI thread, the
    # window frozen for a minute and more, and the play's end was then "lost with this close".
    # Closing waits a moment; what the library refused is kept beside it and written at the
    # next start.
    import logging

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    caplog.set_level(logging.INFO, logger="player.playback")
    p.play_track(a)
    assert wait_for(lambda: p.position > 2.0 and store.plays() and store.plays()[0]["ms_heard"] > 1000)
    with _library_held(store):
        began = time.monotonic()
        p.close()
        took = time.monotonic() - began
        assert store.plays()[0]["ended"] == "playing"       # (its end refused: kept)
    print(f"closed in {took:.1f} s")
    assert took < 20, took
    assert not any("lost with this close" in r.getMessage() for r in caplog.records)
    from player.kept_plays import journal_path

    assert journal_path(store.path).exists()
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert wait_for(lambda: store.plays()[0]["ended"] == "stopped", timeout=30)
        assert wait_for(lambda: p.unsaved_plays == 0, timeout=30)
    finally:
        p.close()
    (row,) = store.plays()
    assert (row["track_id"], row["ended"]) == (a, "stopped") and row["ms_heard"] > 2000
    assert not journal_path(store.path).exists()


def test_closing_while_another_process_holds_the_library_waits_for_it_once_not_once_per_write(
        store, tmp_path, monkeypatch):
    # Each write at close (the state, the end of the play, the plays kept) waited its own
    # second for a library another process held: Quit took 3 s on the GUI thread, the window
    # still on screen. Once the library refuses one of them as busy, the rest go to the kept
    # file at once; nothing of the play is lost. (The wait made long here, so that one wait
    # and two are far apart on a loaded machine.)
    from player.kept_plays import journal_path, read

    wait_ms = 3000
    monkeypatch.setattr("player.playback.CLOSE_WRITE_WAIT_MS", wait_ms)
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.restore_state()                   # (the window's player: its state is saved at close)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.position > 2.0 and store.plays() and store.plays()[0]["ms_heard"] > 1000)
    with _library_held(store):
        began = time.monotonic()
        p.close()
        took = time.monotonic() - began
    print(f"closed in {took:.2f} s")
    assert took < 2 * wait_ms / 1000, took
    (kept,) = read(journal_path(store.path))[0]
    assert kept["track_id"] == a and kept["ended"][0] == "stopped"
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert wait_for(lambda: store.plays()[0]["ended"] == "stopped" and p.unsaved_plays == 0, timeout=30)
    finally:
        p.close()
    (row,) = store.plays()
    assert (row["track_id"], row["ended"]) == (a, "stopped") and row["ms_heard"] > 2000


def test_a_busy_close_closes_the_plays_a_crash_left_open_without_waiting_for_the_library_again(
        store, tmp_path, monkeypatch):
    # The plays a crash left open (a full disk at the start kept them so) are closed at close:
    # that write waited its own second for a library another process held, after the close
    # had already been refused once as busy and sent its other writes to the kept file at once.
    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    store.start_play(a, owner="a player killed long ago")
    full_disk.refuse(store, "UPDATE")
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.restore_state()                   # (the window's player: its state is saved at close)
    closing, waits = threading.Event(), []
    closes = store.close_interrupted_plays

    def close_interrupted_plays():
        if closing.is_set() and threading.current_thread() is threading.main_thread():
            (wait_ms,) = store.conn.execute("PRAGMA busy_timeout").fetchone()
            waits.append(wait_ms)
        return closes()

    monkeypatch.setattr(store, "close_interrupted_plays", close_interrupted_plays)
    try:
        with _library_held(store):
            p.keep_going = not p.keep_going     # (a change to save at close: refused, as the library is held)
            closing.set()
            p.close()
    finally:
        full_disk.allow(store, "UPDATE")
    assert waits == [0]
    assert store.plays()[0]["ended"] == "playing"       # (still open: closed at the next start)


def test_plays_kept_at_a_busy_close_are_written_once_even_when_a_kill_left_their_file_after_writing_them(
        store, tmp_path):
    # The next start writes the plays kept at close, then removes their file: killed between
    # the two, the start after it found the file again and wrote every play a second time. Each
    # is found in the log by its own identity first (a copy of the file put back is what such
    # a kill leaves).
    from player.store import Store

    a, b = add_tracks(store, tmp_path, [("a", 1.0), ("b", 60.0)])
    busy = Store(store.path, busy_timeout_s=0.2)     # (the plays' starts refused at once, not in 30 s)
    p = Player(busy, NullEngine(speed=4.0), progress_interval_s=0.05)
    with contextlib.closing(busy), _library_held(store):
        p.play_tracks([a, b])
        assert wait_for(lambda: p.current_track_id == b and p.position > 1.0 and p.unsaved_plays == 2, timeout=30)
        p.close()
        assert store.plays() == []

    def written_once():
        assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(a, "finished"), (b, "stopped")]
        assert store.plays()[1]["ms_heard"] > 1000

    _started_twice_on_kept_plays(store, tmp_path, written_once)


def test_a_resumed_play_kept_at_a_busy_close_is_gone_on_with_once_even_when_a_kill_left_its_file(store, tmp_path):
    # The song left playing at the last close, resumed while another process held the library:
    # its play goes on in the same row once written. Written again from a file a kill left,
    # the row's time heard was counted a second time on top of itself.
    from player.playback import STATE_SETTING
    from player.store import Store

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    left = store.start_play(a, track_ms=60_000)
    store.end_play(left, "stopped", 10_000)
    store.set_setting(STATE_SETTING, {"queue": [], "keep_going": False,
                                      "current": [a, "library", True, 10.0, 10.0, 10.0, left, False]})
    busy = Store(store.path, busy_timeout_s=0.2)
    p = Player(busy, NullEngine(speed=4.0), progress_interval_s=0.05)
    assert p.restore_state().play_id == left
    with contextlib.closing(busy), _library_held(store):
        p.resume()
        assert wait_for(lambda: p.position > 12.0 and p.unsaved_plays == 1, timeout=30)
        p.close()
    heard = []

    def gone_on_with_once():
        assert [(r["id"], r["ended"]) for r in store.plays()] == [(left, "stopped")]
        heard.append(store.play(left)["ms_heard"])

    _started_twice_on_kept_plays(store, tmp_path, gone_on_with_once)
    assert 11_000 < heard[0] < 20_000 and heard[1] == heard[0], heard


def test_plays_another_player_kept_in_the_file_while_this_one_wrote_it_stay_there(store, tmp_path):
    # Two players on one library (the window and ``segue play``) both read the plays kept at
    # the last close. The library still busy, one of them closes and adds its own play to the
    # file; the other, writing what it read once the library is free, removed the file whole,
    # and the play the first one kept there was lost. It takes out only what it read.
    from player.kept_plays import journal_path, read
    from player.store import Store

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    kept = journal_path(store.path)
    busy = Store(store.path, busy_timeout_s=0.2)
    with _library_held(store):
        first = Player(busy, NullEngine(speed=4.0), progress_interval_s=0.05)
        first.play_track(a)
        assert wait_for(lambda: first.position > 1.0 and first.unsaved_plays == 1, timeout=30)
        first.close()
        assert [p["track_id"] for p in read(kept)[0]] == [a]
        window = Player(Store(store.path, busy_timeout_s=0.2), NullEngine(speed=4.0), progress_interval_s=0.05)
        other = Player(busy, NullEngine(speed=4.0), progress_interval_s=0.05)
        other.play_track(b)
        assert wait_for(lambda: other.position > 1.0 and other.unsaved_plays == 2, timeout=30)
        other.close()
        assert sorted(p["track_id"] for p in read(kept)[0]) == [a, b]
    try:
        assert wait_for(lambda: window.unsaved_plays == 0 and store.plays(), timeout=30)
    finally:
        window.close()
        window.store.close()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(a, "stopped")]
    assert [p["track_id"] for p in read(kept)[0]] == [b]
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert wait_for(lambda: not kept.exists() and p.unsaved_plays == 0, timeout=30)
    finally:
        p.close()
        busy.close()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(a, "stopped"), (b, "stopped")]


def test_a_click_while_another_process_holds_the_library_plays_at_once_and_its_play_is_written_later(
        store, tmp_path):
    # Logging a play's start runs on the GUI thread: with another process holding the
    # library's write lock (an import, a scan in another window), a click froze the window for
    # the store's 30 s. It waits a moment; the play refused by then is kept, and written once
    # the library is free.
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    with _library_held(store):
        began = time.monotonic()
        p.play_track(a)
        took = time.monotonic() - began
        assert p.unsaved_plays == 1
        p.play_track(b)
    try:
        assert took < 20, took
        assert wait_for(lambda: p.unsaved_plays == 0 and len(store.plays()) == 2, timeout=30)
    finally:
        p.close()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(a, "skipped"), (b, "stopped")]


def test_next_while_another_process_holds_the_library_answers_at_once_and_the_skip_is_written_once_later(
        store, tmp_path):
    # Ending a play whose start was written runs on the GUI thread for Next: with another
    # process holding the library's write lock, the window froze for the store's 30 s. It
    # waits a moment; the end refused by then is kept with its play, and written once, in
    # order, when the library is free.
    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.play_tracks([a, b])
    assert wait_for(lambda: p.position > 1.0 and store.plays() and store.plays()[0]["ms_heard"] > 0, timeout=30)
    with _library_held(store):
        began = time.monotonic()
        p.next()
        took = time.monotonic() - began
        assert p.current_track_id == b
        assert [r["ended"] for r in store.plays()] == ["playing"]   # (its end refused: kept)
        assert p.unsaved_plays == 2                                 # a's end, and b's start behind it
    try:
        assert took < 20, took
        assert wait_for(lambda: p.unsaved_plays == 0 and len(store.plays()) == 2
                        and store.plays()[0]["ended"] != "playing", timeout=30)
    finally:
        p.close()
    rows = store.plays()
    assert [(r["track_id"], r["ended"]) for r in rows] == [(a, "skipped"), (b, "stopped")]
    assert rows[0]["id"] < rows[1]["id"] and 1000 <= rows[0]["ms_heard"] < 30_000


def test_next_moves_on_at_once_while_another_process_holds_the_library_and_every_play_is_written_in_order(
        store, tmp_path):
    # Another process holding the library's write lock (an import, a scan in a terminal, the
    # learner saving features): each Next waited a second for it before the next song began,
    # on the thread that runs the window's commands: once for the end of the song left, and
    # again while the progress thread held the plays kept for the whole of its own wait. Now
    # what the library refuses is kept at once, and written, in order, once it takes writes.
    tracks = add_tracks(store, tmp_path, [(name, 60.0) for name in "abcde"])
    p = Player(store, NullEngine(speed=1.0), progress_interval_s=0.05)
    try:
        p.play_tracks(tracks)
        assert wait_for(lambda: len(store.plays()) == 1 and p.position > 0.1)
        took = []
        with _library_held(store):
            for n in range(3):
                began = time.monotonic()
                p.next()
                took.append(time.monotonic() - began)
                assert p.current_track_id == tracks[n + 1]
                # (the progress thread tries the kept plays again meanwhile, at every tick)
                assert wait_for(lambda: p.unsaved_plays == n + 2 and p.position > 0.3)
            assert store.plays()[0]["ended"] == "playing"       # (refused: kept)
        print("each Next took", [round(t, 3) for t in took], "s")
        # (a Next that waits out the progress thread's wait for a busy library, a second, takes that long)
        assert max(took) < 0.8, took
        assert wait_for(lambda: p.unsaved_plays == 0, timeout=30)
        assert ended(store) == [(tracks[0], "skipped"), (tracks[1], "skipped"), (tracks[2], "skipped"),
                                (tracks[3], "playing")]
        ids = [r["id"] for r in store.plays()]
        assert ids == sorted(ids)
    finally:
        p.close()


def _reranked_from_the_log(store, tmp_path) -> tuple[Player, list, list]:
    """A player playing the first of eight songs, Keep it going on; and, each time its filler is
    asked to re-rank, how the log had that song's play end then."""
    tracks = add_tracks(store, tmp_path, [(name, 60.0) for name in "abcdefgh"])
    logged = []

    def filler(player, *, replacing=0):
        if replacing:       # (what a ranker reading the log would see of the song skipped)
            logged.append(store.plays()[0]["ended"])
        taken = set(player.history)
        return [(t, "up_next") for t in tracks if t not in taken][:max(replacing, 3)]

    p = Player(store, NullEngine(speed=1.0), progress_interval_s=0.05)
    p.keep_going = True
    p.set_queue_filler(filler)
    p.play_track(tracks[0])
    return p, tracks, logged


def test_an_early_skip_the_library_refused_reranks_the_suggestions_again_once_it_is_written(store, tmp_path):
    # An early skip re-ranks the suggestions at once, and Up next reads the skips from the play
    # log. Where another process's write made the library refuse the skip's end, the log did not
    # say it yet: the re-rank went without it, and none came after the kept play was written.
    p, tracks, logged = _reranked_from_the_log(store, tmp_path)
    try:
        assert wait_for(lambda: len(store.plays()) == 1 and len(p.queue) == 3)
        with _library_held(store):
            p.next()                                    # an early skip, its end refused
            assert wait_for(lambda: len(logged) == 1 and p.unsaved_plays >= 1)
            assert logged == ["playing"]
        assert wait_for(lambda: p.unsaved_plays == 0)
        assert wait_for(lambda: logged[-1:] == ["skipped"]), logged
        assert ended(store)[0] == (tracks[0], "skipped")
    finally:
        p.close()


def test_an_early_skip_kept_on_a_full_disk_reranks_the_suggestions_once_its_own_end_is_written(store, tmp_path):
    # The re-rank for a skip whose end the library refused waited for every kept play to be
    # written, not for the skip's own: with room for the end and none yet for the next song's
    # play (a full disk), Up next went on ranked without the skip until there was room for all.
    p, tracks, logged = _reranked_from_the_log(store, tmp_path)
    try:
        assert wait_for(lambda: len(store.plays()) == 1 and len(p.queue) == 3)
        for op in ("INSERT", "UPDATE"):
            full_disk.refuse(store, op)
        p.next()                                        # an early skip, its end refused
        assert wait_for(lambda: len(logged) == 1 and p.unsaved_plays == 2)      # (and the next song's play)
        assert logged == ["playing"]
        full_disk.allow(store, "UPDATE")                # room for the end, none yet for a new play
        assert wait_for(lambda: store.plays()[0]["ended"] == "skipped")
        assert wait_for(lambda: logged[-1:] == ["skipped"]), logged
        assert p.unsaved_plays == 1 and len(store.plays()) == 1
        full_disk.allow(store, "INSERT")
        assert wait_for(lambda: p.unsaved_plays == 0 and len(store.plays()) == 2)
        assert logged.count("skipped") == 1             # (ranked again once, not again as the rest is written)
    finally:
        p.close()


def test_a_skip_from_a_long_track_while_the_library_is_held_keeps_where_it_was_left_and_writes_it_later(
        store, tmp_path, long_is_3s):
    # Where a long track was left is written as its play ends, on the GUI thread too: held by
    # another process, the skip waited the store's 30 s for it. Kept, it is written later.
    chapter, song = add_tracks(store, tmp_path, [("chapter", 6.0), ("song", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.play_tracks([chapter, song])
    assert wait_for(lambda: p.position > 2.0 and store.plays(), timeout=30)
    with _library_held(store):
        began = time.monotonic()
        p.next()
        took = time.monotonic() - began
        assert p.current_track_id == song and p.unsaved_places == 1
    try:
        assert took < 20, took
        assert wait_for(lambda: p.unsaved_plays == 0 and p.unsaved_places == 0, timeout=30)
    finally:
        p.close()
    assert 2.0 < store.resume_position(chapter) < 5.5
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(chapter, "skipped"), (song, "stopped")]


def test_a_pause_while_another_process_holds_the_library_answers_at_once_and_its_place_is_saved_later(
        store, tmp_path):
    # The window's player saves where it paused at once, on the GUI thread: held by another
    # process, Pause froze the window for the store's 30 s. Refused after a moment, the state
    # is saved at a tick once the library is free.
    from player.playback import STATE_SETTING

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.restore_state()
    p.play_track(a)

    def saved_at():
        return ((store.get_setting(STATE_SETTING) or {}).get("current") or [None] * 4)[3]

    assert wait_for(lambda: p.position > 1.0 and saved_at() is not None, timeout=30)
    with _library_held(store):
        began = time.monotonic()
        p.pause()
        took = time.monotonic() - began
        at = p.position
        assert p.state is PlaybackState.PAUSED and saved_at() != pytest.approx(at, abs=0.1)
    try:
        assert took < 20, took
        assert wait_for(lambda: saved_at() == pytest.approx(at, abs=0.1), timeout=30), (saved_at(), at)
    finally:
        p.close()


def test_a_place_kept_on_a_full_disk_goes_to_the_file_when_the_library_is_only_busy_at_close(
        store, tmp_path, long_is_3s, caplog):
    # A place refused on a full disk left "disk is full" as the reason; room again, but the
    # library held by another process at close, the file beside it was not even tried (the
    # full disk "would refuse it too") and the place was lost with the close. The file is tried.
    import logging

    from player.kept_plays import journal_path

    (chapter,) = add_tracks(store, tmp_path, [("chapter", 6.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    for op in ("INSERT", "UPDATE", "DELETE"):
        full_disk.refuse(store, op, "resume_positions")
    p.play_track(chapter)
    assert wait_for(lambda: p.position > 2.0, timeout=30)
    p.stop()                                        # (its end written: the place alone is kept)
    assert p.unsaved_places == 1 and p.unsaved_plays == 0
    caplog.set_level(logging.INFO, logger="player.playback")
    with _library_held(store) as writer:
        for op in ("INSERT", "UPDATE", "DELETE"):   # room again, seen once the other process lets go
            writer.execute(f"DROP TRIGGER no_room_resume_positions_{op}")
        try:
            p.close()
        finally:
            writer.execute("COMMIT")
    assert not any("lost with this close" in r.getMessage() for r in caplog.records)
    assert journal_path(store.path).exists()
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert wait_for(lambda: not journal_path(store.path).exists() and p.unsaved_places == 0, timeout=30)
    finally:
        p.close()
    assert 2.0 < store.resume_position(chapter) < 5.5
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(chapter, "stopped")]


def test_a_suggestion_passed_over_while_the_library_is_held_does_not_hold_up_the_next_song(store, tmp_path):
    # Taking a suggestion out of Up next saves it as passed over, on the player's thread with
    # its lock held: with another process holding the library's write lock, that waited the
    # store's 30 s, and the song ending meanwhile had the next one wait as long (its start
    # needs the lock). It waits as a play's start does; refused, it is saved at a later tick.
    from player.playback import PASSED_SETTING

    a, b, c = add_tracks(store, tmp_path, [("a", 16.0), ("b", 60.0), ("c", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    p.play_tracks([a, b])
    p.enqueue([c], source="radio")
    assert wait_for(lambda: p.current_track_id == a and store.plays(), timeout=30)
    (offer,) = [e for e in p.queue if e.track_id == c]
    with _library_held(store):
        assert p.current_track_id == a
        remover = threading.Thread(target=p.remove_queue_entries, args=([offer],), daemon=True)
        remover.start()
        assert wait_for(lambda: offer not in p.queue, timeout=15)   # (taken out: now it saves it)
        # a runs out (4 s at 4x) while the removal waits for the library: b starts on time
        assert wait_for(lambda: p.current_track_id == b, timeout=15)
        assert store.get_setting(PASSED_SETTING) is None
        remover.join(15)
        assert not remover.is_alive()
        assert p.passed_over == {c}
    try:
        assert wait_for(lambda: (store.get_setting(PASSED_SETTING) or {}).get("ids") == [c], timeout=30)
    finally:
        p.close()


def test_a_kept_file_that_cannot_be_written_is_said_once_not_at_every_tick(store, tmp_path, caplog):
    # While the library refuses plays, the file beside it is brought up to date at every
    # tick: where it cannot be written (a full disk), the log said so every tick, for as long
    # as it lasted. Once; and once more when it can be written again.
    import logging

    from player.kept_plays import journal_path, read

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    caplog.set_level(logging.INFO, logger="player.playback")
    kept = journal_path(store.path)
    kept.mkdir()                    # (neither read nor replaced: as a disk refusing it)
    try:
        with _library_held(store):
            p.play_track(a)
            assert p.unsaved_plays == 1
            ticks = p.position
            # (each tick waits a second for the library first: some 4 s, several ticks)
            assert wait_for(lambda: p.position > ticks + 16.0, timeout=60)
            said = [r for r in caplog.records if "could not keep the plays" in r.getMessage()]
            assert len(said) == 1, [r.getMessage() for r in said]
            kept.rmdir()
            # (the line, not the file: the file is there a moment before the line is said)
            assert wait_for(lambda: any("refused are kept in" in r.getMessage() for r in caplog.records), timeout=30)
            assert [q["track_id"] for q in read(kept)[0]] == [a]
            assert sum("refused are kept in" in r.getMessage() for r in caplog.records) == 1
    finally:
        p.close()


def test_plays_kept_are_told_with_the_kind_of_refusal_and_whether_the_file_beside_the_library_holds_them(
        store, tmp_path, make_player):
    # The window told a busy library from a full disk by the words in SQLite's message, and was
    # never told whether the file beside the library held the plays kept: its note said that
    # quitting would leave them there where that file could not be written, and lose them.
    from player.kept_plays import journal_path

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    p = make_player(speed=4.0, interval=0.05)
    told = []
    p.add_listener(lambda event, data: told.append((data["count"], data.get("kind"), data.get("kept")))
                   if event == "plays_unsaved" else None)
    with _library_held(store):
        p.play_track(a)
        assert wait_for(lambda: told[-1:] == [(1, "busy", True)])
    assert wait_for(lambda: told[-1:] == [(0, "busy", True)])
    kept = journal_path(store.path)
    kept.mkdir()                    # (neither read nor replaced: as a disk refusing it)
    full_disk.refuse(store, "INSERT")
    try:
        p.play_track(b)
        assert wait_for(lambda: told[-1:] == [(1, "full", False)])
        assert p.unsaved_kind == "full" and not p.unsaved_kept_aside
        kept.rmdir()
        assert wait_for(lambda: told[-1:] == [(1, "full", True)])
        assert p.unsaved_kept_aside
    finally:
        full_disk.allow(store, "INSERT")
    assert wait_for(lambda: told[-1][0] == 0 and len(store.plays()) == 2)


def test_a_player_starting_beside_one_that_keeps_refused_plays_leaves_them_to_it(store, tmp_path):
    # The window keeps what a busy library refuses it in the file beside the library as it
    # plays. ``segue play`` starting meanwhile read the file as if a close had left it, and
    # wrote the window's play too: once by each, two rows for one play. It leaves the plays of
    # a player still running to that player.
    from player.kept_plays import journal_path, read
    from player.store import Store

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    kept = journal_path(store.path)
    window = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    other = None
    try:
        with _library_held(store):
            window.play_track(a)
            assert window.unsaved_plays == 1 and [q["track_id"] for q in read(kept)[0]] == [a]
            other = Player(Store(store.path), NullEngine(speed=4.0), progress_interval_s=0.05)
            assert other.unsaved_plays == 0
        assert wait_for(lambda: window.unsaved_plays == 0 and not kept.exists(), timeout=30)
    finally:
        window.close()
        if other is not None:
            other.close()
            other.store.close()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(a, "stopped")]


def test_a_player_starting_beside_one_that_keeps_refused_places_leaves_them_to_it(store, tmp_path):
    # The places a busy library refuses a running player are in the file as its plays are. A
    # player starting beside it took them and wrote them too: one the window had moved on
    # from since went over the newer one the window wrote. A killed player's are taken.
    import time as clock

    from player import kept_plays

    a, b = add_tracks(store, tmp_path, [("a", 60.0), ("b", 60.0)])
    kept = kept_plays.journal_path(store.path)
    window = store.play_owner()         # (the window, running)
    killed = store.play_owner()
    killed_token = killed.token
    killed.release()
    now = clock.time()
    live_place = [40.0, now, None, window.token]
    kept_plays.replace(kept, [], {}, [], {a: live_place, b: [30.0, now, None, killed_token]})
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert p.unsaved_places == 1
        # (b out of the file once written; the window's left there, for it to write)
        assert wait_for(lambda: p.unsaved_places == 0 and kept_plays.read(kept)[1] == {a: live_place}, timeout=30)
        assert store.resume_position(b) == 30.0
        assert store.resume_position(a) is None
    finally:
        p.close()
        window.release()


@pytest.mark.parametrize("row_left", ["closed", "open"])
def test_a_kept_end_older_than_the_play_the_library_took_never_shortens_it(store, tmp_path, row_left):
    # The library took a song still playing, and the kept file could not be rewritten just
    # then (another player changing it, a full disk): its old "stopped at 20 s" stayed. The
    # song played on, its progress written (50 s), and the player was killed. The next start
    # found the play by its start and wrote the kept end over it: 30 s of it lost, and its end
    # moved back. A written play is never made shorter, nor to end earlier, by the file.
    from player import kept_plays

    (a,) = add_tracks(store, tmp_path, [("a", 60.0)])
    killed = store.play_owner()
    token = killed.token
    began = time.time() - 120
    pid = store.start_play(a, source="cli", track_ms=60_000, owner=token, now=began)
    store.update_play(pid, 50_000, now=began + 50)
    if row_left == "closed":
        store.end_play(pid, "stopped", 50_000, now=began + 50)
    killed.release()
    entry = {"track_id": a, "source": "cli", "track_ms": 60_000, "started_at": began, "play_id": None,
             "ended": ["stopped", 20_000, None, None, began + 20], "reopen": None, "logged_ms": 0,
             "forgotten_known": None, "owner": token}
    kept = kept_plays.journal_path(store.path)
    kept_plays.replace(kept, [], {}, [entry], {})
    p = Player(store, NullEngine(speed=4.0), progress_interval_s=0.05)
    try:
        assert wait_for(lambda: not kept.exists() and p.unsaved_plays == 0, timeout=30)
    finally:
        p.close()
    rows = store.plays()
    assert [(r["id"], r["ended"], r["ms_heard"], r["updated_at"]) for r in rows] == [
        (pid, "stopped", 50_000, began + 50)]
