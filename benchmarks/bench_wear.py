"""What an hour of playback writes to the library, and who writes it: this code against an older one.

    python -m benchmarks.bench_wear [--baseline REV] [--minutes 20] [--speed 60] [--queue 500]

Each side runs in its own process on a fresh library: the window's player (its state
remembered, as ``restore_state`` makes it) plays a queue of ``--queue`` songs of 3.5 minutes
through the null engine, ``--speed`` times faster than real time, its progress ticks and
clock sped up alike, so ``--minutes`` of listening pass as they would. The baseline is the
tree of ``--baseline`` (a git revision), taken out with ``git archive``; both sides run the
same workload, on the same machine, in the same run.

Counted per store call: how many calls, and the bytes the process handed to ``write()``
while they ran (the WAL frames, and the checkpoints that copy them into the file), read
from ``/proc/self/io`` (Linux). The table gives each per hour of listening, and the ratio
of the baseline to this code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SONG_S = 210.0
BEFORE_CUTS = "8f550202a6cf8c51c38513f1c7e9792adca8a43a"
WRITERS = ("set_setting", "update_play", "start_play", "end_play", "resume_paused_play", "close_interrupted_plays")


def _written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def child(minutes: float, speed: float, queue: int) -> dict:
    """The workload, in the process of one side (its ``player`` package first on the path)."""
    import numpy as np
    import soundfile as sf

    from player.audio.null_engine import NullEngine
    from player.playback import Player
    from player.store import Store

    folder = Path(os.environ["SEGUE_HOME"]) / "music"
    folder.mkdir(parents=True)
    song = folder / "song.wav"
    t = np.arange(int(SONG_S * 8000)) / 8000
    sf.write(song, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 8000, subtype="PCM_16")
    rows = []
    for i in range(queue):
        p = folder / f"s{i:04d}.wav"
        p.symlink_to(song)
        st = p.stat()
        rows.append({"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "title": f"Song {i}",
                     "artist": f"Artist {i % 40}", "album": f"Album {i % 80}", "duration": SONG_S})
    store = Store.open()
    store.upsert_tracks(rows)
    ids = [store.track_by_path(r["path"])["id"] for r in rows]

    counts = {name: [0, 0] for name in WRITERS}
    lock = threading.Lock()

    def counted(name, fn):
        def call(*a, **k):
            before = _written()
            try:
                return fn(*a, **k)
            finally:
                with lock:
                    counts[name][0] += 1
                    counts[name][1] += _written() - before
        return call

    for name in WRITERS:
        if hasattr(store, name):
            setattr(store, name, counted(name, getattr(store, name)))

    start = time.time()
    clock = lambda: start + (time.time() - start) * speed  # noqa: E731
    player = Player(store, NullEngine(speed=speed), progress_interval_s=2.0 / speed, clock=clock)
    player.restore_state()
    before = _written()
    player.play_tracks(ids, 0, source="library")
    time.sleep(minutes * 60 / speed)
    total = _written() - before
    player.close()
    store.close()
    return {"seconds": minutes * 60, "total": total, "calls": counts}


def run_side(tree: Path, args) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SEGUE_HOME": home, "PYTHONPATH": str(tree)}
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(args.minutes),
                              str(args.speed), str(args.queue)], env=env, cwd=tree, capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            sys.exit(f"the run in {tree} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The default is the last revision before the writes were cut: the table then says what
    # the cuts bring; give a newer one to see what a later change does.
    ap.add_argument("--baseline", default=BEFORE_CUTS, help="the git revision to compare with")
    ap.add_argument("--minutes", type=float, default=20.0, help="minutes of listening each side plays")
    ap.add_argument("--speed", type=float, default=60.0, help="how much faster than real time")
    ap.add_argument("--queue", type=int, default=500, help="songs queued")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "player", "segue_common",
                                  "recommender", "models"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        sides = {"baseline": run_side(Path(base), args), "now": run_side(ROOT, args)}
    hours = {k: v["seconds"] / 3600 for k, v in sides.items()}
    print(f"{args.minutes:g} minutes of listening each, {args.queue} songs of {SONG_S:g} s queued, "
          f"baseline {args.baseline}; per hour of listening:")
    print(f"{'writer':<26}{'calls (base)':>14}{'calls (now)':>13}{'KiB (base)':>12}{'KiB (now)':>11}{'base/now':>10}")
    rows = [(name, *(sides[k]["calls"].get(name, [0, 0]) for k in ("baseline", "now"))) for name in WRITERS]
    rows.append(("all writes (whole process)", [0, sides["baseline"]["total"]], [0, sides["now"]["total"]]))
    for name, (bc, bb), (nc, nb) in rows:
        bc, bb, nc, nb = bc / hours["baseline"], bb / hours["baseline"], nc / hours["now"], nb / hours["now"]
        ratio = f"{bb / nb:.1f}x" if nb else ("-" if not bb else "inf")
        print(f"{name:<26}{bc:>14.0f}{nc:>13.0f}{bb / 1024:>12.0f}{nb / 1024:>11.0f}{ratio:>10}")


if __name__ == "__main__":
    main()
