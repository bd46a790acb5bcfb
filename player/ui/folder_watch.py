"""Keeping the library in step with its folders while the window is open.

A :class:`FolderWatch` watches the library's folders and says when they changed and then
stayed still for a few seconds (an album being copied in changes them many times). The
window answers with a rescan, the same one File → Rescan runs.

How many folders are watched is capped: on Linux each is an inotify watch, out of a number
all the person's programs share; on Windows each holds a handle, and on the BSDs a file
descriptor (Qt watches with FSEvents on macOS). Above the cap only the top levels are
watched, whole levels at a time (the library folders, then the folders in them, and so on
while a whole level fits): a new album in an artist's folder is seen while the artist's
folder is watched, and a change deeper down waits for the next start or File → Rescan library.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from typing import Callable

from PySide6.QtCore import QEventLoop, QFileSystemWatcher, QMetaObject, QObject, Qt, QTimer, Signal, Slot

from player.workers import OneAtATime, run_task, watch_pool

log = logging.getLogger(__name__)

#: the store's setting: keep the library in step with its folders (a look at every start, and
#: while the window is open the folders are followed); on unless turned off
FOLLOW_SETTING = "library.follow_folders"
#: the most folders watched at once (see the module's note)
MAX_WATCHED = 1000
#: how long the folders must stay still before the rescan
QUIET_MS = 3000
#: the longest a rescan waits for files that keep changing (a clock of a share ahead of this one's)
MAX_WAIT_S = 60.0


def folders_to_watch(roots: list[str], cap: int = MAX_WATCHED) -> tuple[list[str], bool]:
    """``(folders, complete)``: the folders to watch below ``roots``, breadth first, a whole level
    at a time while it fits in ``cap`` (the roots always); ``complete`` is False when some were
    left out. Hidden folders are left out as the scan leaves them; a folder reached by a link
    is watched once."""
    watched: list[str] = []
    seen: set[tuple[int, int]] = set()
    level = []
    for root in roots:
        try:
            st = os.stat(root)
        except OSError:
            continue                # not there (a disk not connected): nothing to watch in it
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            level.append(root)
    while level:
        if watched and len(watched) + len(level) > cap:
            return watched, False
        watched.extend(level)
        below = []
        for folder in level:
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    if not entry.is_dir():
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    below.append(entry.path)
        level = below
    return watched, True


def newest_change(folders) -> float:
    """The latest modification time among ``folders``, what is in them and what is in the
    folders in them (0 where nothing can be read). A file being copied in changes its time as
    it grows, while its folder hears of it only once, when it is made; hidden files count (a
    download's or rsync's file in the making is hidden until it is renamed)."""
    newest = 0.0
    for folder in folders:
        try:
            newest = max(newest, os.stat(folder).st_mtime)
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            try:
                newest = max(newest, entry.stat().st_mtime)
                if not entry.is_dir():
                    continue
                with os.scandir(entry.path) as inner:
                    subs = list(inner)
            except OSError:
                continue
            for sub in subs:
                # Each on its own: one that cannot be read (a link to nothing, a file renamed
                # away meanwhile) must not hide a file beside it that is still growing.
                try:
                    newest = max(newest, sub.stat().st_mtime)
                except OSError:
                    continue
    return newest


#: how long closing the window waits for the watch's thread to end
CLOSE_WAIT_MS = 1000


class _Watcher(QObject):
    """The QFileSystemWatcher and every call into it, on a thread of their own: adding a
    folder reads it from the disk (a stat and an inotify watch each, 5 to 8 ms for 960
    folders on a local disk), and a network share that does not answer would hold the
    window still."""

    touched = Signal(str)
    watching = Signal(int, list, list)      # the ask's number, the folders now watched, those that failed

    def __init__(self):
        super().__init__()
        self._watcher: QFileSystemWatcher | None = None

    @Slot(int, list)
    def watch(self, ask: int, folders: list) -> None:
        """Watch ``folders`` and no others."""
        if self._watcher is None:
            # Made here, on this thread: it and what it listens with belong to this thread.
            self._watcher = QFileSystemWatcher(self)
            self._watcher.directoryChanged.connect(self.touched)
        now, wanted = set(self._watcher.directories()), set(folders)
        if now - wanted:
            self._watcher.removePaths(sorted(now - wanted))
        failed = self._watcher.addPaths(sorted(wanted - now)) if wanted - now else []
        self.watching.emit(ask, self._watcher.directories(), failed)


class _WatchThread:
    """The thread the :class:`_Watcher` lives on, with an event loop of its own.

    A Python thread, not a QThread: one stuck in a folder that does not answer must not keep
    the program from ending, and a QThread still running when it is destroyed (at the latest
    as the program ends, PySide destroying what Python made) aborts the program. A daemon
    thread is left to end with the process."""

    def __init__(self):
        made = threading.Event()
        self.watcher: _Watcher | None = None
        self._loop: QEventLoop | None = None
        self._thread = threading.Thread(target=self._run, args=(made,), name="folder-watch", daemon=True)
        self._thread.start()
        made.wait()

    def _run(self, made: threading.Event) -> None:
        # Made on this thread, the watcher lives on it: queued calls to it run here.
        self.watcher, self._loop = _Watcher(), QEventLoop()
        made.set()
        self._loop.exec()
        self.watcher = self._loop = None     # deleted on their own thread

    def end(self, wait_ms: int) -> bool:
        """Ask the thread to end once it has done what it was asked before; True if it ended
        within ``wait_ms``."""
        QMetaObject.invokeMethod(self._loop, "quit", Qt.QueuedConnection)
        self._thread.join(wait_ms / 1000)
        return not self._thread.is_alive()


class FolderWatch(QObject):
    """Watches the folders ``roots()`` names (called on a worker) and those in them, from
    :meth:`start` to :meth:`stop`; :attr:`changed` comes once they changed and then stayed
    still for ``quiet_ms`` (and no file in the changed folders was modified in that time)."""

    changed = Signal()
    listed = Signal()           # the folders to watch were listed again, and are watched
    _watch = Signal(int, list)  # to the watch's thread: the folders to watch (see _Watcher)

    def __init__(self, roots: Callable[[], list[str]], parent=None, *, quiet_ms: int = QUIET_MS,
                 cap: int = MAX_WATCHED):
        super().__init__(parent)
        self.cap = cap
        self.roots = roots
        self.on = False
        self.complete = True    # every folder below the roots is watched
        self._thread: _WatchThread | None = None
        self._ask = 0           # the number of the newest list of folders sent to the thread
        self._watched: list[str] = []
        self._timer = QTimer(self, singleShot=True, interval=quiet_ms)
        self._timer.timeout.connect(self._settle)
        self._touched_dirs: set[str] = set()
        self._since: float | None = None      # when the first change not yet answered came
        self._listing = OneAtATime()

    @property
    def quiet_ms(self) -> int:
        return self._timer.interval()

    @quiet_ms.setter
    def quiet_ms(self, ms: int) -> None:
        self._timer.setInterval(ms)

    def watched(self) -> list[str]:
        """The folders watched, as the watch's thread last said (none once stopped)."""
        return list(self._watched)

    def start(self) -> None:
        """Watch the folders (listed on a worker)."""
        self.on = True
        if self._thread is None:
            self._thread = _WatchThread()
            self._watch.connect(self._thread.watcher.watch, Qt.QueuedConnection)
            self._thread.watcher.touched.connect(self._touched, Qt.QueuedConnection)
            self._thread.watcher.watching.connect(self._watching, Qt.QueuedConnection)
        self.refresh()

    def refresh(self) -> None:
        """List the folders again (a scan found new ones, or some went, or the library's
        folders changed)."""
        if self.on:
            self._listing.request(self._start_listing)

    def stop(self) -> None:
        self.on = False
        self._timer.stop()
        self._touched_dirs.clear()
        self._since = None
        self._watched = []
        if self._thread is not None:
            self._send([])

    def close(self) -> None:
        """Stop, and end the watch's thread (the window closes). It is waited for a moment,
        never longer: one stuck in a folder that does not answer is left to end with the
        process."""
        self.stop()
        thread, self._thread = self._thread, None
        if thread is not None and not thread.end(CLOSE_WAIT_MS):
            log.warning("the music folders' watch did not stop (a folder that does not answer?): left to the exit")

    def _send(self, folders: list[str]) -> None:
        self._ask += 1
        self._watch.emit(self._ask, folders)

    def _start_listing(self):
        roots, cap = self.roots, self.cap
        return run_task(lambda: folders_to_watch(roots(), cap), self._listed, pool=watch_pool(),
                        name="list-folders")

    def _listed(self, result, error) -> None:
        if error is not None:
            log.error("could not list the music folders to watch: %s", error)
            return
        if not self.on:
            return              # stopped meanwhile
        folders, self.complete = result
        if not self.complete:
            log.info("watching the top %d of the music folders: changes deeper down are seen at the next start",
                     len(folders))
        self._send(folders)

    def _watching(self, ask: int, folders: list, failed: list) -> None:
        if ask != self._ask:
            return              # an older list, or stopped meanwhile: a newer answer follows
        self._watched = folders
        if failed:
            log.warning("could not watch %d music folders (%s…): their changes are seen at the next start",
                        len(failed), failed[0])
        self.listed.emit()

    def _touched(self, path: str) -> None:
        if not self.on:
            return              # came from the thread as the watch stopped
        self._touched_dirs.add(path)
        if self._since is None:
            self._since = time.monotonic()
        self._timer.start()

    def _settle(self) -> None:
        folders = sorted(self._touched_dirs)
        run_task(lambda: newest_change(folders), self._settled, pool=watch_pool(), name="folders-settled")

    def _settled(self, result, error) -> None:
        if self._timer.isActive() or self._since is None:
            return              # changed again meanwhile: that change waits its own quiet time
        quiet_s = self._timer.interval() / 1000
        if error is None and time.time() - result < quiet_s and time.monotonic() - self._since < MAX_WAIT_S:
            self._timer.start()         # a file is still being written
            return
        self._touched_dirs.clear()
        self._since = None
        self.changed.emit()
