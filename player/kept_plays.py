"""Plays (and places in long tracks) the library refused, kept in a small file beside it
until it takes them, or until the next start writes them.

Another process can hold the library's write lock for long (an import, a scan in another
window, a backup tool). Playing and closing cannot wait for it: the window would freeze for
the store's whole wait, once per write. What the store refuses is written here as soon as it
is refused, and again as that changes (atomically: a reader finds the old file or the new
one), so that a kill or a crash meanwhile loses nothing; what the library takes goes from it.
The next player to start writes what is left into the library, exactly once (see
``Player._write_unsaved``: each play is found again by its own identity before it is
written), leaving alone the plays and places of a player still running. A full disk refuses this file as
well: the plays wait in memory, and are lost if the player closes before there is room (the
log says so).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from segue_common.atomic import write_text
from segue_common.file_lock import HELD_ERRNOS, lock, unlock
from segue_common.regular_file import open_regular_file

log = logging.getLogger(__name__)

VERSION = 1


def journal_path(db_path: str | os.PathLike) -> Path:
    """The file beside the library's database that holds what it refused."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".kept-plays.json")


def _key(play: dict) -> tuple:
    return play.get("track_id"), play.get("started_at"), play.get("play_id"), play.get("reopen")


# How long a change waits for another player's change of the file (a read and a small
# write: milliseconds). Past it (that player stopped mid-change: Ctrl+Z in its terminal) the
# change is refused as one the disk refused, and tried again at the next tick; on the GUI
# thread a skip must not wait for it.
CHANGE_WAIT_S = 2.0


@contextlib.contextmanager
def _changing(path: Path):
    """Held while ``path`` is read and written again: two players on one library (the window
    and ``segue play``) each rewrite the file at every tick while the library is busy, and
    one that read it before the other's write then wrote its own over it, without the play
    the other had just put there (lost at a kill). An OS lock on a file beside it, dropped
    however the process ends. Where the file system has no locks, changed as without one."""
    try:
        fd = os.open(path.with_name(path.name.removesuffix(".json") + ".lock"),
                     os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    except OSError:
        fd = None
    deadline = time.monotonic() + CHANGE_WAIT_S
    while fd is not None:
        try:
            lock(fd, wait=False)
            break
        except OSError as exc:
            if exc.errno not in HELD_ERRNOS:        # (no locks here)
                os.close(fd)
                fd = None
            elif time.monotonic() >= deadline:
                os.close(fd)
                raise OSError(exc.errno, "another player has been changing it for too long", str(path)) from exc
            else:
                time.sleep(0.01)    # (lock() cannot wait a bounded time on every system)
    try:
        yield
    finally:
        if fd is not None:
            try:
                unlock(fd)
            except OSError:
                pass
            os.close(fd)


def _write(path: Path, plays: list[dict], places: dict[int, list], **kw) -> None:
    write_text(path, json.dumps({"version": VERSION, "plays": plays,
                                 "places": {str(t): v for t, v in places.items()}}), **kw)


def replace(path: Path, gone_plays: list[dict], gone_places: dict[int, list],
            plays: list[dict], places: dict[int, list], *, busy_wait_s: float = 0.0,
            platform: str = sys.platform) -> None:
    """Put ``plays`` and ``places`` in ``path`` in place of ``gone_plays`` and ``gone_places``
    (what one player put there last, or read from it): a player keeps the file in step with
    what the library still refuses it as that changes, not only at its close, so that a kill
    loses nothing. The rest (another player's, closed or killed meanwhile) stays as it is. A
    play is known by its identity, not by what is known of it (its end comes later); the file
    goes once nothing is left in it. Raises OSError where it cannot, and where the file there
    cannot be read: written over, what it held would be lost.

    A replacement Windows refuses (another process has the file open: a virus scanner, the
    other player reading it) is tried again for ``busy_wait_s`` only: none by default, as the
    GUI thread writes it as a play is refused, and the window froze for the whole wait; a
    refusal is tried again at the next change or tick (see ``Player._keep_unsaved``)."""
    with _changing(path):
        _replace(path, gone_plays, gone_places, plays, places, busy_wait_s=busy_wait_s, platform=platform)


def _replace(path: Path, gone_plays: list[dict], gone_places: dict[int, list],
             plays: list[dict], places: dict[int, list], **kw) -> None:
    now_plays, now_places, odd = _read(path, changing=True)
    if odd is not None:
        # (written again without them, they were gone: set aside first, or nothing written)
        _set_aside(path, (json.dumps({"version": VERSION, **odd}) + "\n").encode("utf-8"))
    done = {_key(p) for p in gone_plays}
    left = [p for p in now_plays if _key(p) not in done]
    known = {_key(p) for p in left}
    merged = left + [p for p in plays if _key(p) not in known]
    merged_places = {t: v for t, v in now_places.items() if gone_places.get(t) != v}
    merged_places.update(places)
    if merged or merged_places:
        _write(path, merged, merged_places, **kw)
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _set_aside(path: Path, held: bytes) -> Path:
    """Add ``held`` to the file of what could not be read beside ``path`` (made where there is
    none), after what it holds already: what may still be read by hand is never written over.
    Raises OSError where it cannot."""
    aside = path.with_name(path.name + ".unreadable")
    with open(aside, "a+b") as f:
        f.seek(0)
        before = f.read()
        if held not in before:      # (set aside again after a write that failed: once is enough)
            f.write((b"\n" if before and not before.endswith(b"\n") else b"") + held)
            f.flush()
            os.fsync(f.fileno())
    return aside


def set_aside(path: Path, plays: list, places: dict) -> None:
    """Add plays and places that could not be read (a value no play has) to the file of what
    could not be read beside ``path``, before the file is written again without them.
    Raises OSError where it cannot."""
    _set_aside(path, (json.dumps({"version": VERSION, "plays": plays,
                                  "places": {str(t): v for t, v in places.items()}}) + "\n").encode("utf-8"))


def _brief(value) -> str:
    said = repr(value)
    return said if len(said) <= 60 else said[:57] + "..."


def read(path: Path, *, changing: bool = False) -> tuple[list[dict], dict[int, list]]:
    """The plays and places kept in ``path`` (none where there is no file). An unreadable
    file is set aside beside it, never written over: what it held may still be read by hand.
    So are the odd plays and places in a file read otherwise, as it is next written.
    A file there that cannot be opened (on Windows, another process replacing it as it is
    read) raises OSError where ``changing`` it is the reason for reading: taken for none, it
    was written over, or removed, with the plays in it."""
    plays, places, _ = _read(path, changing=changing)
    return plays, places


def _read(path: Path, *, changing: bool) -> tuple[list[dict], dict[int, list], dict | None]:
    """``read``, and the odd plays and places left out (None where there are none), as they
    were in the file."""
    try:
        # (opened without blocking and checked: a named pipe under its name waited for a
        # writer for ever, and the start with it)
        with open_regular_file(path) as f:
            held = f.read()
    except FileNotFoundError:
        return [], {}, None
    except OSError as exc:
        if changing:
            raise
        log.error("the plays kept at the last close cannot be read (%s): left in %s", exc, path)
        return [], {}, None
    try:
        # (past a byte-order mark: an editor's, where the file was edited by hand)
        data = json.loads(held.decode("utf-8-sig"))
        plays, places, odd_plays, odd_places = [], {}, [], {}
        # (one play or place of another shape is left out, and said: the file set aside for it
        # held the others back from the library)
        for p in data.get("plays") or []:
            (plays if isinstance(p, dict) else odd_plays).append(p)
        saved_places = data.get("places") or {}
        if not isinstance(saved_places, dict):
            saved_places, odd_places = {}, saved_places
        for t, v in saved_places.items():
            # (a song's id in decimal digits: "²" is a digit, and int() refused it)
            if isinstance(v, list) and t.removeprefix("-").isdecimal():
                places[int(t)] = v
            else:
                odd_places[t] = v
        if not (odd_plays or odd_places):
            return plays, places, None
        odd = [*odd_plays, *(odd_places.items() if isinstance(odd_places, dict) else [("places", odd_places)])]
        log.error("%d of the plays and places kept at the last close are unreadable, left out (set aside "
                  "as the file is next written): %s", len(odd), ", ".join(_brief(o) for o in odd))
        return plays, places, {"plays": odd_plays, "places": odd_places}
    except (ValueError, TypeError, AttributeError) as exc:
        aside = path.with_name(path.name + ".unreadable")
        log.error("the plays kept at the last close are unreadable (%s): set aside as %s", exc, aside)
        try:
            if aside.exists():
                _set_aside(path, held)
                os.unlink(path)
            else:
                os.replace(path, aside)
        except OSError:
            pass
        return [], {}, None

