"""What the length fixes of the library scan cost: ``read_tags`` per kind of file.

    python benchmarks/bench_tag_lengths.py [--files 300] [--before OLD_TAGS_PY]

Ordinary files (MP3 with a Xing/Info header as LAME writes them, CBR MP3 without one, FLAC,
WAV, AIFF), files tagged in their own chunks (a WAV's RIFF INFO list before and after its
sound data, an AIFF's NAME and AUTH) and the files whose length needed a closer look (VBR MP3
without a Xing header, AIFF-C of IMA ADPCM, an AIFF cut in half) are read by ``read_tags``. The baseline is a bare
``mutagen.File`` over the same files, measured in the same run (caches warmed first, passes
interleaved, the median of five). ``--before`` takes a copy of an earlier tags.py (``git show
main:player/library/tags.py > /tmp/old_tags.py``) and times it too, for a ratio before/after.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mutagen  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from player.library import tags  # noqa: E402
from segue_common.audio_io import ffmpeg_path  # noqa: E402
from tests.audiogen import cut_to_half  # noqa: E402

SECONDS = 20
#: kind -> (file name, ffmpeg output options, or None for soundfile's (format, subtype)); ordinary first
KINDS = {
    "mp3 info header": ("a.mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "mp3 xing vbr": ("b.mp3", ["-c:a", "libmp3lame", "-q:a", "4"]),
    "mp3 cbr no header": ("c.mp3", ["-c:a", "libmp3lame", "-b:a", "192k", "-write_xing", "0"]),
    "flac": ("d.flac", None),
    "wav": ("e.wav", None),
    "aiff": ("f.aiff", None),
    "wav info list (ffmpeg)": ("j.wav", ["-metadata", "title=Title", "-metadata", "artist=Artist",
                                         "-metadata", "album=Album", "-metadata", "track=3"]),
    "wav info after data": ("k.wav", ("WAV", "PCM_16")),
    "aiff name auth (ffmpeg)": ("l.aiff", ["-metadata", "title=Title", "-metadata", "author=Artist"]),
    "FIXED mp3 vbr no header": ("g.mp3", ["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"]),
    "FIXED aifc ima adpcm": ("h.aifc", ("AIFF", "IMA_ADPCM")),
    "FIXED aiff cut in half": ("i.aiff", ("AIFF", "PCM_16")),
}


def make_templates(root: Path) -> dict[str, Path]:
    rng = np.random.default_rng(1)
    pcm = np.concatenate([np.zeros((5 * 44100, 2)), rng.uniform(-0.4, 0.4, ((SECONDS - 5) * 44100, 2))])
    src = root / "src.wav"
    sf.write(str(src), pcm, 44100)
    out = {}
    for kind, (name, how) in KINDS.items():
        path = root / name
        if isinstance(how, list):
            subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-i", str(src), *how, str(path)], check=True)
        else:
            fmt, subtype = how or ({"flac": "FLAC", "wav": "WAV", "aiff": "AIFF"}[name.split(".")[1]], None)
            sf.write(str(path), pcm, 44100, format=fmt, subtype=subtype)
        if "cut" in kind:
            cut_to_half(path)
        if "after data" in kind:        # where Audacity and Windows put a WAV's INFO list
            body = b"INFO" + b"INAM\x06\0\0\0Title\0" + b"IART\x06\0\0\0Artist"
            data = path.read_bytes() + b"LIST" + len(body).to_bytes(4, "little") + body
            path.write_bytes(data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:])
        out[kind] = path
    return out


def timed(read, paths) -> float:
    t = time.perf_counter()
    for p in paths:
        read(str(p))
    return (time.perf_counter() - t) / len(paths)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=300, help="files of each kind")
    ap.add_argument("--before", help="an earlier tags.py to time as well")
    args = ap.parse_args(argv)
    readers = {"mutagen.File": mutagen.File, "read_tags": tags.read_tags}
    if args.before:
        spec = importlib.util.spec_from_file_location("tags_before", args.before)
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
        readers["before"] = before.read_tags
    with tempfile.TemporaryDirectory(prefix="segue-bench-lengths-") as tmp:
        root = Path(tmp)
        templates = make_templates(root)
        files = {kind: [] for kind in templates}
        for kind, template in templates.items():
            for i in range(args.files):
                dest = root / "lib" / f"{i:04d}{template.name}"
                dest.parent.mkdir(exist_ok=True)
                shutil.copyfile(template, dest)
                files[kind].append(dest)
        times = {(kind, r): [] for kind in files for r in readers}
        for kind, paths in files.items():
            for read in readers.values():
                timed(read, paths[:20])                     # warm
            for _ in range(5):
                for r, read in readers.items():
                    times[kind, r].append(timed(read, paths))
        cols = list(readers)
        print(f"{'kind':<26}" + "".join(f"{c + ' ms':>16}" for c in cols)
              + f"{'new/mutagen':>13}" + (f"{'new/before':>12}" if args.before else "")
              + "   duration now (before)")
        for kind, paths in files.items():
            med = {r: statistics.median(times[kind, r]) * 1e3 for r in readers}
            line = f"{kind:<26}" + "".join(f"{med[c]:>16.3f}" for c in cols)
            line += f"{med['read_tags'] / med['mutagen.File']:>13.2f}"
            now = tags.read_tags(str(paths[0]))["duration"]
            if args.before:
                line += f"{med['read_tags'] / med['before']:>12.2f}"
                line += f"   {now:.3f} s ({readers['before'](str(paths[0]))['duration']:.3f} s)"
            else:
                line += f"   {now:.3f} s"
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
