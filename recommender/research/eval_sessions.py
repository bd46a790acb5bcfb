"""Next-track ("Up next") evaluation on one person's listening log.

    python -m recommender.evaluate sessions --log PATH [--user U] [--no-update]
        [--repeats kept|removed|both] [--models pop,sr,gru,...] [--json OUT]

Time-ordered split (train on the first ``--train-frac`` of the log's time span,
query every next play after it), full ranking over all tracks known at that
time; see :mod:`recommender.research.protocol`. The blend of the GRU with a baseline
is chosen on a validation split carved from the end of the training period
(never on the test plays): the baseline and weight with the best HR@20 + MRR@20
there are then reported on the test plays.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial

import numpy as np

from recommender.models.session_base import ItemSpace
from recommender.research.logs import load_log_file
from recommender.research.protocol import run
from recommender.research.session_baselines import (
    STAN,
    SameArtist,
    SequentialRules,
    SessionItemKNN,
    SessionKNN,
    SessionPopularity,
)
from recommender.research.splits import make_split
from segue_common.listening import SESSION_GAP_S

BASELINES = {
    "pop": SessionPopularity,
    "same-artist": SameArtist,
    "item-knn": SessionItemKNN,
    "sr": SequentialRules,
    "sknn": SessionKNN,
    "v-sknn": partial(SessionKNN, decay=True),
    "stan": STAN,
}
BLEND_WEIGHTS = (0.25, 0.5, 0.75)


def _gru(**kw):
    from recommender.models.session_rnn import SessionGRU

    return SessionGRU(**kw)


def factories(names: list[str], *, epochs: int, seed: int = 0) -> dict:
    table = dict(BASELINES)
    table["gru"] = partial(_gru, epochs=epochs, seed=seed, use_side=False)
    table["gru-id-only"] = partial(_gru, epochs=epochs, seed=seed, use_artist=False, use_side=False)
    table["gru-priors"] = partial(_gru, epochs=epochs, seed=seed, use_side=True)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {sorted(table)}")
    return {n: table[n] for n in names}


def prior_side_features(log) -> tuple[np.ndarray, np.ndarray] | None:
    """Shipped HetRec artist factors per item (unit rows) and a found mask, or None without priors."""
    from recommender.models.priors import PriorsError, load_priors

    try:
        table = load_priors().artists
    except (PriorsError, OSError) as exc:
        print(f"no priors ({exc}); gru-priors left out")
        return None
    factors, found = table.lookup(log.artists)
    factors /= np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-9)
    known = log.item_artist >= 0
    side = np.zeros((log.n_items, factors.shape[1]), np.float32)
    side[known] = factors[log.item_artist[known]]
    mask = np.zeros(log.n_items, bool)
    mask[known] = found[log.item_artist[known]]
    return side, mask


def _score(summary: dict) -> float:
    return summary["HR@20"] + summary["MRR@20"]


def choose_blend(log, catalog, facs, *, t0, cut, repeats, update, gap_s, val_frac, say, train_repeats=None):
    """(baseline, weight) for the GRU blend, chosen on the last ``val_frac`` of the training period."""
    val_cut = t0 + (1 - val_frac) * (cut - t0)
    split = make_split(log, cut=val_cut, repeats=repeats, gap_s=gap_s, t_end=cut, train_repeats=train_repeats)
    base = [n for n in facs if n in BASELINES]
    blends = [("gru", b, w) for b in base for w in BLEND_WEIGHTS]
    say(f" validation: {len(split.train)} train sessions, {split.n_queries} queries")
    res = {k: v.summary() for k, v in run(split, catalog, facs, update=update, repeats=repeats,
                                            blends=blends, log=lambda *_: None).items()}
    best_base = max(base, key=lambda n: _score(res[n]))
    name = max((k for k in res if k.startswith("gru+")), key=lambda k: _score(res[k]))
    _, b, w = next(x for x in blends if f"{x[0]}+{x[1]}@{x[2]:g}" == name)
    say(f" validation picks: best baseline {best_base}, blend gru+{b} w={w:g} "
        f"(HR@20+MRR@20 {_score(res[name]):.3f} vs {best_base} {_score(res[best_base]):.3f})")
    return b, w


def format_table(title: str, results: dict, split) -> str:
    lines = [f"### {title}", "",
             f"{len(split.train)} training sessions, {split.n_queries} queries "
             f"({split.n_cold} targets never played before: a miss for every model)", "",
             "| model | HR@20 | MRR@20 | Recall@10 | fit (s) | updates (s total) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        s = r.summary()
        fit = f"{s['fit_s']:.2f}" if name in BASELINES or name.startswith("gru") and "+" not in name else "—"
        upd = f"{s['update_s_total']:.2f} ({s['n_updates']})" if s["n_updates"] else "—"
        lines.append(f"| {name} | {s['HR@20']:.4f} | {s['MRR@20']:.4f} | {s['Recall@10']:.4f} | {fit} | {upd} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate sessions", description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", required=True, help="Last.fm 1K TSV, or 'time<TAB>artist<TAB>title' TSV")
    ap.add_argument("--user", help="user to take from a multi-user Last.fm file (default: the largest)")
    ap.add_argument("--train-frac", type=float, default=0.8)
    ap.add_argument("--val-frac", type=float, default=0.1, help="share of the training time used to pick the blend")
    ap.add_argument("--gap-min", type=float, default=SESSION_GAP_S / 60)
    ap.add_argument("--repeats", choices=("kept", "removed", "both"), default="both")
    ap.add_argument("--no-update", action="store_true", help="never update models during the test period")
    ap.add_argument("--train-with-repeats", action="store_true",
                    help="with repeats removed, still train and update the models on the sessions as logged")
    ap.add_argument("--models", default="pop,same-artist,item-knn,sr,sknn,v-sknn,gru,gru-id-only,gru-priors",
                    help="gru-priors adds the shipped HetRec artist factors (models/priors) as side features")
    ap.add_argument("--epochs", type=int, default=20, help="GRU training epochs")
    ap.add_argument("--seed", type=int, default=0, help="GRU initialisation and sampling seed")
    ap.add_argument("--no-blend", action="store_true")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args(argv)
    if not 0 < args.train_frac < 1:
        ap.error("--train-frac must be in (0, 1)")

    log = load_log_file(args.log, user=args.user)
    names = args.models.split(",")
    side = prior_side_features(log) if "gru-priors" in names else None
    if "gru-priors" in names and side is None:
        names.remove("gru-priors")
    catalog = ItemSpace(log.n_items, log.item_artist, log.n_artists, *(side or (None, None)))
    t0, t1 = float(log.times[0]), float(log.times[-1])
    cut = t0 + args.train_frac * (t1 - t0)
    gap_s, update = args.gap_min * 60, not args.no_update
    facs = factories(names, epochs=args.epochs, seed=args.seed)
    if side is not None:
        print(f"HetRec artist priors for {int(side[1].sum())} of {log.n_items} tracks")
    print(f"log {args.log}: {len(log)} plays, {log.n_items} tracks, {log.n_artists} artists, "
          f"{log.dropped} rows dropped; cut at {time.strftime('%Y-%m-%d %H:%M', time.gmtime(cut))} UTC; "
          f"models {'updated after each test session' if update else 'not updated'}")
    modes = ["kept", "removed"] if args.repeats == "both" else [args.repeats]
    out = {}
    for mode in modes:
        repeats = mode == "kept"
        print(f"\nrepeats {mode}:")
        train_repeats = True if args.train_with_repeats else None
        blends = []
        if "gru" in facs and not args.no_blend and any(n in BASELINES for n in facs):
            b, w = choose_blend(log, catalog, facs, t0=t0, cut=cut, repeats=repeats, update=update,
                                gap_s=gap_s, val_frac=args.val_frac, say=print, train_repeats=train_repeats)
            blends = [("gru", b, w)]
        split = make_split(log, cut=cut, repeats=repeats, gap_s=gap_s, train_repeats=train_repeats)
        results = run(split, catalog, facs, update=update, repeats=repeats, blends=blends)
        title = (f"Repeats {mode}{' (models trained with repeats)' if args.train_with_repeats and not repeats else ''}, "
                 f"models {'updated after each session' if update else 'static'}")
        print()
        print(format_table(title, results, split))
        out[mode] = {"n_queries": split.n_queries, "n_cold": split.n_cold, "n_train_sessions": len(split.train),
                     "blend": blends, "results": {k: v.summary() for k, v in results.items()}}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"log": args.log, "plays": len(log), "update": update, "modes": out}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
