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
            engine = create_engine(store, null=True)
            engine.notice = f"No sound output could be opened, so Segue plays without sound: {exc}"
            return engine

    return make


# How long a thread running Python code keeps the GIL while another waits for it. The window's
# work runs on worker threads (scans, imports, library reads, the recommender), and the GUI
# thread waits up to this long for each of them, again and again. Measured on a shared 2-core
# machine (benchmarks/bench_stalls.py --switch-ms, three runs of 4-8 turns, medians of each):
# with a busy worker a 5 ms timer on the GUI thread fired up to 31-44 ms late at Python's 5 ms
# (p99 21-31 ms), 13-27 ms at 1 ms (p99 8-14 ms); during an import p99 16-21 ms against 8-15,
# during a scan 16-22 against 10-16. The workers' throughput (the loop's iterations, the
# import's and scan's durations, two threads contending) did not drop beyond the noise, and
# 0.5 ms did no better than 1 ms. The sound card's callback is Python too; beside a busy thread
# it ran dry no more often at 1 ms (benchmarks/bench_playback.py --busy-thread --switch-ms 5 1).
# The learner's process is spawned and keeps Python's own interval: nothing there waits on a
# screen, and its throughput matters more.
SWITCH_INTERVAL_S = 0.001


def create_app(argv: list[str] | None = None):
    from player.memory import tune_allocator

    tune_allocator()          # first: the window holds big arrays for as long as it runs
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    from PySide6.QtWidgets import QApplication

    from player import APP_ID
    from player.ui import collector, errors, plain_text
    from player.ui.opening import SegueApplication
    from player.ui.theme import apply_theme

    app = QApplication.instance() or SegueApplication(argv or sys.argv[:1])
    if getattr(app, "gui_collector", None) is None:
        collector.install(app)      # cycles holding Qt objects are freed on the GUI thread only
    app.setApplicationName("Segue")
    app.setOrganizationName("Segue")
    app.setDesktopFileName(APP_ID)
    apply_theme(app)
    errors.install()
    plain_text.install(app)
    return app


RESTORE, NEW_LIBRARY, QUIT = "restore", "new", "quit"


def damaged_library_box(exc, parent=None):
    """The dialog for a damaged library: restore the newest backup, start a new library, or quit.

    Returns ``(box, {button: choice})``; the caller runs it (``box.exec()``).
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from segue_common.text import shown

    box = QMessageBox(QMessageBox.Critical, "Segue's library is damaged", "", QMessageBox.NoButton, parent)
    box.setTextFormat(Qt.PlainText)
    lines = [f"{shown(str(exc.path))} cannot be read ({shown(exc.detail)})."]
    choices = {}
    if exc.backup is not None:
        lines.append(f"The newest backup is {shown(exc.backup.name)}. Restoring it brings back the library "
                     "as it was then; plays since then are in the damaged file only.")
        choices[box.addButton("Restore the backup", QMessageBox.AcceptRole)] = RESTORE
    else:
        lines.append("There is no backup of it.")
    lines.append("Starting a new library keeps your music files; Segue scans them again. "
                 "Either way the damaged file is kept, renamed, beside it.")
    box.setText("\n\n".join(lines))
    choices[box.addButton("Start a new library", QMessageBox.DestructiveRole)] = NEW_LIBRARY
    quit_button = box.addButton("Quit", QMessageBox.RejectRole)
    choices[quit_button] = QUIT
    box.setDefaultButton(next(iter(choices)))
    box.setEscapeButton(quit_button)
    return box, choices


def _open_store():
    """The store, or None after telling the person why it cannot open (a dialog)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from player import paths
    from player.failures import describe
    from player.store import DatabaseCorruptError, Store, migration_pending, recovery

    def refuse(message: str) -> None:
        box = QMessageBox(QMessageBox.Critical, "Segue cannot open its library", message, QMessageBox.Ok)
        box.setTextFormat(Qt.PlainText)
        box.exec()

    def open_store():
        # A library this version updates (for seconds, when it is big) is updated on a worker,
        # with a window saying so; one already up to date opens here, at once, as it always did.
        try:
            pending = migration_pending(paths.db_path())
        except OSError:                 # no data folder: Store.open() says why
            pending = False
        if not pending:
            return Store.open()
        from player.ui.updating import open_updating

        return open_updating(lambda progress: Store.open(progress=progress))

    try:
        return open_store()
    except DatabaseCorruptError as exc:
        box, choices = damaged_library_box(exc)
        box.exec()
        choice = choices.get(box.clickedButton(), QUIT)
        if choice == QUIT:
            return None
        try:
            if choice == RESTORE:
                recovery.restore_backup(exc.path, exc.backup)
            else:
                recovery.start_new_library(exc.path)
            return open_store()
        except Exception as again:  # noqa: BLE001 - the restored copy may be damaged too
            refuse(describe(again)[0])
            return None
    except Exception as exc:  # noqa: BLE001 - read-only folder, newer schema, anything: say it, don't crash
        refuse(describe(exc)[0])
        return None


def _launch_message(args) -> dict:
    cwd = os.getcwd()
    return {"argv": sys.argv[1:], "cwd": cwd,
            "open": [_local_path(p, cwd) for p in (getattr(args, "open", None) or [])]}


def _local_path(arg: str, cwd: str) -> str:
    """A path as given (relative to where Segue was started), or the file a ``file:`` URL names:
    a launcher or another program may hand over URLs, percent-escaped bytes and all."""
    if arg.lower().startswith("file:"):
        from player.playlist_files import file_url_path

        return file_url_path(arg)
    return os.path.join(cwd, arg)


def _second_launch(window, message: dict) -> None:
    """Another ``segue`` was started on this library: come forward, and play what it was given."""
    from player.ui.opening import come_forward, open_paths

    come_forward(window)
    paths = [p for p in message.get("open") or [] if isinstance(p, str)]
    if paths:
        open_paths(window, paths)


def _close_on_signals(window) -> None:
    """Ctrl-C in the terminal, and the SIGTERM of a logout, a shutdown or `kill`, close the
    window as its close button does: the song playing is logged as stopped where it was, the
    learner and the lock on the library are let go. Ctrl-C was ignored and SIGTERM ended the
    process on the spot, its play left open until the next start. A second signal while it
    closes ends it at once, as without Segue's handler."""
    import signal

    from PySide6.QtCore import QTimer

    def close(signum, _frame) -> None:
        for sig in wanted:
            signal.signal(sig, signal.SIG_DFL)
        log.info("signal %s: closing the window", signum)
        QTimer.singleShot(0, window.close)

    # A signal ignored when Segue started (`nohup segue`, `segue &` from a script) stays so.
    wanted = [sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None))
              if sig is not None and signal.getsignal(sig) not in (signal.SIG_IGN, None)]
    for sig in wanted:
        signal.signal(sig, close)
    # Python runs a signal's handler only when it next runs code of its own: while the event
    # loop waits, nothing would. The signal is written to a socket the event loop watches,
    # and reading it runs the handler. (Where that cannot be had, a timer that does nothing
    # lets it, waking the window four times a second for as long as it stays open.)
    if wanted and not _wake_on_signals(window):
        window._signal_timer = timer = QTimer(window)
        timer.timeout.connect(lambda: None)
        timer.start(250)


def _wake_on_signals(window) -> bool:
    """Have a signal wake the event loop (``signal.set_wakeup_fd``); False where it cannot."""
    import contextlib
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    try:
        reader, writer = socket.socketpair()
    except OSError:
        return False
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):       # (not the main thread, or a socket the platform refuses)
        reader.close()
        writer.close()
        return False

    def read() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, window)
    notifier.activated.connect(read)
    window._signal_wakeup = (reader, writer, notifier)
    return True


def run_gui(args=None) -> int:
    """Show the main window and run the event loop; returns the exit status."""
    app = create_app()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from player import paths
    from player.failures import EXIT_DATA, describe
    from player.ui.main_window import MainWindow
    from player.ui.single_instance import SingleInstance
    from player.ui.track_menu import stop_revealing
    from player.workers import wait_all

    try:
        instance = SingleInstance(paths.data_dir())
        first = instance.claim(_launch_message(args))
    except Exception as exc:  # noqa: BLE001 - no data folder, or a window that does not answer
        message, status = describe(exc)
        box = QMessageBox(QMessageBox.Critical, "Segue cannot start", message, QMessageBox.Ok)
        box.setTextFormat(Qt.PlainText)
        box.exec()
        return status
    if not first:
        log.info("Segue is already open on this library; it was given this launch's arguments")
        return 0
    store = _open_store()
    if store is None:
        instance.release()
        return EXIT_DATA
    try:
        window = MainWindow(store, engine_factory=default_engine_factory(store))
    except Exception as exc:  # noqa: BLE001 - a dialog, not a traceback in a terminal nobody sees
        message, status = describe(exc)
        box = QMessageBox(QMessageBox.Critical, "Segue cannot start", message, QMessageBox.Ok)
        box.setTextFormat(Qt.PlainText)
        box.exec()
        store.close()
        instance.release()
        return status
    if os.environ.get("SEGUE_NO_RECOMMENDER", "") != "1":
        window.enable_intelligence(analyse=os.environ.get("SEGUE_NO_ANALYSIS", "") != "1")
    instance.activated.connect(lambda message: _second_launch(window, message))
    # A launch while the window closes waits for it to be gone and opens its own with its files.
    app.lastWindowClosed.connect(instance.stop_answering)
    _close_on_signals(window)
    window.show()
    if getattr(args, "open", None):
        from player.ui.opening import open_paths

        open_paths(window, _launch_message(args)["open"])
    if hasattr(app, "system_opens"):        # the Finder's files, those that launched Segue first
        app.system_opens.open_in(window)
    try:
        from player.ui.mpris import start_mpris

        window.mpris = start_mpris(window)
    except Exception as exc:  # noqa: BLE001 - media keys are a nicety, never a reason not to start
        log.info("MPRIS not available: %s", exc)
    instance.ready()                    # later launches' files are acted on from here
    status = app.exec()
    instance.stop_answering()
    stop_revealing()                    # a file manager not answering does not hold the quit
    wait_all(5000)
    store.close()
    instance.release()
    return status
