"""Seeking in a long file ffmpeg decodes (m4a): time to the first audio, and where it lands.

    python benchmarks/bench_seek.py [--minutes 60] [--formats m4a,wma,dsf,ape,ape-c4,webm,mka] [--repeat 3]

Makes a file of ``--minutes`` of a quiet 220 Hz tone with a click every ten seconds (at
0.5 s, 10.5 s, ...), seeks to 0.3 s before a click at several places and reports, per place:
the time from the seek to the first 4096 frames out of the player's decoder (median of
``--repeat``), and how far the loudest sample of the next second lies from the click, in
samples. Three ways, measured in the same run on the same file:

- ``old`` -- what a seek did before: open the file again and read it from the start
  through the pipe, discarding up to the place;
- ``trim`` -- ffmpeg decodes from the start and drops the samples before the place
  itself (what a seek does in a container whose jumps are not sample-exact: WMA, MKA);
- ``jump`` -- ffmpeg starts at the place (``-ss``; MP4/M4A, ADTS AAC, WavPack, TTA, DSF;
  Monkey's Audio at the start of the frame the place is in);
- ``near`` -- a person's seek (``exact=False``) in Matroska/WebM (``webm``: Opus, ``mka``:
  Vorbis): ffmpeg jumps there, the offset its jumps land at measured once per file (that
  measuring is in every row's time: each seek is made on a decoder of its own). Their
  tone has a little noise under it: a held tone repeats itself, and there seeks stay exact.
  The first such seek in a file measures only from ``_NEAR_MEASURE_FROM_S`` on: before that,
  ``near`` is a ``trim``;
- ``known`` -- a person's seek in a file where that offset was measured before (a later seek).

``near`` is checked against ``old`` by how many samples its audio lies off (``off``) and the
max |difference| there, not at 0.

A DSF file (DSD, which ffmpeg cannot write) is made by the tests' one-bit modulator, its
click a sample at 44.1 kHz long; ``trim`` is what a seek in one did before it jumped. A
Monkey's Audio file is made by jmac (libjmac-java) at its Normal level, ``ape-c4`` at Extra
High (frames four times as long); ``trim`` is what a seek in one did before it jumped.

``trim`` and ``jump`` are checked to give the same samples as ``old`` (max |difference|).
The click is found where it is in the file as decoded from the start: WMA's shows 2048
samples early every way, the delay ffmpeg's WMA decoder leaves in. Making the hour of AAC
takes ffmpeg's encoder several minutes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from player.audio.decoder import Decoder  # noqa: E402
from segue_common import audio_io  # noqa: E402
from tests.audiogen import encoder_installed, write_dsf  # noqa: E402

RATE = 44100
CODECS = {"m4a": ["-c:a", "aac", "-b:a", "128k"], "wma": ["-c:a", "wmav2", "-b:a", "128k"],
          "webm": ["-c:a", "libopus", "-b:a", "96k"], "mka": ["-c:a", "libvorbis"]}


def make_file(path: Path, minutes: float, level: str = "") -> None:
    """A tone with a click every ten seconds, from 0.5 s on, encoded by ffmpeg (DSF: written
    here; Monkey's Audio: by jmac at ``level``, from a WAV ffmpeg writes)."""
    if path.suffix == ".dsf":
        write_dsf(path, minutes * 60, signal=lambda t: np.where((t - 0.5) % 10 < 1 / RATE, 0.9,
                                                                 0.05 * np.sin(2 * np.pi * 220 * t)))
        return
    ape = path.suffix == ".ape"
    out = path.with_suffix(".wav") if ape else path
    codec = ["-c:a", "pcm_s16le"] if ape else CODECS[path.suffix[1:]]
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", "-",
                             *codec, str(out)], stdin=subprocess.PIPE)
    for start in range(0, int(minutes * 60), 60):
        t = np.arange(start * RATE, (start + 60) * RATE)
        x = (0.05 * np.sin(2 * np.pi * 220 * t / RATE)).astype(np.float32)
        x[RATE // 2::10 * RATE] = 0.9
        if path.suffix in (".webm", ".mka"):
            # (a held tone alone repeats itself every period: where a jump lands is not told by it)
            x += 0.01 * np.random.default_rng(start).standard_normal(len(x)).astype(np.float32)
        proc.stdin.write(np.repeat(x[:, None], 2, axis=1).tobytes())
    proc.stdin.close()
    if proc.wait():
        raise SystemExit("ffmpeg could not encode the test file")
    if ape:
        if not encoder_installed("ape"):
            raise SystemExit("Monkey's Audio needs jmac (libjmac-java) and Java")
        subprocess.run(["jmac", level or "c2", str(out), str(path)], check=True, capture_output=True)
        out.unlink()


def old_seek(dec: Decoder, frame: int) -> None:
    """The decoder's seek as it was: the stream opened again and read up to ``frame``."""
    dec._fallback.close()
    dec._open_fallback()
    # (``frame`` counts the output's frames; the file's own rate is higher in a DSF)
    skip, pending = int(round(frame * dec.samplerate / dec.out_rate)), np.zeros((0, dec.channels), np.float32)
    while skip > 0:
        block = next(dec._fallback, None)
        if block is None:
            break
        if len(block) > skip:
            pending = block[skip:]
        skip -= len(block)
    dec._make_resampler()
    if dec._resampler is not None and len(pending):       # (what is left of the block, at the output's rate)
        pending = dec._resampler.feed(np.ascontiguousarray(pending))
    dec._pending, dec._done = pending, False
    dec.frame = frame


def seek_once(path: Path, how: str, frame: int) -> tuple[float, np.ndarray]:
    dec = Decoder(str(path), out_rate=RATE)
    dec.read(4096)                                   # playing: the stream is open and running
    t = time.perf_counter()
    if how == "old":
        old_seek(dec, frame)
    elif how == "near":
        dec.seek_frame(frame, exact=False)
    elif how == "known":
        dec._fallback._near = (audio_io._jump_offset(dec._fallback) if dec._fallback._near is None
                               else dec._fallback._near)
        t = time.perf_counter()                     # (where jumps land is known: measured before)
        dec.seek_frame(frame, exact=False)
    else:
        dec._fallback.fast_seek = how == "jump"
        dec.seek_frame(frame)
    first = dec.read(4096)
    took = time.perf_counter() - t
    out = np.concatenate([first, dec.read(RATE - 4096)])
    dec.close()
    return took, out


def landed(out: np.ndarray, old: np.ndarray, most: int = 2000) -> tuple[int, float]:
    """How many samples ``out`` lies off ``old`` (the same audio read from the start), within
    ``most``, and the max |difference| of the two there."""
    n = len(old) - 2 * most
    diffs = [np.abs(out[most + k:most + k + n] - old[most:most + n]).max() for k in range(-most, most + 1)]
    k = int(np.argmin(diffs))
    return -(k - most), float(diffs[k])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--formats", default="m4a")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise SystemExit("needs ffmpeg and ffprobe")
    total = int(args.minutes * 60)
    places = sorted({min(s, total - 1) // 10 * 10 for s in (30, total // 2, int(total * 0.98))})
    with tempfile.TemporaryDirectory(prefix="segue-bench-seek-") as tmp:
        for fmt in args.formats.split(","):
            ext, _, level = fmt.partition("-")          # ("ape-c4": Monkey's Audio at level c4)
            path = Path(tmp) / f"long{'-' + level if level else ''}.{ext}"
            t = time.perf_counter()
            make_file(path, args.minutes, level)
            with audio_io.open_fallback(path) as stream:
                fast = stream.fast_seek
            print(f"\n{fmt}: {args.minutes:g} min, {path.stat().st_size / 1e6:.0f} MB, made in "
                  f"{time.perf_counter() - t:.0f} s; its seeks jump: {fast}")
            print(f"{'place':>9} {'way':>5} {'first audio (ms)':>17} {'click at (samples)':>19} {'vs old':>8} "
                  f"{'off':>5}")
            for s in places:
                frame = s * RATE + RATE // 2 - int(0.3 * RATE)          # 0.3 s before the click
                outs = {}
                ways = ("old", "trim", "jump") if fast else ("old", "trim")
                if path.suffix in (".webm", ".mka"):
                    ways += ("near", "known")
                for how in ways:
                    times = []
                    for _ in range(args.repeat):
                        took, out = seek_once(path, how, frame)
                        times.append(took)
                    outs[how] = out
                    click = int(np.argmax(np.abs(out[:, 0]))) - int(0.3 * RATE)
                    off, diff = landed(out, outs["old"])
                    print(f"{s:>8}s {how:>5} {statistics.median(times) * 1000:>17.0f} {click:>+19d} {diff:>8.1e} "
                          f"{off:>+5d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
