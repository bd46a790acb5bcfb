"""How much audio the output really holds, against what PortAudio says it holds.

    python benchmarks/bench_output_latency.py [--latency high 0.25] [--busy 0 3] [--seconds 6]

For each ``--latency`` (PortAudio's "low", "high" or seconds) and each ``--busy`` count of busy
processes (``python -c "while 1: pass"``), a PortAudio stream opened as the sound card engine
opens it (float32 stereo at 44.1 kHz, blocks of 2048 frames) plays a continuous 440 Hz tone into
a PulseAudio null sink (started here with scripts/null-sink.sh unless PULSE_SERVER names one),
at nice 10 as a desktop player beside a busy machine, and the sink's monitor is recorded.
Printed per row: the latency the stream reports; what the callback sees of it
(``outputBufferDacTime - currentTime``: least, median, most, and the callbacks that found the
output held less than a block); the sound server's own view (the stream's buffer latency plus
the sink's, from ``pactl list sink-inputs`` four times a second: median and 90th percentile);
the longest time between two callbacks (the first few aside); the underflows PortAudio
flagged; the runs of callbacks told that their frames play at once (the output ran dry: a
break seen by timing, flagged or not); and the breaks actually heard (silences of 2 ms or more
in the recorded tone). The engine trusts the reported latency for its drain at the end and for
how far ahead the output takes audio; the server's column is what it should be.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SR = 44100
BLOCK = 2048
FREQ = 440.0
DRY_S = 0.005   # a callback told its frames play sooner than this found the output run dry


def _server_latency_ms() -> float | None:
    """The playing stream's latency as the sound server counts it: its buffer plus the sink's."""
    try:
        out = subprocess.run(["pactl", "list", "sink-inputs"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    values = [int(line.split()[2]) for line in out.splitlines() if line.strip().split(":")[0].endswith("Latency")]
    return sum(values) / 1000 if len(values) == 2 else None


def _breaks(recorded: np.ndarray) -> int:
    """Silences of 2 ms or more inside the recorded tone (its first and last sound aside)."""
    loud = np.flatnonzero(np.abs(recorded) > 1e-4)
    if len(loud) == 0:
        return 0
    tone = np.abs(recorded[loud[0]:loud[-1] + 1]) > 1e-4
    # (a 440 Hz sine crosses zero every 50 samples: only a run longer than that is a break)
    edges = np.flatnonzero(np.diff(np.concatenate(([1], tone.astype(np.int8), [1]))))
    runs = edges[1::2] - edges[0::2]
    return int((runs >= int(0.002 * SR)).sum())


def play_once(latency, seconds: float, folder: Path) -> dict:
    import sounddevice as sd

    seen = []       # (currentTime, outputBufferDacTime - currentTime)
    flagged = [0]
    at = [0]

    def callback(out, frames, time_info, status):
        if status.output_underflow:
            flagged[0] += 1
        seen.append((time_info.currentTime, time_info.outputBufferDacTime - time_info.currentTime))
        t = (at[0] + np.arange(frames)) / SR
        out[:] = (0.3 * np.sin(2 * np.pi * FREQ * t)).astype(np.float32)[:, None]
        at[0] += frames

    path = folder / "monitor.raw"
    rec = subprocess.Popen(["parecord", "--device=nullsink.monitor", "--raw", "--format=float32le",
                            f"--rate={SR}", "--channels=2", "--latency-msec=20", str(path)])
    try:
        end = time.monotonic() + 15
        while (not path.exists() or path.stat().st_size == 0) and time.monotonic() < end:
            time.sleep(0.01)
        stream = sd.OutputStream(samplerate=SR, channels=2, dtype="float32", latency=latency, blocksize=BLOCK,
                                 callback=callback)
        server = []
        with stream:
            start = time.monotonic()
            time.sleep(1.0)     # (the server's first readings, as the stream fills, are no steady state)
            while time.monotonic() - start < seconds:
                value = _server_latency_ms()
                if value is not None:
                    server.append(value)
                time.sleep(0.25)
            reported = stream.latency
        time.sleep(0.5)     # (the tone's end reaches the monitor)
    finally:
        rec.terminate()
        rec.wait(10)
    # Runs of callbacks told that their frames play at once (the output held nothing when they
    # came), each begun after one told a time ahead: the breaks the callback's timing shows.
    dry, timed, inside = 0, False, False
    for _, ahead in seen:
        if ahead >= DRY_S:
            timed, inside = True, False
        elif timed and not inside:
            dry, inside = dry + 1, True
    data = np.fromfile(path, dtype="<f4")
    data = data[: len(data) - len(data) % 2].reshape(-1, 2)[:, 0]
    steady = np.array([d for _, d in seen[8:]]) * 1000
    times = np.array([c for c, _ in seen[8:]])   # (the first callbacks are told no time yet)
    return {
        "reported_ms": reported * 1000,
        "dac_min": steady.min(), "dac_med": float(np.median(steady)), "dac_max": steady.max(),
        "dac_low": int((steady < BLOCK / SR * 1000).sum()),
        "server_med": float(np.median(server)) if server else float("nan"),
        "server_p90": float(np.percentile(server, 90)) if server else float("nan"),
        "gap_ms": float(np.diff(times).max() * 1000) if len(times) > 1 else float("nan"),
        "flagged": flagged[0], "dry": dry, "breaks": _breaks(data),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", nargs="+", default=["high", "0.25"], help='"low", "high" or seconds')
    parser.add_argument("--busy", nargs="+", type=int, default=[0, 3], help="busy processes per row (default 0 3)")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds of tone per row (default 6)")
    args = parser.parse_args(argv)
    from benchmarks.bench_playback import busy_processes, ensure_sink, stop_sink

    sink_dir = ensure_sink()
    if sink_dir == "":
        return 1
    os.nice(10)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for busy in args.busy:
                with busy_processes(busy):
                    for latency in args.latency:
                        value = latency if latency in ("low", "high") else float(latency)
                        rows.append((busy, latency, play_once(value, args.seconds, Path(tmp))))
                        print(f"  ran {busy} busy, latency {latency}", flush=True)
    finally:
        stop_sink(sink_dir)
    print(f"\noutput latency: {args.seconds:g} s of tone, blocks of {BLOCK}, PortAudio into a null sink at nice 10; "
          f"{os.cpu_count()} cores")
    head = (f"{'busy':>4} {'latency':>7} {'reported ms':>11} {'callback ms min/med/max':>23} {'< 1 block':>9} "
            f"{'server ms med/p90':>17} {'longest gap ms':>14} {'flagged':>7} {'dry':>3} {'breaks':>6}")
    print(head)
    print("-" * len(head))
    for busy, latency, r in rows:
        print(f"{busy:>4} {latency:>7} {r['reported_ms']:>11.0f} "
              f"{r['dac_min']:>7.0f}/{r['dac_med']:>5.0f}/{r['dac_max']:>5.0f}     {r['dac_low']:>9d} "
              f"{r['server_med']:>8.0f}/{r['server_p90']:>4.0f}    {r['gap_ms']:>14.0f} {r['flagged']:>7d} "
              f"{r['dry']:>3d} {r['breaks']:>6d}")
    print("callback: outputBufferDacTime - currentTime as the callback is told; server: the stream's buffer "
          "latency plus the sink's (pactl); flagged: PortAudio's output underflows;\n"
          f"dry: runs of callbacks told the output held under {DRY_S * 1000:g} ms; breaks: silences heard")
    return 0


if __name__ == "__main__":
    sys.exit(main())
