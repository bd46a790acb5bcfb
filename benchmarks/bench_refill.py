"""From a skip to the refilled Up next: the whole path the app runs, by stage.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_refill              # 10,000 and 100,000 tracks
    python -m benchmarks.bench_refill --tracks 10000 --skips 40 --profile

After an early skip the player asks its queue filler (on a worker thread, never the
window's) to re-rank the suggested entries with the skip; the filler calls
:meth:`player.recommender_service.RecommenderService.up_next`, which reads the new plays,
ranks, and gives each pick its reason. What a listener feels is that whole call, so it is
timed whole here, on a real SQLite store: a generated library (benchmarks/library_gen.py)
with analysis features saved for every track (a 200-d embedding, 50 tags and a genre
bucket, clustered as real ones are), and a history of ``--plays`` plays imported with
``segue import``'s own code (benchmarks/bench_big_history.py). Each skip logs a play
that ends early, tells the service as the player does, and asks Up next for ten.

Printed per library: p50/p95 of the whole call, then the same call taken apart by
stage (reading the new plays, the session's skips, the left-out songs, the ranking and
the reasons), so the stage that costs most is plain. Each library is skipped through
twice from the same start, in the same run, the two passes taking turns skip by skip:
one with each skip's neighbourhood push worked out again on every call (as before it was
kept: the baseline), one as the app runs; they must give the same lists and reasons, and
the table says so.
``--profile`` adds cProfile's top entries of the whole call (``BENCH_SORT=tottime``
to sort by time spent in each function itself).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

K = 10          # the queue filler's batch (player.ui.playback_mixin.FILL_BATCH)


def build(home: Path, n_tracks: int, n_plays: int) -> None:
    """A library of ``n_tracks`` with features saved for each, and ``n_plays`` imported plays."""
    from benchmarks.bench_big_history import history
    from benchmarks.library_gen import fill_store
    from player.history.importer import import_file
    from player.store import Store
    from tests.history_fixtures import lastfm_mbids

    store = Store.open(home / "library.db")
    try:
        t = time.perf_counter()
        fill_store(store, n_tracks)
        rows = store.tracks()
        rng = np.random.default_rng(5)
        # Clusters by genre as the tagger's embedding has them, each artist near its own spot.
        genres = sorted({r["genre"] for r in rows})
        centres = {g: rng.normal(size=200).astype(np.float32) for g in genres}
        artist_at: dict = {}
        feats = []
        for r in rows:
            at = artist_at.setdefault(r["artist"], centres[r["genre"]] + 0.5 * rng.normal(size=200))
            emb = (at + 0.4 * rng.normal(size=200)).astype(np.float32)
            tags = (1 / (1 + np.exp(-rng.normal(size=50)))).astype(np.float32)
            feats.append({"track_id": r["id"], "model_version": "bench", "tags": tags, "embedding": emb,
                          "bucket": r["genre"].lower()})
        for i in range(0, len(feats), 5000):
            store.save_features(feats[i:i + 5000])
        export = lastfm_mbids(home / "scrobbles.csv", history(rows, n_plays, years=3))
        summary = import_file(store, export)
        print(f"generated {n_tracks:,} tracks with features and imported {summary.plays:,} of {n_plays:,} "
              f"plays in {time.perf_counter() - t:.1f} s")
    finally:
        store.close()
    (home / "scrobbles.csv").unlink()


def _stages(service, session: list[int], queued: list[int]) -> dict[str, float]:
    """The steps of ``service.up_next`` in its order, each timed (ms); the same calls it makes."""
    out = {}
    t = time.perf_counter()
    rec = service.recommender()
    out["read new plays"] = time.perf_counter() - t
    t = time.perf_counter()
    skipped, streak, heard = service._session_plays(rec, session)
    out["session skips/heard"] = time.perf_counter() - t
    t = time.perf_counter()
    never = sorted(service._never_suggested())
    out["left-out songs"] = time.perf_counter() - t
    t = time.perf_counter()
    why: dict = {}
    got = rec.up_next(session, K, exclude=queued, skipped=skipped, streak=streak, never=never,
                      heard_through=heard, why=why)
    out["rank (with why)"] = time.perf_counter() - t
    t = time.perf_counter()
    last = next((x for x in reversed(session) if rec.catalog.row(x) >= 0), None)
    [rec.explain(x, f"after:{last}", why.get(x)) for x, _ in got]
    out["reasons"] = time.perf_counter() - t
    return {k: v * 1000 for k, v in out.items()}


def measure(home: Path, skips: int, profile: bool, *, keeps: int):
    """``keeps``: how many skip pushes the rank code keeps (``SKIP_PUSHES_KEPT``); 0, each
    skip's neighbourhood push worked out again on every call, as before it was kept (the
    baseline, in the same run: the rank code's old path, no push read back even within one
    call, so a push kept under a wrong key gives other lists than the baseline's). A
    generator that stops after each skip, so the two passes take turns (``interleaved``);
    its return value is the result."""
    from player.recommender_service import RecommenderService
    from player.store import Store
    from recommender import rank

    store = Store.open(home / "library.db")

    def own() -> None:
        rank.SKIP_PUSHES_KEPT = keeps

    own()
    try:
        ids = [r["id"] for r in store.tracks()]
        rng = np.random.default_rng(11)
        service = RecommenderService(store, models_dir=home / "models")
        t = time.perf_counter()
        service.up_next([ids[0]], K)
        first = time.perf_counter() - t
        session: list[int] = []
        queued: list[int] = []
        whole, parts, prof = [], [], cProfile.Profile() if profile else None
        lists = []

        def skip(track_id: int) -> None:
            play = store.start_play(track_id, source="up_next", track_ms=200_000)
            service.on_player_event("track_started", {})
            store.end_play(play, "skipped", 8_000)
            service.on_player_event("track_ended", {})
            session.append(track_id)

        for i in range(skips):
            yield
            own()
            got = service.up_next(session or [ids[0]], K)
            lists.append([(r.track_id, r.reason) for r in got])
            skip(got[0].track_id if got else int(rng.choice(ids)))
            queued = [r.track_id for r in got[1:4]]
            if i % 2:
                t = time.perf_counter()
                if prof is not None:
                    prof.enable()
                lists.append([(r.track_id, r.reason) for r in service.up_next(session, K, exclude=set(queued))])
                if prof is not None:
                    prof.disable()
                whole.append((time.perf_counter() - t) * 1000)
            else:
                parts.append(_stages(service, session, queued))
        return {"first": first, "whole": whole, "parts": parts, "prof": prof,
                "plays": store.play_count(), "lists": lists}
    finally:
        store.close()


def interleaved(passes: dict) -> dict:
    """Run the ``measure`` generators in turns, a skip each; their results by key."""
    out = {}
    while passes:
        for key, gen in list(passes.items()):
            try:
                next(gen)
            except StopIteration as done:
                out[key] = done.value
                del passes[key]
    return out


def report(n_tracks: int, before: dict, got: dict) -> None:
    """The two passes side by side: skip pushes worked out each call (before) and kept (now)."""
    print(f"\n{n_tracks:,} tracks, {got['plays']:,} plays; catalogue built + first Up next "
          f"{got['first']:.2f} s; {len(got['whole'])} skips timed whole, {len(got['parts'])} by stage; "
          f"lists and reasons the same in both passes: {'yes' if before['lists'] == got['lists'] else 'NO'}")
    print(f"{'after a skip (ms)':32s}{'before p50':>11s}{'p95':>8s}{'now p50':>9s}{'p95':>8s}{'share now':>10s}"
          f"{'p50 now/before':>15s}")

    def row(name: str, a: np.ndarray, b: np.ndarray, share: str = "") -> None:
        pa, pb = np.percentile(a, [50, 95]), np.percentile(b, [50, 95])
        print(f"{name:32s}{pa[0]:11.2f}{pa[1]:8.2f}{pb[0]:9.2f}{pb[1]:8.2f}{share:>10s}{pb[0] / pa[0]:14.2f}x")

    row("service.up_next (whole call)", np.array(before["whole"]), np.array(got["whole"]))
    total = sum(sum(p.values()) for p in got["parts"])
    for name in got["parts"][0]:
        a = np.array([p[name] for p in before["parts"]])
        b = np.array([p[name] for p in got["parts"]])
        row("  " + name, a, b, f"{100 * b.sum() / total:.0f}%")
    if got["prof"] is not None:
        pstats.Stats(got["prof"]).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--plays", type=int, default=20_000)
    parser.add_argument("--skips", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--home", help="data folder to keep or reuse, one per library size (a suffix is added)")
    args = parser.parse_args(argv)
    from recommender import rank

    for n in args.tracks:
        home = Path(f"{args.home}-{n}") if args.home else Path(tempfile.mkdtemp(prefix="segue-bench-refill-"))
        home.mkdir(parents=True, exist_ok=True)
        os.environ["SEGUE_HOME"] = str(home)       # nothing of the person's own data folder is touched
        try:
            if not (home / "library.db").exists():
                build(home, n, args.plays)
            # Each pass skips on a copy of its own: both start from the plays as built. They
            # take turns skip by skip, so a machine busier for a while slows both alike.
            runs = {kept: home / ("run-kept" if kept else "run-before") for kept in (False, True)}
            for run in runs.values():
                shutil.rmtree(run, ignore_errors=True)
                run.mkdir()
                shutil.copy(home / "library.db", run / "library.db")
            keeps = rank.SKIP_PUSHES_KEPT
            try:
                passes = interleaved({kept: measure(runs[kept], args.skips, args.profile and kept,
                                                    keeps=keeps if kept else 0) for kept in (False, True)})
            finally:
                rank.SKIP_PUSHES_KEPT = keeps
                for run in runs.values():
                    shutil.rmtree(run, ignore_errors=True)
            report(n, passes[False], passes[True])
        finally:
            if not args.home:
                shutil.rmtree(home, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
