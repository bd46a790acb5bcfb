"""Opening a library that this version updates: a small window says so while a worker does it.

Updating the schema of a big library takes seconds (the newest step makes two order keys for
every track). Run where the window is made, it ran before anything was on screen, and a
desktop could call Segue "not responding". A library already up to date opens as before,
on the GUI thread, without a thread or a window more: that is most starts.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

TITLE = "Updating your library…"


class UpdatingWindow(QWidget):
    """What an update of the library is at: a line of text and a busy bar. Its close button
    does nothing: a step stopped half-way is undone and would only be done again at the
    next start, and the main window follows as soon as it is over."""

    def __init__(self):
        super().__init__(None, Qt.Window | Qt.WindowTitleHint | Qt.CustomizeWindowHint)
        self.setWindowTitle("Segue")
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        layout = QVBoxLayout(self)
        self.heading = QLabel(TITLE)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.detail = QLabel("This version of Segue updates your library once; it takes a few seconds "
                             "for a big one. Your music and history are kept.")
        self.detail.setWordWrap(True)
        self.step = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)             # busy: the longest step cannot tell how far it is
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName(TITLE)
        for w in (self.heading, self.detail, self.step, self.bar):
            layout.addWidget(w)
        self.setMinimumWidth(420)
        self._closable = False

    def show_progress(self, value) -> None:
        stage, done, total = value
        if stage == "backup":
            self.step.setText("Keeping a copy of the library as it was…")
        else:
            self.step.setText(f"Step {done + 1} of {total}" if total > 1 else "")

    def finish(self) -> None:
        self._closable = True
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._closable:
            event.accept()
        else:
            event.ignore()


def open_updating(open_store):
    """``open_store(progress)`` run on the database's worker while :class:`UpdatingWindow`
    shows how far it is; returns what it returns, or raises what it raised, on this (the
    GUI) thread, which goes on drawing and answering meanwhile (a local event loop, as a
    dialog's). The worker's own connection is closed before the store is handed over: the
    GUI thread opens its own, and a connection is kept to the thread that made it."""
    from player.workers import db_write_pool, run_task

    window = UpdatingWindow()
    window.show()
    loop = QEventLoop()
    outcome = {}

    def work(report):
        store = open_store(lambda stage, done, total: report((stage, done, total)))
        store.close()
        return store

    def done(result=None, error=None) -> None:
        outcome.update(result=result, error=error)
        loop.quit()

    # Ctrl-C in the terminal ends the start once the update is over (each step is a
    # transaction: stopped half-way it is only undone and done again at the next start), as
    # it ended it before the window came. Python's own handler raised KeyboardInterrupt in
    # whatever Python code the loop ran next: in a slot it was printed and lost (the update
    # went on, the window opened), and in done() before loop.quit() the loop never ended.
    interrupted = []
    previous = _note_interrupts(interrupted)
    try:
        run_task(work, done, pool=db_write_pool(), progress=window.show_progress, name="update the library")
        loop.exec()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    window.finish()
    window.deleteLater()
    if interrupted:
        raise KeyboardInterrupt
    if outcome.get("error") is not None:
        raise outcome["error"]
    return outcome["result"]


def _note_interrupts(interrupted: list):
    """SIGINT noted in ``interrupted`` instead of raising; the handler it replaced, or None
    where it left it (one set by someone else, an ignored signal, not the main thread)."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    try:
        return signal.signal(signal.SIGINT, lambda signum, _frame: interrupted.append(signum))
    except ValueError:
        return None
