"""CUE sheets: an album ripped as one audio file, and a sheet that says where its tracks start.

Rippers (EAC, XLD) write ``Album.flac`` and ``Album.cue``. The library lists such an album
as the tracks the sheet names, each a range of the file: from its ``INDEX 01`` to the next
track's (the gap before a track, its ``INDEX 00``, is heard at the end of the track before
it, as a CD plays it), the last one to the file's end.

What lies before the first track's ``INDEX 01`` is heard, not lost: a short gap with that
track, a longer stretch (a song hidden before the first track of a CD) as a track of its own,
number 0, so that the first track starts where the sheet says it does.

A track of a sheet is stored under a name no file has, the audio file's path with ``#`` and
its number (``/music/Album.flac#03``): the path stays the track's one key (a rescan of an
unchanged sheet finds the same rows, their plays and analysis), and the folder, the file
name and the sort order a path gives still hold. The columns ``cue_sheet``, ``cue_start_s``
and ``cue_end_s`` say which sheet and which range; :func:`audio_path` gives the file to play.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field

from segue_common.normalize import match_key
from segue_common.regular_file import open_regular_file

log = logging.getLogger(__name__)

#: frames per second of a sheet's ``mm:ss:ff`` times (a CD's sectors)
FRAMES_PER_S = 75
#: the most a sheet is read of: a sheet is a few KB; anything larger is not one
MAX_SHEET_BYTES = 1 << 20
#: extensions a sheet's audio file may have instead of the one it names (EAC names the WAV
#: it ripped to, which is then encoded to FLAC, TAK or the like and the sheet left as it was)
_INSTEAD = (".flac", ".wv", ".ape", ".wav", ".tta", ".m4a", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".tak")
#: the code pages a sheet that is not UTF-8 may be in, the likeliest first: Western, Japanese,
#: Cyrillic, Simplified and Traditional Chinese, Korean, Central European
_CODE_PAGES = ("cp1252", "cp932", "cp1251", "gbk", "big5", "cp949", "cp1250")
#: a hiragana or a katakana in Shift-JIS
_SJIS_KANA = re.compile(rb"\x82[\x9f-\xf1]|\x83[\x40-\x96]")
_TIME = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})$")
#: the shortest audio before a file's first track (from the file's start to its INDEX 01) that
#: is a track of its own, a hidden track, and not a gap heard with the first track: a CD's gap
#: before its first track is two seconds, a song hidden there minutes
HIDDEN_TRACK_S = 10.0


class CueError(Exception):
    """A sheet that cannot be used; the message is meant for the person."""


@dataclass
class CueTrack:
    number: int
    file: str                       # the audio file as the sheet names it
    start_s: float | None = None    # its INDEX 01
    title: str | None = None
    performer: str | None = None
    songwriter: str | None = None
    rem: dict = field(default_factory=dict)


@dataclass
class CueSheet:
    title: str | None = None
    performer: str | None = None
    songwriter: str | None = None
    rem: dict = field(default_factory=dict)
    tracks: list[CueTrack] = field(default_factory=list)


def decode_sheet(data: bytes, folder: str | None = None) -> str:
    """A sheet's text: UTF-8 (with or without its mark), UTF-16 with its mark, else a
    Windows code page, the one EAC wrote it in: the Western one, unless the sheet beside its
    audio in ``folder`` names that audio only when read in another (a Japanese rip's sheet
    is in Shift-JIS; read as Western its file names are no file, and its titles gibberish)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if folder is not None:
        # Kana are two bytes in Shift-JIS that mean nothing in Western text ("‚³‚­"): a
        # sheet with them is Japanese even where its file's name is plain ASCII (CDImage.wav).
        kana = len(_SJIS_KANA.findall(data)) >= 2
        for code_page in sorted(_CODE_PAGES, key=lambda page: not (kana and page == "cp932")):
            try:
                text = data.decode(code_page)
                names = {t.file for t in parse_sheet(text).tracks}
            except (UnicodeDecodeError, CueError):
                continue
            if all(find_audio_file(folder, name) is not None for name in names):
                return text
    return data.decode("cp1252", "replace")


def _time(text: str, line_no: int) -> float:
    m = _TIME.match(text)
    if m is None:
        raise CueError(f"line {line_no}: {text!r} is not a time (mm:ss:ff)")
    minutes, seconds, frames = (int(g) for g in m.groups())
    if seconds >= 60 or frames >= FRAMES_PER_S:
        raise CueError(f"line {line_no}: {text!r} is not a time (mm:ss:ff)")
    return minutes * 60 + seconds + frames / FRAMES_PER_S


def _unquoted(text: str) -> str:
    """A value as a sheet writes it: the words between its first and its last quote, as they
    are (a title may quote a word, ``"Say "Hello""``, and a name hold a backslash), else the
    words themselves; an unclosed quote leaves the rest of the line."""
    text = text.strip()
    if text.startswith('"'):
        end = text.rfind('"')
        # (spaces padding a value inside its quotes are no part of it: "  " is no title)
        return (text[1:end] if end > 0 else text[1:]).strip()
    return text


def parse_sheet(text: str) -> CueSheet:
    """The sheet in ``text``.

    Raises
    ------
    CueError
        It names no track, a track has no ``INDEX 01``, a time is not one, or the tracks of
        one file do not start in order.
    """
    sheet = CueSheet()
    file: str | None = None
    track: CueTrack | None = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        words = line.split()
        key = words[0].upper()
        rest = line[len(words[0]):].strip()
        value = _unquoted(rest) or None
        where = track if track is not None else sheet
        if key == "FILE":
            # (the file type, WAVE or MP3 or BINARY, is the last word)
            if len(words) < 2:
                raise CueError(f"line {line_no}: FILE names no file")
            if len(words) > 2 and not rest.endswith('"'):
                rest = rest[:-len(words[-1])]
            file = _unquoted(rest)
            if not file:
                raise CueError(f"line {line_no}: FILE names no file")
        elif key == "TRACK":
            if file is None:
                raise CueError(f"line {line_no}: a TRACK before any FILE")
            try:
                number = int(words[1])
            except (IndexError, ValueError):
                raise CueError(f"line {line_no}: TRACK without a number") from None
            kind = words[2].upper() if len(words) > 2 else "AUDIO"
            track = CueTrack(number, file)
            if kind == "AUDIO":
                sheet.tracks.append(track)
        elif key == "INDEX" and track is not None:
            if len(words) < 3:
                raise CueError(f"line {line_no}: INDEX without a number and a time")
            if words[1].lstrip("0") == "1":
                track.start_s = _time(words[2], line_no)
                track.file = file
        elif key == "TITLE":
            where.title = value
        elif key == "PERFORMER":
            where.performer = value
        elif key == "SONGWRITER":
            where.songwriter = value
        elif key == "REM" and len(words) >= 3:
            where.rem[words[1].upper()] = _unquoted(rest[len(words[1]):])
    if not sheet.tracks:
        raise CueError("it names no audio track")
    seen = set()
    for t in sheet.tracks:
        if t.start_s is None:
            raise CueError(f"track {t.number} has no INDEX 01 (where it starts)")
        if t.number in seen:
            raise CueError(f"track {t.number} is named twice")
        seen.add(t.number)
    for a, b in zip(sheet.tracks, sheet.tracks[1:]):
        if a.file == b.file and b.start_s <= a.start_s:
            raise CueError(f"track {b.number} starts before track {a.number} ends")
    return sheet


def read_sheet(path: str) -> CueSheet:
    """The sheet in the file ``path`` (see :func:`parse_sheet`); a file that cannot be read
    raises :class:`CueError` too."""
    try:
        with open_regular_file(path) as f:     # (a named pipe called album.cue hung the scan)
            data = f.read(MAX_SHEET_BYTES + 1)
    except OSError as exc:
        raise CueError(f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_SHEET_BYTES:
        raise CueError("too large to be a CUE sheet")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CueError("not a text file")
    return parse_sheet(decode_sheet(data, os.path.dirname(path)))


def find_audio_file(folder: str, name: str) -> str | None:
    """The audio file a sheet in ``folder`` names: as named, else by its name in another
    case, else the same name with another audio extension (a sheet written for the WAV
    that was encoded to FLAC afterwards). None when there is none."""
    name = name.replace("\\", os.sep)
    found = _audio_file(folder, name)
    if found is None and os.path.dirname(name):
        # A sheet written with the path the ripper saved to (C:\Rips\Album.wav): the file
        # is the one of that name beside the sheet, where it went with it.
        found = _audio_file(folder, os.path.basename(name))
    return found


def _audio_file(folder: str, name: str) -> str | None:
    exact = os.path.join(folder, name)
    if os.path.isfile(exact):
        return exact
    where = os.path.dirname(exact)
    try:
        # (compared composed: a sheet written on Windows names "Homogénic.flac" with its "é" as
        # one character, where a file that has been on a Mac has it as "e" and a combining
        # accent, as macOS writes names; the album was left out as its file "not there")
        entries = {unicodedata.normalize("NFC", e).lower(): e for e in os.listdir(where)}
    except OSError:
        return None
    base = unicodedata.normalize("NFC", os.path.basename(exact))
    stem = os.path.splitext(base)[0].lower()
    for candidate in (base.lower(), *(stem + ext for ext in _INSTEAD)):
        found = entries.get(candidate)
        if found is not None and os.path.isfile(os.path.join(where, found)):
            return os.path.join(where, found)
    return None


def audio_files(sheet: CueSheet, sheet_path: str) -> dict[str, list[CueTrack]]:
    """``audio file path -> its tracks`` of a sheet, in order.

    Raises
    ------
    CueError
        A file it names is not there.
    """
    folder = os.path.dirname(sheet_path)
    out: dict[str, list[CueTrack]] = {}
    found: dict[str, str] = {}
    for t in sheet.tracks:
        if t.file not in found:
            path = find_audio_file(folder, t.file)
            if path is None:
                raise CueError(f"the audio file it names, {t.file!r}, is not there")
            found[t.file] = path
        out.setdefault(found[t.file], []).append(t)
    return out


def albums_in_sheets(sheet_paths, *, unusable=None, per_track=None) -> dict:
    """``audio file -> (sheet path, sheet, its tracks in that file)`` of the sheets at
    ``sheet_paths``, read in the order of their names. Of two sheets naming one file (a copy
    in another text encoding), the first is used. A sheet that gives each of its files one
    track (a rip of a file per track, its sheet kept to burn the CD again) makes no tracks:
    its files, renamed since by a tagger, are no error of it; ``per_track(path)`` is told of
    it. A sheet that cannot be used is left out, and ``unusable(path, error)`` told why."""
    covered: dict = {}
    for path in sorted(sheet_paths):
        try:
            sheet = read_sheet(path)
            if len({t.file for t in sheet.tracks}) == len(sheet.tracks):
                if per_track is not None:
                    per_track(path)
                continue
            files = audio_files(sheet, path)
        except CueError as exc:
            if unusable is not None:
                unusable(path, exc)
            continue
        for audio, tracks in files.items():
            audio = os.path.normpath(audio)
            if len(tracks) < 2:
                continue    # (one of a sheet's files that it gives one track: that file is its track)
            if audio in covered:
                log.info("%r is named by %r and %r: the first is used", audio, covered[audio][0], path)
                continue
            covered[audio] = (path, sheet, tracks)
    return covered


def track_path(audio: str, number: int) -> str:
    """The name a sheet's track is stored under: no file has it (see the module's docstring)."""
    return f"{audio}#{number:02d}"


def audio_path(row) -> str:
    """The file to decode for a track row: its own path, or a sheet's track's audio file."""
    path = row["path"]
    return path.rpartition("#")[0] if row["cue_start_s"] is not None else path


def _number(text: str | None) -> int | None:
    m = re.search(r"\d+", text or "")
    return int(m.group(0)) if m and len(m.group(0)) < 10 else None


def _gain(text: str | None, field: str) -> float | None:
    """A sheet's ReplayGain ``text`` (``field`` "rg_track_gain" and so on), read as the tag
    reader reads a tag's: ".988" and "-.5 dB" whole, garbage ("+8000 dB") thrown out."""
    # (the tag reader's module is loaded by the time a sheet is read: see track_rows)
    from player.library.tags import tag_value

    return tag_value(field, text)


def track_rows(sheet: CueSheet, sheet_path: str, audio: str, tracks: list[CueTrack], file_tags: dict) -> list[dict]:
    """The rows of one audio file's tracks: what the sheet says of each, and what the file's
    tags and stream say where the sheet says nothing (the album, the format). ``file_tags``:
    :func:`player.library.tags.read_tags` of the file.

    Raises
    ------
    CueError
        A track starts at or after the file's end.
    """
    length = file_tags.get("duration") or 0.0
    rows = []
    album_gain = _gain(sheet.rem.get("REPLAYGAIN_ALBUM_GAIN"), "rg_album_gain")
    album_peak = _gain(sheet.rem.get("REPLAYGAIN_ALBUM_PEAK"), "rg_album_peak")
    if album_gain is None:
        # (a tag on the whole file is the album's gain, whichever field it sits in)
        album_gain = file_tags.get("rg_album_gain", file_tags.get("rg_track_gain"))
        album_peak = file_tags.get("rg_album_peak", file_tags.get("rg_track_peak"))
    # (the tag reader's year and text: its module is loaded by now, the file's tags read with
    # it; this one is imported by the player too, where mutagen need not load)
    from player.library.tags import clean_text, parse_int

    # A sheet's date as taggers write a tag's ("REM DATE 05/01/1999"): its year, not its first number
    year = parse_int(sheet.rem.get("DATE"), "year")
    if (len(tracks) > 1 and tracks[0].start_s >= HIDDEN_TRACK_S
            and all(t.number != 0 for t in tracks)):
        # A song hidden before the first track (a CD's "track 0", reached by rewinding from
        # track 1): a track of its own, before it, as rippers that rip it (XLD, CUETools)
        # list it. Heard with track 1, that track opened with minutes of another song, its
        # length was not the one its copy as separate files has, and a skip of the hidden
        # song was counted against it.
        tracks = [CueTrack(0, tracks[0].file, 0.0), *tracks]
    for i, t in enumerate(tracks):
        end = tracks[i + 1].start_s if i + 1 < len(tracks) else None
        if t.start_s >= length:
            raise CueError(f"track {t.number} starts at {_clock(t.start_s)}, after the end of "
                           f"{os.path.basename(audio)} ({_clock(length)})")
        # The first track of a file starts with the file: what lies before its INDEX 01 (the
        # gap before it, where a rip gives each track a file of its own, or a short gap
        # before the first track of a CD) is heard, not lost.
        begin = 0.0 if i == 0 else t.start_s
        # The sheet's names as a tag's are read (composed, no marks at their ends): a sheet
        # written on a Mac names "Björk" decomposed, another artist than the one of her
        # tagged albums, listed apart from them.
        artist = clean_text(t.performer) or clean_text(sheet.performer) or file_tags.get("artist")
        titled = clean_text(t.title)
        title = titled or f"Track {t.number:02d}"
        rows.append({
            **{k: file_tags.get(k) for k in ("codec", "sample_rate", "channels", "bitrate", "mb_album_id",
                                             "compilation", "albumartistsort")},
            "path": track_path(audio, t.number),
            "title": title,
            "artist": artist,
            "album": clean_text(sheet.title) or file_tags.get("album"),
            "albumartist": clean_text(sheet.performer) or file_tags.get("albumartist"),
            "genre": clean_text(sheet.rem.get("GENRE")) or file_tags.get("genre"),
            "year": year if year and 0 < year < 10000 else file_tags.get("year"),
            "track_no": t.number,
            "disc_no": _number(sheet.rem.get("DISCNUMBER")) or file_tags.get("disc_no"),
            "composer": clean_text(t.songwriter) or clean_text(sheet.songwriter),
            "duration": (min(end, length) if end is not None else length) - begin,
            "rg_track_gain": _gain(t.rem.get("REPLAYGAIN_TRACK_GAIN"), "rg_track_gain"),
            "rg_track_peak": _gain(t.rem.get("REPLAYGAIN_TRACK_PEAK"), "rg_track_peak"),
            "rg_album_gain": album_gain,
            "rg_album_peak": album_peak,
            # (a title the sheet does not give, or gives as marks alone, names no song: the
            # track has no match key)
            "match_key": match_key(artist, title) if titled else None,
            "cue_sheet": sheet_path,
            "cue_start_s": begin,
            "cue_end_s": end,
        })
    return rows


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
