"""Listening in other players, by artist: taste from the start that gives way to the plays here."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.catalog import Catalog, CatalogError, PlayLog
from recommender.rank import RankConfig, Recommender
from tests.recommender.test_rank import library, playlog


def with_history(plays=None) -> Catalog:
    """The test library with 40 listens elsewhere of one rock artist, and 5 listens and 20
    skips of one jazz artist."""
    base = library()
    outside = np.zeros((base.n, 2), np.float32)
    for i, a in enumerate(base.artist):
        name = base.artist_names[a]
        if name == "rock artist 0":
            outside[i] = (40, 0)
        elif name == "jazz artist 0":
            outside[i] = (5, 20)
    return Catalog.build(track_ids=base.track_ids, artists=[base.artist_names[a] for a in base.artist],
                         albums=[f"album {a}" for a in base.artist], embedding=base.embedding,
                         buckets=[base.bucket_names[b] for b in base.bucket], plays=plays, outside=outside)


def sourced(log: PlayLog, source: str) -> PlayLog:
    log.source = np.full(len(log), source, dtype=object)
    return log


def artist_rows(cat: Catalog, name: str) -> np.ndarray:
    return np.flatnonzero(cat.artist == cat.artist_names.index(name))


def test_outside_taste_lifts_the_heard_artist_and_drops_the_skipped_one():
    cat = with_history()
    rec = Recommender(cat, now=1_700_000_000.0)
    rock0, jazz0 = artist_rows(cat, "rock artist 0"), artist_rows(cat, "jazz artist 0")
    others = np.setdiff1d(np.arange(cat.n), np.concatenate([rock0, jazz0]))
    assert rec.outside[rock0].min() > rec.outside[others].max() > rec.outside[jazz0].max()
    assert rec.personal[rock0].min() > rec.personal[others].max()


def test_outside_taste_fades_as_plays_in_segue_grow_but_not_with_imported_plays():
    none = Recommender(with_history(), now=1_700_000_000.0)
    jazz = [1000 + 40 + i for i in range(8, 40)]
    events = [(jazz[i % len(jazz)], "finished") for i in range(60)]
    here = Recommender(with_history(sourced(playlog(events), "library")))
    imported = Recommender(with_history(sourced(playlog(events), "import")))
    top = float(np.abs(none.outside).max())
    assert top > 0
    half = RankConfig().trust_half
    assert float(np.abs(here.outside).max()) == pytest.approx(top * half / (half + 60), rel=1e-5)
    assert float(np.abs(imported.outside).max()) == pytest.approx(top, rel=1e-5)


def test_outside_counts_must_be_one_row_per_track():
    with pytest.raises(CatalogError):
        Catalog.build(track_ids=[1, 2, 3], artists=["a", "b", "c"], outside=np.zeros((2, 2)))
    with pytest.raises(CatalogError):
        Catalog.build(track_ids=[1, 2], artists=["a", "b"], outside=np.zeros((2, 3)))


def test_an_artist_heard_often_and_skipped_at_times_ranks_above_one_never_heard():
    # A streaming service's shuffle is skipped a lot: the artist heard 848 times and skipped
    # 332 is the person's favourite, yet log(849) - 1.5 log(333) put it below every artist
    # they never heard. One skipped more than heard stays below those.
    base = library()
    outside = np.zeros((base.n, 2), np.float32)
    for i, a in enumerate(base.artist):
        name = base.artist_names[a]
        if name == "rock artist 0":
            outside[i] = (848, 332)
        elif name == "jazz artist 0":
            outside[i] = (5, 20)
    cat = Catalog.build(track_ids=base.track_ids, artists=[base.artist_names[a] for a in base.artist],
                        albums=[f"album {a}" for a in base.artist], embedding=base.embedding,
                        buckets=[base.bucket_names[b] for b in base.bucket], outside=outside)
    rec = Recommender(cat, now=1_700_000_000.0)
    rock0, jazz0 = artist_rows(cat, "rock artist 0"), artist_rows(cat, "jazz artist 0")
    others = np.setdiff1d(np.arange(cat.n), np.concatenate([rock0, jazz0]))
    assert rec.outside[rock0].min() > rec.outside[others].max() > rec.outside[jazz0].max()


def famous_and_heard_elsewhere(heard: int) -> tuple[Catalog, np.ndarray]:
    """The test library where one jazz artist's tracks carry prior factors four times as long
    (the songs everyone knows), and ``heard`` listens elsewhere of one rock artist (none: no
    history). Returns the catalogue and the famous tracks' ids."""
    base = library()
    names = [base.artist_names[a] for a in base.artist]
    famous = np.array([name == "jazz artist 1" for name in names])
    factors = np.asarray(base.factors).copy()
    factors[famous] *= 4
    outside = np.zeros((base.n, 2), np.float32)
    outside[[name == "rock artist 0" for name in names]] = (heard, 0)
    cat = Catalog.build(track_ids=base.track_ids, artists=names, albums=[f"album {name}" for name in names],
                        embedding=base.embedding, buckets=[base.bucket_names[b] for b in base.bucket],
                        factors=factors, outside=outside if heard else None)
    return cat, base.track_ids[famous]


def test_radio_leans_on_famous_songs_less_after_a_long_imported_history():
    # Nothing played in Segue, 5,000 listens in another player: Radio lifted the famous
    # songs as much as for someone who had never played anything, as Up next no longer did.
    new, famous = famous_and_heard_elsewhere(0)
    imported, _ = famous_and_heard_elsewhere(5000)
    seed = int(new.track_ids[np.flatnonzero(new.artist == new.artist_names.index("jazz artist 2"))[0]])
    leads = []
    for cat in (new, imported):
        rec = Recommender(cat, now=1_700_000_000.0)
        picks = dict(rec.radio(seed, 40))
        jazz = [t for t in picks if cat.artist_names[cat.artist[cat.row(t)]].startswith("jazz")]
        top = [picks[t] for t in jazz if t in famous]
        rest = [picks[t] for t in jazz if t not in famous]
        assert top and rest
        leads.append(np.mean(top) - np.mean(rest))
        if cat is new:
            rows = np.isin(cat.track_ids, famous)
            given = 0.2 * (rec.prior_pop[rows].mean() - rec.prior_pop[~rows & (cat.bucket == cat.bucket[cat.row(seed)])]
                           .mean())
    assert given > 0.3
    # The famous songs' lead over the seed's genre shrinks by nearly all the popularity gave it.
    assert leads[0] - leads[1] > 0.9 * given, (leads, given)


def test_discover_leads_with_famous_songs_less_after_a_long_imported_history():
    new, famous = famous_and_heard_elsewhere(0)
    imported, _ = famous_and_heard_elsewhere(5000)
    first = {}
    for name, cat in (("new", new), ("imported", imported)):
        rec = Recommender(cat, now=1_700_000_000.0)
        first[name] = [rec.discover(16, day=day)["jazz"][0][0] in famous for day in range(10)]
    assert all(first["new"])           # a famous song opens the row every day for someone new
    assert sum(first["imported"]) <= 3, first
