"""What to call a track whose tags say nothing: its file and folder names.

Many real libraries (ripped game soundtracks, downloads, old MP3 folders) have no
tags at all. Such a track is shown, searched and spoken of by its file name without
the extension as title, the folder holding it as album and the folder above that as
artist, as long as those folders lie inside the library folder (the library folder's
own name says nothing about the music). A disc folder ("CD1", "Disc 2") is skipped
over, so the album is the folder above it.

The names are derived when read, never stored: the tags stay the only truth in the
database (a tag written later shows at once, a renamed folder renames its tracks),
and code that must not mistake a folder for a real artist (matching the shipped
priors) can still tell which is which: :func:`track_names` says what was guessed.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass

from segue_common.text import shown

_DISC_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# "CD2", "Disc 2", "disk-3", and as rippers and shops name them too: "Disc One", "CD1 of 2",
# "CD 2 - Bonus", "Disc 1 (Live)", "Disc 2: The B-Sides" (a word after the number only
# behind a dash, colon or bracket, so that an album called "CD 2 Go" stays an album).
_DISC_FOLDER = re.compile(r"^(?:cd|dis[ck])[\s._-]*(\d{1,2}|" + "|".join(_DISC_WORDS) + r")"
                          r"(?:\s*(?:of|/)\s*\d{1,2})?(?:\s*[-\u2013:(\[].*)?$", re.I)
# An album title that names one disc of a set: "The Wall (Disc 1)", "Album [CD2]", "Album - CD 2",
# "Album, Disc Two", "Album (disc 1 of 2)". Only at its end, behind a bracket, dash, comma or
# colon, and with a number: "Disc 2 Love", "Best of CD" and "Hits Vol. 2" are albums of their own.
_DISC_NUMBER = r"(?:cd|dis[ck])[\s._-]*(\d{1,2}|" + "|".join(_DISC_WORDS) + r")(?:\s*(?:of|/)\s*\d{1,2})?"
_DISC_TITLE = re.compile(r"^(.*?\S)\s*(?:[(\[]\s*" + _DISC_NUMBER + r"\s*[)\]]|\s*[-\u2013,:]\s*"
                         + _DISC_NUMBER + r")\s*$", re.I)
_LEADING_NUMBER = re.compile(r"^(\d{1,3})(?:[\s._-]|$)")
_DISC_TRACK = re.compile(r"^(\d)[-.](\d{2})(?:[\s._-]|$)")      # "1-03 Song": disc 1, track 3
_SEPARATORS = ("/", "\\") if os.sep == "\\" else ("/",)


@dataclass(frozen=True)
class TrackNames:
    """A track's title, artist and album as shown, and which of them came from its path."""

    title: str
    artist: str
    album: str
    guessed: frozenset = frozenset()    # of "title", "artist", "album"


def is_disc_folder(name: str) -> bool:
    """``CD1``, ``Disc 2``, ``disk-3``, ``Disc One``, ``CD 2 - Bonus``: a folder holding one
    disc of an album."""
    return bool(_DISC_FOLDER.match(name))


@functools.lru_cache(maxsize=4096)     # (read for each track: an album's title repeats)
def title_disc(album: str) -> tuple[str, int | None]:
    """``(title, disc)``: an album title without the disc it names at its end, and that disc's
    number, or ``(album, None)`` where it names none. Many rips tag each disc of a set as an
    album of its own, "The Wall (Disc 1)" and "The Wall (Disc 2)": the library, album playback
    and Up next take them as one album by the title without it (shown still as tagged).

    >>> title_disc("The Wall (Disc 2)"), title_disc("Album, Disc One"), title_disc("Disc 2 Love")
    (('The Wall', 2), ('Album', 1), ('Disc 2 Love', None))
    """
    found = _DISC_TITLE.match(album) if album else None
    if not found:
        return album, None
    number = (found.group(2) or found.group(3)).lower()
    disc = int(number) if number.isdigit() else _DISC_WORDS.index(number) + 1
    return (found.group(1), disc) if disc else (album, None)


def release_folder(path: str) -> str:
    """The folder a release lies in, for telling releases apart: :func:`album_folder`, the
    disc named at the end of its name left out ("The Wall (Disc 2)" is "The Wall"), as the
    discs of a set tagged as albums of their own are often ripped each into a folder so named."""
    folder = album_folder(path)
    head, name = os.path.split(folder)
    base, disc = title_disc(name)
    return os.path.join(head, base) if disc else folder


def album_folder(path: str) -> str:
    """The folder an album lies in: the track's folder, or the one above a disc folder ("CD2")."""
    folder = os.path.dirname(path)
    return os.path.dirname(folder) if is_disc_folder(os.path.basename(folder)) else folder


def _split(path: str) -> list[str]:
    if len(_SEPARATORS) > 1:
        path = path.replace("\\", "/")
    return path.split("/")


def _name(part: str) -> str:
    """A file or folder name as a name to show: :func:`shown`, and composed (NFC). A Mac writes
    its file names decomposed ("o" and a combining accent), and files copied from it keep
    them so; the tags, read composed, call the same artist by the same letters composed, and
    the folder's name must be that same string, not a look-alike."""
    text = shown(part)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _stem(file_name: str) -> str:
    stem, dot, ext = file_name.rpartition(".")
    return stem if dot and stem and "/" not in ext else file_name


def _folder_names(folders: list[str], below_root: bool) -> tuple[str, str]:
    """``(artist, album)`` from the folders holding a file, outermost first."""
    folders = [f for f in folders if f]
    if len(folders) > 1 and _DISC_FOLDER.match(folders[-1]):
        folders = folders[:-1]
    album = folders[-1] if folders else ""
    artist = folders[-2] if len(folders) > 1 and below_root else ""
    return artist, album


def path_names(path: str, root: str | None = None) -> tuple[str, str, str]:
    """``(title, artist, album)`` from the path alone ("" where it gives nothing).

    ``root``: the library folder the file was found in; folders at or above it are
    never used. Without one, only the file's own folder is used (as album).

    >>> path_names("/m/Soundtracks/Zelda/CD1/01 Overworld.mp3", "/m")
    ('01 Overworld', 'Soundtracks', 'Zelda')
    >>> path_names("/m/song.ogg", "/m")
    ('song', '', '')
    """
    parts = _split(path)
    folders = parts[:-1]
    below = False
    if root:
        prefix = _split(root.rstrip("/\\"))
        below = folders[:len(prefix)] == prefix
    folders = folders[len(prefix):] if below else folders[-1:]
    # File names that are not UTF-8 are shown with U+FFFD where their bad bytes are.
    return (_name(_stem(parts[-1])), *(_name(n) for n in _folder_names(folders, below)))


def path_numbers(path: str) -> tuple[int | None, int | None]:
    """``(track, disc)`` numbers from the path alone (None where it gives none): the
    number a file name starts with ("01 Overworld", "07. Song", "3-Intro"; "1-03 Song" is
    disc 1, track 3) and the number of the disc folder holding it ("CD2").

    >>> path_numbers("/m/Zelda/CD2/07 - Boss.mp3")
    (7, 2)
    >>> path_numbers("/m/Zelda/1985 Demo.mp3")
    (None, None)
    """
    parts = _split(path)
    stem = _stem(parts[-1])
    disc = None
    named = _DISC_FOLDER.match(parts[-2]) if len(parts) > 1 else None
    if named:
        number = named.group(1).lower()
        disc = (int(number) if number.isdigit() else _DISC_WORDS.index(number) + 1) or None
    both = _DISC_TRACK.match(stem)
    if both:
        return int(both.group(2)) or None, disc or int(both.group(1)) or None
    found = _LEADING_NUMBER.match(stem)
    return (int(found.group(1)) or None) if found else None, disc


def file_disc(path: str, track=None) -> int | None:
    """The disc number the file name gives ("1-03 Song": disc 1), or None. With ``track``
    (the track's number tag) only where the name's track number is that one: a file named
    by its title alone ("7-11", "9-11 Tribute", "5-15 Blues") names no disc.

    >>> file_disc("/m/Set/2-01 Intro.flac"), file_disc("/m/Set/07 Boss.flac")
    (2, None)
    >>> file_disc("/m/Set/2-01 Intro.flac", 1), file_disc("/m/Album/7-11.flac", 4)
    (2, None)
    """
    name = _split(path)[-1] if len(_SEPARATORS) > 1 else path.rpartition("/")[2]
    if name[1:2] not in ("-", ".") or not name[:1].isdigit():
        return None         # (most names: the library reads this for every track without a disc tag)
    found = _DISC_TRACK.match(_stem(name))
    if not found or (track is not None and track != "" and _int_or_none(track) != int(found.group(2))):
        return None
    return int(found.group(1)) or None


def _int_or_none(value) -> int | None:
    # (the database may hold text in a number column)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def path_disc(path: str, track=None) -> int | None:
    """The disc number a track's path gives where its tags give none: its disc folder's
    ("CD2"), else its file name's (:func:`file_disc`), or None."""
    disc = path_numbers(os.path.dirname(path) + "/x")[1]
    return disc or file_disc(path, track)


def track_names(row, root: str | None = None) -> TrackNames:
    """The names to show for a track row (``sqlite3.Row`` or dict with ``path``, ``title``,
    ``artist``, ``album`` and optionally ``albumartist``): its tags, else its path's."""
    return _names(row, path_names(row["path"], root) if _missing(row) else None)


def _missing(row) -> bool:
    return not (row["title"] and row["album"] and (row["artist"] or _albumartist(row)))


def _albumartist(row) -> str | None:
    try:
        return row["albumartist"]
    except (KeyError, IndexError):
        return None


def _names(row, from_path: tuple[str, str, str] | None) -> TrackNames:
    title, artist, album = row["title"], row["artist"] or _albumartist(row), row["album"]
    if from_path is None:
        return TrackNames(title, artist, album)
    guessed = []
    if not title:
        title = from_path[0]
        guessed.append("title")
    if not artist and from_path[1]:
        artist = from_path[1]
        guessed.append("artist")
    if not album and from_path[2]:
        album = from_path[2]
        guessed.append("album")
    return TrackNames(title or "", artist or "", album or "", frozenset(guessed))


# What a Namer reads of a track's row: a read of only these is enough to name it.
NAME_COLUMNS = ("path", "folder_id", "title", "artist", "albumartist", "album")


class Namer:
    """Names tracks of one library: ``namer(row)`` knows the library folder of each row
    (by its ``folder_id``) from the store's folder list. It remembers each folder's names,
    so naming a library of untagged albums costs little more than reading it."""

    def __init__(self, folders):
        """``folders``: rows with ``id`` and ``path`` (``store.folders()``)."""
        self.roots = {f["id"]: f["path"] for f in folders}
        self._dirs: dict[tuple[str, str | None], tuple[str, str]] = {}

    @classmethod
    def of(cls, store) -> "Namer":
        return cls(store.folders())

    def path_names(self, path: str, folder_id: int | None) -> tuple[str, str, str]:
        """:func:`path_names` for a file found in library folder ``folder_id``."""
        if len(_SEPARATORS) > 1:
            path = path.replace("\\", "/")
        folder, _, name = path.rpartition("/")
        root = self.roots.get(folder_id)
        cached = self._dirs.get((folder, root))
        if cached is None:
            cached = path_names(folder + "/x", root)[1:]
            self._dirs[(folder, root)] = cached
        return (_name(_stem(name)), *cached)

    def __call__(self, row) -> TrackNames:
        if not _missing(row):
            return _names(row, None)
        try:
            folder_id = row["folder_id"]
        except (KeyError, IndexError):
            folder_id = None
        return _names(row, self.path_names(row["path"], folder_id))
