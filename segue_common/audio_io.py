"""Decoding audio files to float32 arrays: soundfile first, ffmpeg/audioread as the fallback.

Shared by analysis (:func:`open_blocks`: a file read in blocks, seeking where the decoder
seeks exactly; :func:`load_audio` for a whole file or a slice) and playback
(:class:`SoundfileReader` for what libsndfile decodes, read on past a damaged stretch, and
:class:`OggChainReader` for Ogg files joined end to end, of which libsndfile reads the first;
:func:`open_mp3` for every MP3, :func:`open_fallback` for the files libsndfile cannot open,
e.g. m4a/aac). Errors become values of our own types at this boundary:

- :class:`UnsupportedAudioError` -- no decoder here can read this format
  ("format not supported (m4a): install ffmpeg to play it");
- :class:`CorruptAudioError` -- a format we read, but this file is damaged or empty.

Both derive from :class:`AudioError`. A path that does not exist raises ``FileNotFoundError``.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import functools
import io
import json
import logging
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from segue_common import mp3, mp4, whole_files
from segue_common.environment import system_environment
from segue_common.regular_file import open_regular_file, open_regular_stream

log = logging.getLogger(__name__)

# Extensions libsndfile (soundfile >= 0.12, libsndfile >= 1.1) decodes itself.
SOUNDFILE_EXTENSIONS = frozenset(
    {"wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "aifc", "au", "snd", "caf", "w64"}
)


#: the words that end every error which only the want of ffmpeg caused (a format nothing else
#: here decodes): a file stored with such an error, by a scan or an analysis, is read again
#: once ffmpeg is found (:func:`for_want_of_ffmpeg`), without the person having to ask
INSTALL_FFMPEG = "install ffmpeg to play it"


def needs_ffmpeg(path: str | os.PathLike) -> str:
    """The error of a file that nothing here decodes without ffmpeg."""
    return f"format not supported ({_ext(path)}): {INSTALL_FFMPEG}"


def for_want_of_ffmpeg(error: str | None) -> bool:
    """Whether a stored error was for want of ffmpeg alone (see :data:`INSTALL_FFMPEG`)."""
    return bool(error) and INSTALL_FFMPEG in error


class AudioError(Exception):
    """Base class for audio files Segue cannot decode."""


class UnsupportedAudioError(AudioError):
    """No decoder available here reads this format."""


class CorruptAudioError(AudioError):
    """The format is supported, but this file could not be decoded."""


class ReadFailedError(CorruptAudioError):
    """Reading the file failed in the system, not in its content (a drive unplugged, a network
    share dropped): once it is back, the file may play. Its cause is an :class:`OSError`."""


#: how ffmpeg says a read of the file failed (EIO: "Input/output error" on Linux and macOS,
#: "I/O error" on Windows), and libsndfile ("System error", followed by the system's words)
_READ_FAILED_WORDS = ("Input/output error", "I/O error", "System error")


def read_failed(words: str | None) -> bool:
    """Whether a decoding library's or ffmpeg's ``words`` say reading the file failed (see
    :class:`ReadFailedError`), rather than what was read is not audio."""
    return bool(words) and any(w in words for w in _READ_FAILED_WORDS)


def error_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every error it was raised from or raised while handling, each once."""
    seen: dict[int, BaseException] = {}
    causes = [exc]
    while causes:
        cause = causes.pop()
        if id(cause) not in seen:
            seen[id(cause)] = cause
            causes.extend(c for c in (cause.__cause__, cause.__context__) if c is not None)
    return list(seen.values())


def failed_in_system(exc: BaseException) -> OSError | sf.LibsndfileError | None:
    """The error in ``exc``'s :func:`error_chain` that says the system failed to read the file
    (an :class:`OSError`, or libsndfile's "System error"), else None: the file is not at fault,
    and once its drive or share is back it may play. libsndfile says a read that fails while it
    opens a file as the file's fault ("Format not recognised."), and such a file is tried with
    ffmpeg, whose "Input/output error" is then only the error the refusal was raised while
    handling: every error of the chain is looked at."""
    return next((c for c in error_chain(exc) if isinstance(c, OSError)
                 or isinstance(c, sf.LibsndfileError) and read_failed(c.error_string)), None)


#: the system's errors for a read of a file that failed for the disk's or the network's sake
#: (the device gone, a share's server not answering), not the file's
_READ_FAILED_ERRNOS = frozenset(getattr(errno, name) for name in (
    "EIO", "ENXIO", "ENODEV", "ESTALE", "ENOTCONN", "ETIMEDOUT", "EHOSTDOWN", "ENETDOWN") if hasattr(errno, name))


def failed_reading(exc: BaseException) -> bool:
    """Whether ``exc``, or an error of its :func:`error_chain`, says reading the file failed in
    the system (see :class:`ReadFailedError`): no fault of the file's, which may read once the
    drive or share is back. Narrower than :func:`failed_in_system`, which takes any
    :class:`OSError`: these are the failures said to the person as a drive or share gone."""
    return any(isinstance(c, ReadFailedError)
               or isinstance(c, OSError) and c.errno in _READ_FAILED_ERRNOS
               or isinstance(c, sf.LibsndfileError) and read_failed(c.error_string) for c in error_chain(exc))


def _read_failure(message: str, reason: str) -> ReadFailedError:
    """A :class:`ReadFailedError` saying ``message``, caused by the system's error ``reason``."""
    error = ReadFailedError(message)
    error.__cause__ = OSError(errno.EIO, reason)
    return error


def _ext(path: str | os.PathLike) -> str:
    return Path(path).suffix.lower().lstrip(".") or "no extension"


#: the first bytes of containers that are no MPEG stream (WAV, RF64, AIFF, FLAC, Ogg, WavPack, CAF)
_OTHER_CONTAINERS = (b"RIFF", b"RF64", b"FORM", b"fLaC", b"OggS", b"wvpk", b"caff")


def starts_as_other_audio(path: str | os.PathLike) -> bool:
    """Whether a file begins as another kind of audio than an MPEG stream, whatever its name:
    dr_mp3 looks for frames through the whole of it (a 5-minute WAV named .mp3 took 0.9 s
    to be refused), and a WAV's samples that happen to hold MPEG frames it plays as those."""
    try:
        with open_regular_file(path) as f:
            head = f.read(12)
    except OSError:
        return False            # (its opening says why, below)
    return head[:4] in _OTHER_CONTAINERS or head[4:8] == b"ftyp"


def soundfile_name(path: str | os.PathLike):
    """``path`` as soundfile must get it: it encodes a str strictly as UTF-8, so a file name
    that is not valid UTF-8 (kept by Python as lone surrogates) goes as its original bytes."""
    path = os.fspath(path)
    if isinstance(path, str) and os.name != "nt":
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            return os.fsencode(path)
    return path


def no_console_window() -> dict:
    """What to pass to ``subprocess`` when starting ffmpeg or ffprobe: on Windows a console
    program started from a windowed app opens a console window of its own, which would flash
    up at every track played or analysed; elsewhere nothing."""
    if sys.platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0x08000000)}
    return {}


#: where Homebrew (Apple silicon, then Intel) and MacPorts put the programs they install: a Mac
#: app started from the Finder or the Dock gets PATH=/usr/bin:/bin:/usr/sbin:/sbin, which has
#: none of them, so an ffmpeg installed the usual way would not be found
MAC_PROGRAM_DIRS = ("/opt/homebrew/bin", "/usr/local/bin", "/opt/local/bin")


def ffmpeg_path() -> str | None:
    """The ffmpeg executable used by the fallback, or None (``SEGUE_FFMPEG`` overrides; on a
    Mac also looked for in :data:`MAC_PROGRAM_DIRS`). ffprobe is looked for beside it first."""
    exe = os.environ.get("SEGUE_FFMPEG") or shutil.which("ffmpeg")
    if exe is None and sys.platform == "darwin":
        exe = shutil.which("ffmpeg", path=os.pathsep.join(MAC_PROGRAM_DIRS))
    return exe


def ffprobe_beside(exe: str) -> str | None:
    """The ffprobe that goes with the ffmpeg ``exe``: the one beside it first (a build unpacked
    in a folder of its own is rarely on the PATH), else the PATH's; None where there is none."""
    return shutil.which("ffprobe", path=str(Path(exe).parent)) or shutil.which("ffprobe")


#: whether each (ffmpeg, ffprobe) pair found ran, asked once per process
_COMPLETE: dict[tuple[str, str | None], bool] = {}


def ffmpeg_complete() -> str | None:
    """ffmpeg's path where it runs and ffprobe is found too (beside it or on PATH), else None:
    what reading every format it plays takes. Whether files kept as unreadable for want of
    ffmpeg are tried again goes by this, not by a name found: an ffmpeg that does not run
    (libraries gone after an upgrade, a wrong ``SEGUE_FFMPEG``) or comes without ffprobe
    would fail them again, with an error that no longer says ffmpeg is what they wait for."""
    exe = ffmpeg_path()
    if exe is None:
        return None
    probe = ffprobe_beside(exe)
    key = (exe, probe)
    if key not in _COMPLETE:
        ok = False
        if probe is None:
            log.warning("ffmpeg found at %s, but no ffprobe beside it or on PATH", exe)
        else:
            try:
                ok = subprocess.run([exe, "-version"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=15, env=system_environment(),
                                    **no_console_window()).returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
            if not ok:
                log.warning("ffmpeg found at %s does not run", exe)
        _COMPLETE[key] = ok
    return exe if _COMPLETE[key] else None


class FallbackStream:
    """Blocks of float32 frames [shape=(frames, channels)] decoded by ffmpeg or audioread.

    An iterator (each item one block) and a context manager; ``samplerate`` and ``channels``
    are known on open. :meth:`seek` moves to any frame, exactly: the blocks after it are the
    ones decoding from the start would give from there. ``fast_seek`` says whether a seek
    starts ffmpeg at that place (containers whose timestamps count every sample: MP4/M4A,
    ADTS AAC, WavPack, TTA, DSF, DSDIFF; Monkey's Audio at the start of the frame the place
    is in); elsewhere ffmpeg decodes from the start up to it, which takes
    a second or more in a long file. ``duration``: the length in seconds as ffprobe gives it
    from the headers (None where it gives none), not always to the sample.

    ``seek(frame, exact=False)`` is for a person's seek (the seek bar, a jump by keys, a place
    kept from before), where a few ms off is not heard but seconds of waiting are: in Matroska
    and WebM it starts ffmpeg near the place (see :meth:`_near_start`), under 1 ms off the
    frame asked for. Whatever goes on from audio already heard (a join, a retag's
    open again, a fade taken back) seeks exactly.

    ``lazy``: ffmpeg starts decoding from the start at the first read rather than on open. A
    reader that takes what it needs from ffmpegs of its own (:meth:`spans`, :meth:`frames_from`)
    or seeks first would otherwise have started one for nothing, which decodes on until the
    pipe is full and is then killed unread. Playback opens eagerly: the next track is opened
    ahead, and its ffmpeg has the file open and the first block decoded by the time it is heard.
    """

    def __init__(self, path: str | os.PathLike, *, blocksize: int = 8192, lazy: bool = False):
        self.path = str(path)
        self.blocksize = blocksize
        self.fast_seek = False
        self._proc = None
        self._reader = None
        self._skip = 0          # frames still to drop before the next block (after a seek)
        self._lead = 0          # frames ffmpeg decodes before the stream's time 0 (see _ffprobe)
        self._length = None     # the frames after those that are the stream, where ffmpeg decodes more
        self._grid = None       # where a jump must land on a multiple of it, that (see _ffprobe)
        self._held = None       # a block decoded ahead (:meth:`has_audio`), the next one given
        self._waiting = False   # ffmpeg is to start decoding from the start at the next read (``lazy``)
        self._near: int | None | bool = None  # how far a jump by -ss lands from the place (see _near_start)
        self.duration = None
        self.format = ("", "")  # ffmpeg's names of the container and the codec, where ffprobe gave them
        #: the names of the channels, in their order in the blocks, where ffprobe gave them
        self.layout: tuple[str, ...] | None = None
        self._layout_name = ""  # ffmpeg's name of that layout
        self._exe = ffmpeg_path()
        if self._exe is not None:
            self.samplerate, self.channels, self.fast_seek, self._lead, self._length, self.duration, self._grid, \
                self.format, self._layout_name = _ffprobe(self._exe, self.path)
            self.layout = _ffmpeg_layout(self._layout_name, self.channels)
            self._layout_name = "" if self.layout is None else _ffmpeg_layout_spec(self._layout_name, self.layout)
            if lazy:
                self._waiting = True
            else:
                self._start_ffmpeg(0)
            return
        self._open_audioread()
        self.samplerate, self.channels = int(self._reader.samplerate), int(self._reader.channels)

    def _open_audioread(self) -> None:
        try:
            import audioread

            self._reader = audioread.audio_open(self.path)
        except Exception as exc:  # audioread raises its own NoBackendError / DecodeError
            raise UnsupportedAudioError(needs_ffmpeg(self.path)) from exc
        self._buffers = iter(self._reader)

    def _start_ffmpeg(self, frame: int, near: int | None = None) -> None:
        """Run ffmpeg to decode from ``frame`` on (``near``: see :meth:`_spawn`)."""
        self._proc, self._stderr_tail, self._stderr_thread, self._skip = self._spawn(frame, near=near)

    def _spawn(self, frame: int, spans: list[tuple[int, int | None]] | None = None, near: int | None = None,
               ) -> tuple[subprocess.Popen, bytearray, threading.Thread, int]:
        """An ffmpeg decoding from ``frame`` on (or only ``spans``, see :meth:`spans`), the last
        of its messages (kept as they come), the thread keeping them, and the frames it
        decodes before ``frame``, to be dropped. ``near``: ffmpeg jumps (``-ss``) to where the
        frame ``near`` is reached by a jump in this file (see :meth:`_near_start`), and what
        it decodes before ``frame`` is dropped here."""
        rate, seek, trim, skip = self.samplerate, [], [], 0
        if near is not None:
            at = frame - int(rate * _SEEK_PREROLL_S)
            seek, skip = ["-ss", f"{max(0, at - near) / rate:.6f}"], frame - at
        elif spans is not None:
            # Each stretch cut from one decoding of the whole file by counting samples (as
            # below), the stretches then joined in order: only they come through the pipe.
            # None of them goes past the stream's end where ffmpeg decodes more (a Musepack
            # file's padding), as reading on does not.
            if self._length is not None:
                spans = [(a, self._length if b is None else min(b, self._length)) for a, b in spans]
            cuts = [f"atrim=start_sample={a + self._lead}" + ("" if b is None else f":end_sample={b + self._lead}")
                    for a, b in spans]
            if len(cuts) == 1:
                graph = f"aresample={rate},{cuts[0]}"
            else:
                k = len(cuts)
                graph = (f"aresample={rate},asplit={k}" + "".join(f"[s{i}]" for i in range(k)) + ";"
                         + "".join(f"[s{i}]{cut}[t{i}];" for i, cut in enumerate(cuts))
                         + "".join(f"[t{i}]" for i in range(k)) + f"concat=n={k}:v=0:a=1")
            trim = ["-af", graph]
        elif frame > 0 and self.fast_seek:
            # ffmpeg's -ss before -i has the demuxer jump and the decoder drop what comes
            # before the time asked for, to the sample. It starts a little earlier, though:
            # what a decoder outputs first after a jump lacks what came before it (AAC's
            # overlap of frames, the state Opus builds up) and differs from the same place
            # decoded from the start. That lead-in is decoded and dropped here.
            at = max(0, frame - int(rate * _SEEK_PREROLL_S))
            if self._grid:
                # (the codec's frames are decoded each on its own: no lead-in is needed)
                at = frame // self._grid * self._grid
            if at:
                seek = ["-ss", f"{at / rate:.6f}"]
            skip = frame - at
            if self._length is not None:
                # (the samples after the jump count from it)
                trim = ["-af", f"atrim=end_sample={max(0, self._length - at)}"]
        elif frame > 0 or self._lead or self._length is not None:
            # Timestamps that are not sample-exact (Matroska's and ASF's milliseconds, a raw
            # stream's estimate from its size) would land a jump off by up to a hundred ms;
            # ffmpeg decodes from the start instead and drops the frames before ``frame``
            # by counting them, without sending them through the pipe.
            end = "" if self._length is None else f":end_sample={self._lead + self._length}"
            trim = ["-af", f"aresample={rate},atrim=start_sample={frame + self._lead}{end}"]
        channels = ["-ac", str(self.channels)]
        if self._layout_name:
            # "-ac" has ffmpeg remix the channels into its default layout for their count (a
            # 3.1 file's LFE dropped for 4.0, a quad's back pair folded into one back centre):
            # the layout is kept instead, and mixed down here like any other.
            keep = f"aformat=channel_layouts={self._layout_name}"
            trim, channels = ["-af", f"{trim[1]},{keep}" if trim else keep], []
        skip_to_audio = _skip_to_audio(self.path)
        with _checked_input(self.path) as (name, fds):
            proc = subprocess.Popen(
                [self._exe, "-v", "error", "-nostdin", *_FILE_ONLY, *seek, *skip_to_audio,
                 "-i", name, "-vn", *trim,
                 "-f", "f32le", "-acodec", "pcm_f32le", *channels, "-ar", str(rate), "-"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=fds, env=system_environment(),
                **no_console_window(),
            )
        # ffmpeg's messages are read as they come: a damaged file can write more than a
        # pipe holds (64 KiB), and unread, that would block ffmpeg and with it whoever
        # reads the audio (playback, analysis, quitting).
        tail = bytearray()
        thread = threading.Thread(target=_drain_stderr, args=(proc, tail), name="ffmpeg-stderr", daemon=True)
        thread.start()
        return proc, tail, thread, skip

    def frames_from(self, frame: int) -> int:
        """How many frames decoding from ``frame`` on gives (0 from the end on), counted by an
        ffmpeg of its own: the stream reads on from where it is. Quick where ``fast_seek``;
        elsewhere a pass over the file up to there. Needs ffmpeg (not audioread)."""
        if self._exe is None:
            raise UnsupportedAudioError(f"counting frames needs ffmpeg: {INSTALL_FFMPEG}")
        proc, tail, thread, skip = self._spawn(max(0, int(frame)))
        got = 0
        try:
            while chunk := proc.stdout.read(1 << 20):
                got += len(chunk)
            failed = _ended_badly(proc, thread, tail)
        finally:
            _end(proc, thread)
        if failed:
            raise self._failure(tail)
        return max(0, got // (4 * self.channels) - skip)

    def spans(self, spans: list[tuple[int, int | None]]) -> Iterator[np.ndarray]:
        """The frames of ``spans`` (``[start, stop)``, in order and apart; ``stop`` None: to
        the end), one after the other in blocks, from one decoding pass of an ffmpeg of its
        own: the stream reads on from where it is. What comes is what decoding from the start
        gives at those frames, as :meth:`seek` gives it; a span past the end gives nothing.
        Raises CorruptAudioError where ffmpeg fails on the file. Needs ffmpeg (not audioread)."""
        if self._exe is None:
            raise UnsupportedAudioError(f"reading stretches needs ffmpeg: {INSTALL_FFMPEG}")
        proc, tail, thread, _ = self._spawn(0, [(max(0, int(a)), None if b is None else int(b)) for a, b in spans])
        frame_bytes = 4 * self.channels
        try:
            while raw := proc.stdout.read(self.blocksize * frame_bytes):
                raw = raw[: len(raw) - len(raw) % frame_bytes]
                yield np.frombuffer(raw, dtype="<f4").reshape(-1, self.channels)
            if _ended_badly(proc, thread, tail):
                raise self._failure(tail)
        finally:
            _end(proc, thread)

    def _failure(self, tail: bytearray) -> CorruptAudioError:
        """The error of an ffmpeg of its own that failed, with the last of its messages (a
        :class:`ReadFailedError` where they say reading the file failed)."""
        reason = ffmpeg_reason(bytes(tail), cut=len(tail) >= _STDERR_KEEP)
        message = f"ffmpeg could not decode {Path(self.path).name}: {reason}"
        # (told from the whole of the messages: the reason is cut to a line, and a long path in
        # front of "Input/output error" left the words out of it)
        return _read_failure(message, reason) if _says_read_failed(tail) else CorruptAudioError(message)

    def seek(self, frame: int, *, exact: bool = True) -> None:
        """Read on from ``frame`` (past the end: nothing more). Blocks for as long as it
        takes ffmpeg to start decoding there; errors in the file come with the next block.
        ``exact`` off: a person's seek, which may land under 1 ms off where that is
        much quicker (see the class's notes)."""
        frame = max(0, int(frame))
        near = None if exact else self._near_start(frame)
        self._stop()
        self._skip = 0
        self._held = None
        if self._exe is not None:
            self._start_ffmpeg(frame, near)
        else:
            self._open_audioread()
            self._skip = frame

    def _near_start(self, frame: int) -> int | None:
        """How far from the place asked for ffmpeg's jump (``-ss``) lands in this file, in frames
        (the audio at frame ``a`` decoded from the start comes first after a jump to ``a`` minus
        that), where a jump is worth making to ``frame`` and lands the same way everywhere in the
        file; else None (the seek decodes from the start up to the place).

        Matroska and WebM keep their packets' times to the ms, and ffmpeg's Opus decoder drops
        its delay from a jump's times other than from the start's: a jump to a time landed a
        constant 384 samples (8 ms) early in Opus, 152 to 160 in Vorbis, up to 9 in AAC and one
        in FLAC. That offset is measured once per file, where the first 10 s decoded from the
        start and after a jump are compared (at two places, which must agree to within
        ``_NEAR_AGREE_S``), and taken off every jump after: what is left is the packets' times
        rounded to the ms, there and at the place sought, under 1 ms (up to 23 samples, 0.48 ms,
        measured in Vorbis; none in Opus, AAC or FLAC). Where the start is silent, or the two places
        disagree (an ASF file's jumps landed from 130 to 4096 samples early, never the same
        twice), or the audio there repeats itself (a held tone, which matches a period away
        too), seeks stay exact. (An ffmpeg of its own: the one reading goes on.)"""
        if (self._exe is None or self.fast_seek or self.format[0] != "matroska" or self._lead
                or self._length is not None or frame < self.samplerate * _NEAR_FROM_S):
            return None
        if self._near is None:
            if frame < self.samplerate * _NEAR_MEASURE_FROM_S:
                # (measuring costs more than decoding from the start up to here: see below)
                return None
            try:
                self._near = _jump_offset(self)
            except (OSError, ValueError) as exc:
                log.warning("measuring where a jump lands in %s failed: %s", self.path, exc)
                self._near = False
            if self._near is False:
                log.info("seeks in %s decode from the start: its jumps do not land the same way", self.path)
        return None if self._near is False else self._near

    def __iter__(self) -> "FallbackStream":
        return self

    def __next__(self) -> np.ndarray:
        if self._held is not None:
            block, self._held = self._held, None
            return block
        while True:
            block = self._decoded()
            if self._skip:
                drop = min(self._skip, len(block))
                self._skip -= drop
                block = block[drop:]
            if len(block):
                return block

    def has_audio(self) -> bool:
        """Whether decoding gives any audio at all: the first block is decoded, and kept for
        the next read. Raises CorruptAudioError where ffmpeg fails on the file."""
        if self._held is None:
            self._held = next(self, None)
        return self._held is not None

    def _decoded(self) -> np.ndarray:
        """The next block as decoded; StopIteration at the end."""
        if self._waiting:
            self._waiting = False
            self._start_ffmpeg(0)
        if self._proc is not None:
            frame_bytes = 4 * self.channels
            raw = self._proc.stdout.read(self.blocksize * frame_bytes)
            if not raw:
                if _ended_badly(self._proc, self._stderr_thread, self._stderr_tail):
                    raise self._failure(self._stderr_tail)
                raise StopIteration
            raw = raw[: len(raw) - len(raw) % frame_bytes]
            return np.frombuffer(raw, dtype="<f4").reshape(-1, self.channels)
        if self._reader is None:
            raise StopIteration               # closed
        buf = next(self._buffers)  # 16-bit little-endian interleaved PCM
        return (np.frombuffer(buf, dtype="<i2").astype(np.float32) / 32768.0).reshape(-1, self.channels)

    def _stop(self) -> None:
        self._waiting = False
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            self._stderr_thread.join(5)
            proc.stdout.close()
            proc.stderr.close()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> "FallbackStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Only local files: a "file" that is really a playlist (HLS, concat) naming URLs or
# other protocols must not make ffmpeg open them.
_FILE_ONLY = ("-protocol_whitelist", "file")
_STDERR_KEEP = 64 * 1024
_PROBE_TIMEOUT_S = 60
#: ffmpeg's demuxers whose seeks land on the sample asked for, their timestamps counting
#: every sample (checked against decoding from the start): MP4/M4A/M4B/MOV, ADTS AAC, WavPack, TTA,
#: and DSD in DSF and DSDIFF, whose blocks of a fixed size ffmpeg finds by their place in the file.
_EXACT_SEEK_FORMATS = frozenset({"mov", "aac", "wv", "tta", "dsf"})
#: How far before the length the headers give ffmpeg's reader starts counting the frames left
#: (:meth:`_FallbackReader._count`): an AAC file's headers may leave out its padding, or a
#: file cut short may say more than it holds.
_COUNT_TAIL_S = 5.0
#: The longest AAC in an M4A whose excerpts analysis takes from one pass (see _FallbackReader)
_ONE_PASS_AAC_S = 20 * 60.0
#: How far ahead a seek in ffmpeg's reader saves time over reading on (see _FallbackReader)
_RESTART_READ_ON_S = 30.0
#: How far before the place asked for a fast seek starts decoding (see _start_ffmpeg): from a
#: second before, every codec tried (AAC, ALAC, MP3, Opus, FLAC in MP4) decodes the same samples
#: as from the start; Opus still differed by 3e-4 from 0.2 s before.
_SEEK_PREROLL_S = 1.0
#: From how far into a Matroska file a person's seek jumps (see FallbackStream._near_start):
#: decoding from the start up to there takes a few tens of ms at most
_NEAR_FROM_S = 20.0
#: From how far in the first such seek in a file measures where its jumps land (see
#: FallbackStream._near_start); closer, it decodes from the start as before. The measure's three
#: ffmpegs take about as long as decoding from the start up to minutes in
#: (benchmarks/bench_seek.py --minutes 6 --formats webm,mka, a busy 2-core machine: a first seek
#: measuring took 0.57 to 0.74 s; decoding from the start up to 180 s 0.66 s in Opus, 0.32 s in
#: Vorbis, up to 350 s 0.78 s and 0.46 s). Once measured, every seek from _NEAR_FROM_S on jumps.
_NEAR_MEASURE_FROM_S = 300.0
#: Where a jump is compared with decoding from the start (seconds), how much of each, and how
#: far off it may land at most; and how closely the two places must agree
_NEAR_PLACES_S = (4.0, 8.0)
_NEAR_CHECK_S = 1.0
_NEAR_MOST_S = 0.2
_NEAR_AGREE_S = 0.002
#: the most a jump's audio may differ from decoding from the start at its offset, as a part
#: of the audio's own level (Opus differed by 1e-4 of full scale; other audio by 0.3 or more)
_NEAR_MATCH = 0.01
#: the quietest audio the offset is measured on (a near-silent start says nothing of it)
_NEAR_QUIETEST = 1e-3
#: the most of an Ogg stream before its time 0 that is dropped (an Ogg page holds a few
#: seconds at most; more is a damaged position, and the audio is kept)
_MAX_LEAD_S = 10.0
#: The samples a Musepack decoder's synthesis filter puts out before the first one encoded
#: (the reference decoder drops them; ffmpeg 5.1 does not)
_MUSEPACK_DELAY = 481


def _read_frames(stream: FallbackStream, run: tuple, n: int) -> np.ndarray:
    """``n`` frames (fewer at the end) from ``run``, an ffmpeg of its own (as
    FallbackStream._spawn gives it), which is ended then."""
    proc, tail, thread, skip = run
    width = 4 * stream.channels
    try:
        raw = proc.stdout.read((skip + n) * width)
    finally:
        _end(proc, thread)
    raw = raw[: len(raw) - len(raw) % width]
    return np.frombuffer(raw, dtype="<f4").reshape(-1, stream.channels)[skip:skip + n]


def _jump_offset(stream: FallbackStream) -> int | bool:
    """How far (in frames) an ffmpeg jump lands from the place in ``stream``'s file, measured
    at _NEAR_PLACES_S against decoding from the start; False where it cannot be told or
    differs between them (see FallbackStream._near_start)."""
    rate = stream.samplerate
    most, check = int(rate * _NEAR_MOST_S), int(rate * _NEAR_CHECK_S)
    places = [int(rate * place_s) for place_s in _NEAR_PLACES_S]
    # (all three run at once: most of each is ffmpeg starting)
    runs = [stream._spawn(0)]
    try:
        runs += [stream._spawn(place, near=0) for place in places]
    except BaseException:
        for run in runs:
            _end(run[0], run[2])
        raise
    try:
        start = _read_frames(stream, runs[0], places[-1] + check + most)
        jumps = [_read_frames(stream, run, check) for run in runs[1:]]
    finally:
        # (a read that fails left the others running, blocked on a full pipe for good)
        for run in runs:
            _end(run[0], run[2])
    found = []
    for place, jumped in zip(places, jumps):
        if len(start) < place + check + most:
            return False
        ref = start[place - most:place + check + most]
        level = float(np.abs(jumped).max()) if len(jumped) else 0.0
        if len(jumped) < check or level < _NEAR_QUIETEST:
            return False
        # the offset where the two agree best (cross-correlation of their channels' sum), checked sample by sample
        a, b = jumped.sum(axis=1), ref.sum(axis=1)
        size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
        corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)[:2 * most + 1]
        best = int(np.argmax(corr))
        lag = best - most
        if np.abs(jumped - ref[most + lag:most + lag + check]).max() > _NEAR_MATCH * level:
            return False
        # A sound that repeats (a held tone) matches a whole period away as well: the offset is
        # not told by it, and the best other place a ms or more away must not match.
        corr[max(0, best - rate // 1000):best + rate // 1000 + 1] = -np.inf
        other = int(np.argmax(corr)) - most
        if np.abs(jumped - ref[most + other:most + other + check]).max() <= _NEAR_MATCH * level:
            return False
        found.append(lag)
    if max(found) - min(found) > rate * _NEAR_AGREE_S:
        return False
    return int(round(sum(found) / len(found)))


def _reads_to_its_end(path: str | os.PathLike) -> bool:
    """Whether the file reads to its end here and now. ffprobe says "Input/output error" of
    bytes its demuxers make nothing of too (one damaged FLAC file in about thirty of random
    bytes after the FLAC marker): a file that reads whole is at fault itself, and was said to
    be on a drive that may be disconnected. Asked only where ffprobe failed so."""
    try:
        with open_regular_file(path) as f:
            while f.read(1 << 20):
                pass
    except OSError:
        return False
    return True


def _says_read_failed(tail: bytearray) -> bool:
    """Whether ffmpeg's messages (the last of them, ``tail``) say a read of the file failed."""
    return read_failed(bytes(tail).decode("utf-8", "replace"))


def _ended_badly(proc: subprocess.Popen, thread: threading.Thread, tail: bytearray) -> bool:
    """Whether an ffmpeg whose output is all read failed: it exited with an error, or it said a
    read of the file failed. ffmpeg (5.1) takes a read that fails mid-file (EIO: a drive
    unplugged, a network share dropped) for the input's end and exits 0, having said
    "Input/output error": the song ended there as if heard to its end, logged as finished, and
    was not read again once the drive was back. (Its messages are all kept once it exits: the
    thread keeping them ends with its stderr.)"""
    failed = proc.wait() != 0
    thread.join(5)
    return failed or _says_read_failed(tail)


def _end(proc: subprocess.Popen, thread: threading.Thread) -> None:
    """Stop an ffmpeg run for one count or pass (where it still runs) and close its pipes."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    thread.join(5)
    proc.stdout.close()
    proc.stderr.close()


#: "[aac @ 0x55d0c4e2a340] " in front of an ffmpeg message, and addresses in it
_FFMPEG_PREFIX = re.compile(r"^\[[^\]]*\]\s*")
_ADDRESS = re.compile(r"\s*\b0x[0-9a-f]{6,}\b", re.IGNORECASE)


def ffmpeg_reason(stderr: bytes, *, cut: bool = False, limit: int = 160) -> str:
    """The last of ffmpeg's messages as one line, for a person: its "[aac @ 0x...]" prefixes
    and addresses gone, each message once (a damaged file repeats the same ones), the latest
    last, up to ``limit`` characters. ``cut``: ``stderr`` is the end of what was written, so
    its first line is a part of one and left out."""
    lines = bytes(stderr).decode("utf-8", "replace").splitlines()
    if cut:
        lines = lines[1:]
    said = [_ADDRESS.sub("", _FFMPEG_PREFIX.sub("", line)).strip() for line in lines]
    said = [m for m in said if m]
    latest = list(dict.fromkeys(reversed(said)))          # each once, the latest first
    reason = ""
    for message in latest:
        longer = f"{message}; {reason}" if reason else message
        if len(longer) > limit:
            break
        reason = longer
    if not reason and latest:
        reason = latest[0][:limit - 1] + "…"
    return reason or "no message"


def _drain_stderr(proc: subprocess.Popen, tail: bytearray) -> None:
    """Keep the last of what ``proc`` writes to stderr in ``tail``, until it ends."""
    try:
        for chunk in iter(lambda: proc.stderr.read1(4096), b""):
            tail += chunk
            del tail[:-_STDERR_KEEP]
    except (OSError, ValueError):
        pass                              # closed under us: the stream is being closed


def _file_url(path: str) -> str:
    """The path as ffmpeg's file protocol (a name like "pipe:1.m4a" or "-x" is just a name)."""
    return "file:" + os.path.abspath(path)


#: where a child process opens a descriptor it was handed by name (Linux, macOS, the BSDs)
_FD_FOLDER = "/dev/fd"


@contextlib.contextmanager
def _checked_input(path: str):
    """The name ffmpeg or ffprobe is to open ``path`` by, and the descriptors to hand it
    (``pass_fds``), for as long as it starts. Given the path, the child opened whatever the
    path named by then: a song swapped for a named pipe after it was looked at had ffmpeg
    wait for a writer for ever, and with it whoever read its output (a worker, the player).
    So the file is opened here, without blocking, and checked to be a regular file (see
    :mod:`segue_common.regular_file`), and the child reads that very file through its
    descriptor: opened again by ``/dev/fd/N`` it is the same file, seekable as by its path
    (a pipe on the child's input is not: an M4A whose index follows its audio did not open,
    and an MP3's gapless header was not applied). On Windows, which cannot hand a child a
    descriptor this way and keeps named pipes out of its folders, it goes by the path."""
    if os.name == "nt" or not os.path.isdir(_FD_FOLDER):
        yield _file_url(path), ()
        return
    with open_regular_stream(path) as f:
        yield f"file:{_fd_name(f.fileno(), _ext(path))}", (f.fileno(),)


_fd_links: str | None = None
_fd_links_lock = threading.Lock()


def _fd_name(fd: int, ext: str) -> str:
    """The name a child opens its descriptor ``fd`` by, ending in the song's extension ``ext``.
    ffmpeg's probe weighs a name's extension: where an ID3 tag before the audio is longer than
    the probe reads (a cover picture of megabytes), the extension alone tells the format, and
    by ``/dev/fd/N`` a FLAC, AAC, AC-3, DTS, TTA, TAK, Shorten or Ogg file so did not play.
    So the name is a link ``N.ext`` to ``/dev/fd/N`` in a folder of this process's own: opened
    by the child, it leads to the child's descriptor N, the file checked, whichever song that
    is; the links stay as they are for as long as the process runs (a child may open its
    input any time after it starts)."""
    plain = f"{_FD_FOLDER}/{fd}"
    if not re.fullmatch(r"[a-z0-9+]{1,8}", ext):
        return plain
    global _fd_links
    try:
        with _fd_links_lock:
            if _fd_links is None:
                import atexit
                import tempfile

                _fd_links = tempfile.mkdtemp(prefix="segue-fd-")     # (only this user may write in it)
                atexit.register(shutil.rmtree, _fd_links, True)
            name = os.path.join(_fd_links, f"{fd}.{ext}")
            if not os.path.islink(name):
                os.symlink(plain, name)
        return name
    except OSError as exc:
        log.debug("no link to name descriptor %d by: %s", fd, exc)
        return plain


def _ffprobe(exe: str, path: str) -> tuple[int, int, bool, int, int | None, float | None, int | None,
                                           tuple[str, str], str]:
    """The sample rate and channels of the first audio stream, whether ffmpeg can start
    decoding it anywhere to the sample (see :attr:`FallbackStream.fast_seek`), how many
    frames ffmpeg decodes before the stream's time 0, which are not part of it, how many
    after those are the stream where ffmpeg decodes more (None: all of them), the stream's
    length in seconds as the headers give it (None where they do not), the frames of the
    codec where a jump lands exactly only at their starts (None: anywhere), and ffmpeg's
    names of the container and the codec and of the channel layout ("" where there is no ffprobe).

    ffmpeg lands a jump into a Monkey's Audio frame (73728 samples at Fast to High, four and
    sixteen times that at Extra High and Insane) on the sample only in the small ones: in the
    larger ones what came out was not the audio of the place. A jump to a frame's start lands
    exactly in all of them (see :func:`_ape_frame_blocks`).

    Frames before time 0 are an Ogg stream's whose first page holds more than its position
    says: an Opus file cut from a longer one with ``ffmpeg -ss N -c copy`` keeps the page the
    cut falls in whole, and its position puts the packets before the cut at negative times
    (mutagen's length, and ffprobe's, leave them out). ffmpeg's own decoding starts them at 0.
    A Musepack (SV8) stream's header says what its decoder should drop (see
    :func:`_musepack_span`), which ffmpeg decodes as audio."""
    probe = ffprobe_beside(exe)
    if probe is None:
        return 44100, 2, False, 0, None, None, None, ("", ""), ""  # ffmpeg resamples/remixes to whatever we ask for
    skip_to_audio = _skip_to_audio(path)
    try:
        with _checked_input(path) as (name, fds):
            out = subprocess.run(
                [probe, "-v", "error", *_FILE_ONLY, "-select_streams", "a:0", "-show_entries",
                 "stream=codec_name,sample_rate,channels,channel_layout,time_base,start_time,duration,duration_ts"
                 ":format=format_name,duration:format_tags=iTunSMPB",
                 "-of", "json", *skip_to_audio, name],
                capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=_PROBE_TIMEOUT_S,
                pass_fds=fds, env=system_environment(), **no_console_window(),
            )
    except subprocess.TimeoutExpired:
        raise CorruptAudioError(f"ffprobe took over {_PROBE_TIMEOUT_S} s on {Path(path).name}") from None
    try:
        info = json.loads(out.stdout)
        stream = info["streams"][0]
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
        if rate <= 0 or channels <= 0:
            raise ValueError("no sample rate or channels")
    except (ValueError, IndexError, KeyError, TypeError):
        reason = ffmpeg_reason(out.stderr.encode("utf-8", "replace"))
        if read_failed(reason) and not _reads_to_its_end(path):
            # (a drive unplugged, a share dropped: not a file of no audio, which it may be again)
            raise ReadFailedError(f"could not read {Path(path).name}: {reason}") from OSError(errno.EIO, reason)
        raise UnsupportedAudioError(f"no audio stream ffmpeg can read in {path} ({_ext(path)})") from None
    demuxer = str(info.get("format", {}).get("format_name", "")).split(",")[0]
    try:
        # (a track whose clock ticks in milliseconds places its packets only to the ms)
        whole_samples = (Fraction(1, rate) / Fraction(stream.get("time_base", "0"))).denominator == 1
    except (ValueError, ZeroDivisionError):
        whole_samples = False
    try:
        start = float(stream.get("start_time", 0.0))
    except (TypeError, ValueError):
        start = 0.0
    # (Matroska's negative start is the Opus pre-skip, which ffmpeg drops already)
    lead = int(round(-start * rate)) if demuxer == "ogg" and -_MAX_LEAD_S < start < 0 else 0
    # (IFF's demuxer reads Amiga sound as well as DSDIFF; only DSD's fixed-size frames were checked)
    exact = demuxer in _EXACT_SEEK_FORMATS or demuxer == "iff" and str(stream.get("codec_name", "")).startswith("dsd_")
    grid = _ape_frame_blocks(path) if demuxer == "ape" else None
    exact = exact or grid is not None
    try:
        duration = float(stream.get("duration") or info.get("format", {}).get("duration"))
    except (TypeError, ValueError):
        duration = None
    if duration is not None and not 0.0 < duration < float("inf"):
        duration = None
    length = None
    if demuxer == "mpc8" and (span := _musepack_span(path)) is not None:
        # (ffprobe's length of these is a guess: 3.34 s for a file of 4 s)
        lead, length = span
        duration = length / rate
    elif demuxer == "mov" and whole_samples and start == 0.0:
        # An AAC track's edit list says which samples are the song: ffmpeg drops the encoder's
        # priming before them but decodes its padding after them (752 frames of a 4 s file
        # encoded by ffmpeg), which a gapless album would hear as a click at every join.
        # ffprobe's duration in samples is the edit's.
        try:
            counted = int(stream.get("duration_ts") or 0)
        except (TypeError, ValueError):
            counted = 0
        length = counted if counted > 0 else None
    elif demuxer == "mov" and whole_samples and (gapless := itunes_gapless(info.get("format", {}).get("tags"))):
        # iTunes gives the priming and the song's length in samples in its iTunSMPB tag and
        # writes no edit list: ffmpeg drops the priming the tag gives (the stream then starts
        # at that time) and decodes the padding on, 888 frames after a 2 s file.
        priming, samples = gapless
        if abs(start * rate - priming) < 1:
            length = samples
    codec = str(stream.get("codec_name", ""))
    return rate, channels, exact and whole_samples, lead, length, duration, grid, (demuxer, codec), \
        str(stream.get("channel_layout", ""))


def itunes_gapless(tags) -> tuple[int, int] | None:
    """The priming and the song's samples an M4A's iTunSMPB tag gives (``tags``: ffprobe's
    format tags, or the tag's text), or None where there is no such tag, it gives no length,
    or ffmpeg does not drop the priming it gives. Its words are hexadecimal: a zero, the
    priming, the padding, the samples, then zeros.

    ffmpeg drops the priming only where it is more than 0 and less than 16384 samples; with
    any other the file plays whole, and a length from the tag would end it early or list it
    at a length it does not play at."""
    text = tags.get("iTunSMPB") if isinstance(tags, dict) else tags
    try:
        words = str(text).split()
        priming, samples = int(words[1], 16), int(words[3], 16)
    except (IndexError, ValueError, TypeError):
        return None
    return (priming, samples) if 0 < priming < _ITUNES_MOST_PRIMING and 0 < samples else None


#: ffmpeg's bound on the priming it takes from an iTunSMPB tag (it ignores the tag's from there on)
_ITUNES_MOST_PRIMING = 16384


def _after_id3(head: bytes) -> int:
    """Where what follows an ID3v2 tag at the start of ``head`` begins (0 where there is none)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    return 10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10])) + (10 if head[5] & 0x10 else 0)


def _ape_frame_blocks(path: str) -> int | None:
    """The samples of each frame of a Monkey's Audio file, from its header: files of version
    3.98 and later give them (None for older files, which were not tried, and where there is
    no such header)."""
    try:
        with open_regular_file(path) as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    at = _after_id3(head)
    if head[at:at + 4] != b"MAC " or len(head) < at + 64:
        return None
    version, descriptor = struct.unpack_from("<H2xI", head, at + 4)
    if version < 3980 or not 0 < descriptor < 1024 or len(head) < at + descriptor + 8:
        return None
    blocks = struct.unpack_from("<I", head, at + descriptor + 4)[0]
    return blocks or None


def _musepack_span(path: str) -> tuple[int, int] | None:
    """Where the audio of a Musepack SV8 file lies in what its decoder puts out: the frames
    before it and the frames of it, from its stream header (None where there is none). The
    decoder puts out its synthesis filter's delay first, then any silence the encoder put in
    front (the header's count of it), and whole frames of 1152 samples: the stream ends at
    the header's count of samples, the rest of its last frame is padding. Played through
    ffmpeg as decoded, every second was 11 ms late and the track 34 ms longer than listed."""
    try:
        with open_regular_file(path) as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    at = _after_id3(head)                               # (a tag some taggers put in front)
    if head[at:at + 4] != b"MPCK":
        return None

    def number(i: int) -> tuple[int, int]:
        """A number of the header (7 bits a byte, the highest first) and where it ends."""
        value = 0
        for _ in range(9):
            if i >= len(head):
                raise IndexError(i)
            value, i = value << 7 | head[i] & 0x7F, i + 1
            if not head[i - 1] & 0x80:
                return value, i
        raise ValueError("number too long")

    at += 4
    try:
        while at + 2 < len(head):
            key, (size, body) = head[at:at + 2], number(at + 2)
            if key == b"SH":
                samples, i = number(body + 5)           # (after its checksum and version)
                silence, _ = number(i)
                if head[body + 4] != 8 or not 0 <= silence < samples:
                    return None
                return _MUSEPACK_DELAY + silence, samples - silence
            if key == b"AP" or size < 3:                # audio comes after the stream header
                return None
            at += size
    except (IndexError, ValueError):
        pass
    return None


class _Bits:
    """Bits read from the first of ``data``, highest first, in Shorten's codes (see :func:`shorten_frames`)."""

    def __init__(self, data: bytes):
        self.value, self.left = int.from_bytes(data, "big"), 8 * len(data)

    def take(self, n: int) -> int:
        if n > self.left:
            raise IndexError("past the bytes read")
        self.left -= n
        return self.value >> self.left & ((1 << n) - 1)

    def uvar(self, k: int) -> int:
        """An unsigned code: a zero for each 2**k, a one, the k low bits."""
        high = 0
        while not self.take(1):
            high += 1
            if high > 1 << 16:
                raise ValueError("code too long")
        return high << k | self.take(k)

    def ulong(self) -> int:
        """A number of the header: its count of bits, then it."""
        return self.uvar(self.uvar(2))


def _after_shorten_tag(f) -> int:
    """Where the Shorten stream of the file open as ``f`` begins, ``f`` put there: after an
    ID3v2 tag some taggers put in front (a cover in it may be larger than all that is read
    of the stream), else at its start (see :func:`_shorten_start`)."""
    at = _shorten_start(f)
    f.seek(at)
    return at


#: how far from where an ID3v2 tag in front of a Shorten file says it ends the stream is
#: looked for, where it is not there
_SHORTEN_SEARCH_BYTES = 1 << 20


def _shorten_head(data: bytes) -> bool:
    """Whether ``data`` begins as a Shorten stream: its magic, a version of 1 to 3, and a
    channel count and block size that can be a file's."""
    if data[:4] != b"ajkg" or not 1 <= data[4:5][0] <= 3:
        return False
    bits = _Bits(data[5:])
    try:
        _kind, channels, block = (bits.ulong() for _ in range(3))
    except (IndexError, ValueError):
        return False
    return 0 < channels <= 8 and 0 < block <= 65535


def _shorten_start(f) -> int:
    """Where the Shorten stream of the file open as ``f`` begins: where an ID3v2 tag in front
    says it ends (0 where it has none). Where the stream is not there (a tagger wrote the
    tag's size wrong, or padding after it), it is looked for after that place, then before
    it: the file was listed as a damaged MP3, and ffmpeg found no audio in it."""
    f.seek(0)
    said = _after_id3(f.read(10))
    f.seek(said)
    if not said or _shorten_head(f.read(64)):
        return said
    f.seek(said)
    after = f.read(_SHORTEN_SEARCH_BYTES)
    i = after.find(b"ajkg")
    while i >= 0:
        if _shorten_head(after[i:i + 64]):
            return said + i
        i = after.find(b"ajkg", i + 1)
    start = max(10, said - _SHORTEN_SEARCH_BYTES)
    f.seek(start)
    before = f.read(said - start + 64)
    i = before.rfind(b"ajkg", 0, said - start)
    while i >= 0:
        if _shorten_head(before[i:i + 64]):
            return start + i
        i = before.rfind(b"ajkg", 0, i)
    return said


def _skip_to_audio(path: str) -> list[str]:
    """ffmpeg's option to start reading ``path`` where its audio begins, where ffmpeg would
    not find it itself: a Shorten file whose ID3v2 tag in front gives a wrong size (ffmpeg
    passes over the tag by its size, finds no Shorten stream there, and reads no audio).
    Empty for every other file."""
    if _ext(path) != "shn":
        return []
    try:
        with open_regular_file(path) as f:
            at = _shorten_start(f)
            f.seek(0)
            said = _after_id3(f.read(10))
    except OSError:
        return []
    # (the demuxer named: from past the skip, ffmpeg takes the stream for Shorten only with
    # the help of the name's extension, and it is handed the file checked, by a name without one)
    return ["-f", "shn", "-skip_initial_bytes", str(at)] if at != said else []


def shorten_frames(path: str | os.PathLike) -> int | None:
    """The samples a Shorten file (``.shn``) holds, from the WAV header it keeps of the file it
    was made from (the header's data size over its bytes a frame); None where it is not one of
    version 1 to 3, or keeps no such header. Shorten gives no length of its own, and ffprobe
    none (the file was listed as not audio). Reads the first few hundred bytes."""
    try:
        with open_regular_file(path) as f:
            _after_shorten_tag(f)
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"ajkg" or not 1 <= head[4:5][0] <= 3:
        return None
    bits = _Bits(head[5:])
    try:
        _kind, _channels, _block, _lpc, _means, skip = (bits.ulong() for _ in range(6))
        bits.take(8 * skip)
        if bits.uvar(2) != 9:                   # (the header comes first, verbatim)
            return None
        size = bits.uvar(5)
        if not 44 <= size <= len(head):
            return None
        wav = bytes(bits.uvar(8) & 0xFF for _ in range(size))
    except (IndexError, ValueError):
        return None
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        return None
    at, align = 12, 0
    while at + 8 <= len(wav):
        kind, length = wav[at:at + 4], struct.unpack_from("<I", wav, at + 4)[0]
        if kind == b"fmt " and length >= 16 and at + 24 <= len(wav):
            align = struct.unpack_from("<H", wav, at + 20)[0]
        elif kind == b"data":
            # (0 and all ones: a WAV written to a pipe, which never said its size)
            return length // align if align and 0 < length < 0xFFFFFFFF else None
        at += 8 + length + (length & 1)
    return None


#: the bytes of a Shorten stream walked to estimate its length where its header gives none
#: (its codes are walked in Python, about a second a megabyte; ffmpeg decodes ten minutes,
#: some 70 MB, in a second and a half)
SHORTEN_WALK_BYTES = 1 << 16


class _BitText:
    """Shorten's codes read from ``data`` held as text of "0" and "1": a code's zeros are
    found by ``str.find``, which walks a long file's codes many times faster than shifts."""

    def __init__(self, data: bytes):
        self.text = np.unpackbits(np.frombuffer(data, np.uint8)).tobytes().translate(bytes.maketrans(b"\0\1", b"01"))
        self.at = 0

    def uvar(self, k: int) -> int:
        start = self.at
        one = self.text.find(b"1", start, start + (1 << 16))
        if one < 0 or one + 1 + k > len(self.text):
            raise IndexError("past the bytes read" if len(self.text) - start < 1 << 16 else "code too long")
        self.at = one + 1 + k
        return (one - start) << k | (int(self.text[one + 1:self.at], 2) if k else 0)

    def ulong(self) -> int:
        return self.uvar(self.uvar(2))


def shorten_walk(path: str | os.PathLike, most: int = SHORTEN_WALK_BYTES) -> tuple[int, bool] | None:
    """The frames of a Shorten file counted from the codes of its first ``most`` bytes, and
    whether that is the whole stream (it ends in them); else its frames estimated from the
    bytes those codes took (about right for a recording of one kind throughout, as a
    concert's). None where the file is not Shorten of version 1 to 3; raises ValueError where
    its codes cannot be Shorten's (a damaged file, or one of zeros), which ffmpeg would find
    only by decoding all of it."""
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size - _after_shorten_tag(f)
        head = f.read(most)
    if head[:4] != b"ajkg" or not 1 <= head[4:5][0] <= 3:
        return None
    bits = _BitText(head[5:])
    try:
        _kind, channels, block, lpc, _means, skip = (bits.ulong() for _ in range(6))
        if not 0 < channels <= 8 or not 0 < block <= 65535 or lpc > 1024:
            raise ValueError("not a Shorten header")
        bits.at += 8 * skip
        samples = 0
        while True:
            kind = bits.uvar(2)
            if kind in (0, 1, 2, 3, 7):         # a block of one channel: differences, or LPC
                energy = bits.uvar(3)
                if kind == 7:
                    for _ in range(bits.uvar(2)):
                        bits.uvar(6)            # (its coefficients, signed codes of 5 bits)
                if energy > 31:
                    raise ValueError("not Shorten's codes")
                for _ in range(block):
                    bits.uvar(energy + 1)
                samples += block
            elif kind == 8:                     # a block of silence
                samples += block
            elif kind == 4:                     # the end
                return samples // channels, True
            elif kind == 5:
                block = bits.ulong()
                if not 0 < block <= 65535:
                    raise ValueError("not a Shorten block size")
            elif kind == 6:
                bits.uvar(2)
            elif kind == 9:
                for _ in range(bits.uvar(5)):
                    bits.uvar(8)
            else:
                raise ValueError(f"no Shorten function {kind}")
            walked = bits.at
    except IndexError as exc:
        if str(exc) != "past the bytes read" or not samples:
            raise ValueError(f"not Shorten's codes: {exc}") from None
    return round(samples / channels * (8 * (size - 5) / max(1, walked))), False


def probe_stream(path: str | os.PathLike, *, count: bool = True) -> dict | None:
    """What ffprobe tells of the first audio stream of ``path``: ``{"duration", "codec",
    "sample_rate", "channels", "tags", "container", "estimated"}`` (``tags`` the container's and the
    stream's text tags, the container's first; ``container`` ffmpeg's name of the format,
    "mp3" for MPEG audio frames and nothing around them), or None where ffmpeg is not
    installed, there is no audio stream, or no length, rate or channels are given. Only
    headers are read.

    For the files that neither mutagen nor libsndfile reads and ffmpeg plays: Matroska and
    WebM (Opus or Vorbis), ALAC in a CAF, Shorten (its length from :func:`shorten_frames`).

    ``estimated``: the length is only estimated, from the first of a Shorten file whose header
    gives none (:func:`shorten_walk`), where not ``count``: counting it decodes the whole file
    (see :func:`count_frames`). Else it is False."""
    path = str(path)
    info = _ffprobe_json(
        ["-select_streams", "a:0", "-show_entries",
         "stream=codec_name,sample_rate,channels,duration:stream_tags:format=format_name,duration:format_tags"],
        path, before=_skip_to_audio(path))
    if info is None:
        return None
    try:
        stream, container = info["streams"][0], info.get("format", {})
        rate, channels = int(stream["sample_rate"]), int(stream["channels"])
        # (the audio stream's own length where it is given: the container's is its longest
        # stream's, a video's in a .webm)
        duration = float(stream.get("duration") or container.get("duration") or 0.0)
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    estimated = False
    if container.get("format_name") == "shn" and rate > 0:
        # ffprobe gives no length: the header's, else (a file made from a WAV written to a
        # pipe, which never said its size) its codes walked from the start, whole where the
        # file is short; a longer one's length is estimated from them, or counted by ffmpeg
        # decoding it all (a second or two for ten minutes of it). Codes that cannot be
        # Shorten's are found in the first of them: ffmpeg decoded a damaged file to its end
        # first, 2 GB of zeros for 12 s.
        frames = shorten_frames(path)
        if frames is None:
            try:
                walked = shorten_walk(path)
            except (OSError, ValueError) as exc:
                log.info("%s is no Shorten file ffmpeg can play: %s", path, exc)
                return None
            if walked is None:
                return None
            frames, estimated = walked[0], not walked[1]
            if estimated and count:
                frames, estimated = count_frames(path), False
                if frames is None:
                    return None
        duration = frames / rate
    if container.get("format_name") == "au" and not duration and rate > 0:
        # (its data size left 0: ffmpeg plays its data to the file's end, and gives no length)
        duration = (au_unsized_frames(path) or 0) / rate
    if rate <= 0 or channels <= 0 or not 0.0 < duration < float("inf"):
        return None
    tags = {}
    for source in (container.get("tags"), stream.get("tags")):
        for key, value in (source or {}).items() if isinstance(source, dict) else ():
            tags.setdefault(str(key).lower(), value)
    return {"duration": duration, "codec": str(stream.get("codec_name") or "") or None, "sample_rate": rate,
            "channels": channels, "tags": tags, "container": str(container.get("format_name") or "") or None,
            "estimated": estimated}


def probe_chapters(path: str | os.PathLike) -> list[dict] | None:
    """The chapter marks ffprobe reads in ``path`` (an MP4's ``chpl`` atom or QuickTime chapter
    track, an MP3's ID3v2 ``CHAP`` frames, Matroska's, Ogg's ``CHAPTERxxx`` comments), as it
    gives them: ``{"start_time", "end_time", "tags"}`` each, unchecked. None where ffprobe is
    not installed or cannot read the file; an empty list where it has none. Only headers are read."""
    info = _ffprobe_json(["-show_chapters"], str(path))
    chapters = None if info is None else info.get("chapters")
    return [c for c in chapters if isinstance(c, dict)] if isinstance(chapters, list) else None


def _ffprobe_json(asked: list[str], path: str, *, before: list[str] | tuple = ()) -> dict | None:
    """What ffprobe answers, as JSON, to ``asked`` of the file ``path`` (only headers are read;
    ``before``: its options for that input); None where there is no ffprobe, the file cannot be
    opened or is no regular file, it does not answer within its time, or its answer is no
    JSON object."""
    exe = ffmpeg_path()
    probe = exe and ffprobe_beside(exe)
    if not probe:
        return None
    try:
        # ffprobe writes its JSON in UTF-8 whatever the system's code page; decoded with the
        # locale's (cp1252 on a Western Windows) every tag outside ASCII would come out garbled
        with _checked_input(path) as (name, fds):
            out = subprocess.run(
                [probe, "-v", "error", *_FILE_ONLY, *asked, "-of", "json", *before, name],
                capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=_PROBE_TIMEOUT_S,
                pass_fds=fds, env=system_environment(), **no_console_window(),
            )
        info = json.loads(out.stdout)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def count_frames(path: str | os.PathLike) -> int | None:
    """The frames ffmpeg decodes from ``path``, counted by decoding it all (None where it fails
    or is not installed)."""
    try:
        with FallbackStream(path, lazy=True) as decoding:
            return decoding.frames_from(0)
    except (AudioError, OSError):
        return None


def open_fallback(path: str | os.PathLike, *, blocksize: int = 8192,
                  refused: Exception | None = None, lazy: bool = False) -> FallbackStream:
    """Open a file libsndfile cannot read with ffmpeg (or audioread); raises UnsupportedAudioError.

    ``refused``: libsndfile's error on a file of a format it reads (:data:`SOUNDFILE_EXTENSIONS`).
    It refuses some such files that are whole: ALAC in a CAF, FLAC in Ogg, an Opus file cut
    from a longer one without re-encoding (its first page's position is less than its packets
    decode to: "malformed"). Those play through ffmpeg where ffmpeg decodes audio from them;
    otherwise, and without ffmpeg, the file is a CorruptAudioError with libsndfile's reason.
    ``lazy``: see :class:`FallbackStream` (such a file is decoded on open all the same).
    """
    if not Path(path).exists():
        raise FileNotFoundError(str(path))
    if refused is None:
        return FallbackStream(path, blocksize=blocksize, lazy=lazy)
    damaged = CorruptAudioError(f"cannot decode {Path(path).name}: {refused}")
    if ffmpeg_path() is None:
        raise damaged from refused
    try:
        stream = FallbackStream(path, blocksize=blocksize)
    except AudioError:
        raise damaged from refused
    try:
        if stream.has_audio():
            return stream
    except AudioError:
        pass
    stream.close()
    raise damaged from refused


class BlockReader:
    """A decoded file read forward in blocks of float32 frames [shape=(n, channels)].

    ``samplerate`` and ``channels`` are known on open; ``frames`` is the length in frames when
    the decoder knows it (None otherwise); ``seekable`` says whether :meth:`seek` lands on the
    exact frame (otherwise reading forward and discarding is the only way on). Use as a
    context manager. Decoding errors raise :class:`CorruptAudioError`.
    """

    samplerate: int
    channels: int
    frames: int | None
    seekable: bool = False
    #: how far ahead (seconds) a seek costs less than reading on to the place and discarding
    seek_ahead_s: float = 0.5
    #: the length the headers give (not to the sample) when the reader can also give stretches
    #: of the file from one pass (:meth:`spans`) and that costs less than ``frames`` and seeks
    #: (where ``frames`` is None, always); else None
    frames_hint: int | None = None
    #: the channels come in the order Ogg Vorbis and Opus store them (see OGG_TO_WAV_ORDER)
    ogg_order: bool = False
    #: the names of the channels, in their order in the blocks, where the file says which they
    #: are or its format fixes them by their count (None: the count decides, see mix_channels)
    layout: tuple[str, ...] | None = None

    def read(self, n: int) -> np.ndarray:
        """Up to ``n`` frames from the current position; fewer only at the end of the file."""
        raise NotImplementedError

    def seek(self, frame: int) -> None:
        raise CorruptAudioError(f"{self.path}: this decoder cannot seek")

    def spans(self, spans: list[tuple[int, int | None]]) -> Iterator[np.ndarray]:
        """Only the frames of ``spans`` (see :meth:`FallbackStream.spans`), where ``frames_hint`` is set."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "BlockReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_frames(f: sf.SoundFile, n: int, *, direct: bool = False) -> tuple[np.ndarray, sf.LibsndfileError | None]:
    """Up to ``n`` frames [shape=(k, channels)] float32 from ``f``'s position, and libsndfile's
    error if decoding stopped at one.

    soundfile's own read seeks to where it ended after every read. In a FLAC, libFLAC fails
    that seek at the end of a file whose header does not give its length, and before a
    damaged frame, and soundfile then threw the block it had decoded away: a FLAC is read
    through libsndfile directly, keeping what was decoded before an error. (In Ogg Vorbis the
    seek is what puts the position right again after a damaged page, so it stays; an Opus
    file, whose gaps are known from its pages, is read ``direct`` too: there that seek lands
    wrong after a gap, and where packets run across pages, fails or lands wrong anywhere.)
    """
    if f.format != "FLAC" and not direct:
        try:
            return f.read(n, dtype="float32", always_2d=True), None
        except sf.LibsndfileError as exc:
            return np.zeros((0, f.channels), np.float32), exc
    if f.closed:
        raise RuntimeError("I/O operation on closed file")
    out = np.empty((max(0, n), f.channels), np.float32)
    if not len(out):
        return out, None
    got = sf._snd.sf_readf_float(f._file, sf._ffi.cast("float *", sf._ffi.from_buffer(out)), len(out))
    code = sf._snd.sf_error(f._file)
    return out[:max(0, got)], (sf.LibsndfileError(code) if code else None)


#: How far before the place asked for libsndfile starts decoding an Opus file when it seeks
#: there (its pre-roll, 660 ms), and a little more for the rounding of granule positions.
_OPUS_SEEK_REACH_S = 0.7
#: that pre-roll exactly, in samples at 48 kHz: libsndfile seeks from the last page whose
#: position is before the place asked for less this
_OPUS_PREROLL = 660 * 48

#: A damaged stretch is searched for its end from this far after where decoding stopped, the
#: step doubling until a place decodes again; that end is then narrowed down to this.
_RESUME_STEP_S = 0.1


def _open_at(opener, frame: int) -> sf.SoundFile | None:
    """The file ``opener()`` opens, opened afresh at ``frame``, or None where it cannot be read
    from there. (A FLAC decoder that met damage refuses every seek after it: a new one is needed.)"""
    try:
        f = opener()
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError):
        return None
    try:
        f.seek(frame)
        return f
    except (sf.LibsndfileError, RuntimeError, ValueError):
        f.close()
        return None


def _resume_after(opener, start: int, frames: int, rate: int) -> tuple[sf.SoundFile, int] | None:
    """The first place after ``start`` (to within a tenth of a second) where a damaged file
    decodes again, opened there, and that frame; None when nothing before ``frames`` does."""
    step, lo, found, at = max(1, int(rate * _RESUME_STEP_S)), start, None, start
    while found is None:                    # further and further until a place decodes
        at = min(start + step, frames - 1)
        if at <= lo:
            return None
        found = _open_at(opener, at)
        if found is None:
            lo, step = at, step * 2
    while at - lo > rate * _RESUME_STEP_S:  # the damage ends between lo and at
        mid = (lo + at) // 2
        f = _open_at(opener, mid)
        if f is None:
            lo = mid
        else:
            found.close()
            found, at = f, mid
    return found, at


class SoundfileReader(BlockReader):
    """A file libsndfile decodes. In a seekable file of known length, a damaged stretch (bit
    rot, a bad sector) costs only itself: reading goes on from the first place after it that
    decodes, and the stretch reads as silence, so that positions and the length stay the
    file's. Where nothing after it decodes (a file cut short), the audio ends there, as a WAV
    or an MP3 cut short ends where its data does, and ``frames`` becomes where it ended; a FLAC
    file cut short, whose header keeps the whole file's length, is measured on open
    (:func:`flac_frames_held`). So the audio ends at any damage in a file of
    unknown length (a FLAC written to a pipe, most often cut short when its encoder was
    stopped): a seek in such a file can take most of a second, and the search half a minute.
    A file that decodes nowhere from its start is a CorruptAudioError. In an Ogg Vorbis file,
    where libsndfile itself decodes on past damage, its position says where the damage ended
    (:meth:`_keep_time`). In an Ogg Opus file it does not: the pages' own positions say where
    pages were lost (:func:`opus_gaps`), and reading stops short of each such gap and reads
    it as silence (:meth:`_seek_around_gaps` for seeks). A lost start is silence too, and
    libsndfile's frames are counted after it (``_lead``); where packets run across pages, a
    seek starts from a page libsndfile seeks from right. ``span``: the bytes of the file that
    ``opener`` opens (a link of a chained file), where not all of it."""

    def __init__(self, f: sf.SoundFile, path: str, opener=None, span: tuple[int, int] | None = None):
        self.path, self._f = path, f
        # how to open the file again, to read on past damage (a link of a chained Ogg file is
        # a stretch of the file, not the file)
        self._opener = opener or functools.partial(open_soundfile, path)
        self.samplerate, self.channels = int(f.samplerate), int(f.channels)
        self.format = f.format
        self.ogg_order = f.format == "OGG"
        self.layout = soundfile_layout(f, path)
        self.frames = int(f.frames) if 0 <= f.frames < 2**62 else None
        self.seekable = bool(f.seekable()) and self.frames is not None
        self._unfinished = False    # a FLAC file cut short inside its first frame: nothing of it decodes
        if self.format == "FLAC" and self.seekable:
            # A FLAC file cut short keeps the length of the whole in its header: its length
            # is where its audio ends, so that a crossfade begins before that end, and a seek
            # beyond it lands there.
            held = flac_frames_held(path, self._opener)
            if held:
                self.frames = min(self.frames, held)
            self._unfinished = held == 0
        elif self.format == "FLAC" and self.frames is None and flac_holds_no_frame(path):
            # Its STREAMINFO leaves the length out (0, as a writer to a pipe leaves it) and no
            # frame follows its metadata: it holds no audio, which libsndfile reads as nothing,
            # and played as a song of 0 s.
            self.frames = 0
        self._pos = 0        # the frame read next (libsndfile cannot tell after an error)
        self._failed: ReadFailedError | None = None   # reading the file failed in the system (see read)
        self._silence = 0    # frames of a damaged stretch skipped, still to be read as silence
        self._ended = False  # nothing after the last damage decodes
        # (first frame, frame it decodes again at, end of that page) of each gap in an Opus file
        self._gaps: list[tuple[int, int, int]] = []
        self._lead = 0       # frames of a lost start, before libsndfile's first frame
        self._unsafe: list[tuple[int, int]] = []    # where libsndfile's seeks go wrong (_OpusScan)
        self._direct = False    # read through libsndfile directly (read_frames)
        # libsndfile's seek into the last page of an Ogg Vorbis file lands late (by 40 to 400
        # frames, seen): a seek into the file's last this-many frames decodes on from before
        # them instead. A page holds some 4 KB; three pages' worth at the file's mean bitrate,
        # and two seconds at least.
        self._vorbis_tail = 0
        if self.format == "OGG" and f.subtype == "VORBIS" and self.seekable and self.frames:
            try:
                size = span[1] - span[0] if span and span[1] is not None else os.path.getsize(path)
            except OSError:
                size = 0
            per_frame = size / self.frames
            self._vorbis_tail = max(2 * self.samplerate, int(3 * 4096 / per_frame) if per_frame > 0 else 0)
        if self.format == "OGG" and f.subtype == "OPUS" and self.seekable:
            try:
                scan = _opus_scan(path, *(span or (0, None)), rate=self.samplerate)
            except (OSError, ValueError) as exc:
                log.warning("could not look for damage in %s: %s", path, exc)
                scan = _OpusScan()
            else:
                # soundfile's read seeks to where it ended after every block, and in some
                # files libsndfile's seek fails there (the last block of a file was lost)
                self._direct = True
            self._gaps, self._unsafe = scan.gaps, scan.unsafe
            if scan.starts_late:
                # libsndfile reads the encoder's delay of a stream that does not begin at granule
                # 0 as audio, until it first seeks: the whole track came that late
                try:
                    f.seek(0)
                except (sf.LibsndfileError, RuntimeError):
                    pass
            if self._gaps and self._gaps[0][0] == 0:
                # a lost start is silence, and libsndfile's frames come after it
                self._lead = self._silence = self._gaps[0][1]
                self.frames += self._lead
        self._gap_starts = [gap[0] for gap in self._gaps]
        self._unsafe_starts = [first for first, _ in self._unsafe]

    def read(self, n: int) -> np.ndarray:
        if self._failed is not None:
            raise self._failed
        if self._silence or self._ended:
            k = min(n, self._silence)
            self._silence -= k
            self._pos += k
            if not k and n > 0:
                self._end_here()
            return np.zeros((k, self.channels), np.float32)
        start = self._pos
        if self._direct:
            # libsndfile reads on past a gap as if what follows came next: a read ends where
            # the gap begins, and the gap is silence
            i = bisect.bisect_left(self._gap_starts, start)
            n = max(0, min(n, self.frames - start))
            if i < len(self._gaps):
                n = min(n, self._gap_starts[i] - start)
        block, error = read_frames(self._f, n, direct=self._direct)
        self._pos += len(block)
        if error is not None and read_failed(error.error_string):
            # The system could not read the file (a drive unplugged, a network share
            # dropped): no damage to read on past. Gone past as damage, the rest of the song
            # was silence, or it ended there as if heard to its end, and the play was logged
            # whole. What was decoded before the failure is given first.
            self._failed = _read_failure(f"reading {Path(self.path).name} failed: {error.error_string}",
                                         error.error_string)
            if not len(block):
                raise self._failed
            return block
        if error is not None:
            self._go_past(self._pos, error)
        elif self._direct:
            i = bisect.bisect_left(self._gap_starts, self._pos)
            if i < len(self._gaps) and self._gap_starts[i] == self._pos:
                self._silence = self._gaps[i][1] - self._pos
        elif self.format == "OGG" and len(block):
            block = self._keep_time(start, block)
        if not len(block) and (self._silence or self._ended):
            return self.read(n)
        if not len(block) and n > 0:
            self._end_here()
        return block

    def _end_here(self) -> None:
        """The audio ends where reading got to: before the length the header gave (a file cut
        short further than was found on open), that is its length."""
        if self.frames is not None and self._pos < self.frames:
            self.frames = self._pos

    def _tell(self) -> int | None:
        try:
            return int(self._f.tell())
        except (sf.LibsndfileError, RuntimeError, ValueError):
            return None

    def _keep_time(self, start: int, block: np.ndarray) -> np.ndarray:
        """``block``, read from frame ``start`` of an Ogg file, as far as it lies before a
        damaged stretch that it ran into, the stretch then read as silence.

        libsndfile decodes on past a damaged page of an Ogg Vorbis file as if the audio after
        it came next, so that everything after moved earlier (the track ended early, and its
        positions were not the file's). Its position, taken from the pages' own positions
        (and the seek soundfile makes after each read), says how far the stretch went: the
        block is read again in parts to find where it met the damage, and what decoded from
        there to the end of the block (audio from after the stretch, in the wrong place) is
        left out.
        """
        at = self._tell()
        if at is None or at <= self._pos:
            return block
        good, bad = 0, len(block)   # how much of the block decodes where it belongs
        while bad - good > 1:
            mid = (good + bad) // 2
            if self._reads_in_place(start, mid):
                good = mid
            else:
                bad = mid
        try:
            self._f.seek(at)
        except (sf.LibsndfileError, RuntimeError, ValueError):
            self._ended = True      # (where libsndfile itself stood a moment ago)
        self._pos = start + good
        self._silence = at - self._pos
        return block[:good]

    def _reads_in_place(self, start: int, n: int) -> bool:
        """Whether ``n`` frames read from frame ``start`` end where they should (short of
        the damage)."""
        try:
            self._f.seek(start)
            self._f.read(n, dtype="float32")
        except (sf.LibsndfileError, RuntimeError, ValueError):
            return False
        return self._tell() == start + n

    def _go_past(self, at: int, error: Exception) -> None:
        """Decoding failed at frame ``at``: carry on after the damage, or end there."""
        lead = self._lead
        found = (_resume_after(self._opener, at - lead, self.frames - lead, self.samplerate)
                 if self.seekable and at >= lead else None)
        if found is None:
            if at == 0 and self._unfinished:
                # (libsndfile says "flac decoder lost sync", which tells a listener nothing)
                raise CorruptAudioError(f"damaged FLAC file: it ends early, {UNFINISHED}") from None
            if at == 0:
                raise CorruptAudioError(f"cannot decode {Path(self.path).name}: {error}") from error
            self._ended = True
            return
        self._f.close()
        self._f, resume = found
        self._silence = resume + lead - at

    def seek(self, frame: int) -> None:
        self._silence, self._ended, self._failed = 0, False, None
        if self._gaps or self._unsafe:
            self._seek_around_gaps(frame)
            return
        skip = 0
        if self._vorbis_tail and frame > self.frames - self._vorbis_tail:
            start = max(0, self.frames - self._vorbis_tail)
            try:
                self._f.seek(start)
                skip = frame - start
            except (sf.LibsndfileError, RuntimeError):
                skip = 0        # (seeks as any other below)
        if skip:
            while skip > 0:     # (read and dropped, up to the place asked for)
                block, error = read_frames(self._f, min(skip, 1 << 16), direct=True)
                skip -= len(block)
                if error is not None or not len(block):
                    self._seek_to(frame)    # (damaged there: libsndfile's own seek, as ever)
                    break
        else:
            self._seek_to(frame)
        self._pos = frame
        if self.format == "OGG" and not (self._silence or self._ended):
            # a seek into a damaged stretch of an Ogg file lands where it decodes again
            at = self._tell()
            if at is not None and at > frame:
                self._silence = at - frame

    def _seek_to(self, frame: int) -> None:
        try:
            self._f.seek(frame)
        except (sf.LibsndfileError, RuntimeError) as exc:
            if not self._f.seekable():
                raise CorruptAudioError(f"cannot seek in {Path(self.path).name}: {exc}") from exc
            f = _open_at(self._opener, frame)
            if f is None:
                self._go_past(frame, exc)
            else:
                self._f.close()
                self._f = f

    def _seek_around_gaps(self, frame: int) -> None:
        """Seek in an Opus file with gaps (:func:`opus_gaps`). libsndfile seeks by finding the
        last page that ends before its pre-roll and decoding on from the page after it: where
        a gap follows that page, it takes the page after the gap for the lost one (the audio
        there came a gap's length early), and where it decodes on to the place across a gap,
        it lands a gap's length late. So where that pre-roll meets a gap, libsndfile seeks to
        the gap's start instead (or an earlier gap's, where its pre-roll meets that one), and
        what it decodes from there to ``frame``, with the gaps left out, is read and dropped.
        Where the page it would seek from is one it seeks from wrong (``_unsafe``), it is asked
        for a place whose page is a safe one before that, and decodes on from there likewise."""
        frame = max(0, int(frame))
        to, silence = frame, 0
        i = bisect.bisect_right(self._gap_starts, frame) - 1
        if i >= 0 and frame < self._gaps[i][1]:     # in a gap: silence to its end
            to, silence = self._gaps[i][0], self._gaps[i][1] - frame
        at, reach = to, int(_OPUS_SEEK_REACH_S * self.samplerate)
        preroll = _OPUS_PREROLL * self.samplerate // 48000
        while True:
            while (j := bisect.bisect_left(self._gap_starts, at) - 1) >= 0 and at - reach <= self._gaps[j][2]:
                at = self._gap_starts[j]
            k = bisect.bisect_left(self._unsafe_starts, at - preroll) - 1
            if k < 0 or at - preroll > self._unsafe[k][1]:
                break
            at = self._unsafe_starts[k] + preroll    # (its page is the one before that stretch)
        skip = to - at - sum(end - start for start, end, _ in self._gaps if at <= start < to)
        at = max(0, at - self._lead)    # (where libsndfile counts it)
        try:
            self._f.seek(at)
        except (sf.LibsndfileError, RuntimeError):
            f = _open_at(self._opener, at)
            if f is None:       # (as where nothing after the damage decodes: the audio ends)
                self._pos, self._ended = frame, True
                return
            self._f.close()
            self._f = f
        while skip > 0:
            block, error = read_frames(self._f, min(skip, 1 << 16), direct=True)
            skip -= len(block)
            if error is not None or not len(block):
                self._ended = True
                break
        self._pos, self._silence = frame, silence

    def close(self) -> None:
        self._f.close()


#: uncompressed formats whose header gives the audio's size, which libsndfile believes
_SIZED_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "AU", "CAF"})


def _checked_soundfile(path: str) -> sf.SoundFile:
    """libsndfile reading ``path``: on POSIX through the descriptor of the file opened here
    without blocking and checked to be a regular file (see :mod:`segue_common.regular_file`).
    Given the name, libsndfile opened whatever it named by then, and a song swapped for a
    named pipe after it was looked at had it wait for a writer for ever, the player with it.
    (On Windows named pipes live outside the folders, and a descriptor of Python's C library
    may not be libsndfile's: it goes by the name.)"""
    if os.name == "nt":
        return sf.SoundFile(soundfile_name(path))
    f = open_regular_stream(path)
    try:
        return sf.SoundFile(os.dup(f.fileno()), closefd=True)
    except sf.LibsndfileError as exc:
        # (said of the file by its name, as libsndfile says it of a file it opened by name,
        # not of the descriptor: "Error opening 4: …")
        raise sf.LibsndfileError(exc.code, prefix=f"Error opening {path!r}: ") from None
    finally:
        f.close()


def open_soundfile(path: str) -> sf.SoundFile:
    """The file opened by libsndfile, refused (RuntimeError, as libsndfile's own refusals
    are, so that callers go on to ffmpeg) where an uncompressed file's header says it holds
    no audio while the file holds kilobytes: a recorder that stopped before writing the data
    size leaves it 0, libsndfile then reads nothing, and ffmpeg reads the data to its end.
    A WAV whose writer left out the pad byte after a chunk of odd size before the sound data
    (which libsndfile and ffmpeg then do not find) is read with the pad bytes put back; one of
    more than 4 GiB whose 32-bit header cannot say its size (:func:`_past_4gib`) to its end."""
    try:
        f = _checked_soundfile(path)
    except sf.LibsndfileError:
        f = _wav_with_pads_put_back(path)
        if f is None:
            raise
    if f.format in ("WAV", "WAVEX") and f.subtype in _RAW_SUBTYPES:
        f = _past_4gib(f, path)
    if f.frames == 0 and f.format in ("WAV", "WAVEX", "RF64") and f.subtype in _RAW_SUBTYPES:
        f = _unsized_data(f, path)
    if f.frames == 0 and (f.format in ("WAV", "WAVEX") and wav_unsized_block_frames(path)
                          or f.format == "AU" and au_unsized_frames(path)):
        # An ADPCM or GSM WAV, or an AU file, whose writer left its data size 0 (a recorder
        # stopped before it went back to write it, a writer to a pipe), of less than the
        # kilobytes asked of the formats below: ffmpeg reads its data to the file's end, and
        # the library's scan lists those frames; libsndfile reads none, and it was refused at
        # play as holding no audio.
        f.close()
        raise RuntimeError("its header gives its sound data no size")
    if f.frames == 0 and f.format in _SIZED_FORMATS:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        # (not where a whole chunk follows the empty data: ffmpeg played a tag list of
        # 20 KB, a cover, as 0.6 s of noise)
        if size > 8192 and not (f.format in ("WAV", "WAVEX", "RF64") and wav_data_empty(path)):
            f.close()
            raise RuntimeError(f"its header gives no audio in a file of {size} bytes")
    return f


#: the most chunks looked through for a WAV's sound data
_MAX_RIFF_CHUNKS = 64


def _chunk_name(name: bytes) -> bool:
    return len(name) == 4 and all(0x20 <= c < 0x7F for c in name)


def _missing_pads(f) -> list[int]:
    """Where a WAV's writer left out the pad byte after a chunk of odd size before the sound
    data (the next chunk's name comes right after the chunk's last byte, not one byte on),
    by the offsets the pads belong at; empty where nothing before the data lacks its pad."""
    f.seek(0)
    head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return []
    return _pads_to_data(f, 12, os.fstat(f.fileno()).st_size, [], [_MAX_RIFF_CHUNKS]) or []


def _pads_to_data(f, pos: int, end: int, missing: list[int], reads: list[int]) -> list[int] | None:
    """The pads missing on a way from the chunk at ``pos`` to the data chunk, or None where no
    way leads there. After a chunk of odd size the way with its pad is tried first, then the
    one without: what follows either may look like a chunk's name (the data chunk's size
    after "ata" may be a printable byte), and only the way on tells. ``reads``: how many
    chunk headers may still be read, on all ways together."""
    while reads[0] > 0:
        reads[0] -= 1
        if pos + 8 > end:
            return None
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8 or not _chunk_name(chunk[:4]):
            return None
        if chunk[:4] == b"data":
            return missing
        size = int.from_bytes(chunk[4:8], "little")
        pos += 8 + size
        if size & 1:
            padded = _pads_to_data(f, pos + 1, end, missing, reads)
            return padded if padded is not None else _pads_to_data(f, pos, end, [*missing, pos], reads)
    return None


class _FileView(io.RawIOBase):
    """A file read through a view of its bytes (the view's :meth:`readinto`), for libsndfile
    to open as the file it would be: ``_size`` bytes long, sought within them."""

    def __init__(self, path: str):
        super().__init__()
        self._fh = open_regular_file(path)
        self._size = self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._fh.close()
        super().close()


class _PaddedBytes(_FileView):
    """A file read with a zero byte put in at each of the offsets ``pads`` (ascending)."""

    def __init__(self, path: str, pads: list[int]):
        super().__init__(path)
        self._pads = pads
        # where each pad is in the file as read: after the pads before it
        self._at = [pad + i for i, pad in enumerate(pads)]
        self._size = os.fstat(self._fh.fileno()).st_size + len(pads)

    def readinto(self, buf) -> int:
        view, got = memoryview(buf), 0
        while got < len(view) and self._pos < self._size:
            before = bisect.bisect_right(self._at, self._pos)     # pads before or at the position
            if before and self._at[before - 1] == self._pos:
                view[got] = 0
                got += 1
                self._pos += 1
                continue
            # the file's bytes up to the next pad
            upto = self._at[before] if before < len(self._at) else self._size
            n = min(len(view) - got, upto - self._pos)
            self._fh.seek(self._pos - before)
            n = self._fh.readinto(view[got:got + n])
            if not n:
                break
            got += n
            self._pos += n
        return got


class _ViewedSoundFile(sf.SoundFile):
    """A sound file libsndfile opens through ``view`` (a :class:`_FileView`), which it closes
    with it, or at once where libsndfile cannot open it."""

    def __init__(self, view: _FileView, **kwargs):
        self._view = view
        try:
            super().__init__(view, **kwargs)
        except BaseException:
            view.close()
            raise

    def close(self) -> None:
        super().close()
        self._view.close()


class _PaddedWav(_ViewedSoundFile):
    """A WAV opened by libsndfile with the pad bytes its writer left out put back."""

    def __init__(self, path: str, pads: list[int]):
        super().__init__(_PaddedBytes(path, pads))


#: sample formats libsndfile reads as raw frames of a fixed size
_RAW_SUBTYPES = frozenset({"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"})


def _riff_chunks(f):
    """The chunks of a WAV, in order: each one's name, where its body starts and the size its
    header gives it; none where the file is no WAV, and no more once the file ends inside a
    chunk's header or :data:`_MAX_RIFF_CHUNKS` are given. As each is given, ``f`` stands at
    its body's start (the next is looked for from its place, wherever ``f`` is moved)."""
    f.seek(0)
    if f.read(12)[8:12] != b"WAVE":
        return
    pos = 12
    for _ in range(_MAX_RIFF_CHUNKS):
        f.seek(pos)
        chunk = f.read(8)
        if len(chunk) < 8:
            return
        size = int.from_bytes(chunk[4:8], "little")
        yield chunk[:4], pos + 8, size
        pos += 8 + size + (size & 1)


def _riff_data(f) -> tuple[int, int] | None:
    """Where a WAV's sound data starts, and the size its header gives it."""
    for name, start, size in _riff_chunks(f):
        if name == b"data":
            return start, size
    return None


class _RawData(_ViewedSoundFile):
    """The sound data of a WAV, bytes ``start`` to ``end``, read as raw frames of its format
    (``like``, the WAV as libsndfile opened it), and said to be of the WAV's format."""

    def __init__(self, path: str, start: int, end: int, like: sf.SoundFile):
        self._wav_format = like.format
        # (libsndfile keeps a WAVEX's channel mask for the WAV only: raw frames have none)
        self.layout = soundfile_layout(like, path)
        super().__init__(_ByteRange(path, start, end), format="RAW", subtype=like.subtype, endian="LITTLE",
                         samplerate=like.samplerate, channels=like.channels)

    @property
    def format(self) -> str:
        return self._wav_format


def _frame_bytes(f: sf.SoundFile) -> int:
    """The bytes of one frame of ``f``, whose subtype is one of :data:`_RAW_SUBTYPES`."""
    return max(1, f.channels * {"PCM_U8": 1, "ULAW": 1, "ALAW": 1, "PCM_16": 2, "PCM_24": 3,
                                "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}[f.subtype])


def wav_sound_missing(path: str | os.PathLike) -> str | None:
    """Why the WAV at ``path`` holds no sound, where it ends where its sound data begins:
    "no audio in file (length 0)" where its header gives that data no size (a recorder that
    wrote its header and nothing more), else it is cut short there. None for any other file.
    The library's scan and the player say it in these words: mutagen's ("Container chunk data
    size < 4", of a header whose RIFF size is 0) or the frames ffprobe guesses from an ADPCM
    header were listed, where the player found no sample."""
    try:
        with open_regular_file(path) as fh:
            found = _riff_data(fh)
            size = os.fstat(fh.fileno()).st_size
    except OSError:
        return None
    if found is None or found[0] < size:
        return None
    return "no audio in file (length 0)" if found[1] == 0 else f"damaged WAV file: it ends early, {UNFINISHED}"


def wav_data_empty(path: str | os.PathLike) -> bool:
    """Whether the sound data of the WAV or RF64 at ``path``, in which libsndfile found no
    frame, is as empty as its header says: a whole chunk (a tag list) follows the data
    chunk's header. Not so, the size is a recorder's that never went back to write it, and
    the sound runs to the file's end."""
    try:
        with open_regular_file(path) as fh:
            found = _riff_data(fh)
            return found is not None and _chunk_follows(fh, found[0])
    except OSError:
        return False


def _chunk_follows(fh, start: int) -> bool:
    """Whether a whole chunk begins at ``start`` of the open file ``fh`` (see :func:`wav_data_empty`)."""
    fh.seek(start)
    after = fh.read(8)
    held = os.fstat(fh.fileno()).st_size - start
    return len(after) == 8 and _chunk_name(after[:4]) and 8 + int.from_bytes(after[4:], "little") <= held


def _partial_block_frames(tag: int, channels: int, held: int) -> int:
    """The frames ffmpeg decodes from the first ``held`` bytes of a block of the WAVE format
    ``tag`` (a file that ends inside its last block): an IMA ADPCM block's header holds one
    sample a channel, then 8 a channel in every 4 bytes a channel; an MS ADPCM block's header
    two, then 2 a byte in mono (1 in stereo); GSM 6.10's blocks decode only whole."""
    if tag == 0x11 and held >= 4 * channels:
        return 1 + (held - 4 * channels) // (4 * channels) * 8
    if tag == 0x02 and held >= 7 * channels:
        return 2 + (held - 7 * channels) * 2 // channels
    return 0


def wav_unsized_block_frames(path: str | os.PathLike) -> int | None:
    """The frames of an IMA ADPCM, MS ADPCM or GSM 6.10 WAV whose header gives its sound data
    no size (0: a recorder stopped before it went back to write it), counted from its blocks
    to the file's end as ffmpeg plays them; None for any other file. ffprobe's length of such
    a file comes from its fact chunk's count where there is one, and of IMA ADPCM halved it
    (1.02 s for a file that plays 2.04 s)."""
    try:
        with open_regular_file(path) as fh:
            size, fmt = os.fstat(fh.fileno()).st_size, None
            for name, start, length in _riff_chunks(fh):
                if name == b"fmt ":
                    fmt = fh.read(min(length, 64))
                elif name == b"data":
                    break
            else:
                return None
    except OSError:
        return None
    if length != 0 or fmt is None or len(fmt) < 20:
        return None
    tag, channels = int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little")
    align, per_block = int.from_bytes(fmt[12:14], "little"), int.from_bytes(fmt[18:20], "little")
    if tag not in (0x02, 0x11, 0x31) or not channels or not align or not per_block:
        return None
    held = size - start
    return held // align * per_block + _partial_block_frames(tag, channels, held % align)


#: the bytes of one sample of each AU encoding of whole bytes (mu-law, 8 to 32-bit PCM, float,
#: double, A-law)
_AU_SAMPLE_BYTES = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}


def file_head(path: str | os.PathLike, n: int) -> tuple[bytes, int] | None:
    """``(the first n bytes of the file at path, its size)``, or None where it cannot be read."""
    try:
        with open_regular_file(path) as fh:
            return fh.read(n), os.fstat(fh.fileno()).st_size
    except OSError:
        return None


def au_unsized_frames(path: str | os.PathLike) -> int | None:
    """The frames of the AU file at ``path`` whose header gives its data a size of 0, from the
    header's end to the file's, as ffmpeg plays them; None for any other file. ffprobe gives
    such a file no length, and libsndfile reads none of it."""
    found = file_head(path, 24)
    if found is None:
        return None
    head, size = found
    if len(head) < 24 or head[:4] != b".snd":
        return None
    offset, data, encoding, _rate, channels = struct.unpack(">5I", head[4:24])
    width = _AU_SAMPLE_BYTES.get(encoding)
    if data != 0 or width is None or not 0 < channels <= 1024 or offset < 24:
        return None
    return max(0, size - offset) // (width * channels)


#: the GUIDs that begin an ASF (WMA) file's header object and its data object
_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
#: a data object's own header: its GUID, size, the file's ID and its count of packets, 2 reserved bytes
_ASF_DATA_HEAD = 50


def asf_sound_missing(path: str | os.PathLike) -> str | None:
    """Why the ASF (WMA) file at ``path`` holds no sound, where no packet follows its header:
    "no audio in file (length 0)" where its data object counts none (an encoder closed
    before any sound went in), else it is cut short there. None for any other file. Its
    header gives a length all the same: such a file was listed at it, and played as nothing
    (ffmpeg decodes no sample from it), a play of 0 s."""
    try:
        with open_regular_file(path) as fh:
            head = fh.read(24)
            if len(head) < 24 or head[:16] != _ASF_HEADER:
                return None
            start = int.from_bytes(head[16:24], "little")
            size = os.fstat(fh.fileno()).st_size
            if not 30 <= start <= size:
                return None
            fh.seek(start)
            data = fh.read(_ASF_DATA_HEAD)
    except OSError:
        return None
    if len(data) >= 24 and data[:16] != _ASF_DATA:
        return None     # (another object after the header: not a file laid out as here)
    if len(data) == _ASF_DATA_HEAD and start + _ASF_DATA_HEAD < size:
        return None     # (bytes after the data object's header: packets, read by ffmpeg)
    if len(data) == _ASF_DATA_HEAD and int.from_bytes(data[40:48], "little") == 0:
        return "no audio in file (length 0)"
    return f"damaged WMA file: it ends early, {UNFINISHED}"


def _unsized_data(f: sf.SoundFile, path: str) -> sf.SoundFile:
    """``f`` (in which libsndfile found no frame), or where the WAV's or RF64's header gives
    its sound data no size, the bytes from the start of that data to the end of the file read
    as its frames. A recorder or converter stopped before it went back to write the size
    leaves 0 (in an RF64, in its ds64 chunk): libsndfile read nothing, so a short recording
    played as 0 s (a longer one went to ffmpeg, where there is one, and an RF64 was refused)."""
    try:
        with open_regular_file(path) as fh:
            found = _riff_data(fh)
            if found is None or _chunk_follows(fh, found[0]):
                return f        # (a chunk follows: the data is empty, as its size says, not unsized)
            start = found[0]
            held = os.fstat(fh.fileno()).st_size - start
        block = _frame_bytes(f)
        held -= held % block
        if held < block:
            return f
        raw = _RawData(path, start, start + held, f)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        log.warning("could not read the sound data of %r to its end: %s", path, exc)
        return f
    f.close()
    return raw


def _past_4gib(f: sf.SoundFile, path: str) -> sf.SoundFile:
    """``f``, or where the WAV is larger than its 32-bit header can say, its sound data read
    to the end of what the file holds. A writer that does not know RF64 keeps the lowest 32
    bits of the data's size (6 hours 46 minutes at 44.1 kHz, 16-bit stereo, were listed as
    the few minutes past 4 GiB, and only that much of the start played), or writes 0xFFFFFFFF
    (what is past 4 GiB was never heard). The whole multiples of 4 GiB that fit in the file
    are its size's lost bits; what follows them (a tag chunk after the data) is no sound. A
    size of 0 is a recorder's that stopped before writing it: the data runs to the file's end
    (whole multiples of 4 GiB of it lost all that is past the last one, up to 4 GiB)."""
    try:
        if os.path.getsize(path) <= 0xFFFFFFFF:
            return f
        with open_regular_file(path) as fh:
            found = _riff_data(fh)
        if found is None:
            return f
        start, size = found
        held = os.path.getsize(path) - start
        if size in (0, 0xFFFFFFFF):
            real = held
        else:
            real = size + (held - size) // (1 << 32) * (1 << 32)
        block = _frame_bytes(f)
        real -= real % block
        if real // block <= f.frames:
            return f
        raw = _RawData(path, start, start + real, f)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        log.warning("could not read %r past 4 GiB: %s", path, exc)
        return f
    f.close()
    return raw


def _wav_with_pads_put_back(path: str) -> sf.SoundFile | None:
    """The WAV ``path`` opened with the pad bytes before its sound data put back, where its
    writer left some out; None where it left none out (or it is no WAV, or libsndfile refuses
    it even so)."""
    try:
        with open_regular_file(path) as f:
            pads = _missing_pads(f)
        if not pads:
            return None
        return _PaddedWav(path, pads)
    except (OSError, sf.LibsndfileError, RuntimeError) as exc:
        log.debug("could not read %r with its pad bytes put back: %s", path, exc)
        return None


# -- FLAC files cut short ------------------------------------------------------------------
#: the CRC-8 of a FLAC frame header (polynomial x^8 + x^2 + x + 1), byte by byte
_FLAC_CRC8 = bytes(
    functools.reduce(lambda c, _: (c << 1 ^ 0x07 if c & 0x80 else c << 1) & 0xFF, range(8), b) for b in range(256))
#: sample rates and bits per sample by a frame header's codes (None: from STREAMINFO, or invalid)
_FLAC_RATES = (None, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
_FLAC_BITS = (None, 8, 12, None, 16, 20, 24, 32)
#: how many bytes follow a byte that begins a character in UTF-8, by its leading ones (7: no
#: character begins with it)
_UTF8_MORE = bytes(0 if b < 0x80 else 7 if b < 0xC0 else 7 - (0xFF ^ b).bit_length() for b in range(256))
#: how far from its end a FLAC file whose STREAMINFO leaves out its largest frame is searched
#: for its last frame first; further back, a megabyte at a time (zeros after the last frame)
_FLAC_TAIL = 64 << 10


def _flac_streaminfo(f, size: int) -> tuple[int, dict] | None:
    """Where the frames of the FLAC file ``f`` begin (after ID3v2 tags in front, "fLaC" and
    its metadata blocks), and its STREAMINFO; None where it is no FLAC file."""
    pos = 0
    for _ in range(4):
        f.seek(pos)
        tag = mp3._id3v2_size(f.read(10))
        if not tag:
            break
        pos += tag
    f.seek(pos)
    if f.read(4) != b"fLaC":
        return None
    pos += 4
    info = None
    while pos < size:
        f.seek(pos)
        head = f.read(4 + 34)
        if len(head) < 4:
            return None
        if head[0] & 0x7F == 0 and info is None and len(head) == 38:
            v = int.from_bytes(head[14:22], "big")
            info = {"max_block": int.from_bytes(head[6:8], "big"), "max_frame": int.from_bytes(head[11:14], "big"),
                    "min_frame": int.from_bytes(head[8:11], "big"),
                    "rate": v >> 44, "channels": (v >> 41 & 7) + 1, "bits": (v >> 36 & 0x1F) + 1,
                    "total": v & (1 << 36) - 1}
        pos += 4 + int.from_bytes(head[1:4], "big")
        if head[0] & 0x80:
            return (pos, info) if info is not None else None
    return None


def _flac_frame_at(buf: bytes, i: int, info: dict) -> tuple[int, int] | None:
    """(first sample, samples) of the frame whose header starts at ``buf[i]``, or None where
    no whole header of this stream starts there (its checksum, and its rate, channels and
    bits per sample, must be the stream's: the sync code turns up inside the audio too)."""
    if i + 6 > len(buf) or buf[i] != 0xFF or buf[i + 1] & 0xFE != 0xF8:
        return None
    block_code, rate_code, ch_code, bits_code = buf[i + 2] >> 4, buf[i + 2] & 15, buf[i + 3] >> 4, buf[i + 3] >> 1 & 7
    if (block_code == 0 or rate_code == 15 or buf[i + 3] & 1 or ch_code > 10 or bits_code == 3
            or (ch_code + 1 if ch_code < 8 else 2) != info["channels"]
            or (bits_code and _FLAC_BITS[bits_code] != info["bits"])
            or (rate_code < 12 and rate_code and _FLAC_RATES[rate_code] != info["rate"])):
        return None
    # The frame's number (or its first sample's), coded as UTF-8 codes a character: the
    # first byte's leading ones count the bytes that follow it.
    j, lead = i + 4, buf[i + 4]
    extra = _UTF8_MORE[lead]
    if extra > 6 or j + 1 + extra > len(buf):
        return None
    number = lead & (0x3F >> extra if extra else 0x7F)
    for c in buf[j + 1:j + 1 + extra]:
        if c & 0xC0 != 0x80:
            return None
        number = number << 6 | c & 0x3F
    j += 1 + extra
    if block_code in (6, 7):
        n = block_code - 5
        samples, j = int.from_bytes(buf[j:j + n], "big") + 1, j + n
    else:
        samples = 192 if block_code == 1 else 576 << block_code - 2 if block_code < 6 else 256 << block_code - 8
    j += 0 if rate_code < 12 else 1 if rate_code == 12 else 2
    if j >= len(buf):
        return None
    crc = 0
    for c in buf[i:j]:
        crc = _FLAC_CRC8[crc ^ c]
    if crc != buf[j] or samples > info["max_block"]:
        return None
    # a stream of blocks of one size numbers its frames, one of varying sizes its samples
    return (number if buf[i + 1] & 1 else number * info["max_block"]), samples


def _last_flac_frame(f, start: int, size: int, info: dict) -> tuple[int, int, int] | None:
    """(first sample, samples, byte it starts at) of the last frame whose header lies in bytes
    ``start`` to ``size`` of the FLAC file ``f``, searched for from the end; None where there is none.
    In a whole file that is the last frame, within its largest frame's length of the end
    (and a little more, for a tag written there)."""
    end, window = size, (info["max_frame"] + 1024) if info["max_frame"] else _FLAC_TAIL
    while end > start:
        lo = max(start, end - window)
        f.seek(lo)
        buf = f.read(end - lo + 16)     # (with the start of what was searched: a header across the two)
        # A stream's frames are all of one kind: numbered (blocks of one size, nearly every
        # file) or by their first sample (blocks of varying sizes).
        for sync in (b"\xff\xf8", b"\xff\xf9"):
            at = end - lo + 1
            while (at := buf.rfind(sync, 0, at)) >= 0:
                found = _flac_frame_at(buf, at, info)
                if found is not None:
                    return (*found, lo + at)
                at += 1
        end, window = lo, max(window, 1 << 20)
    return None


def flac_holds_no_frame(path: str | os.PathLike) -> bool:
    """Whether the FLAC file at ``path`` ends with its metadata blocks, its STREAMINFO giving
    no length (0: unknown): an encoder closed before any sample was given writes so. A file
    whose STREAMINFO gives a length and that ends there is one cut short (see
    :func:`flac_frames_held`). An ID3v1 tag after the metadata (a tagger's, at the file's
    end) is no frame: such a file was played as a song of 0 s, where the scan listed it as
    holding no audio."""
    try:
        with open_regular_file(path) as f:
            size = os.fstat(f.fileno()).st_size
            found = _flac_streaminfo(f, size)
            if found is not None and size - 128 >= found[0]:
                f.seek(size - 128)
                if f.read(3) == b"TAG":
                    size -= 128
    except OSError:
        return False
    return found is not None and not found[1]["total"] and found[0] >= size


def flac_frames_held(path: str, opener=None, *, fileobj=None, stream: dict | None = None) -> int | None:
    """How many samples a FLAC file cut short (an interrupted download or copy) holds, as
    :class:`SoundfileReader` plays them (0 where it ends inside its first frame); None where
    the file holds the last frame its STREAMINFO counts (or is no FLAC file of known length,
    or where it ends cannot be told).

    A file cut short keeps the STREAMINFO of the whole file, and so its length. In a whole
    file only the header of its last frame is read (the end of the file, nothing decoded). In
    a file whose last frame is an earlier one, the frames from a little before it are decoded
    to where the audio ends. ``opener``: how libsndfile opens the file (by default by name);
    ``fileobj``: the file, open already (binary), which is left open; ``stream``: its
    STREAMINFO as read already (the keys :func:`_flac_streaminfo` gives), so that only the
    end of the file is read.
    """
    try:
        with contextlib.nullcontext(fileobj) if fileobj is not None else open_regular_file(path) as f:
            if stream is None:
                found = _flac_streaminfo(f, os.fstat(f.fileno()).st_size)
                if found is None:
                    return None
                start, info = found
            else:
                # (a frame header found among the metadata blocks is checked by decoding, below)
                start, info = 0, stream
            if not info["total"] or not info["max_block"]:
                return None
            size = f.seek(0, os.SEEK_END)
            last = _last_flac_frame(f, start, size, info)
    except OSError:
        return None
    total = info["total"]
    # A frame is as long as the shortest STREAMINFO counts, at least: a file that ends sooner
    # after its last frame's header is cut inside that frame (a file of one frame, cut
    # anywhere in its audio, was taken for whole, listed at its length, and failed to play).
    if last is not None and last[0] + last[1] >= total and size - last[2] >= (info.get("min_frame") or 0):
        return None
    # (from two blocks before its last frame: that one may be cut in two, and a seek into it fail)
    at = 0 if last is None else max(0, min(last[0], total) - 2 * info["max_block"])
    try:
        with (opener or functools.partial(open_soundfile, path))() as sfile:
            sfile.seek(at)
            while True:
                block, error = read_frames(sfile, 1 << 16)
                at += len(block)
                if error is not None or len(block) < 1 << 16:
                    break
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, OSError):
        # A file that ends inside its first frame (its header whole, its audio all but gone)
        # decodes nowhere: it holds nothing, where a file cut later is only measured wrong.
        return 0 if at == 0 and (last is None or last[0] == 0) else None
    return at if at < total else None


def holds_whole(path: str | os.PathLike) -> bool:
    """Whether the file at ``path`` holds all of the audio its own header says it has: a WAV
    whose data chunk's size (neither 0 nor the unsized 0xFFFFFFFF) fits in the file, a FLAC
    whose STREAMINFO counts samples and whose last frame reaches that count, whole, an Ogg
    file whose last page is whole and marked its stream's end, an MP4 file (M4A) whose
    sample tables place its last chunks within it (:func:`segue_common.mp4.holds_whole`), an
    MP3 with as many whole frames as its Xing or VBRI header counts, or without one, frames
    whole to its end (:func:`segue_common.mp3.holds_whole`), an AIFF, WavPack, Matroska/WebM
    or WMA file whose sizes and counts fit (:mod:`segue_common.whole_files`). False for any
    other file, or one that cannot be read. libsndfile's length is no measure of it: it
    shortens a cut WAV's to what the file holds. Nothing is decoded: only the header and the
    end of the file are read (a FLAC's last frame's header, an Ogg file's last page, an MP4
    file's boxes), but an MP3's frame headers all are, and a WavPack file's block headers."""
    try:
        return _holds_whole(path)
    except (OSError, ValueError, struct.error, IndexError, OverflowError, MemoryError):
        # (a damaged or foreign file read as one of these formats: its sizes and counts are
        # garbage, and what it holds is not known, as for a file no check knows)
        return False


def _holds_whole(path: str | os.PathLike) -> bool:
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        magic = f.read(4)
        if magic == b"OggS":
            return not ogg_ends_unfinished(f)
        if magic == whole_files.AIFF_MAGIC and f.read(8)[4:] in (b"AIFF", b"AIFC"):
            return whole_files.aiff_holds_whole(f, size)
        if magic == whole_files.WAVPACK_MAGIC:
            return whole_files.wavpack_holds_whole(f, size)
        if magic == whole_files.MATROSKA_MAGIC:
            return whole_files.matroska_holds_whole(f, size)
        if magic == whole_files.ASF_MAGIC[:4]:
            return whole_files.asf_holds_whole(f, size)
        found = _riff_data(f)
        if found is not None:
            start, length = found
            return 0 < length < 0xFFFFFFFF and start + length <= size
        flac = _flac_streaminfo(f, size)
        if flac is None:
            f.seek(4)
            if f.read(4) == b"ftyp":
                return mp4.holds_whole(f, size)
            return mp3.holds_whole(f, size)
        if not flac[1]["total"] or not flac[1]["max_block"]:
            return False
        start, info = flac
        last = _last_flac_frame(f, start, size, info)
    # (as flac_frames_held takes a file for whole: its last frame at the count, and no shorter
    # after its header than the shortest frame the STREAMINFO counts)
    return (last is not None and last[0] + last[1] >= info["total"]
            and size - last[2] >= (info.get("min_frame") or 0))


def whole_file_length(path: str | os.PathLike) -> float | None:
    """The length in seconds of the file at ``path``, played through ffmpeg and found whole
    (:func:`holds_whole`), as it is now: an MP4 file's movie header's, else (a fragmented MP4,
    whose movie header counts only what precedes its fragments; WavPack, Matroska, WMA)
    ffprobe's, which reads only the headers. None where neither gives one. (The player takes
    the library's length for such a file: after a rewrite, that is the file's as it was.)"""
    try:
        with open_regular_file(path) as f:
            f.seek(4)
            if f.read(4) == b"ftyp" and not mp4.is_fragmented(f, os.fstat(f.fileno()).st_size):
                return mp4_length(path)
    except OSError:
        return None
    probed = probe_stream(path, count=False)
    return None if probed is None else probed["duration"]


def mp4_length(path: str | os.PathLike) -> float | None:
    """The length in seconds the MP4 file (M4A) at ``path`` gives in its own movie header, or
    None for any other file, or one that cannot be read. (ffmpeg plays such a file, and the
    player takes the library's length for it: after a rewrite, that is the file's as it was.)"""
    try:
        with open_regular_file(path) as f:
            f.seek(4)
            if f.read(4) != b"ftyp":
                return None
            return mp4.movie_length(f, os.fstat(f.fileno()).st_size)
    except OSError:
        return None


#: Ogg Vorbis and Opus store a multichannel file's channels in another order than WAV and
#: FLAC (the centre second, the LFE last), and libsndfile hands them over as stored: for
#: each channel in WAV order, where it lies in the Ogg file.
OGG_TO_WAV_ORDER = {
    3: (0, 2, 1),                        # L C R
    5: (0, 2, 1, 3, 4),                  # FL C FR RL RR
    6: (0, 2, 1, 5, 3, 4),               # FL C FR RL RR LFE
    7: (0, 2, 1, 6, 5, 3, 4),            # FL C FR SL SR RC LFE
    8: (0, 2, 1, 7, 5, 6, 3, 4),         # FL C FR SL SR RL RR LFE
}



# -- mixing channels down ------------------------------------------------------------------
_H = 0.7071  # -3 dB: a channel shared by both sides, or one folded into the front of its side
#: Where each named channel goes in stereo (left, right), at the levels stereo downmixes use
#: (ffmpeg's, and the players people compare with): the fronts as they are, the centre and the
#: surrounds at -3 dB, a centre behind or above split between the sides at -6 dB each. The LFE
#: is left out, as those downmixes do: its content is in the main channels already.
_TO_STEREO = {
    "FL": (1, 0), "FR": (0, 1), "FC": (_H, _H), "LFE": (0, 0), "LFE2": (0, 0),
    "BL": (_H, 0), "BR": (0, _H), "SL": (_H, 0), "SR": (0, _H), "BC": (0.5, 0.5),
    "FLC": (1, 0), "FRC": (0, 1), "WL": (_H, 0), "WR": (0, _H), "SDL": (_H, 0), "SDR": (0, _H),
    "DL": (1, 0), "DR": (0, 1),
    "TC": (0.5, 0.5), "TFL": (_H, 0), "TFR": (0, _H), "TFC": (0.5, 0.5),
    "TBL": (_H, 0), "TBR": (0, _H), "TBC": (0.5, 0.5), "TSL": (_H, 0), "TSR": (0, _H),
    "BFL": (_H, 0), "BFR": (0, _H), "BFC": (0.5, 0.5),
}
#: The channels of a file that does not say which it holds, by their count, in the order WAV
#: and FLAC store them (their defaults; Ogg Vorbis and Opus hold the same ones in their own
#: order, see OGG_TO_WAV_ORDER).
DEFAULT_LAYOUTS = {
    3: ("FL", "FR", "FC"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
#: Where a file mixed down from more channels begins to be soft-clipped (:func:`soft_clip`):
#: below it every sample is as it came. A downmix is the plain weighted sum of the channels,
#: which can pass full scale where they are loud together (scaling the whole mix down so that no
#: sum ever could, by 1 + 2 x 0.7071 for 5.1, made every multichannel file play 7.7 dB quieter
#: than a stereo one). Whether a sum clips is known only once ReplayGain has scaled it: a peak of
#: 1.3 that a -9 dB track gain brings down to 0.46 never clips, and bending it before the gain
#: distorted music that was nowhere near full scale. So the player bends such a file's peaks
#: after the gain. Stereo and mono files are left as they are (only a song a boosting gain has
#: taken past full scale is bent, from that over on), so that the peaks of a master between the
#: knee and full scale stay exact.
KNEE = 0.9


def layout_of(names, channels: int) -> tuple[str, ...] | None:
    """``names`` (the channels a file says it holds, in order) where they are ``channels``
    channels that the downmix knows, each once; else None (the count decides).

    Two channels that are a left and a right (the fronts, or any other pair: a back pair is
    stereo too, which a mix by name would only turn down) are None as well, plain stereo, as
    they were. Only a pair with a channel that belongs on both sides or on neither is named: a
    file that says it holds a front left and a centre has its centre heard on both sides, not
    as the right channel, at full level."""
    names = tuple(names or ())
    if len(names) != channels or len(set(names)) != channels or not all(n in _TO_STEREO for n in names):
        return None
    if channels == 2:
        (l0, r0), (l1, r1) = _TO_STEREO[names[0]], _TO_STEREO[names[1]]
        if l0 > 0 and r0 == 0 and l1 == 0 and r1 > 0:
            return None
    return names


#: the speakers of a WAVE_FORMAT_EXTENSIBLE channel mask, from its lowest bit up (FLAC keeps
#: such a mask in its WAVEFORMATEXTENSIBLE_CHANNEL_MASK tag where the layout is not its default)
_MASK_NAMES = ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
               "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR")
#: libsndfile's channel map (SF_CHANNEL_MAP_*, from a WAV or W64 channel mask, a CAF channel
#: layout) by the names used here
_SF_CHANNEL_NAMES = {1: "FC", 2: "FL", 3: "FR", 4: "FC", 5: "FL", 6: "FR", 7: "FC", 8: "BC", 9: "BL",
                     10: "BR", 11: "LFE", 12: "FLC", 13: "FRC", 14: "SL", 15: "SR", 16: "TC", 17: "TFL",
                     18: "TFR", 19: "TFC", 20: "TBL", 21: "TBR", 22: "TBC"}
_SFC_GET_CHANNEL_MAP_INFO = 0x1100
#: ffmpeg's names of its standard layouts (``ffmpeg -layouts``) with more than two channels
_FFMPEG_LAYOUTS = {
    "2.1": "FL+FR+LFE", "3.0": "FL+FR+FC", "3.0(back)": "FL+FR+BC", "4.0": "FL+FR+FC+BC",
    "quad": "FL+FR+BL+BR", "quad(side)": "FL+FR+SL+SR", "3.1": "FL+FR+FC+LFE", "5.0": "FL+FR+FC+BL+BR",
    "5.0(side)": "FL+FR+FC+SL+SR", "4.1": "FL+FR+FC+LFE+BC", "5.1": "FL+FR+FC+LFE+BL+BR",
    "5.1(side)": "FL+FR+FC+LFE+SL+SR", "6.0": "FL+FR+FC+BC+SL+SR", "6.0(front)": "FL+FR+FLC+FRC+SL+SR",
    "hexagonal": "FL+FR+FC+BL+BR+BC", "6.1": "FL+FR+FC+LFE+BC+SL+SR", "6.1(back)": "FL+FR+FC+LFE+BL+BR+BC",
    "6.1(front)": "FL+FR+LFE+FLC+FRC+SL+SR", "7.0": "FL+FR+FC+BL+BR+SL+SR", "7.0(front)": "FL+FR+FC+FLC+FRC+SL+SR",
    "7.1": "FL+FR+FC+LFE+BL+BR+SL+SR", "7.1(wide)": "FL+FR+FC+LFE+BL+BR+FLC+FRC",
    "7.1(wide-side)": "FL+FR+FC+LFE+FLC+FRC+SL+SR", "octagonal": "FL+FR+FC+BL+BR+BC+SL+SR",
    "hexadecagonal": "FL+FR+FC+BL+BR+BC+SL+SR+TFL+TFC+TFR+TBL+TBC+TBR+WL+WR",
    "22.2": "FL+FR+FC+LFE+BL+BR+FLC+FRC+BC+SL+SR+TC+TFL+TFC+TFR+TBL+TBC+TBR+LFE2+TSL+TSR+BFC+BFL+BFR",
    # (named by ffmpeg 6 and later; 5.x gives their channels, "8 channels (FL+...)")
    "3.1.2": "FL+FR+FC+LFE+TFL+TFR", "5.1.2(back)": "FL+FR+FC+LFE+BL+BR+TFL+TFR",
    "7.1(top)": "FL+FR+FC+LFE+BL+BR+TFL+TFR", "cube": "FL+FR+BL+BR+TFL+TFR+TBL+TBR",
    "5.1.4(back)": "FL+FR+FC+LFE+BL+BR+TFL+TFR+TBL+TBR", "7.1.2": "FL+FR+FC+LFE+BL+BR+SL+SR+TFL+TFR",
    "7.1.4(back)": "FL+FR+FC+LFE+BL+BR+SL+SR+TFL+TFR+TBL+TBR",
    "7.2.3": "FL+FR+FC+LFE+BL+BR+SL+SR+TFL+TFR+TBC+LFE2",
    "9.1.4(back)": "FL+FR+FC+LFE+BL+BR+FLC+FRC+SL+SR+TFL+TFR+TBL+TBR",
}
#: ffmpeg's channels in the order of their bits in its channel masks, which is the order they
#: come in in a layout of its native order, whatever its name
_FFMPEG_CHANNEL_BITS = {name: bit for bit, name in enumerate(
    ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR", "TC", "TFL", "TFC", "TFR", "TBL", "TBC",
     "TBR"))}
_FFMPEG_CHANNEL_BITS.update(DL=29, DR=30, WL=31, WR=32, SDL=33, SDR=34, LFE2=35, TSL=36, TSR=37, BFC=38, BFL=39,
                            BFR=40)


def _mask_layout(mask: int, channels: int) -> tuple[str, ...] | None:
    """The channels of a WAVE_FORMAT_EXTENSIBLE mask, as WAV reads it: the channels are the
    speakers of its lowest set bits, one each; bits set past those are ignored (a mask with
    SPEAKER_ALL, or one bit too many); a channel left without a bit, or given a reserved one,
    has no name (None: the count decides)."""
    if mask < 0:
        return None
    names = []
    bit = 0
    while mask >> bit and len(names) < channels:
        if mask >> bit & 1:
            names.append(_MASK_NAMES[bit] if bit < len(_MASK_NAMES) else "")
        bit += 1
    return layout_of(names, channels)


def _ffmpeg_layout(name: str, channels: int) -> tuple[str, ...] | None:
    """The channels of ffmpeg's layout ``name``: a standard one, its channels joined by + (as
    ffmpeg 4 gave a layout without a name), or their count and them, "8 channels (FL+FR+...)"
    (as ffmpeg 5 and later do). Only channels in ffmpeg's own order count: those are what
    ``aformat`` keeps them in (see :func:`_ffmpeg_layout_spec`)."""
    spec = _FFMPEG_LAYOUTS.get(name, name)
    if (listed := re.fullmatch(r"\d+ channels \(([A-Z0-9+]+)\)", spec)) is not None:
        spec = listed.group(1)
    if not re.fullmatch(r"[A-Z0-9]+(\+[A-Z0-9]+)+", spec):
        return None
    names = spec.split("+")
    bits = [_FFMPEG_CHANNEL_BITS.get(n, -1) for n in names]
    if min(bits) < 0 or bits != sorted(bits):
        return None
    return layout_of(names, channels)


def _ffmpeg_layout_spec(name: str, layout: tuple[str, ...]) -> str:
    """How to name ``layout`` (read from ffmpeg's ``name`` for it) to ffmpeg's filters: by its
    standard name, or by its channels joined by +, which every ffmpeg reads (not its
    "8 channels (...)" description)."""
    return name if name in _FFMPEG_LAYOUTS else "+".join(layout)


def _flac_channel_mask(path: str) -> int | None:
    """The WAVEFORMATEXTENSIBLE_CHANNEL_MASK tag of a FLAC file, or None."""
    try:
        with open_regular_file(path) as fh:
            fh.seek(_after_id3(fh.read(10)))
            if fh.read(4) != b"fLaC":
                return None
            while len(head := fh.read(4)) == 4:
                size = int.from_bytes(head[1:], "big")
                if head[0] & 0x7F == 4:     # VORBIS_COMMENT: the vendor, then "KEY=value" fields
                    data = fh.read(size)
                    at = 4 + int.from_bytes(data[:4], "little")
                    count, at = int.from_bytes(data[at:at + 4], "little"), at + 4
                    for _ in range(count):
                        n = int.from_bytes(data[at:at + 4], "little")
                        key, _, value = data[at + 4:at + 4 + n].decode("utf-8", "replace").partition("=")
                        if key.upper() == "WAVEFORMATEXTENSIBLE_CHANNEL_MASK":
                            return int(value.strip(), 0)
                        at += 4 + n
                    return None
                if head[0] & 0x80:
                    return None
                fh.seek(size, os.SEEK_CUR)
    except (OSError, ValueError):
        return None
    return None


def soundfile_layout(f: sf.SoundFile, path: str) -> tuple[str, ...] | None:
    """The names of the channels of a file libsndfile opened, in the order it reads them: from
    the channel mask of a WAV, W64 or CAF (as libsndfile gives it) or a FLAC's mask tag; an Ogg
    file's by its count, in the order Ogg keeps them. None where nothing says (by the count)."""
    channels = f.channels
    if channels < 2:
        return None
    if isinstance(f, _RawData):
        return f.layout
    if f.format == "OGG":
        wav, order = DEFAULT_LAYOUTS.get(channels), OGG_TO_WAV_ORDER.get(channels)
        if wav is None or order is None:
            return None
        stored = [""] * channels
        for i, at in enumerate(order):
            stored[at] = wav[i]
        return tuple(stored)
    if f.format == "FLAC":
        mask = _flac_channel_mask(path)
        return None if mask is None else _mask_layout(mask, channels)
    try:
        codes = sf._ffi.new("int[]", channels)
        if not sf._snd.sf_command(f._file, _SFC_GET_CHANNEL_MAP_INFO, codes, sf._ffi.sizeof(codes)):
            return None
    except (AttributeError, TypeError, RuntimeError):   # (another soundfile's internals)
        return None
    return layout_of([_SF_CHANNEL_NAMES.get(c, "") for c in codes], channels)


@functools.lru_cache(maxsize=None)
def _stereo_matrix(have: int, layout: tuple[str, ...] | None) -> np.ndarray:
    """[shape=(have, 2)] the weights of each channel in left and right."""
    layout = layout or DEFAULT_LAYOUTS.get(have)
    if layout is not None:
        return np.array([_TO_STEREO[name] for name in layout], np.float32)
    # Channels nobody named: alternately left and right, each side the mean of its own, as
    # nothing says which of them are surrounds that may be loud together with the fronts.
    m = np.array([(1, 0) if i % 2 == 0 else (0, 1) for i in range(have)], np.float32)
    return m / m.sum(axis=0).max()


def soft_clip(x: np.ndarray, work: np.ndarray | None = None) -> np.ndarray:
    """``x`` [float32], in place, with its samples beyond :data:`KNEE` bent smoothly towards
    full scale, which they never pass (the curve's slope is 1 at the knee: no kink where it
    begins); every sample within the knee stays exactly as it was. It keeps no state, sample
    by sample, so a seek or a join between files is the same with it as without.

    ``work``: a float32 array of twice the size of ``x`` at least, to work in without allocating
    (the output's thread); ``x`` is only looked at where nothing passes the knee, the usual case."""
    if x.size == 0 or (x.max() <= KNEE and x.min() >= -KNEE):
        return x
    if work is None or work.size < 2 * x.size:
        work = np.empty(2 * x.size, np.float32)
    flat = work.reshape(-1)
    size, bent = np.abs(x, out=flat[:x.size].reshape(x.shape)), flat[x.size:2 * x.size].reshape(x.shape)
    # the curve: KNEE + (1 - KNEE) * tanh(excess / (1 - KNEE)), of how far a sample is past the
    # knee; it is KNEE within it, and never more than the sample itself beyond it, so the
    # smaller of the two is the sample within the knee, exactly, and the curve beyond
    np.subtract(size, KNEE, out=bent)
    np.maximum(bent, 0.0, out=bent)
    np.divide(bent, 1 - KNEE, out=bent)
    np.tanh(bent, out=bent)
    np.multiply(bent, 1 - KNEE, out=bent)
    np.add(bent, KNEE, out=bent)
    np.minimum(size, bent, out=size)
    np.copysign(size, x, out=x)
    return x


def bend_overs(x: np.ndarray, bending: bool, work: np.ndarray | None = None) -> bool:
    """``x`` [float32], in place, through :func:`soft_clip` where ``bending`` or where any of its
    samples passes full scale, and exactly as it was otherwise; whether it was bent.

    A boost's overs are bent smoothly below full scale rather than cut flat, and the peaks of a
    sound that stays within it are left exact. Once a sound has bent (the caller keeps
    ``bending`` from the result), it bends on whatever the block: decided block by block, a
    bass note held above the knee was exact in one block and bent in the next, a step of up
    to 0.024 at the edge, a click (a 100 Hz tone wobbling about full scale: its change above
    5 kHz peaked at -42 dBFS, against -94 bent throughout)."""
    if bending or (x.size and (x.max() > 1.0 or x.min() < -1.0)):
        soft_clip(x, work)
        return True
    return False


def sums_channels(have: int, channels: int, layout: tuple[str, ...] | None = None) -> bool:
    """Whether :func:`mix_channels` makes ``channels`` (two or one) of ``have`` by a weighted
    sum, which can pass full scale (a file of more channels, or a pair that is not a left and
    a right), rather than passing them on, copying or averaging them."""
    named = layout_of(layout, have) if have > 1 else None
    return channels <= 2 and (have > 2 or named is not None)


def mix_channels(block: np.ndarray, channels: int, layout: tuple[str, ...] | None = None) -> np.ndarray:
    """[shape=(n, c)] -> [shape=(n, channels)]: mono is copied to every channel; more channels
    than two go to stereo by ``layout`` (the names of the block's channels; None: by their
    count, see :data:`DEFAULT_LAYOUTS`), so a centre or surround channel is heard, not dropped;
    mono from several channels is the mean of their stereo mix (of a stereo file, the mean
    of its two). Playback and analysis both mix a file's channels here, so that what is
    analysed is what is heard."""
    have = block.shape[1]
    named = layout_of(layout, have) if have > 1 else None
    if have == channels and (have != 2 or named is None):
        return block
    if have == 1:
        return np.repeat(block, channels, axis=1)
    if (have > 2 or named is not None) and channels <= 2:       # (as sums_channels says)
        # (the plain sum, which may pass full scale: the player bends what would clip once
        # ReplayGain is applied, see KNEE; analysis takes the sum as it is)
        stereo = block @ _stereo_matrix(have, named)
        return stereo if channels == 2 else stereo.mean(axis=1, keepdims=True, dtype=np.float32)
    if channels == 1:
        return block.mean(axis=1, keepdims=True, dtype=np.float32)
    if have > channels:
        return block[:, :channels]
    return np.concatenate([block, np.repeat(block[:, -1:], channels - have, axis=1)], axis=1)


#: each byte's bits in reverse order
_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _ogg_crc(data) -> int:
    """The checksum of an Ogg page (CRC-32, polynomial 0x04C11DB7, no reflection, no initial
    or final inversion), by zlib's CRC-32 (the same polynomial, reflected and inverted) on
    the bytes reversed: a page is checked in microseconds, not milliseconds."""
    crc = zlib.crc32(bytes(data).translate(_BIT_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{crc:032b}"[::-1], 2)


def _ogg_page_end(data, at: int) -> int | None:
    """Where the Ogg page at byte ``at`` of ``data`` ends, or None where no whole page with a
    right checksum starts there (the capture pattern turning up inside compressed audio)."""
    if at + 27 > len(data):
        return None
    nseg = data[at + 26]
    body = at + 27 + nseg
    if body > len(data):
        return None
    end = body + sum(data[at + 27:body])
    if end > len(data):
        return None
    page = bytearray(data[at:end])
    stored, page[22:26] = int.from_bytes(page[22:26], "little"), bytes(4)  # computed with its own bytes zeroed
    return end if _ogg_crc(page) == stored else None


#: the most bytes an Ogg page can take (its header, 255 segments of 255 bytes)
_OGG_PAGE_MAX = 27 + 255 + 255 * 255


def _last_page_serial(data) -> bytes | None:
    """The serial number (as stored) of the last whole Ogg page in ``data``, or None where
    none is found near its end (zeros written after the last page)."""
    end, low = len(data), max(0, len(data) - 2 * _OGG_PAGE_MAX)
    while (at := data.rfind(b"OggS", low, end)) >= 0:
        if _ogg_page_end(data, at) is not None:
            return data[at + 14:at + 18]
        end = at + 3
    return None


#: what a file that ends early (its bytes short of what its header promises) most likely is
UNFINISHED = "a copy or download that did not finish?"


def _ogg_last_page(f) -> tuple[bytes, int] | None:
    """The header (27 bytes) of the last Ogg page that starts in the Ogg file open as ``f``
    (binary, seekable; the largest page, about 64 KB, is all that is read), and how many bytes
    that page lacks (0: it ends the file whole; more: cut in two; less: bytes after it); None
    where no page header is found whole."""
    size = f.seek(0, os.SEEK_END)
    f.seek(max(0, size - 65307))
    tail = f.read()
    at = tail.rfind(b"OggS\x00")
    if at < 0 or len(tail) < at + 27:
        return None
    lacing = tail[at + 27:at + 27 + tail[at + 26]]
    if len(lacing) < tail[at + 26]:
        return tail[at:at + 27], tail[at + 26] - len(lacing) + 1
    return tail[at:at + 27], at + 27 + len(lacing) + sum(lacing) - len(tail)


def ogg_ends_unfinished(f) -> bool:
    """Whether the Ogg file open as ``f`` (binary, seekable) ends in a page cut in two, or one
    not marked as its stream's end: a download or copy that stopped before the end (the
    largest page, about 64 KB, is all that is read)."""
    last = _ogg_last_page(f)
    # The last page whole, and marked the last of its stream (header type 4).
    return last is None or last[1] > 0 or not last[0][5] & 4


def ogg_headers_only(f) -> bool:
    """Whether the Ogg file open as ``f`` (binary, seekable) ends in a whole page that counts
    no samples (its granule position 0): nothing but its header pages. An encoder closed with
    no sample given writes so (libsndfile's Opus, its last page not marked as the stream's
    end); a download cut off would end inside a page, or after audio pages."""
    last = _ogg_last_page(f)
    return last is not None and last[1] == 0 and int.from_bytes(last[0][6:14], "little") == 0


def ogg_unfinished_damage(path: str | os.PathLike) -> str | None:
    """What is wrong with an Ogg Vorbis or Opus file that libsndfile refuses ("Supported file
    format but file is malformed.") where it ends early, in the words the library's scan
    uses; None where it is whole (or no Ogg file, or cannot be read). A file of whole header
    pages and nothing after them holds no audio, and is said to (see :func:`ogg_headers_only`)."""
    try:
        with open_regular_file(path) as f:
            head = f.read(128)
            if not head.startswith(b"OggS") or not ogg_ends_unfinished(f):
                return None
            if ogg_headers_only(f):
                return "no audio in file (length 0)"
    except OSError:
        return None
    name = "Opus file" if b"OpusHead" in head else "Ogg Vorbis file" if b"\x01vorbis" in head else "Ogg file"
    return f"damaged {name}: it ends early, {UNFINISHED}"


def ogg_links(path: str | os.PathLike) -> list[tuple[int, int]]:
    """The byte ranges (start, end) of the links of an Ogg file: one for an ordinary file,
    several for a chained one (files written one after another, as stream recorders and
    ``cat a.ogg b.ogg`` make them), each a whole Ogg file of its own.

    Every stream of an Ogg file has a serial number of its own: where the last page belongs
    to the stream the file begins with, the file is one link, and only its ends are read (as
    mutagen reads them to list it). Otherwise a link starts with the first pages of its
    streams (marked "beginning of stream"); pages that begin streams side by side (a Vorbis
    stream with a video stream) are one link. Only those pages are checked (their checksums,
    so that the pattern turning up inside the audio is not taken for one); the rest of the
    file is searched, not parsed.
    """
    with open_regular_file(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 28:
            return [(0, size)]
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] == b"OggS" and _last_page_serial(data) == data[14:18]:
                return [(0, size)]
            starts, pos, after_first_pages = [0], 0, None
            while (at := data.find(b"OggS\x00", pos)) >= 0:
                pos = at + 1
                if at + 5 >= size or not data[at + 5] & 0x02:
                    continue
                end = _ogg_page_end(data, at)
                if end is None:
                    continue
                if at > 0 and at != after_first_pages:
                    starts.append(at)
                after_first_pages, pos = end, end
    return list(zip(starts, starts[1:] + [size]))


def _opus_packet_samples(packet) -> int:
    """The samples (at 48 kHz) an Opus packet decodes to, read from its first bytes as libopus
    counts them; 0 for a packet that is no valid one."""
    if not len(packet):
        return 0
    toc, code = packet[0], packet[0] & 3
    if code == 3:
        if len(packet) < 2:
            return 0
        count = packet[1] & 0x3F
    else:
        count = 1 if code == 0 else 2
    if toc & 0x80:                              # CELT: 2.5, 5, 10 or 20 ms
        size = (48000 << (toc >> 3 & 3)) // 400
    elif toc & 0x60 == 0x60:                    # hybrid: 10 or 20 ms
        size = 960 if toc & 0x08 else 480
    else:                                       # SILK: 10, 20, 40 or 60 ms
        size = 2880 if toc >> 3 & 3 == 3 else (48000 << (toc >> 3 & 3)) // 100
    samples = count * size
    return samples if samples * 25 <= 48000 * 3 else 0      # (no packet holds more than 120 ms)


def _ogg_packets(data, at: int, *, skip_continued: bool) -> list:
    """The packets that end on the Ogg page at byte ``at`` of ``data``, less the end of a packet
    begun on an earlier page where ``skip_continued``."""
    nseg = data[at + 26]
    lacing = data[at + 27:at + 27 + nseg]
    pos = start = at + 27 + nseg
    packets, skipping = [], skip_continued and data[at + 5] & 0x01
    for size in lacing:
        pos += size
        if size < 255:
            if not skipping:
                packets.append(data[start:pos])
            skipping, start = False, pos
    return packets


def opus_gaps(path: str | os.PathLike, start: int = 0, end: int | None = None,
              rate: int = 48000) -> list[tuple[int, int, int]]:
    """The stretches of the Ogg Opus stream in bytes ``start`` to ``end`` of ``path`` whose
    pages are lost (damaged, their checksums wrong, or missing): for each, its first frame,
    the frame where the file decodes again, and where the page it decodes again with ends, as
    frames at ``rate`` counted from the stream's first audio after the encoder's delay. An
    empty list for an undamaged stream, or for one that is no Opus.

    A page's granule position says how many samples (at 48 kHz) the stream holds to its end,
    so what a gap lost is told by the last page before it and the first after it, less that
    page's own packets. libsndfile finds that out too, but reads the audio after the gap on as
    if it came next (so it played early, and the track ended short), and a seek just after a
    gap lands the page after it at the gap's start. Every page is checked: a few milliseconds
    for a song's few megabytes.

    A gap that begins at frame 0 is a lost start (the first audio page lost): libsndfile takes
    the first page it can read for the stream's start, and counts its frames from the end of
    that gap. How much the lost pages held is known only if the stream began at granule 0,
    as an encoder starts one: that is taken where the lost pages could have held it (no more
    each than the longest page of the stream holds); otherwise (a stream captured mid-way
    whose first page is lost) nothing is known to be lost, and libsndfile's start stands.
    """
    return _opus_scan(path, start, end, rate).gaps


class _OpusScan:
    """What :func:`_opus_scan` found in an Ogg Opus stream: ``gaps`` (:func:`opus_gaps`);
    ``starts_late``: libsndfile takes the stream to begin at a granule position other than 0
    (a stream captured mid-way, or whose first page is lost), and, opened so, libsndfile
    1.2.2 reads its encoder's delay as audio until its first seek; ``unsafe``: the stretches
    (first frame, last frame) in which a page libsndfile would seek from lies, where a seek
    from it lands wrong or fails (:meth:`SoundfileReader._seek_around_gaps`)."""

    def __init__(self, gaps=(), starts_late=False, unsafe=()):
        self.gaps, self.starts_late, self.unsafe = list(gaps), starts_late, list(unsafe)


def _opus_scan(path: str | os.PathLike, start: int = 0, end: int | None = None, rate: int = 48000) -> _OpusScan:
    """:func:`opus_gaps`, and what else libsndfile needs help with in the stream (:class:`_OpusScan`).

    libsndfile 1.2.2 seeks from the last page that ends before its pre-roll, and handles a
    packet that runs across pages wrong there: where that page ends in the middle of a packet,
    or begins with the end of one, the audio it decodes lands a packet or more from where it
    says (or a later page's position contradicts it, and the seek fails). A high-rate
    multichannel stream from ffmpeg has such pages (a 6-channel file at 384 kbit/s, most of
    them). Pages that end where a packet ends are safe to seek from.
    """
    with open_regular_file(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        end = size if end is None else min(end, size)
        if end - start < 28:
            return _OpusScan()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            first = _ogg_page_end(data, start)
            body = start + 27 + data[start + 26] if first else start
            if not first or data[body:body + 8] != b"OpusHead" or body + 12 > first:
                return _OpusScan()
            serial, preskip = data[start + 14:start + 18], int.from_bytes(data[body + 10:body + 12], "little")
            factor = max(1, 48000 // rate)
            headers, begin = 1, None    # header packets read; the granule position audio begins at
            seq, granule, gap, found = int.from_bytes(data[start + 18:start + 22], "little"), -1, False, []
            own_begin, lost_start, longest = 0, None, 0  # libsndfile's start; (pages, page) lost first
            pages = []      # (granule position, whether a packet runs across its start or end)
            at = first
            while at < end:
                if data[at:at + 4] != b"OggS" or (page_end := _ogg_page_end(data, at)) is None or page_end > end:
                    at = data.find(b"OggS", at + 1, end)    # damage: on to the next whole page
                    if at < 0:
                        break
                    continue
                if data[at + 14:at + 18] != serial:
                    at = page_end
                    continue
                page_seq = int.from_bytes(data[at + 18:at + 22], "little")
                page_granule = int.from_bytes(data[at + 6:at + 14], "little", signed=True)
                lost_pages = page_seq - seq - 1
                gap, seq = gap or lost_pages != 0, page_seq
                if headers < 2:         # (the comment header ends its page; audio starts afresh)
                    headers += len(_ogg_packets(data, at, skip_continued=False))
                elif begin is None:
                    # as libsndfile tells it: the first audio page's position less its packets
                    packets = _ogg_packets(data, at, skip_continued=gap)
                    own = sum(map(_opus_packet_samples, packets))
                    begin = own_begin = 0 if data[at + 5] & 0x04 else page_granule - own
                    if gap and own_begin > 0:
                        lost_start, begin = (max(1, lost_pages), page_granule), 0
                    longest, granule, gap = own, page_granule, False
                    pages.append((page_granule, _runs_across(data, at)))
                elif page_granule >= 0:
                    if gap and granule >= 0:
                        packets = _ogg_packets(data, at, skip_continued=True)
                        resume = page_granule - sum(map(_opus_packet_samples, packets))
                        if resume > granule:
                            found.append((granule, resume, page_granule))
                    elif granule >= 0:
                        longest = max(longest, page_granule - granule)
                    granule, gap = page_granule, False
                    pages.append((page_granule, _runs_across(data, at)))
                at = page_end
    gaps = []
    if lost_start is not None:
        lost_pages, page_granule = lost_start
        if own_begin <= lost_pages * longest:   # (libsndfile reads from the end of the encoder's delay there)
            gaps.append((0, own_begin // factor, (page_granule - preskip) // factor))
        else:
            begin = own_begin
    for lost in found:
        lost = tuple((g - begin - preskip) // factor for g in lost)
        if lost[0] > 0:
            gaps.append(lost)
    unsafe = []     # a run of unsafe pages: from the first's position to the position of the page after the last
    for i, (page_granule, across) in enumerate(pages):
        if across:
            after = (pages[i + 1][0] - begin - preskip) // factor if i + 1 < len(pages) else 1 << 62
            if unsafe and unsafe[-1][1] == (page_granule - begin - preskip) // factor:
                unsafe[-1] = (unsafe[-1][0], after)
            else:
                unsafe.append(((page_granule - begin - preskip) // factor, after))
    return _OpusScan(gaps, own_begin != 0, unsafe)


def _runs_across(data, at: int) -> bool:
    """Whether a packet of the Ogg page at byte ``at`` of ``data`` began on the page before it
    or goes on onto the next (its last lacing value 255)."""
    nseg = data[at + 26]
    return bool(data[at + 5] & 0x01) or (nseg > 0 and data[at + 26 + nseg] == 255)


class _ByteRange(_FileView):
    """Bytes ``start`` to ``end`` of a file, read as a file of their own."""

    def __init__(self, path: str, start: int, end: int):
        super().__init__(path)
        self._start, self._size = start, end - start

    def readinto(self, buf) -> int:
        n = max(0, min(len(buf), self._size - self._pos))
        self._fh.seek(self._start + self._pos)
        got = self._fh.readinto(memoryview(buf)[:n]) if n else 0
        self._pos += got
        return got


class _LinkFile(_ViewedSoundFile):
    """One link of a chained Ogg file, opened by libsndfile as the file it was."""

    def __init__(self, path: str, start: int, end: int):
        super().__init__(_ByteRange(path, start, end))


class _Link:
    def __init__(self, reader: SoundfileReader, start: int, frames: int):
        self.reader, self.start, self.frames = reader, start, frames  # frames at the chain's rate


class OggChainReader(BlockReader):
    """A chained Ogg file (:func:`ogg_links`), read link by link: libsndfile reads a chained
    file as its first link only, and its length, seeks and reading stop there.

    Each link is opened by libsndfile as the file it was, so that its length, exact seeks and
    reading on past damage are what they are for any Ogg file. Links may differ in sample rate
    and channels (a stream recording across programmes): the chain is read at its highest rate
    and with its most channels, each link resampled and its channels spread to those (in WAV
    order, see :data:`OGG_TO_WAV_ORDER`). A link libsndfile cannot open (a video stream, a
    link whose headers are damaged) is left out, with a warning.
    """

    format = "OGG"
    ogg_order = False

    def __init__(self, path: str, ranges: list[tuple[int, int]]):
        self.path = path
        readers = []
        try:
            for start, end in ranges:
                opener = functools.partial(_LinkFile, path, start, end)
                try:
                    reader = SoundfileReader(opener(), path, opener, span=(start, end))
                except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, ZeroDivisionError,
                        MemoryError) as exc:
                    log.warning("left out a part of %s that cannot be decoded (bytes %d-%d): %s",
                                path, start, end, exc)
                    continue
                if reader.frames is None or reader.channels < 1 or reader.samplerate < 1:
                    log.warning("left out a part of %s of unknown length (bytes %d-%d)", path, start, end)
                    reader.close()
                    continue
                readers.append(reader)
        except BaseException:
            for reader in readers:
                reader.close()
            raise
        if not readers:
            raise CorruptAudioError(f"cannot decode any part of {Path(path).name}")
        self.samplerate = max(r.samplerate for r in readers)
        self.channels = max(r.channels for r in readers)
        self._places = self._spread([r.channels for r in readers])
        self._links, at = [], 0
        for r in readers:
            frames = int(round(r.frames * self.samplerate / r.samplerate))
            self._links.append(_Link(r, at, frames))
            at += frames
        self.frames = at
        self.seekable = all(r.seekable for r in readers)
        self._starts = [link.start for link in self._links]
        self._enter(0, 0, seek=False)

    def _enter(self, i: int, frame: int, *, seek: bool = True) -> None:
        """Read on from ``frame`` (at the chain's rate) of link ``i``."""
        link = self._links[i]
        self._i, self._done, self._flushed = i, frame, False
        self._pending = np.zeros((0, self.channels), np.float32)
        self._resampler = None
        if link.reader.samplerate != self.samplerate:
            import soxr

            self._resampler = soxr.ResampleStream(link.reader.samplerate, self.samplerate, link.reader.channels,
                                                  dtype="float32", quality="HQ")
            frame = int(round(frame * link.reader.samplerate / self.samplerate))
        if seek:
            link.reader.seek(frame)

    def _spread(self, counts: list[int]) -> dict[int, list[list[int]]]:
        """Where each channel of a link of each count goes among the chain's channels (a
        channel may go to two places: mono to both fronts). Links of as many channels as the
        chain are read as they are. Where their counts differ, the chain holds every channel
        any link has, by name (a 5.1 link and a 6.1 one: a back pair and a back centre), and
        each link's channels go where their names are, a mono link to the front left and
        right, so that it plays as mono on its own does (copied into all of a 5.1's channels,
        it played 2.41 times as loud, its centre and surround shares added up)."""
        if len(set(counts)) == 1 or self.channels == 1:
            return {}
        named = {c: ("FL", "FR") if c == 2 else DEFAULT_LAYOUTS.get(c) for c in set(counts) if c > 1}
        if all(names is not None for names in named.values()):
            chain = tuple(sorted({n for names in named.values() for n in names}, key=_MASK_NAMES.index))
            if len(chain) > 2:
                self.layout = chain
            self.channels = len(chain)
            places = {c: [[chain.index(n)] for n in names] for c, names in named.items()}
        else:   # (channels nobody named: by their place, as the chain's channels are mixed by it)
            places = {c: [[i] for i in range(c)] for c in set(counts) if c > 1}
        places[1] = [[0, 1]]
        return places

    def _fit(self, block: np.ndarray) -> np.ndarray:
        have = block.shape[1]
        order = OGG_TO_WAV_ORDER.get(have)
        if order is not None:
            block = block[:, order]
        if have == self.channels and not self._places:
            return block
        out = np.zeros((len(block), self.channels), np.float32)
        for i, places in enumerate(self._places[have]):
            out[:, places] = block[:, i:i + 1]
        return out

    def _from_link(self, n: int) -> np.ndarray | None:
        """Up to ``n`` frames of the current link, or None at its end."""
        link = self._links[self._i]
        left = link.frames - self._done
        if left <= 0 or self._flushed:
            return None
        r = link.reader
        if self._resampler is None:
            block = r.read(min(n, left))
            if not len(block):
                return None
        else:
            block = r.read(max(256, int(n * r.samplerate / self.samplerate) + 1))
            self._flushed = not len(block)      # the link's end: what the resampler holds comes out
            block = self._resampler.resample_chunk(np.ascontiguousarray(block), last=self._flushed)[:left]
        self._done += len(block)
        return self._fit(block)

    def read(self, n: int) -> np.ndarray:
        parts, have = [self._pending], len(self._pending)
        while have < n:
            block = self._from_link(n - have)
            if block is None:
                if self._i + 1 >= len(self._links):
                    break
                self._enter(self._i + 1, 0)
                continue
            parts.append(block)
            have += len(block)
        data = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._pending = data[n:]        # a resampler gives what it has, not what was asked
        return data[:n]

    def seek(self, frame: int) -> None:
        frame = min(max(0, int(frame)), self.frames)
        i = max(0, bisect.bisect_right(self._starts, frame) - 1)
        while i + 1 < len(self._links) and frame - self._links[i].start >= self._links[i].frames:
            i += 1
        self._enter(i, min(frame - self._links[i].start, self._links[i].frames))

    def close(self) -> None:
        for link in self._links:
            link.reader.close()


def soundfile_reader(f: sf.SoundFile, path: str) -> BlockReader:
    """A file libsndfile opened (``f``, now the reader's), read in blocks: through
    :class:`SoundfileReader`, or link by link where it is a chained Ogg file."""
    if f.format == "OGG":
        try:
            ranges = ogg_links(path)
        except (OSError, ValueError) as exc:
            log.warning("could not look for chained streams in %s: %s", path, exc)
            ranges = []
        if len(ranges) > 1:
            f.close()
            return OggChainReader(path, ranges)
    return SoundfileReader(f, path)


class _FallbackReader(BlockReader):
    """ffmpeg (or audioread) through :class:`FallbackStream`.

    Where ffmpeg starts decoding anywhere to the sample (``fast_seek``: MP4/M4A, ADTS AAC,
    WavPack, TTA, DSD, Monkey's Audio), it seeks there, and ``frames`` is the length that decoding the whole
    file gives: analysis plans its excerpts on the grids of the exact length (as it has MP3's
    counted), so that their samples are those of the whole file's. ffprobe's length is not
    that (an AAC file's priming and padding are counted or not by the container), so the
    first time ``frames`` is asked for, the last seconds are decoded from a jump to shortly
    before that length, and counted. Elsewhere forward only, the length unknown (None): a
    jump there would land up to a hundred ms off, or take as long as reading on.

    A seek starts ffmpeg afresh, which costs it about 0.1 s of CPU (``seek_ahead_s``): reading
    on through up to half a minute costs less (AAC decodes and comes through the pipe at 2 ms
    of CPU a second of audio, ALAC and WavPack at 3-4 ms), so the excerpts of a 3-minute
    track are read on to, and only those of a longer one are jumped to.

    Where it is forward only, ``frames_hint`` is the length the headers give, and
    :meth:`spans` has an ffmpeg of its own decode the file once and pass on only the
    stretches asked for: analysis takes its excerpts and the seconds around that length
    (their count the exact length) from one pass, where it decoded the file whole through
    the pipe twice (half the time and CPU on a 20-minute WMA or Opus in Matroska).

    AAC in an M4A of up to 20 minutes gives ``frames_hint`` too, though it seeks: it decodes
    fast enough that one such pass costs less than counting its length from a jump and then
    reading on or jumping to the excerpts (a 3.6-minute track 0.47-0.59 s of CPU against
    0.55-0.66 s, a 20-minute one 1.51-1.71 s against 1.65-1.90 s, in three runs of
    ``bench_excerpt_decode.py``; at 60 minutes the jumps cost less, 2.2 s against 4.8 s).

    (Where an AAC encoder substituted noise for a band, the decoder makes that noise up from
    a random sequence, which differs when it starts elsewhere; the rest is the same sample
    for sample, and the noise has the same spectrum. One pass gives the whole decode's.)
    """

    def __init__(self, path: str, refused: Exception | None = None):
        self.path = path
        # (lazy: the excerpts of a long file are jumped to or taken from a pass of their own,
        # and its length counted by another, before anything is read from the start, if ever)
        self._stream = open_fallback(path, refused=refused, lazy=True)
        self.samplerate, self.channels = int(self._stream.samplerate), int(self._stream.channels)
        self.layout = self._stream.layout
        self.seekable = bool(self._stream.fast_seek)
        self.seek_ahead_s = _RESTART_READ_ON_S
        self._frames: int | None = None
        duration = self._stream.duration
        if duration and self._stream._exe is not None and (
                not self.seekable or self._stream.format == ("mov", "aac") and duration <= _ONE_PASS_AAC_S):
            self.frames_hint = int(round(duration * self.samplerate))
        self._pos = 0           # the frame read next
        self._blocks = iter(self._stream)
        self._pending = np.zeros((0, self.channels), np.float32)

    @property
    def frames(self) -> int | None:
        if self.seekable and self._frames is None:
            self._frames = self._count()
        return self._frames

    def _count(self) -> int:
        """The frames decoding the whole file gives: what decodes from a little before the
        length the headers give; where nothing does (the headers said too much), from further
        back each time, and at last from the start. (By an ffmpeg of its own: the one reading
        goes on from where it is.)"""
        guess = int((self._stream.duration or 0.0) * self.samplerate)
        back = int(_COUNT_TAIL_S * self.samplerate)
        while True:
            at = max(0, guess - back)
            n = self._stream.frames_from(at)
            if n or not at:
                return at + n
            back *= 4

    def read(self, n: int) -> np.ndarray:
        parts, have = [self._pending], len(self._pending)
        while have < n:
            block = next(self._blocks, None)
            if block is None:
                break
            parts.append(block)
            have += len(block)
        data = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._pending = data[n:]
        self._pos += min(n, len(data))
        return data[:n]

    def spans(self, spans: list[tuple[int, int | None]]) -> Iterator[np.ndarray]:
        return self._stream.spans(spans)

    def seek(self, frame: int) -> None:
        if not self.seekable:
            super().seek(frame)
        frame = max(0, int(frame))
        self._stream.seek(frame)
        self._blocks = iter(self._stream)
        self._pending = np.zeros((0, self.channels), np.float32)
        self._pos = frame

    def close(self) -> None:
        self._stream.close()


class _Mp3Blocks(BlockReader):
    """MP3 through dr_mp3 (:class:`segue_common.mp3.Mp3Reader`), its errors made ours."""

    seekable = True

    def __init__(self, path: str, exact_length: bool):
        self.path = path
        try:
            self._r = mp3.Mp3Reader(path)
            if exact_length:
                self._r.count_exactly()
        except mp3.Mp3Error as exc:
            raise CorruptAudioError(str(exc)) from exc
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise CorruptAudioError(f"cannot open {Path(path).name}: {exc.strerror or exc}") from exc
        self.samplerate, self.channels = self._r.samplerate, self._r.channels

    @property
    def frames(self) -> int:
        """The length (an estimate until ``frames_exact``; see :class:`segue_common.mp3.Mp3Reader`)."""
        return self._r.frames

    @property
    def frames_exact(self) -> bool:
        return self._r.frames_exact

    @property
    def position(self) -> int:
        """The next frame's position (where a seek past the end really landed)."""
        return self._r.pos

    def take_count(self, frames: int) -> None:
        """The length another reader of the same file counted exactly."""
        self._r.take_count(frames)

    def read(self, n: int) -> np.ndarray:
        try:
            return self._r.read(n)
        except OSError as exc:
            if not failed_reading(exc):
                raise CorruptAudioError(f"cannot decode {Path(self.path).name}: {exc}") from exc
            raise ReadFailedError(f"reading {Path(self.path).name} failed: {exc.strerror or exc}") from exc
        except mp3.Mp3Error as exc:
            raise CorruptAudioError(f"cannot decode {Path(self.path).name}: {exc}") from exc

    def seek(self, frame: int) -> None:
        try:
            self._r.seek(frame)
        except (mp3.Mp3Error, OSError) as exc:
            raise CorruptAudioError(f"cannot seek in {Path(self.path).name}: {exc}") from exc

    def close(self) -> None:
        self._r.close()


def open_mp3(path: str | os.PathLike, *, exact_length: bool = True) -> BlockReader:
    """An MP3 file through dr_mp3 (:mod:`segue_common.mp3`): blocks and exact seeks in bounded
    memory. ``exact_length=False``: a long file without a Xing header gets an estimated
    ``frames`` rather than a pass over the whole file before the first block (playback).
    Raises ImportError without the ``miniaudio`` package, FileNotFoundError, and
    CorruptAudioError for a file dr_mp3 cannot open or read."""
    return _Mp3Blocks(str(path), exact_length)


def open_blocks(path: str | os.PathLike) -> BlockReader:
    """Open a file for reading in blocks: dr_mp3 for MP3, libsndfile (seeking exactly), else ffmpeg.

    Raises FileNotFoundError, UnsupportedAudioError or CorruptAudioError; a file with no
    channels or a sample rate below 1 Hz is a CorruptAudioError.
    """
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    reader: BlockReader | None = None
    if _ext(path) == "mp3" and not starts_as_other_audio(path):
        # dr_mp3 first, which reads it: libsndfile's MPEG reader, asked first only to be told
        # "MP3", wrote its complaints about a damaged one to the terminal, from native code.
        try:
            reader = open_mp3(path)
        except (AudioError, ImportError):
            pass            # (other audio named .mp3, or no miniaudio: as before, below)
    if reader is None:
        try:
            f = open_soundfile(path)
        except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
            reader = _FallbackReader(path, refused=exc if _ext(path) in SOUNDFILE_EXTENSIONS else None)
        else:
            if f.format == "MP3":
                f.close()
                try:
                    reader = open_mp3(path)
                except ImportError:  # miniaudio missing (an install that predates it): ffmpeg streams MP3 too
                    if ffmpeg_path() is None:
                        raise UnsupportedAudioError("reading MP3 in blocks needs the miniaudio package "
                                                    "(pip install miniaudio) or ffmpeg") from None
                    reader = _FallbackReader(path)
            else:
                reader = soundfile_reader(f, path)
    if reader.channels < 1 or reader.samplerate < 1:
        reader.close()
        raise CorruptAudioError(f"no audio in {Path(path).name} ({reader.channels} channels at "
                                f"{reader.samplerate} Hz)")
    return reader


def load_audio(path: str | os.PathLike, *, sr: int | None = None, mono: bool = True,
               offset_s: float = 0.0, duration_s: float | None = None) -> tuple[np.ndarray, int]:
    """Decode a file to float32 samples.

    Parameters
    ----------
    path : the audio file.
    sr : resample to this rate (soxr, high quality); None keeps the file's rate.
    mono : mix the channels to one (their mean; of more than two, the mean of the stereo mix
        they play as, see :func:`mix_channels`).
    offset_s, duration_s : decode only this part (seconds).

    Returns
    -------
    y : np.ndarray [shape=(n,) if mono else (channels, n)], float32 in [-1, 1].
    sr : the sample rate of ``y``.

    Raises
    ------
    FileNotFoundError, UnsupportedAudioError, CorruptAudioError, ValueError (bad arguments).
    """
    if offset_s < 0 or (duration_s is not None and duration_s < 0) or (sr is not None and sr <= 0):
        raise ValueError(f"bad load_audio arguments: sr={sr} offset_s={offset_s} duration_s={duration_s}")
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    layout = None
    try:
        with open_soundfile(path) as f:
            native = f.samplerate
            layout = soundfile_layout(f, path)
            start = int(round(offset_s * native))
            frames = -1 if duration_s is None else int(round(duration_s * native))
            if f.format == "OGG":
                # read as it plays (below): link by link where chained, and where pages were
                # lost or damaged, the stretch as silence and the audio after it in its place
                data = None
            elif f.format == "MP3":
                # libsndfile 1.2.2 misplaces audio after a seek or partial read in
                # some MP3s (Xing-header files lose thousands of frames); a single
                # whole-file read is right, so read it all and slice.
                data = f.read(dtype="float32", always_2d=True)
                data = data[start:] if frames < 0 else data[start:start + frames]
            else:
                if start:
                    f.seek(min(start, f.frames) if f.frames > 0 else start)
                data = f.read(frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        data, native, layout = _load_fallback(path, offset_s, duration_s,
                                              refused=exc if _ext(path) in SOUNDFILE_EXTENSIONS else None)
    if data is None:
        with open_blocks(path) as reader:   # (a chain is read at the rate of its fastest link)
            native, layout = reader.samplerate, reader.layout
            start = int(round(offset_s * native))
            if start:
                reader.seek(min(start, reader.frames) if reader.frames is not None else start)
            want = (reader.frames or 0) if duration_s is None else int(round(duration_s * native))
            blocks, have = [], 0
            while duration_s is None or have < want:    # (a read ends short at a gap, too)
                block = reader.read(max(want - have, 1 << 16))
                if not len(block):
                    break
                blocks.append(block)
                have += len(block)
            data = np.concatenate(blocks) if blocks else np.zeros((0, reader.channels), np.float32)
            data = data if duration_s is None else data[:want]
    if data.shape[0] == 0 and offset_s == 0:
        raise CorruptAudioError(f"no audio in {Path(path).name}")
    y = data.T  # (channels, n)
    if mono:
        # (a stereo file that names its channels is one that is not a left and a right)
        y = mix_channels(data, 1, layout)[:, 0] if data.shape[1] > 2 or layout is not None else y.mean(axis=0)
    if sr is not None and sr != native and y.shape[-1] > 0:
        import soxr

        y = soxr.resample(y.T, native, sr, quality="HQ").T
    else:
        sr = native
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


def _load_fallback(path: str, offset_s: float, duration_s: float | None,
                   refused: Exception | None = None) -> tuple[np.ndarray, int, tuple[str, ...] | None]:
    with open_fallback(path, refused=refused) as stream:
        rate = stream.samplerate
        skip = int(round(offset_s * rate))
        want = None if duration_s is None else int(round(duration_s * rate))
        if skip and stream.fast_seek:
            # ffmpeg starts where it lands exactly: nothing before the offset is decoded
            stream.seek(skip)
            skip = 0
        blocks, seen, kept = [], 0, 0
        for block in stream:
            lo = max(0, skip - seen)
            seen += len(block)
            block = block[lo:]
            if want is not None:
                block = block[: want - kept]
            if len(block):
                blocks.append(block)
                kept += len(block)
            if want is not None and kept >= want:
                break
    data = np.concatenate(blocks) if blocks else np.zeros((0, stream.channels), np.float32)
    return data.astype(np.float32, copy=False), rate, stream.layout
