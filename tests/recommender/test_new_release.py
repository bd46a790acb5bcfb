"""A new album by an artist the person plays a lot, added to the library after weeks of
their plays of the artist's other albums: Radio, Up next and Discover offer it."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.catalog import Catalog, PlayLog
from recommender.rank import DAY, NEW_RELEASE_S, Models, Recommender

KINDS = ("rock", "jazz", "ambient", "hiphop")
START = 1_700_000_000.0
DAYS = 42
NOW = START + (DAYS - 1) * DAY + 3600.0     # the latest play's day


def _library(seed=1):
    """32 artists of 4 kinds (one album of 6 songs each) and "Loved", a rock artist with
    albums A, B and C of 10 songs each; the person plays A and B half of every evening for
    six weeks, the other rock artists and one jazz artist the rest."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(KINDS), 16))
    lib = {"track_ids": [], "artists": [], "albums": [], "embedding": [], "buckets": [], "track_numbers": []}
    loved: dict[str, list[int]] = {}

    def add(artist, album, kind, place):
        tid = 1000 + len(lib["track_ids"])
        lib["track_ids"].append(tid)
        lib["artists"].append(artist)
        lib["albums"].append(album)
        lib["embedding"].append(centres[kind] + 0.35 * rng.normal(size=16))
        lib["buckets"].append(KINDS[kind])
        lib["track_numbers"].append(place)
        return tid

    for k, kind in enumerate(KINDS):
        for a in range(8):
            for i in range(6):
                add(f"{kind} artist {a}", f"{kind} album {a}", k, i + 1)
    for name in "ABC":
        loved[name] = [add("Loved", f"Loved {name}", 0, i + 1) for i in range(10)]
    others = [t for t, a in zip(lib["track_ids"], lib["artists"]) if a.startswith("rock ") or a == "jazz artist 1"]
    events = []
    for day in range(DAYS):
        for j in range(10):
            pool = loved["A"] + loved["B"] if j % 2 == 0 else others
            events.append((int(rng.choice(pool)), START + day * DAY + j * 240.0))
    n = len(events)
    plays = PlayLog(np.array([t for t, _ in events], np.int64), np.repeat(np.arange(DAYS), 10),
                    np.array([s for _, s in events]), np.full(n, 200e3), np.full(n, 200e3),
                    np.array(["finished"] * n, dtype=object))
    lib["embedding"] = np.array(lib["embedding"], np.float32)
    lib["factors"] = lib["embedding"][:, :8] * 2
    return lib, loved, plays


def _recommender(*, new_at: float | None = NOW - DAY, new_artist: str | None = None, plays_too=(), known=0,
                 skipped=()):
    """The ranker over the library; the library came in 100 days before the latest play and
    album C at ``new_at`` (None: the catalogue knows no times, as in the evaluation's);
    ``new_artist``: C credited to another artist; ``plays_too``: more plays of (track, time);
    ``known``: C's first songs are that many of A's (a best-of, a copy); ``skipped``: early
    skips of (track, time)."""
    lib, loved, plays = _library()
    ids = lib["track_ids"]
    titles = [f"t{i}" for i in ids]
    for a, c in zip(loved["A"][:known], loved["C"]):
        titles[ids.index(c)] = titles[ids.index(a)]
    if new_artist is not None:
        for t in loved["C"]:
            lib["artists"][ids.index(t)] = new_artist
    for more, heard, ended in ((plays_too, 200e3, "finished"), (skipped, 4e3, "skipped")):
        if more:
            n = len(more)
            plays = plays.concat(PlayLog(np.array([t for t, _ in more], np.int64), np.full(n, DAYS),
                                         np.array([s for _, s in more]), np.full(n, heard), np.full(n, 200e3),
                                         np.array([ended] * n, dtype=object)))
    added = None
    if new_at is not None:
        added = [START - 100 * DAY] * len(ids)
        for t in loved["C"]:
            added[ids.index(t)] = new_at
    cat = Catalog.build(**lib, titles=titles, durations=[200.0] * len(ids), plays=plays,
                        added=added)
    return Recommender(cat, Models()), set(loved["C"]), loved


def _no_two_in_a_row(picks, new):
    return not any(a in new and b in new for a, b in zip(picks, picks[1:]))


def test_radio_from_a_loved_artists_song_offers_their_new_album_early_and_spaced():
    rec, new, loved = _recommender()
    picks = [t for t, _ in rec.radio(loved["A"][0], 20)]
    # (without the new album's lift: none of it in 20, the plays of A and B outweighing it)
    assert any(t in new for t in picks[:10]), picks
    assert sum(t in new for t in picks) < 10
    assert _no_two_in_a_row(picks, new)
    first = next(t for t in picks if t in new)
    assert rec.explain(first, f"radio:{loved['A'][0]}").startswith("new in your library"), \
        rec.explain(first, f"radio:{loved['A'][0]}")


def test_up_next_after_a_loved_artists_song_offers_their_new_album_spaced():
    rec, new, loved = _recommender()
    picks = [t for t, _ in rec.up_next([loved["A"][0]], 20)]
    # (none of it without the lift; one, in the first places only, where the session vote of
    # the later places, which knows only songs played before, did not keep its turns)
    assert sum(t in new for t in picks) >= 2, picks
    assert sum(t in new for t in picks) < 10
    assert _no_two_in_a_row(picks, new)


def test_discover_leads_the_genres_row_with_the_new_album():
    # (as it did before the lift: never played, by an artist the taste ranks high)
    rec, new, _ = _recommender()
    row = [t for t, _ in rec.discover(10)["rock"]]
    assert row[0] in new and sum(t in new for t in row) == 2, row      # two of an artist a row


@pytest.mark.parametrize("case", ["no times", "with the first scan", "weeks ago", "not a loved artist"])
def test_radio_and_up_next_lift_only_new_songs_of_loved_artists(case):
    """What is not news is ranked as before: a catalogue that knows no times (the
    evaluation's), an album that came in with the library's first scan, one added more than
    four weeks ago, and a new album of an artist the person never played."""
    new_at = {"no times": None, "with the first scan": START - 100 * DAY + 3600.0,
              "weeks ago": NOW - NEW_RELEASE_S - DAY}.get(case, NOW - DAY)
    rec, new, loved = _recommender(new_at=new_at, new_artist="Stranger" if case == "not a loved artist" else None)
    assert not rec.new_release.any()
    plain, _, _ = _recommender(new_at=None, new_artist="Stranger" if case == "not a loved artist" else None)
    seed = loved["A"][0]
    assert rec.radio(seed, 20) == plain.radio(seed, 20)
    assert rec.up_next([seed], 20) == plain.up_next([seed], 20)


def test_a_new_song_heard_is_no_longer_news_the_rest_of_the_album_still_is():
    _, _, loved = _recommender()
    heard = loved["C"][0]
    rec, new, _ = _recommender(plays_too=[(heard, NOW + 600.0)])
    assert not rec.new_release[rec.catalog.row(heard)]
    assert rec.new_release[rec.catalog.rows(loved["C"][1:])].all()


@pytest.mark.parametrize("known", [4, 10])
def test_songs_the_library_had_already_are_no_news_in_another_file(known):
    """A best-of of albums the person has, or the artist's folder copied to a new drive (the
    old one not yet gone): its songs, heard or not, came in before; only the others are new."""
    rec, _, loved = _recommender(known=known)
    assert not rec.new_release[rec.catalog.rows(loved["C"][:known])].any()
    assert rec.new_release[rec.catalog.rows(loved["C"][known:])].all()


@pytest.mark.parametrize("skips", [[0, 0], [0, 1, 2]])
def test_a_new_album_the_person_skipped_is_not_pushed_on_them(skips):
    """Its first song skipped twice, or three of its songs once each: the rest of the album is
    ranked as any song of the artist, as without the times."""
    _, _, loved = _recommender()
    skipped = [(loved["C"][i], NOW + 60.0 * (j + 1)) for j, i in enumerate(skips)]
    rec, _, _ = _recommender(skipped=skipped)
    assert not rec.new_release.any()
    plain, _, _ = _recommender(new_at=None, skipped=skipped)
    seed = loved["A"][0]
    assert rec.radio(seed, 20) == plain.radio(seed, 20)
    assert rec.up_next([seed], 20) == plain.up_next([seed], 20)


def test_one_skip_of_a_new_song_leaves_the_rest_new():
    _, _, loved = _recommender()
    rec, _, _ = _recommender(skipped=[(loved["C"][0], NOW + 60.0)])
    assert not rec.new_release[rec.catalog.row(loved["C"][0])]
    assert rec.new_release[rec.catalog.rows(loved["C"][1:])].all()
