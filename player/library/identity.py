"""What tells one file or folder from another, for the scan and the folder watch alike (a
module of its own, so that the folder watch need not import the scanner and its tag reader)."""

from __future__ import annotations

import os
import stat as stat_mod


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
