"""``python -m recommender.evaluate upnext``: the app's ranker through the session protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.models.session_base import ItemSpace
from recommender.research.eval_upnext import UpNextRanker, _streak, main
from recommender.research.logs import load_log_file
from recommender.research.splits import make_split


def _album_log(path, n_sessions=60, seed=0, skip_every=0):
    """One person who plays whole albums in order: 10 albums of 5 tracks, one a session.
    With ``skip_every``, every so many sessions the second track is skipped at 10 s."""
    rng = np.random.default_rng(seed)
    t, lines = 1_200_000_000, ["person\ttime\ttime_is\tartist\ttrack\talbum\tms_played\tskipped\treason_end"]
    for k in range(n_sessions):
        a = int(rng.integers(10))
        for i in range(5):
            skip = skip_every and k % skip_every == 0 and i == 1
            t += 10 if skip else 240
            lines.append(f"p\t{t}\tend\tBand {a}\tSong {a}-{i}\tAlbum {a}\t{10_000 if skip else 240_000}\t\t")
        t += 86_400
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_ranker_learns_album_order_and_beats_popularity(tmp_path, capsys):
    log = _album_log(tmp_path / "log.tsv")
    out = tmp_path / "res.json"
    assert main(["--log", str(log), "--models", "pop,sr", "--no-priors", "--retrain-plays", "25",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| segue up next |" in printed and "| sr |" in printed
    rec = json.loads(out.read_text())
    res = rec["results"]
    seg, pop = res["segue up next"], res["pop"]
    assert rec["segue"]["segue up next"]["trainings"] >= 2 and rec["segue"]["segue up next, untrained"]["trainings"] == 0
    # The next track of the album is what this person plays; popularity cannot know that.
    assert seg["HR@20"] > 0.9 and seg["MRR@20"] > 0.8 > pop["MRR@20"]
    assert 0 < seg["Radio Recall@20"] <= 1 and res["sr"]["Radio Recall@20"] > 0.9 and "Radio Recall@20" not in pop


def _ranker(log, **kw):
    split = make_split(log, cut=float(log.times[len(log) // 2]), repeats=False, gap_s=1800, train_repeats=True)
    ranker = UpNextRanker(log, retrain_plays=None, **kw)
    ranker.fit(split.train, ItemSpace(log.n_items, log.item_artist, log.n_artists))
    return ranker


def test_what_comes_after_the_query_never_reaches_the_ranker(tmp_path):
    log = load_log_file(_album_log(tmp_path / "log.tsv", n_sessions=30))
    p = len(log) - 3                              # mid-session: two listened plays before it in the session
    before = _ranker(log).score(log.items[p - 2:p], position=p)
    # The same history with the future rewritten: the next plays go to other tracks.
    changed = load_log_file(_album_log(tmp_path / "log.tsv", n_sessions=30))
    changed.items[p:] = changed.items[:len(log) - p]
    assert np.array_equal(before, _ranker(changed).score(log.items[p - 2:p], position=p))
    with pytest.raises(ValueError, match="position"):
        _ranker(log).score(log.items[p - 2:p])


def test_a_track_skipped_in_the_session_is_never_offered(tmp_path):
    log = load_log_file(_album_log(tmp_path / "log.tsv", n_sessions=30, skip_every=29))
    assert log.skipped.sum() == 2
    p = int(np.flatnonzero(log.skipped)[-1])      # the last session: track 2 skipped after track 1
    skipped = int(log.items[p])
    ranker = _ranker(log)
    scores = ranker.score(log.items[p - 1:p], position=p + 1)
    assert not np.isfinite(scores[skipped])
    # Without the skip the album's next track leads.
    log.skipped[p] = False
    assert np.argmax(_ranker(log).score(log.items[p - 1:p + 1], position=p + 1)) != skipped
    assert np.isfinite(_ranker(log).score(log.items[p - 1:p], position=p)[skipped])


def test_streak_counts_the_latest_skips_in_a_row():
    assert _streak(np.array([], bool)) == 0
    assert _streak(np.array([False, True, False])) == 0
    assert _streak(np.array([True, False, True, True])) == 2
    assert _streak(np.array([True, True])) == 2


def test_up_next_is_asked_as_the_app_asks_it(tmp_path):
    """The session's plays in order, the skips among them and the streak they end with:
    two skips of the album in a row push the rest of it further down."""
    log = load_log_file(_album_log(tmp_path / "log.tsv", n_sessions=30))
    q = len(log) - 2                              # the last session's fourth play
    log.skipped[q - 2:q] = True                   # its second and third skipped: a streak of two
    ranker = _ranker(log)
    scores = ranker.score(log.items[q - 3:q], position=q)
    s = int(ranker._session_of[q])
    rec = ranker._session_recommender(s)
    here = np.arange(int(ranker._session_start[s]), q)
    known = int(ranker._known_after[q - 1])
    args = ((log.items[here] + 1).tolist(), 20 + rec.catalog.n - known)
    skipped = (log.items[here[log.skipped[here]]] + 1).tolist()
    asked = rec.up_next(*args, skipped=skipped, streak=_streak(log.skipped[here]))
    assert np.array_equal(scores, ranker._scores(asked, known))
    # The blend before the picking rules shows the streak: the album's fourth and fifth
    # tracks lower than after the same skips with no streak.
    raw = _ranker(log, spacing=False).score(log.items[q - 3:q], position=q)
    listened = here[~log.skipped[here]]
    calm = _ranker(log, spacing=False)._raw_scores(rec, listened, here[log.skipped[here]], known, 0)
    rest = log.items[q:q + 2]
    assert np.isfinite(calm[rest]).all() and (raw[rest] < calm[rest]).all()
