"""The sound card engine: PortAudio through sounddevice.

The PortAudio callback only copies frames out of the pre-filled ring buffer
(:meth:`BufferedEngine._render`): no allocation, no I/O, no waiting. Decoding
and resampling to the device rate happen on the feeder thread. An underrun
(the buffer ran dry) is counted and logged, and is heard as a short silence.

If the device disappears -- PortAudio reports an error, the stream stops, or
the callback stops being called -- playback pauses with a ``device_lost``
event; :meth:`set_device` opens another device and playing can resume there.
Play or resume after such a loss opens the device anew: the stream that was lost
never plays again, even once the device (or the sound server) is back.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref

from player.audio.base import AudioEngineError, Source
from player.audio.buffered import BufferedEngine

log = logging.getLogger(__name__)

WARMUP_S = 0.15  # silence played when a stream (re)starts, before any audio
LET_GO_WAIT_S = 3.0  # how long stopping and closing a stream is waited for (see _close_stream)
#: how long a switch of output waits at most for the old one to fade out (see _fade_out): a
#: block of the output (2048 frames, 46 ms) and the fade's own 12 ms take a moment, but a busy
#: machine holds the audio thread back for tenths of a second, and an output holding more than
#: that (Bluetooth, 0.2-0.4 s) plays on meanwhile: given up on after a tenth, its music was cut
#: at full level. The output's latency comes on top, as one of long latency asks for its blocks
#: in bursts. Only an output that stopped calling for audio waits the whole time (on the
#: player's thread, never the window's).
SWITCH_FADE_WAIT_S = 1.0
OPEN_WAIT_S = 5.0  # how long opening a stream is waited for (see _open_stream)
EXIT_WAIT_S = 1.0  # how long a stream left to stop is waited for as the process exits (see _at_exit)
HEARD_BLOCKS = 128  # blocks kept to tell what is heard now (3 s of blocks of 1024 frames at 44.1 kHz)
MAX_DAC_DELAY_S = 2.0  # a host's time for a block further off than this is not believed

#: streams left to stop on their own (their sound server did not answer), until they have:
#: PortAudio is not started anew while one is (see SoundDeviceEngine._open_anew)
_left_to_stop: set = set()
#: streams being stopped and closed now, left to stop or not (see _at_exit)
_letting_go: set = set()
_engines: weakref.WeakSet = weakref.WeakSet()     # (their outputs are let go at exit: _at_exit)
_left_lock = threading.Lock()


def _sd():
    global _exit_checked
    try:
        import sounddevice
    except OSError as exc:  # the wheel has no PortAudio on Linux
        raise AudioEngineError(
            f"PortAudio is not installed ({exc}); on Debian/Ubuntu: sudo apt install libportaudio2"
        ) from exc
    if not _exit_checked:
        _exit_checked = True
        atexit.register(_at_exit, sounddevice)     # (after sounddevice's own: run before it)
    return sounddevice


_exit_checked = False


def _at_exit(sd) -> None:
    """As the interpreter exits, before sounddevice ends PortAudio: ending it closes every
    stream, and one left to stop on its own (its sound server does not answer) held the end
    for as long as the server did, so that Segue, its window closed, never exited. Such a
    stream is given :data:`EXIT_WAIT_S` to go; then PortAudio is left as it is, for the
    system to close with the process. An engine not closed (an exit with no close of the
    window) has its output let go first, as a close would: waited for as long."""
    for engine in list(_engines):
        engine._output_close()
    end = time.monotonic() + EXIT_WAIT_S
    while True:
        with _left_lock:
            left = len(_left_to_stop | _letting_go)
        if not left or time.monotonic() >= end:
            break
        time.sleep(0.05)
    if left:
        log.warning("exiting with %d audio output(s) whose sound server does not answer; "
                    "PortAudio is not ended", left)
        atexit.unregister(sd._exit_handler)


def output_names(devices, default_api: int) -> list[str]:
    """The names of the output devices in ``devices`` (PortAudio's list), each once: Windows
    lists every card once per sound system (MME, DirectSound, WASAPI), so the default
    system's devices are named, then the others' that it lacks."""
    outs = [d for d in devices if d.get("max_output_channels", 0) > 0]
    first = [d for d in outs if d.get("hostapi") == default_api]
    return list(dict.fromkeys(d["name"] for d in first + outs))


def pick_output(devices, default_api: int, name: str | None) -> int | str | None:
    """The device to open for the ``name`` chosen: the index of the output device of that
    exact name, of the default sound system where several are; else ``name`` itself, which
    PortAudio matches as part of a name (None: the default device)."""
    if not name:
        return None
    exact = [i for i, d in enumerate(devices) if d.get("max_output_channels", 0) > 0 and d["name"] == name]
    if not exact:
        return name
    return next((i for i in exact if devices[i].get("hostapi") == default_api), exact[0])


def _default_api(sd) -> int:
    try:
        return int(sd.default.hostapi)
    except (TypeError, ValueError, AttributeError):
        return -1


def output_devices() -> list[str]:
    """Names of the PortAudio devices that can play, each once."""
    sd = _sd()
    return output_names(list(sd.query_devices()), _default_api(sd))


def _send_output_devices(conn) -> None:
    """In the listing process: send back ("ok", names) or ("error", why)."""
    try:
        conn.send(("ok", output_devices()))
    except AudioEngineError as exc:
        conn.send(("error", str(exc)))
    finally:
        conn.close()


def current_output_devices(timeout_s: float = 20.0) -> list[str]:
    """Names of the output devices there now, each once, with those plugged in since Segue
    started. PortAudio reads its list of devices once, as it starts, and starting it again
    here would close the stream that is playing: a new process reads the list. Where that
    fails, the list this process has.
    """
    listed = output_devices_from_a_process(timeout_s)
    return output_devices() if listed is None else listed


def output_devices_from_a_process(timeout_s: float = 20.0) -> list[str] | None:
    """The output devices as a new process lists them; None where no process could be started
    or it did not answer (the self-test tells that apart from the fallback).

    A listing process that does not answer in ``timeout_s`` (a sound server that takes the
    connection and never replies) is killed: left running, Segue could not quit while it
    lived, and each look at the settings left one more behind.
    """
    from multiprocessing import get_context

    ctx = get_context("spawn")
    try:
        here, there = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_send_output_devices, args=(there,), name="segue-list-devices", daemon=True)
        proc.start()
    except Exception as exc:  # noqa: BLE001 - no process could be started: the list known here
        log.warning("could not start a process to list the output devices (%s)", exc)
        return None
    there.close()  # (so that its end reads as the end of the pipe here, should it crash)
    answer = None
    try:
        if here.poll(timeout_s):
            answer = here.recv()
    except (EOFError, OSError):
        pass  # it died before answering
    finally:
        here.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if answer is None:
        log.warning("the output devices could not be listed in a new process (no answer in %g s); "
                    "listing those known since the start", timeout_s)
        return None
    kind, value = answer
    if kind == "error":
        raise AudioEngineError(value)
    return value


class _Heard:
    """When each block a stream took begins to be heard, and the ring frames it took
    (time, first, end), the last :data:`HEARD_BLOCKS` of them: written by the audio thread,
    one whole entry at a time, then the count; read by any thread."""

    __slots__ = ("blocks", "told", "left")

    def __init__(self, left: _Heard | None = None):
        self.blocks: list[tuple[float, int, int] | None] = [None] * HEARD_BLOCKS
        self.told = 0
        #: the notes of the output a switch left, which plays what it took for its latency
        #: still: what is heard until this stream's first block is (see _heard_frame)
        self.left = left

    def frame(self, now: float, read: int, rate: int) -> tuple[int | None, int | None]:
        """(the ring frame heard at ``now``, or None where no block taken is heard yet; the
        first frame of the first block taken not heard yet, or None)."""
        told, blocks, first = self.told, self.blocks, None
        # The newest block already begun is the one playing: taken in order, the blocks are
        # heard in order, whatever the host's times for them (a time a little early or late
        # for one block, read before the one taken after it, moved the position back).
        for i in range(told - 1, max(0, told - HEARD_BLOCKS) - 1, -1):
            block = blocks[i % HEARD_BLOCKS]
            if block[0] <= now:
                at, before, after = block
                return min(read, after, before + int((now - at) * rate)), None
            first = block[1]
        return None, first

    def at(self, frame: int, rate: int) -> float | None:
        """When the ring frame ``frame`` begins to be heard: the time the block that took it
        begins to be heard, and its place in that block (a block's audio comes first in it);
        a frame taken before this stream's first block, by the output a switch left, is heard
        when that output plays it. None where no block kept took it (one just being taken,
        whose entry is not written yet)."""
        told, blocks = self.told, self.blocks
        for i in range(told - 1, max(0, told - HEARD_BLOCKS) - 1, -1):
            at, before, after = blocks[i % HEARD_BLOCKS]
            if before <= frame < after:
                return at + (frame - before) / rate
            if after <= frame:
                return None     # (taken in order: the blocks before this one took frames before it)
        left = self.left
        return left.at(frame, rate) if left is not None else None

    def first_at(self, frame: int, rate: int) -> float | None:
        """When this output's first music at or after the ring frame ``frame`` begins to be
        heard (None where it took none yet): where a switch came after the output left took
        ``frame``, the new one's music goes on from there."""
        told, blocks, found = self.told, self.blocks, None
        for i in range(told - 1, max(0, told - HEARD_BLOCKS) - 1, -1):
            at, before, after = blocks[i % HEARD_BLOCKS]
            if after <= frame:
                break       # (taken in order: the blocks before this one took frames before it)
            if after > before:
                found = at + max(0, frame - before) / rate
        return found

    def heard(self, now: float, read: int, rate: int) -> int | None:
        """The ring frame heard at ``now`` over this output and those switches left before it
        (None where nothing any of them took is heard yet). Just after a switch the output
        left still plays what it took while this one plays its first blocks of silence: read
        from this one alone, the position ran up to its whole latency ahead of the sound."""
        frame, first = self.frame(now, read, rate)
        left = self.left
        while left is not None and not left.told:
            left = left.left    # (one that took no block before it was left again)
        if left is not None:
            # (ring frames only grow: what this output takes comes after all the one left took)
            end = left.blocks[(left.told - 1) % HEARD_BLOCKS][2]
            if frame is None or frame <= end:
                before = left.heard(now, read, rate)
                if before is not None:
                    return min(before, frame if frame is not None else read if first is None else first)
        return frame

    def music_ends(self, rate: int) -> float | None:
        """When the last music taken by this output, or else by those left before it, has
        been heard (None: none took any)."""
        told = self.told
        for i in range(told - 1, max(0, told - HEARD_BLOCKS) - 1, -1):
            at, before, after = self.blocks[i % HEARD_BLOCKS]
            if after > before:
                return at + (after - before) / rate
        return self.left.music_ends(rate) if self.left is not None else None

    def music_left_s(self, now: float, rate: int) -> float:
        """How long after ``now`` the music these outputs took still plays (0: all heard, or none taken)."""
        ends = self.music_ends(rate)
        return 0.0 if ends is None else max(0.0, ends - now)

    def forget_behind(self, now: float) -> None:
        """Let go of the outputs left before the first one whose music is heard by ``now``:
        they played theirs out before it began. Kept while none is, at a second switch come
        before the first one's output was heard: the output before it still plays."""
        kept = self
        while kept.left is not None:
            told = kept.told
            if any((block := kept.blocks[i % HEARD_BLOCKS])[2] > block[1] and block[0] <= now
                   for i in range(max(0, told - HEARD_BLOCKS), told)):
                kept.left = None
                return
            kept = kept.left


class SoundDeviceEngine(BufferedEngine):
    """Plays through a PortAudio output device.

    Parameters
    ----------
    device : device name (or a unique part of it); None for the system default.
    rate : output rate; None uses the device's default rate (files are resampled to it).
    latency : PortAudio latency ("low", "high" or seconds); "high" survives a loaded CPU.
    blocksize : frames per callback (0 lets PortAudio choose). 2048 (46 ms at 44.1 kHz) took
        about half the CPU of PortAudio's choice on PulseAudio (383 frames) in bench_playback.
    """

    def __init__(self, *, device: str | None = None, rate: int | None = None, channels: int = 2,
                 latency: str | float = "high", blocksize: int = 2048, buffer_s: float = 1.5,
                 crossfade_s: float = 0.0):
        self._sdmod = _sd()
        self._device = device           # as chosen, for messages
        self._resolve()
        self._latency = latency
        self._blocksize = blocksize
        self._stream = None
        self._stream_lock = threading.Lock()
        self._heard = _Heard()     # the blocks the stream open now took (see _heard_frame)
        _engines.add(self)
        try:
            info = self._sdmod.query_devices(self._open_as, kind="output")
        except (ValueError, self._sdmod.PortAudioError) as exc:
            raise AudioEngineError(f"no audio output device {device or '(default)'}: {exc}") from exc
        super().__init__(rate=int(rate or info["default_samplerate"]), channels=channels,
                         buffer_s=buffer_s, crossfade_s=crossfade_s)
        # Opened to know at once that the device plays at this rate, then let go until the
        # first play: an open stream, even one never started, is kept by the sound server, and
        # its client thread woke the process about once a second while nothing was played.
        self._open_stream()
        self._close_stream()

    def _resolve(self) -> None:
        """Which device the name chosen opens (PortAudio's numbers change when it lists the
        devices anew)."""
        try:
            self._open_as = pick_output(list(self._sdmod.query_devices()), _default_api(self._sdmod), self._device)
        except self._sdmod.PortAudioError:
            self._open_as = self._device

    def _open_stream(self) -> None:
        """Open the output, waited for :data:`OPEN_WAIT_S` at most.

        A sound server that stopped answering holds PortAudio's open until it answers again,
        as it holds a stop (see :meth:`_close_stream`); a play or a switch of output opens under
        the engine's lock, and every pause and stop and the window's close waited with it. The
        open goes on on its own then, marked as left to stop so that PortAudio is not ended
        under it, and closes what it opens; the output reads as not answering. Play pressed
        again meanwhile waits for that open, as long at most, rather than start another beside
        it: each one stayed stuck with its thread until the server answered, and PortAudio was
        opening the same device from several threads at once."""
        sd = self._sdmod
        left = self._open_left
        if left is not None and left[1] == self._open_as:
            if not left[0].wait(OPEN_WAIT_S):
                raise AudioEngineError(
                    f"the audio output {self._device or '(default)'} still does not open "
                    "(its sound server does not answer)")
            self._open_left = None
        made = []   # (its end is told with the stream it was: one replaced since is no loss)
        # Its own notes: the blocks an output closed took and never played, timed on its clock,
        # read with a new one's moved the position back and forth after a switch of output.
        # (Those of the output a switch leaves are read only until this one's music is heard.)
        heard = _Heard(self._heard_left)
        failed = []
        done = threading.Event()
        over = threading.Event()    # (the open, and the close of what it opened late, are through)
        pending = object()      # (stands for the open while it is left to end on its own)

        def open_():
            try:
                made.append(sd.OutputStream(
                    samplerate=self.rate, channels=self.channels, dtype="float32", device=self._open_as,
                    latency=self._latency, blocksize=self._blocksize,
                    callback=lambda *args: self._callback(*args, left=made[0] in _left_to_stop
                                                          or made[0] in _letting_go, heard=heard),
                    finished_callback=lambda: self._finished(made[0] if made else None)))
            except Exception as exc:  # noqa: BLE001 - raised on the opening thread below
                failed.append(exc)
            finally:
                with _left_lock:
                    done.set()
                    late = pending in _left_to_stop
                if late:
                    try:
                        if made:
                            made[0].close()     # (never started: nothing of it was heard)
                    except sd.PortAudioError:
                        pass
                    finally:
                        with _left_lock:
                            _left_to_stop.discard(pending)
                over.set()

        threading.Thread(target=open_, name="audio-open", daemon=True).start()
        if not done.wait(OPEN_WAIT_S):
            with _left_lock:
                if not done.is_set():
                    _left_to_stop.add(pending)
                    self._open_left = (over, self._open_as)
                    raise AudioEngineError(
                        f"the audio output {self._device or '(default)'} did not open within {OPEN_WAIT_S:g} s "
                        "(its sound server does not answer)")
        if failed:
            exc = failed[0]
            if isinstance(exc, (ValueError, sd.PortAudioError)):
                raise AudioEngineError(f"cannot open audio output {self._device or '(default)'}: {exc}") from exc
            raise exc
        stream = made[0]
        with self._stream_lock:
            self._stream = stream
            self._heard = heard
            # (not called yet: a loss before its first call takes back nothing the one before played)
            self._called = None
        # (read here, once: the stream may be closed by another thread when a late fade asks)
        self._stream_latency = float(stream.latency)
        log.info("audio output: %s at %d Hz, latency %.3f s", self._device or "default", self.rate,
                 stream.latency)

    def _callback(self, outdata, frames, time_info, status, left: bool = False, heard=None) -> None:
        # Runs on PortAudio's thread: copy from the ring buffer and nothing else.
        if left:
            # A stream left to stop on its own whose server answers again plays on until its
            # stop goes through: it must not take the next play's audio from the stream open now.
            outdata.fill(0.0)
            return
        now, before = time.monotonic(), self._ring.read
        self._fill_block(outdata, frames, status)
        # When this block begins to be heard: the time the host gives for it, where that is
        # sane (0 or nonsense on some hosts), or else the latency the stream reported.
        delay = time_info.outputBufferDacTime - time_info.currentTime
        if not 0.0 < delay < MAX_DAC_DELAY_S:
            delay = self._stream_latency or 0.0
        i = heard.told
        heard.blocks[i % HEARD_BLOCKS] = (now + delay, before, self._ring.read)
        heard.told = i + 1   # (after the entry: a reader never finds one not yet written)
        self._called = now

    def _fill_block(self, outdata, frames, status) -> None:
        if status.output_underflow:
            self._xruns += 1  # the device ran dry between callbacks (we were late)
        if frames > self._block_seen:
            self._block_seen = frames   # (a host that chooses its own blocks: see _output_reach_s)
        if self._warmup > 0:
            # A freshly started stream loses its first tens of milliseconds on some
            # servers (measured on PulseAudio's ALSA plugin): start with silence.
            self._warmup -= frames
            self._beat += 1
            outdata.fill(0.0)
            return
        self._render(outdata)

    def _heard_frame(self, read: int, now: float | None = None) -> int:
        """The ring frame heard now (or at ``now``): the output plays a block a latency after it
        takes it (0.09-0.4 s on PulseAudio, more over Bluetooth), and the position counted by what it
        took ran that far ahead of the sound, the synced lyrics with it. Found from the last
        blocks taken, each with the time it begins to be heard; a block's audio comes first
        in it (a pause's fade, the end of a track), silence after."""
        now, heard = time.monotonic() if now is None else now, self._heard
        frame = heard.heard(now, read, self.rate)
        if frame is not None:
            return frame
        # (nothing taken is heard yet: where the first block begins)
        _, first = heard.frame(now, read, self.rate)
        return read if first is None else min(read, first)

    def _heard_at(self, frame: int) -> float | None:
        """When the ring frame ``frame`` begins to be heard: the time the block that took it
        begins to be heard, and its place in that block (a block's audio comes first in it).
        None where no block kept took it (one just being taken, whose entry is not written yet)."""
        return self._heard.at(frame, self.rate)

    def _heard_from(self, frame: int) -> float | None:
        """When the music from the ring frame ``frame`` on is first heard: where it was taken by
        an output left since (a switch), the earlier of that output's time for it and the new
        output's for its first music after it, whichever plays first."""
        heard = self._heard     # (read once: a switch replaces it whole)
        times = [t for t in (heard.at(frame, self.rate), heard.first_at(frame, self.rate)) if t is not None]
        return min(times) if times else None

    def _finished(self, stream) -> None:
        # Called by PortAudio when the stream ends; unexpected while we are playing.
        if self._closing:
            return
        with self._stream_lock:
            if stream is not self._stream:
                return      # replaced, or let go, since: not the output playing now
        # Paused, or stopped with the output not let go yet, the device went away: nothing
        # is playing to pause, but this stream is dead, and started again it took no audio
        # while showing as playing (the watchdog, seeing no stream running, never said so).
        # The next start opens the output anew.
        self._lost = True
        # Paused on another thread: this is PortAudio's thread for the stream, and stopping or
        # closing the stream waits for it to end. A switch of output, a play or a stop holds the
        # engine's lock while it closes the lost stream, and the pause waiting here for that
        # lock hung both for good.
        threading.Thread(target=self._ended, args=(stream,), name="audio-lost", daemon=True).start()

    def _ended(self, stream) -> None:
        with self._ctl:
            if stream is self._stream and self.state.value == "playing":
                self._device_lost("the audio output stream ended unexpectedly")
            elif stream is self._stream and self.state.value == "paused":
                self._back_to_heard()   # (paused just before, it still played what it took)

    _closing = False
    _called: float | None = None   # when the output last called for audio (time.monotonic())
    _open_left = None  # (its end, the device) of an open that did not return in time: see _open_stream
    _heard_left = None  # the notes of the output a switch is leaving, while it plays its last blocks
    _lost = False  # the stream went away with the device: the next start opens a new one
    _warmup = 0
    _xruns = 0
    _stream_latency: float | None = None   # the output latency the last stream opened reported
    _block_seen = 0     # the most frames a callback was asked for

    def _output_reach_s(self) -> float | None:
        """The stream's reported output latency and two of its blocks: the block asked for, or
        the largest the device took where that is more (a block size of 0 lets PortAudio
        choose; WASAPI shared and CoreAudio can ask for blocks of their own)."""
        latency = self._stream_latency
        if latency is None:
            return None
        return latency + 2 * max(self._blocksize, self._block_seen) / self.rate

    @property
    def underruns(self) -> int:
        """Ring buffer underruns (decoding was late) plus device underflows (the callback was late)."""
        return self._ring.underruns + self._xruns

    def _output_start(self) -> None:
        if self._lost:
            self._reopen()
        with self._stream_lock:
            stream = self._stream
        if stream is None:  # let go after a long pause or at the end (or a device that failed)
            self._open_anew()
            with self._stream_lock:
                stream = self._stream
        if not self._active(stream):
            # Switched mid-song, the new output begins with silence until the one left has
            # played the music it took: begun at once, the two played a tenth of a second of
            # the song twice over, at two places, and the position jumped ahead with the new.
            self._warmup = int(max(WARMUP_S, self._left_plays_s()) * self.rate)
            # A stream started anew begins from silence: the music fades in, as at a resume.
            # Switched to another output mid-song, the new one came in mid-wave at full level
            # after its first silent blocks, a click on the device just chosen. (A play from
            # its start is still heard from its first frame: see BufferedEngine._render.)
            self._level_cut = True
            # (a switch of output holds the music silent until now: see _set_device)
            self._moving_out = False
            try:
                stream.start()
            except self._sdmod.PortAudioError as exc:
                raise AudioEngineError(f"cannot start the audio output: {exc}") from exc

    def _left_plays_s(self) -> float:
        """How long the output a switch is leaving still plays music it took (0: none)."""
        left = self._heard_left
        return 0.0 if left is None else min(MAX_DAC_DELAY_S, left.music_left_s(time.monotonic(), self.rate))

    def _output_stop(self, *, drain: bool = False) -> None:
        with self._stream_lock:
            stream = self._stream
        if drain and stream is not None and self._active(stream):
            # PortAudio's drain does not cover the sound server's own buffer (measured: the
            # last ~23 ms were lost on PulseAudio): give the device its latency since the last
            # frame was handed over, then stop() waits until it played what it holds.
            ended = self._idle_since
            since = time.monotonic() - ended if ended is not None else 0.0
            time.sleep(max(0.0, min(1.0, stream.latency + 0.1 - since)))
        # Let the device go altogether: a stopped stream whose device (or sound server) went
        # away meanwhile hung for good in PortAudio when started again (measured with
        # PulseAudio's ALSA plugin), where a new one opens, or fails with an error, at once.
        self._close_stream(drain=drain)

    def _output_running(self) -> bool:
        with self._stream_lock:
            stream = self._stream
        return stream is not None and self._active(stream)

    def _active(self, stream) -> bool:
        """Whether ``stream`` runs. One closed by another thread since it was read (a lost
        device, a let-go) answers with an error: it does not run, and the feeder asking (or
        letting the output go) must not die of it."""
        try:
            return stream.active
        except self._sdmod.PortAudioError:
            return False

    def _output_close(self) -> None:
        self._closing = True
        self._close_stream()

    def _device_lost(self, message: str) -> None:
        self._lost = True
        with self._ctl:
            if self.state.value == "playing":
                # Back to what was heard before the pause is told: the player and the window
                # act on it at once, on another thread, and saved or showed the place the
                # output had taken, up to its latency past where Play goes on.
                self._ring.audible = False  # (a seek keeps no old audio: see BufferedEngine._device_lost)
                self._level_cut = True
                self._back_to_heard()
            super()._device_lost(message)

    def _back_to_heard(self) -> None:
        """The output lost as it played: what it took and had not played yet (its latency, a
        second and more over Bluetooth) is never heard, a device unplugged or hung taking it
        along. The song goes back to the last frame heard, and only what was heard counts:
        it went on from the last frame taken, that much of it skipped, and logged as heard.
        Heard until the output's last call for audio and one block after it (when the next
        call was due): a device that stops calling is seen only some seconds later. One that
        never called took nothing: what was taken before it, an output a switch left played."""
        current, called = self._current, self._called
        if current is None or called is None or self._moving is not None:
            return
        block_s = max(self._blocksize, self._block_seen) / self.rate
        ring = self._ring
        with ring.lock:
            read = ring.read
            frame = self._heard_frame(read, min(time.monotonic(), called + block_s))
            segs = [seg for seg in ring.segments if seg.start < read]
            if frame >= read or not segs or segs[-1].source is not current:
                return      # (all heard; or the output took the next song not told yet: left as it was)
            seg = segs[-1]
            # Lost in a gapless hand-over, the song before still playing its last notes, none
            # of this one was heard: it goes on from its first frame the output took.
            frame = max(frame, seg.start)
            current.heard_frames = max(0, current.heard_frames - (read - frame))
        self.seek((seg.offset + frame - seg.start) / self.rate, current)

    def resume(self) -> None:
        # After a loss the old stream started without error and stayed silent, which read as
        # playing while nothing was heard: the output is opened again (see _output_start), or
        # the song stays paused and the person is told why.
        with self._ctl:
            try:
                super().resume()
            except AudioEngineError as exc:
                self._device_lost(str(exc))

    def play(self, source: Source) -> None:
        # The output is let go a while after the queue runs out (or the person stops), and
        # its device may be gone by the next play: the song then waits, paused at its start,
        # as after a loss mid-song, and Play opens the output again. Raised to the player,
        # the song itself was logged as one that failed to play.
        with self._ctl:
            try:
                super().play(source)
            except AudioEngineError as exc:
                self._level_full = False  # (its resume fades in, as a paused song's does)
                self._cmds.put(("play", (source, self._move(source, source.start_s), self._plays)))
                self._device_lost(str(exc))

    def _fade_out(self) -> bool:
        """Fade the output playing to silence, as a pause does, and wait (on the caller's
        thread, never the window's: at most :data:`SWITCH_FADE_WAIT_S` and its latency) until the audio
        thread has. False when it did not (no output running, or one that stopped calling):
        its sound is then cut as before."""
        if not self._output_running():
            return False
        self._moving_out = True
        # An output of long latency (Bluetooth: 0.3-2 s) takes its blocks in bursts, as its
        # buffer empties: at 0.56 s the fade was taken 0.14 s after it was asked for, at 1.1 s
        # after 0.27 s. Given up after 0.1 s, the old output was cut mid-wave (a click), and
        # the music it held, up to its whole latency, was never heard.
        latency = min(MAX_DAC_DELAY_S, self._stream_latency or 0.0)
        end = time.monotonic() + SWITCH_FADE_WAIT_S + latency
        while self._level > 0:
            if time.monotonic() >= end:
                return False
            time.sleep(0.002)
        return True

    def _still_sounding(self) -> bool:
        """Whether the output open now has music it took still to be heard."""
        with self._stream_lock:
            heard = self._heard if self._stream is not None else None
        return heard is not None and heard.music_left_s(time.monotonic(), self.rate) > 0.0

    def _close_stream(self, *, drain: bool = False, wait: bool = True, linger: bool = False) -> None:
        """Close the stream, if any, without reporting its end as a loss (``drain``: once it
        played what it holds; else at once; ``wait``: False lets it go on another thread,
        returning at once; ``linger``: its own blocks are silence now, and it plays them for
        its latency first, as PortAudio's drain does not cover the sound server's own buffer).

        Waited for :data:`LET_GO_WAIT_S` at most. A sound server that stopped answering (a
        Bluetooth device gone, the server stopped) holds PortAudio's stop and close until it
        answers again, and the engine's lock with them: every play, pause and stop waited,
        and the window's close too. The stream, no longer the engine's, is left to end on
        its own then, and the next play opens a new one."""
        with self._stream_lock:
            old, self._stream = self._stream, None
        if old is None:
            return
        done = threading.Event()

        latency = self._stream_latency if linger else 0.0
        # (up to the longest latency believed: cut at 1 s, an output of 1.1 s lost its fade)
        linger_s = min(MAX_DAC_DELAY_S, latency + 0.05) if latency else 0.0

        def let_go():
            try:
                if linger_s:
                    time.sleep(linger_s)
                if drain and self._active(old):
                    old.stop()
                else:
                    old.abort()
            except self._sdmod.PortAudioError as exc:
                if drain:
                    log.warning("stopping the audio output: %s", exc)
            try:
                old.close()
            except self._sdmod.PortAudioError:
                pass  # the old device may be gone; that is why we are here
            finally:
                with _left_lock:
                    done.set()
                    _left_to_stop.discard(old)
                    _letting_go.discard(old)

        def watch(wait_s: float) -> None:
            if done.wait(wait_s):
                return
            with _left_lock:
                if not done.is_set():
                    _left_to_stop.add(old)
            log.warning("the audio output did not stop within %g s (its sound server does not answer); "
                        "it is left to stop on its own", LET_GO_WAIT_S)

        with _left_lock:
            _letting_go.add(old)
        threading.Thread(target=let_go, name="audio-let-go", daemon=True).start()
        if wait:
            watch(LET_GO_WAIT_S)
        else:
            # Not waited for, it is still watched: a stream whose server stops answering as it
            # plays its last blocks (the output left by a switch) was never counted as left to
            # stop, and every later open that failed waited the whole let-go time for it.
            threading.Thread(target=watch, args=(linger_s + LET_GO_WAIT_S,),
                             name="audio-let-go-watch", daemon=True).start()

    def _open_anew(self) -> None:
        """Open the device chosen, looking at PortAudio's list again if it fails."""
        self._resolve()
        try:
            self._open_stream()
        except AudioEngineError:
            # PortAudio lists devices once; after a device (or sound server) came and
            # went, re-initialise it to see the current ones. Safe: no stream is open,
            # unless one is left to stop on its own. Ending PortAudio closes that one too,
            # while its stop is still waiting for its server: the end waited with it, under
            # the engine's lock, and the stop's own close came after PortAudio had freed it.
            # (an output being let go, the old one of a switch playing its last blocks, is
            # waited for: ending PortAudio under it would close it mid-stop)
            end = time.monotonic() + LET_GO_WAIT_S
            while True:
                with _left_lock:
                    going, left = len(_letting_go - _left_to_stop), len(_left_to_stop)
                if not going or time.monotonic() >= end:
                    break
                time.sleep(0.01)
            left += going
            if left:
                log.warning("the list of devices is not read again while %d output(s) that stopped "
                            "answering are still being let go", left)
                raise
            self._sdmod._terminate()
            self._sdmod._initialize()
            self._resolve()
            self._open_stream()
        self._lost = False

    def _reopen(self) -> None:
        """Replace a lost stream with a new one on the same device.

        Raises
        ------
        AudioEngineError
            The device cannot be opened (still gone).
        """
        log.info("opening the audio output %s again after it was lost", self._device or "(default)")
        self._close_stream()
        self._open_anew()

    def devices(self) -> list[str]:
        return output_devices()

    @property
    def device(self) -> str | None:
        return self._device

    def set_device(self, name: str | None) -> None:
        """Move playback to another device (same rate); resumes if it was playing.

        Raises
        ------
        AudioEngineError
            The device cannot be opened at this engine's rate; playback stays on the device
            it was on (a device switched off since the list was read left nothing open, and
            the song showing as playing in silence).
        """
        # Under the engine's lock, as play and resume are: a play meanwhile (the next song,
        # begun on the player's event thread) found no stream in the middle of the switch and
        # opened one of its own, which the switch then replaced without closing; both played,
        # each taking every other block of the same songs.
        with self._ctl:
            self._set_device(name)

    def _set_device(self, name: str | None) -> None:
        try:
            self._switch_device(name)
        finally:
            self._moving_out = False
            self._heard_left = None

    def _switch_device(self, name: str | None) -> None:
        was_playing = self.state.value == "playing"
        before = self._device
        # Paused a moment ago, the old output still plays the music it took before the pause
        # (up to its latency: a second and more over Bluetooth): cut at once, the end of it
        # clicked, and the resume went on from the last frame taken, so that what it still
        # held was never heard (0.57 s at 0.56 s of latency, 1.2 s at 1.1 s). It plays out
        # on its own, as when playing.
        if (was_playing or self._still_sounding()) and self._fade_out():
            # Faded: the old output plays what it holds (the fade's end and silence) on its
            # own, while the new one opens; cut at once, it stopped mid-wave (a click on the
            # speakers the person leaves). (Its blocks are silence from now on: see _callback.)
            # The music stays held silent until the new output starts (see _output_start): a
            # block of the old one already past its check in _callback as it was let go went
            # on to render the music, fading in on the speakers being left and taking those
            # frames from the new output.
            with self._stream_lock:
                left = self._heard
            # Switched again before the output being left was heard (its first blocks of
            # silence, or music it took not heard yet): the one before it still plays what it
            # took. Read from the newer alone, the position ran up to a latency ahead.
            left.forget_behind(time.monotonic())
            self._heard_left = left
            self._close_stream(drain=True, wait=False, linger=True)
        else:
            self._moving_out = False
            self._close_stream()
        self._device = name
        try:
            self._open_anew()
        except AudioEngineError:
            self._device = before
            try:
                self._open_anew()
            except AudioEngineError as exc:
                self._device_lost(str(exc))
            else:
                if was_playing or self.state.value == "paused":
                    self._output_start()
                    self._cmds.put(("wake", None))
                else:
                    self._close_stream()
            raise
        if was_playing or self.state.value == "paused":
            self._output_start()
            # Started while paused, the output is let go after the pause's time by the feeder,
            # which rests until told something once the output was let go before.
            self._cmds.put(("wake", None))
        else:
            self._close_stream()    # (stopped: opened to check it, held from the next play on)
