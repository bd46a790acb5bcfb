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

What is seen differs by system. Qt's watcher on Linux asks inotify only for names made,
removed or moved in a folder: a tagger writing new tags into a file, or a file copied over
one of the same name, goes unseen. On Linux the folders are therefore watched with inotify
directly, for those changes and for a music file closed after writing; only music files and
folders count (a cover or a text file saved, however it is saved, is let be: the scan reads
only music). Where inotify
cannot be had (too many watchers open, a C library without it), and on other systems, Qt's
watcher is used: on macOS it compares the times of each file in a folder FSEvents names, so
a file written in place is seen there too; on Windows it asks only for names and attributes.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import struct
import sys
import threading
import time

from typing import Callable

from PySide6.QtCore import (QEventLoop, QFileSystemWatcher, QMetaObject, QObject, QSocketNotifier, Qt, QTimer,
                            Signal, Slot)

from player.library.identity import file_identity
from player.library.skip import extension, hidden_name, skipped_name
from player.workers import OneAtATime, run_task, watch_pool

log = logging.getLogger(__name__)

#: the store's setting: keep the library in step with its folders (a look at every start, and
#: while the window is open the folders are followed); on unless turned off
FOLLOW_SETTING = "library.follow_folders"
#: the most folders watched at once (see the module's note)
MAX_WATCHED = 1000
#: how many levels below the library folders are watched (None: all that fit in the cap). On
#: Windows a watched folder's handle keeps every folder above it from being renamed or moved
#: ("the folder is open in another program"): watching the artists' folders and no deeper
#: leaves every folder of the library free to rename in Explorer but the library folder itself.
WATCH_DEPTH = 1 if sys.platform == "win32" else None
#: how long the folders must stay still before the rescan
QUIET_MS = 3000
#: the longest a rescan waits for files that keep changing (a clock of a share ahead of this one's)
MAX_WAIT_S = 60.0
#: how often a library folder that is not there, or empty, is looked for again
LOOK_AGAIN_MS = 5000


def folders_to_watch(roots: list[str], cap: int = MAX_WATCHED,
                     depth: int | None = WATCH_DEPTH) -> tuple[list[str], bool]:
    """``(folders, complete)``: the folders to watch below ``roots``, breadth first, a whole level
    at a time while it fits in ``cap`` (the roots always) and down to ``depth`` levels below
    them; ``complete`` is False when some were left out. Hidden folders (and a Windows drive's
    recycle bin and system folders) are left out as the scan leaves them; a folder reached by a
    link is watched once."""
    watched: list[str] = []
    seen: set[tuple[int, int | str]] = set()
    level = []
    for root in roots:
        try:
            key = file_identity(root)
        except OSError:
            continue                # not there (a disk not connected): nothing to watch in it
        if key not in seen:
            seen.add(key)
            level.append(root)
    levels = 0
    while level:
        if watched and (len(watched) + len(level) > cap or (depth is not None and levels > depth)):
            return watched, False
        watched.extend(level)
        levels += 1
        below = []
        for folder in level:
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if skipped_name(entry.name):            # folders the scan leaves out
                    continue
                try:
                    if not entry.is_dir():
                        continue
                    key = file_identity(entry.path, entry.stat())
                except OSError:
                    continue
                if key not in seen:
                    seen.add(key)
                    below.append(entry.path)
        level = below
    return watched, True


def _there(root: str) -> bool:
    """Whether ``root`` is a folder with something in it: not a disk or share left
    unconnected (its mount point is missing or empty), as the scan judges it."""
    try:
        with os.scandir(root) as it:
            return any(not hidden_name(entry.name) for entry in it)
    except OSError:
        return False


def _to_watch(roots: list[str], mounts: list[str], cap: int) -> tuple[list[str], bool, list[str], list[str]]:
    """:func:`folders_to_watch`, the roots and the mount points away not there (see
    :func:`_there`), and both."""
    looked = roots + mounts
    return (*folders_to_watch(roots, cap), [folder for folder in looked if not _there(folder)], looked)


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

#: watch with inotify directly (Linux); False: with Qt's watcher, as where inotify cannot be had
#: (tests turn it off to try that way on Linux)
USE_INOTIFY = sys.platform.startswith("linux")

# inotify's event bits (linux/inotify.h)
IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO = 0x4, 0x8, 0x40, 0x80
IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF = 0x100, 0x200, 0x400, 0x800
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_ISDIR = 0x2000, 0x4000, 0x8000, 0x01000000, 0x40000000
# the same bits as the file flags; os has them only on Unix, and this module is imported
# everywhere (the window imports it), so where they are missing inotify is not used anyway
IN_NONBLOCK, IN_CLOEXEC = getattr(os, "O_NONBLOCK", 0), getattr(os, "O_CLOEXEC", 0)
#: what a folder is watched for: what Qt's watcher asks for (a name made, removed or moved in
#: or out, attributes changed, the folder itself removed), the folder itself moved, and a
#: file in it closed after writing
_MASK = (IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
         | IN_CLOSE_WRITE | IN_ONLYDIR)
#: the folder is no longer watched: removed, moved, its disk unmounted
_GONE = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED
_EVENT = struct.Struct("iIII")      # watch, mask, cookie, length of the name that follows
_fallback_said = False


class _Inotify(QObject):
    """Folders watched with inotify, as Qt's watcher watches them on Linux and also for a
    music file closed after writing. The same calls as QFileSystemWatcher's that the watch
    uses; made and used on the watch's thread, whose event loop reads the events."""

    directoryChanged = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        from player.library.tags import AUDIO_EXTENSIONS

        libc = ctypes.CDLL(None, use_errno=True)
        try:
            init, self._add, self._rm = libc.inotify_init1, libc.inotify_add_watch, libc.inotify_rm_watch
        except AttributeError:
            raise OSError(errno.ENOSYS, "the C library has no inotify") from None
        self._add.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._fd = init(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        # (a CUE sheet edited or removed changes the tracks of its album's file)
        self._music = {ext.encode() for ext in AUDIO_EXTENSIONS} | {b".cue"}
        self._folders: dict[str, int] = {}      # folder -> its watch
        self._by_watch: dict[int, str] = {}
        self._notifier = QSocketNotifier(self._fd, QSocketNotifier.Read, self)
        self._notifier.activated.connect(self._read)

    def directories(self) -> list[str]:
        return list(self._folders)

    def addPaths(self, folders: list[str]) -> list[str]:
        """Watch ``folders``; those that could not be watched."""
        failed = []
        for folder in folders:
            watch = self._add(self._fd, os.fsencode(folder), _MASK)
            if watch < 0:
                failed.append(folder)
                continue
            # The kernel gives a folder watched already under another path its watch again
            # (renamed, and its events not read yet): the other path no longer leads to it.
            other = self._by_watch.get(watch)
            if other is not None and other != folder:
                del self._folders[other]
            self._folders[folder] = watch
            self._by_watch[watch] = folder
        return failed

    def removePaths(self, folders: list[str]) -> None:
        for folder in folders:
            watch = self._folders.pop(folder, None)
            if watch is not None:
                self._by_watch.pop(watch, None)
                self._rm(self._fd, watch)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        os.close(self._fd)

    def _read(self) -> None:
        changed: set[str] = set()
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except (BlockingIOError, InterruptedError):
                break
            at = 0
            while at < len(data):
                watch, mask, _cookie, size = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size:at + _EVENT.size + size].rstrip(b"\0")
                at += _EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    changed.update(self._folders)       # events were lost: any folder may have changed
                    continue
                folder = self._by_watch.get(watch)
                if folder is None:
                    continue            # a watch let go of
                if mask & _GONE:
                    # No longer watched (a folder moved away keeps its watch, let go of here);
                    # the rescan after the change lists the folders again.
                    del self._folders[folder], self._by_watch[watch]
                    if mask & IN_MOVE_SELF:
                        self._rm(self._fd, watch)
                elif name and not mask & IN_ISDIR and not self._is_music(name):
                    # A cover, a text file, a download in the making, saved in place or
                    # through a file renamed over it: nothing the scan reads.
                    continue
                changed.add(folder)
        for folder in sorted(changed):
            self.directoryChanged.emit(folder)

    def _is_music(self, name: bytes) -> bool:
        # as the scan: hidden files left out, music files and CUE sheets by their extension
        return not hidden_name(name) and extension(name) in self._music


def _watcher(parent: QObject):
    """inotify on Linux, Qt's watcher where it cannot be had and on other systems."""
    global _fallback_said
    if USE_INOTIFY:
        try:
            return _Inotify(parent)
        except (OSError, ImportError) as e:
            # (ImportError: with no file descriptor left, the music extensions' module could
            # not be read here, and another watch's thread, importing it meanwhile, was handed
            # it half made; the watch's thread ended with a traceback and nothing was followed)
            if not _fallback_said:
                _fallback_said = True
                log.warning("cannot watch the music folders with inotify (%s): files changed where they lie "
                            "are seen at the next start or File → Rescan library", e)
    return QFileSystemWatcher(parent)


def _which(folder: str) -> tuple[int, int | str] | None:
    try:
        return file_identity(folder)
    except OSError:
        return None


class _Watcher(QObject):
    """The watcher (:func:`_watcher`) and every call into it, on a thread of their own: adding a
    folder reads it from the disk (a stat and an inotify watch each, 5 to 8 ms for 960
    folders on a local disk), and a network share that does not answer would hold the
    window still."""

    touched = Signal(str)
    watching = Signal(int, list, list)      # the ask's number, the folders now watched, those that failed

    def __init__(self):
        super().__init__()
        self._watcher: _Inotify | QFileSystemWatcher | None = None
        self._which: dict[str, tuple[int, int | str] | None] = {}    # folder -> (device, inode) when added

    @Slot(int, list)
    def watch(self, ask: int, folders: list) -> None:
        """Watch ``folders`` and no others."""
        if self._watcher is None:
            # Made here, on this thread: it and what it listens with belong to this thread.
            self._watcher = _watcher(self)
            self._watcher.directoryChanged.connect(self.touched)
        now, wanted = set(self._watcher.directories()), set(folders)
        # A folder that is another one now (a disk mounted on it, or taken off it): its watch
        # is on the folder it was, and is made again.
        other = {folder for folder in now & wanted if _which(folder) != self._which.get(folder)}
        if (now - wanted) | other:
            self._watcher.removePaths(sorted((now - wanted) | other))
        add = sorted((wanted - now) | other)
        failed = self._watcher.addPaths(add) if add else []
        self._which = {folder: self._which.get(folder) for folder in self._watcher.directories()}
        for folder in set(add) - set(failed):
            self._which[folder] = _which(folder)
        self.watching.emit(ask, self._watcher.directories(), failed)

    def close(self) -> None:
        if isinstance(self._watcher, _Inotify):
            self._watcher.close()


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
        self.watcher.close()
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
    still for ``quiet_ms`` (and no file in the changed folders was modified in that time).
    ``mounts_away()`` (on a worker too): the mount points inside them whose disk or share the
    last scan found not connected, looked for again as a root not there is."""

    changed = Signal()
    listed = Signal()           # the folders to watch were listed again, and are watched
    _watch = Signal(int, list)  # to the watch's thread: the folders to watch (see _Watcher)

    def __init__(self, roots: Callable[[], list[str]], parent=None, *, quiet_ms: int = QUIET_MS,
                 cap: int = MAX_WATCHED, mounts_away: Callable[[], list[str]] = list):
        super().__init__(parent)
        self.cap = cap
        self.roots = roots
        self.mounts_away = mounts_away
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
        # A disk or share connected while the window is open: its folder appears, or fills,
        # without a change in any folder watched (a mount hides the folder it lands on from
        # the watch on it). The roots not there, and the mount points inside them away, are
        # looked for again now and then (a share mounted at /music/nas changes nothing in /music).
        self._away: list[str] = []
        self._look = QTimer(self, interval=LOOK_AGAIN_MS)
        self._look.timeout.connect(self._look_again)
        self._looking = OneAtATime()

    @property
    def quiet_ms(self) -> int:
        return self._timer.interval()

    @quiet_ms.setter
    def quiet_ms(self, ms: int) -> None:
        self._timer.setInterval(ms)

    @property
    def look_again_ms(self) -> int:
        return self._look.interval()

    @look_again_ms.setter
    def look_again_ms(self, ms: int) -> None:
        self._look.setInterval(ms)

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
        self._look.stop()
        self._away = []
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
        roots, mounts, cap = self.roots, self.mounts_away, self.cap
        return run_task(lambda: _to_watch(roots(), mounts(), cap), self._listed, pool=watch_pool(), name="list-folders")

    def _listed(self, result, error) -> None:
        if error is not None:
            log.error("could not list the music folders to watch: %s", error)
            return
        if not self.on:
            return              # stopped meanwhile
        folders, self.complete, away, roots = result
        # One back since the last listing (a listing follows every scan; connected between
        # the scan and this listing, it is watched from now on and no change would tell).
        back = [root for root in self._away if root in roots and root not in away]
        self._away = away
        if away:
            self._look.start()
        else:
            self._look.stop()
        for root in back:
            self._touched(root)
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

    def _look_again(self) -> None:
        away = list(self._away)
        self._looking.request(lambda: run_task(lambda: [root for root in away if _there(root)], self._looked,
                                               pool=watch_pool(), name="look-again"))

    def _looked(self, result, error) -> None:
        if error is not None or not self.on:
            return
        back = [root for root in result if root in self._away]
        if back:
            # Answered as a change in it: the rescan waits until what is being copied or
            # mounted is still, and the listing after it watches the folder.
            self._away = [root for root in self._away if root not in back]
            if not self._away:
                self._look.stop()
            for root in back:
                self._touched(root)

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
