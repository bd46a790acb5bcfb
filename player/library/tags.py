"""Reading a file's tags and stream info with mutagen, errors turned into values.

:func:`read_tags` returns the track columns of :data:`player.store.TRACK_FIELDS`
that a file itself defines, or raises :class:`TagReadError` with a message fit to
show the user. Nothing mutagen raises escapes this module.
"""

from __future__ import annotations

import re

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from segue_common.normalize import match_key

AUDIO_EXTENSIONS = frozenset({
    ".mp3", ".flac", ".ogg", ".oga", ".opus", ".wav", ".wave", ".aif", ".aiff", ".aifc",
    ".m4a", ".mp4", ".aac", ".alac", ".wma", ".wv", ".ape", ".mpc", ".spx", ".tta",
})


class TagReadError(Exception):
    """A file that could not be read as audio; the message says why."""


_NUMBER = re.compile(r"^\s*(\d+)")
_FLOAT = re.compile(r"[-+]?\d+(?:[.,]\d+)?")

_VORBIS_KEYS = {
    "title": "title", "artist": "artist", "album": "album", "albumartist": "albumartist",
    "album artist": "albumartist", "genre": "genre", "date": "year", "year": "year",
    "originaldate": None, "tracknumber": "track_no", "discnumber": "disc_no",
    "replaygain_track_gain": "rg_track_gain", "replaygain_track_peak": "rg_track_peak",
    "replaygain_album_gain": "rg_album_gain", "replaygain_album_peak": "rg_album_peak",
    "musicbrainz_trackid": "mb_track_id", "musicbrainz_albumid": "mb_album_id",
    "musicbrainz_artistid": "mb_artist_id",
}
_ID3_KEYS = {
    "TIT2": "title", "TPE1": "artist", "TALB": "album", "TPE2": "albumartist", "TCON": "genre",
    "TDRC": "year", "TYER": "year", "TRCK": "track_no", "TPOS": "disc_no",
}
_MP4_KEYS = {
    "\xa9nam": "title", "\xa9ART": "artist", "\xa9alb": "album", "aART": "albumartist",
    "\xa9gen": "genre", "\xa9day": "year",
}
_INT_FIELDS = {"year", "track_no", "disc_no"}
_FLOAT_FIELDS = {"rg_track_gain", "rg_track_peak", "rg_album_gain", "rg_album_peak"}


def _first(value) -> str | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip().strip("\x00")
    return text or None


def _coerce(field: str, value):
    text = _first(value)
    if text is None:
        return None
    if field in _INT_FIELDS:
        m = _NUMBER.match(text)
        return int(m.group(1)) if m else None
    if field in _FLOAT_FIELDS:
        m = _FLOAT.search(text)
        return float(m.group(0).replace(",", ".")) if m else None
    return text


def _vorbis(tags, out: dict) -> None:
    # A VComment is a list of (key, value) pairs; its dict-style accessors rescan the
    # list per key, so one pass over the pairs is several times faster on big tags.
    r128 = {}
    for key, value in list.__iter__(tags):
        lower = key.lower()
        field = _VORBIS_KEYS.get(lower)
        if field:
            if out.get(field) is None:
                out[field] = _coerce(field, value)
        elif lower.startswith("r128_"):
            r128.setdefault(lower, value)
    # Opus stores loudness as R128 gain (Q7.8 dB relative to -23 LUFS; ReplayGain is -18).
    for key, field in (("r128_track_gain", "rg_track_gain"), ("r128_album_gain", "rg_album_gain")):
        raw = _first(r128.get(key))
        if out.get(field) is None and raw and _NUMBER.match(raw.lstrip("-+")):
            out[field] = int(raw) / 256.0 + 5.0


def _id3(tags, out: dict) -> None:
    for frame, field in _ID3_KEYS.items():
        if frame in tags and out.get(field) is None:
            out[field] = _coerce(field, [str(t) for t in tags[frame].text])
    for frame in tags.getall("TXXX"):
        desc = frame.desc.lower()
        field = _VORBIS_KEYS.get(desc) or {
            "musicbrainz album id": "mb_album_id", "musicbrainz artist id": "mb_artist_id",
            "musicbrainz release track id": None,
        }.get(desc)
        if field:
            out[field] = _coerce(field, frame.text)
    for frame in tags.getall("UFID"):
        if frame.owner == "http://musicbrainz.org":
            out["mb_track_id"] = _first(frame.data)


def _mp4(tags, out: dict) -> None:
    for key, field in _MP4_KEYS.items():
        if key in tags:
            out[field] = _coerce(field, tags[key])
    if "trkn" in tags and tags["trkn"]:
        out["track_no"] = tags["trkn"][0][0] or None
    if "disk" in tags and tags["disk"]:
        out["disc_no"] = tags["disk"][0][0] or None
    for key, value in tags.items():
        if key.startswith("----:com.apple.iTunes:"):
            field = _VORBIS_KEYS.get(key.split(":", 2)[2].lower()) or {
                "musicbrainz track id": "mb_track_id", "musicbrainz album id": "mb_album_id",
                "musicbrainz artist id": "mb_artist_id",
            }.get(key.split(":", 2)[2].lower())
            if field:
                out[field] = _coerce(field, value)


def _sniff(head: bytes):
    """The mutagen class for a file's first bytes, or None to let mutagen guess.

    ``mutagen.File`` scores every format it knows for every file; the magic
    numbers of the common ones settle it at once.
    """
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        if b"\x01vorbis" in head:
            return OggVorbis
        if b"OpusHead" in head:
            return OggOpus
        return None
    if head.startswith(b"ID3"):
        return MP3
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAVE
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return AIFF
    if head[4:8] == b"ftyp":
        return MP4
    return None


def _open(path: str):
    with open(path, "rb") as f:
        head = f.read(64)
        kind = _sniff(head)
        if kind is not None:
            f.seek(0)
            try:
                return kind(f)
            except mutagen.MutagenError:
                pass  # fall through to mutagen's own guess
    return mutagen.File(path)


def read_tags(path: str) -> dict:
    """Tags and stream info of one audio file.

    Raises
    ------
    TagReadError
        When mutagen does not recognise the file, it is damaged, or holds no audio.
    """
    try:
        audio = _open(path)
    except mutagen.MutagenError as exc:
        raise TagReadError(f"unreadable {type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise TagReadError(f"cannot open: {exc.strerror or exc}") from None
    except Exception as exc:  # mutagen raises a few plain errors on hostile input
        raise TagReadError(f"damaged file ({type(exc).__name__}: {exc})") from None
    if audio is None:
        raise TagReadError("not an audio format Segue recognises")
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0.0:
        raise TagReadError("no audio in file (length 0)")
    codec = type(audio).__name__.lower().replace("ogg", "").replace("wave", "wav") or None
    out: dict = {
        "duration": length,
        "codec": codec,
        # Opus always decodes at 48 kHz; mutagen reports no rate for it.
        "sample_rate": getattr(info, "sample_rate", None) or (48000 if codec == "opus" else None),
        "channels": getattr(info, "channels", None),
        "bitrate": getattr(info, "bitrate", None) or None,
    }
    tags = audio.tags
    if tags is not None:
        kind = type(tags).__name__
        if kind in ("ID3", "_WaveID3", "_IFFID3"):
            _id3(tags, out)
        elif kind == "MP4Tags":
            _mp4(tags, out)
        elif hasattr(tags, "items"):
            _vorbis(tags, out)
    out["match_key"] = match_key(out.get("artist") or out.get("albumartist"), out.get("title"))
    return out
