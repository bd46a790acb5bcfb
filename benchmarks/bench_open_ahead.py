"""Whether the output runs dry where a track decoded by ffmpeg follows a short one.

    python benchmarks/bench_open_ahead.py [--burners 2] [--repeat 2] [--late 1.0] [--ways old new]

Plays short queues through the null engine in real time, told what comes next as the player
tells it (once a track is heard, the one after it is set next and the three after that are
set to follow), and counts the output's underruns and its longest silence between the first
track's start and the last one's end (every track is a sine tone: a silence of more than a
few samples is a gap). The last track is an AAC in M4A: ffmpeg decodes it, so its open
starts an ffprobe and an ffmpeg, which take longer the busier the machine (not timed here:
the table counts what reaches the output). A row is a few runs: a count of underruns says
that a gap happened in that many of them, not how often it happens.

Queues: "song, clip, m4a" (a 6 s FLAC, a 0.6 s FLAC, a 2 s M4A); "song, 1.6 s, m4a" (a track
a little longer than the buffer); "song, song, m4a" (two 6 s FLACs). Each runs idle, with
``--burners`` busy loops (nice 0, one process each) beside it, and with those and the real
ffprobe started ``--late`` seconds late (a busier machine, a disk waking up). Ways, in turns
in the same run: "old", the engine opening a file
after the next one only while the next one is shorter than the buffer (as it was), and
"new", the engine as it is.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

SR = 44100
QUEUES = {
    "song, clip, m4a": [("flac", 6.0), ("flac", 0.6), ("m4a", 2.0)],
    "song, 1.6 s, m4a": [("flac", 6.0), ("flac", 1.6), ("m4a", 2.0)],
    "song, song, m4a": [("flac", 6.0), ("flac", 6.0), ("m4a", 2.0)],
}


def make_file(folder: Path, i: int, kind: str, seconds: float) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    data = np.stack([0.3 * np.sin(2 * np.pi * (330 + 110 * i) * t)] * 2, 1).astype(np.float32)
    path = folder / f"{i}.{kind}"
    if kind == "flac":
        sf.write(str(path), data, SR)
        return path
    wav = folder / f"{i}.wav"
    sf.write(str(wav), data, SR, subtype="FLOAT")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(path)], check=True)
    wav.unlink()
    return path


def old_way(cls):
    """``cls`` opening a file after the next one only while the next one is shorter than the
    buffer, with nothing counted of the track playing, as the engine did."""
    from player.audio.feeder import _same_file

    def _prepare_following(self):
        if self._upcoming is None or not self._following:
            return
        ahead = self._upcoming.duration or self._upcoming.duration_hint
        buffer_s = self._ring.capacity / self.rate
        for source in self._following:
            if ahead is None or ahead >= buffer_s:
                return
            item = next((p for p in self._prepared if _same_file(p.source, source)), None)
            if item is None:
                self._prepared.append(self._start_open(source))
                return
            if not item.done or item.error is not None:
                return
            ahead += item.source.duration or item.source.duration_hint or 0.0

    return type(f"Old{cls.__name__}", (cls,), {"_prepare_following": _prepare_following})


def longest_silence_ms(out: np.ndarray) -> float:
    """The longest run of exact silence between the first and the last sound in ``out``."""
    loud = np.flatnonzero(np.abs(out) > 1e-7)
    if not len(loud):
        return float("nan")
    quiet = np.concatenate([[False], out[loud[0]:loud[-1] + 1] == 0.0, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    return 1000 * max((edges[1::2] - edges[::2]).max(initial=0), 0) / SR


def play_queue(make, paths: list[tuple[Path, float]]) -> dict:
    from player.audio.base import PlaybackState, Source

    engine = make(capture=True)
    sources = [Source(str(p), duration_hint=s) for p, s in paths]
    events = []

    def arm(i: int) -> None:
        engine.set_next(sources[i + 1] if i + 1 < len(sources) else None)
        engine.set_following(sources[i + 2:i + 5])

    def listener(name, data):
        events.append((name, data.get("source")))
        if name == "started" and data.get("source") in sources:
            arm(sources.index(data["source"]))     # (as the player does, from the engine's thread)

    engine.set_listener(listener)
    engine.play(sources[0])
    arm(0)
    deadline = time.monotonic() + sum(s for _, s in paths) + 60
    while not (engine.state is PlaybackState.STOPPED and ("finished", sources[-1]) in events):
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    underruns = engine.underruns
    engine.close()
    out = engine.captured()[:, 0]
    errors = [n for n, _ in events if n == "error"]
    return {"underruns": underruns, "gap_ms": longest_silence_ms(out), "errors": errors}


def slow_ffprobe(folder: Path, wait_s: float) -> str:
    """A folder with the real ffmpeg and the real ffprobe started ``wait_s`` late; its ffmpeg."""
    folder.mkdir()
    (folder / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    (folder / "ffprobe").write_text(f'#!/bin/sh\nsleep {wait_s}\nexec "{shutil.which("ffprobe")}" "$@"\n')
    (folder / "ffprobe").chmod(0o755)
    return str(folder / "ffmpeg")


def burners(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(n)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burners", type=int, default=2, help="busy loops beside the loaded runs (default 2)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per row (default 2)")
    parser.add_argument("--late", type=float, default=1.0, help="seconds ffprobe starts late, loaded (default 1)")
    parser.add_argument("--ways", nargs="+", default=["old", "new"], choices=["old", "new"])
    parser.add_argument("--queues", nargs="+", default=list(QUEUES), choices=list(QUEUES))
    args = parser.parse_args(argv)
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        print("needs ffmpeg and ffprobe")
        return 1
    from player.audio.null_engine import NullEngine

    logging.getLogger("player").setLevel(logging.ERROR)    # (the underruns are counted in the table)
    ways = {"old": old_way(NullEngine), "new": NullEngine}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in args.queues:
            folder = Path(tmp) / name.replace(", ", "-").replace(" ", "")
            folder.mkdir()
            files[name] = [(make_file(folder, i, k, s), s) for i, (k, s) in enumerate(QUEUES[name])]
        saved = os.environ.get("SEGUE_FFMPEG")
        slow = slow_ffprobe(Path(tmp) / "late", args.late)
        for load, late in (("idle", False), (f"{args.burners} busy loops", False),
                           (f"{args.burners} busy, +{args.late:g} s", True)):
            procs = burners(args.burners) if load != "idle" else []
            if late:
                os.environ["SEGUE_FFMPEG"] = slow
            try:
                for name in args.queues:
                    results = {w: [] for w in args.ways}
                    for _ in range(args.repeat):
                        for way in args.ways:     # (in turns: the load drifts alike for both)
                            results[way].append(play_queue(ways[way], files[name]))
                    for way in args.ways:
                        rows.append((load, name, way, results[way]))
                        print(f"  ran {name}, {load}, {way}", flush=True)
            finally:
                for p in procs:
                    p.kill()
                    p.wait()
                if saved is None:
                    os.environ.pop("SEGUE_FFMPEG", None)
                else:
                    os.environ["SEGUE_FFMPEG"] = saved
    print(f"\nopen ahead: null engine in real time, 1.5 s buffer, {args.repeat} runs per row; "
          f"{os.cpu_count()} cores")
    head = (f"{'load':<20} {'queue':<18} {'way':<4} {'runs with underruns':>19} {'underruns':>9} "
            f"{'worst gap ms':>12} {'median gap ms':>13}")
    print(head)
    print("-" * len(head))
    for load, name, way, runs in rows:
        gaps = [r["gap_ms"] for r in runs]
        errors = sorted({e for r in runs for e in r["errors"]})
        print(f"{load:<20} {name:<18} {way:<4} {sum(r['underruns'] > 0 for r in runs):>13d} of {len(runs):<3d} "
              f"{sum(r['underruns'] for r in runs):>9d} {max(gaps):>12.0f} {float(np.median(gaps)):>13.0f}"
              + (f"  errors: {', '.join(errors)}" if errors else ""))
    print("gap: the longest exact silence between the first track's first sound and the last one's last "
          "(a sine crosses zero in a sample or two: more is the output run dry or a hole left).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
