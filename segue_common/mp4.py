"""Whether an MP4 file (M4A, AAC or ALAC; an M4B audiobook) holds all the audio its own boxes
say it has, from its boxes alone, nothing decoded.

An MP4 file's sample tables (in its ``moov`` box) give where each chunk of samples lies and how
long each sample is: the file is whole where every box fits in it and the last chunk of every
track ends within it. A file cut short (a copy still coming in, a sync tool that truncated it
to write it again) either lacks its ``moov`` (ffmpeg and most encoders write it after the
audio) or, with the ``moov`` in front, ends before the chunks its tables place there.
A fragmented file (``moof`` boxes: its samples listed fragment by fragment) has no single
table that gives its end: it is whole where its boxes all fit and it ends with the random
access index (``mfra``) that a muxer writes once the last fragment is in, whose own closing
box (``mfro``) gives its size. A fragmented file written without that index is not judged.
"""

from __future__ import annotations

import struct

#: the boxes from a track down to its sample table
_TO_TABLE = (b"mdia", b"minf", b"stbl")


def boxes(f, start: int, end: int):
    """The boxes from ``start`` to ``end``: (name, where its body starts, where it ends, whether
    it fits); the walk stops after one that does not fit."""
    while start + 8 <= end:
        f.seek(start)
        head = f.read(16)
        if len(head) < 8:
            return
        size, name = struct.unpack_from(">I4s", head)
        body = start + 8
        if size == 1:
            if len(head) < 16:
                yield name, body, end, False
                return
            size, body = struct.unpack_from(">Q", head, 8)[0], start + 16
        elif size == 0:     # (to the end of the file: only the last box may say so)
            size = end - start
        fits = size >= body - start and start + size <= end
        yield name, body, start + size, fits
        if not fits:
            return
        start += size


def _child(f, span: tuple[int, int], name: bytes) -> tuple[int, int] | None:
    return next(((body, stop) for found, body, stop, fits in boxes(f, *span) if found == name and fits), None)


def _u32s(f, at: int, n: int) -> tuple[int, ...]:
    f.seek(at)
    data = f.read(4 * n)
    if len(data) < 4 * n:
        raise ValueError("a sample table runs past its box")
    return struct.unpack(f">{n}I", data)


#: what :func:`_last_chunk_end` gives for a track whose table lists no sample (a chapter or
#: text track left empty): it holds nothing that could be missing
EMPTY = -1


def _last_chunk_end(f, stbl: tuple[int, int]) -> int | None:
    """Where the last chunk of the track whose sample table is ``stbl`` ends (its offset and
    the sizes of its samples); :data:`EMPTY` where the table lists no sample, None where it
    cannot be read."""
    stco, co64 = _child(f, stbl, b"stco"), _child(f, stbl, b"co64")
    stsc, stsz = _child(f, stbl, b"stsc"), _child(f, stbl, b"stsz")
    if (stco is None and co64 is None) or stsc is None or stsz is None:
        return None
    table, width = (stco, 4) if stco is not None else (co64, 8)
    (chunks,) = _u32s(f, table[0] + 4, 1)
    (entries,) = _u32s(f, stsc[0] + 4, 1)
    uniform, samples = _u32s(f, stsz[0] + 4, 2)
    if not chunks and not samples:
        return EMPTY
    if not chunks or not entries or not samples:
        return None
    f.seek(table[0] + 8 + width * (chunks - 1))
    raw = f.read(width)
    if len(raw) < width:
        return None
    offset = int.from_bytes(raw, "big")
    # (the last entry says how many samples each chunk from its first one on holds)
    _, per_chunk, _ = _u32s(f, stsc[0] + 8 + 12 * (entries - 1), 3)
    per_chunk = min(per_chunk, samples)
    if uniform:
        return offset + uniform * per_chunk
    return offset + sum(_u32s(f, stsz[0] + 12 + 4 * (samples - per_chunk), per_chunk))


def movie_length(f, size: int) -> float | None:
    """The length in seconds the movie header (``mvhd``) of the MP4 file ``f`` gives (the
    encoder's delay trimmed by its edit list), or None where it has none or it cannot be read."""
    try:
        moov = next(((body, stop) for name, body, stop, fits in boxes(f, 0, size) if name == b"moov" and fits), None)
        mvhd = moov and _child(f, moov, b"mvhd")
        if not mvhd:
            return None
        f.seek(mvhd[0])
        head = f.read(32)
        if head[:1] == b"\x01" and len(head) >= 32:
            scale, length = struct.unpack_from(">IQ", head, 20)
        elif len(head) >= 20:
            scale, length = struct.unpack_from(">II", head, 12)
        else:
            return None
    except (OSError, struct.error):
        return None
    return length / scale if scale and length not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF) else None


def _ends_with_index(f, last: tuple[bytes, int, int] | None, size: int) -> bool:
    """Whether a fragmented file's boxes end with its random access index (``mfra``, the box
    ``last``: its name, body and end) to the file's end, its closing ``mfro`` giving its size."""
    if last is None or last[0] != b"mfra" or last[2] != size:
        return False
    name, body, stop, fits = next(reversed(list(boxes(f, last[1], size))), (b"", 0, 0, False))
    if name != b"mfro" or not fits or stop != size or stop - body < 8:
        return False
    f.seek(stop - 4)
    return int.from_bytes(f.read(4), "big") == size - (last[1] - 8)


def is_fragmented(f, size: int) -> bool:
    """Whether the MP4 file ``f`` lists its samples fragment by fragment (a ``moof`` box)."""
    try:
        return any(name == b"moof" for name, _, _, _ in boxes(f, 0, size))
    except (OSError, ValueError, struct.error):
        return False


def holds_whole(f, size: int) -> bool:
    """Whether the MP4 file ``f`` (open, binary, ``size`` bytes) holds all its samples: its
    boxes fit in it, and the last chunk of each of its tracks that lists any ends within it
    (a chapter or text track left empty holds nothing that could be missing); a fragmented
    one ends with its whole random access index (see the module's docstring). False for a
    file that is no MP4 file, or whose tables cannot be read."""
    moov, fragmented, last = None, False, None
    try:
        for at, (name, body, stop, fits) in enumerate(boxes(f, 0, size)):
            if not fits or (at == 0 and name != b"ftyp"):
                return False
            fragmented = fragmented or name == b"moof"
            if name == b"moov":
                moov = (body, stop)
            last = (name, body, stop)
        if moov is None or (fragmented and not _ends_with_index(f, last, size)):
            return False
        ends = []
        for name, body, stop, fits in boxes(f, *moov):
            if name != b"trak" or not fits:
                continue
            span = (body, stop)
            for inner in _TO_TABLE:
                span = span and _child(f, span, inner)
            if span:
                ends.append(_last_chunk_end(f, span))
    except (OSError, ValueError, struct.error):
        return False
    held = [end for end in ends if end != EMPTY]
    # (a fragmented file's tables list only the samples before its first fragment, if any)
    return (fragmented or bool(held)) and all(end is not None and end <= size for end in held)

