"""CPU use and underruns of the playing process, idle and with the CPU loaded.

    python benchmarks/bench_playback.py [--seconds 15] [--load N] [--no-device]

Plays the same generated playlist (flac 44.1 kHz, mp3 44.1 kHz, ogg 48 kHz so one
file is resampled) gaplessly through each engine, first on an idle machine and
then while N busy processes (default: one per core) load every core. Reports the
CPU seconds this process used per minute of audio (user + system), the underruns
the output counted, and the ratio to the first row (null engine, idle), all
measured in this run. The sound card engine plays into a PulseAudio null sink
(started here with scripts/null-sink.sh unless PULSE_SERVER names one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402


def _burn(stop) -> None:
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def make_playlist(folder: Path, seconds: float) -> list[Path]:
    """Three files of ``seconds / 3`` each: a sine sweep with some noise, in three formats."""
    rng = np.random.default_rng(0)
    out = []
    for name, fmt, subtype, sr in (("a.flac", "FLAC", "PCM_16", 44100), ("b.mp3", "MP3", "MPEG_LAYER_III", 44100),
                                   ("c.ogg", "OGG", "VORBIS", 48000)):
        n = int(seconds / 3 * sr)
        t = np.arange(n) / sr
        mono = 0.3 * np.sin(2 * np.pi * (220 + 200 * t / t[-1]) * t) + 0.02 * rng.standard_normal(n)
        sf.write(str(folder / name), np.stack([mono, mono], 1).astype(np.float32), sr, format=fmt, subtype=subtype)
        out.append(folder / name)
    return out


def play_once(make_engine, playlist: list[Path], seconds: float) -> dict:
    from player.audio.base import PlaybackState, Source

    engine = make_engine()
    sources = [Source(str(p)) for p in playlist]
    started = []
    engine.set_listener(lambda ev, data: started.append(data["source"]) if ev == "started" else None)
    t_cpu, t_wall = os.times(), time.monotonic()
    engine.play(sources[0])
    engine.set_next(sources[1])
    armed = 1
    deadline = t_wall + seconds * 2 + 10
    while time.monotonic() < deadline:
        if started and started[-1] is sources[armed] and armed + 1 < len(sources):
            armed += 1
            engine.set_next(sources[armed])
        if engine.state is PlaybackState.STOPPED and len(started) == len(sources):
            break
        time.sleep(0.02)
    end_cpu, wall = os.times(), time.monotonic() - t_wall
    underruns = engine.underruns
    late_decode = engine._ring.underruns  # the ring ran dry: decoding fell behind
    heard = sum(s.heard_s for s in sources)
    engine.close()
    cpu = (end_cpu.user - t_cpu.user) + (end_cpu.system - t_cpu.system)
    return {"audio_s": heard, "wall_s": wall, "cpu_s": cpu, "cpu_per_min": cpu / heard * 60 if heard else float("nan"),
            "underruns": underruns, "late_decode": late_decode}


def ensure_sink() -> str | None:
    """Make PortAudio see a null sink; returns its folder if started here."""
    if os.environ.get("PULSE_SERVER"):
        return None
    out = subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "start"], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"(no sound card engine rows: null sink failed: {out.stderr.strip()[-200:]})")
        return ""
    for line in out.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ[key] = value
    return os.environ["SEGUE_NULL_SINK_DIR"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="audio per run (default 15)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes for the loaded runs")
    parser.add_argument("--no-device", action="store_true", help="only the null engine")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    sink_dir = None if args.no_device else ensure_sink()
    from player.audio.null_engine import NullEngine

    engines = [("null", lambda: NullEngine())]
    if not args.no_device and sink_dir != "":
        from player.audio.sd_engine import SoundDeviceEngine

        engines.append(("sounddevice (pulse null sink)", lambda: SoundDeviceEngine()))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        playlist = make_playlist(Path(tmp), args.seconds)
        for loaded in (False, True):
            stop, burners = multiprocessing.Event(), []
            if loaded:
                burners = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.load)]
                for b in burners:
                    b.start()
                time.sleep(0.5)
            try:
                for name, make in engines:
                    result = play_once(make, playlist, args.seconds)
                    rows.append((name, f"{args.load} busy" if loaded else "idle", result))
                    print(f"  ran {name} ({rows[-1][1]})", flush=True)
            finally:
                stop.set()
                for b in burners:
                    b.join()
    if sink_dir:
        subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "stop", sink_dir])

    base = rows[0][2]["cpu_per_min"]
    print(f"\nplayback: {args.seconds:g} s playlist (flac, mp3, ogg@48k resampled), {os.cpu_count()} cores, "
          f"load average before: {load_before:.2f}")
    head = (f"{'engine':<30} {'CPU':<8} {'audio s':>8} {'wall s':>7} {'CPU s':>6} {'CPU s/min':>9} "
            f"{'vs base':>7} {'underruns':>9} {'of which decode late':>20}")
    print(head)
    print("-" * len(head))
    for name, load, r in rows:
        print(f"{name:<30} {load:<8} {r['audio_s']:>8.2f} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} "
              f"{r['cpu_per_min']:>9.2f} {r['cpu_per_min'] / base:>6.2f}x {r['underruns']:>9d} "
              f"{r['late_decode']:>20d}")
    print("underruns: times the output ran dry (device underflows reported by PortAudio, plus times the "
          "ring buffer was empty because decoding fell behind). wall > audio: sound server start-up.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
