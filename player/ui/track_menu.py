"""The right-click entries every list of songs offers alike (the library, Up next, Discover,
a playlist's songs): made here once, so that the lists cannot drift apart.

"Play next" and "Add to Up next" queue the songs; "Rating" and Ctrl+0 to Ctrl+5 rate them;
"Show in folder" opens the file manager where the song's file is, the file itself chosen
where the system's file manager can be asked to (Windows Explorer, the macOS Finder, a Linux
desktop's file manager through its ``org.freedesktop.FileManager1`` service), else its folder
opened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from typing import Callable

import shiboken6
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

from player.workers import run_task
from segue_common.environment import system_environment

SHOW_IN_FOLDER = "Show in folder"
_LOOKING = "Looking for the file…"

# The desktop's file manager, as the freedesktop.org specification names it on the session bus:
# ShowItems(uris, startup_id) opens each file's folder with the file chosen in it.
FILE_MANAGER = "org.freedesktop.FileManager1"
_FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"
# How long a file manager started for the call (not running yet) may take to answer before
# the folder is opened the plain way instead.
_ANSWER_S = 10


def add_queue_actions(menu, ids: list[int], play_next: Callable[[list], None],
                      enqueue: Callable[[list], None]) -> None:
    """Add "Play next" (``play_next(ids)``) and "Add to Up next" (``enqueue(ids)``) to ``menu``."""
    menu.addAction("Play next", lambda: play_next(list(ids)))
    menu.addAction("Add to Up next", lambda: enqueue(list(ids)))


#: the Rating menu's entries: how many stars each gives (0: "No rating"), as they read
RATINGS = ((1, "★"), (2, "★★"), (3, "★★★"), (4, "★★★★"), (5, "★★★★★"), (0, "No rating"))
RATING = "Rating"


def add_rating_menu(menu, ids: list[int], rate: Callable[[list, int], None],
                    rating_of: Callable[[int], int | None] | None = None) -> QMenu:
    """Add "Rating", a menu of one to five stars and "No rating", to ``menu``: each calls
    ``rate(ids, stars)`` (0 for none). The stars of the songs, where ``rating_of`` tells them
    and they are all the same, are checked, as the players with a Rating column show them.
    Segue keeps the stars in its library and never writes them into the files."""
    sub = menu.addMenu(RATING)
    given = {rating_of(t) or 0 for t in ids} if rating_of is not None else set()
    for stars, text in RATINGS:
        action = sub.addAction(text, lambda stars=stars: rate(list(ids), stars))
        action.setCheckable(True)
        action.setChecked(given == {stars})
        # (a screen reader says the stars as a number, not "black star" five times)
        said = f"{stars} star{'s' if stars != 1 else ''}" if stars else "No rating"
        action.setStatusTip(f"Rate {'this song' if len(ids) == 1 else 'these songs'}: {said} "
                            "(kept in Segue's library; the files are not changed)")
        action.setToolTip(said)
    return sub


def add_rating_keys(view, chosen: Callable[[], list[int]], rate: Callable[[list, int], None]) -> list[QAction]:
    """Ctrl+1 to Ctrl+5 on ``view`` rate the songs ``chosen()`` names (the selection, read
    as the key is pressed), Ctrl+0 takes their stars away (as Quod Libet's keys): rating a
    whole album by mouse took a menu and a submenu per click. Keys of the list alone, so that
    every list of songs rates its own selection. Returns the keys' actions."""
    keys = []
    for stars, _ in RATINGS:
        key = QAction(view, shortcut=QKeySequence(f"Ctrl+{stars}"), shortcutContext=Qt.WidgetShortcut)
        key.triggered.connect(lambda _=False, stars=stars: _rate_chosen(chosen, rate, stars))
        view.addAction(key)
        keys.append(key)
    return keys


def _rate_chosen(chosen: Callable[[], list[int]], rate: Callable[[list, int], None], stars: int) -> None:
    ids = chosen()
    if ids:
        rate(list(ids), stars)


def add_show_in_folder(menu, find: Callable[[], str | None] | None) -> QAction:
    """Add "Show in folder" to ``menu`` for the song whose file ``find()`` names (None: not
    known). ``find`` and the look at the disk run on a worker thread: the database and a disk
    that is slow to answer (a network share, a disk spinning up) never hold the window. The
    entry is greyed out until the file is found, and stays so, saying why in its tooltip and
    in the status bar, when there is no file there."""
    action = menu.addAction(SHOW_IN_FOLDER)
    menu.setToolTipsVisible(True)
    _say(action, _LOOKING, enabled=False)
    action.path = None
    action.triggered.connect(lambda: reveal(action.path) if action.path else None)
    if find is None:
        _say(action, "Where the file is is not known here", enabled=False)
        return action

    def look() -> tuple[str | None, bool]:
        path = find()
        return path, bool(path) and os.path.isfile(path)

    def found(result=None, error=None) -> None:
        if not shiboken6.isValid(action):
            return                      # the menu is gone
        path, there = result if error is None else (None, False)
        if error is not None or not path:
            _say(action, "This song's file is not in the library any more", enabled=False)
        elif not there:
            _say(action, f"The file is not there: {path}", enabled=False)
        else:
            action.path = path
            _say(action, f"Open the folder of {path}", enabled=True)

    action.lookup = run_task(look, found, name="show-in-folder")
    return action


def finder(path_of: Callable[[int], str | None] | None, track_id: int) -> Callable[[], str | None] | None:
    """``find`` for :func:`add_show_in_folder` from a list's ``path_of(track_id)`` (None: the
    list was given no way to look files up)."""
    return (lambda: path_of(track_id)) if path_of is not None else None


def _say(action: QAction, why: str, *, enabled: bool) -> None:
    action.setEnabled(enabled)
    action.setToolTip(why)
    action.setStatusTip(why)


def reveal(path: str) -> None:
    """Open the file manager at ``path``'s folder, the file chosen in it where the system
    can be asked to: Explorer's ``/select,`` on Windows, ``open -R`` on macOS, the desktop's
    ``org.freedesktop.FileManager1`` service elsewhere. Where none of those answers, the folder
    is opened as any local address is, by the desktop's own file manager. Started on a worker
    thread: starting a program takes tens of ms, and a file manager started for the call
    takes seconds to answer."""
    folder = os.path.dirname(os.path.abspath(path))
    quits = _quits

    def ask() -> bool | None:
        if _quits != quits:
            return None             # the app quit before the ask began: nothing is opened
        if sys.platform == "win32":
            subprocess.Popen(f'explorer /select,"{os.path.normpath(path)}"', env=system_environment())
            return True
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", path], env=system_environment())
            return True
        shown = _show_items(_file_uri(os.path.abspath(path)))
        if shown is False and getattr(sys, "frozen", False):
            # opened from here, not by the window's answer (which is not delivered once the
            # app has quit): so a quit since the ask began opens nothing either
            with _asking_lock:
                return _open_folder(folder) if _quits == quits else None
        return shown

    def asked(result=None, error=None) -> None:
        if error is None and result is None:
            return                  # stopped at quit: no folder opened as the app goes
        if error is not None or not result:
            QDesktopServices.openUrl(file_url(folder))

    run_task(ask, asked, name="show-in-folder")


def _open_folder(folder: str) -> bool:
    """In the bundled app, open ``folder`` with the desktop's ``xdg-open``, started here with
    :func:`system_environment`: Qt's own way of opening it starts the same program with this
    process's environment, which names the bundle's libraries and Qt plugins, and the file
    manager it starts (Dolphin, Nautilus) or ``kde-open``/``gio`` then loaded those in place of
    its own. False where there is no ``xdg-open`` or it could not be started (Qt's way is tried
    then). Not waited for, and in a session of its own as Qt starts it: it may run as long as the
    program it starts, which should outlive the app."""
    program = shutil.which("xdg-open")
    if program is None:
        return False
    try:
        subprocess.Popen([program, folder], env=system_environment(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    return True


def file_url(path: str) -> QUrl:
    """The ``file:`` address of the local ``path``. On Linux and the like a name may hold bytes
    that are not UTF-8 (Python keeps them as lone surrogates), which ``QUrl.fromLocalFile``
    turns into other bytes, the address then naming a folder that is not there: the address is
    made from the name's own bytes, each percent-escaped, as file managers read it back."""
    if os.name != "posix":
        return QUrl.fromLocalFile(path)
    return QUrl.fromEncoded(_file_uri(path).encode("ascii"))


def _file_uri(path: str) -> str:
    """``file://`` and the absolute ``path``'s bytes, each but letters, digits, ``/`` and
    ``_.-~`` percent-escaped (so the address holds no quote or comma either)."""
    return "file://" + urllib.parse.quote(os.fsencode(path))


def _show_items(uri: str) -> bool | None:
    """Ask the session's file manager over D-Bus to show ``uri`` chosen in its folder; True
    if it said it did. Asked through ``gdbus`` or ``dbus-send``, a program of its own: a
    call made with Qt's D-Bus module holds Python's lock while it connects, so a bus slow to
    answer would hold the window too. False, at once, where there is no session bus (no
    address: nothing to ask, and the tools would start a bus of their own), no such program,
    or no file manager on the bus; after ``_ANSWER_S`` where it does not answer. None where
    :func:`stop_revealing` ended the ask."""
    env = system_environment()
    if not env.get("DBUS_SESSION_BUS_ADDRESS"):
        runtime = env.get("XDG_RUNTIME_DIR")
        if not runtime or not os.path.exists(os.path.join(runtime, "bus")):
            return False
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + os.path.join(runtime, "bus")
    method = f"{FILE_MANAGER}.ShowItems"
    if shutil.which("gdbus"):
        command = ["gdbus", "call", "--session", "--timeout", str(_ANSWER_S), "--dest", FILE_MANAGER,
                   "--object-path", _FILE_MANAGER_PATH, "--method", method, f"['{uri}']", ""]
    elif shutil.which("dbus-send"):
        command = ["dbus-send", "--session", "--print-reply", f"--reply-timeout={_ANSWER_S * 1000}",
                   f"--dest={FILE_MANAGER}", _FILE_MANAGER_PATH, method, f"array:string:{uri}", "string:"]
    else:
        return False
    with _asking_lock:
        try:
            asking = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        except OSError:
            return False
        _asking.add(asking)
    try:
        code = asking.wait(_ANSWER_S + 2)
    except subprocess.TimeoutExpired:
        asking.kill()
        asking.wait()
        code = None
    finally:
        with _asking_lock:
            _asking.discard(asking)
            stopped = asking in _stopped
            _stopped.discard(asking)
    if stopped:
        return None
    return code == 0


# The asks of the file manager still waiting for its answer, so that quitting need not wait
# for them: the app would linger, its library still locked, for up to 12 s after its window closed.
_asking: set[subprocess.Popen] = set()
_stopped: set[subprocess.Popen] = set()
_asking_lock = threading.Lock()
# How many times stop_revealing() has run: a reveal asked before the latest one opens nothing.
_quits = 0


def stop_revealing() -> None:
    """At quit: end the asks of the file manager still waiting for its answer, and those not
    begun yet (none opens the folder then)."""
    global _quits
    with _asking_lock:
        _quits += 1
        for asking in _asking:
            _stopped.add(asking)
            asking.kill()
