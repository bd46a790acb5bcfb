"""File → Import listening history…: another service's history, imported on the database-write thread.

Mixed into :class:`player.ui.main_window.MainWindow`. Progress shows in the status bar
as rows N of M; the summary of each file (plays made, rows kept for songs not in the
library, podcasts skipped, rows already imported) comes in a message when it is done.
The recommender then rebuilds from the new plays at once, a training is asked for, and the
Listening tab counts them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from player.workers import collector_paused, db_write_pool, run_task

log = logging.getLogger(__name__)
FILE_FILTERS = ["Listening history (*.json *.jsonl *.csv *.tsv *.zip)", "All files (*)"]


class HistoryTasksMixin:
    _import = None

    def choose_history_files(self) -> QFileDialog:
        """The file dialog (non-blocking); choosing files starts the import."""
        dialog = QFileDialog(self, "Import listening history")
        dialog.setFileMode(QFileDialog.ExistingFiles)
        dialog.setNameFilters(FILE_FILTERS)
        dialog.filesSelected.connect(self.import_history_files)
        self._history_dialog = dialog
        dialog.open()
        return dialog

    def import_history_files(self, paths: list[str]) -> None:
        """Import export files one after another, off the GUI thread."""
        paths = [str(p) for p in paths]
        if not paths:
            return
        if self._import is not None:
            self.statusBar().showMessage("An import is already running; try again when it is done", 8000)
            return
        store = self.store
        summaries: list = []        # the files imported whole, read once the job has ended

        def imports(report):
            from player.history.importer import import_file
            from player.history.match import TrackMatcher

            matcher = TrackMatcher(store.tracks())
            try:
                for i, path in enumerate(paths):
                    summaries.append(import_file(
                        store, path, matcher=matcher,
                        progress=lambda done, total, stage, i=i: report((i, done, total, stage))))
            finally:
                matcher.let_go()            # a piece at a time: freed at once it held the window
            return summaries

        def work(report):
            # The library's index and the file's rows are freed before imports() returns,
            # and so before the collector is back on (see collector_paused).
            with collector_paused():
                return imports(report)

        self.tasks.start("import", "Importing history")
        handle = self._import = run_task(work, self._history_imported, pool=db_write_pool(),
                                         progress=lambda v: self._import_progress(v, len(paths)),
                                         name="import-history")
        handle.finished.connect(lambda: self._import_ended(handle, summaries, paths))
        self.act_stop_import.setEnabled(True)
        self.stop_import_btn.show()

    def stop_import(self) -> None:
        """File → Stop importing: the file being imported is left out whole (its rows are stored
        in one transaction, not begun yet or rolled back), the files imported before it stay."""
        if self._import is None or self._import.cancelled:
            return
        self._import.cancel()
        self.act_stop_import.setEnabled(False)
        done, total = self.tasks.progress("import")
        self.tasks.update("import", done, total, "Stopping the import:")

    def _import_ended(self, handle, summaries: list, paths: list[str]) -> None:
        """A stopped import (its result is dropped): the files imported whole are reported as
        an import's are, and the others by name, as not imported."""
        if not handle.cancelled or self._import is not handle:
            return
        if getattr(self, "_closed", False):
            self._import = None
            return
        self._history_imported(list(summaries), None, left=[Path(p).name for p in paths[len(summaries):]])

    def _import_progress(self, value, n_files: int) -> None:
        from player.history.importer import shown_progress

        i, done, total, stage = value
        where = f" (file {i + 1} of {n_files})" if n_files > 1 else ""
        done, total, stage = shown_progress(done, total, stage)
        self.tasks.update("import", done, total, f"Importing history{where}, {stage[:1].lower()}{stage[1:]}:")

    def _history_imported(self, result, error, left: list[str] = ()) -> None:
        """``left``: the files a stop left out, nothing of them kept."""
        self._import = None
        self.tasks.finish("import")
        self.act_stop_import.setEnabled(False)
        self.stop_import_btn.hide()
        if error is not None:
            # Each file's own failure is in its summary: this is a failure before any file
            # (the library could not be read), so nothing was imported.
            log.error("import failed: %s", error)
            self._history_message(QMessageBox.Warning, "Import failed",
                                  f"Nothing was imported: {error}")
            self.history_imported.emit(error)
            return
        from player.history.importer import batch_text

        # Plays made, plays already there that learned their time heard and skip, joined into
        # one, or no longer plays (played in a private session, as this file says).
        plays = sum(s.matched + s.filled_in + s.rejoined + s.made_private for s in result if not s.error)
        failed = sum(bool(s.error) for s in result)
        if not left:
            said = batch_text(result)
        elif not result:
            said = f"The import was stopped: nothing of {', '.join(left)} was kept."
        else:
            said = (f"The import was stopped. {batch_text(result)} Not imported, nothing of "
                    f"{'them' if len(left) > 1 else 'it'} kept: {', '.join(left)}.")
        self.statusBar().showMessage(said, 10000)
        if left:
            icon, title = QMessageBox.Information, "Import stopped"
        elif not failed:
            icon, title = QMessageBox.Information, "Listening history imported"
        elif failed < len(result):
            icon, title = QMessageBox.Warning, "Listening history partly imported"
        else:
            icon, title = QMessageBox.Warning, "Listening history not imported"
        self._history_message(icon, title, "\n\n".join([said] + [s.text() for s in result]))
        intelligence = getattr(self, "intelligence", None)
        if plays and intelligence is not None and intelligence.service is not None:
            intelligence.service.invalidate()          # the next Up next reads the new plays
            intelligence.plays_changed()               # the learner trains next if that is due
        if plays:
            self.listening.plays_changed()             # its totals and charts count the new plays
            self.recount_plays()                       # and the search's "plays:"
        dialog = getattr(self, "imports_dialog", None)
        if dialog is not None and dialog.isVisible():
            dialog.reload()                            # File → Imported histories… open meanwhile lists it
        self.history_imported.emit(result)

    def open_imports(self):
        """File → Imported histories…: the files imported so far; one can be taken out."""
        from player.ui.imports_dialog import ImportsDialog

        dialog = ImportsDialog(self.store, self)
        dialog.remove_import.connect(self.remove_history_import)
        self.imports_dialog = dialog
        dialog.open()
        return dialog

    def remove_history_import(self, import_id: int, name: str) -> None:
        """Take one imported file out of the history, on the database-write thread."""
        if self._import is not None:
            self.statusBar().showMessage("An import is running; remove the file when it is done", 8000)
            return
        store = self.store
        self.tasks.start("remove-import", f"Removing {name} from the history")

        def done(result, error):
            self.tasks.finish("remove-import")
            if error is not None:
                log.error("could not remove the import %s: %s", name, error)
                self._history_message(QMessageBox.Warning, "Not removed",
                                      f"{name} could not be removed: {error}")
            elif result is not None:
                from player.history.importer import removed_text

                text = f"Removed {removed_text(result)}"
                if result.get("later"):
                    # Files to import again, perhaps many (Spotify writes a file a year): a status
                    # bar line cuts them off and is gone in seconds; a box wraps them and stays.
                    self._history_message(QMessageBox.Information, "Import again", text)
                self.statusBar().showMessage(text, 10000)
                intelligence = getattr(self, "intelligence", None)
                if intelligence is not None and intelligence.service is not None:
                    intelligence.service.invalidate()      # Up next stops following it at once
                    intelligence.plays_changed()           # the models trained on it are retrained
                self.listening.plays_changed()
                self.recount_plays()
                self._explain_again()                      # reasons may have counted its plays
            dialog = getattr(self, "imports_dialog", None)
            if dialog is not None and dialog.isVisible():
                dialog.reload()
            self.history_removed.emit(result if error is None else error)

        run_task(lambda: store.remove_import(import_id), done, pool=db_write_pool(), name="remove-import")

    def _history_message(self, icon, title: str, text: str) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.Ok, self)
        box.setModal(False)
        self._history_box = box
        box.open()
