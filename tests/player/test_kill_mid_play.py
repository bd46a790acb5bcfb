"""SIGKILL the player mid-play: the play is in the database with the time heard so far."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.audiogen import write_track

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, sys, time
    from player.audio.null_engine import NullEngine
    from player.library.tags import read_tags
    from player.playback import Player
    from player.store import Store

    path = sys.argv[1]
    store = Store.open()
    st = os.stat(path)
    store.upsert_tracks([{"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, **read_tags(path)}])
    player = Player(store, NullEngine(), progress_interval_s=0.5)
    asked = time.monotonic()
    player.play_track(store.track_by_path(path)["id"], source="cli")
    print("playing", asked, flush=True)
    time.sleep(600)
""")


def heard_so_far(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT max(ms_heard) FROM plays").fetchone()
    except sqlite3.OperationalError:  # the child is still creating the schema
        return 0
    finally:
        db.close()
    return row[0] or 0


@contextlib.contextmanager
def playing_child(script: str, tmp_path: Path, segue_home: Path):
    """A player in a process of its own (``script``) playing a 60 s song, from the moment it
    says it plays; ended (killed, if nothing ended it) and its pipes closed afterwards."""
    song = write_track(tmp_path, "long", fmt="flac", seconds=60.0, freq=220.0,
                       tags={"title": "Long", "artist": "Someone"})
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", script, str(song)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = child.stdout.readline().split()
        assert said[:1] == ["playing"], child.stderr.read()
        # When the play was asked for, on the clock this process shares (the line may reach a
        # busy test much later: time counted from then would be short of what was heard).
        child.asked_at = float(said[1])
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_play_keeps_the_play(tmp_path, segue_home):
    with playing_child(CHILD, tmp_path, segue_home) as child:
        t_playing = child.asked_at
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 1000 and time.monotonic() < deadline:  # ~2 s of real time, more on a loaded box
            time.sleep(0.2)
            seen = heard_so_far(segue_home / "library.db")
        assert seen >= 1000, "the child never logged progress"
        os.kill(child.pid, signal.SIGKILL)
        elapsed_ms = (time.monotonic() - t_playing) * 1000
        assert child.wait(10) == -signal.SIGKILL

    db = sqlite3.connect(segue_home / "library.db")
    rows = db.execute("SELECT ended, ms_heard, track_ms, source FROM plays").fetchall()
    db.close()
    assert len(rows) == 1
    ended, ms_heard, track_ms, source = rows[0]
    assert ended == "playing" and source == "cli"  # nobody closed it: it was killed
    assert seen <= ms_heard <= elapsed_ms + 200  # all that was written is there; real time only
    assert track_ms == pytest.approx(60000, abs=5)

    # The next start closes it as stopped, keeping the time heard, and goes on with the
    # session the kill broke off (seconds ago, well inside the session gap).
    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store

    store = Store.open()
    player = Player(store, NullEngine())
    try:
        (row,) = store.plays()
        assert (row["ended"], row["ms_heard"]) == ("stopped", ms_heard)
        assert player.session == [row["track_id"]]
    finally:
        player.close()
        store.close()


# The progress ticks are a minute apart: any time heard in the row before then is the one
# write made as the sound gets under way.
FIRST_SECONDS = CHILD.replace("progress_interval_s=0.5", "progress_interval_s=60.0")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_play_killed_in_its_first_seconds_still_counts_once_it_was_heard(tmp_path, segue_home):
    # Killed a moment after the sound started, before the first progress tick: the row says
    # it was heard, so the next start closes it as a play that counts, not one of 0 ms.
    assert FIRST_SECONDS != CHILD
    db_path = segue_home / "library.db"
    with playing_child(FIRST_SECONDS, tmp_path, segue_home) as child:
        deadline = time.monotonic() + 30
        while heard_so_far(db_path) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        early = heard_so_far(db_path)
        os.kill(child.pid, signal.SIGKILL)
        elapsed_ms = (time.monotonic() - child.asked_at) * 1000
        assert child.wait(10) == -signal.SIGKILL
    assert 0 < early <= elapsed_ms, "no time heard was written before the first progress tick"

    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store

    store = Store.open()
    player = Player(store, NullEngine())
    try:
        (row,) = store.plays()
        assert (row["ended"], row["ms_heard"]) == ("stopped", early)
        assert store.library_counts()["plays"] == 1     # as `segue status` and the library show it
    finally:
        player.close()
        store.close()


def _play_row(db_path: Path, play_id: int) -> tuple[str, int]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT ended, ms_heard FROM plays WHERE id = ?", (play_id,)).fetchone()
    finally:
        db.close()


def test_segue_play_beside_a_playing_window_leaves_its_play_open_until_it_is_killed(tmp_path, segue_home):
    # The window (a player in another process) plays a long song; `segue play` starts, plays
    # a short one and ends. The window's play is not one a killed player left: it stays
    # open and its progress goes on being written. Once the window is killed, the next start
    # closes it, with all it had written. (kill(): SIGKILL here, TerminateProcess on Windows.)
    short = write_track(tmp_path, "short", fmt="flac", seconds=0.5, freq=330.0,
                        tags={"title": "Short", "artist": "Else"})
    db_path = segue_home / "library.db"
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT)}
    with playing_child(CHILD, tmp_path, segue_home) as window:
        deadline = time.monotonic() + 30
        while heard_so_far(db_path) < 500 and time.monotonic() < deadline:
            time.sleep(0.1)
        cli = subprocess.run([sys.executable, "-m", "player", "play", "--null", str(short)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        ended, heard_then = _play_row(db_path, 1)
        assert ended == "playing"                       # the window's play was left alone...
        deadline = time.monotonic() + 30
        while _play_row(db_path, 1)[1] < heard_then + 1000 and time.monotonic() < deadline:
            time.sleep(0.1)
        ended, heard = _play_row(db_path, 1)
        assert ended == "playing" and heard >= heard_then + 1000   # ...and its progress is still written
        window.kill()
        window.wait(10)
    ended, heard = _play_row(db_path, 1)
    assert ended == "playing"

    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store
    from player.store.owners import owner_alive

    # Windows lets go of a killed process's locks a moment after it ends.
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    (token,) = db.execute("SELECT owner FROM plays WHERE id = 1").fetchone()
    db.close()
    assert token
    deadline = time.monotonic() + 10
    while owner_alive(segue_home / "players", token) and time.monotonic() < deadline:
        time.sleep(0.05)

    store = Store.open()
    player = Player(store, NullEngine())            # the next start: its owner is gone now
    try:
        rows = store.plays()
        assert (rows[0]["ended"], rows[0]["ms_heard"]) == ("stopped", heard) and rows[1]["ended"] == "finished"
        assert [p.name for p in (segue_home / "players").iterdir()] == [player._owner.token]
    finally:
        player.close()
        store.close()
    assert list((segue_home / "players").iterdir()) == []


WINDOW = CHILD.replace("player = Player(store, NullEngine(), progress_interval_s=0.5)\n",
                       "player = Player(store, NullEngine(), progress_interval_s=0.5)\n"
                       "player.restore_state()\n")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_window_resumes_its_song_at_most_a_few_ticks_before_where_it_was(tmp_path, segue_home):
    # The window saves the place of a song playing on every few progress ticks, not at each
    # (the state holds all of Up next): killed, it comes back that much before at most.
    from player.playback import PLACE_SAVE_TICKS

    assert WINDOW != CHILD
    with playing_child(WINDOW, tmp_path, segue_home) as child:
        t_playing = child.asked_at
        deadline = time.monotonic() + 30
        while heard_so_far(segue_home / "library.db") < 6000 and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(child.pid, signal.SIGKILL)
        elapsed = time.monotonic() - t_playing
        heard = heard_so_far(segue_home / "library.db") / 1000
        assert child.wait(10) == -signal.SIGKILL
    assert heard >= 6.0, "the child never logged progress"

    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store

    store = Store.open()
    player = Player(store, NullEngine())
    try:
        cued = player.restore_state()
        # What was heard by the last progress tick, less the ticks the place may wait for.
        assert heard - PLACE_SAVE_TICKS * 0.5 - 0.2 <= cued.position <= elapsed + 0.2
    finally:
        player.close()
        store.close()


BUSY = textwrap.dedent("""
    import os, sys, time
    from player.audio.null_engine import NullEngine
    from player.library.tags import read_tags
    from player.playback import Player
    from player.store import Store

    path = sys.argv[1]
    store = Store.open()
    st = os.stat(path)
    store.upsert_tracks([{"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, **read_tags(path)}])
    player = Player(store, NullEngine(), progress_interval_s=0.5)
    track_id = store.track_by_path(path)["id"]
    print("ready", flush=True)
    sys.stdin.readline()            # the library is held by the test now
    player.play_track(track_id, source="cli")
    print("playing", flush=True)
    time.sleep(600)
""")


@contextlib.contextmanager
def playing_beside_an_import(script: str, tmp_path: Path, segue_home: Path):
    """A player in a process of its own (``script``, as ``BUSY``) playing a 60 s song, begun
    while another connection (an import) holds the library's write lock: ``(child, writer)``
    from the moment it says it plays; ended (killed, if nothing ended it), its pipes closed
    and the import ended (rolled back where still open) afterwards."""
    song = write_track(tmp_path, "long", fmt="flac", seconds=60.0, freq=220.0,
                       tags={"title": "Long", "artist": "Someone"})
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", script, str(song)], env=env, cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = None
    try:
        assert child.stdout.readline().split() == ["ready"], child.stderr.read()
        writer = sqlite3.connect(segue_home / "library.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")     # an import in another process
        child.asked_at = time.monotonic()
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().split() == ["playing"], child.stderr.read()
        yield child, writer
    finally:
        if child.poll() is None:
            child.kill()
        for pipe in (child.stdin, child.stdout, child.stderr):
            pipe.close()
        if writer is not None:
            writer.close()


def _kept(db_path: Path) -> list[dict]:
    from player.kept_plays import journal_path, read

    return read(journal_path(db_path))[0]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("taken_before_kill", [False, True], ids=["killed-while-held", "killed-once-written"])
def test_a_play_refused_by_a_busy_library_survives_a_kill_exactly_once(tmp_path, segue_home, taken_before_kill):
    # Another process holds the library's write lock as the player starts a song: the play
    # is refused and kept. Killed while the lock is still held, the kept play was only in its
    # memory (the file was written at close) and was lost; now it is in the file at once, its
    # time heard brought up to date at each tick, and the next start writes it, once. Killed
    # after the library took it, the file no longer holds it and the next start adds nothing.
    from player.kept_plays import journal_path

    db_path = segue_home / "library.db"
    with playing_beside_an_import(BUSY, tmp_path, segue_home) as (child, writer):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            kept = _kept(db_path)
            if kept and kept[0]["ended"] and kept[0]["ended"][1] >= 1000:
                break
            time.sleep(0.1)
        assert len(kept) == 1 and kept[0]["ended"][1] >= 1000, kept      # in the file as it plays
        heard_kept = kept[0]["ended"][1]
        if taken_before_kill:
            writer.execute("ROLLBACK")
            deadline = time.monotonic() + 60
            while (journal_path(db_path).exists() or heard_so_far(db_path) < heard_kept) \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not journal_path(db_path).exists()       # written, and out of the file
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL

    rows, _ = next_start_writes_the_kept_plays(db_path)
    assert len(rows) == 1
    assert rows[0]["ended"] == "stopped" and rows[0]["ms_heard"] >= heard_kept
    assert rows[0]["source"] == "cli"


def next_start_writes_the_kept_plays(db_path: Path) -> tuple[list, int]:
    """Start a player on the library a killed one left, wait till it wrote the plays kept in
    the file: the plays the library holds then, and how many count (as `segue status` says)."""
    from player.audio.null_engine import NullEngine
    from player.kept_plays import journal_path
    from player.playback import Player
    from player.store import Store

    store = Store.open()
    player = Player(store, NullEngine())
    try:
        deadline = time.monotonic() + 60
        while (player.unsaved_plays or journal_path(db_path).exists()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert player.unsaved_plays == 0 and not journal_path(db_path).exists()
        return store.plays(), store.library_counts()["plays"]
    finally:
        player.close()
        store.close()
