"""What analysis decodes of a file, decoded in blocks: memory bounded whatever the file's length.

The tagger sees 3 s patches on a fixed grid of the whole file (16 kHz, hop 256, 187 frames
a patch, the first frame centred on the first sample). On a CPU it tags 16 evenly spaced
patches; on a GPU every patch. Analysis therefore decodes only *excerpts*:

- a file with more patches than the tagger keeps: one excerpt per kept patch (3 s each);
- otherwise the whole file, cut into chunks of whole patches (the last chunk runs to the end).

Each excerpt is read from the native-rate file (seeking where the decoder seeks exactly and
the excerpt lies further ahead than reading on costs as much as a seek, the reader's
``seek_ahead_s``; otherwise reading forward and discarding; where the decoder only reads
forward and its headers give the length only roughly, ffmpeg's WMA and Matroska, taken from
one decoding pass that passes on only the excerpts and the seconds around that length,
whose count is the exact one: :class:`_Selection`), mixed to mono block by block, and resampled on
its own, with 50 ms of real audio on each side so that the resampler's filter sees what it
would see in the whole file. The start is aligned so that the excerpt's output samples fall
exactly on the whole file's 16 kHz and 22,050 Hz sample grids. An excerpt's samples are
therefore those of the whole-file resampling at the same places (to float rounding), and
the STFT frames computed from them (``center=False`` on the padded excerpt) are the frames
the whole-file front end computes there, zero padding at the file's edges included.

Per excerpt a :class:`Piece` carries the 16 kHz audio for its tagger frames and the
22,050 Hz audio for the summaries (MFCC frames with the context their deltas need, and the
0.4 s loudness blocks of the whole file's grid that start inside the excerpt). Nothing else
is kept: at most one chunk of native audio (``CHUNK_NATIVE_SAMPLES``) is in memory (from
one pass, one part's excerpts and ``2 * TAIL_S`` around the headers' length).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np

TAG_SR, TAG_HOP, PATCH_FRAMES = 16000, 256, 187
SUM_SR, SUM_HOP = 22050, 512
DELTA_CONTEXT = 4                    # frames each side that a width-9 delta filter reads
LOUDNESS_BLOCK = int(0.4 * SUM_SR)   # 8820 samples: the 400 ms blocks of the loudness gate
MARGIN_S = 0.05                      # real audio each side of an excerpt for the resampler
CHUNK_NATIVE_SAMPLES = 1 << 22       # at most this many native samples per decoded chunk
TAIL_S = 10.0                        # the stretch each side of a header's length read to count the frames
READ_BLOCK = 1 << 16                 # frames per decoder read (x channels, float32)
PATCH_SAMPLES = PATCH_FRAMES * TAG_HOP  # 16 kHz samples between patch starts (2.992 s)


def resampled_length(n: int, sr_in: int, sr_out: int) -> int:
    """Samples soxr returns for ``n`` input samples (the rounded ratio, halves up)."""
    return (2 * n * sr_out + sr_in) // (2 * sr_in)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Excerpt:
    """One stretch of a file; positions on the whole file's grids.

    ``s0, s1``: its span in 16 kHz samples. ``f0, patches``: the tagger's log-mel frames
    ``[f0, f0 + 187 * patches)``; ``patches == 0`` for a file shorter than one patch (all its
    frames, repeat-padded by the tagger). ``j0, j1``: the MFCC frames it summarises, computed
    from frames ``[a, b)`` (delta context). ``k0, k1``: its loudness blocks; ``k1 == k0 == -1``
    for a file shorter than one block (the loudness of all its samples).
    """

    index: int
    count: int
    s0: int
    s1: int
    f0: int
    patches: int
    n_frames: int      # the tagger frames to compute
    j0: int
    j1: int
    a: int
    b: int
    k0: int
    k1: int


@dataclass
class FileGrid:
    """A file's length on each grid."""

    n_native: int
    sr: int
    n16: int
    n22: int
    frames16: int   # tagger log-mel frames of the whole file
    frames22: int   # MFCC frames of the whole file
    patches: int    # whole patches on the tagger grid
    blocks: int     # whole loudness blocks

    @classmethod
    def of(cls, n_native: int, sr: int) -> "FileGrid":
        n16, n22 = resampled_length(n_native, sr, TAG_SR), resampled_length(n_native, sr, SUM_SR)
        f16 = 1 + n16 // TAG_HOP
        return cls(n_native, sr, n16, n22, f16, 1 + n22 // SUM_HOP, f16 // PATCH_FRAMES,
                   n22 // LOUDNESS_BLOCK)


def plan_excerpts(grid: FileGrid, max_patches: int | None) -> list[Excerpt]:
    """The excerpts analysis decodes (see the module docstring), in file order."""
    whole = grid.patches == 0 or max_patches is None or grid.patches <= max_patches
    if grid.patches == 0:  # shorter than one patch: the whole file, one excerpt
        spans = [(0, grid.n16, 0, 0, grid.frames16)]
    elif not whole:
        chosen = np.unique(np.linspace(0, grid.patches - 1, max_patches).round().astype(int))
        spans = [(int(i) * PATCH_SAMPLES, (int(i) + 1) * PATCH_SAMPLES, int(i) * PATCH_FRAMES, 1,
                  PATCH_FRAMES) for i in chosen]
    else:
        per_patch_native = PATCH_SAMPLES * grid.sr / TAG_SR
        step = int(max(1, min(64, CHUNK_NATIVE_SAMPLES // max(per_patch_native, 1))))
        spans = []
        for first in range(0, grid.patches, step):
            p = min(step, grid.patches - first)
            s1 = (first + p) * PATCH_SAMPLES if first + p < grid.patches else max(grid.n16, (first + p) * PATCH_SAMPLES)
            spans.append((first * PATCH_SAMPLES, s1, first * PATCH_FRAMES, p, p * PATCH_FRAMES))
    out = []
    for i, (s0, s1, f0, patches, n_frames) in enumerate(spans):
        last = i == len(spans) - 1
        # MFCC frames whose centres (512 j / 22050 s) fall in [s0, s1) / 16000 s.
        j0 = _ceil_div(s0 * SUM_SR, TAG_SR * SUM_HOP)
        j1 = grid.frames22 if (last and whole) else min(grid.frames22, _ceil_div(s1 * SUM_SR, TAG_SR * SUM_HOP))
        j1 = max(j1, j0)
        a, b = max(0, j0 - DELTA_CONTEXT), min(grid.frames22, j1 + DELTA_CONTEXT)
        if grid.blocks == 0:
            k0 = k1 = -1
        else:
            k0 = min(grid.blocks, _ceil_div(s0 * SUM_SR, TAG_SR * LOUDNESS_BLOCK))
            k1 = grid.blocks if (last and whole) else min(grid.blocks, _ceil_div(s1 * SUM_SR, TAG_SR * LOUDNESS_BLOCK))
            k1 = max(k1, k0)
        out.append(Excerpt(i, len(spans), s0, s1, f0, patches, n_frames, j0, j1, a, b, k0, k1))
    return out


@dataclass
class Piece:
    """A decoded excerpt: ``y16`` = 16 kHz samples ``[256 f0 - 256, 256 (f0 + n_frames))``
    (zeros outside the file), ``y22`` = 22,050 Hz samples from ``y22_start`` covering the
    MFCC frames ``[a, b)`` and the loudness blocks ``[k0, k1)``."""

    path: str
    excerpt: Excerpt
    grid: FileGrid
    y16: np.ndarray
    y22: np.ndarray
    y22_start: int



def _ranges(e: Excerpt, grid: FileGrid) -> tuple[tuple[int, int], tuple[int, int]]:
    r16 = (TAG_HOP * e.f0 - TAG_HOP, TAG_HOP * (e.f0 + e.n_frames))
    lo22, hi22 = SUM_HOP * e.a - SUM_HOP, SUM_HOP * e.b
    if e.k0 >= 0 and e.k1 > e.k0:
        lo22, hi22 = min(lo22, LOUDNESS_BLOCK * e.k0), max(hi22, LOUDNESS_BLOCK * e.k1)
    elif e.k0 < 0:  # shorter than a block: the whole signal
        lo22, hi22 = min(lo22, 0), max(hi22, grid.n22)
    return r16, (lo22, hi22)


def _alignment(sr: int) -> int:
    """Native samples between instants that fall on both output grids (at most ``sr``)."""
    p16, p22 = sr // math.gcd(sr, TAG_SR), sr // math.gcd(sr, SUM_SR)
    period = p16 * p22 // math.gcd(p16, p22)
    return period if period <= sr else 1


def _whole(grid: FileGrid, max_patches: int | None) -> bool:
    """Whether analysis decodes the whole file (in chunks) rather than excerpts."""
    return grid.patches == 0 or max_patches is None or grid.patches <= max_patches


def _native_span(e: Excerpt, grid: FileGrid, align: int, margin: int) -> tuple[int, int]:
    """The native frames ``[start, end)`` an excerpt is resampled from: its audio, ``margin``
    more each side, the start on the ``align`` grid."""
    (lo16, hi16), (lo22, hi22) = _ranges(e, grid)
    t_lo = min(lo16 / TAG_SR, lo22 / SUM_SR)
    t_hi = max(hi16 / TAG_SR, hi22 / SUM_SR)
    start = max(0, (int(math.floor(t_lo * grid.sr)) - margin) // align * align)
    end = min(grid.n_native, int(math.ceil(t_hi * grid.sr)) + margin)
    return start, max(start, end)


def _part_spans(excerpts: list[Excerpt], first: int, stop: int, grid: FileGrid, align: int,
                margin: int) -> list[tuple[int, int]]:
    """The native spans of the excerpts from ``first`` that one part of analysis takes (it
    stops once :data:`CHUNK_NATIVE_SAMPLES` are used, as ``player.analysis`` does): what one
    pass of a :class:`_Selection` holds."""
    spans, used = [], 0
    for e in excerpts[first:stop]:
        spans.append(_native_span(e, grid, align, margin))
        used += (e.s1 - e.s0) * grid.sr // TAG_SR
        if used >= CHUNK_NATIVE_SAMPLES:
            break
    return spans


#: how a block's channels become the one signal analysed: ``mean`` (every file: of a file of
#: more than two channels, the mean of the stereo mix it plays as) or ``side``,
#: half the difference of a stereo file's two channels (L - R) / 2, which analysis tries only
#: where the mean came out silent (one channel's polarity inverted cancels in the mean)
MIXES = ("mean", "side")


def _mono(block: np.ndarray, mix: str = "mean", layout: tuple[str, ...] | None = None) -> np.ndarray:
    """``layout``: the names of the channels (the reader's), which a multichannel file is mixed
    by as playback mixes it (a plain mean of all six of a 5.1 file gave its LFE as much weight
    as its fronts, and its centre a sixth where playback gives it -3 dB)."""
    if not np.isfinite(block).all():  # float files can hold NaN/inf: they would poison the mel
        block = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
    if mix == "side":
        return (block[:, 0] - block[:, 1]) * np.float32(0.5)
    if block.shape[1] > 2 or (layout is not None and block.shape[1] == 2):   # (a pair that is not L and R)
        from segue_common.audio_io import mix_channels

        return mix_channels(block, 1, layout)[:, 0]
    return block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]


class _MonoSource:
    """Native-rate mono samples of a reader by absolute position, read forward in blocks."""

    def __init__(self, reader, mix: str = "mean"):
        self.reader = reader
        self.mix = mix
        self.pos = 0                 # the reader's position (frames)
        self.keep = np.zeros(0, np.float32)
        self.keep_start = 0          # absolute position of keep[0]
        self.end: int | None = None  # where the file really ended, once seen

    def take(self, start: int, stop: int) -> np.ndarray:
        """Mono samples ``[start, stop)``; shorter only where the file ends."""
        out = np.zeros(max(0, stop - start), np.float32)
        have = start
        k0, k1 = self.keep_start, self.keep_start + len(self.keep)
        if k0 <= start < k1:  # overlap with the previous excerpt (its right margin)
            n = min(stop, k1) - start
            out[:n] = self.keep[start - k0: start - k0 + n]
            have = start + n
        if have < stop and (self.end is None or have < self.end):
            ahead = int(self.reader.samplerate * self.reader.seek_ahead_s)
            if have < self.pos or (have > self.pos + ahead and self.reader.seekable):
                if not self.reader.seekable:
                    raise ValueError("forward-only reader asked to go back")  # the plan is sorted
                self.reader.seek(have)
                self.pos = have
            while self.pos < have:  # read forward and discard
                skip = self.reader.read(min(READ_BLOCK, have - self.pos))
                if len(skip) == 0:
                    self.end = self.pos
                    break
                self.pos += len(skip)
            while self.pos < stop and (self.end is None or self.pos < self.end):
                block = self.reader.read(min(READ_BLOCK, stop - self.pos))
                if len(block) == 0:
                    self.end = self.pos
                    break
                mono = _mono(block, self.mix, getattr(self.reader, "layout", None))
                out[self.pos - start: self.pos - start + len(mono)] = mono
                self.pos += len(mono)
        filled = stop - start if self.end is None else max(0, min(stop, self.end) - start)
        out = out[:filled]
        self.keep, self.keep_start = out, start
        return out


class _Selection:
    """Native-rate mono samples of some stretches of a file, from one pass of a forward-only
    reader that decodes the whole file but passes on only those (``reader.spans``).

    ``tail``: a stretch around the length the headers give; everything from its start to
    the end of the file is counted (its own samples kept), which gives ``length``, the
    frames decoding the whole file gives (None where nothing decodes from the tail's start:
    the headers said too much).
    """

    def __init__(self, reader, spans: list[tuple[int, int]], *, tail: tuple[int, int] | None = None,
                 length: int | None = None, mix: str = "mean"):
        merged: list[list[int]] = []
        for a, b in sorted([s for s in spans if s[1] > s[0]] + ([tail] if tail else [])):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        asked = [(a, b) for a, b in merged]
        if tail:  # the last stretch holds the tail (excerpts lie before the end): read on to the end
            asked[-1] = (asked[-1][0], None)
        self.starts = [a for a, _ in merged]
        self.bufs = [np.zeros(b - a, np.float32) for a, b in merged]
        got = [0] * len(merged)
        i, counted = 0, 0
        blocks = reader.spans(asked) if asked else iter(())
        try:
            for block in blocks:
                mono = _mono(block, mix, getattr(reader, "layout", None))
                while len(mono):
                    if i == len(merged) - 1 and tail:  # the open-ended last stretch: keep its start, count it all
                        k = min(len(mono), max(0, len(self.bufs[i]) - got[i]))
                        self.bufs[i][got[i]: got[i] + k] = mono[:k]
                        got[i] += k
                        counted += len(mono)
                        break
                    k = min(len(mono), len(self.bufs[i]) - got[i])
                    self.bufs[i][got[i]: got[i] + k] = mono[:k]
                    got[i] += k
                    mono = mono[k:]
                    if got[i] == len(self.bufs[i]):
                        i += 1
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()
        self.bufs = [buf[:g] for buf, g in zip(self.bufs, got)]
        if tail:
            length = self.starts[-1] + counted if counted else None
        self.length = length
        self.end = length            # (as _MonoSource's: where the file ends)

    def holds(self, start: int, stop: int) -> bool:
        """Whether samples ``[start, stop)`` were kept."""
        return any(a <= start and stop <= a + len(buf) for a, buf in zip(self.starts, self.bufs))

    def take(self, start: int, stop: int) -> np.ndarray:
        for a, buf in zip(self.starts, self.bufs):
            if a <= start and stop <= a + len(buf):
                return buf[start - a: stop - a]
        raise ValueError(f"samples [{start}, {stop}) were not kept")


def _select_first_part(reader, max_patches: int | None, first: int, limit: int | None, align: int,
                       margin: int, mix: str = "mean") -> _Selection | None:
    """Where a forward-only reader knows its length only roughly (``frames_hint``) and analysis
    takes excerpts: one pass for the excerpts of the first part, placed on that length, and
    for the frames around it, counted to give the exact length. None where that does not
    apply, or where the file decodes to less than the headers' length less :data:`TAIL_S`."""
    hint = reader.frames_hint
    if not hint or hint <= 0:
        return None
    grid = FileGrid.of(hint, reader.samplerate)
    if _whole(grid, max_patches):
        return None  # all of it, in chunks: read forward
    excerpts = plan_excerpts(grid, max_patches)
    stop = len(excerpts) if limit is None else min(len(excerpts), first + limit)
    if first >= stop:
        return None
    spans = _part_spans(excerpts, first, stop, grid, align, margin)
    reach = int(TAIL_S * reader.samplerate)
    selection = _Selection(reader, spans, tail=(max(0, hint - reach), hint + reach), mix=mix)
    return selection if selection.length else None


def _resample(x: np.ndarray, sr: int, sr_out: int) -> np.ndarray:
    if sr == sr_out or len(x) == 0:
        return x.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(x, sr, sr_out, quality="HQ").astype(np.float32, copy=False)


def _place(out_len: int, lo: int, seg: np.ndarray, seg_start: int, limit: int) -> np.ndarray:
    """Samples ``[lo, lo + out_len)`` of a signal of length ``limit`` from a piece of it
    starting at ``seg_start``; zeros outside the signal (the whole-file front end's padding)."""
    out = np.zeros(out_len, np.float32)
    a = max(lo, seg_start, 0)
    b = min(lo + out_len, seg_start + len(seg), limit)
    if b > a:
        out[a - lo: b - lo] = seg[a - seg_start: b - seg_start]
    return out


class _Range:
    """Frames ``[begin, end)`` of a reader as a reader of its own (``end`` None: to the file's
    end): a track of an album ripped as one file with a CUE sheet is analysed over its own
    stretch of the file, placed as if it were a file."""

    def __init__(self, reader, begin: int, end: int | None, path: str):
        self.reader, self.begin, self.end = reader, begin, end
        self.samplerate, self.channels = reader.samplerate, reader.channels
        self.seekable, self.seek_ahead_s = reader.seekable, reader.seek_ahead_s
        self.layout = getattr(reader, "layout", None)
        self.frames_hint = None     # (stretches of one pass are the whole file's: read it as a file)
        full = reader.frames if reader.frames is not None or end is not None else count_frames(path)
        stop = end if full is None else full if end is None else min(end, full)
        self.frames = max(0, stop - begin)
        self.pos = 0
        if begin:
            if reader.seekable:
                reader.seek(begin)
            else:
                left = begin
                while left > 0 and len(block := reader.read(min(READ_BLOCK, left))):
                    left -= len(block)

    def read(self, n: int) -> np.ndarray:
        block = self.reader.read(max(0, min(n, self.frames - self.pos)))
        self.pos += len(block)
        return block

    def seek(self, frame: int) -> None:
        self.reader.seek(self.begin + frame)
        self.pos = frame


def count_frames(path: str) -> int:
    """Frames of a file whose decoder does not know its length: one decoding pass, discarded."""
    from segue_common.audio_io import open_blocks

    n = 0
    with open_blocks(path) as reader:
        while len(block := reader.read(READ_BLOCK)):
            n += len(block)
    return n


def decode_pieces(path: str | os.PathLike, max_patches: int | None, *, first: int = 0,
                  limit: int | None = None, mix: str = "mean",
                  span: tuple[float, float | None] | None = None) -> Iterator[Piece]:
    """Decode the excerpts of ``path`` (those from ``first``, at most ``limit``), in order.

    ``mix``: how the channels are mixed to one (:data:`MIXES`); ``side`` takes a file with
    exactly two channels and raises ValueError for any other. ``span``: ``(begin_s, end_s)``,
    the stretch of the file to analyse as if it were the file (``end_s`` None: to its end).

    Raises what :func:`segue_common.audio_io.open_blocks` raises, and CorruptAudioError for a
    file with no samples.
    """
    from segue_common.audio_io import CorruptAudioError, open_blocks

    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}")
    path = str(path)
    with open_blocks(path) as whole:
        reader = whole
        if span is not None:
            sr = whole.samplerate
            reader = _Range(whole, int(round(span[0] * sr)), None if span[1] is None else int(round(span[1] * sr)),
                            path)
        if mix == "side" and reader.channels != 2:
            raise ValueError(f"the side mix takes two channels, not {reader.channels}")
        sr = reader.samplerate
        align, margin = _alignment(sr), int(math.ceil(MARGIN_S * sr))
        n, source = None, None
        if reader.frames_hint:
            # A forward-only reader (WMA, Matroska through ffmpeg) was read whole twice: once
            # to count its length, once on to the excerpts. One pass that passes on only the
            # excerpts, placed on the headers' length, and the last seconds (their count
            # the exact length) does instead, where that length places them as the exact one
            # does (else another pass, for the excerpts placed on the exact length). (A
            # reader that seeks gives the hint where that pass costs less than its jumps.)
            source = _select_first_part(reader, max_patches, first, limit, align, margin, mix)
            n = source.length if source is not None else None
        if n is None:
            n = reader.frames
        if n is None:
            n = count_frames(path)
        if n <= 0:
            raise CorruptAudioError(f"no audio in {os.path.basename(path)}")
        grid = FileGrid.of(n, sr)
        excerpts = plan_excerpts(grid, max_patches)
        stop = len(excerpts) if limit is None else min(len(excerpts), first + limit)
        selecting = source is not None
        if source is None:
            source = _MonoSource(reader, mix)
        for e in excerpts[first:stop]:
            (lo16, hi16), (lo22, hi22) = _ranges(e, grid)
            start, end = _native_span(e, grid, align, margin)
            if selecting and not source.holds(start, end):  # the next part's excerpts, or placed otherwise
                source = _Selection(reader, _part_spans(excerpts, e.index, stop, grid, align, margin), length=n,
                                    mix=mix)
            native = source.take(start, end)
            if source.end is not None and source.end <= start and e.index > 0:
                break  # the file is shorter than its header said: what is left is silence
            # Output sample k of a resampled piece sits at start * rate / sr + k: whole
            # numbers on both grids, thanks to the alignment (rates with no common grid
            # within a second are off by less than a sample).
            off16, off22 = round(start * TAG_SR / sr), round(start * SUM_SR / sr)
            y16 = _place(hi16 - lo16, lo16, _resample(native, sr, TAG_SR), off16, grid.n16)
            y22 = _place(hi22 - lo22, lo22, _resample(native, sr, SUM_SR), off22, grid.n22)
            del native
            yield Piece(path, e, grid, y16, y22, lo22)
