"""Does a station follow its listener's skips? A simulated skipper on real people's logs.

    python -m recommender.evaluate radio-skips --logs DIR [--last 5000] [--sessions 30] [--picks 20]
        [--people all|dev|held|p1,p2] [--variant NAME:field=value,...]... [--no-priors] [--json OUT]
        [--surface radio|upnext]

The people evaluation measures a station nobody reacts to (the rest of the session among
its first 20 tracks). This one measures what a station does when its listener answers it.
Each person's log is cut in time as the people evaluation cuts it (the latest ``--last``
listened plays, the first 80 % of their time span before the test period); from the test
sessions (those ``make_split`` asks), ``--sessions`` are taken at even steps. For each:

- the history is every play before the session (as the Radio protocol's station is built);
  the library is the tracks known before it (and the seed);
- the seed is the session's first listened track; the *wanted* artists are the artists of
  every track the person listened to in that session (the seed's among them);
- the station is asked for one pick at a time, as the app's filler asks: ``exclude`` = the
  station's picks so far, ``skipped`` = its early skips so far, ``streak`` = skips in a row;
  a pick by a wanted artist is kept (the streak ends), any other is skipped early.

Per person: wanted picks among the first ``--picks`` (mean over sessions) and how many picks
it took to the first wanted one (``--picks`` + 1 where none came). The table gives both as
means over the dev people and the held-out people (:func:`eval_people.dev_people`), for the
code as it is (``current``) and for each ``--variant`` (``RankConfig`` fields set for Radio:
``--variant off:radio_streak_steer=0,radio_skip_steer=0`` is the station before its skips steered
it towards the seed).
``--surface upnext`` asks Up next instead, as the app's "Keep it going" filler asks it: the
session so far (the person's own pick, then every offer in order), ``skipped`` = the offers
skipped so far, ``streak`` = skips in a row; the seed (the person's pick) is the session's first
track, an offer by a wanted artist is kept, any other skipped early.
The untrained ranker, single-threaded; about 25 s per variant for 21 people on one shared core.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from recommender.research.eval_people import dev_people, log_files, pick_people


def _parse_variant(text: str) -> tuple[str, dict]:
    name, _, fields = text.partition(":")
    conf = {}
    for kv in (f for f in fields.split(",") if f):
        k, v = kv.split("=")
        conf[k] = (v == "True") if v in ("True", "False") else float(v) if "." in v or "e" in v else int(v)
    return name, conf


def _skipper(rec, seed: int, wanted: set[int], never: list[int], picks: int, surface: str) -> tuple[int, int]:
    """Ask ``rec`` for ``picks`` picks one at a time (a station from ``seed``, or Up next after
    the session so far, which ``seed`` begins), skipping every pick whose artist is not
    ``wanted``. Returns (wanted picks, picks until the first wanted one or picks + 1)."""
    cat = rec.catalog
    asked, skipped, streak = [], [], 0
    hits, first = 0, picks + 1
    for step in range(picks):
        if surface == "upnext":
            got = rec.up_next([seed, *asked], 1, skipped=skipped, streak=streak, never=never)
        else:
            got = rec.radio(seed, 1, exclude=asked, skipped=skipped, streak=streak, never=never)
        if not got:
            break
        t = got[0][0]
        asked.append(t)
        if int(cat.artist[cat.row(t)]) in wanted:
            hits += 1
            first = min(first, step + 1)
            streak = 0
        else:
            skipped.append(t)
            streak += 1
    return hits, first


def evaluate_person(path: str, variants: dict[str, dict], *, last: int, sessions: int, picks: int,
                    train_frac: float = 0.8, priors: bool = True, surface: str = "radio") -> dict:
    """One person's means per variant: ``{"hits": ..., "first": ..., "sessions": n}``."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from recommender.rank import RankConfig
    from recommender.research.eval_upnext import UpNextRanker, load_priors_or_none
    from recommender.research.logs import load_log_file
    from recommender.research.splits import make_split
    from segue_common.listening import SESSION_GAP_S

    log = load_log_file(path, last_listened=last or None)
    t0, t1 = float(log.times[0]), float(log.times[-1])
    split = make_split(log, cut=t0 + train_frac * (t1 - t0), repeats=False, gap_s=SESSION_GAP_S,
                       train_repeats=True)
    usable = [i for i, (items, _, _) in enumerate(split.test) if len(np.setdiff1d(items[1:], items[:1]))]
    chosen = sorted({usable[int(j)] for j in np.linspace(0, len(usable) - 1, min(sessions, len(usable)))}) \
        if usable else []
    ranker = UpNextRanker(log, priors=load_priors_or_none(lambda *a, **k: None) if priors else None,
                          retrain_plays=None)
    out = {name: {"hits": [], "first": []} for name in variants}
    try:
        for i in chosen:
            items, _, _ = split.test[i]
            pos = split.positions[i]
            s = int(ranker._session_of[pos[0]])
            rec = ranker._session_recommender(s)
            known = int(ranker._known_after[pos[0] - 1]) if pos[0] > 0 else 0
            seed = int(items[0]) + 1
            # Tracks first played in this session or later are not in the library yet.
            never = [t for t in range(known + 1, rec.catalog.n + 1) if t != seed]
            # The catalogue numbers artists itself: read them through a track of each.
            wanted = {int(rec.catalog.artist[rec.catalog.row(int(it) + 1)]) for it in items
                      if log.item_artist[it] >= 0}
            wanted.discard(-1)
            for name, conf in variants.items():
                r = copy.copy(rec)
                r.config = replace(RankConfig(), **conf)
                hits, first = _skipper(r, seed, wanted, never, picks, surface)
                out[name]["hits"].append(hits)
                out[name]["first"].append(first)
    finally:
        ranker.close()
    return {name: {"hits": float(np.mean(v["hits"])) if v["hits"] else float("nan"),
                   "first": float(np.mean(v["first"])) if v["first"] else float("nan"),
                   "sessions": len(v["hits"])} for name, v in out.items()}


def format_table(records: dict[str, dict], dev: list[str], picks: int) -> str:
    variants = list(next(iter(records.values())))
    groups = {"dev": [p for p in records if p in dev], "held-out": [p for p in records if p not in dev]}
    head = "| variant | " + " | ".join(f"{g} wanted of {picks} | {g} picks to first"
                                      for g, ps in groups.items() if ps) + " |"
    lines = [head, "|---|" + "---:|" * (2 * sum(1 for ps in groups.values() if ps))]
    for v in variants:
        cells = []
        for ps in groups.values():
            if ps:
                cells.append(f"{np.nanmean([records[p][v]['hits'] for p in ps]):.2f}")
                cells.append(f"{np.nanmean([records[p][v]['first'] for p in ps]):.2f}")
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate radio-skips",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", required=True, help="folder of listening logs, one per person")
    ap.add_argument("--people", default="all", help="all, dev, held, or pseudonyms separated by commas")
    ap.add_argument("--last", type=int, default=5000, help="the latest N listened plays of each person (0: all)")
    ap.add_argument("--sessions", type=int, default=30, help="test sessions per person (at even steps)")
    ap.add_argument("--picks", type=int, default=20, help="picks asked per station")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME:field=value,... RankConfig fields beside the current defaults (repeatable)")
    ap.add_argument("--no-priors", action="store_true", help="leave the shipped priors out")
    ap.add_argument("--json", help="write the per-person means here")
    ap.add_argument("--surface", choices=("radio", "upnext"), default="radio",
                    help="radio: a station seeded with the pick; upnext: Up next after it")
    args = ap.parse_args(argv)

    files = log_files(Path(args.logs))
    if not files:
        raise SystemExit(f"no listening logs in {args.logs}")
    people = pick_people(files, args.people)
    variants = {"current": {}}
    variants.update(_parse_variant(v) for v in args.variant)
    start = time.perf_counter()
    records = {}
    for p in people:
        t = time.perf_counter()
        records[p] = evaluate_person(str(files[p]), variants, last=args.last, sessions=args.sessions,
                                     picks=args.picks, priors=not args.no_priors, surface=args.surface)
        print(f"  {p}: " + ", ".join(f"{v} {r['hits']:.2f}/{r['first']:.1f}" for v, r in records[p].items())
              + f" ({time.perf_counter() - t:.0f} s)", flush=True)
    dev = dev_people(sorted(files))
    print()
    print(f"Simulated skipper ({args.surface}): wanted = the artists the person listened to in the session; "
          f"{args.sessions} test sessions per person, {args.picks} picks each")
    print(format_table(records, dev, args.picks))
    print(f"wall {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"surface": args.surface, "variants": variants, "dev_people": dev,
                                               "records": records}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
