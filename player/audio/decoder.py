"""Streaming decode: blocks of float32 frames at the output rate and channel count.

soundfile reads wav, flac, ogg, opus and aiff block by block, through
:class:`segue_common.audio_io.SoundfileReader`, which plays on past a damaged stretch
(as silence in its place) and ends a file cut short where its data ends; a chained Ogg file
(files joined end to end) link by link, through :class:`segue_common.audio_io.OggChainReader`,
since libsndfile reads only its first. MP3 goes to dr_mp3
(:func:`segue_common.audio_io.open_mp3`): libsndfile 1.2.2 returns stretches of
zeros when some MP3s are read in blocks or after a seek, and dr_mp3 reads any length
of MP3 in blocks, seeks to the exact sample and trims the encoder's delay and padding
as libsndfile does (gapless albums stay gapless). Whatever soundfile cannot open, and
MP3 on an install without the miniaudio package, goes to
:func:`segue_common.audio_io.open_fallback` (ffmpeg or audioread), which says "format
not supported (...): install ffmpeg to play it" when nothing here can decode the file.
Resampling to the device rate is a streaming soxr resampler, so block boundaries
never click; played gaplessly, files of the same rate and channels run on through one
(:meth:`Decoder.join`), so the joins between them do not click either. Memory does not
grow with the file's length.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

from player.audio.awake import awake_clock
from segue_common import audio_io, faults
from segue_common.file_stamp import change_mark
from segue_common.regular_file import NotRegularFile, open_regular_file
from segue_common.text import shown

log = logging.getLogger(__name__)


#: native frames read at a time where the decoder reads on its own account (join)
BLOCK_NATIVE = 4096
#: how long a file that no longer holds the audio last read must stay as it is to be taken for
#: another song copied over it, not a rewrite in progress (seconds; the reader waits that long)
REWRITE_SETTLE_S = 1.0
#: how long a file written in place while it plays must stay as it is before it is opened again
#: (seconds): a rewrite in pieces is not read halfway (see Decoder._look_at_file)
REWRITE_QUIET_S = 0.25
#: how much longer that is where the disk keeps a file's time to the second (FAT32 to the even
#: second, HFS+ to the second): writes within that time leave it as it was (seconds)
REWRITE_COARSE_S = 2.0
#: how long a file that keeps changing is waited for before it is opened again as it is (seconds)
REWRITE_GIVE_UP_S = 5.0
#: how long a file whose reads fail in the system mid-song (a network share that drops for a
#: moment, a USB drive's hiccup) is opened again and again, to read on where it failed, before
#: the song ends as an error (seconds; the feeder's thread never waits for it: what is buffered
#: plays meanwhile)
READ_RETRY_S = 2.5
#: how long after an open again the next is made, whether or not that one is over (seconds)
READ_RETRY_EVERY_S = 0.2
#: how many opens again may be under way at once: one begun while the file was still away can
#: take seconds to fail (the reader's fallback to ffmpeg starts ffprobe on it; a share that stops
#: answering holds an open), and one made after it finds the file back meanwhile
READ_RETRIES_AT_ONCE = 4
#: how far before the song's known length a file that shrank as it played must run out to be
#: taken for one cut short (seconds): a length from the tags or the headers may be off by the
#: codec's priming and padding, or be an estimate
CUT_SHORT_SLACK_S = 1.0
#: how closely the last block read, read again from a rewritten file, must follow what was read
#: (the cosine of the two) to be the same song: AAC's own noise left 0.97, another song about 0
SAME_AUDIO_LIKENESS = 0.85


class DecodeError(Exception):
    """A file could not be decoded; the message is meant for the user."""


class _ReadFailed(DecodeError):
    """Reading the file failed in the system as it played (see :meth:`Decoder._heal`)."""


class _NoAudio(DecodeError):
    """The file's headers are whole and it holds no sample (see :data:`_NO_AUDIO`)."""


#: why a file of whole headers and no sample is refused, in the library's scan's words
_NO_AUDIO = "no audio in file (length 0)"


#: What libsndfile says of a file named .mp3 in which it finds no MPEG audio. The decoder has
#: found the file there and regular before asking, so the words would send the person
#: looking for a file that is there.
_SF_NO_MPEG = "File does not exist or is not a regular file (possibly a pipe?)."


def _reason(exc: Exception) -> str:
    """libsndfile's reason for refusing a file, without the file's whole path in front of it
    ("Error opening '/home/…/Music/…/x.flac': "): the message names the file already, and
    the path pushed the reason out of sight where the message is shown on one line."""
    if isinstance(exc, sf.LibsndfileError) and exc.error_string:
        return exc.error_string
    return str(exc)


def _refused(exc: Exception) -> str:
    """libsndfile's reason for refusing a file, in words that hold for a file that is there."""
    return _reason(exc).replace(_SF_NO_MPEG, "no MPEG audio in it (damaged, or not an MP3).")


#: Output frames a rebuilt resampling stream is fed for before the frames it is rebuilt for
#: (:meth:`_Resampling.rebuilt`). soxr's filter forgets its input within a few hundred
#: frames, so a fresh stream fed the native frames from that far back, on the same grid of
#: output instants, gives the same frames as the old one from there on.
_REPLAY = 8192
#: Output frames a rebuilt stream must have given before the first one kept, at least (its
#: start, made from silence before it, differs from the old stream's output for some 500).
_WORN_OFF = 2048


class _Resampling:
    """A soxr stream from ``in_rate`` to ``out_rate``, which may run on from one file into
    the next of the same format (a gapless album), and which counts what it was fed and gave:
    native frame ``i`` of the stream falls at output frame ``i * out_rate / in_rate``."""

    def __init__(self, in_rate: int, out_rate: int, channels: int):
        import soxr

        self.in_rate, self.out_rate, self.channels = in_rate, out_rate, channels
        self._rs = soxr.ResampleStream(in_rate, out_rate, channels, dtype="float32", quality="HQ")
        self.fed = 0       # native frames fed since the stream began
        self.made = 0      # output frames it gave
        self._drop = 0     # output frames still to drop (given before a rebuild, see rebuilt)
        #: the output falls on an input frame every ``grid`` input frames
        self.grid = in_rate // math.gcd(in_rate, out_rate)
        #: native frames fed again to rebuild the stream (_REPLAY output frames' worth, at least)
        self.replay = max(_REPLAY, -(-_REPLAY * in_rate // out_rate))
        self._kept: list[np.ndarray] = []   # the last native blocks fed, oldest first
        self._kept_from = 0                  # the stream's native frame the first of them is

    def out_at(self, native: int) -> int:
        """The output frame where the stream's native frame ``native`` falls, rounded."""
        return (2 * native * self.out_rate + self.in_rate) // (2 * self.in_rate)

    def _gave(self, out: np.ndarray) -> np.ndarray:
        if self._drop:
            cut = min(self._drop, len(out))
            out, self._drop = out[cut:], self._drop - cut
        self.made += len(out)
        return out

    def feed(self, block: np.ndarray) -> np.ndarray:
        block = np.ascontiguousarray(block, np.float32)
        # (kept: twice what a rebuild replays, as the next file's first frames are fed too
        # before a rebuild to the end of this one can be asked for)
        self._kept.append(block.copy())
        self.fed += len(block)
        held = self.fed - self._kept_from
        while held - len(self._kept[0]) >= 2 * self.replay + self.grid:
            held -= len(self._kept[0])
            self._kept_from += len(self._kept.pop(0))
        return self._gave(self._rs.resample_chunk(block))

    def flush(self) -> np.ndarray:
        return self._gave(self._rs.resample_chunk(np.zeros((0, self.channels), np.float32), last=True))

    def _replay_from(self, fed: int) -> int:
        """The native frame a rebuild as of ``fed`` is fed from: on the output grid, and far
        enough back that the new stream's start has worn off; 0 where the stream is younger."""
        return max(0, (fed - self.replay) // self.grid * self.grid)

    def checkpoint(self) -> tuple | None:
        """What :meth:`rebuilt` needs to make the stream again as it is now; None where the
        native frames it needs are not kept (an odd pair of rates, whose output instants meet
        the input's only every second or so), or would not wear the new stream's start off."""
        start = self._replay_from(self.fed)
        if self._kept_from > start or (start and self.made - start * self.out_rate // self.in_rate < _WORN_OFF):
            return None
        return self.fed, self.made, list(self._kept), self._kept_from

    def rebuilt(self, checkpoint: tuple) -> tuple[_Resampling, np.ndarray]:
        """A new stream as this one was at ``checkpoint`` (this one goes on unchanged: another
        file may own it now), and the frames the new one gives past those the old one had
        given then (they do not depend on what comes after).

        soxr's state cannot be copied, so the new stream is fed the native frames kept again,
        from one where an output frame falls exactly (the two streams' output instants are
        then the same) far enough back (see :meth:`_replay_from`), and what it gives before
        the frames wanted is dropped: the old stream gave those already."""
        fed, made, kept, kept_from = checkpoint
        start = self._replay_from(fed)
        native = np.concatenate(kept)[start - kept_from:fed - kept_from]
        new = _Resampling(self.in_rate, self.out_rate, self.channels)
        new.fed = new._kept_from = start
        new.made = made
        new._drop = made - start * self.out_rate // self.in_rate    # (exact: start is on the grid)
        return new, new.feed(native)


def _stamp(path: str) -> tuple[int, int, int] | None:
    """(inode, size, modification time) of ``path``, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _refused_stamp(path: str) -> tuple[int, int, int, int | None] | None:
    """:func:`_stamp` of ``path`` and its change mark, or None. A damaged file put right in
    place from a copy that keeps its time (``cp -p`` over it, ``rsync -t --inplace``) keeps
    its inode, size and modification time (a crash's zeros are the same size); the mark moves
    at any write where the system keeps one (see ``segue_common.file_stamp``: on Windows only a
    new file at the path is seen, and Play says the refusal again until Segue is started
    again or the file's time moves)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, change_mark(st)


#: Refusals remembered, by path: the file's stamp (:func:`_refused_stamp`) when it was refused, and
#: the refusal. Opening a damaged file again (Play pressed again on it, Previous back to it)
#: read it again, and asked ffprobe, and the scan's reader again, a second or more on a slow
#: disk, to say what was said before; while its stamp is the same, it is said at once.
_REFUSED: dict[str, tuple[tuple[int, int, int, int | None], type, str]] = {}
_REFUSED_MOST = 256
_refused_lock = threading.Lock()


def _known_refusal(path: str, stamp: tuple[int, int, int, int | None] | None) -> DecodeError | None:
    """The refusal of ``path`` remembered for the file as it is now (``stamp``), else None."""
    with _refused_lock:
        known = _REFUSED.get(path)
    if stamp is None or known is None or known[0] != stamp:
        return None
    return known[1](known[2])


def _remember_refusal(path: str, stamp: tuple[int, int, int, int | None] | None, exc: DecodeError) -> None:
    """Keep why ``path`` did not open, while it is as it was (``stamp``). Not kept: one for want
    of ffmpeg (once it is installed, the file plays), nor one of the disk's or the system's
    rather than the file's (a read that failed, ffprobe out of time on a busy disk).

    A read that failed inside libsndfile ("System error") or ffmpeg ("Input/output error": a
    drive unplugged, a network share dropped) is one: kept, the song stayed refused once the
    drive was back, until the file changed. Every error the refusal came through is looked at,
    those it was raised from and those it was raised while handling: libsndfile says a read
    that fails while it opens a file as the file's fault ("Format not recognised.", "No 'data'
    chunk marker"; "System error." only once it reads the sound), and such a file is tried
    with ffmpeg, whose "Input/output error" is the error the refusal was raised while handling."""
    if stamp is None or audio_io.for_want_of_ffmpeg(str(exc)) or _refused_stamp(path) != stamp:
        return
    if (audio_io.failed_in_system(exc) is not None
            or any("ffprobe took over" in str(c) for c in audio_io.error_chain(exc))):
        return
    with _refused_lock:
        _REFUSED.pop(path, None)
        _REFUSED[path] = (stamp, type(exc), str(exc))
        while len(_REFUSED) > _REFUSED_MOST:
            del _REFUSED[next(iter(_REFUSED))]


def _holds(fresh: Decoder, last: tuple[int, np.ndarray] | None, slack: int = 0) -> int | None:
    """Where ``fresh``, the file opened again, holds ``last`` (the native frame, and the frames,
    of the block last read), as frames from where it was read (a file retagged in place), not
    other audio (another song copied over it): None. Nothing read yet: whatever it holds now is
    what plays (0). ``slack``: how many frames the block may lie off (a person's seek in a
    Matroska file lands up to a ms off, and so does everything read after it)."""
    if last is None:
        return 0
    start, block = last
    slack = min(slack, start)
    if fresh._seek_reader(start - slack) != start - slack:
        return None
    fresh._native = start - slack   # (counted on by the reads: where the reader is after them)
    # (a stream through ffmpeg gives blocks of its own size: as many are read as make it up)
    parts, got, want = [], 0, len(block) + 2 * slack
    while got < want and (part := fresh._raw_block(want - got)) is not None and len(part):
        parts.append(part)
        got += len(part)
    read = np.concatenate(parts)[:want] if parts else None
    if read is None or len(read) < len(block) or read.shape[1:] != block.shape[1:]:
        return None
    lags = range(-slack, min(slack, len(read) - len(block) - slack) + 1)
    diffs = [float(np.abs(read[slack + k:slack + k + len(block)] - block).max()) for k in lags]
    lag = lags[int(np.argmin(diffs))]
    again = read[slack + lag:slack + lag + len(block)]
    # A decoder gives the same frames again (MP3's, primed afresh at a seek, within a hair),
    # AAC's not: it fills some bands with noise of its own, another at every decode (a
    # retagged M4A of noisy music read again differed by up to 25% of the block, and ended
    # there). A gain written into the frames (mp3gain, 1.5 dB a step) scales them all. The
    # same song still follows the block's shape closely; another song's does not follow it.
    if min(diffs) <= 1e-3:
        return lag
    size = float(np.linalg.norm(again)) * float(np.linalg.norm(block))
    return lag if size > 0.0 and float(np.vdot(again, block)) >= SAME_AUDIO_LIKENESS * size else None


class Opening:
    """A decoder made on a thread of its own (``make()``, giving the decoder or None and an
    error) for its owner to :meth:`take` once done, never waited for: a file on a disk gone to
    sleep or a share that stopped answering takes seconds to open, or never opens. One no
    longer wanted (:meth:`drop`) is closed, now or once made. ``path``: the file, as the log
    names it; ``woken``: called once it is done and wanted."""

    def __init__(self, make, *, name: str, path: str, woken=None):
        self._path = path
        self._lock = threading.Lock()
        self._result: tuple[Decoder | None, str | None] | None = None
        self._dropped = False   # not wanted any more, or taken: nothing is kept
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(make, woken), name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self, make, woken) -> None:
        try:
            result = make()
        except BaseException as exc:  # (the opens say their own errors: this one is a fault in them)
            log.exception("opening %s failed", self._path)
            result = (None, f"playback failed: {exc}")
        with self._lock:
            dropped = self._dropped
            if not dropped:
                self._result = result
            self._done.set()
        if dropped:
            if result[0] is not None:
                result[0].close()
        elif woken is not None:
            woken()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def error(self) -> str | None:
        """Why the file could not be opened (None: it opened, or is still opening)."""
        result = self._result
        return None if result is None else result[1]

    def take(self) -> tuple[Decoder | None, str | None] | None:
        """What the open gave (the caller owns its decoder from then on), None while it is still
        opening, or once dropped or taken."""
        with self._lock:
            if not self._done.is_set() or self._dropped:
                return None
            result, self._result, self._dropped = self._result, None, True
        return result

    def drop(self) -> None:
        """Not wanted any more: its decoder is closed (now, or once opened)."""
        with self._lock:
            self._dropped = True
            result, self._result = self._result, None
        if result is not None and result[0] is not None:
            result[0].close()

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)


class _Reopening(Opening):
    """A file rewritten in place as it plays being opened again (:meth:`Decoder._open_again`) on
    a thread of its own, for the decoder reading it to take once done (see
    :meth:`Decoder._look_again`). One no longer wanted (the file changed again, or the decoder
    was closed) is dropped."""

    def __init__(self, dec: Decoder, stamp: tuple[int, int, int], last, native: int, frame: int):
        slack = int(dec.samplerate / 1000) + 1 if dec._landed_near else 0   # (see Decoder._open_again)
        first = dec._first_stamp
        super().__init__(lambda: dec._open_again(last, native, frame, slack, first), name="audio-file-reopen",
                         path=dec.path)
        self.stamp = stamp      # the file's stamp it is opened for
        self.start()


class Decoder:
    """Decode ``path`` into blocks [shape=(n, channels)] at ``out_rate``.

    Parameters
    ----------
    path : the audio file.
    out_rate : sample rate of the blocks returned (the device's).
    channels : channel count of the blocks returned.
    duration_hint : seconds, when the decoder cannot tell the length itself (of the range,
        where one is given).
    begin_s, end_s : the range of the file to play (a track of an album ripped as one file
        with a CUE sheet): from ``begin_s``, up to ``end_s`` (None: the file's end). Frames,
        :attr:`duration` and seeks count from ``begin_s``, so the range is a file of its own
        to whoever reads it; two ranges that meet play on into one another sample-exactly.
    find_moved : where the file is now and whether the library gave the track to it, or None,
        asked where ``path`` is gone as a reader that opens the file again by its name (ffmpeg's,
        at each seek) is moved: see :meth:`_follow_move`.
    clock : the time (seconds, from any start) that the wait for a file whose reads failed counts
        (see :meth:`_heal`); the player's stands still while it is paused. The system's by default.

    Raises
    ------
    DecodeError
        The file is missing, damaged, or in a format nothing here decodes.
    """

    def __init__(self, path: str, *, out_rate: int, channels: int = 2,
                 duration_hint: float | None = None, begin_s: float = 0.0, end_s: float | None = None,
                 find_moved: Callable[[], tuple[str, bool] | None] | None = None,
                 clock: Callable[[], float] | None = None):
        if out_rate <= 0 or channels <= 0:
            raise ValueError(f"bad output format {out_rate} Hz x {channels}")
        self.path = str(path)
        self._find_moved = find_moved
        self._clock = awake_clock if clock is None else clock   # (the heal's wait: see _heal)
        self._range_s = (max(0.0, begin_s), end_s)
        self._begin, self._end = 0, None    # the range in native frames, once the rate is known
        self._native = 0                    # the reader's native frame
        self.out_rate = out_rate
        self.channels = channels
        self._duration_hint = duration_hint
        if duration_hint is not None:
            duration_hint += self._range_s[0]   # (the hint below is the file's)
        self._file_hint = duration_hint
        self._sf: audio_io.BlockReader | None = None
        self._fallback: audio_io.FallbackStream | None = None
        self._pending = np.zeros((0, channels), np.float32)
        self._resampler: _Resampling | None = None
        self._done = False
        self._held = False      # the file's end is read, and its resampler not emptied (read)
        self._joined = None     # how to take back join(): the resampler's checkpoint, and frame
        self._finished = None   # ... and finish(), likewise (see unfinish)
        self._failed: DecodeError | None = None     # raised by the next read (see join)
        self._blocks: audio_io.BlockReader | None = None  # MP3 through dr_mp3
        self._mp3_refused: str | None = None    # why dr_mp3 would not read this file, once asked
        self._mp3_empty = False     # dr_mp3 counted its frames, and none of them audio
        self._counter: threading.Thread | None = None     # counting an MP3's estimated length
        self._counted: list[int] = []                       # ... and its count, once done
        self._order = None    # the soundfile channels' places in WAV order, where they differ
        self._layout = None   # the names of the channels as read (after _order), where known
        self._last: tuple[int, np.ndarray] | None = None    # the last block read: its native start, its frames
        #: another song was copied over the file as it played (see :meth:`_follow_rewrite`):
        #: the decoder ended where it was, and the player logs no play of it to its end
        self.replaced = False
        self._unsure = False    # the file was found not to hold the last block read, and may be mid-rewrite
        #: a rewrite waited out: the file's stamp, since when it is so, since when the file
        #: changes, and whether it opened holding other audio (None: not looked at yet; see
        #: :meth:`_look_at_file`)
        self._settling: tuple | None = None
        #: the native frame a seek asked for while the file was waited on, made once it is read
        #: again (see :meth:`seek_frame`)
        self._seek_wanted: int | None = None
        self._seek_near = False     # (that seek is a person's: see seek_frame)
        #: reads failed in the system as it played: when it is given up, the error it ends with,
        #: its opens again under way, and when the next is made (see :meth:`_heal`)
        self._healing: tuple[float, DecodeError, tuple[_Reopening, ...], float] | None = None
        #: the native frame the last heal read on from, and when its time was up (see read)
        self._healed: tuple[int, float] | None = None
        #: the file's size where it ran out cut short as it played, while it is waited on to
        #: grow back (see :meth:`_cut_short`); None otherwise
        self._cut_size: int | None = None
        #: the file's stamp when it was first opened, and the native frame the song is known to
        #: end at (see :meth:`_cut_short`)
        self._first_stamp: tuple[int, int, int] | None = None
        self._known_end: int | None = None
        #: that end, once the file was opened again smaller than it was first opened (see
        #: :meth:`_take_fresh`): the song's length is not less (see :meth:`_update_duration`)
        self._end_kept: int | None = None
        #: opened again, the file is smaller than it was first opened (see :meth:`_open_again`)
        self._shrunk = False
        #: opened again, the file holds all its own header says it has (see :meth:`_open_again`)
        self._holds_whole = False
        #: the native frame the file's own header says it ends at (through ffmpeg, where the
        #: song's known end is the library's length: see :meth:`_take_fresh`)
        self._header_end: int | None = None
        #: the reader was put where it is by a person's seek, which may land up to a ms off
        #: (see seek_frame): what it reads from there lies that far from an exact read
        self._landed_near = False
        self._opened: tuple[int, int, int] | None = None   # the file's stamp as opened (set once it is)
        #: since when the file keeps changing, and when it was last seen to change (None: it
        #: has not changed, or not within ``REWRITE_SETTLE_S`` of the change before)
        self._restless: tuple[float, float] | None = None
        self._reopening: _Reopening | None = None    # the file opened again after a rewrite (see _look_again)
        self._superseded: _Reopening | None = None   # ... one dropped, which may still be opening
        #: the file's channels are mixed down by a weighted sum, which may pass full scale
        #: (see audio_io.sums_channels): the feeder bends its peaks
        self.summed = False
        # A named pipe would block the decoder (and playback) for ever, and a device never ends:
        # what the path names is looked at, then opened without blocking and looked at again,
        # as it may have been swapped for a pipe in between (the plain open waited on it).
        try:
            open_regular_file(self.path).close()
        except NotRegularFile as exc:
            raise DecodeError(f"cannot play {shown(Path(self.path).name)}: {exc}") from None
        except FileNotFoundError:
            raise DecodeError(f"file not found: {shown(self.path)}") from None
        except OSError as exc:      # refused (its permissions): libsndfile says only "System error."
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc.strerror or exc}") from None
        stamp = _refused_stamp(self.path)
        known = _known_refusal(self.path, stamp)
        if known is not None:
            raise known
        # (taken before the reader reads the headers: a file cut short as it opens, its header
        # read whole, ran out at the cut and was taken, by a stamp of the file as cut, for one
        # as it was opened, a play heard to its end; one opened ahead of its turn opens on a
        # thread as the song before it plays, while a copy or sync may still be at it)
        opened = _stamp(self.path)
        try:
            self._open_reader(duration_hint)
        except DecodeError as exc:
            if audio_io.failed_reading(exc):
                # Said as what the file's header or size made of the failed read ("damaged WAV
                # file: [Errno 5] …", "an empty file"), the person looked for damage in a file
                # that plays once its drive is back. (Not remembered: see _remember_refusal.)
                log.info("%s does not open, reading it failed: %s", self.path, exc)
                raise DecodeError(f"cannot play {shown(Path(self.path).name)}: {faults.READ_FAILED}") from exc
            _remember_refusal(self.path, stamp, exc)
            raise
        if not self.samplerate or self.samplerate <= 0:
            self.close()
            raise DecodeError(f"cannot play {shown(Path(self.path).name)}: its sample rate is {self.samplerate} Hz")
        begin_s, end_s = self._range_s
        self._begin = int(round(begin_s * self.samplerate))
        self._end = None if end_s is None else max(self._begin, int(round(end_s * self.samplerate)))
        # (the headers' length where it is exact: the library's may be an estimate, minutes off
        # for a long MP3 without a Xing header, and a file shrunk by a retag in place as it
        # played would have been taken for one cut short at its end)
        exact = self._fallback is None and (self._blocks is None or self._blocks.frames_exact)
        known_s = (self.duration if exact else None) or self._file_hint or self.duration
        if known_s:
            self._known_end = int(round(known_s * self.samplerate))
            if self._end is not None:
                self._known_end = min(self._known_end, self._end)
        if self.duration:
            # (the file's own length, where it holds all its header says: see _take_fresh)
            self._header_end = int(round(self.duration * self.samplerate))
            if self._end is not None:
                self._header_end = min(self._header_end, self._end)
        self.duration = self._ranged(self.duration)
        #: output frames returned so far, counted from the start of the file (of the range)
        self.frame = 0
        try:
            self._make_resampler()
        except (ValueError, RuntimeError, MemoryError) as exc:
            self.close()
            raise DecodeError(f"cannot play {shown(Path(self.path).name)} at {self.samplerate} Hz: {exc}") from exc
        if self._begin:
            try:
                self.seek_frame(0)
            except DecodeError:
                self.close()
                raise
        self._opened = self._first_stamp = opened

    def _open_reader(self, duration_hint: float | None) -> None:
        """Open the file with the reader that plays it (libsndfile, dr_mp3 or ffmpeg), or raise
        :class:`DecodeError` saying why it does not open, in the library's scan's words."""
        # A file named .mp3 goes to dr_mp3 first, which plays it: libsndfile's MPEG reader,
        # asked first only to be told "MP3", wrote its complaints about a damaged one ("Note:
        # Illegal Audio-MPEG-Header", "Warning: Xing stream size off") to the terminal, from
        # native code. Other audio named .mp3 (known by its first bytes, or as dr_mp3 does not
        # take it) goes on as before.
        if not (Path(self.path).suffix.lower() == ".mp3" and not audio_io.starts_as_other_audio(self.path)
                and self._took_mp3()):
            try:
                self._sf = audio_io.soundfile_reader(audio_io.open_soundfile(self.path), self.path)
                if self._sf.frames == 0:
                    # Closed before any sample went in (a recorder stopped at once: an Ogg or
                    # FLAC file of its headers alone, a WAV or AIFF of empty sound data), or an
                    # Ogg file cut inside its first audio page: it plays nothing, and read on it
                    # ended at once, a finished play of 0 s. Said as the library's scan says it.
                    self._sf.close()
                    self._sf = None
                    cut = audio_io.ogg_unfinished_damage(self.path) or audio_io.wav_sound_missing(self.path)
                    raise (_NoAudio if cut in (None, _NO_AUDIO) else DecodeError)(
                        f"cannot play {shown(Path(self.path).name)}: {cut or _NO_AUDIO}")
                self.samplerate = self._sf.samplerate
                # (a FLAC written to a pipe leaves its length out, which libsndfile gives as 2**63:
                # the library measured it)
                self.duration = self._sf.frames / self.samplerate if self._sf.frames else duration_hint
                self._layout = self._sf.layout
                if self._sf.ogg_order:
                    self._order = audio_io.OGG_TO_WAV_ORDER.get(self._sf.channels)
                    if self._order is not None and self._layout is not None:
                        self._layout = tuple(self._layout[i] for i in self._order)
                if self._sf.format == "MP3":
                    # libsndfile 1.2.2 (soundfile 0.13/0.14 wheels) returns runs of zeros when
                    # some MP3s are read in several calls or after a seek (a 3 s sine with a
                    # Xing header, as libsndfile writes them, lost 8000 of its frames read in
                    # 4096-frame blocks); dr_mp3 decodes the same samples in blocks.
                    self._sf.close()
                    self._sf = None
                    try:
                        self._open_mp3()
                    except DecodeError as exc:
                        # libsndfile's MPEG reader takes what dr_mp3 does not: an ADTS AAC
                        # stream named .mp3, which ffmpeg plays.
                        try:
                            self._open_fallback(refused=exc)
                        except DecodeError:
                            if isinstance(exc, _NoAudio):
                                raise exc from None
                            raise self._refusal(str(exc)) from None
                        self.duration = duration_hint
            except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, ZeroDivisionError, MemoryError) as exc:
                # (a header with a sample rate of 0 divides by zero; a huge one can exhaust memory)
                if self._sf is not None:
                    self._sf.close()
                    self._sf = None
                ext = Path(self.path).suffix.lower().lstrip(".")
                if ext == "mp3" and self._blocks is None:
                    # libsndfile gives up on an MP3 after 64 KB that are no frame (a cover outside
                    # a tag whose size is wrong); dr_mp3 looks further. Neither reads an AAC or
                    # WavPack file named .mp3 (the scan read it by its content): ffmpeg does.
                    try:
                        self._open_mp3()
                    except DecodeError:
                        try:
                            self._open_fallback(refused=exc)
                        except DecodeError:
                            raise self._refusal(_refused(exc)) from exc
                        self.duration = duration_hint
                elif ext in audio_io.SOUNDFILE_EXTENSIONS:
                    # (a file of a format libsndfile reads that it refuses plays through ffmpeg
                    # where ffmpeg decodes it: see audio_io.open_fallback)
                    try:
                        self._open_fallback(refused=exc)
                    except DecodeError:
                        # An Ogg file cut short is said so as the library's scan says it, not
                        # in libsndfile's words ("Supported file format but file is malformed.")
                        cut = audio_io.ogg_unfinished_damage(self.path) if ext in ("ogg", "oga", "opus") else None
                        if cut:
                            # (one of its headers alone is a file of no audio, as above)
                            raise (_NoAudio if cut == _NO_AUDIO else DecodeError)(
                                f"cannot play {shown(Path(self.path).name)}: {cut}") from exc
                        raise self._refusal(_reason(exc)) from exc
                    self.duration = duration_hint
                else:
                    # A WMA of its header and no packet of sound: ffmpeg opens it and decodes
                    # nothing, which played as a song of 0 s. Said as the library's scan says it.
                    cut = audio_io.asf_sound_missing(self.path)
                    if cut:
                        raise (_NoAudio if cut == _NO_AUDIO else DecodeError)(
                            f"cannot play {shown(Path(self.path).name)}: {cut}") from None
                    try:
                        self._open_fallback()
                    except DecodeError as exc:
                        raise self._refusal(str(exc)) from exc
                    self.duration = duration_hint

    def _refusal(self, raw: str) -> DecodeError:
        """Why the file does not open, as the library's scan lists it (read again now, for the
        same words in both places: libsndfile said "Format not recognised." of a file the scan
        listed as "not an audio format Segue recognises", "Unspecified internal error." of a
        WAV it listed as cut short); the decoding library's own words go to the log. Where the
        scan reads the file all the same, those words in plain terms."""
        log.info("%s does not open: %s", self.path, raw)
        if audio_io.for_want_of_ffmpeg(raw):
            # (nothing here reads it without ffmpeg: that, the way out, is said, not what the
            # scan's reader makes of bytes it does not know)
            return DecodeError(raw)
        try:
            from player.library.tags import TagReadError, read_tags

            read_tags(self.path, estimate=True)
            why = faults.plain(raw, Path(self.path).name)
            if audio_io.ffmpeg_complete() is None:
                # The scan reads it as audio and nothing here but libsndfile and dr_mp3 tried
                # it: a WAV of a codec they lack (Yamaha ADPCM, AAC) was said to be damaged,
                # where ffmpeg plays it. Without ffmpeg, damage cannot be told from that.
                why = f"only ffmpeg may read it (a codec Segue lacks, or it is damaged): {audio_io.INSTALL_FFMPEG}"
        except TagReadError as exc:
            why = str(exc)
            if why == _NO_AUDIO:
                # (a file only ffmpeg reads, of its headers and no sample: refused as any file
                # of no audio is, so that one written over a song as it plays ends that play
                # as a file come to hold something else, not as one heard to its end)
                return _NoAudio(f"cannot play {shown(Path(self.path).name)}: {why}")
        except Exception as exc:  # noqa: BLE001 - the reader's own fault leaves the decoder's words
            log.warning("reading %s to say why it does not open failed: %s", self.path, exc)
            why = faults.plain(raw, Path(self.path).name)
        return DecodeError(f"cannot play {shown(Path(self.path).name)}: {why}")

    def _ranged(self, seconds: float | None) -> float | None:
        """The length of the range, from the file's length ``seconds`` (None: unknown)."""
        if not self._begin and self._end is None:
            return seconds
        if seconds is None:
            return None if self._end is None else (self._end - self._begin) / self.samplerate
        end = int(round(seconds * self.samplerate))
        if self._end is not None:
            end = min(end, self._end)
        return max(0, end - self._begin) / self.samplerate

    def _took_mp3(self) -> bool:
        try:
            self._open_mp3()
        except DecodeError:
            if self._mp3_empty:
                raise
            return False
        return True

    def _open_mp3(self) -> None:
        # Asked once: dr_mp3 reads the whole of a file it does not take before it says so (0.9 s
        # for 58 MB), and opening a file named .mp3 may ask it up to three times over.
        if self._mp3_refused is not None:
            raise DecodeError(self._mp3_refused)
        try:
            # (a long MP3 without a Xing header is not read whole to count it before it plays)
            self._blocks = audio_io.open_mp3(self.path, exact_length=False)
        except ImportError:  # no miniaudio (an install that predates it): ffmpeg streams MP3 too
            self._open_fallback()
            return
        except audio_io.AudioError as exc:
            self._mp3_refused = str(exc)
            raise DecodeError(str(exc)) from exc
        except OSError as exc:
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc.strerror or exc}") from exc
        if self._blocks.frames == 0 and self._blocks.frames_exact:
            # Its frames counted and none of them audio (an encoder closed at once leaves its
            # Xing/Info frame alone): it played as a song of 0 s. Said as the library's scan says it.
            self._blocks.close()
            self._blocks = None
            self._mp3_refused = f"cannot play {shown(Path(self.path).name)}: {_NO_AUDIO}"
            self._mp3_empty = True
            raise _NoAudio(self._mp3_refused)
        self.samplerate = self._blocks.samplerate
        self.duration = self._mp3_seconds()

    def _mp3_seconds(self) -> float | None:
        """The MP3's length. While dr_mp3's is only an estimate from the file's size (a long
        file without a Xing header, at a variable bit rate: a 3-hour mix was shown as 28
        minutes on the seek bar, and a click on it went to the wrong place), the library's,
        which the scan counted, where there is one."""
        if not self._blocks.frames_exact and self._file_hint:
            return self._file_hint
        return self._blocks.frames / self.samplerate if self._blocks.frames else None

    def _open_fallback(self, refused: Exception | None = None) -> None:
        try:
            self._fallback = audio_io.open_fallback(self.path, refused=refused)
        except audio_io.AudioError as exc:
            raise DecodeError(str(exc)) from exc
        except OSError as exc:
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc}") from exc
        self.samplerate = self._fallback.samplerate
        self._layout = self._fallback.layout

    def _make_resampler(self) -> None:
        self._held, self._joined, self._finished, self._failed = False, None, None, None
        if self.samplerate != self.out_rate:
            self._resampler = _Resampling(self.samplerate, self.out_rate, self.channels)
        else:
            self._resampler = None

    @property
    def total_frames(self) -> int | None:
        """Length in output frames, when known. An MP3's estimate becomes its count once it is
        counted (:meth:`count_length`, a far seek, or its end read), and a length that the
        file's audio ends before becomes where it ended; :attr:`duration` follows."""
        self._update_duration()
        return None if self.duration is None else int(round(self.duration * self.out_rate))

    def _update_duration(self) -> None:
        if self._blocks is not None:
            self._take_count()
            seconds = self._mp3_seconds()
            if seconds and self._end_kept:
                # (opened again cut short, its frames are counted up to the cut: see below;
                # only then, for an end read before an estimate of the length is the length)
                seconds = max(seconds, self._end_kept / self.samplerate)
            if seconds:
                self.duration = self._ranged(seconds)
        elif self._sf is not None and self._sf.frames:
            # Not less than the song's known end, once opened again smaller (see _take_fresh): a
            # file cut short as it plays is opened again at its change, and its reader then holds
            # only what is left. Taken for the song's length, a crossfade was set at the cut, the
            # song read up to it and no further, never found cut short, and logged as a play
            # heard to its end. (A larger file is no cut: its length is its own.)
            frames = max(self._sf.frames, self._end_kept or 0)
            self.duration = self._ranged(frames / self.samplerate)

    @property
    def length_exact(self) -> bool:
        """Whether :attr:`total_frames` is the file's length, not an estimate from its size (a
        long MP3 without a Xing header, until :meth:`count_length` is done or the end is read)."""
        if self._blocks is None:
            return True
        self._take_count()
        return self._blocks.frames_exact

    def _take_count(self) -> None:
        """The count :meth:`count_length` made, once it is done."""
        if not self._blocks.frames_exact and self._counted:
            self._blocks.take_count(self._counted[0])

    def count_length(self) -> None:
        """Have an estimated length counted, on a thread of its own: a pass over every frame
        header of the file, which from a slow disk takes seconds that playback cannot wait.
        The count is made by a reader of its own (the one playing stays where it is and is
        touched only by the thread that reads it); :attr:`length_exact` takes it once done."""
        if self._blocks is None or self._blocks.frames_exact or self._counter is not None:
            return
        path, counted = self.path, self._counted

        def count() -> None:
            try:
                with audio_io.open_mp3(path) as reader:
                    counted.append(reader.frames)
            except (audio_io.AudioError, OSError, ImportError, MemoryError) as exc:
                log.warning("could not count the length of %s: %s", path, exc)

        self._counter = threading.Thread(target=count, name="mp3-length", daemon=True)
        self._counter.start()

    @property
    def untouched(self) -> bool:
        """Nothing read from it yet, nor run on into from the file before it (:meth:`join`): it
        gives the file (its range) from the start."""
        return (self.frame == 0 and not len(self._pending) and not self._done and self._failed is None
                and self._seek_wanted is None and (self._resampler is None or self._resampler.fed == 0))

    @property
    def unchanged(self) -> bool:
        """The file at its path is still the one opened, as it was then: not replaced by another
        (a re-encode, a sync tool's new file renamed into place, which this decoder would read
        on in the old one), rewritten, or gone since."""
        return self._opened is not None and _stamp(self.path) == self._opened

    @property
    def finished(self) -> bool:
        return self._done and len(self._pending) == 0 and not self._held

    @property
    def end_held(self) -> bool:
        """The whole file is read (:meth:`read` gives nothing more), but the resampler still
        holds the last few milliseconds of it: :meth:`finish` or :meth:`join` gives them."""
        return self._held

    def finish(self) -> None:
        """Empty the resampler of a held end: the rest of the file comes from :meth:`read`."""
        if self._held:
            self._held = False
            # (kept so that a next file set while these last frames are not heard yet can
            # still be joined to this one: see unfinish)
            checkpoint = self._resampler.checkpoint()
            self._finished = None if checkpoint is None else (checkpoint, self.frame + len(self._pending))
            tail = self._resampler.flush()
            self._pending = np.concatenate([self._pending, tail]) if len(self._pending) else tail

    @property
    def finish_tail(self) -> int | None:
        """The frames :meth:`finish` gave, once all are read (None where it cannot be taken
        back: not finished, not all read, or the resampler's past not kept)."""
        if self._finished is None or len(self._pending) or not self._done:
            return None
        return self.frame - self._finished[1]

    def unfinish(self) -> None:
        """Take back :meth:`finish` (the frames it gave are dropped by the caller): the end is
        held again, with the resampler as it was before, for :meth:`join` to run on into a
        next file set late, while the output had not reached this file's last frames."""
        checkpoint, self.frame = self._finished
        self._finished = None
        self._resampler, self._pending = self._resampler.rebuilt(checkpoint)
        self._held = True

    def _native_channels(self) -> int:
        return next(r for r in (self._blocks, self._sf, self._fallback) if r is not None).channels

    def can_join(self, other: Decoder) -> bool:
        """Whether :meth:`join` can run this file's resampler on into ``other``, one not read
        yet: both are resampled from the same rate to as many channels. A file's channels are
        mixed to the output's before they are resampled, so a mono or a 5.1 track inside a
        stereo album joins as well (each resampled apart, the edges of two resamplers ticked
        at the join). Not one waited
        on halfway through a rewrite (see :meth:`_follow_rewrite`): the join read its start
        from the file as it was, and a seek asked of it meanwhile put it back there after,
        for that start to be heard twice."""
        return (self._held and other._resampler is not None and not other._done and other._settling is None
                and other._resampler.fed == 0 and not len(other._pending)
                and (other.samplerate, other.out_rate, other.channels)
                == (self.samplerate, self.out_rate, self.channels)
                and self._resampler.checkpoint() is not None)

    def join_length(self) -> int:
        """The frames :meth:`join` gives: where the file ends in the resampler's output, less
        what it gave so far."""
        r = self._resampler
        return r.out_at(r.fed) - r.made

    def join(self, other: Decoder) -> np.ndarray | None:
        """The rest of this file (:meth:`join_length` frames), resampled with the start of
        ``other`` after it rather than silence, and ``other`` carries on in the same resampler.

        A gapless album resampled a file at a time has a click at every join: each file's
        resampler starts from silence and ends into silence, and the filter's edges do not
        add up to the music across the join. One stream through the files gives what
        resampling the whole album gives. The frames are shared out where each file's end
        falls in the output (rounded), so the files' lengths add up to the whole.
        :meth:`unjoin` takes it back while the frames given here are not heard.

        None where reading ``other`` fails in the system (its share dropped for a moment), or its
        file was cut short since it was opened: nothing is joined, ``other`` is put back where
        it was, and its file is opened again as after any read that fails (see :meth:`_heal`;
        the caller asks :meth:`ready` before it joins again). Taken for its end, a drive's
        hiccup ended the next song as an error at once, and a cut one as a song heard whole."""
        r = self._resampler
        checkpoint = r.checkpoint()
        end = r.out_at(r.fed)
        got, have = [], 0
        before = (other._native, other._last)

        def put_back() -> None:
            if r.fed != checkpoint[0]:
                self._resampler, self._pending = r.rebuilt(checkpoint)
            other._native, other._last = before     # (read again from there once it opens)

        while have < end - checkpoint[1] and not other._done:
            try:
                block = other._raw_block(BLOCK_NATIVE)
            except _ReadFailed as exc:
                # (ffmpeg says a WavPack file that ends inside a block failed to read: one cut
                # short since it was opened ahead is waited on as cut, as in read, not opened
                # again at once as if its drive had come back, to fail at the cut once more)
                cut = other._cut_short()
                put_back()
                if cut:
                    other._wait_for_cut()
                else:
                    other._healing = (other._clock() + READ_RETRY_S, exc, (), 0.0)
                return None
            except DecodeError as exc:       # (its own to report, when it is read)
                other._failed, block = exc, None
            if block is None and other._cut_short():
                # Cut short since it was opened ahead (see read): waited on to grow back as
                # the song playing is, not taken for a song that ends here.
                other._failed = None
                put_back()
                other._wait_for_cut()
                return None
            if block is None:
                other._done = True
                other._update_duration()
                out = r.flush()
            else:
                out = r.feed(block)
            got.append(out)
            have += len(out)
        out = np.concatenate(got) if got else np.zeros((0, self.channels), np.float32)
        tail = out[:end - checkpoint[1]]
        self._joined = (checkpoint, self.frame)
        self._held, self._finished = False, None
        self.frame += len(tail)
        other._resampler, other._pending = r, out[len(tail):]
        return np.ascontiguousarray(tail)

    @property
    def join_tail(self) -> int | None:
        """The frames :meth:`join` gave (None when this file is not joined to another)."""
        return None if self._joined is None else self.frame - self._joined[1]

    def unjoin(self) -> None:
        """Take back :meth:`join`: the file whose start it used comes after this one no more
        (the frames join gave are dropped by the caller). The end is held again, with the
        resampler made again as it was before the join."""
        checkpoint, self.frame = self._joined
        self._joined = None
        self._resampler, self._pending = self._resampler.rebuilt(checkpoint)
        self._held = True

    def _raw_block(self, n: int) -> np.ndarray | None:
        """Up to ``n`` native frames [shape=(k, channels)], or None at the end (of the range)."""
        if self.replaced:
            return None
        if self._end is not None:
            n = min(n, self._end - self._native)
            if n <= 0:
                return None
        try:
            if self._blocks is not None:
                block = self._blocks.read(n)
            elif self._sf is not None:
                block = self._sf.read(n)
                if self._order is not None:
                    block = block[:, self._order]
            else:
                block = next(self._fallback, None)
                # (a copy: ffmpeg's frames are a view of the bytes read from its pipe, which
                # cannot be written to, and the feeder scales a track's frames by its gain in place)
                block = None if block is None else np.array(block, np.float32)
            if block is None or not len(block):
                return None
            if self._end is not None and len(block) > self._end - self._native:
                block = block[:self._end - self._native]     # (a fallback stream's blocks are its own size)
            self._native += len(block)
            self.summed = audio_io.sums_channels(block.shape[1], self.channels, self._layout)
            block = audio_io.mix_channels(block, self.channels, self._layout)
            if not self._unsure:
                self._last = (self._native - len(block), block)
            return block
        except audio_io.ReadFailedError as exc:
            # (the system's words, "System error." or "[Errno 5] Input/output error", tell a
            # listener nothing: the song ends as an error, and what was heard is logged)
            log.warning("reading %s failed as it played: %s", self.path, exc)
            raise _ReadFailed(f"cannot play {shown(Path(self.path).name)}: {faults.READ_FAILED}") from exc
        except (sf.LibsndfileError, RuntimeError, ValueError, MemoryError, audio_io.AudioError) as exc:
            # (a reader's own error names the file again: its cause says what went wrong)
            raise DecodeError(f"decoding {shown(Path(self.path).name)} failed: {exc.__cause__ or exc}") from exc

    def _follow_rewrite(self, *, wait: bool = True) -> bool:
        """A tag editor that rewrites the file in place (to make room for a cover, say) moves
        its audio under the open decoder, which then reads noise, fails or stops early. The
        file is opened again and read on from the same frame. A file replaced by a new one
        (another inode) or deleted leaves what is open readable, so that plays on as it is.

        Another song copied over it (``cp other.flac playing.flac`` writes into the same file)
        ends it where it was (:attr:`replaced`): read on, the rest of the other song was heard
        from its middle under this one's name and length, and the play was logged as this
        song heard to its end (a 2 s song over a 6 s one 3 s in: "finished", 3.9 s heard of a
        2 s track). The same audio is told from another by the last block read, read again
        from the file as it is now.

        A file written in place may be caught halfway through its rewrite (see
        :meth:`_look_at_file`): nothing is read from it until it has stayed as it is for a
        moment and holds that block, or stays as it is for ``REWRITE_SETTLE_S``. Whether it may be read now;
        False only where ``wait`` is off and that wait is on: the caller asks again later, and
        what it buffered plays meanwhile (the feeder's thread never sleeps in here, nor waits
        for the file to open again: see :meth:`_look_again`)."""
        while not self._look_at_file():
            if not wait:
                return False
            time.sleep(0.02)
        if self._seek_wanted is not None:
            native, self._seek_wanted = self._seek_wanted, None
            self._seek_native(native, exact=not self._seek_near)
        return True

    def ready(self) -> bool:
        """Whether a read now goes ahead without waiting: False while the file is caught
        halfway through a rewrite, or opened again after its reads failed (see
        :attr:`settling`), as a read without waiting finds it. Never raises: a file given up
        on as it is opened again says so at the next read (a crossfade asks both files before
        it reads either, and took the failure of the one fading out for the other's)."""
        try:
            healed = self._heal(wait=False)
        except DecodeError as exc:
            self._failed = exc
            return True
        return self._done or (healed and self._follow_rewrite(wait=False))

    @property
    def settling(self) -> bool:
        """Whether the file is being waited on, caught halfway through a rewrite (nothing is
        read from it meanwhile; see :meth:`_follow_rewrite`), or opened again after its reads
        failed (see :meth:`_heal`)."""
        return self._settling is not None or self._healing is not None

    def _look_at_file(self) -> bool:
        """One look at the file, never waiting: True where it may be read (as it was, opened
        again, or ended as another song), False while a rewrite of it is waited out.

        A file written in place is opened again only once it has stayed as it is for
        ``REWRITE_QUIET_S``: one written in pieces (a tag editor on a slow disk) opened
        between two of them read as the same song where the last block was read, and the new
        bytes past it, read as its audio, ended it (a 6 s FLAC written in pieces over 1.5 s,
        2 s in, was cut short 2.5 s in). Caught halfway through its rewrite even so, it has
        the audio there cut off or not yet written (an 8 s FLAC cut to a quarter 3 s in and
        written back ended there), or it does not open: it is waited for until it changes
        again or stays as it is for ``REWRITE_SETTLE_S``. Another song copied over it is not
        written again, and ends there. A file that never stops changing (its time stamp moved
        by a share every moment, a tag grown at its end) is looked at at every change once it
        has kept changing for ``REWRITE_GIVE_UP_S``, and not waited for again while it goes on
        so: read on as the same song, ended as another, read on as it is where it does not
        open. Waited for afresh after each look, every block read waited that long again
        (0.46 s of a song read in 11 s), and a read that waits (a crossfade's) waited for ever
        on another song written over it again and again. Nothing is read from the file
        meanwhile."""
        if self.replaced:
            return True     # (ended for good: a seek back is not looked at, and waited for, again)
        now, clock = _stamp(self.path), time.monotonic()
        if self._settling is None:
            if now is None or self._opened is None or now == self._opened or now[0] != self._opened[0]:
                return True
            first = self._changed(clock)
            self._settling = (now, clock, first, None)
            return clock - first >= REWRITE_GIVE_UP_S and self._look_restless(now, clock, first)
        seen, since, first, other = self._settling
        if now is None:
            self._settling = None
            self._drop_reopening()
            return True     # gone: what is open is read on
        if now != seen:     # written again as it was waited for
            first = self._changed(clock)
            self._settling = (now, clock, first, None)
            if clock - first >= REWRITE_GIVE_UP_S:
                return self._look_restless(now, clock, first)   # (its open under way kept: see there)
            self._drop_reopening()
            return False
        if other is None:
            # (a time to the whole second is taken for a disk that keeps no finer one: on a
            # FAT32 disk a song written in pieces over 1.5 s was read 3.16 s of its 6 s)
            quiet = REWRITE_QUIET_S + (REWRITE_COARSE_S if now[2] % 1_000_000_000 == 0 else 0.0)
            return clock - since >= quiet and self._look_again(now, since, first)
        if clock - since < REWRITE_SETTLE_S:
            return False
        self._settling = None
        if other:
            self.replaced = True
            log.info("%s now holds other audio: its play ends here", self.path)
        else:   # (one that does not open is read on as it is: the reader says what is wrong)
            self._opened = now
        return True

    def _changed(self, clock: float) -> float:
        """Note a change of the file seen at ``clock``; since when it keeps changing (a change
        within ``REWRITE_SETTLE_S`` of the one before goes on from it, a file read on between
        the two included)."""
        first = clock if self._restless is None or clock - self._restless[1] > REWRITE_SETTLE_S else self._restless[0]
        self._restless = (first, clock)
        return first

    def _look_restless(self, now: tuple[int, int, int], clock: float, first: float) -> bool:
        """Look at a file that has kept changing for ``REWRITE_GIVE_UP_S`` as it is now, never
        waiting for it: the same song is read on, another one ends, one that does not open
        is read on as it is (see :meth:`_look_at_file`). Nothing is read while it opens (False
        till then), and the open is not dropped as the file changes on meanwhile: it would never
        end (a time stamp moved every moment), and one looked at every change is looked at as
        it was a moment ago. Waited for here, as it once was, the feeder obeyed no skip, pause
        or seek until the open ended, and never where it did not."""
        if self._look_again(now, clock, first, restless=True):
            return True
        if self._reopening is not None or self._superseded is not None:
            return False    # (still opening, or waiting for one dropped before to end)
        other = self._settling[3]
        self._settling = None
        if other:
            self.replaced = True
            log.info("%s keeps changing and holds other audio: its play ends here", self.path)
        else:
            self._opened = now
        return True

    def _look_again(self, now: tuple[int, int, int], since: float, first: float, *, restless: bool = False) -> bool:
        """Open the file, written in place since it was opened (stamp ``now``), again: where it
        holds the last block read, read on from it (True); otherwise wait (False: see
        :meth:`_look_at_file`).

        The open is made on a thread of its own (:class:`_Reopening`), and False said until it is
        done (``restless``: one under way is taken, made for the file as it was a moment ago;
        see :meth:`_look_restless`): an open through ffmpeg starts an ffprobe and an ffmpeg, and a seek
        in a WebM or Matroska file decodes from the start up to the place, seconds into a long
        one (or a disk wakes up first). Made on the feeder's thread, everything it does waited
        for it: a skip to another song, a pause or a seek was obeyed only once the file opened."""
        reopening = self._reopening
        if reopening is None or (reopening.stamp != now and not restless):
            self._drop_reopening()
            # One open at a time: a dropped one cannot be stopped (its ffmpeg decodes on up to
            # the place), and a file written in pieces a little apart started an open at each
            # pause, all decoding at once beside the song's own.
            if self._superseded is not None and not self._superseded.done:
                return False
            self._superseded = None
            # (what the thread reads of this decoder is taken now: nothing is read from it
            # meanwhile, but a seek may move the frame it is at)
            self._reopening = reopening = _Reopening(self, now, self._last, self._native, self.frame)
        result = reopening.take()
        if result is None:
            return False
        self._reopening = None
        fresh, verdict = result
        if fresh is None:
            self._unsure = True     # (what the open reader reads now is no measure of the song)
            self._settling = (now, since, first, verdict == "other")
            return False
        self._unsure = False
        self._settling = None
        self._take_fresh(fresh, verdict)
        return True

    def _take_fresh(self, fresh: Decoder, verdict: str) -> None:
        """Read on with ``fresh``, the file opened again (see :meth:`_open_again`) holding the
        same audio: its reader where ``verdict`` is "on", the whole of it where "moved".

        The song's known end stays the one of the file as first opened (a file cut short as it
        plays is told by it: see :meth:`_cut_short`), unless the file as it is now holds all
        its own header says (:func:`segue_common.audio_io.holds_whole`): a trim or re-encode
        tool that wrote a whole, shorter version of the song in place ran out at its new end,
        was waited on to grow back and ended as an error, where it was heard to its end.
        Its end is then the one its header gives: the library's length, which a file played
        through ffmpeg (an M4A) is held to, is the length of the file as it was.

        The song's length is held to that end only where the file is now smaller than it was
        first opened, as only such a one may be cut short: a file grown by a retag or a whole,
        shorter version written over it in more bytes has the length its reader gives (an MP3's
        estimate of it, from its size as first opened, was held to for good after a retag)."""
        known_end = fresh._header_end if fresh._holds_whole and fresh._header_end is not None else self._known_end
        end_kept = known_end if fresh._shrunk else None
        if verdict == "on":
            # The same audio, read on from the native frame this resampler was fed up to:
            # the resampler and what it gave stay, so nothing is heard (a fresh resampler
            # started from silence there, a click at every retag of a resampled file).
            # A length counted of the file as it was is counted again: it may hold another
            # song now (one copied over it), whose length the seek bar would show otherwise.
            counting = self._counter is not None
            self.close()
            for name in ("_sf", "_blocks", "_fallback", "_order", "_layout", "_opened", "_counter", "_counted"):
                setattr(self, name, getattr(fresh, name))
            fresh._sf = fresh._blocks = fresh._fallback = None
            if counting:
                self.count_length()
            self._known_end, self._end_kept = known_end, end_kept
            return
        kept = {name: getattr(self, name) for name in ("_restless", "_seek_wanted", "_seek_near", "_first_stamp",
                                                       "_cut_size")}
        self.close()
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(kept)
        self._known_end, self._end_kept = known_end, end_kept

    def _heal(self, *, wait: bool) -> bool:
        """Whether the file may be read on, where its reads failed in the system as it played
        (see :meth:`read`): it is opened again by its path on a thread of its own, a few times
        over ``READ_RETRY_S``, and read on where it failed once it holds the last block read
        again. Ended there at once, a network share that dropped for a moment (Wi-Fi) or a
        drive's hiccup ended the song as an error. False while that goes on (``wait`` off:
        the feeder's thread plays what is buffered meanwhile); the read's error once given up.
        The time is counted by the decoder's clock, the player's standing still while it is
        paused: counted as it passed, a share that dropped just before a pause and came back
        during it used the time up, and Play ended the song at once, its file readable again."""
        while self._healing is not None:
            deadline, error, reopenings, next_try = self._healing
            now, counted = time.monotonic(), self._clock()
            under_way = []
            for reopening in reopenings:
                if (result := reopening.take()) is None:
                    under_way.append(reopening)
                    continue
                fresh, verdict = result
                if fresh is not None and verdict in ("on", "moved"):
                    for other in reopenings:
                        if other is not reopening:
                            other.drop()
                    self._healing = self._cut_size = None
                    log.info("%s reads again: played on where it failed", self.path)
                    self._take_fresh(fresh, verdict)
                    self._healed = (self._native, deadline)
                    return True
                if fresh is not None:
                    fresh.close()
            # The next open is made on time even while one is still under way: the one begun
            # while the file was away (the share dropped, the drive gone) can take longer to
            # fail than the whole wait, and the file, back meanwhile, was never opened again.
            if now >= next_try and len(under_way) < READ_RETRIES_AT_ONCE:
                if self._grown():       # (cut short, and no longer yet: opened again, it runs out again)
                    under_way.append(_Reopening(self, self._opened, self._last, self._native, self.frame))
                next_try = now + READ_RETRY_EVERY_S
            if counted >= deadline:
                for reopening in under_way:
                    reopening.drop()
                self._healing = self._cut_size = None
                log.warning("%s did not read again in %g s: its play ends here", self.path, READ_RETRY_S)
                raise error
            self._healing = (deadline, error, tuple(under_way), next_try)
            if not wait:
                return False
            time.sleep(0.02)
        return True

    def _grown(self) -> bool:
        """Whether the file may hold more than it did where it ran out cut short (see
        :meth:`_cut_short`): not cut short, or larger now than it was then."""
        if self._cut_size is None:
            return True
        now = _stamp(self.path)
        return now is not None and now[1] > self._cut_size

    def _cut_short(self) -> bool:
        """Whether the file, whose audio ran out here, was cut short as it played: the same file
        as it was opened, smaller now, and run out before the song's known length (its headers'
        where exact, else the library's). A sync tool rewriting it, or a copy of it
        still coming in, truncates it and writes it again: the song ran out where the file then
        ended, was logged as heard to its end, with that for its length, and never read on as
        the rest came in. (A file damaged before it was opened, or shorter than its headers say,
        is as it was opened: it plays what it holds and ends, as before.)"""
        first, known = self._first_stamp, self._known_end
        if self.replaced or first is None or known is None:
            return False
        if self._native >= known - CUT_SHORT_SLACK_S * self.samplerate:
            return False
        now = _stamp(self.path)
        if now is None or now[0] != first[0] or now[1] >= first[1]:
            return False
        # (its size as found here: taken again after the warning, the rest of a copy come in
        # meanwhile was the size to grow past, and the song waited out its time and ended)
        self._cut_size = now[1]
        return True

    def _wait_for_cut(self) -> None:
        """Wait on the file, found cut short (see :meth:`_cut_short`), to grow back, as a read
        that failed is (see :meth:`_heal`): a copy coming in is read on where it ran out, once it
        holds more; one that stays so ends the song as an error, and what was heard is logged
        (no play heard to its end)."""
        log.warning("%s was cut short as it played, at %.1f s", self.path, self._native / self.samplerate)
        deadline = self._clock() + READ_RETRY_S
        if self._healed is not None and self._healed[0] == self._native:
            deadline = self._healed[1]
        error = DecodeError(f"cannot play {shown(Path(self.path).name)}: {faults.CUT_SHORT}")
        self._healing = (deadline, error, (), 0.0)

    def _open_again(self, last: tuple[int, np.ndarray] | None, native: int, frame: int,
                    slack: int = 0, first: tuple[int, int, int] | None = None) -> tuple[Decoder | None, str]:
        """The file opened again (on a thread of its own: see :meth:`_look_again`), and what it
        holds: ("on": the last block read ``last``, the reader at the native frame ``native``
        read up to; "moved": that block, the decoder started afresh at output frame ``frame``,
        where the reader could not be put at ``native``; "other": other audio; "fails": it does
        not open). Reads nothing of this decoder but its format. ``slack``: how far the block
        may lie off where it was read (the reader put there by a person's seek); the reader is
        put on where that audio goes on, for it to be heard on seamlessly. ``first``: the
        file's stamp as it was first opened (see :meth:`_cut_short`)."""
        fresh = None
        try:
            fresh = Decoder(self.path, out_rate=self.out_rate, channels=self.channels,
                            duration_hint=self._duration_hint, begin_s=self._range_s[0], end_s=self._range_s[1],
                            clock=self._clock)
            same_format = (fresh.samplerate, fresh._native_channels()) == (self.samplerate, self._native_channels())
            lag = _holds(fresh, last, slack) if same_format else None
            if lag is None:
                fresh.close()
                return None, "other"
            # Whole as it is now (see _take_fresh)? Looked at only where the file is smaller than
            # it was first opened, where alone it may be taken for cut short: the look reads
            # every frame header of an MP3, all of a 2-hour mix (half a second from a local
            # disk, far longer from a share or a disk waking up) at every retag that grows its
            # tag or fills its padding, while the output plays out its buffer of a second or two.
            now = _stamp(self.path)
            fresh._shrunk = first is not None and now is not None and now[1] < first[1]
            fresh._holds_whole = fresh._shrunk and audio_io.holds_whole(self.path)
            if fresh._holds_whole and fresh._fallback is not None:
                # (through ffmpeg its length is the library's, the file's as it was: the
                # file's own header gives its length now)
                length = audio_io.whole_file_length(self.path)
                fresh._header_end = None if length is None else int(round(length * fresh.samplerate))
                if fresh._header_end is not None and fresh._end is not None:
                    fresh._header_end = min(fresh._header_end, fresh._end)
            # The reader is there already where the block read again is the last one read: a
            # seek to it again, in a WebM or Matroska file, decoded from the start up to there
            # once more (the longest part of the open of a long one).
            if fresh._native == native + lag or fresh._seek_reader(native + lag) == native + lag:
                return fresh, "on"
            fresh.seek_frame(frame)
            return fresh, "moved"
        except _NoAudio:
            # Written over with a file of no audio (an encoder closed at once over it): the
            # song is gone from it, as where another is copied over it. Read on as a file that
            # does not open, it ran out there as a play heard to its end.
            return None, "other"
        except Exception as exc:  # noqa: BLE001 - (a fault in the open is read on as a file that does not open)
            if not isinstance(exc, DecodeError):
                log.exception("opening %s again failed", self.path)
            if fresh is not None:
                fresh.close()
            return None, "fails"

    def read(self, n: int, *, hold_end: bool = False, wait: bool = True) -> np.ndarray:
        """Up to ``n`` output frames [shape=(k, channels)]; an empty block means the end.

        ``hold_end``: at the end of a resampled file, leave the last few milliseconds in the
        resampler (:attr:`end_held`), for :meth:`join` or :meth:`finish` to give. ``wait``
        off: a file caught halfway through a rewrite is not waited for; the block is empty
        then, and not the end, while :attr:`settling` says so."""
        if self._failed is not None:
            exc, self._failed = self._failed, None
            raise exc
        if self._held and not hold_end:
            self.finish()
        readable = self._done or (self._heal(wait=wait) and self._follow_rewrite(wait=wait))
        while readable and len(self._pending) < n and not self._done:
            native = max(256, int(n * self.samplerate / self.out_rate) + 1)
            try:
                block = self._raw_block(native)
            except _ReadFailed as exc:
                # ffmpeg says a WavPack file that ends inside a block failed to read
                # ("Input/output error"), where it ran out: one now smaller than it was opened,
                # before its end, was cut short as it played (a drive that is gone gives no
                # size to compare), and is said so and waited on to grow back as such.
                if self._cut_short():
                    self._wait_for_cut()
                    readable = self._heal(wait=wait)
                    continue
                # (what was read before it is given first; see _heal). Failed again where the
                # last heal read on from (a bad sector: the file opens, and that place never
                # reads), the time left is that heal's: a new one each time, it was opened again
                # for good, the song never ending and the output silent.
                deadline = self._clock() + READ_RETRY_S
                if self._healed is not None and self._healed[0] == self._native:
                    deadline = self._healed[1]
                self._healing = (deadline, exc, (), 0.0)
                readable = self._heal(wait=wait)
                continue
            except DecodeError:
                # ffmpeg is started on the file at its first read: one opened ahead of its turn
                # and cut short before it is heard fails there ("moov atom not found": an M4A's
                # index is written after its audio), where it would have run out as it played.
                # Ended at once with ffmpeg's words, the rest of a copy coming in was never
                # waited for, as it is for the song playing.
                # (asked once: a file that grows between two asks would end here as finished)
                if not self._cut_short():
                    raise
                self._wait_for_cut()
                readable = self._heal(wait=wait)
                continue
            if block is None and self._cut_short():
                self._wait_for_cut()
                readable = self._heal(wait=wait)
                continue
            if block is None:
                self._done = True
                if not self.replaced:
                    self._update_duration()     # (an end before the length the header gave is the length)
                if self._resampler is not None:
                    self._held = True
                    if not hold_end:
                        self.finish()
                break
            if self._resampler is not None:
                block = self._resampler.feed(block)
            self._pending = np.concatenate([self._pending, block]) if len(self._pending) else block
        out, self._pending = self._pending[:n], self._pending[n:]
        self.frame += len(out)
        return np.ascontiguousarray(out, dtype=np.float32)

    def seek_frame(self, frame: int, *, exact: bool = True) -> None:
        """Continue from output frame ``frame`` (clamped to the file, or its range).

        ``exact`` off: a person's seek (the seek bar, a jump by keys, a place kept from before),
        which in a Matroska or WebM file ffmpeg decodes lands under 1 ms off the
        frame at once, where landing on it exactly decodes the file from the start up to there
        (seconds, far into a long one). What goes on from audio already heard (a track taken
        back to where it was, a range's start, a file opened again after a retag) seeks exactly:
        a sample off there is a click.

        Asked while the file is waited on halfway through a rewrite (see
        :meth:`_follow_rewrite`), the seek is made once it may be read again, and
        :attr:`frame` says where it was asked meanwhile: the reader still open holds the
        file as it was, cut off or not yet written there, and a seek in it failed
        ("seeking in ... failed") or read what the tagger had not written yet."""
        frame = max(0, int(frame))
        native = int(round(frame * self.samplerate / self.out_rate)) + self._begin
        if self._end is not None:
            native = min(native, self._end)
        self._pending = np.zeros((0, self.channels), np.float32)
        self._done = False
        if not (self._heal(wait=False) and self._follow_rewrite(wait=False)):
            self._seek_wanted, self._seek_near = native, not exact
            self.frame = int(round((native - self._begin) * self.out_rate / self.samplerate))
            return
        self._seek_wanted = None
        self._seek_native(native, exact=exact)

    def _seek_native(self, native: int, *, exact: bool = True) -> None:
        """Move the reader, and the output counted from it, to the file's native frame ``native``."""
        self._native = native = self._seek_reader(native, exact=exact)
        self._landed_near = not exact and self._fallback is not None
        self._make_resampler()
        self.frame = int(round((native - self._begin) * self.out_rate / self.samplerate))

    def _seek_reader(self, native: int, *, exact: bool = True) -> int:
        """Move the reader to the file's native frame ``native``; the frame it is at after
        (``exact``: see :meth:`seek_frame`)."""
        if self._blocks is not None:
            try:
                self._blocks.seek(native)
            except (audio_io.AudioError, OSError, MemoryError) as exc:
                raise DecodeError(f"seeking in {shown(Path(self.path).name)} failed: {exc}") from exc
            native = self._blocks.position
        elif self._sf is not None:
            if self._sf.frames is not None:
                native = min(native, self._sf.frames)
            try:
                self._sf.seek(native)
            except (audio_io.AudioError, RuntimeError, ValueError) as exc:
                # A file libsndfile cannot seek in, or one of which nothing decodes.
                raise DecodeError(f"seeking in {shown(Path(self.path).name)} failed (the file may end early):"
                                  f" {exc.__cause__ or exc}") from exc
        else:
            self._follow_move()
            try:
                self._fallback.seek(native, exact=exact)
            except (audio_io.AudioError, OSError) as exc:
                raise DecodeError(f"seeking in {shown(Path(self.path).name)} failed: {exc}") from exc
        return native

    def _follow_move(self) -> None:
        """Where the file is gone from its path (its folder renamed as it played, no scan since,
        or deleted and its track given to a copy of it by a scan), take it where it is now, the
        same file unchanged: ffmpeg is started afresh at each seek, given the file's name, and
        the song ended "file not found" there, where the readers that hold the file open read
        on. A copy (made with its dates, or moved to another disk) is another file of the same
        size and time, as the scan that gave it the track found it: asked for the same inode,
        a seek in an audiobook whose file was deleted and its copy kept failed the book. A file
        found only by its name, size and time beside its gone folder must be the same file (its
        inode): the album's folder deleted, a backup folder beside it was read on from, a file
        the library never gave the track to."""
        if self._find_moved is None or os.path.exists(self.path):
            return
        try:
            found = self._find_moved()
        except Exception:   # (not finding it leaves the file missing, as it is)
            log.exception("looking for %s failed", self.path)
            return
        if found is None or self._opened is None:
            return
        path, given = found
        now = _stamp(path)
        if now is not None and (now[1:] == self._opened[1:] if given else now == self._opened):
            self.path = self._fallback.path = path
            # (the file read from now on: a rewrite of it is told as one, not as another file)
            self._opened = self._first_stamp = now

    def _drop_reopening(self) -> None:
        """The file's open again (see :meth:`_look_again`) is no longer wanted."""
        if self._reopening is not None:
            self._reopening.drop()
            self._superseded, self._reopening = self._reopening, None

    def close(self) -> None:
        """Let the file go. A file whose share or disk went away can fail even that (an
        input/output error): it is logged, never raised, for the decoder is given up on
        either way, and the feeder closing it (often because reading it had just failed)
        ended its thread on the error, leaving the player silent until a restart."""
        self._drop_reopening()
        if self._healing is not None:
            for reopening in self._healing[2]:
                reopening.drop()
        self._healing = None
        for reader in (self._blocks, self._sf, self._fallback):
            if reader is not None:
                try:
                    reader.close()
                except Exception as exc:  # noqa: BLE001 - see above
                    log.warning("closing %s failed: %s", self.path, exc)
