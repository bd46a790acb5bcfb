"""MPRIS: a desktop media control (gdbus here) drives the real window over a private session bus."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from player.ui import mpris

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("dbus-daemon") or not shutil.which("gdbus")
    or mpris.QDBusAbstractAdaptor is None, reason="needs Linux, dbus-daemon, gdbus and QtDBus")


@pytest.fixture(scope="module")
def session_bus():
    """One private session bus for the module: Qt connects to the session bus once per process."""
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = daemon.stdout.readline().strip()
    old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    yield address
    if old is None:
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    else:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = old
    daemon.terminate()
    daemon.wait(5)


@pytest.fixture
def bus(session_bus):
    """The private session bus, where Qt's own connection is to it."""
    from PySide6.QtDBus import QDBusConnection

    if not QDBusConnection.sessionBus().isConnected():
        pytest.skip("Qt opened its session-bus connection before this test set the address "
                    "(e.g. the xcb platform theme)")
    return session_bus


def _serve(window) -> mpris.Mpris:
    """The window's MPRIS service, started on the bus."""
    service = mpris.start_mpris(window)
    assert service is not None
    return service


def _gdbus(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["gdbus", "call", "--session", "--dest", mpris.SERVICE, "--object-path", mpris.PATH,
                           "--method", *args], capture_output=True, text=True, timeout=20)


@contextlib.contextmanager
def _monitor():
    """What a desktop widget hears from the player: ``gdbus monitor`` of its name, the lines it
    prints as they come (read on a thread), stopped when the block ends."""
    monitor = subprocess.Popen(["gdbus", "monitor", "--session", "--dest", mpris.SERVICE],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    listener = threading.Thread(target=lambda: lines.extend(iter(monitor.stdout.readline, "")), daemon=True)
    listener.start()
    try:
        # It says who owns the name once the bus has answered it, and so after the bus took its
        # match for the signals: only from then on is nothing the player says missed. Starting
        # gdbus on a busy machine can take longer than what the test does next.
        deadline = time.monotonic() + 20
        while not any("owned by" in line or "does not have an owner" in line for line in lines):
            assert time.monotonic() < deadline and monitor.poll() is None, f"gdbus monitor did not start: {lines}"
            time.sleep(0.02)
        yield lines
    finally:
        monitor.terminate()
        monitor.wait(10)
        listener.join(10)


def _in_thread(qtbot, fn):
    """Run a blocking D-Bus client call while the GUI loop answers it."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", fn()))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20000)
    return out["r"]


def test_media_controls_play_pause_and_read_metadata(qtbot, bus, scanned, make_window):
    window = make_window(scanned)
    service = _serve(window)
    try:
        status = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Get", mpris.PLAYER_IFACE,
                                                  "PlaybackStatus"))
        assert "'Stopped'" in status.stdout, status.stderr
        window.library.table.selectRow(0)
        first = window.model.track_id(0)
        result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".PlayPause"))
        assert result.returncode == 0, result.stderr
        qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
        meta = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Get", mpris.PLAYER_IFACE,
                                                "Metadata"))
        title = window.model.index(0, 1).data()
        assert f"'xesam:title': <'{title}'>" in meta.stdout
        status = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Get", mpris.PLAYER_IFACE,
                                                  "PlaybackStatus"))
        assert "'Playing'" in status.stdout
        _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Next"))
        qtbot.waitUntil(lambda: window.player.current_track_id == window.model.track_id(1), timeout=10000)
    finally:
        service.close()


def _get(qtbot, prop: str) -> str:
    out = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Get", mpris.PLAYER_IFACE, prop))
    assert out.returncode == 0, out.stderr
    return out.stdout


def _set(qtbot, prop: str, value: str) -> None:
    out = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Set", mpris.PLAYER_IFACE, prop, value))
    assert out.returncode == 0, out.stderr


def test_media_controls_seek_set_position_and_volume(qtbot, bus, scanned, make_window):
    from player.audio.base import PlaybackState

    window = make_window(scanned)
    service = _serve(window)
    # A client listening for the Seeked signal, as desktop widgets do.
    with _monitor() as lines:
        try:
            assert "false" in _get(qtbot, "CanSeek")                     # (nothing to seek in yet)
            first = window.model.track_id(0)
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            qtbot.waitUntil(lambda: "true" in _get(qtbot, "CanSeek"), timeout=5000)
            window.pause()
            qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
            # Seek: relative, in microseconds, from where it paused (a moment in, more on a busy machine).
            paused = window.player.position
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Seek", "2000000"))
            assert result.returncode == 0, result.stderr
            qtbot.waitUntil(lambda: abs(window.player.position - (paused + 2.0)) < 0.15, timeout=5000)
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Seek", "--", "-1500000"))
            assert result.returncode == 0, result.stderr
            qtbot.waitUntil(lambda: abs(window.player.position - (paused + 0.5)) < 0.15, timeout=5000)
            assert "int64 " in _get(qtbot, "Position")
            # SetPosition: absolute, only for the track named.
            track = mpris.track_path(first)
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".SetPosition", track, "2500000"))
            assert result.returncode == 0, result.stderr
            qtbot.waitUntil(lambda: abs(window.player.position - 2.5) < 0.15, timeout=5000)
            other = mpris.track_path(first + 1000)
            _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".SetPosition", other, "100000"))
            qtbot.wait(300)
            assert abs(window.player.position - 2.5) < 0.15           # another track's position: ignored
            assert f"objectpath '{track}'" in _get(qtbot, "Metadata")
            # Volume: read and written as a property.
            window.transport.volume.setValue(40)
            assert "0.4" in _get(qtbot, "Volume")
            _set(qtbot, "Volume", "<0.65>")
            qtbot.waitUntil(lambda: window.transport.volume.value() == 65, timeout=5000)
            assert abs(window.player.volume - 0.65 ** 3) < 1e-6     # (the slider goes by loudness)
            # PropertiesChanged told the desktop. The signal leaves on Qt's D-Bus thread: the
            # listener is given the time to hear it before it is stopped.
            qtbot.waitUntil(lambda: any("'Volume': <0.65" in line for line in lines), timeout=5000)
            # Muted, the desktop is told the music is silent (its control showed the slider's
            # volume over silence), and setting a volume from there unmutes at it.
            window.act_mute.trigger()
            assert "0.0" in _get(qtbot, "Volume")
            qtbot.waitUntil(lambda: any("'Volume': <0.0" in line for line in lines), timeout=5000)
            _set(qtbot, "Volume", "<0.5>")
            qtbot.waitUntil(lambda: not window.transport.muted, timeout=5000)
            assert window.transport.volume.value() == 50 and abs(window.player.volume - 0.5 ** 3) < 1e-6
            window.act_mute.trigger()                   # and at the level the slider already has
            _set(qtbot, "Volume", "<0.5>")
            qtbot.waitUntil(lambda: not window.transport.muted, timeout=5000)
        finally:
            service.close()
    seen = "".join(lines)
    seeked = [int(v) for v in re.findall(r"Seeked \(int64 (\d+),\)", seen)]
    assert len(seeked) == 3 and abs(seeked[0] - (paused * 1e6 + 2_000_000)) < 150_000 and seeked[2] == 2_500_000, seen


def test_a_seek_in_the_window_tells_the_desktop(qtbot, bus, scanned, make_window):
    # Seeked came only after a seek asked over D-Bus: after one with the slider or the keys a
    # desktop widget's progress bar ran on from the old place, as the spec tells it to assume.
    from player.audio.base import PlaybackState

    window = make_window(scanned)
    service = _serve(window)
    with _monitor() as lines:
        def seeked() -> list[int]:
            return [int(v) for v in re.findall(r"Seeked \(int64 (\d+),\)", "".join(lines))]

        try:
            first = window.model.track_id(0)
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            window.pause()
            qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
            qtbot.waitUntil(lambda: "PropertiesChanged" in "".join(lines), timeout=5000)    # the monitor listens
            window.seek_to(2.0)                       # the slider let go at 0:02
            qtbot.waitUntil(lambda: seeked() == [2_000_000], timeout=5000)
            window.seek_by(-1.5)                      # the Left key
            qtbot.waitUntil(lambda: seeked() == [2_000_000, 500_000], timeout=5000)
            assert abs(window.player.position - 0.5) < 0.15
        finally:
            service.close()


def test_a_long_track_whose_place_lies_past_its_files_end_tells_the_desktop_it_starts_at_0(
        qtbot, bus, scanned, make_window, monkeypatch):
    # Announced where it was left (the desktop reads Position as the song starts), it began
    # from its start: a desktop widget's progress bar ran that far ahead of the music.
    from tests.audiogen import write_track

    monkeypatch.setattr("player.playback.RESUME_LONGER_THAN_S", 2.0)     # the 3 s songs are long
    monkeypatch.setattr("player.playback.RESUME_MARGIN_S", 0.3)
    row = scanned.tracks()[0]
    scanned.set_resume_position(row["id"], 2.5)
    path = Path(row["path"])                    # re-encoded to 1 s since, not scanned again
    write_track(path.parent, path.stem, fmt=path.suffix[1:], seconds=1.0, tags={"title": row["title"]})
    window = make_window(scanned)
    service = _serve(window)
    with _monitor() as lines:
        try:
            def heard() -> bool:        # the monitor hears the service (a volume changed until it does)
                window.transport.volume.setValue(61 - window.transport.volume.value() % 2)
                return "PropertiesChanged" in "".join(lines)

            qtbot.waitUntil(heard, timeout=5000)
            started = []
            window.bridge.track_started.connect(started.append)
            window.play_ids([row["id"]], 0, "library")
            qtbot.waitUntil(lambda: bool(started), timeout=5000)
            # Started where it was left, it is said to start at 0 at once; or the engine found
            # the place past the end before the play was logged (the output is started first)
            # and the song was announced at 0, where the desktop reads it: no jump to tell.
            if started[0]["at"]:
                qtbot.waitUntil(lambda: re.search(r"Seeked \(int64 0,\)", "".join(lines)) is not None, timeout=5000)
            else:
                assert started[0]["resumed_at"] == 0.0
                assert re.search(r"Seeked \(int64 [1-9]", "".join(lines)) is None
        finally:
            service.close()


def test_raise_brings_the_window_back_as_it_was(qtbot, bus, scanned, make_window):
    # Raise (and a second launch: a song opened from the file manager) made a maximised
    # window small again.
    from PySide6.QtCore import Qt

    from player.ui.main import _second_launch

    window = make_window(scanned)
    service = _serve(window)
    try:
        window.showMaximized()
        qtbot.waitUntil(window.isMaximized, timeout=5000)
        result = _in_thread(qtbot, lambda: _gdbus("org.mpris.MediaPlayer2.Raise"))
        assert result.returncode == 0, result.stderr
        qtbot.wait(200)
        assert window.isMaximized() and window.isVisible()
        window.setWindowState(Qt.WindowMaximized | Qt.WindowMinimized)
        qtbot.waitUntil(window.isMinimized, timeout=5000)
        _second_launch(window, {"argv": [], "open": []})
        assert not window.isMinimized() and window.isMaximized()
    finally:
        service.close()


def test_the_desktop_is_shown_the_cover_of_the_song_playing(qtbot, bus, scanned, make_window):
    # Metadata had no mpris:artUrl: a desktop's sound menu showed no cover.
    from PySide6.QtGui import QColor, QImage
    from urllib.parse import unquote, urlsplit

    rows = {row["id"]: row["path"] for row in scanned.tracks()}
    window = make_window(scanned)
    window_track = window.model.track_id(0)
    folder = os.path.dirname(rows[window_track])
    others = [t for t, p in rows.items() if os.path.dirname(p) != folder]
    picture = QImage(300, 300, QImage.Format_RGB32)
    picture.fill(QColor(200, 30, 40))
    assert picture.save(os.path.join(folder, "cover.png"))
    service = _serve(window)
    try:
        window.play_ids([window_track, others[0]], 0, "library")
        qtbot.waitUntil(lambda: "mpris:artUrl" in _get(qtbot, "Metadata"), timeout=10000)
        url = re.search(r"'mpris:artUrl': <'(file://[^']+)'>", _get(qtbot, "Metadata")).group(1)
        shown = QImage(unquote(urlsplit(url).path))
        assert not shown.isNull() and shown.pixelColor(10, 10) == QColor(200, 30, 40)
        window.next_track()                      # a song with no cover: no picture, not the last one's
        qtbot.waitUntil(lambda: window.player.current_track_id == others[0], timeout=10000)
        qtbot.wait(500)
        assert "mpris:artUrl" not in _get(qtbot, "Metadata")
    finally:
        service.close()


def test_a_desktop_opens_a_file_by_its_uri(qtbot, bus, scanned, make_window, tmp_path):
    # SupportedUriSchemes and SupportedMimeTypes told desktops that OpenUri plays files, but
    # there was no OpenUri: the call failed as an unknown method.
    from urllib.parse import quote

    from tests.audiogen import write_track

    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    service = _serve(window)
    song = write_track(tmp_path / "Downloads", "a song", fmt="flac", seconds=20.0, tags={"title": "From the web"})
    try:
        result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".OpenUri", "https://example.org/a.mp3"))
        assert result.returncode == 0, result.stderr                       # not a file: nothing happens
        qtbot.wait(300)
        assert window.player.current_track_id is None
        result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".OpenUri", "file://" + quote(str(song))))
        assert result.returncode == 0, result.stderr
        qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
        assert scanned.track(window.player.current_track_id)["path"] == str(song)
    finally:
        service.close()


def test_next_is_offered_only_when_a_song_follows(qtbot, bus, scanned, make_window):
    # CanGoNext said yes with nothing to go on to: a desktop showed a Next button that stopped
    # the music.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            first, second = window.model.track_id(0), window.model.track_id(1)
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            assert "false" in _get(qtbot, "CanGoNext")                   # nothing queued, nothing suggested
            # (the monitor listens once it has found the player: a signal sent before is not seen)
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.enqueue([second])
            qtbot.waitUntil(lambda: "true" in _get(qtbot, "CanGoNext"), timeout=5000)
            # ... and the desktop is told, as the queue changes, without asking.
            qtbot.waitUntil(lambda: "'CanGoNext': <true>" in "".join(lines), timeout=5000)
            window.player.remove_queue_entries(window.player.queue)
            qtbot.waitUntil(lambda: "false" in _get(qtbot, "CanGoNext"), timeout=5000)
            window.player.keep_going = True
            assert "true" in _get(qtbot, "CanGoNext")                    # Keep it going finds one
        finally:
            service.close()


def test_next_on_the_last_song_with_keep_it_going_off_does_nothing(qtbot, bus, scanned, make_window):
    # The last song playing, nothing queued, Keep it going off: CanGoNext is false, and a
    # desktop greys its Next button, yet a headset's or keyboard's Next key (sent anyway) stopped
    # the music. The MPRIS spec: where CanGoNext is false, Next has no effect.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    try:
        first = window.model.track_id(0)
        window.player.keep_going = False
        window.play_ids([first], 0, "library")
        qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
        assert "false" in _get(qtbot, "CanGoNext")
        assert _in_thread(qtbot, lambda: _gdbus(f"{mpris.PLAYER_IFACE}.Next")).returncode == 0
        qtbot.waitUntil(lambda: window._nexts_asked == 0, timeout=10000)   # (a Next asked is done)
        assert window.player.current_track_id == first and "'Playing'" in _get(qtbot, "PlaybackStatus")
        # A Seek past the end acts as Next does, the spec says: nothing here either.
        assert _in_thread(qtbot, lambda: _gdbus(f"{mpris.PLAYER_IFACE}.Seek", "3600000000")).returncode == 0
        qtbot.waitUntil(lambda: window._nexts_asked == 0, timeout=10000)
        assert window.player.current_track_id == first and "'Playing'" in _get(qtbot, "PlaybackStatus")
    finally:
        service.close()


def test_next_on_the_last_song_set_to_stop_after_it_does_nothing(qtbot, bus, scanned, make_window):
    # The last song (paused: it is a short one), Keep it going on and still ranking, but Stop
    # after this song set: Next stops the music (Keep it going does not go on after it), yet
    # CanGoNext said yes, and a headset's Next key let go of the song the person meant to hear.
    import threading

    from player.audio.base import PlaybackState

    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    ranking = threading.Event()
    with _monitor() as lines:
        try:
            first = window.model.track_id(0)
            window.player.keep_going = False
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            window.player.pause()
            qtbot.waitUntil(lambda: window.player.state is PlaybackState.PAUSED, timeout=5000)
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.player.set_queue_filler(lambda player, replacing=0: ranking.wait(30) and [])
            window.player.keep_going = True
            assert "true" in _get(qtbot, "CanGoNext")                    # Keep it going finds one
            window.set_stop_after(True)
            qtbot.waitUntil(lambda: window.player.stop_after, timeout=5000)
            assert not len(window.player.queue) and window.player.keep_going
            qtbot.waitUntil(lambda: "false" in _get(qtbot, "CanGoNext"), timeout=5000)
            qtbot.waitUntil(lambda: "'CanGoNext': <false>" in "".join(lines), timeout=5000)   # told, unasked
            assert _in_thread(qtbot, lambda: _gdbus(f"{mpris.PLAYER_IFACE}.Next")).returncode == 0
            qtbot.waitUntil(lambda: window._nexts_asked == 0, timeout=10000)
            assert window.player.current_track_id == first and "'Paused'" in _get(qtbot, "PlaybackStatus")
        finally:
            ranking.set()
            service.close()


def test_next_is_not_offered_to_the_desktop_where_the_window_greys_it(qtbot, bus, scanned, make_window):
    # Stopped with nothing queued and Keep it going on, the window greyed Next (it does nothing
    # then: Keep it going does not start the music) while a desktop showed a Next button.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            first = window.model.track_id(0)
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.player.keep_going = True
            qtbot.waitUntil(lambda: "true" in _get(qtbot, "CanGoNext"), timeout=5000)
            qtbot.waitUntil(lambda: "'CanGoNext': <true>" in "".join(lines), timeout=5000)
            told = len(lines)
            window.stop()
            qtbot.waitUntil(lambda: "'Stopped'" in _get(qtbot, "PlaybackStatus"), timeout=10000)
            window.player.remove_queue_entries(window.player.queue)
            qtbot.waitUntil(lambda: not window.player.queue and not window.moves()["next"], timeout=5000)
            assert window.player.keep_going
            assert "false" in _get(qtbot, "CanGoNext")
            # ... and the desktop is told, as the window greys its own, without asking.
            qtbot.waitUntil(lambda: "'CanGoNext': <false>" in "".join(lines[told:]), timeout=5000)
            assert _in_thread(qtbot, lambda: _gdbus(f"{mpris.PLAYER_IFACE}.Next")).returncode == 0
            assert window.player.current_track_id is None and not window.player.queue    # Next did nothing
        finally:
            service.close()


def test_play_and_previous_are_offered_only_where_they_do_something(qtbot, bus, store, tmp_path, make_window):
    # CanPlay and CanGoPrevious said yes with an empty library and nothing played: a desktop
    # showed Play and Previous buttons that did nothing.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    window = make_window(store)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            assert "false" in _get(qtbot, "CanPlay") and "false" in _get(qtbot, "CanGoPrevious")
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            write_track(tmp_path / "music", "a", seconds=0.5, tags={"title": "First"})
            Scanner(store).scan([str(tmp_path / "music")])
            window.reload_library()
            qtbot.waitUntil(lambda: "'CanPlay': <true>" in "".join(lines), timeout=10000)     # told, unasked
            assert "false" in _get(qtbot, "CanGoPrevious")      # nothing played yet
            window.play_ids([window.model.track_id(0)], 0, "library")
            qtbot.waitUntil(lambda: "'CanGoPrevious': <true>" in "".join(lines), timeout=10000)
            window.stop()       # (Previous goes back to the song stopped)
            qtbot.waitUntil(lambda: "'Stopped'" in _get(qtbot, "PlaybackStatus"), timeout=10000)
            assert "true" in _get(qtbot, "CanGoPrevious") and "true" in _get(qtbot, "CanPlay")
        finally:
            service.close()


def test_seek_and_pause_are_offered_only_with_a_song_to_act_on(qtbot, bus, scanned, make_window):
    # CanSeek and CanPause said yes with nothing playing: a desktop showed a seek bar and a
    # pause button that did nothing.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            assert "false" in _get(qtbot, "CanSeek") and "false" in _get(qtbot, "CanPause")
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.play_ids([window.model.track_id(0)], 0, "library")
            qtbot.waitUntil(lambda: "'CanSeek': <true>" in "".join(lines), timeout=10000)
            assert "true" in _get(qtbot, "CanSeek") and "true" in _get(qtbot, "CanPause")
            window.pause()      # (told once, as they change: not again with each state)
            qtbot.waitUntil(lambda: any("'PlaybackStatus': <'Paused'>" in line for line in lines), timeout=10000)
            assert not any("'Paused'" in line and "CanSeek" in line for line in lines)
            window.stop()
            qtbot.waitUntil(lambda: "'CanSeek': <false>" in "".join(lines), timeout=10000)
            assert "false" in _get(qtbot, "CanPause")
        finally:
            service.close()


def test_the_desktop_is_told_the_album_artist_of_an_album_and_of_a_compilation(qtbot, bus, store, tmp_path,
                                                                                make_window):
    # A desktop's media control names the album by its album artist: none was sent, so a
    # compilation's track showed only its own artist. One without an album artist tag is
    # "Various Artists"'s, as the library orders it; a track with neither sends none.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    write_track(music / "Best", "01", seconds=0.3, tags={
        "title": "Hit", "artist": "Singer feat. Guest", "album": "Best Of", "albumartist": "Singer", "tracknumber": 1})
    write_track(music / "Now", "01", seconds=0.3, tags={
        "title": "Song", "artist": "Band", "album": "Now Music", "compilation": "1", "tracknumber": 1})
    write_track(music / "Loose", "01", seconds=0.3, tags={"title": "Alone", "artist": "Solo", "album": "Demo"})
    Scanner(store).scan([str(music)])
    window = make_window(store)
    service = _serve(window)
    try:
        shown = {}
        for row in range(window.model.rowCount()):
            track_id = window.model.track_id(row)
            window.player.play_track(track_id)
            qtbot.waitUntil(lambda: window.player.current_track_id == track_id, timeout=10000)
            meta = _in_thread(qtbot, lambda: _gdbus("org.freedesktop.DBus.Properties.Get", mpris.PLAYER_IFACE,
                                                    "Metadata"))
            title = re.search(r"'xesam:title': <'([^']*)'>", meta.stdout).group(1)
            found = re.search(r"'xesam:albumArtist': <\['([^']*)'\]>", meta.stdout)
            shown[title] = found.group(1) if found else None
    finally:
        service.close()
    assert shown == {"Hit": "Singer", "Song": "Various Artists", "Alone": None}


def test_the_desktop_follows_the_song_playing_that_a_rescan_merged_into_its_copy(qtbot, bus, scanned, make_window):
    # The song playing moved to another folder and the library scanned again: the player plays
    # on as the copy. The desktop was told nothing of the new track id, and the cover, kept
    # for the track merged away, was no longer given for the song playing.
    from PySide6.QtGui import QColor, QImage

    from player.library.scanner import Scanner

    song = scanned.tracks()[0]
    original = Path(song["path"])
    picture = QImage(300, 300, QImage.Format_RGB32)
    picture.fill(QColor(200, 30, 40))
    assert picture.save(str(original.parent / "cover.png"))
    (original.parent.parent / "Copies").mkdir()
    shutil.copy2(original, original.parent.parent / "Copies" / original.name)
    Scanner(scanned).scan()
    copy = scanned.track_by_path(str(original.parent.parent / "Copies" / original.name))["id"]
    window = make_window(scanned)
    service = _serve(window)
    try:
        window.play_ids([song["id"]], 0, "library")
        qtbot.waitUntil(lambda: "mpris:artUrl" in _get(qtbot, "Metadata"), timeout=10000)
        original.unlink()
        with _monitor() as heard:
            window.scan(None)
            qtbot.waitUntil(lambda: window.player.current_track_id == copy and window._scan is None, timeout=20000)
            qtbot.waitUntil(lambda: any(mpris.track_path(copy) in line for line in heard), timeout=10000)
        metadata = _get(qtbot, "Metadata")
        assert mpris.track_path(copy) in metadata and "mpris:artUrl" in metadata
    finally:
        service.close()


def test_the_desktop_shows_and_sets_shuffle_as_the_window_does(qtbot, bus, scanned, make_window):
    # There was no Shuffle property: a desktop's player widget could neither show shuffle nor
    # turn it on. Turned on from there it shuffles the way the person last chose (by album
    # here), and a change in the window is told to the desktop without its asking.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.play_ids([window.model.track_id(i) for i in range(window.model.rowCount())], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
            assert "false" in _get(qtbot, "Shuffle")
            window.act_shuffle_albums.trigger()                 # Shuffle by album, from the menu
            qtbot.waitUntil(lambda: window.player.shuffle and window.player.shuffle_albums, timeout=5000)
            qtbot.waitUntil(lambda: "'Shuffle': <true>" in "".join(lines), timeout=5000)
            assert "true" in _get(qtbot, "Shuffle")
            _set(qtbot, "Shuffle", "<false>")
            qtbot.waitUntil(lambda: not window.player.shuffle, timeout=5000)
            qtbot.waitUntil(lambda: "'Shuffle': <false>" in "".join(lines), timeout=5000)
            # (shown once the command is answered, which may come after the player's word)
            qtbot.waitUntil(lambda: not window.act_shuffle.isChecked() and not window.transport.shuffle_btn.isChecked(),
                            timeout=5000)
            _set(qtbot, "Shuffle", "<true>")
            qtbot.waitUntil(lambda: window.player.shuffle, timeout=5000)
            assert window.player.shuffle_albums                 # the way the person chose, kept
            qtbot.waitUntil(lambda: window.transport.shuffle_btn.isChecked(), timeout=5000)
        finally:
            service.close()


def test_the_desktop_shows_and_sets_repeat_as_loop_status(qtbot, bus, scanned, make_window):
    # There was no LoopStatus property: a desktop's repeat button showed nothing and did
    # nothing. "None", "Track" and "Playlist" are the window's off, one and all.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.play_ids([window.model.track_id(0), window.model.track_id(1)], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
            assert "'None'" in _get(qtbot, "LoopStatus")
            window.act_repeat["one"].trigger()                  # from the window's menu
            qtbot.waitUntil(lambda: window.player.repeat == "one", timeout=5000)
            qtbot.waitUntil(lambda: "'LoopStatus': <'Track'>" in "".join(lines), timeout=5000)
            assert "'Track'" in _get(qtbot, "LoopStatus")
            _set(qtbot, "LoopStatus", "<'Playlist'>")
            qtbot.waitUntil(lambda: window.player.repeat == "all", timeout=5000)
            qtbot.waitUntil(lambda: "'LoopStatus': <'Playlist'>" in "".join(lines), timeout=5000)
            qtbot.waitUntil(lambda: window.act_repeat["all"].isChecked(), timeout=5000)
            _set(qtbot, "LoopStatus", "<'Sometimes'>")          # not a status: nothing changes
            answered = []       # (a command after it: the player has done whatever it was told)
            window._command(lambda p: None, lambda result, error: answered.append(1))
            qtbot.waitUntil(lambda: bool(answered), timeout=5000)
            assert window.player.repeat == "all" and "'Playlist'" in _get(qtbot, "LoopStatus")
            _set(qtbot, "LoopStatus", "<'None'>")
            qtbot.waitUntil(lambda: window.player.repeat == "off", timeout=5000)
            qtbot.waitUntil(lambda: "'LoopStatus': <'None'>" in "".join(lines), timeout=5000)
        finally:
            service.close()


def test_the_desktop_is_told_track_and_disc_number_genre_and_the_persons_stars(qtbot, bus, store, tmp_path,
                                                                                make_window):
    # Metadata held title, artists, album and length only: a desktop showed no track number,
    # genre or rating. The stars are the person's own (0.2 a star), told as they change;
    # what a track has no tag for is left out, not sent as 0. (The disc is told where the
    # album has two or more, as the window's "#" column shows it.)
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    write_track(music / "Set", "1-01", seconds=5.0, tags={
        "title": "First", "artist": "Band", "album": "Set", "tracknumber": "1", "discnumber": "1"})
    write_track(music / "Set", "2-03", seconds=5.0, tags={
        "title": "Tagged", "artist": "Band", "album": "Set", "genre": "Jazz", "tracknumber": "3", "discnumber": "2"})
    write_track(music / "Loose", "bare", seconds=5.0, tags={"title": "Bare", "artist": "Solo"})
    Scanner(store).scan([str(music)])
    window = make_window(store)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    ids = {window.model.index(r, 1).data(): window.model.track_id(r) for r in range(window.model.rowCount())}
    service = _serve(window)
    with _monitor() as lines:
        try:
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.play_ids([ids["Tagged"]], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == ids["Tagged"], timeout=10000)
            meta = _get(qtbot, "Metadata")
            assert "'xesam:trackNumber': <3>" in meta and "'xesam:discNumber': <2>" in meta, meta
            assert "'xesam:genre': <['Jazz']>" in meta and "xesam:userRating" not in meta, meta
            window.rate_tracks([ids["Tagged"]], 4)
            qtbot.waitUntil(lambda: "'xesam:userRating': <0.8" in _get(qtbot, "Metadata"), timeout=10000)
            qtbot.waitUntil(lambda: "'xesam:userRating': <0.8" in "".join(lines), timeout=5000)
            window.play_ids([ids["Bare"]], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == ids["Bare"], timeout=10000)
            meta = _get(qtbot, "Metadata")
            assert "'xesam:title': <'Bare'>" in meta
            assert not re.search(r"xesam:(trackNumber|discNumber|genre|userRating)", meta), meta
        finally:
            service.close()


def test_previous_that_restarts_the_song_tells_the_desktop(qtbot, bus, scanned, make_window, monkeypatch):
    # Previous past a song's first seconds takes it back to its start: no song starts, and
    # no Seeked was sent, so a desktop widget's progress bar ran on from the old place.
    from player.audio.base import PlaybackState

    monkeypatch.setattr("player.playback.RESTART_THRESHOLD_S", 1.0)     # (the songs are 3 s)
    window = make_window(scanned)
    service = _serve(window)
    with _monitor() as lines:
        def seeked() -> list[int]:
            return [int(v) for v in re.findall(r"Seeked \(int64 (\d+),\)", "".join(lines))]

        try:
            first = window.model.track_id(0)
            window.play_ids([first], 0, "library")
            qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
            window.pause()
            qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            window.seek_to(2.0)
            qtbot.waitUntil(lambda: seeked() == [2_000_000], timeout=5000)
            window.previous_track()                 # past the first second: back to its start
            qtbot.waitUntil(lambda: seeked() == [2_000_000, 0], timeout=5000)
            assert window.player.current_track_id == first and window.player.position < 0.15
        finally:
            service.close()


def test_the_song_left_last_time_is_shown_to_the_desktop_paused_where_it_was(qtbot, bus, scanned, make_window):
    # The window shows the song left playing at the last close, at its place, and Play goes on
    # from there; the desktop was told Stopped with no song, yet a Position of that place.
    from player.playback import STATE_SETTING

    track = scanned.tracks()[0]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [track, "library", True, 2.0]})
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    assert window.player.cued is not None
    service = _serve(window)
    try:
        assert "'Paused'" in _get(qtbot, "PlaybackStatus")
        assert f"objectpath '{mpris.track_path(track)}'" in _get(qtbot, "Metadata")
        at = int(re.search(r"int64 (\d+)", _get(qtbot, "Position")).group(1))
        assert abs(at - 2_000_000) < 150_000
        result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".PlayPause"))
        assert result.returncode == 0, result.stderr
        qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
        assert window.player.position >= 1.9                # from where it was, not from its start
        qtbot.waitUntil(lambda: "'Playing'" in _get(qtbot, "PlaybackStatus"), timeout=5000)
    finally:
        service.close()


def test_stop_of_the_song_left_last_time_tells_the_desktop_it_stopped(qtbot, bus, scanned, make_window):
    # The song left last time is shown Paused; Stop lets go of it, and no song's state
    # changes as it does: the desktop went on showing it Paused with its names.
    from player.playback import STATE_SETTING

    track = scanned.tracks()[0]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [track, "library", True, 2.0]})
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    service = _serve(window)
    with _monitor() as lines:
        try:
            qtbot.waitUntil(lambda: f"{mpris.SERVICE} is owned by" in "".join(lines), timeout=10000)
            assert "'Paused'" in _get(qtbot, "PlaybackStatus")
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Stop"))
            assert result.returncode == 0, result.stderr
            qtbot.waitUntil(lambda: window.player.cued is None, timeout=5000)
            assert "'Stopped'" in _get(qtbot, "PlaybackStatus")
            qtbot.waitUntil(lambda: "'PlaybackStatus': <'Stopped'>" in "".join(lines), timeout=5000)
        finally:
            service.close()



def test_two_quick_seeks_from_the_desktop_add_up(qtbot, bus, store, tmp_path, make_window):
    # A relative Seek went from the player's position: a second one sent before the player had
    # done the first (a desktop's +5 s pressed twice) went from the same place, 5 s on, not 10.
    window, service, paused = _long_track_paused(qtbot, store, tmp_path, make_window)
    gate = threading.Event()
    try:
        # The player is busy with a command before them: both seeks wait their turn.
        window._command(lambda p: gate.wait(30))
        for _ in range(2):
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Seek", "5000000"))
            assert result.returncode == 0, result.stderr
        gate.set()
        qtbot.waitUntil(lambda: abs(window.player.position - (paused + 10.0)) < 0.15, timeout=5000)
    finally:
        gate.set()
        service.close()


def _long_track_paused(qtbot, store, tmp_path, make_window, count=1):
    """A window with ``count`` 20 s songs queued, the first paused near its start, and its
    MPRIS service: (window, service, the first song's place)."""
    from player.audio.base import PlaybackState
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for n in range(count):
        write_track(tmp_path / "music", f"long{n}", seconds=20.0, tags={"title": f"Long {n}"})
    Scanner(store).scan([str(tmp_path / "music")])
    window = make_window(store)
    service = _serve(window)
    ids = [window.model.track_id(i) for i in range(count)]
    window.play_ids(ids, 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0] and window.player.duration > 15,
                    timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    return window, service, window.player.position


def test_position_read_right_after_a_seek_is_where_it_goes(qtbot, bus, store, tmp_path, make_window):
    # Position was the player's: read right after a Seek (a desktop does, to draw its bar, and
    # to go on from there) it was still the old place while the player had not done the seek.
    window, service, paused = _long_track_paused(qtbot, store, tmp_path, make_window)
    gate = threading.Event()
    try:
        window._command(lambda p: gate.wait(30))       # the player is busy: the seek waits its turn
        result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Seek", "5000000"))
        assert result.returncode == 0, result.stderr
        at = int(re.search(r"int64 (\d+)", _get(qtbot, "Position")).group(1))
        assert abs(at - (paused + 5.0) * 1_000_000) < 150_000
        gate.set()
        qtbot.waitUntil(lambda: window._seeking is None, timeout=5000)
        at = int(re.search(r"int64 (\d+)", _get(qtbot, "Position")).group(1))
        assert abs(at - (paused + 5.0) * 1_000_000) < 150_000
    finally:
        gate.set()
        service.close()


def test_a_seek_sent_while_its_next_is_on_its_way_moves_nothing_in_the_next_song(
        qtbot, bus, store, tmp_path, make_window):
    # A Seek past the end is Next; one more sent before the player had gone on was measured
    # from the song being left, and the player did it in the next song (3 s into it, here).
    window, service, _paused = _long_track_paused(qtbot, store, tmp_path, make_window, count=2)
    second = window.model.track_id(1)
    gate, after = threading.Event(), threading.Event()
    try:
        window._command(lambda p: gate.wait(30))
        for offset in ("25000000", "3000000"):
            result = _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Seek", offset))
            assert result.returncode == 0, result.stderr
        window._command(lambda p: None, lambda result, error: after.set())   # after all of them
        gate.set()
        qtbot.waitUntil(after.is_set, timeout=10000)
        assert window.player.current_track_id == second
        assert window.player.position < 1.5
    finally:
        gate.set()
        service.close()


def test_next_from_the_desktop_leaves_the_song_left_last_time_waiting(qtbot, bus, scanned, make_window):
    # The window greys Next with the song left last time waiting and nothing queued; a desktop's
    # Next came through all the same and let go of the song unsaid: the window and the desktop
    # went on showing it waiting, and Play then played nothing.
    from player.playback import STATE_SETTING

    track = scanned.tracks()[0]["id"]
    scanned.set_setting(STATE_SETTING, {"queue": [], "keep_going": False, "current": [track, "library", True, 2.0]})
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(lambda: window.bridge is not None and window.restored, timeout=10000)
    service = _serve(window)
    try:
        assert not window.moves()["next"] and "false" in _get(qtbot, "CanGoNext")
        assert _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".Next")).returncode == 0
        qtbot.waitUntil(lambda: not window._nexts_asked, timeout=5000)
        assert window.player.cued is not None and window.player.cued.entry.track_id == track
        assert "'Paused'" in _get(qtbot, "PlaybackStatus")
        assert _in_thread(qtbot, lambda: _gdbus(mpris.PLAYER_IFACE + ".PlayPause")).returncode == 0
        qtbot.waitUntil(lambda: window.player.current_track_id == track, timeout=10000)
        assert window.player.position >= 1.9                # from where it was
    finally:
        service.close()
