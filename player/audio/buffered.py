"""The machinery both engines share: a decoder thread filling a ring buffer.

:class:`BufferedEngine` runs two threads. The *feeder* owns every decoder: it
obeys commands (play, next, seek, stop), keeps the ring buffer full, has the
next source opened ahead of time (on a thread of its own: an open can take
seconds) and writes it right after the current one (gapless,
or mixed over ``crossfade_s``), and watches how far the output has read to turn
segment crossings into events. The *dispatcher* calls the listener, so a slow
listener (a database write) never starves the audio.

Subclasses only move frames: they call :meth:`_render` from their output thread
(the PortAudio callback, or the null engine's clock) and implement the
``_output_*`` hooks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from player.audio.awake import awake_clock
from player.audio.base import Engine, Listener, PlaybackState, Source
from player.audio.feeder import BLOCK, JOIN_GLIDE_FRAMES, FeederMixin
from player.audio.glide import Glide
from player.audio.ring import RingBuffer

if TYPE_CHECKING:
    from player.audio.crossfade import Crossfade
    from player.audio.decoder import Decoder
    from player.audio.feeder import _Opening, _Start

log = logging.getLogger(__name__)

MAX_CROSSFADE_S = 12.0
IDLE_RELEASE_S = 3.0  # after the last track ends, the device is released this much later
PAUSE_RELEASE_S = 10.0  # ... and after this long paused (resume restarts it)
FEED_TICK_S = 0.02  # the feeder wakes this often (and at once for a command)
FADE_FRAMES = 512  # pause fades out, resume fades in, over this many frames (~12 ms)
GLIDE_FRAMES = 512  # a volume change moves the level over this many frames (~12 ms)


class _Move:
    """A play or seek asked for: ``source`` is to be heard from ``seconds``."""

    __slots__ = ("source", "seconds")

    def __init__(self, source: Source, seconds: float):
        self.source = source
        self.seconds = max(0.0, float(seconds))


class BufferedEngine(FeederMixin, Engine):
    """Engine logic over a ring buffer; see the module docstring."""

    def __init__(self, *, rate: int, channels: int = 2, buffer_s: float = 1.5,
                 crossfade_s: float = 0.0, watchdog_s: float = 2.0):
        if rate <= 0 or channels <= 0 or buffer_s <= 0:
            raise ValueError(f"bad engine format: {rate} Hz, {channels} channels, {buffer_s} s buffer")
        self.rate, self.channels = int(rate), int(channels)
        # A seek, or a track played over the one playing, fades the old audio out and the new
        # one in over FADE_FRAMES each, as pause and resume do.
        self._ring = RingBuffer(max(BLOCK * 2, int(buffer_s * self.rate)), self.channels, fade=FADE_FRAMES)
        self._listener: Listener | None = None
        self._state = PlaybackState.STOPPED
        # The time spent playing (see _played_clock): what it summed up to the last pause, and
        # since when it plays on (None while not playing).
        self._played_s, self._playing_since = 0.0, None
        self._played_lock = threading.Lock()
        # Read for that time: one that stands still while the computer sleeps (see
        # ``player.audio.awake``); a computer's sleep is no time the output needed the audio.
        self._awake = awake_clock
        self._volume = 1.0
        self._crossfade_s = 0.0
        self.crossfade_s = crossfade_s
        self._watchdog_s = watchdog_s
        self.pause_release_s = PAUSE_RELEASE_S
        self._beat = 0  # bumped by every output callback
        # The level of the pause ramp, in FADE_FRAMES-ths (audio thread): it moves one step a
        # frame toward full while playing and toward silence while paused or stopped, from
        # wherever it is. Pause and resume only change the state: a resume in the middle of a
        # pause's fade (a bouncing media key, a script toggling twice) turns back from the
        # level the output is at, where restarting a ramp from full or from silence clicked.
        # The gains, one per level, are made here so the audio thread never allocates.
        self._ramp_up = np.arange(FADE_FRAMES + 1, dtype=np.float32) / FADE_FRAMES
        self._ramp_down = self._ramp_up[::-1].copy()
        self._level = 0
        # Asked of the audio thread by play() and _device_lost(), which it alone applies to
        # the level (a write from another thread could land in the middle of a block).
        self._level_full = False  # a play: from silence, the new track (from its start) is at full level
        #                           (once the output plays; a pause first drops it)
        self._level_cut = False   # the output was lost: nothing is playing any more
        # The output is being moved to another device (see SoundDeviceEngine.set_device): while
        # set, the music fades out as at a pause, and silence follows, the state still playing.
        self._moving_out = False
        # Plays asked for, and the last the feeder has dropped the old buffer for: until it
        # has, a play from silence hears nothing (what is buffered is the old track's).
        self._plays = self._played = 0
        # The plays and stops asked for (counted under _ctl, as they set ``_current``), and the
        # latest of each the feeder has taken: until it has, the track asked for is the current
        # one, whatever the output reaches of the old buffer meanwhile (see FeederMixin._watch).
        self._plays_taken = 0
        self._stops = self._stops_taken = 0
        # The volume as the output has it: a change glides there from where it was, in a
        # straight line over GLIDE_FRAMES (a step in the level mid-wave is a click).
        self._glide = Glide(GLIDE_FRAMES)
        self._audible = False  # the last block had audio in it (audio thread)
        self._current: Source | None = None
        # Where a play or seek asked for is going, until the feeder has got there: the ring
        # is flushed, and the new place decoded, in between, and the position reads the
        # place asked for, not the start (the seek bar would flicker to 0, and the state
        # saved for the next start could catch it).
        self._moving: _Move | None = None
        self._moving_lock = threading.Lock()
        self._cmds: queue.SimpleQueue = queue.SimpleQueue()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        # Feeder-thread state.
        self._writing: Source | None = None
        self._wdec: Decoder | None = None
        self._next: Source | None = None
        self._ndec: Decoder | None = None
        self._nerr: str | None = None
        self._nseg = None  # the next source's segment, once writing it began
        self._upcoming: Source | None = None  # the latest source set as next (``_next`` until written)
        self._following: list[Source] = []   # what the player expects after it (set_following)
        self._nopen: _Opening | None = None  # the next source's file, while it opens
        self._starting: _Start | None = None  # the source played, while its file opens
        self._settling_silent_since: float | None = None  # see FeederMixin._settling_given_up
        self._prepared: list[_Opening] = []   # opened ahead of time (see _prepare_following)
        self._prev: tuple[Source, Decoder, int] | None = None  # kept until its successor is heard
        self._fade: Crossfade | None = None
        # A gapless join's glide from one ReplayGain to the next: (the source it leads into,
        # the gain it starts from, frames of it written), or None (see FeederMixin._push).
        self._join_glide: tuple[Source, float, int] | None = None
        self._join_ramp = np.arange(1, JOIN_GLIDE_FRAMES + 1, dtype=np.float32) / JOIN_GLIDE_FRAMES
        # The glide of the source ``_prev`` names, as it stood when the join after it was written
        # (a track shorter than the glide ends part way through): it goes on if the next one is
        # taken back (see FeederMixin._unwrite_next).
        self._prev_glide: tuple[Source, float, int] | None = None
        self._faded_end: Decoder | None = None  # the source whose end was faded out for a late next (_fill)
        self._announced: Source | None = None
        self._announced_failed = False
        self._reached = None    # the last segment the output was seen to reach (``_watch``)
        # (segment, heard_at): the song last told started, first heard at ``heard_at`` still
        # to come then (see ``_retell_heard``)
        self._heard_told = None
        self._closed = False
        self._idle_since: float | None = None  # stopped at the end of the stream, output still open
        # Held by public commands and by the feeder when it ends playback, so an
        # end-of-stream never overrides a play() that is on its way.
        self._ctl = threading.RLock()
        self._feeder = threading.Thread(target=self._feed_loop, name="audio-feeder", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="audio-events", daemon=True)
        self._feeder.start()
        self._dispatcher.start()

    # -- hooks for subclasses ---------------------------------------------
    def _output_start(self) -> None:
        """Make sure the output is running (called when playback starts)."""

    def _output_stop(self, *, drain: bool = False) -> None:
        """Playback stopped: the output may be released (``drain``: after playing what it holds)."""

    def _output_close(self) -> None:
        """The engine is closing."""

    def _output_running(self) -> bool:
        return True

    def _output_reach_s(self) -> float | None:
        """How far ahead of what it has played (seconds) the output may take audio from the
        buffer before the feeder writes again: its latency and two of its blocks. None where
        the output does not say (see LATE_FADE_MARGIN_S)."""
        return None

    def _heard_frame(self, read: int) -> int:
        """The ring frame (absolute) being heard now, ``read`` being the next one the output
        takes: the same where a frame taken is played at once (the null engine)."""
        return read

    def _heard_at(self, frame: int) -> float | None:
        """When (``time.monotonic()``) the ring frame ``frame``, taken by the output, begins to
        be heard; None where it is heard as it is taken (the null engine), or the output has
        not said when."""
        return None

    def _heard_from(self, frame: int) -> float | None:
        """When the music from the ring frame ``frame`` on is first heard, a switch of output
        since it was taken included (see ``_retell_heard``)."""
        return self._heard_at(frame)

    # -- output side (audio thread) ---------------------------------------
    def _render(self, out: np.ndarray) -> bool:
        """Fill ``out`` [shape=(n, channels)] float32; called from the output thread.

        Returns False when not playing (``out`` is silence then).
        """
        self._beat += 1
        state = self._state
        level = self._level
        if self._level_cut:
            self._level_cut = False
            level = 0
        if state is PlaybackState.PLAYING and not self._moving_out:
            if level == 0 and self._played != self._plays:
                # Played from silence (paused, stopped): the buffer still holds the old track
                # until the feeder drops it, and a block of it would start mid-wave at full level.
                out.fill(0.0)
                self._level = 0    # (a level cut asked for stays made)
                self._audible = False
                return True
            if self._level_full:
                self._level_full = False
                if level == 0:  # (a play over audio still fading glides up from where it is)
                    level = FADE_FRAMES
            self._ring.audible = True
            m = self._ring.render(out)
            # Resuming: no click from silence to mid-wave. The ramp counts only frames of
            # audio: after a seek while paused the buffer may still be empty (ffmpeg
            # restarting), and a ramp spent on silence let the audio in at full level.
            k = min(m, FADE_FRAMES - level)
            if k > 0:
                np.multiply(out[:k], self._ramp_up[level + 1:level + k + 1, None], out=out[:k])
                level += k
            self._level = level
            self._apply_volume(out)
            self._audible = m > 0
        elif level > 0:
            # Pausing or stopping: the next few milliseconds fade to silence instead of a click.
            k = min(len(out), level)
            at = FADE_FRAMES - level
            m = self._ring.render(out[:k])
            np.multiply(out[:k], self._ramp_down[at + 1:at + k + 1, None], out=out[:k])
            out[k:] = 0.0
            self._apply_volume(out)
            # (run dry, at the end of the last track: silent already, nothing left to fade)
            self._level = level = level - k if m == k else 0
            self._audible = self._ring.audible = level > 0
        else:
            self._level = 0
            out.fill(0.0)
            self._audible = self._ring.audible = False
            return False
        return True

    def _apply_volume(self, out: np.ndarray) -> None:
        """Scale ``out`` by the volume, gliding from the level the output was at to a new one.

        A change heard while audio plays moves the level in a straight line over GLIDE_FRAMES,
        carried over from block to block; one made in silence (stopped, paused, nothing yet
        buffered) holds from the first frame, with nothing to glide from.
        """
        target = self._volume
        if target != self._glide.end:
            self._glide.set(target, at_once=not self._audible)
        self._glide.apply(out)

    # -- public API --------------------------------------------------------
    def set_listener(self, fn: Listener | None) -> None:
        self._listener = fn

    def _emit(self, event: str, **data) -> None:
        self._events.put((event, data))

    def _set_state(self, state: PlaybackState) -> None:
        if state is not self._state:
            with self._played_lock:
                now = self._awake()
                if self._playing_since is not None:
                    self._played_s += now - self._playing_since
                self._playing_since = now if state is PlaybackState.PLAYING else None
            self._state = state
            self._emit("state", state=state)

    def _played_clock(self) -> float:
        """Seconds spent playing so far, standing still while paused or stopped: the clock
        of the decoders' wait for a file whose reads failed (see Decoder._heal), which counts
        only while the output needs the audio, and the computer is awake: a laptop closed as
        a share dropped woke with the wait used up, and the song ended though its file read
        again once the network was back. (Read on the feeder's thread, and the opens'.)"""
        with self._played_lock:
            since = self._playing_since
            return self._played_s + (0.0 if since is None else self._awake() - since)

    def play(self, source: Source) -> None:
        source.rate = self.rate
        with self._ctl:
            if self._closed:
                # A play on its way as the window closed (a command on the player's thread):
                # opened now, the output would stay held, silent, with no feeder behind it.
                return
            # Counted first: the output holds silence from here until the feeder has this
            # play, so it cannot take the level below for what the buffer holds now.
            self._plays += 1
            # (one resumed part way, where it was left, starts mid-wave: that fades in)
            self._level_full = source.start_s <= 0
            self._current = source
            self._output_start()
            self._cmds.put(("play", (source, self._move(source, source.start_s), self._plays)))
            self._set_state(PlaybackState.PLAYING)

    def set_next(self, source: Source | None) -> None:
        if source is not None:
            source.rate = self.rate
        self._cmds.put(("next", source))

    def set_following(self, sources: list[Source]) -> None:
        self._cmds.put(("following", list(sources)))

    def pause(self) -> None:
        with self._ctl:
            if self._state is PlaybackState.PLAYING:
                self._level_full = False  # (a track not heard yet: its resume fades in too)
                self._set_state(PlaybackState.PAUSED)  # (the output fades out from its level)

    def resume(self) -> None:
        with self._ctl:
            if self._state is PlaybackState.PAUSED and self._current is not None and not self._closed:
                self._output_start()  # (the output fades in from its level)
                self._set_state(PlaybackState.PLAYING)
                self._cmds.put(("wake", None))  # (a feeder at rest waits for a command)

    def stop(self) -> None:
        with self._ctl:
            # Already stopped at the end of the stream: let the device play its tail.
            was = self._state
            drain = was is PlaybackState.STOPPED
            # As a pause does, the next few milliseconds fade to silence from the level the
            # output is at (the feeder's flush keeps them for it, should it come first). The
            # output is let go a little later, as after the last track: stopped at once, it
            # would cut off what it holds mid-wave.
            self._level_full = False
            self._stops += 1
            self._cmds.put(("stop", self._stops))
            self._current = None
            self._moving = None
            self._set_state(PlaybackState.STOPPED)
            if was is PlaybackState.PLAYING:
                self._idle_since = time.monotonic()
            else:
                self._output_stop(drain=drain)

    def seek(self, seconds: float, source: Source | None = None) -> None:
        seconds = max(0.0, float(seconds))
        current = self._current
        # (one meant for another source is dropped by the feeder: it moves nothing)
        move = self._move(current, seconds) if current is not None and source in (None, current) else None
        self._cmds.put(("seek", (seconds, source, move)))

    def _move(self, source: Source, seconds: float) -> _Move:
        """Say that ``source`` is on its way to ``seconds`` (what :attr:`position` reads until
        the feeder is there); the latest play or seek asked for is the one that counts."""
        move = _Move(source, seconds)
        with self._moving_lock:
            self._moving = move
        return move

    def _arrived(self, move: _Move | None) -> None:
        """The feeder has done ``move`` (or dropped it): the ring tells the position again,
        unless a later move is on its way."""
        with self._moving_lock:
            if move is not None and self._moving is move:
                self._moving = None

    def sync(self, timeout: float = 5.0, *, opened: bool = True) -> bool:
        """Wait until the feeder has handled every command sent before this call (see
        :meth:`Engine.sync`)."""
        done = threading.Event()
        self._cmds.put(("sync", (done, opened)))
        return done.wait(timeout)

    def held(self) -> list[Source]:
        # Read from the caller's thread: each name is looked at once, the ring's under its lock.
        with self._ring.lock:
            found = [seg.source for seg in self._ring.segments]
        fade = self._fade
        if fade is not None:
            found += [fade.a_src, fade.b_src]
        found += [self._current, self._writing, self._next]
        held = []
        for src in found:
            if isinstance(src, Source) and not any(src is s for s in held):
                held.append(src)
        return held

    @property
    def state(self) -> PlaybackState:
        return self._state

    @property
    def current(self) -> Source | None:
        return self._current

    @property
    def position(self) -> float:
        """Seconds into the current source, as far as it is heard (the output plays what it
        takes from the buffer some time later: see :meth:`_heard_frame`). For the few
        milliseconds between the output reaching the next source and the feeder announcing
        it, the current one is at its end. While a play or seek is on its way, the place it
        goes to; once there, that place until its first frame is heard (the sound before it
        is the old place's, or the song before's: it never reads below the place gone to)."""
        return self._place(heard=True)

    @property
    def resumes_at(self) -> float:
        """Where Play goes on from: past what the output took, heard or not yet (paused, it
        plays that out first, and the sound stops there)."""
        return self._place(heard=False)

    def _place(self, *, heard: bool) -> float:
        """Seconds into the current source, as far as it is heard (``heard``) or taken."""
        move = self._moving
        if move is not None and move.source is self._current:
            duration = move.source.duration
            return min(move.seconds, duration) if duration else move.seconds
        # (a flush's fading tail still playing is no part of where the new audio is)
        read, mine, after = max(self._ring.read, self._ring.tail_end), None, None
        for seg in list(self._ring.segments):
            if seg.start > read:
                break
            if seg.source is self._current:
                mine, after = seg, None
            elif mine is not None and after is None:
                after = seg
        if mine is None:
            return 0.0
        frame = min(self._heard_frame(read) if heard else read, read if after is None else after.start)
        return (mine.offset + max(0, frame - mine.start)) / self.rate

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(1.0, max(0.0, float(value)))

    @property
    def crossfade_s(self) -> float:
        return self._crossfade_s

    @crossfade_s.setter
    def crossfade_s(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value <= MAX_CROSSFADE_S:
            raise ValueError(f"crossfade must be 0-{MAX_CROSSFADE_S:g} s, got {value}")
        self._crossfade_s = value

    @property
    def underruns(self) -> int:
        return self._ring.underruns

    def close(self) -> None:
        with self._ctl:     # (a play or resume under way finishes first; none starts after)
            if self._closed:
                return
            self.stop()
            self._closed = True
        self._cmds.put(("close", None))
        self._feeder.join(5)
        self._events.put(None)
        self._dispatcher.join(5)
        self._output_close()

    def _device_lost(self, message: str) -> None:
        """The output went away: pause (keeping the buffer) and say so."""
        log.warning("audio device lost: %s", message)
        self._ring.audible = False  # (it plays nothing now: a seek meanwhile keeps no old audio)
        self._level_cut = True      # (and a resume fades in from silence)
        with self._ctl:
            self._set_state(PlaybackState.PAUSED)
            self._emit("device_lost", message=message)

    # -- dispatcher thread --------------------------------------------------
    def _dispatch_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            fn = self._listener
            if fn is not None:
                try:
                    fn(*item)
                except Exception:  # a listener bug must not kill the engine
                    log.exception("audio event listener failed on %s", item[0])

    # -- feeder thread -------------------------------------------------------
    def _run_command(self, name: str, arg) -> None:
        """Obey one command; a failure ends the track being written as an error.

        A decoder can raise from a command (a seek into a damaged file, a
        resampler that cannot be made): that must not kill the feeder thread,
        or the player would stay "playing" in silence from then on.
        """
        try:
            self._command(name, arg)
        except Exception as exc:
            log.exception("audio feeder failed on %r", name)
            message = f"playback failed: {exc}"
            if name == "play" and self._writing is None and not self._ring.segments:
                self._ring.mark(arg[0], 0, error=message)  # nothing written yet: the new track fails
                self._ring.end_of_stream = True
            else:
                self._fail_writing(message)

    def _at_rest(self) -> bool:
        """Nothing for the feeder to do until a command: not playing, the output let go (no
        fade, tail or watchdog to look after), no pause or idle release pending."""
        return (self._state is not PlaybackState.PLAYING and self._idle_since is None
                and not self._output_running())

    def _feed_loop(self) -> None:
        beat, beat_t = self._beat, time.monotonic()
        looked, patient_until = beat_t, 0.0     # when the watchdog last looked; see below
        spared = False  # held, the output was given more time, and has not answered since
        underruns = 0
        paused_since = None
        failing = False  # looking after the output failed, and has not worked since
        while True:
            # _fill() below always leaves the ring full, or waits on something the
            # output has to consume first, so sleeping until a command comes is right.
            # At rest (stopped or paused, the output let go) nothing moves until a command
            # comes: it waits for one, where the tick woke the process 50 times a second
            # for as long as the window stayed open.
            resting = self._at_rest()
            try:
                cmd = self._cmds.get(timeout=None if resting else FEED_TICK_S)
            except queue.Empty:
                cmd = None
            try:
                while cmd is not None:
                    if cmd[0] == "close":
                        self._drop_all(fade_out=False)
                        return
                    self._run_command(*cmd)
                    cmd = self._cmds.get_nowait()
            except queue.Empty:
                pass
            try:
                self._fill()
                self._watch()
                if self._cmds.empty():
                    self._prepare_following()
            except Exception as exc:  # a bug must not leave the player silent and hung
                log.exception("audio feeder failed")
                self._fail_writing(f"playback failed: {exc}")
            try:
                if self.underruns != underruns:  # counted on the audio thread, logged here
                    underruns = self.underruns
                    log.warning("audio underrun: the output ran dry (%d so far)", underruns)
                if self._state is PlaybackState.PAUSED:
                    if paused_since is None:
                        paused_since = time.monotonic()
                    elif time.monotonic() - paused_since > self.pause_release_s and self._output_running():
                        with self._ctl:  # a long pause: give the device (and the CPU) a rest
                            if self._state is PlaybackState.PAUSED:
                                self._output_stop()
                else:
                    paused_since = None
                if self._idle_since is not None:
                    if self._state is not PlaybackState.STOPPED:
                        self._idle_since = None
                    elif time.monotonic() - self._idle_since > IDLE_RELEASE_S:
                        with self._ctl:
                            if self._state is PlaybackState.STOPPED:
                                self._output_stop(drain=True)
                        self._idle_since = None
                now = time.monotonic()
                if resting:
                    # The output was let go while this thread waited for a command, and the
                    # command started it again: its silence counts from now. Counted from
                    # before the wait, a resume after a long pause said the output had stopped
                    # responding the moment it was started, before it could take a block.
                    beat_t = now
                elif now - looked > self._watchdog_s:
                    # This thread itself did not run for that long: the process was stopped
                    # (SIGSTOP, a debugger), or the computer slept on a system whose monotonic
                    # clock counts the sleep. The audio thread was held as long: that silence
                    # is no output that stopped responding. Taken for one, the song playing
                    # was paused on waking, saying the device was lost. For a while the output
                    # is given twice the time to answer: it comes back from the underrun of the
                    # stop first (PulseAudio through ALSA went silent again for 1.9 s here).
                    # Only the time held is left out (silence seen before it still counts),
                    # and only once until the output answers: held again and again (a machine
                    # swapping, a decoder taking seconds), the time given anew each round let
                    # an output that had stopped go unnoticed for good.
                    if not spared:
                        beat_t += now - looked
                        patient_until, spared = now + 2 * self._watchdog_s, True
                looked = now
                limit = self._watchdog_s * (2 if now < patient_until else 1)
                if self._beat != beat or self._state is not PlaybackState.PLAYING:
                    beat, beat_t, spared = self._beat, time.monotonic(), False
                elif time.monotonic() - beat_t > limit and self._output_running():
                    self._device_lost(f"the audio output stopped responding for {limit:g} s")
                    beat_t = time.monotonic()
                failing = False
            except Exception:
                # Looking after the output (letting it go, the watchdog) must not end the
                # thread either: the player would stay silent until a restart. It is tried
                # again at the next tick; said once, not fifty times a second.
                if not failing:
                    log.exception("audio feeder failed looking after the output")
                failing = True
