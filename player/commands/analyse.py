"""``segue analyse``: tag every track with the MSD tagger (tags, embedding, genre bucket, MFCCs).

Runs the learner's analysis (:class:`player.learner.core.Learner`) in this process:
the same code the app's learner process runs.
"""

from __future__ import annotations

import sys


def add_parser(sub):
    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="analyse the audio of tracks not analysed yet (resumable; Ctrl-C stops)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default=None,
                   help="where mel and CNN run (default: the 'use GPU' setting; SEGUE_DEVICE overrides)")
    p.add_argument("--workers", type=int, default=None, help="decoding processes (default: cores - 1 with a GPU; "
                   "on the CPU none on 2 cores, else cores / 4; with none, a thread decodes ahead)")
    p.add_argument("--batch", type=int, default=None,
                   help="tracks per device batch (default: 8 on a GPU, 1 on the CPU)")
    p.add_argument("--all-patches", action="store_true",
                   help="tag every 3 s patch even on the CPU (default there: 16 evenly spaced patches)")
    p.add_argument("--retry-errors", action="store_true", help="try files that failed before again")
    return p


def run(args) -> int:
    from player.failures import quiet_helper_processes
    from player.learner.core import Learner

    quiet_helper_processes()          # a killed decoder's bookkeeping goes to the log, not the terminal
    from player.progress import ProgressBar
    from player.store import Store
    from recommender.audio_features import best_device

    store = Store.open()
    counts = store.library_counts()
    if not counts["tracks"]:
        # (said before the tagger loads: "all 0 tracks analysed" told of a library done)
        print("segue analyse: no tracks to analyse: " + ("the library is empty (segue scan FOLDER adds one)"
              if not counts["all"] else "none of the library's files can be read now (segue library says why)"))
        store.close()
        return 0
    bar = ProgressBar("analysing")
    device = best_device(args.device) if args.device else None
    learner = Learner(store)
    job = learner.new_job(device=device, workers=args.workers, batch_tracks=args.batch,
                          max_patches=None if args.all_patches else "auto", retry_errors=args.retry_errors,
                          progress=lambda p: bar.update(p.done, p.total, f"({p.errors} errors)"))
    before = store.feature_counts(job.tagger.version)
    if before["pending"] == 0 and not args.retry_errors:
        bar.close()
        print(f"segue analyse: all {before['analysed']} tracks analysed with {job.tagger.version} "
              f"({before['errors']} could not be decoded; --retry-errors tries them again)")
        store.close()
        return 0
    try:
        result = learner.run_job(job)
    except KeyboardInterrupt:
        job.cancel()
        bar.close("interrupted: finished tracks are kept; run again to continue")
        store.close()
        return 130
    rate = result.analysed / result.seconds if result.seconds else 0.0
    bar.close(f"analysed {result.analysed} tracks on {result.device} ({rate:.2f} tracks/s), "
              f"{result.errors} errors, model {result.model_version}")
    busy = {k: v for k, v in result.timings.items() if v > 0}
    if busy:
        print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in busy.items())
              + " (decode/resample summed over worker processes)")
    for path, error in result.error_paths[:20]:
        print(f"  error: {path}: {error}", file=sys.stderr)
    store.close()
    return 0
