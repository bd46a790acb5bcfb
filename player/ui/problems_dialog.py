"""File → Files with problems…: which files the library could not read, analyse or play, and why.

A scan keeps a file it cannot read as an error row and counts it in the status bar; this
is where the window names them, with the reason each one gave, so that nobody needs a
terminal (``segue library --errors``) to find the file to fix or replace.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHeaderView, QMenu, QPushButton, QTreeWidget,
                               QTreeWidgetItem)

from player.library.decoders import ffmpeg_need
from player.ui.list_dialog import hint, lay_out
from player.ui.track_menu import add_show_in_folder, reveal
from player.workers import OneAtATime, run_task
from segue_common.text import in_path_order, shown

COLUMNS = ("File", "What failed", "Why")
UNREADABLE, ANALYSIS, PLAYING = "Could not be read", "Analysis failed", "Did not play"
RECENT_PLAYS_S = 30 * 86400     # a play that failed longer ago than this is old news
NO_PROBLEMS = ("No problems: every file in the library could be read and analysed, and none "
               f"failed to play in the last {RECENT_PLAYS_S // 86400} days.")


def _by_path(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    # (each kind's files as the library sorts names, as the store lists the unreadable ones)
    return [rows[i] for i in in_path_order([path for path, _, _ in rows])]


def read_problems(store, now: float | None = None) -> list[tuple[str, str, str]]:
    """``(path, what failed, why)``: the unreadable files, then the tracks whose analysis
    failed, then those whose last play in :data:`RECENT_PLAYS_S` failed. The path is the
    file's own (shown by the dialog, and opened by Show in folder as it is). Run on a worker."""
    since = (time.time() if now is None else now) - RECENT_PLAYS_S
    rows = [(r["path"], UNREADABLE, r["last_error"]) for r in store.track_errors()]
    rows += _by_path([(r["path"], ANALYSIS, r["error"]) for r in store.feature_errors(present=True)])
    rows += _by_path([(r["path"], PLAYING, r["error"] or "no reason was given") for r in store.play_errors(since)])
    return [(path, what, shown(why)) for path, what, why in rows]


class ProblemsDialog(QDialog):
    """The files with problems, as the store has them; :meth:`reload` reads them again."""

    loaded = Signal()                   # the rows are shown

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Files with problems")
        self.setMinimumSize(720, 320)
        self.resize(960, 400)            # room for a path and its reason side by side
        self.table = QTreeWidget()
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setTextElideMode(Qt.ElideMiddle)      # a path's file name is at its end (whole in its tooltip)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.empty = hint(NO_PROBLEMS)
        # ffmpeg not installed: said above the list, since the files that need it are not
        # rows of it (an m4a is read, and fails only when played or analysed)
        self.ffmpeg_note = hint("")
        self.ffmpeg_note.hide()
        note = hint("A file that could not be read is read again when it changes: fix or replace it, "
                    "then File → Rescan library. A track whose analysis failed is analysed again when "
                    "its file changes.")
        self.copy_btn = QPushButton("Copy list")
        self.copy_btn.setToolTip("Copies every row (or the selected ones) as text: file, what failed and why, "
                                 "separated by tabs")
        self.copy_btn.setEnabled(False)
        lay_out(self, self.table, self.empty, note, self.copy_btn)
        self.layout().insertWidget(0, self.ffmpeg_note)
        self.copy_btn.clicked.connect(self.copy)
        # Show in folder, on a row's menu and with Enter: the file to fix or replace is found
        # where it is, without typing its path into a file manager.
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.activated.connect(lambda index: self.show_in_folder(self.table.itemFromIndex(index)))
        self.last_menu: QMenu | None = None
        # What Enter on a row whose file is not there said (the dialog has no status bar)
        self.said = hint("")
        self.said.hide()
        self.layout().insertWidget(2, self.said)
        self._reads = OneAtATime()      # a rescan ending during a read reads once more, after it
        self.reload()

    def reload(self) -> None:
        """Read the problems as the store has them now, on a worker (every unreadable file
        of a large library); :attr:`loaded` when they are shown."""
        store = self.store
        self._reads.request(lambda: run_task(lambda: (read_problems(store), ffmpeg_need(store).words()),
                                             self._show, name="list-problems"))

    def _show(self, result, error) -> None:
        # The list is read again while the person reads it (each failed analysis of a pass
        # that runs for hours): the rows chosen, the one at the cursor and the place scrolled
        # to stay, or "Copy list" would copy every row after the next failure.
        table = self.table
        # (by the file's own path, which each row keeps: a name that is not UTF-8 is shown otherwise)
        chosen = {(item.data(0, Qt.UserRole), item.text(1)) for item in table.selectedItems()}
        current = table.currentItem()
        current = (current.data(0, Qt.UserRole), current.text(1)) if current is not None else None
        scrolled = table.verticalScrollBar().value()
        table.clear()
        self.empty.setText(NO_PROBLEMS if error is None else f"The files with problems could not be listed: {error}")
        rows, ffmpeg_missing = result if error is None else ([], "")
        self.ffmpeg_note.setText(ffmpeg_missing)
        self.ffmpeg_note.setVisible(bool(ffmpeg_missing))
        for path, what, why in rows:
            item = QTreeWidgetItem([shown(path), what, why])
            item.setData(0, Qt.UserRole, path)
            item.setToolTip(0, shown(path))
            item.setToolTip(2, why)
            table.addTopLevelItem(item)
            if (path, what) == current:
                table.setCurrentItem(item, 0, QItemSelectionModel.NoUpdate)
            if (path, what) in chosen:
                item.setSelected(True)
        table.resizeColumnToContents(1)
        table.verticalScrollBar().setValue(scrolled)
        self.empty.setVisible(self.table.topLevelItemCount() == 0 and not ffmpeg_missing)
        self.copy_btn.setEnabled(self.table.topLevelItemCount() > 0)
        self.loaded.emit()

    def text(self) -> str:
        """The selected rows (else all of them), a line each, their columns separated by tabs."""
        items = [self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount())]
        items = [item for item in items if item.isSelected()] or items
        return "".join("\t".join(item.text(c) for c in range(len(COLUMNS))) + "\n" for item in items)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def _menu(self, pos) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        path = item.data(0, Qt.UserRole)
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)    # (else each right-click leaves one)
        add_show_in_folder(menu, lambda: path)
        self.last_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def show_in_folder(self, item: QTreeWidgetItem | None) -> None:
        """Open the file manager at ``item``'s file, as its menu's Show in folder does; a file
        that is not there (removed since, a disk not connected) is said under the list. The
        disk is looked at on a worker: a share slow to answer never holds the window."""
        if item is None:
            return
        path = item.data(0, Qt.UserRole)
        self.said.hide()

        def done(result=None, error=None) -> None:
            if error is None and result:
                reveal(path)
            else:
                self.said.setText(f"The file is not there: {shown(path)}")
                self.said.show()

        run_task(lambda: os.path.isfile(path), done, name="show-in-folder")
