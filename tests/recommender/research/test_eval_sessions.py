"""The time-ordered next-track protocol and its command, on hand-made logs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.models.session_base import ItemSpace
from recommender.research import evaluate
from recommender.research.logs import play_log_from_rows
from recommender.research.protocol import run
from recommender.research.session_baselines import SequentialRules, SessionPopularity
from recommender.research.splits import make_split

HOUR = 3600.0


def log_of(sessions: list[str], *, start=0.0):
    """One session per string of one-letter tracks, an hour apart, plays a minute apart."""
    rows = []
    for i, s in enumerate(sessions):
        rows += [(start + i * HOUR + j * 60.0, "artist " + ("x" if c < "n" else "y"), c) for j, c in enumerate(s)]
    return play_log_from_rows(rows)


def catalog_of(log):
    return ItemSpace(log.n_items, log.item_artist, log.n_artists)


def test_split_trains_on_finished_sessions_and_queries_every_later_play():
    log = log_of(["abc", "abc", "abd", "ce"])  # ids: a0 b1 c2 d3 e4
    cut = 2 * HOUR + 90.0  # inside session 3, after its first two plays
    split = make_split(log, cut=cut, repeats=True, gap_s=1800)
    assert [s.tolist() for s in split.train] == [[0, 1, 2], [0, 1, 2]]
    items, is_query, known = split.test[0]
    assert items.tolist() == [0, 1, 3] and is_query.tolist() == [False, False, True]
    assert known.tolist() == [3, 3, 3]  # d is not known before it is played: a cold target
    assert split.n_known_at_fit == 3  # a, b, c played before the cut
    assert split.n_queries == 2 and split.n_cold == 2  # d, then e


def test_metrics_on_hand_made_sequences():
    # popularity before the cut: a x3, b x2, c x1 (d never played before the test)
    log = log_of(["ab", "ab", "ac", "cbad"])
    split = make_split(log, cut=3 * HOUR, repeats=True, gap_s=1800)
    res = run(split, catalog_of(log), {"pop": SessionPopularity}, update=False, repeats=True, log=lambda *_: None)["pop"]
    # queries: after c -> b (rank 2), after cb -> a (rank 1), after cba -> d (cold: miss)
    assert res.hr20 == [1.0, 1.0, 0.0]
    assert res.mrr20 == pytest.approx([0.5, 1.0, 0.0])
    # Recall@10 of the rest of the session: {b, a, d} has 2 of 3 in the top 10, then {a, d}, then {d}
    assert res.rec10 == pytest.approx([2 / 3, 1 / 2, 0.0])


def test_tied_scores_count_as_their_mean_over_every_order():
    # a, b, c, d each played once before the cut: popularity ties them all. Which one a
    # tie-break puts first would decide the target's rank; each order counts the same.
    log = log_of(["ab", "cd", "ba"])
    split = make_split(log, cut=2 * HOUR, repeats=False, gap_s=1800)
    res = run(split, catalog_of(log), {"pop": SessionPopularity}, update=False, repeats=False,
              log=lambda *_: None, radio=("pop",))["pop"]
    # after b -> a, tied with c and d (b, in the prefix, is left out): rank 1, 2 or 3
    assert res.hr20 == [1.0]
    assert res.mrr20 == pytest.approx([(1 + 1 / 2 + 1 / 3) / 3])
    # Radio from b: a ties with c and d, so its discount is the mean of ranks 1 to 3
    assert res.radio_ndcg20 == pytest.approx([(1 + 1 / np.log2(3) + 1 / np.log2(4)) / 3])
    kept = make_split(log, cut=2 * HOUR, repeats=True, gap_s=1800)
    res = run(kept, catalog_of(log), {"pop": SessionPopularity}, update=False, repeats=True,
              log=lambda *_: None)["pop"]
    assert res.mrr20 == pytest.approx([(1 + 1 / 2 + 1 / 3 + 1 / 4) / 4])  # b may come first too


def test_repeats_removed_dedupes_sessions_and_never_recommends_the_prefix():
    log = log_of(["ab", "ab", "abab"])
    kept = make_split(log, cut=2 * HOUR, repeats=True, gap_s=1800)
    removed = make_split(log, cut=2 * HOUR, repeats=False, gap_s=1800)
    assert kept.test[0][0].tolist() == [0, 1, 0, 1] and kept.n_queries == 3
    assert removed.test[0][0].tolist() == [0, 1] and removed.n_queries == 1
    res = run(kept, catalog_of(log), {"sr": SequentialRules}, update=False, repeats=True, log=lambda *_: None)["sr"]
    assert res.hr20 == [1.0, 1.0, 1.0]  # with repeats kept, a replayed prefix item can be the hit
    res = run(removed, catalog_of(log), {"pop": SessionPopularity}, update=False, repeats=False, log=lambda *_: None)["pop"]
    assert res.mrr20 == [1.0]  # a (the most popular) is in the prefix, so b comes first


def test_updating_after_each_session_learns_from_the_test_period():
    log = log_of(["ab", "ab", "cd", "cd", "cd"])  # c -> d only appears after the cut
    split = make_split(log, cut=2 * HOUR, repeats=True, gap_s=1800)
    facs = {"sr": lambda: SequentialRules()}
    static = run(split, catalog_of(log), facs, update=False, repeats=True, log=lambda *_: None)["sr"]
    updated = run(split, catalog_of(log), facs, update=True, repeats=True, log=lambda *_: None)["sr"]
    assert updated.n_updates == 2 and static.n_updates == 0
    assert updated.mrr20[0] == static.mrr20[0] == 0.0  # d was never played before the first test session
    assert updated.mrr20[1:] == [1.0, 1.0] and static.mrr20[1:] != [1.0, 1.0]


def test_blend_is_scored_from_both_models():
    log = log_of(["ab", "ab", "ac", "cbad"])
    split = make_split(log, cut=3 * HOUR, repeats=True, gap_s=1800)
    facs = {"pop": SessionPopularity, "sr": SequentialRules}
    res = run(split, catalog_of(log), facs, update=False, repeats=True, blends=[("sr", "pop", 0.5)],
              log=lambda *_: None)
    assert set(res) == {"pop", "sr", "sr+pop@0.5"}
    assert len(res["sr+pop@0.5"].hr20) == split.n_queries


def test_command_end_to_end(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines, t = [], 1_200_000_000.0
    for s in range(60):  # an album-like habit: tracks of one artist in order
        artist = int(rng.integers(6))
        for j in range(int(rng.integers(3, 7))):
            lines.append(f"{t:.0f}\tArtist {artist}\tSong {artist}-{j}")
            t += 200
        t += 4 * HOUR
    path = tmp_path / "plays.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "res.json"
    rc = evaluate.main(["sessions", "--log", str(path), "--models", "pop,same-artist,sr,gru", "--epochs", "3",
                        "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "| sr |" in text and "| gru |" in text and "Repeats removed" in text
    data = json.loads(out.read_text())
    for mode in ("kept", "removed"):
        results = data["modes"][mode]["results"]
        assert any(k.startswith("gru+") for k in results)
        for r in results.values():
            assert 0.0 <= r["MRR@20"] <= r["HR@20"] <= 1.0
        # the habit makes the next song predictable from the current one
        assert results["sr"]["HR@20"] > results["pop"]["HR@20"]
    with pytest.raises(SystemExit):
        evaluate.main(["sessions", "--log", str(path), "--models", "nope"])


def test_prior_side_features_follow_each_track_artist():
    from recommender.models.priors import PriorsError, load_priors
    from recommender.research.eval_sessions import prior_side_features

    try:
        table = load_priors().artists
    except (PriorsError, OSError):
        pytest.skip("models/priors not built")
    known = next(str(k) for k in table.keys[:50] if k)
    log = play_log_from_rows([(0, known, "one"), (60, "zz no such artist zz", "two"), (120, known, "three")])
    side, mask = prior_side_features(log)
    assert side.shape == (3, table.dim) and mask.tolist() == [True, False, True]
    np.testing.assert_allclose(np.linalg.norm(side[0]), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(side[0], side[2])
    assert not side[1].any()


def test_models_can_learn_from_replays_while_queries_are_deduplicated():
    log = log_of(["abab", "ab", "abab"])
    split = make_split(log, cut=2 * HOUR, repeats=False, gap_s=1800, train_repeats=True)
    assert split.train[0].tolist() == [0, 1, 0, 1]  # the model still sees b -> a
    assert split.test[0][0].tolist() == [0, 1] and split.n_queries == 1  # queries are deduplicated
    assert split.updates[0].tolist() == [0, 1, 0, 1]
    plain = make_split(log, cut=2 * HOUR, repeats=False, gap_s=1800)
    assert plain.train[0].tolist() == [0, 1] and plain.updates[0].tolist() == [0, 1]
