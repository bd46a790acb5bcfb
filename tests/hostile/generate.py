"""A hostile music library: good files beside every kind of bad or odd file real folders hold.

``build(root)`` writes 20 good FLACs and one item per :data:`CASES` entry below
``root`` and returns ``{case name: [paths]}``. Each case says what Segue must do with it
(``expect``) and, in words, what it does (``does``: the README's Reliability table is
made of these). Files are generated with numpy, soundfile, mutagen and ffmpeg; cases
that need ffmpeg, or permissions that bite, say so and are skipped when that is missing.

Run it as a script to make a library to try by hand::

    .venv/bin/python -m tests.hostile.generate /tmp/hostile
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

from tests.audiogen import ffmpeg_encodes, forget_flac_length, start_ogg_late, zero_middle

GOOD_COUNT = 20
INT32_MAX = 2**31 - 1
IMG_BOMB = '<img src="/dev/zero">'

# What a case must end as in the library:
TRACK = "track"          # a playable track (no error)
ERROR = "error"          # an error row: listed by `segue library --errors`, not played
ABSENT = "absent"        # no row at all (not a file: a link loop, a dangling link, a folder)
ONE = "one"              # several paths to one file: exactly one track among them
ANY = "track or error"   # either is right (a cut file may still hold playable audio); never a crash


@dataclass
class Case:
    name: str
    does: str                                  # what Segue does, for the README table
    make: Callable[[Path], list[Path]]
    expect: str = TRACK
    check: Callable[[list], None] | None = None   # more checks on the case's rows
    needs: tuple[str, ...] = ()                # "ffmpeg", "unprivileged", an ffmpeg encoder ("libopus")
    tags: dict = field(default_factory=dict)


# -- making audio ------------------------------------------------------------------------------
def tone(seconds: float, sr: int, channels: int = 1, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    mono = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def write(path: Path, seconds: float = 0.5, sr: int = 22050, channels: int = 1, fmt: str | None = None,
          subtype: str | None = None, freq: float = 440.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = {"flac": "FLAC", "wav": "WAV", "ogg": "OGG", "opus": "OGG", "aiff": "AIFF", "mp3": "MP3"}
    ext = fmt or path.suffix.lstrip(".")
    sub = subtype or {"ogg": "VORBIS", "opus": "OPUS", "mp3": "MPEG_LAYER_III"}.get(ext, "PCM_16")
    if ext == "opus":
        sr = 48000
    sf.write(str(path), tone(seconds, sr, channels, freq), sr, format=kind[ext], subtype=sub)
    return path


def ffmpeg(path: Path, *args: str, seconds: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
                    *args, str(path)], check=True)
    return path


def vorbis_tags(path: Path, **tags) -> Path:
    import mutagen

    audio = mutagen.File(str(path))
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = [value]
    audio.save()
    return path


def id3_tags(path: Path, version: int = 4, **frames) -> Path:
    from mutagen import id3

    tags = id3.ID3()
    for frame, text in frames.items():
        tags.add(getattr(id3, frame)(encoding=3 if version == 4 else 1, text=[text]))
    tags.save(str(path), v2_version=version)
    return path


def cut(path: Path, keep: int | float) -> Path:
    data = path.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep
    path.write_bytes(data[:n])
    return path


def raw(d: Path, name: str, data: bytes | str) -> list[Path]:
    """A file of exactly these bytes (or this text)."""
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return [p]


def _moved(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    return dst


# -- the cases ---------------------------------------------------------------------------------
def _wavpack_ape(d: Path) -> list[Path]:
    from mutagen.apev2 import APEv2

    p = ffmpeg(d / "wavpack.wv", "-c:a", "wavpack")
    ape = APEv2()
    ape.update({"Title": "WavPack song", "Artist": "APE Artist", "Track": "3", "Year": "2004"})
    ape.save(str(p))
    return [p]


def _garbage_with_ape(name: str) -> Callable[[Path], list[Path]]:
    def make(d: Path) -> list[Path]:
        from mutagen.apev2 import APEv2

        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"MAC \x96\x0f" + os.urandom(3000))
        ape = APEv2()
        ape.update({"Title": "not really audio"})
        ape.save(str(p))
        return [p]
    return make


def _id3v22(d: Path) -> list[Path]:
    """ID3v2.2 (three-letter frames), which mutagen reads but no longer writes: made by hand."""
    p = write(d / "id3v22.mp3")

    def frame(fid: bytes, text: str) -> bytes:
        body = b"\x00" + text.encode("latin-1")
        return fid + struct.pack(">I", len(body))[1:] + body

    frames = frame(b"TT2", "Version two point two") + frame(b"TP1", "Old Tagger") + frame(b"TRK", "7/9")
    size = len(frames)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    p.write_bytes(b"ID3\x02\x00\x00" + syncsafe + frames + p.read_bytes())
    return [p]


def _id3v1_only(d: Path) -> list[Path]:
    p = write(d / "id3v1.mp3")
    v1 = b"TAG" + b"Only version one".ljust(30, b"\0") + b"V1 Artist".ljust(30, b"\0") + b"V1 Album".ljust(30, b"\0")
    v1 += b"1999" + b"".ljust(28, b"\0") + b"\0\x05" + b"\x11"
    p.write_bytes(p.read_bytes() + v1)
    return [p]


def _several_artists(d: Path) -> list[Path]:
    import mutagen

    p = write(d / "duet.flac")
    audio = mutagen.File(str(p))
    audio["title"], audio["artist"] = ["Duet"], ["First Singer", "Second Singer"]
    audio.save()
    return [p]


def _id3_mixed(d: Path) -> list[Path]:
    """ID3v2.3 and a disagreeing ID3v1 in one file (v2 wins)."""
    p = id3_tags(write(d / "id3-v23-and-v1.mp3"), version=3, TIT2="From v2.3", TPE1="Mixed")
    v1 = b"TAG" + b"From v1".ljust(30, b"\0") + b"Other".ljust(30, b"\0") + b"".ljust(30, b"\0")
    v1 += b"2001" + b"".ljust(30, b"\0") + b"\x11"
    p.write_bytes(p.read_bytes() + v1)
    return [p]


def _id3_bad_utf8(d: Path) -> list[Path]:
    """A TIT2 frame that claims UTF-8 and holds invalid bytes."""
    p = write(d / "id3-bad-utf8.mp3")
    body = b"\x03" + b"bad \xff\xfe\xc3 bytes"
    frame = b"TIT2" + struct.pack(">I", len(body)) + b"\x00\x00" + body
    size = len(frame)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    p.write_bytes(b"ID3\x03\x00\x00" + syncsafe + frame + p.read_bytes())
    return [p]


def _cover_50mb(d: Path) -> list[Path]:
    from mutagen import id3

    p = write(d / "cover-50mb.mp3")
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=["Huge cover"]))
    tags.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="front",
                      data=b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 2**20)))
    tags.save(str(p))
    return [p]


def _twelve_hours(d: Path) -> list[Path]:
    """12 hours of near-silence at 8 kHz mono: FLAC keeps it under a few MB."""
    p = d / "twelve-hours.flac"
    p.parent.mkdir(parents=True, exist_ok=True)
    sr, block = 8000, 8000 * 600
    quiet = np.zeros(block, np.int16)
    quiet[::997] = 1                                   # not pure digital silence
    with sf.SoundFile(str(p), "w", sr, 1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(12 * 6):
            f.write(quiet)
    vorbis_tags(p, title="Twelve hours")
    return [p]


def _header_claims_12h(d: Path) -> list[Path]:
    p = write(d / "claims-12h.wav", seconds=1.0, sr=8000)
    data = bytearray(p.read_bytes())
    claimed = 12 * 3600 * 8000 * 2
    at = data.find(b"data")
    data[at + 4:at + 8] = struct.pack("<I", claimed)
    data[4:8] = struct.pack("<I", min(claimed + 36, 2**32 - 1))
    p.write_bytes(bytes(data))
    return [p]


def _truncated(ext: str, keep, make: Callable[[Path], Path]) -> Callable[[Path], list[Path]]:
    def go(d: Path) -> list[Path]:
        tag = "half" if isinstance(keep, float) else f"{keep}b"
        return [cut(make(d / f"truncated-{tag}.{ext}"), keep)]
    return go


def _wav_rate(name: str, rate: int, seconds: float = 0.5, channels: int = 1) -> Callable[[Path], list[Path]]:
    def make(d: Path) -> list[Path]:
        if rate > 0:
            return [write(d / name, seconds=seconds, sr=rate, channels=channels)]
        p = write(d / name, seconds=seconds, sr=8000)
        data = bytearray(p.read_bytes())
        at = data.find(b"fmt ")
        data[at + 12:at + 16] = struct.pack("<I", 0)          # sample rate 0
        data[at + 16:at + 20] = struct.pack("<I", 0)          # byte rate 0
        p.write_bytes(bytes(data))
        return [p]
    return make


def _symlink_loop(d: Path) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    (d / "loop").symlink_to(d, target_is_directory=True)
    (d / "self.mp3").symlink_to(d / "self.mp3")
    (d / "dangling.flac").symlink_to(d / "nowhere.flac")
    return [d / "loop", d / "self.mp3", d / "dangling.flac"]


def _linked_folder(good: Path) -> Callable[[Path], list[Path]]:
    def make(d: Path) -> list[Path]:
        d.mkdir(parents=True, exist_ok=True)
        (d / "good-again").symlink_to(good, target_is_directory=True)
        return [d / "good-again" / f.name for f in sorted(good.iterdir())][:3]
    return make


def _hardlink(d: Path) -> list[Path]:
    a = write(d / "a" / "hard.flac")
    (d / "b").mkdir()
    os.link(a, d / "b" / "hard-link.flac")
    return [a, d / "b" / "hard-link.flac"]


def _locked_folder(d: Path) -> list[Path]:
    p = write(d / "locked" / "inside.flac")
    os.chmod(d / "locked", 0)
    return [p]


def _locked_file(d: Path) -> list[Path]:
    p = write(d / "no-read.flac")
    os.chmod(p, 0)
    return [p]


def _fifo(d: Path) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    os.mkfifo(d / "x.mp3")
    return [d / "x.mp3"]


def _socket(d: Path) -> list[Path]:
    """A Unix socket named like a song (a program's control socket in the wrong folder)."""
    import socket

    d.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    os.chdir(d)                     # (bound by a short name: socket paths are limited to ~100 bytes)
    try:
        s = socket.socket(socket.AF_UNIX)
        s.bind("s.flac")
        s.close()                   # (the socket file stays)
    finally:
        os.chdir(here)
    return [d / "s.flac"]


def _device_link(d: Path) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    (d / "zero.flac").symlink_to("/dev/zero")
    return [d / "zero.flac"]


def _link_outside(d: Path) -> list[Path]:
    """A link to a song kept outside the library folder (beside it)."""
    library = d.parent.parent
    outside = library.parent / f"{library.name}-outside" / "elsewhere.flac"
    vorbis_tags(write(outside), title="Kept elsewhere")
    d.mkdir(parents=True, exist_ok=True)
    (d / "linked.flac").symlink_to(outside)
    return [d / "linked.flac"]


def _id3_many_frames(d: Path) -> list[Path]:
    from mutagen import id3

    p = write(d / "frames.mp3")
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text=["Ten thousand frames"]))
    for i in range(10_000):
        tags.add(id3.TXXX(encoding=3, desc=f"key {i}", text=[f"value {i}"]))
    tags.save(str(p))
    return [p]


def _dsf(d: Path) -> list[Path]:
    """One second of DSD64 mono in a DSF file (SACD rips), written by hand: ffmpeg reads DSF
    but cannot write it."""
    import struct

    rate, block = 2_822_400, 4096
    data = b"\x69" * (-(-rate // 8 // block) * block)       # a DSD idle pattern, whole blocks
    fmt = b"fmt " + struct.pack("<QIIIIIIQII", 52, 1, 0, 1, 1, rate, 1, rate, block, 0)
    chunk = b"data" + struct.pack("<Q", 12 + len(data)) + data
    head = b"DSD " + struct.pack("<QQQ", 28, 28 + len(fmt) + len(chunk), 0)
    d.mkdir(parents=True, exist_ok=True)
    (d / "dsd64.dsf").write_bytes(head + fmt + chunk)
    return [d / "dsd64.dsf"]


def _m4b_chapters(d: Path) -> list[Path]:
    d.mkdir(parents=True, exist_ok=True)
    meta = d.parent / "m4b-chapters.txt"
    meta.write_text(";FFMETADATA1\ntitle=Audiobook\nartist=Reader\n"
                    + "".join(f"[CHAPTER]\nTIMEBASE=1/1000\nSTART={i * 1000}\nEND={i * 1000 + 1000}\ntitle=Part {i}\n"
                              for i in range(2)))
    p = d / "book.m4b"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=2",
                    "-i", str(meta), "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", str(p)], check=True)
    meta.unlink()
    return [p]


def _not_utf8(d: Path) -> list[Path]:
    good = write(d / "plain.flac")
    raw = os.path.join(os.fsencode(d), b"caf\xe9 \xff\xfe.flac")
    os.replace(good, raw)
    vorbis_tags(Path(os.fsdecode(raw)), title="Latin-1 name")
    return [Path(os.fsdecode(raw))]


def _not_utf8_mp3(d: Path) -> list[Path]:
    good = id3_tags(write(d / "plain.mp3"), TIT2="Latin-1 MP3")
    raw = os.path.join(os.fsencode(d), b"Bj\xf6rk \xe9t\xe9.mp3")
    os.replace(good, raw)
    return [Path(os.fsdecode(raw))]


def _nan_wav(d: Path) -> list[Path]:
    p = d / "nan-inf.wav"
    p.parent.mkdir(parents=True, exist_ok=True)
    data = tone(0.5, 22050)
    data[::50] = np.nan
    data[1::50] = np.inf
    sf.write(str(p), data, 22050, subtype="FLOAT")
    return [p]


def _far_mtime(d: Path) -> list[Path]:
    p = write(d / "mtime-far.flac")
    os.utime(p, ns=(0, 2**62))
    q = write(d / "mtime-before-1970.flac")
    os.utime(q, ns=(0, -(10**18)))
    return [p, q]


def _dir_named_flac(d: Path) -> list[Path]:
    (d / "folder.flac").mkdir(parents=True)
    return [write(d / "folder.flac" / "inside-a-folder-named-flac.flac")]


def _rf64(d: Path) -> list[Path]:
    p = d / "broadcast.wav"
    p.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(p), tone(1.0, 22050), 22050, format="RF64", subtype="PCM_24")
    return [p]


def _aiff_from_a_pipe(d: Path) -> list[Path]:
    """An AIFF as ffmpeg writes one to a pipe: it cannot go back to fill in the sizes, so
    the FORM and SSND sizes and the frame count are 0."""
    pcm = (tone(1.0, 22050) * 32767).astype(">i2").tobytes()
    comm = b"COMM" + struct.pack(">IhIh", 18, 1, 0, 16) + bytes.fromhex("400DAC44000000000000")  # 22050 Hz
    return raw(d, "piped.aiff", b"FORM" + bytes(4) + b"AIFF" + comm + b"SSND" + bytes(12) + pcm)


def _id3_before_wav(d: Path) -> list[Path]:
    """A WAV with an ID3v2 tag in front of its RIFF header, as some taggers write."""
    import io

    from mutagen import id3

    tag = id3.ID3()
    tag.add(id3.TIT2(encoding=3, text=["Tag in front"]))
    buf = io.BytesIO()
    tag.save(buf, v2_version=3)
    p = write(d / "id3-in-front.wav")
    p.write_bytes(buf.getvalue() + p.read_bytes())
    return [p]


def _wav_info_cut(d: Path) -> list[Path]:
    """A WAV tagged in a RIFF INFO list after its sound data, behind a LIST of cue labels, its
    title's size running past the end of the file (a copy interrupted there)."""
    def sub(key: bytes, value: bytes) -> bytes:
        return key + struct.pack("<I", len(value)) + value + b"\0" * (len(value) % 2)

    labels = b"adtl" + sub(b"labl", b"\x01\0\0\0Cue")
    info = b"INFO" + sub(b"IART", b"Cut artist") + b"INAM" + struct.pack("<I", 4000) + b"Cut title"
    p = write(d / "info-cut.wav")
    data = p.read_bytes() + b"LIST" + struct.pack("<I", len(labels)) + labels \
        + b"LIST" + struct.pack("<I", len(info) + 4000) + info
    p.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    return [p]


def _ogg_zeros_after(d: Path) -> list[Path]:
    p = vorbis_tags(write(d / "zeros-after.ogg"), title="Zeros after")
    p.write_bytes(p.read_bytes() + bytes(65536))
    return [p]


def _ogg_captured_midway(d: Path) -> list[Path]:
    """2 s of Ogg Vorbis whose granule positions go on from 600 s, as in a recording of a
    stream begun mid-way (pages rewritten with their checksums)."""
    return [start_ogg_late(write(d / "captured.ogg", seconds=2.0), 600 * 22050)]


def _check_title(expected: str | None) -> Callable[[list], None]:
    def check(rows):
        assert rows[0]["title"] == expected, (rows[0]["title"], expected)
    return check


def _check(field_name: str, predicate: Callable, what: str) -> Callable[[list], None]:
    def check(rows):
        value = rows[0][field_name]
        assert predicate(value), f"{field_name}={value!r}: expected {what}"
    return check


def _rg40_check(rows) -> None:
    from player.audio.replaygain import NO_PEAK_MAX_DB, replaygain_factor

    assert rows[0]["rg_track_gain"] == 40.0
    assert abs(replaygain_factor(rows[0], "track") - 10 ** (NO_PEAK_MAX_DB / 20)) < 1e-9


def cases(good_folder: Path) -> list[Case]:
    """Every case (``good_folder``: where the good files are, for the linked-folder case)."""
    c = Case
    return [
        # -- tag containers ---------------------------------------------------------------
        c("wavpack-apev2", "WavPack with APEv2 tags: read by the APEv2 mapper (it crashed the scan)", _wavpack_ape,
          check=_check_title("WavPack song"), needs=("ffmpeg",)),
        c("ape-garbage-apev2", "A .ape holding a Monkey's Audio header, garbage and an APEv2 tag: its tag is "
          "read; playing it says it cannot be decoded", _garbage_with_ape("bad.ape"), expect=ANY),
        c("mpc-garbage-apev2", "A .mpc holding garbage and an APEv2 tag: error row (or a track the decoder refuses)",
          _garbage_with_ape("bad.mpc"), expect=ANY),
        c("opus-r128-decimal", "Opus with R128_TRACK_GAIN=1.5 (not an integer): read leniently",
          lambda d: [vorbis_tags(write(d / "r128.opus"), title="R128", R128_TRACK_GAIN="1.5")],
          check=_check("rg_track_gain", lambda v: abs(v - (1.5 / 256 + 5)) < 1e-6, "about 5.006 dB")),
        c("m4a-aac", "AAC in MP4 with iTunes tags: read by the MP4 mapper, played through ffmpeg",
          lambda d: [ffmpeg(d / "aac.m4a", "-c:a", "aac", "-metadata", "title=MP4 song", "-metadata", "track=2/9")],
          check=_check_title("MP4 song"), needs=("ffmpeg",)),
        c("wma-asf", "WMA with ASF tags: read by the ASF mapper, played through ffmpeg",
          lambda d: [ffmpeg(d / "asf.wma", "-c:a", "wmav2", "-metadata", "title=ASF song")],
          check=_check_title("ASF song"), needs=("ffmpeg",)),
        c("tta-id3", "True Audio with ID3: read",
          lambda d: [id3_tags(ffmpeg(d / "true.tta", "-c:a", "tta"), TIT2="TTA song")],
          check=_check_title("TTA song"), needs=("ffmpeg",)),
        c("id3v22", "ID3v2.2 (three-letter frames): read", _id3v22, check=_check_title("Version two point two")),
        c("id3v23", "ID3v2.3 (UTF-16 text): read",
          lambda d: [id3_tags(write(d / "id3v23.mp3"), version=3, TIT2="Version 2.3", TRCK="04/10")],
          check=_check_title("Version 2.3")),
        c("id3v24", "ID3v2.4 (UTF-8 text): read",
          lambda d: [id3_tags(write(d / "id3v24.mp3"), version=4, TIT2="Version 2.4", TDRC="2011-05")],
          check=_check_title("Version 2.4")),
        c("id3v1-only", "Only an ID3v1 tag at the end: read", _id3v1_only, check=_check_title("Only version one")),
        c("several-artists", "Two ARTIST comments: both kept, the key by the first", _several_artists,
          check=_check("artist", lambda v: v == "First Singer; Second Singer", "both artists")),
        c("id3-v23-and-v1", "ID3v2.3 and a different ID3v1: the v2 tag wins", _id3_mixed,
          check=_check_title("From v2.3")),
        c("id3-invalid-utf8", "A frame claiming UTF-8 with invalid bytes: shown with U+FFFD (or an error row)",
          _id3_bad_utf8, expect=ANY),
        # -- values that do not fit -------------------------------------------------------
        c("flac-tracknumber-25-nines", "TRACKNUMBER of 25 nines (OverflowError before): clamped to 2147483647",
          lambda d: [vorbis_tags(write(d / "nines.flac"), title="Nines", tracknumber="9" * 25)],
          check=_check("track_no", lambda v: v == INT32_MAX, "int32 max")),
        c("year-3e9", "A year of 3000000000 (emptied the window before): no year",
          lambda d: [vorbis_tags(write(d / "year.flac"), title="Far future", date="3000000000")],
          check=_check("year", lambda v: v is None, "no year")),
        c("html-title", f"Title {IMG_BOMB} (killed the window): stored as text, shown as plain text everywhere",
          lambda d: [vorbis_tags(write(d / "html.flac"), title=IMG_BOMB, artist="<b>bold</b>")],
          check=_check_title(IMG_BOMB)),
        c("replaygain-8000db", "REPLAYGAIN_TRACK_GAIN=+8000 dB (OverflowError before): ignored",
          lambda d: [vorbis_tags(write(d / "rg8000.flac"), title="RG 8000", replaygain_track_gain="+8000 dB")],
          check=_check("rg_track_gain", lambda v: v is None, "no gain")),
        c("replaygain-40db-no-peak", "+40 dB and no peak (a full-scale blast before): a boost of 12 dB at most",
          lambda d: [vorbis_tags(write(d / "rg40.flac"), title="RG 40", replaygain_track_gain="+40 dB")],
          check=_rg40_check),
        c("tag-10mb", "A 10 MB title: kept to its first 1000 characters",
          lambda d: [vorbis_tags(write(d / "tag10mb.flac"), title="x" * (10 * 2**20))],
          check=_check("title", lambda v: v == "x" * 1000, "1000 characters")),
        c("control-chars-tags", "Newlines, NUL and escape codes in tags: one line of text",
          lambda d: [vorbis_tags(write(d / "ctl.flac"), title="a\nb\x00c\x1b[31m", artist="\u202eevil")],
          check=_check_title("a b c [31m")),
        c("id3-10000-frames", "10,000 ID3 frames (TXXX): read, title found",
          _id3_many_frames, check=_check_title("Ten thousand frames")),
        c("date-0000", "A date of 0000: no year",
          lambda d: [vorbis_tags(write(d / "zero.flac"), title="Year zero", date="0000")],
          check=_check("year", lambda v: v is None, "no year")),
        c("date-month-13", "A date of 2038-13-45: its year, 2038",
          lambda d: [vorbis_tags(write(d / "month13.flac"), title="Month 13", date="2038-13-45")],
          check=_check("year", lambda v: v == 2038, "2038")),
        c("cover-50mb", "50 MB of cover art: the track is read, the window loads it without stalling",
          _cover_50mb),
        # -- long and odd audio -----------------------------------------------------------
        c("twelve-hours", "A 12-hour file: read (duration 12 h), played, analysed in bounded memory",
          _twelve_hours, check=_check("duration", lambda v: abs(v - 43200) < 1, "12 h")),
        c("header-claims-12h", "A WAV whose header claims 12 h but holds 1 s: a track; playback ends at the data",
          _header_claims_12h, expect=ANY),
        c("zero-hz", "A WAV with a sample rate of 0 Hz: error row", _wav_rate("zero-hz.wav", 0), expect=ERROR),
        c("one-hz", "1 Hz audio: a track (resampled when played) or an error row, never a crash",
          _wav_rate("one-hz.wav", 1, seconds=20), expect=ANY),
        c("eight-channels", "8-channel FLAC: read (played as stereo)",
          lambda d: [write(d / "8ch.flac", channels=8)],
          check=_check("channels", lambda v: v == 8, "8 channels")),
        c("rate-384k", "384 kHz audio: read, resampled when played",
          lambda d: [write(d / "384k.wav", sr=384000, seconds=0.3)],
          check=_check("sample_rate", lambda v: v == 384000, "384000")),
        c("nan-inf-samples", "Float WAV holding NaN and infinity: played and analysed as silence there",
          _nan_wav),
        c("rf64-wav", "An RF64 WAV (broadcast recorders, files over 4 GB): read as the decoder opens it",
          _rf64, check=_check("duration", lambda v: abs(v - 1.0) < 0.01, "1 s")),
        c("dsf-dsd64", "A DSD64 DSF file (SACD rips): a 1 s track at 2.8224 MHz, played through ffmpeg",
          _dsf, check=_check("duration", lambda v: abs(v - 1.0) < 0.01, "1 s")),
        c("opus-in-webm", "Opus in WebM: title and length read by ffprobe, played through ffmpeg",
          lambda d: [ffmpeg(d / "opus.webm", "-c:a", "libopus", "-metadata", "title=WebM Opus")],
          check=_check_title("WebM Opus"), needs=("ffmpeg", "libopus")),
        c("opus-in-mka", "Opus in Matroska: title and length read by ffprobe, played through ffmpeg",
          lambda d: [ffmpeg(d / "opus.mka", "-c:a", "libopus", "-metadata", "title=MKA Opus")],
          check=_check_title("MKA Opus"), needs=("ffmpeg", "libopus")),
        c("m4b-chapters", "An audiobook (.m4b) with two chapters: one track, the whole book",
          _m4b_chapters, check=_check("duration", lambda v: abs(v - 2.0) < 0.1, "2 s"), needs=("ffmpeg",)),
        c("aiff-from-pipe", "An AIFF written to a pipe (all sizes 0): read as the decoder opens it, its data's length",
          _aiff_from_a_pipe, check=_check("duration", lambda v: abs(v - 1.0) < 0.01, "1 s")),
        c("wav-ima-adpcm", "IMA ADPCM WAV: listed at the length it plays, not its block count",
          lambda d: [write(d / "adpcm.wav", seconds=2.0, subtype="IMA_ADPCM")],
          check=_check("duration", lambda v: abs(v - 2.0) < 0.1, "about 2 s")),
        c("ogg-captured-midway", "Ogg Vorbis recorded from a stream begun 600 s earlier: listed at its own 2 s",
          _ogg_captured_midway, check=_check("duration", lambda v: abs(v - 2.0) < 0.1, "about 2 s")),
        c("ogg-zeros-after", "Ogg Vorbis with 64 KiB of zeros after its last page: a track, its tags read",
          _ogg_zeros_after, check=_check_title("Zeros after")),
        # -- damaged files ----------------------------------------------------------------
        *[c(f"truncated-half-{ext}", f"{ext} cut in half: a track with what is left, or an error row",
            _truncated(ext, 0.5, (lambda e: lambda p: write(p, seconds=2.0, fmt=e))(ext)), expect=ANY)
          for ext in ("flac", "mp3", "ogg", "opus", "wav", "aiff")],
        *[c(f"truncated-half-{ext}", f"{ext} cut in half: a track with what is left, or an error row",
            _truncated(ext, 0.5, (lambda a: lambda p: ffmpeg(p, *a, seconds=2.0))(args)), expect=ANY,
            needs=("ffmpeg",))
          for ext, args in (("m4a", ("-c:a", "aac")), ("wma", ("-c:a", "wmav2")), ("wv", ("-c:a", "wavpack")))],
        c("flac-damaged-middle", "4 KB of zeros in the middle of a FLAC (bit rot): a track; played and analysed "
          "whole, the damaged stretch as silence",
          lambda d: [zero_middle(write(d / "damaged.flac", seconds=4.0))],
          check=_check("duration", lambda v: abs(v - 4.0) < 0.01, "4 s")),
        c("flac-unknown-length", "A FLAC whose header leaves its length out (written to a pipe): a track of the "
          "length its audio has",
          lambda d: [forget_flac_length(write(d / "piped.flac", seconds=2.0))],
          check=_check("duration", lambda v: abs(v - 2.0) < 0.01, "2 s")),
        *[c(f"truncated-100b-{ext}", f"{ext} cut to 100 bytes: error row",
            _truncated(ext, 100, (lambda e: lambda p: write(p, seconds=2.0, fmt=e))(ext)), expect=ANY)
          for ext in ("flac", "mp3", "ogg", "wav")],
        c("zero-bytes", "An empty .mp3: error row",
          lambda d: raw(d, "empty.mp3", b""), expect=ERROR),
        c("random-bytes", "Random bytes named .mp3: error row",
          lambda d: raw(d, "noise.mp3", os.urandom(20000)), expect=ANY),
        c("ogg-unknown-codec", "An Ogg page of an unknown codec: error row",
          lambda d: raw(d, "what.ogg",
                        b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e" + b"\x7fUNKNOWN" + os.urandom(4000)),
          expect=ERROR),
        # -- wrong extensions -------------------------------------------------------------
        c("flac-named-mp3", "A FLAC named .mp3: read by its content",
          lambda d: [_moved(vorbis_tags(write(d / "x.flac"), title="Really FLAC"), d / "really-flac.mp3")],
          check=_check_title("Really FLAC")),
        c("mp3-named-ogg", "An MP3 named .ogg: read by its content",
          lambda d: [_moved(id3_tags(write(d / "x.mp3"), TIT2="Really MP3"), d / "really-mp3.ogg")],
          check=_check_title("Really MP3")),
        c("mp3-named-flac", "An MP3 named .flac: read as the decoder opens it (dr_mp3)",
          lambda d: [_moved(write(d / "x.mp3"), d / "really-mp3.flac")],
          check=_check("codec", lambda v: v == "mp3", "mp3")),
        c("id3-before-wav", "A WAV behind an ID3v2 tag: a WAV (not a damaged MP3), titled from the tag",
          _id3_before_wav, check=_check_title("Tag in front")),
        c("wav-info-cut", "A WAV tagged in a RIFF INFO list cut short, behind a LIST of cue labels: a track "
          "titled from what is there", _wav_info_cut, check=_check_title("Cut title")),
        c("text-named-flac", "A text file named .flac: error row",
          lambda d: raw(d, "notes.flac", "track list\n" * 50), expect=ERROR),
        c("jpeg-named-m4a", "A JPEG named .m4a: error row",
          lambda d: raw(d, "photo.m4a", b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(5000)), expect=ERROR),
        # -- names -------------------------------------------------------------------------
        c("name-not-utf8", "A file name with invalid UTF-8 (UnicodeEncodeError before): stored exactly, "
          "shown with U+FFFD", _not_utf8, check=_check_title("Latin-1 name")),
        c("name-not-utf8-mp3", "An MP3 with a Latin-1 file name (old collections): stored exactly, played and "
          "analysed", _not_utf8_mp3, check=_check_title("Latin-1 MP3")),
        c("name-control-chars", "A file name with a newline and a tab: read; shown on one line",
          lambda d: [write(d / "new\nline\ttab.flac")]),
        c("name-like-an-option", "Files named -rf.m4a and pipe:0.m4a: ffmpeg reads them as files",
          lambda d: [ffmpeg(d / "-rf.m4a", "-c:a", "aac"), ffmpeg(d / "pipe:0.m4a", "-c:a", "aac")],
          needs=("ffmpeg",)),
        c("name-255-bytes", "A 255-byte file name deep in folders: read",
          lambda d: [write(d / "a" / "b" / "c" / "d" / "e" / ("é" * 124 + "x.flac"))]),
        c("name-nfc-nfd", "The same title spelled NFC and NFD: two files, two tracks",
          lambda d: [write(d / "Caf\u00e9.flac"), write(d / "Cafe\u0301.flac")]),
        c("hidden-file", "A hidden file (.name.flac, macOS ._ forks): ignored",
          lambda d: [write(d / ".hidden.flac"), write(d / "._resource.flac")], expect=ABSENT),
        c("mtime-extremes", "Modification times far in the future and before 1970: read",
          _far_mtime),
        # -- not regular files, links, permissions ----------------------------------------
        c("fifo-named-mp3", "A FIFO named x.mp3 (hung the scan for ever): error row 'not a regular file', "
          "never opened", _fifo, expect=ERROR),
        c("socket-named-flac", "A Unix socket named s.flac: error row 'not a regular file (a socket)', never opened",
          _socket, expect=ERROR, check=_check("last_error", lambda v: "a socket" in v, "a socket")),
        c("device-link-flac", "A link to /dev/zero named zero.flac: error row 'not a regular file (a device)', "
          "never read", _device_link, expect=ERROR,
          check=_check("last_error", lambda v: "a device" in v, "a device")),
        c("link-outside-library", "A link to a song outside the library folder: a track at the link's path",
          _link_outside, check=_check_title("Kept elsewhere")),
        c("folder-named-flac", "A folder named x.flac: scanned as a folder (the file in it is a track)",
          _dir_named_flac),
        c("symlink-loops", "A folder linking to its parent, a file linking to itself, a dangling link: "
          "no hang, nothing added", _symlink_loop, expect=ABSENT),
        c("symlinked-folder-duplicate", "A link to a folder already in the library (232 files became 387 tracks "
          "before): one track per file, at its real path", _linked_folder(good_folder), expect=ABSENT),
        c("hard-link", "Two hard links to one file: one track", _hardlink, expect=ONE),
        c("permission-denied-folder", "A folder that cannot be read: reported by the scan, the rest is scanned",
          _locked_folder, expect=ABSENT, needs=("unprivileged",)),
        c("permission-denied-file", "A file that cannot be read: error row 'Permission denied'",
          _locked_file, expect=ERROR, needs=("unprivileged",)),
    ]


def build(root: Path, *, skip: set[str] = frozenset()) -> tuple[list[Path], dict[str, list[Path]], list[Case]]:
    """Write the library under ``root``: ``(good files, {case: paths}, cases made)``."""
    root = Path(root)
    good_folder = root / "good"
    good = [vorbis_tags(write(good_folder / f"{i:02d}.flac", seconds=0.6, freq=200.0 + 30 * i),
                        title=f"Good {i:02d}", artist=f"Artist {i % 4}", album=f"Album {i % 3}",
                        tracknumber=str(i + 1), genre=("Rock", "Jazz", "Folk", "Electronic")[i % 4])
            for i in range(GOOD_COUNT)]
    made: dict[str, list[Path]] = {}
    used = []
    have_ffmpeg = shutil.which("ffmpeg") is not None
    # (an encoder some ffmpeg builds leave out: its case is not made, where ffmpeg failing to
    # make it would have failed the making of the whole library)
    encodes: dict[str, bool] = {}
    for case in cases(good_folder):
        if case.name in skip or ("ffmpeg" in case.needs and not have_ffmpeg) or not all(
                encodes.setdefault(n, ffmpeg_encodes(n)) for n in case.needs if n.startswith("lib")):
            continue
        made[case.name] = case.make(root / "hostile" / case.name)
        used.append(case)
    return good, made, used


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-library")
    good, made, used = build(out)
    print(f"{len(good)} good files and {len(made)} hostile cases in {out}")
