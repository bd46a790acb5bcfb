"""The audio engine interface: plays decoded sources gaplessly into an output device.

The :class:`Engine` is low level. It knows files (:class:`Source`), not tracks,
queues or plays; :class:`player.playback.Player` builds those on top of it.

An engine reports what happens through one listener, ``fn(event, data)``, called
on the engine's own event thread (never on the audio thread):

- ``"started"``  ``{"source": Source}`` -- the source became audible (after
  :meth:`Engine.play`, or gaplessly after the previous one);
- ``"finished"`` ``{"source": Source, "last": bool}`` -- it played to its natural end;
  ``last``: nothing followed it and the engine has stopped (a next source set after the
  stream ended is dropped with it);
- ``"error"``    ``{"source": Source, "message": str}`` -- it could not be decoded;
- ``"state"``    ``{"state": PlaybackState}``;
- ``"device_lost"`` ``{"message": str}`` -- the output went away; playback is paused.

Stopping, or replacing a source with :meth:`Engine.play`, reports nothing for the
source that was interrupted: whoever asked knows.
"""

from __future__ import annotations

import abc
import math
import enum
from dataclasses import dataclass, field
from typing import Any, Callable

Listener = Callable[[str, dict], None]


class PlaybackState(enum.Enum):
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"


class AudioEngineError(Exception):
    """The output device could not be opened or used."""


@dataclass(eq=False)
class Source:
    """One file to play, with its gain.

    Parameters
    ----------
    path : the audio file.
    gain : linear factor applied while decoding (ReplayGain); volume is separate.
    token : anything the caller wants back in events (the Player keeps its play here).
    duration_hint : seconds, used when the decoder cannot tell (fallback decoders).
    start_s : where :meth:`Engine.play` starts it (a track resumed where it was left);
        nothing before it is decoded or heard.
    album_place : its place on an album, ``(album, album artist (None for a compilation's
        track without one), (release id or None, folder), disc, track number)``, the text
        case-folded, or None: the engine does not crossfade into the
        next track of the same album (see :func:`follows_on`).
    begin_s, end_s : the range of the file that is the track (one of an album ripped as one
        file with a CUE sheet), ``end_s`` None for the file's end. Positions, seeks,
        ``start_s`` and the length count from ``begin_s``: the range is the track.
    find_moved : where the file is now, or None, asked when ``path`` is gone as the engine
        opens it (its folder renamed since the track was queued); ``path`` then becomes that.
        With it, whether the library gave the track to that file (a scan moved it there, or
        gave it to a copy), rather than a file of its name, size and time found beside its
        gone folder.
    estimate_s : a length the library only estimated (a Shorten file not counted yet), for
        the player to show and judge the play by while the file's is unknown; the engine never
        reads it (a fade begun where an estimate short of the file ends cuts the rest off).
    """

    path: str
    gain: float = 1.0
    token: Any = None
    duration_hint: float | None = None
    start_s: float = 0.0
    album_place: tuple | None = None
    begin_s: float = 0.0
    end_s: float | None = None
    find_moved: Callable[[], tuple[str, bool] | None] | None = None
    estimate_s: float | None = None
    # Filled by the engine: output frames of this source actually sent to the device
    # (seeks skip, they never add), the output rate, and the length once known.
    heard_frames: int = field(default=0, init=False)
    rate: int = field(default=0, init=False)
    duration: float | None = field(default=None, init=False)
    #: its file came to hold another song as it played (see Decoder.replaced): it ended there
    replaced: bool = field(default=False, init=False)
    #: set by :meth:`Engine.set_gain`: its ReplayGain changed after it was opened, and the
    #: output scales what was written at ``gain`` by this to be at the new one
    regain: float = field(default=1.0, init=False)
    #: a boost of it has passed full scale: from then on every block of it is bent alike (see
    #: audio_io.bend_overs); only ever set, by the feeder's and the output's threads both
    bends: bool = field(default=False, init=False)

    @property
    def heard_s(self) -> float:
        """Seconds of this source's audio that were really played."""
        return self.heard_frames / self.rate if self.rate else 0.0


def follows_on(a: Source, b: Source) -> bool:
    """Whether ``b`` is the track after ``a`` on the same album: the same album title, album
    artist and release, on the same disc and numbered one more, or the first track of the next
    disc. Such a join is played gaplessly even with a crossfade set: the tracks of a live or
    classical album or a DJ mix run into one another, and a fade there dipped and blurred music
    that is meant to go straight on.

    The release, ``(release id or None, folder)``, is the same where both have the one id, or
    where one lacks it and they share the folder: a track of an album tagged by hand without
    the id the others carry is still on their release. An artist None (a track flagged as
    part of a compilation, no album artist) goes with any artist of its release: the flag on
    some of a compilation's tracks only still makes it one album."""
    pa, pb = a.album_place, b.album_place
    if pa is None or pb is None or pa[0] != pb[0]:
        return False
    # The next disc's first track (or the one numbered on) goes on from the disc before: a
    # concert or an opera runs on over the break between its discs, as does the album as a
    # whole played in order.
    if not (pb[3] == pa[3] and pb[4] == pa[4] + 1 or pb[3] == pa[3] + 1 and pb[4] in (1, pa[4] + 1)):
        return False
    if pa[1] is not None and pb[1] is not None and pa[1] != pb[1]:
        return False
    (id_a, folder_a), (id_b, folder_b) = pa[2], pb[2]
    return id_a == id_b if id_a and id_b else folder_a == folder_b


class Engine(abc.ABC):
    """Plays one source at a time, switching to the next one sample-exactly."""

    #: output sample rate and channel count (fixed while the engine lives)
    rate: int
    channels: int = 2
    #: what the person should be told about the output as it was opened (None: nothing),
    #: e.g. that the device chosen was missing and another one plays
    notice: str | None = None

    @abc.abstractmethod
    def set_listener(self, fn: Listener | None) -> None:
        """Receive engine events (see the module docstring)."""

    @abc.abstractmethod
    def play(self, source: Source) -> None:
        """Drop whatever is playing or buffered and play ``source`` from its start
        (or from ``source.start_s``)."""

    @abc.abstractmethod
    def set_next(self, source: Source | None) -> None:
        """The source to continue with, without a gap, when the current one ends.

        It is opened and buffered ahead of time; calling again (or with None)
        replaces it as long as it has not started to be heard.
        """

    def set_following(self, sources: list[Source]) -> None:
        """The sources expected after the next one, in order: a hint, never played on its own.

        A source that is over before the engine has opened what comes after it (a clip of
        a fraction of a second followed by a file only ffmpeg decodes) would leave the
        output dry while that opens; the engine may open these ahead of time, so that the
        one set as next later (the same file) starts at once. Calling again replaces them.
        """

    def held(self) -> list[Source]:
        """The sources the engine has opened, written or is playing: the one heard, the one
        fading out under it, the next one. (None here: an engine with no buffer of its own.)"""
        return []

    def set_gain(self, source: Source, gain: float) -> None:
        """Play ``source`` at ``gain`` from now on instead of the gain it was given (its
        ReplayGain setting changed while it is held): heard within a fraction of a second, the
        level gliding there with no gap, not reopened, the volume left as it is."""
        if source.gain > 0 and math.isfinite(gain) and gain > 0:
            source.regain = gain / source.gain

    @abc.abstractmethod
    def pause(self) -> None: ...

    @abc.abstractmethod
    def resume(self) -> None: ...

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop and forget the current and next sources."""

    @abc.abstractmethod
    def seek(self, seconds: float, source: Source | None = None) -> None:
        """Jump within the current source (clamped to its length); with ``source``, only
        if that is still the one being heard when the engine gets to it."""

    def sync(self, timeout: float = 5.0, *, opened: bool = True) -> bool:
        """Wait (up to ``timeout`` seconds) until the engine has acted on every command sent
        before this call: after a seek, :attr:`position` is the new place. True when it has.
        ``opened``: a track played whose file is still opening is waited for too (open, or
        failed); off, only the commands are (its position reads where it is going meanwhile),
        for a caller that must not wait on a disk or share that does not answer."""
        return True

    @property
    @abc.abstractmethod
    def state(self) -> PlaybackState: ...

    @property
    @abc.abstractmethod
    def current(self) -> Source | None:
        """The source being heard now."""

    @property
    @abc.abstractmethod
    def position(self) -> float:
        """Seconds into the current source."""

    @property
    def resumes_at(self) -> float:
        """Where Play goes on from: the position, where the output plays at once what it takes."""
        return self.position

    @property
    @abc.abstractmethod
    def volume(self) -> float: ...

    @volume.setter
    @abc.abstractmethod
    def volume(self, value: float) -> None: ...

    @property
    @abc.abstractmethod
    def crossfade_s(self) -> float: ...

    @crossfade_s.setter
    @abc.abstractmethod
    def crossfade_s(self, value: float) -> None: ...

    @property
    @abc.abstractmethod
    def underruns(self) -> int:
        """How many times the device asked for audio that was not decoded yet."""

    @property
    def duration(self) -> float:
        """Length of the current source in seconds (0 when unknown)."""
        src = self.current
        return float(src.duration or src.duration_hint or 0.0) if src else 0.0

    def devices(self) -> list[str]:
        """Names of the output devices this engine can use."""
        return []

    @property
    def device(self) -> str | None:
        """The output device in use (None: the system default)."""
        return None

    def set_device(self, name: str | None) -> None:
        """Switch output device (None: the system default); playback continues there."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop and release the device and threads."""
