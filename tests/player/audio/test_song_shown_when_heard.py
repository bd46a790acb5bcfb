"""The window names the song that is heard, not the one the output took.

The output plays a block its latency after it takes it (0.4 s asked for here, as a Bluetooth
output has it). At a gapless hand-over the player logs the next song's start as the output
takes it; what the person sees (the title, cover, Up next, the desktop's media controls, all
fed by the bridge's ``track_started``) waits until its first frame is heard. What is heard is
read from the null sink's monitor: the frames recorded at the moment the window is told.
"""

import contextlib
import os
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from player.audio.base import PlaybackState
from player.library.tags import read_tags
from player.playback import Player
from tests.player.audio import sink

pytestmark = pytest.mark.audio
SR = sink.RATE
LATENCY_S = 0.4
TICK_S = 0.1        # how late the window may be told, a loaded machine's event loop included
EARLY_S = 0.05      # how early it may seem: the monitor's own recording lags the sound


def _add(store, folder, name, seconds, amplitude):
    """A real file in the store: ``seconds`` of a 440 Hz tone at ``amplitude`` (0: silence)."""
    t = np.arange(int(seconds * SR)) / SR
    x = (amplitude * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    path = folder / f"{name}.wav"
    sf.write(str(path), np.stack([x, x], 1), SR, subtype="FLOAT")
    st = os.stat(path)
    store.upsert_tracks([{"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                          **read_tags(str(path)), "title": name}])
    return store.track_by_path(str(path))["id"]


@pytest.fixture
def played(null_sink, store, qtbot, tmp_path):
    """(player, bridge, recorder, told): ``told`` gets (event, track_id, monitor frames, time)
    as the player logs a start (``"logged"``) and as the window is told (``"shown"``)."""
    from player.audio.sd_engine import SoundDeviceEngine
    from player.ui.bridge import PlayerBridge

    p = Player(store, SoundDeviceEngine(latency=LATENCY_S), progress_interval_s=0.2)
    bridge = PlayerBridge(p)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    told, lock = [], threading.Lock()

    def note(kind, data):
        with lock:
            told.append((kind, data["track_id"], recorder._size() // 8, time.monotonic()))

    p.add_listener(lambda event, data: note("logged", data) if event == "track_started" else None)
    bridge.track_started.connect(lambda data: note("shown", data))
    yield p, bridge, recorder, told
    bridge.shutdown()
    p.close()
    recorder.proc.kill()
    recorder.proc.wait(10)


def _when(told, kind, track_id):
    return next(((n, at) for k, t, n, at in list(told) if k == kind and t == track_id), None)


def _window_playing(store, qtbot, tmp_path):
    """(player, window): the window shown, its player on the sound card at LATENCY_S."""
    from player.audio.sd_engine import SoundDeviceEngine
    from player.ui.main_window import MainWindow

    p = Player(store, SoundDeviceEngine(latency=LATENCY_S), progress_interval_s=0.2)
    window = MainWindow(store, player=p, settings_file=str(tmp_path / "window.ini"))
    qtbot.addWidget(window, before_close_func=lambda w: (w.close(), p.close()))
    window.show()
    return p, window


def test_at_a_gapless_hand_over_the_title_changes_as_the_new_song_is_heard(played, store, qtbot, tmp_path):
    p, bridge, recorder, told = played
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 1.5, 0.3)
    p.play_tracks([quiet, loud], 0)
    qtbot.waitUntil(lambda: _when(told, "shown", loud) is not None, timeout=20000)
    qtbot.waitUntil(lambda: p.state is PlaybackState.STOPPED, timeout=20000)
    recorded = recorder.stop()
    loud_at = np.flatnonzero(np.abs(recorded[:, 0]) > 1e-3)
    assert len(loud_at), "nothing was heard"
    onset = int(loud_at[0])
    shown, _ = _when(told, "shown", loud)
    assert shown >= onset - EARLY_S * SR, f"named {(onset - shown) / SR:.3f} s before it was heard"
    assert shown <= onset + TICK_S * SR, f"named {(shown - onset) / SR:.3f} s after it was heard"
    # The play is logged as the output takes it, as before: its start counted once.
    logged, _ = _when(told, "logged", loud)
    assert logged < shown
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(quiet, "finished"), (loud, "finished")]
    assert [t for k, t, *_ in told if k == "shown"] == [quiet, loud]
    assert not bridge.holding


def test_next_changes_the_title_at_once(played, store, qtbot, tmp_path):
    p, bridge, recorder, told = played
    first = _add(store, tmp_path, "first", 4.0, 0.3)
    second = _add(store, tmp_path, "second", 4.0, 0.3)
    p.play_tracks([first, second], 0)
    qtbot.waitUntil(lambda: p.position > 0.5, timeout=20000)
    p.next()
    qtbot.waitUntil(lambda: _when(told, "shown", second) is not None, timeout=20000)
    (_, logged_at), (_, shown_at) = _when(told, "logged", second), _when(told, "shown", second)
    # The old song is cut: nothing of it is left to hear, no reason to wait for the output.
    assert shown_at - logged_at < LATENCY_S / 2
    assert not bridge.holding
    p.stop()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(first, "skipped"), (second, "stopped")]


def test_paused_just_after_the_output_took_the_next_song_the_title_is_that_song(played, store, qtbot, tmp_path):
    # Paused there, what the window names is the song Play goes on with.
    p, bridge, recorder, told = played
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 3.0, 0.3)
    p.play_tracks([quiet, loud], 0)
    qtbot.waitUntil(lambda: _when(told, "logged", loud) is not None, timeout=20000)
    p.pause()
    qtbot.waitUntil(lambda: _when(told, "shown", loud) is not None, timeout=20000)
    assert not bridge.holding
    assert p.current_track_id == loud


def test_the_window_names_the_new_song_and_its_length_as_it_is_heard(null_sink, store, qtbot, tmp_path):
    # The window itself, as the person sees it: its title, and the seek bar's length with it.
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 3.0, 0.3)
    p, window = _window_playing(store, qtbot, tmp_path)
    from PySide6.QtCore import QObject

    from player.ui import mpris

    # What the desktop's media controls are told (a D-Bus client asks the same thing)
    media = mpris.PlayerAdaptor(QObject(window), window)
    recorder = sink.MonitorRecorder(tmp_path / "monitor.raw")
    seen = []     # (window title, seek bar's length in ms, monitor frames), read on the GUI thread
    told = []     # MPRIS's title and length while the output has taken the new song, not heard yet
    meant = []    # meanwhile, the song the window's actions on "this song" (Radio from it, say) act on

    def look():
        seen.append((window.windowTitle(), window.transport.slider.maximum(), recorder._size() // 8))
        if p.current_track_id == loud and seen[-1][0].startswith("quiet"):
            meta = media._metadata()
            told.append((meta["xesam:title"], round(meta["mpris:length"] / 1e6, 1)))
            meant.append(window.shown_track_id())
        return p.state is PlaybackState.STOPPED and len(seen) > 1 and seen[-2][0].startswith("loud")

    window.play_ids([quiet, loud])
    qtbot.waitUntil(look, timeout=20000)
    recorded = recorder.stop()
    onset = int(np.flatnonzero(np.abs(recorded[:, 0]) > 1e-3)[0])
    named = next(n for title, _, n in seen if title.startswith("loud"))
    assert onset - EARLY_S * SR <= named <= onset + TICK_S * SR, f"named {(named - onset) / SR:+.3f} s from heard"
    lengths = {title.split(" ")[0]: set() for title, _, _ in seen}
    for title, length, n in seen:
        lengths[title.split(" ")[0]].add(round(length / 1000))
    # While "quiet" was named, the seek bar was its 1.5 s (shown rounded), never the 3 s of the next.
    assert 3 not in lengths["quiet"]
    assert told and set(told) == {("quiet", 1.5)}
    assert set(meant) == {quiet}


def test_a_seek_on_the_song_still_named_does_not_move_the_next_one(null_sink, store, qtbot, tmp_path):
    # In the last moments of a song, its seek bar still shown while the output has taken the
    # next: a place in the song named is no place in the next, which starts from its start.
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 4.0, 0.3)
    p, window = _window_playing(store, qtbot, tmp_path)
    sought = []
    window.seeked.connect(sought.append)
    window.play_ids([quiet, loud])
    qtbot.waitUntil(lambda: window.bridge.holding, timeout=20000)
    assert window.windowTitle().startswith("quiet")
    window.seek_to(2.5)
    qtbot.waitUntil(lambda: window.windowTitle().startswith("loud") and window._seeking is None, timeout=20000)
    assert sought == []
    assert p.current_track_id == loud and p.position < 1.5


def test_a_seek_on_the_song_still_named_leaves_its_seek_bar_and_the_desktop_untouched(null_sink, store, qtbot,
                                                                                       tmp_path):
    # The song named has gone to the output whole: none of it is left to seek in. A seek asked
    # on it (a key in the window, or the desktop's media controls on the song they show) does
    # nothing, and the seek bar stays on that song: it never shows the next song's length.
    from PySide6.QtCore import QObject
    from PySide6.QtDBus import QDBusObjectPath

    from player.ui import mpris

    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 4.0, 0.3)
    p, window = _window_playing(store, qtbot, tmp_path)
    media = mpris.PlayerAdaptor(QObject(window), window)
    sought = []
    window.seeked.connect(sought.append)
    window.play_ids([quiet, loud])
    qtbot.waitUntil(lambda: window.bridge.holding, timeout=20000)
    shown = []     # (title, seek bar's length in ms) right after each ask, all on the GUI thread
    window.seek_to(0.5)
    shown.append((window.windowTitle(), window.transport.slider.maximum()))
    window.seek_by(-1.0)
    shown.append((window.windowTitle(), window.transport.slider.maximum()))
    media.Seek(-1_000_000)
    shown.append((window.windowTitle(), window.transport.slider.maximum()))
    # (past the end of the song named is past the next song's too, reckoned from its start:
    # a Next nobody asked of the song they have not heard yet)
    media.Seek(10_000_000)
    shown.append((window.windowTitle(), window.transport.slider.maximum()))
    media.SetPosition(QDBusObjectPath(mpris.track_path(quiet)), 500_000)
    shown.append((window.windowTitle(), window.transport.slider.maximum()))
    assert [(title.split(" ")[0], length) for title, length in shown] == [("quiet", 1500)] * 5
    qtbot.waitUntil(lambda: window.windowTitle().startswith("loud") and window._seeking is None, timeout=20000)
    assert sought == []
    assert p.current_track_id == loud and p.position < 1.5


@pytest.mark.parametrize("asked_from", ["button", "row"])
def test_radio_from_the_song_still_named_follows_it_without_starting_it_again(null_sink, store, qtbot, tmp_path,
                                                                               asked_from):
    # "Radio from this song" pressed in a song's last moments, the next one taken by the output
    # and not heard yet: the person asked for more like the song they see and hear. The station
    # is seeded from it, and it is not started again over what it leads to (it played whole).
    # The same from the song's row (the library's or Up next's menu) as from the Now-playing button.
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    # (long: on a loaded machine the station may take seconds to be found, the song playing on)
    loud = _add(store, tmp_path, "loud", 20.0, 0.3)
    others = {_add(store, tmp_path, f"other {n}", 1.0, 0.0) for n in range(4)}
    p, window = _window_playing(store, qtbot, tmp_path)
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=20000)
    window.play_ids([quiet, loud])
    qtbot.waitUntil(lambda: window.bridge.holding, timeout=20000)
    assert window.windowTitle().startswith("quiet")
    if asked_from == "button":
        window.radio_from_current()
    else:
        window.library.radio_requested.emit(quiet)      # as the row's "Radio from this song" sends it
    qtbot.waitUntil(lambda: p.station_seed == quiet and len(p.queue) > 0, timeout=20000)
    assert {e.track_id for e in p.queue} <= others
    qtbot.waitUntil(lambda: window.windowTitle().startswith("loud"), timeout=20000)
    p.stop()
    assert [(r["track_id"], r["ended"]) for r in store.plays()] == [(quiet, "finished"), (loud, "stopped")]


def test_the_desktop_reads_the_song_still_named_at_its_end(null_sink, store, qtbot, tmp_path):
    # The desktop's media controls name the song still heard, with its length: the position they
    # read is that song's end too, as the window's seek bar shows it, not the next song's place
    # (its start), which put the bar under the old title back at its beginning for a moment.
    from PySide6.QtCore import QObject

    from player.ui import mpris

    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 3.0, 0.3)
    p, window = _window_playing(store, qtbot, tmp_path)
    media = mpris.PlayerAdaptor(QObject(window), window)
    told = []       # (title, length, position) as the desktop reads them while "quiet" is named

    def look():
        if window.bridge.holding:
            meta = media._metadata()
            told.append((meta["xesam:title"], meta["mpris:length"], media._position()))
        return window.windowTitle().startswith("loud")

    window.play_ids([quiet, loud])
    qtbot.waitUntil(look, timeout=20000)
    assert told, "the hand-over was never seen"
    assert set(told) == {("quiet", 1_500_000, 1_500_000)}


def test_stop_after_this_song_asked_on_the_song_still_named_stops_before_the_next(null_sink, store, qtbot,
                                                                                   tmp_path):
    # "Stop after this song" pressed in a song's last moments, the next one taken by the output
    # and not heard yet: the person asked to stop after the song they see and hear. The next
    # one does not play on: the music stops, it waits at the head of Up next for Play, it is
    # never named, and its play (nothing heard) is no skip.
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 20.0, 0.3)
    after = _add(store, tmp_path, "after", 1.0, 0.0)
    p, window = _window_playing(store, qtbot, tmp_path)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=20000)
    named = []
    window.bridge.track_started.connect(lambda data: named.append(data["track_id"]))
    window.play_ids([quiet, loud, after])
    qtbot.waitUntil(lambda: window.bridge.holding, timeout=20000)
    assert window.windowTitle().startswith("quiet")
    window.set_stop_after(True)
    qtbot.waitUntil(lambda: p.state is PlaybackState.STOPPED and not window.bridge.holding, timeout=20000)
    assert p.current_track_id is None
    assert [e.track_id for e in p.queue] == [loud, after]
    assert loud not in named
    assert not p.stop_after
    qtbot.waitUntil(lambda: not window.act_stop_after.isChecked(), timeout=20000)
    plays = [(r["track_id"], r["ended"], r["ms_heard"]) for r in store.plays()]
    assert plays[0][:2] == (quiet, "finished")
    assert plays[1:] == [(loud, "stopped", 0)]


def test_the_output_switched_while_the_next_song_waits_to_be_heard_names_it_as_the_new_output_plays_it(
        played, store, qtbot, tmp_path):
    # The output changed in a song's last moments, the next one taken by the old output and not
    # heard yet: the new output plays it at its own time, and the title changes then, not at
    # the time the old output would have played it.
    p, bridge, recorder, told = played
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    loud = _add(store, tmp_path, "loud", 1.5, 0.3)
    p.play_tracks([quiet, loud], 0)
    qtbot.waitUntil(lambda: _when(told, "logged", loud) is not None, timeout=20000)
    assert bridge.holding
    p.engine.set_device(None)     # (the same null sink, opened anew as another device would be)
    qtbot.waitUntil(lambda: _when(told, "shown", loud) is not None, timeout=20000)
    qtbot.waitUntil(lambda: p.state is PlaybackState.STOPPED, timeout=20000)
    recorded = recorder.stop()
    loud_at = np.flatnonzero(np.abs(recorded[:, 0]) > 1e-3)
    assert len(loud_at), "nothing was heard"
    onset = int(loud_at[0])
    shown, _ = _when(told, "shown", loud)
    assert shown >= onset - EARLY_S * SR, f"named {(onset - shown) / SR:.3f} s before it was heard"
    assert shown <= onset + TICK_S * SR, f"named {(shown - onset) / SR:.3f} s after it was heard"


def test_stop_after_this_song_asked_on_the_song_still_named_under_repeat_one_leaves_up_next_as_it_is(
        played, store, qtbot, tmp_path):
    # Repeating one song, the output takes its next lap ahead of the sound: stopped before that
    # lap is heard, Up next stays as a stop asked earlier in the song leaves it (the lap was
    # never in it, and Play goes on with Up next's head as it would then).
    p, bridge, recorder, told = played
    quiet = _add(store, tmp_path, "quiet", 1.5, 0.0)
    after = _add(store, tmp_path, "after", 1.0, 0.0)
    p.play_tracks([quiet, after], 0)
    p.set_repeat("one")
    qtbot.waitUntil(lambda: bridge.holding, timeout=20000)
    p.set_stop_after(True, ending=True)
    qtbot.waitUntil(lambda: p.state is PlaybackState.STOPPED, timeout=20000)
    assert [e.track_id for e in p.queue] == [after]
    assert [(r["track_id"], r["ended"], r["ms_heard"]) for r in store.plays()][1:] == [(quiet, "stopped", 0)]


def test_paused_the_seek_bar_follows_the_sound_to_its_end_and_play_goes_on_from_there(null_sink, store, qtbot,
                                                                                      tmp_path):
    # After Pause the output still plays what it took (its latency), then fades. The seek bar
    # follows the sound to where it stopped, which is where Play goes on: it stayed at the
    # place of the Pause, and jumped ahead by the latency and more at Play.
    song = _add(store, tmp_path, "song", 8.0, 0.3)
    p, window = _window_playing(store, qtbot, tmp_path)
    shown = []
    window.transport.position_shown.connect(shown.append)
    window.play_ids([song])
    qtbot.waitUntil(lambda: p.state is PlaybackState.PLAYING and p.position > 1.5, timeout=20000)
    window.toggle_play()
    qtbot.waitUntil(lambda: p.state is PlaybackState.PAUSED, timeout=10000)
    paused_at = p.position
    qtbot.waitUntil(lambda: not p.engine._still_sounding(), timeout=10000)
    goes_on = p.position
    assert goes_on > paused_at + LATENCY_S / 2, "the output played nothing on after the pause"
    qtbot.waitUntil(lambda: window.transport.play_btn.accessibleName() == "Play", timeout=5000)
    # (the bar's timer ticks when a loaded event loop gets to it: waited for, then said below)
    with contextlib.suppress(qtbot.TimeoutError):
        qtbot.waitUntil(lambda: shown and abs(shown[-1] - goes_on) < 0.05, timeout=5000)
    assert shown[-1] == pytest.approx(goes_on, abs=0.05), \
        f"the bar shows {shown[-1]:.3f} s, Play goes on from {goes_on:.3f} s"
    qtbot.waitUntil(lambda: not window._position_timer.isActive(), timeout=5000)    # (then it rests)
    assert shown[-1] == pytest.approx(goes_on, abs=0.05), \
        f"the bar rests at {shown[-1]:.3f} s, Play goes on from {goes_on:.3f} s"
    n = len(shown)
    window.toggle_play()
    qtbot.waitUntil(lambda: len(shown) > n + 2, timeout=10000)
    steps = np.diff([goes_on] + shown[n:])
    assert steps.max() < 0.5 and steps.min() > -0.05, f"the bar moved by {steps} at Play"
