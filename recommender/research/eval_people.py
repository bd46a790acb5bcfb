"""Every person in a folder of listening logs through the Up next protocol, and a summary.

    python -m recommender.evaluate people --logs DIR [--last 5000] [--people dev|held|all|p1,p2]
        [--models pop,same-artist,item-knn,sr,v-sknn,stan] [--jobs 1] [--out DIR] [--json OUT]

Each person's log (``*.tsv``, ``*.tsv.gz``, ``*.txt`` in ``DIR``) goes through
:func:`recommender.research.eval_upnext.evaluate_log`: the latest ``--last``
listened plays (5,000 by default), the time-ordered split, the baselines, the app's
Up next trained and untrained, and Radio, all in one run per person. The summary
gives, for every model, the mean over people and a bootstrap 95 % interval of that
mean (people resampled with replacement, :func:`bootstrap_ci`) for HR@20, MRR@20 and
Recall@10, beside it the mean pooled over every query (each query weighs the same,
:func:`pooled_means`; the per-person rows give each person's query count), and how
many people Segue's Up next beats the best baseline on: the baseline with the best
mean, and each person's own best baseline.

The people are split by a fixed rule into those the ranker may be tuned on and those
it is only measured on (:func:`dev_people`: the first half of the sorted pseudonyms);
the summary is given for both halves and for everyone.

``--out DIR`` keeps one JSON per person (written atomically when the person is done):
a later run with the same settings reads them instead of measuring again
(``--fresh`` measures anyway), so an interrupted run resumes, and ``--jobs N``
processes may share the work. Each person's run is single-threaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from segue_common import atomic

METRICS = ("HR@20", "MRR@20", "Recall@10")
RADIO_METRICS = ("Radio Recall@20", "Radio NDCG@20")
LOG_SUFFIXES = (".tsv", ".tsv.gz", ".txt")


def dev_people(people: list[str]) -> list[str]:
    """The people the ranker may be tuned on: the first half (rounded down) of the sorted
    pseudonyms. Everyone else is only measured."""
    names = sorted(people)
    return names[: len(names) // 2]


def validation_log(log, train_frac: float):
    """``log`` without its test period (plays at or after the cut), the same latest plays:
    asked with the same ``train_frac``, its queries are the end of the training period."""
    from recommender.research.logs import ListeningLog

    t0, t1 = float(log.times[0]), float(log.times[-1])
    keep = log.times < t0 + train_frac * (t1 - t0)
    n_items = int(log.items[keep].max()) + 1 if keep.any() else 0
    return ListeningLog(log.times[keep], log.items[keep], log.keys[:n_items], log.item_artist[:n_items],
                        log.artists, log.dropped, {k: i for i, k in enumerate(log.keys[:n_items])},
                        log.skipped[keep], log.ms_played[keep], log.item_album[:n_items], log.podcasts, log.person)


def bootstrap_ci(values, *, n_boot: int = 10_000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampled with replacement).

    Returns (nan, nan) for no values; a single value gives a zero-width interval.
    """
    x = np.asarray([v for v in values if np.isfinite(v)], np.float64)
    if x.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def log_files(folder: Path) -> dict[str, Path]:
    """Person (file name without suffix) -> log file, for every log in ``folder``."""
    out = {}
    for path in sorted(Path(folder).iterdir()):
        for suffix in LOG_SUFFIXES:
            if path.is_file() and path.name.endswith(suffix):
                out[path.name[: -len(suffix)]] = path
                break
    return out


def pick_people(files: dict[str, Path], which: str) -> list[str]:
    everyone = sorted(files)
    if which == "all":
        return everyone
    dev = dev_people(everyone)
    if which == "dev":
        return dev
    if which == "held":
        return [p for p in everyone if p not in dev]
    named = [p for p in which.split(",") if p]
    unknown = [p for p in named if p not in files]
    if unknown:
        raise SystemExit(f"no log for {unknown} in the folder (people: {', '.join(everyone)})")
    return named


def _settings(args) -> dict:
    return {"last": args.last, "models": args.models, "train_frac": args.train_frac,
            "retrain_plays": args.retrain_plays, "priors": not args.no_priors, "radio": not args.no_radio,
            "untrained": not args.no_untrained, "session_model": not args.no_session_model,
            "diagnostics": args.diagnostics, "trained": not args.no_train, "calibrate": not args.no_calibration,
            "validation": args.validation, **({"rerank": True} if args.rerank else {}),
            "config": {k: (v == "True") if v in ("True", "False") else float(v) if "." in v else int(v)
                       for k, v in (kv.split("=") for kv in args.config.split(",") if kv)}}


def _extra(settings: dict) -> dict:
    """The research rankers the settings ask for, beside the untrained one."""
    if not settings.get("rerank"):
        return {}
    from recommender.research.rerank import RERANKED, RerankedUpNext

    return {RERANKED: RerankedUpNext}


def evaluate_person(path: str, settings: dict, out_file: str | None) -> dict:
    """One person's record (reads it from ``out_file`` if it was made with these settings)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if out_file and Path(out_file).exists():
        try:
            cached = json.loads(Path(out_file).read_text(encoding="utf-8"))
            if cached.get("settings") == settings:
                return cached
        except (OSError, ValueError):
            pass
    from recommender.research.eval_upnext import evaluate_log, load_priors_or_none
    from recommender.research.logs import load_log_file

    quiet = lambda *a, **k: None  # noqa: E731
    log = load_log_file(path, last_listened=settings["last"] or None)
    if settings.get("validation"):
        log = validation_log(log, settings["train_frac"])
    priors = load_priors_or_none(quiet) if settings["priors"] else None
    if settings["priors"] and priors is None:
        # A run asked for with the priors and made without them would be recorded (and
        # cached) as if it had them.
        raise RuntimeError("the shipped priors could not be read: run without them only with --no-priors")
    record = evaluate_log(log, models=[m for m in settings["models"].split(",") if m], priors=priors,
                          train_frac=settings["train_frac"], retrain_plays=settings["retrain_plays"],
                          untrained=settings["untrained"], radio=settings["radio"],
                          session_model=settings["session_model"], diagnostics=settings.get("diagnostics", False),
                          trained=settings.get("trained", True), config=settings.get("config") or None,
                          calibrate=settings.get("calibrate", True), extra=_extra(settings), say=quiet)
    record["log"] = str(path)
    record["settings"] = settings
    if out_file:
        atomic.write_text(Path(out_file), json.dumps(record, indent=1, default=float))
    return record


# -- the summary ------------------------------------------------------------------
def _queries(record: dict, model: str, metric: str) -> int:
    """How many queries ``record``'s ``metric`` of ``model`` is the mean of: every Up next
    query (all models are asked the same ones), or for Radio the model's stations."""
    if metric in RADIO_METRICS:
        return int(record["results"][model].get("radio_queries", 0))
    return int(record.get("n_queries", 0))


def pooled_means(records: list[dict], models: list[str]) -> tuple[dict, dict]:
    """``(pooled, queries)``: per model and metric, the mean over every query of every person
    in ``records`` (each query weighs the same: a person's mean times their query count,
    summed, over all the queries), and how many queries that is.

    Beside the mean over people, which weighs a person with three queries as much as one
    with a thousand: the two can differ much, and each says something the other hides."""
    pooled: dict = {}
    counts: dict = {}
    for m in models:
        row, n_row = {}, {}
        for metric in METRICS + RADIO_METRICS:
            total = n = 0.0
            for r in records:
                v = r["results"].get(m, {}).get(metric, float("nan"))
                w = _queries(r, m, metric) if m in r["results"] else 0
                if w > 0 and np.isfinite(v):
                    total, n = total + v * w, n + w
            if n > 0:
                row[metric], n_row[metric] = total / n, int(n)
        pooled[m], counts[m] = row, n_row
    return pooled, counts


def summarise(records: list[dict], *, segue: str, baselines: list[str]) -> dict:
    """Means, intervals and win counts over ``records`` (one per person)."""
    models = [m for m in records[0]["results"]] if records else []
    out: dict = {"people": [r["person"] for r in records], "n": len(records), "models": {}}
    for m in models:
        row = {}
        for metric in METRICS + RADIO_METRICS:
            vals = [r["results"][m].get(metric, float("nan")) for r in records if m in r["results"]]
            if not vals or not np.isfinite(vals).any():
                continue
            lo, hi = bootstrap_ci(vals)
            row[metric] = {"mean": float(np.nanmean(vals)), "lo": lo, "hi": hi}
        out["models"][m] = row
    out["pooled"], out["queries"] = pooled_means(records, models)
    wins = {}
    base = [b for b in baselines if b in models]
    for metric in ("HR@20", "MRR@20"):
        if not base or segue not in models:
            break
        best_mean = max(base, key=lambda b: out["models"][b][metric]["mean"])
        seg = np.array([r["results"][segue][metric] for r in records])
        vs_mean = np.array([r["results"][best_mean][metric] for r in records])
        own = np.array([max(r["results"][b][metric] for b in base) for r in records])
        wins[metric] = {"best_mean_baseline": best_mean, "ahead_of_it": int((seg > vs_mean).sum()),
                        "ahead_of_own_best": int((seg > own).sum()), "level_with_own_best": int((seg == own).sum())}
    if len(wins) == 2:
        seg = {m: np.array([r["results"][segue][m] for r in records]) for m in ("HR@20", "MRR@20")}
        own = {m: np.array([max(r["results"][b][m] for b in base) for r in records]) for m in ("HR@20", "MRR@20")}
        wins["both"] = {"ahead_of_own_best": int(((seg["HR@20"] > own["HR@20"]) & (seg["MRR@20"] > own["MRR@20"])).sum())}
    out["wins"] = wins
    return out


def _fmt(cell: dict | None) -> str:
    if not cell:
        return "—"
    return f"{cell['mean']:.4f} [{cell['lo']:.3f}, {cell['hi']:.3f}]"


def format_report(records: list[dict], groups: dict[str, list[str]], *, segue: str, untrained: str,
                  baselines: list[str]) -> str:
    models = list(records[0]["results"])
    lines = []
    for metric in METRICS + RADIO_METRICS:
        cols = [m for m in models if metric in records[0]["results"][m]]
        if not cols:
            continue
        lines += [f"#### {metric}, per person", "",
                  "| person | listened | queries | " + " | ".join(cols) + " |",
                  "|---|---:|---:|" + "---:|" * len(cols)]
        for r in records:
            vals = [r["results"][m][metric] for m in cols]
            best = max(vals)
            cells = [f"**{v:.4f}**" if v == best else f"{v:.4f}" for v in vals]
            nq = r["n_queries"] if not metric.startswith("Radio") else r["results"][cols[0]].get("radio_queries", 0)
            lines.append(f"| {r['person']} | {r['listened']:,} | {nq:,} | " + " | ".join(cells) + " |")
        lines.append("")
    for label, people in groups.items():
        recs = [r for r in records if r["person"] in people]
        if not recs:
            continue
        s = summarise(recs, segue=segue, baselines=baselines)
        lines += [f"#### Summary: {label} ({len(recs)} people) — mean [bootstrap 95 % interval]", "",
                  "| model | " + " | ".join(METRICS + RADIO_METRICS) + " |",
                  "|---|" + "---|" * len(METRICS + RADIO_METRICS)]
        for m in models:
            lines.append(f"| {m} | " + " | ".join(_fmt(s["models"][m].get(k)) for k in METRICS + RADIO_METRICS) + " |")
        lines.append("")
        # The same beside it with each query weighing the same (the people with many weigh more).
        n_up = sum(_queries(r, models[0], METRICS[0]) for r in recs)
        lines += [f"#### Summary: {label} — pooled over all {n_up:,} queries (each query weighs the same)", "",
                  "| model | " + " | ".join(METRICS + RADIO_METRICS) + " |",
                  "|---|" + "---|" * len(METRICS + RADIO_METRICS)]
        for m in models:
            got = s["pooled"].get(m, {})
            lines.append(f"| {m} | " + " | ".join(f"{got[k]:.4f}" if k in got else "—"
                                                  for k in METRICS + RADIO_METRICS) + " |")
        lines.append("")
        for metric, w in s["wins"].items():
            if metric == "both":
                lines.append(f"- Segue ahead of the person's own best baseline on both HR@20 and MRR@20: "
                             f"{w['ahead_of_own_best']} of {len(recs)}")
                continue
            lines.append(f"- {metric}: Segue ahead of {w['best_mean_baseline']} (best baseline mean) on "
                         f"{w['ahead_of_it']} of {len(recs)}; ahead of the person's own best baseline on "
                         f"{w['ahead_of_own_best']} (level on {w['level_with_own_best']})")
        if untrained in s["models"] and segue in s["models"] and segue != untrained:
            t, u = s["models"][segue]["MRR@20"]["mean"], s["models"][untrained]["MRR@20"]["mean"]
            lines.append(f"- trained / untrained mean MRR@20: {t:.4f} / {u:.4f} = {t / u:.3f}x")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from recommender.research.eval_sessions import BASELINES
    from recommender.research.eval_upnext import DEFAULT_MODELS, SEGUE, UNTRAINED

    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate people", description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", required=True, help="folder of listening logs, one per person")
    ap.add_argument("--people", default="all", help="all, dev, held, or pseudonyms separated by commas")
    ap.add_argument("--last", type=int, default=5000, help="the latest N listened plays of each person (0: all)")
    ap.add_argument("--models", default=DEFAULT_MODELS, help="baselines beside the app's ranker")
    ap.add_argument("--train-frac", type=float, default=0.8)
    ap.add_argument("--retrain-plays", type=int, default=200, help="new plays between local-model trainings")
    ap.add_argument("--no-priors", action="store_true")
    ap.add_argument("--no-radio", action="store_true")
    ap.add_argument("--no-untrained", action="store_true")
    ap.add_argument("--no-session-model", action="store_true", help="train the local models without the GRU")
    ap.add_argument("--diagnostics", action="store_true", help="also the untrained ranker's blend before its picking rules")
    ap.add_argument("--no-train", action="store_true", help="leave the trained ranker out (untrained only: fast)")
    ap.add_argument("--validation", action="store_true",
                    help="measure on the validation period instead: the test period is dropped and the last "
                         "fifth of the training period is asked (for tuning without seeing a test period)")
    ap.add_argument("--no-calibration", action="store_true", help="train the local models but keep Up next's defaults")
    ap.add_argument("--config", default="", help="research: RankConfig fields for the untrained ranker, k=v,...")
    ap.add_argument("--rerank", action="store_true",
                    help="research: also the untrained ranker with a re-ranker fitted on the person's own picks "
                         "(recommender/research/rerank.py)")
    ap.add_argument("--jobs", type=int, default=1, help="people measured at once (one process each)")
    ap.add_argument("--out", help="folder for one JSON per person (resumable)")
    ap.add_argument("--fresh", action="store_true", help="measure again even where --out holds a result")
    ap.add_argument("--json", help="write every record and the summaries here")
    args = ap.parse_args(argv)

    files = log_files(Path(args.logs))
    if not files:
        raise SystemExit(f"no listening logs ({', '.join(LOG_SUFFIXES)}) in {args.logs}")
    people = pick_people(files, args.people)
    settings = _settings(args)
    if settings["priors"]:
        from recommender.models.priors import PriorsError, load_priors

        try:
            load_priors()
        except (PriorsError, OSError) as exc:
            raise SystemExit(f"{exc}\n(or measure without them: --no-priors)") from None
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        if args.fresh:
            for p in people:
                (out_dir / f"{p}.json").unlink(missing_ok=True)
    start = time.perf_counter()
    print(f"{len(people)} people from {args.logs}; latest {args.last or 'all'} listened plays each; "
          f"{args.jobs} at a time", flush=True)
    jobs = {p: (str(files[p]), settings, str(out_dir / f"{p}.json") if out_dir else None) for p in people}
    records: dict[str, dict] = {}
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = {p: pool.submit(evaluate_person, *job) for p, job in jobs.items()}
            for p, fut in futures.items():
                records[p] = fut.result()
                print(f"  {p}: done ({records[p]['wall_s']:.0f} s)", flush=True)
    else:
        for p, job in jobs.items():
            records[p] = evaluate_person(*job)
            print(f"  {p}: done ({records[p]['wall_s']:.0f} s)", flush=True)
    ordered = [records[p] for p in people]
    everyone = sorted(files)
    dev = dev_people(everyone)
    groups = {"all": people, "dev (tuned on)": [p for p in people if p in dev],
              "held out (never tuned on)": [p for p in people if p not in dev]}
    baselines = [m for m in ordered[0]["results"] if m in BASELINES]
    print()
    segue = SEGUE if settings["trained"] else UNTRAINED
    print(format_report(ordered, groups, segue=segue, untrained=UNTRAINED, baselines=baselines))
    print(f"dev people (the first half of the sorted pseudonyms): {', '.join(dev)}")
    print(f"wall {time.perf_counter() - start:.0f} s; per person (s): "
          + ", ".join(f"{r['person']} {r['wall_s']:.0f}" for r in ordered))
    if args.json:
        summaries = {label: summarise([records[p] for p in ps], segue=segue, baselines=baselines)
                     for label, ps in groups.items() if ps}
        atomic.write_text(Path(args.json), json.dumps({"settings": settings, "dev_people": dev, "records": ordered,
                                                        "summaries": summaries}, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
