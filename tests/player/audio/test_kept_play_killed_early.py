"""A play the busy library refused, killed in its first seconds, still counts once it was heard.

The output is the real one (PortAudio into the null sink): its sound gets under way a moment
after the play is refused and kept, as a sound card's does.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.audiogen import write_track
from tests.player.test_kill_mid_play import BUSY, ROOT, _kept

# Into the sound card, and the progress ticks a minute apart: any time heard in the kept
# file before then is the one write made as the sound gets under way.
FIRST_SECONDS = (BUSY.replace("from player.audio.null_engine import NullEngine",
                              "from player.audio.sd_engine import SoundDeviceEngine")
                 .replace("Player(store, NullEngine(), progress_interval_s=0.5)",
                          "Player(store, SoundDeviceEngine(), progress_interval_s=60.0)"))
# The same song left part-way at the last close (10 s heard), gone on with from there.
RESUMED = (FIRST_SECONDS
           .replace("player = Player(", "from player.playback import STATE_SETTING\n"
                    "track_id = store.track_by_path(path)['id']\n"
                    "left = store.start_play(track_id, track_ms=60_000)\n"
                    "store.end_play(left, 'stopped', 10_000)\n"
                    "store.set_setting(STATE_SETTING, {'queue': [], 'keep_going': False, "
                    "'current': [track_id, 'cli', True, 10.0, 10.0, 10.0, left, False]})\n"
                    "player = Player(")
           .replace('player.play_track(track_id, source="cli")', "player.restore_state()\nplayer.resume()"))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("resumed", [False, True], ids=["begun", "gone-on-with"])
def test_a_play_refused_by_a_busy_library_and_killed_in_its_first_seconds_still_counts(
        tmp_path, segue_home, null_sink, resumed):
    # Another process holds the library as the song starts: its play is kept in the file at
    # once, with 0 ms heard, the output not started yet. Killed a moment after the sound got
    # under way (long before a tick), the file says it was heard, and the next start writes
    # a play that counts, not one stopped at 0 ms that counts nowhere. Gone on with from the
    # last run, the play's row holds both sittings.
    from player.audio.null_engine import NullEngine
    from player.kept_plays import journal_path
    from player.playback import Player
    from player.store import Store

    assert "SoundDeviceEngine()" in FIRST_SECONDS and "60.0" in FIRST_SECONDS
    song = write_track(tmp_path, "long", fmt="flac", seconds=60.0, freq=220.0,
                       tags={"title": "Long", "artist": "Someone"})
    db_path = segue_home / "library.db"
    env = {**os.environ, "SEGUE_HOME": str(segue_home), "PYTHONPATH": str(ROOT)}
    script = RESUMED if resumed else FIRST_SECONDS
    child = subprocess.Popen([sys.executable, "-c", script, str(song)], env=env, cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = None
    try:
        assert child.stdout.readline().split() == ["ready"], child.stderr.read()
        writer = sqlite3.connect(db_path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")     # an import in another process
        asked = time.monotonic()
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().split() == ["playing"], child.stderr.read()
        deadline = time.monotonic() + 20
        while not ((kept := _kept(db_path)) and kept[0]["ended"][1]) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        elapsed_ms = (time.monotonic() - asked) * 1000
        assert child.wait(10) == -signal.SIGKILL
        assert len(kept) == 1 and 0 < kept[0]["ended"][1] <= elapsed_ms, kept     # heard, before any tick
    finally:
        if child.poll() is None:
            child.kill()
        for pipe in (child.stdin, child.stdout, child.stderr):
            pipe.close()
        if writer is not None:
            writer.close()      # (the import ends)

    store = Store.open()
    player = Player(store, NullEngine())        # the next start
    try:
        deadline = time.monotonic() + 60
        while (player.unsaved_plays or journal_path(db_path).exists()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert player.unsaved_plays == 0 and not journal_path(db_path).exists()
        (row,) = store.plays()
        assert (row["ended"], row["ms_heard"]) == ("stopped", kept[0]["ended"][1] + (10_000 if resumed else 0))
        assert store.library_counts()["plays"] == 1     # as `segue status` and the library show it
    finally:
        player.close()
        store.close()
