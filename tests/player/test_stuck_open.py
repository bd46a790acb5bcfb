"""A song whose file never opens (a network share or a USB disk that stopped answering).

Opening a file there blocks for minutes, or for ever. The player must not sit "playing" in
silence: after a bounded wait the song is an error that says why, the song before it ends as
ever, and the list goes on. Here the engine is the real null engine and the files real ones;
the open of one file is held on an event, as a share that does not answer holds it, and let
go at the end to see that what it opened late is closed and never heard.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import numpy as np
import pytest

import player.audio.feeder as feeder
from player.audio.base import PlaybackState, Source
from player.audio.feeder import FeederMixin
from player.audio.null_engine import NullEngine
from player.playback import Player
from tests.player.test_playback import Events, add_tracks, ended, wait_for

BOUND_S = 0.5    # the wait given to an open (OPEN_WAIT_S) in these tests


class HeldOpen:
    """Holds every open of the files named ``*<name>.flac`` until :meth:`release`; keeps the
    decoders those opens made once let go."""

    def __init__(self, monkeypatch, name: str):
        self.name = f"{os.sep}{name}.flac"
        self.gate = threading.Event()
        self.opened = []    # (decoder or None, error) of each held open, once it returned
        self.waiting = 0
        real = FeederMixin._open

        def held(engine, source):
            if source.path.endswith(self.name):
                self.waiting += 1
                self.gate.wait()
                result = real(engine, source)
                self.opened.append(result)
                return result
            return real(engine, source)

        monkeypatch.setattr(FeederMixin, "_open", held)

    def release(self) -> None:
        self.gate.set()


def descriptors_on(path: str) -> int:
    """How many of this process's file descriptors are open on ``path``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == path:
                count += 1
        except OSError:
            pass    # (closed meanwhile)
    return count


@pytest.fixture
def player(store):
    players = []

    def make(speed=8.0, crossfade_s=0.0):
        p = Player(store, NullEngine(speed=speed, crossfade_s=crossfade_s), progress_interval_s=0.2)
        players.append(p)
        return p

    yield make
    for p in players:
        p.close()


@pytest.fixture
def held(monkeypatch):
    holds = []

    def make(name):
        h = HeldOpen(monkeypatch, name)
        holds.append(h)
        return h

    yield make
    for h in holds:
        h.release()     # (no test leaves a thread held)


class HeldOpenAgain:
    """Holds every open again (after a rewrite in place) of the files at ``paths`` until
    :meth:`release`, as a share that stopped answering holds it; ``waiting``: the decoders
    whose open again is held."""

    def __init__(self, monkeypatch, *paths: str):
        from player.audio.decoder import Decoder

        self.gate, self.waiting = threading.Event(), []
        real = Decoder._open_again

        def held(dec, *args):
            if dec.path in paths:
                self.waiting.append(dec)
                self.gate.wait()
            return real(dec, *args)

        monkeypatch.setattr(Decoder, "_open_again", held)

    def release(self) -> None:
        self.gate.set()


def rewrite_in_place(path: str) -> None:
    """Write the file's own bytes over it again, as a tagger saving it does."""
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(data)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
# (a longer than the buffer: b is set before a is written whole, and a waits there for it; a
# shorter: a is written whole before b is set)
@pytest.mark.parametrize("a_s, crossfade_s", [(3.0, 0.0), (3.0, 1.0), (1.0, 0.0)])
def test_the_next_song_that_never_opens_fails_after_the_bound_and_the_one_after_plays(store, tmp_path, player,
                                                                                       held, monkeypatch,
                                                                                       a_s, crossfade_s):
    """The song playing ends as ever (its play "finished", heard whole); the next one is an
    error that says why once the output has been silent for the bound; the one after plays.
    With a crossfade the song playing plays on to its end without its fade: the same."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    a, b, c = add_tracks(store, tmp_path, [("a", a_s), ("b", 1.0), ("c", 0.6)])
    stuck = held("b")
    p = player(crossfade_s=crossfade_s)
    ev = Events(p)
    p.play_tracks([a, b, c])
    # (well within: a at 8x, the bound, and c's 0.6 s; a stuck open never gets there)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=15.0)
    assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
    plays = store.plays()
    assert plays[0]["ms_heard"] == pytest.approx(a_s * 1000, abs=2)    # a heard whole, its end told
    message = f"did not open in {BOUND_S:g} s: the disk or share does not answer"
    assert plays[1]["ms_heard"] == 0 and plays[1]["error"] == message
    assert plays[2]["ms_heard"] == pytest.approx(600, abs=2)
    assert [(d["track_id"], d["message"]) for d in ev.of("error")] == [(b, message)]
    # The share answers at last: what it opened then is closed, and nothing more is played.
    path = store.track(b)["path"]
    stuck.release()
    assert wait_for(lambda: len(stuck.opened) == stuck.waiting)
    assert stuck.opened[0][0] is not None     # (it did open, late)
    assert wait_for(lambda: descriptors_on(path) == 0)
    assert p.engine.sync()
    assert p.state is PlaybackState.STOPPED and ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]


def silent_waiting_for_the_next(p) -> bool:
    """The output has played all of the song playing and waits, silent, for the next one's open."""
    e = p.engine
    return e._nopen is not None and e._ring.buffered() == 0 and e.current is not None and e.current.heard_s > 0


@pytest.mark.parametrize("press", ["next", "stop"])
def test_next_and_stop_answer_while_the_next_song_does_not_open(store, tmp_path, player, held, monkeypatch, press):
    """Silent at the end of a song, the next one's file not answering: Next goes on to the
    song after it (the one pressed past gets its own wait, and is skipped), Stop stops, and a
    song played after either plays at once, without waiting for the bound."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)     # (never reached here: each press answers)
    a, b, c = add_tracks(store, tmp_path, [("a", 1.0), ("b", 1.0), ("c", 0.6)])
    stuck = held("b")
    p = player()
    p.play_tracks([a, b, c])
    assert wait_for(lambda: silent_waiting_for_the_next(p))
    if press == "next":
        p.next()            # b, still opening (its open taken over, not another one held)
        assert p.current_track_id == b
        p.next()            # c
    else:
        p.stop()
        assert p.state is PlaybackState.STOPPED
        p.play_tracks([c])
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and (c, "finished") in ended(store))
    assert store.plays()[-1]["ms_heard"] == pytest.approx(600, abs=2)
    assert stuck.waiting == 1
    if press == "next":
        assert ended(store)[1:] == [(b, "skipped"), (c, "finished")]
    else:
        assert ended(store)[1:] == [(c, "finished")]
    path = store.track(b)["path"]
    stuck.release()
    assert wait_for(lambda: len(stuck.opened) == 1)
    assert wait_for(lambda: descriptors_on(path) == 0)
    assert p.engine.sync()
    assert p.state is PlaybackState.STOPPED and (b, "finished") not in ended(store)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_a_first_song_that_never_opens_fails_after_the_bound_and_the_next_plays(store, tmp_path, player, held,
                                                                                monkeypatch):
    """Play pressed on a song of a share that does not answer: it fails after the bound
    (the output silent from the press) with why, and the song after it plays; that song's
    own open is not held up by the one still stuck."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    b, c = add_tracks(store, tmp_path, [("b", 1.0), ("c", 0.6)])
    stuck = held("b")
    p = player()
    ev = Events(p)
    p.play_tracks([b, c])
    assert p.current_track_id == b      # (the press answered: the play is under way)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=15.0)
    message = f"did not open in {BOUND_S:g} s: the disk or share does not answer"
    assert ended(store) == [(b, "error"), (c, "finished")]
    assert store.plays()[0]["error"] == message and store.plays()[1]["ms_heard"] == pytest.approx(600, abs=2)
    assert [(d["track_id"], d["message"]) for d in ev.of("error")] == [(b, message)]
    path = store.track(b)["path"]
    stuck.release()
    assert wait_for(lambda: len(stuck.opened) == stuck.waiting)
    assert wait_for(lambda: descriptors_on(path) == 0)
    assert p.engine.sync()
    assert p.state is PlaybackState.STOPPED and ended(store) == [(b, "error"), (c, "finished")]


def test_a_song_paused_while_its_file_opens_stays_silent_once_open(store, tmp_path, held):
    """Play pressed, then Pause while the file is still opening: once it opens, none of it is
    heard until Resume (the output, silent since the press, has nothing to fade out), and
    Resume plays it from its start."""
    b, = add_tracks(store, tmp_path, [("b", 1.0)])
    stuck = held("b")
    engine = NullEngine(speed=8.0)
    try:
        source = Source(store.track(b)["path"])
        engine.play(source)
        assert wait_for(lambda: stuck.waiting == 1)
        beat = engine._beat
        assert wait_for(lambda: engine._beat >= beat + 3)     # (the output ran on since the feeder took the play)
        # The output's next block comes only after a long wait: the open ends, and the track is
        # buffered, before the output takes any block after the pause.
        engine.speed = 0.05
        beat = engine._beat
        assert wait_for(lambda: engine._beat >= beat + 2)
        engine.pause()
        stuck.release()
        assert wait_for(lambda: engine._ring.buffered() > 0)
        beat = engine._beat
        assert wait_for(lambda: engine._beat >= beat + 1)
        assert source.heard_frames == 0 and engine.state is PlaybackState.PAUSED
        engine.speed = 8.0
        engine.resume()
        assert wait_for(lambda: engine.state is PlaybackState.STOPPED)
        assert source.heard_frames == engine.rate     # heard whole, from its start
    finally:
        engine.close()


@pytest.mark.parametrize("which", ["first", "next"])
def test_a_pause_while_a_song_does_not_open_stays_paused(store, tmp_path, player, held, monkeypatch, which):
    """Paused while the song's file does not answer (pressed just after Play, or in the
    silence at the end of the song before it): the wait is not counted while paused, so the
    player does not give the song up and go on to the next one by itself, playing while the
    person has paused it. Resumed, the wait runs, and the list goes on as ever."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 0.2)
    a, b, c = add_tracks(store, tmp_path, [("a", 1.0), ("b", 1.0), ("c", 0.6)])
    stuck = held("b")
    p = player()
    if which == "first":
        p.play_tracks([b, c])
        assert wait_for(lambda: stuck.waiting == 1)
        listed = []
    else:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: silent_waiting_for_the_next(p))
        listed = [(a, "finished")]
    playing = p.current_track_id
    p.pause()
    # Five times the wait, paused: nothing is given up, nothing played.
    assert not wait_for(lambda: p.state is not PlaybackState.PAUSED or ended(store) != [(playing, "playing")],
                        timeout=1.0)
    assert p.current_track_id == playing == (b if which == "first" else a) and stuck.waiting == 1
    p.resume()
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and (c, "finished") in ended(store), timeout=10.0)
    assert ended(store) == [*listed, (b, "error"), (c, "finished")]


def test_a_long_pause_while_a_song_does_not_open_leaves_it_the_whole_wait_once_resumed(store, tmp_path, player,
                                                                                       held, monkeypatch):
    """Paused while the song's file does not answer, long enough for the output to be let go
    (the feeder then waits for a command and looks at nothing): resumed, the song is given
    the whole wait from the resume. Counted from before the pause, it was given up the moment
    Resume was pressed, the time paused taken for silence heard."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    b, c = add_tracks(store, tmp_path, [("b", 1.0), ("c", 0.6)])
    stuck = held("b")
    p = player()
    p.engine.pause_release_s = 0.05
    p.play_tracks([b, c])
    assert wait_for(lambda: stuck.waiting == 1)
    p.pause()
    assert wait_for(lambda: not p.engine._output_running())    # (let go: the feeder is at rest)
    assert not wait_for(lambda: p.state is not PlaybackState.PAUSED or ended(store) != [(b, "playing")],
                        timeout=2 * BOUND_S)
    resumed = time.monotonic()
    p.resume()
    assert wait_for(lambda: (b, "error") in ended(store), timeout=10.0)
    assert time.monotonic() - resumed >= BOUND_S     # (a loaded machine only makes it later)
    assert wait_for(lambda: p.state is PlaybackState.STOPPED and ended(store) == [(b, "error"), (c, "finished")])


def test_a_playing_song_whose_file_does_not_open_again_after_a_retag_fails_after_the_bound(store, tmp_path, player,
                                                                                          monkeypatch):
    """The playing song's file is written in place (a tagger) and its share stops answering as
    it is opened again to read on: the open never returns. The player did not sit "playing"
    silence for good: once the output has been silent for the bound, the song ends as an
    error that says why, and the one after it plays."""
    from player.audio.decoder import Decoder

    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    a, b = add_tracks(store, tmp_path, [("a", 4.0), ("b", 0.6)])
    path = store.track(a)["path"]
    gate, waiting = threading.Event(), []
    real = Decoder._open_again

    def held(dec, *args):
        if dec.path == path:
            waiting.append(dec)
            gate.wait()
        return real(dec, *args)

    monkeypatch.setattr(Decoder, "_open_again", held)
    p = player(speed=2.0)
    ev = Events(p)
    try:
        p.play_tracks([a, b])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 0.2)
        with open(path, "r+b") as f:    # (the same bytes written again in place)
            data = f.read()
            f.seek(0)
            f.write(data)
        assert wait_for(lambda: waiting)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 2, timeout=15.0)
    finally:
        gate.set()
    message = f"did not open again in {BOUND_S:g} s: the disk or share does not answer"
    assert ended(store) == [(a, "error"), (b, "finished")]
    assert store.plays()[0]["error"] == message and 0 < store.plays()[0]["ms_heard"] < 4000
    assert [(d["track_id"], d["message"]) for d in ev.of("error")] == [(a, message)]


class StalledLook:
    """Holds the feeder's next look at ``path`` (the stat it makes before each read) once
    :meth:`arm` is called, until :meth:`release`, as a share that stops answering for a
    moment holds it: the output plays what it was given and runs dry meanwhile."""

    def __init__(self, monkeypatch, path: str):
        import player.audio.decoder as decoder

        self.armed, self.gate, self.held = threading.Event(), threading.Event(), threading.Event()
        real = decoder._stamp

        def stalled(at):
            if at == path and self.armed.is_set() and threading.current_thread().name == "audio-feeder":
                self.armed.clear()
                self.held.set()
                self.gate.wait()
            return real(at)

        monkeypatch.setattr(decoder, "_stamp", stalled)

    def arm(self) -> None:
        self.armed.set()

    def release(self) -> None:
        self.gate.set()


@pytest.mark.slow
def test_a_retag_met_with_the_output_run_dry_is_given_its_own_wait_not_what_is_left_of_one_before(
        store, tmp_path, monkeypatch):
    """Under a crossfade, the file of the song fading in is written in place (a tagger) and
    opens again late, once the output has run dry: the fade goes on. Longer than the bound
    after, its share stalls for a moment (the output runs dry again) as the tagger writes it
    once more; it opens again at once. The song plays on: that wait is counted from its own
    silence, not from the first one's, long over (it was given up at once, the song cut off
    and logged as an error, its file fine)."""
    bound_s = 1.0   # (the second open again comes a quarter of a second after its rewrite is seen)
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", bound_s)
    a, b, c = add_tracks(store, tmp_path, [("a", 20.0), ("b", 20.0), ("c", 0.6)])
    path = store.track(b)["path"]
    stuck = HeldOpenAgain(monkeypatch, path)
    stall = StalledLook(monkeypatch, path)
    # (a fade of 10 s: 2.5 s of the test, both waits under it)
    p = Player(store, NullEngine(speed=4.0, crossfade_s=10.0), progress_interval_s=0.2)
    ev = Events(p)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine.current is not None and p.engine.current.heard_s > 0.2)
        p.seek(8.0)
        assert wait_for(lambda: p.engine._fade is not None)
        rewrite_in_place(path)
        assert wait_for(lambda: stuck.waiting)
        # (the output has played all it was given: the first wait's silence is counted)
        assert wait_for(lambda: p.engine._settling_silent_since is not None)
        ran_dry = time.monotonic()
        stuck.release()
        assert wait_for(lambda: p.engine._ring.buffered() > 0)
        # (the fade goes on, for longer than the bound since the first wait ran dry)
        assert wait_for(lambda: time.monotonic() - ran_dry > bound_s)
        assert p.engine._fade is not None and ended(store) == [(a, "finished"), (b, "playing")]
        stall.arm()
        assert wait_for(lambda: stall.held.is_set())
        assert wait_for(lambda: p.engine._ring.buffered() == 0)
        rewrite_in_place(path)
        stall.release()
        p.engine.speed = 40.0     # (the rest of the songs, quickly: the waits are in real time)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=20.0)
    finally:
        stuck.release()
        stall.release()
        p.close()
    assert not ev.of("error")
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished")]


def _a_crossfading_into_b_held(tmp_path, held, song_a, song_b, rate):
    """``song_a`` (a.flac) playing on a null engine at twice real time with a 1 s crossfade,
    and ``song_b`` (b.flac) set next once a is heard, as the player does, its open held:
    the engine, the two sources and the hold."""
    from tests.audiogen import write_audio

    a = write_audio(tmp_path / "a.flac", song_a, rate)
    b = write_audio(tmp_path / "b.flac", song_b, rate)
    stuck = held("b")
    engine = NullEngine(speed=2.0, crossfade_s=1.0, capture=True)
    src_a, src_b = Source(str(a)), Source(str(b))
    try:
        engine.play(src_a)
        assert wait_for(lambda: src_a.heard_frames > 0)
        engine.set_next(src_b)
    except BaseException:
        engine.close()
        raise
    return engine, src_a, src_b, stuck


def test_with_a_crossfade_the_song_plays_to_its_end_while_the_next_does_not_open(tmp_path, held, monkeypatch):
    """Crossfade on, the next song's file not answering: the song playing is heard to its end
    without a hole (its last seconds are not held back for a fade partner that does not come),
    and the next one, once its file opens at last, follows it, after the silence of the wait,
    as it would without a crossfade."""
    from tests.audiogen import tone

    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)     # (never reached: the open is let go first)
    rate = 44100
    song_a = tone(2.5, freq=440.0, phase_samples=10)    # (its first sample not 0: where it starts is seen)
    song_b = tone(1.0, freq=660.0, phase_samples=10)
    engine, src_a, src_b, stuck = _a_crossfading_into_b_held(tmp_path, held, song_a, song_b, rate)
    try:
        # All of a is heard while b still does not open (held back, it sat silent a crossfade
        # before its end until the bound, its end played only then).
        assert wait_for(lambda: src_a.heard_frames == len(song_a) and engine._ring.buffered() == 0)
        assert stuck.waiting == 1 and not stuck.opened
        stuck.release()
        assert wait_for(lambda: engine.state is PlaybackState.STOPPED and src_b.heard_frames == rate)
        out = engine.captured()[:, 0]
        start = int(np.flatnonzero(np.abs(out) > 1e-3)[0])
        # a, whole and unbroken (16-bit FLAC: within its step), then the silence of the wait,
        # then b (its first milliseconds ramped in, after the silence)
        assert np.abs(out[start:start + len(song_a)] - song_a[:, 0]).max() < 1e-3
        stop = int(np.flatnonzero(np.abs(out) > 1e-3)[-1]) + 1
        assert stop - len(song_b) > start + len(song_a)
        assert not np.abs(out[start + len(song_a):stop - len(song_b)]).any()
        assert np.abs(out[stop - len(song_b) + 2000:stop] - song_b[2000:, 0]).max() < 1e-3
    finally:
        engine.close()


def test_closing_while_the_first_song_does_not_open_does_not_wait_for_it(store, tmp_path, held, monkeypatch):
    """The app closed while the song played does not open (a share that does not answer):
    the close does not wait for the open (it is made on the GUI thread: the window froze for
    the wait), and the play is logged as stopped. A seek sent just before is still where the
    song is said to be."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)     # (never reached: the close comes first)
    b, = add_tracks(store, tmp_path, [("b", 2.0)])
    stuck = held("b")
    from player.playback import STATE_SETTING

    p = Player(store, NullEngine(speed=8.0), progress_interval_s=0.2)
    p.restore_state()   # (as the window's player: what it plays, and where, is saved at close)
    p.play_tracks([b])
    assert wait_for(lambda: stuck.waiting == 1)
    p.seek(1.0)
    began = time.monotonic()
    p.close()
    took = time.monotonic() - began
    assert ended(store) == [(b, "stopped")]
    current = store.get_setting(STATE_SETTING)["current"]
    assert current[0] == b and current[3] == pytest.approx(1.0, abs=0.01)
    # (it waited the whole 1 s it gave the engine, never less; a close otherwise takes hundredths)
    assert took < 1.0


def test_a_sync_that_does_not_wait_for_the_open_answers_while_the_first_song_does_not_open(tmp_path, held,
                                                                                         monkeypatch):
    """The sync the close makes is answered once the commands before it are taken, while the
    open of the song played is still held (told by the open, not by a clock: a sync waiting
    for it answers only when the open returns, or not in its time), and a seek sent before it
    is where the song is said to be."""
    from tests.audiogen import tone, write_audio

    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)
    b = write_audio(tmp_path / "b.flac", tone(2.0, freq=440.0), 44100)
    stuck = held("b")
    engine = NullEngine(speed=8.0)
    try:
        engine.play(Source(str(b)))
        assert wait_for(lambda: stuck.waiting == 1)
        engine.seek(1.0)
        assert engine.sync(60.0, opened=False)
        assert not stuck.gate.is_set() and not stuck.opened     # (the open is held still)
        assert engine.position == pytest.approx(1.0, abs=0.01)
        assert not engine.sync(0.2)     # (one that waits for the open does so)
        stuck.release()
        assert engine.sync(10.0) and stuck.opened
    finally:
        stuck.release()
        engine.close()


@pytest.mark.parametrize("rewritten", ["a", "b"])
def test_a_song_under_a_crossfade_whose_file_does_not_open_again_after_a_retag_is_given_up(store, tmp_path,
                                                                                         monkeypatch, rewritten):
    """A file of the two in a running crossfade is written in place (a tagger) and its share
    stops answering as it is opened again: the open never returns. The player did not sit
    "playing" silence for good: once the output has been silent for the bound, the song fading
    in ends as an error that says why and the one after it plays; the song fading out is
    silent for the rest of the fade, and the one fading in plays on."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    # (a fade longer than the buffer: it is being written for a whole second of the test)
    a, b, c = add_tracks(store, tmp_path, [("a", 10.0), ("b", 6.0), ("c", 0.6)])
    path = store.track(a if rewritten == "a" else b)["path"]
    stuck = HeldOpenAgain(monkeypatch, path)
    p = Player(store, NullEngine(speed=6.0, crossfade_s=4.0), progress_interval_s=0.2)
    ev = Events(p)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine._fade is not None)
        rewrite_in_place(path)
        assert wait_for(lambda: stuck.waiting)
        assert p.engine._fade is not None       # (caught under the fade, which waits for the file)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=15.0)
    finally:
        stuck.release()
        p.close()
    message = f"did not open again in {BOUND_S:g} s: the disk or share does not answer"
    if rewritten == "b":
        assert ended(store) == [(a, "finished"), (b, "error"), (c, "finished")]
        assert store.plays()[1]["error"] == message
        assert [(d["track_id"], d["message"]) for d in ev.of("error")] == [(b, message)]
    else:
        assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished")]
        assert not ev.of("error")


def test_with_a_crossfade_a_next_song_that_opens_while_the_one_before_plays_on_still_fades_in(tmp_path, held,
                                                                                             monkeypatch):
    """Crossfade on, the next song's file opens late, once the song playing has played on
    past where its fade would have begun (see above): it fades in over what is left of that
    song, with no silence between the two."""
    from tests.audiogen import tone

    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)
    rate = 44100
    engine, src_a, src_b, stuck = _a_crossfading_into_b_held(tmp_path, held, tone(2.5, freq=440.0),
                                                             tone(1.0, freq=660.0), rate)
    try:
        # (written on past where the fade would begin, 1.5 s in, with a second of it to go)
        assert wait_for(lambda: engine._wdec is not None and engine._wdec.frame > 1.6 * rate)
        assert engine._fade is None and src_a.heard_frames < 2.0 * rate
        stuck.release()
        assert wait_for(lambda: engine.state is PlaybackState.STOPPED)
        assert src_b.heard_frames > 0 and engine.underruns == 0
        out = engine.captured()[:, 0]
        playing = np.flatnonzero(np.abs(out) > 1e-3)
        heard = out[playing[0]:playing[-1] + 1]
        # a and b overlap (mixed for a stretch): shorter than the two end to end, no silence between
        assert len(heard) < 3.5 * rate - 0.2 * rate
        assert np.abs(heard[:len(heard) // 441 * 441]).reshape(-1, 441).max(axis=1).min() > 0.05   # (per 10 ms)
    finally:
        engine.close()


def test_under_a_crossfade_a_song_fading_in_that_opens_again_is_not_given_up_for_the_one_that_does_not(
        store, tmp_path, monkeypatch):
    """A tagger saves the album as it plays: both songs of a running crossfade are written in
    place, the one fading in first, and only the one fading out does not open again (its
    share stopped answering). Once the bound is over, the one fading out is silent for the
    rest of the fade and the one fading in, read again meanwhile, plays on; it was the one
    given up, logged as an error, its file fine."""
    monkeypatch.setattr(feeder, "OPEN_WAIT_S", BOUND_S)
    a, b, c = add_tracks(store, tmp_path, [("a", 10.0), ("b", 6.0), ("c", 0.6)])
    path_a, path_b = store.track(a)["path"], store.track(b)["path"]
    stuck = HeldOpenAgain(monkeypatch, path_a)
    p = Player(store, NullEngine(speed=6.0, crossfade_s=4.0), progress_interval_s=0.2)
    ev = Events(p)
    try:
        p.play_tracks([a, b, c])
        assert wait_for(lambda: p.engine._fade is not None)
        fade = p.engine._fade
        rewrite_in_place(path_b)
        assert wait_for(lambda: fade.b_dec.settling)    # (b is seen written first)
        rewrite_in_place(path_a)
        assert wait_for(lambda: stuck.waiting)
        assert wait_for(lambda: p.state is PlaybackState.STOPPED and len(ended(store)) == 3, timeout=15.0)
    finally:
        stuck.release()
        p.close()
    assert ended(store) == [(a, "finished"), (b, "finished"), (c, "finished")]
    assert not ev.of("error")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg writes and reads Matroska")
def test_a_near_seek_then_a_retag_while_it_plays_on_for_a_next_song_that_opens_late_loses_nothing(
        tmp_path, held, monkeypatch):
    """A person's seek far into a long Matroska file lands up to a ms off; crossfade on, the
    next song's file does not open, so the song plays on past where its fade would begin; a
    tagger rewrites the song's file then, and the next file opens at last. The song is read
    on as itself (not taken for another copied over it), heard to its end, and the next fades
    in over what is left of it, whole, with no error."""
    import soundfile as sf

    from segue_common import audio_io
    from tests.audiogen import tone, write_audio
    from tests.segue_common.test_near_seek import CODECS, _encode

    monkeypatch.setattr(feeder, "OPEN_WAIT_S", 600.0)
    monkeypatch.setattr(audio_io, "_NEAR_MEASURE_FROM_S", audio_io._NEAR_FROM_S)   # (a 30 s file)
    rate = 48000
    rng = np.random.default_rng(3)
    t = np.arange(30 * rate) / rate
    wave = 0.3 * np.sin(2 * np.pi * np.cumsum(220 * 2 ** ((np.floor(t * 4) % 24) / 12)) / rate)
    sf.write(str(tmp_path / "a.wav"), (np.stack([wave, -wave], 1) + 0.05 * rng.standard_normal((len(t), 2)))
             .astype(np.float32), rate, subtype="PCM_16")
    a = tmp_path / "a.mka"
    _encode(tmp_path / "a.wav", a, *CODECS["vorbis.mka"])
    song_b = tone(1.0, freq=660.0, sr=rate)
    b = write_audio(tmp_path / "b.flac", song_b, rate)
    stuck = held("b")
    engine = NullEngine(speed=2.0, crossfade_s=1.0, capture=True)
    errors = []
    engine.set_listener(lambda event, data: errors.append(data) if event == "error" else None)
    try:
        src_a, src_b = Source(str(a)), Source(str(b))
        engine.play(src_a)
        assert wait_for(lambda: src_a.heard_frames > 0)
        out = engine.rate
        engine.seek(27.3)
        assert wait_for(lambda: engine._wdec is not None and engine._wdec.frame > 27.3 * out)
        assert engine._wdec._landed_near, "the seek was not a person's near one: nothing is tested"
        engine.set_next(src_b)
        # (played on past where the fade would begin, 29 s in)
        assert wait_for(lambda: engine._wdec.frame > 29.2 * out, timeout=15)
        assert engine._fade is None
        rewrite_in_place(str(a))
        stuck.release()
        assert wait_for(lambda: engine.state is PlaybackState.STOPPED, timeout=20)
    finally:
        engine.close()
    assert not errors and not src_a.replaced
    assert src_b.heard_frames == round(len(song_b) * out / rate)
    # a from the seek to its end, give or take where the seek landed (and what was heard
    # before it, the output's quarter second at most at twice real time)
    assert src_a.heard_frames - (30 - 27.3) * out == pytest.approx(0.25 * out, abs=0.3 * out)
