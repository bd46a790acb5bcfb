"""How long the learner process takes to exit when it is asked to stop in the middle of a training
or of the analysis of a long file.

    python -m benchmarks.bench_learner_stop                       # 20,000 plays, stop 1 s into each stage
    python -m benchmarks.bench_learner_stop --plays 8000 --stages wmf session
    python -m benchmarks.bench_learner_stop --analysis            # a 20-minute FLAC, every patch tagged

A real learner process (:class:`player.learner.client.LearnerProcess`, at the lowest
priority as in the app) on a store holding a generated history (the person of
``tests/play_history.py``: albums in order, favourites, wandering) first trains
once to the end: those are the published models, and that training's length is the
baseline. Then, for each ``--stages`` stage, it is asked to train again and, ``--after``
seconds into that stage, to stop, with the window's grace period (``--grace``, 5 s as
when the app quits) before it is ended. Reported per stage: seconds from the stop
request to the process's exit, its exit code (negative: it had to be ended), whether
the published run is still the current one and loads, and what was left in the models
folder besides the runs (partial runs, temporary files).

With ``--analysis`` it analyses one generated 20-minute FLAC (``--minutes``; music-like
sections of drums and chords, 44.1 kHz stereo) tagging every patch (a GPU's mode, or
the ``analysis.max_patches`` setting left empty: the file goes through in parts of
about 95 s of audio). In interleaved rounds, in this process on one CNN thread, a pass
is cancelled ``--after`` seconds in, and the seconds from the cancel to the pass's end
are reported for the job as it is and, as the baseline, for the job with its checks
between the CNN batches of a part turned off (a part then runs to its end, as before
those checks). Then a real learner process is asked to stop ``--after`` seconds into
its analysis of the file: seconds to its exit and its exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def long_flac(path: Path, minutes: float) -> Path:
    """A music-like stereo FLAC, generated and written 30 s at a time (kept if there)."""
    import soundfile as sf

    from benchmarks.bench_analysis import music_like

    if path.exists():
        return path
    sr, tmp = 44100, path.with_name(path.stem + ".tmp" + path.suffix)
    with sf.SoundFile(str(tmp), "w", sr, 2, format="FLAC", subtype="PCM_16") as f:
        for j in range(int(minutes * 2)):
            f.write(music_like(30.0, sr=sr, seed=j))
    os.replace(tmp, path)
    return path


def analysis_stop(args) -> int:
    import statistics
    import threading

    from player.analysis import AnalysisJob
    from player.learner import messages as m
    from player.learner.client import LearnerProcess
    from player.learner.process import LearnerOptions
    from player.library.scanner import Scanner
    from player.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="segue-bench-stop-"))
    os.environ["SEGUE_HOME"] = str(tmp / "home")
    music = tmp / "music"
    music.mkdir()
    t = time.perf_counter()
    long_flac(music / "long.flac", args.minutes)
    print(f"{args.minutes:g}-minute FLAC written in {time.perf_counter() - t:.1f} s")
    store = Store.open(tmp / "library.db")
    Scanner(store).scan([str(music)])

    class Before(AnalysisJob):
        def _check_cancel(self) -> None:
            pass

    def one_pass(kind) -> float:
        job = kind(store, workers=0, device="cpu", max_patches=None, cnn_workers=1)
        done = threading.Event()
        thread = threading.Thread(target=lambda: (job.run(), done.set()))
        thread.start()
        if done.wait(args.after):
            raise SystemExit("the pass ended before the cancel: give --after less or --minutes more")
        t = time.perf_counter()
        job.cancel()
        thread.join()
        return time.perf_counter() - t

    took: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for name, kind in (("before", Before), ("after", AnalysisJob)):
            took[name].append(one_pass(kind))
            print(f"{name}: cancel -> end of pass {took[name][-1]:.2f} s")
    assert len(store.features()) == 0 and store.feature_errors() == []

    got: queue.Queue = queue.Queue()
    options = LearnerOptions(train=False, analysis={"max_patches": None})
    learner = LearnerProcess(store.path, options=options, on_message=got.put)
    learner.start()
    while not isinstance(got.get(timeout=120), m.Ready):
        pass
    time.sleep(args.after)
    proc = learner._proc
    t = time.perf_counter()
    learner.stop(timeout=args.grace)
    process_s = time.perf_counter() - t
    store.close()
    print(f"\n{'':<36} {'median s':>8} {'max s':>6}")
    for name, label in (("before", "cancel -> end, before (in-process)"), ("after", "cancel -> end, now (in-process)")):
        print(f"{label:<36} {statistics.median(took[name]):>8.2f} {max(took[name]):>6.2f}")
    ratio = statistics.median(took["before"]) / max(statistics.median(took["after"]), 1e-9)
    print(f"median before / now: {ratio:.1f}x")
    print(f"learner process: stop -> exit {process_s:.2f} s, exit code {proc.exitcode} "
          f"(grace {args.grace:g} s; negative: it had to be ended)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plays", type=int, default=20_000)
    parser.add_argument("--stages", nargs="+", default=["wmf", "autorec", "session"])
    parser.add_argument("--after", type=float, default=None,
                        help="seconds into the stage (1) or the analysis (6) the stop is asked")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds the learner gets before it is ended")
    parser.add_argument("--analysis", action="store_true", help="stop during the analysis of a long file")
    parser.add_argument("--minutes", type=float, default=20.0, help="--analysis: the file's length")
    parser.add_argument("--rounds", type=int, default=3, help="--analysis: cancels measured each way")
    args = parser.parse_args(argv)
    if args.analysis:
        args.after = 6.0 if args.after is None else args.after
        return analysis_stop(args)
    args.after = 1.0 if args.after is None else args.after

    from player.learner import messages as m
    from player.learner.client import LearnerProcess
    from player.learner.process import LearnerOptions
    from player.recommender_service import build_catalog
    from player.store import Store
    from recommender.local_models import current_run, load_models
    from tests.play_history import fill_history, leftovers

    tmp = Path(tempfile.mkdtemp(prefix="segue-bench-stop-"))
    os.environ["SEGUE_HOME"] = str(tmp / "home")
    store = Store.open(tmp / "library.db")
    t = time.perf_counter()
    n = fill_history(store, args.plays)
    print(f"history: {n} plays logged in {time.perf_counter() - t:.1f} s")
    models = tmp / "models"
    options = LearnerOptions(analyse=False, every_n_plays=10**9, idle_s=10**9, check_s=10**9)
    got: queue.Queue = queue.Queue()

    def start() -> LearnerProcess:
        learner = LearnerProcess(store.path, models_dir=models, options=options, on_message=got.put)
        learner.start()
        while not isinstance(got.get(timeout=120), m.Ready):
            pass
        learner.send(m.TrainNow())
        return learner

    def wait_for(test, timeout=1800):
        end = time.monotonic() + timeout
        while True:
            message = got.get(timeout=max(0.1, end - time.monotonic()))
            if test(message):
                return message

    learner = start()
    wait_for(lambda x: isinstance(x, m.TrainingProgress))
    t = time.perf_counter()
    stage_at: dict[str, float] = {}
    while True:
        message = wait_for(lambda x: isinstance(x, (m.TrainingProgress, m.ModelsChanged, m.TrainingFailed)))
        if isinstance(message, m.TrainingProgress):
            stage_at.setdefault(message.stage, time.perf_counter() - t)
        else:
            break
    full = time.perf_counter() - t
    learner.stop()
    published = current_run(models).name
    print(f"full training: {full:.1f} s; stages began at "
          + ", ".join(f"{k} {v:.1f} s" for k, v in stage_at.items()))
    rows = []
    for stage in args.stages:
        learner = start()
        reached = wait_for(lambda x, s=stage: isinstance(x, m.TrainingProgress) and x.stage == s
                           or isinstance(x, (m.ModelsChanged, m.TrainingFailed)))
        if not isinstance(reached, m.TrainingProgress):      # this run skips the stage (measured lately)
            learner.stop()
            print(f"{stage}: not reached")
            published = current_run(models).name
            continue
        time.sleep(args.after)
        proc = learner._proc
        t = time.perf_counter()
        learner.stop(timeout=args.grace)
        took = time.perf_counter() - t
        cat, _ = build_catalog(store)
        now = current_run(models)
        loads = now is not None and load_models(models, cat).info.get("run") == now.name
        rows.append({"stage": stage, "stop_to_exit_s": round(took, 2), "exitcode": proc.exitcode,
                     "published_still_current": now is not None and now.name == published,
                     "loads": loads, "leftovers": leftovers(models)})
        print(json.dumps(rows[-1]))
    store.close()
    print(f"\n{'stage':<10} {'stop->exit s':>12} {'exit code':>9} {'same run':>8} {'loads':>5}  leftovers")
    for r in rows:
        print(f"{r['stage']:<10} {r['stop_to_exit_s']:>12.2f} {r['exitcode']!s:>9} "
              f"{r['published_still_current']!s:>8} {r['loads']!s:>5}  {len(r['leftovers'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
