"""What tells one file or folder from another, for the scan and the folder watch alike (a
module of its own, so that the folder watch need not import the scanner and its tag reader)."""

from __future__ import annotations

import os
import stat as stat_mod
import unicodedata

from player.library.names import is_disc_folder
from segue_common.file_stamp import change_mark

#: the modification time a track listed at an estimated length is written with until the scan
#: counts it (see ``Scanner._count_lengths``): no file has it, so a scan finds that file changed
#: and reads it again, and the player knows not to take that length as the file's
ESTIMATED_MTIME = -1
#: the modification time a track counted before is listed with until the scan counts it again,
#: and left with where the scan stops first (see ``Scanner._listed_at_estimate``): as
#: ``ESTIMATED_MTIME``, no file has it, and the file is known by its name and size alone, but
#: its length is the one counted, and a failed count at the next scan keeps the track
COUNTED_BEFORE_MTIME = -2
#: the times of a track whose file's time is not written (its file is listed, not counted yet)
UNCOUNTED_MTIMES = (ESTIMATED_MTIME, COUNTED_BEFORE_MTIME)


def file_identity(path: str, st: os.stat_result | None = None) -> tuple[int, int | str]:
    """What tells one file or folder from another: (device, inode). On Windows a directory
    listing's entries leave both 0 (``os.stat`` has the volume and file id); a drive with no
    file ids at all (some network shares and FAT drives) gives an inode of 0 even then, and
    the path, in the case the system compares names in, stands in for it there (else
    every file and folder of such a drive would look like the first one). A folder's path is
    resolved through links, so that a link loop is walked once; a file's is not (resolving
    asks a network share once more for every file, and such drives seldom hold links)."""
    if st is None or (st.st_ino == 0 and st.st_dev == 0):
        st = os.stat(path)
    if st.st_ino:
        return st.st_dev, st.st_ino
    if stat_mod.S_ISDIR(st.st_mode):
        return st.st_dev, os.path.normcase(os.path.realpath(path))
    return st.st_dev, os.path.normcase(os.path.abspath(path))


#: the most folders looked through for a file whose folder was renamed (see :func:`moved_with_its_folder`)
MOVED_LOOK_LIMIT = 2000


def moved_with_its_folder(path: str, size: int | None, mtime_ns: int | None,
                          root: str | None = None, mark: int | None = None) -> str | None:
    """Where the file ``path`` is now, where its folder was renamed (an album's folder given
    its year, say) and no scan has followed it yet: the one file of its name, size and time
    of change in a folder beside the gone one. None where its folder is still there, or none
    or more than one such file is found. One listing of the folder above and a look at one
    file in each folder there (up to ``MOVED_LOOK_LIMIT`` folders; the files beside them are
    passed over); renaming a folder changes none of its files' sizes or times. A disc's folder
    (``Album/CD1/01.flac``) is looked for in each folder beside its album's renamed one; no
    other folder is looked for a level further up. ``root``: the library folder the file was
    found in; nothing outside it is looked through (that folder gone is a disk or share not
    connected, whose songs say so, not one renamed). ``mark``: the file's change mark as the
    library kept it (see ``change_mark``), which a renamed folder's files keep and a copy
    never has: the album's folder deleted, a backup folder beside it (``cp -a``) held files of
    the same names, sizes and times, and the next song played from there, a file the library
    never gave it to. None where none was kept: its name, size and time alone."""
    folder, name = os.path.split(path)
    if size is None or mtime_ns is None or os.path.isdir(folder):
        return None
    above = os.path.dirname(folder)
    if not os.path.isdir(above) and is_disc_folder(os.path.basename(folder)):
        # (the folder above gone too: a disc's folder inside the album's, which was renamed;
        # the folders beside that album were listed in vain, "file not found". Only a disc's:
        # an album at the top of a drive that was unplugged, its mount folder gone with it,
        # was looked for on the drives beside it, and played from a backup drive's copy.)
        name = os.path.join(os.path.basename(folder), name)
        above = os.path.dirname(above)
    if root is not None and not _within(above, root):
        # (a library folder of its own on a disk unplugged, or moved away: its songs were
        # found in a folder beside it of the same names, sizes and times, a backup's, and
        # played from there, where the person was to be told the disk is not connected)
        return None
    # A folder that comes back from a Mac (renamed there, or synced or copied back from it)
    # has its files' accented letters decomposed ("e" and a combining accent), as macOS writes
    # names, where they were composed before, or the other way round: the same names.
    names = [name] if name.isascii() else list(dict.fromkeys(
        (name, unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name))))
    found, looked = [], 0
    try:
        with os.scandir(above) as it:
            for entry in it:
                try:
                    if not entry.is_dir():
                        # (the songs and covers kept loose beside the album folders: counted,
                        # 2,000 of them hid the renamed folder, and nothing is looked up in them)
                        continue
                except OSError:
                    continue
                looked += 1
                if looked > MOVED_LOOK_LIMIT:
                    return None
                for each in names:
                    candidate = os.path.join(entry.path, each)
                    try:
                        st = os.stat(candidate)
                    except OSError:
                        continue
                    # (a track listed at an estimated length and not counted yet has no time to
                    # go by: its name and size to the byte alone)
                    same_time = mtime_ns == st.st_mtime_ns or mtime_ns in UNCOUNTED_MTIMES
                    same_file = mark is None or change_mark(st) in (mark, None)
                    if stat_mod.S_ISREG(st.st_mode) and st.st_size == size and same_time and same_file:
                        found.append(candidate)
                    break       # (one file a folder: where names are compared in one form, both forms are it)
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def _within(folder: str, root: str) -> bool:
    """``folder`` is ``root`` or a folder inside it (by their names, as stored)."""
    folder, root = os.path.normcase(os.path.normpath(folder)), os.path.normcase(os.path.normpath(root))
    return folder == root or folder.startswith(root.rstrip(os.sep) + os.sep)
