"""M3U / M3U8 playlist files: read any that people have, write portable ones.

Reading accepts what players write: a UTF-8 byte-order mark, ``#EXTM3U`` and
``#EXTINF`` lines (other comments are ignored), relative paths (resolved against the
playlist's own folder), absolute paths, ``file://`` URLs, Windows separators, and old
``.m3u`` files in a Windows code page. Web addresses are not local music: they are
reported as skipped, never dropped silently.

Writing gives UTF-8 ``.m3u8`` with ``#EXTINF`` lines and paths relative to the
playlist's folder (``/`` separated), so a music folder moved or copied together with
its playlists keeps working; a file on another drive is written absolute.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from segue_common.atomic import atomic_open

EXTENSIONS = (".m3u8", ".m3u")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+://")
_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")


class PlaylistFileError(Exception):
    """A playlist file that cannot be read or written; the message says why."""


@dataclass(frozen=True)
class PlaylistFile:
    """What a playlist file holds: local file paths in order, and what was left out."""

    name: str                       # the file name without extension
    paths: list[str]                # absolute, normalised
    titles: dict[int, str]          # index in ``paths`` -> the #EXTINF title, where given
    skipped: list[str]              # web addresses and other lines that name no local file


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")   # old .m3u files from Windows players


def _local_path(entry: str, base: str) -> str | None:
    if entry.lower().startswith("file://"):
        parsed = urlparse(entry)
        return os.path.normpath(url2pathname(unquote(parsed.path)))
    if _URL.match(entry):
        return None
    if os.sep == "/" and "\\" in entry:
        if _DRIVE.match(entry):
            return None                  # a Windows drive path means nothing here
        entry = entry.replace("\\", "/")
    return os.path.normpath(os.path.join(base, os.path.expanduser(entry)))


def read_playlist(path: str | os.PathLike) -> PlaylistFile:
    """The local files a playlist names, in order (see the module docstring)."""
    path = Path(path)
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise PlaylistFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    base = str(path.resolve().parent)
    paths: list[str] = []
    titles: dict[int, str] = {}
    skipped: list[str] = []
    title = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#EXTINF:"):
                _, _, title = line.partition(",")
                title = title.strip() or None
            continue
        local = _local_path(line, base)
        if local is None:
            skipped.append(line)
        else:
            if title:
                titles[len(paths)] = title
            paths.append(local)
        title = None
    return PlaylistFile(path.stem, paths, titles, skipped)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def write_playlist(path: str | os.PathLike, entries: Sequence[tuple[str, str, float | None]], *,
                   relative: bool = True) -> Path:
    """Write ``entries`` ``(file path, "Artist - Title", seconds or None)`` as UTF-8 M3U8.

    Paths are relative to the playlist's folder when ``relative`` (and possible).
    The file is replaced atomically: a reader never sees half of it.
    """
    path = Path(path)
    folder = os.path.abspath(path.parent)
    lines = ["#EXTM3U"]
    for file_path, label, seconds in entries:
        shown = file_path
        if relative:
            try:
                shown = os.path.relpath(os.path.abspath(file_path), folder)
            except ValueError:          # another drive (Windows): only an absolute path works
                shown = os.path.abspath(file_path)
        if os.sep != "/":
            shown = shown.replace(os.sep, "/")
        length = int(round(seconds)) if seconds else -1
        lines.append(f"#EXTINF:{length},{_one_line(label)}")
        lines.append(shown)
    try:
        with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise PlaylistFileError(f"cannot write {path.name}: {exc.strerror or exc}") from None
    return path
