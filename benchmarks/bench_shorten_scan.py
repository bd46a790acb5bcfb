"""What a library scan pays for Shorten files whose header gives no length (made from a WAV
written to a pipe): the time until every file is listed, and until every length is right.

    python benchmarks/bench_shorten_scan.py [--files 20] [--minutes 2]

One such file of ``--minutes`` of music-like sound (a tone and noise, stereo, 44.1 kHz) is
written by hand (no Shorten encoder exists here) and copied ``--files`` times into a folder
beside as many FLAC files of the same length. Two scans of that folder into a fresh library:
"count while listing" reads every file as scans did before (each Shorten file decoded whole
by ffmpeg as it is listed: ``read_tags`` without ``estimate``), "list, then count" is the
scanner as it is (listed at an estimate from their first codes, counted after every file is
listed). Both end with the same lengths; the table says when the last file was listed and
when the scan ended, in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from player.library import scanner as scanner_mod  # noqa: E402
from player.library import tags  # noqa: E402
from player.store import Store  # noqa: E402
from tests.audiogen import write_shorten  # noqa: E402


def _scan(music: Path, home: Path, *, old: bool) -> tuple[float, float, dict]:
    """Seconds until every file was listed, until the scan ended, and the lengths it stored."""
    os.environ["SEGUE_HOME"] = str(home)
    store = Store(home / "library.db")
    listed = []

    def progress(p):
        if not listed and p.total and p.done == p.total:
            listed.append(time.perf_counter())

    real = scanner_mod.read_tags
    if old:     # every length counted as the file is read, as scans did before
        scanner_mod.read_tags = lambda path, estimate=False: real(path)
    try:
        start = time.perf_counter()
        scanner_mod.Scanner(store, progress=progress, progress_interval_s=0).scan([str(music)])
        end = time.perf_counter()
    finally:
        scanner_mod.read_tags = real
    lengths = {Path(t["path"]).name: t["duration"] for t in store.tracks()}
    store.close()
    return listed[0] - start, end - start, lengths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=2.0)
    args = ap.parse_args()
    rate, n = 44100, int(args.minutes * 60 * 44100)
    rng = np.random.default_rng(0)
    t = np.arange(n) / rate
    wave = 0.3 * np.sin(2 * np.pi * 220 * t)[:, None] * (0.5 + 0.5 * np.sin(2 * np.pi * t / 7))[:, None]
    samples = ((wave + 0.02 * rng.standard_normal((n, 2))) * 32767).astype(np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        music = tmp / "music"
        one = write_shorten(tmp / "one.shn", samples, rate, sized=False)
        sf.write(tmp / "one.flac", samples, rate)
        music.mkdir()
        for i in range(args.files):
            shutil.copyfile(one, music / f"set{i:03d}.shn")
            shutil.copyfile(tmp / "one.flac", music / f"song{i:03d}.flac")
        print(f"{args.files} Shorten files without a length in their header ({one.stat().st_size / 1e6:.1f} MB, "
              f"{args.minutes:g} min each) and {args.files} FLAC files; walk of {tags.audio_io.SHORTEN_WALK_BYTES} "
              "bytes")
        rows = []
        for name, old in (("count while listing", True), ("list, then count", False)):
            home = tmp / name.replace(" ", "_").replace(",", "")
            home.mkdir()
            rows.append((name, *_scan(music, home, old=old)))
        print(f"{'scan':<22}{'all listed (s)':>16}{'scan ended (s)':>16}")
        for name, listed, ended, _ in rows:
            print(f"{name:<22}{listed:>16.2f}{ended:>16.2f}")
        same = rows[0][3] == rows[1][3] and all(v == n / rate for k, v in rows[1][3].items() if k.endswith(".shn"))
        print(f"lengths the same in both, every Shorten file at {n / rate:g} s: {same}")


if __name__ == "__main__":
    main()
