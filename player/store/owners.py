"""Who is playing a play still open: a live player, told apart from one that was killed.

A process that logs plays holds an OS lock on a file of its own, named by a random token,
in the folder ``players`` beside the database, and writes that token into every play it
starts. The operating system drops the lock when the process ends, however it ends
(a crash, a kill, a log-out), so a play whose owner's lock can be taken has nobody playing it
any more, and one whose lock is held is being heard right now (the window, while ``segue
play`` runs beside it). A process id alone could not tell: it is reused, and a killed
player's number may belong to another program by the next start.

The lock is :mod:`segue_common.file_lock`'s. The players of this process are known without
asking.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from pathlib import Path

from segue_common.file_lock import HELD_ERRNOS, lock, unlock

log = logging.getLogger(__name__)

# A lock file found unlocked and empty may be a player between creating it and locking it:
# it is only removed once it is this old.
STARTING_S = 60.0

# The tokens of the players of this process, which it never needs to ask the system about:
# where locks are emulated per process (some network file systems), trying its own lock
# would succeed, and letting go of it would drop the player's.
_HERE: set[str] = set()


def owners_folder(db_path: str | os.PathLike) -> Path:
    """Where the players of the database at ``db_path`` keep their lock files. Not named
    after the database, so nothing that takes ``library.db*`` for the database's own files
    finds a folder among them; databases side by side may share it, as a token names one
    player whichever library it writes to."""
    return Path(db_path).parent / "players"


class PlayOwner:
    """This player's lock: held from creation until :meth:`release` (or the process's end).

    ``token`` is None where no lock could be taken (a file system without locks): its plays
    are then logged without an owner, and the next start closes them, as before owners.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.token: str | None = None
        self._fd: int | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            token = secrets.token_hex(16)
            fd = os.open(self.folder / token, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as exc:
            log.warning("no play owner lock in %s (%s): plays left open will be closed at the next start",
                        self.folder, exc)
            return
        try:
            # Waits for a checker that is trying the lock at this very moment.
            lock(fd, wait=True)
            # Written only once locked: a checker that finds the file unlocked and empty
            # leaves it alone (see STARTING_S). The process id is for a person looking.
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            os.close(fd)
            _remove(self.folder / token)
            log.warning("no play owner lock in %s (%s): plays left open will be closed at the next start",
                        self.folder, exc)
            return
        self.token, self._fd = token, fd
        _HERE.add(token)

    def release(self) -> None:
        """Let go of the lock and remove its file (closing the player: it owns no play now)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _HERE.discard(self.token)
        _let_go(fd)
        _remove(self.folder / self.token)

    def __del__(self):      # a player dropped without close: the lock goes with it
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                _HERE.discard(self.token)
                os.close(fd)
            except Exception:       # OSError, or this module half torn down at exit
                pass


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:         # gone already, or (Windows) another checker has it open
        pass


def _take(path: Path) -> tuple[str, int | None]:
    """``("held", None)``: a live player holds ``path``'s lock; ``("free", fd)``: nobody
    did, and now this process holds it on ``fd`` (see :func:`_let_go`); ``("missing", None)``;
    ``("unknown", None)``: this file system cannot say."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return "missing", None
    except OSError:
        return "unknown", None
    try:
        lock(fd, wait=False)
    except OSError as exc:
        os.close(fd)
        return ("held" if exc.errno in HELD_ERRNOS else "unknown"), None
    return "free", fd


def _let_go(fd: int) -> None:
    try:
        unlock(fd)
    except OSError:
        pass
    os.close(fd)


def owner_alive(folder: str | os.PathLike, token: str | None) -> bool:
    """Whether the player that wrote ``token`` into its plays is still running. A play
    without an owner (logged by a version before owners, or where no lock could be taken)
    has none that could be: False, as is an owner whose lock nobody holds. A file system
    that cannot say also gives False, so that a killed player's play is still closed."""
    if not isinstance(token, str) or not token or os.sep in token or (os.altsep and os.altsep in token) \
            or token.startswith("."):
        return False
    if token in _HERE:
        return True
    state, fd = _take(Path(folder) / token)
    if fd is not None:
        _let_go(fd)
    return state == "held"


def forget_gone(folder: str | os.PathLike) -> int:
    """Remove the lock files of players that are gone (nobody holds their lock): a closed
    player removes its own, a killed one's stays until here. Returns how many were removed."""
    folder = Path(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = 0
    for name in names:
        if name in _HERE:
            continue
        path = folder / name
        state, fd = _take(path)
        if fd is None:
            continue
        try:
            # Looked at while holding the lock: a player writes its file only once it holds
            # the lock, so one written and free now is gone for good; one empty and young
            # is a player about to lock it (it waits for this lock, then takes it).
            st = os.fstat(fd)
            starting = st.st_size == 0 and time.time() - st.st_mtime < STARTING_S
            if not starting and sys.platform != "win32":
                _remove(path)       # POSIX: removed while still held, so no one can take it meanwhile
        finally:
            _let_go(fd)
        if not starting:
            if sys.platform == "win32":
                _remove(path)       # Windows removes no open file
            removed += 1
    return removed
