"""``python -m recommender.evaluate radio-skips``: a simulated skipper on people's logs."""

from __future__ import annotations

import json

from recommender.research.eval_radio_skips import main
from tests.recommender.research.test_eval_people import _person


def test_radio_skips_measures_each_variant_for_dev_and_held_out_people(tmp_path, capsys):
    logs = tmp_path / "logs"
    logs.mkdir()
    for k, name in enumerate(["pa", "pb", "pc"]):
        _person(logs / f"{name}.tsv", k, gz=False)
    js = tmp_path / "out.json"
    assert main(["--logs", str(logs), "--no-priors", "--sessions", "3", "--picks", "6",
                 "--variant", "off:radio_streak_steer=0,radio_skip_steer=0", "--json", str(js)]) == 0
    printed = capsys.readouterr().out
    assert "| current |" in printed and "| off |" in printed and "held-out wanted of 6" in printed
    got = json.loads(js.read_text())
    assert got["dev_people"] == ["pa"] and set(got["records"]) == {"pa", "pb", "pc"}
    assert got["variants"]["off"] == {"radio_streak_steer": 0, "radio_skip_steer": 0}
    for rec in got["records"].values():
        for v in ("current", "off"):
            assert rec[v]["sessions"] == 3
            assert 0 <= rec[v]["hits"] <= 6 and 1 <= rec[v]["first"] <= 7
    # Each session plays one band's album: the seed's artist is what is wanted, and the
    # station finds it.
    assert all(rec["current"]["hits"] > 0 for rec in got["records"].values())


def test_the_skipper_asks_up_next_after_the_persons_pick(tmp_path, capsys):
    logs = tmp_path / "logs"
    logs.mkdir()
    for k, name in enumerate(["pa", "pb"]):
        _person(logs / f"{name}.tsv", k, gz=False)
    js = tmp_path / "out.json"
    assert main(["--logs", str(logs), "--no-priors", "--sessions", "3", "--picks", "6", "--surface", "upnext",
                 "--variant", "off:skip_push=0", "--json", str(js)]) == 0
    assert "Simulated skipper (upnext)" in capsys.readouterr().out
    got = json.loads(js.read_text())
    assert got["surface"] == "upnext"
    for rec in got["records"].values():
        for v in ("current", "off"):
            assert rec[v]["sessions"] == 3
            assert 0 <= rec[v]["hits"] <= 6 and 1 <= rec[v]["first"] <= 7
