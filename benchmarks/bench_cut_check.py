"""What looking for files cut short costs on whole files: a scan's tag reads and a FLAC's open.

    python benchmarks/bench_cut_check.py [--files 300] [--repeat 7]

A file cut short (an interrupted download or copy) keeps the header of the whole file. The
scan now checks each FLAC's last frame header against the length its STREAMINFO gives, and
each MP3's bytes against what its Xing header implies in both directions; the player's
decoder makes the same FLAC check when it opens one. This measures that on whole files, in
the same run, two ways:

- ``before`` -- the header's length taken as it is (the FLAC check skipped, the MP3 bytes
  checked only for too many, as before);
- ``now`` -- with the checks.

Then what the check of a file rewritten in place as it plays costs (``audio_io.holds_whole``:
an MP3's every frame header read), made at such a rewrite that left the file smaller, on the
thread that opens the file again, against opening the same MP3s with the decoder (what that
thread does anyway).

Generated library: ``--files`` tagged files, a third each FLAC written by libsndfile (no
seek table), FLAC written by ffmpeg and MP3 with a LAME/Xing header, 20 s of pink noise
each (frames the size of music's). Caches are warm (both ways read from memory); the ways
alternate (in turn first), ``--repeat`` times, and the medians are compared. Target: ``now`` within 1.10x of
``before`` for the whole scan.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from player.audio.decoder import Decoder  # noqa: E402
from player.library import tags  # noqa: E402
from player.library.scanner import Scanner  # noqa: E402
from player.store import Store  # noqa: E402
from segue_common import audio_io  # noqa: E402
from segue_common.mp3 import Mp3Reader  # noqa: E402
from tests.audiogen import write_tags  # noqa: E402

KINDS = {
    "flac-libsndfile": ("flac", ["-c:a", "pcm_s16le", "-f", "wav"]),    # converted by soundfile below
    "flac-ffmpeg": ("flac", ["-c:a", "flac"]),
    "mp3-lame-xing": ("mp3", ["-c:a", "libmp3lame", "-q:a", "2"]),
}


def _template(root: Path, kind: str, seconds: float) -> Path:
    ext, args = KINDS[kind]
    root.mkdir(parents=True, exist_ok=True)
    out = root / f"{kind}.{'wav' if kind == 'flac-libsndfile' else ext}"
    subprocess.run([audio_io.ffmpeg_path() or "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"anoisesrc=color=pink:duration={seconds}:amplitude=0.3:seed=7", "-ac", "2", "-ar", "44100",
                    *args, str(out)], check=True)
    if kind == "flac-libsndfile":
        import soundfile as sf

        data, sr = sf.read(str(out), dtype="int16")
        out.unlink()
        out = out.with_suffix(".flac")
        sf.write(str(out), data, sr, subtype="PCM_16")
    return out


def make_library(root: Path, n: int, seconds: float) -> list[Path]:
    templates = {kind: _template(root, kind, seconds) for kind in KINDS}
    paths = []
    for i in range(n):
        kind = list(KINDS)[i % len(KINDS)]
        dest = root / f"Artist {i // 50}" / f"Album {i // 10}" / f"{i % 10:02d} Song {i} {kind}.{KINDS[kind][0]}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(templates[kind], dest)
        write_tags(dest, title=f"Song {i}", artist=f"Artist {i // 50}", album=f"Album {i // 10}",
                   tracknumber=str(i % 10 + 1))
        paths.append(dest)
    for t in templates.values():
        t.unlink()
    return paths


def _mp3_length_before(path: str, info, length: float) -> float:
    """``tags._mp3_length`` as it was: only too many bytes for the header's length are checked."""
    bitrate = tags._int_info(info, "bitrate") or 0
    try:
        audio_bytes = os.path.getsize(path) - (getattr(info, "frame_offset", 0) or 0)
    except OSError:
        return length
    if length > 0.0 and audio_bytes <= 1.05 * bitrate * length / 8 + 8192:
        return length
    try:
        with Mp3Reader(path) as reader:
            counted = reader.count_exactly() / reader.samplerate
    except Exception:
        return length
    return counted if counted > (length + 1.0 if length > 0.0 else 0.0) else length


@contextlib.contextmanager
def before():
    """The checks off: the header's length is taken as it is."""
    saved = audio_io.flac_frames_held, tags._mp3_length
    audio_io.flac_frames_held = lambda *args, **kwargs: None
    tags._mp3_length = _mp3_length_before
    try:
        yield
    finally:
        audio_io.flac_frames_held, tags._mp3_length = saved


def read_all(paths: list[Path]) -> tuple[float, list[float]]:
    t = time.perf_counter()
    lengths = [tags.read_tags(str(p))["duration"] for p in paths]
    return time.perf_counter() - t, lengths


def scan(root: Path, db: Path) -> float:
    if db.exists():
        db.unlink()
    store = Store(db)
    t = time.perf_counter()
    progress = Scanner(store).scan([str(root)])
    took = time.perf_counter() - t
    store.close()
    assert progress.errors == 0, progress.error_paths
    return took


def open_flacs(paths: list[Path]) -> float:
    t = time.perf_counter()
    for p in paths:
        Decoder(str(p), out_rate=44100).close()
    return time.perf_counter() - t


def open_files(paths: list[Path]) -> float:
    t = time.perf_counter()
    for p in paths:
        Decoder(str(p), out_rate=44100).close()
    return time.perf_counter() - t


def check_whole(paths: list[Path]) -> float:
    t = time.perf_counter()
    for p in paths:
        assert audio_io.holds_whole(p), p
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="segue-bench-cut-") as tmp:
        root = Path(tmp) / "music"
        t = time.perf_counter()
        paths = make_library(root, args.files, args.seconds)
        print(f"generated {len(paths)} files in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        flacs = [p for p in paths if p.suffix == ".flac"]
        db = Path(tmp) / "library.db"
        times: dict[str, dict[str, list[float]]] = {w: {"tags": [], "scan": [], "open": []} for w in ("before", "now")}
        lengths = {}
        for way in ("before", "now"):    # warm the page cache and both ways' code
            with before() if way == "before" else contextlib.nullcontext():
                read_all(paths)
                open_flacs(flacs)
        for i in range(args.repeat):
            for way in ("before", "now") if i % 2 == 0 else ("now", "before"):
                with before() if way == "before" else contextlib.nullcontext():
                    took, lengths[way] = read_all(paths)
                    times[way]["tags"].append(took)
                    times[way]["scan"].append(scan(root, db))
                    times[way]["open"].append(open_flacs(flacs))
        mp3s = [p for p in paths if p.suffix == ".mp3"]
        rewrite = {"open": [], "check": []}
        open_files(mp3s), check_whole(mp3s)
        for i in range(args.repeat):
            for what in ("open", "check") if i % 2 == 0 else ("check", "open"):
                rewrite[what].append((open_files if what == "open" else check_whole)(mp3s))
    assert lengths["before"] == lengths["now"], "a whole file's length changed"
    print(f"\n{'what':<34}{'before s':>10}{'now s':>10}{'now/before':>12}{'fastest':>10}")
    ratios = {}
    for what, label, n in (("tags", "read_tags, every file", len(paths)), ("scan", "first scan (Scanner)", len(paths)),
                           ("open", "Decoder open, FLAC files", len(flacs))):
        b, w = statistics.median(times["before"][what]), statistics.median(times["now"][what])
        fastest = min(times["now"][what]) / min(times["before"][what])
        ratios[what] = w / b
        print(f"{label + f' ({n})':<34}{b:>10.3f}{w:>10.3f}{w / b:>11.3f}x{fastest:>9.3f}x")
    opened, checked = statistics.median(rewrite["open"]), statistics.median(rewrite["check"])
    print(f"\n{'after a rewrite in place, MP3s (' + str(len(mp3s)) + ')':<34}{'s':>10}{'ms/file':>10}{'x open':>12}")
    for label, took in (("Decoder open (baseline)", opened), ("holds_whole (the check)", checked)):
        print(f"{label:<34}{took:>10.3f}{took / len(mp3s) * 1000:>10.2f}{took / opened:>11.3f}x")
    ok = ratios["scan"] <= 1.10
    print(f"\nmedians of {args.repeat} (fastest: the ratio of the fastest runs, which other work on the machine "
          f"slows least); whole files' lengths the same both ways; target (first scan within 1.10x) "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
