"""What tells that a file was written since it was last looked at, beside its size and
modification time, on every system: the library's scan, files opened by name and the
player's memory of files that would not play all ask the one function here, so that what
one of them takes for a change the others do too."""

from __future__ import annotations

import os

#: the largest value an SQLite integer holds (the library stores the mark with the track)
_MOST = (1 << 63) - 1


def change_mark(st: os.stat_result) -> int | None:
    """A value of the file ``st`` is the stat of that moves when the file is written, even by
    a tagger told to keep its modification time (it saves, then sets the time back), or None
    where the system keeps none. Equal size, modification time and mark: the file is as it was.

    On Linux and macOS it is the status-change time (``st_ctime_ns``): every write moves it,
    and so do a rename, a change of permissions or of links, and no program can set it back.

    On Windows ``st_ctime`` is the time the file was made (from Python 3.12 given as
    ``st_birthtime`` too, its old meaning there deprecated): a save in place keeps it, and so
    does a save to a new file renamed over the old one, as the system hands a file made within
    seconds of its predecessor's removal that one's creation time ("tunnelling", made for just
    that way of saving), so it tells nothing. NTFS keeps a change time of its own, but only a
    handle opened on each file reads it (``GetFileInformationByHandleEx``): one more round trip
    per file, at every scan, to a network share. ``os.stat`` gives the file's id there
    (``st_ino``, its index on the volume, with Python 3.5 and later): a save to a new file
    renamed over the old one is another file, with another id, and that is seen; a file
    rewritten in place keeps its id, and only its size and modification time tell there (the
    library's Read again reads it whatever they say). A directory listing's entries and some
    network shares give an id of 0: None. FAT makes its ids from where the file's entry lies
    in its folder, so a rename or a defragmenter can change one: the file is read again
    then, nothing worse. ReFS's ids are 128 bits long:
    folded into what the database holds."""
    if os.name != "nt":
        return st.st_ctime_ns
    return st.st_ino % _MOST or None


def mark_moved(kept: int | None, st: os.stat_result) -> bool:
    """Whether the file ``st`` is the stat of was written since its :func:`change_mark` was
    ``kept`` (None where none was kept: a row stored before marks were, or where the system
    gives none). Of a file whose size and modification time are as they were: one a tagger
    saved and set the time back on."""
    now = change_mark(st)
    return kept is not None and now is not None and kept != now
