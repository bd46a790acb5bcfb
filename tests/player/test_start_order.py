"""The order in which the player starts a song and logs its play, and hands over to the next."""

import pytest

from player.audio.base import AudioEngineError, PlaybackState
from player.audio.null_engine import NullEngine
from player.playback import Player
from tests.player.test_playback import Events, add_tracks, ended, wait_for


class GoneOutputEngine(NullEngine):
    """The null engine whose output cannot start while ``gone``, failing as the sound card
    engine's does when its device is gone (PortAudio refuses to open or start the stream)."""

    gone = False

    def _output_start(self) -> None:
        if self.gone:
            raise AudioEngineError("cannot start the audio output: Device unavailable [PaErrorCode -9985]")
        super()._output_start()


@pytest.fixture
def gone_player(make_player):
    return lambda: make_player(speed=8.0, engine=GoneOutputEngine)


def test_a_song_whose_output_cannot_start_is_not_logged_and_waits_for_play(store, tmp_path, gone_player):
    """The output cannot start (its device gone): nothing was heard, so no play is logged
    (logged first, it stood as an error of a good file, and the window was told it played);
    the song waits cued, the loss is said, and Play plays it once the output is back."""
    a, b = add_tracks(store, tmp_path, [("a", 0.5), ("b", 0.5)])
    p = gone_player()
    ev = Events(p)
    p.engine.gone = True
    p.play_tracks([a, b])
    assert wait_for(lambda: ev.of("device_lost") or ev.of("error"))
    assert ended(store) == []
    assert ev.of("track_started") == [] and ev.of("error") == []
    assert p.current_track_id is None and p.state is PlaybackState.STOPPED
    assert p.cued is not None and p.cued.entry.track_id == a
    p.engine.gone = False
    p.resume()
    assert wait_for(lambda: ended(store) == [(a, "finished"), (b, "finished")], 15.0)
    assert [d["track_id"] for d in ev.of("track_started")] == [a, b]


def test_a_song_left_playing_last_time_whose_output_cannot_start_keeps_its_place_and_play(
        store, tmp_path, gone_player):
    """Quit 5 s into a song; at the next start Play finds the output gone. The song stays
    cued where it was, with the play of the last run, and goes on with that play (one row, as
    without the failure) once the output is back."""
    from tests.player.test_playback import listen_through

    a, b = add_tracks(store, tmp_path, [("a", 10.0), ("b", 0.5)])
    p = gone_player()
    p.restore_state()
    p.play_tracks([a, b])
    assert listen_through(p, lambda: p.position > 5.0)
    p.close()
    (before,) = [(r["id"], r["ended"]) for r in store.plays()]
    p = gone_player()
    restored = p.restore_state()
    assert restored is not None and restored.position >= 5.0
    ev = Events(p)
    p.engine.gone = True
    p.resume()
    assert wait_for(lambda: ev.of("device_lost") or ev.of("error"))
    assert [(r["id"], r["ended"]) for r in store.plays()] == [before]
    assert p.cued is not None and p.cued.entry.track_id == a and p.cued.play_id == before[0]
    assert p.cued.position == restored.position    # (saved to a tenth: 5.04 is kept as 5.0)
    p.engine.gone = False
    p.resume()
    assert wait_for(lambda: p.current_track_id == a and p.position > 5.0)
    assert [r["id"] for r in store.plays()] == [before[0]]


class SlowOutputEngine(NullEngine):
    """The null engine whose output takes until ``opened`` is set to start (a sound server
    that does not answer: the sound card engine waits seconds for its open)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        import threading

        self.opening, self.opened = threading.Event(), threading.Event()

    def _output_start(self) -> None:
        self.opening.set()
        self.opened.wait(10)
        super()._output_start()


def test_a_quit_while_the_output_opens_keeps_the_song_for_the_next_start(store, tmp_path):
    """Play pressed, the output slow to open; the window is closed meanwhile. The state saved
    at the close holds the song being started (taken from the queue already, its play not
    logged yet): it is cued at the next start, not lost from both the queue and the place."""
    import threading

    a, b = add_tracks(store, tmp_path, [("a", 0.5), ("b", 0.5)])
    p = Player(store, SlowOutputEngine(speed=8.0), progress_interval_s=0.2)
    p.restore_state()
    play = threading.Thread(target=p.play_tracks, args=([a, b],))
    play.start()
    try:
        assert p.engine.opening.wait(10)
        close = threading.Thread(target=p.close)
        close.start()
        assert wait_for(lambda: not p._remember)     # (the close's last save is written)
    finally:
        p.engine.opened.set()
        play.join(10)
    close.join(10)
    again = Player(store, NullEngine(speed=8.0), progress_interval_s=0.2)
    try:
        cued = again.restore_state()
        assert cued is not None and cued.entry.track_id == a
        assert [e.track_id for e in again.queue] == [b]
    finally:
        again.close()
