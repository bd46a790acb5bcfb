"""The app's own retraining on a long history: time per stage and peak memory.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_train.py [--plays 20000] [--log PATH]

Runs :func:`recommender.train.train_local` (what the app's trainer calls after every
20 plays: WMF, AutoRec, the session GRU, Up next's calibration, the run written to
disk) on a history of ``--plays`` plays, and, as the baseline in the same run, on the
first quarter of it. Each training runs in a fresh process (torch imported before the
clock starts, as a learner process holds it), so its peak resident memory
(``ru_maxrss``: numpy, torch and all) is its own; ``tracemalloc`` adds the peak of
what Python itself allocated (numpy arrays included, torch's tensors not). A stage's
time runs until the next stage is reported.

The history is a generated person (:func:`tests.play_history.generated_history`: albums
played in order, favourites on repeat, wandering; an early skip in ten plays; half the
plays after a session's first offered by Up next; 8,000 tracks by 800 artists, sessions
over a year), or a real log with ``--log`` (the latest ``--plays`` listened plays; every
track in it is the library).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from recommender.catalog import Catalog  # noqa: E402
from tests.play_history import generated_history  # noqa: E402

STAGES = ("sessions", "wmf", "autorec", "session", "calibrate", "personal", "written")


def logged_history(path: str, n_plays: int) -> tuple[Catalog, np.ndarray | None]:
    from recommender.research.eval_upnext import UpNextRanker, load_priors_or_none
    from recommender.research.logs import load_log_file

    log = load_log_file(path, last_listened=n_plays)
    ranker = UpNextRanker(log, priors=load_priors_or_none(lambda *a: None), retrain_plays=None)
    cat = ranker._catalog(log.n_items, len(log))
    prior = ranker._prior
    ranker.close()
    return cat, prior


def _child(source: dict, queue) -> None:
    """One training in this (fresh) process; puts its timings and memory on ``queue``."""
    from recommender.train import train_local

    if source["log"]:
        cat, prior = logged_history(source["log"], source["plays"])
    else:
        cat, prior = generated_history(source["plays"]), None
    t_import = time.perf_counter()
    import torch  # noqa: F401  (the learner imports it once; a run should not pay for it)

    import_s = time.perf_counter() - t_import
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stamps: list[tuple[str, float]] = []
    tracemalloc.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        result = train_local(root, cat, prior=prior, progress=lambda stage, frac: stamps.append(
            (stage, time.perf_counter() - t0)))
    total = time.perf_counter() - t0
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stage_s = {}
    for (stage, at), (_, nxt) in zip(stamps, stamps[1:] + [("end", total)]):
        stage_s[stage] = stage_s.get(stage, 0.0) + nxt - at
    queue.put({"plays": len(cat.plays), "tracks": cat.n, "sessions": int(result.metrics.get("n_sessions", 0)),
               "total_s": total, "stages": stage_s, "trained": result.trained,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rss_before_mb": base_rss / 1024, "py_peak_mb": py_peak / 2**20, "import_s": import_s})


def measure(source: dict) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(source, queue))
    proc.start()
    got = queue.get()
    proc.join()
    return got


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plays", type=int, default=20_000)
    ap.add_argument("--log", help="a real listening log instead of the generated person")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    rows = [measure({"log": args.log, "plays": args.plays // 4}), measure({"log": args.log, "plays": args.plays})]
    print(f"train_local on {'the log ' + args.log if args.log else 'a generated person'}; "
          f"{os.cpu_count()} cores, load average {load:.1f} at the start (timings on a shared machine are noisy)")
    print()
    print("| history | tracks | sessions | " + " | ".join(f"{s} (s)" for s in STAGES)
          + " | total (s) | peak RSS (MB) | of which before training, torch loaded (MB) | Python peak (MB) |")
    print("|---|---:|---:|" + "---:|" * (len(STAGES) + 4))
    for r in rows:
        cells = " | ".join(f"{r['stages'].get(s, 0.0):.2f}" for s in STAGES)
        print(f"| {r['plays']:,} plays | {r['tracks']:,} | {r['sessions']:,} | {cells} | {r['total_s']:.2f} | "
              f"{r['rss_mb']:.0f} | {r['rss_before_mb']:.0f} | {r['py_peak_mb']:.0f} |")
    small, big = rows
    print()
    print(f"{big['plays']:,} plays vs {small['plays']:,}: time x{big['total_s'] / small['total_s']:.2f}, "
          f"peak RSS x{big['rss_mb'] / small['rss_mb']:.2f}; trained: {', '.join(big['trained'])}; "
          f"importing torch before the run took {big['import_s']:.1f} s (not counted)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
