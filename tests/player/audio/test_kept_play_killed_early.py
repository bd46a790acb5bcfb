"""A play the busy library refused, killed in its first seconds, still counts once it was heard.

The output is the real one (PortAudio into the null sink): its sound gets under way a moment
after the play is refused and kept, as a sound card's does.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from tests.player.test_kill_mid_play import BUSY, _kept, next_start_writes_the_kept_plays, playing_beside_an_import

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
    assert "SoundDeviceEngine()" in FIRST_SECONDS and "60.0" in FIRST_SECONDS and "restore_state" in RESUMED
    db_path = segue_home / "library.db"
    with playing_beside_an_import(RESUMED if resumed else FIRST_SECONDS, tmp_path, segue_home) as (child, _):
        deadline = time.monotonic() + 20
        while not ((kept := _kept(db_path)) and kept[0]["ended"][1]) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        elapsed_ms = (time.monotonic() - child.asked_at) * 1000
        assert child.wait(10) == -signal.SIGKILL
    assert len(kept) == 1 and 0 < kept[0]["ended"][1] <= elapsed_ms, kept     # heard, before any tick

    (row,), counted = next_start_writes_the_kept_plays(db_path)
    assert (row["ended"], row["ms_heard"]) == ("stopped", kept[0]["ended"][1] + (10_000 if resumed else 0))
    assert counted == 1
