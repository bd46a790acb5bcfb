"""One test per migration (beets style): data written at version N survives N -> N+1."""

import os
import re
import sqlite3

import pytest

from player.store import SCHEMA_VERSION, DatabaseTooNewError, MigrationFailedError, Store
from player.store.migrations import MIGRATIONS
from player.store.tracks import _LIBRARY_ORDER


def _library_order_plan(store) -> list[str]:
    """How SQLite reads the library in its order (each step of EXPLAIN QUERY PLAN)."""
    return [row[3] for row in store.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM tracks WHERE missing = 0 AND last_error IS NULL "
        f"ORDER BY {_LIBRARY_ORDER}").fetchall()]


def _db_at(path, version):
    conn = sqlite3.connect(path)
    for i in range(version):
        MIGRATIONS[i](conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    return conn


def _migrated(path, version, *rows):
    """The store opened (so migrated) on a database written at ``version`` holding ``rows``:
    ``(sql, params)`` pairs, or plain sql."""
    conn = _db_at(path, version)
    for row in rows:
        conn.execute(*((row,) if isinstance(row, str) else row))
    conn.commit()
    conn.close()
    return Store(path)


def test_fresh_database_is_at_current_version(tmp_path):
    store = Store(tmp_path / "new.db")
    assert store.schema_version() == SCHEMA_VERSION
    assert not list(tmp_path.glob("*.bak"))  # nothing to back up on a new file
    store.close()


@pytest.mark.parametrize("start", [0, 8])
def test_processes_opening_a_library_at_once_migrate_it_once(tmp_path, start):
    # Two commands started together on a new data folder (or the first start after an
    # update): each opens the store at once. Every one opens it, and the schema is whole.
    import subprocess
    import sys
    import time

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    for round_ in range(2):
        path, go = tmp_path / f"library{round_}.db", tmp_path / f"go{round_}"
        if start:
            _db_at(path, start).close()
        code = ("import os, sys, time\n"
                f"while not os.path.exists({str(go)!r}): time.sleep(0.001)\n"
                "from player.store import Store\n"
                f"Store({str(path)!r}).close()\n")
        procs = [subprocess.Popen([sys.executable, "-c", code], cwd=root, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
        time.sleep(1.0)                         # all four started, and waiting for the word
        go.touch()
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
        store = Store(path)
        assert store.schema_version() == SCHEMA_VERSION
        store.execute("SELECT count(*) FROM never_suggest").fetchone()
        store.close()


def test_migration_1_to_2_keeps_data_and_adds_features(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 1,
                      "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                      "VALUES ('/m/a.flac', 1, 1, 'Kept', 0, 0)",
                      "INSERT INTO sessions (started_at, last_active_at) VALUES (0, 0)",
                      "INSERT INTO plays (track_id, session_id, started_at, ms_heard, updated_at) "
                      "VALUES (1, 1, 0, 5, 0)")
    assert store.schema_version() == SCHEMA_VERSION
    assert store.track(1)["title"] == "Kept"
    assert store.play_count() == 1
    store.execute("SELECT model_version, tags, embedding FROM track_features").fetchall()
    store.execute("SELECT kind, metrics FROM model_runs").fetchall()
    backups = list(tmp_path.glob("library.db.v1.*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT title FROM tracks").fetchone()[0] == "Kept"
    store.close()


def test_refuses_database_newer_than_code(tmp_path):
    path = tmp_path / "future.db"
    conn = _db_at(path, SCHEMA_VERSION)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseTooNewError, match="newer version of Segue"):
        Store(path)


def _without_room(code: str, *args) -> tuple[str, str]:
    """``(message, exit status)`` of ``code`` run in a child whose files may not grow past
    64 kB (RLIMIT_FSIZE: a real refusal by the kernel, as on a full disk); ``code`` prints
    :func:`player.failures.describe` of what it raises."""
    import resource
    import signal
    import subprocess
    import sys

    def no_room():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))

    code = ("import sys\nfrom player.failures import describe\ntry:\n"
            + "".join(f"    {line}\n" for line in code.splitlines())
            + "except Exception as exc:\n    print(*describe(exc), sep='\\n')\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=root, capture_output=True, text=True,
                         timeout=60, preexec_fn=no_room)
    assert "Traceback" not in out.stderr, out.stderr
    message, status = out.stdout.strip().splitlines()
    return message, status


def _big_library(path, version):
    """A library at ``version`` of about half a megabyte."""
    conn = _db_at(path, version)
    conn.execute("CREATE TABLE pad (x)")
    conn.execute("INSERT INTO pad SELECT randomblob(1000) FROM (WITH RECURSIVE c(i) AS "
                 "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) SELECT i FROM c)")
    conn.commit()
    conn.close()


needs_rlimit = pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE in a child process")


@needs_rlimit
def test_a_backup_with_no_room_leaves_nothing_and_says_what_room_it_needs(tmp_path):
    # A disk without room for the copy taken before a migration: every start failed with
    # "the disk is full" (the person saw a third of it free) and left one more empty
    # library.db.v19....tmp beside the library (3 starts on a 4 MB disk, 3 files).
    path = tmp_path / "library.db"
    _big_library(path, SCHEMA_VERSION - 1)
    message, status = _without_room("from player.store import Store\nStore(sys.argv[1])", path)
    assert re.search(r"could not copy .* needs \d+\.\d MB beside it, .*free some space", message), message
    assert status == "2"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("library.db.")) == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
        assert conn.execute("SELECT count(*) FROM pad").fetchone()[0] == 300
    store = Store(path)                                             # with room again
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    assert len(list(tmp_path.glob("library.db.v*.bak"))) == 1


@needs_rlimit
def test_the_room_a_backup_needs_counts_the_pages_still_in_the_wal(tmp_path):
    # A library left open when the computer went off has part of it in library.db-wal; the
    # copy holds those pages too, and the message asked for the room of library.db alone
    # (2.4 MB of a 2.8 MB copy: freeing that much was not enough).
    path = tmp_path / "library.db"
    _big_library(path, SCHEMA_VERSION - 1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")                     # open here: the pages stay in the -wal
    conn.execute("INSERT INTO pad SELECT randomblob(1000) FROM pad")
    conn.commit()
    try:
        whole = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
        assert path.stat().st_size < whole / 1.5
        message, _ = _without_room("from player.store import Store\nStore(sys.argv[1])", path)
    finally:
        conn.close()
    assert f"needs {whole / 1e6:.1f} MB beside it" in message, (message, whole)


@needs_rlimit
def test_a_restore_with_no_room_leaves_no_half_copy_and_names_the_room_it_needs(tmp_path):
    # Restoring a backup on a full disk left a hidden .library.db.restoring of all the room
    # there was (1.9 MB of a 2.7 MB backup: the disk at 100% again), and the message named
    # the backup as the file being written. The room missing here is a limit on the size of
    # one file (EFBIG, as a FAT32 disk's 4 GB), which freeing space does not lift: it was
    # told to free some all the same. It is the account's own limit (RLIMIT_FSIZE), which
    # another disk has too: it was told of a FAT32 disk, and to move to another.
    path, backup = tmp_path / "library.db", tmp_path / "library.db.v19.1000.bak"
    _big_library(backup, SCHEMA_VERSION - 1)
    path.write_bytes(b"damaged")
    message, status = _without_room("from player.store.recovery import restore_backup\n"
                                    "restore_backup(sys.argv[1])", path)
    assert re.search(r"could not restore library\.db\.v19\.1000\.bak \(File too large\): the copy needs "
                     r"\d+\.\d MB beside it, .*larger than this account may write one file \(0\.1 MB at most, "
                     r"its file size limit: ulimit -f\)", message), message
    assert "free some space" not in message.lower() and "FAT32" not in message
    assert sorted(p.name for p in tmp_path.glob("*library.db*")) == ["library.db", "library.db.v19.1000.bak"]
    assert path.read_bytes() == b"damaged"                          # nothing was changed


def test_sqlites_own_full_disk_is_known_by_its_result_code_not_only_its_words(tmp_path):
    # A database that may not grow (PRAGMA max_page_count) fails as a full disk does, with
    # SQLITE_FULL. The result code says so whatever the words with it: they were all that was
    # looked at. (The tests' full disk, a trigger, has only the words: tests/full_disk.py.)
    from player.failures import describe, no_room
    from tests.full_disk import refuse

    conn = sqlite3.connect(tmp_path / "small.db")
    conn.execute("CREATE TABLE pad (x)")
    conn.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO pad VALUES (randomblob(20000))")
    conn.close()
    full = raised.value
    assert full.sqlite_errorcode & 0xFF == 13 and no_room(full)
    full.args = ("disque plein",)           # the same error in other words
    assert no_room(full) and "free some space" in describe(full)[0]
    other = sqlite3.connect(":memory:")
    other.execute("CREATE TABLE plays (x)")
    refuse(other, "INSERT")
    with pytest.raises(sqlite3.Error) as refused:
        other.execute("INSERT INTO plays VALUES (1)")
    other.close()
    assert refused.value.sqlite_errorcode & 0xFF != 13 and no_room(refused.value)
    with pytest.raises(sqlite3.Error) as unrelated:
        sqlite3.connect(":memory:").execute("SELECT * FROM nowhere")
    assert not no_room(unrelated.value)


def test_a_restore_that_fails_for_another_reason_does_not_ask_for_room(tmp_path):
    # Only a copy that found no room is told to free some: one that cannot be written (here a
    # folder in the way; a backup that cannot be read, a folder without permission) said
    # "the copy needs 2.7 MB beside it, 60000 MB free. Free some space".
    from player.failures import describe
    from player.store.recovery import restore_backup

    name = "library" + "x" * 240 + ".db"      # 250 characters: its copy's, 272 or more, are more than a folder takes
    path, backup = tmp_path / name, tmp_path / "library.db.v19.1000.bak"
    backup.write_bytes(b"a backup")
    path.write_bytes(b"damaged")
    with pytest.raises(OSError) as raised:
        restore_backup(path, backup)
    message, _ = describe(raised.value)
    assert "space" not in message and f".{name}.restoring" in message, message
    assert path.read_bytes() == b"damaged"
    assert sorted(p.name for p in tmp_path.glob("*library*")) == sorted([name, backup.name])


def _restored(path) -> int:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM pad").fetchone()[0]


def test_two_restores_at_once_leave_the_library_restored(tmp_path, monkeypatch):
    # The window's restore and "segue library --restore-backup" at once, the second starting
    # as the first's copy was done. Both wrote one hidden copy: the second set the first's
    # restored library aside as damaged, and the first's copy, moved away under it, failed
    # with FileNotFoundError. No library.db was left (2 of 8 runs of two real processes),
    # and the next start made an empty library.
    from player.store import recovery

    path, backup = tmp_path / "library.db", tmp_path / "library.db.v19.1000.bak"
    _big_library(backup, SCHEMA_VERSION - 1)
    path.write_bytes(b"damaged")
    alone = recovery.set_aside

    def the_other_restore_first(db_path):
        monkeypatch.setattr(recovery, "set_aside", alone)
        recovery.restore_backup(path, backup)
        return alone(db_path)

    monkeypatch.setattr(recovery, "set_aside", the_other_restore_first)
    recovery.restore_backup(path, backup)
    assert _restored(path) == 300
    assert b"damaged" in [p.read_bytes() for p in tmp_path.glob("library.db.damaged-*")]
    assert list(tmp_path.glob(".library.db.restoring*")) == []


def test_a_restore_removes_the_half_copies_of_restores_cut_short(tmp_path):
    # A restore killed in its copy (the computer off) left a hidden copy as big as it got,
    # for good; one under way now (a fresh file) is another's, and stays.
    import time

    from player.store.recovery import restore_backup

    path, backup = tmp_path / "library.db", tmp_path / "library.db.v19.1000.bak"
    _big_library(backup, SCHEMA_VERSION - 1)
    path.write_bytes(b"damaged")
    cut_short = [tmp_path / ".library.db.restoring-4242-0badf00d", tmp_path / ".library.db.restoring"]
    under_way = tmp_path / ".library.db.restoring-99-cafef00d"
    for half in (*cut_short, under_way):
        half.write_bytes(backup.read_bytes()[:4096])
    for half in cut_short:
        os.utime(half, (time.time() - 7200,) * 2)
    restore_backup(path, backup)
    assert _restored(path) == 300
    assert sorted(tmp_path.glob(".library.db.restoring*")) == [under_way]


def test_a_restore_the_library_in_use_refuses_leaves_no_copy_behind(tmp_path, monkeypatch):
    # Windows will not rename a library another program holds open: the restore fails, and
    # its whole copy stayed behind, hidden, for an hour at least. (The refusal is made here:
    # no Linux or macOS disk refuses it.)
    from player.store import recovery

    path, backup = tmp_path / "library.db", tmp_path / "library.db.v19.1000.bak"
    backup.write_bytes(b"a backup" * 1000)
    path.write_bytes(b"damaged")

    def held_open(db_path):
        raise PermissionError(13, "The process cannot access the file because it is being used by another "
                                  "process", str(db_path))

    monkeypatch.setattr(recovery, "set_aside", held_open)
    with pytest.raises(PermissionError):
        recovery.restore_backup(path, backup)
    assert path.read_bytes() == b"damaged"
    assert list(tmp_path.glob(".library.db.restoring*")) == []


def _other_disk(tmp_path):
    """A folder on another file system than ``tmp_path`` with a clearly different amount free
    (the shared-memory one of Linux), or None."""
    import shutil

    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        return None
    if abs(shutil.disk_usage(shm).free - shutil.disk_usage(tmp_path).free) < 1e9:
        return None
    return shm


@needs_rlimit
def test_the_room_a_restore_needs_is_measured_where_the_copy_goes(tmp_path):
    # A backup restored from another disk (a memory stick) is only read there: the free space
    # the person must make is on the disk of the library, and the message gave the other's.
    import shutil
    import tempfile

    other = _other_disk(tmp_path)
    if other is None:
        pytest.skip("needs a second file system with a different amount free")
    path = tmp_path / "library.db"
    path.write_bytes(b"damaged")
    with tempfile.TemporaryDirectory(dir=other) as elsewhere:
        backup = os.path.join(elsewhere, "library.db.v19.1000.bak")
        _big_library(backup, SCHEMA_VERSION - 1)
        message, _ = _without_room("from player.store.recovery import restore_backup\n"
                                   "restore_backup(sys.argv[1], sys.argv[2])", path, backup)
        there = shutil.disk_usage(elsewhere).free / 1e6
    free = float(re.search(r"(\d+\.\d) MB free", message)[1])
    here = shutil.disk_usage(tmp_path).free / 1e6
    assert abs(free - here) < abs(free - there), (message, here, there)
    assert path.read_bytes() == b"damaged"


def test_failed_migration_leaves_old_version(tmp_path, monkeypatch):
    path = tmp_path / "library.db"
    _db_at(path, 1).close()

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk on fire")

    monkeypatch.setattr("player.store.connection.MIGRATIONS", [MIGRATIONS[0], broken])
    with pytest.raises(sqlite3.OperationalError):
        Store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0


def test_a_step_failing_after_earlier_ones_were_made_says_the_library_is_newer_now(tmp_path):
    # Each step commits on its own: a library two steps behind whose second step fails is one
    # step on, and the Segue it came from no longer opens it; only the copy taken first does.
    # (the step to 31 writes every track: a library at 29 gets one step on before it fails)
    before = 29
    path = tmp_path / "library.db"
    conn = _db_at(path, before)
    conn.execute("INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                 "VALUES ('/music/a.flac', 1, 1, 'A', 0, 0)")
    # (another program's rule on the table: the step that writes every track fails)
    conn.execute("CREATE TRIGGER refuse BEFORE UPDATE ON tracks BEGIN SELECT RAISE(ABORT, 'kept as is'); END")
    conn.commit()
    conn.close()
    with pytest.raises(MigrationFailedError) as failed:
        Store(path)
    message = str(failed.value)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == before + 1
    assert "kept as it was" not in message, message
    assert f"now at schema {before + 1}" in message and f"was at {before}" in message
    assert "cannot open" in message and f"library.db.v{before}." in message


def test_migration_2_to_3_indexes_library_order_and_keeps_data(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 2, *[
        ("INSERT INTO tracks (path, size, mtime_ns, artist, album, track_no, added_at, updated_at) "
         "VALUES (?, 1, 1, ?, ?, 1, 0, 0)", (f"/m/{i}", artist, album))
        for i, (artist, album) in enumerate([("b", "x"), ("A", "y"), ("a", "b")])])
    assert store.schema_version() == SCHEMA_VERSION >= 3
    plan = _library_order_plan(store)
    assert any("tracks_library_order" in step for step in plan)
    assert [(r["artist"], r["album"]) for r in store.library_rows(["artist", "album"])] == [
        ("a", "b"), ("A", "y"), ("b", "x")]
    store.close()


def test_migration_3_to_4_keeps_plays_and_adds_imported_history(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 3,
                      "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                      "VALUES ('/m/a.flac', 1, 1, 'Kept', 0, 0)",
                      "INSERT INTO sessions (started_at, last_active_at) VALUES (10, 20)",
                      "INSERT INTO plays (track_id, session_id, started_at, ms_heard, ended, source, updated_at) "
                      "VALUES (1, 1, 10, 5000, 'skipped', 'radio', 20)")
    assert store.schema_version() == SCHEMA_VERSION >= 4
    (play,) = store.plays()
    assert (play["track_id"], play["ms_heard"], play["ended"], play["source"]) == (1, 5000, "skipped", "radio")
    with store.transaction() as tx:            # the rebuilt table takes imported plays, and still checks sources
        tx.execute("INSERT INTO plays (track_id, session_id, started_at, source, updated_at) "
                   "VALUES (1, 1, 30, 'import', 30)")
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as tx:
            tx.execute("INSERT INTO plays (track_id, session_id, started_at, source, updated_at) "
                       "VALUES (1, 1, 40, 'elsewhere', 40)")
    assert {r["name"] for r in store.execute("SELECT name FROM sqlite_master WHERE name LIKE 'plays%'")} >= {
        "plays", "plays_track", "plays_session", "plays_started"}
    assert store.unmatched_count() == 0 and store.history_imports() == []
    assert store.play_count() == 2
    store.close()


def test_migration_4_to_5_keeps_the_library_and_adds_playlists(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 4, "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                               "VALUES ('/m/a.flac', 1, 1, 'Kept', 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 5
    assert store.track(1)["title"] == "Kept" and store.playlists() == []
    playlist = store.create_playlist("Mix", [1], paths=["/elsewhere/b.mp3"])
    assert [(r["track_id"], r["path"], r["playable"]) for r in store.playlist_entries(playlist)] == [
        (1, "/m/a.flac", 1), (None, "/elsewhere/b.mp3", 0)]
    store.close()


def test_migration_5_to_6_keeps_imported_rows_and_adds_their_end(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 5,
                      "INSERT INTO history_imports (name, format, sha256, imported_at, rows, matched, unmatched, "
                      "not_music, duplicates, unreadable) VALUES ('h.json', 'spotify', '', 0, 1, 0, 1, 0, 0, 0)",
                      "INSERT INTO imported_listens (import_id, fingerprint, started_at, artist, title, artist_key, "
                      "song_key, ms_played) VALUES (1, 'fp', 100, 'A', 'T', 'a', 'a\x1ft', 60000)")
    assert store.schema_version() == SCHEMA_VERSION >= 6
    (row,) = store.unmatched_listens()
    assert (row["artist"], row["started_at"]) == ("A", 100)
    assert store.execute("SELECT ended_at FROM unmatched_listens").fetchone()[0] is None
    fingerprints, starts = store.import_index()
    assert fingerprints == {"fp"} and list(starts["a\x1ft"]) == [100]
    store.close()


def test_migration_6_to_7_keeps_the_library_and_remembers_merges_from_then_on(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 6,
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 0, 0), (2, '/m/b.flac', 1, 1, 0, 0)",
                      "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
                      "INSERT INTO plays (track_id, session_id, started_at, updated_at) VALUES (2, 1, 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 7
    store.merge_duplicate(2, 1)
    assert [r["track_id"] for r in store.plays()] == [1]
    assert store.live_track_id(2) == 1
    store.upsert_tracks([{"path": "/m/c.flac", "size": 1, "mtime_ns": 1}])
    assert store.track_by_path("/m/c.flac")["id"] == 3          # not the merged-away row's number
    store.close()


def test_migration_7_to_8_keeps_every_play_and_gives_new_ones_an_owner(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 7,
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 0, 0)",
                      "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
                      "INSERT INTO plays (track_id, session_id, started_at, ms_heard, ended, source, updated_at) "
                      "VALUES (1, 1, 0, 200000, 'finished', 'radio', 0), (1, 1, 300, 12000, 'playing', 'library', 310)")
    assert store.schema_version() == SCHEMA_VERSION >= 8
    assert store.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [(r["ms_heard"], r["ended"], r["source"], r["owner"]) for r in store.plays()] == [
        (200000, "finished", "radio", None), (12000, "playing", "library", None)]
    # The play an older version left open has no owner to ask: the next start closes it.
    assert store.close_interrupted_plays() == 1
    owner = store.play_owner()
    play = store.start_play(1, owner=owner.token)
    assert store.play(play)["owner"] == owner.token
    assert store.close_interrupted_plays() == 0 and store.play(play)["ended"] == "playing"
    plan = store.execute("EXPLAIN QUERY PLAN SELECT DISTINCT owner FROM plays WHERE ended = 'playing'").fetchall()
    assert any("plays_open" in row[3] for row in plan)
    owner.release()
    store.close()


def _plays_schema(store):
    """The plays table's indexes and triggers, and the references other tables make to it."""
    made = {(r["type"], r["name"], r["sql"].strip()) for r in store.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'plays' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL")}
    refs = {(t, r["from"], r["to"], r["on_delete"]) for (t,) in store.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")
        for r in store.execute(f"SELECT * FROM pragma_foreign_key_list('{t}')") if r["table"] == "plays"}
    own = {(r["from"], r["table"], r["to"]) for r in store.execute("SELECT * FROM pragma_foreign_key_list('plays')")}
    return made, refs, own


def test_migration_8_to_9_keeps_every_play_and_link_and_never_numbers_a_play_again(tmp_path):
    # Without AUTOINCREMENT a new play took the id of a forgotten one, which the state
    # saved for the next start may still name. The rebuild must keep every row, index and
    # reference: dropping the old table with the foreign keys on would have set every
    # imported listen's link to its play to NULL.
    path = tmp_path / "library.db"
    store = _migrated(path, 8,
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 0, 0)",
                      "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
                      "INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                      "error, updated_at, owner) "
                      "VALUES (1, 1, 1, 0, 200000, 200000, 'finished', 'import', NULL, 0, NULL),"
                      " (7, 1, 1, 300, 12000, NULL, 'playing', 'library', NULL, 310, 'abc'),"
                      " (9, 1, 1, 400, 0, NULL, 'error', 'radio', 'cannot decode', 400, NULL)",
                      "INSERT INTO history_imports (id, name, format, sha256, imported_at, rows, matched, unmatched, "
                      "not_music, duplicates, unreadable) VALUES (1, 'h.json', 'spotify', '', 0, 1, 1, 0, 0, 0, 0)",
                      "INSERT INTO imported_listens (import_id, fingerprint, started_at, artist, title, artist_key, "
                      "song_key, ms_played, play_id) VALUES (1, 'fp', 0, 'A', 'T', 'a', 'a\x1ft', 200000, 1)")
    assert store.schema_version() == SCHEMA_VERSION >= 9
    assert [tuple(r) for r in store.execute("SELECT * FROM plays ORDER BY id")] == [
        (1, 1, 1, 0, 200000, 200000, "finished", "import", None, 0, None),
        (7, 1, 1, 300, 12000, None, "playing", "library", None, 310, "abc"),
        (9, 1, 1, 400, 0, None, "error", "radio", "cannot decode", 400, None)]
    assert store.execute("SELECT play_id FROM imported_listens").fetchone()[0] == 1
    assert store.execute("PRAGMA foreign_keys").fetchone()[0] == 1       # on again for what follows
    assert store.execute("PRAGMA foreign_key_check").fetchall() == []
    fresh = Store(tmp_path / "fresh.db")
    assert _plays_schema(store) == _plays_schema(fresh)
    fresh.close()
    with pytest.raises(sqlite3.IntegrityError):                         # the references still hold
        store.start_play(99)
    store.forget_history()
    assert store.start_play(1) == 10                                    # after every id ever given
    store.close()


@pytest.mark.parametrize("saved, first", [
    ('{"current": [1, "library", true, 20.0, 20.0, 20.0, 50, false]}', 51),    # forgotten, above all
    ('{"current": [1, "library", true, 20.0, 20.0, 20.0, 2, false]}', 4),      # a play there is
    ('{"current": [1, "library", true, 20.0]}', 4),                            # saved before plays were named
    ('{"current": null}', 4), ('{"current": [1, "library", true, 20.0, 20.0, 20.0, null, false]}', 4),
    ("not json", 4), (None, 4)])
def test_migration_9_to_10_numbers_plays_after_the_one_the_saved_state_names(tmp_path, saved, first):
    # A state saved before schema 9 may name a play of a forgotten history above every id
    # left: that id must never go to a new play, or resuming would reopen someone else's.
    rows = ["INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) VALUES (1, '/m/a.flac', 1, 1, 0, 0)",
            "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
            "INSERT INTO plays (id, track_id, session_id, started_at, ended, updated_at) "
            "VALUES (1, 1, 1, 0, 'finished', 0), (2, 1, 1, 0, 'finished', 0), (3, 1, 1, 0, 'stopped', 0)"]
    if saved is not None:
        rows.append(("INSERT INTO settings (key, value) VALUES ('playback.state', ?)", (saved,)))
    store = _migrated(tmp_path / "library.db", 9, *rows)
    assert store.schema_version() == SCHEMA_VERSION >= 10
    assert [r["id"] for r in store.plays()] == [1, 2, 3]
    assert store.start_play(1) == first
    store.close()


def test_migration_9_to_10_after_a_forget_numbers_after_the_saved_play_with_no_play_left(tmp_path):
    store = _migrated(tmp_path / "library.db", 8,
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 0, 0)",
                      ("INSERT INTO settings (key, value) VALUES ('playback.state', ?)",
                       ('{"current": [1, "library", true, 20.0, 20.0, 20.0, 7, false]}',)))
    assert store.play_count() == 0
    assert store.start_play(1) == 8
    store.close()


def test_migration_10_to_11_keeps_the_library_and_adds_what_is_never_suggested(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 10,
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, artist, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 'Lullaby', 'The Kids', 0, 0), "
                      "(2, '/m/b.flac', 1, 1, 'Song', 'Kids & Co', 0, 0), (3, '/m/c.flac', 1, 1, 'Other', 'X', 0, 0)",
                      "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
                      "INSERT INTO plays (id, track_id, session_id, started_at, ended, updated_at) "
                      "VALUES (4, 1, 1, 0, 'finished', 0)",
                      "INSERT INTO playlists (id, name, created_at, updated_at) VALUES (1, 'Kept', 0, 0)",
                      "INSERT INTO playlist_entries (playlist_id, position, track_id, path) "
                      "VALUES (1, 0, 3, '/m/c.flac')",
                      ("INSERT INTO settings (key, value) VALUES ('playback.state', ?)", ('{"current": null}',)))
    assert store.schema_version() == SCHEMA_VERSION >= 11
    assert sorted(r["title"] for r in store.tracks()) == ["Lullaby", "Other", "Song"]
    assert [(r["id"], r["track_id"]) for r in store.plays()] == [(4, 1)]
    assert store.playlist_track_ids(1) == [3]
    assert store.get_setting("playback.state") == {"current": None}
    assert list(tmp_path.glob("library.db.v10.*.bak"))            # backed up before
    assert store.never_suggested() == [] and store.never_suggested_ids() == set()
    assert store.never_suggest_track(3) and store.never_suggest_artist("Kids")
    assert store.never_suggested_ids() == {1, 2, 3}         # "The Kids" and "Kids & Co" are the Kids
    store.close()


def test_migration_11_to_12_keeps_imported_rows_and_marks_the_stretches_of_one_play(tmp_path):
    # Rows of one song heard in stretches were marked only by the play they shared: those of
    # a song the library lacked shared none, and counted one by one for their artist. Each
    # row now names the row its song began with; those already sharing a play are marked so.
    path = tmp_path / "library.db"
    store = _migrated(path, 11,
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, artist, duration, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 'T', 'A', 200, 0, 0)",
                      "INSERT INTO sessions (id, started_at, last_active_at) VALUES (1, 0, 0)",
                      "INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, track_ms, ended, source, "
                      "updated_at) VALUES (3, 1, 1, 0, 200000, 200000, 'finished', 'import', 0), "
                      "(4, 1, 1, 90000, 200000, 200000, 'finished', 'import', 0)",
                      "INSERT INTO history_imports (id, name, format, sha256, imported_at, rows, matched, unmatched, "
                      "not_music, duplicates, unreadable) VALUES (1, 'h.json', 'spotify_extended', '', 0, 4, 3, 1, "
                      "0, 0, 0)",
                      "INSERT INTO imported_listens (id, import_id, fingerprint, started_at, artist, title, "
                      "artist_key, song_key, ms_played, skipped, reason_end, ended_at, play_id) VALUES "
                      "(1, 1, 'fp1', 0, 'A', 'T', 'a', 'a\x1ft', 120000, 0, 'logout', 120, 3), "
                      "(2, 1, 'fp2', 3600, 'A', 'T', 'a', 'a\x1ft', 80000, 0, 'trackdone', 3680, 3), "
                      "(3, 1, 'fp3', 90000, 'A', 'T', 'a', 'a\x1ft', 200000, 0, 'trackdone', 90200, 4), "
                      "(4, 1, 'fp4', 95000, 'B', 'U', 'b', 'b\x1fu', 15000, 1, 'fwdbtn', 95015, NULL)")
    assert store.schema_version() == SCHEMA_VERSION >= 12
    assert list(tmp_path.glob("library.db.v11.*.bak"))
    assert [tuple(r) for r in store.execute(
        "SELECT id, fingerprint, ms_played, play_id, stretch_of FROM imported_listens ORDER BY id")] == [
        (1, "fp1", 120000, 3, None), (2, "fp2", 80000, 3, 1), (3, "fp3", 200000, 4, None),
        (4, "fp4", 15000, None, None)]
    assert [(r["id"], r["stretch_of"]) for r in store.unmatched_listens()] == [(4, None)]
    assert store.imported_artist_counts() == {"a": (2, 0), "b": (1, 1)}
    assert store.import_play_counts() == {1: 2}
    assert store.remove_import(1)["plays"] == 2 and store.play_count() == 0
    store.close()


@pytest.mark.skipif(os.name == "nt", reason="Windows keeps no status-change time: size and mtime decide there")
def test_migration_13_to_14_notes_each_files_change_time_at_the_next_scan_without_reading_it(tmp_path):
    # A library scanned before tracks kept their files' status-change times: the first scan
    # after the update notes them and reads nothing (a full read of a large library at the
    # first start would take minutes); from then on a title fixed by a tagger that keeps
    # the modification time is seen.
    from player.library import reader_version
    from player.library.scanner import Scanner
    from tests.audiogen import write_tags, write_track

    music = tmp_path / "music"
    files = [write_track(music, name, fmt="flac", tags={"title": name.title(), "artist": "Q"}) for name in ("a", "b")]
    path = tmp_path / "library.db"
    store = _migrated(path, 13,
                      ("INSERT INTO folders (id, path, added_at, last_scan_at, tag_reader) VALUES (1, ?, 0, 0, ?)",
                       (str(music), reader_version.READER_VERSION)),
                      *(("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, title, artist, added_at, "
                         "updated_at) VALUES (?, ?, 1, ?, ?, ?, 'Q', 0, 0)",
                         (i + 1, str(f), f.stat().st_size, f.stat().st_mtime_ns, f.stem.title()))
                        for i, f in enumerate(files)))
    assert store.schema_version() == SCHEMA_VERSION >= 14
    assert list(tmp_path.glob("library.db.v13.*.bak"))
    assert [r["ctime_ns"] for r in store.tracks()] == [None, None]

    progress = Scanner(store).scan()
    assert (progress.read, progress.unchanged, progress.missing) == (0, 2, 0)
    assert [(r["id"], r["ctime_ns"]) for r in store.tracks()] == [(i + 1, f.stat().st_ctime_ns)
                                                                   for i, f in enumerate(files)]
    st = files[0].stat()
    write_tags(files[0], title="Ay")
    os.utime(files[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    progress = Scanner(store).scan()
    assert (progress.read, progress.unchanged) == (1, 1)
    assert [r["title"] for r in store.tracks()] == ["Ay", "B"]
    store.close()


def test_migration_15_to_16_orders_by_the_new_tags_once_the_next_scan_reads_every_file_again(tmp_path):
    # A library scanned before the compilation flag was read: its compilation lay scattered
    # under each track's artist. The columns start empty, the library order keeps its index,
    # and the tag reader's new version makes the next scan read every file, after which the
    # compilation is one album (under "Various Artists").
    from mutagen.id3 import ID3, TALB, TCMP, TIT2, TPE1

    from player.library import reader_version
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    songs = [("Now 1", "Zed", "Now", True), ("Now 2", "Abba", "Now", True), ("Porcelain", "Moby", "Play", False)]
    files = []
    for title, artist, album, compilation in songs:
        path = write_track(music / album, title, fmt="mp3", seconds=0.3)
        tags = ID3()
        for frame in (TIT2(encoding=3, text=[title]), TPE1(encoding=3, text=[artist]), TALB(encoding=3, text=[album]),
                      *([TCMP(encoding=3, text=["1"])] if compilation else [])):
            tags.add(frame)
        tags.save(str(path))
        files.append(path)
    path = tmp_path / "library.db"
    store = _migrated(path, 15,
                      ("INSERT INTO folders (id, path, added_at, last_scan_at, tag_reader) VALUES (1, ?, 0, 0, 5)",
                       (str(music),)),
                      *(("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, ctime_ns, title, artist, album, "
                         "duration, added_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, 0.3, 0, 0)",
                         (i + 1, str(f), f.stat().st_size, f.stat().st_mtime_ns, f.stat().st_ctime_ns, *song[:3]))
                        for i, (f, song) in enumerate(zip(files, songs))))
    assert store.schema_version() == SCHEMA_VERSION >= 16
    assert list(tmp_path.glob("library.db.v15.*.bak"))
    plan = _library_order_plan(store)
    assert any("tracks_library_order" in step for step in plan)
    assert [r["title"] for r in store.library_rows(["title"])] == ["Now 2", "Porcelain", "Now 1"]
    assert [r["compilation"] for r in store.tracks()] == [None] * 3

    progress = Scanner(store).scan()
    assert progress.read == 3
    assert [f["tag_reader"] for f in store.folders()] == [reader_version.READER_VERSION]
    assert [(r["id"], r["title"], r["compilation"]) for r in store.library_rows(["id", "title", "compilation"])] == [
        (3, "Porcelain", None), (1, "Now 1", 1), (2, "Now 2", 1)]
    store.close()


def test_migration_16_to_17_files_an_album_by_its_artists_sort_name_where_the_album_artist_is_the_artist(tmp_path):
    # A tagger that writes the artist's sort name and no album artist's: "Help!", tagged with
    # "The Beatles" as its album artist, was filed under T, "Abbey Road", tagged without, under
    # B by the sort name. The order keeps its index.
    rows = [(1, "Help", "The Beatles", "The Beatles", "Beatles, The", "Help!"),
            (2, "Come Together", "The Beatles", None, "Beatles, The", "Abbey Road"),
            (3, "Top", "Carpenters", None, None, "Singles"),
            (4, "Hold On", "Tom Waits", "Tom Waits", None, "Mule Variations"),
            (5, "Duet", "Someone", "The Beatles", "Someone", "Guests")]
    store = _migrated(tmp_path / "library.db", 16,
                      "INSERT INTO folders (id, path, added_at) VALUES (1, '/music', 0)",
                      *(("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, title, artist, albumartist, "
                         "artistsort, album, duration, added_at, updated_at) "
                         "VALUES (?, ?, 1, 1, 0, ?, ?, ?, ?, ?, 1.0, 0, 0)", (i, f"/music/{i}.flac", *row))
                        for i, *row in rows))
    assert store.schema_version() == SCHEMA_VERSION >= 17
    plan = _library_order_plan(store)
    assert any("tracks_library_order" in step for step in plan)
    assert not any("TEMP B-TREE" in step for step in plan)
    # (a guest's own sort name does not move the album artist's album)
    assert [r["title"] for r in store.library_rows(["title"])] == ["Come Together", "Help", "Top", "Duet", "Hold On"]
    store.close()


def test_migration_17_to_18_keeps_every_track_a_whole_file_until_a_scan_finds_a_sheet(tmp_path):
    path = tmp_path / "library.db"
    store = _migrated(path, 17, "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                                "VALUES ('/m/Album.flac', 1, 1, 'Whole', 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 18
    row = store.track(1)
    assert (row["path"], row["cue_sheet"], row["cue_start_s"], row["cue_end_s"]) == (
        "/m/Album.flac", None, None, None)
    store.upsert_tracks([{"path": "/m/Album.flac#02", "size": 1, "mtime_ns": 1, "title": "Two",
                          "cue_sheet": "/m/Album.cue", "cue_start_s": 61.5, "cue_end_s": 122.0}])
    row = store.track_by_path("/m/Album.flac#02")
    assert (row["cue_sheet"], row["cue_start_s"], row["cue_end_s"]) == ("/m/Album.cue", 61.5, 122.0)
    store.close()


def test_migration_18_to_19_makes_a_soundtrack_one_album_once_the_next_scan_looks_at_its_folder(tmp_path):
    # A soundtrack tagged without album artist or flag, scanned before: its tracks lay under
    # each artist. The files are as they were, so the scan reads none of them again, and
    # still finds the album; the library order keeps its index.
    from player.library import reader_version
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    songs = [(1, "Main Theme", "Composer A"), (2, "Opening", "Band B"), (3, "Love Song", "Singer C")]
    files = [write_track(music / "Film", f"{n:02d}", seconds=0.2,
                         tags={"title": title, "artist": artist, "album": "Film Soundtrack", "tracknumber": str(n)})
             for n, title, artist in songs]
    store = _migrated(tmp_path / "library.db", 18,
                      ("INSERT INTO folders (id, path, added_at, last_scan_at, tag_reader) VALUES (1, ?, 0, 0, ?)",
                       (str(music), reader_version.READER_VERSION)),
                      *(("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, ctime_ns, title, artist, album, "
                         "track_no, duration, added_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 0.2, 0, 0)",
                         (n, str(f), f.stat().st_size, f.stat().st_mtime_ns, f.stat().st_ctime_ns, title, artist,
                          "Film Soundtrack", n))
                        for f, (n, title, artist) in zip(files, songs)))
    assert store.schema_version() == SCHEMA_VERSION >= 19
    plan = _library_order_plan(store)
    assert any("tracks_library_order" in step for step in plan)
    assert [r["title"] for r in store.library_rows(["title"])] == ["Opening", "Main Theme", "Love Song"]
    assert [r["folder_compilation"] for r in store.tracks()] == [None] * 3

    progress = Scanner(store).scan()
    assert progress.read == 0
    assert [r["title"] for r in store.library_rows(["title"])] == ["Main Theme", "Opening", "Love Song"]
    assert [r["folder_compilation"] for r in store.tracks()] == [1] * 3
    store.close()


def test_migration_19_to_20_keeps_every_playlist_entry_with_no_title_of_its_own(tmp_path):
    store = _migrated(tmp_path / "library.db", 19,
                      "INSERT INTO playlists (id, name, created_at, updated_at) VALUES (1, 'Old', 0, 0)",
                      "INSERT INTO playlist_entries (playlist_id, position, track_id, path) "
                      "VALUES (1, 0, NULL, '/m/a.mp3')")
    assert store.schema_version() == SCHEMA_VERSION >= 20
    assert [tuple(e) for e in store.playlist_entries(1)] == [(0, None, "/m/a.mp3", None, None, 0, None)]
    pid, _ = store.import_playlist("New", ["/m/gone.mp3"], titles={0: "Band - Gone Song"})
    assert [e["title"] for e in store.playlist_entries(pid)] == ["Band - Gone Song"]
    store.close()


def test_migration_20_to_21_keeps_the_library_and_remembers_where_long_tracks_were_left(tmp_path):
    store = _migrated(tmp_path / "library.db", 20,
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, duration, added_at, updated_at) "
                      "VALUES (1, '/m/chapter.flac', 1, 1, 'Chapter 1', 5400, 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 21
    assert store.resume_position(1) is None
    store.set_resume_position(1, 2712.0)
    assert store.resume_position(1) == 2712.0
    store.close()


def test_migration_21_to_22_counts_every_write_to_the_library_whoever_writes_and_no_play(tmp_path):
    # The plain suggestions keep what they read until this count moves: a write it missed
    # would leave them showing a library that is no longer there; one a play made would have
    # them read 100,000 tracks again after every song.
    path = tmp_path / "library.db"
    store = _migrated(path, 21, "INSERT INTO folders (id, path, added_at) VALUES (1, '/m', 0)",
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, folder_id, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 'A', 1, 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 22
    counts = [store.library_stamp()]

    def moved() -> bool:
        counts.append(store.library_stamp())
        return counts[-1] != counts[-2]

    store.end_play(store.start_play(1, track_ms=1000), "finished", 1000)
    store.set_folder_scanned(1)
    assert not moved()
    store.upsert_tracks([{"path": "/m/b.flac", "size": 1, "mtime_ns": 1, "title": "B", "folder_id": 1}])
    assert moved()
    store.mark_missing([1])
    assert moved()
    other = sqlite3.connect(path)           # another process: not this store's code at all
    other.execute("UPDATE tracks SET genre = 'Jazz' WHERE path = '/m/b.flac'")
    other.commit()
    assert moved()
    other.execute("UPDATE folders SET path = '/n' WHERE id = 1")
    other.commit()
    other.close()
    assert moved()
    store.remove_folder("/n")
    assert moved()
    store.close()


def test_migration_22_to_23_keeps_the_library_and_notes_each_written_track_whoever_writes(tmp_path):
    # The plain suggestions read again only the tracks noted since they last read: a write
    # not noted would leave them offering a track that is gone, or under its old tags.
    path = tmp_path / "library.db"
    store = _migrated(path, 22, "INSERT INTO folders (id, path, added_at) VALUES (1, '/m', 0)",
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, folder_id, added_at, updated_at) "
                      "VALUES (1, '/m/a.flac', 1, 1, 'A', 1, 0, 0)",
                      "INSERT INTO tracks (id, path, size, mtime_ns, title, folder_id, added_at, updated_at) "
                      "VALUES (2, '/m/b.flac', 1, 1, 'B', 1, 0, 0)",
                      "INSERT INTO sessions (started_at, last_active_at) VALUES (10, 20)",
                      "INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, ended, source, updated_at) "
                      "VALUES (5, 1, 1, 10, 5000, 'finished', 'library', 20)",
                      "INSERT INTO playlists (id, name, created_at, updated_at) VALUES (1, 'Mine', 0, 0)",
                      "INSERT INTO playlist_entries (playlist_id, position, track_id, path) "
                      "VALUES (1, 0, 2, '/m/b.flac')")
    assert store.schema_version() == SCHEMA_VERSION >= 23
    assert [t["title"] for t in store.tracks()] == ["A", "B"] and store.play_count() == 1
    assert [r[0] for r in store.execute("SELECT track_id FROM playlist_entries")] == [2]
    fresh = Store(tmp_path / "fresh.db")
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    assert store.execute(triggers).fetchall() == fresh.execute(triggers).fetchall()
    fresh.close()
    since = store.library_stamp()
    assert store.library_changed_ids(since) == []
    store.end_play(store.start_play(1, track_ms=1000), "finished", 1000)
    store.upsert_tracks([{"path": "/m/b.flac", "size": 2, "mtime_ns": 2, "title": "B2", "folder_id": 1}])
    assert store.library_changed_ids(since) == [2]
    other = sqlite3.connect(path)           # another process: not this store's code at all
    other.execute("UPDATE tracks SET id = 7 WHERE id = 1")
    other.commit()
    other.close()
    assert sorted(store.library_changed_ids(since)) == [1, 2, 7]
    store.close()


def test_migration_23_to_24_sorts_composers_by_their_sort_names_once_the_next_scan_reads_every_file_again(tmp_path):
    # A library scanned before the composer's sort name was read: the column starts empty and
    # the tag reader's new version makes the next scan read the file, unchanged since, again.
    from mutagen.flac import FLAC

    from player.library import reader_version
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    f = write_track(music, "01", fmt="flac", seconds=0.3, tags={"title": "Prelude", "artist": "Yo-Yo Ma",
                                                                "composer": "Johann Sebastian Bach"})
    tags = FLAC(str(f))
    tags["COMPOSERSORT"] = ["Bach, Johann Sebastian"]
    tags.save()
    store = _migrated(tmp_path / "library.db", 23,
                      ("INSERT INTO folders (id, path, added_at, last_scan_at, tag_reader) VALUES (1, ?, 0, 0, 22)",
                       (str(music),)),
                      ("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, ctime_ns, title, artist, composer, "
                       "duration, added_at, updated_at) VALUES (1, ?, 1, ?, ?, ?, 'Prelude', 'Yo-Yo Ma', "
                       "'Johann Sebastian Bach', 0.3, 0, 0)",
                       (str(f), f.stat().st_size, f.stat().st_mtime_ns, f.stat().st_ctime_ns)))
    assert store.schema_version() == SCHEMA_VERSION >= 24
    assert [(r["title"], r["composer"], r["composersort"]) for r in store.tracks()] == [
        ("Prelude", "Johann Sebastian Bach", None)]
    assert Scanner(store).scan().read == 1
    assert [f["tag_reader"] for f in store.folders()] == [reader_version.READER_VERSION]
    assert [(r["id"], r["composersort"]) for r in store.tracks()] == [(1, "Bach, Johann Sebastian")]
    store.close()


def test_migration_24_to_25_keeps_the_imports_and_notes_what_later_imports_teach_them(tmp_path):
    # An import filled in before the fills were noted stays as it is; a removal after the
    # migration takes back only what it can know it gave.
    store = _migrated(tmp_path / "library.db", 24,
                      "INSERT INTO history_imports (id, name, format, sha256, imported_at, rows, matched, unmatched, "
                      "not_music, duplicates, unreadable) VALUES (1, 'scrobbles.csv', 'lastfm_csv', 'x', 0, 1, 0, 1, "
                      "0, 0, 0)",
                      "INSERT INTO imported_listens (id, import_id, fingerprint, started_at, artist, title, "
                      "artist_key, song_key, ms_played, skipped) VALUES (1, 1, 'f', 10, 'A', 'T', 'a', 'a t', "
                      "9000, 1)")
    assert store.schema_version() == SCHEMA_VERSION >= 25
    assert store.execute("SELECT count(*) FROM imported_fill_ins").fetchone()[0] == 0
    gone = store.remove_import(1)
    assert (gone["listens"], gone["unfilled"]) == (1, 0)
    assert store.execute("SELECT count(*) FROM imported_listens").fetchone()[0] == 0
    store.close()


def test_migration_25_to_26_keeps_what_imports_taught_and_notes_plays_taken_as_private(tmp_path):
    # What an import taught before stays noted, with no track (it took no play); taking the
    # import out undoes it as before.
    store = _migrated(tmp_path / "library.db", 25,
                      "INSERT INTO history_imports (id, name, format, sha256, imported_at, rows, matched, unmatched, "
                      "not_music, duplicates, unreadable) VALUES (1, 'scrobbles.csv', 'lastfm_csv', 'x', 0, 1, 0, 1, "
                      "0, 0, 0), (2, 'Streaming_History_Audio_2020.json', 'spotify_extended', 'y', 0, 1, 0, 0, 0, "
                      "1, 0)",
                      "INSERT INTO imported_listens (id, import_id, fingerprint, started_at, artist, title, "
                      "artist_key, song_key, ms_played, skipped) VALUES (1, 1, 'f', 10, 'A', 'T', 'a', 'a t', "
                      "9000, 1)",
                      "INSERT INTO imported_fill_ins (listen_id, import_id, columns) "
                      "VALUES (1, 2, 'ms_played,skipped')")
    assert store.schema_version() == SCHEMA_VERSION >= 26
    noted = store.execute("SELECT listen_id, import_id, columns, track_id FROM imported_fill_ins").fetchall()
    assert [tuple(r) for r in noted] == [(1, 2, "ms_played,skipped", None)]
    assert store.unmatched_count() == 1
    assert store.remove_import(2)["unfilled"] == 1
    assert tuple(store.execute("SELECT ms_played, skipped FROM imported_listens").fetchone()) == (None, None)
    store.close()


def test_migration_26_to_27_gives_the_songs_their_stars_at_the_next_scan(tmp_path):
    # A library scanned before ratings were read: its rows have none, and the next scan reads
    # the stars the person gave each file in another player.
    from mutagen.id3 import ID3, POPM

    from player.library import reader_version
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    music = tmp_path / "music"
    f = write_track(music, "01", fmt="mp3", seconds=0.3, tags={"title": "Favourite", "artist": "Someone"})
    tags = ID3(str(f))
    tags.add(POPM(email="Windows Media Player 9 Series", rating=255, count=0))
    tags.save(str(f))
    store = _migrated(tmp_path / "library.db", 26,
                      ("INSERT INTO folders (id, path, added_at, last_scan_at, tag_reader) VALUES (1, ?, 0, 0, 24)",
                       (str(music),)),
                      ("INSERT INTO tracks (id, path, folder_id, size, mtime_ns, ctime_ns, title, artist, "
                       "duration, added_at, updated_at) VALUES (1, ?, 1, ?, ?, ?, 'Favourite', 'Someone', 0.3, 0, 0)",
                       (str(f), f.stat().st_size, f.stat().st_mtime_ns, f.stat().st_ctime_ns)))
    assert store.schema_version() == SCHEMA_VERSION >= 27
    assert [(r["title"], r["rating"]) for r in store.tracks()] == [("Favourite", None)]
    assert Scanner(store).scan().read == 1
    assert [f["tag_reader"] for f in store.folders()] == [reader_version.READER_VERSION]
    assert [(r["id"], r["rating"]) for r in store.tracks()] == [(1, 5)]


def test_migration_27_to_28_adds_a_works_tags_and_reads_only_the_tracks_that_may_be_movements(tmp_path):
    # A queue of songs has its works read (shuffle on) through a partial index of the tracks
    # that may be movements: a library of 100,000 songs was read whole each time, 0.2 to 0.6 s.
    from player.store.migrations import WORK_CANDIDATES

    store = _migrated(tmp_path / "library.db", 27,
                      "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) VALUES "
                      "('/m/a.flac', 1, 1, 'Hey Jude', 0, 0), ('/m/b.flac', 1, 1, 'Symphony No. 5: I. Allegro', 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 28
    assert [tuple(r) for r in store.execute("SELECT title, work, grouping, movement, movementname FROM tracks")] == [
        ("Hey Jude", None, None, None, None), ("Symphony No. 5: I. Allegro", None, None, None, None)]
    plan = store.execute(f"EXPLAIN QUERY PLAN SELECT id FROM tracks WHERE {WORK_CANDIDATES}").fetchall()
    assert "tracks_work_candidates" in " ".join(str(tuple(r)) for r in plan)
    assert set(store.work_movements([1, 2])) == {2}
    store.close()


def test_the_python_rule_of_what_may_name_a_work_selects_the_rows_the_index_holds(tmp_path):
    # The catalogue and the recommender read works by segue_common's rule, the store's
    # shuffle by the SQL of its partial index (never edited once released): a title one
    # takes and the other does not would be a work in Up next and songs when shuffled.
    from player.store.migrations import WORK_CANDIDATES
    from segue_common.works import may_name_a_work

    titles = ["Hey Jude", "Symphony No. 5: I. Allegro", "Live: Side A", "Concerto - II. Adagio",
              "Concerto \u2013 III. Presto", "Suite \u2014 IV. Gigue", "Sonata -I. Allegro", "Sonata- I. Allegro",
              "Spider-Man", "A\u2013B", "Rock\u2014Roll", "Ratio 3:2", ":", " - ", "Work\t-\tI. Largo",
              "Work\u00a0-\u00a0I. Largo", "", None, "Hey Jude - Remastered 2009", "Ça: II. Été", "  ",
              "Work \u2013I. x", "Work \u2014 ", "%", "_"]
    tags = [(None, None), ("Symphony No. 5", None), (None, "Party"), ("", None), (None, "")]
    rows, want = [], set()
    for i, title in enumerate(titles):
        for j, (work, grouping) in enumerate(tags):
            rows.append((f"/m/{i}-{j}.flac", title, work, grouping))
            if may_name_a_work(title, work, grouping):
                want.add(f"/m/{i}-{j}.flac")
    Store.open(tmp_path / "library.db").close()         # (the schema as it is now)
    db = sqlite3.connect(tmp_path / "library.db")
    db.executemany("INSERT INTO tracks (path, size, mtime_ns, title, work, grouping, added_at, updated_at) "
                   "VALUES (?, 1, 1, ?, ?, ?, 0, 0)", rows)
    got = {r[0] for r in db.execute(f"SELECT path FROM tracks WHERE {WORK_CANDIDATES}")}
    db.close()
    assert got == want
    assert 0 < len(want) < len(rows)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_database_of_every_earlier_version_comes_to_the_current_one_with_its_plays(tmp_path, version):
    path = tmp_path / "library.db"
    store = _migrated(path, version,
                      "INSERT INTO tracks (path, size, mtime_ns, title, added_at, updated_at) "
                      "VALUES ('/m/a.flac', 1, 1, 'Kept', 0, 0)",
                      "INSERT INTO sessions (started_at, last_active_at) VALUES (10, 20)",
                      "INSERT INTO plays (id, track_id, session_id, started_at, ms_heard, ended, source, updated_at) "
                      "VALUES (5, 1, 1, 10, 5000, 'stopped', 'radio', 20)")
    assert store.schema_version() == SCHEMA_VERSION
    assert [(r["id"], r["track_id"], r["ms_heard"], r["ended"], r["source"]) for r in store.plays()] == [
        (5, 1, 5000, "stopped", "radio")]
    fresh = Store(tmp_path / "fresh.db")
    assert _plays_schema(store) == _plays_schema(fresh)
    fresh.close()
    assert store.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.forget_history()
    assert store.start_play(1) == 6
    store.close()


def test_a_migration_keeps_the_two_newest_backups_and_deletes_the_older_ones(tmp_path):
    # A backup is a whole copy of the library, taken before every migration; none was ever
    # deleted, so each update that changed the schema left one more copy beside it.
    path = tmp_path / "library.db"
    _db_at(path, 1).close()
    older = []
    for i, version in enumerate((1, 1, 1)):       # copies of the old file, as earlier updates left them
        copy = tmp_path / f"library.db.v{version}.{1000 + i}.bak"
        copy.write_bytes(path.read_bytes())
        os.utime(copy, (1000 + i, 1000 + i))
        older.append(copy)
    (tmp_path / "library.db.v1.1000.bak-wal").write_bytes(b"")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    made = [p for p in tmp_path.glob("library.db.v1.*.bak") if p not in older]
    assert len(made) == 1                           # the one this migration took
    assert sorted(tmp_path.glob("library.db.*.bak")) == sorted([older[2], made[0]])
    assert not (tmp_path / "library.db.v1.1000.bak-wal").exists()
    with sqlite3.connect(made[0]) as kept:          # still the library as it was
        assert kept.execute("PRAGMA user_version").fetchone()[0] == 1


def test_backups_are_pruned_by_when_their_names_say_they_were_taken_not_by_their_files_times(tmp_path):
    # Forgetting the history rewrites every backup, in the order of their names (v10 before
    # v9): by the files' times, the oldest backup was kept and the newer ones deleted, and
    # a file that only ended in .bak beside the library went with them.
    path = tmp_path / "library.db"
    _db_at(path, 1).close()
    for name, mtime in (("v10.2000", 5000), ("v9.1000", 5001), ("v10.1500", 5002)):
        (tmp_path / f"library.db.{name}.bak").write_bytes(path.read_bytes())
        os.utime(tmp_path / f"library.db.{name}.bak", (mtime, mtime))
    mine = tmp_path / "library.db.before-i-tried-something.bak"
    mine.write_bytes(path.read_bytes())
    os.utime(mine, (1, 1))
    Store(path).close()
    kept = sorted(p.name for p in tmp_path.glob("library.db.*.bak"))
    made = [n for n in kept if n.startswith("library.db.v1.")]
    assert len(made) == 1
    assert kept == sorted([mine.name, "library.db.v10.2000.bak", made[0]])


def test_the_backup_offered_to_restore_is_the_newest_by_its_name_not_by_its_files_time(tmp_path):
    # After forgetting the history rewrote the backups (v10 before v9), the oldest had the
    # newest file time: a damaged library was offered it, the library as it was two updates ago.
    from player.store.connection import newest_backup

    path = tmp_path / "library.db"
    assert newest_backup(path) is None
    mine = tmp_path / "library.db.mine.bak"
    mine.write_bytes(b"a copy made by hand")
    assert newest_backup(path) == mine                  # no migration's backup: what there is
    for name, mtime in (("v10.2000", 5000), ("v9.1000", 5001)):
        (tmp_path / f"library.db.{name}.bak").write_bytes(b"a library")
        os.utime(tmp_path / f"library.db.{name}.bak", (mtime, mtime))
    assert newest_backup(path) == tmp_path / "library.db.v10.2000.bak"


def test_the_backup_a_migration_took_is_kept_whatever_the_others_say(tmp_path):
    # Taken while the clock ran ahead, two older backups have names that say later.
    from player.store.connection import prune_backups

    path = tmp_path / "library.db"
    for name in ("v7.9999999998", "v7.9999999999", "v8.1700000000"):
        (tmp_path / f"library.db.{name}.bak").write_bytes(b"")
    taken = tmp_path / "library.db.v8.1700000000.bak"
    assert [p.name for p in prune_backups(path, taken=taken)] == ["library.db.v7.9999999998.bak"]
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == ["library.db.v7.9999999999.bak", taken.name]


def test_v29_keeps_the_files_stars_and_no_rating_of_the_persons_own(tmp_path):
    from player.store.migrations import _V29

    store = _migrated(tmp_path / "library.db", 28,
                      "INSERT INTO tracks (id, path, size, mtime_ns, rating, added_at, updated_at) "
                      "VALUES (1, '/m/a', 1, 1, 4, 0, 0)",
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (2, '/m/b', 1, 1, 0, 0)")
    assert "own_rating" in _V29 and store.schema_version() == SCHEMA_VERSION >= 29
    got = [(r["id"], r["rating"], r["own_rating"]) for r in store.execute("SELECT * FROM tracks ORDER BY id")]
    assert got == [(1, 4, None), (2, None, None)]


def test_v30_keeps_the_playlists_as_playlists_of_songs_and_can_keep_a_search(tmp_path):
    from player.store.migrations import _V30

    store = _migrated(tmp_path / "library.db", 29,
                      "INSERT INTO tracks (id, path, size, mtime_ns, added_at, updated_at) "
                      "VALUES (1, '/m/a', 1, 1, 0, 0)",
                      "INSERT INTO playlists (id, name, created_at, updated_at) VALUES (1, 'Mix', 0, 0)",
                      "INSERT INTO playlist_entries (playlist_id, position, track_id, path) VALUES (1, 0, 1, '/m/a')")
    assert "query" in _V30 and store.schema_version() == SCHEMA_VERSION >= 30
    assert [(r["name"], r["entries"], r["query"]) for r in store.playlists()] == [("Mix", 1, None)]
    searched = store.save_search("Rated", "rating:>=4")
    assert [(r["name"], r["entries"], r["query"]) for r in store.playlists()] == [
        ("Mix", 1, None), ("Rated", 0, "rating:>=4")]
    assert store.playlist(searched)["query"] == "rating:>=4"
    store.close()


def test_v31_orders_an_existing_library_as_people_sort_names_in_one_step(tmp_path):
    # A library written by the schema before: NOCASE put 10cc before 2Pac, "Vol. 10" before
    # "Vol. 2" and Émilie after Zola. Opened, every track has its keys and the order's index is used.
    from player.store.migrations import _v31

    names = [("Zola", "A"), ("Émilie Simon", "Vol. 10"), ("10cc", "B"), ("2Pac", "C"), ("Émilie Simon", "Vol. 2"),
             (None, None)]
    rows = [("INSERT INTO tracks (id, path, size, mtime_ns, artist, album, added_at, updated_at) "
             "VALUES (?, ?, 1, 1, ?, ?, 0, 0)", (i + 1, f"/m/{i}", artist, album))
            for i, (artist, album) in enumerate(names)]
    conn = _db_at(tmp_path / "old.db", 30)
    for row in rows:
        conn.execute(*row)
    conn.commit()
    # (no step of it commits on its own: stopped before its end, a crash, nothing of it stays)
    index = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'tracks_library_order'").fetchone()
    conn.execute("BEGIN")
    _v31(conn)
    conn.execute("ROLLBACK")
    assert "order_artist_key" not in [r[1] for r in conn.execute("PRAGMA table_info(tracks)")]
    assert conn.execute("SELECT sql FROM sqlite_master WHERE name = 'tracks_library_order'").fetchone() == index
    conn.close()

    store = _migrated(tmp_path / "library.db", 30, *rows)
    assert store.schema_version() == SCHEMA_VERSION >= 31
    assert any("tracks_library_order" in step for step in _library_order_plan(store))
    assert [(r["artist"], r["album"]) for r in store.library_rows(["artist", "album"])] == [
        (None, None), ("2Pac", "C"), ("10cc", "B"), ("Émilie Simon", "Vol. 2"), ("Émilie Simon", "Vol. 10"),
        ("Zola", "A")]
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 0
    store.close()


def test_v32_drops_the_index_nothing_read_and_the_unkeyed_rows_are_still_found_by_an_index(tmp_path):
    # v31's index of the rows without order keys was never chosen: the order's index begins
    # with the same key. Gone, the checks every write makes still search an index, not the table.
    store = _migrated(tmp_path / "library.db", 31,
                      "INSERT INTO tracks (id, path, size, mtime_ns, artist, album, added_at, updated_at) "
                      "VALUES (1, '/m/a', 1, 1, 'Zola', 'A', 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION >= 32
    names = [r[0] for r in store.execute("SELECT name FROM sqlite_master WHERE type = 'index'")]
    assert "tracks_order_unkeyed" not in names and "tracks_library_order" in names
    for query in ("SELECT 1 FROM tracks WHERE order_artist_key IS NULL LIMIT 1",
                  "SELECT id, artist, album FROM tracks WHERE order_artist_key IS NULL"):
        plan = " ".join(r[3] for r in store.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "USING" in plan and "INDEX tracks_library_order" in plan, plan
    assert store.execute("SELECT count(*) FROM tracks WHERE order_artist_key IS NULL").fetchone()[0] == 0
    store.close()


def test_the_migrations_to_mount_points_and_away_home_keep_the_library_and_know_none_yet(tmp_path):
    store = _migrated(tmp_path / "library.db", 31,
                      "INSERT INTO folders (path, added_at) VALUES ('/music', 0)",
                      "INSERT INTO tracks (path, folder_id, size, mtime_ns, title, added_at, updated_at) "
                      "VALUES ('/music/nas/a.flac', 1, 1, 1, 'A', 0, 0)")
    assert store.schema_version() == SCHEMA_VERSION
    assert [t["title"] for t in store.tracks()] == ["A"]
    assert store.mount_points(1) == set() and store.away_homes() == {}
    store.note_mount_points(1, ["/music/nas"])
    store.remove_folder("/music")                   # the folder forgotten: its mount points with it
    assert store.mount_points(1) == set()
