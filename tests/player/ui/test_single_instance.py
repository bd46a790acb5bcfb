"""One window per library: a second launch hands its files to the first window and exits."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audiogen import write_track
from tests.wakeups import COUNTED, quiet_stretch, wakeups

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")


def _env(home):
    return {**os.environ, "SEGUE_HOME": str(home), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
            "SEGUE_ENGINE": "null", "SEGUE_NO_RECOMMENDER": "1"}


def _window(home):
    return subprocess.Popen([sys.executable, "-m", "player"], cwd=ROOT, env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _later_launch(home, *args) -> None:
    """``segue ARGS...`` while a window runs: it hands them over and ends, nothing gone wrong."""
    second = subprocess.run([sys.executable, "-m", "player", *args], cwd=ROOT, env=_env(home),
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "Traceback" not in second.stderr, second.stderr


def _close(proc) -> None:
    """Close a window started by a test as the desktop does, and wait for it to end."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    proc.stderr.close()


def _wait_listening(home, proc, timeout=60):
    from player.ui.single_instance import address

    where = Path(address(home))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        if where.exists():
            return
        time.sleep(0.2)
    raise AssertionError("the first window never listened")


def _plays_of(db: Path, path: Path) -> int:
    try:
        # (the window listens for a second launch before its library is made)
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM plays p JOIN tracks t ON t.id = p.track_id WHERE t.path = ?",
                            (str(path),)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_a_second_launch_passes_its_files_to_the_first_window(segue_home, tmp_path):
    song = write_track(tmp_path / "elsewhere", "song", fmt="flac", seconds=3.0, tags={"title": "Song"})
    first = _window(segue_home)
    try:
        _wait_listening(segue_home, first)
        t0 = time.monotonic()
        _later_launch(segue_home, "--open", str(song))
        assert time.monotonic() - t0 < 30
        deadline = time.monotonic() + 30
        while _plays_of(segue_home / "library.db", song) == 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _plays_of(segue_home / "library.db", song) == 1       # the first window plays it
        assert first.poll() is None
        # Commands that write the library work beside the window (WAL, busy timeout): no lock needed.
        more = write_track(tmp_path / "more", "other", fmt="flac", seconds=1.0, tags={"title": "Other"})
        for command in (["scan", str(more.parent)], ["play", "--null", "--seconds", "1", str(more)]):
            out = subprocess.run([sys.executable, "-m", "player", *command], cwd=ROOT, env=_env(segue_home),
                                 capture_output=True, text=True, timeout=120)
            assert out.returncode == 0 and "Traceback" not in out.stderr, (command, out.stderr)
        assert _plays_of(segue_home / "library.db", more) == 1 and first.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        first.stderr.close()
    # The lock of a window that was killed is taken over by the next one.
    again = _window(segue_home)
    try:
        _wait_listening(segue_home, again)
        time.sleep(1.0)
        assert again.poll() is None, again.stderr.read().decode()
    finally:
        again.send_signal(signal.SIGKILL)
        again.wait(10)
        again.stderr.close()
        from player.ui.single_instance import address

        Path(address(segue_home)).unlink(missing_ok=True)      # what a killed window leaves behind


def _plays_titled(db: Path, title: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM plays p JOIN tracks t ON t.id = p.track_id WHERE t.title = ?",
                            (title,)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _wait_played(db: Path, title: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while _plays_titled(db, title) == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    return _plays_titled(db, title)


def test_files_named_on_the_command_line_play_with_or_without_a_window(segue_home, tmp_path):
    # `segue FILE...` is what a file manager's "Open with Segue" runs (the desktop entry's %F),
    # and what people type; it was refused as an unknown command. A launcher may give a
    # file: URL instead, percent-escaped, here of a name that is not UTF-8.
    from urllib.parse import quote_from_bytes

    first_song = write_track(tmp_path / "Downloads", "first one", fmt="flac", seconds=30.0, tags={"title": "First"})
    made = write_track(tmp_path / "Downloads", "second", fmt="ogg", seconds=2.0, tags={"title": "Second"})
    odd = os.fsencode(made.parent) + b"/caf\xe9 (live).ogg"
    os.rename(made, odd)
    db = segue_home / "library.db"
    first = subprocess.Popen([sys.executable, "-m", "player", str(first_song)], cwd=ROOT, env=_env(segue_home),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(segue_home, first)
        assert _wait_played(db, "First") == 1, first.stderr.read1().decode() if first.poll() is not None else ""
        _later_launch(segue_home, "file://" + quote_from_bytes(odd))
        assert _wait_played(db, "Second") == 1                       # the open window plays it
        assert first.poll() is None
    finally:
        _close(first)


@pytest.mark.slow
def test_files_named_some_of_them_not_there_play_the_others_and_name_the_missing(segue_home, tmp_path):
    # As mpv does: what is there plays, and what is not is named on stderr (it was left to a
    # status-bar line in the window, or nothing at all).
    song = write_track(tmp_path / "Downloads", "there", fmt="flac", seconds=30.0, tags={"title": "There"})
    gone = tmp_path / "Downloads" / "not there.flac"
    terminal = pytest.importorskip("tests.terminal").TerminalStderr()      # typed, where stderr is read
    window = subprocess.Popen([sys.executable, "-m", "player", str(song), str(gone)], cwd=ROOT,
                              env=_env(segue_home), stdout=subprocess.DEVNULL, stderr=terminal.slave)
    terminal.started()
    try:
        _wait_listening(segue_home, window)
        assert _wait_played(segue_home / "library.db", "There") == 1
    finally:
        window.send_signal(signal.SIGTERM)
        window.wait(30)
    err = terminal.text()
    assert f"segue: not found, left out: {gone}\n" in err, err


@pytest.mark.slow
def test_a_mistyped_folder_named_first_is_left_out_and_the_files_there_play(segue_home, tmp_path):
    # `segue Musik song.flac`, the folder's name mistyped: the bare first word was taken for a
    # mistyped command and nothing played. Like no command, beside a file that is there, it is
    # named and left out as any missing path is, and the file plays (as mpv and VLC do).
    song = write_track(tmp_path, "song", fmt="flac", seconds=30.0, tags={"title": "Song"})
    terminal = pytest.importorskip("tests.terminal").TerminalStderr()      # typed, where stderr is read
    window = subprocess.Popen([sys.executable, "-m", "player", "Musik", song.name], cwd=tmp_path,
                              env=_env(segue_home), stdout=subprocess.DEVNULL, stderr=terminal.slave)
    terminal.started()
    try:
        from player.ui.single_instance import address

        deadline = time.monotonic() + 60
        while not Path(address(segue_home)).exists() and window.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert window.poll() is None, f"no window (exit status {window.returncode}): {terminal.text()}"
        assert _wait_played(segue_home / "library.db", "Song") == 1
    finally:
        window.send_signal(signal.SIGTERM)
        window.wait(30)
    err = terminal.text()
    assert "segue: not found, left out: Musik\n" in err and "not a command" not in err, err


@pytest.mark.slow
def test_a_file_manager_opening_a_file_not_there_still_opens_the_window(segue_home, tmp_path):
    # A file manager's "Open with" (the desktop entry's `segue %F`) sends stderr to a journal
    # nobody reads: refusing there meant a double-clicked file that had just vanished did
    # nothing at all. The window opens and its status bar says the file is not there.
    gone = tmp_path / "Downloads" / "not there.flac"
    window = subprocess.Popen([sys.executable, "-m", "player", str(gone)], cwd=ROOT, env=_env(segue_home),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(segue_home, window)
    finally:
        window.send_signal(signal.SIGTERM)
        _, err = window.communicate(timeout=30)
    assert "not found" not in err.decode(), err.decode()


@pytest.mark.skipif(not COUNTED, reason="counts wake-ups in /proc (Linux)")
def test_a_window_with_nothing_playing_sleeps_and_still_closes_on_a_signal(segue_home):
    # Left open for days with nothing playing, the window's event loop woke four times a
    # second: a timer to let Python see signals, and the seek bar's, with nothing to show.
    proc = _window(segue_home)
    try:
        _wait_listening(segue_home, proc)
        # The start-up's own work (the library read on a worker, its results shown) takes
        # longer on a loaded machine: two quiet seconds are waited for, not a fixed time.
        # A timer ticking four times a second never gives them.
        woken = quiet_stretch(2.0, lambda: wakeups([proc.pid], proc.pid), most=3, within=30)  # (the event loop's)
        assert woken <= 3, f"the idle window woke {woken} times in 2 s"
        proc.send_signal(signal.SIGTERM)                 # with no timer, a signal still wakes it
        assert proc.wait(30) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_terminal_signal_closes_the_window_as_its_close_button_does(segue_home, tmp_path, sig):
    # Ctrl-C was ignored, and a SIGTERM (a logout, `timeout`, `kill`) ended the process on
    # the spot with its song's play left open and the lock on the library held.
    from player.ui.single_instance import address

    song = write_track(tmp_path / "elsewhere", "long", fmt="flac", seconds=60.0, tags={"title": "Long"})
    proc = subprocess.Popen([sys.executable, "-m", "player", "--open", str(song)], cwd=ROOT, env=_env(segue_home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(segue_home, proc)
        db = segue_home / "library.db"
        deadline = time.monotonic() + 60
        while _plays_of(db, song) == 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _plays_of(db, song) == 1
        proc.send_signal(getattr(signal, sig))
        assert proc.wait(30) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        ended = [r[0] for r in conn.execute("SELECT ended FROM plays")]
    finally:
        conn.close()
    assert ended == ["stopped"]
    assert not Path(address(segue_home)).exists()          # the next launch is a first one


def test_a_launch_while_the_window_closes_waits_for_it_and_opens_its_own(segue_home, tmp_path, qapp):
    # The window here is this test's: its event loop has ended, as a closing window's has
    # while it saves and lets the learner go. It said "ok" to a second launch all the same,
    # and the files given were lost: no loop was left to act on them.
    from player.ui.single_instance import SingleInstance

    song = write_track(tmp_path / "elsewhere", "late", fmt="flac", seconds=3.0, tags={"title": "Late"})
    closing = SingleInstance(segue_home)
    assert closing.claim({"argv": [], "cwd": str(tmp_path), "open": []})
    getattr(closing, "stop_answering", lambda: None)()      # what the window does once its loop ends
    # (its log says each time it asked and had no answer: SEGUE_DEBUG logs that to its file)
    second = subprocess.Popen([sys.executable, "-m", "player", "--open", str(song)], cwd=ROOT,
                              env={**_env(segue_home), "SEGUE_DEBUG": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = segue_home / "logs" / "segue.log"
    try:
        deadline = time.monotonic() + 60   # (time for it to start and ask the closing window)
        while second.poll() is None and time.monotonic() < deadline:
            if log.exists() and "no answer from the first window yet" in log.read_text(errors="replace"):
                break
            time.sleep(0.1)
        closing.release()                   # the window is gone
        assert second.poll() is None, "the later launch ended: " + second.stderr.read().decode()
        _wait_listening(segue_home, second)
        assert _wait_played(segue_home / "library.db", "Late") == 1    # its own window plays its file
    finally:
        _close(second)


def test_a_client_that_connects_and_says_nothing_does_not_hold_later_launches_out(segue_home, tmp_path):
    from multiprocessing.connection import Client

    from player.ui.single_instance import address

    song = write_track(tmp_path / "elsewhere", "song", fmt="flac", seconds=3.0, tags={"title": "Song"})
    first = _window(segue_home)
    try:
        _wait_listening(segue_home, first)
        silent = Client(address(segue_home))        # connects, never gives the key
        try:
            _later_launch(segue_home, "--open", str(song))
        finally:
            silent.close()
        assert _wait_played(segue_home / "library.db", "Song") == 1      # the first window plays it
        assert first.poll() is None
    finally:
        _close(first)


def test_a_client_that_sends_half_a_message_and_stalls_does_not_hold_later_launches_out(segue_home, tmp_path):
    """A launch that stopped part way through what it says (suspended in its terminal, say):
    the window waited for the rest of the message with no time limit, and told every later
    launch nothing until that one went away; they gave up and said the window did not answer."""
    import socket
    import struct

    from player.ui.single_instance import address

    song = write_track(tmp_path / "elsewhere", "song", fmt="flac", seconds=3.0, tags={"title": "Song"})
    first = _window(segue_home)
    try:
        _wait_listening(segue_home, first)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
            stalled.connect(address(segue_home))
            stalled.sendall(struct.pack("!i", 32) + b"half")      # 4 of the 32 bytes it announces
            _later_launch(segue_home, "--open", str(song))
        assert _wait_played(segue_home / "library.db", "Song") == 1      # the first window plays it
        assert first.poll() is None
    finally:
        _close(first)


_LATE_MESSAGE = """
import json, sys, threading
from multiprocessing.connection import Client
from pathlib import Path
import shiboken6
from PySide6.QtCore import QCoreApplication
from player.ui.single_instance import SingleInstance

app = QCoreApplication([])
home = Path(sys.argv[1])
window = SingleInstance(home)
assert window.claim({})
late = Client(window.address, authkey=(home / "window.key").read_bytes())
window.release()
shiboken6.delete(window)                        # the window's objects go as the process ends
late.send_bytes(json.dumps({"argv": [], "cwd": "/", "open": ["/music/late.flac"]}).encode())
try:
    print(late.recv_bytes().decode() if late.poll(5) else "no answer", flush=True)
except (EOFError, OSError):
    print("no answer", flush=True)                 # (the connection was closed)
for thread in threading.enumerate():
    if thread.name == "segue-single-instance":
        thread.join(10)                         # (what it does with the message is seen)
"""


def test_a_message_that_comes_as_the_window_goes_is_refused_and_nothing_is_raised(segue_home):
    # The later launch must not be told "ok" (its files would be lost: it waits for the lock
    # instead), and the listening thread raised a RuntimeError, emitting on the deleted window.
    out = subprocess.run([sys.executable, "-c", _LATE_MESSAGE, str(segue_home)], cwd=ROOT, env=_env(segue_home),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "no answer"
    assert "Traceback" not in out.stderr and "Exception" not in out.stderr, out.stderr


_SLOW_START = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from player.ui import single_instance

single_instance.DELIVERY_WAIT_S = 0.5           # (a window that is up takes a message at once)
app = QCoreApplication([])
home = Path(sys.argv[1])
window = single_instance.SingleInstance(home)
assert window.claim({})
while not (home / "up").exists():               # opening the library: a dialog's loop runs meanwhile
    app.processEvents()
    time.sleep(0.05)
got = []
window.activated.connect(got.append)
getattr(window, "ready", lambda: None)()
poll = QTimer()
poll.timeout.connect(lambda: got and app.quit())
poll.start(50)
QTimer.singleShot(30000, app.quit)
app.exec()
print(json.dumps(got), flush=True)
window.release()
"""


def test_a_launch_while_the_first_window_is_still_starting_waits_for_it(segue_home, qapp, monkeypatch):
    # A window opening a big library (or asking about a damaged one) takes longer than a
    # launch's patience: the launch said the window did not answer, and its files were lost.
    # A dialog's event loop meanwhile took the message with nothing connected to act on it.
    import threading

    from player.ui import single_instance

    first = subprocess.Popen([sys.executable, "-c", _SLOW_START, str(segue_home)], cwd=ROOT, env=_env(segue_home),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(segue_home, first)
        monkeypatch.setattr(single_instance, "FIRST_START_WAIT_S", 1.0)
        # (a message's patience, 8 s as shipped, in less time: 3.5 s, still well over a second)
        monkeypatch.setattr(single_instance, "TALK_TIMEOUT_S", 1.0)
        monkeypatch.setattr(single_instance, "DELIVERY_WAIT_S", 0.5)
        outcome = []

        def launch():
            try:
                outcome.append(single_instance.SingleInstance(segue_home).claim({"open": ["/music/early.flac"]}))
            except RuntimeError as exc:
                outcome.append(exc)

        later = threading.Thread(target=launch, daemon=True)
        later.start()
        later.join(5)                   # longer than the launch's own patience, and the window's
        assert outcome == [], f"the launch did not wait for the starting window: {outcome}"
        (segue_home / "up").touch()     # the window is up
        later.join(60)
        assert outcome == [False]       # handed over, no window of its own
        out, err = first.communicate(timeout=60)
        assert json.loads(out) == [{"open": ["/music/early.flac"]}], err
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
