"""An excepthook that logs the traceback and shows a dialog instead of vanishing."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from player import paths

log = logging.getLogger("segue.crash")


class _Reporter(QObject):
    show = Signal(str, str)     # summary, details (queued to the GUI thread)


_reporter: _Reporter | None = None
dialogs: list[QMessageBox] = []


def _show(summary: str, details: str) -> None:
    parent = QApplication.activeWindow()
    box = QMessageBox(QMessageBox.Critical, "Segue hit a problem",
                      f"{summary}\n\nSegue kept running. The details were written to "
                      f"{paths.log_dir() / 'segue.log'}.", QMessageBox.Ok, parent)
    box.setTextFormat(Qt.PlainText)     # an error message can quote a file name or a tag
    box.setDetailedText(details)
    box.setModal(False)
    box.finished.connect(lambda *_: dialogs.remove(box) if box in dialogs else None)
    dialogs.append(box)
    box.show()


def report(exc_type, exc, tb) -> None:
    """Log an uncaught exception and show it (from any thread)."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught exception:\n%s", details)
    summary = f"{exc_type.__name__}: {exc}"
    if _reporter is not None:
        try:
            _reporter.show.emit(summary, details)
        except RuntimeError:
            pass


def install() -> None:
    """Route uncaught exceptions (GUI and worker threads) to :func:`report`."""
    global _reporter
    if _reporter is None:
        _reporter = _Reporter()
        _reporter.show.connect(_show)
    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)
