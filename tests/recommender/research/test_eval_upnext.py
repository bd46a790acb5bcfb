"""``python -m recommender.evaluate upnext``: the app's ranker through the session protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.models.session_base import ItemSpace
from recommender.research.eval_upnext import UpNextRanker, main
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
