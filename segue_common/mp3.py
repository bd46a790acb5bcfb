"""MP3 read in blocks by dr_mp3 (the ``miniaudio`` package), seeking exactly in files of any length.

Why not libsndfile: version 1.2.2 returns stretches of zeros when some MP3s (low bit rates,
Xing headers) are read in several calls or after a seek; only a single whole-file read is
right, and that costs memory in proportion to the file. dr_mp3 decodes the same samples
(within 1e-4 of mpg123's: a few 16-bit steps) block by block, trimming the encoder delay
and padding that a LAME/Xing header records, so two halves of one track join without a gap.

Seeking is ours, not dr_mp3's: its seek decodes the whole file up to the target (seconds
into a two-hour mix) and, after the first read of a file with a LAME header, lands short by
the encoder delay. Instead, :class:`Mp3Reader` reads the frame headers once (a few bytes per
frame, remembering every 32nd frame's offset: a quarter of a byte per frame) and starts
a fresh decoder a few frames before the target, where the bit reservoir and the filter bank
have filled again. How many of those first frames the fresh decoder drops (their reservoir
data lies before its start) is measured by decoding them once from memory, so the position
of every sample is known and a seek lands on the exact sample a straight read would give.
Where the headers do not add up to dr_mp3's own count (a damaged or unusual file), seeking
falls back to decoding forward from the start: slower, still exact.

Tags other than one ID3v2 tag in front and an ID3v1 tag at the end are hidden from dr_mp3.
It keeps a frame only when another frame or the end of the data follows, so an APEv2 or
Lyrics3 tag at the end (MP3Gain and foobar2000 write one) would cost the last frame and
put a click in a gapless join; and it skips only the first ID3v2 tag in front, so behind
a second one it takes the Xing/LAME header for audio and trims neither the encoder delay
nor the padding. Such a file is decoded through a view of the file that holds only its
frames (:func:`audio_range`). So is a file whose frames carry a CRC: LAME writes its tag
frame with the CRC bit set but no CRC, and dr_mp3, looking for the tag after one, plays
that frame as audio and trims neither the delay nor the padding.

A Xing/Info header's frame count is trusted only while the file's bytes agree with it. Files
joined one after the other (chapters of an audiobook, a podcast with an advertisement put in
front) keep the first one's header, and a few encoders write a count of 0: dr_mp3 stops where
the count ends and the rest is never heard. A file cut short (an interrupted download or
copy) keeps the header of the whole file: dr_mp3 plays what is there, but its length was the
header's, minutes longer. Where the bytes after the header hold clearly more or fewer frames
than it counts (judged from its byte count and the length of the frames at a few places,
without reading the file through), the frame headers are counted, and where they hold more
or fewer, they decide: the file is decoded through a view that starts after the Xing frame,
which dr_mp3 then never sees, the encoder delay the header gives is dropped here, and every
frame plays (the padding the header gives may belong to a file that ends part-way through,
or to an end that is gone).
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import NamedTuple

import numpy as np

from segue_common.regular_file import open_regular_file

CHECKPOINT = 32           # frames between the remembered frame offsets
WARMUP_FRAMES = 8         # fresh decoder starts at least this many frames before the target's
FORWARD_DECODE_S = 2.0    # a forward seek this short decodes through instead
EXACT_COUNT_BYTES = 32 << 20   # files up to this size without a Xing header are counted on open
_SCAN_CHUNK = 1 << 20
SYNC_MATCHES = 10         # frames that must follow a sync word before minimp3 trusts it
MAX_FRAME_BYTES = 2881    # MPEG-2 layer II at 160 kbit/s and 8 kHz, with padding
SAMPLE_PLACES = 4         # places whose frames are measured to check a Xing header's count
SAMPLE_FRAMES = 64        # frames measured at each, in at most
SAMPLE_BYTES = 32 << 10   # bytes read there
START_BYTES = 32 << 10    # the start of a file's audio (about 2 s), whose frames' bit rates tell CBR from VBR

# Bit rates (kbit/s) by [MPEG-1?][layer 1..3][index]; sample rates by version bits.
_KBPS = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_header_cache: dict = {}
_NEEDED = ("ma_dr_mp3_init_file", "ma_dr_mp3_init_memory", "ma_dr_mp3_read_pcm_frames_f32",
           "ma_dr_mp3_read_pcm_frames_s16", "ma_dr_mp3_seek_to_pcm_frame", "ma_dr_mp3_get_pcm_frame_count",
           "ma_decoder_init", "ma_decoder_read_pcm_frames", "_internal_decoder_read_callback")


class Mp3Error(Exception):
    """dr_mp3 could not read the file (open, decode or seek); the message names it."""


def frame_header(h: int):
    """A 32-bit MPEG audio frame header -> (frame bytes, samples per frame, compare key,
    side-info bytes incl. CRC) or None where it is no valid header (minimp3's rules; free
    format, whose frame length no header gives, counts as invalid here)."""
    key = h & 0xFFFFFEC0  # sync, version, layer, CRC, rates, padding, channel mode
    hit = _header_cache.get(key)
    if hit is not None or key in _header_cache:
        return hit
    b1, b2, b3 = (h >> 16) & 0xFF, (h >> 8) & 0xFF, h & 0xFF
    result = None
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    valid = (h >> 21) == 0x7FF and layer_bits != 0 and (b2 >> 4) not in (0, 15) and (b2 >> 2) & 3 != 3 and (
        (b1 & 0xF0) == 0xF0 or (b1 & 0xFE) == 0xE2)
    if valid:
        layer = 4 - layer_bits
        mpeg1 = version == 3
        kbps = _KBPS[(mpeg1, layer)][b2 >> 4]
        rate = _RATES[version][(b2 >> 2) & 3]
        spf = 384 if layer == 1 else (1152 if mpeg1 or layer == 2 else 576)
        size = spf * kbps * 125 // rate
        if layer == 1:
            size = (size & ~3) + (4 if b2 & 2 else 0)
        else:
            size += 1 if b2 & 2 else 0
        mono = (b3 >> 6) == 3
        side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
        crc = 0 if b1 & 1 else 2
        result = (size, spf, (b1 & 0xFE, b2 & 0x0C), side + crc if layer == 3 else None)
    _header_cache[key] = result
    return result


def _u32(buf, i: int) -> int:
    return int.from_bytes(buf[i:i + 4], "big")


def _id3v2_size(head: bytes) -> int:
    """The length of the ID3v2 tag whose first 10 bytes are ``head``, else 0."""
    if len(head) == 10 and head[:3] == b"ID3":
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9] & 0x7F
        return 10 + size + (10 if head[5] & 0x10 else 0)
    return 0


def _tail_tag(f, start: int, end: int) -> tuple[str, int] | None:
    """The kind and length of the tag that ends at ``end`` (ID3v1, APEv2, Lyrics3 or an ID3v2
    tag with a footer), or None where the bytes before ``end`` are no tag ending."""
    f.seek(max(start, end - 160))
    tail = f.read(end - max(start, end - 160))
    if len(tail) >= 32 and tail[-32:-24] == b"APETAGEX":
        size, flags = int.from_bytes(tail[-20:-16], "little"), int.from_bytes(tail[-12:-8], "little")
        total = size + (32 if flags & 0x80000000 else 0)    # the size leaves out a header
        if 32 <= total <= end - start:
            return "apev2", total
    if len(tail) >= 128 and tail[-128:-125] == b"TAG":
        return "id3v1", 128
    if len(tail) >= 15 and tail[-9:] == b"LYRICS200" and tail[-15:-9].isdigit():
        total = int(tail[-15:-9]) + 15
        f.seek(end - total)
        if total <= end - start and f.read(11) == b"LYRICSBEGIN":
            return "lyrics3", total
    if len(tail) >= 9 and tail[-9:] == b"LYRICSEND":            # version 1: at most 5100 bytes
        f.seek(max(start, end - 5100 - 20))
        block = f.read(end - max(start, end - 5100 - 20))
        at = block.rfind(b"LYRICSBEGIN")
        if at >= 0:
            return "lyrics3", len(block) - at
    if len(tail) >= 10 and tail[-10:-7] == b"3DI":             # an ID3v2.4 tag appended at the end
        total = _id3v2_size(b"ID3" + tail[-7:])           # (header, body and this footer)
        f.seek(end - total)
        if total <= end - start and f.read(3) == b"ID3":
            return "id3v2", total
    return None


def audio_range(f, size: int) -> tuple[int, int, bool]:
    """Where the frames of an MP3 file of ``size`` bytes lie, every tag in front and at the
    end left out: (start, end, plain). ``plain``: at most one ID3v2 tag in front and nothing
    after the frames but an ID3v1 tag, the files dr_mp3 reads right on its own."""
    start = leading = 0
    while start < size:
        f.seek(start)
        tag = _id3v2_size(f.read(10))
        if not tag:
            break
        start, leading = start + tag, leading + 1
    start = min(start, size)
    end, kinds = size, []
    while end > start:
        found = _tail_tag(f, start, end)
        if found is None:
            break
        kinds.append(found[0])
        end -= found[1]
    return start, end, leading <= 1 and kinds in ([], ["id3v1"])


class XingTag(NamedTuple):
    """A Xing/Info header as :func:`xing_tag` reads it."""
    size: int               # the bytes of the frame that holds it
    frames: int | None      # the audio frames it counts (the header's own left out)
    bytes: int | None       # the bytes it counts
    delay: int              # the samples dr_mp3 trims at the start (the encoder's delay and the decoder's)
    padding: int            # and at the end
    protected: bool         # the frame has the CRC bit (but no CRC: dr_mp3 would play it)


def xing_tag(buf: bytes) -> XingTag | None:
    """The Xing/Info header in the MP3 frame at the start of ``buf`` (2 KB hold any), or None
    where that frame is audio. The delay and padding of its LAME tag are taken as dr_mp3 (and
    mpg123) take them: the decoder's own delay of 529 samples moved from the end to the start.
    Read whatever encoder wrote the tag: ffmpeg's (which names itself Lavc, not LAME) too."""
    hdr = frame_header(_u32(buf, 0)) if len(buf) >= 4 else None
    if hdr is None:
        return None
    size, _, _, side = hdr
    if side is None or size > len(buf):
        return None
    frame = buf[:size]
    # LAME writes its tag frame with the CRC bit of the stream's frames but no CRC, so the
    # tag follows the side information at once (where ffmpeg, mpg123 and mutagen look).
    # dr_mp3 looked behind a CRC, missed it and played the frame as audio, the encoder
    # delay and padding left in; a tag frame with the CRC bit is never shown to it.
    protected = not buf[1] & 1
    for tag in (4 + side - 2, 4 + side) if protected else (4 + side,):
        if size - tag >= 8 and frame[tag:tag + 4] in (b"Xing", b"Info"):
            break
    else:
        return None
    counts: dict = {}
    flags, p = frame[tag + 7], tag + 8
    for bit, n in ((1, 4), (2, 4), (4, 100), (8, 4)):
        if flags & bit:
            if size - p < n:
                return XingTag(size, counts.get(1), counts.get(2), 0, 0, protected)
            if bit in (1, 2):
                counts[bit] = _u32(frame, p)
            p += n
    delay = padding = 0
    if p < size and frame[p] and size - p >= 36:
        lame = frame[p + 21: p + 24]
        delay = ((lame[0] << 4) | (lame[1] >> 4)) + 529
        padding = max(0, (((lame[1] & 0xF) << 8) | lame[2]) - 529)
    return XingTag(size, counts.get(1), counts.get(2), delay, padding, protected)


class FrameIndex:
    """Where the audio frames of an MP3 file lie: every :data:`CHECKPOINT`-th frame's offset.

    On creation only the start of the file is read: ``spf`` (samples per frame), ``delay``
    and ``padding`` (the samples dr_mp3 trims at each end, from a LAME header),
    ``xing_frames`` and ``xing_bytes`` (the frame and byte counts a Xing/Info header gives, else
    None) and ``bytes_per_frame`` (the first audio frame's). :meth:`scan` reads every frame
    header: ``frames`` (audio frames, a Xing/Info frame excluded) and ``checkpoints``. ``ok``
    (set by the reader): whether the scanned frames add up to dr_mp3's own count.
    ``audio_start`` and ``size`` bound the bytes looked at: the frames, the tags around them
    left out (:func:`audio_range`); ``plain`` tells whether dr_mp3 reads the whole file right.
    ``breaks``: how often the scan met junk between frames and looked for them again.
    """

    def __init__(self, f, size: int):
        self.f, self.file_size = f, size
        self.audio_start, self.size, self.plain = audio_range(f, size)
        self.delay = self.padding = 0
        self.checkpoints = array("q")
        self.frames = self.spf = 0
        self.frames_end = 0
        self.xing_frames: int | None = None
        self.xing_bytes: int | None = None
        self.bytes_per_frame = 0.0
        self.ref = None
        self.ok = False
        self.scanned = False
        self.breaks = 0
        self.tag_unseen = False     # a Xing/Info frame dr_mp3 would play as audio
        self.start = self._first_frame(self.audio_start)
        if self.start is None:
            return
        size_, self.spf, self.ref = frame_header(_u32(self._read(self.start, 4), 0))[:3]
        self.start = self._skip_xing(self.start)
        head = self._read(self.start, 4)
        hdr = frame_header(_u32(head, 0)) if len(head) == 4 else None
        self.bytes_per_frame = float(hdr[0] if hdr else size_)

    def scan(self) -> None:
        if not self.scanned and self.start is not None:
            self._scan(self.start)
        self.scanned = True

    def estimated_samples(self) -> int:
        """The length from the file's size and the first frame's (right for constant bit rates)."""
        if not self.bytes_per_frame:
            return 0
        return max(0, int((self.size - self.start) / self.bytes_per_frame) * self.spf - self.delay - self.padding)

    def _read(self, pos: int, n: int) -> bytes:
        """Up to ``n`` bytes from ``pos``, none from the tags after the frames."""
        self.f.seek(pos)
        return self.f.read(max(0, min(n, self.size - pos)))

    def _chain(self, buf, i: int, ref) -> bool:
        """Whether frames follow one another from buf[i] as minimp3 wants before it trusts a
        sync word: up to :data:`SYNC_MATCHES` more, or as many as the data holds."""
        hdr = frame_header(_u32(buf, i)) if i + 4 <= len(buf) else None
        if hdr is None or (ref is not None and hdr[2] != ref):
            return False
        ref = hdr[2]
        for matched in range(SYNC_MATCHES):
            i += hdr[0]
            if i + 4 > len(buf):
                return matched > 0 or i == len(buf)
            hdr = frame_header(_u32(buf, i))
            if hdr is None or hdr[2] != ref:
                return False
        return True

    def _find(self, pos: int, ref) -> int | None:
        """The first place from ``pos`` where frames follow one another, or None."""
        while pos < self.size - 4:
            buf = self._read(pos, _SCAN_CHUNK)
            tail = pos + len(buf) >= self.size
            limit = len(buf) - 4 if tail else len(buf) - (SYNC_MATCHES + 1) * MAX_FRAME_BYTES
            i = buf.find(b"\xff", 0, max(0, limit))
            while i >= 0:
                if self._chain(buf, i, ref):
                    return pos + i
                i = buf.find(b"\xff", i + 1, limit)
            if tail:
                return None
            pos += limit
        return None

    def _first_frame(self, pos: int) -> int | None:
        return self._find(pos, None)

    def _skip_xing(self, start: int) -> int:
        """After the first frame if it is a Xing/Info header (dr_mp3 plays it as nothing),
        noting its LAME delay and padding as dr_mp3 reads them."""
        tag = xing_tag(self._read(start, 2048))
        if tag is None:
            return start
        self.tag_unseen = tag.protected
        self.xing_frames, self.xing_bytes = tag.frames, tag.bytes
        self.delay, self.padding = tag.delay, tag.padding
        return start + tag.size

    def _scan(self, pos: int) -> None:
        """Count the frames as minimp3 takes them: a frame counts when the next one follows
        it or nothing does; after junk it looks for a fresh run of frames. ``frames_end``:
        where the last frame counted ends."""
        buf, at, n, last_end = b"", pos, 0, pos
        ref, checkpoints = self.ref, self.checkpoints
        while True:
            i = pos - at
            if i + 4 + MAX_FRAME_BYTES > len(buf) and at + len(buf) < self.size:
                buf, at, i = self._read(pos, _SCAN_CHUNK), pos, 0
            hdr = frame_header(_u32(buf, i)) if i + 4 <= len(buf) else None
            if hdr is None or hdr[2] != ref or pos + hdr[0] > self.size:
                nxt = self._find(pos + 1, ref) if hdr is not None or i + 4 <= len(buf) else None
                if nxt is None:
                    break
                pos = nxt
                self.breaks += 1
                continue
            j = i + hdr[0]
            nxt_hdr = frame_header(_u32(buf, j)) if j + 4 <= len(buf) else None
            if nxt_hdr is None or nxt_hdr[2] != ref:
                # Junk or the end follows: the frame counts only if no frames come after it.
                after = self._find(pos + hdr[0], ref)
                if after is not None:
                    pos = after
                    self.breaks += 1
                    continue
                if n % CHECKPOINT == 0:
                    checkpoints.append(pos)
                n += 1
                last_end = pos + hdr[0]
                break
            if n % CHECKPOINT == 0:
                checkpoints.append(pos)
            n += 1
            pos += hdr[0]
            last_end = pos
        self.frames, self.frames_end = n, last_end

    def expected_samples(self) -> int:
        return self.frames * self.spf - self.delay - self.padding

    def xing_samples(self) -> int | None:
        """The length the Xing header gives (its frames, the delay and padding trimmed), or None."""
        if self.xing_frames is None:
            return None
        return max(0, self.xing_frames * self.spf - self.delay - self.padding)

    def xing_miscounts(self) -> bool:
        """Whether the bytes after a Xing/Info header clearly hold another number of frames
        than it counts, judged without reading them through: a count that leaves nothing to
        play; more or fewer bytes than the header's own byte count (which takes in the
        header's frame); or more or fewer frames than the count at the mean length of the
        frames at a few places through the file. More: files joined one after the other, a
        count of 0. Fewer: a file cut short (an interrupted download or copy keeps the header
        of the whole file). A variable bit rate misjudged here costs only a :meth:`scan`,
        which then decides."""
        n = self.xing_frames
        if n is None:
            return False
        if n * self.spf <= self.delay + self.padding:
            return True
        audio = self.size - self.start
        if self.xing_bytes is not None and abs(audio - self.xing_bytes) > self.xing_bytes // 100 + 4 * MAX_FRAME_BYTES:
            return True
        mean = self._mean_frame_bytes()
        return mean > 0 and not (n - 8) / 1.5 <= audio / mean <= 1.5 * n + 8

    def frame_lengths_vary(self) -> bool:
        """Whether the frames at :data:`SAMPLE_PLACES` places through the file are, on average,
        more than a padding byte longer or shorter than the first audio frame: a variable bit
        rate, whose length the file's size at the first frame's bit rate misjudges (where they
        happen to average within a byte of it, that estimate is as close). For a file whose
        first frames (:func:`constant_bit_rate_at_start`) cannot tell."""
        mean = self._mean_frame_bytes() if self.start is not None else 0.0
        return mean > 0 and abs(mean - self.bytes_per_frame) > 1.0

    def _mean_frame_bytes(self) -> float:
        """The mean length of the frames found at :data:`SAMPLE_PLACES` places from the first
        audio frame to the end, up to :data:`SAMPLE_FRAMES` at each, or 0 where none are found."""
        total = count = 0
        for k in range(SAMPLE_PLACES):
            buf = self._read(self.start + (self.size - self.start) * k // SAMPLE_PLACES, SAMPLE_BYTES)
            i = buf.find(b"\xff")
            while i >= 0 and not self._chain(buf, i, self.ref):
                i = buf.find(b"\xff", i + 1)
            for _ in range(SAMPLE_FRAMES if i >= 0 else 0):
                hdr = frame_header(_u32(buf, i)) if i + 4 <= len(buf) else None
                if hdr is None or hdr[2] != self.ref or i + hdr[0] > len(buf):
                    break
                total, count, i = total + hdr[0], count + 1, i + hdr[0]
        return total / count if count else 0.0

    def frames_from(self, checkpoint: int, count: int) -> tuple[bytes, list[int]]:
        """The bytes of ``count`` frames from a checkpoint and where each starts in them."""
        pos = self.checkpoints[checkpoint]
        est = count * MAX_FRAME_BYTES + 4
        buf = self._read(pos, est)
        starts, i = [], 0
        while len(starts) < count:
            if i + 4 > len(buf):
                break
            hdr = frame_header(_u32(buf, i))
            if hdr is None or hdr[2] != self.ref:
                break
            starts.append(i)
            i += hdr[0]
        return buf[:i], starts


def vbri_frames(buf: bytes) -> int | None:
    """The frames a VBRI header (Fraunhofer's encoder's, in place of a Xing one: 32 bytes after
    the frame header, whatever the channels) counts in the MP3 frame at the start of ``buf``,
    or None where that frame holds none."""
    if len(buf) >= 4 + 32 + 18 and frame_header(_u32(buf, 0)) is not None and buf[36:40] == b"VBRI":
        return _u32(buf, 36 + 14)
    return None


def holds_whole(f, size: int) -> bool:
    """Whether the MP3 file ``f`` (open, binary, ``size`` bytes) holds all its frames: as many
    whole frames as its Xing/Info or VBRI header counts (where it holds more, frames whole to
    its end as well), or, with no such header (no count to hold it to), frames that run whole
    to the end of its audio (a cut almost never falls between two frames: an encoder or
    tagger that wrote the file through ends with a whole frame and its tags). Every frame
    header is read (no audio decoded): a pass over the file's bytes, made only when a file
    rewritten as it played is smaller than it was. False where the file's audio does not
    start with a frame (no MP3 file: nothing is searched for in it)."""
    f.seek(audio_range(f, size)[0])
    head = f.read(4)
    if len(head) < 4 or frame_header(_u32(head, 0)) is None:
        return False
    index = FrameIndex(f, size)
    if index.start is None:
        return False
    count = index.xing_frames
    vbri = vbri_frames(index._read(index.start, 64)) if count is None else None
    index.scan()
    ends_whole = index.frames > 0 and index.frames_end == index.size
    # (more frames than counted: files joined one after the other keep the first one's header,
    # whose count then says nothing of where the rest ends)
    if count is not None:
        return 0 < count <= index.frames and (count == index.frames or ends_whole)
    if vbri is not None:
        # (the VBRI frame is counted by the scan as audio: dr_mp3 plays it as silence)
        return 0 < vbri <= index.frames and (index.frames <= vbri + 1 or ends_whole)
    return ends_whole


def constant_bit_rate_at_start(f, offset: int) -> bool | None:
    """Whether the frames from ``offset`` (the first audio frame) in the first
    :data:`START_BYTES` of the file ``f`` are of one bit rate above the lowest (True), of
    several (False), or cannot tell (None: all at the lowest, which an encoder of a variable
    bit rate gives silence, or no frames there)."""
    f.seek(offset)
    buf = f.read(START_BYTES)
    first = frame_header(_u32(buf, 0)) if len(buf) >= 4 else None
    if first is None:
        return None
    rates, i = set(), 0
    while i + 4 <= len(buf):
        hdr = frame_header(_u32(buf, i))
        if hdr is None or hdr[2] != first[2]:
            break
        rates.add(buf[i + 2] >> 4)
        i += hdr[0]
    if len(rates) > 1:
        return False
    return True if min(rates) > 1 else None


class _FileView:
    """The bytes of a file from ``start`` to ``size`` (an offset in the file), as a miniaudio
    streamable source."""

    def __init__(self, f, start: int, size: int):
        import miniaudio

        class Source(miniaudio.StreamableSource):
            def read(inner, num_bytes: int) -> bytes:
                f.seek(start + inner.cursor)
                data = f.read(max(0, min(num_bytes, size - start - inner.cursor)))
                inner.cursor += len(data)
                return data

            def seek(inner, offset: int, origin) -> bool:
                if origin == miniaudio.SeekOrigin.START:
                    inner.cursor = offset
                elif origin == miniaudio.SeekOrigin.CURRENT:
                    inner.cursor += offset
                else:
                    inner.cursor = size - start + offset
                inner.cursor = min(max(0, inner.cursor), size - start)
                return True

        self.source = Source()
        self.source.cursor = 0


class Mp3Reader:
    """An MP3 file read in blocks of float32 frames [shape=(n, channels)], seeking exactly.

    ``samplerate``, ``channels`` and ``frames`` are known on open. ``frames`` is the length
    dr_mp3 decodes (the encoder's delay and padding trimmed) where a Xing/Info header gives it
    or the file is small; a long file without one would have to be read whole to count it (a
    stall of seconds before a two-hour mix starts from a slow disk), so there it is estimated
    from the file's size (``frames_exact`` False) until a far seek reads the frame headers,
    :meth:`count_exactly` is called, or the end is reached. Where the frames hold clearly more
    than a Xing/Info header counts, they decide (see the module's notes). Raises ImportError
    where the ``miniaudio`` package is missing, OSError where the file cannot be opened, and
    :class:`Mp3Error` where dr_mp3 cannot read it. A context manager.
    """

    def __init__(self, path: str):
        import miniaudio

        if not all(hasattr(miniaudio.lib, name) for name in _NEEDED):
            raise ImportError(f"miniaudio {getattr(miniaudio, '__version__', '?')} predates the dr_mp3 calls used here")
        self._ffi, self._lib, self._ma = miniaudio.ffi, miniaudio.lib, miniaudio
        self.path = path
        self._name_fd = None
        self._mp3 = None        # the main decoder: dr_mp3 on the file by name, for a plain file
        self._main = None       # or an ma_decoder on a view of its frames (see :func:`audio_range`)
        self._main_view = None
        self._dec = None        # a decoder started mid-file by a seek (ma_decoder), or None
        self._view = None
        self._index_checked = False
        self._xing_wrong = False    # the frames hold more or fewer than the Xing header counts
        self._main_at = 0       # where in the file the view of the main decoder starts
        self._skip = 0          # samples the main decoder gives before the first that plays
        self._failed: OSError | None = None    # reading the file failed in the system (see read)
        self._f = open_regular_file(path)   # (a named pipe by its name would wait for a writer for ever)
        try:
            self._index = FrameIndex(self._f, os.fstat(self._f.fileno()).st_size)
            self._open_main()
        except BaseException:
            self.close()
            raise
        self.pos = 0             # the next sample's position (delay trimmed)

    def _open_main(self) -> None:
        idx = self._index
        if idx.xing_miscounts():
            idx.scan()
            # (a count one frame off is no reason to read the file another way)
            self._xing_wrong = abs(idx.frames - idx.xing_frames) > 1
            if self._xing_wrong:
                # Every frame plays, less the encoder delay at the start: the padding the
                # header gives may belong to the end of a file that stops part-way through,
                # and a file cut short has lost the end it belongs to.
                idx.padding = 0
        if not idx.plain or self._xing_wrong or idx.tag_unseen:
            self._open_main_view()
            return
        lib = self._lib
        # dr_mp3 opens a name itself: by the song's, it opened whatever the name led to by
        # then, and a song swapped for a named pipe since it was checked here waited for a
        # writer for ever (and the player with it). Where the system can (Linux), it is handed
        # the file checked instead, as /proc/self/fd/N, a fresh opening of that same file (kept
        # open until close); that also spares a name that is not valid UTF-8, which dr_mp3
        # encodes strictly. (Elsewhere /dev/fd/N would share this file's place with the index.)
        name = self.path
        if os.name != "nt" and os.path.isdir("/proc/self/fd"):
            self._name_fd = os.dup(self._f.fileno())
            name = f"/proc/self/fd/{self._name_fd}"
        self._name = name
        self.frames_exact = False
        mp3 = self._dr_mp3()
        if mp3 is None:
            raise Mp3Error(f"cannot decode {Path(self.path).name}: not an MP3 stream dr_mp3 reads")
        self._mp3 = mp3
        # A first pass straight after opening ends a few hundred samples early in files with
        # a large ID3v2 tag and an ID3v1 tag (measured: 440,687 of 441,000); after a seek to
        # the start dr_mp3 reads them all, as libsndfile does.
        lib.ma_dr_mp3_seek_to_pcm_frame(mp3, 0)
        self._set_format(int(mp3.sampleRate), int(mp3.channels))

    def _open_main_view(self) -> None:
        """The main decoder for a file with more tags than dr_mp3 passes over: an ma_decoder
        on the bytes from the end of the ID3v2 tags in front to the start of the tags at the
        end (no name needed: the file is already open, on every system). Where the Xing
        header counts too few frames, the view starts after it, so that dr_mp3 does not stop
        where the count ends, and the encoder delay it gives is dropped here. So too where
        the header's frame has the CRC bit (dr_mp3 would play it, delay and padding kept)."""
        idx = self._index
        self.frames_exact = False
        self._main_at = idx.audio_start
        if self._xing_wrong or idx.tag_unseen:
            self._main_at, self._skip = idx.start, idx.delay
        self._main, self._main_view = self._decoder(self._main_at, 0, 0)
        self._set_format(int(self._main.outputSampleRate), int(self._main.outputChannels))
        self._discard(self._skip)

    def _set_format(self, samplerate: int, channels: int) -> None:
        self.samplerate, self.channels = samplerate, channels
        if self.samplerate <= 0 or self.channels <= 0:
            raise Mp3Error(f"no audio in {Path(self.path).name}")
        idx = self._index
        trusted = idx.xing_frames is not None and not self._xing_wrong
        # (where the Xing header was overruled, the frame headers are read already)
        if trusted or ((self._xing_wrong or idx.file_size <= EXACT_COUNT_BYTES) and self._countable()):
            self.count_exactly()
        else:
            self.frames = idx.expected_samples() if self._xing_wrong else idx.estimated_samples()
            self.frames_exact = False

    def _countable(self) -> bool:
        """Whether the samples can be counted without decoding them: by dr_mp3 on a plain
        file, else from frame headers that no junk breaks. A damaged tagged file is not
        decoded whole before it plays (seconds, while the track before it may be running
        out of buffered sound); its length is estimated until the end is read."""
        if self._mp3 is not None:
            return True
        idx = self._index
        idx.scan()
        return idx.frames > 0 and not idx.breaks

    def _dr_mp3(self):
        """A dr_mp3 decoder on the file from its start, or None if dr_mp3 cannot read it."""
        ffi, lib = self._ffi, self._lib
        mp3 = ffi.new("ma_dr_mp3 *")
        if os.name == "nt":
            ok = lib.ma_dr_mp3_init_file_w(mp3, self._ma._get_filename_bytes_w(self._name), ffi.NULL)
        else:
            ok = lib.ma_dr_mp3_init_file(mp3, os.fsencode(self._name), ffi.NULL)
        return mp3 if ok else None

    def count_exactly(self) -> int:
        """dr_mp3's count of the samples (a pass over the frame headers without a Xing header),
        by a decoder of its own: the one playing stays where it is."""
        if not self.frames_exact:
            if self._mp3 is not None:
                mp3 = self._dr_mp3()
                if mp3 is not None:
                    self.frames = int(self._lib.ma_dr_mp3_get_pcm_frame_count(mp3))
                    self._lib.ma_dr_mp3_uninit(mp3)
            else:
                self.frames = self._count_view()
            self.frames_exact = True
        return self.frames

    def take_count(self, frames: int) -> None:
        """The length as another reader of the same file counted it (:meth:`count_exactly`, on
        a thread of its own while this one plays)."""
        if not self.frames_exact:
            self.frames, self.frames_exact = int(frames), True

    def _count_view(self) -> int:
        """The samples in the view the main decoder reads, where dr_mp3 cannot count them by
        name. As dr_mp3 counts: from the Xing header where there is one (and its count is not
        overruled). Else from the frame headers, which the view ends after the last of, so it
        counts as minimp3 plays it; where the frames were broken by junk the scan may judge
        unlike minimp3, so there they are counted by decoding them (slow, but only for damaged
        files)."""
        idx = self._index
        if idx.xing_frames is not None and not self._xing_wrong:
            return idx.xing_samples()
        idx.scan()
        if idx.frames and not idx.breaks:
            return idx.expected_samples()
        trim = self._skip       # (past an overruled Xing header the delay is dropped here)
        dec, _view = self._decoder(self._main_at, self.channels, self.samplerate)
        try:
            total, block = 0, 1 << 16
            out = np.empty((block, self.channels), np.float32)
            ptr = self._ffi.cast("float *", self._ffi.from_buffer(out))
            with self._ffi.new("ma_uint64 *") as got_p:
                while True:
                    got_p[0] = 0
                    result = self._lib.ma_decoder_read_pcm_frames(dec, ptr, block, got_p)
                    total += int(got_p[0])
                    if result != self._lib.MA_SUCCESS or got_p[0] < block:
                        return max(0, total - trim)
        finally:
            self._lib.ma_decoder_uninit(dec)

    # -- reading --------------------------------------------------------------------------
    def _decode(self, n: int) -> np.ndarray:
        """Up to ``n`` samples from whichever decoder is current (fewer only at its end)."""
        out = np.empty((n, self.channels), np.float32)
        ptr = self._ffi.cast("float *", self._ffi.from_buffer(out))
        if self._dec is None and self._mp3 is not None:
            got = int(self._lib.ma_dr_mp3_read_pcm_frames_f32(self._mp3, n, ptr))
        else:
            dec, view = (self._dec, self._view) if self._dec is not None else (self._main, self._main_view)
            with self._ffi.new("ma_uint64 *") as got_p:
                result = self._lib.ma_decoder_read_pcm_frames(dec, ptr, n, got_p)
                got = int(got_p[0]) if result in (self._lib.MA_SUCCESS, self._lib.MA_AT_END) else 0
            err = view.source.error_in_readcallback
            if err is not None:
                raise Mp3Error(f"cannot read {Path(self.path).name}: {err}") from err
        return out[:got]

    def read(self, n: int) -> np.ndarray:
        if self._failed is not None:
            raise self._failed
        want = max(0, min(n, self.frames - self.pos) if self.frames_exact else n)
        block = self._decode(want) if want else np.zeros((0, self.channels), np.float32)
        self.pos += len(block)
        if len(block) < want:
            self._failed = self._read_failure()
            if self._failed is not None:
                if not len(block):
                    raise self._failed
                return block    # (what was decoded before it first)
            # The end: now it is known, also where it comes before a count that said more (a
            # file whose end is lost in a way its bytes do not show, such as zeros in its place).
            self.frames, self.frames_exact = self.pos, True
        return block

    def _read_failure(self) -> OSError | None:
        """Where decoding ended, whether it ended as reading the file failed in the system (a
        drive unplugged, a network share dropped): the error of a read of the file's own about
        where the decoder had got to, else None. dr_mp3 reads a plain file through C's stdio,
        which takes a read that fails for the end of the file: the song ended there as if
        heard to its end. (A file that ends early reads on there, and its end is the end.)"""
        idx = self._index
        if self.frames_exact and self.frames > 0 and self.pos < self.frames:
            at = idx.audio_start + (idx.size - idx.audio_start) * self.pos // self.frames
        else:
            at = idx.size
        try:
            os.pread(self._f.fileno(), 4096, max(0, min(at, idx.file_size - 1)))
        except OSError as exc:
            return exc
        except (AttributeError, ValueError):
            pass        # (no pread on this system, or the file closed)
        return None

    def _discard(self, n: int) -> int:
        """Decode ``n`` samples and drop them; returns how many there were (fewer at the end)."""
        done = 0
        while done < n:
            got = len(self._decode(min(n - done, 1 << 16)))
            if got == 0:
                break
            done += got
        return done

    # -- seeking --------------------------------------------------------------------------
    def seek(self, frame: int) -> None:
        """Continue from sample ``frame`` (the end, past the end)."""
        self._failed = None
        frame = max(0, int(frame))
        if self.frames_exact:
            frame = min(frame, self.frames)
        if frame == self.pos:
            return
        if 0 < frame - self.pos <= FORWARD_DECODE_S * self.samplerate:
            self.pos += self._discard(frame - self.pos)
            if self.frames_exact:     # (a decoder started mid-file reads on into the padding)
                self.pos = min(self.pos, self.frames)
            return
        self.index()                                         # (also counts the samples exactly)
        if frame >= self.frames:                             # the end: nothing more to read
            self.pos = self.frames
            return
        if frame != self.pos and not self._seek_indexed(frame):
            if frame < self.pos:
                self._restart()
            self.pos += self._discard(frame - self.pos)

    def _restart(self) -> None:
        """Back to the start of the file on the main decoder."""
        self._close_dec()
        if self._mp3 is not None:
            ok = self._lib.ma_dr_mp3_seek_to_pcm_frame(self._mp3, 0)
        else:
            ok = self._lib.ma_decoder_seek_to_pcm_frame(self._main, 0) == self._lib.MA_SUCCESS
        if not ok:
            raise Mp3Error(f"cannot seek in {Path(self.path).name}")
        self._discard(self._skip)
        self.pos = 0

    def index(self) -> FrameIndex:
        idx = self._index
        if not self._index_checked:     # (the count of a tagged file may have scanned already)
            idx.scan()
            idx.ok = idx.frames > 0 and idx.expected_samples() == self.count_exactly()
            self._index_checked = True
        return idx

    def _seek_indexed(self, frame: int) -> bool:
        """Seek through the frame index; False where it cannot be used."""
        idx = self.index()
        if not idx.ok:
            return False
        spf = idx.spf
        k = (frame + idx.delay) // spf                      # the frame holding the target
        cp = max(0, k - WARMUP_FRAMES) // CHECKPOINT
        while True:
            if cp == 0:                                     # near the start: the main decoder
                self._restart()
                self.pos = self._discard(frame)
                return True
            first_frame = cp * CHECKPOINT
            data, starts = idx.frames_from(cp, k - first_frame + 1)
            if len(starts) != k - first_frame + 1:
                return False
            heard = self._count_from_memory(data)           # samples a fresh decoder gives
            if heard >= 3 * spf and heard % spf == 0:
                break
            cp -= 1                                          # the reservoir reaches further back
        first_heard = k + 1 - heard // spf                  # its first frame that sounds
        self._close_dec()
        self._dec, self._view = self._decoder(idx.checkpoints[cp], self.channels, self.samplerate)
        start = first_heard * spf - idx.delay
        self.pos = start + self._discard(frame - start)
        return True

    def _count_from_memory(self, data: bytes) -> int:
        ffi, lib = self._ffi, self._lib
        mp3 = ffi.new("ma_dr_mp3 *")
        buf = ffi.from_buffer(data)
        if not lib.ma_dr_mp3_init_memory(mp3, buf, len(data), ffi.NULL):
            return 0
        try:
            # (s16: the read that takes no buffer; miniaudio's dr_mp3 decodes 16-bit samples)
            return int(lib.ma_dr_mp3_read_pcm_frames_s16(mp3, 1 << 30, ffi.NULL))
        finally:
            lib.ma_dr_mp3_uninit(mp3)

    def _decoder(self, offset: int, channels: int, samplerate: int):
        """An ma_decoder (float32) on the file from ``offset`` to the end of its frames (the
        tags after them unseen, or minimp3 would drop the last frame) and its view; channels
        and rate 0: the file's own."""
        ffi, lib = self._ffi, self._lib
        view = _FileView(self._f, offset, self._index.size)
        source = view.source
        source.ffi_handle = ffi.new_handle(source)
        config = lib.ma_decoder_config_init(lib.ma_format_f32, channels, samplerate)
        config.encodingFormat = lib.ma_encoding_format_mp3
        dec = ffi.new("ma_decoder *")
        result = lib.ma_decoder_init(lib._internal_decoder_read_callback, lib._internal_decoder_seek_callback,
                                     source.ffi_handle, ffi.addressof(config), dec)
        if result != lib.MA_SUCCESS:
            where = "after a seek " if offset != self._main_at else ""
            raise Mp3Error(f"cannot decode {Path(self.path).name} {where}(error {result})")
        return dec, view

    def _close_dec(self) -> None:
        if self._dec is not None:
            self._lib.ma_decoder_uninit(self._dec)
            self._dec = None
            self._view = None

    def close(self) -> None:
        self._close_dec()
        if self._main is not None:
            self._lib.ma_decoder_uninit(self._main)
            self._main = self._main_view = None
        if self._mp3 is not None:
            self._lib.ma_dr_mp3_uninit(self._mp3)
            self._mp3 = None
        if self._name_fd is not None:
            os.close(self._name_fd)
            self._name_fd = None
        if self._f is not None:
            self._f.close()
            self._f = None


    def __enter__(self) -> "Mp3Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
