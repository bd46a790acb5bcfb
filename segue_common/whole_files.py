"""Whether an AIFF, WavPack, Matroska/WebM or ASF (WMA) file holds all the audio its own
headers say it has, from those headers alone, nothing decoded.

A file rewritten in place as it plays with a whole, shorter version of the same song (a trim
or re-encode tool writing into the file it read) runs out before the length it was opened
with, as one cut short by a copy still coming in does: only the file's own sizes and counts
tell the two apart. Each check below reads only the headers that give them:

- AIFF: the FORM chunk's size and the sound data chunk (``SSND``) within it;
- WavPack: the first block's header gives the stream's total samples, and each block's
  (about a second of audio each) where in it the block lies: the file is whole where its
  blocks, each whole, reach that total;
- Matroska and WebM: the Segment's size, written back once the whole file is in (a muxer
  writing to a pipe leaves it unknown: such a file is not judged);
- ASF (WMA): the data object's size, likewise written back at the end (a broadcast file
  leaves it unset: not judged).

Monkey's Audio (APE) is not judged here: no encoder at hand makes one to check it on. Each
function takes a file open in binary and its size, and gives False for anything it cannot
read as whole: the caller takes that for "not known", as it did before these checks.
"""

from __future__ import annotations

import struct

AIFF_MAGIC = b"FORM"
WAVPACK_MAGIC = b"wvpk"
MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"
ASF_MAGIC = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_DATA = bytes.fromhex("3626b2758e66cf11a6d900aa0062ce6c")
_ASF_FILE_PROPERTIES = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")

#: the most WavPack blocks walked (about a second each: over 30 hours); a longer walk gives up
_MOST_BLOCKS = 1 << 17
#: the largest WavPack block its format allows (1 MiB): a larger size is no block's
_MOST_BLOCK_BYTES = 1 << 20


def aiff_holds_whole(f, size: int) -> bool:
    """An AIFF or AIFF-C file: its FORM chunk, and the sound data chunk in it, fit in the file."""
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[:4] != AIFF_MAGIC or head[8:12] not in (b"AIFF", b"AIFC"):
        return False
    end = 8 + struct.unpack_from(">I", head, 4)[0]
    if end > size:
        return False
    at = 12
    while at + 8 <= end:
        f.seek(at)
        chunk = f.read(8)
        if len(chunk) < 8:
            return False
        name, length = chunk[:4], struct.unpack_from(">I", chunk, 4)[0]
        if at + 8 + length > end:
            return False
        if name == b"SSND":
            return length >= 8
        at += 8 + length + (length & 1)
    return False


def wavpack_holds_whole(f, size: int) -> bool:
    """A WavPack file: blocks one after the other from its start, each whole, the last of
    them reaching the total its headers give (a tag may follow them)."""
    at, total, reached = 0, None, 0
    for _ in range(_MOST_BLOCKS):
        f.seek(at)
        head = f.read(32)
        if len(head) < 32 or head[:4] != WAVPACK_MAGIC:
            break
        length, _, index_hi, total_hi, total_lo, index_lo, samples = struct.unpack_from("<IHBBIII", head, 4)
        if length < 24 or length > _MOST_BLOCK_BYTES or at + 8 + length > size:
            return False
        if total is None:
            # (the first block's total is the one written back once all are in: an encoder
            # may leave the later blocks' at 0)
            if total_lo == 0xFFFFFFFF:
                return False        # (not known: written to a pipe)
            total = (total_hi << 32) | total_lo
        reached = max(reached, (index_hi << 32 | index_lo) + samples)
        at += 8 + length
    else:
        return False
    if total is None or not total or reached < total:
        return False
    # (what follows the blocks: nothing, or an APEv2 or ID3v1 tag; anything else may be a
    # block cut in its header)
    f.seek(at)
    rest = f.read(8)
    return at == size or rest.startswith((b"APETAGEX", b"TAG"))


def _ebml_number(f, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length number at the file's place: its value and its length in bytes
    (``keep_marker``: an element's ID keeps its length marker); None where it is none."""
    first = f.read(1)
    if not first or not first[0]:
        return None
    length = 9 - first[0].bit_length()
    rest = f.read(length - 1)
    if len(rest) < length - 1:
        return None
    value = first[0] if keep_marker else first[0] & (0xFF >> length)
    for byte in rest:
        value = value << 8 | byte
    return value, length


def matroska_holds_whole(f, size: int) -> bool:
    """A Matroska or WebM file: its EBML header, then a Segment whose size is known and fits."""
    f.seek(0)
    at = 0
    for expected in (0x1A45DFA3, 0x18538067):
        f.seek(at)
        element = _ebml_number(f, keep_marker=True)
        sized = _ebml_number(f, keep_marker=False)
        if element is None or sized is None or element[0] != expected:
            return False
        length, width = sized
        if length == (1 << (7 * width)) - 1:
            return False        # (its size left unknown: the muxer could not write it back)
        at += element[1] + width + length
        if at > size:
            return False
    return True


def asf_holds_whole(f, size: int) -> bool:
    """An ASF file (WMA): its header object, then a data object whose size is set and fits,
    in a file its properties say is not a broadcast (whose sizes mean nothing)."""
    f.seek(0)
    head = f.read(30)
    if len(head) < 30 or head[:16] != ASF_MAGIC:
        return False
    header_end = struct.unpack_from("<Q", head, 16)[0]
    if not 30 <= header_end <= size:
        return False
    broadcast, at = True, 30
    while at + 24 <= header_end:
        f.seek(at)
        obj = f.read(24)
        length = struct.unpack_from("<Q", obj, 16)[0]
        if length < 24 or at + length > header_end:
            return False
        if obj[:16] == _ASF_FILE_PROPERTIES and length >= 104:
            f.seek(at + 88)
            broadcast = bool(struct.unpack("<I", f.read(4))[0] & 1)
        at += length
    if broadcast:
        return False
    f.seek(header_end)
    data = f.read(24)
    if len(data) < 24 or data[:16] != _ASF_DATA:
        return False
    length = struct.unpack_from("<Q", data, 16)[0]
    return 50 < length and header_end + length <= size
