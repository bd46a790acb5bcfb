"""``python -m recommender.evaluate people``: many people, means, intervals and win counts."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from recommender.research.eval_people import bootstrap_ci, dev_people, main, summarise


def test_bootstrap_interval_of_a_mean():
    assert bootstrap_ci([0.3] * 7) == (pytest.approx(0.3), pytest.approx(0.3))
    assert all(np.isnan(bootstrap_ci([])))
    x = np.random.default_rng(0).normal(0.0, 1.0, 400)
    lo, hi = bootstrap_ci(x)
    # The normal approximation of the mean's 95 % interval: mean +- 1.96 sd / sqrt(n).
    half = 1.96 * x.std() / np.sqrt(x.size)
    assert lo < x.mean() < hi
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.1)
    assert bootstrap_ci(x) == (lo, hi)                                  # fixed seed: the same interval
    assert np.diff(bootstrap_ci(x[:40]))[0] > np.diff((lo, hi))[0]       # fewer people: wider


def test_the_dev_people_are_the_first_half_of_the_sorted_pseudonyms():
    assert dev_people(["pc", "pa", "pe", "pb", "pd"]) == ["pa", "pb"]


def _record(person, seg, base):
    res = {"segue up next": {"HR@20": seg[0], "MRR@20": seg[1], "Recall@10": 0.0}}
    for name, (hr, mrr) in base.items():
        res[name] = {"HR@20": hr, "MRR@20": mrr, "Recall@10": 0.0}
    return {"person": person, "results": res}


def test_wins_count_against_the_best_mean_baseline_and_each_persons_own_best():
    recs = [_record("a", (0.5, 0.3), {"sr": (0.4, 0.35), "stan": (0.6, 0.1)}),
            _record("b", (0.5, 0.3), {"sr": (0.45, 0.2), "stan": (0.3, 0.1)}),
            _record("c", (0.2, 0.1), {"sr": (0.3, 0.2), "stan": (0.1, 0.05)})]
    s = summarise(recs, segue="segue up next", baselines=["sr", "stan"])
    assert s["models"]["sr"]["MRR@20"]["mean"] == pytest.approx(0.25)
    hr = s["wins"]["HR@20"]
    assert hr["best_mean_baseline"] == "sr" and hr["ahead_of_it"] == 2 and hr["ahead_of_own_best"] == 1
    mrr = s["wins"]["MRR@20"]
    assert mrr["best_mean_baseline"] == "sr" and mrr["ahead_of_it"] == 1 and mrr["ahead_of_own_best"] == 1
    assert s["wins"]["both"]["ahead_of_own_best"] == 1


def test_the_summary_pools_every_query_beside_the_mean_over_people():
    # A person with 3 queries who hit every one and a person with 1,000 who hit 100: over
    # people, 0.55; over queries, (3 + 100) / 1003. Radio over each model's own stations.
    a = _record("a", (1.0, 0.5), {"sr": (0.0, 0.0)})
    b = _record("b", (0.1, 0.05), {"sr": (0.2, 0.1)})
    a["n_queries"], b["n_queries"] = 3, 1000
    a["results"]["segue up next"].update({"Radio Recall@20": 0.9, "radio_queries": 1})
    b["results"]["segue up next"].update({"Radio Recall@20": 0.3, "radio_queries": 9})
    s = summarise([a, b], segue="segue up next", baselines=["sr"])
    assert s["models"]["segue up next"]["HR@20"]["mean"] == pytest.approx(0.55)
    pooled = s["pooled"]
    assert pooled["segue up next"]["HR@20"] == pytest.approx(103 / 1003)
    assert pooled["segue up next"]["MRR@20"] == pytest.approx((1.5 + 50) / 1003)
    assert pooled["sr"]["HR@20"] == pytest.approx(200 / 1003)
    assert pooled["segue up next"]["Radio Recall@20"] == pytest.approx((0.9 + 2.7) / 10)
    assert "Radio Recall@20" not in pooled["sr"]
    assert s["queries"]["segue up next"] == {"HR@20": 1003, "MRR@20": 1003, "Recall@10": 1003,
                                            "Radio Recall@20": 10}


def _person(path, seed, *, gz, days=40):
    """A person who plays one of 8 albums (5 tracks, in order) a day; Spotify rows."""
    rng = np.random.default_rng(seed)
    lines = ["person\ttime\ttime_is\tartist\ttrack\talbum\tms_played\tskipped\treason_end"]
    t = 1_600_000_000
    for _ in range(days):
        a = int(rng.integers(8))
        for i in range(5):
            t += 200
            lines.append(f"{path.name.split('.')[0]}\t{t}\tend\tBand {seed}-{a}\tSong {i}\t\t200000\t\t")
        t += 86_400
    text = "\n".join(lines) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")


def test_people_command_measures_everyone_and_resumes(tmp_path, capsys):
    logs = tmp_path / "logs"
    logs.mkdir()
    for k, name in enumerate(["pa", "pb", "pc"]):
        _person(logs / (f"{name}.tsv.gz" if k else f"{name}.tsv"), k, gz=bool(k))
    out, js = tmp_path / "out", tmp_path / "all.json"
    args = ["--logs", str(logs), "--models", "pop,sr", "--no-priors", "--no-session-model",
            "--retrain-plays", "60", "--out", str(out), "--json", str(js)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "#### MRR@20, per person" in printed and "| pb |" in printed
    assert "Summary: all (3 people)" in printed and "held out (never tuned on) (2 people)" in printed
    got = json.loads(js.read_text())
    assert got["dev_people"] == ["pa"] and len(got["records"]) == 3
    everyone = got["summaries"]["all"]
    assert everyone["models"]["segue up next"]["HR@20"]["mean"] > 0.8 > everyone["models"]["pop"]["MRR@20"]["mean"]
    assert everyone["wins"]["MRR@20"]["ahead_of_own_best"] <= 3
    # A second run reads the kept results instead of measuring again.
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert main(args) == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_people_command_prints_and_keeps_the_pooled_means_beside_the_per_person_ones(tmp_path, capsys):
    # Two people, one with about ten times the other's queries: pooled over queries, the
    # first weighs about ten times as much; over people, the same.
    logs = tmp_path / "logs"
    logs.mkdir()
    _person(logs / "pa.tsv", 0, gz=False, days=60)
    _person(logs / "pb.tsv", 1, gz=False, days=6)
    js = tmp_path / "all.json"
    assert main(["--logs", str(logs), "--models", "pop,sr", "--no-priors", "--no-session-model", "--no-train",
                 "--no-radio", "--retrain-plays", "60", "--json", str(js)]) == 0
    printed = capsys.readouterr().out
    got = json.loads(js.read_text())
    a, b = got["records"]
    assert a["n_queries"] >= 5 * b["n_queries"] > 0
    summary = got["summaries"]["all"]
    n = a["n_queries"] + b["n_queries"]
    for model in ("pop", "sr", "segue up next, untrained"):
        for metric in ("HR@20", "MRR@20", "Recall@10"):
            va, vb = a["results"][model][metric], b["results"][model][metric]
            assert summary["models"][model][metric]["mean"] == pytest.approx((va + vb) / 2)
            assert summary["pooled"][model][metric] == pytest.approx((va * a["n_queries"] + vb * b["n_queries"]) / n)
    pooled, per_person = summary["pooled"]["pop"]["MRR@20"], summary["models"]["pop"]["MRR@20"]["mean"]
    assert abs(pooled - per_person) > 1e-3
    assert f"pooled over all {n:,} queries" in printed
    row = next(line for line in printed.split("pooled over all")[1].splitlines() if line.startswith("| pop |"))
    assert f"{pooled:.4f}" in row
    assert f"| pb | {b['listened']:,} | {b['n_queries']:,} |" in printed


def test_a_run_with_the_priors_stops_when_they_cannot_be_read(tmp_path, monkeypatch):
    """Measured without them, it would be recorded (and kept for the next run) as if
    it had them."""
    import recommender.models.priors as priors_module

    logs = tmp_path / "logs"
    logs.mkdir()
    _person(logs / "pa.tsv", 0, gz=False)
    monkeypatch.setattr(priors_module, "default_priors_dir", lambda: tmp_path / "no-priors-here")
    out = tmp_path / "out"
    with pytest.raises(SystemExit, match="(?s)priors missing.*--no-priors"):
        main(["--logs", str(logs), "--models", "pop", "--no-session-model", "--out", str(out)])
    assert not out.exists() or not any(out.iterdir())


def test_the_validation_log_never_holds_the_test_period(tmp_path):
    from recommender.research.eval_people import validation_log
    from recommender.research.logs import load_log_file

    _person(tmp_path / "pv.tsv", 3, gz=False)
    log = load_log_file(tmp_path / "pv.tsv")
    val = validation_log(log, 0.8)
    cut = log.times[0] + 0.8 * (log.times[-1] - log.times[0])
    assert len(val) == int((log.times < cut).sum()) and val.times.max() < cut
    assert val.n_items == int(val.items.max()) + 1 and val.keys == log.keys[:val.n_items]


def test_the_research_reranker_runs_beside_the_untrained_ranker_on_the_same_queries(tmp_path, capsys):
    # `evaluate people --rerank`: the re-ranker fitted on a person's own picks is measured on
    # the very queries of the untrained ranker, and on a log with a strong habit it never
    # ranks worse than it.
    logs = tmp_path / "logs"
    logs.mkdir()
    _person(logs / "pa.tsv", 0, gz=False)
    js = tmp_path / "all.json"
    assert main(["--logs", str(logs), "--models", "", "--no-priors", "--no-session-model", "--no-train",
                 "--no-radio", "--rerank", "--retrain-plays", "60", "--json", str(js)]) == 0
    record = json.loads(js.read_text())["records"][0]
    results = record["results"]
    reranked, untrained = results["segue up next, reranked"], results["segue up next, untrained"]
    assert record["n_queries"] > 0 and reranked["n_updates"] == untrained["n_updates"] > 0
    assert reranked["HR@20"] >= untrained["HR@20"] - 1e-9 and reranked["MRR@20"] >= untrained["MRR@20"] - 1e-9
