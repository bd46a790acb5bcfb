"""MPRIS on Linux: desktop media controls, media keys and lock screens drive the window.

Registers ``org.mpris.MediaPlayer2.segue`` on the session bus with the
``org.mpris.MediaPlayer2`` and ``org.mpris.MediaPlayer2.Player`` interfaces, when
PySide6's QtDBus imports and a session bus exists; otherwise :func:`start_mpris`
returns None and nothing else changes.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import ClassInfo, Property, QObject, Slot

log = logging.getLogger(__name__)
SERVICE = "org.mpris.MediaPlayer2.segue"
PATH = "/org/mpris/MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"

try:
    from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection, QDBusMessage
except ImportError:  # QtDBus missing from this PySide6 build
    QDBusAbstractAdaptor = None


if QDBusAbstractAdaptor is not None:

    @ClassInfo({"D-Bus Interface": "org.mpris.MediaPlayer2"})
    class RootAdaptor(QDBusAbstractAdaptor):
        def __init__(self, holder, window):
            super().__init__(holder)
            self._window = window

        @Slot()
        def Raise(self):
            self._window.showNormal()
            self._window.raise_()
            self._window.activateWindow()

        @Slot()
        def Quit(self):
            self._window.close()

        CanQuit = Property(bool, lambda self: True)
        CanRaise = Property(bool, lambda self: True)
        HasTrackList = Property(bool, lambda self: False)
        Identity = Property(str, lambda self: "Segue")
        DesktopEntry = Property(str, lambda self: "segue")
        SupportedUriSchemes = Property("QStringList", lambda self: ["file"])
        SupportedMimeTypes = Property("QStringList", lambda self: [
            "audio/mpeg", "audio/flac", "audio/ogg", "audio/x-wav", "audio/aiff", "audio/opus"])

    @ClassInfo({"D-Bus Interface": PLAYER_IFACE})
    class PlayerAdaptor(QDBusAbstractAdaptor):
        def __init__(self, holder, window):
            super().__init__(holder)
            self._window = window

        def _status(self) -> str:
            player = self._window.player
            if player is None or player.current_track_id is None:
                return "Stopped"
            return {"playing": "Playing", "paused": "Paused"}.get(player.state.value, "Stopped")

        def _metadata(self) -> dict:
            window = self._window
            track_id = window.current_track_id()
            if track_id is None:
                return {}
            title, artist, album, _path = window._info(track_id)
            meta = {"mpris:trackid": f"/org/segue/track/{track_id}", "xesam:title": title}
            if artist:
                meta["xesam:artist"] = [artist]
            if album:
                meta["xesam:album"] = album
            duration = window.player.duration if window.player is not None else 0.0
            if duration:
                meta["mpris:length"] = int(duration * 1_000_000)
            return meta

        @Slot()
        def PlayPause(self):
            self._window.toggle_play()

        @Slot()
        def Play(self):
            if self._status() != "Playing":
                self._window.toggle_play()

        @Slot()
        def Pause(self):
            self._window.pause()

        @Slot()
        def Stop(self):
            self._window.stop()

        @Slot()
        def Next(self):
            self._window.next_track()

        @Slot()
        def Previous(self):
            self._window.previous_track()

        PlaybackStatus = Property(str, lambda self: self._status())
        Metadata = Property("QVariantMap", lambda self: self._metadata())
        Volume = Property(float, lambda self: self._window.transport.volume.value() / 100)
        Position = Property("qlonglong", lambda self: int((self._window.player.position if self._window.player
                                                            else 0.0) * 1_000_000))
        Rate = Property(float, lambda self: 1.0)
        MinimumRate = Property(float, lambda self: 1.0)
        MaximumRate = Property(float, lambda self: 1.0)
        CanGoNext = Property(bool, lambda self: True)
        CanGoPrevious = Property(bool, lambda self: True)
        CanPlay = Property(bool, lambda self: True)
        CanPause = Property(bool, lambda self: True)
        CanSeek = Property(bool, lambda self: False)
        CanControl = Property(bool, lambda self: True)


class Mpris(QObject):
    """Holds the adaptors and announces changes (PropertiesChanged) to the desktop."""

    def __init__(self, window, bus):
        super().__init__(window)
        self.window = window
        self.bus = bus
        self.root = RootAdaptor(self, window)
        self.player = PlayerAdaptor(self, window)

    def register(self) -> bool:
        if not self.bus.registerObject(PATH, self):
            return False
        if not self.bus.registerService(SERVICE):
            self.bus.unregisterObject(PATH)
            return False
        return True

    def announce(self, *_args) -> None:
        """Tell MPRIS clients that the status and the metadata may have changed."""
        message = QDBusMessage.createSignal(PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged")
        message.setArguments([PLAYER_IFACE, {"PlaybackStatus": self.player._status(),
                                             "Metadata": self.player._metadata()}, []])
        self.bus.send(message)

    def close(self) -> None:
        self.bus.unregisterService(SERVICE)
        self.bus.unregisterObject(PATH)


def start_mpris(window) -> Mpris | None:
    """Register the window on the session bus (Linux); None where that is not possible."""
    if not sys.platform.startswith("linux") or QDBusAbstractAdaptor is None:
        return None
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        log.info("no D-Bus session bus: media controls via MPRIS are off")
        return None
    mpris = Mpris(window, bus)
    if not mpris.register():
        log.info("could not register %s on the session bus", SERVICE)
        return None

    def hook():
        window.bridge.track_started.connect(mpris.announce)
        window.bridge.state_changed.connect(mpris.announce)

    if window.bridge is not None:
        hook()
    else:
        window.player_ready.connect(hook)
    return mpris
