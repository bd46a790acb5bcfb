"""Whether a song rewritten in place as it plays (a tagger saving its tags) is heard with a gap.

    python benchmarks/bench_retag_hold.py [--formats flac mp3 m4a webm] [--long-min 30] [--at-min 20]
                                          [--repeat 1]

A song plays on the null engine in real time (1.5 s buffer); 1.5 s after it is first heard its
file is rewritten in place: FLAC, MP3 and M4A by mutagen saving a 300 kB cover or comment (too
big for the padding: the whole file is written again), the WebM (Opus, decoded by ffmpeg,
``--long-min`` minutes long, played from ``--at-min`` minutes in) by writing its own bytes over
it, as a sync tool copying the same version does (mutagen does not write WebM). The decoder
notices at its next read, waits for the file to stay as it is (0.25 s), and opens it again to
read on.

Two ways in turns, in the same run: "old", that open made on the feeder thread (the thread that
fills the ring the output reads from), as it was; "new", the engine as it is. Printed per row:
the time the open again took, the longest time between two passes of the feeder over the ring
after the rewrite (its longest hold; a tick is 20 ms), the least audio the ring held ahead at a
pass then, the underruns the output counted, the longest run of silence in the output (after the
rewrite, within the song), and whether the song played to its end as the same song.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.bench_feeder_hold import longest_hold_ms, time_passes  # noqa: E402

SR = 44100
PLAY_S = 8.0        # the short songs' length
RETAG_AT_S = 1.5    # heard before the rewrite
WEBM_AFTER_S = 15.0     # the WebM's play after the rewrite


def make_file(folder: Path, fmt: str, long_min: float) -> Path:
    seconds = long_min * 60 if fmt == "webm" else PLAY_S
    if fmt == "flac":
        t = np.arange(int(seconds * SR)) / SR
        path = folder / "song.flac"
        sf.write(str(path), np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, 1).astype(np.float32), SR)
        return path
    codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "192k"], "m4a": ["-c:a", "aac", "-b:a", "192k"],
             "webm": ["-c:a", "libopus", "-b:a", "64k"]}[fmt]
    path = folder / f"song.{fmt}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={SR}",
                    "-t", str(seconds), "-ac", "2", *codec, str(path)], check=True)
    return path


def retag(path: Path) -> None:
    """Rewrite ``path`` in place, as a tagger (or a sync tool, for WebM) does."""
    ext = path.suffix
    if ext == ".flac":
        from mutagen.flac import FLAC, Picture

        tags, picture = FLAC(str(path)), Picture()
        picture.type, picture.mime, picture.data = 3, "image/jpeg", os.urandom(300_000)
        tags.add_picture(picture)
        tags.save()
    elif ext == ".mp3":
        from mutagen.id3 import APIC, ID3

        tags = ID3()
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=os.urandom(300_000)))
        tags.save(str(path))
    elif ext == ".m4a":
        from mutagen.mp4 import MP4

        tags = MP4(str(path))
        tags["\xa9cmt"] = ["x" * 300_000]
        tags.save()
    else:
        data = path.read_bytes()
        with open(path, "r+b") as f:
            f.write(data)


def old_way():
    """What makes the decoder open the rewritten file again as it did: on the thread that reads it
    (the feeder), and with a seek to where it was read up to even where the reader is there
    already; None where the decoder has no other way."""
    from player.audio import decoder
    from player.audio.decoder import Decoder

    if not hasattr(Decoder, "_open_again"):
        return None
    look, holds = Decoder._look_again, decoder._holds

    def _look_again(self, now, since, first, **kw):
        done = look(self, now, since, first, **kw)
        if not done and self._reopening is not None:
            self._reopening.wait(None)      # (the feeder held until the open ends, as it was)
            done = look(self, now, since, first, **kw)
        return done

    def _holds(fresh, last):
        held = holds(fresh, last)
        fresh._native = -1      # (not known to be there: sought again)
        return held

    return [(Decoder, "_look_again", _look_again), (decoder, "_holds", _holds)]


def play_once(path: Path, way, at_s: float = 0.0) -> dict:
    from player.audio.base import PlaybackState, Source
    from player.audio.decoder import Decoder
    from player.audio.null_engine import NullEngine

    opens: list[float] = []
    worker = Decoder._open_again if hasattr(Decoder, "_open_again") else Decoder._look_again
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in way or ()]

    def timed(self, *args, **kw):
        t0 = time.monotonic()
        try:
            return worker(self, *args, **kw)
        finally:
            opens.append(time.monotonic() - t0)

    setattr(Decoder, worker.__name__, timed)
    for obj, name, value in way or ():
        setattr(obj, name, value)
    try:
        engine = NullEngine(capture=True)
        passes = time_passes(engine)
        src = Source(str(path))
        events = []
        engine.set_listener(lambda name, data: events.append(name))
        engine.play(src)
        deadline = time.monotonic() + 120
        if at_s:
            while src.heard_frames == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            engine.seek(at_s)
        while engine.position < at_s + RETAG_AT_S and time.monotonic() < deadline:
            time.sleep(0.005)
        retagged_at = time.monotonic()
        before, heard_blocks = engine.underruns, len(engine._captured)
        retag(path)
        end = retagged_at + (PLAY_S - RETAG_AT_S + 1.0 if path.suffix != ".webm" else WEBM_AFTER_S)
        while engine.state is not PlaybackState.STOPPED and time.monotonic() < end:
            time.sleep(0.02)
        passes.append((time.monotonic(), 0))     # (a feeder held until now never passed again)
        heard, underruns = src.heard_s, engine.underruns - before
        engine_stopped = engine.state is PlaybackState.STOPPED
        engine.close()
        out = engine.captured()[heard_blocks * engine._blocksize:, 0]      # (from the rewrite on)
    finally:
        setattr(Decoder, worker.__name__, worker)
        for obj, name, value in saved:
            setattr(obj, name, value)
    # (within the song: from the rewrite to its end, or to where it was stopped)
    nz = np.flatnonzero(out)
    out = out[:nz[-1] + 1] if len(nz) and engine_stopped else out
    zero = np.concatenate([[False], out == 0.0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    silence = (edges[1::2] - edges[::2]).max() / SR if len(edges) else 0.0
    # (the least ahead while the song is still being written: at its end the ring empties by design)
    after = [(t, n) for t, n in passes[:-1] if retagged_at <= t < retagged_at + 3.0]
    return {"open_ms": 1000 * max(opens, default=0.0), "opens": len(opens),
            "hold_ms": longest_hold_ms(passes, retagged_at),
            "low_ms": 1000 * min((n for _, n in after), default=0) / SR,
            "underruns": underruns, "silence_ms": 1000 * silence, "heard_s": heard,
            "replaced": src.replaced, "errors": [n for n in events if n == "error"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", nargs="+", default=["flac", "mp3", "m4a", "webm"])
    parser.add_argument("--long-min", type=float, default=30.0, help="minutes of the WebM (default 30)")
    parser.add_argument("--at-min", type=float, default=20.0,
                        help="minutes into the WebM it is rewritten, plus 1.5 s (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (the worst is shown)")
    args = parser.parse_args(argv)
    if shutil.which("ffmpeg") is None:
        print("needs ffmpeg")
        return 1
    old = old_way()
    ways = [("old", old), ("new", None)] if old is not None else [("as is", None)]
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            original = make_file(Path(tmp), fmt, args.long_min)
            whole = original.read_bytes()
            for way, patch in ways:
                runs = []
                for _ in range(args.repeat):
                    original.write_bytes(whole)
                    runs.append(play_once(original, patch, 60 * args.at_min if fmt == "webm" else 0.0))
                worst = max(runs, key=lambda r: (r["underruns"], r["hold_ms"]))
                rows.append((fmt, way, worst))
                print(f"  ran {fmt}, {way}", flush=True)
    print(f"\nretag hold: null engine, real time, 1.5 s buffer; rewritten in place {RETAG_AT_S:g} s in; "
          f"{os.cpu_count()} cores, load average before: {load_before:.2f}")
    head = (f"{'format':<7} {'way':<5} {'open again ms':>13} {'longest hold ms':>15} {'least ahead ms':>14} "
            f"{'underruns':>9} {'longest silence ms':>18} {'heard s':>7} {'replaced':>8}")
    print(head)
    print("-" * len(head))
    for fmt, way, r in rows:
        errors = f"  errors: {len(r['errors'])}" if r["errors"] else ""
        print(f"{fmt:<7} {way:<5} {r['open_ms']:>13.0f} {r['hold_ms']:>15.0f} {r['low_ms']:>14.0f} "
              f"{r['underruns']:>9d} {r['silence_ms']:>18.1f} {r['heard_s']:>7.2f} {str(r['replaced']):>8}{errors}")
    print("open again: the longest one open of the rewritten file took (with the look at the last block read, "
          "and the seek to where it was; ffmpeg decodes up to that place at the first read after, on the feeder). "
          "longest hold: the most time between two passes of the feeder over the "
          "ring after the rewrite. least ahead: the least audio buffered at a pass then. heard: seconds of the song "
          f"heard (the short songs are {PLAY_S:g} s; the WebM is stopped {WEBM_AFTER_S:g} s after the rewrite, from "
          "where it was sought to). underruns: after the rewrite.")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
