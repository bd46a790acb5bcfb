"""Up next's later places over a real store: the reason of each song the session vote or
Up next's own order brought there names that evidence, and a song the person keeps
skipping does not come back through the vote."""

from __future__ import annotations

import numpy as np

from player.recommender_service import RecommenderService
from recommender.rank import RankConfig
from segue_common.listening import SESSION_GAP_S
from tests.player.test_recommender_service import fill_library, listen

ANCHOR, COMPANION = "Jazz song 1", "Rock song 5"


def _sets(store, ids, *, sessions=30, seed=0):
    """Past sessions of 14 songs, each opening with ``ANCHOR``; every third closes with
    ``COMPANION``, twelve places on (too far for the sequential rules), the rest is filler
    from across the library. Returns the time after them."""
    rng = np.random.default_rng(seed)
    filler = [t for name, t in ids.items() if name not in (ANCHOR, COMPANION)]
    t = 1_700_000_000.0
    for s in range(sessions):
        songs = [ids[ANCHOR], *(int(x) for x in rng.choice(filler, 12, replace=False))]
        songs.append(ids[COMPANION] if s % 3 == 0 else int(rng.choice(filler)))
        for track in songs:
            listen(store, track, now=t)
            t += 210
        t += SESSION_GAP_S + 600
    return t


def _queue(service, session, k=20):
    return {r.track_id: r for r in service.up_next(session, k)}


def test_the_songs_the_session_vote_brings_say_which_song_of_the_session_they_were_played_with(store):
    ids, _ = fill_library(store)
    t = _sets(store, ids)
    listen(store, ids[ANCHOR], now=t)          # the session now: the anchor, heard
    service = RecommenderService(store, priors=None)
    got = service.up_next([ids[ANCHOR]], 20)
    head = RankConfig().tail_head
    places = [r.track_id for r in got]
    assert ids[COMPANION] in places[head:]
    companion = got[places.index(ids[COMPANION])]
    assert companion.reason.startswith(f"played in the same sessions as {ANCHOR}")
    # Every later place brought there by the sessions names a song of this session.
    said = [r.reason for r in got[head:] if "sessions as" in r.reason or "a session with" in r.reason]
    assert said and all(ANCHOR in why for why in said)
    # Up next's first places keep the reasons they had.
    for r in got[:head]:
        assert r.reason == service.explain(r.track_id, f"after:{ids[ANCHOR]}")


def test_a_library_with_no_plays_gets_no_reason_that_speaks_of_plays(store):
    ids, _ = fill_library(store)
    service = RecommenderService(store, priors=None)
    got = service.up_next([ids[ANCHOR]], 20)
    assert len(got) == 20
    for r in got:
        assert "played" not in r.reason and "session" not in r.reason and "last 7 days" not in r.reason, r.reason



def test_a_song_skipped_each_time_it_was_offered_is_not_brought_back_by_the_session_vote(store):
    ids, _ = fill_library(store)
    t = _sets(store, ids)
    service = RecommenderService(store, priors=None)
    assert ids[COMPANION] in _queue(service, [ids[ANCHOR]])
    # Offered by Up next three times since, in sessions of its own, and skipped early each time.
    for _ in range(3):
        listen(store, ids[COMPANION], skip=True, now=t)
        t += SESSION_GAP_S + 600
    listen(store, ids[ANCHOR], now=t)
    assert ids[COMPANION] not in _queue(service, [ids[ANCHOR]])
    assert ids[COMPANION] not in _queue(service, [ids[ANCHOR]], k=40)


def test_what_the_sequential_rules_brought_says_what_it_followed_and_how_often_only_as_the_plays_show(store):
    """A later place that Up next's own order (its sequential rules the strongest part) put
    there says what it followed: "often" only where it came right after twice or more, and
    nothing of plays that never were (an evidence naming a song never heard says nothing)."""
    ids, _ = fill_library(store)
    t = 1_700_000_000.0
    for session in (["Jazz song 1", "Jazz song 2"], ["Jazz song 1", "Jazz song 2"], ["Jazz song 1", "Jazz song 3"]):
        for name in session:
            listen(store, ids[name], now=t)
            t += 210
        t += SESSION_GAP_S + 600
    rec = RecommenderService(store, priors=None).recommender()
    cat = rec.catalog
    heard = cat.rows([ids["Jazz song 1"]])
    sequence = {"sequence": rec.up_next_signals(heard, int(heard[-1]))["sequence"]}
    said = {}
    for name in ("Jazz song 2", "Jazz song 3", "Rock song 5"):
        evidence = rec._fused_evidence(cat.row(ids[name]), heard, sequence)
        said[name] = rec.explain(ids[name], "", evidence)
    assert said["Jazz song 2"].startswith("often played after Jazz song 1")
    assert said["Jazz song 3"].startswith("you played it soon after Jazz song 1")
    assert "after" not in said["Rock song 5"]
    never = ids["Hip-Hop song 4"]
    assert rec.explain(ids["Jazz song 2"], "", ("sessions", cat.row(never), 5)) == rec.explain(ids["Jazz song 2"])
    # The vote's evidence: "the same sessions" only where they shared two or more, and never
    # the song itself as what it was played with.
    for name, wording in (("Jazz song 2", "played in the same sessions as Jazz song 1"),
                          ("Jazz song 3", "played in a session with Jazz song 1")):
        evidence = rec._fused_evidence(cat.row(ids[name]), heard, None)
        assert rec.explain(ids[name], "", evidence).startswith(wording)
    itself = ("sessions", cat.row(ids["Jazz song 2"]), 5)
    assert rec.explain(ids["Jazz song 2"], "", itself) == rec.explain(ids["Jazz song 2"])


def test_a_song_skipped_more_than_heard_that_the_person_then_chose_and_heard_is_voted_for_again(store):
    """The vote gives nothing to a song the person keeps turning away; once they put it on
    themselves and hear it through, they have not turned away from it since."""
    ids, _ = fill_library(store)
    t = _sets(store, ids)                      # the companion heard in 10 sessions
    service = RecommenderService(store, priors=None)
    for _ in range(12):                        # then skipped early more often than ever heard
        play = store.start_play(ids[COMPANION], source="library", track_ms=200_000, now=t)
        store.end_play(play, "skipped", 4_000, now=t + 1)
        t += SESSION_GAP_S + 600
    listen(store, ids[ANCHOR], now=t)
    assert ids[COMPANION] not in _queue(service, [ids[ANCHOR]], k=40)
    # Chosen from the library and heard through, in a session of its own.
    t += SESSION_GAP_S + 600
    play = store.start_play(ids[COMPANION], source="library", track_ms=200_000, now=t)
    store.end_play(play, "finished", 200_000, now=t + 1)
    t += SESSION_GAP_S + 600
    listen(store, ids[ANCHOR], now=t)
    assert ids[COMPANION] in _queue(service, [ids[ANCHOR]], k=40)


def test_asking_why_changes_no_pick_nor_score(store):
    """Up next told to keep what brought its later places gives the very list it gives
    untold: sessions empty, of one song, long, ending in skips, with a queue ahead."""
    ids, _ = fill_library(store)
    t = _sets(store, ids, seed=3)
    rng = np.random.default_rng(7)
    every = sorted(ids.values())
    for _ in range(6):                         # sessions with the companion right after the anchor
        for name in (ANCHOR, COMPANION, "Jazz song 2"):
            listen(store, ids[name], now=t)
            t += 210
        t += SESSION_GAP_S + 600
    rec = RecommenderService(store, priors=None).recommender()
    told = 0
    for case in range(24):
        session = [int(x) for x in rng.choice(every, case % 12, replace=False)]
        skipped = session[-(case % 4):] if case % 3 == 0 and session else []
        exclude = [int(x) for x in rng.choice(every, case % 5, replace=False)]
        args = dict(exclude=exclude, skipped=skipped)
        why: dict = {}
        with_why = rec.up_next(session, 20, why=why, **args)
        assert with_why == rec.up_next(session, 20, **args), (session, skipped, exclude)
        assert set(why) <= {t for t, _ in with_why}
        told += bool(why)
    assert told >= 6                           # the later places were told why often enough to count


def test_what_the_person_plays_lately_counts_the_last_seven_days_and_no_play_from_a_clock_set_ahead(store):
    """The app's "this week" runs from the local Monday (the sound map's rings); the plays
    this reason counts are those of the seven days up to the latest, and it says so. A play
    logged under a clock set years ahead is no play of these days."""
    ids, _ = fill_library(store)
    day, now = 86_400.0, 1_700_000_000.0
    song = ids["Jazz song 2"]
    for when in (now - 10 * day, now - 9 * day, now - 2 * day, now - 1 * day, now + 30 * 365 * day):
        listen(store, song, now=when)
    listen(store, ids["Rock song 5"], now=now)
    rec = RecommenderService(store, priors=None).recommender()
    said = rec.explain(song, "", ("lately", rec.catalog.row(song), 0))
    assert said.startswith("you played it 2 times in the last 7 days"), said
    assert "this week" not in said


def test_a_reason_names_only_a_song_heard_in_this_session_not_one_of_the_album_still_to_come(store):
    """While an album plays in order, Up next lines up the rest of it and goes on from
    there; the later places may come from that album's last song, not heard yet. Their
    reason names a song of the session, or says nothing of sessions: "played in the same
    sessions as" a song still to come is not what the person just heard."""
    ids, _ = fill_library(store)
    store.upsert_tracks([{"path": f"/music/Suite/{n:02d}.flac", "size": 1000, "mtime_ns": 1, "title": f"Part {n}",
                          "artist": "Suite Band", "album": "Suite", "track_no": n, "genre": "Jazz",
                          "duration": 200.0} for n in (1, 2, 3, 4)])
    ids = {r["title"]: r["id"] for r in store.tracks()}
    rng = np.random.default_rng(5)
    album = [ids[f"Part {n}"] for n in (1, 2, 3, 4)]                   # one album, in its order
    filler = [t for t in ids.values() if t not in album and t != ids[COMPANION]]
    t = 1_700_000_000.0
    for s in range(12):                        # its last song, with the companion, in past sessions
        first = (album[0],) if s % 2 else ()   # (and its first in half of them)
        for track in (*first, album[-1], *(int(x) for x in rng.choice(filler, 6, replace=False)), ids[COMPANION]):
            listen(store, track, now=t)
            t += 210
        t += SESSION_GAP_S + 600
    for track in album[:3]:                    # the session now: the album's first three, in order
        listen(store, track, now=t)
        t += 210
    rec = RecommenderService(store, priors=None).recommender()
    why: dict = {}
    got = [t for t, _ in rec.up_next(album[:3], 20, why=why)]
    assert got[0] == album[-1]                 # the album goes on first
    named = {rec.catalog.track_ids[e[1]] for e in why.values() if e[0] in ("sessions", "after")}
    assert why and named <= set(album[:3]), named


def test_a_song_skipped_more_than_heard_that_segue_offered_and_that_played_through_stays_out_of_the_vote(store):
    """Only a listen of the person's own choosing lifts the vote's ban, as only such a listen
    takes back an artist's skips: a song Up next offered may have played to an empty room."""
    ids, _ = fill_library(store)
    t = _sets(store, ids)
    service = RecommenderService(store, priors=None)
    for _ in range(12):
        play = store.start_play(ids[COMPANION], source="library", track_ms=200_000, now=t)
        store.end_play(play, "skipped", 4_000, now=t + 1)
        t += SESSION_GAP_S + 600
    # Offered by Up next and played to its end, in a session of its own.
    play = store.start_play(ids[COMPANION], source="up_next", track_ms=200_000, now=t)
    store.end_play(play, "finished", 200_000, now=t + 1)
    t += SESSION_GAP_S + 600
    listen(store, ids[ANCHOR], now=t)
    assert ids[COMPANION] not in _queue(service, [ids[ANCHOR]], k=40)
