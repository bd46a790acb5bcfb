"""What looking for lost pages costs on opening an Ogg Opus file (every page's checksum).

    python benchmarks/bench_opus_gaps.py [--minutes 5,60] [--bitrate 128k] [--repeat 5]

Makes one file per length in ``--minutes`` with ffmpeg's libopus (noise, stereo, one page a
second as ffmpeg writes them) and reports, median of ``--repeat`` from the page cache:
the time :func:`segue_common.audio_io.opus_gaps` takes over the whole file, and the time
libsndfile takes to open it (which the look comes on top of), and the file's size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import soundfile as sf  # noqa: E402

from segue_common.audio_io import opus_gaps  # noqa: E402


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", default="5,60")
    ap.add_argument("--bitrate", default="128k")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in [float(m) for m in args.minutes.split(",")]:
            path = Path(tmp) / f"{minutes:g}min.opus"
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                            f"anoisesrc=duration={minutes * 60}:sample_rate=48000:amplitude=0.2", "-ac", "2",
                            "-c:a", "libopus", "-b:a", args.bitrate, str(path)], check=True)
            assert opus_gaps(path) == []
            scan = timed(lambda: opus_gaps(path), args.repeat)
            opened = timed(lambda: sf.SoundFile(str(path)).close(), args.repeat)
            print(f"{minutes:g} min, {path.stat().st_size / 1e6:.1f} MB: look for gaps {scan * 1000:.1f} ms, "
                  f"libsndfile's open {opened * 1000:.2f} ms")


if __name__ == "__main__":
    main()
