"""Reasons in a messy library: the counts they quote are shared between the tracks a
surface shows (Discover's rows ask for hundreds of reasons), and must
say exactly what counting the catalogue for each track says."""

from __future__ import annotations

import numpy as np

from recommender.catalog import Catalog, PlayLog
from recommender.explain import _play_sums, _song_plays
from recommender.genres import MORE_TO_DISCOVER, UNTAGGED
from recommender.rank import Recommender

T0 = 1_700_000_000.0
N = 800
PLAYED = 260          # rows 0..259 are played: more than the 200 most played a reason compares


def _assert_counts_as_scanning(rec) -> None:
    """The shared counts are what counting the catalogue for one artist, one genre or one
    track gives (as every reason once did, for each track it was asked about): plays per
    artist and per genre, and for every row the 200 most played other rows, most first."""
    cat = rec.catalog
    by_artist, by_bucket, ranked = _play_sums(rec)
    assert by_artist.tolist() == [cat.play_count[cat.artist == a].sum() for a in range(len(cat.artist_names))]
    assert by_bucket.tolist() == [cat.play_count[cat.bucket == b].sum() for b in range(len(cat.bucket_names))]
    played = np.flatnonzero(cat.play_count > 0)
    for row in range(cat.n):
        others = played[played != row]
        top = others[np.argsort(-cat.play_count[others], kind="stable")[:200]]
        shared = ranked[:201]
        assert shared[shared != row][:200].tolist() == top.tolist(), row


def _messy_library(counts: np.ndarray) -> Catalog:
    """``N`` tracks with a few big genres and a long tail of one-off tags (some untagged),
    artists across genres (some unknown, some never played), sounds in loose clusters, and twins: tracks that
    sound like the one played just past the 200 most played, so the cut at 200 shows.
    ``counts``: listened plays per row, oldest row first."""
    rng = np.random.default_rng(11)
    genres = [f"Genre {i}" for i in range(6)]
    buckets = [genres[i % 6] if i % 3 else (f"tag {i} / {i % 7}" if i % 11 else None) for i in range(N)]
    artists = [None if i % 37 == 0 else f"Band {i}" if i >= PLAYED and i % 2 else f"Artist {(i * 7) % 90}"
               for i in range(N)]
    artists[10] = "Only once"                 # its plays are its artist's: no "you played ..." for it
    centres = rng.normal(size=(12, 16))
    emb = centres[rng.integers(0, 12, N)] + 0.9 * rng.normal(size=(N, 16))
    for a, b in ((10, 200), (20, 201), (5, 400)):
        emb[b] = emb[a] + 0.01 * rng.normal(size=16)
    emb[700:720] = 0.0                        # not analysed yet
    events = [(int(r) + 1, "finished") for r in np.repeat(np.arange(N), counts.astype(int))]
    rng.shuffle(events)
    events += [(int(r) + 1, "skipped") for r in rng.integers(0, N, 40)]
    n = len(events)
    ended = np.array([e for _, e in events], dtype=object)
    log = PlayLog(np.array([t for t, _ in events], np.int64), np.arange(n) // 12, T0 + 240.0 * np.arange(n),
                  np.where(ended == "finished", 200_000.0, 5_000.0), np.full(n, 200_000.0), ended)
    return Catalog.build(track_ids=np.arange(1, N + 1), artists=artists, albums=[f"lp {i // 10}" for i in range(N)],
                         titles=[f"song {i}" for i in range(N)], durations=np.full(N, 200.0), embedding=emb,
                         buckets=buckets, plays=log)


def _counts(seed: int) -> np.ndarray:
    """Listened plays of rows 0..259, most for the first ones, many equal: rows 0..199 are
    the 200 most played, and row 200, played once as the rows just above it, the 201st."""
    counts = np.zeros(N)
    counts[:50] = 6
    counts[50:150] = 3
    counts[150:PLAYED] = 1
    counts[np.random.default_rng(seed).integers(0, 200, 30)] += 2
    counts[10] = 6
    return counts


def test_every_reason_quotes_the_counts_of_the_whole_catalogue():
    rec = Recommender(_messy_library(_counts(0)), now=T0 + 40 * 86400)
    got = rec.discover(6)
    assert MORE_TO_DISCOVER in got and len(got) <= 21      # the one-off tags share a row
    _assert_counts_as_scanning(rec)
    # The cut at the 200 most played is where it was: row 10 (played 6 times) sounds like
    # row 200, the 201st most played, which is among the 200 others it is compared with.
    assert rec.explain(11) == "you played it 6 times · sounds like song 200 — Artist 50, which you play"


def test_reasons_follow_new_plays_and_each_copy_keeps_its_own():
    first = Recommender(_messy_library(_counts(0)), now=T0 + 40 * 86400)
    before = {int(t): first.explain(int(t)) for t in first.catalog.track_ids}
    other = first.with_plays(_messy_library(_counts(1)).plays)     # shares what was derived
    few = np.zeros(N)
    few[[3, 10, 200, 201, 500]] = [4, 1, 2, 1, 3]                  # fewer played than the 200 compared
    new = first.with_plays(_messy_library(few).plays)
    for rec in (other, first, new, other):
        _assert_counts_as_scanning(rec)
    assert {int(t): first.explain(int(t)) for t in first.catalog.track_ids} == before
    assert before != {int(t): other.explain(int(t)) for t in other.catalog.track_ids}


def test_right_to_left_names_are_isolated_in_reasons():
    """"you played فيروز 12 times": without isolates the number joins the Arabic name and is
    shown on its far side. A name in a Latin script is left as it was."""
    from recommender.catalog import Catalog
    from recommender.explain import _by, _label, _whose, isolate

    class Cat:
        artist_names = ["فيروز", "Nina Simone"]
        artist = [0, 1]
        titles = ["يا ليل يا عين", "Sinnerman"]
        track_ids = [1, 2]

        def artist_is_guessed(self, row):
            return False

        label = Catalog.label

    cat = Cat()
    assert isolate("فيروز") == "\u2068فيروز\u2069"
    assert isolate("Nina Simone") == "Nina Simone"
    assert f"you played {_whose(cat, 0)} 12 times" == "you played \u2068فيروز\u2069 12 times"
    assert _by(cat, 1) == "by Nina Simone"
    assert _label(cat, 0) == "\u2068يا ليل يا عين\u2069 — \u2068فيروز\u2069"
    assert _label(cat, 1) == cat.label(1) == "Sinnerman — Nina Simone"


def test_you_played_it_counts_the_song_in_every_copy():
    # Row 0 the album's FLAC, row 1 its phone copy in MP3, row 2 its remaster on a best-of
    # (4 + 3 + 2 plays); row 3 a live take of another length, played once more than the
    # others' own plays; row 4 a song of another artist, offered after them; row 5 a copy
    # of the song from a playlist's folder, not played yet.
    titles = ["Song", "Song", "Song - Remastered 2011", "Song", "Else", "Song"]
    artists = ["A", "A", "A", "A", "B", "A"]
    durations = np.array([200.0, 200.4, 201.0, 260.0, 200.0, 199.8])
    counts = [4, 3, 2, 5, 0, 0]
    rows = [r for r, n in enumerate(counts) for _ in range(n)]
    n = len(rows)
    log = PlayLog(np.array(rows, np.int64) + 1, np.arange(n), T0 + 3600.0 * np.arange(n),
                  np.full(n, 200_000.0), np.full(n, 200_000.0), np.full(n, "finished", dtype=object))
    cat = Catalog.build(track_ids=np.arange(1, 7), artists=artists,
                        albums=["First", "First", "Best", "Live", "B", "Mix"],
                        titles=titles, durations=durations, embedding=np.zeros((6, 16)),
                        buckets=["Rock"] * 6, plays=log)
    rec = Recommender(cat, now=T0 + 40 * 86400)
    assert "you played it 9 times" in rec.explain(2)
    assert "you played it 9 times" in rec.explain(3)
    assert "you played it 5 times" in rec.explain(4)        # the live take is another recording
    # Plays of another log, on a copy that shares what was worked out from the first: the
    # FLAC no longer played, the MP3 more, the playlist's copy and the other artist's song for
    # the first time. Each recommender counts its own plays, the first one as before.
    counts = [0, 6, 1, 5, 2, 3]
    rows = [r for r, n in enumerate(counts) for _ in range(n)]
    n = len(rows)
    other = rec.with_plays(PlayLog(np.array(rows, np.int64) + 1, np.arange(n), T0 + 3600.0 * np.arange(n),
                                   np.full(n, 200_000.0), np.full(n, 200_000.0),
                                   np.full(n, "finished", dtype=object)))
    assert "you played it 10 times" in other.explain(1)
    assert "you played it 10 times" in other.explain(6)
    assert _song_plays(other, 4) == 2 and _song_plays(rec, 4) == 0
    assert "you played it 9 times" in rec.explain(1)


def test_reasons_name_soul_and_rnb_as_the_person_writes_it():
    # "soul & rnb, which you played 8 times" under the row "Soul & R&B": a key, not a genre's name
    artists = ["A", "A", "B", "C", "D"]
    rows = [0] * 4 + [1] * 4 + [3] * 3
    n = len(rows)
    log = PlayLog(np.array(rows, np.int64) + 1, np.arange(n), T0 + 3600.0 * np.arange(n),
                  np.full(n, 200_000.0), np.full(n, 200_000.0), np.full(n, "finished", dtype=object))
    cat = Catalog.build(track_ids=np.arange(1, 6), artists=artists, albums=["W", "X", "Y", "Z", "V"],
                        titles=["s0", "s1", "s2", "m3", "m4"], durations=np.full(5, 200.0),
                        embedding=np.zeros((5, 16)), buckets=["soul & rnb"] * 3 + ["metal"] * 2, plays=log)
    rec = Recommender(cat, now=T0 + 40 * 86400)
    assert rec.explain(3) == "soul & R&B, which you played 8 times"
    assert rec.explain(3, "radio:1") == "soul & R&B, like s0 — A"
    assert rec.explain(5) == "metal, which you played 3 times"


def _library(artists, rows_played, embedding, buckets=None, albums=None):
    n = len(artists)
    k = len(rows_played)
    log = PlayLog(np.array(rows_played, np.int64) + 1, np.arange(k), T0 + 3600.0 * np.arange(k),
                  np.full(k, 200_000.0), np.full(k, 200_000.0), np.full(k, "finished", dtype=object))
    cat = Catalog.build(track_ids=np.arange(1, n + 1), artists=artists,
                        albums=albums or [f"lp {i}" for i in range(n)],
                        titles=[f"s{i}" for i in range(n)], durations=np.full(n, 200.0),
                        embedding=np.asarray(embedding, float), buckets=buckets or ["Rock"] * n, plays=log)
    return Recommender(cat, now=T0 + 40 * 86400)


def test_a_reason_says_sounds_like_once_and_not_of_the_artist_it_just_named():
    # Rows 0, 1, 2 by A sound alike (0 played 5 times, 1 the seed, 2 offered); row 3 by B,
    # played 3 times, sounds like them too; row 4 by C, never played, sounds like them as well.
    alike = np.eye(16)[0] + 0.05 * np.eye(16)[1]
    emb = [np.eye(16)[0], alike, np.eye(16)[0] - 0.05 * np.eye(16)[1], np.eye(16)[0] + 0.1 * np.eye(16)[2],
           np.eye(16)[0] + 0.1 * np.eye(16)[3]]
    rec = _library(["A", "A", "A", "B", "C"], [0] * 5 + [3] * 3, emb)
    # "you played A 5 times · sounds like s0 — A, which you play": the second says the first again
    assert rec.explain(3) == "you played A 5 times · sounds like s3 — B, which you play"
    # "sounds like s1 — A · sounds like s0 — A, which you play": one is enough
    assert rec.explain(5, "radio:2") == "sounds like s1 — A"


def test_no_genre_tag_is_never_named_as_a_genre():
    # "No genre tag, which you played 8 times", "No genre tag, like s0 — A": no genre of the person's
    rec = _library(["A", "A", "B", "C"], [0] * 4 + [1] * 4, np.zeros((4, 16)), buckets=[UNTAGGED] * 4)
    assert rec.catalog.bucket_names[rec.catalog.bucket[0]] == UNTAGGED
    assert rec.explain(4) == ""
    assert rec.explain(4, "radio:3") == ""
    assert rec.explain(3, "radio:1") == ""


def test_a_discover_tile_leaves_the_genre_to_its_row():
    # Every tile of a row read "jazz, from your library", or "jazz, which you played 8 times":
    # what the row's heading says, fourteen times over.
    rec = _library(["A", "B", "C", "D"], [0] * 8, np.zeros((4, 16)), buckets=["jazz"] * 2 + ["metal"] * 2)
    assert rec.explain(2, "discover:jazz") == ""
    assert rec.explain(4, "discover:metal") == ""
    assert rec.explain(2) == "jazz, which you played 8 times"       # Up next, where nothing names it
    assert rec.explain(4) == "metal, from your library"


def test_a_station_from_an_untagged_song_says_whose_genre_it_follows():
    # Row 0, untagged, by A, whose other songs are pop; a pop song of B on the station read
    # "pop, which you played 3 times", nothing of the seed or of why pop.
    rec = _library(["A", "A", "A", "B", "C"], [2] * 3, np.zeros((5, 16)),
                   buckets=[UNTAGGED, "pop", "pop", "pop", "jazz"])
    assert rec.explain(4, "radio:1") == "pop, like A's other songs"
    assert rec.explain(5, "radio:1") == "jazz, for a change from s0 — A"    # not what it follows
    assert rec.explain(4) == "pop, which you played 3 times"


def test_a_station_from_an_untagged_song_of_no_tagged_kin_keeps_to_no_genre_to_change_from():
    # Row 0, untagged, by A, whose other song is untagged too: the station follows no genre,
    # yet every tagged song on it read "pop, a change on the radio from s0 — A".
    rec = _library(["A", "A", "B", "C"], [1] * 2, np.zeros((4, 16)), buckets=[UNTAGGED, UNTAGGED, "pop", "jazz"])
    assert rec.explain(3, "radio:1") == "pop, from your library"
    assert rec.explain(4, "radio:1") == "jazz, from your library"


def test_up_next_says_the_genre_an_untagged_song_is_taken_for_and_why():
    # Row 2, untagged, is on A's rock album (rows 0, 1); row 3, untagged, on B's album of no
    # genre, B's other song (row 4) rock; row 5, untagged, on an album of untagged songs only.
    # Each ranks as rock after a rock song (row 6, C's) and said nothing of why it came.
    rec = _library(["A", "A", "A", "B", "B", "D", "C", "E"], [7], np.zeros((8, 16)),
                   buckets=["rock", "rock", UNTAGGED, UNTAGGED, "rock", UNTAGGED, "rock", "jazz"],
                   albums=["a", "a", "a", "b", "b2", "d", "c", "e"])
    # (the song it follows first: Up next's line is cut short at its end)
    assert rec.explain(3, "after:7") == "rock, like s6 — C and its album"
    assert rec.explain(4, "after:7") == "rock, like s6 — C and B's other songs"
    assert rec.explain(6, "after:7") == ""                 # nothing says what it is
    assert rec.explain(3, "after:8") == "rock, like its album"      # not jazz's: no "and s7"
    assert rec.explain(3) == "rock, like its album"
    assert rec.explain(3, "discover:rock") == ""           # the row names it
