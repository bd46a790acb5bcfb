"""SIGKILL the player mid-play: the play is in the database with the time heard so far."""

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
    player.play_track(store.track_by_path(path)["id"], source="cli")
    print("playing", flush=True)
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


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_play_keeps_the_play(tmp_path, segue_home):
    song = write_track(tmp_path, "long", fmt="flac", seconds=60.0, freq=220.0,
                       tags={"title": "Long", "artist": "Someone"})
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(song)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "playing", child.stderr.read()
        t_playing = time.monotonic()
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 1000 and time.monotonic() < deadline:  # ~2 s of real time, more on a loaded box
            time.sleep(0.2)
            seen = heard_so_far(segue_home / "library.db")
        assert seen >= 1000, "the child never logged progress"
        os.kill(child.pid, signal.SIGKILL)
        elapsed_ms = (time.monotonic() - t_playing) * 1000
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()

    db = sqlite3.connect(segue_home / "library.db")
    rows = db.execute("SELECT ended, ms_heard, track_ms, source FROM plays").fetchall()
    db.close()
    assert len(rows) == 1
    ended, ms_heard, track_ms, source = rows[0]
    assert ended == "playing" and source == "cli"  # nobody closed it: it was killed
    assert seen <= ms_heard <= elapsed_ms + 200  # all that was written is there; real time only
    assert track_ms == pytest.approx(60000, abs=5)

    # The next start closes it as stopped, keeping the time heard.
    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store

    store = Store.open()
    player = Player(store, NullEngine())
    try:
        (row,) = store.plays()
        assert (row["ended"], row["ms_heard"]) == ("stopped", ms_heard)
    finally:
        player.close()
        store.close()
