"""The research datasets' loaders (HetRec, MSD sample)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.research import datasets as data


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))


def test_hetrec_loader_reads_crlf_and_latin1(tmp_path):
    _write(tmp_path / "user_artists.dat", "userID\tartistID\tweight\r\n1\t10\t5\r\n1\t11\t2\r\n2\t10\t7\r\n")
    _write(tmp_path / "artists.dat", "id\tname\turl\tpictureURL\n10\tBjörk\tu\tp\n11\tBeatles, The\tu\tp\n")
    _write(tmp_path / "tags.dat", "tagID\ttagValue\r\n1\tRock\r\n2\tmúsica\r\n", "latin-1")
    _write(tmp_path / "user_taggedartists.dat", "userID\tartistID\ttagID\tday\tmonth\tyear\n"
           "1\t10\t1\t1\t1\t2009\n2\t10\t1\t1\t1\t2009\n1\t11\t2\t1\t1\t2009\n")
    ds = data.load_hetrec(tmp_path)
    assert ds.counts.toarray().tolist() == [[5, 2], [7, 0]]
    assert ds.item_keys.tolist() == ["bjork", "the beatles"]
    aids, names, counts = data.load_hetrec_tags(tmp_path)
    assert names.tolist() == ["música", "rock"]
    assert counts.toarray().tolist() == [[0, 2], [1, 0]]


def test_filtered_drops_rare_items_then_light_users():
    x = sp.csr_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float32))
    ds = data.Dataset("t", x, np.arange(3), np.arange(4), np.array(list("abcd")), np.array(list("abcd")))
    f = ds.filtered(min_users_per_item=2, min_items_per_user=2)
    assert f.item_ids.tolist() == [0, 1] and f.user_ids.tolist() == [0, 1]


def test_missing_data_file_is_a_named_error(tmp_path):
    with pytest.raises(data.DataError):
        data.load_hetrec(tmp_path)


@pytest.mark.skipif(not (data.DEFAULT_DATA_ROOT / "hetrec2011-lastfm-2k").exists(), reason="shared data absent")
def test_real_hetrec_shape():
    ds = data.load_hetrec()
    assert ds.counts.shape == (1892, 17632) and ds.counts.nnz == 92834


def test_hetrec_tags_can_be_restricted_to_some_users(tmp_path):
    from recommender.research.datasets import load_hetrec_tags

    (tmp_path / "tags.dat").write_bytes("tagID\ttagValue\r\n1\trock\r\n2\tJazz \r\n".encode("latin-1"))
    (tmp_path / "user_taggedartists.dat").write_text(
        "userID\tartistID\ttagID\tday\tmonth\tyear\n"
        "1\t10\t1\t1\t1\t2009\n2\t10\t1\t1\t1\t2009\n2\t20\t2\t1\t1\t2009\n3\t20\t2\t1\t1\t2009\n")
    aids, names, counts = load_hetrec_tags(tmp_path)
    assert aids.tolist() == [10, 20] and names.tolist() == ["jazz", "rock"]
    assert counts.toarray().tolist() == [[0, 2], [2, 0]]
    aids, names, counts = load_hetrec_tags(tmp_path, users=[1, 3])
    assert aids.tolist() == [10, 20] and counts.toarray().tolist() == [[0, 1], [1, 0]]
