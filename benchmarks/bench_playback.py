"""CPU use and underruns of the playing process, idle and with the CPU loaded.

    python benchmarks/bench_playback.py [--seconds 15] [--load N] [--no-device]
                                        [--analyse 1,2] [--no-busy] [--busy-thread] [--switch-ms 5 1]

Plays the same generated playlist (flac 44.1 kHz, mp3 44.1 kHz, ogg 48 kHz so one
file is resampled) gaplessly through each engine, first on an idle machine and
then while N busy processes (default: one per core) load every core. Reports the
CPU seconds this process used per minute of audio (user + system), the underruns
the output counted, and the ratio to the first row (null engine, idle), all
measured in this run. The sound card engine plays into a PulseAudio null sink
(started here with scripts/null-sink.sh unless PULSE_SERVER names one).

With ``--analyse 1,2`` it also plays while the analysis job runs flat out in another
process at the lowest priority, as the learner process runs it, once per listed
number of CNN workers (the job's ``cnn_workers``), on the 3-4-minute ogg/mp3 files of
benchmarks/bench_analysis.py; the tracks it analysed meanwhile are shown per second.

With ``--busy-thread`` it also plays while a thread of this process runs a bare Python loop,
as a worker job of the window does beside the engine's feeder thread and the output's
callback (both Python, so they wait for the GIL); its CPU is counted in that row's CPU
columns. With ``--switch-ms`` every row runs once per Python switch interval given
(``sys.setswitchinterval``): how long the busy thread may keep the GIL from them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
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


def _analyse(stop, ready, done, cnn_workers: int, folder: str) -> None:
    """Child process: analysis passes over fresh libraries of the benchmark tracks until ``stop``,
    at the lowest priority (the learner's); ``done`` counts the tracks analysed."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from player.priority import lower_process_priority

    lower_process_priority()
    import threading

    from benchmarks.bench_analysis import make_tracks
    from player.analysis import AnalysisJob
    from player.library.scanner import Scanner
    from player.store import Store

    make_tracks(Path(folder), 8)
    ready.set()
    while not stop.is_set():
        with tempfile.TemporaryDirectory() as home:
            store = Store.open(Path(home) / "library.db")
            Scanner(store).scan([folder])
            base = done.value
            job = AnalysisJob(store, device="cpu", cnn_workers=cnn_workers,
                              progress=lambda p, base=base: setattr(done, "value", base + p.done - p.errors))
            threading.Thread(target=lambda: (stop.wait(), job.cancel()), daemon=True).start()
            job.run()
            store.close()


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


def stop_sink(sink_dir: str | None) -> None:
    """Stop the null sink :func:`ensure_sink` started (its folder), if it started one."""
    if sink_dir:
        subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "stop", sink_dir])


@contextmanager
def busy_processes(n: int):
    """``n`` busy loops beside the block (a loaded desktop), ended with it."""
    burners = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in burners:
            p.kill()
            p.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="audio per run (default 15)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 2, help="busy processes for the loaded runs")
    parser.add_argument("--no-device", action="store_true", help="only the null engine")
    parser.add_argument("--analyse", default="", help="CNN worker counts to play beside analysis with, e.g. 1,2")
    parser.add_argument("--no-busy", action="store_true", help="skip the rows with busy processes")
    parser.add_argument("--busy-thread", action="store_true", help="also play beside a busy Python thread")
    parser.add_argument("--switch-ms", nargs="+", type=float, default=[], metavar="MS",
                        help="run every row once per Python switch interval (ms), e.g. 5 1")
    args = parser.parse_args(argv)
    conditions = [("idle", None)]
    if not args.no_busy:
        conditions.append((f"{args.load} busy", "busy"))
    if args.busy_thread:
        conditions.append(("busy thread", "thread"))
    for n in filter(None, args.analyse.split(",")):
        conditions.append((f"analysis, {int(n)} CNN", int(n)))
    if args.switch_ms:
        conditions = [(f"{label}, {ms:g} ms", load, ms) for ms in args.switch_ms for label, load in conditions]
    else:
        conditions = [(label, load, None) for label, load in conditions]
    default_switch = sys.getswitchinterval()

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
        for label, load, switch_ms in conditions:
            sys.setswitchinterval(default_switch if switch_ms is None else switch_ms / 1000)
            stop, burners, done, t0 = multiprocessing.Event(), [], None, 0.0
            if load == "thread":
                stop = threading.Event()
                burners = [threading.Thread(target=_burn, args=(stop,), daemon=True)]
                burners[0].start()
            elif load == "busy":
                burners = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(args.load)]
                for b in burners:
                    b.start()
                time.sleep(0.5)
            elif load is not None:
                spawn = multiprocessing.get_context("spawn")   # torch in a fresh process, as the learner
                stop, ready, done = spawn.Event(), spawn.Event(), spawn.Value("i", 0)
                audio = os.path.join(tempfile.gettempdir(), "segue-bench-audio", "mixed8")
                burners = [spawn.Process(target=_analyse, args=(stop, ready, done, load, audio), daemon=True)]
                burners[0].start()
                ready.wait(600)
                deadline = time.monotonic() + 120
                while done.value == 0 and time.monotonic() < deadline:   # torch loaded, analysing
                    time.sleep(0.1)
                t0 = time.monotonic()
                n0 = done.value
            try:
                for name, make in engines:
                    result = play_once(make, playlist, args.seconds)
                    if done is not None:
                        result["analysed_per_s"] = (done.value - n0) / (time.monotonic() - t0)
                        t0, n0 = time.monotonic(), done.value
                    rows.append((name, label, result))
                    print(f"  ran {name} ({label})", flush=True)
            finally:
                stop.set()
                for b in burners:
                    b.join(60)
    if sink_dir:
        subprocess.run([str(ROOT / "scripts" / "null-sink.sh"), "stop", sink_dir])

    base = rows[0][2]["cpu_per_min"]
    print(f"\nplayback: {args.seconds:g} s playlist (flac, mp3, ogg@48k resampled), {os.cpu_count()} cores, "
          f"load average before: {load_before:.2f}")
    width = max(17, *(len(label) for _, label, _ in rows))
    head = (f"{'engine':<30} {'CPU':<{width}} {'audio s':>8} {'wall s':>7} {'CPU s':>6} {'CPU s/min':>9} "
            f"{'vs base':>7} {'underruns':>9} {'of which decode late':>20} {'analysed/s':>10}")
    print(head)
    print("-" * len(head))
    for name, load, r in rows:
        rate = f"{r['analysed_per_s']:.2f}" if "analysed_per_s" in r else ""
        print(f"{name:<30} {load:<{width}} {r['audio_s']:>8.2f} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} "
              f"{r['cpu_per_min']:>9.2f} {r['cpu_per_min'] / base:>6.2f}x {r['underruns']:>9d} "
              f"{r['late_decode']:>20d} {rate:>10}")
    print("underruns: times the output ran dry (device underflows reported by PortAudio, plus times the "
          "ring buffer was empty because decoding fell behind). wall > audio: sound server start-up. "
          "analysed/s: tracks the analysis process finished per second of that row.")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
