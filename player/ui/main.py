"""``segue`` with no command: open the window.

Start-up imports only Qt, numpy and the store; the audio engine opens on a worker
after the window is shown, and torch is imported only by analysis or training.
"""

from __future__ import annotations

import logging
import os
import sys

log = logging.getLogger(__name__)


def default_engine_factory(store):
    """The output from the settings (PortAudio); the null engine with SEGUE_ENGINE=null or no device."""

    def make():
        from player.audio import create_engine

        null = os.environ.get("SEGUE_ENGINE", "").lower() == "null"
        try:
            return create_engine(store, null=null)
        except Exception as exc:  # noqa: BLE001 - no PortAudio or no device: play silently, say so
            log.warning("no audio output (%s); using the null engine", exc)
            return create_engine(store, null=True)

    return make


def create_app(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    from player.ui import errors
    from player.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Segue")
    app.setOrganizationName("Segue")
    app.setDesktopFileName("segue")
    apply_theme(app)
    errors.install()
    return app


def run_gui(args=None) -> int:
    """Show the main window and run the event loop; returns the exit status."""
    app = create_app()
    from PySide6.QtWidgets import QMessageBox

    from player.store import Store, StoreError
    from player.ui.main_window import MainWindow
    from player.workers import wait_all

    try:
        store = Store.open()
    except StoreError as exc:
        QMessageBox.critical(None, "Segue cannot open its library", str(exc))
        return 1
    window = MainWindow(store, engine_factory=default_engine_factory(store))
    if os.environ.get("SEGUE_NO_RECOMMENDER", "") != "1":
        window.enable_intelligence(analyse=os.environ.get("SEGUE_NO_ANALYSIS", "") != "1")
    window.show()
    try:
        from player.ui.mpris import start_mpris

        window.mpris = start_mpris(window)
    except Exception as exc:  # noqa: BLE001 - media keys are a nicety, never a reason not to start
        log.info("MPRIS not available: %s", exc)
    status = app.exec()
    wait_all(5000)
    store.close()
    return status
