"""Generated test audio: real files in every format soundfile writes, with real tags.

Used by tests across the tree (``from tests.audiogen import write_track``).
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

# extension -> (soundfile format, subtype, sample rate)
FORMATS = {
    "wav": ("WAV", "PCM_16", 44100),
    "flac": ("FLAC", "PCM_16", 44100),
    "ogg": ("OGG", "VORBIS", 44100),
    "opus": ("OGG", "OPUS", 48000),
    "aiff": ("AIFF", "PCM_16", 44100),
    "mp3": ("MP3", "MPEG_LAYER_III", 44100),
}


def tone(seconds: float = 1.0, *, freq: float = 440.0, sr: int = 44100, amp: float = 0.3,
         channels: int = 2, phase_samples: int = 0) -> np.ndarray:
    """A sine tone [shape=(n, channels)] starting at sample ``phase_samples`` of an endless wave."""
    n = int(round(seconds * sr))
    t = (np.arange(n) + phase_samples) / sr
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def write_audio(path: Path, data: np.ndarray, sr: int) -> Path:
    fmt, subtype, _ = FORMATS[path.suffix.lstrip(".").lower()]
    sf.write(str(path), data, sr, format=fmt, subtype=subtype)
    return path


def write_tags(path: Path, **tags) -> None:
    """Write tags with mutagen the way real taggers do for each format.

    Keys: title, artist, album, albumartist, genre, date, tracknumber, discnumber,
    replaygain_track_gain, replaygain_track_peak, musicbrainz_trackid.
    """
    import mutagen
    from mutagen import id3

    ext = path.suffix.lower()
    if ext in (".mp3", ".wav", ".aiff"):
        audio = mutagen.File(str(path))
        if audio.tags is None:
            audio.add_tags()
        frames = {"title": id3.TIT2, "artist": id3.TPE1, "album": id3.TALB, "albumartist": id3.TPE2,
                  "genre": id3.TCON, "date": id3.TDRC, "tracknumber": id3.TRCK, "discnumber": id3.TPOS}
        for key, value in tags.items():
            if key in frames:
                audio.tags.add(frames[key](encoding=3, text=[str(value)]))
            elif key == "musicbrainz_trackid":
                audio.tags.add(id3.UFID(owner="http://musicbrainz.org", data=str(value).encode()))
            else:
                audio.tags.add(id3.TXXX(encoding=3, desc=key, text=[str(value)]))
        audio.save()
    else:
        audio = mutagen.File(str(path))
        if audio.tags is None:
            audio.add_tags()
        for key, value in tags.items():
            audio[key] = [str(value)]
        audio.save()


# Encoded tones already written this run, by (format, seconds, frequency): making and encoding
# an 80 s tone takes about a second (an mp3 more than two), copying it a millisecond, and the
# suite asks for the same few tones thousands of times. Each caller still gets a file of its own.
_tones: dict[tuple[str, float, float], Path] = {}
_tones_lock = threading.Lock()
_tones_dir: Path | None = None


def _encoded_tone(fmt: str, seconds: float, freq: float) -> Path:
    """The encoded tone, written once per process into a folder removed as the process ends."""
    global _tones_dir
    key = (fmt, float(seconds), float(freq))
    with _tones_lock:
        if key not in _tones:
            if _tones_dir is None:
                _tones_dir = Path(tempfile.mkdtemp(prefix="segue-tones-"))
                atexit.register(shutil.rmtree, _tones_dir, ignore_errors=True)
            sr = FORMATS[fmt][2]
            _tones[key] = write_audio(_tones_dir / f"{len(_tones)}.{fmt}", tone(seconds, freq=freq, sr=sr), sr)
        return _tones[key]


def write_track(folder: Path, name: str, *, fmt: str = "flac", seconds: float = 1.0,
                freq: float = 440.0, tags: dict | None = None) -> Path:
    """One tagged audio file ``folder/name.fmt`` holding a tone."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{fmt}"
    shutil.copyfile(_encoded_tone(fmt, seconds, freq), path)
    if tags:
        write_tags(path, **tags)
    return path


def wav_without_pad_bytes(path: Path, samples: np.ndarray, sr: int) -> Path:
    """A 16-bit WAV of ``samples`` with a RIFF INFO list before its sound data, written as some
    tools write it: the list and its title are of odd length, and their pad bytes left out."""
    sf.write(str(path), samples, sr, subtype="PCM_16")
    raw = path.read_bytes()
    at = raw.index(b"data")
    info = b"INFO" + b"INAM" + struct.pack("<I", 3) + b"Odd"
    body = raw[12:at] + b"LIST" + struct.pack("<I", len(info)) + info + raw[at:]
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    return path


def wav_over_4gib(path: Path, tail: np.ndarray, sr: int, *, size: str = "wrapped", mask: int | None = None) -> Path:
    """A 16-bit WAV of 4 GiB of silence and then ``tail`` (float, [shape=(n, channels)]), which a
    32-bit RIFF header cannot measure: its sizes are as a writer that does not know RF64 leaves
    them, the data's size past 4 GiB (``size`` "wrapped": its lowest 32 bits) or the largest
    there is ("max": 0xFFFFFFFF), or as a recorder that stopped before writing them leaves
    them ("zero"). ``mask``: a WAVE_FORMAT_EXTENSIBLE one with this channel mask. The silence
    is a hole in a sparse file: it takes no disk (where the file system cannot leave holes,
    the test is skipped rather than fill 4 GiB of it)."""
    import pytest

    sf.write(str(path), np.zeros((1, tail.shape[1])), sr, subtype="PCM_16", format="WAV" if mask is None else "WAVEX")
    raw = path.read_bytes()
    if mask is not None:    # (in the fmt chunk's extension, after its 8 bytes' header and 20 of its own)
        at = raw.index(b"fmt ") + 28
        raw = raw[:at] + struct.pack("<I", mask) + raw[at + 4:]
    at = raw.index(b"data")
    data = (1 << 32) + 2 * tail.size
    riff, field = {"wrapped": ((at + data) & 0xFFFFFFFF, data & 0xFFFFFFFF),
                   "max": (0xFFFFFFFF, 0xFFFFFFFF), "zero": (0, 0)}[size]
    with open(path, "wb") as f:
        f.write(raw[:4] + struct.pack("<I", riff) + raw[8:at] + b"data" + struct.pack("<I", field))
        f.seek(at + 8 + (1 << 32))
        f.write((np.clip(tail, -1, 1) * 32767).astype("<i2").tobytes())
    if getattr(os.stat(path), "st_blocks", 0) * 512 > 64 << 20:
        path.unlink()
        pytest.skip("the file system does not keep sparse files")
    return path


def zero_middle(path: Path, size: int = 4096) -> Path:
    """``size`` bytes in the middle of ``path`` zeroed, as bit rot or a bad sector leaves them."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + size] = bytes(size)
    path.write_bytes(bytes(data))
    return path


def cut_to_half(path: Path) -> Path:
    """``path`` cut to the first half of its bytes, as an interrupted copy or download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def forget_flac_length(path: Path) -> Path:
    """A FLAC's count of samples set to 0, "unknown", as ffmpeg or flac write it to a pipe
    (the 36 bits end the 8 bytes from 18 on: "fLaC", a block header and STREAMINFO's start)."""
    data = bytearray(path.read_bytes())
    packed = int.from_bytes(data[18:26], "big") & ~((1 << 36) - 1)
    data[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path


def start_ogg_late(path: Path, samples: int) -> Path:
    """The Ogg file at ``path`` as if recorded from a stream begun ``samples`` earlier: every
    audio page's granule position goes on from there (the pages written again, checksums
    and all), as a capture of an internet radio stream begun mid-way is."""
    from mutagen.ogg import OggPage

    pages = []
    with open(path, "rb") as f:
        while True:
            try:
                pages.append(OggPage(f))
            except EOFError:
                break
    for page in pages:
        if page.position > 0:
            page.position += samples
    path.write_bytes(b"".join(page.write() for page in pages))
    return path


def chain_oggs(path: Path, parts: list[tuple[np.ndarray, int, str]]) -> Path:
    """A chained Ogg file at ``path``: one Ogg file per (data, rate, "ogg" or "opus") written
    one after another, as stream recorders and ``cat a.ogg b.ogg`` make them."""
    chained = b""
    for i, (data, sr, ext) in enumerate(parts):
        link = write_audio(path.with_name(f"{path.stem}.link{i}.{ext}"), data, sr)
        chained += link.read_bytes()
        link.unlink()
    path.write_bytes(chained)
    return path


def damage_ogg_pages(path: Path, pages: int = 2, *, remove: bool = False, first: int | None = None) -> Path:
    """Bytes flipped in the audio of ``pages`` pages in the middle of an Ogg file, as bit rot
    leaves them: their checksums no longer match, and decoders drop them. ``remove``: the
    pages cut out instead, as a copy that skipped a bad block leaves them. ``first``: the
    index of the first page harmed, where not the middle one (2: the first audio page of an
    Opus file, after its two header pages)."""
    data = bytearray(path.read_bytes())
    starts, at = [], 0
    while at + 27 <= len(data) and data[at:at + 4] == b"OggS":
        starts.append(at)
        nseg = data[at + 26]
        at += 27 + nseg + sum(data[at + 27:at + 27 + nseg])
    middle = len(starts) // 2 if first is None else first
    if remove:
        del data[starts[middle]:(starts + [len(data)])[middle + pages]]
    for at in [] if remove else starts[middle:middle + pages]:
        body = at + 27 + data[at + 26]
        for k in range(body + 16, body + 400, 40):
            data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def step_frequency(second: int) -> float:
    """The pitch of second ``second`` of :func:`stepped_opus`."""
    return 300.0 + 100.0 * second


def stepped_opus(path: Path, seconds: int = 12, *, channels: int = 2, bitrate: str = "96k",
                 detune: float = 0.0) -> Path:
    """An Ogg Opus file at ``path`` made by ffmpeg's libopus (one page a second, as ffmpeg
    writes them) of a tone whose pitch steps up each second (:func:`step_frequency`), so that
    where each second of it plays can be told. Every channel holds the tone. ``detune`` (Hz)
    moves every pitch off the multiples of 50 Hz, whose waves repeat every 20 ms: audio an
    Opus packet (20 ms) from its place then differs from the audio in place."""
    sr = 48000
    pitch = step_frequency(np.arange(seconds * sr) // sr) + detune
    mono = (0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / sr)).astype(np.float32)
    wav = path.with_suffix(".wav")
    sf.write(str(wav), np.repeat(mono[:, None], channels, axis=1), sr, subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", bitrate, str(path)],
                   check=True)
    wav.unlink()
    return path


def _libmp3lame():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("mp3lame") or "libmp3lame.so.0")
    except OSError:
        return None


def lame_available() -> bool:
    """Whether libmp3lame (which libsndfile's MP3 writing brings along) can be loaded."""
    return _libmp3lame() is not None


def lame_mp3(path: Path, pcm: np.ndarray, sr: int, *, kbps: int = 128, crc: bool = False,
             free_format: bool = False) -> Path:
    """``pcm`` (int16, (n, 2)) encoded by libmp3lame itself, with its LAME tag, as the ``lame``
    program writes it: ``crc`` puts a CRC in every frame (``lame -p``), ``free_format`` leaves
    the bit rate out of the frame headers (``lame --freeformat``). Neither is a switch ffmpeg
    or soundfile offers."""
    import ctypes

    lib = _libmp3lame()
    p, i = ctypes.c_void_p, ctypes.c_int
    lib.lame_init.restype = p
    settings = {"in_samplerate": sr, "out_samplerate": sr, "num_channels": 2, "error_protection": int(crc),
                "free_format": int(free_format), "bWriteVbrTag": 1, "brate": kbps}
    for name in settings:
        getattr(lib, f"lame_set_{name}").argtypes = [p, i]
    lib.lame_init_params.argtypes = lib.lame_close.argtypes = [p]
    lib.lame_encode_buffer_interleaved.argtypes = [p, p, i, p, i]
    lib.lame_encode_flush.argtypes = [p, p, i]
    lib.lame_get_lametag_frame.argtypes = [p, p, ctypes.c_size_t]
    lib.lame_get_lametag_frame.restype = ctypes.c_size_t
    g = lib.lame_init()
    try:
        for name, value in settings.items():
            getattr(lib, f"lame_set_{name}")(g, value)
        if lib.lame_init_params(g) != 0:
            raise ValueError(f"libmp3lame refused {settings}")
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
        cap = int(1.25 * len(pcm)) + 7200
        buf = ctypes.create_string_buffer(cap)
        n = lib.lame_encode_buffer_interleaved(g, pcm.ctypes.data, len(pcm), buf, cap)
        out = bytearray(buf.raw[:n])
        n = lib.lame_encode_flush(g, buf, cap)
        out += buf.raw[:n]
        tag = ctypes.create_string_buffer(4096)
        size = lib.lame_get_lametag_frame(g, tag, 4096)
        out[:size] = tag.raw[:size]          # the tag frame LAME left room for in front
    finally:
        lib.lame_close(g)
    path.write_bytes(bytes(out))
    return path


def add_flac_seek_table(path: Path, every_s: float = 1.0) -> Path:
    """A SEEKTABLE block in a FLAC file, a point every ``every_s`` seconds, as the reference
    encoder and rippers write (libsndfile and ffmpeg write none): each point the first frame
    at or after its time, by the frame headers found in the file."""
    from mutagen.flac import FLAC, SeekPoint, SeekTable

    from segue_common import audio_io

    data = path.read_bytes()
    with open(path, "rb") as f:
        start, info = audio_io._flac_streaminfo(f, len(data))
    points, at, due = [], start, 0
    while at >= 0:
        frame = audio_io._flac_frame_at(data, at, info)
        if frame is not None and frame[0] >= due:
            points.append(SeekPoint(frame[0], at - start, frame[1]))
            due = frame[0] + int(every_s * info["rate"])
        at = data.find(b"\xff\xf8", at + 1)
    audio = FLAC(str(path))
    table = SeekTable(None)
    table.seekpoints = points
    audio.metadata_blocks.insert(1, table)
    audio.save()
    return path


def itunes_gapless_only(path: Path, frames: int, priming: int = 1024) -> Path:
    """Take the edit list out of an M4A ffmpeg made and give its priming (ffmpeg's AAC encoder
    primes 1024 samples) and its length as iTunes does, in an iTunSMPB tag alone."""
    from mutagen.mp4 import MP4, MP4FreeForm

    remuxed = path.with_name("remuxed-" + path.name)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), "-c", "copy", "-use_editlist", "0",
                    str(remuxed)], check=True)
    remuxed.replace(path)
    audio = MP4(str(path))
    audio["----:com.apple.iTunes:iTunSMPB"] = [MP4FreeForm(
        f" 00000000 {priming:08X} 00000000 {frames:016X}".encode() + b" 00000000" * 8)]
    audio.save()
    return path


def raw_comments(path: Path, **raw: bytes) -> Path:
    """Vorbis comments (a FLAC's, an Ogg Vorbis or Opus file's) whose values are ``raw``'s bytes
    as written, whatever their encoding: old Windows tools wrote names in their system's code
    page where the format wants UTF-8. Written through mutagen with stand-ins of the same
    length, then swapped for the bytes (an Ogg page's checksum made again)."""
    import mutagen
    from mutagen.ogg import OggPage

    audio = mutagen.File(str(path))
    stand_ins = {}
    for i, (key, value) in enumerate(raw.items()):
        stand_ins[key] = (chr(ord("a") + i) * len(value)).encode()
        audio[key] = [stand_ins[key].decode()]
    audio.save()
    data = path.read_bytes()
    if data[:4] != b"OggS":
        for key, value in raw.items():
            data = data.replace(key.encode() + b"=" + stand_ins[key], key.encode() + b"=" + value, 1)
        path.write_bytes(data)
        return path
    import io

    f, pages = io.BytesIO(data), []
    while f.tell() < len(data):
        page = OggPage(f)
        for key, value in raw.items():
            page.packets = [p.replace(key.encode() + b"=" + stand_ins[key], key.encode() + b"=" + value, 1)
                            for p in page.packets]
        pages.append(page)
    path.write_bytes(b"".join(page.write() for page in pages))
    return path


def ffmpeg_encodes(encoder: str) -> bool:
    """Whether ffmpeg and ffprobe are installed and ffmpeg has the encoder ``encoder`` (libopus,
    libspeex and the like are left out of some builds)."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        return False
    out = subprocess.run(["ffmpeg", "-v", "error", "-hide_banner", "-encoders"], capture_output=True, text=True)
    return any(line.split()[1:2] == [encoder] for line in out.stdout.splitlines() if line.strip())


def path_without_ffmpeg(folder: Path) -> str:
    """A PATH (one folder, made here) with a link to every program of this one but ffmpeg and
    ffprobe: a machine where ffmpeg was never installed, as most Windows and Mac ones are."""
    folder.mkdir(parents=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            link = folder / name
            if name not in ("ffmpeg", "ffprobe") and not os.path.lexists(link):
                link.symlink_to(os.path.join(directory, name))
    return str(folder)


def stepped_samples(seconds: int = 6, sr: int = 44100, channels: int = 2) -> np.ndarray:
    """A tone [shape=(n, channels)] whose pitch steps up each second (:func:`step_frequency`),
    every channel the same."""
    pitch = step_frequency(np.arange(seconds * sr) // sr)
    mono = (0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / sr)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def stepped_tone(path: Path, *codec: str, seconds: int = 6, sr: int = 44100, channels: int = 2) -> Path:
    """``path`` encoded by ffmpeg with ``codec`` (its arguments) from a tone whose pitch steps up
    each second (:func:`step_frequency`), so that where each second of it plays can be told."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = path.with_name(path.name + ".src.wav")
    sf.write(str(wav), stepped_samples(seconds, sr, channels), sr, subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *codec, str(path)], check=True)
    wav.unlink()
    return path


#: The encoders of formats ffmpeg decodes but does not write, by extension: the command (the
#: input WAV and the output file follow it) and every program it needs. Debian's Monkey's
#: Audio encoder is jmac, which Java runs.
ENCODERS = {
    "ape": (["jmac", "c2"], ("jmac", "java")),
    "mpc": (["mpcenc", "--silent", "--overwrite"], ("mpcenc",)),
}


def encoder_installed(ext: str) -> bool:
    """Whether the encoder of ``ext`` (see :data:`ENCODERS`) and what it needs are installed."""
    return all(shutil.which(program) for program in ENCODERS[ext][1])


def stepped_encoded(path: Path, *, seconds: int = 6, sr: int = 44100, channels: int = 2) -> Path:
    """``path`` written by its format's own encoder (:data:`ENCODERS`) from
    :func:`stepped_samples` as 16-bit PCM (neither encoder reads floats)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = path.with_name(path.name + ".src.wav")
    sf.write(str(wav), stepped_samples(seconds, sr, channels), sr, subtype="PCM_16")
    subprocess.run([*ENCODERS[path.suffix.lstrip(".").lower()][0], str(wav), str(path)], check=True,
                   capture_output=True)
    wav.unlink()
    return path


#: DSD64's rate (one bit a sample) and the samples of each stretch the modulator makes at a time
DSD_RATE = 2822400
_DSD_STRETCH = 64 * 8 * 4096


def _dsd_bits(samples: int, signal=None):
    """Stretches of the bits [uint8, 0 or 1] of a first-order sigma-delta modulator following
    :func:`step_frequency`'s tone, or ``signal`` (a function of the time in seconds, an array,
    giving values in [-1, 1]), for ``samples`` samples at :data:`DSD_RATE` and then zeros up
    to a whole stretch (each stretch but the last :data:`_DSD_STRETCH` samples)."""
    if signal is None:
        def signal(t):
            k = np.floor(t)                 # the phase of a pitch that steps up each second
            return 0.5 * np.sin(2 * np.pi * (300 * k + 50 * k * (k - 1) + step_frequency(k) * (t - k)))
    carry = 0.0
    for at in range(0, samples, _DSD_STRETCH):
        t = np.arange(at, at + _DSD_STRETCH) / DSD_RATE
        level = np.where(t < samples / DSD_RATE, (1 + signal(t)) / 2, 0.0)
        # a running sum's whole part steps up by the bits whose average follows the signal
        total = carry + np.cumsum(level)
        yield np.diff(np.floor(total), prepend=np.floor(carry)).astype(np.uint8)
        carry = total[-1] - np.floor(total[-1])


def write_dsf(path: Path, seconds: float = 2.0, *, channels: int = 2, title: str | None = None,
              signal=None) -> Path:
    """A DSF file (DSD64: one bit at 2.8224 MHz; ffmpeg decodes DSD but cannot write it) of
    :func:`step_frequency`'s tone, or of ``signal`` (see :func:`_dsd_bits`), with an ID3 tag
    holding ``title``. Written a stretch at a time: minutes of it take little memory."""
    import struct

    block = 4096
    n = int(seconds * DSD_RATE)
    size = -(-n // (8 * block)) * block                 # bytes per channel, whole blocks
    tag = b""
    if title is not None:
        import io

        from mutagen.id3 import ID3, TIT2

        id3, buf = ID3(), io.BytesIO()
        id3.add(TIT2(encoding=3, text=title))
        id3.save(buf)
        tag = buf.getvalue()
    fmt = b"fmt " + struct.pack("<QIIIIIIQII", 52, 1, 0, 2 if channels == 2 else 1, channels, DSD_RATE, 1, n,
                                block, 0)
    data_size = size * channels
    end = 28 + len(fmt) + 12 + data_size
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"DSD " + struct.pack("<QQQ", 28, end + len(tag), end if tag else 0) + fmt)
        f.write(b"data" + struct.pack("<Q", 12 + data_size))
        left = size
        for bits in _dsd_bits(n, signal):
            packed = np.packbits(bits, bitorder="little")[:left].reshape(-1, block)
            left -= packed.size
            f.write(np.stack([packed] * channels, axis=1).tobytes())     # a block of each channel in turn
        f.write(tag)
    return path


def write_dff(path: Path, seconds: float = 2.0, *, channels: int = 2, signal=None) -> Path:
    """A DSDIFF file (``.dff``, DSD64 uncompressed; no encoder here writes one) of the same
    tone or ``signal`` as :func:`write_dsf`: its channels' bytes interleaved one by one, each
    byte's first sample its highest bit. Untagged (mutagen's DSDIFF adds an ID3 chunk)."""
    import struct

    n = int(seconds * DSD_RATE) // 8 * 8                # (whole bytes)
    names = {1: [b"C   "], 2: [b"SLFT", b"SRGT"]}.get(channels) or [b"C%03d" % i for i in range(channels)]
    name = b"\x0enot compressed\x00"                    # (a count, the text, a pad to an even size)
    prop = b"SND " + b"FS  " + struct.pack(">QI", 4, DSD_RATE) \
        + b"CHNL" + struct.pack(">QH", 2 + 4 * channels, channels) + b"".join(names) \
        + b"CMPR" + struct.pack(">Q", 4 + len(name)) + b"DSD " + name
    head = b"FVER" + struct.pack(">QI", 4, 0x01050000) + b"PROP" + struct.pack(">Q", len(prop)) + prop
    data_size = n // 8 * channels
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"FRM8" + struct.pack(">Q", 4 + len(head) + 12 + data_size) + b"DSD " + head)
        f.write(b"DSD " + struct.pack(">Q", data_size))
        left = n // 8
        for bits in _dsd_bits(n, signal):
            packed = np.packbits(bits)[:left]           # (the highest bit first)
            left -= packed.size
            f.write(np.repeat(packed[:, None], channels, axis=1).tobytes())
    return path


def _shorten_codes(values, k: int) -> np.ndarray:
    """The bits [uint8, 0 or 1] of Shorten's unsigned codes of ``values``: a zero for each
    2**k, a one, then the k low bits."""
    values = np.asarray(values, np.int64).ravel()
    high = values >> k
    lengths = high + 1 + k
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    bits = np.zeros(int(lengths.sum()), np.uint8)
    bits[starts + high] = 1
    for j in range(k):
        bits[starts + high + 1 + j] = values >> (k - 1 - j) & 1
    return bits


def _shorten_number(value: int) -> np.ndarray:
    """A number of a Shorten header: its count of bits as a code, then it."""
    k = max(int(value).bit_length(), 1)
    return np.concatenate([_shorten_codes([k], 2), _shorten_codes([value], k)])


def write_shorten(path: Path, samples: np.ndarray, sr: int, *, block: int = 256, sized: bool = True) -> Path:
    """``samples`` [int16, shape=(n, channels)] as a Shorten file (``.shn``, version 2; nothing
    here writes one, ffmpeg decodes it): the WAV header it keeps of its source (whose data
    size is ``0xFFFFFFFF``, as a WAV written to a pipe has it, where not ``sized``), then each
    block of each channel as its differences from the sample before, Rice-coded."""
    import struct

    n, channels = samples.shape
    size = n * 2 * channels
    header = (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, sr, sr * 2 * channels, 2 * channels, 16)
              + b"data" + struct.pack("<I", size if sized else 0xFFFFFFFF))
    # the sample type (5: signed 16-bit, little-endian), channels, block size, no LPC, no
    # running mean, no bytes skipped; then the header verbatim (function 9)
    parts = [*(_shorten_number(v) for v in (5, channels, block, 0, 0, 0)),
             _shorten_codes([9], 2), _shorten_codes([len(header)], 5), _shorten_codes(list(header), 8)]
    last = np.zeros(channels, np.int64)
    for at in range(0, n, block):
        piece = samples[at:at + block].astype(np.int64)
        if len(piece) < block:          # a shorter last block (function 5)
            block = len(piece)
            parts += [_shorten_codes([5], 2), _shorten_number(block)]
        for c in range(channels):
            diff = np.diff(piece[:, c], prepend=last[c])
            last[c] = piece[-1, c]
            signed = np.where(diff >= 0, 2 * diff, -2 * diff - 1)
            k = max(int(np.abs(diff).mean() + 1).bit_length() - 1, 0)
            # first differences (function 1), their Rice parameter, them
            parts += [_shorten_codes([1], 2), _shorten_codes([k], 3), _shorten_codes(signed, k + 1)]
    parts.append(_shorten_codes([4], 2))        # the end (function 4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"ajkg\x02" + np.packbits(np.concatenate(parts)).tobytes())
    return path


def _lsb_bits(value: int, n: int) -> np.ndarray:
    """``value``'s ``n`` low bits, the lowest first (TAK's order)."""
    return (int(value) >> np.arange(n, dtype=np.int64) & 1).astype(np.uint8)


def _tak_crc(data: bytes) -> bytes:
    """TAK's CRC-24 of ``data`` (OpenPGP's: polynomial 0x864CFB from 0xB704CE), as it follows them."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc = (crc << 1 ^ (0x864CFB if crc & 0x800000 else 0)) & 0xFFFFFF
    return crc.to_bytes(3, "little")


def _tak_bytes(*parts: np.ndarray) -> bytes:
    bits = np.concatenate(parts)
    return np.packbits(np.concatenate([bits, np.zeros(-len(bits) % 8, np.uint8)]), bitorder="little").tobytes()


def write_tak(path: Path, samples: np.ndarray, sr: int, *, frame: int = 4096) -> Path:
    """``samples`` [int16, shape=(n, 1 or 2)] as a TAK file (``.tak``; nothing here writes one,
    ffmpeg decodes it and mutagen reads it), losslessly as TAK does, if far larger: its stream
    info, then frames of ``frame`` samples, each channel its first sample and its differences
    from then on, each in 19 bits (TAK's coding mode 36, which never escapes a 16-bit one)."""
    import struct

    n, channels = samples.shape

    def info() -> list:
        # mono/stereo codec, profile 0, frames of 4096 samples (type 4), the samples, PCM,
        # the rate, 16 bits, the channels, no extension
        return [_lsb_bits(2, 6), _lsb_bits(0, 4), _lsb_bits(4, 4), _lsb_bits(n, 35), _lsb_bits(0, 3),
                _lsb_bits(sr - 6000, 18), _lsb_bits(16 - 8, 5), _lsb_bits(channels - 1, 4), _lsb_bits(0, 1)]

    body = _tak_bytes(*info())
    out = [b"tBaK", bytes([1]) + struct.pack("<I", len(body) + 3)[:3], body, _tak_crc(body), bytes(4)]
    for number, at in enumerate(range(0, n, frame)):
        piece = samples[at:at + frame].astype(np.int64)
        last = at + frame >= n
        head = [_lsb_bits(0xA0FF, 16), _lsb_bits(2 | last, 3), _lsb_bits(number, 21)]
        if last:
            head += [_lsb_bits(len(piece) - 1, 14), _lsb_bits(0, 2)]
        head = _tak_bytes(*head, *info(), _lsb_bits(0, 6))     # (the stream info in every frame)
        data = []
        for c in range(channels):
            diff = np.diff(piece[:, c])
            signed = np.where(diff >= 0, 2 * diff, -2 * diff - 1)
            # no shift, the first sample, summed from differences, one part, no filter, one mode
            data += [_lsb_bits(0, 1), _lsb_bits(piece[0, c], 16), _lsb_bits(1, 2), _lsb_bits(0, 3),
                     _lsb_bits(0, 1), _lsb_bits(0, 1), _lsb_bits(36, 6),
                     (signed[:, None] >> np.arange(19) & 1).astype(np.uint8).ravel()]
        if channels == 2:
            data += [_lsb_bits(0, 1), _lsb_bits(0, 3)]           # the channels as they are
        data = _tak_bytes(*data)
        out += [head, _tak_crc(head), data, _tak_crc(data)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(out))
    return path


def empty_second_track(data: bytes) -> bytes:
    """An MP4 file of two tracks (``data``), its second track's sample tables made to list
    nothing (no chunk, no sample, no chunk run), as a chapter or text track left empty does."""
    from segue_common import mp4

    f, out = io.BytesIO(data), bytearray(data)
    moov = next((body, stop) for name, body, stop, _ in mp4.boxes(f, 0, len(data)) if name == b"moov")
    tracks = [(body, stop) for name, body, stop, _ in mp4.boxes(f, *moov) if name == b"trak"]
    assert len(tracks) == 2
    stbl = tracks[1]
    for inner in mp4._TO_TABLE:
        stbl = mp4._child(f, stbl, inner)
    for name, body, _, _ in mp4.boxes(f, *stbl):
        at = {b"stco": body + 4, b"co64": body + 4, b"stsc": body + 4, b"stsz": body + 8}.get(name)
        if at is not None:
            out[at:at + 4] = bytes(4)
    return bytes(out)


def with_chapters(path: Path, codec: str, marks: list[tuple[int, int, str]], seconds: float = 3.0) -> Path:
    """A file at ``path`` of ``seconds`` of tone encoded with ffmpeg's ``codec`` (aac for an .m4b,
    libmp3lame for an .mp3), ffmpeg writing ``marks`` ((start ms, end ms, title)) into it as
    chapters from an ``ffmetadata`` file, as a tool that makes audiobooks does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="segue-chapters-") as work:
        wav = write_audio(Path(work) / "src.wav", tone(seconds), 44100)
        meta = Path(work) / "meta.txt"
        lines = [";FFMETADATA1", "title=Book"]
        for start, end, title in marks:
            lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={title}"]
        meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-i", str(meta), "-map", "0:a",
                        "-map_metadata", "1", "-map_chapters", "1", "-c:a", codec, str(path)], check=True)
    return path
