"""The same songs again and again? What a day, and a week, of letting Up next run sounds like.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_fatigue.py [--tracks 3000] [--hours 8] [--days 1]
        [--sessions-per-day 1] [--listeners 3] [--kind habits] [--train-every 0] [--config NAME=VALUE]

A listener from ``bench_listening`` (same generated library, same tastes) starts a session with a
song of their own and lets Up next run, skipping what they dislike (an early skip, 6 s; a song
heard through, 220 s), for ``--hours`` a day, cut into ``--sessions-per-day`` sessions (hours
apart, so each is a listening session of its own), for ``--days`` days. Every offer is
``Recommender.up_next`` over the play log so far, as the app asks it; ``--train-every`` retrains
the local models as the app's trainer does (0: the ranker alone, quicker).

Per policy (Segue, and shuffle as the baseline in the same run) it prints, over the plays heard
through: how many songs were heard, how many distinct songs and artists, the share of plays that
were a song heard before (that day, that session), the median number of plays before a song came
back, the share of heard transitions (this song after that one) heard before in the run (a loop
in the same order), the share of the library ever offered, the share of the last day's plays that
had already been heard on an earlier day, and how often the session had heard everything Up next
may offer (the fill then asks again with the later half of the session, as the app's does).

Columns: heard, songs, artists (distinct), skip (share of offers skipped), rep (plays of a song
heard before in the run), rep_sess, rep_day (heard before in the same session, day), gap (median
plays between a song and its return), pair_again, offered, last_day_old, dry.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks.bench_listening import LISTENERS, World  # noqa: E402
from recommender.catalog import PlayLog  # noqa: E402
from recommender.rank import Recommender  # noqa: E402

COLUMNS = ("track_id", "session_id", "started_at", "ms_heard", "track_ms", "ended", "source")


def listen(world: World, seed: int, policy: str, args, models_root: Path) -> dict:
    """One listener's days; returns the rows offered, whether heard through, session and day of each."""
    listener = LISTENERS[args.kind](world, seed)
    rng = np.random.default_rng(seed + 17)
    cat = world.catalog
    log = {k: [] for k in COLUMNS}
    recent: list[int] = []
    out = {"row": [], "ok": [], "session": [], "day": [], "offer": []}
    models, t0 = None, 1.7e9
    span = args.hours * 3600 / args.sessions_per_day
    sid = 0
    if policy == "segue" and args.train_every:
        from recommender.local_models import load_models
        from recommender.train import train_local

    def play(row: int, ok: bool, offered: bool, session: int, day: int, t: float) -> None:
        for k, v in zip(COLUMNS, (int(cat.track_ids[row]), session, t, 220_000.0 if ok else 6_000.0, 220_000.0,
                                  "finished" if ok else "skipped", "up_next" if offered else "library")):
            log[k].append(v)
        for k, v in zip(("row", "ok", "session", "day", "offer"), (row, ok, session, day, offered)):
            out[k].append(v)
        recent.append(row)

    def plays() -> PlayLog:
        return PlayLog(*(np.array(log[k], dtype=object if k in ("ended", "source") else None) for k in COLUMNS))

    for day in range(args.days):
        for s in range(args.sessions_per_day):
            t = t0 + day * 86400 + s * (span + 3600)
            end = t + span
            listener.new_session()
            session, skipped, chosen = [], [], []
            own = listener.pick(recent)
            if own is None:
                own = int(rng.integers(0, cat.n))
            play(own, True, False, sid, day, t)
            session.append(own)
            chosen.append(own)
            t += 220
            since_train = 0
            while t < end:
                if policy == "shuffle":
                    row = int(rng.integers(0, cat.n))
                else:
                    cat.set_plays(plays())
                    rec = Recommender(cat, models, now=t, config=args.config)
                    history = session
                    while True:
                        got = rec.up_next([int(cat.track_ids[r]) for r in history], 1,
                                          skipped=[int(cat.track_ids[r]) for r in skipped if r in history],
                                          heard_through=[int(cat.track_ids[r]) for r in chosen if r in history])
                        if got or len(history) < 2:
                            break
                        # The app's fill, where a session has heard the whole library: it asks
                        # again with the later half of the session, and the rest comes back.
                        out.setdefault("ran_dry", []).append((day, s, len(session)))
                        history = history[len(history) // 2:]
                    if not got:
                        break
                    row = cat.row(got[0][0])
                kept = [r for r in session if r not in skipped]
                ok = listener.accepts(row, recent, kept[-1] if kept else None)
                play(row, ok, True, sid, day, t)
                session.append(row)
                if not ok:
                    skipped.append(row)
                t += 220 if ok else 6
                since_train += 1
                if policy == "segue" and args.train_every and since_train >= args.train_every:
                    cat.set_plays(plays())
                    train_local(models_root, cat, now=t, session_model=False, calibrate=False)
                    models, since_train = load_models(models_root, cat), 0
            sid += 1
    cat.set_plays(PlayLog.empty())
    return {k: np.array(v) for k, v in out.items()}


def measures(o: dict, world: World) -> dict:
    """The repetition measures over one listener's plays heard through."""
    ok = o["ok"].astype(bool)
    row, sess, day = o["row"][ok], o["session"][ok], o["day"][ok]
    last: dict = {}
    gaps, in_sess, in_day = [], 0, 0
    for i, r in enumerate(row):
        if r in last:
            j = last[r]
            gaps.append(i - j)
            in_sess += sess[j] == sess[i]
            in_day += day[j] == day[i]
        last[r] = i
    # A loop: the same song after the same song, as heard before.
    pairs = list(zip(row[:-1].tolist(), row[1:].tolist()))
    again = sum(pr in set(pairs[:i]) for i, pr in enumerate(pairs)) / max(len(pairs), 1)
    final = day == day.max()
    before = set(row[~final].tolist())
    return {"heard": len(row), "songs": len(np.unique(row)), "artists": len(np.unique(world.artist[row])),
            "skip": 1 - ok[o["offer"].astype(bool)].mean(),
            "rep": len(gaps) / len(row), "rep_sess": in_sess / len(row), "rep_day": in_day / len(row),
            "gap": float(np.median(gaps)) if gaps else float("nan"),
            "pair_again": again, "offered": len(np.unique(o["row"])) / world.catalog.n,
            "last_day_old": float(np.mean([r in before for r in row[final]])) if before else float("nan"),
            "dry": len(o.get("ran_dry", ()))}


def people(logs: Path) -> None:
    """The same measures over real people's listening logs (gzipped TSV, one per person, with
    ``time``, ``artist``, ``track`` and ``ms_played`` columns): plays under 30 s are skips."""
    import csv
    import gzip
    from datetime import datetime
    print(f"\nreal people ({logs}): per window of 350 plays heard, and over sessions (30 min gaps) of 60+")
    print(f"{'person':10s}{'songs/350':>10s}{'pair_again':>11s}{'gap':>6s}{'rep_sess(60+)':>14s}")
    rows = []
    for f in sorted(logs.glob("*.tsv.gz")):
        heard = []
        with gzip.open(f, "rt", newline="") as fh:
            for r in csv.DictReader(fh, delimiter="\t"):
                if not (r["ms_played"] and int(r["ms_played"]) < 30_000):
                    heard.append((datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp(),
                                  r["artist"].lower(), r["track"].lower()))
        heard.sort(key=lambda h: h[0])
        t = np.array([h[0] for h in heard])
        codes: dict = {}
        song = np.array([codes.setdefault(h[1:], len(codes)) for h in heard])
        session = np.concatenate([[0], np.cumsum(np.diff(t) >= 1800)])
        windows = [song[i:i + 350] for i in range(0, len(song) - 349, 350)]
        distinct = np.median([len(np.unique(w)) for w in windows]) if windows else np.nan
        again = []
        for w in windows:
            seen, n = set(), 0
            for pair in zip(w[:-1].tolist(), w[1:].tolist()):
                n += pair in seen
                seen.add(pair)
            again.append(n / (len(w) - 1))
        last: dict = {}
        gaps = []
        for i, s_ in enumerate(song.tolist()):
            if s_ in last:
                gaps.append(i - last[s_])
            last[s_] = i
        sizes = np.bincount(session)
        long = np.flatnonzero(sizes >= 60)
        in_long = np.isin(session, long)
        rep = ((in_long.sum() - sum(len(np.unique(song[session == s_])) for s_ in long)) / in_long.sum()
               if in_long.any() else np.nan)
        rows.append((distinct, np.median(again) if again else np.nan, np.median(gaps) if gaps else np.nan, rep))
        print(f"{f.name.split('.')[0]:10s}{rows[-1][0]:10.0f}{rows[-1][1]:11.2f}{rows[-1][2]:6.0f}{rows[-1][3]:14.2f}")
    med = np.nanmedian(np.array(rows, float), axis=0)
    print(f"{'median':10s}{med[0]:10.0f}{med[1]:11.2f}{med[2]:6.0f}{med[3]:14.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--hours", type=float, default=8.0, help="hours of listening a day")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--sessions-per-day", type=int, default=1)
    parser.add_argument("--listeners", type=int, default=3)
    parser.add_argument("--seed-base", type=int, default=100)
    parser.add_argument("--kind", choices=sorted(LISTENERS), default="habits")
    parser.add_argument("--train-every", type=int, default=0, help="retrain after this many offers (0: never)")
    parser.add_argument("--people", type=Path, default=None,
                        help="also measure the real listening logs in this folder (one gzipped TSV a person)")
    parser.add_argument("--config", action="append", default=[], metavar="NAME=VALUE",
                        help="a ranker setting other than its default (RankConfig), to see what it does")
    args = parser.parse_args(argv)
    from dataclasses import replace
    from recommender.rank import RankConfig
    overrides = {k: float(v) for k, v in (c.split("=", 1) for c in args.config)}
    args.config = replace(RankConfig(), **overrides) if overrides else None
    # (a small library: fewer genres and artists, so that each has a few songs and the
    # listener's sixteen favourite artists are not most of them)
    world = World(args.tracks, genres=min(12, max(4, args.tracks // 40)), artists=max(40, args.tracks // 10))
    print(f"{args.tracks} tracks, {args.kind} listeners seeded from {args.seed_base}, {args.days} day(s) of "
          f"{args.hours:g} h in {args.sessions_per_day} session(s); over plays heard through:")
    cols = ("heard", "songs", "artists", "skip", "rep", "rep_sess", "rep_day", "gap", "pair_again", "offered",
            "last_day_old", "dry")
    if args.config is not None:
        print("ranker settings: " + ", ".join(f"{k}={getattr(args.config, k)}" for k in overrides))
    print("policy   listener" + "".join(f"{c:>13s}" for c in cols))
    for policy in ("shuffle", "segue"):
        for s in range(args.listeners):
            with tempfile.TemporaryDirectory() as tmp:
                m = measures(listen(world, args.seed_base + s, policy, args, Path(tmp)), world)
            print(f"{policy:9s}{args.seed_base + s:8d}" + "".join(
                f"{m[c]:13d}" if isinstance(m[c], (int, np.integer)) else f"{m[c]:13.2f}" for c in cols))
    if args.people is not None:
        people(args.people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
