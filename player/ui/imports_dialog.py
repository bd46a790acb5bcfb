"""File → Imported histories…: the listening histories imported so far, and taking one out.

A file imported by mistake (another person's account, a friend's export) leaves alone,
with its rows and the plays they became; Segue's own plays and the other files stay.
The dialog only asks; the window removes the file on the database-write thread.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHeaderView, QMessageBox, QPushButton, QTreeWidget,
                               QTreeWidgetItem)

from player.ui.list_dialog import delete_presses, hint, lay_out
from player.workers import run_task
from segue_common.listen_exports import FORMAT_NAMES

COLUMNS = ("File", "From", "Imported", "Rows", "Plays")


class ImportsDialog(QDialog):
    """The imported files, newest first; *Remove…* asks, then emits :attr:`remove_import`."""

    remove_import = Signal(int, str)    # the import's id and its file's name
    loaded = Signal()                   # the rows are shown

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Imported listening histories")
        self.setMinimumSize(640, 320)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        # The file name takes the spare width: stretched, the last column put its count at the far
        # right, a hand's width from its heading. Counts and their headings line up on the right.
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column in (3, 4):
            self.table.headerItem().setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
        self.empty = hint("No listening history has been imported (File → Import listening history…).",
                          wrap=False)
        note = hint("Removing a file takes out its rows and the plays they became. What Segue logged "
                    "itself and the other files stay. Rows another file held too, and left out as "
                    "already imported, go with it: import that file again to bring them back.")
        self.remove_btn = QPushButton("Remove…")
        self.remove_btn.setEnabled(False)
        lay_out(self, self.table, self.empty, note, self.remove_btn)
        delete_presses(self.table, self.remove_btn)
        # Why a file listed made no plays (none of its songs in the library, its listens another
        # file's): a 0 with nothing said looked like a failed import, or a file to take out at
        # no loss. Shown under the list while a file has none.
        self.why = hint("")
        self.why.hide()
        self.layout().insertWidget(2, self.why)
        self.table.itemSelectionChanged.connect(
            lambda: self.remove_btn.setEnabled(self.selected() is not None))
        self.remove_btn.clicked.connect(self._confirm_remove)
        self.confirm_box: QMessageBox | None = None
        self._reading = None
        self.reload()

    def reload(self) -> None:
        """Read the imports as the store has them now, on a worker (counting the plays of
        each reads every imported row); :attr:`loaded` when they are shown."""
        store = self.store

        def work():
            return [dict(r) for r in store.history_imports()], store.import_counts(), store.import_fill_in_counts()

        self._reading = run_task(work, self._show, name="list-imports")

    def _show(self, result, error) -> None:
        from player.history.importer import no_plays_text

        self._reading = None
        self.table.clear()
        rows, counts, fills = result if error is None else ([], {}, {})
        if error is not None:
            self.empty.setText(f"The imported histories could not be read: {error}")
        why = []
        for row in rows:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["imported_at"]))
            stored, plays = counts.get(row["id"], (0, 0))
            item = QTreeWidgetItem([row["name"], FORMAT_NAMES.get(row["format"], row["format"]), when,
                                    f"{row['rows']:,}", f"{plays:,}"])
            for column in (3, 4):
                item.setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
            if not plays:
                reason = no_plays_text(row, stored, fills.get(row["id"], (0, 0, 0)))
                why.append(f"{row['name']}: no plays: {reason}.")
                for column in range(len(COLUMNS)):
                    item.setToolTip(column, f"No plays: {reason}.")
            item.setData(0, Qt.UserRole, (row["id"], row["name"]))
            self.table.addTopLevelItem(item)
        for column in range(1, len(COLUMNS)):
            self.table.resizeColumnToContents(column)
        self.empty.setVisible(self.table.topLevelItemCount() == 0)
        self.why.setText("\n".join(why))
        self.why.setVisible(bool(why))
        self.remove_btn.setEnabled(self.selected() is not None)
        self.loaded.emit()

    def selected(self) -> tuple[int, str] | None:
        items = self.table.selectedItems()
        return items[0].data(0, Qt.UserRole) if items else None

    def _confirm_remove(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        import_id, name = chosen
        box = QMessageBox(QMessageBox.Warning, "Remove an imported history",
                          f"Take {name} out of your listening history, with the plays it became?",
                          QMessageBox.Cancel, self)
        remove = box.addButton("Remove", QMessageBox.DestructiveRole)
        box.setDefaultButton(QMessageBox.Cancel)
        self.confirm_box = box

        def done(_result):
            if box.clickedButton() is remove:
                self.remove_btn.setEnabled(False)
                self.remove_import.emit(import_id, name)
            self.confirm_box = None

        box.finished.connect(done)
        box.open()
