"""What a seek costs in an Ogg Opus file whose packets run across pages (6 channels at a
high bit rate from ffmpeg), where libsndfile's own seek fails or lands wrong.

    python benchmarks/bench_opus_seek.py [--minutes 5] [--bitrate 384k] [--channels 6] [--seeks 40]

Makes the file with ffmpeg's libopus (a tone whose pitch changes every second, in every
channel: a plain tone is what makes libopus write packets of sizes that run across pages)
and reports, from the page cache: how many of its pages a seek is unsafe from, the time
Segue's reader takes to seek and read 4096 frames at ``--seeks`` places spread over the
file (median and most), the same for libsndfile's own seek (and at how many places it
failed or landed elsewhere than the whole file decoded in one pass puts that audio), and the
time to decode the whole file once (what a seek by decoding from the start would cost at
its end).
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

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from segue_common import audio_io  # noqa: E402


def make(path: Path, minutes: float, bitrate: str, channels: int) -> None:
    sr, seconds = 48000, int(minutes * 60)
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(sr), "-ac", str(channels),
                             "-i", "-", "-c:a", "libopus", "-b:a", bitrate, str(path)], stdin=subprocess.PIPE)
    phase = 0.0
    for second in range(seconds):
        pitch = 313.0 + 100.0 * (second % 12)
        t = np.arange(sr + 1) / sr
        mono = 0.3 * np.sin(phase + 2 * np.pi * pitch * t)
        phase = float((phase + 2 * np.pi * pitch) % (2 * np.pi))
        proc.stdin.write(np.repeat(mono[:sr, None], channels, axis=1).astype(np.float32).tobytes())
    proc.stdin.close()
    if proc.wait():
        raise SystemExit("ffmpeg failed")


def one_pass(path: Path) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    with sf.SoundFile(str(path)) as f:
        parts = []
        while True:
            block, error = audio_io.read_frames(f, 1 << 16, direct=True)
            if len(block):
                parts.append(block)
            if error is not None or not len(block):
                break
    return np.concatenate(parts), time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--bitrate", default="384k")
    ap.add_argument("--channels", type=int, default=6)
    ap.add_argument("--seeks", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tone.opus"
        make(path, args.minutes, args.bitrate, args.channels)
        whole, decode_s = one_pass(path)
        scan = audio_io._opus_scan(path)
        data = path.read_bytes()
        pages = unsafe = 0
        at = 0
        while at + 27 <= len(data) and data[at:at + 4] == b"OggS":
            end = audio_io._ogg_page_end(data, at)
            if int.from_bytes(data[at + 6:at + 14], "little", signed=True) > 0:
                pages += 1
                unsafe += audio_io._runs_across(data, at)
            at = end
        places = np.linspace(0, len(whole) - 4096, args.seeks).astype(int)
        ours, theirs, wrong = [], [], 0
        with audio_io.open_blocks(path) as reader:
            for frame in places:
                t = time.perf_counter()
                reader.seek(int(frame))
                block = reader.read(4096)
                ours.append(time.perf_counter() - t)
                assert np.allclose(block, whole[frame:frame + 4096], atol=1e-4), frame
        for frame in places:
            with sf.SoundFile(str(path)) as f:
                t = time.perf_counter()
                try:
                    f.seek(int(frame))
                    block, error = audio_io.read_frames(f, 4096, direct=True)
                except sf.LibsndfileError:
                    block, error = None, True
                theirs.append(time.perf_counter() - t)
                if error is not None or not np.allclose(block, whole[frame:frame + 4096], atol=1e-4):
                    wrong += 1
        print(f"{args.minutes:g} min, {args.channels} channels at {args.bitrate}, {path.stat().st_size / 1e6:.1f} MB: "
              f"{unsafe} of {pages} pages unsafe to seek from ({len(scan.unsafe)} stretches)")
        print(f"  Segue's seek + 4096 frames: median {statistics.median(ours) * 1000:.1f} ms, "
              f"most {max(ours) * 1000:.1f} ms (all {len(places)} in place)")
        print(f"  libsndfile's own seek + 4096 frames: median {statistics.median(theirs) * 1000:.1f} ms, "
              f"most {max(theirs) * 1000:.1f} ms; {wrong} of {len(places)} failed or landed wrong")
        print(f"  decoding the whole file once: {decode_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
