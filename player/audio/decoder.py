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
never click. Memory does not grow with the file's length.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from segue_common import audio_io
from segue_common.text import shown

log = logging.getLogger(__name__)


class DecodeError(Exception):
    """A file could not be decoded; the message is meant for the user."""


_H = 0.7071  # -3 dB: a channel shared by both sides, or a side channel folded into the front
#: Where each channel of a multichannel file goes in stereo (left, right), in the order WAV
#: and FLAC store them (front left, front right, centre, LFE, back / side pairs). The LFE is
#: left out, as stereo downmixes do: its content is in the main channels already.
_STEREO_DOWNMIX = {
    3: ((1, 0), (0, 1), (_H, _H)),                                              # L R C
    4: ((1, 0), (0, 1), (_H, 0), (0, _H)),                                      # quad
    5: ((1, 0), (0, 1), (_H, _H), (_H, 0), (0, _H)),                            # 5.0
    6: ((1, 0), (0, 1), (_H, _H), (0, 0), (_H, 0), (0, _H)),                    # 5.1
    7: ((1, 0), (0, 1), (_H, _H), (0, 0), (0.5, 0.5), (_H, 0), (0, _H)),        # 6.1
    8: ((1, 0), (0, 1), (_H, _H), (0, 0), (_H, 0), (0, _H), (_H, 0), (0, _H)),  # 7.1
}


@functools.lru_cache(maxsize=None)
def _downmix_matrix(have: int) -> np.ndarray:
    """[shape=(have, 2)] stereo downmix, scaled so that no sum can clip. An unknown layout
    alternates its channels left and right."""
    m = np.array(_STEREO_DOWNMIX.get(have) or [(1, 0) if i % 2 == 0 else (0, 1) for i in range(have)],
                 np.float32)
    return m / m.sum(axis=0).max()


def _fit_channels(block: np.ndarray, channels: int) -> np.ndarray:
    """[shape=(n, c)] -> [shape=(n, channels)]: mono is copied to every channel; more channels
    than that are mixed down (to stereo by their layout, to mono as their mean), so a centre
    or surround channel is heard, not dropped."""
    have = block.shape[1]
    if have == channels:
        return block
    if have == 1:
        return np.repeat(block, channels, axis=1)
    if channels == 1:
        return block.mean(axis=1, keepdims=True, dtype=np.float32)
    if channels == 2:
        return block @ _downmix_matrix(have)
    if have > channels:
        return block[:, :channels]
    return np.concatenate([block, np.repeat(block[:, -1:], channels - have, axis=1)], axis=1)


def _stamp(path: str) -> tuple[int, int, int] | None:
    """(inode, size, modification time) of ``path``, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class Decoder:
    """Decode ``path`` into blocks [shape=(n, channels)] at ``out_rate``.

    Parameters
    ----------
    path : the audio file.
    out_rate : sample rate of the blocks returned (the device's).
    channels : channel count of the blocks returned.
    duration_hint : seconds, when the decoder cannot tell the length itself.

    Raises
    ------
    DecodeError
        The file is missing, damaged, or in a format nothing here decodes.
    """

    def __init__(self, path: str, *, out_rate: int, channels: int = 2,
                 duration_hint: float | None = None):
        if out_rate <= 0 or channels <= 0:
            raise ValueError(f"bad output format {out_rate} Hz x {channels}")
        self.path = str(path)
        self.out_rate = out_rate
        self.channels = channels
        self._duration_hint = duration_hint
        self._sf: audio_io.BlockReader | None = None
        self._fallback: audio_io.FallbackStream | None = None
        self._pending = np.zeros((0, channels), np.float32)
        self._resampler = None
        self._done = False
        self._blocks: audio_io.BlockReader | None = None  # MP3 through dr_mp3
        self._counter: threading.Thread | None = None     # counting an MP3's estimated length
        self._counted: list[int] = []                       # ... and its count, once done
        self._order = None    # the soundfile channels' places in WAV order, where they differ
        try:
            mode = os.stat(self.path).st_mode
        except OSError as exc:
            raise DecodeError(f"file not found: {shown(self.path)}" if isinstance(exc, FileNotFoundError)
                              else f"cannot open {shown(Path(self.path).name)}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            # A named pipe would block the decoder (and playback) for ever; a device never ends.
            raise DecodeError(f"cannot play {shown(Path(self.path).name)}: not a regular file")
        try:
            with open(self.path, "rb"):
                pass
        except OSError as exc:      # refused (its permissions): libsndfile says only "System error."
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc.strerror or exc}") from None
        try:
            self._sf = audio_io.soundfile_reader(audio_io.open_soundfile(self.path), self.path)
            self.samplerate = self._sf.samplerate
            # (a FLAC written to a pipe leaves its length out, which libsndfile gives as 2**63:
            # the library measured it)
            self.duration = self._sf.frames / self.samplerate if self._sf.frames else duration_hint
            if self._sf.ogg_order:
                self._order = audio_io.OGG_TO_WAV_ORDER.get(self._sf.channels)
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
                        raise exc from None
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
                        raise DecodeError(f"cannot decode {shown(Path(self.path).name)}: {exc}") from exc
                    self.duration = duration_hint
            elif ext in audio_io.SOUNDFILE_EXTENSIONS:
                # (a file of a format libsndfile reads that it refuses plays through ffmpeg
                # where ffmpeg decodes it: see audio_io.open_fallback)
                try:
                    self._open_fallback(refused=exc)
                except DecodeError:
                    raise DecodeError(f"cannot decode {shown(Path(self.path).name)}: {exc}") from exc
                self.duration = duration_hint
            else:
                self._open_fallback()
                self.duration = duration_hint
        if not self.samplerate or self.samplerate <= 0:
            self.close()
            raise DecodeError(f"cannot play {shown(Path(self.path).name)}: its sample rate is {self.samplerate} Hz")
        #: output frames returned so far, counted from the start of the file
        self.frame = 0
        try:
            self._make_resampler()
        except (ValueError, RuntimeError, MemoryError) as exc:
            self.close()
            raise DecodeError(f"cannot play {shown(Path(self.path).name)} at {self.samplerate} Hz: {exc}") from exc
        self._opened = _stamp(self.path)

    def _open_mp3(self) -> None:
        try:
            # (a long MP3 without a Xing header is not read whole to count it before it plays)
            self._blocks = audio_io.open_mp3(self.path, exact_length=False)
        except ImportError:  # no miniaudio (an install that predates it): ffmpeg streams MP3 too
            self._open_fallback()
            return
        except audio_io.AudioError as exc:
            raise DecodeError(str(exc)) from exc
        except OSError as exc:
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc.strerror or exc}") from exc
        self.samplerate = self._blocks.samplerate
        self.duration = self._blocks.frames / self.samplerate if self._blocks.frames else None

    def _open_fallback(self, refused: Exception | None = None) -> None:
        try:
            self._fallback = audio_io.open_fallback(self.path, refused=refused)
        except audio_io.AudioError as exc:
            raise DecodeError(str(exc)) from exc
        except OSError as exc:
            raise DecodeError(f"cannot open {shown(Path(self.path).name)}: {exc}") from exc
        self.samplerate = self._fallback.samplerate

    def _make_resampler(self) -> None:
        if self.samplerate != self.out_rate:
            import soxr

            self._resampler = soxr.ResampleStream(
                self.samplerate, self.out_rate, self.channels, dtype="float32", quality="HQ")
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
            if self._blocks.frames:
                self.duration = self._blocks.frames / self.samplerate
        elif self._sf is not None and self._sf.frames:
            self.duration = self._sf.frames / self.samplerate

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
    def finished(self) -> bool:
        return self._done and len(self._pending) == 0

    def _raw_block(self, n: int) -> np.ndarray | None:
        """Up to ``n`` native frames [shape=(k, channels)], or None at the end."""
        try:
            if self._blocks is not None:
                block = self._blocks.read(n)
                return _fit_channels(block, self.channels) if len(block) else None
            if self._sf is not None:
                block = self._sf.read(n)
                if self._order is not None:
                    block = block[:, self._order]
                return _fit_channels(block, self.channels) if len(block) else None
            block = next(self._fallback, None)
            return None if block is None else _fit_channels(np.asarray(block, np.float32), self.channels)
        except (sf.LibsndfileError, RuntimeError, ValueError, MemoryError, audio_io.AudioError) as exc:
            # (a reader's own error names the file again: its cause says what went wrong)
            raise DecodeError(f"decoding {shown(Path(self.path).name)} failed: {exc.__cause__ or exc}") from exc

    def _follow_rewrite(self) -> None:
        """A tag editor that rewrites the file in place (to make room for a cover, say) moves
        its audio under the open decoder, which then reads noise, fails or stops early. The
        file is opened again and read on from the same frame. A file replaced by a new one
        (another inode) or deleted leaves what is open readable, so that plays on as it is;
        one caught halfway through its rewrite is tried again at the next read."""
        now = _stamp(self.path)
        if now is None or self._opened is None or now == self._opened or now[0] != self._opened[0]:
            return
        fresh = None
        try:
            fresh = Decoder(self.path, out_rate=self.out_rate, channels=self.channels,
                            duration_hint=self._duration_hint)
            fresh.seek_frame(self.frame)
        except DecodeError:
            if fresh is not None:
                fresh.close()
            return
        self.close()
        self.__dict__.update(fresh.__dict__)

    def read(self, n: int) -> np.ndarray:
        """Up to ``n`` output frames [shape=(k, channels)]; an empty block means the end."""
        if not self._done:
            self._follow_rewrite()
        while len(self._pending) < n and not self._done:
            native = max(256, int(n * self.samplerate / self.out_rate) + 1)
            block = self._raw_block(native)
            if block is None:
                self._done = True
                self._update_duration()     # (an end before the length the header gave is the length)
                if self._resampler is not None:
                    tail = self._resampler.resample_chunk(np.zeros((0, self.channels), np.float32), last=True)
                    self._pending = np.concatenate([self._pending, tail])
                break
            if self._resampler is not None:
                block = self._resampler.resample_chunk(np.ascontiguousarray(block))
            self._pending = np.concatenate([self._pending, block]) if len(self._pending) else block
        out, self._pending = self._pending[:n], self._pending[n:]
        self.frame += len(out)
        return np.ascontiguousarray(out, dtype=np.float32)

    def seek_frame(self, frame: int) -> None:
        """Continue from output frame ``frame`` (clamped to the file)."""
        frame = max(0, int(frame))
        native = int(round(frame * self.samplerate / self.out_rate))
        self._pending = np.zeros((0, self.channels), np.float32)
        self._done = False
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
            try:
                self._fallback.seek(native)
            except (audio_io.AudioError, OSError) as exc:
                raise DecodeError(f"seeking in {shown(Path(self.path).name)} failed: {exc}") from exc
        self._make_resampler()
        self.frame = int(round(native * self.out_rate / self.samplerate))

    def close(self) -> None:
        if self._blocks is not None:
            self._blocks.close()
        if self._sf is not None:
            self._sf.close()
        if self._fallback is not None:
            self._fallback.close()
