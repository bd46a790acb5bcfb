"""How ffmpeg is handed a song: by its path, by the descriptor that was checked (/dev/fd/N
passed to the child), or piped on its standard input. Decodes a 5-minute MP3, FLAC and M4A
whole and from the middle (``-ss`` before ``-i``) each way, best of ``--runs``, and says
whether each gave the samples the path's did. Then libsndfile on the FLAC, opened by its
name and by the descriptor of the file checked (``sf_open_fd``), read whole and from the middle.

    python -m benchmarks.bench_ffmpeg_input [--runs 3]

POSIX only (the descriptor is passed with ``pass_fds``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time

import numpy as np
import soundfile as sf


def _make(folder: str, ext: str, codec: list[str]) -> str:
    path = os.path.join(folder, f"song.{ext}")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=300",
                    "-ac", "2", *codec, path], check=True)
    return path


def _decode(path: str, how: str, seek: float | None) -> tuple[float, np.ndarray]:
    ss = ["-ss", f"{seek}"] if seek is not None else []
    args = ["ffmpeg", "-v", "error", "-nostdin", *ss]
    started = time.perf_counter()
    with open(path, "rb") as f:
        if how == "path":
            cmd, kw = [*args, "-i", "file:" + path], {}
        elif how == "fd":
            cmd, kw = [*args, "-i", f"file:/dev/fd/{f.fileno()}"], {"pass_fds": (f.fileno(),)}
        else:
            args.remove("-nostdin")
            cmd, kw = [*args, "-i", "pipe:0"], {"stdin": f}
        out = subprocess.run([*cmd, "-f", "f32le", "-acodec", "pcm_f32le", "-"], capture_output=True, **kw)
    took = time.perf_counter() - started
    if out.returncode != 0:
        return took, np.zeros(0, np.float32)
    return took, np.frombuffer(out.stdout, np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    runs = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        songs = {"MP3": _make(folder, "mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
                 "FLAC": _make(folder, "flac", []),
                 "M4A": _make(folder, "m4a", ["-c:a", "aac", "-b:a", "192k"])}
        print(f"{'file':5} {'decode':10} {'path s':>8} {'fd s':>8} {'fd/path':>8} {'pipe s':>8} {'pipe/path':>9}"
              f" {'fd same':>8} {'pipe same':>9}")
        for name, path in songs.items():
            for label, seek in (("whole", None), ("from 150 s", 150.0)):
                best, got = {}, {}
                for how in ("path", "fd", "pipe"):
                    times = []
                    for _ in range(runs):
                        took, samples = _decode(path, how, seek)
                        times.append(took)
                    best[how], got[how] = min(times), samples
                ref = got["path"]

                def same(how):
                    s = got[how]
                    return "yes" if len(s) == len(ref) and np.array_equal(s, ref) else f"no ({len(s)} vs {len(ref)})"
                print(f"{name:5} {label:10} {best['path']:8.3f} {best['fd']:8.3f} {best['fd'] / best['path']:8.2f}"
                      f" {best['pipe']:8.3f} {best['pipe'] / best['path']:9.2f} {same('fd'):>8} {same('pipe'):>9}")

        print()
        print(f"{'libsndfile':10} {'path s':>8} {'fd s':>8} {'fd/path':>8} {'same':>5}")
        for label, start in (("whole", 0), ("from 150 s", 150 * 44100)):
            best, got = {}, {}
            for how in ("path", "fd"):
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    with open(songs["FLAC"], "rb") as f:
                        sound = sf.SoundFile(songs["FLAC"] if how == "path" else os.dup(f.fileno()), closefd=True)
                    with sound:
                        sound.seek(start)
                        samples = sound.read(dtype="float32")
                    times.append(time.perf_counter() - started)
                best[how], got[how] = min(times), samples
            same = "yes" if np.array_equal(got["fd"], got["path"]) else "no"
            print(f"{label:10} {best['path']:8.3f} {best['fd']:8.3f} {best['fd'] / best['path']:8.2f} {same:>5}")


if __name__ == "__main__":
    main()
