"""How a refused write is told: the player's note, its busy wait and the commands' messages read
the same SQLite result code, so none of them says "full" where another says "busy"."""

from __future__ import annotations

import sqlite3

import pytest

from player.failures import describe, disk_failed, library_busy, no_room, read_only, refusal


def _refused(conn, sql: str) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        conn.execute(sql)
    return caught.value


def _library(tmp_path, name="library.db"):
    conn = sqlite3.connect(tmp_path / name, isolation_level=None, timeout=0)
    conn.execute("CREATE TABLE plays (x)")
    conn.executemany("INSERT INTO plays VALUES (?)", [(i,) for i in range(5)])
    return conn


def _held_by_another(tmp_path):
    conn, other = _library(tmp_path), sqlite3.connect(tmp_path / "library.db", isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return _refused(conn, "INSERT INTO plays VALUES (9)")


def _held_by_its_own_statement(tmp_path):
    conn = _library(tmp_path)
    reading = conn.execute("SELECT x FROM plays")
    reading.fetchone()
    return _refused(conn, "DROP TABLE plays")


def _full(tmp_path):
    conn = _library(tmp_path)
    conn.execute("PRAGMA max_page_count = 3")
    return _refused(conn, "INSERT INTO plays VALUES (zeroblob(100000))")


def _read_only(tmp_path):
    _library(tmp_path).close()
    return _refused(sqlite3.connect(f"file:{tmp_path / 'library.db'}?mode=ro", uri=True),
                    "INSERT INTO plays VALUES (9)")


def _disk_failing(tmp_path):
    # SQLite's "disk I/O error" (SQLITE_IOERR_WRITE), as a disk remounted read-only after an error
    # or pulled out gives it to a library open on it: here a write past the file size limit.
    import resource
    import signal

    conn = _library(tmp_path)
    limit, was = resource.getrlimit(resource.RLIMIT_FSIZE), signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, ((tmp_path / "library.db").stat().st_size, limit[1]))
    try:
        exc = _refused(conn, "INSERT INTO plays VALUES (zeroblob(1000000))")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, was)
    assert exc.sqlite_errorname == "SQLITE_IOERR_WRITE"
    return exc


def _by_trigger(words):
    def made(tmp_path):
        conn = _library(tmp_path)
        conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON plays BEGIN SELECT RAISE(ABORT, '{words}'); END")
        return _refused(conn, "INSERT INTO plays VALUES (9)")
    return made


def _without_code(words):
    # (the real thing on a Python before 3.11: SQLite's words, no result code with them)
    return lambda tmp_path: sqlite3.OperationalError(words)


@pytest.mark.parametrize(("make", "kind", "said"), [
    (_held_by_another, "busy", "busy"),
    (_held_by_its_own_statement, "busy", "busy"),
    (_full, "full", "full"),
    (_read_only, "read-only", "read-only"),
    (_by_trigger("database or disk is full"), "full", "full"),
    (_by_trigger("attempt to write a readonly database"), "read-only", "read-only"),
    (_by_trigger("no such song"), "other", "unexpected"),
    (_without_code("database is locked"), "busy", "busy"),
    (_without_code("database or disk is full"), "full", "full"),
    (_without_code("attempt to write a readonly database"), "read-only", "read-only"),
    (_disk_failing, "disk", "the disk that holds it failed"),
    (_without_code("disk I/O error"), "disk", "the disk that holds it failed"),
    (_by_trigger("disk I/O error"), "disk", "the disk that holds it failed"),
], ids=["busy", "locked", "full", "read-only", "trigger-full", "trigger-read-only", "trigger-other",
        "old-python-busy", "old-python-full", "old-python-read-only", "disk-io-error", "old-python-disk-io-error",
        "trigger-disk-io-error"])
def test_the_kind_of_a_refused_write_is_the_same_wherever_it_is_told(tmp_path, make, kind, said):
    exc = make(tmp_path)
    assert refusal(exc) == kind
    assert (library_busy(exc), no_room(exc), read_only(exc), disk_failed(exc)) == (
        kind == "busy", kind == "full", kind == "read-only", kind == "disk")
    assert said in describe(exc)[0]


def test_a_file_write_with_no_room_is_told_as_a_full_disk():
    import errno

    for exc in (OSError(errno.ENOSPC, "No space left on device"), OSError(errno.EFBIG, "File too large")):
        assert (refusal(exc), no_room(exc), library_busy(exc)) == ("full", True, False)
    exc = OSError(errno.EACCES, "Permission denied")
    assert (refusal(exc), no_room(exc)) == ("other", False)
