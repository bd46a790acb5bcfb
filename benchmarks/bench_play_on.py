"""How much audio a song that plays on past where its crossfade would begin keeps ahead of the output.

    python benchmarks/bench_play_on.py [--play-on 0.25 0.1] [--busy 0 2] [--repeat 3] [--first 8]

Crossfade on (1.5 s), a FLAC plays and, as soon as it is heard, a next track whose file does not
open (its open held, as a disk or share that does not answer holds it) is set to follow it. The
song plays on to its end a block at a time, keeping only ``PLAY_ON_S`` buffered (see
player/audio/feeder.py). Each ``--play-on`` value is that bound (seconds) for the run, on the
sound card engine into a PulseAudio null sink (started here with scripts/null-sink.sh unless
PULSE_SERVER names one), beside ``--busy`` busy processes (``python -c "while 1: pass"``) and at
nice 10 itself, as a desktop player beside a busy machine. Printed per row (the worst of
``--repeat`` runs): the stream's latency and block, the least audio the ring held at a pass of
the feeder while the song played on, the longest time between two passes then (the feeder
held), and the underruns counted (the ring run dry, or the device).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.bench_feeder_hold import time_passes  # noqa: E402

SR = 44100


def play_once(a: Path, b: Path, first_s: float, play_on_s: float) -> dict:
    from player.audio import feeder
    from player.audio.base import Source
    from player.audio.sd_engine import SoundDeviceEngine

    gate = threading.Event()
    real_open = feeder.FeederMixin._open

    def held_open(engine, source):      # (the next file's disk does not answer)
        if source.path == str(b):
            gate.wait()
        return real_open(engine, source)

    feeder.FeederMixin._open = held_open
    feeder.PLAY_ON_S = play_on_s
    engine = SoundDeviceEngine(crossfade_s=1.5)
    passes = time_passes(engine)
    try:
        src_a, src_b = Source(str(a)), Source(str(b))
        engine.play(src_a)
        deadline = time.monotonic() + first_s + 30
        while src_a.heard_frames == 0 and time.monotonic() < deadline:
            time.sleep(0.002)
        engine.set_next(src_b)
        # (playing on: from where the ring first holds no more than the bound to where the song is written whole)
        while not (engine._wdec is not None and engine._wdec.finished) and time.monotonic() < deadline:
            time.sleep(0.01)
        written = time.monotonic()
        # (counted up to there: once the song is heard whole the ring runs dry by design, the next not open)
        underruns = engine.underruns
        while engine._ring.buffered() and time.monotonic() < deadline:
            time.sleep(0.01)
        stream = engine._stream
        latency, block = (stream.latency, stream.blocksize) if stream is not None else (float("nan"), 0)
        on = [(t, n) for t, n in passes if t <= written]
        start = next((i for i, (_, n) in enumerate(on) if n <= play_on_s * SR and i > 10), len(on))
        on = on[start:]
        held = max((t1 - t0 for (t0, _), (t1, _) in zip(on, on[1:])), default=0.0)
        low = min((n for _, n in on), default=0)
    finally:
        gate.set()
        engine.close()
        feeder.FeederMixin._open = real_open
    return {"latency_ms": 1000 * latency, "block": block, "low_ms": 1000 * low / SR, "held_ms": 1000 * held,
            "underruns": underruns, "passes": len(on)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--play-on", nargs="+", type=float, default=[0.25], help="PLAY_ON_S values (default 0.25)")
    parser.add_argument("--busy", nargs="+", type=int, default=[0, 2], help="busy processes per row (default 0 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (the worst is shown)")
    parser.add_argument("--first", type=float, default=8.0, help="seconds of the song playing (default 8)")
    args = parser.parse_args(argv)
    from benchmarks.bench_playback import busy_processes, ensure_sink, stop_sink

    sink_dir = ensure_sink()
    if sink_dir == "":
        return 1
    os.nice(10)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            a, b = Path(tmp) / "a.flac", Path(tmp) / "b.flac"
            t = np.arange(int(args.first * SR)) / SR
            sf.write(str(a), np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, 1).astype(np.float32), SR)
            sf.write(str(b), np.zeros((SR, 2), np.float32), SR)
            for busy in args.busy:
                with busy_processes(busy):
                    for play_on_s in args.play_on:
                        runs = [play_once(a, b, args.first, play_on_s) for _ in range(args.repeat)]
                        worst = min(runs, key=lambda r: (-r["underruns"], r["low_ms"]))
                        rows.append((busy, play_on_s, worst))
                        print(f"  ran {busy} busy, play-on {play_on_s:g} s", flush=True)
    finally:
        stop_sink(sink_dir)
    print(f"\nplay-on headroom: {args.first:g} s FLAC, 1.5 s crossfade, next file held; sound card engine into a "
          f"null sink at nice 10; {os.cpu_count()} cores; worst of {args.repeat}")
    head = (f"{'busy':>4} {'PLAY_ON_S':>9} {'latency ms':>10} {'block':>5} {'least ahead ms':>14} "
            f"{'longest hold ms':>15} {'underruns':>9}")
    print(head)
    print("-" * len(head))
    for busy, play_on_s, r in rows:
        print(f"{busy:>4} {play_on_s:>9g} {r['latency_ms']:>10.0f} {r['block']:>5d} {r['low_ms']:>14.0f} "
              f"{r['held_ms']:>15.0f} {r['underruns']:>9d}")
    print("least ahead: the least audio in the ring at a pass of the feeder while the song played on; "
          "longest hold: the most time between two passes then")
    return 0


if __name__ == "__main__":
    sys.exit(main())
