"""Scanner speed: first scan and unchanged rescan of a generated library.

    python benchmarks/bench_scan.py [--files 5000]

Prints one table. The baseline is a bare loop of ``mutagen.File`` over the same
files, measured in the same run (caches warmed first, so both read from memory).
Targets: first scan >= 0.8x the bare loop; unchanged rescan < 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mutagen  # noqa: E402

from player.library.scanner import Scanner  # noqa: E402
from player.store import Store  # noqa: E402
from tests.audiogen import write_tags, write_track  # noqa: E402

FORMATS = ("mp3", "flac", "ogg")


def make_library(root: Path, n: int) -> list[Path]:
    templates = {fmt: write_track(root / "_t", "t", fmt=fmt, seconds=0.5) for fmt in FORMATS}
    paths = []
    for i in range(n):
        fmt = FORMATS[i % len(FORMATS)]
        artist, album = f"Artist {i // 100}", f"Album {i // 10}"
        dest = root / artist / album / f"{i % 10:02d} Song {i}.{fmt}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates[fmt], dest)
        write_tags(dest, title=f"Song {i}", artist=artist, album=album, tracknumber=str(i % 10 + 1),
                   genre=("Rock", "Jazz", "Electronic")[i % 3], date=str(1960 + i % 60))
        paths.append(dest)
    shutil.rmtree(root / "_t")
    return paths


def bare_loop(paths: list[Path]) -> float:
    t = time.perf_counter()
    for p in paths:
        mutagen.File(p)
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="segue-bench-scan-") as tmp:
        root = Path(tmp) / "music"
        t = time.perf_counter()
        paths = make_library(root, args.files)
        print(f"generated {len(paths)} files in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        bare_loop(paths)  # warm the page cache
        bare = [bare_loop(paths)]
        store = Store(Path(tmp) / "library.db")
        t = time.perf_counter()
        first = Scanner(store).scan([str(root)])
        first_s = time.perf_counter() - t
        bare.append(bare_loop(paths))
        t = time.perf_counter()
        again = Scanner(store).scan()
        rescan_s = time.perf_counter() - t
        store.close()
    assert first.read == len(paths) and again.unchanged == len(paths) and again.read == 0
    bare_s = statistics.mean(bare)
    n = len(paths)
    rows = [
        ("bare mutagen.File loop", bare_s, n / bare_s, 1.0, ""),
        ("segue first scan", first_s, n / first_s, bare_s / first_s, ">= 0.80x bare"),
        ("segue unchanged rescan", rescan_s, n / rescan_s, bare_s / rescan_s, "< 1 s"),
    ]
    print(f"\n{'what':<26}{'seconds':>9}{'files/s':>10}{'vs bare':>9}  target")
    for name, s, rate, ratio, target in rows:
        print(f"{name:<26}{s:>9.3f}{rate:>10.0f}{ratio:>8.2f}x  {target}")
    ok = first_s <= bare_s / 0.8 and rescan_s < 1.0
    print(f"\n{n} files; targets {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
