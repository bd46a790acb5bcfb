"""Which files and folders the library leaves out, for the scan and the folder watch alike
(a module of its own, so that the folder watch need not import the scanner and its tag
reader)."""

import re
import unicodedata

#: folders Windows keeps at the root of every drive: the recycle bin (whose deleted songs keep
#: their audio under other names) and the system's own; compared without case, as Windows does.
#: (Names no music folder has: Windows XP's bin, "RECYCLER", is left out of this list, since
#: an album can be called "Recycler".)
WINDOWS_SYSTEM_FOLDERS = frozenset({"$recycle.bin", "system volume information"})


def hidden_name(name: str | bytes) -> bool:
    """Whether ``name`` is hidden, as Unix hides a name: a leading dot ("._song.mp3", ".Trash").
    A leading ellipsis is an album's or a song's title ("...And Justice for All", "...Baby One
    More Time", as Windows and its rippers name folders), never a program's hidden file, and
    taking it for one left the album out of the library without a word."""
    if isinstance(name, bytes):
        return name.startswith(b".") and not name.startswith(b"...")
    return name.startswith(".") and not name.startswith("...")


def extension(name: str | bytes) -> str | bytes:
    """The extension of a file named ``name``, lower-cased with its dot (".mp3"), or empty
    where it has none. Read as what follows the last dot, as a file manager reads it: a song
    called "..." is saved as "....mp3", which ``os.path.splitext`` (leading dots never start
    an extension there) gave no extension, and the song was never taken for music."""
    dot = name.rfind(b"." if isinstance(name, bytes) else ".")
    return name[dot:].lower() if dot > 0 else name[:0]


def skipped_name(name: str) -> bool:
    """Whether a file or folder named ``name`` is left out of the library: hidden ones
    (:func:`hidden_name`) and the system folders of a Windows drive."""
    return hidden_name(name) or name.casefold() in WINDOWS_SYSTEM_FOLDERS


#: the marks file-sync programs put into the name of the second copy they keep of a file
#: changed on two machines at once; what is left once the mark is taken out is the name of
#: the file it is a copy of. Syncthing: "song.sync-conflict-20240101-120000-ABCDEFG.flac"
#: (older versions leave the device out); Dropbox: "song (conflicted copy 2024-01-01).flac"
#: or "song (Laptop's conflicted copy 2024-01-01).flac", Nextcloud the same with its user's
#: name before the date and the time after it ("song (conflicted copy Jane Doe 2024-01-01
#: 120000).flac", older versions without the name); ownCloud: "song_conflict-20240101-120000.flac";
#: OneDrive keeps both by adding the computer's name, "song-DESKTOP-ABC1234.flac": only Windows' own names for a
#: computer (DESKTOP- or LAPTOP- and seven letters and digits) are taken for it, since a name
#: a person gave their computer cannot be told from the rest of a song's name. Dropbox also
#: keeps apart two files whose names differ only in case, or only in how their accents are
#: encoded (a Mac's decomposed "e" and accent, Windows' one "é"), which a Windows or Mac disk
#: takes for one name: "Song (Case Conflict).flac" beside "song.flac", "Café (Unicode Encoding
#: Conflict).flac" beside "Café.flac" (the same song, named twice: see :func:`name_key`).
_CONFLICT_MARKS = re.compile(
    r"(?:\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?"
    r"| \((?:[^()]*'s )?conflicted copy(?: [^()]*?\d{4}-\d{2}-\d{2}[^()]*)?\)"
    r"| \((?i:(?:case|unicode encoding) conflict)\)"
    r"|_conflict-\d{8}-\d{6}"
    r"|-(?:DESKTOP|LAPTOP)-[A-Z0-9]{7})"
    r"(?=\.[^.]*$|$)")


def name_key(name: str) -> str:
    """``name`` as a Windows or Mac disk compares names: case and the encoding of accents
    left out. A conflict copy's song is looked for by it (see ``_CONFLICT_MARKS``)."""
    return unicodedata.normalize("NFC", name).casefold()


def conflict_copy_of(name: str) -> str | None:
    """The name of the file that a file named ``name`` is a sync program's conflict copy of
    (see ``_CONFLICT_MARKS``), or None where its name is no such copy's."""
    original = _CONFLICT_MARKS.sub("", name, count=1)
    return original if original != name and original else None
