"""MPRIS: a desktop media control (gdbus here) drives the real window over a private session bus."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

import pytest

from player.ui import mpris

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("dbus-daemon") or not shutil.which("gdbus")
    or mpris.QDBusAbstractAdaptor is None, reason="needs Linux, dbus-daemon, gdbus and QtDBus")


@pytest.fixture
def session_bus(monkeypatch):
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    daemon.terminate()
    daemon.wait(5)


def _gdbus(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["gdbus", "call", "--session", "--dest", mpris.SERVICE, "--object-path", mpris.PATH,
                           "--method", *args], capture_output=True, text=True, timeout=20)


def _in_thread(qtbot, fn):
    """Run a blocking D-Bus client call while the GUI loop answers it."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("r", fn()))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20000)
    return out["r"]


def test_media_controls_play_pause_and_read_metadata(qtbot, session_bus, scanned, make_window):
    from PySide6.QtDBus import QDBusConnection

    if not QDBusConnection.sessionBus().isConnected():
        pytest.skip("Qt opened its session-bus connection before this test set the address (e.g. the xcb platform theme)")
    window = make_window(scanned)
    service = mpris.start_mpris(window)
    assert service is not None
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
