"""Forgetting the listening history reaches the copies beside the database and the logs."""

import threading
import time

import pytest

from player.store import Store


def _track(store, path):
    store.upsert_tracks([{"path": path, "size": 10, "mtime_ns": 1, "title": "T", "artist": "A", "duration": 200.0}])
    return store.track_by_path(path)["id"]


def test_backups_lose_their_plays_damaged_copies_go_and_logs_lose_paths(store, segue_home):
    music = str(segue_home.parent / "music")
    store.add_folder(music)
    tid = _track(store, f"{music}/Rock/song one.flac")
    outside = _track(store, "/media/usb/secret album/track.mp3")
    for t in (tid, outside):
        store.end_play(store.start_play(t), "finished", 1000, error="MARKER-forget-me-0123456789")
    backup = store.backup(segue_home / "library.db.v4.1700000000.bak")
    damaged = segue_home / "library.db.damaged-20260101-000000"
    damaged.write_bytes(b"not a database, but it held plays MARKER-forget-me-0123456789")
    logs = segue_home / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "segue.log").write_text(
        f"2026-01-01 INFO player.library.scanner: skipped '{music}/Rock/song one.flac': damaged\n"
        "2026-01-01 INFO player.playback: playing /media/usb/secret album/track.mp3\n"
        "2026-01-01 INFO player.ui: window shown\n")
    (logs / "segue.log.1").write_text(f"2026-01-01 INFO x: '{music}/Rock' scanned\n")

    store.forget_history()

    assert store.play_count() == 0 and store.track(tid) is not None
    copy = Store(backup)
    try:
        assert copy.play_count() == 0 and len(copy.tracks()) == 2          # a library to restore, no history
    finally:
        copy.close()
    assert not damaged.exists()
    for f in segue_home.glob("library.db*"):
        assert b"MARKER-forget-me" not in f.read_bytes(), f
    text = (logs / "segue.log").read_text() + (logs / "segue.log.1").read_text()
    assert music not in text and "/media/usb" not in text and "secret album" not in text
    assert "window shown" in text and text.count("<path removed>") == 3


def test_logs_lose_windows_paths_logged_with_their_backslashes_doubled(tmp_path):
    # Paths are mostly logged with %r, which on Windows doubles every backslash.
    from player.log import scrub_paths

    music, home = "C:\\Users\\ann\\Music", "C:\\Users\\ann"
    song, band = music + "\\Rock\\song one.flac", music + "\\Guns N' Roses\\b.flac"
    log = tmp_path / "segue.log"
    log.write_text(f"INFO player.library.scanner: skipped {song!r}: damaged\n"
                   f"INFO player.library.scanner: {song!r} moved to {band!r}\n"
                   f"INFO player.playback: playing {song}\n"
                   f"INFO player.ui: cannot list {home + chr(92) + 'Desktop'!r}: denied\n"
                   "INFO player.ui: window shown\n", encoding="utf-8")

    assert scrub_paths([music, home], tmp_path) == 4

    text = log.read_text(encoding="utf-8")
    assert "Users" not in text and "song one" not in text and "Roses" not in text, text
    assert text.count("<path removed>") == 5 and "window shown" in text
    assert "skipped '<path removed>': damaged" in text and "'<path removed>' moved to \"<path removed>\"" in text


def _holding_a_read(db_path):
    """Another program's connection in the middle of a read of the plays (a long export)."""
    import sqlite3

    reader = sqlite3.connect(db_path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM plays").fetchone()[0] > 0
    return reader


def test_a_reader_that_holds_off_the_checkpoint_is_reported_and_the_next_start_cleans(segue_home):
    """A reader outlasting the busy timeout kept the forgotten plays' pages in the WAL and the
    database file, and the forget said nothing: it now says so, and the next start cleans them
    (here another program starting while the window still has the library open; the last
    connection to close checkpoints too)."""
    db = segue_home / "library.db"
    store = Store(db, busy_timeout_s=0.05)
    try:
        tid = _track(store, "/music/a.flac")
        for _ in range(3):
            store.end_play(store.start_play(tid), "finished", 1000, error="MARKER-forget-me-0123456789")
        reader = _holding_a_read(db)
        try:
            assert store.forget_history() is False
            assert store.play_count() == 0 and store.history_left_on_disk()
        finally:
            reader.close()
        # (the forgotten plays are still in the files: what the report is about)
        assert any(b"MARKER-forget-me" in f.read_bytes() for f in segue_home.glob("library.db*"))

        again = Store.open(db)
        try:
            assert not again.history_left_on_disk() and again.play_count() == 0
            for f in segue_home.glob("library.db*"):
                assert b"MARKER-forget-me" not in f.read_bytes(), f
        finally:
            again.close()
    finally:
        store.close()


def test_a_forget_with_no_reader_in_the_way_says_the_files_are_clean(store, segue_home):
    tid = _track(store, "/music/a.flac")
    store.end_play(store.start_play(tid), "finished", 1000, error="MARKER-forget-me-0123456789")
    assert store.forget_history() is True
    assert not store.history_left_on_disk()
    for f in segue_home.glob("library.db*"):
        assert b"MARKER-forget-me" not in f.read_bytes(), f


@pytest.mark.slow       # (the checkpoint's tries wait for the reader: some seconds)
def test_a_reader_holding_off_the_checkpoint_does_not_hold_off_play_logging_for_long(segue_home):
    """A checkpoint waiting for a reader holds the library's write lock: with the busy timeout
    of the library's connections (30 s) each try waited that long, three times, and a play
    logged meanwhile (the player on its own thread) waited with it, then failed as "database
    is locked". The wait is bounded to seconds, and a play logged meanwhile is written."""
    db = segue_home / "library.db"
    store = Store(db)           # the library's own busy timeout, as the window opens it
    threads = []
    try:
        tid = _track(store, "/music/a.flac")
        store.end_play(store.start_play(tid), "finished", 1000)
        reader = _holding_a_read(db)
        try:
            said, logged = [], []
            forget = threading.Thread(target=lambda: said.append(store.forget_history()), daemon=True)
            forget.start()
            threads.append(forget)
            # (the forget's delete is in: the checkpoint is what it waits on now)
            deadline = time.monotonic() + 20
            while store.history_forgotten_at() == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            play = threading.Thread(target=lambda: logged.append(store.start_play(tid)), daemon=True)
            play.start()
            threads.append(play)
            for t in threads:
                t.join(20)
            assert said == [False] and len(logged) == 1, (said, logged)
        finally:
            reader.close()
            for t in threads:
                t.join()
        assert store.play_count() == 1 and store.history_left_on_disk()
    finally:
        store.close()


def test_a_forget_killed_before_its_checkpoint_is_cleaned_at_the_next_start(segue_home):
    """A forget whose program was killed after the delete and before the checkpoint (the
    window closed by a logout, a crash) left the forgotten plays' pages in the WAL with no
    word of it: nothing cleaned them at the next start. The mark that the files are not clean
    yet is written with the delete, and taken off once the checkpoint is done."""
    import subprocess
    import sys

    db = segue_home / "library.db"
    store = Store(db)
    try:
        tid = _track(store, "/music/a.flac")
        store.end_play(store.start_play(tid), "finished", 1000, error="MARKER-forget-me-0123456789")
    finally:
        store.close()
    # (a program of its own, killed at the checkpoint: its connection never closes)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from player.store import Store, plays\n"
        "plays._checkpointed = lambda *a, **k: os._exit(9)\n"
        "Store(sys.argv[1]).forget_history()\n"), str(db)], capture_output=True, text=True, timeout=60)
    assert killed.returncode == 9, killed.stderr
    assert any(b"MARKER-forget-me" in f.read_bytes() for f in segue_home.glob("library.db*"))

    again = Store.open(db)
    try:
        assert again.play_count() == 0 and not again.history_left_on_disk()
        for f in segue_home.glob("library.db*"):
            assert b"MARKER-forget-me" not in f.read_bytes(), f
    finally:
        again.close()
