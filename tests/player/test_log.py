"""The log file the window and the ``segue`` commands share: rotation with two writers."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from player.log import SharedRotatingFileHandler


def _record(i: int, name: str = "w") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, f"record {i:04d} " + "x" * 60, None, None)


def _handler(path, max_bytes=2000) -> SharedRotatingFileHandler:
    h = SharedRotatingFileHandler(path, maxBytes=max_bytes, backupCount=5, encoding="utf-8")
    h.setFormatter(logging.Formatter("%(name)s %(message)s"))
    return h


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_a_log_another_process_holds_open_is_appended_to_and_older_logs_are_kept(tmp_path, monkeypatch):
    # On Windows a file another process has open cannot be renamed. Each record past the
    # limit then tried to rotate again: the older logs were shifted one place further each
    # time (the oldest deleted) and the record itself was lost.
    log = tmp_path / "segue.log"
    for i in (1, 2):
        (tmp_path / f"segue.log.{i}").write_text(f"older {i}\n", encoding="utf-8")

    def held(real):
        def move(src, dst, *args, **kwargs):
            if os.fspath(src) == str(log):
                raise PermissionError(13, "The process cannot access the file because it is being used by "
                                          "another process", str(src))
            return real(src, dst, *args, **kwargs)
        return move

    monkeypatch.setattr(os, "replace", held(os.replace))
    monkeypatch.setattr(os, "rename", held(os.rename))
    h = _handler(log)
    for i in range(100):                               # 7 KB through a 2 KB limit
        h.handle(_record(i))
    h.flush()
    assert [line.split()[2] for line in _lines(log)] == [f"{i:04d}" for i in range(100)]
    assert _lines(tmp_path / "segue.log.1") == ["older 1"] and _lines(tmp_path / "segue.log.2") == ["older 2"]
    monkeypatch.undo()                                 # the other process has let it go
    i = 100
    while not _lines(tmp_path / "segue.log.3"):         # until the next rotation
        h.handle(_record(i))
        i += 1
    h.close()
    assert [line.split()[2] for line in _lines(tmp_path / "segue.log.1")] == [f"{j:04d}" for j in range(i - 1)]
    assert _lines(tmp_path / "segue.log.2") == ["older 1"] and _lines(tmp_path / "segue.log.3") == ["older 2"]
    assert [line.split()[2] for line in _lines(log)] == [f"{i - 1:04d}"]

def test_a_process_goes_on_in_the_new_log_once_another_rotated_it(tmp_path):
    # Two processes (the window and `segue play`) each hold the log open. After one of them
    # rotated it, the other found the file it held (now the older log) full and rotated
    # again: the full log went one place down, behind a log of one line.
    log = tmp_path / "segue.log"
    window, command = _handler(log), _handler(log)
    n = 0
    while not (tmp_path / "segue.log.1").exists():
        window.handle(_record(n, "window"))
        n += 1
    command.handle(_record(0, "command"))
    window.close()
    command.close()
    assert [line.split()[0] for line in _lines(log)] == ["window", "command"]
    assert len(_lines(tmp_path / "segue.log.1")) == n - 1 and not (tmp_path / "segue.log.2").exists()


def test_a_log_left_moved_aside_goes_in_front_of_the_older_ones(tmp_path):
    # A process killed half-way through a rotation leaves the log it was moving aside: the
    # next rotation keeps it, in its place, rather than losing it.
    log = tmp_path / "segue.log"
    (tmp_path / "segue.log.1").write_text("oldest\n", encoding="utf-8")
    (tmp_path / "segue.log.rotating").write_text("moved aside\n", encoding="utf-8")
    h = _handler(log)
    i = 0
    while not (tmp_path / "segue.log.3").exists():
        h.handle(_record(i))
        i += 1
    h.close()
    assert _lines(tmp_path / "segue.log.3") == ["oldest"] and _lines(tmp_path / "segue.log.2") == ["moved aside"]
    assert len(_lines(tmp_path / "segue.log.1")) == i - 1 and not (tmp_path / "segue.log.rotating").exists()


def test_processes_rotating_together_keep_every_record(tmp_path):
    # The window and commands beside it, each writing fast past a small limit: one rotates
    # at a time, and every record is in one of the files, once.
    script = (
        "import logging, sys\n"
        "from player.log import SharedRotatingFileHandler\n"
        "h = SharedRotatingFileHandler(sys.argv[1], maxBytes=20000, backupCount=10000, encoding='utf-8')\n"
        "h.setFormatter(logging.Formatter('%(message)s'))\n"
        "for i in range(3000):\n"
        "    h.handle(logging.LogRecord('p', 20, '', 1, f'{sys.argv[2]} {i:05d} ' + 'x' * 40, None, None))\n"
        "h.close()\n")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "segue.log"), name], env=env,
                              stderr=subprocess.PIPE, text=True) for name in "abc"]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0] and errors == ["", "", ""], errors
    records = [line for f in tmp_path.glob("segue.log*") for line in _lines(f)]
    assert sorted(records) == sorted(f"{n} {i:05d} " + "x" * 40 for n in "abc" for i in range(3000))
    assert not (tmp_path / "segue.log.rotating").exists()


def test_an_older_log_held_open_costs_no_other_older_log(tmp_path, monkeypatch):
    # On Windows a log viewer may hold an older log open: the shift that cannot move it
    # stops there, and later tries shift no further, where each try deleted one more.
    log = tmp_path / "segue.log"
    for i in range(1, 6):
        (tmp_path / f"segue.log.{i}").write_text(f"old log {i}\n", encoding="utf-8")
    held_name = str(tmp_path / "segue.log.2")
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if held_name in (os.fspath(src), os.fspath(dst)):
            raise PermissionError(13, "The process cannot access the file", held_name)
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    h = _handler(log, max_bytes=1000)
    for i in range(200):
        h.handle(_record(i))
    h.close()
    kept = {line for f in tmp_path.glob("segue.log*") for line in _lines(f) if line.startswith("old log")}
    assert kept >= {"old log 1", "old log 2", "old log 3", "old log 4"}      # only the oldest may go
    # (the log moved aside waits, whole, to go first once the held one is let go)
    assert [line.split()[2] for line in _lines(tmp_path / "segue.log.rotating") + _lines(log)
            if line.startswith("w ")] == [f"{i:04d}" for i in range(200)]


def test_a_rotation_that_cannot_open_the_new_log_lets_the_lock_go(tmp_path):
    # The lock was kept when opening the new log failed twice (no file handles left, say):
    # the next rotation then waited for ever on it, and every thread that logged with it.
    import threading

    log = tmp_path / "segue.log"
    h = _handler(log, max_bytes=1000)
    real_open, fails = h._open, [2]

    def failing_open():
        if fails[0]:
            fails[0] -= 1
            raise OSError(24, "Too many open files")
        return real_open()

    h._open = failing_open
    done = threading.Event()

    def write():
        for i in range(100):
            h.handle(_record(i))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(20), "logging hung on the rotation lock"
    h.close()
    assert (tmp_path / "segue.log.1").exists()


def _unprivileged_home(tmp_path) -> tuple[list[str], Path]:
    """What runs a command with file permissions applying to it (see ``tests.unprivileged``),
    and a data folder with its log folder made, that such a command can reach."""
    from tests import unprivileged

    prefix = unprivileged.prefix()
    if prefix is None:
        pytest.skip(unprivileged.SKIP_REASON)
    home = tmp_path / "segue-home"
    (home / "logs").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    return prefix, home


def test_an_unexpected_error_with_no_log_file_to_write_does_not_send_the_person_to_it(tmp_path):
    # "unexpected error (…); the details are in …/logs/segue.log": a log folder that cannot be
    # written (left to another user by a `sudo segue`) has no such file, and nothing in it.
    prefix, home = _unprivileged_home(tmp_path)
    os.chmod(home / "logs", 0o555)
    code = ("from player.failures import describe\n"
            "from player.log import setup_logging\n"
            "setup_logging(stderr=True)\n"
            "try:\n"
            "    raise ValueError('boom')\n"
            "except ValueError as exc:\n"
            "    print(describe(exc)[0])\n")
    try:
        out = subprocess.run([*prefix, sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                             env={**os.environ, "SEGUE_HOME": str(home)}, capture_output=True, text=True, timeout=60)
    finally:
        os.chmod(home / "logs", 0o755)
    assert out.returncode == 0, out.stderr
    assert not (home / "logs" / "segue.log").exists()
    message = out.stdout.strip()
    assert message.startswith("unexpected error (ValueError: boom); "), message
    assert "details are in" not in message, message
    assert f"the log file cannot be written (Permission denied: {home / 'logs' / 'segue.log'})" in message, message


@pytest.mark.parametrize("read_only", ["logs", "data folder"])
def test_a_command_with_no_log_file_says_so_once_in_the_terminal(tmp_path, read_only):
    # A log folder left to another user (a `sudo segue`): the command went on with no log,
    # and said so at INFO, which the terminal does not show. Where the whole data folder is
    # read-only, the command's own refusal names it: one line, not that one and a second.
    prefix, home = _unprivileged_home(tmp_path)
    locked = home / "logs" if read_only == "logs" else home
    os.chmod(locked, 0o555)
    try:
        out = subprocess.run([*prefix, sys.executable, "-m", "player", "status"],
                             cwd=Path(__file__).resolve().parents[2], env={**os.environ, "SEGUE_HOME": str(home)},
                             capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(locked, 0o755)
    said = out.stderr.splitlines()
    if read_only == "logs":
        assert out.returncode == 0, out.stderr
        assert said == [f"WARNING: cannot write the log file (Permission denied: {home / 'logs' / 'segue.log'}); "
                        "logging to the terminal only"], said
    else:
        assert out.returncode == 2, out.stderr
        assert len(said) == 1 and "cannot write its data folder" in said[0], said
