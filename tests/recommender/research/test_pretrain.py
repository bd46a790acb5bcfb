"""Building the shipped priors from (synthetic) data, and loading the ones in models/priors."""

import hashlib
import json

import numpy as np
import pytest

from recommender.models.priors import (
    VOCABULARY,
    PriorsError,
    default_priors_dir,
    load_priors,
)
from recommender.models.wmf import WMF_PARAMS
from recommender.research import pretrain
from segue_common.normalize import match_key, normalize_name

ARTISTS = ["Alpha Band", "Beta Group", "The Gammas", "Delta", "Epsilon Trio", "Zeta",
           "Eta Crew", "Theta", "Iota", "Kappa Ensemble", "Lambda", "Mu Orchestra"]


def write_synthetic_data(root, n_users=80, seed=0):
    """HetRec-shaped and MSD-shaped files: two taste groups over 12 artists / 24 songs."""
    rng = np.random.default_rng(seed)
    het = root / "hetrec2011-lastfm-2k"
    msd = root / "msd_taste_sample"
    het.mkdir(parents=True)
    msd.mkdir(parents=True)
    ua = ["userID\tartistID\tweight"]
    head, csv_rows = [], ["user_id,song_id,listen_count,title,release,artist_name,year"]
    for u in range(n_users):
        group = u % 2
        for a in rng.choice(6, size=5, replace=False) + 6 * group:
            ua.append(f"{u}\t{a + 1}\t{int(rng.integers(1, 500))}")
        for s in rng.choice(12, size=6, replace=False) + 12 * group:
            head.append(f"user{u:03d}\tSONG{s:03d}\t{int(rng.integers(1, 9))}")
    for s in range(24):
        csv_rows.append(f"x,SONG{s:03d},1,Song {s},Rel,{ARTISTS[s // 2]},2000")
    (het / "user_artists.dat").write_bytes(("\r\n".join(ua) + "\r\n").encode())
    (het / "artists.dat").write_text("id\tname\turl\tpictureURL\n" + "".join(
        f"{i + 1}\t{a}\tu\tp\n" for i, a in enumerate(ARTISTS)), encoding="utf-8")
    (het / "tags.dat").write_bytes("tagID\ttagValue\r\n1\trock\r\n2\tjazz\r\n".encode("latin-1"))
    tagged = ["userID\tartistID\ttagID\tday\tmonth\tyear"]
    for a in range(12):
        # three users per tag, so an evaluation that keeps only train users' tags has some
        tagged += [f"{u}\t{a + 1}\t{1 if a < 6 else 2}\t1\t1\t2009" for u in (1, 2, 3)]
    (het / "user_taggedartists.dat").write_text("\n".join(tagged) + "\n", encoding="utf-8")
    (msd / "taste_profile_head.txt").write_text("\n".join(head) + "\n", encoding="utf-8")
    (msd / "taste_profile_sample_with_songs.csv").write_text("\n".join(csv_rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    out = tmp_path_factory.mktemp("models") / "priors"
    write_synthetic_data(root)
    manifests = pretrain.build(root, out, log=lambda m: None)
    return out, manifests


def test_build_writes_every_file_with_a_truthful_manifest(built):
    out, manifests = built
    assert set(manifests) == {"hetrec_artists", "tag_regressor", "msd_songs", "msd_artists", "msd_to_artist_space"}
    for name, man in manifests.items():
        data = (out / man["file"]).read_bytes()
        assert man["sha256"] == hashlib.sha256(data).hexdigest() and man["bytes"] == len(data)
        assert json.loads((out / f"{name}.json").read_text()) == man
        assert man["command"] == "python -m recommender.research.pretrain" and "source" in man
    assert "ndcg@100" in manifests["hetrec_artists"]["metrics"]
    assert manifests["tag_regressor"]["vocabulary"] == list(VOCABULARY)
    assert {r["model"] for r in manifests["tag_regressor"]["metrics"]["cold_artists"]["rows"]} >= {
        "Tag popularity", "Tag->WMF factor regressor"}


def test_built_priors_load_and_separate_the_two_tastes(built):
    out, _ = built
    pri = load_priors(out)
    assert len(pri.artists) == 12 and pri.artists.dim == WMF_PARAMS["hetrec"]["factors"]
    assert "the gammas" in pri.artists
    a, b, c = (pri.artists.get(normalize_name(n)) for n in ("Alpha Band", "Beta Group", "Theta"))
    cos = lambda x, y: float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))  # noqa: E731
    assert cos(a, b) > cos(a, c)  # same listeners -> closer factors
    vec, src = pri.factor_for("Alpha Band", "Song 0")
    assert src == "artist" and np.allclose(vec, a)
    vec, src = pri.factor_for("Nobody", "Nothing", tags=np.eye(50)[VOCABULARY.index("jazz")])
    assert src == "tags" and vec.shape == (pri.artists.dim,)
    assert pri.factor_for("Nobody", "Nothing") == (None, "none")
    songs, found = pri.songs.lookup([match_key("Alpha Band", "Song 0"), "missing", None])
    assert found.tolist() == [True, False, False] and songs.shape[0] == 3


def test_tag_regressor_puts_rock_near_the_rock_artists(built):
    out, _ = built
    pri = load_priors(out)
    rock = pri.tag_regressor.predict_factors(np.eye(50)[[VOCABULARY.index("rock")]])[0]
    jazz = pri.tag_regressor.predict_factors(np.eye(50)[[VOCABULARY.index("jazz")]])[0]
    first = np.stack([pri.artists.get(normalize_name(n)) for n in ARTISTS[:6]]).mean(0)
    assert rock @ first > jazz @ first


def test_missing_priors_is_a_named_error(tmp_path):
    with pytest.raises(PriorsError):
        load_priors(tmp_path)


@pytest.mark.skipif(not (default_priors_dir() / "hetrec_artists.npz").exists(), reason="priors not built")
def test_shipped_priors_are_small_loadable_and_match_manifests():
    d = default_priors_dir()
    total = sum(p.stat().st_size for p in d.iterdir())
    assert total < 5 * 2**20
    pri = load_priors()
    for name, man in pri.manifests.items():
        assert hashlib.sha256((d / man["file"]).read_bytes()).hexdigest() == man["sha256"], name
    assert len(pri.artists) > 5000 and pri.vocabulary == VOCABULARY
    vec, src = pri.factor_for("The Beatles", "Hey Jude")
    assert src == "artist" and np.isfinite(vec).all()
    assert pri.to_artist_space(pri.songs.factors[:2]).shape == (2, pri.artists.dim)
