"""recommender.genres: tag -> bucket mapping, file genre words, and the blend."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.genres import (
    BUCKETS,
    TAG_BUCKETS,
    assign_bucket,
    assign_buckets,
    bucket_scores,
    file_genre_bucket,
    is_spoken,
)
from recommender.msd_tags import MSD_LABELS


def _tags(**probs) -> np.ndarray:
    tags = np.full(50, 0.02, np.float32)
    for name, p in probs.items():
        tags[MSD_LABELS.index(name.replace("_", " "))] = p
    return tags


def test_every_mapped_tag_is_an_msd_tag_and_the_set_is_fixed():
    assert set(TAG_BUCKETS) == set(BUCKETS)
    for members in TAG_BUCKETS.values():
        assert set(members) <= set(MSD_LABELS)
    assert {"rock", "pop", "electronic", "jazz", "metal", "hip-hop", "folk", "blues", "country",
            "punk", "ambient", "classical", "dance", "indie", "soul & rnb"} == set(BUCKETS)


@pytest.mark.parametrize("genre,bucket", [
    ("Rock", "rock"), ("Indie Rock", "indie"), ("Hip-Hop", "hip-hop"), ("Rap", "hip-hop"),
    ("R&B", "soul & rnb"), ("Heavy Metal", "metal"), ("Pop Punk", "punk"), ("Deep House", "dance"),
    ("Techno", "electronic"), ("Synthpop", "electronic"), ("Classical", "classical"),
    ("Baroque", "classical"), ("Bebop", "jazz"), ("Bluegrass", "country"), ("Singer-Songwriter", "folk"),
    ("Downtempo", "ambient"), ("K-Pop", "pop"), ("Drum & Bass", "electronic"),
    ("Drum 'n' Bass", "electronic"), ("Drum ’n’ Bass", "electronic"), ("DnB", "electronic"), ("D&B", "electronic"),
    ("Soundtrack", "classical"), ("Film Score", "classical"), ("OST", "classical"),
    ("Electronic Soundtrack", "electronic"), ("Jazz Film Score", "jazz"), ("Scores", None),
    ("Pop; Rock", "pop"), ("Rock/Pop", "rock"), ("Singer/Songwriter", "folk"), ("singer / songwriter; Pop", "folk"),
    ("Podcast", None), ("(17)", None), ("", None), (None, None), ("Therapy", None), ("Demo", None),
])
def test_file_genre_words(genre, bucket):
    assert file_genre_bucket(genre) == bucket


def test_audio_alone_picks_the_strongest_bucket():
    assert assign_bucket(_tags(jazz=0.7, rock=0.2)) == "jazz"
    assert assign_bucket(_tags(**{"Hip-Hop": 0.6, "pop": 0.3})) == "hip-hop"
    assert assign_bucket(_tags(heavy_metal=0.5, rock=0.4)) == "metal"
    scores = bucket_scores(_tags(electronic=0.5, House=0.45))
    assert scores.shape == (len(BUCKETS),) and abs(scores.sum() - 1) < 1e-5
    assert scores[BUCKETS.index("classical")] == 0  # no MSD tag for it


def test_file_genre_is_blended_in():
    tags = _tags(rock=0.5, pop=0.3)
    assert assign_bucket(tags) == "rock"
    assert assign_bucket(tags, "Classical") == "classical"     # the person's tag wins by default
    assert assign_bucket(tags, "Classical", file_weight=0.1) == "rock"
    assert assign_bucket(tags, "Podcast") == "rock"            # unknown genre: audio only
    assert assign_bucket(None, "Blues") == "blues" and assign_bucket(None, None) is None
    s = bucket_scores(tags, "Blues", file_weight=0.25)
    np.testing.assert_allclose(s, 0.75 * bucket_scores(tags) + 0.25 * np.eye(len(BUCKETS))[BUCKETS.index("blues")],
                               rtol=1e-6)


def test_batches_and_bad_input():
    batch = np.stack([_tags(jazz=0.9), _tags(country=0.9)])
    scores = bucket_scores(batch)
    assert scores.shape == (2, len(BUCKETS))
    assert [BUCKETS[i] for i in scores.argmax(1)] == ["jazz", "country"]
    with pytest.raises(ValueError):
        bucket_scores(np.zeros(49))
    with pytest.raises(ValueError):
        bucket_scores(np.full(50, np.nan))
    with pytest.raises(ValueError):
        bucket_scores(np.zeros(50), file_weight=2.0)


def test_light_modules_do_not_import_torch_or_qt():
    import subprocess
    import sys

    code = ("import sys, recommender.genres, recommender.audio_features, segue_common.audio_io, "
            "player.analysis, player.store.features; "
            "print(sorted(m for m in ('torch', 'PySide6', 'librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.strip() == "[]"


def test_many_tracks_at_once_as_one_by_one():
    rng = np.random.default_rng(3)
    tags = rng.random((40, len(MSD_LABELS))).astype(np.float32) ** 4
    genres = [None, "Classical", "Podcast", "Heavy Metal; Rock", "Soundtrack", "Jazz"] * 6 + [None] * 4
    assert assign_buckets(tags, genres) == [assign_bucket(t, g) for t, g in zip(tags, genres)]
    assert assign_buckets(np.zeros((0, len(MSD_LABELS))), []) == []


@pytest.mark.parametrize("genre", ["Audiobook", "Spoken Word; Jazz", "Hörspiel", "Ho\u0308rspiel", "Livre audio",
                                   "Audiolibro", "オーディオブック", "Аудиокнига"])
def test_a_book_tagged_in_any_language_is_speech(genre):
    assert is_spoken(genre)


@pytest.mark.parametrize("genre", ["Speed Metal", "Spoken Word Poetry", "Jazz; Spoken Word", "Speech Debelle",
                                   "", None])
def test_music_and_names_near_speech_are_not(genre):
    assert not is_spoken(genre)
