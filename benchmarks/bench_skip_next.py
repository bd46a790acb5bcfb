"""How long a skip to the track set next is silent, by how far the song playing is from its end.

    python benchmarks/bench_skip_next.py [--repeat 5] [--burners 0]

The engine opens the next track's file as it is set after a song of ordinary length, and after
a long piece only once the output has less than NEXT_OPEN_AHEAD_S to play before it. A skip to
it (Next pressed) before then opens its file then, and the output is silent meanwhile; a skip
with the file open already takes it. Each row plays a FLAC through the null engine in real
time -- a 60 s song, or a long piece 30 s longer than NEXT_OPEN_AHEAD_S -- sets the next track
(a 3 s FLAC, or a 3 s AAC in M4A that ffmpeg decodes: an ffprobe and an ffmpeg to start), and
skips to it with the output the given seconds from the song's end; timed from the play to the
first frame of the skipped-to track the output takes. ``--burners``: busy loops beside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import soundfile as sf  # noqa: E402

from player.audio import feeder  # noqa: E402
from player.audio.base import Source  # noqa: E402
from player.audio.null_engine import NullEngine  # noqa: E402
from tests.audiogen import tone, write_audio  # noqa: E402

SR = 44100
SONG_S = 60.0


def wait(cond, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.001)
    return False


def skip_silence(song: Path, song_s: float, nxt: Path, left_s: float) -> float:
    """Seconds from a play of ``nxt`` (set next) to the output's first frame of it, the song
    (``song_s`` long) playing ``left_s`` from its end."""
    e = NullEngine(speed=1.0)
    try:
        src = Source(str(song), duration_hint=song_s)
        e.play(src)
        assert e.sync()
        e.seek(song_s - left_s, src)
        e.set_next(Source(str(nxt), duration_hint=3.0))
        # (a few feeder passes, and the file's open where it is begun: as a person listens a while)
        assert wait(lambda: e.sync() and (e._nopen is None or getattr(e._nopen, "deferred", False)))
        time.sleep(0.3)
        skipped = Source(str(nxt), duration_hint=3.0)
        start = time.monotonic()
        e.play(skipped)
        assert wait(lambda: skipped.heard_frames > 0), "the skipped-to track was never heard"
        return time.monotonic() - start
    finally:
        e.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--burners", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burners)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            long_s = feeder.NEXT_OPEN_AHEAD_S + 30.0
            songs = {SONG_S: write_audio(tmp / "song.flac", tone(SONG_S, freq=440), SR),
                     long_s: write_audio(tmp / "long.flac", tone(long_s, freq=440), SR)}
            flac = write_audio(tmp / "next.flac", tone(3.0, freq=660), SR)
            sf.write(str(tmp / "next.wav"), tone(3.0, freq=660), SR, subtype="FLOAT")
            m4a = tmp / "next.m4a"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(tmp / "next.wav"), "-c:a", "aac", str(m4a)],
                           check=True)
            os.unlink(tmp / "next.wav")
            print(f"OPEN_AHEAD_S {feeder.OPEN_AHEAD_S:g} s, NEXT_OPEN_AHEAD_S {feeder.NEXT_OPEN_AHEAD_S:g} s, "
                  f"{args.repeat} skips a row, {args.burners} burners")
            print(f"{'next track':<12}{'song':>7}{'song left':>10}{'median ms':>11}{'max ms':>9}")
            for name, path in (("flac", flac), ("m4a", m4a)):
                for song_s, left_s in ((SONG_S, 50.0), (SONG_S, 10.0), (long_s, long_s - 10.0), (long_s, 10.0)):
                    times = [skip_silence(songs[song_s], song_s, path, left_s) for _ in range(args.repeat)]
                    print(f"{name:<12}{song_s:>6.0f}s{left_s:>9.0f}s{1000 * statistics.median(times):>11.0f}"
                          f"{1000 * max(times):>9.0f}")
    finally:
        for p in burners:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
