"""``python -m recommender.evaluate upnext``: the app's ranker through the session protocol."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.models.session_base import ItemSpace
from recommender.research.eval_upnext import UpNextRanker, main
from recommender.research.logs import load_log_file
from recommender.research.splits import make_split


def _album_log(path, n_sessions=60, seed=0):
    """One person who plays whole albums in order: 10 albums of 5 tracks, one a session."""
    rng = np.random.default_rng(seed)
    t, lines = 1_200_000_000, []
    for _ in range(n_sessions):
        a = int(rng.integers(10))
        for i in range(5):
            lines.append(f"{t}\tBand {a}\tSong {a}-{i}")
            t += 240
        t += 86_400
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_ranker_learns_album_order_and_beats_popularity(tmp_path, capsys):
    log = _album_log(tmp_path / "log.tsv")
    out = tmp_path / "res.json"
    assert main(["--log", str(log), "--models", "pop,sr", "--no-priors", "--retrain-every", "5",
                 "--no-local-models", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| segue up next |" in printed and "| sr |" in printed
    res = json.loads(out.read_text())["results"]
    seg, pop = res["segue up next"], res["pop"]
    assert seg["n_updates"] > 0 and res["segue up next, untrained"]["n_updates"] > 0
    # The next track of the album is what this person plays; popularity cannot know that.
    assert seg["HR@20"] > 0.9 and seg["MRR@20"] > 0.8 > pop["MRR@20"]


def test_sessions_must_come_in_log_order(tmp_path):
    log = load_log_file(_album_log(tmp_path / "log.tsv", n_sessions=6))
    split = make_split(log, cut=float(log.times[-1]), repeats=False, gap_s=1800, train_repeats=True)
    ranker = UpNextRanker(log, retrain_every=None)
    with pytest.raises(ValueError, match="log order"):
        ranker.fit(split.train[::-1], ItemSpace(log.n_items, log.item_artist, log.n_artists))
    ranker.close()
