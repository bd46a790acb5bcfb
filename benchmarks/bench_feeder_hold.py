"""How long the engine's feeder thread is held while the next track opens, and whether the output runs dry.

    python benchmarks/bench_feeder_hold.py [--first 6] [--waits 0 0.5 2 3] [--no-device] [--repeat 1]

A 44.1 kHz FLAC plays; as soon as it is heard the next track, an AAC in M4A (decoded by ffmpeg,
so its open starts an ffprobe and an ffmpeg), is set to follow it, as the player does. Each
``--waits`` value starts the real ffprobe that many seconds late (0: as it is; a busy machine
took 0.3-1.4 s to open such a file, and a disk waking up or a network share takes seconds).

Also, in a run of its own, the time from a play to its first frame heard where the next track
(the same M4A) is set along with it, as the player arms the next track right after starting
one; and then, once that next track is open, the time from a skip to it (a play of it) to its
first frame heard.

Two ways in turns, in the same run: "old", the file opened on the feeder thread (the open joined
there before the feeder goes on, as it was) and opened again for a skip to it, and "new", the
engine as it is (opened on a thread of its own while the feeder keeps the ring full, and taken
as it is for a skip to it). Printed per row: the longest time between two
passes of the feeder over the ring (its longest hold; a tick is 20 ms), the least audio the
ring held ahead at the start of a pass after the next track was set, and the underruns the
output counted. The buffer is 1.5 s: a hold longer than that is a gap in the song playing.
Engines: the null engine in real time, and the sound card engine into a PulseAudio null sink
(started here with scripts/null-sink.sh unless PULSE_SERVER names one; ``--no-device``: not).
"""

from __future__ import annotations

import argparse
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


def make_files(folder: Path, first_s: float) -> tuple[Path, Path]:
    t = np.arange(int(first_s * SR)) / SR
    a = folder / "a.flac"
    sf.write(str(a), np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, 1).astype(np.float32), SR)
    wav, b = folder / "b.wav", folder / "b.m4a"
    t = np.arange(2 * SR) / SR
    sf.write(str(wav), np.stack([0.3 * np.sin(2 * np.pi * 660 * t)] * 2, 1).astype(np.float32), SR)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(b)], check=True)
    return a, b


def slow_ffprobe(folder: Path, wait_s: float) -> str:
    """A folder with the real ffmpeg and the real ffprobe started ``wait_s`` late; its ffmpeg."""
    folder.mkdir(exist_ok=True)
    (folder / "ffmpeg").symlink_to(shutil.which("ffmpeg"))
    (folder / "ffprobe").write_text(f'#!/bin/sh\nsleep {wait_s}\nexec "{shutil.which("ffprobe")}" "$@"\n')
    (folder / "ffprobe").chmod(0o755)
    return str(folder / "ffmpeg")


def old_way(cls):
    """``cls`` opening the next track's file on the feeder thread, and a skip to it opening it
    again, as the engine did."""
    def _start_open(self, source):
        opening = cls._start_open(self, source)
        opening.wait(600)
        return opening

    return type(f"Old{cls.__name__}", (cls,), {"_start_open": _start_open, "_open_already": lambda self, source: None})


def time_passes(engine) -> list[tuple[float, int]]:
    """The feeder's passes from now on, each as (when it began, frames then ahead in the ring),
    filled in as it runs: the gaps between them are how long the feeder was held."""
    passes: list[tuple[float, int]] = []
    fill = engine._fill

    def timed_fill():
        passes.append((time.monotonic(), engine._ring.buffered()))
        fill()

    engine._fill = timed_fill
    return passes


def longest_hold_ms(passes: list[tuple[float, int]], since: float) -> float:
    """The longest time between two passes, of those ending after ``since``."""
    return 1000 * max((t1 - t0 for (t0, _), (t1, _) in zip(passes, passes[1:]) if t1 >= since), default=0.0)


def play_once(engine, a: Path, b: Path, first_s: float) -> dict:
    from player.audio.base import PlaybackState, Source

    passes = time_passes(engine)
    src_a, src_b = Source(str(a)), Source(str(b), duration_hint=2.0)
    events = []
    engine.set_listener(lambda name, data: events.append((name, data.get("source"))))
    engine.play(src_a)
    deadline = time.monotonic() + first_s + 30
    while ("started", src_a) not in events and time.monotonic() < deadline:
        time.sleep(0.002)
    set_at = time.monotonic()
    engine.set_next(src_b)
    while not (engine.state is PlaybackState.STOPPED and ("finished", src_b) in events) and time.monotonic() < deadline:
        time.sleep(0.02)
    underruns = engine.underruns
    engine.close()
    after = [(t, n) for t, n in passes if t >= set_at]
    # (the least ahead while the first track plays: once it is written whole the ring empties by design)
    playing = [n for t, n in after if t < set_at + first_s - 2.0]
    return {"hold_ms": longest_hold_ms(passes, set_at), "low_ms": 1000 * min(playing, default=0) / SR,
            "underruns": underruns, "heard_b": src_b.heard_s, "errors": [n for n, _ in events if n == "error"]}


def first_sound(engine, a: Path, b: Path) -> tuple[float, float]:
    """Seconds from a play to its first frame heard, with the next track set along with it (as
    the player arms the next track right after it starts one); and then, once that one is open,
    from a skip to it (a play of it) to its first frame heard."""
    from player.audio.base import Source

    src_a, src_b = Source(str(a)), Source(str(b), duration_hint=2.0)
    t0 = time.monotonic()
    engine.play(src_a)
    engine.set_next(src_b)
    while src_a.heard_frames == 0 and time.monotonic() < t0 + 60:
        time.sleep(0.001)
    took = time.monotonic() - t0
    while engine._ndec is None and time.monotonic() < t0 + 60:
        time.sleep(0.001)
    skipped_to = Source(str(b), duration_hint=2.0)
    t1 = time.monotonic()
    engine.play(skipped_to)
    while skipped_to.heard_frames == 0 and time.monotonic() < t1 + 60:
        time.sleep(0.001)
    skip = time.monotonic() - t1
    engine.close()
    return took, skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=float, default=6.0, help="seconds of the track playing (default 6)")
    parser.add_argument("--waits", nargs="+", type=float, default=[0.0, 0.5, 2.0, 3.0],
                        help="seconds ffprobe starts late (default 0 0.5 2 3)")
    parser.add_argument("--no-device", action="store_true", help="only the null engine")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (the worst is shown)")
    args = parser.parse_args(argv)
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        print("needs ffmpeg and ffprobe")
        return 1
    from benchmarks.bench_playback import ensure_sink
    from player.audio.null_engine import NullEngine

    sink_dir = None if args.no_device else ensure_sink()
    engines = [("null (real time)", NullEngine)]
    if not args.no_device and sink_dir != "":
        from player.audio.sd_engine import SoundDeviceEngine

        engines.append(("sounddevice (null sink)", SoundDeviceEngine))
    load_before = os.getloadavg()[0]
    rows = []
    saved = os.environ.get("SEGUE_FFMPEG")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            a, b = make_files(Path(tmp), args.first)
            for wait_s in args.waits:
                os.environ["SEGUE_FFMPEG"] = slow_ffprobe(Path(tmp) / f"ffmpeg-{wait_s:g}", wait_s)
                for name, cls in engines:
                    for way, make in (("old", old_way(cls)), ("new", cls)):
                        runs = [play_once(make(), a, b, args.first) for _ in range(args.repeat)]
                        worst = max(runs, key=lambda r: (r["underruns"], r["hold_ms"]))
                        firsts = [first_sound(make(), a, b) for _ in range(args.repeat)]
                        worst["first_ms"] = 1000 * max(f[0] for f in firsts)
                        worst["skip_ms"] = 1000 * max(f[1] for f in firsts)
                        rows.append((name, wait_s, way, worst))
                        print(f"  ran {name}, ffprobe +{wait_s:g} s, {way}", flush=True)
    finally:
        if saved is None:
            os.environ.pop("SEGUE_FFMPEG", None)
        else:
            os.environ["SEGUE_FFMPEG"] = saved
        if sink_dir:
            subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "stop", sink_dir])
    print(f"\nfeeder hold: {args.first:g} s FLAC playing, an M4A (ffprobe + ffmpeg) set next as it starts; "
          f"1.5 s buffer; {os.cpu_count()} cores, load average before: {load_before:.2f}")
    head = (f"{'engine':<26} {'ffprobe late':>12} {'way':<4} {'longest hold ms':>15} {'least ahead ms':>14} "
            f"{'underruns':>9} {'next heard s':>12} {'play to sound ms':>16} {'skip to sound ms':>16}")
    print(head)
    print("-" * len(head))
    for name, wait_s, way, r in rows:
        errors = f"  errors: {', '.join(r['errors'])}" if r["errors"] else ""
        print(f"{name:<26} {wait_s:>11g}s {way:<4} {r['hold_ms']:>15.0f} {r['low_ms']:>14.0f} {r['underruns']:>9d} "
              f"{r['heard_b']:>12.2f} {r['first_ms']:>16.0f} {r['skip_ms']:>16.0f}{errors}")
    print("longest hold: the most time between two passes of the feeder over the ring after the next track was set. "
          "least ahead: the least audio buffered at a pass while the first track played. play to sound: from play() to "
          "the first frame heard, the next track set along with it (a separate run); skip to sound: then, once the "
          "next track is open, from a play of it to its first frame heard.")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
