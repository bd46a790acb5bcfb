"""Decoding a track's CPU excerpts through ffmpeg: seeking against reading forward, same run.

    python benchmarks/bench_excerpt_decode.py [--formats m4a,alac.m4a] [--minutes 3.6,20] [--repeat 3]

Writes music-like audio (as ``bench_analysis.py`` does) of each length in each format, then
times ``decode_pieces`` with the CPU's 16 patches on each file, in interleaved rounds: as it
is, and with ffmpeg's reader forced forward only (its length counted by a decoding pass, the
excerpts reached by reading on: what it did before it seeked). Prints the best wall time and
the CPU seconds of this process and of the ffmpeg processes it ran, and checks that both
ways give the same excerpts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402


def make(folder: Path, fmt: str, minutes: float) -> Path:
    import subprocess

    import soundfile as sf
    from bench_analysis import FFMPEG_CODECS, music_like

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"track_{minutes:g}min.{fmt}"
    if not path.exists():
        wav = folder / "tmp.wav"
        sf.write(str(wav), music_like(minutes * 60, sr=44100, seed=1), 44100, subtype="PCM_16")
        tmp = path.with_name("tmp." + fmt)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), *FFMPEG_CODECS[fmt], str(tmp)], check=True)
        os.replace(tmp, path)
        wav.unlink()
    return path


def cpu() -> tuple[float, float]:
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


def decode(path: Path, forward: bool) -> dict:
    from bench_analysis import forward_only

    from player.analysis import CPU_MAX_PATCHES
    from recommender.excerpts import decode_pieces

    (c0, k0), t0 = cpu(), time.perf_counter()
    if forward:
        with forward_only():
            pieces = list(decode_pieces(path, CPU_MAX_PATCHES))
    else:
        pieces = list(decode_pieces(path, CPU_MAX_PATCHES))
    (c1, k1), wall = cpu(), time.perf_counter() - t0
    return {"wall": wall, "py": c1 - c0, "ffmpeg": k1 - k0, "y16": np.concatenate([p.y16 for p in pieces])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--formats", default="m4a,alac.m4a")
    p.add_argument("--minutes", default="3.6,20")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--audio-dir", default=os.path.join(tempfile.gettempdir(), "segue-bench-audio", "excerpt-decode"))
    args = p.parse_args(argv)
    files = [make(Path(args.audio_dir), fmt, float(m)) for fmt in args.formats.split(",")
             for m in args.minutes.split(",")]
    print(f"{len(files)} files; cores {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'file':<24} {'way':<22} {'wall s':>7} {'CPU s (this, ffmpeg)':>22} {'wall ratio':>10}")
    for path in files:
        best: dict = {}
        for _ in range(args.repeat):
            for way in ("forward only (before)", "seeking"):
                r = decode(path, way != "seeking")
                if way not in best or r["wall"] < best[way]["wall"]:
                    best[way] = r
        before = best["forward only (before)"]
        for way, r in best.items():
            print(f"{path.name:<24} {way:<22} {r['wall']:>7.2f} {r['py'] + r['ffmpeg']:>8.2f} "
                  f"({r['py']:.2f}, {r['ffmpeg']:.2f}) {before['wall'] / r['wall']:>9.2f}x")
        diff = np.abs(best["seeking"]["y16"] - before["y16"]).max()
        print(f"{path.name:<24} excerpts' 16 kHz samples differ by at most {diff:.2g}", flush=True)
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
