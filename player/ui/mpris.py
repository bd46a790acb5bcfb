"""MPRIS on Linux: desktop media controls, media keys and lock screens drive the window.

Registers ``org.mpris.MediaPlayer2.segue`` on the session bus with the
``org.mpris.MediaPlayer2`` and ``org.mpris.MediaPlayer2.Player`` interfaces, when
PySide6's QtDBus imports and a session bus exists; otherwise :func:`start_mpris`
returns None and nothing else changes.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import ClassInfo, Property, QObject, Signal, Slot

from player import APP_ID
from player.library.mime import MIME_TYPES

log = logging.getLogger(__name__)
SERVICE = "org.mpris.MediaPlayer2.segue"
PATH = "/org/mpris/MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
#: the window's repeat modes as MPRIS's LoopStatus names them, and back
LOOP_STATUS = {"off": "None", "one": "Track", "all": "Playlist"}
REPEAT_OF = {status: mode for mode, status in LOOP_STATUS.items()}

try:
    from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection, QDBusMessage, QDBusObjectPath
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
            from player.ui.opening import come_forward

            come_forward(self._window)

        @Slot()
        def Quit(self):
            self._window.close()

        CanQuit = Property(bool, lambda self: True)
        CanRaise = Property(bool, lambda self: True)
        HasTrackList = Property(bool, lambda self: False)
        Identity = Property(str, lambda self: "Segue")
        DesktopEntry = Property(str, lambda self: APP_ID)     # the installed .desktop file's name
        SupportedUriSchemes = Property("QStringList", lambda self: ["file"])
        SupportedMimeTypes = Property("QStringList", lambda self: list(MIME_TYPES))

    @ClassInfo({"D-Bus Interface": PLAYER_IFACE})
    class PlayerAdaptor(QDBusAbstractAdaptor):
        Seeked = Signal("qlonglong")      # the new position (µs) after a jump, as MPRIS asks

        def __init__(self, holder, window):
            super().__init__(holder)
            self._window = window

        def _track(self) -> int | None:
            """The song playing, else the one left playing at the last close: the window shows
            it where it was, and Play goes on from there, as from a pause."""
            # (the song still heard during a hand-over; the one a seek asked here is for)
            return self._window.song_acted_on()

        def _held(self) -> bool:
            """Whether the next song, taken by the output, is not heard yet: the window still
            shows the song before, and so do the desktop's media controls."""
            bridge = getattr(self._window, "bridge", None)
            return bridge is not None and bridge.holding

        def _status(self) -> str:
            player = self._window.player
            if player is None or self._track() is None:
                return "Stopped"
            if player.current_track_id is None:
                return "Paused"         # (the song left last time, waiting where it was)
            return {"playing": "Playing", "paused": "Paused"}.get(player.state.value, "Stopped")

        def _metadata(self) -> dict:
            window = self._window
            track_id = self._track()
            if track_id is None:
                return {}
            title, artist, album = window._info(track_id)
            meta = {"mpris:trackid": QDBusObjectPath(track_path(track_id)), "xesam:title": title}
            if artist:
                meta["xesam:artist"] = [artist]
            if album:
                meta["xesam:album"] = album
                # (what a desktop's media control names the album by: a compilation's
                # tracks each have their own artist)
                album_artist = window.model.data_.album_artist(track_id)
                if album_artist:
                    meta["xesam:albumArtist"] = [album_artist]
            meta.update(_tags(window.model.data_, track_id))
            shared = getattr(window, "shared_cover", None)
            if shared is not None and shared[0] == track_id:
                meta["mpris:artUrl"] = Path(shared[1]).as_uri()
            duration = (window._shown_length if self._held()
                        else window.player.duration if window.player is not None else 0.0)
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
            # As the spec asks, nothing where CanGoNext is false (the last song, Keep it going
            # off): a desktop greys its button then, but a headset's or keyboard's Next key is
            # sent anyway, and stopped the music the person was listening to.
            if self._can_go_next():
                self._window.next_track()

        @Slot()
        def Previous(self):
            self._window.previous_track()

        @Slot("qlonglong")
        def Seek(self, offset_us):
            """Move ``offset_us`` microseconds from where the track is; past its end is Next.
            A Seek sent again before the last one was done (a desktop's skip button pressed
            twice) goes on from where that one goes, as the window's own keys do: from the
            player's position both landed in the same place."""
            player = self._window.player
            if player is None or self._track() is None or self._held():
                # (the song shown has gone to the output whole: nothing of it is left to seek
                # in, and the position and length at hand are the next song's)
                return
            if self._window._nexts_asked:
                # A Next is on its way (a Seek just went past the end, or Next was pressed): the
                # offset is from the song being left, and would land the next one at a place
                # nobody chose. The desktop hears Seeked or the new song, and goes on from there.
                return
            target = self._window._position_shown(player) + offset_us / 1_000_000
            if player.duration and target >= player.duration:
                self.Next()     # (as the spec has it: nothing where Next would do nothing)
                return
            self._jump(max(0.0, target))

        @Slot(QDBusObjectPath, "qlonglong")
        def SetPosition(self, track, position_us):
            """Jump to ``position_us`` in ``track`` if it is still the current one (else nothing)."""
            player = self._window.player
            track_id = self._track()
            if player is None or track_id is None or self._held():
                return      # (the song shown has no place left to go to: see Seek)
            if track.path() != track_path(track_id):
                return
            seconds = position_us / 1_000_000
            if seconds < 0 or (player.duration and seconds > player.duration):
                return
            self._jump(seconds)

        @Slot(str)
        def OpenUri(self, uri):
            """Play the file a ``file:`` URI names, as ``segue FILE`` does, before what Up next
            holds. A desktop reads SupportedUriSchemes and SupportedMimeTypes as a promise that
            this works; any other scheme does nothing, as the interface asks."""
            if not uri.lower().startswith("file:"):
                return
            from player.playlist_files import file_url_path
            from player.ui.opening import open_paths

            open_paths(self._window, [file_url_path(uri)])

        def _jump(self, seconds: float) -> None:
            self._window.seek_to(seconds)       # Seeked follows, as for a seek in the window

        def _position(self) -> int:
            # Where the window shows the song: a seek sent and not yet done reads as done, as the
            # bar shows it. A desktop reads Position right after its Seek (and a second Seek goes
            # on from there): the player's own position is still the old place then.
            player = self._window.player
            if player is None or self._track() is None:
                return 0
            if self._held():
                # The song named is still heard, its last moments: at its end, as its seek bar
                # shows it. The player's position is the next song's, at its start already.
                return int(self._window._shown_length * 1_000_000)
            return int(self._window._position_shown(player) * 1_000_000)

        def _can_go_next(self) -> bool:
            # Where the window's Next does something (it greys it stopped with nothing queued,
            # Keep it going on or off: it does not start the music), and that is a song: on the
            # last song it stops the music, so a desktop's Next button is off then, unless Keep
            # it going will find a song (repeat all keeps the next round queued), which it does
            # not after a song set to stop after: Next stops the music there.
            player = self._window.player
            return (player is not None and self._window.moves()["next"]
                    and (len(player.queue) > 0 or (bool(player.keep_going) and not player.stop_after)))

        def _shuffle(self) -> bool:
            return self._window.shuffling()

        def _set_shuffle(self, on: bool) -> None:
            # (albums None: on, it shuffles the way the person last chose, by song or by album,
            # as Ctrl+U and the window's button do)
            self._window.set_shuffle(bool(on))

        def _loop_status(self) -> str:
            return LOOP_STATUS.get(self._window.repeat_mode(), "None")

        def _set_loop_status(self, status: str) -> None:
            mode = REPEAT_OF.get(str(status))
            if mode is None:        # not one of the three the interface names: nothing changes
                log.info("MPRIS LoopStatus %r is not None, Track or Playlist: ignored", status)
                return
            self._window.set_repeat(mode)

        def _volume(self) -> float:
            # Muted, the music is silent: a desktop's volume control shows it so, and setting
            # a volume from there unmutes at that level, as moving the slider does.
            transport = self._window.transport
            return 0.0 if transport.muted else transport.volume.value() / 100

        def _set_volume(self, value: float) -> None:
            transport = self._window.transport
            slider = transport.volume
            level = round(min(1.0, max(0.0, float(value))) * slider.maximum())
            if level > 0:
                # Muted, the desktop is shown 0: a volume set there is to hear the music, also
                # at the level the slider already has (where the slider's move does not come).
                transport.set_muted(False)
            slider.setValue(level)

        PlaybackStatus = Property(str, lambda self: self._status())
        Metadata = Property("QVariantMap", lambda self: self._metadata())
        Volume = Property(float, _volume, _set_volume)
        Shuffle = Property(bool, _shuffle, _set_shuffle)
        LoopStatus = Property(str, _loop_status, _set_loop_status)
        Position = Property("qlonglong", lambda self: self._position())
        Rate = Property(float, lambda self: 1.0)
        MinimumRate = Property(float, lambda self: 1.0)
        MaximumRate = Property(float, lambda self: 1.0)
        CanGoNext = Property(bool, lambda self: self._can_go_next())
        # As the window's Previous and Play: Previous restarts a song (the first one too) and
        # goes back to the one stopped; with nothing played yet, or an empty library and Up
        # next, a desktop showed buttons that did nothing.
        CanGoPrevious = Property(bool, lambda self: self._window.moves()["previous"])
        CanPlay = Property(bool, lambda self: self._window.moves()["play"])
        # With no song to act on (none played yet, stopped, Up next ran out) Pause and Seek do
        # nothing: a desktop showed a pause button and a seek bar there that did nothing.
        CanPause = Property(bool, lambda self: self._track() is not None)
        CanSeek = Property(bool, lambda self: self._track() is not None)
        CanControl = Property(bool, lambda self: True)


def _tags(data, track_id: int) -> dict:
    """Track and disc number, genre and the person's stars of a loaded track, as MPRIS
    metadata (from the library in memory: the GUI thread never reads the store). A number,
    genre or rating the track does not have is left out, not sent as 0 or ""."""
    i = data.position(track_id)
    if i is None:
        return {}
    numbers, meta = data.numbers, {}
    track_no = int(numbers["track_no"][i])
    if track_no or bool(numbers["track_zero"][i]):
        meta["xesam:trackNumber"] = track_no
    disc = int(numbers["disc"][i])
    if disc:
        meta["xesam:discNumber"] = disc
    genre = data.text["genre"][i]
    if genre:
        meta["xesam:genre"] = [genre]
    stars = int(numbers["rating"][i])
    if stars:               # (unrated is not "0 stars": a desktop shows no rating then)
        meta["xesam:userRating"] = stars / 5
    return meta


def track_path(track_id: int) -> str:
    """The D-Bus object path that names a track in MPRIS metadata."""
    return f"/org/segue/track/{int(track_id)}"


class Mpris(QObject):
    """Holds the adaptors and announces changes (PropertiesChanged) to the desktop."""

    def __init__(self, window, bus):
        super().__init__(window)
        self.window = window
        self.bus = bus
        self.root = RootAdaptor(self, window)
        self.player = PlayerAdaptor(self, window)
        self._told: dict = {}       # what was last told of the properties sent only as they change

    def register(self) -> bool:
        if not self.bus.registerObject(PATH, self):
            return False
        if not self.bus.registerService(SERVICE):
            self.bus.unregisterObject(PATH)
            return False
        return True

    def announce(self, *_args) -> None:
        """Tell MPRIS clients that the status and the metadata may have changed, and whether
        there is a song to pause and seek in where that changed since last told."""
        song = self.player._track() is not None
        now = {"CanPause": song, "CanSeek": song}
        changed = {k: v for k, v in now.items() if k not in self._told or self._told[k] != v}
        self._told.update(now)
        self._changed({"PlaybackStatus": self.player._status(), "Metadata": self.player._metadata(), **changed})

    def announce_next(self, *_args) -> None:
        """Tell MPRIS clients whether Next has a song to go to, and shuffle and repeat as they
        are (the queue changed: the player says so after each of them changes too), those of
        the three that changed since last told."""
        now = {"CanGoNext": self.player._can_go_next(), "Shuffle": self.player._shuffle(),
               "LoopStatus": self.player._loop_status()}
        self._tell_changed(now)

    def _tell_changed(self, now: dict) -> None:
        changed = {k: v for k, v in now.items() if k not in self._told or self._told[k] != v}
        self._told.update(now)
        if changed:
            self._changed(changed)

    def announce_moves(self, *_args) -> None:
        """Tell MPRIS clients whether Play, Previous and Next do something, where that changed since
        last told (the window shows its own anew as songs, Up next and the library change)."""
        can = self.window.moves()
        self._tell_changed({"CanPlay": can["play"], "CanGoPrevious": can["previous"],
                            "CanGoNext": self.player._can_go_next()})

    def announce_volume(self, *_args) -> None:
        self._changed({"Volume": self.player._volume()})

    def _changed(self, properties: dict) -> None:
        message = QDBusMessage.createSignal(PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged")
        message.setArguments([PLAYER_IFACE, properties, []])
        self.bus.send(message)

    def close(self) -> None:
        if getattr(self.window, "mpris", None) is self:
            self.window.mpris = None
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

    window.transport.volume.valueChanged.connect(mpris.announce_volume)
    window.transport.mute_changed.connect(mpris.announce_volume)
    window.names_read.connect(mpris.announce)       # a track first named "…" has its names now
    window.moves_changed.connect(mpris.announce_moves)
    window.cover_shared.connect(mpris.announce)     # the cover is read after the song starts
    window.state_restored.connect(mpris.announce)   # the song left last time, back where it was
    window.ratings_changed.connect(mpris.announce)  # the stars of the song playing may be new
    window.up_next.keep_going_changed.connect(mpris.announce_next)   # (after the player is told)
    window.mpris = mpris                            # (from now on the window writes covers for it)
    # Any jump, from the slider or the keys too: without Seeked a desktop widget's progress bar
    # runs on from where it was, as the spec tells clients to assume.
    window.seeked.connect(lambda seconds: mpris.player.Seeked.emit(int(seconds * 1_000_000)))

    def hook():
        window.bridge.track_started.connect(mpris.announce)
        # A long track announced where it was left that begins from its start instead (its
        # place lay past the file's end): the desktop read the place as its position.
        window.bridge.started_over.connect(lambda data: mpris.player.Seeked.emit(0))
        window.bridge.state_changed.connect(mpris.announce)
        window.bridge.queue_changed.connect(mpris.announce_next)
        window.bridge.stop_after_changed.connect(mpris.announce_next)   # (Next may stop the music now)

    if window.bridge is not None:
        hook()
    else:
        window.player_ready.connect(hook)
    return mpris
