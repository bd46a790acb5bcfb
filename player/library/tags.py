"""Reading a file's tags and stream info with mutagen, errors turned into values.

:func:`read_tags` returns the track columns of :data:`player.store.TRACK_FIELDS`
that a file itself defines, or raises :class:`TagReadError` with a message fit to
show the user. Nothing mutagen raises escapes this module.
"""

from __future__ import annotations

import re

import mutagen

from recommender.normalize import match_key

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
    for key, value in tags.items():
        field = _VORBIS_KEYS.get(key.lower())
        if field and out.get(field) is None:
            out[field] = _coerce(field, value)
    # Opus stores loudness as R128 gain (Q7.8 dB relative to -23 LUFS; ReplayGain is -18).
    for key, field in (("R128_TRACK_GAIN", "rg_track_gain"), ("R128_ALBUM_GAIN", "rg_album_gain")):
        if out.get(field) is None and key in tags:
            raw = _first(tags[key])
            if raw and _NUMBER.match(raw.lstrip("-+")):
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


def read_tags(path: str) -> dict:
    """Tags and stream info of one audio file.

    Raises
    ------
    TagReadError
        When mutagen does not recognise the file, it is damaged, or holds no audio.
    """
    try:
        audio = mutagen.File(path)
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
    out: dict = {
        "duration": length,
        "codec": type(audio).__name__.lower().replace("ogg", "").replace("wave", "wav") or None,
        "sample_rate": getattr(info, "sample_rate", None),
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
