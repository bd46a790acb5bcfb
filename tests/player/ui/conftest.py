"""Window fixtures: a real store, real tagged audio, the real Player on the null engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audiogen import write_track

# (folder, name, title, artist, album, genre, seconds)
TRACKS = [
    ("Rock", "r1", "Stone Road", "Granite", "Quarry", "Rock", 3.0),
    ("Rock", "r2", "Pebble Song", "Granite", "Quarry", "Rock", 3.0),
    ("Rock", "r3", "Loud Hands", "Amplifier", "Feedback", "Rock", 3.0),
    ("Rock", "r4", "Last Chord", "Amplifier", "Feedback", "rock", 3.0),
    ("Jazz", "j1", "Blue Smoke", "Quartet Nine", "Late Set", "Jazz", 3.0),
    ("Jazz", "j2", "Brushes", "Quartet Nine", "Late Set", "Jazz", 3.0),
    ("Jazz", "j3", "Walking Bass", "Trio Azul", "Azul", "Jazz", 3.0),
    ("Folk", "f1", "River Song", "Hollow Pines", "Cabin", "Folk", 3.0),
]


@pytest.fixture
def shown_up_next(qtbot):
    """Makes an Up next panel shown offscreen holding ``entries``, each row "song <track id>"."""
    from player.ui.queue_panel import UpNextPanel

    def make(entries):
        panel = UpNextPanel(describe=lambda e: (f"song {e.track_id}", "", ""))
        qtbot.addWidget(panel)
        panel.resize(300, 500)
        panel.show()
        qtbot.waitExposed(panel)
        panel.set_entries(entries)
        return panel
    return make


@pytest.fixture(scope="session")
def _music_made(tmp_path_factory):
    """The tagged files of ``TRACKS``, written once a run: each of the two hundred window tests
    that use them wrote the same bytes again, a sixth of a second a test on a busy machine."""
    root = tmp_path_factory.mktemp("music-made") / "music"
    return root, [write_track(root / folder, name, fmt="flac" if i % 2 else "wav", seconds=seconds,
                              freq=220.0 + 40 * i, tags={"title": title, "artist": artist, "album": album,
                                                         "genre": genre, "tracknumber": str(i + 1)})
                  for i, (folder, name, title, artist, album, genre, seconds) in enumerate(TRACKS)]


@pytest.fixture
def music(tmp_path, _music_made):
    """A copy of its own for each test, to change as it likes; copied, not linked, and with the
    time of the copy, as files written just now would have."""
    made_root, made = _music_made
    root = tmp_path / "music"
    for path in made:                   # in the order they were written
        copy = root / path.relative_to(made_root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    return root


@pytest.fixture
def scanned(store, music):
    from player.library.scanner import Scanner

    Scanner(store).scan([str(music)])
    return store


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """``make_window(store, with_player=True)`` -> a shown MainWindow with its library loaded;
    ``follow=True``: with the library following its folders, as the app starts by default."""
    from player.ui import library_tasks
    from tests.conftest import _PinnedDate

    # Discover shows the day the window asks the clock for: the tests' one day, as the
    # recommender's own, else its rows were those of the day the tests ran on.
    monkeypatch.setattr(library_tasks, "date", _PinnedDate)
    made = []

    def make(store, *, with_player: bool = True, wait_library: bool = True, follow: bool = False):
        from player.audio.null_engine import NullEngine
        from player.playback import Player
        from player.ui.folder_watch import FOLLOW_SETTING
        from player.ui.main_window import MainWindow

        if not follow and store.get_setting(FOLLOW_SETTING) is None:
            # The look at the folders after the start, and the watch on them, would run beside
            # whatever a test does with its files; the tests of those ask for them (and the
            # window scripts run the app as it is).
            store.set_setting(FOLLOW_SETTING, False)

        player = Player(store, NullEngine(), progress_interval_s=0.2) if with_player else None
        window = MainWindow(store, player=player, settings_file=str(tmp_path / "window.ini"))
        # Closed, and its work done, before pytest-qt deletes it (which comes before this
        # fixture's own end): see settle_workers.
        qtbot.addWidget(window, before_close_func=lambda w, p=player: _close_and_settle(w, p))
        made.append((window, player))
        if wait_library:
            with qtbot.waitSignal(window.library_loaded, timeout=10000):
                window.show()
        else:
            window.show()
        qtbot.waitExposed(window)     # on a real display (xcb), input before mapping is lost
        return window

    yield make
    from player.workers import wait_all

    for _window, player in made:
        if player is not None:
            player.close()          # (closed already, unless the window never was shown)
    wait_all(5000)


def learning_window(qtbot, make_window, store, **kw):
    """The window on ``store`` with the learning recommender ready (none of it trained: what the
    window does comes from the plays, not from a training run): (window, its service)."""
    from player.recommender_service import RecommenderService

    window = make_window(store, **kw)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    return window, window.provider


def _close_and_settle(window, player) -> None:
    window.close()
    if player is not None:
        player.close()
    settle_workers()


def settle_workers(timeout_s: float = 5.0) -> None:
    """Let every background task end and hand its result over, while the windows they report
    to still exist. A test's window is deleted as the test ends; a task still running then
    (a cover being read, a playlist read) would deliver into the deleted window during the
    next test, and fail that one."""
    import time

    from PySide6.QtWidgets import QApplication

    from player import workers

    deadline = time.monotonic() + timeout_s
    while True:
        workers.wait_all(int(max(0.0, deadline - time.monotonic()) * 1000))
        QApplication.processEvents()        # the deliveries (they may start more work)
        if not workers._live or time.monotonic() > deadline:
            return


def run_window_script(script: str, home, *, timeout: float,
                      platform: str = "offscreen") -> tuple[dict, subprocess.CompletedProcess]:
    """Run ``script`` in a Python of its own as the window's process runs (offscreen, the null
    engine, its data in ``home``); it must succeed. The JSON its last line prints, and the
    finished process (its messages tell why an assertion after this failed). ``platform``:
    Qt's, with its options (the offscreen one's screens are set by a file it names)."""
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "SEGUE_HOME": str(home), "QT_QPA_PLATFORM": platform, "SEGUE_ENGINE": "null",
           "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def open_settings(qtbot, window):
    """File → Settings… in ``window``: the dialog, once its settings are read and it is open."""
    with qtbot.waitSignal(window.settings_opened, timeout=10000) as opened:
        window.open_settings()
    return opened.args[0]


def answer_modal(seen: list, answer, kind=None) -> None:
    """Once the next modal dialog (of ``kind``, where given) opens, ``answer(dialog)`` closes
    it, and what it returned is added to ``seen``. Made for a dialog run by a static call or
    ``exec()``, which waits in its own event loop: call this first, then what opens it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    def look():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind or QDialog):
            QTimer.singleShot(20, look)
            return
        seen.append(answer(dialog))

    QTimer.singleShot(0, look)


def to_smallest(qtbot, window) -> None:
    """Make ``window`` as small as it goes. Its smallest size can change as the page fills in
    (a plot's axes, a label's text), after which a size asked for once is no longer it: it is
    asked for again until the window is at the smallest size of the moment."""
    def there() -> bool:
        window.resize(window.minimumSizeHint())
        return window.size() == window.minimumSizeHint()

    qtbot.waitUntil(there, timeout=5000)

