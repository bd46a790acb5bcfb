"""What Up next's Ctrl+Z keeps: the memory 50 moves and removals hold, and how many steps stay.

    python -m benchmarks.bench_undo_memory                 # 10,000 and 100,000 queued
    python -m benchmarks.bench_undo_memory --sizes 20000 50000

Each step keeps the whole queue as it was (and, shuffling, the order shuffle off goes back
to): for each size, shuffling and not, a player (null engine, empty library) with that many
tracks queued takes 50 steps, a removal and a move to the top in turn, with tracemalloc on;
the memory still held once they are done is what the steps keep. "all 50" is the cap by steps
alone (UNDO_ENTRIES out of the way), measured in the same run; the ratio is the entries cap's
memory over it.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

STEPS = 50


def held(size: int, shuffle: bool, cap: int) -> tuple[float, int]:
    """MiB the undo steps hold, and how many steps Ctrl+Z can take back."""
    import player.playback as playback
    from player.audio.null_engine import NullEngine
    from player.store import Store

    playback.UNDO_ENTRIES = cap
    with tempfile.TemporaryDirectory() as home:
        store = Store.open(Path(home) / "library.db")
        p = playback.Player(store, NullEngine(speed=1.0))
        try:
            p.enqueue(range(1, size + 1))
            if shuffle:
                p.set_shuffle(True)
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            for i in range(STEPS):
                q = p.queue
                if i % 2:
                    p.move_queue_entries([q[500 + i]], [q[0]])
                else:
                    p.remove_queue_entries([q[100 + i]])
                del q
            gc.collect()
            mib = (tracemalloc.get_traced_memory()[0] - base) / 2**20
            tracemalloc.stop()
            return mib, len(p._undo)
        finally:
            p.close()
            store.close()


def main() -> None:
    import player.playback as playback

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    cap = playback.UNDO_ENTRIES
    print(f"| queued | shuffle | all 50: MiB, steps | cap {cap:,} entries: MiB, steps | ratio |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        for shuffle in (False, True):
            old, old_steps = held(size, shuffle, 1 << 62)
            new, new_steps = held(size, shuffle, cap)
            print(f"| {size:,} | {'on' if shuffle else 'off'} | {old:.1f}, {old_steps} | {new:.1f}, {new_steps} "
                  f"| {new / old:.2f} |", flush=True)


if __name__ == "__main__":
    main()
