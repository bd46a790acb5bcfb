"""Decoding a track's CPU excerpts through ffmpeg: as now against two whole passes, same run.

    python benchmarks/bench_excerpt_decode.py [--formats m4a,alac.m4a,wma,opus.mka] [--minutes 3.6,20] [--repeat 3]

Writes music-like audio (as ``bench_analysis.py`` does) of each length in each format, then
times ``decode_pieces`` with the CPU's 16 patches on each file, in interleaved rounds: as it
is, and with ffmpeg's reader as it was before it seeked or selected (forward only, its length
counted by a whole decoding pass, the excerpts reached by reading on through a second one).
In the formats where it seeks (M4A, ...), two more ways: forward only, but the excerpts and
the length from one pass that passes on only them (what WMA and Matroska get, and AAC in an
M4A of up to 20 minutes), and seeking (the length counted from a jump near the end, the
excerpts read on or jumped to: what the other M4As get). And as it
is, but with the reader's own ffmpeg (decoding from the start) started on open, as it was,
rather than at its first read: the one-pass path never reads from it. Prints the
best wall time and the CPU seconds of this process and of the ffmpeg processes it ran (in
that round, and the least of any round), and checks that every way gives the same excerpts.
"""

from __future__ import annotations

import argparse
import contextlib
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


@contextlib.contextmanager
def whole_passes():
    """ffmpeg's reader without the length its headers give: analysis counts the length by a
    whole pass and reads on to the excerpts through another (what it did before it selected)."""
    from segue_common import audio_io

    real = audio_io._FallbackReader.__init__

    def init(self, *a, **kw):
        real(self, *a, **kw)
        self.frames_hint = None

    audio_io._FallbackReader.__init__ = init
    try:
        yield
    finally:
        audio_io._FallbackReader.__init__ = real


@contextlib.contextmanager
def started_on_open():
    """ffmpeg's reader as it was before it started its own ffmpeg at the first read: on open."""
    from segue_common import audio_io

    real = audio_io.open_fallback

    def eager(*a, **kw):
        return real(*a, **{**kw, "lazy": False})

    audio_io.open_fallback = eager
    try:
        yield
    finally:
        audio_io.open_fallback = real


@contextlib.contextmanager
def jumping():
    """ffmpeg's reader as it was before an AAC in an M4A took its excerpts from one pass:
    its length counted from a jump near the end, the excerpts read on or jumped to."""
    from segue_common import audio_io

    real = audio_io._ONE_PASS_AAC_S
    audio_io._ONE_PASS_AAC_S = 0.0
    try:
        yield
    finally:
        audio_io._ONE_PASS_AAC_S = real


# (forward only, whole passes, the reader's ffmpeg started on open, jumping where it seeks)
WAYS = {"two passes (before)": (True, True, True, False), "one pass": (True, False, False, False),
        "jumps": (False, False, False, True), "now, started on open": (False, False, True, False),
        "now": (False, False, False, False)}


def decode(path: Path, way: str) -> dict:
    from bench_analysis import forward_only

    from player.analysis import CPU_MAX_PATCHES
    from recommender.excerpts import decode_pieces

    forward, whole, eager, jumps = WAYS[way]
    (c0, k0), t0 = cpu(), time.perf_counter()
    with contextlib.ExitStack() as stack:
        for wanted, patch in ((forward, forward_only), (whole, whole_passes), (eager, started_on_open),
                              (jumps, jumping)):
            if wanted:
                stack.enter_context(patch())
        pieces = list(decode_pieces(path, CPU_MAX_PATCHES))
    (c1, k1), wall = cpu(), time.perf_counter() - t0
    return {"wall": wall, "py": c1 - c0, "ffmpeg": k1 - k0, "y16": np.concatenate([p.y16 for p in pieces])}


def opened_unread(path: Path, lazy: bool) -> tuple[float, float]:
    """CPU seconds (this process; ffprobe's and ffmpeg's) of opening ffmpeg's stream of
    ``path`` and closing it unread, as the one-pass path leaves it: with its own ffmpeg
    started on open (given time to fill its pipe) or at its first read."""
    from segue_common import audio_io

    c0, k0 = cpu()
    with audio_io.open_fallback(path, lazy=lazy):
        time.sleep(0.3)
    c1, k1 = cpu()
    return c1 - c0, k1 - k0


def main(argv: list[str] | None = None) -> int:
    from segue_common import audio_io

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--formats", default="m4a,alac.m4a,wma,opus.mka")
    p.add_argument("--minutes", default="3.6,20")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--opens", type=int, default=10, help="times each file is opened and closed unread")
    p.add_argument("--audio-dir", default=os.path.join(tempfile.gettempdir(), "segue-bench-audio", "excerpt-decode"))
    args = p.parse_args(argv)
    files = [make(Path(args.audio_dir), fmt, float(m)) for fmt in args.formats.split(",")
             for m in args.minutes.split(",")]
    print(f"{len(files)} files; cores {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'file':<24} {'way':<22} {'wall s':>7} {'CPU s (this, ffmpeg)':>22} {'least CPU s':>11} "
          f"{'wall ratio':>10} {'max |16 kHz diff|':>17}")
    for path in files if args.repeat else ():
        with audio_io.open_blocks(path) as reader:
            seeks = reader.seekable
        ways = list(WAYS) if seeks else [way for way in WAYS if way not in ("one pass", "jumps")]
        best: dict = {}
        least_cpu: dict = {}     # (CPU varies less than wall time with the load of the machine)
        for _ in range(args.repeat):
            for way in ways:
                r = decode(path, way)
                if way not in best or r["wall"] < best[way]["wall"]:
                    best[way] = r
                least_cpu[way] = min(least_cpu.get(way, np.inf), r["py"] + r["ffmpeg"])
        before = best["two passes (before)"]
        for way, r in best.items():
            # (the excerpts' samples against the two passes', which are the whole decode's)
            diff = np.abs(r["y16"] - before["y16"]).max() if len(r["y16"]) == len(before["y16"]) else np.inf
            print(f"{path.name:<24} {way:<22} {r['wall']:>7.2f} {r['py'] + r['ffmpeg']:>8.2f} "
                  f"({r['py']:.2f}, {r['ffmpeg']:.2f}) {least_cpu[way]:>11.2f} {before['wall'] / r['wall']:>9.2f}x "
                  f"{diff:>17.2g}", flush=True)
    if args.opens:
        print(f"\nopened and closed unread, {args.opens} times each, interleaved: CPU s per open (this, children)")
        for path in files:
            sums = {True: [0.0, 0.0], False: [0.0, 0.0]}
            for _ in range(args.opens):
                for lazy in (False, True):
                    py, kids = opened_unread(path, lazy)
                    sums[lazy][0] += py / args.opens
                    sums[lazy][1] += kids / args.opens
            (ep, ek), (lp, lk) = sums[False], sums[True]
            print(f"{path.name:<24} started on open {ep + ek:.3f} ({ep:.3f}, {ek:.3f})   at the first read "
                  f"{lp + lk:.3f} ({lp:.3f}, {lk:.3f})   saved {ep + ek - lp - lk:.3f}", flush=True)
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
