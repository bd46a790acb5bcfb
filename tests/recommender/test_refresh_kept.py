"""A recommender brought up to date play by play (``with_plays``, as the service does after
each song) keeps what a new play leaves as it was, and what it ranks with must be what one
built from the same plays from scratch gives, value for value."""

from __future__ import annotations

import numpy as np

from recommender.catalog import Catalog, PlayLog
from recommender.explain import _listened_taste, _play_sums
from recommender.rank import Models, Recommender
from tests.recommender.test_rank import library

# Everything ``refresh`` works out from the plays, and what is kept for the counts.
FIELDS = ("now", "trust", "taste_e", "taste_f", "artist_taste", "shunned", "charted", "outside", "tired_of",
          "skipped_out", "always_skipped", "personal", "ground_taste", "chosen_artists", "artist_run",
          "artist_hour", "artist_stay", "replay_keep", "album_run", "album_order", "skip_artist_push",
          "recently_played", "freshness", "recent")


def _catalog(plays: PlayLog) -> Catalog:
    """The test library with some songs of no genre tag (their album's genre is inferred),
    listening in another player by artist, songs gone from the library, and a few songs far
    shorter and far longer than the rest."""
    base = library()
    buckets = [None if i % 7 == 0 else base.bucket_names[b] for i, b in enumerate(base.bucket)]
    outside = np.zeros((base.n, 2), np.float32)
    outside[base.artist == 0] = (40, 0)
    outside[base.artist == 9] = (5, 20)
    gone = np.zeros((base.n, 4), np.float32)
    gone[base.artist == 3] = (6, 2.0, 6, 2.0)
    durations = np.full(base.n, 200.0)
    durations[:4], durations[4:7] = 10.0, 4000.0
    return Catalog.build(track_ids=base.track_ids, artists=[base.artist_names[a] for a in base.artist],
                         albums=[f"album {a % 5}" for a in base.artist], embedding=base.embedding,
                         buckets=buckets, factors=base.factors, durations=durations, plays=plays,
                         outside=outside, gone=gone, titles=[f"t{i}" for i in base.track_ids])


def _models(n: int) -> Models:
    rng = np.random.default_rng(8)
    return Models(item_factors=rng.normal(size=(n, 6)).astype(np.float32),
                  person=rng.normal(size=6).astype(np.float32), autorec=rng.normal(size=n).astype(np.float32),
                  weights={"wmf": 1.0, "autorec": 1.0})


def _log(rows: list[tuple]) -> PlayLog:
    """``rows``: (track id, ended, source) in time order, four minutes apart, ten to a session."""
    n = len(rows)
    ended = np.array([e for _, e, _ in rows], dtype=object)
    heard = np.where(ended == "finished", 200_000.0, np.where(ended == "playing", 0.0, 5_000.0))
    return PlayLog(np.array([t for t, _, _ in rows], np.int64), np.arange(n) // 10,
                   1_700_000_000.0 + 240.0 * np.arange(n), heard, np.full(n, 200_000.0), ended,
                   np.array([s for _, _, s in rows], dtype=object), np.arange(1, n + 1))


def _same(got: Recommender, want: Recommender, step: str) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), f"{step}: {name}"
        else:
            assert a == b, (step, name, a, b)
    for name in ("short_rows", "long_rows"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), f"{step}: {name}"
    assert np.array_equal(_listened_taste(got), _listened_taste(want)), f"{step}: listened taste"
    for a, b in zip(_play_sums(got), _play_sums(want)):
        assert np.array_equal(a, b), f"{step}: reasons' sums"


def test_plays_and_skips_one_at_a_time_give_what_the_whole_log_gives():
    rng = np.random.default_rng(21)
    ids = [int(t) for t in library().track_ids]
    # A history: imported plays, listens and skips here, some by Segue's offers.
    rows = [(int(rng.choice(ids[:80])), str(rng.choice(["finished", "skipped"], p=[0.7, 0.3])),
             str(rng.choice(["import", "library", "up_next"]))) for _ in range(120)]
    models = _models(len(ids))
    rec = Recommender(_catalog(_log(rows)), models)
    kept_over_skips = 0
    steps = (["skip"] * 3 + ["listen"] + ["skip new"] * 2 + ["playing", "ended skipped", "skip", "listen",
                                                               "playing", "ended heard", "skip"])
    for step in steps:
        if step in ("skip", "skip new"):
            # A skip of a song played before, or of one never played (the list's top offer).
            track = int(rng.choice(ids[:80] if step == "skip" else ids[80:]))
            rows.append((track, "skipped", "up_next"))
        elif step == "listen":
            rows.append((int(rng.choice(ids)), "finished", "library"))
        elif step == "playing":
            rows.append((int(rng.choice(ids)), "playing", "up_next"))
        else:
            rows[-1] = (rows[-1][0], "skipped" if step == "ended skipped" else "finished", rows[-1][2])
        before = rec
        rec = rec.with_plays(_log(rows))
        _same(rec, Recommender(_catalog(_log(rows)), models), step)
        if step in ("skip", "skip new", "playing", "ended skipped"):
            # No listened play came or went: the listened counts, and what is worked out from
            # them alone, are those of the copy before, not worked out again.
            assert rec.catalog.play_count is before.catalog.play_count, step
            assert rec.charted is before.charted and rec.outside is before.outside, step
            assert rec.short_rows is before.short_rows and rec._long_length() is before._long_length(), step
            # ...and so are the pairs of songs and the sessions, which count listened plays only.
            for name in ("transitions", "follows", "sessions", "session_end"):
                assert getattr(rec.catalog, name) is getattr(before.catalog, name), (step, name)
            kept_over_skips += 1
        else:
            assert rec.catalog.play_count is not before.catalog.play_count, step
    assert kept_over_skips >= 8


def test_a_skips_push_worked_out_where_it_reaches_is_the_push_over_the_whole_library(monkeypatch):
    # The push kept for each skip is worked out only for the tracks past its neighbourhood's
    # edge; it must come out as the push worked out over every track (none kept), value for
    # value, for skips alone, in streaks, and of tracks pushed by several skips at once.
    from recommender import rank

    rng = np.random.default_rng(4)
    ids = [int(t) for t in library().track_ids]
    rows = [(int(rng.choice(ids)), str(rng.choice(["finished", "skipped"])), "library") for _ in range(60)]
    rec = Recommender(_catalog(_log(rows)))
    skip_rows = rec.catalog.rows(rng.choice(ids, 8, replace=False))
    # (the edge of two of them as close as the nearest track: a push that reaches one track)
    for r in skip_rows[:2]:
        sims = rec.E @ rec.E[r]
        rec._neighbourhoods[("e", int(r), 5)] = (float(np.sort(sims)[-2]), float(sims.max()))
    for streak in (0, 1, 3, 6):
        for upto in range(1, len(skip_rows) + 1):
            monkeypatch.setattr(rank, "SKIP_PUSHES_KEPT", 0)
            whole = rec._skip_penalty(skip_rows[:upto], streak)
            monkeypatch.setattr(rank, "SKIP_PUSHES_KEPT", 64)
            rec._skip_pushes.clear()
            got = rec._skip_penalty(skip_rows[:upto], streak)
            again = rec._skip_penalty(skip_rows[:upto], streak)     # read back from what was kept
            assert got.dtype == whole.dtype and np.array_equal(got, whole), (streak, upto)
            assert np.array_equal(again, whole), (streak, upto)
    assert all(len(at) for at, _ in rec._skip_pushes.values())


def test_songs_of_no_artist_album_or_genre_take_no_part_of_a_skips_push_on_them():
    # A skip pushes down its artist's and album's songs and, in a streak, its genre's: the
    # songs whose artist, album and genre are not known (code -1) share none of them, and
    # must not be pushed as if they did (the lookup pads the codes' table for -1).
    from recommender import rank

    base = library()
    unknown = np.arange(base.n) % 10 == 9
    cat = Catalog.build(track_ids=base.track_ids,
                        artists=[None if u else base.artist_names[a] for u, a in zip(unknown, base.artist)],
                        albums=[None if u else f"album {a}" for u, a in zip(unknown, base.artist)],
                        buckets=[None if u else base.bucket_names[b] for u, b in zip(unknown, base.bucket)],
                        embedding=base.embedding, factors=base.factors, durations=[200.0] * base.n)
    rec = Recommender(cat)
    assert (cat.artist[unknown] < 0).all() and (cat.album[unknown] < 0).all() and (rec.genre[unknown] < 0).all()
    # (the last artist's: without the pad, -1 would read the last code's push)
    last = cat.artist.max()
    skip_rows = np.flatnonzero(cat.artist == last)[:3]
    for streak in (0, 3):
        rec._skip_pushes.clear()
        pen = rec._skip_penalty(skip_rows, streak)
        # The unknown songs no skip's neighbourhood reaches and the streak's sound does not
        # push (below the mean likeness to the skips): nothing else may push them.
        clear = unknown.copy()
        for at, _ in rec._skip_pushes.values():
            clear[at] = False
        if streak:
            for mat in (rec.E, rec.F):
                clear &= rank._z(mat @ rank._context(mat, skip_rows[-streak:], decay=1.0)) <= 0
        assert clear.sum() >= 3, streak
        assert np.all(pen[clear] == 0), (streak, pen[clear])
        # ...while the skipped artist's songs the neighbourhoods miss are pushed.
        theirs = (cat.artist == last) & ~np.isin(np.arange(base.n), skip_rows)
        assert np.all(pen[theirs] > 0), streak


def test_skips_one_at_a_time_on_an_album_give_up_next_as_the_whole_log_does():
    # The album rules read what a skip changes while the listened counts stay the same array
    # (``always_skipped`` from the skips since heard, the albums over, the hand-over where the
    # person is done with an album): a refill after each skip must rank as a recommender built
    # from the same plays does, for an album its person plays in order and skips in.
    from tests.recommender.test_rank import OTHER_ALBUMS, _double_album_library

    album = [3001 + i for i in range(24)]
    history = [(t, e, 0) for t, e in OTHER_ALBUMS]
    # Disc 1 twice with tracks 7, 10 and 11 skipped; track 12 heard both times.
    for s in (1, 2):
        history += [(t, "skipped" if t in (3007, 3010, 3011) else "finished", s) for t in album[:12]]
    session = 3
    steps = [(t, "finished") for t in album[3:6]] + [(3007, "skipped"), (3008, "finished"), (3009, "finished"),
                                                      (3010, "skipped"), (3011, "skipped"), (3012, "skipped"),
                                                      (3013, "skipped"), (3014, "finished")]

    def log(rows):
        n = len(rows)
        ended = np.array([e for _, e, _ in rows], dtype=object)
        return PlayLog(np.array([t for t, _, _ in rows], np.int64), np.array([s for _, _, s in rows]),
                       1_700_000_000.0 + 240.0 * np.arange(n), np.where(ended == "finished", 200_000.0, 5_000.0),
                       np.full(n, 200_000.0), ended, np.array(["up_next"] * n, dtype=object))

    rows = list(history)
    rec = Recommender(_double_album_library(log(rows)))
    assert rec.album_order > 0.5
    kept = 0
    for track, ended in steps:
        rows.append((track, ended, session))
        before, rec = rec, rec.with_plays(log(rows))
        want = Recommender(_double_album_library(log(rows)))
        kept += rec.catalog.play_count is before.catalog.play_count
        now = [t for t, _, s in rows if s == session]
        skipped = [t for t, e, s in rows if s == session and e == "skipped"]
        step = (track, ended)
        assert np.array_equal(rec.always_skipped, want.always_skipped), step
        assert np.array_equal(rec.catalog.any_skips_since_heard, want.catalog.any_skips_since_heard), step
        order = rec.catalog.rows(now)
        assert rec._albums_over(order) == want._albums_over(order), step
        for k in (1, 6, 12):
            got = rec.up_next(now, k, skipped=skipped)
            assert got == want.up_next(now, k, skipped=skipped), (step, k)
    assert kept >= 4

