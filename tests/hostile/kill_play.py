"""SIGKILL ``segue play`` over and over; say how many plays it announced and how many the database kept.

Run as ``python -m tests.hostile.kill_play SEGUE_HOME AUDIO_FILE N``. The parent imports
Segue once and forks a child per round that runs the real command (``player.cli.main``
with ``play --null``), so a round costs tens of milliseconds, not a Python start-up. Each
child is killed at a random moment: before its play starts, just after, or mid-play.
Prints one JSON line: rounds, plays announced ("playing:" printed, so committed), and
the plays and integrity the database shows after all the kills.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import sys
import time


def _count(db: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM plays").fetchone()[0]
    finally:
        conn.close()


def main(home: str, audio: str, rounds: int, seed: int = 7) -> dict:
    os.environ["SEGUE_HOME"] = home
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import player.audio.null_engine  # noqa: F401 - imported once here, not in every child
    import player.cli as cli
    import player.commands.play  # noqa: F401
    import player.library.open_files  # noqa: F401
    import player.playback  # noqa: F401
    import player.store  # noqa: F401

    rng = random.Random(seed)
    db = os.path.join(home, "library.db")
    announced = 0
    killed_before_start = 0
    for _ in range(rounds):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:                                   # the child: a real `segue play`
            os.close(read_fd)
            os.dup2(write_fd, 1)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            try:
                code = cli.main(["play", "--null", "--seconds", "60", audio])
            finally:
                os._exit(99)
            os._exit(code)
        os.close(write_fd)
        early = rng.random() < 0.2                    # sometimes before the play has started
        wait_s = rng.uniform(0.0, 0.05) if early else 10.0
        seen, buf, deadline = False, b"", time.monotonic() + wait_s
        while not seen and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                chunk = os.read(read_fd, 4096)
                if not chunk:
                    break
                buf += chunk
                seen = b"playing:" in buf
        if seen:
            announced += 1
            time.sleep(rng.choice([0.0, 0.0, rng.uniform(0.0, 0.6)]))   # just after, or mid-play
        else:
            killed_before_start += 1
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
    conn = sqlite3.connect(db, timeout=30)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        plays = conn.execute("SELECT count(*) FROM plays").fetchone()[0]
        open_plays = conn.execute("SELECT count(*) FROM plays WHERE ended = 'playing'").fetchone()[0]
    finally:
        conn.close()
    return {"rounds": rounds, "announced": announced, "killed_before_start": killed_before_start,
            "plays": plays, "still_playing": open_plays, "integrity": integrity}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
