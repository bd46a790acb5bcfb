"""Opening a file a person or a music folder names without the risk of waiting for ever.

A music folder can hold a named pipe, a socket or a link to a device under any name: a
song's, a CUE sheet's, a cover picture's. Opened the ordinary way, a named pipe waits for a
writer for ever (and whatever opened it with it: the scan, a worker of the shared pool), and
a device such as /dev/zero never ends. Everything the player reads from those folders opens
them here: without blocking, then checked to be a regular file.
"""

from __future__ import annotations

import os
import stat


class NotRegularFile(OSError):
    """The path names something other than a regular file; the message says what."""


def kind(mode: int) -> str:
    """What a file of ``mode`` that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def check_regular_file(path: str | os.PathLike) -> os.stat_result:
    """The status of ``path`` (a link followed), :class:`NotRegularFile` where it is no
    regular file: told without opening it, as opening some things does something of itself
    (a tape device rewinds, a serial line hangs up the modem, a named pipe lets its writer on)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(f"not a regular file ({kind(st.st_mode)})")
    return st


def open_regular_file(path: str | os.PathLike):
    """A binary file object for ``path``; :class:`NotRegularFile` where it is no regular
    file, OSError where it cannot be opened. What it names is looked at first and opened
    only when a regular file (see :func:`check_regular_file`); opened without blocking and
    looked at again, as it may have been swapped for a pipe in between. (Opening without
    blocking changes nothing for a regular file: its reads wait for the disk as ever.)"""
    def opener(name, flags):
        return os.open(name, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))

    check_regular_file(path)
    f = open(path, "rb", opener=opener)    # keeps the name: mutagen weighs the extension too
    try:
        mode = os.fstat(f.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"not a regular file ({kind(mode)})")
        return f
    except BaseException:
        f.close()
        raise


def open_regular_stream(path: str | os.PathLike):
    """As :func:`open_regular_file`, for a reader that needs no name: opened once, by the
    system's open alone (the file object's ``name`` is its descriptor)."""
    check_regular_file(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"not a regular file ({kind(mode)})")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
