"""What reading a G.726 WAV (a voicemail, a phone recording) costs a scan: its length counted
from the header against the same file measured by running ffprobe, in the same run.

    python benchmarks/bench_g726_scan.py [--files 20] [--seconds 30]

libsndfile does not read G.726 in a WAV and mutagen miscounts it, so its length was asked of
ffprobe, a program started for each file. One recording of ``--seconds`` (8 kHz mono) is made
with ffmpeg at each bit rate and copied ``--files`` times; each copy is read with ``read_tags``
as the scanner reads it ("header"), and again with the header count turned off ("ffprobe", as
scans did before). The table gives the milliseconds a file and whether both gave the same
lengths (within 2 ms: ffprobe counts from the fact chunk, the decoder plays each byte whole).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from player.library import tags  # noqa: E402


def _read_all(paths: list[Path], *, header: bool) -> tuple[float, list[float]]:
    """Milliseconds a file, and the lengths read."""
    real = tags._fixed_rate_wav_length
    if not header:      # as scans did before: every G.726 WAV measured by ffprobe
        tags._fixed_rate_wav_length = lambda path, info: None
    try:
        start = time.perf_counter()
        lengths = [tags.read_tags(str(p))["duration"] for p in paths]
        elapsed = time.perf_counter() - start
    finally:
        tags._fixed_rate_wav_length = real
    return elapsed * 1000 / len(paths), lengths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg makes the G.726 files; it is not installed")
    print(f"{args.files} copies of a {args.seconds:g} s G.726 WAV at each bit rate, read as a scan reads them")
    print(f"{'bit rate':>8}  {'header ms/file':>14}  {'ffprobe ms/file':>15}  {'ratio':>7}  same lengths")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for rate in ("16k", "24k", "32k", "40k"):
            one = tmp / f"one-{rate}.wav"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=f=440:d={args.seconds}",
                            "-ar", "8000", "-ac", "1", "-c:a", "g726", "-b:a", rate, str(one)], check=True)
            paths = []
            for i in range(args.files):
                paths.append(tmp / f"voice-{rate}-{i:04d}.wav")
                shutil.copyfile(one, paths[-1])
            fast, counted = _read_all(paths, header=True)
            slow, probed = _read_all(paths, header=False)
            same = all(abs(a - b) <= 0.002 for a, b in zip(counted, probed))
            print(f"{rate:>8}  {fast:>14.2f}  {slow:>15.1f}  {slow / fast:>6.0f}x  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
