"""The machinery both engines share: a decoder thread filling a ring buffer.

:class:`BufferedEngine` runs two threads. The *feeder* owns every decoder: it
obeys commands (play, next, seek, stop), keeps the ring buffer full, opens the
next source ahead of time and writes it right after the current one (gapless,
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

import numpy as np

from player.audio.base import Engine, Listener, PlaybackState, Source
from player.audio.crossfade import Crossfade
from player.audio.decoder import Decoder, DecodeError
from player.audio.ring import RingBuffer

log = logging.getLogger(__name__)

BLOCK = 4096  # frames decoded per step
MAX_CROSSFADE_S = 12.0
IDLE_RELEASE_S = 3.0  # after the last track ends, the device is released this much later


class BufferedEngine(Engine):
    """Engine logic over a ring buffer; see the module docstring."""

    def __init__(self, *, rate: int, channels: int = 2, buffer_s: float = 1.5,
                 crossfade_s: float = 0.0, watchdog_s: float = 2.0):
        if rate <= 0 or channels <= 0 or buffer_s <= 0:
            raise ValueError(f"bad engine format: {rate} Hz, {channels} channels, {buffer_s} s buffer")
        self.rate, self.channels = int(rate), int(channels)
        self._ring = RingBuffer(max(BLOCK * 2, int(buffer_s * self.rate)), self.channels)
        self._listener: Listener | None = None
        self._state = PlaybackState.STOPPED
        self._volume = 1.0
        self._crossfade_s = 0.0
        self.crossfade_s = crossfade_s
        self._watchdog_s = watchdog_s
        self._beat = 0  # bumped by every output callback
        self._current: Source | None = None
        self._cmds: queue.SimpleQueue = queue.SimpleQueue()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        # Feeder-thread state.
        self._writing: Source | None = None
        self._wdec: Decoder | None = None
        self._next: Source | None = None
        self._ndec: Decoder | None = None
        self._nerr: str | None = None
        self._nseg = None  # the next source's segment, once writing it began
        self._prev: tuple[Source, Decoder, int] | None = None  # kept until its successor is heard
        self._fade: Crossfade | None = None
        self._announced: Source | None = None
        self._announced_failed = False
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

    # -- output side (audio thread) ---------------------------------------
    def _render(self, out: np.ndarray) -> bool:
        """Fill ``out`` [shape=(n, channels)] float32; called from the output thread.

        Returns False when not playing (``out`` is silence then).
        """
        self._beat += 1
        if self._state is not PlaybackState.PLAYING:
            out.fill(0.0)
            return False
        self._ring.render(out)
        if self._volume != 1.0:
            np.multiply(out, self._volume, out=out)
        return True

    # -- public API --------------------------------------------------------
    def set_listener(self, fn: Listener | None) -> None:
        self._listener = fn

    def _emit(self, event: str, **data) -> None:
        self._events.put((event, data))

    def _set_state(self, state: PlaybackState) -> None:
        if state is not self._state:
            self._state = state
            self._emit("state", state=state)

    def play(self, source: Source) -> None:
        source.rate = self.rate
        with self._ctl:
            self._current = source
            self._output_start()
            self._cmds.put(("play", source))
            self._set_state(PlaybackState.PLAYING)

    def set_next(self, source: Source | None) -> None:
        if source is not None:
            source.rate = self.rate
        self._cmds.put(("next", source))

    def pause(self) -> None:
        with self._ctl:
            if self._state is PlaybackState.PLAYING:
                self._set_state(PlaybackState.PAUSED)

    def resume(self) -> None:
        with self._ctl:
            if self._state is PlaybackState.PAUSED and self._current is not None:
                self._output_start()
                self._set_state(PlaybackState.PLAYING)

    def stop(self) -> None:
        with self._ctl:
            # Already stopped at the end of the stream: let the device play its tail.
            drain = self._state is PlaybackState.STOPPED
            self._cmds.put(("stop", None))
            self._current = None
            self._set_state(PlaybackState.STOPPED)
            self._output_stop(drain=drain)

    def seek(self, seconds: float) -> None:
        self._cmds.put(("seek", max(0.0, float(seconds))))

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the feeder has handled every command sent before this call."""
        done = threading.Event()
        self._cmds.put(("sync", done))
        return done.wait(timeout)

    @property
    def state(self) -> PlaybackState:
        return self._state

    @property
    def current(self) -> Source | None:
        return self._current

    @property
    def position(self) -> float:
        seg = self._ring.current_segment()
        if seg is None or seg.source is not self._current:
            return 0.0
        return (seg.offset + max(0, self._ring.read - seg.start)) / self.rate

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
    def _feed_loop(self) -> None:
        beat, beat_t = self._beat, time.monotonic()
        while True:
            # _fill() below always leaves the ring full, or waits on something the
            # output has to consume first, so sleeping until a command comes is right.
            try:
                cmd = self._cmds.get(timeout=0.01)
            except queue.Empty:
                cmd = None
            try:
                while cmd is not None:
                    if cmd[0] == "close":
                        self._drop_all()
                        return
                    self._command(*cmd)
                    cmd = self._cmds.get_nowait()
            except queue.Empty:
                pass
            self._fill()
            self._watch()
            if self._idle_since is not None:
                if self._state is not PlaybackState.STOPPED:
                    self._idle_since = None
                elif time.monotonic() - self._idle_since > IDLE_RELEASE_S:
                    with self._ctl:
                        if self._state is PlaybackState.STOPPED:
                            self._output_stop(drain=True)
                    self._idle_since = None
            if self._beat != beat or self._state is not PlaybackState.PLAYING:
                beat, beat_t = self._beat, time.monotonic()
            elif time.monotonic() - beat_t > self._watchdog_s and self._output_running():
                self._device_lost(f"the audio output stopped responding for {self._watchdog_s:g} s")
                beat_t = time.monotonic()

    def _command(self, name: str, arg) -> None:
        if name == "play":
            self._drop_all()
            self._start_writing(arg, 0)
        elif name == "next":
            self._set_next(arg)
        elif name == "seek":
            self._seek(arg)
        elif name == "stop":
            self._drop_all()
        elif name == "sync":
            arg.set()

    def _open(self, source: Source) -> tuple[Decoder | None, str | None]:
        try:
            dec = Decoder(source.path, out_rate=self.rate, channels=self.channels,
                          duration_hint=source.duration_hint)
        except DecodeError as exc:
            return None, str(exc)
        source.duration = dec.duration
        return dec, None

    def _start_writing(self, source: Source, frame: int, dec: Decoder | None = None,
                       error: str | None = None) -> None:
        """Make ``source`` the one being written, from output frame ``frame``."""
        if dec is None and error is None:
            dec, error = self._open(source)
        if error is not None:
            self._ring.mark(source, 0, error=error)
            self._ring.end_of_stream = True
            self._writing, self._wdec = None, None
            return
        if frame != dec.frame:
            dec.seek_frame(frame)
        self._writing, self._wdec = source, dec
        self._ring.mark(source, dec.frame)

    def _drop_all(self) -> None:
        self._ring.flush()
        fade = (self._fade.a_dec, self._fade.b_dec) if self._fade else ()
        for dec in (self._wdec, self._ndec, self._prev[1] if self._prev else None, *fade):
            if dec is not None:
                dec.close()
        self._writing = self._wdec = self._next = self._ndec = self._nerr = self._nseg = None
        self._prev = self._fade = None
        self._announced, self._announced_failed = None, False

    def _unwrite_next(self) -> bool:
        """Take back the next source's frames if none were heard; the current one resumes writing."""
        if self._nseg is None:
            return True
        if not self._ring.retract(self._nseg):
            return False
        self._nseg = None
        if self._fade is not None:  # still writing A mixed with B
            self._wdec.seek_frame(self._fade.a_start_frame)
            self._fade.b_dec.seek_frame(0)
            self._fade = None
        elif self._prev is not None:
            if self._writing is not None and self._writing is not self._prev[0]:
                self._next, self._ndec = self._writing, self._wdec  # B goes back to "next"
                self._ndec.seek_frame(0)
            src, dec, frame = self._prev
            dec.seek_frame(frame)
            self._writing, self._wdec, self._prev = src, dec, None
        return True

    def _set_next(self, source: Source | None) -> None:
        if source is self._next:
            return
        if not self._unwrite_next():
            # Too late: the old next is already being heard and is the current one now.
            self._promote_next_to_current()
        if self._ndec is not None:
            self._ndec.close()
        self._next, self._ndec, self._nerr = source, None, None
        if source is None:
            return
        self._ndec, self._nerr = self._open(source)
        ring = self._ring
        if (self._writing is None and self._prev is not None and ring.end_of_stream and ring.segments
                and ring.segments[-1].source is self._prev[0] and ring.segments[-1].error is None):
            # The current source was fully written with nothing after it: carry on from its end.
            src, dec, _ = self._prev
            self._prev = None
            ring.end_of_stream = False
            self._writing, self._wdec = src, dec

    def _promote_next_to_current(self) -> None:
        """Forget the old next as "next" (it is heard now; a running fade keeps it)."""
        self._close_prev()
        self._ndec = self._next = self._nseg = None

    def _close_prev(self) -> None:
        if self._prev is not None:
            self._prev[1].close()
            self._prev = None

    def _seek(self, seconds: float) -> None:
        current = self._announced
        if current is None or self._announced_failed:
            return
        if self._nseg is not None and not self._unwrite_next():
            return  # mid-crossfade into the next source
        if self._writing is not current:
            if self._prev is None or self._prev[0] is not current:
                return
            src, dec, _ = self._prev
            self._prev = None
            self._writing, self._wdec = src, dec
        self._close_prev()
        frame = int(seconds * self.rate)
        total = self._wdec.total_frames
        if total is not None:
            frame = min(frame, max(0, total - 1))
        next_src, next_dec, next_err = self._next, self._ndec, self._nerr
        self._ring.flush()
        self._fade = self._nseg = None
        self._announced = current  # same source: no new "started"
        self._start_writing(current, frame, dec=self._wdec)
        self._next, self._ndec, self._nerr = next_src, next_dec, next_err
        if next_dec is not None:
            next_dec.seek_frame(0)

    def _fill(self) -> None:
        ring = self._ring
        while self._writing is not None and ring.free() >= BLOCK:
            dec, src = self._wdec, self._writing
            if self._fade is not None:
                block, done = self._fade.step(BLOCK)
                ring.push(block)
                if done:
                    fade, self._fade = self._fade, None
                    self._close_prev()
                    if self._nseg is None:  # B is heard already: A is no longer needed
                        fade.a_dec.close()
                    else:
                        self._prev = (fade.a_src, fade.a_dec, fade.a_start_frame)
                    self._writing, self._wdec = fade.b_src, fade.b_dec
                    if self._next is fade.b_src:
                        self._next = self._ndec = None
                continue
            n = BLOCK
            total = dec.total_frames
            fade_len = self._fade_len(dec)
            if fade_len:
                left = total - dec.frame
                if left <= fade_len:
                    if self._nseg is not None:
                        return  # the previous hand-over is not heard yet (very short source)
                    self._nseg = ring.mark(self._next, 0)
                    self._fade = Crossfade(src, dec, self._next, self._ndec, max(1, left))
                    continue
                n = min(n, left - fade_len)
            try:
                block = dec.read(n)
            except DecodeError as exc:
                ring.mark(src, dec.frame, error=str(exc))
                ring.end_of_stream = True
                self._writing = self._wdec = None
                return
            if len(block):
                if src.gain != 1.0:
                    np.multiply(block, src.gain, out=block)
                    np.clip(block, -1.0, 1.0, out=block)
                ring.push(block)
                continue
            if not self._source_exhausted(src, dec):
                return

    def _fade_len(self, dec: Decoder) -> int:
        if (self._crossfade_s <= 0 or self._ndec is None or dec.total_frames is None
                or self._ndec.total_frames is None):
            return 0
        return min(int(self._crossfade_s * self.rate), dec.total_frames // 2, self._ndec.total_frames // 2)

    def _source_exhausted(self, src: Source, dec: Decoder) -> bool:
        """Hand over to the next source; False while that has to wait."""
        if self._nseg is not None:
            return False  # the previous hand-over is not heard yet (very short source)
        self._close_prev()
        if self._next is None:
            self._ring.end_of_stream = True
            self._prev = (src, dec, dec.frame)
            self._writing = self._wdec = None
            return False
        if self._nerr is not None:
            self._nseg = self._ring.mark(self._next, 0, error=self._nerr)
            self._ring.end_of_stream = True
            self._prev = (src, dec, dec.frame)
            self._writing = self._wdec = None
            return False
        self._prev = (src, dec, dec.frame)
        self._nseg = self._ring.mark(self._next, 0)
        self._writing, self._wdec = self._next, self._ndec
        self._next = self._ndec = None
        return True

    def _watch(self) -> None:
        """Turn what the output has consumed into events."""
        ring = self._ring
        for seg in list(ring.segments):
            if seg.start > ring.read:
                break
            if seg.error is None and seg.source is self._announced:
                continue
            if seg.source is not self._announced:
                if self._announced is not None and not self._announced_failed:
                    self._emit("finished", source=self._announced)
                self._announced, self._announced_failed = seg.source, False
                self._current = seg.source
                self._emit("started", source=seg.source)
                if self._nseg is seg:
                    self._nseg = None
                if self._prev is not None and self._prev[0] is not seg.source:
                    self._close_prev()  # its successor is heard: no going back into it
            if seg.error is not None and not self._announced_failed:
                self._announced_failed = True
                self._emit("error", source=seg.source, message=seg.error)
        ring.prune()
        seg = ring.current_segment()
        if not (ring.end_of_stream and ring.read >= ring.write and self._writing is None
                and seg is not None and seg.source is self._announced):
            return
        with self._ctl:
            if not self._cmds.empty():
                return  # a command (play, stop) is on its way and decides what happens
            if not self._announced_failed:
                self._emit("finished", source=self._announced)
            self._drop_all()
            self._current = None
            self._set_state(PlaybackState.STOPPED)
            # Not _output_stop() yet: the device still holds the last frames
            # (its latency); stopping now would cut off the end of the track.
            self._idle_since = time.monotonic()
