"""Getting out of a damaged library: restore the newest backup, or start a new one.

Nothing is deleted: the damaged file (with its ``-wal`` and ``-shm``) is renamed to
``library.db.damaged-<time>`` beside it, so it can still be sent to someone who
can rescue it.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import shutil
import time
from pathlib import Path

from player.store.connection import StoreError, newest_backup, room_for_copy
from segue_common import atomic

#: what a write that finds no room fails with: a full disk, a quota, a file size limit
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _account_file_limit() -> int | None:
    """The most bytes this process may write to one file (its RLIMIT_FSIZE), or None where
    there is no such limit (or no way to ask, as on Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY or soft < 0 else soft


def set_aside(db_path: str | os.PathLike) -> Path | None:
    """Rename the database and its WAL files to ``<name>.damaged-<time>``; returns the new name."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}-{n}")
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            atomic.replace(side, aside.with_name(aside.name + suffix))
    try:
        atomic.replace(db_path, aside)
    except FileNotFoundError:       # another restore set it aside a moment ago
        return None
    return aside


#: a half copy older than this was left by a restore cut short (one under way writes it still)
LEFTOVER_AGE_S = 3600.0


def _restoring(db_path: Path) -> str:
    return f".{db_path.name}.restoring"


def _clean_leftovers(db_path: Path) -> None:
    """Remove the half copies of restores cut short (the computer off, the process killed):
    hidden beside the library, each held as much room as the backup for good."""
    now = time.time()
    for left in db_path.parent.glob(glob.escape(_restoring(db_path)) + "*"):
        with contextlib.suppress(OSError):
            if left.is_file() and now - left.stat().st_mtime > LEFTOVER_AGE_S:
                left.unlink()


def restore_backup(db_path: str | os.PathLike, backup: str | os.PathLike | None = None) -> tuple[Path | None, Path]:
    """Put ``backup`` (default: the newest one) in place of the database.

    Returns ``(where the damaged file went, the backup used)``. The backup itself
    stays; the restored copy is migrated on the next open like any older library.
    """
    db_path = Path(db_path)
    backup = Path(backup) if backup else newest_backup(db_path)
    if backup is None or not backup.is_file():
        raise StoreError(f"there is no backup of {db_path} to restore")
    _clean_leftovers(db_path)
    # A name of its own: two restores at once (the window's and segue library's) wrote one
    # file; the second set the first's restored library aside as damaged and, its copy moved
    # away under it, left no library.db at all.
    tmp = db_path.with_name(f"{_restoring(db_path)}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        shutil.copyfile(backup, tmp)
    except OSError as exc:
        # A copy cut short (a full disk) goes: the hidden half copy held the very room the
        # person had just made, and the message named the backup as the file being written.
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno not in _NO_ROOM:
            raise       # a backup that cannot be read, a folder that cannot be written: no room is missing
        limit = _account_file_limit() if exc.errno == errno.EFBIG else None
        if limit is not None and backup.stat().st_size > limit:
            # The account's own limit on one file (ulimit -f), not the disk's: another disk, as
            # the message below says, has the same limit.
            raise StoreError(f"Segue could not restore {backup.name} ({exc.strerror or exc}): the copy needs "
                             f"{room_for_copy(backup, db_path.parent)}, and is larger than this account may "
                             f"write one file ({limit / 1e6:.1f} MB at most, its file size limit: ulimit -f). "
                             "Ask for the limit to be raised; nothing was changed.") from exc
        if exc.errno == errno.EFBIG:
            # A limit on the size of one file (a FAT32 disk's 4 GB, a limit set on the account),
            # which freeing space does not lift: "Free some space" sent the person the wrong way.
            raise StoreError(f"Segue could not restore {backup.name} ({exc.strerror or exc}): the copy needs "
                             f"{room_for_copy(backup, db_path.parent)}, and is larger than one file may be "
                             "there (a FAT32 disk takes 4 GB at most). Point SEGUE_HOME at a folder on another "
                             "disk; nothing was changed.") from exc
        raise StoreError(f"Segue could not restore {backup.name} ({exc.strerror or exc}): the copy needs "
                         f"{room_for_copy(backup, db_path.parent)}. Free some space and try again; nothing was "
                         "changed.") from exc
    try:
        aside = set_aside(db_path)
        atomic.replace(tmp, db_path)
    except BaseException:
        # The library in use by another program (Windows will not rename a file open
        # elsewhere), or the copy's fsync refused: the whole copy stayed behind, hidden, as big
        # as the library, for an hour at least, on a disk often short of room already.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return aside, backup


def start_new_library(db_path: str | os.PathLike) -> Path | None:
    """Set the damaged database aside; the next open creates an empty library."""
    return set_aside(db_path)
