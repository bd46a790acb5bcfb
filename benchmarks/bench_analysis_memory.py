"""Peak memory of ``segue analyse``: a 2-hour FLAC beside a 3-minute one, same run.

    python benchmarks/bench_analysis_memory.py [--long-minutes 120] [--all-patches] [--keep]

Generates two music-like FLACs (44.1 kHz stereo 16-bit; drum patterns and chords in 30 s
sections, written a second at a time so the generator's own memory stays small), then for
each runs ``segue scan`` and ``segue analyse --device cpu`` in a throw-away SEGUE_HOME under
``/usr/bin/time -v`` and reads its "Maximum resident set size". Targets: the long file's
peak under 1 GB, and within 1.3x of the short file's (memory independent of length).
``--all-patches`` also measures the job tagging every patch (the GPU's mode: the whole
file streamed in chunks), on the CPU.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TIME = "/usr/bin/time"


def write_flac(path: Path, minutes: float, *, sr: int = 44100) -> Path:
    import soundfile as sf

    from benchmarks.bench_analysis import music_like

    if path.exists():
        return path
    tmp = path.with_name(path.stem + ".tmp.flac")
    seconds, minute = minutes * 60, 60
    with sf.SoundFile(str(tmp), "w", sr, 2, format="FLAC", subtype="PCM_16") as f:
        for i in range(int(seconds // minute) + 1):  # one minute of music at a time
            n = min(minute, seconds - i * minute)
            if n > 0:
                f.write(music_like(n, sr=sr, seed=i))
    os.replace(tmp, path)
    return path


def peak_rss_mb(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(peak RSS in MB, wall seconds, the command's output) of one run under /usr/bin/time -v."""
    t0 = time.perf_counter()
    proc = subprocess.run([TIME, "-v", *cmd], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return kb / 1024, wall, proc.stdout + proc.stderr


def analyse(path: Path, home: Path, extra: list[str]) -> tuple[float, float, str]:
    music = home / "music"
    music.mkdir(parents=True)
    os.symlink(path, music / path.name)
    env = {**os.environ, "SEGUE_HOME": str(home / "segue"), "OPENBLAS_NUM_THREADS": "1"}
    segue = [sys.executable, "-m", "player"]
    subprocess.run([*segue, "scan", str(music)], env=env, check=True, capture_output=True)
    rss, wall, out = peak_rss_mb([*segue, "analyse", "--device", "cpu", "--workers", "0", *extra], env)
    if "analysed 1 tracks" not in out:
        raise SystemExit(f"analyse did not analyse {path.name}:\n{out[-3000:]}")
    return rss, wall, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short-minutes", type=float, default=3.0)
    p.add_argument("--long-minutes", type=float, default=120.0)
    p.add_argument("--all-patches", action="store_true")
    p.add_argument("--audio-dir", default=os.path.join(tempfile.gettempdir(), "segue-bench-audio"))
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)
    if not os.path.exists(TIME):
        raise SystemExit(f"{TIME} is missing: run scripts/setup-system.sh (Debian package 'time')")
    folder = Path(args.audio_dir) / "memory"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    files = {"short": write_flac(folder / f"short_{args.short_minutes:g}min.flac", args.short_minutes),
             "long": write_flac(folder / f"long_{args.long_minutes:g}min.flac", args.long_minutes)}
    print(f"files in {folder} ({time.perf_counter() - t0:.0f} s to make): "
          + ", ".join(f"{f.name} {f.stat().st_size / 2**20:.0f} MB" for f in files.values()), flush=True)
    modes = {"default (16 patches)": []}
    if args.all_patches:
        modes["all patches (streamed)"] = ["--all-patches"]
    rows = []
    for mode, extra in modes.items():
        peaks = {}
        for rep in range(args.repeat):
            for kind, path in files.items():
                home = Path(tempfile.mkdtemp(prefix="segue-mem-"))
                try:
                    rss, wall, _ = analyse(path, home, extra)
                finally:
                    shutil.rmtree(home, ignore_errors=True)
                peaks[kind] = max(peaks.get(kind, 0.0), rss)
                rows.append((mode, kind, path.name, rss, wall))
                print(f"  {mode}: {path.name}: peak {rss:.0f} MB, {wall:.1f} s; load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
        ratio = peaks["long"] / peaks["short"]
        verdict = "ok" if peaks["long"] < 1024 and ratio <= 1.3 else "MISSED"
        rows.append((mode, "ratio", f"long / short = {ratio:.2f}x", None, None))
        rows.append((mode, "target", f"long < 1024 MB and ratio <= 1.3: {verdict}", None, None))
    print(f"\n{'mode':<24} {'file':<26} {'peak RSS (MB)':>13} {'wall (s)':>9}")
    for mode, kind, name, rss, wall in rows:
        if rss is None:
            print(f"{mode:<24} {name}")
        else:
            print(f"{mode:<24} {name:<26} {rss:>13.0f} {wall:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
