"""Files the system asks the application to open (``QFileOpenEvent``: on macOS the Finder's
"Open with", a file dropped on the Dock icon, and the files that launched Segue) play as
``segue FILE...`` plays them, Up next kept after them."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from tests.audiogen import write_track

ROOT = Path(__file__).resolve().parents[3]


def _queued(window) -> list[int]:
    return [entry.track_id for entry in window.player.queue]


def _finder_opens(*events: QFileOpenEvent) -> None:
    """What the Finder does for a choice of files: one event per file, one after the other."""
    app = QApplication.instance()
    for event in events:
        QApplication.sendEvent(app, event)


def test_files_the_finder_opens_play_as_one_list(qtbot, scanned, make_window, tmp_path):
    from player.ui.opening import SegueApplication

    app = QApplication.instance()
    assert isinstance(app, SegueApplication)
    downloads = tmp_path / "Downloads"
    early = write_track(downloads, "early", fmt="ogg", seconds=20.0, tags={"title": "Early"})
    chosen = [write_track(downloads, name, fmt="flac", seconds=20.0, tags={"title": title})
              for name, title in (("b", "Bee"), ("c", "Sea"), ("a", "Ay"))]

    # A file opened while the window is not there yet (Segue launched by it) waits for it.
    _finder_opens(QFileOpenEvent(str(early)))
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    app.system_opens.open_in(window)
    qtbot.waitUntil(lambda: window.player.current_track_id is not None
                    and window._info(window.player.current_track_id)[0] == "Early", timeout=10000)

    # Up next as the person made it: three files opened at once play in the order they came
    # (opened one by one, each took the place of the last): the first now, the others after
    # the songs the person queued by hand, which stay first, as with any list played.
    mine = [row["id"] for row in scanned.tracks()][:3]
    window.play_ids(mine[:1])
    window.enqueue(mine[1:])
    qtbot.waitUntil(lambda: _queued(window) == mine[1:], timeout=10000)
    _finder_opens(QFileOpenEvent(str(chosen[0])), QFileOpenEvent(QUrl.fromLocalFile(str(chosen[1]))),
                  QFileOpenEvent(str(chosen[2])))

    def heard():
        # Between the song playing and the first file opened, a moment plays nothing.
        now = window.player.current_track_id
        return None if now is None else [window._info(t)[0] for t in [now, *_queued(window)[2:4]]]

    qtbot.waitUntil(lambda: heard() == ["Bee", "Sea", "Ay"], timeout=10000)
    qtbot.wait(2 * app.system_opens.BURST_MS)           # nothing more comes of the burst
    assert heard() == ["Bee", "Sea", "Ay"]
    assert _queued(window)[:2] == mine[1:]
    assert scanned.track(window.player.current_track_id)["path"] == str(chosen[0])


def test_a_file_the_system_opens_that_cannot_be_played_says_so(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    QApplication.instance().system_opens.open_in(window)
    notes = tmp_path / "notes.flac"
    notes.write_text("not audio")
    _finder_opens(QFileOpenEvent(str(notes)))
    qtbot.waitUntil(lambda: "notes.flac" in window.statusBar().currentMessage(), timeout=10000)
    assert window.player.current_track_id is None


def _plays(db: Path) -> list[str]:
    """Titles played, in order."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return []
    try:
        return [row[0] for row in conn.execute(
            "SELECT t.title FROM plays p JOIN tracks t ON t.id = p.track_id ORDER BY p.id")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def test_the_files_that_launch_segue_play_once_its_window_is_up(segue_home, tmp_path):
    # The Finder launches Segue and then sends it the files, before its library is open and
    # its window made; they were dropped.
    first = write_track(tmp_path / "Downloads", "first", fmt="flac", seconds=1.5, tags={"title": "First"})
    second = write_track(tmp_path / "Downloads", "second", fmt="ogg", seconds=1.5, tags={"title": "Second"})
    script = """
import sys
from PySide6.QtGui import QFileOpenEvent
from player.ui.main import create_app, run_gui
app = create_app()
for path in sys.argv[1:]:
    app.sendEvent(app, QFileOpenEvent(path))
sys.exit(run_gui(None))
"""
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "SEGUE_ENGINE": "null", "SEGUE_NO_RECOMMENDER": "1"}
    proc = subprocess.Popen([sys.executable, "-c", script, str(first), str(second)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(_plays(segue_home / "library.db")) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.3)
        assert _plays(segue_home / "library.db") == ["First", "Second"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        proc.stderr.close()
