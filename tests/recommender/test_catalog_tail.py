"""Catalog.set_plays over a log whose last rows changed or grew: what it works out from
those rows alone must be what working out the whole log gives, field for field."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import scipy.sparse as sp

from recommender import catalog
from recommender.catalog import Catalog, PlayLog

N_TRACKS = 40


def _catalog(plays: PlayLog) -> Catalog:
    rng = np.random.default_rng(1)
    ids = np.arange(1, N_TRACKS + 1)
    artists = [None if i % 9 == 0 else f"artist {i % 6}" for i in ids]
    albums = [None if i % 7 == 0 else f"album {i % 5}" for i in ids]
    numbers = [None if i % 11 == 0 else int(n) for i, n in zip(ids, rng.integers(1, 9, len(ids)))]
    return Catalog.build(track_ids=ids, artists=artists, albums=albums, track_numbers=numbers, plays=plays)


def _history(rng: np.random.Generator, n: int, *, sources: bool = True) -> PlayLog:
    """``n`` plays in time order: sessions, ties in time, skips, errors, a song playing, tracks
    the library does not hold, plays imported and picked by Segue."""
    gaps = rng.choice([0.0, 30.0, 200.0, 240.0, 2000.0, 40_000.0], n, p=[0.1, 0.1, 0.3, 0.3, 0.1, 0.1])
    t = 1_700_000_000.0 + np.cumsum(gaps)
    session = np.cumsum(gaps > 1800.0)
    ended = rng.choice(np.array(["finished", "skipped", "stopped", "error", "playing"], dtype=object), n,
                       p=[0.5, 0.25, 0.1, 0.05, 0.1])
    track_ms = rng.choice([0.0, 180_000.0, 400_000.0], n)
    source = rng.choice(np.array(["library", "up_next", "radio", "import", "search", None], dtype=object), n)
    return PlayLog(rng.integers(1, N_TRACKS + 4, n), session, t, rng.uniform(0, 300_000, n), track_ms, ended,
                   source if sources else None, np.arange(n))


def _rows(log: PlayLog, idx) -> PlayLog:
    return PlayLog(*(None if v is None else v[idx] for v in (getattr(log, f.name) for f in dataclasses.fields(log))))


def _same(a, b, what: str) -> None:
    if sp.issparse(a):
        a, b = a.tocsr(copy=True), b.tocsr(copy=True)
        for m in (a, b):
            m.sum_duplicates()
            m.sort_indices()
        assert a.shape == b.shape and a.dtype == b.dtype, what
        for part in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(a, part), getattr(b, part)), f"{what}.{part}"
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, what
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), what
    elif isinstance(a, (tuple, list)) and not isinstance(a, str):
        assert type(a) is type(b) and len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{what}[{i}]")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{what}.{f.name}")
    else:
        assert type(a) is type(b) and a == b, (what, a, b)


def _whole(plays: PlayLog) -> Catalog:
    """The catalogue with every field worked out from the whole of ``plays``."""
    cat = _catalog(PlayLog.empty())
    cat.set_plays(plays, whole=True)
    return cat


def _same_catalog(got: Catalog, want: Catalog) -> None:
    _same(got, want, "catalog")
    _same(tuple(got._play_state), tuple(want._play_state), "play state")


def test_a_few_rows_changed_or_added_give_what_the_whole_log_gives():
    rng = np.random.default_rng(7)
    reworked = 0
    for trial in range(60):
        whole = _history(rng, 300, sources=trial % 5 != 0)
        m = int(rng.integers(0, 260))
        cat = _catalog(_rows(whole, slice(0, m)))
        for step in range(3):                        # one after another: each update starts from the last
            k = int(rng.integers(1, 6))
            how = rng.choice(["append", "ended", "earlier session", "fewer", "edited", "replaced", "set back"])
            new = _rows(whole, slice(0, m + k))
            if how == "ended" and m:                 # the song playing ends, and more are logged
                new.ended = new.ended.copy()
                new.ended[m - 1] = rng.choice(["finished", "skipped"])
            elif how == "earlier session":           # a song resumed in a session begun before
                new.session_id = new.session_id.copy()
                new.session_id[m:] = rng.choice(np.unique(new.session_id))
            elif how == "replaced" and m:            # the last session's rows read again as another one
                q = int(np.flatnonzero(new.session_id == new.session_id[m - 1])[0])
                new.session_id, new.ended = new.session_id + (np.arange(len(new)) >= q) * 10_000, new.ended.copy()
                new.ended[q:] = rng.choice(["finished", "skipped", "error"], len(new) - q)
            elif how == "fewer":
                new = _rows(whole, slice(0, max(0, m - k)))
            elif how == "edited" and m > 2:          # a play far back changed: read again in full
                new.ended = new.ended.copy()
                new.ended[int(rng.integers(0, m - 1))] = "skipped"
            elif how == "set back" and m > 1:        # logged under a clock set back: among older plays
                at = int(rng.integers(max(1, m - 120), m))
                new = _rows(whole, np.r_[0:at, m, at:m])
                new.started_at, new.play_id = new.started_at.copy(), np.arange(len(new))
                new.started_at[at] = new.started_at[at - 1]
            after = copy.copy(cat)
            after.set_plays(new)
            reworked += cat._kept_rows(new) is not None
            # a day of plays after it, each song would read the whole log again until the clock caught up
            assert how != "set back" or m < 2 or cat._kept_rows(new) is not None
            _same_catalog(after, _whole(new))
            cat, m = after, len(new)
    assert reworked > 100                            # most updates took the short way


def test_plays_out_of_time_order_are_worked_out_whole():
    rng = np.random.default_rng(3)
    whole = _history(rng, 200)
    cat = _catalog(_rows(whole, slice(0, 190)))
    back = _rows(whole, slice(0, 195))
    back.started_at = back.started_at.copy()
    back.started_at[-1] = back.started_at[0] - 86400.0          # a clock set back
    assert cat._kept_rows(back) is None
    after = copy.copy(cat)
    after.set_plays(back)
    _same_catalog(after, _whole(back))


def test_follows_weigh_each_gap_one_over_it_whatever_the_steps(monkeypatch):
    # One session of distinct songs heard through: the first song's follows are 1/gap for
    # each song up to FOLLOW_STEPS after it, also for steps whose gaps 2520 does not divide.
    n = 14
    log = PlayLog(np.arange(1, n + 1), np.zeros(n, np.int64), 1_700_000_000.0 + 240.0 * np.arange(n),
                  np.full(n, 200_000.0), np.full(n, 200_000.0), np.full(n, "finished", dtype=object))
    for steps in (10, 12):
        monkeypatch.setattr(catalog, "FOLLOW_STEPS", steps)
        cat = _catalog(PlayLog.empty())
        cat.set_plays(_rows(log, slice(0, n - 1)))
        after = copy.copy(cat)
        after.set_plays(log)                         # the last song worked out from its row alone
        for got in (after, _whole(log)):
            first = got.follows[got.row(1)].toarray()[0]
            want = [np.float32(1.0 / gap) if gap <= steps else np.float32(0.0) for gap in range(1, n)]
            assert [first[got.row(1 + gap)] for gap in range(1, n)] == want, steps


def test_the_services_chained_updates_give_the_whole_logs_and_leave_each_old_copy_untouched():
    # As the recommender service does after each song: the plays of the last hours read
    # again from the store (oldest first, then by id) and joined to the rest of the log
    # held, flags carried, then set on a shallow copy of the catalogue while other threads
    # still rank with the old one. Songs playing and ending, ties in time, two sessions
    # interleaved, a song resumed in a session begun hours before, a recent play forgotten,
    # the clock set back a little, and runs of songs that failed (a listened song's pair
    # with the next one heard reaches back past them), one after another.
    rng = np.random.default_rng(11)
    reread = 6 * 3600.0
    store, now, session = [], [1_700_000_000.0], [1]

    def add(t, sid, ended, source):
        store.append({"id": len(store) + 1000, "track_id": int(rng.integers(1, N_TRACKS + 4)), "session_id": sid,
                      "started_at": t, "ms_heard": float(rng.uniform(0, 300_000)), "track_ms": 200_000.0,
                      "ended": ended, "source": source})

    def plays(since=-np.inf):
        return PlayLog.from_rows(sorted((r for r in store if r["started_at"] >= since),
                                        key=lambda r: (r["started_at"], r["id"])))

    for _ in range(300):
        now[0] += float(rng.choice([0.0, 200.0, 240.0, 40_000.0], p=[0.1, 0.4, 0.4, 0.1]))
        session[0] += rng.random() < 0.1
        add(now[0], session[0], str(rng.choice(["finished", "skipped", "error"])),
            str(rng.choice(["library", "up_next", "import", "radio"])))
    cat, short = _catalog(plays()), 0
    for step in range(240):
        how = rng.choice(["play", "end", "tie", "interleave", "resume", "forget", "clock back", "errors"],
                         p=[0.33, 0.28, 0.08, 0.08, 0.07, 0.06, 0.05, 0.05])
        playing = [r for r in store if r["ended"] == "playing"]
        if how == "play":
            now[0] += float(rng.choice([30.0, 240.0, 3000.0]))
            session[0] += rng.random() < 0.1
            add(now[0], session[0], "playing", str(rng.choice(["library", "up_next", "radio"])))
        elif how == "end" and playing:
            playing[-1]["ended"] = str(rng.choice(["finished", "skipped", "stopped"]))
        elif how == "tie":
            add(now[0], session[0], "skipped", "up_next")
        elif how == "interleave":
            add(now[0] + 5.0, session[0] - 1, "finished", "radio")
            add(now[0] + 5.0, session[0], "finished", "library")
            now[0] += 5.0
        elif how == "resume":
            earlier = [r["session_id"] for r in store if r["started_at"] < now[0] - reread]
            now[0] += 200.0
            add(now[0], int(rng.choice(earlier[-100:])), "finished", "library")
        elif how == "forget":
            del store[-int(rng.integers(1, 4))]
        elif how == "clock back":
            now[0] -= 600.0
            add(now[0], session[0], "finished", "library")
        elif how == "errors":
            for _ in range(12):
                now[0] += 1.0
                add(now[0], session[0], "error", "up_next")
        old, log_ = cat.plays, None
        if len(old) and len(store) >= len(old):
            since = min(float(old.started_at.max()), now[0]) - reread
            merged = old.before(since).concat(plays(since))
            log_ = merged if len(merged) == len(store) else None
        log_ = plays() if log_ is None else log_
        held = copy.deepcopy(cat)
        new = copy.copy(cat)
        short += new._kept_rows(log_) is not None
        new.set_plays(log_)
        _same_catalog(cat, held)                     # the copy other threads rank with is untouched
        cat = new
        if step in (120, 239):
            _same_catalog(cat, _whole(log_))
    assert short > 180                               # most updates took the short way


def test_the_plays_before_a_time_are_those_started_before_it_in_or_out_of_order():
    rng = np.random.default_rng(5)
    log = _history(rng, 200)
    log.feedback(), log.chosen(), log.imported()
    back = _rows(log, np.r_[0:150, 190, 150:190, 191:200])     # one play logged with the clock set back
    for plays in (log, back):
        for t in (-np.inf, *plays.started_at[[0, 77, 160, -1]], np.inf):
            got, want = plays.before(t), _rows(plays, plays.started_at < t)
            _same(got, want, "plays")
            for flags in ("feedback", "chosen", "imported"):
                _same(getattr(got, flags)(), getattr(want, flags)(), flags)


def _stays_whole(plays, rows, fb, art, chosen, latest):
    """Catalog.artist_stays worked out over the whole log, as it once was."""
    kept = (rows >= 0) & (fb > 0)
    offer = np.zeros(len(plays), bool)
    offer[1:] = kept[:-1] & (plays.session_id[1:] == plays.session_id[:-1])
    offer &= ~chosen & (rows >= 0) & (fb != 0)
    offer &= np.cumsum(offer[::-1])[::-1] <= latest
    stay = np.zeros(len(plays), bool)
    stay[1:] = offer[1:] & (art[1:] >= 0) & (art[1:] == art[:-1])
    move = offer & ~stay
    return int(stay.sum()), int((stay & kept).sum()), int(move.sum()), int((move & kept).sum())


def _replays_whole(plays, rows, fb, chosen, latest, horizon_s):
    """Catalog.replay_answers worked out over every listened play, as it once was."""
    offer = np.flatnonzero((rows >= 0) & ~chosen & (fb != 0))[-latest:]
    if not len(offer):
        return 0, 0, 0, 0
    t = plays.started_at
    heard = (rows >= 0) & (fb > 0)
    keys = np.sort(rows[heard].astype(np.float64) * 1e11 + t[heard])
    q = rows[offer].astype(np.float64) * 1e11 + t[offer]
    j = np.searchsorted(keys, q, side="left") - 1
    prev = keys[np.maximum(j, 0)] if len(keys) else np.zeros(len(q))
    replay = (j >= 0) & (np.floor(prev / 1e11) == rows[offer]) & (q - prev < horizon_s)
    kept = fb[offer] > 0
    return int(replay.sum()), int((replay & kept).sum()), int((~replay).sum()), int((~replay & kept).sum())


def test_the_latest_offers_counted_from_the_end_of_the_log_are_those_of_the_whole_log():
    # Logs where Segue picked most plays, a few, or none (an imported history), or picked only
    # long ago, counted over the latest few offers or more than there are; one log out of
    # time order (a clock set back).
    rng = np.random.default_rng(13)
    for trial in range(40):
        log = _history(rng, int(rng.integers(2, 400)))
        picked = rng.random(len(log)) < rng.choice([0.0, 0.02, 0.3, 0.9])
        if trial % 5 == 1:
            picked[len(log) // 8:] = False
        log.source = np.where(picked, "up_next", np.where(log.source == "import", "import", "library")).astype(object)
        if trial % 4 == 0:
            log.started_at = log.started_at + rng.choice([0.0, -86400.0], len(log), p=[0.9, 0.1])
        cat = _catalog(PlayLog.empty())
        rows, fb, chosen = cat.rows(log.track_id), log.feedback(), log.chosen()
        art = np.where(rows >= 0, cat.artist[np.maximum(rows, 0)], -1)
        for latest in (1, 3, 10, 60, 1200):
            assert catalog._artist_stays(log, rows, fb, art, chosen, latest) == \
                _stays_whole(log, rows, fb, art, chosen, latest), (trial, latest)
            for horizon in (30.5, 240.5, 2000.5, 40_000.5, 4 * 86400.0):
                assert catalog._replay_answers(log, rows, fb, chosen, latest, horizon) == \
                    _replays_whole(log, rows, fb, chosen, latest, horizon), (trial, latest, horizon)
    # The oldest of the latest offers, a song heard just within the horizon before it.
    log = PlayLog(np.array([5, 6, 5, 7]), np.zeros(4, np.int64), 1_700_000_000.0 + np.array([0.0, 100.0, 250.0, 500.0]),
                  np.full(4, 200_000.0), np.full(4, 200_000.0), np.full(4, "finished", dtype=object),
                  np.array(["library", "library", "up_next", "up_next"], dtype=object), np.arange(4))
    rows = _catalog(PlayLog.empty()).rows(log.track_id)
    assert catalog._replay_answers(log, rows, log.feedback(), log.chosen(), 2, 260.0) == (1, 1, 1, 1)
