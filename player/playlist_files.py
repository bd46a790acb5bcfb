"""Playlist files: read the M3U, PLS, XSPF, WPL and ASX files people have; write portable M3U8.

Reading accepts what players write. M3U: a UTF-8 or UTF-16 byte-order mark, ``#EXTM3U``
and ``#EXTINF`` lines (other comments are ignored), relative paths (resolved against the
playlist's own folder as it was named, links kept, the way the scanner names files),
absolute paths, ``file:`` URLs, Windows separators, and lines in an old Windows code
page (each line on its own: one stray byte does not turn the rest to nonsense). PLS
(``FileN=``) as Winamp and Audacious write it, XSPF (``<location>``) as VLC writes
it, and Windows Media Player's WPL (``<media src=>``) and ASX (``<ref href=>``); an XML
file with a DOCTYPE is refused, as no such playlist needs one and it is how entity tricks
get in. Paths of another computer (``C:\\...``, ``\\\\server\\...``) are kept
as given: the library matches them by their last folders and file name. Web addresses
are not local music: they are reported as skipped, never dropped silently. A file that
is none of these (a song picked by mistake, a text file) is refused with a message.

Writing gives UTF-8 ``.m3u8`` with ``#EXTINF`` lines and paths relative to the
playlist's folder (``/`` separated), so a music folder moved or copied together with
its playlists keeps working; a file on another drive, or that shares no folder with the
playlist but ``/`` (a playlist saved on a USB stick), is written absolute, as ``../../../home/..``
would name nothing once the stick is mounted elsewhere, and a path that a plain line cannot
carry (not UTF-8, a line break in it) as a ``file://`` URL. A file named ``.m3u`` is
written in the system's code page (:data:`M3U_ENCODING`), as foobar2000, Winamp and VLC
write ``.m3u``: on Windows the ANSI code page (cp1252 on a Western one), which Windows Media
Player and the players beside it read ``.m3u`` in (in UTF-8 there, "Motörhead" was read as
"MotÃ¶rhead" and named no file); on macOS and Linux UTF-8, which their players (mpv,
Rhythmbox, Strawberry) read ``.m3u`` in and their file names are. A path that code page
cannot hold is refused with a word to export as ``.m3u8``, as foobar2000 does; a title it
cannot hold is written with ``?`` for what it cannot, as a title only labels the line.

A track of a CUE sheet is a stretch of one audio file, and an M3U line can only name a
file. It is written as that file, with its stretch in ``#EXTVLCOPT:start-time=`` and
``stop-time=`` lines, as VLC writes and reads them: VLC plays just the track, a player
that knows no such lines skips them as the comments they are and plays the file, and
Segue reads the start back to find the sheet's track (``starts``). The name Segue keeps
such a track under (``Album.flac#03``) names no file, and other players could not open it.
"""

from __future__ import annotations

import codecs
import locale
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote
from xml.parsers import expat

from segue_common.atomic import atomic_open
from segue_common.regular_file import NotRegularFile, open_regular_file

EXTENSIONS = (".m3u8", ".m3u", ".pls", ".xspf", ".wpl", ".asx")
#: larger than any playlist a person has (10,000 entries is about a megabyte)
MAX_BYTES = 64 * 1024 * 1024
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")
_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")
_URL_DRIVE = re.compile(r"^/[a-zA-Z][:|][\\/]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
TITLE_CHARS = 500                # the most of a title kept from a playlist file
_ESCAPED = re.compile(r"[\udc80-\udcff]+")
_WEB = ("http://", "https://", "ftp://", "rtsp://", "rtmp://", "mms://")
_EXTINF_LENGTH = re.compile(r"^#EXTINF:\s*(-?\d+(?:\.\d*)?)", re.IGNORECASE)
_START = re.compile(r"^#EXTVLCOPT:\s*start-time\s*=\s*(\d+(?:\.\d*)?)\s*$", re.IGNORECASE)
#: the encoding a ``.m3u`` file is written in (see the module docstring): the system's, as other
#: players there read ``.m3u`` in it; Windows gives its ANSI code page (cp1252, cp1251, cp932...)
M3U_ENCODING = locale.getencoding() if os.name == "nt" else "utf-8"


def _code_page() -> str | None:
    """:data:`M3U_ENCODING` where it is a code page, not UTF-8."""
    name = codecs.lookup(M3U_ENCODING).name
    return None if name == "utf-8" else name


class PlaylistFileError(Exception):
    """A playlist file that cannot be read or written; the message says why."""


@dataclass(frozen=True)
class PlaylistFile:
    """What a playlist file holds: local file paths in order, and what was left out."""

    name: str                       # the file name without extension
    paths: list[str]                # absolute and normalised; another computer's paths as given
    titles: dict[int, str]          # index in ``paths`` -> the title the file gives, where given
    skipped: list[str]              # web addresses and other URLs that name no local file
    kind: str = "M3U"               # "M3U", "PLS", "XSPF", "WPL" or "ASX"
    #: index in ``paths`` -> the second the entry starts at in its file, where the file gives
    #: one (a track of a CUE sheet, see the module docstring)
    starts: dict[int, float] = field(default_factory=dict)
    #: index in ``paths`` -> the song's length in seconds, where the file gives one (``#EXTINF``,
    #: PLS ``LengthN``, XSPF ``<duration>``): it tells a studio and a live take apart
    lengths: dict[int, float] = field(default_factory=dict)


def readable(text: str) -> str:
    """``text`` with the undecodable bytes of a file name (kept as surrogate escapes)
    read as the Windows code page they almost always are, so it can be shown and saved."""
    if not _ESCAPED.search(text):
        return text
    return _ESCAPED.sub(lambda m: bytes(ord(c) - 0xDC00 for c in m.group()).decode("cp1252", "replace"), text)


def foreign_path(path: str) -> bool:
    """Whether ``path`` is another system's absolute path (a Windows drive or share
    here): it names no file on this computer, and is kept as given."""
    return os.sep == "/" and (bool(_DRIVE.match(path)) or path.startswith("\\\\"))


def is_web_address(entry: str) -> bool:
    return entry.lower().startswith(_WEB)


# -- reading ---------------------------------------------------------------------------
def _refuse(name: str, why: str) -> PlaylistFileError:
    return PlaylistFileError(f"not a playlist file: {name} ({why})")


def _text(data: bytes, name: str) -> str:
    """The file's text: UTF-16/32 by their byte-order mark, else UTF-8 line by line with
    the Windows code page for a line that is not UTF-8."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise _refuse(name, "it is not the text its byte-order mark says") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise _refuse(name, "it holds binary data: a music file or another kind of file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = []
    # Split at every kind of line end: iTunes on the Mac ends lines with a lone CR, and split
    # at LF only, such a file was one line, all of it read in the code page for one stray byte.
    for line in data.splitlines(keepends=True):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            # old .m3u files from Windows players (most in the Western code page), and those
            # written here (see M3U_ENCODING): a cp1251 line read as cp1252 is nonsense
            lines.append(line.decode(_code_page() or "cp1252", errors="replace"))
    return "".join(lines)


def file_url_path(entry: str) -> str:
    """The path a ``file:`` URL names, its %-escapes decoded once (bytes that are not
    UTF-8 kept as the file system keeps them). Playlists, launchers and dropped files
    give such URLs."""
    rest = entry[len("file:"):]
    host = ""
    if rest.startswith("//"):
        host, slash, rest = rest[2:].partition("/")
        rest = slash + rest
    path = unquote(rest, errors="surrogateescape")
    if _URL_DRIVE.match(path):                      # file:///C:/Music/x.flac
        path = path[1] + ":" + path[3:]
        return path if foreign_path(path) else os.path.normpath(path)
    if host and host.lower() != "localhost":        # file://server/share/x.flac: a network share
        return "\\\\" + host + path.replace("/", "\\") if os.sep == "/" else os.path.normpath("//" + host + path)
    return os.path.normpath(path)


def _local_path(entry: str, base: str, *, uri: bool = False) -> str | None:
    """The file a playlist line names, or None for a web address. ``uri``: the line is a
    URI reference (XSPF), so a relative one is %-escaped."""
    if entry.lower().startswith("file:"):
        return file_url_path(entry)
    if _URL.match(entry):
        return None
    if uri:
        entry = unquote(entry, errors="surrogateescape")
    if foreign_path(entry):
        return entry
    if os.sep == "/" and "\\" in entry:
        entry = entry.replace("\\", "/")
    return os.path.normpath(os.path.join(base, os.path.expanduser(entry)))


def _length(text: str | None, scale: float = 1.0) -> float | None:
    """A song's length given as ``text`` (seconds, or ``scale`` of them), or None where it
    is none (``-1``: unknown, as M3U and PLS write it)."""
    try:
        value = float((text or "").strip()) * scale
    except ValueError:
        return None
    return value if 0 < value < 1e7 else None


def _m3u(text: str, name: str) -> list[tuple[str, str | None, float | None, float | None]]:
    if any(line.startswith("#EXT-X-") for line in text.splitlines()):
        raise _refuse(name, "an HLS stream index, the parts of a video or radio stream, not a list of songs")
    out, title, start, length = [], None, None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
                _, _, title = line.partition(",")
                title = title.strip() or None
                length = _length(m[1]) if (m := _EXTINF_LENGTH.match(line)) else None
            elif m := _START.match(line):
                start = float(m[1])
            continue
        out.append((line, title, start, length))
        title = start = length = None
    return out


def _pls(text: str) -> list[tuple[str, str | None, None, float | None]]:
    entries: dict[int, dict[str, str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        m = re.fullmatch(r"(file|title|length)(\d+)", key.strip().lower()) if sep else None
        if m:
            entries.setdefault(int(m[2]), {})[m[1]] = value.strip()
    return [(e["file"], e.get("title") or None, None, _length(e.get("length")))
            for _, e in sorted(entries.items()) if e.get("file")]


# XML playlists: the root element says which kind. (namespace, root) -> kind; ASX's names
# are compared without regard to case, as Windows Media Player reads them.
_XML_ROOTS = {("http://xspf.org/ns/0/", "playlist"): "XSPF", ("", "playlist"): "XSPF",
              ("", "smil"): "WPL", ("", "asx"): "ASX"}


def _xml_bytes(data: bytes, name: str) -> bytes:
    """``data`` as expat reads it: an XML file that declares no encoding is UTF-8, but an ASX
    written in Notepad or by an old web server is in the Windows code page, and expat refused
    the whole list for its one "ö". Such a file is read as an M3U is (see :func:`_text`)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or re.match(rb"(\xef\xbb\xbf)?<\?xml[^>]*encoding", data):
        return data
    return _text(data, name).encode("utf-8")


def _xml(data: bytes, name: str) -> tuple[str, list[tuple[str, str | None, None, float | None]]]:
    """The kind (XSPF, WPL or ASX) and the entries of an XML playlist, read with expat: a
    DOCTYPE (where entities would be declared) is refused, so nothing is fetched and nothing
    expands; the five entities XML itself has (``&amp;`` in a path) are read as always.

    XSPF: each track's ``<location>``, a URI, with its creator, title and duration. WPL (Windows Media
    Player's, SMIL): each ``<media src=>`` of the ``<seq>``, a path as Windows writes it.
    ASX: each ``<entry>``'s first ``<ref href=>`` (the others are the same song elsewhere, to
    try where the first fails), with its author and title; an ``<entryref>`` to a list online
    is given as its address, to be reported as skipped, not dropped unsaid."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    tracks: list[dict[str, str]] = []
    text: list[str] = []
    kind = ""

    def refuse(*_args):
        raise _refuse(name, "an XML file with a DOCTYPE, which no playlist has")

    def start(tag, attrs):
        nonlocal kind
        space, _, local = tag.rpartition(" ")
        if not stack:
            kind = _XML_ROOTS.get((space, local), "") or _XML_ROOTS.get((space, local.lower()), "")
            if not kind:
                raise _refuse(name, "an XML file that is not a playlist (XSPF, WPL or ASX)")
        if kind == "ASX":
            local = local.lower()
            attrs = {k.lower(): v for k, v in attrs.items()}
        if kind == "XSPF" and local == "track" and stack[-1:] == ["trackList"]:
            tracks.append({})
        elif kind == "WPL" and local == "media" and stack[-1:] == ["seq"] and attrs.get("src"):
            tracks.append({"location": attrs["src"]})
        elif kind == "ASX" and local == "entry" and stack[-1:] == ["asx"]:
            tracks.append({})
        elif kind == "ASX" and local == "ref" and stack[-2:] == ["asx", "entry"] and attrs.get("href"):
            tracks[-1].setdefault("location", attrs["href"].strip())
        elif kind == "ASX" and local == "entryref" and stack[-1:] == ["asx"] and _URL.match(attrs.get("href", "")) \
                and not attrs["href"].lower().startswith("file:"):
            tracks.append({"location": attrs["href"]})      # another list online: reported as skipped
        stack.append(local)
        text.clear()

    def end(tag):
        local = stack.pop()
        if kind == "XSPF" and stack[-2:] == ["trackList", "track"] and local in (
                "location", "title", "creator", "duration"):
            tracks[-1].setdefault(local, "".join(text).strip())
        elif kind == "ASX" and stack[-2:] == ["asx", "entry"] and local in ("title", "author"):
            tracks[-1].setdefault("creator" if local == "author" else local, "".join(text).strip())
        text.clear()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    try:
        parser.Parse(_xml_bytes(data, name), True)
    except expat.ExpatError as exc:
        raise _refuse(name, f"not well-formed XML: {expat.errors.messages[exc.code]}") from None
    out = []
    for t in tracks:
        if t.get("location"):
            title = " - ".join(x for x in (t.get("creator"), t.get("title")) if x)
            out.append((t["location"], title or None, None, _length(t.get("duration"), 0.001)))   # (ms)
    return kind, out


def _read_bytes(path: Path) -> bytes:
    try:
        # Not opened the plain way: a named pipe given as a playlist (``segue play x.m3u``, the
        # Open dialog, a drop) would wait for a writer for ever, and a device never ends.
        with open_regular_file(path) as fh:
            head = fh.read(64 * 1024)
            if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
                raise _refuse(path.name, "it holds binary data: a music file or another kind of file?")
            rest = fh.read(MAX_BYTES)
            if fh.read(1):
                raise _refuse(path.name, "far larger than any playlist")
            return head + rest
    except NotRegularFile as exc:
        raise _refuse(path.name, str(exc)) from None
    except OSError as exc:
        raise PlaylistFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def read_playlist(path: str | os.PathLike) -> PlaylistFile:
    """The local files a playlist names, in order (see the module docstring)."""
    path = Path(path)
    data = _read_bytes(path)
    text = _text(data, path.name)
    # The folder as the person named it, links not resolved: the library's paths are named
    # the same way, so a playlist inside a linked music folder names its tracks.
    base = os.path.abspath(path.parent)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    suffix = path.suffix.lower()
    if first.lower() == "[playlist]":
        kind, entries = "PLS", _pls(text)
    elif first.startswith("<"):
        if re.match(r"<(!doctype\s+)?html", first, re.IGNORECASE):
            raise _refuse(path.name, "a web page, saved in place of the playlist it offered?")
        kind, entries = _xml(data, path.name)
    elif _CONTROL.search(text):
        raise _refuse(path.name, "it holds binary data: a music file or another kind of file?")
    elif first.upper().startswith("#EXTM3U") or suffix in (".m3u", ".m3u8"):
        kind, entries = "M3U", _m3u(text, path.name)
    elif suffix in (".pls", ".xspf", ".wpl", ".asx"):
        raise _refuse(path.name, f"it does not start the way a {suffix[1:].upper()} file does")
    else:
        raise _refuse(path.name, "not M3U, PLS, XSPF, WPL or ASX")
    paths: list[str] = []
    titles: dict[int, str] = {}
    skipped: list[str] = []
    starts: dict[int, float] = {}
    lengths: dict[int, float] = {}
    for entry, title, start, length in entries:
        local = _local_path(entry, base, uri=kind == "XSPF")
        if local is None:
            skipped.append(entry)
            continue
        title = _shown(title)
        if title:
            titles[len(paths)] = title
        if start is not None:
            starts[len(paths)] = start
        if length is not None:
            lengths[len(paths)] = length
        paths.append(local)
    return PlaylistFile(path.stem, paths, titles, skipped, kind, starts, lengths)


# -- writing -----------------------------------------------------------------------------
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3")}


def file_name(name: str, suffix: str = ".m3u8") -> str:
    """A playlist's name as the name of a file every system takes, with ``suffix``: a slash
    would make a folder of part of it, and Windows refuses ``\\ : * ? " < > |``, a name
    ending in a dot or space, and device names (``CON``, ``NUL.m3u8``). A long name is cut
    to fit the 255 bytes a file name can have."""
    text = _NOT_IN_NAMES.sub("-", readable(name)).strip().rstrip(". ")
    if text.partition(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    text = text.encode("utf-8")[:240].decode("utf-8", "ignore").rstrip(". ") or "playlist"
    return text + suffix


def _one_line(text: str) -> str:
    return " ".join(readable(str(text)).split())


def _shown(title: str | None) -> str | None:
    # A title is shown in one row of the playlist: an XSPF title may hold line breaks and
    # control characters, and a damaged or hostile file a title of any length.
    if not title:
        return None
    return _one_line(_CONTROL.sub(" ", title))[:TITLE_CHARS] or None


def _as_url(path: str) -> str:
    return Path(path).as_uri()          # %-escapes the bytes of a name that is not UTF-8


def _plain_line_ok(path: str) -> bool:
    """Whether a path can be written as a plain line and read back as itself."""
    if "\n" in path or "\r" in path or path != path.strip():
        return False
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:          # a file name that is not UTF-8
        return False
    return True


def _as_written(whole: str, folder: str, path=os.path) -> str:
    """``whole`` (an absolute path) as a playlist in ``folder`` names it: relative, or whole
    where only the root is shared. On Linux and macOS ``/`` holds every disk, and a stick
    mounted elsewhere would make ``../../../home/..`` name nothing; a Windows drive (or
    network share) is one disk, so its files stay relative even when they share only its root:
    ``D:\\Music`` and ``D:\\Lists`` on a stick that is ``E:`` on the next computer.
    ``path``: the path rules to go by (``ntpath`` for Windows')."""
    try:
        shared = path.commonpath([whole, folder])
    except ValueError:                  # another drive (Windows): only an absolute path works
        return whole
    if not path.splitdrive(folder)[0] and shared == path.sep:
        return whole
    return path.relpath(whole, folder)


def _fits_code_page(line: str, code_page: str) -> bool:
    try:
        line.encode(code_page)
    except UnicodeEncodeError:
        return False
    return True


def _seconds(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def write_playlist(path: str | os.PathLike, entries: Sequence[tuple], *, relative: bool = True) -> Path:
    """Write ``entries`` ``(file path, "Artist - Title", seconds or None)`` as UTF-8 M3U8
    (a ``.m3u`` name: in the system's code page, see the module docstring);
    a track of a CUE sheet as ``(its audio file, label, seconds, (start, end or None))``
    (see the module docstring).

    Paths are relative to the playlist's folder when ``relative`` (and possible).
    The file is replaced atomically: a reader never sees half of it. A file there that is
    read-only is refused, not replaced: the rename that makes the write atomic would go
    round its mode, where Windows and a text editor keep it (or ask). A link is written
    through, to the file it names.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0                            # (none there: a new file)
    if stat.S_ISREG(mode) and not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PlaylistFileError(f"cannot write {path.name}: the file there is read-only, and is kept as it was")
    folder = os.path.abspath(path.parent)
    code_page = _code_page() if path.suffix.lower() == ".m3u" else None
    lines = ["#EXTM3U"]
    for file_path, label, seconds, *span in entries:
        if foreign_path(file_path):
            shown = file_path               # another computer's path, kept as it came
        elif not _plain_line_ok(file_path):
            shown = _as_url(os.path.abspath(file_path))
        else:
            shown = file_path
            if relative:
                shown = _as_written(os.path.abspath(file_path), folder)
            if os.sep != "/":
                shown = shown.replace(os.sep, "/")
            if shown.startswith("#"):       # "#9 Dream.flac" would be read as a comment
                shown = "./" + shown
        if code_page and not _fits_code_page(shown, code_page):
            raise PlaylistFileError(
                f"cannot write {path.name}: “{readable(shown)}” has letters an .m3u file cannot hold "
                "(other players read it in the Windows code page); export as .m3u8, which holds every name")
        length = int(round(seconds)) if seconds else -1
        lines.append(f"#EXTINF:{length},{_one_line(label)}")
        if span and span[0] is not None:
            start, end = span[0]
            lines.append(f"#EXTVLCOPT:start-time={_seconds(start)}")
            if end is not None:
                lines.append(f"#EXTVLCOPT:stop-time={_seconds(end)}")
        lines.append(shown)
    # A link (the file kept in a synced folder, linked from the music's) is written through:
    # the new file renamed over it replaced the link, and the file it named stayed as it was.
    # The paths in it stay relative to the folder as named, where players open it from. A link
    # to nothing (a disk not connected) is replaced, as no folder is made on a disk not there.
    target = Path(os.path.realpath(path)) if path.is_symlink() and path.exists() else path
    text = "\n".join(lines) + "\n"
    data = text.encode(code_page, errors="replace") if code_page else text.encode("utf-8")
    try:
        with atomic_open(target, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        # (the write is atomic: a playlist there is whole as it was, which is what a person
        # told "No space left on device" asks next)
        kept = "; the file there is kept as it was" if stat.S_ISREG(mode) else ""
        raise PlaylistFileError(f"cannot write {path.name}: {exc.strerror or exc}{kept}") from None
    return path
