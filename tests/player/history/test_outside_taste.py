"""Listening elsewhere is artist taste: an imported history whose songs the library lacks
still lifts the library's tracks by the artists it is full of, from the first Up next,
Discover and Radio after the import, and what it skipped does not count as liked."""

from __future__ import annotations

from player.history.importer import import_file
from player.recommender_service import RecommenderService
from tests import history_fixtures as fx

T0 = 1_590_000_000.0          # May 2020: long before any play Segue logs
ALPHA, BRAVO, CHARLIE = "Alpha Band", "Bravo Band", "Charlie Trio"


def fill_library(store) -> dict[str, list[int]]:
    """8 tracks each of three artists, one genre, same length: nothing in the tags sets
    one artist apart. Returns artist -> track ids."""
    store.upsert_tracks([{"path": f"/music/{artist}/{i:02d}.flac", "size": 1000, "mtime_ns": 1,
                          "title": f"{artist} tune {i}", "artist": artist, "album": f"{artist} LP",
                          "genre": "Rock", "duration": 200.0, "year": 2001}
                         for artist in (ALPHA, BRAVO, CHARLIE) for i in range(8)])
    out: dict[str, list[int]] = {}
    for r in store.tracks():
        out.setdefault(r["artist"], []).append(int(r["id"]))
    return out


def elsewhere(artist: str, n: int, start: float, *, ms: int = 200_000, skipped: bool = False) -> list[tuple]:
    """``n`` plays of songs by ``artist`` that the library does not have, 5 minutes apart."""
    return [(artist, f"Song only on the radio {start:.0f}-{i}", None, start + 300 * i, ms, skipped)
            for i in range(n)]


def scores_by_artist(picks, by_artist: dict[str, list[int]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {a: [] for a in by_artist}
    for rec in picks:
        artist = next(a for a, ids in by_artist.items() if rec.track_id in ids)
        out[artist].append(rec.score)
    return out


def ranks_above(picks, by_artist, high: str, low: str, *, first: int | None = None) -> bool:
    """Every pick by ``high`` scores above every pick by ``low`` (both among the picks);
    ``first``: of each artist's first picks only (a Discover row takes every artist's first
    two before any artist's third, whatever the taste)."""
    s = {a: scores[:first] for a, scores in scores_by_artist(picks, by_artist).items()}
    assert s[high] and s[low], f"need picks of both {high} and {low}: {s}"
    return min(s[high]) > max(s[low])


def ranks_above_on(surface: str, picks, by_artist, high: str, low: str) -> bool:
    return ranks_above(picks, by_artist, high, low, first=2 if surface == "discover" else None)


def surfaces(service, by_artist):
    """Up next on a fresh start (nothing played yet this session), Discover's row and a
    Radio from the third artist, none of which says anything of Alpha or Bravo."""
    up_next = service.up_next([], 8)
    (discover,) = service.discover(8).values()
    radio = service.radio(by_artist[CHARLIE][0], 8)
    return {"up next": up_next, "discover": discover, "radio": radio}


def test_an_artist_heard_elsewhere_ranks_above_one_not_heard(store, tmp_path):
    by_artist = fill_library(store)
    service = RecommenderService(store, priors=None)
    for name, picks in surfaces(service, by_artist).items():
        assert not ranks_above_on(name, picks, by_artist, ALPHA, BRAVO), name

    # Forty listens of Alpha Band songs the library does not hold, one credited with a guest.
    plays = elsewhere(ALPHA, 39, T0) + [(f"{ALPHA} feat. Someone", "A duet", None, T0 + 50_000, 180_000, False)]
    summary = import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_0.json", plays))
    assert (summary.matched, summary.unmatched) == (0, 40)
    assert store.play_count() == 0                 # nothing became a play: only taste changed

    # The same service, not told of the import: it notices and rebuilds.
    for name, picks in surfaces(service, by_artist).items():
        assert ranks_above_on(name, picks, by_artist, ALPHA, BRAVO), name
    first = service.up_next([], 1)[0]
    assert first.track_id in by_artist[ALPHA]
    assert "you played Alpha Band 40 times in your imported history" in first.reason


def test_skips_elsewhere_are_not_taste(store, tmp_path):
    by_artist = fill_library(store)
    # Alpha Band: 40 rows, but 30 of them skipped (15 marked so by the service, 15 turned
    # off within seconds in a file without a skip flag); Bravo Band: 12 rows, all heard.
    extended = (elsewhere(ALPHA, 10, T0) + elsewhere(ALPHA, 15, T0 + 10_000, ms=40_000, skipped=True)
                + elsewhere(BRAVO, 12, T0 + 20_000))
    import_file(store, fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json", extended))
    import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_1.json",
                                  elsewhere(ALPHA, 15, T0 + 40_000, ms=6_000)))
    counts = store.imported_artist_counts()
    assert counts["alpha band"] == (40, 30) and counts["bravo band"] == (12, 0)

    service = RecommenderService(store, priors=None)
    for name, picks in surfaces(service, by_artist).items():
        assert ranks_above_on(name, picks, by_artist, BRAVO, ALPHA), name


def test_an_artist_is_counted_once_in_a_reason(store, tmp_path):
    # An imported history of Alpha Band: 16 plays of library songs (two each, which become
    # plays) and 24 of songs the library lacks. The reason said "you played Alpha Band 16
    # times · you played Alpha Band 40 times in your imported history": two counts of the
    # same listening that disagree.
    by_artist = fill_library(store)
    matched = [(ALPHA, f"{ALPHA} tune {i}", f"{ALPHA} LP", T0 + 100_000 + 600 * (2 * i + j), 200_000, False)
               for i in range(8) for j in range(2)]
    summary = import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_0.json",
                                            matched + elsewhere(ALPHA, 24, T0)))
    assert (summary.matched, summary.unmatched) == (16, 24)
    service = RecommenderService(store, priors=None)
    picks = [r for recs in surfaces(service, by_artist).values() for r in recs if r.track_id in by_artist[ALPHA]]
    assert picks
    for r in picks:
        assert r.reason.count(ALPHA) <= 1, r.reason
    assert any("you played Alpha Band" in r.reason for r in picks)


def test_a_history_removed_and_another_imported_is_the_taste_read(store, tmp_path):
    # Remove the newest import, then import another file: the file count and the newest
    # id came back as they were, and the same service went on lifting the removed file's
    # artist, the new file's not heard of.
    by_artist = fill_library(store)
    import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_0.json", elsewhere(CHARLIE, 5, T0)))
    import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_1.json", elsewhere(ALPHA, 40, T0 + 50_000)))
    service = RecommenderService(store, priors=None)
    assert ranks_above(service.up_next([], 8), by_artist, ALPHA, BRAVO)

    newest = store.history_imports()[0]["id"]
    assert store.remove_import(newest)["listens"] == 40
    import_file(store, fx.spotify(tmp_path / "StreamingHistory_music_2.json", elsewhere(BRAVO, 40, T0 + 90_000)))
    assert store.play_count() == 0              # nothing but the taste changed
    assert store.imported_artist_counts().keys() == {"charlie trio", "bravo band"}

    up_next = service.up_next([], 8)
    assert ranks_above(up_next, by_artist, BRAVO, ALPHA)
    assert not any("Alpha Band" in r.reason for r in up_next)
    radio = service.radio(by_artist[CHARLIE][0], 8)
    assert ranks_above(radio, by_artist, BRAVO, ALPHA)
