"""Playback → Never suggested…: the songs and artists the person asked Segue never to suggest,
each with a way to take it back."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QDialog, QListWidget, QListWidgetItem, QPushButton

from player.library.names import Namer
from player.ui.list_dialog import delete_presses, hint, lay_out
from player.workers import OneAtATime, db_write_pool, run_task
from segue_common.text import shown


def read_entries(store) -> list[tuple[int, str]]:
    """``(entry id, how it is shown)``, newest first. Run on a worker."""
    namer = Namer.of(store)
    out = []
    for r in store.never_suggested():
        if r["artist_key"] is not None:
            out.append((r["id"], f"Songs by {shown(r['artist'] or r['artist_key'])}"))
            continue
        names = namer({"path": r["path"], "folder_id": r["folder_id"], "title": r["title"],
                       "artist": r["track_artist"], "albumartist": r["albumartist"], "album": r["album"]})
        out.append((r["id"], f"“{shown(names.title)}” — {shown(names.artist)}" if names.artist
                    else f"“{shown(names.title)}”"))
    return out


NOTHING_YET = ("Nothing yet. Right-click a song in the library, Up next or Discover and choose "
               "“Don't suggest this song” or “Don't suggest songs by …”.")


class NeverSuggestedDialog(QDialog):
    """The list, read from the store; Remove lets Segue suggest the selected ones again."""

    loaded = Signal()                   # the entries are shown
    removed = Signal(list)              # what was taken back: the texts shown for it

    def __init__(self, store, parent=None):
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Never suggested")
        self.resize(480, 360)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.empty = hint(NOTHING_YET)
        note = hint("Up next, Radio and Discover never offer these. You can still play them yourself.")
        self.remove_btn = QPushButton("Remove")
        self.remove_btn.setToolTip("Segue may suggest the selected songs and artists again")
        self.remove_btn.setEnabled(False)
        lay_out(self, self.list, self.empty, note, self.remove_btn)
        delete_presses(self.list, self.remove_btn)
        self.remove_btn.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_btn.setEnabled(bool(self.list.selectedItems())))
        self._reads = OneAtATime()
        self.reload()

    def reload(self) -> None:
        """Read the entries again on a worker; asked while a read runs (a song left out just
        as one was taken back), one more read follows it, so an older list never lands last."""
        store = self.store
        self._reads.request(lambda: run_task(lambda: read_entries(store), self._show, name="never-suggested"))

    def _show(self, result, error) -> None:
        self.list.clear()
        # (a failed read says so: an empty list would claim that nothing is left out)
        self.empty.setText(NOTHING_YET if error is None else f"The list could not be read: {error}")
        for entry_id, text in result or ():
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, entry_id)
            self.list.addItem(item)
        self.empty.setVisible(not self.list.count())
        self.list.setVisible(bool(self.list.count()))
        self.remove_btn.setEnabled(False)
        self.loaded.emit()

    def remove_selected(self) -> None:
        items = self.list.selectedItems()
        if not items:
            return
        store = self.store
        chosen = [(item.data(Qt.UserRole), item.text()) for item in items]
        self.remove_btn.setEnabled(False)

        def work():
            return [text for entry_id, text in chosen if store.suggest_again(entry_id)]

        def done(result, error):
            self.reload()
            if error is None:
                self.removed.emit(result)

        run_task(work, done, pool=db_write_pool(), name="suggest-again")
