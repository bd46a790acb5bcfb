"""Files opened in the window: named on the command line (``segue FILE...``, ``--open``, a
second launch's, a file manager's "Open with"), or dragged from a file manager onto it.

Dropped on Up next they are added to it where they were dropped; dropped on a playlist (in
the list of playlists, or on the songs of the one shown, where they were dropped) they are
added to it; playlist files dropped beside the playlists listed (or on Import…) are imported
as new ones; dropped anywhere else they play now, as when opened with Segue from the file
manager: the first at once, the others after the songs the person queued by hand, and the
rest of Up next stays after them. A song opened on the side does not throw away the queue
the person made. Folders and playlist
files give their songs, and files outside the library folders play as tracks of their own
(see :mod:`player.library.open_files`). Reading them runs on a worker: a dropped folder of
thousands of files does not hold the window.

On macOS the Finder names no files on the command line: it sends the running application a
``QFileOpenEvent`` per file, the files that launched it included (:class:`SegueApplication`).
"""

from __future__ import annotations

import logging
import re
import sys

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from player.ui.library_model import carries_tracks, dragged_track_ids
from player.ui.playlists_panel import PLAYLIST_ROLE

log = logging.getLogger(__name__)

URI_LIST = "text/uri-list"
_FILE_LINE = re.compile(rb"^[ \t]*file:", re.IGNORECASE | re.MULTILINE)


def dropped_paths(mime: QMimeData) -> list[str]:
    """The local files ``mime`` carries, in order. On Linux and the BSDs from the URI list's
    bytes: Qt decodes its %-escapes as UTF-8 and loses a name that is not (the file is then
    not found); the undecodable bytes are kept as the file system keeps them."""
    from player.playlist_files import file_url_path

    raw = bytes(mime.data(URI_LIST)) if sys.platform not in ("win32", "darwin") else b""
    if raw:
        lines = raw.decode("utf-8", "surrogateescape").splitlines()
        return [file_url_path(line.strip()) for line in lines
                if line.strip().lower().startswith("file:") and not line.startswith("#")]
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def is_playlist_file(path: str) -> bool:
    from player.playlist_files import EXTENSIONS

    return path.lower().endswith(EXTENSIONS)


def carries_files(mime: QMimeData) -> bool:
    """Whether ``mime`` carries a local file (what :func:`dropped_paths` would find). Asked
    at each move of a drag, so the names are not read: for a drag of 10,000 files that
    held the window some 50 ms a move."""
    raw = bytes(mime.data(URI_LIST)) if sys.platform not in ("win32", "darwin") else b""
    if raw:
        return _FILE_LINE.search(raw) is not None
    return any(url.isLocalFile() for url in mime.urls())


def open_paths(window, paths: list[str], *, queue: bool = False, before: list | None = None,
               playlist: int | None = None, playlist_before: tuple[int, str] | None = None) -> None:
    """Play files or folders given by name (``--open``, a second launch's, dropped on the
    window) now, as :meth:`Player.play_now` does; ``queue``: add them to Up next instead
    (dropped there), before the first still queued of ``before`` where given (the entries
    shown after the drop); ``playlist``: add them to that playlist instead (dropped on it), in
    front of its entry ``playlist_before`` (``(position, path)``, dropped on its songs)."""
    from player.library.open_files import tracks_for
    from player.workers import db_write_pool, run_task
    from segue_common.text import shown

    def work():
        return tracks_for(window.store, paths)

    def done(result=None, error=None):
        if error is not None:
            window.statusBar().showMessage(f"Could not open: {error}", 10000)
            return
        ids, problems = result
        if problems:
            # Each one in the log; the count in the bar (a playlist with five songs not here
            # named the first and left the other four unsaid).
            for path, why in problems:
                log.info("could not open %r: %s", path, why)
            more = f" (and {len(problems) - 1} more, named in the log)" if len(problems) > 1 else ""
            window.statusBar().showMessage(f"Could not open {shown(problems[0][0])}: {problems[0][1]}{more}", 10000)
        if not ids:
            return
        if playlist is not None:
            window.add_to_playlist(ids, playlist, before=playlist_before, tell=False)
            if not problems:
                songs = "1 song" if len(ids) == 1 else f"{len(ids)} songs"
                name = window.playlists.name_of(playlist)
                window.statusBar().showMessage(f"Added {songs} to {name or 'the playlist'}", 5000)
        elif queue:
            window.enqueue(ids, before)
            if not problems:
                songs = "1 song" if len(ids) == 1 else f"{len(ids)} songs"
                window.statusBar().showMessage(f"Added {songs} to Up next", 5000)
        elif getattr(window, "restored", True):
            window.play_now(ids)
        else:
            # A first launch: the sound device is still being opened, and the last run's
            # queue not yet back (it would take the place of these songs).
            window.state_restored.connect(lambda: window.play_now(ids), Qt.SingleShotConnection)

    run_task(work, done, pool=db_write_pool(), name="open-paths")


def come_forward(window) -> None:
    """Bring the window to the front as it was (a second launch, a desktop's Raise):
    un-minimised, and still maximised or full screen if it was, where ``showNormal()``
    made a maximised window small again."""
    window.setWindowState(window.windowState() & ~Qt.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class FileDropsMixin:
    """The window takes files dropped on it (mixed into the main window, before QMainWindow)."""

    def _accept_file_drops(self) -> None:
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if carries_files(event.mimeData()) or carries_tracks(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if carries_files(event.mimeData()):
            event.acceptProposedAction()
        elif carries_tracks(event.mimeData()):
            # Library songs go to Up next or a playlist; let go anywhere else they do nothing.
            at = event.position().toPoint()
            if self._song_drop_target(at) is not None:
                event.acceptProposedAction()
            else:
                event.ignore()
        else:
            super().dragMoveEvent(event)

    def _song_drop_target(self, at):
        """Where library songs let go at ``at`` (the window's coordinates) go: ``("queue",
        before)``, ``("playlist", id, before)``, or None (the library itself, another tab)."""
        where = self.childAt(at)

        def on(widget) -> bool:
            return where is not None and widget.isVisible() and (where is widget or widget.isAncestorOf(where))

        if on(self.up_next.list):
            songs = self.up_next.list
            return "queue", songs.model().entries()[songs.drop_insert_position(songs.viewport().mapFrom(self, at)):]
        if on(self.up_next):
            return "queue", None
        # (a saved search's songs are what it finds: none are let go into it)
        if on(self.playlists.lists) and self._playlist_at(at) is not None:
            pid = self._playlist_at(at)
            return None if self.playlists.query_of(pid) is not None else ("playlist", pid, None)
        if (on(self.playlists.entries) and self.playlists.current_playlist() is not None
                and self.playlists.query_of(self.playlists.current_playlist()) is None):
            songs = self.playlists.entries
            return "playlist", self.playlists.current_playlist(), self.playlists.drop_before(
                songs.viewport().mapFrom(self, at))
        return None

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        ids = dragged_track_ids(event.mimeData())
        if ids:
            target = self._song_drop_target(event.position().toPoint())
            if target is None:
                event.ignore()
            elif target[0] == "queue":
                event.acceptProposedAction()
                self.enqueue(ids, before=target[1])
            else:
                event.acceptProposedAction()
                self.add_to_playlist(ids, target[1], before=target[2])
            return
        paths = dropped_paths(event.mimeData())
        if not paths:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        at = event.position().toPoint()
        where = self.childAt(at)

        def on(widget) -> bool:
            return where is not None and (where is widget or widget.isAncestorOf(where))

        if on(self.up_next.list):
            # Where they were dropped, as a drag within the list goes: before the entries
            # shown below that place.
            songs = self.up_next.list
            insert_at = songs.drop_insert_position(songs.viewport().mapFrom(self, at))
            open_paths(self, paths, queue=True, before=songs.model().entries()[insert_at:])
        elif on(self.up_next):
            open_paths(self, paths, queue=True)
        elif on(self.playlists.lists) and self._playlist_at(at) is not None and \
                self.playlists.query_of(self._playlist_at(at)) is None:
            open_paths(self, paths, playlist=self._playlist_at(at))
        elif on(self.playlists.lists.parentWidget()) and all(is_playlist_file(p) for p in paths):
            # Playlist files let go beside the playlists are new playlists, as File → Import
            # playlist makes them (they played, and no playlist was made).
            self.import_playlists(paths)
        elif (on(self.playlists.entries) and self.playlists.current_playlist() is not None
              and self.playlists.query_of(self.playlists.current_playlist()) is None):
            # Where they were dropped, as a drag within the list places songs.
            songs = self.playlists.entries
            before = self.playlists.drop_before(songs.viewport().mapFrom(self, at))
            open_paths(self, paths, playlist=self.playlists.current_playlist(), playlist_before=before)
        else:
            open_paths(self, paths)

    def _playlist_at(self, at) -> int | None:
        """The playlist listed under ``at`` (the window's coordinates) in the Playlists view."""
        lists = self.playlists.lists
        item = lists.itemAt(lists.viewport().mapFrom(self, at))
        return item.data(PLAYLIST_ROLE) if item is not None else None


class SystemOpens(QObject):
    """Files the system asks the application to open, one ``QFileOpenEvent`` each (macOS: the
    Finder's "Open with", a file dropped on the Dock icon, the files that launched Segue),
    opened as ``segue FILE...`` opens them.

    The Finder sends one event per file chosen, so a burst is gathered until it has been
    quiet for :attr:`BURST_MS` and plays as one list in the order it came; opened one by
    one, each would have taken the place of the last. Files that come before the window is
    there (while the library opens) wait for :meth:`open_in`.
    """

    BURST_MS = 250

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._paths: list[str] = []
        self._window = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.BURST_MS)
        self._timer.timeout.connect(self._open)

    def take(self, event) -> None:
        """Keep the file of ``event`` (a ``QFileOpenEvent``) to open with the rest of its burst."""
        path = event.file()
        if not path and event.url().isLocalFile():
            path = event.url().toLocalFile()
        if not path:
            return
        self._paths.append(path)
        if self._window is not None:
            self._timer.start()         # (again: the burst goes on)

    def open_in(self, window) -> None:
        """From now on open the files in ``window``; those that came before it, at once."""
        self._window = window
        window.destroyed.connect(self._window_gone)
        if self._paths:
            self._open()

    def _window_gone(self) -> None:
        self._window = None
        self._timer.stop()

    def _open(self) -> None:
        paths, self._paths = self._paths, []
        if paths and self._window is not None:
            open_paths(self._window, paths)


class SegueApplication(QApplication):
    """The application: hands the files the system asks it to open to :class:`SystemOpens`.
    Only the events sent to the application itself come here (an event filter on the
    application would run Python for every event of every widget)."""

    def __init__(self, argv: list[str]):
        super().__init__(argv)
        self.system_opens = SystemOpens(self)

    def event(self, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FileOpen:
            self.system_opens.take(event)
            return True
        return super().event(event)
